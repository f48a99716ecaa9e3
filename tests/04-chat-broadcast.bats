#!/usr/bin/env bats
# Lesson 04: a chat room. A line goes to everyone else as "nick: text";
# commands start with "/"; a client that does not read is disconnected.

load helper

setup() {
    start_server 04-chat-broadcast
    CHAT=$(lesson_dir 04-chat-broadcast)/chat-client
}

# in_room NAME: wait until that bg_client has its welcome line.
in_room() {
    wait_until grep -q '^welcome' "$BATS_TEST_TMPDIR/$1" ||
        fail "$1 never got its welcome: $(cat "$BATS_TEST_TMPDIR/$1.err")"
}

# got_it N FILES...: true once N of the files hold a line from guest101.
got_it() {
    local want=$1
    shift
    [ "$(grep -l '^guest101: hello' "$@" | wc -l)" -eq "$want" ]
}

# connected_at_port COUNT: true once COUNT server-side sockets on $PORT are
# connected: a socket reset by its client leaves /proc/net/tcp at once,
# before the server has looked at it.
connected_at_port() {
    local port_hex
    port_hex=$(printf '%04X' "$PORT")
    [ "$(awk -v p=":$port_hex" 'index($2, p) == length($2) - 4 && $4 != "0A"' /proc/net/tcp | wc -l)" -eq "$1" ]
}

joined_count() {
    [ "$(grep -c ' connected ' "$SERVER_LOG")" -eq "$1" ]
}

welcome() {
    echo "welcome, $1! /help lists the commands"
}

@test "04: a newcomer is welcomed by name, the others see it join and leave" {
    bg_client a lines 3
    in_room a
    run client lines 1
    assert_output "$(welcome guest2)"
    bg_done a 3
    assert_output "$(printf '%s\n* guest2 joined\n* guest2 left' "$(welcome guest1)")"
}

@test "04: a line goes to the others as 'nick: text', not back to its sender" {
    bg_client a lines 4
    in_room a
    # If the sender got its own line back, it would come before the /who answer.
    run client send 'hello, room\n/who\n' lines 2
    assert_output "$(printf '%s\nin the room (2): guest1, guest2' "$(welcome guest2)")"
    bg_done a 3
    assert_line --index 2 "guest2: hello, room"
}

@test "04: \\r\\n is accepted, binary bytes pass through, empty lines are ignored" {
    bg_client a lines 5
    in_room a
    printf 'telnet\r\n\n\r\na\0b\377c\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" shut eof >/dev/null
    bg_done a
    printf '%s\n* guest2 joined\nguest2: telnet\nguest2: a\0b\377c\n* guest2 left\n' \
        "$(welcome guest1)" >"$BATS_TEST_TMPDIR/want"
    wait_until cmp -s "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/a" ||
        cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/a"
}

@test "04: a line reaches 100 clients at once, exactly once each" {
    local i
    for i in $(seq 1 100); do
        bg_client "m$i" --timeout "$(waits 3)" eof
    done
    wait_until joined_count 100 || fail "not all joined"
    run client send 'hello, all 100 of you\n/who\n' lines 2
    assert_line --index 1 --regexp '^in the room \(101\): guest1, guest2, .*, guest101$'
    wait_until got_it 100 "$BATS_TEST_TMPDIR"/m? "$BATS_TEST_TMPDIR"/m?? "$BATS_TEST_TMPDIR"/m100 ||
        fail "not everyone got the line"
    stop_server     # the members see EOF and end
    for i in $(seq 1 100); do
        bg_done "m$i"
        [ "$(grep -c '^guest101: hello, all 100 of you$' <<<"$output")" -eq 1 ] ||
            fail "m$i got: $output"
        # The sender's join notice comes before its line.
        grep -A1000 '^\* guest101 joined$' <<<"$output" | grep -q '^guest101: hello'
    done
}

@test "04: each sender's lines arrive in order, however they interleave" {
    bg_client a lines 1003
    in_room a
    bg_client b lines 1002
    in_room b
    seq -f 'one %g' 1 500 >"$BATS_TEST_TMPDIR/one"
    seq -f 'two %g' 1 500 >"$BATS_TEST_TMPDIR/two"
    bg_client s1 file "$BATS_TEST_TMPDIR/one" shut eof
    bg_client s2 file "$BATS_TEST_TMPDIR/two" shut eof
    bg_done s1
    bg_done s2
    local who
    for who in a b; do
        bg_done "$who"
        for s in one two; do
            diff <(sed -n "s/^guest[34]: \($s .*\)/\1/p" "$BATS_TEST_TMPDIR/$who") "$BATS_TEST_TMPDIR/$s"
        done
    done
}

@test "04: a client that never stops talking still hears the room at once" {
    # guest1 says "x" over and over, 16 KiB of lines per write: faster than
    # the server can take them, so its socket is never empty and poll()
    # finds it readable on every turn. What the room says must reach it all
    # the same: a client is read *and* written in one turn. (With "else if"
    # in main()'s loop it was only read, and heard nothing until it paused
    # or its queue reached QUEUE_PAUSE.)
    local block talker
    block=$(printf 'x\\n%.0s' $(seq 8192))
    bg_client talker --timeout "$(waits 3)" repeat 1000000 "$block"
    talker=$(cat "$BATS_TEST_TMPDIR/talker.pid")
    wait_for_log "as guest1"
    client lines 1 >/dev/null            # guest2 comes, and goes
    wait_until grep -q '^\* guest2 joined$' "$BATS_TEST_TMPDIR/talker" ||
        fail "guest1 never heard that guest2 joined while it kept talking; it got: $(head -c 300 "$BATS_TEST_TMPDIR/talker")"
    kill "$talker" || fail "guest1 had stopped talking already: the test proves nothing"
    wait "$talker" || true
}

@test "04: a client that has left hears nothing more, even in the turn it leaves" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see both lines have arrived"
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest1"
    exec 6<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest2"
    # guest1 quits and guest2 speaks in the same turn: the server reads
    # guest1 first (it came first), so guest1 has left the room, but is
    # still connected, when guest2's line is sent to the room.
    kill -STOP "$SERVER_PID"
    printf '/quit\n' >&5
    printf 'hi\n' >&6
    wait_until unread_at_port 1 6 || { kill -CONT "$SERVER_PID"; fail "guest1's /quit never arrived"; }
    wait_until unread_at_port 1 3 || { kill -CONT "$SERVER_PID"; fail "guest2's line never arrived"; }
    kill -CONT "$SERVER_PID"
    timeout "$((${WAIT_SECONDS:-10} * 2))" cat <&5 >"$BATS_TEST_TMPDIR/got" || true
    exec 5>&- 6>&-
    run cat "$BATS_TEST_TMPDIR/got"
    assert_output "$(printf '%s\n* guest2 joined\nbye, guest1' "$(welcome guest1)")"
}

@test "04: a line is freed once every queue has sent it: memory stays flat while lines flow" {
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure peak memory"
    ! grep -q fsanitize "$(lesson_dir 04-chat-broadcast)/.build-flags" 2>/dev/null ||
        skip "peak RSS means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    bg_client reader --timeout "$(waits 3)" lines 20003
    in_room reader
    # 20,000 lines of 200 bytes (4 MB) in bursts of 500, 5 ms apart: the
    # reader keeps up, so each line is sent and freed soon after it came.
    # Lines that are never freed would add up to 20,000 blocks of 240 bytes.
    mkdir "$BATS_TEST_TMPDIR/chunks"
    seq -f "%g $(printf '%200s' '' | tr ' ' y)" 1 20000 | split -l 500 - "$BATS_TEST_TMPDIR/chunks/c."
    local ops=() f before after
    for f in "$BATS_TEST_TMPDIR"/chunks/c.*; do ops+=(file "$f" sleep 5); done
    before=$(server_status_kib VmHWM)
    run client --timeout "$(waits 3)" "${ops[@]}" shut eof
    assert_success
    bg_done reader
    after=$(server_status_kib VmHWM)
    [ "$(grep -c '^guest2: [0-9]* y*$' <<<"$output")" -eq 20000 ] || fail "the reader did not get every line"
    echo "20,000 lines relayed: peak RSS grew $((after - before)) KiB" >&3
    [ $((after - before)) -le 1024 ] || fail "peak RSS grew $((after - before)) KiB while 4 MB of lines went through"
}

@test "04: clients vanishing in the same turn are all announced, and the room goes on" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see the resets have arrived"
    bg_client keeper --timeout "$(waits 3)" lines 7 send '/who\n' lines 8
    in_room keeper
    local i
    for i in 2 3 4; do              # on fds 7, 8 and 9
        eval "exec $((5 + i))<>/dev/tcp/127.0.0.1/$PORT"
        wait_for_log "as guest$i"
    done
    # guest2, guest3 and guest4 (the last in the list) close with lines
    # unread, so their kernels answer with RST: the server finds all three
    # gone in one turn. (Removed from the list as soon as each was found,
    # the next was skipped and a freed one served.)
    kill -STOP "$SERVER_PID"
    exec 7>&- 8>&- 9>&-
    wait_until connected_at_port 1 || { kill -CONT "$SERVER_PID"; fail "the resets never arrived"; }
    kill -CONT "$SERVER_PID"
    bg_done keeper
    assert_line --index 4 "* guest2 left (connection lost)"
    assert_line --index 5 "* guest3 left (connection lost)"
    assert_line --index 6 "* guest4 left (connection lost)"
    assert_line --index 7 "in the room (1): guest1"
}

@test "04: /nick takes a valid free name, and the room is told" {
    bg_client a lines 5
    in_room a
    run client send '/nick alice\nhi\n/who\n' lines 3
    assert_output "$(printf '%s\nyou are now alice\nin the room (2): guest1, alice' "$(welcome guest2)")"
    bg_done a 4
    assert_line --index 2 "* guest2 is now alice"
    assert_line --index 3 "alice: hi"
    wait_for_log "guest2 is now alice"
}

@test "04: /nick refuses invalid names with a reason, and the name stays" {
    run client send '/nick\n/nick a b\n/nick abcdefghijklmnopq\n/nick bad!\n/nick Guest7\n/who\n' lines 7
    assert_line --index 1 "error: usage: /nick NAME"
    assert_line --index 2 "error: usage: /nick NAME"
    assert_line --index 3 "error: a name is 1 to 16 characters long"
    assert_line --index 4 "error: a name may hold only letters, digits, _ and -"
    assert_line --index 5 'error: names starting with "guest" are kept for newcomers'
    assert_line --index 6 "in the room (1): guest1"
}

@test "04: /nick refuses a name that is taken, whatever its case" {
    bg_client a send '/nick alice\n' lines 4
    wait_until grep -q 'you are now alice' "$BATS_TEST_TMPDIR/a"
    run client send '/nick alice\n/nick ALICE\n/nick abcdefghijklmnop\n' lines 4
    assert_line --index 1 "error: alice is taken"
    assert_line --index 2 "error: alice is taken"
    assert_line --index 3 "you are now abcdefghijklmnop"
    bg_done a
}

@test "04: /who lists everyone in the order they came" {
    bg_client a lines 5
    in_room a
    bg_client b send '/nick bob\n' lines 4
    wait_until grep -q 'you are now bob' "$BATS_TEST_TMPDIR/b"
    run client send '/who extra words are ignored\n' lines 2
    assert_line --index 1 "in the room (3): guest1, bob, guest3"
    bg_done a
    bg_done b
}

@test "04: /msg reaches only its recipient; a missing name is an error" {
    bg_client a lines 6
    in_room a
    bg_client b lines 4
    in_room b
    run client send '/msg guest1 psst, just you\n/msg nobody hello\n/msg guest1\nfor all\n' lines 3
    assert_line --index 1 "error: no one here is called nobody"
    assert_line --index 2 "error: usage: /msg NAME TEXT"
    bg_done a 5
    assert_line --index 3 "guest3 (private): psst, just you"
    assert_line --index 4 "guest3: for all"
    bg_done b 3
    assert_line --index 2 "guest3: for all"
}

@test "04: /me, //, /help and /quit" {
    bg_client a lines 5
    in_room a
    run client send '/me waves\n//etc is a directory\n/help\n/quit\nnever said\n' eof
    assert_success
    assert_line --index 1 "commands:"
    assert_line --index 2 --partial "/nick NAME"
    assert_line --index -1 "bye, guest2"
    bg_done a 5
    assert_output "$(printf '%s\n* guest2 joined\n* guest2 waves\nguest2: /etc is a directory\n* guest2 left' "$(welcome guest1)")"
}

@test "04: an unknown command is an error for its sender only" {
    bg_client a lines 3
    in_room a
    run client send '/dance now\n/\nafter\n' lines 3
    assert_line --index 1 "error: unknown command /dance; try /help"
    assert_line --index 2 "error: unknown command /; try /help"
    bg_done a 3
    assert_line --index 2 "guest2: after"
}

@test "04: a line of 4096 bytes is said; a longer one is refused, and the room told" {
    local line
    line=$(printf '%4096s' '' | tr ' ' x)
    bg_client a lines 4
    in_room a
    run client send "$line\\n$line" send 'y\n' eof
    assert_output "$(printf '%s\nerror: line longer than 4096 bytes' "$(welcome guest2)")"
    bg_done a 4
    assert_line --index 2 "guest2: $line"
    assert_line --index 3 "* guest2 left (line longer than 4096 bytes)"
    wait_for_log "guest2 left (line longer than 4096 bytes)"
}

@test "04: a half-closed client's last, unfinished line is said before it leaves" {
    bg_client a lines 5
    in_room a
    run client send 'one\ntwo without newline' shut eof
    assert_success
    bg_done a 5
    assert_line --index 2 "guest2: one"
    assert_line --index 3 "guest2: two without newline"
    assert_line --index 4 "* guest2 left"
}

@test "04: a client that never reads is disconnected; the others get every line" {
    # guest1 connects and never reads a byte (bash's /dev/tcp), so its
    # queue fills once its kernel buffers are full.
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest1"
    bg_client reader --timeout "$(waits 3)" lines 4100
    in_room reader
    # 16 MiB in 64 KiB bursts, 10 ms apart: more than any socket buffers
    # hold, at a pace a reading client keeps up with even on a busy machine
    # (if it fell 256 KiB behind, it would rightly be dropped as too slow).
    mkdir "$BATS_TEST_TMPDIR/chunks"
    seq -f "%g $(printf '%4000s' '' | tr ' ' x)" 1 4096 |
        split -l 16 - "$BATS_TEST_TMPDIR/chunks/c."
    local ops=() f
    for f in "$BATS_TEST_TMPDIR"/chunks/c.*; do ops+=(file "$f" sleep 10); done
    run client --timeout "$(waits 3)" "${ops[@]}" send '/quit\n' eof
    assert_success
    assert_output "$(printf '%s\n* guest1 left (too slow to keep up)\nbye, guest3' "$(welcome guest3)")"
    exec 5>&-
    bg_done reader
    assert_line --index 1 "* guest3 joined"
    # (grep, not assert_line: bash takes seconds to walk 4,100 long lines)
    grep -qxF "* guest1 left (too slow to keep up)" "$BATS_TEST_TMPDIR/reader" ||
        fail "the reader never heard that guest1 left"
    grep -qxF "* guest3 left" "$BATS_TEST_TMPDIR/reader" || fail "the reader never heard that guest3 left"
    diff <(seq 1 4096) <(sed -n 's/^guest3: \([0-9]*\) x*$/\1/p' "$BATS_TEST_TMPDIR/reader")
    wait_for_log "guest1 left (too slow to keep up)"
}

@test "04: clients vanishing mid-broadcast (RST) do not disturb the others" {
    bg_client reader --timeout "$(waits 3)" lines 2013
    in_room reader
    local i
    for i in 1 2 3 4 5; do
        bg_client "x$i" lines 20 rst
        in_room "x$i"
    done
    seq -f "%g $(printf '%100s' '' | tr ' ' y)" 1 2000 >"$BATS_TEST_TMPDIR/lines"
    run client file "$BATS_TEST_TMPDIR/lines" shut eof
    assert_success
    bg_done reader
    diff <(seq 1 2000) <(sed -n 's/^guest7: \([0-9]*\) y*$/\1/p' "$BATS_TEST_TMPDIR/reader")
    [ "$(grep -c '^\* guest[2-6] left' "$BATS_TEST_TMPDIR/reader")" -eq 5 ]
}

@test "04: a client that is ready both ways is read and written in the same turn" {
    # A chat client can want both at once: it talks while the room's lines
    # queue up for it. One that never stops talking must still be written
    # to, so a turn that finds it readable and writable does both. (With
    # "else if" in main()'s loop, a readable client is not written to until
    # it falls silent.) Made certain with --trace: while the server is
    # stopped, guest1 connects and sends 16 KiB of empty lines; its welcome
    # is queued when it is accepted, so the next turn finds it IN|OUT.
    stop_server
    start_server 04-chat-broadcast --trace
    kill -STOP "$SERVER_PID"
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    head -c 16384 /dev/zero | tr '\0' '\n' >&5
    kill -CONT "$SERVER_PID"
    local line
    IFS= read -r -t "${WAIT_SECONDS:-10}" line <&5 || fail "guest1 got no welcome"
    assert_equal "$line" "$(welcome guest1)"
    exec 5>&-
    # The first turn that found guest1's fd readable and writable: what the
    # server did in it, up to the next wake-up.
    local fd
    fd=$(sed -n 's/.*connected (fd \([0-9]*\)) as guest1$/\1/p' "$SERVER_LOG")
    run awk -v fd="$fd" '
        turn && /trace: poll (woke up|watched)/ { exit }
        turn { print }
        !turn && /trace: poll woke up/ && $0 ~ ("fd " fd " IN[|]OUT") { turn = 1; print }' "$SERVER_LOG"
    assert_line --partial "IN|OUT"
    assert_line --partial "trace: read fd $fd: "
    assert_line --partial "trace: write fd $fd: "
}

@test "04: a sender's burst of several buffers reaches a listener in one writev()" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see the burst has arrived"
    # One read() takes at most one line buffer (4,098 bytes). A sender with
    # 12,000 bytes waiting is read again in the same turn (READ_BATCH), so
    # its 200 lines go out to each listener in one writev(), not three or
    # four. Made certain with --trace: the server is stopped while the
    # burst arrives, then the listener's writes are counted.
    stop_server
    start_server 04-chat-broadcast --trace
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest1"
    local line
    IFS= read -r -t "${WAIT_SECONDS:-10}" line <&5 || fail "guest1 got no welcome"
    kill -STOP "$SERVER_PID"
    exec 6<>"/dev/tcp/127.0.0.1/$PORT"
    local burst
    burst=$(printf '%59s' '' | tr ' ' x)
    for _ in $(seq 200); do printf '%s\n' "$burst"; done >&6
    wait_until unread_at_port 1 12000 || { kill -CONT "$SERVER_PID"; fail "the burst never arrived"; }
    kill -CONT "$SERVER_PID"
    local got=0
    IFS= read -r -t "${WAIT_SECONDS:-10}" line <&5 || fail "guest1 was not told that guest2 joined"
    assert_equal "$line" "* guest2 joined"
    while [ $got -lt 200 ] && IFS= read -r -t "${WAIT_SECONDS:-10}" line <&5; do
        [ "$line" = "guest2: $burst" ] || fail "guest1 got '$line'"
        got=$((got + 1))
    done
    exec 5>&- 6>&-
    [ $got -eq 200 ] || fail "guest1 got $got of the 200 lines"
    local fd
    fd=$(sed -n 's/.*connected (fd \([0-9]*\)) as guest1$/\1/p' "$SERVER_LOG")
    # 200 lines of "guest2: " + 59 bytes + "\n": 13,600 bytes in one call.
    run grep "trace: write fd $fd: " "$SERVER_LOG"
    assert_line --partial "trace: write fd $fd: 13600 bytes"
}

@test "04: chat-client from a pipe: sends, half-closes, prints every answer" {
    bg_client a lines 6
    in_room a
    run "$CHAT" --port "$PORT" --nick pipe < <(printf 'hello from a pipe\n/who\nlast words, no newline')
    assert_success
    assert_output "$(printf '%s\nyou are now pipe\nin the room (2): guest1, pipe' "$(welcome guest2)")"
    bg_done a 6
    assert_output "$(printf '%s\n* guest2 joined\n* guest2 is now pipe\npipe: hello from a pipe\npipe: last words, no newline\n* pipe left' "$(welcome guest1)")"
}

@test "04: chat-client prints incoming lines while its stdin is idle" {
    mkfifo "$BATS_TEST_TMPDIR/keys"
    "$CHAT" --port "$PORT" <"$BATS_TEST_TMPDIR/keys" >"$BATS_TEST_TMPDIR/screen" 3>&- &
    local pid=$!
    exec 6>"$BATS_TEST_TMPDIR/keys"      # the "keyboard": open, nothing typed
    wait_until grep -q '^welcome' "$BATS_TEST_TMPDIR/screen"
    client send 'ping\n' >/dev/null
    wait_until grep -q '^guest2: ping$' "$BATS_TEST_TMPDIR/screen" || fail "no ping: $(cat "$BATS_TEST_TMPDIR/screen")"
    echo /who >&6
    wait_until grep -q '^in the room (1): guest1$' "$BATS_TEST_TMPDIR/screen"
    exec 6>&-                            # Ctrl-D
    wait "$pid"
}

@test "04: chat-client says so when the server closes the connection" {
    run "$CHAT" --port "$PORT" < <(echo /quit; exec sleep "$(waits 1)" 3>&-)
    assert_failure 1            # the server closed first (see chat-client.c)
    assert_line --index 1 "bye, guest1"
    assert_line --index 2 "chat-client: the server closed the connection"
}

@test "04: chat-client: --help, bad arguments, no server" {
    run "$CHAT" --help
    assert_success
    assert_line --index 0 --partial "usage: chat-client"
    run "$CHAT" --bogus
    assert_failure 2
    run "$CHAT" --port
    assert_failure 2
    stop_server
    run "$CHAT" --port "$PORT"
    assert_failure 1
    assert_output --partial "cannot connect"
}

@test "04: a client reading at full speed is not dropped when a burst lands in one turn" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see the burst has arrived"
    # bob reads as fast as it can: welcome, its new name, then 80 joins, 80
    # private messages and 80 goodbyes (each sender quits after its message),
    # in whatever order they interleave: 242 lines.
    bg_client bob --timeout "$(waits 6)" send '/nick bob\n' lines 242
    wait_until grep -q 'you are now bob' "$BATS_TEST_TMPDIR/bob"
    # Stop the server, let 80 clients connect and send 4,000 bytes to bob
    # each (320 KB in all, more than MAX_QUEUE), then let it go: it accepts
    # all 80 in one turn and reads all 80 lines in the next.
    local text i
    text=$(printf '%4000s' '' | tr ' ' m)
    kill -STOP "$SERVER_PID"
    for i in $(seq 1 80); do
        bg_client "s$i" --timeout "$(waits 6)" send "/msg bob $text\\n/quit\\n" eof
    done
    wait_until unread_at_port 80 4016 || { kill -CONT "$SERVER_PID"; fail "the burst never arrived"; }
    kill -CONT "$SERVER_PID"
    bg_done bob
    [ "$(grep -c '^guest[0-9]* (private): m*$' <<<"$output")" -eq 80 ] ||
        fail "bob got $(grep -c 'private' <<<"$output") of 80: $(grep -v private <<<"$output" | tail -3)"
    for i in $(seq 1 80); do bg_done "s$i"; done
    run grep 'too slow' "$SERVER_LOG"
    assert_failure
}

@test "04: a client that asks faster than it reads is paced, not dropped: it gets every answer" {
    # guest1 sends private messages to itself and reads nothing until its
    # socket stays full: its answers fill its queue, we stop reading it at
    # QUEUE_PAUSE (back-pressure), and its next requests wait in the kernel.
    # Then it half-closes and reads everything: every answer, in order and
    # whole. (Read on regardless, its queue passed MAX_QUEUE, and it was
    # dropped as too slow.) Requests of 100 bytes, answers of 106.
    local x wrote full
    x=$(printf '%87s' '' | tr ' ' x)
    client --timeout "$(waits 3)" flood 67108864 "/msg guest1 $x\\n" send '\n' shut eof \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
    wrote=$(sed -n 's/^flood: wrote \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/err")
    [ -n "$wrote" ] || fail "the client failed: $(cat "$BATS_TEST_TMPDIR/err")$(grep -h 'left (' "$SERVER_LOG" | head -n 1 | sed 's/^/; the server log: /')"
    full=$((wrote / 100))
    # The welcome, a reply to every whole request, in order and whole, then
    # at most the answer to the cut one and the goodbye.
    awk -v n="$full" -v x="$x" 'BEGIN {
        print "welcome, guest1! /help lists the commands"
        for (i = 1; i <= n; i++) print "guest1 (private): " x }' >"$BATS_TEST_TMPDIR/want"
    if ! head -n $((full + 1)) "$BATS_TEST_TMPDIR/out" | cmp -s "$BATS_TEST_TMPDIR/want" -; then
        local at     # (cmp says "line N" where they first differ)
        at=$(head -n $((full + 1)) "$BATS_TEST_TMPDIR/out" | cmp "$BATS_TEST_TMPDIR/want" - 2>&1 | sed -n 's/.* line \([0-9]*\).*/, different from line \1 on/p')
        fail "got $(wc -l <"$BATS_TEST_TMPDIR/out" | tr -d ' ') lines for $full messages$at $(grep '^tcpc:' "$BATS_TEST_TMPDIR/err")"
    fi
    [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -le $((full + 2)) ] ||
        fail "got $(wc -l <"$BATS_TEST_TMPDIR/out" | tr -d ' ') lines for $full messages: $(sed -n "$((full + 2)),\$p" "$BATS_TEST_TMPDIR/out" | head -c 300)"
}

too_slow_count() {
    [ "$(grep -c 'left (too slow to keep up)' "$SERVER_LOG")" -ge "$1" ]
}

# stalled_memory N: N clients that never read, one sender flooding "x\n"
# until all N are dropped; prints the growth of the server's peak RSS, KiB.
stalled_memory() {
    local n=$1 i before after
    local fds=()
    for ((i = 0; i < n; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        fds+=("$fd")
    done
    wait_until joined_count "$n" || fail "not all joined"
    before=$(server_status_kib VmHWM)
    bg_client flood --timeout "$(waits 12)" repeat 20000000 'x\n'
    wait_until too_slow_count "$n" || true
    after=$(server_status_kib VmHWM)
    kill "$(cat "$BATS_TEST_TMPDIR/flood.pid")" 2>/dev/null || true
    wait "$(cat "$BATS_TEST_TMPDIR/flood.pid")" 2>/dev/null || true
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    too_slow_count "$n" || fail "only $(grep -c 'too slow' "$SERVER_LOG") of $n stalled clients were dropped"
    echo $((after - before))
}

@test "04: a stalled client costs at most MAX_QUEUE (256 KiB) of memory, 1-byte lines included" {
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure peak memory"
    ! grep -q fsanitize "$(lesson_dir 04-chat-broadcast)/.build-flags" 2>/dev/null ||
        skip "peak RSS means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    local grown
    grown=$(stalled_memory 1)
    echo "1 stalled client: peak RSS grew $grown KiB" >&3
    # The bound, plus 256 KiB for what is not a queue (malloc's own pages).
    [ "$grown" -le $((256 + 256)) ] || fail "peak RSS grew $grown KiB for 1 stalled client"
}

@test "04: 10 stalled clients cost at most 10 x MAX_QUEUE of memory" {
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure peak memory"
    ! grep -q fsanitize "$(lesson_dir 04-chat-broadcast)/.build-flags" 2>/dev/null ||
        skip "peak RSS means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    local grown
    grown=$(stalled_memory 10)
    echo "10 stalled clients: peak RSS grew $grown KiB" >&3
    [ "$grown" -le $((10 * 256 + 256)) ] || fail "peak RSS grew $grown KiB for 10 stalled clients"
}

@test "04: 10 stalled clients share each line: they cost less than 4 x MAX_QUEUE of memory" {
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure peak memory"
    ! grep -q fsanitize "$(lesson_dir 04-chat-broadcast)/.build-flags" 2>/dev/null ||
        skip "peak RSS means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    local grown
    grown=$(stalled_memory 10)
    echo "10 stalled clients: peak RSS grew $grown KiB" >&3
    # Each queue holds up to MAX_QUEUE of pointers to the same lines: a copy
    # per client would cost 10 x MAX_QUEUE.
    [ "$grown" -le $((4 * 256)) ] || fail "peak RSS grew $grown KiB for 10 stalled clients: is each line stored once?"
}
