/* net.c — socket set-up helpers; see common.h. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void addr_to_string(const struct sockaddr *sa, socklen_t len, char out[ADDR_STR_MAX])
{
    char host[ADDR_STR_MAX], port[16];
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, ADDR_STR_MAX, "(unknown address)");
        return;
    }
    /* IPv6 addresses contain ':' themselves, so wrap them in brackets. */
    snprintf(out, ADDR_STR_MAX, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* Resolve host:port for a TCP socket; `flags` is AI_PASSIVE for servers. */
static struct addrinfo *resolve(const char *host, const char *port, int flags)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;        /* IPv4 or IPv6, whatever host is */
    hints.ai_socktype = SOCK_STREAM;    /* TCP */
    hints.ai_flags = flags | AI_NUMERICSERV;
    struct addrinfo *list;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        log_msg("error: cannot resolve %s port %s: %s", host, port, gai_strerror(rc));
        return NULL;
    }
    return list;
}

int listen_or_die(const char *host, const char *port)
{
    struct addrinfo *list = resolve(host, port, AI_PASSIVE);
    if (!list)
        exit(1);
    int fd = -1, err = 0;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* Without SO_REUSEADDR a restarted server cannot bind its port again
         * for a minute or two while old connections sit in TIME_WAIT.       */
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, SOMAXCONN) == 0 &&
            set_nonblocking(fd) == 0)
            break;                      /* success */
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0)
        die("cannot listen on %s port %s: %s", host, port, strerror(err));

    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char addr[ADDR_STR_MAX];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        die("getsockname: %s", strerror(errno));
    addr_to_string((struct sockaddr *)&ss, len, addr);
    /* The readiness line: people read it, and tests wait for it. */
    printf("listening on %s\n", addr);
    fflush(stdout);
    return fd;
}

int connect_to(const char *host, const char *port)
{
    struct addrinfo *list = resolve(host, port, 0);
    if (!list)
        return -1;
    int fd = -1, err = 0;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0)
        log_msg("error: cannot connect to %s port %s: %s", host, port, strerror(err));
    return fd;
}
