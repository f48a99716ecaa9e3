/*
 * rpc.c — fuzz target for lesson 03's JSON-RPC dispatcher. PLANNED: not
 * built or linted until lesson 03 lands; tests/fuzz/Makefile says how to
 * enable it (move this file to tests/fuzz/, corpus/ to tests/fuzz/corpus/rpc).
 *
 * Written against the interface lesson 03 was planned with:
 *     char *rpc_handle_line(const char *line, size_t len);
 * one request line in (no "\n"), the reply line out (malloc'd, no "\n"; the
 * caller frees it), or NULL when there is nothing to send (a notification).
 * If lesson 03 landed with another shape, adjust the call and the free below.
 *
 * Checked for every input: no crash, no leak, no out-of-bounds access (ASan
 * and LeakSanitizer), and every reply is one JSON-RPC 2.0 response on one
 * line: an object (or, for a batch, an array of them) with "jsonrpc": "2.0",
 * an "id", and exactly one of "result" and "error"; and input that is not
 * JSON at all gets error -32700.
 */
#include "fuzz.h"
#include "rpc.h"

#include <cJSON.h>   /* pkg-config --cflags libcjson points here */
#include <stdbool.h>
#include <string.h>

static void check_response(const cJSON *r)
{
    CHECK(cJSON_IsObject(r), "a response is not an object");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(r, "jsonrpc");
    CHECK(cJSON_IsString(version) && strcmp(version->valuestring, "2.0") == 0,
          "no \"jsonrpc\": \"2.0\"");
    CHECK(cJSON_HasObjectItem(r, "id"), "a response without an id");
    bool result = cJSON_HasObjectItem(r, "result");
    bool error = cJSON_HasObjectItem(r, "error");
    CHECK(result != error, "want exactly one of result and error");
    if (error) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
        CHECK(cJSON_IsNumber(code), "an error without a numeric code");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A line never holds its own newline: the framer cut it there. */
    if (memchr(data, '\n', size))
        return 0;
    char *reply = rpc_handle_line((const char *)data, size);
    if (!reply)
        return 0;
    CHECK(strchr(reply, '\n') == NULL, "a reply spans lines: %s", reply);
    cJSON *json = cJSON_Parse(reply);
    CHECK(json, "a reply that is not JSON: %s", reply);
    if (cJSON_IsArray(json)) {
        const cJSON *r;
        cJSON_ArrayForEach(r, json)
            check_response(r);
    } else {
        check_response(json);
    }
    /* Not JSON in, "Parse error" out (cJSON_ParseWithLength needs cJSON 1.7.13). */
    cJSON *request = cJSON_ParseWithLength((const char *)data, size);
    if (!request && cJSON_IsObject(json)) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(json, "error"), "code");
        CHECK(cJSON_IsNumber(code) && code->valueint == -32700,
              "invalid JSON did not get -32700: %s", reply);
    }
    cJSON_Delete(request);
    cJSON_Delete(json);
    free(reply);
    return 0;
}
