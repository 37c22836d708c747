/* oomguard — the doctor: seven checks, in the order they most often explain an
 * out-of-memory crash, a freeze or a crawl, each with the evidence from this
 * machine and the fix.
 *
 * og_doctor_run() is a pure function of its input (machine snapshot and
 * budget, process list, optional model plan, optional parsed log, optional
 * swap-out rate): scenario tests feed saved snapshots. The CLI fills the
 * input from the live probe or a snapshot, the process list and the fit
 * modules (docs/DOCTOR.md).
 */
#ifndef OOMGUARD_DOCTOR_H
#define OOMGUARD_DOCTOR_H

#include <stdint.h>

#include "explain.h"
#include "machine.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum og_check_status {
    OG_CHECK_OK = 0,
    OG_CHECK_WARN,
    OG_CHECK_FAIL,
    OG_CHECK_UNKNOWN
} og_check_status;

OG_API const char *og_check_status_name(og_check_status s); /* "ok", "warn", "fail", "unknown" */

typedef enum og_check_id {
    OG_CHECK_MODEL_TOO_BIG = 0,
    OG_CHECK_OTHER_APPS,
    OG_CHECK_WIRED_LIMIT_LOW,
    OG_CHECK_FP16_WEIGHTS,
    OG_CHECK_MACHINE_TOO_SMALL,
    OG_CHECK_SWAPPING,
    OG_CHECK_DEFAULT_WIRED_CEILING,
    OG_CHECK_COUNT
} og_check_id;

/* "model_too_big", "other_apps", "wired_limit_low", "fp16_weights",
 * "machine_too_small", "swapping", "default_wired_ceiling" */
OG_API const char *og_check_id_name(og_check_id id);

/* One process as the doctor sees it. */
typedef struct og_doctor_proc {
    int32_t pid;
    char name[64];
    uint64_t footprint_bytes; /* macOS phys_footprint; Linux PSS or RSS */
    uint64_t gpu_bytes;       /* GPU memory, where the platform tells (0 = none/unknown) */
    int gpu_client;           /* 1 = holds a GPU context (macOS AGXDeviceUserClient, DRM fd) */
    int is_engine;            /* 1 = the inference engine being diagnosed (not "other") */
} og_doctor_proc;

/* The model and its settings, as the fit modules (llama.h / mlx.h) size them.
 * Zero / "" fields are unknown. */
typedef struct og_doctor_plan {
    char model[256]; /* name or path */
    char quant[32];  /* "Q8_0", "BF16", "mlx-4bit" */
    int mlx;         /* 1 = an MLX model (advice names mlx-community builds) */
    uint64_t n_params;
    uint64_t weight_bytes;
    uint64_t kv_bytes;
    uint64_t compute_bytes;
    uint64_t total_bytes;    /* weights + KV + compute (+ overhead) */
    uint64_t gpu_need_bytes; /* what must sit in the GPU pool (0 = total_bytes) */
    uint32_t n_ctx;
    uint64_t fp16_weight_bytes; /* weights stored as F16 / BF16 / F32 */
    /* suggestions from the fit modules */
    char fit_quant[32];       /* largest quant of this model that fits ("" = none / unknown) */
    uint64_t fit_quant_bytes; /* its total need */
    uint32_t max_ctx;         /* largest context that fits with these weights (0 = unknown) */
    char q4_name[160];        /* the 4-bit build: "mlx-community/<model>-4bit" or "Q4_K_M" */
    uint64_t q4_bytes;        /* its size */
    uint64_t smallest_bytes;  /* need of the smallest sensible quant at a short context */
    char fits_tier[64];       /* a machine tier (preset) that would fit ("" = unknown) */
} og_doctor_plan;

typedef struct og_doctor_input {
    const og_machine *machine;    /* required */
    const og_budget *budget;      /* required: og_machine_budget(machine) */
    uint64_t default_wired_bytes; /* og_default_wired_limit_bytes(ram, macos_major) on macOS */
    const og_doctor_proc *procs;  /* NULL = process list unknown */
    uint32_t n_procs;
    const og_doctor_plan *plan; /* NULL = no model: machine checks only */
    const og_log_report *log;   /* NULL = no log */
    int swapout_rate_known;
    double swapout_bytes_per_s; /* sampled over a short interval */
    const char *procs_reason;   /* why procs is NULL ("" / NULL = could not be read) */
} og_doctor_input;

typedef struct og_check {
    og_check_id id;
    og_check_status status;
    char title[64];
    char evidence[640];
    char fix[640];
} og_check;

typedef struct og_doctor_report {
    og_check checks[OG_CHECK_COUNT]; /* always all seven, in order */
    int32_t headline;                /* index of the first failing check, -1 = none */
} og_doctor_report;

/* Run the seven checks. Never fails: what cannot be judged is "unknown" with
 * the reason in evidence. */
OG_API void og_doctor_run(const og_doctor_input *in, og_doctor_report *r);

/* Process names the doctor knows as heavy memory / GPU users (browsers,
 * Electron apps, Xcode and Simulator, Docker, creative apps, other engines).
 * Returns a short label ("browser", "electron", "xcode", "docker", "creative",
 * "llm-engine") or NULL. */
OG_API const char *og_heavy_app_kind(const char *process_name);

#ifdef __cplusplus
}
#endif
#endif
