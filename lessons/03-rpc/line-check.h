/*
 * line-check.h — the bytes of one line, checked before cJSON parses it.
 *
 * cJSON checks JSON's grammar but not its bytes: it takes NUL, raw control
 * characters and broken UTF-8, and cuts strings at "\u0000". rpc.c asks
 * check_bytes() first. No cJSON here and no allocation: bytes in, a verdict
 * out.
 */
#ifndef LINE_CHECK_H
#define LINE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* NULL if line[0..len) is fine, else what is wrong (a sentence, sent back
 * as the error's data): a NUL byte, a raw control character (in a string or
 * between tokens), "\u0000" in a string, or invalid UTF-8. */
const char *check_bytes(const char *line, size_t len);

/* Is s[0..len) only spaces, TABs and CRs (or nothing at all)? */
bool is_blank(const char *s, size_t len);

#endif
