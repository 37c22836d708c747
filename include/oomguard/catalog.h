/* oomguard — the built-in model catalog ("what can I run here?").
 *
 * The catalog is data (data/catalog.json, embedded in the library at build
 * time and installed to share/oomguard): popular open models with the
 * hyper-parameters the memory models need, each taken from the model's
 * config.json (every entry names its source). Users add entries with the
 * same schema in ~/.config/oomguard/catalog.json or $OOMGUARD_CATALOG.
 *
 * og_catalog_model() turns an entry and a build (GGUF Q4_K_M, MLX 4-bit, ...)
 * into an og_model of format OG_FORMAT_CATALOG with a synthetic tensor list:
 * llama.cpp tensor names and types chosen by llama.cpp's quantization mix
 * rules for GGUF builds, mlx-lm names and packed U32/scales/biases for MLX
 * builds. The engine memory models run on it unchanged.
 *
 * Thread safety: the first call that needs the catalog loads it, once, under
 * a lock; og_catalog_load() returns that load's outcome (e.g. a bad user
 * catalog file) to every caller.
 */
#ifndef OOMGUARD_CATALOG_H
#define OOMGUARD_CATALOG_H

#include <stdint.h>

#include "machine.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_CATALOG_SCHEMA_VERSION 1
#define OG_CATALOG_MAX_ALIASES 12

typedef enum og_catalog_build {
    OG_BUILD_MLX_3BIT = 0,
    OG_BUILD_MLX_4BIT,
    OG_BUILD_MLX_6BIT,
    OG_BUILD_MLX_8BIT,
    OG_BUILD_MLX_BF16,
    OG_BUILD_GGUF_Q2_K,
    OG_BUILD_GGUF_Q3_K_M,
    OG_BUILD_GGUF_IQ4_XS,
    OG_BUILD_GGUF_Q4_0,
    OG_BUILD_GGUF_Q4_K_M,
    OG_BUILD_GGUF_Q5_K_M,
    OG_BUILD_GGUF_Q6_K,
    OG_BUILD_GGUF_Q8_0,
    OG_BUILD_GGUF_F16,
    /* every other llama-quantize type people download (llama.cpp
     * include/llama.h llama_ftype; mixes in src/quantmix.c) */
    OG_BUILD_GGUF_Q2_K_S,
    OG_BUILD_GGUF_Q3_K_S,
    OG_BUILD_GGUF_Q3_K_L,
    OG_BUILD_GGUF_Q4_1,
    OG_BUILD_GGUF_Q4_K_S,
    OG_BUILD_GGUF_Q5_0,
    OG_BUILD_GGUF_Q5_1,
    OG_BUILD_GGUF_Q5_K_S,
    OG_BUILD_GGUF_IQ1_S,
    OG_BUILD_GGUF_IQ1_M,
    OG_BUILD_GGUF_IQ2_XXS,
    OG_BUILD_GGUF_IQ2_XS,
    OG_BUILD_GGUF_IQ2_S,
    OG_BUILD_GGUF_IQ2_M,
    OG_BUILD_GGUF_IQ3_XXS,
    OG_BUILD_GGUF_IQ3_XS,
    OG_BUILD_GGUF_IQ3_S,
    OG_BUILD_GGUF_IQ3_M,
    OG_BUILD_GGUF_IQ4_NL,
    OG_BUILD_GGUF_MXFP4,
    OG_BUILD_GGUF_BF16,
    OG_BUILD_MLX_5BIT,
    OG_BUILD_COUNT
} og_catalog_build;

/* "mlx-4bit", "mlx-bf16", "Q4_K_M", "IQ2_XXS", "MXFP4", "BF16", "F16" ... */
OG_API const char *og_catalog_build_name(og_catalog_build b);
/* 1 for MLX builds, 0 for GGUF. */
OG_API int og_catalog_build_is_mlx(og_catalog_build b);
/* Approximate bits per weight of a build's main type (for ordering and
 * labels only; sizes are always computed per tensor). */
OG_API double og_catalog_build_bits(og_catalog_build b);
/* Parse a build name, case-insensitive, punctuation ignored: every name
 * og_catalog_build_name returns ("q4_k_m", "iq2-xxs", "MXFP4_MOE" too), and
 * "4bit", "mlx4", "mlx-4bit-dwq"/"-qat" (same layout as mlx-4bit), "fp16".
 * "bf16" is the GGUF BF16 build; "mlx-bf16" the MLX one. OG_ERR_INVALID
 * naming the accepted names otherwise. */
OG_API og_status og_catalog_build_from_name(const char *name, og_catalog_build *out, og_error *err);

/* Attention / block details that change the tensor list. */
typedef enum og_qk_norm { OG_QK_NORM_NONE = 0, OG_QK_NORM_HEAD, OG_QK_NORM_FULL } og_qk_norm;

typedef struct og_catalog_entry {
    char name[64];       /* canonical id: "qwen3-32b" */
    char display[96];    /* "Qwen3 32B" */
    char family[48];     /* row group in the overview: "Qwen3" */
    char size_label[24]; /* "32B", "30B-A3B" */
    char hf_repo[128];   /* "Qwen/Qwen3-32B" */
    char source[640];    /* where the numbers came from */
    char torch_dtype[16];
    char origin[256]; /* "built-in" or the user file it came from */
    uint32_t n_aliases;
    char aliases[OG_CATALOG_MAX_ALIASES][64];

    og_hparams hp;             /* llama.cpp view of the hyper-parameters */
    uint64_t params_published; /* total parameters as published (model card / HF) */
    int multimodal;            /* published total includes a vision tower not in hp */

    /* block layout details */
    int attn_bias;                    /* q/k/v biases (Qwen 2, GLM) */
    int attn_out_bias;                /* output projection bias (gpt-oss) */
    og_qk_norm qk_norm;               /* per-head (Qwen 3, Gemma 3) or full-width (OLMo 2) */
    int post_norms;                   /* post-attention / post-FFN norms (Gemma 2/3, OLMo 2) */
    int no_pre_norms;                 /* OLMo 2: only post norms */
    int fused_qkv;                    /* Phi-3: one attn_qkv and a fused gate+up */
    int moe_bias;                     /* gpt-oss: expert and router biases, attention sinks */
    int expert_gating_bias;           /* DeepSeek V3 / GLM-4.5: router score-correction bias */
    int published_counts_tied_output; /* the published total counts a tied lm_head twice */
    uint32_t moe_step;                /* Llama 4: every moe_step-th layer is MoE (0/1 = all) */
    uint32_t qk_nope_head_dim, qk_rope_head_dim; /* MLA */
} og_catalog_entry;

/* Load the built-in catalog and the user file ($OOMGUARD_CATALOG, else
 * ~/.config/oomguard/catalog.json when it exists). A bad user file is an
 * error naming the file, the entry and the key; the built-in catalog stays
 * usable (og_catalog_count() still works after a failure). Idempotent. */
OG_API og_status og_catalog_load(og_error *err);

/* Parse and validate a catalog document (the schema of data/catalog.json).
 * Used for the built-in data and user files; `name` is used in messages.
 * On success *out receives a malloc'd array of *n entries (free()). */
OG_API og_status og_catalog_parse(const char *json, size_t len, const char *name,
                                  og_catalog_entry **out, uint32_t *n, og_error *err);

OG_API uint32_t og_catalog_count(void);
OG_API const og_catalog_entry *og_catalog_get(uint32_t i);

/* Find by name, alias, Hugging Face repo or Ollama tag ("llama3.1:8b",
 * "Qwen/Qwen3-32B", "qwen3 32b"): case and punctuation are ignored. On a miss
 * err says "unknown model 'X'; did you mean 'Y'?" (edit distance) and the
 * status is OG_ERR_NOT_FOUND. */
OG_API og_status og_catalog_find(const char *name, const og_catalog_entry **out, og_error *err);

/* Up to max suggestions for a typo, closest first; returns how many. */
OG_API uint32_t og_catalog_suggest(const char *name, const og_catalog_entry **out, uint32_t max);

/* Whether this build exists for the entry: every GGUF type, except MXFP4
 * (llama-quantize MXFP4_MOE) which only mixture-of-experts entries get, and
 * every MLX build. */
OG_API int og_catalog_has_build(const og_catalog_entry *e, og_catalog_build b);

/* The name a build of an entry is published under, by the community
 * conventions: MLX "mlx-community/<Repo>-4bit" (-3bit ... -8bit, -bf16; the
 * DWQ/QAT uploads add "-DWQ" / use "-qat-4bit" and have the same layout),
 * GGUF "<Repo>-Q4_K_M.gguf" as llama.cpp's convert + llama-quantize name
 * them (the repositories that carry them: <org>/<Repo>-GGUF). <Repo> is the
 * entry's Hugging Face repository name. A naming convention, not a check that
 * the upload exists. Writes "" when the entry has no hf_repo. */
OG_API void og_catalog_build_repo(const og_catalog_entry *e, og_catalog_build b, char *buf,
                                  size_t n);

/* The build a published name carries ("mlx-community/Qwen3-8B-4bit-DWQ" ->
 * mlx-4bit, "Qwen3-8B-Q5_K_M.gguf" -> Q5_K_M), OG_BUILD_COUNT when none.
 * og_catalog_find resolves such names to their entry. */
OG_API og_catalog_build og_catalog_name_build(const char *name);

/* The builds `--quant` accepts for an entry, for one engine family (mlx = 1:
 * MLX builds, else GGUF builds), best first (most bits first). Advice should
 * name only these. Writes up to max into out; returns how many there are. */
OG_API uint32_t og_catalog_builds(const og_catalog_entry *e, int mlx, og_catalog_build *out,
                                  uint32_t max);

/* Build the model: format OG_FORMAT_CATALOG, path = entry name, name =
 * display name, quant_label = build name, a synthetic tensor list
 * (llama.cpp names and types for GGUF builds, following llama.cpp
 * src/llama-quant.cpp; mlx-lm names and dtypes for MLX builds, following
 * mlx_lm/utils.py quantize_model), weight_bytes and n_params. */
OG_API og_status og_catalog_model(const og_catalog_entry *e, og_catalog_build b, og_model **out,
                                  og_error *err);

/* ---- The user catalog (`oomguard catalog add|list|remove`) ---- */

/* The user catalog file: $OOMGUARD_CATALOG, else
 * $XDG_CONFIG_HOME/oomguard/catalog.json, else ~/.config/oomguard/catalog.json. */
OG_API og_status og_catalog_user_path(char *buf, size_t n, og_error *err);

/* Describe a model whose headers were read (og_remote_open of hf://ORG/REPO,
 * or a local folder) as one catalog entry, JSON text in the schema of
 * data/catalog.json: its config's hyper-parameters, the block details its
 * tensor names show, its parameter count as the published total and a source
 * naming the repository. *json_out is malloc'd (free()).
 * OG_ERR_UNSUPPORTED names what the schema cannot describe (an architecture
 * the tensor generator does not know, irregular layer patterns). */
OG_API og_status og_catalog_entry_json(const og_model *m, const char *name, const char *hf_repo,
                                       char **json_out, og_error *err);

/* Check an entry (as og_catalog_parse checks every catalog file) and write
 * it into the user catalog file, replacing an entry of the same name; the
 * file is created (with its folder) if needed and replaced atomically. The
 * existing file must be a valid catalog. *added (may be NULL) receives the
 * parsed entry. Catalogs already loaded in this process are not reloaded. */
OG_API og_status og_catalog_user_add(const char *entry_json, og_catalog_entry *added,
                                     og_error *err);

/* Remove an entry by name from the user catalog file (OG_ERR_NOT_FOUND if
 * it is not there). */
OG_API og_status og_catalog_user_remove(const char *name, og_error *err);

/* ---- "What can I run here?" ---- */

/* Settings for a plan. Zero fields take defaults. */
typedef struct og_fit_settings {
    uint64_t ctx;          /* context to plan for (0 = a usable default, 8192) */
    uint64_t min_ctx;      /* smallest context that counts as usable (0 = 4096) */
    int kv_bits;           /* 16 (default), 8 or 4 */
    uint64_t budget_bytes; /* nonzero: use this budget instead of the machine's (--mem) */
} og_fit_settings;

/* The answer of an estimator for one model on one machine. */
typedef struct og_fit_result {
    int fits;              /* fits at settings.ctx (or at min_ctx for searches) */
    uint64_t total_bytes;  /* estimated peak at the planned context */
    uint64_t budget_bytes; /* what the machine offers this engine */
    uint64_t max_ctx;      /* largest context that fits (0 = none), capped at n_ctx_train */
    char note[160];
} og_fit_result;

/* An estimator: memory of a model at a context on a machine. fit.h has the
 * two built on the engine plans (og_fit_llama, og_fit_mlx); fn = NULL below
 * picks them (MLX builds and folders: og_fit_mlx, else og_fit_llama). */
typedef og_status (*og_fit_fn)(const og_model *model, const og_machine *machine,
                               const og_fit_settings *s, og_fit_result *out, void *user,
                               og_error *err);

/* Best build of an entry on a machine for one engine family (mlx = 1: MLX
 * builds, else GGUF builds): the largest-bit build that fits with at least
 * min_ctx tokens; reports its largest context. fn NULL: og_fit_mlx for
 * mlx = 1, og_fit_llama otherwise. *build = OG_BUILD_COUNT and
 * result.fits = 0 when none fits. */
OG_API og_status og_catalog_best_build(const og_catalog_entry *e, const og_machine *machine,
                                       int mlx, const og_fit_settings *s, og_fit_fn fn, void *user,
                                       og_catalog_build *build, og_fit_result *result,
                                       og_error *err);

/* "Which machine do I need?": for a model and settings, every machine preset
 * (og_machine_preset_count/name), smallest memory first, with whether the
 * model fits at s->ctx and the largest context each allows. */
typedef struct og_machine_fit {
    char preset[64];
    uint64_t ram_bytes;
    og_fit_result result;
} og_machine_fit;

/* Fills up to max rows in out (smallest RAM first); *n receives the count. */
OG_API og_status og_fit_machines(const og_model *model, const og_fit_settings *s, og_fit_fn fn,
                                 void *user, og_machine_fit *out, uint32_t max, uint32_t *n,
                                 og_error *err);

#ifdef __cplusplus
}
#endif
#endif
