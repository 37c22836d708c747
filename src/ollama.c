/* Ollama as it is today (og_ollama_prepare): what it passes llama-server.
 *
 * Rules of ollama/ollama main at fb30760 (2026-08-21), where every GGUF
 * model runs in upstream llama-server and llama.cpp's --fit places it
 * (ollama/ollama#16031):
 *   server/routes.go     default num_ctx by total VRAM (Σ total - OLLAMA_GPU_OVERHEAD):
 *                        >= 47 GiB 262144, >= 23 GiB 32768, else 4096
 *   llm/server.go        num_ctx capped at the trained context; OLLAMA_KV_CACHE_TYPE for K and V
 *   server/sched.go      num_parallel 1 for some architectures; automatic num_batch
 *                        (automaticGenerationBatch, generationBatchFits, PredictServerVRAM)
 *   llm/llama_server.go  -c num_ctx x num_parallel, -np, -b = -ub = num_batch, -ngl only when
 *                        num_gpu is set, --split-mode none --main-gpu for main_gpu,
 *                        --flash-attn from OLLAMA_FLASH_ATTENTION (else auto), and
 *                        LLAMA_ARG_FIT_TARGET = projector + 1 GiB (MiB, rounded up) when
 *                        the projector is offloaded
 */
#include <stdio.h>
#include <string.h>

#include "oomguard/llama.h"
#include "og_internal.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

void og_ollama_opts_default(og_ollama_opts *o)
{
    memset(o, 0, sizeof *o);
    o->num_gpu = -1;
    o->kv_type = -1;
    o->flash_attention = -1;
    o->main_gpu = -1;
}

static int parse_u64(const char *v, uint64_t *out)
{
    if (!v || !*v)
        return 0;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || x > UINT64_MAX / 10)
            return 0;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *out = x;
    return 1;
}

int og_ollama_opts_set_env(og_ollama_opts *o, const char *name, const char *value)
{
    uint64_t x;
    if (!o || !name || !value)
        return 0;
    if (!strcmp(name, "OLLAMA_CONTEXT_LENGTH")) {
        if (!parse_u64(value, &x) || !x || x > UINT32_MAX)
            return 0;
        o->num_ctx = (uint32_t)x;
        return 1;
    }
    if (!strcmp(name, "OLLAMA_NUM_PARALLEL")) {
        if (!parse_u64(value, &x) || !x || x > 4096)
            return 0;
        o->num_parallel = (uint32_t)x;
        return 1;
    }
    if (!strcmp(name, "OLLAMA_GPU_OVERHEAD")) {
        if (!parse_u64(value, &x))
            return 0;
        o->gpu_overhead = x;
        return 1;
    }
    if (!strcmp(name, "OLLAMA_KV_CACHE_TYPE")) {
        char low[16];
        size_t i = 0;
        for (; value[i] && i + 1 < sizeof low; i++)
            low[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
        low[i] = '\0';
        if (!*low)
            return 0;
        int t = og_ggml_type_from_name(low);
        if (t < 0)
            return 0;
        o->kv_type = t;
        return 1;
    }
    if (!strcmp(name, "OLLAMA_FLASH_ATTENTION")) { /* strconv.ParseBool */
        static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
        for (size_t i = 0; i < 6; i++) {
            if (!strcmp(value, t[i])) {
                o->flash_attention = 1;
                return 1;
            }
            if (!strcmp(value, f[i])) {
                o->flash_attention = 0;
                return 1;
            }
        }
        return 0;
    }
    return 0;
}

const char *og_ollama_opts_from_env(og_ollama_opts *o, const char *(*get)(const char *))
{
    static const char *const vars[] = {"OLLAMA_CONTEXT_LENGTH", "OLLAMA_NUM_PARALLEL",
                                       "OLLAMA_KV_CACHE_TYPE", "OLLAMA_FLASH_ATTENTION",
                                       "OLLAMA_GPU_OVERHEAD"};
    const char *bad = NULL;
    for (size_t i = 0; o && get && i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = get(vars[i]);
        if (v && *v && !og_ollama_opts_set_env(o, vars[i], v) && !bad)
            bad = vars[i];
    }
    return bad;
}

/* server/sched.go: architectures Ollama loads with num_parallel 1. */
static int single_slot_arch(const char *a)
{
    static const char *const l[] = {"mllama",     "qwen3vl",        "qwen3vlmoe",     "qwen35",
                                    "qwen35moe",  "qwen3next",      "lfm2",           "lfm2moe",
                                    "nemotron_h", "nemotron_h_moe", "nemotron_h_omni"};
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        if (!strcmp(a, l[i]))
            return 1;
    return 0;
}

/* server/sched.go generationBatchFits / generationBatchHasHeadroom /
 * generationBatchSurcharge. */
static int batch_fits(uint32_t batch, uint64_t predicted, uint64_t avail)
{
    if (!predicted || !avail)
        return 1;
    uint64_t threshold = avail * 80 / 100;
    if (predicted > threshold)
        return 0;
    if (batch >= 2048 && predicted > avail * 60 / 100)
        return 0;
    if (batch >= 1024 && batch < 2048 && predicted > avail * 75 / 100)
        return 0;
    uint64_t surcharge = batch >= 2048 ? 2 * GIB : batch >= 1024 ? 768 * MIB : 0;
    return surcharge <= threshold - predicted;
}

og_status og_ollama_prepare(const og_model *m, const og_ollama_opts *o, uint32_t n_gpus,
                            const uint64_t *gpu_total, const uint64_t *gpu_free,
                            og_llama_settings *s, og_ollama_launch *out, og_error *err)
{
    if (!m || !o || !s || !out || (n_gpus && (!gpu_total || !gpu_free)))
        return og_error_set(err, OG_ERR_INVALID, "og_ollama_prepare: missing argument");
    memset(out, 0, sizeof *out);
    const og_hparams *hp = &m->hp;
    uint64_t total = 0, avail = 0;
    for (uint32_t i = 0; i < n_gpus; i++) {
        total += gpu_total[i] > o->gpu_overhead ? gpu_total[i] - o->gpu_overhead : 0;
        avail += gpu_free[i];
    }
    out->total_vram = total;
    uint32_t num_ctx = o->num_ctx;
    if (!num_ctx) {
        out->num_ctx_default = 1;
        num_ctx = total >= 47 * GIB ? 262144 : total >= 23 * GIB ? 32768 : 4096;
    }
    uint32_t asked = num_ctx;
    if (hp->n_ctx_train && num_ctx > hp->n_ctx_train)
        num_ctx = (uint32_t)hp->n_ctx_train;
    uint32_t np = o->num_parallel ? o->num_parallel : 1;
    if (single_slot_arch(hp->arch))
        np = 1;
    out->num_ctx = num_ctx;
    out->num_parallel = np;

    og_flash_attn fa = o->flash_attention == 1   ? OG_FA_ON
                       : o->flash_attention == 0 ? OG_FA_OFF
                                                 : OG_FA_AUTO;
    /* automatic num_batch (server/sched.go automaticGenerationBatch) */
    uint64_t ctx = (uint64_t)num_ctx * np;
    uint32_t batch = o->num_batch;
    if (!batch) {
        out->num_batch_auto = 1;
        if (fa == OG_FA_OFF && s->backend == OG_BACKEND_CUDA) {
            int small = 0;
            for (uint32_t i = 0; i < n_gpus; i++) {
                uint64_t mem = gpu_free[i];
                if (!mem || (gpu_total[i] && gpu_total[i] < mem))
                    mem = gpu_total[i];
                small |= mem && mem <= 8 * GIB;
            }
            batch = ctx > 4096 && small ? 256 : 512;
        } else {
            batch = ctx > 32768 ? 2048 : ctx > 4096 ? 1024 : 512;
            /* PredictServerVRAM: file size + f16 K and V of every block with
             * the fewest KV heads and n_embd / n_head per head */
            uint32_t kvh = 0, hmax = 0;
            for (uint32_t il = 0; il < hp->n_layer_all; il++) {
                if (hp->n_head_kv[il] && (!kvh || hp->n_head_kv[il] < kvh))
                    kvh = hp->n_head_kv[il];
                if (hp->n_head[il] > hmax)
                    hmax = hp->n_head[il];
            }
            uint64_t head_dim = hmax ? hp->n_embd / hmax : 0;
            uint64_t predicted =
                m->file_bytes + 2ull * hp->n_layer_all * (kvh ? kvh : 1) * head_dim * ctx * 2;
            while (batch > 512 && !batch_fits(batch, predicted, avail))
                batch = batch > 1024 ? 1024 : 512;
        }
    }
    out->num_batch = batch;

    /* the projector (llm/llama_server.go shouldDisableMMProjOffload, mmprojFitTargetMiB) */
    out->fit_target_bytes = OG_FIT_DEFAULT_TARGET;
    out->mmproj_offload = s->mmproj != NULL;
    if (s->mmproj) {
        uint64_t need = s->mmproj->weight_bytes + GIB;
        if (o->num_gpu == 0 || (o->num_gpu > 0 && (uint32_t)o->num_gpu < hp->n_layer_all))
            out->mmproj_offload = 0;
        for (uint32_t i = 0; i < n_gpus; i++) {
            uint64_t mem = gpu_free[i];
            if (!mem || (gpu_total[i] && gpu_total[i] < mem))
                mem = gpu_total[i];
            if (mem && mem < need)
                out->mmproj_offload = 0;
        }
        if (out->mmproj_offload)
            out->fit_target_bytes = (need + MIB - 1) / MIB * MIB;
    }

    s->engine = OG_LLAMA_ENGINE_OLLAMA;
    s->n_ctx = num_ctx;
    s->n_parallel = np;
    s->ollama_num_batch = batch;
    s->n_batch = s->n_ubatch = batch;
    s->kv_unified = 0;
    s->flash_attn = fa;
    if (o->kv_type >= 0)
        s->type_k = s->type_v = o->kv_type;
    s->n_gpu_layers = o->num_gpu >= 0 ? o->num_gpu : OG_NGL_AUTO;
    if (o->main_gpu >= 0) {
        s->split_mode = OG_SPLIT_NONE;
        s->main_gpu = o->main_gpu;
    }

    size_t n = sizeof out->args, k = 0;
    k += (size_t)snprintf(out->args + k, n - k, "-c %llu -np %u", (unsigned long long)ctx, np);
    if (s->mmproj && k < n)
        k += (size_t)snprintf(out->args + k, n - k, " --mmproj PROJECTOR%s",
                              out->mmproj_offload ? "" : " --no-mmproj-offload");
    if (o->kv_type >= 0 && k < n) {
        const og_ggml_type_info *ti = og_ggml_type((uint32_t)o->kv_type);
        k += (size_t)snprintf(out->args + k, n - k, " --cache-type-k %s --cache-type-v %s",
                              ti ? ti->name : "?", ti ? ti->name : "?");
    }
    if (k < n)
        k += (size_t)snprintf(out->args + k, n - k, " --flash-attn %s -b %u -ub %u",
                              fa == OG_FA_ON    ? "on"
                              : fa == OG_FA_OFF ? "off"
                                                : "auto",
                              batch, batch);
    if (o->num_gpu >= 0 && k < n)
        k += (size_t)snprintf(out->args + k, n - k, " -ngl %d", (int)o->num_gpu);
    if (o->main_gpu >= 0 && k < n)
        snprintf(out->args + k, n - k, " --split-mode none --main-gpu %d", (int)o->main_gpu);

    snprintf(out->why, sizeof out->why, "num_ctx %u%s%s; num_batch %u%s", num_ctx,
             out->num_ctx_default ? (total >= 47 * GIB   ? " (default for >= 47 GiB of VRAM"
                                     : total >= 23 * GIB ? " (default for 23-47 GiB of VRAM"
                                                         : " (default under 23 GiB of VRAM")
                                  : "",
             out->num_ctx_default ? (asked != num_ctx ? ", capped at the trained context)" : ")")
             : asked != num_ctx   ? " (capped at the trained context)"
                                  : "",
             batch, out->num_batch_auto ? " (automatic, by context and VRAM headroom)" : "");
    return OG_OK;
}
