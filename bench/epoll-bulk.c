/*
 * epoll-bulk — the hand-tuned bulk echo yardstick. Linux only, not a lesson.
 *
 * epoll-echo mirrors lesson 01's design on epoll, so "01 ≈ epoll-echo" says
 * poll() costs nothing; it does not say the design is fast. This one is the
 * design a performance-minded C programmer would write for bulk echo:
 *
 *   - one shared 64 KiB buffer for every connection: read into it, write it
 *     straight back; a connection owns no buffer while it is idle;
 *   - only when the write is short is the unsent remainder copied into a
 *     malloc'd block of that connection, and reading from it stops until the
 *     remainder is gone (back-pressure, as in lesson 01);
 *   - level-triggered epoll, epoll_ctl only when interest changes.
 *
 * Same CLI and readiness line as the lessons.
 */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

enum { SHARED_SIZE = 64 * 1024, MAX_EVENTS = 256 };

static char shared[SHARED_SIZE];        /* every read lands here */

struct conn {
    int fd;
    char *rest;                 /* rest[sent..len): an echo not yet written, or NULL */
    size_t sent, len;
};

static int epfd;

static void watch(struct conn *c, int op, unsigned events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

static void drop(struct conn *c)
{
    close(c->fd);
    free(c->rest);
    free(c);
}

/* Write data[0..len); keep what the socket did not take. False: client gone. */
static bool send_or_keep(struct conn *c, const char *data, size_t len)
{
    ssize_t n = write(c->fd, data, len);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
        return false;
    size_t done = n > 0 ? (size_t)n : 0;
    if (done == len)
        return true;
    c->rest = malloc(len - done);
    if (!c->rest)
        return false;
    memcpy(c->rest, data + done, len - done);
    c->sent = 0;
    c->len = len - done;
    return true;
}

static void on_event(struct conn *c, unsigned events)
{
    bool was_pending = c->rest != NULL;
    if (was_pending) {
        ssize_t n = write(c->fd, c->rest + c->sent, c->len - c->sent);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            { drop(c); return; }
        if (n > 0)
            c->sent += (size_t)n;
        if (c->sent == c->len) {
            free(c->rest);
            c->rest = NULL;
        }
    } else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t n = read(c->fd, shared, sizeof shared);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            { drop(c); return; }
        if (n > 0 && !send_or_keep(c, shared, (size_t)n))
            { drop(c); return; }
    }
    bool pending = c->rest != NULL;
    if (pending != was_pending)
        watch(c, EPOLL_CTL_MOD, pending ? EPOLLOUT : EPOLLIN);
}

static void accept_clients(int listener)
{
    for (;;) {
        /* The analyzer cannot see that epoll keeps each conn (data.ptr). */
        int fd = accept(listener, NULL, NULL); // NOLINT(clang-analyzer-unix.Malloc)
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN)
                log_msg("accept failed: %s", strerror(errno));
            return;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c || set_nonblocking(fd) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        watch(c, EPOLL_CTL_ADD, EPOLLIN);
    }
}

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7010" };
    cli_parse(argc, argv, "The hand-tuned bulk echo yardstick (Linux only).", &cli, NULL, 0);
    signal(SIGPIPE, SIG_IGN);

    int listener = listen_or_die(cli.host, cli.port);
    epfd = epoll_create1(0);
    if (epfd < 0)
        die("epoll_create1: %s", strerror(errno));
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };   /* NULL: the listener */
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int ready = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < ready; i++) {
            if (events[i].data.ptr)
                on_event(events[i].data.ptr, events[i].events);
            else
                accept_clients(listener);
        }
    }
}
