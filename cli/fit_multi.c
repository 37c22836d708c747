/* oomguard fit: --engine all (side by side), --machines, --all-quants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

/* ---- --engine all: side by side ---- */

const char *fit_better_of(const summary *l, const summary *x)
{
    if (l->has_verdict && x->has_verdict && l->fits != x->fits)
        return l->fits ? l->engine : x->engine;
    return x->peak < l->peak ? x->engine : l->engine;
}

void fit_print_side_by_side(const fit_env *v, const summary *s, int n, const char *better)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    char h[2][96];
    for (int i = 0; i < n; i++)
        snprintf(h[i], sizeof h[i], "%s (%.40s)", s[i].engine, s[i].build);
    fprintf(out, "%sModel%s     %s at ctx %llu\n\n", B, R, v->o->model,
            (unsigned long long)s[0].ctx);
    fprintf(out, "%s%-12s %-30s %-30s%s\n", B, "", h[0], n > 1 ? h[1] : "", R);
#define ROW(label, field)                                                                          \
    fprintf(out, "%-12s %-30s %-30s\n", label, cli_bytes(s[0].field),                              \
            n > 1 ? cli_bytes(s[1].field) : "")
    ROW("weights", weights);
    ROW("kv cache", kv);
    ROW("compute", compute);
    ROW("output", output);
    ROW("total", total);
    ROW("peak", peak);
#undef ROW
    char c[2][32];
    for (int i = 0; i < n; i++)
        snprintf(c[i], sizeof c[i], "%llu", (unsigned long long)s[i].max_ctx);
    fprintf(out, "%-12s %-30s %-30s\n", "verdict", s[0].verdict, n > 1 ? s[1].verdict : "");
    fprintf(out, "%-12s %-30s %-30s\n", "max ctx", s[0].has_verdict ? c[0] : "-",
            n > 1 ? (s[1].has_verdict ? c[1] : "-") : "");
    fprintf(out, "\nbudget     %s%s%s\n", D, v->src, R);
    fprintf(out, "better     %s%s%s (%s)\n", B, better, R,
            s[0].has_verdict && s[1].has_verdict && s[0].fits != s[1].fits
                ? "the one that fits"
                : "less memory at this context");
    fprintf(out, "%sDetails: oomguard fit %s --engine mlx | --engine llama.cpp%s\n", D, v->o->model,
            R);
}

/* ---- --machines ---- */

typedef struct machine_row {
    const char *preset;
    uint64_t ram_bytes;
    int ok; /* decided (MLX: an Apple preset) */
    int fits;
    uint64_t need, budget, max_ctx;
    char note[160];
} machine_row;

static int cmp_ram(const void *a, const void *b)
{
    const machine_row *x = a, *y = b;
    return x->ram_bytes < y->ram_bytes ? -1 : x->ram_bytes > y->ram_bytes;
}

/* Every preset through the decision core with fit's settings: the same
 * answer `fit MODEL --machine PRESET` gives. */
int fit_run_machines(fit_env *v, og_model *m, const og_catalog_entry *entry, int mlx)
{
    fit_opts *o = v->o;
    uint32_t np = og_machine_preset_count();
    machine_row *rows = calloc(np ? np : 1, sizeof *rows);
    og_machine *pm = calloc(1, sizeof *pm);
    og_decision *d = calloc(1, sizeof *d);
    if (!rows || !pm || !d) {
        free(rows);
        free(pm);
        free(d);
        return OG_EXIT_INTERNAL;
    }
    og_engine eng = mlx                                     ? OG_ENGINE_MLX
                    : o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? OG_ENGINE_OLLAMA
                                                            : OG_ENGINE_LLAMA_CPP;
    og_machine *saved = v->mach;
    int saved_mem = o->have_mem;
    o->have_mem = 0; /* each preset's own budget */
    uint32_t n = 0;
    uint32_t ctx_shown = 0;
    for (uint32_t i = 0; i < np; i++) {
        og_error err;
        if (og_machine_preset(og_machine_preset_name(i), pm, &err) != OG_OK)
            continue;
        machine_row *r = &rows[n++];
        r->preset = og_machine_preset_name(i);
        r->ram_bytes = pm->ram_bytes;
        v->mach = pm;
        og_status st = fit_decide(v, m, entry, eng, 0, d, &err);
        if (st != OG_OK) {
            snprintf(r->note, sizeof r->note, "%.150s",
                     st == OG_ERR_UNSUPPORTED ? "MLX needs Apple Silicon" : err.message);
            continue;
        }
        r->ok = 1;
        r->fits = d->fits;
        r->need = d->plan.gpu_need_bytes;
        r->budget = d->budget.usable_bytes;
        r->max_ctx = d->max_ctx;
        if (!ctx_shown)
            ctx_shown = d->n_ctx_asked;
        if (d->placement.placed)
            snprintf(r->note, sizeof r->note, "%s in RAM (--fit: %u of %u layers on the GPU%s)",
                     cli_bytes(d->placement.host_bytes), d->placement.n_layers_gpu,
                     d->placement.n_layers, d->placement.n_partial ? ", part of them" : "");
        else if (d->fits && d->ctx_lowered_by_fit)
            snprintf(r->note, sizeof r->note, "--fit lowers the context to %u", d->plan.n_ctx);
        else if (!d->fits && d->fits_if_limit_raised)
            snprintf(r->note, sizeof r->note, "fits after %.140s", d->limit.command);
    }
    v->mach = saved;
    o->have_mem = saved_mem;
    free(pm);
    free(d);
    qsort(rows, n, sizeof *rows, cmp_ram);
    const char *first = NULL;
    for (uint32_t i = 0; i < n && !first; i++)
        if (rows[i].fits)
            first = rows[i].preset;
    const char *eng_name = og_engine_name(eng);
    if (o->json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:s, s:I, s:b, s:I, s:I, s:I, s:s}", "preset", rows[i].preset,
                               "ram_bytes", (json_int_t)rows[i].ram_bytes, "fits", rows[i].fits,
                               "total_bytes", (json_int_t)rows[i].need, "budget_bytes",
                               (json_int_t)rows[i].budget, "max_ctx", (json_int_t)rows[i].max_ctx,
                               "note", rows[i].note));
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "engine", eng_name, "model", o->model,
                      "build", m->quant_label, "ctx", (json_int_t)ctx_shown, "machines", arr,
                      "smallest", first ? json_string(first) : json_null());
        int prc = cli_print_json(j);
        free(rows);
        return prc ? prc : first ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    }
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    printf("%s%s%s (%s) with %s at ctx %u: which machine?\n\n", B, m->name ? m->name : o->model, R,
           m->quant_label, eng_name, ctx_shown);
    printf("%s%-18s %10s %12s %12s  %-5s %-8s %s%s\n", B, "MACHINE", "RAM", "NEEDS", "BUDGET",
           "FITS", "MAX CTX", "NOTE", R);
    for (uint32_t i = 0; i < n; i++) {
        const machine_row *r = &rows[i];
        char ctx[32];
        snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)r->max_ctx);
        printf("%s%-18s %10s %12s %12s  %-5s %-8s %s%s\n", r->fits ? "" : D, r->preset,
               cli_bytes(r->ram_bytes), r->ok ? cli_bytes(r->need) : "-",
               r->ok ? cli_bytes(r->budget) : "-",
               r->fits ? "yes"
               : r->ok ? "no"
                       : "n/a",
               r->max_ctx ? ctx : "-", r->note, r->fits ? "" : R);
    }
    if (first)
        printf("\nsmallest that fits: %s%s%s\n", B, first, R);
    else
        printf("\nno preset fits\n");
    printf("%sEach row is `oomguard fit %s --machine PRESET` (the same settings and defaults).%s\n",
           D, o->model, R);
    free(rows);
    return first ? OG_EXIT_OK : OG_EXIT_PROBLEM;
}

/* ---- --all-quants ---- */

typedef struct quant_row {
    char *source;
    const char *file;
    uint64_t weights, total, max_ctx;
    int has_verdict;
    og_fit_verdict verdict;
} quant_row;

static int cmp_quant(const void *a, const void *b)
{
    const quant_row *x = a, *y = b;
    return x->weights < y->weights ? -1 : x->weights > y->weights;
}

int fit_run_all_quants(fit_env *v)
{
    fit_opts *o = v->o;
    if (strncmp(o->model, "hf://", 5) != 0)
        return cli_usage_error("fit",
                               "--all-quants needs a Hugging Face repository "
                               "(hf://ORG/REPO), got '%s'",
                               o->model);
    og_error err;
    og_error_clear(&err);
    og_remote_options ro;
    og_remote_options_default(&ro);
    char **names = NULL;
    uint32_t n = 0;
    if (og_remote_list_gguf(o->model, &ro, &names, &n, &err) != OG_OK)
        return cli_fail(&err);
    if (n == 0) {
        og_remote_list_free(names, n);
        og_error_set(&err, OG_ERR_NOT_FOUND, "%s: no GGUF files in this repository", o->model);
        return cli_fail(&err);
    }
    quant_row *rows = calloc(n, sizeof *rows);
    if (!rows) {
        og_remote_list_free(names, n);
        return OG_EXIT_INTERNAL;
    }
    int have = v->have_budget;
    int rc = OG_EXIT_OK, any_fit = 0;
    uint32_t k = 0;
    og_decision *d = calloc(1, sizeof *d);
    if (!d) {
        free(rows);
        og_remote_list_free(names, n);
        return OG_EXIT_INTERNAL;
    }
    og_engine eng = o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? OG_ENGINE_OLLAMA : OG_ENGINE_LLAMA_CPP;
    for (uint32_t i = 0; i < n; i++) {
        og_model *m = NULL;
        og_llama_memplan plan;
        if (cli_open_model(names[i], &m, &err) != OG_OK ||
            (!have && og_llama_plan(m, &o->s, &plan, &err) != OG_OK) ||
            (have && fit_decide(v, m, NULL, eng, 0, d, &err) != OG_OK)) {
            fprintf(stderr, "oomguard: %s: %s (skipped)\n", names[i], err.message);
            og_model_free(m);
            continue;
        }
        if (have)
            plan = d->llama;
        quant_row *r = &rows[k++];
        r->source = names[i];
        const char *slash = strrchr(names[i], '/');
        r->file = slash ? slash + 1 : names[i];
        r->weights = plan.component_bytes[OG_COMP_WEIGHTS];
        r->total = plan.total_bytes;
        r->has_verdict = have;
        r->verdict = have ? d->verdict : OG_FIT_NO;
        r->max_ctx = have ? d->max_ctx : 0;
        any_fit |= have && d->fits;
        og_model_free(m);
    }
    free(d);
    if (k == 0) {
        fprintf(stderr, "oomguard: no GGUF in %s could be planned\n", o->model);
        rc = OG_EXIT_USAGE;
        goto out;
    }
    qsort(rows, k, sizeof *rows, cmp_quant);
    rc = !have || any_fit ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    if (o->json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < k; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "file", rows[i].file, "source",
                          rows[i].source, "weights_bytes", (json_int_t)rows[i].weights,
                          "total_bytes", (json_int_t)rows[i].total, "verdict",
                          rows[i].has_verdict ? json_string(og_fit_verdict_name(rows[i].verdict))
                                              : json_null(),
                          "max_ctx",
                          rows[i].has_verdict ? cli_json_u64(rows[i].max_ctx) : json_null()));
        json_t *j = json_pack("{s:s, s:s, s:I, s:o, s:o}", "engine",
                              o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp",
                              "model", o->model, "ctx", (json_int_t)o->s.n_ctx, "budget",
                              fit_budget_json(v, NULL), "quants", arr);
        int prc = cli_print_json(j);
        if (prc)
            rc = prc;
        goto out;
    }
    const char *B = cli_c(stdout, CLI_BOLD), *R = cli_c(stdout, CLI_RESET);
    printf("%s%s%s: %u GGUF quants, smallest first (budget: %s)\n\n", B, o->model, R, k, v->src);
    printf("%s%-40s %12s %12s  %-13s %s%s\n", B, "FILE", "WEIGHTS", "TOTAL", "VERDICT", "MAX CTX",
           R);
    for (uint32_t i = 0; i < k; i++) {
        char ctx[32];
        snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)rows[i].max_ctx);
        printf("%-40.40s %12s %12s  %-13s %s\n", rows[i].file, cli_bytes(rows[i].weights),
               cli_bytes(rows[i].total),
               rows[i].has_verdict ? og_fit_verdict_name(rows[i].verdict) : "unknown",
               rows[i].has_verdict ? ctx : "-");
    }
out:
    free(rows);
    og_remote_list_free(names, n);
    return rc;
}
