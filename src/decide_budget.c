/* The decision core's budget (include/oomguard/decide.h): the pool a plan
 * may use as a chain of named deductions, and the GPU wired / GTT limit
 * advice. Starts from og_machine_budget (src/machine.c, docs/MACHINE.md)
 * and adds what it leaves out: other processes on a snapshot without page
 * counts (a preset with --procs), a wired limit above the safe maximum
 * (counted at the safe maximum), and the what-ifs the doctor needs (the
 * limit raised, the other processes closed). */
#include <stdio.h>
#include <string.h>

#include "decide_internal.h"
#include "og_internal.h"
#include "oomguard/units.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t min2(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

const char *og_deduction_name(og_deduction_kind k)
{
    static const char *const n[OG_DEDUCT_KIND_COUNT] = {
        "macos_floor", "wired_ceiling", "gtt_ceiling", "other_apps", "cgroup", "margin", "in_use"};
    return (unsigned)k < OG_DEDUCT_KIND_COUNT ? n[k] : "unknown";
}

int og_machine_is_apple(const og_machine *m)
{
    return m && (m->os == OG_OS_MACOS || m->apple_silicon);
}

static const og_gpu *apu_gpu(const og_machine *m)
{
    if (!m || og_machine_is_apple(m))
        return NULL;
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++)
        if (m->gpus[i].vendor == OG_GPU_AMD && m->gpus[i].unified && m->gpus[i].gtt_total_bytes)
            return &m->gpus[i];
    return NULL;
}

int og_machine_is_apu(const og_machine *m)
{
    return apu_gpu(m) != NULL;
}

uint64_t og_apu_gtt_bytes(const og_machine *m)
{
    const og_gpu *g = apu_gpu(m);
    return g ? g->gtt_total_bytes : 0;
}

uint64_t og_apu_carveout_bytes(const og_machine *m)
{
    const og_gpu *g = apu_gpu(m);
    return g ? g->vram_total_bytes : 0;
}

og_backend og_decide_backend(const og_machine *m)
{
    if (!m)
        return OG_BACKEND_CPU;
    if (m->apple_silicon)
        return OG_BACKEND_METAL;
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++)
        if (m->gpus[i].vendor == OG_GPU_APPLE)
            return OG_BACKEND_METAL;
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++)
        if (m->gpus[i].vendor == OG_GPU_NVIDIA)
            return OG_BACKEND_CUDA;
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++)
        if (m->gpus[i].vendor == OG_GPU_AMD)
            return m->gpus[i].unified ? OG_BACKEND_VULKAN : OG_BACKEND_ROCM;
    return OG_BACKEND_CPU;
}

static void deduct(og_decided_budget *c, og_deduction_kind k, uint64_t bytes, const char *why)
{
    int ceiling = k == OG_DEDUCT_WIRED_CEILING || k == OG_DEDUCT_GTT_CEILING;
    if (!c || (!bytes && !ceiling) || c->n >= OG_DECIDE_MAX_DEDUCTIONS)
        return;
    og_deduction *d = &c->d[c->n++];
    d->kind = k;
    d->bytes = bytes;
    og_strlcpy(d->why, why, sizeof d->why);
}

#define SZ(b) og_format_bytes((b), (char[32]){0}, 32)

/* The safe maximum for the GPU pool on a unified machine: RAM minus the
 * floor (og_wired_max_safe_mb; the same rule for an APU's GTT). */
static uint64_t safe_max(const og_machine *m)
{
    return (uint64_t)og_wired_max_safe_mb(m->ram_bytes) * MIB;
}

void og_decide_budget_at(const og_decide_ctx *c, const og_machine *m, uint64_t limit_bytes,
                         int close_others, og_budget *b, og_decided_budget *chain)
{
    og_machine_budget(m, b);
    if (chain) {
        memset(chain, 0, sizeof *chain);
    }
    uint64_t margin = b->margin_bytes;
    /* other processes from the list: counted on a snapshot that does not
     * already hold them (no page counts / no meminfo: a preset) */
    int fresh = og_machine_is_apple(m) ? !m->pages_known : !m->meminfo_known;
    uint64_t proc_ram = c && fresh ? c->proc_ram : 0, proc_gpu = c && fresh ? c->proc_gpu : 0;
    uint64_t live_proc_ram = c && !fresh ? c->proc_ram : 0;

    if (c && c->mem_bytes) {
        memset(b, 0, sizeof *b);
        b->unified = 1;
        b->has_gpu = c->backend != OG_BACKEND_CPU;
        b->host_bytes = b->gpu_bytes = b->gpu_total_bytes = c->mem_bytes;
        og_strlcpy(b->basis, "given (--mem): the model may use this much", sizeof b->basis);
        if (chain) {
            og_strlcpy(chain->pool, "--mem", sizeof chain->pool);
            chain->start_bytes = chain->usable_bytes = c->mem_bytes;
            chain->budget = *b;
        }
        return;
    }

    if (og_machine_is_apple(m)) {
        uint64_t ram = m->ram_bytes, safe = safe_max(m);
        uint64_t wl = limit_bytes ? limit_bytes : b->wired_limit_bytes;
        int above = wl > safe;
        uint64_t wl_c = min2(wl, safe);
        uint64_t others_gpu = close_others ? 0 : b->others_gpu_bytes;
        if (!close_others && !m->gpu_in_use_known && proc_gpu > others_gpu)
            others_gpu = proc_gpu;
        uint64_t reclaim = b->reclaimable_bytes;
        if (close_others)
            reclaim = min2(ram, reclaim + live_proc_ram);
        else
            reclaim = sub0(reclaim, proc_ram);
        uint64_t pool_free = sub0(wl_c, others_gpu);
        uint64_t gpu_free = min2(pool_free, reclaim);
        b->wired_limit_bytes = wl_c;
        b->wired_limit_is_default = !limit_bytes && m->wired_limit_mb == 0;
        b->gpu_total_bytes = wl_c;
        b->others_gpu_bytes = others_gpu;
        b->reclaimable_bytes = reclaim;
        b->gpu_bytes = sub0(gpu_free, margin);
        b->host_bytes = sub0(reclaim, margin);
        if (b->n_devices) {
            b->devices[0].total_bytes = wl_c;
            b->devices[0].free_bytes = gpu_free;
            b->devices[0].usable_bytes = b->gpu_bytes;
        }
        if (chain) {
            char why[160];
            og_strlcpy(chain->pool, "unified memory (GPU)", sizeof chain->pool);
            chain->start_bytes = ram;
            snprintf(why, sizeof why, "macOS keeps %s outside the GPU (RAM minus the safe maximum)",
                     SZ(ram - safe));
            deduct(chain, OG_DEDUCT_MACOS_FLOOR, ram - safe, why);
            if (limit_bytes)
                snprintf(why, sizeof why, "wired limit %u MiB (after the change)",
                         (unsigned)(limit_bytes / MIB));
            else if (above)
                snprintf(why, sizeof why,
                         "iogpu.wired_limit_mb = %u is above the safe maximum: counted at %u MiB",
                         m->wired_limit_mb, (unsigned)(safe / MIB));
            else if (m->wired_limit_mb)
                snprintf(why, sizeof why, "iogpu.wired_limit_mb = %u", m->wired_limit_mb);
            else
                snprintf(why, sizeof why, "iogpu.wired_limit_mb = 0: the macOS default, %s",
                         SZ(wl_c));
            deduct(chain, OG_DEDUCT_WIRED_CEILING, safe - wl_c, why);
            deduct(chain, OG_DEDUCT_OTHER_APPS, min2(others_gpu, wl_c),
                   "other processes' GPU memory");
            if (gpu_free < pool_free)
                deduct(chain, proc_ram ? OG_DEDUCT_OTHER_APPS : OG_DEDUCT_IN_USE,
                       pool_free - gpu_free,
                       proc_ram ? "other processes' memory (process list)"
                                : "memory in use and not reclaimable now");
            deduct(chain, OG_DEDUCT_MARGIN, min2(margin, gpu_free), "safety margin");
            chain->usable_bytes = b->gpu_bytes;
            chain->budget = *b;
        }
        return;
    }

    /* Linux (and unknown): host first */
    uint64_t host_avail = b->reclaimable_bytes;
    uint64_t host_cap = m->ram_bytes;
    int cg = m->cgroup_known && m->cgroup_limit_bytes && m->cgroup_limit_bytes < host_cap;
    if (cg)
        host_cap = m->cgroup_limit_bytes;
    if (close_others)
        host_avail = host_cap;
    else
        host_avail = sub0(host_avail, proc_ram);
    b->reclaimable_bytes = host_avail;
    b->host_bytes = sub0(host_avail, margin);

    const og_gpu *apu = apu_gpu(m);
    if (apu) {
        uint64_t safe = safe_max(m), carve = apu->vram_total_bytes;
        uint64_t gtt = limit_bytes ? limit_bytes : apu->gtt_total_bytes;
        uint64_t pool = min2(carve + gtt, safe);
        uint64_t used = close_others ? 0 : apu->vram_used_bytes + apu->gtt_used_bytes;
        if (!close_others && proc_gpu > used)
            used = proc_gpu;
        uint64_t pool_free = sub0(pool, used);
        uint64_t gpu_free = min2(pool_free, carve + host_avail);
        b->unified = 1;
        b->has_gpu = 1;
        b->gpu_total_bytes = pool;
        b->others_gpu_bytes = used;
        b->gpu_bytes = sub0(gpu_free, margin);
        b->n_devices = 1;
        og_budget_device *d = &b->devices[0];
        og_strlcpy(d->name, apu->name, sizeof d->name);
        d->unified = 1;
        d->total_bytes = pool;
        d->free_bytes = gpu_free;
        d->usable_bytes = b->gpu_bytes;
        if (chain) {
            char why[160];
            og_strlcpy(chain->pool, "unified memory (GTT)", sizeof chain->pool);
            chain->start_bytes = m->ram_bytes + carve;
            deduct(chain, OG_DEDUCT_MACOS_FLOOR, m->ram_bytes + carve - safe,
                   "the system keeps this outside the GPU (RAM minus the safe maximum)");
            if (limit_bytes)
                snprintf(why, sizeof why, "GTT %u MiB (after the change) + %s carve-out",
                         (unsigned)(limit_bytes / MIB), SZ(carve));
            else
                snprintf(why, sizeof why, "GTT %s (ttm.pages_limit) + %s carve-out", SZ(gtt),
                         SZ(carve));
            deduct(chain, OG_DEDUCT_GTT_CEILING, sub0(safe, pool), why);
            deduct(chain, OG_DEDUCT_OTHER_APPS, min2(used, pool), "other processes' GPU memory");
            if (gpu_free < pool_free)
                deduct(chain, OG_DEDUCT_IN_USE, pool_free - gpu_free,
                       "host memory in use (GTT is system RAM)");
            deduct(chain, OG_DEDUCT_MARGIN, min2(margin, gpu_free), "safety margin");
            chain->usable_bytes = b->gpu_bytes;
            chain->budget = *b;
        }
        return;
    }

    int discrete = !b->unified && b->has_gpu && c && c->backend != OG_BACKEND_CPU;
    if (discrete) {
        uint64_t total = 0, used = 0, usable = 0;
        for (uint32_t i = 0; i < b->n_devices; i++) {
            og_budget_device *d = &b->devices[i];
            uint64_t u = sub0(d->total_bytes, d->free_bytes);
            if (close_others)
                u = 0;
            else if (i == 0 && proc_gpu > u)
                u = proc_gpu; /* a preset with a process list: theirs on the first device */
            d->free_bytes = sub0(d->total_bytes, u);
            d->usable_bytes = sub0(d->free_bytes, margin);
            total += d->total_bytes;
            used += u;
            usable += d->usable_bytes;
        }
        b->gpu_bytes = usable;
        b->others_gpu_bytes = used;
        if (chain) {
            snprintf(chain->pool, sizeof chain->pool, "VRAM (%.36s)",
                     b->n_devices ? b->devices[0].name : "GPU");
            chain->start_bytes = total;
            deduct(chain, OG_DEDUCT_OTHER_APPS, min2(used, total), "other processes' GPU memory");
            uint64_t mg = sub0(total - min2(used, total), usable);
            deduct(chain, OG_DEDUCT_MARGIN, mg,
                   b->n_devices > 1 ? "safety margin, per device" : "safety margin");
            chain->usable_bytes = usable;
            chain->budget = *b;
        }
        return;
    }
    /* RAM is the pool: CPU-only, or a unified GPU that uses system memory
     * (DGX Spark) */
    if (b->unified && b->has_gpu)
        b->gpu_bytes = b->host_bytes;
    if (chain) {
        og_strlcpy(chain->pool, b->unified && b->has_gpu ? "unified memory" : "RAM",
                   sizeof chain->pool);
        chain->start_bytes = m->ram_bytes;
        if (cg) {
            char why[160];
            snprintf(why, sizeof why, "cgroup memory.max %s", SZ(m->cgroup_limit_bytes));
            deduct(chain, OG_DEDUCT_CGROUP, m->ram_bytes - host_cap, why);
        }
        if (host_cap > host_avail)
            deduct(chain, proc_ram ? OG_DEDUCT_OTHER_APPS : OG_DEDUCT_IN_USE, host_cap - host_avail,
                   proc_ram ? "other processes' memory (process list)"
                            : "in use by other processes and the system");
        deduct(chain, OG_DEDUCT_MARGIN, min2(margin, host_avail), "safety margin");
        chain->usable_bytes = b->host_bytes;
        chain->budget = *b;
    }
}

void og_limit_command(const og_limit_advice *l, uint32_t mb, char *buf, size_t n)
{
    if (!l->gtt) {
        snprintf(buf, n, "sudo sysctl iogpu.wired_limit_mb=%u", mb);
        return;
    }
    uint64_t pages = og_gtt_pages_for_bytes((uint64_t)mb * MIB);
    snprintf(buf, n,
             "ttm.pages_limit=%llu amdttm.pages_limit=%llu on the kernel command line "
             "(amdgpu.gttsize=%u too where the kernel still reads it)",
             (unsigned long long)pages, (unsigned long long)pages, mb);
}

void og_limit_base(const og_machine *m, og_limit_advice *l)
{
    memset(l, 0, sizeof *l);
    if (og_machine_is_apple(m)) {
        l->applies = 1;
        l->default_bytes = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
        l->current_bytes = m->wired_limit_mb ? (uint64_t)m->wired_limit_mb * MIB
                           : m->metal_recommended_working_set_bytes && !m->metal_derived
                               ? m->metal_recommended_working_set_bytes
                               : l->default_bytes;
        l->at_default = m->wired_limit_mb == 0;
    } else if (og_machine_is_apu(m)) {
        l->applies = 1;
        l->gtt = 1;
        l->default_bytes = m->ram_bytes / 2;
        l->current_bytes = og_apu_gtt_bytes(m);
        uint64_t d = l->current_bytes > l->default_bytes ? l->current_bytes - l->default_bytes
                                                         : l->default_bytes - l->current_bytes;
        l->at_default = d < 64 * MIB;
    } else {
        return;
    }
    l->safe_max_bytes = safe_max(m);
    l->above_safe = l->current_bytes > l->safe_max_bytes;
}

/* The value to set for a limit of want_mb: never below the current limit
 * or the default, never above the safe maximum; 0 when nothing changes. */
void og_limit_settle(og_limit_advice *l, uint32_t want_mb)
{
    uint32_t cur = (uint32_t)(l->current_bytes / MIB), def = (uint32_t)(l->default_bytes / MIB),
             safe = (uint32_t)(l->safe_max_bytes / MIB);
    l->need_mb = want_mb;
    uint32_t v = want_mb;
    if (l->above_safe) {
        /* lowering is the fix: the need (at least the default), within the safe maximum */
        if (v < def)
            v = def;
        if (!v || v > safe)
            v = safe;
    } else {
        if (v < cur)
            v = cur;
        if (v < def)
            v = def;
        if (v > safe)
            v = 0;
        else if (v == cur)
            v = 0;
    }
    l->set_mb = v;
    l->ttm_pages = l->gtt && v ? og_gtt_pages_for_bytes((uint64_t)v * MIB) : 0;
    l->command[0] = 0;
    if (v)
        og_limit_command(l, v, l->command, sizeof l->command);
}

void og_limit_fill(const og_machine *m, uint64_t need, uint64_t others, uint64_t margin,
                   og_limit_advice *l)
{
    og_limit_base(m, l);
    if (!l->applies)
        return;
    if (!need) {
        uint32_t rec = l->gtt ? (uint32_t)(l->safe_max_bytes / MIB)
                              : og_recommended_wired_limit_mb(m->ram_bytes);
        og_limit_settle(l, rec);
        l->need_mb = 0;
        return;
    }
    uint64_t want = need + others + margin;
    if (l->gtt)
        want = sub0(want, og_apu_carveout_bytes(m));
    uint64_t want_mb = (want + GIB - 1) / GIB * 1024;
    og_limit_settle(l, want_mb > UINT32_MAX ? UINT32_MAX : (uint32_t)want_mb);
}

void og_decide_limit(const og_machine *m, og_limit_advice *l)
{
    og_limit_fill(m, 0, 0, OG_BUDGET_MARGIN_BYTES, l);
}
