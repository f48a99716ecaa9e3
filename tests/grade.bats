#!/usr/bin/env bats
# The grader itself (tests/grade/: make start, make grade, make solve): what
# a student sees when the code is wrong. Each test grades a small workspace in
# $BATS_TEST_TMPDIR with GRADE_WAIT=1 and, where it can, one README section
# (SECTION=), so the file runs in seconds; a failure kind is built from a
# few lines of C with common/ (no lesson code), so lesson changes do not
# move these tests.

load helper

GRADE=$REPO/tests/grade/grade.sh

# hostile KIND: a workspace whose server misbehaves one way (KIND: dead,
# silent, hung, fork, liar, or fine: it answers every client by hanging up).
hostile() {
    local ws=$BATS_TEST_TMPDIR/$1
    mkdir -p "$ws"
    # shellcheck disable=SC2016 # make's $(COMMON), not the shell's
    printf 'PROGRAMS = server\ninclude $(COMMON)/build.mk\n' >"$ws/Makefile"
    {
        printf '#define KIND_%s\n' "$(echo "$1" | tr '[:lower:]' '[:upper:]')"
        cat <<'EOF'
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "0" };
    cli_parse(argc, argv, "a server that misbehaves on purpose", &cli, NULL, 0);
#ifdef KIND_DEAD
    fprintf(stderr, "not written yet\n");
    return 3;
#endif
#ifdef KIND_SILENT
    if (!freopen("/dev/null", "w", stdout))     /* no readiness line */
        return 1;
#endif
#ifdef KIND_LIAR
    printf("listening on 127.0.0.1:%s\n", getenv("OTHER_PORT"));
    fflush(stdout);
    if (!freopen("/dev/null", "w", stdout))
        return 1;
#endif
    int listener = listen_or_die(cli.host, cli.port);
#ifdef KIND_HUNG
    for (;;)
        pause();                                /* never accepts */
#endif
#ifdef KIND_FORK
    if (fork() == 0)                            /* a child holding the port */
        for (;;)
            pause();
#endif
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd >= 0)
            close(fd);
    }
}
EOF
    } >"$ws/server.c"
    echo "$ws"
}

# grade ARGS...: run the grader as make grade does, GRADE_WAIT=1.
grade() {
    GRADE_WAIT=1 run "$GRADE" "$@"
}

# A lesson's reference as a workspace, to break on purpose.
copy_lesson() {
    local ws=$BATS_TEST_TMPDIR/$2
    mkdir -p "$ws"
    cp "$REPO/lessons/$1"/*.c "$REPO/lessons/$1/Makefile" "$ws"/
    cp "$REPO/lessons/$1"/*.h "$ws"/ 2>/dev/null || true
    echo "$ws"
}

@test "grade: SECTION= runs only the sections whose heading matches" {
    GRADE_SECTION='half-close$' grade 02 lessons/02-line-framing
    assert_success
    assert_line 'README "How it works: half-close"'
    [ "$(grep -c '^README ' <<<"$output")" -eq 1 ]
    assert_line --regexp '^grade: [1-9][0-9]* passed, 0 failed'
}

@test "grade: an unknown SECTION is refused with the list of sections" {
    GRADE_SECTION='no such section' grade 02 lessons/02-line-framing
    assert_failure 2
    assert_output --partial "no section of lesson 02 matches"
    assert_line "  How it works: half-close"
    refute_output --partial "building"
}

@test "grade: FIRST_FAIL=1 stops after the first section with a failure, and says how many did not run" {
    local ws
    ws=$(copy_lesson 01-echo as02)          # lesson 01's code graded as 02: wrong from the first section
    GRADE_FIRST_FAIL=1 grade 02 "$ws"
    assert_failure 1
    [ "$(grep -c '^README ' <<<"$output")" -eq 1 ]
    local failed
    failed=$(grep -c '^  FAIL ' <<<"$output")
    assert_line --regexp "^grade: 0 passed, $failed failed"
    assert_line --regexp '^[1-9][0-9]* tests not run: FIRST_FAIL=1 stops after the first section with a failure$'
    assert_output --partial '        see: lessons/02-line-framing/README.md, "'
}

@test "grade: GRADE_STOP_FILE (the mistakes catalogue's) skips every test after the first failure" {
    local ws
    ws=$(copy_lesson 01-echo as02)          # fails every test of lesson 02
    GRADE_STOP_FILE=$BATS_TEST_TMPDIR/stop grade 02 "$ws"
    assert_failure 1
    [ "$(grep -c '^  FAIL ' <<<"$output")" -eq 1 ] || fail "more than one test ran to its failure"
    assert_line --regexp '^grade: 0 passed, 1 failed, [1-9][0-9]* skipped'
    [ -e "$BATS_TEST_TMPDIR/stop" ]
}

@test "grade: under a failure, expected and got are shown whole, and the README section" {
    local ws
    ws=$(copy_lesson 01-echo as02)
    GRADE_SECTION='answer_lines' grade 02 "$ws"
    assert_failure 1
    assert_output --partial "        sent:     client send 'hello\n' lines 1"
    assert_line "        expected: line 1, 5 bytes: hello"
    assert_line "        got:      hello"
    assert_line '        see: lessons/02-line-framing/README.md, "How it works: answer_lines, the reply"'
}

@test "grade: a helper's own message is shown, not its place in helper.bash" {
    local ws
    ws=$(hostile fine)                  # takes no lesson 05 option: start_server fails in the test
    GRADE_SECTION='shutdown timeline' grade 05 "$ws"
    assert_failure 1
    refute_output --partial "from function"
    refute_output --partial "helper.bash"
    assert_output --partial "the server exited at once, exit status 2, before its readiness line (started with: --port 0 --max-queue"
    assert_output --partial "usage:"
}

@test "grade: a server that exits at once is reported once, with its status and log, in seconds" {
    local ws start=$SECONDS
    ws=$(hostile dead)
    grade 02 "$ws"
    assert_failure 1
    assert_output --partial "it exited at once, exit status 3, before printing its readiness line"
    assert_output --partial "not written yet"
    assert_line --regexp '^grade: 0 passed, 1 failed'
    assert_line --regexp '^[1-9][0-9]* tests not run: each starts this server'
    [ "$(grep -c '^  FAIL ' <<<"$output")" -eq 1 ]
    [ $((SECONDS - start)) -lt 20 ]
}

@test "grade: a server that never prints its readiness line: once, and where it listens instead" {
    local ws
    ws=$(hostile silent)
    grade 02 "$ws"
    assert_failure 1
    assert_output --partial "printed no readiness line within 1 s (GRADE_WAIT)"
    if [ -r /proc/net/tcp ]; then assert_output --partial "it listens on port"; fi
    [ "$(grep -c '^  FAIL ' <<<"$output")" -eq 1 ]
}

@test "grade: a server that listens but never answers: once, 'no answer within N s'" {
    local ws
    ws=$(hostile hung)
    grade 02 "$ws"
    assert_failure 1
    assert_output --partial "but gave no answer within 1 s (GRADE_WAIT)"
    if [ -r /proc/net/tcp ]; then assert_output --partial "it never accepted the connection"; fi
    [ "$(grep -c '^  FAIL ' <<<"$output")" -eq 1 ]
    run pgrep -f "$ws/server"
    assert_failure
}

@test "grade: a server that forks a child holding the port is reported, and nothing is left running" {
    local ws
    ws=$(hostile fork)
    grade 02 "$ws"
    assert_failure 1
    assert_output --partial "it left processes running when it exited"
    run pgrep -f "$ws/server"
    assert_failure                      # nothing left
}

@test "grade: a readiness line naming another server's port is caught" {
    [ -r /proc/net/tcp ] || command -v lsof >/dev/null || skip "no /proc/net/tcp and no lsof: the grader says it cannot check"
    start_server 01-echo                # the other server, e.g. left running from "Try it"
    local ws
    ws=$(hostile liar)
    OTHER_PORT=$PORT grade 02 "$ws"
    assert_failure 1
    assert_output --partial "its readiness line names port $PORT, but the server does not listen there"
    [ "$(grep -c '^  FAIL ' <<<"$output")" -eq 1 ]
}

@test "grade: the test helper ends a forked child with its server (its process group)" {
    local ws
    ws=$(hostile fork)
    make -s -C "$ws" COMMON="$REPO/common" >/dev/null
    LESSON_DIR=$ws start_server fine
    run pgrep -f "$ws/server"
    [ "${#lines[@]}" -eq 2 ]            # the server and its child
    local status=0
    stop_server 2>"$BATS_TEST_TMPDIR/stop.err" || status=$?
    [ "$status" -eq 1 ]
    grep -q "left processes running in its process group" "$BATS_TEST_TMPDIR/stop.err"
    run pgrep -f "$ws/server"
    assert_failure
}

@test "grade: build warnings are shown above the results and counted on the summary line" {
    local ws
    ws=$(copy_lesson 02-line-framing warn)
    printf '\nstatic void never_called(void)\n{\n}\n' >>"$ws/server.c"
    GRADE_SECTION='half-close' grade 02 "$ws"
    assert_success
    assert_line --regexp '^grade: it builds, with 1 warning'
    assert_output --partial "never_called"
    assert_line --regexp '^grade: [1-9][0-9]* passed, 0 failed, 1 build warning$'
}

@test "grade: lesson 04 from make start is one to-do list: the files and functions to write" {
    local ws=$BATS_TEST_TMPDIR/w04
    run "$REPO/tests/grade/start.sh" 04 "$ws"
    assert_success
    assert_output --partial "created from lesson 02-line-framing: the reference code"
    assert_output --partial "FROM="
    assert_line --regexp '^  1\. create room\.c: msg_new\(\), '
    refute_output --partial "undefined reference"
    refute_output --partial "DT_TEXTREL"
    grade 04 "$ws"
    assert_failure 1
    assert_line "grade: it does not build yet."
    assert_line --regexp '^  1\. create room\.c: '
    refute_output --partial "undefined reference"
    refute_output --partial "No rule to make target"
}

@test "grade: lesson 05 from make start: the to-do list says what to do first, and never calls an empty file done" {
    local ws=$BATS_TEST_TMPDIR/w05
    run "$REPO/tests/grade/start.sh" 05 "$ws"
    assert_success
    refute_output --partial "follows non-static declaration"
    refute_output --partial "No rule to make target"
    assert_line --regexp '^  [0-9]\. create limits\.c: .*limits_init\(\)'
    assert_line --regexp '^  [0-9]\. create deadlines\.c: '
    assert_line --regexp '^  [0-9]\. create shutdown\.c: '
    if grep -q '^static size_t msg_cost' "$ws/room.c"; then
        # shellcheck disable=SC2016 # the backquotes are in the message
        assert_line --regexp '^  1\. room\.c: msg_cost\(\) is declared in room\.h now.*remove `static`'
        sed 's/^static size_t msg_cost/size_t msg_cost/' "$ws/room.c" >"$ws/room.c.new"
        mv "$ws/room.c.new" "$ws/room.c"
    fi
    : >"$ws/limits.c"
    : >"$ws/deadlines.c"
    printf '\n' >"$ws/shutdown.c"
    run "$REPO/tests/grade/todo.sh" 05 "$ws"
    assert_success
    assert_line --regexp '^  1\. limits\.c \(empty\): '
    assert_line --regexp '^  2\. deadlines\.c \(empty\): '
    assert_line --regexp '^  3\. shutdown\.c \(empty\): .*drain_status\(\)'
}

@test "grade: the references of lessons 04 and 05 have nothing left to do" {
    run "$REPO/tests/grade/todo.sh" 04 "$REPO/lessons/04-chat-broadcast"
    assert_failure 1
    assert_output ""
    run "$REPO/tests/grade/todo.sh" 05 "$REPO/lessons/05-shutdown-timeouts-limits"
    assert_failure 1
    assert_output ""
}

@test "grade: make grade from tests/ grades with L=, or refuses with the command to run" {
    cd "$REPO/tests"
    run make -s grade
    assert_failure
    assert_output --partial "make grade L=NN"
    GRADE_WAIT=1 run make -s grade L=02 DIR=../lessons/02-line-framing SECTION='half-close'
    assert_success
    assert_line --regexp '^grade: [1-9][0-9]* passed, 0 failed'
}

@test "grade: make grade in a workspace's folder grades that folder, and its hints say so" {
    local ws=$BATS_TEST_TMPDIR/ws/02-line-framing
    mkdir -p "$ws"
    cp "$REPO/lessons/01-echo/server.c" "$REPO/lessons/02-line-framing/Makefile" "$ws"/
    cd "$ws"
    GRADE_WAIT=1 run make -s grade COMMON="$REPO/common" SECTION='answer_lines'
    assert_failure
    assert_output --partial "grade: building $ws"
    assert_line "  make grade SECTION='How it works: answer_lines, the reply'"
}

@test "grade: make solve keeps DIR= in its hints, and puts a solution that does not fit beside the workspace" {
    local ws
    ws=$(copy_lesson 01-echo mine)      # code the patch was not written against
    run "$REPO/tests/grade/solve.sh" 02 3 "$ws"
    assert_failure 1
    assert_output --partial "does not fit $ws"
    assert_line "  diff -u $ws/server.c $ws.solution-3/server.c"
    assert_line "See it pass: make grade L=02 EXERCISE=3 DIR=$ws.solution-3"
    cmp -s "$REPO/lessons/01-echo/server.c" "$ws/server.c"     # untouched
    ws=$(copy_lesson 02-line-framing ref)
    run "$REPO/tests/grade/solve.sh" 02 3 "$ws"
    assert_success
    assert_line --regexp "now: make grade L=02 EXERCISE=3 DIR=$ws\$"
}

@test "grade: every test of tests/NN-name.bats is placed in tests/grade/NN-name.order, and only those" {
    local bats order nn problems=
    for bats in "$REPO"/tests/[0-9][0-9]-*.bats; do
        nn=$(basename "$bats" | cut -c 1-2)
        order=$REPO/tests/grade/$(basename "$bats" .bats).order
        [ -f "$order" ] || continue
        # the names as bats reports them, without "NN: " (needs-node ones are not graded)
        awk '/^# bats test_tags=.*needs-node/ { skip = 1; next }
             /^@test "/ { if (!skip) { s = $0; sub(/^@test "[0-9][0-9]: /, "", s); sub(/" \{$/, "", s)
                          gsub(/\\\\/, "\\", s); print s } skip = 0 }' "$bats" | sort >"$BATS_TEST_TMPDIR/tests"
        grep -v '^#\|^$\|^## ' "$order" | sed 's/^= //' | sort >"$BATS_TEST_TMPDIR/placed"
        run comm -23 "$BATS_TEST_TMPDIR/tests" "$BATS_TEST_TMPDIR/placed"
        [ -z "$output" ] || problems="$problems
$(basename "$bats") has tests that $(basename "$order") does not place. Add each name, without \"$nn: \", on its own line under the \"## \" README section that explains it (\"= \" first if make start's workspace passes it already; tests/exercises/check.sh --start $nn checks those marks):
    ${output//$'\n'/$'\n'    }"
        run comm -13 "$BATS_TEST_TMPDIR/tests" "$BATS_TEST_TMPDIR/placed"
        [ -z "$output" ] || problems="$problems
$(basename "$order") places tests that $(basename "$bats") does not have (renamed? tagged needs-node?): fix or remove:
    ${output//$'\n'/$'\n'    }"
    done
    [ -z "$problems" ] || fail "$problems"
}
