/* Machine probe tests: the Linux reader against fixture trees
 * (tests/data/linux/<scenario>/), the budget, the default and recommended
 * wired limits against published readings, snapshots (round trip and
 * malformed input), presets and og_machine_load. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine_internal.h"
#include "oomguard/oomguard.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)

static og_machine *probe_fixture(const char *scenario)
{
    static og_machine m;
    char root[512];
    snprintf(root, sizeof root, "%s/linux/%s", OG_TEST_DATA, scenario);
    og_error err;
    ck_assert_msg(og_probe_linux_root(root, &m, &err) == OG_OK, "%s: %s", scenario, err.message);
    return &m;
}

static const og_source_status *source(const og_machine *m, const char *name)
{
    for (uint32_t i = 0; i < m->n_sources; i++)
        if (strcmp(m->sources[i].name, name) == 0)
            return &m->sources[i];
    return NULL;
}

START_TEST(test_linux_workstation)
{
    og_machine *m = probe_fixture("workstation");
    ck_assert_int_eq(m->os, OG_OS_LINUX);
    ck_assert_uint_eq(m->ram_bytes, 65536000 * KIB);
    ck_assert_uint_eq(m->mem_available_bytes, 40960000 * KIB);
    ck_assert_uint_eq(m->mem_free_bytes, 8192000 * KIB);
    ck_assert_uint_eq(m->cached_bytes, 30720000 * KIB);
    ck_assert_uint_eq(m->swap_total_bytes, 8388604 * KIB);
    ck_assert_uint_eq(m->swap_used_bytes, (8388604 - 6291452) * KIB);
    ck_assert_uint_eq(m->swapouts, 52345);
    ck_assert(m->psi_known);
    ck_assert_double_eq_tol(m->psi_some_avg10, 12.5, 1e-9);
    ck_assert_double_eq_tol(m->psi_full_avg10, 0.4, 1e-9);
    ck_assert_int_eq(m->pressure, OG_PRESSURE_WARN);
    /* the leaf has no limit; user.slice's memory.max binds */
    ck_assert(m->cgroup_known);
    ck_assert_str_eq(m->cgroup_path, "/user.slice/user-1000.slice/session-2.scope");
    ck_assert_uint_eq(m->cgroup_limit_bytes, 34359738368ull);
    ck_assert_uint_eq(m->cgroup_usage_bytes, 5368709120ull);
    ck_assert_uint_eq(m->cpu_cores, 4);
    ck_assert_str_eq(m->cpu_name, "AMD Ryzen 9 7950X 16-Core Processor");
    ck_assert_str_eq(m->os_version, "Ubuntu 24.04.1 LTS, kernel 6.8.0-45-generic");
    ck_assert_str_eq(m->hostname, "ws1");
    ck_assert_uint_eq(m->n_gpus, 0);
    const og_source_status *s = source(m, "amdgpu");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->ok, 0);
    ck_assert_ptr_nonnull(strstr(s->reason, "/sys/class/drm"));
    og_budget b;
    og_machine_budget(m, &b);
    /* min(MemAvailable 39.06 GiB, 32 GiB - 5 GiB) - 1 GiB */
    ck_assert_uint_eq(b.reclaimable_bytes, 27 * GIB);
    ck_assert_uint_eq(b.host_bytes, 26 * GIB);
    ck_assert_int_eq(b.has_gpu, 0);
    ck_assert_uint_eq(b.gpu_bytes, 0);
    ck_assert_ptr_nonnull(strstr(b.basis, "cgroup"));
}
END_TEST

START_TEST(test_linux_container)
{
    og_machine *m = probe_fixture("container");
    ck_assert(m->cgroup_known);
    ck_assert_str_eq(m->cgroup_path, "/");
    ck_assert_uint_eq(m->cgroup_limit_bytes, 8 * GIB);
    ck_assert_uint_eq(m->cgroup_high_bytes, 0);
    ck_assert_uint_eq(m->cgroup_usage_bytes, 2 * GIB);
    ck_assert_int_eq(m->pressure, OG_PRESSURE_NORMAL);
    ck_assert_uint_eq(m->cpu_cores, 2);
    og_budget b;
    og_machine_budget(m, &b);
    ck_assert_uint_eq(b.host_bytes, 5 * GIB); /* 8 - 2 - 1, not the host's 57 GiB */
}
END_TEST

START_TEST(test_linux_old_kernel)
{
    og_machine *m = probe_fixture("old-kernel");
    ck_assert(m->meminfo_known);
    ck_assert_uint_eq(m->mem_available_bytes, (1000000 + 200000 + 2000000) * KIB);
    const og_source_status *s = source(m, "meminfo");
    ck_assert_int_eq(s->ok, 1);
    ck_assert_ptr_nonnull(strstr(s->reason, "MemAvailable"));
    ck_assert(!m->psi_known);
    ck_assert_int_eq(source(m, "psi")->ok, 0);
    ck_assert_ptr_nonnull(strstr(source(m, "psi")->reason, "PSI"));
    ck_assert(!m->cgroup_known);
    ck_assert_int_eq(source(m, "cgroup")->ok, 0);
    ck_assert_int_eq(source(m, "vmstat")->ok, 0);
    ck_assert_int_eq(source(m, "cpuinfo")->ok, 0);
    ck_assert_int_eq(m->pressure, OG_PRESSURE_UNKNOWN);
    for (uint32_t i = 0; i < m->n_sources; i++)
        if (!m->sources[i].ok)
            ck_assert_msg(m->sources[i].reason[0], "%s has no reason", m->sources[i].name);
}
END_TEST

START_TEST(test_linux_strix_halo)
{
    og_machine *m = probe_fixture("strix-halo");
    ck_assert_uint_eq(m->n_gpus, 1);
    const og_gpu *g = &m->gpus[0];
    ck_assert_int_eq(g->vendor, OG_GPU_AMD);
    ck_assert(g->unified);
    ck_assert_str_eq(g->pci_bus_id, "0000:c5:00.0");
    ck_assert_str_eq(g->name, "AMD GPU (card1)");
    ck_assert_uint_eq(g->vram_total_bytes, 512 * MIB);
    ck_assert_uint_eq(g->gtt_total_bytes, 96 * GIB);
    ck_assert_uint_eq(g->gtt_used_bytes, 20 * GIB);
    ck_assert_uint_eq(g->total_bytes, 96 * GIB + 512 * MIB);
    ck_assert_uint_eq(m->ttm_pages_limit, 25165824);
    ck_assert_uint_eq(m->ttm_pages_limit * 4096, g->gtt_total_bytes);
    /* fdinfo: pid 4242's two fds share client 17 (counted once, drm-total-*);
     * pid 1500 has the legacy drm-memory-* keys only */
    ck_assert(g->procs_known);
    ck_assert_uint_eq(g->n_procs, 2);
    uint64_t b4242 = 0, b1500 = 0;
    for (uint32_t i = 0; i < g->n_procs; i++) {
        if (g->procs[i].pid == 4242)
            b4242 = g->procs[i].bytes;
        if (g->procs[i].pid == 1500)
            b1500 = g->procs[i].bytes;
    }
    ck_assert_uint_eq(b4242, 80 * MIB + 20480 * MIB);
    ck_assert_uint_eq(b1500, 20480 * KIB + 102400 * KIB);
    /* cgroup v1: the parent's 100 GiB limit binds */
    ck_assert(m->cgroup_known);
    ck_assert_uint_eq(m->cgroup_limit_bytes, 100 * GIB);
    ck_assert_uint_eq(m->cgroup_usage_bytes, 2 * GIB);
    og_budget b;
    og_machine_budget(m, &b);
    ck_assert(b.unified);
    ck_assert(b.has_gpu);
    ck_assert_uint_eq(b.reclaimable_bytes, 98 * GIB);
    ck_assert_uint_eq(b.n_devices, 1);
    /* free GTT 76 GiB (under the 98 GiB host room) + free VRAM 412 MiB */
    ck_assert_uint_eq(b.devices[0].free_bytes, 76 * GIB + 412 * MIB);
    ck_assert_uint_eq(b.gpu_bytes, 75 * GIB + 412 * MIB);
}
END_TEST

START_TEST(test_linux_radeon_dgpu)
{
    og_machine *m = probe_fixture("radeon-dgpu");
    ck_assert_uint_eq(m->n_gpus, 1); /* card0 is not AMD */
    const og_gpu *g = &m->gpus[0];
    ck_assert(!g->unified);
    ck_assert_str_eq(g->name, "Radeon RX 7900 XTX");
    ck_assert_uint_eq(g->total_bytes, 25753026560ull);
    ck_assert_uint_eq(g->used_bytes, 1610612736ull);
    og_budget b;
    og_machine_budget(m, &b);
    ck_assert(!b.unified);
    ck_assert_uint_eq(b.gpu_total_bytes, 25753026560ull);
    ck_assert_uint_eq(b.gpu_bytes, 25753026560ull - 1610612736ull - GIB);
    ck_assert_uint_eq(b.others_gpu_bytes, 1610612736ull);
}
END_TEST

START_TEST(test_linux_missing_root)
{
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_probe_linux_root("/nonexistent-og-root", &m, &err), OG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "meminfo"));
}
END_TEST

START_TEST(test_live_probe)
{
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_machine_probe(&m, &err), OG_OK);
    ck_assert(m.ram_bytes > 0);
    ck_assert(m.meminfo_known);
    ck_assert(m.mem_available_bytes <= m.ram_bytes);
    ck_assert_ptr_nonnull(source(&m, "nvml"));
}
END_TEST

/* Metal's recommendedMaxWorkingSetSize on stock machines, as llama.cpp
 * printed it (MiB, %.2f): see og_default_wired_limit_bytes. */
START_TEST(test_default_wired_limit_table)
{
    static const struct {
        uint64_t ram_gib;
        const char *mib;
    } t[] = {
        {8, "5461.34"}, {16, "10922.67"}, {32, "21845.34"}, {64, "49152.00"}, {96, "73728.00"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[32];
        uint64_t v = og_default_wired_limit_bytes(t[i].ram_gib * GIB, 14);
        snprintf(buf, sizeof buf, "%.2f", (double)v / (double)MIB);
        ck_assert_msg(strcmp(buf, t[i].mib) == 0, "%llu GiB: %s, expected %s",
                      (unsigned long long)t[i].ram_gib, buf, t[i].mib);
    }
    ck_assert_uint_eq(og_default_wired_limit_bytes(0, 15), 0);
    ck_assert_uint_eq(og_effective_wired_limit_bytes(64 * GIB, 57344, 15), 57344 * MIB);
    ck_assert_uint_eq(og_effective_wired_limit_bytes(64 * GIB, 0, 15), 48 * GIB);
}
END_TEST

START_TEST(test_recommended_wired_limit)
{
    ck_assert_uint_eq(og_recommended_wired_limit_mb(24 * GIB), 16384);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(32 * GIB), 24576);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(64 * GIB), 49152);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(96 * GIB), 73728);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(128 * GIB), 98304);
    /* never below the default, which the OS already allows */
    ck_assert_uint_eq(og_recommended_wired_limit_mb(16 * GIB), 10922);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(8 * GIB), 5461);
    ck_assert_uint_eq(og_recommended_wired_limit_mb(0), 0);
    /* always leaves the system at least 8 GiB (or the default's share) */
    for (uint64_t gb = 8; gb <= 512; gb += 4) {
        uint64_t rec = og_recommended_wired_limit_mb(gb * GIB);
        uint64_t def = og_default_wired_limit_bytes(gb * GIB, 15) / MIB;
        ck_assert(rec >= def);
        ck_assert(rec == def || gb * 1024 - rec >= 8192);
    }
}
END_TEST

START_TEST(test_budget_apple_preset)
{
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_machine_preset("m4-pro-48gb", &m, &err), OG_OK);
    ck_assert_str_eq(m.chip, "Apple M4 Pro");
    ck_assert_uint_eq(m.gpu_cores, 20);
    ck_assert_uint_eq(m.ram_bytes, 48 * GIB);
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert(b.unified);
    ck_assert(b.wired_limit_is_default);
    ck_assert_uint_eq(b.wired_limit_bytes, 36 * GIB);
    ck_assert_uint_eq(b.gpu_total_bytes, 36 * GIB);
    ck_assert_uint_eq(b.gpu_bytes, 35 * GIB);
    ck_assert_uint_eq(b.host_bytes, 47 * GIB);
    /* raising the wired limit moves the pool */
    m.wired_limit_mb = 40960;
    og_machine_budget(&m, &b);
    ck_assert(!b.wired_limit_is_default);
    ck_assert_uint_eq(b.gpu_bytes, 39 * GIB);
    /* other processes' GPU memory comes off the pool */
    m.gpu_in_use_bytes = 3 * GIB;
    og_machine_budget(&m, &b);
    ck_assert_uint_eq(b.others_gpu_bytes, 3 * GIB);
    ck_assert_uint_eq(b.gpu_bytes, 36 * GIB);
    /* and what the system can reclaim bounds it */
    m.pages_known = 1;
    m.pages_free = (8 * GIB) / 16384;
    m.pages_inactive = (4 * GIB) / 16384;
    m.pages_speculative = (1 * GIB) / 16384;
    m.pages_purgeable = (1 * GIB) / 16384;
    ck_assert_uint_eq(og_machine_reclaimable_bytes(&m), 14 * GIB);
    /* the watch reader gets the kernel's free_count, which already holds the
     * speculative pages: the same 14 GiB, not 15 (speculative counted twice) */
    ck_assert_uint_eq(og_darwin_avail_bytes(m.pages_free + m.pages_speculative, m.pages_inactive,
                                            m.pages_purgeable, 16384, m.ram_bytes),
                      14 * GIB);
    ck_assert_uint_eq(og_darwin_avail_bytes(m.pages_free + m.pages_speculative, m.pages_inactive,
                                            m.pages_purgeable, 16384, 10 * GIB),
                      10 * GIB); /* capped at the RAM size */
    og_machine_budget(&m, &b);
    ck_assert_uint_eq(b.reclaimable_bytes, 14 * GIB);
    ck_assert_uint_eq(b.gpu_bytes, 13 * GIB);
    ck_assert_uint_eq(b.host_bytes, 13 * GIB);
}
END_TEST

START_TEST(test_presets)
{
    ck_assert(og_machine_preset_count() >= 50);
    og_error err;
    for (uint32_t i = 0; i < og_machine_preset_count(); i++) {
        const char *n = og_machine_preset_name(i);
        og_machine m;
        ck_assert_int_eq(og_machine_preset(n, &m, &err), OG_OK);
        ck_assert_str_eq(m.preset, n);
        ck_assert(m.ram_bytes > 0);
        ck_assert_ptr_nonnull(og_machine_preset_summary(i));
        for (uint32_t j = 0; j < i; j++)
            ck_assert_str_ne(og_machine_preset_name(j), n);
        og_budget b;
        og_machine_budget(&m, &b);
        ck_assert_msg(b.has_gpu && b.gpu_bytes > 0, "%s has no GPU budget", n);
        /* snapshot round trip */
        char *s = og_machine_to_json(&m);
        ck_assert_ptr_nonnull(s);
        og_machine back;
        ck_assert_msg(og_machine_from_json(s, strlen(s), n, &back, &err) == OG_OK, "%s: %s", n,
                      err.message);
        char *s2 = og_machine_to_json(&back);
        ck_assert_str_eq(s, s2);
        free(s);
        free(s2);
    }
    og_machine m;
    ck_assert_int_eq(og_machine_preset("m3-ultra-512gb", &m, &err), OG_OK);
    ck_assert_uint_eq(m.ram_bytes, 512 * GIB);
    ck_assert_uint_eq(m.gpu_cores, 80);
    ck_assert_int_eq(og_machine_preset("RTX-4090", &m, &err), OG_OK);
    ck_assert_uint_eq(m.gpus[0].total_bytes, 24564 * MIB);
    ck_assert_int_eq(og_machine_preset("dgx-spark", &m, &err), OG_OK);
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert(b.unified);
    ck_assert_uint_eq(b.gpu_bytes, 127 * GIB);
    ck_assert_int_eq(og_machine_preset("strix-halo-128gb", &m, &err), OG_OK);
    ck_assert_uint_eq(m.gpus[0].gtt_total_bytes, m.ttm_pages_limit * 4096);
    ck_assert_int_eq(og_machine_preset("m9-ultra", &m, &err), OG_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_snapshot_round_trip_fixtures)
{
    const char *sc[] = {"workstation", "container", "old-kernel", "strix-halo", "radeon-dgpu"};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        og_machine *m = probe_fixture(sc[i]);
        char *s = og_machine_to_json(m);
        og_machine back;
        og_error err;
        ck_assert_msg(og_machine_from_json(s, strlen(s), sc[i], &back, &err) == OG_OK, "%s: %s",
                      sc[i], err.message);
        char *s2 = og_machine_to_json(&back);
        ck_assert_str_eq(s, s2);
        og_budget b1, b2;
        og_machine_budget(m, &b1);
        og_machine_budget(&back, &b2);
        ck_assert_uint_eq(b1.host_bytes, b2.host_bytes);
        ck_assert_uint_eq(b1.gpu_bytes, b2.gpu_bytes);
        free(s);
        free(s2);
    }
}
END_TEST

static void expect_bad(const char *json, const char *needle)
{
    og_machine m;
    og_error err;
    og_status st = og_machine_from_json(json, strlen(json), "snap.json", &m, &err);
    ck_assert_msg(st == OG_ERR_INVALID, "accepted: %s", json);
    ck_assert_msg(strstr(err.message, needle) != NULL, "'%s' lacks '%s'", err.message, needle);
    ck_assert_ptr_nonnull(strstr(err.message, "snap.json"));
}

START_TEST(test_snapshot_malformed)
{
    expect_bad("{", "not valid JSON");
    expect_bad("[1,2]", "must be a JSON object");
    expect_bad("{\"os\":\"linux\",\"ram_bytes\":1}", "'schema_version': missing");
    expect_bad("{\"schema_version\":2,\"os\":\"linux\",\"ram_bytes\":1}",
               "'schema_version': version 2 is not supported");
    expect_bad("{\"schema_version\":1,\"ram_bytes\":1}", "'os'");
    expect_bad("{\"schema_version\":1,\"os\":\"windows\",\"ram_bytes\":1}", "'os'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\"}", "'ram_bytes': missing");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":\"16G\"}",
               "'ram_bytes': must be an integer");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":-5}",
               "'ram_bytes': must not be negative");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1152921504606846976}",
               "'ram_bytes': 1152921504606846976 is absurdly large");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":0}", "'ram_bytes'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"swap_total_bytes\":1,"
               "\"swap_used_bytes\":2}",
               "'swap_used_bytes'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"pressure\":\"high\"}",
               "'pressure'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"linux\":{\"meminfo\":"
               "{\"mem_available_bytes\":4096}}}",
               "'linux.meminfo.mem_available_bytes'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"linux\":{\"psi\":"
               "{\"some_avg10_percent\":200,\"full_avg10_percent\":0}}}",
               "'linux.psi.some_avg10_percent'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"gpus\":[{\"vendor\":"
               "\"nvidia\",\"total_bytes\":10,\"used_bytes\":20}]}",
               "'gpus[0].used_bytes': is larger than total_bytes");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"gpus\":[{\"vendor\":"
               "\"intel\"}]}",
               "'gpus[0].vendor'");
    expect_bad("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1024,\"gpus\":[{\"vendor\":"
               "\"nvidia\",\"total_bytes\":10,\"used_bytes\":2,\"processes\":[{\"pid\":-1,"
               "\"bytes\":1}]}]}",
               "'gpus[0].processes[0].pid'");
    expect_bad("{\"schema_version\":1,\"os\":\"macos\",\"ram_bytes\":17179869184,"
               "\"page_size_bytes\":16384,\"macos\":{\"pages\":{\"free\":1}}}",
               "'macos.pages.active': missing");
    expect_bad("{\"schema_version\":1,\"os\":\"macos\",\"ram_bytes\":17179869184,"
               "\"page_size_bytes\":1000}",
               "'page_size_bytes'");
    expect_bad("{\"schema_version\":1,\"os\":\"macos\",\"ram_bytes\":17179869184,"
               "\"macos\":{\"wired_limit_mb\":true}}",
               "'macos.wired_limit_mb': must be an integer");
    expect_bad("{\"schema_version\":1,\"os\":\"macos\",\"ram_bytes\":17179869184,"
               "\"macos\":[]}",
               "'macos': must be an object");
    expect_bad("{\"schema_version\":1,\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":1}",
               "not valid JSON");
}
END_TEST

START_TEST(test_machine_load)
{
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_machine_load("m2-ultra-192gb", &m, &err), OG_OK);
    ck_assert_uint_eq(m.ram_bytes, 192 * GIB);
    ck_assert_int_eq(og_machine_load("no-such-machine", &m, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "no-such-machine"));
    char dir[] = "/tmp/og-test-machine-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s/snap.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(og_machine_preset("rtx-5090", &m, &err), OG_OK);
    char *s = og_machine_to_json(&m);
    fputs(s, f);
    fclose(f);
    free(s);
    og_machine back;
    ck_assert_int_eq(og_machine_load(path, &back, &err), OG_OK);
    ck_assert_str_eq(back.preset, "rtx-5090");
    ck_assert_uint_eq(back.gpus[0].total_bytes, 32607 * MIB);
    f = fopen(path, "w");
    fputs("{\"schema_version\":1,\"os\":\"linux\",\"ram_bytes\":-1}", f);
    fclose(f);
    ck_assert_int_eq(og_machine_load(path, &back, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, path));
    ck_assert_ptr_nonnull(strstr(err.message, "ram_bytes"));
    unlink(path);
    ck_assert_int_eq(og_machine_load(path, &back, &err), OG_ERR_NOT_FOUND);
    rmdir(dir);
}
END_TEST

/* Recorded readings of real Macs (the .json files in tests/data/macos: each names its
 * public source and what is derived). */
static int n_mac_fixtures;

static void check_mac_fixture(const char *path)
{
    og_machine m;
    og_error err;
    ck_assert_msg(og_machine_load(path, &m, &err) == OG_OK, "%s: %s", path, err.message);
    ck_assert(m.apple_silicon);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(j);
    ck_assert_msg(json_is_object(json_object_get(j, "provenance")), "%s: no provenance", path);
    json_t *chk = json_object_get(j, "check");
    json_t *rb = json_object_get(chk, "reclaimable_bytes");
    if (rb) {
        uint64_t want = (uint64_t)json_integer_value(rb);
        uint64_t tol = (uint64_t)json_integer_value(json_object_get(chk, "tolerance_bytes"));
        uint64_t got = og_machine_reclaimable_bytes(&m);
        uint64_t diff = got > want ? got - want : want - got;
        ck_assert_msg(diff <= tol, "%s: reclaimable %llu, source says %llu", path,
                      (unsigned long long)got, (unsigned long long)want);
    }
    json_t *ws = json_object_get(chk, "stock_working_set_mib_printed");
    if (ws) {
        char buf[32];
        uint64_t v = og_default_wired_limit_bytes(m.ram_bytes, m.macos_major);
        snprintf(buf, sizeof buf, "%.2f", (double)v / (double)MIB);
        ck_assert_msg(strcmp(buf, json_string_value(ws)) == 0, "%s: %s MiB, published %s", path,
                      buf, json_string_value(ws));
    }
    json_t *wl = json_object_get(chk, "with_wired_limit_mb");
    if (wl) {
        /* Metal reports exactly the sysctl when it is set */
        uint64_t v = og_effective_wired_limit_bytes(m.ram_bytes, (uint32_t)json_integer_value(wl),
                                                    m.macos_major);
        double gib = (double)v / (double)GIB;
        ck_assert_double_eq_tol(gib, json_real_value(json_object_get(chk, "with_wired_limit_gib")),
                                0.005);
    }
    /* the budget: never more than the GPU pool or what can be reclaimed */
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert(b.unified);
    ck_assert(b.gpu_bytes + b.margin_bytes <= b.wired_limit_bytes || b.gpu_bytes == 0);
    ck_assert(b.gpu_bytes <= b.host_bytes);
    if (m.pages_known)
        ck_assert_uint_eq(b.reclaimable_bytes, og_machine_reclaimable_bytes(&m));
    if (!m.metal_derived && m.metal_recommended_working_set_bytes && !m.wired_limit_mb)
        ck_assert_uint_eq(b.wired_limit_bytes, m.metal_recommended_working_set_bytes);
    json_decref(j);
    n_mac_fixtures++;
}

START_TEST(test_mac_fixtures)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/macos", OG_TEST_DATA);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    n_mac_fixtures = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            check_mac_fixture(p);
        }
    }
    closedir(d);
    ck_assert_int_ge(n_mac_fixtures, 7);
}
END_TEST

/* macOS 26 raised the stock working set on a 128 GB M5 Max to 107.52 GiB
 * (antirez/ds4 PR #893); the 13-15 rule says 96 GiB. A live Metal reading
 * wins over the rule; without one the budget is the lower, safe side. */
START_TEST(test_mac_macos26_live_reading_wins)
{
    char p[512];
    snprintf(p, sizeof p, "%s/macos/m5-max-128gb-macos26.json", OG_TEST_DATA);
    og_machine m;
    og_error err;
    ck_assert_int_eq(og_machine_load(p, &m, &err), OG_OK);
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert(fabs((double)b.wired_limit_bytes / (double)GIB - 107.52) < 0.01);
    ck_assert_uint_eq(b.gpu_bytes, b.wired_limit_bytes - GIB);
    m.metal_derived = 1; /* as if Metal could not be read */
    og_machine_budget(&m, &b);
    ck_assert_uint_eq(b.wired_limit_bytes, 96 * GIB);
}
END_TEST

/* NVML through a stand-in library with nvml.h's layouts (fake_nvml.c). */
static void nvml_machine(const char *mode, og_machine *m)
{
    setenv("OG_NVML_LIBRARY", OG_FAKE_NVML, 1);
    setenv("FAKE_NVML_MODE", mode, 1);
    og_machine_init(m);
    m->os = OG_OS_LINUX;
    m->ram_bytes = 128 * GIB;
    m->meminfo_known = 1;
    m->mem_available_bytes = 100 * GIB;
    og_probe_nvml(m);
    og_machine_unified_fallback(m);
}

START_TEST(test_nvml_h100)
{
    og_machine m;
    nvml_machine("h100", &m);
    ck_assert_int_eq(source(&m, "nvml")->ok, 1);
    ck_assert_uint_eq(m.n_gpus, 1);
    const og_gpu *g = &m.gpus[0];
    ck_assert_str_eq(g->name, "NVIDIA H100 80GB HBM3");
    ck_assert(g->mem_known && !g->unified);
    ck_assert_uint_eq(g->total_bytes, 81559 * MIB);
    ck_assert_uint_eq(g->used_bytes, (6144 + 512) * MIB); /* used + reserved */
    ck_assert(g->procs_known);
    ck_assert_uint_eq(g->n_procs, 2);
    ck_assert_int_eq(g->procs[0].pid, 4242);
    ck_assert_uint_eq(g->procs[0].bytes, 4096 * MIB);
    ck_assert_int_eq(g->procs[1].pid, 5151);
    ck_assert_uint_eq(g->procs[1].bytes, 0); /* NVML_VALUE_NOT_AVAILABLE */
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert_uint_eq(b.gpu_bytes, (81559 - 6656 - 1024) * MIB);
}
END_TEST

START_TEST(test_nvml_spark_unified)
{
    og_machine m;
    nvml_machine("spark", &m);
    ck_assert_uint_eq(m.n_gpus, 1);
    const og_gpu *g = &m.gpus[0];
    ck_assert(g->unified);
    ck_assert(g->mem_known);
    ck_assert_uint_eq(g->total_bytes, 128 * GIB);
    ck_assert_uint_eq(g->used_bytes, 28 * GIB);
    ck_assert_ptr_nonnull(strstr(source(&m, "nvml")->reason, "NOT_SUPPORTED"));
    og_budget b;
    og_machine_budget(&m, &b);
    ck_assert(b.unified);
    ck_assert_uint_eq(b.gpu_bytes, 99 * GIB);
}
END_TEST

START_TEST(test_nvml_missing)
{
    og_machine m;
    nvml_machine("nodriver", &m);
    ck_assert_uint_eq(m.n_gpus, 0);
    ck_assert_int_eq(source(&m, "nvml")->ok, 0);
    ck_assert_ptr_nonnull(strstr(source(&m, "nvml")->reason, "Driver Not Loaded"));
    setenv("OG_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    og_machine_init(&m);
    og_probe_nvml(&m);
    ck_assert_int_eq(source(&m, "nvml")->ok, 0);
    ck_assert_ptr_nonnull(strstr(source(&m, "nvml")->reason, "not found"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("machine");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_linux_workstation);
    tcase_add_test(tc, test_linux_container);
    tcase_add_test(tc, test_linux_old_kernel);
    tcase_add_test(tc, test_linux_strix_halo);
    tcase_add_test(tc, test_linux_radeon_dgpu);
    tcase_add_test(tc, test_linux_missing_root);
    tcase_add_test(tc, test_live_probe);
    tcase_add_test(tc, test_default_wired_limit_table);
    tcase_add_test(tc, test_recommended_wired_limit);
    tcase_add_test(tc, test_budget_apple_preset);
    tcase_add_test(tc, test_presets);
    tcase_add_test(tc, test_snapshot_round_trip_fixtures);
    tcase_add_test(tc, test_snapshot_malformed);
    tcase_add_test(tc, test_machine_load);
    tcase_add_test(tc, test_mac_fixtures);
    tcase_add_test(tc, test_nvml_h100);
    tcase_add_test(tc, test_nvml_spark_unified);
    tcase_add_test(tc, test_nvml_missing);
    tcase_add_test(tc, test_mac_macos26_live_reading_wins);
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
