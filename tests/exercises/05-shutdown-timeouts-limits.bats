#!/usr/bin/env bats
# Lesson 05's graded exercises (lessons/05-shutdown-timeouts-limits/README.md,
# "Exercises"). `make grade L=05 EXERCISE=k` runs exercise k's tests against
# a workspace; the lesson's reference fails them, and its worked solution
# (lessons/05-shutdown-timeouts-limits/solutions/k-*.patch) passes them:
# tests/exercises/check.sh. Not part of `make test`. Exercises that ask
# "explain why" or measure have no test. Each test starts its own server.

load exercise

LESSON=05-shutdown-timeouts-limits

welcome() {
    echo "welcome, $1! /help lists the commands"
}

@test "05 exercise 4: --max-per-ip: one connection too many from an address is turned away" {
    start_server $LESSON --max-per-ip 2
    bg_client a --timeout 30 sleep 30000
    wait_for_log "as guest1"              # a is guest1: the kill below names it
    bg_client b --timeout 30 sleep 30000
    wait_for_log "as guest2"
    run client --timeout 5 eof
    assert_output "error: too many connections from your address, try again later"
    kill "$(cat "$BATS_TEST_TMPDIR/a.pid")"
    wait_for_log "guest1 left"
    run client --timeout 5 lines 1
    assert_output "$(welcome guest3)"
    kill "$(cat "$BATS_TEST_TMPDIR/b.pid")" 2>/dev/null || true
}

@test "05 exercise 4: --max-per-ip is an option like the others: in --help, checked" {
    run "$(lesson_dir $LESSON)/server" --help
    assert_success
    assert_output --regexp '--max-per-ip N'
    run "$(lesson_dir $LESSON)/server" --max-per-ip 0
    assert_failure 2
    run "$(lesson_dir $LESSON)/server" --max-per-ip many
    assert_failure 2
}

@test "05 exercise 5: a silent client is warned at 80% of --idle-timeout, then closed" {
    start_server $LESSON --idle-timeout 1
    run client --timeout 20 eof
    assert_success
    assert_output "$(welcome guest1)
* you will be disconnected in 1 s
error: no line from you for 1 s; bye"
}

@test "05 exercise 5: a line after the warning keeps the client; it is warned again later" {
    # 5 s: warned at 4 s, so the /quit has a second to arrive before 5 s.
    start_server $LESSON --idle-timeout 5
    bg_client a --timeout 30 lines 2 send '/who\n' lines 4 send '/quit\n' eof
    bg_done a
    assert_output "$(welcome guest1)
* you will be disconnected in 1 s
in the room (1): guest1
* you will be disconnected in 1 s
bye, guest1"
    run grep -c 'left (idle)' "$SERVER_LOG"
    assert_output 0
}
