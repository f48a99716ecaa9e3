/*
 * Lesson 03 — JSON-RPC 2.0: a real protocol on top of the lines of lesson 02.
 *
 * Each line is one JSON-RPC request (or a batch of them); each reply is one
 * line of compact JSON. The protocol lives in rpc.c, which knows nothing of
 * sockets: this file is lesson 02's server, with each line handed to
 * rpc_handle_line() instead of being measured, and an output buffer that
 * grows, because a reply can now be far longer than the line that asked:
 *
 *     {"jsonrpc":"2.0","method":"ping","id":1}  ->  {"jsonrpc":"2.0","result":"pong","id":1}
 *
 * Read it top to bottom (then rpc.c):
 *   1. struct conn     the two buffers and the connection's state
 *   2. answer_lines    find whole lines in the input, queue their replies
 *   3. on_readable     one read() for one client
 *      on_writable     one write() for one client
 *      what_next       decide what to wait for next; the polite close
 *   4. accept_clients  unchanged from lesson 01
 *   5. main            lesson 01's event loop; only the port and --help change
 */
#include "common.h"
#include "rpc.h"

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
    MAX_LINE = 64 * 1024,       /* longest line, not counting "\n" or "\r\n" */
    IN_SIZE = MAX_LINE + 2,     /* room for the longest line and its "\r\n" */
    IN_START = 1024,            /* the input buffer's first size; it doubles to IN_SIZE */
    OUT_LIMIT = 64 * 1024,      /* replies queued before we stop answering */
    MAX_DISCARD = 1024 * 1024,  /* bytes we read and drop while closing */
};

/* ---- 1. A connection ------------------------------------------------------ */

struct conn {
    int fd;
    char peer[ADDR_STR_MAX];    /* "127.0.0.1:53422", for the log */
    bool want_read;             /* ask poll() for POLLIN?  */
    bool want_write;            /* ask poll() for POLLOUT? */
    bool want_close;            /* done: close it once this turn is over */
    bool eof;                   /* the client will send nothing more */
    bool closing;               /* send what is queued, then close */
    bool discarding;            /* all sent; reading and dropping until EOF */
    size_t discarded;           /* bytes dropped so far while discarding */
    unsigned long lines;        /* lines answered so far */
    /* Both buffers are malloc'd when needed and freed when empty: an idle
     * client holds neither, and a busy one only what its lines need. */
    char *in;                   /* in[0..in_len): bytes of a line not yet whole */
    size_t in_len, in_cap;
    char *out;                  /* out[out_sent..out_len): replies to write */
    size_t out_sent, out_len, out_cap;
};

/* Is this errno just "not now"? Then we wait for poll() and try again. */
static bool try_again_later(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* ---- 2. Framing: from lines to requests and back ------------------------- */

/* Append one reply line (and its "\n") to the output buffer.
 *
 * Why a buffer that grows: a reply has no fixed size. A 64 KiB batch can ask
 * for 1000 answers, and echo may print numbers longer than they were sent
 * ("1e9" comes back as 1000000000). Memory per client stays bounded anyway:
 * answer_lines() stops answering once OUT_LIMIT bytes wait to be sent, and
 * one reply is at most a few hundred KiB (RPC_MAX_BATCH, MAX_LINE). */
static bool queue(struct conn *c, const char *text)
{
    size_t len = strlen(text);
    char *bigger = grow_array(c->out, &c->out_cap, c->out_len + len + 1, 1);
    if (!bigger)
        return false;
    c->out = bigger;
    memcpy(c->out + c->out_len, text, len);
    c->out[c->out_len + len] = '\n';
    c->out_len += len + 1;
    return true;
}

static void out_of_memory(struct conn *c)
{
    log_msg("%s: out of memory; closing", c->peer);
    c->want_close = true;
}

/* Answer one line: rpc_handle_line() does the JSON-RPC part. */
static void reply(struct conn *c, const char *line, size_t len)
{
    c->lines++;
    trace("fd %d: line %lu, %zu bytes", c->fd, c->lines, len);
    char *answer;
    if (rpc_handle_line(line, len, &answer) < 0 || (answer && !queue(c, answer)))
        out_of_memory(c);
    free(answer);       /* NULL when there was nothing to send: free() is fine */
}

static void refuse(struct conn *c, const char *why)
{
    log_msg("%s: %s; closing", c->peer, why);
    char *error = rpc_error_line(RPC_INVALID_REQUEST, why);
    if (!error || !queue(c, error))
        out_of_memory(c);
    free(error);
    c->closing = true;
}

/* The error for a line over MAX_LINE, built from the constant itself. */
static void refuse_long_line(struct conn *c)
{
    char why[64];
    snprintf(why, sizeof why, "line longer than %d bytes", MAX_LINE);
    refuse(c, why);
}

/* Answer the line in c->in[start..end); c->in[end] is its '\n', or the
 * end of the input when the client closed in the middle of a line. */
static void answer_line(struct conn *c, size_t start, size_t end)
{
    size_t len = end - start;
    if (len > 0 && c->in[end - 1] == '\r')
        len--;                          /* telnet and Windows send "\r\n" */
    if (len > MAX_LINE)
        refuse_long_line(c);
    else
        reply(c, c->in + start, len);
}

/* Answer every whole line waiting in c->in, in order, while the output
 * buffer has room; whatever is left waits for the next call. */
static void answer_lines(struct conn *c)
{
    size_t start = 0;
    while (start < c->in_len && !c->closing && !c->want_close && c->out_len < OUT_LIMIT) {
        char *newline = memchr(c->in + start, '\n', c->in_len - start);
        if (!newline)
            break;                      /* the rest is an unfinished line */
        size_t end = (size_t)(newline - c->in);
        answer_line(c, start, end);
        start = end + 1;
    }
    /* Move the unfinished line to the front of the buffer. */
    if (start > 0) {
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
    }
    if (c->in_len == 0) {               /* nothing unfinished: give the buffer back */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }

    if (c->closing || c->want_close || c->out_len >= OUT_LIMIT ||
        (c->in_len > 0 && memchr(c->in, '\n', c->in_len)))
        return;                         /* closing, or waiting for room */
    if (c->in_len == IN_SIZE) {
        refuse_long_line(c);            /* full, and still no newline */
    } else if (c->eof) {
        /* The client closed its side in the middle of a line. Like most
         * text tools, take that last unfinished line as a request too. */
        if (c->in_len > 0)
            answer_line(c, 0, c->in_len);
        c->in_len = 0;
        c->closing = true;
    }
}

/* ---- 3. One step of I/O for one client ----------------------------------- */

/* Decide what to wait for next. Called after every read and every write. */
static void what_next(struct conn *c)
{
    bool pending = c->out_sent < c->out_len;
    /* Back-pressure: while replies are unsent we stop reading this client.
     * If it never reads them, its lines wait in the kernel's buffers (and
     * eventually its own write() blocks), not in our memory. */
    c->want_write = pending;
    c->want_read = !pending && !c->eof && !c->closing;
    if (c->discarding) {
        c->want_read = true;
    } else if (c->closing && !pending && c->eof) {
        log_msg("%s: closed", c->peer); /* all sent, all read: close now */
        c->want_close = true;
    } else if (c->closing && !pending) {
        /* Every reply is sent. Closing now, with unread bytes from the
         * client still in our socket, would make the kernel send RST, and
         * RST can destroy replies the client has not read yet. So: send
         * FIN with shutdown(), read and drop until the client closes too. */
        shutdown(c->fd, SHUT_WR);
        c->discarding = true;
        c->want_read = true;
    }
}

static void on_writable(struct conn *c)
{
    /* write() may take fewer bytes than we offer (a "short write"): the
     * socket's send buffer only has so much room. Keep the rest for later. */
    ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
    if (n < 0 && !try_again_later(errno)) {
        log_msg("%s: write failed: %s", c->peer, strerror(errno));
        c->want_close = true;           /* e.g. EPIPE, ECONNRESET */
        return;
    }
    if (n > 0) {
        trace("write fd %d: %zd bytes", c->fd, n);
        c->out_sent += (size_t)n;
    }
    if (c->out_sent == c->out_len) {    /* all sent: give the buffer back */
        c->out_sent = c->out_len = 0;
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
        answer_lines(c);
    }
    what_next(c);
}

/* Make sure the input buffer has room to read into. It starts at IN_START
 * bytes and doubles only while a line is longer than the buffer, up to
 * IN_SIZE: a client pays for the longest line it sends, not for the longest
 * line allowed. answer_lines() frees it again once no line is unfinished. */
static bool make_room(struct conn *c)
{
    if (c->in_len < c->in_cap)
        return true;
    size_t cap = c->in_cap ? c->in_cap * 2 : IN_START;
    if (cap > IN_SIZE)
        cap = IN_SIZE;
    char *bigger = realloc(c->in, cap);
    if (!bigger)
        return false;
    c->in = bigger;
    c->in_cap = cap;
    return true;
}

static void on_readable(struct conn *c)
{
    static char scratch[4096];          /* where discarded bytes go */
    if (!c->discarding && !make_room(c)) {
        out_of_memory(c);
        return;
    }
    char *into = c->discarding ? scratch : c->in + c->in_len;
    size_t room = c->discarding ? sizeof scratch : c->in_cap - c->in_len;
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
    answer_lines(c);
    if (c->out_len > 0)
        on_writable(c); /* the socket usually has room: try now, not next turn */
    else
        what_next(c);
}

/* ---- 4. New connections --------------------------------------------------- */

static struct conn **conns;     /* every open client, in the order they came */
static size_t n_conns, conns_cap;

static void accept_clients(int listener)
{
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
        /* Send each reply at once. Otherwise Nagle's algorithm holds a small
         * write back while an earlier one is unacknowledged, and a client
         * that delays its ACK (by 40 ms on Linux) turns that into a stall. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->want_read = true;
        addr_to_string((struct sockaddr *)&addr, addr_len, c->peer);
        conns[n_conns++] = c;
        log_msg("%s: connected (fd %d)", c->peer, fd);
    }
}

/* Close finished connections. Called after we are done with the poll list,
 * so no pollfd ever points at a closed or reused fd. */
static void remove_closed(void)
{
    size_t kept = 0;
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->want_close) {
            trace("close fd %d", c->fd);
            close(c->fd);
            free(c->in);
            free(c->out);
            free(c);
        } else {
            conns[kept++] = c;
        }
    }
    n_conns = kept;
}

/* ---- 5. The event loop ---------------------------------------------------- */

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7003" };
    cli_parse(argc, argv, "Lesson 03: a JSON-RPC 2.0 server, one JSON text per line.", &cli, NULL, 0);

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
         * when not asked for; the next read() or write() reports the error. */
        for (size_t i = 0; i < n; i++) {
            struct conn *c = conns[i];
            short ev = pfds[i + 1].revents;
            if (c->want_read && (ev & (POLLIN | POLLHUP | POLLERR)))
                on_readable(c);
            else if (c->want_write && (ev & (POLLOUT | POLLHUP | POLLERR)))
                on_writable(c);
        }
        /* New clients are appended after the n we polled, so they are not
         * looked at until the next turn, when they have a pollfd of their own. */
        if (pfds[0].revents & POLLIN)
            accept_clients(listener);
        remove_closed();
    }
}
