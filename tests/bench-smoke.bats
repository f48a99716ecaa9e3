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
}

@test "bench: loadgen holds idle connections and sees none closed" {
    start_server 01-echo
    run loadgen --mode idle --conns 50
    assert_success
    assert_output --partial '50 of 50 connections open at the end'
}
