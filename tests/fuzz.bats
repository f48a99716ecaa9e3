#!/usr/bin/env bats
# Fuzz targets (tests/fuzz/): every seed input and every input that ever broke
# a target is replayed through it. `make fuzz` looks for new ones.

load helper

# Each target T has tests/fuzz/corpus/T/; the replay program tests/fuzz/T is
# built by `make test` (tests/fuzz/Makefile).
targets() {
    local d
    for d in "$REPO"/tests/fuzz/corpus/*/; do
        basename "$d"
    done
}

@test "fuzz: every saved input replays cleanly through its target" {
    local t n=0
    for t in $(targets); do
        [ -x "$REPO/tests/fuzz/$t" ] || fail "tests/fuzz/$t is not built: run make test"
        local saved=("$REPO/tests/fuzz/corpus/$t")
        [ -d "$REPO/tests/fuzz/regressions/$t" ] && saved+=("$REPO/tests/fuzz/regressions/$t")
        run "$REPO/tests/fuzz/$t" "${saved[@]}"
        assert_success
        assert_output --regexp "replayed [1-9][0-9]* inputs"
        refute_output --partial "invariant broken"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || fail "no fuzz targets found"
}
