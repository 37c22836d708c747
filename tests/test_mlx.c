/* MLX memory model tests: weight bytes of MLX-format tensor lists, the
 * conversion rules of mlx_lm.convert, mlx-lm's caches, verdict and advice.
 *
 * Models are built in memory with the tensor shapes mlx_lm.convert writes
 * (the MLX folder reader lands separately); expected values are computed
 * here from the shape formulas of mlx/ops.cpp and mlx_lm/models/cache.py,
 * independently of the library's code paths. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "oomguard/cluster.h"
#include "oomguard/mlx.h"
#include "oomguard/oomguard.h"

/* ---- building models ---- */

static uint64_t dsize(const char *dt)
{
    if (!strcmp(dt, "U32") || !strcmp(dt, "F32"))
        return 4;
    if (!strcmp(dt, "U8"))
        return 1;
    return 2;
}

static void push(og_model *m, const char *name, const char *dt, uint32_t nd, uint64_t d0,
                 uint64_t d1, uint64_t d2)
{
    og_tensor t;
    memset(&t, 0, sizeof t);
    t.name = strdup(name);
    t.type_name = !strcmp(dt, "U32")   ? "U32"
                  : !strcmp(dt, "U8")  ? "U8"
                  : !strcmp(dt, "F32") ? "F32"
                  : !strcmp(dt, "F16") ? "F16"
                                       : "BF16";
    t.ggml_type = -1;
    t.n_dims = nd;
    t.dims[0] = d0;
    t.dims[1] = d1;
    t.dims[2] = d2;
    uint64_t n = d0 * (nd > 1 ? d1 : 1) * (nd > 2 ? d2 : 1);
    t.n_elements = n;
    t.bytes = n * dsize(dt);
    ck_assert_int_eq(og_model_push_tensor(m, &t, NULL), OG_OK);
}

/* A quantized Linear as mlx/ops.cpp affine_quantize shapes it. Returns bytes. */
static uint64_t push_q(og_model *m, const char *path, uint64_t out, uint64_t in, uint32_t bits,
                       uint32_t group)
{
    char n[160];
    snprintf(n, sizeof n, "%s.weight", path);
    push(m, n, "U32", 2, out, in * bits / 32, 0);
    snprintf(n, sizeof n, "%s.scales", path);
    push(m, n, "BF16", 2, out, in / group, 0);
    snprintf(n, sizeof n, "%s.biases", path);
    push(m, n, "BF16", 2, out, in / group, 0);
    return out * in * bits / 8 + 2 * 2 * out * (in / group);
}

typedef struct tiny {
    uint32_t L;
    uint64_t E, V, F, H, Hkv, hd;
} tiny;

static void set_hp(og_model *m, const tiny *t, const char *arch)
{
    og_hparams *hp = &m->hp;
    snprintf(hp->arch, sizeof hp->arch, "%s", arch);
    hp->n_layer_all = hp->n_layer = t->L;
    hp->n_embd = t->E;
    hp->n_vocab = t->V;
    hp->n_ctx_train = 131072;
    for (uint32_t i = 0; i < t->L; i++) {
        hp->n_head[i] = (uint32_t)t->H;
        hp->n_head_kv[i] = (uint32_t)t->Hkv;
        hp->n_ff[i] = t->F;
    }
    hp->head_dim_k = hp->head_dim_v = (uint32_t)t->hd;
    hp->causal = 1;
}

/* The unquantized (Hugging Face) tensor list of a Llama-shaped model. */
static og_model *hf_model(const tiny *t, const char *arch, int tied)
{
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, "hf-test");
    ck_assert_ptr_nonnull(m);
    set_hp(m, t, arch);
    m->hp.tied_embeddings = tied;
    snprintf(m->dtype, sizeof m->dtype, "bfloat16");
    push(m, "model.embed_tokens.weight", "BF16", 2, t->V, t->E, 0);
    if (!tied)
        push(m, "lm_head.weight", "BF16", 2, t->V, t->E, 0);
    push(m, "model.norm.weight", "BF16", 1, t->E, 0, 0);
    for (uint32_t i = 0; i < t->L; i++) {
        char n[128];
#define P(suf, d0, d1, nd)                                                                         \
    snprintf(n, sizeof n, "model.layers.%u.%s.weight", i, suf);                                    \
    push(m, n, "BF16", nd, d0, d1, 0)
        P("input_layernorm", t->E, 0, 1);
        P("post_attention_layernorm", t->E, 0, 1);
        P("self_attn.q_proj", t->H * t->hd, t->E, 2);
        P("self_attn.k_proj", t->Hkv * t->hd, t->E, 2);
        P("self_attn.v_proj", t->Hkv * t->hd, t->E, 2);
        P("self_attn.o_proj", t->E, t->H * t->hd, 2);
        P("mlp.gate_proj", t->F, t->E, 2);
        P("mlp.up_proj", t->F, t->E, 2);
        P("mlp.down_proj", t->E, t->F, 2);
#undef P
    }
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    return m;
}

/* What mlx_lm.convert -q --q-bits bits --q-group-size group writes for that
 * model, as an MLX-format tensor list; *expect receives the data bytes. */
static og_model *mlx_model(const tiny *t, const char *arch, uint32_t bits, uint32_t group,
                           uint64_t *expect)
{
    og_model *m = og_model_new(OG_FORMAT_MLX, "mlx-test");
    ck_assert_ptr_nonnull(m);
    set_hp(m, t, arch);
    m->mlx.quantized = 1;
    m->mlx.bits = bits;
    m->mlx.group_size = group;
    snprintf(m->mlx.mode, sizeof m->mlx.mode, "affine");
    uint64_t b = 0;
    b += push_q(m, "model.embed_tokens", t->V, t->E, bits, group);
    b += push_q(m, "lm_head", t->V, t->E, bits, group);
    push(m, "model.norm.weight", "BF16", 1, t->E, 0, 0);
    b += 2 * t->E;
    for (uint32_t i = 0; i < t->L; i++) {
        char n[128];
        snprintf(n, sizeof n, "model.layers.%u.input_layernorm.weight", i);
        push(m, n, "BF16", 1, t->E, 0, 0);
        snprintf(n, sizeof n, "model.layers.%u.post_attention_layernorm.weight", i);
        push(m, n, "BF16", 1, t->E, 0, 0);
        b += 4 * t->E;
#define Q(suf, o, in)                                                                              \
    snprintf(n, sizeof n, "model.layers.%u.%s", i, suf);                                           \
    b += push_q(m, n, o, in, bits, group)
        Q("self_attn.q_proj", t->H * t->hd, t->E);
        Q("self_attn.k_proj", t->Hkv * t->hd, t->E);
        Q("self_attn.v_proj", t->Hkv * t->hd, t->E);
        Q("self_attn.o_proj", t->E, t->H * t->hd);
        Q("mlp.gate_proj", t->F, t->E);
        Q("mlp.up_proj", t->F, t->E);
        Q("mlp.down_proj", t->E, t->F);
#undef Q
    }
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    *expect = b;
    return m;
}

static const tiny LLAMA8B = {32, 4096, 128256, 14336, 32, 8, 128};
static const tiny SMALL = {4, 256, 1000, 512, 4, 2, 64};

static og_mlx_plan_result plan_of(const og_model *m, const og_mlx_settings *s)
{
    og_mlx_plan_result r;
    og_error e;
    og_status st = og_mlx_plan(m, s, &r, &e);
    ck_assert_msg(st == OG_OK, "plan failed: %s", e.message);
    return r;
}

/* ---- weights ---- */

START_TEST(test_mlx_exact_weights)
{
    uint64_t expect = 0;
    og_model *m = mlx_model(&LLAMA8B, "llama", 4, 64, &expect);
    og_mlx_plan_result r = plan_of(m, NULL);
    ck_assert_uint_eq(r.weights_data_bytes, expect);
    ck_assert_uint_eq(r.weights_data_bytes, m->weight_bytes);
    ck_assert_int_eq(r.hypothetical, 0);
    /* page rounding never loses bytes and adds < 16 KiB per tensor */
    ck_assert_uint_ge(r.weights_bytes, r.weights_data_bytes);
    ck_assert_uint_lt(r.weights_bytes - r.weights_data_bytes, (uint64_t)m->n_tensors * 16384);
    /* the packed embedding is the largest array: [128256, 4096/8] uint32 */
    ck_assert_uint_eq(r.largest_buffer_bytes, 128256ull * 512 * 4);
    ck_assert_str_eq(r.largest_buffer, "model.embed_tokens.weight");
    ck_assert_str_eq(r.dtype, "bf16");
    og_model_free(m);
}
END_TEST

START_TEST(test_convert_matches_mlx_layout)
{
    /* The conversion rules applied to the HF tensors give exactly the bytes
     * of the MLX tensor list mlx_lm.convert writes, for every bit width and
     * group size mlx supports. */
    const uint32_t bits[] = {2, 3, 4, 5, 6, 8};
    const uint32_t groups[] = {32, 64, 128};
    og_model *hf = hf_model(&LLAMA8B, "llama", 0);
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 3; j++) {
            uint64_t expect = 0;
            og_model *mx = mlx_model(&LLAMA8B, "llama", bits[i], groups[j], &expect);
            og_mlx_settings s;
            og_mlx_settings_default(&s);
            s.q_bits = bits[i];
            s.q_group_size = groups[j];
            og_mlx_plan_result a = plan_of(hf, &s);
            og_mlx_plan_result b = plan_of(mx, NULL);
            ck_assert_int_eq(a.hypothetical, 1);
            ck_assert_uint_eq(a.weights_data_bytes, expect);
            ck_assert_uint_eq(a.weights_data_bytes, b.weights_data_bytes);
            ck_assert_uint_eq(a.weights_bytes, b.weights_bytes);
            og_model_free(mx);
        }
    og_model_free(hf);
}
END_TEST

START_TEST(test_hparams_matches_tensors)
{
    /* A config-only model (hyper-parameters, no tensors) derives the same
     * module shapes as the tensor list. */
    og_model *hf = hf_model(&LLAMA8B, "llama", 0);
    og_model *cfg = og_model_new(OG_FORMAT_HF_CONFIG, "config.json");
    set_hp(cfg, &LLAMA8B, "llama");
    snprintf(cfg->dtype, sizeof cfg->dtype, "bfloat16");
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    og_mlx_plan_result a = plan_of(hf, &s);
    og_mlx_plan_result b = plan_of(cfg, &s);
    ck_assert_int_eq(b.from_hparams, 1);
    ck_assert_uint_eq(a.weights_data_bytes, b.weights_data_bytes);
    /* unquantized: bf16 bytes = 2 x parameters */
    s.q_bits = 0;
    a = plan_of(hf, &s);
    b = plan_of(cfg, &s);
    ck_assert_uint_eq(a.weights_data_bytes, hf->weight_bytes);
    ck_assert_uint_eq(b.weights_data_bytes, hf->weight_bytes);
    og_model_free(hf);
    og_model_free(cfg);
}
END_TEST

START_TEST(test_group_must_divide)
{
    /* utils.py wrapped_predicate: weight.shape[-1] % group_size != 0 stays
     * unquantized (in the model dtype) */
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, "x");
    set_hp(m, &SMALL, "qwen2");
    push(m, "model.layers.0.mlp.down_proj.weight", "BF16", 2, 256, 100, 0); /* 100 % 64 != 0 */
    push(m, "model.layers.0.mlp.up_proj.weight", "BF16", 2, 100, 256, 0);   /* 256 % 64 == 0 */
    push(m, "model.layers.0.input_layernorm.weight", "F32", 1, 256, 0, 0);  /* norm: dtype */
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t expect = 256 * 100 * 2                     /* kept bf16 */
                      + 100 * 256 / 2 + 2 * 2 * 100 * 4 /* 4-bit g64 */
                      + 256 * 2;                        /* F32 norm cast to bf16 */
    ck_assert_uint_eq(r.weights_data_bytes, expect);
    og_model_free(m);
}
END_TEST

START_TEST(test_fp_modes)
{
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, "x");
    set_hp(m, &SMALL, "qwen2");
    push(m, "model.layers.0.mlp.up_proj.weight", "BF16", 2, 512, 256, 0);
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    snprintf(s.q_mode, sizeof s.q_mode, "mxfp4");
    /* q_group_size 0 = mode default 32: uint8 scales, no biases */
    ck_assert_uint_eq(plan_of(m, &s).weights_data_bytes, 512 * 256 / 2 + 512 * 256 / 32);
    snprintf(s.q_mode, sizeof s.q_mode, "nvfp4");
    ck_assert_uint_eq(plan_of(m, &s).weights_data_bytes, 512 * 256 / 2 + 512 * 256 / 16);
    s.q_bits = 8;
    snprintf(s.q_mode, sizeof s.q_mode, "mxfp8");
    ck_assert_uint_eq(plan_of(m, &s).weights_data_bytes, 512 * 256 + 512 * 256 / 32);
    /* mxfp4 with group 64 is not something MLX accepts */
    s.q_bits = 4;
    s.q_group_size = 64;
    snprintf(s.q_mode, sizeof s.q_mode, "mxfp4");
    og_mlx_plan_result r;
    og_error e;
    ck_assert_int_eq(og_mlx_plan(m, &s, &r, &e), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.message, "--q-bits"));
    og_model_free(m);
}
END_TEST

START_TEST(test_mixed_recipe)
{
    /* convert.py mixed_3_6 on 8 layers: v_proj / down_proj at 6 bits on
     * layers 0 (< 8/8), 7 (>= 7*8/8) and 3, 6 ((i - 1) % 3 == 2); lm_head 6 bits */
    tiny t = {8, 256, 1024, 512, 4, 2, 64};
    og_model *m = hf_model(&t, "qwen2", 0);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 3; /* the recipe decides the bits */
    snprintf(s.q_recipe, sizeof s.q_recipe, "mixed_3_6");
    og_mlx_plan_result r = plan_of(m, &s);
#define QB(o, in, b) ((uint64_t)(o) * (in) * (b) / 8 + 4ull * (o) * ((in) / 64))
    uint64_t e = QB(1024, 256, 3) + QB(1024, 256, 6) + 256 * 2;
    for (int i = 0; i < 8; i++) {
        int hi = i < 1 || i >= 7 || (i - 1) % 3 == 2;
        e += 2 * 256 * 2;
        e += QB(256, 256, 3) + QB(128, 256, 3) + QB(128, 256, hi ? 6 : 3) + QB(256, 256, 3);
        e += QB(512, 256, 3) + QB(512, 256, 3) + QB(256, 512, hi ? 6 : 3);
    }
#undef QB
    ck_assert_uint_eq(r.weights_data_bytes, e);
    og_model_free(m);
}
END_TEST

START_TEST(test_moe_router_and_experts)
{
    /* qwen3_moe.py quant_predicate: mlp.gate at 8 bits g64; per-expert HF
     * tensors are stacked into one SwitchLinear buffer per projection */
    tiny t = {2, 256, 1000, 0, 4, 2, 64};
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, "moe");
    set_hp(m, &t, "qwen3moe");
    for (int l = 0; l < 2; l++) {
        char n[128];
        snprintf(n, sizeof n, "model.layers.%d.mlp.gate.weight", l);
        push(m, n, "BF16", 2, 8, 256, 0);
        for (int x = 0; x < 8; x++) {
            snprintf(n, sizeof n, "model.layers.%d.mlp.experts.%d.up_proj.weight", l, x);
            push(m, n, "BF16", 2, 128, 256, 0);
        }
    }
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    s.ctx = 256; /* keep the KV buffers smaller than the weights */
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t router = 8 * 256 * 8 / 8 + 4 * 8 * 4;        /* 8-bit g64 */
    uint64_t experts = 8 * (128 * 256 / 2 + 4 * 128 * 4); /* 4-bit g64 */
    ck_assert_uint_eq(r.weights_data_bytes, 2 * (router + experts));
    /* the stacked packed weight [8*128, 32] uint32 is one buffer */
    ck_assert_uint_eq(r.largest_buffer_bytes, 8 * 128 * 256 / 2);
    og_model_free(m);

    /* deepseek_v3.py MoEGate is not an nn.Linear: stays bf16 */
    m = og_model_new(OG_FORMAT_SAFETENSORS, "ds");
    set_hp(m, &t, "deepseek2");
    push(m, "model.layers.0.mlp.gate.weight", "BF16", 2, 8, 256, 0);
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    ck_assert_uint_eq(plan_of(m, &s).weights_data_bytes, 8 * 256 * 2);
    og_model_free(m);
}
END_TEST

START_TEST(test_tied_and_dropped)
{
    og_model *m = hf_model(&SMALL, "qwen2", 1);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    uint64_t base = plan_of(m, &s).weights_data_bytes;
    ck_assert_uint_eq(base, m->weight_bytes);
    /* a vision tower and an lm_head duplicate of tied embeddings are dropped */
    push(m, "vision_tower.blocks.0.attn.qkv.weight", "BF16", 2, 768, 256, 0);
    push(m, "lm_head.weight", "BF16", 2, SMALL.V, SMALL.E, 0);
    ck_assert_int_eq(og_model_summarize(m, NULL), OG_OK);
    ck_assert_uint_eq(plan_of(m, &s).weights_data_bytes, base);
    og_model_free(m);
}
END_TEST

/* ---- caches ---- */

START_TEST(test_kv_llama8b)
{
    /* 32 layers x 8 KV heads x 128 x (K + V) x bf16 = 128 KiB per token;
     * ctx 4096 as prompt: chunks 2048 + 2047 + 1 -> capacity 4096 */
    uint64_t ex;
    og_model *m = mlx_model(&LLAMA8B, "llama", 4, 64, &ex);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    og_mlx_plan_result r = plan_of(m, &s);
    ck_assert_uint_eq(r.kv_per_token_bytes, 131072);
    ck_assert_uint_eq(r.kv_bytes, 4096ull * 131072);
    ck_assert_uint_eq(r.n_kv_layers, 32);
    ck_assert_uint_ge(r.peak_bytes, r.total_bytes);
    ck_assert_uint_eq(r.total_bytes, r.weights_bytes + r.kv_bytes);
    ck_assert_uint_eq(r.peak_bytes, r.weights_bytes + r.kv_at_peak_bytes + r.compute_bytes);
    /* prompt 100, generate to 1000: 99-token chunk -> 256 slots, then decode
     * grows 256 at a time: 1024 slots */
    s.ctx = 1000;
    s.prompt_tokens = 100;
    r = plan_of(m, &s);
    ck_assert_uint_eq(r.kv_bytes, 1024ull * 131072);
    /* 300-token prompt: chunk of 299 -> 512 slots; decode to 600 -> 768 */
    s.ctx = 600;
    s.prompt_tokens = 300;
    r = plan_of(m, &s);
    ck_assert_uint_eq(r.kv_bytes, 768ull * 131072);
    /* llama.py defines make_cache: --max-kv-size is ignored */
    s.ctx = 8192;
    s.prompt_tokens = 0;
    s.max_kv_size = 1024;
    r = plan_of(m, &s);
    ck_assert_int_eq(r.max_kv_size_ignored, 1);
    ck_assert_uint_eq(r.kv_bytes, 8192ull * 131072);
    og_model_free(m);
}
END_TEST

START_TEST(test_rotating_max_kv)
{
    /* qwen2.py has no make_cache: RotatingKVCache(max_kv_size, keep=4) */
    uint64_t ex;
    og_model *m = mlx_model(&LLAMA8B, "qwen2", 4, 64, &ex);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 8192;
    s.max_kv_size = 1024;
    og_mlx_plan_result r = plan_of(m, &s);
    ck_assert_int_eq(r.max_kv_size_ignored, 0);
    ck_assert_uint_eq(r.n_rotating_layers, 32);
    /* decode trims to max_size slots */
    ck_assert_uint_eq(r.kv_bytes, 1024ull * 131072);
    /* during a later 2048-token prefill chunk the cache holds max_size - 1 +
     * 2048 slots: a moment the peak covers (the peak itself may be the first
     * chunk, whose command buffers hold more activations) */
    ck_assert_uint_ge(r.peak_bytes, r.weights_bytes + (1023ull + 2048) * 131072);
    ck_assert_uint_ge(r.kv_at_peak_bytes, 1024ull * 131072);
    og_model_free(m);
}
END_TEST

START_TEST(test_quantized_kv)
{
    uint64_t ex;
    og_model *m = mlx_model(&LLAMA8B, "llama", 4, 64, &ex);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    s.kv_bits = 8;
    s.quantized_kv_start = 0;
    og_mlx_plan_result r = plan_of(m, &s);
    /* QuantizedKVCache: per head per token 128/4 uint32 + 2 x (128/64) bf16 = 136 B
     * for K and for V: 32 layers x 8 heads x 272 B */
    ck_assert_int_eq(r.kv_quantized, 1);
    ck_assert_uint_eq(r.kv_bytes, 4096ull * 32 * 8 * 272);
    /* the CLI default start 5000: a 4096-token run never quantizes */
    s.quantized_kv_start = 5000;
    r = plan_of(m, &s);
    ck_assert_int_eq(r.kv_quantized, 0);
    ck_assert_uint_eq(r.kv_bytes, 4096ull * 131072);
    s.kv_bits = 7;
    og_error e;
    ck_assert_int_eq(og_mlx_plan(m, &s, &r, &e), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(e.message, "--kv-bits"));
    og_model_free(m);
}
END_TEST

START_TEST(test_sliding_window_gemma)
{
    /* gemma3_text.py make_cache: RotatingKVCache(sliding_window) on 5 of
     * every 6 layers, KVCache on the rest; head dim 256 (unfused prefill) */
    tiny t = {6, 2560, 262144, 10240, 8, 4, 256};
    uint64_t ex;
    og_model *m = mlx_model(&t, "gemma3", 4, 64, &ex);
    m->hp.n_swa = 1024;
    m->hp.swa_type = OG_SWA_STANDARD;
    for (int i = 0; i < 6; i++)
        m->hp.is_swa[i] = (i % 6) != 5;
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 32768;
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t slot = 4ull * 512 * 2; /* 4 heads x (256 + 256) x bf16 */
    ck_assert_uint_eq(r.n_rotating_layers, 5);
    ck_assert_uint_eq(r.n_kv_layers, 1);
    ck_assert_uint_eq(r.kv_bytes, 5 * 1024 * slot + 32768 * slot);
    ck_assert_int_eq(r.fused_sdpa, 0);
    /* unfused scores of the full layer: 8 heads x 2048 x ~32768 x 2 B */
    ck_assert_uint_ge(r.scores_bytes, 8ull * 2047 * 30000 * 2);
    og_model_free(m);
}
END_TEST

START_TEST(test_state_layers)
{
    /* qwen3_next.py: ArraysCache(2) on linear layers: conv state
     * [3, d_inner + 2 * n_group * d_state] bf16 + recurrent [d_inner * d_state] f32 */
    tiny t = {4, 2048, 151936, 5120, 16, 2, 256};
    uint64_t ex;
    og_model *m = mlx_model(&t, "qwen3next", 4, 64, &ex);
    m->hp.ssm_d_conv = 4;
    m->hp.ssm_d_inner = 4096;
    m->hp.ssm_d_state = 128;
    m->hp.ssm_n_group = 16;
    for (int i = 0; i < 4; i++)
        m->hp.is_recurrent[i] = (i % 4) != 3;
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 1024;
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t state = 3ull * (4096 + 2 * 16 * 128) * 2 + 4096ull * 128 * 4;
    ck_assert_uint_eq(r.n_state_layers, 3);
    ck_assert_uint_eq(r.kv_bytes, 3 * state + 1024ull * 2 * 512 * 2);
    og_model_free(m);
}
END_TEST

START_TEST(test_mla_cache)
{
    /* deepseek_v3.py: latent (512) + rope key (64), one head, bf16 = 1152 B per layer-token */
    tiny t = {4, 7168, 129280, 18432, 128, 128, 128};
    og_model *m = og_model_new(OG_FORMAT_HF_CONFIG, "ds");
    set_hp(m, &t, "deepseek2");
    m->hp.is_mla = 1;
    m->hp.kv_lora_rank = 512;
    m->hp.q_lora_rank = 1536;
    m->hp.n_rot = 64;
    m->hp.head_dim_k_mla = 192;
    m->hp.head_dim_v_mla = 128;
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    s.q_bits = 4;
    og_mlx_plan_result r = plan_of(m, &s);
    ck_assert_int_eq(r.mla, 1);
    ck_assert_uint_eq(r.kv_per_token_bytes, 4 * 1152);
    ck_assert_uint_eq(r.kv_bytes, 4096ull * 4 * 1152);
    og_model_free(m);
}
END_TEST

/* ---- limits, verdict, advice ---- */

static og_machine mac(uint64_t ram_gb, uint64_t ws, uint64_t maxbuf)
{
    og_machine mc;
    memset(&mc, 0, sizeof mc);
    mc.os = OG_OS_MACOS;
    mc.apple_silicon = 1;
    mc.ram_bytes = ram_gb << 30;
    mc.metal_recommended_working_set_bytes = ws;
    mc.metal_max_buffer_bytes = maxbuf;
    return mc;
}

/* ---- the transient: MLX's command-buffer window ---- */

START_TEST(test_cb_window_one_buffer)
{
    /* With command-buffer limits no chunk reaches, every op of the chunk
     * sits in one buffer, so every buffer the chunk creates is live at its
     * end (mlx/backend/metal/eval.cpp keeps inputs until completion). The
     * buffers a Llama layer creates (llama.py, S tokens, bf16): input norm
     * S*E, q S*H*hd, k and v S*Hkv*hd, SDPA output S*H*hd, o_proj S*E,
     * post-attention norm S*E, gate and up S*F, down S*E; rope, the residual
     * adds and swiglu reuse their input (is_donatable). */
    og_model *m = hf_model(&SMALL, "llama", 0);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 65; /* one chunk of 64, then the last token */
    s.metal_cb_max_ops = 100000;
    s.metal_cb_max_mb = 100000;
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t S = 64, E = 256, H = 4, Hkv = 2, hd = 64, F = 512;
    uint64_t layer = S * (4 * E + 2 * H * hd + 2 * Hkv * hd + 2 * F) * 2;
    ck_assert_uint_eq(r.peak_chunk_tokens, 64);
    ck_assert_uint_eq(r.activation_bytes, 4 * layer);
    ck_assert_uint_eq(r.kv_growth_bytes, 0); /* first chunk: no concatenation */
    /* A window of 12 buffers of 2 ops each (needs_commit: ops > 1) holds
     * less than the whole chunk, and never less than the largest op */
    s.metal_cb_max_ops = 1;
    og_mlx_plan_result w = plan_of(m, &s);
    ck_assert_uint_lt(w.activation_bytes, r.activation_bytes);
    ck_assert_uint_ge(w.activation_bytes, S * F * 2);
    og_model_free(m);
}
END_TEST

START_TEST(test_cb_limits_and_growth)
{
    /* Llama 3.1 8B 4-bit, 4096-token prompt: chunks 2048, 2047, 1.
     * device.cpp: Pro GPUs commit at 40 ops / 40 Mi elements, Max and Ultra
     * at 50 / 50: a larger buffer holds more, so the default (50) bounds. */
    uint64_t ex;
    og_model *m = mlx_model(&LLAMA8B, "llama", 4, 64, &ex);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    og_mlx_plan_result big = plan_of(m, &s);
    s.metal_cb_max_ops = 40;
    s.metal_cb_max_mb = 40;
    og_mlx_plan_result pro = plan_of(m, &s);
    /* 2048-token chunks: single ops pass 40 Mi elements (swiglu reads 2 x
     * 2048 x 14336), so both commit at the same ops; 512-token chunks do not */
    ck_assert_uint_le(pro.activation_bytes + pro.kv_growth_bytes,
                      big.activation_bytes + big.kv_growth_bytes);
    s.prefill_step_size = 512;
    og_mlx_plan_result pro512 = plan_of(m, &s);
    s.metal_cb_max_ops = 0;
    s.metal_cb_max_mb = 0;
    og_mlx_plan_result big512 = plan_of(m, &s);
    ck_assert_uint_lt(pro512.activation_bytes + pro512.kv_growth_bytes,
                      big512.activation_bytes + big512.kv_growth_bytes);
    s.prefill_step_size = 2048;
    /* the window never holds more than 12 command buffers of one layer's
     * new buffers each: one layer creates S*(4E + 2*H*hd + 2*Hkv*hd + 2F)
     * bf16 values, S = 2048 */
    uint64_t layer = 2048ull * (4 * 4096 + 2 * 4096 + 2 * 1024 + 2 * 14336) * 2;
    ck_assert_uint_le(big.activation_bytes, 12 * layer);
    ck_assert_uint_gt(big.activation_bytes, layer);
    /* cache.py KVCache: the second chunk concatenates each layer's 2048-slot
     * keys and values (8 KiB x 8 heads ... = 2048 x 4 KiB = 8 MiB per layer)
     * with new zeros; the old buffers live until their command buffers
     * complete: whole layers, at least one, at most all 32 */
    s.metal_cb_max_ops = 0;
    s.metal_cb_max_mb = 0;
    s.ctx = 4096;
    og_mlx_plan_result r = plan_of(m, &s);
    uint64_t old_layer = 2048ull * 8 * 128 * 2 * 2;
    ck_assert_uint_eq(r.peak_chunk_tokens, 2047);
    ck_assert_uint_eq(r.kv_growth_bytes % (old_layer / 2), 0);
    ck_assert_uint_ge(r.kv_growth_bytes, old_layer);
    ck_assert_uint_le(r.kv_growth_bytes, 32 * old_layer);
    og_model_free(m);
}
END_TEST

START_TEST(test_quantized_kv_scores)
{
    /* base.py quantized_scaled_dot_product_attention: once the cache is a
     * QuantizedKVCache, prefill materializes scores [B, H, S, L] (dtype),
     * even for head dims the fused kernel covers. They are new buffers in
     * MLX's command-buffer window (activation_bytes), not the fallback's
     * one-copy term (scores_bytes). */
    og_model *m = hf_model(&SMALL, "llama", 0);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 3072;
    s.prefill_step_size = 1024;
    og_mlx_plan_result f = plan_of(m, &s);
    ck_assert_uint_eq(f.scores_bytes, 0); /* head dim 64: fused */
    s.kv_bits = 8;
    s.quantized_kv_start = 0;
    og_mlx_plan_result r = plan_of(m, &s);
    ck_assert_uint_eq(r.scores_bytes, 0);
    /* chunks 1024, 1024, 1023, 1: the third chunk's scores, 4 heads x 1023
     * queries x 3071 keys in bf16, are live in the window */
    ck_assert_uint_ge(r.activation_bytes, 4ull * 1023 * 3071 * 2);
    og_model_free(m);
}
END_TEST

/* mlx-lm issue 1587 (M4 Max, Llama-3.2-3B-Instruct-4bit, QuantizedKVCache
 * bits 8 from token 0): the quantized cache raises the peak at 8K-16K
 * prompts. Llama 3.2 3B: 28 layers, E 3072, 24 heads, 8 KV heads, head dim
 * 128, F 8192, tied. The scores of one layer at the last full chunk (2048
 * queries over 14336 keys) are 24 x 2048 x 14336 x 2 bytes; each op that
 * reads them has more than MLX's 50 Mi elements of input, so it ends a
 * command buffer: a layer's scores stay live through 3 command buffers and
 * the 12-buffer window holds those of 2 to 4 layers. */
static const tiny LLAMA32_3B = {28, 3072, 128256, 8192, 24, 8, 128};

START_TEST(test_issue1587_quantized_peak)
{
    og_model *m = hf_model(&LLAMA32_3B, "llama", 1);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    s.q_group_size = 64;
    s.prompt_tokens = 16000;
    s.ctx = 16030;
    og_mlx_plan_result f = plan_of(m, &s);
    s.kv_bits = 8;
    s.kv_group_size = 64;
    s.quantized_kv_start = 0;
    og_mlx_plan_result q = plan_of(m, &s);
    /* steady KV shrinks: 136 B per head and token for K and for V, vs 256 */
    ck_assert_uint_lt(q.kv_bytes, f.kv_bytes * 55 / 100);
    /* ... but the peak rises, as measured (4.72 -> 7.10 GB) */
    ck_assert_uint_gt(q.peak_bytes, f.peak_bytes);
    uint64_t one = 24ull * 2048 * 14336 * 2;
    ck_assert_uint_ge(q.activation_bytes, 2 * one);
    ck_assert_uint_le(q.activation_bytes, 4 * one + f.activation_bytes);
    /* within 5 % of the issue's 7.10 GB (decimal) */
    ck_assert_uint_ge(q.peak_bytes, 6745000000ull);
    ck_assert_uint_le(q.peak_bytes, 7455000000ull);
    /* 8K: 3.46 -> 4.87 GB */
    s.prompt_tokens = 8000;
    s.ctx = 8030;
    q = plan_of(m, &s);
    s.kv_bits = 0;
    f = plan_of(m, &s);
    ck_assert_uint_gt(q.peak_bytes, f.peak_bytes);
    ck_assert_uint_ge(q.peak_bytes, 4626000000ull);
    ck_assert_uint_le(q.peak_bytes, 5114000000ull);
    og_model_free(m);
}
END_TEST

/* ---- MLX distributed (og_cluster_plan_mlx) ---- */

static uint64_t page_round(uint64_t b)
{
    return b <= 16384 ? b : (b + 16383) / 16384 * 16384;
}

/* The rank's page-rounded weights, computed here from the tensor names:
 * layers [first, first + count) plus every tensor outside the layers;
 * tp > 1: the projections shard() splits hold 1/tp. */
static uint64_t rank_weights(const og_model *m, uint32_t first, uint32_t count, uint32_t tp)
{
    uint64_t t = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const char *n = m->tensors[i].name;
        unsigned li;
        if (sscanf(n, "model.layers.%u.", &li) == 1 && (li < first || li >= first + count))
            continue;
        int sharded = strstr(n, "_proj.") != NULL;
        t += page_round(sharded ? m->tensors[i].bytes / tp : m->tensors[i].bytes);
    }
    return t;
}

static const tiny T7 = {7, 1024, 4000, 2048, 8, 4, 128};

START_TEST(test_cluster_mlx_pipeline)
{
    /* pipeline.py with mlx-lm PR 1816's start: 7 layers over 2 ranks, rank 0
     * the last 4 (3-6), rank 1 the first 3; each rank keeps embeddings,
     * norm and lm_head; its caches cover its layers */
    uint64_t ex;
    og_model *m = mlx_model(&T7, "mistral3", 4, 64, &ex);
    og_machine a = mac(64, 48ull << 30, 32ull << 30), b = mac(64, 48ull << 30, 32ull << 30);
    const og_machine *hosts[2] = {&a, &b};
    const char *names[2] = {"a", "b"};
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    og_cluster_plan *p = calloc(1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(og_cluster_plan_mlx(m, &s, 1, hosts, names, 2, p, NULL), OG_OK);
    ck_assert_int_eq(p->feasible, 1);
    ck_assert_uint_eq(p->host[0].layers, 4);
    ck_assert_uint_eq(p->host[0].first_layer, 3);
    ck_assert_uint_eq(p->host[1].layers, 3);
    ck_assert_uint_eq(p->host[1].first_layer, 0);
    ck_assert_uint_eq(p->host[0].weights_bytes, rank_weights(m, 3, 4, 1));
    ck_assert_uint_eq(p->host[1].weights_bytes, rank_weights(m, 0, 3, 1));
    /* KVCache: 4 KV heads x 128 x 2 (K, V) x 2 bytes per token and layer */
    ck_assert_uint_eq(p->host[0].kv_bytes, 4096ull * 4 * 128 * 2 * 2 * 4);
    ck_assert_uint_eq(p->host[1].kv_bytes, 4096ull * 4 * 128 * 2 * 2 * 3);
    ck_assert_int_eq(p->verdict, OG_FIT_FITS);
    ck_assert_ptr_nonnull(strstr(p->server_command, "--pipeline"));
    ck_assert_ptr_nonnull(strstr(p->hostfile, "\"ssh\": \"b\""));
    /* Llama has no pipeline(): not feasible, with the reason */
    snprintf(m->hp.arch, sizeof m->hp.arch, "llama");
    ck_assert_int_eq(og_cluster_plan_mlx(m, &s, 1, hosts, names, 2, p, NULL), OG_OK);
    ck_assert_int_eq(p->feasible, 0);
    ck_assert_ptr_nonnull(strstr(p->notes[0], "no pipeline()"));
    free(p);
    og_model_free(m);
}
END_TEST

START_TEST(test_cluster_mlx_tensor)
{
    /* llama.py shard: q/k/v/o and gate/up/down split 2 ways (quantized
     * weights, scales and biases alike), n_kv_heads //= 2: half the cache;
     * embeddings, lm_head and norms whole */
    uint64_t ex;
    og_model *m = mlx_model(&T7, "llama", 4, 64, &ex);
    og_machine a = mac(16, 11ull << 30, 8ull << 30), b = mac(16, 11ull << 30, 8ull << 30);
    const og_machine *hosts[2] = {&a, &b};
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 4096;
    og_mlx_plan_result whole = plan_of(m, &s);
    og_cluster_plan *p = calloc(1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(og_cluster_plan_mlx(m, &s, 0, hosts, NULL, 2, p, NULL), OG_OK);
    ck_assert_int_eq(p->feasible, 1);
    for (int k = 0; k < 2; k++) {
        ck_assert_uint_eq(p->host[k].layers, 7);
        ck_assert_uint_eq(p->host[k].kv_bytes * 2, whole.kv_bytes);
        ck_assert_uint_eq(p->host[k].weights_bytes, rank_weights(m, 0, 7, 2));
    }
    /* 3 ranks: 8 heads do not split */
    const og_machine *h3[3] = {&a, &b, &a};
    ck_assert_int_eq(og_cluster_plan_mlx(m, &s, 0, h3, NULL, 3, p, NULL), OG_OK);
    ck_assert_int_eq(p->feasible, 0);
    ck_assert_ptr_nonnull(strstr(p->notes[0], "8 attention heads"));
    free(p);
    og_model_free(m);
}
END_TEST

START_TEST(test_verdict_and_max_ctx)
{
    uint64_t ex;
    og_model *m = mlx_model(&LLAMA8B, "qwen2", 4, 64, &ex);
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.ctx = 65536;
    og_mlx_plan_result r = plan_of(m, &s);
    og_machine mc = mac(16, 12ull << 30, 8ull << 30);
    og_budget b;
    memset(&b, 0, sizeof b);
    b.unified = 1;
    b.has_gpu = 1;
    b.gpu_bytes = 11ull << 30;
    ck_assert_int_eq(og_mlx_judge(m, &r, &mc, &b, NULL), OG_OK);
    ck_assert_int_eq(r.verdict, OG_MLX_NO_FIT);
    ck_assert_uint_gt(r.max_ctx, 0);
    ck_assert_uint_lt(r.max_ctx, 65536);
    /* max_ctx is the boundary: it fits, 256 more does not */
    og_mlx_settings t = s;
    t.ctx = r.max_ctx;
    ck_assert_uint_le(plan_of(m, &t).peak_bytes, b.gpu_bytes);
    t.ctx = r.max_ctx + 256;
    ck_assert_uint_gt(plan_of(m, &t).peak_bytes, b.gpu_bytes);
    /* advice names the levers that work */
    int kv = 0, mk = 0;
    for (uint32_t i = 0; i < r.n_advice; i++) {
        if (strstr(r.advice[i], "--kv-bits 8"))
            kv = 1;
        if (strstr(r.advice[i], "--max-kv-size"))
            mk = 1;
    }
    ck_assert_int_eq(mk, 1);
    (void)kv;
    /* a big machine: fits */
    og_machine big = mac(64, 48ull << 30, 32ull << 30);
    b.gpu_bytes = 44ull << 30;
    r = plan_of(m, &s);
    ck_assert_int_eq(og_mlx_judge(m, &r, &big, &b, NULL), OG_OK);
    ck_assert_int_eq(r.verdict, OG_MLX_FITS);
    char *json = og_mlx_plan_to_json(&r);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_nonnull(strstr(json, "\"memory\":{\"weights_bytes\":"));
    ck_assert_ptr_nonnull(strstr(json, "\"peak_bytes\":"));
    ck_assert_ptr_nonnull(strstr(json, "\"verdict\":\"fits\""));
    free(json);
    og_model_free(m);
}
END_TEST

START_TEST(test_buffer_limit_and_warning)
{
    /* an unquantized bf16 embedding of 262144 x 5376 (2.8 GB) against a
     * 2 GiB maxBufferLength: does not fit however much memory there is */
    tiny t = {2, 5376, 262144, 21504, 32, 16, 128};
    og_model *m = hf_model(&t, "qwen2", 1);
    og_mlx_plan_result r = plan_of(m, NULL);
    ck_assert_uint_eq(r.largest_buffer_bytes, 262144ull * 5376 * 2);
    og_machine mc = mac(64, 48ull << 30, 2ull << 30);
    og_budget b;
    memset(&b, 0, sizeof b);
    b.gpu_bytes = 40ull << 30;
    ck_assert_int_eq(og_mlx_judge(m, &r, &mc, &b, NULL), OG_OK);
    ck_assert_int_eq(r.buffer_too_large, 1);
    ck_assert_int_eq(r.verdict, OG_MLX_NO_FIT);
    ck_assert_ptr_nonnull(strstr(r.advice[0], "maxBufferLength"));
    /* weights over 0.9 x the working set: mlx-lm's warning, verdict tight */
    mc = mac(8, r.weights_bytes / 19 * 20, 0);
    b.gpu_bytes = 100ull << 30;
    ck_assert_int_eq(og_mlx_judge(m, &r, &mc, &b, NULL), OG_OK);
    ck_assert_int_eq(r.weights_warning, 1);
    og_model_free(m);
}
END_TEST

START_TEST(test_hypothetical_advice)
{
    og_model *cfg = og_model_new(OG_FORMAT_HF_CONFIG, "config.json");
    set_hp(cfg, &LLAMA8B, "llama");
    og_mlx_settings s;
    og_mlx_settings_default(&s);
    s.q_bits = 4;
    og_mlx_plan_result r = plan_of(cfg, &s);
    og_budget b;
    memset(&b, 0, sizeof b);
    b.gpu_bytes = 24ull << 30;
    og_machine mc = mac(32, 21ull << 30, 16ull << 30);
    ck_assert_int_eq(og_mlx_judge(cfg, &r, &mc, &b, NULL), OG_OK);
    ck_assert_ptr_nonnull(strstr(r.advice[0], "4-bit affine g64 build"));
    ck_assert_ptr_nonnull(strstr(r.advice[0], "would fit"));
    og_model_free(cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mlx");
    TCase *tc = tcase_create("mlx");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mlx_exact_weights);
    tcase_add_test(tc, test_convert_matches_mlx_layout);
    tcase_add_test(tc, test_hparams_matches_tensors);
    tcase_add_test(tc, test_group_must_divide);
    tcase_add_test(tc, test_fp_modes);
    tcase_add_test(tc, test_mixed_recipe);
    tcase_add_test(tc, test_moe_router_and_experts);
    tcase_add_test(tc, test_tied_and_dropped);
    tcase_add_test(tc, test_kv_llama8b);
    tcase_add_test(tc, test_rotating_max_kv);
    tcase_add_test(tc, test_quantized_kv);
    tcase_add_test(tc, test_sliding_window_gemma);
    tcase_add_test(tc, test_state_layers);
    tcase_add_test(tc, test_mla_cache);
    tcase_add_test(tc, test_cb_window_one_buffer);
    tcase_add_test(tc, test_cb_limits_and_growth);
    tcase_add_test(tc, test_quantized_kv_scores);
    tcase_add_test(tc, test_issue1587_quantized_peak);
    tcase_add_test(tc, test_cluster_mlx_pipeline);
    tcase_add_test(tc, test_cluster_mlx_tensor);
    tcase_add_test(tc, test_verdict_and_max_ctx);
    tcase_add_test(tc, test_buffer_limit_and_warning);
    tcase_add_test(tc, test_hypothetical_advice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
