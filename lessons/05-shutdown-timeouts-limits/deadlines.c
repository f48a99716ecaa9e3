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
 * Idle: only while we read c (on_readable restarts it on a whole line; bytes
 * alone would let a slowloris stay). While back-pressure holds c's input,
 * the wait is ours, not c's; reading again, it gets a full --idle-timeout. */
void update_timers(struct conn *c)
{
    if (c->q_count > 0 && !c->stall.next)
        timer_start(&stall_timers, &c->stall);
    else if (c->q_count == 0 && !c->discarding)
        timer_stop(&c->stall);
    if (!c->want_read)
        timer_stop(&c->idle);
    else if (!c->idle.next)
        timer_start(&idle_timers, &c->idle);
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

void expire_timers(void)
{
    /* Idle: the client is told, leaves the room, and is closed politely. */
    while (next_deadline(&idle_timers) <= now) {
        struct conn *c = idle_timers.head.next->conn;
        timer_stop(&c->idle);
        send_to(c, msg_printf("error: no line from you for %ld s; bye", idle_timeout));
        leave_room(c, "idle");
        c->closing = true;
        what_next(c);
    }
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
