/* oomguard fit: shared by cmd_fit.c (options, model, machine, the command),
 * fit_print.c (one engine's answer from og_decide: table and JSON) and
 * fit_multi.c (--engine all, --machines, --all-quants). Calls go one way:
 * cmd_fit.c -> fit_multi.c -> fit_print.c. */
#ifndef OG_CLI_FIT_H
#define OG_CLI_FIT_H

#include <jansson.h>

#include "cli.h"
#include "engine_opts.h"
#include "oomguard/decide.h"

enum { ENG_AUTO = 0, ENG_LLAMA, ENG_OLLAMA, ENG_MLX, ENG_ALL };

typedef struct fit_opts {
    cli_engine_opts eo; /* the shared engine options as given */
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
    int cluster_engine;  /* 0 all, 1 llama.cpp RPC, 2 exo, 3 MLX distributed */
} fit_opts;

typedef struct fit_env {
    fit_opts *o;
    og_machine *mach; /* NULL: unknown */
    og_budget budget; /* the pools as og_machine_budget (or --mem) gives them: for
                         llama.cpp's --fit prediction (cli/fit_llamafit.c) */
    int have_budget;  /* a machine or --mem */
    char src[200];
} fit_env;

typedef struct summary {
    char engine[16], build[64];
    uint64_t weights, kv, compute, output, total, peak, ctx, max_ctx;
    int has_verdict, fits;
    char verdict[24];
} summary;

json_t *fit_budget_json(const fit_env *v, const og_budget *b);
/* The decision for one model and engine with fit's settings (alternatives:
 * 1 = search builds / smaller models for the advice). */
/* fit's --fit, --fit-target, --fit-ctx and -c 0 as og_decide takes them. */
void fit_decide_fit(const fit_opts *o, og_decide_fit *f);
og_status fit_decide(const fit_env *v, const og_model *m, const og_catalog_entry *entry,
                     og_engine engine, int alternatives, og_decision *d, og_error *err);
/* One engine's answer. Return an exit code; *jout gets the JSON when asked. */
int fit_run_llama(fit_env *v, og_model *m, const og_catalog_entry *entry, int print, json_t **jout,
                  summary *sum);
int fit_run_mlx(fit_env *v, og_model *m, const og_catalog_entry *entry, int print, json_t **jout,
                summary *sum);
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
const char *fit_better_of(const summary *l, const summary *x);
void fit_print_side_by_side(const fit_env *v, const summary *s, int n, const char *better);
int fit_run_machines(fit_env *v, og_model *m, const og_catalog_entry *entry, int mlx);
int fit_run_all_quants(fit_env *v);
/* --cluster: llama.cpp RPC and exo over several machines, or (mlx, or
 * --cluster-engine mlx) MLX distributed (cli/fit_cluster.c). */
int fit_run_cluster(fit_env *v, og_model *m, const og_catalog_entry *entry, int mlx);

#endif
