/* oomguard fit: what llama.cpp's own --fit will choose on this machine
 * (og_llama_fit_params, docs/LLAMA_CPP.md "--fit"), said up front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_opts.h"
#include "fit.h"

static const char *cli_getenv(const char *name)
{
    return getenv(name);
}

int fit_ollama_prepare(fit_env *v, og_model *m, og_ollama_launch *L)
{
    fit_opts *o = v->o;
    og_ollama_opts oo;
    og_ollama_opts_default(&oo);
    const char *bad = og_ollama_opts_from_env(&oo, cli_getenv);
    if (bad)
        return cli_usage_error("fit", "%s='%s' is not a value Ollama accepts", bad, getenv(bad));
    /* flags win over the environment (num_ctx, num_gpu, num_batch are model options) */
    if (o->given & CLI_SET_CTX)
        oo.num_ctx = o->s.n_ctx;
    if (o->given & CLI_SET_PARALLEL)
        oo.num_parallel = o->s.n_parallel;
    if (o->given & CLI_SET_BATCH)
        oo.num_batch = o->s.n_batch;
    if (o->given & CLI_SET_CTK)
        oo.kv_type = o->s.type_k;
    if (o->given & CLI_SET_FA)
        oo.flash_attention = o->s.flash_attn == OG_FA_ON    ? 1
                             : o->s.flash_attn == OG_FA_OFF ? 0
                                                            : -1;
    if (o->given & CLI_SET_NGL)
        oo.num_gpu = o->s.n_gpu_layers >= 0            ? o->s.n_gpu_layers
                     : o->s.n_gpu_layers == OG_NGL_ALL ? 999
                                                       : -1;
    if (o->main_gpu_set)
        oo.main_gpu = o->main_gpu;
    uint64_t tot[OG_LLAMA_MAX_DEVICES], fr[OG_LLAMA_MAX_DEVICES];
    uint32_t n = 0;
    if (v->have_budget && !o->have_mem && o->s.backend != OG_BACKEND_CPU)
        for (uint32_t i = 0; i < v->budget.n_devices && n < OG_LLAMA_MAX_DEVICES; i++)
            if (v->budget.devices[i].total_bytes) {
                tot[n] = v->budget.devices[i].total_bytes;
                fr[n++] = v->budget.devices[i].free_bytes;
            }
    og_error err;
    if (og_ollama_prepare(m, &oo, n, tot, fr, &o->s, L, &err) != OG_OK)
        return cli_fail(&err);
    if (!o->n_fit_target) {
        o->n_fit_target = 1;
        o->fit_target_mib[0] = L->fit_target_bytes / (1024 * 1024);
    }
    return 0;
}

void fit_ollama_print(const og_ollama_launch *L)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    fprintf(out, "%sOllama%s     llama-server %s  %s(%s)%s\n", B, R, L->args, D, OG_OLLAMA_RULES,
            R);
    fprintf(out, "           %s; LLAMA_ARG_FIT_TARGET %llu MiB\n", L->why,
            (unsigned long long)(L->fit_target_bytes / (1024 * 1024)));
}

json_t *fit_ollama_json(const og_ollama_launch *L)
{
    json_t *j = json_object();
    json_object_set_new(j, "rules", json_string(OG_OLLAMA_RULES));
    json_object_set_new(j, "num_ctx", json_integer(L->num_ctx));
    json_object_set_new(j, "num_ctx_default", json_boolean(L->num_ctx_default));
    json_object_set_new(j, "total_vram_bytes", cli_json_u64(L->total_vram));
    json_object_set_new(j, "num_parallel", json_integer(L->num_parallel));
    json_object_set_new(j, "num_batch", json_integer(L->num_batch));
    json_object_set_new(j, "fit_target_bytes", cli_json_u64(L->fit_target_bytes));
    json_object_set_new(j, "mmproj_offload", json_boolean(L->mmproj_offload));
    json_object_set_new(j, "llama_server_args", json_string(L->args));
    return j;
}

fit_llamafit *fit_llama_fit(fit_env *v, og_model *m, int *rc)
{
    fit_opts *o = v->o;
    *rc = 0;
    if (!v->mach || o->have_mem || !v->have_budget)
        return NULL;
    fit_llamafit *f = calloc(1, sizeof *f);
    if (!f) {
        *rc = OG_EXIT_USAGE;
        return NULL;
    }
    f->user = o->s;
    og_fitp_input *in = &f->in;
    og_decide_fit fit;
    fit_decide_fit(o, &fit);
    og_decide_fitp_input(&v->budget, o->s.backend, v->mach->ram_bytes, &fit, in);
    if (o->s.backend != OG_BACKEND_CPU && !in->n_devices) {
        free(f); /* a GPU backend asked for on a machine without one */
        return NULL;
    }
    og_error err;
    if (og_llama_fit_params(m, &o->s, in, &f->r, &err) != OG_OK) {
        *rc = cli_fail(&err);
        free(f);
        return NULL;
    }
    /* Adopt what llama.cpp will run with. Ollama keeps its own num_ctx and
     * batch (it passes -c itself); --fit only places layers there. */
    const og_llama_settings *fs = &f->r.settings;
    og_llama_settings *s = &o->s;
    s->n_devices = fs->n_devices;
    memcpy(s->device_free, fs->device_free, sizeof s->device_free);
    if (f->r.status == OG_FITP_CONTEXT || f->r.status == OG_FITP_PLACED ||
        f->r.status == OG_FITP_GAVE_UP || f->r.status == OG_FITP_UNCHANGED) {
        s->n_gpu_layers = fs->n_gpu_layers;
        memcpy(s->tensor_split, fs->tensor_split, sizeof s->tensor_split);
        s->n_overrides = fs->n_overrides;
        memcpy(s->overrides, fs->overrides, sizeof s->overrides);
        if (s->engine != OG_LLAMA_ENGINE_OLLAMA)
            s->n_ctx = f->r.n_ctx;
    }
    return f;
}

static const char *part_name(og_layer_part p)
{
    switch (p) {
    case OG_PART_ATTN:
        return "attention";
    case OG_PART_UP:
        return "attention + ffn_up";
    case OG_PART_GATE:
        return "attention + ffn_up + ffn_gate";
    default:
        return "everything but its experts";
    }
}

void fit_llama_fit_print(const fit_env *v, const og_model *m, const fit_llamafit *f,
                         const og_llama_memplan *p)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    const og_fitp_result *r = &f->r;
    const fit_opts *o = v->o;
    int ollama = o->s.engine == OG_LLAMA_ENGINE_OLLAMA;
    const char *who = ollama ? "Ollama's llama-server" : "llama.cpp";
    char args[2100];
    og_fitp_args_short(r, args, sizeof args);
    const char *where = p->backend == OG_BACKEND_CPU ? "in RAM" : "on the GPU";
    switch (r->status) {
    case OG_FITP_OFF:
        fprintf(out, "%s--fit off%s  %s starts this as given: -c %u, every layer %s\n", B, R, who,
                r->n_ctx, p->backend == OG_BACKEND_CPU ? "on the CPU" : "on the GPU");
        break;
    case OG_FITP_GAVE_UP:
        fprintf(out,
                "%s--fit%s      %s's --fit gives up (%s); it starts with -c %u and your placement, "
                "using %s %s and %s in RAM\n",
                B, R, who, r->reason, r->n_ctx, cli_bytes(p->gpu_bytes), where,
                cli_bytes(p->host_bytes));
        break;
    default:
        fprintf(out, "%s--fit%s      %s will start this with %s%s%s (its --fit), using %s %s", B, R,
                who, B, args, R,
                cli_bytes(p->backend == OG_BACKEND_CPU ? p->host_bytes : p->gpu_bytes), where);
        if (p->backend != OG_BACKEND_CPU)
            fprintf(out, " and %s in RAM", cli_bytes(p->host_bytes));
        fprintf(out, "\n");
    }
    if (r->ctx_lowered && r->n_ctx < r->n_ctx_from)
        fprintf(out, "           context lowered from %u (the trained context) to %u\n",
                r->n_ctx_from, r->n_ctx);
    for (uint32_t d = 0; d < r->n_devices && p->backend != OG_BACKEND_CPU; d++) {
        const og_fitp_device *dv = &r->dev[d];
        const char *name = d < v->budget.n_devices ? v->budget.devices[d].name : "GPU";
        fprintf(out, "           GPU%u %s: %u layers", d, name, dv->n_layer);
        if (dv->n_part) {
            char ov[16];
            if (dv->overflow_device >= 0)
                snprintf(ov, sizeof ov, "GPU%d", dv->overflow_device);
            else
                snprintf(ov, sizeof ov, "RAM");
            fprintf(out, " (%u partial: one keeps %s here, the rest in %s", dv->n_part,
                    part_name(dv->overflow), ov);
            if (dv->n_part > 1)
                fprintf(out, "; %u keep all but their experts, which are in RAM", dv->n_part - 1);
            fprintf(out, ")");
        }
        fprintf(out, ", %s used, %s left free\n", cli_bytes(dv->used_bytes),
                cli_bytes((uint64_t)(dv->free_after_bytes > 0 ? dv->free_after_bytes : 0)));
    }
    if (strcmp(args, r->args) != 0 || r->settings.n_overrides)
        fprintf(out, "           %sllama-server -m %s %s%s\n", D,
                m->path ? m->path : (o->model ? o->model : "MODEL"), r->args, R);
    if (r->status == OG_FITP_OFF || ollama)
        goto steps;
    /* What changes when the user pins settings (common/fit.cpp gives up
     * after the context step when -ngl, -ts or -ot is set). */
    if (r->status == OG_FITP_CONTEXT || r->status == OG_FITP_PLACED) {
        og_llama_settings s = f->user;
        s.n_gpu_layers = OG_NGL_ALL;
        fit_llamafit *g = calloc(1, sizeof *g);
        og_error err;
        og_llama_memplan q;
        if (g && og_llama_fit_params(m, &s, &f->in, &g->r, &err) == OG_OK &&
            og_llama_plan(m, &g->r.settings, &q, &err) == OG_OK) {
            int64_t left = (int64_t)v->budget.gpu_bytes - (int64_t)q.gpu_bytes;
            fprintf(
                out,
                "%sif pinned%s  -ngl all (or your own -ts / -ot): --fit only lowers the context "
                "(-c %u); every layer on the GPU needs %s there: %s\n",
                B, R, g->r.n_ctx, cli_bytes(q.gpu_bytes),
                left >= 0 ? "fits" : "does not fit (llama.cpp fails to allocate)");
        }
        if (g && r->ctx_lowered && !f->user.n_ctx) {
            s = f->user;
            s.n_ctx = r->n_ctx_from;
            if (og_llama_fit_params(m, &s, &f->in, &g->r, &err) == OG_OK) {
                char a2[2100];
                og_fitp_args_short(&g->r, a2, sizeof a2);
                if (g->r.status == OG_FITP_GAVE_UP)
                    fprintf(out, "           -c %u set yourself: --fit gives up (%s)\n",
                            r->n_ctx_from, g->r.reason);
                else
                    fprintf(out,
                            "           -c %u set yourself: --fit keeps it and places %s instead\n",
                            r->n_ctx_from, a2);
            }
        }
        free(g);
    }
steps:
    fprintf(out, "\n");
}

json_t *fit_llama_fit_json(const fit_env *v, const og_model *m, const fit_llamafit *f)
{
    (void)m;
    const og_fitp_result *r = &f->r;
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string(og_fitp_status_name(r->status)));
    json_object_set_new(j, "args", json_string(r->args));
    json_object_set_new(j, "ctx", json_integer(r->n_ctx));
    json_object_set_new(j, "ctx_lowered_from",
                        r->ctx_lowered ? json_integer(r->n_ctx_from) : json_null());
    json_object_set_new(j, "gpu_layers", json_integer(r->n_gpu_layers));
    json_object_set_new(j, "reason", r->reason[0] ? json_string(r->reason) : json_null());
    json_t *devs = json_array();
    for (uint32_t d = 0; d < r->n_devices; d++) {
        const og_fitp_device *dv = &r->dev[d];
        json_t *e = json_object();
        json_object_set_new(
            e, "name", json_string(d < v->budget.n_devices ? v->budget.devices[d].name : "GPU"));
        json_object_set_new(e, "free_bytes", cli_json_u64(f->in.free_bytes[d]));
        json_object_set_new(e, "layers", json_integer(dv->n_layer));
        json_object_set_new(e, "partial_layers", json_integer(dv->n_part));
        json_object_set_new(e, "used_bytes", cli_json_u64(dv->used_bytes));
        json_object_set_new(e, "free_after_bytes", json_integer(dv->free_after_bytes));
        json_array_append_new(devs, e);
    }
    json_object_set_new(j, "devices", devs);
    json_t *st = json_array();
    for (uint32_t i = 0; i < r->n_steps; i++)
        json_array_append_new(st, json_string(r->steps[i]));
    json_object_set_new(j, "steps", st);
    json_object_set_new(j, "trials", json_integer(r->n_trials));
    return j;
}
