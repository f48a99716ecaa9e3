/*
 * rpc.c — fuzz target for lesson 03's JSON-RPC dispatcher, rpc_handle_line().
 *
 *     int rpc_handle_line(const char *line, size_t len, char **reply);
 *
 * One request line in (no "\n": the framer cut it there, so the input ends
 * at its first "\n"), 0 back and the reply line in *reply (malloc'd; NULL
 * when there is nothing to send), or -1 when out of memory.
 *
 * Checked for every input, besides no crash, no leak and no out-of-bounds
 * access (ASan, LeakSanitizer, UBSan):
 *   - it returns 0 (the fuzzer never lets malloc fail);
 *   - no reply only for a blank line, a notification or a batch of them;
 *   - the reply is one line of compact JSON: no byte below 0x20 (so no raw
 *     newline), valid UTF-8, and printed back from its own parse it is the
 *     very same text;
 *   - it is one JSON-RPC 2.0 response (for a batch, a non-empty array of
 *     them, never more than the requests): an object with "jsonrpc": "2.0",
 *     an "id", exactly one of "result" and "error" (with a numeric code);
 *   - input that is not one JSON text gets error -32700;
 *   - a single request with a usable id (a string, or a number that a double
 *     holds exactly) gets a reply with that very id, unless the request
 *     itself was refused (-32700, -32600); any other reply id is null.
 */
#include "fuzz.h"
#include "rpc.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Valid UTF-8, written apart from the lesson's check: RFC 3629's table of
 * well-formed byte sequences, one row per lead byte range. */
static bool utf8_ok(const unsigned char *s, size_t len)
{
    static const struct { unsigned char lo, hi, n, lo2, hi2; } rows[] = {
        { 0xC2, 0xDF, 1, 0x80, 0xBF }, { 0xE0, 0xE0, 2, 0xA0, 0xBF },
        { 0xE1, 0xEC, 2, 0x80, 0xBF }, { 0xED, 0xED, 2, 0x80, 0x9F },
        { 0xEE, 0xEF, 2, 0x80, 0xBF }, { 0xF0, 0xF0, 3, 0x90, 0xBF },
        { 0xF1, 0xF3, 3, 0x80, 0xBF }, { 0xF4, 0xF4, 3, 0x80, 0x8F },
    };
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t r = 0, nrows = sizeof rows / sizeof rows[0];
        while (r < nrows && !(s[i] >= rows[r].lo && s[i] <= rows[r].hi))
            r++;
        if (r == nrows || len - i <= rows[r].n)
            return false;
        if (s[i + 1] < rows[r].lo2 || s[i + 1] > rows[r].hi2)
            return false;       /* the second byte has its own range */
        for (size_t k = 2; k <= rows[r].n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += 1 + rows[r].n;
    }
    return true;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* cJSON_HasObjectItem ignores case: "iD" is not "id". */
static bool has(const cJSON *object, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(object, key) != NULL;
}

static int error_code(const cJSON *r)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(r, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    return error ? (int)cJSON_GetNumberValue(code) : 0;
}

static void check_response(const cJSON *r)
{
    CHECK(cJSON_IsObject(r), "a response is not an object");
    const char *version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "jsonrpc"));
    CHECK(version && strcmp(version, "2.0") == 0, "no \"jsonrpc\": \"2.0\"");
    CHECK(has(r, "id"), "a response without an id");
    bool result = has(r, "result");
    bool error = has(r, "error");
    CHECK(result != error, "want exactly one of result and error");
    if (error) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
        CHECK(cJSON_IsNumber(code), "an error without a numeric code");
    }
}

/* Could the request's id be sent back unchanged? (A double holds every
 * integer up to 2^53 exactly; the lesson refuses ids beyond.) */
static bool usable_id(const cJSON *id)
{
    return cJSON_IsString(id) ||
           (cJSON_IsNumber(id) && fabs(id->valuedouble) < 9007199254740992.0);
}

static bool same_id(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsString(a))
        return cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
    return cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
}

/* A request that expects no answer: an object without "id". */
static bool notification(const cJSON *request)
{
    return cJSON_IsObject(request) && !has(request, "id");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    const char *newline = memchr(line, '\n', size);
    size_t len = newline ? (size_t)(newline - line) : size;

    char *reply = NULL;
    CHECK(rpc_handle_line(line, len, &reply) == 0, "out of memory?");

    /* The request as cJSON reads it, if it is one JSON text and nothing else. */
    const char *end = NULL;
    cJSON *request = cJSON_ParseWithLengthOpts(line, len, &end, false);
    if (request && !blank(end, len - (size_t)(end - line))) {
        cJSON_Delete(request);
        request = NULL;
    }

    if (!reply) {
        CHECK(blank(line, len) || request, "no reply to a line that is not JSON");
        if (cJSON_IsArray(request)) {
            const cJSON *r;
            cJSON_ArrayForEach(r, request) {
                CHECK(notification(r), "a batch with a request that needs an answer got none");
            }
            CHECK(cJSON_GetArraySize(request) > 0, "no reply to an empty batch");
        } else if (request) {
            CHECK(notification(request), "a request that needs an answer got none");
        }
        cJSON_Delete(request);
        return 0;
    }

    /* One line of compact JSON, in UTF-8. */
    size_t reply_len = strlen(reply);
    for (size_t i = 0; i < reply_len; i++)
        CHECK((unsigned char)reply[i] >= 0x20, "byte 0x%02x in a reply: %s",
              (unsigned char)reply[i], reply);
    CHECK(utf8_ok((const unsigned char *)reply, reply_len), "a reply in broken UTF-8: %s", reply);
    cJSON *json = cJSON_Parse(reply);
    CHECK(json, "a reply that is not JSON: %s", reply);
    cJSON *again = cJSON_Duplicate(json, true);
    CHECK(again && rpc_exact_numbers(again), "out of memory");
    char *printed = cJSON_PrintUnformatted(again);
    CHECK(printed && strcmp(printed, reply) == 0, "a reply that is not compact JSON:\n"
          "   %s\nprinted back:\n   %s", reply, printed ? printed : "(null)");

    /* JSON-RPC 2.0 responses. */
    if (cJSON_IsArray(json)) {
        CHECK(cJSON_IsArray(request), "an array of replies to a single request: %s", reply);
        CHECK(cJSON_GetArraySize(json) > 0, "an empty array of replies");
        CHECK(cJSON_GetArraySize(json) <= cJSON_GetArraySize(request),
              "more replies than requests: %s", reply);
        const cJSON *r;
        cJSON_ArrayForEach(r, json) {
            check_response(r);
        }
    } else {
        check_response(json);
        int code = error_code(json);
        if (!request)
            CHECK(code == RPC_PARSE_ERROR, "not JSON, but no -32700: %s", reply);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
        const cJSON *asked = cJSON_GetObjectItemCaseSensitive(request, "id");
        if (cJSON_IsObject(request) && usable_id(asked) &&
            code != RPC_PARSE_ERROR && code != RPC_INVALID_REQUEST)
            CHECK(same_id(asked, id), "the reply's id is not the request's: %s", reply);
        if (!cJSON_IsNull(id))
            CHECK(cJSON_IsObject(request) && same_id(asked, id),
                  "a reply id the request did not send: %s", reply);
    }

    free(printed);
    cJSON_Delete(again);
    cJSON_Delete(json);
    cJSON_Delete(request);
    free(reply);
    return 0;
}
