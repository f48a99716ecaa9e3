#!/usr/bin/env bats
# Lesson 03's graded exercises (lessons/03-rpc/README.md, "Exercises").
# `make grade L=03 EXERCISE=k` runs exercise k's tests against a workspace;
# the lesson's reference fails them, and its worked solution
# (lessons/03-rpc/solutions/k-*.patch) passes them: tests/exercises/check.sh.
# Not part of `make test`. Exercises that ask "explain why" have no test.

load exercise

setup() {
    start_server 03-rpc
}

# rpc LINE...: send each LINE and a newline, half-close, print every reply.
rpc() {
    local args=() line
    for line in "$@"; do args+=(send "$line\\n"); done
    client "${args[@]}" shut eof
}

@test "03 exercise 1: multiply, positional and named" {
    run rpc '{"jsonrpc":"2.0","method":"multiply","params":[6,7],"id":1}' \
            '{"jsonrpc":"2.0","method":"multiply","params":{"a":6,"b":7},"id":2}' \
            '{"jsonrpc":"2.0","method":"multiply","params":{"b":0.5,"a":-3},"id":3}'
    assert_output '{"jsonrpc":"2.0","result":42,"id":1}
{"jsonrpc":"2.0","result":42,"id":2}
{"jsonrpc":"2.0","result":-1.5,"id":3}'
}

@test "03 exercise 1: multiply with wrong params is -32602, with a hint in data" {
    local line
    for line in '[6]' '[6,"7"]' '{"a":6}' '{"A":6,"B":7}' '[1e200,1e200]'; do
        run rpc "{\"jsonrpc\":\"2.0\",\"method\":\"multiply\",\"params\":$line,\"id\":9}"
        assert_output --regexp '^\{"jsonrpc":"2.0","error":\{"code":-32602,"message":"Invalid params","data":"[^"]+.*"\},"id":9\}$'
    done
}

@test "03 exercise 2: counter counts this connection's calls, notifications and batches too" {
    run rpc '{"jsonrpc":"2.0","method":"counter","id":1}' \
            '{"jsonrpc":"2.0","method":"counter","id":2}' \
            '{"jsonrpc":"2.0","method":"counter"}' \
            '[{"jsonrpc":"2.0","method":"counter","id":4},{"jsonrpc":"2.0","method":"counter","id":5}]' \
            '{"jsonrpc":"2.0","method":"counter","params":[],"id":6}'
    assert_output '{"jsonrpc":"2.0","result":1,"id":1}
{"jsonrpc":"2.0","result":2,"id":2}
[{"jsonrpc":"2.0","result":4,"id":4},{"jsonrpc":"2.0","result":5,"id":5}]
{"jsonrpc":"2.0","result":6,"id":6}'
}

@test "03 exercise 2: each connection has its own count" {
    bg_client first send '{"jsonrpc":"2.0","method":"counter","id":1}\n' lines 1 \
        send '{"jsonrpc":"2.0","method":"counter","id":2}\n' lines 1 sleep 5000
    wait_until grep -q '"id":2' "$BATS_TEST_TMPDIR/first" ||
        fail "the first client got: $(cat "$BATS_TEST_TMPDIR/first")"
    run rpc '{"jsonrpc":"2.0","method":"counter","id":"other"}'
    assert_output '{"jsonrpc":"2.0","result":1,"id":"other"}'
    kill "$(cat "$BATS_TEST_TMPDIR/first.pid")"
}
