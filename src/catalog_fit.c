/* "What can I run here?": the best build of a catalog model on a machine,
 * and the machine presets a model fits on. The estimator is pluggable
 * (og_fit_fn); fn = NULL uses the engine plans (og_fit_llama, og_fit_mlx in
 * src/fit_fn.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "oomguard/fit.h"
#include "og_internal.h"

/* The default estimators: the engine plans (src/fit_fn.c). */
static og_fit_fn default_fn(const og_model *m)
{
    int mlx = m->format == OG_FORMAT_MLX ||
              (m->format == OG_FORMAT_CATALOG && strncmp(m->quant_label, "mlx-", 4) == 0);
    return mlx ? og_fit_mlx : og_fit_llama;
}

/* Best first within each engine family. */
static const og_catalog_build mlx_order[] = {
    OG_BUILD_MLX_BF16, OG_BUILD_MLX_8BIT, OG_BUILD_MLX_6BIT, OG_BUILD_MLX_4BIT, OG_BUILD_MLX_3BIT};
static const og_catalog_build gguf_order[] = {
    OG_BUILD_GGUF_F16,    OG_BUILD_GGUF_Q8_0,   OG_BUILD_GGUF_Q6_K,   OG_BUILD_GGUF_Q5_K_M,
    OG_BUILD_GGUF_Q4_K_M, OG_BUILD_GGUF_IQ4_XS, OG_BUILD_GGUF_Q3_K_M, OG_BUILD_GGUF_Q2_K};

og_status og_catalog_best_build(const og_catalog_entry *e, const og_machine *machine, int mlx,
                                const og_fit_settings *s, og_fit_fn fn, void *user,
                                og_catalog_build *build, og_fit_result *result, og_error *err)
{
    *build = OG_BUILD_COUNT;
    memset(result, 0, sizeof *result);
    if (!fn)
        fn = mlx ? og_fit_mlx : og_fit_llama;
    uint64_t min_ctx = s && s->min_ctx ? s->min_ctx : 4096;
    if (e->hp.n_ctx_train && min_ctx > e->hp.n_ctx_train)
        min_ctx = e->hp.n_ctx_train;
    og_fit_settings local = s ? *s : (og_fit_settings){0};
    if (!local.ctx)
        local.ctx = min_ctx;
    const og_catalog_build *order = mlx ? mlx_order : gguf_order;
    size_t n = mlx ? sizeof mlx_order / sizeof *mlx_order : sizeof gguf_order / sizeof *gguf_order;
    for (size_t i = 0; i < n; i++) {
        og_model *m = NULL;
        og_status st = og_catalog_model(e, order[i], &m, err);
        if (st != OG_OK)
            return st;
        og_fit_result r;
        st = fn(m, machine, &local, &r, user, err);
        og_model_free(m);
        if (st != OG_OK)
            return st;
        if (r.max_ctx >= min_ctx) {
            r.fits = 1;
            *build = order[i];
            *result = r;
            return OG_OK;
        }
        if (i == n - 1) /* smallest build: report why it does not fit */
            *result = r;
    }
    result->fits = 0;
    return OG_OK;
}

static int cmp_fit(const void *a, const void *b)
{
    const og_machine_fit *x = a, *y = b;
    if (x->ram_bytes != y->ram_bytes)
        return x->ram_bytes < y->ram_bytes ? -1 : 1;
    return strcmp(x->preset, y->preset);
}

og_status og_fit_machines(const og_model *model, const og_fit_settings *s, og_fit_fn fn, void *user,
                          og_machine_fit *out, uint32_t max, uint32_t *n, og_error *err)
{
    *n = 0;
    if (!fn)
        fn = default_fn(model);
    og_fit_settings local = s ? *s : (og_fit_settings){0};
    local.budget_bytes = 0; /* each preset's own budget */
    uint32_t cnt = og_machine_preset_count();
    og_machine *m = malloc(sizeof *m);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "fit: out of memory");
    for (uint32_t i = 0; i < cnt && *n < max; i++) {
        const char *name = og_machine_preset_name(i);
        og_status st = og_machine_preset(name, m, err);
        if (st == OG_OK)
            st = fn(model, m, &local, &out[*n].result, user, err);
        if (st != OG_OK) {
            free(m);
            return st;
        }
        og_strlcpy(out[*n].preset, name, sizeof out[*n].preset);
        out[*n].ram_bytes = m->ram_bytes;
        (*n)++;
    }
    free(m);
    qsort(out, *n, sizeof *out, cmp_fit);
    return OG_OK;
}
