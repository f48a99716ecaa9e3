#!/usr/bin/env bash
# bench/summary.sh results.tsv [SECTION] — the numbers next to issue 7's
# targets, as Markdown. run.sh writes its output to results/summary.md, and
# copies two sections into bench/README.md, between the markers
# "<!-- results: SECTION -->" and "<!-- end of results: SECTION -->", so the
# README quotes the same run as results/. SECTION: ratios or saturation;
# without it, everything.
set -uo pipefail
tsv=$1 section=${2:-all}
dir=$(dirname "$tsv")

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

# Lessons against their yardsticks (results/ratios.tsv, written by run.sh).
ratios_section() {
    local ratios=$dir/ratios.tsv
    [ -f "$ratios" ] && [ "$(wc -l <"$ratios")" -gt 1 ] || return 0
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
}

# Fan-out at saturation: results/saturation.tsv (each server's median climb)
# with saturation-stops.tsv (every climb's end) and saturation-runs.tsv
# (every try, with the machine's load).
saturation_section() {
    local sat=$dir/saturation.tsv stops=$dir/saturation-stops.tsv runs=$dir/saturation-runs.tsv climbs
    [ -f "$sat" ] && [ "$(wc -l <"$sat")" -gt 1 ] && [ -f "$stops" ] || return 0
    climbs=$(awk -F'\t' 'NR > 1 && $3 + 0 > c { c = $3 + 0 } END { print c + 0 }' "$stops")
    echo "Fan-out at saturation: the highest rate (lines/s from one sender) at which every receiver"
    echo "still got every line, in order, within 1 s, with the loadgen under 90% of its core: the"
    echo "median of $climbs climb(s) (target: 04 and 05 ≥ the Tokio chat at every count). Beside it, from"
    echo "the median climb at that rate: lines delivered per second, the server's CPU time per"
    echo "delivered line, the loadgen's CPU; then the rate at which each climb stopped, and why."
    echo
    echo "| receivers | server | highest rate | ÷ Tokio | delivered/s | server CPU per line | loadgen CPU | each climb stopped at |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    awk -F'\t' '
    function commas(x,    s) {
        if (x !~ /^[0-9]+$/) return x
        s = ""
        while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) }
        return x s
    }
    FNR == 1 { file++; next }
    file == 1 { best[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }; next }
    {   # saturation-stops.tsv: server receivers climb max_rate delivered ns lg tries stopped_at reason
        k = $1 SUBSEP $2
        stopped[k] = stopped[k] (stopped[k] == "" ? "" : "; ") ($10 == "top" ? "passed every rung" : commas($9) ": " $10)
        if ($4 == best[$1, $2] && !(k in got)) { got[k] = $5; ns[k] = $6; lg[k] = $7 }
    }
    END {
        split("04-chat-broadcast 05-shutdown-timeouts-limits tokio-chat", names, " ")
        split("04 05 Tokio", short, " ")
        for (i = 1; i <= n; i++) {
            x = order[i]; t = best["tokio-chat", x]
            for (j = 1; j <= 3; j++) {
                s = names[j]; k = s SUBSEP x
                if (!((s, x) in best)) continue
                r = s == "tokio-chat" || t + 0 == 0 ? "-" : sprintf(best[s, x] / t >= 1 ? "%.2f" : "**%.2f**", best[s, x] / t)
                printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", commas(x), short[j], commas(best[s, x]), r,
                    commas(got[k]), ns[k] ~ /^[0-9]+$/ ? ns[k] " ns" : "-", lg[k] ~ /^[0-9]+$/ ? lg[k] "%" : "-", stopped[k]
            }
        }
    }' "$sat" "$stops"
    echo
    echo "Why a climb stopped: lost, late, reordered, closed, wrong are the loadgen's first problem"
    echo "(closed: the server disconnected a receiver); short: under 95% of rate × receivers delivered"
    echo "per second; loadgen: the loadgen used 90% of its core or more, so that rung does not count."
    echo "Bold: under 1.0."
    [ -f "$runs" ] && [ "$(wc -l <"$runs")" -gt 1 ] || return 0
    echo
    awk -F'\t' 'NR > 1 {
        tries++
        if (tries == 1 || $11 + 0 < min) min = $11 + 0
        if ($11 + 0 > max) max = $11 + 0
        if ($10 ~ /^[0-9]+$/) idle[++n] = $10 + 0
        if ($9 ~ /^[0-9]+$/ && $9 + 0 > waited) waited = $9 + 0
    }
    END {
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && idle[j - 1] > idle[j]; j--) { t = idle[j]; idle[j] = idle[j - 1]; idle[j - 1] = t }
        printf "The load during these %d tries: load average %.2f to %.2f (uptime, before each);\n", tries, min, max
        printf "the machine idle %d%% of the measured seconds (the median try; 2 cores, the server pinned to one,\n", n ? idle[int((n + 1) / 2)] : -1
        printf "the loadgen to the other); the loadgen waited for its core at most %d%% of a try.\n", waited
    }' "$runs"
}

if [ "$section" = ratios ]; then ratios_section; exit 0; fi
if [ "$section" = saturation ]; then saturation_section; exit 0; fi


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

echo
ratios_section
echo
saturation_section
echo
echo "All medians (results.tsv):"
echo
echo '```'
column -t -s $'\t' "$tsv" 2>/dev/null || cat "$tsv"
echo '```'
