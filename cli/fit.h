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
    /* llama.cpp --fit and placement (applied to s after parsing) */
    int fit_off, ctx_zero;
    uint32_t fit_ctx, n_fit_target;
    uint64_t fit_target_mib[OG_LLAMA_MAX_DEVICES];
    const char *ot[16];
    uint32_t n_ot;
    int32_t cpu_moe; /* -1 none, -2 --cpu-moe, N: --n-cpu-moe N */
    const char *ts;
    int split_mode, main_gpu, main_gpu_set;
    unsigned given;      /* CLI_SET_* of the engine options */
    const char *cluster; /* --cluster A,B,... */
    int cluster_engine;  /* 0 all, 1 llama.cpp RPC, 2 exo */
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
/* --engine ollama: Ollama's own arguments for llama-server (og_ollama_prepare)
 * from the flags and the OLLAMA_* environment, adopted into v->o->s; its
 * projector fit target into v->o->fit_target_mib. */
int fit_ollama_prepare(fit_env *v, og_model *m, og_ollama_launch *L);
void fit_ollama_print(const og_ollama_launch *L);
json_t *fit_ollama_json(const og_ollama_launch *L);

/* llama.cpp's --fit on this machine (cli/fit_llamafit.c). */
typedef struct fit_llamafit {
    og_fitp_result r;       /* the prediction */
    og_fitp_input in;       /* the devices it ran on */
    og_llama_settings user; /* the settings as the user gave them */
} fit_llamafit;
/* The prediction (malloc'd; NULL when it does not apply: --mem, no machine)
 * with the fitted settings adopted into v->o->s. *rc: an exit code for bad
 * settings (0 otherwise). */
fit_llamafit *fit_llama_fit(fit_env *v, og_model *m, int *rc);
/* The headline ("llama.cpp will start this with ..."), per device, and what
 * changes when the user pins settings; p = the plan of the adopted settings. */
void fit_llama_fit_print(const fit_env *v, const og_model *m, const fit_llamafit *f,
                         const og_llama_memplan *p);
json_t *fit_llama_fit_json(const fit_env *v, const og_model *m, const fit_llamafit *f);
int fit_run_mlx(fit_env *v, og_model *m, int print, json_t **jout, summary *sum);
const char *fit_better_of(const summary *l, const summary *x);
void fit_print_side_by_side(const fit_env *v, const summary *s, int n, const char *better);
int fit_run_machines(fit_env *v, og_model *m, int mlx);
int fit_run_all_quants(fit_env *v);
/* --cluster: llama.cpp RPC and exo over several machines (cli/fit_cluster.c). */
int fit_run_cluster(fit_env *v, og_model *m);

#endif
