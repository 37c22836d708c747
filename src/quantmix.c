/* GGUF quantization mix: the type llama-quantize gives each tensor.
 *
 * Follows llama.cpp src/llama-quant.cpp (llama.cpp as bundled in
 * node-llama-cpp 3.21.1, source dated 2026-09-12): tensor_allows_quantization,
 * tensor_get_category, llama_tensor_get_type_impl (the per-ftype rules:
 * use_more_bits, the 8-expert and 70B bumps, output/token_embd handling),
 * tensor_type_fallback (row length not a multiple of the block size) and
 * llama_ftype_get_default_type and tensor_requires_imatrix, for every
 * llama_ftype people download: Q2_K(_S), Q3_K_S/M/L, Q4_0/1, Q4_K_S/M,
 * Q5_0/1, Q5_K_S/M, Q6_K, Q8_0, IQ1_S/M, IQ2_XXS/XS/S/M, IQ3_XXS/XS/S/M,
 * IQ4_NL/XS, MXFP4_MOE, BF16 and F16. The importance matrix: present for the
 * ftypes llama-quantize refuses to make without one (og_qmix_needs_imatrix),
 * absent for the others (as llama-quantize without --imatrix makes them).
 * The Falcon-only branches are left out (the catalog has no Falcon).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "quantmix.h"

typedef enum cat {
    CAT_OTHER = 0,
    CAT_OUTPUT,
    CAT_TOKEN_EMBD,
    CAT_ATTN_QKV,
    CAT_ATTN_KV_B,
    CAT_ATTN_V,
    CAT_ATTN_K,
    CAT_ATTN_Q,
    CAT_ATTN_OUTPUT,
    CAT_FFN_UP,
    CAT_FFN_GATE,
    CAT_FFN_DOWN
} cat;

/* llama-quant.cpp tensor_get_category: substring tests in this order. */
static cat category(const char *n)
{
    if (strcmp(n, "output.weight") == 0)
        return CAT_OUTPUT;
    if (strcmp(n, "token_embd.weight") == 0 || strcmp(n, "per_layer_token_embd.weight") == 0)
        return CAT_TOKEN_EMBD;
    if (strstr(n, "attn_qkv.weight"))
        return CAT_ATTN_QKV;
    if (strstr(n, "attn_kv_b.weight"))
        return CAT_ATTN_KV_B;
    if (strstr(n, "attn_v.weight"))
        return CAT_ATTN_V;
    if (strstr(n, "attn_k.weight"))
        return CAT_ATTN_K;
    if (strstr(n, "attn_q.weight"))
        return CAT_ATTN_Q;
    if (strstr(n, "attn_output.weight"))
        return CAT_ATTN_OUTPUT;
    if (strstr(n, "ffn_up"))
        return CAT_FFN_UP;
    if (strstr(n, "ffn_gate"))
        return CAT_FFN_GATE;
    if (strstr(n, "ffn_down"))
        return CAT_FFN_DOWN;
    return CAT_OTHER;
}

static int is_attn_v(cat c)
{
    return c == CAT_ATTN_V || c == CAT_ATTN_QKV || c == CAT_ATTN_KV_B;
}

static uint32_t block_size(uint32_t t)
{
    switch (t) {
    case OG_GGML_Q2_K:
    case OG_GGML_Q3_K:
    case OG_GGML_Q4_K:
    case OG_GGML_Q5_K:
    case OG_GGML_Q6_K:
    case OG_GGML_IQ2_XXS:
    case OG_GGML_IQ2_XS:
    case OG_GGML_IQ2_S:
    case OG_GGML_IQ3_XXS:
    case OG_GGML_IQ3_S:
    case OG_GGML_IQ1_S:
    case OG_GGML_IQ1_M:
    case OG_GGML_IQ4_XS:
        return 256;
    case OG_GGML_Q4_0:
    case OG_GGML_Q4_1:
    case OG_GGML_Q5_0:
    case OG_GGML_Q5_1:
    case OG_GGML_Q8_0:
    case OG_GGML_IQ4_NL:
    case OG_GGML_MXFP4:
        return 32;
    default:
        return 1;
    }
}

static int is_quantized(uint32_t t)
{
    return !(t == OG_GGML_F32 || t == OG_GGML_F16 || t == OG_GGML_BF16);
}

uint32_t og_qmix_default_type(uint32_t ftype)
{
    switch (ftype) {
    case OG_FTYPE_Q4_0:
        return OG_GGML_Q4_0;
    case OG_FTYPE_Q4_1:
        return OG_GGML_Q4_1;
    case OG_FTYPE_Q5_0:
        return OG_GGML_Q5_0;
    case OG_FTYPE_Q5_1:
        return OG_GGML_Q5_1;
    case OG_FTYPE_Q8_0:
        return OG_GGML_Q8_0;
    case OG_FTYPE_BF16:
        return OG_GGML_BF16;
    case OG_FTYPE_MXFP4_MOE:
        return OG_GGML_MXFP4;
    case OG_FTYPE_Q2_K_S:
    case OG_FTYPE_Q2_K:
        return OG_GGML_Q2_K;
    case OG_FTYPE_IQ3_XS:
        return OG_GGML_IQ3_S;
    case OG_FTYPE_Q3_K_S:
    case OG_FTYPE_Q3_K_M:
    case OG_FTYPE_Q3_K_L:
        return OG_GGML_Q3_K;
    case OG_FTYPE_Q4_K_S:
    case OG_FTYPE_Q4_K_M:
        return OG_GGML_Q4_K;
    case OG_FTYPE_Q5_K_S:
    case OG_FTYPE_Q5_K_M:
        return OG_GGML_Q5_K;
    case OG_FTYPE_Q6_K:
        return OG_GGML_Q6_K;
    case OG_FTYPE_IQ2_XXS:
        return OG_GGML_IQ2_XXS;
    case OG_FTYPE_IQ2_XS:
    case OG_FTYPE_IQ2_S:
        return OG_GGML_IQ2_XS;
    case OG_FTYPE_IQ2_M:
        return OG_GGML_IQ2_S;
    case OG_FTYPE_IQ3_XXS:
        return OG_GGML_IQ3_XXS;
    case OG_FTYPE_IQ1_S:
        return OG_GGML_IQ1_S;
    case OG_FTYPE_IQ1_M:
        return OG_GGML_IQ1_M;
    case OG_FTYPE_IQ4_NL:
        return OG_GGML_IQ4_NL;
    case OG_FTYPE_IQ4_XS:
        return OG_GGML_IQ4_XS;
    case OG_FTYPE_IQ3_S:
    case OG_FTYPE_IQ3_M:
        return OG_GGML_IQ3_S;
    default:
        return OG_GGML_F16;
    }
}

int og_qmix_needs_imatrix(uint32_t ftype)
{
    switch (ftype) {
    case OG_FTYPE_IQ1_S:
    case OG_FTYPE_IQ1_M:
    case OG_FTYPE_IQ2_XXS:
    case OG_FTYPE_IQ2_XS:
    case OG_FTYPE_IQ2_S:
    case OG_FTYPE_IQ2_M:
    case OG_FTYPE_IQ3_XXS:
    case OG_FTYPE_IQ3_XS: /* its attn_q/attn_k become IQ3_XXS */
    case OG_FTYPE_Q2_K_S:
        return 1;
    default:
        return 0;
    }
}

void og_qmix_count(og_qmix *q, const og_qmix_tensor *t)
{
    if (is_attn_v((cat)t->category))
        q->n_attention_wv++;
    if (t->category == CAT_OUTPUT)
        q->has_output = 1;
}

/* tensor_allows_quantization, for the tensor names the catalog generates. */
static int allows_quantization(const char *n, uint32_t n_dims)
{
    if (n_dims < 2)
        return 0;
    size_t l = strlen(n);
    if (l < 6 || strcmp(n + l - 6, "weight") != 0)
        return 0;
    if (strstr(n, "_norm.weight") || strstr(n, "ffn_gate_inp.weight") || strstr(n, "ssm_conv1d") ||
        strstr(n, "shortconv.conv.weight") || strstr(n, "altup") || strstr(n, "laurel") ||
        strstr(n, "per_layer_model_proj"))
        return 0;
    return 1;
}

static int use_more_bits(int i_layer, int n_layers)
{
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

/* layer_info: with experts the layer comes from the name (Mixtral's experts
 * are not in layer order), else the running counter. */
static int layer_of(const og_qmix *q, int counter, const og_qmix_tensor *t)
{
    if (q->n_expert > 1 && t->has_layer)
        return t->layer;
    return counter;
}

static int ft_in(uint32_t ft, const uint32_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == ft)
            return 1;
    return 0;
}
#define FT_IN(ft, ...)                                                                             \
    ft_in((ft), (const uint32_t[]){__VA_ARGS__},                                                   \
          sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

/* The 1-2 bit IQ ftypes' branch of llama_tensor_get_type_impl. */
static uint32_t low_iq_type(og_qmix *q, uint32_t t, cat c)
{
    uint32_t ft = q->ftype;
    int s_or_m = ft == OG_FTYPE_IQ2_S || ft == OG_FTYPE_IQ2_M;
    if (is_attn_v(c)) {
        if (q->n_gqa >= 4 || q->n_expert >= 4)
            t = OG_GGML_Q4_K;
        else
            t = s_or_m ? OG_GGML_IQ3_S : OG_GGML_Q2_K;
        q->i_attention_wv++;
    } else if (q->n_expert == 8 && c == CAT_ATTN_K) {
        t = OG_GGML_Q4_K;
    } else if (c == CAT_FFN_DOWN) {
        if (q->i_ffn_down < (int)q->n_layer_all / 8)
            t = s_or_m ? OG_GGML_IQ3_S : OG_GGML_Q2_K;
        q->i_ffn_down++;
    } else if (c == CAT_ATTN_OUTPUT) {
        if (q->n_expert == 8)
            t = OG_GGML_Q5_K;
        else if (ft == OG_FTYPE_IQ1_S || ft == OG_FTYPE_IQ1_M)
            t = OG_GGML_IQ2_XXS;
        else if (s_or_m)
            t = OG_GGML_IQ3_S;
    }
    return t;
}

static uint32_t attn_v_type(og_qmix *q, uint32_t t)
{
    uint32_t ft = q->ftype;
    int gqa4 = q->n_gqa >= 4;
    if (ft == OG_FTYPE_Q2_K)
        t = gqa4 ? OG_GGML_Q4_K : OG_GGML_Q3_K;
    else if (ft == OG_FTYPE_Q2_K_S && gqa4)
        t = OG_GGML_Q4_K;
    else if (ft == OG_FTYPE_IQ3_XXS)
        t = gqa4 ? OG_GGML_Q4_K : q->has_imatrix ? OG_GGML_IQ3_XXS : OG_GGML_IQ3_S;
    else if ((ft == OG_FTYPE_IQ3_XS || ft == OG_FTYPE_IQ3_S) && gqa4)
        t = OG_GGML_Q4_K;
    else if (ft == OG_FTYPE_IQ3_M)
        t = OG_GGML_Q4_K;
    else if (ft == OG_FTYPE_Q3_K_M)
        t = q->i_attention_wv < 2 ? OG_GGML_Q5_K : OG_GGML_Q4_K;
    else if (ft == OG_FTYPE_Q3_K_L)
        t = OG_GGML_Q5_K;
    else if ((ft == OG_FTYPE_IQ4_NL || ft == OG_FTYPE_IQ4_XS) && gqa4)
        t = OG_GGML_Q5_K;
    else if ((ft == OG_FTYPE_Q4_K_M || ft == OG_FTYPE_Q5_K_M) &&
             use_more_bits(q->i_attention_wv, q->n_attention_wv))
        t = OG_GGML_Q6_K;
    else if (ft == OG_FTYPE_Q4_K_S && q->i_attention_wv < 4)
        t = OG_GGML_Q5_K;
    if (q->is_70b && (t == OG_GGML_Q3_K || t == OG_GGML_Q4_K))
        t = OG_GGML_Q5_K;
    if (q->n_expert == 8)
        t = OG_GGML_Q8_0;
    q->i_attention_wv++;
    return t;
}

static uint32_t ffn_down_type(og_qmix *q, uint32_t t, const og_qmix_tensor *tn)
{
    uint32_t ft = q->ftype;
    int n_layer = (int)q->n_layer_all, i_layer = layer_of(q, q->i_ffn_down, tn);
    if (ft == OG_FTYPE_Q2_K)
        t = OG_GGML_Q3_K;
    else if (ft == OG_FTYPE_Q2_K_S) {
        if (i_layer < n_layer / 8)
            t = OG_GGML_Q4_K;
    } else if (ft == OG_FTYPE_IQ3_XXS && !q->has_imatrix)
        t = i_layer < n_layer / 8 ? OG_GGML_Q4_K : OG_GGML_Q3_K;
    else if (ft == OG_FTYPE_Q3_K_M)
        t = i_layer < n_layer / 16 ? OG_GGML_Q5_K : OG_GGML_Q4_K; /* non-Falcon */
    else if (ft == OG_FTYPE_IQ3_M &&
             (i_layer < n_layer / 8 || (q->n_expert == 8 && use_more_bits(i_layer, n_layer))))
        t = OG_GGML_Q4_K;
    else if (ft == OG_FTYPE_Q3_K_L)
        t = OG_GGML_Q5_K;
    else if (ft == OG_FTYPE_Q4_K_M) {
        if (use_more_bits(i_layer, n_layer))
            t = OG_GGML_Q6_K;
    } else if (i_layer < n_layer / 8 && (ft == OG_FTYPE_IQ4_NL || ft == OG_FTYPE_IQ4_XS) &&
               !q->has_imatrix)
        t = OG_GGML_Q5_K;
    else if (ft == OG_FTYPE_Q5_K_M && use_more_bits(i_layer, n_layer))
        t = OG_GGML_Q6_K;
    else if (ft == OG_FTYPE_Q4_K_S && i_layer < n_layer / 8)
        t = OG_GGML_Q5_K;
    else if ((ft == OG_FTYPE_Q4_0 || ft == OG_FTYPE_Q5_0) && q->has_imatrix &&
             i_layer < n_layer / 8)
        t = ft == OG_FTYPE_Q4_0 ? OG_GGML_Q4_1 : OG_GGML_Q5_1;
    q->i_ffn_down++;
    return t;
}

/* llama_tensor_get_type_impl (no user overrides, not --pure). */
static uint32_t get_type_impl(og_qmix *q, uint32_t t, const og_qmix_tensor *tn, uint64_t ne0,
                              uint64_t ne2)
{
    cat c = (cat)tn->category;
    uint32_t ft = q->ftype;
    int n_expert8 = q->n_expert == 8;
    int tied = !q->has_output;

    if (c == CAT_OUTPUT || (tied && c == CAT_TOKEN_EMBD)) {
        if (ft == OG_FTYPE_MXFP4_MOE || ne0 % block_size(t) != 0)
            t = OG_GGML_Q8_0;
        else if (FT_IN(ft, OG_FTYPE_IQ2_XXS, OG_FTYPE_IQ2_XS, OG_FTYPE_IQ3_XXS, OG_FTYPE_IQ1_S,
                       OG_FTYPE_IQ2_S, OG_FTYPE_IQ2_M, OG_FTYPE_IQ1_M))
            t = OG_GGML_Q5_K;
        else if (t != OG_GGML_Q8_0)
            t = OG_GGML_Q6_K;
    } else if (ft == OG_FTYPE_MXFP4_MOE) {
        /* expert tensors (3-D) MXFP4, everything else Q8_0 */
        t = ne2 > 1 ? OG_GGML_MXFP4 : OG_GGML_Q8_0;
    } else if (c == CAT_TOKEN_EMBD) {
        if (FT_IN(ft, OG_FTYPE_IQ2_XXS, OG_FTYPE_IQ2_XS, OG_FTYPE_IQ1_S, OG_FTYPE_IQ1_M))
            t = OG_GGML_Q2_K;
        else if (FT_IN(ft, OG_FTYPE_IQ2_S, OG_FTYPE_IQ2_M, OG_FTYPE_IQ3_XXS))
            t = OG_GGML_IQ3_S;
    } else if (FT_IN(ft, OG_FTYPE_IQ2_XXS, OG_FTYPE_IQ2_XS, OG_FTYPE_IQ1_S, OG_FTYPE_IQ2_S,
                     OG_FTYPE_IQ2_M, OG_FTYPE_IQ1_M)) {
        t = low_iq_type(q, t, c);
    } else if (is_attn_v(c)) {
        t = attn_v_type(q, t);
    } else if (c == CAT_ATTN_K) {
        if (n_expert8)
            t = OG_GGML_Q8_0;
        else if (ft == OG_FTYPE_IQ3_XS)
            t = OG_GGML_IQ3_XXS;
        else if (ft == OG_FTYPE_IQ3_XXS)
            t = OG_GGML_IQ2_S;
    } else if (c == CAT_ATTN_Q) {
        if (ft == OG_FTYPE_IQ3_XS)
            t = OG_GGML_IQ3_XXS;
        else if (ft == OG_FTYPE_IQ3_XXS)
            t = OG_GGML_IQ2_S;
    } else if (c == CAT_FFN_DOWN) {
        t = ffn_down_type(q, t, tn);
    } else if (c == CAT_ATTN_OUTPUT) {
        if (n_expert8) {
            if (FT_IN(ft, OG_FTYPE_Q2_K, OG_FTYPE_IQ3_XS, OG_FTYPE_IQ3_XXS, OG_FTYPE_Q3_K_S,
                      OG_FTYPE_Q3_K_M, OG_FTYPE_IQ4_NL, OG_FTYPE_Q4_K_S, OG_FTYPE_Q4_K_M,
                      OG_FTYPE_IQ3_S, OG_FTYPE_IQ3_M, OG_FTYPE_IQ4_XS))
                t = OG_GGML_Q5_K;
        } else if (ft == OG_FTYPE_Q2_K) {
            t = OG_GGML_Q3_K;
        } else if (ft == OG_FTYPE_IQ3_XXS) {
            t = OG_GGML_IQ3_S;
        } else if (ft == OG_FTYPE_Q3_K_M || ft == OG_FTYPE_IQ3_M) {
            t = OG_GGML_Q4_K;
        } else if (ft == OG_FTYPE_Q3_K_L) {
            t = OG_GGML_Q5_K;
        }
    } else if (c == CAT_FFN_GATE || c == CAT_FFN_UP) {
        int *ctr = c == CAT_FFN_GATE ? &q->i_ffn_gate : &q->i_ffn_up;
        int n_layer = (int)q->n_layer_all, i_layer = layer_of(q, *ctr, tn);
        if (ft == OG_FTYPE_IQ3_XS && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8)
            t = OG_GGML_IQ3_XXS;
        (*ctr)++;
    }
    /* attn_qkv is attention-V-like and handled above (the ATTENTION_QKV
     * branch of llama_tensor_get_type_impl is unreachable there too) */
    return t;
}

/* tensor_type_fallback */
static uint32_t fallback(uint32_t t, uint64_t ne0)
{
    if (ne0 % block_size(t) == 0)
        return t;
    uint32_t r;
    switch (t) {
    case OG_GGML_IQ1_S:
    case OG_GGML_IQ1_M:
    case OG_GGML_IQ2_XXS:
    case OG_GGML_IQ2_XS:
    case OG_GGML_IQ2_S:
    case OG_GGML_IQ3_XXS:
    case OG_GGML_IQ3_S:
    case OG_GGML_IQ4_XS:
        r = OG_GGML_IQ4_NL;
        break;
    case OG_GGML_Q2_K:
    case OG_GGML_Q3_K:
        r = OG_GGML_Q4_0;
        break;
    case OG_GGML_Q4_K:
        r = OG_GGML_Q5_0;
        break;
    case OG_GGML_Q5_K:
        r = OG_GGML_Q5_1;
        break;
    case OG_GGML_Q6_K:
        r = OG_GGML_Q8_0;
        break;
    default:
        r = t;
        break;
    }
    if (ne0 % block_size(r) != 0)
        r = OG_GGML_F16;
    return r;
}

/* llama-quant.cpp's sscanf(name, "blk.%d.") for the names the catalog
 * generates: "blk." then decimal digits then ".". */
static int blk_layer(const char *n, int *il)
{
    if (strncmp(n, "blk.", 4) != 0 || n[4] < '0' || n[4] > '9')
        return 0;
    long v = 0;
    const char *p = n + 4;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > INT_MAX)
            return 0;
    }
    *il = (int)v;
    return 1;
}

void og_qmix_prepare(og_qmix_tensor *t, const char *name, uint32_t n_dims)
{
    t->category = (int)category(name);
    t->allows = allows_quantization(name, n_dims);
    t->has_layer = blk_layer(name, &t->layer);
}

uint32_t og_qmix_type(og_qmix *q, const og_qmix_tensor *tn, uint64_t ne0, uint64_t ne2,
                      uint32_t source_type)
{
    if (!tn->allows)
        return source_type;
    /* The F16/BF16 files users download are convert_hf_to_gguf.py output:
     * experts that were MXFP4 in the checkpoint (gpt-oss) stay MXFP4 there. */
    if ((q->ftype == OG_FTYPE_F16 || q->ftype == OG_FTYPE_BF16) && source_type == OG_GGML_MXFP4)
        return source_type;
    uint32_t t = og_qmix_default_type(q->ftype);
    if (is_quantized(t)) {
        t = get_type_impl(q, t, tn, ne0, ne2);
        t = fallback(t, ne0);
    }
    return t;
}
