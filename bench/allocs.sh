#!/usr/bin/env bash
# bench/allocs.sh [LESSON...] — heap allocations per chat line, counted by
# valgrind: one client sends N lines (one write each), another reads them,
# then SIGTERM; run for N and 2N lines, the difference over N is the cost of
# one line. Target (issue 11): lesson 05's memory savings (no input buffer,
# no queue array while idle) must not cost a busy client a malloc per line:
# one allocation per line, the shared message, and no more.
#   bench/allocs.sh                      # 04 and 05, N = 200
#   N=500 bench/allocs.sh 05-shutdown-timeouts-limits
# Needs valgrind (common/deps.sh hardening) and the lessons built with gcc
# (make build): valgrind 3.19 cannot read clang's DWARF 5.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
[ $# -gt 0 ] || set -- 04-chat-broadcast 05-shutdown-timeouts-limits
command -v valgrind >/dev/null || { echo "allocs: valgrind missing: common/deps.sh hardening" >&2; exit 2; }
make -s tests/tcpc >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# allocs LESSON LINES: the server's total heap allocations for that session.
allocs() {
    local out=$tmp/out vg=$tmp/vg port='' i ops=()
    valgrind --log-file="$vg" "lessons/$1/server" --port 0 >"$out" 2>&1 3>&- &
    local pid=$!
    for ((i = 0; i < 300; i++)); do     # at most 30 s to start under valgrind
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
        [ -z "$port" ] || break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "allocs: $1 did not start" >&2; kill "$pid"; return 1; }
    tests/tcpc --port "$port" --timeout 60 sleep 500 send '/nick reader\n' eof \
        >/dev/null 3>&- &
    local reader=$!
    for ((i = 1; i <= $2; i++)); do ops+=(send "line $i\\n" sleep 1); done
    tests/tcpc --port "$port" --timeout 60 sleep 1000 "${ops[@]}" shut eof >/dev/null
    kill -TERM "$pid"
    wait "$pid" || true                  # 04 dies of SIGTERM; 05 drains
    wait "$reader" || true
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$vg" | tr -d ,
}

for lesson in "$@"; do
    a=$(allocs "$lesson" "$N") b=$(allocs "$lesson" $((2 * N)))
    awk -v l="$lesson" -v a="$a" -v b="$b" -v n="$N" 'BEGIN {
        printf "allocs: %-28s %d lines: %d, %d lines: %d; %.2f per line\n", l, n, a, 2 * n, b, (b - a) / n }'
done
