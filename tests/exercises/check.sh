#!/usr/bin/env bash
# tests/exercises/check.sh [NN...] — proves the graded exercises honest; CI
# runs it (.ci/run). For every lesson with tests/exercises/NN-name.bats:
#
#  1. the reference lesson FAILS each graded exercise (at least one of the
#     exercise's tests); an exercise test the reference passes tests nothing;
#  2. every exercise with a test has a worked solution,
#     lessons/NN-name/solutions/K-slug.patch, and every solution a test;
#  3. the reference + that patch builds warning-free (WERROR=1), PASSES all of
#     the exercise's tests, and still passes the lesson's own tests, except
#     exactly those its header names on a "Changes tests: ERE" line (tests
#     of a behaviour the exercise changes on purpose);
#  4. a starter's given functions are the lesson's, byte for byte;
#  5. with --start only: the tests that tests/grade/NN-name.order marks "= "
#     (already passing before the student writes anything) are exactly those
#     that pass on a fresh `make start` workspace. It costs minutes (a
#     starting workspace fails slowly: its tests wait for answers), so CI
#     leaves it out; run it after changing a lesson's tests or its .start.
#
# A lesson joins by adding its .bats and solutions/ (and for 4, its .start
# and .order files): nothing here names a lesson. The checks run as JOBS
# jobs at once (default: one per CPU); each writes its own report, printed
# in order at the end. Ends with
# "exercises: N checks passed, N problems"; exits 1 on any problem.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats:/usr/local/lib:/opt/homebrew/lib}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}

with_start=no
if [ "${1:-}" = --start ]; then with_start=yes; shift; fi
numbers=("$@")
if [ ${#numbers[@]} -eq 0 ]; then
    for f in tests/exercises/[0-9][0-9]-*.bats; do numbers+=("$(basename "$f" | cut -c1-2)"); done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exercises.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
ok() { printf '  ok    %s\n' "$*"; }
problem() { printf '  FAIL  %s\n' "$*"; }

# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

# names TAP STATUS: the test names with that status (ok / not ok), one a line.
names() {
    if [ "$2" = ok ]; then
        sed -n 's/^ok [0-9]* //p' "$1"
    else
        sed -n 's/^not ok [0-9]* //p' "$1"
    fi
}

# lesson_copy LESSON DIR: the lesson's sources, as a student would have them.
lesson_copy() {
    mkdir -p "$2"
    cp "lessons/$1"/*.c "lessons/$1/Makefile" "$2"/
    cp "lessons/$1"/*.h "$2"/ 2>/dev/null || true
}


# check_reference NN LESSON: 1 and 2, for the reference.
check_reference() {
    local nn=$1 lesson=$2 k tap=$tmp/$2-ref.tap
    LESSON_DIR=$REPO/lessons/$lesson WAIT_SECONDS=2 bats --tap "tests/exercises/$lesson.bats" >"$tap" 2>&1
    check_starters "$lesson"
    for k in $(tested "$nn" "$lesson"); do
        if names "$tap" "not ok" | grep -q "^$nn exercise $k: "; then
            ok "exercise $k: the reference fails its test"
        else
            problem "exercise $k: the reference passes all its tests, so they do not test the exercise"
        fi
        ls "lessons/$lesson/solutions/$k"-*.patch >/dev/null 2>&1 ||
            problem "exercise $k has a test but no lessons/$lesson/solutions/$k-*.patch"
    done
}

# check_starters LESSON: a starter outline (tests/grade/starter/LESSON/) gives
# some functions as pasted from the lesson; above its "---- Yours" line each
# must be the lesson's, byte for byte, so a fix to the lesson reaches it.
check_starters() {
    local f name
    for f in "tests/grade/starter/$1"/*; do
        if [ ! -f "$f" ] || ! grep -q -- '---- Yours' "$f"; then continue; fi
        awk '/---- Yours/ { exit } /^[a-z].*[a-z_0-9]+\(/ { sub(/\(.*/, ""); sub(/.*[ *]/, ""); print }' "$f" |
        while read -r name; do
            if cmp -s <(function_text "$name" "$f") <(function_text "$name" "lessons/$1/$(basename "$f")"); then
                ok "$f: $name() is the lesson's"
            else
                problem "$f: $name() differs from lessons/$1/$(basename "$f"): paste it again"
            fi
        done
    done
}

# function_text NAME FILE: a C function's definition, from its first line to "}".
function_text() {
    awk -v n="$1" '!on && /^[a-z]/ && index($0, n "(") { on = 1 } on { print } on && /^}/ { exit }' "$2"
}

# tested NN LESSON: the numbers of the exercises that have tests.
tested() {
    sed -n "s/^@test \"$1 exercise \([0-9]*\): .*/\1/p" "tests/exercises/$2.bats" | sort -un
}

# check_solution NN LESSON PATCH: 2 and 3, for one worked solution.
check_solution() {
    local nn=$1 lesson=$2 patch_file=$3 k dir changes
    k=$(basename "$patch_file" | sed 's/-.*//')
    local t=$tmp/$lesson-$k
    tested "$nn" "$lesson" | grep -qx "$k" || { problem "$patch_file: exercise $k has no test in tests/exercises/$lesson.bats"; return; }
    dir=$t.dir
    lesson_copy "$lesson" "$dir"
    if ! (cd "$dir" && patch -p1 -s <"$REPO/$patch_file") >"$t.patch" 2>&1; then
        problem "$patch_file does not apply to the reference: $(cat "$t.patch")"
        return
    fi
    if ! make -s -C "$dir" COMMON="$REPO/common" WERROR=1 >"$t.build" 2>&1; then
        problem "$patch_file: the reference + patch does not build with WERROR=1: $(cat "$t.build")"
        return
    fi
    # One bats run for both: exercise k's tests and the lesson's own (bats
    # starts once, and the patched build is shared). Split by name after.
    LESSON_DIR=$dir bats --tap --filter-tags '!needs-node' -f "^($nn exercise $k|$nn): " \
        "tests/exercises/$lesson.bats" "tests/$lesson.bats" >"$t.all.tap" 2>&1
    grep -v "^\(not \)\{0,1\}ok [0-9]* $nn: " "$t.all.tap" >"$t.ex.tap"
    grep -v "^\(not \)\{0,1\}ok [0-9]* $nn exercise " "$t.all.tap" >"$t.tap"
    if grep -q '^not ok [0-9]* [0-9]* exercise' "$t.ex.tap" || ! grep -q '^ok [0-9]* [0-9]* exercise' "$t.ex.tap"; then
        problem "exercise $k: the reference + $(basename "$patch_file") fails its test:"
        sed 's/^/        /' "$t.ex.tap"
    else
        ok "exercise $k: the reference + $(basename "$patch_file") passes its test"
    fi
    changes=$(sed -n 's/^Changes tests: //p' "$patch_file" | head -n 1)
    if [ -n "$changes" ]; then
        names "$t.tap" ok | grep -E -- "$changes" >"$t.want-fail-but-pass" || true
        names "$t.tap" "not ok" | grep -v -E -- "$changes" >"$t.unexpected" || true
    else
        : >"$t.want-fail-but-pass"
        names "$t.tap" "not ok" >"$t.unexpected"
    fi
    if [ -s "$t.unexpected" ]; then
        problem "exercise $k: with the patch these lesson tests fail, and its header does not say they change:"
        sed 's/^/        /' "$t.unexpected"
    elif [ -s "$t.want-fail-but-pass" ]; then
        problem "exercise $k: the header says these tests change, but they pass:"
        sed 's/^/        /' "$t.want-fail-but-pass"
    else
        ok "exercise $k: the lesson's own tests still pass${changes:+, except the ones its header names}"
    fi
}

# check_start NN LESSON: 4, the "already passing" marks.
check_start() {
    local nn=$1 lesson=$2 order=tests/grade/$2.order t=$tmp/$2-start
    tests/grade/start.sh "$nn" "$t.dir" >"$t.out" 2>&1 || { problem "make start L=$nn fails: $(cat "$t.out")"; return; }
    LESSON_DIR=$t.dir bats --tap --filter-tags '!needs-node' "tests/$lesson.bats" >"$t.tap" 2>&1
    names "$t.tap" ok | sed "s/^$nn: //" | sort >"$t.passing"
    sed -n 's/^= //p' "$order" | sort >"$t.marked"
    if cmp -s "$t.passing" "$t.marked"; then
        ok "$order: the 'already passing' marks ($(wc -l <"$t.marked" | tr -d ' ')) match a fresh make start"
    else
        problem "$order: the '= ' marks should be exactly the tests a fresh make start passes (+ add, - remove):"
        diff "$t.marked" "$t.passing" | sed -n 's/^> /        + /p; s/^< /        - /p'
    fi
}

make -s -C tests tcpc >/dev/null || { echo "cannot build tests/tcpc"; exit 1; }

# Every job: "report-file command args...", run JOBS at a time.
jobs_list=$tmp/jobs
: >"$jobs_list"
n=0
for nn in "${numbers[@]}"; do
    lesson=$(lesson_named "$nn")
    make -s -C "lessons/$lesson" >/dev/null || { echo "$lesson: the reference does not build"; exit 1; }
    n=$((n + 1)); echo "$n-0 $lesson check_reference $nn $lesson" >>"$jobs_list"
    i=0
    for patch_file in "lessons/$lesson/solutions"/*.patch; do
        [ -f "$patch_file" ] || continue
        i=$((i + 1)); echo "$n-$i $lesson check_solution $nn $lesson $patch_file" >>"$jobs_list"
    done
    if [ "$with_start" = yes ] && [ -f "tests/grade/$lesson.order" ] && [ -f "tests/grade/$lesson.start" ]; then
        echo "$n-99 $lesson check_start $nn $lesson" >>"$jobs_list"
    fi
done

# A pool of JOBS (default: one per CPU, and at least 2: the tests mostly wait
# on sockets, but more jobs than cores make the timing-sensitive lesson tests,
# the burst and the peak-memory ones, fail for want of CPU): start a job when
# one of the running ones has ended (plain bash 3.2 has no `wait -n`, so look
# every 0.2 s). Jobs start round-robin over the lessons (every lesson's
# reference check, then every lesson's first patch, ...; 05 before 01), so
# two runs of one lesson's suite rarely overlap: its heaviest tests (04's
# and 05's burst of 80 clients) side by side on a loaded 2-core box ran
# past bats' 60 s limit.
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
[ "$jobs" -ge 2 ] 2>/dev/null || jobs=2
pids=()
while read -r id lesson cmd args; do
    while [ ${#pids[@]} -ge "$jobs" ]; do
        sleep 0.2
        alive=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
        pids=(${alive[@]+"${alive[@]}"})
    done
    # shellcheck disable=SC2086 # args are words on purpose
    "$cmd" $args >"$tmp/report.$id" 2>&1 </dev/null &
    pids+=($!)
done < <(sort -t- -k2,2n -k1,1nr "$jobs_list")
wait

last=
while read -r id lesson cmd args; do
    [ "$lesson" = "$last" ] || printf '%s\n' "$lesson"
    last=$lesson
    cat "$tmp/report.$id"
done <"$jobs_list"
checks=$(cat "$tmp"/report.* | grep -c '^  ok ')
problems=$(cat "$tmp"/report.* | grep -c '^  FAIL ')
printf 'exercises: %d checks passed, %d problems\n' "$checks" "$problems"
[ "$problems" -eq 0 ]
