#!/usr/bin/env bats
# The command line every lesson server shares (common/cli.c, common/net.c).
# Each test runs against every lesson that has been built.

load helper

servers() {
    local d
    for d in "$REPO"/lessons/*/; do
        [ -x "$d/server" ] && basename "$d"
    done
}

@test "cli: --help prints the usage and exits 0" {
    for l in $(servers); do
        run "$REPO/lessons/$l/server" --help
        assert_success
        assert_line --index 0 --regexp '^usage: .*server \[--host ADDR\] \[--port PORT\] \[--trace\]'
        assert_output --partial "default 127.0.0.1"
    done
}

@test "cli: bad arguments print the usage and exit 2" {
    for l in $(servers); do
        for args in "--bogus" "--port" "--port abc" "--port 70000" "--port -1" "--port 12x" "stray"; do
            # shellcheck disable=SC2086 # split args on purpose
            run "$REPO/lessons/$l/server" $args
            assert_failure 2
            assert_output --partial "usage:"
        done
    done
}

@test "cli: an address that cannot be used is a clear error, exit 1" {
    for l in $(servers); do
        run "$REPO/lessons/$l/server" --host 300.1.1.1 --port 0
        assert_failure 1
        assert_output --partial "error: cannot resolve 300.1.1.1"
    done
}

@test "cli: a port already in use is a clear error, exit 1" {
    start_server 01-echo
    for l in $(servers); do
        run "$REPO/lessons/$l/server" --port "$PORT"
        assert_failure 1
        assert_output --regexp "error: cannot listen on 127.0.0.1 port $PORT: .*in use"
    done
}

@test "cli: one readiness line on stdout, with the real port, on 127.0.0.1 by default" {
    for l in $(servers); do
        start_server "$l"
        client send 'hi\n' sleep 50 >/dev/null
        run cat "$SERVER_OUT"
        assert_output --regexp '^listening on 127\.0\.0\.1:[1-9][0-9]*$'
        [ "$PORT" -ne 0 ]
        stop_server
    done
}

@test "cli: --host ::1 listens on IPv6" {
    [ -f /proc/net/if_inet6 ] || [ "$(uname)" = Darwin ] || skip "this machine has no IPv6"
    for l in $(servers); do
        start_server "$l" --host ::1
        run cat "$SERVER_OUT"
        assert_output --regexp '^listening on \[::1\]:[1-9][0-9]*$'
        stop_server
    done
}

@test "cli: a bad short option is named as typed, even inside a cluster (-xt names -x)" {
    for l in $(servers); do
        run "$REPO/lessons/$l/server" -xt
        assert_failure 2
        assert_line --index 0 "server: unknown option: -x"
        run "$REPO/lessons/$l/server" --trace -tx
        assert_failure 2
        assert_line --index 0 "server: unknown option: -x"
        run "$REPO/lessons/$l/server" -tp
        assert_failure 2
        assert_line --index 0 "server: this option needs a value: -p"
        run "$REPO/lessons/$l/server" --trace --bogus
        assert_failure 2
        assert_line --index 0 "server: unknown option: --bogus"
    done
}

@test "cli: an option that takes no value, given one, is named as typed (--trace=1, not -t)" {
    for l in $(servers); do
        run "$REPO/lessons/$l/server" --trace=1
        assert_failure 2
        assert_line --index 0 "server: this option takes no value: --trace=1"
        run "$REPO/lessons/$l/server" --help=yes
        assert_failure 2
        assert_line --index 0 "server: this option takes no value: --help=yes"
    done
    if [ -x "$REPO/lessons/03-rpc/rpc-client" ]; then
        run "$REPO/lessons/03-rpc/rpc-client" --stdin=1 </dev/null
        assert_failure 2
        assert_line --index 0 "rpc-client: this option takes no value: --stdin=1"
    fi
}

# ---- The lessons' clients parse options like the servers (common/cli.c).

clients() {
    local c
    for c in "$REPO/lessons/03-rpc/rpc-client" "$REPO/lessons/04-chat-broadcast/chat-client"; do
        [ -x "$c" ] && echo "$c"
    done
}

@test "cli: clients take --help and -h like the servers" {
    for c in $(clients); do
        for h in --help -h; do
            run "$c" "$h"
            assert_success
            assert_line --index 0 --regexp "^usage: $(basename "$c") \[--host ADDR\] \[--port PORT\]"
            assert_output --partial "port to connect to (default 700"
        done
    done
}

@test "cli: clients reject bad options and out-of-range ports with exit 2, and never connect" {
    start_server 01-echo       # something listening, in case a bad port got through
    for c in $(clients); do
        for args in "--bogus" "-x" "--port" "--port abc" "--port 70000" "--port=70000" \
                    "-p 65536" "--port 0" "--port -1" "--host"; do
            # shellcheck disable=SC2086 # split args on purpose
            run "$c" $args </dev/null
            assert_failure 2
            assert_output --partial "usage: $(basename "$c")"
            refute_output --partial "cannot connect"
        done
        run "$c" --port 70000 </dev/null
        assert_line --index 0 "$(basename "$c"): --port takes a number from 1 to 65535: 70000"
    done
}

@test "cli: clients take --port N, --port=N and -p N" {
    start_server 03-rpc
    for form in "--port $PORT" "--port=$PORT" "-p $PORT" "-p$PORT"; do
        # shellcheck disable=SC2086 # split the form on purpose
        run "$REPO/lessons/03-rpc/rpc-client" $form ping
        assert_success
        assert_output '"pong"'
    done
    stop_server
    start_server 04-chat-broadcast
    for form in "--port $PORT" "--port=$PORT" "-p $PORT"; do
        # shellcheck disable=SC2086 # split the form on purpose
        run "$REPO/lessons/04-chat-broadcast/chat-client" $form </dev/null
        assert_success
        assert_output --partial "welcome, guest"
    done
}

@test "cli: rpc-client -h is help, not a method; its own usage errors exit 2" {
    run "$REPO/lessons/03-rpc/rpc-client" -h
    assert_success
    assert_output --partial "--stdin"
    run "$REPO/lessons/03-rpc/rpc-client" --stdin ping </dev/null
    assert_failure 2
    assert_line --index 0 "rpc-client: --stdin takes no METHOD: ping"
    run "$REPO/lessons/03-rpc/rpc-client" ping '[1]' extra
    assert_failure 2
    assert_line --index 0 "rpc-client: unexpected argument: extra"
}

@test "cli: chat-client exits 1 when the server goes away first, 0 when it leaves first" {
    start_server 04-chat-broadcast
    run "$REPO/lessons/04-chat-broadcast/chat-client" --port "$PORT" </dev/null
    assert_success
    # stdin stays open (a fifo nobody writes to); the server is killed under it
    mkfifo "$BATS_TEST_TMPDIR/keys"
    "$REPO/lessons/04-chat-broadcast/chat-client" --port "$PORT" \
        <"$BATS_TEST_TMPDIR/keys" >"$BATS_TEST_TMPDIR/screen" 2>&1 3>&- &
    local pid=$!
    exec 6>"$BATS_TEST_TMPDIR/keys"
    wait_until grep -q '^welcome' "$BATS_TEST_TMPDIR/screen"
    kill "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=
    local status=0
    wait "$pid" || status=$?
    exec 6>&-
    [ "$status" -eq 1 ] || fail "chat-client exited $status; it printed: $(cat "$BATS_TEST_TMPDIR/screen")"
    run cat "$BATS_TEST_TMPDIR/screen"
    assert_output --partial "chat-client: the server closed the connection"
}

@test "cli: --trace: each log line has a time; each wake-up says what poll() watched and its timeout" {
    for l in $(servers); do
        start_server "$l" --trace
        client send 'x\n' sleep 50 >/dev/null
        wait_for_log "trace: close fd"
        run cat "$SERVER_LOG"
        # every line: "[  1.234] ...", seconds since start with milliseconds
        local line
        for line in "${lines[@]}"; do
            [[ $line =~ ^\[\ *[0-9]+\.[0-9]{3}\]\  ]] || fail "$l: a log line without a time: $line"
        done
        # what poll() was given: the fds and their events (the listener and
        # one client at least), and the timeout where the lesson passes it on
        assert_line --regexp '^\[ *[0-9]+\.[0-9]{3}\] trace: poll watched [2-9] fds(, timeout (none|[0-9]+ ms))?: fd [0-9]+ IN(, fd [0-9]+ (IN|OUT|IN\|OUT|-))+( \([0-9]+ skipped\))?$'
        assert_line --regexp '^\[ *[0-9]+\.[0-9]{3}\] trace: poll woke up, 1 ready: fd [0-9]+ IN$'
        stop_server
    done
}
