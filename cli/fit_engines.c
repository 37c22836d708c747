/* oomguard fit: one engine's answer (llama.cpp / Ollama, MLX) as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

static const char *type_name(int t)
{
    const og_ggml_type_info *ti = og_ggml_type((uint32_t)t);
    return ti ? ti->name : "?";
}

static void print_table(const fit_opts *o, const og_model *m, const og_llama_memplan *p,
                        const og_budget *b, const char *budget_src, const og_llama_fit *f)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    fprintf(out, "%sModel%s     %s  (%s, %u layers, %s, %s)\n", B, R, m->name ? m->name : o->model,
            m->hp.arch, m->hp.n_layer, m->quant_label[0] ? m->quant_label : "?",
            cli_bytes(m->weight_bytes));
    fprintf(out,
            "%sSettings%s  %s, %s backend, ctx %u (%u x %u seq), batch %u, ubatch %u, KV %s/%s, "
            "flash attention %s, %s\n",
            B, R, o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp",
            og_backend_name(p->backend), p->n_ctx, p->n_ctx_seq, p->n_stream, p->n_batch,
            p->n_ubatch, type_name(p->type_k), type_name(p->type_v), p->flash_attn ? "on" : "off",
            o->s.use_mmap ? "mmap" : "no mmap");
    if (p->swa_cells)
        fprintf(out, "          sliding-window cache %u cells, full cache %u cells\n", p->swa_cells,
                p->kv_cells);
    if (p->backend != OG_BACKEND_CPU)
        fprintf(out, "          %u/%u layers on the GPU%s\n", p->n_layer_gpu, p->n_layer,
                p->output_on_gpu ? " + output" : "");
    fprintf(out, "\n%s%-10s %-16s %12s %7s%s\n", B, "component", "device", "bytes", "share", R);
    for (int c = 0; c < OG_COMP_COUNT; c++)
        for (int q = 0; q < OG_POOL_COUNT; q++) {
            uint64_t v = p->bytes[c][q];
            if (!v)
                continue;
            fprintf(out, "%-10s %-16s %12s %6.1f%%\n", og_component_name((og_component)c),
                    og_pool_name((og_pool)q, p->backend), cli_bytes(v),
                    p->total_bytes ? 100.0 * (double)v / (double)p->total_bytes : 0.0);
        }
    fprintf(out, "%s%-10s %-16s %12s%s\n", B, "total", "", cli_bytes(p->total_bytes), R);
    if (p->backend != OG_BACKEND_CPU)
        fprintf(out, "%-10s %-16s %12s\n%-10s %-16s %12s\n", "", "on the GPU",
                cli_bytes(p->gpu_bytes), "", "in host RAM", cli_bytes(p->host_bytes));
    if (p->grown_total_bytes > p->total_bytes) {
        /* llama-server grows after load (og_llama_memplan grow_*) */
        fprintf(out, "%-10s %-16s %12s  at load %s", "grown", "host RAM",
                cli_bytes(p->grown_total_bytes), cli_bytes(p->total_bytes));
        if (p->grow_prompt_cache_bytes)
            fprintf(out, " + prompt cache %s (--cache-ram)", cli_bytes(p->grow_prompt_cache_bytes));
        if (p->grow_checkpoint_bytes)
            fprintf(out, " + %u checkpoints/slot %s (--ctx-checkpoints)", p->n_checkpoints,
                    cli_bytes(p->grow_checkpoint_bytes));
        fprintf(out, "\n");
    }
    for (uint32_t d = 0; p->n_devices > 1 && d < p->n_devices; d++) {
        char dn[24];
        snprintf(dn, sizeof dn, "GPU%u (%u layers)", d, p->dev_layers[d]);
        fprintf(out, "%-10s %-16s %12s  %s(weights %s, KV %s, compute %s)%s\n", "", dn,
                cli_bytes(p->dev_model[d] + p->dev_context[d] + p->dev_compute[d]), D,
                cli_bytes(p->dev_model[d]), cli_bytes(p->dev_context[d]),
                cli_bytes(p->dev_compute[d]), R);
    }
    for (uint32_t i = 0; i < p->n_notes; i++)
        fprintf(out, "%snote: %s%s\n", D, p->notes[i], R);
    if (!b) {
        fprintf(out, "\nbudget     unknown (%s): pass --mem SIZE\n", budget_src);
        return;
    }
    fprintf(out, "\nbudget     ");
    if (p->backend != OG_BACKEND_CPU && b->has_gpu && b->unified && b->gpu_bytes != b->host_bytes)
        fprintf(out, "GPU %s of %s unified", cli_bytes(b->gpu_bytes), cli_bytes(b->host_bytes));
    else if (p->backend != OG_BACKEND_CPU && !b->unified)
        fprintf(out, "GPU %s, host %s", cli_bytes(b->gpu_bytes), cli_bytes(b->host_bytes));
    else
        fprintf(out, "%s", cli_bytes(b->host_bytes));
    fprintf(out, "  %s(%s)%s\n", D, budget_src, R);
    const char *col = f->verdict == OG_FIT_FITS    ? CLI_GREEN
                      : f->verdict == OG_FIT_TIGHT ? CLI_YELLOW
                                                   : CLI_RED;
    int64_t mg = f->margin_bytes;
    fprintf(out, "verdict    %s%s%s%s — %s %s\n", B, cli_c(out, col),
            og_fit_verdict_name(f->verdict), R, cli_bytes((uint64_t)(mg < 0 ? -mg : mg)),
            mg < 0 ? "short" : "to spare");
    if (f->max_ctx)
        fprintf(out, "max ctx    %u tokens fit with these settings\n", f->max_ctx);
    else
        fprintf(out, "max ctx    none: not even 256 tokens fit with these settings\n");
    for (uint32_t i = 0; i < f->n_advice; i++)
        fprintf(out, "advice     %s\n", f->advice[i]);
}

static json_t *to_json(const fit_opts *o, const og_model *m, const og_llama_memplan *p,
                       const og_budget *b, const char *budget_src, const og_llama_fit *f)
{
    json_t *mem = json_object();
    json_object_set_new(mem, "weights_bytes", cli_json_u64(p->component_bytes[OG_COMP_WEIGHTS]));
    json_object_set_new(mem, "kv_bytes", cli_json_u64(p->component_bytes[OG_COMP_KV]));
    json_object_set_new(mem, "recurrent_bytes", cli_json_u64(p->component_bytes[OG_COMP_RS]));
    json_object_set_new(mem, "compute_bytes", cli_json_u64(p->component_bytes[OG_COMP_COMPUTE]));
    json_object_set_new(mem, "output_bytes", cli_json_u64(p->component_bytes[OG_COMP_OUTPUT]));
    json_object_set_new(mem, "mmproj_bytes", cli_json_u64(p->component_bytes[OG_COMP_MMPROJ]));
    json_object_set_new(mem, "draft_bytes", cli_json_u64(p->component_bytes[OG_COMP_DRAFT]));
    json_object_set_new(mem, "total_bytes", cli_json_u64(p->total_bytes));
    json_object_set_new(mem, "peak_bytes", cli_json_u64(p->total_bytes));
    json_object_set_new(mem, "gpu_bytes", cli_json_u64(p->gpu_bytes));
    json_object_set_new(mem, "host_bytes", cli_json_u64(p->host_bytes));
    /* after load: llama-server's prompt cache and context checkpoints */
    json_object_set_new(mem, "grown_total_bytes", cli_json_u64(p->grown_total_bytes));
    json_object_set_new(mem, "prompt_cache_bytes", cli_json_u64(p->grow_prompt_cache_bytes));
    json_object_set_new(mem, "checkpoint_bytes", cli_json_u64(p->grow_checkpoint_bytes));
    json_object_set_new(mem, "largest_buffer_bytes", cli_json_u64(p->largest_buffer_bytes));
    json_t *bd = json_array();
    for (int c = 0; c < OG_COMP_COUNT; c++)
        for (int q = 0; q < OG_POOL_COUNT; q++)
            if (p->bytes[c][q])
                json_array_append_new(bd, json_pack("{s:s, s:s, s:I}", "component",
                                                    og_component_name((og_component)c), "device",
                                                    og_pool_name((og_pool)q, p->backend), "bytes",
                                                    (json_int_t)p->bytes[c][q]));
    json_object_set_new(mem, "by_device", bd);

    json_t *set = json_object();
    json_object_set_new(
        set, "engine", json_string(o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp"));
    json_object_set_new(set, "backend", json_string(og_backend_name(p->backend)));
    json_object_set_new(set, "ctx", json_integer(p->n_ctx));
    json_object_set_new(set, "ctx_seq", json_integer(p->n_ctx_seq));
    json_object_set_new(set, "parallel", json_integer(p->n_seq));
    json_object_set_new(set, "kv_streams", json_integer(p->n_stream));
    json_object_set_new(set, "batch", json_integer(p->n_batch));
    json_object_set_new(set, "ubatch", json_integer(p->n_ubatch));
    json_object_set_new(set, "cache_type_k", json_string(type_name(p->type_k)));
    json_object_set_new(set, "cache_type_v", json_string(type_name(p->type_v)));
    json_object_set_new(set, "flash_attn", json_boolean(p->flash_attn));
    json_object_set_new(set, "gpu_layers", json_integer(p->n_layer_gpu));
    json_object_set_new(set, "mmap", json_boolean(o->s.use_mmap));
    json_object_set_new(set, "swa_full", json_boolean(o->s.swa_full));
    json_object_set_new(set, "kv_cells", json_integer(p->kv_cells));
    json_object_set_new(set, "swa_cells", json_integer(p->swa_cells));

    json_t *j = json_object();
    json_object_set_new(
        j, "engine", json_string(o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp"));
    json_object_set_new(j, "model", json_string(o->model));
    json_object_set_new(j, "build", json_string(m->quant_label));
    json_object_set_new(j, "architecture", json_string(m->hp.arch));
    json_object_set_new(j, "engine_version", json_string(OG_LLAMA_CPP_VERSION));
    json_object_set_new(j, "settings", set);
    json_object_set_new(j, "memory", mem);
    json_t *bj = json_object();
    json_object_set_new(bj, "source", json_string(budget_src));
    if (b) {
        json_object_set_new(bj, "host_bytes", cli_json_u64(b->host_bytes));
        json_object_set_new(bj, "gpu_bytes", cli_json_u64(b->gpu_bytes));
        json_object_set_new(bj, "unified", json_boolean(b->unified));
    }
    json_object_set_new(j, "budget", bj);
    json_object_set_new(j, "verdict",
                        b ? json_string(og_fit_verdict_name(f->verdict)) : json_null());
    json_object_set_new(j, "margin_bytes", b ? json_integer(f->margin_bytes) : json_null());
    json_object_set_new(j, "max_ctx", b ? json_integer(f->max_ctx) : json_null());
    json_t *adv = json_array();
    for (uint32_t i = 0; b && i < f->n_advice; i++)
        json_array_append_new(adv, json_string(f->advice[i]));
    json_object_set_new(j, "advice", adv);
    json_object_set_new(j, "fallback", json_boolean(p->fallback));
    json_t *notes = json_array();
    for (uint32_t i = 0; i < p->n_notes; i++)
        json_array_append_new(notes, json_string(p->notes[i]));
    json_object_set_new(j, "notes", notes);
    /* engine-specific numbers (both engines have "details") */
    json_t *d = json_object();
    json_object_set_new(d, "n_layers", json_integer(p->n_layer));
    json_object_set_new(d, "n_layers_gpu", json_integer(p->n_layer_gpu));
    json_object_set_new(d, "output_on_gpu", json_boolean(p->output_on_gpu));
    json_object_set_new(d, "n_kv_layers", json_integer(p->n_kv_layers));
    json_object_set_new(d, "n_recurrent_layers", json_integer(p->n_rs_layers));
    json_object_set_new(j, "details", d);
    return j;
}

json_t *fit_budget_json(const fit_env *v, const og_budget *b)
{
    json_t *bj = json_object();
    json_object_set_new(bj, "source", json_string(v->src));
    if (b) {
        json_object_set_new(bj, "host_bytes", cli_json_u64(b->host_bytes));
        json_object_set_new(bj, "gpu_bytes", cli_json_u64(b->gpu_bytes));
        json_object_set_new(bj, "unified", json_boolean(b->unified));
    }
    return bj;
}

static int fit_run_llama_plan(fit_env *v, og_model *m, int print, json_t **jout, summary *sum,
                              const fit_llamafit *lf, const og_budget *bp);

/* llama.cpp / Ollama. Returns an exit code; *jout gets the JSON when asked. */
int fit_run_llama(fit_env *v, og_model *m, int print, json_t **jout, summary *sum)
{
    fit_opts *o = v->o;
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    /* llama.cpp's own --fit decides what a plain llama-server run uses: plan
     * that (cli/fit_llamafit.c); o->s is restored before returning. */
    fit_opts saved = *o;
    og_ollama_launch ol;
    int ollama = o->s.engine == OG_LLAMA_ENGINE_OLLAMA;
    int frc = ollama ? fit_ollama_prepare(v, m, &ol) : 0;
    fit_llamafit *lf = frc ? NULL : fit_llama_fit(v, m, &frc);
    if (frc) {
        *o = saved;
        return frc;
    }
    if (ollama && print)
        fit_ollama_print(&ol);
    int rc = fit_run_llama_plan(v, m, print, jout, sum, lf, bp);
    if (ollama && jout && *jout && o->engine != ENG_ALL)
        json_object_set_new(*jout, "ollama", fit_ollama_json(&ol));
    *o = saved;
    free(lf);
    return rc;
}

static int fit_run_llama_plan(fit_env *v, og_model *m, int print, json_t **jout, summary *sum,
                              const fit_llamafit *lf, const og_budget *bp)
{
    fit_opts *o = v->o;
    og_error err;
    og_error_clear(&err);
    og_llama_memplan plan;
    og_llama_fit fit;
    memset(&fit, 0, sizeof fit);
    if (og_llama_plan(m, &o->s, &plan, &err) != OG_OK)
        return cli_fail(&err);
    int rc = OG_EXIT_OK;
    if (bp) {
        if (og_llama_verdict(m, &o->s, &plan, bp, &fit, &err) != OG_OK)
            return cli_fail(&err);
        rc = fit.verdict == OG_FIT_NO ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    }
    if (jout) {
        *jout = to_json(o, m, &plan, bp, v->src, &fit);
        if (lf && o->engine != ENG_ALL) /* --engine all: both engines keep one key set */
            json_object_set_new(*jout, "llama_fit", fit_llama_fit_json(v, m, lf));
    }
    if (print && lf)
        fit_llama_fit_print(v, m, lf, &plan);
    if (print)
        print_table(o, m, &plan, bp, v->src, &fit);
    if (sum) {
        memset(sum, 0, sizeof *sum);
        snprintf(sum->engine, sizeof sum->engine, "%s",
                 o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp");
        snprintf(sum->build, sizeof sum->build, "%s", m->quant_label[0] ? m->quant_label : "?");
        sum->weights = plan.component_bytes[OG_COMP_WEIGHTS];
        sum->kv = plan.component_bytes[OG_COMP_KV] + plan.component_bytes[OG_COMP_RS];
        sum->compute = plan.component_bytes[OG_COMP_COMPUTE];
        sum->output = plan.component_bytes[OG_COMP_OUTPUT];
        sum->total = sum->peak = plan.total_bytes;
        sum->ctx = plan.n_ctx;
        sum->has_verdict = bp != NULL;
        sum->fits = bp && fit.verdict != OG_FIT_NO;
        sum->max_ctx = fit.max_ctx;
        snprintf(sum->verdict, sizeof sum->verdict, "%s",
                 bp ? og_fit_verdict_name(fit.verdict) : "unknown");
    }
    return rc;
}

/* The MLX verdict in the llama.cpp words, so both engines share one vocabulary. */
static const char *mlx_verdict(og_mlx_verdict v)
{
    return v == OG_MLX_FITS     ? og_fit_verdict_name(OG_FIT_FITS)
           : v == OG_MLX_TIGHT  ? og_fit_verdict_name(OG_FIT_TIGHT)
           : v == OG_MLX_NO_FIT ? og_fit_verdict_name(OG_FIT_NO)
                                : NULL;
}

static json_t *mlx_json(const fit_env *v, const og_model *m, const og_mlx_plan_result *p,
                        const og_budget *bp)
{
    const og_mlx_settings *s = &p->settings;
    json_t *set = json_object();
    json_object_set_new(set, "engine", json_string("mlx"));
    json_object_set_new(set, "ctx", cli_json_u64(s->ctx));
    json_object_set_new(set, "prompt_tokens",
                        cli_json_u64(s->prompt_tokens ? s->prompt_tokens : s->ctx));
    json_object_set_new(set, "max_kv_size", cli_json_u64(s->max_kv_size));
    json_object_set_new(set, "kv_bits", json_integer(s->kv_bits));
    json_object_set_new(set, "kv_group_size", json_integer(s->kv_group_size));
    json_object_set_new(set, "quantized_kv_start", cli_json_u64(s->quantized_kv_start));
    json_object_set_new(set, "prefill_step_size", json_integer(s->prefill_step_size));
    json_object_set_new(set, "batch", json_integer(s->batch));
    json_object_set_new(set, "q_bits", json_integer(s->q_bits));
    json_object_set_new(set, "q_group_size", json_integer(s->q_group_size));
    json_object_set_new(set, "q_mode", json_string(s->q_mode));
    json_object_set_new(set, "quant", json_string(p->quant));
    json_object_set_new(set, "dtype", json_string(p->dtype));

    /* by_device sums to total_bytes (the steady state), as for llama.cpp */
    json_t *mem = json_object();
    json_object_set_new(mem, "weights_bytes", cli_json_u64(p->weights_bytes));
    json_object_set_new(mem, "kv_bytes", cli_json_u64(p->kv_bytes));
    json_object_set_new(mem, "recurrent_bytes", cli_json_u64(0));
    json_object_set_new(mem, "compute_bytes", cli_json_u64(p->compute_bytes));
    json_object_set_new(mem, "output_bytes", cli_json_u64(0));
    json_object_set_new(mem, "mmproj_bytes", cli_json_u64(0));
    json_object_set_new(mem, "draft_bytes", cli_json_u64(0));
    json_object_set_new(mem, "total_bytes", cli_json_u64(p->total_bytes));
    json_object_set_new(mem, "peak_bytes", cli_json_u64(p->peak_bytes));
    json_object_set_new(mem, "gpu_bytes", cli_json_u64(p->peak_bytes));
    json_object_set_new(mem, "host_bytes", cli_json_u64(0));
    /* mlx_lm.server's prompt cache is already part of total and peak (entries x ctx, capped
     * by --prompt-cache-bytes): the grown figure is the peak */
    json_object_set_new(mem, "grown_total_bytes", cli_json_u64(p->peak_bytes));
    json_object_set_new(mem, "prompt_cache_bytes", cli_json_u64(p->prompt_cache_bytes));
    json_object_set_new(mem, "checkpoint_bytes", cli_json_u64(0));
    json_object_set_new(mem, "largest_buffer_bytes", cli_json_u64(p->largest_buffer_bytes));
    json_t *bd = json_array();
    uint64_t kv_only = p->total_bytes - p->weights_bytes - p->prompt_cache_bytes;
    json_array_append_new(bd, json_pack("{s:s, s:s, s:I}", "component", "weights", "device",
                                        "Metal", "bytes", (json_int_t)p->weights_bytes));
    if (kv_only)
        json_array_append_new(bd, json_pack("{s:s, s:s, s:I}", "component", "kv", "device", "Metal",
                                            "bytes", (json_int_t)kv_only));
    if (p->prompt_cache_bytes)
        json_array_append_new(bd,
                              json_pack("{s:s, s:s, s:I}", "component", "prompt_cache", "device",
                                        "Metal", "bytes", (json_int_t)p->prompt_cache_bytes));
    json_object_set_new(mem, "by_device", bd);

    json_t *j = json_object();
    json_object_set_new(j, "engine", json_string("mlx"));
    json_object_set_new(j, "model", json_string(v->o->model));
    json_object_set_new(j, "build", json_string(m->quant_label));
    json_object_set_new(j, "architecture", json_string(m->hp.arch));
    json_object_set_new(j, "engine_version",
                        json_string("mlx-lm 0.32.0 (d78bf58), MLX 0.32.2 (846d176)"));
    json_object_set_new(j, "settings", set);
    json_object_set_new(j, "memory", mem);
    json_object_set_new(j, "budget", fit_budget_json(v, bp));
    const char *vd = mlx_verdict(p->verdict);
    json_object_set_new(j, "verdict", vd ? json_string(vd) : json_null());
    json_object_set_new(j, "margin_bytes",
                        vd ? json_integer((json_int_t)p->budget_bytes - (json_int_t)p->peak_bytes)
                           : json_null());
    json_object_set_new(j, "max_ctx", vd ? cli_json_u64(p->max_ctx) : json_null());
    json_t *adv = json_array();
    for (uint32_t i = 0; i < p->n_advice; i++)
        json_array_append_new(adv, json_string(p->advice[i]));
    json_object_set_new(j, "advice", adv);
    json_object_set_new(j, "fallback", json_boolean(m->hparams_fallback));
    json_t *notes = json_array();
    for (uint32_t i = 0; i < p->n_notes; i++)
        json_array_append_new(notes, json_string(p->notes[i]));
    json_object_set_new(j, "notes", notes);
    /* engine-specific numbers (both engines have "details") */
    json_t *d = json_object();
    json_object_set_new(d, "n_layers", json_integer(p->n_layers));
    json_object_set_new(d, "hypothetical", json_boolean(p->hypothetical));
    json_object_set_new(d, "weights_data_bytes", cli_json_u64(p->weights_data_bytes));
    json_object_set_new(d, "kv_at_peak_bytes", cli_json_u64(p->kv_at_peak_bytes));
    json_object_set_new(d, "prompt_cache_bytes", cli_json_u64(p->prompt_cache_bytes));
    json_object_set_new(d, "logits_bytes", cli_json_u64(p->logits_bytes));
    json_object_set_new(d, "working_set_bytes", cli_json_u64(p->working_set_bytes));
    json_object_set_new(d, "max_buffer_bytes", cli_json_u64(p->max_buffer_bytes));
    json_object_set_new(d, "largest_buffer", json_string(p->largest_buffer));
    json_object_set_new(d, "largest_buffer_bytes", cli_json_u64(p->largest_buffer_bytes));
    json_object_set_new(j, "details", d);
    return j;
}

static void mlx_table(const fit_env *v, const og_model *m, const og_mlx_plan_result *p,
                      const og_budget *bp)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    const og_mlx_settings *s = &p->settings;
    fprintf(out, "%sModel%s     %s  (%s, %u layers, %s%s, %s)\n", B, R,
            m->name ? m->name : v->o->model, m->hp.arch, p->n_layers, p->quant,
            p->hypothetical ? ", as mlx_lm.convert would write it" : "",
            cli_bytes(p->weights_bytes));
    fprintf(out, "%sSettings%s  mlx-lm 0.32.0, ctx %llu, prefill step %u, KV ", B, R,
            (unsigned long long)s->ctx, s->prefill_step_size);
    if (s->kv_bits)
        fprintf(out, "%u-bit g%u from token %llu", s->kv_bits, s->kv_group_size,
                (unsigned long long)s->quantized_kv_start);
    else
        fprintf(out, "%s", p->dtype);
    if (s->max_kv_size)
        fprintf(out, ", max-kv-size %llu%s", (unsigned long long)s->max_kv_size,
                p->max_kv_size_ignored ? " (ignored by this model)" : "");
    fputc('\n', out);
    fprintf(out, "\n%s%-10s %-16s %12s %7s%s\n", B, "component", "device", "bytes", "share", R);
    uint64_t kv_only = p->total_bytes - p->weights_bytes - p->prompt_cache_bytes;
    struct {
        const char *name;
        uint64_t v;
    } rows[] = {{"weights", p->weights_bytes}, {"kv", kv_only}, {"prompt$", p->prompt_cache_bytes}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].v)
            fprintf(out, "%-10s %-16s %12s %6.1f%%\n", rows[i].name, "Metal", cli_bytes(rows[i].v),
                    p->total_bytes ? 100.0 * (double)rows[i].v / (double)p->total_bytes : 0.0);
    fprintf(out, "%s%-10s %-16s %12s%s\n", B, "total", "(steady)", cli_bytes(p->total_bytes), R);
    fprintf(out, "%-10s %-16s %12s\n", "compute", "transient", cli_bytes(p->compute_bytes));
    fprintf(out, "%s%-10s %-16s %12s%s  %s(\"Peak memory\")%s\n", B, "peak", "",
            cli_bytes(p->peak_bytes), R, D, R);
    for (uint32_t i = 0; i < p->n_notes; i++)
        fprintf(out, "%snote: %s%s\n", D, p->notes[i], R);
    const char *vd = mlx_verdict(p->verdict);
    if (!bp || !vd) {
        fprintf(out, "\nbudget     unknown (%s): pass --machine NAME (a Mac) or --mem SIZE\n",
                v->src);
        for (uint32_t i = 0; i < p->n_advice; i++)
            fprintf(out, "advice     %s\n", p->advice[i]);
        return;
    }
    fprintf(out, "\nbudget     %s  %s(%s)%s\n", cli_bytes(p->budget_bytes), D, v->src, R);
    const char *col = p->verdict == OG_MLX_FITS    ? CLI_GREEN
                      : p->verdict == OG_MLX_TIGHT ? CLI_YELLOW
                                                   : CLI_RED;
    int64_t mg = (int64_t)p->budget_bytes - (int64_t)p->peak_bytes;
    fprintf(out, "verdict    %s%s%s%s — %s %s\n", B, cli_c(out, col), vd, R,
            cli_bytes((uint64_t)(mg < 0 ? -mg : mg)), mg < 0 ? "short" : "to spare");
    if (p->max_ctx)
        fprintf(out, "max ctx    %llu tokens fit with these settings\n",
                (unsigned long long)p->max_ctx);
    else
        fprintf(out, "max ctx    none: not even a short context fits with these settings\n");
    for (uint32_t i = 0; i < p->n_advice; i++)
        fprintf(out, "advice     %s\n", p->advice[i]);
}

int fit_run_mlx(fit_env *v, og_model *m, int print, json_t **jout, summary *sum)
{
    og_error err;
    og_error_clear(&err);
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    /* the Metal limits come from a Mac (probed, preset or snapshot) */
    const og_machine *mac = fit_machine_is_mac(v->mach) ? v->mach : NULL;
    og_mlx_plan_result *p = calloc(1, sizeof *p);
    if (!p)
        return OG_EXIT_INTERNAL;
    int rc = OG_EXIT_OK;
    if (og_mlx_plan(m, &v->o->ms, p, &err) != OG_OK ||
        og_mlx_judge(m, p, mac, (bp && (mac || v->o->have_mem)) ? bp : NULL, &err) != OG_OK) {
        free(p);
        return cli_fail(&err);
    }
    if (!mac && !v->o->have_mem && p->n_notes < OG_MLX_MAX_NOTES)
        snprintf(p->notes[p->n_notes++], sizeof p->notes[0],
                 "MLX needs Apple Silicon: %s is not a Mac; plan for one with --machine "
                 "m4-max-64gb or give --mem",
                 v->o->machine ? v->o->machine : "this machine");
    const og_budget *shown = p->verdict == OG_MLX_UNKNOWN ? NULL : bp;
    if (p->verdict == OG_MLX_NO_FIT)
        rc = OG_EXIT_PROBLEM;
    if (jout)
        *jout = mlx_json(v, m, p, shown);
    if (print)
        mlx_table(v, m, p, shown);
    if (sum) {
        memset(sum, 0, sizeof *sum);
        snprintf(sum->engine, sizeof sum->engine, "mlx");
        snprintf(sum->build, sizeof sum->build, "%s",
                 m->quant_label[0] ? m->quant_label : p->quant);
        if (p->hypothetical)
            snprintf(sum->build, sizeof sum->build, "%.40s (converted)", p->quant);
        sum->weights = p->weights_bytes;
        sum->kv = p->kv_bytes;
        sum->compute = p->compute_bytes;
        sum->total = p->total_bytes;
        sum->peak = p->peak_bytes;
        sum->ctx = p->settings.ctx;
        sum->has_verdict = mlx_verdict(p->verdict) != NULL;
        sum->fits = p->verdict == OG_MLX_FITS || p->verdict == OG_MLX_TIGHT;
        sum->max_ctx = p->max_ctx;
        snprintf(sum->verdict, sizeof sum->verdict, "%s",
                 sum->has_verdict ? mlx_verdict(p->verdict) : "unknown");
    }
    free(p);
    return rc;
}
