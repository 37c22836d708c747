/* oomguard — the MLX (mlx-lm) memory model: what mlx-lm needs on a Mac.
 *
 * Follows mlx-lm 0.32.0 (ml-explore/mlx-lm d78bf58, 2026-08-22) and MLX 0.32.2
 * (ml-explore/mlx 846d176, 2026-08-22); each formula in src/mlx_*.c names the
 * source file it follows. docs/MLX.md explains every term and which are
 * derived from the sources and which are fitted to public measurements.
 *
 * Terms (bytes):
 *   weights  the arrays of the model as MLX allocates them: exact tensor bytes
 *            of an MLX folder, or what `mlx_lm.convert -q` would write for an
 *            unquantized model, each buffer rounded to the 16 KiB page
 *            (mlx/backend/metal/allocator.cpp).
 *   kv       mlx-lm's caches at the end of the run (steady state).
 *   compute  the transient at the worst moment (a prefill chunk of
 *            --prefill-step-size tokens, or a decode step): the buffers MLX's
 *            in-flight command buffers hold (activations, KV buffers replaced
 *            by a growth; mlx/backend/metal/eval.cpp, device.cpp,
 *            mlx/transforms.cpp), unfused attention scores, logits.
 *   peak     weights + KV at that moment + compute: what mlx-lm prints as
 *            "Peak memory" (mx.get_peak_memory(), active bytes; MLX's buffer
 *            cache is not in it — see docs/MLX.md).
 *
 * Pure functions: nothing here reads files or the machine.
 */
#ifndef OOMGUARD_MLX_H
#define OOMGUARD_MLX_H

#include <stdint.h>

#include "machine.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Settings, in mlx-lm's words (mlx_lm/generate.py and mlx_lm/server.py). */
typedef struct og_mlx_settings {
    uint64_t ctx;                /* prompt + generated tokens per sequence (0 = 4096) */
    uint64_t prompt_tokens;      /* tokens arriving as prompt (0 = ctx: the worst case) */
    uint64_t max_kv_size;        /* --max-kv-size (0 = unbounded) */
    uint32_t kv_bits;            /* --kv-bits (0 = off; 2, 3, 4, 5, 6, 8) */
    uint32_t kv_group_size;      /* --kv-group-size (64) */
    uint64_t quantized_kv_start; /* --quantized-kv-start (5000 on the CLI) */
    uint32_t prefill_step_size;  /* --prefill-step-size (2048) */
    uint32_t batch;              /* sequences decoded together (1; server: up to 32) */
    /* mlx_lm.server LRU prompt cache: entries kept (--prompt-cache-size,
     * 0 = not counted) and their byte cap (--prompt-cache-bytes, 0 = none).
     * Each entry is counted as one sequence of ctx tokens. */
    uint32_t prompt_cache_entries;
    uint64_t prompt_cache_bytes;
    /* Hypothetical conversion (`mlx_lm.convert -q`): q_bits 0 = use the model
     * as stored (MLX folders as they are; safetensors unquantized in their
     * dtype; GGUF and catalog entries as the 4-bit build). */
    uint32_t q_bits;       /* --q-bits: 2, 3, 4, 5, 6, 8 */
    uint32_t q_group_size; /* --q-group-size (0 = the mode's default) */
    char q_mode[16];       /* --q-mode: "affine" (default), "mxfp4", "nvfp4", "mxfp8" */
    char q_recipe[16]; /* --quant-predicate: "", "mixed_2_6", "mixed_3_4", "mixed_3_6", "mixed_4_6"
                        */
    /* MLX's Metal command-buffer limits (mlx/backend/metal/device.cpp):
     * ops and 2^20 elements of inputs per command buffer. 0 = 50 / 50, the
     * Max and Ultra GPUs' values and the larger transient; base and Pro
     * GPUs use 40 / 40. They bound how many intermediates are live. */
    uint32_t metal_cb_max_ops;
    uint32_t metal_cb_max_mb;
} og_mlx_settings;

/* mlx-lm's defaults: ctx 4096, kv_group_size 64, quantized_kv_start 5000,
 * prefill_step_size 2048, batch 1, q_mode "affine". */
OG_API void og_mlx_settings_default(og_mlx_settings *s);

typedef enum og_mlx_verdict {
    OG_MLX_UNKNOWN = 0, /* no budget to compare with */
    OG_MLX_FITS,        /* peak fits the GPU budget */
    OG_MLX_TIGHT,       /* fits, but the weights pass 0.9 x the recommended working set
                           (mlx-lm warns) or the peak passes the working set: it may swap */
    OG_MLX_NO_FIT       /* peak over the budget, or one buffer over maxBufferLength */
} og_mlx_verdict;

/* "unknown", "fits", "tight", "does-not-fit" */
OG_API const char *og_mlx_verdict_name(og_mlx_verdict v);

#define OG_MLX_MAX_ADVICE 8
#define OG_MLX_MAX_NOTES 8

typedef struct og_mlx_plan_result {
    /* The settings that were used (defaults filled in). */
    og_mlx_settings settings;

    /* memory.* — same keys as the llama.cpp plan where they mean the same. */
    uint64_t weights_bytes; /* memory.weights_bytes: allocated (page-rounded) */
    uint64_t kv_bytes;      /* memory.kv_bytes: caches at the end (steady) */
    uint64_t compute_bytes; /* memory.compute_bytes: transient at the peak moment */
    uint64_t total_bytes;   /* memory.total_bytes: steady = weights + kv + prompt cache */
    uint64_t peak_bytes;    /* memory.peak_bytes: what "Peak memory" would print */

    /* Breakdown. */
    uint64_t weights_data_bytes; /* exact tensor bytes (the safetensors data) */
    uint64_t prompt_cache_bytes; /* server prompt cache (part of total and peak) */
    uint64_t kv_at_peak_bytes;   /* caches held at the peak moment */
    uint64_t kv_growth_bytes;    /* transient: old KV buffers a growth replaced, still held */
    uint64_t activation_bytes;   /* new buffers of the ops in MLX's command-buffer window */
    uint64_t scores_bytes;       /* attention scores where the fused SDPA is not used */
    uint64_t logits_bytes;       /* float32 logits of the last position(s) */
    uint64_t peak_chunk_tokens;  /* tokens in the chunk at the peak moment */
    uint64_t kv_per_token_bytes; /* full-attention KV bytes per token, all layers (batch 1) */

    /* Layers by cache kind (mlx_lm/models/cache.py). */
    uint32_t n_layers;
    uint32_t n_kv_layers;       /* KVCache / QuantizedKVCache */
    uint32_t n_rotating_layers; /* RotatingKVCache (sliding window or --max-kv-size) */
    uint32_t n_chunked_layers;  /* ChunkedKVCache (Llama 4) */
    uint32_t n_state_layers;    /* ArraysCache (Mamba, linear attention, short conv) */
    int mla;                    /* DeepSeek-style latent cache */
    int max_kv_size_ignored;    /* the model defines make_cache(): --max-kv-size does nothing */
    int kv_quantized;           /* --kv-bits applies (steady state) */
    int fused_sdpa;             /* prefill uses mx.fast.scaled_dot_product_attention's kernel */
    uint32_t dtype_bytes;       /* activation / KV dtype size (2 = bf16/f16, 4 = f32) */
    char dtype[8];              /* "bf16", "f16", "f32" */

    /* Weights: how they were obtained. */
    int hypothetical; /* 1 = what mlx_lm.convert would produce */
    int from_hparams; /* 1 = module shapes derived from hyper-parameters */
    char quant[64];   /* "4-bit affine g64", "mxfp4", "bf16", "mixed" */

    /* Metal limits. */
    uint64_t largest_buffer_bytes;
    char largest_buffer[96];    /* tensor or buffer name */
    uint64_t max_buffer_bytes;  /* maxBufferLength used (0 = unknown) */
    uint64_t working_set_bytes; /* max_recommended_working_set_size used (0 = unknown) */
    int buffer_too_large;       /* largest_buffer_bytes > max_buffer_bytes */
    int weights_warning;        /* weights > 0.9 x working set: mlx-lm's [WARNING] */

    /* Verdict against a budget (og_mlx_judge). */
    og_mlx_verdict verdict;
    uint64_t budget_bytes; /* GPU budget compared with */
    uint64_t max_ctx;      /* largest ctx whose peak fits (0 = none / unknown) */
    uint32_t n_advice;
    char advice[OG_MLX_MAX_ADVICE][192];
    uint32_t n_notes;
    char notes[OG_MLX_MAX_NOTES][192];
} og_mlx_plan_result;

/* Plan mlx-lm's memory for a model (any format: MLX folders exactly from
 * their tensors; safetensors and config-only models through the conversion
 * mlx_lm.convert would do; GGUF / catalog through hyper-parameters).
 * settings NULL = defaults. Fills *plan (verdict UNKNOWN, no machine).
 * OG_ERR_INVALID for impossible settings (bits, group size, mode) or a model
 * without layers; the message names the setting. */
OG_API og_status og_mlx_plan(const og_model *model, const og_mlx_settings *settings,
                             og_mlx_plan_result *plan, og_error *err);

/* Compare a plan with a machine: Metal limits from m (metal_max_buffer_bytes,
 * metal_recommended_working_set_bytes; when 0 they are derived from RAM and
 * said so in a note) and the GPU budget b. Fills verdict, budget_bytes,
 * max_ctx and advice. m or b may be NULL (then what needs them stays unknown). */
OG_API og_status og_mlx_judge(const og_model *model, og_mlx_plan_result *plan, const og_machine *m,
                              const og_budget *b, og_error *err);

/* Largest ctx (tokens) whose peak fits in budget_bytes with these settings;
 * 0 when even a short context does not fit. Capped at the model's training
 * context when known, else at 1,048,576. */
OG_API uint64_t og_mlx_max_ctx(const og_model *model, const og_mlx_settings *settings,
                               uint64_t budget_bytes);

/* 1 when mlx-lm honours --max-kv-size for this model: it does not define
 * make_cache() and has no sliding-window or recurrent layers
 * (mlx_lm/models/cache.py make_prompt_cache). Llama and Mistral define it. */
OG_API int og_mlx_max_kv_size_honoured(const og_model *model);

/* The plan as a JSON object (malloc'd, free()), keys: engine, model,
 * settings{...}, memory{weights_bytes, kv_bytes, compute_bytes, total_bytes,
 * peak_bytes, ...}, limits{...}, verdict, max_ctx, advice[], notes[].
 * NULL on allocation failure. */
OG_API char *og_mlx_plan_to_json(const og_mlx_plan_result *plan);

/* Bits per weight of a quantized module (affine: bits + 2*16/group; mxfp4 4.25 ...)
 * for display; 0 for a bad combination. */
OG_API double og_mlx_bits_per_weight(uint32_t bits, uint32_t group_size, const char *mode);

#ifdef __cplusplus
}
#endif
#endif
