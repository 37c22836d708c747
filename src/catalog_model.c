/* Catalog entry + build -> og_model with a synthetic tensor list.
 *
 * GGUF builds: the tensors llama.cpp creates for the architecture (names and
 * ggml shapes from llama.cpp src/models/<arch>.cpp load_tensors, llama.cpp as
 * bundled in node-llama-cpp 3.21.1), with the types convert_hf_to_gguf.py
 * (conversion/base.py: 1-D tensors, norms and routers stay F32) and
 * llama-quantize (src/llama-quant.cpp, see quantmix.c) give them.
 *
 * MLX builds: the arrays mlx-lm writes (mlx_lm/utils.py quantize_model,
 * ml-explore/mlx-lm at d78bf58e): every module with to_quantized (Linear,
 * Embedding, SwitchLinear) whose input width is a multiple of the group size
 * becomes a U32 packed weight [out, in*bits/32] plus scales and biases
 * [out, in/group] in the model dtype; norms, biases and MoEGate parameters
 * stay in the model dtype; model-specific quant_predicate overrides (8-bit
 * routers in qwen3_moe.py / gpt_oss.py) are applied. NextN/MTP layers are
 * dropped, as mlx-lm's sanitize does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "model_internal.h"
#include "og_internal.h"
#include "quantmix.h"

static const char *archs[] = {"llama",       "llama4",        "qwen2",      "qwen3",
                              "qwen3moe",    "gemma2",        "gemma3",     "phi3",
                              "deepseek2",   "gpt-oss",       "glm4moe",    "granite",
                              "smollm3",     "olmo2",         "command-r",  "qwen3next",
                              "qwen35",      "qwen35moe",     "minimax-m2", "mistral3",
                              "seed_oss",    "ernie4_5-moe",  "lfm2",       "lfm2moe",
                              "hunyuan-moe", "hunyuan-dense", "deepseek32", NULL};

int og_catalog_arch_supported(const char *arch)
{
    for (int i = 0; archs[i]; i++)
        if (!strcmp(archs[i], arch))
            return 1;
    return 0;
}

const char *og_catalog_arch_list(void)
{
    return "llama, llama4, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, deepseek2, gpt-oss, "
           "glm4moe, granite, smollm3, olmo2, command-r, qwen3next, qwen35, qwen35moe, minimax-m2, "
           "mistral3, seed_oss, ernie4_5-moe, lfm2, lfm2moe, hunyuan-moe, hunyuan-dense, "
           "deepseek32";
}

/* ---- builds ---- */

static const struct {
    const char *name;
    int mlx;
    uint32_t bits;  /* MLX */
    uint32_t ftype; /* GGUF */
    double bpw;     /* main type's bits per weight (ordering only) */
} builds[OG_BUILD_COUNT] = {
    [OG_BUILD_MLX_3BIT] = {"mlx-3bit", 1, 3, 0, 3.5},
    [OG_BUILD_MLX_4BIT] = {"mlx-4bit", 1, 4, 0, 4.5},
    [OG_BUILD_MLX_5BIT] = {"mlx-5bit", 1, 5, 0, 5.5},
    [OG_BUILD_MLX_6BIT] = {"mlx-6bit", 1, 6, 0, 6.5},
    [OG_BUILD_MLX_8BIT] = {"mlx-8bit", 1, 8, 0, 8.5},
    [OG_BUILD_MLX_BF16] = {"mlx-bf16", 1, 16, 0, 16},
    [OG_BUILD_GGUF_IQ1_S] = {"IQ1_S", 0, 0, OG_FTYPE_IQ1_S, 1.5625},
    [OG_BUILD_GGUF_IQ1_M] = {"IQ1_M", 0, 0, OG_FTYPE_IQ1_M, 1.75},
    [OG_BUILD_GGUF_IQ2_XXS] = {"IQ2_XXS", 0, 0, OG_FTYPE_IQ2_XXS, 2.0625},
    [OG_BUILD_GGUF_IQ2_XS] = {"IQ2_XS", 0, 0, OG_FTYPE_IQ2_XS, 2.3125},
    [OG_BUILD_GGUF_IQ2_S] = {"IQ2_S", 0, 0, OG_FTYPE_IQ2_S, 2.4},
    [OG_BUILD_GGUF_IQ2_M] = {"IQ2_M", 0, 0, OG_FTYPE_IQ2_M, 2.6},
    [OG_BUILD_GGUF_Q2_K_S] = {"Q2_K_S", 0, 0, OG_FTYPE_Q2_K_S, 2.7},
    [OG_BUILD_GGUF_Q2_K] = {"Q2_K", 0, 0, OG_FTYPE_Q2_K, 2.9},
    [OG_BUILD_GGUF_IQ3_XXS] = {"IQ3_XXS", 0, 0, OG_FTYPE_IQ3_XXS, 3.0625},
    [OG_BUILD_GGUF_IQ3_XS] = {"IQ3_XS", 0, 0, OG_FTYPE_IQ3_XS, 3.3},
    [OG_BUILD_GGUF_Q3_K_S] = {"Q3_K_S", 0, 0, OG_FTYPE_Q3_K_S, 3.45},
    [OG_BUILD_GGUF_IQ3_S] = {"IQ3_S", 0, 0, OG_FTYPE_IQ3_S, 3.46},
    [OG_BUILD_GGUF_IQ3_M] = {"IQ3_M", 0, 0, OG_FTYPE_IQ3_M, 3.6},
    [OG_BUILD_GGUF_Q3_K_M] = {"Q3_K_M", 0, 0, OG_FTYPE_Q3_K_M, 3.9},
    [OG_BUILD_GGUF_Q3_K_L] = {"Q3_K_L", 0, 0, OG_FTYPE_Q3_K_L, 4.2},
    [OG_BUILD_GGUF_IQ4_XS] = {"IQ4_XS", 0, 0, OG_FTYPE_IQ4_XS, 4.25},
    [OG_BUILD_GGUF_MXFP4] = {"MXFP4", 0, 0, OG_FTYPE_MXFP4_MOE, 4.3},
    [OG_BUILD_GGUF_IQ4_NL] = {"IQ4_NL", 0, 0, OG_FTYPE_IQ4_NL, 4.5},
    [OG_BUILD_GGUF_Q4_0] = {"Q4_0", 0, 0, OG_FTYPE_Q4_0, 4.55},
    [OG_BUILD_GGUF_Q4_K_S] = {"Q4_K_S", 0, 0, OG_FTYPE_Q4_K_S, 4.6},
    [OG_BUILD_GGUF_Q4_K_M] = {"Q4_K_M", 0, 0, OG_FTYPE_Q4_K_M, 4.85},
    [OG_BUILD_GGUF_Q4_1] = {"Q4_1", 0, 0, OG_FTYPE_Q4_1, 5.0},
    [OG_BUILD_GGUF_Q5_0] = {"Q5_0", 0, 0, OG_FTYPE_Q5_0, 5.5},
    [OG_BUILD_GGUF_Q5_K_S] = {"Q5_K_S", 0, 0, OG_FTYPE_Q5_K_S, 5.55},
    [OG_BUILD_GGUF_Q5_K_M] = {"Q5_K_M", 0, 0, OG_FTYPE_Q5_K_M, 5.7},
    [OG_BUILD_GGUF_Q5_1] = {"Q5_1", 0, 0, OG_FTYPE_Q5_1, 6.0},
    [OG_BUILD_GGUF_Q6_K] = {"Q6_K", 0, 0, OG_FTYPE_Q6_K, 6.56},
    [OG_BUILD_GGUF_Q8_0] = {"Q8_0", 0, 0, OG_FTYPE_Q8_0, 8.5},
    [OG_BUILD_GGUF_BF16] = {"BF16", 0, 0, OG_FTYPE_BF16, 16},
    [OG_BUILD_GGUF_F16] = {"F16", 0, 0, OG_FTYPE_F16, 16.01},
};

const char *og_catalog_build_name(og_catalog_build b)
{
    return (unsigned)b < OG_BUILD_COUNT ? builds[b].name : "unknown";
}

int og_catalog_build_is_mlx(og_catalog_build b)
{
    return (unsigned)b < OG_BUILD_COUNT && builds[b].mlx;
}

double og_catalog_build_bits(og_catalog_build b)
{
    return (unsigned)b < OG_BUILD_COUNT ? builds[b].bpw : 0;
}

/* Every build name, in the order they are offered (a message lists them). */
static void build_names(char *out, size_t n)
{
    size_t j = 0;
    out[0] = '\0';
    for (int mlx = 1; mlx >= 0; mlx--)
        for (int i = 0; i < OG_BUILD_COUNT; i++)
            if (builds[i].mlx == mlx && j < n)
                j += (size_t)snprintf(out + j, n - j, "%s%s", j ? ", " : "", builds[i].name);
}

og_status og_catalog_build_from_name(const char *name, og_catalog_build *out, og_error *err)
{
    char n[32];
    og_catalog_normalize(name, n, sizeof n);
    /* mlx-community publishes DWQ (distilled) and QAT variants with the
     * layout of the plain build: "Qwen3-8B-4bit-DWQ" */
    size_t l = strlen(n);
    if (l > 3 && (!strcmp(n + l - 3, "dwq") || !strcmp(n + l - 3, "qat")))
        n[l - 3] = '\0';
    static const struct {
        const char *alias;
        og_catalog_build b;
    } extra[] = {{"3bit", OG_BUILD_MLX_3BIT},   {"mlx3", OG_BUILD_MLX_3BIT},
                 {"4bit", OG_BUILD_MLX_4BIT},   {"mlx4", OG_BUILD_MLX_4BIT},
                 {"5bit", OG_BUILD_MLX_5BIT},   {"mlx5", OG_BUILD_MLX_5BIT},
                 {"6bit", OG_BUILD_MLX_6BIT},   {"mlx6", OG_BUILD_MLX_6BIT},
                 {"8bit", OG_BUILD_MLX_8BIT},   {"mlx8", OG_BUILD_MLX_8BIT},
                 {"mlx", OG_BUILD_MLX_BF16},    {"mxfp4moe", OG_BUILD_GGUF_MXFP4},
                 {"fp16", OG_BUILD_GGUF_F16},   {"q4k", OG_BUILD_GGUF_Q4_K_M},
                 {"q5k", OG_BUILD_GGUF_Q5_K_M}, {"q3k", OG_BUILD_GGUF_Q3_K_M}};
    for (int i = 0; i < OG_BUILD_COUNT; i++) {
        char b[32];
        og_catalog_normalize(builds[i].name, b, sizeof b);
        if (!strcmp(b, n)) {
            *out = (og_catalog_build)i;
            return OG_OK;
        }
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (!strcmp(extra[i].alias, n)) {
            *out = extra[i].b;
            return OG_OK;
        }
    char all[512];
    build_names(all, sizeof all);
    return og_error_set(err, OG_ERR_INVALID, "unknown build '%s' (one of: %s)", name, all);
}

int og_catalog_has_build(const og_catalog_entry *e, og_catalog_build b)
{
    if (!e || (unsigned)b >= OG_BUILD_COUNT)
        return 0;
    if (b == OG_BUILD_GGUF_MXFP4)
        return e->hp.n_expert > 1;
    return 1;
}

void og_catalog_build_repo(const og_catalog_entry *e, og_catalog_build b, char *buf, size_t n)
{
    if (!n)
        return;
    buf[0] = '\0';
    if (!e || !e->hf_repo[0] || (unsigned)b >= OG_BUILD_COUNT)
        return;
    const char *slash = strchr(e->hf_repo, '/');
    const char *repo = slash ? slash + 1 : e->hf_repo;
    if (builds[b].mlx) /* "mlx-4bit" -> "-4bit", "mlx-bf16" -> "-bf16" */
        snprintf(buf, n, "mlx-community/%s%s", repo, builds[b].name + 3);
    else
        snprintf(buf, n, "%s-%s.gguf", repo, builds[b].name);
}

og_catalog_build og_catalog_name_build(const char *name)
{
    if (!name)
        return OG_BUILD_COUNT;
    int mlx = !strncmp(name, "mlx-community/", 14);
    char base[160];
    og_strlcpy(base, name, sizeof base);
    size_t l = strlen(base);
    if (l > 5 && !strcmp(base + l - 5, ".gguf"))
        base[l - 5] = '\0';
    char *dash = strrchr(base, '-');
    if (dash && !og_strcasecmp(dash + 1, "dwq")) { /* "-4bit-DWQ": the 4-bit layout */
        *dash = '\0';
        dash = strrchr(base, '-');
    }
    if (!dash)
        return OG_BUILD_COUNT;
    char want[48];
    snprintf(want, sizeof want, "%s%s", mlx ? "mlx-" : "", dash + 1);
    og_catalog_build b;
    if (og_catalog_build_from_name(want, &b, NULL) != OG_OK || og_catalog_build_is_mlx(b) != mlx)
        return OG_BUILD_COUNT;
    return b;
}

uint32_t og_catalog_builds(const og_catalog_entry *e, int mlx, og_catalog_build *out, uint32_t max)
{
    og_catalog_build list[OG_BUILD_COUNT];
    uint32_t n = 0;
    for (int i = 0; i < OG_BUILD_COUNT; i++)
        if (builds[i].mlx == !!mlx && og_catalog_has_build(e, (og_catalog_build)i)) {
            /* insertion by bits, most first */
            uint32_t k = n++;
            while (k > 0 && builds[list[k - 1]].bpw < builds[i].bpw) {
                list[k] = list[k - 1];
                k--;
            }
            list[k] = (og_catalog_build)i;
        }
    for (uint32_t i = 0; i < n && i < max && out; i++)
        out[i] = list[i];
    return n;
}

/* ---- the abstract tensor list ---- */

enum { MLX_KEEP = 0, MLX_Q, MLX_Q8, MLX_SKIP };

typedef struct ctensor {
    char gguf[64]; /* "" = not in the GGUF */
    char mlx[96];  /* "" = not in the MLX folder */
    uint32_t n_dims;
    uint64_t ne[3]; /* ggml order: ne[0] = row length (input width) */
    uint32_t src;   /* type in the unquantized GGUF */
    int mlx_kind;
} ctensor;

typedef struct tlist {
    ctensor *t;
    size_t n, cap;
    int failed;
} tlist;

static ctensor *add(tlist *l, const char *gguf, const char *mlx, uint32_t n_dims, uint64_t ne0,
                    uint64_t ne1, uint64_t ne2, uint32_t src, int mlx_kind)
{
    if (l->failed)
        return NULL;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        ctensor *nt = realloc(l->t, nc * sizeof *nt);
        if (!nt) {
            l->failed = 1;
            return NULL;
        }
        l->t = nt;
        l->cap = nc;
    }
    ctensor *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    og_strlcpy(t->gguf, gguf ? gguf : "", sizeof t->gguf);
    og_strlcpy(t->mlx, mlx ? mlx : "", sizeof t->mlx);
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = n_dims > 1 ? ne1 : 1;
    t->ne[2] = n_dims > 2 ? ne2 : 1;
    t->src = src;
    t->mlx_kind = mlx_kind;
    return t;
}

#define W OG_GGML_F16 /* weights in the unquantized GGUF (F16/BF16: same size) */
#define F OG_GGML_F32

typedef struct gen {
    tlist *l;
    const og_catalog_entry *e;
    char g[64], x[96];
} gen;

/* snprintf(out, n, "%s%u.%s", prefix, il, suffix) without the format
 * parsing (the tensor generator names thousands of tensors per model). */
static void name_cat(char *out, size_t n, const char *a, const char *b)
{
    size_t j = 0;
    for (const char *p = a; *p && j + 1 < n; p++)
        out[j++] = *p;
    for (const char *p = b; *p && j + 1 < n; p++)
        out[j++] = *p;
    out[j] = '\0';
}

static void layer_name(char *out, size_t n, const char *prefix, unsigned il, const char *suffix)
{
    char mid[16];
    char digits[12];
    size_t k = 0, j = 0;
    do {
        digits[k++] = (char)('0' + il % 10);
        il /= 10;
    } while (il);
    while (k)
        mid[j++] = digits[--k];
    mid[j++] = '.';
    mid[j] = '\0';
    char head[64];
    name_cat(head, sizeof head, prefix, mid);
    name_cat(out, n, head, suffix);
}

static const char *G(gen *s, unsigned il, const char *suffix)
{
    layer_name(s->g, sizeof s->g, "blk.", il, suffix);
    return s->g;
}
static const char *X(gen *s, unsigned il, const char *suffix)
{
    layer_name(s->x, sizeof s->x, "model.layers.", il, suffix);
    return s->x;
}

/* a 2-D Linear: ggml {in, out} */
static void lin(gen *s, unsigned il, const char *g, const char *x, uint64_t in, uint64_t out)
{
    add(s->l, G(s, il, g), X(s, il, x), 2, in, out, 1, W, MLX_Q);
}
static void vec(gen *s, unsigned il, const char *g, const char *x, uint64_t n)
{
    add(s->l, G(s, il, g), X(s, il, x), 1, n, 1, 1, F, MLX_KEEP);
}

static int router_kind(const char *arch)
{
    /* mlx-lm quant_predicate: qwen3_moe.py / qwen3_next.py / qwen3_5.py "mlp.gate",
     * gpt_oss.py "router", minimax.py "block_sparse_moe.gate", lfm2_moe.py
     * "feed_forward.gate" -> 8 bits;
     * deepseek_v3.py / glm4_moe.py MoEGate holds a plain parameter (not quantized);
     * mixtral.py / llama4.py routers are nn.Linear (default bits). */
    if (!strcmp(arch, "qwen3moe") || !strcmp(arch, "gpt-oss") || !strcmp(arch, "qwen3next") ||
        !strcmp(arch, "qwen35moe") || !strcmp(arch, "minimax-m2") || !strcmp(arch, "lfm2moe"))
        return MLX_Q8;
    if (!strcmp(arch, "deepseek2") || !strcmp(arch, "deepseek32") || !strcmp(arch, "glm4moe"))
        return MLX_KEEP;
    return MLX_Q;
}

/* Gated delta-net hybrids: Qwen3-Next (arch qwen3next) and Qwen3.5 / 3.6
 * (qwen35 dense, qwen35moe). GGUF: llama.cpp src/models/qwen3next.cpp,
 * qwen35.cpp and qwen35moe.cpp load_arch_tensors (llama.cpp bundled with
 * node-llama-cpp 3.21.1) with the converter's fused attn_qkv + attn_gate;
 * qwen3next keeps one ssm_ba {n_embd, 2 x value heads}, qwen35* split it into
 * ssm_beta and ssm_alpha {n_embd, value heads}. MLX: mlx_lm/models/
 * qwen3_next.py (in_proj_qkvz, in_proj_ba) and qwen3_5.py (in_proj_qkv,
 * in_proj_z, in_proj_b, in_proj_a), ml-explore/mlx-lm d78bf58e; both: conv1d,
 * dt_bias, A_log, norm, out_proj, a gated q_proj (2 x heads x head_dim),
 * mlp.gate and mlp.shared_expert_gate at 8 bits (quant_predicate, MoE only).
 * qwen3next / qwen35moe: every layer is MoE with a gated shared expert;
 * qwen35: a dense SwiGLU MLP. MTP layers are not in either (mlx-lm sanitize
 * drops "mtp."; the GGUFs are planned without them). */
static void gen_layer_gdn(gen *s, unsigned il)
{
    const og_hparams *hp = &s->e->hp;
    int q35 = strcmp(hp->arch, "qwen3next") != 0;
    uint64_t E = hp->n_embd, H = hp->n_head[il], KV = hp->n_head_kv[il], hd = hp->head_dim_k;
    uint64_t kd = (uint64_t)hp->ssm_d_state * hp->ssm_n_group, vd = hp->ssm_d_inner;
    uint64_t nv = hp->ssm_dt_rank, conv = 2 * kd + vd, ne = hp->n_expert, f = hp->n_ff_exp;
    uint64_t fs = hp->n_ff_shexp;
    vec(s, il, "attn_norm.weight", "input_layernorm.weight", E);
    vec(s, il, "post_attention_norm.weight", "post_attention_layernorm.weight", E);
    if (hp->is_recurrent[il]) {
        /* llama.cpp splits the input projection into attn_qkv + attn_gate */
        add(s->l, G(s, il, "attn_qkv.weight"), NULL, 2, E, conv, 1, W, MLX_SKIP);
        add(s->l, G(s, il, "attn_gate.weight"), NULL, 2, E, vd, 1, W, MLX_SKIP);
        if (q35) {
            add(s->l, NULL, X(s, il, "linear_attn.in_proj_qkv"), 2, E, conv, 1, W, MLX_Q);
            add(s->l, NULL, X(s, il, "linear_attn.in_proj_z"), 2, E, vd, 1, W, MLX_Q);
        } else {
            add(s->l, NULL, X(s, il, "linear_attn.in_proj_qkvz"), 2, E, conv + vd, 1, W, MLX_Q);
        }
        /* conv1d: ggml {d_conv, conv_dim}; mlx-lm Conv1d [conv_dim, d_conv, 1] */
        add(s->l, G(s, il, "ssm_conv1d.weight"), NULL, 2, hp->ssm_d_conv, conv, 1, F, MLX_SKIP);
        add(s->l, NULL, X(s, il, "linear_attn.conv1d.weight"), 3, 1, hp->ssm_d_conv, conv, W,
            MLX_KEEP);
        vec(s, il, "ssm_dt.bias", "linear_attn.dt_bias", nv);
        vec(s, il, "ssm_a", "linear_attn.A_log", nv);
        if (q35) {
            lin(s, il, "ssm_beta.weight", "linear_attn.in_proj_b", E, nv);
            lin(s, il, "ssm_alpha.weight", "linear_attn.in_proj_a", E, nv);
        } else {
            lin(s, il, "ssm_ba.weight", "linear_attn.in_proj_ba", E, 2 * nv);
        }
        vec(s, il, "ssm_norm.weight", "linear_attn.norm.weight", hp->ssm_d_state);
        lin(s, il, "ssm_out.weight", "linear_attn.out_proj", vd, E);
    } else {
        lin(s, il, "attn_q.weight", "self_attn.q_proj", E, 2 * H * hd);
        lin(s, il, "attn_k.weight", "self_attn.k_proj", E, KV * hd);
        lin(s, il, "attn_v.weight", "self_attn.v_proj", E, KV * hd);
        lin(s, il, "attn_output.weight", "self_attn.o_proj", H * hd, E);
        vec(s, il, "attn_q_norm.weight", "self_attn.q_norm.weight", hd);
        vec(s, il, "attn_k_norm.weight", "self_attn.k_norm.weight", hd);
    }
    if (!ne) { /* qwen35: dense SwiGLU */
        uint64_t ff = hp->n_ff[il];
        lin(s, il, "ffn_gate.weight", "mlp.gate_proj", E, ff);
        lin(s, il, "ffn_up.weight", "mlp.up_proj", E, ff);
        lin(s, il, "ffn_down.weight", "mlp.down_proj", ff, E);
        return;
    }
    add(s->l, G(s, il, "ffn_gate_inp.weight"), X(s, il, "mlp.gate"), 2, E, ne, 1, F, MLX_Q8);
    add(s->l, G(s, il, "ffn_gate_exps.weight"), X(s, il, "mlp.switch_mlp.gate_proj"), 3, E, f, ne,
        W, MLX_Q);
    add(s->l, G(s, il, "ffn_up_exps.weight"), X(s, il, "mlp.switch_mlp.up_proj"), 3, E, f, ne, W,
        MLX_Q);
    add(s->l, G(s, il, "ffn_down_exps.weight"), X(s, il, "mlp.switch_mlp.down_proj"), 3, f, E, ne,
        W, MLX_Q);
    /* shared-expert gate: ggml {n_embd} (1-D, F32); mlx-lm Linear [1, n_embd] */
    add(s->l, G(s, il, "ffn_gate_inp_shexp.weight"), NULL, 1, E, 1, 1, F, MLX_SKIP);
    add(s->l, NULL, X(s, il, "mlp.shared_expert_gate"), 2, E, 1, 1, W, MLX_Q8);
    lin(s, il, "ffn_gate_shexp.weight", "mlp.shared_expert.gate_proj", E, fs);
    lin(s, il, "ffn_up_shexp.weight", "mlp.shared_expert.up_proj", E, fs);
    lin(s, il, "ffn_down_shexp.weight", "mlp.shared_expert.down_proj", fs, E);
}

/* LFM2 short-convolution hybrids (lfm2 dense, lfm2moe). GGUF: llama.cpp
 * src/models/lfm2.cpp / lfm2moe.cpp load_arch_tensors (node-llama-cpp 3.21.1):
 * attn_norm (operator_norm) and ffn_norm on every layer; attention layers
 * (head_count_kv > 0) q/k/v/output with per-head q/k norms; the others the
 * short convolution shortconv.conv {L_cache, n_embd} (F32), in_proj
 * {n_embd, 3 n_embd}, out_proj {n_embd, n_embd}; SwiGLU ffn_gate/up/down, or
 * (lfm2moe after the leading dense layers) a router, stacked experts and
 * exp_probs_b. MLX: mlx_lm/models/lfm2.py / lfm2_moe.py (ml-explore/mlx-lm
 * d78bf58e): operator_norm, ffn_norm, self_attn.{q,k,v,out}_proj,
 * q_layernorm, k_layernorm, conv.conv (a depthwise Conv1d [E, L, 1]: no
 * to_quantized, kept), conv.in_proj, conv.out_proj, feed_forward.w1/w3/w2,
 * feed_forward.gate (8-bit, quant_predicate), switch_mlp, expert_bias. */
static void gen_layer_lfm2(gen *s, unsigned il)
{
    const og_hparams *hp = &s->e->hp;
    uint64_t E = hp->n_embd, H = hp->n_head[il], KV = hp->n_head_kv[il], hd = hp->head_dim_k;
    vec(s, il, "attn_norm.weight", "operator_norm.weight", E);
    vec(s, il, "ffn_norm.weight", "ffn_norm.weight", E);
    if (hp->is_recurrent[il]) {
        uint64_t L = hp->shortconv_l_cache;
        add(s->l, G(s, il, "shortconv.conv.weight"), NULL, 2, L, E, 1, F, MLX_SKIP);
        add(s->l, NULL, X(s, il, "conv.conv.weight"), 3, 1, L, E, W, MLX_KEEP);
        lin(s, il, "shortconv.in_proj.weight", "conv.in_proj", E, 3 * E);
        lin(s, il, "shortconv.out_proj.weight", "conv.out_proj", E, E);
    } else {
        lin(s, il, "attn_q.weight", "self_attn.q_proj", E, H * hd);
        lin(s, il, "attn_k.weight", "self_attn.k_proj", E, KV * hd);
        lin(s, il, "attn_v.weight", "self_attn.v_proj", E, KV * hd);
        lin(s, il, "attn_output.weight", "self_attn.out_proj", H * hd, E);
        vec(s, il, "attn_q_norm.weight", "self_attn.q_layernorm.weight", hd);
        vec(s, il, "attn_k_norm.weight", "self_attn.k_layernorm.weight", hd);
    }
    if (!hp->is_moe[il]) {
        uint64_t f = hp->n_ff[il];
        lin(s, il, "ffn_gate.weight", "feed_forward.w1", E, f);
        lin(s, il, "ffn_up.weight", "feed_forward.w3", E, f);
        lin(s, il, "ffn_down.weight", "feed_forward.w2", f, E);
        return;
    }
    uint64_t ne = hp->n_expert, f = hp->n_ff_exp;
    add(s->l, G(s, il, "ffn_gate_inp.weight"), X(s, il, "feed_forward.gate"), 2, E, ne, 1, F,
        MLX_Q8);
    add(s->l, G(s, il, "ffn_gate_exps.weight"), X(s, il, "feed_forward.switch_mlp.gate_proj"), 3, E,
        f, ne, W, MLX_Q);
    add(s->l, G(s, il, "ffn_up_exps.weight"), X(s, il, "feed_forward.switch_mlp.up_proj"), 3, E, f,
        ne, W, MLX_Q);
    add(s->l, G(s, il, "ffn_down_exps.weight"), X(s, il, "feed_forward.switch_mlp.down_proj"), 3, f,
        E, ne, W, MLX_Q);
    if (s->e->expert_gating_bias)
        vec(s, il, "exp_probs_b.bias", "feed_forward.expert_bias", ne);
}

static void gen_layer(gen *s, unsigned il)
{
    const char *a = s->e->hp.arch;
    if (!strcmp(a, "qwen3next") || !strcmp(a, "qwen35") || !strcmp(a, "qwen35moe")) {
        gen_layer_gdn(s, il);
        return;
    }
    if (!strcmp(a, "lfm2") || !strcmp(a, "lfm2moe")) {
        gen_layer_lfm2(s, il);
        return;
    }
    const og_catalog_entry *e = s->e;
    const og_hparams *hp = &e->hp;
    const char *arch = hp->arch;
    uint64_t E = hp->n_embd, H = hp->n_head[il], KV = hp->n_head_kv[il];
    uint64_t hdk = hp->head_dim_k, hdv = hp->head_dim_v;
    int gptoss = !strcmp(arch, "gpt-oss"), cohere = !strcmp(arch, "command-r");

    if (!e->no_pre_norms)
        vec(s, il, "attn_norm.weight", "input_layernorm.weight", E);

    if (hp->is_mla) {
        uint64_t nope = e->qk_nope_head_dim, rope = e->qk_rope_head_dim;
        uint64_t kl = hp->kv_lora_rank, vh = hp->head_dim_v_mla, ql = hp->q_lora_rank;
        if (ql) {
            lin(s, il, "attn_q_a.weight", "self_attn.q_a_proj", E, ql);
            vec(s, il, "attn_q_a_norm.weight", "self_attn.q_a_layernorm.weight", ql);
            lin(s, il, "attn_q_b.weight", "self_attn.q_b_proj", ql, H * (nope + rope));
        } else {
            lin(s, il, "attn_q.weight", "self_attn.q_proj", E, H * (nope + rope));
        }
        lin(s, il, "attn_kv_a_mqa.weight", "self_attn.kv_a_proj_with_mqa", E, kl + rope);
        vec(s, il, "attn_kv_a_norm.weight", "self_attn.kv_a_layernorm.weight", kl);
        /* llama.cpp splits kv_b into k_b {nope, kl, H} and v_b {kl, v, H};
         * mlx-lm keeps kv_b_proj [H*(nope+v), kl] */
        add(s->l, G(s, il, "attn_k_b.weight"), NULL, 3, nope, kl, H, W, MLX_SKIP);
        add(s->l, G(s, il, "attn_v_b.weight"), NULL, 3, kl, vh, H, W, MLX_SKIP);
        add(s->l, NULL, X(s, il, "self_attn.kv_b_proj"), 2, kl, H * (nope + vh), 1, W, MLX_Q);
        lin(s, il, "attn_output.weight", "self_attn.o_proj", H * vh, E);
        if (hp->indexer_head_dim) {
            /* DeepSeek V3.2 DSA lightning indexer: llama.cpp src/models/deepseek32.cpp
             * (indexer.k_norm weight + bias, proj, attn_k, attn_q_b); mlx-lm
             * deepseek_v32.py Indexer (k_norm LayerNorm, weights_proj, wk, wq_b) */
            uint64_t ih = hp->indexer_n_head, id = hp->indexer_head_dim;
            vec(s, il, "indexer.k_norm.weight", "self_attn.indexer.k_norm.weight", id);
            vec(s, il, "indexer.k_norm.bias", "self_attn.indexer.k_norm.bias", id);
            lin(s, il, "indexer.proj.weight", "self_attn.indexer.weights_proj", E, ih);
            lin(s, il, "indexer.attn_k.weight", "self_attn.indexer.wk", E, id);
            lin(s, il, "indexer.attn_q_b.weight", "self_attn.indexer.wq_b", ql, ih * id);
        }
    } else if (e->fused_qkv) {
        lin(s, il, "attn_qkv.weight", "self_attn.qkv_proj", E, H * hdk + KV * hdk + KV * hdv);
        lin(s, il, "attn_output.weight", "self_attn.o_proj", H * hdv, E);
    } else {
        lin(s, il, "attn_q.weight", "self_attn.q_proj", E, H * hdk);
        lin(s, il, "attn_k.weight", "self_attn.k_proj", E, KV * hdk);
        lin(s, il, "attn_v.weight", "self_attn.v_proj", E, KV * hdv);
        if (e->attn_bias) {
            vec(s, il, "attn_q.bias", "self_attn.q_proj.bias", H * hdk);
            vec(s, il, "attn_k.bias", "self_attn.k_proj.bias", KV * hdk);
            vec(s, il, "attn_v.bias", "self_attn.v_proj.bias", KV * hdv);
        }
        lin(s, il, "attn_output.weight", "self_attn.o_proj", H * hdv, E);
        if (e->attn_out_bias)
            vec(s, il, "attn_output.bias", "self_attn.o_proj.bias", E);
    }
    if (e->qk_norm == OG_QK_NORM_HEAD) {
        vec(s, il, "attn_q_norm.weight", "self_attn.q_norm.weight", hdk);
        vec(s, il, "attn_k_norm.weight", "self_attn.k_norm.weight", hdk);
    } else if (e->qk_norm == OG_QK_NORM_FULL) {
        vec(s, il, "attn_q_norm.weight", "self_attn.q_norm.weight", H * hdk);
        vec(s, il, "attn_k_norm.weight", "self_attn.k_norm.weight", KV * hdk);
    }
    if (gptoss)
        vec(s, il, "attn_sinks.weight", "self_attn.sinks", H);
    if (e->post_norms)
        vec(s, il, "post_attention_norm.weight", "post_attention_layernorm.weight", E);
    if (gptoss)
        vec(s, il, "post_attention_norm.weight", "post_attention_layernorm.weight", E);
    else if (!e->no_pre_norms && !cohere)
        /* src/models/seed-oss.cpp loads the norm before the MLP as attn_post_norm */
        vec(s, il, !strcmp(arch, "seed_oss") ? "post_attention_norm.weight" : "ffn_norm.weight",
            e->post_norms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight",
            E);

    if (hp->is_moe[il]) {
        uint64_t ne = hp->n_expert, f = hp->n_ff_exp;
        int rk = router_kind(arch);
        add(s->l, G(s, il, "ffn_gate_inp.weight"), X(s, il, gptoss ? "mlp.router" : "mlp.gate"), 2,
            E, ne, 1, F, rk);
        if (e->moe_bias)
            vec(s, il, "ffn_gate_inp.bias", "mlp.router.bias", ne);
        if (e->expert_gating_bias)
            vec(s, il, "exp_probs_b.bias", "mlp.gate.e_score_correction_bias", ne);
        uint32_t xsrc = gptoss ? OG_GGML_MXFP4 : W;
        const char *sw = gptoss ? "mlp.experts." : "mlp.switch_mlp.";
        char xn[64];
        snprintf(xn, sizeof xn, "%sgate_proj", sw);
        add(s->l, G(s, il, "ffn_gate_exps.weight"), X(s, il, xn), 3, E, f, ne, xsrc, MLX_Q);
        snprintf(xn, sizeof xn, "%sup_proj", sw);
        add(s->l, G(s, il, "ffn_up_exps.weight"), X(s, il, xn), 3, E, f, ne, xsrc, MLX_Q);
        snprintf(xn, sizeof xn, "%sdown_proj", sw);
        add(s->l, G(s, il, "ffn_down_exps.weight"), X(s, il, xn), 3, f, E, ne, xsrc, MLX_Q);
        if (e->moe_bias) {
            add(s->l, G(s, il, "ffn_gate_exps.bias"), X(s, il, "mlp.experts.gate_proj.bias"), 2, f,
                ne, 1, F, MLX_KEEP);
            add(s->l, G(s, il, "ffn_up_exps.bias"), X(s, il, "mlp.experts.up_proj.bias"), 2, f, ne,
                1, F, MLX_KEEP);
            add(s->l, G(s, il, "ffn_down_exps.bias"), X(s, il, "mlp.experts.down_proj.bias"), 2, E,
                ne, 1, F, MLX_KEEP);
        }
        if (hp->n_expert_shared) {
            uint64_t fs = hp->n_ff_shexp;
            lin(s, il, "ffn_gate_shexp.weight", "mlp.shared_experts.gate_proj", E, fs);
            lin(s, il, "ffn_up_shexp.weight", "mlp.shared_experts.up_proj", E, fs);
            lin(s, il, "ffn_down_shexp.weight", "mlp.shared_experts.down_proj", fs, E);
        }
    } else {
        uint64_t f = hp->n_ff[il];
        if (e->fused_qkv) {
            lin(s, il, "ffn_up.weight", "mlp.gate_up_proj", E, 2 * f);
        } else {
            lin(s, il, "ffn_gate.weight", "mlp.gate_proj", E, f);
            lin(s, il, "ffn_up.weight", "mlp.up_proj", E, f);
        }
        lin(s, il, "ffn_down.weight", "mlp.down_proj", f, E);
    }
    if (e->post_norms)
        vec(s, il, "post_ffw_norm.weight", "post_feedforward_layernorm.weight", E);

    if (il >= hp->n_layer) {
        /* NextN / MTP block extras (llama.cpp src/models/glm4-moe.cpp) */
        add(s->l, G(s, il, "nextn.eh_proj.weight"), NULL, 2, 2 * E, E, 1, W, MLX_SKIP);
        add(s->l, G(s, il, "nextn.enorm.weight"), NULL, 1, E, 1, 1, F, MLX_SKIP);
        add(s->l, G(s, il, "nextn.hnorm.weight"), NULL, 1, E, 1, 1, F, MLX_SKIP);
        add(s->l, G(s, il, "nextn.shared_head_norm.weight"), NULL, 1, E, 1, 1, F, MLX_SKIP);
    }
}

static og_status gen_all(const og_catalog_entry *e, tlist *l, og_error *err)
{
    const og_hparams *hp = &e->hp;
    gen s = {.l = l, .e = e};
    add(l, "token_embd.weight", "model.embed_tokens", 2, hp->n_embd, hp->n_vocab, 1, W, MLX_Q);
    for (unsigned il = 0; il < hp->n_layer_all; il++) {
        size_t before = l->n;
        gen_layer(&s, il);
        if (il >= hp->n_layer) /* NextN layers are not in MLX folders */
            for (size_t i = before; i < l->n; i++)
                l->t[i].mlx[0] = '\0';
    }
    /* llama.cpp src/llama-arch.cpp: LFM2's final norm is token_embd_norm
     * (HF model.embedding_norm) */
    int lfm2 = !strcmp(hp->arch, "lfm2") || !strcmp(hp->arch, "lfm2moe");
    add(l, lfm2 ? "token_embd_norm.weight" : "output_norm.weight",
        lfm2 ? "model.embedding_norm.weight" : "model.norm.weight", 1, hp->n_embd, 1, 1, F,
        MLX_KEEP);
    if (!hp->tied_embeddings)
        add(l, "output.weight", "lm_head", 2, hp->n_embd, hp->n_vocab, 1, W, MLX_Q);
    if (l->failed)
        return og_error_set(err, OG_ERR_NOMEM, "catalog %s: out of memory", e->name);
    return OG_OK;
}

/* ---- og_model ---- */

static const char *type_name(uint32_t id)
{
    const og_ggml_type_info *t = og_ggml_type(id);
    return t ? t->name : "?";
}

static og_status push(og_model *m, const char *name, const char *tname, int32_t gtype,
                      uint32_t n_dims, const uint64_t *dims, uint64_t n_el, uint64_t bytes,
                      og_error *err)
{
    og_tensor t;
    memset(&t, 0, sizeof t);
    t.name = og_strdup(name);
    if (!t.name)
        return og_error_set(err, OG_ERR_NOMEM, "catalog: out of memory");
    t.type_name = tname;
    t.ggml_type = gtype;
    t.n_dims = n_dims;
    memcpy(t.dims, dims, n_dims * sizeof *dims);
    t.n_elements = n_el;
    t.bytes = bytes;
    return og_model_push_tensor(m, &t, err);
}

/* The sizes of a build, or the model: m = NULL only adds up the tensors'
 * bytes and parameters (what og_model_summarize and n_params would say). */
typedef struct sizes {
    uint64_t bytes, params;
} sizes;

static og_status count_tensor(const og_catalog_entry *e, og_model *m, sizes *z, const char *name,
                              const char *tname, int32_t gtype, uint32_t n_dims,
                              const uint64_t *dims, uint64_t n_el, uint64_t bytes, og_error *err)
{
    if (m)
        return push(m, name, tname, gtype, n_dims, dims, n_el, bytes, err);
    if (!og_add_u64(z->bytes, bytes, &z->bytes))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor bytes overflow", e->name);
    return OG_OK;
}

/* qi: og_qmix_prepare of each tensor's GGUF name (the same for every ftype). */
static og_status build_gguf(const og_catalog_entry *e, uint32_t ftype, const tlist *l,
                            const og_qmix_tensor *qi, og_model *m, sizes *z, og_error *err)
{
    const og_hparams *hp = &e->hp;
    og_qmix q;
    memset(&q, 0, sizeof q);
    q.ftype = ftype;
    q.n_layer_all = hp->n_layer_all;
    q.n_expert = hp->n_expert;
    q.n_gqa = hp->n_head_kv[0] ? hp->n_head[0] / hp->n_head_kv[0] : 0;
    q.has_imatrix = og_qmix_needs_imatrix(ftype);
    /* llama.cpp src/models/llama.cpp, qwen2.cpp: 80 layers -> LLM_TYPE_70B */
    q.is_70b = hp->n_layer_all == 80 &&
               (!strcmp(hp->arch, "llama") || !strcmp(hp->arch, "qwen2")) &&
               (strcmp(hp->arch, "llama") || hp->n_head[0] != hp->n_head_kv[0]);
    for (size_t i = 0; i < l->n; i++)
        if (l->t[i].gguf[0])
            og_qmix_count(&q, &qi[i]);
    uint64_t params = 0;
    for (size_t i = 0; i < l->n; i++) {
        const ctensor *t = &l->t[i];
        if (!t->gguf[0])
            continue;
        uint32_t ty = og_qmix_type(&q, &qi[i], t->ne[0], t->ne[2], t->src);
        int ok = 1;
        uint64_t row = og_ggml_row_bytes(ty, t->ne[0], &ok), rows = t->ne[1] * t->ne[2], bytes;
        uint64_t n_el = t->ne[0] * rows;
        if (!ok || !og_mul_u64(row, rows, &bytes))
            return og_error_set(err, OG_ERR_INVALID,
                                "catalog %s: tensor %s: %llu columns do not fit type %s", e->name,
                                t->gguf, (unsigned long long)t->ne[0], type_name(ty));
        params += n_el;
        og_status st = count_tensor(e, m, z, t->gguf, type_name(ty), (int32_t)ty, t->n_dims, t->ne,
                                    n_el, bytes, err);
        if (st != OG_OK)
            return st;
    }
    z->params = params;
    if (!m)
        return OG_OK;
    m->n_params = params;
    m->gguf_file_type = ftype;
    m->hp = *hp;
    return OG_OK;
}

static og_status build_mlx(const og_catalog_entry *e, uint32_t bits, const tlist *l, og_model *m,
                           sizes *z, og_error *err)
{
    const uint64_t gs = 64;
    const char *fdt = !strcmp(e->torch_dtype, "float16") ? "F16" : "BF16";
    uint64_t params = 0;
    char nm[128] = "";
    for (size_t i = 0; i < l->n; i++) {
        const ctensor *t = &l->t[i];
        if (!t->mlx[0] || t->mlx_kind == MLX_SKIP)
            continue;
        uint64_t shape[3];
        for (uint32_t d = 0; d < t->n_dims; d++)
            shape[d] = t->ne[t->n_dims - 1 - d]; /* row-major */
        uint64_t in = t->ne[0], rows = t->ne[1] * t->ne[2], n_el = in * rows;
        params += n_el;
        uint32_t b = t->mlx_kind == MLX_Q8 && bits < 16 ? 8 : bits;
        int quant = bits < 16 && (t->mlx_kind == MLX_Q || t->mlx_kind == MLX_Q8) && in % gs == 0;
        int is_module = t->mlx_kind == MLX_Q || t->mlx_kind == MLX_Q8;
        og_status st;
        if (!quant) {
            if (m)
                name_cat(nm, sizeof nm, t->mlx, is_module ? ".weight" : "");
            st = count_tensor(e, m, z, nm, fdt, -1, t->n_dims, shape, n_el, n_el * 2, err);
            if (st != OG_OK)
                return st;
            continue;
        }
        uint64_t packed[3], groups[3];
        memcpy(packed, shape, sizeof packed);
        memcpy(groups, shape, sizeof groups);
        packed[t->n_dims - 1] = in * b / 32;
        groups[t->n_dims - 1] = in / gs;
        uint64_t ng = rows * (in / gs);
        if (m)
            name_cat(nm, sizeof nm, t->mlx, ".weight");
        if ((st = count_tensor(e, m, z, nm, "U32", -1, t->n_dims, packed, n_el,
                               rows * (in * b / 32) * 4, err)) != OG_OK)
            return st;
        if (m)
            name_cat(nm, sizeof nm, t->mlx, ".scales");
        if ((st = count_tensor(e, m, z, nm, fdt, -1, t->n_dims, groups, ng, ng * 2, err)) != OG_OK)
            return st;
        if (m)
            name_cat(nm, sizeof nm, t->mlx, ".biases");
        if ((st = count_tensor(e, m, z, nm, fdt, -1, t->n_dims, groups, ng, ng * 2, err)) != OG_OK)
            return st;
    }
    z->params = params;
    if (!m)
        return OG_OK;
    m->n_params = params;
    m->gguf_file_type = UINT32_MAX;
    m->hp = e->hp;
    /* mlx-lm drops NextN/MTP layers */
    m->hp.n_layer_all = e->hp.n_layer;
    m->hp.n_nextn = 0;
    m->mlx.quantized = bits < 16;
    if (bits < 16) {
        m->mlx.bits = bits;
        m->mlx.group_size = (uint32_t)gs;
        og_strlcpy(m->mlx.mode, "affine", sizeof m->mlx.mode);
    }
    return OG_OK;
}

/* og_qmix_prepare of every tensor of the list (GGUF names). */
static og_qmix_tensor *prepare_all(const tlist *l)
{
    og_qmix_tensor *qi = malloc((l->n ? l->n : 1) * sizeof *qi);
    for (size_t i = 0; qi && i < l->n; i++)
        og_qmix_prepare(&qi[i], l->t[i].gguf, l->t[i].n_dims);
    return qi;
}

struct og_catalog_gen {
    const og_catalog_entry *e;
    tlist l;
    og_qmix_tensor *qi; /* GGUF names prepared, made on first use */
};

og_status og_catalog_gen_new(const og_catalog_entry *e, og_catalog_gen **out, og_error *err)
{
    *out = NULL;
    if (!e)
        return og_error_set(err, OG_ERR_INVALID, "catalog: bad entry");
    og_catalog_gen *g = calloc(1, sizeof *g);
    if (!g)
        return og_error_set(err, OG_ERR_NOMEM, "catalog %s: out of memory", e->name);
    g->e = e;
    og_status st = gen_all(e, &g->l, err);
    if (st != OG_OK) {
        og_catalog_gen_free(g);
        return st;
    }
    *out = g;
    return OG_OK;
}

void og_catalog_gen_free(og_catalog_gen *g)
{
    if (!g)
        return;
    free(g->qi);
    free(g->l.t);
    free(g);
}

static og_status gen_prepare(og_catalog_gen *g, og_error *err)
{
    if (!g->qi && !(g->qi = prepare_all(&g->l)))
        return og_error_set(err, OG_ERR_NOMEM, "catalog %s: out of memory", g->e->name);
    return OG_OK;
}

og_status og_catalog_gen_sizes(og_catalog_gen *g, int mlx, uint64_t weight_bytes[OG_BUILD_COUNT],
                               uint64_t n_params[OG_BUILD_COUNT], og_error *err)
{
    for (int i = 0; i < OG_BUILD_COUNT; i++)
        weight_bytes[i] = n_params[i] = 0;
    const og_catalog_entry *e = g->e;
    og_status st = mlx ? OG_OK : gen_prepare(g, err);
    for (int i = 0; i < OG_BUILD_COUNT && st == OG_OK; i++) {
        og_catalog_build b = (og_catalog_build)i;
        if (builds[i].mlx != !!mlx || !og_catalog_has_build(e, b))
            continue;
        sizes z = {0, 0};
        st = mlx ? build_mlx(e, builds[i].bits, &g->l, NULL, &z, err)
                 : build_gguf(e, builds[i].ftype, &g->l, g->qi, NULL, &z, err);
        if (st == OG_OK) {
            weight_bytes[i] = z.bytes;
            n_params[i] = z.params;
        } else if (st != OG_ERR_NOMEM) {
            st = OG_OK; /* this build cannot be made (og_catalog_model fails): 0 */
        }
    }
    return st;
}

og_status og_catalog_gen_model(og_catalog_gen *g, og_catalog_build b, og_model **out, og_error *err)
{
    *out = NULL;
    const og_catalog_entry *e = g->e;
    if ((unsigned)b >= OG_BUILD_COUNT)
        return og_error_set(err, OG_ERR_INVALID, "catalog: bad entry or build");
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: no %s build (MXFP4 files exist only for mixtures of experts)",
                            e->name, builds[b].name);
    og_status st = builds[b].mlx ? OG_OK : gen_prepare(g, err);
    og_model *m = NULL;
    if (st == OG_OK) {
        m = og_model_new(OG_FORMAT_CATALOG, e->name);
        if (!m)
            st = og_error_set(err, OG_ERR_NOMEM, "catalog %s: out of memory", e->name);
    }
    if (st == OG_OK && !(m->name = og_strdup(e->display)))
        st = og_error_set(err, OG_ERR_NOMEM, "catalog %s: out of memory", e->name);
    if (st == OG_OK)
        st = og_model_reserve_tensors(m, g->l.n * 3, err);
    sizes z = {0, 0};
    if (st == OG_OK)
        st = builds[b].mlx ? build_mlx(e, builds[b].bits, &g->l, m, &z, err)
                           : build_gguf(e, builds[b].ftype, &g->l, g->qi, m, &z, err);
    if (st == OG_OK)
        st = og_model_summarize(m, err);
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    og_strlcpy(m->quant_label, builds[b].name, sizeof m->quant_label);
    og_strlcpy(m->dtype, e->torch_dtype, sizeof m->dtype);
    *out = m;
    return OG_OK;
}

og_status og_catalog_model(const og_catalog_entry *e, og_catalog_build b, og_model **out,
                           og_error *err)
{
    *out = NULL;
    if (!e || (unsigned)b >= OG_BUILD_COUNT)
        return og_error_set(err, OG_ERR_INVALID, "catalog: bad entry or build");
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: no %s build (MXFP4 files exist only for mixtures of experts)",
                            e->name, builds[b].name);
    og_catalog_gen *g = NULL;
    og_status st = og_catalog_gen_new(e, &g, err);
    if (st == OG_OK)
        st = og_catalog_gen_model(g, b, out, err);
    og_catalog_gen_free(g);
    return st;
}
