/* Hugging Face config.json reader: hyper-parameters in llama.cpp's naming and
 * a parameter count computed from the config alone.
 *
 * Which keys mean what, and what the GGUF converter writes for each
 * architecture, follows llama.cpp conversion/<model>.py (as bundled in
 * node-llama-cpp 3.21.1, source dated 2026-09-12): deepseek.py (MLA: one KV
 * head of kv_lora_rank + qk_rope_head_dim, MTP layers skipped for deepseek2),
 * glm.py (glm4moe: NextN layers counted in block_count), qwen.py (qwen3next:
 * ssm.* from linear_* keys, full_attention_interval), granite.py
 * (granitehybrid: head_count_kv 0 on Mamba layers), gemma.py, gpt_oss.py.
 * Layer-pattern rules: transformers' layer_types when present, else the
 * legacy period (see shared/reference/formats-and-math.md 4.3).
 * Parameter formulas: formats-and-math.md 4.7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_arch.h"
#include "hf_arch_table.h"
#include "model_internal.h"
#include "og_internal.h"
#include "safetensors_internal.h"

/* model_type -> llama.cpp architecture, for configs without a known
 * "architectures" class (same converter facts as the class table). */
static const struct {
    const char *type;
    const char *arch;
} model_types[] = {
    {"llama", "llama"},
    {"mistral", "llama"},
    {"mixtral", "llama"},
    {"qwen2", "qwen2"},
    {"qwen2_moe", "qwen2moe"},
    {"qwen3", "qwen3"},
    {"qwen3_moe", "qwen3moe"},
    {"qwen3_next", "qwen3next"},
    {"qwen3_5", "qwen35"},
    {"qwen3_5_text", "qwen35"},
    {"qwen3_5_moe", "qwen35moe"},
    {"qwen3_5_moe_text", "qwen35moe"},
    {"gemma", "gemma"},
    {"gemma2", "gemma2"},
    {"gemma3", "gemma3"},
    {"gemma3_text", "gemma3"},
    {"gemma3n", "gemma3n"},
    {"gemma3n_text", "gemma3n"},
    {"phi3", "phi3"},
    {"phi", "phi2"},
    {"phimoe", "phimoe"},
    {"gpt_oss", "gpt-oss"},
    {"deepseek_v2", "deepseek2"},
    {"deepseek_v3", "deepseek2"},
    {"kimi_k2", "deepseek2"},
    {"deepseek_v32", "deepseek32"},
    {"glm4_moe", "glm4moe"},
    {"glm4", "glm4"},
    {"granite", "granite"},
    {"granitemoe", "granitemoe"},
    {"granitemoehybrid", "granitehybrid"},
    {"bamba", "granitehybrid"},
    {"mistral3", "mistral3"},
    {"ministral3", "mistral3"},
    {"llama4", "llama4"},
    {"llama4_text", "llama4"},
    {"cohere", "command-r"},
    {"cohere2", "cohere2"},
    {"starcoder2", "starcoder2"},
    {"falcon_h1", "falcon-h1"},
    {"jamba", "jamba"},
    {"lfm2", "lfm2"},
    {"lfm2_moe", "lfm2moe"},
    {"mamba", "mamba"},
    {"mamba2", "mamba2"},
    {"nemotron_h", "nemotron_h"},
    {"olmo2", "olmo2"},
    {"olmoe", "olmoe"},
    {"exaone4", "exaone4"},
    {"smollm3", "smollm3"},
    {"gpt2", "gpt2"},
    {"ernie4_5", "ernie4_5"},
    {"ernie4_5_moe", "ernie4_5-moe"},
    {"minimax_m2", "minimax-m2"},
    {"seed_oss", "seed_oss"},
    {"hunyuan_v1_dense", "hunyuan-dense"},
    {"bert", "bert"},
    {"t5", "t5"},
};

typedef struct cfg {
    json_t *root;
    json_t *text; /* text_config, or NULL */
    const char *name;
    og_error *err;
    og_status st; /* first error */
} cfg;

static json_t *cget(const cfg *c, const char *key)
{
    json_t *v = c->text ? json_object_get(c->text, key) : NULL;
    if (!v || json_is_null(v))
        v = json_object_get(c->root, key);
    return json_is_null(v) ? NULL : v;
}

/* An integer key: 1 and *out when present, 0 when absent. A value of
 * another type is an error naming the key. */
static int cint(cfg *c, const char *key, uint64_t *out)
{
    json_t *v = cget(c, key);
    if (!v)
        return 0;
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e15 &&
        json_real_value(v) == (double)(uint64_t)json_real_value(v)) {
        *out = (uint64_t)json_real_value(v);
        return 1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        if (c->st == OG_OK)
            c->st = og_error_set(c->err, OG_ERR_INVALID,
                                 "%s: key '%s' must be a non-negative integer", c->name, key);
        return 0;
    }
    *out = (uint64_t)json_integer_value(v);
    return 1;
}

static uint64_t cint_or(cfg *c, const char *key, uint64_t def)
{
    uint64_t v;
    return cint(c, key, &v) ? v : def;
}

/* First present of several aliases. */
static uint64_t cint_any(cfg *c, const char *const *keys, uint64_t def)
{
    uint64_t v;
    for (; *keys; keys++)
        if (cint(c, *keys, &v))
            return v;
    return def;
}

static uint32_t cu32(cfg *c, const char *key, uint64_t v)
{
    if (v > UINT32_MAX) {
        if (c->st == OG_OK)
            c->st = og_error_set(c->err, OG_ERR_INVALID, "%s: key '%s' = %llu is out of range",
                                 c->name, key, (unsigned long long)v);
        return 0;
    }
    return (uint32_t)v;
}

static int cbool(const cfg *c, const char *key, int def)
{
    json_t *v = cget(c, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    return def;
}

static const char *cstr(const cfg *c, const char *key)
{
    json_t *v = cget(c, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int arch_in(const char *arch, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(arch, *list) == 0)
            return 1;
    return 0;
}

static const char *map_arch(const cfg *c, int *known)
{
    *known = 1;
    json_t *archs = json_object_get(c->root, "architectures");
    json_t *a0 = json_is_array(archs) ? json_array_get(archs, 0) : NULL;
    if (json_is_string(a0)) {
        for (size_t i = 0; i < sizeof og_hf_arch_table / sizeof og_hf_arch_table[0]; i++)
            if (strcmp(og_hf_arch_table[i].cls, json_string_value(a0)) == 0)
                return og_hf_arch_table[i].arch;
    }
    const char *mt = NULL;
    json_t *v = json_object_get(c->root, "model_type");
    if (json_is_string(v))
        mt = json_string_value(v);
    if (!mt && c->text) {
        v = json_object_get(c->text, "model_type");
        mt = json_is_string(v) ? json_string_value(v) : NULL;
    }
    for (int pass = 0; pass < 2 && mt; pass++) {
        for (size_t i = 0; i < sizeof model_types / sizeof model_types[0]; i++)
            if (strcmp(model_types[i].type, mt) == 0)
                return model_types[i].arch;
        /* A multimodal wrapper of unknown type: try its text model's type. */
        v = c->text ? json_object_get(c->text, "model_type") : NULL;
        mt = json_is_string(v) ? json_string_value(v) : NULL;
    }
    *known = 0;
    v = json_object_get(c->root, "model_type");
    return json_is_string(v) ? json_string_value(v) : "unknown";
}

/* Parameter accumulators: routed-expert matrices, other matrices inside the
 * layers, and everything else (embeddings, output, norms, biases). The split
 * lets a quantization_config (fp8, mxfp4) price each group. */
typedef struct pcount {
    uint64_t expert, matrix, other;
    int overflow;
} pcount;

static void padd(pcount *p, uint64_t *acc, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x;
    if (!og_mul_u64(a, b, &x) || !og_mul_u64(x, c, &x) || !og_add_u64(*acc, x, acc))
        p->overflow = 1;
}

static uint64_t ptotal(const pcount *p, int *ok)
{
    uint64_t t = 0;
    *ok = !p->overflow && og_add_u64(p->expert, p->matrix, &t) && og_add_u64(t, p->other, &t);
    return t;
}

static void layer_types(cfg *c, og_hparams *hp, uint32_t n_main, int *has_types)
{
    json_t *lt = cget(c, "layer_types");
    if (!lt)
        lt = cget(c, "layers_block_type");
    *has_types = 0;
    if (!lt)
        return;
    if (!json_is_array(lt)) {
        if (c->st == OG_OK)
            c->st = og_error_set(c->err, OG_ERR_INVALID, "%s: key 'layer_types' is not an array",
                                 c->name);
        return;
    }
    if (json_array_size(lt) < n_main) {
        if (c->st == OG_OK)
            c->st = og_error_set(c->err, OG_ERR_INVALID,
                                 "%s: key 'layer_types' has %zu entries, expected %u", c->name,
                                 json_array_size(lt), n_main);
        return;
    }
    *has_types = 1;
    for (uint32_t i = 0; i < n_main; i++) {
        const char *t = json_string_value(json_array_get(lt, i));
        if (!t)
            continue;
        hp->is_swa[i] = strcmp(t, "sliding_attention") == 0 || strcmp(t, "sliding_window") == 0 ||
                        strcmp(t, "chunked_attention") == 0;
        hp->is_recurrent[i] = strcmp(t, "linear_attention") == 0 || strcmp(t, "mamba") == 0 ||
                              strcmp(t, "conv") == 0 || strcmp(t, "mamba2") == 0;
    }
}

og_status og_hf_config_fill(json_t *root, const char *name, og_model *m, uint64_t *config_params,
                            og_error *err)
{
    *config_params = 0;
    if (!json_is_object(root))
        return og_error_set(err, OG_ERR_INVALID, "%s: not a JSON object", name);
    cfg c = {root, NULL, name, err, OG_OK};
    json_t *tc = json_object_get(root, "text_config");
    if (tc && !json_is_null(tc)) {
        if (!json_is_object(tc))
            return og_error_set(err, OG_ERR_INVALID, "%s: key 'text_config' is not an object",
                                name);
        c.text = tc;
    }
    og_hparams *hp = &m->hp;
    memset(hp, 0, sizeof *hp);
    hp->causal = 1;
    int known;
    const char *arch = map_arch(&c, &known);
    og_strlcpy(hp->arch, arch, sizeof hp->arch);
    arch = hp->arch;
    m->hparams_fallback = !known;

    static const char *const k_layers[] = {"num_hidden_layers", "n_layer", "num_layers", "n_layers",
                                           NULL};
    static const char *const k_embd[] = {"hidden_size", "d_model", "n_embd", "dim", NULL};
    static const char *const k_head[] = {"num_attention_heads", "n_head", "num_heads", "n_heads",
                                         NULL};
    static const char *const k_kv[] = {"num_key_value_heads",   "num_kv_heads", "n_head_kv",
                                       "multi_query_group_num", "n_kv_heads",   NULL};
    static const char *const k_ff[] = {"intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim",
                                       NULL};
    static const char *const k_ctx[] = {"max_position_embeddings", "n_positions", "seq_length",
                                        "max_sequence_length",     "max_seq_len", NULL};
    static const char *const k_vocab[] = {"vocab_size", "padded_vocab_size", NULL};
    static const char *const k_exp[] = {"num_local_experts", "num_experts", "n_routed_experts",
                                        "moe_num_experts", NULL};
    static const char *const k_exp_used[] = {"num_experts_per_tok", "moe_k", "top_k",
                                             "num_experts_per_token", NULL};

    uint64_t L = cint_any(&c, k_layers, 0);
    uint64_t H = cint_any(&c, k_embd, 0);
    if (c.st != OG_OK)
        return c.st;
    if (!L)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: key 'num_hidden_layers' is missing (not a model config?)", name);
    if (!H)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: key 'hidden_size' is missing (not a model config?)", name);
    uint64_t nq = cint_any(&c, k_head, 0);
    uint64_t nkv = cint_any(&c, k_kv, nq);
    uint64_t F = cint_any(&c, k_ff, 0);
    uint64_t V = cint_any(&c, k_vocab, 0);
    uint64_t ctx = cint_any(&c, k_ctx, 0);
    uint64_t E = cint_any(&c, k_exp, 0);
    uint64_t Eu = cint_any(&c, k_exp_used, 0);
    uint64_t Fe = cint_or(&c, "moe_intermediate_size", 0);
    uint64_t hd = cint_or(&c, "head_dim", 0);
    uint64_t nextn = cint_or(&c, "num_nextn_predict_layers", 0);
    if (c.st != OG_OK)
        return c.st;
    if (H > (1ull << 24) || nq > (1u << 20) || nkv > (1u << 20) || hd > (1u << 20) ||
        V > (1ull << 32) || F > (1ull << 32) || Fe > (1ull << 32) || E > (1u << 20) || nextn > 16)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: hidden_size, heads, head_dim, vocab_size, intermediate_size or "
                            "experts is implausibly large",
                            name);
    if (!F && strcmp(arch, "gpt2") == 0)
        F = 4 * H;
    /* Granite 4 dense hybrids: the MLP is the "shared" one. */
    if (!F && !E)
        F = cint_or(&c, "shared_intermediate_size", 0);
    /* Gemma 3 multimodal configs leave text defaults out: transformers
     * Gemma3TextConfig vocab_size 262208, max_position_embeddings 131072. */
    if (strcmp(arch, "gemma3") == 0) {
        if (!V)
            V = 262208;
        if (!ctx)
            ctx = 131072;
    }
    if (!hd && nq)
        hd = H / nq;

    /* NextN / MTP layers become blocks where the converter keeps them. */
    static const char *const nextn_in_blocks[] = {"glm4moe", "deepseek32", "glm-dsa", NULL};
    uint64_t L_all = L;
    if (nextn && arch_in(arch, nextn_in_blocks)) {
        L_all = L + nextn;
        hp->n_nextn = (uint32_t)nextn;
    }
    if (L_all > OG_MAX_LAYERS)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: key 'num_hidden_layers' = %llu is more than %d", name,
                            (unsigned long long)L_all, OG_MAX_LAYERS);
    uint32_t nl = (uint32_t)L_all, n_main = (uint32_t)L;
    hp->n_layer_all = nl;
    hp->n_embd = H;
    hp->n_vocab = V;
    hp->n_ctx_train = ctx;
    hp->head_dim_k = hp->head_dim_v = (uint32_t)hd;

    /* MLA (deepseek.py: MQA with one KV head of kv_lora + rope). */
    uint64_t kv_lora = cint_or(&c, "kv_lora_rank", 0), q_lora = cint_or(&c, "q_lora_rank", 0);
    uint64_t rope = cint_or(&c, "qk_rope_head_dim", 0), nope = cint_or(&c, "qk_nope_head_dim", 0);
    uint64_t vhd = cint_or(&c, "v_head_dim", 0);
    if (kv_lora > (1u << 20) || q_lora > (1u << 20) || rope > (1u << 16) || nope > (1u << 16) ||
        vhd > (1u << 16))
        return og_error_set(err, OG_ERR_INVALID, "%s: MLA ranks are implausibly large", name);
    if (kv_lora && rope && (nope || vhd)) {
        hp->is_mla = 1;
        hp->kv_lora_rank = (uint32_t)kv_lora;
        hp->q_lora_rank = (uint32_t)q_lora;
        hp->head_dim_k = (uint32_t)(kv_lora + rope);
        hp->head_dim_v = (uint32_t)kv_lora;
        hp->head_dim_k_mla = (uint32_t)(nope + rope);
        hp->head_dim_v_mla = (uint32_t)vhd;
        hp->n_rot = (uint32_t)rope;
        nkv = 1;
    }
    uint64_t idx_heads = cint_or(&c, "index_n_heads", 0),
             idx_dim = cint_or(&c, "index_head_dim", 0);
    hp->indexer_n_head = cu32(&c, "index_n_heads", idx_heads);
    hp->indexer_head_dim = cu32(&c, "index_head_dim", idx_dim);

    for (uint32_t i = 0; i < nl; i++) {
        hp->n_head[i] = (uint32_t)nq;
        hp->n_head_kv[i] = (uint32_t)nkv;
        hp->n_ff[i] = F;
    }

    /* MoE. */
    static const char *const ff_is_expert[] = {"llama",         "gpt-oss", "llama4", "granitemoe",
                                               "granitehybrid", "phimoe",  "jamba",  NULL};
    if (E) {
        hp->n_expert = cu32(&c, "num_experts", E);
        hp->n_expert_used = cu32(&c, "num_experts_per_tok", Eu);
        hp->n_ff_exp = Fe ? Fe : (arch_in(arch, ff_is_expert) ? F : 0);
        uint64_t shared = cint_or(&c, "n_shared_experts", 0);
        uint64_t fs = cint_any(&c,
                               (const char *const[]){"shared_expert_intermediate_size",
                                                     "shared_intermediate_size",
                                                     "moe_shared_expert_intermediate_size", NULL},
                               0);
        if (shared > 64 || fs > (1ull << 32))
            return og_error_set(err, OG_ERR_INVALID, "%s: shared experts implausibly large", name);
        hp->n_expert_shared = (uint32_t)(shared ? shared : (fs ? 1 : 0));
        hp->n_ff_shexp = fs;
        uint64_t first_dense = cint_or(&c, "first_k_dense_replace", 0);
        uint64_t step = cint_or(&c, "decoder_sparse_step", 1);
        uint64_t inter = cint_or(&c, "interleave_moe_layer_step", 1);
        uint64_t freq = cint_or(&c, "moe_layer_freq", 1);
        if (!step)
            step = 1;
        if (!inter)
            inter = 1;
        if (!freq)
            freq = 1;
        hp->n_leading_dense = (uint32_t)(first_dense < nl ? first_dense : nl);
        json_t *mlp_only = cget(&c, "mlp_only_layers");
        for (uint32_t i = 0; i < nl; i++) {
            int moe = i >= first_dense && (i + 1) % step == 0 && (i + 1) % inter == 0 &&
                      (i - first_dense) % freq == 0;
            if (json_is_array(mlp_only)) {
                size_t k;
                json_t *x;
                json_array_foreach(mlp_only, k, x)
                {
                    if (json_is_integer(x) && json_integer_value(x) == (json_int_t)i)
                        moe = 0;
                }
            }
            hp->is_moe[i] = (uint8_t)moe;
        }
        if (strcmp(arch, "jamba") == 0) {
            uint64_t per = cint_or(&c, "expert_layer_period", 2),
                     off = cint_or(&c, "expert_layer_offset", 1);
            for (uint32_t i = 0; i < nl; i++)
                hp->is_moe[i] = per && i % per == off;
        }
    }

    /* Sliding window and layer kinds. */
    int has_types;
    layer_types(&c, hp, n_main, &has_types);
    if (c.st != OG_OK)
        return c.st;
    /* sliding_window is null or false in some configs: no window. */
    uint64_t win =
        json_is_boolean(cget(&c, "sliding_window")) ? 0 : cint_or(&c, "sliding_window", 0);
    uint64_t pattern = cint_or(&c, "sliding_window_pattern", 0);
    if (win > UINT32_MAX || pattern > OG_MAX_LAYERS)
        return og_error_set(err, OG_ERR_INVALID, "%s: key 'sliding_window' is out of range", name);
    hp->n_swa = (uint32_t)win;
    int any_swa = 0;
    for (uint32_t i = 0; i < n_main; i++)
        any_swa |= hp->is_swa[i];
    if (!any_swa && win) {
        /* Legacy periods: gemma.py / transformers defaults. */
        uint32_t per = (uint32_t)pattern;
        if (!per && strcmp(arch, "gemma2") == 0)
            per = 2;
        else if (!per && (strcmp(arch, "gemma3") == 0))
            per = 6;
        else if (!per && strcmp(arch, "gemma3n") == 0)
            per = 5;
        else if (!per && strcmp(arch, "cohere2") == 0)
            per = 4;
        else if (!per && strcmp(arch, "gpt-oss") == 0)
            per = 2;
        if (per) {
            og_hparams_set_swa_pattern(hp, per, 0);
            any_swa = 1;
        }
    }
    /* llama.cpp ignores Mistral's / Phi-3's / Qwen2's window (full cache). */
    static const char *const no_swa[] = {"llama", "phi3", "qwen2", "qwen2moe", "mistral3", NULL};
    if (arch_in(arch, no_swa) || (any_swa && !win)) {
        memset(hp->is_swa, 0, sizeof hp->is_swa);
        any_swa = 0;
    }
    if (any_swa)
        hp->swa_type = OG_SWA_STANDARD;
    uint64_t chunk = cint_or(&c, "attention_chunk_size", 0);
    if (strcmp(arch, "llama4") == 0 && chunk) {
        hp->swa_type = OG_SWA_CHUNKED;
        hp->n_swa = 8192; /* src/models/llama4.cpp */
        og_hparams_set_swa_pattern(hp, 4, 0);
    }

    /* Recurrent layers and state sizes. */
    uint64_t lk = cint_or(&c, "linear_num_key_heads", 0),
             lv = cint_or(&c, "linear_num_value_heads", 0);
    uint64_t dk = cint_or(&c, "linear_key_head_dim", 0),
             dv = cint_or(&c, "linear_value_head_dim", 0);
    uint64_t lconv = cint_or(&c, "linear_conv_kernel_dim", 0);
    uint64_t m_heads =
        cint_any(&c, (const char *const[]){"mamba_n_heads", "mamba_num_heads", NULL}, 0);
    uint64_t m_dhead =
        cint_any(&c, (const char *const[]){"mamba_d_head", "mamba_head_dim", NULL}, 0);
    uint64_t m_state = cint_any(
        &c, (const char *const[]){"mamba_d_state", "ssm_state_size", "state_size", NULL}, 0);
    uint64_t m_conv =
        cint_any(&c, (const char *const[]){"mamba_d_conv", "conv_kernel", "d_conv", NULL}, 0);
    uint64_t m_groups = cint_any(&c, (const char *const[]){"mamba_n_groups", "n_groups", NULL}, 1);
    uint64_t m_expand = cint_or(&c, "mamba_expand", 0);
    uint64_t m_dtrank = cint_or(&c, "mamba_dt_rank", 0);
    uint64_t l_cache = cint_or(&c, "conv_L_cache", 0);
    if (lk > 4096 || lv > 4096 || dk > 4096 || dv > 4096 || lconv > 64 || m_heads > 65536 ||
        m_dhead > 65536 || m_state > 65536 || m_conv > 64 || m_groups > 4096 || m_expand > 64 ||
        m_dtrank > 65536 || l_cache > 64)
        return og_error_set(err, OG_ERR_INVALID, "%s: recurrent state sizes are implausibly large",
                            name);
    int gdn = strcmp(arch, "qwen3next") == 0 || strcmp(arch, "qwen35") == 0 ||
              strcmp(arch, "qwen35moe") == 0;
    if (gdn) {
        if (!has_types) {
            uint64_t n = cint_or(&c, "full_attention_interval", 4);
            if (!n)
                n = 4;
            for (uint32_t i = 0; i < n_main; i++)
                hp->is_recurrent[i] = (i + 1) % n != 0;
        }
        hp->ssm_d_conv = (uint32_t)lconv;
        hp->ssm_d_state = (uint32_t)dk;
        hp->ssm_n_group = (uint32_t)lk;
        hp->ssm_dt_rank = (uint32_t)lv;
        hp->ssm_d_inner = (uint32_t)(dv * lv);
    } else if (strcmp(arch, "jamba") == 0) {
        uint64_t per = cint_or(&c, "attn_layer_period", 8),
                 off = cint_or(&c, "attn_layer_offset", 4);
        if (!has_types)
            for (uint32_t i = 0; i < n_main; i++)
                hp->is_recurrent[i] = !(per && i % per == off);
        hp->ssm_d_inner = (uint32_t)((m_expand ? m_expand : 2) * H);
        hp->ssm_d_conv = (uint32_t)m_conv;
        hp->ssm_d_state = (uint32_t)m_state;
        hp->ssm_dt_rank = (uint32_t)(m_dtrank ? m_dtrank : (H + 15) / 16);
    } else if (strcmp(arch, "nemotron_h") == 0) {
        const char *pat = cstr(&c, "hybrid_override_pattern");
        for (uint32_t i = 0; pat && i < n_main && pat[i]; i++) {
            hp->is_recurrent[i] = pat[i] == 'M';
            hp->is_moe[i] = pat[i] == 'E';
            if (pat[i] != '-' && pat[i] != 'E')
                hp->n_ff[i] = 0;
            if (pat[i] != '*')
                hp->n_head_kv[i] = 0;
        }
    } else if (strcmp(arch, "mamba") == 0 || strcmp(arch, "mamba2") == 0 ||
               strcmp(arch, "falcon-h1") == 0) {
        for (uint32_t i = 0; i < n_main; i++)
            hp->is_recurrent[i] = 1;
    } else if (strcmp(arch, "lfm2") == 0 || strcmp(arch, "lfm2moe") == 0) {
        json_t *fa = cget(&c, "full_attn_idxs");
        if (!has_types && json_is_array(fa)) {
            for (uint32_t i = 0; i < n_main; i++)
                hp->is_recurrent[i] = 1;
            size_t k;
            json_t *x;
            json_array_foreach(fa, k, x)
            {
                if (json_is_integer(x) && json_integer_value(x) >= 0 &&
                    json_integer_value(x) < (json_int_t)n_main)
                    hp->is_recurrent[json_integer_value(x)] = 0;
            }
        }
        hp->shortconv_l_cache = (uint32_t)l_cache;
    }
    if (m_heads || m_state) {
        hp->ssm_d_conv = hp->ssm_d_conv ? hp->ssm_d_conv : (uint32_t)m_conv;
        hp->ssm_d_state = hp->ssm_d_state ? hp->ssm_d_state : (uint32_t)m_state;
        hp->ssm_n_group = hp->ssm_n_group ? hp->ssm_n_group : (uint32_t)m_groups;
        if (!hp->ssm_d_inner)
            hp->ssm_d_inner =
                (uint32_t)(m_heads && m_dhead ? m_heads * m_dhead : (m_expand ? m_expand : 2) * H);
        if (!hp->ssm_dt_rank)
            hp->ssm_dt_rank = (uint32_t)m_heads;
    }
    /* Hybrids whose converter writes head_count_kv 0 on state layers. */
    if (!gdn)
        for (uint32_t i = 0; i < n_main; i++)
            if (hp->is_recurrent[i] && strcmp(arch, "falcon-h1") != 0)
                hp->n_head_kv[i] = 0;

    /* Gemma 3n / 4: the last num_kv_shared_layers reuse earlier KV. */
    uint64_t kv_shared = cint_or(&c, "num_kv_shared_layers", 0);
    if (kv_shared && kv_shared < L)
        hp->n_layer_kv_from_start = (uint32_t)(L - kv_shared);

    /* Tied embeddings: explicit, else the transformers class default
     * (Gemma configs default to tied, PretrainedConfig to tied, most
     * decoder classes override it to untied). */
    static const char *const tied_default[] = {
        "gemma", "gemma2", "gemma3", "gemma3n", "gemma4", "gemma-embedding", "gpt2", "bert", NULL};
    int tie_def = arch_in(arch, tied_default) || !known;
    json_t *tw = c.text ? json_object_get(c.text, "tie_word_embeddings") : NULL;
    if (!json_is_boolean(tw))
        tw = json_object_get(root, "tie_word_embeddings");
    hp->tied_embeddings = json_is_boolean(tw) ? json_is_true(tw) : tie_def;

    static const char *const encoders[] = {"bert",         "modern-bert", "neo-bert", "eurobert",
                                           "jina-bert-v2", "t5encoder",   NULL};
    if (arch_in(arch, encoders))
        hp->causal = 0;

    og_hparams_finish(hp);
    if (c.st != OG_OK)
        return c.st;
    /* A model with attention layers needs attention heads: 0 is not a shape
     * any engine can run (pure recurrent models have no attention layers). */
    int attention_layers = 0;
    for (uint32_t i = 0; i < hp->n_layer; i++)
        attention_layers |= !hp->is_recurrent[i];
    if (attention_layers && hp->n_head[0] == 0 && cget(&c, "num_attention_heads"))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: key 'num_attention_heads' is 0 but the model has attention "
                            "layers",
                            name);

    /* dtype */
    const char *dt = cstr(&c, "torch_dtype");
    if (!dt)
        dt = cstr(&c, "dtype");
    if (dt)
        og_strlcpy(m->dtype, dt, sizeof m->dtype);

    /* ---- parameter count (formats-and-math.md 4.7) ---- */
    pcount p = {0, 0, 0, 0};
    static const char *const qk_norm_archs[] = {"qwen3",   "qwen3moe",  "qwen3next",
                                                "qwen35",  "qwen35moe", "gemma3",
                                                "gemma3n", "gemma4",    NULL};
    static const char *const qkv_bias_archs[] = {"qwen2", "qwen2moe", "qwen2vl", NULL};
    static const char *const four_norms[] = {"gemma2", "gemma3", "gemma3n", "gemma4", NULL};
    int qk_norm = arch_in(arch, qk_norm_archs) || cbool(&c, "use_qk_norm", 0);
    int attn_bias = cbool(&c, "attention_bias", 0);
    int qkv_bias = attn_bias || arch_in(arch, qkv_bias_archs);
    int o_bias = attn_bias; /* attention_bias: q, k, v and o all biased */
    int gated_q = cbool(&c, "attn_output_gate", gdn);
    uint64_t hdv = hd;
    padd(&p, &p.other, V, H, 1);
    if (!hp->tied_embeddings)
        padd(&p, &p.other, V, H, 1);
    padd(&p, &p.other, H, 1, 1); /* final norm */
    for (uint32_t il = 0; il < nl; il++) {
        padd(&p, &p.other, H, arch_in(arch, four_norms) ? 4 : 2, 1);
        if (!hp->is_recurrent[il] && hp->n_head_kv[il]) {
            if (hp->is_mla) {
                if (q_lora) {
                    padd(&p, &p.matrix, H, q_lora, 1);
                    padd(&p, &p.other, q_lora, 1, 1);
                    padd(&p, &p.matrix, q_lora, nq, nope + rope);
                } else {
                    padd(&p, &p.matrix, H, nq, nope + rope);
                }
                padd(&p, &p.matrix, H, kv_lora + rope, 1);
                padd(&p, &p.other, kv_lora, 1, 1);
                padd(&p, &p.matrix, kv_lora, nq, nope + vhd);
                padd(&p, &p.matrix, nq, vhd, H);
                if (idx_heads && idx_dim) { /* DeepSeek-V3.2 indexer */
                    padd(&p, &p.matrix, q_lora ? q_lora : H, idx_heads, idx_dim);
                    padd(&p, &p.matrix, H, idx_dim, 1);
                    padd(&p, &p.matrix, H, idx_heads, 1);
                    padd(&p, &p.other, idx_dim, 2, 1);
                }
            } else {
                uint64_t kvh = nkv;
                padd(&p, &p.matrix, H, nq * hd, gated_q ? 2 : 1);
                padd(&p, &p.matrix, H, kvh * hd, 1);
                padd(&p, &p.matrix, H, kvh * hdv, 1);
                padd(&p, &p.matrix, nq * hdv, H, 1);
                if (qkv_bias)
                    padd(&p, &p.other, nq * hd + kvh * hd + kvh * hdv, 1, 1);
                if (o_bias)
                    padd(&p, &p.other, H, 1, 1);
                if (qk_norm)
                    padd(&p, &p.other, hd, 2, 1);
                if (strcmp(arch, "gpt-oss") == 0)
                    padd(&p, &p.other, nq, 1, 1); /* attention sinks */
            }
        } else if (hp->is_recurrent[il]) {
            if (gdn) {
                uint64_t kd = lk * dk, vd = lv * dv;
                padd(&p, &p.matrix, H, 2 * kd + 2 * vd, 1); /* in_proj_qkvz */
                padd(&p, &p.matrix, H, 2 * lv, 1);          /* in_proj_ba */
                padd(&p, &p.other, 2 * kd + vd, lconv, 1);  /* conv1d */
                padd(&p, &p.other, 2 * lv + dv, 1, 1);      /* dt_bias, A_log, norm */
                padd(&p, &p.matrix, vd, H, 1);              /* out_proj */
            } else if (strcmp(arch, "jamba") == 0 || strcmp(arch, "mamba") == 0) {
                uint64_t di = hp->ssm_d_inner, ds = hp->ssm_d_state, r = hp->ssm_dt_rank;
                padd(&p, &p.matrix, H, 2 * di, 1);
                padd(&p, &p.other, di, hp->ssm_d_conv + 1, 1);
                padd(&p, &p.matrix, di, r + 2 * ds, 1);
                padd(&p, &p.matrix, r, di, 1);
                padd(&p, &p.other, di, ds + 2, 1);
                padd(&p, &p.matrix, di, H, 1);
            } else if (strcmp(arch, "lfm2") == 0 || strcmp(arch, "lfm2moe") == 0) {
                padd(&p, &p.matrix, H, 3 * H, 1);
                padd(&p, &p.other, H, l_cache, 1);
                padd(&p, &p.matrix, H, H, 1);
            } else {
                /* Mamba 2 (granitehybrid, nemotron_h, falcon-h1, mamba2). */
                uint64_t di = hp->ssm_d_inner, ng = hp->ssm_n_group, ds = hp->ssm_d_state;
                uint64_t nh = m_heads ? m_heads : hp->ssm_dt_rank;
                uint64_t conv = di + 2 * ng * ds;
                padd(&p, &p.matrix, H, di + conv + nh, 1);
                padd(&p, &p.other, conv, hp->ssm_d_conv + 1, 1);
                padd(&p, &p.other, nh, 3, 1);
                padd(&p, &p.other, di, 1, 1);
                padd(&p, &p.matrix, di, H, 1);
            }
        }
        if (hp->is_moe[il] && E) {
            uint64_t fe = hp->n_ff_exp;
            padd(&p, &p.other, H, E, 1); /* router */
            padd(&p, &p.expert, E, 3 * H, fe);
            if (strcmp(arch, "gpt-oss") == 0) {
                padd(&p, &p.other, E, 1, 1);
                padd(&p, &p.other, E, 2 * fe + H, 1);
            }
            if (cstr(&c, "topk_method") && strcmp(cstr(&c, "topk_method"), "noaux_tc") == 0)
                padd(&p, &p.other, E, 1, 1); /* e_score_correction_bias */
            uint64_t ns = cint_or(&c, "n_shared_experts", 0);
            if (ns && !hp->n_ff_shexp)
                padd(&p, &p.matrix, ns * 3, H, fe);
            else if (hp->n_ff_shexp) {
                padd(&p, &p.matrix, 3 * H, hp->n_ff_shexp, ns ? ns : 1);
                if (arch_in(arch,
                            (const char *const[]){"qwen2moe", "qwen3next", "qwen35moe", NULL}))
                    padd(&p, &p.other, H, 1, 1); /* shared_expert_gate */
            }
        } else if (hp->n_ff[il]) {
            padd(&p, &p.matrix, 3 * H, hp->n_ff[il], 1);
        }
    }
    int ok;
    uint64_t total = ptotal(&p, &ok);
    if (!ok)
        return og_error_set(err, OG_ERR_INVALID, "%s: parameter count overflows 64 bits", name);
    *config_params = total;

    /* Bytes the weights would take as published. */
    uint64_t bpp = 2;
    if (dt && (strcmp(dt, "float32") == 0 || strcmp(dt, "fp32") == 0))
        bpp = 4;
    else if (dt && strcmp(dt, "float64") == 0)
        bpp = 8;
    json_t *qc = cget(&c, "quantization_config");
    const char *qm =
        json_is_object(qc) ? json_string_value(json_object_get(qc, "quant_method")) : NULL;
    uint64_t wb = 0;
    if (qm && strcmp(qm, "mxfp4") == 0) {
        /* gpt-oss: experts in MXFP4 (4.25 bits), the rest as stored. */
        wb = p.expert / 32 * 17 + (p.matrix + p.other) * bpp;
        og_strlcpy(m->quant_label, "MXFP4", sizeof m->quant_label);
    } else if (qm && strcmp(qm, "fp8") == 0) {
        /* DeepSeek-V3 style: layer matrices in FP8 with an F32 scale per
         * 128x128 block; embeddings, output and norms as stored. */
        uint64_t mat = p.expert + p.matrix;
        wb = mat + mat / (128 * 128) * 4 + p.other * bpp;
        og_strlcpy(m->quant_label, "FP8", sizeof m->quant_label);
    } else {
        wb = total * bpp;
        if (qm) {
            char lab[32];
            og_strlcpy(lab, qm, sizeof lab);
            for (char *s = lab; *s; s++)
                if (*s >= 'a' && *s <= 'z')
                    *s = (char)(*s - 'a' + 'A');
            og_strlcpy(m->quant_label, lab, sizeof m->quant_label);
        } else if (dt) {
            og_strlcpy(m->quant_label,
                       bpp == 4 ? "F32" : (strcmp(dt, "float16") == 0 ? "F16" : "BF16"),
                       sizeof m->quant_label);
        }
    }
    if (m->format == OG_FORMAT_HF_CONFIG)
        m->weight_bytes = wb;
    return OG_OK;
}

og_status og_hf_config_model(json_t *root, const char *name, og_model **out, og_error *err)
{
    og_model *m = og_model_new(OG_FORMAT_HF_CONFIG, name);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", name);
    uint64_t params;
    og_status st = og_hf_config_fill(root, name, m, &params, err);
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    m->n_params = params;
    *out = m;
    return OG_OK;
}

og_status og_hf_config_parse_buffer(const char *json, size_t len, const char *name, og_model **out,
                                    og_error *err)
{
    *out = NULL;
    if (!name)
        name = "config.json";
    json_t *root;
    og_status st = og_json_load_buffer(json, len, name, &root, err);
    if (st != OG_OK)
        return st;
    st = og_hf_config_model(root, name, out, err);
    json_decref(root);
    return st;
}
