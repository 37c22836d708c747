/* MLX plan: mlx-lm's caches, the prefill transient, Metal limits, verdict.
 *
 * Sources (mlx-lm 0.32.0 d78bf58, MLX 0.32.2 846d176), named above each formula:
 *   mlx_lm/models/cache.py       KVCache, RotatingKVCache, QuantizedKVCache,
 *                                ChunkedKVCache, ArraysCache, make_prompt_cache
 *   mlx_lm/generate.py           generate_step (prefill chunks, maybe_quantize_kv_cache,
 *                                wired_limit), CLI defaults
 *   mlx_lm/server.py             prompt cache, prefill step
 *   mlx/backend/metal/scaled_dot_product_attention.cpp  fused-kernel routing
 *   mlx/fast.cpp                 unfused SDPA fallback (scores materialized)
 *   mlx/backend/metal/allocator.cpp  maxBufferLength check, page rounding, buffer cache
 *   mlx/backend/metal/eval.cpp, device.cpp, mlx/transforms.cpp  command buffers in flight
 *   mlx_lm/models/base.py        quantized_scaled_dot_product_attention
 */
#include "mlx_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "og_internal.h"
#include "plan_internal.h"
#include "oomguard/units.h"

/* MLX's command-buffer pipelining, which decides how many intermediates of a
 * prefill chunk are live at once (replaces the chosen "retention factor 2" of
 * the first version; every number here is MLX's):
 *  - mlx/backend/metal/eval.cpp gpu::eval: the input buffers of every op are
 *    kept alive (the completion handler's `buffers` set) until the command
 *    buffer holding the op completes on the GPU;
 *  - mlx/backend/metal/device.cpp CommandEncoder::needs_commit: a command
 *    buffer is committed after more than max_ops_per_buffer ops or more than
 *    max_mb_per_buffer x 2^20 *elements* (array::data_size(), not bytes) of
 *    distinct input buffers (set_input_array; weights and KV cache count);
 *    Device::Device: 40/40 on base and Pro GPUs ('g'), 50/50 on Max ('s')
 *    and Ultra ('d');
 *  - mlx/transforms.cpp eval_impl: the CPU encodes ahead of the GPU until
 *    more than MAX_ACTIVE_TASKS = 10 committed buffers are in flight, then
 *    waits for one; so up to 11 committed buffers plus the one being encoded
 *    hold their inputs (OG_MLX_CB_WINDOW = 12). A prefill chunk keeps the GPU
 *    busy far longer than encoding takes, so the queue is full: this is an
 *    upper bound that the GPU reaches when it is the bottleneck.
 *  - element-wise ops, rms_norm, rope and softmax reuse an input buffer with
 *    no other reference (is_donatable: normalization.cpp, rope.cpp,
 *    binary.h, compiled.cpp), so their outputs are not new buffers. */
#define OG_MLX_MAX_ACTIVE_TASKS 10
#define OG_MLX_CB_WINDOW (OG_MLX_MAX_ACTIVE_TASKS + 2)
#define OG_MLX_CB_OPS_DEFAULT 50   /* Max / Ultra: the larger, so the bound */
#define OG_MLX_CB_MELEM_DEFAULT 50 /* 2^20 elements */

void og_mlx_settings_default(og_mlx_settings *s)
{
    memset(s, 0, sizeof *s);
    s->ctx = 4096;
    s->kv_group_size = 64;        /* mlx_lm/generate.py --kv-group-size default */
    s->quantized_kv_start = 5000; /* mlx_lm/generate.py DEFAULT_QUANTIZED_KV_START */
    s->prefill_step_size = 2048;  /* mlx_lm/generate.py generate_step default */
    s->batch = 1;
    og_strlcpy(s->q_mode, "affine", sizeof s->q_mode);
}

const char *og_mlx_verdict_name(og_mlx_verdict v)
{
    switch (v) {
    case OG_MLX_FITS:
        return "fits";
    case OG_MLX_TIGHT:
        return "tight";
    case OG_MLX_NO_FIT:
        return "does-not-fit";
    case OG_MLX_UNKNOWN:
        break;
    }
    return "unknown";
}

static void add_note(og_mlx_plan_result *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_note(og_mlx_plan_result *p, const char *fmt, ...)
{
    if (p->n_notes >= OG_MLX_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

static void add_advice(og_mlx_plan_result *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_advice(og_mlx_plan_result *p, const char *fmt, ...)
{
    if (p->n_advice >= OG_MLX_MAX_ADVICE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->advice[p->n_advice++], sizeof p->advice[0], fmt, ap);
    va_end(ap);
}

/* Saturating helpers: the plan reports UINT64_MAX rather than wrapping. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return og_add_u64(a, b, &r) ? r : UINT64_MAX;
}
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return og_mul_u64(a, b, &r) ? r : UINT64_MAX;
}
static uint64_t round_up(uint64_t x, uint64_t a)
{
    return sat_mul((x + a - 1) / a, a);
}

/* ---- layers and their caches ------------------------------------------ */

typedef enum lkind { LK_NONE = 0, LK_KV, LK_ROT, LK_CHUNK, LK_STATE } lkind;

typedef struct lclass {
    lkind kind;
    uint32_t count;
    uint32_t heads_kv;    /* KV heads (1 for MLA) */
    uint32_t hk, hv;      /* per-head dims of keys and values */
    uint32_t heads;       /* query heads */
    uint64_t window;      /* rotating max_size / chunk size */
    uint32_t keep;        /* rotating keep */
    uint64_t state_bytes; /* ArraysCache bytes per sequence */
    int fused;            /* prefill SDPA uses the fused kernel */
} lclass;

#define MAX_CLASSES 16

typedef struct layout {
    lclass c[MAX_CLASSES];
    uint32_t n;
    int ignores_max_kv;
    uint32_t nl;                /* layers, in order */
    uint8_t cls[OG_MAX_LAYERS]; /* class index of each layer */
} layout;

/* Architectures whose mlx-lm model defines make_cache(), so
 * make_prompt_cache ignores --max-kv-size (mlx_lm/models/cache.py
 * make_prompt_cache). From grep -l "def make_cache" over mlx_lm/models in
 * 0.32.0 (afm7, afmoe, baichuan_m1, bailing_moe_linear, cohere2, deepseek_v32,
 * exaone4, exaone_moe, falcon_h1, gemma3, gemma3_text, gemma3n, gemma4,
 * gpt_oss, granitemoehybrid, iquestloopcoder, jamba, kimi_linear, laguna,
 * lfm2, lfm2_moe, llama (also mistral, via MODEL_REMAPPING), llama4,
 * longcat_flash, mamba, mamba2, mellum, mimo_v2_flash, ministral3,
 * nemotron-nas, nemotron_h, olmo3, plamo2, qwen3_5, qwen3_next,
 * recurrent_gemma, rwkv7, step3p5) mapped to llama.cpp architecture names. */
static int arch_has_make_cache(const char *arch)
{
    static const char *const a[] = {
        "llama",       "llama4",      "gemma3",     "gemma3n",    "gemma4",        "gpt-oss",
        "cohere2",     "exaone4",     "exaone-moe", "falcon-h1",  "granitehybrid", "jamba",
        "lfm2",        "lfm2moe",     "mamba",      "mamba2",     "nemotron_h",    "plamo2",
        "qwen35",      "qwen35moe",   "qwen3next",  "rwkv7",      "olmo3",         "afmoe",
        "kimi-linear", "deci",        "mistral3",   "deepseek32", "bailingmoe2",   "mimo2",
        "step35",      "smallthinker"};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        if (strcmp(arch, a[i]) == 0)
            return 1;
    return 0;
}

int og_mlx_max_kv_size_honoured(const og_model *m)
{
    if (!m || arch_has_make_cache(m->hp.arch))
        return 0;
    uint32_t n = m->hp.n_layer ? m->hp.n_layer : m->hp.n_layer_all;
    for (uint32_t i = 0; i < n && i < OG_MAX_LAYERS; i++)
        if (m->hp.is_recurrent[i] || m->hp.is_swa[i])
            return 0;
    return 1;
}

/* mlx/backend/metal/scaled_dot_product_attention.cpp has_fused_kernel and
 * use_fallback: for queries longer than 8 the fused kernel is used for
 * matching head dims 64, 72, 80, 96, 128; 192 and 256 take the unfused path
 * (except M5-class NAX GPUs for causal 256, not modelled). */
static int prefill_fused(uint32_t hk, uint32_t hv)
{
    if (hk != hv)
        return 0;
    return hk == 64 || hk == 72 || hk == 80 || hk == 96 || hk == 128;
}

static void push_class(layout *L, const lclass *c)
{
    uint32_t k = L->n - (L->n > 0);
    int found = 0;
    for (uint32_t i = 0; i < L->n; i++) {
        lclass *x = &L->c[i];
        if (x->kind == c->kind && x->heads_kv == c->heads_kv && x->hk == c->hk && x->hv == c->hv &&
            x->heads == c->heads && x->window == c->window && x->keep == c->keep &&
            x->state_bytes == c->state_bytes) {
            x->count++;
            k = i;
            found = 1;
            break;
        }
    }
    if (!found && L->n < MAX_CLASSES) {
        L->c[L->n] = *c;
        L->c[L->n].count = 1;
        k = L->n++;
    } else if (!found) {
        L->c[L->n - 1].count++; /* cannot happen with real models; keep the count */
    }
    if (L->nl < OG_MAX_LAYERS)
        L->cls[L->nl++] = (uint8_t)k;
}

/* ArraysCache state bytes per sequence. qwen3_next.py / gated_delta.py:
 * conv state [B, conv_kernel-1, conv_dim] in the model dtype and recurrent
 * state [B, Hv, Dv, Dk] in float32, conv_dim = 2*key_dim + value_dim; in
 * llama.cpp's terms d_inner = Hv*Dv, d_state = Dk, n_group = Hk, so
 * conv_dim = d_inner + 2*n_group*d_state and the state is d_inner*d_state.
 * mamba2.py the same shapes; lfm2.py ShortConv [B, L_cache-1, 3E]... its
 * conv state holds (L_cache - 1) x hidden; rwkv7.py: per-head wkv state
 * [H, hd, hd] float32 plus two token-shift vectors. */
static uint64_t state_bytes(const og_hparams *hp, uint32_t b)
{
    if (hp->shortconv_l_cache)
        return sat_mul(sat_mul(hp->shortconv_l_cache - 1, hp->n_embd), b);
    if (hp->wkv_head_size) {
        uint64_t heads = hp->n_embd / hp->wkv_head_size;
        return sat_add(sat_mul(sat_mul(heads, (uint64_t)hp->wkv_head_size * hp->wkv_head_size), 4),
                       sat_mul(2 * hp->n_embd, b));
    }
    uint64_t di = hp->ssm_d_inner, ds = hp->ssm_d_state;
    uint64_t ng = hp->ssm_n_group ? hp->ssm_n_group : 1;
    uint64_t kc = hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 3;
    uint64_t conv = sat_mul(sat_mul(kc, sat_add(di, sat_mul(2 * ng, ds))), b);
    uint64_t ssm = sat_mul(sat_mul(di, ds), 4);
    return sat_add(conv, ssm);
}

static void build_layout(const og_model *m, const og_mlx_settings *s, uint32_t b, layout *L)
{
    const og_hparams *hp = &m->hp;
    memset(L, 0, sizeof *L);
    int own = arch_has_make_cache(hp->arch);
    uint32_t n = hp->n_layer ? hp->n_layer : hp->n_layer_all;
    if (n > OG_MAX_LAYERS)
        n = OG_MAX_LAYERS;
    for (uint32_t i = 0; i < n; i++) {
        if (hp->is_recurrent[i] || hp->is_swa[i])
            own = 1;
    }
    L->ignores_max_kv = own;
    for (uint32_t i = 0; i < n; i++) {
        lclass c;
        memset(&c, 0, sizeof c);
        c.heads = hp->n_head[i] ? hp->n_head[i] : hp->n_head[0];
        if (hp->is_recurrent[i]) {
            c.kind = LK_STATE;
            c.state_bytes = state_bytes(hp, b);
            push_class(L, &c);
            continue;
        }
        if (hp->n_layer_kv_from_start && i >= hp->n_layer_kv_from_start) {
            c.kind = LK_NONE; /* gemma3n.py: shared-KV layers own no cache */
            push_class(L, &c);
            continue;
        }
        if (hp->is_mla) {
            /* deepseek_v3.py DeepseekV3Attention: the cache stores the
             * normalized latent (kv_lora_rank) as keys and the RoPE key part
             * (qk_rope_head_dim) as values, one head each */
            c.heads_kv = 1;
            c.hk = hp->kv_lora_rank;
            c.hv = hp->n_rot;
        } else {
            c.heads_kv = hp->n_head_kv[i] ? hp->n_head_kv[i] : c.heads;
            c.hk = hp->is_swa[i] && hp->head_dim_k_swa ? hp->head_dim_k_swa : hp->head_dim_k;
            c.hv = hp->is_swa[i] && hp->head_dim_v_swa ? hp->head_dim_v_swa : hp->head_dim_v;
            if (!c.hk)
                c.hk = c.heads ? (uint32_t)(hp->n_embd / c.heads) : 0;
            if (!c.hv)
                c.hv = c.hk;
        }
        if (hp->is_mla) {
            /* MLA prefill attends over the expanded keys (qk_nope) and values
             * (v_head_dim) with the RoPE scores as an additive array mask */
            uint32_t nope = hp->head_dim_k_mla > hp->n_rot ? hp->head_dim_k_mla - hp->n_rot
                                                           : hp->head_dim_k_mla;
            c.fused = prefill_fused(nope, hp->head_dim_v_mla);
        } else {
            c.fused = prefill_fused(c.hk, c.hv);
        }
        if (hp->is_swa[i] && hp->n_swa) {
            /* gemma3_text.py, gpt_oss.py, llama.py make_cache:
             * RotatingKVCache(max_size=sliding_window), keep 0;
             * llama4.py: ChunkedKVCache(attention_chunk_size) */
            c.kind = hp->swa_type == OG_SWA_CHUNKED ? LK_CHUNK : LK_ROT;
            c.window = hp->n_swa;
            c.keep = 0;
        } else if (!own && s->max_kv_size) {
            /* cache.py make_prompt_cache: RotatingKVCache(max_kv_size, keep=4) */
            c.kind = LK_ROT;
            c.window = s->max_kv_size;
            c.keep = 4;
        } else {
            c.kind = LK_KV;
        }
        push_class(L, &c);
    }
}

/* Bytes of one cache slot (one token) of a layer, batch 1.
 * cache.py KVCache: keys [B, n_kv_heads, slots, k_head_dim] and values
 * [.., v_head_dim] in the dtype of the keys (the activation dtype).
 * cache.py QuantizedKVCache init_quant: uint32 [.., dim // (32 // bits)] plus
 * scales and biases [.., dim // group_size] in the activation dtype. */
static uint64_t slot_bytes(const lclass *c, uint32_t b, uint32_t kv_bits, uint32_t group)
{
    if (kv_bits) {
        uint64_t el_per_int = 32 / kv_bits;
        uint64_t k = (uint64_t)(c->hk / el_per_int) * 4 + 2ull * (c->hk / group) * b;
        uint64_t v = (uint64_t)(c->hv / el_per_int) * 4 + 2ull * (c->hv / group) * b;
        return sat_mul(c->heads_kv, k + v);
    }
    return sat_mul(sat_mul(c->heads_kv, (uint64_t)c->hk + c->hv), b);
}

/* The chunks generate_step feeds: while more than one prompt token remains,
 * min(prefill_step_size, remaining - 1); then the last prompt token alone
 * (mlx_lm/generate.py generate_step). */
typedef struct cache_sim {
    uint64_t off;     /* tokens seen */
    uint64_t slots;   /* slots allocated (capacity / held size) */
    uint64_t grow;    /* slots of the last growth (old + new held together) */
    uint64_t old;     /* slots of the buffer the last growth replaced (0 = none) */
    uint64_t visible; /* keys attended to by the last update */
} cache_sim;

/* One update of n tokens. */
static void sim_update(const lclass *c, cache_sim *st, uint64_t n)
{
    uint64_t before = st->slots;
    st->grow = 0;
    switch (c->kind) {
    case LK_KV:
    case LK_CHUNK: {
        /* cache.py KVCache.update_and_fetch: when prev + n > capacity, trim
         * to prev if prev % 256 != 0, then concatenate ceil(n/256)*256 new
         * zero slots (old and new buffers are live together). */
        uint64_t prev = st->off;
        if (c->kind == LK_CHUNK && st->slots > c->window) {
            /* ChunkedKVCache.maybe_trim_front keeps the last chunk_size */
            uint64_t keep = c->window;
            st->slots = keep;
            prev = keep;
        } else if (c->kind == LK_CHUNK) {
            prev = st->slots < st->off ? st->slots : st->off;
        }
        uint64_t used = c->kind == LK_CHUNK ? prev : st->off;
        if (used + n > st->slots) {
            uint64_t base = st->slots;
            if (used % 256 != 0)
                base = used;
            uint64_t add = round_up(n, 256);
            st->grow = sat_add(base, add);
            st->slots = sat_add(base, add);
        }
        st->off += n;
        st->visible = c->kind == LK_CHUNK ? used + n : st->off;
        break;
    }
    case LK_ROT: {
        uint64_t M = c->window;
        if (n > 1) {
            /* RotatingKVCache._update_concat: keep the last max_size - 1
             * (plus keep) and append: up to max_size + n - 1 slots */
            uint64_t held = st->slots;
            if (held >= M)
                held = M - 1;
            if (st->slots == 0)
                held = 0;
            st->grow = sat_add(st->slots, sat_add(held, n));
            st->slots = held + n;
        } else {
            /* _update_in_place: grow by min(256, max_size - prev) while
             * under max_size, else trim to max_size and rotate */
            if (st->off >= st->slots && st->slots < M) {
                uint64_t add = M - st->off < 256 ? M - st->off : 256;
                if (st->off > M)
                    add = 0;
                st->grow = sat_add(st->slots, st->slots + add);
                st->slots += add;
            }
            if (st->slots > M)
                st->slots = M;
        }
        st->off += n;
        st->visible = st->slots;
        break;
    }
    case LK_STATE:
    case LK_NONE:
        st->off += n;
        st->visible = 0;
        break;
    }
    /* the concatenation's input: the previous buffer, released only when
     * the command buffer of the concatenation completes */
    st->old = st->grow ? before : 0;
}

/* ---- the plan ------------------------------------------------------------ */

typedef struct shape {
    uint64_t E, V, F_dense, moe_tok; /* moe_tok: per-token MoE intermediate elements */
    uint64_t attn_proj;              /* per-token q/k/v/rope/out elements (max layer) */
    uint64_t rec_proj;               /* per-token recurrent-layer intermediates */
    uint32_t mla_nope, mla_v, mla_heads;
} shape;

static void build_shape(const og_model *m, shape *sh)
{
    const og_hparams *hp = &m->hp;
    memset(sh, 0, sizeof *sh);
    sh->E = hp->n_embd;
    sh->V = hp->n_vocab;
    uint32_t n = hp->n_layer ? hp->n_layer : hp->n_layer_all;
    if (n > OG_MAX_LAYERS)
        n = OG_MAX_LAYERS;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t H = hp->n_head[i] ? hp->n_head[i] : hp->n_head[0];
        uint64_t Hkv = hp->n_head_kv[i] ? hp->n_head_kv[i] : H;
        uint64_t hk = hp->is_mla ? hp->head_dim_k_mla : hp->head_dim_k;
        uint64_t hv = hp->is_mla ? hp->head_dim_v_mla : hp->head_dim_v;
        if (!hk)
            hk = H ? sh->E / H : 0;
        if (!hv)
            hv = hk;
        /* q, RoPE(q), k, RoPE(k), v, attention output */
        uint64_t ap = 2 * H * hk + 2 * Hkv * hk + Hkv * hv + H * hv;
        if (ap > sh->attn_proj)
            sh->attn_proj = ap;
        if (hp->n_ff[i] > sh->F_dense && !hp->is_moe[i])
            sh->F_dense = hp->n_ff[i];
        if (hp->is_recurrent[i]) {
            uint64_t di = hp->ssm_d_inner ? hp->ssm_d_inner : sh->E;
            uint64_t conv = di + 2ull * (hp->ssm_n_group ? hp->ssm_n_group : 1) * hp->ssm_d_state;
            uint64_t rp = 3 * (conv + di);
            if (rp > sh->rec_proj)
                sh->rec_proj = rp;
        }
    }
    if (hp->n_expert && hp->n_expert_used) {
        /* switch_layers.py SwitchGLU with sorted indices: inputs gathered per
         * selected expert (k x E), gate/up/activation (3 x k x F_exp), the
         * expert outputs (k x E); shared experts as a dense MLP */
        uint64_t k = hp->n_expert_used, fe = hp->n_ff_exp;
        uint64_t fs = hp->n_ff_shexp ? hp->n_ff_shexp : (uint64_t)hp->n_expert_shared * fe;
        sh->moe_tok = k * (2 * sh->E + 3 * fe) + 3 * fs + 2ull * hp->n_expert;
    }
    if (hp->is_mla) {
        sh->mla_heads = hp->n_head[0];
        sh->mla_nope =
            hp->head_dim_k_mla > hp->n_rot ? hp->head_dim_k_mla - hp->n_rot : hp->head_dim_k_mla;
        sh->mla_v = hp->head_dim_v_mla;
    }
}

/* ---- the transient of one update: command buffers in flight ---------- */

/* Weight elements per parameter as MLX counts them for the command-buffer
 * budget (array::data_size): 1 for unquantized arrays; for quantized ones
 * the packed uint32 words plus scales and biases, taken as data bytes / 4
 * (a lower count, so more layers fit a command buffer: the upper side). */
typedef struct pipe {
    uint64_t max_ops, max_el;
    uint64_t ring_act[OG_MLX_CB_WINDOW], ring_held[OG_MLX_CB_WINDOW];
    uint32_t nring, head;
    uint64_t ring_sum_act, ring_sum_held; /* running sums over the ring (saturating) */
    uint64_t cur_el, cur_act, cur_held, cur_ops;
    uint64_t best_act, best_held;
} pipe;

static void pipe_init(pipe *q, const og_mlx_settings *s)
{
    memset(q, 0, sizeof *q);
    q->max_ops = s->metal_cb_max_ops ? s->metal_cb_max_ops : OG_MLX_CB_OPS_DEFAULT;
    q->max_el = (uint64_t)(s->metal_cb_max_mb ? s->metal_cb_max_mb : OG_MLX_CB_MELEM_DEFAULT);
}

/* One op: in_el distinct input elements (weights, activations, caches),
 * out_bytes a new transient buffer, held_bytes a buffer freed only when
 * the op's command buffer completes (the replaced KV buffer). The live
 * transient is what the last OG_MLX_CB_WINDOW - 1 committed buffers and the
 * open one hold; the worst moment is kept. */
static void pipe_op(pipe *q, uint64_t in_el, uint64_t out_bytes, uint64_t held_bytes)
{
    q->cur_el = sat_add(q->cur_el, in_el);
    q->cur_ops++;
    q->cur_act = sat_add(q->cur_act, out_bytes);
    q->cur_held = sat_add(q->cur_held, held_bytes);
    uint64_t act = sat_add(q->cur_act, q->ring_sum_act);
    uint64_t held = sat_add(q->cur_held, q->ring_sum_held);
    if (sat_add(act, held) > sat_add(q->best_act, q->best_held)) {
        q->best_act = act;
        q->best_held = held;
    }
    /* device.cpp needs_commit: buffer_ops_ > max_ops || (buffer_sizes_ >> 20) > max_mb */
    if (q->cur_ops > q->max_ops || (q->cur_el >> 20) > q->max_el) {
        if (q->nring < OG_MLX_CB_WINDOW - 1) {
            q->ring_act[q->nring] = q->cur_act;
            q->ring_held[q->nring] = q->cur_held;
            q->nring++;
        } else {
            /* the oldest buffer completes: its memory leaves the window */
            if (q->ring_sum_act != UINT64_MAX)
                q->ring_sum_act -= q->ring_act[q->head];
            if (q->ring_sum_held != UINT64_MAX)
                q->ring_sum_held -= q->ring_held[q->head];
            q->ring_act[q->head] = q->cur_act;
            q->ring_held[q->head] = q->cur_held;
            q->head = (q->head + 1) % (OG_MLX_CB_WINDOW - 1);
        }
        q->ring_sum_act = sat_add(q->ring_sum_act, q->cur_act);
        q->ring_sum_held = sat_add(q->ring_sum_held, q->cur_held);
        q->cur_el = q->cur_ops = q->cur_act = q->cur_held = 0;
    }
}

/* Dense SwiGLU MLP (llama.py / qwen3.py MLP; activations.py swiglu is a
 * compiled kernel that donates its input): gate, up, swiglu, down. */
static void mlp_ops(pipe *q, uint64_t S, uint64_t E, uint64_t F, uint64_t wf, uint32_t b)
{
    pipe_op(q, sat_add(S * E, wf), sat_mul(S * F, b), 0); /* gate_proj */
    pipe_op(q, wf, sat_mul(S * F, b), 0);                 /* up_proj */
    pipe_op(q, 2 * S * F, 0, 0);                          /* swiglu (donates gate) */
    pipe_op(q, sat_add(S * F, wf), sat_mul(S * E, b), 0); /* down_proj */
}

/* The ops of one layer for a chunk of S tokens, in mlx-lm's order
 * (models/llama.py, qwen3.py, qwen3_next.py, switch_layers.py SwitchGLU),
 * with the elements MLX counts and the buffers each op creates. */
/* base.py quantized_scaled_dot_product_attention (mlx-lm 0.32.0 d78bf58), the
 * attention of every layer whose cache is a QuantizedKVCache (--kv-bits),
 * prefill included: no fused kernel, so
 *   queries *= scale                          (donates)
 *   mask = q_indices[:, None] >= k_indices    bool [S, L] for the "causal" string
 *   scores = quantized_matmul(queries, keys)  [B, n_kv, rep, S, L] in the dtype
 *   scores = where(mask, scores, min)         (donates: ternary.h General case)
 *   scores = softmax(scores, precise=True)    (donates: metal/softmax.cpp)
 *   out = quantized_matmul(scores, values)
 * Each op that reads the scores has H*S*L elements of input, far over MLX's
 * 50 Mi-element command-buffer budget at long prompts, so each ends its
 * command buffer (device.cpp needs_commit) and the scores of one layer stay
 * live through three of them; the window then holds the scores of the next
 * layers too. L = keys attended to; the packed keys/values count
 * head_dim / (32 / bits) uint32 words plus 2 * head_dim / group scales and
 * biases per head and token (cache.py QuantizedKVCache.init_quant). */
static void quantized_sdpa_ops(pipe *q, const lclass *c, uint64_t S, uint64_t L, uint32_t b,
                               uint32_t bits, uint32_t group)
{
    uint64_t H = c->heads, epi = 32 / bits;
    uint64_t kq = sat_mul(sat_mul(L, c->heads_kv), c->hk / epi + 2ull * (c->hk / group));
    uint64_t vq = sat_mul(sat_mul(L, c->heads_kv), c->hv / epi + 2ull * (c->hv / group));
    uint64_t sl = sat_mul(S, L), hsl = sat_mul(H, sl);
    pipe_op(q, S * H * c->hk, 0, 0);                            /* queries *= scale */
    pipe_op(q, sat_add(S, L), sl, 0);                           /* causal bool mask */
    pipe_op(q, sat_add(S * H * c->hk, kq), sat_mul(hsl, b), 0); /* scores */
    pipe_op(q, sat_add(hsl, sl), 0, 0);                         /* where */
    pipe_op(q, hsl, 0, 0);                                      /* softmax */
    pipe_op(q, sat_add(hsl, vq), sat_mul(S * H * c->hv, b), 0); /* scores @ values */
}

static void layer_ops(pipe *q, const og_hparams *hp, const lclass *c, const cache_sim *st,
                      uint32_t i, uint64_t S, uint32_t b, double epp, uint32_t qbits,
                      uint32_t qgroup)
{
    uint64_t E = hp->n_embd;
#define W(x) ((uint64_t)((double)(x)*epp))
    pipe_op(q, S * E, sat_mul(S * E, b), 0); /* input norm (x has two consumers) */
    if (c->kind == LK_STATE) {
        /* qwen3_next.py GatedDeltaNet / mamba2.py: in projections, conv,
         * the recurrence, out projection (shapes as state_bytes()) */
        uint64_t di = hp->ssm_d_inner ? hp->ssm_d_inner : E;
        uint64_t conv = di + 2ull * (hp->ssm_n_group ? hp->ssm_n_group : 1) * hp->ssm_d_state;
        pipe_op(q, sat_add(S * E, W(E * (conv + di))), sat_mul(S * (conv + di), b), 0);
        pipe_op(q, S * conv, sat_mul(S * conv, b), 0);
        pipe_op(q, S * (conv + di), sat_mul(S * di, b), 0);
        pipe_op(q, sat_add(S * di, W(di * E)), sat_mul(S * E, b), 0);
    } else {
        uint64_t H = c->heads, Hkv = hp->is_mla ? 1 : c->heads_kv;
        uint64_t hk = hp->is_mla ? hp->head_dim_k_mla : c->hk;
        uint64_t hv = hp->is_mla ? hp->head_dim_v_mla : c->hv;
        uint64_t ck = c->hk, cv = c->hv; /* cache per-head dims (MLA: latent, rope) */
        uint64_t ckv = hp->is_mla ? 1 : c->heads_kv;
        pipe_op(q, sat_add(S * E, W(E * H * hk)), sat_mul(S * H * hk, b), 0); /* q_proj */
        pipe_op(q, W(E * ckv * ck), sat_mul(S * ckv * ck, b), 0);             /* k_proj */
        pipe_op(q, W(E * ckv * cv), sat_mul(S * ckv * cv, b), 0);             /* v_proj */
        pipe_op(q, S * H * hk, 0, 0);                                         /* rope(q), donates */
        pipe_op(q, S * ckv * ck, 0, 0);                                       /* rope(k), donates */
        if (c->kind != LK_NONE) {
            if (st->old) { /* cache.py KVCache: concatenate([old, zeros]) */
                pipe_op(q, st->old * ckv * ck, 0, sat_mul(st->old * ckv * ck, b));
                pipe_op(q, st->old * ckv * cv, 0, sat_mul(st->old * ckv * cv, b));
            }
            /* keys[..., prev:offset, :] = keys: slice update in place */
            pipe_op(q, sat_add(st->slots * ckv * ck, S * ckv * ck), 0, 0);
            pipe_op(q, sat_add(st->slots * ckv * cv, S * ckv * cv), 0, 0);
        }
        if (qbits && !hp->is_mla)
            quantized_sdpa_ops(q, c, S, st->visible, b, qbits, qgroup);
        else
            pipe_op(q, S * H * hk, sat_mul(S * H * hv, b), 0); /* fused SDPA output */
        (void)Hkv;
        pipe_op(q, sat_add(S * H * hv, W(H * hv * E)), sat_mul(S * E, b), 0); /* o_proj */
    }
    pipe_op(q, 2 * S * E, 0, 0);             /* h = x + r (donates r) */
    pipe_op(q, S * E, sat_mul(S * E, b), 0); /* post-attention norm */
    if (hp->is_moe[i] && hp->n_expert && hp->n_expert_used) {
        uint64_t k = hp->n_expert_used, ne = hp->n_expert, fe = hp->n_ff_exp;
        uint64_t fs = hp->n_ff_shexp ? hp->n_ff_shexp : (uint64_t)hp->n_expert_shared * fe;
        uint64_t we = W(ne * E * fe); /* one stacked projection of all experts */
        pipe_op(q, sat_add(S * E, W(E * ne)), sat_mul(S * ne, b), 0); /* router */
        pipe_op(q, S * ne, sat_mul(S * ne, 4), 0);                    /* softmax */
        pipe_op(q, S * ne, sat_mul(S * k, 8), 0);                     /* top-k idx, scores */
        pipe_op(q, S * E, sat_mul(S * k * E, b), 0); /* x gathered per expert (sorted) */
        pipe_op(q, sat_add(S * k * E, we), sat_mul(S * k * fe, b), 0); /* gather_qmm gate */
        pipe_op(q, we, sat_mul(S * k * fe, b), 0);                     /* gather_qmm up */
        pipe_op(q, 2 * S * k * fe, 0, 0);                              /* swiglu */
        pipe_op(q, sat_add(S * k * fe, we), sat_mul(S * k * E, b), 0); /* gather_qmm down */
        pipe_op(q, S * k * E, sat_mul(S * E, b), 0); /* unsort, weight, sum over k */
        if (fs)
            mlp_ops(q, S, E, fs, W(E * fs), b);
    } else if (hp->n_ff[i]) {
        mlp_ops(q, S, E, hp->n_ff[i], W(E * hp->n_ff[i]), b);
    }
    pipe_op(q, 2 * S * E, 0, 0); /* out = h + r (donates r) */
#undef W
}

/* Attention scores of one layer for a chunk of S queries over L keys where
 * no fused kernel runs: mlx/fast.cpp scaled_dot_product_attention fallback
 * materializes scores [B, n_q_heads, S, L] in the activation dtype; the
 * masked copy (where) and the softmax reuse that buffer (MLX donates an
 * element-wise op's input buffer when nothing else holds it), so one copy is
 * live. A bool mask [S, L] is built by cache.py create_attention_mask for
 * windowed layers. MLA (deepseek_v3.py): the RoPE scores pe_scores
 * [B, H, S, L] are the array mask, and the latent is expanded to keys
 * [H, L, qk_nope] and values [H, L, v_head_dim]. */
static uint64_t scores_bytes(const lclass *c, const shape *sh, uint64_t S, uint64_t L, uint32_t b,
                             int mla, int quantized)
{
    uint64_t t = 0;
    if (S <= 1)
        return 0;
    if (mla) {
        uint64_t pe = sat_mul(sat_mul(sat_mul(sh->mla_heads, S), L), b);
        t = sat_add(
            pe, sat_mul(sat_mul(sat_mul(sh->mla_heads, L), (uint64_t)sh->mla_nope + sh->mla_v), b));
        if (!c->fused)
            t = sat_add(t, pe);
        return t;
    }
    if (quantized)
        return 0; /* quantized_sdpa_ops: in the command-buffer window */
    if (!c->fused)
        t = sat_mul(sat_mul(sat_mul(c->heads, S), L), b);
    /* windowed layers: cache.py create_attention_mask returns a bool
     * [S, L] array */
    if (c->kind == LK_ROT || c->kind == LK_CHUNK)
        t = sat_add(t, sat_mul(S, L));
    return t;
}

typedef struct moment {
    uint64_t kv, growth, act, scores, chunk;
} moment;

/* Run the whole schedule (prefill chunks, last prompt token, decode) for one
 * sequence and return the KV at the end and the worst moment. */
static void simulate(const layout *L, const shape *sh, const og_hparams *hp, double epp,
                     const og_mlx_settings *s, uint32_t b, int mla, uint64_t *kv_end, moment *worst,
                     uint64_t *worst_total, int *quantized_end, uint64_t *qscores_max)
{
    *qscores_max = 0;
    uint64_t last_act = 0, last_held = 0;
    int decode_seen = 0;
    cache_sim st[MAX_CLASSES];
    int quant[MAX_CLASSES], sdpa_q[MAX_CLASSES];
    memset(st, 0, sizeof st);
    memset(quant, 0, sizeof quant);
    memset(sdpa_q, 0, sizeof sdpa_q);
    memset(worst, 0, sizeof *worst);
    *worst_total = 0;
    uint64_t ctx = s->ctx;
    uint64_t P = s->prompt_tokens && s->prompt_tokens < ctx ? s->prompt_tokens : ctx;
    uint64_t step = s->prefill_step_size ? s->prefill_step_size : 2048;
    uint64_t done = 0;
    int in_prefill = 1;
    while (done < ctx) {
        uint64_t n;
        if (in_prefill && P - done > 1) {
            n = P - done - 1;
            if (n > step)
                n = step;
        } else if (in_prefill) {
            n = P - done; /* the last prompt token (_step) */
            in_prefill = 0;
        } else {
            n = 1; /* decode: one token per step */
        }
        if (n == 0)
            n = 1;
        moment mo;
        memset(&mo, 0, sizeof mo);
        uint64_t kv = 0, growth = 0, scores = 0;
        for (uint32_t i = 0; i < L->n; i++) {
            const lclass *c = &L->c[i];
            if (c->kind == LK_STATE) {
                kv = sat_add(kv, sat_mul(c->state_bytes, c->count));
                continue;
            }
            if (c->kind == LK_NONE)
                continue;
            sim_update(c, &st[i], n);
            int was_q = quant[i]; /* this update's SDPA ran on the cache as it was */
            sdpa_q[i] = was_q;
            if (was_q && !mla) {
                /* quantized_sdpa_ops: one layer's scores, one buffer */
                uint64_t one = sat_mul(
                    sat_mul(sat_mul(c->heads, sat_mul(n, s->batch ? s->batch : 1)), st[i].visible),
                    b);
                if (one > *qscores_max)
                    *qscores_max = one;
            }
            /* generate.py maybe_quantize_kv_cache: after each update, a
             * KVCache whose offset reached quantized_kv_start becomes a
             * QuantizedKVCache of the same capacity (cache.py to_quantized) */
            int q_now = s->kv_bits && c->kind == LK_KV && st[i].off >= s->quantized_kv_start;
            uint64_t sb = slot_bytes(c, b, quant[i] || q_now ? s->kv_bits : 0, s->kv_group_size);
            uint64_t layer = sat_mul(st[i].slots, sb);
            kv = sat_add(kv, sat_mul(layer, c->count));
            if (q_now && !quant[i]) {
                /* the conversion holds the float and the quantized copy of one layer */
                uint64_t fp = sat_mul(st[i].slots, slot_bytes(c, b, 0, 1));
                if (fp > growth)
                    growth = fp;
                quant[i] = 1;
            }
            if (st[i].grow && quant[i]) {
                /* a quantized cache growing (QuantizedKVCache.update_and_fetch
                 * concatenates too): the old buffer of one layer; float caches
                 * are counted per op in the command-buffer window below */
                uint64_t g = sat_mul(st[i].old, sb);
                if (g > growth)
                    growth = g;
            }
            uint64_t sc = scores_bytes(c, sh, n, st[i].visible, b, mla, was_q);
            if (sc > scores)
                scores = sc;
        }
        /* The transient of this update: the ops of every layer in order
         * through MLX's command-buffer window (see pipe above). Decode steps
         * without a cache growth repeat the previous decode step's value. */
        int grew = 0;
        for (uint32_t i = 0; i < L->n; i++)
            if (st[i].old && !quant[i])
                grew = 1;
        if (n > 1 || grew || !decode_seen) {
            pipe q;
            pipe_init(&q, s);
            uint64_t B = s->batch ? s->batch : 1;
            for (uint32_t li = 0; li < L->nl; li++) {
                uint32_t ci = L->cls[li];
                cache_sim cs = st[ci];
                if (quant[ci])
                    cs.old = 0;
                /* all sequences of the batch go through each op together */
                cs.old = sat_mul(cs.old, B);
                cs.slots = sat_mul(cs.slots, B);
                layer_ops(&q, hp, &L->c[ci], &cs, li, sat_mul(n, B), b, epp,
                          sdpa_q[ci] ? s->kv_bits : 0, s->kv_group_size);
            }
            last_act = q.best_act / B;
            last_held = q.best_held / B;
            if (n == 1)
                decode_seen = 1;
        }
        (void)sh;
        mo.kv = kv;
        mo.growth = sat_add(growth, last_held);
        mo.act = last_act;
        mo.scores = scores;
        mo.chunk = n;
        uint64_t total = sat_add(sat_add(kv, mo.growth), sat_add(mo.act, scores));
        if (total >= *worst_total) {
            *worst_total = total;
            *worst = mo;
        }
        done += n;
        *kv_end = kv;
    }
    *quantized_end = 0;
    for (uint32_t i = 0; i < L->n; i++)
        if (quant[i])
            *quantized_end = 1;
}

/* Elements per weight parameter as MLX's command-buffer budget counts them
 * (array::data_size of the weight buffers): 1 unquantized; quantized: the
 * data bytes per parameter / 4 (uint32 packed words; the 2-byte scales and
 * biases are counted as if 4 bytes: fewer elements, more layers in a
 * command buffer, the upper side). Parameters from the shapes layer_ops()
 * uses, plus the embedding (and lm_head when untied). */
static double elements_per_param(const og_model *m, const layout *L, const og_mlx_weights *w)
{
    if (strcmp(w->quant, w->dtype) == 0)
        return 1.0;
    const og_hparams *hp = &m->hp;
    double E = (double)hp->n_embd, params = (double)hp->n_vocab * E * (hp->tied_embeddings ? 1 : 2);
    for (uint32_t li = 0; li < L->nl; li++) {
        const lclass *c = &L->c[L->cls[li]];
        if (c->kind == LK_STATE) {
            double di = hp->ssm_d_inner ? hp->ssm_d_inner : E;
            double conv = di + 2.0 * (hp->ssm_n_group ? hp->ssm_n_group : 1) * hp->ssm_d_state;
            params += E * (conv + di) + di * E;
        } else {
            double H = c->heads, hk = hp->is_mla ? hp->head_dim_k_mla : c->hk;
            double hv = hp->is_mla ? hp->head_dim_v_mla : c->hv;
            double ckv = hp->is_mla ? 1 : c->heads_kv;
            params += E * H * hk + E * ckv * (c->hk + c->hv) + H * hv * E;
        }
        if (hp->is_moe[li] && hp->n_expert) {
            double fs = hp->n_ff_shexp ? (double)hp->n_ff_shexp
                                       : (double)hp->n_expert_shared * (double)hp->n_ff_exp;
            params +=
                3.0 * E * (double)hp->n_ff_exp * hp->n_expert + 3.0 * E * fs + E * hp->n_expert;
        } else {
            params += 3.0 * E * (double)hp->n_ff[li];
        }
    }
    if (params <= 0)
        return 1.0;
    double epp = (double)w->data_bytes / params / 4.0;
    return epp > 1.0 ? 1.0 : epp;
}

/* The caller's settings, or mlx-lm's defaults for NULL. */
static void settings_or_default(const og_mlx_settings *settings, og_mlx_settings *s)
{
    if (settings)
        *s = *settings;
    else
        og_mlx_settings_default(s);
}

og_status og_mlx_plan(const og_model *m, const og_mlx_settings *settings, og_mlx_plan_result *p,
                      og_error *err)
{
    og_mlx_settings s;
    if (!m || !p)
        return og_error_set(err, OG_ERR_INVALID, "mlx plan: no model or result");
    settings_or_default(settings, &s);
    if (s.ctx == 0)
        s.ctx = 4096;
    if (s.batch == 0)
        s.batch = 1;
    if (s.prefill_step_size == 0)
        s.prefill_step_size = 2048;
    if (s.kv_group_size == 0)
        s.kv_group_size = 64;
    if (s.kv_bits && (s.kv_bits < 2 || s.kv_bits > 8 || s.kv_bits == 7))
        return og_error_set(err, OG_ERR_INVALID,
                            "--kv-bits %u: mlx.core.quantize supports 2, 3, 4, 5, 6 and 8",
                            s.kv_bits);
    if (s.kv_bits && s.kv_group_size != 32 && s.kv_group_size != 64 && s.kv_group_size != 128)
        return og_error_set(err, OG_ERR_INVALID, "--kv-group-size %u: expected 32, 64 or 128",
                            s.kv_group_size);
    if (s.max_kv_size && s.max_kv_size < 8)
        return og_error_set(err, OG_ERR_INVALID, "--max-kv-size %llu: too small (keeps 4 tokens)",
                            (unsigned long long)s.max_kv_size);
    if (s.ctx > (1ull << 40))
        return og_error_set(err, OG_ERR_INVALID, "--ctx %llu: too large",
                            (unsigned long long)s.ctx);

    memset(p, 0, sizeof *p);
    og_mlx_weights w;
    og_status st = og_mlx_weights_compute(m, &s, &w, err);
    if (st != OG_OK)
        return st;
    if ((m->hp.n_layer == 0 && m->hp.n_layer_all == 0) || m->hp.n_embd == 0)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: no layer count or hidden size: cannot plan mlx-lm's caches",
                            m->path ? m->path : "model");
    p->settings = s;
    p->weights_data_bytes = w.data_bytes;
    p->weights_bytes = w.alloc_bytes;
    p->hypothetical = w.hypothetical;
    p->from_hparams = w.from_hparams;
    og_strlcpy(p->quant, w.quant, sizeof p->quant);
    og_strlcpy(p->dtype, w.dtype, sizeof p->dtype);
    p->dtype_bytes = w.dtype_bytes;
    p->largest_buffer_bytes = w.largest_bytes;
    og_strlcpy(p->largest_buffer, w.largest_name, sizeof p->largest_buffer);
    for (uint32_t i = 0; i < w.n_notes; i++)
        add_note(p, "%s", w.notes[i]);

    uint32_t b = w.dtype_bytes;
    layout L;
    build_layout(m, &s, b, &L);
    shape sh;
    build_shape(m, &sh);
    int mla = m->hp.is_mla;
    p->mla = mla;
    p->max_kv_size_ignored = s.max_kv_size && L.ignores_max_kv;
    p->fused_sdpa = 1;
    for (uint32_t i = 0; i < L.n; i++) {
        const lclass *c = &L.c[i];
        p->n_layers += c->count;
        switch (c->kind) {
        case LK_KV:
            p->n_kv_layers += c->count;
            p->kv_per_token_bytes =
                sat_add(p->kv_per_token_bytes, sat_mul(slot_bytes(c, b, 0, 1), c->count));
            break;
        case LK_ROT:
            p->n_rotating_layers += c->count;
            break;
        case LK_CHUNK:
            p->n_chunked_layers += c->count;
            break;
        case LK_STATE:
            p->n_state_layers += c->count;
            break;
        case LK_NONE:
            break;
        }
        if ((c->kind == LK_KV || c->kind == LK_ROT || c->kind == LK_CHUNK) && !c->fused)
            p->fused_sdpa = 0;
    }
    if (p->max_kv_size_ignored)
        add_note(p, "this model defines make_cache(): mlx-lm ignores --max-kv-size "
                    "(mlx_lm/models/cache.py make_prompt_cache)");
    if (s.kv_bits && (p->n_rotating_layers || p->n_chunked_layers))
        add_note(p, "--kv-bits with rotating caches: mlx-lm 0.32.0 raises 'RotatingKVCache "
                    "Quantization NYI' once quantization starts");

    uint64_t kv_end = 0, worst_total = 0;
    moment mo;
    int qend = 0;
    double epp = elements_per_param(m, &L, &w);
    uint64_t qscores = 0;
    simulate(&L, &sh, &m->hp, epp, &s, b, mla, &kv_end, &mo, &worst_total, &qend, &qscores);
    p->kv_quantized = qend;
    uint64_t B = s.batch;
    p->kv_bytes = sat_mul(kv_end, B);
    p->kv_at_peak_bytes = sat_mul(mo.kv, B);
    p->kv_growth_bytes = sat_mul(mo.growth, B);
    p->activation_bytes = sat_mul(mo.act, B);
    p->scores_bytes = sat_mul(mo.scores, B);
    p->peak_chunk_tokens = mo.chunk;
    /* generate.py _step: logits of the last position [B, V] in the model
     * dtype, logsumexp and log-probabilities (float32 where the model casts) */
    p->logits_bytes = sat_mul(sat_mul(sh.V, (uint64_t)b + 4), B);
    p->compute_bytes = sat_add(sat_add(p->activation_bytes, p->scores_bytes),
                               sat_add(p->kv_growth_bytes, p->logits_bytes));
    if (s.prompt_cache_entries) {
        uint64_t pc = sat_mul(kv_end, s.prompt_cache_entries);
        if (s.prompt_cache_bytes && pc > s.prompt_cache_bytes)
            pc = s.prompt_cache_bytes;
        p->prompt_cache_bytes = pc;
    }
    p->total_bytes = sat_add(sat_add(p->weights_bytes, p->kv_bytes), p->prompt_cache_bytes);
    p->peak_bytes = sat_add(sat_add(p->weights_bytes, p->kv_at_peak_bytes),
                            sat_add(p->compute_bytes, p->prompt_cache_bytes));
    if (p->peak_bytes < p->total_bytes)
        p->peak_bytes = p->total_bytes;

    /* The largest single buffer: a weight array, or one layer's K (or V)
     * cache [B, n_kv_heads, slots, head_dim], or unfused scores. */
    if (p->n_kv_layers) {
        uint64_t kb = 0;
        for (uint32_t i = 0; i < L.n; i++) {
            const lclass *c = &L.c[i];
            if (c->kind != LK_KV)
                continue;
            uint64_t slots = round_up(s.ctx, 256);
            uint64_t k = sat_mul(sat_mul(sat_mul(c->heads_kv, c->hk), slots), sat_mul(b, B));
            if (k > kb)
                kb = k;
        }
        if (kb > p->largest_buffer_bytes) {
            p->largest_buffer_bytes = kb;
            og_strlcpy(p->largest_buffer, "KV cache keys of one layer", sizeof p->largest_buffer);
        }
    }
    if (qscores > p->largest_buffer_bytes) {
        p->largest_buffer_bytes = qscores;
        og_strlcpy(p->largest_buffer, "attention scores of one layer (quantized KV cache)",
                   sizeof p->largest_buffer);
    }
    if (mo.scores > p->largest_buffer_bytes && !p->fused_sdpa) {
        p->largest_buffer_bytes = mo.scores;
        og_strlcpy(p->largest_buffer, "attention scores of one layer (unfused SDPA)",
                   sizeof p->largest_buffer);
    }
    return OG_OK;
}

/* ---- Metal limits and verdict ----------------------------------------- */

/* When the snapshot lacks Metal's readings: recommendedMaxWorkingSetSize as
 * observed (existing-tools.md §6: 16 GB -> ~11.5 GB, 32 GB -> 21.8 GB, 64 GB
 * -> ~48 GiB, 128 GB -> ~107 GiB): about 2/3 of RAM up to 36 GB and 3/4
 * above. maxBufferLength: half of RAM on the Macs reported (derived; the
 * probe's reading wins). */
static uint64_t derived_working_set(uint64_t ram)
{
    if (ram <= 36ull << 30)
        return ram / 3 * 2;
    return ram / 4 * 3;
}

static uint64_t peak_for(const og_model *m, const og_mlx_settings *s, int *ok)
{
    og_mlx_plan_result *r = malloc(sizeof *r);
    uint64_t v = UINT64_MAX;
    *ok = 0;
    if (!r)
        return v;
    if (og_mlx_plan(m, s, r, NULL) == OG_OK) {
        v = r->peak_bytes;
        *ok = 1;
    }
    free(r);
    return v;
}

/* A floor under the peak at ctx tokens, from a plan at another context
 * (p): the weights plus the full-attention layers' KV cache, which holds at
 * least ctx slots (cache.py KVCache grows in steps of 256 and never drops a
 * token). Without a quantized cache (--kv-bits shrinks it) and with no
 * rotating or chunked layer counted, the peak is never below it, so a
 * context whose floor is over the budget does not fit without planning it
 * (the search's plans at 1M-10M tokens are its costly ones). 0 = none. */
static uint64_t peak_floor(const og_mlx_plan_result *p, const og_mlx_settings *s, uint64_t ctx)
{
    if (!p || s->kv_bits || og_plan_exact_search)
        return 0;
    return sat_add(p->weights_bytes, sat_mul(p->kv_per_token_bytes, ctx));
}

/* Does the plan at s->ctx fit the budget (floor first)? */
static int ctx_fits(const og_model *m, const og_mlx_settings *s, uint64_t budget,
                    const og_mlx_plan_result *small)
{
    if (small && peak_floor(small, s, s->ctx) > budget)
        return 0;
    int ok;
    return peak_for(m, s, &ok) <= budget && ok;
}

uint64_t og_mlx_max_ctx(const og_model *m, const og_mlx_settings *settings, uint64_t budget)
{
    og_mlx_settings s;
    settings_or_default(settings, &s);
    uint64_t hi = m->hp.n_ctx_train ? m->hp.n_ctx_train : (1ull << 20);
    uint64_t lo = 0;
    int ok;
    s.prompt_tokens = 0;
    /* the plan at the smallest step first: its weights and KV per token
     * bound the larger plans from below (peak_floor) */
    og_mlx_plan_result *small = malloc(sizeof *small);
    s.ctx = 256 < hi ? 256 : hi;
    int small_fits = 0;
    if (small && og_mlx_plan(m, &s, small, NULL) == OG_OK) {
        small_fits = small->peak_bytes <= budget;
    } else {
        free(small);
        small = NULL;
        small_fits = peak_for(m, &s, &ok) <= budget && ok;
    }
    s.ctx = hi;
    if (ctx_fits(m, &s, budget, small)) {
        free(small);
        return hi;
    }
    /* nothing fits when the smallest step does not (the search below would
     * end at 0 after a dozen plans): one plan for the models and builds the
     * overview rules out */
    if (!small_fits) {
        free(small);
        return 0;
    }
    /* binary search on 256-token granularity */
    uint64_t a = 0, z = hi / 256;
    while (a < z) {
        uint64_t mid = a + (z - a + 1) / 2;
        s.ctx = mid * 256;
        if (ctx_fits(m, &s, budget, small))
            a = mid;
        else
            z = mid - 1;
    }
    free(small);
    lo = a * 256;
    return lo;
}

/* og_mlx_max_ctx returns the top (trained context) when it fits, else a
 * multiple of 256 below it that fits (0 = none): >= c when c rounded up to
 * that grid fits, or, past the last grid point, when the top fits
 * (src/plan_internal.h). The peak grows with the context except for a saw
 * tooth at a fine grain (a short last prefill chunk lets more layers' KV
 * buffers wait in one command buffer), so this is "does a c-token prompt
 * fit", which is what the pick asks; tests/test_pick_fast.c checks that it
 * agrees with the search over the catalog and several presets. */
int og_mlx_max_ctx_at_least(const og_model *m, const og_mlx_settings *settings, uint64_t budget,
                            uint64_t c)
{
    if (c == 0)
        return 1;
    og_mlx_settings s;
    settings_or_default(settings, &s);
    uint64_t hi = m->hp.n_ctx_train ? m->hp.n_ctx_train : (1ull << 20);
    if (c > hi)
        return 0;
    uint64_t need = (c + 255) / 256 * 256;
    s.prompt_tokens = 0;
    s.ctx = need <= hi / 256 * 256 ? need : hi;
    int ok;
    return peak_for(m, &s, &ok) <= budget && ok;
}

og_status og_mlx_judge(const og_model *m, og_mlx_plan_result *p, const og_machine *mach,
                       const og_budget *b, og_error *err)
{
    if (!m || !p)
        return og_error_set(err, OG_ERR_INVALID, "mlx judge: no model or plan");
    char g1[32], g2[32];
    if (mach) {
        p->working_set_bytes = mach->metal_recommended_working_set_bytes;
        p->max_buffer_bytes = mach->metal_max_buffer_bytes;
        if (!p->working_set_bytes && mach->ram_bytes) {
            p->working_set_bytes = derived_working_set(mach->ram_bytes);
            add_note(p, "recommended working set derived from RAM (%s), not read from Metal",
                     og_format_gb(p->working_set_bytes, g1, sizeof g1));
        }
        if (!p->max_buffer_bytes && mach->ram_bytes) {
            p->max_buffer_bytes = mach->ram_bytes / 2;
            add_note(p, "maxBufferLength derived as half of RAM (%s), not read from Metal",
                     og_format_gb(p->max_buffer_bytes, g1, sizeof g1));
        }
    }
    p->buffer_too_large = p->max_buffer_bytes && p->largest_buffer_bytes > p->max_buffer_bytes;
    /* mlx_lm/generate.py wired_limit: warns when the model's arrays exceed
     * 0.9 x max_recommended_working_set_size */
    p->weights_warning =
        p->working_set_bytes && (double)p->weights_bytes > 0.9 * (double)p->working_set_bytes;
    if (p->buffer_too_large)
        add_advice(p,
                   "%s is %s, over Metal's maxBufferLength (%s): MLX cannot allocate it on this "
                   "Mac ([metal::malloc] Attempting to allocate ...)",
                   p->largest_buffer, og_format_gb(p->largest_buffer_bytes, g1, sizeof g1),
                   og_format_gb(p->max_buffer_bytes, g2, sizeof g2));

    if (!b || !b->gpu_bytes) {
        p->verdict = p->buffer_too_large ? OG_MLX_NO_FIT : OG_MLX_UNKNOWN;
        return OG_OK;
    }
    p->budget_bytes = b->gpu_bytes;
    int fits = p->peak_bytes <= b->gpu_bytes && !p->buffer_too_large;
    if (!fits)
        p->verdict = OG_MLX_NO_FIT;
    else if (p->weights_warning || (p->working_set_bytes && p->peak_bytes > p->working_set_bytes))
        p->verdict = OG_MLX_TIGHT;
    else
        p->verdict = OG_MLX_FITS;
    p->max_ctx = og_mlx_max_ctx(m, &p->settings, b->gpu_bytes);

    if (p->hypothetical)
        add_advice(p, "the %s build of this model needs %s at %llu tokens and %s", p->quant,
                   og_format_gb(p->peak_bytes, g1, sizeof g1), (unsigned long long)p->settings.ctx,
                   fits ? "would fit" : "would not fit");
    if (p->weights_warning)
        add_advice(p,
                   "the weights pass 0.9 x the recommended working set (%s): mlx-lm warns and "
                   "may be slow; raise it with sudo sysctl iogpu.wired_limit_mb=N",
                   og_format_gb(p->working_set_bytes, g1, sizeof g1));
    if (fits)
        return OG_OK;

    uint64_t base_weights = p->weights_bytes;
    if (base_weights > b->gpu_bytes) {
        add_advice(p, "the weights alone (%s) exceed the budget (%s): use a smaller quantization",
                   og_format_gb(base_weights, g1, sizeof g1),
                   og_format_gb(b->gpu_bytes, g2, sizeof g2));
        if (!p->hypothetical || p->settings.q_bits > 3) {
            og_mlx_settings t = p->settings;
            t.q_bits = p->hypothetical && p->settings.q_bits ? p->settings.q_bits - 1 : 3;
            if (t.q_bits == 7)
                t.q_bits = 6;
            og_strlcpy(t.q_mode, "affine", sizeof t.q_mode);
            int stored_mlx = m->format == OG_FORMAT_MLX || (m->format == OG_FORMAT_CATALOG &&
                                                            !strncmp(m->quant_label, "mlx-", 4));
            if (!stored_mlx || !m->mlx.quantized) {
                int ok;
                uint64_t pk = peak_for(m, &t, &ok);
                if (ok)
                    add_advice(p, "the %u-bit build would need %s (%s)", t.q_bits,
                               og_format_gb(pk, g1, sizeof g1),
                               pk <= b->gpu_bytes ? "fits" : "does not fit");
            }
        }
        return OG_OK;
    }
    if (p->max_ctx)
        add_advice(p, "fits up to --ctx %llu with these settings", (unsigned long long)p->max_ctx);
    og_mlx_settings t = p->settings;
    int ok;
    if (!p->settings.kv_bits && p->n_kv_layers && !p->n_rotating_layers) {
        t.kv_bits = 8;
        t.quantized_kv_start = 0;
        uint64_t pk = peak_for(m, &t, &ok);
        if (ok && pk <= b->gpu_bytes)
            add_advice(p, "use --kv-bits 8 --quantized-kv-start 0 (peak %s)",
                       og_format_gb(pk, g1, sizeof g1));
        t = p->settings;
    }
    if (!p->max_kv_size_ignored && !p->settings.max_kv_size && !m->hp.n_swa &&
        !arch_has_make_cache(m->hp.arch)) {
        for (uint64_t mk = 1ull << 20; mk >= 1024; mk /= 2) {
            if (mk >= t.ctx)
                continue;
            t.max_kv_size = mk;
            uint64_t pk = peak_for(m, &t, &ok);
            if (ok && pk <= b->gpu_bytes) {
                add_advice(p,
                           "use --max-kv-size %llu (keeps the first 4 and the last %llu "
                           "tokens; peak %s)",
                           (unsigned long long)mk, (unsigned long long)mk,
                           og_format_gb(pk, g1, sizeof g1));
                break;
            }
        }
        t = p->settings;
    }
    if (p->settings.prefill_step_size > 512) {
        t.prefill_step_size = 512;
        uint64_t pk = peak_for(m, &t, &ok);
        if (ok && pk <= b->gpu_bytes)
            add_advice(p, "use --prefill-step-size 512 (peak %s)", og_format_gb(pk, g1, sizeof g1));
    }
    return OG_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int fail;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->fail)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->fail = 1;
            return;
        }
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = b->cap * 2 + (size_t)k;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->fail = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
}

static void sb_str(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            sb_printf(b, "\\u%04x", ch);
        else
            sb_printf(b, "%c", ch);
    }
    sb_printf(b, "\"");
}

char *og_mlx_plan_to_json(const og_mlx_plan_result *p)
{
    sbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.s)
        return NULL;
    b.s[0] = '\0';
    const og_mlx_settings *s = &p->settings;
#define U(x) ((unsigned long long)(x))
    sb_printf(&b,
              "{\"engine\":\"mlx\",\"settings\":{\"ctx\":%llu,\"prompt_tokens\":%llu,"
              "\"max_kv_size\":%llu,\"kv_bits\":%u,\"kv_group_size\":%u,"
              "\"quantized_kv_start\":%llu,\"prefill_step_size\":%u,\"batch\":%u,"
              "\"q_bits\":%u,\"q_group_size\":%u,\"q_mode\":",
              U(s->ctx), U(s->prompt_tokens), U(s->max_kv_size), s->kv_bits, s->kv_group_size,
              U(s->quantized_kv_start), s->prefill_step_size, s->batch, s->q_bits, s->q_group_size);
    sb_str(&b, s->q_mode);
    sb_printf(&b, ",\"q_recipe\":");
    sb_str(&b, s->q_recipe);
    sb_printf(&b,
              "},\"memory\":{\"weights_bytes\":%llu,\"kv_bytes\":%llu,\"compute_bytes\":%llu,"
              "\"total_bytes\":%llu,\"peak_bytes\":%llu,\"weights_data_bytes\":%llu,"
              "\"prompt_cache_bytes\":%llu,\"kv_at_peak_bytes\":%llu,"
              "\"kv_growth_bytes\":%llu,\"activation_bytes\":%llu,\"scores_bytes\":%llu,"
              "\"logits_bytes\":%llu,\"kv_per_token_bytes\":%llu},",
              U(p->weights_bytes), U(p->kv_bytes), U(p->compute_bytes), U(p->total_bytes),
              U(p->peak_bytes), U(p->weights_data_bytes), U(p->prompt_cache_bytes),
              U(p->kv_at_peak_bytes), U(p->kv_growth_bytes), U(p->activation_bytes),
              U(p->scores_bytes), U(p->logits_bytes), U(p->kv_per_token_bytes));
    sb_printf(&b, "\"weights\":{\"quant\":");
    sb_str(&b, p->quant);
    sb_printf(&b, ",\"dtype\":");
    sb_str(&b, p->dtype);
    sb_printf(&b, ",\"hypothetical\":%s,\"from_hparams\":%s},", p->hypothetical ? "true" : "false",
              p->from_hparams ? "true" : "false");
    sb_printf(&b,
              "\"caches\":{\"layers\":%u,\"kv\":%u,\"rotating\":%u,\"chunked\":%u,"
              "\"state\":%u,\"mla\":%s,\"max_kv_size_ignored\":%s,\"kv_quantized\":%s,"
              "\"fused_sdpa\":%s},",
              p->n_layers, p->n_kv_layers, p->n_rotating_layers, p->n_chunked_layers,
              p->n_state_layers, p->mla ? "true" : "false",
              p->max_kv_size_ignored ? "true" : "false", p->kv_quantized ? "true" : "false",
              p->fused_sdpa ? "true" : "false");
    sb_printf(&b, "\"limits\":{\"largest_buffer_bytes\":%llu,\"largest_buffer\":",
              U(p->largest_buffer_bytes));
    sb_str(&b, p->largest_buffer);
    sb_printf(&b,
              ",\"max_buffer_bytes\":%llu,\"working_set_bytes\":%llu,"
              "\"buffer_too_large\":%s,\"weights_warning\":%s},",
              U(p->max_buffer_bytes), U(p->working_set_bytes),
              p->buffer_too_large ? "true" : "false", p->weights_warning ? "true" : "false");
    sb_printf(&b, "\"verdict\":");
    sb_str(&b, og_mlx_verdict_name(p->verdict));
    sb_printf(&b, ",\"budget_bytes\":%llu,\"max_ctx\":%llu,\"advice\":[", U(p->budget_bytes),
              U(p->max_ctx));
    for (uint32_t i = 0; i < p->n_advice; i++) {
        if (i)
            sb_printf(&b, ",");
        sb_str(&b, p->advice[i]);
    }
    sb_printf(&b, "],\"notes\":[");
    for (uint32_t i = 0; i < p->n_notes; i++) {
        if (i)
            sb_printf(&b, ",");
        sb_str(&b, p->notes[i]);
    }
    sb_printf(&b, "]}");
#undef U
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
