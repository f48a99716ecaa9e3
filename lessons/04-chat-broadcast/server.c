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
 * A queue is written when poll() says its socket has room. A queue that grows
 * past MAX_QUEUE bytes means its client is not reading: we disconnect it
 * rather than slow the room down or let our memory grow without end.
 *
 * The commands (/nick, /who, /msg, ...) are parsed in chat.c, which knows
 * nothing about sockets.
 *
 * Read it top to bottom:
 *   1. struct conn      the input buffer, the output queue, the name
 *   2. messages         shared, reference-counted lines; queue_push
 *      the room         broadcast, leave_room, find_nick
 *   3. run_command      what each line does
 *      handle_lines     find whole lines in the input (lesson 02's framing)
 *   4. on_readable      one read() for one client
 *      on_writable      one writev() for one client
 *      what_next        decide what to wait for next; the polite close
 *   5. accept_clients   a newcomer gets a name and a welcome
 *      remove_closed    departures are announced, then closed
 *   6. main             the event loop, unchanged from lesson 02
 */
#include "chat.h"
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
    MAX_LINE = 4096,            /* longest line, not counting "\n" or "\r\n" */
    IN_SIZE = MAX_LINE + 2,     /* room for the longest line and its "\r\n" */
    MSG_MAX = MAX_LINE + 64,    /* longest message: "name (private): " + line */
    MAX_QUEUE = 256 * 1024,     /* unsent bytes a client may have; then it goes */
    QUEUE_PAUSE = 16 * 1024,    /* stop reading a client with this much unsent */
    WRITE_BATCH = 16,           /* messages per writev(); POSIX allows >= 16 */
    MAX_DISCARD = 1024 * 1024,  /* bytes we read and drop while closing */
};

/* ---- 1. A connection ------------------------------------------------------ */

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
    size_t q_bytes;             /* bytes queued and not yet sent */
    char in[IN_SIZE];
};

static struct conn **conns;     /* every open client, in the order they came */
static size_t n_conns, conns_cap;

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void what_next(struct conn *c);

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
 * A client whose unsent bytes would pass MAX_QUEUE is not reading: it is
 * marked too_slow, and remove_closed() drops it at the end of this turn. */
static void queue_push(struct conn *c, struct msg *m)
{
    if (!m || c->too_slow || c->want_close)
        return;
    if (c->q_bytes + m->len > MAX_QUEUE) {
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
    if (--c->q_count == 0)
        c->q_head = 0;
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
        if (len + CHAT_NICK_MAX + 40 > MAX_LINE)
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

/* The error for a line over MAX_LINE, built from the constant itself. */
static void refuse_long_line(struct conn *c)
{
    char why[64];
    snprintf(why, sizeof why, "line longer than %d bytes", MAX_LINE);
    refuse(c, why);
}

/* Run the line in c->in[start..end); c->in[end] is its '\n', or the end
 * of the input when the client closed in the middle of a line. */
static void run_line(struct conn *c, size_t start, size_t end)
{
    size_t len = end - start;
    if (len > 0 && c->in[end - 1] == '\r')
        len--;                          /* telnet and Windows send "\r\n" */
    if (len > MAX_LINE)
        refuse_long_line(c);
    else
        run_command(c, c->in + start, len);
}

/* Run every whole line waiting in c->in, in order, while c's own queue is
 * short; whatever is left waits until on_writable() has sent some. */
static void handle_lines(struct conn *c)
{
    size_t start = 0;
    while (!c->closing && c->q_bytes < QUEUE_PAUSE) {
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

    if (c->closing || c->q_bytes >= QUEUE_PAUSE || memchr(c->in, '\n', c->in_len))
        return;                         /* closing, or waiting for room */
    if (c->in_len == IN_SIZE) {
        refuse_long_line(c);            /* full, and still no newline */
    } else if (c->eof) {
        /* The client closed its side, maybe in the middle of a line: that
         * last line counts too. Then it leaves; what is queued still goes. */
        if (c->in_len > 0)
            run_line(c, 0, c->in_len);
        c->in_len = 0;
        leave_room(c, NULL);
        c->closing = true;
    }
}

/* ---- 4. One step of I/O for one client ----------------------------------- */

/* Decide what to wait for next. Called after every read, write and push. */
static void what_next(struct conn *c)
{
    bool pending = c->q_count > 0;
    c->want_write = pending;
    /* Back-pressure, as in lesson 02, but only on what the client asks of
     * us: while QUEUE_PAUSE bytes wait for it, we stop reading it, and its
     * next commands wait in the kernel. The others' messages still queue up,
     * and MAX_QUEUE decides when it is too slow to stay. */
    c->want_read = !c->eof && !c->closing && c->q_bytes < QUEUE_PAUSE;
    if (c->discarding) {
        c->want_read = true;
    } else if (c->closing && !pending) {
        /* Everything is sent. Close politely, as in lesson 02: FIN first,
         * then read and drop until the client closes too, so that no RST
         * destroys the last lines before the client has read them. */
        shutdown(c->fd, SHUT_WR);
        c->discarding = true;
        c->want_read = true;
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
        size_t left = (size_t)n;
        c->q_bytes -= left;
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
    if (!send_queue(c)) {
        log_msg("%s: write failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. EPIPE, ECONNRESET */
        return;
    }
    if (c->q_bytes < QUEUE_PAUSE)
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

/* ---- 5. Arrivals and departures ------------------------------------------- */

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

/* ---- 6. The event loop ---------------------------------------------------- */

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
