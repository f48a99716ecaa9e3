/*
 * replay.c — run a fuzz target over saved inputs, without libFuzzer.
 *
 *   tests/fuzz/framer FILE|DIR...
 *
 * Every file named, and every file in every directory named, is passed to
 * the target once. This is how the seed corpus and every crash input ever
 * found (tests/fuzz/regressions/) stay tested by `make test` and `make check`,
 * with gcc or clang, with or without sanitizers.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long replayed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 4096, len = 0, n;
    unsigned char *data = malloc(cap);
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(data, cap * 2);
            if (!bigger)
                free(data);
            data = bigger;
            cap *= 2;
        }
    }
    if (!data || ferror(f)) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    replayed++;
}

static void replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        exit(1);
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        perror(path);
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;               /* ".", "..", and hidden files */
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        replay_file(file);
    }
    closedir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        replay(argv[i]);
    printf("replayed %lu inputs\n", replayed);
    return 0;
}
