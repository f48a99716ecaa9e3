# shellcheck shell=bash disable=SC2034 # the variables set here are read by its users
# tests/hostile/lessons.bash — the lessons that tests/hostile.bats and
# tests/valgrind.sh attack, and what each one is not built to survive yet.
# Adding a lesson: a line in lesson_probe, its known limits in not_yet, and
# its block of tests at the end of tests/hostile.bats.

# lesson_probe LESSON: one request that shows the server is healthy, and the
# reply line it must bring (PROBE_SEND uses tcpc's escapes, see tests/tcpc.c).
# SERVER_ARGS: extra options the attacks start the server with (e.g. short
# timeouts, so a test that waits for one stays short).
lesson_probe() {
    SERVER_ARGS=()
    case $1 in
    01-echo)         PROBE_SEND='ping\n' PROBE_WANT='ping' ;;
    02-line-framing) PROBE_SEND='ping\n' PROBE_WANT='line 1, 4 bytes: ping' ;;
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
