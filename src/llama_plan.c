/* The llama.cpp memory model: og_llama_plan().
 *
 * Every formula names the llama.cpp source it follows (llama.cpp as bundled
 * in node-llama-cpp 3.21.1, source dated 2026-09-12, /work/llama-src in the
 * project notes). Compute-buffer formulas for the CPU backend were measured
 * with that engine (bench/accuracy); docs/LLAMA_CPP.md has the derivation.
 */
#include <stdarg.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/llama.h"
#include "og_internal.h"

enum {
    T_F32 = 0,
    T_F16 = 1,
    T_Q4_0 = 2,
    T_Q4_1 = 3,
    T_Q5_0 = 6,
    T_Q5_1 = 7,
    T_Q8_0 = 8,
    T_Q2_K = 10,
    T_Q4_K = 12,
    T_Q5_K = 13,
    T_Q6_K = 14,
    T_IQ4_NL = 20,
    T_BF16 = 30,
    T_MXFP4 = 39
};

void og_llama_settings_default(og_llama_settings *s)
{
    /* common/common.h common_params defaults */
    memset(s, 0, sizeof *s);
    s->engine = OG_LLAMA_ENGINE_LLAMA_CPP;
    s->backend = OG_BACKEND_CPU;
    s->n_ctx = 0;
    s->n_batch = 2048;
    s->n_ubatch = 512;
    s->n_parallel = 1;
    s->type_k = T_F16;
    s->type_v = T_F16;
    s->flash_attn = OG_FA_AUTO;
    s->n_gpu_layers = -1;
    s->use_mmap = 1;
    s->cpu_arch = OG_CPU_AUTO;
    /* common/common.h: cache_ram_mib 8192, n_ctx_checkpoints 32, checkpoint_min_step 8192 */
    s->cache_ram_mib = 8192;
    s->n_ctx_checkpoints = 32;
    s->checkpoint_min_step = 8192;
}

const char *og_component_name(og_component c)
{
    static const char *n[] = {"weights", "kv", "recurrent", "compute", "output", "mmproj", "draft"};
    return (unsigned)c < OG_COMP_COUNT ? n[c] : "?";
}

const char *og_backend_name(og_backend b)
{
    static const char *n[] = {"cpu", "metal", "cuda", "vulkan", "rocm", "rpc"};
    return (unsigned)b <= OG_BACKEND_RPC ? n[b] : "?";
}

og_status og_backend_from_name(const char *name, og_backend *b, og_error *err)
{
    for (int i = 0; i <= OG_BACKEND_RPC; i++)
        if (name && og_strcasecmp(name, og_backend_name((og_backend)i)) == 0) {
            *b = (og_backend)i;
            return OG_OK;
        }
    if (name && og_strcasecmp(name, "hip") == 0) {
        *b = OG_BACKEND_ROCM;
        return OG_OK;
    }
    return og_error_set(err, OG_ERR_INVALID,
                        "unknown backend '%s' (expected cpu, metal, cuda, vulkan or rocm)",
                        name ? name : "");
}

/* Buffer names as llama.cpp logs them (ggml backend buffer type names). */
const char *og_pool_name(og_pool p, og_backend b)
{
    switch (p) {
    case OG_POOL_GPU:
        switch (b) {
        case OG_BACKEND_METAL:
            return "MTL0";
        case OG_BACKEND_CUDA:
            return "CUDA0";
        case OG_BACKEND_VULKAN:
            return "Vulkan0";
        case OG_BACKEND_ROCM:
            return "ROCm0";
        case OG_BACKEND_RPC:
            return "RPC0";
        default:
            return "GPU";
        }
    case OG_POOL_HOST:
        return b == OG_BACKEND_CUDA ? "CPU (CUDA_Host)" : "CPU";
    case OG_POOL_HOST_MAPPED:
        return "CPU_Mapped";
    case OG_POOL_CPU_REPACK:
        return "CPU_REPACK";
    default:
        return "?";
    }
}

/* KV cache types llama.cpp accepts for -ctk/-ctv (common/arg.cpp kv_cache_types). */
static int kv_type_allowed(int t)
{
    return t == T_F32 || t == T_F16 || t == T_BF16 || t == T_Q8_0 || t == T_Q4_0 || t == T_Q4_1 ||
           t == T_IQ4_NL || t == T_Q5_0 || t == T_Q5_1;
}

static int is_quant_type(int t)
{
    return !(t == T_F32 || t == T_F16 || t == T_BF16);
}

static void note(og_llama_memplan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(og_llama_memplan *p, const char *fmt, ...)
{
    if (p->n_notes >= OG_LLAMA_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

/* Architectures llama.cpp implements (src/llama-arch.cpp LLM_ARCH_NAMES). A
 * model of another architecture is planned from the generic transformer
 * shape and flagged as a fallback. */
static const char *const known_archs[] = {
    "llama",
    "llama4",
    "deci",
    "falcon",
    "grok",
    "gpt2",
    "gptj",
    "gptneox",
    "mpt",
    "baichuan",
    "starcoder",
    "refact",
    "bert",
    "modern-bert",
    "nomic-bert",
    "nomic-bert-moe",
    "neo-bert",
    "jina-bert-v2",
    "jina-bert-v3",
    "eurobert",
    "bloom",
    "stablelm",
    "qwen",
    "qwen2",
    "qwen2moe",
    "qwen2vl",
    "qwen3",
    "qwen3moe",
    "qwen3next",
    "qwen3vl",
    "qwen3vlmoe",
    "qwen35",
    "qwen35moe",
    "phi2",
    "phi3",
    "phimoe",
    "plamo",
    "plamo2",
    "plamo3",
    "codeshell",
    "orion",
    "internlm2",
    "minicpm",
    "minicpm3",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3n",
    "gemma4",
    "gemma-embedding",
    "starcoder2",
    "mamba",
    "mamba2",
    "jamba",
    "falcon-h1",
    "xverse",
    "command-r",
    "cohere2",
    "dbrx",
    "olmo",
    "olmo2",
    "olmoe",
    "openelm",
    "arctic",
    "deepseek",
    "deepseek2",
    "deepseek32",
    "chatglm",
    "glm4",
    "glm4moe",
    "bitnet",
    "t5",
    "t5encoder",
    "jais",
    "nemotron",
    "nemotron_h",
    "nemotron_h_moe",
    "exaone",
    "exaone4",
    "rwkv6",
    "rwkv6qwen2",
    "rwkv7",
    "arwkv7",
    "granite",
    "granitemoe",
    "granitehybrid",
    "chameleon",
    "plm",
    "bailingmoe",
    "bailingmoe2",
    "dots1",
    "arcee",
    "ernie4_5",
    "ernie4_5-moe",
    "hunyuan-moe",
    "hunyuan-dense",
    "smollm3",
    "gpt-oss",
    "lfm2",
    "lfm2moe",
    "dream",
    "smallthinker",
    "llada",
    "llada-moe",
    "seed_oss",
    "grovemoe",
    "apertus",
    "minimax-m2",
    "cogvlm",
    "rnd1",
    "pangu-embedded",
    "mistral3",
    "kimi-linear",
};

static int arch_known(const char *a)
{
    for (size_t i = 0; i < sizeof known_archs / sizeof known_archs[0]; i++)
        if (strcmp(a, known_archs[i]) == 0)
            return 1;
    return 0;
}

/* Layer index of a tensor: "blk.N." -> N; token_embd and friends -> -1
 * (input layer); output / output_norm -> n_layer_all (the output layer). */
static int64_t tensor_layer(const og_tensor *t, uint32_t n_layer_all)
{
    /* sscanf(name, "blk.%u.%n") without the format parsing (every plan reads
     * every tensor's name): "blk." digits "." */
    const char *p = t->name;
    if (p[0] == 'b' && p[1] == 'l' && p[2] == 'k' && p[3] == '.' && p[4] >= '0' && p[4] <= '9') {
        uint64_t il = 0;
        for (p += 4; *p >= '0' && *p <= '9' && il <= UINT32_MAX; p++)
            il = il * 10 + (uint64_t)(*p - '0');
        if (*p == '.' && il <= UINT32_MAX)
            return (int64_t)il;
    }
    if (strncmp(t->name, "output", 6) == 0)
        return n_layer_all;
    return -1;
}

/* ggml/src/ggml-cpu/repack.cpp ggml_repack_get_optimal_repack_type and the
 * extra buffer type's supports_op: a 2-D MUL_MAT or 3-D MUL_MAT_ID weight of
 * a type this CPU has kernels for, rows (ne[1]) a multiple of 8 (x86) or 4
 * (ARM). llama-model-loader only places tensors there whose op (from
 * LLM_TENSOR_INFOS) is a matrix multiplication: not token_embd (GET_ROWS),
 * not norms, convolutions or SSM parameters. */
static int repacked(const og_tensor *t, og_cpu_arch arch)
{
    if (t->ggml_type < 0 || (t->n_dims != 2 && t->n_dims != 3))
        return 0;
    /* the type first (a switch), the name only for a type this CPU repacks */
    int ty = t->ggml_type, rows_mult = 0;
    switch (arch) {
    case OG_CPU_X86_AVX2:
    case OG_CPU_X86_AVX512:
        if (ty == T_Q4_0 || ty == T_Q4_K || ty == T_IQ4_NL || ty == T_MXFP4 ||
            (arch == OG_CPU_X86_AVX512 && ty == T_Q2_K))
            rows_mult = 8;
        break;
    case OG_CPU_ARM_I8MM:
        if (ty == T_Q4_K || ty == T_Q5_K || ty == T_Q6_K)
            rows_mult = 8;
        else if (ty == T_Q4_0 || ty == T_IQ4_NL || ty == T_MXFP4 || ty == T_Q8_0)
            rows_mult = 4;
        break;
    default:
        break;
    }
    if (!rows_mult || t->dims[1] % rows_mult != 0)
        return 0;
    /* Not MUL_MAT in LLM_TENSOR_INFOS (src/llama-arch.cpp): embeddings
     * (GET_ROWS), convolutions (SSM_CONV), ssm_a / ssm_d (SSM_SCAN, MUL),
     * norms and biases. ssm_in / ssm_out / shortconv.in_proj / out_proj are
     * MUL_MAT and do get repacked (measured: Granite 4 hybrid, LFM2). */
    size_t nl = strlen(t->name);
    if (strstr(t->name, "token_embd") || strstr(t->name, "pos_embd") ||
        strstr(t->name, "token_types") || strstr(t->name, "conv1d") ||
        strstr(t->name, "shortconv.conv") || strstr(t->name, "_norm") ||
        (nl >= 6 &&
         (strcmp(t->name + nl - 6, ".ssm_a") == 0 || strcmp(t->name + nl - 6, ".ssm_d") == 0)) ||
        strstr(t->name, "per_layer_token_embd") || strstr(t->name, ".bias"))
        return 0;
    return 1;
}

static og_cpu_arch resolve_cpu_arch(og_cpu_arch a)
{
    if (a != OG_CPU_AUTO)
        return a;
#if defined(__aarch64__) || defined(__arm64__)
    return OG_CPU_ARM_I8MM;
#elif defined(__x86_64__) || defined(__i386__)
    return OG_CPU_X86_AVX2;
#else
    return OG_CPU_NO_REPACK;
#endif
}

#define ADD(dst, v)                                                                                \
    do {                                                                                           \
        if (!og_add_u64((dst), (v), &(dst)))                                                       \
            goto overflow;                                                                         \
    } while (0)

/* Which device each layer is on: src/llama-model.cpp load_tensors.
 * i_gpu_start = max(n_layer + 1 - n_gpu_layers, 0); layer il is offloaded
 * iff il >= i_gpu_start; the output layer counts as layer n_layer; the input
 * layer (token_embd) always stays on the CPU. With several devices the
 * offloaded layers go to the device whose cumulative share of -ts (or, with
 * no -ts, of each device's free memory) first exceeds
 * (il - i_gpu_start) / n_offloaded, in single precision as there. With -sm
 * none only the main GPU exists (src/llama.cpp); with -sm row every layer
 * is on the main GPU and its matrices are split across devices.
 * dev_of[il] for il in 0..n_layer_all: a device index, or -1 for the CPU. */
static void assign_layers(const og_model *m, const og_llama_settings *s, og_llama_memplan *p,
                          int16_t *dev_of, float *share)
{
    const og_hparams *hp = &m->hp;
    uint32_t n_all = hp->n_layer_all;
    int gpu = s->backend != OG_BACKEND_CPU;
    uint32_t nd = gpu ? (s->n_devices ? s->n_devices : 1) : 0;
    if (nd > OG_LLAMA_MAX_DEVICES)
        nd = OG_LLAMA_MAX_DEVICES;
    p->n_devices = nd;
    uint64_t ngl = s->n_gpu_layers < 0 ? (uint64_t)n_all + 1 : (uint64_t)s->n_gpu_layers;
    if (!gpu)
        ngl = 0;
    uint64_t i_gpu_start = (uint64_t)n_all + 1 > ngl ? (uint64_t)n_all + 1 - ngl : 0;
    uint64_t act = ngl < (uint64_t)n_all + 1 ? ngl : (uint64_t)n_all + 1;
    int main_gpu = s->main_gpu >= 0 && (uint32_t)s->main_gpu < nd ? s->main_gpu : 0;
    float splits[OG_LLAMA_MAX_DEVICES];
    int all_zero = 1;
    for (uint32_t i = 0; i < nd; i++)
        if (s->tensor_split[i] != 0.0f)
            all_zero = 0;
    float sum = 0.0f;
    for (uint32_t i = 0; i < nd; i++) {
        float w = all_zero ? (float)s->device_free[i] : s->tensor_split[i];
        if (all_zero && s->device_free[i] == 0)
            w = 1.0f; /* unknown free memory: an even split */
        sum += w;
        splits[i] = sum;
    }
    for (uint32_t i = 0; i < nd; i++) {
        float prev = i ? splits[i - 1] : 0.0f;
        share[i] = sum > 0 ? (splits[i] - prev) / sum : 0.0f;
        splits[i] = sum > 0 ? splits[i] / sum : 1.0f;
    }
    p->n_layer_gpu = 0;
    for (uint32_t il = 0; il <= n_all; il++) {
        int16_t d = -1;
        if (nd && il >= i_gpu_start && il - i_gpu_start < act) {
            if (nd == 1)
                d = 0;
            else if (s->split_mode != OG_SPLIT_LAYER)
                d = (int16_t)main_gpu;
            else {
                float x = (float)(il - i_gpu_start) / (float)act;
                uint32_t j = 0;
                while (j < nd && !(splits[j] > x)) /* std::upper_bound */
                    j++;
                d = (int16_t)(j < nd ? j : nd - 1);
            }
        }
        dev_of[il] = d;
        if (d >= 0) {
            p->dev_layers[d]++;
            if (il < hp->n_layer)
                p->n_layer_gpu++;
        }
    }
    p->output_device = dev_of[n_all];
    p->output_on_gpu = dev_of[n_all] >= 0;
}

/* The -ot patterns of one plan: each pattern's layer ("blk\\.N\\." prefix, -1
 * = any) read once, and each pattern compiled once, when a tensor first needs
 * it (a plan checks every tensor; --fit writes one pattern per layer). */
/* Compiled -ot patterns, kept for the process: llama.cpp's --fit
 * (og_llama_fit_params) tries dozens of placements whose plans share most
 * of their per-layer patterns, and the overview runs it for many models.
 * Keyed by the pattern text; regexec on one regex_t from several threads is
 * safe (glibc locks the DFA). When the table is full, a plan compiles its
 * own (ot_set.own). */
#define OT_CACHE 2048
typedef struct ot_cached {
    char *pat; /* NULL = free slot */
    int ok;    /* compiled (else invalid) */
    regex_t re;
} ot_cached;
static ot_cached ot_cache[OT_CACHE];
static pthread_mutex_t ot_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t ot_hash(const char *p)
{
    uint64_t h = 1469598103934665603ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* The cached compiled pattern (NULL: invalid, or *full when not cached). */
static const regex_t *ot_cached_re(const char *pat, int *full)
{
    *full = 0;
    uint64_t h = ot_hash(pat);
    const regex_t *r = NULL;
    pthread_mutex_lock(&ot_lock);
    for (uint32_t k = 0; k < OT_CACHE; k++) {
        ot_cached *c = &ot_cache[(h + k) % OT_CACHE];
        if (c->pat && strcmp(c->pat, pat) != 0)
            continue;
        if (!c->pat) {
            char *dup = og_strdup(pat);
            if (!dup) {
                *full = 1;
                break;
            }
            c->ok = og_llama_override_compile(pat, &c->re) == 0;
            c->pat = dup;
        }
        r = c->ok ? &c->re : NULL;
        pthread_mutex_unlock(&ot_lock);
        return r;
    }
    *full = 1;
    pthread_mutex_unlock(&ot_lock);
    return NULL;
}

typedef struct ot_set {
    uint32_t n;
    int64_t layer[OG_LLAMA_MAX_OVERRIDES];
    signed char state[OG_LLAMA_MAX_OVERRIDES]; /* 0 not looked up, 1 usable, -1 invalid */
    const regex_t *re[OG_LLAMA_MAX_OVERRIDES];
    regex_t own[OG_LLAMA_MAX_OVERRIDES]; /* compiled here when the cache is full */
    signed char owned[OG_LLAMA_MAX_OVERRIDES];
} ot_set;

static void ot_init(ot_set *o, const og_llama_settings *s)
{
    o->n = s->n_overrides < OG_LLAMA_MAX_OVERRIDES ? s->n_overrides : OG_LLAMA_MAX_OVERRIDES;
    for (uint32_t i = 0; i < o->n; i++) {
        unsigned pl;
        int n = 0;
        o->layer[i] = sscanf(s->overrides[i].pattern, "blk\\.%u\\.%n", &pl, &n) == 1 && n > 0
                          ? (int64_t)pl
                          : -1;
        o->state[i] = 0;
        o->owned[i] = 0;
    }
}

static void ot_free(ot_set *o)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (o->owned[i])
            regfree(&o->own[i]);
}

static int ot_compile(ot_set *o, const og_llama_settings *s, uint32_t i)
{
    int full;
    o->re[i] = ot_cached_re(s->overrides[i].pattern, &full);
    if (full && og_llama_override_compile(s->overrides[i].pattern, &o->own[i]) == 0) {
        o->owned[i] = 1;
        o->re[i] = &o->own[i];
    }
    return o->re[i] ? 1 : -1;
}

/* The -ot override of a tensor (src/llama-model-loader.cpp: the first
 * pattern std::regex_search finds decides): a device, OG_OT_CPU, or -2 for
 * none. Patterns that begin with a layer ("blk\.N\.") are checked against
 * the tensor's layer first, which keeps --fit's per-layer patterns cheap. */
static int override_of(const og_llama_settings *s, ot_set *o, const og_tensor *t, int64_t il)
{
    for (uint32_t i = 0; i < o->n; i++) {
        if (o->layer[i] >= 0 && o->layer[i] != il)
            continue;
        if (!o->state[i])
            o->state[i] = (signed char)ot_compile(o, s, i);
        if (o->state[i] == 1 && regexec(o->re[i], t->name, 0, NULL, 0) == 0)
            return s->overrides[i].device;
    }
    return -2;
}

/* Weights: exact bytes per tensor, placed the way src/llama-model.cpp
 * load_tensors places them. */
static og_status plan_weights(const og_model *m, const og_llama_settings *s, og_llama_memplan *p,
                              const int16_t *dev_of, const float *share, uint64_t *max_host_matrix,
                              uint32_t *spill_mask, og_error *err)
{
    const og_hparams *hp = &m->hp;
    uint32_t n_all = hp->n_layer_all;
    int gpu = s->backend != OG_BACKEND_CPU;
    og_cpu_arch arch = resolve_cpu_arch(s->cpu_arch);
    /* src/llama-model.cpp make_cpu_buft_list: with a GPU device, its pinned
     * host buffer type (CUDA_Host, ROCm_Host, Vulkan_Host) comes before the
     * CPU's extra (repack) buffer types, so the weights of layers left on
     * the CPU are not repacked. Checked with llama-fit-params on an H100
     * (bench/results/accuracy-cuda.md, -ngl 8/16/24). Metal has no such host
     * buffer type, so a Mac's CPU layers keep the CPU rules. The pinned
     * buffer is not the CPU's default buffer type, so those weights are
     * copied in (their bytes), not mapped (no file span). */
    int pinned_host = gpu && s->backend != OG_BACKEND_METAL && s->backend != OG_BACKEND_RPC;
    if (pinned_host)
        arch = OG_CPU_NO_REPACK;
    int row = gpu && p->n_devices > 1 && s->split_mode == OG_SPLIT_ROW;
    /* Metal with mmap: src/llama-model.cpp load_tensors wraps the mapped file
     * with ggml_backend_dev_buffer_from_host_ptr over get_mapping_range of the
     * device's tensors (ggml-metal.cpp ggml_backend_metal_device_buffer_mapped,
     * ggml-metal-device.m ggml_metal_buffer_map: newBufferWithBytesNoCopy over
     * the page-aligned range), so the MTL0_Mapped buffer is the file span from
     * the first to the last byte of the GPU tensors, host tensors stored between
     * them included (a file that stores output.weight before token_embd, as
     * convert_hf_to_gguf writes sorted safetensors names, maps token_embd on the
     * GPU too). llama.cpp 2026-09-12. */
    int metal_map = s->backend == OG_BACKEND_METAL && s->use_mmap && m->format == OG_FORMAT_GGUF;

    /* mmap: each file's CPU_Mapped buffer spans its host tensors
     * (src/llama-model-loader.cpp get_mapping_range: first offset to last end). */
    uint32_t nf = m->n_files ? m->n_files : 1;
    if (nf > 64)
        nf = 64;
    uint64_t lo[64], hi[64], glo[64], ghi[64];
    for (uint32_t f = 0; f < nf; f++) {
        lo[f] = glo[f] = UINT64_MAX;
        hi[f] = ghi[f] = 0;
    }
    ot_set *ots = gpu && s->n_overrides ? malloc(sizeof *ots) : NULL;
    if (ots)
        ot_init(ots, s);
    for (size_t i = 0; i < m->n_tensors; i++) {
        const og_tensor *t = &m->tensors[i];
        int64_t il = tensor_layer(t, n_all);
        int dev = il >= 0 && il <= (int64_t)n_all ? dev_of[il] : -1;
        if (gpu && s->n_overrides) {
            if (!ots)
                return og_error_set(err, OG_ERR_NOMEM, "out of memory");
            int o = override_of(s, ots, t, il);
            if (o != -2) {
                if (o != dev)
                    ADD(p->overridden_bytes, t->bytes);
                if (o < 0 && dev >= 0) /* a device layer's tensor sent to the host */
                    *spill_mask |= 1u << dev;
                dev = o >= 0 && (uint32_t)o < p->n_devices ? o : -1;
            }
        }
        og_pool pool;
        if (dev < 0 && il >= 0 && t->n_dims >= 2 && t->bytes > *max_host_matrix &&
            !strstr(t->name, "_norm"))
            *max_host_matrix = t->bytes;
        if (dev >= 0 && metal_map) {
            uint32_t f = t->file_index < nf ? t->file_index : nf - 1;
            uint64_t end;
            if (!og_add_u64(t->offset, t->bytes, &end))
                goto overflow;
            glo[f] = t->offset < glo[f] ? t->offset : glo[f];
            ghi[f] = end > ghi[f] ? end : ghi[f];
            if (t->bytes > p->largest_buffer_bytes)
                p->largest_buffer_bytes = t->bytes;
            continue;
        }
        if (dev >= 0) {
            pool = OG_POOL_GPU;
            if (row && t->n_dims >= 2) {
                /* -sm row: the split buffer type spreads each matrix's rows
                 * over the devices in proportion to -ts. */
                uint64_t left = t->bytes;
                for (uint32_t d = 0; d + 1 < p->n_devices; d++) {
                    uint64_t part = (uint64_t)((double)t->bytes * share[d]);
                    if (part > left)
                        part = left;
                    ADD(p->dev_model[d], part);
                    left -= part;
                }
                ADD(p->dev_model[p->n_devices - 1], left);
            } else
                ADD(p->dev_model[dev], t->bytes);
        } else if (repacked(t, arch))
            pool = OG_POOL_CPU_REPACK;
        else if (s->use_mmap && m->format == OG_FORMAT_GGUF && !pinned_host) {
            uint32_t f = t->file_index < nf ? t->file_index : nf - 1;
            uint64_t end;
            if (!og_add_u64(t->offset, t->bytes, &end))
                goto overflow;
            if (t->offset < lo[f])
                lo[f] = t->offset;
            if (end > hi[f])
                hi[f] = end;
            continue;
        } else
            pool = OG_POOL_HOST;
        ADD(p->bytes[OG_COMP_WEIGHTS][pool], t->bytes);
        if (pool == OG_POOL_GPU && t->bytes > p->largest_buffer_bytes)
            p->largest_buffer_bytes = t->bytes; /* one tensor never spans two buffers */
    }
    /* Tied embeddings: the output projection is token_embd created again with
     * TENSOR_DUPLICATED in the output layer (src/llama-model.cpp load_tensors):
     * a copy on the GPU when the output layer is offloaded, a repacked copy
     * when the CPU repacks its type, a second allocation without mmap. */
    if (hp->tied_embeddings) {
        for (size_t i = 0; i < m->n_tensors; i++) {
            const og_tensor *t = &m->tensors[i];
            if (strcmp(t->name, "token_embd.weight") != 0)
                continue;
            og_tensor as_out = *t;
            as_out.name = (char *)"output.weight";
            if (p->output_on_gpu && metal_map) {
                /* the duplicate points at token_embd's bytes in the file:
                 * get_mapping_range stretches the Metal span over them */
                uint32_t f = t->file_index < nf ? t->file_index : nf - 1;
                glo[f] = t->offset < glo[f] ? t->offset : glo[f];
                ghi[f] = t->offset + t->bytes > ghi[f] ? t->offset + t->bytes : ghi[f];
            } else if (p->output_on_gpu) {
                ADD(p->bytes[OG_COMP_WEIGHTS][OG_POOL_GPU], t->bytes);
                ADD(p->dev_model[p->output_device], t->bytes);
            } else if (repacked(&as_out, arch))
                ADD(p->bytes[OG_COMP_WEIGHTS][OG_POOL_CPU_REPACK], t->bytes);
            else if (!s->use_mmap)
                ADD(p->bytes[OG_COMP_WEIGHTS][OG_POOL_HOST], t->bytes);
        }
    }
    for (uint32_t f = 0; f < nf; f++) {
        if (ghi[f] > glo[f]) {
            ADD(p->bytes[OG_COMP_WEIGHTS][OG_POOL_GPU], ghi[f] - glo[f]);
            ADD(p->dev_model[0], ghi[f] - glo[f]);
        }
        if (hi[f] <= lo[f])
            continue;
        uint64_t span = hi[f] - lo[f];
        /* Unified memory: where the host span overlaps the Metal span, the
         * same file pages back both buffers (one mapping); count them once. */
        if (ghi[f] > glo[f]) {
            uint64_t a = lo[f] > glo[f] ? lo[f] : glo[f], b = hi[f] < ghi[f] ? hi[f] : ghi[f];
            if (b > a)
                span -= b - a;
        }
        ADD(p->bytes[OG_COMP_WEIGHTS][OG_POOL_HOST_MAPPED], span);
    }
    /* Repacked tensors inside a CPU_Mapped span: read once through the mapping
     * into the CPU_REPACK copy, their pages stay mapped (src/llama-model-loader.cpp
     * load_all_data unmaps only outside [mmap_used.first, mmap_used.second)) but
     * are not read again. Measured with bench/accuracy/rss_probe.c: after the load
     * RssFile holds the whole span; after MADV_PAGEOUT and a decode only the
     * mapped tensors' pages come back. Without mmap each tensor is read into a
     * temporary buffer and repacked (load_all_data read_buf): nothing shadowed. */
    for (size_t i = 0; i < m->n_tensors && s->use_mmap; i++) {
        const og_tensor *t = &m->tensors[i];
        uint32_t f = t->file_index < nf ? t->file_index : nf - 1;
        int64_t il = tensor_layer(t, n_all);
        int dev = il >= 0 && il <= (int64_t)n_all ? dev_of[il] : -1;
        if (dev >= 0 || !repacked(t, arch) || hi[f] <= lo[f])
            continue;
        if (ots && override_of(s, ots, t, il) >= 0)
            continue;
        if (t->offset >= lo[f] && t->offset + t->bytes <= hi[f])
            ADD(p->mapped_repacked_bytes, t->bytes);
    }
    if (ots) {
        ot_free(ots);
        free(ots);
    }
    return OG_OK;
overflow:
    if (ots) {
        ot_free(ots);
        free(ots);
    }
    return og_error_set(err, OG_ERR_INVALID, "%s: weight bytes overflow",
                        m->path ? m->path : "model");
}

/* KV cache and recurrent state. */
static og_status plan_memory(const og_model *m, const og_llama_settings *s, og_llama_memplan *p,
                             const int16_t *dev_of, og_error *err)
{
    const og_hparams *hp = &m->hp;
    int ok = 1;
    /* src/llama-hparams.cpp n_embd_v_gqa_max: without flash attention V is
     * stored transposed and every layer uses the widest V row
     * (src/llama-kv-cache.cpp: n_embd_v_gqa = !v_trans ? n_embd_v_gqa(il) : n_embd_v_gqa_max()). */
    uint64_t v_max = 0;
    for (uint32_t il = 0; il < hp->n_layer_all; il++) {
        uint64_t hd = hp->is_swa[il] && hp->swa_type != OG_SWA_NONE && hp->head_dim_v_swa
                          ? hp->head_dim_v_swa
                          : hp->head_dim_v;
        uint64_t w = hd * hp->n_head_kv[il];
        if (w > v_max)
            v_max = w;
    }
    int have_swa = 0;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        if (!hp->causal)
            break;
        if (hp->is_recurrent[il]) {
            p->n_rs_layers++;
            continue;
        }
        if (hp->n_head_kv[il] == 0)
            continue;
        /* src/llama-hparams.cpp has_kv: layers >= n_layer_kv_from_start reuse KV. */
        if (hp->n_layer_kv_from_start && il >= hp->n_layer_kv_from_start)
            continue;
        int swa = hp->swa_type != OG_SWA_NONE && hp->is_swa[il];
        have_swa |= swa;
        uint64_t hdk = swa && hp->head_dim_k_swa ? hp->head_dim_k_swa : hp->head_dim_k;
        uint64_t hdv = swa && hp->head_dim_v_swa ? hp->head_dim_v_swa : hp->head_dim_v;
        uint64_t wk = hdk * hp->n_head_kv[il];
        uint64_t wv = p->flash_attn ? hdv * hp->n_head_kv[il] : v_max;
        uint64_t cells = (uint64_t)(swa ? p->swa_cells : p->kv_cells) * p->n_stream;
        /* src/llama-kv-cache.cpp: K [n_embd_k_gqa, kv_size, n_stream]; no V for MLA
         * (is_mla(): V-less cache since 2026-01). */
        uint64_t kb = og_ggml_row_bytes((uint32_t)p->type_k, wk, &ok), vb = 0;
        if (!hp->is_mla)
            vb = og_ggml_row_bytes((uint32_t)p->type_v, wv, &ok);
        if (!ok)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: layer %u: KV row of %llu elements is not a multiple of the "
                                "%s block size",
                                m->path ? m->path : "model", il, (unsigned long long)wk,
                                og_ggml_type((uint32_t)p->type_k)->name);
        /* src/llama-kv-cache-dsa.cpp (DeepSeek V3.2, arch deepseek32): beside the
         * MLA cache a second K-only cache for the lightning indexer, one head of
         * indexer.key_length per trunk layer, same type and cells
         * (src/llama-model.cpp filter_lid; llama.cpp of node-llama-cpp 3.21.1).
         * Measured (CPU, bench/results/accuracy-issue15.md): exact. */
        if (!strcmp(hp->arch, "deepseek32") && hp->indexer_head_dim)
            kb += og_ggml_row_bytes((uint32_t)p->type_k, hp->indexer_head_dim, &ok);
        uint64_t bytes;
        if (!og_mul_u64(kb + vb, cells, &bytes))
            goto overflow;
        /* src/llama-kv-cache.cpp: each layer's cache on its layer's device. */
        og_pool pool = dev_of[il] >= 0 && !s->no_kv_offload ? OG_POOL_GPU : OG_POOL_HOST;
        ADD(p->bytes[OG_COMP_KV][pool], bytes);
        if (pool == OG_POOL_GPU)
            ADD(p->dev_context[dev_of[il]], bytes);
        /* one K and one V tensor per layer ([width, cells, n_stream]) */
        if (pool == OG_POOL_GPU && (kb > vb ? kb : vb) * cells > p->largest_buffer_bytes)
            p->largest_buffer_bytes = (kb > vb ? kb : vb) * cells;
        if (swa)
            ADD(p->kv_swa_bytes, bytes);
        p->n_kv_layers++;
    }
    if (!have_swa)
        p->swa_cells = 0;

    /* src/llama-memory-recurrent.cpp: per recurrent layer an F32 R (conv) and S
     * (state) row per sequence; sizes from src/llama-hparams.cpp n_embd_r/n_embd_s. */
    if (p->n_rs_layers) {
        uint64_t r, st;
        if (hp->wkv_head_size) { /* RWKV */
            r = (uint64_t)hp->token_shift_count * hp->n_embd;
            st = hp->n_embd * hp->wkv_head_size;
        } else if (hp->shortconv_l_cache) { /* LFM2 */
            r = hp->n_embd * (hp->shortconv_l_cache - 1);
            st = (uint64_t)hp->ssm_d_state * hp->ssm_d_inner;
        } else {
            r = (uint64_t)(hp->ssm_d_conv ? hp->ssm_d_conv - 1 : 0) *
                ((uint64_t)hp->ssm_d_inner + 2ull * hp->ssm_n_group * hp->ssm_d_state);
            st = (uint64_t)hp->ssm_d_state * hp->ssm_d_inner;
        }
        uint64_t rows = p->n_seq ? p->n_seq : 1;
        for (uint32_t il = 0; il < hp->n_layer; il++) {
            if (!hp->is_recurrent[il])
                continue;
            uint64_t b;
            if (!og_mul_u64(4 * (r + st), rows, &b))
                goto overflow;
            og_pool pool = dev_of[il] >= 0 ? OG_POOL_GPU : OG_POOL_HOST;
            ADD(p->bytes[OG_COMP_RS][pool], b);
            if (pool == OG_POOL_GPU)
                ADD(p->dev_context[dev_of[il]], b);
        }
    }
    return OG_OK;
overflow:
    return og_error_set(err, OG_ERR_INVALID, "%s: KV bytes overflow", m->path ? m->path : "model");
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Compute buffers. llama.cpp reserves the worst-case graph
 * (src/llama-context.cpp sched_reserve: n_tokens = n_ubatch, n_outputs =
 * n_tokens) and ggml-alloc (ggml/src/ggml-alloc.c) sizes each backend's
 * buffer from tensor liveness. The peak is the largest of three phases of
 * the graph (src/llama-graph.cpp build_attn_mha / build_ffn / build_moe_ffn,
 * the output projection), plus the graph inputs that stay live throughout
 * (the KQ masks, one per cache). The per-token widths of each phase were
 * measured with the CPU backend of the engine across shapes
 * (bench/accuracy, docs/LLAMA_CPP.md). */
static void plan_compute(const og_model *m, og_llama_memplan *p, uint64_t max_host_matrix,
                         uint32_t spill_mask)
{
    const og_hparams *hp = &m->hp;
    uint64_t ub = p->n_ubatch, E = hp->n_embd, V = hp->n_vocab;
    uint64_t n_head = 0, q_dim = 0, kvd = 0, ff = 0, ffe = 0;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        uint64_t hq = (uint64_t)hp->n_head[il] * (hp->is_mla ? hp->head_dim_k_mla : hp->head_dim_k);
        n_head = max_u64(n_head, hp->n_head[il]);
        q_dim = max_u64(q_dim, hq);
        kvd = max_u64(kvd, (uint64_t)hp->n_head_kv[il] * hp->head_dim_k);
        if (!hp->is_moe[il])
            ff = max_u64(ff, hp->n_ff[il]);
    }
    /* MoE layers (src/llama-graph.cpp build_moe_ffn, node-llama-cpp 3.21.1's
     * llama.cpp): the router (logits, probs, argsort [n_expert, n_tokens],
     * weights [n_expert_used, n_tokens]), then ggml_mul_mat_id gives up and
     * gate f32 [n_ff_exp, n_expert_used, n_tokens] and the GLU a third such
     * tensor (ggml_swiglu_split is not in ggml-alloc.c's
     * ggml_op_can_inplace list, and ggml_gallocr_alloc_graph_impl frees a
     * node's parents only after allocating the node, so all three are live
     * together). The down projection [n_embd, n_expert_used, n_tokens] is
     * allocated next; gate and up are then free, but ggml_dyn_tallocr_alloc
     * places it in their hole only if it fits (n_embd > 2 n_ff_exp),
     * otherwise above the GLU output. ffn_moe_weighted (ggml_mul) is in
     * place. Below them stay the hidden states: the residual ffn_inp, its
     * norm, and the attention phase's freed blocks: 4 n_embd per token, an
     * empirical term (the two qwen3moe shapes below; not derived from the
     * allocator's placement). Measured
     * (CPU, node-llama-cpp 3.21.1, ctx 4096, ubatch 512/2048, FA on, qwen3moe
     * shapes, bench/results/accuracy-moe.jsonl): n_embd 4096 with 16 of 64
     * experts of 1536 308.01 MiB (this gives 308.01); n_embd 2048 with 4 of
     * 16 experts of 4096 116.01 MiB (116.01). Shared experts
     * (n_ff_shexp each, a dense FFN run beside moe_out) are a dense phase
     * with one more hidden state. The old term (4 (n_ff_exp n_expert_used +
     * n_expert + n_ff_shexp) + n_embd) gave -33.6 % and +17.3 %. */
    uint64_t moe = 0;
    if (hp->n_expert) {
        uint64_t fu = (uint64_t)(hp->n_ff_exp ? hp->n_ff_exp : ff) * hp->n_expert_used;
        uint64_t eu = E * hp->n_expert_used;
        uint64_t sh = (uint64_t)hp->n_ff_shexp * (hp->n_expert_shared ? hp->n_expert_shared : 1);
        ffe = fu + hp->n_expert + sh;
        moe = 4 * E + 3 * fu + (eu > 2 * fu ? eu : 0) + hp->n_expert;
        if (sh)
            moe = max_u64(moe, 4 * sh + 2 * E);
    }
    if (!q_dim)
        q_dim = E;
    uint64_t n_kv = p->kv_cells ? p->kv_cells : p->swa_cells;
    if (p->n_kv_layers == 0)
        n_kv = 0;
    uint64_t n_masks = (p->kv_cells && p->n_kv_layers ? 1 : 0) + (p->swa_cells ? 1 : 0);
    uint64_t mask_cells = (p->n_kv_layers ? (uint64_t)p->kv_cells : 0) + p->swa_cells;
    (void)n_masks;

    /* Measured (CPU, bench/accuracy): attention without flash attention keeps
     * KQ f32 [n_kv, n_tokens, n_head] plus ~ 3 n_embd + 2 q_dim + 2 kv widths
     * per token; with flash attention no KQ. FFN: 4 n_ff + n_embd per token
     * (gate, up, the GLU and the freed attention blocks). Output: logits f32
     * [n_vocab, n_tokens] + two hidden states (the masks are dead by then
     * under flash attention). */
    uint64_t attn = 3 * E + 2 * q_dim + 2 * kvd + (p->flash_attn ? 0 : n_head * n_kv);
    uint64_t ffn = max_u64(ff ? 4 * ff + E : 0, moe);
    if (!ffn)
        ffn = E;
    uint64_t out = V + 2 * E;
    uint64_t out_gpu = V + E;
    uint64_t attn_fixed = 0; /* bytes that do not scale with the ubatch */
    if (hp->is_mla && hp->kv_lora_rank) {
        /* MLA with the absorbed wkv_b (src/models/deepseek2.cpp,
         * src/llama-graph.cpp build_attn_mha with v_mla), per token: Qcur =
         * concat(q_nope_absorbed, q_pe) n_head (kv_lora + rope), q_nope_absorbed
         * n_head kv_lora, q_pe n_head rope; attention output n_head kv_lora
         * (FA out or kqv) decompressed by v_mla to n_head v_head.
         * Without flash attention the KQ phase holds the residual, Qcur,
         * q_nope_absorbed, KQ and kqv, and the V-less cache's V view is made
         * contiguous (v_cont: f16 [n_kv, kv_lora] per stream, independent of
         * the ubatch). Measured (CPU, DeepSeek-V2-Lite shape, ctx 2048-32768,
         * ubatch 512/2048): -1.8 % to exact; on the H100 projection within
         * 0.5 %. */
        uint64_t r = hp->kv_lora_rank, rope = hp->n_rot, vh = hp->head_dim_v_mla;
        uint64_t qcur = n_head * (r + rope), qnope = n_head * r, qpe = n_head * rope;
        if (!p->flash_attn) {
            attn = E + qcur + qnope + n_head * n_kv + n_head * r;
            attn_fixed = 2 * n_kv * r * p->n_stream;
        }
        /* The logits are allocated above the last layer's attention
         * intermediates, which ggml-alloc leaves stacked below the final norm:
         * on the CPU residual + Qcur + q_nope_absorbed + q_pe (measured at
         * ctx >= 4096 with FA and at every context without; with FA at ctx <=
         * 2048 llama.cpp packs them lower and this over-states by ~14 %), on
         * CUDA also the attention output and its decompression (H100: 260 MiB
         * at ub 512, 1041 at ub 2048, ctx 4096 and 32768). */
        out = V + E + qcur + qnope + qpe;
        out_gpu = out + n_head * r + n_head * vh;
    }
    uint64_t mask_b = p->flash_attn ? 2 : 4;
    uint64_t peak_inner =
        4 * ub * max_u64(attn, ffn) + mask_b * ub * mask_cells + (attn > ffn ? attn_fixed : 0);
    /* Gated delta-net hybrids (src/models/qwen3next.cpp on
     * src/models/delta-net-base.cpp): the delta-net phase stays below the
     * output phase at every ubatch measured, but the output phase holds one
     * more hidden state and the KQ mask stays live under flash attention too.
     * Measured (CPU, bench/accuracy, Qwen3-Next-80B-A3B shape with 4 layers,
     * ctx 512-32768, ubatch 512/2048, f16/q8_0 KV): within 1.3 %, exact at
     * ubatch 2048. */
    int gdn = p->n_rs_layers && (!strcmp(hp->arch, "qwen3next") || !strcmp(hp->arch, "qwen35") ||
                                 !strcmp(hp->arch, "qwen35moe"));
    if (gdn)
        out += E;
    uint64_t peak_out = 4 * ub * out + (p->flash_attn && !gdn ? 0 : mask_b * ub * mask_cells);
    uint64_t cpu = max_u64(peak_inner, peak_out) + 20 * ub; /* positions, ids, out_ids */

    if (p->backend == OG_BACKEND_CPU) {
        p->bytes[OG_COMP_COMPUTE][OG_POOL_HOST] = cpu;
        return;
    }
    /* GPU backends: the device buffer holds the same phases, but the output
     * phase keeps one hidden state beside the logits (f32 [n_vocab + n_embd,
     * n_ubatch]); the masks and the input embeddings are staged in a pinned
     * host buffer. Checked against llama.cpp's own projection
     * (llama-fit-params --fit-print, CUDA build of the same source, H100;
     * bench/results/accuracy-cuda.md): device compute exact to the MiB with
     * flash attention except MLA models. */
    if (p->backend == OG_BACKEND_RPC) {
        /* rpc-server devices running the CPU backend (ggml/src/ggml-rpc): each
         * device's graph splits get their own copies of the graph inputs (the
         * f32 KQ mask and its f16 cast, the incoming hidden state). Measured on
         * loopback rpc-servers with llama-fit-params --fit-print (Llama 3.1 8B
         * shape, 2 servers, FA on, ctx 8192/32768, ubatch 512/2048: exact to
         * the MiB, bench/results/fit-params.md): a device with layers
         * 4 ub max(attn, ffn) + 8 ub cells + 10 ub E, the output device at
         * least 4 ub (V + 2E) + 8 ub cells + 28 ub E; the host 8 ub cells +
         * 8 ub E. Without flash attention and with layers left on the host the
         * buffers are larger than this (not modelled). No op offload. */
        uint32_t ndv = p->n_devices ? p->n_devices : 1;
        uint64_t inner = 4 * ub * max_u64(attn, ffn) + 8 * ub * mask_cells + 10 * ub * E;
        uint64_t outp = 4 * ub * (V + 2 * E) + 8 * ub * mask_cells + 28 * ub * E;
        uint64_t hostc = 8 * ub * mask_cells + 8 * ub * E;
        /* Without flash attention (src/llama-graph.cpp build_attn_mha, the
         * KQ path: KQ f32 [n_kv, n_ubatch, n_head] with the f32 mask, no f16
         * cast) the mask-sized inputs of each split take twice the bytes per
         * cell. Measured (bench/results/fit-params-rpc2.jsonl, -fa off, one
         * rpc-server device holding every layer in llama.cpp's own trace):
         * Llama 3.1 8B shape at -c 16384 1233 MiB, Qwen 2.5 7B at -c 15872
         * 1056 and at -c 32768 2126 (two devices); this gives 1216, 1047 and
         * 2103 (-1.4 % to -0.9 %). */
        if (!p->flash_attn)
            inner += 8 * ub * mask_cells;
        if (p->n_layer_gpu < hp->n_layer) {
            /* Layers left on the host (measured the same way, -ngl 10-32,
             * Llama 3.1 8B and Qwen 2.5 7B shapes, ctx 8192/32768, ubatch
             * 512/2048: exact to the MiB): the output device holds the
             * logits and one hidden state, the others the FFN phase and the
             * f16 mask, the host its layers' FFN phase. */
            uint64_t ffw = (max_u64(ff, ffe) * 3);
            inner = 4 * ub * (ffw + 2 * E) + 2 * ub * mask_cells;
            outp = 4 * ub * (V + E);
            hostc = 4 * ub * (ffw + 4 * E) + 2 * ub * mask_cells;
            if (!p->flash_attn) {
                /* Without flash attention (src/llama-graph.cpp build_attn_mha:
                 * KQ = mul_mat(k, q) f32 [n_kv, n_ubatch, n_head], softmax in
                 * place with the f32 mask) every split that runs layers, the
                 * output device's and the host's included, holds one layer's
                 * KQ and the f32 mask. Measured (bench/results/fit-params-rpc2.jsonl,
                 * Llama 3.1 8B shape, -fa off -c 16384 -ngl 31, two servers):
                 * 1092, 1092 and host 1100 MiB; this gives 1100 each. */
                uint64_t kq = 4 * ub * attn + 4 * ub * mask_cells;
                inner = max_u64(inner, kq);
                outp = max_u64(outp, kq);
                hostc = max_u64(hostc, kq);
            }
        }
        /* A device between two others (its input arrives from another
         * rpc-server, its output leaves for one) holds four more f32 hidden
         * states per token than the first. Measured (bench/results/fit-params-rpc.jsonl,
         * three servers, --fit-print of llama.cpp's choice): Llama 3.1 8B
         * shape -c 52992 -ts 13,12,8: 347 / 379 / 529 MiB, this gives the
         * same to the MiB; -ctk q8_0 -c 32768: 260 / 292; Gemma 3 27B, Phi-3
         * mini, gpt-oss-20b within 0.1 %. It moves --fit's context step
         * (common/fit.cpp lines 393-430, the projection at the trained
         * context). */
        uint64_t mid = 16 * ub * E;
        uint64_t g = 0;
        int first_dev = -1;
        for (uint32_t d = 0; d < ndv; d++) {
            if (!p->dev_layers[d] && ndv > 1)
                continue;
            if (first_dev < 0)
                first_dev = (int)d;
            /* The output device with some of its layers' tensors sent to
             * the host by -ot (--fit's MoE spill and partial layers,
             * common/fit.cpp get_overflow_pattern, lines 492-529): its graph
             * splits alternate with the host's inside each such layer, so the
             * output phase holds the logits and one hidden state only, as with
             * layers left on the host. Measured on loopback rpc-servers
             * (bench/results/fit-params-rpc2.jsonl --fit-print: Qwen3-30B-A3B
             * shape 300 MiB at c 4096 and 16384 with q8_0 KV, gpt-oss-20b 404,
             * DeepSeek-V2-Lite 236 (the MLA output phase)). */
            uint64_t outp_d = outp;
            if ((spill_mask >> d & 1) && p->n_layer_gpu >= hp->n_layer)
                outp_d = p->flash_attn ? 4 * ub * (out - E) : max_u64(inner, 4 * ub * (out - E));
            p->dev_compute[d] =
                (int)d == p->output_device
                    ? (p->n_layer_gpu < hp->n_layer || (spill_mask >> d & 1) ? outp_d
                                                                             : max_u64(inner, outp))
                    : inner + (p->n_layer_gpu >= hp->n_layer && (int)d != first_dev ? mid : 0);
            g += p->dev_compute[d];
        }
        p->bytes[OG_COMP_COMPUTE][OG_POOL_GPU] = g;
        p->bytes[OG_COMP_COMPUTE][OG_POOL_HOST] = hostc;
        return;
    }
    /* CUDA/ROCm flash attention with a quantized K or V cache: the worst-case
     * graph (n_tokens = n_ubatch > 2) runs the MMA/tile kernels, which need
     * F16 K/V; ggml-cuda sizes the FLASH_ATTN_EXT output tensor to hold the
     * F16 copies of the whole K and V views (ggml/src/ggml-cuda/fattn.cu
     * ggml_cuda_flash_attn_ext_get_alloc_size, fattn-common.cuh
     * ggml_cuda_flash_attn_ext_get_f16_extra_data; ggml-cuda.cu
     * get_alloc_size): 2 bytes x n_kv x width for K and for V (once when V
     * is a view of K, as with MLA). It lives in the attention phase. */
    uint64_t fa_conv = 0;
    if (p->flash_attn && ub > 2 && n_kv &&
        (p->backend == OG_BACKEND_CUDA || p->backend == OG_BACKEND_ROCM)) {
        uint64_t wk = 0, wv = 0;
        for (uint32_t il = 0; il < hp->n_layer; il++) {
            uint64_t hk = hp->is_mla ? (uint64_t)hp->kv_lora_rank + hp->n_rot : hp->head_dim_k;
            uint64_t nk = hp->is_mla ? 1 : hp->n_head_kv[il];
            wk = max_u64(wk, hk * nk);
            wv = max_u64(wv, (uint64_t)hp->head_dim_v * hp->n_head_kv[il]);
        }
        if (is_quant_type(p->type_k))
            fa_conv += 2 * n_kv * wk;
        if (is_quant_type(p->type_v) && !hp->is_mla)
            fa_conv += 2 * n_kv * wv;
    }
    /* Partial offload: the layers left on the CPU keep their KV in host
     * memory, but with a batch the scheduler runs their matrix products on
     * the GPU (ggml-backend.cpp ggml_backend_sched_backend_id_from_cur
     * "1.off", ggml-cuda.cu offload_op: batch >= op_offload_min_batch_size),
     * and the attention follows them there: one layer's K and V views are
     * copied into the GPU's compute buffer as split inputs (and converted
     * to F16 like the device's own, above). Derived from the source. */
    if (p->n_layer_gpu < hp->n_layer && p->n_layer_gpu > 0 && n_kv &&
        p->backend != OG_BACKEND_METAL) {
        uint64_t wk = 0, wv = 0;
        for (uint32_t il = 0; il < hp->n_layer; il++) {
            wk = max_u64(wk, (uint64_t)hp->n_head_kv[il] * hp->head_dim_k);
            wv = max_u64(wv, (uint64_t)hp->n_head_kv[il] * hp->head_dim_v);
        }
        int ok = 1;
        fa_conv += n_kv * (og_ggml_row_bytes((uint32_t)p->type_k, wk, &ok) +
                           (hp->is_mla ? 0 : og_ggml_row_bytes((uint32_t)p->type_v, wv, &ok)));
    }
    uint64_t inner_dev = peak_inner;
    if (fa_conv)
        inner_dev = max_u64(4 * ub * attn + fa_conv, 4 * ub * ffn) + mask_b * ub * mask_cells +
                    (attn > ffn ? attn_fixed : 0);
    uint64_t dev = max_u64(inner_dev, 4 * ub * out_gpu);
    uint64_t host = mask_b * ub * mask_cells + 8 * ub * E;
    /* Without flash attention V is stored transposed and every cache stages
     * an I64 index per V element of the micro-batch in the host buffer
     * (src/llama-kv-cache.cpp build_input_v_idxs: n_tokens *
     * n_embd_v_gqa_max when v_trans; MLA caches have no V). Checked on the
     * H100 projections: +8 ub n_embd_v_gqa per cache (Gemma 3: 2 caches). */
    if (!p->flash_attn && !hp->is_mla && p->n_kv_layers) {
        uint64_t v_max = 0;
        for (uint32_t il = 0; il < hp->n_layer_all; il++) {
            uint64_t hd = hp->is_swa[il] && hp->swa_type != OG_SWA_NONE && hp->head_dim_v_swa
                              ? hp->head_dim_v_swa
                              : hp->head_dim_v;
            v_max = max_u64(v_max, hd * hp->n_head_kv[il]);
        }
        uint64_t n_caches = (p->kv_cells ? 1 : 0) + (p->swa_cells ? 1 : 0);
        host += 8 * ub * v_max * n_caches;
    }
    /* Layers left on the CPU: with CUDA/ROCm/Vulkan the scheduler offloads
     * their large-batch work to the GPU (weights streamed from the pinned
     * buffer), and llama.cpp's projection shows no extra host compute for
     * them (llama-fit-params, -ngl 8/16/24, H100). On Metal this is not
     * measured; keep a CPU-sized buffer there. */
    if (p->n_layer_gpu < hp->n_layer && p->backend == OG_BACKEND_METAL)
        host += 4 * ub * max_u64(attn, ffn);
    p->bytes[OG_COMP_COMPUTE][OG_POOL_HOST] = host;
    /* Per device. One device holds all of it. With -sm layer over several
     * devices (ggml/src/ggml-backend.cpp: one graph split per run of layers
     * on a device, each device's compute buffer sized by its own splits),
     * every device that holds layers runs their attention and FFN phases,
     * and the device of the output layer also the output phase. Derived, not
     * measured on two GPUs (bench/results/fit-params.md has the loopback RPC
     * runs). */
    uint32_t nd = p->n_devices ? p->n_devices : 1;
    int any = 0;
    if (nd > 1)
        for (uint32_t d = 0; d < nd; d++)
            if (p->dev_layers[d]) {
                p->dev_compute[d] = (int)d == p->output_device ? dev : peak_inner;
                any = 1;
            }
    if (!any)
        p->dev_compute[0] = dev;
    /* Op offload (ggml-backend.cpp ggml_backend_sched_backend_id_from_cur:
     * a matrix multiplication whose weight sits in host memory runs on the
     * first GPU when the batch is at least 32 tokens, CUDA's
     * op_offload_min_batch_size): the weight is copied into that device's
     * compute buffer for the op, beside the FFN phase. Derived. */
    if (max_host_matrix && ub >= 32 && p->backend != OG_BACKEND_METAL)
        p->dev_compute[0] = max_u64(p->dev_compute[0], 4 * ub * ffn + max_host_matrix);
    uint64_t g = 0;
    for (uint32_t d = 0; d < nd; d++)
        g += p->dev_compute[d];
    p->bytes[OG_COMP_COMPUTE][OG_POOL_GPU] = g;
    /* The largest single tensor of the graph (ggml-alloc gives a tensor larger
     * than the buffer type's max size a chunk of its own, ggml/src/ggml-alloc.c):
     * KQ f32 [n_kv, n_ubatch, n_head] without flash attention, the logits
     * f32 [n_vocab, n_ubatch], the FFN's up/gate f32 [n_ff, n_ubatch]. */
    uint64_t big = 4 * ub * max_u64(V, max_u64(ff, max_u64(ffe, E * hp->n_expert_used)));
    if (!p->flash_attn)
        big = max_u64(big, 4 * ub * n_kv * n_head);
    if (big > p->largest_buffer_bytes)
        p->largest_buffer_bytes = big;
}

static og_status resolve(const og_model *m, const og_llama_settings *s0, og_llama_memplan *p,
                         og_error *err)
{
    const og_hparams *hp = &m->hp;
    const char *name = m->path ? m->path : "model";
    og_llama_settings s = *s0;
    uint64_t n_ctx = s.n_ctx, n_batch = s.n_batch, n_ubatch = s.n_ubatch;
    uint32_t n_seq = s.n_parallel ? s.n_parallel : 1;

    if (s.engine == OG_LLAMA_ENGINE_OLLAMA) {
        /* ollama llm/llama_server.go: -c num_ctx * num_parallel, -np num_parallel,
         * -b = -ub = num_batch (default 512), no unified KV. num_ctx default
         * (server/routes.go) depends on VRAM; 4096 is the low tier used here
         * when the caller did not choose. */
        uint64_t nb = s.ollama_num_batch ? s.ollama_num_batch : 512;
        if (!n_ctx)
            n_ctx = 4096;
        n_ctx *= n_seq;
        n_batch = n_ubatch = nb;
        s.kv_unified = 0;
    }
    if (!n_ctx)
        n_ctx = hp->n_ctx_train; /* src/llama-context.cpp: n_ctx 0 = n_ctx_train */
    if (!n_ctx)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: context size is 0 (no -c given and the model has no trained "
                            "context length)",
                            name);
    if (n_ctx > (1u << 30))
        return og_error_set(err, OG_ERR_INVALID, "context size %llu is too large",
                            (unsigned long long)n_ctx);
    if (!n_batch || !n_ubatch)
        return og_error_set(err, OG_ERR_INVALID, "batch and ubatch must be at least 1");
    if (n_ubatch > n_batch)
        return og_error_set(err, OG_ERR_INVALID,
                            "ubatch (%llu) is larger than batch (%llu): llama.cpp processes at "
                            "most one batch per micro-batch; lower -ub or raise -b",
                            (unsigned long long)n_ubatch, (unsigned long long)n_batch);
    if (!kv_type_allowed(s.type_k) || !kv_type_allowed(s.type_v)) {
        const og_ggml_type_info *ti =
            og_ggml_type((uint32_t)(kv_type_allowed(s.type_k) ? s.type_v : s.type_k));
        return og_error_set(err, OG_ERR_INVALID,
                            "cache type '%s' is not allowed (llama.cpp accepts f32, f16, bf16, "
                            "q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)",
                            ti ? ti->name : "?");
    }
    /* src/llama-context.cpp: flash attention auto resolves to enabled when the
     * device supports the FA op for every layer (all backends here). */
    p->flash_attn = s.flash_attn != OG_FA_OFF;
    if (is_quant_type(s.type_v) && !p->flash_attn)
        return og_error_set(err, OG_ERR_INVALID,
                            "quantized V cache (%s) needs flash attention: use --flash-attn on "
                            "or an f16 V cache",
                            og_ggml_type((uint32_t)s.type_v)->name);
    p->type_k = s.type_k;
    p->type_v = s.type_v;
    p->backend = s.backend;

    /* src/llama-context.cpp llama_context(): n_batch = min(n_ctx, n_batch) for
     * causal models; n_ubatch = min(n_batch, n_ubatch); n_ctx = PAD(n_ctx, 256);
     * per-sequence streams unless kv_unified. */
    if (hp->causal && n_batch > n_ctx)
        n_batch = n_ctx;
    if (n_ubatch > n_batch)
        n_ubatch = n_batch;
    n_ctx = (n_ctx + 255) / 256 * 256;
    uint64_t n_ctx_seq = n_ctx;
    if (!s.kv_unified) {
        n_ctx_seq = (n_ctx / n_seq + 255) / 256 * 256;
        if (!n_ctx_seq)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: --parallel %u sequences leave no context per sequence in "
                                "%llu tokens (raise -c or lower -np)",
                                name, n_seq, (unsigned long long)n_ctx);
        n_ctx = n_ctx_seq * n_seq;
    }
    p->n_ctx = (uint32_t)n_ctx;
    p->n_ctx_seq = (uint32_t)n_ctx_seq;
    p->n_seq = n_seq;
    p->n_stream = s.kv_unified ? 1 : n_seq;
    p->n_batch = (uint32_t)n_batch;
    p->n_ubatch = (uint32_t)n_ubatch;
    p->kv_cells = (uint32_t)n_ctx_seq;
    /* src/llama-kv-cache-iswa.cpp: size_swa = PAD(min(size_base, n_swa *
     * (unified ? n_seq_max : 1) + n_ubatch), 256); --swa-full: size_base. */
    if (hp->swa_type != OG_SWA_NONE && hp->n_swa) {
        uint64_t w = (uint64_t)hp->n_swa * (s.kv_unified ? n_seq : 1) + n_ubatch;
        if (w > n_ctx_seq)
            w = n_ctx_seq;
        p->swa_cells = s.swa_full ? (uint32_t)n_ctx_seq : (uint32_t)((w + 255) / 256 * 256);
    }
    if (hp->n_ctx_train && n_ctx_seq > hp->n_ctx_train)
        note(p, "context per sequence is larger than the trained context (%s): quality may drop",
             "llama.cpp allows it");
    return OG_OK;
}

static og_status plan_one(const og_model *m, const og_llama_settings *s, og_llama_memplan *p,
                          og_error *err)
{
    const og_hparams *hp = &m->hp;
    memset(p, 0, sizeof *p);
    if (!m || hp->n_layer == 0 || hp->n_embd == 0)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: the model has no layers or no embedding width; cannot plan",
                            m && m->path ? m->path : "model");
    og_status st = resolve(m, s, p, err);
    if (st != OG_OK)
        return st;
    p->n_layer = hp->n_layer;
    p->fallback = m->hparams_fallback || !arch_known(hp->arch);
    if (p->fallback)
        note(p, "architecture '%s' is not modelled: generic transformer estimate", hp->arch);
    int16_t *dev_of = malloc(((size_t)hp->n_layer_all + 1) * sizeof *dev_of);
    if (!dev_of)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory planning %s",
                            m->path ? m->path : "model");
    float share[OG_LLAMA_MAX_DEVICES];
    assign_layers(m, s, p, dev_of, share);
    uint64_t max_host_matrix = 0;
    uint32_t spill_mask = 0;
    st = plan_weights(m, s, p, dev_of, share, &max_host_matrix, &spill_mask, err);
    if (st == OG_OK)
        st = plan_memory(m, s, p, dev_of, err);
    free(dev_of);
    if (st != OG_OK)
        return st;
    if (s->backend == OG_BACKEND_CPU)
        max_host_matrix = 0;
    if (m->n_tensors == 0 && m->weight_bytes) {
        /* A config.json alone has no tensor list: its weights are the
         * parameter count times the stored type. Place them in proportion to
         * the layers on the GPU (the input embeddings stay on the host, as
         * load_tensors places them). */
        uint64_t emb = hp->n_vocab * hp->n_embd,
                 per = m->n_params ? m->weight_bytes / m->n_params : 2;
        uint64_t emb_bytes = emb * per < m->weight_bytes ? emb * per : 0;
        uint64_t rest = m->weight_bytes - emb_bytes;
        uint64_t on_gpu = hp->n_layer ? rest / hp->n_layer * p->n_layer_gpu : 0;
        if (s->backend == OG_BACKEND_CPU)
            on_gpu = 0;
        p->bytes[OG_COMP_WEIGHTS][OG_POOL_GPU] = on_gpu;
        p->bytes[OG_COMP_WEIGHTS][OG_POOL_HOST] = m->weight_bytes - on_gpu;
        uint32_t nl = 0;
        for (uint32_t d = 0; d < p->n_devices; d++)
            nl += p->dev_layers[d];
        for (uint32_t d = 0; d < p->n_devices && nl; d++)
            p->dev_model[d] = on_gpu / nl * p->dev_layers[d];
        note(p,
             "no tensor list (config.json only): weights are the parameter count x the "
             "stored type (%s), placed by layer",
             m->dtype[0] ? m->dtype : "16-bit");
    }
    plan_compute(m, p, max_host_matrix, spill_mask);
    /* src/llama-context.cpp output_reserve: logits f32 [n_vocab, max(n_outputs, n_seq_max)],
     * at start n_outputs = 0 -> n_seq_max rows; host buffer (pinned with a GPU). */
    if (hp->causal)
        p->bytes[OG_COMP_OUTPUT][OG_POOL_HOST] = 4 * hp->n_vocab * p->n_seq;
    if (p->mapped_repacked_bytes) {
        uint64_t sh = p->mapped_repacked_bytes;
        note(p,
             "%.2f GiB of the mapped file is also repacked (CPU_REPACK): llama.cpp reports both, "
             "but that page cache is reclaimable and is not counted against the budget",
             (double)sh / (1024.0 * 1024.0 * 1024.0));
    }
    if (m->format != OG_FORMAT_GGUF && s->backend == OG_BACKEND_CPU)
        note(p, "%s weights sized as they would be after conversion to GGUF",
             og_format_name(m->format));
    return OG_OK;
}

/* Memory over time (see og_llama_memplan): llama-server's host prompt cache and context
 * checkpoints, from tools/server/server-task.cpp (server_prompt_cache::alloc, update) and
 * tools/server/server-context.cpp (create_checkpoint, the do_checkpoint conditions), llama.cpp
 * 2026-09-12. A checkpoint holds llama_state_seq_get_size_ext(..., PARTIAL_ONLY): the
 * sequence's SWA cells (at most n_swa + n_ubatch of them) and its recurrent state. */
static void plan_growth(const og_model *m, const og_llama_settings *s, og_llama_memplan *p)
{
    const og_hparams *hp = &m->hp;
    if (s->no_server || !hp->causal)
        return;
    uint64_t kv = p->component_bytes[OG_COMP_KV], rs = p->component_bytes[OG_COMP_RS];
    if (s->cache_ram_mib > 0)
        p->grow_prompt_cache_bytes = (uint64_t)s->cache_ram_mib << 20;
    else if (s->cache_ram_mib < 0)
        p->grow_prompt_cache_bytes = kv + rs; /* token limit n_ctx: one copy of the cache */
    int swa_ckpt = p->swa_cells && p->kv_swa_bytes && p->swa_cells < p->kv_cells;
    if (s->n_ctx_checkpoints > 0 && (swa_ckpt || p->n_rs_layers)) {
        uint64_t ck = 0;
        if (swa_ckpt) {
            uint64_t per_cell = p->kv_swa_bytes / ((uint64_t)p->swa_cells * p->n_stream);
            uint64_t cells = (uint64_t)hp->n_swa + p->n_ubatch;
            if (cells > p->swa_cells)
                cells = p->swa_cells;
            ck += per_cell * cells;
        }
        ck += rs / (p->n_seq ? p->n_seq : 1);
        uint64_t n = (uint64_t)s->n_ctx_checkpoints;
        if (s->checkpoint_min_step) {
            uint64_t by_step = p->n_ctx_seq / s->checkpoint_min_step + 2;
            if (by_step < n)
                n = by_step;
        }
        p->checkpoint_bytes = ck;
        p->n_checkpoints = (uint32_t)n;
        p->grow_checkpoint_bytes = ck * n * p->n_seq;
    }
    p->grown_host_bytes = p->host_bytes + p->grow_prompt_cache_bytes + p->grow_checkpoint_bytes;
    p->grown_total_bytes = p->total_bytes + p->grow_prompt_cache_bytes + p->grow_checkpoint_bytes;
}

static og_status totals(og_llama_memplan *p, og_error *err)
{
    memset(p->component_bytes, 0, sizeof p->component_bytes);
    memset(p->pool_bytes, 0, sizeof p->pool_bytes);
    p->total_bytes = 0;
    for (int c = 0; c < OG_COMP_COUNT; c++)
        for (int q = 0; q < OG_POOL_COUNT; q++) {
            uint64_t b = p->bytes[c][q];
            if (!og_add_u64(p->component_bytes[c], b, &p->component_bytes[c]) ||
                !og_add_u64(p->pool_bytes[q], b, &p->pool_bytes[q]) ||
                !og_add_u64(p->total_bytes, b, &p->total_bytes))
                return og_error_set(err, OG_ERR_INVALID, "plan total overflows");
        }
    p->gpu_bytes = p->pool_bytes[OG_POOL_GPU];
    p->host_bytes = p->pool_bytes[OG_POOL_HOST] + p->pool_bytes[OG_POOL_HOST_MAPPED] +
                    p->pool_bytes[OG_POOL_CPU_REPACK];
    p->grown_host_bytes = p->host_bytes;
    p->grown_total_bytes = p->total_bytes;
    return OG_OK;
}

og_status og_llama_plan(const og_model *m, const og_llama_settings *s, og_llama_memplan *p,
                        og_error *err)
{
    og_llama_settings def;
    if (!s) {
        og_llama_settings_default(&def);
        s = &def;
    }
    if (!m || !p)
        return og_error_set(err, OG_ERR_INVALID, "og_llama_plan: model and plan are required");
    og_status st = plan_one(m, s, p, err);
    if (st != OG_OK)
        return st;

    /* Extra models on the same budget. */
    if (s->mmproj) {
        /* tools/mtmd/clip.cpp: projector weights on the main device; its image
         * compute buffer (alloc_compute_meta) depends on the image size and is
         * not modelled: a note says so. */
        og_pool pool = s->backend != OG_BACKEND_CPU ? OG_POOL_GPU : OG_POOL_HOST;
        p->bytes[OG_COMP_MMPROJ][pool] = s->mmproj->weight_bytes;
        note(p, "mmproj: weights only; the image encoder's compute buffer (%s) is not included",
             "tens to hundreds of MiB");
    }
    if (s->draft) {
        og_llama_settings ds = *s;
        ds.mmproj = NULL;
        ds.draft = NULL;
        og_llama_memplan dp;
        og_error derr;
        if ((st = plan_one(s->draft, &ds, &dp, &derr)) != OG_OK)
            return og_error_set(err, st, "draft model: %s", derr.message);
        for (int c = 0; c < OG_COMP_COUNT; c++)
            for (int q = 0; q < OG_POOL_COUNT; q++)
                if (!og_add_u64(p->bytes[OG_COMP_DRAFT][q], dp.bytes[c][q],
                                &p->bytes[OG_COMP_DRAFT][q]))
                    return og_error_set(err, OG_ERR_INVALID, "draft plan overflows");
    }
    if ((st = totals(p, err)) != OG_OK)
        return st;
    plan_growth(m, s, p);
    return OG_OK;
}
