/*
 * common.h — the few helpers every lesson shares.
 *
 * Nothing in here is what a lesson is *about*: the event loop, buffers,
 * framing, protocols and timeouts all live in the lessons themselves. This
 * file only hides the boring parts (getaddrinfo, fcntl, option parsing,
 * printing) so that each lesson's server.c can be read top to bottom.
 *
 * Every lesson is compiled with -std=c11 -D_POSIX_C_SOURCE=200809L (see
 * common/build.mk), so only POSIX interfaces are used: no accept4, no
 * SOCK_NONBLOCK, no epoll, no MSG_NOSIGNAL. One exception, here in common/:
 * cli.c uses getopt_long, which is not POSIX but which glibc, musl and
 * macOS all have. It builds on Linux and macOS.
 */
#ifndef COMMON_H
#define COMMON_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* ---- Logging (common/log.c) -------------------------------------------- */

/* True when the server was started with --trace. */
extern bool trace_enabled;

/* Print one line to stderr (the server's log), after the time since start
 * ("[  1.234] ", see log_start_clock). A newline is added.                 */
void log_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Like log_msg, prefixed "trace: ", and only when --trace is on. */
void trace(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Print one line to stderr and exit(1). For errors we cannot recover from. */
_Noreturn void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Start the log's clock: from then on every line starts with the seconds
 * since, "[  1.234] ". cli_parse starts it for servers; clients (and
 * tests/tcpc) print their messages plain.                                 */
void log_start_clock(void);
double log_elapsed(void);       /* seconds since log_start_clock() */

/* With --trace: two lines per poll() wake-up, what it was asked to watch
 * and with what timeout (-1: none), then what fired:
 *   [  2.001] trace: poll watched 3 fds, timeout none: fd 3 IN, fd 4 IN, fd 5 IN|OUT
 *   [  2.001] trace: poll woke up, 2 ready: fd 3 IN, fd 5 IN|HUP            */
void trace_poll(const struct pollfd *pfds, size_t n, int timeout_ms, int ready);
/* For a caller that did not keep the timeout it gave poll(): the line then
 * leaves the timeout out.                                                  */
enum { TRACE_TIMEOUT_UNKNOWN = -2 };

/* ---- Command line (common/cli.c) ---------------------------------------- */

/* The options every lesson server takes:
 *   server [--host ADDR] [--port PORT] [--trace] [--help]
 * and the lessons' clients too (rpc-client, chat-client), with the same
 * spellings (--port N, --port=N, -p N), messages and exit codes.           */
struct cli {
    const char *host;   /* set the default before calling cli_parse */
    const char *port;   /* ditto; "0" asks the kernel for a free port */
    /* Clients only (servers leave these out): */
    const char *args;   /* their positional arguments for --help, e.g.
                         * "METHOD [PARAMS_JSON]"; non-NULL marks a client */
    int min_args, max_args;             /* how many of them are allowed */
    const struct cli_text *texts;       /* extra options, e.g. --nick NAME */
    size_t n_texts;
};

/* A whole-number option that a lesson adds, e.g. --idle-timeout SECONDS. */
struct cli_number {
    const char *name;   /* without the dashes: "idle-timeout" */
    const char *unit;   /* shown in --help: "SECONDS" */
    const char *help;   /* one line for --help */
    long *value;        /* holds the default; cli_parse stores the new value */
    long min, max;      /* accepted range */
};

/* A client's option that takes text (--nick NAME: unit "NAME", stored in
 * *text) or nothing (--stdin: unit NULL, sets *flag).                      */
struct cli_text {
    const char *name, *unit, *help;
    const char **text;
    bool *flag;
};

/* Parse argv. --help prints usage and exits 0; a bad argument prints usage
 * to stderr and exits 2. `about` is the one-line summary shown by --help.
 * Ports must be 0..65535 (servers) or 1..65535 (clients). Returns the argv
 * index of the first positional argument (clients).                        */
int cli_parse(int argc, char **argv, const char *about, struct cli *cli,
              const struct cli_number *extra, size_t n_extra);

/* After cli_parse: print "PROG: what: arg" and the usage, and exit 2.
 * arg may be NULL. For checks only the program can make.                   */
_Noreturn void cli_usage_error(const char *what, const char *arg);

/* ---- Sockets (common/net.c) --------------------------------------------- */

/* Longest string addr_to_string() writes: "[ipv6-address]:port" + NUL. */
enum { ADDR_STR_MAX = 64 };

/* Create a non-blocking listening TCP socket on host:port (IPv4 or IPv6,
 * SO_REUSEADDR set), then print the one readiness line to stdout:
 *   listening on 127.0.0.1:40123
 * with the real port even when port is "0". Exits with a message on error. */
int listen_or_die(const char *host, const char *port);

/* Connect a blocking TCP socket to host:port, trying every address the name
 * resolves to. Returns the fd, or -1 with a message already printed.       */
int connect_to(const char *host, const char *port);

/* Put fd in non-blocking mode: read/write/accept then fail with EAGAIN
 * instead of waiting. Returns 0, or -1 with errno set.                      */
int set_nonblocking(int fd);

/* Format a socket address as "127.0.0.1:5000" or "[::1]:5000".             */
void addr_to_string(const struct sockaddr *sa, socklen_t len,
                    char out[ADDR_STR_MAX]);

/* ---- Memory (common/array.c) --------------------------------------------- */

/* Make room for `need` elements in a realloc'd array, doubling its capacity.
 * Returns the (possibly moved) array, or NULL when out of memory, in which
 * case the old array is untouched. Lessons use it for their client lists.  */
void *grow_array(void *array, size_t *capacity, size_t need, size_t elem_size);

#endif
