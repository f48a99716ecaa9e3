/*
 * loadgen — a load generator: one thread, one poll() loop, thousands of
 * client connections. It is the lessons' server turned inside out: the same
 * non-blocking sockets, the same poll list rebuilt every turn, the same
 * "never wait on any one socket" rule, but here we are the ones *sending*.
 *
 * It connects N clients to a server, warms up, then for a fixed time keeps
 * every client busy and measures: messages per second, MB per second,
 * latency (p50, p99, max), errors, and, when told the server's pid, the
 * server's own CPU time per message (all its threads, in ns from the
 * scheduler where Linux gives it) and its memory. Every byte that comes
 * back is checked against what the server should have answered. It always
 * stops by itself: each phase has a deadline on the monotonic clock.
 *
 *   loadgen --port P --mode echo  --conns 100 --size 64           ping-pong
 *   loadgen --port P --mode echo  --conns 10 --idle-conns 10000   + idle ones
 *   loadgen --port P --mode echo  --conns 10 --size 16384 --depth 4  bulk
 *   loadgen --port P --mode lines --conns 10 --depth 16       lesson 02
 *   loadgen --port P --mode rpc   --conns 1 --depth 128       lesson 03
 *   loadgen --port P --mode chat  --conns 1000 --rate 100     lesson 04
 *   loadgen --port P --mode idle  --conns 10000               lesson 05
 *
 * Read it top to bottom:
 *   1. settings        the command line
 *   2. measuring       a monotonic clock and a latency histogram
 *   3. struct conn     one client connection, its buffers and counters
 *   4. protocols       what each mode sends, and how each reply is checked
 *   5. I/O             connect, write, read, and keep the pipeline full
 *   6. the server      CPU time and memory from /proc (Linux)
 *   7. main            phases: connect, warm up, measure, drain, report
 *
 * The loadgen is itself a poll() program, so it pays what it measures: every
 * poll() call costs time for every fd in the list. That is why it leaves
 * out of its list what it does not need to hear from (closed sockets, and
 * the --idle-conns once connected), exactly as a lesson server asks only for
 * what each client needs (want_read, want_write). In chat mode at full
 * speed it must read millions of lines a second on one core and still wait
 * for the server, not the other way round: so its receivers ask to be woken
 * only for a batch of lines (SO_RCVLOWAT), check each line without building
 * a copy of it, and keep a big kernel buffer for the moments when another
 * process has their core. The report says how busy the loadgen was, how long
 * it waited for a core, and how idle the machine was.
 */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- 1. Settings ----------------------------------------------------------- */

enum mode { ECHO, LINES, RPC, CHAT, IDLE };
static const char *const mode_names[] = { "echo", "lines", "rpc", "chat", "idle" };

static struct {
    const char *host, *port;
    enum mode mode;
    long conns;         /* clients (chat: receivers; one more client sends) */
    long idle_conns;    /* more clients that connect and then only wait */
    long size;          /* bytes per request (echo, lines, chat) */
    long depth;         /* requests in flight per client: 1 = ping-pong */
    long rate;          /* chat: messages per second from the sender */
    long duration;      /* seconds measured */
    long warmup;        /* seconds of load before measuring starts */
    long server_pid;    /* read its CPU time and memory from /proc; 0 = no */
    long batch_ms;      /* chat: a loop turn at most this often; 0 = no pause */
} opt = {
    .host = "127.0.0.1", .mode = ECHO, .conns = 10, .size = 64, .depth = 1,
    .rate = 100, .duration = 3, .warmup = 1,
};

enum {
    CONNECTS_IN_FLIGHT = 256,   /* more at once would overflow the server's backlog */
    CONNECT_SECONDS = 30,       /* every connection must be up by then */
    DRAIN_SECONDS = 3,          /* after measuring, how long replies may still take */
    MAX_SIZE = 1024 * 1024,
    MAX_DEPTH = 4096,
    LINE_MAX_IN = 64 * 1024,    /* longest reply line we accept */
    MAX_RATE = 4000000,         /* chat: lines per second from the sender */
    CHAT_RING = 1 << 22,        /* send times kept for this many chat messages: */
                                /* over LATE_SECONDS at MAX_RATE (32 MiB) */
    LATE_SECONDS = 1,           /* chat: a line that takes longer is late */
    BATCH_LINES = 1000,         /* chat, --batch-ms: lines a batch may last at most */
    READ_BATCH_MAX = 16 * 1024, /* chat, --batch-ms: the most a receiver waits for */
    CHAT_BUFFER = 4 * 1024 * 1024,      /* chat: each socket's kernel buffer */
    CHAT_TEXT_MAX = 4000,       /* longest chat line we send */
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: loadgen --port PORT [--host ADDR] [--mode MODE] [--conns N] [--size BYTES]\n"
        "               [--depth N] [--rate N] [--duration S] [--warmup S] [--server-pid PID]\n"
        "               [--idle-conns N] [--batch-ms MS]\n"
        "Drive a lesson server with N connections for a fixed time; check every reply.\n\n"
        "modes:  echo   send SIZE bytes, expect them back (01); --depth > 1 for bulk\n"
        "        lines  send a SIZE-byte line, expect \"line N, M bytes: ...\" (02)\n"
        "        rpc    JSON-RPC ping, expect pong with the same id (03)\n"
        "        chat   one sender at --rate lines/s, N receivers expect \"nick: line\" (04)\n"
        "        idle   hold N connections open and report the server's memory (05)\n"
        "--idle-conns N adds N clients that connect and then only wait: the poll() cost.\n"
        "--batch-ms MS (chat) reads at most every MS ms (or 1,000 lines), in big pieces.\n"
        "defaults: --conns 10 --size 64 --depth 1 --rate 100 --duration 3 --warmup 1\n"
        "Prints a report and one \"result key=value ...\" line; exits 1 if any error.\n");
}

static long number(const char *name, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "loadgen: --%s takes a number from %ld to %ld\n", name, min, max);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },  { "port", required_argument, NULL, 'p' },
        { "mode", required_argument, NULL, 'm' },  { "conns", required_argument, NULL, 'c' },
        { "size", required_argument, NULL, 's' },  { "depth", required_argument, NULL, 'd' },
        { "rate", required_argument, NULL, 'r' },  { "duration", required_argument, NULL, 't' },
        { "warmup", required_argument, NULL, 'w' }, { "server-pid", required_argument, NULL, 'P' },
        { "idle-conns", required_argument, NULL, 'i' }, { "batch-ms", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': opt.host = optarg; break;
        case 'p': opt.port = optarg; number("port", optarg, 1, 65535); break;
        case 'm':
            for (c = 0; c <= IDLE && strcmp(optarg, mode_names[c]) != 0; c++)
                ;
            if (c > IDLE) {
                fprintf(stderr, "loadgen: unknown mode: %s\n", optarg);
                exit(2);
            }
            opt.mode = (enum mode)c;
            break;
        case 'c': opt.conns = number("conns", optarg, 1, 100000); break;
        case 'i': opt.idle_conns = number("idle-conns", optarg, 0, 100000); break;
        case 'b': opt.batch_ms = number("batch-ms", optarg, 0, 999); break;
        case 's': opt.size = number("size", optarg, 1, MAX_SIZE); break;
        case 'd': opt.depth = number("depth", optarg, 1, MAX_DEPTH); break;
        case 'r': opt.rate = number("rate", optarg, 1, MAX_RATE); break;
        case 't': opt.duration = number("duration", optarg, 1, 3600); break;
        case 'w': opt.warmup = number("warmup", optarg, 0, 3600); break;
        case 'P': opt.server_pid = number("server-pid", optarg, 1, INT32_MAX); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc || !opt.port) {
        usage(stderr);
        exit(2);
    }
    /* A chat line carries "#lg#SEQ# " and a newline; make room for them. */
    if (opt.mode == CHAT && opt.size < 32)
        opt.size = 32;
    if (opt.mode == CHAT && opt.size > CHAT_TEXT_MAX)
        opt.size = CHAT_TEXT_MAX;
    if (opt.mode == LINES && opt.size < 2)
        opt.size = 2;
}

/* ---- 2. Measuring ------------------------------------------------------------ */

/* Nanoseconds on the monotonic clock: never jumps when the wall clock is set. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Latencies go into a histogram, not a list, so memory stays fixed however
 * long we run. Buckets are exact below 32 ns; above, each power of two is
 * split into 32 equal buckets, so a reported value is within ~3% of the
 * truth (the same idea as HdrHistogram, in a dozen lines). */
enum { SUB_BITS = 5, SUBS = 1 << SUB_BITS, N_BUCKETS = 64 * SUBS };
static uint64_t histogram[N_BUCKETS], hist_count, hist_max;
/* Replies that took 40 ms or more: the tell-tale of Nagle's algorithm
 * meeting a delayed ACK (Linux delays an ACK by at least 40 ms). */
static uint64_t over_40ms;

static unsigned bucket_of(uint64_t ns)
{
    if (ns < SUBS)
        return (unsigned)ns;
    unsigned msb = 0;                   /* the highest bit set, in 6 steps */
    for (unsigned step = 32; step > 0; step /= 2)
        if (ns >> (msb + step))
            msb += step;
    unsigned shift = msb - SUB_BITS;    /* keep the top SUB_BITS+1 bits */
    return (shift + 1) * SUBS + (unsigned)((ns >> shift) & (SUBS - 1));
}

static uint64_t bucket_middle(unsigned b)
{
    if (b < SUBS)
        return b;
    unsigned shift = b / SUBS - 1;
    return ((uint64_t)(b % SUBS + SUBS) << shift) + ((uint64_t)1 << shift) / 2;
}

static void record_latency(uint64_t ns)
{
    histogram[bucket_of(ns)]++;
    hist_count++;
    over_40ms += ns >= 40000000u;
    if (ns > hist_max)
        hist_max = ns;
}

/* The latency below which a fraction p of all samples lie, in ns. */
static uint64_t percentile(double p)
{
    uint64_t rank = (uint64_t)(p * (double)hist_count + 0.999999), seen = 0;
    for (unsigned b = 0; b < N_BUCKETS; b++) {
        seen += histogram[b];
        if (seen >= rank && seen > 0)
            return bucket_middle(b);
    }
    return 0;
}

/* ---- 3. A connection ------------------------------------------------------- */

struct conn {
    int fd;                     /* -1 once closed: poll() skips negative fds */
    unsigned id;
    bool connecting;            /* connect() started, not finished yet */
    bool sender;                /* chat: the one client that talks */
    bool idle;                  /* connects, then only waits (--idle-conns, idle mode) */
    uint64_t issued;            /* requests put in the output buffer so far */
    uint64_t answered;          /* replies received and found correct */
    uint64_t *sent_at;          /* sent_at[k % depth]: when request k was issued */
    size_t reply_got;           /* echo: bytes of the current reply checked so far */
    uint64_t next_seq;          /* chat receiver: next message expected; 0 = none yet */
    bool greeted;               /* chat receiver: the server's first line arrived */
    char *out;                  /* out[out_sent..out_len): requests to write */
    size_t out_sent, out_len, out_cap;
    char *in;                   /* line modes: in[0..in_len) is an unfinished line */
    size_t in_len;
};

static struct conn *conns;
static size_t n_conns;

enum phase { CONNECTING, WARMING_UP, MEASURING, DRAINING, FINISHED };
static enum phase phase = CONNECTING;
static uint64_t measure_start, measure_end;

/* Totals. Only replies that complete while MEASURING count towards the
 * rate; a latency counts if its request was *sent* while measuring. */
static uint64_t msgs_measured, bytes_measured, errors;
static uint64_t chat_sent;      /* chat: messages the sender has issued */
static uint64_t chat_first_measured;   /* first chat message sent while measuring */
static uint64_t chat_sent_at[CHAT_RING];
/* Chat receivers that have had a first line (the welcome): the server has
 * accepted them, so they are in the room. Sending starts when all are. */
static size_t chat_greeted;

/* What went wrong, in one word for the result line: the first problem is
 * the cause (a server that drops a line then looks wrong in other ways). */
enum problem { NO_PROBLEM, CONNECT, CLOSED, WRONG, LOST, REORDERED, LATE };
static const char *const problem_names[] = {
    "none", "connect", "closed", "wrong", "lost", "reordered", "late",
};
static enum problem first_problem = NO_PROBLEM;

/* Report a problem with one connection and give up on it: after a wrong
 * byte the stream is out of step, so nothing later on it can be checked. */
static void fail(struct conn *c, enum problem what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct conn *c, enum problem what, const char *fmt, ...)
{
    static unsigned shown;
    errors++;
    if (first_problem == NO_PROBLEM)
        first_problem = what;
    if (shown++ < 10) {             /* the first few are enough to debug */
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        fprintf(stderr, "loadgen: connection %u: %s\n", c->id, why);
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->connecting = false;
}

/* ---- 4. Protocols: what we send, what must come back ----------------------- */

/* Echo and lines requests are slices of one random (echo) or printable
 * (lines) pattern, starting at a different place for every connection and
 * request, so a reply that went to the wrong client or came back in the
 * wrong order does not match. */
static char *pattern;
enum { PATTERN_SLACK = 251 };           /* a prime: offsets repeat rarely */

static const char *slice(const struct conn *c, uint64_t k)
{
    return pattern + ((uint64_t)c->id * 7 + k) % PATTERN_SLACK;
}

/* Chat line number seq: "#lg#SEQ# " padded with letters to SIZE-1 bytes,
 * the letter at position i being 'a' + (seq + i) % 26, so that the letters
 * are a slice of the alphabet written out twice. */
static const char alphabets[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";

static size_t chat_text(uint64_t seq, char *out)
{
    size_t len = (size_t)snprintf(out, 64, "#lg#%" PRIu64 "# ", seq);
    size_t want = (size_t)opt.size - 1;
    for (; len < want; len += 26) {
        size_t take = want - len < 26 ? want - len : 26;
        memcpy(out + len, alphabets + (seq + len) % 26, take);
    }
    return want;
}

/* The number of the chat line whose text is text[0..len), if it is exactly
 * what chat_text() makes; 0 if not. At saturation the receivers check
 * millions of lines a second, so this reads the digits by hand and compares
 * the letters in place instead of building the line and comparing. */
static uint64_t chat_seq(const char *text, size_t len)
{
    uint64_t seq = 0;
    size_t i = 4;                       /* after "#lg#" */
    if (len != (size_t)opt.size - 1 || text[i] == '0')
        return 0;                       /* the wrong length, or a leading zero */
    for (; i < 4 + 19 && text[i] >= '0' && text[i] <= '9'; i++)
        seq = seq * 10 + (uint64_t)(text[i] - '0');
    if (text[i] != '#' || text[i + 1] != ' ')
        return 0;
    for (i += 2; i < len; i += 26) {
        size_t take = len - i < 26 ? len - i : 26;
        if (memcmp(text + i, alphabets + (seq + i) % 26, take) != 0)
            return 0;
    }
    return seq;
}

/* Where "#lg#" starts in line[0..len), or NULL. (memmem is not POSIX, and
 * strstr() costs more than this on short lines.) */
static const char *find_mark(const char *line, size_t len)
{
    const char *end = line + len, *p = line;
    while ((p = memchr(p, '#', (size_t)(end - p))) != NULL && end - p >= 4) {
        if (memcmp(p, "#lg#", 4) == 0)
            return p;
        p++;
    }
    return NULL;
}

/* Write request number k (counting from 0) of connection c into out. */
static size_t make_request(const struct conn *c, uint64_t k, char *out)
{
    switch (opt.mode) {
    case ECHO:
        memcpy(out, slice(c, k), (size_t)opt.size);
        return (size_t)opt.size;
    case LINES:
        memcpy(out, slice(c, k), (size_t)opt.size - 1);
        out[opt.size - 1] = '\n';
        return (size_t)opt.size;
    case RPC:
        return (size_t)sprintf(out, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":%" PRIu64 "}\n", k + 1);
    case CHAT: {
        size_t len = chat_text(k + 1, out);
        out[len] = '\n';
        return len + 1;
    }
    case IDLE:
        break;
    }
    return 0;
}

/* Does s[0..len) contain the text `want`? (memmem is not POSIX.) */
static bool contains(const char *s, size_t len, const char *want)
{
    size_t n = strlen(want);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, want, n) == 0)
            return true;
    return false;
}

/* Lesson 03's reply to ping number id. Key order and spaces may vary, so
 * check the parts: version, result, and the id followed by '}' or ','. */
static bool rpc_reply_ok(const char *line, size_t len, uint64_t id)
{
    char tight[512], want[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof tight; i++)
        if (line[i] != ' ')
            tight[n++] = line[i];
    snprintf(want, sizeof want, "\"id\":%" PRIu64 "}", id);
    bool id_ok = contains(tight, n, want);
    want[strlen(want) - 1] = ',';
    id_ok = id_ok || contains(tight, n, want);
    return id_ok && contains(tight, n, "\"jsonrpc\":\"2.0\"") && contains(tight, n, "\"result\":\"pong\"");
}

static void reply_done(struct conn *c, uint64_t now, size_t bytes);

/* A whole line arrived for a line mode (02, 03, 04). Check it. */
static void on_line(struct conn *c, char *line, size_t len, uint64_t now)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (opt.mode == CHAT) {
        /* Lines without our mark are the server's own (a welcome, someone
         * joined): fine, skip them. Ours must arrive all, in order, intact. */
        const char *mark = find_mark(line, len);
        if (!c->sender && !c->greeted) {
            c->greeted = true;
            chat_greeted++;
        }
        if (c->sender || !mark)
            return;
        uint64_t seq = chat_seq(mark, len - (size_t)(mark - line));
        if (seq == 0 || mark - line < 2 || memcmp(mark - 2, ": ", 2) != 0)
            { fail(c, WRONG, "a chat message is not \"nick: text\": %.*s", (int)(len < 80 ? len : 80), line); return; }
        if (seq > chat_sent)
            { fail(c, WRONG, "chat message #%" PRIu64 " was never sent", seq); return; }
        if (c->next_seq == 0 && seq >= chat_first_measured && chat_first_measured)
            { fail(c, LOST, "joined late: first message seen was #%" PRIu64, seq); return; }
        if (c->next_seq != 0 && seq != c->next_seq)
            { fail(c, seq > c->next_seq ? LOST : REORDERED, "expected chat message #%" PRIu64 ", got #%" PRIu64,
                   c->next_seq, seq); return; }
        /* Late: it came more than LATE_SECONDS after it was sent (counted
         * from the measuring on: the flood of joins may hold the first lines
         * up for longer), or so late that its send time has left the ring. */
        uint64_t sent = chat_sent_at[seq % CHAT_RING];
        if (chat_sent - seq >= CHAT_RING || (sent >= measure_start && now - sent > LATE_SECONDS * 1000000000ull))
            { fail(c, LATE, "chat message #%" PRIu64 " came over %d s after it was sent", seq, LATE_SECONDS); return; }
        c->next_seq = seq + 1;
        if (sent >= measure_start && sent < measure_end)
            record_latency(now - sent);
        c->answered++;
        if (phase == MEASURING) {
            msgs_measured++;
            bytes_measured += len + 1;
        }
        return;
    }
    if (c->answered >= c->issued)
        { fail(c, WRONG, "a reply to a request we never sent: %.80s", line); return; }
    uint64_t k = c->answered;
    if (opt.mode == RPC) {
        if (!rpc_reply_ok(line, len, k + 1))
            { fail(c, WRONG, "wrong reply to ping id %" PRIu64 ": %.*s", k + 1, (int)(len < 200 ? len : 200), line); return; }
    } else {                            /* LINES: "line N, M bytes: TEXT" */
        char head[64];
        size_t text_len = (size_t)opt.size - 1;
        size_t hlen = (size_t)snprintf(head, sizeof head, "line %" PRIu64 ", %zu byte%s: ",
                                       k + 1, text_len, text_len == 1 ? "" : "s");
        if (len != hlen + text_len || memcmp(line, head, hlen) != 0 ||
            memcmp(line + hlen, slice(c, k), text_len) != 0)
            { fail(c, WRONG, "wrong reply to line %" PRIu64 ": %.*s", k + 1, (int)(len < 80 ? len : 80), line); return; }
    }
    reply_done(c, now, len + 1);
}

/* ---- 5. I/O ------------------------------------------------------------------ */

/* A reply is complete and correct: count it, time it. */
static void reply_done(struct conn *c, uint64_t now, size_t bytes)
{
    uint64_t sent = c->sent_at[c->answered % (uint64_t)opt.depth];
    if (sent >= measure_start && sent < measure_end)
        record_latency(now - sent);
    c->answered++;
    if (phase == MEASURING) {
        msgs_measured++;
        bytes_measured += bytes;
    }
}

/* Write what we can of the output buffer. A short write is normal: the
 * rest waits for POLLOUT. */
static void flush(struct conn *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            { fail(c, CLOSED, "write failed: %s", strerror(errno)); return; }
        }
        c->out_sent += (size_t)n;
    }
    c->out_sent = c->out_len = 0;
}

static size_t request_max(void)
{
    return (size_t)opt.size + 128;      /* rpc and chat add their framing */
}

/* Keep the pipeline full: issue requests until `depth` are unanswered, all
 * in one buffer, so they go out in as few write()s as possible. */
static void fill(struct conn *c)
{
    if (c->fd < 0 || (phase != WARMING_UP && phase != MEASURING) || c->idle || opt.mode == CHAT)
        return;
    uint64_t now = now_ns();
    if (c->out_sent > 0) {              /* slide the unsent part to the front */
        memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
        c->out_len -= c->out_sent;
        c->out_sent = 0;
    }
    while (c->issued - c->answered < (uint64_t)opt.depth &&
           c->out_len + request_max() <= c->out_cap) {
        c->out_len += make_request(c, c->issued, c->out + c->out_len);
        c->sent_at[c->issued % (uint64_t)opt.depth] = now;
        c->issued++;
    }
    flush(c);
}

/* Chat: the sender issues message after message at --rate per second. */
static uint64_t next_chat_at;

/* Chat receivers, --batch-ms: fewer, bigger reads. At millions of lines a
 * second, reading every few lines would make the loadgen the limit, not the
 * server: each read() costs a system call and sends the server an ACK.
 * SO_RCVLOWAT asks the kernel to call a socket readable only once `bytes`
 * are waiting. 1 is the default: any byte. */
static void set_read_batch(int bytes)
{
    for (size_t i = 0; opt.mode == CHAT && i < n_conns; i++)
        if (!conns[i].sender && !conns[i].idle && conns[i].fd >= 0)
            setsockopt(conns[i].fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes);
}

static void chat_tick(uint64_t now)
{
    struct conn *s = &conns[0];
    if (phase != WARMING_UP && phase != MEASURING)
        return;
    while (s->fd >= 0 && now >= next_chat_at && s->out_len + request_max() <= s->out_cap) {
        chat_sent++;
        if (phase == MEASURING && !chat_first_measured)
            chat_first_measured = chat_sent;
        chat_sent_at[chat_sent % CHAT_RING] = now;
        s->out_len += make_request(s, chat_sent - 1, s->out + s->out_len);
        next_chat_at += 1000000000u / (uint64_t)opt.rate;
    }
    flush(s);
}

static char read_buf[256 * 1024];

/* One read() for c, and what it brought checked. True if it filled the
 * buffer: more may be waiting in the socket. */
static bool on_readable(struct conn *c)
{
    uint64_t now = now_ns();
    char *into = opt.mode == ECHO || opt.mode == IDLE ? read_buf : c->in + c->in_len;
    size_t room = opt.mode == ECHO || opt.mode == IDLE ? sizeof read_buf : LINE_MAX_IN - c->in_len;
    ssize_t n = read(c->fd, into, room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return false;
        { fail(c, CLOSED, "read failed: %s", strerror(errno)); return false; }
    }
    if (n == 0)
        { fail(c, CLOSED, "the server closed the connection"); return false; }
    if (phase == MEASURING && opt.mode == ECHO)
        bytes_measured += (size_t)n;

    if (c->idle)
        return false;                   /* a greeting, say: not our business */
    if (opt.mode == ECHO) {
        /* The bytes may end one reply and start the next, or be any part
         * of one: compare them piece by piece with what we sent. */
        size_t done = 0, size = (size_t)opt.size;
        while (done < (size_t)n) {
            if (c->answered >= c->issued)
                { fail(c, WRONG, "got bytes we never sent"); return false; }
            size_t take = size - c->reply_got;
            if (take > (size_t)n - done)
                take = (size_t)n - done;
            if (memcmp(read_buf + done, slice(c, c->answered) + c->reply_got, take) != 0)
                { fail(c, WRONG, "echo of request %" PRIu64 " differs at byte %zu",
                            c->answered, c->reply_got); return false; }
            done += take;
            c->reply_got += take;
            if (c->reply_got == size) {
                c->reply_got = 0;
                reply_done(c, now, 0);
            }
        }
    } else {
        /* Line modes: one read may hold half a line or several; split on
         * '\n' and keep the unfinished rest for the next read. */
        c->in_len += (size_t)n;
        size_t start = 0;
        char *nl;
        while (c->fd >= 0 && (nl = memchr(c->in + start, '\n', c->in_len - start))) {
            size_t end = (size_t)(nl - c->in);
            on_line(c, c->in + start, end - start, now);
            start = end + 1;
        }
        if (c->fd < 0)
            return false;
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        if (c->in_len == LINE_MAX_IN)
            { fail(c, WRONG, "a reply line longer than %d bytes", LINE_MAX_IN); return false; }
    }
    fill(c);    /* replies made room in the pipeline: send more right away */
    return c->fd >= 0 && (size_t)n == room;
}

/* Start connecting to the server without waiting: connect() on a
 * non-blocking socket returns EINPROGRESS and poll() says POLLOUT when done. */
static struct addrinfo *server_addr;

static void start_connect(struct conn *c)
{
    c->fd = socket(server_addr->ai_family, SOCK_STREAM, 0);
    if (c->fd < 0)
        { fail(c, CONNECT, "socket: %s", strerror(errno)); return; }
    if (set_nonblocking(c->fd) < 0)
        { fail(c, CONNECT, "fcntl: %s", strerror(errno)); return; }
    /* Nagle's algorithm would hold our small requests back while earlier
     * ones are unacknowledged; we want to measure the server, not that. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Chat sockets get big kernel buffers, asked for before connect() so
     * that the TCP window can use them: while we pause (--batch-ms) or
     * another process holds our core, the kernel keeps what arrives, and the
     * server does not take us for a slow client and drop us. */
    int buffer = CHAT_BUFFER;
    if (opt.mode == CHAT && !c->idle)
        setsockopt(c->fd, SOL_SOCKET, c->sender ? SO_SNDBUF : SO_RCVBUF, &buffer, sizeof buffer);
    if (connect(c->fd, server_addr->ai_addr, server_addr->ai_addrlen) == 0)
        return;                         /* loopback sometimes connects at once */
    if (errno != EINPROGRESS)
        { fail(c, CONNECT, "connect: %s", strerror(errno)); return; }
    c->connecting = true;
}

static void on_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    c->connecting = false;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
        fail(c, CONNECT, "connect: %s", strerror(err ? err : errno));
}

/* ---- 6. The server's CPU time and memory (Linux /proc) ----------------------- */

/* The server's CPU time in seconds from the scheduler's own count, in
 * nanoseconds: the first field of /proc/PID/task/TID/schedstat, summed over
 * the threads (a Tokio server has several). Clock ticks (below) are 10 ms,
 * too coarse for a server that uses 0.1 s in a run. -1 if unavailable. */
static double server_cpu_seconds_schedstat(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", opt.server_pid);
    DIR *dir = opt.server_pid ? opendir(path) : NULL;
    if (!dir)
        return -1;
    double total = 0;
    int threads = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char file[128];
        snprintf(file, sizeof file, "/proc/%ld/task/%.20s/schedstat", opt.server_pid, e->d_name);
        FILE *f = fopen(file, "r");
        unsigned long long ns;
        if (f && fscanf(f, "%llu", &ns) == 1) { // NOLINT(cert-err34-c): count checked
            total += (double)ns / 1e9;
            threads++;
        }
        if (f)
            fclose(f);
    }
    closedir(dir);
    return threads ? total : -1;
}

/* The server's user+system CPU time in seconds, or -1 if unknown.
 * Fields 14 and 15 of /proc/PID/stat, in clock ticks; the command name in
 * field 2 is in parentheses and may contain spaces, so start after ')'. */
static double server_cpu_seconds(void)
{
    double precise = server_cpu_seconds_schedstat();
    if (precise >= 0)
        return precise;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", opt.server_pid);
    FILE *f = opt.server_pid ? fopen(path, "r") : NULL;
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    unsigned long utime, stime;
    char *p = strrchr(buf, ')');
    /* /proc's layout is fixed and sscanf's count is checked. */
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", // NOLINT(cert-err34-c)
                     &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The server's resident memory in KiB (VmRSS in /proc/PID/status), or -1. */
static long server_rss_kib(void)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", opt.server_pid);
    FILE *f = opt.server_pid ? fopen(path, "r") : NULL;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1) // NOLINT(cert-err34-c): count checked
            break;
    fclose(f);
    return kib;
}

static double own_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Our own CPU time does not say, on a shared machine, whether we held the
 * server back: we may also have been ready to run while someone else had
 * our core. The scheduler counts that wait: the second field of
 * /proc/self/schedstat, in ns (Linux). Busy + waiting well under 100% of
 * the time means the rest was spent in poll() with nothing to read: waiting
 * for the server. -1 if unavailable. */
static double own_wait_seconds(void)
{
    FILE *f = fopen("/proc/self/schedstat", "r");
    unsigned long long run_ns, wait_ns;
    int got = f ? fscanf(f, "%llu %llu", &run_ns, &wait_ns) : 0; // NOLINT(cert-err34-c): count checked
    if (f)
        fclose(f);
    return got == 2 ? (double)wait_ns / 1e9 : -1;
}

/* The whole machine's idle time and total time, in clock ticks summed over
 * its CPUs: the first line of /proc/stat, "cpu user nice system idle
 * iowait ..." (Linux). False if unavailable. */
static bool machine_ticks(double *idle, double *total)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = { 0 };
    int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", // NOLINT(cert-err34-c)
                         &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;
    if (f)
        fclose(f);
    *idle = (double)(v[3] + v[4]);
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += (double)v[i];
    return got == 8;
}

/* ---- 7. Main: the phases ------------------------------------------------------ */

/* Each of our connections needs a file descriptor, and the default limit
 * is often 1024. Raise the soft limit as far as the hard limit allows. */
static void raise_fd_limit(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        die("loadgen: need %zu file descriptors but the limit is %llu; "
            "raise it (ulimit -n) and try again", need, (unsigned long long)rl.rlim_cur);
}

static void setup(void)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    int rc = getaddrinfo(opt.host, opt.port, &hints, &server_addr);
    if (rc != 0)
        die("loadgen: cannot resolve %s port %s: %s", opt.host, opt.port, gai_strerror(rc));

    n_conns = (size_t)(opt.conns + opt.idle_conns) + (opt.mode == CHAT);   /* chat: + the sender */
    raise_fd_limit(n_conns + 32);
    pattern = malloc((size_t)opt.size + PATTERN_SLACK);
    conns = calloc(n_conns, sizeof *conns);
    if (!pattern || !conns)
        die("out of memory");
    /* The same bytes every run: a predictable sequence is the point here. */
    srand(7); // NOLINT(cert-msc32-c,cert-msc51-cpp)
    for (size_t i = 0; i < (size_t)opt.size + PATTERN_SLACK; i++) {
        int r = rand(); // NOLINT(cert-msc30-c,cert-msc50-cpp)
        pattern[i] = (char)(unsigned char)(opt.mode == ECHO ? r % 256 : 'a' + r % 26);
    }

    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = &conns[i];
        c->fd = -1;
        c->id = (unsigned)i;
        c->sender = opt.mode == CHAT && i == 0;
        c->idle = opt.mode == IDLE || i >= n_conns - (size_t)opt.idle_conns;
        bool sends = !c->idle && (opt.mode != CHAT || c->sender);
        /* Chat: room for 20 ms of lines more than 1024, for --batch-ms. */
        size_t requests = opt.mode == CHAT ? 1024 + (size_t)opt.rate / 50 : (size_t)opt.depth;
        c->out_cap = sends ? requests * request_max() : 0;
        c->out = sends ? malloc(c->out_cap) : NULL;
        c->sent_at = calloc((size_t)opt.depth, sizeof *c->sent_at);
        bool lines = opt.mode == LINES || opt.mode == RPC || opt.mode == CHAT;
        lines = lines && !c->idle;
        c->in = lines ? malloc(LINE_MAX_IN + 1) : NULL;
        if ((sends && !c->out) || !c->sent_at || (lines && !c->in))
            die("out of memory");
    }
}

/* Everything sent has been answered (or the connection is gone). */
static bool drained(void)
{
    for (size_t i = 0; i < n_conns; i++) {
        const struct conn *c = &conns[i];
        if (c->fd < 0 || c->idle)
            continue;
        if (opt.mode == CHAT ? (!c->sender && c->next_seq != chat_sent + 1) : c->answered < c->issued)
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);   /* a server that vanishes gives EPIPE, not death */
    setup();

    long rss_before = server_rss_kib(), rss_end = -1;
    double cpu_start = 0, cpu_end = 0, own_start = 0, own_end = 0, wait_start = -1, wait_end = -1;
    double idle_start = 0, idle_end = 0, total_start = 0, total_end = 0;
    bool have_ticks = false;
    uint64_t last_turn = 0;
    uint64_t started = now_ns(), deadline = started + (uint64_t)CONNECT_SECONDS * 1000000000u;
    size_t next_to_connect = 0, open_conns = 0;
    struct pollfd *pfds = calloc(n_conns, sizeof *pfds);
    struct conn **polled = calloc(n_conns, sizeof *polled);
    if (!pfds || !polled)
        die("out of memory");

    /* --batch-ms: while chat lines flow, one turn per batch at most. A turn
     * costs a poll() over every receiver; turning for every few lines that
     * arrive would make the loadgen the limit. Meanwhile the kernel buffers
     * keep what comes, to be read in big pieces. A batch lasts batch_ms, or
     * less if BATCH_LINES lines come sooner: the buffers must not fill. */
    uint64_t batch_ns = (uint64_t)opt.batch_ms * 1000000u;
    if (batch_ns > (uint64_t)BATCH_LINES * 1000000000u / (uint64_t)opt.rate)
        batch_ns = (uint64_t)BATCH_LINES * 1000000000u / (uint64_t)opt.rate;

    while (phase != FINISHED) {
        if (batch_ns && opt.mode == CHAT && (phase == WARMING_UP || phase == MEASURING)) {
            uint64_t due = last_turn + batch_ns, before = now_ns();
            struct timespec pause = { 0, due > before ? (long)(due - before) : 0 };
            if (pause.tv_nsec > 0)
                nanosleep(&pause, NULL);
        }
        uint64_t now = now_ns();
        last_turn = now;

        /* Move on to the next phase when this one's work or time is up. */
        size_t connecting = 0;
        for (size_t i = 0; i < n_conns; i++)
            connecting += conns[i].connecting;
        /* Chat: also wait until the server has greeted every receiver, so
         * that none can miss the first lines because it was not yet accepted. */
        bool all_in = opt.mode != CHAT || chat_greeted == (size_t)opt.conns;
        if (phase == CONNECTING && next_to_connect == n_conns && connecting == 0 && all_in) {
            for (size_t i = 0; i < n_conns; i++)
                open_conns += conns[i].fd >= 0;
            phase = WARMING_UP;
            deadline = now + (uint64_t)opt.warmup * 1000000000u;
            measure_start = measure_end = UINT64_MAX;   /* no latency counts yet */
            next_chat_at = now;
            for (size_t i = 0; i < n_conns; i++)
                fill(&conns[i]);
            /* --batch-ms: wake for what a receiver gets in a batch, at
             * most READ_BATCH_MAX. */
            uint64_t batch = (uint64_t)opt.rate * (uint64_t)opt.size * batch_ns / 1000000000u;
            if (batch > 1 && opt.mode == CHAT)
                set_read_batch(batch > READ_BATCH_MAX ? READ_BATCH_MAX : (int)batch);
        } else if (phase == CONNECTING && now >= deadline) {
            for (size_t i = 0; i < n_conns; i++)
                if (conns[i].connecting)
                    fail(&conns[i], CONNECT, "not connected after %d s", CONNECT_SECONDS);
                else if (opt.mode == CHAT && !conns[i].sender && !conns[i].greeted && conns[i].fd >= 0)
                    fail(&conns[i], CONNECT, "no line from the server within %d s of connecting", CONNECT_SECONDS);
            chat_greeted = (size_t)opt.conns;   /* the failed ones are out */
            continue;
        } else if (phase == WARMING_UP && now >= deadline) {
            phase = MEASURING;
            measure_start = now;
            deadline = now + (uint64_t)opt.duration * 1000000000u;
            cpu_start = server_cpu_seconds();
            own_start = own_cpu_seconds();
            wait_start = own_wait_seconds();
            have_ticks = machine_ticks(&idle_start, &total_start);
        } else if (phase == MEASURING && now >= deadline) {
            phase = DRAINING;
            measure_end = now;
            cpu_end = server_cpu_seconds();
            own_end = own_cpu_seconds();
            wait_end = own_wait_seconds();
            have_ticks = machine_ticks(&idle_end, &total_end) && have_ticks;
            rss_end = server_rss_kib();
            if (batch_ns)
                set_read_batch(1);      /* the last bytes must come, however few */
            deadline = now + (uint64_t)DRAIN_SECONDS * 1000000000u;
        } else if (phase == DRAINING && (drained() || now >= deadline)) {
            phase = FINISHED;
            break;
        }
        if (phase == CONNECTING) {      /* a few connects at a time */
            while (next_to_connect < n_conns && connecting < CONNECTS_IN_FLIGHT) {
                start_connect(&conns[next_to_connect++]);
                connecting++;
            }
        }
        if (opt.mode == CHAT)
            chat_tick(now);

        /* The poll list, rebuilt each turn as in the lessons: polled[j] is
         * the connection behind pfds[j]. poll() costs time for every entry,
         * so we leave out closed connections, and --idle-conns once they are
         * connected: the server never writes to them (we check them at the
         * end). In idle mode we do read, in case the server greets them. */
        size_t n_polled = 0;
        for (size_t i = 0; i < n_conns; i++) {
            struct conn *c = &conns[i];
            if (c->fd < 0 || (c->idle && !c->connecting && opt.mode != IDLE))
                continue;
            bool unsent = c->out_sent < c->out_len;
            polled[n_polled] = c;
            pfds[n_polled++] = (struct pollfd){
                .fd = c->fd,
                /* Always ask for POLLIN, even while writing: a server that
                 * waits for us to read before it reads would deadlock. */
                .events = (short)(c->connecting ? POLLOUT : POLLIN | (unsent ? POLLOUT : 0)),
            };
        }
        uint64_t wake = deadline;
        if (opt.mode == CHAT && (phase == WARMING_UP || phase == MEASURING) && next_chat_at < wake &&
            conns[0].out_len + request_max() <= conns[0].out_cap)
            wake = next_chat_at;        /* (a full sender waits for POLLOUT instead) */
        now = now_ns();
        int timeout_ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        if (phase == CONNECTING && timeout_ms > 100)
            timeout_ms = 100;
        int ready = poll(pfds, n_polled, timeout_ms);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            die("poll: %s", strerror(errno));
        }
        for (size_t j = 0; j < n_polled && ready > 0; j++) {
            struct conn *c = polled[j];
            short ev = pfds[j].revents;
            if (!ev || c->fd < 0)
                continue;
            ready--;
            if (c->connecting) {
                on_connected(c);
                continue;
            }
            /* With --batch-ms the next turn is a while away: read on while
             * reads come back full. */
            if (ev & (POLLIN | POLLHUP | POLLERR))
                while (on_readable(c) && batch_ns > 0)
                    ;
            if (c->fd >= 0 && (ev & POLLOUT))
                flush(c);
        }
    }

    free(pfds);
    free(polled);
    freeaddrinfo(server_addr);

    /* ---- Report ---- */
    /* The idle connections we did not poll: still open? read() on a
     * non-blocking socket says at once: EAGAIN = open and quiet, 0 = closed. */
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = &conns[i];
        while (c->idle && c->fd >= 0) {
            ssize_t n = read(c->fd, read_buf, sizeof read_buf);
            if (n == 0) {
                fail(c, CLOSED, "the server closed an idle connection");
            } else if (n < 0 && errno != EINTR) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    fail(c, CLOSED, "read failed: %s", strerror(errno));
                break;
            }
        }
    }
    uint64_t unanswered = 0;
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = &conns[i];
        if (c->fd < 0 || c->idle)
            continue;
        if (opt.mode == CHAT && !c->sender)
            unanswered += c->next_seq ? chat_sent + 1 - c->next_seq : chat_sent;
        else if (opt.mode != CHAT)
            unanswered += c->issued - c->answered;
    }
    if (unanswered) {
        errors += unanswered;
        if (first_problem == NO_PROBLEM)
            first_problem = LATE;       /* not there DRAIN_SECONDS after the end */
        fprintf(stderr, "loadgen: %" PRIu64 " requests never answered within %d s\n",
                unanswered, DRAIN_SECONDS);
    }
    size_t still_open = 0;
    for (size_t i = 0; i < n_conns; i++)
        still_open += conns[i].fd >= 0;

    double secs = (double)(measure_end - measure_start) / 1e9;
    double rate = (double)msgs_measured / secs, mbps = (double)bytes_measured / secs / 1e6;
    double p50 = (double)percentile(0.50) / 1e3, p99 = (double)percentile(0.99) / 1e3;
    double max = (double)hist_max / 1e3;
    double cpu = cpu_start >= 0 && cpu_end >= 0 ? cpu_end - cpu_start : -1;
    double cpu_per_msg = cpu >= 0 && msgs_measured ? cpu / (double)msgs_measured * 1e6 : -1;
    long rss_per_conn = rss_end >= 0 && rss_before >= 0 && open_conns
                        ? (rss_end - rss_before) * 1024 / (long)open_conns : -1;

    printf("%s: %zu connections, %ld-byte requests, depth %ld, measured %.2f s\n",
           mode_names[opt.mode], n_conns, opt.size, opt.depth, secs);
    printf("  messages  %" PRIu64 " (%.0f/s), %.2f MB/s received\n", msgs_measured, rate, mbps);
    printf("  latency   p50 %.1f us, p99 %.1f us, max %.1f us (%" PRIu64 " samples, %" PRIu64
           " of them 40 ms or more)\n", p50, p99, max, hist_count, over_40ms);
    printf("  errors    %" PRIu64 ", %zu of %zu connections open at the end\n",
           errors, still_open, n_conns);
    if (cpu >= 0)
        printf("  server    %.0f%% of a core, %.2f us CPU per message, RSS %ld KiB (%ld B per connection)\n",
               cpu / secs * 100, cpu_per_msg, rss_end, rss_per_conn);
    double own_pct = (own_end - own_start) / secs * 100;
    double wait_pct = wait_start >= 0 && wait_end >= 0 ? (wait_end - wait_start) / secs * 100 : -1;
    double idle_pct = have_ticks && total_end > total_start
                      ? (idle_end - idle_start) / (total_end - total_start) * 100 : -1;
    printf("  loadgen   %.0f%% of a core, and %.0f%% waiting for one; the machine was %.0f%% idle\n",
           own_pct, wait_pct, idle_pct);
    if (errors)
        printf("  first problem: %s\n", problem_names[first_problem]);
    printf("result mode=%s conns=%ld idle_conns=%ld size=%ld depth=%ld rate=%ld secs=%.2f msgs=%" PRIu64
           " msgs_per_s=%.0f mb_per_s=%.2f p50_us=%.1f p99_us=%.1f max_us=%.1f over_40ms=%" PRIu64 " errors=%" PRIu64
           " server_cpu_pct=%.0f cpu_us_per_msg=%.3f loadgen_cpu_pct=%.0f rss_kib=%ld rss_per_conn_b=%ld"
           " loadgen_wait_pct=%.0f machine_idle_pct=%.0f problem=%s\n",
           mode_names[opt.mode], opt.conns, opt.idle_conns, opt.size, opt.depth, opt.mode == CHAT ? opt.rate : 0,
           secs, msgs_measured, rate, mbps, p50, p99, max, over_40ms, errors,
           cpu >= 0 ? cpu / secs * 100 : -1, cpu_per_msg,
           own_pct, rss_end, rss_per_conn, wait_pct, idle_pct, problem_names[first_problem]);
    return errors ? 1 : 0;
}
