#!/usr/bin/env bats
# Live-coding that is proven (slides/README.md, "The typing order, replayed"):
# a deck's "Type in this order" list is its step data, slides/steps/NN-name/,
# and `make rehearse L=NN` types those steps into a fresh `make start`
# workspace, checking every checkpoint. CI runs the full rehearsals
# (.ci/run); here: the decks list exactly their steps, and leaving out any
# one step fails the rehearsal at the right place.

load helper

REHEARSE=$REPO/slides/tools/rehearse.sh

lessons_with_steps() {
    local d
    for d in "$REPO"/slides/steps/[0-9][0-9]-*/; do [ -d "$d" ] && basename "$d"; done
    return 0
}

# fails_without NN [K...]: leave out step K (every step when none are named)
# and the rehearsal must fail at the first checkpoint at or after step K, the
# one that ends K's block: either a later step of that block no longer
# applies (it was written on top of K), or the checkpoint's check fails on
# the code without K. Never later: a checkpoint that passes without the step
# before it cannot tell a class that skipped it. (The checkpoints before K
# are not run again: leaving K out cannot change them.)
fails_without() {
    local nn=$1 k want lbl steps
    shift
    steps=$("$REHEARSE" steps "$nn") || fail "no step data for lesson $nn"
    # shellcheck disable=SC2046 # step numbers, one word each
    [ $# -gt 0 ] || set -- $(cut -f 1 <<<"$steps")
    for k in "$@"; do
        want=$(awk -F '\t' -v k="$k" '$1 >= k && $2 != "" { print $2; exit }' <<<"$steps")
        [ -n "$want" ] || fail "lesson $nn: no checkpoint at or after step $k"
        run "$REHEARSE" "$nn" --without "$k"
        [ "$status" -eq 1 ] || fail "lesson $nn without step $k: exit status $status, not 1 (a failed checkpoint):
$output"
        lbl=$(sed -n 's/^checkpoint \([A-Za-z0-9]*\) FAILED: .*/\1/p' <<<"$output")
        [ "$lbl" = "$want" ] || fail "lesson $nn without step $k: should fail at checkpoint $want, failed at ${lbl:-none}:
$output"
        refute_line --partial "checkpoint $want ok"
    done
}

@test "rehearse: each deck's typing order is its step data, and its notes name what every checkpoint runs" {
    local lesson n=0
    for lesson in $(lessons_with_steps); do
        run "$REHEARSE" check-notes "${lesson%%-*}"
        assert_success
        n=$((n + 1))
    done
    [ "$n" -ge 5 ] || fail "only $n decks have step data (every deck has)"
}

@test "rehearse: deck 01 without any one of its steps fails at that step's checkpoint" {
    fails_without 01
}

@test "rehearse: deck 02 without any one of its steps fails at that step's checkpoint" {
    fails_without 02
}

@test "rehearse: deck 03 without any one of its steps fails at that step's checkpoint" {
    fails_without 03
}

@test "rehearse: deck 04 without any one of its steps fails at that step's checkpoint" {
    fails_without 04
}

# Deck 05 has ten steps and a slow last grade: two tests of five steps, each
# well inside bats' 60 s (each stops at its first failing checkpoint).
@test "rehearse: deck 05 without any one of steps 1-5 fails at that step's checkpoint" {
    fails_without 05 1 2 3 4 5
}

@test "rehearse: deck 05 without any one of steps 6-10 fails at that step's checkpoint" {
    fails_without 05 6 7 8 9 10
}
