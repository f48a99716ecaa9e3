/*
 * deadlines.c — time in the event loop: timer lists, what happens when a
 * timer expires, and how long poll() may sleep.
 *
 * Each kind of wait has one timeout for everyone, so a list in the order
 * the waits started is in the order they expire: start, stop and "which is
 * next" are O(1). It is circular around its head, so no end is special.
 */
#include "room.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The loop's clock: milliseconds on CLOCK_MONOTONIC, read once per turn.
 * Monotonic, because the wall clock can jump (NTP, a user setting the
 * date) and a jump must not expire every timer or none. */
long long now;
struct timer_list idle_timers = { .head = { .prev = &idle_timers.head, .next = &idle_timers.head } };
struct timer_list stall_timers = { .head = { .prev = &stall_timers.head, .next = &stall_timers.head } };

long long clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timer_stop(struct timer *t)
{
    if (!t->next)
        return;                         /* in no list */
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* (Re)start t now: move it to the end of its list, in O(1). */
void timer_start(struct timer_list *list, struct timer *t)
{
    timer_stop(t);
    t->since = now;
    t->prev = list->head.prev;
    t->next = &list->head;
    t->prev->next = t;
    list->head.prev = t;
}

/* After what_next(): which of c's clocks run. Stall: while output waits.
 * Idle: from c's last whole line (read_once; bytes alone would let a
 * slowloris stay) until c closes its side or we close it. */
void update_timers(struct conn *c)
{
    if (c->q_count > 0 && !c->stall.next)
        timer_start(&stall_timers, &c->stall);
    else if (c->q_count == 0 && !c->discarding)
        timer_stop(&c->stall);
    if (c->eof || c->closing)
        timer_stop(&c->idle);
}

void stop_timers(struct conn *c)
{
    timer_stop(&c->idle);
    timer_stop(&c->stall);
}

/* When the first timer of a list expires; LLONG_MAX: the list is empty. */
static long long next_deadline(const struct timer_list *list)
{
    const struct timer *first = list->head.next;
    return first != &list->head ? first->since + list->timeout_ms : LLONG_MAX;
}

/* Is a whole line from c waiting for us to read it? In its input buffer
 * (its own queue is long: back-pressure), or still in the kernel: recv()
 * with MSG_PEEK looks at the bytes without taking them. */
static bool line_waiting(struct conn *c)
{
    if (!in_buffer(c))
        return false;                   /* out of memory: it is closed */
    ssize_t n = recv(c->fd, c->in + c->in_len, IN_SIZE - c->in_len, MSG_PEEK);
    bool waiting = memchr(c->in, '\n', c->in_len + (n > 0 ? (size_t)n : 0)) != NULL;
    if (c->in_len == 0)
        in_buffer_done(c);              /* it had none: give it back */
    return waiting;
}

/* Told it is idle this turn, not yet announced: closing, but still in the
 * room (every other way out leaves the room first). */
static bool idle_now(const struct conn *c)
{
    return c->closing && c->in_room;
}

/* This turn's idle clients leave the room. One leaves as anyone does,
 * "* guest7 left (idle)"; several get one line, "* 3 people left (idle):
 * guest7, guest8, guest9", cut like /who's: hundreds of lines, to each
 * of the others, would fill every queue at once. */
static void idle_leave(size_t count)
{
    char head[64];
    snprintf(head, sizeof head, "* %zu people left (idle):", count);
    struct msg *all = count > 1 ? names_line(head, count, idle_now) : NULL;
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (!idle_now(c))
            continue;
        if (count == 1) {
            leave_room(c, "idle");
        } else {
            c->in_room = false;
            log_msg("%s: %s left (idle)", c->peer, c->nick);
        }
    }
    broadcast(all, NULL);
}

void expire_timers(void)
{
    /* Idle: the client is told and closed politely; the room hears of this
     * turn's idle clients at once. The rule: a client is idle when we have
     * read no line from it for --idle-timeout; back-pressure never stops or
     * restarts that clock, but a line of its own still waiting unread when
     * it runs out means the silence was ours, not the client's, and the
     * clock starts again. */
    size_t idle = 0;
    while (next_deadline(&idle_timers) <= now) {
        struct conn *c = idle_timers.head.next->conn;
        if (line_waiting(c)) {
            timer_start(&idle_timers, &c->idle);
            continue;
        }
        timer_stop(&c->idle);
        send_to(c, msg_printf("error: no line from you for %ld s; bye", idle_timeout));
        c->closing = true;
        what_next(c);
        idle++;
    }
    if (idle > 0)
        idle_leave(idle);
    /* Stalled: output has not moved for write_timeout, or, once all is sent,
     * the client has not closed its side. Either way it is not reading. */
    while (next_deadline(&stall_timers) <= now) {
        struct conn *c = stall_timers.head.next->conn;
        timer_stop(&c->stall);
        log_msg("%s: no progress for %ld s; dropping it", c->peer, write_timeout);
        if (c->in_room)
            c->too_slow = true;         /* remove_closed() tells the room */
        c->want_close = true;
    }
}

/* How long poll() may sleep: until the nearest deadline, or for ever (-1).
 * Read the clock first: this turn's work took time too. */
int poll_timeout(void)
{
    now = clock_ms();
    long long next = next_deadline(&idle_timers);
    long long stall = next_deadline(&stall_timers);
    if (stall < next)
        next = stall;
    if (shutting_down && drain_deadline + 1 < next)
        next = drain_deadline + 1;      /* drain_status() ends it *after* it */
    if (next == LLONG_MAX)
        return -1;                      /* nothing to wait for but sockets */
    if (next <= now)
        return 0;                       /* already due */
    return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}
