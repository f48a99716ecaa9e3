#!/usr/bin/env bats
# Hostile clients, against every lesson: what a server meets on a real
# network. Each attack ends the same way: the server is still alive, a new
# client gets a good answer (the probe), and on Linux the server holds no
# more file descriptors than before the attack (nothing leaked). Where a
# lesson is not built to survive an attack yet, the test is skipped and says
# which lesson fixes it (tests/hostile/lessons.bash lists those limits).
# To watch those fail anyway: HOSTILE_ALL=1 tests/run tests/hostile.bats

load helper
load hostile/lessons

# ---- Helpers ---------------------------------------------------------------

# attack LESSON NAME: start LESSON's server, run attack_NAME, then check the
# server survived it.
attack() {
    LESSON=$1
    local reason
    if reason=$(not_yet "$1" "$2") && [ -z "${HOSTILE_ALL:-}" ]; then
        skip "$reason"
    fi
    lesson_probe "$LESSON" || fail "no probe for $LESSON in tests/hostile/lessons.bash"
    [ -x "$REPO/lessons/$LESSON/server" ] || fail "lessons/$LESSON/server is not built"
    start_server "$LESSON" "${SERVER_ARGS[@]}"
    FDS_BEFORE=$(fd_count)
    "attack_$2"
    server_alive || fail "the server died"
    probe
    if [ -n "$FDS_BEFORE" ]; then
        wait_until fd_count_is "$FDS_BEFORE" ||
            fail "the server holds $(fd_count) file descriptors, $FDS_BEFORE before: a leak"
    fi
}

# A new client sends the probe and gets its answer.
probe() {
    run client send "$PROBE_SEND" "${PROBE_READ[@]}"
    assert_success
    assert_line "$PROBE_WANT"
}

# client, in the background: `exec_client OP... &` makes $! the client itself,
# so that killing $! closes its connection.
exec_client() {
    exec "$TCPC" --port "$PORT" "$@" 3>&-
}

# How many descriptors the server has open (Linux: /proc), or nothing.
fd_count() {
    [ -d "/proc/$SERVER_PID/fd" ] && find "/proc/$SERVER_PID/fd" -mindepth 1 | wc -l | tr -d ' '
}
fd_count_is() {
    [ "$(fd_count)" = "$1" ]
}

# swarm N [COMMAND...]: open N connections at once (bash's /dev/tcp), each
# sending the probe; run COMMAND while they are all open; then drop them all
# together without reading a byte of the replies.
swarm() {
    local n=$1
    shift
    (
        ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        for ((i = 0; i < n; i++)); do
            exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
            printf '%b' "$PROBE_SEND" >&"$fd"
        done
        [ $# -eq 0 ] || "$@"
    ) 3>&-
}

# Bytes as tcpc escapes, one \xHH per byte: "ab" -> \x61\x62
escape_bytes() {
    od -An -tx1 -v | tr -d ' \n' | sed 's/../\\x&/g'
}

# ---- The attacks -------------------------------------------------------------

# A million bytes and not one newline: a line server must not buffer it all.
attack_a_million_bytes_without_a_newline() {
    head -c 1000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
    run client --timeout 30 file "$BATS_TEST_TMPDIR/big" shut eof
    case $LESSON in
    01-echo)                    # an echo server just echoes it
        assert_success
        [ "${#output}" -eq 1000000 ] || fail "echoed ${#output} of 1000000 bytes"
        ;;
    *)                          # every line server refuses it and closes
        assert_output --partial "longer than"
        ;;
    esac
}

# Connects, sends nothing, stays: others are served all the same.
attack_silent_client_does_not_stall_others() {
    exec_client --timeout 30 sleep 20000 &
    local silent=$!
    wait_until fd_count_is $((FDS_BEFORE + 1)) || true
    probe
    kill "$silent"
    wait "$silent" || true
}

# ...and is disconnected after the idle timeout (SERVER_ARGS makes it short).
attack_idle_client_is_closed() {
    client --timeout 15 eof || fail "still connected after 15 s: no idle timeout"
}

# One byte per second: a line arrives at a crawl. Others are answered at once,
# and the slow line is answered whole when it is complete. (The first three
# bytes come a second apart; the rest at once, to keep the test short.)
attack_one_byte_per_second() {
    local hex ops=() i
    hex=$(printf '%b' "$PROBE_SEND" | escape_bytes)
    for ((i = 0; i < 12; i += 4)); do
        ops+=(send "${hex:i:4}" sleep 1000)
    done
    ops+=(send "${hex:12}" "${PROBE_READ[@]}")
    exec_client "${ops[@]}" >"$BATS_TEST_TMPDIR/slow" &
    local slow=$!
    probe                       # answered while the slow client still drips
    kill -0 "$slow" 2>/dev/null || fail "the slow client was done before the probe"
    wait "$slow" || fail "the slow client got no answer"
    run cat "$BATS_TEST_TMPDIR/slow"
    assert_line "$PROBE_WANT"
}

# Sends requests as fast as it can and never reads a reply: back-pressure
# stops the server reading it long before 64 MiB, and others are served.
attack_client_that_never_reads() {
    exec_client --timeout 30 flood 67108864 "$PROBE_SEND" sleep 20000 >/dev/null \
        2>"$BATS_TEST_TMPDIR/flood" &
    local flooder=$!
    wait_until grep -q 'flood: wrote' "$BATS_TEST_TMPDIR/flood" ||
        fail "the flood never stopped: no back-pressure"
    local wrote
    wrote=$(tr -dc 0-9 <"$BATS_TEST_TMPDIR/flood")
    [ "$wrote" -lt 67108864 ] || fail "the server read all 64 MiB: no back-pressure"
    probe
    kill "$flooder"
    wait "$flooder" || true
}

# 1,000 connections, each with a request, all dropped at once unread.
attack_a_thousand_connections_dropped_at_once() {
    swarm 1000
}

# Many requests, then RST while the replies are still being written.
attack_rst_in_the_middle_of_a_reply() {
    client repeat 20000 "$PROBE_SEND" rst >/dev/null
    client repeat 20000 "$PROBE_SEND" sleep 10 rst >/dev/null
}

# 16 KiB of bytes of every value (NUL, \r, \n, 0xff...), the same every run.
attack_garbage_bytes() {
    awk 'BEGIN { x = 1; for (i = 0; i < 16384; i++) { x = (x * 75 + 74) % 65537; printf "\\%03o", x % 256 } }' \
        </dev/null >"$BATS_TEST_TMPDIR/garbage.esc"
    printf '%b' "$(cat "$BATS_TEST_TMPDIR/garbage.esc")" >"$BATS_TEST_TMPDIR/garbage"
    [ "$(wc -c <"$BATS_TEST_TMPDIR/garbage")" -eq 16384 ] || fail "garbage is not 16384 bytes"
    client --timeout 20 file "$BATS_TEST_TMPDIR/garbage" shut eof >"$BATS_TEST_TMPDIR/out" ||
        fail "the client failed"
    case $LESSON in
    01-echo)
        cmp "$BATS_TEST_TMPDIR/garbage" "$BATS_TEST_TMPDIR/out"
        ;;
    02-line-framing)            # one well-formed reply per line, in order
        local lines
        lines=$(tr -dc '\n' <"$BATS_TEST_TMPDIR/garbage" | wc -c)
        LC_ALL=C awk -v want=$((lines + 1)) '
            $0 !~ "^line " NR ", [0-9]+ bytes?: " { print "bad reply " NR ": " $0; bad = 1 }
            END { if (NR != want) { print NR " replies, want " want; bad = 1 }; exit bad }' \
            "$BATS_TEST_TMPDIR/out"
        ;;
    03-rpc)                     # a JSON-RPC error for each line that is not blank
        local lines
        lines=$(tr -dc '\n' <"$BATS_TEST_TMPDIR/garbage" | wc -c)
        LC_ALL=C awk -v most=$((lines + 1)) '
            !/^\{"jsonrpc":"2\.0","error":\{"code":-32[67]00,"message":"[A-Za-z ]+"(,"data":"[^"]*")?\},"id":null\}$/ {
                print "bad reply " NR ": " $0; bad = 1 }
            END { if (NR == 0 || NR > most) { print NR " replies, want 1 to " most; bad = 1 }; exit bad }' \
            "$BATS_TEST_TMPDIR/out"
        ;;
    04-chat-broadcast | 05-*)   # alone in the room: only its welcome and errors
        LC_ALL=C awk '
            NR == 1 && !/^welcome, guest[0-9]+! / { print "no welcome: " $0; bad = 1 }
            NR > 1 && !/^error: / { print "bad reply " NR ": " $0; bad = 1 }
            END { exit bad }' "$BATS_TEST_TMPDIR/out"
        ;;
    esac
}

# Started with `ulimit -n 64`, then 100 clients at once: the server runs out
# of file descriptors while they are connected, and recovers when they leave.
start_with_64_fds() {
    stop_server
    local soft
    soft=$(ulimit -Sn)
    ulimit -Sn 64
    start_server "$LESSON" "${SERVER_ARGS[@]}"
    ulimit -Sn "$soft"
    FDS_BEFORE=$(fd_count)
}
at_fd_limit() {
    [ "$(fd_count)" -ge 62 ]
}
attack_out_of_file_descriptors() {
    start_with_64_fds
    [ -n "$FDS_BEFORE" ] || skip "needs /proc to see the server's descriptors"
    swarm 100 wait_until at_fd_limit || fail "the server never reached 64 descriptors"
}

# ...and while it is at the limit, it waits instead of spinning: under one
# second of CPU in two seconds at the limit.
hold_at_limit() {
    wait_until at_fd_limit || return 1
    local before
    before=$(server_cpu_ticks)
    sleep 2
    echo $(($(server_cpu_ticks) - before)) >"$BATS_TEST_TMPDIR/ticks"
}
attack_no_busy_loop_at_fd_limit() {
    start_with_64_fds
    [ -n "$FDS_BEFORE" ] || skip "needs /proc to see the server's descriptors and CPU time"
    swarm 100 hold_at_limit || fail "the server never reached 64 descriptors"
    local ticks hz
    ticks=$(cat "$BATS_TEST_TMPDIR/ticks")
    hz=$(getconf CLK_TCK)
    [ "$ticks" -lt "$hz" ] ||
        fail "the server used $((ticks * 100 / hz / 100)).$((ticks * 100 / hz % 100)) s of CPU in 2 s at the fd limit: a busy loop"
}

# ---- The lessons ---------------------------------------------------------------
# One block per lesson; the name after "attack LESSON" is the attack above.
# (A new lesson: copy a block, replace the lesson's name; add its probe to
# tests/hostile/lessons.bash.)

@test "hostile 01-echo: a million bytes without a newline" { attack 01-echo a_million_bytes_without_a_newline; }
@test "hostile 01-echo: a client that connects and never sends does not stall others" { attack 01-echo silent_client_does_not_stall_others; }
@test "hostile 01-echo: a client that connects and never sends is disconnected" { attack 01-echo idle_client_is_closed; }
@test "hostile 01-echo: one byte per second" { attack 01-echo one_byte_per_second; }
@test "hostile 01-echo: a client that never reads" { attack 01-echo client_that_never_reads; }
@test "hostile 01-echo: 1,000 connections opened and dropped at once" { attack 01-echo a_thousand_connections_dropped_at_once; }
@test "hostile 01-echo: RST in the middle of a reply" { attack 01-echo rst_in_the_middle_of_a_reply; }
@test "hostile 01-echo: garbage bytes" { attack 01-echo garbage_bytes; }
@test "hostile 01-echo: ulimit -n 64 and 100 clients" { attack 01-echo out_of_file_descriptors; }
@test "hostile 01-echo: ulimit -n 64: no busy loop at the limit" { attack 01-echo no_busy_loop_at_fd_limit; }

@test "hostile 02-line-framing: a million bytes without a newline" { attack 02-line-framing a_million_bytes_without_a_newline; }
@test "hostile 02-line-framing: a client that connects and never sends does not stall others" { attack 02-line-framing silent_client_does_not_stall_others; }
@test "hostile 02-line-framing: a client that connects and never sends is disconnected" { attack 02-line-framing idle_client_is_closed; }
@test "hostile 02-line-framing: one byte per second" { attack 02-line-framing one_byte_per_second; }
@test "hostile 02-line-framing: a client that never reads" { attack 02-line-framing client_that_never_reads; }
@test "hostile 02-line-framing: 1,000 connections opened and dropped at once" { attack 02-line-framing a_thousand_connections_dropped_at_once; }
@test "hostile 02-line-framing: RST in the middle of a reply" { attack 02-line-framing rst_in_the_middle_of_a_reply; }
@test "hostile 02-line-framing: garbage bytes" { attack 02-line-framing garbage_bytes; }
@test "hostile 02-line-framing: ulimit -n 64 and 100 clients" { attack 02-line-framing out_of_file_descriptors; }
@test "hostile 02-line-framing: ulimit -n 64: no busy loop at the limit" { attack 02-line-framing no_busy_loop_at_fd_limit; }

@test "hostile 03-rpc: a million bytes without a newline" { attack 03-rpc a_million_bytes_without_a_newline; }
@test "hostile 03-rpc: a client that connects and never sends does not stall others" { attack 03-rpc silent_client_does_not_stall_others; }
@test "hostile 03-rpc: a client that connects and never sends is disconnected" { attack 03-rpc idle_client_is_closed; }
@test "hostile 03-rpc: one byte per second" { attack 03-rpc one_byte_per_second; }
@test "hostile 03-rpc: a client that never reads" { attack 03-rpc client_that_never_reads; }
@test "hostile 03-rpc: 1,000 connections opened and dropped at once" { attack 03-rpc a_thousand_connections_dropped_at_once; }
@test "hostile 03-rpc: RST in the middle of a reply" { attack 03-rpc rst_in_the_middle_of_a_reply; }
@test "hostile 03-rpc: garbage bytes" { attack 03-rpc garbage_bytes; }
@test "hostile 03-rpc: ulimit -n 64 and 100 clients" { attack 03-rpc out_of_file_descriptors; }
@test "hostile 03-rpc: ulimit -n 64: no busy loop at the limit" { attack 03-rpc no_busy_loop_at_fd_limit; }

@test "hostile 04-chat-broadcast: a million bytes without a newline" { attack 04-chat-broadcast a_million_bytes_without_a_newline; }
@test "hostile 04-chat-broadcast: a client that connects and never sends does not stall others" { attack 04-chat-broadcast silent_client_does_not_stall_others; }
@test "hostile 04-chat-broadcast: a client that connects and never sends is disconnected" { attack 04-chat-broadcast idle_client_is_closed; }
@test "hostile 04-chat-broadcast: one byte per second" { attack 04-chat-broadcast one_byte_per_second; }
@test "hostile 04-chat-broadcast: a client that never reads" { attack 04-chat-broadcast client_that_never_reads; }
@test "hostile 04-chat-broadcast: 1,000 connections opened and dropped at once" { attack 04-chat-broadcast a_thousand_connections_dropped_at_once; }
@test "hostile 04-chat-broadcast: RST in the middle of a reply" { attack 04-chat-broadcast rst_in_the_middle_of_a_reply; }
@test "hostile 04-chat-broadcast: garbage bytes" { attack 04-chat-broadcast garbage_bytes; }
@test "hostile 04-chat-broadcast: ulimit -n 64 and 100 clients" { attack 04-chat-broadcast out_of_file_descriptors; }
@test "hostile 04-chat-broadcast: ulimit -n 64: no busy loop at the limit" { attack 04-chat-broadcast no_busy_loop_at_fd_limit; }

@test "hostile 05-shutdown-timeouts-limits: a million bytes without a newline" { attack 05-shutdown-timeouts-limits a_million_bytes_without_a_newline; }
@test "hostile 05-shutdown-timeouts-limits: a client that connects and never sends does not stall others" { attack 05-shutdown-timeouts-limits silent_client_does_not_stall_others; }
@test "hostile 05-shutdown-timeouts-limits: a client that connects and never sends is disconnected" { attack 05-shutdown-timeouts-limits idle_client_is_closed; }
@test "hostile 05-shutdown-timeouts-limits: one byte per second" { attack 05-shutdown-timeouts-limits one_byte_per_second; }
@test "hostile 05-shutdown-timeouts-limits: a client that never reads" { attack 05-shutdown-timeouts-limits client_that_never_reads; }
@test "hostile 05-shutdown-timeouts-limits: 1,000 connections opened and dropped at once" { attack 05-shutdown-timeouts-limits a_thousand_connections_dropped_at_once; }
@test "hostile 05-shutdown-timeouts-limits: RST in the middle of a reply" { attack 05-shutdown-timeouts-limits rst_in_the_middle_of_a_reply; }
@test "hostile 05-shutdown-timeouts-limits: garbage bytes" { attack 05-shutdown-timeouts-limits garbage_bytes; }
@test "hostile 05-shutdown-timeouts-limits: ulimit -n 64 and 100 clients" { attack 05-shutdown-timeouts-limits out_of_file_descriptors; }
@test "hostile 05-shutdown-timeouts-limits: ulimit -n 64: no busy loop at the limit" { attack 05-shutdown-timeouts-limits no_busy_loop_at_fd_limit; }

# ---- One skeleton, 02-05 ---------------------------------------------------

# eof_closes_at_once LESSON: a client sends its request and half-closes. Once
# the answer is sent there is nothing left to read or write, so the server
# closes at once: one EOF read, not a shutdown() and a second poll() round
# waiting for another EOF.
eof_closes_at_once() {
    lesson_probe "$1"
    start_server "$1" --trace
    run client send "$PROBE_SEND" shut eof
    assert_success
    assert_line --partial "$PROBE_WANT"
    wait_for_log "close fd"
    [ "$(grep -c '] trace: read fd [0-9]*: 0 bytes$' "$SERVER_LOG")" -eq 1 ] ||
        fail "EOF was read more than once: $(grep 'trace: read' "$SERVER_LOG")"
}

@test "skeleton 02-line-framing: after EOF with nothing to send, close at once" { eof_closes_at_once 02-line-framing; }
@test "skeleton 03-rpc: after EOF with nothing to send, close at once" { eof_closes_at_once 03-rpc; }
@test "skeleton 04-chat-broadcast: after EOF with nothing to send, close at once" { eof_closes_at_once 04-chat-broadcast; }
@test "skeleton 05-shutdown-timeouts-limits: after EOF with nothing to send, close at once" { eof_closes_at_once 05-shutdown-timeouts-limits; }
