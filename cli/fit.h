/* oomguard fit: shared between cmd_fit.c (options, model, budget, the
 * command), fit_engines.c (one engine's answer: table and JSON) and
 * fit_multi.c (--engine all, --machines, --all-quants). */
#ifndef OG_CLI_FIT_H
#define OG_CLI_FIT_H

#include <jansson.h>

#include "cli.h"

enum { ENG_AUTO = 0, ENG_LLAMA, ENG_OLLAMA, ENG_MLX, ENG_ALL };

typedef struct fit_opts {
    og_llama_settings s;
    og_mlx_settings ms;
    const char *model, *mmproj, *draft, *machine, *quant;
    uint64_t mem;
    int have_mem, json, backend_set, engine, ctx_set, machines, all_quants;
} fit_opts;

typedef struct fit_env {
    fit_opts *o;
    og_machine *mach; /* NULL: unknown */
    og_budget budget;
    int have_budget;
    char src[200];
} fit_env;

typedef struct summary {
    char engine[16], build[64];
    uint64_t weights, kv, compute, output, total, peak, ctx, max_ctx;
    int has_verdict, fits;
    char verdict[24];
} summary;

int fit_machine_is_mac(const og_machine *m);
json_t *fit_budget_json(const fit_env *v, const og_budget *b);
/* A path, a remote source, or a catalog name (quant picks the build; want_mlx
 * / match: see cmd_fit.c). */
og_status fit_resolve_model(const char *name, const char *quant, int want, int match,
                            og_model **out, og_error *err);
/* One engine's answer. Return an exit code; *jout gets the JSON when asked. */
int fit_run_llama(fit_env *v, og_model *m, int print, json_t **jout, summary *sum);
int fit_run_mlx(fit_env *v, og_model *m, int print, json_t **jout, summary *sum);
const char *fit_better_of(const summary *l, const summary *x);
void fit_print_side_by_side(const fit_env *v, const summary *s, int n, const char *better);
int fit_run_machines(fit_env *v, og_model *m, int mlx);
int fit_run_all_quants(fit_env *v);

#endif
