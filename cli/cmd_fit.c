/* oomguard fit MODEL [options]: will this model fit? Memory per component and
 * device, the verdict against a budget, the largest context, advice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The machine probe lands from another branch; until it does, a build
 * without it still links and `fit` asks for --mem. */
#pragma weak og_machine_probe
#pragma weak og_machine_load
#pragma weak og_machine_budget

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: oomguard fit MODEL [options]\n"
           "\n"
           "Will MODEL fit? Memory per component (weights, KV cache, recurrent state, compute,\n"
           "output) and device, the verdict against this machine's budget, the largest\n"
           "context that fits, and what to change when it does not fit.\n"
           "Follows " OG_LLAMA_CPP_VERSION ".\n"
           "\n"
           "MODEL  a .gguf file (or any model oomguard inspect reads)\n"
           "\n"
           "Settings (llama.cpp's own names):\n"
           "  -c, --ctx N              context size (0 = the model's trained context; default)\n"
           "  -b, --batch N            logical batch (2048)\n"
           "  -ub, --ubatch N          micro-batch (512): drives the compute buffers\n"
           "  -np, --parallel N        sequences / server slots (1)\n"
           "  -kvu, --kv-unified       one KV stream shared by all sequences\n"
           "  -ctk, --cache-type-k T   K cache type: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 iq4_nl\n"
           "  -ctv, --cache-type-v T   V cache type (quantized V needs flash attention)\n"
           "  -fa, --flash-attn on|off|auto\n"
           "  -ngl, --gpu-layers N     layers on the GPU (all, or a number; default all)\n"
           "  --no-mmap                load weights into RAM instead of mapping the file\n"
           "  --swa-full               full-size cache for sliding-window layers\n"
           "  -nkvo, --no-kv-offload   keep the KV cache in host memory\n"
           "  --mmproj FILE            multimodal projector loaded with the model\n"
           "  -md, --draft FILE        draft model for speculative decoding\n"
           "  --backend B              cpu, cuda, metal, vulkan or rocm (default: this machine's)\n"
           "  --engine E               llama.cpp (default) or ollama (-c is num_ctx per slot,\n"
           "                           -np is OLLAMA_NUM_PARALLEL, -b sets num_batch = ubatch)\n"
           "\n"
           "Budget:\n"
           "  --mem SIZE               memory available (512M, 24G, 1T; GB/GiB accepted)\n"
           "  --machine NAME|FILE      a preset or a saved snapshot instead of this machine\n"
           "\n"
           "Output:\n"
           "  --json                   machine-readable (memory.*_bytes, memory.by_device[],\n"
           "                           settings.ctx, verdict, max_ctx, advice[], fallback)\n"
           "  -h, --help               show this help\n"
           "\n"
           "Exit codes: 0 fits (or tight), 1 does not fit, 2 bad input or usage.\n");
}

/* Model resolution, one place: the catalog engineer hooks catalog names in
 * here (a name that is not a path). */
static og_status fit_resolve_model(const char *name, og_model **out, og_error *err)
{
    return og_model_open(name, out, err);
}

typedef struct fit_opts {
    og_llama_settings s;
    const char *model, *mmproj, *draft, *machine, *engine;
    uint64_t mem;
    int have_mem, json, backend_set;
} fit_opts;

static int parse_u32(const char *opt, const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x > UINT32_MAX) {
        cli_usage_error("fit", "%s expects a non-negative number, got '%s'", opt, v);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

static int parse_cache_type(const char *opt, const char *v, int *out)
{
    static const char *allowed[] = {"f32",  "f16",  "bf16", "q8_0",  "q4_0",
                                    "q4_1", "q5_0", "q5_1", "iq4_nl"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcasecmp(v, allowed[i]) == 0) {
            *out = og_ggml_type_from_name(allowed[i]);
            return 0;
        }
    cli_usage_error("fit",
                    "%s: cache type '%s' is not one of f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 "
                    "q5_1 iq4_nl",
                    opt, v);
    return -1;
}

static og_backend default_backend(const og_machine *m)
{
    if (!m)
        return OG_BACKEND_CPU;
    for (uint32_t i = 0; i < m->n_gpus; i++) {
        if (m->gpus[i].vendor == OG_GPU_APPLE)
            return OG_BACKEND_METAL;
        if (m->gpus[i].vendor == OG_GPU_NVIDIA)
            return OG_BACKEND_CUDA;
        if (m->gpus[i].vendor == OG_GPU_AMD)
            return OG_BACKEND_ROCM;
    }
    return OG_BACKEND_CPU;
}

/* Returns 0, or an exit code. */
static int parse(int argc, char **argv, fit_opts *o)
{
    og_llama_settings_default(&o->s);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return -1;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (o->model)
                return cli_usage_error("fit", "unexpected argument '%s' (one MODEL)", a);
            o->model = a;
            continue;
        }
        /* flags without a value */
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--no-mmap")) {
            o->s.use_mmap = 0;
            continue;
        }
        if (!strcmp(a, "--mmap")) {
            o->s.use_mmap = 1;
            continue;
        }
        if (!strcmp(a, "--swa-full")) {
            o->s.swa_full = 1;
            continue;
        }
        if (!strcmp(a, "-kvu") || !strcmp(a, "--kv-unified")) {
            o->s.kv_unified = 1;
            continue;
        }
        if (!strcmp(a, "-nkvo") || !strcmp(a, "--no-kv-offload")) {
            o->s.no_kv_offload = 1;
            continue;
        }
        /* options with a value: "--opt V" or "--opt=V" */
        char name[40];
        const char *v = NULL, *eq = strchr(a, '=');
        if (eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            v = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
#define IS(s1, s2) (!strcmp(name, s1) || !strcmp(name, s2))
        static const char *const with_value[] = {"-c",
                                                 "--ctx",
                                                 "--ctx-size",
                                                 "-b",
                                                 "--batch",
                                                 "--batch-size",
                                                 "-ub",
                                                 "--ubatch",
                                                 "--ubatch-size",
                                                 "-np",
                                                 "--parallel",
                                                 "-ctk",
                                                 "--cache-type-k",
                                                 "-ctv",
                                                 "--cache-type-v",
                                                 "-fa",
                                                 "--flash-attn",
                                                 "-ngl",
                                                 "--gpu-layers",
                                                 "--n-gpu-layers",
                                                 "--mmproj",
                                                 "-md",
                                                 "--draft",
                                                 "--model-draft",
                                                 "--backend",
                                                 "--engine",
                                                 "--mem",
                                                 "--machine"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known |= !strcmp(name, with_value[k]);
        if (!known)
            return cli_usage_error("fit", "unknown option '%s'", a);
        if (!v) {
            if (i + 1 >= argc)
                return cli_usage_error("fit", "%s needs a value", name);
            v = argv[++i];
        }
        if (IS("-c", "--ctx") || IS("--ctx-size", "--ctx-size")) {
            if (parse_u32(name, v, &o->s.n_ctx))
                return OG_EXIT_USAGE;
        } else if (IS("-b", "--batch") || IS("--batch-size", "--batch-size")) {
            if (parse_u32(name, v, &o->s.n_batch))
                return OG_EXIT_USAGE;
            o->s.ollama_num_batch = o->s.n_batch;
        } else if (IS("-ub", "--ubatch") || IS("--ubatch-size", "--ubatch-size")) {
            if (parse_u32(name, v, &o->s.n_ubatch))
                return OG_EXIT_USAGE;
        } else if (IS("-np", "--parallel")) {
            if (parse_u32(name, v, &o->s.n_parallel))
                return OG_EXIT_USAGE;
            if (!o->s.n_parallel)
                return cli_usage_error("fit", "%s must be at least 1", name);
        } else if (IS("-ctk", "--cache-type-k")) {
            if (parse_cache_type(name, v, &o->s.type_k))
                return OG_EXIT_USAGE;
        } else if (IS("-ctv", "--cache-type-v")) {
            if (parse_cache_type(name, v, &o->s.type_v))
                return OG_EXIT_USAGE;
        } else if (IS("-fa", "--flash-attn")) {
            if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true"))
                o->s.flash_attn = OG_FA_ON;
            else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false"))
                o->s.flash_attn = OG_FA_OFF;
            else if (!strcmp(v, "auto"))
                o->s.flash_attn = OG_FA_AUTO;
            else
                return cli_usage_error("fit", "%s expects on, off or auto, got '%s'", name, v);
        } else if (IS("-ngl", "--gpu-layers") || IS("--n-gpu-layers", "--n-gpu-layers")) {
            if (!strcmp(v, "all") || !strcmp(v, "-1"))
                o->s.n_gpu_layers = -1;
            else {
                uint32_t n;
                if (parse_u32(name, v, &n))
                    return OG_EXIT_USAGE;
                o->s.n_gpu_layers = n > 100000 ? 100000 : (int32_t)n;
            }
        } else if (IS("--mmproj", "--mmproj")) {
            o->mmproj = v;
        } else if (IS("-md", "--draft") || IS("--model-draft", "--model-draft")) {
            o->draft = v;
        } else if (IS("--backend", "--backend")) {
            og_error e;
            if (og_backend_from_name(v, &o->s.backend, &e) != OG_OK)
                return cli_usage_error("fit", "%s", e.message);
            o->backend_set = 1;
        } else if (IS("--engine", "--engine")) {
            if (!strcmp(v, "llama.cpp") || !strcmp(v, "llamacpp") || !strcmp(v, "llama-server") ||
                !strcmp(v, "lmstudio"))
                o->s.engine = OG_LLAMA_ENGINE_LLAMA_CPP;
            else if (!strcmp(v, "ollama"))
                o->s.engine = OG_LLAMA_ENGINE_OLLAMA;
            else
                return cli_usage_error("fit", "unknown engine '%s' (llama.cpp or ollama)", v);
            o->engine = v;
        } else if (IS("--mem", "--mem")) {
            og_error e;
            if (og_parse_size(v, &o->mem, &e) != OG_OK)
                return cli_usage_error("fit", "--mem: %s", e.message);
            if (!o->mem)
                return cli_usage_error("fit", "--mem must be larger than 0");
            o->have_mem = 1;
        } else if (IS("--machine", "--machine")) {
            o->machine = v;
        }
#undef IS
    }
    if (!o->model)
        return cli_usage_error("fit", "missing MODEL");
    return 0;
}

static json_t *u64j(uint64_t v)
{
    return json_integer((json_int_t)v);
}

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
    fprintf(out, "%sModel%s     %s  (%s, %u layers, %s, %s)\n", B, R, o->model, m->hp.arch,
            m->hp.n_layer, m->quant_label[0] ? m->quant_label : "?", cli_bytes(m->weight_bytes));
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
    for (uint32_t i = 0; i < p->n_notes; i++)
        fprintf(out, "%snote: %s%s\n", D, p->notes[i], R);
    if (!b) {
        fprintf(out, "\nbudget     unknown (%s): pass --mem SIZE\n", budget_src);
        return;
    }
    fprintf(out, "\nbudget     ");
    if (p->backend != OG_BACKEND_CPU && !b->unified)
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
    json_object_set_new(mem, "weights_bytes", u64j(p->component_bytes[OG_COMP_WEIGHTS]));
    json_object_set_new(mem, "kv_bytes", u64j(p->component_bytes[OG_COMP_KV]));
    json_object_set_new(mem, "recurrent_bytes", u64j(p->component_bytes[OG_COMP_RS]));
    json_object_set_new(mem, "compute_bytes", u64j(p->component_bytes[OG_COMP_COMPUTE]));
    json_object_set_new(mem, "output_bytes", u64j(p->component_bytes[OG_COMP_OUTPUT]));
    json_object_set_new(mem, "mmproj_bytes", u64j(p->component_bytes[OG_COMP_MMPROJ]));
    json_object_set_new(mem, "draft_bytes", u64j(p->component_bytes[OG_COMP_DRAFT]));
    json_object_set_new(mem, "total_bytes", u64j(p->total_bytes));
    json_object_set_new(mem, "gpu_bytes", u64j(p->gpu_bytes));
    json_object_set_new(mem, "host_bytes", u64j(p->host_bytes));
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
    json_object_set_new(set, "engine",
                        json_string(o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp"));
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
    json_object_set_new(j, "model", json_string(o->model));
    json_object_set_new(j, "architecture", json_string(m->hp.arch));
    json_object_set_new(j, "engine_version", json_string(OG_LLAMA_CPP_VERSION));
    json_object_set_new(j, "settings", set);
    json_object_set_new(j, "memory", mem);
    json_t *bj = json_object();
    json_object_set_new(bj, "source", json_string(budget_src));
    if (b) {
        json_object_set_new(bj, "host_bytes", u64j(b->host_bytes));
        json_object_set_new(bj, "gpu_bytes", u64j(b->gpu_bytes));
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
    return j;
}

int cmd_fit(int argc, char **argv)
{
    fit_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc < 0)
        return OG_EXIT_OK; /* --help */
    if (rc)
        return rc;

    /* The machine: a preset/snapshot, or this one (unless --mem says it all). */
    og_machine mach;
    og_machine *mp = NULL;
    og_error err;
    og_error_clear(&err);
    char budget_src[200] = "no machine probe in this build";
    if (o.machine) {
        if (!og_machine_load)
            return cli_usage_error("fit", "--machine needs the machine probe, not in this build");
        if (og_machine_load(o.machine, &mach, &err) != OG_OK)
            return cli_fail(&err);
        mp = &mach;
        snprintf(budget_src, sizeof budget_src, "machine %s", o.machine);
    } else if (og_machine_probe && og_machine_budget) {
        if (og_machine_probe(&mach, &err) == OG_OK) {
            mp = &mach;
            snprintf(budget_src, sizeof budget_src, "this machine");
        } else {
            snprintf(budget_src, sizeof budget_src, "probe failed: %.150s", err.message);
        }
    }
    if (!o.backend_set)
        o.s.backend = default_backend(mp);

    og_model *m = NULL, *mm = NULL, *dm = NULL;
    if (fit_resolve_model(o.model, &m, &err) != OG_OK)
        return cli_fail(&err);
    if (o.mmproj && fit_resolve_model(o.mmproj, &mm, &err) != OG_OK) {
        og_model_free(m);
        return cli_fail(&err);
    }
    if (o.draft && fit_resolve_model(o.draft, &dm, &err) != OG_OK) {
        og_model_free(m);
        og_model_free(mm);
        return cli_fail(&err);
    }
    o.s.mmproj = mm;
    o.s.draft = dm;

    og_llama_memplan plan;
    og_budget budget, *bp = NULL;
    og_llama_fit fit;
    memset(&fit, 0, sizeof fit);
    int exit_code = OG_EXIT_OK;
    if (og_llama_plan(m, &o.s, &plan, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    if (o.have_mem) {
        memset(&budget, 0, sizeof budget);
        budget.unified = 1;
        budget.has_gpu = o.s.backend != OG_BACKEND_CPU;
        budget.host_bytes = budget.gpu_bytes = budget.gpu_total_bytes = o.mem;
        snprintf(budget.basis, sizeof budget.basis, "--mem");
        snprintf(budget_src, sizeof budget_src, "--mem %s", cli_bytes(o.mem));
        bp = &budget;
    } else if (mp && og_machine_budget) {
        og_machine_budget(mp, &budget);
        bp = &budget;
    }
    if (bp) {
        if (og_llama_verdict(m, &o.s, &plan, bp, &fit, &err) != OG_OK) {
            exit_code = cli_fail(&err);
            goto done;
        }
        exit_code = fit.verdict == OG_FIT_NO ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    }
    if (o.json)
        cli_print_json(to_json(&o, m, &plan, bp, budget_src, &fit));
    else
        print_table(&o, m, &plan, bp, budget_src, &fit);
done:
    og_model_free(m);
    og_model_free(mm);
    og_model_free(dm);
    return exit_code;
}
