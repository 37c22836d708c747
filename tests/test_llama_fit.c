/* llama.cpp's --fit predicted (og_llama_fit_params), several devices, -ot
 * overrides: checked against rules read from common/fit.cpp and
 * src/llama-model.cpp (llama.cpp 2026-09-12) and worked out by hand. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "og_test.h"
#include "ogfix.h"
#include "oomguard/oomguard.h"

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)

static og_model *from_shape(const ogfix_shape *s)
{
    return og_test_model_from_shape(s);
}

static ogfix_shape qwen3_moe(void)
{
    ogfix_shape s = {0};
    s.arch = "qwen3moe";
    s.name = "qwen3-30b-a3b";
    s.n_layer = 48;
    s.n_embd = 2048;
    s.n_head = 32;
    s.n_head_kv = 4;
    s.head_dim = 128;
    s.n_expert = 128;
    s.n_expert_used = 8;
    s.n_ff_exp = 768;
    s.n_vocab = 151936;
    s.n_ctx_train = 40960;
    s.qk_norm = 1;
    s.weight_type = 12; /* q4_K */
    return s;
}

static og_llama_settings cuda(void)
{
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.backend = OG_BACKEND_CUDA;
    return s;
}

static og_fitp_input one_gpu(uint64_t free_bytes)
{
    og_fitp_input in;
    memset(&in, 0, sizeof in);
    in.n_devices = 1;
    in.free_bytes[0] = free_bytes;
    return in;
}

/* The device total of a plan (what --fit compares with free - target). */
static uint64_t dev_total(const og_model *m, const og_llama_settings *s, uint32_t d)
{
    og_llama_settings t = *s;
    t.use_mmap = 0;
    og_llama_memplan p;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &t, &p, &err), OG_OK);
    return p.dev_model[d] + p.dev_context[d] + p.dev_compute[d];
}

START_TEST(test_overrides_parse_and_match)
{
    og_llama_settings s = cuda();
    og_error err;
    ck_assert_int_eq(og_llama_add_overrides(&s, "\\.ffn_.*_exps\\.=CPU,blk\\.1\\.=CUDA1", &err),
                     OG_OK);
    ck_assert_uint_eq(s.n_overrides, 2);
    ck_assert_int_eq(s.overrides[0].device, OG_OT_CPU);
    ck_assert_int_eq(s.overrides[1].device, 1);
    ck_assert_int_eq(og_llama_add_overrides(&s, "noequals", &err), OG_ERR_INVALID);
    ck_assert_int_eq(og_llama_add_overrides(&s, "x=NPU0", &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "NPU0"));
    /* std::regex_search semantics with \d and an empty alternative */
    const char *all = "blk\\.\\d+\\.ffn_(up|down|gate_up|gate)_(ch|)exps";
    ck_assert_int_eq(og_llama_override_matches(all, "blk.12.ffn_up_exps.weight"), 1);
    ck_assert_int_eq(og_llama_override_matches(all, "blk.12.ffn_gate_chexps.weight"), 1);
    ck_assert_int_eq(og_llama_override_matches(all, "blk.12.ffn_up_shexp.weight"), 0);
    ck_assert_int_eq(og_llama_override_matches("blk\\.1\\.ffn_down.*", "blk.11.ffn_down.weight"),
                     0);
    /* --n-cpu-moe 2: the experts of layers 0 and 1 */
    s = cuda();
    ck_assert_int_eq(og_llama_add_cpu_moe(&s, 2, &err), OG_OK);
    ck_assert_uint_eq(s.n_overrides, 2);
    ck_assert_str_eq(s.overrides[1].pattern, "blk\\.1\\.ffn_(up|down|gate|gate_up)_(ch|)exps");
}
END_TEST

START_TEST(test_overrides_move_weights)
{
    ogfix_shape sh = qwen3_moe();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    s.n_ctx = 4096;
    og_llama_memplan all, moe;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &s, &all, &err), OG_OK);
    ck_assert_int_eq(og_llama_add_cpu_moe(&s, -1, &err), OG_OK);
    ck_assert_int_eq(og_llama_plan(m, &s, &moe, &err), OG_OK);
    /* every ffn_*_exps tensor leaves the GPU; their bytes: */
    uint64_t exps = 0;
    for (size_t i = 0; i < m->n_tensors; i++)
        if (strstr(m->tensors[i].name, "_exps"))
            exps += m->tensors[i].bytes;
    ck_assert_uint_gt(exps, 10 * GiB);
    ck_assert_uint_eq(all.dev_model[0] - moe.dev_model[0], exps);
    ck_assert_uint_eq(moe.overridden_bytes, exps);
    ck_assert_uint_eq(moe.component_bytes[OG_COMP_WEIGHTS], all.component_bytes[OG_COMP_WEIGHTS]);
    og_model_free(m);
}
END_TEST

START_TEST(test_layer_split_two_devices)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    s.n_ctx = 8192;
    s.n_devices = 2;
    s.tensor_split[0] = 1;
    s.tensor_split[1] = 3;
    og_llama_memplan p;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    /* 33 layers (32 + output): layer il goes to device 0 while il/33 < 0.25 */
    ck_assert_uint_eq(p.dev_layers[0], 9);
    ck_assert_uint_eq(p.dev_layers[1], 24);
    ck_assert_int_eq(p.output_device, 1);
    /* KV follows the layers: 9 and 23 layers of 32 MiB at 8192 tokens (f16 K+V) */
    ck_assert_uint_eq(p.dev_context[0], 9 * 32 * MiB);
    ck_assert_uint_eq(p.dev_context[1], 23 * 32 * MiB);
    ck_assert_uint_eq(p.gpu_bytes, p.dev_model[0] + p.dev_model[1] + p.dev_context[0] +
                                       p.dev_context[1] + p.dev_compute[0] + p.dev_compute[1]);
    /* -sm none: everything on the main GPU */
    s.split_mode = OG_SPLIT_NONE;
    s.main_gpu = 1;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    ck_assert_uint_eq(p.dev_layers[0], 0);
    ck_assert_uint_eq(p.dev_layers[1], 33);
    og_model_free(m);
}
END_TEST

START_TEST(test_fit_unchanged_and_context)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    og_fitp_result *r = malloc(sizeof *r);
    og_error err;
    /* plenty of memory: nothing changes, the trained context is kept */
    og_fitp_input in = one_gpu(80 * GiB);
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_UNCHANGED);
    ck_assert_str_eq(r->args, "-c 131072 -ngl -1");
    /* 12 GiB free: only the context is lowered (linear interpolation between
     * 4096 and 131072 tokens, rounded down to 256) */
    in = one_gpu(12 * GiB);
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_CONTEXT);
    ck_assert_uint_eq(r->n_ctx % 256, 0);
    ck_assert_uint_gt(r->n_ctx, 4096);
    ck_assert_uint_lt(r->n_ctx, 131072);
    s.n_ctx = r->n_ctx;
    uint64_t used = dev_total(m, &s, 0);
    ck_assert_uint_le(used, 11 * GiB); /* the target is met */
    s.n_ctx = r->n_ctx + 2048;         /* and not by a wide margin */
    ck_assert_uint_gt(dev_total(m, &s, 0), 11 * GiB - 512 * MiB);
    /* a user context is kept: layers move instead */
    s = cuda();
    s.n_ctx = 32768;
    in = one_gpu(6 * GiB);
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_PLACED);
    ck_assert_uint_eq(r->n_ctx, 32768);
    ck_assert_int_gt(r->n_gpu_layers, 0);
    ck_assert_int_lt(r->n_gpu_layers, 33);
    /* the largest -ngl whose device memory meets the target */
    og_llama_settings t = s;
    t.n_gpu_layers = r->n_gpu_layers;
    ck_assert_uint_le(dev_total(m, &t, 0), 5 * GiB);
    t.n_gpu_layers = r->n_gpu_layers + 1;
    ck_assert_uint_gt(dev_total(m, &t, 0), 5 * GiB);
    free(r);
    og_model_free(m);
}
END_TEST

START_TEST(test_fit_gives_up_when_pinned)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    og_fitp_result *r = malloc(sizeof *r);
    og_error err;
    og_fitp_input in = one_gpu(4 * GiB);
    s.n_gpu_layers = 20;
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_GAVE_UP);
    ck_assert_ptr_nonnull(strstr(r->reason, "n_gpu_layers already set by user to 20"));
    ck_assert_uint_eq(r->n_ctx, 4096); /* the context step still ran */
    s = cuda();
    ck_assert_int_eq(og_llama_add_overrides(&s, "ffn_down=CPU", &err), OG_OK);
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_GAVE_UP);
    ck_assert_ptr_nonnull(strstr(r->reason, "tensor_buft_overrides"));
    /* --fit-ctx 16384: the context is not lowered below it */
    s = cuda();
    in = one_gpu(8 * GiB);
    in.n_ctx_min = 16384;
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_uint_ge(r->n_ctx, 16384);
    /* --fit off: the trained context, all layers */
    in.off = 1;
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_OFF);
    ck_assert_uint_eq(r->n_ctx, 131072);
    free(r);
    og_model_free(m);
}
END_TEST

START_TEST(test_fit_moe_spills_experts)
{
    ogfix_shape sh = qwen3_moe();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    og_fitp_result *r = malloc(sizeof *r);
    og_error err;
    og_fitp_input in = one_gpu(12 * GiB);
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_PLACED);
    ck_assert_uint_eq(r->n_ctx, 4096);      /* lowered to --fit-ctx first */
    ck_assert_int_eq(r->n_gpu_layers, 49);  /* every layer keeps attention on the GPU */
    ck_assert_uint_gt(r->dev[0].n_part, 0); /* some layers' experts in RAM */
    ck_assert_ptr_nonnull(strstr(r->args, "exps=CPU"));
    ck_assert_ptr_nonnull(strstr(r->args, "blk\\.48\\.ffn_(up|down|gate_up|gate)_(ch|)exps=CPU"));
    /* the fitted placement meets the target; the device is nearly full */
    ck_assert_uint_le(dev_total(m, &r->settings, 0), 11 * GiB);
    ck_assert_uint_gt(dev_total(m, &r->settings, 0), 10 * GiB);
    ck_assert_int_ge(r->dev[0].free_after_bytes, (int64_t)GiB);
    free(r);
    og_model_free(m);
}
END_TEST

START_TEST(test_fit_two_devices_writes_ts)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    s.n_ctx = 8192;
    og_fitp_result *r = malloc(sizeof *r);
    og_error err;
    og_fitp_input in;
    memset(&in, 0, sizeof in);
    in.n_devices = 2;
    in.free_bytes[0] = 3 * GiB;
    in.free_bytes[1] = 3 * GiB;
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_PLACED);
    ck_assert_int_eq(r->has_ts, 1);
    ck_assert_ptr_nonnull(strstr(r->args, " -ts "));
    ck_assert_uint_eq(r->dev[0].n_layer + r->dev[1].n_layer, (uint32_t)r->n_gpu_layers);
    for (int d = 0; d < 2; d++)
        ck_assert_uint_le(dev_total(m, &r->settings, (uint32_t)d), 2 * GiB);
    /* the last device holds the output layer */
    og_llama_memplan p;
    ck_assert_int_eq(og_llama_plan(m, &r->settings, &p, &err), OG_OK);
    ck_assert_int_eq(p.output_device, 1);
    ck_assert_uint_eq(p.dev_layers[1], r->dev[1].n_layer);
    /* a user -ts: fit gives up after the context step */
    s.tensor_split[0] = 1;
    s.tensor_split[1] = 1;
    ck_assert_int_eq(og_llama_fit_params(m, &s, &in, r, &err), OG_OK);
    ck_assert_int_eq(r->status, OG_FITP_GAVE_UP);
    free(r);
    og_model_free(m);
}
END_TEST

/* The output rpc-server device with MoE tensors sent to the host by --fit's
 * -ot (src/llama_plan.c plan_compute, RPC branch; the patterns of
 * common/fit.cpp get_overflow_pattern, lines 492-529). Values from
 * bench/results/fit-params-rpc2.jsonl: llama-fit-params (llama.cpp
 * 2026-09-12, CPU + RPC, two loopback rpc-servers) chose this line for the
 * Qwen3-30B-A3B shape with -c 4096 -fitt 18000,19000, and its --fit-print of
 * it said RPC1: 4465 MiB model, 240 MiB context, 300 MiB compute (the plan
 * said 348 before the rule). */
START_TEST(test_rpc_output_device_with_spill)
{
    static const char *const ot =
        "blk\\.17\\.ffn_(gate|gate_up|down).*=RPC1,blk\\.29\\.ffn_(gate|gate_up|down).*=CPU";
    ogfix_shape sh = qwen3_moe();
    og_model *m = from_shape(&sh);
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.backend = OG_BACKEND_RPC;
    s.n_ctx = 4096;
    s.n_gpu_layers = 49;
    s.n_devices = 2;
    s.tensor_split[0] = 18;
    s.tensor_split[1] = 31;
    s.use_mmap = 0;
    og_error err;
    ck_assert_int_eq(og_llama_add_overrides(&s, ot, &err), OG_OK);
    char more[2048];
    size_t n = 0;
    for (int il = 30; il <= 48; il++)
        n += (size_t)snprintf(more + n, sizeof more - n,
                              "%sblk\\.%d\\.ffn_(up|down|gate_up|gate)_(ch|)exps=CPU",
                              il == 30 ? "" : ",", il);
    ck_assert_int_eq(og_llama_add_overrides(&s, more, &err), OG_OK);
    og_llama_memplan p;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    ck_assert_int_eq(p.output_device, 1);
    /* the weights follow the -ot patterns to the MiB (RPC1 = the second server) */
    ck_assert_uint_eq(p.dev_model[1] / MiB, 4465);
    ck_assert_uint_eq(p.dev_model[0] / MiB, 5815);
    /* compute on the output device: within 3 % of llama.cpp's 300 MiB */
    double c1 = (double)p.dev_compute[1] / MiB;
    ck_assert_msg(c1 > 300 * 0.97 && c1 < 300 * 1.03, "RPC1 compute %.1f MiB", c1);
    /* a device name llama.cpp does not know is still refused */
    og_llama_settings t;
    og_llama_settings_default(&t);
    ck_assert_int_ne(og_llama_add_overrides(&t, "blk\\.1\\.=RPCX", &err), OG_OK);
    og_model_free(m);
}
END_TEST

/* rpc-server devices without flash attention (src/llama_plan.c plan_compute,
 * RPC branch, the KQ path of src/llama-graph.cpp build_attn_mha). Values from
 * bench/results/fit-params-rpc2.jsonl (llama-fit-params, llama.cpp
 * 2026-09-12, CPU + RPC, Llama 3.1 8B shape, -fa off -c 16384): one device
 * holding every layer projected 1233 MiB of compute (its trace: 7436 MiB =
 * 4155 model + 2048 context + 1233); with -ngl 31 -ts 16,15 its --fit-print
 * said 1092 on each device and 1100 on the host. */
static void within3(double got, double want, const char *what)
{
    ck_assert_msg(got > want * 0.97 && got < want * 1.03, "%s: %.1f MiB, llama.cpp %.0f", what, got,
                  want);
}

START_TEST(test_rpc_compute_without_flash_attn)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.backend = OG_BACKEND_RPC;
    s.flash_attn = OG_FA_OFF;
    s.n_ctx = 16384;
    s.n_devices = 2;
    s.tensor_split[0] = 0;
    s.tensor_split[1] = 1;
    s.use_mmap = 0;
    og_llama_memplan p;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    ck_assert_uint_eq(p.dev_model[1] / MiB, 4155);
    within3((double)p.dev_compute[1] / MiB, 1233, "every layer on one device");
    s.n_gpu_layers = 31;
    s.tensor_split[0] = 16;
    s.tensor_split[1] = 15;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    within3((double)p.dev_compute[0] / MiB, 1092, "-ngl 31, RPC0");
    within3((double)p.dev_compute[1] / MiB, 1092, "-ngl 31, RPC1 (output)");
    within3((double)p.bytes[OG_COMP_COMPUTE][OG_POOL_HOST] / MiB, 1100, "-ngl 31, host");
    og_model_free(m);
}
END_TEST

/* Three rpc-server devices, every layer on them (src/llama_plan.c
 * plan_compute, RPC branch: the device between two others). Values from
 * bench/results/fit-params-rpc.jsonl: llama-fit-params (llama.cpp 2026-09-12,
 * CPU + RPC) chose "-c 52992 -ngl 33 -ts 13,12,8" for the Llama 3.1 8B shape
 * with -fitt 19000,20000,21000, and its --fit-print of that line said
 * compute 347 / 379 / 529 MiB (the middle device was 347 before the rule). */
START_TEST(test_rpc_middle_device)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.backend = OG_BACKEND_RPC;
    s.n_ctx = 52992;
    s.n_devices = 3;
    s.tensor_split[0] = 13;
    s.tensor_split[1] = 12;
    s.tensor_split[2] = 8;
    s.use_mmap = 0;
    og_llama_memplan p;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    static const uint64_t want[3][3] = {{1521, 2691, 347}, {1404, 2484, 379}, {1230, 1449, 529}};
    for (int d = 0; d < 3; d++) {
        ck_assert_uint_eq(p.dev_model[d] / MiB, want[d][0]);
        ck_assert_uint_eq(p.dev_context[d] / MiB, want[d][1]);
        ck_assert_uint_eq(p.dev_compute[d] / MiB, want[d][2]);
    }
    og_model_free(m);
}
END_TEST

START_TEST(test_ollama_rules_2026)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_ollama_opts o;
    og_ollama_opts_default(&o);
    og_llama_settings s = cuda();
    og_ollama_launch L;
    og_error err;
    /* default num_ctx by total VRAM: < 23 GiB 4096, 23-47 GiB 32768, >= 47 GiB 262144
     * (capped at the trained 131072) */
    uint64_t t12 = 12 * GiB, t24 = 24 * GiB, t48 = 48 * GiB;
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t12, &t12, &s, &L, &err), OG_OK);
    ck_assert_uint_eq(L.num_ctx, 4096);
    ck_assert_int_eq(L.num_ctx_default, 1);
    ck_assert_uint_eq(L.num_batch, 512);
    ck_assert_uint_eq(L.fit_target_bytes, OG_FIT_DEFAULT_TARGET);
    ck_assert_int_eq(s.engine, OG_LLAMA_ENGINE_OLLAMA);
    ck_assert_int_eq(s.n_gpu_layers, OG_NGL_AUTO);
    s = cuda();
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t24, &t24, &s, &L, &err), OG_OK);
    ck_assert_uint_eq(L.num_ctx, 32768);
    ck_assert_uint_eq(L.num_batch, 1024); /* 4096 < ctx <= 32768 */
    ck_assert_str_eq(L.args, "-c 32768 -np 1 --flash-attn auto -b 1024 -ub 1024");
    s = cuda();
    uint64_t two[2] = {t24, t24};
    ck_assert_int_eq(og_ollama_prepare(m, &o, 2, two, two, &s, &L, &err), OG_OK);
    ck_assert_uint_eq(L.num_ctx, 131072); /* 262144 capped at the trained context */
    ck_assert_uint_eq(L.num_batch, 2048);
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t48, &t48, &s, &L, &err), OG_OK);
    /* the environment, as Ollama reads it */
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_CONTEXT_LENGTH", "8192"), 1);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_NUM_PARALLEL", "2"), 1);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_KV_CACHE_TYPE", "Q8_0"), 1);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_FLASH_ATTENTION", "true"), 1);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_FLASH_ATTENTION", "yes"), 0);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "OLLAMA_CONTEXT_LENGTH", "lots"), 0);
    ck_assert_int_eq(og_ollama_opts_set_env(&o, "PATH", "/bin"), 0);
    s = cuda();
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t12, &t12, &s, &L, &err), OG_OK);
    ck_assert_uint_eq(L.num_ctx, 8192);
    ck_assert_int_eq(L.num_ctx_default, 0);
    ck_assert_str_eq(L.args, "-c 16384 -np 2 --cache-type-k q8_0 --cache-type-v q8_0 "
                             "--flash-attn on -b 1024 -ub 1024");
    og_llama_memplan p;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    ck_assert_uint_eq(p.n_ctx, 16384); /* num_ctx x num_parallel */
    ck_assert_int_eq(p.type_k, 8);
    /* a projector: LLAMA_ARG_FIT_TARGET = its size + 1 GiB, in MiB rounded up */
    og_ollama_opts_default(&o);
    s = cuda();
    s.mmproj = m; /* any model stands in for the projector's weights */
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t24, &t24, &s, &L, &err), OG_OK);
    ck_assert_int_eq(L.mmproj_offload, 1);
    ck_assert_uint_eq(L.fit_target_bytes, (m->weight_bytes + GiB + MiB - 1) / MiB * MiB);
    /* num_gpu 0: the projector stays on the CPU, the default target */
    o.num_gpu = 0;
    ck_assert_int_eq(og_ollama_prepare(m, &o, 1, &t24, &t24, &s, &L, &err), OG_OK);
    ck_assert_int_eq(L.mmproj_offload, 0);
    ck_assert_uint_eq(L.fit_target_bytes, OG_FIT_DEFAULT_TARGET);
    ck_assert_ptr_nonnull(strstr(L.args, "--no-mmproj-offload"));
    ck_assert_ptr_nonnull(strstr(L.args, "-ngl 0"));
    og_model_free(m);
}
END_TEST

START_TEST(test_ollama_advice_speaks_ollama)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_llama_settings s = cuda();
    s.engine = OG_LLAMA_ENGINE_OLLAMA;
    s.n_ctx = 131072;
    s.n_parallel = 2;
    og_llama_memplan p;
    og_error err;
    ck_assert_int_eq(og_llama_plan(m, &s, &p, &err), OG_OK);
    og_budget b;
    memset(&b, 0, sizeof b);
    b.has_gpu = 1;
    b.gpu_bytes = 10 * GiB;
    b.host_bytes = 30 * GiB;
    og_llama_fit f;
    ck_assert_int_eq(og_llama_verdict(m, &s, &p, &b, &f, &err), OG_OK);
    ck_assert_int_eq(f.verdict, OG_FIT_NO);
    int ctx = 0, par = 0;
    for (uint32_t i = 0; i < f.n_advice; i++) {
        ck_assert_ptr_null(strstr(f.advice[i], "-ngl"));
        ck_assert_ptr_null(strstr(f.advice[i], "--ctx"));
        ctx |= strstr(f.advice[i], "OLLAMA_CONTEXT_LENGTH=") != NULL;
        par |= strstr(f.advice[i], "OLLAMA_NUM_PARALLEL=1") != NULL;
    }
    ck_assert(ctx && par);
    og_model_free(m);
}
END_TEST

START_TEST(test_cluster_rpc_and_exo)
{
    ogfix_shape sh = og_test_llama31_8b();
    og_model *m = from_shape(&sh);
    og_machine a, b, c;
    og_error err;
    ck_assert_int_eq(og_machine_preset("rtx-4060-8gb", &a, &err), OG_OK);
    ck_assert_int_eq(og_machine_preset("rtx-3060-12gb", &b, &err), OG_OK);
    ck_assert_int_eq(og_machine_preset("m4-16gb", &c, &err), OG_OK);
    const og_machine *hosts[] = {&a, &b, &c};
    const char *names[] = {"a", "b", "c"};
    og_llama_settings s = cuda();
    s.n_ctx = 32768;
    og_cluster_plan *p = calloc(1, sizeof *p);
    ck_assert_int_eq(og_cluster_plan_rpc(m, &s, hosts, names, 3, p, &err), OG_OK);
    /* llama.cpp: RPC devices first (b, c), the llama-server host's GPU last:
     * it holds the output layer and, on its CPU, the embeddings */
    ck_assert_int_eq(p->host[0].main_host, 1);
    ck_assert_int_eq(p->host[0].holds_output, 1);
    ck_assert_int_eq(p->host[0].holds_embeddings, 1);
    ck_assert_uint_eq(p->host[1].first_device, 0);
    ck_assert_uint_eq(p->host[2].first_device, 1);
    ck_assert_uint_eq(p->host[0].first_device, 2);
    ck_assert_uint_eq(p->host[0].layers + p->host[1].layers + p->host[2].layers, 33);
    ck_assert_ptr_nonnull(strstr(p->server_command, "--rpc b:50052,c:50052"));
    ck_assert_ptr_nonnull(strstr(p->server_command, "-c 32768"));
    for (int k = 0; k < 3; k++) {
        ck_assert_int_ne(p->host[k].verdict, OG_FIT_NO);
        ck_assert_uint_eq(p->host[k].load_transfer_bytes, k ? p->host[k].weights_bytes : 0);
    }
    ck_assert_uint_eq(p->hop_bytes_per_token, 4 * 4096);
    og_cluster_plan_free(p);
    /* exo: layers in proportion to memory (c: 16 GB unified, a/b: their VRAM) */
    ck_assert_int_eq(og_cluster_plan_exo(m, &s, hosts, names, 3, p, &err), OG_OK);
    ck_assert_uint_eq(p->host[0].layers + p->host[1].layers + p->host[2].layers, 32);
    ck_assert_uint_eq(p->host[2].first_layer, 0); /* the most memory goes first */
    ck_assert_int_eq(p->host[2].holds_embeddings, 1);
    ck_assert_uint_gt(p->host[2].layers, p->host[0].layers);
    /* at 131072 tokens of f32 KV exo's weights-only check passes everywhere, but a node
     * runs out */
    s.n_ctx = 131072;
    s.type_k = s.type_v = 0;
    ck_assert_int_eq(og_cluster_plan_exo(m, &s, hosts, names, 3, p, &err), OG_OK);
    int warned = 0;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(p->host[k].exo_check_passes, 1);
        warned |= p->host[k].verdict == OG_FIT_NO;
    }
    ck_assert(warned);
    ck_assert_ptr_nonnull(strstr(p->notes[0], "exo's check passes"));
    ck_assert_int_eq(og_cluster_plan_rpc(m, &s, hosts, names, 0, p, &err), OG_ERR_INVALID);
    free(p);
    og_model_free(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("llama_fit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_overrides_parse_and_match);
    tcase_add_test(tc, test_overrides_move_weights);
    tcase_add_test(tc, test_layer_split_two_devices);
    tcase_add_test(tc, test_fit_unchanged_and_context);
    tcase_add_test(tc, test_fit_gives_up_when_pinned);
    tcase_add_test(tc, test_fit_moe_spills_experts);
    tcase_add_test(tc, test_fit_two_devices_writes_ts);
    tcase_add_test(tc, test_rpc_output_device_with_spill);
    tcase_add_test(tc, test_rpc_compute_without_flash_attn);
    tcase_add_test(tc, test_rpc_middle_device);
    tcase_add_test(tc, test_ollama_rules_2026);
    tcase_add_test(tc, test_ollama_advice_speaks_ollama);
    tcase_add_test(tc, test_cluster_rpc_and_exo);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
