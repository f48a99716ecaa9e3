#!/usr/bin/env bash
# tests/grade/grade.sh NN [DIR] [EXERCISE] — `make grade L=NN [DIR=...] [EXERCISE=k]
# [SECTION=ERE] [FIRST_FAIL=1]`. How grading works: tests/grade/README.md.
#
# Builds the folder DIR (default work/NN-name, made by `make start L=NN`) the
# way a lesson is built, then runs lesson NN's own tests against its programs
# (tests/helper.bash starts "$LESSON_DIR/server") and prints, in the order the
# lesson teaches, pass or FAIL per test, grouped by the README section that
# explains it; under a failure, what the test sent, what it expected, what
# came back (or the test's own message), and the section. EXERCISE=k runs the
# tests of exercise k instead (tests/exercises/NN-name.bats).
#
#   GRADE_SECTION=ERE   (make: SECTION=) only the sections whose "## " heading
#                       in tests/grade/NN-name.order matches ERE (grep -E)
#   GRADE_FIRST_FAIL=1  (make: FIRST_FAIL=) the sections one at a time, in
#                       order, stopping after the first one with a failure
#   GRADE_WAIT=N        how long a test waits for an answer (default 3 s)
#
# What others may parse, and must not change: the summary line starts
# "grade: N passed, N failed" (", ..." may follow); each failure prints an
# indented line `see: lessons/NN-name/README.md, "Section"`; the exit status
# is 0 when nothing failed, 1 when a test or the build failed, 2 for a usage
# error (or when the tests cannot run at all). `make grade` turns any non-zero
# status into make's own 2.
#
# Needs a C compiler, make and bats only. Tests tagged needs-node (they drive
# the server with an npm client) are left out: grading needs no Node.js.
# Plain bash 3.2 and POSIX tools, so it runs on macOS too.
set -uo pipefail
caller_dir=$PWD
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

# shellcheck source=tests/server.bash
source tests/server.bash

die() { printf 'grade: %s\n' "$*" >&2; exit 2; }
US=$'\037'     # between the lines of a reason, in one field
# sh_quote TEXT: TEXT in single quotes, for a command to copy.
sh_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

# ---- Arguments.
nn=${1:-} dir_arg=${2:-} exercise=${3:-}
section_ere=${GRADE_SECTION:-}
first_fail=${GRADE_FIRST_FAIL:-}
case $first_fail in
    '' | 0) first_fail= ;;
    1) ;;
    *) die "FIRST_FAIL=1 stops after the first section with a failure; '$first_fail' is not 1" ;;
esac
wait_s=${GRADE_WAIT:-3}
case $wait_s in
    '' | *[!0-9]* | 0*) die "GRADE_WAIT is a whole number of seconds, 1 or more (not '$wait_s')" ;;
esac
[ -n "$nn" ] || die "which lesson? make grade L=01 (or 02, 03, ...)"
lesson=$(lesson_named "$nn")
[ -n "$lesson" ] || die "no lesson $nn in lessons/ (there are: $(cd lessons && echo *))"
[ -z "$exercise" ] || [ -z "$section_ere" ] ||
    die "SECTION= picks sections of the lesson's tests; EXERCISE=$exercise runs one exercise's: give one of them"

# The command to run again, as the user gave it (DIR= kept), for the hints.
# (GRADE_AGAIN: set by common/build.mk's grade, run in a workspace.)
again=${GRADE_AGAIN:-"make grade L=$nn${dir_arg:+ DIR=$dir_arg}${exercise:+ EXERCISE=$exercise}"}
dir=${dir_arg:-work/$lesson}
case $dir in
    /*) ;;
    *) [ -z "$dir_arg" ] || [ ! -d "$caller_dir/$dir" ] || dir=$caller_dir/$dir ;;
esac
if [ ! -d "$dir" ]; then
    [ -z "$dir_arg" ] || die "no folder $dir_arg"
    die "no workspace $dir yet: make start L=$nn creates it (or DIR=folder grades another one)"
fi
dir=$(cd "$dir" && pwd)
show_dir=${dir#"$REPO"/}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/grade.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# ---- Which tests, in which order, under which README section.
# $tmp/sections: one heading a line (its number is its line number).
# $tmp/plan: SECTION-NUMBER TAB ALREADY(yes/no) TAB SHOWN-NAME TAB FULL-NAME TAB RAW-NAME
# (RAW-NAME: as written in the .bats file, where "\r" is "\\r": what bats -f
# matches; FULL-NAME: as bats reports it.)
if [ -n "$exercise" ]; then
    tests=tests/exercises/$lesson.bats
    [ -f "$tests" ] || die "lesson $nn has no graded exercises yet ($tests)"
    order=/dev/null
    pick="^$nn exercise $exercise: "
else
    tests=tests/$lesson.bats
    [ -f "$tests" ] || die "no tests for lesson $nn ($tests)"
    order=tests/grade/$lesson.order
    [ -f "$order" ] || order=/dev/null
    pick="^$nn: "
fi
# Every test of the file that grading runs: RAW TAB FULL (needs-node left out).
# (FULL: RAW as bash reads a double-quoted string: \\ \" \$ \` lose their backslash.)
awk -v pick="$pick" '
function unquote(s,   out, i, c) {
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\" && i < length(s) && index("\\\"$`", substr(s, i + 1, 1))) { i++; c = substr(s, i, 1) }
        out = out c
    }
    return out
}
/^# bats test_tags=/ { tags = $0; next }
/^@test / {
    raw = $0; sub(/^@test +["'"'"']/, "", raw); sub(/["'"'"'] *\{ *$/, "", raw)
    full = unquote(raw)
    if (tags !~ /needs-node/ && full ~ pick) printf "%s\t%s\n", raw, full
    tags = ""
}' "$tests" >"$tmp/tests"
if [ ! -s "$tmp/tests" ]; then
    [ -n "$exercise" ] &&
        die "exercise $exercise of lesson $nn has no test: see the Exercises in lessons/$lesson/README.md (some are prose: explain why)"
    die "no tests for lesson $nn in $tests"
fi
# The order file's sections and names, then whatever it does not place (a
# new test: tests/exercises/check.sh tells maintainers to place it) under
# "Tests", after them. Exercise tests: one section, "Exercises".
awk -F '\t' -v nn="$nn" -v exercise="$exercise" -v secfile="$tmp/sections" '
FILENAME != "-" && FNR == NR { full[$2] = $1; n++; names[n] = $2; next }
END {
    if (exercise != "") {
        print "Exercises" >secfile
        for (i = 1; i <= n; i++) printf "1\tno\t%s\t%s\t%s\n", names[i], names[i], full[names[i]]
        exit
    }
    s = 0
    while ((getline line < order) > 0) {
        if (line == "" || line ~ /^#( |$)/) continue
        if (line ~ /^## /) { print substr(line, 4) >secfile; s++; continue }
        already = "no"
        if (line ~ /^= /) { already = "yes"; line = substr(line, 3) }
        f = nn ": " line
        if (s == 0 || !(f in full) || (f in placed)) continue
        placed[f] = 1
        printf "%d\t%s\t%s\t%s\t%s\n", s, already, line, f, full[f]
    }
    extra = 0
    for (i = 1; i <= n; i++) {
        if (names[i] in placed) continue
        if (!extra) { print "Tests" >secfile; s++; extra = 1 }
        printf "%d\tno\t%s\t%s\t%s\n", s, substr(names[i], length(nn) + 3), names[i], full[names[i]]
    }
}' order="$order" "$tmp/tests" >"$tmp/plan"

# ---- SECTION=ERE: keep the sections whose heading matches.
if [ -n "$section_ere" ]; then
    grep -E -n -- "$section_ere" "$tmp/sections" >"$tmp/picked" 2>"$tmp/picked.err"
    case $? in
        0) ;;
        1)  printf 'grade: no section of lesson %s matches SECTION=%s. Its sections (tests/grade/%s.order):\n' \
                "$nn" "$section_ere" "$lesson" >&2
            sed 's/^/  /' "$tmp/sections" >&2
            exit 2 ;;
        *) die "SECTION=$section_ere is not an extended regular expression (grep -E): $(cat "$tmp/picked.err")" ;;
    esac
    cut -d: -f1 "$tmp/picked" | awk -F '\t' 'NR == FNR { want[$1] = 1; next } want[$1]' - "$tmp/plan" >"$tmp/plan.picked"
    mv "$tmp/plan.picked" "$tmp/plan"
    [ -s "$tmp/plan" ] || die "the sections matching SECTION=$section_ere have no tests to run"
fi

# ---- Build, exactly as a lesson is built: its Makefile, common/build.mk.
# -B: everything is compiled again, so its warnings are seen every time.
# WERROR= : warnings are shown and counted, never fatal, whatever the
# environment says (CI exports WERROR=1 for its own builds).
printf 'grade: building %s\n' "$show_dir"
if ! make -B -s --no-print-directory -C "$dir" COMMON="$REPO/common" WERROR= >"$tmp/build" 2>&1; then
    # Lessons 04 and 05 begin as a to-do list (tests/grade/todo.sh): say
    # that, rather than the linker's line per use of each missing name.
    if tests/grade/todo.sh "$nn" "$dir" "$tmp/build" >"$tmp/todo"; then
        printf 'grade: it does not build yet.\n'
        cat "$tmp/todo"
        printf 'Each file'"'"'s part of the header says what its names are for; lessons/%s/README.md explains them.\n' "$lesson"
        printf 'grade: then build it (make -C %s) and grade it: %s\n' "$show_dir" "$again"
        exit 1
    fi
    cat "$tmp/build"
    printf 'grade: the build failed (above); fix it first: make -C %s\n' "$show_dir"
    exit 1
fi
[ -x "$dir/server" ] || die "$show_dir has no server program after make"
# Warnings: shown above the results, and counted on the summary line.
warnings=$(grep -c ': warning: ' "$tmp/build")
if [ -s "$tmp/build" ]; then
    printf 'grade: it builds, with %d warning%s (a warning is often a bug: read %s):\n' \
        "$warnings" "$([ "$warnings" -eq 1 ] || echo s)" "$([ "$warnings" -eq 1 ] && echo it || echo them)"
    sed -n '1,40s/^/  /p' "$tmp/build"
    [ "$(wc -l <"$tmp/build")" -le 40 ] || printf '  ... (all of it: make -B -C %s)\n' "$show_dir"
fi
# It builds, but names the header declares may still be missing (a file
# left empty): the tests run anyway, and show what works so far.
if tests/grade/todo.sh "$nn" "$dir" >"$tmp/todo"; then
    printf 'grade: it builds, but is not finished.\n'
    cat "$tmp/todo"
fi
make -s --no-print-directory -C tests tcpc >/dev/null || die "cannot build tests/tcpc"

# What `make start` began from (tests/grade/NN-name.start), for "already passing".
base=$(sed -n 's/^from  *\([^ #]*\).*/lesson \1/p' "tests/grade/$lesson.start" 2>/dev/null | head -n 1)
[ -n "$base" ] || base="the starter"

# Run from a bats test (tests/grade.bats), by way of make's /bin/sh, the
# PATH leads to bats' own libexec, whose bats needs what only the outer one
# exported: take the plain bats command.
case ":$PATH:" in
    *'/libexec/bats-core:'*) PATH=$(printf '%s\n' "$PATH" | tr ':' '\n' | grep -v '/libexec/bats-core$' | paste -s -d ':' -) ;;
esac
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats:/usr/local/lib:/opt/homebrew/lib}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
# A test waits for an answer up to WAIT_SECONDS (tests/helper.bash: 10 in the
# normal suite). A correct server answers within a fraction of that even on a
# busy machine, and a student's unfinished one never does: give up after
# GRADE_WAIT seconds (default 3), so each failing test costs ~3 s, not ~10.
# A test's client (tests/tcpc) gives up after twice that, not after 10 s.
export WAIT_SECONDS=$wait_s
export TCPC_TIMEOUT=$((wait_s * 2))
export LESSON_DIR=$dir

# ---- Before any test: does the server start, say where it listens, and
# answer? A server that cannot is reported once, with what was seen, and no
# test runs (each would start it and wait in vain: minutes, not seconds).
# The request: every lesson answers it within a moment: 01 echoes it, 02
# numbers it, 03 answers the ping, 04 and 05 say welcome first.
probe_request='{"jsonrpc":"2.0","method":"ping","id":1}\n'
preflight() {   # sets $problem (lines joined by $US) and returns 1 when it fails
    local out=$tmp/pre.out log=$tmp/pre.log pid status=0 end port owner owned=0 ports left probe_pid
    problem=
    spawn_server "$out" "$log" "$dir/server" --port 0
    pid=$SPAWNED_PID
    end=$((SECONDS + wait_s))
    while ! grep -q '^listening on ' "$out" && kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do
        sleep 0.02
    done
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" || status=$?
        if grep -q '^listening on ' "$out"; then
            problem="it printed its readiness line, then exited at once: $(exit_reason "$status")"
        else
            problem="it exited at once, $(exit_reason "$status"), before printing its readiness line (\"listening on HOST:PORT\")"
        fi
        problem=$problem$(said "$out" "$log")
        end_group "$pid" >/dev/null
        return 1
    fi
    if ! grep -q '^listening on ' "$out"; then
        problem="it is running, but printed no readiness line within $wait_s s (GRADE_WAIT): \"listening on HOST:PORT\", the port it got from --port 0"
        ports=$(listening_ports "$pid" | tr '\n' ' ')
        [ -z "$ports" ] || problem="$problem${US}it listens on port ${ports% } though: does it ignore --port, or not print the line (or not fflush(stdout) after it)?"
        problem=$problem$(said "$out" "$log")
        stop_preflight "$pid"
        return 1
    fi
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
    if [ -z "$port" ]; then
        problem="its readiness line has no port: $(head -n 1 "$out" | cut -c 1-100)"
        stop_preflight "$pid"
        return 1
    fi
    owner=$(port_owner "$port" "$pid") || owned=$?
    if [ "$owned" -eq 1 ]; then
        problem="its readiness line names port $port, but the server does not listen there: $owner does"
        ports=$(listening_ports "$pid" | tr '\n' ' ')
        [ -z "$ports" ] || problem="$problem$US(the server listens on port ${ports% })"
        [ "$owner" = nobody ] ||
            problem="$problem${US}A server left running from \"Try it\"? See what holds the port: lsof -nP -iTCP:$port -sTCP:LISTEN"
        stop_preflight "$pid"
        return 1
    elif [ "$owned" -eq 2 ]; then
        printf 'grade: this system cannot say which process holds a port (no /proc/net/tcp, no lsof): the readiness line is trusted\n'
    fi
    # The request, and any answer: a byte, or the connection closed.
    "$REPO/tests/tcpc" --port "$port" --timeout $((wait_s + 2)) send "$probe_request" read 1 \
        >"$tmp/probe.out" 2>"$tmp/probe.err" 3>&- &
    probe_pid=$!
    end=$((SECONDS + wait_s))
    while kill -0 "$probe_pid" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do sleep 0.02; done
    if kill -0 "$probe_pid" 2>/dev/null; then
        problem="it listens on port $port, but gave no answer within $wait_s s (GRADE_WAIT) to the request $probe_request$(why_silent "$port")"
        kill "$probe_pid" 2>/dev/null
        wait "$probe_pid" 2>/dev/null
        problem=$problem$(said "$out" "$log")
        stop_preflight "$pid"
        return 1
    fi
    status=0
    wait "$probe_pid" || status=$?
    # (a close, even a reset, is an answer: lesson 01's outline hangs up)
    if [ "$status" -ne 0 ] && ! grep -q 'connection closed before\|reset by peer' "$tmp/probe.err"; then
        problem="it listens on port $port, but the connection failed: $(cat "$tmp/probe.err")$(said "$out" "$log")"
        stop_preflight "$pid"
        return 1
    fi
    stop_preflight "$pid"
}

# said OUT LOG: what the server printed, for a problem (\037 between lines).
said() {
    local o l
    if [ -s "$1" ]; then o=$(head -n 3 "$1" | cut -c 1-200); o=${o//$'\n'/$US}; else o='(none)'; fi
    printf '%sits output: %s' "$US" "$o"
    if [ -s "$2" ]; then
        l=$(tail -n 8 "$2" | cut -c 1-200 | sed 's/^/  /')
        printf '%sits log (stderr), last lines:%s%s' "$US" "$US" "${l//$'\n'/$US}"
    else
        printf '%sits log (stderr): (empty)' "$US"
    fi
}

# why_silent PORT: on Linux, where the request is stuck, from the kernel's
# socket queues (/proc/net/tcp): in the listen queue (never accepted), in the
# accepted socket (never read), or read and not answered.
why_silent() {
    [ -r /proc/net/tcp ] || return 0
    awk -v p="$(printf '%04X' "$1")" '
    FNR > 1 { n = split($2, a, ":"); if (a[n] != p) next
              split($5, q, ":"); rx = q[2]
              if ($4 == "0A") { if (rx != "00000000") backlog = 1 }
              else if ($4 == "01") { conn = 1; if (rx != "00000000") unread = 1 } }
    END {
        if (backlog) print "; it never accepted the connection (it is still in the listen queue: is the listener in the poll() set, and accept() called when it is readable?)"
        else if (unread) print "; it accepted the connection, but never read the request (it waits unread in the socket)"
        else if (conn) print "; it accepted the connection and read the request, but sent nothing back"
    }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# stop_preflight PID: SIGTERM, up to GRADE_WAIT to exit, then whatever is
# left of its process group. A server that outlives SIGTERM, or leaves a
# process behind, is a problem too: every test would stop it so.
stop_preflight() {
    local pid=$1 end left
    kill -TERM "$pid" 2>/dev/null
    end=$((SECONDS + wait_s))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do sleep 0.02; done
    if kill -0 "$pid" 2>/dev/null; then
        end_group "$pid" >/dev/null
        [ -n "$problem" ] || problem="it did not exit within $wait_s s of SIGTERM (the grader stops the server so after each test)"
        return 1
    fi
    wait "$pid" 2>/dev/null
    left=$(end_group "$pid")
    if [ -n "$left" ] && [ -z "$problem" ]; then
        left=$(printf '%s\n' "$left" | sed 's/^/  /')
        problem="it left processes running when it exited (the grader ended them):$US${left//$'\n'/$US}${US}a child it forked? A lesson's server is one process, whatever the number of clients."
        return 1
    fi
    [ -z "$problem" ]
}

# ere_names: the FULL names of the plan lines on stdin as one anchored ERE
# that bats -f matches against the RAW names (so "\r" as written: "\\r").
ere_names() {
    awk -F '\t' '
    function esc(s,   out, c, i) {
        out = ""
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (index("\\.[](){}*+?|^$", c)) out = out "\\" c; else out = out c
        }
        return out
    }
    { alt = alt (NR > 1 ? "|" : "") esc($5) }
    END { printf "^(%s)$", alt }'
}

# run_tests TAP [FILTER]: one bats run (of the tests matching FILTER, an ERE
# over the raw names); its TAP, parsed, is appended to $tmp/results.
run_tests() {
    if [ -n "${2:-}" ]; then
        bats --tap -f "$2" "$tests" >"$1" 2>&1
    else
        bats --tap --filter-tags '!needs-node' "$tests" >"$1" 2>&1
    fi
    parse_tap "$1" >>"$tmp/results"
    grep -q '^\(not \)\{0,1\}ok ' "$1" || {
        cat "$1"
        die "bats ran no test (its output is above)"
    }
}

# ---- TAP -> one line per test: STATUS TAB FULL-NAME TAB REASON, the
# reason's lines joined by \037. The reason: the command that sent (the
# test's last client line before the failing line), then bats-assert's
# expected and actual, shown where they differ, or the test's (or its
# helper's) own message.
parse_tap() {
    awk -v repo="$REPO" '
function flat(s) { gsub(/\t/, "\\t", s); gsub(/\r/, "\\r", s); gsub(/\n/, "\\n", s); return s }
# squeeze: a run of one character longer than 12 becomes "xxx...(4096 x)".
function squeeze(s,   out, i, j, c, n) {
    out = ""; n = length(s)
    for (i = 1; i <= n; i = j) {
        c = substr(s, i, 1)
        for (j = i + 1; j <= n && substr(s, j, 1) == c; j++) ;
        if (j - i > 12) out = out c c c "...(" (j - i) " " c ")"
        else out = out substr(s, i, j - i)
    }
    return out
}
# pair: expected and got, whole when short, else from a little before the
# first character where they differ.
function pair(e, a,   p, n, start, cut, r) {
    if (length(e) > 20000) e = substr(e, 1, 20000) "..."
    if (length(a) > 20000) a = substr(a, 1, 20000) "..."
    e = squeeze(flat(e)); a = squeeze(flat(a))
    if (length(e) <= 200 && length(a) <= 200)
        return "expected: " e "\037got:      " a
    n = length(e) < length(a) ? length(e) : length(a)
    for (p = 1; p <= n && substr(e, p, 1) == substr(a, p, 1); p++) ;
    start = p > 60 ? p - 60 : 1
    r = "expected: " (start > 1 ? "..." : "") substr(e, start, 160) (length(e) >= start + 160 ? "..." : "")
    r = r "\037got:      " (start > 1 ? "..." : "") substr(a, start, 160) (length(a) >= start + 160 ? "..." : "")
    return r "\037(they differ from character " p "; expected has " length(e) ", got " length(a) ")"
}
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
    r = ""
    if (status == "fail") {
        if (timedout) r = "the test ran out of time (BATS_TEST_TIMEOUT, " timedout " s)\037"
        if (snt != "") r = r "sent:     " (length(snt) > 200 ? substr(snt, 1, 197) "..." : snt) "\037"
        if (expected != "" || actual != "")
            r = r pair(expected, actual)
        else if (msg != "")
            r = r msg
        else if (cmd ~ /^wait_until /)
            r = r "waited in vain for: " substr(cmd, 12)
        else if (snt != "" && index(cmd, snt) == 1)
            r = r "(this command failed)"
        else
            r = r "failed: " cmd
        if (st != "") r = r "\037(exit status " st ")"
    } else if (status == "skip") r = skipwhy
    printf "%s\t%s\t%s\n", status, name, r
    name = ""
}
/^ok / || /^not ok / {
    finish()
    status = /^ok / ? (/ # skip/ ? "skip" : "pass") : "fail"
    name = $0; sub(/^(not )?ok [0-9]+ /, "", name)
    skipwhy = ""
    if (status == "skip") { skipwhy = name; sub(/.* # skip ?\(?/, "", skipwhy); sub(/\)$/, "", skipwhy) }
    timedout = 0
    if (match(name, / # timeout after [0-9]+s$/)) { timedout = substr(name, RSTART + 17); sub(/s$/, "", timedout) }
    sub(/ # (skip|timeout after).*/, "", name)
    expected = actual = msg = cmd = snt = st = ""; mode = ""; nmsg = 0
    next
}
status == "fail" && /^#/ {
    l = substr($0, 3)
    # The stack trace: the test file line tells what was sent; the rest
    # (helpers, bats-support) is noise to a student.
    if (l ~ /^[( ]*(from function|in test file)/) {
        if (match(l, /in test file [^,]+, line [0-9]+/)) {
            f = substr(l, RSTART + 13); sub(/,.*/, "", f)
            ln = substr(l, RSTART); sub(/.*line /, "", ln); sub(/[^0-9].*/, "", ln)
            if (f !~ /^\//) f = repo "/" f
            if (f !~ /helper\.bash$/) snt = sent(f, ln + 0)
        }
        next
    }
    if (l ~ /^  `.*'"'"' failed/ && cmd == "") { cmd = l; sub(/^  `/, "", cmd); sub(/'"'"' failed.*/, "", cmd); next }
    # bash reporting the server it started dying ("... Segmentation fault  "$@" > ...")
    if (l ~ /: line [0-9]+: +[0-9]+ [A-Z][a-z].*"\$@"/) next
    if (l ~ /^-- command failed --$/) { expected = "success (exit status 0)"; mode = ""; next }
    if (l ~ /^-- .* --$/ || l == "--" || l ~ /^index +:/) { mode = ""; next }
    if (l ~ /^status +:/) { st = l; sub(/^status +: */, "", st); next }
    if (l ~ /^output( \(| +:)/)   { mode = "a"; if (l ~ /^output +:/) { sub(/^output +: ?/, "", l); actual = l }; next }
    if (l ~ /^(regexp|substring) +:/) { expected = l; sub(/ +: ?/, " ", expected); next }
    if (l ~ /^expected( \(| +:)/) { mode = "e"; if (l ~ /^expected +:/) { sub(/^expected +: ?/, "", l); expected = l }; next }
    if (l ~ /^actual( \(| +:)/)   { mode = "a"; if (l ~ /^actual +:/) { sub(/^actual +: ?/, "", l); actual = l }; next }
    if (mode == "e") { sub(/^  /, "", l); expected = expected (expected == "" ? "" : "\n") l; next }
    if (mode == "a") { sub(/^  /, "", l); actual = actual (actual == "" ? "" : "\n") l; next }
    # The test'"'"'s (or its helper'"'"'s) own words: up to 12 lines.
    if (l == "" && msg == "") next
    if (++nmsg <= 12) msg = msg (msg == "" ? "" : "\037") flat(length(l) > 200 ? substr(l, 1, 197) "..." : l)
    else if (nmsg == 13) msg = msg "\037..."
}
END { finish() }
' "$1"
}

# ---- Print: per section, in the lesson's order.
passed=0 failed=0 skipped=0 already_failing=0 last_section='' first_failed_section=''
show() {    # show STATUS SHOWN-NAME REASON ALREADY SECTION
    local mark=pass note=
    if [ "$1" = fail ]; then
        mark=FAIL
        failed=$((failed + 1))
        [ -n "$first_failed_section" ] || first_failed_section=$5
        [ "$4" = yes ] && { note="   ($base passes this one: something that worked broke)"; already_failing=$((already_failing + 1)); }
    elif [ "$1" = skip ]; then
        mark=skip
        skipped=$((skipped + 1))
    else
        passed=$((passed + 1))
        [ "$4" = yes ] && note="   (already passing on $base's code: not what this lesson adds)"
    fi
    printf '  %-4s  %s%s\n' "$mark" "$2" "$note"
    if [ "$1" = fail ]; then
        printf '%s\n' "$3" | tr '\037' '\n' | sed 's/^/        /'
        printf '        see: lessons/%s/README.md, "%s"\n' "$lesson" "$5"
    elif [ "$1" = skip ] && [ -n "$3" ]; then
        printf '%s\n' "$3" | tr '\037' '\n' | sed 's/^/        /'
    fi
    return 0
}
# show_sections FIRST LAST: the plan's lines of those sections that ran.
show_sections() {
    local s already shown full result section
    while IFS="$(printf '\t')" read -r s already shown full _; do
        if [ "$s" -lt "$1" ] || [ "$s" -gt "$2" ]; then continue; fi
        result=$(FULL=$full awk -F '\t' '$2 == ENVIRON["FULL"] { print; exit }' "$tmp/results")
        [ -n "$result" ] || continue
        section=$(sed -n "${s}p" "$tmp/sections")
        if [ "$section" != "$last_section" ]; then
            if [ -n "$exercise" ]; then
                printf 'README "Exercises", exercise %s\n' "$exercise"
            else
                printf 'README "%s"\n' "$section"
            fi
            last_section=$section
        fi
        show "$(cut -f 1 <<<"$result")" "$shown" "$(cut -f 3 <<<"$result")" "$already" "$section"
    done <"$tmp/plan"
}

: >"$tmp/results"
not_run=0 not_run_why=
printf 'grade: running %s against it (a failure can take a few seconds: tests wait for answers)\n\n' "$tests"
if ! preflight 2>"$tmp/pre.stderr"; then      # (bash's "Segmentation fault" notice, too)
    # Reported once, under the first section; no test runs.
    first=$(head -n 1 "$tmp/plan" | cut -f 1)
    section=$(sed -n "${first}p" "$tmp/sections")
    if [ -n "$exercise" ]; then printf 'README "Exercises", exercise %s\n' "$exercise"; else printf 'README "%s"\n' "$section"; fi
    show fail "the server starts, says where it listens (its readiness line), and answers" \
        "$problem" no "$section"
    not_run=$(wc -l <"$tmp/plan" | tr -d ' ')
    not_run_why="each starts this server: first fix what the failure above says (try it by hand: $show_dir/server --port 0)"
    preflight_failed=1
elif [ -n "$first_fail" ]; then
    # One bats run per section, in order: stop after one with a failure.
    for s in $(cut -f 1 "$tmp/plan" | uniq); do
        if [ "$failed" -gt 0 ]; then
            not_run=$((not_run + $(awk -F '\t' -v s="$s" '$1 == s' "$tmp/plan" | wc -l)))
            continue
        fi
        run_tests "$tmp/tap.$s" "$(awk -F '\t' -v s="$s" '$1 == s' "$tmp/plan" | ere_names)"
        show_sections "$s" "$s"
    done
    not_run_why="FIRST_FAIL=1 stops after the first section with a failure"
elif [ -n "$section_ere" ]; then
    run_tests "$tmp/tap" "$(ere_names <"$tmp/plan")"
    show_sections 1 999999
else
    run_tests "$tmp/tap"
    show_sections 1 999999
fi

printf '\ngrade: %d passed, %d failed%s%s\n' "$passed" "$failed" "$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")" \
    "$([ "$warnings" -eq 0 ] || echo ", $warnings build warning$([ "$warnings" -eq 1 ] || echo s)")"
[ "$not_run" -eq 0 ] || printf '%d test%s not run: %s\n' "$not_run" "$([ "$not_run" -eq 1 ] || echo s)" "$not_run_why"
if [ "$failed" -gt 0 ]; then
    if [ -n "$exercise" ]; then
        printf 'Stuck? Read the exercise in lessons/%s/README.md; the worked solution, with its reasons:\n' "$lesson"
        if [ -n "${GRADE_AGAIN:-}" ]; then      # run in a workspace: solve is a top-level target
            printf '  cd %s && make solve L=%s EXERCISE=%s DIR=%s\n' "$REPO" "$nn" "$exercise" "$show_dir"
        else
            printf '  make solve L=%s EXERCISE=%s%s\n' "$nn" "$exercise" "${dir_arg:+ DIR=$dir_arg}"
        fi
    elif [ -n "${preflight_failed:-}" ]; then
        printf 'Stuck? Run it by hand as the README does, and talk to it with nc; then: %s\n' "$again"
    else
        printf 'Stuck? Read the section named under a failure, then run that section alone:\n'
        printf '  %s SECTION=%s\n' "$again" "$(sh_quote "$(printf '%s' "$first_failed_section" | sed 's/[][\\.(){}*+?|^$]/\\&/g')")"
        [ -n "$first_fail" ] || printf '  (FIRST_FAIL=1 runs the sections in order and stops after the first with a failure)\n'
        [ "$dir" = "$REPO/lessons/$lesson" ] ||
            printf 'or compare with the lesson: diff -u lessons/%s/server.c %s/server.c\n' "$lesson" "$show_dir"
    fi
    exit 1
fi
exit 0
