/*
 * room.h — what server.c, room.c and commands.c share: the connections,
 * the shared messages, and the ways to send one (room.c has the details);
 * and lesson 05's deadlines.c, limits.c and shutdown.c, at the end.
 */
#ifndef ROOM_H
#define ROOM_H

#include "chat.h"
#include "common.h"

#include <errno.h>
#include <stddef.h>

/* Lesson 04's limits are options now (limits.c): same names, set at start. */
#define MAX_LINE ((size_t)max_line)     /* longest line, not counting "\n" or "\r\n" */
#define IN_SIZE (MAX_LINE + 2)          /* room for the longest line and its "\r\n" */
#define MAX_QUEUE ((size_t)max_queue)   /* memory a client's queue may hold: msg_cost() */
#define QUEUE_PAUSE (MAX_QUEUE / 16)    /* stop reading a client with this much queued */

enum {
    SERVER_LINE = 4096,         /* longest line the server makes itself */
    MSG_MAX = SERVER_LINE + 64, /* room to format one */
    HELP_MAX = 512,             /* /help is shorter (commands.c checks) */
};

/* One line of output, stored once however many clients it goes to. */
struct msg {
    size_t refs;                /* how many queues (and callers) hold it */
    size_t len;
    char text[];                /* len bytes, the last one '\n' */
};

struct conn;

/* A place in a timer list (deadlines.c); prev and next are NULL when it is
 * in none. `since` is when the wait started. */
struct timer {
    long long since;                    /* milliseconds, CLOCK_MONOTONIC */
    struct timer *prev, *next;          /* neighbours in the list */
    struct conn *conn;                  /* whose timer this is */
};

struct conn {
    int fd;
    struct timer idle;          /* waiting for a line from the client */
    struct timer stall;         /* waiting for its output to move, or its EOF */
    char peer[ADDR_STR_MAX];    /* "127.0.0.1:53422", for the log */
    char nick[CHAT_NICK_MAX + 1];
    bool in_room;               /* gets broadcasts; leaving not yet announced */
    bool want_read;             /* ask poll() for POLLIN?  */
    bool want_write;            /* ask poll() for POLLOUT? */
    bool want_close;            /* done: close it once this turn is over */
    bool too_slow;              /* its queue overflowed: drop it this turn */
    bool eof;                   /* the client will send nothing more */
    bool closing;               /* send what is queued, then close */
    bool discarding;            /* all sent; reading and dropping until EOF */
    size_t discarded;           /* bytes dropped so far while discarding */
    size_t in_len;              /* in[0..in_len): bytes of a line not yet whole */
    struct msg **queue;         /* queue[q_head..q_head+q_count): oldest first */
    size_t q_head, q_count, q_cap;
    size_t q_sent;              /* bytes of the oldest message already sent */
    size_t q_cost;              /* memory the queued messages take: msg_cost() */
    char *in;                   /* IN_SIZE bytes, or NULL while empty */
};

extern struct conn **conns;     /* every open client, in the order they came */
extern size_t n_conns;

/* room.c: messages start with one reference, the caller's; send_to()
 * and broadcast() take it over. NULL (out of memory) is ignored. */
struct msg *msg_new(const char *head, const char *text, size_t len);
__attribute__((format(printf, 1, 2)))
struct msg *msg_printf(const char *fmt, ...);
void send_to(struct conn *c, struct msg *m);
void broadcast(struct msg *m, const struct conn *from);
void leave_room(struct conn *c, const char *why);
bool send_queue(struct conn *c);        /* write what the socket takes */
void queue_free(struct conn *c);        /* at close: drop what is queued */
size_t msg_cost(size_t len);            /* memory a queued message of len takes */

/* server.c */
void what_next(struct conn *c);         /* after a change: what to poll for */

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static inline bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* commands.c: run every whole line waiting in c->in; a line of names. */
void handle_lines(struct conn *c);
struct msg *names_line(const char *head, size_t count, bool (*pick)(const struct conn *c));

/* limits.c: every limit is an option (--help lists them). */
extern long max_clients, max_line, max_queue, idle_timeout, write_timeout, drain_timeout;
extern const struct cli_number limit_options[];
extern const size_t n_limit_options;
void limits_init(const char *argv0);    /* exits 2 if they do not fit */
bool may_stay(int fd);                  /* false: turned away (--max-clients) */
bool out_of_fds(int listener);          /* accept() said EMFILE: true if one was turned away */
void fds_freed(void);                   /* clients left: accept again */
extern bool listener_paused;            /* out of fds: not polling it */
bool in_buffer(struct conn *c);         /* give c an input buffer */
void in_buffer_done(struct conn *c);    /* c's input is empty: take it back */
void limits_free(void);                 /* at exit */

/* deadlines.c: the loop's clock, timer lists, poll()'s timeout. */
extern long long now;                   /* ms on CLOCK_MONOTONIC, per turn */
struct timer_list {
    struct timer head;                  /* head.next expires first, head.prev last */
    long long timeout_ms;
};
extern struct timer_list idle_timers, stall_timers;
long long clock_ms(void);
void timer_start(struct timer_list *list, struct timer *t);
void update_timers(struct conn *c);     /* after what_next(): which clocks run */
void stop_timers(struct conn *c);
void expire_timers(void);
int poll_timeout(void);                 /* reads the clock: ms until the next deadline */

/* shutdown.c: signals, the self-pipe, the drain. */
extern int signal_pipe[2];
extern bool shutting_down;
extern bool drain_lost;                 /* a client closed with lines unsent */
extern long long drain_deadline;
void catch_signals(void);
int on_signal_pipe(int listener);       /* the listener, or -1 once shutting down */
int drain_status(void);                 /* exit status once drained, or -1 */

#endif
