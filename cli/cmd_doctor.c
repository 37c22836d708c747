/* oomguard doctor [MODEL]: the seven checks (include/oomguard/doctor.h,
 * docs/DOCTOR.md) with the evidence from this machine (or a snapshot) and
 * the fix, the first failing check as the headline.
 *
 * Every number comes from the decision core (og_decide, include/oomguard/
 * decide.h), the same call fit, wired --recommend, the overview and run's
 * preflight make: this file lists processes, samples swap-outs and prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "decide_cli.h"
#include "engine_opts.h"
#include "oomguard/catalog.h"
#include "oomguard/doctor.h"
#include "oomguard/explain.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

enum { D_QUANT, D_LOG, D_MACHINE, D_MEM, D_PROCS, D_SAMPLE, D_JSON };

typedef struct doctor_cli {
    int json;
    const char *machine, *log, *procs, *quant;
    uint64_t mem;
    double sample;
} doctor_cli;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    doctor_cli *o = ctx;
    switch (id) {
    case D_QUANT:
        o->quant = v->str;
        break;
    case D_LOG:
        o->log = v->str;
        break;
    case D_MACHINE:
        o->machine = v->str;
        break;
    case D_MEM:
        if (!v->u)
            return cli_usage_error("doctor", "%s must be larger than 0", name);
        o->mem = v->u;
        break;
    case D_PROCS:
        o->procs = v->str;
        break;
    case D_SAMPLE:
        if (!(v->d >= 0) || v->d > 60)
            return cli_usage_error("doctor", "%s: '%s': expected seconds (0 ... 60)", name, v->str);
        o->sample = v->d;
        break;
    case D_JSON:
        o->json = 1;
        break;
    }
    return 0;
}

static const cli_opt doctor_opts[] = {
    {D_QUANT, "--quant", NULL, CLI_T_STR, "BUILD",
     "Q2_K Q3_K_M Q4_0 IQ4_XS Q4_K_M Q5_K_M Q6_K Q8_0 F16 mlx-3bit mlx-4bit mlx-6bit mlx-8bit "
     "mlx-bf16",
     "catalog build: mlx-4bit, mlx-bf16, Q4_K_M, Q8_0, F16 ...\n"
     "(default: mlx-4bit on Apple Silicon, else Q4_K_M)",
     0, 0, 0},
    {D_LOG, "--log", NULL, CLI_T_FILE, "FILE", NULL,
     "an engine's log: its out-of-memory finding joins check 1", 0, 0, 0},
    {D_MACHINE, "--machine", NULL, CLI_T_MACHINE, "NAME|FILE", NULL,
     "diagnose a preset (m4-pro-48gb) or a saved snapshot instead\n"
     "of this machine (no live process list or swap sample then)",
     0, 0, 0},
    {D_MEM, "--mem", NULL, CLI_T_SIZE, "SIZE", NULL,
     "plan against this much memory for the model (24G)", 0, 0, 0},
    {D_PROCS, "--procs", NULL, CLI_T_FILE, "FILE", NULL,
     "a recorded process list (JSON array of {pid, name,\n"
     "footprint_bytes, gpu_bytes, gpu_client}) instead of the live one",
     0, 0, 0},
    {D_SAMPLE, "--sample", NULL, CLI_T_NUM, "SECONDS", NULL,
     "swap-out sampling interval (default 1; 0 = skip)", 0, 0, 0},
    {D_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL,
     "machine-readable output: headline (id or null), checks[]\n"
     "with id, status, title, evidence, fix",
     0, 0, 0},
};
static const cli_group doctor_group = {NULL, NULL, doctor_opts,
                                       sizeof doctor_opts / sizeof doctor_opts[0], on_option};

const cli_spec cli_spec_doctor = {
    .name = "doctor",
    .summary = "diagnose an out-of-memory crash, a freeze or a crawl: seven checks",
    .usage = "[MODEL] [options]",
    .description =
        "Why did the model crash, freeze the machine or crawl? Seven checks, in the order\n"
        "they most often explain it, each with the evidence from this machine and the fix:\n"
        "  1 model_too_big          weights + KV + compute against what the GPU can get\n"
        "  2 other_apps             the biggest other processes, GPU clients flagged\n"
        "  3 wired_limit_low        iogpu.wired_limit_mb set below what the plan needs\n"
        "  4 fp16_weights           F16/BF16 weights where a 4-bit build would do\n"
        "  5 machine_too_small      even the smallest sensible quant does not fit\n"
        "  6 swapping               swap in use, swap-out rate, pressure, PSI, cgroup\n"
        "  7 default_wired_ceiling  the macOS default GPU ceiling is below the plan\n"
        "The first failing check is the headline. Without MODEL the machine checks run.\n"
        "\n"
        "MODEL: a .gguf file, a safetensors file or folder (MLX or Hugging Face), a\n"
        "config.json, an hf:// / https:// / ollama:// URL, or a catalog name (qwen3-32b).\n"
        "The engine settings are fit's (default context 4096, capped at the trained one;\n"
        "--engine mlx|llama.cpp; the backend is this machine's: Metal on Apple Silicon,\n"
        "CUDA (NVIDIA), ROCm (AMD GPU), Vulkan (AMD APU), else CPU).",
    .pos = CLI_POS_MODEL,
    .min_pos = 0,
    .max_pos = 1,
    .after =
        "Exit codes: 0 no check fails, 1 a check fails, 2 bad input or usage, 3 internal error.",
    .groups = {&doctor_group, &cli_llama_group, &cli_mlx_group},
};

/* ---- processes --------------------------------------------------------------- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

/* The live process list, GPU bytes from the probe added. is_engine: an
 * inference engine whose command line names the model. */
static og_doctor_proc *live_procs(const og_machine *m, const char *model_arg, uint32_t *n)
{
    og_proc_list l = {0};
    og_error err;
    *n = 0;
    if (og_procs_list(&l, OG_PROCS_ALL, &err) != OG_OK)
        return NULL;
    for (uint32_t g = 0; g < m->n_gpus; g++) {
        const og_gpu *gpu = &m->gpus[g];
        if (!gpu->procs_known)
            continue;
        int32_t pids[OG_MAX_GPU_PROCS];
        uint64_t bytes[OG_MAX_GPU_PROCS];
        for (uint32_t i = 0; i < gpu->n_procs && i < OG_MAX_GPU_PROCS; i++) {
            pids[i] = gpu->procs[i].pid;
            bytes[i] = gpu->procs[i].bytes;
        }
        og_procs_add_gpu(&l, pids, bytes, gpu->n_procs);
    }
    og_doctor_proc *out = calloc(l.n ? l.n : 1, sizeof *out);
    if (!out) {
        og_proc_list_free(&l);
        return NULL;
    }
    int32_t self = (int32_t)getpid();
    const char *mb = model_arg ? base_name(model_arg) : NULL;
    for (uint32_t i = 0; i < l.n; i++) {
        const og_proc *q = &l.procs[i];
        if (q->pid == self)
            continue;
        og_doctor_proc *d = &out[(*n)++];
        d->pid = q->pid;
        snprintf(d->name, sizeof d->name, "%s", q->name);
        d->footprint_bytes = q->footprint_bytes;
        d->gpu_bytes = q->gpu_bytes;
        d->gpu_client = q->gpu_bytes > 0;
        og_app_match am = og_app_classify(q->name, q->cmdline);
        if (am.cls == OG_APP_BROWSER_GPU)
            d->gpu_client = 1;
        d->is_engine = am.cls == OG_APP_INFERENCE && mb && *mb && strstr(q->cmdline, mb);
    }
    og_proc_list_free(&l);
    return out;
}

static og_doctor_proc *load_procs(const char *path, uint32_t *n, og_error *err)
{
    json_error_t je;
    struct stat sb;
    *n = 0;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) { /* a FIFO would block */
        og_error_set(err, OG_ERR_INVALID, "%s: not a regular file", path);
        return NULL;
    }
    json_t *a = json_load_file(path, 0, &je);
    if (!a) {
        if (je.line < 1) /* not opened or not read: jansson's text says why */
            og_error_set(err, OG_ERR_IO, "%s: %s", path, je.text);
        else
            og_error_set(err, OG_ERR_INVALID, "%s: line %d: %s", path, je.line, je.text);
        return NULL;
    }
    if (!json_is_array(a)) {
        json_decref(a);
        og_error_set(err, OG_ERR_INVALID, "%s: expected a JSON array of processes", path);
        return NULL;
    }
    size_t cnt = json_array_size(a);
    og_doctor_proc *out = calloc(cnt ? cnt : 1, sizeof *out);
    if (!out) {
        json_decref(a);
        og_error_set(err, OG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(a, i);
        json_t *nm = json_object_get(o, "name"), *fp = json_object_get(o, "footprint_bytes");
        json_t *gb = json_object_get(o, "gpu_bytes");
        if (!json_is_object(o) || !json_is_string(nm) || !json_is_integer(fp) ||
            json_integer_value(fp) < 0 ||
            (gb && (!json_is_integer(gb) || json_integer_value(gb) < 0))) {
            og_error_set(err, OG_ERR_INVALID,
                         "%s: process %zu: needs name (string) and footprint_bytes (>= 0)", path,
                         i);
            free(out);
            json_decref(a);
            return NULL;
        }
        og_doctor_proc *d = &out[i];
        d->pid = (int32_t)json_integer_value(json_object_get(o, "pid"));
        snprintf(d->name, sizeof d->name, "%s", json_string_value(nm));
        d->footprint_bytes = (uint64_t)json_integer_value(fp);
        d->gpu_bytes = gb ? (uint64_t)json_integer_value(gb) : 0;
        d->gpu_client = json_is_true(json_object_get(o, "gpu_client")) || d->gpu_bytes > 0;
        d->is_engine = json_is_true(json_object_get(o, "is_engine"));
    }
    *n = (uint32_t)cnt;
    json_decref(a);
    return out;
}

/* ---- output --------------------------------------------------------------- */

static const char *status_color(og_check_status s)
{
    switch (s) {
    case OG_CHECK_OK:
        return CLI_GREEN;
    case OG_CHECK_WARN:
        return CLI_YELLOW;
    case OG_CHECK_FAIL:
        return CLI_RED;
    case OG_CHECK_UNKNOWN:
        break;
    }
    return CLI_DIM;
}

static json_t *report_json(const og_doctor_report *r, const og_machine *m, const og_decision *d,
                           int rate_known, double rate)
{
    json_t *checks = json_array();
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        const og_check *k = &r->checks[i];
        json_array_append_new(checks,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", og_check_id_name(k->id),
                                        "status", og_check_status_name(k->status), "title",
                                        k->title, "evidence", k->evidence, "fix", k->fix));
    }
    json_t *j = json_object();
    json_object_set_new(j, "headline",
                        r->headline >= 0 ? json_string(og_check_id_name(r->checks[r->headline].id))
                                         : json_null());
    json_object_set_new(j, "checks", checks);
    json_object_set_new(j, "machine",
                        json_string(m->preset[0] ? m->preset
                                    : m->chip[0] ? m->chip
                                                 : m->cpu_name));
    if (d) {
        const og_doctor_plan *p = &d->plan;
        json_t *pj = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "model", p->model,
            "quant", p->quant, "engine", og_engine_name(d->engine), "n_ctx", (json_int_t)p->n_ctx,
            "weights_bytes", (json_int_t)p->weight_bytes, "kv_bytes", (json_int_t)p->kv_bytes,
            "compute_bytes", (json_int_t)p->compute_bytes, "total_bytes",
            (json_int_t)p->total_bytes, "max_ctx", (json_int_t)p->max_ctx, "smallest_bytes",
            (json_int_t)p->smallest_bytes, "fit_quant", p->fit_quant, "fits_tier", p->fits_tier);
        json_object_set_new(pj, "estimator", json_string(p->mlx ? "mlx" : "llama.cpp"));
        json_object_set_new(pj, "gpu_need_bytes", cli_json_u64(p->gpu_need_bytes));
        json_object_set_new(pj, "backend", json_string(og_backend_name(d->backend)));
        json_object_set_new(j, "plan", pj);
        json_object_set_new(j, "verdict", json_string(og_fit_verdict_name(d->verdict)));
        json_object_set_new(j, "budget", cli_budget_json(&d->budget));
        cli_decision_json(j, d);
        json_t *adv = json_array();
        for (uint32_t i = 0; i < d->n_advice; i++)
            json_array_append_new(adv, json_string(d->advice[i]));
        json_object_set_new(j, "advice", adv);
    } else {
        json_object_set_new(j, "plan", json_null());
    }
    json_object_set_new(j, "swapout_bytes_per_s", rate_known ? json_real(rate) : json_null());
    return j;
}

static void print_report(const og_doctor_report *r, const og_machine *m, const og_decision *d)
{
    FILE *o = stdout;
    const char *B = cli_c(o, CLI_BOLD), *R = cli_c(o, CLI_RESET), *D = cli_c(o, CLI_DIM);
    printf("%soomguard doctor%s  %s%s%s, %s RAM%s\n", B, R, D,
           m->preset[0]     ? m->preset
           : m->chip[0]     ? m->chip
           : m->cpu_name[0] ? m->cpu_name
                            : "this machine",
           m->preset[0] ? " (preset)" : "", cli_bytes(m->ram_bytes), R);
    if (d) {
        const og_doctor_plan *p = &d->plan;
        printf("%smodel %s%s%s, %s, %u tokens, engine %s%s\n", D, p->model, p->quant[0] ? " " : "",
               p->quant, cli_bytes(p->gpu_need_bytes), p->n_ctx,
               d->engine == OG_ENGINE_MLX ? "MLX" : og_engine_name(d->engine), R);
        if (d->ctx_lowered_by_fit)
            printf("%s(llama.cpp plans the trained %u tokens; its --fit lowers them to %u)%s\n", D,
                   d->n_ctx_asked, p->n_ctx, R);
        char line[512];
        cli_budget_line(&d->budget, line, sizeof line);
        printf("%sbudget %s%s\n", D, line, R);
        printf("%sverdict: %s%s%s\n", D, og_fit_verdict_name(d->verdict),
               d->placement.placed && d->fits ? ", partly offloaded (slower)" : "", R);
        cli_placement_line(d, line, sizeof line);
        if (line[0])
            printf("%splacement: %s%s\n", D, line, R);
    }
    printf("\n");
    if (r->headline >= 0) {
        const og_check *h = &r->checks[r->headline];
        printf("%s%sHeadline:%s %s (%s)\n  %s\n  %sFix:%s %s\n\n", B, cli_c(o, CLI_RED), R,
               h->title, og_check_id_name(h->id), h->evidence, B, R, h->fix);
    } else {
        printf("%s%sNo check fails.%s\n\n", B, cli_c(o, CLI_GREEN), R);
    }
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        const og_check *k = &r->checks[i];
        printf("%d. %s%-7s%s %s%s%s  %s(%s)%s\n", i + 1, cli_c(o, status_color(k->status)),
               og_check_status_name(k->status), R, B, k->title, R, D, og_check_id_name(k->id), R);
        if (k->evidence[0])
            printf("   %s\n", k->evidence);
        if (k->fix[0] && k->status != OG_CHECK_OK && k->status != OG_CHECK_UNKNOWN)
            printf("   %sFix:%s %s\n", B, R, k->fix);
    }
}

/* ---- the command ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_doctor(int argc, char **argv)
{
    doctor_cli dc = {0, NULL, NULL, NULL, NULL, 0, 1.0};
    cli_engine_opts e;
    cli_engine_opts_init(&e, "doctor");
    void *ctx[] = {&dc, &e, &e};
    int npos = 0;
    int prc = cli_parse(&cli_spec_doctor, argc, argv, ctx, &npos);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    og_decide_settings settings;
    prc = cli_decide_settings(&e, "doctor", dc.mem, &settings);
    if (prc)
        return prc;
    int json = dc.json;
    const char *machine_arg = dc.machine, *log_arg = dc.log, *procs_arg = dc.procs;
    double sample = dc.sample;
    og_error err;
    const char *model_arg =
        npos ? cli_model_arg(argv[1], !dc.quant && settings.engine == OG_ENGINE_AUTO, &prc) : NULL;
    if (npos && !model_arg)
        return prc;
    if (!model_arg && (dc.quant || cli_engine_any_given(&e)))
        return cli_usage_error("doctor", "--quant and the engine settings (-c, -ngl, --engine "
                                         "...) need a MODEL");

    int rc = OG_EXIT_INTERNAL;
    og_machine *m = calloc(1, sizeof *m);
    og_machine *m2 = calloc(1, sizeof *m2);
    og_log_report *log = NULL;
    og_doctor_proc *procs = NULL;
    uint32_t n_procs = 0;
    og_model *model = NULL;
    const og_catalog_entry *entry = NULL;
    og_decision *d = NULL;
    if (!m || !m2)
        goto out;

    og_status st;
    double t0 = now_s();
    st = machine_arg ? og_machine_load(machine_arg, m, &err) : og_machine_probe(m, &err);
    if (st != OG_OK) {
        rc = machine_arg ? OG_EXIT_USAGE : cli_fail(&err);
        if (machine_arg)
            fprintf(stderr, "oomguard: %s\n", err.message);
        goto out;
    }

    if (log_arg) {
        log = malloc(sizeof *log);
        if (!log)
            goto out;
        st = og_explain_file(log_arg, 0, log, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = OG_EXIT_USAGE;
            goto out;
        }
    }
    if (procs_arg) {
        procs = load_procs(procs_arg, &n_procs, &err);
        if (!procs) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = OG_EXIT_USAGE;
            goto out;
        }
    }
    if (model_arg) {
        int want_mlx = settings.engine == OG_ENGINE_MLX ||
                       (settings.engine == OG_ENGINE_AUTO && cli_quant_is_mlx(dc.quant));
        st = cli_model_resolve(model_arg, dc.quant, want_mlx, 0, &model, &entry, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = st == OG_ERR_NOMEM ? OG_EXIT_INTERNAL : OG_EXIT_USAGE;
            goto out;
        }
    }
    if (!procs_arg && !machine_arg)
        procs = live_procs(m, model_arg, &n_procs);

    /* swap-out rate: the probe's cumulative counter read again after the interval */
    int rate_known = 0;
    double rate = 0;
    if (!machine_arg && sample > 0) {
        double left = sample - (now_s() - t0);
        if (left > 0) {
            struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
            nanosleep(&ts, NULL);
        }
        double t1 = now_s();
        if (og_machine_probe(m2, &err) == OG_OK && m2->swapouts >= m->swapouts && m->page_size &&
            t1 > t0) {
            rate = (double)(m2->swapouts - m->swapouts) * (double)m->page_size / (t1 - t0);
            rate_known = 1;
        }
    }

    og_decide_input in = {0};
    in.model = model;
    in.entry = entry;
    in.machine = m;
    in.settings = settings;
    in.procs = procs;
    in.n_procs = n_procs;
    if (!procs && machine_arg)
        in.procs_reason = "--machine describes another machine, so this one's processes do not "
                          "count (--procs FILE replays a recorded list)";
    in.log = log;
    in.swapout_rate_known = rate_known;
    in.swapout_bytes_per_s = rate;
    og_doctor_report r;
    if (model) {
        d = calloc(1, sizeof *d);
        if (!d)
            goto out;
        st = og_decide(&in, d, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc =
                st == OG_ERR_INVALID || st == OG_ERR_UNSUPPORTED ? OG_EXIT_USAGE : OG_EXIT_INTERNAL;
            goto out;
        }
        r = d->report;
    } else {
        og_decide_machine(&in, &r);
    }

    if (json)
        cli_print_json(report_json(&r, m, d, rate_known, rate));
    else
        print_report(&r, m, d);
    if (d && d->engine != OG_ENGINE_MLX && !json)
        printf("\n%sllama.cpp sizes: the llama.cpp memory plan (%s, %s backend); "
               "'oomguard fit' shows every buffer.%s\n",
               cli_c(stdout, CLI_DIM), OG_LLAMA_CPP_VERSION, og_backend_name(d->backend),
               cli_c(stdout, CLI_RESET));
    rc = r.headline >= 0 ? OG_EXIT_PROBLEM : OG_EXIT_OK;
out:
    free(d);
    og_model_free(model);
    free(procs);
    free(log);
    free(m2);
    free(m);
    return rc;
}
