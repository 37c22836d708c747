/* The shared engine-settings option groups (see engine_opts.h). */
#include "engine_opts.h"

#include <string.h>
#include <strings.h>

#include "cli.h"

enum {
    E_CTX,
    E_BATCH,
    E_UBATCH,
    E_PARALLEL,
    E_KVU,
    E_CTK,
    E_CTV,
    E_FA,
    E_NGL,
    E_NO_MMAP,
    E_MMAP,
    E_SWA_FULL,
    E_NKVO,
    E_MMPROJ,
    E_DRAFT,
    E_BACKEND,
    E_ENGINE,
    E_CACHE_RAM,
    E_CTX_CKPT,
    E_CKPT_STEP,
    M_MAX_KV,
    M_KV_BITS,
    M_KV_GROUP,
    M_KV_START,
    M_PREFILL,
    M_PC_SIZE,
    M_PC_BYTES,
    M_Q_BITS,
    M_Q_GROUP,
    M_Q_MODE
};

#define CACHE_TYPES "f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 iq4_nl"

static const cli_opt llama_opts[] = {
    {E_CTX, "-c, --ctx-size", "--ctx", CLI_T_COUNT, "N", NULL,
     "context size (32k = 32768; 0 = the model's trained context)", 0, 0, 0},
    {E_BATCH, "-b, --batch-size", "--batch", CLI_T_COUNT, "N", NULL, "logical batch (2048)", 0, 1,
     0},
    {E_UBATCH, "-ub, --ubatch-size", "--ubatch", CLI_T_COUNT, "N", NULL,
     "micro-batch (512): drives the compute buffers", 0, 1, 0},
    {E_PARALLEL, "-np, --parallel", NULL, CLI_T_COUNT, "N", NULL, "sequences / server slots (1)", 0,
     1, 0},
    {E_KVU, "-kvu, --kv-unified", NULL, CLI_T_FLAG, NULL, NULL,
     "one KV stream shared by all sequences", 0, 0, 0},
    {E_CTK, "-ctk, --cache-type-k", NULL, CLI_T_CHOICE, "T", CACHE_TYPES,
     "K cache type: " CACHE_TYPES, 0, 0, 0},
    {E_CTV, "-ctv, --cache-type-v", NULL, CLI_T_CHOICE, "T", CACHE_TYPES,
     "V cache type (quantized V needs flash attention)", 0, 0, 0},
    {E_FA, "-fa, --flash-attn", NULL, CLI_T_CHOICE, "on|off|auto", "on off auto 1 0 true false",
     "flash attention (-fa alone = on)", CLI_OPT_OPTIONAL, 0, 0},
    {E_NGL, "-ngl, --gpu-layers", "--n-gpu-layers", CLI_T_STR, "N", "auto all",
     "layers on the GPU: auto (default: all, or what llama.cpp's\n--fit chooses), all, or a number",
     0, 0, 0},
    {E_NO_MMAP, "--no-mmap", NULL, CLI_T_FLAG, NULL, NULL,
     "load weights into RAM instead of mapping the file", 0, 0, 0},
    {E_MMAP, "--mmap", NULL, CLI_T_FLAG, NULL, NULL, "map the model file (the default)",
     CLI_OPT_HIDDEN, 0, 0},
    {E_SWA_FULL, "--swa-full", NULL, CLI_T_FLAG, NULL, NULL,
     "full-size cache for sliding-window layers", 0, 0, 0},
    {E_NKVO, "-nkvo, --no-kv-offload", NULL, CLI_T_FLAG, NULL, NULL,
     "keep the KV cache in host memory", 0, 0, 0},
    {E_MMPROJ, "--mmproj", NULL, CLI_T_FILE, "FILE", NULL,
     "multimodal projector loaded with the model", 0, 0, 0},
    {E_DRAFT, "-md, --model-draft", "--draft", CLI_T_FILE, "FILE", NULL,
     "draft model for speculative decoding", 0, 0, 0},
    {E_CACHE_RAM, "-cram, --cache-ram", NULL, CLI_T_STR, "MiB", NULL,
     "llama-server's host prompt cache (8192; -1 = no size limit, 0 = off):\n"
     "it grows after load, the verdict counts it",
     0, 0, 0},
    {E_CTX_CKPT, "-ctxcp, --ctx-checkpoints", "--swa-checkpoints", CLI_T_COUNT, "N", NULL,
     "llama-server's context checkpoints per slot (32; SWA and recurrent models)", 0, 0, 0},
    {E_CKPT_STEP, "-cms, --checkpoint-min-step", NULL, CLI_T_COUNT, "N", NULL,
     "tokens between context checkpoints (8192)", CLI_OPT_HIDDEN, 0, 0},
    {E_BACKEND, "--backend", NULL, CLI_T_STR, "B", "cpu cuda metal vulkan rocm",
     "cpu, cuda, metal, vulkan or rocm (default: this machine's)", 0, 0, 0},
    {E_ENGINE, "--engine", NULL, CLI_T_STR, "E", "llama.cpp ollama mlx all",
     "llama.cpp (default), ollama (-c is num_ctx per slot,\n"
     "-np is OLLAMA_NUM_PARALLEL, -b sets num_batch = ubatch),\n"
     "mlx (default for MLX folders and --quant mlx-*), or all\n"
     "(MLX and llama.cpp side by side; fit only)",
     0, 0, 0},
};

static const cli_opt mlx_opts[] = {
    {M_MAX_KV, "--max-kv-size", NULL, CLI_T_COUNT, "N", NULL, "rotating KV cache of N tokens", 0, 0,
     0},
    {M_KV_BITS, "--kv-bits", NULL, CLI_T_CHOICE, "B", "2 3 4 5 6 8 16",
     "quantized KV cache (2-8, from token 0 here; 16 = off);\n"
     "doctor, wired: on llama.cpp 8 and 4 mean q8_0 / q4_0 when\n"
     "-ctk/-ctv are not given",
     0, 0, 0},
    {M_KV_GROUP, "--kv-group-size", NULL, CLI_T_COUNT, "N", NULL, "KV quantization group (64)", 0,
     1, 0},
    {M_KV_START, "--quantized-kv-start", NULL, CLI_T_COUNT, "N", NULL,
     "quantize the KV cache once it holds N tokens\n"
     "(mlx_lm.generate: 5000; here 0 unless given)",
     0, 0, 0},
    {M_PREFILL, "--prefill-step-size", NULL, CLI_T_COUNT, "N", NULL, "prompt chunk (2048)", 0, 1,
     0},
    {M_PC_SIZE, "--prompt-cache-size", NULL, CLI_T_COUNT, "N", NULL,
     "mlx_lm.server's prompt cache entries (server: 10; 0 = not counted)", 0, 0, 0},
    {M_PC_BYTES, "--prompt-cache-bytes", NULL, CLI_T_SIZE, "SIZE", NULL,
     "mlx_lm.server's prompt cache byte cap (none)", 0, 0, 0},
    {M_Q_BITS, "--q-bits", NULL, CLI_T_CHOICE, "B", "2 3 4 5 6 8",
     "plan an unquantized model as mlx_lm.convert -q would", 0, 0, 0},
    {M_Q_GROUP, "--q-group-size", NULL, CLI_T_COUNT, "N", NULL, "with --q-bits: quantization group",
     0, 1, 0},
    {M_Q_MODE, "--q-mode", NULL, CLI_T_STR, "M", "affine mxfp4 nvfp4 mxfp8",
     "with --q-bits: affine (default), mxfp4, nvfp4, mxfp8", 0, 0, 0},
};

void cli_engine_opts_init(cli_engine_opts *e, const char *cmd)
{
    memset(e, 0, sizeof *e);
    e->cmd = cmd;
    og_llama_settings_default(&e->s);
    og_mlx_settings_default(&e->ms);
}

static int handle(void *ctx, int id, const char *name, const cli_value *v)
{
    cli_engine_opts *e = ctx;
    const char *cmd = e->cmd;
    switch (id) {
    case E_CTX:
        e->s.n_ctx = (uint32_t)v->u;
        e->ms.ctx = v->u;
        e->given |= CLI_SET_CTX;
        if (!v->u)
            e->given &= ~(unsigned)CLI_SET_CTX; /* 0 = the trained context */
        return 0;
    case E_BATCH:
        e->s.n_batch = (uint32_t)v->u;
        e->s.ollama_num_batch = e->s.n_batch;
        e->given |= CLI_SET_BATCH;
        return 0;
    case E_UBATCH:
        e->s.n_ubatch = (uint32_t)v->u;
        e->given |= CLI_SET_UBATCH;
        return 0;
    case E_PARALLEL:
        e->s.n_parallel = (uint32_t)v->u;
        e->given |= CLI_SET_PARALLEL;
        return 0;
    case E_KVU:
        e->s.kv_unified = 1;
        break;
    case E_CTK:
    case E_CTV: {
        static const char *const names[] = {"f32",  "f16",  "bf16", "q8_0",  "q4_0",
                                            "q4_1", "q5_0", "q5_1", "iq4_nl"};
        const char *canon = names[v->choice]; /* the order of CACHE_TYPES */
        int t = og_ggml_type_from_name(canon);
        if (id == E_CTK)
            e->s.type_k = t, e->ctk = canon, e->given |= CLI_SET_CTK;
        else
            e->s.type_v = t, e->ctv = canon, e->given |= CLI_SET_CTV;
        return 0;
    }
    case E_FA: {
        const char *s = v->str ? v->str : "on";
        e->s.flash_attn = !strcmp(s, "auto") ? OG_FA_AUTO
                          : (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "false"))
                              ? OG_FA_OFF
                              : OG_FA_ON;
        e->given |= CLI_SET_FA;
        return 0;
    }
    case E_NGL: {
        /* common/arg.cpp: "auto" (the default; llama.cpp's --fit may lower
         * it) and "all" both place every layer on the GPU, but "all" counts
         * as set by the user: --fit then only lowers the context. */
        if (!strcmp(v->str, "auto") || !strcmp(v->str, "-1")) {
            e->s.n_gpu_layers = OG_NGL_AUTO;
        } else if (!strcmp(v->str, "all")) {
            e->s.n_gpu_layers = OG_NGL_ALL;
        } else {
            uint64_t n;
            int rc = cli_parse_count(cmd, name, v->str, 0, 0, &n);
            if (rc)
                return rc;
            e->s.n_gpu_layers = n > 100000 ? 100000 : (int32_t)n;
        }
        e->given |= CLI_SET_NGL;
        return 0;
    }
    case E_NO_MMAP:
        e->s.use_mmap = 0;
        break;
    case E_CACHE_RAM: {
        if (!strcmp(v->str, "-1")) {
            e->s.cache_ram_mib = -1;
            break;
        }
        uint64_t n;
        int rc = cli_parse_count(cmd, name, v->str, 0, 0, &n);
        if (rc)
            return rc;
        e->s.cache_ram_mib = n > INT32_MAX ? INT32_MAX : (int32_t)n;
        break;
    }
    case E_CTX_CKPT:
        e->s.n_ctx_checkpoints = v->u > INT32_MAX ? INT32_MAX : (int32_t)v->u;
        break;
    case E_CKPT_STEP:
        e->s.checkpoint_min_step = v->u > UINT32_MAX ? UINT32_MAX : (uint32_t)v->u;
        break;
    case E_MMAP:
        e->s.use_mmap = 1;
        break;
    case E_SWA_FULL:
        e->s.swa_full = 1;
        break;
    case E_NKVO:
        e->s.no_kv_offload = 1;
        break;
    case E_MMPROJ:
        e->mmproj = v->str;
        break;
    case E_DRAFT:
        e->draft = v->str;
        break;
    case E_BACKEND: {
        og_error err;
        if (og_backend_from_name(v->str, &e->s.backend, &err) != OG_OK)
            return cli_usage_error(cmd, "%s: %s", name, err.message);
        e->given |= CLI_SET_BACKEND;
        return 0;
    }
    case E_ENGINE: {
        const char *s = v->str;
        if (!strcmp(s, "llama.cpp") || !strcmp(s, "llamacpp") || !strcmp(s, "llama") ||
            !strcmp(s, "llama-server") || !strcmp(s, "lmstudio")) {
            e->engine = CLI_ENGINE_LLAMA;
            e->s.engine = OG_LLAMA_ENGINE_LLAMA_CPP;
        } else if (!strcmp(s, "ollama")) {
            e->engine = CLI_ENGINE_OLLAMA;
            e->s.engine = OG_LLAMA_ENGINE_OLLAMA;
        } else if (!strcmp(s, "mlx") || !strcmp(s, "mlx-lm")) {
            e->engine = CLI_ENGINE_MLX;
        } else if (!strcmp(s, "all")) {
            e->engine = CLI_ENGINE_ALL;
        } else {
            return cli_usage_error(cmd, "unknown engine '%s' (llama.cpp, ollama, mlx or all)", s);
        }
        e->given |= CLI_SET_ENGINE;
        return 0;
    }
    case M_MAX_KV:
        e->ms.max_kv_size = v->u;
        e->given |= CLI_SET_MAX_KV;
        return 0;
    case M_KV_BITS: {
        unsigned b = (unsigned)(v->str[0] - '0');
        if (!strcmp(v->str, "16"))
            b = 0;
        e->ms.kv_bits = b;
        if (!(e->given & CLI_SET_KV_START))
            e->ms.quantized_kv_start = 0; /* quantized from the start unless given */
        e->given |= CLI_SET_KV_BITS;
        return 0;
    }
    case M_KV_GROUP:
        e->ms.kv_group_size = (uint32_t)v->u;
        e->given |= CLI_SET_KV_GROUP;
        return 0;
    case M_KV_START:
        e->ms.quantized_kv_start = v->u;
        e->given |= CLI_SET_KV_START;
        return 0;
    case M_PREFILL:
        e->ms.prefill_step_size = (uint32_t)v->u;
        break;
    case M_PC_SIZE:
        e->ms.prompt_cache_entries = v->u > 1000000 ? 1000000 : (uint32_t)v->u;
        break;
    case M_PC_BYTES:
        e->ms.prompt_cache_bytes = v->u;
        break;
    case M_Q_BITS:
        e->ms.q_bits = (uint32_t)(v->str[0] - '0');
        break;
    case M_Q_GROUP:
        e->ms.q_group_size = (uint32_t)v->u;
        break;
    case M_Q_MODE:
        if (strlen(v->str) >= sizeof e->ms.q_mode)
            return cli_usage_error(cmd, "%s: '%s' is too long", name, v->str);
        snprintf(e->ms.q_mode, sizeof e->ms.q_mode, "%s", v->str);
        break;
    }
    e->given |= CLI_SET_OTHER;
    return 0;
}

const cli_group cli_llama_group = {"Settings (llama.cpp's own names)", NULL, llama_opts,
                                   sizeof llama_opts / sizeof llama_opts[0], handle};
const cli_group cli_mlx_group = {"MLX settings (mlx-lm's names; mlx-lm 0.32.0)", NULL, mlx_opts,
                                 sizeof mlx_opts / sizeof mlx_opts[0], handle};

int cli_engine_any_given(const cli_engine_opts *e)
{
    return e->given != 0 || e->mmproj || e->draft;
}
