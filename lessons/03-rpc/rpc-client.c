/*
 * rpc-client — call the lesson 03 server from the shell.
 *
 *   rpc-client [--host ADDR] [--port PORT] [--timeout SECONDS] METHOD [PARAMS_JSON]
 *       Send one request; print its result (exit 0), or its error on stderr
 *       (exit 1). E.g.  rpc-client subtract '[42, 23]'   prints  19
 *   rpc-client [--host ADDR] [--port PORT] [--timeout SECONDS] --stdin
 *       Send each line of stdin as it is (requests, notifications, batches);
 *       print each reply line. At the end of stdin, wait for the last replies.
 *
 * Options are parsed like the servers' (common/cli.c): --port N, --port=N,
 * -p N, --help. Exit status: 0 done; 1 the server answered with an error;
 * 2 bad usage; 3 no answer: cannot connect, connection lost, bad reply, or
 * timed out.
 * Every wait is a poll() with a deadline (--timeout, default 10 s), so the
 * client never hangs on a server that does not answer.
 */
#include "common.h"
#include "rpc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sock;
static double deadline;         /* CLOCK_MONOTONIC seconds; 0: none yet */
static long timeout_s = 10;

static _Noreturn void fail(int status, const char *what)
{
    fprintf(stderr, "rpc-client: %s\n", what);
    exit(status);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for events on fds; returns when one is ready. Fails at the deadline. */
static void wait_for(struct pollfd *fds, nfds_t n)
{
    int ms = -1;                /* no deadline: wait as long as it takes */
    if (deadline > 0) {
        double left = deadline - now();
        if (left <= 0)
            fail(3, "timed out waiting for the server");
        ms = (int)(left * 1000) + 1;
    }
    int ready = poll(fds, n, ms);
    if (ready < 0 && errno != EINTR)
        fail(3, strerror(errno));
    if (ready == 0)
        fail(3, "timed out waiting for the server");
}

/* Send all of buf[0..len), however many write()s it takes. */
static void send_all(const char *buf, size_t len)
{
    while (len > 0) {
        struct pollfd pfd = { .fd = sock, .events = POLLOUT };
        wait_for(&pfd, 1);
        ssize_t n = write(sock, buf, len);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fail(3, "connection lost while sending");
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        }
    }
}

/* ---- One request ------------------------------------------------------------ */

/* Read until the first "\n"; return that line, without it. */
static char *read_reply(void)
{
    char *line = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        char *bigger = grow_array(line, &cap, len + 4096, 1);
        if (!bigger)
            fail(3, "out of memory");
        line = bigger;
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        wait_for(&pfd, 1);
        ssize_t n = read(sock, line + len, cap - len - 1);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            fail(3, "the server closed the connection without answering");
        if (n < 0)
            continue;
        char *newline = memchr(line + len, '\n', (size_t)n);
        len += (size_t)n;
        if (newline) {
            *newline = '\0';
            return line;
        }
    }
}

static int call(const char *method, const char *params_text)
{
    /* true: nothing may follow the JSON text (cJSON_Parse would allow it) */
    cJSON *params = params_text ? cJSON_ParseWithOpts(params_text, NULL, true) : NULL;
    if (params_text && !cJSON_IsArray(params) && !cJSON_IsObject(params))
        fail(2, "PARAMS_JSON must be a JSON array or object, e.g. '[42, 23]'");
    if (params && !rpc_exact_numbers(params))
        fail(3, "out of memory");
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "jsonrpc", "2.0");
    cJSON_AddStringToObject(request, "method", method);
    cJSON_AddItemToObject(request, "params", params);   /* none: does nothing */
    cJSON_AddNumberToObject(request, "id", 1);
    char *text = cJSON_PrintUnformatted(request);   /* one line: no newlines */
    cJSON_Delete(request);
    if (!text)
        fail(3, "out of memory");

    send_all(text, strlen(text));
    send_all("\n", 1);
    free(text);
    char *line = read_reply();

    cJSON *reply = cJSON_Parse(line);
    cJSON *result = cJSON_GetObjectItemCaseSensitive(reply, "result");
    cJSON *error = cJSON_GetObjectItemCaseSensitive(reply, "error");
    int status = 0;
    if (result && rpc_exact_numbers(result) && (text = cJSON_PrintUnformatted(result))) {
        printf("%s\n", text);
        free(text);
    } else if (cJSON_IsObject(error)) {
        cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
        cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
        cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
        fprintf(stderr, "error %.0f: %s%s%s\n", cJSON_IsNumber(code) ? code->valuedouble : 0,
                cJSON_IsString(message) ? message->valuestring : "?",
                cJSON_IsString(data) ? ": " : "", cJSON_IsString(data) ? data->valuestring : "");
        status = 1;
    } else {
        fprintf(stderr, "rpc-client: not a JSON-RPC reply: %s\n", line);
        status = 3;
    }
    cJSON_Delete(reply);
    free(line);
    return status;
}

/* ---- Lines from stdin -------------------------------------------------------- */

/* Copy stdin to the server and the server's replies to stdout, both at once:
 * if we only wrote, a server that stops reading until we read its replies
 * (back-pressure, lesson 02) would leave us both waiting forever. */
static int forward_stdin(void)
{
    char in[4096], out[4096];
    size_t in_len = 0, in_sent = 0;
    bool stdin_done = false;
    for (;;) {
        struct pollfd fds[2] = {
            /* Read stdin only when the last chunk is sent: a negative fd
             * is one that poll() ignores. */
            { .fd = !stdin_done && in_sent == in_len ? STDIN_FILENO : -1, .events = POLLIN },
            { .fd = sock, .events = (short)(POLLIN | (in_sent < in_len ? POLLOUT : 0)) },
        };
        wait_for(fds, 2);
        if (fds[0].revents) {
            ssize_t n = read(STDIN_FILENO, in, sizeof in);
            if (n == 0 || (n < 0 && errno != EINTR)) {
                /* End of input: say so to the server, which answers what it
                 * has and then closes. From now on, wait at most --timeout. */
                stdin_done = true;
                shutdown(sock, SHUT_WR);
                deadline = now() + (double)timeout_s;
            }
            in_sent = 0;
            in_len = n > 0 ? (size_t)n : 0;
        }
        if (fds[1].revents & POLLOUT) {
            ssize_t n = write(sock, in + in_sent, in_len - in_sent);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail(3, "connection lost while sending");
            in_sent += n > 0 ? (size_t)n : 0;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(sock, out, sizeof out);
            if (n == 0 && stdin_done)
                return 0;               /* every reply is in */
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                fail(3, "the server closed the connection");
            if (n > 0 && fwrite(out, 1, (size_t)n, stdout) != (size_t)n)
                fail(3, "cannot write stdout");
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    bool from_stdin = false;
    const struct cli_text stdin_flag = {
        "stdin", NULL, "send each line of stdin as it is; print each reply line", NULL, &from_stdin };
    struct cli cli = { .host = "127.0.0.1", .port = "7003",
                       .args = "[METHOD [PARAMS_JSON]]", .min_args = 0, .max_args = 2,
                       .texts = &stdin_flag, .n_texts = 1 };
    const struct cli_number timeout = {
        "timeout", "SECONDS", "give up on a server that does not answer", &timeout_s, 1, 3600 };
    int first = cli_parse(argc, argv, "Call METHOD on the lesson 03 server and print its result, "
                          "or, with --stdin, send stdin's lines.", &cli, &timeout, 1);
    int n_args = argc - first;
    if (from_stdin && n_args > 0)
        cli_usage_error("--stdin takes no METHOD", argv[first]);
    if (!from_stdin && n_args == 0)
        cli_usage_error("missing argument", "METHOD");

    signal(SIGPIPE, SIG_IGN);   /* a closed server: EPIPE, not death */
    sock = connect_to(cli.host, cli.port);
    if (sock < 0 || set_nonblocking(sock) < 0)
        return 3;
    if (from_stdin)
        return forward_stdin();
    deadline = now() + (double)timeout_s;
    return call(argv[first], n_args == 2 ? argv[first + 1] : NULL);
}
