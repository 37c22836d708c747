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
    OG_BACKEND_ROCM,
    OG_BACKEND_RPC /* rpc-server devices running the CPU backend (llama.cpp --rpc) */
} og_backend;

typedef enum og_flash_attn { OG_FA_AUTO = -1, OG_FA_OFF = 0, OG_FA_ON = 1 } og_flash_attn;

/* -ngl values (common/arg.cpp): "auto" (the default, which --fit may
 * change) and "all"; both place every layer on the GPU(s). */
#define OG_NGL_AUTO (-1)
#define OG_NGL_ALL (-2)

/* Several GPUs (src/llama-model.cpp load_tensors, src/llama.cpp): -sm. */
typedef enum og_split_mode {
    OG_SPLIT_LAYER = 0, /* whole layers per device, split by -ts (default) */
    OG_SPLIT_NONE,      /* the main GPU (-mg) only */
    OG_SPLIT_ROW        /* matrix rows split by -ts; the rest on the main GPU */
} og_split_mode;

#define OG_LLAMA_MAX_DEVICES 16
#define OG_LLAMA_MAX_OVERRIDES 160
#define OG_OT_CPU (-1) /* og_tensor_override.device: system memory ("=CPU") */

/* One -ot PATTERN=BUFFER (src/llama-model-loader.cpp: the first pattern
 * that std::regex_search finds in a tensor's name decides its buffer). */
typedef struct og_tensor_override {
    char pattern[112];
    int device; /* OG_OT_CPU or a GPU index */
} og_tensor_override;

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
    /* llama-server's memory that grows after load (tools/server; llama-cli shares it):
     * --cache-ram MiB (default 8192; -1 = no size limit; 0 = no prompt cache),
     * --ctx-checkpoints N (default 32; 0 = none), --checkpoint-min-step N (default 8192).
     * no_server: 1 when the engine keeps no prompt cache (node-llama-cpp, llama-bench). */
    int32_t cache_ram_mib;
    int32_t n_ctx_checkpoints;
    uint32_t checkpoint_min_step;
    int no_server;
    /* Extra models on the same budget (may be NULL). */
    const og_model *mmproj;
    const og_model *draft;
    /* Several GPUs and tensor overrides. n_devices 0 or 1 with a GPU
     * backend = one device. */
    uint32_t n_devices;
    og_split_mode split_mode;                   /* -sm */
    int32_t main_gpu;                           /* -mg (0) */
    float tensor_split[OG_LLAMA_MAX_DEVICES];   /* -ts; all 0 = in proportion to device_free */
    uint64_t device_free[OG_LLAMA_MAX_DEVICES]; /* free bytes each device reports */
    uint32_t n_overrides;                       /* -ot, --cpu-moe, --n-cpu-moe, in order */
    og_tensor_override overrides[OG_LLAMA_MAX_OVERRIDES];
} og_llama_settings;

/* Append -ot patterns the way common/arg.cpp does: "PATTERN=BUF[,...]"
 * (BUF "CPU" or a device name ending in its index: "CUDA1", "ROCm0",
 * "Vulkan1", "RPC[host:port]" is not accepted here); --cpu-moe
 * (n_layers < 0: every layer's experts) and --n-cpu-moe N (the experts of
 * the first N layers, common/common.h llm_add_n_cpu_ffn_overrides).
 * OG_ERR_INVALID naming the bad part; at most OG_LLAMA_MAX_OVERRIDES. */
OG_API og_status og_llama_add_overrides(og_llama_settings *s, const char *spec, og_error *err);
OG_API og_status og_llama_add_cpu_moe(og_llama_settings *s, int32_t n_layers, og_error *err);
/* Does this override pattern match the tensor name (std::regex_search,
 * ECMAScript: \d and empty alternatives are translated)? -1 = bad pattern. */
OG_API int og_llama_override_matches(const char *pattern, const char *tensor_name);

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

    /* Memory over time. total_bytes is "at load" (every buffer llama.cpp allocates before
     * the first request; the KV cache is allocated whole at load, so slots filling up add
     * nothing on the device). llama-server then grows in host RAM (tools/server,
     * server-task.cpp server_prompt_cache, server-context.cpp create_checkpoint):
     * - the prompt cache: idle slots' states saved to RAM, up to --cache-ram (its token
     *   limit, n_ctx, never binds below the size limit); with no size limit, up to n_ctx
     *   tokens of state (one copy of the whole cache);
     * - context checkpoints (SWA without --swa-full, recurrent/hybrid models): per slot at
     *   most min(--ctx-checkpoints, n_ctx_seq / --checkpoint-min-step + 2) copies of the
     *   sequence's SWA window and recurrent state.
     * grown_* = at load + that growth; the verdict is taken on the grown figure. */
    uint64_t grow_prompt_cache_bytes;
    uint64_t grow_checkpoint_bytes; /* all slots' checkpoints */
    uint64_t checkpoint_bytes;      /* one checkpoint */
    uint32_t n_checkpoints;         /* per slot, at most */
    uint64_t grown_host_bytes;      /* host_bytes + growth (the growth is host RAM) */
    uint64_t grown_total_bytes;     /* total_bytes + growth */
    uint64_t kv_swa_bytes;          /* the SWA layers' part of the KV component */
    uint64_t
        largest_buffer_bytes; /* the largest single buffer (Vulkan: vs maxMemoryAllocationSize) */

    int fallback; /* 1 = architecture not modelled: generic transformer estimate */
    uint32_t n_notes;
    char notes[OG_LLAMA_MAX_NOTES][200];

    /* Per device, as llama.cpp's memory breakdown groups buffers (common/fit.cpp
     * common_get_device_memory_data): model, context (KV, recurrent state),
     * compute. n_devices = 0 on the CPU backend. */
    uint32_t n_devices;
    int output_device;                         /* device holding the output layer; -1 = CPU */
    uint32_t dev_layers[OG_LLAMA_MAX_DEVICES]; /* layers (the output layer counts) */
    uint64_t dev_model[OG_LLAMA_MAX_DEVICES];
    uint64_t dev_context[OG_LLAMA_MAX_DEVICES];
    uint64_t dev_compute[OG_LLAMA_MAX_DEVICES];
    uint64_t overridden_bytes; /* weights an -ot pattern moved off their layer's device */
    /* mmap: the bytes of repacked tensors that lie inside a CPU_Mapped span. llama.cpp reports
     * them twice (CPU_Mapped and CPU_REPACK) and the file pages stay mapped after the load, but
     * they are never read again: clean page cache the kernel drops under pressure (measured:
     * bench/accuracy/rss_probe.c). Part of total_bytes; the verdict does not count it. */
    uint64_t mapped_repacked_bytes;
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
    int64_t margin_bytes;       /* smallest headroom over the pools that are limited (< 0: short) */
    int64_t gpu_margin_bytes;   /* budget->gpu_bytes - plan GPU bytes (0 when no GPU pool) */
    int64_t host_margin_bytes;  /* budget->host_bytes - plan host bytes (grown) */
    int64_t grown_margin_bytes; /* the smallest headroom once llama-server has grown (the
                                  prompt cache at --cache-ram, all checkpoints); < 0 with a
                                  load that fits: verdict TIGHT, --cache-ram advice first */
    int buffer_too_large; /* Vulkan: plan->largest_buffer_bytes > budget->vk_max_alloc_bytes */
    uint32_t max_ctx;     /* og_llama_max_ctx for these settings */
    uint32_t n_advice;
    char advice[OG_LLAMA_MAX_ADVICE][240];
    /* buffer_too_large: the engine's remedy ("lower -ub (...)"), a static
     * string; NULL otherwise */
    const char *buffer_fix;
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

/* ---- llama.cpp's --fit, predicted (common/fit.cpp common_params_fit_impl,
 * tools/fit-params/fit-params.cpp; llama.cpp 2026-09-12 as node-llama-cpp
 * 3.21.1 bundles it). llama.cpp measures each trial placement with a dry
 * run; here each trial is an og_llama_plan, and the search (context
 * interpolation, back-to-front layer filling by false position, MoE
 * experts and then FFN parts spilled to the CPU with -ot patterns, -ts for
 * several devices) is the same. docs/LLAMA_CPP.md "--fit". ---- */

#define OG_FIT_DEFAULT_TARGET (1024ull * 1024 * 1024) /* --fit-target, per device */
#define OG_FIT_DEFAULT_MIN_CTX 4096u                  /* --fit-ctx */

typedef enum og_fitp_status {
    OG_FITP_UNCHANGED = 0, /* every device keeps its target free: nothing changed */
    OG_FITP_CONTEXT,       /* fitted by lowering the context only */
    OG_FITP_PLACED,        /* fitted with -ngl / -ts / -ot */
    OG_FITP_GAVE_UP,       /* llama.cpp gives up (the reason says why); llama-fit-params
                              exits 1, llama-server loads with what was changed so far */
    OG_FITP_OFF            /* --fit off */
} og_fitp_status;

typedef enum og_layer_part {
    OG_PART_NONE = 0,
    OG_PART_ATTN = 1, /* attention on the device, the FFN on the overflow buffer */
    OG_PART_UP = 2,   /* attention + ffn_up */
    OG_PART_GATE = 3, /* attention + ffn_up + ffn_gate */
    OG_PART_MOE = 4   /* everything but the sparse experts */
} og_layer_part;

typedef struct og_fitp_input {
    uint32_t n_devices;                          /* GPU-like devices; 0 = CPU only */
    uint64_t free_bytes[OG_LLAMA_MAX_DEVICES];   /* what each device reports free */
    uint64_t host_total_bytes;                   /* CPU only: the host's total memory */
    uint64_t target_bytes[OG_LLAMA_MAX_DEVICES]; /* --fit-target per device (0 = 1024 MiB) */
    uint32_t n_ctx_min;                          /* --fit-ctx (0 = 4096) */
    int ctx_full;                                /* -c 0 on the command line: the full
                                                    trained context, never lowered */
    int off;                                     /* --fit off */
} og_fitp_input;

#define OG_FITP_MAX_STEPS 12

typedef struct og_fitp_device {
    uint32_t n_layer;         /* layers on the device (the output layer counts) */
    uint32_t n_part;          /* of which partial: their MoE experts (or FFN parts) elsewhere */
    og_layer_part overflow;   /* what the first partial layer keeps */
    int overflow_device;      /* where its overflow goes: OG_OT_CPU or the next device */
    uint64_t used_bytes;      /* projected model + context + compute on the device */
    int64_t free_after_bytes; /* free memory left (free - used) */
} og_fitp_device;

typedef struct og_fitp_result {
    og_fitp_status status;
    char reason[200]; /* GAVE_UP: llama.cpp's reason ("n_gpu_layers already set ...") */
    uint32_t n_ctx;   /* -c as fitted (llama.cpp resolves a 0 to the trained context) */
    int ctx_lowered;  /* the context was lowered from n_ctx_from */
    uint32_t n_ctx_from;
    int32_t n_gpu_layers; /* -ngl as llama-fit-params prints it (-1: unchanged) */
    uint32_t n_devices;
    og_fitp_device dev[OG_LLAMA_MAX_DEVICES];
    int has_ts;        /* several devices: -ts written */
    uint32_t n_trials; /* placements measured (llama.cpp's dry runs) */
    char args[2048];   /* "-c 4096 -ngl 33 -ot \"...\"" as llama-fit-params prints */
    uint32_t n_steps;  /* the search, in llama.cpp's terms */
    char steps[OG_FITP_MAX_STEPS][200];
    og_llama_settings settings; /* the input settings with the fit applied */
} og_fitp_result;

/* Predict what llama.cpp's --fit does with these settings on these devices.
 * settings->n_ctx 0 = not set (fit may lower it); n_gpu_layers other than
 * OG_NGL_AUTO, a nonzero tensor_split or any override = set by the user
 * (fit gives up after the context step, as llama.cpp does). The result
 * (about 40 KiB: allocate it) holds the fitted settings for og_llama_plan.
 * OG_ERR_INVALID for settings og_llama_plan rejects. */
OG_API og_status og_llama_fit_params(const og_model *model, const og_llama_settings *settings,
                                     const og_fitp_input *in, og_fitp_result *out, og_error *err);

OG_API const char *og_fitp_status_name(og_fitp_status s); /* "unchanged", "context", ... */

/* result->args for a line of text: a long -ot list (MoE models) becomes
 * "-ot \"...\" (N patterns)"; the full list stays in result->args. */
OG_API void og_fitp_args_short(const og_fitp_result *result, char *out, size_t n);

/* ---- Ollama as it is today: GGUF models run in llama-server, placed by its
 * --fit (ollama/ollama#16031). Rules of ollama/ollama main at fb30760
 * (2026-08-21): server/routes.go (default num_ctx by VRAM), server/sched.go
 * (automatic num_batch), llm/llama_server.go (llama-server arguments,
 * LLAMA_ARG_FIT_TARGET raised for a projector), llm/server.go (num_ctx capped
 * at the trained context, OLLAMA_KV_CACHE_TYPE). ---- */
#define OG_OLLAMA_RULES "Ollama fb30760 (2026-08-21, llama-server + --fit)"

typedef struct og_ollama_opts {
    uint32_t num_ctx;      /* num_ctx / OLLAMA_CONTEXT_LENGTH; 0 = Ollama's default by VRAM */
    uint32_t num_parallel; /* OLLAMA_NUM_PARALLEL; 0 = 1 */
    int32_t num_gpu;       /* num_gpu; -1 = automatic (no -ngl) */
    uint32_t num_batch;    /* num_batch; 0 = automatic */
    int kv_type;           /* OLLAMA_KV_CACHE_TYPE as a ggml type; -1 = unset (f16) */
    int flash_attention;   /* OLLAMA_FLASH_ATTENTION: -1 unset (auto), 0 off, 1 on */
    int32_t main_gpu;      /* main_gpu; -1 = unset */
    uint64_t gpu_overhead; /* OLLAMA_GPU_OVERHEAD bytes */
} og_ollama_opts;

OG_API void og_ollama_opts_default(og_ollama_opts *o);
/* Apply one environment variable as Ollama reads it (envconfig/config.go):
 * OLLAMA_CONTEXT_LENGTH, OLLAMA_NUM_PARALLEL, OLLAMA_KV_CACHE_TYPE,
 * OLLAMA_FLASH_ATTENTION (Go ParseBool), OLLAMA_GPU_OVERHEAD (bytes).
 * Returns 1 when used, 0 for another variable or an unparsable value. */
OG_API int og_ollama_opts_set_env(og_ollama_opts *o, const char *name, const char *value);
/* Apply every variable above that get(name) returns (getenv, or a command's
 * own environment). Returns the name of the first unparsable one, or NULL. */
OG_API const char *og_ollama_opts_from_env(og_ollama_opts *o, const char *(*get)(const char *));

typedef struct og_ollama_launch {
    uint32_t num_ctx;    /* per slot, after the default and the trained-context cap */
    int num_ctx_default; /* 1 = chosen by the VRAM tier */
    uint64_t total_vram; /* what the tier was chosen from */
    uint32_t num_parallel;
    uint32_t num_batch; /* -b = -ub */
    int num_batch_auto;
    uint64_t
        fit_target_bytes; /* LLAMA_ARG_FIT_TARGET per device (1024 MiB, or projector + 1 GiB) */
    int mmproj_offload;   /* 0: --no-mmproj-offload (cpu-only, partial, limited VRAM) */
    char args[400];       /* the llama-server arguments Ollama passes (without --model/--port) */
    char why[240];        /* how num_ctx / num_batch were chosen */
} og_ollama_launch;

/* What Ollama passes llama-server for this model on GPUs with these totals
 * and free bytes (n_gpus may be 0), and the og_llama_settings that follow
 * (engine OG_LLAMA_ENGINE_OLLAMA: n_ctx is num_ctx per slot). s->backend and
 * s->mmproj are kept. model_file_bytes: the GGUF size (Ollama's
 * PredictServerVRAM). */
OG_API og_status og_ollama_prepare(const og_model *model, const og_ollama_opts *o, uint32_t n_gpus,
                                   const uint64_t *gpu_total, const uint64_t *gpu_free,
                                   og_llama_settings *s, og_ollama_launch *out, og_error *err);

#ifdef __cplusplus
}
#endif
#endif
