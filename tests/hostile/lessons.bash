# shellcheck shell=bash disable=SC2034 # the variables set here are read by its users
# tests/hostile/lessons.bash — the lessons that tests/hostile.bats and
# tests/valgrind.sh attack, and what each one is not built to survive yet.
# Adding a lesson: a line in lesson_probe, its known limits in not_yet, and
# its block of tests at the end of tests/hostile.bats.

# lesson_probe LESSON: one request that shows the server is healthy, and a
# line of the reply it must bring (PROBE_SEND uses tcpc's escapes, see
# tests/tcpc.c). PROBE_READ: the tcpc ops that collect the reply (default:
# the first line); lesson 04 greets first and may relay the room's news
# before answering, so its probe asks to /quit and reads until the close.
# SERVER_ARGS: extra options the attacks start the server with (e.g. short
# timeouts, so a test that waits for one stays short).
# GRACEFUL=1: the server stops cleanly on SIGTERM, exit 0 with every block
# freed (tests/valgrind.sh then allows no "still reachable"); lesson 05 on.
lesson_probe() {
    SERVER_ARGS=()
    GRACEFUL=
    PROBE_READ=(lines 1)
    case $1 in
    01-echo)         PROBE_SEND='ping\n' PROBE_WANT='ping' ;;
    02-line-framing) PROBE_SEND='ping\n' PROBE_WANT='line 1, 4 bytes: ping' ;;
    03-rpc)          PROBE_SEND='{"jsonrpc":"2.0","method":"ping","id":1}\n'
                     PROBE_WANT='{"jsonrpc":"2.0","result":"pong","id":1}' ;;
    04-chat-broadcast)
                     PROBE_SEND='/help\n' PROBE_WANT='commands:'
                     PROBE_READ=(send '/quit\n' eof) ;;
    # Lesson 05 survives every attack (not_yet names 01-04 only). Its idle
    # timeout is short, so the silent client is closed within the test, yet
    # longer than the 3 s the one-byte-a-second client takes to finish a line.
    05-shutdown-timeouts-limits)
                     PROBE_SEND='/help\n' PROBE_WANT='commands:'
                     PROBE_READ=(send '/quit\n' eof)
                     SERVER_ARGS=(--idle-timeout 5)
                     GRACEFUL=1 ;;
    *) return 1 ;;
    esac
}

# not_yet LESSON ATTACK: print why LESSON is not meant to survive ATTACK,
# naming the lesson that fixes it; fail (print nothing) if it is.
not_yet() {
    local n=${1%%-*}
    case "$1 $2" in
    0[1-4]-*" idle_client_is_closed")
        echo "lesson $n has no idle timeout: lesson 05 fixes this" ;;
    0[1-4]-*" no_busy_loop_at_fd_limit")
        echo "lesson $n retries accept() at once when out of file descriptors (a busy loop): lesson 05 fixes this" ;;
    *) return 1 ;;
    esac
}
