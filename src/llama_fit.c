/* Verdict, largest context and advice for the llama.cpp memory model. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oomguard/llama.h"
#include "oomguard/units.h"
#include "og_internal.h"
#include "plan_internal.h"

const char *og_fit_verdict_name(og_fit_verdict v)
{
    switch (v) {
    case OG_FIT_FITS:
        return "fits";
    case OG_FIT_TIGHT:
        return "tight";
    default:
        return "does not fit";
    }
}

/* Average bits per weight of llama.cpp's file types over the 2-D weights,
 * from the block sizes (ggml/src/ggml.c type_traits) and the mixes that
 * src/llama-quant.cpp llama_tensor_get_type chooses (K-quant mixes keep
 * some tensors one or two types higher). */
static const struct {
    const char *name;
    double bpw;
} quants[] = {
    {"BF16", 16.0},    {"Q8_0", 8.5},    {"Q6_K", 6.5625}, {"Q5_K_M", 5.70},  {"Q5_K_S", 5.54},
    {"Q4_K_M", 4.85},  {"Q4_K_S", 4.58}, {"IQ4_XS", 4.25}, {"Q3_K_M", 3.91},  {"Q3_K_S", 3.50},
    {"IQ3_XXS", 3.06}, {"Q2_K", 2.96},   {"IQ2_M", 2.70},  {"IQ2_XXS", 2.06},
};
#define N_QUANTS (sizeof quants / sizeof quants[0])

static double quant_bpw(const char *q)
{
    for (size_t i = 0; i < N_QUANTS; i++)
        if (og_strcasecmp(q, quants[i].name) == 0)
            return quants[i].bpw;
    return 0;
}

uint64_t og_llama_quant_weight_bytes(const og_model *m, const char *quant)
{
    double bpw = quant ? quant_bpw(quant) : 0;
    if (!m || bpw <= 0)
        return 0;
    double total = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const og_tensor *t = &m->tensors[i];
        if (t->n_dims < 2)
            total += (double)t->n_elements * 4.0; /* norms and biases stay f32 */
        else
            total += (double)t->n_elements * bpw / 8.0;
    }
    if (!m->n_tensors && m->n_params)
        total = (double)m->n_params * bpw / 8.0;
    return (uint64_t)total;
}

typedef struct margins {
    int64_t gpu, host, min;
    int gpu_limited;
    uint64_t limit; /* the limiting pool's budget */
} margins;

static int64_t diff(uint64_t budget, uint64_t used)
{
    return budget >= used ? (int64_t)(budget - used) : -(int64_t)(used - budget);
}

/* Pools checked: with a discrete GPU and a GPU backend, device bytes against
 * gpu_bytes and host bytes against host_bytes; on a unified machine the
 * GPU-resident part against gpu_bytes (the wired limit) and everything
 * against host_bytes; on the CPU everything against host_bytes. */
static margins check_at(const og_llama_memplan *p, const og_budget *b, int grown);
static margins check(const og_llama_memplan *p, const og_budget *b)
{
    return check_at(p, b, 0);
}

/* grown = 1: the host side after llama-server's growth (prompt cache,
 * checkpoints: og_llama_memplan.grown_*), the figure the verdict is taken on;
 * 0: at load. */
static margins check_at(const og_llama_memplan *p, const og_budget *b, int grown)
{
    margins r = {0, 0, 0, 0, 0};
    if (p->backend != OG_BACKEND_CPU) {
        r.gpu_limited = 1;
        r.gpu = diff(b->has_gpu || b->unified ? b->gpu_bytes : 0, p->gpu_bytes);
    }
    /* Tensors the CPU repacks are read once through the mapping, then used
     * from their CPU_REPACK copy: llama.cpp reports both buffers, but the
     * mapped originals are page cache the kernel can drop without swapping,
     * so they do not count against RAM (og_llama_plan notes it). */
    uint64_t shadowed = p->mapped_repacked_bytes;
    uint64_t host_need = b->unified ? p->total_bytes : p->host_bytes;
    if (grown)
        host_need += p->grown_total_bytes - p->total_bytes;
    host_need = host_need > shadowed ? host_need - shadowed : 0;
    r.host = diff(b->host_bytes, host_need);
    r.min = r.host;
    r.limit = b->host_bytes;
    if (r.gpu_limited && r.gpu < r.min) {
        r.min = r.gpu;
        r.limit = b->gpu_bytes;
    }
    return r;
}

typedef struct ctx_probe {
    const og_model *m;
    const og_llama_settings *s;
    const og_budget *b;
} ctx_probe;

/* Does the plan at k * 256 tokens fit (og_ctx_search's probe)? */
static int probe_fits(uint64_t k, double *margin, void *user)
{
    const ctx_probe *c = user;
    og_llama_settings t = *c->s;
    og_llama_memplan p;
    t.n_ctx = (uint32_t)(k * 256);
    *margin = 0;
    if (og_llama_plan(c->m, &t, &p, NULL) != OG_OK)
        return 0;
    int64_t min = check(&p, c->b).min;
    *margin = (double)min;
    /* a Vulkan tensor above the driver's single-allocation limit fails the load
     * whatever memory is free (see og_llama_verdict): such a context does not fit.
     * Seen in llama.cpp issue 15009 (tests/data/loadlogs): Qwen3-30B-A3B at 70000
     * tokens without flash attention on RADV (4 GiB): KQ f32 70144 x 512 x 32. */
    if (p.backend == OG_BACKEND_VULKAN && c->b->vk_max_alloc_bytes &&
        p.largest_buffer_bytes > c->b->vk_max_alloc_bytes) {
        *margin = -1; /* short, by no known amount of memory */
        return 0;
    }
    return min >= 0;
}

static int plan_fits(const og_model *m, const og_llama_settings *s, const og_budget *b,
                     uint32_t n_ctx)
{
    ctx_probe c = {m, s, b};
    double margin;
    return probe_fits(n_ctx / 256, &margin, &c);
}

/* The top of the context search, in units of 256 tokens. */
static uint32_t ctx_top_units(const og_model *m, const og_llama_settings *s)
{
    uint32_t top = (uint32_t)(m->hp.n_ctx_train ? m->hp.n_ctx_train : 131072);
    if (s->engine == OG_LLAMA_ENGINE_OLLAMA && s->n_parallel > 1)
        top /= s->n_parallel; /* Ollama's num_ctx is per slot */
    return top / 256;
}

/* The search below returns 0 or k * 256 with 1 <= k <= hi, the largest
 * that plan_fits (monotone in the context): it is >= c exactly when c
 * rounded up to the grid is on it and fits. */
int og_llama_max_ctx_at_least(const og_model *m, const og_llama_settings *s, const og_budget *b,
                              uint32_t c)
{
    if (c == 0)
        return 1;
    if (!m || !s || !b)
        return 0;
    uint32_t hi = ctx_top_units(m, s), need = c / 256 + (c % 256 != 0);
    return need <= hi && plan_fits(m, s, b, need * 256);
}

uint32_t og_llama_max_ctx(const og_model *m, const og_llama_settings *s, const og_budget *b)
{
    if (!m || !s || !b)
        return 0;
    uint32_t hi = ctx_top_units(m, s); /* in units of 256 tokens */
    if (hi == 0)
        return 0;
    ctx_probe c = {m, s, b};
    double fhi, flo = 0;
    if (probe_fits(hi, &fhi, &c))
        return hi * 256;
    /* nothing fits when the smallest step does not: one plan instead of a
     * dozen for the builds the overview rules out */
    if (hi > 1 && !probe_fits(1, &flo, &c))
        return 0;
    /* lo fits (0 = nothing), hi does not; the reference bisection starts
     * from 0 as it always did */
    uint64_t lo = og_plan_exact_search || hi == 1 ? 0 : 1;
    return (uint32_t)og_ctx_search(lo, lo ? flo : 0, hi, fhi, probe_fits, &c) * 256;
}

static void advise(og_llama_fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void advise(og_llama_fit *f, const char *fmt, ...)
{
    if (f->n_advice >= OG_LLAMA_MAX_ADVICE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->advice[f->n_advice++], sizeof f->advice[0], fmt, ap);
    va_end(ap);
}

og_status og_llama_verdict(const og_model *m, const og_llama_settings *s, const og_llama_memplan *p,
                           const og_budget *b, og_llama_fit *f, og_error *err)
{
    if (!m || !s || !p || !b || !f)
        return og_error_set(err, OG_ERR_INVALID, "og_llama_verdict: missing argument");
    memset(f, 0, sizeof *f);
    margins r = check(p, b);
    f->gpu_margin_bytes = r.gpu_limited ? r.gpu : 0;
    f->host_margin_bytes = r.host;
    f->margin_bytes = r.min;
    uint64_t slack = r.limit / 20;
    if (slack < 512ull << 20)
        slack = 512ull << 20;
    if (r.min < 0)
        f->verdict = OG_FIT_NO;
    else if ((uint64_t)r.min < slack)
        f->verdict = OG_FIT_TIGHT;
    else
        f->verdict = OG_FIT_FITS;
    /* Vulkan: one tensor above the driver's single-buffer limit fails the
     * allocation however much memory is free (ggml-vulkan.cpp
     * ggml_vk_create_buffer: "Requested buffer size exceeds device buffer size
     * limit"; older builds: "... memory allocation limit"). */
    if (p->backend == OG_BACKEND_VULKAN && b->vk_max_alloc_bytes &&
        p->largest_buffer_bytes > b->vk_max_alloc_bytes) {
        f->buffer_too_large = 1;
        f->verdict = OG_FIT_NO;
    }
    /* Memory after load (llama-server's prompt cache and checkpoints, host
     * RAM): a plan that fits at load but not once grown is "tight", with the
     * flag that caps the growth as the first advice; the growth needs many
     * distinct long prompts and --cache-ram bounds it, so it does not turn a
     * load that works into "does not fit". */
    margins grown = check_at(p, b, 1);
    f->grown_margin_bytes = grown.min;
    if (f->verdict == OG_FIT_FITS && grown.min < 0)
        f->verdict = OG_FIT_TIGHT;
    f->max_ctx = og_llama_max_ctx(m, s, b);
    margins at_load = r;
    if (f->verdict == OG_FIT_FITS)
        return OG_OK;

    char b1[32], b2[32];
    if (f->buffer_too_large) {
        f->buffer_fix = p->flash_attn ? "lower -ub (the logits and FFN tensors scale with it)"
                                      : "--flash-attn on (no KQ matrix) or a lower -ub";
        advise(f, "one Vulkan buffer of %s exceeds the driver's single-allocation limit of %s: %s",
               og_format_bytes(p->largest_buffer_bytes, b1, sizeof b1),
               og_format_bytes(b->vk_max_alloc_bytes, b2, sizeof b2), f->buffer_fix);
    }
    /* Fits at load, not once llama-server's prompt cache and checkpoints
     * have grown: the flags that cap the growth come first. */
    uint64_t growth = p->grown_total_bytes - p->total_bytes;
    if (growth && at_load.min > 0 && (uint64_t)at_load.min >= slack) {
        uint64_t room = (uint64_t)at_load.min - slack;
        if (p->grow_prompt_cache_bytes) {
            uint64_t ck = p->grow_checkpoint_bytes < room ? p->grow_checkpoint_bytes : room;
            uint64_t cram = (room - ck) >> 20;
            if (cram)
                advise(f,
                       "llama-server's prompt cache grows to %s in RAM after load: --cache-ram "
                       "%llu caps it so that it fits (--cache-ram 0 turns it off)",
                       og_format_bytes(p->grow_prompt_cache_bytes, b1, sizeof b1),
                       (unsigned long long)cram);
            else
                advise(f,
                       "llama-server's prompt cache grows to %s in RAM after load: --cache-ram 0 "
                       "turns it off",
                       og_format_bytes(p->grow_prompt_cache_bytes, b1, sizeof b1));
        }
        if (p->grow_checkpoint_bytes && p->checkpoint_bytes) {
            uint64_t n = room / (p->checkpoint_bytes * (p->n_seq ? p->n_seq : 1));
            advise(f,
                   "context checkpoints (%s each, up to %u per slot) grow to %s: "
                   "--ctx-checkpoints %llu caps them",
                   og_format_bytes(p->checkpoint_bytes, b1, sizeof b1), p->n_checkpoints,
                   og_format_bytes(p->grow_checkpoint_bytes, b2, sizeof b2),
                   (unsigned long long)(n < p->n_checkpoints ? n : p->n_checkpoints));
        }
    }
    uint64_t ctx_now =
        s->engine == OG_LLAMA_ENGINE_OLLAMA ? p->n_ctx / (p->n_seq ? p->n_seq : 1) : p->n_ctx;
    /* Ollama users change Ollama's settings, not llama-server flags
     * (ollama envconfig/config.go, api/types.go options). */
    int ollama = s->engine == OG_LLAMA_ENGINE_OLLAMA;
    if (f->max_ctx && f->max_ctx < ctx_now) {
        if (ollama)
            advise(f,
                   "lower num_ctx to %u (OLLAMA_CONTEXT_LENGTH=%u, or /set parameter num_ctx %u; "
                   "now %llu)",
                   f->max_ctx, f->max_ctx, f->max_ctx, (unsigned long long)ctx_now);
        else
            advise(f, "cap the context: --ctx %u fits (now %llu)", f->max_ctx,
                   (unsigned long long)ctx_now);
    }
    if (ollama && p->n_seq > 1) {
        og_llama_settings t = *s;
        t.n_parallel = 1;
        og_llama_memplan q;
        if (og_llama_plan(m, &t, &q, NULL) == OG_OK)
            advise(f, "OLLAMA_NUM_PARALLEL=1: one slot instead of %u, %s of KV (%s)", p->n_seq,
                   og_format_bytes(q.component_bytes[OG_COMP_KV], b1, sizeof b1),
                   check(&q, b).min >= 0 ? "fits" : "still short");
    }

    /* q8_0 KV with flash attention halves the cache. */
    if (p->component_bytes[OG_COMP_KV] > 0 && (p->type_k != 8 || p->type_v != 8)) {
        og_llama_settings t = *s;
        og_llama_memplan q;
        t.type_k = t.type_v = 8;
        t.flash_attn = OG_FA_ON;
        if (og_llama_plan(m, &t, &q, NULL) == OG_OK) {
            margins qr = check(&q, b);
            if (ollama)
                advise(
                    f,
                    "OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0: KV %s instead of %s (%s)",
                    og_format_bytes(q.component_bytes[OG_COMP_KV], b1, sizeof b1),
                    og_format_bytes(p->component_bytes[OG_COMP_KV], b2, sizeof b2),
                    qr.min >= 0 ? "fits" : "still short");
            else
                advise(f, "--flash-attn on -ctk q8_0 -ctv q8_0: KV %s instead of %s (%s)",
                       og_format_bytes(q.component_bytes[OG_COMP_KV], b1, sizeof b1),
                       og_format_bytes(p->component_bytes[OG_COMP_KV], b2, sizeof b2),
                       qr.min >= 0 ? "fits" : "still short");
        }
    }

    /* A smaller quantization of this model: at the current context, or, when
     * no usable context (4096 tokens) fits these weights, at 4096 tokens. */
    uint64_t w = p->component_bytes[OG_COMP_WEIGHTS];
    if (w > 0) {
        margins base = r;
        uint64_t short_ctx = 0;
        if (f->max_ctx < 4096 && ctx_now > 4096) {
            og_llama_settings t = *s;
            og_llama_memplan q;
            t.n_ctx = 4096;
            if (og_llama_plan(m, &t, &q, NULL) == OG_OK) {
                base = check(&q, b);
                short_ctx = 4096;
            }
        }
        for (size_t i = 0; i < N_QUANTS; i++) {
            uint64_t wq = og_llama_quant_weight_bytes(m, quants[i].name);
            if (!wq || wq >= m->weight_bytes * 97 / 100)
                continue;
            int64_t saved = (int64_t)(m->weight_bytes - wq);
            int64_t need = base.min < 0 ? -base.min : 0;
            if (saved >= need + (int64_t)(slack / 2)) {
                advise(f, "a smaller quantization: %s (about %s of weights instead of %s)%s",
                       quants[i].name, og_format_bytes(wq, b1, sizeof b1),
                       og_format_bytes(m->weight_bytes, b2, sizeof b2),
                       short_ctx ? ", with --ctx 4096" : "");
                break;
            }
        }
    }

    /* Fewer GPU layers: the largest -ngl whose device part fits. */
    if (p->backend != OG_BACKEND_CPU && !b->unified && r.gpu < 0) {
        og_llama_settings t = *s;
        og_llama_memplan q;
        for (int32_t n = (int32_t)m->hp.n_layer_all; n >= 0; n--) {
            t.n_gpu_layers = n;
            if (og_llama_plan(m, &t, &q, NULL) != OG_OK)
                break;
            margins qr = check(&q, b);
            if (qr.gpu >= 0) {
                if (ollama)
                    advise(f,
                           "fewer GPU layers: num_gpu %d (/set parameter num_gpu %d) puts %s on "
                           "the GPU and %s in RAM%s",
                           n, n, og_format_bytes(q.gpu_bytes, b1, sizeof b1),
                           og_format_bytes(q.host_bytes, b2, sizeof b2),
                           qr.host >= 0 ? "" : " (RAM then short)");
                else
                    advise(f, "fewer GPU layers: -ngl %d puts %s on the GPU and %s in RAM%s", n,
                           og_format_bytes(q.gpu_bytes, b1, sizeof b1),
                           og_format_bytes(q.host_bytes, b2, sizeof b2),
                           qr.host >= 0 ? "" : " (RAM then short)");
                break;
            }
        }
    }
    if (f->n_advice == 0 && f->verdict == OG_FIT_NO)
        advise(f, "no setting of this model fits: choose a smaller model or free memory");
    return OG_OK;
}
