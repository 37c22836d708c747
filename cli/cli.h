/* Shared helpers for the oomguard command-line tool. The tool uses only the
 * public library API (include/oomguard). */
#ifndef OG_CLI_H
#define OG_CLI_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "oomguard/oomguard.h"
#include "opts.h"

/* Exit codes (documented in README and oomguard(1)). */
enum {
    OG_EXIT_OK = 0,      /* ok / fits */
    OG_EXIT_PROBLEM = 1, /* does not fit, or a problem was found */
    OG_EXIT_USAGE = 2,   /* bad input or usage */
    OG_EXIT_INTERNAL = 3 /* internal error */
};

/* One command: its option table (cli/opts.h: name, summary, usage, options)
 * and its entry point. The table in cli/main.c lists them all. */
typedef struct cli_command {
    const cli_spec *spec;
    int (*run)(int argc, char **argv);
} cli_command;

/* The commands' tables (cli/cmd_*.c); cli_spec_overview is plain `oomguard`. */
extern const cli_spec cli_spec_overview, cli_spec_inspect, cli_spec_ls, cli_spec_fit,
    cli_spec_machine, cli_spec_doctor, cli_spec_wired, cli_spec_top, cli_spec_explain, cli_spec_run,
    cli_spec_history, cli_spec_catalog;

/* The "Commands:" list of `oomguard --help` (cli/main.c). */
void cli_help_commands(FILE *f);

/* Colour: --color=always, or (auto) on a TTY when NO_COLOR is unset
 * (https://no-color.org) and TERM is not dumb; never with --color=never. */
int cli_use_color(FILE *f);
const char *cli_c(FILE *f, const char *code); /* "" when colour is off */
#define CLI_BOLD "\033[1m"
#define CLI_DIM "\033[2m"
#define CLI_RED "\033[31m"
#define CLI_GREEN "\033[32m"
#define CLI_YELLOW "\033[33m"
#define CLI_CYAN "\033[36m"
#define CLI_RESET "\033[0m"

/* Print "oomguard: <message>" to stderr and return the exit code for the status. */
int cli_fail(const og_error *err);
/* printf-style usage error: prints, returns OG_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(og_status st);

/* A JSON integer for a byte count or size (clamped to INT64_MAX). */
json_t *cli_json_u64(uint64_t v);

/* A JSON number rounded to `decimals` places (seconds to the millisecond:
 * 3), so it prints as 1.234, not 1.2339999999999999. */
json_t *cli_json_real(double v, int decimals);

/* Print JSON (indented, key order kept) to stdout and free it. */
int cli_print_json(json_t *j);

/* Human size: "4.21 GiB". Uses a rotating static buffer (8 slots). */
const char *cli_bytes(uint64_t bytes);

/* Terminal width: COLUMNS, else the TTY's (TIOCGWINSZ), else 80. */
int cli_term_width(void);

/* Display columns of UTF-8 text (one per character). */
int cli_text_cols(const char *s);

/* s in at most w columns: cut at the end (names of things), in the middle
 * (model names: the start and the quantization suffix stay readable) or at
 * the start (paths: the file stays), marked with an ellipsis (U+2026 in a
 * UTF-8 locale, else "~"; one column). Returns s or buf. */
typedef enum cli_cut_at { CLI_CUT_END, CLI_CUT_MID, CLI_CUT_START } cli_cut_at;
const char *cli_cut(const char *s, int w, cli_cut_at at, char *buf, size_t n);

/* s padded with spaces to w columns. */
void cli_pad(FILE *o, const char *s, int w);

/* text word-wrapped to width columns; lines after the first indented. */
void cli_wrap(FILE *o, const char *text, int width, int indent);

/* Open a model (og_model_open); remote sources show progress on a TTY. */
og_status cli_open_model(const char *source, og_model **out, og_error *err);

/* The models people already have (cli/resolve.c): what the user typed as
 * MODEL, made into what og_model_open / og_remote_open / the catalog take:
 *  - a name `oomguard ls` prints (ORG/REPO:FILE.gguf, an LM Studio
 *    ORG/REPO/FILE.gguf, qwen3:8b from the Ollama store): its path (a
 *    catalog name that is also a local copy: the copy, said on stderr);
 *  - hf://ORG/REPO[/FILE] and ollama://NAME[:TAG]: the local copy in the
 *    Hugging Face cache, LM Studio folders or the Ollama store first (said on
 *    stderr); with HF_HUB_OFFLINE set and no copy, an error;
 *  - a folder holding several models: they are listed, NULL (exit 2);
 *  - a catalog name (catalog_copies set: no --quant, no --engine): its one
 *    local copy in the stores (HF cache, LM Studio, Ollama alias), said on
 *    stderr; several copies: the catalog entry, and the copies are listed;
 *  - anything else: unchanged.
 * Returns NULL with *rc set (message printed) on an error. */
const char *cli_model_arg(const char *arg, int catalog_copies, int *rc);

/* 1 if argv[i] is -h/--help. */
int cli_is_help(const char *arg);

/* Commands (cli/cmd_*.c). */
int cmd_overview(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_machine(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_wired(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_complete(int argc, char **argv); /* hidden: oomguard __complete LIST */

/* --cluster A,B,... (fit, run): each host a preset, a snapshot file, or 'this'/'local'
 * (this machine, probed), at most OG_CLUSTER_MAX_HOSTS. Fills mach[0..*n) and names;
 * *local = the index of the first 'this'/'local', or -1. OG_ERR_INVALID: a malformed
 * list (err says how); else the load or probe error. cli/fit_cluster.c. */
og_status cli_cluster_hosts(const char *list, og_machine *mach, char (*names)[64], uint32_t *n,
                            int *local, og_error *err);

#endif
