/* Catalog tests: every entry loads and builds; parameter counts against the
 * published totals; catalog estimates against fixture files of the same
 * shape; the llama.cpp quant mix; MLX packing; name matching; bad user files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ogfix.h"
#include "og_test.h"
#include "oomguard/catalog.h"
#include "oomguard/oomguard.h"

static char tmpdir[256];

static void setup(void)
{
    og_test_mkdtemp(tmpdir, sizeof tmpdir, "catalog");
}

static void teardown(void)
{
    og_test_rmtree(tmpdir);
}

static const og_catalog_entry *find(const char *name)
{
    const og_catalog_entry *e = NULL;
    og_error err;
    ck_assert_msg(og_catalog_find(name, &e, &err) == OG_OK, "%s: %s", name, err.message);
    return e;
}

static const og_tensor *tensor(const og_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (!strcmp(m->tensors[i].name, name))
            return &m->tensors[i];
    ck_abort_msg("no tensor %s", name);
    return NULL;
}

START_TEST(test_all_entries_build)
{
    og_error err;
    ck_assert_int_eq(og_catalog_load(&err), OG_OK);
    uint32_t n = og_catalog_count();
    ck_assert_uint_ge(n, 60);
    for (uint32_t i = 0; i < n; i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(e->source[0] && e->hp.n_layer > 0 && e->params_published > 0, "%s", e->name);
        uint64_t bytes[OG_BUILD_COUNT];
        for (int b = 0; b < OG_BUILD_COUNT; b++) {
            og_model *m = NULL;
            if (b == OG_BUILD_GGUF_MXFP4 && e->hp.n_expert == 0) {
                ck_assert(!og_catalog_has_build(e, (og_catalog_build)b));
                ck_assert_int_eq(og_catalog_model(e, (og_catalog_build)b, &m, &err),
                                 OG_ERR_INVALID);
                bytes[b] = 0;
                continue;
            }
            ck_assert_msg(og_catalog_model(e, (og_catalog_build)b, &m, &err) == OG_OK, "%s %s: %s",
                          e->name, og_catalog_build_name((og_catalog_build)b), err.message);
            ck_assert_int_eq(m->format, OG_FORMAT_CATALOG);
            ck_assert_str_eq(m->quant_label, og_catalog_build_name((og_catalog_build)b));
            ck_assert_uint_gt(m->weight_bytes, 0);
            ck_assert_uint_eq(m->hp.n_embd, e->hp.n_embd);
            bytes[b] = m->weight_bytes;
            og_model_free(m);
        }
        /* more bits, more bytes (builds whose mixes cannot overlap) */
        static const og_catalog_build order[][2] = {{OG_BUILD_MLX_3BIT, OG_BUILD_MLX_4BIT},
                                                    {OG_BUILD_MLX_4BIT, OG_BUILD_MLX_6BIT},
                                                    {OG_BUILD_MLX_6BIT, OG_BUILD_MLX_8BIT},
                                                    {OG_BUILD_MLX_8BIT, OG_BUILD_MLX_BF16},
                                                    {OG_BUILD_GGUF_Q2_K, OG_BUILD_GGUF_Q4_K_M},
                                                    {OG_BUILD_GGUF_Q4_0, OG_BUILD_GGUF_Q5_K_M},
                                                    {OG_BUILD_GGUF_Q4_K_M, OG_BUILD_GGUF_Q6_K},
                                                    {OG_BUILD_GGUF_Q6_K, OG_BUILD_GGUF_Q8_0},
                                                    {OG_BUILD_GGUF_Q8_0, OG_BUILD_GGUF_F16},
                                                    {OG_BUILD_MLX_4BIT, OG_BUILD_MLX_5BIT},
                                                    {OG_BUILD_MLX_5BIT, OG_BUILD_MLX_6BIT},
                                                    {OG_BUILD_GGUF_IQ1_S, OG_BUILD_GGUF_IQ1_M},
                                                    {OG_BUILD_GGUF_IQ1_M, OG_BUILD_GGUF_IQ2_XXS},
                                                    {OG_BUILD_GGUF_IQ2_XXS, OG_BUILD_GGUF_IQ2_XS},
                                                    {OG_BUILD_GGUF_IQ2_XS, OG_BUILD_GGUF_IQ2_M},
                                                    {OG_BUILD_GGUF_IQ2_M, OG_BUILD_GGUF_IQ3_XXS},
                                                    {OG_BUILD_GGUF_IQ3_XXS, OG_BUILD_GGUF_IQ3_M},
                                                    {OG_BUILD_GGUF_IQ3_M, OG_BUILD_GGUF_IQ4_XS},
                                                    {OG_BUILD_GGUF_IQ4_XS, OG_BUILD_GGUF_IQ4_NL},
                                                    {OG_BUILD_GGUF_Q3_K_S, OG_BUILD_GGUF_Q3_K_M},
                                                    {OG_BUILD_GGUF_Q3_K_M, OG_BUILD_GGUF_Q3_K_L},
                                                    {OG_BUILD_GGUF_Q4_K_S, OG_BUILD_GGUF_Q4_K_M},
                                                    {OG_BUILD_GGUF_Q5_K_S, OG_BUILD_GGUF_Q5_K_M},
                                                    {OG_BUILD_GGUF_Q4_0, OG_BUILD_GGUF_Q4_1},
                                                    {OG_BUILD_GGUF_Q5_0, OG_BUILD_GGUF_Q5_1},
                                                    {OG_BUILD_GGUF_Q2_K_S, OG_BUILD_GGUF_Q2_K}};
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            /* gpt-oss F16 files keep the checkpoint's MXFP4 experts: smaller than Q8_0 */
            if (e->moe_bias && order[k][0] == OG_BUILD_GGUF_Q8_0)
                continue;
            /* Q2_K_S gives the first eighth's ffn_down q4_K (Q2_K: q3_K): with
             * experts that outweighs its q2_K attention output */
            if (e->hp.n_expert > 1 && order[k][0] == OG_BUILD_GGUF_Q2_K_S)
                continue;
            /* rows not a multiple of 256 fall back to the same 32-block type */
            if (e->hp.n_embd % 256 != 0 && bytes[order[k][0]] == bytes[order[k][1]])
                continue;
            ck_assert_msg(bytes[order[k][0]] < bytes[order[k][1]], "%s: %s not smaller than %s",
                          e->name, og_catalog_build_name(order[k][0]),
                          og_catalog_build_name(order[k][1]));
        }
    }
}
END_TEST

/* The mixes of the types added for issue 13, against llama.cpp
 * src/llama-quant.cpp llama_tensor_get_type_impl (node-llama-cpp 3.21.1):
 * Llama 3.1 8B has 32 layers and 4 query heads per KV head. */
START_TEST(test_more_quant_mixes)
{
    const og_catalog_entry *e = find("llama-3.1-8b");
    og_error err;
    og_model *m = NULL;
    /* Q4_K_S: attn_v of the first 4 layers and ffn_down of the first 32/8 -> q5_K */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_Q4_K_S, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.3.attn_v.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.4.attn_v.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "blk.3.ffn_down.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.4.ffn_down.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "output.weight")->type_name, "q6_K");
    og_model_free(m);
    /* IQ2_XXS (imatrix): embeddings q2_K, output q5_K, attn_v q4_K (GQA >= 4),
     * ffn_down q2_K in the first eighth, iq2_xxs elsewhere */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_IQ2_XXS, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "token_embd.weight")->type_name, "q2_K");
    ck_assert_str_eq(tensor(m, "output.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.9.attn_v.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "blk.0.ffn_down.weight")->type_name, "q2_K");
    ck_assert_str_eq(tensor(m, "blk.9.ffn_down.weight")->type_name, "iq2_xxs");
    ck_assert_str_eq(tensor(m, "blk.9.attn_q.weight")->type_name, "iq2_xxs");
    og_model_free(m);
    /* IQ3_XS: attn_q/attn_k iq3_xxs, ffn_up/gate iq3_xxs in the middle layers */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_IQ3_XS, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.9.attn_k.weight")->type_name, "iq3_xxs");
    ck_assert_str_eq(tensor(m, "blk.9.ffn_up.weight")->type_name, "iq3_xxs");
    ck_assert_str_eq(tensor(m, "blk.0.ffn_up.weight")->type_name, "iq3_s");
    ck_assert_str_eq(tensor(m, "blk.9.attn_v.weight")->type_name, "q4_K");
    og_model_free(m);
    /* Q3_K_L: attn_v and ffn_down q5_K, attn_output q5_K */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_Q3_K_L, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.9.attn_v.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.9.ffn_down.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.9.attn_output.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.9.ffn_up.weight")->type_name, "q3_K");
    og_model_free(m);
    /* BF16 weights, F32 norms */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_BF16, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.9.ffn_up.weight")->type_name, "bf16");
    ck_assert_str_eq(tensor(m, "blk.9.attn_norm.weight")->type_name, "f32");
    og_model_free(m);
    /* MXFP4_MOE: experts mxfp4, the rest q8_0; dense models have no such build */
    const og_catalog_entry *moe = find("qwen3-30b-a3b");
    ck_assert_int_eq(og_catalog_model(moe, OG_BUILD_GGUF_MXFP4, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.5.ffn_up_exps.weight")->type_name, "mxfp4");
    ck_assert_str_eq(tensor(m, "blk.5.attn_q.weight")->type_name, "q8_0");
    ck_assert_str_eq(tensor(m, "output.weight")->type_name, "q8_0");
    og_model_free(m);
    ck_assert(!og_catalog_has_build(e, OG_BUILD_GGUF_MXFP4));
}
END_TEST

/* `oomguard catalog add` describes a model from its headers: every built-in
 * entry, turned into a model (its GGUF F16 tensor list) and described back
 * by og_catalog_entry_json, parses and gives the same shape and parameters. */
START_TEST(test_entry_json_round_trip)
{
    og_error err;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        og_model *m = NULL;
        ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_F16, &m, &err), OG_OK);
        char *js = NULL;
        ck_assert_msg(og_catalog_entry_json(m, "round-trip", "org/repo", &js, &err) == OG_OK,
                      "%s: %s", e->name, err.message);
        char doc[65536];
        snprintf(doc, sizeof doc, "{\"schema\": 1, \"models\": [%s]}", js);
        free(js);
        og_catalog_entry *back = NULL;
        uint32_t n = 0;
        ck_assert_msg(og_catalog_parse(doc, strlen(doc), "round trip", &back, &n, &err) == OG_OK,
                      "%s: %s", e->name, err.message);
        const og_hparams *a = &e->hp, *b = &back[0].hp;
        ck_assert_str_eq(a->arch, b->arch);
        ck_assert_uint_eq(a->n_layer_all, b->n_layer_all);
        ck_assert_uint_eq(a->n_embd, b->n_embd);
        ck_assert_uint_eq(a->n_vocab, b->n_vocab);
        ck_assert_uint_eq(a->n_expert, b->n_expert);
        ck_assert_int_eq(a->is_mla, b->is_mla);
        for (uint32_t l = 0; l < a->n_layer_all; l++) {
            ck_assert_msg(a->n_head_kv[l] == b->n_head_kv[l] && a->is_moe[l] == b->is_moe[l] &&
                              a->is_swa[l] == b->is_swa[l] &&
                              a->is_recurrent[l] == b->is_recurrent[l] && a->n_ff[l] == b->n_ff[l],
                          "%s: layer %u differs", e->name, l);
        }
        og_model *m2 = NULL;
        ck_assert_int_eq(og_catalog_model(&back[0], OG_BUILD_GGUF_F16, &m2, &err), OG_OK);
        double r = (double)m2->n_params / (double)m->n_params;
        ck_assert_msg(r > 0.999 && r < 1.001, "%s: %llu vs %llu parameters", e->name,
                      (unsigned long long)m2->n_params, (unsigned long long)m->n_params);
        ck_assert_uint_eq(back[0].params_published, m->n_params);
        og_model_free(m2);
        og_model_free(m);
        free(back);
    }
}
END_TEST

/* Published names: mlx-community's repositories and llama-quantize's files. */
START_TEST(test_build_repo_names)
{
    const og_catalog_entry *e = find("qwen3-30b-a3b");
    char b[160];
    og_catalog_build_repo(e, OG_BUILD_MLX_4BIT, b, sizeof b);
    ck_assert_str_eq(b, "mlx-community/Qwen3-30B-A3B-4bit");
    og_catalog_build_repo(e, OG_BUILD_MLX_BF16, b, sizeof b);
    ck_assert_str_eq(b, "mlx-community/Qwen3-30B-A3B-bf16");
    og_catalog_build_repo(e, OG_BUILD_GGUF_Q4_K_M, b, sizeof b);
    ck_assert_str_eq(b, "Qwen3-30B-A3B-Q4_K_M.gguf");
    ck_assert_str_eq(find("mlx-community/Qwen3-30B-A3B-4bit")->name, "qwen3-30b-a3b");
    ck_assert_str_eq(find("mlx-community/Qwen3-30B-A3B-4bit-DWQ")->name, "qwen3-30b-a3b");
    ck_assert_str_eq(find("Qwen3-30B-A3B-Q4_K_M.gguf")->name, "qwen3-30b-a3b");
    ck_assert_str_eq(find("mlx-community/Llama-3.3-70B-Instruct-8bit")->name, "llama-3.3-70b");
    ck_assert_int_eq(og_catalog_name_build("mlx-community/Qwen3-30B-A3B-4bit-DWQ"),
                     OG_BUILD_MLX_4BIT);
    ck_assert_int_eq(og_catalog_name_build("mlx-community/Qwen3-30B-A3B-bf16"), OG_BUILD_MLX_BF16);
    ck_assert_int_eq(og_catalog_name_build("Qwen3-30B-A3B-IQ2_XXS.gguf"), OG_BUILD_GGUF_IQ2_XXS);
    ck_assert_int_eq(og_catalog_name_build("qwen3-30b-a3b"), OG_BUILD_COUNT);
    /* every entry with a repository round-trips through its published names */
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *x = og_catalog_get(i);
        if (!x->hf_repo[0])
            continue;
        og_catalog_build bs[] = {OG_BUILD_MLX_4BIT, OG_BUILD_MLX_8BIT, OG_BUILD_GGUF_Q4_K_M};
        for (size_t k = 0; k < 3; k++) {
            og_catalog_build_repo(x, bs[k], b, sizeof b);
            ck_assert_msg(find(b) == x, "%s: %s", x->name, b);
            ck_assert_int_eq(og_catalog_name_build(b), bs[k]);
        }
    }
}
END_TEST

/* The accepted-build list: every name parses back, best first, MXFP4 only for MoE. */
START_TEST(test_accepted_builds)
{
    const og_catalog_entry *dense = find("llama-3.1-8b"), *moe = find("qwen3-30b-a3b");
    og_catalog_build b[OG_BUILD_COUNT];
    uint32_t ng = og_catalog_builds(dense, 0, b, OG_BUILD_COUNT);
    ck_assert_uint_ge(ng, 25);
    ck_assert_int_eq(b[ng - 1], OG_BUILD_GGUF_IQ1_S);
    for (uint32_t i = 0; i < ng; i++) {
        og_catalog_build back;
        og_error err;
        ck_assert(!og_catalog_build_is_mlx(b[i]));
        ck_assert(b[i] != OG_BUILD_GGUF_MXFP4);
        ck_assert_int_eq(og_catalog_build_from_name(og_catalog_build_name(b[i]), &back, &err),
                         OG_OK);
        ck_assert_int_eq(back, b[i]);
        if (i)
            ck_assert(og_catalog_build_bits(b[i - 1]) >= og_catalog_build_bits(b[i]));
    }
    ck_assert_uint_eq(og_catalog_builds(moe, 0, NULL, 0), ng + 1);
    uint32_t nm = og_catalog_builds(dense, 1, b, OG_BUILD_COUNT);
    ck_assert_uint_eq(nm, 6);
    ck_assert_int_eq(b[0], OG_BUILD_MLX_BF16);
    og_catalog_build x;
    og_error err;
    ck_assert_int_eq(og_catalog_build_from_name("mlx-4bit-DWQ", &x, &err), OG_OK);
    ck_assert_int_eq(x, OG_BUILD_MLX_4BIT);
    ck_assert_int_eq(og_catalog_build_from_name("iq2-xxs", &x, &err), OG_OK);
    ck_assert_int_eq(x, OG_BUILD_GGUF_IQ2_XXS);
    ck_assert_int_eq(og_catalog_build_from_name("MXFP4_MOE", &x, &err), OG_OK);
    ck_assert_int_eq(x, OG_BUILD_GGUF_MXFP4);
    ck_assert_int_eq(og_catalog_build_from_name("Q9_K", &x, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "IQ3_XXS"));
}
END_TEST

/* Parameters of the main layers (NextN/MTP layers are not in published totals). */
static uint64_t main_params(const og_model *m)
{
    uint64_t p = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        unsigned il;
        if (sscanf(m->tensors[i].name, "blk.%u.", &il) == 1 && il >= m->hp.n_layer)
            continue;
        p += m->tensors[i].n_elements;
    }
    return p;
}

START_TEST(test_params_vs_published)
{
    /* Text models: within 1 % of the published total (safetensors count, or the
     * model page's rounded figure for entries added in the issue 15 pass).
     * Multimodal entries: the published total also counts a vision tower, so
     * the text parameters must be below it by less than 0.9 B. Where the
     * totals come from: docs/CATALOG.md "Published totals" (HF safetensors
     * totals; Llama 3.1 8B from the printed tensor shapes, Phi-3-mini from
     * keras-team/keras-hub phi3_presets.py, DeepSeek-V3 from its config). */
    og_error err;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        og_model *m = NULL;
        ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_F16, &m, &err), OG_OK);
        double p = (double)main_params(m);
        if (e->published_counts_tied_output)
            p += (double)e->hp.n_vocab * (double)e->hp.n_embd;
        double pub = (double)e->params_published;
        if (e->multimodal)
            ck_assert_msg(p < pub && pub - p < 0.9e9, "%s: text %.0f vs published %.0f", e->name, p,
                          pub);
        else
            ck_assert_msg(p / pub > 0.99 && p / pub < 1.01, "%s: %.0f vs published %.0f", e->name,
                          p, pub);
        og_model_free(m);
    }
}
END_TEST

START_TEST(test_sources_marked)
{
    /* Every entry names its HF config and the public copy of that config it
     * was checked against (docs/CATALOG.md "Sources"): "verified: ...". An
     * entry whose config could not be found is dropped, not kept as
     * "unverified" (issue 15). */
    uint32_t verified = 0;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        ck_assert_msg(!strncmp(e->source, "https://huggingface.co/", 23) &&
                          strstr(e->source, "/config.json; "),
                      "%s: %s", e->name, e->source);
        int v = strstr(e->source, "; verified: ") != NULL;
        int u = strstr(e->source, "; unverified: ") != NULL;
        ck_assert_msg(v && !u, "%s: source must say where its config was verified", e->name);
        verified += (uint32_t)v;
    }
    ck_assert_uint_ge(og_catalog_count(), 100);
    ck_assert_uint_eq(verified, og_catalog_count());
}
END_TEST

START_TEST(test_catalog_vs_config_fixtures)
{
    /* Catalog entries against the real config.json files in tests/data/configs
     * (tests/data/configs/README.md says where each came from), read by the HF
     * config reader: same shape, and the same parameter count within 1 %
     * (exact where the layer list is the same). */
    static const struct {
        const char *entry, *file;
    } pairs[] = {
        {"llama-3.1-8b", "llama-3.1-8b.json"},  {"qwen3-30b-a3b", "qwen3-30b-a3b.json"},
        {"gemma-3-27b", "gemma-3-27b-it.json"}, {"deepseek-v3", "deepseek-v3.json"},
        {"gpt-oss-20b", "gpt-oss-20b.json"},    {"qwen3-next-80b-a3b", "qwen3-next-80b-a3b.json"}};
    og_error err;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const og_catalog_entry *e = find(pairs[i].entry);
        char path[512];
        snprintf(path, sizeof path, "%s/configs/%s", OG_TEST_DATA, pairs[i].file);
        og_model *f = NULL, *c = NULL;
        ck_assert_msg(og_model_open(path, &f, &err) == OG_OK, "%s: %s", path, err.message);
        ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_F16, &c, &err), OG_OK);
        const og_hparams *a = &c->hp, *b = &f->hp;
        ck_assert_str_eq(a->arch, b->arch);
        ck_assert_uint_eq(a->n_layer, b->n_layer);
        ck_assert_uint_eq(a->n_embd, b->n_embd);
        ck_assert_uint_eq(a->n_head[0], b->n_head[0]);
        ck_assert_uint_eq(a->n_head_kv[0], b->n_head_kv[0]);
        ck_assert_uint_eq(a->head_dim_k, b->head_dim_k);
        ck_assert_uint_eq(a->head_dim_v, b->head_dim_v);
        ck_assert_uint_eq(a->n_vocab, b->n_vocab);
        ck_assert_uint_eq(a->n_ctx_train, b->n_ctx_train);
        ck_assert_uint_eq(a->n_expert, b->n_expert);
        ck_assert_uint_eq(a->n_expert_used, b->n_expert_used);
        ck_assert_uint_eq(a->n_ff_exp, b->n_ff_exp);
        ck_assert_uint_eq(a->n_swa, b->n_swa);
        ck_assert_int_eq(a->swa_type, b->swa_type);
        ck_assert_int_eq(a->tied_embeddings, b->tied_embeddings);
        for (uint32_t il = 0; il < b->n_layer; il++) {
            ck_assert_msg(a->is_swa[il] == b->is_swa[il], "%s: layer %u swa", e->name, il);
            ck_assert_msg(a->is_moe[il] == b->is_moe[il], "%s: layer %u moe", e->name, il);
            if (!b->is_moe[il]) /* dense FFN width (unused in all-MoE models) */
                ck_assert_msg(a->n_ff[il] == b->n_ff[il], "%s: layer %u ff", e->name, il);
        }
        double pr = (double)main_params(c) / (double)f->n_params;
        ck_assert_msg(pr > 0.99 && pr < 1.01, "%s: catalog %llu vs config %llu params", e->name,
                      (unsigned long long)main_params(c), (unsigned long long)f->n_params);
        og_model_free(f);
        og_model_free(c);
    }
}
END_TEST

/* The fixture shape of a catalog entry: the fields every fixture test sets
 * the same way (the first layer's widths; KV heads of the first attention
 * layer; LFM2's attention layers as attn_mask). */
static ogfix_shape entry_shape(const og_catalog_entry *e)
{
    const og_hparams *hp = &e->hp;
    ogfix_shape s;
    memset(&s, 0, sizeof s);
    s.arch = hp->arch;
    s.name = e->name;
    s.n_layer = hp->n_layer;
    s.n_embd = hp->n_embd;
    s.n_head = hp->n_head[0];
    for (uint32_t i = 0; i < hp->n_layer && !s.n_head_kv; i++)
        s.n_head_kv = hp->n_head_kv[i];
    s.head_dim = hp->head_dim_k;
    s.n_ff = hp->n_ff[0];
    s.n_vocab = hp->n_vocab;
    s.n_ctx_train = (uint32_t)hp->n_ctx_train;
    s.tied_embeddings = hp->tied_embeddings;
    s.n_expert = hp->n_expert;
    s.n_expert_used = hp->n_expert_used;
    s.n_ff_exp = hp->n_ff_exp;
    s.n_expert_shared = hp->n_expert_shared;
    s.n_leading_dense = hp->n_leading_dense;
    s.expert_gating_bias = e->expert_gating_bias;
    s.qk_norm = e->qk_norm == OG_QK_NORM_FULL ? 2 : e->qk_norm == OG_QK_NORM_HEAD;
    s.attn_bias = e->attn_bias;
    s.n_swa = hp->n_swa;
    s.shortconv_l_cache = hp->shortconv_l_cache;
    if (hp->shortconv_l_cache)
        for (uint32_t i = 0; i < hp->n_layer && i < 64; i++)
            if (!hp->is_recurrent[i])
                s.attn_mask |= 1ull << i;
    return s;
}

static int fixture_arch(const char *a)
{
    static const char *ok[] = {"llama",  "qwen2",   "qwen3",   "qwen3moe", "gemma2",
                               "gemma3", "granite", "smollm3", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], a))
            return 1;
    return 0;
}

START_TEST(test_catalog_vs_fixture_file)
{
    /* The same shape written by the fixture writer as a real GGUF file and
     * read back by the GGUF reader: weights and parameters within 1 %. */
    static const struct {
        og_catalog_build b;
        uint32_t w, out;
    } mixes[] = {{OG_BUILD_GGUF_Q4_0, OGFIX_Q4_0, OGFIX_Q6_K},
                 {OG_BUILD_GGUF_Q8_0, OGFIX_Q8_0, OGFIX_Q8_0},
                 {OG_BUILD_GGUF_F16, OGFIX_F16, OGFIX_F16}};
    og_error err;
    int checked = 0;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        const og_hparams *hp = &e->hp;
        if (!fixture_arch(hp->arch) || hp->n_expert_shared ||
            e->post_norms != !strncmp(hp->arch, "gemma", 5))
            continue;
        int k = checked % 3;
        ogfix_shape s = entry_shape(e);
        s.n_layer = hp->n_layer_all;
        s.weight_type = mixes[k].w;
        s.output_type = mixes[k].out;
        /* llama-quantize gives tied embeddings the output's type */
        s.embd_type = hp->tied_embeddings ? mixes[k].out : mixes[k].w;
        char path[400];
        snprintf(path, sizeof path, "%s/%s.gguf", tmpdir, e->name);
        ck_assert_int_eq(ogfix_shape_write(&s, path), 0);
        og_model *f = NULL, *c = NULL;
        ck_assert_msg(og_model_open(path, &f, &err) == OG_OK, "%s: %s", e->name, err.message);
        ck_assert_int_eq(og_catalog_model(e, mixes[k].b, &c, &err), OG_OK);
        double wr = (double)c->weight_bytes / (double)f->weight_bytes;
        double pr = (double)c->n_params / (double)f->n_params;
        ck_assert_msg(wr > 0.99 && wr < 1.01, "%s %s: catalog %llu vs file %llu bytes", e->name,
                      c->quant_label, (unsigned long long)c->weight_bytes,
                      (unsigned long long)f->weight_bytes);
        ck_assert_msg(pr > 0.99 && pr < 1.01, "%s: params %llu vs %llu", e->name,
                      (unsigned long long)c->n_params, (unsigned long long)f->n_params);
        ck_assert_uint_eq(c->hp.n_layer, f->hp.n_layer);
        ck_assert_uint_eq(c->hp.n_embd, f->hp.n_embd);
        ck_assert_uint_eq(c->hp.n_vocab, f->hp.n_vocab);
        ck_assert_uint_eq(c->hp.head_dim_k, f->hp.head_dim_k);
        ck_assert_uint_eq(c->hp.n_head_kv[0], f->hp.n_head_kv[0]);
        ck_assert_uint_eq(c->hp.n_expert, f->hp.n_expert);
        ck_assert_int_eq(c->hp.tied_embeddings, f->hp.tied_embeddings);
        og_model_free(f);
        og_model_free(c);
        unlink(path);
        checked++;
    }
    ck_assert_int_ge(checked, 30);
}
END_TEST

/* The catalog's model of e in build b against the fixture writer's GGUF of
 * shape sh (read back by the GGUF reader): weight bytes within 1 %,
 * parameters within 1 % (equal when exact_params), and llama.cpp (CPU, ctx
 * n_ctx) plans the same KV, recurrent state and compute for both; the
 * recurrent / KV layer counts are checked when not UINT32_MAX. */
static void check_vs_fixture(const og_catalog_entry *e, og_catalog_build b, const ogfix_shape *sh,
                             int exact_params, uint32_t n_ctx, uint32_t rs, uint32_t kv)
{
    og_error err;
    og_model *f = og_test_model_from_shape(sh), *c = NULL;
    ck_assert_int_eq(og_catalog_model(e, b, &c, &err), OG_OK);
    double wr = (double)c->weight_bytes / (double)f->weight_bytes;
    double pr = (double)c->n_params / (double)f->n_params;
    ck_assert_msg(wr > 0.99 && wr < 1.01, "%s %s: catalog %llu vs file %llu bytes", e->name,
                  c->quant_label, (unsigned long long)c->weight_bytes,
                  (unsigned long long)f->weight_bytes);
    ck_assert_msg(exact_params ? c->n_params == f->n_params : pr > 0.99 && pr < 1.01,
                  "%s: params %llu vs %llu", e->name, (unsigned long long)c->n_params,
                  (unsigned long long)f->n_params);
    og_llama_settings ls;
    og_llama_settings_default(&ls);
    ls.backend = OG_BACKEND_CPU;
    ls.n_ctx = n_ctx;
    og_llama_memplan pc, pf;
    ck_assert_int_eq(og_llama_plan(c, &ls, &pc, &err), OG_OK);
    ck_assert_int_eq(og_llama_plan(f, &ls, &pf, &err), OG_OK);
    if (rs != UINT32_MAX) {
        ck_assert_uint_eq(pc.n_rs_layers, rs);
        ck_assert_uint_eq(pf.n_rs_layers, rs);
    }
    if (kv != UINT32_MAX) {
        ck_assert_uint_eq(pc.n_kv_layers, kv);
        ck_assert_uint_eq(pf.n_kv_layers, kv);
    }
    ck_assert_uint_eq(pc.component_bytes[OG_COMP_KV], pf.component_bytes[OG_COMP_KV]);
    ck_assert_uint_eq(pc.component_bytes[OG_COMP_RS], pf.component_bytes[OG_COMP_RS]);
    ck_assert_uint_eq(pc.component_bytes[OG_COMP_COMPUTE], pf.component_bytes[OG_COMP_COMPUTE]);
    og_model_free(f);
    og_model_free(c);
}

START_TEST(test_hybrid_vs_fixture)
{
    /* Qwen3-Next (gated delta-net hybrid): the catalog's synthetic tensor
     * list against the fixture writer's GGUF of the same shape (llama.cpp
     * src/models/qwen3next.cpp names), read back by the GGUF reader: weight
     * bytes and parameters within 1 %, and llama.cpp plans with the same
     * recurrent state, KV and recurrent/attention layers. */
    static const struct {
        og_catalog_build b;
        uint32_t w, out;
    } mixes[] = {{OG_BUILD_GGUF_Q4_0, OGFIX_Q4_0, OGFIX_Q6_K},
                 {OG_BUILD_GGUF_Q8_0, OGFIX_Q8_0, OGFIX_Q8_0},
                 {OG_BUILD_GGUF_F16, OGFIX_F16, OGFIX_F16}};
    /* Qwen3.5 / 3.6 (qwen35, qwen35moe: src/models/qwen35*.cpp) the same way:
     * layers, recurrent layers (3 of every 4), KV layers. */
    static const struct {
        const char *name;
        uint32_t rs, kv;
    } hy[] = {{"qwen3-next-80b-a3b", 36, 12},
              {"qwen3.6-35b-a3b", 30, 10},
              {"qwen3.5-4b", 24, 8},
              {"qwen3.5-27b", 48, 16},
              {"qwen3.5-9b", 24, 8}};
    for (size_t k = 0; k < 3 * (sizeof hy / sizeof hy[0]); k++) {
        const og_catalog_entry *e = find(hy[k / 3].name);
        const og_hparams *hp = &e->hp;
        ogfix_shape s = entry_shape(e);
        s.attn_period = 4;
        s.n_ff = hp->n_ff[0] ? hp->n_ff[0] : 5120;
        s.embd_type = hp->tied_embeddings ? mixes[k % 3].out : mixes[k % 3].w;
        s.n_ff_shexp = hp->n_ff_shexp;
        s.ssm_d_conv = hp->ssm_d_conv;
        s.ssm_d_inner = hp->ssm_d_inner;
        s.ssm_d_state = hp->ssm_d_state;
        s.ssm_n_group = hp->ssm_n_group;
        s.ssm_dt_rank = hp->ssm_dt_rank;
        s.qk_norm = 1;
        s.weight_type = mixes[k % 3].w;
        s.output_type = mixes[k % 3].out;
        check_vs_fixture(e, mixes[k % 3].b, &s, 0, 32768, hy[k / 3].rs, hy[k / 3].kv);
    }
}
END_TEST

START_TEST(test_lfm2_vs_fixture)
{
    /* LFM2 short-convolution hybrids (lfm2, lfm2moe: llama.cpp
     * src/models/lfm2.cpp, lfm2moe.cpp): the catalog's tensor list against
     * the fixture writer's GGUF with the entry's attention layers (the
     * config's layer_types), read back by the GGUF reader: weight bytes and
     * parameters within 1 %, and llama.cpp plans the same conv-state and KV
     * layers and the same KV, recurrent and compute bytes. */
    static const struct {
        const char *name;
        uint32_t rs, kv;
    } lf[] = {
        {"lfm2-350m", 10, 6}, {"lfm2-1.2b", 10, 6}, {"lfm2.5-2.6b", 22, 8}, {"lfm2-8b-a1b", 18, 6}};
    static const struct {
        og_catalog_build b;
        uint32_t w;
    } mixes[] = {{OG_BUILD_GGUF_Q8_0, OGFIX_Q8_0}, {OG_BUILD_GGUF_F16, OGFIX_F16}};
    for (size_t k = 0; k < 2 * (sizeof lf / sizeof lf[0]); k++) {
        const og_catalog_entry *e = find(lf[k / 2].name);
        ogfix_shape s = entry_shape(e);
        s.weight_type = s.embd_type = s.output_type = mixes[k % 2].w;
        check_vs_fixture(e, mixes[k % 2].b, &s, 1, 32768, lf[k / 2].rs, lf[k / 2].kv);
    }
}
END_TEST

START_TEST(test_moe_archs_vs_fixture)
{
    /* MiniMax-M2 (full-width q/k norms, sigmoid router with exp_probs_b),
     * Seed-OSS (q/k/v biases, post_attention_norm), ERNIE 4.5 (a leading dense
     * layer, two shared experts) and Hunyuan A13B (a shared expert, per-head
     * q/k norms): the catalog's tensor list against the fixture writer's GGUF
     * of the whole model (llama.cpp src/models/minimax-m2.cpp, seed-oss.cpp,
     * ernie4-5.cpp, hunyuan-moe.cpp names; the same files load in the real
     * llama.cpp, bench/results/accuracy-issue15.md), read back by the GGUF
     * reader: parameters equal, weight bytes within 1 %, the same KV plan. */
    static const char *names[] = {"minimax-m2", "seed-oss-36b", "ernie-4.5-21b-a3b",
                                  "hunyuan-a13b"};
    for (size_t k = 0; k < 2 * (sizeof names / sizeof names[0]); k++) {
        const og_catalog_entry *e = find(names[k / 2]);
        uint32_t w = k % 2 ? OGFIX_F16 : OGFIX_Q8_0;
        ogfix_shape s = entry_shape(e);
        s.weight_type = s.embd_type = s.output_type = w;
        check_vs_fixture(e, k % 2 ? OG_BUILD_GGUF_F16 : OG_BUILD_GGUF_Q8_0, &s, 1, 8192, 0,
                         UINT32_MAX);
    }
}
END_TEST

START_TEST(test_q4_k_m_mix_llama31_8b)
{
    /* Types of a real Llama-3.1-8B Q4_K_M (the tensor listing Ollama shows for
     * llama3.1:8b): attn_v and ffn_down of blk.0 and blk.1 are q6_K, the
     * other weights q4_K, output q6_K, norms f32 — and llama-quant.cpp
     * use_more_bits puts blk.4 back to q4_K and blk.6 to q6_K. */
    og_error err;
    og_model *m = NULL;
    ck_assert_int_eq(og_catalog_model(find("llama3.1:8b"), OG_BUILD_GGUF_Q4_K_M, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "token_embd.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "output.weight")->type_name, "q6_K");
    ck_assert_str_eq(tensor(m, "blk.0.attn_v.weight")->type_name, "q6_K");
    ck_assert_str_eq(tensor(m, "blk.1.attn_v.weight")->type_name, "q6_K");
    ck_assert_str_eq(tensor(m, "blk.0.ffn_down.weight")->type_name, "q6_K");
    ck_assert_str_eq(tensor(m, "blk.0.attn_q.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "blk.0.ffn_up.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "blk.0.attn_norm.weight")->type_name, "f32");
    ck_assert_str_eq(tensor(m, "blk.4.attn_v.weight")->type_name, "q4_K");
    ck_assert_str_eq(tensor(m, "blk.6.attn_v.weight")->type_name, "q6_K");
    ck_assert_str_eq(tensor(m, "blk.31.ffn_down.weight")->type_name, "q6_K");
    /* 8.03 B parameters at about 4.8-4.9 bits per weight */
    double bpw = 8.0 * (double)m->weight_bytes / (double)m->n_params;
    ck_assert_msg(bpw > 4.7 && bpw < 5.0, "bpw %.3f", bpw);
    og_model_free(m);

    /* Mixtral (8 experts): attn_v and attn_k q8_0, attn_output q5_K in Q4_K_M */
    ck_assert_int_eq(og_catalog_model(find("mixtral-8x7b"), OG_BUILD_GGUF_Q4_K_M, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.5.attn_v.weight")->type_name, "q8_0");
    ck_assert_str_eq(tensor(m, "blk.5.attn_k.weight")->type_name, "q8_0");
    ck_assert_str_eq(tensor(m, "blk.5.attn_output.weight")->type_name, "q5_K");
    ck_assert_str_eq(tensor(m, "blk.5.ffn_gate_inp.weight")->type_name, "f32");
    og_model_free(m);

    /* gpt-oss rows of 2880 are not a multiple of 256: q4_K falls back to q5_0 */
    ck_assert_int_eq(og_catalog_model(find("gpt-oss:20b"), OG_BUILD_GGUF_Q4_K_M, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.3.ffn_up_exps.weight")->type_name, "q5_0");
    og_model_free(m);
    ck_assert_int_eq(og_catalog_model(find("gpt-oss:20b"), OG_BUILD_GGUF_F16, &m, &err), OG_OK);
    ck_assert_str_eq(tensor(m, "blk.3.ffn_up_exps.weight")->type_name, "mxfp4");
    og_model_free(m);
}
END_TEST

START_TEST(test_mlx_packing)
{
    og_error err;
    og_model *m = NULL;
    const og_catalog_entry *e = find("qwen3-8b");
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_MLX_4BIT, &m, &err), OG_OK);
    /* q_proj [4096 out, 4096 in]: U32 [4096, 512], scales/biases [4096, 64] bf16 */
    const og_tensor *w = tensor(m, "model.layers.0.self_attn.q_proj.weight");
    ck_assert_str_eq(w->type_name, "U32");
    ck_assert_uint_eq(w->dims[0], 4096);
    ck_assert_uint_eq(w->dims[1], 4096 * 4 / 32);
    ck_assert_uint_eq(w->bytes, 4096ull * 4096 / 2);
    const og_tensor *sc = tensor(m, "model.layers.0.self_attn.q_proj.scales");
    ck_assert_str_eq(sc->type_name, "BF16");
    ck_assert_uint_eq(sc->dims[1], 64);
    ck_assert_str_eq(tensor(m, "model.layers.0.input_layernorm.weight")->type_name, "BF16");
    ck_assert_int_eq(m->mlx.quantized, 1);
    ck_assert_uint_eq(m->mlx.bits, 4);
    /* a dense model with every width a multiple of 64: 4.5 bits per weight
     * on the quantized part, norms in bf16 */
    double bpw = 8.0 * (double)m->weight_bytes / (double)m->n_params;
    ck_assert_msg(bpw > 4.49 && bpw < 4.52, "bpw %.4f", bpw);
    og_model_free(m);

    /* qwen3_moe.py quant_predicate: the router is 8-bit */
    ck_assert_int_eq(og_catalog_model(find("qwen3:30b"), OG_BUILD_MLX_4BIT, &m, &err), OG_OK);
    w = tensor(m, "model.layers.0.mlp.gate.weight");
    ck_assert_uint_eq(w->dims[1], 2048 * 8 / 32);
    w = tensor(m, "model.layers.0.mlp.switch_mlp.down_proj.weight");
    ck_assert_uint_eq(w->n_dims, 3);
    ck_assert_uint_eq(w->dims[0], 128);
    ck_assert_uint_eq(w->dims[2], 768 * 4 / 32);
    og_model_free(m);

    /* bf16: 2 bytes per parameter exactly */
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_MLX_BF16, &m, &err), OG_OK);
    ck_assert_uint_eq(m->weight_bytes, 2 * m->n_params);
    og_model_free(m);

    /* GLM-4.5-Air: the NextN layer is in the GGUF, not in MLX folders */
    ck_assert_int_eq(og_catalog_model(find("glm-4.5-air"), OG_BUILD_MLX_4BIT, &m, &err), OG_OK);
    ck_assert_uint_eq(m->hp.n_layer_all, 46);
    for (size_t i = 0; i < m->n_tensors; i++)
        ck_assert_ptr_null(strstr(m->tensors[i].name, "layers.46."));
    og_model_free(m);
    ck_assert_int_eq(og_catalog_model(find("glm-4.5-air"), OG_BUILD_GGUF_Q8_0, &m, &err), OG_OK);
    ck_assert_uint_eq(m->hp.n_layer_all, 47);
    ck_assert_uint_eq(m->hp.n_nextn, 1);
    tensor(m, "blk.46.nextn.eh_proj.weight");
    og_model_free(m);
}
END_TEST

START_TEST(test_find_fuzzy)
{
    ck_assert_str_eq(find("llama3.1:8b")->name, "llama-3.1-8b");
    ck_assert_str_eq(find("Llama-3.1-8B")->name, "llama-3.1-8b");
    ck_assert_str_eq(find("meta-llama/Llama-3.1-8B-Instruct")->name, "llama-3.1-8b");
    ck_assert_str_eq(find("QWEN3 32B")->name, "qwen3-32b");
    ck_assert_str_eq(find("Qwen/Qwen3-32B")->name, "qwen3-32b");
    ck_assert_str_eq(find("qwen3:30b")->name, "qwen3-30b-a3b");
    ck_assert_str_eq(find("llama3.1:8b-instruct-q4_K_M")->name, "llama-3.1-8b");
    ck_assert_str_eq(find("deepseek-r1:70b")->name, "deepseek-r1-distill-llama-70b");
    ck_assert_str_eq(find("gpt_oss_20b")->name, "gpt-oss-20b");

    const og_catalog_entry *e = NULL;
    og_error err;
    ck_assert_int_eq(og_catalog_find("qwen3-23b", &e, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(err.message, "did you mean"));
    ck_assert_ptr_nonnull(strstr(err.message, "qwen3-32b"));
    ck_assert_int_eq(og_catalog_find("lama-3.3-70b", &e, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "'llama-3.3-70b'"));
    ck_assert_int_eq(og_catalog_find("completely-unknown-model", &e, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_null(strstr(err.message, "did you mean"));

    og_catalog_build b;
    ck_assert_int_eq(og_catalog_build_from_name("mlx-4bit", &b, &err), OG_OK);
    ck_assert_int_eq(b, OG_BUILD_MLX_4BIT);
    ck_assert_int_eq(og_catalog_build_from_name("q4_k_m", &b, &err), OG_OK);
    ck_assert_int_eq(b, OG_BUILD_GGUF_Q4_K_M);
    ck_assert_int_eq(og_catalog_build_from_name("q4-k-x", &b, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "Q4_K_M"));
}
END_TEST

#define GOOD_ENTRY                                                                                 \
    "{\"name\":\"my-model\",\"arch\":\"llama\",\"n_layer\":4,\"n_embd\":256,\"n_head\":4,"         \
    "\"n_head_kv\":2,\"n_ff\":512,\"n_vocab\":1000,\"n_ctx_train\":4096,\"source\":\"test\"%s}"

static og_status parse_with(const char *extra, og_error *err)
{
    char e[1024], doc[1200];
    snprintf(e, sizeof e, GOOD_ENTRY, extra);
    snprintf(doc, sizeof doc, "{\"schema\":1,\"models\":[%s]}", e);
    og_catalog_entry *es = NULL;
    uint32_t n = 0;
    og_status st = og_catalog_parse(doc, strlen(doc), "user.json", &es, &n, err);
    free(es);
    return st;
}

START_TEST(test_bad_user_catalog)
{
    og_error err;
    ck_assert_int_eq(parse_with("", &err), OG_OK);
    static const struct {
        const char *extra, *want;
    } cases[] = {
        {",\"n_embed\":5", "key 'n_embed': unknown key"},
        {",\"n_expert\":8", "key 'n_expert_used'"},
        {",\"qk_norm\":\"yes\"", "key 'qk_norm'"},
        {",\"arch\":\"nope\"", NULL}, /* duplicate key: jansson keeps the last */
        {",\"n_swa\":\"big\"", "key 'n_swa': must be a whole number"},
        {",\"tied_embeddings\":1", "key 'tied_embeddings': must be true or false"},
        {",\"aliases\":\"x\"", "key 'aliases'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].want)
            continue;
        ck_assert_int_eq(parse_with(cases[i].extra, &err), OG_ERR_INVALID);
        ck_assert_msg(strstr(err.message, "user.json: entry 'my-model': ") &&
                          strstr(err.message, cases[i].want),
                      "case %zu: %s", i, err.message);
    }
    og_catalog_entry *es = NULL;
    uint32_t n = 0;
    const char *d1 = "{\"models\":[{\"name\":\"x\",\"arch\":\"llama\"}]}";
    ck_assert_int_eq(og_catalog_parse(d1, strlen(d1), "u.json", &es, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "u.json: entry 'x': key 'source': missing"));
    const char *d2 = "{\"models\":[{\"name\":\"x\",";
    ck_assert_int_eq(og_catalog_parse(d2, strlen(d2), "u.json", &es, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "u.json: not valid JSON"));
    const char *d3 = "[1,2]";
    ck_assert_int_eq(og_catalog_parse(d3, strlen(d3), "u.json", &es, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "\"models\""));
    const char *d4 = "{\"models\":[{\"name\":\"x\",\"arch\":\"llama\",\"n_layer\":2,\"n_embd\":64,"
                     "\"n_head\":4,\"n_head_kv\":[1,3],\"n_ff\":128,\"n_vocab\":10,"
                     "\"n_ctx_train\":64,\"source\":\"s\"}]}";
    ck_assert_int_eq(og_catalog_parse(d4, strlen(d4), "u.json", &es, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "key 'n_head_kv': must divide n_head"));
    ck_assert_ptr_null(es);
}
END_TEST

START_TEST(test_user_catalog_file)
{
    char path[400];
    snprintf(path, sizeof path, "%s/catalog.json", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"schema\":1,\"models\":[");
    fprintf(f, GOOD_ENTRY, ",\"aliases\":[\"mine:1b\"],\"params_published\":1");
    fprintf(f, "]}");
    fclose(f);
    setenv("OOMGUARD_CATALOG", path, 1);
    og_error err;
    ck_assert_int_eq(og_catalog_load(&err), OG_OK);
    const og_catalog_entry *e = find("mine:1b");
    ck_assert_str_eq(e->name, "my-model");
    ck_assert_str_eq(e->origin, path);
    ck_assert_ptr_nonnull(find("qwen3-32b")); /* built-in still there */
}
END_TEST

START_TEST(test_user_catalog_bad_file)
{
    char path[400];
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"models\":[");
    fprintf(f, GOOD_ENTRY, ",\"n_layers\":3");
    fprintf(f, "]}");
    fclose(f);
    setenv("OOMGUARD_CATALOG", path, 1);
    og_error err;
    ck_assert_int_eq(og_catalog_load(&err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, path));
    ck_assert_ptr_nonnull(strstr(err.message, "entry 'my-model': key 'n_layers'"));
    ck_assert_uint_ge(og_catalog_count(), 60); /* the built-in catalog stays usable */
}
END_TEST

/* Stand-in estimator for the table logic: weights + 1 KiB per token against
 * a budget passed through `user`. */
static og_status standin(const og_model *m, const og_machine *mach, const og_fit_settings *s,
                         og_fit_result *out, void *user, og_error *err)
{
    (void)mach;
    (void)err;
    uint64_t budget = *(const uint64_t *)user;
    memset(out, 0, sizeof *out);
    out->budget_bytes = budget;
    out->total_bytes = m->weight_bytes + s->ctx * 1024;
    out->fits = out->total_bytes <= budget;
    uint64_t room = budget > m->weight_bytes ? (budget - m->weight_bytes) / 1024 : 0;
    out->max_ctx = room < m->hp.n_ctx_train ? room : m->hp.n_ctx_train;
    return OG_OK;
}

START_TEST(test_best_build_standin)
{
    og_error err;
    const og_catalog_entry *e = find("llama-3.1-8b");
    /* budget: Q5_K_M weights + 4096 tokens fit, Q6_K does not */
    og_model *q5 = NULL, *q6 = NULL;
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_Q5_K_M, &q5, &err), OG_OK);
    ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_Q6_K, &q6, &err), OG_OK);
    uint64_t budget = q5->weight_bytes + 10000 * 1024ull;
    ck_assert_uint_lt(budget, q6->weight_bytes + 4096 * 1024ull);
    og_fit_settings fs = {0};
    og_catalog_build b;
    og_fit_result r;
    ck_assert_int_eq(og_catalog_best_build(e, NULL, 0, &fs, standin, &budget, &b, &r, &err), OG_OK);
    ck_assert_int_eq(b, OG_BUILD_GGUF_Q5_K_M);
    ck_assert_int_eq(r.fits, 1);
    ck_assert_uint_eq(r.max_ctx, 10000);
    /* a usable context of 16K no longer fits Q5_K_M: a smaller build is chosen */
    fs.min_ctx = 16384;
    ck_assert_int_eq(og_catalog_best_build(e, NULL, 0, &fs, standin, &budget, &b, &r, &err), OG_OK);
    ck_assert_int_lt(q5->weight_bytes, budget);
    ck_assert(b == OG_BUILD_GGUF_Q4_K_M || b == OG_BUILD_GGUF_IQ4_XS);
    ck_assert_uint_ge(r.max_ctx, 16384);
    /* nothing fits a tiny budget */
    uint64_t tiny = 1u << 20;
    ck_assert_int_eq(og_catalog_best_build(e, NULL, 1, &fs, standin, &tiny, &b, &r, &err), OG_OK);
    ck_assert_int_eq(b, OG_BUILD_COUNT);
    ck_assert_int_eq(r.fits, 0);
    og_model_free(q5);
    og_model_free(q6);
}
END_TEST

START_TEST(test_fit_machines)
{
    og_error err;
    og_model *m = NULL;
    ck_assert_int_eq(og_catalog_model(find("llama-3.3-70b"), OG_BUILD_GGUF_Q4_K_M, &m, &err),
                     OG_OK);
    og_machine_fit rows[128];
    uint32_t n = 0;
    og_fit_settings fs = {.ctx = 8192};
    ck_assert_int_eq(og_fit_machines(m, &fs, NULL, NULL, rows, 128, &n, &err), OG_OK);
    ck_assert_uint_eq(n, og_machine_preset_count() < 128 ? og_machine_preset_count() : 128);
    ck_assert_uint_gt(n, 3);
    int seen_fit = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            ck_assert_uint_ge(rows[i].ram_bytes, rows[i - 1].ram_bytes); /* smallest first */
        /* a machine with less than the weights fits only with llama.cpp's --fit
         * putting part of the model in RAM (discrete GPUs: og_decision.placement) */
        if (rows[i].result.budget_bytes < m->weight_bytes && rows[i].result.fits)
            ck_assert_msg(strstr(rows[i].result.note, "partly in RAM (--fit: ") != NULL, "%s: %s",
                          rows[i].preset, rows[i].result.note);
        if (rows[i].result.fits) {
            seen_fit = 1;
            ck_assert_uint_ge(rows[i].result.max_ctx, 8192);
        }
    }
    ck_assert(seen_fit);
    og_model_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_all_entries_build);
    tcase_add_test(tc, test_more_quant_mixes);
    tcase_add_test(tc, test_accepted_builds);
    tcase_add_test(tc, test_build_repo_names);
    tcase_add_test(tc, test_entry_json_round_trip);
    tcase_add_test(tc, test_params_vs_published);
    tcase_add_test(tc, test_sources_marked);
    tcase_add_test(tc, test_catalog_vs_config_fixtures);
    tcase_add_test(tc, test_catalog_vs_fixture_file);
    tcase_add_test(tc, test_hybrid_vs_fixture);
    tcase_add_test(tc, test_lfm2_vs_fixture);
    tcase_add_test(tc, test_moe_archs_vs_fixture);
    tcase_add_test(tc, test_q4_k_m_mix_llama31_8b);
    tcase_add_test(tc, test_mlx_packing);
    tcase_add_test(tc, test_find_fuzzy);
    tcase_add_test(tc, test_bad_user_catalog);
    tcase_add_test(tc, test_user_catalog_file);
    tcase_add_test(tc, test_user_catalog_bad_file);
    tcase_add_test(tc, test_best_build_standin);
    tcase_add_test(tc, test_fit_machines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    unsetenv("OOMGUARD_CATALOG");
    setenv("XDG_CONFIG_HOME", "/nonexistent-og-test", 1);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
