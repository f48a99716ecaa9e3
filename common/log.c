/* log.c — tiny logging helpers; see common.h. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool trace_enabled;

static struct timespec start;
static bool clock_started;

void log_start_clock(void)
{
    clock_gettime(CLOCK_MONOTONIC, &start);
    clock_started = true;
}

double log_elapsed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    /* Build the whole line first, then write it with one call, so that lines
     * from a server and its clients never interleave mid-line in a log.    */
    /* "[  1.234] ": seconds since the server started, so a log shows when
     * things happened and how long a timeout really took.                 */
    char line[1024];
    size_t n = clock_started
        ? (size_t)snprintf(line, sizeof line, "[%7.3f] %s", log_elapsed(), prefix)
        : (size_t)snprintf(line, sizeof line, "%s", prefix);
    if (n < sizeof line)
        vsnprintf(line + n, sizeof line - n, fmt, ap);
    fprintf(stderr, "%s\n", line);
}

void log_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void trace(const char *fmt, ...)
{
    if (!trace_enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("trace: ", fmt, ap);
    va_end(ap);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
    exit(1);
}

/* Append to line[*len..], never past the end (snprintf truncates for us). */
static void append(char *line, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *line, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* "IN|OUT" for a set of poll() bits; "-" for none. */
static void append_bits(char *line, size_t size, size_t *len, short bits)
{
    static const struct { short bit; const char *name; } names[] = {
        { POLLIN, "IN" }, { POLLOUT, "OUT" }, { POLLHUP, "HUP" },
        { POLLERR, "ERR" }, { POLLNVAL, "NVAL" },
    };
    const char *bar = "";
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (bits & names[k].bit) {
            append(line, size, len, "%s%s", bar, names[k].name);
            bar = "|";
        }
    }
    if (*bar == '\0')
        append(line, size, len, "-");
}

void trace_poll(const struct pollfd *pfds, size_t n, int timeout_ms, int ready)
{
    if (!trace_enabled)
        return;
    /* What we asked for: each fd poll() watched and its events (negative
     * fds are skipped by poll(), so only counted), and how long it could
     * sleep. Then what it answered.                                        */
    char line[900];
    size_t len = 0, watched = 0;
    for (size_t i = 0; i < n; i++)
        watched += pfds[i].fd >= 0;
    append(line, sizeof line, &len, "poll watched %zu fd%s", watched, watched == 1 ? "" : "s");
    if (timeout_ms >= 0)
        append(line, sizeof line, &len, ", timeout %d ms:", timeout_ms);
    else if (timeout_ms == -1)
        append(line, sizeof line, &len, ", timeout none:");
    else
        append(line, sizeof line, &len, ":");     /* TRACE_TIMEOUT_UNKNOWN */
    const char *sep = " ";
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].fd < 0)
            continue;
        append(line, sizeof line, &len, "%sfd %d ", sep, pfds[i].fd);
        append_bits(line, sizeof line, &len, pfds[i].events);
        sep = ", ";
    }
    if (watched < n)
        append(line, sizeof line, &len, " (%zu skipped)", n - watched);
    trace("%s", line);   /* a very long line is cut at 900 bytes */

    len = 0;
    append(line, sizeof line, &len, "poll woke up, %d ready:", ready);
    sep = " ";
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].revents == 0)
            continue;
        append(line, sizeof line, &len, "%sfd %d ", sep, pfds[i].fd);
        append_bits(line, sizeof line, &len, pfds[i].revents);
        sep = ", ";
    }
    trace("%s", line);
}
