#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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
    return 80;
}

/* UTF-8: a byte that continues a character. */
static int cont_byte(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

int cli_text_cols(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += !cont_byte((unsigned char)*s);
    return n;
}

/* The byte offset after the first `cols` characters of s. */
static size_t cols_bytes(const char *s, int cols)
{
    size_t i = 0;
    for (int c = 0; s[i] && c < cols; c++)
        for (i++; s[i] && cont_byte((unsigned char)s[i]); i++)
            ;
    return i;
}

const char *cli_cut(const char *s, int w, cli_cut_at at, char *buf, size_t n)
{
    int len = cli_text_cols(s);
    if (w <= 0 || len <= w)
        return s;
    const char *loc = getenv("LC_ALL");
    if (!loc || !*loc)
        loc = getenv("LC_CTYPE");
    if (!loc || !*loc)
        loc = getenv("LANG");
    int u = loc && (strstr(loc, "UTF-8") || strstr(loc, "utf8") || strstr(loc, "UTF8") ||
                    strstr(loc, "utf-8"));
    const char *ell = u ? "\xe2\x80\xa6" : "~"; /* one column either way */
    int keep = w - 1;
    int head = at == CLI_CUT_END ? keep : at == CLI_CUT_START ? 0 : keep * 2 / 5;
    int tail = keep - head;
    if (at == CLI_CUT_MID) {
        /* the kept end starts at a word ("-Q4_K_M..."): up to 8 more columns
         * of it, the start keeping at least 4 */
        for (int more = 0; more <= 8 && head - more >= 4; more++) {
            size_t at_b = cols_bytes(s, len - tail - more);
            if (at_b > 0 && strchr("-/:. ", s[at_b - 1])) {
                head -= more;
                tail += more;
                break;
            }
        }
    }
    size_t hb = cols_bytes(s, head);
    size_t tb = cols_bytes(s, len - tail); /* where the kept tail starts */
    snprintf(buf, n, "%.*s%s%s", (int)hb, s, ell, s + tb);
    return buf;
}

void cli_pad(FILE *o, const char *s, int w)
{
    fputs(s, o);
    for (int i = cli_text_cols(s); i < w; i++)
        fputc(' ', o);
}

void cli_wrap(FILE *o, const char *text, int width, int indent)
{
    if (indent > width / 2)
        indent = width / 2;
    const char *p = text;
    int first = 1;
    while (*p) {
        /* the longest run of words that fits the line (its indent included) */
        int avail = width - (first ? 0 : indent);
        const char *line = p, *end = p, *q = p;
        int cols = 0; /* columns of line..end, as printed */
        while (*q) {
            const char *w = q;
            while (*w == ' ')
                w++;
            int wc = 0;
            const char *we = w;
            while (*we && *we != ' ')
                wc += !cont_byte((unsigned char)*we++);
            if (!wc)
                break; /* trailing blanks */
            int next = cols + (int)(w - end) + wc;
            if (next > avail && end != line)
                break;
            if (next > avail) { /* one word longer than the line: cut it */
                int room = avail - cols - (int)(w - end);
                end = w + cols_bytes(w, room > 1 ? room : 1);
                break;
            }
            cols = next;
            end = q = we;
        }
        if (end == line) /* nothing fitted (blanks only) */
            break;
        fprintf(o, "%*s%.*s\n", first ? 0 : indent, "", (int)(end - line), line);
        first = 0;
        p = end;
        while (*p == ' ')
            p++;
    }
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
