/*
 * room.h — what server.c, room.c and commands.c share: the connections,
 * the shared messages, and the ways to send one (room.c has the details).
 */
#ifndef ROOM_H
#define ROOM_H

#include "chat.h"
#include "common.h"

#include <errno.h>
#include <stddef.h>

enum {
    MAX_LINE = 4096,            /* longest line, not counting "\n" or "\r\n" */
    IN_SIZE = MAX_LINE + 2,     /* room for the longest line and its "\r\n" */
    MSG_MAX = MAX_LINE + 64,    /* longest message: "name (private): " + line */
    MAX_QUEUE = 256 * 1024,     /* memory a client's queue may hold: msg_cost() */
    QUEUE_PAUSE = MAX_QUEUE / 16,       /* stop reading a client with this much queued */
};

/* One line of output, stored once however many clients it goes to. */
struct msg {
    size_t refs;                /* how many queues (and callers) hold it */
    size_t len;
    char text[];                /* len bytes, the last one '\n' */
};

struct conn {
    int fd;
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
    char in[IN_SIZE];
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

/* server.c */
void what_next(struct conn *c);         /* after a change: what to poll for */

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static inline bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* commands.c: run every whole line waiting in c->in. */
void handle_lines(struct conn *c);

#endif
