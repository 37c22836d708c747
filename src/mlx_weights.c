/* MLX weights: exact bytes of an MLX folder, or what `mlx_lm.convert -q`
 * would write for an unquantized model (from its tensors, or from its
 * hyper-parameters when only config.json is known).
 *
 * Sources (mlx-lm 0.32.0 d78bf58, MLX 0.32.2 846d176):
 *   mlx/ops.cpp affine_quantize / fp_quantize      packed shapes and dtypes
 *   mlx/ops.cpp quantization_params_from_mode       mode defaults
 *   mlx_lm/utils.py quantize_model                  which modules are quantized
 *   mlx_lm/convert.py mixed_quant_predicate_builder mixed_* recipes
 *   mlx_lm/models/<arch>.py quant_predicate         MoE routers at 8 bits
 *   mlx/backend/metal/allocator.cpp MetalAllocator::malloc   page rounding
 */
#include "mlx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "og_internal.h"

uint64_t og_mlx_page_round(uint64_t bytes)
{
    /* mlx/backend/metal/allocator.cpp: sizes above vm_page_size are rounded
     * up to whole pages; smaller buffers come from a heap unrounded. */
    if (bytes <= OG_MLX_PAGE)
        return bytes;
    uint64_t pages = bytes / OG_MLX_PAGE + (bytes % OG_MLX_PAGE != 0);
    uint64_t r;
    return og_mul_u64(pages, OG_MLX_PAGE, &r) ? r : UINT64_MAX;
}

static int mode_is(const char *mode, const char *name)
{
    return mode && og_strcasecmp(mode, name) == 0;
}

/* mlx/ops.cpp quantization_params_from_mode (and mlx_lm/utils.py
 * quantize_model defaults_for_mode): affine (64, 4), mxfp4 (32, 4),
 * nvfp4 (16, 4), mxfp8 (32, 8). Returns 0 for an unknown mode. */
static int mode_defaults(const char *mode, uint32_t *group, uint32_t *bits)
{
    if (!mode || !*mode || mode_is(mode, "affine")) {
        *group = 64;
        *bits = 4;
    } else if (mode_is(mode, "mxfp4")) {
        *group = 32;
        *bits = 4;
    } else if (mode_is(mode, "nvfp4")) {
        *group = 16;
        *bits = 4;
    } else if (mode_is(mode, "mxfp8")) {
        *group = 32;
        *bits = 8;
    } else {
        return 0;
    }
    return 1;
}

int og_mlx_quant_valid(uint32_t bits, uint32_t group, const char *mode)
{
    uint32_t g, b;
    if (!mode_defaults(mode, &g, &b))
        return 0;
    if (!mode || !*mode || mode_is(mode, "affine")) {
        /* mlx/ops.cpp affine_quantize: bits 2..8 except 7; group 32/64/128 */
        if (bits < 2 || bits > 8 || bits == 7)
            return 0;
        return group == 32 || group == 64 || group == 128;
    }
    /* fp_quantize: mxfp8 8 bits, mxfp4/nvfp4 4 bits, group fixed by mode */
    return bits == b && group == g;
}

double og_mlx_bits_per_weight(uint32_t bits, uint32_t group, const char *mode)
{
    if (!og_mlx_quant_valid(bits, group, mode))
        return 0.0;
    if (!mode || !*mode || mode_is(mode, "affine")) /* scale + bias, 16-bit each */
        return (double)bits + 32.0 / (double)group;
    return (double)bits + 8.0 / (double)group; /* one 8-bit scale per group */
}

/* ---- accumulation ------------------------------------------------------ */

typedef struct acc {
    og_mlx_weights *w;
    int overflow;
} acc;

static void add_array(acc *a, const char *name, uint64_t bytes)
{
    og_mlx_weights *w = a->w;
    if (!og_add_u64(w->data_bytes, bytes, &w->data_bytes) ||
        !og_add_u64(w->alloc_bytes, og_mlx_page_round(bytes), &w->alloc_bytes))
        a->overflow = 1;
    if (bytes > w->largest_bytes) {
        w->largest_bytes = bytes;
        og_strlcpy(w->largest_name, name, sizeof w->largest_name);
    }
}

/* ---- conversion rules --------------------------------------------------- */

typedef struct qspec {
    int quantize;
    uint32_t bits, group;
    int fp; /* 1 = mxfp4/nvfp4/mxfp8: uint8 scales, no biases */
} qspec;

typedef struct conv {
    uint32_t bits, group;
    int fp;
    int recipe; /* 0 none, else low/high bits below */
    uint32_t low, high;
    uint32_t n_layers; /* len(model.layers) */
    int router_rule;   /* 0 default, 1 8-bit g64, 2 not a Linear (kept) */
    uint32_t dtype_bytes;
} conv;

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Layer index in a module path ("model.layers.12.mlp" -> 12), -1 if none. */
static long layer_index(const char *path)
{
    const char *p = strstr(path, "layers.");
    if (!p)
        return -1;
    p += 7;
    if (*p < '0' || *p > '9')
        return -1;
    long v = 0;
    while (*p >= '0' && *p <= '9' && v < 1000000)
        v = v * 10 + (*p++ - '0');
    return v;
}

static int is_router(const char *path)
{
    /* Router paths named by the quant_predicate of mlx_lm/models/
     * qwen3_moe.py, qwen3_next.py, qwen3_5.py ("mlp.gate", "shared_expert_gate"),
     * gpt_oss.py / jamba.py ("router"), gemma4_text.py ("router.proj"),
     * granitemoe*.py ("router.layer"), minimax.py ("block_sparse_moe.gate"),
     * lfm2_moe.py ("feed_forward.gate"), bailing_moe*.py ("mlp.gate.gate_proj"). */
    static const char *const names[] = {"mlp.gate",
                                        "shared_expert_gate",
                                        "router",
                                        "router.proj",
                                        "router.layer",
                                        "router.gate",
                                        "block_sparse_moe.gate",
                                        "feed_forward.gate",
                                        "mlp.gate.gate_proj"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ends_with(path, names[i]))
            return 1;
    return 0;
}

/* Router handling per architecture (llama.cpp arch names). 1: the model's
 * quant_predicate asks for {group 64, bits 8} (qwen3_moe.py, qwen3_next.py,
 * qwen3_5.py, gpt_oss.py, jamba.py, gemma4_text.py, granitemoe.py,
 * granitemoehybrid.py, minimax.py, lfm2_moe.py, kimi_linear.py,
 * bailing_moe.py, afmoe.py); 2: the router is a plain parameter, not an
 * nn.Linear, so it stays in the model dtype (deepseek_v2.py / deepseek_v3.py /
 * glm4_moe.py MoEGate, dots1.py Dots1TopkRouter); 0: quantized like any Linear
 * (mixtral via llama, qwen2_moe.py, olmoe.py, phimoe.py, llama4.py). */
static int router_rule_for(const char *arch)
{
    static const char *const q8[] = {"qwen3moe",      "qwen3next",   "qwen35",  "qwen35moe",
                                     "gpt-oss",       "jamba",       "gemma4",  "granitemoe",
                                     "granitehybrid", "minimax-m2",  "lfm2moe", "kimi-linear",
                                     "bailingmoe",    "bailingmoe2", "afmoe"};
    static const char *const keep[] = {"deepseek2", "deepseek",   "glm4moe",     "dots1",
                                       "kimi-k2",   "deepseek32", "glm4moe-lite"};
    for (size_t i = 0; i < sizeof q8 / sizeof q8[0]; i++)
        if (strcmp(arch, q8[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strcmp(arch, keep[i]) == 0)
            return 2;
    return 0;
}

/* The decision mlx_lm/utils.py quantize_model makes for one module:
 * wrapped_predicate (has to_quantized, weight.shape[-1] % group_size == 0),
 * then the recipe (mlx_lm/convert.py mixed_quant_predicate) or the model's
 * own quant_predicate. */
static qspec decide(const conv *c, const char *path, uint64_t in_dim, int linear)
{
    qspec q = {0, 0, 0, 0};
    if (!linear || c->bits == 0)
        return q;
    if (is_router(path) && c->router_rule == 2 && !c->recipe)
        return q;
    if (in_dim == 0 || in_dim % c->group != 0)
        return q;
    q.quantize = 1;
    q.bits = c->bits;
    q.group = c->group;
    q.fp = c->fp;
    if (c->recipe) {
        /* mixed_quant_predicate: high bits for v_proj / down_proj on the
         * first and last eighth and every third layer between, and lm_head */
        long idx = layer_index(path);
        if (idx < 0)
            idx = 0;
        long n = (long)c->n_layers;
        int more = idx < n / 8 || idx >= 7 * n / 8 || (idx - n / 8) % 3 == 2;
        int hi = (more && (strstr(path, "v_proj") || strstr(path, "v_a_proj") ||
                           strstr(path, "v_b_proj") || strstr(path, "down_proj"))) ||
                 strstr(path, "lm_head") != NULL;
        q.bits = hi ? c->high : c->low;
        q.fp = 0;
        if (in_dim % q.group != 0)
            q.quantize = 0;
        return q;
    }
    if (c->router_rule == 1 && is_router(path)) {
        q.bits = 8;
        q.group = 64;
        q.fp = 0;
        if (in_dim % 64 != 0)
            q.quantize = 0;
    }
    return q;
}

/* Bytes of one module's arrays (rows = every dim but the last, stacked
 * experts included). mlx/ops.cpp affine_quantize: weight uint32
 * [rows, in*bits/32], scales and biases [rows, in/group] in the float dtype;
 * fp_quantize: weight uint32 [rows, in*bits/32], scales uint8 [rows, in/group]. */
static int module_bytes(const qspec *q, uint64_t rows, uint64_t in, uint32_t dtype_bytes,
                        uint64_t *wbytes, uint64_t *sbytes, uint64_t *bbytes)
{
    uint64_t t;
    *sbytes = *bbytes = 0;
    if (!q->quantize) {
        return og_mul_u64(rows, in, &t) && og_mul_u64(t, dtype_bytes, wbytes);
    }
    uint64_t words = in * q->bits / 32; /* in is a multiple of group >= 16 */
    if (!og_mul_u64(rows, words, &t) || !og_mul_u64(t, 4, wbytes))
        return 0;
    uint64_t groups = in / q->group;
    if (!og_mul_u64(rows, groups, &t))
        return 0;
    if (q->fp) {
        *sbytes = t;
        return 1;
    }
    return og_mul_u64(t, dtype_bytes, sbytes) && og_mul_u64(t, dtype_bytes, bbytes);
}

static void add_module(acc *a, const conv *c, const char *path, uint64_t rows, uint64_t in,
                       int linear, uint32_t n_stack)
{
    (void)n_stack;
    qspec q = decide(c, path, in, linear);
    uint64_t wb, sb, bb;
    if (!module_bytes(&q, rows, in, c->dtype_bytes, &wb, &sb, &bb)) {
        a->overflow = 1;
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "%s.weight", path);
    add_array(a, name, wb);
    if (sb) {
        snprintf(name, sizeof name, "%s.scales", path);
        add_array(a, name, sb);
    }
    if (bb) {
        snprintf(name, sizeof name, "%s.biases", path);
        add_array(a, name, bb);
    }
}

/* ---- dtype --------------------------------------------------------------- */

static uint32_t dtype_size_name(const char *name, char out[8])
{
    if (!name || !*name)
        return 0;
    if (!og_strcasecmp(name, "bfloat16") || !og_strcasecmp(name, "BF16")) {
        og_strlcpy(out, "bf16", 8);
        return 2;
    }
    if (!og_strcasecmp(name, "float16") || !og_strcasecmp(name, "F16") ||
        !og_strcasecmp(name, "half")) {
        og_strlcpy(out, "f16", 8);
        return 2;
    }
    if (!og_strcasecmp(name, "float32") || !og_strcasecmp(name, "F32") ||
        !og_strcasecmp(name, "float")) {
        og_strlcpy(out, "f32", 8);
        return 4;
    }
    return 0;
}

/* The model's float dtype: config torch_dtype, else the dtype of the most
 * float tensor bytes (MLX folders: the scales' dtype), else bf16. */
static void model_dtype(const og_model *m, og_mlx_weights *w)
{
    w->dtype_bytes = dtype_size_name(m->dtype, w->dtype);
    if (w->dtype_bytes)
        return;
    uint64_t best = 0;
    for (size_t i = 0; i < m->n_types; i++) {
        char d[8];
        uint32_t sz = dtype_size_name(m->by_type[i].type_name, d);
        if (sz && m->by_type[i].bytes > best) {
            best = m->by_type[i].bytes;
            w->dtype_bytes = sz;
            memcpy(w->dtype, d, sizeof d);
        }
    }
    if (!w->dtype_bytes) {
        for (size_t i = 0; i < m->n_tensors; i++) {
            char d[8];
            uint32_t sz = dtype_size_name(m->tensors[i].type_name, d);
            if (sz) {
                w->dtype_bytes = sz;
                memcpy(w->dtype, d, sizeof d);
                if (strstr(m->tensors[i].name, "scales"))
                    break;
            }
        }
    }
    if (!w->dtype_bytes) {
        w->dtype_bytes = 2;
        og_strlcpy(w->dtype, "bf16", sizeof w->dtype);
    }
}

/* ---- tensors ------------------------------------------------------------- */

/* Tensors mlx-lm drops when it loads a text model: vision / audio towers
 * (sanitize() of mistral3.py, gemma3.py, qwen3_vl.py, llama4.py, gemma4.py),
 * multi-token-prediction layers (deepseek_v3.py, qwen3_next.py sanitize),
 * rotary caches and FP8 scale tensors folded into the weights (deepseek_v3.py
 * sanitize dequantizes weight_scale_inv). */
static int dropped(const og_model *m, const char *name)
{
    static const char *const drop[] = {"vision_tower",
                                       "vision_model",
                                       "visual.",
                                       "multi_modal_projector",
                                       "mm_projector",
                                       "audio_tower",
                                       "audio_model",
                                       "embed_vision",
                                       "embed_audio",
                                       "mtp.",
                                       "rotary_emb.inv_freq",
                                       "weight_scale_inv",
                                       ".weight_scale",
                                       ".input_scale"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if (strstr(name, drop[i]))
            return 1;
    if (m->hp.n_nextn > 0 && m->hp.n_layer > 0) {
        long idx = layer_index(name);
        if (idx >= (long)m->hp.n_layer)
            return 1;
    }
    if (m->hp.tied_embeddings && strcmp(name, "lm_head.weight") == 0)
        return 1;
    return 0;
}

static int is_float_type(const char *t)
{
    return t &&
           (!og_strcasecmp(t, "BF16") || !og_strcasecmp(t, "F16") || !og_strcasecmp(t, "F32") ||
            !og_strcasecmp(t, "F64") || ((t[0] == 'F' || t[0] == 'f') && t[1] == '8'));
}

/* A weight that mlx-lm builds as nn.Linear / nn.Embedding / SwitchLinear
 * (has to_quantized): 2-D or stacked 3-D ".weight", not a norm or conv. */
static int linear_like(const og_tensor *t)
{
    if (!ends_with(t->name, ".weight") || t->n_dims < 2 || t->n_dims > 3)
        return 0;
    if (strstr(t->name, "norm") || strstr(t->name, "conv") || strstr(t->name, ".ln") ||
        strstr(t->name, "ln_"))
        return 0;
    return 1;
}

/* Experts stored one tensor per expert (Hugging Face layout) are stacked by
 * mlx-lm sanitize() into one SwitchLinear array per projection; group them
 * so the buffer (and the largest-buffer check) is the stacked one. */
typedef struct group {
    char key[160];
    uint64_t rows, in;
    int linear;
} group;

static void expert_key(const char *name, char *key, size_t n, int *is_expert)
{
    const char *p = strstr(name, ".experts.");
    *is_expert = 0;
    if (p && p[9] >= '0' && p[9] <= '9') {
        const char *q = p + 9;
        while (*q >= '0' && *q <= '9')
            q++;
        size_t head = (size_t)(p - name) + 9;
        snprintf(key, n, "%.*s*%s", (int)head, name, q);
        *is_expert = 1;
        return;
    }
    og_strlcpy(key, name, n);
}

static og_status from_tensors(const og_model *m, const conv *c, og_mlx_weights *w, og_error *err)
{
    acc a = {w, 0};
    group *groups = NULL;
    size_t n_groups = 0, cap = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const og_tensor *t = &m->tensors[i];
        if (!t->name || dropped(m, t->name))
            continue;
        int lin = linear_like(t);
        int fl = is_float_type(t->type_name);
        if (!fl) { /* integer tensors (already-packed, ids): kept as stored */
            add_array(&a, t->name, t->bytes);
            continue;
        }
        uint64_t in = t->n_dims ? t->dims[t->n_dims - 1] : 1;
        uint64_t rows = in ? t->n_elements / in : 0;
        if (!lin) {
            uint64_t b;
            if (!og_mul_u64(t->n_elements, c->dtype_bytes, &b)) {
                a.overflow = 1;
                break;
            }
            add_array(&a, t->name, b);
            continue;
        }
        char key[160];
        int is_exp;
        expert_key(t->name, key, sizeof key, &is_exp);
        if (!is_exp) {
            char path[160];
            og_strlcpy(path, t->name, sizeof path);
            path[strlen(path) - 7] = '\0'; /* drop ".weight" */
            add_module(&a, c, path, rows, in, 1, 1);
            continue;
        }
        size_t g = n_groups;
        if (n_groups && strcmp(groups[n_groups - 1].key, key) == 0)
            g = n_groups - 1;
        else
            for (size_t j = 0; j < n_groups; j++)
                if (strcmp(groups[j].key, key) == 0) {
                    g = j;
                    break;
                }
        if (g == n_groups) {
            if (n_groups == cap) {
                size_t nc = cap ? cap * 2 : 64;
                group *ng = realloc(groups, nc * sizeof *ng);
                if (!ng) {
                    free(groups);
                    return og_error_set(err, OG_ERR_NOMEM, "mlx weights: out of memory");
                }
                groups = ng;
                cap = nc;
            }
            memset(&groups[n_groups], 0, sizeof groups[0]);
            og_strlcpy(groups[n_groups].key, key, sizeof groups[0].key);
            groups[n_groups].in = in;
            n_groups++;
        }
        if (groups[g].in != in) { /* unequal experts: count this one alone */
            char path[160];
            og_strlcpy(path, t->name, sizeof path);
            path[strlen(path) - 7] = '\0';
            add_module(&a, c, path, rows, in, 1, 1);
            continue;
        }
        if (!og_add_u64(groups[g].rows, rows, &groups[g].rows))
            a.overflow = 1;
    }
    for (size_t j = 0; j < n_groups && !a.overflow; j++) {
        char path[160];
        og_strlcpy(path, groups[j].key, sizeof path);
        size_t len = strlen(path);
        if (len > 7)
            path[len - 7] = '\0';
        add_module(&a, c, path, groups[j].rows, groups[j].in, 1, 1);
    }
    free(groups);
    if (a.overflow)
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor sizes overflow",
                            m->path ? m->path : "model");
    return OG_OK;
}

/* ---- hyper-parameters -------------------------------------------------- */

static int two_matrix_ffn(const char *arch)
{
    static const char *const a[] = {"gpt2",    "phi2",  "starcoder", "starcoder2", "falcon",
                                    "gptneox", "bloom", "mpt",       "gptj",       "bert"};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        if (strcmp(arch, a[i]) == 0)
            return 1;
    return 0;
}

static void lin(acc *a, const conv *c, const char *sub, long il, uint64_t out, uint64_t in)
{
    char path[128];
    snprintf(path, sizeof path, "model.layers.%ld.%s", il, sub);
    uint64_t rows = out;
    add_module(a, c, path, rows, in, 1, 1);
}

static void stacked(acc *a, const conv *c, const char *sub, long il, uint64_t n, uint64_t out,
                    uint64_t in)
{
    char path[128];
    uint64_t rows;
    snprintf(path, sizeof path, "model.layers.%ld.%s", il, sub);
    if (!og_mul_u64(n, out, &rows)) {
        a->overflow = 1;
        return;
    }
    add_module(a, c, path, rows, in, 1, 1);
}

static void vec(acc *a, const conv *c, const char *sub, long il, uint64_t n)
{
    char path[128];
    if (il < 0)
        snprintf(path, sizeof path, "%s", sub);
    else
        snprintf(path, sizeof path, "model.layers.%ld.%s", il, sub);
    add_module(a, c, path, 1, n, 0, 1);
}

/* Module shapes of the mlx-lm model built from hyper-parameters: the shapes
 * of mlx_lm/models/llama.py (attention q/k/v/o, SwiGLU MLP), deepseek_v3.py
 * (MLA, MoE with shared experts), qwen3_moe.py / switch_layers.py (stacked
 * experts), and the recurrent layers of mamba2.py / qwen3_next.py / lfm2.py
 * approximately (docs/MLX.md says which are approximations). */
static og_status from_hparams(const og_model *m, const conv *c, og_mlx_weights *w, og_error *err)
{
    const og_hparams *hp = &m->hp;
    acc a = {w, 0};
    uint64_t E = hp->n_embd, V = hp->n_vocab;
    if (E == 0 || V == 0 || hp->n_layer == 0)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: no tensors and no shape (n_embd, n_vocab, layers) to derive the "
                            "MLX weights from",
                            m->path ? m->path : "model");
    add_module(&a, c, "model.embed_tokens", V, E, 1, 1);
    if (!hp->tied_embeddings)
        add_module(&a, c, "lm_head", V, E, 1, 1);
    vec(&a, c, "model.norm", -1, E);
    int gpt2ffn = two_matrix_ffn(hp->arch);
    for (uint32_t i = 0; i < hp->n_layer && i < OG_MAX_LAYERS; i++) {
        long il = (long)i;
        uint64_t H = hp->n_head[i] ? hp->n_head[i] : hp->n_head[0];
        uint64_t Hkv = hp->n_head_kv[i] ? hp->n_head_kv[i] : H;
        vec(&a, c, "input_layernorm", il, E);
        vec(&a, c, "post_attention_layernorm", il, E);
        if (hp->is_recurrent[i]) {
            if (hp->shortconv_l_cache) { /* lfm2.py ShortConv: in_proj 3E, out_proj E */
                lin(&a, c, "conv.in_proj", il, 3 * E, E);
                lin(&a, c, "conv.out_proj", il, E, E);
            } else if (hp->wkv_head_size) { /* rwkv7.py: r, k, v, o projections */
                lin(&a, c, "attention.r_proj", il, E, E);
                lin(&a, c, "attention.k_proj", il, E, E);
                lin(&a, c, "attention.v_proj", il, E, E);
                lin(&a, c, "attention.o_proj", il, E, E);
            } else { /* mamba2.py / qwen3_next.py: in_proj (x, z, B, C, dt), out_proj */
                uint64_t di = hp->ssm_d_inner, ds = hp->ssm_d_state;
                uint64_t ng = hp->ssm_n_group ? hp->ssm_n_group : 1;
                uint64_t nh = hp->ssm_dt_rank ? hp->ssm_dt_rank : 1;
                lin(&a, c, "linear_attn.in_proj", il, 2 * di + 2 * ng * ds + nh, E);
                lin(&a, c, "linear_attn.out_proj", il, E, di);
            }
        } else if (hp->is_mla) {
            uint64_t hk = hp->head_dim_k_mla, hv = hp->head_dim_v_mla;
            uint64_t nope = hk > hp->n_rot ? hk - hp->n_rot : hk;
            if (hp->q_lora_rank) {
                lin(&a, c, "self_attn.q_a_proj", il, hp->q_lora_rank, E);
                vec(&a, c, "self_attn.q_a_layernorm", il, hp->q_lora_rank);
                lin(&a, c, "self_attn.q_b_proj", il, H * hk, hp->q_lora_rank);
            } else {
                lin(&a, c, "self_attn.q_proj", il, H * hk, E);
            }
            lin(&a, c, "self_attn.kv_a_proj_with_mqa", il, hp->kv_lora_rank + hp->n_rot, E);
            vec(&a, c, "self_attn.kv_a_layernorm", il, hp->kv_lora_rank);
            /* deepseek_v3.py sanitize splits kv_b_proj into embed_q / unembed_out */
            lin(&a, c, "self_attn.embed_q", il, H * nope, hp->kv_lora_rank);
            lin(&a, c, "self_attn.unembed_out", il, H * hv, hp->kv_lora_rank);
            lin(&a, c, "self_attn.o_proj", il, E, H * hv);
        } else {
            uint64_t hk = hp->is_swa[i] && hp->head_dim_k_swa ? hp->head_dim_k_swa : hp->head_dim_k;
            uint64_t hv = hp->is_swa[i] && hp->head_dim_v_swa ? hp->head_dim_v_swa : hp->head_dim_v;
            if (!hk)
                hk = H ? E / H : E;
            if (!hv)
                hv = hk;
            lin(&a, c, "self_attn.q_proj", il, H * hk, E);
            lin(&a, c, "self_attn.k_proj", il, Hkv * hk, E);
            lin(&a, c, "self_attn.v_proj", il, Hkv * hv, E);
            lin(&a, c, "self_attn.o_proj", il, E, H * hv);
        }
        if (hp->is_moe[i] && hp->n_expert) {
            uint64_t ne = hp->n_expert, fe = hp->n_ff_exp ? hp->n_ff_exp : hp->n_ff[i];
            lin(&a, c, "mlp.gate", il, ne, E);
            stacked(&a, c, "mlp.switch_mlp.gate_proj", il, ne, fe, E);
            stacked(&a, c, "mlp.switch_mlp.up_proj", il, ne, fe, E);
            stacked(&a, c, "mlp.switch_mlp.down_proj", il, ne, E, fe);
            uint64_t fs = hp->n_ff_shexp ? hp->n_ff_shexp : (uint64_t)hp->n_expert_shared * fe;
            if (hp->n_expert_shared && fs) {
                lin(&a, c, "mlp.shared_experts.gate_proj", il, fs, E);
                lin(&a, c, "mlp.shared_experts.up_proj", il, fs, E);
                lin(&a, c, "mlp.shared_experts.down_proj", il, E, fs);
            }
        } else if (hp->n_ff[i]) {
            uint64_t F = hp->n_ff[i];
            if (!gpt2ffn)
                lin(&a, c, "mlp.gate_proj", il, F, E);
            lin(&a, c, "mlp.up_proj", il, F, E);
            lin(&a, c, "mlp.down_proj", il, E, F);
        }
        if (a.overflow)
            break;
    }
    if (a.overflow)
        return og_error_set(err, OG_ERR_INVALID, "%s: shape sizes overflow",
                            m->path ? m->path : "model");
    w->from_hparams = 1;
    return OG_OK;
}

/* ---- entry --------------------------------------------------------------- */

static int model_has_unquantized_tensors(const og_model *m)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].type_name && !og_strcasecmp(m->tensors[i].type_name, "U32"))
            return 0;
    return m->n_tensors > 0;
}

static void note(og_mlx_weights *w, const char *text)
{
    if (w->n_notes < 2)
        og_strlcpy(w->notes[w->n_notes++], text, sizeof w->notes[0]);
}

og_status og_mlx_weights_compute(const og_model *m, const og_mlx_settings *s, og_mlx_weights *w,
                                 og_error *err)
{
    memset(w, 0, sizeof *w);
    model_dtype(m, w);

    /* A catalog MLX build (og_catalog_model, quant_label "mlx-...") carries an
     * mlx-lm tensor list: planned as stored, like an MLX folder. */
    int catalog_mlx = m->format == OG_FORMAT_CATALOG && strncmp(m->quant_label, "mlx-", 4) == 0;
    int mlx_quantized = (m->format == OG_FORMAT_MLX || catalog_mlx) &&
                        (m->mlx.quantized || !model_has_unquantized_tensors(m));
    uint32_t bits = s->q_bits;
    const char *mode = s->q_mode[0] ? s->q_mode : "affine";
    int need_convert = bits > 0;
    if (!need_convert && !catalog_mlx &&
        (m->format == OG_FORMAT_GGUF || m->format == OG_FORMAT_CATALOG)) {
        /* a GGUF file or catalog entry: compare with the MLX 4-bit build */
        need_convert = 1;
        note(w, "no MLX files: planned as the 4-bit MLX build (mlx_lm.convert -q)");
    }
    if (!need_convert && m->format == OG_FORMAT_HF_CONFIG && m->n_tensors == 0)
        bits = 0; /* unquantized, from hparams */

    if (mlx_quantized) {
        if (bits)
            note(w, catalog_mlx ? "the catalog build is already quantized: --q-bits ignored"
                                : "the MLX folder is already quantized: --q-bits ignored");
        acc a = {w, 0};
        for (size_t i = 0; i < m->n_tensors; i++)
            add_array(&a, m->tensors[i].name ? m->tensors[i].name : "?", m->tensors[i].bytes);
        if (a.overflow)
            return og_error_set(err, OG_ERR_INVALID, "%s: tensor sizes overflow",
                                m->path ? m->path : "model");
        if (m->mlx.quantized && m->mlx.n_overrides)
            snprintf(w->quant, sizeof w->quant, "mixed (%u-bit %s g%u default)", m->mlx.bits,
                     m->mlx.mode[0] ? m->mlx.mode : "affine", m->mlx.group_size);
        else if (m->mlx.quantized)
            snprintf(w->quant, sizeof w->quant, "%u-bit %s g%u", m->mlx.bits,
                     m->mlx.mode[0] ? m->mlx.mode : "affine", m->mlx.group_size);
        else
            og_strlcpy(w->quant, "quantized", sizeof w->quant);
        return OG_OK;
    }

    conv c;
    memset(&c, 0, sizeof c);
    c.dtype_bytes = w->dtype_bytes;
    c.n_layers = m->hp.n_layer;
    c.router_rule = router_rule_for(m->hp.arch);
    if (need_convert) {
        uint32_t g, b;
        if (!mode_defaults(mode, &g, &b))
            return og_error_set(err, OG_ERR_INVALID,
                                "--q-mode %s: expected affine, mxfp4, nvfp4 or mxfp8", mode);
        c.bits = bits ? bits : b;
        c.group = s->q_group_size ? s->q_group_size : g;
        c.fp = !mode_is(mode, "affine");
        if (!og_mlx_quant_valid(c.bits, c.group, mode))
            return og_error_set(
                err, OG_ERR_INVALID,
                "--q-bits %u --q-group-size %u --q-mode %s: not a quantization "
                "MLX supports (affine: bits 2-6 or 8, group 32/64/128; mxfp4: 4/32; "
                "nvfp4: 4/16; mxfp8: 8/32)",
                c.bits, c.group, mode);
        if (s->q_recipe[0]) {
            /* mlx_lm/convert.py: recipes are affine only */
            if (c.fp)
                return og_error_set(err, OG_ERR_INVALID,
                                    "--quant-predicate %s: recipes only support affine",
                                    s->q_recipe);
            c.recipe = 1;
            c.high = 6;
            if (!strcmp(s->q_recipe, "mixed_2_6"))
                c.low = 2;
            else if (!strcmp(s->q_recipe, "mixed_3_4")) {
                c.low = 3;
                c.high = 4;
            } else if (!strcmp(s->q_recipe, "mixed_3_6"))
                c.low = 3;
            else if (!strcmp(s->q_recipe, "mixed_4_6"))
                c.low = 4;
            else
                return og_error_set(err, OG_ERR_INVALID,
                                    "--quant-predicate %s: expected mixed_2_6, mixed_3_4, "
                                    "mixed_3_6 or mixed_4_6",
                                    s->q_recipe);
            snprintf(w->quant, sizeof w->quant, "%s g%u", s->q_recipe, c.group);
        } else if (c.fp) {
            og_strlcpy(w->quant, mode, sizeof w->quant);
        } else {
            snprintf(w->quant, sizeof w->quant, "%u-bit affine g%u", c.bits, c.group);
        }
        w->hypothetical = 1;
    } else {
        og_strlcpy(w->quant, w->dtype, sizeof w->quant);
    }

    if (m->n_tensors > 0 && m->format != OG_FORMAT_GGUF)
        return from_tensors(m, &c, w, err);
    return from_hparams(m, &c, w, err);
}
