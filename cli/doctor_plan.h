/* The model side of `oomguard doctor` and `oomguard wired --recommend MODEL`:
 * open a model (path, URL or catalog name) and size it for the doctor
 * (og_doctor_plan). Implemented in cli/cmd_doctor.c. */
#ifndef OG_CLI_DOCTOR_PLAN_H
#define OG_CLI_DOCTOR_PLAN_H

#include <stdint.h>

#include "oomguard/oomguard.h"
#include "oomguard/catalog.h"
#include "oomguard/doctor.h"

enum { DOCTOR_ENGINE_AUTO = 0, DOCTOR_ENGINE_MLX, DOCTOR_ENGINE_LLAMA };

typedef struct doctor_model_opts {
    uint64_t ctx;      /* tokens (0 = 4096, capped at the trained context) */
    int kv_bits;       /* 0/16 = f16, 8, 4 */
    const char *quant; /* catalog build ("Q4_K_M", "mlx-4bit"); NULL = default */
    int engine;        /* DOCTOR_ENGINE_* */
    uint64_t mem;      /* --mem: budget override (0 = the machine's) */
    /* llama.cpp only (0 / NULL = llama.cpp's default) */
    const char *cache_type_k, *cache_type_v; /* -ctk / -ctv: f16, q8_0, q4_0 ... */
    int flash_attn;                          /* 0 unset, 1 on, 2 off, 3 auto */
    int ngl_set;                             /* --gpu-layers given */
    int32_t n_gpu_layers;                    /* -ngl (-1 = all) */
    /* The shared engine options (cli/engine_opts.h), or NULL: the base the
     * fields above are applied on (batch, ubatch, parallel, mmap, backend,
     * MLX settings ...). backend_set: keep llama->backend instead of the
     * machine's. */
    const og_llama_settings *llama;
    const og_mlx_settings *mlx;
    int backend_set;
} doctor_model_opts;

struct cli_engine_opts;
/* Fill o from the shared engine options (cli/engine_opts.h) for `cmd`.
 * Returns 0 or an exit code (message printed): --engine all and ollama are
 * fit's alone; --ctx must be 16 ... 2^24. */
int doctor_opts_from_engine(const struct cli_engine_opts *e, const char *cmd, doctor_model_opts *o);

/* The opened model and where it came from. */
typedef struct doctor_model {
    og_model *model;               /* owned: og_model_free */
    const og_catalog_entry *entry; /* catalog entry, or NULL for a file / URL */
    og_catalog_build build;        /* catalog build (OG_BUILD_COUNT for files) */
    int mlx;                       /* planned with the MLX (mlx-lm) memory model */
} doctor_model;

/* Open what the user named: an existing path or a URL through og_model_open,
 * else a catalog name (err carries "did you mean" on a typo). */
og_status doctor_open_model(const char *arg, const og_machine *m, const doctor_model_opts *o,
                            doctor_model *out, og_error *err);

/* Fill the doctor's plan for checks 1, 4, 5 (and wired --recommend). This is
 * the one place that picks the engine memory model (see cmd_doctor.c). */
og_status doctor_plan_for_model(const doctor_model *dm, const og_machine *m, const og_budget *b,
                                const doctor_model_opts *o, og_doctor_plan *p, og_error *err);

#endif
