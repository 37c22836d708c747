/* The engine plans as og_fit_fn estimators (include/oomguard/fit.h): the
 * llama.cpp plan (src/llama_plan.c, src/llama_fit.c; llama.cpp 2026-09-12 as
 * bundled by node-llama-cpp 3.21.1) and the MLX plan (src/mlx_plan.c; mlx-lm
 * 0.32.0). Nothing is estimated here: each adapter only maps og_fit_settings
 * and a machine onto the engine's own settings, budget and verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/decide.h"
#include "oomguard/fit.h"
#include "og_internal.h"

og_backend og_machine_backend(const og_machine *m)
{
    return og_decide_backend(m); /* one definition (src/decide_budget.c) */
}

/* The budget: --mem as one unified pool, else the machine's. */
static og_status fit_budget(const og_machine *machine, const og_fit_settings *s, int gpu,
                            og_budget *b, og_fit_result *out, og_error *err)
{
    if (s && s->budget_bytes) {
        memset(b, 0, sizeof *b);
        b->unified = 1;
        b->has_gpu = gpu;
        b->host_bytes = b->gpu_bytes = b->gpu_total_bytes = s->budget_bytes;
        og_strlcpy(b->basis, "given (--mem)", sizeof b->basis);
        snprintf(out->note, sizeof out->note, "budget given (--mem)");
        return OG_OK;
    }
    if (!machine)
        return og_error_set(err, OG_ERR_INVALID, "fit: no machine and no budget");
    og_machine_budget(machine, b);
    return OG_OK;
}

static uint64_t fit_ctx(const og_model *model, const og_fit_settings *s)
{
    uint64_t ctx = s && s->ctx ? s->ctx : 8192;
    if (model->hp.n_ctx_train && ctx > model->hp.n_ctx_train)
        ctx = model->hp.n_ctx_train;
    return ctx;
}

og_status og_fit_llama(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                       og_fit_result *out, void *user, og_error *err)
{
    memset(out, 0, sizeof *out);
    if (!model)
        return og_error_set(err, OG_ERR_INVALID, "fit: no model");
    og_llama_settings ls;
    if (user) {
        ls = *(const og_llama_settings *)user;
    } else {
        og_llama_settings_default(&ls);
        ls.backend = og_machine_backend(machine);
        if (s && s->kv_bits == 8)
            ls.type_k = ls.type_v = og_ggml_type_from_name("q8_0");
        else if (s && s->kv_bits == 4)
            ls.type_k = ls.type_v = og_ggml_type_from_name("q4_0");
        if (s && (s->kv_bits == 8 || s->kv_bits == 4))
            ls.flash_attn = OG_FA_ON; /* quantized V needs flash attention */
    }
    uint64_t ctx = fit_ctx(model, s);
    ls.n_ctx = ctx > UINT32_MAX ? UINT32_MAX : (uint32_t)ctx;
    og_budget b;
    og_status st = fit_budget(machine, s, ls.backend != OG_BACKEND_CPU, &b, out, err);
    if (st != OG_OK)
        return st;
    og_llama_memplan plan;
    if ((st = og_llama_plan(model, &ls, &plan, err)) != OG_OK)
        return st;
    /* og_llama_verdict would also work out advice (re-plans at other quants
     * and -ngl values) that nobody reads here; the largest context decides:
     * plans grow with n_ctx and llama.cpp pads n_ctx to 256, so the plan at
     * ctx fits exactly when the largest fitting multiple of 256 reaches it. */
    uint32_t max_ctx = og_llama_max_ctx(model, &ls, &b);
    out->budget_bytes = ls.backend != OG_BACKEND_CPU && b.has_gpu ? b.gpu_bytes : b.host_bytes;
    out->total_bytes = plan.total_bytes;
    out->fits = max_ctx > 0 && max_ctx >= ls.n_ctx;
    out->max_ctx = max_ctx;
    if (!out->note[0])
        snprintf(out->note, sizeof out->note, "llama.cpp %s plan", og_backend_name(ls.backend));
    return OG_OK;
}

og_status og_fit_mlx(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                     og_fit_result *out, void *user, og_error *err)
{
    memset(out, 0, sizeof *out);
    if (!model)
        return og_error_set(err, OG_ERR_INVALID, "fit: no model");
    og_mlx_settings ms;
    if (user) {
        ms = *(const og_mlx_settings *)user;
    } else {
        og_mlx_settings_default(&ms);
        if (s && (s->kv_bits == 8 || s->kv_bits == 4)) {
            ms.kv_bits = (uint32_t)s->kv_bits;
            ms.quantized_kv_start = 0;
        }
    }
    ms.ctx = fit_ctx(model, s);
    og_budget b;
    og_status st = fit_budget(machine, s, 1, &b, out, err);
    if (st != OG_OK)
        return st;
    og_mlx_plan_result *p = malloc(sizeof *p);
    if (!p)
        return og_error_set(err, OG_ERR_NOMEM, "fit: out of memory");
    if ((st = og_mlx_plan(model, &ms, p, err)) == OG_OK)
        st = og_mlx_judge(model, p, machine, &b, err);
    if (st == OG_OK) {
        out->budget_bytes = p->budget_bytes;
        out->total_bytes = p->peak_bytes;
        out->fits = p->verdict == OG_MLX_FITS || p->verdict == OG_MLX_TIGHT;
        out->max_ctx = p->max_ctx;
        if (!out->note[0])
            snprintf(out->note, sizeof out->note, "MLX plan (%s), %s", p->quant,
                     og_mlx_verdict_name(p->verdict));
    }
    free(p);
    return st;
}
