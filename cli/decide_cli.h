/* The CLI side of the decision core (include/oomguard/decide.h): what a user
 * typed (MODEL, --quant, the shared engine options, --mem) turned into an
 * og_decide_input, and the pieces every presenter prints the same way (the
 * budget chain, the limit line). Implemented in cli/decide_cli.c: parsing
 * and printing only; every number comes from og_decide. */
#ifndef OG_CLI_DECIDE_CLI_H
#define OG_CLI_DECIDE_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "engine_opts.h"
#include "oomguard/decide.h"

/* Open name. Catalog names: quant picks the build (NULL: mlx-4bit when
 * want_mlx, else Q4_K_M); a --quant of the other engine family is an error,
 * or, with match, the comparable build. *entry (may be NULL) gets the
 * catalog entry, NULL for files and URLs. err carries "did you mean". */
og_status cli_model_resolve(const char *name, const char *quant, int want_mlx, int match,
                            og_model **out, const og_catalog_entry **entry, og_error *err);

/* 1 when quant names an MLX build (mlx-4bit ...). */
int cli_quant_is_mlx(const char *quant);

/* The decision settings from the shared engine options: a context the user
 * did not give stays 0 (the defaults policy, docs/DOCTOR.md), --kv-bits 8/4
 * becomes -ctk/-ctv q8_0/q4_0 with flash attention for llama.cpp unless
 * -ctk/-ctv were given, --backend is kept only when given. Returns 0, or an
 * exit code with the message printed (--engine all is fit's alone; a context
 * outside 16 ... 16M). */
int cli_decide_settings(const cli_engine_opts *e, const char *cmd, uint64_t mem,
                        og_decide_settings *s);

/* The engine a CLI --engine value and a model resolve to. */
og_engine cli_decide_engine(const cli_engine_opts *e, const og_model *m);

/* "64.0 GiB RAM - 8.00 GiB macOS floor - ... = 47.0 GiB usable" (one line). */
void cli_budget_line(const og_decided_budget *b, char *buf, size_t n);
/* The chain as printed under "budget" (one line per deduction) and as JSON. */
void cli_print_budget(FILE *f, const char *indent, const og_decided_budget *b);
json_t *cli_budget_json(const og_decided_budget *b);
json_t *cli_limit_json(const og_limit_advice *l);
/* llama.cpp's --fit placement in one line ("" when every layer is on the GPU),
 * and as JSON (null when --fit's placement was not tried). */
void cli_placement_line(const og_decision *d, char *buf, size_t n);
json_t *cli_placement_json(const og_decision *d);
/* A decision's verdict, context story and advice as JSON members added to j. */
void cli_decision_json(json_t *j, const og_decision *d);

#endif
