/* The decision core (include/oomguard/decide.h): doctor scenarios on presets
 * and edited snapshots (headline, statuses, the numbers in the fix), and the
 * property grid: fit fits exactly when the doctor has no failing model
 * check; every wired / GTT value is >= the need and the current limit and
 * <= the safe maximum; the pick policy's build is what fit says for it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/decide.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

#define HAS(s, sub) ck_assert_msg(strstr((s), (sub)) != NULL, "'%s' not in: %s", (sub), (s))
#define HASNT(s, sub) ck_assert_msg(strstr((s), (sub)) == NULL, "'%s' in: %s", (sub), (s))

typedef struct scen {
    og_machine m;
    og_model *model;
    const og_catalog_entry *entry;
    og_decide_input in;
    og_decision *d;
    og_status st;
} scen;

static void load(scen *s, const char *model, const char *build, const char *machine)
{
    memset(s, 0, sizeof *s);
    og_error err;
    ck_assert_int_eq(og_catalog_load(&err), OG_OK);
    ck_assert_msg(og_catalog_find(model, &s->entry, &err) == OG_OK, "%s", err.message);
    og_catalog_build b;
    ck_assert_int_eq(og_catalog_build_from_name(build, &b, &err), OG_OK);
    ck_assert_msg(og_catalog_model(s->entry, b, &s->model, &err) == OG_OK, "%s", err.message);
    ck_assert_msg(og_machine_preset(machine, &s->m, &err) == OG_OK, "%s", err.message);
    s->in.model = s->model;
    s->in.entry = s->entry;
    s->in.machine = &s->m;
    og_decide_settings_default(&s->in.settings);
    s->d = calloc(1, sizeof *s->d);
    ck_assert_ptr_nonnull(s->d);
}

static void ctx(scen *s, uint32_t n)
{
    s->in.settings.llama.n_ctx = n;
    s->in.settings.mlx.ctx = n;
}

static const og_decision *run(scen *s)
{
    og_error err;
    s->st = og_decide(&s->in, s->d, &err);
    ck_assert_msg(s->st == OG_OK, "og_decide: %s", err.message);
    return s->d;
}

static void done(scen *s)
{
    og_model_free(s->model);
    free(s->d);
}

/* statuses as "fail,unknown,ok,..." */
static void statuses(const og_decision *d, const char *want)
{
    char got[128] = "";
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        strcat(got, og_check_status_name(d->report.checks[i].status));
        if (i + 1 < OG_CHECK_COUNT)
            strcat(got, ",");
    }
    ck_assert_str_eq(got, want);
}

static void headline(const og_decision *d, int want)
{
    ck_assert_int_eq(d->report.headline, want);
}

static const og_check *chk(const og_decision *d, og_check_id id)
{
    return &d->report.checks[id];
}

/* ---- scenarios --------------------------------------------------------------- */

/* Issue 13: mlx-6bit 70B on a 64 GB Mac at 4096: fit says no, so the doctor
 * must fail a check, and the fix names a build --quant accepts. */
START_TEST(mac64_70b_mlx6_too_big)
{
    scen s;
    load(&s, "llama-3.3-70b", "mlx-6bit", "m4-max-64gb");
    ctx(&s, 4096);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    statuses(d, "fail,unknown,ok,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "--quant mlx-4bit");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->evidence, "short by");
    HAS(chk(d, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "would not be enough");
    ck_assert_uint_eq(d->limit.set_mb, 0);
    done(&s);
}
END_TEST

/* Issue 13: qwen3-8b on a 64 GB Mac: nothing to apply, never below 49152. */
START_TEST(mac64_small_model_all_ok)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "m4-max-64gb");
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 1);
    headline(d, -1);
    statuses(d, "ok,unknown,ok,ok,ok,ok,ok");
    ck_assert_uint_eq(d->limit.set_mb, 0);
    ck_assert_uint_eq(d->limit.current_bytes, 49152 * MIB);
    /* llama.cpp default: the trained context, and it fits there */
    ck_assert_uint_eq(d->n_ctx_asked, 40960);
    ck_assert_uint_eq(d->plan.n_ctx, 40960);
    ck_assert_int_eq(d->ctx_lowered_by_fit, 0);
    done(&s);
}
END_TEST

/* 70B Q4_K_M on a 64 GB Mac by default: --fit lowers the context; fits. */
START_TEST(mac64_70b_q4_fit_lowers_ctx)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q4_K_M", "m4-max-64gb");
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 1);
    ck_assert_int_eq(d->ctx_lowered_by_fit, 1);
    ck_assert_uint_eq(d->n_ctx_asked, 131072);
    ck_assert_uint_lt(d->plan.n_ctx, 131072);
    ck_assert_uint_ge(d->plan.n_ctx, OG_LLAMA_FIT_MIN_CTX);
    ck_assert_uint_eq(d->plan.n_ctx, d->max_ctx);
    headline(d, -1);
    HAS(d->advice[0], "--fit");
    done(&s);
}
END_TEST

/* Check 7 alone: the plan needs more than the default ceiling, fits under the safe max. */
START_TEST(mac64_default_ceiling_fails_with_value)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q5_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->fits_if_limit_raised, 1);
    headline(d, OG_CHECK_DEFAULT_WIRED_CEILING);
    statuses(d, "ok,unknown,ok,ok,ok,ok,fail");
    /* 48.6 GiB + 1 GiB margin -> 50 GiB: the smallest whole GiB that fits */
    ck_assert_uint_eq(d->limit.set_mb, 51200);
    HAS(chk(d, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "sudo sysctl iogpu.wired_limit_mb=51200");
    HAS(chk(d, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "--set 51200 --persist");
    HAS(d->advice[0], "does not fit at the current limit; fits after `sudo sysctl "
                      "iogpu.wired_limit_mb=51200`");
    done(&s);
}
END_TEST

/* Check 3 alone: a limit set low. The value is never below the default. */
START_TEST(mac64_low_limit_fails_with_value)
{
    scen s;
    load(&s, "qwen3-32b", "Q4_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    s.m.wired_limit_mb = 16384;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_WIRED_LIMIT_LOW);
    statuses(d, "ok,unknown,fail,ok,ok,ok,ok");
    ck_assert_uint_eq(d->limit.set_mb, 49152);
    HAS(chk(d, OG_CHECK_WIRED_LIMIT_LOW)->fix, "iogpu.wired_limit_mb=49152");
    done(&s);
}
END_TEST

/* A limit above RAM minus the floor: a failing check with the freeze risk,
 * while the plan itself fits (a machine warning). */
START_TEST(mac64_limit_above_ram)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "m4-max-64gb");
    s.m.wired_limit_mb = 999999;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 1);
    ck_assert_int_eq(d->machine_warnings, 1);
    ck_assert_int_eq(d->limit.above_safe, 1);
    headline(d, OG_CHECK_WIRED_LIMIT_LOW);
    statuses(d, "ok,unknown,fail,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_WIRED_LIMIT_LOW)->evidence, "freeze");
    HAS(chk(d, OG_CHECK_WIRED_LIMIT_LOW)->fix, "iogpu.wired_limit_mb=49152");
    /* the budget counts it at the safe maximum, not 977 GiB */
    ck_assert_uint_eq(d->budget.budget.gpu_total_bytes, 57344 * MIB);
    ck_assert_uint_eq(d->budget.usable_bytes, 56 * GIB - GIB);
    done(&s);
}
END_TEST

/* 70B on a 16 GB Mac: checks 1 and 5, a smaller model and a machine tier,
 * never a KV trim that cannot close a 30 GiB gap. */
START_TEST(mac16_70b_names_smaller_model_and_tier)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q4_K_M", "m1-pro-16gb");
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    statuses(d, "fail,unknown,ok,ok,fail,ok,ok");
    ck_assert_str_ne(d->smaller_model, "");
    ck_assert_str_ne(d->tier, "");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, d->smaller_model);
    HAS(chk(d, OG_CHECK_MACHINE_TOO_SMALL)->fix, d->tier);
    for (uint32_t i = 0; i < d->n_advice; i++)
        HASNT(d->advice[i], "KV");
    done(&s);
}
END_TEST

/* Check 2 on a Mac preset with a recorded process list: the apps' memory is
 * what stands between the plan and fitting. */
START_TEST(mac16_other_apps_block)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "m1-pro-16gb");
    ctx(&s, 8192);
    og_doctor_proc procs[] = {{11, "Google Chrome Helper (GPU)", 6 * GIB, 0, 1, 0},
                              {12, "Slack", 3 * GIB, 0, 0, 0},
                              {13, "llama-server", 5 * GIB, 0, 1, 1}};
    s.in.procs = procs;
    s.in.n_procs = 3;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->fits_if_others_closed, 1);
    headline(d, OG_CHECK_OTHER_APPS);
    statuses(d, "ok,fail,ok,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_OTHER_APPS)->fix, "Google Chrome Helper (GPU), Slack");
    HASNT(chk(d, OG_CHECK_OTHER_APPS)->fix, "llama-server");
    /* 16 GiB - 9 GiB of apps = 7 GiB; the 10.7 GiB ceiling stays: 3.67 GiB back */
    HAS(chk(d, OG_CHECK_OTHER_APPS)->fix, "returns up to 3.67 GiB");
    int named = 0;
    for (uint32_t i = 0; i < d->budget.n; i++)
        named |= d->budget.d[i].kind == OG_DEDUCT_OTHER_APPS;
    ck_assert_int_eq(named, 1);
    done(&s);
}
END_TEST

/* NVIDIA with another process holding 6 GiB of VRAM: check 2 names it and
 * counts VRAM, not RAM. */
START_TEST(nvidia_other_vram_blocks)
{
    scen s;
    load(&s, "qwen3-32b", "Q4_K_M", "rtx-4090");
    ctx(&s, 8192);
    /* -ngl all: every layer on the GPU (with --fit free to place, llama.cpp
     * would move layers to RAM instead: the nvidia_placed_* scenarios) */
    s.in.settings.llama.n_gpu_layers = OG_NGL_ALL;
    s.m.gpus[0].used_bytes = 6 * GIB;
    og_doctor_proc procs[] = {{300, "ComfyUI python", 2 * GIB, 6 * GIB, 1, 0},
                              {301, "firefox", 3 * GIB, 0, 0, 0}};
    s.in.procs = procs;
    s.in.n_procs = 2;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_OTHER_APPS);
    statuses(d, "ok,fail,ok,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_OTHER_APPS)->fix, "ComfyUI python");
    HASNT(chk(d, OG_CHECK_OTHER_APPS)->fix, "firefox");
    HAS(chk(d, OG_CHECK_OTHER_APPS)->fix, "returns up to 6.00 GiB of VRAM");
    ck_assert_uint_eq(d->others_bytes, 6 * GIB);
    done(&s);
}
END_TEST

/* NVIDIA: too big for VRAM with -ngl pinned (llama.cpp's --fit gives up):
 * the old verdict, check 1 names a quant and partial offload. */
START_TEST(nvidia_too_big_for_vram)
{
    scen s;
    load(&s, "qwen3-32b", "Q4_K_M", "rtx-4090");
    ctx(&s, 32768);
    s.in.settings.llama.n_gpu_layers = OG_NGL_ALL;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->placement.tried, 1);
    ck_assert_int_eq(d->placement.status, OG_FITP_GAVE_UP);
    ck_assert_int_eq(d->placement.placed, 0);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    statuses(d, "fail,unknown,ok,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "--quant Q3_K_M");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "fewer GPU layers: -ngl ");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "in RAM");
    done(&s);
}
END_TEST

/* ---- llama.cpp's --fit placement (og_placement) ---- */

static int advice_has(const og_decision *d, const char *sub)
{
    for (uint32_t i = 0; i < d->n_advice; i++)
        if (strstr(d->advice[i], sub))
            return 1;
    return 0;
}

/* A dense 27B on an 8 GB card with 32 GB of RAM: every layer on the GPU does
 * not fit, llama.cpp's --fit keeps some layers on the GPU and the rest in RAM:
 * it fits, partly offloaded, and no check fails. */
START_TEST(nvidia_placed_dense_fits)
{
    scen s;
    load(&s, "gemma-3-27b", "Q4_K_M", "rtx-4060-8gb");
    const og_decision *d = run(&s);
    const og_placement *pl = &d->placement;
    ck_assert_int_eq(pl->tried, 1);
    ck_assert_int_eq(pl->status, OG_FITP_PLACED);
    ck_assert_int_eq(pl->placed, 1);
    ck_assert_int_eq(d->fits, 1);
    headline(d, -1);
    ck_assert_uint_eq(pl->n_layers, s.model->hp.n_layer + 1);
    ck_assert_uint_gt(pl->n_layers_gpu, 0);
    ck_assert_uint_lt(pl->n_layers_gpu, pl->n_layers);
    ck_assert_int_eq(pl->moe, 0);
    /* the plan is the placed one: its GPU part within VRAM, the rest in RAM */
    ck_assert_uint_eq(d->llama.gpu_bytes, pl->gpu_bytes);
    ck_assert_uint_le(pl->gpu_bytes, d->budget.usable_bytes);
    ck_assert_uint_gt(pl->host_bytes, 4 * GIB);
    ck_assert_uint_le(pl->host_bytes, pl->host_usable_bytes);
    ck_assert_uint_eq(d->plan.gpu_need_bytes, pl->gpu_bytes);
    ck_assert_uint_eq(d->plan.n_ctx, 4096); /* --fit lowers the context first */
    ck_assert_int_eq(d->ctx_lowered_by_fit, 1);
    HAS(pl->args, "-c 4096 -ngl ");
    ck_assert(advice_has(d, "runs partly from RAM"));
    ck_assert(advice_has(d, "llama-server -m gemma-3-27b -c 4096 -ngl "));
    ck_assert(!advice_has(d, "fewer GPU layers"));
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->evidence, "llama.cpp's --fit puts");
    done(&s);
}
END_TEST

/* The same with 12 GiB of RAM: the part --fit puts in RAM does not fit the
 * host RAM budget: does not fit, check 1 says RAM is short. */
START_TEST(nvidia_placed_ram_short)
{
    scen s;
    load(&s, "gemma-3-27b", "Q4_K_M", "rtx-4060-8gb");
    s.m.ram_bytes = 12 * GIB;
    const og_decision *d = run(&s);
    const og_placement *pl = &d->placement;
    ck_assert_int_eq(pl->placed, 1);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->verdict, OG_FIT_NO);
    ck_assert_int_lt(pl->host_margin_bytes, 0);
    ck_assert_uint_gt(pl->host_bytes, pl->host_usable_bytes);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->evidence, "RAM short by");
    ck_assert(advice_has(d, "exceed the host RAM budget"));
    ck_assert(!advice_has(d, "fewer GPU layers"));
    done(&s);
}
END_TEST

/* A MoE model on a 12 GB card: all layers stay on the GPU, the experts of
 * some of them go to RAM. */
START_TEST(nvidia_placed_moe_experts)
{
    scen s;
    load(&s, "qwen3-30b-a3b", "Q4_K_M", "rtx-4070-12gb");
    const og_decision *d = run(&s);
    const og_placement *pl = &d->placement;
    ck_assert_int_eq(pl->placed, 1);
    ck_assert_int_eq(d->fits, 1);
    ck_assert_int_eq(pl->moe, 1);
    ck_assert_uint_eq(pl->n_layers_gpu, pl->n_layers);
    ck_assert_uint_gt(pl->n_partial, 0);
    HAS(pl->summary, "the experts of");
    HAS(pl->args, "exps=CPU");
    headline(d, -1);
    done(&s);
}
END_TEST

/* --fit off: llama.cpp plans as asked (trained context, every layer on the
 * GPU): does not fit, nothing placed. */
START_TEST(nvidia_fit_off)
{
    scen s;
    load(&s, "gemma-3-27b", "Q4_K_M", "rtx-4060-8gb");
    s.in.settings.fit.off = 1;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->placement.tried, 0);
    ck_assert_int_eq(d->placement.placed, 0);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->ctx_lowered_by_fit, 0);
    ck_assert_uint_eq(d->plan.n_ctx, s.model->hp.n_ctx_train);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    done(&s);
}
END_TEST

/* Ollama runs GGUF models in llama-server with --fit: the same placement,
 * advice in Ollama's terms (num_gpu, never -ngl). */
START_TEST(ollama_placed)
{
    scen s;
    load(&s, "gemma-3-27b", "Q4_K_M", "rtx-4060-8gb");
    s.in.settings.engine = OG_ENGINE_OLLAMA;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->engine, OG_ENGINE_OLLAMA);
    ck_assert_int_eq(d->placement.placed, 1);
    ck_assert_int_eq(d->fits, 1);
    ck_assert_uint_eq(d->plan.n_ctx, 4096); /* num_ctx, not lowered by --fit */
    ck_assert(advice_has(d, "Ollama's llama-server --fit"));
    ck_assert(advice_has(d, "num_gpu"));
    for (uint32_t i = 0; i < d->n_advice; i++)
        HASNT(d->advice[i], "-ngl");
    /* num_gpu set (Ollama passes -ngl): --fit gives up, every layer asked on the GPU */
    s.in.settings.llama.n_gpu_layers = 999;
    d = run(&s);
    ck_assert_int_eq(d->placement.placed, 0);
    ck_assert_int_eq(d->fits, 0);
    done(&s);
}
END_TEST

/* On a Mac (unified memory) --fit's placement is named, not adopted: the GPU
 * wired limit story stays (docs/DOCTOR.md "Placement"), the limit first. */
START_TEST(mac_no_placement)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q5_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->placement.tried, 1);
    ck_assert_int_eq(d->placement.status, OG_FITP_PLACED);
    ck_assert_int_eq(d->placement.placed, 0);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->fits_if_limit_raised, 1);
    HAS(d->advice[0], "fits after `sudo sysctl iogpu.wired_limit_mb=");
    ck_assert(advice_has(d, "would still start it, slower"));
    ck_assert(!advice_has(d, "fewer GPU layers"));
    /* the overview's pick does not run the search on unified memory */
    s.in.pick_only = 1;
    d = run(&s);
    ck_assert_int_eq(d->placement.tried, 0);
    done(&s);
}
END_TEST

static void linux_cgroup(og_machine *m, uint64_t limit)
{
    og_machine_init(m);
    m->os = OG_OS_LINUX;
    m->ram_bytes = 64 * GIB;
    m->meminfo_known = 1;
    m->mem_available_bytes = 48 * GIB;
    m->cgroup_known = 1;
    m->cgroup_limit_bytes = limit;
    m->cgroup_usage_bytes = GIB;
    m->pressure = OG_PRESSURE_NORMAL;
    m->psi_known = 1;
}

/* Linux CPU box in a container with memory.max 8 GiB: the cgroup is a named
 * deduction and check 1 counts it. */
START_TEST(linux_cgroup_too_small)
{
    scen s;
    load(&s, "qwen3-8b", "Q8_0", "m1-8gb");
    linux_cgroup(&s.m, 8 * GIB);
    ctx(&s, 8192);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->backend, OG_BACKEND_CPU);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    ck_assert_int_eq(chk(d, OG_CHECK_MODEL_TOO_BIG)->status, OG_CHECK_FAIL);
    ck_assert_int_eq(d->budget.d[0].kind, OG_DEDUCT_CGROUP);
    ck_assert_uint_eq(d->budget.d[0].bytes, 56 * GIB);
    /* 8 GiB - 1 GiB used - 1 GiB margin */
    ck_assert_uint_eq(d->budget.usable_bytes, 6 * GIB);
    /* the build the fix names runs at the asked context */
    char want[64];
    snprintf(want, sizeof want, "--quant %s", d->fit_build);
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, want);
    scen t;
    load(&t, "qwen3-8b", d->fit_build, "m1-8gb");
    linux_cgroup(&t.m, 8 * GIB);
    ctx(&t, 8192);
    ck_assert_int_eq(run(&t)->fits, 1);
    done(&t);
    done(&s);
}
END_TEST

START_TEST(linux_cgroup_fits)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "m1-8gb");
    linux_cgroup(&s.m, 8 * GIB);
    ctx(&s, 4096);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 1);
    headline(d, -1);
    statuses(d, "ok,unknown,ok,ok,ok,ok,ok");
    done(&s);
}
END_TEST

/* Strix Halo: GTT at the kernel default blocks a 70B Q8_0: check 7 with the
 * ttm.pages_limit value. */
START_TEST(strix_gtt_default_ceiling)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q8_0", "strix-halo-128gb");
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->backend, OG_BACKEND_VULKAN);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->limit.gtt, 1);
    headline(d, OG_CHECK_DEFAULT_WIRED_CEILING);
    statuses(d, "ok,unknown,ok,ok,ok,ok,fail");
    ck_assert_uint_eq(d->limit.set_mb, 72704);
    ck_assert_uint_eq(d->limit.ttm_pages, og_gtt_pages_for_bytes(72704ull * MIB));
    HAS(chk(d, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "ttm.pages_limit=18612224");
    HAS(chk(d, OG_CHECK_DEFAULT_WIRED_CEILING)->fix, "amdgpu.gttsize=72704");
    done(&s);
}
END_TEST

/* Strix Halo with GTT lowered on the command line: check 3. */
START_TEST(strix_gtt_set_low)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q4_K_M", "strix-halo-128gb");
    ctx(&s, 8192);
    s.m.gpus[0].gtt_total_bytes = 32 * GIB;
    s.m.gpus[0].total_bytes = s.m.gpus[0].vram_total_bytes + 32 * GIB;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_WIRED_LIMIT_LOW);
    statuses(d, "ok,unknown,fail,ok,ok,ok,ok");
    ck_assert_uint_ge((uint64_t)d->limit.set_mb * MIB, d->limit.default_bytes);
    HAS(chk(d, OG_CHECK_WIRED_LIMIT_LOW)->fix, "ttm.pages_limit=");
    done(&s);
}
END_TEST

/* Strix Halo, Vulkan, flash attention off at 70000 tokens (llama.cpp#15009,
 * tests/data/loadlogs): memory is plentiful but the KQ buffer is over RADV's
 * 4 GiB single-allocation limit. The decision says so, not "short by 0 B", and
 * check 1's fix names the context that fits before any smaller model. */
START_TEST(strix_vulkan_buffer_limit)
{
    scen s;
    load(&s, "qwen3-30b-a3b-2507", "Q4_K_M", "strix-halo-128gb");
    ctx(&s, 70000);
    s.in.settings.llama.flash_attn = OG_FA_OFF;
    s.in.settings.llama.n_gpu_layers = OG_NGL_ALL;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->backend, OG_BACKEND_VULKAN);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->buffer_too_large, 1);
    ck_assert_uint_gt(d->largest_buffer_bytes, d->max_buffer_bytes);
    ck_assert_uint_eq(d->max_buffer_bytes, 4 * GIB);
    ck_assert_int_gt(d->margin_bytes, 0); /* memory is not what fails */
    ck_assert_uint_gt(d->max_ctx, 0);
    ck_assert_uint_lt(d->max_ctx, 70000);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->evidence, "single-allocation limit");
    ck_assert_ptr_null(strstr(chk(d, OG_CHECK_MODEL_TOO_BIG)->evidence, "short by"));
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "cap the context, -c ");
    ck_assert_ptr_null(strstr(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "smaller model"));
    done(&s);
}
END_TEST

/* Swapping alone: the plan fits, the machine is paging (a machine warning). */
START_TEST(mac_swapping_alone)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "m4-max-64gb");
    s.m.pressure = OG_PRESSURE_CRITICAL;
    s.m.swap_total_bytes = 8 * GIB;
    s.m.swap_used_bytes = 6 * GIB;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 1);
    ck_assert_int_eq(d->machine_warnings, 1);
    headline(d, OG_CHECK_SWAPPING);
    statuses(d, "ok,unknown,ok,ok,ok,fail,ok");
    HAS(chk(d, OG_CHECK_SWAPPING)->evidence, "swap used 6.00 GiB of 8.00 GiB");
    done(&s);
}
END_TEST

/* F16 weights that do not fit: checks 1 and 4 fail; the fix is a build. */
START_TEST(mac16_f16_weights)
{
    scen s;
    load(&s, "qwen3-8b", "F16", "m1-16gb");
    ctx(&s, 4096);
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_MODEL_TOO_BIG);
    statuses(d, "fail,unknown,ok,fail,ok,ok,ok");
    HAS(chk(d, OG_CHECK_FP16_WEIGHTS)->fix, "Q4_K_M");
    HAS(chk(d, OG_CHECK_MODEL_TOO_BIG)->fix, "--quant Q");
    done(&s);
}
END_TEST

/* Other apps' GPU memory (IOKit "In use") on a live-like Mac: closing them alone is the fix. */
START_TEST(mac64_gpu_in_use_blocks)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q4_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    s.m.gpu_in_use_known = 1;
    s.m.gpu_in_use_bytes = 20 * GIB;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_OTHER_APPS);
    statuses(d, "ok,fail,ok,ok,ok,ok,ok");
    HAS(chk(d, OG_CHECK_OTHER_APPS)->fix, "returns up to 20.0 GiB");
    done(&s);
}
END_TEST

/* Combination: other apps' GPU memory and the default ceiling both stand in the way. */
START_TEST(mac64_others_and_ceiling)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q5_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    s.m.gpu_in_use_known = 1;
    s.m.gpu_in_use_bytes = 10 * GIB;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    ck_assert_int_eq(d->fits_at_capacity, 1);
    headline(d, OG_CHECK_OTHER_APPS);
    statuses(d, "ok,fail,ok,ok,ok,ok,fail");
    ck_assert_uint_le(d->limit.set_mb, 57344);
    ck_assert_uint_ge(d->limit.set_mb, 49152);
    done(&s);
}
END_TEST

/* Combination: the ceiling alone is the fix when the apps hold little. */
START_TEST(mac64_ceiling_with_some_apps)
{
    scen s;
    load(&s, "llama-3.3-70b", "Q5_K_M", "m4-max-64gb");
    ctx(&s, 8192);
    s.m.gpu_in_use_known = 1;
    s.m.gpu_in_use_bytes = 4 * GIB;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->fits, 0);
    headline(d, OG_CHECK_DEFAULT_WIRED_CEILING);
    statuses(d, "ok,unknown,ok,ok,ok,ok,fail");
    /* 48.6 GiB + 4 GiB in use + 1 GiB margin -> 54 GiB */
    ck_assert_uint_eq(d->limit.set_mb, 55296);
    done(&s);
}
END_TEST

/* Ollama on NVIDIA: num_ctx 4096 by default, no --fit lowering. */
START_TEST(ollama_defaults)
{
    scen s;
    load(&s, "qwen3-8b", "Q4_K_M", "rtx-4090");
    s.in.settings.engine = OG_ENGINE_OLLAMA;
    const og_decision *d = run(&s);
    ck_assert_int_eq(d->engine, OG_ENGINE_OLLAMA);
    ck_assert_uint_eq(d->plan.n_ctx, 4096);
    ck_assert_int_eq(d->fits, 1);
    headline(d, -1);
    done(&s);
}
END_TEST

/* MLX on a machine that is not a Mac is refused with the reason. */
START_TEST(mlx_off_mac_refused)
{
    scen s;
    load(&s, "qwen3-8b", "mlx-4bit", "rtx-4090");
    og_error err;
    ck_assert_int_eq(og_decide(&s.in, s.d, &err), OG_ERR_UNSUPPORTED);
    HAS(err.message, "Apple Silicon");
    done(&s);
}
END_TEST

/* Check 4 on a config.json-only BF16 model reads its dtype. */
START_TEST(config_only_bf16)
{
    og_model *m = NULL;
    og_error err;
    ck_assert_int_eq(og_model_open(OG_TEST_DATA "/configs/llama-3.1-8b.json", &m, &err), OG_OK);
    og_machine mach;
    ck_assert_int_eq(og_machine_preset("m4-max-64gb", &mach, &err), OG_OK);
    og_decide_input in = {0};
    in.model = m;
    in.machine = &mach;
    og_decide_settings_default(&in.settings);
    in.settings.llama.n_ctx = 4096;
    og_decision *d = calloc(1, sizeof *d);
    ck_assert_int_eq(og_decide(&in, d, &err), OG_OK);
    ck_assert_int_eq(chk(d, OG_CHECK_FP16_WEIGHTS)->status, OG_CHECK_WARN);
    HAS(chk(d, OG_CHECK_FP16_WEIGHTS)->evidence, "100 %");
    free(d);
    og_model_free(m);
}
END_TEST

/* Machine checks only. */
START_TEST(machine_only)
{
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_machine_preset("m4-max-64gb", &m, &err), OG_OK);
    m.wired_limit_mb = 70000;
    og_decide_input in = {0};
    in.machine = &m;
    og_doctor_report r;
    og_decide_machine(&in, &r);
    ck_assert_int_eq(r.checks[OG_CHECK_WIRED_LIMIT_LOW].status, OG_CHECK_FAIL);
    HAS(r.checks[OG_CHECK_WIRED_LIMIT_LOW].evidence, "freeze");
    ck_assert_int_eq(r.checks[OG_CHECK_MODEL_TOO_BIG].status, OG_CHECK_UNKNOWN);
    ck_assert_int_eq(r.headline, OG_CHECK_WIRED_LIMIT_LOW);
}
END_TEST

Suite *decide_suite(void);
Suite *decide_suite(void)
{
    Suite *s = suite_create("decide");
    TCase *t = tcase_create("scenarios");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, mac64_70b_mlx6_too_big);
    tcase_add_test(t, mac64_small_model_all_ok);
    tcase_add_test(t, mac64_70b_q4_fit_lowers_ctx);
    tcase_add_test(t, mac64_default_ceiling_fails_with_value);
    tcase_add_test(t, mac64_low_limit_fails_with_value);
    tcase_add_test(t, mac64_limit_above_ram);
    tcase_add_test(t, mac16_70b_names_smaller_model_and_tier);
    tcase_add_test(t, mac16_other_apps_block);
    tcase_add_test(t, nvidia_other_vram_blocks);
    tcase_add_test(t, nvidia_too_big_for_vram);
    tcase_add_test(t, nvidia_placed_dense_fits);
    tcase_add_test(t, nvidia_placed_ram_short);
    tcase_add_test(t, nvidia_placed_moe_experts);
    tcase_add_test(t, nvidia_fit_off);
    tcase_add_test(t, ollama_placed);
    tcase_add_test(t, mac_no_placement);
    tcase_add_test(t, linux_cgroup_too_small);
    tcase_add_test(t, linux_cgroup_fits);
    tcase_add_test(t, strix_gtt_default_ceiling);
    tcase_add_test(t, strix_gtt_set_low);
    tcase_add_test(t, strix_vulkan_buffer_limit);
    tcase_add_test(t, mac_swapping_alone);
    tcase_add_test(t, mac16_f16_weights);
    tcase_add_test(t, mac64_gpu_in_use_blocks);
    tcase_add_test(t, mac64_others_and_ceiling);
    tcase_add_test(t, mac64_ceiling_with_some_apps);
    tcase_add_test(t, ollama_defaults);
    tcase_add_test(t, mlx_off_mac_refused);
    tcase_add_test(t, config_only_bf16);
    tcase_add_test(t, machine_only);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decide_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
