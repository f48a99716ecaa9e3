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
