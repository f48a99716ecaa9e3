/*
 * tcpc — a scriptable TCP client for tests that need byte-exact control.
 *
 *   tcpc [--host H] --port P [--timeout SECONDS] OP...
 *
 * It connects once, then runs the OPs in order. Whatever the server sends is
 * copied to stdout, byte for byte. While tcpc writes it also reads, so an echo
 * server never deadlocks against it (except under `flood`, on purpose).
 *
 *   send TEXT      one write() of TEXT (escapes: \n \r \t \\ \0 \xHH)
 *   drip TEXT      TEXT one byte per write(), 5 ms apart, Nagle off
 *   repeat N TEXT  TEXT N times, as fast as the socket takes it
 *   file PATH      the bytes of a file
 *   sleep MS       wait, still copying what arrives to stdout
 *   pause MS       wait without reading: what arrives stays in the socket
 *   shut           shutdown(SHUT_WR): "I will send nothing more"
 *   read N         wait until N bytes in all have arrived since connecting
 *   lines N        wait until N newlines in all have arrived
 *   eof            wait until the server closes the connection
 *   flood N TEXT   write TEXT over and over, up to N bytes, and never read;
 *                  stops once the socket stays full for 300 ms and prints
 *                  "flood: wrote B bytes" to stderr (the server pushed back).
 *                  The bytes sent are exactly TEXT repeated, cut at B.
 *   rst            close with SO_LINGER 0, so the kernel sends RST, not FIN
 *
 * Exit status: 0 all OPs done; 1 connection error; 2 bad usage; 3 timeout
 * (--timeout, default 10 s, bounds the whole run so a test never hangs).
 */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sock;
static double deadline;             /* CLOCK_MONOTONIC seconds */
static unsigned long got_bytes, got_lines;
static bool got_eof;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void fail(int status, const char *what)
{
    fprintf(stderr, "tcpc: %s (after receiving %lu bytes)\n", what, got_bytes);
    exit(status);
}

/* Milliseconds left before the deadline, for poll(). */
static int ms_left(void)
{
    double left = deadline - now();
    if (left <= 0)
        fail(3, "timed out");
    return (int)(left * 1000) + 1;
}

static void write_stdout(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno != EINTR)
            fail(1, "cannot write stdout");
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
}

/* Read whatever is there (the socket is non-blocking) and copy it out. */
static void receive(void)
{
    char buf[65536];
    ssize_t n = read(sock, buf, sizeof buf);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        fail(1, strerror(errno));
    }
    if (n == 0) {
        got_eof = true;
        return;
    }
    write_stdout(buf, (size_t)n);
    got_bytes += (unsigned long)n;
    for (ssize_t i = 0; i < n; i++)
        got_lines += buf[i] == '\n';
}

/* Wait up to `ms` (or the deadline) for the socket, reading as data comes. */
static void wait_socket(short events, int ms)
{
    int left = ms_left();
    struct pollfd p = { .fd = sock, .events = (short)(events | (got_eof ? 0 : POLLIN)) };
    if (poll(&p, 1, ms >= 0 && ms < left ? ms : left) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) && !got_eof)
        receive();
}

/* Write all of p[0..n), reading replies meanwhile. */
static void send_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(sock, p, n);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(1, strerror(errno));
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else {
            wait_socket(POLLOUT, -1);
        }
    }
}

/* Turn C-style escapes into bytes, in place; returns the new length. */
static size_t unescape(char *s)
{
    size_t out = 0;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        if (ch == '\\' && s[i + 1]) {
            switch (s[++i]) {
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case '0': ch = '\0'; break;
            case 'x': {                 /* up to two hex digits */
                char hex[3] = { 0 };
                for (int k = 0; k < 2 && isxdigit((unsigned char)s[i + 1]); k++)
                    hex[k] = s[++i];
                ch = (char)strtol(hex, NULL, 16);
                break;
            }
            default: ch = s[i];
            }
        }
        s[out++] = ch;
    }
    return out;
}

static unsigned long number(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end)
        fail(2, "expected a number");
    return v;
}

static void flood(unsigned long total, const char *text, size_t len)
{
    static char chunk[65536];
    size_t used = 0;                    /* whole copies of text only */
    while (len > 0 && used + len <= sizeof chunk) {
        memcpy(chunk + used, text, len);
        used += len;
    }
    if (used == 0)
        fail(2, "flood: TEXT is empty or too long");
    unsigned long written = 0;
    while (written < total) {
        /* Go on where the last write() stopped, even in the middle of a
         * copy: the bytes sent are TEXT repeated, cut at `written`. */
        size_t at = (size_t)(written % used), n = used - at;
        if (n > total - written)
            n = (size_t)(total - written);
        ssize_t w = write(sock, chunk + at, n);
        if (w > 0) {
            written += (unsigned long)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(1, strerror(errno));
        struct pollfd p = { .fd = sock, .events = POLLOUT };
        if (poll(&p, 1, 300) == 0)
            break;                          /* full for 300 ms: pushed back */
        ms_left();
    }
    fprintf(stderr, "flood: wrote %lu bytes\n", written);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL;
    double timeout = 10;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--host"))
            host = argv[i + 1];
        else if (!strcmp(argv[i], "--port"))
            port = argv[i + 1];
        else if (!strcmp(argv[i], "--timeout"))
            timeout = strtod(argv[i + 1], NULL);
        else
            break;
    }
    if (!port) {
        fprintf(stderr, "usage: tcpc [--host H] --port P [--timeout S] OP...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    deadline = now() + timeout;
    sock = connect_to(host, port);
    if (sock < 0 || set_nonblocking(sock) < 0)
        return 1;

    for (; i < argc; i++) {
        const char *op = argv[i];
        char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        bool has_arg = true;
        if (!strcmp(op, "send") && arg) {
            send_all(arg, unescape(arg));
        } else if (!strcmp(op, "drip") && arg) {
            int one = 1;
            setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            size_t n = unescape(arg);
            for (size_t k = 0; k < n; k++) {
                send_all(arg + k, 1);
                wait_socket(0, 5);
            }
        } else if (!strcmp(op, "repeat") && arg && i + 2 < argc) {
            unsigned long times = number(arg);
            char *text = argv[i + 2];
            size_t n = unescape(text);
            for (unsigned long k = 0; k < times; k++)
                send_all(text, n);
            i++;
        } else if (!strcmp(op, "file") && arg) {
            FILE *f = fopen(arg, "rb");
            if (!f)
                fail(1, "cannot open file");
            char buf[65536];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                send_all(buf, n);
            fclose(f);
        } else if (!strcmp(op, "sleep") && arg) {
            double until = now() + (double)number(arg) / 1000;
            while (now() < until)
                wait_socket(0, (int)((until - now()) * 1000) + 1);
        } else if (!strcmp(op, "pause") && arg) {
            double until = now() + (double)number(arg) / 1000;
            while (now() < until)
                poll(NULL, 0, (int)((until - now()) * 1000) + 1);
        } else if (!strcmp(op, "read") && arg) {
            unsigned long want = number(arg);
            while (got_bytes < want && !got_eof)
                wait_socket(0, -1);
            if (got_bytes < want)
                fail(1, "connection closed before all bytes arrived");
        } else if (!strcmp(op, "lines") && arg) {
            unsigned long want = number(arg);
            while (got_lines < want && !got_eof)
                wait_socket(0, -1);
            if (got_lines < want)
                fail(1, "connection closed before all lines arrived");
        } else if (!strcmp(op, "flood") && arg && i + 2 < argc) {
            char *text = argv[i + 2];
            flood(number(arg), text, unescape(text));
            i++;
        } else {
            has_arg = false;
            if (!strcmp(op, "shut")) {
                shutdown(sock, SHUT_WR);
            } else if (!strcmp(op, "eof")) {
                while (!got_eof)
                    wait_socket(0, -1);
            } else if (!strcmp(op, "rst")) {
                struct linger lin = { .l_onoff = 1, .l_linger = 0 };
                setsockopt(sock, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
                close(sock);
                return 0;
            } else {
                fprintf(stderr, "tcpc: unknown or incomplete op: %s\n", op);
                return 2;
            }
        }
        if (has_arg)
            i++;
    }
    close(sock);
    return 0;
}
