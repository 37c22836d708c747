/* oomguard doctor [MODEL]: the seven checks (include/oomguard/doctor.h,
 * docs/DOCTOR.md) with the evidence from this machine (or a snapshot) and
 * the fix, the first failing check as the headline.
 *
 * The model side (doctor_open_model, doctor_plan_for_model) is shared with
 * `oomguard wired --recommend MODEL` through cli/doctor_plan.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "doctor_plan.h"
#include "engine_opts.h"
#include "engine_plan.h"
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

/* ---- the model ---------------------------------------------------------------- */

static int path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int is_url(const char *s)
{
    return strstr(s, "://") != NULL;
}

og_status doctor_open_model(const char *arg, const og_machine *m, const doctor_model_opts *o,
                            doctor_model *out, og_error *err)
{
    memset(out, 0, sizeof *out);
    out->build = OG_BUILD_COUNT;
    if (path_exists(arg) || is_url(arg)) {
        if (o->quant)
            return og_error_set(err, OG_ERR_INVALID,
                                "--quant %s: applies to catalog names, not to a file or URL "
                                "(%s)",
                                o->quant, arg);
        og_status st = cli_open_model(arg, &out->model, err);
        if (st != OG_OK)
            return st;
        const og_model *md = out->model;
        if (o->engine == DOCTOR_ENGINE_MLX)
            out->mlx = 1;
        else if (o->engine == DOCTOR_ENGINE_LLAMA)
            out->mlx = 0;
        else
            out->mlx =
                md->format == OG_FORMAT_MLX ||
                ((md->format == OG_FORMAT_SAFETENSORS || md->format == OG_FORMAT_HF_CONFIG) &&
                 m->apple_silicon);
        return OG_OK;
    }
    /* a catalog name */
    og_error cerr;
    if (og_catalog_load(&cerr) != OG_OK)
        fprintf(stderr, "oomguard: warning: %s (using the built-in catalog)\n", cerr.message);
    const og_catalog_entry *e = NULL;
    og_status st = og_catalog_find(arg, &e, err);
    if (st != OG_OK) {
        if (st == OG_ERR_NOT_FOUND && !strchr(arg, '/'))
            return st; /* "unknown model 'X'; did you mean 'Y'?" */
        {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            return og_error_set(err, OG_ERR_NOT_FOUND, "%s: no such file, and %s", arg, why);
        }
    }
    og_catalog_build b;
    if (o->quant) {
        st = og_catalog_build_from_name(o->quant, &b, err);
        if (st != OG_OK)
            return st;
        if (o->engine == DOCTOR_ENGINE_MLX && !og_catalog_build_is_mlx(b))
            return og_error_set(err, OG_ERR_INVALID,
                                "--quant %s is a GGUF build; --engine mlx "
                                "needs an MLX build (mlx-4bit ...)",
                                o->quant);
        if (o->engine == DOCTOR_ENGINE_LLAMA && og_catalog_build_is_mlx(b))
            return og_error_set(err, OG_ERR_INVALID,
                                "--quant %s is an MLX build; --engine llama "
                                "needs a GGUF build (Q4_K_M ...)",
                                o->quant);
    } else {
        int mlx =
            o->engine == DOCTOR_ENGINE_MLX || (o->engine == DOCTOR_ENGINE_AUTO && m->apple_silicon);
        b = mlx ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
        if (mlx && !og_catalog_has_build(e, b)) {
            if (o->engine == DOCTOR_ENGINE_MLX)
                return og_error_set(err, OG_ERR_INVALID,
                                    "%s: mlx-lm has no model class for this architecture", e->name);
            b = OG_BUILD_GGUF_Q4_K_M;
        }
    }
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: no %s build (mlx-lm has no model class for "
                            "this architecture)",
                            e->name, og_catalog_build_name(b));
    st = og_catalog_model(e, b, &out->model, err);
    if (st != OG_OK)
        return st;
    out->entry = e;
    out->build = b;
    out->mlx = og_catalog_build_is_mlx(b);
    return OG_OK;
}

/* What the doctor's check 1 calls capacity (src/doctor.c): on Apple Silicon
 * RAM minus the system floor (the wired limit can be raised to it); on a
 * discrete GPU its usable VRAM; else usable host RAM (or the unified GPU pool). */
static uint64_t capacity_of(const og_machine *m, const og_budget *b)
{
    if (m->os == OG_OS_MACOS && m->apple_silicon)
        return (uint64_t)og_wired_max_safe_mb(m->ram_bytes) * MIB;
    if (b->has_gpu && b->gpu_bytes)
        return b->gpu_bytes;
    uint64_t cap = m->ram_bytes; /* as src/doctor.c: the box or its cgroup, less the margin */
    if (m->cgroup_known && m->cgroup_limit_bytes && m->cgroup_limit_bytes < cap)
        cap = m->cgroup_limit_bytes;
    cap = cap > b->margin_bytes ? cap - b->margin_bytes : 0;
    return cap > b->host_bytes ? cap : b->host_bytes;
}

/* og_fit_fn for the MLX plan: peak memory against the machine's GPU budget
 * (user: optional q_bits for a hypothetical conversion). */
static og_status mlx_fit(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                         og_fit_result *out, void *user, og_error *err)
{
    memset(out, 0, sizeof *out);
    og_mlx_settings ms;
    og_mlx_settings_default(&ms);
    if (s && s->ctx)
        ms.ctx = s->ctx;
    if (s && (s->kv_bits == 8 || s->kv_bits == 4))
        ms.kv_bits = (uint32_t)s->kv_bits;
    if (user)
        ms.q_bits = *(const uint32_t *)user;
    if (model->hp.n_ctx_train && ms.ctx > model->hp.n_ctx_train)
        ms.ctx = model->hp.n_ctx_train;
    og_mlx_plan_result *pl = malloc(sizeof *pl);
    if (!pl)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    og_model as_mlx;
    if (model->format == OG_FORMAT_CATALOG && !strncmp(model->quant_label, "mlx-", 4)) {
        as_mlx = *model; /* a catalog MLX build: its tensors as an MLX folder holds them */
        as_mlx.format = OG_FORMAT_MLX;
        model = &as_mlx;
    }
    og_status st = og_mlx_plan(model, &ms, pl, err);
    if (st != OG_OK) {
        free(pl);
        return st;
    }
    out->total_bytes = pl->peak_bytes;
    uint64_t budget = 0;
    if (s && s->budget_bytes) {
        budget = s->budget_bytes;
        snprintf(out->note, sizeof out->note, "budget given (--mem)");
    } else if (machine && machine->apple_silicon) {
        og_budget b;
        og_machine_budget(machine, &b);
        budget = b.gpu_bytes;
        snprintf(out->note, sizeof out->note, "MLX: GPU (unified) budget");
    } else {
        snprintf(out->note, sizeof out->note, "MLX runs only on Apple Silicon");
    }
    out->budget_bytes = budget;
    out->fits = budget && pl->peak_bytes <= budget;
    out->max_ctx = budget ? og_mlx_max_ctx(model, &ms, budget) : 0;
    free(pl);
    return OG_OK;
}

/* llama.cpp's settings for the doctor: llama.cpp's defaults (common/common.h,
 * llama.cpp 2026-09-12), the machine's backend, the context and the KV /
 * flash-attention / GPU-layer options. */
static og_status doctor_llama_settings(const og_machine *m, const doctor_model_opts *o,
                                       uint64_t ctx, og_llama_settings *s, og_error *err)
{
    if (o->llama)
        *s = *o->llama;
    else
        og_llama_settings_default(s);
    if (!o->backend_set)
        s->backend = cli_llama_backend(m);
    s->n_ctx = (uint32_t)(ctx > UINT32_MAX ? UINT32_MAX : ctx);
    cli_llama_kv_bits(s, o->kv_bits);
    const char *names[2] = {o->cache_type_k, o->cache_type_v};
    int *types[2] = {&s->type_k, &s->type_v};
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        int t = og_ggml_type_from_name(names[i]);
        if (t < 0)
            return og_error_set(err, OG_ERR_INVALID, "%s: unknown cache type '%s'",
                                i ? "--cache-type-v" : "--cache-type-k", names[i]);
        *types[i] = t;
    }
    if (o->flash_attn)
        s->flash_attn = o->flash_attn == 1 ? OG_FA_ON : o->flash_attn == 2 ? OG_FA_OFF : OG_FA_AUTO;
    if (o->ngl_set)
        s->n_gpu_layers = o->n_gpu_layers;
    return OG_OK;
}

/* File quants llama-quantize makes, largest first (tools/quantize/quantize.cpp). */
static const char *const file_quants[] = {"Q8_0",   "Q6_K",   "Q5_K_M", "Q4_K_M",
                                          "IQ4_XS", "Q3_K_M", "Q2_K"};

/* The llama.cpp memory plan (include/oomguard/llama.h, docs/LLAMA_CPP.md):
 * weights, KV and compute from og_llama_plan with this machine's backend;
 * what must sit on the GPU = the plan's GPU pool (all of it on the CPU
 * backend); the largest context from og_llama_max_ctx against the capacity. */
static og_status llama_plan(const og_model *model, const og_budget *b, const og_llama_settings *ls,
                            uint64_t capacity, og_doctor_plan *p, og_error *err)
{
    og_llama_memplan pl;
    og_status st = og_llama_plan(model, ls, &pl, err);
    if (st != OG_OK)
        return st;
    p->weight_bytes = pl.component_bytes[OG_COMP_WEIGHTS];
    p->kv_bytes = pl.component_bytes[OG_COMP_KV] + pl.component_bytes[OG_COMP_RS];
    p->compute_bytes = pl.component_bytes[OG_COMP_COMPUTE] + pl.component_bytes[OG_COMP_OUTPUT];
    p->total_bytes = pl.total_bytes;
    p->gpu_need_bytes = ls->backend != OG_BACKEND_CPU ? pl.gpu_bytes : pl.total_bytes;
    p->n_ctx = pl.n_ctx;
    og_budget cb;
    cli_budget_cap(b, ls->backend, capacity, &cb);
    p->max_ctx = og_llama_max_ctx(model, ls, &cb);
    return OG_OK;
}

static uint64_t fp16_bytes(const og_model *md)
{
    uint64_t t = 0;
    for (size_t i = 0; i < md->n_types; i++) {
        const char *n = md->by_type[i].type_name;
        if (n &&
            (strcasecmp(n, "f16") == 0 || strcasecmp(n, "bf16") == 0 || strcasecmp(n, "f32") == 0))
            t += md->by_type[i].bytes;
    }
    return t;
}

/* "mlx-community/<name>-4bit" from a folder / repo name, without a trailing
 * -bf16 / -fp16 / -4bit / -8bit. */
static void mlx_q4_name(const doctor_model *dm, char *buf, size_t n)
{
    const char *src = dm->entry ? dm->entry->hf_repo : dm->model->path;
    if (!src || !*src)
        src = dm->model->name ? dm->model->name : "model";
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", src);
    size_t l = strlen(tmp);
    while (l && tmp[l - 1] == '/')
        tmp[--l] = 0;
    const char *base = strrchr(tmp, '/');
    base = base ? base + 1 : tmp;
    char name[160];
    snprintf(name, sizeof name, "%.*s", (int)(sizeof name - 1), base); /* truncation intended */
    static const char *const sfx[] = {"-bf16", "-fp16", "-f16",  "-4bit",
                                      "-8bit", "-6bit", "-3bit", ".safetensors"};
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        size_t ln = strlen(name), ls = strlen(sfx[i]);
        if (ln > ls && strcasecmp(name + ln - ls, sfx[i]) == 0)
            name[ln - ls] = 0;
    }
    snprintf(buf, n, "mlx-community/%.120s-4bit", name);
}

og_status doctor_plan_for_model(const doctor_model *dm, const og_machine *m, const og_budget *b,
                                const doctor_model_opts *o, og_doctor_plan *p, og_error *err)
{
    const og_model *md = dm->model;
    memset(p, 0, sizeof *p);
    snprintf(p->model, sizeof p->model, "%s",
             dm->entry  ? dm->entry->name
             : md->path ? md->path
             : md->name ? md->name
                        : "model");
    snprintf(p->quant, sizeof p->quant, "%s", md->quant_label);
    p->mlx = dm->mlx;
    p->n_params = md->n_params;
    p->fp16_weight_bytes = fp16_bytes(md);
    uint64_t ctx = o->ctx ? o->ctx : 4096;
    if (md->hp.n_ctx_train && ctx > md->hp.n_ctx_train)
        ctx = md->hp.n_ctx_train;
    p->n_ctx = (uint32_t)(ctx > UINT32_MAX ? UINT32_MAX : ctx);
    uint64_t capacity = o->mem ? o->mem : capacity_of(m, b);
    og_fit_settings fs = {.ctx = ctx, .kv_bits = o->kv_bits, .budget_bytes = o->mem};
    og_fit_fn fn = dm->mlx ? mlx_fit : cli_llama_fit;
    og_status st;
    og_llama_settings ls;
    st = doctor_llama_settings(m, o, ctx, &ls, err);
    if (st != OG_OK)
        return st;
    /* the llama.cpp adapter's user: these settings, and for machine tiers each
     * preset's own backend */
    cli_llama_fit_user lu = {.base = &ls, .weight_bytes = 0, .machine_backend = 0};
    cli_llama_fit_user lu_tier = {.base = &ls, .weight_bytes = 0, .machine_backend = 1};

    if (dm->mlx) {
        og_mlx_settings ms;
        if (o->mlx)
            ms = *o->mlx;
        else
            og_mlx_settings_default(&ms);
        ms.ctx = ctx;
        if (o->kv_bits == 8 || o->kv_bits == 4)
            ms.kv_bits = (uint32_t)o->kv_bits;
        og_mlx_plan_result *pl = malloc(sizeof *pl);
        if (!pl)
            return og_error_set(err, OG_ERR_NOMEM, "out of memory");
        /* A catalog MLX build carries mlx-lm's tensor list (names, packed U32,
         * scales, biases): plan it as the MLX folder it describes, not as a
         * conversion (og_mlx_plan plans catalog entries as the 4-bit build). */
        og_model as_mlx;
        const og_model *pm = md;
        if (dm->entry && og_catalog_build_is_mlx(dm->build)) {
            as_mlx = *md;
            as_mlx.format = OG_FORMAT_MLX;
            pm = &as_mlx;
        }
        st = og_mlx_plan(pm, &ms, pl, err);
        if (st == OG_OK)
            st = og_mlx_judge(pm, pl, m, b, err);
        if (st != OG_OK) {
            free(pl);
            return st;
        }
        p->weight_bytes = pl->weights_bytes;
        p->kv_bytes = pl->kv_at_peak_bytes ? pl->kv_at_peak_bytes : pl->kv_bytes;
        p->compute_bytes = pl->compute_bytes;
        p->total_bytes = pl->peak_bytes;
        p->gpu_need_bytes = pl->peak_bytes;
        if (pl->hypothetical && pl->quant[0])
            snprintf(p->quant, sizeof p->quant, "mlx %.27s", pl->quant);
        uint64_t mc = og_mlx_max_ctx(pm, &ms, capacity);
        p->max_ctx = (uint32_t)(mc > UINT32_MAX ? UINT32_MAX : mc);
        /* the fp16 share of what MLX would load (a GGUF / catalog model is planned as
         * its 4-bit MLX build) */
        if (pl->hypothetical)
            p->fp16_weight_bytes =
                strstr(pl->quant, "bf16") || strstr(pl->quant, "f16") ? pl->weights_bytes : 0;
        else
            p->weight_bytes = pl->weights_bytes;
        free(pl);
        if (p->fp16_weight_bytes > p->weight_bytes)
            p->fp16_weight_bytes = p->weight_bytes;
    } else {
        st = llama_plan(md, b, &ls, capacity, p, err);
        if (st != OG_OK)
            return st;
    }

    /* 4-bit build and the largest fitting quant */
    if (dm->entry) {
        og_catalog_build q4 = dm->mlx ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
        og_model *qm = NULL;
        if (og_catalog_has_build(dm->entry, q4) &&
            og_catalog_model(dm->entry, q4, &qm, err) == OG_OK) {
            if (dm->mlx)
                snprintf(p->q4_name, sizeof p->q4_name, "mlx-community/%.120s-4bit",
                         strrchr(dm->entry->hf_repo, '/') ? strrchr(dm->entry->hf_repo, '/') + 1
                                                          : dm->entry->name);
            else
                snprintf(p->q4_name, sizeof p->q4_name, "%s Q4_K_M", dm->entry->name);
            p->q4_bytes = qm->weight_bytes;
            og_model_free(qm);
        }
        og_fit_settings cs = fs;
        cs.budget_bytes = capacity;
        cs.min_ctx = ctx;
        og_catalog_build best;
        og_fit_result br;
        if (og_catalog_best_build(dm->entry, m, dm->mlx, &cs, fn, dm->mlx ? NULL : &lu, &best, &br,
                                  err) == OG_OK &&
            best != OG_BUILD_COUNT) {
            snprintf(p->fit_quant, sizeof p->fit_quant, "%s", og_catalog_build_name(best));
            p->fit_quant_bytes = br.total_bytes;
        }
    } else if (dm->mlx) {
        mlx_q4_name(dm, p->q4_name, sizeof p->q4_name);
        /* mlx_lm.convert -q at 8, 6, 4, 3 bits: the largest that fits */
        static const uint32_t bits[] = {8, 6, 4, 3};
        for (size_t i = 0; i < sizeof bits / sizeof *bits; i++) {
            og_fit_settings cs = fs;
            cs.budget_bytes = capacity;
            og_fit_result r;
            uint32_t qb = bits[i];
            if (mlx_fit(md, m, &cs, &r, &qb, err) == OG_OK && r.fits) {
                if (r.total_bytes < p->total_bytes || md->format != OG_FORMAT_MLX) {
                    snprintf(p->fit_quant, sizeof p->fit_quant, "mlx %u-bit", qb);
                    p->fit_quant_bytes = r.total_bytes;
                }
                break;
            }
        }
    } else {
        /* a file: the same tensors re-quantized (og_llama_quant_weight_bytes: each
         * type's bits per weight, 1-D tensors f32), with this plan's KV and compute;
         * the largest of llama-quantize's types that fits the capacity */
        uint64_t q4 = og_llama_quant_weight_bytes(md, "Q4_K_M");
        if (q4) {
            p->q4_bytes = q4;
            snprintf(p->q4_name, sizeof p->q4_name, "GGUF Q4_K_M (estimated from the tensors)");
        }
        og_budget cb;
        cli_budget_cap(b, ls.backend, capacity, &cb);
        for (size_t i = 0; i < sizeof file_quants / sizeof *file_quants; i++) {
            uint64_t w = og_llama_quant_weight_bytes(md, file_quants[i]);
            if (!w || w >= p->weight_bytes)
                continue;
            og_llama_settings qs = ls;
            og_llama_memplan qp;
            og_llama_fit qf;
            if (og_llama_plan(md, &qs, &qp, NULL) != OG_OK)
                break;
            cli_llama_plan_reweight(&qp, w);
            if (og_llama_verdict(md, &qs, &qp, &cb, &qf, NULL) == OG_OK &&
                qf.verdict != OG_FIT_NO) {
                snprintf(p->fit_quant, sizeof p->fit_quant, "%s (estimated)", file_quants[i]);
                p->fit_quant_bytes = qp.total_bytes;
                break;
            }
        }
    }

    /* check 5: the smallest sensible quant at a short context, and the smallest
     * machine preset it fits on */
    og_fit_settings ss = {.ctx = ctx < 4096 ? ctx : 4096, .kv_bits = o->kv_bits};
    og_model *small = NULL;
    const og_model *sm = md;
    uint32_t q3 = 3;
    void *user = dm->mlx ? NULL : &lu_tier;
    if (dm->entry) {
        og_catalog_build sb = dm->mlx ? OG_BUILD_MLX_3BIT : OG_BUILD_GGUF_Q3_K_M;
        if (og_catalog_has_build(dm->entry, sb) &&
            og_catalog_model(dm->entry, sb, &small, err) == OG_OK)
            sm = small;
    } else if (dm->mlx) {
        user = &q3; /* mlx_lm.convert -q --q-bits 3 (as stored when already quantized) */
    } else {
        /* the file re-quantized to Q3_K_M (when that is smaller) */
        uint64_t w3 = og_llama_quant_weight_bytes(md, "Q3_K_M");
        if (w3 && w3 < p->weight_bytes)
            lu_tier.weight_bytes = w3;
    }
    og_fit_result sr;
    og_fit_settings ssm = ss;
    ssm.budget_bytes = capacity;
    if (fn(sm, m, &ssm, &sr, user, err) == OG_OK)
        p->smallest_bytes = sr.total_bytes;
    og_machine_fit *rows = calloc(256, sizeof *rows);
    uint32_t nrows = 0;
    if (rows && og_fit_machines(sm, &ss, fn, user, rows, 256, &nrows, err) == OG_OK) {
        for (uint32_t i = 0; i < nrows; i++)
            if (rows[i].result.fits) {
                snprintf(p->fits_tier, sizeof p->fits_tier, "machine like %.40s", rows[i].preset);
                break;
            }
    }
    free(rows);
    og_model_free(small);
    og_error_clear(err);
    return OG_OK;
}

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

static json_t *report_json(const og_doctor_report *r, const og_machine *m, const og_doctor_plan *p,
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
    if (p) {
        json_t *pj = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "model", p->model,
            "quant", p->quant, "engine", p->mlx ? "mlx" : "llama.cpp", "n_ctx",
            (json_int_t)p->n_ctx, "weights_bytes", (json_int_t)p->weight_bytes, "kv_bytes",
            (json_int_t)p->kv_bytes, "compute_bytes", (json_int_t)p->compute_bytes, "total_bytes",
            (json_int_t)p->total_bytes, "max_ctx", (json_int_t)p->max_ctx, "smallest_bytes",
            (json_int_t)p->smallest_bytes, "fit_quant", p->fit_quant, "fits_tier", p->fits_tier);
        json_object_set_new(pj, "estimator", json_string(p->mlx ? "mlx" : "llama.cpp"));
        json_object_set_new(j, "plan", pj);
    } else {
        json_object_set_new(j, "plan", json_null());
    }
    json_object_set_new(j, "swapout_bytes_per_s", rate_known ? json_real(rate) : json_null());
    return j;
}

static void print_report(const og_doctor_report *r, const og_machine *m, const og_doctor_plan *p)
{
    FILE *o = stdout;
    const char *B = cli_c(o, CLI_BOLD), *R = cli_c(o, CLI_RESET), *D = cli_c(o, CLI_DIM);
    printf("%soomguard doctor%s  %s%s%s, %s RAM%s\n", B, R, D,
           m->preset[0]     ? m->preset
           : m->chip[0]     ? m->chip
           : m->cpu_name[0] ? m->cpu_name
                            : "this machine",
           m->preset[0] ? " (preset)" : "", cli_bytes(m->ram_bytes), R);
    if (p)
        printf("%smodel %s%s%s, %s, %u tokens, engine %s%s\n", D, p->model, p->quant[0] ? " " : "",
               p->quant, cli_bytes(p->total_bytes), p->n_ctx, p->mlx ? "MLX" : "llama.cpp", R);
    printf("\n");
    if (r->headline >= 0) {
        const og_check *h = &r->checks[r->headline];
        printf("%s%sHeadline:%s %s (%s)\n  %s\n  %sFix:%s %s\n\n", B, cli_c(o, CLI_RED), R,
               h->title, og_check_id_name(h->id), h->evidence, B, R, h->fix);
    } else {
        printf("%s%sNo check fails.%s\n\n", B, cli_c(o, CLI_GREEN), R);
    }
    int width = cli_term_width();
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        const og_check *k = &r->checks[i];
        printf("%d. %s%-7s%s %s%s%s  %s(%s)%s\n", i + 1, cli_c(o, status_color(k->status)),
               og_check_status_name(k->status), R, B, k->title, R, D, og_check_id_name(k->id), R);
        (void)width;
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
    doctor_model_opts mo = {0};
    prc = doctor_opts_from_engine(&e, "doctor", &mo);
    if (prc)
        return prc;
    mo.quant = dc.quant;
    mo.mem = dc.mem;
    int json = dc.json;
    const char *machine_arg = dc.machine, *log_arg = dc.log, *procs_arg = dc.procs;
    double sample = dc.sample;
    og_error err;
    const char *model_arg =
        npos ? cli_model_arg(argv[1], !mo.quant && mo.engine == DOCTOR_ENGINE_AUTO, &prc) : NULL;
    if (npos && !model_arg)
        return prc;
    if (!model_arg && (mo.quant || cli_engine_any_given(&e)))
        return cli_usage_error("doctor", "--quant and the engine settings (-c, -ngl, --engine "
                                         "...) need a MODEL");

    int rc = OG_EXIT_INTERNAL;
    og_machine *m = calloc(1, sizeof *m);
    og_machine *m2 = calloc(1, sizeof *m2);
    og_log_report *log = NULL;
    og_doctor_proc *procs = NULL;
    uint32_t n_procs = 0;
    doctor_model dm = {0};
    og_doctor_plan plan;
    int have_plan = 0;
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
    og_budget b;
    og_machine_budget(m, &b);
    if (mo.mem) {
        b.gpu_bytes = b.has_gpu ? mo.mem : b.gpu_bytes;
        b.host_bytes = mo.mem;
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
        st = doctor_open_model(model_arg, m, &mo, &dm, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = st == OG_ERR_NOMEM ? OG_EXIT_INTERNAL : OG_EXIT_USAGE;
            goto out;
        }
        st = doctor_plan_for_model(&dm, m, &b, &mo, &plan, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = st == OG_ERR_INVALID ? OG_EXIT_USAGE : OG_EXIT_INTERNAL;
            goto out;
        }
        have_plan = 1;
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

    og_doctor_input in = {0};
    in.machine = m;
    in.budget = &b;
    if (m->os == OG_OS_MACOS)
        in.default_wired_bytes = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
    in.procs = procs;
    in.n_procs = n_procs;
    if (!procs && machine_arg)
        in.procs_reason = "--machine describes another machine, so this one's processes do not "
                          "count (--procs FILE replays a recorded list)";
    in.plan = have_plan ? &plan : NULL;
    in.log = log;
    in.swapout_rate_known = rate_known;
    in.swapout_bytes_per_s = rate;
    og_doctor_report r;
    og_doctor_run(&in, &r);

    if (json)
        cli_print_json(report_json(&r, m, in.plan, rate_known, rate));
    else
        print_report(&r, m, in.plan);
    if (have_plan && !plan.mlx && !json)
        printf("\n%sllama.cpp sizes: the llama.cpp memory plan (%s, %s backend); "
               "'oomguard fit' shows every buffer.%s\n",
               cli_c(stdout, CLI_DIM), OG_LLAMA_CPP_VERSION, og_backend_name(cli_llama_backend(m)),
               cli_c(stdout, CLI_RESET));
    rc = r.headline >= 0 ? OG_EXIT_PROBLEM : OG_EXIT_OK;
out:
    og_model_free(dm.model);
    free(procs);
    free(log);
    free(m2);
    free(m);
    return rc;
}
