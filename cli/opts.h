/* One option table for every command: parsing (GNU style), --help, the man
 * page and the shell completions all come from it (cli/opts.c; the man page
 * and completions through `oomguard __spec`, read by man/gen_from_table.py).
 *
 * A command declares a cli_spec: its usage, description, option groups and
 * the notes after them. Each group is a table of cli_opt rows plus the
 * handler that stores a parsed value. cli_parse() walks argv:
 *   - options may come before or after the positional arguments;
 *   - "--" ends the options (everything after it is positional);
 *   - "--name=value", "--name value", "-x value", "-xVALUE" and clusters of
 *     one-letter flags ("-jt") are accepted; llama.cpp's multi-letter short
 *     names ("-ngl", "-ctk") are names of their own;
 *   - an unknown option is named as typed ("unknown option '-z'"), and any
 *     usage error exits 2;
 *   - counts take k/M suffixes (32k = 32768), sizes need a unit (24 is an
 *     error that suggests 24G) — see cli_parse_count / cli_parse_size.
 * -h/--help and --color=WHEN are accepted by every command.
 *
 * Adding a command: write its cli_spec (and groups) in cli/cmd_NAME.c, call
 * cli_parse() at the top of cmd_NAME(), and add {&cli_spec_NAME, cmd_NAME}
 * to the table in cli/main.c. Adding an option: one row in the right group
 * and one case in that group's handler. See /work/coord/NOTES-grammar.md. */
#ifndef OG_CLI_OPTS_H
#define OG_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_type {
    CLI_T_FLAG = 0, /* no value */
    CLI_T_STR,      /* any word */
    CLI_T_FILE,     /* a path (completes files) */
    CLI_T_MODEL,    /* a model: path, remote source, catalog or local name */
    CLI_T_MACHINE,  /* a machine preset or a saved snapshot file */
    CLI_T_COUNT,    /* a whole number; k = 1024, M = 1024^2 (32k = 32768) */
    CLI_T_SIZE,     /* bytes with a unit: 512M, 24G (= GiB), 1.5T; 0 needs none */
    CLI_T_NUM,      /* a decimal number (seconds, ...) */
    CLI_T_CHOICE    /* one of `values` */
} cli_type;

enum {
    CLI_OPT_HIDDEN = 1u,   /* accepted, not documented (tests) */
    CLI_OPT_OPTIONAL = 2u, /* the value may be left out: the next word is taken only
                              when it is one of `values` ("-fa" or "-fa on") */
};

typedef struct cli_opt {
    int id;              /* the group's key for it, passed to the handler */
    const char *names;   /* shown: "-c, --ctx-size" (comma-separated) */
    const char *aliases; /* also accepted, not shown: "--ctx -n" (space-separated) */
    cli_type type;
    const char *metavar; /* "N", "SIZE"; NULL: from the type or the values */
    const char *values;  /* CHOICE values, space-separated; completion words */
    const char *help;    /* one line; "\n" starts a continuation line */
    unsigned flags;      /* CLI_OPT_* */
    uint64_t min, max;   /* CLI_T_COUNT range (max 0 = UINT32_MAX) */
} cli_opt;

typedef struct cli_value {
    const char *str; /* the value as typed; NULL for a flag or a left-out optional value */
    uint64_t u;      /* CLI_T_COUNT, CLI_T_SIZE */
    double d;        /* CLI_T_NUM */
    int choice;      /* CLI_T_CHOICE: index in values (-1 when left out) */
} cli_value;

/* Store one option. `name` is the option as typed (for messages). Return 0,
 * or an exit code (after printing with cli_usage_error). */
typedef int (*cli_handler)(void *ctx, int id, const char *name, const cli_value *v);

typedef struct cli_group {
    const char *title; /* "Settings (llama.cpp's own names)"; NULL = "Options" */
    const char *note;  /* lines printed under the title, or NULL */
    const cli_opt *opts;
    size_t n;
    cli_handler handle;
} cli_group;

/* What the positional arguments are (for completions). */
typedef enum cli_pos {
    CLI_POS_NONE = 0,
    CLI_POS_MODEL,   /* a model (catalog names, local names, files) */
    CLI_POS_FILE,    /* files */
    CLI_POS_COMMAND, /* a command line (run): options end at its first word */
    CLI_POS_COMMAND_NAME
} cli_pos;

#define CLI_MAX_GROUPS 8

typedef struct cli_spec {
    const char *name;        /* "fit" (NULL: plain `oomguard`) */
    const char *summary;     /* one line, for `oomguard --help` */
    const char *usage;       /* after "oomguard NAME ": "MODEL [options]"; "\n" = another line */
    const char *description; /* paragraphs ("\n\n" between them) */
    cli_pos pos;
    const char *pos_name; /* "MODEL", "LOGFILE" (messages; NULL: from pos) */
    int min_pos, max_pos; /* positional count (max -1: any) */
    const char *after;    /* notes after the options ("Exit codes: ..."), or NULL */
    const cli_group *groups[CLI_MAX_GROUPS]; /* NULL-terminated */
} cli_spec;

/* cli_parse's return when it printed the help: exit 0. */
#define CLI_DONE (-1)

/* Parse argv[1..argc-1] against spec. ctx[i] is the handler context of
 * spec->groups[i]. The positional arguments are moved, in order, to
 * argv[1..*npos] (option values stay valid: they point into the strings).
 * Returns 0, CLI_DONE (help printed), or an exit code (message printed). */
int cli_parse(const cli_spec *spec, int argc, char **argv, void *const ctx[], int *npos);

/* A handler for a group of flags only: sets the int ctx points at to 1
 * (e.g. a command whose only option is --json). */
int cli_flag_handler(void *ctx, int id, const char *name, const cli_value *v);

/* The help text, generated from the table. */
void cli_help(const cli_spec *spec, FILE *f);

/* Value parsers (shared with handlers that take "all" or "-1" too).
 * Return 0 or print a usage error for `name` and return the exit code. */
int cli_parse_count(const char *cmd, const char *name, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out);
int cli_parse_size(const char *cmd, const char *name, const char *text, uint64_t *out);

/* --color=auto|always|never (every command); NO_COLOR wins over auto only. */
enum { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
void cli_set_color(int mode);
int cli_color_mode(void);

/* The whole table as JSON on stdout (hidden `oomguard __spec`): commands,
 * usage, description, groups, options (names, aliases, type, metavar,
 * values, help), positional kind, notes. */
int cli_dump_spec(const cli_spec *top, const cli_spec *const *cmds, size_t n);

#endif
