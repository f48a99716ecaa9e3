/*
 * rpc.c — the JSON-RPC 2.0 dispatcher: one request line in, one reply out.
 *
 *     {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}
 *  -> {"jsonrpc":"2.0","result":19,"id":1}
 *
 * Read it top to bottom:
 *   1. numbers         printing numbers exactly (a cJSON trap)
 *   2. replies         building {"jsonrpc":"2.0", "result" or "error", "id"}
 *   3. methods         ping, echo, and the specification's example methods
 *   4. one request     check it, call the method, answer unless notification
 *   5. one line        check the bytes (line-check.c), parse, request or batch
 *
 * cJSON traps, each handled where it bites (the README lists them all):
 *   - cJSON_GetObjectItem ignores case; JSON-RPC member names do not, so we
 *     only use cJSON_GetObjectItemCaseSensitive.
 *   - cJSON_Print adds newlines, which would break our one-line framing:
 *     only cJSON_PrintUnformatted.
 *   - valueint is an int: 3000000000 becomes INT_MAX and 1.5 becomes 1. We
 *     only read valuedouble.
 *   - cJSON does not check UTF-8 and stops strings at "\u0000": check_bytes(),
 *     in line-check.c.
 *   - Every cJSON_Parse/Create must be paired with one cJSON_Delete, and
 *     every cJSON_Print* result with free(). No globals here: nothing leaks
 *     from one line to the next.
 */
#include "rpc.h"
#include "line-check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. Numbers ------------------------------------------------------------ */

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

/* A number item that cJSON will print as our exact text. */
static cJSON *exact_number(double d)
{
    char text[32];
    number_text(d, text);
    return cJSON_CreateRaw(text);
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

/* ---- 2. Replies ------------------------------------------------------------ */

/* {"jsonrpc":"2.0", KEY: value, "id": id}. Takes value and id, even when it
 * fails; returns NULL when out of memory. */
static cJSON *reply_object(const char *key, cJSON *value, cJSON *id)
{
    cJSON *reply = cJSON_CreateObject();
    if (!reply || !value || !id || !cJSON_AddStringToObject(reply, "jsonrpc", "2.0")) {
        cJSON_Delete(reply);
        cJSON_Delete(value);
        cJSON_Delete(id);
        return NULL;
    }
    cJSON_AddItemToObjectCS(reply, key, value);     /* CS: the key is a constant, */
    cJSON_AddItemToObjectCS(reply, "id", id);       /* not copied: cannot fail */
    return reply;
}

/* The standard message for each code, as the specification spells it. */
static const char *error_message(int code)
{
    switch (code) {
    case RPC_PARSE_ERROR: return "Parse error";
    case RPC_INVALID_REQUEST: return "Invalid Request";
    case RPC_METHOD_NOT_FOUND: return "Method not found";
    case RPC_INVALID_PARAMS: return "Invalid params";
    default: return "Internal error";
    }
}

/* An error reply. `data`, when not NULL, says what exactly was wrong. Takes
 * id (cJSON_CreateNull() when the request's id is unknown or unusable). */
static cJSON *error_reply(int code, const char *data, cJSON *id)
{
    cJSON *error = cJSON_CreateObject();
    if (error && (!cJSON_AddNumberToObject(error, "code", code) ||
                  !cJSON_AddStringToObject(error, "message", error_message(code)) ||
                  (data && !cJSON_AddStringToObject(error, "data", data)))) {
        cJSON_Delete(error);
        error = NULL;
    }
    return reply_object("error", error, id);
}

/* The id of the reply: the request's id, equal in value and type. */
static cJSON *copy_id(const cJSON *id)
{
    if (cJSON_IsString(id))
        return cJSON_CreateString(id->valuestring);
    if (cJSON_IsNumber(id))
        return exact_number(id->valuedouble);
    return cJSON_CreateNull();
}

/* Is this a usable id? NULL if so, else why not. */
static const char *check_id(const cJSON *id)
{
    if (cJSON_IsString(id) || cJSON_IsNull(id))
        return NULL;
    if (!cJSON_IsNumber(id))
        return "id must be a string, a number or null";
    /* cJSON reads every number into a double. Beyond 2^53 - 1 two integers
     * can share one double (9007199254740993 reads as ...992), so we could
     * not send such an id back unchanged. */
    if (!(fabs(id->valuedouble) < EXACT_LIMIT))
        return "id: numbers must be within -9007199254740991..9007199254740991";
    return NULL;
}

/* ---- 3. Methods ------------------------------------------------------------ */

/* A method returns its result, or NULL and sets *why (for -32602 Invalid
 * params). NULL with *why left NULL means out of memory. */
typedef cJSON *method_fn(const cJSON *params, const char **why);

/* A finite number? (cJSON reads 1e400 as infinity, and gives NAN for
 * anything that is not a number, NULL included.) */
static bool get_number(const cJSON *item, double *value)
{
    *value = cJSON_GetNumberValue(item);
    return isfinite(*value);
}

static cJSON *number_result(double d, const char **why)
{
    if (!isfinite(d)) {
        *why = "the result is too large for a double";
        return NULL;
    }
    return exact_number(d);
}

static cJSON *ping(const cJSON *params, const char **why)
{
    (void)params, (void)why;
    return cJSON_CreateString("pong");
}

static cJSON *echo(const cJSON *params, const char **why)
{
    if (!params) {
        *why = "echo sends back its params: give an array or an object";
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(params, true);
    if (copy && !rpc_exact_numbers(copy)) {
        cJSON_Delete(copy);
        copy = NULL;
    }
    return copy;
}

/* The specification's examples: positional [42, 23] or named
 * {"minuend": 42, "subtrahend": 23}; both give 19. */
static cJSON *subtract(const cJSON *params, const char **why)
{
    const cJSON *a = NULL, *b = NULL;
    if (cJSON_IsArray(params) && cJSON_GetArraySize(params) == 2) {
        a = cJSON_GetArrayItem(params, 0);
        b = cJSON_GetArrayItem(params, 1);
    } else if (cJSON_IsObject(params)) {
        a = cJSON_GetObjectItemCaseSensitive(params, "minuend");
        b = cJSON_GetObjectItemCaseSensitive(params, "subtrahend");
    }
    double x, y;
    if (!get_number(a, &x) || !get_number(b, &y)) {
        *why = "subtract takes two numbers: [minuend, subtrahend] or "
               "{\"minuend\": x, \"subtrahend\": y}";
        return NULL;
    }
    return number_result(x - y, why);
}

static cJSON *sum(const cJSON *params, const char **why)
{
    const cJSON *item = NULL;
    if (cJSON_IsArray(params)) {
        double total = 0, x;
        cJSON_ArrayForEach(item, params) {
            if (!get_number(item, &x))
                break;
            total += x;
        }
        if (!item)                  /* went through them all */
            return number_result(total, why);
    }
    *why = "sum takes an array of numbers, e.g. [1, 2, 4]";
    return NULL;
}

static cJSON *get_data(const cJSON *params, const char **why)
{
    (void)params, (void)why;
    cJSON *data = cJSON_CreateArray();
    cJSON *hello = cJSON_CreateString("hello");
    cJSON *five = exact_number(5);
    if (!cJSON_AddItemToArray(data, hello) || !cJSON_AddItemToArray(data, five)) {
        cJSON_Delete(data);     /* out of memory: free whatever was made */
        cJSON_Delete(hello);
        cJSON_Delete(five);
        return NULL;
    }
    return data;
}

/* update, notify_hello, notify_sum: the specification sends them as
 * notifications. They have nothing to do; asked with an id, they say null. */
static cJSON *nothing(const cJSON *params, const char **why)
{
    (void)params, (void)why;
    return cJSON_CreateNull();
}

static const struct {
    const char *name;
    method_fn *call;
} methods[] = {
    { "ping", ping },
    { "echo", echo },
    { "subtract", subtract },
    { "sum", sum },
    { "get_data", get_data },
    { "update", nothing },
    { "notify_hello", nothing },
    { "notify_sum", nothing },
};

/* ---- 4. One request -------------------------------------------------------- */

/* Answer one request object: *reply is the reply, or NULL for a
 * notification. Returns false when out of memory. */
static bool answer_request(const cJSON *request, cJSON **reply)
{
    /* Case-sensitive look-ups: "Method" is not "method". */
    const cJSON *jsonrpc = NULL, *method = NULL, *params = NULL, *id = NULL;
    if (cJSON_IsObject(request)) {
        jsonrpc = cJSON_GetObjectItemCaseSensitive(request, "jsonrpc");
        method = cJSON_GetObjectItemCaseSensitive(request, "method");
        params = cJSON_GetObjectItemCaseSensitive(request, "params");
        id = cJSON_GetObjectItemCaseSensitive(request, "id");
    }
    /* cJSON_GetStringValue: NULL when it is not a string (or not there). */
    const char *version = cJSON_GetStringValue(jsonrpc), *name = cJSON_GetStringValue(method);
    if (!version || strcmp(version, "2.0") != 0 || !name ||
        (params && !cJSON_IsArray(params) && !cJSON_IsObject(params))) {
        *reply = error_reply(RPC_INVALID_REQUEST, NULL, cJSON_CreateNull());
        return *reply != NULL;
    }
    const char *bad_id = id ? check_id(id) : NULL;
    if (bad_id) {
        *reply = error_reply(RPC_INVALID_REQUEST, bad_id, cJSON_CreateNull());
        return *reply != NULL;
    }

    method_fn *call = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0)
            call = methods[i].call;
    const char *why = NULL;
    cJSON *result = call ? call(params, &why) : NULL;

    if (!id) {                  /* a notification: run it, never answer */
        bool out_of_memory = call && !result && !why;
        cJSON_Delete(result);
        *reply = NULL;
        return !out_of_memory;
    }
    if (result)
        *reply = reply_object("result", result, copy_id(id));
    else if (!call)
        *reply = error_reply(RPC_METHOD_NOT_FOUND, NULL, copy_id(id));
    else if (why)
        *reply = error_reply(RPC_INVALID_PARAMS, why, copy_id(id));
    else
        *reply = NULL;          /* the method ran out of memory */
    return *reply != NULL;
}

/* A batch: an array of requests, answered by an array of replies in the
 * same order, leaving out notifications. */
static bool answer_batch(const cJSON *batch, cJSON **reply)
{
    int n = cJSON_GetArraySize(batch);
    if (n == 0 || n > RPC_MAX_BATCH) {
        char why[64];
        snprintf(why, sizeof why, "a batch holds at most %d requests", RPC_MAX_BATCH);
        *reply = error_reply(RPC_INVALID_REQUEST, n ? why : NULL, cJSON_CreateNull());
        return *reply != NULL;
    }
    cJSON *replies = cJSON_CreateArray();
    if (!replies)
        return false;
    const cJSON *request;
    cJSON_ArrayForEach(request, batch) {
        cJSON *one;
        if (!answer_request(request, &one)) {
            cJSON_Delete(replies);
            return false;
        }
        if (one)
            cJSON_AddItemToArray(replies, one);
    }
    if (!replies->child) {      /* only notifications: send nothing at all */
        cJSON_Delete(replies);
        replies = NULL;
    }
    *reply = replies;
    return true;
}

/* ---- 5. One line ----------------------------------------------------------- */

/* Parse exactly one JSON text: cJSON stops at the end of the first value
 * and would ignore "garbage" after it, so we check it is only blanks. */
static cJSON *parse(const char *line, size_t len)
{
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(line, len, &end, false);
    if (json && !is_blank(end, len - (size_t)(end - line))) {
        cJSON_Delete(json);
        json = NULL;
    }
    return json;
}

int rpc_handle_line(const char *line, size_t len, char **reply)
{
    *reply = NULL;
    if (is_blank(line, len))
        return 0;                   /* an empty line asks nothing */

    /* cJSON refuses text nested deeper than CJSON_NESTING_LIMIT (1000,
     * fixed when the library was built): that is a parse error too. */
    const char *bad = check_bytes(line, len);
    cJSON *request = bad ? NULL : parse(line, len);
    cJSON *answer = NULL;
    bool ok;
    if (!request) {
        answer = error_reply(RPC_PARSE_ERROR, bad, cJSON_CreateNull());
        ok = answer != NULL;
    } else if (cJSON_IsArray(request)) {
        ok = answer_batch(request, &answer);
    } else {
        ok = answer_request(request, &answer);
    }
    cJSON_Delete(request);

    if (answer) {
        *reply = cJSON_PrintUnformatted(answer);    /* one line, never Print */
        cJSON_Delete(answer);
        ok = ok && *reply != NULL;
    }
    return ok ? 0 : -1;
}

char *rpc_error_line(int code, const char *data)
{
    cJSON *error = error_reply(code, data, cJSON_CreateNull());
    char *text = error ? cJSON_PrintUnformatted(error) : NULL;
    cJSON_Delete(error);
    return text;
}
