#!/usr/bin/env bash
# bench/run.sh — the benchmark matrix of issue 7. `make bench` runs it.
#
# For every case: start the server (pinned to CPU 0), run bench/loadgen
# against it (pinned to CPU 1) with --server-pid so it reads the server's CPU
# time and memory, stop the server; REPEATS times; then take medians.
#
#   results/runs.tsv      one row per run
#   results/results.tsv   medians per case, server and x (errors: the total)
#   results/summary.md    the numbers next to the targets
#   results/*.png         plots (if gnuplot is installed)
#   results/logs/         every server log and loadgen report (not committed)
#
# A lesson whose server is not built (or not written yet) is skipped with a
# message. Environment: REPEATS (3), DURATION (3 s), WARMUP (1 s), QUICK=1
# (1 repeat, 1 s), ONLY=case[,case] to run some cases (pingpong, idle-scan,
# bulk, lines, rpc, rpc100, chat, saturation, idle). The Tokio yardsticks
# (bench/tokio, `make -C bench tokio`) run beside the lessons when built.
set -uo pipefail
cd "$(dirname "$0")" || exit
REPO=$(cd .. && pwd)
REPEATS=${REPEATS:-3} DURATION=${DURATION:-3} WARMUP=${WARMUP:-1}
if [ -n "${QUICK:-}" ]; then REPEATS=1 DURATION=1; fi
ONLY=${ONLY:-}
OUT=results LOGS=results/logs
mkdir -p "$LOGS"

# The server needs a file descriptor per connection: 10,000 and more.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10100 ]; then
    echo "bench: only $(ulimit -n) file descriptors allowed; the 10,000-connection cases will fail"
fi

# Server and load generator on different cores, when there are two.
PIN_SERVER=() PIN_LOAD=()
# PIN=0 turns it off (on a busy shared machine a pinned process cannot move
# away from a core that someone else is using).
if [ "${PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1)
fi

COLUMNS_OUT="msgs_per_s mb_per_s p50_us p99_us max_us errors cpu_us_per_msg server_cpu_pct loadgen_cpu_pct rss_kib rss_per_conn_b over_40ms"
# A full run starts afresh; ONLY=... replaces just the rows of those cases.
if [ -z "$ONLY" ]; then
    rm -f "$OUT/runs.tsv"
elif [ -f "$OUT/runs.tsv" ]; then
    awk -F'\t' -v only=",$ONLY," 'NR == 1 || index(only, "," $1 ",") == 0' "$OUT/runs.tsv" >"$OUT/runs.tsv.new"
    mv "$OUT/runs.tsv.new" "$OUT/runs.tsv"
fi
[ -f "$OUT/runs.tsv" ] ||
    printf 'case\tserver\tx\trepeat\t%s\n' "$(echo "$COLUMNS_OUT" | tr ' ' '\t')" >"$OUT/runs.tsv"

# server_path NAME: the binary for a lesson name or "epoll".
server_path() {
    case $1 in
    epoll) echo "$REPO/bench/epoll-echo" ;;
    epoll-bulk) echo "$REPO/bench/epoll-bulk" ;;
    tokio-chat | tokio-rpc) echo "$REPO/bench/tokio/target/release/$1" ;;
    *) echo "$REPO/lessons/$1/server" ;;
    esac
}

# server_args SERVER: what a server needs to hold every connection (05's
# limits would otherwise close idle clients or refuse the 10,000).
server_args() {
    case $1 in
    05-*) echo "--max-clients 10100 --idle-timeout 3600" ;;
    esac
}

# run CASE SERVER X "SERVER ARGS" LOADGEN ARGS...: REPEATS runs of one point.
run() {
    local case=$1 server=$2 x=$3 server_args=$4
    shift 4
    [ -n "$ONLY" ] && [[ ",$ONLY," != *",$case,"* ]] && return 0
    local bin
    bin=$(server_path "$server")
    if [ ! -x "$bin" ]; then
        echo "skip: $case $server x=$x: ${bin#"$REPO"/} is not built (lesson not there yet?)"
        return 0
    fi
    local r
    for ((r = 1; r <= REPEATS; r++)); do
        local tag="$case-$server-$x-$r" out log report pid port
        out=$LOGS/$tag.out log=$LOGS/$tag.server.log report=$LOGS/$tag.loadgen
        : >"$out"
        # shellcheck disable=SC2086
        "${PIN_SERVER[@]}" "$bin" --port 0 $server_args >"$out" 2>"$log" &
        pid=$!
        for _ in $(seq 200); do grep -q '^listening on ' "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
        if [ -z "$port" ]; then
            echo "FAIL: $tag: the server did not start: $(tail -3 "$log")"
            kill $pid 2>/dev/null; wait $pid 2>/dev/null
            return 0
        fi
        "${PIN_LOAD[@]}" ./loadgen --port "$port" --server-pid $pid \
            --duration "$DURATION" --warmup "$WARMUP" "$@" >"$report" 2>&1
        if ! kill -0 $pid 2>/dev/null; then
            echo "FAIL: $tag: the server died: $(tail -3 "$log")"
        fi
        kill $pid 2>/dev/null; wait $pid 2>/dev/null
        local result
        result=$(grep '^result ' "$report")
        if [ -z "$result" ]; then
            echo "FAIL: $tag: no result from loadgen: $(tail -3 "$report")"
            continue
        fi
        # "result k=v k=v ..." -> the columns we keep, in order.
        local row=() col
        for col in $COLUMNS_OUT; do
            row+=("$(tr ' ' '\n' <<<"$result" | sed -n "s/^$col=//p")")
        done
        printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$server" "$x" "$r" "$(IFS=$'\t'; echo "${row[*]}")" >>"$OUT/runs.tsv"
        printf '%-9s %-16.16s x=%-5s #%d %8s msg/s %8s MB/s  p50 %8s us  p99 %8s us  cpu/msg %7s us  rss/conn %5s B  err %s\n' \
            "$case" "$server" "$x" "$r" "${row[0]}" "${row[1]}" "${row[2]}" "${row[3]}" "${row[6]}" "${row[10]}" "${row[5]}"
    done
}

echo "bench: $REPEATS repeats of ${WARMUP}s warm-up + ${DURATION}s; pinning: ${PIN_SERVER[*]:-none} / ${PIN_LOAD[*]:-none}"

# 01 vs the epoll yardstick: 64-byte ping-pong as connections grow.
for n in 1 10 100 1000 10000; do
    for s in 01-echo epoll; do run pingpong $s $n "" --mode echo --size 64 --conns $n; done
done
# The same 10 busy clients, plus more and more idle ones: poll()'s O(n) scan.
for idle in 0 100 1000 10000; do
    for s in 01-echo epoll; do run idle-scan $s $idle "" --mode echo --size 64 --conns 10 --idle-conns $idle; done
done
# Bulk: 16 KiB messages, four in flight per connection.
# epoll-bulk is the hand-tuned design (one shared 64 KiB buffer) to reach.
for s in 01-echo epoll epoll-bulk; do run bulk $s 10 "" --mode echo --size 16384 --depth 4 --conns 10; done
# 02: lines, one at a time and 16 in flight (x = depth).
for d in 1 16; do run lines 02-line-framing $d "" --mode lines --size 64 --conns 10 --depth $d; done
# 03 and the Tokio RPC yardstick: ping on one connection, single and
# pipelined (x = depth); then 100 connections with 8 in flight each (rpc100,
# x = connections), where memory per connection shows.
for d in 1 128; do
    for s in 03-rpc tokio-rpc; do run rpc $s $d "" --mode rpc --conns 1 --depth $d; done
done
for s in 03-rpc tokio-rpc; do run rpc100 $s 100 "" --mode rpc --conns 100 --depth 8; done
# 04, 05 and the Tokio chat: one sender at 100 lines/s, N receivers (x = N).
for n in 10 100 1000; do
    for s in 04-chat-broadcast 05-shutdown-timeouts-limits tokio-chat; do
        run chat $s $n "$(server_args $s)" --mode chat --conns $n --rate 100 --size 64
    done
done
# ---- Fan-out at saturation ------------------------------------------------
# The highest --rate (lines/s from one sender) at which a chat server still
# delivers every line to every receiver, in order and in time, and keeps up.
# The servers climb a ladder of rates together, each rung √2 above the last
# (500,000 deliveries/s at the first): at each rung every server that has not
# stopped yet runs once, so a burst of load from elsewhere hits them all
# alike. A server stops at its first failed rung (failed twice, if it was
# short, late or closed: those may be a burst of outside load), and why:
#   lost, late, reordered, closed, wrong   the loadgen's first problem (see
#                        bench/README.md), e.g. late: a line took over 1 s
#   short                fewer than 95% of rate x receivers delivered per second
#   loadgen              the loadgen used SAT_LOADGEN_MAX% of its core or more:
#                        from there on it may be the limit, not the server, so
#                        the rung does not count, passed or not
# Then one try halfway (×2^¼) above its last passed rung sharpens the figure.
# That is one climb; SAT_CLIMBS climbs, and results/saturation.tsv keeps the
# median climb of each server. Every try goes to saturation-runs.tsv, every
# climb's end to saturation-stops.tsv. Each try stops by itself (loadgen's
# deadlines), and there are at most SAT_RUNGS + 2 per server and climb.
# The loadgen turns its loop once per batch (--batch-ms): one sender and up
# to 1,000 receivers on one core must cost it less than the server does.
SAT_CLIMBS=${SAT_CLIMBS:-3} SAT_RUNGS=${SAT_RUNGS:-14} SAT_SECONDS=${SAT_SECONDS:-2} SAT_LOADGEN_MAX=90
# The loadgen reads (and sends) in batches of 20 ms or 1,000 lines, whichever
# is shorter: see bench/README.md.
SAT_BATCH_MS=20
[ -n "${QUICK:-}" ] && SAT_CLIMBS=1 SAT_RUNGS=6 SAT_SECONDS=1
SAT_SERVERS="04-chat-broadcast 05-shutdown-timeouts-limits tokio-chat"

# load1: the machine's load average over the last minute (uptime says it on
# Linux and macOS: "load average: 0.52, ..." or "load averages: 0.52 ...").
load1() { uptime | sed -e 's/.*load averages*: *//' -e 's/[, ].*//'; }

# sat_rate N K: lines/s at rung K (K may be a fraction) for N receivers.
sat_rate() { awk -v n="$1" -v k="$2" 'BEGIN { printf "%d", 500000 / n * exp(k * log(2) / 2) }'; }

# sat_try SERVER N RATE CLIMB: one run, a row in saturation-runs.tsv; prints
# "RESULT DELIVERED/S NS_PER_LINE LOADGEN%", RESULT being ok or the reason.
sat_try() {
    local server=$1 n=$2 rate=$3 climb=$4 bin pid port out log report tag=sat-$1-$2-$3-$4 load
    bin=$(server_path "$server") out=$LOGS/$tag.out log=$LOGS/$tag.server.log report=$LOGS/$tag.loadgen
    load=$(load1)
    : >"$out" && : >"$report"
    # shellcheck disable=SC2046 # server_args is empty or words to split
    "${PIN_SERVER[@]}" "$bin" --port 0 $(server_args "$server") >"$out" 2>"$log" &
    pid=$!
    for _ in $(seq 200); do grep -q '^listening on ' "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
    local rc=1
    if [ -n "$port" ]; then
        "${PIN_LOAD[@]}" ./loadgen --port "$port" --server-pid $pid --mode chat --conns "$n" --rate "$rate" \
            --size 64 --duration "$SAT_SECONDS" --warmup 1 --batch-ms "$SAT_BATCH_MS" >"$report" 2>&1
        rc=$?
    fi
    local died=0
    kill -0 $pid 2>/dev/null || died=1
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    # field NAME: one value from loadgen's "result k=v ..." line.
    field() { tr ' ' '\n' <"$report" | sed -n "s/^$1=//p" | tail -1; }
    local got ns lg wait idle problem result
    got=$(field msgs_per_s) lg=$(field loadgen_cpu_pct) wait=$(field loadgen_wait_pct)
    idle=$(field machine_idle_pct) problem=$(field problem)
    ns=$(awk -v us="$(field cpu_us_per_msg)" 'BEGIN { printf "%.0f", us * 1000 }')
    if [ -z "$port" ]; then result=no-server
    elif [ $died = 1 ]; then result=died
    elif [ -z "$got" ]; then result=no-result
    elif [ $rc -ne 0 ]; then result=${problem:-errors}
    elif awk -v g="$got" -v r="$rate" -v n="$n" 'BEGIN { exit !(g < 0.95 * r * n) }'; then result=short
    else result=ok
    fi
    # A pass with the loadgen at its limit tells nothing about the server.
    if [ "$result" = ok ] && [ "${lg%.*}" -ge $SAT_LOADGEN_MAX ]; then result=loadgen; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$n" "$climb" "$rate" "$result" \
        "${got:--}" "$ns" "${lg:--}" "${wait:--}" "${idle:--}" "$load" "$(field server_cpu_pct)" >>"$OUT/saturation-runs.tsv"
    echo "$result ${got:-0} $ns ${lg:-0}"
}

# saturate N CLIMB: one climb with every built chat server; one row each in
# results/saturation-stops.tsv.
saturate() {
    local n=$1 climb=$2 s servers=() rung rate r i res g ns l
    for s in $SAT_SERVERS; do
        if [ -x "$(server_path "$s")" ]; then servers+=("$s"); else echo "skip: saturation $s x=$n: not built"; fi
    done
    [ ${#servers[@]} -gt 0 ] || return 0
    # Indexed like servers[] (bash 3.2, macOS's, has no associative arrays).
    local best=() rung_of=() got=() cost=() lg=() alive=() tries=() stop=() why=()
    for ((i = 0; i < ${#servers[@]}; i++)); do
        best[i]=0 rung_of[i]=-1 got[i]=0 cost[i]=- lg[i]=- alive[i]=1 tries[i]=0 stop[i]=- why[i]=top
    done
    for ((rung = 0; rung < SAT_RUNGS; rung++)); do
        rate=$(sat_rate "$n" $rung)
        local any=0
        for ((i = 0; i < ${#servers[@]}; i++)); do
            [ "${alive[i]}" = 1 ] || continue
            any=1 tries[i]=$((tries[i] + 1))
            read -r res g ns l <<<"$(sat_try "${servers[i]}" "$n" "$rate" "$climb")"
            # Short, late or closed may be a burst of outside load (a core
            # taken from the server or the loadgen for a while): one more try.
            case $res in short | late | closed)
                tries[i]=$((tries[i] + 1))
                read -r res g ns l <<<"$(sat_try "${servers[i]}" "$n" "$rate" "$climb")" ;;
            esac
            if [ "$res" = ok ]; then
                best[i]=$rate rung_of[i]=$rung got[i]=$g cost[i]=$ns lg[i]=$l
            else
                alive[i]=0 stop[i]=$rate why[i]=$res
            fi
        done
        [ $any = 1 ] || break
    done
    # Halfway between the last rung passed and the next one.
    for ((i = 0; i < ${#servers[@]}; i++)); do
        if [ "${rung_of[i]}" -lt 0 ] || [ "${why[i]}" = top ]; then continue; fi
        rate=$(sat_rate "$n" "${rung_of[i]}.5") tries[i]=$((tries[i] + 1))
        read -r res g ns l <<<"$(sat_try "${servers[i]}" "$n" "$rate" "$climb")"
        if [ "$res" = ok ]; then best[i]=$rate got[i]=$g cost[i]=$ns lg[i]=$l; else stop[i]=$rate why[i]=$res; fi
    done
    for ((i = 0; i < ${#servers[@]}; i++)); do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${servers[i]}" "$n" "$climb" "${best[i]}" "${got[i]}" \
            "${cost[i]}" "${lg[i]}" "${tries[i]}" "${stop[i]}" "${why[i]}" >>"$OUT/saturation-stops.tsv"
        printf 'saturation %-16.16s x=%-5s climb %d: %7s lines/s to every receiver (%s delivered/s, %s ns CPU each, loadgen %s%%); at %s: %s\n' \
            "${servers[i]}" "$n" "$climb" "${best[i]}" "${got[i]}" "${cost[i]}" "${lg[i]}" "${stop[i]}" "${why[i]}"
    done
}

if [ -z "$ONLY" ] || [[ ",$ONLY," == *",saturation,"* ]]; then
    printf 'server\treceivers\tclimb\trate\tresult\tdelivered_per_s\tserver_ns_per_line\tloadgen_cpu_pct\tloadgen_wait_pct\tmachine_idle_pct\tload1\tserver_cpu_pct\n' \
        >"$OUT/saturation-runs.tsv"
    printf 'server\treceivers\tclimb\tmax_rate\tdelivered_per_s\tserver_ns_per_line\tloadgen_cpu_pct\ttries\tstopped_at\treason\n' \
        >"$OUT/saturation-stops.tsv"
    echo "saturation: $SAT_CLIMBS climbs; load average $(load1) at the start"
    for ((climb = 1; climb <= SAT_CLIMBS; climb++)); do
        for n in 10 100 1000; do saturate $n $climb; done
    done
    echo "saturation: load average $(load1) at the end"
    # The median climb of each server and receiver count (by max_rate).
    printf 'server\treceivers\tmax_rate\tdelivered_per_s\tloadgen_cpu_pct\trungs\n' >"$OUT/saturation.tsv"
    awk -F'\t' -v OFS='\t' 'NR > 1 {
        key = $1 OFS $2
        if (!(key in n)) order[++keys] = key
        row[key, ++n[key]] = $0
    }
    END {
        for (k = 1; k <= keys; k++) {
            key = order[k]; m = n[key]
            for (i = 1; i <= m; i++) idx[i] = i
            for (i = 2; i <= m; i++)        # sort the climbs by max_rate
                for (j = i; j > 1; j--) {
                    split(row[key, idx[j - 1]], a, "\t"); split(row[key, idx[j]], b, "\t")
                    if (a[4] + 0 <= b[4] + 0) break
                    t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t
                }
            split(row[key, idx[int((m + 1) / 2)]], f, "\t")
            print f[1], f[2], f[4], f[5], f[7], f[8]
        }
    }' "$OUT/saturation-stops.tsv" >>"$OUT/saturation.tsv"
fi

# Memory: 10,000 idle connections held (05; 01 and 02 for comparison).
for s in 01-echo 02-line-framing 05-shutdown-timeouts-limits; do
    run idle $s 10000 "$(server_args $s)" --mode idle --conns 10000
done

# Idle expiry at scale (issue 22; ONLY=expiry): expiry.sh, results/expiry.tsv.
if [ -z "$ONLY" ] || [[ ",$ONLY," == *",expiry,"* ]]; then ./expiry.sh; fi

# ---- Medians ---------------------------------------------------------------
# Per (case, server, x): the median of each column over the repeats, except
# errors, which are added up: one error in any run is worth seeing.
awk -F'\t' -v OFS='\t' '
function median(key, col,    n, i, j, t, v) {
    n = split(vals[key, col], v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
NR == 1 { ncol = NF; for (i = 1; i <= NF; i++) name[i] = $i; $4 = "runs"; print; next }
{
    key = $1 OFS $2 OFS $3
    if (!(key in runs)) order[++nkeys] = key
    runs[key]++
    for (i = 5; i <= NF; i++) vals[key, i] = vals[key, i] (vals[key, i] == "" ? "" : " ") $i
}
END {
    for (k = 1; k <= nkeys; k++) {
        key = order[k]; line = key OFS runs[key]
        for (i = 5; i <= ncol; i++) {
            if (name[i] == "errors") { n = split(vals[key, i], v, " "); s = 0; for (j = 1; j <= n; j++) s += v[j]; line = line OFS s }
            else line = line OFS median(key, i)
        }
        print line
    }
}' "$OUT/runs.tsv" >"$OUT/results.tsv"
echo "bench: medians in bench/$OUT/results.tsv"

# ---- Lesson / yardstick ratios -------------------------------------------
# One row per case where a lesson and its yardstick ran in this run: the
# lesson's median divided by the yardstick's, for server CPU per message,
# p99 latency, memory per connection (whole RSS for one connection) and
# messages per second. Below 1.0 the lesson is cheaper (or, for rate, slower).
awk -F'\t' -v OFS='\t' '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{ key = $1 SUBSEP $2 SUBSEP $3; for (n in col) v[key, n] = $col[n]; seen[key] = 1 }
function pair(label, c, lesson, yard, x, memcol,    a, b) {
    a = c SUBSEP lesson SUBSEP x; b = c SUBSEP yard SUBSEP x
    if (!(a in seen) || !(b in seen)) return
    print label, lesson, yard, r(a, b, "cpu_us_per_msg"), r(a, b, "p99_us"), r(a, b, memcol), r(a, b, "msgs_per_s")
}
function r(a, b, n) { return v[b, n] + 0 > 0 && v[a, n] + 0 > 0 ? sprintf("%.2f", v[a, n] / v[b, n]) : "-" }
END {
    print "case", "lesson", "yardstick", "cpu_per_msg", "p99", "memory", "msgs_per_s"
    pair("rpc 1 conn, 1 in flight", "rpc", "03-rpc", "tokio-rpc", 1, "rss_kib")
    pair("rpc 1 conn, 128 in flight", "rpc", "03-rpc", "tokio-rpc", 128, "rss_kib")
    pair("rpc 100 conns x 8", "rpc100", "03-rpc", "tokio-rpc", 100, "rss_per_conn_b")
    for (i = 1; i <= 3; i++) {
        n = i == 1 ? 10 : i == 2 ? 100 : 1000
        pair("chat 100 lines/s to " n, "chat", "04-chat-broadcast", "tokio-chat", n, "rss_per_conn_b")
        pair("chat 100 lines/s to " n, "chat", "05-shutdown-timeouts-limits", "tokio-chat", n, "rss_per_conn_b")
    }
    pair("bulk 16 KiB x 4, 10 conns", "bulk", "01-echo", "epoll-bulk", 10, "rss_per_conn_b")
}' "$OUT/results.tsv" >"$OUT/ratios.tsv"

./summary.sh "$OUT/results.tsv" >"$OUT/summary.md" && echo "bench: targets in bench/$OUT/summary.md"
# bench/README.md quotes two of those tables, between "<!-- results: NAME -->"
# and "<!-- end of results: NAME -->": put this run's there.
for section in ratios saturation; do
    begin="<!-- results: $section -->" end="<!-- end of results: $section -->"
    if ! grep -qxF "$begin" README.md || ! grep -qxF "$end" README.md; then continue; fi
    ./summary.sh "$OUT/results.tsv" $section >"$OUT/$section.md.new"
    awk -v begin="$begin" -v end="$end" -v table="$OUT/$section.md.new" '
        $0 == end { skip = 0 }
        !skip { print }
        $0 == begin { print ""; while ((getline line < table) > 0) print line; print ""; skip = 1 }' \
        README.md >README.md.new && mv README.md.new README.md
    rm -f "$OUT/$section.md.new"
done
echo "bench: bench/README.md quotes this run's lesson ÷ yardstick and saturation tables"
if command -v gnuplot >/dev/null; then
    gnuplot -e "dir='$OUT'" plots.gp && echo "bench: plots in bench/$OUT/*.png"
else
    echo "bench: gnuplot not installed (common/deps.sh bench): no plots"
fi
