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

/* ---- shared numbers ---------------------------------------------------------- */

typedef struct ctx {
    const og_doctor_input *in;
    const og_machine *m;
    const og_budget *b;
    const og_doctor_plan *p;
    int apple;
    int discrete;       /* a non-unified GPU */
    uint64_t need;      /* the plan's GPU-pool need (or total on CPU) */
    uint64_t capacity;  /* the most this machine could give the plan */
    uint64_t available; /* what it can give now */
    uint64_t wired_eff; /* macOS: effective wired limit */
    uint64_t others;    /* memory held by other processes (sum of top consumers) */
    uint64_t others_gpu;
    uint32_t rec_mb; /* recommended wired limit for the plan */
    int rec_capped;
} ctx;

static const og_log_finding *log_oom(const og_doctor_input *in)
{
    if (!in->log || !in->log->oom || in->log->headline < 0)
        return NULL;
    return &in->log->findings[in->log->headline];
}

static void fix_for_plan(const ctx *c, char *fix, size_t n)
{
    const og_doctor_plan *p = c->p;
    fix[0] = 0;
    if (p->fit_quant[0])
        add(fix, n, "Use the largest quant that fits: %s (needs %s). ", p->fit_quant,
            SZ(p->fit_quant_bytes));
    if (p->max_ctx && p->n_ctx && p->max_ctx < p->n_ctx)
        add(fix, n, "Or cap the context at %u tokens (%s). ", p->max_ctx,
            p->mlx ? "mlx-lm --max-kv-size" : "llama.cpp -c / Ollama num_ctx");
    if (p->kv_bytes)
        add(fix, n, "Quantizing the KV cache (%s) saves about %s. ",
            p->mlx ? "mlx-lm --kv-bits 8" : "-ctk q8_0 -ctv q8_0 -fa on", SZ(p->kv_bytes / 2));
    if (c->discrete && p->total_bytes <= c->available + c->b->host_bytes)
        add(fix, n, "Or offload fewer layers (-ngl / num_gpu) and run the rest from RAM (slow). ");
    if (!fix[0])
        add(fix, n, "Use a smaller quant or a shorter context (oomguard fit MODEL lists both).");
}

/* ---- the checks ---------------------------------------------------------------- */

static void check_model_too_big(const ctx *c, og_check *k)
{
    const og_log_finding *lf = log_oom(c->in);
    if (!c->p) {
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
    const og_doctor_plan *p = c->p;
    put(k->evidence, sizeof k->evidence, "%s%s%s needs %s (weights %s + KV %s", p->model,
        p->quant[0] ? " " : "", p->quant, SZ(c->need), SZ(p->weight_bytes), SZ(p->kv_bytes));
    if (p->n_ctx)
        add(k->evidence, sizeof k->evidence, " at %u tokens", p->n_ctx);
    add(k->evidence, sizeof k->evidence, " + compute %s); ", SZ(p->compute_bytes));
    if (c->apple)
        add(k->evidence, sizeof k->evidence,
            "this Mac can give the GPU at most %s (RAM %s minus the %s system floor)",
            SZ(c->capacity), SZ(c->m->ram_bytes),
            SZ((uint64_t)og_wired_floor_mb(c->m->ram_bytes) * MIB));
    else if (c->discrete)
        add(k->evidence, sizeof k->evidence, "usable GPU memory %s, usable RAM %s",
            SZ(c->available), SZ(c->b->host_bytes));
    else
        add(k->evidence, sizeof k->evidence, "usable RAM %s", SZ(c->capacity));
    if (lf)
        add(k->evidence, sizeof k->evidence, ". The log shows: %s", lf->what);

    if (c->need <= c->capacity) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "Nothing to change for the model itself.");
        return;
    }
    if (c->discrete && p->total_bytes <= c->available + c->b->host_bytes) {
        set(k, OG_CHECK_WARN);
        add(k->evidence, sizeof k->evidence,
            "; it fits only with layers in system RAM (partial offload, several times slower)");
        fix_for_plan(c, k->fix, sizeof k->fix);
        return;
    }
    set(k, OG_CHECK_FAIL);
    add(k->evidence, sizeof k->evidence, "; short by %s", SZ(c->need - c->capacity));
    fix_for_plan(c, k->fix, sizeof k->fix);
}

static void check_other_apps(ctx *c, og_check *k)
{
    const og_doctor_input *in = c->in;
    if (!in->procs) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: %s",
            in->procs_reason && in->procs_reason[0] ? in->procs_reason
                                                    : "the process list could not be read");
        return;
    }
    /* the five largest other processes */
    const og_doctor_proc *top[5] = {0};
    uint32_t nt = 0;
    uint64_t others = 0, others_gpu = 0, heavy = 0;
    for (uint32_t i = 0; i < in->n_procs; i++) {
        const og_doctor_proc *q = &in->procs[i];
        if (q->is_engine)
            continue;
        others += q->footprint_bytes;
        others_gpu += q->gpu_bytes;
        const og_doctor_proc *cur = q;
        for (uint32_t j = 0; j < 5; j++) {
            if (j >= nt) {
                top[j] = cur;
                nt++;
                break;
            }
            if (cur->footprint_bytes > top[j]->footprint_bytes) {
                const og_doctor_proc *t = top[j];
                top[j] = cur;
                cur = t;
            }
        }
    }
    uint64_t closable = 0;
    k->evidence[0] = 0;
    for (uint32_t j = 0; j < nt; j++) {
        const char *kind = og_heavy_app_kind(top[j]->name);
        add(k->evidence, sizeof k->evidence, "%s%s %s%s%s%s%s",
            j ? ", " : "Largest: ", top[j]->name, SZ(top[j]->footprint_bytes), kind ? " [" : "",
            kind ? kind : "", kind ? "]" : "",
            top[j]->gpu_client || top[j]->gpu_bytes ? " (GPU)" : "");
        if (top[j]->gpu_bytes)
            add(k->evidence, sizeof k->evidence, " GPU %s", SZ(top[j]->gpu_bytes));
        if (kind)
            heavy += top[j]->footprint_bytes;
        closable += top[j]->footprint_bytes;
    }
    add(k->evidence, sizeof k->evidence, ". Other processes hold %s of %s RAM", SZ(others),
        SZ(c->m->ram_bytes));
    if (others_gpu)
        add(k->evidence, sizeof k->evidence, " and %s of GPU memory", SZ(others_gpu));
    c->others = others;
    c->others_gpu = others_gpu;

    put(k->fix, sizeof k->fix, "Close ");
    int named = 0;
    for (uint32_t j = 0; j < nt && named < 3; j++) {
        if (!og_heavy_app_kind(top[j]->name) && !(top[j]->gpu_client || top[j]->gpu_bytes))
            continue;
        add(k->fix, sizeof k->fix, "%s%s", named ? ", " : "", top[j]->name);
        named++;
    }
    if (!named)
        for (uint32_t j = 0; j < nt && j < 3; j++, named++)
            add(k->fix, sizeof k->fix, "%s%s", j ? ", " : "", top[j]->name);
    add(k->fix, sizeof k->fix, " (about %s back); see oomguard top.", SZ(heavy ? heavy : closable));

    int short_now = c->p && c->need > c->available;
    int would_fit = short_now && c->need <= c->capacity &&
                    c->need <= c->available + (c->discrete ? others_gpu : closable);
    uint64_t ram = c->m->ram_bytes ? c->m->ram_bytes : 1;
    if (would_fit) {
        set(k, OG_CHECK_FAIL);
        add(k->evidence, sizeof k->evidence, "; the plan needs %s, %s is free now", SZ(c->need),
            SZ(c->available));
    } else if (others > ram / 4 ||
               (c->discrete && c->b->gpu_total_bytes && others_gpu > c->b->gpu_total_bytes / 10)) {
        set(k, OG_CHECK_WARN);
    } else {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "Nothing to close.");
    }
}

static void check_wired_limit_low(const ctx *c, og_check *k)
{
    if (!c->apple) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence,
            "not applicable: iogpu.wired_limit_mb exists only on Apple Silicon Macs");
        put(k->fix, sizeof k->fix, "Nothing to set.");
        return;
    }
    const og_machine *m = c->m;
    if (!m->wired_limit_known) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "iogpu.wired_limit_mb could not be read");
        return;
    }
    if (m->wired_limit_mb == 0) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence,
            "iogpu.wired_limit_mb = 0 (the macOS default, %s); see default_wired_ceiling",
            SZ(c->in->default_wired_bytes));
        put(k->fix, sizeof k->fix, "Nothing set too low.");
        return;
    }
    uint64_t lim = (uint64_t)m->wired_limit_mb * MIB;
    put(k->evidence, sizeof k->evidence, "iogpu.wired_limit_mb = %u (%s); the default would be %s",
        m->wired_limit_mb, SZ(lim), SZ(c->in->default_wired_bytes));
    if (c->p) {
        add(k->evidence, sizeof k->evidence, "; the plan needs %s on the GPU", SZ(c->need));
        if (c->need > lim) {
            set(k, OG_CHECK_FAIL);
            if (c->rec_capped)
                put(k->fix, sizeof k->fix,
                    "Raising it helps only to %u MiB (the safe maximum), still short: shrink "
                    "the plan first (model_too_big). sudo sysctl iogpu.wired_limit_mb=%u",
                    c->rec_mb, c->rec_mb);
            else
                put(k->fix, sizeof k->fix,
                    "sudo sysctl iogpu.wired_limit_mb=%u (the plan plus a margin; "
                    "oomguard wired --set %u --persist keeps it after reboot), then restart the "
                    "engine.",
                    c->rec_mb, c->rec_mb);
            return;
        }
    }
    if (lim < c->in->default_wired_bytes) {
        set(k, OG_CHECK_WARN);
        put(k->fix, sizeof k->fix,
            "It is set below the default: sudo sysctl iogpu.wired_limit_mb=0 restores the "
            "default (oomguard wired --reset also removes its persistence).");
        return;
    }
    set(k, OG_CHECK_OK);
    put(k->fix, sizeof k->fix, "Nothing to change.");
}

static void check_fp16(const ctx *c, og_check *k, int model_failed)
{
    if (!c->p) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: no model given");
        return;
    }
    const og_doctor_plan *p = c->p;
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

static void check_machine_too_small(const ctx *c, og_check *k)
{
    if (!c->p) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "not run: no model given");
        return;
    }
    const og_doctor_plan *p = c->p;
    uint64_t smallest = p->smallest_bytes;
    if (!smallest && p->n_params) /* ~3.5 bits per weight (Q3_K_M / 3-bit) + 10 % */
        smallest = p->n_params / 16 * 7 + p->n_params / 16 * 7 / 10;
    if (!smallest) {
        set(k, OG_CHECK_UNKNOWN);
        put(k->evidence, sizeof k->evidence, "the smallest quant's size is unknown");
        return;
    }
    uint64_t most = c->capacity;
    if (c->discrete)
        most = c->available + c->b->host_bytes;
    put(k->evidence, sizeof k->evidence,
        "the smallest sensible quant needs about %s at a short context; this machine can give "
        "at most %s",
        SZ(smallest), SZ(most));
    if (smallest <= most) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "A smaller quant of this model fits here.");
        return;
    }
    set(k, OG_CHECK_FAIL);
    if (p->fits_tier[0])
        put(k->fix, sizeof k->fix,
            "Even its smallest quant does not fit: it needs a %s or larger, "
            "or a smaller model.",
            p->fits_tier);
    else
        put(k->fix, sizeof k->fix,
            "Even its smallest quant does not fit: it needs a machine with about %s of %s, or "
            "a smaller model.",
            SZ(c->apple ? smallest + (uint64_t)8192 * MIB : smallest + GIB),
            c->apple      ? "unified memory"
            : c->discrete ? "GPU memory"
                          : "RAM");
}

static void check_swapping(const ctx *c, og_check *k)
{
    const og_machine *m = c->m;
    const og_doctor_input *in = c->in;
    k->evidence[0] = 0;
    add(k->evidence, sizeof k->evidence, "pressure %s; swap used %s of %s",
        og_pressure_name(m->pressure), SZ(m->swap_used_bytes), SZ(m->swap_total_bytes));
    if (in->swapout_rate_known)
        add(k->evidence, sizeof k->evidence, "; swap-out %s/s",
            SZ((uint64_t)in->swapout_bytes_per_s));
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
    double rate = in->swapout_rate_known ? in->swapout_bytes_per_s : 0;
    int fail = m->pressure == OG_PRESSURE_CRITICAL || rate > 10.0 * MIB ||
               (m->psi_known && m->psi_full_avg10 > 5.0) || cg_tight;
    int warn = m->pressure == OG_PRESSURE_WARN || rate > 1.0 * MIB ||
               (m->psi_known && m->psi_some_avg10 > 10.0) ||
               (m->swap_used_bytes > GIB && m->swap_total_bytes);
    int unknown = m->pressure == OG_PRESSURE_UNKNOWN && !in->swapout_rate_known && !m->psi_known &&
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

static void check_default_ceiling(const ctx *c, og_check *k)
{
    const og_machine *m = c->m;
    if (!c->apple) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence, "not applicable: no macOS wired ceiling here");
        if (m->n_gpus && m->gpus[0].vendor == OG_GPU_AMD && m->gpus[0].unified)
            put(k->fix, sizeof k->fix,
                "AMD APU: the GPU pool is GTT (%s); raise it with ttm.pages_limit on the kernel "
                "command line (oomguard wired shows the value).",
                SZ(m->gpus[0].gtt_total_bytes));
        else
            put(k->fix, sizeof k->fix, "Nothing to set.");
        return;
    }
    if (!m->wired_limit_known || m->wired_limit_mb != 0) {
        set(k, OG_CHECK_OK);
        put(k->evidence, sizeof k->evidence,
            m->wired_limit_known ? "iogpu.wired_limit_mb is set (%u); see wired_limit_low"
                                 : "iogpu.wired_limit_mb unknown (%u)",
            m->wired_limit_mb);
        put(k->fix, sizeof k->fix, "Nothing to change here.");
        return;
    }
    uint32_t rec0 = og_wired_recommend_mb(m->ram_bytes, 0, NULL);
    put(k->evidence, sizeof k->evidence,
        "iogpu.wired_limit_mb = 0: the GPU may wire the macOS default, %s of %s RAM",
        SZ(c->in->default_wired_bytes), SZ(m->ram_bytes));
    if (!c->p) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix,
            "For models larger than that: sudo sysctl iogpu.wired_limit_mb=%u (oomguard wired "
            "--recommend).",
            rec0);
        return;
    }
    add(k->evidence, sizeof k->evidence, "; the plan needs %s on the GPU", SZ(c->need));
    if (c->need <= c->in->default_wired_bytes) {
        set(k, OG_CHECK_OK);
        put(k->fix, sizeof k->fix, "The default ceiling is enough for this plan.");
        return;
    }
    if (c->rec_capped) {
        set(k, OG_CHECK_WARN);
        put(k->fix, sizeof k->fix,
            "Raising the ceiling helps only to %u MiB (keeping the system floor), still short: "
            "shrink the plan first (model_too_big).",
            c->rec_mb);
        return;
    }
    set(k, OG_CHECK_FAIL);
    put(k->fix, sizeof k->fix,
        "sudo sysctl iogpu.wired_limit_mb=%u (the plan plus a margin, leaving %u MiB to macOS), "
        "then restart the engine. Make it permanent with sudo oomguard wired --set %u --persist "
        "(a LaunchDaemon; /etc/sysctl.conf alone is not reliably applied).",
        c->rec_mb, (uint32_t)(m->ram_bytes / MIB) - c->rec_mb, c->rec_mb);
}

void og_doctor_run(const og_doctor_input *in, og_doctor_report *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < OG_CHECK_COUNT; i++) {
        r->checks[i].id = (og_check_id)i;
        r->checks[i].status = OG_CHECK_UNKNOWN;
        og_strlcpy(r->checks[i].title, titles[i], sizeof r->checks[i].title);
    }
    r->headline = -1;
    if (!in || !in->machine || !in->budget) {
        for (int i = 0; i < OG_CHECK_COUNT; i++)
            put(r->checks[i].evidence, sizeof r->checks[i].evidence, "no machine snapshot");
        return;
    }
    ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.m = in->machine;
    c.b = in->budget;
    c.p = in->plan;
    c.apple = c.m->os == OG_OS_MACOS && c.m->apple_silicon;
    c.discrete = !c.b->unified && c.b->has_gpu;
    if (c.p)
        c.need = c.p->gpu_need_bytes ? c.p->gpu_need_bytes : c.p->total_bytes;
    if (c.apple) {
        c.capacity = (uint64_t)og_wired_max_safe_mb(c.m->ram_bytes) * MIB;
        c.available = c.b->gpu_bytes;
        c.wired_eff = c.b->wired_limit_bytes;
    } else if (c.discrete) {
        c.available = c.b->gpu_bytes;
        c.capacity = c.b->gpu_bytes;
    } else {
        c.available = c.b->host_bytes;
        c.capacity = c.b->host_bytes;
        if (c.b->unified && c.b->has_gpu && c.b->gpu_bytes) /* APU / GB10: the GPU pool */
            c.available = c.capacity = c.b->gpu_bytes;
        else if (c.m->ram_bytes) {
            /* CPU only: what the box (or the cgroup's memory.max) could give with
             * nothing else running, less the margin; available stays what is free now */
            uint64_t cap = c.m->ram_bytes;
            if (c.m->cgroup_known && c.m->cgroup_limit_bytes && c.m->cgroup_limit_bytes < cap)
                cap = c.m->cgroup_limit_bytes;
            cap = cap > c.b->margin_bytes ? cap - c.b->margin_bytes : 0;
            if (cap > c.capacity)
                c.capacity = cap;
        }
    }
    if (c.p)
        c.rec_mb = og_wired_recommend_mb(c.m->ram_bytes, c.need, &c.rec_capped);

    og_check *k = r->checks;
    check_model_too_big(&c, &k[OG_CHECK_MODEL_TOO_BIG]);
    check_other_apps(&c, &k[OG_CHECK_OTHER_APPS]);
    check_wired_limit_low(&c, &k[OG_CHECK_WIRED_LIMIT_LOW]);
    check_fp16(&c, &k[OG_CHECK_FP16_WEIGHTS], k[OG_CHECK_MODEL_TOO_BIG].status == OG_CHECK_FAIL);
    check_machine_too_small(&c, &k[OG_CHECK_MACHINE_TOO_SMALL]);
    check_swapping(&c, &k[OG_CHECK_SWAPPING]);
    check_default_ceiling(&c, &k[OG_CHECK_DEFAULT_WIRED_CEILING]);
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        if (k[i].status == OG_CHECK_FAIL) {
            r->headline = i;
            break;
        }
}
