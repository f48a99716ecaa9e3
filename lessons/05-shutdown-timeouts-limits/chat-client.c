/*
 * chat-client — poll() is not only for servers.
 *
 *   chat-client [--host ADDR] [--port PORT] [--nick NAME]
 *
 * A chat client has to wait for two things at once: the user typing, and
 * the server sending. Blocking in read(stdin) would hide incoming messages
 * until the user presses Enter; blocking in read(socket) would freeze the
 * keyboard. So, like the server, it sleeps in one poll() over both:
 *
 *     stdin  --read-->  to_server  --write-->  socket
 *     socket --read-->  stdout (written at once)
 *
 * Bytes are passed on as they come: a partial line from either side is
 * simply the start of a line, and the server does the framing.
 * When stdin ends (Ctrl-D, or the end of a pipe), we send what is left, then
 * half-close (shutdown SHUT_WR: "I will send nothing more") and keep
 * printing until the server closes: the answers to our last lines arrive.
 *
 * Options are parsed like the servers' (common/cli.c). Exit status: 0 we
 * left (stdin ended) and the server closed after us; 1 cannot connect, or
 * the server closed first (it went away, dropped us, or answered /quit);
 * 2 bad usage.
 */
#include "common.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copy all of p[0..n) to stdout, which we leave blocking: if whoever reads
 * our output is slow, we are slow too, and the server sees a slow reader. */
static bool write_stdout(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

int main(int argc, char **argv)
{
    const char *nick = NULL;
    const struct cli_text nick_option = { "nick", "NAME", "send \"/nick NAME\" first", &nick, NULL };
    struct cli cli = { .host = "127.0.0.1", .port = "7004", .args = "",
                       .texts = &nick_option, .n_texts = 1 };
    cli_parse(argc, argv, "Join the lesson 04 chat room; type lines, Ctrl-D to leave.", &cli, NULL, 0);
    if (nick && (strchr(nick, '\n') || strlen(nick) > 64))
        cli_usage_error("--nick: not a name", nick);

    signal(SIGPIPE, SIG_IGN);           /* a dead socket is an error, not a kill */
    int sock = connect_to(cli.host, cli.port);
    if (sock < 0 || set_nonblocking(sock) < 0)
        return 1;

    /* Lines typed but not yet sent. While it is full we stop reading stdin:
     * back-pressure, as in the server. */
    char to_server[4096 + 64];
    size_t pending = 0;
    if (nick) {
        int n = snprintf(to_server, sizeof to_server, "/nick %s\n", nick);
        pending = n > 0 ? (size_t)n : 0;      /* fits: the name is short */
    }
    bool stdin_open = true, shut_sent = false;

    for (;;) {
        /* A negative fd is skipped by poll(): that is how we stop watching
         * stdin once it has ended, or while to_server is full. */
        struct pollfd pfds[2] = {
            { .fd = stdin_open && pending < sizeof to_server ? STDIN_FILENO : -1, .events = POLLIN },
            { .fd = sock, .events = (short)(POLLIN | (pending > 0 ? POLLOUT : 0)) },
        };
        if (poll(pfds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("chat-client: poll");
            return 1;
        }

        if (pfds[0].revents & POLLNVAL) {
            /* macOS's poll() cannot watch a terminal ("does not support
             * devices") and says POLLNVAL for ever: say so, do not spin. */
            fprintf(stderr, "chat-client: poll() cannot watch this stdin (a macOS terminal?); "
                            "pipe it instead: cat | chat-client ...\n");
            return 1;
        }
        if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(STDIN_FILENO, to_server + pending, sizeof to_server - pending);
            if (n > 0)
                pending += (size_t)n;
            else if (n == 0 || errno != EINTR)
                stdin_open = false;     /* EOF (or a broken stdin): no more input */
        }

        if (pfds[1].revents & POLLOUT) {
            ssize_t n = write(sock, to_server, pending);
            if (n > 0) {                /* a short write keeps the rest */
                memmove(to_server, to_server + n, pending - (size_t)n);
                pending -= (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "chat-client: write: %s\n", strerror(errno));
                return 1;
            }
        }
        if (!stdin_open && pending == 0 && !shut_sent) {
            shutdown(sock, SHUT_WR);    /* everything typed is sent */
            shut_sent = true;
        }

        if (pfds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t n = read(sock, buf, sizeof buf);
            if (n > 0 && !write_stdout(buf, (size_t)n))
                return 1;               /* stdout is gone: nobody is listening */
            if (n == 0) {
                if (shut_sent)
                    return 0;           /* we left, and it said goodbye */
                fprintf(stderr, "chat-client: the server closed the connection\n");
                return 1;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "chat-client: read: %s\n", strerror(errno));
                return 1;
            }
        }
    }
}
