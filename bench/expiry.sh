#!/usr/bin/env bash
# bench/expiry.sh — issue 22: are lesson 05's idle timeouts on time at scale?
# bench/run.sh runs it (ONLY=expiry for this case alone); or run it by itself.
#
# REPEATS (3) times: start lesson 05 with --idle-timeout 2 (pinned to CPU 0),
# run bench/expiry (CPU 1): 3,000 silent clients that read everything and one
# live client that sends /ping every 20 ms; stop the server. Prints expiry's
# report; one row per run in results/expiry.tsv (rows of the same LABEL are
# replaced, others kept), logs in results/logs/. The target: every close
# within 1 s of its deadline, the live client answered within 100 ms.
#
#   EXPIRY_CONNS (3000), EXPIRY_TIMEOUT (2)   the case
#   SERVER=path LABEL=name                    another build of lesson 05, e.g.
#                                             an older one, to compare
set -uo pipefail
cd "$(dirname "$0")" || exit
REPO=$(cd .. && pwd)
REPEATS=${REPEATS:-3}
[ -n "${QUICK:-}" ] && REPEATS=1
CONNS=${EXPIRY_CONNS:-3000} TIMEOUT=${EXPIRY_TIMEOUT:-2}
SERVER=${SERVER:-$REPO/lessons/05-shutdown-timeouts-limits/server}
LABEL=${LABEL:-05-shutdown-timeouts-limits}
OUT=results LOGS=results/logs
mkdir -p "$LOGS"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

PIN_SERVER=() PIN_LOAD=()
if [ "${PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1)
fi
if [ ! -x "$SERVER" ]; then
    echo "skip: expiry: ${SERVER#"$REPO"/} is not built"
    exit 0
fi
[ -x ./expiry ] || { echo "expiry: bench/expiry is not built (make -C bench all)"; exit 1; }

COLUMNS_OUT="closed open untold late_p50_ms late_max_ms late_p50_min_ms late_max_min_ms within_1s live_pings live_p50_ms live_max_ms run_p50_ms run_max_ms"
if [ -f "$OUT/expiry.tsv" ]; then
    awk -F'\t' -v label="$LABEL" 'NR == 1 || $1 != label' "$OUT/expiry.tsv" >"$OUT/expiry.tsv.new"
    mv "$OUT/expiry.tsv.new" "$OUT/expiry.tsv"
else
    printf 'server\tconns\tidle_timeout\trepeat\t%s\n' "$(echo "$COLUMNS_OUT" | tr ' ' '\t')" >"$OUT/expiry.tsv"
fi

for ((r = 1; r <= REPEATS; r++)); do
    tag=expiry-$LABEL-$CONNS-$r
    out=$LOGS/$tag.out log=$LOGS/$tag.server.log report=$LOGS/$tag.report
    : >"$out"
    "${PIN_SERVER[@]}" "$SERVER" --port 0 --idle-timeout "$TIMEOUT" --max-clients $((CONNS + 100)) \
        >"$out" 2>"$log" &
    pid=$!
    for _ in $(seq 200); do grep -q '^listening on ' "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
    if [ -z "$port" ]; then
        echo "FAIL: $tag: the server did not start: $(tail -3 "$log")"
        kill $pid 2>/dev/null; wait $pid 2>/dev/null
        continue
    fi
    "${PIN_LOAD[@]}" ./expiry --port "$port" --conns "$CONNS" --idle-timeout "$TIMEOUT" >"$report" 2>&1
    kill -0 $pid 2>/dev/null || echo "FAIL: $tag: the server died: $(tail -3 "$log")"
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    echo "expiry: $LABEL, run $r:"
    grep -v '^result ' "$report" | sed 's/^/  /'
    result=$(grep '^result ' "$report") || { echo "FAIL: $tag: no result"; continue; }
    row=()
    for col in $COLUMNS_OUT; do row+=("$(tr ' ' '\n' <<<"$result" | sed -n "s/^$col=//p")"); done
    printf '%s\t%s\t%s\t%s\t%s\n' "$LABEL" "$CONNS" "$TIMEOUT" "$r" "$(IFS=$'\t'; echo "${row[*]}")" >>"$OUT/expiry.tsv"
done
echo "bench: idle expiry in bench/$OUT/expiry.tsv"
