#!/usr/bin/env bash
# tour.sh LESSON_DIR... — a guided run of each lesson: start its server on a
# free port, drive it with a scripted client, print what was sent, what came
# back and what the server logged, then stop it. `make tour` runs it.
#
# Each lesson adds its stop in lessons/NN-name/tour.sh, using:
#   stop_start "title" [server args]   start the lesson's server
#   step "why" OP...                   run tests/tcpc OP... and show it all
#   step_with CMD... -- "why"          run any client command instead
#   stop_end                           stop the server
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
TCPC=$REPO/tests/tcpc
tmp=$(mktemp -d)
trap 'stop_end; rm -rf "$tmp"' EXIT

if [ -t 1 ]; then B=$'\e[1m' D=$'\e[2m' C=$'\e[36m' Y=$'\e[33m' R=$'\e[0m'
else B='' D='' C='' Y='' R=''; fi

server_pid='' log_seen=0

stop_start() {
    local title=$1
    shift
    printf '\n%s━━ %s ━━%s %s\n' "$B" "$LESSON" "$R" "$title"
    printf '%s$ lessons/%s/server --port 0 %s%s\n' "$D" "$LESSON" "$*" "$R"
    # Empty the files first, here: the server's own redirection happens in
    # the child, and until then the last stop's readiness line is still there.
    : >"$tmp/out"
    : >"$tmp/log"
    "$REPO/lessons/$LESSON/server" --port 0 "$@" >"$tmp/out" 2>"$tmp/log" &
    server_pid=$!
    log_seen=0
    local i
    for ((i = 0; i < 250; i++)); do
        grep -q '^listening on ' "$tmp/out" && break
        sleep 0.02
    done
    PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/out")
    [ -n "$PORT" ] || { echo "tour: the server did not start"; cat "$tmp/log"; exit 1; }
    cat "$tmp/out"
}

# Print the server log lines that are new since the last call, once the log
# has been quiet for a moment (the server logs as it goes).
show_log() {
    local size last=-1 i
    for ((i = 0; i < 50; i++)); do
        size=$(wc -c <"$tmp/log")
        [ "$size" = "$last" ] && break
        last=$size
        sleep 0.05
    done
    tail -c +"$((log_seen + 1))" "$tmp/log" | sed "s/^/  ${D}server log | ${R}/"
    log_seen=$size
}

# Show bytes readably: one line each, control bytes as ^X, \r as ^M.
show_bytes() {
    cat -v | sed "s/^/  ${Y}$1${R} /"
}

step() {
    local why=$1 op
    shift
    printf '\n%s▸ %s%s\n' "$C" "$why" "$R"
    local shown=() args=("$@")
    for ((op = 0; op < ${#args[@]}; op++)); do
        case ${args[op]} in
        send | drip)
            local text=${args[op + 1]}
            [ ${#text} -le 160 ] || text="${text:0:40}...(${#text} bytes in all)"
            shown+=("${args[op]} \"$text\"")
            ((op++)) ;;
        *) shown+=("${args[op]}") ;;
        esac
    done
    printf '  %sclient%s %s\n' "$Y" "$R" "${shown[*]}"
    "$TCPC" --port "$PORT" --timeout 5 "$@" >"$tmp/reply" 2>"$tmp/err"
    show_bytes "server>" <"$tmp/reply"
    sed 's/^/  client error: /' "$tmp/err"
    show_log
}

step_with() {
    local cmd=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
    shift
    printf '\n%s▸ %s%s\n' "$C" "$1" "$R"
    printf '  %s$ %s%s\n' "$D" "${cmd[*]}" "$R"
    "${cmd[@]}" 2>&1 | sed 's/^/  /'
    show_log
}

stop_end() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
    show_log
}

printf '%sA tour of the lessons: each server is started on a free port, driven by a\n' "$B"
printf 'scripted client (tests/tcpc), and stopped. Read a lesson'\''s README to learn why.%s\n' "$R"
for dir in "$@"; do
    LESSON=$(basename "$dir")
    [ -f "$dir/tour.sh" ] || continue
    # shellcheck source=/dev/null
    . "$dir/tour.sh"
    stop_end
done
printf '\n%sThat was the tour. Next: make test, then lessons/01-echo/README.md.%s\n' "$B" "$R"
