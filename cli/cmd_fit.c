/* oomguard fit MODEL [options]: will this model fit? Memory per component and
 * device, the verdict against a budget, the largest context, advice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "fit.h"

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
og_status fit_resolve_model(const char *name, const char *quant, int want, int match,
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

int fit_machine_is_mac(const og_machine *m)
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
        exit_code = fit_run_all_quants(&v);
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
        exit_code = fit_run_machines(&v, m, eng == ENG_MLX);
        goto done;
    }
    if (eng == ENG_MLX) {
        exit_code = fit_run_mlx(&v, m, !o.json, o.json ? &j[0] : NULL, NULL);
        if (o.json && j[0]) {
            json_t *doc = j[0];
            j[0] = NULL; /* cli_print_json frees it */
            exit_code = cli_print_json(doc) ? OG_EXIT_INTERNAL : exit_code;
        }
        goto done;
    }
    if (eng != ENG_ALL) {
        exit_code = fit_run_llama(&v, m, !o.json, o.json ? &j[0] : NULL, NULL);
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
    int rl = fit_run_llama(&v, m, 0, o.json ? &j[0] : NULL, &sum[0]);
    if (rl > OG_EXIT_PROBLEM) {
        exit_code = rl;
        goto done;
    }
    if (!o.ctx_set)
        o.ms.ctx = sum[0].ctx; /* the context llama.cpp resolved (the trained one) */
    int rm = fit_run_mlx(&v, m2 ? m2 : m, 0, o.json ? &j[1] : NULL, &sum[1]);
    if (rm > OG_EXIT_PROBLEM) {
        exit_code = rm;
        goto done;
    }
    const char *better = fit_better_of(&sum[0], &sum[1]);
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
        fit_print_side_by_side(&v, sum, 2, better);
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
