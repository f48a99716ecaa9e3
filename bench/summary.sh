#!/usr/bin/env bash
# bench/summary.sh results.tsv — the numbers next to issue 7's targets, as
# Markdown. run.sh writes its output to results/summary.md.
set -uo pipefail
tsv=$1

# get CASE SERVER X COLUMN: one median from results.tsv, or "" if not run.
get() {
    awk -F'\t' -v c="$1" -v s="$2" -v x="$3" -v col="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) k = i; next }
        $1 == c && $2 == s && $3 == x { print $k }' "$tsv"
}
# verdict VALUE OP LIMIT: "met", "missed", or "not run".
verdict() {
    [ -z "$1" ] && { echo "not run"; return; }
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        ok = op == "<=" ? v + 0 <= l + 0 : op == ">=" ? v + 0 >= l + 0 : v + 0 < l + 0
        print ok ? "met" : "**missed**" }'
}
or_dash() { echo "${1:--}"; }

echo "| target | measured (median) | verdict |"
echo "| --- | --- | --- |"
for n in 10 100; do
    p=$(get pingpong 01-echo $n cpu_us_per_msg) e=$(get pingpong epoll $n cpu_us_per_msg)
    lim=$( [ -n "$e" ] && awk -v e="$e" 'BEGIN { printf "%.3f", e * 1.1 }')
    echo "| 01 ping-pong, $n conns: CPU/msg ≤ epoll + 10% | 01 $(or_dash "$p") µs, epoll $(or_dash "$e") µs | $(verdict "$p" "<=" "${lim:-0}") |"
done
echo "| 01 ping-pong, 10,000 conns: zero errors | $(or_dash "$(get pingpong 01-echo 10000 errors)") errors, $(or_dash "$(get pingpong 01-echo 10000 msgs_per_s)") msg/s | $(verdict "$(get pingpong 01-echo 10000 errors)" "<=" 0) |"
echo "| 01 bulk 16 KiB, 10 conns: ≥ 2 GB/s | $(or_dash "$(get bulk 01-echo 10 mb_per_s)") MB/s (epoll $(or_dash "$(get bulk epoll 10 mb_per_s)")) | $(verdict "$(get bulk 01-echo 10 mb_per_s)" ">=" 2000) |"
echo "| 01 bulk: no 40 ms Nagle/delayed-ACK stall | $(or_dash "$(get bulk 01-echo 10 over_40ms)") replies ≥ 40 ms; p99 $(or_dash "$(get bulk 01-echo 10 p99_us)") µs, max $(or_dash "$(get bulk 01-echo 10 max_us)") µs | $(verdict "$(get bulk 01-echo 10 over_40ms)" "<=" 0) |"
echo "| 02 lines, 10 conns, 16 in flight | $(or_dash "$(get lines 02-line-framing 16 msgs_per_s)") lines/s, $(or_dash "$(get lines 02-line-framing 16 cpu_us_per_msg)") µs CPU/line | (no target) |"
echo "| 03 pipelined ping, 1 conn: ≥ 150,000 req/s | $(or_dash "$(get rpc 03-rpc 128 msgs_per_s)") req/s (single: $(or_dash "$(get rpc 03-rpc 1 msgs_per_s)")) | $(verdict "$(get rpc 03-rpc 128 msgs_per_s)" ">=" 150000) |"
echo "| 04 fan-out to 1,000 at 100 msg/s: p99 < 20 ms | p99 $(or_dash "$(get chat 04-chat-broadcast 1000 p99_us)") µs, $(or_dash "$(get chat 04-chat-broadcast 1000 msgs_per_s)") delivered/s | $(verdict "$(get chat 04-chat-broadcast 1000 p99_us)" "<" 20000) |"
echo "| 05 10,000 idle conns: ≤ 1 KiB each | $(or_dash "$(get idle 05-shutdown-timeouts-limits 10000 rss_per_conn_b)") B/conn (01: $(or_dash "$(get idle 01-echo 10000 rss_per_conn_b)"), 02: $(or_dash "$(get idle 02-line-framing 10000 rss_per_conn_b)")) | $(verdict "$(get idle 05-shutdown-timeouts-limits 10000 rss_per_conn_b)" "<=" 1024) |"

# Lessons against their yardsticks (results/ratios.tsv, written by run.sh).
ratios=$(dirname "$tsv")/ratios.tsv
if [ -f "$ratios" ] && [ "$(wc -l <"$ratios")" -gt 1 ]; then
    echo
    echo "Lesson ÷ yardstick, medians of the same run (targets: CPU per message ≤ 1.0, memory ≤ 1.0;"
    echo "memory is per connection, or the whole RSS where there is one connection):"
    echo
    echo "| case | lesson | yardstick | CPU per message | p99 | memory | messages/s |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    awk -F'\t' 'NR > 1 {
        # 01 bulk: at least 0.8x epoll-bulk, i.e. CPU per message <= 1.25x;
        # its memory target is per *idle* connection (the idle case).
        lim = $3 == "epoll-bulk" ? 1.25 : 1.0
        cpu = $4 == "-" ? "-" : $4 + 0 <= lim ? $4 : "**" $4 "**"
        mem = $6 == "-" || $3 == "epoll-bulk" ? $6 : $6 + 0 <= 1.0 ? $6 : "**" $6 "**"
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, cpu, $5, mem, $7 }' "$ratios"
    echo
    echo "Bold: the target is missed. 01 bulk against epoll-bulk: the target is 0.8× its throughput,"
    echo "judged as CPU per message ≤ 1.25× (a core's capacity is 1 / CPU per message; MB/s on a"
    echo "busy machine follows the load); its memory target is per idle connection (the idle case)."
fi

# Fan-out at saturation (results/saturation.tsv).
sat=$(dirname "$tsv")/saturation.tsv
if [ -f "$sat" ] && [ "$(wc -l <"$sat")" -gt 1 ]; then
    echo
    echo "Fan-out at saturation: the highest rate (lines/s from one sender) at which every receiver"
    echo "still got every line, in order (target: 04 and 05 ≥ the Tokio chat at every count):"
    echo
    echo "| receivers | 04 | 05 | Tokio chat | 04 ÷ Tokio | 05 ÷ Tokio |"
    echo "| --- | --- | --- | --- | --- | --- |"
    awk -F'\t' 'NR > 1 { r[$1, $2] = $3; n[$2] = 1 }
    function ratio(a, b) { return b > 0 ? sprintf(a / b >= 1 ? "%.2f" : "**%.2f**", a / b) : "-" }
    END {
        for (i = 1; i <= 3; i++) {
            x = i == 1 ? 10 : i == 2 ? 100 : 1000
            if (!(x in n)) continue
            a = r["04-chat-broadcast", x]; b = r["05-shutdown-timeouts-limits", x]; t = r["tokio-chat", x]
            printf "| %d | %s | %s | %s | %s | %s |\n", x, a, b, t, ratio(a, t), ratio(b, t)
        }
    }' "$sat"
fi
echo
echo "All medians (results.tsv):"
echo
echo '```'
column -t -s $'\t' "$tsv" 2>/dev/null || cat "$tsv"
echo '```'
