#!/usr/bin/env bats
# Lesson 05: the chat server with graceful shutdown, timeouts and limits.
# Timeouts are set to 1 s where a test needs them; every wait is bounded,
# and the tests check what happens, never how fast.

load helper

LESSON=05-shutdown-timeouts-limits

welcome() {
    echo "welcome, $1! /help lists the commands"
}

# A client that never reads: bash's /dev/tcp on fd 5. Its queue only grows.
connect_never_reading() {
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as $1"
}

# Send N lines of about 200 bytes, numbered, from a client that then leaves.
send_numbered_lines() {
    seq -f "%g $(printf '%200s' '' | tr ' ' y)" 1 "$1" >"$BATS_TEST_TMPDIR/lines"
    run client --timeout 30 file "$BATS_TEST_TMPDIR/lines" shut eof
    assert_success
}

# True once the server process has exited (a zombie counts: it is done).
server_gone() {
    local state
    state=$(ps -o stat= -p "$SERVER_PID" 2>/dev/null) || return 0
    [ -z "$state" ] || [[ $state == Z* ]]
}

# server_exits STATUS: wait (bounded) for the server to exit by itself.
server_exits() {
    wait_until server_gone || fail "the server did not exit; log: $(cat "$SERVER_LOG")"
    local status=0
    wait "$SERVER_PID" || status=$?
    SERVER_PID=
    [ "$status" -eq "$1" ] || fail "exit status $status, not $1; log: $(cat "$SERVER_LOG")"
}

assert_server_sleeps() {
    [ -r "/proc/$SERVER_PID/stat" ] || skip "no /proc here"
    local before after
    before=$(server_cpu_ticks)
    sleep 2
    after=$(server_cpu_ticks)
    # A busy loop burns ~200 ticks in 2 s; a sleeping server about 0.
    [ $((after - before)) -lt 50 ] || fail "the server used $((after - before)) ticks in 2 s"
}

@test "05: SIGTERM: a reading client gets everything queued, then the notice; exit 0" {
    start_server $LESSON --max-queue 67108864
    connect_never_reading guest1          # ... until the signal
    send_numbered_lines 40000             # 8 MB: more than the kernel buffers
    wait_for_log "guest2 left"
    kill -TERM "$SERVER_PID"
    wait_for_log "shutting down: 1 clients"
    grep -E -q 'shutting down: 1 clients, [1-9][0-9]* bytes queued' "$SERVER_LOG" ||
        fail "nothing was queued: $(cat "$SERVER_LOG")"
    # Now read: everything, then the notice, then EOF.
    timeout 20 cat <&5 >"$BATS_TEST_TMPDIR/got"
    exec 5>&-
    server_exits 0
    run head -n 2 "$BATS_TEST_TMPDIR/got"
    assert_output "$(printf '%s\n* guest2 joined' "$(welcome guest1)")"
    run tail -n 2 "$BATS_TEST_TMPDIR/got"
    assert_output "$(printf '* guest2 left\n* server shutting down')"
    diff <(seq 1 40000) <(sed -n 's/^guest2: \([0-9]*\) y*$/\1/p' "$BATS_TEST_TMPDIR/got")
    wait_for_log "drained: every client is gone"
}

@test "05: SIGTERM with no clients exits at once, status 0" {
    start_server $LESSON
    kill -TERM "$SERVER_PID"
    server_exits 0
    wait_for_log "drained"
}

@test "05: a client that never reads does not hold the shutdown past the drain deadline" {
    start_server $LESSON --drain-timeout 1 --max-queue 67108864
    connect_never_reading guest1
    bg_client reader --timeout 30 eof
    wait_for_log "as guest2"
    send_numbered_lines 40000
    kill -TERM "$SERVER_PID"
    server_exits 1                        # 1: bytes were left unsent
    exec 5>&-
    wait_for_log "drain deadline: closing 1 clients"
    bg_done reader                        # the reader got all, and its close
    [ "$(grep -c '^guest3: ' <<<"$output")" -eq 40000 ]
    assert_line --index -1 "* server shutting down"
}

@test "05: a second SIGINT during the drain exits at once; no new clients meanwhile" {
    start_server $LESSON --drain-timeout 600 --max-queue 67108864
    connect_never_reading guest1
    send_numbered_lines 40000
    kill -INT "$SERVER_PID"
    wait_for_log "shutting down"
    run client eof                        # the listener is closed
    assert_failure 1
    assert_output --partial "cannot connect"
    kill -INT "$SERVER_PID"
    server_exits 1
    exec 5>&-
    wait_for_log "second signal: exiting now"
}

@test "05: a client that sends nothing is told and closed after --idle-timeout" {
    start_server $LESSON --idle-timeout 1
    # guest1 keeps talking (an empty line is enough) and stays.
    local ops=() i
    for i in 1 2 3 4 5 6 7 8; do ops+=(send '\n' sleep 300); done
    bg_client talker "${ops[@]}" send '/who\n' sleep 500
    wait_for_log "as guest1"
    run client --timeout 20 eof           # guest2 says nothing
    assert_success
    assert_output "$(printf '%s\nerror: no line from you for 1 s; bye' "$(welcome guest2)")"
    bg_done talker
    assert_line "* guest2 left (idle)"
    assert_line "in the room (1): guest1"
    wait_for_log "guest2 left (idle)"
}

@test "05: slowloris, one byte at a time and never a whole line, is an idle client" {
    start_server $LESSON --idle-timeout 1
    local ops=() ch
    for ch in G E T ' ' / ' ' H T T P; do ops+=(send "$ch" sleep 300); done
    run client --timeout 20 "${ops[@]}" eof
    assert_success
    assert_output "$(printf '%s\nerror: no line from you for 1 s; bye' "$(welcome guest1)")"
    wait_for_log "guest1 left (idle)"
}

@test "05: output that makes no progress for --write-timeout: the client is dropped" {
    start_server $LESSON --write-timeout 1 --max-queue 67108864
    connect_never_reading guest1
    bg_client watcher --timeout 30 eof
    wait_for_log "as guest2"
    send_numbered_lines 40000
    wait_for_log "no progress for 1 s; dropping it"
    wait_for_log "guest1 left (too slow to keep up)"
    exec 5>&-
    stop_server
    bg_done watcher
    assert_line "* guest1 left (too slow to keep up)"
}

@test "05: --max-clients: the next client gets one line and the close; later, room again" {
    start_server $LESSON --max-clients 2
    bg_client a --timeout 30 eof
    wait_for_log "as guest1"
    bg_client b --timeout 30 eof
    wait_for_log "as guest2"
    run client eof
    assert_success
    assert_output "error: server full, try again later"
    run client eof
    assert_output "error: server full, try again later"
    kill "$(cat "$BATS_TEST_TMPDIR/b.pid")"
    wait_for_log "guest2 left"
    run client send '/who\n' lines 2
    assert_line --index 1 "in the room (2): guest1, guest3"
    [ "$(grep -c 'server full: turning new clients away' "$SERVER_LOG")" -eq 1 ]
    wait_for_log "accepting clients again (2 turned away)"
}

@test "05: out of file descriptors: clients are turned away, the rest carry on, no busy loop" {
    local old fds=() fd line full=0 i
    old=$(ulimit -Sn)
    ulimit -Sn 16                         # the server inherits this limit
    start_server $LESSON
    ulimit -Sn "$old"
    for ((i = 0; i < 30 && full < 3; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        read -r -t 5 -u "$fd" line || fail "no answer on connection $i"
        if [ "$line" = "error: server full, try again later" ]; then
            full=$((full + 1))
            exec {fd}>&-
        else
            [ "$line" = "$(welcome "guest$((${#fds[@]} + 1))")" ] || fail "got: $line"
            fds+=("$fd")
        fi
    done
    [ "$full" -eq 3 ] || fail "never ran out of descriptors"
    [ "${#fds[@]}" -ge 2 ] || fail "only ${#fds[@]} clients got in"
    [ "$(grep -c 'out of file descriptors: turning new clients away' "$SERVER_LOG")" -eq 1 ]

    # The clients inside still chat.
    echo "still here" >&"${fds[1]}"
    for ((i = 0; i < 50; i++)); do
        read -r -t 5 -u "${fds[0]}" line || fail "guest1 heard nothing"
        [ "$line" = "guest2: still here" ] && break
    done
    [ "$line" = "guest2: still here" ]

    assert_server_sleeps

    # A client leaves: its descriptor is free, and the next one gets in.
    local second=${fds[1]}
    exec {second}>&-
    wait_for_log "guest2 left"
    run client lines 1
    assert_output "$(welcome "guest$((${#fds[@]} + 1))")"
    for fd in "${fds[@]}"; do exec {fd}>&-; done
}

@test "05: with clients and timers waiting, poll() sleeps until the nearest deadline" {
    start_server $LESSON --idle-timeout 1000 --write-timeout 1000
    bg_client a --timeout 30 eof
    bg_client b --timeout 30 eof
    wait_for_log "as guest2"
    assert_server_sleeps
}

@test "05: --max-line: a line over the limit is refused with the limit in the message" {
    start_server $LESSON --max-line 100
    local line
    line=$(printf '%100s' '' | tr ' ' x)
    run client send "/msg guest1 ${line:12}\\n${line}x\\n" eof
    assert_output "$(printf '%s\nguest1 (private): %s\nerror: line longer than 100 bytes' "$(welcome guest1)" "${line:12}")"
}

@test "05: --help lists every limit with its default; bad limits are refused" {
    run "$REPO/lessons/$LESSON/server" --help
    assert_success
    assert_output --regexp '--max-clients N.*'$'\n''.*default 1000,'
    assert_output --regexp '--max-line BYTES.*'$'\n''.*default 4096,'
    assert_output --regexp '--max-queue BYTES.*'$'\n''.*default 262144,'
    assert_output --regexp '--idle-timeout SECONDS.*'$'\n''.*default 300,'
    assert_output --regexp '--write-timeout SECONDS.*'$'\n''.*default 30,'
    assert_output --regexp '--drain-timeout SECONDS.*'$'\n''.*default 5,'
    run "$REPO/lessons/$LESSON/server" --max-clients 0
    assert_failure 2
    run "$REPO/lessons/$LESSON/server" --idle-timeout soon
    assert_failure 2
    run "$REPO/lessons/$LESSON/server" --max-line 65536 --max-queue 4096
    assert_failure 2
    assert_output --partial "--max-queue must hold two of the longest lines"
}

@test "05: a client that never stops talking is still written to, not dropped as too slow" {
    start_server "$LESSON" --write-timeout 1
    # Empty lines are keep-alives. guest1 sends ~200 MB of them as fast as
    # it can (16 KiB per write), so poll() finds it readable on every turn
    # for longer than the write timeout; its queue must be written all the
    # same. (With "else if" in the event loop it was dropped as too slow.)
    local block
    block=$(printf '\\n%.0s' $(seq 16384))
    bg_client talker --timeout 30 repeat 12000 "$block" send '/quit\n' eof
    wait_for_log "as guest1"
    run client send 'hi\n' send '/quit\n' eof
    assert_success
    bg_done talker
    assert_line "guest2: hi"
    assert_line "bye, guest1"
    run grep "too slow" "$SERVER_LOG"
    assert_failure
}
