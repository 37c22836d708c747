/* Quantization mixes: which tensor gets which type in a GGUF quantized with
 * llama-quantize, and which modules mlx-lm quantizes. Internal. */
#ifndef OG_QUANTMIX_H
#define OG_QUANTMIX_H

#include <stdint.h>

/* ggml type ids (ggml/include/ggml.h enum ggml_type). */
enum {
    OG_GGML_F32 = 0,
    OG_GGML_F16 = 1,
    OG_GGML_Q4_0 = 2,
    OG_GGML_Q4_1 = 3,
    OG_GGML_Q5_0 = 6,
    OG_GGML_Q5_1 = 7,
    OG_GGML_Q8_0 = 8,
    OG_GGML_Q2_K = 10,
    OG_GGML_Q3_K = 11,
    OG_GGML_Q4_K = 12,
    OG_GGML_Q5_K = 13,
    OG_GGML_Q6_K = 14,
    OG_GGML_IQ2_XXS = 16,
    OG_GGML_IQ2_XS = 17,
    OG_GGML_IQ3_XXS = 18,
    OG_GGML_IQ1_S = 19,
    OG_GGML_IQ4_NL = 20,
    OG_GGML_IQ3_S = 21,
    OG_GGML_IQ2_S = 22,
    OG_GGML_IQ4_XS = 23,
    OG_GGML_IQ1_M = 29,
    OG_GGML_BF16 = 30,
    OG_GGML_MXFP4 = 39
};

/* llama_ftype values (llama.cpp include/llama.h) for the mixes the catalog offers. */
enum {
    OG_FTYPE_F16 = 1,
    OG_FTYPE_Q4_0 = 2,
    OG_FTYPE_Q4_1 = 3,
    OG_FTYPE_Q8_0 = 7,
    OG_FTYPE_Q5_0 = 8,
    OG_FTYPE_Q5_1 = 9,
    OG_FTYPE_Q2_K = 10,
    OG_FTYPE_Q3_K_S = 11,
    OG_FTYPE_Q3_K_M = 12,
    OG_FTYPE_Q3_K_L = 13,
    OG_FTYPE_Q4_K_S = 14,
    OG_FTYPE_Q4_K_M = 15,
    OG_FTYPE_Q5_K_S = 16,
    OG_FTYPE_Q5_K_M = 17,
    OG_FTYPE_Q6_K = 18,
    OG_FTYPE_IQ2_XXS = 19,
    OG_FTYPE_IQ2_XS = 20,
    OG_FTYPE_Q2_K_S = 21,
    OG_FTYPE_IQ3_XS = 22,
    OG_FTYPE_IQ3_XXS = 23,
    OG_FTYPE_IQ1_S = 24,
    OG_FTYPE_IQ4_NL = 25,
    OG_FTYPE_IQ3_S = 26,
    OG_FTYPE_IQ3_M = 27,
    OG_FTYPE_IQ2_S = 28,
    OG_FTYPE_IQ2_M = 29,
    OG_FTYPE_IQ4_XS = 30,
    OG_FTYPE_IQ1_M = 31,
    OG_FTYPE_BF16 = 32,
    OG_FTYPE_MXFP4_MOE = 38
};

/* What llama-quantize knows about the model while it picks types
 * (src/llama-quant.cpp quantize_state_impl). */
typedef struct og_qmix {
    uint32_t ftype;
    uint32_t n_layer_all; /* n_ffn_down = n_ffn_gate = n_ffn_up */
    uint32_t n_expert;
    uint32_t n_gqa;     /* n_head / n_head_kv of layer 0 */
    int is_70b;         /* llama.cpp LLM_TYPE_70B (80-layer llama/qwen2 GQA) */
    int has_output;     /* an output.weight exists (else embeddings are tied) */
    int n_attention_wv; /* attn_v / attn_qkv / attn_kv_b tensors */
    int i_attention_wv;
    int i_ffn_down, i_ffn_gate, i_ffn_up;
    int has_imatrix; /* og_qmix_needs_imatrix(ftype) */
} og_qmix;

/* What the type rules read from a tensor's name, worked out once
 * (og_qmix_prepare): the catalog picks types for the same tensor list under
 * every ftype. */
typedef struct og_qmix_tensor {
    int category;  /* tensor_get_category */
    int allows;    /* tensor_allows_quantization (for n_dims) */
    int has_layer; /* the name is "blk.N." ... */
    int layer;     /* ... N */
} og_qmix_tensor;
void og_qmix_prepare(og_qmix_tensor *t, const char *name, uint32_t n_dims);

/* Count attention-V-like tensors: call once per tensor, in file order,
 * before picking types. */
void og_qmix_count(og_qmix *q, const og_qmix_tensor *t);

/* The type llama-quantize stores a tensor as (t: og_qmix_prepare of its
 * name and n_dims). source_type is the type in the unquantized GGUF (F32 for
 * norms, routers and biases; F16/BF16 for weights; MXFP4 for gpt-oss
 * experts). ne0 = row length, ne2 = experts (1 if 2-D). Returns a ggml type
 * id. Call in file order (counters advance). */
uint32_t og_qmix_type(og_qmix *q, const og_qmix_tensor *t, uint64_t ne0, uint64_t ne2,
                      uint32_t source_type);

/* The default type of an ftype (llama_ftype_get_default_type). */
uint32_t og_qmix_default_type(uint32_t ftype);

/* Whether published files of this ftype are made with an importance matrix:
 * 1 where llama-quantize refuses to make them without one (tensor types
 * IQ1_S/IQ1_M/IQ2_XXS/IQ2_XS/IQ2_S/IQ3_XXS, Q2_K in Q2_K_S). */
int og_qmix_needs_imatrix(uint32_t ftype);

#endif
