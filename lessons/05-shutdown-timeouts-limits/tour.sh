# Tour stop for lesson 05 (sourced by common/tour.sh).

# --max-clients 2: two clients stay, a third is turned away at once.
full_house() {
    "$TCPC" --port "$PORT" --timeout 5 sleep 1500 >/dev/null &
    "$TCPC" --port "$PORT" --timeout 5 sleep 1500 >/dev/null &
    sleep 0.3
    echo "third client got:"
    "$TCPC" --port "$PORT" --timeout 5 eof | sed 's/^/  /'
    wait
}

# A client is connected when SIGTERM comes: it gets the notice, then the close.
# shellcheck disable=SC2154 # $tmp, $server_pid: common/tour.sh's
graceful_stop() {
    "$TCPC" --port "$PORT" --timeout 10 send '/nick last\n' eof >"$tmp/last" &
    local i
    for ((i = 0; i < 250; i++)); do     # until the server has seen it
        grep -q 'is now last' "$tmp/log" && break
        sleep 0.02
    done
    kill -TERM "$server_pid"
    wait                                # for the client: it ends at the close
    echo "the client got:"
    sed 's/^/  /' "$tmp/last"
}

stop_start "shutdown, timeouts, limits: the chat server made robust" \
    --idle-timeout 2 --max-clients 2
step "A client that sends no line for --idle-timeout (2 s here) is told, and closed." \
    eof
step "An empty line is a line: a client that sends one now and then stays." \
    send '\n' sleep 1200 send '\n' sleep 1200 send '/who\n' lines 2
step_with full_house -- \
    "--max-clients 2: the third client gets one line and the close, never a wait in the backlog."
step_with graceful_stop -- \
    "SIGTERM: stop accepting, tell everyone, send what is queued, close, exit 0."
