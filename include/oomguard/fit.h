/* oomguard — the engine plans as "what fits" estimators.
 *
 * og_fit_llama and og_fit_mlx are og_fit_fn adapters (catalog.h) over the
 * decision core (decide.h: og_decide with the llama.cpp or the MLX engine). og_catalog_best_build
 * and og_fit_machines use them when passed fn = NULL (GGUF builds through og_fit_llama, MLX builds
 * through og_fit_mlx).
 *
 * Both read the context from og_fit_settings.ctx (0 = 8192, capped at the
 * model's trained context) and the budget from og_fit_settings.budget_bytes
 * (one unified pool, like `fit --mem`) or else og_machine_budget(machine).
 * og_fit_result.total_bytes is the plan's total (llama.cpp) or peak (MLX);
 * fits is 1 for "fits" and "tight"; max_ctx is the engine's own search.
 */
#ifndef OOMGUARD_FIT_H
#define OOMGUARD_FIT_H

#include "catalog.h"
#include "llama.h"
#include "machine.h"
#include "mlx.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The llama.cpp backend a machine would use: og_decide_backend (decide.h):
 * Metal with an Apple GPU, CUDA with an NVIDIA GPU, Vulkan on an AMD APU,
 * ROCm with a discrete AMD GPU, else CPU (machine NULL: CPU). */
OG_API og_backend og_machine_backend(const og_machine *m);

/* user: const og_llama_settings * (NULL = og_llama_settings_default with
 * og_machine_backend(machine)); its n_ctx is replaced by the context above.
 * With user set, its backend is used as given. */
OG_API og_status og_fit_llama(const og_model *model, const og_machine *machine,
                              const og_fit_settings *s, og_fit_result *out, void *user,
                              og_error *err);

/* user: const og_mlx_settings * (NULL = og_mlx_settings_default); its ctx is
 * replaced by the context above; og_fit_settings.kv_bits 8 or 4 sets
 * --kv-bits when user is NULL. */
OG_API og_status og_fit_mlx(const og_model *model, const og_machine *machine,
                            const og_fit_settings *s, og_fit_result *out, void *user,
                            og_error *err);

#ifdef __cplusplus
}
#endif
#endif
