/*
 * Lesson 05 — lesson 04's chat room made robust: shutdown, timeouts, limits.
 *
 * Lesson 02's line server, with one change that changes everything: a line
 * is sent to everyone else in the room, not back to its sender. How one
 * message reaches many clients, some fast, some slow, is room.c: shared
 * messages, a queue per client, writev(), the slow-consumer rule. This file
 * is the event loop around it, as in lesson 02: connections, reading,
 * deciding what to wait for, arrivals and departures.
 *
 * Lines in are lesson 02's framing, and what each line does (/nick, /who,
 * /msg, ...) is in commands.c, on top of chat.c's parser; room.h is what
 * they share with this file.
 *
 * Lesson 05 changes this file only where the loop calls its new files:
 * deadlines.c (idle and write timeouts; poll() sleeps until the nearest
 * deadline), limits.c (every limit an option, --max-clients, out of fds,
 * no input buffer while idle) and shutdown.c (the self-pipe, the drain).
 *
 * Read it top to bottom (room.h and room.c first):
 *   1. what_next        decide what to wait for next; the polite close
 *      on_writable      writev() for one client: send_queue (room.c)
 *      on_readable      read() for one client, a few times if it has more
 *   2. accept_clients   a newcomer gets a name and a welcome
 *      remove_closed    departures are announced, then closed
 *   3. main             the event loop, now with a timeout and a signal pipe
 */
#include "room.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    MAX_DISCARD = 1024 * 1024,  /* bytes we read and drop while closing */
    ACCEPT_BATCH = 64,          /* connections accepted per turn at most */
    READ_BATCH = 4,             /* read()s per client per turn at most */
};

struct conn **conns;
size_t n_conns;
static size_t conns_cap;

/* ---- 1. One step of I/O for one client ----------------------------------- */

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
    update_timers(c);                   /* deadlines.c: which clocks run */
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
        timer_start(&stall_timers, &c->stall);  /* its EOF: write_timeout at most */
    }
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

/* One read(). True if it filled the buffer: more may be waiting. */
static bool read_once(struct conn *c)
{
    static char scratch[4096];          /* where discarded bytes go */
    if (!c->discarding && !in_buffer(c))
        return false;                   /* out of memory: it is closed */
    char *into = c->discarding ? scratch : c->in + c->in_len;
    size_t room = c->discarding ? sizeof scratch : IN_SIZE - c->in_len;
    ssize_t n = read(c->fd, into, room);
    if (n < 0) {
        if (try_again_later(errno)) {
            if (c->in && c->in_len == 0)
                in_buffer_done(c);      /* nothing came: a quiet client holds none */
            return false;
        }
        log_msg("%s: read failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. ECONNRESET: the client vanished */
        return false;
    }
    trace("read fd %d: %zd bytes", c->fd, n);
    if (c->discarding) {                /* see what_next(): the polite close */
        c->discarded += (size_t)n;
        if (n == 0 || c->discarded > MAX_DISCARD) {
            log_msg("%s: closed", c->peer);
            c->want_close = true;
        }
        return false;
    }
    /* One read() is *not* one message: it is however many bytes had
     * arrived. They join the unfinished line from earlier reads. */
    if (n == 0)
        c->eof = true;                  /* EOF: the client closed its side */
    if (memchr(into, '\n', (size_t)n))     /* a whole line: a sign of life */
        timer_start(&idle_timers, &c->idle);
    c->in_len += (size_t)n;
    handle_lines(c);
    what_next(c);
    return (size_t)n == room;
}

/* A sender may have more than one buffer's worth waiting. Read it again,
 * READ_BATCH times at most: its lines then reach each receiver in one
 * writev(), not four (README: "Read a little more"), and still no client
 * holds the loop for long. */
static void on_readable(struct conn *c)
{
    for (int reads = 0; reads < READ_BATCH; reads++)
        if (!read_once(c) || !c->want_read || c->want_close)
            return;
}

/* ---- 2. Arrivals and departures ------------------------------------------- */

static void accept_clients(int listener)
{
    static unsigned long guests;        /* newcomers so far: guest1, guest2... */
    for (int batch = 0; batch < ACCEPT_BATCH; batch++) {     /* a rush must not starve the rest */
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        int fd = accept(listener, (struct sockaddr *)&addr, &addr_len);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* nobody else is waiting */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;               /* that client gave up already */
            if (errno != EMFILE && errno != ENFILE)
                log_msg("accept failed: %s", strerror(errno));
            else if (out_of_fds(listener))
                continue;               /* out of fds: one turned away */
            return;
        }
        if (!may_stay(fd))
            continue;                   /* turned away: --max-clients */
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
        c->idle.conn = c->stall.conn = c;
        timer_start(&idle_timers, &c->idle);
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
            if (shutting_down && c->q_count > 0)
                drain_lost = true;      /* shutdown.c: the exit status says so */
            close(c->fd);
            stop_timers(c);
            queue_free(c);
            in_buffer_done(c);
            free(c);
        } else {
            conns[kept++] = c;
        }
    }
    if (kept < n_conns)
        fds_freed();                    /* descriptors were freed */
    n_conns = kept;
}

/* ---- 3. The event loop ---------------------------------------------------- */

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7005" };
    cli_parse(argc, argv, "Lesson 05: the chat room with graceful shutdown, timeouts and limits.",
              &cli, limit_options, n_limit_options);
    limits_init(argv[0]);

    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills the
     * process by default. Ignore it: write() then fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    catch_signals();

    int listener = listen_or_die(cli.host, cli.port);
    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;

    int status = -1;                    /* set once a shutdown has drained */
    while (status < 0) {
        /* Build the poll list afresh each turn: slot 0 is the listener,
         * slot i+1 is conns[i], then the signal pipe. We ask only for what
         * each client needs. */
        size_t n = n_conns;
        struct pollfd *bigger = grow_array(pfds, &pfds_cap, n + 2, sizeof *pfds);
        if (!bigger)
            die("out of memory");
        pfds = bigger;
        pfds[0] = (struct pollfd){ .fd = listener_paused ? -1 : listener, .events = POLLIN };
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            pfds[i + 1] = (struct pollfd){
                .fd = c->fd,
                .events = (short)((c->want_read ? POLLIN : 0) | (c->want_write ? POLLOUT : 0)),
            };
        }
        pfds[n + 1] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };

        /* Sleep until a socket is ready or the nearest deadline comes. */
        int timeout = poll_timeout();   /* deadlines.c: it reads the clock */
        int ready = poll(pfds, n + 2, timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;               /* a signal interrupted us: go round */
            die("poll: %s", strerror(errno));
        }
        now = clock_ms();
        trace_poll(pfds, n + 2, timeout, ready);

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
        if (pfds[n + 1].revents & POLLIN)
            listener = on_signal_pipe(listener);    /* -1: closed, shutting down */
        expire_timers();
        remove_closed();
        status = drain_status();        /* -1: not shutting down, or draining */
    }
    remove_closed();                    /* whoever the drain deadline cut off */
    free(pfds);
    free(conns);
    limits_free();
    return status;
}
