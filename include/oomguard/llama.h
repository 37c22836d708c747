/* oomguard — the llama.cpp memory model.
 *
 * Given an og_model (any reader) and the settings a user passes to
 * llama.cpp (or to Ollama, which runs llama-server), og_llama_plan() says how
 * many bytes each component takes on each memory pool: weights, KV cache,
 * recurrent state, compute buffers, the output (logits) buffer and extra
 * models (--mmproj, --draft). Formulas follow llama.cpp as bundled in
 * node-llama-cpp 3.21.1 (source dated 2026-09-12); docs/LLAMA_CPP.md gives
 * each formula, its source file, and what was measured against the real
 * engine and what is derived.
 *
 * Everything here is a pure function of its inputs: no files, no printing.
 */
#ifndef OOMGUARD_LLAMA_H
#define OOMGUARD_LLAMA_H

#include <stdint.h>

#include "machine.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_LLAMA_CPP_VERSION "llama.cpp 2026-09-12 (node-llama-cpp 3.21.1)"

typedef enum og_llama_engine {
    OG_LLAMA_ENGINE_LLAMA_CPP = 0, /* llama.cpp tools / llama-server / node-llama-cpp / LM Studio */
    OG_LLAMA_ENGINE_OLLAMA = 1     /* Ollama: llama-server with Ollama's arguments */
} og_llama_engine;

typedef enum og_backend {
    OG_BACKEND_CPU = 0,
    OG_BACKEND_METAL,
    OG_BACKEND_CUDA,
    OG_BACKEND_VULKAN,
    OG_BACKEND_ROCM
} og_backend;

typedef enum og_flash_attn { OG_FA_AUTO = -1, OG_FA_OFF = 0, OG_FA_ON = 1 } og_flash_attn;

/* Which CPU repack kernels exist (ggml/src/ggml-cpu/repack.cpp
 * ggml_repack_get_optimal_repack_type): they decide which weights are copied
 * into a CPU_REPACK buffer. AUTO = x86-64 with AVX2 on x86 hosts, ARM with
 * i8mm on arm64 hosts. */
typedef enum og_cpu_arch {
    OG_CPU_AUTO = 0,
    OG_CPU_X86_AVX2,   /* q4_0 q4_K iq4_nl mxfp4 */
    OG_CPU_X86_AVX512, /* the above + q2_K */
    OG_CPU_ARM_I8MM,   /* q4_0 q4_K q5_K q6_K iq4_nl mxfp4 q8_0 */
    OG_CPU_NO_REPACK
} og_cpu_arch;

typedef struct og_llama_settings {
    og_llama_engine engine;
    og_backend backend;
    uint32_t n_ctx;      /* -c; 0 = the model's trained context */
    uint32_t n_batch;    /* -b (2048) */
    uint32_t n_ubatch;   /* -ub (512) */
    uint32_t n_parallel; /* -np (1); Ollama: OLLAMA_NUM_PARALLEL */
    int kv_unified;      /* -kvu */
    int type_k;          /* ggml type id of the K cache (1 = f16) */
    int type_v;          /* ggml type id of the V cache */
    og_flash_attn flash_attn;
    int32_t n_gpu_layers; /* -ngl; -1 = all */
    int use_mmap;         /* 1 unless --no-mmap */
    int swa_full;         /* --swa-full */
    int no_kv_offload;    /* -nkvo: KV stays in host memory */
    og_cpu_arch cpu_arch;
    /* Ollama only: num_batch (-b = -ub = num_batch; 0 = Ollama's default 512). */
    uint32_t ollama_num_batch;
    /* Extra models on the same budget (may be NULL). */
    const og_model *mmproj;
    const og_model *draft;
} og_llama_settings;

/* llama.cpp's defaults (common/common.h): n_ctx 0 (trained), -b 2048,
 * -ub 512, -np 1, f16 KV, flash attention auto, all layers on the GPU, mmap,
 * CPU backend. */
OG_API void og_llama_settings_default(og_llama_settings *s);

typedef enum og_component {
    OG_COMP_WEIGHTS = 0,
    OG_COMP_KV,      /* attention KV cache (incl. SWA cache) */
    OG_COMP_RS,      /* recurrent state (Mamba/SSM, linear attention, short conv) */
    OG_COMP_COMPUTE, /* compute buffers (ggml-alloc worst-case graph) */
    OG_COMP_OUTPUT,  /* logits buffer */
    OG_COMP_MMPROJ,  /* multimodal projector weights + its compute */
    OG_COMP_DRAFT,   /* draft model weights + its context */
    OG_COMP_COUNT
} og_component;

typedef enum og_pool {
    OG_POOL_GPU = 0,     /* device memory (VRAM, or the Metal working set on unified machines) */
    OG_POOL_HOST,        /* anonymous host RAM (CPU buffers, pinned host buffers) */
    OG_POOL_HOST_MAPPED, /* the model file mapped with mmap (CPU_Mapped: page cache) */
    OG_POOL_CPU_REPACK,  /* weights repacked for the CPU kernels (anonymous RAM) */
    OG_POOL_COUNT
} og_pool;

OG_API const char *og_component_name(og_component c);     /* "weights", "kv", "recurrent", ... */
OG_API const char *og_pool_name(og_pool p, og_backend b); /* "CUDA0", "CPU", "CPU_Mapped", ... */
OG_API const char *og_backend_name(og_backend b);         /* "cpu", "cuda", ... */
OG_API og_status og_backend_from_name(const char *name, og_backend *b, og_error *err);

#define OG_LLAMA_MAX_NOTES 6

typedef struct og_llama_memplan {
    /* Settings as llama.cpp resolves them. */
    uint32_t n_ctx;     /* after the trained default and PAD(256) */
    uint32_t n_ctx_seq; /* cells per sequence stream */
    uint32_t n_seq;     /* n_seq_max */
    uint32_t n_stream;  /* 1 with a unified KV cache, else n_seq */
    uint32_t n_batch, n_ubatch;
    uint32_t kv_cells;  /* cells of the full-attention cache (per stream) */
    uint32_t swa_cells; /* cells of the SWA cache (per stream), 0 if none */
    int flash_attn;     /* resolved: 1 on, 0 off */
    int type_k, type_v;
    uint32_t n_layer;     /* repeating layers */
    uint32_t n_layer_gpu; /* repeating layers on the GPU */
    int output_on_gpu;
    uint32_t n_kv_layers; /* layers with a KV cache */
    uint32_t n_rs_layers; /* layers with recurrent state */
    og_backend backend;

    uint64_t bytes[OG_COMP_COUNT][OG_POOL_COUNT];
    uint64_t component_bytes[OG_COMP_COUNT];
    uint64_t pool_bytes[OG_POOL_COUNT];
    uint64_t gpu_bytes;  /* = pool_bytes[OG_POOL_GPU] */
    uint64_t host_bytes; /* HOST + HOST_MAPPED + CPU_REPACK */
    uint64_t total_bytes;

    int fallback; /* 1 = architecture not modelled: generic transformer estimate */
    uint32_t n_notes;
    char notes[OG_LLAMA_MAX_NOTES][200];
} og_llama_memplan;

/* Plan memory. OG_ERR_INVALID (with a one-line reason) for impossible
 * settings: context 0 after resolution, ubatch > batch, quantized V without
 * flash attention, a cache type llama.cpp does not allow, a model without
 * layers or width. */
OG_API og_status og_llama_plan(const og_model *model, const og_llama_settings *settings,
                               og_llama_memplan *plan, og_error *err);

/* Largest n_ctx (a multiple of 256, at most the trained context) whose plan
 * fits the budget with these settings; 0 if not even 256 fits. */
OG_API uint32_t og_llama_max_ctx(const og_model *model, const og_llama_settings *settings,
                                 const og_budget *budget);

typedef enum og_fit_verdict { OG_FIT_FITS = 0, OG_FIT_TIGHT, OG_FIT_NO } og_fit_verdict;
OG_API const char *og_fit_verdict_name(og_fit_verdict v); /* "fits", "tight", "does not fit" */

#define OG_LLAMA_MAX_ADVICE 8

typedef struct og_llama_fit {
    og_fit_verdict verdict;
    int64_t margin_bytes;      /* smallest headroom over the pools that are limited (< 0: short) */
    int64_t gpu_margin_bytes;  /* budget->gpu_bytes - plan GPU bytes (0 when no GPU pool) */
    int64_t host_margin_bytes; /* budget->host_bytes - plan host bytes */
    uint32_t max_ctx;          /* og_llama_max_ctx for these settings */
    uint32_t n_advice;
    char advice[OG_LLAMA_MAX_ADVICE][240];
} og_llama_fit;

/* Verdict, margin and concrete advice (smaller quant, q8_0 KV with flash
 * attention, a context cap, fewer GPU layers). TIGHT = fits with less than
 * 5 % of the limiting pool (or 512 MiB) to spare. */
OG_API og_status og_llama_verdict(const og_model *model, const og_llama_settings *settings,
                                  const og_llama_memplan *plan, const og_budget *budget,
                                  og_llama_fit *fit, og_error *err);

/* Weight bytes of this model re-quantized to another llama.cpp file type
 * ("Q4_K_M", "Q8_0", ...), estimated from its parameters and the type's
 * bits per weight (1-D tensors stay f32). 0 for an unknown name. */
OG_API uint64_t og_llama_quant_weight_bytes(const og_model *model, const char *quant);

#ifdef __cplusplus
}
#endif
#endif
