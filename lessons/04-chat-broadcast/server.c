/*
 * Lesson 04 — a chat room: one line in, many lines out.
 *
 * Lesson 02's line server, with one change that changes everything: a line
 * is no longer answered to its sender, it is sent to everyone else in the
 * room. One message may go to a thousand clients, some fast, some slow, some
 * already gone, and no client may hold up the others. So every client gets
 * an output *queue*, and a message is stored once and shared:
 *
 *     alice types "hi"  ->  one struct msg "alice: hi\n", refs 3
 *                           bob's queue:   [ ..., msg ]
 *                           carol's queue: [ ..., msg ]
 *                           dave's queue:  [ ..., msg ]
 *
 * A queue is written when poll() says its socket has room. A client is too
 * slow when its queue holds MAX_QUEUE bytes of memory *and* its kernel
 * buffers are full: we disconnect it rather than slow the room down or let
 * our memory grow without end.
 *
 * Lines in are lesson 02's framing, and what each line does (/nick, /who,
 * /msg, ...) is in commands.c, on top of chat.c's parser; room.h is what
 * they share with this file.
 *
 * Read it top to bottom (room.h first):
 *   1. messages         shared, reference-counted lines; the queue
 *   2. the room         send_to, broadcast, leave_room
 *   3. on_readable      one read() for one client
 *      on_writable      writev() for one client: send_queue
 *      what_next        decide what to wait for next; the polite close
 *   4. accept_clients   a newcomer gets a name and a welcome
 *      remove_closed    departures are announced, then closed
 *   5. main             the event loop, unchanged from lesson 02
 */
#include "room.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
    MAX_QUEUE = 256 * 1024,     /* memory a client's queue may hold: msg_cost() */
    WRITE_BATCH = 16,           /* messages per writev(); POSIX allows >= 16 */
    MAX_DISCARD = 1024 * 1024,  /* bytes we read and drop while closing */
};

struct conn **conns;
size_t n_conns;
static size_t conns_cap;

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static bool send_queue(struct conn *c);

/* ---- 1. Messages ---------------------------------------------------------- */

/* A new message: head, then len bytes of text (any bytes), then "\n".
 * It starts with one reference, the caller's. NULL if out of memory. */
struct msg *msg_new(const char *head, const char *text, size_t len)
{
    size_t head_len = strlen(head);
    struct msg *m = malloc(sizeof *m + head_len + len + 1);
    if (!m) {
        log_msg("out of memory: a message is lost");
        return NULL;
    }
    m->refs = 1;
    m->len = head_len + len + 1;
    memcpy(m->text, head, head_len);
    if (text)                   /* NULL: none, or the caller fills it in */
        memcpy(m->text + head_len, text, len);
    m->text[m->len - 1] = '\n';
    return m;
}

/* A message from a printf format, for the server's own lines. */
struct msg *msg_printf(const char *fmt, ...)
{
    char line[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return msg_new(line, NULL, 0);
}

static void msg_unref(struct msg *m)
{
    if (--m->refs == 0)
        free(m);
}

/* What a queued message really costs: not just its text, but the block
 * malloc() gives it (a header, rounded up to 16 bytes) and its slot in the
 * queue array, which may be twice as long as it needs to be. So a flood of
 * one-byte lines costs what it really takes, about 64 bytes a line. */
static size_t msg_cost(size_t len)
{
    return (sizeof(struct msg) + len + 16 + 15) / 16 * 16 + 2 * sizeof(struct msg *);
}

/* Add m to c's queue: one more pointer and one more reference, never a copy.
 * Too slow is a client whose queue is at MAX_QUEUE although we have just
 * tried to write and its kernel buffers took no more. A queue that is only
 * long because a burst arrived in one turn is written first, not punished. */
static void queue_push(struct conn *c, struct msg *m)
{
    if (!m || c->too_slow || c->want_close)
        return;
    size_t cost = msg_cost(m->len);
    if (c->q_cost + cost > MAX_QUEUE && send_queue(c) && c->q_cost + cost > MAX_QUEUE)
        c->too_slow = true;             /* remove_closed() drops it this turn */
    if (c->too_slow || c->want_close)
        return;
    if (c->q_head + c->q_count == c->q_cap) {     /* no room at the end */
        if (c->q_head > c->q_cap / 2) {           /* mostly sent: slide down */
            memmove(c->queue, c->queue + c->q_head, c->q_count * sizeof *c->queue);
            c->q_head = 0;
        } else {
            struct msg **bigger = grow_array(c->queue, &c->q_cap, c->q_head + c->q_count + 1,
                                             sizeof *c->queue);
            if (!bigger) {
                log_msg("%s: out of memory for its queue", c->peer);
                c->too_slow = true;
                return;
            }
            c->queue = bigger;
        }
    }
    c->queue[c->q_head + c->q_count++] = m;
    m->refs++;
    c->q_cost += cost;
    what_next(c);
}

/* Forget the oldest message in c's queue: it has been sent. */
static void queue_pop(struct conn *c)
{
    c->q_cost -= msg_cost(c->queue[c->q_head]->len);
    msg_unref(c->queue[c->q_head]);
    c->q_head++;
    c->q_sent = 0;
    if (--c->q_count == 0)
        c->q_head = 0;
}

/* ---- 2. The room ---------------------------------------------------------- */

/* Send m to one client, and let go of the caller's reference. */
void send_to(struct conn *c, struct msg *m)
{
    queue_push(c, m);
    if (m)
        msg_unref(m);
}

/* Send m to everyone in the room except `from`, and let go of the caller's
 * reference: m is freed when the last queue has sent it. */
void broadcast(struct msg *m, const struct conn *from)
{
    if (!m)
        return;
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i] != from && conns[i]->in_room)
            queue_push(conns[i], m);
    msg_unref(m);
}

/* Take c out of the room and tell the others: "* bob left (why)". */
void leave_room(struct conn *c, const char *why)
{
    if (!c->in_room)
        return;
    c->in_room = false;
    log_msg("%s: %s left%s%s%s", c->peer, c->nick, why ? " (" : "", why ? why : "", why ? ")" : "");
    broadcast(msg_printf("* %s left%s%s%s", c->nick, why ? " (" : "", why ? why : "", why ? ")" : ""), c);
}

/* ---- 3. One step of I/O for one client ----------------------------------- */

/* Decide what to wait for next. Called after every read, write and push. */
void what_next(struct conn *c)
{
    bool pending = c->q_count > 0;
    c->want_write = pending;
    /* Back-pressure, as in lesson 02, but only on what the client asks of
     * us: while QUEUE_PAUSE bytes wait for it, we stop reading it, and its
     * next commands wait in the kernel. The others' messages still queue up,
     * and MAX_QUEUE decides when it is too slow to stay. */
    c->want_read = !c->eof && !c->closing && c->q_cost < QUEUE_PAUSE;
    if (c->discarding) {
        c->want_read = true;
    } else if (c->closing && !pending && c->eof) {
        log_msg("%s: closed", c->peer); /* all sent, all read: close now */
        c->want_close = true;
    } else if (c->closing && !pending) {
        /* Everything is sent. Close politely, as in lesson 02: FIN first,
         * then read and drop until the client closes too, so that no RST
         * destroys the last lines before the client has read them. */
        shutdown(c->fd, SHUT_WR);
        c->discarding = true;
        c->want_read = true;
    }
}

/* Send what we can of c's queue. False if the connection failed: then it
 * is marked want_close. */
static bool send_queue(struct conn *c)
{
    /* writev() sends several queued messages in one system call, straight
     * from the shared copies. Like write(), it may take fewer bytes than
     * offered: q_sent remembers how far into the oldest message we got. */
    while (c->q_count > 0) {
        struct iovec iov[WRITE_BATCH];
        int n_iov = 0;
        size_t offered = 0;
        for (size_t i = 0; i < c->q_count && n_iov < WRITE_BATCH; i++) {
            struct msg *m = c->queue[c->q_head + i];
            size_t skip = i == 0 ? c->q_sent : 0;
            iov[n_iov++] = (struct iovec){ .iov_base = m->text + skip, .iov_len = m->len - skip };
            offered += m->len - skip;
        }
        ssize_t n = writev(c->fd, iov, n_iov);
        if (n < 0 && try_again_later(errno))
            break;                      /* the socket is full: wait for POLLOUT */
        if (n < 0) {
            log_msg("%s: write failed: %s", c->peer, strerror(errno));
            c->want_close = true;       /* e.g. EPIPE, ECONNRESET */
            return false;
        }
        trace("write fd %d: %zd bytes", c->fd, n);
        size_t left = (size_t)n;
        while (left > 0) {
            size_t rest = c->queue[c->q_head]->len - c->q_sent;
            if (left < rest) {
                c->q_sent += left;
                break;
            }
            left -= rest;
            queue_pop(c);
        }
        if ((size_t)n < offered)
            break;                      /* the socket is full: wait for POLLOUT */
    }
    return true;
}

static void on_writable(struct conn *c)
{
    /* Keep writing until the socket is full or the queue is empty: one
     * sender can add hundreds of short lines to a queue in one turn. */
    if (!send_queue(c))
        return;
    if (c->q_cost < QUEUE_PAUSE)
        handle_lines(c);                /* lines that waited for room can run */
    what_next(c);
}

static void on_readable(struct conn *c)
{
    static char scratch[4096];          /* where discarded bytes go */
    char *into = c->discarding ? scratch : c->in + c->in_len;
    size_t room = c->discarding ? sizeof scratch : IN_SIZE - c->in_len;
    ssize_t n = read(c->fd, into, room);
    if (n < 0) {
        if (try_again_later(errno))
            return;
        log_msg("%s: read failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. ECONNRESET: the client vanished */
        return;
    }
    trace("read fd %d: %zd bytes", c->fd, n);
    if (c->discarding) {                /* see what_next(): the polite close */
        c->discarded += (size_t)n;
        if (n == 0 || c->discarded > MAX_DISCARD) {
            log_msg("%s: closed", c->peer);
            c->want_close = true;
        }
        return;
    }
    /* One read() is *not* one message: it is however many bytes had
     * arrived. They join the unfinished line from earlier reads. */
    if (n == 0)
        c->eof = true;                  /* EOF: the client closed its side */
    c->in_len += (size_t)n;
    handle_lines(c);
    what_next(c);
}

/* ---- 4. Arrivals and departures ------------------------------------------- */

static void accept_clients(int listener)
{
    static unsigned long guests;        /* newcomers so far: guest1, guest2... */
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
        /* Send each message at once. Otherwise Nagle's algorithm holds a small
         * write back while an earlier one is unacknowledged, and a client
         * that delays its ACK (by 40 ms on Linux) turns that into a stall. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->want_read = true;
        c->in_room = true;
        addr_to_string((struct sockaddr *)&addr, addr_len, c->peer);
        snprintf(c->nick, sizeof c->nick, "guest%lu", ++guests);
        conns[n_conns++] = c;
        log_msg("%s: connected (fd %d) as %s", c->peer, fd, c->nick);
        send_to(c, msg_printf("welcome, %s! /help lists the commands", c->nick));
        broadcast(msg_printf("* %s joined", c->nick), c);
    }
}

/* Announce departures, then close finished connections. Called after we are
 * done with the poll list, so no pollfd ever points at a closed fd. */
static void remove_closed(void)
{
    /* A goodbye is a broadcast too, and may be what pushes another slow
     * client over MAX_QUEUE: go round until no one new has to leave. */
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < n_conns; i++) {
            struct conn *c = conns[i];
            if (c->too_slow)
                c->want_close = true;   /* no polite close: it is not reading */
            if (c->want_close && c->in_room) {
                leave_room(c, c->too_slow ? "too slow to keep up" : "connection lost");
                again = true;
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->want_close) {
            trace("close fd %d", c->fd);
            close(c->fd);
            while (c->q_count > 0)
                queue_pop(c);
            free(c->queue);
            free(c);
        } else {
            conns[kept++] = c;
        }
    }
    n_conns = kept;
}

/* ---- 5. The event loop ---------------------------------------------------- */

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7004" };
    cli_parse(argc, argv, "Lesson 04: a chat room; every line goes to everyone else.", &cli, NULL, 0);

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
         * when not asked for; the next read() or write() reports the error.
         * A broadcast only changes other clients' queues and want_ flags,
         * never this list, so it is safe in the middle of this loop. */
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            short ev = pfds[i + 1].revents;
            if (c->want_read && (ev & (POLLIN | POLLHUP | POLLERR)))
                on_readable(c);
            /* Not "else": unlike lessons 01-03, a chat client can want both
             * at once (it talks while the room's lines queue up for it), and
             * one that never stops talking must still be written to. */
            if (!c->want_close && c->want_write && (ev & (POLLOUT | POLLHUP | POLLERR)))
                on_writable(c);
        }
        /* New clients are appended after the n we polled, so they are not
         * looked at until the next turn, when they have a pollfd of their own. */
        if (pfds[0].revents & POLLIN)
            accept_clients(listener);
        remove_closed();
    }
}
