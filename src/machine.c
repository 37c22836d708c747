/* The machine: names, the default wired limit, reclaimable memory and the
 * budget. Everything here is a portable pure function of an og_machine;
 * the readers live in src/platform/probe_*.c. See docs/MACHINE.md. */
#include "oomguard/machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "machine_internal.h"
#include "og_internal.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)

void og_machine_init(og_machine *m)
{
    memset(m, 0, sizeof *m);
    m->schema_version = OG_MACHINE_SCHEMA_VERSION;
}

const char *og_os_name(og_os os)
{
    switch (os) {
    case OG_OS_MACOS:
        return "macos";
    case OG_OS_LINUX:
        return "linux";
    case OG_OS_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *og_pressure_name(og_pressure p)
{
    switch (p) {
    case OG_PRESSURE_NORMAL:
        return "normal";
    case OG_PRESSURE_WARN:
        return "warn";
    case OG_PRESSURE_CRITICAL:
        return "critical";
    case OG_PRESSURE_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *og_gpu_vendor_name(og_gpu_vendor v)
{
    switch (v) {
    case OG_GPU_APPLE:
        return "apple";
    case OG_GPU_NVIDIA:
        return "nvidia";
    case OG_GPU_AMD:
        return "amd";
    case OG_GPU_NONE:
        break;
    }
    return "none";
}

void og_machine_source(og_machine *m, const char *name, int ok, const char *fmt, ...)
{
    og_source_status *s = NULL;
    for (uint32_t i = 0; i < m->n_sources; i++)
        if (strcmp(m->sources[i].name, name) == 0)
            s = &m->sources[i];
    if (!s) {
        if (m->n_sources >= OG_MAX_SOURCES)
            return;
        s = &m->sources[m->n_sources++];
    }
    memset(s, 0, sizeof *s);
    og_strlcpy(s->name, name, sizeof s->name);
    s->ok = ok ? 1 : 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->reason, sizeof s->reason, fmt, ap);
        va_end(ap);
    }
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The default GPU wired limit (iogpu.wired_limit_mb = 0). Apple publishes no
 * formula; these readings of Metal's recommendedMaxWorkingSetSize on stock
 * machines (docs/MACHINE.md, /work/shared/reference/os-interfaces.md §A2)
 * fix it for macOS 13-15:
 *   8 GB -> 5461.34 MiB (llama.cpp#5207), 16 GB -> 10922.67 MiB
 *   (llama-cpp-python#687), 32 GB -> 21845.34 MiB (llama.cpp#3606): 2/3 of
 *   RAM rounded up to a 16 KiB page (that rounding is what gives the ".34"
 *   and ".67");
 *   64 GB -> 49152 MiB (llama.cpp#1870), 96 GB -> 73728 MiB (llama.cpp#3213):
 *   3/4 of RAM.
 * The 2/3 -> 3/4 step is placed above 36 GB (36 GB machines are reported at
 * 2/3, 48 GB at 3/4: tests/data/macos/). */
uint64_t og_default_wired_limit_bytes(uint64_t ram_bytes, uint32_t macos_major)
{
    (void)macos_major;
    if (ram_bytes == 0)
        return 0;
    uint64_t v;
    if (ram_bytes <= 36 * GIB)
        v = ram_bytes / 3 * 2 + (ram_bytes % 3) * 2 / 3;
    else
        v = ram_bytes / 4 * 3 + (ram_bytes % 4) * 3 / 4;
    /* round up to the 16 KiB Apple Silicon page */
    uint64_t page = 16384;
    if (v % page)
        v += page - v % page;
    return v;
}

uint64_t og_effective_wired_limit_bytes(uint64_t ram_bytes, uint32_t wired_limit_mb,
                                        uint32_t macos_major)
{
    if (wired_limit_mb)
        return (uint64_t)wired_limit_mb * MIB;
    return og_default_wired_limit_bytes(ram_bytes, macos_major);
}

uint64_t og_metal_max_buffer_estimate(uint64_t working_set_bytes)
{
    return working_set_bytes / 4 * 3;
}

/* Recommended iogpu.wired_limit_mb: min(75 % of RAM, RAM - 8 GiB), so that
 * macOS keeps at least 8 GiB (and a quarter of RAM on big machines) for itself
 * and other programs; never below the default, which the OS already allows.
 * 24 GB -> 16384, 32 GB -> 24576, 64 GB -> 49152, 96 GB -> 73728. */
uint32_t og_recommended_wired_limit_mb(uint64_t ram_bytes)
{
    if (ram_bytes == 0)
        return 0;
    uint64_t ram_mb = ram_bytes / MIB;
    uint64_t rule = ram_mb / 4 * 3;
    uint64_t floor_mb = 8192;
    if (ram_mb > floor_mb)
        rule = min_u64(rule, ram_mb - floor_mb);
    else
        rule = 0;
    uint64_t def_mb = og_default_wired_limit_bytes(ram_bytes, 0) / MIB;
    uint64_t v = rule > def_mb ? rule : def_mb;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint64_t og_darwin_avail_bytes(uint64_t free_count, uint64_t inactive_count,
                               uint64_t purgeable_count, uint64_t page_size, uint64_t ram_bytes)
{
    uint64_t pages = 0, bytes = 0;
    /* psutil (psutil/_psosx.py virtual_memory) and Zabbix count inactive +
     * free (free_count, which includes speculative) as available; purgeable
     * pages (volatile purgeable objects) are discarded by the pageout daemon
     * without being written anywhere, so they count too. File-backed active
     * pages are left out: taking them means re-reading files later. */
    if (!og_add_u64(free_count, inactive_count, &pages) ||
        !og_add_u64(pages, purgeable_count, &pages) || !og_mul_u64(pages, page_size, &bytes))
        return ram_bytes; /* overflow: no real machine has that many pages */
    if (ram_bytes && bytes > ram_bytes)
        bytes = ram_bytes;
    return bytes;
}

uint64_t og_machine_reclaimable_bytes(const og_machine *m)
{
    if (!m->pages_known || !m->page_size)
        return 0;
    /* pages_free is vm_stat's "Pages free" (free_count - speculative_count):
     * add the speculative pages back to get the kernel's free_count. */
    uint64_t free_count = 0;
    if (!og_add_u64(m->pages_free, m->pages_speculative, &free_count))
        return m->ram_bytes;
    return og_darwin_avail_bytes(free_count, m->pages_inactive, m->pages_purgeable, m->page_size,
                                 m->ram_bytes);
}

static void budget_apple(const og_machine *m, og_budget *b)
{
    uint64_t margin = b->margin_bytes;
    b->unified = 1;
    b->has_gpu = 1;
    b->wired_limit_is_default = m->wired_limit_mb == 0;
    uint64_t wl;
    const char *wl_from;
    if (m->wired_limit_mb) {
        wl = (uint64_t)m->wired_limit_mb * MIB;
        wl_from = "iogpu.wired_limit_mb";
    } else if (m->metal_recommended_working_set_bytes && !m->metal_derived) {
        wl = m->metal_recommended_working_set_bytes;
        wl_from = "Metal recommendedMaxWorkingSetSize";
    } else {
        wl = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
        wl_from = "the macOS default for this RAM size";
    }
    b->wired_limit_bytes = wl;
    uint64_t reclaim = og_machine_reclaimable_bytes(m);
    int fresh = !m->pages_known;
    if (fresh)
        reclaim = m->ram_bytes;
    b->reclaimable_bytes = reclaim;
    uint64_t others = m->gpu_in_use_known ? m->gpu_in_use_bytes : 0;
    b->others_gpu_bytes = others;
    uint64_t pool_free = sat_sub(wl, others);
    uint64_t gpu_free = min_u64(pool_free, reclaim);
    b->gpu_total_bytes = wl;
    b->gpu_bytes = sat_sub(gpu_free, margin);
    b->host_bytes = sat_sub(reclaim, margin);
    b->n_devices = 1;
    og_budget_device *d = &b->devices[0];
    og_strlcpy(d->name, m->chip[0] ? m->chip : "Apple GPU", sizeof d->name);
    d->unified = 1;
    d->total_bytes = wl;
    d->free_bytes = gpu_free;
    d->usable_bytes = b->gpu_bytes;
    snprintf(b->basis, sizeof b->basis,
             "Unified memory: GPU pool = wired limit (%s) minus other processes' GPU memory%s, "
             "bounded by %s, minus a %llu MiB margin.",
             wl_from, m->gpu_in_use_known ? "" : " (unknown, taken as 0)",
             fresh ? "total RAM (a fresh machine: page counts unknown)"
                   : "free + speculative + inactive + purgeable pages",
             (unsigned long long)(margin / MIB));
}

static void budget_linux(const og_machine *m, og_budget *b)
{
    uint64_t margin = b->margin_bytes;
    uint64_t avail = m->meminfo_known ? m->mem_available_bytes : m->ram_bytes;
    int capped = 0;
    if (m->cgroup_known) {
        uint64_t lim = m->cgroup_limit_bytes;
        if (m->cgroup_high_bytes && (!lim || m->cgroup_high_bytes < lim))
            lim = m->cgroup_high_bytes;
        if (lim) {
            uint64_t room = sat_sub(lim, m->cgroup_usage_bytes);
            if (room < avail) {
                avail = room;
                capped = 1;
            }
        }
    }
    b->reclaimable_bytes = avail;
    b->host_bytes = sat_sub(avail, margin);
    int any_unified = 0;
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++) {
        const og_gpu *g = &m->gpus[i];
        og_budget_device *d = &b->devices[b->n_devices++];
        og_strlcpy(d->name, g->name, sizeof d->name);
        d->unified = g->unified;
        if (g->unified) {
            any_unified = 1;
            if (g->vendor == OG_GPU_AMD && g->gtt_total_bytes) {
                /* APU: the carve-out (VRAM) plus GTT, which is system RAM and
                 * so also bounded by what the host can give. */
                uint64_t gtt_free = sat_sub(g->gtt_total_bytes, g->gtt_used_bytes);
                gtt_free = min_u64(gtt_free, avail);
                d->total_bytes = g->vram_total_bytes + g->gtt_total_bytes;
                d->free_bytes = sat_sub(g->vram_total_bytes, g->vram_used_bytes) + gtt_free;
            } else {
                /* DGX Spark-style: the GPU pool is system memory. */
                d->total_bytes = g->total_bytes ? g->total_bytes : m->ram_bytes;
                d->free_bytes = avail;
            }
        } else if (g->mem_known) {
            d->total_bytes = g->total_bytes;
            d->free_bytes = sat_sub(g->total_bytes, g->used_bytes);
            b->others_gpu_bytes += g->used_bytes;
        }
        d->usable_bytes = sat_sub(d->free_bytes, margin);
        if (d->total_bytes)
            b->has_gpu = 1;
        b->gpu_total_bytes += d->total_bytes;
        b->gpu_bytes += d->usable_bytes;
    }
    b->unified = any_unified;
    snprintf(b->basis, sizeof b->basis, "Host: %s%s, minus a %llu MiB margin. GPU: %s.",
             m->meminfo_known ? "MemAvailable" : "total RAM (no live reading)",
             capped ? " bounded by the cgroup limit minus its usage" : "",
             (unsigned long long)(margin / MIB),
             m->n_gpus == 0 ? "none found"
             : any_unified
                 ? "unified parts use system memory (AMD APU: VRAM carve-out + GTT bounded by "
                   "the host); discrete: free VRAM minus 1024 MiB per device (llama.cpp --fit)"
                 : "free VRAM per device minus 1024 MiB (llama.cpp --fit default margin)");
}

uint64_t og_vk_max_alloc_default(og_gpu_vendor v)
{
    /* Driver limits as reported in llama.cpp issues 11598, 12728, 15054 and
     * GPUOpen-Drivers/AMDVLK 413: RADV maxMemoryAllocationSize 0xFFFFFFFC
     * (4 GiB), AMDVLK / AMD proprietary 0x80000000 (2 GiB); NVIDIA's
     * maxBufferSize lets > 4 GiB buffers through (llama.cpp PR 16354). */
    return v == OG_GPU_AMD ? 4ull << 30 : 0;
}

void og_machine_budget(const og_machine *m, og_budget *b)
{
    memset(b, 0, sizeof *b);
    b->margin_bytes = OG_BUDGET_MARGIN_BYTES;
    if (m->os == OG_OS_MACOS || m->apple_silicon)
        budget_apple(m, b);
    else
        budget_linux(m, b);
    if (m->n_gpus)
        b->vk_max_alloc_bytes = m->gpus[0].vk_max_alloc_bytes
                                    ? m->gpus[0].vk_max_alloc_bytes
                                    : og_vk_max_alloc_default(m->gpus[0].vendor);
}

void og_machine_unified_fallback(og_machine *m)
{
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++) {
        og_gpu *g = &m->gpus[i];
        if (g->vendor != OG_GPU_NVIDIA || !g->unified || g->mem_known || !m->meminfo_known)
            continue;
        /* DGX Spark-style: the GPU's pool is system memory (what nvtop's
         * set_unified_system_memory_info does). */
        g->total_bytes = m->ram_bytes;
        g->used_bytes = sat_sub(m->ram_bytes, m->mem_available_bytes);
        g->mem_known = 1;
    }
}
