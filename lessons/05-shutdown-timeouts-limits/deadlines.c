/*
 * deadlines.c — time in the event loop: a clock that never jumps, timer
 * lists, what happens when a timer expires, and how long poll() may sleep.
 *
 * Each kind of wait has one timeout for everyone, so a list kept in the
 * order the waits started is also in the order they expire: the head is
 * always the next deadline. Starting, restarting and stopping a timer are
 * O(1) (unlink, append), and finding the nearest deadline is O(1) (the head).
 * A heap would be O(log n) and allow a different timeout per client; we do
 * not need that. Checking every client each turn would be O(n) per wake-up:
 * fine for 10 clients, a waste for 10,000.
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

void timer_stop(struct timer_list *list, struct timer *t)
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

/* When the head of the list expires, or -1 if the list is empty. */
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
    long long next = -1;
    long long candidates[] = {
        next_deadline(&idle_timers),
        next_deadline(&stall_timers),
        shutting_down ? drain_deadline : -1,
    };
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
        if (candidates[i] >= 0 && (next < 0 || candidates[i] < next))
            next = candidates[i];
    if (next < 0)
        return -1;                      /* nothing to wait for but sockets */
    if (next <= now)
        return 0;
    return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}
