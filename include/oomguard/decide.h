/* oomguard — one decision: will this model run on this machine with these
 * settings, and if not, what exactly to change.
 *
 * og_decide() is the one place that puts a plan, a budget, a verdict, the
 * largest context, the doctor's seven checks and the advice together. `fit`,
 * `doctor`, `wired --recommend`, the overview, `fit --machines` and `run`'s
 * preflight call it and only format the answer, so they cannot disagree; a
 * launcher embedding liboomguard gets the same answer without the CLI.
 *
 * It is a pure function of its input (model, machine snapshot, process list,
 * settings): nothing is probed, read from disk or printed. docs/DOCTOR.md
 * states the defaults, the margin and the budget policy it applies.
 *
 * The contract every presenter relies on:
 *   - d->fits (verdict "fits" or "tight") is 1 exactly when none of the
 *     model checks fails (1 model_too_big, 2 other_apps, 3 wired_limit_low
 *     as far as the plan's need goes, 5 machine_too_small,
 *     7 default_wired_ceiling). Checks 6 (swapping) and 3's "limit above the
 *     safe maximum" describe the machine's state and can fail while the
 *     plan fits; d->machine_warnings counts them.
 *   - Every wired / GTT value in the advice is >= the need, >= the current
 *     effective limit and the macOS default, and <= the safe maximum; when it
 *     equals the current value there is nothing to apply (limit.set_mb = 0).
 *   - Advice names only catalog builds (og_catalog_build_name), the ones
 *     `--quant` accepts.
 */
#ifndef OOMGUARD_DECIDE_H
#define OOMGUARD_DECIDE_H

#include <stdint.h>

#include "catalog.h"
#include "doctor.h"
#include "explain.h"
#include "llama.h"
#include "machine.h"
#include "mlx.h"
#include "model.h"
#include "status.h"
#include "watch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- defaults policy (docs/DOCTOR.md "Defaults") ---- */

/* llama.cpp without -c plans the model's trained context; its --fit (on by
 * default, common/fit.cpp, llama.cpp 2026-09-12) then lowers a context the
 * user did not set, down to --fit-ctx (default 4096), until the plan fits. */
#define OG_LLAMA_FIT_MIN_CTX 4096u
/* mlx-lm has no context setting (the cache grows with the conversation):
 * every command plans MLX at this many tokens unless told otherwise. */
#define OG_MLX_PLANNING_CTX 4096u
/* The overview and pick policy: a build "leaves a usable context" when its
 * largest context reaches this (or the model's trained context if smaller). */
#define OG_USABLE_CTX 16384u

/* The engine is watch.h's og_engine; in settings OG_ENGINE_NONE means "auto":
 * MLX folders and MLX builds -> mlx, else llama.cpp. */
#define OG_ENGINE_AUTO OG_ENGINE_NONE

/* Accepts auto, llama.cpp, llamacpp, llama, llama-server, lmstudio, ollama,
 * mlx, mlx-lm. OG_ERR_INVALID naming the accepted names otherwise. */
OG_API og_status og_decide_engine_from_name(const char *name, og_engine *out, og_error *err);

/* llama.cpp's --fit options (common/arg.cpp; llama.cpp 2026-09-12): --fit is on
 * by default. All zero = llama.cpp's defaults. */
typedef struct og_decide_fit {
    int off;                                     /* --fit off */
    uint32_t n_target;                           /* --fit-target values given (1 = all devices) */
    uint64_t target_bytes[OG_LLAMA_MAX_DEVICES]; /* --fit-target per device (0 = 1024 MiB) */
    uint32_t n_ctx_min;                          /* --fit-ctx (0 = 4096) */
    int ctx_full;                                /* -c 0: the full trained context, never lowered */
} og_decide_fit;

/* The input of llama.cpp's --fit prediction (og_llama_fit_params) on a
 * budget: each GPU device's free bytes (none on the CPU backend), the host's
 * RAM, the fit targets (one value is broadcast, as common/arg.cpp does),
 * --fit-ctx, -c 0, --fit off. The one way og_decide and the CLI build it. */
OG_API void og_decide_fitp_input(const og_budget *b, og_backend backend, uint64_t host_total_bytes,
                                 const og_decide_fit *fit, og_fitp_input *in);

/* Engine settings as one shared CLI option group fills them. Start from
 * og_decide_settings_default(). */
typedef struct og_decide_settings {
    og_engine engine;
    og_llama_settings llama; /* llama.cpp / Ollama; llama.n_ctx 0 = the trained context */
    int backend_set;         /* 1 = llama.backend was chosen by the user, else the machine's */
    og_mlx_settings mlx;     /* mlx-lm; mlx.ctx 0 = OG_MLX_PLANNING_CTX */
    uint64_t mem_bytes;      /* nonzero: plan against one pool of this size (--mem) */
    og_decide_fit fit;       /* llama.cpp / Ollama: --fit (on unless fit.off) */
} og_decide_settings;

OG_API void og_decide_settings_default(og_decide_settings *s);

/* The engine a model runs on with these settings (AUTO resolved). */
OG_API og_engine og_decide_engine(const og_model *model, const og_decide_settings *s);

/* The llama.cpp backend a machine uses: Metal on Apple Silicon, CUDA with an
 * NVIDIA GPU, Vulkan on an AMD APU (unified memory), ROCm with a discrete
 * AMD GPU, else CPU (NULL: CPU). The one definition every command uses
 * (also exported as og_machine_backend in fit.h). */
OG_API og_backend og_decide_backend(const og_machine *m);

/* ---- input ---- */

typedef struct og_decide_input {
    const og_model *model;         /* required */
    const og_catalog_entry *entry; /* the catalog entry the model was built from, or NULL */
    const og_machine *machine;     /* required: live probe, snapshot or preset */
    /* Other processes (NULL = unknown). On a snapshot without page counts (a
     * preset) their footprints are taken out of the budget; on a live
     * snapshot the page counts already hold them and they are only named. */
    const og_doctor_proc *procs;
    uint32_t n_procs;
    const char *procs_reason; /* why procs is NULL (shown by check 2) */
    const og_log_report *log; /* NULL = none */
    int swapout_rate_known;
    double swapout_bytes_per_s;
    og_decide_settings settings;
    int skip_alternatives; /* 1 = no search for smaller builds / models / tiers (faster; the
                              property tests and --machines that only need the verdict) */
    int pick_only;         /* 1 = of the alternatives only fit_build (the overview's pick) */
    uint32_t usable_ctx;   /* the pick policy's usable context (0 = OG_USABLE_CTX) */
} og_decide_input;

/* ---- output ---- */

typedef enum og_deduction_kind {
    OG_DEDUCT_MACOS_FLOOR = 0, /* RAM macOS keeps outside the GPU (RAM - safe maximum) */
    OG_DEDUCT_WIRED_CEILING,   /* the GPU wired limit below the safe maximum (macOS) */
    OG_DEDUCT_GTT_CEILING,     /* the GTT pool below the safe maximum (AMD APU, ttm.pages_limit) */
    OG_DEDUCT_OTHER_APPS,      /* memory other processes hold (RAM, unified GPU memory or VRAM) */
    OG_DEDUCT_CGROUP,          /* a cgroup memory.max / memory.high below what the host has */
    OG_DEDUCT_MARGIN,          /* the safety margin, 1024 MiB per pool */
    OG_DEDUCT_IN_USE,          /* in use by the system / caches not reclaimable now */
    OG_DEDUCT_KIND_COUNT
} og_deduction_kind;

/* "macos_floor", "wired_ceiling", "gtt_ceiling", "other_apps", "cgroup", "margin", "in_use" */
OG_API const char *og_deduction_name(og_deduction_kind k);

typedef struct og_deduction {
    og_deduction_kind kind;
    uint64_t bytes; /* subtracted at this step */
    char why[160];  /* "iogpu.wired_limit_mb = 0: the macOS default, 48.0 GiB" */
} og_deduction;

#define OG_DECIDE_MAX_DEDUCTIONS 8

/* The budget the verdict ran against, as a chain: start, minus each named
 * deduction, = usable. */
typedef struct og_decided_budget {
    char pool[48];        /* "unified memory", "VRAM (NVIDIA GeForce RTX 4090)", "RAM", "--mem" */
    uint64_t start_bytes; /* RAM, VRAM, or --mem */
    uint32_t n;
    og_deduction d[OG_DECIDE_MAX_DEDUCTIONS];
    uint64_t usable_bytes; /* what the model's limiting pool may use */
    og_budget budget;      /* the og_budget the engine verdict ran against */
} og_decided_budget;

/* The GPU wired limit (macOS iogpu.wired_limit_mb) or the AMD APU GTT pool
 * (Linux ttm.pages_limit), as it stands and what to set. */
typedef struct og_limit_advice {
    int applies;             /* 1 = a Mac or an AMD APU */
    int gtt;                 /* 1 = AMD APU GTT (values in MiB of GTT) */
    uint64_t current_bytes;  /* effective now */
    uint64_t default_bytes;  /* macOS default / kernel default (RAM/2) */
    uint64_t safe_max_bytes; /* RAM - floor (og_wired_max_safe_mb) */
    int at_default;          /* iogpu.wired_limit_mb = 0 / no ttm.pages_limit set */
    int above_safe;          /* the current limit is above the safe maximum: freeze risk */
    uint32_t need_mb;        /* smallest limit at which the plan fits (0 = fits now or never) */
    uint32_t set_mb;         /* the value to set (0 = nothing to apply) */
    uint64_t ttm_pages;      /* GTT: ttm.pages_limit for set_mb (4 KiB pages) */
    char command[200];       /* "sudo sysctl iogpu.wired_limit_mb=57344" or the kernel parameters */
} og_limit_advice;

/* What llama.cpp's --fit does to the placement (docs/DOCTOR.md "Placement").
 * On a discrete GPU, when every layer on the GPU does not fit even at the
 * least context --fit tries and the user pinned none of -ngl, -ts, -ot,
 * llama.cpp's --fit (on by default; Ollama's llama-server too) moves layers
 * and MoE expert tensors to system RAM (common/fit.cpp, og_llama_fit_params).
 * og_decide then plans that placement: the GPU part against the VRAM budget,
 * the part in RAM against the host RAM budget. */
typedef struct og_placement {
    int tried;             /* og_llama_fit_params was run */
    og_fitp_status status; /* its outcome (PLACED: the plan below is the placed one) */
    int placed;            /* 1 = the decision's plan is --fit's placement (part in RAM) */
    uint32_t n_layers;     /* the model's layers + the output layer (what -ngl counts) */
    uint32_t n_layers_gpu; /* of which on the GPU(s) */
    uint32_t n_partial;    /* of those, layers whose experts (or FFN parts) are in RAM */
    int moe;               /* the model has expert tensors */
    uint64_t gpu_bytes;    /* the placed plan on the GPU(s) */
    uint64_t host_bytes;   /* ... and in host RAM (at load) */
    uint64_t gpu_usable_bytes;
    uint64_t host_usable_bytes; /* the host RAM budget it was checked against */
    int64_t host_margin_bytes;  /* host RAM left (< 0: short) */
    char args[2048];            /* "-c 4096 -ngl 25 -ot \"...\"" as llama-fit-params prints */
    char summary[160];          /* "25 of 25 layers on the GPU, experts of 16 in RAM" */
} og_placement;

#define OG_DECIDE_MAX_ADVICE 8

typedef struct og_decision {
    og_engine engine;   /* resolved */
    og_backend backend; /* llama.cpp backend (Metal for MLX) */
    char build[32];     /* the model's build / quant label */

    /* The plan, as the doctor and every presenter read it (weights, KV,
     * compute, total, GPU need, n_ctx, max_ctx, fp16 share, alternatives). */
    og_doctor_plan plan;
    uint64_t host_need_bytes; /* what sits in host RAM (discrete GPUs, CPU) */
    /* The engine's own plan, for presenters that show every buffer. */
    og_llama_memplan llama; /* engine llama.cpp / ollama */
    og_mlx_plan_result mlx; /* engine mlx */
    uint32_t n_ctx_asked;   /* the context asked for (llama.cpp default: the trained one) */
    int ctx_default;        /* 1 = the user did not set a context */
    int ctx_lowered_by_fit; /* llama.cpp --fit lowers n_ctx_asked to plan.n_ctx */

    og_decided_budget budget;
    og_placement placement; /* llama.cpp's --fit placement (placement.placed) */

    og_fit_verdict verdict; /* at plan.n_ctx against budget */
    int fits;               /* verdict != OG_FIT_NO */
    int64_t margin_bytes;   /* headroom of the limiting pool (< 0: short) */
    uint32_t max_ctx;       /* largest context that fits now (0 = none) */

    /* Why it does not fit (all 0 when it fits), each what-if with the
     * engine's own verdict: */
    int fits_if_limit_raised; /* fits once the wired / GTT limit is limit.set_mb */
    int fits_if_others_closed;
    uint64_t others_bytes; /* what closing the other processes returns to the pool */
    int fits_at_capacity;  /* fits with the limit at the safe maximum and others closed */

    og_limit_advice limit;
    og_doctor_report report; /* the seven checks */
    int machine_warnings;    /* failing checks about the machine's state (6, 3 above-safe) */

    /* Alternatives (catalog entries; "" when none or skip_alternatives). */
    char fit_build[32];       /* the best build of this model that fits (policy: OG_USABLE_CTX) */
    uint64_t fit_build_bytes; /* its need */
    uint32_t fit_build_ctx;   /* its largest context */
    char smaller_model[64];   /* nearest smaller catalog model that fits (same family first) */
    char smaller_build[32];
    uint64_t smaller_bytes;
    char tier[64]; /* the smallest machine preset on which the smallest build fits */

    uint32_t n_advice;
    char advice[OG_DECIDE_MAX_ADVICE][320]; /* concrete fixes, most useful first */

    /* One buffer above the device's single-allocation limit (Vulkan
     * maxMemoryAllocationSize, Metal maxBufferLength): the load fails however
     * much memory is free. buffer_too_large 1: largest_buffer_bytes >
     * max_buffer_bytes, and the verdict is "does not fit" for that reason. */
    int buffer_too_large;
    uint64_t largest_buffer_bytes;
    uint64_t max_buffer_bytes;
    char buffer_limit_name[48]; /* "the Vulkan driver's single-allocation limit" */
} og_decision;

/* Decide. The decision is large (about 60 KiB): allocate it. OG_ERR_INVALID
 * for settings the engine refuses (the message names the setting) or a
 * missing model / machine. */
OG_API og_status og_decide(const og_decide_input *in, og_decision *out, og_error *err);

/* The limit advice without a model: the recommended wired limit
 * (min(75 % of RAM, RAM - floor)) or, on an AMD APU, GTT up to the safe
 * maximum; set_mb 0 when the current limit is already at least that, and a
 * limit above the safe maximum lowered to it. */
OG_API void og_decide_limit(const og_machine *m, og_limit_advice *l);

/* Machine checks only (no model): the doctor's seven checks with the model
 * checks "unknown" (or check 1 from the log). */
OG_API void og_decide_machine(const og_decide_input *in, og_doctor_report *r);

#ifdef __cplusplus
}
#endif
#endif
