#!/usr/bin/env bash
# tests/valgrind.sh [lessons/NN-name...] — each lesson's server under valgrind
# memcheck through one scripted session; `make valgrind` runs it for all.
#
# The session (tests/tcpc, bounded by timeouts): normal requests, 1,000
# pipelined ones with a half-close, a million bytes without a newline, an
# unfinished line then EOF, RST right away and RST in the middle of a reply,
# odd bytes, 20 clients at once, and one client still connected when the
# server is told to stop (SIGTERM).
#
# What fails a lesson: any memcheck error (invalid read or write, use of
# uninitialised memory, bad free...) and any block "definitely", "indirectly"
# or "possibly" lost.
#
# "Still reachable" (memory a pointer still leads to) is allowed for lessons
# 01-04: they have no shutdown yet, so SIGTERM kills them where they stand,
# every open connection still allocated and still listed. That is not a leak.
# From lesson 05 the server stops cleanly on SIGTERM (GRACEFUL=1 in
# tests/hostile/lessons.bash); then it must exit 0 with every block freed.
#
# The servers are rebuilt with -O0 for this: at -O2 a pointer may live only
# in a register when the signal lands, and memcheck then calls that block
# "definitely lost" although main() still holds it. (The next `make`
# rebuilds them as usual.)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/hostile/lessons.bash
. tests/hostile/lessons.bash

TCPC=tests/tcpc
tmp=$(mktemp -d)
server_pid=''
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

command -v valgrind >/dev/null || { echo "valgrind: not installed (make deps-hardening)"; exit 1; }
make -s -C tests >/dev/null || exit 1

client() {
    "$TCPC" --port "$port" "$@"
}

# The session. Clients may fail (the server may close on them, on purpose):
# what is judged is the server's memory, not these replies.
session() {
    local pids=()
    for _ in 1 2; do
        client send "$PROBE_SEND" "${PROBE_READ[@]}" | grep -xF "$PROBE_WANT" >/dev/null ||
            { echo "valgrind: $lesson: the probe got a wrong answer"; return 1; }
    done
    client --timeout 60 repeat 1000 "$PROBE_SEND" shut eof >/dev/null
    head -c 1000000 /dev/zero | tr '\0' x >"$tmp/big"
    client --timeout 60 file "$tmp/big" shut eof >/dev/null 2>&1
    client send 'an unfinished line' shut eof >/dev/null
    client send "$PROBE_SEND" rst
    client --timeout 60 repeat 5000 "$PROBE_SEND" rst >/dev/null
    client send 'odd \x00\xff\r bytes\r\n\r\r\n\x7f' shut eof >/dev/null
    for _ in $(seq 20); do
        client --timeout 60 repeat 20 "$PROBE_SEND" shut eof >/dev/null 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}"
    # Still connected, half a line sent, when SIGTERM comes: wait until the
    # server has logged one more connection (for at most 10 s).
    local before
    before=$(grep -c 'connected' "$tmp/server.log")
    client --timeout 60 send 'half a li' sleep 60000 >/dev/null 2>&1 3>&- &
    last_client=$!
    for _ in $(seq 100); do
        [ "$(grep -c 'connected' "$tmp/server.log")" -gt "$before" ] && break
        sleep 0.1
    done
}

failed=0
checked=0
lessons=("$@")
[ ${#lessons[@]} -gt 0 ] || lessons=(lessons/*/)
for dir in "${lessons[@]}"; do
    lesson=$(basename "$dir")
    GRACEFUL=0
    if ! lesson_probe "$lesson"; then
        echo "valgrind: $lesson: NOT CHECKED: no entry in tests/hostile/lessons.bash"
        continue
    fi
    make -s -C "lessons/$lesson" OPTIMISE='-O0 -g' SANITIZE= >/dev/null || exit 1

    leak_kinds=definite,indirect,possible
    [ "$GRACEFUL" = 1 ] && leak_kinds=all
    log=$tmp/$lesson.valgrind
    : >"$tmp/out"                       # no readiness line left from the last lesson
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds="$leak_kinds" \
        --errors-for-leak-kinds="$leak_kinds" --track-origins=yes \
        --error-exitcode=99 --log-file="$log" \
        "lessons/$lesson/server" --port 0 "${SERVER_ARGS[@]}" \
        >"$tmp/out" 2>"$tmp/server.log" 3>&- &
    server_pid=$!
    for _ in $(seq 300); do
        grep -q '^listening on ' "$tmp/out" && break
        sleep 0.1
    done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/out")
    [ -n "$port" ] || { echo "valgrind: $lesson: the server did not start"; cat "$log"; exit 1; }

    last_client=''
    session || failed=1
    kill "$server_pid"
    wait "$server_pid"
    status=$?
    server_pid=''
    [ -n "$last_client" ] && { kill "$last_client" 2>/dev/null; wait "$last_client" 2>/dev/null; }

    problems=()
    grep -q 'ERROR SUMMARY: 0 errors' "$log" || problems+=("memcheck errors")
    if [ "$GRACEFUL" = 1 ]; then
        [ "$status" -eq 0 ] || problems+=("exit status $status after SIGTERM, want 0")
        grep -q 'All heap blocks were freed' "$log" || problems+=("memory not freed at exit")
    else
        [ "$status" -eq 143 ] || problems+=("exit status $status after SIGTERM, want 143")
    fi
    reachable=$(sed -n 's/.*still reachable: \([0-9,]* bytes in [0-9,]* blocks\).*/\1/p' "$log")
    if [ ${#problems[@]} -eq 0 ]; then
        echo "valgrind: $lesson: clean (0 errors, 0 lost${reachable:+; still reachable at SIGTERM: $reachable})"
    else
        sed -n '/^==[0-9]*== [^ ]/,$p' "$log" | grep -v '^==[0-9]*== *$' | tail -60
        echo "valgrind: $lesson: FAILED: $(IFS=,; echo "${problems[*]}")"
        failed=1
    fi
    checked=$((checked + 1))
done
echo "valgrind: $checked lessons checked"
[ "$failed" -eq 0 ] && [ "$checked" -gt 0 ]
