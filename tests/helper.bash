# tests/helper.bash — loaded by every .bats file with `load helper`.
#
# start_server LESSON [ARGS...]   start lessons/LESSON/server on a free port
# lesson_dir LESSON               lessons/LESSON, or $LESSON_DIR when set (make grade)
# client OP...                    run tests/tcpc against it (see tests/tcpc.c)
# wait_for_log TEXT               wait until the server's log contains TEXT
# wait_until COMMAND...           retry COMMAND for up to WAIT_SECONDS (10) seconds
# waits N                         N times WAIT_SECONDS: a longer bound, e.g. tcpc --timeout
# bg_client NAME OP...            a client in the background; output in $BATS_TEST_TMPDIR/NAME
# bg_done NAME [N]                wait for it; its first N lines become $output and $lines
# The server runs in a process group of its own (tests/server.bash). It is
# stopped after each test with whatever it forked, and the test fails if it
# died on its own, left a process behind, or its log shows a sanitizer report.
#
# Every wait is WAIT_SECONDS or a multiple of it (`waits N`): 10 s in the
# normal suite, GRADE_WAIT (3 s) under make grade, so a student's failing
# test gives up sooner. A correct server needs a fraction of any of them.

# bats-support and bats-assert. bats sources this file again for every test,
# and their load.bash files fork a dirname per file: about 0.3 s of CPU per
# test on a busy 2-core box, more than many tests take. So the first test of
# a run writes their function files, concatenated, to one file in
# $BATS_RUN_TMPDIR (shared by the run, removed after it) and every test
# sources that: the same functions, no forks. Where a library has no src/
# folder (another packaging), bats_load_library as usual.
load_assert_libraries() {
    local cache=${BATS_RUN_TMPDIR:-}/assert-libraries.bash dir part
    if [ -n "${BATS_RUN_TMPDIR:-}" ] && [ -s "$cache" ]; then
        # shellcheck source=/dev/null # (written above, from the libraries)
        source "$cache"
        return
    fi
    local IFS=:
    for dir in ${BATS_LIB_PATH:-}; do
        if [ -f "$dir/bats-support/src/output.bash" ] && [ -f "$dir/bats-assert/src/assert.bash" ]; then
            part=$cache.$RANDOM$RANDOM      # then mv: no test sources half a file
            if [ -n "${BATS_RUN_TMPDIR:-}" ] &&
                cat "$dir"/bats-support/src/*.bash "$dir"/bats-assert/src/*.bash >"$part" 2>/dev/null &&
                mv "$part" "$cache"; then
                # shellcheck source=/dev/null # (written above, from the libraries)
                source "$cache"
                return
            fi
            break
        fi
    done
    bats_load_library bats-support
    bats_load_library bats-assert
}
load_assert_libraries

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
TCPC=$REPO/tests/tcpc

# make grade sets LESSON_DIR to the student's folder: its programs are tested.
lesson_dir() {
    echo "${LESSON_DIR:-$REPO/lessons/$1}"
}

# shellcheck source=tests/server.bash
source "${BASH_SOURCE[0]%/*}/server.bash"

# start_server LESSON [ARGS...]: start the server with --port 0 (any free
# port) and wait for its readiness line, "listening on HOST:PORT"; sets
# SERVER_PID and PORT. Fails, saying what it saw, when the server exits
# first, prints no such line, or names a port that is not its own.
start_server() {
    local lesson=$1 status=0 owner owned=0
    shift
    skip_after_failure
    SERVER_OUT=$BATS_TEST_TMPDIR/server.out
    SERVER_LOG=$BATS_TEST_TMPDIR/server.log
    # Empty the files here first: the redirections happen in the child, and
    # a test that restarts its server must not read the old port.
    : >"$SERVER_OUT"
    spawn_server "$SERVER_OUT" "$SERVER_LOG" "$(lesson_dir "$lesson")/server" --port 0 "$@"
    SERVER_PID=$SPAWNED_PID SERVER_PGID=$SPAWNED_PID
    SERVER_STARTED_WITH=${*:+ (started with: --port 0 $*)}
    SERVER_STARTED_WITH=${SERVER_STARTED_WITH:- (started with: --port 0)}
    wait_until server_ready_or_gone ||
        fail "the server printed no readiness line (\"listening on HOST:PORT\") within ${WAIT_SECONDS:-10} s$SERVER_STARTED_WITH$(server_output)"
    if ! server_alive; then
        wait "$SERVER_PID" || status=$?
        SERVER_PID=
        if grep -q '^listening on ' "$SERVER_OUT"; then
            fail "the server exited right after its readiness line, $(exit_reason "$status")$SERVER_STARTED_WITH$(server_output)"
        fi
        fail "the server exited at once, $(exit_reason "$status"), before its readiness line$SERVER_STARTED_WITH$(server_output)"
    fi
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$SERVER_OUT" | head -n 1)
    [ -n "$PORT" ] || fail "no port in the server's readiness line: $(head -n 1 "$SERVER_OUT")"
    # Trust no readiness line: the port must be this server's (a server left
    # running from "Try it" would answer for it). Cheap on Linux (/proc);
    # with lsof (macOS) only under make grade.
    if [ -r /proc/net/tcp ] || [ -n "${LESSON_DIR:-}" ]; then
        owner=$(port_owner "$PORT" "$SERVER_PGID") || owned=$?
        [ "$owned" -ne 1 ] ||
            fail "the server's readiness line names port $PORT, but the server does not listen there: $owner listens on it$SERVER_STARTED_WITH$(server_output)"
    fi
}

# True once the readiness line is there, or the server has exited.
server_ready_or_gone() {
    grep -q '^listening on ' "$SERVER_OUT" || ! kill -0 "$SERVER_PID" 2>/dev/null
}

# server_output: what the server printed (stdout, then the last lines of its
# log, stderr), for a message. Empty files are named as empty.
server_output() {
    printf '\nits output: '
    if [ -s "$SERVER_OUT" ]; then printf '%s' "$(head -c 300 "$SERVER_OUT")"; else printf '(none)'; fi
    printf '\nits log, last lines: '
    if [ -s "$SERVER_LOG" ]; then printf '\n'; tail -n 8 "$SERVER_LOG" | cut -c 1-200; else printf '(empty)'; fi
}

# wait_until COMMAND...: retry every 20 ms until it succeeds, for at least
# WAIT_SECONDS seconds of wall-clock time (default 10). A bound in seconds, not
# in tries: on a loaded machine 500 tries took far longer than 10 s, and a
# test waiting for something that never comes stayed stuck that long.
# make grade sets WAIT_SECONDS from GRADE_WAIT (shorter), so a student's
# failing test gives up sooner; the normal suite keeps its 10 s.
# ($SECONDS counts whole seconds, so "<= end" waits N to N + 1 s, never less.)
wait_until() {
    local end=$((SECONDS + ${WAIT_SECONDS:-10}))
    until "$@"; do
        [ "$SECONDS" -le "$end" ] || return 1
        sleep 0.02
    done
}

# waits N: N times WAIT_SECONDS, for a bound longer than one wait (a client
# moving megabytes: client --timeout "$(waits 3)" ...).
waits() {
    echo $((${WAIT_SECONDS:-10} * $1))
}

wait_for_log() {
    wait_until grep -q -- "$1" "$SERVER_LOG" ||
        fail "the server log never showed '$1'; it has: $(cat "$SERVER_LOG")"
}

# TCPC_TIMEOUT, when set (make grade sets it), bounds each client run that
# does not name its own --timeout (tcpc's default is 10 s; a later --timeout
# wins), so a test waiting for a reply a student's server never sends ends
# sooner. The normal suite leaves it unset.
client() {
    "$TCPC" --port "$PORT" ${TCPC_TIMEOUT:+--timeout "$TCPC_TIMEOUT"} "$@"
}

bg_client() {
    local name=$1
    shift
    "$TCPC" --port "$PORT" ${TCPC_TIMEOUT:+--timeout "$TCPC_TIMEOUT"} "$@" >"$BATS_TEST_TMPDIR/$name" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
    echo $! >"$BATS_TEST_TMPDIR/$name.pid"     # tcpc's own pid: `kill` reaches it
}

bg_done() {
    wait "$(cat "$BATS_TEST_TMPDIR/$1.pid")" ||
        fail "client $1 failed: $(cat "$BATS_TEST_TMPDIR/$1.err")"
    output=$(head -n "${2:-1000000}" "$BATS_TEST_TMPDIR/$1")
    # like bats' run: the test reads $output and $lines, split as bats
    # splits them. One read, not mapfile (bash 3.2 on macOS has none) and not
    # a read loop, which takes seconds over a 40,000-line output.
    # shellcheck disable=SC2034
    IFS=$'\n' read -r -d '' -a lines <<<"$output" || true
}

# unread_at_port COUNT BYTES [-eq|-ge]: true once COUNT server-side sockets
# on $PORT hold BYTES unread (-eq, the default) or at least BYTES (-ge); with
# -ge, at least COUNT of them. Linux only: /proc/net/tcp's rx_queue, in hex.
unread_at_port() {
    local port_hex n=0 q _sl local_addr _rem _st queues _rest
    port_hex=$(printf '%04X' "$PORT")
    while read -r _sl local_addr _rem _st queues _rest; do
        [ "${local_addr##*:}" = "$port_hex" ] || continue
        q=$((16#${queues##*:}))
        if [ "${3:--eq}" = -ge ]; then [ "$q" -ge "$2" ]; else [ "$q" -eq "$2" ]; fi &&
            n=$((n + 1))
    done < <(grep ":$port_hex " /proc/net/tcp)   # (a busy machine has thousands of lines)
    if [ "${3:--eq}" = -ge ]; then [ "$n" -ge "$1" ]; else [ "$n" -eq "$1" ]; fi
}

# server_status_kib FIELD: one of the server's memory figures, in KiB (Linux
# /proc/PID/status: VmData, its data segment; VmHWM, its peak resident memory).
server_status_kib() {
    awk -v field="$1:" '$1 == field { print $2 }' "/proc/$SERVER_PID/status"
}

# CPU time the server has used so far, in clock ticks (Linux /proc).
server_cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"
}

server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null
}

# stop_server: SIGTERM (and SIGCONT, in case a test stopped it), then wait up
# to 3 x WAIT_SECONDS (lesson 05 drains its clients first, up to 5 s by
# default); then end whatever is left of its process group. Fails if it had
# died on its own, did not exit, left a process behind (a child it forked),
# or its log has a sanitizer report.
stop_server() {
    local pid=${SERVER_PID:-} status=0 end left=
    SERVER_PID=
    if [ -n "$pid" ]; then
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || status=$?
            left=$(end_group "${SERVER_PGID:-}")
            SERVER_PGID=
            fail "the server exited during the test, $(exit_reason "$status")${SERVER_STARTED_WITH:-}$(server_output)"
            return 1
        fi
        kill -TERM "$pid" 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
        end=$((SECONDS + 3 * ${WAIT_SECONDS:-10}))
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do sleep 0.02; done
        if kill -0 "$pid" 2>/dev/null; then
            end_group "${SERVER_PGID:-}" >/dev/null
            SERVER_PGID=
            fail "the server did not exit within $((3 * ${WAIT_SECONDS:-10})) s of SIGTERM (killed)${SERVER_STARTED_WITH:-}$(server_output)"
            return 1
        fi
        wait "$pid" || true
    fi
    left=$(end_group "${SERVER_PGID:-}")
    SERVER_PGID=
    if [ -n "$left" ]; then
        fail "the server left processes running in its process group (a child it forked?), ended now:
$left"
        return 1
    fi
    if [ -n "${SERVER_LOG:-}" ] && grep -E -q 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$SERVER_LOG"; then
        fail "sanitizer report in the server log: $(cat "$SERVER_LOG")"
        return 1
    fi
}

# GRADE_STOP_FILE (set by tests/grade/mistakes.sh, which needs only the
# first failure): after a test fails, note_failure creates that file, and
# every later test that starts a server is skipped. A failing test often
# waits out its timeouts, and so would the rest of its section.
# note_failure STATUS: STATUS is stop_server's (it fails a test whose server
# died, hung or left a child, after the test's body completed).
note_failure() {
    [ -z "${GRADE_STOP_FILE:-}" ] || [ -n "${BATS_TEST_SKIPPED:-}" ] ||
        { [ -n "${BATS_TEST_COMPLETED:-}" ] && [ "$1" -eq 0 ]; } || : >"$GRADE_STOP_FILE"
}
skip_after_failure() {
    [ -z "${GRADE_STOP_FILE:-}" ] || [ ! -e "$GRADE_STOP_FILE" ] || skip "not run: an earlier test failed (GRADE_STOP_FILE)"
}

# (bats runs teardown without errexit: stop_server returns 1 after each fail.)
teardown() {
    local status=0
    stop_server || status=$?
    note_failure $status
    return $status
}
