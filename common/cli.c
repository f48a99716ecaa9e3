/* cli.c — the command line every lesson server shares; see common.h. */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EXTRA = 16 };

/* Defaults as they were before parsing, for --help. */
static const char *default_host, *default_port;
static long default_value[MAX_EXTRA];

static void usage(FILE *out, const char *prog, const char *about,
                  const struct cli_number *extra, size_t n_extra)
{
    fprintf(out, "usage: %s [--host ADDR] [--port PORT] [--trace]", prog);
    for (size_t i = 0; i < n_extra; i++)
        fprintf(out, " [--%s %s]", extra[i].name, extra[i].unit);
    fprintf(out, "\n%s\n\noptions:\n", about);
    fprintf(out, "  -H, --host ADDR    address to listen on (default %s)\n", default_host);
    fprintf(out, "  -p, --port PORT    port to listen on, 0 = any free port (default %s)\n", default_port);
    fprintf(out, "  -t, --trace        log every poll() wake-up, accept, read, write and close\n");
    for (size_t i = 0; i < n_extra; i++)
        fprintf(out, "      --%s %s\n                     %s (default %ld, %ld..%ld)\n",
                extra[i].name, extra[i].unit, extra[i].help, default_value[i],
                extra[i].min, extra[i].max);
    fprintf(out, "  -h, --help         show this help\n");
}

/* Parse a whole number in [min, max]; false if s is anything else. */
static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

void cli_parse(int argc, char **argv, const char *about, struct cli *cli,
               const struct cli_number *extra, size_t n_extra)
{
    const char *prog = argc > 0 ? argv[0] : "server";
    struct option longopts[4 + MAX_EXTRA + 1] = {
        { "host",  required_argument, NULL, 'H' },
        { "port",  required_argument, NULL, 'p' },
        { "trace", no_argument,       NULL, 't' },
        { "help",  no_argument,       NULL, 'h' },
    };
    if (n_extra > MAX_EXTRA)
        die("cli_parse: too many options");
    default_host = cli->host;
    default_port = cli->port;
    for (size_t i = 0; i < n_extra; i++) {   /* extra options return 1000+i */
        longopts[4 + i] = (struct option){ extra[i].name, required_argument, NULL, 1000 + (int)i };
        default_value[i] = *extra[i].value;
    }

    int c;
    long port;
    opterr = 0;                               /* we print our own messages */
    while ((c = getopt_long(argc, argv, ":H:p:th", longopts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'H': cli->host = optarg; break;
        case 'p':
            if (!parse_long(optarg, 0, 65535, &port))
                bad = "--port takes a number from 0 to 65535";
            cli->port = optarg;
            break;
        case 't': trace_enabled = true; break;
        case 'h': usage(stdout, prog, about, extra, n_extra); exit(0);
        case ':': bad = "an option is missing its value"; break;
        case '?': bad = "unknown option"; break;
        default: {
            const struct cli_number *x = &extra[c - 1000];
            if (!parse_long(optarg, x->min, x->max, x->value)) {
                fprintf(stderr, "%s: --%s takes a number from %ld to %ld\n",
                        prog, x->name, x->min, x->max);
                bad = "";
            }
        }
        }
        if (bad) {
            if (*bad)
                fprintf(stderr, "%s: %s: %s\n", prog, bad, argv[optind - 1]);
            usage(stderr, prog, about, extra, n_extra);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
        usage(stderr, prog, about, extra, n_extra);
        exit(2);
    }
}
