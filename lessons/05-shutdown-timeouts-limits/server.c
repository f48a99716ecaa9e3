/*
 * Lesson 05 — shutdown, timeouts and limits: the chat server made robust.
 *
 * Lesson 04's chat room, plus what a server needs before it meets the
 * internet, all inside the same single poll() loop:
 *
 *   - SIGINT/SIGTERM start a graceful shutdown: stop accepting, tell every
 *     client, send what is queued, close; a drain deadline bounds it, and a
 *     second signal ends it at once. The signal handler only writes one byte
 *     into a pipe that poll() watches (the self-pipe trick).
 *   - Deadlines on CLOCK_MONOTONIC: a client that sends no line for
 *     --idle-timeout is told and closed; a client whose output makes no
 *     progress for --write-timeout is dropped. poll() sleeps exactly until
 *     the nearest deadline: no busy loop, no fixed tick.
 *   - Limits: --max-clients (the next one is told "server full"), running out
 *     of file descriptors (a spare fd, so accept() never spins), and the line
 *     and queue limits of lesson 04 as options. --help lists them all.
 *   - An idle client costs only its struct conn: the input buffer and the
 *     queue array are allocated when needed and freed when empty.
 *
 * Read it top to bottom:
 *   1. limits (options), struct conn, the clock, timer lists
 *   2. messages and the room      as in lesson 04; the bound is max_queue
 *   3. run_command, handle_lines  unchanged, but the input buffer comes and goes
 *   4. on_readable, on_writable, what_next   now also start and stop timers
 *   5. accept_clients             --max-clients, out of file descriptors
 *      remove_closed
 *   6. time                       timer lists, expire_timers, poll_timeout
 *   7. shutdown                   the self-pipe, begin_shutdown
 *   8. main                       the event loop, with a timeout at last
 */
#include "chat.h"
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum {
    SERVER_LINE = 4096,         /* longest line the server makes itself (/who) */
    MSG_MAX = SERVER_LINE + 64, /* room to format one */
    WRITE_BATCH = 16,           /* messages per writev(); POSIX allows >= 16 */
    ACCEPT_BATCH = 64,          /* connections accepted per turn at most */
    MAX_DISCARD = 1024 * 1024,  /* bytes we read and drop while closing */
};

/* ---- 1. Limits, a connection, timers -------------------------------------- */

/* Every limit is an option; these are the defaults (see --help, README). */
static long max_clients = 1000;
static long max_line = 4096;            /* longest line, without "\n" or "\r\n" */
static long max_queue = 256L * 1024;    /* unsent bytes a client may have */
static long idle_timeout = 300;         /* seconds without a line from a client */
static long write_timeout = 30;         /* seconds without output progress */
static long drain_timeout = 5;          /* seconds to flush queues at shutdown */

static const struct cli_number options[] = {
    { "max-clients", "N", "clients at once; the next is told \"server full\"",
      &max_clients, 1, 1000000 },
    { "max-line", "BYTES", "longest line a client may send",
      &max_line, 16, 1024L * 1024 },
    { "max-queue", "BYTES", "unsent bytes a client may have before it is dropped",
      &max_queue, 4096, 1024L * 1024 * 1024 },
    { "idle-timeout", "SECONDS", "close a client that sends no line for this long",
      &idle_timeout, 1, 7L * 24 * 3600 },
    { "write-timeout", "SECONDS", "drop a client whose output makes no progress for this long",
      &write_timeout, 1, 24L * 3600 },
    { "drain-timeout", "SECONDS", "at shutdown, time to send what is queued; 0: one try, then close",
      &drain_timeout, 0, 3600 },
};

static size_t in_size;                  /* max_line + 2: a line and its "\r\n" */
static size_t queue_pause;              /* stop reading a client with this much unsent */
static char too_long[64];               /* "line longer than 4096 bytes" */

struct conn;

/* A place in a timer list (section 6). `since` is when the wait started. */
struct timer {
    long long since;                    /* milliseconds, CLOCK_MONOTONIC */
    struct timer *prev, *next;          /* neighbours in the list */
    struct conn *conn;                  /* whose timer this is */
    bool linked;                        /* in its list right now? */
};

/* One line of output, stored once however many clients it goes to. */
struct msg {
    size_t refs;                /* how many queues (and callers) hold it */
    size_t len;
    char text[];                /* len bytes, the last one '\n' */
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
    char *in;                   /* in_size bytes, or NULL while empty */
    size_t in_len;              /* in[0..in_len): bytes of a line not yet whole */
    struct msg **queue;         /* queue[q_head..q_head+q_count): oldest first */
    size_t q_head, q_count, q_cap;
    size_t q_sent;              /* bytes of the oldest message already sent */
    size_t q_bytes;             /* bytes queued and not yet sent */
};

static struct conn **conns;     /* every open client, in the order they came */
static size_t n_conns, conns_cap;

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void what_next(struct conn *c);

/* The loop's clock: milliseconds on CLOCK_MONOTONIC, read once per turn.
 * Monotonic, because the wall clock can jump (NTP, a user setting the
 * date) and a jump must not expire every timer or none. */
static long long now;

static long long clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A list of timers that all share one timeout, kept in the order they were
 * started: the first one is always the next to expire (section 6). */
struct timer_list {
    struct timer *head, *tail;
    long long timeout_ms;
};
static struct timer_list idle_timers, stall_timers;

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
static void timer_start(struct timer_list *list, struct timer *t)
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

/* ---- 2. Messages and the room --------------------------------------------- */

/* A new message: head, then len bytes of text (any bytes), then "\n".
 * It starts with one reference, the caller's. NULL if out of memory. */
static struct msg *msg_new(const char *head, const char *text, size_t len)
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
    if (len > 0)
        memcpy(m->text + head_len, text, len);
    m->text[m->len - 1] = '\n';
    return m;
}

/* A message from a printf format, for the server's own lines. */
__attribute__((format(printf, 1, 2)))
static struct msg *msg_printf(const char *fmt, ...)
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

/* Add m to c's queue: one more pointer and one more reference, never a copy.
 * A client whose unsent bytes would pass max_queue is not reading: it is
 * marked too_slow, and remove_closed() drops it at the end of this turn. */
static void queue_push(struct conn *c, struct msg *m)
{
    if (!m || c->too_slow || c->want_close)
        return;
    if (c->q_bytes + m->len > (size_t)max_queue) {
        c->too_slow = true;
        return;
    }
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
    c->q_bytes += m->len;
    what_next(c);
}

/* Forget the oldest message in c's queue: it has been sent. */
static void queue_pop(struct conn *c)
{
    msg_unref(c->queue[c->q_head]);
    c->q_head++;
    c->q_sent = 0;
    if (--c->q_count == 0) {    /* empty: give the array back (idle = cheap) */
        free(c->queue);
        c->queue = NULL;
        c->q_head = c->q_cap = 0;
    }
}

/* Send m to one client, and let go of the caller's reference. */
static void send_to(struct conn *c, struct msg *m)
{
    queue_push(c, m);
    if (m)
        msg_unref(m);
}

/* Send m to everyone in the room except `from`, and let go of the caller's
 * reference: m is freed when the last queue has sent it. */
static void broadcast(struct msg *m, const struct conn *from)
{
    if (!m)
        return;
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i] != from && conns[i]->in_room)
            queue_push(conns[i], m);
    msg_unref(m);
}

/* Take c out of the room and tell the others: "* bob left (why)". */
static void leave_room(struct conn *c, const char *why)
{
    if (!c->in_room)
        return;
    c->in_room = false;
    log_msg("%s: %s left%s%s%s", c->peer, c->nick, why ? " (" : "", why ? why : "", why ? ")" : "");
    broadcast(msg_printf("* %s left%s%s%s", c->nick, why ? " (" : "", why ? why : "", why ? ")" : ""), c);
}

/* The client in the room called nick (any case), or NULL. */
static struct conn *find_nick(const char *nick, size_t len)
{
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->in_room && strlen(c->nick) == len && strncasecmp(c->nick, nick, len) == 0)
            return c;
    }
    return NULL;
}

/* "in the room (3): guest1, alice, bob", cut short to fit one line. */
static struct msg *who_is_here(void)
{
    size_t count = 0, listed = 0;
    for (size_t i = 0; i < n_conns; i++)
        count += conns[i]->in_room;
    char line[MSG_MAX];
    int len = snprintf(line, sizeof line, "in the room (%zu):", count);
    for (size_t i = 0; i < n_conns; i++) {
        if (!conns[i]->in_room)
            continue;
        if (len + CHAT_NICK_MAX + 40 > SERVER_LINE)
            break;                      /* room for ", and 12345 more" */
        len += snprintf(line + len, sizeof line - (size_t)len, "%s %s",
                        listed ? "," : "", conns[i]->nick);
        listed++;
    }
    if (listed < count)
        snprintf(line + len, sizeof line - (size_t)len, ", and %zu more", count - listed);
    return msg_new(line, NULL, 0);
}

/* ---- 3. What a line does -------------------------------------------------- */

static const char help_text[] =
    "commands:\n"
    "  /nick NAME       take a new name (1-16 letters, digits, _ or -)\n"
    "  /who             list who is here\n"
    "  /msg NAME TEXT   send TEXT to NAME only\n"
    "  /me ACTION       tell the room \"* yourname ACTION\"\n"
    "  /quit            leave\n"
    "  //TEXT           say \"/TEXT\"\n"
    "anything else is sent to everyone else as \"yourname: TEXT\"";

static void run_command(struct conn *c, const char *line, size_t len)
{
    struct chat_cmd cmd = chat_parse(line, len);
    char head[CHAT_NICK_MAX + 32];
    switch (cmd.kind) {
    case CHAT_EMPTY:
        break;
    case CHAT_SAY:                      /* not sent back: you know what you said */
        snprintf(head, sizeof head, "%s: ", c->nick);
        broadcast(msg_new(head, cmd.text, cmd.text_len), c);
        break;
    case CHAT_ME:
        snprintf(head, sizeof head, "* %s ", c->nick);
        broadcast(msg_new(head, cmd.text, cmd.text_len), c);
        break;
    case CHAT_MSG: {
        struct conn *to = find_nick(cmd.nick, cmd.nick_len);
        if (!to) {
            send_to(c, msg_printf("error: no one here is called %.*s",
                                  (int)(cmd.nick_len < 32 ? cmd.nick_len : 32), cmd.nick));
            break;
        }
        snprintf(head, sizeof head, "%s (private): ", c->nick);
        send_to(to, msg_new(head, cmd.text, cmd.text_len));
        break;
    }
    case CHAT_NICK: {
        struct conn *owner = find_nick(cmd.nick, cmd.nick_len);
        if (owner && owner != c) {
            send_to(c, msg_printf("error: %s is taken", owner->nick));
            break;
        }
        char old[sizeof c->nick];
        memcpy(old, c->nick, sizeof old);
        memcpy(c->nick, cmd.nick, cmd.nick_len);
        c->nick[cmd.nick_len] = '\0';
        log_msg("%s: %s is now %s", c->peer, old, c->nick);
        send_to(c, msg_printf("you are now %s", c->nick));
        broadcast(msg_printf("* %s is now %s", old, c->nick), c);
        break;
    }
    case CHAT_WHO:
        send_to(c, who_is_here());
        break;
    case CHAT_HELP:
        send_to(c, msg_new(help_text, NULL, 0));
        break;
    case CHAT_QUIT:
        send_to(c, msg_printf("bye, %s", c->nick));
        leave_room(c, NULL);
        c->closing = true;
        break;
    case CHAT_UNKNOWN:
        send_to(c, msg_printf("error: unknown command /%.*s; try /help",
                              (int)(cmd.text_len < 32 ? cmd.text_len : 32), cmd.text));
        break;
    case CHAT_ERROR:
        send_to(c, msg_printf("error: %s", cmd.error));
        break;
    }
}

/* An error line, the room told why, then the polite close. */
static void refuse(struct conn *c, const char *why)
{
    send_to(c, msg_printf("error: %s", why));
    leave_room(c, why);
    c->closing = true;
}

/* Run the line in c->in[start..end); c->in[end] is its '\n', or the end
 * of the input when the client closed in the middle of a line. */
static void run_line(struct conn *c, size_t start, size_t end)
{
    size_t len = end - start;
    if (len > 0 && c->in[end - 1] == '\r')
        len--;                          /* telnet and Windows send "\r\n" */
    if (len > (size_t)max_line)
        refuse(c, too_long);
    else
        run_command(c, c->in + start, len);
}

/* Run every whole line waiting in c->in, in order, while c's own queue is
 * short; whatever is left waits until on_writable() has sent some. */
static void handle_lines(struct conn *c)
{
    if (!c->in)
        return;                         /* no bytes are waiting at all */
    size_t start = 0;
    while (!c->closing && c->q_bytes < queue_pause) {
        char *newline = memchr(c->in + start, '\n', c->in_len - start);
        if (!newline)
            break;                      /* the rest is an unfinished line */
        size_t end = (size_t)(newline - c->in);
        run_line(c, start, end);
        start = end + 1;
    }
    /* Move the unfinished line to the front of the buffer. */
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;

    bool waiting = c->q_bytes >= queue_pause || memchr(c->in, '\n', c->in_len);  /* for room */
    if (!c->closing && !waiting) {
        if (c->in_len == in_size) {
            refuse(c, too_long);        /* full, and no newline */
        } else if (c->eof) {
            /* The client closed its side, maybe in the middle of a line:
             * that last line counts too. Then it leaves; what is queued
             * still goes. */
            if (c->in_len > 0)
                run_line(c, 0, c->in_len);
            c->in_len = 0;
            leave_room(c, NULL);
            c->closing = true;
        }
    }
    if (c->closing || c->in_len == 0) {
        /* Nothing waiting (or nothing more wanted): give the buffer back,
         * so that an idle client costs no buffer at all. */
        free(c->in);
        c->in = NULL;
        c->in_len = 0;
    }
}

/* ---- 4. One step of I/O for one client ----------------------------------- */

/* Decide what to wait for next. Called after every read, write and push. */
static void what_next(struct conn *c)
{
    bool pending = c->q_count > 0;
    c->want_write = pending;
    /* Back-pressure, as in lesson 02, but only on what the client asks of
     * us: while queue_pause bytes wait for it, we stop reading it, and its
     * next commands wait in the kernel. The others' messages still queue up,
     * and max_queue decides when it is too slow to stay. */
    c->want_read = !c->eof && !c->closing && c->q_bytes < queue_pause;
    /* The stall timer runs while output waits: a client that reads nothing
     * for write_timeout is dropped (section 6). */
    if (pending && !c->stall.linked)
        timer_start(&stall_timers, &c->stall);
    else if (!pending && !c->discarding)
        timer_stop(&stall_timers, &c->stall);
    if (c->closing)
        timer_stop(&idle_timers, &c->idle);     /* it is leaving anyway */
    if (c->discarding) {
        c->want_read = true;
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

/* Send what we can of c's queue: false if the connection failed. */
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
        if (n < 0)
            return try_again_later(errno);
        trace("write fd %d: %zd bytes", c->fd, n);
        if (n > 0)
            timer_start(&stall_timers, &c->stall);   /* progress: wait anew */
        size_t left = (size_t)n;
        c->q_bytes -= left;
        while (left > 0 && c->q_count > 0) {
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
    if (!send_queue(c)) {
        log_msg("%s: write failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. EPIPE, ECONNRESET */
        return;
    }
    if (c->q_bytes < queue_pause)
        handle_lines(c);                /* lines that waited for room can run */
    what_next(c);
}

static void on_readable(struct conn *c)
{
    static char scratch[4096];          /* where discarded bytes go */
    if (!c->discarding && !c->in) {
        /* First bytes since the buffer was last empty. An idle client has
         * no buffer at all: 10,000 of them cost 10,000 struct conns only. */
        c->in = malloc(in_size);
        if (!c->in) {
            log_msg("%s: out of memory for its input", c->peer);
            c->want_close = true;
            return;
        }
    }
    char *into = c->discarding ? scratch : c->in + c->in_len;
    size_t room = c->discarding ? sizeof scratch : in_size - c->in_len;
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
    /* A whole line is a sign of life; bytes alone are not, or a client
     * sending one byte a second (slowloris) would never be idle. */
    if (memchr(into, '\n', (size_t)n))
        timer_start(&idle_timers, &c->idle);
    c->in_len += (size_t)n;
    handle_lines(c);
    what_next(c);
}

/* ---- 5. Arrivals and departures ------------------------------------------- */

static int listener = -1;       /* -1 once shutdown has begun */
static bool listener_paused;    /* out of fds and no spare: wait for a leaver */
static int spare_fd = -1;       /* an fd held in reserve: see accept_clients */
static bool turning_away;       /* full: logged once, until we accept again */
static unsigned long turned_away;

/* Tell a connection we cannot take it, in one line, and close it at once:
 * never leave it waiting in the kernel's backlog. */
static void turn_away(int fd, const char *why)
{
    static const char full[] = "error: server full, try again later\n";
    if (!turning_away)
        log_msg("%s: turning new clients away", why);   /* once, not per client */
    turning_away = true;
    turned_away++;
    if (set_nonblocking(fd) == 0) {
        ssize_t ignored = write(fd, full, sizeof full - 1);
        (void)ignored;                  /* best effort: we close either way */
    }
    close(fd);
}

static void accept_clients(void)
{
    static unsigned long guests;        /* newcomers so far: guest1, guest2... */
    /* At most ACCEPT_BATCH per turn: during a rush of connections the
     * clients already here are still served between batches, and each join
     * notice is written out before the next batch piles up behind it. */
    for (int batch = 0; batch < ACCEPT_BATCH; batch++) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        int fd = accept(listener, (struct sockaddr *)&addr, &addr_len);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* nobody else is waiting */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;               /* that client gave up already */
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* Out of file descriptors. The client would stay in the
                 * backlog, and poll() would wake us for it again at once,
                 * forever: a busy loop. So free the spare fd, accept with
                 * it, turn the client away, and take the spare back. (At
                 * the limit, accept() says EMFILE even when nobody is
                 * waiting: only the second accept() tells us which.) */
                close(spare_fd);
                fd = accept(listener, NULL, NULL);
                int err = errno;
                if (fd >= 0)
                    turn_away(fd, "out of file descriptors");
                spare_fd = open("/dev/null", O_RDONLY);
                if (fd >= 0)
                    continue;
                if (err == EAGAIN || err == EWOULDBLOCK)
                    return;             /* nobody else is waiting */
                errno = err;
            }
            if (errno != EMFILE && errno != ENFILE) {
                /* e.g. ENOBUFS, or a network error on that connection:
                 * nothing to wait for, so try again next turn. */
                log_msg("accept failed: %s", strerror(errno));
                return;
            }
            /* Out of descriptors and no spare: stop polling the listener
             * until a client leaves and frees one. */
            log_msg("accept failed: %s; not accepting until a client leaves", strerror(errno));
            listener_paused = true;
            return;
        }
        if (n_conns >= (size_t)max_clients) {
            turn_away(fd, "server full");
            continue;
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
        if (turning_away) {
            log_msg("accepting clients again (%lu turned away)", turned_away);
            turning_away = false;
            turned_away = 0;
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
     * client over max_queue: go round until no one new has to leave. */
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
            timer_stop(&idle_timers, &c->idle);
            timer_stop(&stall_timers, &c->stall);
            while (c->q_count > 0)
                queue_pop(c);
            free(c->in);
            free(c);
        } else {
            conns[kept++] = c;
        }
    }
    if (kept < n_conns) {               /* descriptors were freed */
        listener_paused = false;
        if (spare_fd < 0)
            spare_fd = open("/dev/null", O_RDONLY);
    }
    n_conns = kept;
}

/* ---- 6. Time -------------------------------------------------------------- */

/* Each kind of wait has one timeout for everyone, so a list kept in the
 * order the waits started is also in the order they expire: the head is
 * always the next deadline. Starting, restarting and stopping a timer are
 * O(1) (unlink, append), and finding the nearest deadline is O(1) (the head).
 * A heap would be O(log n) and allow a different timeout per client; we do
 * not need that. Checking every client each turn would be O(n) per wake-up:
 * fine for 10 clients, a waste for 10,000. */

/* When the head of the list expires, or -1 if the list is empty. */
static long long next_deadline(const struct timer_list *list)
{
    return list->head ? list->head->since + list->timeout_ms : -1;
}

static bool shutting_down;
static long long drain_deadline;

static void expire_timers(void)
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
static int poll_timeout(void)
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

/* ---- 7. Shutdown ---------------------------------------------------------- */

/* The self-pipe trick. A signal handler may only call async-signal-safe
 * functions, so it cannot touch our lists or even call log_msg(). It writes
 * one byte into a pipe instead; poll() watches the other end, and the loop
 * does the real work in the open. The pipe is non-blocking: if it is full,
 * the byte is dropped, and enough bytes are already waiting. */
static int signal_pipe[2];

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;                  /* write() may change errno under */
    char byte = 1;                      /* the code this signal interrupted */
    ssize_t ignored = write(signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

static void catch_signals(void)
{
    if (pipe(signal_pipe) < 0 || set_nonblocking(signal_pipe[0]) < 0 ||
        set_nonblocking(signal_pipe[1]) < 0)
        die("cannot make the signal pipe: %s", strerror(errno));
    /* No SA_RESTART: a signal makes poll() fail with EINTR, and the loop
     * goes round and finds the byte in the pipe. */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Stop accepting, tell everyone, and let every queue drain (what_next()
 * does the polite close once a queue is empty). main() exits when the last
 * client is gone, or at the drain deadline. */
static void begin_shutdown(void)
{
    size_t queued = 0;
    for (size_t i = 0; i < n_conns; i++)
        queued += conns[i]->q_bytes;
    log_msg("shutting down: %zu clients, %zu bytes queued; %ld s to drain",
            n_conns, queued, drain_timeout);
    close(listener);
    listener = -1;
    shutting_down = true;
    drain_deadline = now + drain_timeout * 1000;
    struct msg *m = msg_printf("* server shutting down");
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->in_room) {
            queue_push(c, m);
            c->in_room = false;         /* no "left" notices from here on */
        }
        c->closing = true;
        what_next(c);
    }
    if (m)
        msg_unref(m);
}

/* Called when poll() finds bytes in the signal pipe: one byte per signal. */
static void on_signal_pipe(void)
{
    static int signals;
    char bytes[16];
    ssize_t n;
    while ((n = read(signal_pipe[0], bytes, sizeof bytes)) > 0)
        signals += (int)n;
    if (signals >= 2) {
        log_msg("second signal: exiting now");
        exit(1);
    }
    if (signals == 1 && !shutting_down)
        begin_shutdown();
}

/* Shutting down: done when the last client has gone, or at the deadline,
 * when whoever is left is closed. Returns the exit status then (0: no byte
 * queued for a client was dropped by us), or -1 while draining goes on. */
static int drain_status(void)
{
    if (n_conns == 0) {
        log_msg("drained: every client is gone; exiting");
        return 0;
    }
    if (now < drain_deadline)
        return -1;
    size_t unsent = 0;
    for (size_t i = 0; i < n_conns; i++) {
        send_queue(conns[i]);           /* one last try: what fits is not lost */
        unsent += conns[i]->q_bytes;
        conns[i]->want_close = true;
    }
    log_msg("drain deadline: closing %zu clients, %zu bytes unsent; exiting", n_conns, unsent);
    remove_closed();
    return unsent == 0 ? 0 : 1;
}

/* ---- 8. The event loop ---------------------------------------------------- */

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7005" };
    cli_parse(argc, argv, "Lesson 05: the chat room with graceful shutdown, timeouts and limits.",
              &cli, options, sizeof options / sizeof *options);
    in_size = (size_t)max_line + 2;
    queue_pause = (size_t)max_queue / 16;
    snprintf(too_long, sizeof too_long, "line longer than %ld bytes", max_line);
    if (max_queue < 2 * (max_line + 64)) {
        fprintf(stderr, "%s: --max-queue must hold two of the longest lines (%ld bytes)\n",
                argv[0], 2 * (max_line + 64));
        return 2;
    }
    idle_timers.timeout_ms = idle_timeout * 1000;
    stall_timers.timeout_ms = write_timeout * 1000;

    /* Writing to a socket whose peer has gone raises SIGPIPE, which kills the
     * process by default. Ignore it: write() then fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    catch_signals();
    spare_fd = open("/dev/null", O_RDONLY);

    listener = listen_or_die(cli.host, cli.port);
    now = clock_ms();
    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;

    int status = -1;                    /* set once a shutdown has drained */
    while (status < 0) {
        /* Build the poll list afresh each turn: slot 0 is the listener (-1,
         * which poll() skips, once closed or paused), slot 1 the signal
         * pipe, slot i+2 is conns[i]. */
        size_t n = n_conns;
        struct pollfd *bigger = grow_array(pfds, &pfds_cap, n + 2, sizeof *pfds);
        if (!bigger)
            die("out of memory");
        pfds = bigger;
        pfds[0] = (struct pollfd){ .fd = listener_paused ? -1 : listener, .events = POLLIN };
        pfds[1] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            pfds[i + 2] = (struct pollfd){
                .fd = c->fd,
                .events = (short)((c->want_read ? POLLIN : 0) | (c->want_write ? POLLOUT : 0)),
            };
        }

        /* Sleep until a socket is ready or the nearest deadline comes
         * (read the clock first: this turn's work took time too). */
        now = clock_ms();
        int ready = poll(pfds, n + 2, poll_timeout());
        now = clock_ms();
        if (ready < 0) {
            if (errno == EINTR)
                continue;               /* a signal: its byte is in the pipe */
            die("poll: %s", strerror(errno));
        }
        trace_poll(pfds, n + 2, TRACE_TIMEOUT_UNKNOWN, ready);

        /* Serve the clients that are ready. POLLHUP and POLLERR come even
         * when not asked for; the next read() or write() reports the error.
         * A broadcast only changes other clients' queues and want_ flags,
         * never this list, so it is safe in the middle of this loop. */
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            short ev = pfds[i + 2].revents;
            if (c->want_read && (ev & (POLLIN | POLLHUP | POLLERR)))
                on_readable(c);
            /* Not "else": unlike lessons 01-03, a chat client can want both
             * at once (it talks while the room's lines queue up for it), and
             * one that never stops talking must still be written to. */
            if (!c->want_close && c->want_write && (ev & (POLLOUT | POLLHUP | POLLERR)))
                on_writable(c);
        }
        if (pfds[1].revents & POLLIN)
            on_signal_pipe();           /* may close the listener */
        /* New clients are appended after the n we polled, so they are not
         * looked at until the next turn, when they have a pollfd of their own. */
        if (listener >= 0 && (pfds[0].revents & POLLIN))
            accept_clients();
        expire_timers();
        remove_closed();
        if (shutting_down)
            status = drain_status();
    }
    free(pfds);                         /* every client is closed and freed */
    free(conns);
    return status;
}
