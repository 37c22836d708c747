/* Recognising engine invocations for the preflight: a pure reading of argv.
 *
 * llama.cpp options follow common/arg.cpp of llama.cpp as bundled by
 * node-llama-cpp 3.21.1 (/work/llama-src, 2026-09-12): -m/--model, -hf,
 * -c/--ctx-size, -ngl/--gpu-layers/--n-gpu-layers (N, "auto" = -1, "all" =
 * -2), -np/--parallel, -b/--batch-size, -ub/--ubatch-size,
 * -ctk/--cache-type-k, -ctv/--cache-type-v, -fa/--flash-attn [on|off|auto],
 * -n/--predict, and what --fit reads: -fit/--fit, -fitt/--fit-target,
 * -fitc/--fit-ctx, -ot, -ts, -cmoe, -ncmoe (a placement set by the user).
 * --rpc host:port,... (the servers); rpc-server's own options below.
 * MLX options follow mlx-lm's mlx_lm/generate.py and server.py
 * (--model, --max-kv-size, --kv-bits, --kv-group-size, --quantized-kv-start,
 * -m/--max-tokens). */
#include <stdlib.h>
#include <string.h>

#include "og_internal.h"
#include "oomguard/watch.h"

const char *og_engine_name(og_engine e)
{
    switch (e) {
    case OG_ENGINE_LLAMA_CPP:
        return "llama.cpp";
    case OG_ENGINE_MLX:
        return "mlx";
    case OG_ENGINE_OLLAMA:
        return "ollama";
    case OG_ENGINE_NONE:
        break;
    }
    return "none";
}

static int parse_i64(const char *s, int64_t *v)
{
    if (!s || !*s)
        return 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (*end != '\0')
        return 0;
    *v = x;
    return 1;
}

/* Option matching: "-c 8192", "--ctx-size 8192" and "--ctx-size=8192".
 * Returns the value (and advances *i past it), or NULL. */
static const char *opt_value(int argc, const char *const *argv, int *i, const char *const *names)
{
    const char *a = argv[*i];
    for (const char *const *n = names; *n; n++) {
        size_t l = strlen(*n);
        if (strcmp(a, *n) == 0) {
            if (*i + 1 < argc) {
                (*i)++;
                return argv[*i];
            }
            return NULL;
        }
        if ((*n)[1] == '-' && strncmp(a, *n, l) == 0 && a[l] == '=')
            return a + l + 1;
    }
    return NULL;
}

static int is_opt(const char *a, const char *const *names)
{
    for (const char *const *n = names; *n; n++) {
        size_t l = strlen(*n);
        if (strcmp(a, *n) == 0 || ((*n)[1] == '-' && strncmp(a, *n, l) == 0 && a[l] == '='))
            return 1;
    }
    return 0;
}

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void parse_llama(int argc, const char *const *argv, int start, og_engine_cmd *c)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i], *v;
        int64_t x;
        if (is_opt(a, NAMES("-m", "--model")) &&
            (v = opt_value(argc, argv, &i, NAMES("-m", "--model")))) {
            og_strlcpy(c->model, v, sizeof c->model);
            c->model_is_repo = 0;
        } else if (is_opt(a, NAMES("-hf", "-hfr", "--hf-repo")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-hf", "-hfr", "--hf-repo")))) {
            og_strlcpy(c->model, v, sizeof c->model);
            c->model_is_repo = 1;
        } else if (is_opt(a, NAMES("-c", "--ctx-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-c", "--ctx-size")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->n_ctx = x;
        } else if (is_opt(a, NAMES("-ngl", "--gpu-layers", "--n-gpu-layers")) &&
                   (v = opt_value(argc, argv, &i,
                                  NAMES("-ngl", "--gpu-layers", "--n-gpu-layers")))) {
            if (strcmp(v, "auto") == 0)
                c->n_gpu_layers = -1;
            else if (strcmp(v, "all") == 0)
                c->n_gpu_layers = -2;
            else if (parse_i64(v, &x) && x >= 0)
                c->n_gpu_layers = x;
        } else if (is_opt(a, NAMES("-np", "--parallel")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-np", "--parallel")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->n_parallel = x;
        } else if (is_opt(a, NAMES("-b", "--batch-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-b", "--batch-size")))) {
            if (parse_i64(v, &x) && x > 0)
                c->n_batch = x;
        } else if (is_opt(a, NAMES("-ub", "--ubatch-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-ub", "--ubatch-size")))) {
            if (parse_i64(v, &x) && x > 0)
                c->n_ubatch = x;
        } else if (is_opt(a, NAMES("-cram", "--cache-ram")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-cram", "--cache-ram")))) {
            if (parse_i64(v, &x) && x >= -1) {
                c->cache_ram_mib = x;
                c->cache_ram_set = 1;
            }
        } else if (is_opt(a, NAMES("-ctxcp", "--ctx-checkpoints", "--swa-checkpoints")) &&
                   (v = opt_value(argc, argv, &i,
                                  NAMES("-ctxcp", "--ctx-checkpoints", "--swa-checkpoints")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->ctx_checkpoints = x;
        } else if (is_opt(a, NAMES("-fit", "--fit")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-fit", "--fit")))) {
            if (!og_strcasecmp(v, "on") || !og_strcasecmp(v, "true") || !strcmp(v, "1") ||
                !og_strcasecmp(v, "enabled"))
                c->fit = 1;
            else if (!og_strcasecmp(v, "off") || !og_strcasecmp(v, "false") || !strcmp(v, "0") ||
                     !og_strcasecmp(v, "disabled"))
                c->fit = 0;
        } else if (is_opt(a, NAMES("-fitt", "--fit-target")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-fitt", "--fit-target")))) {
            char *e; /* "1024", or a per-device list: its first value (watch.h) */
            long long t = strtoll(v, &e, 10);
            if (e != v && t >= 0 && (*e == '\0' || *e == ',' || *e == '/'))
                c->fit_target_mib = t;
        } else if (is_opt(a, NAMES("-fitc", "--fit-ctx")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-fitc", "--fit-ctx")))) {
            if (parse_i64(v, &x) && x > 0)
                c->fit_ctx = x;
        } else if (is_opt(a, NAMES("-ot", "--override-tensor", "-ts", "--tensor-split", "-ncmoe",
                                   "--n-cpu-moe")) &&
                   opt_value(argc, argv, &i,
                             NAMES("-ot", "--override-tensor", "-ts", "--tensor-split", "-ncmoe",
                                   "--n-cpu-moe"))) {
            c->placement_set = 1;
        } else if (is_opt(a, NAMES("--rpc")) && (v = opt_value(argc, argv, &i, NAMES("--rpc")))) {
            og_strlcpy(c->rpc, v, sizeof c->rpc);
            c->n_rpc = 0;
            for (const char *p = v; *p;) { /* common/arg.cpp: comma-separated servers */
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                c->n_rpc += l > 0;
                if (!e)
                    break;
                p = e + 1;
            }
        } else if (is_opt(a, NAMES("-cmoe", "--cpu-moe"))) {
            c->placement_set = 1;
        } else if (is_opt(a, NAMES("-ctk", "--cache-type-k")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-ctk", "--cache-type-k")))) {
            og_strlcpy(c->cache_type_k, v, sizeof c->cache_type_k);
        } else if (is_opt(a, NAMES("-ctv", "--cache-type-v")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-ctv", "--cache-type-v")))) {
            og_strlcpy(c->cache_type_v, v, sizeof c->cache_type_v);
        } else if (is_opt(a, NAMES("-n", "--predict", "--n-predict")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-n", "--predict", "--n-predict")))) {
            if (parse_i64(v, &x))
                c->max_tokens = x;
        } else if (is_opt(a, NAMES("-fa", "--flash-attn"))) {
            /* This llama.cpp takes a value; older ones took a bare flag. */
            const char *eq = strchr(a, '=');
            const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
            int fa = -1;
            if (val) {
                if (!og_strcasecmp(val, "on") || !og_strcasecmp(val, "true") || !strcmp(val, "1") ||
                    !og_strcasecmp(val, "enabled"))
                    fa = 1;
                else if (!og_strcasecmp(val, "off") || !og_strcasecmp(val, "false") ||
                         !strcmp(val, "0") || !og_strcasecmp(val, "disabled"))
                    fa = 0;
                else if (!og_strcasecmp(val, "auto"))
                    fa = 2;
            }
            if (fa >= 0) {
                c->flash_attn = fa;
                if (!eq)
                    i++;
            } else {
                c->flash_attn = 1; /* bare flag */
            }
        }
    }
}

static void parse_mlx(int argc, const char *const *argv, int start, og_engine_cmd *c)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i], *v;
        int64_t x;
        if (is_opt(a, NAMES("--model")) && (v = opt_value(argc, argv, &i, NAMES("--model")))) {
            og_strlcpy(c->model, v, sizeof c->model);
            /* "mlx-community/Llama-3.2-3B-Instruct-4bit": a repo unless it is a path. */
            c->model_is_repo = v[0] != '/' && v[0] != '.' && v[0] != '~' && strchr(v, '/') &&
                               !strchr(strchr(v, '/') + 1, '/');
        } else if (is_opt(a, NAMES("--max-kv-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--max-kv-size")))) {
            if (parse_i64(v, &x) && x > 0)
                c->n_ctx = x;
        } else if (is_opt(a, NAMES("--kv-bits")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--kv-bits")))) {
            if (parse_i64(v, &x) && x > 0)
                c->kv_bits = x;
        } else if (is_opt(a, NAMES("--kv-group-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--kv-group-size")))) {
            if (parse_i64(v, &x) && x > 0)
                c->kv_group_size = x;
        } else if (is_opt(a, NAMES("--quantized-kv-start")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--quantized-kv-start")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->quantized_kv_start = x;
        } else if (is_opt(a, NAMES("-m", "--max-tokens")) &&
                   (v = opt_value(argc, argv, &i, NAMES("-m", "--max-tokens")))) {
            if (parse_i64(v, &x))
                c->max_tokens = x;
        } else if (is_opt(a, NAMES("--prompt-cache-size")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--prompt-cache-size")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->prompt_cache_size = x;
        } else if (is_opt(a, NAMES("--prompt-cache-bytes")) &&
                   (v = opt_value(argc, argv, &i, NAMES("--prompt-cache-bytes")))) {
            if (parse_i64(v, &x) && x >= 0)
                c->prompt_cache_bytes = x;
        }
    }
}

/* tools/rpc/rpc-server.cpp (llama.cpp 2026-09-12): -H/--host, -p/--port
 * (default 50052), -d/--device, -t/--threads, -c/--cache (a flag: not a
 * context size here). */
static void parse_rpc_server(int argc, const char *const *argv, int start, og_engine_cmd *c)
{
    c->rpc_port = 50052;
    for (int i = start; i < argc; i++) {
        const char *a = argv[i], *v;
        int64_t x;
        if (is_opt(a, NAMES("-p", "--port")) &&
            (v = opt_value(argc, argv, &i, NAMES("-p", "--port")))) {
            if (parse_i64(v, &x) && x > 0 && x < 65536)
                c->rpc_port = x;
        } else if (is_opt(a, NAMES("-c", "--cache"))) {
            c->rpc_cache = 1;
        } else if (is_opt(a, NAMES("-H", "--host", "-d", "--device", "-t", "--threads"))) {
            (void)opt_value(argc, argv, &i,
                            NAMES("-H", "--host", "-d", "--device", "-t", "--threads"));
        }
    }
}

static int is_llama_tool(const char *b)
{
    static const char *const tools[] = {
        "llama-cli",    "llama-server",      "llama-run", "llama-mtmd-cli",
        "llama-simple", "llama-simple-chat", NULL};
    for (const char *const *t = tools; *t; t++)
        if (strcmp(b, *t) == 0)
            return 1;
    return 0;
}

static int is_python(const char *b)
{
    return strncmp(b, "python", 6) == 0 &&
           (b[6] == '\0' || b[6] == '3' || (b[6] >= '0' && b[6] <= '9'));
}

og_engine og_engine_cmd_parse(int argc, const char *const *argv, og_engine_cmd *c)
{
    memset(c, 0, sizeof *c);
    c->n_ctx = c->n_parallel = c->n_batch = c->n_ubatch = -1;
    c->kv_bits = c->kv_group_size = c->max_tokens = c->quantized_kv_start = -1;
    c->ctx_checkpoints = c->prompt_cache_size = c->prompt_cache_bytes = -1;
    c->flash_attn = -1;
    c->n_gpu_layers = -3;
    c->fit = -1;
    c->fit_target_mib = c->fit_ctx = -1;
    int i = 0;
    /* Skip launchers: env [VAR=VALUE...], uv run, uvx. */
    while (i < argc) {
        const char *b = og_basename(argv[i]);
        if (strcmp(b, "env") == 0) {
            i++;
            while (i < argc && strchr(argv[i], '=') && argv[i][0] != '-') {
                if (c->n_env < sizeof c->env / sizeof c->env[0] &&
                    strlen(argv[i]) < sizeof c->env[0])
                    og_strlcpy(c->env[c->n_env++], argv[i], sizeof c->env[0]);
                i++;
            }
        } else if (strcmp(b, "uv") == 0 && i + 1 < argc && strcmp(argv[i + 1], "run") == 0) {
            i += 2;
        } else if (strcmp(b, "uvx") == 0) {
            i++;
        } else {
            break;
        }
    }
    if (i >= argc)
        return OG_ENGINE_NONE;
    const char *b = og_basename(argv[i]);
    if (!strcmp(b, "rpc-server") || !strcmp(b, "ggml-rpc-server") ||
        !strcmp(b, "llama-rpc-server")) {
        c->engine = OG_ENGINE_LLAMA_CPP;
        c->rpc_server = 1;
        og_strlcpy(c->tool, "rpc-server", sizeof c->tool);
        parse_rpc_server(argc, argv, i + 1, c);
        return c->engine;
    }
    if (is_llama_tool(b)) {
        c->engine = OG_ENGINE_LLAMA_CPP;
        og_strlcpy(c->tool, b, sizeof c->tool);
        parse_llama(argc, argv, i + 1, c);
        return c->engine;
    }
    if (strcmp(b, "ollama") == 0) {
        if (i + 2 < argc && strcmp(argv[i + 1], "run") == 0) {
            int k = i + 2;
            while (k < argc && argv[k][0] == '-') /* --verbose, --keepalive 5m ... */
                k +=
                    strcmp(argv[k], "--keepalive") == 0 || strcmp(argv[k], "--format") == 0 ? 2 : 1;
            if (k < argc) {
                c->engine = OG_ENGINE_OLLAMA;
                og_strlcpy(c->tool, "ollama run", sizeof c->tool);
                og_strlcpy(c->model, argv[k], sizeof c->model);
                c->model_is_repo = 1;
            }
        }
        return c->engine;
    }
    /* mlx_lm.generate, mlx_lm.server, "mlx_lm generate", python -m mlx_lm[.generate] */
    const char *mod = NULL;
    int rest = i + 1;
    if (strncmp(b, "mlx_lm", 6) == 0) {
        mod = b;
    } else if (is_python(b)) {
        for (int k = i + 1; k < argc; k++) {
            if (strcmp(argv[k], "-m") == 0 && k + 1 < argc) {
                mod = argv[k + 1];
                rest = k + 2;
                break;
            }
            if (argv[k][0] != '-')
                break; /* a script, not a module */
        }
    }
    if (!mod || strncmp(mod, "mlx_lm", 6) != 0)
        return OG_ENGINE_NONE;
    const char *sub = mod[6] == '.' ? mod + 7 : NULL;
    if (mod[6] == '\0' && rest < argc && argv[rest][0] != '-')
        sub = argv[rest++];
    if (!sub ||
        (strcmp(sub, "generate") != 0 && strcmp(sub, "server") != 0 && strcmp(sub, "chat") != 0))
        return OG_ENGINE_NONE;
    c->engine = OG_ENGINE_MLX;
    og_strlcpy(c->tool, "mlx_lm.", sizeof c->tool);
    og_strlcpy(c->tool + 7, sub, sizeof c->tool - 7);
    parse_mlx(argc, argv, rest, c);
    return c->engine;
}
