/*
 * shutdown.c — a graceful shutdown: on a signal, stop accepting, tell every
 * client, send what is queued, then close; the drain deadline bounds it,
 * and a second signal ends it at once.
 *
 * The self-pipe trick. A signal handler may only call async-signal-safe
 * functions: not log_msg(), not our lists. It writes one byte into a pipe
 * that poll() watches, and the loop does the work. A flag set just *before*
 * poll() would be missed (poll() would sleep on); a byte in the pipe is not.
 * The pipe is non-blocking: if it is full, enough bytes are waiting.
 */
#include "room.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int signal_pipe[2];
bool shutting_down;
bool drain_lost;
long long drain_deadline;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;                  /* write() may change errno under */
    char byte = 1;                      /* the code this signal interrupted */
    ssize_t ignored = write(signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

/* SIGINT, SIGTERM, SIGHUP: the graceful shutdown. SIGUSR1/2 mean nothing
 * here: ignored, rather than kill the server (their default). SIGQUIT
 * (Ctrl-\) keeps its core dump: the escape hatch for a stuck server. */
void catch_signals(void)
{
    if (pipe(signal_pipe) < 0 || set_nonblocking(signal_pipe[0]) < 0 ||
        set_nonblocking(signal_pipe[1]) < 0)
        die("cannot make the signal pipe: %s", strerror(errno));
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
}

/* Called when poll() finds bytes in the signal pipe: one byte per signal.
 * The first begins the shutdown: close the listener (no newcomers), tell
 * everyone, and let every queue drain; what_next() closes each client
 * politely once its queue is empty. Returns the listener, or -1. */
int on_signal_pipe(int listener)
{
    static int signals;
    char bytes[16];
    ssize_t n;
    while ((n = read(signal_pipe[0], bytes, sizeof bytes)) > 0)
        signals += (int)n;
    if (signals >= 2) {
        log_msg("second signal: exiting now");
        exit(1);
    }
    if (signals != 1 || shutting_down)
        return listener;
    size_t queued = 0;
    for (size_t i = 0; i < n_conns; i++)
        queued += conns[i]->q_cost;
    log_msg("shutting down: %zu connected, %zu B queued; %ld s to drain",
            n_conns, queued, drain_timeout);
    shutting_down = true;
    drain_deadline = now + drain_timeout * 1000;
    close(listener);
    broadcast(msg_printf("* server shutting down"), NULL);
    for (size_t i = 0; i < n_conns; i++) {
        conns[i]->in_room = false;      /* no "left" notices from here on */
        conns[i]->closing = true;
        what_next(conns[i]);
    }
    return -1;
}

/* Shutting down: done when the last client has gone, or just after the
 * deadline (so even --drain-timeout 0 makes one try to send), when whoever
 * is left is marked to close. The exit status then: 0 if every line queued
 * for a client was sent, 1 if one was closed with lines unsent (the write
 * timeout, too slow, or now). -1: not done, or not shutting down. */
int drain_status(void)
{
    if (!shutting_down)
        return -1;
    if (n_conns == 0) {
        log_msg("drained: every client is gone%s; exiting",
                drain_lost ? ", some with lines unsent" : "");
        return drain_lost ? 1 : 0;
    }
    if (now <= drain_deadline)
        return -1;
    size_t unsent = 0;
    for (size_t i = 0; i < n_conns; i++) {
        unsent += conns[i]->q_count;
        conns[i]->want_close = true;
    }
    log_msg("drain deadline: closing %zu still connected; unsent messages: %zu%s; exiting",
            n_conns, unsent, drain_lost ? ", some closed earlier with lines unsent" : "");
    return unsent == 0 && !drain_lost ? 0 : 1;
}
