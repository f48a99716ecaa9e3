/*
 * deadlines.c — time in the event loop: timer lists, what happens when a
 * timer expires, and how long poll() may sleep.
 *
 * Each kind of wait has one timeout for everyone, so a list kept in the
 * order the waits started is in the order they expire: the head is the next
 * deadline. Start, stop and "which is next" are all O(1); a heap would be
 * O(log n), and checking every client each turn O(n) per wake-up.
 */
#include "room.h"

#include <limits.h>
#include <time.h>

/* The loop's clock: milliseconds on CLOCK_MONOTONIC, read once per turn.
 * Monotonic, because the wall clock can jump (NTP, a user setting the
 * date) and a jump must not expire every timer or none. */
long long now;
struct timer_list idle_timers, stall_timers;

long long clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timer_stop(struct timer_list *list, struct timer *t)
{
    if (!t->linked)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        list->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        list->tail = t->prev;
    t->prev = t->next = NULL;
    t->linked = false;
}

/* (Re)start t now: move it to the end of its list, in O(1). */
void timer_start(struct timer_list *list, struct timer *t)
{
    timer_stop(list, t);
    t->since = now;
    t->prev = list->tail;
    if (list->tail)
        list->tail->next = t;
    else
        list->head = t;
    list->tail = t;
    t->linked = true;
}

/* After what_next(): which of c's clocks run. Stall: while output waits.
 * Idle: only while we read c (on_readable restarts it on a whole line; bytes
 * alone would let a slowloris stay). While back-pressure holds c's input,
 * the wait is ours, not c's; reading again, it gets a full --idle-timeout. */
void update_timers(struct conn *c)
{
    if (c->q_count > 0 && !c->stall.linked)
        timer_start(&stall_timers, &c->stall);
    else if (c->q_count == 0 && !c->discarding)
        timer_stop(&stall_timers, &c->stall);
    if (!c->want_read)
        timer_stop(&idle_timers, &c->idle);
    else if (!c->idle.linked)
        timer_start(&idle_timers, &c->idle);
}

void stop_timers(struct conn *c)
{
    timer_stop(&idle_timers, &c->idle);
    timer_stop(&stall_timers, &c->stall);
}

/* When the head of the list expires; -1: empty. */
static long long next_deadline(const struct timer_list *list)
{
    return list->head ? list->head->since + list->timeout_ms : -1;
}

void expire_timers(void)
{
    /* Idle: the client is told, leaves the room, and is closed politely. */
    while (idle_timers.head && next_deadline(&idle_timers) <= now) {
        struct conn *c = idle_timers.head->conn;
        timer_stop(&idle_timers, &c->idle);
        send_to(c, msg_printf("error: no line from you for %ld s; bye", idle_timeout));
        leave_room(c, "idle");
        c->closing = true;
        what_next(c);
    }
    /* Stalled: output has not moved for write_timeout, or, once all is sent,
     * the client has not closed its side. Either way it is not reading. */
    while (stall_timers.head && next_deadline(&stall_timers) <= now) {
        struct conn *c = stall_timers.head->conn;
        timer_stop(&stall_timers, &c->stall);
        log_msg("%s: no progress for %ld s; dropping it", c->peer, write_timeout);
        if (c->in_room)
            c->too_slow = true;         /* remove_closed() tells the room */
        c->want_close = true;
    }
}

/* How long poll() may sleep: until the nearest deadline, or for ever. */
int poll_timeout(void)
{
    long long next = next_deadline(&idle_timers);
    long long stall = next_deadline(&stall_timers);
    if (stall >= 0 && (next < 0 || stall < next))
        next = stall;
    if (shutting_down && (next < 0 || drain_deadline < next))
        next = drain_deadline;
    if (next < 0)
        return -1;                      /* nothing to wait for but sockets */
    if (next <= now)
        return 0;                       /* already due */
    return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}
