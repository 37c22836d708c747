/* "What can I run here?": the best build of a catalog model on a machine,
 * and the machine presets a model fits on. The estimator is pluggable
 * (og_fit_fn): the engine plans (llama.h, mlx.h) plug in here; og_fit_basic
 * is the built-in estimate used until they do (docs/CATALOG.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "og_internal.h"

/* Bytes of KV cache at ctx tokens. Per layer: K and V rows of n_head_kv *
 * head_dim (llama.cpp src/llama-kv-cache.cpp, mlx_lm/models/cache.py);
 * sliding-window layers hold min(ctx, window + 512) tokens (llama.cpp keeps
 * n_swa + n_ubatch); MLA layers cache the latent (kv_lora_rank + rope dims,
 * llama.cpp deepseek2 with MLA); recurrent layers hold no KV. */
static uint64_t kv_bytes(const og_hparams *hp, uint64_t ctx, int kv_bits)
{
    /* f16: 2 bytes; q8_0: 34/32; q4_0: 18/32 (ggml block sizes) */
    uint64_t num = kv_bits == 8 ? 34 : kv_bits == 4 ? 18 : 64, den = 32;
    uint64_t total = 0;
    for (uint32_t il = 0; il < hp->n_layer && il < OG_MAX_LAYERS; il++) {
        if (hp->is_recurrent[il] || !hp->n_head_kv[il] || il >= hp->n_layer_kv_from_start)
            continue;
        uint64_t per_tok;
        if (hp->is_mla)
            per_tok = (uint64_t)hp->kv_lora_rank + hp->n_rot;
        else if (hp->is_swa[il])
            per_tok = (uint64_t)hp->n_head_kv[il] * (hp->head_dim_k_swa + hp->head_dim_v_swa);
        else
            per_tok = (uint64_t)hp->n_head_kv[il] * (hp->head_dim_k + hp->head_dim_v);
        uint64_t toks = ctx;
        if (hp->is_swa[il] && hp->n_swa && (uint64_t)hp->n_swa + 512 < ctx)
            toks = (uint64_t)hp->n_swa + 512;
        total += per_tok * toks * num / den;
    }
    return total;
}

static uint64_t estimate(const og_model *m, uint64_t ctx, int kv_bits)
{
    /* compute reserve: logits of a 512-token batch in f32 plus 512 MiB for
     * activations and runtime buffers */
    uint64_t reserve = (512ull << 20) + m->hp.n_vocab * 512 * 4;
    return m->weight_bytes + kv_bytes(&m->hp, ctx, kv_bits) + reserve;
}

og_status og_fit_basic(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                       og_fit_result *out, void *user, og_error *err)
{
    (void)user;
    memset(out, 0, sizeof *out);
    if (!model || (!machine && !(s && s->budget_bytes)))
        return og_error_set(err, OG_ERR_INVALID, "fit: no model or machine");
    uint64_t budget;
    if (s && s->budget_bytes) {
        budget = s->budget_bytes;
        snprintf(out->note, sizeof out->note, "budget given (--mem)");
    } else {
        og_budget b;
        og_machine_budget(machine, &b);
        int gpu = b.has_gpu && b.gpu_bytes > 0;
        budget = gpu ? b.gpu_bytes : b.host_bytes;
        snprintf(out->note, sizeof out->note, "%s budget",
                 gpu ? (b.unified ? "GPU (unified)" : "GPU") : "host memory");
    }
    int kv_bits = s && s->kv_bits ? s->kv_bits : 16;
    uint64_t ctx = s && s->ctx ? s->ctx : 8192;
    uint64_t train = model->hp.n_ctx_train ? model->hp.n_ctx_train : ctx;
    if (ctx > train)
        ctx = train;
    out->budget_bytes = budget;
    out->total_bytes = estimate(model, ctx, kv_bits);
    out->fits = out->total_bytes <= budget;
    /* largest context: KV grows monotonically with ctx; binary search in
     * 256-token steps up to the trained context */
    uint64_t lo = 0, hi = train / 256;
    if (estimate(model, 256, kv_bits) > budget) {
        out->max_ctx = 0;
        return OG_OK;
    }
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (estimate(model, mid * 256, kv_bits) <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    out->max_ctx = lo * 256;
    if (out->max_ctx == 0 || (train % 256 && estimate(model, train, kv_bits) <= budget))
        out->max_ctx = estimate(model, train, kv_bits) <= budget ? train : out->max_ctx;
    return OG_OK;
}

/* Best first within each engine family. */
static const og_catalog_build mlx_order[] = {
    OG_BUILD_MLX_BF16, OG_BUILD_MLX_8BIT, OG_BUILD_MLX_6BIT, OG_BUILD_MLX_4BIT, OG_BUILD_MLX_3BIT};
static const og_catalog_build gguf_order[] = {
    OG_BUILD_GGUF_F16,    OG_BUILD_GGUF_Q8_0,   OG_BUILD_GGUF_Q6_K,   OG_BUILD_GGUF_Q5_K_M,
    OG_BUILD_GGUF_Q4_K_M, OG_BUILD_GGUF_IQ4_XS, OG_BUILD_GGUF_Q3_K_M, OG_BUILD_GGUF_Q2_K};

og_status og_catalog_best_build(const og_catalog_entry *e, const og_machine *machine, int mlx,
                                const og_fit_settings *s, og_fit_fn fn, void *user,
                                og_catalog_build *build, og_fit_result *result, og_error *err)
{
    *build = OG_BUILD_COUNT;
    memset(result, 0, sizeof *result);
    if (!fn)
        fn = og_fit_basic;
    uint64_t min_ctx = s && s->min_ctx ? s->min_ctx : 4096;
    if (e->hp.n_ctx_train && min_ctx > e->hp.n_ctx_train)
        min_ctx = e->hp.n_ctx_train;
    og_fit_settings local = s ? *s : (og_fit_settings){0};
    if (!local.ctx)
        local.ctx = min_ctx;
    const og_catalog_build *order = mlx ? mlx_order : gguf_order;
    size_t n = mlx ? sizeof mlx_order / sizeof *mlx_order : sizeof gguf_order / sizeof *gguf_order;
    for (size_t i = 0; i < n; i++) {
        og_model *m = NULL;
        og_status st = og_catalog_model(e, order[i], &m, err);
        if (st != OG_OK)
            return st;
        og_fit_result r;
        st = fn(m, machine, &local, &r, user, err);
        og_model_free(m);
        if (st != OG_OK)
            return st;
        if (r.max_ctx >= min_ctx) {
            r.fits = 1;
            *build = order[i];
            *result = r;
            return OG_OK;
        }
        if (i == n - 1) /* smallest build: report why it does not fit */
            *result = r;
    }
    result->fits = 0;
    return OG_OK;
}

static int cmp_fit(const void *a, const void *b)
{
    const og_machine_fit *x = a, *y = b;
    if (x->ram_bytes != y->ram_bytes)
        return x->ram_bytes < y->ram_bytes ? -1 : 1;
    return strcmp(x->preset, y->preset);
}

og_status og_fit_machines(const og_model *model, const og_fit_settings *s, og_fit_fn fn, void *user,
                          og_machine_fit *out, uint32_t max, uint32_t *n, og_error *err)
{
    *n = 0;
    if (!fn)
        fn = og_fit_basic;
    og_fit_settings local = s ? *s : (og_fit_settings){0};
    local.budget_bytes = 0; /* each preset's own budget */
    uint32_t cnt = og_machine_preset_count();
    og_machine *m = malloc(sizeof *m);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "fit: out of memory");
    for (uint32_t i = 0; i < cnt && *n < max; i++) {
        const char *name = og_machine_preset_name(i);
        og_status st = og_machine_preset(name, m, err);
        if (st == OG_OK)
            st = fn(model, m, &local, &out[*n].result, user, err);
        if (st != OG_OK) {
            free(m);
            return st;
        }
        og_strlcpy(out[*n].preset, name, sizeof out[*n].preset);
        out[*n].ram_bytes = m->ram_bytes;
        (*n)++;
    }
    free(m);
    qsort(out, *n, sizeof *out, cmp_fit);
    return OG_OK;
}
