# tests/exercises/exercise.bash — loaded by every tests/exercises/*.bats:
# tests/helper.bash, seen from one folder deeper. Its wait_until is bounded by
# WAIT_SECONDS (10 by default): tests/exercises/check.sh runs each exercise
# test against the lesson's reference, which must FAIL it, with
# WAIT_SECONDS=2, so a wait for a log line the reference never writes gives
# up after 2 s; against a solution (where the test must pass) it keeps 10 s.

load ../helper
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)     # helper.bash guessed tests/
# shellcheck disable=SC2034 # helper.bash's client() and bg_client() read it
TCPC=$REPO/tests/tcpc
