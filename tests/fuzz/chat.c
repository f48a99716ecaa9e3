/*
 * chat.c — fuzz target for lesson 04's command parser, chat_parse(), and its
 * name check, chat_nick_problem() (lessons/04-chat-broadcast/chat.h).
 *
 * The input is one line as the server hands it over (any bytes, NUL
 * included). Checked for every input, besides no crash and no out-of-bounds
 * access (ASan, UBSan; the line is a heap copy of exactly its length):
 *   - the line is not changed, and parsing it twice gives the same result;
 *   - every pointer returned points into the line, and pointer + length
 *     stays inside it; fields a kind does not use have length 0;
 *   - each kind is what chat.h says: EMPTY only for "", SAY for a line not
 *     starting with "/" (all of it) or with "//" (all but the first "/"),
 *     MSG and ME end where the line ends and have words, ERROR has a reason;
 *   - a name in NICK is valid by chat.h's rules, checked here from scratch
 *     (1 to 16 letters, digits, _ and -; not "guest..." in any case), and
 *     chat_nick_problem() agrees with those rules on the whole input too.
 */
#include "fuzz.h"
#include "chat.h"

#include <stdbool.h>
#include <string.h>

/* chat.h's rules for a name, apart from the lesson's code. */
static bool nick_ok(const char *s, size_t len)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    if (len < 1 || len > 16)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr(allowed, s[i]))
            return false;
    static const char guest[] = "guest";
    bool is_guest = len >= 5;
    for (size_t i = 0; i < 5 && is_guest; i++)
        is_guest = (s[i] | 0x20) == guest[i];  /* ASCII lower case */
    return !is_guest;
}

/* Is p[0..len) inside line[0..size)? */
static bool inside(const char *p, size_t len, const char *line, size_t size)
{
    return p >= line && p <= line + size && len <= (size_t)(line + size - p);
}

static bool same(struct chat_cmd a, struct chat_cmd b)
{
    return a.kind == b.kind && a.nick == b.nick && a.nick_len == b.nick_len &&
           a.text == b.text && a.text_len == b.text_len && a.error == b.error;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes: ASan catches a read one past its end. */
    char *line = calloc(1, size ? size : 1);
    CHECK(line, "out of memory");
    if (size > 0)
        memcpy(line, data, size);

    struct chat_cmd cmd = chat_parse(line, size);
    CHECK(memcmp(line, data, size) == 0, "chat_parse changed the line");
    CHECK(same(cmd, chat_parse(line, size)), "two parses of one line differ");

    CHECK(cmd.kind >= CHAT_EMPTY && cmd.kind <= CHAT_ERROR, "kind %d", (int)cmd.kind);
    bool uses_nick = cmd.kind == CHAT_NICK || cmd.kind == CHAT_MSG;
    bool uses_text = cmd.kind == CHAT_SAY || cmd.kind == CHAT_ME || cmd.kind == CHAT_MSG ||
                     cmd.kind == CHAT_UNKNOWN;
    if (uses_nick)
        CHECK(cmd.nick && inside(cmd.nick, cmd.nick_len, line, size) && cmd.nick_len > 0,
              "kind %d: nick outside the line", (int)cmd.kind);
    else
        CHECK(cmd.nick_len == 0, "kind %d: a nick it does not use", (int)cmd.kind);
    if (uses_text)
        CHECK(cmd.text && inside(cmd.text, cmd.text_len, line, size),
              "kind %d: text outside the line", (int)cmd.kind);
    else
        CHECK(cmd.text_len == 0, "kind %d: a text it does not use", (int)cmd.kind);
    if (cmd.kind == CHAT_ERROR)
        CHECK(cmd.error && cmd.error[0] && !strchr(cmd.error, '\n'), "an error without a reason");
    else
        CHECK(!cmd.error, "kind %d with an error", (int)cmd.kind);

    const char *end = line + size;
    CHECK((cmd.kind == CHAT_EMPTY) == (size == 0), "EMPTY is for the empty line only");
    if (size > 0 && line[0] != '/')
        CHECK(cmd.kind == CHAT_SAY && cmd.text == line && cmd.text_len == size,
              "plain text is not said whole");
    if (size >= 2 && line[0] == '/' && line[1] == '/')
        CHECK(cmd.kind == CHAT_SAY && cmd.text == line + 1 && cmd.text_len == size - 1,
              "\"//x\" does not say \"/x\"");
    if (cmd.kind == CHAT_SAY && size > 0)
        CHECK(cmd.text + cmd.text_len == end, "SAY stops before the end of the line");
    if (cmd.kind == CHAT_NICK)
        CHECK(nick_ok(cmd.nick, cmd.nick_len), "an invalid name accepted: \"%.*s\"",
              (int)cmd.nick_len, cmd.nick);
    if (cmd.kind == CHAT_MSG)
        CHECK(!memchr(cmd.nick, ' ', cmd.nick_len), "a recipient with a space");
    if (cmd.kind == CHAT_MSG || cmd.kind == CHAT_ME)  /* words up to the end */
        CHECK(cmd.text_len > 0 && cmd.text[0] != ' ' && cmd.text + cmd.text_len == end,
              "kind %d: the words are not the rest of the line", (int)cmd.kind);
    if (cmd.kind == CHAT_UNKNOWN)
        CHECK(!memchr(cmd.text, ' ', cmd.text_len), "an unknown command's name with a space");

    /* The name check on its own, against the rules above. */
    const char *problem = chat_nick_problem(line, size);
    CHECK((problem == NULL) == nick_ok(line, size), "chat_nick_problem says %s for \"%.*s\"",
          problem ? problem : "fine", (int)(size > 40 ? 40 : size), line);
    CHECK(!problem || (problem[0] && !strchr(problem, '\n')), "a problem without words");

    free(line);
    return 0;
}
