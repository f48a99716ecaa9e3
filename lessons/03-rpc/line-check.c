/*
 * line-check.c — the bytes of one line that cJSON would take but should not
 * (line-check.h lists them; the README's "The cJSON traps" shows each one).
 * Pasted and read aloud, not typed: the lesson is the protocol, rpc.c.
 */
#include "line-check.h"

#include <string.h>

/* Is s[0..len) valid UTF-8? cJSON does not check: it would copy broken
 * bytes into its strings and print them back out. */
static bool valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char lead = s[i];
        size_t more;                /* continuation bytes after the lead */
        unsigned long code, least;  /* the code point; its shortest form */
        if (lead < 0x80) {
            i++;
            continue;
        } else if ((lead & 0xE0) == 0xC0) {
            more = 1, code = lead & 0x1F, least = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            more = 2, code = lead & 0x0F, least = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            more = 3, code = lead & 0x07, least = 0x10000;
        } else {
            return false;
        }
        if (len - i <= more)
            return false;           /* cut short by the end of the line */
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            code = code << 6 | (s[i + k] & 0x3F);
        }
        if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;           /* overlong, too big, or a surrogate */
        i += more + 1;
    }
    return true;
}

/* Bytes that cJSON would accept but should not: NULL if the line is fine,
 * else what is wrong (sent back as the error's data). RFC 8259: between
 * tokens TAB and CR are whitespace; inside a string every control character
 * must be escaped ("\t"), yet cJSON copies a raw one into the string. */
const char *check_bytes(const char *line, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)line[i];
        if (b == 0)
            return "NUL byte in the line";
        if (b < 0x20 && (in_string || (b != '\t' && b != '\r')))
            return in_string ? "control character in a string" : "control character in the line";
        if (b == '"') {
            in_string = !in_string;
        } else if (b == '\\' && in_string && i + 1 < len) {
            /* cJSON strings are C strings: "a\u0000b" would quietly become "a". */
            if (len - i >= 6 && memcmp(line + i + 1, "u0000", 5) == 0)
                return "\\u0000 in a string is not supported";
            i++;                    /* skip the escaped character */
        }
    }
    if (!valid_utf8((const unsigned char *)line, len))
        return "invalid UTF-8";
    return NULL;
}

bool is_blank(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    return len == 0;
}
