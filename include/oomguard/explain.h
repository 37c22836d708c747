/* oomguard — read an inference engine's log and say what ran out of memory.
 *
 * og_explain_text() scans a log (llama.cpp / ggml on Metal, CUDA, ROCm,
 * Vulkan and CPU; MLX and mlx-lm; Ollama; LM Studio) line by line for the
 * stable part of each engine's out-of-memory messages (never the function
 * names, which change between versions), extracts the sizes and settings the
 * log shows, and says which component overflowed which memory pool and what
 * to change. docs/DOCTOR.md lists every signature with the engine source it
 * comes from. The scan is a pure function of the bytes: no I/O, no globals.
 */
#ifndef OOMGUARD_EXPLAIN_H
#define OOMGUARD_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum og_log_severity {
    OG_LOG_INFO = 0,    /* a fact the log shows (buffer sizes of a load) */
    OG_LOG_WARNING = 1, /* close to a limit, or a benign message worth knowing */
    OG_LOG_OOM = 2      /* an allocation failed / the process ran out of memory */
} og_log_severity;

OG_API const char *og_log_severity_name(og_log_severity s); /* "info", "warning", "oom" */

#define OG_LOG_MAX_FINDINGS 32
#define OG_LOG_MAX_DEVICES 16

/* One recognised signature. Repeats of the same event are counted, not
 * listed again. Sizes are 0 when the log does not show them. */
typedef struct og_log_finding {
    char id[40]; /* stable signature id: "cuda_alloc_failed", "mlx_buffer_too_large", ... */
    og_log_severity severity;
    char engine[16];          /* "llama.cpp", "mlx", "mlx-lm", "ollama", "lmstudio" */
    char backend[12];         /* "metal", "cuda", "rocm", "vulkan", "cpu", or "" */
    char component[16];       /* "weights", "kv_cache", "compute", "output", "rs_cache",
                                 "model", "unknown" */
    char pool[64];            /* the memory pool that overflowed, in words */
    char buffer[32];          /* ggml buffer name ("CUDA0", "MTL0", "CPU") or "" */
    int32_t device;           /* device index, -1 when unknown */
    uint64_t requested_bytes; /* what the failing allocation / model asked for */
    uint64_t limit_bytes;     /* the limit it hit (max buffer, working set, ...) */
    uint64_t available_bytes; /* what the engine said was available */
    uint64_t resource_count;  /* MLX resource limit (count, not bytes) */
    char process[32];         /* the process the kernel's OOM killer ended, or "" */
    int32_t pid;              /* its pid, 0 when unknown */
    uint32_t line;            /* first line (1-based) */
    uint32_t count;           /* how many times it occurred */
    char text[240];           /* the first matching line, trimmed */
    char what[400];           /* what happened, in one or two sentences */
    char fix[480];            /* what to change */
} og_log_finding;

/* Settings the log shows; -1 / 0 / "" when absent. */
typedef struct og_log_settings {
    int64_t n_ctx;       /* context the engine allocated (llama.cpp n_ctx) */
    int64_t n_ctx_train; /* trained context */
    int64_t n_batch, n_ubatch;
    int64_t kv_cells;                       /* KV cache cells (llama_kv_cache "N cells") */
    int32_t layers_offloaded, layers_total; /* "offloaded X/Y layers to GPU" */
    int32_t flash_attn;                     /* 1 on, 0 off, -1 unknown / auto */
    char type_k[16], type_v[16];            /* KV cache types: "f16", "q8_0" */
    char model_path[512];
    uint64_t metal_working_set_bytes; /* recommendedMaxWorkingSetSize as printed */
    char backend[12];                 /* the GPU backend the log shows ("cuda", "rocm", ...) */
} og_log_settings;

/* Buffers of a (last) load, summed per ggml buffer name. */
typedef struct og_log_device_buffers {
    char name[32]; /* "CUDA0", "MTL0", "CPU_Mapped", "CUDA_Host" */
    int host;      /* 1 = system RAM (CPU, *_Host, *_Mapped on discrete GPUs) */
    uint64_t weights_bytes, kv_bytes, compute_bytes, output_bytes, rs_bytes, other_bytes;
    uint64_t total_bytes;
} og_log_device_buffers;

typedef struct og_log_report {
    uint32_t lines; /* lines scanned */
    uint32_t n_findings;
    og_log_finding findings[OG_LOG_MAX_FINDINGS];
    uint32_t findings_dropped; /* distinct findings beyond OG_LOG_MAX_FINDINGS */
    int32_t headline;          /* index of the first OOM finding, else the first warning, else -1 */
    int oom;                   /* 1 when an OOM finding is present */
    og_log_settings settings;
    uint32_t n_devices;
    og_log_device_buffers devices[OG_LOG_MAX_DEVICES];
} og_log_report;

/* Scan len bytes of log text (NUL not needed; NUL bytes are treated as line
 * ends). Fills r completely. Never fails on content: an unknown log yields a
 * report with no findings. OG_ERR_INVALID only when text is NULL with len > 0
 * or r is NULL. */
OG_API og_status og_explain_text(const char *text, size_t len, og_log_report *r, og_error *err);

/* Read a log file (up to max_bytes; 0 = 256 MiB; larger files are read from the
 * end, where the crash is) and scan it. OG_ERR_NOT_FOUND / OG_ERR_IO name the file. */
OG_API og_status og_explain_file(const char *path, uint64_t max_bytes, og_log_report *r,
                                 og_error *err);

#ifdef __cplusplus
}
#endif
#endif
