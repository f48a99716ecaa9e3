# Tour stop for lesson 02 (sourced by common/tour.sh).
stop_start "line framing: bytes become lines, each answered with its number and length"
step "Three lines in one write: one read(), three answers, in order." \
    send 'one\ntwo\nthree\n' lines 3
step "One line sent a byte at a time: many reads, one answer once the newline arrives." \
    drip 'slowly\n' lines 1
step "telnet sends \\r\\n: the \\r is not part of the line." \
    send 'telnet\r\n' lines 1
step "A line over 4096 bytes: an error line, then the server closes politely." \
    send "$(printf '%5000s' '' | tr ' ' x)" eof
step "Half-close with a partial last line: every reply arrives, the partial line too." \
    send 'full\npartial' shut eof
