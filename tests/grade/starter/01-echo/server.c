/*
 * Lesson 01 — an echo server: your workspace (made by `make start L=01`).
 *
 * What is here already: the options (--port, --trace, ...; common/common.h),
 * the listening socket, the readiness line the tests wait for, and a loop
 * that accepts each client and hangs up at once. What is yours is the lesson
 * (lessons/01-echo/README.md, "How it works"), in this order:
 *   1. struct conn     what you remember about each client: fd, buffer,
 *                      want_read / want_write / want_close
 *   2. on_readable     one read() for one client; 0 bytes is EOF
 *      on_writable     one write(), which may be short: keep the rest
 *   3. accept_clients  every waiting connection, made non-blocking
 *   4. main            the event loop: build the poll list afresh each turn,
 *                      poll(), act on what is ready, then close what is done
 * Check your work with `make grade L=01`: it says which test fails and why.
 */
#include "common.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7001" };
    cli_parse(argc, argv, "Lesson 01: an echo server with one poll() loop.", &cli, NULL, 0);

    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills the
     * process by default. Ignore it: write() then fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);

    /* Prints "listening on 127.0.0.1:7001" once the socket is ready. */
    int listener = listen_or_die(cli.host, cli.port);

    /* Replace this loop with yours. It only waits for the listener, takes one
     * client and hangs up on it, so every test fails fast, with a reason. */
    for (;;) {
        struct pollfd pfd = { .fd = listener, .events = POLLIN };
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll: %s", strerror(errno));
        }
        int fd = accept(listener, NULL, NULL);
        if (fd >= 0) {
            log_msg("fd %d: connected, and hung up on: the echo is yours to write", fd);
            close(fd);
        }
    }
}
