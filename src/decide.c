/* The decision core (include/oomguard/decide.h, docs/DOCTOR.md): the engine
 * plan (llama.cpp: src/llama_plan.c, src/llama_fit.c, llama.cpp 2026-09-12;
 * mlx-lm: src/mlx_plan.c, mlx-lm 0.32.0) against the budget chain
 * (src/decide_budget.c), what-ifs with the engine's own verdict (the GPU
 * limit raised, the other processes closed), alternatives from the catalog,
 * and the doctor's seven checks written from those facts (src/doctor.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "decide_internal.h"
#include "og_internal.h"
#include "plan_internal.h"
#include "oomguard/units.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)
#define SZ(b) og_format_bytes((b), (char[32]){0}, 32)

og_status og_decide_engine_from_name(const char *name, og_engine *out, og_error *err)
{
    static const struct {
        const char *n;
        og_engine e;
    } t[] = {{"auto", OG_ENGINE_AUTO},
             {"llama.cpp", OG_ENGINE_LLAMA_CPP},
             {"llamacpp", OG_ENGINE_LLAMA_CPP},
             {"llama", OG_ENGINE_LLAMA_CPP},
             {"llama-server", OG_ENGINE_LLAMA_CPP},
             {"lmstudio", OG_ENGINE_LLAMA_CPP},
             {"ollama", OG_ENGINE_OLLAMA},
             {"mlx", OG_ENGINE_MLX},
             {"mlx-lm", OG_ENGINE_MLX}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (og_strcasecmp(name, t[i].n) == 0) {
            *out = t[i].e;
            return OG_OK;
        }
    return og_error_set(err, OG_ERR_INVALID, "unknown engine '%s' (llama.cpp, ollama or mlx)",
                        name ? name : "");
}

void og_decide_settings_default(og_decide_settings *s)
{
    memset(s, 0, sizeof *s);
    og_llama_settings_default(&s->llama);
    og_mlx_settings_default(&s->mlx);
    s->mlx.ctx = 0; /* the planning context (OG_MLX_PLANNING_CTX) */
}

void og_decide_fitp_input(const og_budget *b, og_backend backend, uint64_t host_total_bytes,
                          const og_decide_fit *fit, og_fitp_input *in)
{
    memset(in, 0, sizeof *in);
    if (b && backend != OG_BACKEND_CPU)
        for (uint32_t i = 0; i < b->n_devices && in->n_devices < OG_LLAMA_MAX_DEVICES; i++)
            if (b->devices[i].total_bytes)
                in->free_bytes[in->n_devices++] = b->devices[i].free_bytes;
    in->host_total_bytes = host_total_bytes;
    if (!fit)
        return;
    /* common/arg.cpp --fit-target: MiB per device, one value for all */
    for (uint32_t i = 0; i < OG_LLAMA_MAX_DEVICES && fit->n_target; i++)
        in->target_bytes[i] = fit->n_target == 1  ? fit->target_bytes[0]
                              : i < fit->n_target ? fit->target_bytes[i]
                                                  : OG_FIT_DEFAULT_TARGET;
    in->n_ctx_min = fit->n_ctx_min;
    in->ctx_full = fit->ctx_full;
    in->off = fit->off;
}

static int model_is_mlx_build(const og_model *m)
{
    return m->format == OG_FORMAT_MLX ||
           (m->format == OG_FORMAT_CATALOG && !strncmp(m->quant_label, "mlx-", 4));
}

og_engine og_decide_engine(const og_model *model, const og_decide_settings *s)
{
    if (s && s->engine != OG_ENGINE_AUTO)
        return s->engine;
    if (s && s->llama.engine == OG_LLAMA_ENGINE_OLLAMA)
        return OG_ENGINE_OLLAMA;
    return model && model_is_mlx_build(model) ? OG_ENGINE_MLX : OG_ENGINE_LLAMA_CPP;
}

/* ---- one engine run ------------------------------------------------------- */

typedef struct run {
    const og_decide_input *in;
    og_decide_ctx c;
    og_engine engine;
    og_llama_settings ls; /* n_ctx = the context asked for (resolved) */
    og_mlx_settings ms;
    uint32_t asked;     /* context asked for */
    uint32_t threshold; /* smallest context that counts as running (--fit's floor) */
    int ctx_default;
} run;

static uint64_t trained(const og_model *m)
{
    return m->hp.n_ctx_train;
}

/* A catalog MLX build carries mlx-lm's tensor list: plan it as the MLX folder
 * it describes (og_mlx_plan plans other catalog models as a conversion). */
static const og_model *as_mlx(const og_model *m, og_model *tmp)
{
    if (m->format == OG_FORMAT_CATALOG && !strncmp(m->quant_label, "mlx-", 4)) {
        *tmp = *m;
        tmp->format = OG_FORMAT_MLX;
        return tmp;
    }
    return m;
}

static void run_init(run *r, const og_decide_input *in, const og_model *model, og_engine engine,
                     const og_machine *m)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->engine = engine;
    const og_decide_settings *s = &in->settings;
    r->ls = s->llama;
    r->ls.engine = engine == OG_ENGINE_OLLAMA ? OG_LLAMA_ENGINE_OLLAMA : OG_LLAMA_ENGINE_LLAMA_CPP;
    if (!s->backend_set)
        r->ls.backend = og_decide_backend(m);
    r->ms = s->mlx;
    r->c.backend = engine == OG_ENGINE_MLX ? OG_BACKEND_METAL : r->ls.backend;
    r->c.mem_bytes = s->mem_bytes;
    for (uint32_t i = 0; in->procs && i < in->n_procs; i++)
        if (!in->procs[i].is_engine) {
            r->c.proc_ram += in->procs[i].footprint_bytes;
            r->c.proc_gpu += in->procs[i].gpu_bytes;
        }
    uint64_t tr = trained(model);
    if (engine == OG_ENGINE_MLX) {
        uint64_t ctx = r->ms.ctx ? r->ms.ctx : OG_MLX_PLANNING_CTX;
        r->ctx_default = !r->ms.ctx;
        if (tr && ctx > tr && r->ctx_default)
            ctx = tr;
        r->ms.ctx = ctx;
        r->asked = r->threshold = (uint32_t)(ctx > UINT32_MAX ? UINT32_MAX : ctx);
        return;
    }
    /* -c 0: the full trained context, set by the user (--fit never lowers it) */
    r->ctx_default = r->ls.n_ctx == 0 && !s->fit.ctx_full;
    uint64_t ctx = r->ls.n_ctx;
    if (!ctx)
        ctx = engine == OG_ENGINE_OLLAMA ? 4096 : tr;
    if (!ctx)
        ctx = 4096;
    if (tr && ctx > tr && r->ctx_default)
        ctx = tr; /* a -c the user gave is kept: llama.cpp runs it (and warns) */
    r->ls.n_ctx = (uint32_t)(ctx > UINT32_MAX ? UINT32_MAX : ctx);
    r->asked = r->ls.n_ctx;
    r->threshold = r->asked;
    /* llama.cpp --fit lowers a context the user did not set (down to
     * --fit-ctx, 4096; common/fit.cpp); Ollama's num_ctx is what it is */
    uint32_t fit_floor = s->fit.n_ctx_min ? s->fit.n_ctx_min : OG_LLAMA_FIT_MIN_CTX;
    if (r->ctx_default && engine == OG_ENGINE_LLAMA_CPP && !s->fit.off && r->asked > fit_floor)
        r->threshold = fit_floor;
}

/* Largest context of this model on budget b (llama: multiples of 256). */
static uint32_t max_ctx_on(const run *r, const og_model *model, const og_budget *b)
{
    if (r->engine == OG_ENGINE_MLX) {
        og_model tmp;
        uint64_t mc = og_mlx_max_ctx(as_mlx(model, &tmp), &r->ms, b->gpu_bytes);
        return (uint32_t)(mc > UINT32_MAX ? UINT32_MAX : mc);
    }
    return og_llama_max_ctx(model, &r->ls, b);
}

/* max_ctx_on(r, model, b) >= c, with one plan instead of the search
 * (src/plan_internal.h). */
static int ctx_at_least(const run *r, const og_model *model, const og_budget *b, uint32_t c)
{
    if (og_plan_exact_search) /* the tests' reference */
        return max_ctx_on(r, model, b) >= c;
    if (r->engine == OG_ENGINE_MLX) {
        og_model tmp;
        return og_mlx_max_ctx_at_least(as_mlx(model, &tmp), &r->ms, b->gpu_bytes, c);
    }
    return og_llama_max_ctx_at_least(model, &r->ls, b, c);
}

/* Does it run on budget b (limit_bytes: the GPU limit it assumes, for
 * Metal's buffer limit)? *mc (when not NULL) gets the largest context; the
 * answer needs no context search. */
static int fits_on(const run *r, const og_model *model, const og_machine *m, const og_budget *b,
                   uint64_t limit_bytes, const og_mlx_plan_result *mp, uint32_t *mc)
{
    if (mc)
        *mc = max_ctx_on(r, model, b);
    uint64_t tr = trained(model);
    uint32_t thr = r->threshold ? r->threshold : 1; /* x > 0 && x >= threshold */
    if (r->engine != OG_ENGINE_MLX && tr && r->threshold > tr) {
        /* past the trained context (the search stops there): plan it */
        og_llama_settings ls = r->ls;
        ls.n_ctx = r->threshold;
        og_llama_memplan p;
        og_llama_fit f;
        return og_llama_plan(model, &ls, &p, NULL) == OG_OK &&
               og_llama_verdict(model, &ls, &p, b, &f, NULL) == OG_OK && f.verdict != OG_FIT_NO;
    }
    if (r->engine != OG_ENGINE_MLX)
        return ctx_at_least(r, model, b, thr);
    if (!mp)
        return ctx_at_least(r, model, b, thr) ||
               (tr && r->threshold > tr && ctx_at_least(r, model, b, (uint32_t)tr));
    /* mlx: og_mlx_judge's rule: peak within the GPU budget and no buffer over
     * Metal's maxBufferLength (derived from the wired limit when not read) */
    uint64_t maxbuf = m->metal_max_buffer_bytes;
    if (limit_bytes && (m->metal_derived || !maxbuf))
        maxbuf = og_metal_max_buffer_estimate(limit_bytes);
    if (!maxbuf && m->ram_bytes)
        maxbuf = m->ram_bytes / 2;
    if (r->c.mem_bytes)
        maxbuf = 0;
    if (maxbuf && mp->largest_buffer_bytes > maxbuf)
        return 0;
    return mp->peak_bytes <= b->gpu_bytes;
}

/* ---- catalog alternatives ----------------------------------------------------- */

typedef struct cand {
    og_catalog_build build;
    uint64_t weight_bytes;
} cand;

/* og_catalog_build_sizes of an entry for one engine. */
typedef struct build_sizes {
    uint64_t weight[OG_BUILD_COUNT], params[OG_BUILD_COUNT];
} build_sizes;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return x->weight_bytes < y->weight_bytes ? 1 : x->weight_bytes > y->weight_bytes ? -1 : 0;
}

/* The need of a model at ctx tokens (llama: total; mlx: peak). */
static uint64_t need_at(const run *r, const og_model *model, uint32_t ctx)
{
    if (r->engine == OG_ENGINE_MLX) {
        og_mlx_settings ms = r->ms;
        ms.ctx = ctx;
        og_mlx_plan_result *p = malloc(sizeof *p);
        uint64_t v = 0;
        og_model tmp;
        if (p && og_mlx_plan(as_mlx(model, &tmp), &ms, p, NULL) == OG_OK)
            v = p->peak_bytes;
        free(p);
        return v;
    }
    og_llama_settings ls = r->ls;
    ls.n_ctx = ctx;
    og_llama_memplan p;
    if (og_llama_plan(model, &ls, &p, NULL) != OG_OK)
        return 0;
    return p.backend != OG_BACKEND_CPU ? p.gpu_bytes : p.total_bytes;
}

/* The pick policy: among the entry's builds for this engine, the largest
 * that leaves OG_USABLE_CTX tokens (or the trained context if smaller);
 * when none does, the largest that runs at all. Returns 0 when none runs. */
static int is_16bit(og_catalog_build b)
{
    return strstr(og_catalog_build_name(b), "16") != NULL;
}

/* min_q4: only builds at least as large as the 4-bit one (a smaller-model
 * suggestion at 2-3 bits is not one people would take). sz: the entry's
 * og_catalog_build_sizes for this engine (NULL: worked out here). Each
 * build is planned at the context asked (does it run?) and at the usable
 * context (does it leave that much?); the largest context is searched only
 * for the pick. */
static int best_build(const run *r, const og_catalog_entry *e, const og_machine *m,
                      const og_budget *b, int min_q4, og_catalog_gen *gen, const build_sizes *sz,
                      og_catalog_build *out, uint64_t *need, uint32_t *mc)
{
    cand cs[OG_BUILD_COUNT];
    uint32_t n = 0;
    int want_mlx = r->engine == OG_ENGINE_MLX;
    og_catalog_gen *own = NULL;
    build_sizes local;
    if (!gen) {
        if (og_catalog_gen_new(e, &own, NULL) != OG_OK)
            return 0;
        gen = own;
    }
    if (!sz) {
        if (og_catalog_gen_sizes(gen, want_mlx, local.weight, local.params, NULL) != OG_OK) {
            og_catalog_gen_free(own);
            return 0;
        }
        sz = &local;
    }
    for (int i = 0; i < OG_BUILD_COUNT; i++) {
        og_catalog_build bb = (og_catalog_build)i;
        if (og_catalog_build_is_mlx(bb) != want_mlx || !og_catalog_has_build(e, bb) ||
            is_16bit(bb) || !sz->weight[i])
            continue;
        /* under 3 bits per weight (Q2_K, IQ2_*, IQ1_*) is not a build people
         * run for quality: never the pick, never the fix */
        if (sz->params[i] && (double)sz->weight[i] * 8.0 / (double)sz->params[i] < 3.0)
            continue;
        cs[n].build = bb;
        cs[n].weight_bytes = sz->weight[i];
        n++;
    }
    qsort(cs, n, sizeof cs[0], cand_cmp);
    if (min_q4) {
        og_catalog_build q4 = want_mlx ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
        uint64_t q4w = 0;
        for (uint32_t i = 0; i < n; i++)
            if (cs[i].build == q4)
                q4w = cs[i].weight_bytes;
        while (q4w && n && cs[n - 1].weight_bytes < q4w)
            n--;
    }
    /* a context the user chose is kept; the default asks for a usable one */
    uint64_t usable = !r->ctx_default     ? r->asked
                      : r->in->usable_ctx ? r->in->usable_ctx
                                          : OG_USABLE_CTX;
    if (e->hp.n_ctx_train && e->hp.n_ctx_train < usable)
        usable = e->hp.n_ctx_train;
    /* the largest that runs and leaves the usable context, else the largest
     * that runs */
    og_model *mds[OG_BUILD_COUNT] = {0};
    int pick = -1, first_runs = -1;
    for (uint32_t i = 0; i < n && pick < 0; i++) {
        if (og_catalog_gen_model(gen, cs[i].build, &mds[i], NULL) != OG_OK)
            continue;
        int ok = 0;
        if (r->engine == OG_ENGINE_MLX) {
            og_mlx_plan_result *p = malloc(sizeof *p);
            og_model tmp;
            if (p && og_mlx_plan(as_mlx(mds[i], &tmp), &r->ms, p, NULL) == OG_OK)
                ok = fits_on(r, mds[i], m, b, 0, p, NULL);
            free(p);
        } else {
            ok = fits_on(r, mds[i], m, b, 0, NULL, NULL);
        }
        if (!ok)
            continue;
        if (first_runs < 0)
            first_runs = (int)i;
        if (ctx_at_least(r, mds[i], b, (uint32_t)(usable > UINT32_MAX ? UINT32_MAX : usable)))
            pick = (int)i;
    }
    if (pick < 0)
        pick = first_runs;
    if (pick >= 0) {
        og_model *md = mds[pick];
        uint32_t x = max_ctx_on(r, md, b);
        *out = cs[pick].build;
        if (mc)
            *mc = x;
        if (need) {
            uint32_t at = r->asked;
            if (r->engine != OG_ENGINE_MLX && x < at)
                at = x; /* --fit lowers the context to what fits */
            *need = need_at(r, md, at);
        }
    }
    for (uint32_t i = 0; i < n; i++)
        og_model_free(mds[i]);
    og_catalog_gen_free(own);
    return pick >= 0;
}

/* The default build of an entry for an engine (the one `--quant` omitted means). */
static og_catalog_build default_build(const og_catalog_entry *e, int mlx)
{
    og_catalog_build b = mlx ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
    return og_catalog_has_build(e, b) ? b : OG_BUILD_COUNT;
}

/* The smallest build of an entry for an engine (check 5). */
static og_catalog_build smallest_build(const og_catalog_entry *e, int mlx, uint64_t *wb)
{
    og_catalog_build best = OG_BUILD_COUNT;
    uint64_t bw = UINT64_MAX;
    for (int i = 0; i < OG_BUILD_COUNT; i++) {
        og_catalog_build bb = (og_catalog_build)i;
        if (og_catalog_build_is_mlx(bb) != mlx || !og_catalog_has_build(e, bb))
            continue;
        og_model *md = NULL;
        if (og_catalog_model(e, bb, &md, NULL) != OG_OK)
            continue;
        if (md->weight_bytes < bw) {
            bw = md->weight_bytes;
            best = bb;
        }
        og_model_free(md);
    }
    if (wb)
        *wb = bw;
    return best;
}

static uint64_t entry_params(const og_catalog_entry *e)
{
    return e->params_published;
}

/* The nearest smaller catalog model whose default build runs here: the same
 * family first, then any. */
static int smaller_model(const run *r, uint64_t params, const char *family, const char *self,
                         const og_machine *m, const og_budget *b, og_decision *d)
{
    if (og_catalog_load(NULL) != OG_OK && og_catalog_count() == 0)
        return 0;
    int mlx = r->engine == OG_ENGINE_MLX;
    for (int pass = 0; pass < 2; pass++) {
        /* candidates below params, largest first */
        uint64_t below = params;
        for (;;) {
            const og_catalog_entry *pick = NULL;
            for (uint32_t i = 0; i < og_catalog_count(); i++) {
                const og_catalog_entry *e = og_catalog_get(i);
                uint64_t p = entry_params(e);
                if (!p || p >= below || !strcmp(e->name, self))
                    continue;
                if (pass == 0 && (!family || strcmp(e->family, family)))
                    continue;
                if (default_build(e, mlx) == OG_BUILD_COUNT)
                    continue;
                if (!pick || p > entry_params(pick))
                    pick = e;
            }
            if (!pick)
                break;
            below = entry_params(pick);
            og_catalog_build bb = OG_BUILD_COUNT;
            uint64_t need = 0;
            uint32_t mc = 0;
            if (best_build(r, pick, m, b, 1, NULL, NULL, &bb, &need, &mc)) {
                og_strlcpy(d->smaller_model, pick->name, sizeof d->smaller_model);
                og_strlcpy(d->smaller_build, og_catalog_build_name(bb), sizeof d->smaller_build);
                d->smaller_bytes = need;
                return 1;
            }
        }
    }
    return 0;
}

/* The smallest preset of this machine's kind on which the smallest build runs
 * at a short context (check 5). */
static int machine_tier(const run *r0, const og_model *small, og_decision *d)
{
    const og_machine *here = r0->in->machine;
    int apple = og_machine_is_apple(here);
    int nvidia = !apple && here->n_gpus && here->gpus[0].vendor == OG_GPU_NVIDIA;
    og_machine *pm = malloc(sizeof *pm);
    if (!pm)
        return 0;
    const char *best = NULL;
    uint64_t best_ram = UINT64_MAX;
    for (uint32_t i = 0; i < og_machine_preset_count(); i++) {
        if (og_machine_preset(og_machine_preset_name(i), pm, NULL) != OG_OK)
            continue;
        int pa = og_machine_is_apple(pm);
        int pn = !pa && pm->n_gpus && pm->gpus[0].vendor == OG_GPU_NVIDIA;
        if (r0->engine == OG_ENGINE_MLX ? !pa : (apple != pa || (nvidia && !pn)))
            continue;
        if (pm->ram_bytes >= best_ram)
            continue;
        run r = *r0;
        r.ls.backend = og_decide_backend(pm);
        r.c.backend = r.engine == OG_ENGINE_MLX ? OG_BACKEND_METAL : r.ls.backend;
        r.c.proc_ram = r.c.proc_gpu = 0;
        r.c.mem_bytes = 0;
        uint32_t shortc = r.threshold < 4096 ? r.threshold : 4096;
        r.threshold = shortc;
        og_budget b;
        uint64_t lim = og_machine_is_apple(pm) || og_machine_is_apu(pm)
                           ? (uint64_t)og_wired_max_safe_mb(pm->ram_bytes) * MIB
                           : 0;
        if (og_machine_is_apu(pm))
            lim -= og_apu_carveout_bytes(pm);
        og_decide_budget_at(&r.c, pm, lim, 1, &b, NULL);
        int ok;
        if (r.engine == OG_ENGINE_MLX) {
            og_mlx_plan_result *p = malloc(sizeof *p);
            og_model tmp;
            r.ms.ctx = shortc;
            ok = p && og_mlx_plan(as_mlx(small, &tmp), &r.ms, p, NULL) == OG_OK &&
                 fits_on(&r, small, pm, &b, lim, p, NULL);
            free(p);
        } else {
            ok = fits_on(&r, small, pm, &b, lim, NULL, NULL);
        }
        if (ok) {
            best = og_machine_preset_name(i);
            best_ram = pm->ram_bytes;
        }
    }
    free(pm);
    if (best)
        og_strlcpy(d->tier, best, sizeof d->tier);
    return best != NULL;
}

/* ---- the decision --------------------------------------------------------------- */

static void advise(og_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void advise(og_decision *d, const char *fmt, ...)
{
    if (d->n_advice >= OG_DECIDE_MAX_ADVICE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->advice[d->n_advice++], sizeof d->advice[0], fmt, ap);
    va_end(ap);
}

static uint64_t fp16_bytes(const og_model *md)
{
    uint64_t t = 0;
    for (size_t i = 0; i < md->n_types; i++) {
        const char *n = md->by_type[i].type_name;
        if (n && (og_strcasecmp(n, "f16") == 0 || og_strcasecmp(n, "bf16") == 0 ||
                  og_strcasecmp(n, "f32") == 0))
            t += md->by_type[i].bytes;
    }
    /* a config.json-only model has no tensors: its torch_dtype says it */
    if (!md->n_types && md->dtype[0] &&
        (strstr(md->dtype, "16") || strstr(md->dtype, "32") || strstr(md->dtype, "float")))
        t = md->weight_bytes;
    return t;
}

static const char *ctx_flag(const run *r)
{
    return r->engine == OG_ENGINE_MLX      ? "--max-kv-size"
           : r->engine == OG_ENGINE_OLLAMA ? "num_ctx"
                                           : "-c";
}

/* MLX: the model defines make_cache(), so --max-kv-size does nothing
 * (mlx_lm/models/cache.py make_prompt_cache): the context is capped by what
 * the user sends and generates. */
static int mlx_kv_cap_ignored(const run *r, const og_model *model)
{
    return r->engine == OG_ENGINE_MLX && !og_mlx_max_kv_size_honoured(model);
}

/* Search the smallest GPU limit (whole GiB, at most the safe maximum) at which
 * the plan runs, with the others closed or not. 0 = none. */
static uint32_t search_limit(const run *r, const og_model *model, const og_machine *m,
                             const og_limit_advice *l, int close, const og_mlx_plan_result *mp)
{
    uint64_t carve = l->gtt ? og_apu_carveout_bytes(m) : 0;
    uint64_t top = l->safe_max_bytes > carve ? l->safe_max_bytes - carve : 0;
    uint64_t lo_b = l->current_bytes > l->default_bytes ? l->current_bytes : l->default_bytes;
    if (lo_b > top)
        return 0;
    og_budget b;
    og_decide_budget_at(&r->c, m, top, close, &b, NULL);
    if (!fits_on(r, model, m, &b, top, mp, NULL))
        return 0;
    og_decide_budget_at(&r->c, m, lo_b, close, &b, NULL);
    if (fits_on(r, model, m, &b, lo_b, mp, NULL))
        return (uint32_t)(lo_b / MIB); /* the current limit (or the default) is enough */
    /* in GiB steps from lo (not fitting, or it would fit now) to top (fits) */
    uint64_t lo = lo_b / GIB, hi = (top + GIB - 1) / GIB;
    while (lo + 1 < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        og_decide_budget_at(&r->c, m, mid * GIB, close, &b, NULL);
        if (fits_on(r, model, m, &b, mid * GIB, mp, NULL))
            hi = mid;
        else
            lo = mid;
    }
    uint64_t v = hi * GIB;
    if (v > top)
        v = top;
    return (uint32_t)(v / MIB);
}

/* A GGUF file has no catalog builds: the same tensors re-quantized to each
 * catalog GGUF type (og_llama_quant_weight_bytes: the type's bits per weight,
 * 1-D tensors f32), this plan's KV and compute kept. The largest that fits
 * the usable pool (named "(estimated)"), and the smallest's need (check 5). */
static void file_requant(const run *r, const og_model *model, const og_budget *b, og_decision *d,
                         uint64_t gpu_need)
{
    og_doctor_plan *p = &d->plan;
    uint64_t w_now = p->weight_bytes;
    uint64_t pool =
        r->c.backend != OG_BACKEND_CPU && (b->has_gpu || b->unified) ? b->gpu_bytes : b->host_bytes;
    uint64_t best_w = 0, small_w = UINT64_MAX;
    for (int i = 0; i < OG_BUILD_COUNT; i++) {
        og_catalog_build bb = (og_catalog_build)i;
        if (og_catalog_build_is_mlx(bb) || is_16bit(bb))
            continue;
        uint64_t w = og_llama_quant_weight_bytes(model, og_catalog_build_name(bb));
        if (!w || w >= w_now)
            continue;
        if (w < small_w)
            small_w = w;
        uint64_t need = gpu_need - w_now + w;
        if (need <= pool && w > best_w) {
            best_w = w;
            d->fit_build_ctx = p->n_ctx;
            snprintf(d->fit_build, sizeof d->fit_build, "%s (estimated)",
                     og_catalog_build_name(bb));
            d->fit_build_bytes = need;
        }
    }
    if (best_w) {
        og_strlcpy(p->fit_quant, d->fit_build, sizeof p->fit_quant);
        p->fit_quant_bytes = d->fit_build_bytes;
    }
    if (small_w != UINT64_MAX)
        p->smallest_bytes = gpu_need - w_now + small_w;
}

/* llama.cpp's --fit moving layers and MoE experts off a discrete GPU
 * (common/fit.cpp common_params_fit_impl, llama.cpp 2026-09-12, through
 * og_llama_fit_params): it runs when every layer on the GPU does not fit even
 * at the least context --fit tries. When --fit places the model (the user
 * pinned none of -ngl, -ts, -ot), the placed plan goes into d->llama and its
 * verdict into *f: the GPU part against what --fit keeps free on each device
 * (free - --fit-target: the budget's margin with the default target), the
 * rest against the host RAM budget. Returns 1 when adopted (never on unified
 * memory: there og_placement describes --fit's choice with placed = 0). */
static int try_placement(const run *r, const og_model *pm, const og_machine *m, const og_budget *b,
                         og_decision *d, og_llama_fit *f, char short_args[240])
{
    const og_decide_input *in = r->in;
    /* unified memory (a Mac, an AMD APU): --fit's CPU layers share the same RAM
     * and the GPU limit is the lever: the placement is named in the advice,
     * not adopted (the overview's pick does not need it) */
    int unified = b->unified;
    if (r->engine == OG_ENGINE_MLX || in->settings.mem_bytes || in->settings.fit.off ||
        r->c.backend == OG_BACKEND_CPU || !b->has_gpu || (unified && in->pick_only))
        return 0;
    og_fitp_input fin;
    og_decide_fitp_input(b, r->c.backend, m->ram_bytes, &in->settings.fit, &fin);
    if (!fin.n_devices)
        return 0;
    /* what --fit keeps free per device is its target, not the budget's margin */
    uint64_t gpu_room = 0;
    for (uint32_t i = 0; i < fin.n_devices; i++) {
        uint64_t t = fin.target_bytes[i] ? fin.target_bytes[i] : OG_FIT_DEFAULT_TARGET;
        gpu_room += fin.free_bytes[i] > t ? fin.free_bytes[i] - t : 0;
    }
    /* the weights alone exceed the GPU room and host RAM together: no placement
     * fits (the verdict is the same); callers that only need the verdict (the
     * overview, --machines, run's preflight) skip the search */
    if ((in->pick_only || in->skip_alternatives) && !unified &&
        pm->weight_bytes > gpu_room + b->host_bytes)
        return 0;
    og_llama_settings s = r->ls;
    if (r->ctx_default && r->engine == OG_ENGINE_LLAMA_CPP)
        s.n_ctx = 0; /* not set: --fit may lower it */
    og_fitp_result *fr = malloc(sizeof *fr);
    og_llama_memplan *q = malloc(sizeof *q);
    og_placement *pl = &d->placement;
    int adopted = 0;
    if (!fr || !q || og_llama_fit_params(pm, &s, &fin, fr, NULL) != OG_OK)
        goto done;
    pl->tried = 1;
    pl->status = fr->status;
    if (fr->status != OG_FITP_PLACED || og_llama_plan(pm, &fr->settings, q, NULL) != OG_OK)
        goto done;
    /* the GPU part is sized by --fit to keep its target free; the verdict's
     * headroom (and "tight") is the host RAM's */
    og_budget hb = *b;
    hb.gpu_bytes = q->gpu_bytes > gpu_room ? 0 : UINT64_MAX / 4;
    if (og_llama_verdict(pm, &fr->settings, q, &hb, f, NULL) != OG_OK)
        goto done;
    if (!unified) {
        d->llama = *q;
        adopted = 1;
        pl->placed = 1;
    }
    pl->n_layers = pm->hp.n_layer + 1;
    for (uint32_t i = 0; i < fr->n_devices; i++) {
        pl->n_layers_gpu += fr->dev[i].n_layer;
        pl->n_partial += fr->dev[i].n_part;
    }
    pl->moe = pm->hp.n_expert > 0;
    pl->gpu_bytes = q->gpu_bytes;
    pl->host_bytes = q->host_bytes;
    pl->gpu_usable_bytes = gpu_room;
    pl->host_usable_bytes = b->host_bytes;
    pl->host_margin_bytes = f->host_margin_bytes;
    og_strlcpy(pl->args, fr->args, sizeof pl->args);
    og_fitp_args_short(fr, short_args, 240);
    char part[80] = "";
    if (pl->n_partial)
        snprintf(part, sizeof part, ", the %s of %u of them in RAM",
                 pl->moe ? "experts" : "FFN weights", pl->n_partial);
    snprintf(pl->summary, sizeof pl->summary, "%u of %u layers on the GPU%s", pl->n_layers_gpu,
             pl->n_layers, part);
    d->ctx_lowered_by_fit = fr->ctx_lowered && fr->n_ctx < r->asked;
done:
    free(fr);
    free(q);
    return adopted;
}

og_status og_decide(const og_decide_input *in, og_decision *d, og_error *err)
{
    if (!in || !d || !in->model || !in->machine)
        return og_error_set(err, OG_ERR_INVALID, "og_decide: no model or no machine");
    memset(d, 0, sizeof *d);
    const og_model *model = in->model;
    const og_machine *m = in->machine;
    og_engine engine = og_decide_engine(model, &in->settings);
    if (engine == OG_ENGINE_MLX && !og_machine_is_apple(m) && !in->settings.mem_bytes)
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "MLX runs only on Apple Silicon: %s is not a Mac (plan for one with "
                            "--machine m4-max-64gb, or give --mem)",
                            m->preset[0] ? m->preset : "this machine");
    run r;
    run_init(&r, in, model, engine, m);
    d->engine = engine;
    d->backend = r.c.backend;
    og_strlcpy(d->build, model->quant_label, sizeof d->build);
    d->ctx_default = r.ctx_default;
    d->n_ctx_asked = r.asked;

    /* the budget as it stands */
    og_budget b;
    og_decide_budget_at(&r.c, m, 0, 0, &b, &d->budget);

    /* the plan at the asked context, and the verdict */
    og_doctor_plan *p = &d->plan;
    snprintf(p->model, sizeof p->model, "%s",
             in->entry     ? in->entry->name
             : model->path ? model->path
             : model->name ? model->name
                           : "model");
    og_strlcpy(p->quant, model->quant_label, sizeof p->quant);
    p->mlx = engine == OG_ENGINE_MLX;
    p->n_params = model->n_params;
    p->fp16_weight_bytes = fp16_bytes(model);
    og_status st;
    og_model mtmp;
    const og_model *pm = engine == OG_ENGINE_MLX ? as_mlx(model, &mtmp) : model;
    og_mlx_plan_result *mp = NULL;
    char ngl_advice[240] = "";
    const char *buffer_fix = NULL; /* og_llama_fit.buffer_fix */
    char placed_args[240] = "";
    uint64_t gpu_need_all = 0; /* llama.cpp: the need with every layer on the GPU */
    char tight_advice[OG_LLAMA_MAX_ADVICE][240];
    uint32_t tight_n = 0;
    if (engine == OG_ENGINE_MLX) {
        mp = &d->mlx;
        if ((st = og_mlx_plan(pm, &r.ms, mp, err)) != OG_OK)
            return st;
        if ((st = og_mlx_judge(pm, mp, m, &b, err)) != OG_OK)
            return st;
        d->max_ctx = (uint32_t)(mp->max_ctx > UINT32_MAX ? UINT32_MAX : mp->max_ctx);
        d->fits = fits_on(&r, pm, m, &b, 0, mp, NULL);
        d->verdict = !d->fits                      ? OG_FIT_NO
                     : mp->verdict == OG_MLX_TIGHT ? OG_FIT_TIGHT
                                                   : OG_FIT_FITS;
        d->margin_bytes = (int64_t)b.gpu_bytes - (int64_t)mp->peak_bytes;
        if (mp->buffer_too_large && mp->max_buffer_bytes) {
            d->buffer_too_large = 1;
            d->largest_buffer_bytes = mp->largest_buffer_bytes;
            d->max_buffer_bytes = mp->max_buffer_bytes;
            og_strlcpy(d->buffer_limit_name, "Metal's maxBufferLength",
                       sizeof d->buffer_limit_name);
        }
        p->weight_bytes = mp->weights_bytes;
        p->kv_bytes = mp->kv_at_peak_bytes ? mp->kv_at_peak_bytes : mp->kv_bytes;
        p->compute_bytes = mp->compute_bytes;
        p->total_bytes = p->gpu_need_bytes = mp->peak_bytes;
        p->n_ctx = (uint32_t)mp->settings.ctx;
        if (mp->hypothetical) {
            snprintf(p->quant, sizeof p->quant, "mlx %.27s", mp->quant);
            p->fp16_weight_bytes =
                strstr(mp->quant, "bf16") || strstr(mp->quant, "f16") ? mp->weights_bytes : 0;
        }
        if (p->fp16_weight_bytes > p->weight_bytes)
            p->fp16_weight_bytes = p->weight_bytes;
    } else {
        d->max_ctx = og_llama_max_ctx(pm, &r.ls, &b);
        d->fits = d->max_ctx > 0 && d->max_ctx >= r.threshold;
        og_llama_settings ls = r.ls;
        if (d->fits && d->max_ctx < r.asked) {
            ls.n_ctx = d->max_ctx; /* llama.cpp --fit lowers the context to this */
            d->ctx_lowered_by_fit = 1;
        } else if (!d->fits && r.threshold < r.asked) {
            ls.n_ctx = r.threshold; /* the least --fit would try */
        }
        if ((st = og_llama_plan(pm, &ls, &d->llama, err)) != OG_OK)
            return st;
        og_llama_fit f;
        if ((st = og_llama_verdict(pm, &ls, &d->llama, &b, &f, err)) != OG_OK)
            return st;
        d->verdict = f.verdict;
        if (f.buffer_too_large) {
            d->buffer_too_large = 1;
            d->largest_buffer_bytes = d->llama.largest_buffer_bytes;
            d->max_buffer_bytes = b.vk_max_alloc_bytes;
            og_strlcpy(d->buffer_limit_name, "the Vulkan driver's single-allocation limit",
                       sizeof d->buffer_limit_name);
            buffer_fix = f.buffer_fix;
        }
        for (uint32_t i = 0; i < f.n_advice && f.verdict == OG_FIT_TIGHT; i++)
            og_strlcpy(tight_advice[tight_n++], f.advice[i], sizeof tight_advice[0]);
        for (uint32_t i = 0; i < f.n_advice; i++)
            if (!strncmp(f.advice[i], "fewer GPU layers", 16))
                og_strlcpy(ngl_advice, f.advice[i], sizeof ngl_advice);
        if (d->fits && d->verdict == OG_FIT_NO)
            d->verdict = OG_FIT_TIGHT; /* cannot happen: max_ctx fits by construction */
        if (!d->fits)
            d->verdict = OG_FIT_NO;
        d->margin_bytes = f.margin_bytes;
        /* every layer on the GPU does not fit: llama.cpp's --fit moves layers
         * and experts to RAM unless the user pinned the placement */
        gpu_need_all =
            d->llama.backend != OG_BACKEND_CPU ? d->llama.gpu_bytes : d->llama.total_bytes;
        if (!d->fits && try_placement(&r, pm, m, &b, d, &f, placed_args)) {
            d->verdict = f.verdict;
            d->fits = f.verdict != OG_FIT_NO;
            d->margin_bytes = f.margin_bytes;
            if (d->fits)
                d->max_ctx = d->llama.n_ctx; /* a longer one moves more into RAM */
            else
                d->ctx_lowered_by_fit = 0; /* as without placement: only a plan that fits */
            tight_n = 0;
            for (uint32_t i = 0; i < f.n_advice && f.verdict == OG_FIT_TIGHT; i++)
                if (!strncmp(f.advice[i], "llama-server's prompt cache", 27) ||
                    !strncmp(f.advice[i], "context checkpoints", 19))
                    og_strlcpy(tight_advice[tight_n++], f.advice[i], sizeof tight_advice[0]);
        }
        /* no -ngl advice against what --fit already does */
        if (d->placement.status == OG_FITP_PLACED)
            ngl_advice[0] = '\0';
        const og_llama_memplan *lp = &d->llama;
        p->weight_bytes = lp->component_bytes[OG_COMP_WEIGHTS];
        p->kv_bytes = lp->component_bytes[OG_COMP_KV] + lp->component_bytes[OG_COMP_RS];
        p->compute_bytes =
            lp->component_bytes[OG_COMP_COMPUTE] + lp->component_bytes[OG_COMP_OUTPUT];
        p->total_bytes = lp->total_bytes;
        p->gpu_need_bytes = lp->backend != OG_BACKEND_CPU ? lp->gpu_bytes : lp->total_bytes;
        d->host_need_bytes = lp->host_bytes;
        p->n_ctx = lp->n_ctx;
    }
    p->max_ctx = d->max_ctx;
    if (p->fp16_weight_bytes > p->weight_bytes && p->weight_bytes)
        p->fp16_weight_bytes = p->weight_bytes;

    /* the limit, and the what-ifs */
    og_limit_advice *l = &d->limit;
    og_limit_base(m, l);
    if (in->settings.mem_bytes)
        l->applies = 0;
    og_budget bc, bo;
    uint64_t lim_top = 0;
    if (l->applies) {
        lim_top = l->safe_max_bytes;
        if (l->gtt)
            lim_top -= og_apu_carveout_bytes(m);
    }
    og_decide_budget_at(&r.c, m, lim_top, 1, &bc, NULL);
    og_decide_budget_at(&r.c, m, 0, 1, &bo, NULL);
    d->others_bytes = bo.gpu_bytes > b.gpu_bytes && r.c.backend != OG_BACKEND_CPU
                          ? bo.gpu_bytes - b.gpu_bytes
                      : bo.host_bytes > b.host_bytes ? bo.host_bytes - b.host_bytes
                                                     : 0;
    if (r.c.backend != OG_BACKEND_CPU && b.has_gpu && bo.gpu_bytes > b.gpu_bytes)
        d->others_bytes = bo.gpu_bytes - b.gpu_bytes;
    int lim_alone = 0, oth_alone = 0;
    if (d->fits) {
        d->fits_at_capacity = 1;
    } else {
        d->fits_at_capacity = fits_on(&r, pm, m, &bc, lim_top, mp, NULL);
        d->fits_if_others_closed = oth_alone =
            d->others_bytes && fits_on(&r, pm, m, &bo, 0, mp, NULL);
        if (l->applies && !l->above_safe) {
            uint32_t v = search_limit(&r, pm, m, l, 0, mp);
            lim_alone = v != 0;
            if (!v && d->fits_at_capacity)
                v = search_limit(&r, pm, m, l, 1, mp);
            if (v)
                og_limit_settle(l, v);
            d->fits_if_limit_raised = lim_alone && l->set_mb;
        }
    }
    if (l->applies && (l->above_safe || (d->fits && !l->set_mb))) {
        /* no need from the plan: the limit's own advice (lower a risky one) */
        if (l->above_safe) {
            uint64_t want = p->gpu_need_bytes + b.others_gpu_bytes + b.margin_bytes;
            uint32_t wmb = (uint32_t)((want + GIB - 1) / GIB * 1024);
            og_limit_settle(l, wmb);
        }
    }
    int others_block =
        !d->fits && d->fits_at_capacity && d->others_bytes && (oth_alone || !lim_alone);
    int limit_blocks = !d->fits && d->fits_at_capacity && l->applies && l->set_mb &&
                       !l->above_safe && (lim_alone || !oth_alone);

    /* alternatives */
    const og_catalog_entry *e = in->entry;
    char model_fix[640] = "", tier_fix[640] = "";
    if (!in->skip_alternatives) {
        if (e) {
            og_catalog_build q4 = default_build(e, engine == OG_ENGINE_MLX);
            build_sizes *sz = malloc(sizeof *sz);
            og_catalog_gen *gen = NULL;
            if (sz && (og_catalog_gen_new(e, &gen, NULL) != OG_OK ||
                       og_catalog_gen_sizes(gen, engine == OG_ENGINE_MLX, sz->weight, sz->params,
                                            NULL) != OG_OK)) {
                free(sz);
                sz = NULL;
            }
            if (q4 != OG_BUILD_COUNT && sz && sz->weight[q4]) {
                if (engine == OG_ENGINE_MLX) {
                    const char *slash = strrchr(e->hf_repo, '/');
                    snprintf(p->q4_name, sizeof p->q4_name, "mlx-community/%.120s-4bit",
                             slash ? slash + 1 : e->name);
                } else {
                    snprintf(p->q4_name, sizeof p->q4_name, "%s Q4_K_M (--quant Q4_K_M)", e->name);
                }
                p->q4_bytes = sz->weight[q4];
            }
            og_catalog_build bb;
            if (sz &&
                best_build(&r, e, m, &b, 0, gen, sz, &bb, &d->fit_build_bytes, &d->fit_build_ctx)) {
                og_strlcpy(d->fit_build, og_catalog_build_name(bb), sizeof d->fit_build);
                og_strlcpy(p->fit_quant, d->fit_build, sizeof p->fit_quant);
                p->fit_quant_bytes = d->fit_build_bytes;
            }
            og_catalog_gen_free(gen);
            free(sz);
        } else if (engine != OG_ENGINE_MLX) {
            uint64_t q4 = og_llama_quant_weight_bytes(model, "Q4_K_M");
            if (q4) {
                p->q4_bytes = q4;
                snprintf(p->q4_name, sizeof p->q4_name, "GGUF Q4_K_M (estimated from the tensors)");
            }
            /* every layer on the GPU (not --fit's placed GPU part) */
            file_requant(&r, pm, &b, d, gpu_need_all ? gpu_need_all : p->gpu_need_bytes);
        }
        /* check 5: the smallest build at a short context */
        if (!d->fits_at_capacity && !in->pick_only) {
            og_model *small = NULL;
            const og_model *sm = pm;
            if (e) {
                og_catalog_build sb = smallest_build(e, engine == OG_ENGINE_MLX, NULL);
                if (sb != OG_BUILD_COUNT && og_catalog_model(e, sb, &small, NULL) == OG_OK)
                    sm = small;
            }
            uint32_t shortc = r.threshold < 4096 ? r.threshold : 4096;
            run rs = r;
            rs.threshold = shortc;
            rs.ms.ctx = shortc;
            if (e || engine == OG_ENGINE_MLX || !p->smallest_bytes)
                p->smallest_bytes = need_at(&rs, sm, shortc);
            if (p->smallest_bytes > (l->applies ? bc.gpu_bytes
                                     : r.c.backend != OG_BACKEND_CPU && bc.has_gpu
                                         ? bc.gpu_bytes
                                         : bc.host_bytes) &&
                (e || engine == OG_ENGINE_MLX) && machine_tier(&rs, sm, d))
                snprintf(p->fits_tier, sizeof p->fits_tier, "machine like %.40s", d->tier);
            og_model_free(small);
            uint64_t params = e ? entry_params(e) : model->n_params;
            if (!d->fit_build[0])
                smaller_model(&r, params, e ? e->family : NULL, e ? e->name : "", m, &b, d);
        }
    }

    /* advice: concrete, and only what closes the gap */
    if (d->fits && d->ctx_lowered_by_fit)
        advise(d,
               "llama.cpp plans the trained context (%u tokens); its --fit (on by default) "
               "lowers it to %u to fit (pass -c %u to make that explicit)",
               r.asked, p->n_ctx, p->n_ctx);
    const og_placement *pl = &d->placement;
    char gpu_full[200] = ""; /* the build that runs all on the GPU, at full speed */
    if (pl->placed && d->fit_build[0] && strcmp(d->fit_build, model->quant_label))
        snprintf(gpu_full, sizeof gpu_full, "%s%s needs %s and leaves up to %u tokens",
                 e ? "--quant " : "", d->fit_build, SZ(d->fit_build_bytes), d->fit_build_ctx);
    if (pl->placed && d->fits) {
        if (engine == OG_ENGINE_OLLAMA)
            advise(d,
                   "runs partly from RAM: Ollama's llama-server --fit puts %s (%s on the GPU, "
                   "%s in RAM); several times slower than all on the GPU; it needs no setting "
                   "(num_gpu would pin the layers and turn this off)",
                   pl->summary, SZ(pl->gpu_bytes), SZ(pl->host_bytes));
        else
            advise(d,
                   "runs partly from RAM: llama.cpp's --fit (on by default) puts %s (%s on the "
                   "GPU, %s in RAM); several times slower than all on the GPU; it starts as "
                   "`llama-server -m %.60s %s`",
                   pl->summary, SZ(pl->gpu_bytes), SZ(pl->host_bytes), p->model, placed_args);
        if (gpu_full[0])
            advise(d, "all on the GPU (full speed): %s", gpu_full);
    } else if (pl->placed) {
        advise(d,
               "%s's --fit would put %s (%s on the GPU), but the %s in RAM exceed the host RAM "
               "budget of %s",
               engine == OG_ENGINE_OLLAMA ? "Ollama's llama-server" : "llama.cpp", pl->summary,
               SZ(pl->gpu_bytes), SZ(pl->host_bytes), SZ(pl->host_usable_bytes));
    }
    /* a tight llama.cpp plan: the engine's own advice (e.g. --cache-ram N for
     * llama-server's prompt cache growing after load) comes first */
    if (engine != OG_ENGINE_MLX && d->fits && d->verdict == OG_FIT_TIGHT)
        for (uint32_t i = 0; i < tight_n; i++)
            advise(d, "%s", tight_advice[i]);
    if (!d->fits) {
        if (limit_blocks)
            advise(d, "does not fit at the current limit; fits after `%s`", l->command);
        if (others_block)
            advise(d, "close other apps: they hold %s of the %s", SZ(d->others_bytes),
                   d->budget.pool);
        if (pl->tried && pl->status == OG_FITP_PLACED && !pl->placed && b.unified &&
            engine == OG_ENGINE_OLLAMA)
            advise(d,
                   "Ollama's llama-server --fit would still start it, slower, with %s (%s on "
                   "the GPU, %s on the CPU in the same RAM)",
                   pl->summary, SZ(pl->gpu_bytes), SZ(pl->host_bytes));
        else if (pl->tried && pl->status == OG_FITP_PLACED && !pl->placed && b.unified)
            advise(d,
                   "llama.cpp's --fit (on by default) would still start it, slower, with %s (%s "
                   "on the GPU, %s on the CPU in the same RAM): `llama-server -m %.60s %s`",
                   pl->summary, SZ(pl->gpu_bytes), SZ(pl->host_bytes), p->model, placed_args);
        if (d->fit_build[0] && !e)
            advise(d,
                   "a smaller quantization of this file: %s needs %s at %u tokens "
                   "(llama-quantize IN.gguf OUT.gguf %.*s)",
                   d->fit_build, SZ(d->fit_build_bytes), d->fit_build_ctx,
                   (int)strcspn(d->fit_build, " "), d->fit_build);
        else if (d->fit_build[0] && strcmp(d->fit_build, model->quant_label))
            advise(d, "--quant %s: needs %s and leaves up to %u tokens of context", d->fit_build,
                   SZ(d->fit_build_bytes), d->fit_build_ctx);
        if (d->max_ctx > 0 && d->max_ctx < r.asked && mlx_kv_cap_ignored(&r, model))
            advise(d,
                   "cap the context: keep prompt + --max-tokens within %u tokens (asked %u; "
                   "mlx-lm ignores --max-kv-size for this model: its make_cache())",
                   d->max_ctx, r.asked);
        else if (d->max_ctx > 0 && d->max_ctx < r.asked)
            advise(d, "cap the context: %s %u fits (asked %u)", ctx_flag(&r), d->max_ctx, r.asked);
        if (engine != OG_ENGINE_MLX && d->llama.component_bytes[OG_COMP_KV] &&
            d->llama.type_v == 1) {
            run rq = r;
            rq.ls.type_k = rq.ls.type_v = 8; /* q8_0 */
            rq.ls.flash_attn = OG_FA_ON;
            if (fits_on(&rq, pm, m, &b, 0, NULL, NULL))
                advise(d, "quantize the KV cache: -fa on -ctk q8_0 -ctv q8_0 makes it fit");
        }
        if (ngl_advice[0])
            advise(d, "partial offload (several times slower): %s", ngl_advice);
        if (d->smaller_model[0])
            advise(d, "a smaller model: %s --quant %s (needs %s)", d->smaller_model,
                   d->smaller_build, SZ(d->smaller_bytes));
        if (d->tier[0] && !d->fits_at_capacity)
            advise(d, "a bigger machine: the smallest build fits on a %s", d->tier);
        if (!d->n_advice)
            advise(d, "no setting of this model fits here: a smaller model or more memory");
    }
    /* check 1's fix: the best build, else a smaller model, else the context */
    if (!d->fits_at_capacity) {
        if (d->buffer_too_large && d->max_ctx > 0 && d->max_ctx < r.asked)
            snprintf(model_fix, sizeof model_fix,
                     "One buffer of %s is over %s (%s): cap the context, %s %u fits%s%s.",
                     SZ(d->largest_buffer_bytes), d->buffer_limit_name, SZ(d->max_buffer_bytes),
                     ctx_flag(&r), d->max_ctx, buffer_fix ? "; or " : "",
                     buffer_fix ? buffer_fix : "");
        else if (d->buffer_too_large)
            snprintf(model_fix, sizeof model_fix, "One buffer of %s is over %s (%s)%s%s.",
                     SZ(d->largest_buffer_bytes), d->buffer_limit_name, SZ(d->max_buffer_bytes),
                     buffer_fix ? ": " : "", buffer_fix ? buffer_fix : "");
        else if (d->fit_build[0] && !e)
            snprintf(model_fix, sizeof model_fix,
                     "Use a smaller quantization of this file: %s needs %s at %u tokens "
                     "(llama-quantize IN.gguf OUT.gguf %.*s).",
                     d->fit_build, SZ(d->fit_build_bytes), d->fit_build_ctx,
                     (int)strcspn(d->fit_build, " "), d->fit_build);
        else if (d->fit_build[0] && strcmp(d->fit_build, model->quant_label))
            snprintf(model_fix, sizeof model_fix,
                     "Use --quant %s (needs %s, up to %u tokens of context).", d->fit_build,
                     SZ(d->fit_build_bytes), d->fit_build_ctx);
        else if (d->smaller_model[0])
            snprintf(model_fix, sizeof model_fix,
                     "No build of this model fits: use a smaller model, %s --quant %s (needs "
                     "%s).",
                     d->smaller_model, d->smaller_build, SZ(d->smaller_bytes));
        else if (d->max_ctx > 0 && d->max_ctx < r.asked && mlx_kv_cap_ignored(&r, model))
            snprintf(model_fix, sizeof model_fix,
                     "Cap the context: keep prompt + --max-tokens within %u tokens.", d->max_ctx);
        else if (d->max_ctx > 0 && d->max_ctx < r.asked)
            snprintf(model_fix, sizeof model_fix, "Cap the context: %s %u.", ctx_flag(&r),
                     d->max_ctx);
        else if (d->tier[0])
            snprintf(model_fix, sizeof model_fix,
                     "Nothing of this model fits here: it needs a %s or larger.", d->tier);
        if (ngl_advice[0]) {
            size_t used = strlen(model_fix);
            snprintf(model_fix + used, sizeof model_fix - used,
                     "%sOr run part of it from RAM (several times slower): %s.", used ? " " : "",
                     ngl_advice);
        }
        if (d->tier[0])
            snprintf(tier_fix, sizeof tier_fix,
                     "Even its smallest build does not fit: it needs a machine like %s or "
                     "larger%s%s%s.",
                     d->tier, d->smaller_model[0] ? ", or a smaller model (" : "", d->smaller_model,
                     d->smaller_model[0] ? ")" : "");
    }

    /* the seven checks */
    og_doctor_facts f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.b = &b;
    f.procs = in->procs;
    f.n_procs = in->n_procs;
    f.procs_reason = in->procs_reason;
    f.log = in->log;
    f.swapout_rate_known = in->swapout_rate_known;
    f.swapout_bytes_per_s = in->swapout_bytes_per_s;
    f.default_wired_bytes = l->default_bytes;
    f.p = p;
    f.apple = og_machine_is_apple(m) && !in->settings.mem_bytes;
    f.apu = og_machine_is_apu(m) && !in->settings.mem_bytes;
    f.discrete = !b.unified && b.has_gpu && r.c.backend != OG_BACKEND_CPU;
    f.need = p->gpu_need_bytes;
    int gpu_pool = r.c.backend != OG_BACKEND_CPU && (b.has_gpu || b.unified);
    f.usable_now = gpu_pool ? b.gpu_bytes : b.host_bytes;
    f.capacity = gpu_pool ? bc.gpu_bytes : bc.host_bytes;
    f.fits = d->fits;
    f.fits_at_capacity = d->fits_at_capacity;
    f.others_block = others_block;
    f.limit_blocks = limit_blocks;
    f.others_bytes = d->others_bytes;
    f.limit = l;
    f.model_fix = model_fix;
    f.tier_fix = tier_fix;
    f.placement = &d->placement;
    if (d->buffer_too_large) {
        f.buffer_bytes = d->largest_buffer_bytes;
        f.buffer_limit_bytes = d->max_buffer_bytes;
        f.buffer_limit_name = d->buffer_limit_name;
    }
    og_doctor_fill(&f, &d->report);
    const og_check *k = d->report.checks;
    d->machine_warnings = (k[OG_CHECK_SWAPPING].status == OG_CHECK_FAIL) +
                          (l->above_safe && k[OG_CHECK_WIRED_LIMIT_LOW].status == OG_CHECK_FAIL);
    return OG_OK;
}

void og_decide_machine(const og_decide_input *in, og_doctor_report *r)
{
    og_doctor_facts f;
    memset(&f, 0, sizeof f);
    if (!in || !in->machine) {
        og_doctor_run(NULL, r);
        return;
    }
    const og_machine *m = in->machine;
    og_decide_ctx c;
    memset(&c, 0, sizeof c);
    c.backend = og_decide_backend(m);
    for (uint32_t i = 0; in->procs && i < in->n_procs; i++)
        if (!in->procs[i].is_engine) {
            c.proc_ram += in->procs[i].footprint_bytes;
            c.proc_gpu += in->procs[i].gpu_bytes;
        }
    og_budget b;
    og_decide_budget_at(&c, m, 0, 0, &b, NULL);
    og_limit_advice l;
    og_limit_fill(m, 0, 0, b.margin_bytes, &l);
    f.m = m;
    f.b = &b;
    f.procs = in->procs;
    f.n_procs = in->n_procs;
    f.procs_reason = in->procs_reason;
    f.log = in->log;
    f.swapout_rate_known = in->swapout_rate_known;
    f.swapout_bytes_per_s = in->swapout_bytes_per_s;
    f.default_wired_bytes = l.default_bytes;
    f.apple = og_machine_is_apple(m);
    f.apu = og_machine_is_apu(m);
    f.discrete = !b.unified && b.has_gpu;
    f.fits = 1;
    f.fits_at_capacity = 1;
    f.limit = &l;
    og_doctor_fill(&f, r);
}
