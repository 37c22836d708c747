/* oomguard doctor: the seven checks (include/oomguard/doctor.h, docs/DOCTOR.md).
 *
 * Pools: on Apple Silicon the GPU pool is the wired limit (iogpu.wired_limit_mb,
 * or the macOS default when 0) inside unified memory; what a model can ever get
 * there is RAM minus the system floor (og_wired_max_safe_mb). On discrete GPUs
 * the pool is VRAM; layers that do not fit can run from system RAM (slow). On
 * a CPU-only box the pool is host RAM (bounded by the cgroup's memory.max).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor_internal.h"
#include "og_internal.h"
#include "oomguard/doctor.h"
#include "oomguard/units.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

static const char *const ids[OG_CHECK_COUNT] = {
    "model_too_big",     "other_apps", "wired_limit_low",      "fp16_weights",
    "machine_too_small", "swapping",   "default_wired_ceiling"};
static const char *const titles[OG_CHECK_COUNT] = {"Model exceeds the usable budget",
                                                   "Other apps holding memory",
                                                   "Wired limit too low",
                                                   "FP16/BF16 weights loaded instead of quantized",
                                                   "Machine too small",
                                                   "Swapping under pressure",
                                                   "Default wired ceiling"};

const char *og_check_id_name(og_check_id id)
{
    return (unsigned)id < OG_CHECK_COUNT ? ids[id] : "unknown";
}

const char *og_check_status_name(og_check_status s)
{
    switch (s) {
    case OG_CHECK_OK:
        return "ok";
    case OG_CHECK_WARN:
        return "warn";
    case OG_CHECK_FAIL:
        return "fail";
    case OG_CHECK_UNKNOWN:
        break;
    }
    return "unknown";
}

static void put(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* append to dst */
static void add(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *dst, size_t n, const char *fmt, ...)
{
    size_t l = strlen(dst);
    if (l + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + l, n - l, fmt, ap);
    va_end(ap);
}

static const char *sz(uint64_t b, char *buf, size_t n)
{
    return og_format_bytes(b, buf, n);
}
#define SZ(b) sz((b), (char[32]){0}, 32)

static void set(og_check *c, og_check_status st)
{
    c->status = st;
}

/* ---- heavy apps ---------------------------------------------------------- */

static int icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i]) {
            char a = p[i], b = needle[i];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
            i++;
        }
        if (i == n)
            return 1;
    }
    return 0;
}

const char *og_heavy_app_kind(const char *name)
{
    static const struct {
        const char *pat, *kind;
    } k[] = {{"chrome", "browser"},       {"chromium", "browser"},
             {"firefox", "browser"},      {"safari", "browser"},
             {"msedge", "browser"},       {"microsoft edge", "browser"},
             {"brave", "browser"},        {"opera", "browser"},
             {"arc helper", "browser"},   {"slack", "electron"},
             {"discord", "electron"},     {"code helper", "electron"},
             {"electron", "electron"},    {"teams", "electron"},
             {"notion", "electron"},      {"spotify", "electron"},
             {"cursor", "electron"},      {"obsidian", "electron"},
             {"xcode", "xcode"},          {"simulator", "xcode"},
             {"coresimulator", "xcode"},  {"docker", "docker"},
             {"qemu", "docker"},          {"virtualization", "docker"},
             {"utm", "docker"},           {"photoshop", "creative"},
             {"premiere", "creative"},    {"after effects", "creative"},
             {"final cut", "creative"},   {"davinci", "creative"},
             {"resolve", "creative"},     {"blender", "creative"},
             {"lightroom", "creative"},   {"logic pro", "creative"},
             {"ollama", "llm-engine"},    {"llama-server", "llm-engine"},
             {"llama-cli", "llm-engine"}, {"lm studio", "llm-engine"},
             {"lmstudio", "llm-engine"},  {"mlx_lm", "llm-engine"},
             {"vllm", "llm-engine"}};
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (icontains(name, k[i].pat))
            return k[i].kind;
    return NULL;
}

/* ---- the checks, from the facts (src/doctor_internal.h) ----------------------- */

static const og_log_finding *log_oom(const og_log_report *log)
{
    if (!log || !log->oom || log->headline < 0)
        return NULL;
    return &log->findings[log->headline];
}

static const char *pool_word(const og_doctor_facts *f)
{
    return f->apple      ? "the GPU (unified memory)"
           : f->apu      ? "the GPU (VRAM carve-out + GTT)"
           : f->discrete ? "VRAM"
                         : "RAM";
}

static void check_model_too_big(const og_doctor_facts *f, og_check *k)
{
    const og_log_finding *lf = log_oom(f->log);
    if (!f->p) {
        if (lf) {
            set(k, OG_CHECK_FAIL);
            put(k->evidence, sizeof k->evidence, "The log shows: %s (line %u: %s)", lf->what,
                lf->line, lf->text);
            put(k->fix, sizeof k->fix, "%s", lf->fix);
        } else {
            set(k, OG_CHECK_UNKNOWN);
            put(k->evidence, sizeof k->evidence, "not run: no model given");
        }
        return;
    }
    const og_doctor_plan *p = f->p;
    put(k->evidence, sizeof k->evidence, "%s%s%s needs %s (weights %s + KV %s", p->model,
        p->quant[0] ? " " : "", p->quant, SZ(f->need), SZ(p->weight_bytes), SZ(p->kv_bytes));
    if (p->n_ctx)
        add(k->evidence, sizeof k->evidence, " at %u tokens", p->n_ctx);
    add(k->evidence, sizeof k->evidence, " + compute %s) on %s; usable now %s",
        SZ(p->compute_bytes), pool_word(f), SZ(f->usable_now));
    if (f->capacity != f->usable_now)
        add(k->evidence, sizeof k->evidence, ", at most %s%s", SZ(f->capacity),
            f->apple ? " with the wired limit at the safe maximum and other apps closed"
            : f->apu ? " with GTT at the safe maximum and other apps closed"
                     : " with other apps closed");
    const og_placement *pl = f->placement && f->placement->placed ? f->placement : NULL;
    if (pl) /* llama.cpp's --fit: the rest of the model is in host RAM */
        add(k->evidence, sizeof k->evidence,
            "; llama.cpp's --fit puts %s: %s in RAM, host RAM budget %s", pl->summary,
            SZ(pl->host_bytes), SZ(pl->host_usable_bytes));
    if (lf)
        add(k->evidence, sizeof k->evidence, ". The log shows: %s", lf->what);
    if (pl && f->fits) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "%s",
            "Nothing to change: it runs partly from RAM, several times slower than all on the "
            "GPU (oomguard fit MODEL prints the llama-server command line).");
        return;
    }
    if (pl && !f->fits_at_capacity) {
        set(k, OG_CHECK_FAIL);
        if (pl->host_margin_bytes < 0)
            add(k->evidence, sizeof k->evidence, "; RAM short by %s",
                SZ((uint64_t)-pl->host_margin_bytes));
        else
            add(k->evidence, sizeof k->evidence, "; its GPU part exceeds what --fit keeps free");
        put(k->fix, sizeof k->fix, "%s",
            f->model_fix && f->model_fix[0]
                ? f->model_fix
                : "Use a smaller quant or a shorter context (oomguard fit MODEL lists both).");
        return;
    }
    if (f->fits_at_capacity) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "%s",
            f->fits ? "Nothing to change for the model itself."
                    : "The model itself can fit here: see the failing checks below.");
        return;
    }
    set(k, OG_CHECK_FAIL);
    if (f->buffer_limit_bytes && f->need <= f->capacity)
        add(k->evidence, sizeof k->evidence,
            "; enough memory, but one buffer of %s is over %s of %s, so the allocation fails",
            SZ(f->buffer_bytes), f->buffer_limit_name, SZ(f->buffer_limit_bytes));
    else
        add(k->evidence, sizeof k->evidence, "; short by %s",
            SZ(f->need > f->capacity ? f->need - f->capacity : 0));
    put(k->fix, sizeof k->fix, "%s",
        f->model_fix && f->model_fix[0]
            ? f->model_fix
            : "Use a smaller quant or a shorter context (oomguard fit MODEL lists both).");
}

/* The five largest other processes: by GPU memory on a discrete GPU, else by
 * footprint. */
static uint32_t top_procs(const og_doctor_facts *f, const og_doctor_proc **top, int by_gpu)
{
    uint32_t nt = 0;
    for (uint32_t i = 0; f->procs && i < f->n_procs; i++) {
        const og_doctor_proc *cur = &f->procs[i];
        if (cur->is_engine || (by_gpu && !cur->gpu_bytes))
            continue;
        for (uint32_t j = 0; j < 5; j++) {
            if (j >= nt) {
                top[j] = cur;
                nt++;
                break;
            }
            uint64_t a = by_gpu ? cur->gpu_bytes : cur->footprint_bytes;
            uint64_t bb = by_gpu ? top[j]->gpu_bytes : top[j]->footprint_bytes;
            if (a > bb) {
                const og_doctor_proc *t = top[j];
                top[j] = cur;
                cur = t;
            }
        }
    }
    return nt;
}

static void check_other_apps(const og_doctor_facts *f, og_check *k)
{
    int by_gpu = f->discrete;
    const og_doctor_proc *top[5] = {0};
    uint32_t nt = top_procs(f, top, by_gpu);
    uint64_t others = 0, others_gpu = 0;
    for (uint32_t i = 0; f->procs && i < f->n_procs; i++)
        if (!f->procs[i].is_engine) {
            others += f->procs[i].footprint_bytes;
            others_gpu += f->procs[i].gpu_bytes;
        }
    k->evidence[0] = 0;
    for (uint32_t j = 0; j < nt; j++) {
        const char *kind = og_heavy_app_kind(top[j]->name);
        add(k->evidence, sizeof k->evidence, "%s%s %s%s%s%s%s",
            j ? ", " : "Largest: ", top[j]->name, SZ(top[j]->footprint_bytes), kind ? " [" : "",
            kind ? kind : "", kind ? "]" : "",
            top[j]->gpu_client || top[j]->gpu_bytes ? " (GPU)" : "");
        if (top[j]->gpu_bytes)
            add(k->evidence, sizeof k->evidence, " GPU %s", SZ(top[j]->gpu_bytes));
    }
    if (f->procs) {
        add(k->evidence, sizeof k->evidence, "%sOther processes hold %s of %s RAM", nt ? ". " : "",
            SZ(others), SZ(f->m->ram_bytes));
        if (others_gpu)
            add(k->evidence, sizeof k->evidence, " and %s of GPU memory", SZ(others_gpu));
    } else {
        add(k->evidence, sizeof k->evidence, "process list not read: %s",
            f->procs_reason && f->procs_reason[0] ? f->procs_reason
                                                  : "the process list could not be read");
    }
    if (f->p && f->others_bytes)
        add(k->evidence, sizeof k->evidence, "; other processes take %s from %s",
            SZ(f->others_bytes), pool_word(f));

    if (f->p && f->others_block) {
        set(k, OG_CHECK_FAIL);
        add(k->evidence, sizeof k->evidence, "; the plan needs %s, %s is usable now", SZ(f->need),
            SZ(f->usable_now));
        /* name the apps a user can close: known heavy apps and GPU clients first */
        put(k->fix, sizeof k->fix, "Close ");
        int named = 0;
        uint64_t theirs = 0;
        for (int pass = 0; pass < 2 && named < 3; pass++)
            for (uint32_t j = 0; j < nt && named < 3; j++) {
                int heavy =
                    og_heavy_app_kind(top[j]->name) || top[j]->gpu_client || top[j]->gpu_bytes;
                if (pass == 0 ? !heavy : heavy)
                    continue;
                if (pass == 1 && named)
                    break; /* heavy apps found: do not suggest system processes */
                add(k->fix, sizeof k->fix, "%s%s", named ? ", " : "", top[j]->name);
                theirs += by_gpu ? top[j]->gpu_bytes : top[j]->footprint_bytes;
                named++;
            }
        if (!named)
            add(k->fix, sizeof k->fix, "other processes (oomguard top lists them)");
        else
            add(k->fix, sizeof k->fix, " (they hold %s%s)", SZ(theirs), by_gpu ? " of VRAM" : "");
        add(k->fix, sizeof k->fix, ": closing other processes returns up to %s of %s%s.",
            SZ(f->others_bytes), pool_word(f),
            f->limit_blocks ? " (and raise the limit: see the wired checks)" : "; then it fits");
        return;
    }
    if (!f->procs && !(f->p && f->others_block)) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: %s",
            f->procs_reason && f->procs_reason[0] ? f->procs_reason
                                                  : "the process list could not be read");
        return;
    }
    uint64_t ram = f->m->ram_bytes ? f->m->ram_bytes : 1;
    if (others > ram / 4 ||
        (f->discrete && f->b->gpu_total_bytes && others_gpu > f->b->gpu_total_bytes / 10)) {
        set(k, OG_CHECK_WARN);
        put(k->fix, sizeof k->fix, "Close ");
        for (uint32_t j = 0; j < nt && j < 3; j++)
            add(k->fix, sizeof k->fix, "%s%s", j ? ", " : "", top[j]->name);
        add(k->fix, sizeof k->fix, " before a long run (oomguard top).");
    } else {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "Nothing to close.");
    }
}

static void check_wired_limit_low(const og_doctor_facts *f, og_check *k)
{
    const og_limit_advice *l = f->limit;
    const og_machine *m = f->m;
    if (!f->apple && !f->apu) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence,
            "not applicable: iogpu.wired_limit_mb exists only on Apple Silicon Macs%s",
            f->discrete ? "; VRAM is fixed" : "");
        put(k->fix, sizeof k->fix, "Nothing to set.");
        return;
    }
    if (f->apu) {
        put(k->evidence, sizeof k->evidence,
            "GTT pool %s (ttm.pages_limit %s; the kernel default is %s, the safe maximum %s)",
            SZ(l->current_bytes), l->at_default ? "not set" : "set", SZ(l->default_bytes),
            SZ(l->safe_max_bytes));
    } else {
        if (!m->wired_limit_known) {
            set(k, OG_CHECK_UNKNOWN);
            put(k->evidence, sizeof k->evidence, "iogpu.wired_limit_mb could not be read");
            return;
        }
        put(k->evidence, sizeof k->evidence,
            "iogpu.wired_limit_mb = %u (%s%s); the default is %s, the safe maximum %s",
            m->wired_limit_mb, m->wired_limit_mb ? "" : "the macOS default, ", SZ(l->current_bytes),
            SZ(l->default_bytes), SZ(l->safe_max_bytes));
    }
    if (l->above_safe) {
        set(k, OG_CHECK_FAIL);
        uint32_t v = l->set_mb;
        add(k->evidence, sizeof k->evidence,
            "; the limit is above RAM minus the %s floor macOS needs: the GPU may wire memory "
            "the system cannot page out, and the Mac can freeze under load",
            SZ(f->m->ram_bytes - l->safe_max_bytes));
        put(k->fix, sizeof k->fix, "Lower it: %s (%s); then restart the engine.", l->command,
            f->p ? "the plan's need plus a margin, at least the default, at most the safe maximum"
                 : "the recommended value");
        (void)v;
        return;
    }
    if (f->p)
        add(k->evidence, sizeof k->evidence, "; the plan needs %s on the GPU", SZ(f->need));
    if (f->p && f->limit_blocks && !l->at_default) {
        set(k, OG_CHECK_FAIL);
        put(k->fix, sizeof k->fix,
            "Does not fit at the current limit; fits after %s%s, then restart the engine.",
            l->command,
            f->apu ? "" : " (keep it after reboot: sudo oomguard wired --set N --persist)");
        /* the N in the persist hint */
        char *n = strstr(k->fix, "--set N");
        if (n) {
            char tail[sizeof k->fix];
            snprintf(tail, sizeof tail, "%s", n + 7);
            snprintf(n, sizeof k->fix - (size_t)(n - k->fix), "--set %u%s", l->set_mb, tail);
        }
        return;
    }
    if (!l->at_default && l->current_bytes < l->default_bytes) {
        set(k, OG_CHECK_WARN);
        put(k->fix, sizeof k->fix, "%s",
            f->apu ? "GTT is below the kernel default: remove ttm.pages_limit from the kernel "
                     "command line."
                   : "It is set below the default: sudo sysctl iogpu.wired_limit_mb=0 restores "
                     "the default (oomguard wired --reset also removes its persistence).");
        return;
    }
    set(k, OG_CHECK_OK);
    put(k->fix, sizeof k->fix, "Nothing to change.");
}

static void check_fp16(const og_doctor_facts *f, og_check *k, int model_failed)
{
    if (!f->p) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: no model given");
        return;
    }
    const og_doctor_plan *p = f->p;
    if (!p->weight_bytes) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "the model's tensor types are unknown");
        return;
    }
    double frac = (double)p->fp16_weight_bytes / (double)p->weight_bytes;
    put(k->evidence, sizeof k->evidence, "%.0f %% of the weights (%s of %s) are F16/BF16/F32",
        frac * 100.0, SZ(p->fp16_weight_bytes), SZ(p->weight_bytes));
    if (frac < 0.5) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "The weights are quantized.");
        return;
    }
    set(k, model_failed ? OG_CHECK_FAIL : OG_CHECK_WARN);
    uint64_t q4 = p->q4_bytes;
    if (!q4 && p->n_params) /* ~4.5 bits per weight: 4-bit groups of 64 with fp16 scale+bias */
        q4 = p->n_params / 16 * 9;
    if (p->q4_name[0])
        put(k->fix, sizeof k->fix, "Use the 4-bit build %s (%s%s instead of %s).", p->q4_name,
            p->q4_bytes ? "" : "about ", SZ(q4), SZ(p->weight_bytes));
    else if (p->mlx)
        put(k->fix, sizeof k->fix,
            "Use the 4-bit build mlx-community/<model>-4bit (about %s instead of %s), or "
            "convert: mlx_lm.convert --hf-path MODEL -q --q-bits 4.",
            SZ(q4), SZ(p->weight_bytes));
    else
        put(k->fix, sizeof k->fix,
            "Use the GGUF Q4_K_M build (about %s instead of %s), or quantize: llama-quantize "
            "MODEL.gguf OUT.gguf Q4_K_M.",
            SZ(p->n_params ? p->n_params / 100 * 61 : q4), SZ(p->weight_bytes));
}

static void check_machine_too_small(const og_doctor_facts *f, og_check *k, int model_failed)
{
    if (!f->p) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: no model given");
        return;
    }
    const og_doctor_plan *p = f->p;
    uint64_t smallest = p->smallest_bytes;
    if (!smallest && p->n_params) /* ~3.5 bits per weight (Q3_K_M / 3-bit) + 10 % */
        smallest = p->n_params / 16 * 7 + p->n_params / 16 * 7 / 10;
    if (!smallest) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "the smallest quant's size is unknown");
        return;
    }
    put(k->evidence, sizeof k->evidence,
        "the smallest sensible quant needs about %s at a short context; this machine can give "
        "at most %s",
        SZ(smallest), SZ(f->capacity));
    if (!model_failed || smallest <= f->capacity) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "%s",
            smallest <= f->capacity ? "A smaller quant of this model fits here."
                                    : "Nothing to change.");
        return;
    }
    set(k, OG_CHECK_FAIL);
    if (f->tier_fix && f->tier_fix[0])
        put(k->fix, sizeof k->fix, "%s", f->tier_fix);
    else if (p->fits_tier[0])
        put(k->fix, sizeof k->fix,
            "Even its smallest quant does not fit: it needs a %s or larger, or a smaller model.",
            p->fits_tier);
    else
        put(k->fix, sizeof k->fix,
            "Even its smallest quant does not fit: it needs a machine with about %s of %s, or "
            "a smaller model.",
            SZ(f->apple ? smallest + (uint64_t)8192 * MIB : smallest + GIB),
            f->apple      ? "unified memory"
            : f->discrete ? "GPU memory"
                          : "RAM");
}

static void check_swapping(const og_doctor_facts *f, og_check *k)
{
    const og_machine *m = f->m;
    k->evidence[0] = 0;
    add(k->evidence, sizeof k->evidence, "pressure %s; swap used %s of %s",
        og_pressure_name(m->pressure), SZ(m->swap_used_bytes), SZ(m->swap_total_bytes));
    if (f->swapout_rate_known)
        add(k->evidence, sizeof k->evidence, "; swap-out %s/s",
            SZ((uint64_t)f->swapout_bytes_per_s));
    else
        add(k->evidence, sizeof k->evidence, "; swap-out rate not sampled");
    if (m->psi_known)
        add(k->evidence, sizeof k->evidence, "; PSI memory some %.1f %% full %.1f %% (avg10)",
            m->psi_some_avg10, m->psi_full_avg10);
    int cg_tight = m->cgroup_known && m->cgroup_limit_bytes &&
                   m->cgroup_usage_bytes > m->cgroup_limit_bytes / 10 * 9;
    if (m->cgroup_known && m->cgroup_limit_bytes)
        add(k->evidence, sizeof k->evidence, "; cgroup %s of memory.max %s",
            SZ(m->cgroup_usage_bytes), SZ(m->cgroup_limit_bytes));
    double rate = f->swapout_rate_known ? f->swapout_bytes_per_s : 0;
    int fail = m->pressure == OG_PRESSURE_CRITICAL || rate > 10.0 * MIB ||
               (m->psi_known && m->psi_full_avg10 > 5.0) || cg_tight;
    int warn = m->pressure == OG_PRESSURE_WARN || rate > 1.0 * MIB ||
               (m->psi_known && m->psi_some_avg10 > 10.0) ||
               (m->swap_used_bytes > GIB && m->swap_total_bytes);
    int unknown = m->pressure == OG_PRESSURE_UNKNOWN && !f->swapout_rate_known && !m->psi_known &&
                  !m->swap_total_bytes && !cg_tight;
    if (fail) {
        set(k, OG_CHECK_FAIL);
        put(k->fix, sizeof k->fix,
            "%s Close what you do not need (oomguard top), then lower the context (-c / "
            "--max-kv-size / num_ctx) so the run fits without swapping.",
            cg_tight ? "The container is at its memory.max: raise the limit (docker run -m, "
                       "systemd MemoryMax) or shrink the plan."
                     : "The system is paging out now.");
    } else if (warn) {
        set(k, OG_CHECK_WARN);
        put(k->fix, sizeof k->fix,
            "Memory is tight: close memory-heavy apps (oomguard top) before a long run, or use a "
            "smaller context.");
    } else if (unknown) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "pressure, swap and PSI could not be read");
    } else {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "No swapping.");
    }
}

static void check_default_ceiling(const og_doctor_facts *f, og_check *k)
{
    const og_limit_advice *l = f->limit;
    if (!f->apple && !f->apu) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence, "not applicable: no GPU memory ceiling to raise here");
        put(k->fix, sizeof k->fix, "Nothing to set.");
        return;
    }
    if (!l->at_default) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence, "%s is set; see wired_limit_low",
            f->apu ? "ttm.pages_limit" : "iogpu.wired_limit_mb");
        put(k->fix, sizeof k->fix, "Nothing to change here.");
        return;
    }
    put(k->evidence, sizeof k->evidence, "%s: the GPU may use the default ceiling, %s of %s RAM",
        f->apu ? "ttm.pages_limit not set" : "iogpu.wired_limit_mb = 0", SZ(l->current_bytes),
        SZ(f->m->ram_bytes));
    if (!f->p) {
        set(k, OG_CHECK_OK);
        if (l->set_mb)
            put(k->fix, sizeof k->fix, "For models larger than that: %s (the safe maximum is %s).",
                l->command, SZ(l->safe_max_bytes));
        else
            put(k->fix, sizeof k->fix, "Nothing to change.");
        return;
    }
    add(k->evidence, sizeof k->evidence, "; the plan needs %s", SZ(f->need));
    if (f->limit_blocks) {
        set(k, OG_CHECK_FAIL);
        put(k->fix, sizeof k->fix, "Does not fit at the current limit; fits after %s", l->command);
        if (f->apu)
            add(k->fix, sizeof k->fix, ", then reboot.");
        else
            add(k->fix, sizeof k->fix,
                " (leaving %u MiB to macOS), then restart the engine. Make it permanent with sudo "
                "oomguard wired --set %u --persist (a LaunchDaemon; /etc/sysctl.conf alone is not "
                "reliably applied).",
                (uint32_t)(f->m->ram_bytes / MIB) - l->set_mb, l->set_mb);
        return;
    }
    set(k, OG_CHECK_OK);
    if (f->fits)
        put(k->fix, sizeof k->fix, "The default ceiling is enough for this plan.");
    else if (!f->fits_at_capacity)
        put(k->fix, sizeof k->fix,
            "Raising the ceiling would not be enough: even at the safe maximum (%s) the plan "
            "does not fit (model_too_big).",
            SZ(l->safe_max_bytes));
    else
        put(k->fix, sizeof k->fix, "The ceiling is not what stands in the way (other_apps).");
}

void og_doctor_fill(const og_doctor_facts *f, og_doctor_report *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        r->checks[i].id = (og_check_id)i;
        r->checks[i].status = OG_CHECK_UNKNOWN;
        og_strlcpy(r->checks[i].title, titles[i], sizeof r->checks[i].title);
    }
    r->headline = -1;
    og_check *k = r->checks;
    check_model_too_big(f, &k[OG_CHECK_MODEL_TOO_BIG]);
    check_other_apps(f, &k[OG_CHECK_OTHER_APPS]);
    check_wired_limit_low(f, &k[OG_CHECK_WIRED_LIMIT_LOW]);
    int failed = k[OG_CHECK_MODEL_TOO_BIG].status == OG_CHECK_FAIL && f->p;
    check_fp16(f, &k[OG_CHECK_FP16_WEIGHTS], failed);
    check_machine_too_small(f, &k[OG_CHECK_MACHINE_TOO_SMALL], failed);
    check_swapping(f, &k[OG_CHECK_SWAPPING]);
    check_default_ceiling(f, &k[OG_CHECK_DEFAULT_WIRED_CEILING]);
    /* the contract (decide.h): a plan that does not fit has a failing check */
    if (f->p && !f->fits) {
        int any = 0;
        for (int i = 0; i < OG_CHECK_COUNT; i++)
            any |= i != OG_CHECK_SWAPPING && k[i].status == OG_CHECK_FAIL;
        if (!any) {
            set(&k[OG_CHECK_MODEL_TOO_BIG], OG_CHECK_FAIL);
            add(k[OG_CHECK_MODEL_TOO_BIG].evidence, sizeof k[0].evidence,
                "; the engine's plan does not fit the usable budget");
            put(k[OG_CHECK_MODEL_TOO_BIG].fix, sizeof k[0].fix, "%s",
                f->model_fix && f->model_fix[0] ? f->model_fix
                                                : "Use a smaller quant or a shorter context.");
        }
    }
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        if (k[i].status == OG_CHECK_FAIL) {
            r->headline = i;
            break;
        }
}

/* A plan's numbers only (no engine to re-plan with): the what-ifs by
 * arithmetic on the need. og_decide (src/decide.c) runs the engines instead. */
void og_doctor_run(const og_doctor_input *in, og_doctor_report *r)
{
    if (!in || !in->machine || !in->budget) {
        memset(r, 0, sizeof *r);
        for (int i = 0; i < OG_CHECK_COUNT; i++) {
            r->checks[i].id = (og_check_id)i;
            r->checks[i].status = OG_CHECK_UNKNOWN;
            og_strlcpy(r->checks[i].title, titles[i], sizeof r->checks[i].title);
            put(r->checks[i].evidence, sizeof r->checks[i].evidence, "no machine snapshot");
        }
        r->headline = -1;
        return;
    }
    const og_machine *m = in->machine;
    const og_budget *b = in->budget;
    og_doctor_facts f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.b = b;
    f.procs = in->procs;
    f.n_procs = in->n_procs;
    f.procs_reason = in->procs_reason;
    f.log = in->log;
    f.swapout_rate_known = in->swapout_rate_known;
    f.swapout_bytes_per_s = in->swapout_bytes_per_s;
    f.default_wired_bytes = in->default_wired_bytes;
    f.p = in->plan;
    f.apple = og_machine_is_apple(m);
    f.apu = og_machine_is_apu(m);
    f.discrete = !b->unified && b->has_gpu;
    uint64_t others = 0, others_gpu = 0;
    for (uint32_t i = 0; in->procs && i < in->n_procs; i++)
        if (!in->procs[i].is_engine) {
            others += in->procs[i].footprint_bytes;
            others_gpu += in->procs[i].gpu_bytes;
        }
    if (f.discrete && b->others_gpu_bytes > others_gpu)
        others_gpu = b->others_gpu_bytes;
    uint64_t margin = b->margin_bytes;
    if (f.apple || f.apu) {
        uint64_t safe = (uint64_t)og_wired_max_safe_mb(m->ram_bytes) * MIB;
        f.usable_now = b->gpu_bytes;
        f.capacity = safe > margin ? safe - margin : 0;
        f.others_bytes = f.apple ? others : others_gpu;
    } else if (f.discrete) {
        f.usable_now = b->gpu_bytes;
        f.others_bytes = others_gpu;
        f.capacity = b->gpu_bytes + others_gpu;
    } else {
        f.usable_now = b->host_bytes;
        uint64_t cap = m->ram_bytes;
        if (m->cgroup_known && m->cgroup_limit_bytes && m->cgroup_limit_bytes < cap)
            cap = m->cgroup_limit_bytes;
        f.capacity = cap > margin ? cap - margin : 0;
        if (f.capacity < f.usable_now)
            f.capacity = f.usable_now;
        f.others_bytes = in->procs ? others : f.capacity - f.usable_now;
    }
    og_limit_advice l;
    char model_fix[640] = "";
    if (f.p) {
        f.need = f.p->gpu_need_bytes ? f.p->gpu_need_bytes : f.p->total_bytes;
        f.fits = f.need <= f.usable_now;
        f.fits_at_capacity = f.need <= f.capacity;
        og_limit_fill(m, f.need, f.apple ? b->others_gpu_bytes : 0, margin, &l);
        int lim_alone = l.applies && l.set_mb && !l.above_safe;
        int oth_alone = f.others_bytes && f.need <= f.usable_now + f.others_bytes;
        f.others_block =
            !f.fits && f.fits_at_capacity && f.others_bytes && (oth_alone || !lim_alone);
        f.limit_blocks = !f.fits && f.fits_at_capacity && lim_alone && (!oth_alone || lim_alone);
        if (f.limit_blocks && oth_alone && f.others_block)
            f.limit_blocks = 0; /* closing the others is enough */
        /* check 1's fix from what the plan carries */
        const og_doctor_plan *p = f.p;
        if (p->fit_quant[0])
            add(model_fix, sizeof model_fix, "Use the largest quant that fits: %s (needs %s). ",
                p->fit_quant, SZ(p->fit_quant_bytes));
        if (p->max_ctx && p->n_ctx && p->max_ctx < p->n_ctx)
            add(model_fix, sizeof model_fix, "Or cap the context at %u tokens (%s). ", p->max_ctx,
                p->mlx ? "mlx-lm --max-kv-size" : "llama.cpp -c / Ollama num_ctx");
        if (f.discrete && p->total_bytes <= f.usable_now + b->host_bytes)
            add(model_fix, sizeof model_fix,
                "Or offload fewer layers (-ngl / num_gpu) and run the rest from RAM (slow). ");
        f.model_fix = model_fix;
    } else {
        og_limit_fill(m, 0, 0, margin, &l);
        f.fits = f.fits_at_capacity = 1;
    }
    f.limit = &l;
    og_doctor_fill(&f, r);
}
