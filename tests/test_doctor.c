/* doctor: scenarios as saved snapshots -> the expected statuses, headline and
 * fixes. Machines are written out field by field (what a probe or a saved
 * snapshot holds); budgets are what og_machine_budget gives for them
 * (unified: wired limit bounded by reclaimable memory minus a 1 GiB margin). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/doctor.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

static og_machine mac(uint64_t ram_gib, uint32_t wired_mb)
{
    og_machine m;
    memset(&m, 0, sizeof m);
    m.os = OG_OS_MACOS;
    m.apple_silicon = 1;
    m.ram_bytes = ram_gib * GIB;
    m.wired_limit_mb = wired_mb;
    m.wired_limit_known = 1;
    m.pressure = OG_PRESSURE_NORMAL;
    m.swap_total_bytes = 2 * GIB;
    m.macos_major = 15;
    snprintf(m.chip, sizeof m.chip, "Apple M4 Pro");
    return m;
}

static og_budget mac_budget(const og_machine *m, uint64_t default_wired, uint64_t reclaim)
{
    og_budget b;
    memset(&b, 0, sizeof b);
    b.unified = 1;
    b.has_gpu = 1;
    b.wired_limit_bytes = m->wired_limit_mb ? (uint64_t)m->wired_limit_mb * MIB : default_wired;
    b.wired_limit_is_default = m->wired_limit_mb == 0;
    uint64_t free = b.wired_limit_bytes < reclaim ? b.wired_limit_bytes : reclaim;
    b.gpu_total_bytes = b.wired_limit_bytes;
    b.gpu_bytes = free - GIB;
    b.host_bytes = reclaim - GIB;
    b.reclaimable_bytes = reclaim;
    b.margin_bytes = GIB;
    return b;
}

static og_doctor_plan plan(const char *name, uint64_t weights, uint64_t kv, uint64_t compute)
{
    og_doctor_plan p;
    memset(&p, 0, sizeof p);
    snprintf(p.model, sizeof p.model, "%s", name);
    snprintf(p.quant, sizeof p.quant, "Q4_K_M");
    p.weight_bytes = weights;
    p.kv_bytes = kv;
    p.compute_bytes = compute;
    p.total_bytes = weights + kv + compute;
    p.n_ctx = 8192;
    return p;
}

static const og_check *chk(const og_doctor_report *r, og_check_id id)
{
    return &r->checks[id];
}

static void assert_order(const og_doctor_report *r)
{
    static const char *want[] = {"model_too_big",        "other_apps",        "wired_limit_low",
                                 "fp16_weights",         "machine_too_small", "swapping",
                                 "default_wired_ceiling"};
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        ck_assert_str_eq(og_check_id_name(r->checks[i].id), want[i]);
        ck_assert_msg(r->checks[i].evidence[0], "%s has no evidence", want[i]);
    }
    /* the headline is the first failing check */
    int first = -1;
    for (int i = 0; i < OG_CHECK_COUNT && first < 0; i++)
        if (r->checks[i].status == OG_CHECK_FAIL)
            first = i;
    ck_assert_int_eq(r->headline, first);
    if (first >= 0)
        ck_assert_msg(r->checks[first].fix[0], "failing check without a fix");
}

#define HAS(s, sub) ck_assert_msg(strstr((s), (sub)) != NULL, "'%s' not in: %s", (sub), (s))

/* Mac 64 GB with iogpu.wired_limit_mb=16384 set by hand, a 40 GiB plan. */
START_TEST(test_mac64_low_wired_limit)
{
    og_machine m = mac(64, 16384);
    og_budget b = mac_budget(&m, 48 * GIB, 58 * GIB);
    og_doctor_plan p = plan("Llama-3.3-70B-Instruct", 37 * GIB, 2 * GIB, GIB);
    og_doctor_proc procs[] = {{101, "Finder", 200 * MIB, 0, 0, 0}};
    og_doctor_input in = {&m, &b, 48 * GIB, procs, 1, &p, NULL, 1, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_WIRED_LIMIT_LOW);
    /* 40 GiB + the 1 GiB margin = 41 GiB, but never below the 48 GiB default */
    HAS(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->fix, "sudo sysctl iogpu.wired_limit_mb=49152");
    HAS(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->fix, "--set 49152 --persist");
    HAS(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->evidence, "iogpu.wired_limit_mb = 16384");
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_SWAPPING)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_FP16_WEIGHTS)->status, OG_CHECK_OK);
}
END_TEST

/* Mac 64 GB on the default ceiling (48 GiB), a 50 GiB plan. */
START_TEST(test_mac64_default_ceiling)
{
    og_machine m = mac(64, 0);
    og_budget b = mac_budget(&m, 48 * GIB, 60 * GIB);
    og_doctor_plan p = plan("Qwen3-72B", 44 * GIB, 4 * GIB, 2 * GIB);
    og_doctor_input in = {&m, &b, 48 * GIB, NULL, 0, &p, NULL, 1, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_OTHER_APPS)->status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_DEFAULT_WIRED_CEILING);
    /* 50 GiB + the 1 GiB margin = 51 GiB = 52224 MiB, under RAM - 8 GiB = 57344 */
    HAS(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "iogpu.wired_limit_mb=52224");
    HAS(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "Does not fit at the current limit");
    HAS(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "--persist");
}
END_TEST

/* Mac 16 GB: the plan fits the machine but browsers, Slack and Docker hold the memory. */
START_TEST(test_mac16_heavy_apps)
{
    og_machine m = mac(16, 0);
    og_budget b = mac_budget(&m, 10922 * MIB, 6 * GIB);
    og_doctor_plan p = plan("Qwen3-14B", 8 * GIB, GIB / 2, GIB / 2);
    og_doctor_proc procs[] = {
        {200, "Google Chrome Helper (GPU)", 3 * GIB, 0, 1, 0},
        {201, "Slack", 1536 * MIB, 0, 0, 0},
        {202, "com.docker.virtualization", 3 * GIB, 0, 0, 0},
        {203, "llama-server", 9 * GIB, 0, 1, 1},
        {204, "mds_stores", 300 * MIB, 0, 0, 0},
    };
    og_doctor_input in = {&m, &b, 10922 * MIB, procs, 5, &p, NULL, 1, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_OTHER_APPS)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_OTHER_APPS);
    const og_check *k = chk(&r, OG_CHECK_OTHER_APPS);
    HAS(k->evidence, "Google Chrome Helper (GPU)");
    HAS(k->evidence, "[browser]");
    HAS(k->evidence, "[docker]");
    ck_assert_ptr_null(strstr(k->evidence, "llama-server")); /* the engine is not "other" */
    HAS(k->fix, "Close Google Chrome Helper (GPU), com.docker.virtualization, Slack");
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_OK);
}
END_TEST

/* Mac 8 GB and a 70B model: too big, and even its smallest quant does not fit. */
START_TEST(test_mac8_too_small)
{
    og_machine m = mac(8, 0);
    og_budget b = mac_budget(&m, 5461 * MIB, 5 * GIB);
    og_doctor_plan p = plan("Llama-3.3-70B-Instruct", 40 * GIB, 2 * GIB, GIB);
    p.n_params = 70553706496ull;
    og_doctor_input in = {&m, &b, 5461 * MIB, NULL, 0, &p, NULL, 0, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(chk(&r, OG_CHECK_MACHINE_TOO_SMALL)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
    HAS(chk(&r, OG_CHECK_MACHINE_TOO_SMALL)->fix, "unified memory");
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->evidence, "short by");
    /* raising the ceiling cannot help: not a fix (never a trim that cannot close the gap) */
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_OK);
    HAS(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "would not be enough");
}
END_TEST

/* Mac 32 GB, critical pressure and 50 MiB/s swap-out, no model: machine checks only. */
START_TEST(test_mac32_swapping_no_model)
{
    og_machine m = mac(32, 0);
    m.pressure = OG_PRESSURE_CRITICAL;
    m.swap_used_bytes = 6 * GIB;
    m.swap_total_bytes = 7 * GIB;
    og_budget b = mac_budget(&m, 21845 * MIB, 3 * GIB);
    og_doctor_input in = {&m, &b, 21845 * MIB, NULL, 0, NULL, NULL, 1, 50.0 * MIB, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(chk(&r, OG_CHECK_FP16_WEIGHTS)->status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(chk(&r, OG_CHECK_MACHINE_TOO_SMALL)->status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(chk(&r, OG_CHECK_SWAPPING)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_SWAPPING);
    HAS(chk(&r, OG_CHECK_SWAPPING)->evidence, "pressure critical");
    HAS(chk(&r, OG_CHECK_SWAPPING)->evidence, "swap-out 50.0 MiB/s");
    /* no model: the ceiling check explains, does not fail */
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_OK);
    HAS(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "iogpu.wired_limit_mb=24576");
}
END_TEST

/* Mac 64 GB running a BF16 8B from MLX: fits, but 4-bit is the fix for speed. */
START_TEST(test_fp16_weights)
{
    og_machine m = mac(64, 0);
    og_budget b = mac_budget(&m, 48 * GIB, 50 * GIB);
    og_doctor_plan p = plan("Llama-3.1-8B-Instruct", 16 * GIB, GIB, GIB / 2);
    snprintf(p.quant, sizeof p.quant, "BF16");
    p.mlx = 1;
    p.fp16_weight_bytes = 16 * GIB;
    p.n_params = 8030261248ull;
    snprintf(p.q4_name, sizeof p.q4_name, "mlx-community/Llama-3.1-8B-Instruct-4bit");
    og_doctor_input in = {&m, &b, 48 * GIB, NULL, 0, &p, NULL, 0, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_FP16_WEIGHTS)->status, OG_CHECK_WARN);
    ck_assert_int_eq(r.headline, -1);
    HAS(chk(&r, OG_CHECK_FP16_WEIGHTS)->fix, "mlx-community/Llama-3.1-8B-Instruct-4bit");
    HAS(chk(&r, OG_CHECK_FP16_WEIGHTS)->evidence, "100 %");
    /* and when it does not fit, FP16 is a failure */
    p.weight_bytes = p.fp16_weight_bytes = 140 * GIB;
    p.total_bytes = 142 * GIB;
    og_doctor_run(&in, &r);
    ck_assert_int_eq(chk(&r, OG_CHECK_FP16_WEIGHTS)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
}
END_TEST

/* Linux container with memory.max 8 GiB nearly full, CPU only. */
START_TEST(test_linux_cgroup)
{
    og_machine m;
    memset(&m, 0, sizeof m);
    m.os = OG_OS_LINUX;
    m.ram_bytes = 64 * GIB;
    m.cgroup_known = 1;
    m.cgroup_limit_bytes = 8 * GIB;
    m.cgroup_usage_bytes = 7800 * MIB;
    m.psi_known = 1;
    m.psi_some_avg10 = 3.0;
    og_budget b;
    memset(&b, 0, sizeof b);
    b.host_bytes = 0;
    b.reclaimable_bytes = 392 * MIB;
    og_doctor_plan p = plan("Mistral-7B-Instruct", 4 * GIB, GIB, GIB / 4);
    og_doctor_input in = {&m, &b, 0, NULL, 0, &p, NULL, 0, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    /* 5.25 GiB fits an 8 GiB memory.max in principle: what the container's
     * other processes hold now is the problem (and it swaps), not the model */
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->status, OG_CHECK_OK);
    HAS(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->evidence, "not applicable");
    ck_assert_int_eq(chk(&r, OG_CHECK_OTHER_APPS)->status, OG_CHECK_FAIL);
    HAS(chk(&r, OG_CHECK_OTHER_APPS)->fix, "returns up to 8.00 GiB of RAM");
    ck_assert_int_eq(chk(&r, OG_CHECK_SWAPPING)->status, OG_CHECK_FAIL);
    HAS(chk(&r, OG_CHECK_SWAPPING)->fix, "memory.max");
    ck_assert_int_eq(r.headline, OG_CHECK_OTHER_APPS);

    /* a 10 GiB plan exceeds memory.max itself */
    og_doctor_plan big = plan("Mistral-Small", 9 * GIB, GIB, GIB / 4);
    in.plan = &big;
    og_doctor_run(&in, &r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->evidence, "at most 8.00 GiB");
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
}
END_TEST

/* NVIDIA box: 24 GiB card, 64 GiB RAM. */
START_TEST(test_nvidia)
{
    og_machine m;
    memset(&m, 0, sizeof m);
    m.os = OG_OS_LINUX;
    m.ram_bytes = 64 * GIB;
    m.n_gpus = 1;
    m.gpus[0].vendor = OG_GPU_NVIDIA;
    m.gpus[0].total_bytes = 24 * GIB;
    m.psi_known = 1;
    og_budget b;
    memset(&b, 0, sizeof b);
    b.has_gpu = 1;
    b.gpu_bytes = 22 * GIB;
    b.gpu_total_bytes = 24 * GIB;
    b.host_bytes = 50 * GIB;
    og_doctor_plan p = plan("Qwen3-32B", 19 * GIB, 8 * GIB, GIB);
    snprintf(p.fit_quant, sizeof p.fit_quant, "Q3_K_M");
    p.fit_quant_bytes = 21 * GIB;
    p.max_ctx = 16384;
    p.n_ctx = 32768;
    og_doctor_proc procs[] = {{300, "Xorg", 300 * MIB, 400 * MIB, 1, 0},
                              {301, "firefox", 2 * GIB, 300 * MIB, 1, 0}};
    og_doctor_input in = {&m, &b, 0, procs, 2, &p, NULL, 1, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    /* 28 GiB > 22 GiB of VRAM + the 700 MiB the others hold: it does not fit on
     * the GPU (fit says "does not fit"); the fix names the fitting quant, the
     * context and partial offload */
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->fix, "Q3_K_M");
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->fix, "16384 tokens");
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->fix, "-ngl");
    ck_assert_int_eq(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->status, OG_CHECK_OK);
    ck_assert_int_eq(chk(&r, OG_CHECK_DEFAULT_WIRED_CEILING)->status, OG_CHECK_OK);
    HAS(chk(&r, OG_CHECK_OTHER_APPS)->evidence, "GPU 300 MiB");
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
    /* 80 GiB cannot fit even across VRAM + RAM */
    p.total_bytes = 80 * GIB;
    og_doctor_run(&in, &r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
}
END_TEST

/* No model, but a crash log: the log's finding is the evidence. */
START_TEST(test_log_only)
{
    og_machine m;
    memset(&m, 0, sizeof m);
    m.os = OG_OS_LINUX;
    m.ram_bytes = 32 * GIB;
    og_budget b;
    memset(&b, 0, sizeof b);
    b.host_bytes = 20 * GIB;
    static const char log[] =
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 4480.00 MiB on device 0: "
        "cudaMalloc failed: out of memory\n"
        "llama_kv_cache_init: failed to allocate buffer for kv cache\n";
    og_log_report *lr = calloc(1, sizeof *lr);
    ck_assert_int_eq(og_explain_text(log, sizeof log - 1, lr, NULL), OG_OK);
    og_doctor_input in = {&m, &b, 0, NULL, 0, NULL, lr, 0, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->evidence, "KV cache");
    HAS(chk(&r, OG_CHECK_MODEL_TOO_BIG)->fix, "-ctk q8_0");
    ck_assert_int_eq(r.headline, OG_CHECK_MODEL_TOO_BIG);
    free(lr);
}
END_TEST

/* Wired limit set below the default, no model: a warning with the reset. */
START_TEST(test_wired_below_default)
{
    og_machine m = mac(36, 8192);
    og_budget b = mac_budget(&m, 27648 * MIB, 30 * GIB);
    og_doctor_input in = {&m, &b, 27648 * MIB, NULL, 0, NULL, NULL, 0, 0, NULL};
    og_doctor_report r;
    og_doctor_run(&in, &r);
    assert_order(&r);
    ck_assert_int_eq(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->status, OG_CHECK_WARN);
    HAS(chk(&r, OG_CHECK_WIRED_LIMIT_LOW)->fix, "iogpu.wired_limit_mb=0");
    ck_assert_int_eq(r.headline, -1);
    /* unknown machine: every check unknown, never a crash */
    og_doctor_input none = {0};
    og_doctor_run(&none, &r);
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        ck_assert_int_eq(r.checks[i].status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(r.headline, -1);
}
END_TEST

START_TEST(test_heavy_app_names)
{
    ck_assert_str_eq(og_heavy_app_kind("Google Chrome Helper (Renderer)"), "browser");
    ck_assert_str_eq(og_heavy_app_kind("Code Helper (Plugin)"), "electron");
    ck_assert_str_eq(og_heavy_app_kind("Simulator"), "xcode");
    ck_assert_str_eq(og_heavy_app_kind("com.docker.backend"), "docker");
    ck_assert_str_eq(og_heavy_app_kind("Adobe Photoshop 2026"), "creative");
    ck_assert_str_eq(og_heavy_app_kind("ollama"), "llm-engine");
    ck_assert_ptr_null(og_heavy_app_kind("launchd"));
    ck_assert_ptr_null(og_heavy_app_kind(NULL));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("doctor");
    TCase *tc = tcase_create("scenarios");
    tcase_add_test(tc, test_mac64_low_wired_limit);
    tcase_add_test(tc, test_mac64_default_ceiling);
    tcase_add_test(tc, test_mac16_heavy_apps);
    tcase_add_test(tc, test_mac8_too_small);
    tcase_add_test(tc, test_mac32_swapping_no_model);
    tcase_add_test(tc, test_fp16_weights);
    tcase_add_test(tc, test_linux_cgroup);
    tcase_add_test(tc, test_nvidia);
    tcase_add_test(tc, test_log_only);
    tcase_add_test(tc, test_wired_below_default);
    tcase_add_test(tc, test_heavy_app_names);
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
