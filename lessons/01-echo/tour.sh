# Tour stop for lesson 01 (sourced by common/tour.sh).
stop_start "an echo server: every byte comes straight back" --trace
step "Bytes in, the same bytes out. --trace shows the loop: poll() wakes, read 6 bytes, write 6 bytes." \
    send 'hello\n' read 6
step "Three writes in a row: TCP may merge them, split them, whatever. An echo server does not care." \
    send 'abc' send 'def' send 'ghi\n' read 10
step "The client says it is done (shutdown): read() returns 0, the server closes its side." \
    send 'bye\n' shut eof
