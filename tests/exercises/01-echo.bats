#!/usr/bin/env bats
# Lesson 01's graded exercises (lessons/01-echo/README.md, "Exercises").
# `make grade L=01 EXERCISE=k` runs exercise k's tests against a workspace;
# the lesson's reference fails them, and its worked solution
# (lessons/01-echo/solutions/k-*.patch) passes them: tests/exercises/check.sh.
# Not part of `make test`. Exercises that ask "explain why" have no test.

load exercise

setup() {
    start_server 01-echo
}

@test "01 exercise 1: the log counts the clients open, on every connect and close" {
    bg_client first sleep 5000
    wait_for_log ': connected (fd [0-9]*), 1 open$'
    run client send 'x' read 1          # a second client comes and goes
    assert_output "x"
    wait_for_log ': closed (fd [0-9]*), 1 open$'
    run grep -c ': connected (fd [0-9]*), 2 open$' "$SERVER_LOG"
    assert_output 1
    kill "$(cat "$BATS_TEST_TMPDIR/first.pid")"
    wait_for_log ': closed (fd [0-9]*), 0 open$'
}

@test "01 exercise 1: several clients closing in the same turn are counted right" {
    local i pids=()
    for i in 1 2 3 4 5; do bg_client "c$i" sleep 5000; done
    wait_for_log ': connected (fd [0-9]*), 5 open$'
    for i in 1 2 3 4 5; do pids+=("$(cat "$BATS_TEST_TMPDIR/c$i.pid")"); done
    kill "${pids[@]}"                   # all at once: often one turn for all
    wait_for_log ': closed (fd [0-9]*), 0 open$'
    # Each close leaves one fewer: 4, 3, 2, 1 and 0 open, five different counts.
    run sh -c "grep ': closed (fd' '$SERVER_LOG' | sed 's/.*, //' | sort -u | wc -l"
    assert_output 5
}

@test "01 exercise 3: the log says how many bytes a client was echoed when it closes" {
    run client send 'hello' read 5 shut eof
    assert_output "hello"
    wait_for_log ': closed by client after 5 bytes'
    head -c 1000000 /dev/zero >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" shut eof >/dev/null
    wait_for_log ': closed by client after 1000000 bytes'
}

@test "01 exercise 4: the echo comes back in upper case" {
    run client send 'hello, World 42\n' read 16
    assert_output "HELLO, WORLD 42"
}

@test "01 exercise 4: binary bytes, NUL and 0xff included, pass through unchanged" {
    printf 'a\0b\377\r\n' >"$BATS_TEST_TMPDIR/in"
    printf 'A\0B\377\r\n' >"$BATS_TEST_TMPDIR/want"
    client file "$BATS_TEST_TMPDIR/in" read 6 >"$BATS_TEST_TMPDIR/out"
    cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}
