#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

int cli_use_color(FILE *f)
{
    if (cli_color_mode() == CLI_COLOR_ALWAYS)
        return 1;
    if (cli_color_mode() == CLI_COLOR_NEVER)
        return 0;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fileno(f));
}

const char *cli_c(FILE *f, const char *code)
{
    return cli_use_color(f) ? code : "";
}

int cli_exit_code(og_status st)
{
    switch (st) {
    case OG_OK:
        return OG_EXIT_OK;
    case OG_ERR_INVALID:
    case OG_ERR_NOT_FOUND:
    case OG_ERR_IO:
    case OG_ERR_UNSUPPORTED:
    case OG_ERR_NETWORK:
        return OG_EXIT_USAGE;
    case OG_ERR_NOMEM:
    case OG_ERR_INTERNAL:
        break;
    }
    return OG_EXIT_INTERNAL;
}

int cli_fail(const og_error *err)
{
    fprintf(stderr, "%soomguard:%s %s\n", cli_c(stderr, CLI_RED), cli_c(stderr, CLI_RESET),
            err->message[0] ? err->message : og_strerror(err->status));
    return cli_exit_code(err->status);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "oomguard%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'oomguard %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return OG_EXIT_USAGE;
}

json_t *cli_json_u64(uint64_t v)
{
    return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

json_t *cli_json_real(double v, int decimals)
{
    double scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    return json_real(round(v * scale) / scale);
}

int cli_print_json(json_t *j)
{
    if (!j) {
        fprintf(stderr, "oomguard: out of memory building JSON\n");
        return OG_EXIT_INTERNAL;
    }
    int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(j);
    return rc == 0 ? OG_EXIT_OK : OG_EXIT_INTERNAL;
}

const char *cli_bytes(uint64_t bytes)
{
    static char bufs[8][32];
    static unsigned slot;
    char *b = bufs[slot++ % 8];
    return og_format_bytes(bytes, b, 32);
}

int cli_term_width(void)
{
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) > 20)
        return atoi(c);
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 100;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* Headers of multi-file remote models are read in parallel: on a TTY, say
 * how far along it is (stderr, one line rewritten in place). */
static void open_progress(void *user, uint32_t done, uint32_t total)
{
    (void)user;
    if (total < 2)
        return;
    fprintf(stderr, "\rreading headers: %u/%u files", done, total);
    if (done >= total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

og_status cli_open_model(const char *source, og_model **out, og_error *err)
{
    if (!og_is_remote(source))
        return og_model_open(source, out, err);
    og_remote_options o;
    og_remote_options_default(&o);
    if (isatty(STDERR_FILENO))
        o.progress = open_progress;
    return og_remote_open(source, &o, out, NULL, err);
}
