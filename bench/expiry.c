/*
 * expiry — are lesson 05's idle timeouts on time at scale? (issue 22)
 *
 * It connects one live client, then --conns silent ones, to a lesson 05
 * server started with --idle-timeout T. The silent clients read everything
 * the server sends and never send a byte, so each must be closed T seconds
 * after the server accepted it. We cannot see accept(), but it comes after
 * our connect() is done and before the welcome line arrives: so each close
 * (the EOF after "error: no line from you ...") is measured against both,
 * and how late it really was lies between the two figures (median and
 * worst). Meanwhile the live client sends "/ping"
 * every 20 ms and times each answer ("error: unknown command /ping ..."):
 * a server busy closing thousands must still answer the clients that stay.
 *
 *   expiry --port P --conns 3000 --idle-timeout 2 [--host H] [--linger S]
 *
 * One thread, one poll() loop, non-blocking sockets, like loadgen. It stops
 * by itself: connecting may take 60 s, and it waits at most --linger
 * seconds (20) past the last deadline. Prints a report and one
 * "result key=value ..." line; exits 1 if a silent client was not closed
 * by then, or was closed without being told why.
 */
#include "common.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum {
    CONNECTS_IN_FLIGHT = 256,   /* more at once would overflow the backlog */
    CONNECT_SECONDS = 60,       /* every silent client greeted by then */
    PING_EVERY_MS = 20,         /* the live client's pace */
    HEAD_MAX = 40,              /* bytes of each line we keep, to match it */
    MAX_PINGS = 1 << 16,
};

static const char *host = "127.0.0.1", *port;
static long n_silent = 3000, idle_timeout = 2, linger = 20;

struct client {
    int fd;                     /* -1 once closed */
    bool connecting, greeted, told;
    double connected_ms;        /* connect() done: the server accepts after this */
    double welcome_ms;          /* its first line came: the server accepted before */
    double closed_ms;           /* when the server closed it; 0: not yet */
    char head[HEAD_MAX];        /* the start of the line being received */
    size_t head_len;
};

static struct client live, *silent;
static double ping_sent[MAX_PINGS], ping_ms[MAX_PINGS];     /* when, how long */
static size_t pings, answers;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long number(const char *name, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "expiry: --%s takes a number from %ld to %ld\n", name, min, max);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0) {
            puts("usage: expiry --port PORT [--host ADDR] [--conns N] [--idle-timeout S] [--linger S]\n"
                 "N silent clients against a lesson 05 server started with --idle-timeout S:\n"
                 "how late they are closed, and how long a live client waits meanwhile.");
            exit(0);
        }
        if (!val) {
            fprintf(stderr, "expiry: %s needs a value (see --help)\n", arg);
            exit(2);
        }
        if (strcmp(arg, "--host") == 0) host = val;
        else if (strcmp(arg, "--port") == 0) port = val;
        else if (strcmp(arg, "--conns") == 0) n_silent = number("conns", val, 1, 100000);
        else if (strcmp(arg, "--idle-timeout") == 0) idle_timeout = number("idle-timeout", val, 1, 3600);
        else if (strcmp(arg, "--linger") == 0) linger = number("linger", val, 1, 3600);
        else {
            fprintf(stderr, "expiry: unknown option: %s\n", arg);
            exit(2);
        }
    }
    if (!port) {
        fprintf(stderr, "expiry: --port is required\n");
        exit(2);
    }
}

static struct addrinfo *server_addr;

/* Start a non-blocking connect(); poll() says POLLOUT when it is done. */
static void start_connect(struct client *c)
{
    c->fd = socket(server_addr->ai_family, SOCK_STREAM, 0);
    if (c->fd < 0 || set_nonblocking(c->fd) < 0)
        die("expiry: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->connected_ms = now_ms();         /* loopback may connect at once */
    if (connect(c->fd, server_addr->ai_addr, server_addr->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            die("expiry: connect: %s", strerror(errno));
        c->connecting = true;
    }
}

/* A whole line has come: what it was decides what we note. */
static void on_line(struct client *c, double t)
{
    if (!c->greeted) {
        c->greeted = true;              /* the welcome: the idle clock runs */
        c->welcome_ms = t;
    } else if (c == &live) {
        if (c->head_len >= 28 && memcmp(c->head, "error: unknown command /ping", 28) == 0 &&
            answers < pings) {
            ping_ms[answers] = t - ping_sent[answers];
            answers++;
        }
    } else if (c->head_len >= 25 && memcmp(c->head, "error: no line from you f", 25) == 0) {
        c->told = true;
    }
}

/* Read all that is there; note each whole line and the close. */
static void receive(struct client *c, double t)
{
    char buf[65536];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {                       /* EOF, or an error such as ECONNRESET */
        if (c == &live)
            die("expiry: the server closed the live client");
        c->closed_ms = t;
        close(c->fd);
        c->fd = -1;
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            on_line(c, t);
            c->head_len = 0;
        } else if (c->head_len < HEAD_MAX) {
            c->head[c->head_len++] = buf[i];
        }
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median and the worst of v[0..n), sorted in place. */
static void stats(double *v, size_t n, double *median, double *worst)
{
    qsort(v, n, sizeof *v, by_value);
    *median = n ? v[n / 2] : 0;
    *worst = n ? v[n - 1] : 0;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    int rc = getaddrinfo(host, port, &hints, &server_addr);
    if (rc != 0)
        die("expiry: %s port %s: %s", host, port, gai_strerror(rc));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;          /* one fd per client: raise the soft limit */
    setrlimit(RLIMIT_NOFILE, &rl);
    silent = calloc((size_t)n_silent, sizeof *silent);
    struct pollfd *pfds = calloc((size_t)n_silent + 1, sizeof *pfds);
    struct client **polled = calloc((size_t)n_silent + 1, sizeof *polled);
    if (!silent || !pfds || !polled)
        die("out of memory");

    double start = now_ms(), last_deadline = 0, end = start + CONNECT_SECONDS * 1e3;
    double next_ping = start;
    size_t started = 0, greeted = 0, closed = 0, in_flight = 0;
    start_connect(&live);
    while (closed < (size_t)n_silent && now_ms() < end) {
        /* The live client first; then silent ones, CONNECTS_IN_FLIGHT at a time. */
        while (live.greeted && started < (size_t)n_silent && in_flight < CONNECTS_IN_FLIGHT) {
            start_connect(&silent[started++]);
            in_flight++;
        }
        size_t n = 0;
        for (size_t i = 0; i <= started; i++) {
            struct client *c = i == 0 ? &live : &silent[i - 1];
            if (c->fd < 0)
                continue;
            pfds[n] = (struct pollfd){ .fd = c->fd, .events = c->connecting ? POLLOUT : POLLIN };
            polled[n++] = c;
        }
        double t = now_ms();
        if (live.greeted && answers == pings && t >= next_ping && pings < MAX_PINGS) {
            ssize_t w = write(live.fd, "/ping\n", 6);   /* 6 bytes: the socket takes them */
            if (w == 6) {
                ping_sent[pings++] = t;
                next_ping = t + PING_EVERY_MS;
            }
        }
        int wait = next_ping > t ? (int)(next_ping - t) + 1 : 1;
        if (poll(pfds, n, wait) < 0 && errno != EINTR)
            die("expiry: poll: %s", strerror(errno));
        t = now_ms();
        for (size_t i = 0; i < n; i++) {
            struct client *c = polled[i];
            if (!pfds[i].revents)
                continue;
            if (c->connecting) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err)
                    die("expiry: connect: %s", strerror(err));
                c->connecting = false;
                c->connected_ms = t;
                continue;
            }
            bool was_greeted = c->greeted;
            receive(c, t);
            if (c != &live && !was_greeted && c->greeted) {
                in_flight--;            /* accepted and greeted: the next may connect */
                if (++greeted == (size_t)n_silent) {
                    last_deadline = c->welcome_ms + (double)idle_timeout * 1e3;
                    end = last_deadline + (double)linger * 1e3;
                }
            }
            if (c != &live && c->fd < 0)
                closed++;
        }
    }

    /* Lateness, against T after connect() (at most this late) and after
     * the welcome (at least this late); the deadlines' spread, and the
     * live client's answers to pings sent while closes were due (from the
     * first deadline to the last close), and over the whole run. */
    free(pfds);
    free(polled);
    double *late_max = calloc((size_t)n_silent + 1, sizeof *late_max);
    double *late_min = calloc((size_t)n_silent + 1, sizeof *late_min);
    double *during = calloc(pings + 1, sizeof *during), *all = calloc(pings + 1, sizeof *all);
    if (!late_max || !late_min || !during || !all)
        die("out of memory");
    double first_deadline = 1e300, last_close = 0, within = 0;
    size_t n_late = 0, untold = 0, n_during = 0;
    for (long i = 0; i < n_silent; i++) {
        struct client *c = &silent[i];
        if (!c->greeted)
            continue;
        double deadline = c->connected_ms + (double)idle_timeout * 1e3;
        if (deadline < first_deadline)
            first_deadline = deadline;
        if (!c->closed_ms)
            continue;
        untold += !c->told;
        late_max[n_late] = c->closed_ms - deadline;
        late_min[n_late++] = c->closed_ms - c->welcome_ms - (double)idle_timeout * 1e3;
        within += c->closed_ms - deadline <= 1000;
        if (c->closed_ms > last_close)
            last_close = c->closed_ms;
    }
    for (size_t i = 0; i < pings; i++) {
        all[i] = i < answers ? ping_ms[i] : now_ms() - ping_sent[i];
        if (ping_sent[i] >= first_deadline && ping_sent[i] <= last_close)
            during[n_during++] = all[i];
    }
    double max_p50, max_worst, min_p50, min_worst, live_p50, live_worst, run_p50, run_worst;
    stats(late_max, n_late, &max_p50, &max_worst);
    stats(late_min, n_late, &min_p50, &min_worst);
    stats(during, n_during, &live_p50, &live_worst);
    stats(all, pings, &run_p50, &run_worst);

    printf("expiry: %ld silent clients, --idle-timeout %ld: %zu greeted, %zu closed "
           "(%zu without being told), %zu still open\n",
           n_silent, idle_timeout, greeted, closed, untold, greeted - closed);
    printf("expiry: how late the closes came: median %.0f to %.0f ms, worst %.0f to %.0f ms "
           "(T after the welcome, after connect()); %.0f within 1 s of connect() + T\n",
           min_p50, max_p50, min_worst, max_worst, within);
    printf("expiry: the live client's /ping, while closes were due: %zu, answered in "
           "median %.1f ms, worst %.1f ms; over the whole run: %zu, median %.1f ms, "
           "worst %.1f ms (%zu unanswered at the end)\n", n_during, live_p50, live_worst,
           pings, run_p50, run_worst, pings - answers);
    printf("result conns=%ld closed=%zu untold=%zu open=%zu late_p50_ms=%.0f late_max_ms=%.0f "
           "late_p50_min_ms=%.0f late_max_min_ms=%.0f within_1s=%.0f live_pings=%zu "
           "live_p50_ms=%.1f live_max_ms=%.1f run_pings=%zu run_p50_ms=%.1f run_max_ms=%.1f\n",
           n_silent, closed, untold, (size_t)n_silent - closed, max_p50, max_worst, min_p50,
           min_worst, within, n_during, live_p50, live_worst, pings, run_p50, run_worst);
    free(late_max);
    free(late_min);
    free(during);
    free(all);
    freeaddrinfo(server_addr);
    return closed == (size_t)n_silent && untold == 0 ? 0 : 1;
}
