/* The engine plans as og_fit_fn estimators (include/oomguard/fit.h) for the
 * catalog's searches (og_catalog_best_build, og_fit_machines). Each adapter
 * maps og_fit_settings onto og_decide (include/oomguard/decide.h, the one
 * decision every command presents) and reads its answer: nothing is
 * assembled here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/decide.h"
#include "oomguard/fit.h"
#include "og_internal.h"

og_backend og_machine_backend(const og_machine *m)
{
    return og_decide_backend(m); /* one definition (src/decide_budget.c) */
}

/* ctx 0 = 8192, capped at the model's trained context (fit.h); explicit, so
 * llama.cpp's --fit does not lower it. */
static uint64_t fit_ctx(const og_model *model, const og_fit_settings *s)
{
    uint64_t ctx = s && s->ctx ? s->ctx : 8192;
    if (model->hp.n_ctx_train && ctx > model->hp.n_ctx_train)
        ctx = model->hp.n_ctx_train;
    return ctx;
}

static og_status fit_decide(og_engine engine, const og_model *model, const og_machine *machine,
                            const og_fit_settings *s, og_fit_result *out, const void *user,
                            og_error *err)
{
    memset(out, 0, sizeof *out);
    if (!model)
        return og_error_set(err, OG_ERR_INVALID, "fit: no model");
    if (!machine && !(s && s->budget_bytes))
        return og_error_set(err, OG_ERR_INVALID, "fit: no machine and no budget");
    og_decide_input in = {0};
    og_machine *blank = NULL;
    in.model = model;
    in.machine = machine;
    if (!machine) {
        blank = calloc(1, sizeof *blank);
        if (!blank)
            return og_error_set(err, OG_ERR_NOMEM, "fit: out of memory");
        og_machine_init(blank);
        in.machine = blank;
    }
    og_decide_settings_default(&in.settings);
    in.settings.engine = engine;
    in.settings.mem_bytes = s ? s->budget_bytes : 0;
    in.skip_alternatives = 1;
    uint64_t ctx = fit_ctx(model, s);
    int kv = s ? s->kv_bits : 0;
    if (engine == OG_ENGINE_MLX) {
        if (user) {
            in.settings.mlx = *(const og_mlx_settings *)user;
        } else if (kv == 8 || kv == 4) {
            in.settings.mlx.kv_bits = (uint32_t)kv;
            in.settings.mlx.quantized_kv_start = 0;
        }
        in.settings.mlx.ctx = ctx;
    } else {
        if (user) {
            in.settings.llama = *(const og_llama_settings *)user;
            in.settings.backend_set = 1; /* fit.h: with user set, its backend is used as given */
            in.settings.engine = in.settings.llama.engine == OG_LLAMA_ENGINE_OLLAMA
                                     ? OG_ENGINE_OLLAMA
                                     : OG_ENGINE_LLAMA_CPP;
        } else if (kv == 8 || kv == 4) {
            int t = og_ggml_type_from_name(kv == 8 ? "q8_0" : "q4_0");
            in.settings.llama.type_k = in.settings.llama.type_v = t;
            in.settings.llama.flash_attn = OG_FA_ON; /* quantized V needs flash attention */
        }
        in.settings.llama.n_ctx = ctx > UINT32_MAX ? UINT32_MAX : (uint32_t)ctx;
    }
    og_decision *d = calloc(1, sizeof *d);
    og_status st = d ? og_decide(&in, d, err) : og_error_set(err, OG_ERR_NOMEM, "out of memory");
    if (st == OG_ERR_UNSUPPORTED && engine == OG_ENGINE_MLX) {
        og_strlcpy(out->note, "MLX runs only on Apple Silicon", sizeof out->note);
        st = OG_OK; /* no budget here: does not fit, nothing else to say */
    } else if (st == OG_OK) {
        out->fits = d->fits;
        out->total_bytes = engine == OG_ENGINE_MLX ? d->plan.total_bytes : d->llama.total_bytes;
        out->budget_bytes = d->budget.usable_bytes;
        out->max_ctx = d->max_ctx;
        if (engine == OG_ENGINE_MLX)
            snprintf(out->note, sizeof out->note, "MLX plan (%s), %s", d->mlx.quant,
                     og_fit_verdict_name(d->verdict));
        else if (d->placement.placed)
            snprintf(out->note, sizeof out->note,
                     "llama.cpp %s plan, partly in RAM (--fit: %.100s)",
                     og_backend_name(d->backend), d->placement.summary);
        else
            snprintf(out->note, sizeof out->note, "llama.cpp %s plan%s",
                     og_backend_name(d->backend), in.settings.mem_bytes ? ", budget given" : "");
    }
    free(d);
    free(blank);
    return st;
}

og_status og_fit_llama(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                       og_fit_result *out, void *user, og_error *err)
{
    return fit_decide(OG_ENGINE_LLAMA_CPP, model, machine, s, out, user, err);
}

og_status og_fit_mlx(const og_model *model, const og_machine *machine, const og_fit_settings *s,
                     og_fit_result *out, void *user, og_error *err)
{
    return fit_decide(OG_ENGINE_MLX, model, machine, s, out, user, err);
}
