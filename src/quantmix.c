/* GGUF quantization mix: the type llama-quantize gives each tensor.
 *
 * Follows llama.cpp src/llama-quant.cpp (llama.cpp as bundled in
 * node-llama-cpp 3.21.1, source dated 2026-09-12): tensor_allows_quantization,
 * tensor_get_category, llama_tensor_get_type_impl (the per-ftype rules:
 * use_more_bits, the 8-expert and 70B bumps, output/token_embd handling),
 * tensor_type_fallback (row length not a multiple of the block size) and
 * llama_ftype_get_default_type. Only the ftypes the catalog offers are
 * implemented (Q2_K, Q3_K_M, Q4_0, IQ4_XS, Q4_K_M, Q5_K_M, Q6_K, Q8_0, F16),
 * without an importance matrix (has_imatrix = false), as published files
 * from llama-quantize without --imatrix are made.
 */
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
    case OG_FTYPE_Q8_0:
        return OG_GGML_Q8_0;
    case OG_FTYPE_F16:
        return OG_GGML_F16;
    case OG_FTYPE_Q2_K:
        return OG_GGML_Q2_K;
    case OG_FTYPE_Q3_K_M:
        return OG_GGML_Q3_K;
    case OG_FTYPE_Q4_K_M:
        return OG_GGML_Q4_K;
    case OG_FTYPE_Q5_K_M:
        return OG_GGML_Q5_K;
    case OG_FTYPE_Q6_K:
        return OG_GGML_Q6_K;
    case OG_FTYPE_IQ4_XS:
        return OG_GGML_IQ4_XS;
    default:
        return OG_GGML_F16;
    }
}

void og_qmix_count(og_qmix *q, const char *name)
{
    cat c = category(name);
    if (is_attn_v(c))
        q->n_attention_wv++;
    if (c == CAT_OUTPUT)
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
        strstr(n, "shortconv.conv.weight"))
        return 0;
    return 1;
}

static int use_more_bits(int i_layer, int n_layers)
{
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

/* llama_tensor_get_type_impl for the offered ftypes (no imatrix). */
static uint32_t get_type_impl(og_qmix *q, uint32_t new_type, const char *name, uint64_t ne0, cat c)
{
    uint32_t ft = q->ftype;
    int n_expert8 = q->n_expert == 8;
    int tied = !q->has_output;

    if (c == CAT_OUTPUT || (tied && c == CAT_TOKEN_EMBD)) {
        if (ne0 % block_size(new_type) != 0)
            new_type = OG_GGML_Q8_0;
        else if (new_type != OG_GGML_Q8_0)
            new_type = OG_GGML_Q6_K;
    } else if (c == CAT_TOKEN_EMBD) {
        /* only IQ1/IQ2/TQ ftypes change the embeddings */
    } else if (is_attn_v(c)) {
        if (ft == OG_FTYPE_Q2_K)
            new_type = q->n_gqa >= 4 ? OG_GGML_Q4_K : OG_GGML_Q3_K;
        else if (ft == OG_FTYPE_Q3_K_M)
            new_type = q->i_attention_wv < 2 ? OG_GGML_Q5_K : OG_GGML_Q4_K;
        else if (ft == OG_FTYPE_IQ4_XS && q->n_gqa >= 4)
            new_type = OG_GGML_Q5_K;
        else if ((ft == OG_FTYPE_Q4_K_M || ft == OG_FTYPE_Q5_K_M) &&
                 use_more_bits(q->i_attention_wv, q->n_attention_wv))
            new_type = OG_GGML_Q6_K;
        if (q->is_70b && (new_type == OG_GGML_Q3_K || new_type == OG_GGML_Q4_K))
            new_type = OG_GGML_Q5_K;
        if (n_expert8)
            new_type = OG_GGML_Q8_0;
        q->i_attention_wv++;
    } else if (c == CAT_ATTN_K) {
        if (n_expert8)
            new_type = OG_GGML_Q8_0;
    } else if (c == CAT_ATTN_Q) {
        /* only IQ3 ftypes */
    } else if (c == CAT_FFN_DOWN) {
        int i_layer = q->i_ffn_down, n_layer = (int)q->n_layer_all;
        if (q->n_expert > 1) {
            /* layer_info: the layer comes from the name */
            int il;
            if (sscanf(name, "blk.%d.", &il) == 1)
                i_layer = il;
        }
        if (ft == OG_FTYPE_Q2_K)
            new_type = OG_GGML_Q3_K;
        else if (ft == OG_FTYPE_Q3_K_M)
            new_type = i_layer < n_layer / 16 ? OG_GGML_Q5_K : OG_GGML_Q4_K;
        else if (ft == OG_FTYPE_Q4_K_M) {
            if (use_more_bits(i_layer, n_layer))
                new_type = OG_GGML_Q6_K;
        } else if (i_layer < n_layer / 8 && ft == OG_FTYPE_IQ4_XS)
            new_type = OG_GGML_Q5_K;
        else if (ft == OG_FTYPE_Q5_K_M && use_more_bits(i_layer, n_layer))
            new_type = OG_GGML_Q6_K;
        q->i_ffn_down++;
    } else if (c == CAT_ATTN_OUTPUT) {
        if (n_expert8) {
            if (ft == OG_FTYPE_Q2_K || ft == OG_FTYPE_Q3_K_M || ft == OG_FTYPE_Q4_K_M ||
                ft == OG_FTYPE_IQ4_XS)
                new_type = OG_GGML_Q5_K;
        } else {
            if (ft == OG_FTYPE_Q2_K)
                new_type = OG_GGML_Q3_K;
            else if (ft == OG_FTYPE_Q3_K_M)
                new_type = OG_GGML_Q4_K;
        }
    } else if (c == CAT_ATTN_QKV) {
        /* unreachable: attn_qkv is attention-V-like and handled above */
    }
    return new_type;
}

/* tensor_type_fallback */
static uint32_t fallback(uint32_t t, uint64_t ne0)
{
    if (ne0 % block_size(t) == 0)
        return t;
    uint32_t r;
    switch (t) {
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

uint32_t og_qmix_type(og_qmix *q, const char *name, uint32_t n_dims, uint64_t ne0, uint64_t ne2,
                      uint32_t source_type)
{
    (void)ne2;
    if (!allows_quantization(name, n_dims))
        return source_type;
    /* The F16 files users download are convert_hf_to_gguf.py output: experts
     * that were MXFP4 in the checkpoint (gpt-oss) stay MXFP4 there. */
    if (q->ftype == OG_FTYPE_F16 && source_type == OG_GGML_MXFP4)
        return source_type;
    uint32_t t = og_qmix_default_type(q->ftype);
    if (is_quantized(t)) {
        t = get_type_impl(q, t, name, ne0, category(name));
        t = fallback(t, ne0);
    }
    return t;
}
