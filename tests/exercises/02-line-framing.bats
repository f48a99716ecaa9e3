#!/usr/bin/env bats
# Lesson 02's graded exercises (lessons/02-line-framing/README.md, "Exercises").
# `make grade L=02 EXERCISE=k` runs exercise k's tests against a workspace;
# the lesson's reference fails them, and its worked solution
# (lessons/02-line-framing/solutions/k-*.patch) passes them:
# tests/exercises/check.sh. Not part of `make test`. Exercises that ask
# "explain why" have no test.

load exercise

setup() {
    start_server 02-line-framing
}

@test "02 exercise 1: each line is answered in upper case, its length unchanged" {
    run client send 'hello\nTwo words, 2 numbers\n' lines 2
    assert_output "$(printf 'line 1, 5 bytes: HELLO\nline 2, 20 bytes: TWO WORDS, 2 NUMBERS')"
}

@test "02 exercise 1: binary bytes, NUL and 0xff included, pass through unchanged" {
    printf 'a\0b\377c\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" lines 1 >"$BATS_TEST_TMPDIR/out"
    printf 'line 1, 5 bytes: A\0B\377C\n' >"$BATS_TEST_TMPDIR/want"
    cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "02 exercise 3: /stats answers with the lines and bytes so far" {
    run client send 'hello\nab\n/stats\nnext\n/stats\r\n' lines 5
    assert_output "$(printf 'line 1, 5 bytes: hello\nline 2, 2 bytes: ab\nstats: 2 lines, 7 bytes\nline 3, 4 bytes: next\nstats: 3 lines, 11 bytes')"
}

@test "02 exercise 3: only a line that is exactly /stats is the command" {
    run client send '/stats\n/stats \n /stats\n/STATS\n' lines 4
    assert_output "$(printf 'stats: 0 lines, 0 bytes\nline 1, 7 bytes: /stats \nline 2, 7 bytes:  /stats\nline 3, 6 bytes: /STATS')"
}

@test "02 exercise 5: an unfinished last line at EOF is an error, not a line" {
    run client send 'full\npartial' shut eof
    assert_success
    assert_output "$(printf 'line 1, 4 bytes: full\nerror: no newline at end of input')"
}

@test "02 exercise 5: a complete last line is still answered, and nothing more" {
    run client send 'one\ntwo\n' shut eof
    assert_output "$(printf 'line 1, 3 bytes: one\nline 2, 3 bytes: two')"
    run client send 'abc\r' shut eof
    assert_output "error: no newline at end of input"
}
