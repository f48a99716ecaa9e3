/* cli.c — the command line every lesson program shares; see common.h. */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EXTRA = 16, FIRST_NUMBER = 1000, FIRST_TEXT = 2000 };

/* What usage() needs, kept from cli_parse for cli_usage_error(). */
static const char *prog, *summary, *default_host, *default_port;
static const struct cli *the_cli;
static const struct cli_number *numbers;
static size_t n_numbers;
static long default_value[MAX_EXTRA];

static void usage(FILE *out)
{
    const struct cli *c = the_cli;
    const char *role = c->args ? "connect to" : "listen on";
    fprintf(out, "usage: %s [--host ADDR] [--port PORT]%s", prog, c->args ? "" : " [--trace]");
    for (size_t i = 0; i < n_numbers; i++)
        fprintf(out, " [--%s %s]", numbers[i].name, numbers[i].unit);
    for (size_t i = 0; i < c->n_texts; i++)
        fprintf(out, c->texts[i].unit ? " [--%s %s]" : " [--%s]", c->texts[i].name, c->texts[i].unit);
    fprintf(out, "%s%s\n%s\n\noptions:\n", c->args && *c->args ? " " : "", c->args ? c->args : "", summary);
    fprintf(out, "  -H, --host ADDR    address to %s (default %s)\n", role, default_host);
    fprintf(out, "  -p, --port PORT    port to %s%s (default %s)\n", role,
            c->args ? "" : ", 0 = any free port", default_port);
    if (!c->args)
        fprintf(out, "  -t, --trace        log every poll() wake-up, accept, read, write and close\n");
    for (size_t i = 0; i < n_numbers; i++)
        fprintf(out, "      --%s %s\n                     %s (default %ld, %ld..%ld)\n",
                numbers[i].name, numbers[i].unit, numbers[i].help, default_value[i],
                numbers[i].min, numbers[i].max);
    for (size_t i = 0; i < c->n_texts; i++)
        fprintf(out, "      --%s%s%s\n                     %s\n", c->texts[i].name,
                c->texts[i].unit ? " " : "", c->texts[i].unit ? c->texts[i].unit : "", c->texts[i].help);
    fprintf(out, "  -h, --help         show this help\n");
}

void cli_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s\n", prog, what, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    exit(2);
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

/* The option getopt could not use, as the user typed it. Inside a cluster
 * ("-xt") argv[optind - 1] is still the previous argument, so a short option
 * is named from optopt (which getopt sets to 0 for a long one). A missing
 * value can only be missing at the end: the option is argv[argc - 1].     */
static const char *bad_option(int argc, char **argv, bool missing_value)
{
    const char *arg = missing_value ? argv[argc - 1] : argv[optind - 1];
    if (optopt != 0 && !(missing_value && strncmp(arg, "--", 2) == 0)) {
        static char short_name[3] = "-?";
        short_name[1] = (char)optopt;
        return short_name;
    }
    return arg;     /* a long option: "--bogus", "--port" */
}

/* True if arg is "--NAME=VALUE" (or a prefix of NAME, as getopt allows) for
 * the option that takes no value that getopt just refused: "--trace=1".
 * glibc then sets optopt to the option's value ('t'), as for an unknown
 * "-t", and the BSDs report a missing value instead: only arg tells.      */
static bool value_not_wanted(const struct option *longopts, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (strncmp(arg, "--", 2) != 0 || !eq)
        return false;
    size_t len = (size_t)(eq - arg - 2);
    for (const struct option *o = longopts; o->name; o++)
        if (o->has_arg == no_argument && o->val == optopt && strncmp(o->name, arg + 2, len) == 0)
            return true;
    return false;
}

int cli_parse(int argc, char **argv, const char *about, struct cli *cli,
              const struct cli_number *extra, size_t n_extra)
{
    bool is_client = cli->args != NULL;
    if (!is_client)
        log_start_clock();              /* a server's log times count from here */
    long min_port = is_client ? 1 : 0;  /* a client cannot connect to port 0 */
    struct option longopts[4 + 2 * MAX_EXTRA + 1] = {
        { "host",  required_argument, NULL, 'H' },
        { "port",  required_argument, NULL, 'p' },
        { "help",  no_argument,       NULL, 'h' },
        { "trace", no_argument,       NULL, 't' },
    };
    size_t n_long = is_client ? 3 : 4;
    if (n_extra > MAX_EXTRA || cli->n_texts > MAX_EXTRA)
        die("cli_parse: too many options");
    prog = argc > 0 ? argv[0] : "server";
    if (strrchr(prog, '/'))                     /* "lessons/01-echo/server": "server" */
        prog = strrchr(prog, '/') + 1;
    summary = about;
    the_cli = cli;
    numbers = extra;
    n_numbers = n_extra;
    default_host = cli->host;
    default_port = cli->port;
    for (size_t i = 0; i < n_extra; i++) {   /* numbers return 1000+i */
        longopts[n_long++] = (struct option){ extra[i].name, required_argument, NULL, FIRST_NUMBER + (int)i };
        default_value[i] = *extra[i].value;
    }
    for (size_t i = 0; i < cli->n_texts; i++)  /* texts and flags return 2000+i */
        longopts[n_long++] = (struct option){ cli->texts[i].name,
            cli->texts[i].unit ? required_argument : no_argument, NULL, FIRST_TEXT + (int)i };

    int c;
    long port;
    opterr = 0;                               /* we print our own messages */
    while ((c = getopt_long(argc, argv, is_client ? ":H:p:h" : ":H:p:th", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': cli->host = optarg; break;
        case 'p':
            if (!parse_long(optarg, min_port, 65535, &port))
                cli_usage_error(is_client ? "--port takes a number from 1 to 65535"
                                          : "--port takes a number from 0 to 65535", optarg);
            cli->port = optarg;
            break;
        case 't': trace_enabled = true; break;
        case 'h': usage(stdout); exit(0);
        case ':':
        case '?':
            if (value_not_wanted(longopts, argv[optind - 1]))
                cli_usage_error("this option takes no value", argv[optind - 1]);
            if (c == ':')
                cli_usage_error("this option needs a value", bad_option(argc, argv, true));
            cli_usage_error("unknown option", bad_option(argc, argv, false));
        default:
            if (c >= FIRST_TEXT) {
                const struct cli_text *t = &cli->texts[c - FIRST_TEXT];
                if (t->unit)
                    *t->text = optarg;
                else
                    *t->flag = true;
            } else {
                const struct cli_number *x = &extra[c - FIRST_NUMBER];
                if (!parse_long(optarg, x->min, x->max, x->value)) {
                    fprintf(stderr, "%s: --%s takes a number from %ld to %ld: %s\n",
                            prog, x->name, x->min, x->max, optarg);
                    usage(stderr);
                    exit(2);
                }
            }
        }
    }
    int n_args = argc - optind;
    if (n_args > cli->max_args)
        cli_usage_error("unexpected argument", argv[optind + cli->max_args]);
    if (n_args < cli->min_args)
        cli_usage_error("missing argument", cli->args);
    return optind;
}
