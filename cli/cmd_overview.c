/* oomguard (no command): the machine in one glance, and what you can run on it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oomguard/catalog.h"

enum { O_JSON, O_MACHINE, O_MEM, O_CTX, O_VERSION };
typedef struct overview_opts {
    int json;
    const char *machine;
    og_fit_settings fs;
} overview_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    overview_opts *o = ctx;
    (void)name;
    switch (id) {
    case O_JSON:
        o->json = 1;
        break;
    case O_MACHINE:
        o->machine = v->str;
        break;
    case O_MEM:
        if (!v->u)
            return cli_usage_error(NULL, "--mem must be larger than 0");
        o->fs.budget_bytes = v->u;
        break;
    case O_CTX:
        o->fs.min_ctx = v->u;
        break;
    case O_VERSION:
        printf("oomguard %s\n", oomguard_version());
        return CLI_DONE;
    }
    return 0;
}

static const cli_opt options[] = {
    {O_MACHINE, "--machine", NULL, CLI_T_MACHINE, NULL, NULL,
     "plan for a machine preset (m4-max-64gb ...) or a saved\nsnapshot instead of this machine", 0,
     0, 0},
    {O_MEM, "--mem", NULL, CLI_T_SIZE, "SIZE", NULL,
     "plan for this much memory available to the model (24G)", 0, 0, 0},
    {O_CTX, "--ctx", "-c --ctx-size", CLI_T_COUNT, "N", NULL,
     "smallest context that counts as usable (default 4096; 32k)", 0, 256, 1u << 30},
    {O_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL, "machine-readable output", 0, 0, 0},
    {O_VERSION, "-V, --version", NULL, CLI_T_FLAG, NULL, NULL, "show the version", 0, 0, 0},
};
static const cli_group group = {"Options (with no command: the overview)", NULL, options,
                                sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_overview = {
    .name = NULL,
    .summary = "what you can run on this machine",
    .usage = "[--json] [--machine NAME|FILE] [--mem SIZE] [--ctx N]\nCOMMAND [options]",
    .description =
        "Run large language models locally without running out of memory.\n"
        "With no command: what you can run on this machine. What can I run here? The\n"
        "machine in one glance, then the catalog's models with the best build that fits\n"
        "with a usable context (and the largest context it allows), for MLX and for GGUF\n"
        "(llama.cpp, Ollama, LM Studio).",
    .pos = CLI_POS_COMMAND_NAME,
    .min_pos = 0,
    .max_pos = -1,
    .after = "Catalog names work wherever a model path does: oomguard fit qwen3-32b ...\n"
             "Add your own models in ~/.config/oomguard/catalog.json or $OOMGUARD_CATALOG\n"
             "(docs/CATALOG.md). Sizes: K, M, G, T are powers of 1024 (24G = 24 GiB); GB and\n"
             "GiB are accepted and mean the same. Counts take k = 1024 (--ctx 32k = 32768).\n"
             "\n"
             "Exit codes: 0 ok/fits, 1 does not fit or a problem was found,\n"
             "            2 bad input or usage, 3 internal error.\n"
             "Environment: NO_COLOR disables colour (unless --color=always).",
    .groups = {&group},
};

/* The headline of the machine-only doctor checks (include/oomguard/doctor.h):
 * the first failing check's title and fix, or NULL when none fails. No model,
 * no process list and no swap-out sampling here (those take time; `oomguard
 * doctor` does them): the checks that need them report "unknown". */
static const char *doctor_headline(const og_machine *m, const og_budget *b)
{
    static char line[800];
    og_doctor_input in;
    memset(&in, 0, sizeof in);
    in.machine = m;
    in.budget = b;
    if (m->os == OG_OS_MACOS)
        in.default_wired_bytes = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
    in.procs_reason = "not listed by the overview";
    og_doctor_report r;
    og_doctor_run(&in, &r);
    if (r.headline < 0)
        return NULL;
    const og_check *c = &r.checks[r.headline];
    snprintf(line, sizeof line, "%s: %s", c->title, c->fix);
    return line;
}

typedef struct row {
    const og_catalog_entry *e;
    og_catalog_build best[2]; /* [0] MLX, [1] GGUF */
    og_fit_result r[2];
} row;

static const char *ctx_text(uint64_t ctx, char *buf, size_t n)
{
    if (ctx >= 1024 * 1024 && ctx % (1024 * 1024) == 0)
        snprintf(buf, n, "%lluM", (unsigned long long)(ctx >> 20));
    else if (ctx >= 1024)
        snprintf(buf, n, "%lluK", (unsigned long long)(ctx >> 10));
    else
        snprintf(buf, n, "%llu", (unsigned long long)ctx);
    return buf;
}

static void cell(char *buf, size_t n, const row *r, int k)
{
    char c[32];
    if (r->best[k] == OG_BUILD_COUNT)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%s @ %s", og_catalog_build_name(r->best[k]),
                 ctx_text(r->r[k].max_ctx, c, sizeof c));
}

static json_t *fit_json(const row *r, int k, int available)
{
    if (!available)
        return json_null();
    if (r->best[k] == OG_BUILD_COUNT)
        return json_pack("{s:b, s:I}", "fits", 0, "needs_bytes", (json_int_t)r->r[k].total_bytes);
    return json_pack("{s:b, s:s, s:I, s:I}", "fits", 1, "build", og_catalog_build_name(r->best[k]),
                     "max_context", (json_int_t)r->r[k].max_ctx, "bytes_at_min_context",
                     (json_int_t)r->r[k].total_bytes);
}

static json_t *machine_json(const og_machine *m, const og_budget *b)
{
    return json_pack("{s:s, s:s, s:I, s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "name",
                     m->chip[0] ? m->chip : m->cpu_name, "preset", m->preset, "ram_bytes",
                     (json_int_t)m->ram_bytes, "unified", b->unified, "gpu_budget_bytes",
                     (json_int_t)b->gpu_bytes, "wired_limit_bytes",
                     (json_int_t)b->wired_limit_bytes, "reclaimable_bytes",
                     (json_int_t)b->reclaimable_bytes, "swap_used_bytes",
                     (json_int_t)m->swap_used_bytes, "host_budget_bytes", (json_int_t)b->host_bytes,
                     "pressure", og_pressure_name(m->pressure), "basis", b->basis);
}

static void print_machine(const og_machine *m, const og_budget *b, uint64_t mem)
{
    FILE *o = stdout;
    const char *bo = cli_c(o, CLI_BOLD), *rs = cli_c(o, CLI_RESET);
    const char *name = m->chip[0] ? m->chip : m->cpu_name[0] ? m->cpu_name : "this machine";
    fprintf(o, "%s%s%s%s%s%s  %s RAM", bo, name, rs, m->preset[0] ? " (preset " : "", m->preset,
            m->preset[0] ? ")" : "", cli_bytes(m->ram_bytes));
    if (m->cpu_cores)
        fprintf(o, ", %u cores", m->cpu_cores);
    fputc('\n', o);
    if (b->has_gpu)
        fprintf(o, "  GPU %s: %s usable%s%s%s\n", b->unified ? "pool (unified)" : "memory",
                cli_bytes(b->gpu_bytes), b->wired_limit_bytes ? ", wired limit " : "",
                b->wired_limit_bytes ? cli_bytes(b->wired_limit_bytes) : "",
                b->wired_limit_bytes && b->wired_limit_is_default ? " (default)" : "");
    fprintf(o, "  free or reclaimable now %s, host budget %s, swap used %s of %s, pressure %s\n",
            cli_bytes(b->reclaimable_bytes), cli_bytes(b->host_bytes),
            cli_bytes(m->swap_used_bytes), cli_bytes(m->swap_total_bytes),
            og_pressure_name(m->pressure));
    if (mem)
        fprintf(o, "  planning for %s (--mem)\n", cli_bytes(mem));
}

typedef struct overview_work {
    row *rows;
    uint32_t n;
    const og_machine *m;
    const og_fit_settings *fs;
    int mac;
    uint32_t next;
    og_status st;
    og_error err;
    pthread_mutex_t lock;
} overview_work;

/* The best MLX build (Macs only) and the best GGUF build of each row, with
 * the engine plans (fit.h): og_fit_mlx for MLX builds, og_fit_llama with the
 * machine's backend for GGUF builds. */
static void *overview_worker(void *arg)
{
    overview_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        uint32_t i = w->next++;
        int stop = w->st != OG_OK;
        pthread_mutex_unlock(&w->lock);
        if (stop || i >= w->n)
            return NULL;
        for (int k = 0; k < 2; k++) {
            w->rows[i].best[k] = OG_BUILD_COUNT;
            if (k == 0 && !w->mac)
                continue; /* MLX runs on Apple Silicon only */
            og_error err;
            og_status st = og_catalog_best_build(w->rows[i].e, w->m, k == 0, w->fs,
                                                 k == 0 ? og_fit_mlx : og_fit_llama, NULL,
                                                 &w->rows[i].best[k], &w->rows[i].r[k], &err);
            if (st != OG_OK) {
                pthread_mutex_lock(&w->lock);
                if (w->st == OG_OK) {
                    w->st = st;
                    w->err = err;
                }
                pthread_mutex_unlock(&w->lock);
                return NULL;
            }
        }
    }
}

int cmd_overview(int argc, char **argv)
{
    overview_opts o = {0};
    void *ctx[] = {&o};
    int npos = 0;
    int prc = cli_parse(&cli_spec_overview, argc, argv, ctx, &npos);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    if (npos > 0)
        return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    int json = o.json;
    const char *machine_arg = o.machine;
    og_fit_settings fs = o.fs;
    og_error err;

    og_machine *m = calloc(1, sizeof *m);
    if (!m)
        return OG_EXIT_INTERNAL;
    og_status st = machine_arg ? og_machine_load(machine_arg, m, &err) : og_machine_probe(m, &err);
    if (st != OG_OK) {
        free(m);
        return cli_fail(&err);
    }
    og_budget b;
    og_machine_budget(m, &b);
    if (og_catalog_load(&err) != OG_OK) /* a bad user catalog: say so, go on */
        fprintf(stderr, "oomguard: warning: %s (using the built-in catalog)\n", err.message);

    /* MLX needs Apple Silicon: a Mac, or an Apple preset / snapshot */
    int mac = m->os == OG_OS_MACOS || m->apple_silicon;
    uint32_t n = og_catalog_count();
    row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        free(m);
        return OG_EXIT_INTERNAL;
    }
    /* Rows are independent: plan them on every core (the engine plans are
     * pure functions; the catalog is loaded above). */
    overview_work w = {rows, n, m, &fs, mac, 0, OG_OK, {OG_OK, ""}, PTHREAD_MUTEX_INITIALIZER};
    for (uint32_t i = 0; i < n; i++)
        rows[i].e = og_catalog_get(i);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t nt = ncpu > 1 ? (uint32_t)(ncpu > 16 ? 16 : ncpu) : 1;
    pthread_t th[16];
    uint32_t started = 0;
    for (uint32_t t = 1; t < nt; t++)
        if (pthread_create(&th[started], NULL, overview_worker, &w) == 0)
            started++;
    overview_worker(&w);
    for (uint32_t t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&w.lock);
    if (w.st != OG_OK) {
        free(rows);
        free(m);
        return cli_fail(&w.err);
    }
    const char *headline = doctor_headline(m, &b);

    if (json) {
        json_t *models = json_array();
        for (uint32_t i = 0; i < n; i++) {
            const og_catalog_entry *e = rows[i].e;
            json_array_append_new(
                models, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "name", e->name,
                                  "display", e->display, "family", e->family, "size", e->size_label,
                                  "parameters", (json_int_t)e->params_published, "context_train",
                                  (json_int_t)e->hp.n_ctx_train, "mlx", fit_json(&rows[i], 0, mac),
                                  "gguf", fit_json(&rows[i], 1, 1)));
        }
        json_t *root = json_pack("{s:o, s:o, s:s, s:o}", "machine", machine_json(m, &b), "doctor",
                                 headline ? json_string(headline) : json_null(), "estimator",
                                 "engine plans", "models", models);
        free(rows);
        free(m);
        return cli_print_json(root);
    }

    print_machine(m, &b, fs.budget_bytes);
    if (headline)
        printf("  %s!%s %s (oomguard doctor)\n", cli_c(stdout, CLI_YELLOW),
               cli_c(stdout, CLI_RESET), headline);
    int width = cli_term_width();
    int wide = width >= 96;
    int namew = wide ? 30 : 22;
    printf("\n%sWhat you can run%s  (best build that fits with a usable context @ the largest "
           "context it allows)\n",
           cli_c(stdout, CLI_BOLD), cli_c(stdout, CLI_RESET));
    printf("%s%-*s %-10s %-18s %-18s%s\n", cli_c(stdout, CLI_DIM), namew, "MODEL", "SIZE", "MLX",
           "GGUF", cli_c(stdout, CLI_RESET));
    const char *family = "";
    for (uint32_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        if (strcmp(family, r->e->family) && wide)
            printf("%s%s%s\n", cli_c(stdout, CLI_CYAN), r->e->family, cli_c(stdout, CLI_RESET));
        family = r->e->family;
        char a[48], g[48];
        if (mac)
            cell(a, sizeof a, r, 0);
        else
            snprintf(a, sizeof a, "n/a");
        cell(g, sizeof g, r, 1);
        int none = r->best[0] == OG_BUILD_COUNT && r->best[1] == OG_BUILD_COUNT;
        printf("%s%s%-*.*s %-10.10s %-18s %-18s%s\n", none ? cli_c(stdout, CLI_DIM) : "",
               wide ? "  " : "", wide ? namew - 2 : namew, wide ? namew - 2 : namew, r->e->display,
               r->e->size_label, a, g, none ? cli_c(stdout, CLI_RESET) : "");
    }
    printf("\nEstimates: the llama.cpp plan (%s backend) for GGUF%s, against the %s budget "
           "(docs/CATALOG.md).\n",
           og_backend_name(og_machine_backend(m)), mac ? " and the mlx-lm plan for MLX" : "",
           b.has_gpu ? "GPU" : "memory");
    if (!mac)
        printf("MLX: n/a, MLX needs Apple Silicon (plan for a Mac with --machine m4-max-64gb).\n");
    printf("Details for one model: oomguard fit NAME --quant BUILD\n");
    free(rows);
    free(m);
    return OG_EXIT_OK;
}
