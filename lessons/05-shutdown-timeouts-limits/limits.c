/*
 * limits.c — what the server and each client may cost: every limit an
 * option, --max-clients, out of file descriptors, idle input buffers.
 */
#include "room.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The defaults; --help lists the options. */
long max_clients = 1000;
long max_line = 4096;                   /* longest line, without "\n" or "\r\n" */
long max_queue = 256L * 1024;           /* memory a client's queue may hold */
long idle_timeout = 300;                /* seconds without a line from a client */
long write_timeout = 30;                /* seconds without output progress */
long drain_timeout = 5;                 /* seconds to flush queues at shutdown */

const struct cli_number limit_options[] = {
    { "max-clients", "N", "clients at once; the next is told \"server full\"",
      &max_clients, 1, 1000000 },
    { "max-line", "BYTES", "longest line a client may send",
      &max_line, 16, 1024L * 1024 },
    { "max-queue", "BYTES", "memory a client's queue may hold before it is dropped as too slow",
      &max_queue, 4096, 1024L * 1024 * 1024 },
    { "idle-timeout", "SECONDS", "close a client that sends no line for this long",
      &idle_timeout, 1, 7L * 24 * 3600 },
    { "write-timeout", "SECONDS", "drop a client whose output makes no progress for this long",
      &write_timeout, 1, 24L * 3600 },
    { "drain-timeout", "SECONDS", "at shutdown, time to send what is queued; 0: one try, then close",
      &drain_timeout, 0, 3600 },
};
const size_t n_limit_options = sizeof limit_options / sizeof *limit_options;

static int spare_fd = -1;       /* an fd held in reserve: see out_of_fds */

/* The limits must fit each other: a queue must hold two of the longest
 * lines the server may queue: a relayed line with every byte shown as two
 * (commands.c), /who or the idle summary (cut to max_line), /help (< HELP_MAX). */
void limits_init(const char *argv0)
{
    idle_timers.timeout_ms = idle_timeout * 1000;
    stall_timers.timeout_ms = write_timeout * 1000;
    size_t longest = 2 * MAX_LINE + 64;
    if (longest < HELP_MAX)
        longest = HELP_MAX;
    if (MAX_QUEUE < 2 * msg_cost(longest)) {
        fprintf(stderr, "%s: --max-queue must hold two of the longest lines (%zu bytes)\n",
                argv0, 2 * msg_cost(longest));
        exit(2);
    }
    spare_fd = open("/dev/null", O_RDONLY);
}

/* ---- Input buffers -------------------------------------------------------- */

/* An idle client holds no input buffer: it gives it back when it is empty.
 * A busy one would then pay a malloc() and free() per line, so an emptied
 * buffer waits here for the next reader. Clients are served one at a time:
 * one spare does for all whose reads end with a whole line. */
static char *spare_buffer;

bool in_buffer(struct conn *c)
{
    if (!c->in) {
        c->in = spare_buffer ? spare_buffer : malloc(IN_SIZE);
        spare_buffer = NULL;
    }
    if (!c->in) {
        log_msg("%s: out of memory for its input", c->peer);
        c->want_close = true;
    }
    return c->in != NULL;
}

void in_buffer_done(struct conn *c)
{
    if (spare_buffer)
        free(c->in);
    else
        spare_buffer = c->in;
    c->in = NULL;
    c->in_len = 0;
}

/* ---- Clients and file descriptors ----------------------------------------- */

bool listener_paused;           /* out of fds and no spare: wait for a leaver */
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

/* A new client may stay unless we are at --max-clients. */
bool may_stay(int fd)
{
    if (n_conns >= (size_t)max_clients) {
        turn_away(fd, "server full");
        return false;
    }
    if (turning_away)
        log_msg("accepting clients again (%lu turned away)", turned_away);
    turning_away = false;
    turned_away = 0;
    return true;
}

/* accept() said EMFILE or ENFILE: out of file descriptors. The client would
 * stay in the backlog and poll() would wake us for it at once, forever: a
 * busy loop. So free the spare fd, accept with it, turn the client away,
 * and take the spare back. True if one was turned away: try the next. (At
 * the limit accept() fails even with nobody waiting: the second tells.) */
bool out_of_fds(int listener)
{
    int fd = -1, err = errno;
    if (spare_fd >= 0) {
        close(spare_fd);
        fd = accept(listener, NULL, NULL);
        err = errno;
        if (fd >= 0)
            turn_away(fd, "out of file descriptors");
        spare_fd = open("/dev/null", O_RDONLY);
    }
    if (fd < 0 && (err == EMFILE || err == ENFILE)) {
        log_msg("accept failed: %s; not accepting until a client leaves", strerror(err));
        listener_paused = true;         /* no spare helped: wait for a leaver */
    } else if (fd < 0 && err != EAGAIN && err != EWOULDBLOCK) {
        log_msg("accept failed: %s", strerror(err));
    }
    return fd >= 0;
}

/* Clients have left, so descriptors are free again. */
void fds_freed(void)
{
    listener_paused = false;
    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY);
}

/* At exit: valgrind should find nothing held. */
void limits_free(void)
{
    free(spare_buffer);
}
