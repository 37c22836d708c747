/* oomguard fit MODEL [options]: will this model fit? Memory per component and
 * device, the verdict against a budget, the largest context, advice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: oomguard fit MODEL [options]\n"
        "\n"
        "Will MODEL fit? Memory per component (weights, KV cache, recurrent state, compute,\n"
        "output) and device, the verdict against this machine's budget, the largest\n"
        "context that fits, and what to change when it does not fit.\n"
        "Follows " OG_LLAMA_CPP_VERSION ".\n"
        "\n"
        "MODEL  a .gguf file, an MLX or safetensors folder, a remote source (hf://ORG/REPO,\n"
        "       https://..., ollama://NAME) or a catalog name (qwen3-32b, llama3.1:8b)\n"
        "  --quant BUILD            catalog build: Q4_K_M (default for llama.cpp), Q8_0, ...\n"
        "                           or mlx-4bit (default for MLX), mlx-8bit, mlx-bf16 ...\n"
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
        "  --engine E               llama.cpp (default), ollama (-c is num_ctx per slot,\n"
        "                           -np is OLLAMA_NUM_PARALLEL, -b sets num_batch = ubatch),\n"
        "                           mlx (default for MLX folders and --quant mlx-*), or all\n"
        "                           (MLX and llama.cpp side by side at the same context)\n"
        "\n"
        "MLX settings (mlx-lm's names; mlx-lm 0.32.0):\n"
        "  --max-kv-size N          rotating KV cache of N tokens\n"
        "  --kv-bits B              quantized KV cache (2-8; from token 0 here)\n"
        "  --kv-group-size N        KV quantization group (64)\n"
        "  --prefill-step-size N    prompt chunk (2048)\n"
        "  --q-bits B, --q-group-size N, --q-mode M\n"
        "                           plan an unquantized model as mlx_lm.convert -q would\n"
        "\n"
        "Budget:\n"
        "  --mem SIZE               memory available (512M, 24G, 1T; GB/GiB accepted)\n"
        "  --machine NAME|FILE      a preset or a saved snapshot instead of this machine\n"
        "                           (default: this machine, probed now)\n"
        "  --machines               every machine preset, smallest first: where does it fit,\n"
        "                           with how much context (exit 0 if any)\n"
        "  --all-quants             hf://ORG/REPO: plan every GGUF quant in the repository\n"
        "\n"
        "Output:\n"
        "  --json                   machine-readable (engine, memory.*_bytes, memory.by_device[],\n"
        "                           settings.ctx, verdict, max_ctx, advice[], fallback);\n"
        "                           --engine all: {engines: [...], better}\n"
        "  -h, --help               show this help\n"
        "\n"
        "Exit codes: 0 fits (or tight; --engine all / --machines: fits somewhere),\n"
        "1 does not fit, 2 bad input or usage (unknown catalog name: did you mean ...).\n");
}

enum { ENG_AUTO = 0, ENG_LLAMA, ENG_OLLAMA, ENG_MLX, ENG_ALL };

typedef struct fit_opts {
    og_llama_settings s;
    og_mlx_settings ms;
    const char *model, *mmproj, *draft, *machine, *quant;
    uint64_t mem;
    int have_mem, json, backend_set, engine, ctx_set, machines, all_quants;
} fit_opts;

static int parse_u32(const char *opt, const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno == ERANGE || (end != v && !*end && v[0] != '-' && x > UINT32_MAX)) {
        cli_usage_error("fit", "%s: '%s' is too large (at most %u)", opt, v, UINT32_MAX);
        return -1;
    }
    if (errno || end == v || *end || v[0] == '-') {
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

/* Returns 0, or an exit code. */
static int parse(int argc, char **argv, fit_opts *o)
{
    og_llama_settings_default(&o->s);
    og_mlx_settings_default(&o->ms);
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
        if (!strcmp(a, "--machines")) {
            o->machines = 1;
            continue;
        }
        if (!strcmp(a, "--all-quants")) {
            o->all_quants = 1;
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
                                                 "--machine",
                                                 "--quant",
                                                 "--max-kv-size",
                                                 "--kv-bits",
                                                 "--kv-group-size",
                                                 "--prefill-step-size",
                                                 "--q-bits",
                                                 "--q-group-size",
                                                 "--q-mode"};
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
            o->ms.ctx = o->s.n_ctx;
            o->ctx_set = o->s.n_ctx != 0;
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
                !strcmp(v, "lmstudio")) {
                o->s.engine = OG_LLAMA_ENGINE_LLAMA_CPP;
                o->engine = ENG_LLAMA;
            } else if (!strcmp(v, "ollama")) {
                o->s.engine = OG_LLAMA_ENGINE_OLLAMA;
                o->engine = ENG_OLLAMA;
            } else if (!strcmp(v, "mlx") || !strcmp(v, "mlx-lm")) {
                o->engine = ENG_MLX;
            } else if (!strcmp(v, "all")) {
                o->engine = ENG_ALL;
            } else
                return cli_usage_error("fit", "unknown engine '%s' (llama.cpp, ollama, mlx or all)",
                                       v);
        } else if (IS("--mem", "--mem")) {
            og_error e;
            if (og_parse_size(v, &o->mem, &e) != OG_OK)
                return cli_usage_error("fit", "--mem: %s", e.message);
            if (!o->mem)
                return cli_usage_error("fit", "--mem must be larger than 0");
            o->have_mem = 1;
        } else if (IS("--machine", "--machine")) {
            o->machine = v;
        } else if (IS("--quant", "--quant")) {
            o->quant = v;
        } else if (IS("--max-kv-size", "--max-kv-size")) {
            uint32_t n;
            if (parse_u32(name, v, &n))
                return OG_EXIT_USAGE;
            o->ms.max_kv_size = n;
        } else if (IS("--kv-bits", "--kv-bits")) {
            if (parse_u32(name, v, &o->ms.kv_bits))
                return OG_EXIT_USAGE;
            if (o->ms.kv_bits && (o->ms.kv_bits < 2 || o->ms.kv_bits > 8 || o->ms.kv_bits == 7))
                return cli_usage_error("fit", "--kv-bits expects 2, 3, 4, 5, 6 or 8, got '%s'", v);
            o->ms.quantized_kv_start = 0; /* the worst case: quantized from the start */
        } else if (IS("--kv-group-size", "--kv-group-size")) {
            if (parse_u32(name, v, &o->ms.kv_group_size))
                return OG_EXIT_USAGE;
        } else if (IS("--prefill-step-size", "--prefill-step-size")) {
            if (parse_u32(name, v, &o->ms.prefill_step_size))
                return OG_EXIT_USAGE;
            if (!o->ms.prefill_step_size)
                return cli_usage_error("fit", "%s must be at least 1", name);
        } else if (IS("--q-bits", "--q-bits")) {
            if (parse_u32(name, v, &o->ms.q_bits))
                return OG_EXIT_USAGE;
        } else if (IS("--q-group-size", "--q-group-size")) {
            if (parse_u32(name, v, &o->ms.q_group_size))
                return OG_EXIT_USAGE;
        } else if (IS("--q-mode", "--q-mode")) {
            if (strlen(v) >= sizeof o->ms.q_mode)
                return cli_usage_error("fit", "--q-mode: '%s' is too long", v);
            snprintf(o->ms.q_mode, sizeof o->ms.q_mode, "%s", v);
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
    json_object_set_new(mem, "weights_bytes", u64j(p->component_bytes[OG_COMP_WEIGHTS]));
    json_object_set_new(mem, "kv_bytes", u64j(p->component_bytes[OG_COMP_KV]));
    json_object_set_new(mem, "recurrent_bytes", u64j(p->component_bytes[OG_COMP_RS]));
    json_object_set_new(mem, "compute_bytes", u64j(p->component_bytes[OG_COMP_COMPUTE]));
    json_object_set_new(mem, "output_bytes", u64j(p->component_bytes[OG_COMP_OUTPUT]));
    json_object_set_new(mem, "mmproj_bytes", u64j(p->component_bytes[OG_COMP_MMPROJ]));
    json_object_set_new(mem, "draft_bytes", u64j(p->component_bytes[OG_COMP_DRAFT]));
    json_object_set_new(mem, "total_bytes", u64j(p->total_bytes));
    json_object_set_new(mem, "peak_bytes", u64j(p->total_bytes));
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

/* ---- model resolution: a path, a remote source, or a catalog name ---- */

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    static const char *const ext[] = {".gguf", ".safetensors", ".json"};
    if (s[0] == '/' || s[0] == '.' || s[0] == '~')
        return 1;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n >= k && strcasecmp(s + n - k, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* MLX build with the bits closest to a GGUF build, and back. */
static og_catalog_build comparable(og_catalog_build b)
{
    switch (b) {
    case OG_BUILD_MLX_3BIT:
        return OG_BUILD_GGUF_Q3_K_M;
    case OG_BUILD_MLX_4BIT:
        return OG_BUILD_GGUF_Q4_K_M;
    case OG_BUILD_MLX_6BIT:
        return OG_BUILD_GGUF_Q6_K;
    case OG_BUILD_MLX_8BIT:
        return OG_BUILD_GGUF_Q8_0;
    case OG_BUILD_MLX_BF16:
        return OG_BUILD_GGUF_F16;
    case OG_BUILD_GGUF_Q2_K:
    case OG_BUILD_GGUF_Q3_K_M:
        return OG_BUILD_MLX_3BIT;
    case OG_BUILD_GGUF_IQ4_XS:
    case OG_BUILD_GGUF_Q4_0:
    case OG_BUILD_GGUF_Q4_K_M:
        return OG_BUILD_MLX_4BIT;
    case OG_BUILD_GGUF_Q5_K_M:
    case OG_BUILD_GGUF_Q6_K:
        return OG_BUILD_MLX_6BIT;
    case OG_BUILD_GGUF_Q8_0:
        return OG_BUILD_MLX_8BIT;
    case OG_BUILD_GGUF_F16:
        return OG_BUILD_MLX_BF16;
    default:
        return OG_BUILD_GGUF_Q4_K_M;
    }
}

/* want: 1 = an MLX build, 0 = a GGUF build, for catalog names. An explicit
 * --quant of the other family is matched to the comparable build when
 * `match` is set (--engine all), an error otherwise. */
static og_status fit_resolve_model(const char *name, const char *quant, int want, int match,
                                   og_model **out, og_error *err)
{
    struct stat st;
    if (stat(name, &st) == 0 || og_is_remote(name)) {
        if (quant)
            return og_error_set(err, OG_ERR_INVALID,
                                "--quant applies to catalog names; '%s' is a file or a "
                                "remote source (its quantization is what it is)",
                                name);
        return cli_open_model(name, out, err);
    }
    const og_catalog_entry *e = NULL;
    og_error ce;
    og_error_clear(&ce);
    if (og_catalog_find(name, &e, &ce) != OG_OK) {
        if (looks_like_path(name))
            return og_model_open(name, out, err); /* says what is wrong with the path */
        *err = ce;                                /* carries "did you mean ...?" */
        return ce.status;
    }
    og_catalog_build b = want ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
    if (quant) {
        if (og_catalog_build_from_name(quant, &b, err) != OG_OK)
            return err->status;
        if (og_catalog_build_is_mlx(b) != want) {
            if (!match)
                return og_error_set(err, OG_ERR_INVALID,
                                    want ? "--quant %s is a GGUF build; the MLX engine takes "
                                           "mlx-3bit, mlx-4bit, mlx-6bit, mlx-8bit or mlx-bf16"
                                         : "--quant %s is an MLX build; llama.cpp takes GGUF "
                                           "builds (Q4_K_M, Q8_0, ...) or use --engine mlx",
                                    quant);
            b = comparable(b);
        }
    }
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s has no %s build (mlx-lm has no model class for %s)", e->name,
                            og_catalog_build_name(b), e->hp.arch);
    return og_catalog_model(e, b, out, err);
}

/* ---- the budget ---- */

typedef struct fit_env {
    fit_opts *o;
    og_machine *mach; /* NULL: unknown */
    og_budget budget;
    int have_budget;
    char src[200];
} fit_env;

static int machine_is_mac(const og_machine *m)
{
    return m && (m->os == OG_OS_MACOS || m->apple_silicon);
}

static int fit_budget(fit_env *v)
{
    og_error err;
    og_error_clear(&err);
    if (v->o->machine) {
        if (og_machine_load(v->o->machine, v->mach, &err) != OG_OK)
            return cli_fail(&err);
        snprintf(v->src, sizeof v->src, "%s %s", v->mach->preset[0] ? "preset" : "snapshot",
                 v->o->machine);
    } else if (og_machine_probe(v->mach, &err) == OG_OK) {
        snprintf(v->src, sizeof v->src, "this machine, probed now");
    } else {
        snprintf(v->src, sizeof v->src, "probe failed: %.150s", err.message);
        v->mach = NULL;
    }
    if (v->o->have_mem) {
        memset(&v->budget, 0, sizeof v->budget);
        v->budget.unified = 1;
        v->budget.has_gpu = 1;
        v->budget.host_bytes = v->budget.gpu_bytes = v->budget.gpu_total_bytes = v->o->mem;
        snprintf(v->budget.basis, sizeof v->budget.basis, "--mem");
        snprintf(v->src, sizeof v->src, "--mem %s", cli_bytes(v->o->mem));
        v->have_budget = 1;
    } else if (v->mach) {
        og_machine_budget(v->mach, &v->budget);
        v->have_budget = 1;
    }
    return 0;
}

/* ---- one engine's answer, for the side-by-side view ---- */

typedef struct summary {
    char engine[16], build[64];
    uint64_t weights, kv, compute, output, total, peak, ctx, max_ctx;
    int has_verdict, fits;
    char verdict[24];
} summary;

static json_t *budget_json(const fit_env *v, const og_budget *b)
{
    json_t *bj = json_object();
    json_object_set_new(bj, "source", json_string(v->src));
    if (b) {
        json_object_set_new(bj, "host_bytes", u64j(b->host_bytes));
        json_object_set_new(bj, "gpu_bytes", u64j(b->gpu_bytes));
        json_object_set_new(bj, "unified", json_boolean(b->unified));
    }
    return bj;
}

/* llama.cpp / Ollama. Returns an exit code; *jout gets the JSON when asked. */
static int run_llama(fit_env *v, og_model *m, int print, json_t **jout, summary *sum)
{
    fit_opts *o = v->o;
    og_error err;
    og_error_clear(&err);
    og_llama_memplan plan;
    og_llama_fit fit;
    memset(&fit, 0, sizeof fit);
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    if (og_llama_plan(m, &o->s, &plan, &err) != OG_OK)
        return cli_fail(&err);
    int rc = OG_EXIT_OK;
    if (bp) {
        if (og_llama_verdict(m, &o->s, &plan, bp, &fit, &err) != OG_OK)
            return cli_fail(&err);
        rc = fit.verdict == OG_FIT_NO ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    }
    if (jout)
        *jout = to_json(o, m, &plan, bp, v->src, &fit);
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
    json_object_set_new(set, "ctx", u64j(s->ctx));
    json_object_set_new(set, "prompt_tokens", u64j(s->prompt_tokens ? s->prompt_tokens : s->ctx));
    json_object_set_new(set, "max_kv_size", u64j(s->max_kv_size));
    json_object_set_new(set, "kv_bits", json_integer(s->kv_bits));
    json_object_set_new(set, "kv_group_size", json_integer(s->kv_group_size));
    json_object_set_new(set, "quantized_kv_start", u64j(s->quantized_kv_start));
    json_object_set_new(set, "prefill_step_size", json_integer(s->prefill_step_size));
    json_object_set_new(set, "batch", json_integer(s->batch));
    json_object_set_new(set, "q_bits", json_integer(s->q_bits));
    json_object_set_new(set, "q_group_size", json_integer(s->q_group_size));
    json_object_set_new(set, "q_mode", json_string(s->q_mode));
    json_object_set_new(set, "quant", json_string(p->quant));
    json_object_set_new(set, "dtype", json_string(p->dtype));

    /* by_device sums to total_bytes (the steady state), as for llama.cpp */
    json_t *mem = json_object();
    json_object_set_new(mem, "weights_bytes", u64j(p->weights_bytes));
    json_object_set_new(mem, "kv_bytes", u64j(p->kv_bytes));
    json_object_set_new(mem, "recurrent_bytes", u64j(0));
    json_object_set_new(mem, "compute_bytes", u64j(p->compute_bytes));
    json_object_set_new(mem, "output_bytes", u64j(0));
    json_object_set_new(mem, "mmproj_bytes", u64j(0));
    json_object_set_new(mem, "draft_bytes", u64j(0));
    json_object_set_new(mem, "total_bytes", u64j(p->total_bytes));
    json_object_set_new(mem, "peak_bytes", u64j(p->peak_bytes));
    json_object_set_new(mem, "gpu_bytes", u64j(p->peak_bytes));
    json_object_set_new(mem, "host_bytes", u64j(0));
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
    json_object_set_new(j, "budget", budget_json(v, bp));
    const char *vd = mlx_verdict(p->verdict);
    json_object_set_new(j, "verdict", vd ? json_string(vd) : json_null());
    json_object_set_new(j, "margin_bytes",
                        vd ? json_integer((json_int_t)p->budget_bytes - (json_int_t)p->peak_bytes)
                           : json_null());
    json_object_set_new(j, "max_ctx", vd ? u64j(p->max_ctx) : json_null());
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
    json_object_set_new(d, "weights_data_bytes", u64j(p->weights_data_bytes));
    json_object_set_new(d, "kv_at_peak_bytes", u64j(p->kv_at_peak_bytes));
    json_object_set_new(d, "prompt_cache_bytes", u64j(p->prompt_cache_bytes));
    json_object_set_new(d, "logits_bytes", u64j(p->logits_bytes));
    json_object_set_new(d, "working_set_bytes", u64j(p->working_set_bytes));
    json_object_set_new(d, "max_buffer_bytes", u64j(p->max_buffer_bytes));
    json_object_set_new(d, "largest_buffer", json_string(p->largest_buffer));
    json_object_set_new(d, "largest_buffer_bytes", u64j(p->largest_buffer_bytes));
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

static int run_mlx(fit_env *v, og_model *m, int print, json_t **jout, summary *sum)
{
    og_error err;
    og_error_clear(&err);
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    /* the Metal limits come from a Mac (probed, preset or snapshot) */
    const og_machine *mac = machine_is_mac(v->mach) ? v->mach : NULL;
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

/* ---- --engine all: side by side ---- */

static const char *better_of(const summary *l, const summary *x)
{
    if (l->has_verdict && x->has_verdict && l->fits != x->fits)
        return l->fits ? l->engine : x->engine;
    return x->peak < l->peak ? x->engine : l->engine;
}

static void print_side_by_side(const fit_env *v, const summary *s, int n, const char *better)
{
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    char h[2][96];
    for (int i = 0; i < n; i++)
        snprintf(h[i], sizeof h[i], "%s (%.40s)", s[i].engine, s[i].build);
    fprintf(out, "%sModel%s     %s at ctx %llu\n\n", B, R, v->o->model,
            (unsigned long long)s[0].ctx);
    fprintf(out, "%s%-12s %-30s %-30s%s\n", B, "", h[0], n > 1 ? h[1] : "", R);
#define ROW(label, field)                                                                          \
    fprintf(out, "%-12s %-30s %-30s\n", label, cli_bytes(s[0].field),                              \
            n > 1 ? cli_bytes(s[1].field) : "")
    ROW("weights", weights);
    ROW("kv cache", kv);
    ROW("compute", compute);
    ROW("output", output);
    ROW("total", total);
    ROW("peak", peak);
#undef ROW
    char c[2][32];
    for (int i = 0; i < n; i++)
        snprintf(c[i], sizeof c[i], "%llu", (unsigned long long)s[i].max_ctx);
    fprintf(out, "%-12s %-30s %-30s\n", "verdict", s[0].verdict, n > 1 ? s[1].verdict : "");
    fprintf(out, "%-12s %-30s %-30s\n", "max ctx", s[0].has_verdict ? c[0] : "-",
            n > 1 ? (s[1].has_verdict ? c[1] : "-") : "");
    fprintf(out, "\nbudget     %s%s%s\n", D, v->src, R);
    fprintf(out, "better     %s%s%s (%s)\n", B, better, R,
            s[0].has_verdict && s[1].has_verdict && s[0].fits != s[1].fits
                ? "the one that fits"
                : "less memory at this context");
    fprintf(out, "%sDetails: oomguard fit %s --engine mlx | --engine llama.cpp%s\n", D, v->o->model,
            R);
}

/* ---- --machines ---- */

typedef struct machines_user {
    fit_opts *o;
    int mlx;
} machines_user;

static og_status machines_fn(const og_model *model, const og_machine *machine,
                             const og_fit_settings *s, og_fit_result *out, void *user,
                             og_error *err)
{
    const machines_user *u = user;
    if (u->mlx) {
        if (!machine_is_mac(machine)) {
            memset(out, 0, sizeof *out);
            snprintf(out->note, sizeof out->note, "MLX needs Apple Silicon");
            return OG_OK;
        }
        return og_fit_mlx(model, machine, s, out, &u->o->ms, err);
    }
    og_llama_settings ls = u->o->s;
    if (!u->o->backend_set)
        ls.backend = og_machine_backend(machine);
    return og_fit_llama(model, machine, s, out, &ls, err);
}

static int run_machines(fit_env *v, og_model *m, int mlx)
{
    fit_opts *o = v->o;
    og_fit_settings fs = {0};
    fs.ctx = o->ctx_set ? o->s.n_ctx : 8192;
    machines_user u = {o, mlx};
    og_machine_fit *rows = calloc(256, sizeof *rows);
    if (!rows)
        return OG_EXIT_INTERNAL;
    uint32_t n = 0;
    og_error err;
    og_error_clear(&err);
    if (og_fit_machines(m, &fs, machines_fn, &u, rows, 256, &n, &err) != OG_OK) {
        free(rows);
        return cli_fail(&err);
    }
    const char *first = NULL;
    for (uint32_t i = 0; i < n && !first; i++)
        if (rows[i].result.fits)
            first = rows[i].preset;
    const char *eng = mlx ? "mlx" : o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp";
    if (o->json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:I, s:b, s:I, s:I, s:I, s:s}", "preset", rows[i].preset,
                          "ram_bytes", (json_int_t)rows[i].ram_bytes, "fits", rows[i].result.fits,
                          "total_bytes", (json_int_t)rows[i].result.total_bytes, "budget_bytes",
                          (json_int_t)rows[i].result.budget_bytes, "max_ctx",
                          (json_int_t)rows[i].result.max_ctx, "note", rows[i].result.note));
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "engine", eng, "model", o->model,
                              "build", m->quant_label, "ctx", (json_int_t)fs.ctx, "machines", arr,
                              "smallest", first ? json_string(first) : json_null());
        int prc = cli_print_json(j);
        free(rows);
        return prc ? prc : first ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    }
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    printf("%s%s%s (%s) with %s at ctx %llu: which machine?\n\n", B, m->name ? m->name : o->model,
           R, m->quant_label, eng, (unsigned long long)fs.ctx);
    printf("%s%-18s %10s %12s %12s  %-12s %s%s\n", B, "MACHINE", "RAM", "NEEDS", "BUDGET", "FITS",
           "MAX CTX", R);
    for (uint32_t i = 0; i < n; i++) {
        const og_fit_result *r = &rows[i].result;
        char ctx[32];
        snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)r->max_ctx);
        printf("%s%-18s %10s %12s %12s  %-12s %s%s\n", r->fits ? "" : D, rows[i].preset,
               cli_bytes(rows[i].ram_bytes), r->total_bytes ? cli_bytes(r->total_bytes) : "-",
               r->budget_bytes ? cli_bytes(r->budget_bytes) : "-",
               r->fits          ? "yes"
               : r->total_bytes ? "no"
                                : "n/a",
               r->max_ctx ? ctx : "-", r->fits ? "" : R);
    }
    if (first)
        printf("\nsmallest that fits: %s%s%s\n", B, first, R);
    else
        printf("\nno preset fits at ctx %llu\n", (unsigned long long)fs.ctx);
    free(rows);
    return first ? OG_EXIT_OK : OG_EXIT_PROBLEM;
}

/* ---- --all-quants ---- */

typedef struct quant_row {
    char *source;
    const char *file;
    uint64_t weights, total, max_ctx;
    int has_verdict;
    og_fit_verdict verdict;
} quant_row;

static int cmp_quant(const void *a, const void *b)
{
    const quant_row *x = a, *y = b;
    return x->weights < y->weights ? -1 : x->weights > y->weights;
}

static int run_all_quants(fit_env *v)
{
    fit_opts *o = v->o;
    if (strncmp(o->model, "hf://", 5) != 0)
        return cli_usage_error("fit",
                               "--all-quants needs a Hugging Face repository "
                               "(hf://ORG/REPO), got '%s'",
                               o->model);
    og_error err;
    og_error_clear(&err);
    og_remote_options ro;
    og_remote_options_default(&ro);
    char **names = NULL;
    uint32_t n = 0;
    if (og_remote_list_gguf(o->model, &ro, &names, &n, &err) != OG_OK)
        return cli_fail(&err);
    if (n == 0) {
        og_remote_list_free(names, n);
        og_error_set(&err, OG_ERR_NOT_FOUND, "%s: no GGUF files in this repository", o->model);
        return cli_fail(&err);
    }
    quant_row *rows = calloc(n, sizeof *rows);
    if (!rows) {
        og_remote_list_free(names, n);
        return OG_EXIT_INTERNAL;
    }
    const og_budget *bp = v->have_budget ? &v->budget : NULL;
    int rc = OG_EXIT_OK, any_fit = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        og_model *m = NULL;
        og_llama_memplan plan;
        og_llama_fit fit;
        memset(&fit, 0, sizeof fit);
        if (cli_open_model(names[i], &m, &err) != OG_OK ||
            og_llama_plan(m, &o->s, &plan, &err) != OG_OK ||
            (bp && og_llama_verdict(m, &o->s, &plan, bp, &fit, &err) != OG_OK)) {
            fprintf(stderr, "oomguard: %s: %s (skipped)\n", names[i], err.message);
            og_model_free(m);
            continue;
        }
        quant_row *r = &rows[k++];
        r->source = names[i];
        const char *slash = strrchr(names[i], '/');
        r->file = slash ? slash + 1 : names[i];
        r->weights = plan.component_bytes[OG_COMP_WEIGHTS];
        r->total = plan.total_bytes;
        r->has_verdict = bp != NULL;
        r->verdict = fit.verdict;
        r->max_ctx = fit.max_ctx;
        any_fit |= bp && fit.verdict != OG_FIT_NO;
        og_model_free(m);
    }
    if (k == 0) {
        fprintf(stderr, "oomguard: no GGUF in %s could be planned\n", o->model);
        rc = OG_EXIT_USAGE;
        goto out;
    }
    qsort(rows, k, sizeof *rows, cmp_quant);
    rc = !bp || any_fit ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    if (o->json) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < k; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "file", rows[i].file, "source",
                          rows[i].source, "weights_bytes", (json_int_t)rows[i].weights,
                          "total_bytes", (json_int_t)rows[i].total, "verdict",
                          rows[i].has_verdict ? json_string(og_fit_verdict_name(rows[i].verdict))
                                              : json_null(),
                          "max_ctx", rows[i].has_verdict ? u64j(rows[i].max_ctx) : json_null()));
        json_t *j = json_pack("{s:s, s:s, s:I, s:o, s:o}", "engine",
                              o->s.engine == OG_LLAMA_ENGINE_OLLAMA ? "ollama" : "llama.cpp",
                              "model", o->model, "ctx", (json_int_t)o->s.n_ctx, "budget",
                              budget_json(v, bp), "quants", arr);
        int prc = cli_print_json(j);
        if (prc)
            rc = prc;
        goto out;
    }
    const char *B = cli_c(stdout, CLI_BOLD), *R = cli_c(stdout, CLI_RESET);
    printf("%s%s%s: %u GGUF quants, smallest first (budget: %s)\n\n", B, o->model, R, k, v->src);
    printf("%s%-40s %12s %12s  %-13s %s%s\n", B, "FILE", "WEIGHTS", "TOTAL", "VERDICT", "MAX CTX",
           R);
    for (uint32_t i = 0; i < k; i++) {
        char ctx[32];
        snprintf(ctx, sizeof ctx, "%llu", (unsigned long long)rows[i].max_ctx);
        printf("%-40.40s %12s %12s  %-13s %s\n", rows[i].file, cli_bytes(rows[i].weights),
               cli_bytes(rows[i].total),
               rows[i].has_verdict ? og_fit_verdict_name(rows[i].verdict) : "unknown",
               rows[i].has_verdict ? ctx : "-");
    }
out:
    free(rows);
    og_remote_list_free(names, n);
    return rc;
}

/* ---- the command ---- */

static int pick_engine(fit_opts *o)
{
    if (o->engine != ENG_AUTO)
        return o->engine;
    og_catalog_build b;
    og_error e;
    if (o->quant && og_catalog_build_from_name(o->quant, &b, &e) == OG_OK &&
        og_catalog_build_is_mlx(b))
        return ENG_MLX;
    return ENG_AUTO; /* decided by the model's format */
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
    if (o.machines && o.all_quants)
        return cli_usage_error("fit", "--machines and --all-quants do not go together");
    if (o.machines && o.engine == ENG_ALL)
        return cli_usage_error("fit",
                               "--machines plans one engine: pick --engine mlx or llama.cpp");
    if (o.all_quants && (o.engine == ENG_MLX || o.engine == ENG_ALL))
        return cli_usage_error("fit", "--all-quants lists GGUF quants: it plans llama.cpp only");

    fit_env v;
    memset(&v, 0, sizeof v);
    v.o = &o;
    v.mach = calloc(1, sizeof *v.mach);
    if (!v.mach)
        return OG_EXIT_INTERNAL;
    og_machine *mach_mem = v.mach;
    if ((rc = fit_budget(&v))) {
        free(mach_mem);
        return rc;
    }
    if (!o.backend_set)
        o.s.backend = og_machine_backend(v.mach);

    og_error err;
    og_error_clear(&err);
    og_model *m = NULL, *m2 = NULL, *mm = NULL, *dm = NULL;
    json_t *j[2] = {NULL, NULL};
    int exit_code = OG_EXIT_OK;
    if (o.all_quants) {
        exit_code = run_all_quants(&v);
        goto done;
    }
    int eng = pick_engine(&o);
    if (fit_resolve_model(o.model, o.quant, eng == ENG_MLX, eng == ENG_ALL, &m, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    if (eng == ENG_AUTO)
        eng = m->format == OG_FORMAT_MLX ? ENG_MLX : ENG_LLAMA;
    if (o.mmproj && fit_resolve_model(o.mmproj, NULL, 0, 0, &mm, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    if (o.draft && fit_resolve_model(o.draft, NULL, 0, 0, &dm, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    o.s.mmproj = mm;
    o.s.draft = dm;

    if (o.machines) {
        exit_code = run_machines(&v, m, eng == ENG_MLX);
        goto done;
    }
    if (eng == ENG_MLX) {
        exit_code = run_mlx(&v, m, !o.json, o.json ? &j[0] : NULL, NULL);
        if (o.json && j[0]) {
            json_t *doc = j[0];
            j[0] = NULL; /* cli_print_json frees it */
            exit_code = cli_print_json(doc) ? OG_EXIT_INTERNAL : exit_code;
        }
        goto done;
    }
    if (eng != ENG_ALL) {
        exit_code = run_llama(&v, m, !o.json, o.json ? &j[0] : NULL, NULL);
        if (o.json && j[0]) {
            json_t *doc = j[0];
            j[0] = NULL; /* cli_print_json frees it */
            exit_code = cli_print_json(doc) ? OG_EXIT_INTERNAL : exit_code;
        }
        goto done;
    }

    /* --engine all: the same model through both engines at the same context.
     * A catalog name: its GGUF build and its MLX build at comparable bits; a
     * file: the MLX plan of the same model (planned as its 4-bit MLX build). */
    if (m->format == OG_FORMAT_MLX) {
        exit_code = cli_usage_error("fit", "--engine all: llama.cpp does not read MLX folders; "
                                           "use --engine mlx");
        goto done;
    }
    struct stat st;
    int catalog = m->format == OG_FORMAT_CATALOG && stat(o.model, &st) != 0;
    if (catalog && fit_resolve_model(o.model, o.quant, 1, 1, &m2, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    summary sum[2];
    int rl = run_llama(&v, m, 0, o.json ? &j[0] : NULL, &sum[0]);
    if (rl > OG_EXIT_PROBLEM) {
        exit_code = rl;
        goto done;
    }
    if (!o.ctx_set)
        o.ms.ctx = sum[0].ctx; /* the context llama.cpp resolved (the trained one) */
    int rm = run_mlx(&v, m2 ? m2 : m, 0, o.json ? &j[1] : NULL, &sum[1]);
    if (rm > OG_EXIT_PROBLEM) {
        exit_code = rm;
        goto done;
    }
    const char *better = better_of(&sum[0], &sum[1]);
    exit_code = (rl == OG_EXIT_OK || rm == OG_EXIT_OK) ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    if (o.json) {
        json_t *arr = json_array();
        json_array_append_new(arr, j[0]);
        json_array_append_new(arr, j[1]);
        j[0] = j[1] = NULL;
        json_t *root = json_pack("{s:s, s:I, s:o, s:s}", "model", o.model, "ctx",
                                 (json_int_t)sum[0].ctx, "engines", arr, "better", better);
        if (cli_print_json(root))
            exit_code = OG_EXIT_INTERNAL;
    } else {
        print_side_by_side(&v, sum, 2, better);
    }
done:
    json_decref(j[0]);
    json_decref(j[1]);
    og_model_free(m);
    og_model_free(m2);
    og_model_free(mm);
    og_model_free(dm);
    free(mach_mem);
    return exit_code;
}
