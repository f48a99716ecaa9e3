/*
 * rpc.c — the JSON-RPC 2.0 dispatcher: your workspace's outline
 * (made by `make start L=03`; the lesson's own is lessons/03-rpc/rpc.c).
 *
 * rpc.h says what server.c may call; writing the rest is the lesson
 * (lessons/03-rpc/README.md, "The protocol in one screen" and "How it works"):
 *   1. numbers         printed exactly (given below: a cJSON trap, explained
 *                      in the README's "The cJSON traps")
 *   2. replies         {"jsonrpc":"2.0", "result" or "error", "id"}
 *   3. methods         ping, echo, subtract, sum, get_data, notify_*, update
 *   4. one request     check it, call the method, no answer to a notification
 *   5. one line        check the bytes (given: line-check.c), parse, request
 *                      or batch
 * Until then rpc_handle_line() answers nothing, so every test fails with a
 * reason: `make grade L=03`.
 */
#include "rpc.h"
#include "line-check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. Numbers (given: pasted from the lesson, read it aloud) ------------ */

/* 2^53: above it, a double cannot hold every integer. */
#define EXACT_LIMIT 9007199254740992.0

/* cJSON prints a number with "%1.15g" and keeps that text when it reads back
 * *nearly* equal: 9007199254740991 comes out as 9.00719925474099e+15, which
 * is another number, and 1000000000000000 as 1e+15. So we print numbers
 * ourselves: integers in full, others with the fewest digits (15 to 17)
 * that read back exactly. Numbers beyond a double (1e400) become null. */
static void number_text(double d, char text[32])
{
    if (!isfinite(d)) {
        snprintf(text, 32, "null");
    } else if (d == floor(d) && fabs(d) < EXACT_LIMIT) {
        snprintf(text, 32, "%.0f", d);
    } else {
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(text, 32, "%.*g", digits, d);
            if (strtod(text, NULL) == d)
                break;
        }
    }
}

bool rpc_exact_numbers(cJSON *item)
{
    if (cJSON_IsNumber(item)) {
        char text[32];
        number_text(item->valuedouble, text);
        char *copy = strdup(text);
        if (!copy)
            return false;
        /* Same item, now raw JSON text: it keeps its place and member name,
         * and cJSON_Delete frees valuestring as usual. */
        item->type = cJSON_Raw | (item->type & cJSON_StringIsConst);
        item->valuestring = copy;
        return true;
    }
    for (cJSON *child = item->child; child; child = child->next)
        if (!rpc_exact_numbers(child))
            return false;
    return true;
}

/* ---- Yours: sections 2, 3 and 4, then these two ------------------------- */

int rpc_handle_line(const char *line, size_t len, char **reply)
{
    /* A first checkpoint: parse with cJSON_ParseWithLengthOpts and print the
     * tree back with cJSON_PrintUnformatted (never cJSON_Print: newlines).
     * line-check.h gives is_blank() too: a blank line asks nothing. */
    const char *bad = check_bytes(line, len);      /* NULL: the bytes are fine */
    (void)bad;
    *reply = NULL;                                  /* nothing to send, yet */
    return 0;
}

char *rpc_error_line(int code, const char *data)
{
    /* {"jsonrpc":"2.0","error":{"code":code,"message":...,"data":data},"id":null} */
    (void)code;
    (void)data;
    return NULL;                                    /* NULL means: out of memory */
}
