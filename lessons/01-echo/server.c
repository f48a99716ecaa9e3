/*
 * Lesson 01 — an echo server: one thread, one poll() loop, many clients.
 *
 * Every byte a client sends comes straight back. The point is not echoing,
 * it is *how*: a single thread serves every client at once because it never
 * waits on any one of them. poll() tells us which sockets are ready, and we
 * only ever do I/O that cannot block.
 *
 * Read it top to bottom:
 *   1. struct conn     what we remember about each client
 *   2. on_readable     one read() for one client
 *      on_writable     one write() for one client
 *   3. accept_clients  take new connections off the listening socket
 *   4. main            the event loop: build the poll list, wait, act, tidy up
 */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every read() lands in one buffer shared by all clients, and is written
 * straight back. Only what the socket did not take is copied out and kept
 * for that client, and while it waits we stop reading from that client. So
 * an idle client holds no buffer at all, and big reads cost no memory. */
enum { BUF_SIZE = 64 * 1024 };
static char shared_buf[BUF_SIZE];

/* ---- 1. A connection ------------------------------------------------------ */

struct conn {
    int fd;
    char peer[ADDR_STR_MAX];    /* "127.0.0.1:53422", for the log */
    bool want_read;             /* ask poll() for POLLIN?  */
    bool want_write;            /* ask poll() for POLLOUT? */
    bool want_close;            /* done: close it once this turn is over */
    char *unsent;               /* unsent[sent..len): echo still to write */
    size_t sent, len;
};

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* ---- 2. One step of I/O for one client ----------------------------------- */

static void on_writable(struct conn *c)
{
    /* write() may take fewer bytes than we offer (a "short write"): the
     * socket's send buffer only has so much room. Keep the rest for later. */
    ssize_t n = write(c->fd, c->unsent + c->sent, c->len - c->sent);
    if (n < 0 && !try_again_later(errno)) {
        log_msg("%s: write failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. EPIPE, ECONNRESET */
        return;
    }
    if (n > 0) {
        trace("write fd %d: %zd bytes", c->fd, n);
        c->sent += (size_t)n;
    }
    /* Back-pressure: while part of the echo is unsent we stop reading this
     * client. If it never reads its replies, its data waits in the kernel's
     * buffers (and eventually its own write() blocks), not in our memory. */
    bool pending = c->sent < c->len;
    c->want_write = pending;
    c->want_read = !pending;
    if (!pending) {                     /* all sent: free our copy, if any */
        if (c->unsent != shared_buf)
            free(c->unsent);
        c->unsent = NULL;
    }
}

static void on_readable(struct conn *c)
{
    ssize_t n = read(c->fd, shared_buf, sizeof shared_buf);
    if (n < 0) {
        if (try_again_later(errno))
            return;
        log_msg("%s: read failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. ECONNRESET: the client vanished */
        return;
    }
    if (n == 0) {                       /* EOF: the client closed its side */
        log_msg("%s: closed by client", c->peer);
        c->want_close = true;
        return;
    }
    /* One read() is *not* one message: TCP is a byte stream, so n is just
     * however many bytes had arrived. For an echo server that is fine. */
    trace("read fd %d: %zd bytes", c->fd, n);
    c->unsent = shared_buf;
    c->sent = 0;
    c->len = (size_t)n;
    on_writable(c);     /* the socket usually has room: try now, not next turn */
    if (c->want_write) {                /* a short write: keep our own copy */
        c->len -= c->sent;
        c->unsent = malloc(c->len);
        if (!c->unsent) {
            log_msg("%s: out of memory", c->peer);
            c->want_close = true;
            return;
        }
        memcpy(c->unsent, shared_buf + c->sent, c->len);
        c->sent = 0;
    }
}

/* ---- 3. New connections --------------------------------------------------- */

static struct conn **conns;     /* every open client, in the order they came */
static size_t n_conns, conns_cap;

static void accept_clients(int listener)
{
    for (;;) {          /* take every connection that is waiting */
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        int fd = accept(listener, (struct sockaddr *)&addr, &addr_len);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* nobody else is waiting */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;               /* that client gave up already */
            /* EMFILE (out of file descriptors) lands here, and poll() will
             * wake us again at once. Lesson 05 handles it properly. */
            log_msg("accept failed: %s", strerror(errno));
            return;
        }
        /* On Linux an accepted socket does not inherit O_NONBLOCK. */
        if (set_nonblocking(fd) < 0) {
            log_msg("fcntl: %s", strerror(errno));
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        struct conn **bigger = c ? grow_array(conns, &conns_cap, n_conns + 1, sizeof *conns) : NULL;
        if (!bigger) {
            log_msg("cannot take a new client: out of memory");
            free(c);
            close(fd);
            continue;
        }
        conns = bigger;
        c->fd = fd;
        /* Send each echo at once. Otherwise Nagle's algorithm holds a small
         * write back while an earlier one is unacknowledged, and a client
         * that delays its ACK (by 40 ms on Linux) turns that into a stall. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->want_read = true;
        addr_to_string((struct sockaddr *)&addr, addr_len, c->peer);
        conns[n_conns++] = c;
        log_msg("%s: connected (fd %d)", c->peer, fd);
    }
}

/* Close finished connections. Called after we are done with the poll list,
 * so no pollfd ever points at a closed or reused fd. */
static void remove_closed(void)
{
    size_t kept = 0;
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->want_close) {
            trace("close fd %d", c->fd);
            close(c->fd);
            if (c->unsent != shared_buf)    /* (a write failed at once) */
                free(c->unsent);
            free(c);
        } else {
            conns[kept++] = c;
        }
    }
    n_conns = kept;
}

/* ---- 4. The event loop ---------------------------------------------------- */

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7001" };
    cli_parse(argc, argv, "Lesson 01: an echo server with one poll() loop.", &cli, NULL, 0);

    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills the
     * process by default. Ignore it: write() then fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);

    int listener = listen_or_die(cli.host, cli.port);
    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;

    for (;;) {
        /* Build the poll list afresh each turn: slot 0 is the listener,
         * slot i+1 is conns[i]. We ask only for what each client needs. */
        size_t n = n_conns;
        struct pollfd *bigger = grow_array(pfds, &pfds_cap, n + 1, sizeof *pfds);
        if (!bigger)
            die("out of memory");
        pfds = bigger;
        pfds[0] = (struct pollfd){ .fd = listener, .events = POLLIN };
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            pfds[i + 1] = (struct pollfd){
                .fd = c->fd,
                .events = (short)((c->want_read ? POLLIN : 0) | (c->want_write ? POLLOUT : 0)),
            };
        }

        /* Sleep until at least one socket is ready. -1: no timeout. */
        int ready = poll(pfds, n + 1, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;               /* a signal interrupted us: go round */
            die("poll: %s", strerror(errno));
        }
        trace_poll(pfds, n + 1, -1, ready);

        /* Serve the clients that are ready. POLLHUP and POLLERR come even
         * when not asked for; the next read() or write() reports the error. */
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            short ev = pfds[i + 1].revents;
            if (c->want_read && (ev & (POLLIN | POLLHUP | POLLERR)))
                on_readable(c);
            else if (c->want_write && (ev & (POLLOUT | POLLHUP | POLLERR)))
                on_writable(c);
        }
        /* New clients are appended after the n we polled, so they are not
         * looked at until the next turn, when they have a pollfd of their own. */
        if (pfds[0].revents & POLLIN)
            accept_clients(listener);
        remove_closed();
    }
}
