# Tour stop for lesson 04 (sourced by common/tour.sh).

# Two clients in one room: guest2 listens, guest3 talks.
two_clients() {
    "$TCPC" --port "$PORT" --timeout 5 lines 6 | sed 's/^/guest2 got: /' &
    sleep 0.3
    "$TCPC" --port "$PORT" --timeout 5 send '/nick alice\nhello, room\n/me waves\n/who\n' sleep 300 |
        sed 's/^/guest3 got: /'
    wait
}

# chat-client with its stdin from a pipe: it sends, half-closes, prints the rest.
piped_chat_client() {
    printf 'hi from a pipe\n/msg nobody hello?\n/who\n' |
        "$REPO/lessons/04-chat-broadcast/chat-client" --port "$PORT" --nick piper
}

# A client that never reads (bash's /dev/tcp), a reader, and 16 MiB of chat.
# shellcheck disable=SC2154 # $tmp: common/tour.sh's scratch folder
slow_reader() {
    local i ops=()
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    "$TCPC" --port "$PORT" --timeout 20 lines 4100 >"$tmp/reader" &
    sleep 0.3
    for ((i = 0; i < 16; i++)); do printf '%4000s\n' '' | tr ' ' x; done >"$tmp/chunk"
    for ((i = 0; i < 256; i++)); do ops+=(file "$tmp/chunk" sleep 1); done
    "$TCPC" --port "$PORT" --timeout 20 "${ops[@]}" send '/quit\n' eof >/dev/null
    wait
    exec 5>&-
    echo "the reader got $(grep -c '^guest[0-9]*: x' "$tmp/reader") of 4096 lines, and:"
    grep -v '^guest[0-9]*: x' "$tmp/reader"
}

stop_start "chat broadcast: each line goes to everyone else; a client that does not read is dropped"
step "A newcomer is welcomed with a name; /who lists the room." \
    send '/who\n' lines 2
step_with two_clients -- \
    "Two clients: guest3 renames itself and talks; guest2 sees it all. The sender does not get its own line back."
step_with piped_chat_client -- \
    "chat-client, one poll() over stdin and the socket, fed from a pipe: at EOF it half-closes and prints the answers."
step_with slow_reader -- \
    "A client that never reads: once its queue passes 256 KiB it is dropped, and the reader gets every line."
