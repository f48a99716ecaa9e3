/*
 * epoll-echo — the yardstick lesson 01 is measured against. Linux only, and
 * not a lesson: it exists so the benchmark can show where poll() falls
 * behind epoll as the number of connections grows, and why.
 *
 * It does exactly what lesson 01 does (read up to 16 KiB, write it back,
 * stop reading a client while its echo is unsent) with the same CLI and the
 * same readiness line. The one difference is how it waits:
 *
 *   poll()        every turn hands the kernel the whole pollfd array (a copy
 *                 of n entries), the kernel checks all n sockets, and we scan
 *                 all n results to find the few that are ready: O(n) per
 *                 wake-up, however few clients are active.
 *   epoll_wait()  the kernel keeps the interest list between calls and
 *                 appends a socket to a ready list when data arrives; a call
 *                 returns only the ready ones: O(ready) per wake-up. The cost
 *                 moves to epoll_ctl(), paid only when interest changes.
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

enum { BUF_SIZE = 16 * 1024, MAX_EVENTS = 256 };

struct conn {
    int fd;
    size_t sent, len;           /* buf[sent..len) is echo still to write */
    char buf[BUF_SIZE];
};

static int epfd;

/* Tell the kernel what to wait for on this client: POLLIN or POLLOUT. */
static void watch(struct conn *c, int op, unsigned events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

static void drop(struct conn *c)
{
    close(c->fd);               /* closing also removes it from the epoll set */
    free(c);
}

/* Write what is pending; returns false if the client is gone. */
static bool on_writable(struct conn *c)
{
    ssize_t n = write(c->fd, c->buf + c->sent, c->len - c->sent);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
        return false;
    if (n > 0)
        c->sent += (size_t)n;
    return true;
}

static void on_event(struct conn *c, unsigned events)
{
    bool was_pending = c->sent < c->len;
    if (was_pending) {
        if (!on_writable(c))
            { drop(c); return; }
    } else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            { drop(c); return; }
        if (n < 0)
            return;
        c->sent = 0;
        c->len = (size_t)n;
        if (!on_writable(c))
            { drop(c); return; }
    }
    /* Back-pressure, as in lesson 01; epoll_ctl only when it changes. */
    bool pending = c->sent < c->len;
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
        int one = 1;            /* no Nagle, as in lesson 01 */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        watch(c, EPOLL_CTL_ADD, EPOLLIN);
    }
}

int main(int argc, char **argv)
{
    struct cli cli = { .host = "127.0.0.1", .port = "7009" };
    cli_parse(argc, argv, "The epoll echo yardstick for lesson 01 (Linux only).", &cli, NULL, 0);
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
        /* Only the ready sockets come back: no scan over every client. */
        for (int i = 0; i < ready; i++) {
            if (events[i].data.ptr)
                on_event(events[i].data.ptr, events[i].events);
            else
                accept_clients(listener);
        }
    }
}
