# tests/exercises/exercise.bash — loaded by every tests/exercises/*.bats:
# tests/helper.bash, seen from one folder deeper, and a wait that can be cut
# short. tests/exercises/check.sh runs each exercise test against the lesson's
# reference, which must FAIL it: there it sets WAIT_SECONDS=2, so a wait for
# a log line that the reference never writes gives up after 2 s, not 10.
# Against a solution (where the test must pass) the wait is 10 s, as in
# helper.bash, but measured in seconds rather than tries.

load ../helper
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)     # helper.bash guessed tests/
TCPC=$REPO/tests/tcpc

wait_until() {
    local end=$((SECONDS + ${WAIT_SECONDS:-10}))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.02
    done
}
