/*
 * rpc.h — JSON-RPC 2.0, one request line in, one reply line out.
 *
 * No sockets in here: server.c finds the lines and sends the replies, this
 * module only turns text into text. So it can be tested (and fuzzed) alone.
 * The specification: https://www.jsonrpc.org/specification
 */
#ifndef RPC_H
#define RPC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The standard error codes of the specification. */
enum {
    RPC_PARSE_ERROR = -32700,       /* not JSON (or not JSON we can read) */
    RPC_INVALID_REQUEST = -32600,   /* JSON, but not a request object */
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
};

/* A batch may hold at most this many requests: it bounds the size of the
 * reply (and of the memory used to build it). Lesson 05 shows how to make such
 * limits command-line options. */
enum { RPC_MAX_BATCH = 1000 };

/* Answer one request line: line[0..len), without its "\n". On success it
 * returns 0 and sets *reply to the reply line (compact JSON, no newline;
 * free() it), or to NULL when there is nothing to send: a notification, a
 * batch of notifications, or a blank line. Returns -1 when out of memory. */
int rpc_handle_line(const char *line, size_t len, char **reply);

/* An error reply with id null, e.g. for a line that is too long; `data` says
 * more, or is NULL. Returns the compact JSON text (free() it), or NULL when
 * out of memory. */
char *rpc_error_line(int code, const char *data);

/* cJSON prints some numbers wrongly (see rpc.c); this rewrites every number
 * in `item` as exact raw JSON text before it is printed. False: no memory. */
bool rpc_exact_numbers(cJSON *item);

#endif
