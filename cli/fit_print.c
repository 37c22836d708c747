/* oomguard fit: one engine's answer (llama.cpp / Ollama, MLX) as a table or JSON.
 * The answer is the decision core's (og_decide, include/oomguard/decide.h):
 * this file only formats it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide_cli.h"
#include "fit.h"

static const char *type_name(int t)
{
    const og_ggml_type_info *ti = og_ggml_type((uint32_t)t);
    return ti ? ti->name : "?";
}

/* The decision's budget chain, verdict, context story, largest context and
 * advice: the lines both engines' tables end with. */
static void print_verdict(FILE *out, const og_decision *d, const char *budget_src)
{
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    fprintf(out, "\nbudget     %s(%s)%s\n", D, budget_src, R);
    cli_print_budget(out, "           ", &d->budget);
    const og_placement *pl = &d->placement;
    if (pl->placed)
        fprintf(out, "           RAM: %s of the model in RAM, host RAM budget %s\n",
                cli_bytes(pl->host_bytes), cli_bytes(pl->host_usable_bytes));
    const char *col = d->verdict == OG_FIT_FITS    ? CLI_GREEN
                      : d->verdict == OG_FIT_TIGHT ? CLI_YELLOW
                                                   : CLI_RED;
    int64_t mg = d->margin_bytes;
    fprintf(out, "verdict    %s%s%s%s — ", B, cli_c(out, col), og_fit_verdict_name(d->verdict), R);
    if (!d->fits && d->buffer_too_large && mg >= 0)
        /* enough memory, one allocation too large: the margin is not the story */
        fprintf(out, "one buffer of %s is over %s (%s)", cli_bytes(d->largest_buffer_bytes),
                d->buffer_limit_name, cli_bytes(d->max_buffer_bytes));
    else
        fprintf(out, "%s%s %s", cli_bytes((uint64_t)(mg < 0 ? -mg : mg)),
                pl->placed ? " of RAM" : "", mg < 0 ? "short" : "to spare");
    if (pl->placed)
        fprintf(out, "%s", d->fits ? ", partly offloaded: " : "; --fit would put ");
    if (pl->placed)
        fprintf(out, "%s%s", pl->summary, d->fits ? " (slower)" : "");
    if (d->verdict == OG_FIT_TIGHT)
        fprintf(out, " (fits, with little to spare)");
    if (!d->fits && d->fits_if_limit_raised && d->limit.set_mb)
        fprintf(out, " (does not fit at the current limit; fits after `%s`)", d->limit.command);
    fputc('\n', out);
    if (d->ctx_lowered_by_fit && d->fits)
        fprintf(out,
                "context    %u tokens: llama.cpp plans the trained %u, and its --fit (on by "
                "default) lowers it to what fits\n",
                d->plan.n_ctx, d->n_ctx_asked);
    else if (d->ctx_lowered_by_fit)
        fprintf(out,
                "context    %u tokens: llama.cpp plans the trained %u; its --fit (on by default) "
                "lowers it no further than this (--fit-ctx), and it still does not fit\n",
                d->plan.n_ctx, d->n_ctx_asked);
    if (d->max_ctx)
        fprintf(out, "max ctx    %u tokens fit with these settings\n", d->max_ctx);
    else
        fprintf(out, "max ctx    none: not even a short context fits with these settings\n");
    for (uint32_t i = 0; i < d->n_advice; i++)
        if (!d->ctx_lowered_by_fit || strncmp(d->advice[i], "llama.cpp plans the trained", 27))
            /* the context line says it */
            fprintf(out, "advice     %s\n", d->advice[i]);
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        const og_check *k = &d->report.checks[i];
        if (k->status == OG_CHECK_FAIL && (d->fits || i == d->report.headline))
            fprintf(out, "%s    %s: %s\n", d->fits ? "warning" : "why    ", k->title, k->fix);
    }
}

static void print_table(const fit_opts *o, const og_model *m, const og_llama_memplan *p,
                        const og_decision *d, const char *budget_src)
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
    if (d && d->placement.placed)
        fprintf(out, "          %s (llama.cpp's --fit)\n", d->placement.summary);
    else if (p->backend != OG_BACKEND_CPU)
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
        /* llama-server grows after load (og_llama_memplan grow_*): the prompt
         * cache and the checkpoints are host copies, so on a discrete GPU the
         * growth lands in host RAM next to the host part of the plan (what
         * llama_fit.c check_at takes the verdict on); on unified memory and
         * the CPU it lands in the one pool with everything else. */
        uint64_t growth = p->grown_total_bytes - p->total_bytes;
        int one_pool = p->backend == OG_BACKEND_CPU || (d && d->budget.budget.unified);
        uint64_t at_load = one_pool ? p->total_bytes : p->host_bytes;
        fprintf(out, "%-10s %-16s %12s  at load %s", "grown", one_pool ? "total" : "host RAM",
                cli_bytes(at_load + growth), cli_bytes(at_load));
        if (p->grow_prompt_cache_bytes)
            fprintf(out, " + prompt cache %s (--cache-ram)", cli_bytes(p->grow_prompt_cache_bytes));
        if (p->grow_checkpoint_bytes)
            fprintf(out, " + %u checkpoints/slot %s (--ctx-checkpoints)", p->n_checkpoints,
                    cli_bytes(p->grow_checkpoint_bytes));
        fprintf(out, "\n");
    }
    for (uint32_t g = 0; p->n_devices > 1 && g < p->n_devices; g++) {
        char dn[40];
        snprintf(dn, sizeof dn, "GPU%u (%u layers)", g, p->dev_layers[g]);
        fprintf(out, "%-10s %-16s %12s  %s(weights %s, KV %s, compute %s)%s\n", "", dn,
                cli_bytes(p->dev_model[g] + p->dev_context[g] + p->dev_compute[g]), D,
                cli_bytes(p->dev_model[g]), cli_bytes(p->dev_context[g]),
                cli_bytes(p->dev_compute[g]), R);
    }
    for (uint32_t i = 0; i < p->n_notes; i++)
        fprintf(out, "%snote: %s%s\n", D, p->notes[i], R);
    if (!d) {
        fprintf(out, "\nbudget     unknown (%s): pass --mem SIZE\n", budget_src);
        return;
    }
    print_verdict(out, d, budget_src);
}

/* The decision members every engine's JSON has: budget (the chain and its
 * source), verdict, margin_bytes, max_ctx, advice[], and the decision's
 * fits / limit / pick / failing_checks. d NULL: no budget. */
static void decision_json(json_t *j, const og_decision *d, const char *budget_src)
{
    json_t *bj = d ? cli_budget_json(&d->budget) : json_object();
    json_object_set_new(bj, "source", json_string(budget_src));
    json_object_set_new(j, "budget", bj);
    json_object_set_new(j, "verdict",
                        d ? json_string(og_fit_verdict_name(d->verdict)) : json_null());
    json_object_set_new(j, "margin_bytes", d ? json_integer(d->margin_bytes) : json_null());
    json_object_set_new(j, "max_ctx", d ? json_integer(d->max_ctx) : json_null());
    json_t *adv = json_array();
    for (uint32_t i = 0; d && i < d->n_advice; i++)
        json_array_append_new(adv, json_string(d->advice[i]));
    json_object_set_new(j, "advice", adv);
    if (d)
        cli_decision_json(j, d);
}

static json_t *to_json(const fit_opts *o, const og_model *m, const og_llama_memplan *p,
                       const og_decision *dc, const char *budget_src)
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
    json_object_set_new(mem, "kv_swa_bytes", cli_json_u64(p->kv_swa_bytes));
    /* mmap: repacked tensors' file pages inside CPU_Mapped (reclaimable, not in the verdict) */
    json_object_set_new(mem, "mapped_repacked_bytes", cli_json_u64(p->mapped_repacked_bytes));
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
    decision_json(j, dc, budget_src);
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

static int fit_run_llama_plan(fit_env *v, og_model *m, const og_catalog_entry *entry, int print,
                              json_t **jout, summary *sum, const fit_llamafit *lf);

void fit_decide_fit(const fit_opts *o, og_decide_fit *f)
{
    memset(f, 0, sizeof *f);
    f->off = o->fit_off;
    f->n_target = o->n_fit_target;
    for (uint32_t i = 0; i < o->n_fit_target && i < OG_LLAMA_MAX_DEVICES; i++)
        f->target_bytes[i] = o->fit_target_mib[i] * 1024ull * 1024;
    f->n_ctx_min = o->fit_ctx;
    f->ctx_full = o->ctx_zero;
}

og_status fit_decide(const fit_env *v, const og_model *m, const og_catalog_entry *entry,
                     og_engine engine, int alternatives, og_decision *d, og_error *err)
{
    const fit_opts *o = v->o;
    og_decide_input in = {0};
    og_machine *blank = NULL;
    in.model = m;
    in.entry = entry;
    in.machine = v->mach;
    if (!in.machine) { /* no probe, --mem given: the pool is --mem */
        blank = calloc(1, sizeof *blank);
        if (!blank)
            return og_error_set(err, OG_ERR_NOMEM, "out of memory");
        og_machine_init(blank);
        in.machine = blank;
    }
    cli_decide_settings(&o->eo, NULL, o->have_mem ? o->mem : 0, &in.settings);
    in.settings.engine = engine;
    in.settings.llama.mmproj = o->s.mmproj;
    in.settings.llama.draft = o->s.draft;
    if (engine == OG_ENGINE_OLLAMA) {
        /* Ollama's own arguments for llama-server (og_ollama_prepare), adopted into o->s */
        in.settings.llama = o->s;
    } else if (engine == OG_ENGINE_LLAMA_CPP) {
        /* the placement flags as given (-ts, -sm, -mg, -ot, --cpu-moe: o->s); the
         * context by og_decide's defaults policy (it plans the asked context and
         * lowers it as --fit does) */
        og_llama_settings base = o->s;
        base.n_ctx = in.settings.llama.n_ctx;
        base.type_k = in.settings.llama.type_k; /* --kv-bits, as cli_decide_settings maps it */
        base.type_v = in.settings.llama.type_v;
        base.flash_attn = in.settings.llama.flash_attn;
        in.settings.llama = base;
    }
    fit_decide_fit(o, &in.settings.fit);
    in.skip_alternatives = !alternatives;
    og_status st = og_decide(&in, d, err);
    free(blank);
    return st;
}

static void summarize(summary *sum, const char *engine, const og_model *m, const og_decision *d)
{
    memset(sum, 0, sizeof *sum);
    snprintf(sum->engine, sizeof sum->engine, "%s", engine);
    snprintf(sum->build, sizeof sum->build, "%s", m->quant_label[0] ? m->quant_label : "?");
    if (d->engine == OG_ENGINE_MLX) {
        sum->weights = d->mlx.weights_bytes;
        sum->kv = d->mlx.kv_bytes;
        sum->compute = d->mlx.compute_bytes;
        sum->total = d->mlx.total_bytes;
        sum->peak = d->mlx.peak_bytes;
        if (d->mlx.hypothetical)
            snprintf(sum->build, sizeof sum->build, "%.40s (converted)", d->mlx.quant);
    } else {
        const og_llama_memplan *p = &d->llama;
        sum->weights = p->component_bytes[OG_COMP_WEIGHTS];
        sum->kv = p->component_bytes[OG_COMP_KV] + p->component_bytes[OG_COMP_RS];
        sum->compute = p->component_bytes[OG_COMP_COMPUTE];
        sum->output = p->component_bytes[OG_COMP_OUTPUT];
        sum->total = sum->peak = p->total_bytes;
    }
    sum->ctx = d->plan.n_ctx;
    sum->has_verdict = 1;
    sum->fits = d->fits;
    sum->max_ctx = d->max_ctx;
    snprintf(sum->verdict, sizeof sum->verdict, "%s", og_fit_verdict_name(d->verdict));
}

/* llama.cpp / Ollama. Returns an exit code; *jout gets the JSON when asked. */
int fit_run_llama(fit_env *v, og_model *m, const og_catalog_entry *entry, int print, json_t **jout,
                  summary *sum)
{
    fit_opts *o = v->o;
    /* llama.cpp's own --fit decides what a plain llama-server run uses: plan
     * that (cli/fit_llamafit.c); o->s is restored before returning. */
    fit_opts saved = *o;
    og_ollama_launch ol;
    int ollama = o->s.engine == OG_LLAMA_ENGINE_OLLAMA;
    int frc = ollama ? fit_ollama_prepare(v, m, &ol) : 0;
    fit_opts asked = *o; /* the user's settings (with Ollama's own arguments) */
    fit_llamafit *lf = frc ? NULL : fit_llama_fit(v, m, &frc);
    if (frc) {
        *o = saved;
        return frc;
    }
    if (ollama && print)
        fit_ollama_print(&ol);
    /* The verdict is the decision core's for the settings as asked, the same call
     * doctor, wired and run make (og_decide lowers the context as --fit does);
     * llama.cpp's --fit prediction above it (lf) says what a plain run starts with.
     * og_decide does not yet take --fit's layer moves into account. */
    asked.s.n_devices = o->s.n_devices; /* the machine's devices, as --fit saw them */
    memcpy(asked.s.device_free, o->s.device_free, sizeof asked.s.device_free);
    *o = asked;
    int rc = fit_run_llama_plan(v, m, entry, print, jout, sum, lf);
    if (ollama && jout && *jout && o->engine != ENG_ALL)
        json_object_set_new(*jout, "ollama", fit_ollama_json(&ol));
    *o = saved;
    free(lf);
    return rc;
}

static int fit_run_llama_plan(fit_env *v, og_model *m, const og_catalog_entry *entry, int print,
                              json_t **jout, summary *sum, const fit_llamafit *lf)
{
    fit_opts *o = v->o;
    og_error err;
    og_error_clear(&err);
    og_engine eng = o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? OG_ENGINE_OLLAMA : OG_ENGINE_LLAMA_CPP;
    const char *name = eng == OG_ENGINE_OLLAMA ? "ollama" : "llama.cpp";
    if (!v->have_budget) {
        /* nothing to compare with: the plan alone */
        og_llama_memplan plan;
        if (og_llama_plan(m, &o->s, &plan, &err) != OG_OK)
            return cli_fail(&err);
        if (jout)
            *jout = to_json(o, m, &plan, NULL, v->src);
        if (print)
            print_table(o, m, &plan, NULL, v->src);
        if (sum) {
            memset(sum, 0, sizeof *sum);
            snprintf(sum->engine, sizeof sum->engine, "%s", name);
            snprintf(sum->verdict, sizeof sum->verdict, "unknown");
            sum->ctx = plan.n_ctx;
            sum->total = sum->peak = plan.total_bytes;
        }
        return OG_EXIT_OK;
    }
    og_decision *d = calloc(1, sizeof *d);
    if (!d)
        return OG_EXIT_INTERNAL;
    if (fit_decide(v, m, entry, eng, 1, d, &err) != OG_OK) {
        free(d);
        return cli_fail(&err);
    }
    if (jout) {
        *jout = to_json(o, m, &d->llama, d, v->src);
        if (lf && o->engine != ENG_ALL) /* --engine all: both engines keep one key set */
            json_object_set_new(*jout, "llama_fit", fit_llama_fit_json(v, m, lf));
    }
    if (print && lf)
        fit_llama_fit_print(v, m, lf, &d->llama);
    if (print)
        print_table(o, m, &d->llama, d, v->src);
    if (sum)
        summarize(sum, name, m, d);
    int rc = d->fits ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    free(d);
    return rc;
}

static json_t *mlx_json(const fit_env *v, const og_model *m, const og_mlx_plan_result *p,
                        const og_decision *dc)
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
    json_object_set_new(mem, "kv_swa_bytes", cli_json_u64(0));          /* llama.cpp only */
    json_object_set_new(mem, "mapped_repacked_bytes", cli_json_u64(0)); /* llama.cpp only */
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
    decision_json(j, dc, v->src);
    if (!dc) { /* no budget: the plan's own notes on what it would need */
        json_t *adv = json_object_get(j, "advice");
        for (uint32_t i = 0; i < p->n_advice; i++)
            json_array_append_new(adv, json_string(p->advice[i]));
    }
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
                      const og_decision *dc)
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
    if (!dc) {
        fprintf(out, "\nbudget     unknown (%s): pass --machine NAME (a Mac) or --mem SIZE\n",
                v->src);
        for (uint32_t i = 0; i < p->n_advice; i++)
            fprintf(out, "advice     %s\n", p->advice[i]);
        return;
    }
    print_verdict(out, dc, v->src);
}

int fit_run_mlx(fit_env *v, og_model *m, const og_catalog_entry *entry, int print, json_t **jout,
                summary *sum)
{
    og_error err;
    og_error_clear(&err);
    og_decision *d = calloc(1, sizeof *d);
    if (!d)
        return OG_EXIT_INTERNAL;
    int have = v->have_budget;
    og_status st = have ? fit_decide(v, m, entry, OG_ENGINE_MLX, 1, d, &err) : OG_ERR_UNSUPPORTED;
    const og_decision *dc = st == OG_OK ? d : NULL;
    og_mlx_plan_result *p = &d->mlx;
    if (st == OG_ERR_UNSUPPORTED) {
        /* not a Mac (or no budget): the plan alone, and why there is no verdict */
        og_decide_settings set;
        cli_decide_settings(&v->o->eo, NULL, 0, &set);
        if (!set.mlx.ctx)
            set.mlx.ctx = OG_MLX_PLANNING_CTX;
        og_model tmp = *m;
        if (m->format == OG_FORMAT_CATALOG && !strncmp(m->quant_label, "mlx-", 4))
            tmp.format = OG_FORMAT_MLX; /* a catalog MLX build: its tensors as the folder */
        og_error perr;
        if (og_mlx_plan(&tmp, &set.mlx, p, &perr) != OG_OK) {
            free(d);
            return cli_fail(&perr);
        }
        if (p->n_notes < OG_MLX_MAX_NOTES)
            snprintf(p->notes[p->n_notes++], sizeof p->notes[0], "%.180s",
                     have ? err.message
                          : "no budget: plan for a Mac with --machine m4-max-64gb or give --mem");
    } else if (st != OG_OK) {
        free(d);
        return cli_fail(&err);
    }
    int rc = dc && !dc->fits ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    if (jout)
        *jout = mlx_json(v, m, p, dc);
    if (print)
        mlx_table(v, m, p, dc);
    if (sum) {
        if (dc) {
            summarize(sum, "mlx", m, dc);
        } else {
            memset(sum, 0, sizeof *sum);
            snprintf(sum->engine, sizeof sum->engine, "mlx");
            snprintf(sum->build, sizeof sum->build, "%s", m->quant_label);
            sum->weights = p->weights_bytes;
            sum->kv = p->kv_bytes;
            sum->compute = p->compute_bytes;
            sum->total = p->total_bytes;
            sum->peak = p->peak_bytes;
            sum->ctx = p->settings.ctx;
            snprintf(sum->verdict, sizeof sum->verdict, "unknown");
        }
    }
    free(d);
    return rc;
}
