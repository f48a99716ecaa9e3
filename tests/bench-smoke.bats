#!/usr/bin/env bats
# bench/loadgen, briefly: it drives a lesson server and checks every reply.
# Correctness only: no test here looks at how fast anything is.

load helper

setup_file() {
    make -s -C "$BATS_TEST_DIRNAME/../bench" all >&2
}

loadgen() {
    "$REPO/bench/loadgen" --port "$PORT" --server-pid "$SERVER_PID" --warmup 0 --duration 1 "$@"
}

@test "bench: loadgen drives 01 with 10 connections, every echo checked, no errors" {
    start_server 01-echo
    run loadgen --mode echo --conns 10 --size 64
    assert_success
    assert_output --regexp 'result .* errors=0 '
    refute_output --regexp 'msgs=0 '
}

@test "bench: loadgen pipelines 16 KiB echoes and checks them" {
    start_server 01-echo
    run loadgen --mode echo --conns 3 --size 16384 --depth 4
    assert_success
    assert_output --regexp 'result .* errors=0 '
}

@test "bench: loadgen checks 02's numbered replies, pipelined" {
    start_server 02-line-framing
    run loadgen --mode lines --conns 5 --depth 8
    assert_success
    assert_output --regexp 'result .* errors=0 '
    refute_output --regexp 'msgs=0 '
}

@test "bench: loadgen notices wrong replies (02's protocol against an echo server)" {
    start_server 01-echo
    run loadgen --mode lines --conns 2
    assert_failure 1
    assert_output --partial 'wrong reply to line 1'
    assert_output --regexp 'result .* problem=wrong'
}

@test "bench: loadgen holds idle connections and sees none closed" {
    start_server 01-echo
    run loadgen --mode idle --conns 50
    assert_success
    assert_output --partial '50 of 50 connections open at the end'
}

@test "bench: expiry sees 05 close 20 silent clients, each told why, while a live client is answered" {
    start_server 05-shutdown-timeouts-limits --idle-timeout 1
    run "$REPO/bench/expiry" --port "$PORT" --conns 20 --idle-timeout 1 --linger 5
    assert_success
    assert_output --partial '20 greeted, 20 closed (0 without being told), 0 still open'
    assert_output --regexp 'result .* live_pings=[0-9]+ '
}

@test "bench: loadgen in batches (--batch-ms, as the saturation climb) still checks every chat line" {
    start_server 04-chat-broadcast
    run loadgen --mode chat --conns 20 --rate 2000 --warmup 1 --batch-ms 20
    assert_success
    assert_output --regexp 'result .* errors=0 .* problem=none'
    refute_output --regexp 'msgs=0 '
}

# start_yardstick PATH: start_server for a binary under bench/ (the
# yardsticks are not lessons); skips when it is not built.
start_yardstick() {
    local bin=$REPO/bench/$1
    [ -x "$bin" ] || skip "bench/$1 is not built (make -C bench all tokio)"
    SERVER_OUT=$BATS_TEST_TMPDIR/server.out SERVER_LOG=$BATS_TEST_TMPDIR/server.log
    : >"$SERVER_OUT"
    "$bin" --port 0 >"$SERVER_OUT" 2>"$SERVER_LOG" 3>&- &
    SERVER_PID=$!
    wait_until grep -q '^listening on ' "$SERVER_OUT" || fail "no readiness line: $(cat "$SERVER_LOG")"
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$SERVER_OUT")
}

@test "bench: the hand-tuned epoll-bulk yardstick echoes 16 KiB pipelined, every byte checked" {
    start_yardstick epoll-bulk
    run loadgen --mode echo --conns 3 --size 16384 --depth 4
    assert_success
    assert_output --regexp 'result .* errors=0 '
}

@test "bench: 03 answers 100 connections with 8 pings in flight each" {
    start_server 03-rpc
    run loadgen --mode rpc --conns 100 --depth 8
    assert_success
    assert_output --regexp 'result .* errors=0 '
    refute_output --regexp 'msgs=0 '
}

@test "bench: the Tokio RPC yardstick answers loadgen's pipelined pings" {
    start_yardstick tokio/target/release/tokio-rpc
    run loadgen --mode rpc --conns 4 --depth 16
    assert_success
    assert_output --regexp 'result .* errors=0 '
    refute_output --regexp 'msgs=0 '
}

@test "bench: the Tokio chat yardstick delivers every line to every receiver, in order" {
    start_yardstick tokio/target/release/tokio-chat
    # One second of warm-up, as bench/run.sh does: every receiver is in the
    # room (accepted) before the lines that count are sent.
    run loadgen --mode chat --conns 20 --rate 200 --warmup 1
    assert_success
    assert_output --regexp 'result .* errors=0 '
    refute_output --regexp 'msgs=0 '
}
