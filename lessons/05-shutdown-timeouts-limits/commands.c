/*
 * commands.c — lines in: lesson 02's framing finds whole lines in a
 * client's input (handle_lines, at the end), and each line does what it
 * says: /nick /who /msg /me /help /quit, or plain text for the room.
 * chat.c parses the line; this file only uses the room (room.h). It is
 * pasted and explained, not typed: the lesson is in server.c and the new files.
 */
#include "room.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The client in the room called nick (any case), or NULL. */
static struct conn *find_nick(const char *nick, size_t len)
{
    for (size_t i = 0; i < n_conns; i++) {
        struct conn *c = conns[i];
        if (c->in_room && strlen(c->nick) == len && strncasecmp(c->nick, nick, len) == 0)
            return c;
    }
    return NULL;
}

/* head, then the names of the count clients that pick() picks, cut short
 * to fit one line: "in the room (3): guest1, alice, and 1 more". /who and
 * the idle summary (deadlines.c) use it, so both fit --max-line. */
struct msg *names_line(const char *head, size_t count, bool (*pick)(const struct conn *c))
{
    size_t listed = 0;
    char line[MSG_MAX];
    long limit = max_line < SERVER_LINE ? max_line : SERVER_LINE;
    int len = snprintf(line, sizeof line, "%s", head);
    for (size_t i = 0; i < n_conns; i++) {
        if (!pick(conns[i]))
            continue;
        if (len + CHAT_NICK_MAX + 40 > limit)
            break;                      /* room for ", and 12345 more" */
        len += snprintf(line + len, sizeof line - (size_t)len, "%s %s",
                        listed ? "," : "", conns[i]->nick);
        listed++;
    }
    if (listed < count)
        snprintf(line + len, sizeof line - (size_t)len, "%s %zu more",
                 listed ? ", and" : "", count - listed);
    return msg_new(line, NULL, 0);
}

static bool in_room(const struct conn *c)
{
    return c->in_room;
}

/* "in the room (3): guest1, alice, bob" */
static struct msg *who_is_here(void)
{
    size_t count = 0;
    for (size_t i = 0; i < n_conns; i++)
        count += conns[i]->in_room;
    char head[32];
    snprintf(head, sizeof head, "in the room (%zu):", count);
    return names_line(head, count, in_room);
}

static const char help_text[] =
    "commands:\n"
    "  /nick NAME       take a new name (1-16 letters, digits, _ or -)\n"
    "  /who             list who is here\n"
    "  /msg NAME TEXT   send TEXT to NAME only\n"
    "  /me ACTION       tell the room \"* yourname ACTION\"\n"
    "  /quit            leave\n"
    "  //TEXT           say \"/TEXT\"\n"
    "anything else is sent to everyone else as \"yourname: TEXT\"";
_Static_assert(sizeof help_text < HELP_MAX, "limits.c counts on a short /help");

/* A line from one user, for the others: head, then text with each control
 * character but TAB shown as ^X (ESC as ^[, DEL as ^?). A terminal obeys
 * control characters: relayed raw, "\x1b[2J" would clear the others'
 * screens, "\x1b]0;...\x07" retitle their windows, and "\r" overwrite the
 * line with one that seems to come from someone else. Shown, not dropped,
 * so that nothing is lost without a trace. */
static bool is_control(char ch)
{
    return ((unsigned char)ch < 32 && ch != '\t') || ch == 127;
}

static struct msg *relay(const char *head, const char *text, size_t len)
{
    size_t shown_len = len;
    for (size_t i = 0; i < len; i++)
        shown_len += is_control(text[i]);       /* one more byte: ^ */
    struct msg *m = msg_new(head, NULL, shown_len);     /* text: filled in here */
    if (!m)
        return NULL;
    char *out = m->text + m->len - 1 - shown_len;
    for (size_t i = 0; i < len; i++) {
        if (is_control(text[i])) {
            *out++ = '^';
            *out++ = (char)(text[i] ^ 64);      /* 27 -> '[', 127 -> '?' */
        } else {
            *out++ = text[i];
        }
    }
    return m;
}

static void run_command(struct conn *c, const char *line, size_t len)
{
    struct chat_cmd cmd = chat_parse(line, len);
    char head[CHAT_NICK_MAX + 32];
    switch (cmd.kind) {
    case CHAT_EMPTY:
        break;
    case CHAT_SAY:                      /* not sent back: you know what you said */
        snprintf(head, sizeof head, "%s: ", c->nick);
        broadcast(relay(head, cmd.text, cmd.text_len), c);
        break;
    case CHAT_ME:
        snprintf(head, sizeof head, "* %s ", c->nick);
        broadcast(relay(head, cmd.text, cmd.text_len), c);
        break;
    case CHAT_MSG: {
        struct conn *to = find_nick(cmd.nick, cmd.nick_len);
        if (!to) {
            send_to(c, msg_printf("error: no one here is called %.*s",
                                  (int)(cmd.nick_len < 32 ? cmd.nick_len : 32), cmd.nick));
            break;
        }
        snprintf(head, sizeof head, "%s (private): ", c->nick);
        send_to(to, relay(head, cmd.text, cmd.text_len));
        break;
    }
    case CHAT_NICK: {
        struct conn *owner = find_nick(cmd.nick, cmd.nick_len);
        if (owner && owner != c) {
            send_to(c, msg_printf("error: %s is taken", owner->nick));
            break;
        }
        char old[sizeof c->nick];
        memcpy(old, c->nick, sizeof old);
        memcpy(c->nick, cmd.nick, cmd.nick_len);
        c->nick[cmd.nick_len] = '\0';
        log_msg("%s: %s is now %s", c->peer, old, c->nick);
        send_to(c, msg_printf("you are now %s", c->nick));
        broadcast(msg_printf("* %s is now %s", old, c->nick), c);
        break;
    }
    case CHAT_WHO:
        send_to(c, who_is_here());
        break;
    case CHAT_HELP:
        send_to(c, msg_new(help_text, NULL, 0));
        break;
    case CHAT_QUIT:
        send_to(c, msg_printf("bye, %s", c->nick));
        leave_room(c, NULL);
        c->closing = true;
        break;
    case CHAT_UNKNOWN:
        send_to(c, msg_printf("error: unknown command /%.*s; try /help",
                              (int)(cmd.text_len < 32 ? cmd.text_len : 32), cmd.text));
        break;
    case CHAT_ERROR:
        send_to(c, msg_printf("error: %s", cmd.error));
        break;
    }
}

/* An error line, the room told why, then the polite close. */
static void refuse(struct conn *c, const char *why)
{
    send_to(c, msg_printf("error: %s", why));
    leave_room(c, why);
    c->closing = true;
}

/* The error for a line over MAX_LINE, built from the constant itself. */
static void refuse_long_line(struct conn *c)
{
    char why[64];
    snprintf(why, sizeof why, "line longer than %zu bytes", MAX_LINE);
    refuse(c, why);
}

/* Run the line in c->in[start..end); c->in[end] is its '\n', or the end
 * of the input when the client closed in the middle of a line. */
static void run_line(struct conn *c, size_t start, size_t end)
{
    size_t len = end - start;
    if (len > 0 && c->in[end - 1] == '\r')
        len--;                          /* telnet and Windows send "\r\n" */
    if (len > MAX_LINE)
        refuse_long_line(c);
    else
        run_command(c, c->in + start, len);
}

/* Run every whole line waiting in c->in, in order, while c's own queue is
 * short; whatever is left waits until on_writable() has sent some. */
static void run_lines(struct conn *c)
{
    size_t start = 0;
    while (!c->closing && c->q_cost < QUEUE_PAUSE) {
        char *newline = memchr(c->in + start, '\n', c->in_len - start);
        if (!newline)
            break;                      /* the rest is an unfinished line */
        size_t end = (size_t)(newline - c->in);
        run_line(c, start, end);
        start = end + 1;
    }
    /* Move the unfinished line to the front of the buffer. */
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;

    if (c->closing || c->q_cost >= QUEUE_PAUSE || memchr(c->in, '\n', c->in_len))
        return;                         /* closing, or waiting for room */
    if (c->in_len == IN_SIZE) {
        refuse_long_line(c);            /* full, and still no newline */
    } else if (c->eof) {
        /* The client closed its side, maybe in the middle of a line: that
         * last line counts too. Then it leaves; what is queued still goes. */
        if (c->in_len > 0)
            run_line(c, 0, c->in_len);
        c->in_len = 0;
        leave_room(c, NULL);
        c->closing = true;
    }
}

/* The input buffer comes and goes: a client with no bytes waiting holds
 * none (limits.c). */
void handle_lines(struct conn *c)
{
    if (!c->in)
        return;                         /* no bytes are waiting at all */
    run_lines(c);
    if (c->closing || c->in_len == 0)
        in_buffer_done(c);
}
