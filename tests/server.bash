# tests/server.bash — owning the server a test (or make grade) starts.
# Sourced by tests/helper.bash and tests/grade/grade.sh; plain bash 3.2.
#
# spawn_server OUT LOG PROGRAM ARGS...  start it in its own process group
# exit_reason STATUS                    "exit status 1", "killed by signal 11 (SIGSEGV)"
# end_group PGID                        stop what is left of a process group
# port_owner PORT PGID                  does that group listen on PORT?
# listening_ports PID                   the TCP ports PID listens on (Linux)
#
# A server is started in a process group of its own (it is the group's
# leader: its pid is the group's id), so whatever it forks can be found and
# stopped with it: a test leaves nothing running.

# spawn_server OUT LOG PROGRAM ARGS...: start PROGRAM in the background, its
# stdout to OUT and stderr to LOG, stdin from /dev/null, in its own process
# group (set -m: job control gives each background job one; bash 3.2 has it
# too). Sets SPAWNED_PID. fd 3 closed: bats waits for whatever holds it.
spawn_server() {
    local out=$1 log=$2
    shift 2
    set -m
    "$@" >"$out" 2>"$log" </dev/null 3>&- &
    # shellcheck disable=SC2034 # the caller reads it
    SPAWNED_PID=$!
    set +m
}

# exit_reason STATUS: what a wait status means, in words.
exit_reason() {
    if [ "$1" -gt 128 ] && [ "$1" -lt 160 ]; then
        printf 'killed by signal %d (SIG%s)' $(($1 - 128)) "$(kill -l $(($1 - 128)) 2>/dev/null)"
    else
        printf 'exit status %d' "$1"
    fi
}

# group_pids PGID: the processes of a process group, one pid a line.
group_pids() {
    ps -A -o pid= -o pgid= 2>/dev/null | awk -v g="$1" '$2 == g { print $1 }'
}

# end_group PGID: stop every process still in the group (SIGCONT, so a
# stopped one hears it, then SIGTERM; SIGKILL after 1 s). Prints "PID COMMAND"
# for each one it found, nothing when the group was empty.
end_group() {
    local g=$1 pids _
    [ -n "$g" ] || return 0
    kill -0 -- "-$g" 2>/dev/null || return 0
    pids=$(group_pids "$g" | tr '\n' ' ')
    # shellcheck disable=SC2086 # a list of pids
    [ -z "$pids" ] || ps -o pid= -o args= -p "$(echo $pids | tr ' ' ',')" 2>/dev/null | cut -c 1-120
    kill -CONT -- "-$g" 2>/dev/null
    kill -TERM -- "-$g" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        kill -0 -- "-$g" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL -- "-$g" 2>/dev/null
    return 0
}

# port_owner PORT PGID: 0 when a process of group PGID listens on TCP PORT,
# 1 when none does (then prints who does: "pid 123 (cmd)", or "nobody"), 2
# when this system cannot tell (no /proc/net/tcp and no lsof). A "no" is
# asked again, 5 times over 0.4 s: a read of /proc/net/tcp can miss a line
# while other sockets come and go (seen once in a full suite run, on a busy
# box), and a wrong "not yours" would fail a correct server.
port_owner() {
    local try answer status
    for try in 1 2 3 4 5; do
        status=0
        answer=$(port_owner_once "$1" "$2") || status=$?
        [ "$status" -eq 1 ] || break
        [ "$try" -eq 5 ] || sleep 0.1
    done
    [ -z "$answer" ] || echo "$answer"
    return "$status"
}

port_owner_once() {
    local port=$1 g=$2 inodes pid holders
    if [ -r /proc/net/tcp ]; then
        # Linux: the listening sockets' inodes (state 0A) for PORT, then
        # whether a process of the group has one of them open.
        inodes=$(awk -v p="$(printf '%04X' "$port")" 'FNR > 1 && $4 == "0A" {
                n = split($2, a, ":"); if (a[n] == p) print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
        if [ -z "$inodes" ]; then
            echo "nobody"
            return 1
        fi
        holds_socket "$g" "$inodes" && return 0      # the server itself, usually
        for pid in $(group_pids "$g"); do
            [ "$pid" != "$g" ] && holds_socket "$pid" "$inodes" && return 0
        done
        holders=$(lsof -nP -t -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | head -n 3)
        describe_pids "$holders" "another process (not one started here)"
        return 1
    fi
    command -v lsof >/dev/null 2>&1 || return 2
    holders=$(lsof -nP -t -iTCP:"$port" -sTCP:LISTEN 2>/dev/null)
    if [ -z "$holders" ]; then
        echo "nobody"
        return 1
    fi
    for pid in $holders; do
        [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$g" ] && return 0
    done
    describe_pids "$holders" "another process"
    return 1
}

# holds_socket PID "INODE...": has PID one of these sockets open? (Linux)
holds_socket() {
    local fds inode
    fds=$(ls -l "/proc/$1/fd" 2>/dev/null) || return 1
    for inode in $2; do
        case $fds in *"socket:[$inode]"*) return 0 ;; esac
    done
    return 1
}

# describe_pids "PID..." FALLBACK: "pid 123 (./server --port 7002)", or FALLBACK.
describe_pids() {
    local pid said=
    for pid in $1; do
        printf '%spid %s (%s)' "${said:+, }" "$pid" "$(ps -o args= -p "$pid" 2>/dev/null | cut -c 1-60)"
        said=1
    done
    [ -n "$said" ] || printf '%s' "$2"
    echo
}

# listening_ports PID: the TCP ports PID listens on, one a line (Linux only;
# nothing elsewhere). Tells a server that ignores --port 0 from one that
# listens where it says.
listening_ports() {
    [ -r /proc/net/tcp ] || return 0
    local fds
    fds=$(ls -l "/proc/$1/fd" 2>/dev/null) || return 0
    awk 'FNR > 1 && $4 == "0A" { n = split($2, a, ":"); print $10, a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        while read -r inode hexport; do
            case $fds in *"socket:[$inode]"*) echo $((16#$hexport)) ;; esac
        done
}
