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
    run client --timeout "$(waits 3)" file "$BATS_TEST_TMPDIR/lines" shut eof
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
    wait_for_log "shutting down: 1 connected"
    grep -E -q 'shutting down: 1 connected, [1-9][0-9]* B queued' "$SERVER_LOG" ||
        fail "nothing was queued: $(cat "$SERVER_LOG")"
    # Now read: everything, then the notice, then EOF.
    timeout "$(waits 2)" cat <&5 >"$BATS_TEST_TMPDIR/got"
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
    bg_client reader --timeout "$(waits 3)" eof
    wait_for_log "as guest2"
    send_numbered_lines 40000
    kill -TERM "$SERVER_PID"
    server_exits 1                        # 1: bytes were left unsent
    exec 5>&-
    wait_for_log "drain deadline: closing 1 still connected"
    bg_done reader                        # the reader got all, and its close
    [ "$(grep -c '^guest3: ' <<<"$output")" -eq 40000 ]
    assert_line --index -1 "* server shutting down"
}

@test "05: a client dropped by --write-timeout during the drain makes the exit status 1, not 0" {
    start_server $LESSON --write-timeout 1 --drain-timeout 600 --max-queue 67108864
    connect_never_reading guest1
    send_numbered_lines 40000
    kill -TERM "$SERVER_PID"
    wait_for_log "no progress for 1 s; dropping it"
    server_exits 1                        # 1: its queued lines were never sent
    exec 5>&-
    wait_for_log "drained: every client is gone"
}

@test "05: during the drain, poll() sleeps until a client is ready or the deadline comes" {
    start_server $LESSON --trace --drain-timeout 1
    connect_never_reading guest1          # and never closes: the drain lasts 1 s
    kill -TERM "$SERVER_PID"
    server_exits 0                        # 0: the notice was sent
    exec 5>&-
    local turns
    turns=$(sed -n '/shutting down/,/drain deadline/p' "$SERVER_LOG" | grep -c 'poll watched')
    # A few wake-ups: guest1 writable, its discard, the deadline. Thousands:
    # poll() returned at once, turn after turn (a signal pipe never emptied?).
    [ "$turns" -le 20 ] || fail "poll() woke $turns times in the 1 s drain; the trace: $(grep -m 3 'poll woke' "$SERVER_LOG" | tail -n 2)"
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
    run client --timeout "$(waits 2)" eof           # guest2 says nothing
    assert_success
    assert_output "$(printf '%s\nerror: no line from you for 1 s; bye' "$(welcome guest2)")"
    bg_done talker
    assert_line "* guest2 left (idle)"
    assert_line "in the room (1): guest1"
    wait_for_log "guest2 left (idle)"
}

@test "05: slowloris, one byte at a time and never a whole line, is an idle client" {
    start_server $LESSON --idle-timeout 1
    # "GET / HTTP/1.1 " one byte every 250 ms, for 3 s longer than the test
    # waits: it must be closed while it is still sending, 1 s after it came.
    # (If bytes restarted the idle clock, it would be 1 s after the last.)
    local ops=() i text='GET / HTTP/1.1 '
    for ((i = 0; i < 4 * (${WAIT_SECONDS:-10} + 3); i++)); do
        ops+=(send "${text:$((i % ${#text})):1}" sleep 250)
    done
    bg_client loris --timeout "$(waits 3)" "${ops[@]}"
    wait_for_log "guest1 left (idle)"
    wait_until grep -q '^error: ' "$BATS_TEST_TMPDIR/loris"
    kill "$(cat "$BATS_TEST_TMPDIR/loris.pid")"
    run cat "$BATS_TEST_TMPDIR/loris"
    assert_output "$(printf '%s\nerror: no line from you for 1 s; bye' "$(welcome guest1)")"
}

@test "05: output that makes no progress for --write-timeout: the client is dropped, while the room talks too" {
    start_server $LESSON --write-timeout 1 --max-queue 67108864
    connect_never_reading guest1
    bg_client watcher --timeout "$(waits 3)" eof
    wait_for_log "as guest2"
    # guest3 says a line every 200 ms all along: each is queued for guest1
    # too, and must not restart its clock (only a write that moves does).
    local ops=() i
    for ((i = 0; i < 25 * ${WAIT_SECONDS:-10}; i++)); do ops+=(send 'still here\n' sleep 200); done
    bg_client talker --timeout "$(waits 6)" "${ops[@]}"
    wait_for_log "as guest3"
    send_numbered_lines 40000
    wait_for_log "no progress for 1 s; dropping it"
    wait_for_log "guest1 left (too slow to keep up)"
    kill "$(cat "$BATS_TEST_TMPDIR/talker.pid")"
    exec 5>&-
    stop_server
    bg_done watcher
    # (grep, not assert_line: bash takes 13 s to walk 40,000 lines)
    grep -qxF "* guest1 left (too slow to keep up)" "$BATS_TEST_TMPDIR/watcher" ||
        fail "the watcher never heard that guest1 left: $(tail -n 3 "$BATS_TEST_TMPDIR/watcher" | cut -c 1-80)"
}

@test "05: a stalled client that reads again makes progress: its --write-timeout starts anew" {
    start_server $LESSON --write-timeout 3 --max-queue 67108864
    connect_never_reading guest1
    send_numbered_lines 40000             # 8 MB: its kernel buffers fill, the rest is queued
    # The server stops; guest1 reads 2 MB of what its kernel holds, and the
    # server stays stopped for longer than --write-timeout. When it goes on,
    # its first write to guest1 makes progress: the clock starts anew, and
    # guest1 gets every line. (A clock that counts from when output started
    # waiting has run out by then: guest1 is dropped as it reads.)
    kill -STOP "$SERVER_PID"
    timeout 4 head -c 2000000 <&5 >/dev/null || true
    sleep 4
    kill -CONT "$SERVER_PID"
    timeout "$(waits 2)" grep -q -m 1 '^guest2: 40000 y' <&5 ||
        fail "guest1 did not get every line; the log: $(grep -v 'connected' "$SERVER_LOG")"
    exec 5>&-
    run grep "no progress" "$SERVER_LOG"
    assert_failure
}

@test "05: --max-clients: the next client gets one line and the close; later, room again" {
    start_server $LESSON --max-clients 2
    bg_client a --timeout "$(waits 3)" eof
    wait_for_log "as guest1"
    bg_client b --timeout "$(waits 3)" eof
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
    bg_client a --timeout "$(waits 3)" eof
    bg_client b --timeout "$(waits 3)" eof
    wait_for_log "as guest2"
    assert_server_sleeps
}

# poll_timeout_after [TEXT]: the timeout of the first poll() the trace shows
# (after the log line holding TEXT): "none", or milliseconds.
poll_timeout_after() {
    awk -v text="${1:-}" 'BEGIN { found = text == "" }
        found && /trace: poll watched/ {
            if (/timeout none/) print "none"; else { sub(/.*timeout /, ""); sub(/ ms.*/, ""); print }
            exit }
        index($0, text) { found = 1 }' "$SERVER_LOG"
}

@test "05: poll() sleeps until the nearest deadline: with no client, for ever" {
    start_server $LESSON --trace --idle-timeout 5
    bg_client a --timeout "$(waits 3)" eof
    wait_for_log "as guest1"
    wait_until grep -q "poll watched 3 fds" "$SERVER_LOG" ||
        fail "no poll() in the trace after guest1 came (--trace: trace_poll() after poll(), as in lesson 04)"
    # The first poll() waited for the first client: no timer runs, no timeout.
    run poll_timeout_after
    [ "$output" = none ] || fail "with no client, poll() had a timeout: $output ms; its trace: $(grep -m 1 'poll watched' "$SERVER_LOG")"
    # Then guest1's idle timer runs: 5 s, less the time this turn took.
    run poll_timeout_after "as guest1"
    [ "$output" != none ] && [ "$output" -gt 4000 ] && [ "$output" -le 5000 ] ||
        fail "with guest1's idle timer 5 s away, poll()'s timeout was $output$([ "$output" = none ] || echo ' ms'), not the time left (4000 to 5000 ms)"
}

@test "05: --max-line: a line over the limit is refused with the limit in the message" {
    start_server $LESSON --max-line 100
    local line
    line=$(printf '%100s' '' | tr ' ' x)
    run client send "/msg guest1 ${line:12}\\n${line}x\\n" eof
    assert_output "$(printf '%s\nguest1 (private): %s\nerror: line longer than 100 bytes' "$(welcome guest1)" "${line:12}")"
}

@test "05: --max-line 16: /who still makes sense when no name fits the limit" {
    start_server $LESSON --max-line 16
    run client send '/who\n' lines 2
    assert_line --index 1 "in the room (1): 1 more"
}

@test "05: --help lists every limit with its default; bad limits are refused" {
    run "$(lesson_dir "$LESSON")/server" --help
    assert_success
    assert_output --regexp '--max-clients N.*'$'\n''.*default 1000,'
    assert_output --regexp '--max-line BYTES.*'$'\n''.*default 4096,'
    assert_output --regexp '--max-queue BYTES.*'$'\n''.*default 262144,'
    assert_output --regexp '--idle-timeout SECONDS.*'$'\n''.*default 300,'
    assert_output --regexp '--write-timeout SECONDS.*'$'\n''.*default 30,'
    assert_output --regexp '--drain-timeout SECONDS.*'$'\n''.*default 5,'
    run "$(lesson_dir "$LESSON")/server" --max-clients 0
    assert_failure 2
    run "$(lesson_dir "$LESSON")/server" --idle-timeout soon
    assert_failure 2
    run "$(lesson_dir "$LESSON")/server" --max-line 65536 --max-queue 4096
    assert_failure 2
    assert_output --partial "--max-queue must hold two of the longest lines"
}

@test "05: a client that never stops talking is still written to, not dropped as too slow" {
    start_server "$LESSON" --write-timeout 1
    # guest1 says "x" over and over, 16 KiB of lines per write: faster than
    # the server can take them, so its socket is never empty and poll()
    # finds it readable on every turn. It must be written all the same: it
    # hears guest2 come. (With "else if" in the event loop it was only read,
    # heard nothing, and was dropped as too slow after --write-timeout.)
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
    run grep "too slow" "$SERVER_LOG"
    assert_failure
}

joined_count() {
    [ "$(grep -c ' connected ' "$SERVER_LOG")" -eq "$1" ]
}

@test "05: a client whose reading we paused (back-pressure) is never idle; its write timeout decides" {
    start_server $LESSON --idle-timeout 1 --write-timeout 3 --max-queue 1048576
    # guest1 asks /who over and over and never reads the answers. Once its
    # kernel buffers are full, its queue passes the pause mark and we stop
    # reading it: the lines it keeps sending wait in our socket. It is not
    # idle, we are. Its output makes no progress either, so the write
    # timeout drops it, 3 s after its last progress; the idle timeout (1 s
    # after the last line we read, just as long before) must not come first.
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest1"
    yes /who >&5 2>/dev/null 3>&- &
    local writer=$!
    # The server waits 3 s by design before it drops guest1: wait that long
    # plus the usual allowance (make grade's is short: tests/grade/grade.sh).
    WAIT_SECONDS=$((${WAIT_SECONDS:-10} + 3)) wait_for_log "guest1 left"
    kill "$writer" 2>/dev/null || true
    wait "$writer" 2>/dev/null || true
    exec 5>&-
    run grep "guest1 left" "$SERVER_LOG"
    assert_output --partial "guest1 left (too slow to keep up)"
    run grep "no progress for 3 s" "$SERVER_LOG"
    assert_success
}

@test "05: other people's lines are no sign of life: a silent reader is closed on time" {
    start_server $LESSON --idle-timeout 1 --max-line 100 --max-queue 4096
    # guest1 says eight short lines at once, every 200 ms, for 20 s. Each
    # burst puts more than a sixteenth of --max-queue (256 bytes) in
    # guest2's queue, so we stop reading guest2 until it is written: the
    # back-pressure is caused by guest1, not by guest2. guest2 reads
    # everything and says nothing: it is idle 1 s after it came. (When
    # back-pressure stopped its idle clock and restarted it from zero,
    # guest2 stayed for as long as guest1 talked.)
    local ops=() i
    for i in $(seq 1 100); do ops+=(send '1\n2\n3\n4\n5\n6\n7\n8\n' sleep 200); done
    bg_client talker --timeout "$(waits 3)" "${ops[@]}"
    wait_for_log "as guest1"
    run client --timeout "$(waits 1)" eof   # (guest1 talks for longer than that)
    kill "$(cat "$BATS_TEST_TMPDIR/talker.pid")" 2>/dev/null || true
    assert_success
    assert_line --index -1 "error: no line from you for 1 s; bye"
    wait_for_log "guest2 left (idle)"
}

# left_idle_count N: true once the log shows N clients closed as idle.
left_idle_count() {
    [ "$(grep -c ' left (idle)$' "$SERVER_LOG")" -eq "$1" ]
}

@test "05: many idle clients in one turn: the room gets one line for all, and a live client is answered" {
    start_server $LESSON --idle-timeout 2 --max-line 100
    # guest1 stays (an empty line every 200 ms) and watches the room.
    local ops=() i fd fds=() line
    for i in $(seq 1 100); do ops+=(send '\n' sleep 200); done
    bg_client watcher --timeout "$(waits 3)" "${ops[@]}"
    wait_for_log "as guest1"
    # Twenty silent clients arrive while the server is stopped: it accepts
    # them all in one turn, so their idle deadlines are the same, and they
    # expire in one turn too.
    kill -STOP "$SERVER_PID"
    for i in $(seq 1 20); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        fds+=("$fd")
    done
    kill -CONT "$SERVER_PID"
    wait_for_log "as guest21"
    wait_until left_idle_count 20 || fail "not all closed as idle: $(cat "$SERVER_LOG")"
    # A newcomer is answered at once, and the room is guest1 and itself.
    run client send '/who\n' lines 2
    assert_line --index 1 "in the room (2): guest1, guest22"
    # guest1 heard of the twenty in one line, cut to fit --max-line.
    wait_until grep -q 'left (idle)' "$BATS_TEST_TMPDIR/watcher"
    kill "$(cat "$BATS_TEST_TMPDIR/watcher.pid")"
    run grep 'left (idle)' "$BATS_TEST_TMPDIR/watcher"
    assert_output "* 20 people left (idle): guest2, guest3, guest4, and 17 more"
    # Each of the twenty was told, and did not hear of the others.
    for fd in "${fds[@]}"; do
        line=
        while [ "$line" != "error: no line from you for 2 s; bye" ]; do
            read -r -t 5 -u "$fd" line || fail "no error line; last: $line"
            [[ $line != *left* ]] || fail "a leaver heard: $line"
        done
        exec {fd}>&-
    done
}

@test "05: a client reading at full speed is not dropped when a burst lands in one turn" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see the burst has arrived"
    start_server $LESSON
    bg_client bob --timeout "$(waits 6)" send '/nick bob\n' lines 242
    wait_until grep -q 'you are now bob' "$BATS_TEST_TMPDIR/bob"
    local text i
    text=$(printf '%4000s' '' | tr ' ' m)
    kill -STOP "$SERVER_PID"
    for i in $(seq 1 80); do
        bg_client "s$i" --timeout "$(waits 6)" send "/msg bob $text\\n/quit\\n" eof
    done
    wait_until unread_at_port 80 4010 -ge || { kill -CONT "$SERVER_PID"; fail "the burst never arrived"; }
    kill -CONT "$SERVER_PID"
    bg_done bob
    [ "$(grep -c '^guest[0-9]* (private): m*$' <<<"$output")" -eq 80 ] ||
        fail "bob got $(grep -c 'private' <<<"$output") of 80"
    for i in $(seq 1 80); do bg_done "s$i"; done
    run grep 'too slow' "$SERVER_LOG"
    assert_failure
}

# True once no server-side socket on $PORT holds a byte unread.
all_read() {
    ! unread_at_port 1 1 -ge
}

@test "05: a quiet client holds no input buffer: 200 clients that said a line cost little memory" {
    start_server $LESSON --max-line 65536 --max-queue 1048576
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure memory"
    ! grep -q fsanitize "$(lesson_dir "$LESSON")/.build-flags" 2>/dev/null ||
        skip "memory means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    # Each client sends one line (an empty one), so each needs an input
    # buffer of --max-line + 2 bytes (64 KiB) for a moment; then it is
    # quiet. An input buffer given back once empty costs nothing while it
    # waits; one kept per client is 200 x 64 KiB = 12.5 MiB.
    local before after i fd fds=()
    before=$(server_status_kib VmData)
    for i in $(seq 1 200); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        printf '\n' >&"$fd"
        fds+=("$fd")
    done
    wait_until joined_count 200
    wait_until all_read || fail "the server did not read every client's line"
    after=$(server_status_kib VmData)
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    echo "200 quiet clients: the server's data segment grew $((after - before)) KiB" >&3
    [ $((after - before)) -le 4096 ] ||
        fail "200 quiet clients grew the server's data by $((after - before)) KiB: an input buffer kept per client?"
}

@test "05: a quiet client holds no input buffer, even after a read that filled it to the brim" {
    start_server $LESSON --max-line 32768 --max-queue 1048576
    [ -r /proc/net/tcp ] && [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure memory"
    ! grep -q fsanitize "$(lesson_dir "$LESSON")/.build-flags" 2>/dev/null ||
        skip "memory means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    # Each client sends exactly one buffer's worth (--max-line + 2 = 32,770
    # bytes) of empty lines while the server is stopped: the first read()
    # fills the buffer, so the server reads again (READ_BATCH), takes a
    # buffer for it, and finds nothing. That buffer must go back too:
    # kept, it is 200 x 32 KiB = 6.4 MiB.
    local before after i fd fds=()
    for i in $(seq 1 200); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        fds+=("$fd")
    done
    wait_until joined_count 200
    before=$(server_status_kib VmData)
    kill -STOP "$SERVER_PID"
    head -c 32770 /dev/zero | tr '\0' '\n' >"$BATS_TEST_TMPDIR/brim"
    for fd in "${fds[@]}"; do cat "$BATS_TEST_TMPDIR/brim" >&"$fd"; done
    wait_until unread_at_port 200 32770 -ge || { kill -CONT "$SERVER_PID"; fail "the lines never all arrived"; }
    kill -CONT "$SERVER_PID"
    wait_until all_read || fail "the server did not read every client's lines"
    after=$(server_status_kib VmData)
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    echo "200 clients after a full buffer each: the server's data segment grew $((after - before)) KiB" >&3
    [ $((after - before)) -le 4096 ] ||
        fail "200 quiet clients grew the server's data by $((after - before)) KiB: an input buffer kept after a read that found nothing?"
}

@test "05: a stalled client costs at most --max-queue of memory, 1-byte lines included" {
    start_server $LESSON
    [ -r "/proc/$SERVER_PID/status" ] || skip "needs Linux /proc to measure peak memory"
    ! grep -q fsanitize "$(lesson_dir "$LESSON")/.build-flags" 2>/dev/null ||
        skip "peak RSS means nothing under AddressSanitizer (its shadow memory, its quarantine)"
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    wait_for_log "as guest1"
    # Twenty fast readers beside it get every line too: their queues fill
    # and empty in the same turn, and must not add a burst's array each.
    local before after i
    for i in $(seq 1 20); do bg_client "reader$i" --timeout 120 eof; done
    wait_until joined_count 21
    before=$(server_status_kib VmHWM)
    bg_client flood --timeout "$(waits 12)" repeat 20000000 'x\n'
    # Megabytes of 2-byte lines, each to 21 clients, before the stalled
    # client's kernel buffers are full and its queue grows: seconds, more on
    # a busy machine (13 s seen with CI running beside it), so a longer wait.
    WAIT_SECONDS=$(waits 6) wait_for_log "guest1 left (too slow to keep up)"
    after=$(server_status_kib VmHWM)
    kill "$(cat "$BATS_TEST_TMPDIR/flood.pid")"
    exec 5>&-
    echo "1 stalled client, 20 fast readers: peak RSS grew $((after - before)) KiB" >&3
    [ $((after - before)) -le $((256 + 256)) ] || fail "peak RSS grew $((after - before)) KiB"
}

@test "05: --max-queue 4096: a reading client's own /who in a big room does not drop it" {
    start_server $LESSON --max-queue 4096 --max-line 100
    local i fds=()
    for i in $(seq 1 240); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        fds+=("$fd")
    done
    wait_until joined_count 240
    run client send '/msg zed hello\n/who\n/quit\n' eof
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    assert_line --index 1 "error: no one here is called zed"
    assert_line --index 2 --regexp '^in the room \(241\): guest1, .*, and [0-9]+ more$'
    assert_line --index 3 "bye, guest241"
    [ "${#lines[2]}" -le 100 ] || fail "the /who line is longer than --max-line: ${#lines[2]}"
}

@test "05: control characters are shown, not relayed: no escape sequence reaches a terminal" {
    start_server $LESSON
    bg_client a lines 5
    wait_until grep -q '^welcome' "$BATS_TEST_TMPDIR/a"
    client send '\x1b]0;owned\x07\x1b[2Jhello\rguest1: fake line\n/me tabs\tstay\x7f\x00\ncaf\xc3\xa9 \xe2\x9c\x93\n' shut eof >/dev/null
    bg_done a 5
    assert_line --index 2 'guest2: ^[]0;owned^G^[[2Jhello^Mguest1: fake line'
    assert_line --index 3 "$(printf '* guest2 tabs\tstay^?^@')"
    # Bytes from 0x80 up are UTF-8 text, relayed as they are.
    assert_line --index 4 "$(printf 'guest2: caf\303\251 \342\234\223')"
}

# True once the log shows guest1 left, or the server has exited.
guest1_left_or_server_gone() {
    grep -q 'guest1 left' "$SERVER_LOG" || server_gone
}

@test "05: a client gone before its lines are written does not kill the server (SIGPIPE)" {
    start_server $LESSON
    # The server is stopped while a client connects, asks for /help,
    # half-closes and resets the connection: the answer is written to a
    # connection that is gone. write() fails with EPIPE, and raises SIGPIPE,
    # which kills the process by default (lesson 01).
    kill -STOP "$SERVER_PID"
    run client send '/help\n' shut rst
    kill -CONT "$SERVER_PID"
    assert_success
    wait_until guest1_left_or_server_gone
    # A server that died: stop_server says how (killed by signal 13, SIGPIPE).
    ! server_gone || stop_server
    run client lines 1
    assert_output "$(welcome guest2)"
}

@test "05: SIGHUP drains like SIGTERM; SIGUSR1 is ignored, not fatal" {
    start_server $LESSON
    kill -USR1 "$SERVER_PID"
    run client lines 1
    assert_output "$(welcome guest1)"
    kill -HUP "$SERVER_PID"
    server_exits 0
    wait_for_log "drained"
}

@test "05: a sender's burst of several buffers reaches a listener in one writev()" {
    [ -r /proc/net/tcp ] || skip "needs Linux /proc/net/tcp to see the burst has arrived"
    # One read() takes at most one line buffer (4,098 bytes). A sender with
    # 12,000 bytes waiting is read again in the same turn (READ_BATCH), so
    # its 200 lines go out to each listener in one writev(), not three or
    # four. Made certain with --trace: the server is stopped while the
    # burst arrives, then the listener's writes are counted.
    stop_server
    start_server $LESSON --trace
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
