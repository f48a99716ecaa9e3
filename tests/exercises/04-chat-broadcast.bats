#!/usr/bin/env bats
# Lesson 04's graded exercises (lessons/04-chat-broadcast/README.md, "Exercises").
# `make grade L=04 EXERCISE=k` runs exercise k's tests against a workspace;
# the lesson's reference fails them, and its worked solution
# (lessons/04-chat-broadcast/solutions/k-*.patch) passes them:
# tests/exercises/check.sh. Not part of `make test`. Exercises that ask
# "explain why" or need a terminal have no test.

load exercise

setup() {
    start_server 04-chat-broadcast
}

welcome() {
    echo "welcome, $1! /help lists the commands"
}

# in_room NAME: wait until that bg_client has its welcome line.
in_room() {
    wait_until grep -q '^welcome' "$BATS_TEST_TMPDIR/$1" ||
        fail "$1 never got its welcome: $(cat "$BATS_TEST_TMPDIR/$1.err")"
}

@test "04 exercise 1: /topic sets the topic and tells the room; /topic alone shows it" {
    bg_client a lines 3
    in_room a
    run client send '/topic\n/topic poll() all day\n/topic\n' lines 4
    assert_line --index 0 "$(welcome guest2)"
    assert_line --index 1 "no topic yet: /topic TEXT sets one"
    assert_line --index 2 "the topic is now: poll() all day"
    assert_line --index 3 "topic: poll() all day"
    bg_done a 3
    assert_output "$(welcome guest1)
* guest2 joined
* guest2 set the topic: poll() all day"
}

@test "04 exercise 1: a newcomer gets the topic right after the welcome" {
    run client send '/topic first\n/topic second one\n' lines 3
    assert_line --index 2 "the topic is now: second one"
    run client lines 2
    assert_output "$(welcome guest2)
topic: second one"
}

@test "04 exercise 3: control bytes in said text reach the others as ?" {
    bg_client a lines 6
    in_room a
    # ESC [2J clears a terminal; TAB, BEL, DEL, NUL are control bytes too.
    printf 'a\033[2Jb\tc\007d\177e\0f\n/me \033]0;owned\007\n/msg guest1 \033[31mred\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" shut eof >/dev/null
    bg_done a 6
    assert_output "$(welcome guest1)
* guest2 joined
guest2: a?[2Jb?c?d?e?f
* guest2 ?]0;owned?
guest2 (private): ?[31mred
* guest2 left"
}

@test "04 exercise 3: text without control bytes, UTF-8 and 0xff included, is unchanged" {
    bg_client a lines 3
    in_room a
    printf 'caf\303\251 \377 ~!\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" lines 1 >/dev/null
    bg_done a 3
    assert_line --index 2 "$(printf 'guest2: caf\303\251 \377 ~!')"
}

@test "04 exercise 5: /join moves you to a room; lines stay inside a room" {
    bg_client a lines 5
    in_room a
    bg_client b lines 4
    wait_until grep -q '^\* guest2 joined' "$BATS_TEST_TMPDIR/a"
    # guest3 joins room c; then says something that guest1 and guest2, in
    # lobby, must not see; then comes back and says "back".
    run client send '/join c\nsecret\n/join lobby\nback\n' lines 3
    assert_line --index 1 "you are now in c"
    assert_line --index 2 "you are now in lobby"
    bg_done a 5
    assert_output "$(welcome guest1)
* guest2 joined
* guest3 joined
* guest3 left for c
* guest3 joined lobby"
    bg_done b 4
    assert_line --index 3 "* guest3 joined lobby"
}

@test "04 exercise 5: /who lists your room only; /msg reaches any room" {
    bg_client a send '/join kitchen\n' lines 4 sleep 5000
    wait_until grep -q '^you are now in kitchen' "$BATS_TEST_TMPDIR/a"
    run client send '/who\n/msg guest1 hi\n/join kitchen\n/who\n' lines 4
    assert_output "$(welcome guest2)
in the room (1): guest2
you are now in kitchen
in the room (2): guest1, guest2"
    wait_until grep -q '^\* guest2 joined kitchen' "$BATS_TEST_TMPDIR/a" ||
        fail "guest1 got: $(cat "$BATS_TEST_TMPDIR/a")"
    kill "$(cat "$BATS_TEST_TMPDIR/a.pid")"
    run head -n 4 "$BATS_TEST_TMPDIR/a"
    assert_output "$(welcome guest1)
you are now in kitchen
guest2 (private): hi
* guest2 joined kitchen"
}

@test "04 exercise 5: a room's name is checked" {
    run client send '/join\n/join a b\n/join \033x\n/join seventeen-chars-x\n' lines 5
    assert_output "$(welcome guest1)
error: usage: /join ROOM
error: usage: /join ROOM
error: a room's name may hold only letters, digits, _ and -
error: a room's name is 1 to 16 characters long"
}
