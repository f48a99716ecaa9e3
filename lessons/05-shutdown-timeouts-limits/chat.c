/* chat.c — the chat commands as pure functions over bytes; see chat.h. */
#include "chat.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* A piece of the line: a pointer and a length, never NUL-terminated. */
struct span {
    const char *p;
    size_t len;
};

static void skip_spaces(struct span *s)
{
    while (s->len > 0 && *s->p == ' ') {
        s->p++;
        s->len--;
    }
}

/* Cut the first space-separated word off the front of `rest`. */
static struct span take_word(struct span *rest)
{
    skip_spaces(rest);
    struct span word = { rest->p, 0 };
    while (word.len < rest->len && rest->p[word.len] != ' ')
        word.len++;
    rest->p += word.len;
    rest->len -= word.len;
    skip_spaces(rest);
    return word;
}

static bool is(struct span word, const char *name)
{
    return word.len == strlen(name) && memcmp(word.p, name, word.len) == 0;
}

const char *chat_nick_problem(const char *s, size_t len)
{
    if (len == 0 || len > CHAT_NICK_MAX)
        return "a name is 1 to 16 characters long";
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok)
            return "a name may hold only letters, digits, _ and -";
    }
    /* The server names newcomers guest1, guest2...: keep those free. */
    if (len >= 5 && strncasecmp(s, "guest", 5) == 0)
        return "names starting with \"guest\" are kept for newcomers";
    return NULL;
}

static struct chat_cmd error(const char *why)
{
    return (struct chat_cmd){ .kind = CHAT_ERROR, .error = why };
}

struct chat_cmd chat_parse(const char *line, size_t len)
{
    struct chat_cmd cmd = { .kind = CHAT_SAY, .text = line, .text_len = len };
    if (len == 0) {
        cmd.kind = CHAT_EMPTY;
        return cmd;
    }
    if (line[0] != '/')
        return cmd;
    if (len >= 2 && line[1] == '/') {   /* "//x" says "/x" */
        cmd.text++;
        cmd.text_len--;
        return cmd;
    }

    struct span rest = { line + 1, len - 1 };
    struct span name = take_word(&rest);
    if (is(name, "nick")) {
        struct span nick = take_word(&rest);
        if (nick.len == 0 || rest.len > 0)
            return error("usage: /nick NAME");
        const char *problem = chat_nick_problem(nick.p, nick.len);
        if (problem)
            return error(problem);
        return (struct chat_cmd){ .kind = CHAT_NICK, .nick = nick.p, .nick_len = nick.len };
    }
    if (is(name, "msg")) {
        struct span nick = take_word(&rest);
        if (nick.len == 0 || rest.len == 0)
            return error("usage: /msg NAME TEXT");
        return (struct chat_cmd){ .kind = CHAT_MSG, .nick = nick.p, .nick_len = nick.len,
                                  .text = rest.p, .text_len = rest.len };
    }
    if (is(name, "me")) {
        if (rest.len == 0)
            return error("usage: /me ACTION");
        return (struct chat_cmd){ .kind = CHAT_ME, .text = rest.p, .text_len = rest.len };
    }
    if (is(name, "who"))
        return (struct chat_cmd){ .kind = CHAT_WHO };
    if (is(name, "help"))
        return (struct chat_cmd){ .kind = CHAT_HELP };
    if (is(name, "quit"))
        return (struct chat_cmd){ .kind = CHAT_QUIT };
    return (struct chat_cmd){ .kind = CHAT_UNKNOWN, .text = name.p, .text_len = name.len };
}
