#!/usr/bin/env bash
# tests/grade/grade.sh NN [DIR] [EXERCISE] — `make grade L=NN [DIR=...] [EXERCISE=k]`.
#
# Builds the folder DIR (default work/NN-name, made by `make start L=NN`) the
# way a lesson is built, then runs lesson NN's own tests against its programs
# (tests/helper.bash starts "$LESSON_DIR/server") and prints, in the order the
# lesson teaches, pass or FAIL per test; for a failure, one line: what the
# test sent, what it expected, what came back, and the README section that
# explains it. EXERCISE=k runs the tests of exercise k instead
# (tests/exercises/NN-name.bats). Ends with "grade: N passed, N failed" and
# exits 1 if anything failed. Needs a C compiler, make and bats only.
# GRADE_WAIT=N: how long a test waits for an answer (default 3 s).
#
# The order, the README sections and the tests that lesson NN-1's code passes
# already are in tests/grade/NN-name.order (see the comment at its top).
# Tests tagged needs-node (they drive the server with an npm client) are left
# out: grading needs no Node.js.
#
# Plain bash 3.2 and POSIX tools, so it runs on macOS too.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'grade: %s\n' "$*" >&2; exit 2; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

[ -n "${1:-}" ] || die "which lesson? make grade L=01 (or 02, 03, ...)"
lesson=$(lesson_named "$1")
[ -n "$lesson" ] || die "no lesson $1 in lessons/ (there are: $(cd lessons && echo *))"
dir=${2:-work/$lesson}
exercise=${3:-}

if [ ! -d "$dir" ]; then
    [ -z "${2:-}" ] || die "no folder $dir"
    die "no workspace $dir yet: make start L=$1 creates it (or DIR=folder grades another one)"
fi
dir=$(cd "$dir" && pwd)

# ---- Build, exactly as a lesson is built: its Makefile, common/build.mk.
printf 'grade: building %s\n' "${dir#"$REPO"/}"
if ! make -s --no-print-directory -C "$dir" COMMON="$REPO/common" >"${TMPDIR:-/tmp}/grade-build.$$" 2>&1; then
    cat "${TMPDIR:-/tmp}/grade-build.$$"
    rm -f "${TMPDIR:-/tmp}/grade-build.$$"
    printf 'grade: the build failed (above); fix it first: make -C %s\n' "${dir#"$REPO"/}"
    exit 1
fi
rm -f "${TMPDIR:-/tmp}/grade-build.$$"
[ -x "$dir/server" ] || die "$dir has no server program after make"
make -s --no-print-directory -C tests tcpc >/dev/null || die "cannot build tests/tcpc"

# ---- Which tests.
filter=() order=tests/grade/$lesson.order
if [ -n "$exercise" ]; then
    tests=tests/exercises/$lesson.bats
    [ -f "$tests" ] || die "lesson $1 has no graded exercises yet ($tests)"
    filter=(-f "^$1 exercise $exercise: ")
    grep -q "^@test \"$1 exercise $exercise: " "$tests" ||
        die "exercise $exercise of lesson $1 has no test: see the Exercises in lessons/$lesson/README.md (some are prose: explain why)"
    order=/dev/null
else
    tests=tests/$lesson.bats
    [ -f "$tests" ] || die "no tests for lesson $1 ($tests)"
    filter=(--filter-tags '!needs-node')
    [ -f "$order" ] || order=/dev/null
fi
# What `make start` began from (tests/grade/NN-name.start), for "already passing".
base=$(sed -n 's/^from  *\([^ #]*\).*/lesson \1/p' "tests/grade/$lesson.start" 2>/dev/null | head -n 1)
[ -n "$base" ] || base="the starter"

export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats:/usr/local/lib:/opt/homebrew/lib}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
# A test waits for an answer up to WAIT_SECONDS (tests/helper.bash: 10 in the
# normal suite). A correct server answers within a fraction of that even on a
# busy machine, and a student's unfinished one never does: give up after
# GRADE_WAIT seconds (default 3), so each failing test costs ~3 s, not ~10.
# A test's client (tests/tcpc) gives up after twice that, not after 10 s.
export WAIT_SECONDS=${GRADE_WAIT:-3}
export TCPC_TIMEOUT=$((${WAIT_SECONDS%%.*} * 2))
export LESSON_DIR=$dir
tmp=$(mktemp -d "${TMPDIR:-/tmp}/grade.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
printf 'grade: running %s against it (a failure can take a few seconds: tests wait for answers)\n' "$tests"
bats --tap "${filter[@]}" "$tests" >"$tmp/tap" 2>&1

# ---- TAP -> one line per test: status TAB name TAB reason.
# The reason: the command that sent (the test's last run/client line before
# the failing line), bats-assert's expected/actual, or fail's message.
awk -v repo="$REPO" '
function flat(s) { gsub(/\t/, " ", s); return s }
function short(s) { s = flat(s); return length(s) > 90 ? substr(s, 1, 87) "..." : s }
function sent(file, line,    i, l, n, src, best) {
    n = 0
    while ((getline l < file) > 0 && n < line) src[++n] = l
    close(file)
    for (i = n; i > 0 && src[i] !~ /^@test /; i--)
        if (src[i] ~ /^[ \t]*(run +(--separate-stderr +)?)?(client|rpc|rpc_client|bg_client) /) {
            best = src[i]; break
        }
    sub(/^[ \t]+/, "", best); sub(/^run (--separate-stderr )?/, "", best)
    return best
}
function finish(   r) {
    if (name == "") return
    if (status == "fail") {
        if (expected != "" || actual != "")
            r = "expected " short(expected) " | got " short(actual)
        else if (msg != "")
            r = short(msg)
        else if (cmd ~ /^wait_until /)
            r = "waited in vain for: " short(substr(cmd, 12))
        else
            r = "failed: " short(cmd)
        if (st != "") r = r " (exit status " st ")"
        if (snt != "") r = "sent " short(snt) " | " r
        if (timedout) r = "timed out: " r
    }
    printf "%s\t%s\t%s\n", status, name, (status == "fail" ? r : "")
    name = ""
}
/^ok / || /^not ok / {
    finish()
    status = /^ok / ? (/ # skip/ ? "skip" : "pass") : "fail"
    name = $0; sub(/^(not )?ok [0-9]+ /, "", name); sub(/ # skip.*/, "", name)
    expected = actual = msg = cmd = snt = st = ""; mode = ""; timedout = 0
    next
}
status == "fail" && /^# / {
    l = substr($0, 3)
    if (match(l, /in test file [^,]+, line [0-9]+/)) {
        f = substr(l, RSTART + 13); sub(/,.*/, "", f)
        ln = substr(l, RSTART); sub(/.*line /, "", ln); sub(/[^0-9].*/, "", ln)
        if (f !~ /^\//) f = repo "/" f
        snt = sent(f, ln + 0)
        next
    }
    if (l ~ /^\(from function/) next
    if (l ~ /^  `.*'"'"' failed/) { cmd = l; sub(/^  `/, "", cmd); sub(/'"'"' failed.*/, "", cmd); next }
    if (l ~ /timed out/) timedout = 1
    if (l ~ /^-- command failed --$/) { expected = "success (exit status 0)"; mode = ""; next }
    if (l ~ /^-- .* --$/ || l == "--" || l ~ /^index +:/) { mode = ""; next }
    if (l ~ /^status +:/) { st = l; sub(/^status +: */, "", st); next }
    if (l ~ /^output( \(| +:)/)   { mode = "a"; if (l ~ /^output +:/) { sub(/^output +: ?/, "", l); actual = l }; next }
    if (l ~ /^(regexp|substring) +:/) { expected = l; sub(/ +: ?/, " ", expected); next }
    if (l ~ /^expected( \(| +:)/) { mode = "e"; if (l ~ /^expected +:/) { sub(/^expected +: ?/, "", l); expected = l }; next }
    if (l ~ /^actual( \(| +:)/)   { mode = "a"; if (l ~ /^actual +:/) { sub(/^actual +: ?/, "", l); actual = l }; next }
    if (mode == "e") { sub(/^  /, "", l); expected = expected (expected == "" ? "" : "\\n") l; next }
    if (mode == "a") { sub(/^  /, "", l); actual = actual (actual == "" ? "" : "\\n") l; next }
    if (l != "" && msg == "") msg = l
}
END { finish() }
' "$tmp/tap" >"$tmp/results"

if [ ! -s "$tmp/results" ]; then
    cat "$tmp/tap"
    die "bats ran no test (output above)"
fi

# ---- Print in the lesson's order, grouped by README section.
passed=0 failed=0 already_failing=0
printf '\n'
show() {    # show STATUS NAME REASON ALREADY SECTION
    local mark=pass note=
    if [ "$1" = fail ]; then
        mark=FAIL
        failed=$((failed + 1))
        [ "$4" = yes ] && { note="   ($base passes this one: something that worked broke)"; already_failing=$((already_failing + 1)); }
    elif [ "$1" = skip ]; then
        mark=skip
    else
        passed=$((passed + 1))
        [ "$4" = yes ] && note="   (already passing on $base's code: not what this lesson adds)"
    fi
    printf '  %-4s  %s%s\n' "$mark" "$2" "$note"
    [ "$1" = fail ] && printf '        %s\n        see: lessons/%s/README.md, "%s"\n' "$3" "$lesson" "$5"
    return 0
}
section=Exercises last_section='' fallback=Tests
[ -n "$exercise" ] && fallback=Exercises
[ -n "$exercise" ] && printf 'README "Exercises", exercise %s\n' "$exercise"
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
        '' | '# '* | '#') continue ;;
        '## '*) section=${line#\#\# }; continue ;;
    esac
    already=no
    case $line in '= '*) already=yes; line=${line#= } ;; esac
    # (the name through ENVIRON: awk -v would turn a "\r" in it into a CR)
    result=$(NAME=$line awk -F '\t' '{ n = ENVIRON["NAME"] }
        $2 == n || $2 ~ /^[0-9][0-9]: / && substr($2, 5) == n { print; exit }' "$tmp/results")
    [ -n "$result" ] || continue
    printf '%s\n' "$result" >>"$tmp/shown"
    if [ "$section" != "$last_section" ]; then
        printf 'README "%s"\n' "$section"
        last_section=$section
    fi
    show "$(cut -f 1 <<<"$result")" "$line" "$(cut -f 3 <<<"$result")" "$already" "$section"
done <"$order"

# Tests the order file does not list (new ones, or every exercise test).
touch "$tmp/shown"
header=
while IFS= read -r result; do
    grep -qxF -- "$result" "$tmp/shown" && continue
    if [ -z "$header" ] && [ -z "$exercise" ]; then
        printf 'not yet placed in the lesson order (tests/grade/%s.order)\n' "$lesson"
        header=1
    fi
    show "$(cut -f 1 <<<"$result")" "$(cut -f 2 <<<"$result")" "$(cut -f 3 <<<"$result")" no "$fallback"
done <"$tmp/results"

printf '\ngrade: %d passed, %d failed\n' "$passed" "$failed"
if [ "$failed" -gt 0 ]; then
    printf 'Stuck? Read the section named under a failure, run one test alone with\n'
    printf '  LESSON_DIR=%s BATS_LIB_PATH=%s bats -f NAME %s\n' "${dir#"$REPO"/}" "$BATS_LIB_PATH" "$tests"
    printf 'or compare with the lesson: diff -u lessons/%s/server.c %s/server.c\n' "$lesson" "${dir#"$REPO"/}"
    exit 1
fi
exit 0
