#!/usr/bin/env bats
# Lesson 01: the echo server.

load helper

setup() {
    start_server 01-echo
}

@test "01: echoes what a client sends" {
    run client send 'hello\n' read 6
    assert_success
    assert_output "hello"
}

@test "01: echoes every byte value, NUL included" {
    printf 'a\0b\377\r\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" read 6 >"$BATS_TEST_TMPDIR/out"
    cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "01: input dripped one byte per write comes back whole" {
    run client drip 'one byte at a time' read 18
    assert_success
    assert_output "one byte at a time"
}

@test "01: several writes in a row come back in order" {
    run client send 'abc' send 'def' send 'ghi' read 9
    assert_output "abcdefghi"
}

@test "01: 2 MiB of random bytes come back intact" {
    head -c 2097152 /dev/urandom >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" shut eof >"$BATS_TEST_TMPDIR/out"
    cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "01: 50 concurrent clients each get their own bytes back" {
    local i pids=()
    for i in $(seq 50); do
        head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/in$i"
        client file "$BATS_TEST_TMPDIR/in$i" shut eof >"$BATS_TEST_TMPDIR/out$i" 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 50); do
        cmp "$BATS_TEST_TMPDIR/in$i" "$BATS_TEST_TMPDIR/out$i"
    done
}

@test "01: the server closes when the client closes (EOF)" {
    run client send 'bye' shut eof
    assert_success
    assert_output "bye"
    wait_for_log "closed by client"
}

@test "01: a client that never reads is pushed back and does not stall others" {
    # 64 MiB is far more than the kernel buffers between us and the server:
    # flood can only finish if the server keeps reading without writing back.
    client --timeout "$(waits 3)" flood 67108864 f pause 5000 >/dev/null 2>"$BATS_TEST_TMPDIR/flood" 3>&- &
    local flooder=$!
    wait_until grep -q 'flood: wrote' "$BATS_TEST_TMPDIR/flood"
    run cat "$BATS_TEST_TMPDIR/flood"
    local wrote=${output//[!0-9]/}
    [ "$wrote" -lt 67108864 ] || fail "the server read everything: no back-pressure"

    run client send 'still here\n' read 11
    assert_success
    assert_output "still here"
    kill "$flooder"
}

# same_as_sent NAME TEXT: client NAME (a flood, below) sent TEXT over and
# over, cut at the count it printed; it must have got exactly that back.
same_as_sent() {
    local got=$BATS_TEST_TMPDIR/$1 wrote
    wrote=$(sed -n 's/^flood: wrote \([0-9]*\) bytes$/\1/p' "$got.err")
    [ -n "$wrote" ] || fail "client $1 failed: $(cat "$got.err")"
    yes "$2" | head -c "$wrote" >"$got.sent"
    if ! cmp -s "$got.sent" "$got"; then
        local at     # (cmp says "byte N", or "char N", where they first differ)
        at=$(cmp "$got.sent" "$got" 2>&1 | sed -n -e 's/.* byte \([0-9]*\).*/, different from byte \1 on/p' \
            -e 's/.* char \([0-9]*\).*/, different from byte \1 on/p')
        fail "client $1 sent $wrote bytes and got $(wc -c <"$got" | tr -d ' ') back$at $(grep '^tcpc:' "$got.err")"
    fi
}

@test "01: slow readers get every byte back, and only their own (short writes)" {
    # Each client writes without reading until the server stops reading it:
    # by then its echo has filled the server's socket, and a write() took
    # only part of what it was offered (a short write). Then it half-closes
    # and reads everything. Two at once, with different bytes: the rest of
    # an echo left in the shared buffer is overwritten by the other's reads.
    local a b pid_a pid_b
    a=$(printf '%63s' '' | tr ' ' A)
    b=$(printf '%63s' '' | tr ' ' B)
    client --timeout "$(waits 3)" flood 67108864 "$a\\n" shut eof \
        >"$BATS_TEST_TMPDIR/a" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
    pid_a=$!
    client --timeout "$(waits 3)" flood 67108864 "$b\\n" shut eof \
        >"$BATS_TEST_TMPDIR/b" 2>"$BATS_TEST_TMPDIR/b.err" 3>&- &
    pid_b=$!
    wait "$pid_a" || true
    wait "$pid_b" || true
    same_as_sent a "$a"
    same_as_sent b "$b"
}

@test "01: clients that reset the connection (RST) do not hurt the server" {
    client send 'hello' rst
    client flood 1000000 f rst 2>/dev/null        # reset while an echo is pending
    run client send 'alive\n' read 6
    assert_output "alive"
}

@test "01: a client gone before its echo is written does not kill the server (SIGPIPE)" {
    # The server is stopped while the client sends, half-closes and resets
    # the connection, so the echo is written to a connection that is gone:
    # write() fails with EPIPE, and raises SIGPIPE, which kills by default.
    kill -STOP "$SERVER_PID"
    run client send 'hello\n' shut rst
    kill -CONT "$SERVER_PID"
    assert_success
    run client send 'alive\n' read 6
    assert_output "alive"
}

@test "01: --trace shows poll wake-ups, reads, writes and closes" {
    stop_server
    start_server 01-echo --trace
    client send 'x' read 1 >/dev/null
    wait_for_log "trace: close fd"
    run cat "$SERVER_LOG"
    assert_line --regexp '^\[ *[0-9]+\.[0-9]{3}\] trace: poll woke up, 1 ready: fd [0-9]+ IN$'
    assert_line --regexp ': connected \(fd [0-9]+\)'
    assert_line --regexp '^\[ *[0-9]+\.[0-9]{3}\] trace: read fd [0-9]+: 1 bytes$'
    assert_line --regexp '^\[ *[0-9]+\.[0-9]{3}\] trace: write fd [0-9]+: 1 bytes$'
}
