#!/usr/bin/env bash
# slides/tools/rehearse.sh — a deck's typing order, replayed and checked.
#
#   rehearse.sh NN            `make rehearse L=NN`: from a fresh `make start`
#                             workspace in a temporary folder, apply the steps
#                             of slides/steps/NN-name/ in order and check each
#                             checkpoint the way the deck's notes state it.
#                             Prints one line per checkpoint and ends with the
#                             summary of the last one, a full `make grade`.
#   rehearse.sh all           the same for every lesson with step data
#   rehearse.sh NN --without K[-M]
#                             the same without steps K to M (tests/rehearse.bats:
#                             removing a step must fail the next checkpoint);
#                             the checkpoints before step K are not run again
#   rehearse.sh steps NN      one line per step: number, checkpoint, file
#   rehearse.sh notes NN [--write]
#                             the numbered list the deck's first note must hold
#                             (--write: put it there, in place of the deck's)
#   rehearse.sh check-notes NN   the deck's list is the data's, and each
#                             checkpoint's note names the commands it runs
#   rehearse.sh unpack NN DIR    the workspace after each step: DIR/0-start,
#                             DIR/1-..., to read, build or run
#   rehearse.sh pack NN DIR   rewrite each step's diff from DIR's states
#                             (headers kept): after editing a state, and every
#                             later state with it
#   rehearse.sh refresh NN    after the lesson's code changed: apply the steps
#                             with fuzz, rewrite each diff exactly, and show
#                             what is left over (what no step types yet)
#
# A step is one file, slides/steps/NN-name/K-slug.patch: the item of the
# deck's "Type in this order" list, verbatim ("K. ..." and its indented
# lines, the "Checkpoint X: ..." line among them); a blank line; for a step
# with a checkpoint, its check and a blank line; then a unified diff of the
# workspace's files (a/FILE, b/FILE), applied with `patch -p1` and no fuzz.
# The check is one of:
#
#   check: build                   `make WERROR=1` (every checkpoint builds first)
#   check: grade                   `make grade L=NN`: 0 failed; the last
#                                  checkpoint is this, and then the workspace
#                                  must equal lessons/NN-name/ (its sources)
#   check: grade 'ERE'             `make grade L=NN SECTION='ERE'`: the tests
#                                  under the matching README sections pass
#   check: server [ARGS]           the workspace's server on --port 0 ARGS
#   ulimit: -n 16                  (optional: started under that ulimit);
#   $ COMMAND                      each command, run from the repository root
#   expected output...             with PORT and SERVER_PID set and
#   log: TEXT                      work/NN-name/ meaning the workspace, must
#   exit: STATUS                   print exactly the lines under it (stdout and
#                                  stderr; no blank line in it); the server's
#                                  log must show each "log: " line, in order
#                                  (its time and client ports left out; <N>
#                                  stands for any number); a
#                                  command still running after 30 s fails;
#                                  the server must still run, or with
#                                  "exit:" stop by itself with that status
#
# The notes name what the check runs: the grade command with its SECTION,
# or each "$ " command, between backquotes (check-notes checks it).
# Plain bash 3.2 and POSIX tools (and patch, diff -u), so it runs on macOS too.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 1

die() { printf 'rehearse: %s\n' "$*" >&2; exit 2; }
usage() {
    sed -n '2,/^# A step is/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# lesson_named NN: lessons/NN-* as its folder name, e.g. 02-line-framing.
lesson_named() {
    local d
    for d in lessons/"$1"-*/; do [ -d "$d" ] && basename "$d" && return; done
}

# step_files LESSON: its step files in order (by their leading number).
step_files() {
    local f
    for f in slides/steps/"$1"/[0-9]*.patch; do
        [ -f "$f" ] && printf '%s\t%s\n' "$(basename "$f" | sed 's/[^0-9].*//')" "$f"
    done | sort -n -k1,1 | cut -f 2
}

# note FILE: the step's item, as the deck lists it (up to the first blank line).
note() { awk 'NF == 0 { exit } { print }' "$1"; }
# check FILE: its check lines (the block after the note, up to a blank line;
# none when the diff follows the note).
check() { awk '/^--- / { exit } NF == 0 { if (++blank == 2) exit; next } blank == 1 { print }' "$1"; }
# body FILE: the diff.
body() { awk '/^--- / { on = 1 } on { print }' "$1"; }
# label FILE: the checkpoint its note names ("Checkpoint 2:" -> 2), or nothing.
label() { note "$1" | sed -n 's/^ *Checkpoint \([A-Za-z0-9]*\):.*/\1/p' | head -n 1; }

# sources DIR: the files a workspace's code is made of, one a line.
sources() {
    local f
    for f in "$1"/*.c "$1"/*.h "$1"/Makefile; do [ -f "$f" ] && basename "$f"; done
    return 0
}

# apply DIR PATCHFILE [FUZZ]: apply a step's diff; patch's complaints on stdout.
apply() {
    local out status
    out=$(body "$2" | patch -p1 -N -F "${3:-0}" -d "$1" 2>&1)
    status=$?
    rm -f "$1"/*.orig
    printf '%s\n' "$out"
    return $status
}

# new_workspace LESSON DIR: `make start`'s workspace for LESSON, in DIR.
new_workspace() {
    local n=${1%%-*} out
    out=$(tests/grade/start.sh "$n" "$2" 2>&1) || { printf '%s\n' "$out"; return 1; }
}

# diff_states OLD NEW: a unified diff of their sources, a/FILE and b/FILE.
diff_states() {
    local f a b la lb
    for f in $( (sources "$1"; sources "$2") | sort -u); do
        a=$1/$f b=$2/$f la=a/$f lb=b/$f
        [ -f "$a" ] || { a=/dev/null; la=/dev/null; }
        [ -f "$b" ] || { b=/dev/null; lb=/dev/null; }
        diff -u --label "$la" --label "$lb" "$a" "$b"
    done
    return 0
}

# differs_from_lesson DIR LESSON: what DIR's sources lack or have that the
# lesson's do not (diff -u), or nothing.
differs_from_lesson() {
    local f
    for f in $( (sources "$1"; sources "lessons/$2") | sort -u); do
        if [ ! -f "$1/$f" ]; then
            printf 'only in lessons/%s: %s\n' "$2" "$f"
        elif [ ! -f "lessons/$2/$f" ]; then
            printf 'only in the workspace: %s\n' "$f"
        else
            diff -u --label "lessons/$2/$f" --label "workspace/$f" "lessons/$2/$f" "$1/$f"
        fi
    done
    return 0
}

# ---- Checks -----------------------------------------------------------------

SERVER_PID=
COMMAND_SECONDS=${REHEARSE_COMMAND_SECONDS:-30}    # the most a checkpoint's command may take
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}

# Each check prints what it did on success (for "checkpoint N ok: ..."), or
# why it failed (first line: the reason; more lines: the evidence).
WHY=
check_build() {     # check_build WS
    local out
    if out=$(make -s --no-print-directory -C "$1" COMMON="$REPO/common" WERROR=1 2>&1); then
        WHY='builds with make WERROR=1'
    else
        WHY="make WERROR=1 fails:"$'\n'$(printf '%s\n' "$out" | head -n 20)
        return 1
    fi
}

# check_grade WS N [ERE]
check_grade() {
    local out summary cmd="make grade L=$2" status
    [ -n "${3:-}" ] && cmd="$cmd SECTION='$3'"
    # A test waits GRADE_WAIT s for an answer: make grade's 3 s ends a
    # student's failing test sooner, but a correct server under load (CI, a
    # busy machine: 20 readers and a flood) can take longer. Here the
    # suite's own 10 s. A checkpoint fails on its first failing test: the
    # tests after it are skipped (GRADE_STOP_FILE, tests/helper.bash), as a
    # failing test waits those 10 s, and so would the rest.
    rm -f "$TMP/grade-stop"
    out=$(GRADE_STOP_FILE=$TMP/grade-stop GRADE_WAIT=${REHEARSE_GRADE_WAIT:-10} \
        make -s --no-print-directory grade L="$2" DIR="$1" SECTION="${3:-}" FIRST_FAIL=1 2>&1)
    status=$?
    summary=$(printf '%s\n' "$out" | grep '^grade: [0-9]* passed, [0-9]* failed' | tail -n 1)
    GRADE_SUMMARY=$summary
    case $summary in
    'grade: 0 passed, 0 failed'*) WHY="$cmd ran no test: ${summary#grade: }"$'\n'$(printf '%s\n' "$out" | tail -n 20); return 1 ;;
    *' 0 failed'*) [ "$status" -eq 0 ] && { WHY="$cmd: ${summary#grade: }"; return 0; } ;;
    esac
    WHY="$cmd: ${summary#grade: }"
    [ -n "$summary" ] || WHY="$cmd did not finish (exit status $status)"
    WHY=$WHY$'\n'$(printf '%s\n' "$out" | grep -v '^  pass ' | tail -n 25)
    return 1
}

# check_server WS LESSON CHECKLINES: start the server, run the "$ " commands,
# compare, look for the "log: " lines.
check_server() {
    local ws=$1 lesson=$2 lines=$3 args limit status tmp line cmd got want port
    args=$(printf '%s\n' "$lines" | sed -n '1s/^check: server *//p')
    limit=$(printf '%s\n' "$lines" | sed -n 's/^ulimit: *//p')
    status=$(printf '%s\n' "$lines" | sed -n 's/^exit: *//p')
    tmp=$ws/.rehearse
    mkdir -p "$tmp"
    : >"$tmp/out"
    # Only stdin, stdout and stderr: a descriptor the caller left open (bats'
    # fd 3, a make jobserver, a terminal's fd 10 or 255) would hold a number
    # the notes' "fd 4" needs, and a slot under the notes' `ulimit -n 16`.
    # Every other one /dev/fd lists is closed (bash closes numbers over 9 by
    # name too).
    # shellcheck disable=SC2086 # ARGS and the limit are words, as the notes write them
    (for fd in /dev/fd/*; do
         fd=${fd##*/}
         case $fd in 0 | 1 | 2 | *[!0-9]*) ;; *) eval "exec $fd>&-" 2>/dev/null ;; esac
     done
     if [ -n "$limit" ]; then ulimit $limit || exit 126; fi
     exec "$ws/server" --port 0 $args) >"$tmp/out" 2>"$tmp/log" </dev/null &
    SERVER_PID=$!
    for _ in $(seq 500); do
        grep -q '^listening on ' "$tmp/out" && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.02
    done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/out")
    if [ -z "$port" ]; then
        WHY="the server printed no readiness line; its log:"$'\n'$(head -n 20 "$tmp/log")
        stop_server
        return 1
    fi
    # The commands and what each must print, then the log lines.
    printf '%s\n' "$lines" | sed 1d >"$tmp/check"
    cmd='' want='' WHY=''
    run_one() {
        [ -n "$cmd" ] || return 0
        local c=${cmd//work\/$lesson/$ws}
        # A command still running after COMMAND_SECONDS is stopped, with the
        # processes it started (a pipeline's).
        local pid waited=0
        (cd "$REPO" && PORT=$port SERVER_PID=$SERVER_PID exec bash -c "$c") >"$tmp/got" 2>&1 </dev/null 3>&- &
        pid=$!
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((COMMAND_SECONDS * 50)) ]; do
            sleep 0.02
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            pkill -P "$pid" 2>/dev/null
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            WHY="\`$cmd\` still ran after $COMMAND_SECONDS s, and was stopped: it printed"$'\n'$(head -n 20 "$tmp/got" 2>/dev/null)
            return 1
        fi
        wait "$pid" 2>/dev/null
        got=$(sed 's/[[:space:]]*$//' "$tmp/got")
        if [ "$got" != "$want" ]; then
            WHY="\`$cmd\` printed something else"$'\n'"  want: $(printf '%s' "$want" | sed '2,$s/^/        /')"$'\n'"  got:  $(printf '%s' "$got" | sed '2,$s/^/        /')"
            return 1
        fi
        WHY="${WHY:+$WHY, }\`$cmd\`"
    }
    local logs=() ok=0
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        '$ '*) run_one || { ok=1; break; }; cmd=${line#\$ } want='' ;;
        'log: '*) logs+=("${line#log: }") ;;
        'ulimit: '* | 'exit: '*) ;;
        *) want=${want:+$want$'\n'}$(printf '%s' "$line" | sed 's/[[:space:]]*$//') ;;
        esac
    done <"$tmp/check"
    [ "$ok" -eq 0 ] && { run_one || ok=1; }
    if [ "$ok" -eq 0 ] && [ ${#logs[@]} -gt 0 ]; then
        # The server logs as it goes: wait (up to 3 s) for the lines, in order.
        for _ in $(seq 150); do
            log_has "$tmp/log" "${logs[@]}" && break
            sleep 0.02
        done
        if ! log_has "$tmp/log" "${logs[@]}"; then
            WHY="the server never logged, in this order: $(printf '"%s" ' "${logs[@]}")"$'\n'"  it logged:"$'\n'$(sed 's/^/    /' "$tmp/log" | head -n 30)
            ok=1
        fi
    fi
    [ "$ok" -eq 0 ] && WHY="$WHY: output$([ ${#logs[@]} -gt 0 ] && echo ' and server log') as the notes say"
    if [ "$ok" -eq 0 ] && [ -n "$status" ]; then
        # It must stop by itself, with that exit status (within 5 s).
        for _ in $(seq 250); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.02
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            WHY="the server still runs; the notes say it exits with status $status"
            ok=1
        else
            wait "$SERVER_PID"
            got=$?
            SERVER_PID=
            if [ "$got" != "$status" ]; then
                WHY="the server exited with status $got, not $status; its log:"$'\n'$(tail -n 20 "$tmp/log")
                ok=1
            else
                WHY="$WHY, and it exits with status $status"
            fi
        fi
    elif [ "$ok" -eq 0 ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        WHY="the server died; its log:"$'\n'$(tail -n 20 "$tmp/log")
        ok=1
    fi
    stop_server
    rm -rf "$tmp"
    return $ok
}

# log_has LOGFILE LINE...: each LINE is a line of the log, in order, once the
# time at its start and client ports (127.0.0.1:PORT) are left out; <N> in a
# LINE stands for any number (a timeout in ms, a count that may vary).
log_has() {
    local log=$1
    shift
    # Each LINE as an anchored ERE: its text taken literally, <N> as digits.
    printf '%s\n' "$@" | sed -e 's/[][\.*^$+?(){}|]/\\&/g' -e 's/<N>/[0-9]+/g' >"$log.want"
    sed -E -e 's/^\[ *[0-9]+\.[0-9]+\] //' -e 's/(127\.0\.0\.1|\[::1\]):[0-9]+/\1:PORT/g' \
        -e 's/[[:space:]]+$//' "$log" |
        awk 'FNR == NR { want[++w] = "^" $0 "$"; next }
             at < w && $0 ~ want[at + 1] { at++ }
             END { exit at == w ? 0 : 1 }' "$log.want" -
}

# ---- make rehearse ----------------------------------------------------------

# rehearse LESSON [FROM TO]: replay the steps (without FROM..TO); exit 1 at the
# first checkpoint that fails.
rehearse() {
    local lesson=$1 from=${2:-0} to=${3:-0} n=${1%%-*}
    local files f s lbl lines last broken='' out ws kind arg
    files=$(step_files "$lesson")
    [ -n "$files" ] || die "no step data for $lesson (slides/steps/$lesson/)"
    last=$(printf '%s\n' "$files" | tail -n 1)
    [ -n "$(label "$last")" ] || die "$last: the last step has no checkpoint (it must be: make grade L=$n)"
    make -s --no-print-directory -C tests tcpc >/dev/null || die "cannot build tests/tcpc"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/rehearse.XXXXXX") || die "mktemp failed"
    trap 'stop_server; rm -rf "$TMP"' EXIT
    trap 'exit 130' INT TERM
    ws=$TMP/$lesson
    out=$(new_workspace "$lesson" "$ws") || die "make start L=$n failed: $out"
    printf 'rehearse: lesson %s, %d steps from slides/steps/%s/, typed into make start L=%s%s\n' \
        "$lesson" "$(printf '%s\n' "$files" | wc -l | tr -d ' ')" "$lesson" "$n" \
        "$([ "$from" -gt 0 ] && printf ' without step %s' "$from$([ "$to" != "$from" ] && printf -- '-%s' "$to")")"
    for f in $files; do
        s=$(basename "$f" | sed 's/[^0-9].*//')
        if [ "$s" -ge "$from" ] && [ "$s" -le "$to" ]; then
            :       # left out: its diff is not applied (its checkpoint still runs)
        elif [ -z "$broken" ] && ! out=$(apply "$ws" "$f"); then
            broken="step $s ($(basename "$f")) does not apply to the steps before it:"$'\n'$(printf '%s\n' "$out" | head -n 20)
        fi
        lbl=$(label "$f")
        [ -n "$lbl" ] || continue
        if [ "$s" -lt "$from" ]; then
            printf 'checkpoint %s not run: it comes before the steps left out\n' "$lbl"
            continue
        fi
        if [ -n "$broken" ]; then
            printf 'checkpoint %s FAILED: %s\n' "$lbl" "$broken"
            return 1
        fi
        lines=$(check "$f")
        kind=$(printf '%s\n' "$lines" | sed -n '1s/^check: *\([a-z]*\).*/\1/p')
        arg=$(printf '%s\n' "$lines" | sed -n "1s/^check: *grade *'\(.*\)' *\$/\1/p")
        if ! check_build "$ws"; then
            printf 'checkpoint %s FAILED: %s\n' "$lbl" "$WHY"
            return 1
        fi
        if [ "$f" = "$last" ]; then
            { [ "$kind" = grade ] && [ -z "$arg" ]; } || die "$f: the last checkpoint must be check: grade (every test)"
            out=$(differs_from_lesson "$ws" "$lesson")
            if [ -n "$out" ]; then
                printf 'checkpoint %s FAILED: after the last step the workspace differs from lessons/%s/ (a step is missing, or the lesson changed: slides/tools/rehearse.sh refresh %s):\n%s\n' \
                    "$lbl" "$lesson" "$n" "$(printf '%s\n' "$out" | head -n 40)"
                return 1
            fi
        fi
        case $kind in
        build) true ;;
        grade) check_grade "$ws" "$n" "$arg" ;;
        server) check_server "$ws" "$lesson" "$lines" ;;
        *) die "$f: no check, or an unknown one: $(printf '%s\n' "$lines" | head -n 1)" ;;
        esac || { printf 'checkpoint %s FAILED: %s\n' "$lbl" "$WHY"; return 1; }
        if [ "$f" = "$last" ]; then
            printf 'checkpoint %s ok: %s; the workspace equals lessons/%s/\n%s\n' "$lbl" "$WHY" "$lesson" "$GRADE_SUMMARY"
        else
            printf 'checkpoint %s ok: %s\n' "$lbl" "$WHY"
        fi
    done
    return 0
}

# ---- Reading the data -------------------------------------------------------

# notes_of LESSON: the deck's list as the data says it.
notes_of() {
    local f
    for f in $(step_files "$1"); do note "$f"; done
}

# deck_items DECK: the numbered items of the "Type in this order" list in the
# deck's first note (an item: a line "K. ...", and the lines under it that
# start with three spaces). Text between the items is the deck's own.
deck_items() {
    awk '/^<!--/ && !seen { on = 1; seen = 1 } on && /^-->/ { exit }
         on && /^Type in this order/ { list = 1; next }
         !list { next }
         /^[0-9]+\. / { item = 1; print; next }
         item && /^   / { print; next }
         { item = 0 }' "$1"
}

# write_notes LESSON: the deck's list items replaced by the data's, in place:
# the K-th item of the deck becomes the K-th step's; more steps than items go
# after the deck's last item, fewer drop the deck's last items. The text
# around and between the items stays as it is.
write_notes() {
    local deck=slides/$1.md
    notes_of "$1" >"$TMP/items" || return 1
    awk 'FILENAME == ARGV[1] { if ($0 ~ /^[0-9]+\. /) n++; if (n) item[n] = item[n] $0 "\n"; next }
         FNR == 1 { pass++; seen = on = list = initem = k = 0 }
         !seen && /^<!--/ { on = seen = 1 }
         on && /^-->/ { on = 0 }
         on && /^Type in this order/ { list = 1; if (pass == 2) print; next }
         list && on && /^[0-9]+\. / { k++; if (pass == 2 && k <= n) printf "%s", item[k]; initem = 1; next }
         list && on && initem && /^   / { next }
         initem { initem = 0; if (pass == 2 && k == m) while (k < n) printf "%s", item[++k] }
         pass == 1 { m = k; next }
         { print }' "$TMP/items" "$deck" "$deck" >"$TMP/deck" || return 1
    if cmp -s "$TMP/deck" "$deck"; then
        printf 'rehearse: %s lists the steps already\n' "$deck"
    else
        cp "$TMP/deck" "$deck" && printf 'rehearse: rewrote the list in %s\n' "$deck"
    fi
}

# check_notes LESSON: the deck lists the data's steps; each checkpoint's note
# names what its check runs.
check_notes() {
    local lesson=$1 n=${1%%-*} deck=slides/$1.md problems=0 f lbl lines kind arg limit text cmd last
    [ -f "$deck" ] || die "no deck $deck"
    local files
    files=$(step_files "$lesson")
    [ -n "$files" ] || die "no step data for $lesson"
    problem() { printf 'check-notes: %s\n' "$*"; problems=$((problems + 1)); }
    if ! out=$(diff <(deck_items "$deck") <(notes_of "$lesson")); then
        problem "$deck: its \"Type in this order\" list differs from slides/steps/$lesson/ (< deck, > data):"
        printf '%s\n' "$out"
    fi
    last=$(printf '%s\n' "$files" | tail -n 1)
    for f in $files; do
        lbl=$(label "$f")
        lines=$(check "$f")
        kind=$(printf '%s\n' "$lines" | sed -n '1s/^check: *\([a-z]*\).*/\1/p')
        # The note as one line, its indentation gone: a command may wrap.
        text=$(note "$f" | sed 's/^ *//' | tr '\n' ' ')
        if [ -z "$lbl" ] && [ -n "$lines" ]; then
            problem "$f: a check, but its note names no \"Checkpoint X:\""
            continue
        fi
        [ -n "$lbl" ] || continue
        case $kind in
        build) ;;
        grade)
            arg=$(printf '%s\n' "$lines" | sed -n "1s/^check: *grade *'\(.*\)' *\$/\1/p")
            cmd="make grade L=$n"
            [ -n "$arg" ] && cmd="$cmd SECTION='$arg'"
            case $text in *"\`$cmd\`"*) ;; *) problem "$f: the note does not say \`$cmd\`" ;; esac
            ;;
        server)
            arg=$(printf '%s\n' "$lines" | sed -n '1s/^check: server *//p')
            limit=$(printf '%s\n' "$lines" | sed -n 's/^ulimit: *//p')
            if [ -n "$limit" ]; then
                case $text in *"ulimit $limit"*) ;; *) problem "$f: the server runs under ulimit $limit, which the note does not say" ;; esac
            fi
            for a in $arg; do
                case $text in *"$a"*) ;; *) problem "$f: the server runs with $a, which the note does not say" ;; esac
            done
            while IFS= read -r cmd; do
                case $text in *"\`$cmd\`"*) ;; *) problem "$f: the note does not show \`$cmd\`" ;; esac
            done < <(printf '%s\n' "$lines" | sed -n 's/^\$ //p')
            ;;
        *) problem "$f: \"Checkpoint $lbl\" but no check (check: build, grade or server)" ;;
        esac
        if [ "$f" = "$last" ]; then
            [ "$lines" = "check: grade" ] || problem "$f: the last checkpoint must be \"check: grade\" (every test)"
        fi
    done
    [ -n "$(label "$last")" ] || problem "$last: the last step has no checkpoint"
    if [ "$problems" -eq 0 ]; then
        printf 'check-notes: %s: the deck lists the %d steps of slides/steps/%s/, and names every check\n' \
            "$deck" "$(printf '%s\n' "$files" | wc -l | tr -d ' ')" "$lesson"
        return 0
    fi
    return 1
}

# ---- Maintaining the data ---------------------------------------------------

# states LESSON DIR FUZZ: DIR/0-start and DIR/NAME after each step NAME.
# FUZZ 0: every diff must apply exactly (else exit 1). FUZZ > 0 (refresh):
# report what needed fuzz or failed, and go on. Prints patch's messages.
states() {
    local lesson=$1 dir=$2 fuzz=$3 prev f name out status=0
    mkdir -p "$dir" || return 1
    out=$(new_workspace "$lesson" "$dir/ws") || { printf '%s\n' "$out"; return 1; }
    mkdir "$dir/0-start"
    for f in $(sources "$dir/ws"); do cp "$dir/ws/$f" "$dir/0-start/$f"; done
    rm -rf "$dir/ws"
    prev=$dir/0-start
    for f in $(step_files "$lesson"); do
        name=$(basename "$f" .patch)
        cp -R "$prev" "$dir/$name"
        if ! out=$(apply "$dir/$name" "$f" "$fuzz"); then
            printf '%s: does not apply%s:\n%s\n' "$f" "$([ "$fuzz" -gt 0 ] && echo ' even with fuzz')" "$out"
            status=1
            [ "$fuzz" -gt 0 ] || return 1
        else
            out=$(printf '%s\n' "$out" | grep -i -E 'offset|fuzz' | sed 's/^Hunk /hunk /' | tr '\n' ';' | sed 's/;$//; s/;/; /g')
            [ -z "$out" ] || printf '%s: applies, %s\n' "$f" "$out"
        fi
        rm -f "$dir/$name"/*.rej
        prev=$dir/$name
    done
    return $status
}

# pack LESSON DIR: each step's diff rewritten as the difference of its state
# and the one before (the header, up to the diff, kept as it is).
pack() {
    local lesson=$1 dir=$2 prev=$2/0-start f name new
    for f in $(step_files "$lesson"); do
        name=$(basename "$f" .patch)
        [ -d "$dir/$name" ] || die "no state $dir/$name"
        new=$(awk '/^--- / { exit } { print }' "$f"; diff_states "$prev" "$dir/$name")
        if [ "$new" != "$(cat "$f")" ]; then
            printf '%s\n' "$new" >"$f"
            printf 'rehearse: rewrote %s\n' "$f"
        fi
        prev=$dir/$name
    done
}

# refresh LESSON: steps applied with fuzz, each rewritten exactly, and what
# the last state still lacks (or has too much) against the lesson.
refresh() {
    local lesson=$1 tmp status=0 last out
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/rehearse.XXXXXX") || die "mktemp failed"
    trap 'rm -rf "$TMP"' EXIT
    tmp=$TMP
    states "$lesson" "$tmp" 2 || status=1
    if [ "$status" -ne 0 ]; then
        printf 'rehearse: a step did not apply even with fuzz (above): fix its diff by hand, nothing was rewritten\n'
        return 1
    fi
    pack "$lesson" "$tmp"
    last=$(step_files "$lesson" | tail -n 1)
    out=$(differs_from_lesson "$tmp/$(basename "$last" .patch)" "$lesson")
    if [ -n "$out" ]; then
        printf 'rehearse: left over: what lessons/%s/ has and no step types yet (- lesson, + after the steps).\n' "$lesson"
        printf 'Move each hunk into the step that types it (edit its diff), then refresh again:\n%s\n' "$out"
        return 1
    fi
    printf 'rehearse: slides/steps/%s/ replays to lessons/%s/ exactly\n' "$lesson" "$lesson"
}

# ---- main -------------------------------------------------------------------

lesson_of() {
    local l
    l=$(lesson_named "${1:-}")
    [ -n "$l" ] || die "no lesson ${1:-?} in lessons/ (there are: $(cd lessons && echo *))"
    printf '%s\n' "$l"
}

case ${1:-} in
'' | -h | --help) usage ;;
all)
    status=0
    for d in slides/steps/[0-9][0-9]-*/; do
        [ -d "$d" ] || continue
        "$0" "$(basename "$d" | cut -c1-2)" || status=1
    done
    exit $status
    ;;
steps)
    lesson=$(lesson_of "${2:-}") || exit 2
    for f in $(step_files "$lesson"); do
        printf '%s\t%s\t%s\n' "$(basename "$f" | sed 's/[^0-9].*//')" "$(label "$f")" "$f"
    done
    ;;
notes)
    lesson=$(lesson_of "${2:-}") || exit 2
    if [ "${3:-}" = --write ]; then
        TMP=$(mktemp -d "${TMPDIR:-/tmp}/rehearse.XXXXXX") || die "mktemp failed"
        trap 'rm -rf "$TMP"' EXIT
        write_notes "$lesson"
    else
        notes_of "$lesson"
    fi
    ;;
check-notes)
    lesson=$(lesson_of "${2:-}") || exit 2
    check_notes "$lesson"
    ;;
unpack)
    lesson=$(lesson_of "${2:-}") || exit 2
    [ -n "${3:-}" ] || usage
    [ ! -e "$3" ] || die "$3 exists already"
    states "$lesson" "$3" 0 && printf 'rehearse: the workspace after each step: %s\n' "$(cd "$3" && echo *)"
    ;;
pack)
    lesson=$(lesson_of "${2:-}") || exit 2
    [ -d "${3:-}" ] || usage
    pack "$lesson" "$3"
    ;;
refresh)
    lesson=$(lesson_of "${2:-}") || exit 2
    refresh "$lesson"
    ;;
[0-9]*)
    lesson=$(lesson_of "$1") || exit 2
    from=0 to=0
    if [ "${2:-}" = --without ]; then
        case ${3:-} in
        [0-9]*-[0-9]*) from=${3%-*} to=${3#*-} ;;
        [0-9]*) from=$3 to=$3 ;;
        *) usage ;;
        esac
    fi
    rehearse "$lesson" "$from" "$to"
    ;;
*) usage ;;
esac
