/* oomguard — one description of a model, whatever its source.
 *
 * Readers (GGUF, safetensors, MLX folders, Hugging Face config.json, the
 * built-in catalog, remote headers) all produce an og_model. Engine memory
 * models (llama.cpp, MLX) consume it and never look at files themselves.
 *
 * Ownership: og_model_open() and friends allocate; og_model_free() releases
 * everything the model owns (tensors, names, strings). Pointers into a model
 * stay valid until it is freed.
 */
#ifndef OOMGUARD_MODEL_H
#define OOMGUARD_MODEL_H

#include <stdint.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-layer arrays are fixed-size; a model that claims more layers is
 * rejected as bad input (the largest released models have under 200). */
#define OG_MAX_LAYERS 512
#define OG_MAX_DIMS 8
#define OG_ARCH_MAX 64

typedef enum og_format {
    OG_FORMAT_UNKNOWN = 0,
    OG_FORMAT_GGUF,
    OG_FORMAT_SAFETENSORS, /* plain (Hugging Face) safetensors, single or sharded */
    OG_FORMAT_MLX,         /* an mlx-lm folder: config.json + safetensors */
    OG_FORMAT_HF_CONFIG,   /* config.json alone, no weights */
    OG_FORMAT_CATALOG      /* a built-in or user catalog entry */
} og_format;

/* Short lower-case name: "gguf", "safetensors", "mlx", "hf-config", "catalog". */
OG_API const char *og_format_name(og_format format);

typedef enum og_swa_type {
    OG_SWA_NONE = 0,
    OG_SWA_STANDARD, /* sliding window */
    OG_SWA_CHUNKED,  /* Llama 4 chunked attention */
    OG_SWA_SYMMETRIC
} og_swa_type;

/* The hyper-parameters memory depends on. Zero means "absent / not
 * applicable" unless noted. Per-layer arrays cover n_layer_all entries. */
typedef struct og_hparams {
    char arch[OG_ARCH_MAX]; /* llama.cpp architecture name ("llama", "qwen3moe", ...) */
    uint32_t n_layer_all;   /* block_count, including NextN/MTP layers */
    uint32_t n_layer;       /* n_layer_all - n_nextn: layers in the main context */
    uint32_t n_nextn;       /* NextN / MTP layers at the end of the stack */
    uint64_t n_embd;
    uint64_t n_vocab;
    uint64_t n_ctx_train;

    uint32_t n_head[OG_MAX_LAYERS];      /* query heads per layer */
    uint32_t n_head_kv[OG_MAX_LAYERS];   /* KV heads per layer (0 = no KV on this layer) */
    uint64_t n_ff[OG_MAX_LAYERS];        /* dense FFN width per layer (0 = none) */
    uint8_t is_recurrent[OG_MAX_LAYERS]; /* 1 = Mamba/SSM/linear-attention/short-conv state layer */
    uint8_t is_swa[OG_MAX_LAYERS];       /* 1 = sliding-window (or chunked) layer */
    uint8_t is_moe[OG_MAX_LAYERS];       /* 1 = this layer's FFN is a mixture of experts */

    uint32_t head_dim_k; /* n_embd_head_k */
    uint32_t head_dim_v; /* n_embd_head_v */
    uint32_t head_dim_k_swa;
    uint32_t head_dim_v_swa;

    og_swa_type swa_type;
    uint32_t n_swa; /* window (tokens) */

    uint32_t n_expert;
    uint32_t n_expert_used;
    uint32_t n_expert_shared;
    uint64_t n_ff_exp;   /* per-expert FFN width */
    uint64_t n_ff_shexp; /* shared-expert FFN width */
    uint32_t n_leading_dense;

    /* MLA (DeepSeek 2/3, Kimi K2, GLM-4.7-Flash ...) */
    int is_mla;
    uint32_t q_lora_rank;
    uint32_t kv_lora_rank;
    uint32_t head_dim_k_mla; /* qk_nope + qk_rope */
    uint32_t head_dim_v_mla; /* v_head_dim */
    uint32_t n_rot;          /* rope dims (qk_rope_head_dim for MLA) */

    /* DeepSeek-V3.2-style indexer */
    uint32_t indexer_n_head;
    uint32_t indexer_head_dim;

    /* Recurrent / SSM state (llama.cpp naming) */
    uint32_t ssm_d_conv;
    uint32_t ssm_d_inner;
    uint32_t ssm_d_state;
    uint32_t ssm_dt_rank;
    uint32_t ssm_n_group;
    uint32_t shortconv_l_cache; /* LFM2 */
    uint32_t wkv_head_size;     /* RWKV */
    uint32_t token_shift_count; /* RWKV */

    uint32_t
        n_layer_kv_from_start; /* Gemma 3n/4 shared-KV tail: layers >= this own no KV (0 = all) */

    int tied_embeddings; /* 1 = output projection shares token embeddings */
    int causal;          /* 0 for encoder-only models (no KV cache) */
} og_hparams;

/* One tensor as stored. */
typedef struct og_tensor {
    char *name;
    const char *type_name; /* static: ggml type name ("q4_K") or safetensors dtype ("BF16") */
    int32_t ggml_type;     /* ggml type id, or -1 for non-GGUF tensors */
    uint32_t n_dims;
    uint64_t dims[OG_MAX_DIMS]; /* GGUF: ggml order (dims[0] innermost); safetensors: row-major */
    uint64_t n_elements;        /* logical elements (MLX packed weights: unpacked count) */
    uint64_t bytes;             /* bytes stored */
    uint64_t offset;            /* absolute offset in its file */
    uint32_t file_index;        /* which shard */
} og_tensor;

typedef struct og_type_bytes {
    const char *type_name; /* static */
    uint64_t bytes;
    uint64_t n_elements;
    uint32_t n_tensors;
} og_type_bytes;

/* MLX quantization, as config.json "quantization" describes it. */
typedef struct og_mlx_quant {
    int quantized;        /* 0 = unquantized */
    uint32_t bits;        /* model-wide default */
    uint32_t group_size;  /* model-wide default */
    char mode[16];        /* "affine", "mxfp4", "nvfp4", "mxfp8" */
    uint32_t n_overrides; /* per-module overrides present in config.json */
} og_mlx_quant;

typedef struct og_model {
    og_format format;
    char *path;            /* what the user named (file, folder, catalog name) */
    char *name;            /* general.name or the repo/folder name, may be NULL */
    uint32_t n_files;      /* files read (shards) */
    uint64_t file_bytes;   /* sum of file sizes on disk (0 when there are no files) */
    uint64_t weight_bytes; /* sum of tensor bytes */
    uint64_t n_params;     /* logical parameters */

    og_hparams hp;
    int hparams_fallback; /* 1 = architecture unknown; hparams guessed from a generic shape */

    size_t n_tensors;
    og_tensor *tensors;

    size_t n_types;
    og_type_bytes *by_type; /* sorted by bytes, descending */

    /* Format-specific extras */
    uint32_t gguf_version;
    uint32_t gguf_file_type; /* general.file_type (llama_ftype), or UINT32_MAX */
    uint32_t gguf_alignment;
    uint64_t gguf_n_kv;   /* metadata pairs in the first file */
    char quant_label[32]; /* "Q4_K_M", "mlx-4bit", "BF16", ... best guess for display */
    char dtype[16];       /* safetensors / HF torch_dtype ("bfloat16") */
    og_mlx_quant mlx;
} og_model;

/* Open a model from a path: a .gguf file (split files found and read
 * together), a .safetensors file, a folder (MLX or Hugging Face layout), or a
 * config.json. Reads headers only: never the tensor data. On failure *out is
 * NULL and err names the file and what is wrong (OG_ERR_INVALID for malformed
 * input, OG_ERR_IO / OG_ERR_NOT_FOUND for files). */
OG_API og_status og_model_open(const char *path, og_model **out, og_error *err);

/* Format-specific entry points (og_model_open dispatches to these). */
OG_API og_status og_gguf_open(const char *path, og_model **out, og_error *err);
OG_API og_status og_safetensors_open(const char *path, og_model **out, og_error *err);
OG_API og_status og_folder_open(const char *dir, og_model **out, og_error *err);
OG_API og_status og_hf_config_open(const char *path, og_model **out, og_error *err);

/* Parse from memory (fuzzing, remote headers). `name` is used in messages.
 * For GGUF the buffer holds at least the header; tensor data may be absent
 * and file_size gives the whole file's size (0 = unknown: skip the check
 * that tensors lie inside the file). */
OG_API og_status og_gguf_parse_buffer(const void *buf, size_t len, uint64_t file_size,
                                      const char *name, og_model **out, og_error *err);
OG_API og_status og_safetensors_parse_buffer(const void *buf, size_t len, uint64_t file_size,
                                             const char *name, og_model **out, og_error *err);
OG_API og_status og_hf_config_parse_buffer(const char *json, size_t len, const char *name,
                                           og_model **out, og_error *err);

OG_API void og_model_free(og_model *model);

/* Recompute by_type, weight_bytes from the tensor list. */
OG_API og_status og_model_summarize(og_model *model, og_error *err);

/* Bytes held by tensors of one ggml type name or dtype, 0 if none. */
OG_API uint64_t og_model_type_bytes(const og_model *model, const char *type_name);

/* ggml tensor types (table from ggml src/ggml.c type_traits, ggml master 2026-08). */
typedef struct og_ggml_type_info {
    const char *name;
    uint32_t block_size; /* elements per block; 0 = removed/invalid type */
    uint32_t bytes_per_block;
} og_ggml_type_info;

#define OG_GGML_TYPE_COUNT 43
/* NULL for an id out of range or a removed type. */
OG_API const og_ggml_type_info *og_ggml_type(uint32_t id);
/* Id for a (case-insensitive) name such as "q8_0", or -1. */
OG_API int og_ggml_type_from_name(const char *name);
/* Bytes for a row of n elements of type id (n must be a multiple of the
 * block size); returns 0 and sets *ok = 0 on overflow or bad input. */
OG_API uint64_t og_ggml_row_bytes(uint32_t id, uint64_t n, int *ok);

#ifdef __cplusplus
}
#endif
#endif
