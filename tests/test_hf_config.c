/* Hugging Face config.json reader: real configs (tests/data/configs, see
 * README there), parameter counts computed by hand, hostile JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/oomguard.h"

static og_model *open_cfg(const char *file)
{
    char p[512];
    snprintf(p, sizeof p, "%s/configs/%s", OG_TEST_DATA, file);
    og_model *m = NULL;
    og_error err;
    og_error_clear(&err);
    ck_assert_msg(og_model_open(p, &m, &err) == OG_OK, "%s", err.message);
    ck_assert_int_eq(m->format, OG_FORMAT_HF_CONFIG);
    ck_assert_uint_eq(m->n_tensors, 0);
    ck_assert_int_eq(m->hparams_fallback, 0);
    return m;
}

static uint32_t count(const uint8_t *v, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += v[i] != 0;
    return c;
}

START_TEST(test_llama31_8b)
{
    og_model *m = open_cfg("llama-3.1-8b.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "llama");
    ck_assert_uint_eq(hp->n_layer, 32);
    ck_assert_uint_eq(hp->n_embd, 4096);
    ck_assert_uint_eq(hp->n_head[0], 32);
    ck_assert_uint_eq(hp->n_head_kv[31], 8);
    ck_assert_uint_eq(hp->head_dim_k, 128);
    ck_assert_uint_eq(hp->n_ff[0], 14336);
    ck_assert_uint_eq(hp->n_vocab, 128256);
    ck_assert_uint_eq(hp->n_ctx_train, 131072);
    ck_assert_int_eq(hp->tied_embeddings, 0);
    ck_assert_int_eq(hp->swa_type, OG_SWA_NONE);
    /* embed + output 2 x 128256 x 4096 = 1,050,673,152; per layer: q,o
     * 2 x 4096^2 + k,v 2 x 4096 x 1024 + MLP 3 x 4096 x 14336 + 2 norms x 4096
     * = 218,112,000, x 32 = 6,979,584,000; final norm 4096. */
    ck_assert_uint_eq(m->n_params, 1050673152ull + 6979584000ull + 4096);
    ck_assert_uint_eq(m->n_params, 8030261248ull); /* Meta's published count */
    ck_assert_uint_eq(m->weight_bytes, 2 * 8030261248ull);
    ck_assert_str_eq(m->dtype, "bfloat16");
    ck_assert_str_eq(m->quant_label, "BF16");
    og_model_free(m);
}
END_TEST

START_TEST(test_qwen3_30b_a3b)
{
    og_model *m = open_cfg("qwen3-30b-a3b.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "qwen3moe");
    ck_assert_uint_eq(hp->n_layer, 48);
    ck_assert_uint_eq(hp->n_expert, 128);
    ck_assert_uint_eq(hp->n_expert_used, 8);
    ck_assert_uint_eq(hp->n_ff_exp, 768);
    ck_assert_uint_eq(hp->head_dim_k, 128); /* explicit, not 2048 / 32 = 64 */
    ck_assert_uint_eq(count(hp->is_moe, 48), 48);
    ck_assert_int_eq(hp->swa_type, OG_SWA_NONE); /* sliding_window: null */
    /* embed + output 2 x 151936 x 2048 = 622,329,856; per layer: q 2048x4096,
     * k,v 2 x 2048x512, o 4096x2048, q/k norms 256 = 18,874,624; router
     * 2048x128 = 262,144; experts 128 x 3 x 2048 x 768 = 603,979,776; norms
     * 4096 -> 623,120,640 x 48 = 29,909,790,720; final norm 2048. */
    ck_assert_uint_eq(m->n_params, 622329856ull + 29909790720ull + 2048);
    og_model_free(m);
}
END_TEST

START_TEST(test_gemma3_27b_text_config)
{
    og_model *m = open_cfg("gemma-3-27b-it.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "gemma3");
    ck_assert_uint_eq(hp->n_layer, 62);
    ck_assert_uint_eq(hp->n_embd, 5376);
    ck_assert_uint_eq(hp->n_head_kv[0], 16);
    ck_assert_uint_eq(hp->head_dim_k, 128);
    ck_assert_uint_eq(hp->n_vocab, 262208); /* Gemma3TextConfig default */
    ck_assert_int_eq(hp->tied_embeddings, 1);
    ck_assert_int_eq(hp->swa_type, OG_SWA_STANDARD);
    ck_assert_uint_eq(hp->n_swa, 1024);
    /* Period 6: layers 5, 11, ... global; 62 - 10 = 52 sliding. */
    ck_assert_uint_eq(count(hp->is_swa, 62), 52);
    ck_assert_int_eq(hp->is_swa[0], 1);
    ck_assert_int_eq(hp->is_swa[5], 0);
    ck_assert_int_eq(hp->is_swa[61], 1);
    /* Tied embed 262208 x 5376 = 1,409,630,208; per layer: q 5376x4096,
     * k,v 2 x 5376x2048, o 4096x5376 = 66,060,288 + q/k norms 256 + MLP
     * 3 x 5376 x 21504 = 346,816,512 + 4 norms 21,504 = 412,898,560,
     * x 62 = 25,599,710,720; final norm 5376. Text model only. */
    ck_assert_uint_eq(m->n_params, 1409630208ull + 25599710720ull + 5376);
    og_model_free(m);
}
END_TEST

START_TEST(test_deepseek_v3_mla)
{
    og_model *m = open_cfg("deepseek-v3.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "deepseek2");
    ck_assert_uint_eq(hp->n_layer, 61); /* deepseek.py skips the MTP layer */
    ck_assert_uint_eq(hp->n_nextn, 0);
    ck_assert_int_eq(hp->is_mla, 1);
    ck_assert_uint_eq(hp->kv_lora_rank, 512);
    ck_assert_uint_eq(hp->q_lora_rank, 1536);
    ck_assert_uint_eq(hp->head_dim_k, 576);
    ck_assert_uint_eq(hp->head_dim_v, 512);
    ck_assert_uint_eq(hp->head_dim_k_mla, 192);
    ck_assert_uint_eq(hp->head_dim_v_mla, 128);
    ck_assert_uint_eq(hp->n_rot, 64);
    ck_assert_uint_eq(hp->n_head_kv[0], 1);
    ck_assert_uint_eq(hp->n_expert, 256);
    ck_assert_uint_eq(hp->n_expert_shared, 1);
    ck_assert_uint_eq(hp->n_leading_dense, 3);
    ck_assert_uint_eq(count(hp->is_moe, 61), 58);
    ck_assert_int_eq(hp->is_moe[2], 0);
    ck_assert_int_eq(hp->is_moe[3], 1);
    /* embed + output 2 x 129280 x 7168 = 1,853,358,080; final norm 7168.
     * MLA per layer: q_a 7168x1536 + 1536 + q_b 1536x128x192
     * + kv_a 7168x576 + 512 + kv_b 512x128x256 + o 128x128x7168
     * = 11,010,048 + 1,536 + 37,748,736 + 4,128,768 + 512 + 16,777,216
     * + 117,440,512 = 187,107,328; norms 14,336.
     * Dense FFN 3 x 7168 x 18432 = 396,361,728 (3 layers).
     * MoE: router 7168x256 = 1,835,008 + bias 256 + 256 experts
     * 3 x 7168 x 2048 = 11,274,289,152 + shared 44,040,192 = 11,320,164,608.
     * 3 x (187,107,328 + 14,336 + 396,361,728) + 58 x (187,107,328 + 14,336
     * + 11,320,164,608) = 1,750,450,176 + 667,422,603,776. */
    ck_assert_uint_eq(m->n_params, 1853358080ull + 7168 + 1750450176ull + 667422603776ull);
    ck_assert_uint_eq(m->n_params, 671026419200ull); /* DeepSeek's "671B" */
    ck_assert_str_eq(m->quant_label, "FP8");
    og_model_free(m);
}
END_TEST

START_TEST(test_gpt_oss_20b)
{
    og_model *m = open_cfg("gpt-oss-20b.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "gpt-oss");
    ck_assert_uint_eq(hp->n_layer, 24);
    ck_assert_uint_eq(hp->head_dim_k, 64);
    ck_assert_uint_eq(hp->n_expert, 32);
    ck_assert_uint_eq(hp->n_expert_used, 4);
    ck_assert_uint_eq(hp->n_ff_exp, 2880);
    ck_assert_int_eq(hp->swa_type, OG_SWA_STANDARD);
    ck_assert_uint_eq(hp->n_swa, 128);
    ck_assert_uint_eq(count(hp->is_swa, 24), 12);
    ck_assert_int_eq(hp->is_swa[0], 1); /* layer_types: sliding first */
    ck_assert_int_eq(hp->is_swa[1], 0);
    /* embed + output 2 x 201088 x 2880 = 1,158,266,880; per layer: attention
     * 2880x4096 x 2 + 2 x 2880x512 + biases 8,000 + sinks 64 = 26,550,144;
     * router 2880x32 + 32 = 92,192; experts 32 x 3 x 2880^2 = 796,262,400 +
     * biases 32 x (2 x 2880 + 2880) = 276,480; norms 5,760 -> 823,186,976
     * x 24 = 19,756,487,424; final norm 2880. */
    ck_assert_uint_eq(m->n_params, 1158266880ull + 19756487424ull + 2880);
    /* MXFP4 experts (4.25 bits): 24 x 796,262,400 x 17 / 32 = 10,152,345,600,
     * the rest in BF16: (20,914,757,184 - 19,110,297,600) x 2. */
    ck_assert_uint_eq(m->weight_bytes, 10152345600ull + 2 * 1804459584ull);
    ck_assert_str_eq(m->quant_label, "MXFP4");
    og_model_free(m);
}
END_TEST

START_TEST(test_qwen3_next_hybrid)
{
    og_model *m = open_cfg("qwen3-next-80b-a3b.json");
    const og_hparams *hp = &m->hp;
    ck_assert_str_eq(hp->arch, "qwen3next");
    ck_assert_uint_eq(hp->n_layer, 48);
    ck_assert_uint_eq(count(hp->is_recurrent, 48), 36);
    ck_assert_int_eq(hp->is_recurrent[0], 1);
    ck_assert_int_eq(hp->is_recurrent[3], 0);
    ck_assert_uint_eq(hp->n_head_kv[3], 2);
    ck_assert_uint_eq(hp->ssm_d_conv, 4);
    ck_assert_uint_eq(hp->ssm_d_state, 128);
    ck_assert_uint_eq(hp->ssm_n_group, 16);
    ck_assert_uint_eq(hp->ssm_dt_rank, 32);
    ck_assert_uint_eq(hp->ssm_d_inner, 4096);
    ck_assert_uint_eq(hp->n_expert, 512);
    ck_assert_uint_eq(hp->n_ff_shexp, 512);
    /* embed + output 622,329,856 + final norm 2048; 12 attention layers
     * (gated q 2048x8192, k,v 2 x 2048x512, o 4096x2048, q/k norms 512)
     * = 27,263,488 each; 36 gated-DeltaNet layers (qkvz 2048x12288, ba
     * 2048x64, conv 8192x4, dt/A 64, norm 128, out 4096x2048) = 33,718,464
     * each; MoE per layer router 1,048,576 + experts 512 x 3 x 2048 x 512
     * + shared 3,145,728 + gate 2048 = 1,614,809,088, norms 4096. */
    ck_assert_uint_eq(m->n_params, 622329856ull + 2048 + 12 * 27263488ull + 36 * 33718464ull +
                                       48 * (1614809088ull + 4096));
    ck_assert_uint_eq(m->n_params, 79674391296ull);
    og_model_free(m);
}
END_TEST

static og_status parse(const char *json, og_model **m, og_error *err)
{
    *m = NULL;
    og_error_clear(err);
    return og_hf_config_parse_buffer(json, strlen(json), "cfg.json", m, err);
}

static void expect_bad(const char *json, const char *needle)
{
    og_model *m;
    og_error err;
    ck_assert_msg(parse(json, &m, &err) == OG_ERR_INVALID, "accepted: %.80s", json);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, "cfg.json") && strstr(err.message, needle), "%s",
                  err.message);
}

START_TEST(test_fallback_and_hostile)
{
    og_model *m;
    og_error err;
    ck_assert_int_eq(parse("{\"model_type\": \"brandnew\", \"hidden_size\": 64, "
                           "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                           "\"intermediate_size\": 128, \"vocab_size\": 100}",
                           &m, &err),
                     OG_OK);
    ck_assert_int_eq(m->hparams_fallback, 1);
    ck_assert_str_eq(m->hp.arch, "brandnew");
    /* Generic shape, tied by the PretrainedConfig default: 100 x 64 + 2 x
     * (4 x 64^2 + 3 x 64 x 128 + 128) + 64. */
    ck_assert_uint_eq(m->n_params, 6400 + 2 * (16384 + 24576 + 128) + 64);
    og_model_free(m);

    expect_bad("{\"hidden_size\": 64}", "num_hidden_layers");
    expect_bad("{\"num_hidden_layers\": 2}", "hidden_size");
    expect_bad("{\"num_hidden_layers\": \"two\", \"hidden_size\": 64}", "num_hidden_layers");
    expect_bad("{\"num_hidden_layers\": 100000, \"hidden_size\": 64}", "num_hidden_layers");
    expect_bad("{\"num_hidden_layers\": 2, \"hidden_size\": 1099511627776}", "implausibly");
    expect_bad("{\"num_hidden_layers\": 2, \"hidden_size\": 64, \"layer_types\": [\"a\"]}",
               "layer_types");
    expect_bad("{\"num_hidden_layers\": 2, \"hidden_size\": 64, \"text_config\": 3}",
               "text_config");
    expect_bad("[1, 2]", "not a JSON object");
    expect_bad("{\"num_hidden_layers\": 2,", "invalid JSON");
    expect_bad("{\"a\": \"\xc3\x28\"}", "UTF-8");
    expect_bad("{\"a\": 1, \"a\": 2}", "duplicate");
    /* Nesting depth 100000. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    for (size_t i = 0; i < depth; i++) {
        deep[i] = '[';
        deep[depth + i] = ']';
    }
    deep[2 * depth] = '\0';
    expect_bad(deep, "invalid JSON");
    free(deep);
    /* 20 MB of JSON: refused by size before parsing. */
    size_t big = 20u << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    memcpy(huge, "{\"a\":1}", 7);
    huge[big] = '\0';
    expect_bad(huge, "limit");
    free(huge);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hf_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_llama31_8b);
    tcase_add_test(tc, test_qwen3_30b_a3b);
    tcase_add_test(tc, test_gemma3_27b_text_config);
    tcase_add_test(tc, test_deepseek_v3_mla);
    tcase_add_test(tc, test_gpt_oss_20b);
    tcase_add_test(tc, test_qwen3_next_hybrid);
    tcase_add_test(tc, test_fallback_and_hostile);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
