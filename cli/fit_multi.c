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

typedef struct machines_user {
    fit_opts *o;
    int mlx;
} machines_user;

static og_status machines_fn(const og_model *model, const og_machine *machine,
                             const og_fit_settings *s, og_fit_result *out, void *user,
                             og_error *err)
{
    const machines_user *u = user;
    if (u->mlx) {
        if (!fit_machine_is_mac(machine)) {
            memset(out, 0, sizeof *out);
            snprintf(out->note, sizeof out->note, "MLX needs Apple Silicon");
            return OG_OK;
        }
        return og_fit_mlx(model, machine, s, out, &u->o->ms, err);
    }
    og_llama_settings ls = u->o->s;
    if (!u->o->backend_set)
        ls.backend = og_machine_backend(machine);
    return og_fit_llama(model, machine, s, out, &ls, err);
}

int fit_run_machines(fit_env *v, og_model *m, int mlx)
{
    fit_opts *o = v->o;
    og_fit_settings fs = {0};
    fs.ctx = o->ctx_set ? o->s.n_ctx : 8192;
    machines_user u = {o, mlx};
    og_machine_fit *rows = calloc(256, sizeof *rows);
    if (!rows)
        return OG_EXIT_INTERNAL;
    uint32_t n = 0;
    og_error err;
    og_error_clear(&err);
    if (og_fit_machines(m, &fs, machines_fn, &u, rows, 256, &n, &err) != OG_OK) {
        free(rows);
        return cli_fail(&err);
    }
    const char *first = NULL;
    for (uint32_t i = 0; i < n && !first; i++)
        if (rows[i].result.fits)
            first = rows[i].preset;
    const char *eng = mlx ? "mlx" : o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp";
    if (o->json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:I, s:b, s:I, s:I, s:I, s:s}", "preset", rows[i].preset,
                          "ram_bytes", (json_int_t)rows[i].ram_bytes, "fits", rows[i].result.fits,
                          "total_bytes", (json_int_t)rows[i].result.total_bytes, "budget_bytes",
                          (json_int_t)rows[i].result.budget_bytes, "max_ctx",
                          (json_int_t)rows[i].result.max_ctx, "note", rows[i].result.note));
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "engine", eng, "model", o->model,
                              "build", m->quant_label, "ctx", (json_int_t)fs.ctx, "machines", arr,
                              "smallest", first ? json_string(first) : json_null());
        int prc = cli_print_json(j);
        free(rows);
        return prc ? prc : first ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    }
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    printf("%s%s%s (%s) with %s at ctx %llu: which machine?\n\n", B, m->name ? m->name : o->model,
           R, m->quant_label, eng, (unsigned long long)fs.ctx);
    printf("%s%-18s %10s %12s %12s  %-12s %s%s\n", B, "MACHINE", "RAM", "NEEDS", "BUDGET", "FITS",
           "MAX CTX", R);
    for (uint32_t i = 0; i < n; i++) {
        const og_fit_result *r = &rows[i].result;
        char ctx[32];
        snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)r->max_ctx);
        printf("%s%-18s %10s %12s %12s  %-12s %s%s\n", r->fits ? "" : D, rows[i].preset,
               cli_bytes(rows[i].ram_bytes), r->total_bytes ? cli_bytes(r->total_bytes) : "-",
               r->budget_bytes ? cli_bytes(r->budget_bytes) : "-",
               r->fits          ? "yes"
               : r->total_bytes ? "no"
                                : "n/a",
               r->max_ctx ? ctx : "-", r->fits ? "" : R);
    }
    if (first)
        printf("\nsmallest that fits: %s%s%s\n", B, first, R);
    else
        printf("\nno preset fits at ctx %llu\n", (unsigned long long)fs.ctx);
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
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    int rc = OG_EXIT_OK, any_fit = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        og_model *m = NULL;
        og_llama_memplan plan;
        og_llama_fit fit;
        memset(&fit, 0, sizeof fit);
        if (cli_open_model(names[i], &m, &err) != OG_OK ||
            og_llama_plan(m, &o->s, &plan, &err) != OG_OK ||
            (bp && og_llama_verdict(m, &o->s, &plan, bp, &fit, &err) != OG_OK)) {
            fprintf(stderr, "oomguard: %s: %s (skipped)\n", names[i], err.message);
            og_model_free(m);
            continue;
        }
        quant_row *r = &rows[k++];
        r->source = names[i];
        const char *slash = strrchr(names[i], '/');
        r->file = slash ? slash + 1 : names[i];
        r->weights = plan.component_bytes[OG_COMP_WEIGHTS];
        r->total = plan.total_bytes;
        r->has_verdict = bp != NULL;
        r->verdict = fit.verdict;
        r->max_ctx = fit.max_ctx;
        any_fit |= bp && fit.verdict != OG_FIT_NO;
        og_model_free(m);
    }
    if (k == 0) {
        fprintf(stderr, "oomguard: no GGUF in %s could be planned\n", o->model);
        rc = OG_EXIT_USAGE;
        goto out;
    }
    qsort(rows, k, sizeof *rows, cmp_quant);
    rc = !bp || any_fit ? OG_EXIT_OK : OG_EXIT_PROBLEM;
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
                              fit_budget_json(v, bp), "quants", arr);
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
