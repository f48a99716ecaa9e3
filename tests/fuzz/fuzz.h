/*
 * fuzz.h — what every fuzz target in tests/fuzz/ shares.
 *
 * A target is one function, LLVMFuzzerTestOneInput(), that feeds one input
 * to the code under test and abort()s when an invariant breaks. The same
 * target file is built twice (see tests/fuzz/Makefile):
 *   T.fuzz   with clang -fsanitize=fuzzer: libFuzzer invents inputs (make fuzz)
 *   T        with replay.c and any compiler: runs saved inputs (make test)
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Like assert(), but never compiled out, and it says what broke. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,    \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            abort();                                                       \
        }                                                                  \
    } while (0)

#endif
