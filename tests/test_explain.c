/* explain: every fixture log -> the expected findings, sizes and settings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oomguard/explain.h"

typedef struct expect {
    const char *file;
    int oom;               /* r.oom */
    const char *headline;  /* id of the headline finding, NULL = none */
    const char *component; /* headline's component */
    const char *backend;   /* headline's backend */
    uint64_t requested;    /* headline's requested_bytes (0 = not shown) */
    uint32_t count;        /* headline's count */
} expect;

static const expect cases[] = {
    {"cuda_weights.log", 1, "cuda_alloc_failed", "weights", "cuda", 151851674624ull, 1},
    {"cuda_kv.log", 1, "cuda_alloc_failed", "kv_cache", "cuda", 4480ull << 20, 1},
    {"cuda_compute_repeat.log", 1, "cuda_alloc_failed", "compute", "cuda", 10345253120ull, 3},
    {"rocm_compute.log", 1, "rocm_alloc_failed", "compute", "rocm", 14822711296ull, 1},
    {"metal_llama_runtime.log", 1, "metal_gpu_oom", "unknown", "metal", 0, 3},
    {"metal_llama_alloc.log", 1, "metal_alloc_failed", "weights", "metal", 13312ull << 20, 1},
    {"mlx_cmdbuf.log", 1, "metal_gpu_oom", "unknown", "metal", 0, 1},
    {"mlx_buffer_too_large.log", 1, "mlx_buffer_too_large", "unknown", "metal", 21474836480ull, 1},
    {"mlx_resource_limit.log", 1, "mlx_resource_limit", "unknown", "metal", 0, 1},
    {"mlx_unable.log", 1, "mlx_malloc_failed", "unknown", "metal", 9663676416ull, 1},
    {"mlxlm_warning.log", 0, "mlx_working_set_warning", "weights", "metal", 20480ull << 20, 1},
    {"vulkan.log", 1, "vulkan_alloc_failed", "unknown", "vulkan", 118497280ull, 1},
    {"vulkan_limit.log", 1, "vulkan_buffer_limit", "compute", "vulkan", 8753520640ull, 1},
    {"vulkan_pinned.log", 0, NULL, NULL, NULL, 0, 0},
    {"ollama_sysmem.log", 1, "ollama_system_memory", "model", "", 0, 1},
    {"ollama_runner.log", 1, "ollama_runner_oom", "unknown", "cuda", 0, 1},
    {"ollama_layout.log", 1, "ollama_layout", "model", "", 0, 1},
    {"lmstudio_guardrail.log", 1, "lmstudio_guardrail", "model", "", 273250000000ull, 1},
    {"lmstudio_aborted.log", 1, "lmstudio_guardrail", "model", "", 0, 1},
    {"cpu_alloc.log", 1, "cpu_alloc_failed", "weights", "cpu", 40532148224ull, 1},
    {"cpu_bad_alloc.log", 1, "cpu_bad_alloc", "unknown", "cpu", 0, 1},
    {"oom_killer.log", 1, "oom_killer", "unknown", "cpu", 0, 1},
    {"success_cpu.log", 0, NULL, NULL, NULL, 0, 0},
    {"success_cuda.log", 0, NULL, NULL, NULL, 0, 0},
    {"fit_benign.log", 0, NULL, NULL, NULL, 0, 0},
    {"unrelated.log", 0, NULL, NULL, NULL, 0, 0},
    /* issue 13's four signatures */
    {"metal_old_status5.log", 1, "metal_gpu_oom", "unknown", "metal", 0, 2},
    {"metal_status5_other_error.log", 0, NULL, NULL, NULL, 0, 0},
    {"vulkan_alloc_limit.log", 1, "vulkan_buffer_limit", "compute", "vulkan", 2166360064ull, 1},
    {"vulkan_pinned_limit.log", 0, NULL, NULL, NULL, 0, 0},
    {"oom_killer_full.log", 1, "oom_killer", "unknown", "cpu", 60123456ull * 1024, 1},
    {"mlx_wrapped.log", 1, "metal_gpu_oom", "unknown", "metal", 0, 1},
};

static og_log_report *scan(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/logs/%s", OG_TEST_DATA, file);
    og_log_report *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    og_error err;
    ck_assert_msg(og_explain_file(path, 0, r, &err) == OG_OK, "%s: %s", file, err.message);
    return r;
}

START_TEST(test_fixture)
{
    const expect *e = &cases[_i];
    og_log_report *r = scan(e->file);
    ck_assert_msg(r->oom == e->oom, "%s: oom %d, expected %d", e->file, r->oom, e->oom);
    if (!e->headline) {
        for (uint32_t i = 0; i < r->n_findings; i++)
            ck_assert_msg(r->findings[i].severity == OG_LOG_INFO, "%s: unexpected %s", e->file,
                          r->findings[i].id);
    } else {
        ck_assert_msg(r->headline >= 0, "%s: no headline", e->file);
        const og_log_finding *f = &r->findings[r->headline];
        ck_assert_str_eq(f->id, e->headline);
        ck_assert_msg(strcmp(f->component, e->component) == 0, "%s: component %s, expected %s",
                      e->file, f->component, e->component);
        ck_assert_str_eq(f->backend, e->backend);
        if (e->requested) {
            /* sizes printed with 2 decimals in MiB are exact to 0.01 MiB */
            uint64_t d = f->requested_bytes > e->requested ? f->requested_bytes - e->requested
                                                           : e->requested - f->requested_bytes;
            ck_assert_msg(d <= 10486, "%s: requested %llu, expected %llu", e->file,
                          (unsigned long long)f->requested_bytes, (unsigned long long)e->requested);
        }
        ck_assert_uint_eq(f->count, e->count);
        ck_assert_msg(strlen(f->what) > 20 && strlen(f->fix) > 20, "%s: no advice", e->file);
        ck_assert_msg(f->line > 0 && f->text[0], "%s: no line", e->file);
    }
    free(r);
}
END_TEST

START_TEST(test_settings_and_buffers)
{
    og_log_report *r = scan("success_cuda.log");
    const og_log_settings *s = &r->settings;
    ck_assert_int_eq(s->n_ctx, 8192);
    ck_assert_int_eq(s->n_ctx_train, 131072);
    ck_assert_int_eq(s->n_ubatch, 512);
    ck_assert_int_eq(s->kv_cells, 8192);
    ck_assert_int_eq(s->layers_offloaded, 33);
    ck_assert_int_eq(s->layers_total, 33);
    ck_assert_int_eq(s->flash_attn, -1); /* "auto" */
    ck_assert_str_eq(s->type_k, "f16");
    ck_assert_str_eq(s->type_v, "f16");
    ck_assert_str_eq(s->model_path, "/models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf");
    ck_assert_str_eq(s->backend, "cuda");
    ck_assert_uint_eq(r->n_devices, 3);
    const og_log_device_buffers *cuda = NULL, *host = NULL;
    for (uint32_t i = 0; i < r->n_devices; i++) {
        if (strcmp(r->devices[i].name, "CUDA0") == 0)
            cuda = &r->devices[i];
        if (strcmp(r->devices[i].name, "CUDA_Host") == 0)
            host = &r->devices[i];
    }
    ck_assert_ptr_nonnull(cuda);
    ck_assert_ptr_nonnull(host);
    ck_assert_int_eq(cuda->host, 0);
    ck_assert_int_eq(host->host, 1);
    ck_assert_uint_eq(cuda->kv_bytes, 1024ull << 20);
    ck_assert_uint_eq(cuda->compute_bytes, 560ull << 20);
    ck_assert(cuda->weights_bytes > 4403ull << 20 && cuda->weights_bytes < 4404ull << 20);
    ck_assert_uint_eq(cuda->total_bytes,
                      cuda->weights_bytes + cuda->kv_bytes + cuda->compute_bytes);
    ck_assert(host->output_bytes > 0 && host->compute_bytes > 0);
    free(r);

    r = scan("success_cpu.log");
    ck_assert_int_eq(r->settings.n_ctx, 131072);
    ck_assert_int_eq(r->settings.flash_attn, 0);
    ck_assert_int_eq(r->settings.layers_offloaded, 0);
    ck_assert_uint_eq(r->n_devices, 1);
    ck_assert_str_eq(r->devices[0].name, "CPU_Mapped");
    ck_assert_int_eq(r->devices[0].host, 1);
    free(r);
}
END_TEST

START_TEST(test_numbers_in_advice)
{
    og_log_report *r = scan("mlxlm_warning.log");
    const og_log_finding *f = &r->findings[r->headline];
    ck_assert_uint_eq(f->limit_bytes, 21845ull << 20);
    /* 20480 MiB + 20 % = 24576 MiB = 24 GiB */
    ck_assert_ptr_nonnull(strstr(f->fix, "iogpu.wired_limit_mb=24576"));
    free(r);

    r = scan("ollama_sysmem.log");
    f = &r->findings[r->headline];
    ck_assert(f->requested_bytes > (uint64_t)(164.7 * 1073741824.0));
    ck_assert(f->available_bytes > (uint64_t)(13.3 * 1073741824.0) &&
              f->available_bytes < (uint64_t)(13.5 * 1073741824.0));
    free(r);

    r = scan("mlx_buffer_too_large.log");
    ck_assert_uint_eq(r->findings[r->headline].limit_bytes, 17179869184ull);
    free(r);

    r = scan("metal_llama_alloc.log");
    f = &r->findings[r->headline];
    ck_assert_uint_eq(r->settings.metal_working_set_bytes, 11453250000ull);
    ck_assert_ptr_nonnull(strstr(f->fix, "-ngl 36")); /* 3/4 of 49 offloaded */
    free(r);

    r = scan("mlx_resource_limit.log");
    ck_assert_uint_eq(r->findings[r->headline].resource_count, 499000);
    free(r);
}
END_TEST

START_TEST(test_hostile_input)
{
    og_log_report *r = calloc(1, sizeof *r);
    og_error err;
    ck_assert_int_eq(og_explain_text(NULL, 0, r, &err), OG_OK);
    ck_assert_int_eq(r->n_findings, 0);
    ck_assert_int_eq(og_explain_text(NULL, 5, r, &err), OG_ERR_INVALID);
    /* truncated numbers, NUL bytes, a huge number, no newline at the end */
    static const char t[] = "allocating 99999999999999999999999999999 MiB on device 0: cudaMalloc "
                            "failed: out of memory\n\0\0failed to allocate CUDA0 buffer of size "
                            "18446744073709551616\n[metal::malloc] Resource limit (";
    ck_assert_int_eq(og_explain_text(t, sizeof t - 1, r, &err), OG_OK);
    ck_assert(r->oom);
    ck_assert_int_eq(r->findings[0].requested_bytes, 0);
    /* many distinct findings: capped, counted */
    size_t cap = 100 * 120, len = 0;
    char *big = malloc(cap);
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(big + len, cap - len,
                                "allocating %d.00 MiB on device 0: cudaMalloc failed: out of "
                                "memory\n",
                                1000 + i * 10);
    ck_assert_int_eq(og_explain_text(big, len, r, &err), OG_OK);
    ck_assert_uint_eq(r->n_findings, OG_LOG_MAX_FINDINGS);
    ck_assert_uint_eq(r->findings_dropped, 100 - OG_LOG_MAX_FINDINGS);
    free(big);
    ck_assert_int_eq(og_explain_file("/nonexistent/x.log", 0, r, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/x.log"));
    free(r);
}
END_TEST

START_TEST(test_reads_tail_of_large_file)
{
    char path[] = "/tmp/og-explain-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "token %d generated fine\n", i);
    fprintf(f, "[metal::malloc] Resource limit (499000) exceeded.\n");
    fclose(f);
    og_log_report *r = calloc(1, sizeof *r);
    og_error err;
    ck_assert_int_eq(og_explain_file(path, 4096, r, &err), OG_OK);
    ck_assert(r->lines < 300);
    ck_assert(r->oom);
    ck_assert_str_eq(r->findings[0].id, "mlx_resource_limit");
    free(r);
    unlink(path);
}
END_TEST

START_TEST(test_trigger_without_number)
{
    /* Issue 18 item 1: a rule's words with nothing after them crashed
     * (find() returned NULL, then + 18). */
    og_log_report *r = calloc(1, sizeof *r);
    og_error err;
    static const char one[] = "x is larger than buffer maximum of\n";
    ck_assert_int_eq(og_explain_text(one, sizeof one - 1, r, &err), OG_OK);
    ck_assert(r->oom);
    ck_assert_str_eq(r->findings[r->headline].id, "metal_buffer_too_large");
    ck_assert_uint_eq(r->findings[r->headline].limit_bytes, 0);
    /* every prefix of every line of every fixture log, as a one-line log */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[512];
        snprintf(path, sizeof path, "%s/logs/%s", OG_TEST_DATA, cases[c].file);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            size_t n = strcspn(line, "\n");
            for (size_t k = 1; k <= n; k++)
                ck_assert_int_eq(og_explain_text(line, k, r, &err), OG_OK);
        }
        fclose(f);
    }
    free(r);
}
END_TEST

START_TEST(test_issue13_signatures)
{
    /* old Metal logs: only "command buffer 0 failed with status 5" */
    og_log_report *r = scan("metal_old_status5.log");
    ck_assert_uint_eq(r->n_findings, 1);
    ck_assert_str_eq(r->findings[0].engine, "llama.cpp");
    ck_assert_uint_eq(r->findings[0].line, 8);
    free(r);
    /* the current format: a status line and its kIOGPU line are one failure */
    r = scan("metal_llama_runtime.log");
    ck_assert_uint_eq(r->findings[r->headline].count, 3);
    free(r);
    /* Vulkan: the allocation-limit line is the headline cause, counted once */
    r = scan("vulkan_alloc_limit.log");
    ck_assert_uint_eq(r->n_findings, 1);
    ck_assert_ptr_nonnull(strstr(r->findings[0].text, "allocation limit"));
    ck_assert_ptr_nonnull(strstr(r->findings[0].what, "single Vulkan buffer"));
    free(r);
    /* the kernel's OOM killer: one kill, one finding, with name, pid, anon-rss */
    r = scan("oom_killer_full.log");
    uint32_t kills = 0;
    for (uint32_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].id, "oom_killer") == 0)
            kills += r->findings[i].count;
    ck_assert_uint_eq(kills, 1);
    const og_log_finding *f = &r->findings[r->headline];
    ck_assert_str_eq(f->process, "llama-server");
    ck_assert_int_eq(f->pid, 41233);
    ck_assert_ptr_nonnull(strstr(f->what, "llama-server (pid 41233)"));
    ck_assert_ptr_nonnull(strstr(f->what, "57.3 GiB of anonymous memory"));
    free(r);
    /* two kills are two findings */
    og_error err;
    static const char two[] =
        "[1.0] Out of memory: Killed process 10 (ollama) total-vm:1kB, anon-rss:1000kB, "
        "file-rss:0kB\n"
        "[2.0] python3 invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0\n"
        "[2.1] oom-kill:constraint=CONSTRAINT_MEMCG,task=python3,pid=11,uid=0\n"
        "[2.2] Memory cgroup out of memory: Killed process 11 (python3) total-vm:1kB, "
        "anon-rss:2000kB, file-rss:0kB\n";
    r = calloc(1, sizeof *r);
    ck_assert_int_eq(og_explain_text(two, sizeof two - 1, r, &err), OG_OK);
    ck_assert_uint_eq(r->n_findings, 2);
    ck_assert_str_eq(r->findings[0].process, "ollama");
    ck_assert_str_eq(r->findings[1].process, "python3");
    ck_assert_uint_eq(r->findings[1].requested_bytes, 2000ull * 1024);
    ck_assert_uint_eq(r->findings[0].count + r->findings[1].count, 2);
    free(r);
    /* an MLX abort hard-wrapped at 80 columns over three lines is MLX's */
    r = scan("mlx_wrapped.log");
    ck_assert_uint_eq(r->n_findings, 1);
    ck_assert_str_eq(r->findings[0].engine, "mlx");
    ck_assert_uint_eq(r->findings[0].line, 3);
    free(r);
    /* and one wrapped at word boundaries by a log viewer */
    static const char soft[] = "RuntimeError: [METAL] Command buffer execution failed:\n"
                               "Insufficient Memory\n"
                               "(00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)\n";
    r = calloc(1, sizeof *r);
    ck_assert_int_eq(og_explain_text(soft, sizeof soft - 1, r, &err), OG_OK);
    ck_assert(r->oom);
    ck_assert_str_eq(r->findings[r->headline].engine, "mlx");
    free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("explain");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_fixture, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_settings_and_buffers);
    tcase_add_test(tc, test_numbers_in_advice);
    tcase_add_test(tc, test_hostile_input);
    tcase_add_test(tc, test_trigger_without_number);
    tcase_add_test(tc, test_issue13_signatures);
    tcase_add_test(tc, test_reads_tail_of_large_file);
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
