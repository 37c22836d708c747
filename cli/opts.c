/* The option table: parsing, help and the table dump (see opts.h). */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

/* ---- the options every command takes ---- */

enum { COMMON_HELP = 1, COMMON_COLOR };
static const cli_opt common_opts[] = {
    {COMMON_COLOR, "--color", "--colour", CLI_T_CHOICE, "WHEN", "auto always never",
     "colour: auto (a terminal, and NO_COLOR unset), always, never", CLI_OPT_OPTIONAL, 0, 0},
    {COMMON_HELP, "-h, --help", NULL, CLI_T_FLAG, NULL, NULL, "show this help", 0, 0, 0},
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])

static int color_mode = CLI_COLOR_AUTO;

void cli_set_color(int mode)
{
    color_mode = mode;
}

int cli_color_mode(void)
{
    return color_mode;
}

/* ---- names ---- */

/* Does `word` (length n) appear in the list (separated by commas and/or spaces)? */
static int in_list(const char *list, const char *word, size_t n)
{
    if (!list)
        return 0;
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if ((size_t)(p - s) == n && n && memcmp(s, word, n) == 0)
            return 1;
    }
    return 0;
}

/* Index of word in a space-separated list, or -1. */
static int list_index(const char *list, const char *word)
{
    size_t n = strlen(word);
    int i = 0;
    const char *p = list;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p > s) {
            if ((size_t)(p - s) == n && strncasecmp(s, word, n) == 0)
                return i;
            i++;
        }
    }
    return -1;
}

typedef struct found {
    const cli_opt *o;
    int group; /* index in spec->groups, or -1 for the common options */
} found;

static found lookup(const cli_spec *spec, const char *name, size_t n)
{
    found f = {NULL, -1};
    for (int g = 0; g < CLI_MAX_GROUPS && spec->groups[g]; g++)
        for (size_t i = 0; i < spec->groups[g]->n; i++) {
            const cli_opt *o = &spec->groups[g]->opts[i];
            if (in_list(o->names, name, n) || in_list(o->aliases, name, n)) {
                f.o = o;
                f.group = g;
                return f;
            }
        }
    for (size_t i = 0; i < N_COMMON; i++)
        if (in_list(common_opts[i].names, name, n) || in_list(common_opts[i].aliases, name, n)) {
            f.o = &common_opts[i];
            return f;
        }
    return f;
}

/* ---- values ---- */

int cli_parse_count(const char *cmd, const char *name, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    if (!max)
        max = UINT32_MAX;
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return cli_usage_error(cmd, "%s: '%s' is not a count (a whole number: 4096, 32k)", name,
                               text);
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    if (*end)
        return cli_usage_error(cmd, "%s: '%s' is not a count (a whole number: 4096, 32k)", name,
                               text);
    if (errno == ERANGE || v > UINT64_MAX / mult || v * mult > max)
        return cli_usage_error(cmd, "%s: '%s' is too large (at most %llu)", name, text,
                               (unsigned long long)max);
    if (v * mult < min)
        return cli_usage_error(cmd, "%s: '%s' is too small (at least %llu)", name, text,
                               (unsigned long long)min);
    *out = v * mult;
    return 0;
}

int cli_parse_size(const char *cmd, const char *name, const char *text, uint64_t *out)
{
    og_error e;
    uint64_t v;
    if (og_parse_size(text, &v, &e) != OG_OK)
        return cli_usage_error(cmd, "%s: %s", name, e.message);
    /* a bare number is bytes to the library; a small one on the command line
     * is almost always a forgotten unit ("--mem 24" meaning 24 GiB): bare
     * numbers below 1 MiB are refused, larger ones are byte counts (scripts) */
    size_t n = strlen(text);
    if (v && v < (1u << 20) && n && (isdigit((unsigned char)text[n - 1]) || text[n - 1] == '.'))
        return cli_usage_error(cmd,
                               "%s: '%s' is not a size: no unit. Did you mean %sG? (K, M, G, T "
                               "are powers of 1024: G = GiB; write %sB for bytes)",
                               name, text, text, text);
    *out = v;
    return 0;
}

static int convert(const char *cmd, const cli_opt *o, const char *name, const char *text,
                   cli_value *v)
{
    v->str = text;
    v->choice = -1;
    if (!text)
        return 0;
    switch (o->type) {
    case CLI_T_COUNT:
        return cli_parse_count(cmd, name, text, o->min, o->max, &v->u);
    case CLI_T_SIZE:
        return cli_parse_size(cmd, name, text, &v->u);
    case CLI_T_NUM: {
        char *end;
        errno = 0;
        v->d = strtod(text, &end);
        if (!*text || *end || errno || v->d != v->d)
            return cli_usage_error(cmd, "%s expects a number, got '%s'", name, text);
        return 0;
    }
    case CLI_T_CHOICE:
        v->choice = list_index(o->values, text);
        if (v->choice < 0)
            return cli_usage_error(cmd, "%s: '%s' is not one of: %s", name, text,
                                   o->values ? o->values : "");
        return 0;
    default:
        return 0;
    }
}

static int common(const cli_spec *spec, const cli_opt *o, const cli_value *v)
{
    if (o->id == COMMON_HELP) {
        cli_help(spec, stdout);
        return CLI_DONE;
    }
    /* --color alone = always, as in GNU ls */
    cli_set_color(v->choice < 0 ? CLI_COLOR_ALWAYS : v->choice);
    return 0;
}

int cli_flag_handler(void *ctx, int id, const char *name, const cli_value *v)
{
    (void)id;
    (void)name;
    (void)v;
    *(int *)ctx = 1;
    return 0;
}

/* ---- the parser ---- */

static int plain_word_not_file(const char *w)
{
    if (!*w)
        return 0;
    for (const char *p = w; *p; p++)
        if (!isalpha((unsigned char)*p))
            return 0;
    struct stat st;
    return stat(w, &st) != 0;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, void *const ctx[], int *npos)
{
    const char *cmd = spec->name;
    int n = 0; /* positionals so far, compacted into argv[1..] */
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            argv[++n] = a;
            if (spec->pos == CLI_POS_COMMAND)
                only_pos = 1; /* run: what follows the command is the command's */
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        /* "-ngl", "--ctx-size", "--ctx-size=8k", "-c=8k" */
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        found f = lookup(spec, a, len);
        const char *attached = eq ? eq + 1 : NULL;
        char shortname[3] = {'-', 0, 0};
        const char *name = NULL;
        char namebuf[64];
        if (!f.o && a[1] != '-') {
            /* a cluster of one-letter options: "-jt", "-c8k" */
            for (const char *p = a + 1; *p; p++) {
                shortname[1] = *p;
                f = lookup(spec, shortname, 2);
                if (!f.o)
                    return cli_usage_error(cmd, "unknown option '%s'", shortname);
                if (f.o->type != CLI_T_FLAG) {
                    attached = p[1] ? p + 1 : NULL;
                    if (attached && *attached == '=')
                        attached++;
                    break;
                }
                if (p[1]) { /* a flag inside a cluster: handle it now */
                    cli_value v = {NULL, 0, 0, -1};
                    int rc = f.group < 0 ? common(spec, f.o, &v)
                                         : spec->groups[f.group]->handle(ctx[f.group], f.o->id,
                                                                         shortname, &v);
                    if (rc)
                        return rc;
                }
            }
            name = shortname;
        } else {
            if (!f.o) {
                snprintf(namebuf, sizeof namebuf, "%.*s", (int)(len < 60 ? len : 60), a);
                return cli_usage_error(cmd, "unknown option '%s'", namebuf);
            }
            snprintf(namebuf, sizeof namebuf, "%.*s", (int)(len < 60 ? len : 60), a);
            name = namebuf;
        }
        const char *val = NULL;
        if (f.o->type == CLI_T_FLAG) {
            if (attached)
                return cli_usage_error(cmd, "%s takes no value (got '%s')", name, attached);
        } else if (attached) {
            val = attached;
        } else if (f.o->flags & CLI_OPT_OPTIONAL) {
            /* the next word is the value when it is one of the values, or a
             * plain word (letters only, not a file) that was meant as one */
            if (i + 1 < argc &&
                (list_index(f.o->values, argv[i + 1]) >= 0 || plain_word_not_file(argv[i + 1])))
                val = argv[++i];
        } else {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "%s needs a value (%s)", name,
                                       f.o->metavar ? f.o->metavar : "a value");
            val = argv[++i];
        }
        cli_value v = {NULL, 0, 0, -1};
        int rc = convert(cmd, f.o, name, val, &v);
        if (rc)
            return rc;
        rc = f.group < 0 ? common(spec, f.o, &v)
                         : spec->groups[f.group]->handle(ctx[f.group], f.o->id, name, &v);
        if (rc)
            return rc;
    }
    if (n < spec->min_pos && spec->pos == CLI_POS_COMMAND)
        return cli_usage_error(cmd, "no command given (oomguard %s [options] -- COMMAND)", cmd);
    if (n < spec->min_pos)
        return cli_usage_error(cmd, "missing %s",
                               spec->pos_name               ? spec->pos_name
                               : spec->pos == CLI_POS_MODEL ? "MODEL"
                               : spec->pos == CLI_POS_FILE  ? "FILE"
                                                            : "argument");
    if (spec->max_pos >= 0 && n > spec->max_pos)
        return cli_usage_error(cmd, "unexpected argument '%s'%s", argv[spec->max_pos + 1],
                               spec->max_pos != 1           ? ""
                               : spec->pos == CLI_POS_MODEL ? " (one MODEL at most)"
                                                            : " (one at most)");
    if (npos)
        *npos = n;
    return 0;
}

/* ---- help ---- */

#define HELP_COL 27

static const char *metavar(const cli_opt *o, char *buf, size_t n)
{
    if (o->type == CLI_T_FLAG)
        return NULL;
    if (o->metavar)
        return o->metavar;
    switch (o->type) {
    case CLI_T_CHOICE: {
        size_t k = 0;
        for (const char *p = o->values; p && *p && k + 1 < n; p++)
            buf[k++] = *p == ' ' ? '|' : *p;
        buf[k] = '\0';
        return buf;
    }
    case CLI_T_COUNT:
        return "N";
    case CLI_T_SIZE:
        return "SIZE";
    case CLI_T_FILE:
        return "FILE";
    case CLI_T_MODEL:
        return "MODEL";
    case CLI_T_MACHINE:
        return "NAME|FILE";
    default:
        return "VALUE";
    }
}

static void help_row(const cli_opt *o, FILE *f)
{
    char mb[128], term[160];
    const char *mv = metavar(o, mb, sizeof mb);
    if (mv && (o->flags & CLI_OPT_OPTIONAL))
        snprintf(term, sizeof term, "%s[=%s]", o->names, mv);
    else
        snprintf(term, sizeof term, "%s%s%s", o->names, mv ? " " : "", mv ? mv : "");
    int w = fprintf(f, "  %s", term);
    const char *h = o->help ? o->help : "";
    if (w >= HELP_COL - 1) {
        fputc('\n', f);
        w = 0;
    }
    fprintf(f, "%*s", HELP_COL - w, "");
    for (const char *p = h; *p; p++) {
        fputc(*p, f);
        if (*p == '\n' && p[1])
            fprintf(f, "%*s", HELP_COL, "");
    }
    fputc('\n', f);
}

void cli_help(const cli_spec *spec, FILE *f)
{
    const char *u = spec->usage ? spec->usage : "[options]";
    fprintf(f, "Usage: oomguard%s%s ", spec->name ? " " : "", spec->name ? spec->name : "");
    for (const char *p = u; *p; p++) {
        if (*p == '\n')
            fprintf(f, "\n       oomguard%s%s ", spec->name ? " " : "",
                    spec->name ? spec->name : "");
        else
            fputc(*p, f);
    }
    fputc('\n', f);
    if (spec->description)
        fprintf(f, "\n%s\n", spec->description);
    if (!spec->name)
        cli_help_commands(f);
    int any_untitled = 0;
    for (int g = 0; g < CLI_MAX_GROUPS && spec->groups[g]; g++) {
        const cli_group *gr = spec->groups[g];
        size_t shown = 0;
        for (size_t i = 0; i < gr->n; i++)
            shown += !(gr->opts[i].flags & CLI_OPT_HIDDEN);
        if (!shown && !gr->note)
            continue;
        fprintf(f, "\n%s:\n", gr->title ? gr->title : "Options");
        any_untitled |= !gr->title;
        if (gr->note)
            fprintf(f, "%s\n", gr->note);
        for (size_t i = 0; i < gr->n; i++)
            if (!(gr->opts[i].flags & CLI_OPT_HIDDEN))
                help_row(&gr->opts[i], f);
    }
    if (!any_untitled)
        fprintf(f, "\nOptions:\n");
    for (size_t i = 0; i < N_COMMON; i++)
        help_row(&common_opts[i], f);
    if (spec->after)
        fprintf(f, "\n%s\n", spec->after);
}

/* ---- the table as JSON ---- */

static const char *type_name(cli_type t)
{
    static const char *const names[] = {"flag",  "string", "file",   "model", "machine",
                                        "count", "size",   "number", "choice"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "string";
}

static json_t *split_words(const char *list)
{
    json_t *a = json_array();
    const char *p = list;
    while (p && *p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (p > s)
            json_array_append_new(a, json_stringn(s, (size_t)(p - s)));
    }
    return a;
}

static json_t *opt_json(const cli_opt *o)
{
    char mb[128];
    const char *mv = metavar(o, mb, sizeof mb);
    json_t *j = json_object();
    json_object_set_new(j, "names", split_words(o->names));
    json_object_set_new(j, "aliases", split_words(o->aliases));
    json_object_set_new(j, "type", json_string(type_name(o->type)));
    json_object_set_new(j, "metavar", mv ? json_string(mv) : json_null());
    json_object_set_new(j, "values", split_words(o->values));
    json_object_set_new(j, "optional_value", json_boolean(o->flags & CLI_OPT_OPTIONAL));
    json_object_set_new(j, "hidden", json_boolean(o->flags & CLI_OPT_HIDDEN));
    json_object_set_new(j, "help", json_string(o->help ? o->help : ""));
    return j;
}

static json_t *spec_json(const cli_spec *s)
{
    static const char *const pos[] = {"none", "model", "file", "command", "command_name"};
    json_t *j = json_object();
    json_object_set_new(j, "name", s->name ? json_string(s->name) : json_null());
    json_object_set_new(j, "summary", json_string(s->summary ? s->summary : ""));
    json_t *usage = json_array();
    const char *u = s->usage ? s->usage : "[options]";
    while (u) {
        const char *nl = strchr(u, '\n');
        char line[256];
        snprintf(line, sizeof line, "oomguard%s%s %.*s", s->name ? " " : "", s->name ? s->name : "",
                 (int)(nl ? (size_t)(nl - u) : strlen(u)), u);
        json_array_append_new(usage, json_string(line));
        u = nl ? nl + 1 : NULL;
    }
    json_object_set_new(j, "usage", usage);
    json_object_set_new(j, "description", json_string(s->description ? s->description : ""));
    json_object_set_new(j, "positional", json_string(pos[s->pos]));
    json_t *groups = json_array();
    for (int g = 0; g < CLI_MAX_GROUPS && s->groups[g]; g++) {
        const cli_group *gr = s->groups[g];
        json_t *opts = json_array();
        for (size_t i = 0; i < gr->n; i++)
            json_array_append_new(opts, opt_json(&gr->opts[i]));
        json_array_append_new(groups, json_pack("{s:s, s:s, s:o}", "title",
                                                gr->title ? gr->title : "Options", "note",
                                                gr->note ? gr->note : "", "options", opts));
    }
    json_t *opts = json_array();
    for (size_t i = 0; i < N_COMMON; i++)
        json_array_append_new(opts, opt_json(&common_opts[i]));
    json_array_append_new(
        groups, json_pack("{s:s, s:s, s:o}", "title", "Options", "note", "", "options", opts));
    json_object_set_new(j, "groups", groups);
    json_object_set_new(j, "after", json_string(s->after ? s->after : ""));
    return j;
}

int cli_dump_spec(const cli_spec *top, const cli_spec *const *cmds, size_t n)
{
    json_t *j = json_object();
    json_object_set_new(j, "top", spec_json(top));
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, spec_json(cmds[i]));
    json_object_set_new(j, "commands", a);
    return cli_print_json(j);
}
