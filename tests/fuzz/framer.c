/*
 * framer.c — fuzz target for lesson 02's line framer, answer_lines().
 *
 * The lesson is not changed for us: we #include its server.c whole (a "unity
 * build"), with its main() renamed, and drive answer_lines() on a struct conn
 * that has no socket. The rest of this file plays the part of on_readable()
 * and on_writable() and of a client:
 *
 *   - the input is the byte stream a client sends; its first byte says how
 *     to cut it into reads (1 byte at a time, a few bytes, whole buffers) and
 *     whether the client closes its side at the end (EOF);
 *   - like the server, we hand over more bytes only when every reply has
 *     been sent (back-pressure), never more than the input buffer has room for;
 *   - the "client" reads every reply at once, then answer_lines() runs again,
 *     as it does in on_writable().
 *
 * Then we check what a client would check, against a model that reads the
 * lesson's rules straight off the whole input, however it was cut:
 *   - the replies are exactly "line N, M bytes: TEXT\n" for each line in
 *     order, then (at EOF) one for the unfinished last line; the first line
 *     longer than MAX_LINE gets "error: ...\n" instead, and nothing follows;
 *   - no byte is lost or answered twice; the buffers never overflow (and
 *     AddressSanitizer checks every access: the conn is on the heap).
 */
#include "fuzz.h"

#include <string.h>

#define main lesson_main
int main(int argc, char **argv);
#include "../../lessons/02-line-framing/server.c" /* NOLINT(bugprone-suspicious-include): on purpose */
#undef main

/* Bytes left to read in the fuzz input. */
struct input {
    const uint8_t *data;
    size_t len;
    uint32_t rng;           /* picks the size of each read */
    size_t max_read;
};

static size_t next_read_size(struct input *in)
{
    in->rng ^= in->rng << 13;  /* xorshift32: cheap and deterministic */
    in->rng ^= in->rng >> 17;
    in->rng ^= in->rng << 5;
    return 1 + in->rng % in->max_read;
}

/* What the lesson promises, computed from the whole stream at once. */
static size_t model(const uint8_t *data, size_t len, bool eof, char *out)
{
    size_t out_len = 0, start = 0;
    unsigned long lineno = 0;
    const char *too_long = "error: line longer than 4096 bytes\n";
    for (;;) {
        const uint8_t *nl = memchr(data + start, '\n', len - start);
        size_t line_len = nl ? (size_t)(nl - data) - start : len - start;
        if (!nl && !eof) {
            if (line_len >= IN_SIZE)        /* the buffer filled up first */
                out_len += (size_t)snprintf(out + out_len, 64, "%s", too_long);
            return out_len;
        }
        if (!nl && line_len == 0)
            return out_len;                 /* EOF right after a newline */
        if (line_len > 0 && data[start + line_len - 1] == '\r')
            line_len--;                     /* "\r\n" ends a line; a last "\r" at EOF goes too */
        if (line_len > MAX_LINE) {
            out_len += (size_t)snprintf(out + out_len, 64, "%s", too_long);
            return out_len;
        }
        lineno++;
        out_len += (size_t)snprintf(out + out_len, 64, "line %lu, %zu byte%s: ", lineno,
                                   line_len, line_len == 1 ? "" : "s");
        memcpy(out + out_len, data + start, line_len);
        out_len += line_len;
        out[out_len++] = '\n';
        if (!nl)
            return out_len;                 /* that was the unfinished line */
        start = (size_t)(nl - data) + 1;
    }
}

/* Print the bytes around p[at], escaped, to show where two outputs differ. */
static void show(const char *label, const char *p, size_t len, size_t at)
{
    size_t from = at > 40 ? at - 40 : 0, to = at + 40 < len ? at + 40 : len;
    fprintf(stderr, "%s ...", label);
    for (size_t i = from; i < to; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\n')
            fputs("\\n", stderr);
        else if (ch < 32 || ch > 126)
            fprintf(stderr, "\\x%02x", ch);
        else
            fputc(ch, stderr);
    }
    fputs("...\n", stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* First byte: bits 0-1 pick the largest read, bit 2 says "no EOF". */
    static const size_t max_reads[] = { 1, 7, 100, IN_SIZE };
    struct input in = {
        .data = data + 1, .len = size - 1,
        .rng = 0x9e3779b9u ^ data[0], .max_read = max_reads[data[0] & 3],
    };
    bool send_eof = !(data[0] & 4);

    /* Room for every reply: each line costs at most its bytes + a header. */
    size_t room = in.len + (in.len + 1) * 64 + 64;
    char *want = malloc(room), *got = malloc(room);
    struct conn *c = calloc(1, sizeof *c);
    CHECK(want && got && c, "out of memory");
    size_t want_len = model(in.data, in.len, send_eof, want), got_len = 0;
    c->fd = -1;
    snprintf(c->peer, sizeof c->peer, "fuzz");

    size_t fed = 0;
    for (unsigned long turn = 0;; turn++) {
        CHECK(turn < 10 * (size + 10), "no progress after %lu turns", turn);
        CHECK(c->in_len <= IN_SIZE && c->out_len <= OUT_SIZE && c->out_sent == 0,
              "in_len %zu, out_len %zu", c->in_len, c->out_len);
        if (c->out_len > 0) {           /* the client reads every reply */
            CHECK(got_len + c->out_len <= room, "more output than input allows");
            memcpy(got + got_len, c->out, c->out_len);
            got_len += c->out_len;
            c->out_len = 0;
            answer_lines(c);            /* as on_writable() does */
        } else if (!c->closing && fed < in.len) {   /* one read() */
            size_t n = next_read_size(&in);
            if (n > in.len - fed)
                n = in.len - fed;
            if (n > IN_SIZE - c->in_len)
                n = IN_SIZE - c->in_len;
            CHECK(n > 0, "reading with a full input buffer (%zu bytes)", c->in_len);
            memcpy(c->in + c->in_len, in.data + fed, n);
            c->in_len += n;
            fed += n;
            answer_lines(c);
        } else if (!c->closing && send_eof && !c->eof) {  /* read() returns 0 */
            c->eof = true;
            answer_lines(c);
        } else {
            break;  /* all sent and closing, or waiting for bytes that never come */
        }
    }

    if (got_len != want_len || memcmp(got, want, got_len) != 0) {
        size_t i = 0;
        while (i < got_len && i < want_len && got[i] == want[i])
            i++;
        show("got: ", got, got_len, i);
        show("want:", want, want_len, i);
        CHECK(false, "replies differ at byte %zu (got %zu bytes, want %zu)",
              i, got_len, want_len);
    }
    /* Every byte read was either answered or is the unfinished line. */
    if (!c->closing) {
        CHECK(fed == in.len, "stopped reading at %zu of %zu bytes", fed, in.len);
        const uint8_t *last_nl = NULL;
        for (size_t i = in.len; i > 0 && !last_nl; i--)
            if (in.data[i - 1] == '\n')
                last_nl = in.data + i - 1;
        size_t tail = last_nl ? in.len - (size_t)(last_nl - in.data) - 1 : in.len;
        CHECK(c->in_len == tail, "%zu bytes kept, want %zu", c->in_len, tail);
    }
    free(c);
    free(got);
    free(want);
    return 0;
}
