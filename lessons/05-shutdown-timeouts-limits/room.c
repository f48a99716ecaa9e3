/*
 * room.c — lesson 04's topic: one line in, many lines out.
 *
 * A line is no longer answered to its sender, it is sent to everyone else
 * in the room. One message may go to a thousand clients, some fast, some
 * slow, some already gone, and no client may hold up the others. So every
 * client gets an output *queue*, and a message is stored once and shared:
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
 * Read it top to bottom: 1. messages (shared, reference-counted lines),
 * 2. each client's queue (push, pop, send with writev), 3. the room
 * (send_to, broadcast, leave_room).
 */
#include "room.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
    WRITE_BATCH = 256,          /* messages per writev() at most: write_batch() */
    QUEUE_KEEP = 16,            /* slots an empty queue keeps (an idle client's cost) */
};

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
size_t msg_cost(size_t len)
{
    return (sizeof(struct msg) + len + 16 + 15) / 16 * 16 + 2 * sizeof(struct msg *);
}

/* ---- 2. Each client's queue ----------------------------------------------- */

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
    /* No room at the end, and a whole batch waits: write first. A fast
     * reader takes it, so a burst that lands in one turn grows no reader's
     * array past one batch (2 KiB), and each writev() still carries one. */
    if (c->q_head + c->q_count == c->q_cap && c->q_count >= WRITE_BATCH && !send_queue(c))
        return;                         /* it failed: want_close */
    if (c->q_head + c->q_count == c->q_cap) {     /* still no room at the end */
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
    if (c->q_count == 0 && c->q_cap > QUEUE_KEEP) {     /* a burst grew it */
        free(c->queue);
        c->queue = NULL;
        c->q_cap = 0;
    }
}

/* Let go of everything still queued for c: it is being closed. */
void queue_free(struct conn *c)
{
    while (c->q_count > 0)
        queue_pop(c);
    free(c->queue);
}

/* How many messages one writev() may take. The more, the cheaper: one
 * system call and one trip through TCP for 256 short chat lines (16 KiB of
 * 64-byte lines) instead of 16. But POSIX promises only 16 pieces per call
 * (_XOPEN_IOV_MAX), and writev() fails with EINVAL past the system's limit,
 * IOV_MAX: 1,024 on Linux and macOS. So ask once, with sysconf(), and keep
 * the smaller of that and WRITE_BATCH; 16 if the system does not say. */
static int write_batch(void)
{
    static long batch;                  /* 0: not asked yet */
    if (batch == 0) {
        long max = sysconf(_SC_IOV_MAX);
        batch = max < 16 ? 16 : max < WRITE_BATCH ? max : WRITE_BATCH;
    }
    return (int)batch;
}

/* Send what we can of c's queue. False if the connection failed: then it
 * is marked want_close. */
bool send_queue(struct conn *c)
{
    /* writev() sends several queued messages in one system call, straight
     * from the shared copies. Like write(), it may take fewer bytes than
     * offered: q_sent remembers how far into the oldest message we got. */
    while (c->q_count > 0) {
        struct iovec iov[WRITE_BATCH];
        int n_iov = 0, batch = write_batch();
        size_t offered = 0;
        for (size_t i = 0; i < c->q_count && n_iov < batch; i++) {
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
        if (n > 0)
            timer_start(&stall_timers, &c->stall);   /* progress: wait anew */
        size_t left = (size_t)n;
        while (left > 0 && c->q_count > 0) {     /* queue_pop() may free the array */
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

/* ---- 3. The room ---------------------------------------------------------- */

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
