#!/usr/bin/env bash
# tests/grade/mistakes.sh [--readme] [NN...] — proves that `make grade`
# catches the classic mistakes, and points at the right README section; CI
# runs it (.ci/run).
#
# The catalogue is tests/grade/mistakes/NN-name/K-slug.patch: each a small
# patch against the reference lesson (lessons/NN-name/) that makes one
# mistake students really make. Its first line says which, in words for the
# student, and what `make grade` does about it:
#
#   Mistake: WHAT — breaks "SECTION"
#       SECTION is a "## " heading of tests/grade/NN-name.order, exactly;
#       the first failure `make grade` reports is under it.
#   Mistake: WHAT — not caught: WHY
#       a known gap: `make grade` passes it (WHY says why no test can see it).
#   Mistake: WHAT — sometimes caught: WHY
#       a known gap that a test catches on some runs, not all (WHY says what
#       it depends on): either result is accepted, and reported.
#
# More lines of prose may follow, then the diff (patch -p1, from the lesson's
# folder). For every patch, this script
#  1. copies the lesson as a student would have it, and applies the patch
#     without fuzz;
#  2. runs `FIRST_FAIL=1 make grade L=NN DIR=copy`: its build (make grade
#     builds with every warning shown) must show none, as a mistake that
#     does not compile teaches nothing; and it must fail and name SECTION
#     in its first "see:" line (or, for a known gap, pass). The tests after
#     the first failure are skipped (GRADE_STOP_FILE, tests/helper.bash).
# It prints one line per mistake and a summary per lesson, and exits 1 if
# any mistake is not caught as its header says.
#
# tests/grade/README.md, section "The mistakes catalogue", lists the
# catalogue and its catch rate between two marker lines; this script writes
# that list from the headers (--readme) and, otherwise, checks that it is
# up to date, so it cannot drift.
#
# A lesson joins by adding tests/grade/mistakes/NN-name/: nothing here names
# a lesson. The checks run as JOBS jobs at once (default: one per CPU, at
# least 2), like tests/exercises/check.sh. Plain bash 3.2 and POSIX tools.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats:/usr/local/lib:/opt/homebrew/lib}

catalogue=tests/grade/mistakes
readme=tests/grade/README.md
begin_mark='<!-- The list below is written by tests/grade/mistakes.sh --readme, from the patches; CI checks it. -->'
end_mark='<!-- End of the list written by tests/grade/mistakes.sh. -->'

write_readme=no
if [ "${1:-}" = --readme ]; then write_readme=yes; shift; fi
numbers=("$@")
if [ ${#numbers[@]} -eq 0 ]; then
    for d in "$catalogue"/[0-9][0-9]-*/; do
        [ -d "$d" ] && numbers+=("$(basename "$d" | cut -c1-2)")
    done
fi

# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

# The header's parts. header_what PATCH: WHAT; header_section PATCH: SECTION
# (empty for a known gap); header_gap PATCH: WHY (empty unless a known gap).
header_what() {
    sed -n -e '1s/^Mistake: \(.*\) — breaks ".*/\1/p' -e '1s/^Mistake: \(.*\) — not caught: .*/\1/p' \
        -e '1s/^Mistake: \(.*\) — sometimes caught: .*/\1/p' "$1"
}
header_section() {
    sed -n '1s/^Mistake: .* — breaks "\(.*\)"$/\1/p' "$1"
}
header_gap() {
    sed -n '1s/^Mistake: .* — not caught: \(.*\)$/\1/p' "$1"
}
header_sometimes() {
    sed -n '1s/^Mistake: .* — sometimes caught: \(.*\)$/\1/p' "$1"
}

# patches_of DIR: its patches, in the order of their numbers (K-slug.patch).
patches_of() {
    (cd "$1" 2>/dev/null && ls) | grep '^[0-9][0-9]*-.*\.patch$' | sort -n | sed "s|^|${1%/}/|"
}

# The README's list, from the headers of every lesson's patches.
# shellcheck disable=SC2016 # the backticks are Markdown's, not commands
readme_list() {
    local d lesson patch_file n caught gap section
    printf '%s\n\n' "$begin_mark"
    printf '| Lesson | Mistakes | Caught by `make grade` | Catch rate |\n|---|---|---|---|\n'
    for d in "$catalogue"/[0-9][0-9]-*/; do
        [ -d "$d" ] || continue
        n=0 caught=0
        for patch_file in $(patches_of "$d"); do
            n=$((n + 1))
            [ -n "$(header_section "$patch_file")" ] && caught=$((caught + 1))
        done
        [ "$n" -gt 0 ] && printf '| %s | %d | %d | %d%% |\n' "$(basename "$d")" "$n" "$caught" $((caught * 100 / n))
    done
    for d in "$catalogue"/[0-9][0-9]-*/; do
        [ -d "$d" ] || continue
        lesson=$(basename "$d")
        printf '\n**%s** (`%s`):\n\n' "$lesson" "${d%/}"
        for patch_file in $(patches_of "$d"); do
            section=$(header_section "$patch_file")
            gap=$(header_gap "$patch_file")
            if [ -n "$section" ]; then
                printf -- '- `%s`: %s. Caught in "%s".\n' "$(basename "$patch_file" .patch)" "$(header_what "$patch_file")" "$section"
            elif [ -z "$gap" ]; then
                printf -- '- `%s`: %s. **Caught only sometimes**: %s.\n' "$(basename "$patch_file" .patch)" "$(header_what "$patch_file")" "$(header_sometimes "$patch_file")"
            else
                printf -- '- `%s`: %s. **Not caught**: %s.\n' "$(basename "$patch_file" .patch)" "$(header_what "$patch_file")" "$gap"
            fi
        done
    done
    printf '\n%s\n' "$end_mark"
}

# The README with its list replaced by readme_list's (the rest unchanged).
# (Through ENVIRON: awk -v would turn the "\r\n" of a header into bytes.)
readme_updated() {
    BEGIN_MARK=$begin_mark END_MARK=$end_mark LIST=$1 awk '
        $0 == ENVIRON["BEGIN_MARK"] { print ENVIRON["LIST"]; skip = 1; next }
        $0 == ENVIRON["END_MARK"] { skip = 0; next }
        !skip { print }' "$readme"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mistakes.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ "$write_readme" = yes ]; then
    grep -qxF -- "$begin_mark" "$readme" 2>/dev/null ||
        { echo "$readme has no line: $begin_mark"; exit 1; }
    readme_list >"$tmp/list"
    readme_updated "$(cat "$tmp/list")" >"$tmp/readme" && cp "$tmp/readme" "$readme"
    echo "wrote the list of mistakes in $readme"
    exit 0
fi

# lesson_copy LESSON DIR: the lesson's sources, as a student would have them
# (as tests/exercises/check.sh copies them).
lesson_copy() {
    mkdir -p "$2"
    cp "lessons/$1"/*.c "lessons/$1/Makefile" "$2"/
    cp "lessons/$1"/*.h "$2"/ 2>/dev/null || true
}

# check_mistake NN LESSON PATCH: 1 to 3 for one patch. Prints one line:
# "  caught ...", "  not caught ..." (a known gap, as its header says), or
# "  FAIL ..." (a problem).
check_mistake() {
    local nn=$1 lesson=$2 patch_file=$3 slug section gap sometimes t dir status first_see first_fail
    slug=$(basename "$patch_file" .patch)
    t=$tmp/$lesson-$slug
    dir=$t.dir
    section=$(header_section "$patch_file")
    gap=$(header_gap "$patch_file")
    sometimes=$(header_sometimes "$patch_file")
    if [ -z "$section" ] && [ -z "$gap" ] && [ -z "$sometimes" ]; then
        printf '  FAIL        %s: its first line is not  Mistake: WHAT — breaks "SECTION"  (or  — not caught: WHY, or  — sometimes caught: WHY)\n' "$slug"
        return
    fi
    if [ -n "$section" ] && ! grep -qxF -- "## $section" "tests/grade/$lesson.order"; then
        printf '  FAIL        %s: "%s" is not a section of tests/grade/%s.order\n' "$slug" "$section" "$lesson"
        return
    fi
    lesson_copy "$lesson" "$dir"
    if ! (cd "$dir" && patch -p1 -F0 -s <"$REPO/$patch_file") >"$t.patch" 2>&1; then
        printf '  FAIL        %s: does not apply to lessons/%s without fuzz: %s\n' "$slug" "$lesson" "$(tr '\n' ' ' <"$t.patch")"
        return
    fi
    # make grade builds it (every time, with -B, its warnings shown): one
    # build, not two. Only its first failure counts here, so GRADE_STOP_FILE
    # (tests/helper.bash) skips the tests after it: failing tests wait out
    # their timeouts.
    rm -f "$t.stop"
    GRADE_STOP_FILE=$t.stop FIRST_FAIL=1 make -s --no-print-directory grade L="$nn" DIR="$dir" >"$t.grade" 2>&1
    status=$?
    # Warnings: counted on the summary line (tests/grade/README.md, "What
    # others may parse"); a build that failed has no summary line.
    if grep -q '^grade: [0-9]* passed, .* build warning' "$t.grade" ||
        grep -q '^grade: the build failed\|^grade: it does not build yet' "$t.grade"; then
        printf '  FAIL        %s: the lesson with this mistake does not build warning-free:\n' "$slug"
        sed -n '/^grade: building /,/^grade: running /p' "$t.grade" | sed '1d;$d;s/^/        /'
        return
    fi
    first_see=$(sed -n 's/^ *see: lessons\/[^,]*, "\(.*\)"$/\1/p' "$t.grade" | head -n 1)
    first_fail=$(sed -n 's/^ *FAIL  *\(.*\)/\1/p' "$t.grade" | head -n 1 | sed 's/   (.*//')
    if [ -n "$sometimes" ]; then
        if [ "$status" -eq 0 ]; then
            printf '  sometimes   %s: not caught this time, as its header allows\n' "$slug"
        else
            printf '  sometimes   %s: caught this time, in "%s" by "%s"\n' "$slug" "$first_see" "$first_fail"
        fi
    elif [ -n "$gap" ]; then
        if [ "$status" -eq 0 ]; then
            printf '  not caught  %s, as its header says\n' "$slug"
        else
            printf '  FAIL        %s: now caught in "%s" by "%s": make its header say  — breaks "%s"\n' \
                "$slug" "$first_see" "$first_fail" "$first_see"
        fi
    elif [ "$status" -eq 0 ]; then
        printf '  FAIL        %s: NOT CAUGHT: make grade passes it (%s)\n' "$slug" "$(grep '^grade: [0-9]' "$t.grade")"
    elif ! grep -q '^grade: [0-9]* passed, [1-9][0-9]* failed' "$t.grade" || [ -z "$first_see" ]; then
        printf '  FAIL        %s: make grade exited %s without a failure under a section; its output ends:\n' "$slug" "$status"
        tail -n 15 "$t.grade" | sed 's/^/        /'
    elif [ "$first_see" != "$section" ]; then
        printf '  FAIL        %s: caught in the wrong section: "%s" (by "%s"), its header says "%s"\n' \
            "$slug" "$first_see" "$first_fail" "$section"
    else
        printf '  caught      %s in "%s" by "%s"\n' "$slug" "$section" "$first_fail"
    fi
}

make -s -C tests tcpc >/dev/null || { echo "cannot build tests/tcpc"; exit 1; }

# Every job: "id lesson nn patch", run JOBS at a time.
jobs_list=$tmp/jobs
: >"$jobs_list"
n=0
for nn in "${numbers[@]}"; do
    lesson=$(lesson_named "$nn")
    [ -n "$lesson" ] || { echo "no lesson $nn in lessons/"; exit 1; }
    n=$((n + 1)) i=0
    for patch_file in $(patches_of "$catalogue/$lesson"); do
        i=$((i + 1)); echo "$n-$i $lesson $nn $patch_file" >>"$jobs_list"
    done
done

# A pool of JOBS (as in tests/exercises/check.sh: plain bash 3.2 has no
# `wait -n`, so look every 0.2 s which jobs have ended). Jobs start
# round-robin over the lessons, so that two copies of one lesson's heaviest
# tests rarely run side by side.
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
[ "$jobs" -ge 2 ] 2>/dev/null || jobs=2
started=$(date +%s)
pids=()
while read -r id lesson nn patch_file; do
    while [ ${#pids[@]} -ge "$jobs" ]; do
        sleep 0.2
        alive=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
        pids=(${alive[@]+"${alive[@]}"})
    done
    (
        job_started=$(date +%s)
        check_mistake "$nn" "$lesson" "$patch_file" >"$tmp/out.$id" 2>&1
        seconds=$(($(date +%s) - job_started))
        echo "$seconds" >"$tmp/time.$lesson.$id"
        # Its first line ends with what it cost: the slow ones are the
        # ones to make cheaper (CI runs them all).
        awk -v s="$seconds" 'NR == 1 { print $0 "  [" s " s]"; next } { print }' "$tmp/out.$id"
    ) >"$tmp/report.$id" 2>&1 </dev/null &
    pids+=($!)
done < <(sort -t- -k2,2n -k1,1n "$jobs_list")
wait

# lesson_summary LESSON: its line after its mistakes' lines.
lesson_summary() {
    local f=$tmp/lesson.$1 total caught gaps bad seconds
    total=$(grep -c '^  [a-zA-Z]' "$f")
    caught=$(grep -c '^  caught ' "$f")
    gaps=$(grep -c '^  not caught \|^  sometimes ' "$f")
    bad=$(grep -c '^  FAIL ' "$f")
    seconds=$(cat "$tmp/time.$1".* | awk '{ s += $1 } END { print s + 0 }')
    printf '%s: %d mistakes, %d caught where their header says, %d known gaps, %d problems; catch rate %d%%; %d s of checks\n' \
        "$1" "$total" "$caught" "$gaps" "$bad" $((total ? caught * 100 / total : 0)) "$seconds"
}

last=
while read -r id lesson nn patch_file; do
    if [ "$lesson" != "$last" ]; then
        [ -z "$last" ] || lesson_summary "$last"
        printf '%s\n' "$lesson"
        last=$lesson
    fi
    cat "$tmp/report.$id"
    cat "$tmp/report.$id" >>"$tmp/lesson.$lesson"
done <"$jobs_list"
[ -z "$last" ] || lesson_summary "$last"

# The README's list, checked against the headers.
readme_list >"$tmp/list"
if ! grep -qxF -- "$begin_mark" "$readme" 2>/dev/null; then
    printf '  FAIL        %s has no list of mistakes (a line: %s)\n' "$readme" "$begin_mark" | tee -a "$tmp/report.readme"
elif ! readme_updated "$(cat "$tmp/list")" | cmp -s - "$readme"; then
    printf '  FAIL        %s: the list of mistakes is out of date: run tests/grade/mistakes.sh --readme\n' "$readme" | tee -a "$tmp/report.readme"
fi

caught=$(cat "$tmp"/report.* 2>/dev/null | grep -c '^  caught ')
gaps=$(cat "$tmp"/report.* 2>/dev/null | grep -c '^  not caught \|^  sometimes ')
problems=$(cat "$tmp"/report.* 2>/dev/null | grep -c '^  FAIL ')
printf 'mistakes: %d caught as their headers say, %d known gaps, %d problems (%d s)\n' \
    "$caught" "$gaps" "$problems" $(($(date +%s) - started))
[ "$problems" -eq 0 ]
