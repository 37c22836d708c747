/* oomguard (no command): the machine in one glance, and what you can run on it. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oomguard/catalog.h"
#include "oomguard/decide.h"

enum { O_JSON, O_MACHINE, O_MEM, O_CTX, O_VERSION };
typedef struct overview_opts {
    int json;
    const char *machine;
    uint64_t mem;
    uint32_t usable_ctx;
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
        o->mem = v->u;
        break;
    case O_CTX:
        o->usable_ctx = (uint32_t)v->u;
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
     "smallest context that counts as usable for the pick\n(default 16k, or the trained context if "
     "smaller)",
     0, 256, 1u << 30},
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

/* The headline of the machine-only doctor checks (og_decide_machine): the
 * first failing check's title and fix, or NULL when none fails. No model,
 * no process list and no swap-out sampling here (those take time; `oomguard
 * doctor` does them): the checks that need them report "unknown". */
static const char *doctor_headline(const og_machine *m)
{
    static char line[800];
    og_decide_input in;
    memset(&in, 0, sizeof in);
    in.machine = m;
    in.procs_reason = "not listed by the overview";
    og_doctor_report r;
    og_decide_machine(&in, &r);
    if (r.headline < 0)
        return NULL;
    const og_check *c = &r.checks[r.headline];
    snprintf(line, sizeof line, "%s: %s", c->title, c->fix);
    return line;
}

/* One engine's answer for a row: the decision core's pick (decide.h, the pick
 * policy) and, on a Mac or an APU, the limit at which the default build
 * would fit when it does not now. */
typedef struct pick {
    int decided;             /* 0: MLX off a Mac */
    char build[32];          /* "" = nothing runs here */
    uint64_t bytes, max_ctx; /* the pick's need and largest context */
    uint64_t default_need;   /* the default build's need */
    uint32_t limit_mb;       /* > 0: the default build fits after this wired / GTT limit */
    char limit_cmd[200];
    /* no build fits all on the GPU, but llama.cpp's --fit runs the default
     * build with part of it in RAM (og_decision.placement): build = it */
    int offload;
    uint64_t host_bytes; /* its part in RAM */
    uint32_t gpu_layers, layers, partial_layers;
    int experts_in_ram;
} pick;

typedef struct row {
    const og_catalog_entry *e;
    pick p[2]; /* [0] MLX, [1] GGUF */
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

/* A table cell at three lengths: 0 "Q8_0 @ 128K, 9.44 GiB", 1 "Q8_0 128K
 * 9.44 GiB", 2 "Q8_0 128K" (narrow terminals). */
static void cell(char *buf, size_t n, const pick *p, int level)
{
    char c[32];
    if (!p->decided)
        snprintf(buf, n, "n/a");
    else if (!p->build[0] && p->limit_mb)
        snprintf(buf, n, level < 2 ? "after limit %u" : "limit %u", p->limit_mb);
    else if (!p->build[0])
        snprintf(buf, n, "-");
    else if (level == 2)
        snprintf(buf, n, "%.20s %.8s%s", p->build, ctx_text(p->max_ctx, c, sizeof c),
                 p->offload ? "+RAM" : "");
    else if (p->offload)
        snprintf(buf, n, level ? "%.20s %.8s %.12s in RAM" : "%.20s @ %.8s, %.12s in RAM", p->build,
                 ctx_text(p->max_ctx, c, sizeof c), cli_bytes(p->host_bytes));
    else
        snprintf(buf, n, level ? "%.20s %.8s %.12s" : "%.20s @ %.8s, %.12s", p->build,
                 ctx_text(p->max_ctx, c, sizeof c), cli_bytes(p->bytes));
}

static json_t *fit_json(const pick *p)
{
    if (!p->decided)
        return json_null();
    json_t *j;
    if (!p->build[0])
        j = json_pack("{s:b, s:I}", "fits", 0, "needs_bytes", (json_int_t)p->default_need);
    else
        j = json_pack("{s:b, s:s, s:I, s:I}", "fits", 1, "build", p->build, "max_context",
                      (json_int_t)p->max_ctx, "bytes", (json_int_t)p->bytes);
    json_object_set_new(j, "limit_mb", p->limit_mb ? json_integer(p->limit_mb) : json_null());
    /* the pick runs partly from RAM (llama.cpp's --fit): bytes is its GPU part */
    if (p->build[0])
        json_object_set_new(
            j, "offload",
            p->offload
                ? json_pack("{s:I, s:I, s:I, s:b, s:I}", "gpu_layers", (json_int_t)p->gpu_layers,
                            "layers", (json_int_t)p->layers, "partial_layers",
                            (json_int_t)p->partial_layers, "experts_in_ram", p->experts_in_ram,
                            "host_bytes", (json_int_t)p->host_bytes)
                : json_null());
    return j;
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

/* One line of text, word-wrapped to the terminal (continuation lines
 * indented by `indent`). */
static void wrapped(int width, int indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wrapped(int width, int indent, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_wrap(stdout, line, width, indent);
}

static void print_machine(const og_machine *m, const og_budget *b, uint64_t mem, int width)
{
    FILE *o = stdout;
    const char *bo = cli_c(o, CLI_BOLD), *rs = cli_c(o, CLI_RESET);
    const char *name = m->chip[0] ? m->chip : m->cpu_name[0] ? m->cpu_name : "this machine";
    char nb[160];
    fprintf(o, "%s%s%s", bo, cli_cut(name, width - 1, CLI_CUT_END, nb, sizeof nb), rs);
    char rest[200];
    snprintf(rest, sizeof rest, "%s%s%s  %s RAM", m->preset[0] ? " (preset " : "", m->preset,
             m->preset[0] ? ")" : "", cli_bytes(m->ram_bytes));
    if (m->cpu_cores)
        snprintf(rest + strlen(rest), sizeof rest - strlen(rest), ", %u cores", m->cpu_cores);
    if (cli_text_cols(name) + cli_text_cols(rest) < width) {
        fprintf(o, "%s\n", rest);
    } else {
        fputc('\n', o);
        wrapped(width, 4, "  %s", rest + strspn(rest, " "));
    }
    if (b->has_gpu)
        wrapped(width, 4, "  GPU %s: %s usable%s%s%s", b->unified ? "pool (unified)" : "memory",
                cli_bytes(b->gpu_bytes), b->wired_limit_bytes ? ", wired limit " : "",
                b->wired_limit_bytes ? cli_bytes(b->wired_limit_bytes) : "",
                b->wired_limit_bytes && b->wired_limit_is_default ? " (default)" : "");
    wrapped(
        width, 4, "  free or reclaimable now %s, host budget %s, swap used %s of %s, pressure %s",
        cli_bytes(b->reclaimable_bytes), cli_bytes(b->host_bytes), cli_bytes(m->swap_used_bytes),
        cli_bytes(m->swap_total_bytes), og_pressure_name(m->pressure));
    if (mem)
        wrapped(width, 4, "  planning for %s (--mem)", cli_bytes(mem));
}

typedef struct overview_work {
    row *rows;
    uint32_t n;
    const og_machine *m;
    uint64_t mem;
    uint32_t usable_ctx;
    int mac;
    uint32_t next;
    og_status st;
    og_error err;
    pthread_mutex_t lock;
} overview_work;

/* One engine for one row: og_decide on the default build (Q4_K_M, mlx-4bit)
 * with the default settings, the pick from its alternatives. */
static og_status decide_row(const overview_work *w, row *r, int k, og_decision *d, og_error *err)
{
    pick *p = &r->p[k];
    memset(p, 0, sizeof *p);
    if (k == 0 && !w->mac)
        return OG_OK; /* MLX runs on Apple Silicon only */
    og_catalog_build b = k == 0 ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
    if (!og_catalog_has_build(r->e, b))
        return OG_OK;
    og_model *md = NULL;
    og_status st = og_catalog_model(r->e, b, &md, err);
    if (st != OG_OK)
        return st;
    og_decide_input in = {0};
    in.model = md;
    in.entry = r->e;
    in.machine = w->m;
    og_decide_settings_default(&in.settings);
    in.settings.engine = k == 0 ? OG_ENGINE_MLX : OG_ENGINE_LLAMA_CPP;
    in.settings.mem_bytes = w->mem;
    in.pick_only = 1;
    in.usable_ctx = w->usable_ctx;
    st = og_decide(&in, d, err);
    og_model_free(md);
    if (st != OG_OK)
        return st;
    p->decided = 1;
    snprintf(p->build, sizeof p->build, "%s", d->fit_build);
    p->bytes = d->fit_build_bytes;
    p->max_ctx = d->fit_build_ctx;
    p->default_need = d->plan.gpu_need_bytes;
    if (!p->build[0] && d->fits && d->placement.placed) {
        /* no build fits all on the GPU: the default build as llama.cpp's --fit runs it */
        const og_placement *pl = &d->placement;
        snprintf(p->build, sizeof p->build, "%s", d->build);
        p->bytes = pl->gpu_bytes;
        p->max_ctx = d->plan.n_ctx;
        p->offload = 1;
        p->host_bytes = pl->host_bytes;
        p->gpu_layers = pl->n_layers_gpu;
        p->layers = pl->n_layers;
        p->partial_layers = pl->n_partial;
        p->experts_in_ram = pl->moe && pl->n_partial;
    }
    if (!d->fits && d->fits_if_limit_raised && d->limit.set_mb) {
        p->limit_mb = d->limit.set_mb;
        snprintf(p->limit_cmd, sizeof p->limit_cmd, "%s", d->limit.command);
    }
    return OG_OK;
}

static void *overview_worker(void *arg)
{
    overview_work *w = arg;
    og_decision *d = calloc(1, sizeof *d);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        uint32_t i = w->next++;
        int stop = w->st != OG_OK || !d;
        if (!d && w->st == OG_OK) {
            w->st = OG_ERR_NOMEM;
            snprintf(w->err.message, sizeof w->err.message, "out of memory");
        }
        pthread_mutex_unlock(&w->lock);
        if (stop || i >= w->n)
            break;
        for (int k = 0; k < 2; k++) {
            og_error err;
            og_status st = decide_row(w, &w->rows[i], k, d, &err);
            if (st != OG_OK) {
                pthread_mutex_lock(&w->lock);
                if (w->st == OG_OK) {
                    w->st = st;
                    w->err = err;
                }
                pthread_mutex_unlock(&w->lock);
                break;
            }
        }
    }
    free(d);
    return NULL;
}

/* Families together (first appearance order kept? no: by name), smallest model first. */
static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int c = strcmp(x->e->family, y->e->family);
    if (c)
        return c;
    uint64_t px = x->e->params_published, py = y->e->params_published;
    return px < py ? -1 : px > py ? 1 : strcmp(x->e->name, y->e->name);
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
    /* Rows are independent: decide them on every core (og_decide is a pure
     * function; the catalog is loaded above). */
    overview_work w = {rows, n, m,     o.mem,       o.usable_ctx,
                       mac,  0, OG_OK, {OG_OK, ""}, PTHREAD_MUTEX_INITIALIZER};
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
    qsort(rows, n, sizeof *rows, cmp_row);
    const char *headline = doctor_headline(m);
    /* the largest wired / GTT value some default build would need */
    uint32_t lim_mb = 0;
    char lim_cmd[200] = "";
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (rows[i].p[k].limit_mb > lim_mb) {
                lim_mb = rows[i].p[k].limit_mb;
                snprintf(lim_cmd, sizeof lim_cmd, "%s", rows[i].p[k].limit_cmd);
            }

    if (json) {
        json_t *models = json_array();
        for (uint32_t i = 0; i < n; i++) {
            const og_catalog_entry *e = rows[i].e;
            json_array_append_new(
                models, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "name", e->name,
                                  "display", e->display, "family", e->family, "size", e->size_label,
                                  "parameters", (json_int_t)e->params_published, "context_train",
                                  (json_int_t)e->hp.n_ctx_train, "mlx", fit_json(&rows[i].p[0]),
                                  "gguf", fit_json(&rows[i].p[1])));
        }
        json_t *root = json_pack("{s:o, s:o, s:s, s:o}", "machine", machine_json(m, &b), "doctor",
                                 headline ? json_string(headline) : json_null(), "estimator",
                                 "engine plans", "models", models);
        json_object_set_new(root, "pick_policy",
                            json_pack("{s:I, s:s}", "usable_ctx",
                                      (json_int_t)(o.usable_ctx ? o.usable_ctx : OG_USABLE_CTX),
                                      "rule",
                                      "the largest build up to 8-bit that leaves the usable "
                                      "context (or the trained one if smaller), else the "
                                      "largest that runs"));
        json_object_set_new(root, "limit_fix", lim_mb ? json_string(lim_cmd) : json_null());
        free(rows);
        free(m);
        return cli_print_json(root);
    }

    int width = cli_term_width();
    print_machine(m, &b, o.mem, width);
    if (headline) {
        /* (colour codes count as columns here: a line wraps early, never wide) */
        wrapped(width, 4, "  %s!%s %s (oomguard doctor)", cli_c(stdout, CLI_YELLOW),
                cli_c(stdout, CLI_RESET), headline);
    }
    /* Columns that keep to the terminal: MODEL [SIZE] [MLX] GGUF. The
     * longest cells that leave the model name 16 columns (or all of it),
     * else shorter cells, else no SIZE column (the names carry the size),
     * else the name cut in the middle. */
    int ncols = mac ? 2 : 1;
    int name_nat = 5, sizew = 4, cellw = 0, level, show_size = 1, namew = 0;
    for (uint32_t i = 0; i < n; i++) {
        int d = 2 + cli_text_cols(rows[i].e->display), z = cli_text_cols(rows[i].e->size_label);
        name_nat = d > name_nat ? d : name_nat;
        sizew = z > sizew ? z : sizew;
    }
    for (int attempt = 0; attempt < 6; attempt++) {
        level = attempt % 3;
        show_size = attempt < 3;
        cellw = level == 2 ? 4 : 12; /* "GGUF" / "MLX (mlx-lm)" */
        for (uint32_t i = 0; i < n; i++)
            for (int k = 2 - ncols; k < 2; k++) {
                char c[96];
                cell(c, sizeof c, &rows[i].p[k], level);
                int l = cli_text_cols(c);
                cellw = l > cellw ? l : cellw;
            }
        int rest = (show_size ? sizew + 1 : 0) + ncols * (cellw + 1);
        namew = width - rest;
        int want = name_nat < 16 ? name_nat : 16;
        if (namew >= want || attempt == 5)
            break;
    }
    if (namew > name_nat)
        namew = name_nat;
    if (namew < 8) { /* very narrow: the cells give way */
        namew = 8;
        int left = width - namew - (show_size ? sizew + 1 : 0) - ncols;
        cellw = left / ncols > 4 ? left / ncols : 4;
    }
    const char *hm = level == 2 ? "MLX" : "MLX (mlx-lm)";
    const char *hg = cellw >= 24 ? "GGUF (llama.cpp, Ollama)" : "GGUF";
    char cb[160];
    printf("\n%sWhat you can run%s\n", cli_c(stdout, CLI_BOLD), cli_c(stdout, CLI_RESET));
    fputs(cli_c(stdout, CLI_DIM), stdout);
    cli_pad(stdout, "MODEL", namew + 1);
    if (show_size)
        cli_pad(stdout, "SIZE", sizew + 1);
    if (mac)
        cli_pad(stdout, cli_cut(hm, cellw, CLI_CUT_END, cb, sizeof cb), cellw + 1);
    printf("%s%s\n", cli_cut(hg, cellw, CLI_CUT_END, cb, sizeof cb), cli_c(stdout, CLI_RESET));
    const char *family = "";
    for (uint32_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        if (strcmp(family, r->e->family))
            printf("%s%s%s\n", cli_c(stdout, CLI_CYAN),
                   cli_cut(r->e->family, width - 1, CLI_CUT_END, cb, sizeof cb),
                   cli_c(stdout, CLI_RESET));
        family = r->e->family;
        char a[96], g[96];
        cell(a, sizeof a, &r->p[0], level);
        cell(g, sizeof g, &r->p[1], level);
        int none = !r->p[0].build[0] && !r->p[1].build[0];
        printf("%s  ", none ? cli_c(stdout, CLI_DIM) : "");
        cli_pad(stdout, cli_cut(r->e->display, namew - 2, CLI_CUT_MID, cb, sizeof cb), namew - 1);
        if (show_size)
            cli_pad(stdout, cli_cut(r->e->size_label, sizew, CLI_CUT_END, cb, sizeof cb),
                    sizew + 1);
        if (mac)
            cli_pad(stdout, cli_cut(a, cellw, CLI_CUT_END, cb, sizeof cb), cellw + 1);
        printf("%s%s\n", cli_cut(g, cellw, CLI_CUT_END, cb, sizeof cb),
               none ? cli_c(stdout, CLI_RESET) : "");
    }
    printf("\n");
    wrapped(width, 0,
            "Pick: the largest build up to 8-bit that leaves %s tokens of context (or the "
            "trained context if smaller), else the largest that runs; %s its largest context, "
            "then the memory it takes there.",
            o.usable_ctx ? "the --ctx" : "16K", level == 0 ? "@" : "then");
    wrapped(width, 0,
            "\"in RAM\"%s: no build fits all on the GPU; llama.cpp's --fit (on by default) runs "
            "Q4_K_M with that much of it in system RAM, several times slower.",
            level == 2 ? " (+RAM)" : "");
    wrapped(width, 0,
            "Defaults: llama.cpp plans the trained context and its --fit lowers it to what fits; "
            "mlx-lm is planned at %u tokens (docs/DOCTOR.md).",
            OG_MLX_PLANNING_CTX);
    if (lim_mb) {
        printf("%s!%s ", cli_c(stdout, CLI_YELLOW), cli_c(stdout, CLI_RESET));
        wrapped(width - 2, 0,
                "Some models fit only after raising the GPU limit (\"after limit\"): %s "
                "(oomguard doctor MODEL says which).",
                lim_cmd);
    }
    wrapped(width, 0,
            "Estimates: the llama.cpp plan (%s backend) for GGUF%s, against the %s budget "
            "(docs/CATALOG.md).",
            og_backend_name(og_decide_backend(m)), mac ? " and the mlx-lm plan for MLX" : "",
            b.has_gpu ? "GPU" : "memory");
    if (!mac)
        wrapped(width, 0,
                "MLX: n/a, MLX needs Apple Silicon (plan for a Mac with --machine m4-max-64gb).");
    wrapped(width, 0, "Details for one model: oomguard fit NAME --quant BUILD");
    free(rows);
    free(m);
    return OG_EXIT_OK;
}
