/*
 * chat.h — the chat protocol's commands, parsed without any sockets.
 *
 * chat_parse() turns one line (without its "\n") into a struct chat_cmd.
 * It only looks at bytes: it never allocates, never writes, and its result
 * points into the line it was given. So it can be tested, or fuzzed, alone.
 */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>

enum { CHAT_NICK_MAX = 16 };    /* longest name, in bytes */

enum chat_kind {
    CHAT_EMPTY,     /* an empty line: ignored */
    CHAT_SAY,       /* plain text: text               "hello"              */
    CHAT_ME,        /* an action: text                "/me waves"          */
    CHAT_MSG,       /* private: nick, text            "/msg bob hi there"  */
    CHAT_NICK,      /* rename: nick (already valid)   "/nick alice"        */
    CHAT_WHO,       /* list the room                  "/who"               */
    CHAT_HELP,      /* list the commands              "/help"              */
    CHAT_QUIT,      /* leave                          "/quit"              */
    CHAT_UNKNOWN,   /* not a command we know: text is its name, "dance"   */
    CHAT_ERROR,     /* a known command used wrongly: error says why        */
};

struct chat_cmd {
    enum chat_kind kind;
    const char *nick;   /* CHAT_NICK: the new name; CHAT_MSG: the recipient */
    size_t nick_len;
    const char *text;   /* CHAT_SAY, CHAT_ME, CHAT_MSG: the words; may hold */
    size_t text_len;    /* any byte, NUL included, so it comes with a length */
    const char *error;  /* CHAT_ERROR: a sentence for the user */
};

/* Parse one line of len bytes. A line starting with "/" is a command, "//"
 * escapes a leading slash ("//etc" says "/etc"), anything else is said.   */
struct chat_cmd chat_parse(const char *line, size_t len);

/* NULL if s[0..len) is an acceptable name, else a sentence saying why not. */
const char *chat_nick_problem(const char *s, size_t len);

#endif
