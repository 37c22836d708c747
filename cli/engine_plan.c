/* The llama.cpp memory plan wired for the CLI (see engine_plan.h). */
#include "engine_plan.h"

#include <stdio.h>
#include <string.h>

og_backend cli_llama_backend(const og_machine *m)
{
    if (!m)
        return OG_BACKEND_CPU;
    if (m->apple_silicon)
        return OG_BACKEND_METAL;
    for (uint32_t i = 0; i < m->n_gpus; i++)
        if (m->gpus[i].vendor == OG_GPU_APPLE)
            return OG_BACKEND_METAL;
    for (uint32_t i = 0; i < m->n_gpus; i++)
        if (m->gpus[i].vendor == OG_GPU_NVIDIA)
            return OG_BACKEND_CUDA;
    for (uint32_t i = 0; i < m->n_gpus; i++)
        if (m->gpus[i].vendor == OG_GPU_AMD)
            return m->gpus[i].unified ? OG_BACKEND_VULKAN : OG_BACKEND_ROCM;
    return OG_BACKEND_CPU;
}

void cli_llama_kv_bits(og_llama_settings *s, int kv_bits)
{
    if (kv_bits != 8 && kv_bits != 4)
        return;
    int t = og_ggml_type_from_name(kv_bits == 8 ? "q8_0" : "q4_0");
    s->type_k = s->type_v = t;
    s->flash_attn = OG_FA_ON; /* quantized V needs flash attention (llama.cpp common/arg.cpp) */
}

void cli_budget_cap(const og_budget *b, og_backend backend, uint64_t cap, og_budget *out)
{
    *out = *b;
    if (!cap)
        return;
    if (backend != OG_BACKEND_CPU)
        out->gpu_bytes = cap;
    if (b->unified || backend == OG_BACKEND_CPU || !b->has_gpu)
        out->host_bytes = cap;
}

void cli_llama_plan_reweight(og_llama_memplan *p, uint64_t weight_bytes)
{
    uint64_t w = p->component_bytes[OG_COMP_WEIGHTS];
    if (!w || !weight_bytes)
        return;
    double r = (double)weight_bytes / (double)w;
    uint64_t total = 0;
    for (int q = 0; q < OG_POOL_COUNT; q++) {
        uint64_t old = p->bytes[OG_COMP_WEIGHTS][q];
        uint64_t nb = (uint64_t)((double)old * r);
        p->bytes[OG_COMP_WEIGHTS][q] = nb;
        p->pool_bytes[q] = p->pool_bytes[q] - old + nb;
        total += p->pool_bytes[q];
    }
    p->component_bytes[OG_COMP_WEIGHTS] = weight_bytes;
    p->gpu_bytes = p->pool_bytes[OG_POOL_GPU];
    p->host_bytes = p->pool_bytes[OG_POOL_HOST] + p->pool_bytes[OG_POOL_HOST_MAPPED] +
                    p->pool_bytes[OG_POOL_CPU_REPACK];
    p->total_bytes = total;
}

static int fits_at(const og_model *m, const og_llama_settings *s, const og_budget *b,
                   uint64_t weight_bytes, uint32_t n_ctx)
{
    og_llama_settings t = *s;
    t.n_ctx = n_ctx;
    og_llama_memplan p;
    og_llama_fit f;
    if (og_llama_plan(m, &t, &p, NULL) != OG_OK)
        return 0;
    cli_llama_plan_reweight(&p, weight_bytes);
    if (og_llama_verdict(m, &t, &p, b, &f, NULL) != OG_OK)
        return 0;
    return f.verdict != OG_FIT_NO;
}

uint32_t cli_llama_max_ctx(const og_model *model, const og_llama_settings *s, const og_budget *b,
                           uint64_t weight_bytes)
{
    if (!weight_bytes)
        return og_llama_max_ctx(model, s, b);
    /* as og_llama_max_ctx (src/llama_fit.c), with the weights scaled */
    uint32_t top = (uint32_t)(model->hp.n_ctx_train ? model->hp.n_ctx_train : 131072);
    uint32_t hi = top / 256, lo = 0;
    if (hi == 0)
        return 0;
    if (fits_at(model, s, b, weight_bytes, hi * 256))
        return hi * 256;
    while (lo + 1 < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fits_at(model, s, b, weight_bytes, mid * 256))
            lo = mid;
        else
            hi = mid;
    }
    return lo * 256;
}

og_status cli_llama_fit(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                        og_fit_result *out, void *user, og_error *err)
{
    memset(out, 0, sizeof *out);
    const cli_llama_fit_user *u = user;
    og_llama_settings ls;
    if (u && u->base) {
        ls = *u->base;
        if (u->machine_backend)
            ls.backend = cli_llama_backend(machine);
    } else {
        og_llama_settings_default(&ls);
        ls.backend = cli_llama_backend(machine);
        if (s)
            cli_llama_kv_bits(&ls, s->kv_bits);
    }
    uint64_t ctx = s && s->ctx ? s->ctx : 8192;
    if (model->hp.n_ctx_train && ctx > model->hp.n_ctx_train)
        ctx = model->hp.n_ctx_train;
    ls.n_ctx = (uint32_t)(ctx > UINT32_MAX ? UINT32_MAX : ctx);
    og_llama_memplan p;
    og_status st = og_llama_plan(model, &ls, &p, err);
    if (st != OG_OK)
        return st;
    uint64_t wb = u ? u->weight_bytes : 0;
    cli_llama_plan_reweight(&p, wb);
    out->total_bytes = p.total_bytes;

    og_budget b;
    if (machine) {
        og_machine_budget(machine, &b);
    } else {
        memset(&b, 0, sizeof b);
        b.unified = 1;
        b.has_gpu = ls.backend != OG_BACKEND_CPU;
    }
    if (s && s->budget_bytes) {
        cli_budget_cap(&b, ls.backend, s->budget_bytes, &b);
        snprintf(out->note, sizeof out->note, "llama.cpp plan, %s backend, budget given",
                 og_backend_name(ls.backend));
    } else if (!machine) {
        return og_error_set(err, OG_ERR_INVALID, "llama.cpp fit: no machine and no budget");
    } else {
        snprintf(out->note, sizeof out->note, "llama.cpp plan, %s backend",
                 og_backend_name(ls.backend));
    }
    og_llama_fit f;
    st = og_llama_verdict(model, &ls, &p, &b, &f, err);
    if (st != OG_OK)
        return st;
    out->fits = f.verdict != OG_FIT_NO;
    out->budget_bytes = ls.backend != OG_BACKEND_CPU ? b.gpu_bytes : b.host_bytes;
    out->max_ctx = cli_llama_max_ctx(model, &ls, &b, wb);
    return OG_OK;
}
