/* log.c — tiny logging helpers; see common.h. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool trace_enabled;

static void vlog(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    /* Build the whole line first, then write it with one call, so that lines
     * from a server and its clients never interleave mid-line in a log.    */
    char line[1024];
    size_t n = (size_t)snprintf(line, sizeof line, "%s", prefix);
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

void trace_poll(const struct pollfd *pfds, size_t n, int ready)
{
    if (!trace_enabled)
        return;
    static const struct { short bit; const char *name; } names[] = {
        { POLLIN, "IN" }, { POLLOUT, "OUT" }, { POLLHUP, "HUP" },
        { POLLERR, "ERR" }, { POLLNVAL, "NVAL" },
    };
    char line[900];
    size_t len = 0;
    append(line, sizeof line, &len, "poll woke up, %d ready:", ready);
    const char *sep = " ";
    for (size_t i = 0; i < n; i++) {
        if (pfds[i].revents == 0)
            continue;
        append(line, sizeof line, &len, "%sfd %d ", sep, pfds[i].fd);
        const char *bar = "";
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            if (pfds[i].revents & names[k].bit) {
                append(line, sizeof line, &len, "%s%s", bar, names[k].name);
                bar = "|";
            }
        }
        sep = ", ";
    }
    trace("%s", line);   /* a very long line is cut at 900 bytes */
}
