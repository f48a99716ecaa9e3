#!/usr/bin/env bats
# Lesson 02: line framing. Every line is answered "line N, M bytes: TEXT".

load helper

setup() {
    start_server 02-line-framing
}

@test "02: a line is answered with its number and length" {
    run client send 'hello\n' lines 1
    assert_success
    assert_output "line 1, 5 bytes: hello"
}

@test "02: several lines in one write are answered one by one, in order" {
    run client send 'one\ntwo\nthree\n' lines 3
    assert_output "$(printf 'line 1, 3 bytes: one\nline 2, 3 bytes: two\nline 3, 5 bytes: three')"
}

@test "02: a line dripped one byte per write is answered once" {
    run client drip 'fragmented\n' lines 1
    assert_output "line 1, 10 bytes: fragmented"
}

@test "02: a line split across writes with a pause is answered once, whole" {
    run client send 'hel' sleep 50 send 'lo wor' sleep 50 send 'ld\nnext' sleep 50 send '\n' lines 2
    assert_output "$(printf 'line 1, 11 bytes: hello world\nline 2, 4 bytes: next')"
}

@test "02: \\r\\n is accepted, and the \\r is not part of the line" {
    run client send 'telnet\r\nstyle\r\n' lines 2
    assert_output "$(printf 'line 1, 6 bytes: telnet\nline 2, 5 bytes: style')"
}

@test "02: an empty line is a line" {
    run client send '\n\r\n' lines 2
    assert_output "$(printf 'line 1, 0 bytes: \nline 2, 0 bytes: ')"
}

@test "02: binary bytes, NUL included, pass through inside a line" {
    printf 'a\0b\377c\n' >"$BATS_TEST_TMPDIR/in"
    client file "$BATS_TEST_TMPDIR/in" lines 1 >"$BATS_TEST_TMPDIR/out"
    printf 'line 1, 5 bytes: a\0b\377c\n' >"$BATS_TEST_TMPDIR/want"
    cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "02: a line of exactly 4096 bytes is fine, with \\n or \\r\\n" {
    local line
    line=$(printf '%4096s' '' | tr ' ' x)
    run client send "$line\\n$line\\r\\n" lines 2
    assert_line --index 0 "line 1, 4096 bytes: $line"
    assert_line --index 1 "line 2, 4096 bytes: $line"
}

@test "02: a line longer than 4096 bytes gets an error line, then the server closes" {
    run client send 'ok\n' send "$(printf '%5000s' '' | tr ' ' x)" eof
    assert_success
    assert_output "$(printf 'line 1, 2 bytes: ok\nerror: line longer than 4096 bytes')"
    wait_for_log "line longer than 4096 bytes; closing"
}

@test "02: 4097 bytes and a newline is too long too" {
    run client send "$(printf '%4097s' '' | tr ' ' x)\\n" eof
    assert_output "error: line longer than 4096 bytes"
}

@test "02: the error arrives even when the client keeps sending (no RST)" {
    # 1 MiB with no newline: the server must not close with unread input.
    head -c 1048576 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
    run client file "$BATS_TEST_TMPDIR/big" eof
    assert_success
    assert_output "error: line longer than 4096 bytes"
}

@test "02: a client that goes on sending after the error is cut off after 1 MiB" {
    # The polite close reads and drops what the client sends, but not for
    # ever: after MAX_DISCARD bytes (1 MiB) the server closes anyway, and the
    # client's next write() fails. (The client reads nothing, so the close
    # resets the connection: even the error line is lost. That is the price
    # of a client that will not stop.) 64 MiB is more than the kernel buffers.
    run client send "$(printf '%5000s' '' | tr ' ' x)" flood 67108864 x
    assert_failure 1
    refute_output --partial "flood: wrote"
    wait_for_log "line longer than 4096 bytes; closing"
}

@test "02: the limit holds for a last line at EOF too, and its \\r is dropped" {
    run client send "$(printf '%4097s' '' | tr ' ' x)" shut eof
    assert_output "error: line longer than 4096 bytes"
    run client send 'abc\r' shut eof
    assert_output "line 1, 3 bytes: abc"
}

@test "02: a client that half-closes still gets every reply before the close" {
    run client send 'a\nb\nc\n' shut eof
    assert_success
    assert_output "$(printf 'line 1, 1 byte: a\nline 2, 1 byte: b\nline 3, 1 byte: c')"
}

@test "02: bytes after the last newline at EOF are answered as a last line" {
    run client send 'full\npartial' shut eof
    assert_output "$(printf 'line 1, 4 bytes: full\nline 2, 7 bytes: partial')"
}

@test "02: 20,000 pipelined lines are all answered, in order" {
    seq 20000 >"$BATS_TEST_TMPDIR/in"
    client --timeout "$(waits 3)" file "$BATS_TEST_TMPDIR/in" shut eof >"$BATS_TEST_TMPDIR/out"
    run wc -l <"$BATS_TEST_TMPDIR/out"
    assert_output 20000
    run tail -1 "$BATS_TEST_TMPDIR/out"
    assert_output "line 20000, 5 bytes: 20000"
    seq 20000 | awk '{ printf "line %d, %d byte%s: %s\n", NR, length($0), length($0) == 1 ? "" : "s", $0 }' |
        cmp - "$BATS_TEST_TMPDIR/out"
}

@test "02: 2 MiB of lines (1 MiB+ payload) come back intact" {
    head -c 1500000 /dev/urandom | od -An -tx1 -v | tr -d ' ' >"$BATS_TEST_TMPDIR/in"
    client --timeout "$(waits 3)" file "$BATS_TEST_TMPDIR/in" shut eof >"$BATS_TEST_TMPDIR/out"
    sed 's/^line [0-9]*, [0-9]* bytes: //' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/in"
}

@test "02: 50 concurrent clients each get their own answers" {
    local i pids=()
    for i in $(seq 50); do
        seq "$i" 1000 >"$BATS_TEST_TMPDIR/in$i"
        client file "$BATS_TEST_TMPDIR/in$i" shut eof >"$BATS_TEST_TMPDIR/out$i" 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 50); do
        run tail -1 "$BATS_TEST_TMPDIR/out$i"
        assert_output "line $((1001 - i)), 4 bytes: 1000"
    done
}

@test "02: a client that sends lines but never reads is pushed back, others go on" {
    # 64 MiB of short lines: their replies fill the buffers, the server stops
    # reading, and this client's writes stop long before 64 MiB.
    client --timeout "$(waits 3)" flood 67108864 'ping\n' pause 5000 >/dev/null 2>"$BATS_TEST_TMPDIR/flood" 3>&- &
    local flooder=$!
    wait_until grep -q 'flood: wrote' "$BATS_TEST_TMPDIR/flood"
    run cat "$BATS_TEST_TMPDIR/flood"
    local wrote=${output//[!0-9]/}
    [ "$wrote" -lt 67108864 ] || fail "the server read everything: no back-pressure"

    run client send 'other client\n' lines 1
    assert_output "line 1, 12 bytes: other client"
    kill "$flooder"
}

@test "02: a slow reader gets every reply, byte for byte (short writes)" {
    # The client writes lines without reading until the server stops reading
    # it: by then replies fill the server's socket, and a write() took only
    # part of what it was offered (a short write). Then it half-closes and
    # reads everything. Lines of 100 bytes, so that each read() the server
    # does is answered by one write() of its own.
    local x wrote
    x=$(printf '%99s' '' | tr ' ' X)
    client --timeout "$(waits 3)" flood 67108864 "$x\\n" send '\n' shut eof \
        >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
    wrote=$(sed -n 's/^flood: wrote \([0-9]*\) bytes$/\1/p' "$BATS_TEST_TMPDIR/err")
    [ -n "$wrote" ] || fail "the client failed: $(cat "$BATS_TEST_TMPDIR/err")"
    # What it sent: $x and a newline over and over, cut at $wrote bytes, and
    # a newline that ends the line it cut (or sends an empty one).
    awk -v n="$wrote" -v x="$x" 'BEGIN {
        for (i = 1; i <= int(n / 100); i++) printf "line %d, 99 bytes: %s\n", i, x
        r = n % 100
        printf "line %d, %d byte%s: %s\n", i, r, r == 1 ? "" : "s", substr(x, 1, r) }' \
        >"$BATS_TEST_TMPDIR/want"
    if ! cmp -s "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"; then
        local at     # (cmp says "line N" where they first differ)
        at=$(cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out" 2>&1 | sed -n 's/.* line \([0-9]*\).*/, different from reply \1 on/p')
        fail "got $(wc -l <"$BATS_TEST_TMPDIR/out" | tr -d ' ') replies, $(wc -l <"$BATS_TEST_TMPDIR/want" | tr -d ' ') expected$at $(grep '^tcpc:' "$BATS_TEST_TMPDIR/err")"
    fi
}

@test "02: clients that reset the connection (RST) do not hurt the server" {
    client send 'half a li' rst
    client send 'x\n' rst
    run client send 'alive\n' lines 1
    assert_output "line 1, 5 bytes: alive"
}
