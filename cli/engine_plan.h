/* The llama.cpp memory plan (include/oomguard/llama.h) as the CLI's doctor
 * and run preflight use it: the backend a machine runs, KV settings from a
 * bit count, and an og_fit_fn adapter for the catalog's searches
 * (og_catalog_best_build, og_fit_machines). Implemented in cli/engine_plan.c. */
#ifndef OG_CLI_ENGINE_PLAN_H
#define OG_CLI_ENGINE_PLAN_H

#include <stdint.h>

#include "oomguard/catalog.h"
#include "oomguard/llama.h"
#include "oomguard/machine.h"

/* The llama.cpp backend this machine would run: Metal on Apple Silicon (and
 * Apple presets), CUDA with an NVIDIA GPU, ROCm with a discrete AMD GPU,
 * Vulkan on an AMD APU (unified memory), else CPU. NULL = CPU. */
og_backend cli_llama_backend(const og_machine *m);

/* KV cache precision from a bit count (16/0 = f16; 8 = q8_0, 4 = q4_0, both
 * with flash attention on: llama.cpp needs it for a quantized V cache). */
void cli_llama_kv_bits(og_llama_settings *s, int kv_bits);

/* The budget b with the model's pools capped at cap bytes (the doctor's
 * "capacity", --mem): the GPU pool for a GPU backend, and host memory too
 * when the pools are one (unified) or the backend is the CPU. */
void cli_budget_cap(const og_budget *b, og_backend backend, uint64_t cap, og_budget *out);

/* The plan with the weights scaled to weight_bytes (a re-quantized build of
 * the same model: og_llama_quant_weight_bytes), pool by pool. */
void cli_llama_plan_reweight(og_llama_memplan *p, uint64_t weight_bytes);

/* Largest context (multiple of 256, at most the trained one) whose plan,
 * weights scaled to weight_bytes (0 = as stored), fits the budget. */
uint32_t cli_llama_max_ctx(const og_model *model, const og_llama_settings *s, const og_budget *b,
                           uint64_t weight_bytes);

/* user for cli_llama_fit (may be NULL): base settings (NULL = llama.cpp's
 * defaults with the machine's backend) and a weight override (0 = none). */
typedef struct cli_llama_fit_user {
    const og_llama_settings *base;
    uint64_t weight_bytes;
    int machine_backend; /* 1: the backend of the machine asked about, not base's */
} cli_llama_fit_user;

/* og_fit_fn over og_llama_plan + og_llama_verdict: total = the plan's total
 * bytes at s->ctx (capped at the trained context), fits = verdict is not
 * "does not fit" against the machine's budget (or s->budget_bytes as the
 * cap), max_ctx = cli_llama_max_ctx. */
og_status cli_llama_fit(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                        og_fit_result *out, void *user, og_error *err);

#endif
