/* llama.cpp's --fit, predicted: og_llama_fit_params().
 *
 * The search is common/fit.cpp common_params_fit_impl of llama.cpp
 * 2026-09-12 (the source node-llama-cpp 3.21.1 bundles, commit 80fb11ac),
 * step for step: llama.cpp measures each trial placement with a dry run
 * (no_alloc model + context, its memory breakdown per device); here each
 * trial is an og_llama_plan of the same settings. What it prints follows
 * tools/fit-params/fit-params.cpp. Also the -ot / --cpu-moe / --n-cpu-moe
 * parsers of common/arg.cpp and common/common.h.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/llama.h"
#include "og_internal.h"

#define MIB (1024ll * 1024)

static int prefix_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];
        if (x != y || !x)
            return 0;
    }
    return 1;
}

const char *og_fitp_status_name(og_fitp_status s)
{
    switch (s) {
    case OG_FITP_UNCHANGED:
        return "unchanged";
    case OG_FITP_CONTEXT:
        return "context";
    case OG_FITP_PLACED:
        return "placed";
    case OG_FITP_GAVE_UP:
        return "gave up";
    default:
        return "off";
    }
}

/* ---- -ot patterns ---- */

/* std::regex (ECMAScript) to POSIX extended: \d \w \s classes, and an empty
 * alternative "(a|)" as "(a)?" (common/fit.cpp's patterns use both). */
static int to_posix(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        const char *rep = NULL;
        char one[3] = {0};
        if (p[0] == '\\' && p[1]) {
            switch (p[1]) {
            case 'd':
                rep = "[0-9]";
                break;
            case 'w':
                rep = "[A-Za-z0-9_]";
                break;
            case 's':
                rep = "[[:space:]]";
                break;
            default:
                one[0] = p[0];
                one[1] = p[1];
                rep = one;
            }
            p++;
        } else if (p[0] == '|' && p[1] == ')') {
            rep = ")?";
            p++;
        } else {
            one[0] = *p;
            rep = one;
        }
        size_t l = strlen(rep);
        if (o + l + 1 > n)
            return -1;
        memcpy(out + o, rep, l);
        o += l;
    }
    out[o] = '\0';
    return 0;
}

int og_llama_override_compile(const char *pattern, void *re)
{
    char px[512];
    if (!pattern || to_posix(pattern, px, sizeof px) != 0 ||
        regcomp((regex_t *)re, px, REG_EXTENDED | REG_NOSUB) != 0)
        return -1;
    return 0;
}

int og_llama_override_matches(const char *pattern, const char *name)
{
    char px[512];
    regex_t re;
    if (!pattern || !name || to_posix(pattern, px, sizeof px) != 0 ||
        regcomp(&re, px, REG_EXTENDED | REG_NOSUB) != 0)
        return -1;
    int r = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return r;
}

static og_status add_one(og_llama_settings *s, const char *pat, size_t len, int dev, og_error *err)
{
    if (s->n_overrides >= OG_LLAMA_MAX_OVERRIDES)
        return og_error_set(err, OG_ERR_INVALID, "too many tensor overrides (at most %d)",
                            OG_LLAMA_MAX_OVERRIDES);
    og_tensor_override *o = &s->overrides[s->n_overrides];
    if (len == 0 || len >= sizeof o->pattern)
        return og_error_set(err, OG_ERR_INVALID,
                            "--override-tensor: pattern '%.*s' is empty or too long (at most %zu "
                            "characters)",
                            (int)(len > 60 ? 60 : len), pat, sizeof o->pattern - 1);
    memcpy(o->pattern, pat, len);
    o->pattern[len] = '\0';
    o->device = dev;
    if (og_llama_override_matches(o->pattern, "") < 0)
        return og_error_set(err, OG_ERR_INVALID, "--override-tensor: '%s' is not a valid pattern",
                            o->pattern);
    s->n_overrides++;
    return OG_OK;
}

/* "CPU" or a device buffer name ending in its index (CUDA1, ROCm0, Vulkan2, MTL0;
 * RPC1 = the second --rpc server, as og_llama_fit_params writes it). */
static int parse_buft(const char *b, size_t n)
{
    if (n == 3 && prefix_ci(b, "CPU", 3))
        return OG_OT_CPU;
    static const char *const prefixes[] = {"CUDA", "ROCm", "Vulkan", "MTL", "GPU", "RPC"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t l = strlen(prefixes[i]);
        if (n > l && n <= l + 2 && prefix_ci(b, prefixes[i], l)) {
            int v = 0;
            for (size_t k = l; k < n; k++) {
                if (b[k] < '0' || b[k] > '9')
                    return -2;
                v = v * 10 + (b[k] - '0');
            }
            return v < OG_LLAMA_MAX_DEVICES ? v : -2;
        }
    }
    return -2;
}

og_status og_llama_add_overrides(og_llama_settings *s, const char *spec, og_error *err)
{
    if (!s || !spec)
        return og_error_set(err, OG_ERR_INVALID, "og_llama_add_overrides: missing argument");
    /* common/arg.cpp parse_tensor_buffer_overrides: comma-separated
     * PATTERN=BUFFER pairs. */
    const char *p = spec;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return og_error_set(err, OG_ERR_INVALID,
                                "--override-tensor: '%.*s' is not PATTERN=BUFFER (e.g. "
                                "\"\\.ffn_.*_exps\\.=CPU\")",
                                (int)(len > 80 ? 80 : len), p);
        size_t bl = len - (size_t)(eq - p) - 1;
        int dev = parse_buft(eq + 1, bl);
        if (dev == -2)
            return og_error_set(err, OG_ERR_INVALID,
                                "--override-tensor: unknown buffer type '%.*s' (CPU, or a device "
                                "such as CUDA0, ROCm1, Vulkan0)",
                                (int)(bl > 40 ? 40 : bl), eq + 1);
        og_status st = add_one(s, p, (size_t)(eq - p), dev, err);
        if (st != OG_OK)
            return st;
        if (!end)
            break;
        p = end + 1;
    }
    return OG_OK;
}

/* common/common.h: LLM_FFN_EXPS_REGEX, llm_ffn_exps_cpu_override and
 * llm_add_n_cpu_ffn_overrides ("blk\.N" + the expert regex per layer). */
#define FFN_EXPS_REGEX "\\.ffn_(up|down|gate|gate_up)_(ch|)exps"

og_status og_llama_add_cpu_moe(og_llama_settings *s, int32_t n_layers, og_error *err)
{
    if (!s)
        return og_error_set(err, OG_ERR_INVALID, "og_llama_add_cpu_moe: missing argument");
    if (n_layers < 0)
        return add_one(s, FFN_EXPS_REGEX, strlen(FFN_EXPS_REGEX), OG_OT_CPU, err);
    for (int32_t i = 0; i < n_layers; i++) {
        char pat[64];
        int l = snprintf(pat, sizeof pat, "blk\\.%d" FFN_EXPS_REGEX, (int)i);
        og_status st = add_one(s, pat, (size_t)l, OG_OT_CPU, err);
        if (st != OG_OK)
            return st;
    }
    return OG_OK;
}

/* ---- the fit ---- */

typedef struct ngl_t {
    uint32_t n_layer, n_part;
    og_layer_part overflow_type;
} ngl_t;

typedef struct fctx {
    const og_model *m;
    og_llama_settings cur; /* the settings as the fit has them now (cparams + mparams) */
    uint32_t nd, hp_ngl, hp_nct, hp_nex;
    int64_t margins[OG_LLAMA_MAX_DEVICES];
    int64_t free[OG_LLAMA_MAX_DEVICES];
    og_fitp_result *out;
    og_error *err;
    og_llama_memplan plan; /* scratch */
} fctx;

static void step(og_fitp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(og_fitp_result *r, const char *fmt, ...)
{
    if (r->n_steps >= OG_FITP_MAX_STEPS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->steps[r->n_steps++], sizeof r->steps[0], fmt, ap);
    va_end(ap);
}

/* One dry run (common_get_device_memory_data_impl): per device model +
 * context + compute, and the host row. The dry run loads without mmap. */
static og_status measure(fctx *c, const og_llama_settings *s, int64_t *dev, int64_t *host,
                         int64_t *model_sum)
{
    og_llama_settings t = *s;
    t.use_mmap = 0;
    t.mmproj = NULL;
    t.draft = NULL;
    c->out->n_trials++;
    og_status st = og_llama_plan(c->m, &t, &c->plan, c->err);
    if (st != OG_OK)
        return st;
    const og_llama_memplan *p = &c->plan;
    int64_t ms = 0;
    for (uint32_t d = 0; d < c->nd; d++) {
        dev[d] = (int64_t)(p->dev_model[d] + p->dev_context[d] + p->dev_compute[d]);
        ms += (int64_t)p->dev_model[d];
    }
    if (host)
        *host = (int64_t)p->host_bytes + (int64_t)p->component_bytes[OG_COMP_OUTPUT] -
                (int64_t)p->bytes[OG_COMP_OUTPUT][OG_POOL_GPU];
    if (model_sum)
        *model_sum = ms;
    return OG_OK;
}

static const char *part_pattern(char *buf, size_t n, uint32_t il, og_layer_part lf)
{
    switch (lf) {
    case OG_PART_ATTN:
        snprintf(buf, n, "blk\\.%u\\.ffn_(gate|up|gate_up|down).*", il);
        break;
    case OG_PART_UP:
        snprintf(buf, n, "blk\\.%u\\.ffn_(gate|gate_up|down).*", il);
        break;
    case OG_PART_GATE:
        snprintf(buf, n, "blk\\.%u\\.ffn_down.*", il);
        break;
    default:
        snprintf(buf, n, "blk\\.%u\\.ffn_(up|down|gate_up|gate)_(ch|)exps", il);
        break;
    }
    return buf;
}

/* set_ngl_tensor_split_tbo: -ngl, -ts and the -ot patterns of a placement. */
static og_status apply(fctx *c, const ngl_t *ngl, const int *overflow_dev, og_llama_settings *s)
{
    int32_t total = 0;
    for (uint32_t id = 0; id < c->nd; id++) {
        total += (int32_t)ngl[id].n_layer;
        if (c->nd > 1)
            s->tensor_split[id] = (float)ngl[id].n_layer;
    }
    s->n_gpu_layers = total;
    uint32_t il0 = c->hp_ngl + 1 - (uint32_t)total;
    s->n_overrides = 0;
    for (uint32_t id = 0; id < c->nd; id++) {
        il0 += ngl[id].n_layer - ngl[id].n_part;
        for (uint32_t il = il0; il < il0 + ngl[id].n_part; il++) {
            if (s->n_overrides >= OG_LLAMA_MAX_OVERRIDES)
                return og_error_set(c->err, OG_ERR_UNSUPPORTED,
                                    "more than %d partial layers: not modelled",
                                    OG_LLAMA_MAX_OVERRIDES);
            og_tensor_override *o = &s->overrides[s->n_overrides++];
            part_pattern(o->pattern, sizeof o->pattern, il,
                         il == il0 ? ngl[id].overflow_type : OG_PART_MOE);
            o->device = il == il0 ? overflow_dev[id] : OG_OT_CPU;
        }
        il0 += ngl[id].n_part;
    }
    return OG_OK;
}

static og_status mem_for(fctx *c, const ngl_t *ngl, const int *ovf, int64_t *mem)
{
    og_llama_settings t = c->cur;
    og_status st = apply(c, ngl, ovf, &t);
    if (st != OG_OK)
        return st;
    return measure(c, &t, mem, NULL, NULL);
}

static int64_t max_i64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* false position step (common/fit.cpp): uint32 arithmetic as there. */
static uint32_t fp_step(uint32_t delta, int64_t target, int64_t mem, int64_t mem_high)
{
    int64_t headroom = mem_high - mem;
    uint32_t step_size =
        headroom > 0 ? (uint32_t)((int64_t)delta * (target - mem) / headroom) : delta - 1;
    if (step_size < 1)
        step_size = 1;
    if (step_size > delta - 1)
        step_size = delta - 1;
    return step_size;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        og_status st_ = (x);                                                                       \
        if (st_ != OG_OK)                                                                          \
            return st_;                                                                            \
    } while (0)

/* common/fit.cpp: a trial placement is kept when device id and the next one,
 * which takes its overflow, both stay under their targets. */
static int trial_fits(const int64_t *mem, const int64_t *targets, uint32_t id, uint32_t nd)
{
    return mem[id] < targets[id] && (id + 1 == nd || mem[id + 1] < targets[id + 1]);
}

static og_status gave_up(fctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static og_status gave_up(fctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->reason, sizeof c->out->reason, fmt, ap);
    va_end(ap);
    c->out->status = OG_FITP_GAVE_UP;
    return OG_OK;
}

static og_status fit_impl(fctx *c, const og_fitp_input *in)
{
    og_fitp_result *r = c->out;
    og_llama_settings *cur = &c->cur;
    const uint32_t nd = c->nd;
    const uint32_t n_streams = cur->kv_unified ? 1 : (cur->n_parallel ? cur->n_parallel : 1);
    const int n_ctx_auto = cur->n_ctx == 0;
    uint64_t n_ctx_min = in->ctx_full    ? UINT32_MAX
                         : in->n_ctx_min ? in->n_ctx_min
                                         : OG_FIT_DEFAULT_MIN_CTX;
    const uint32_t n_ctx_max =
        (uint32_t)((uint64_t)c->hp_nct * n_streams > UINT32_MAX ? UINT32_MAX
                                                                : (uint64_t)c->hp_nct * n_streams);
    const uint32_t n_ctx_min_total =
        (uint32_t)(n_ctx_min * n_streams > UINT32_MAX ? UINT32_MAX : n_ctx_min * n_streams);

    /* step 1: the initial parameters */
    if (n_ctx_auto)
        cur->n_ctx = n_ctx_max;
    int64_t dev_full[OG_LLAMA_MAX_DEVICES], host_full, model_full;
    TRY(measure(c, cur, dev_full, &host_full, &model_full));
    r->n_ctx_from = cur->n_ctx;

    int64_t sum_free = 0, sum_projected_free = 0, sum_projected_used = 0,
            sum_projected_model = model_full;
    if (nd == 0) {
        sum_projected_used = host_full;
        sum_free = (int64_t)in->host_total_bytes;
        sum_projected_free = sum_free - sum_projected_used;
        if (sum_projected_free >= c->margins[0]) {
            step(r, "projected to use %lld MiB of host memory vs. %lld MiB total: no changes",
                 (long long)(sum_projected_used / MIB), (long long)(sum_free / MIB));
            r->status = OG_FITP_UNCHANGED;
            return OG_OK;
        }
    } else {
        int changes = 0;
        for (uint32_t id = 0; id < nd; id++) {
            int64_t pf = c->free[id] - dev_full[id];
            sum_free += c->free[id];
            sum_projected_used += dev_full[id];
            sum_projected_free += pf;
            if (pf < c->margins[id])
                changes = 1;
        }
        step(r, "projected to use %lld MiB of device memory vs. %lld MiB free",
             (long long)(sum_projected_used / MIB), (long long)(sum_free / MIB));
        if (!changes) {
            r->status = OG_FITP_UNCHANGED;
            return OG_OK;
        }
    }

    /* step 2: a smaller context */
    int64_t global_surplus = sum_projected_free;
    for (uint32_t id = 0; id < (nd ? nd : 1); id++)
        global_surplus -= c->margins[id];
    if (global_surplus < 0) {
        step(r, "cannot meet the free memory target%s: %lld MiB too much", nd > 1 ? "s" : "",
             (long long)(-global_surplus / MIB));
        if (n_ctx_auto) {
            if (n_ctx_max > n_ctx_min_total) {
                int64_t sum_used_target = sum_free;
                for (uint32_t id = 0; id < (nd ? nd : 1); id++)
                    sum_used_target -= c->margins[id];
                if (nd > 1) {
                    /* waste of whole layers (dense) or tensors (MoE) per device */
                    uint32_t ngl = cur->n_gpu_layers < 0 ? UINT32_MAX : (uint32_t)cur->n_gpu_layers;
                    if (ngl > c->hp_ngl)
                        ngl = c->hp_ngl;
                    int64_t model_per_layer = ngl ? sum_projected_model / ngl : 0;
                    sum_used_target -=
                        (int64_t)(nd + 1) * model_per_layer / (c->hp_nex == 0 ? 2 : 6);
                }
                cur->n_ctx = n_ctx_min_total;
                int64_t dev_min[OG_LLAMA_MAX_DEVICES], host_min;
                TRY(measure(c, cur, dev_min, &host_min, NULL));
                int64_t used_min = 0;
                if (nd == 0)
                    used_min = host_min;
                else
                    for (uint32_t id = 0; id < nd; id++)
                        used_min += dev_min[id];
                if (sum_used_target > used_min && n_ctx_max > n_ctx_min_total &&
                    sum_projected_used > used_min) {
                    int64_t add = (int64_t)(n_ctx_max - n_ctx_min_total) *
                                  (sum_used_target - used_min) / (sum_projected_used - used_min);
                    uint32_t n = (uint32_t)((int64_t)cur->n_ctx + add);
                    uint32_t align = 256 * n_streams;
                    n -= n % align;
                    cur->n_ctx = n > n_ctx_min_total ? n : n_ctx_min_total;
                    r->ctx_lowered = 1;
                    step(r, "context size reduced from %u to %u", n_ctx_max, cur->n_ctx);
                    if (nd <= 1) {
                        r->status = OG_FITP_CONTEXT;
                        return OG_OK;
                    }
                } else {
                    r->ctx_lowered = 1;
                    step(r, "context size reduced from %u to %u: not enough on its own", n_ctx_max,
                         cur->n_ctx);
                }
            } else if (in->ctx_full)
                step(r, "full context size of %u requested: no change", n_ctx_max);
            else
                step(r, "trained context %u <= the minimum %u: no change", n_ctx_max,
                     n_ctx_min_total);
        } else
            step(r, "context size set by the user to %u: no change", cur->n_ctx);
    }
    if (nd == 0)
        return gave_up(c, "was unable to fit model into system memory by reducing context, abort");
    if (cur->n_gpu_layers != OG_NGL_AUTO)
        return gave_up(c, "n_gpu_layers already set by user to %d, abort", (int)cur->n_gpu_layers);
    if (nd > 1) {
        for (uint32_t id = 0; id < nd; id++)
            if (cur->tensor_split[id] != 0.0f)
                return gave_up(c, "model_params::tensor_split already set by user, abort");
        if (cur->split_mode == OG_SPLIT_ROW)
            return gave_up(c, "changing weight allocation for LLAMA_SPLIT_MODE_ROW not "
                              "implemented, abort");
    }
    if (cur->n_overrides)
        return gave_up(c, "model_params::tensor_buft_overrides already set by user, abort");

    /* step 3: fill devices back to front with dense layers (MoE: experts in RAM) */
    int64_t surplus_cpu_moe = 0;
    if (c->hp_nex > 0) {
        og_llama_settings t = *cur;
        t.n_overrides = 1;
        og_strlcpy(t.overrides[0].pattern, "blk\\.\\d+\\.ffn_(up|down|gate_up|gate)_(ch|)exps",
                   sizeof t.overrides[0].pattern);
        t.overrides[0].device = OG_OT_CPU;
        int64_t dm[OG_LLAMA_MAX_DEVICES];
        TRY(measure(c, &t, dm, NULL, NULL));
        for (uint32_t id = 0; id < nd; id++)
            surplus_cpu_moe += c->free[id] - dm[id] - c->margins[id];
        step(r, "with only dense weights on the GPU%s: a total %s of %lld MiB", nd > 1 ? "s" : "",
             surplus_cpu_moe > 0 ? "surplus" : "deficit",
             (long long)((surplus_cpu_moe > 0 ? surplus_cpu_moe : -surplus_cpu_moe) / MIB));
    }
    int64_t targets[OG_LLAMA_MAX_DEVICES];
    int ovf[OG_LLAMA_MAX_DEVICES];
    ngl_t ngl[OG_LLAMA_MAX_DEVICES];
    memset(ngl, 0, sizeof ngl);
    for (uint32_t id = 0; id < nd; id++) {
        targets[id] = c->free[id] - c->margins[id];
        ovf[id] = OG_OT_CPU;
        ngl[id].overflow_type = OG_PART_MOE;
    }
    int64_t mem[OG_LLAMA_MAX_DEVICES], mem_high[OG_LLAMA_MAX_DEVICES],
        mem_test[OG_LLAMA_MAX_DEVICES];
    TRY(mem_for(c, ngl, ovf, mem));
    for (int id = (int)nd - 1; id >= 0; id--) {
        uint32_t n_unassigned = c->hp_ngl + 1;
        for (uint32_t jd = (uint32_t)id + 1; jd < nd; jd++)
            n_unassigned -= ngl[jd].n_layer;
        ngl_t high[OG_LLAMA_MAX_DEVICES];
        memcpy(high, ngl, sizeof high);
        high[id].n_layer = n_unassigned;
        if (c->hp_nex > 0)
            high[id].n_part = (uint32_t)id < nd - 1 ? high[id].n_layer : high[id].n_layer - 1;
        if (high[id].n_layer > 0) {
            TRY(mem_for(c, high, ovf, mem_high));
            if (mem_high[id] > targets[id]) {
                uint32_t delta = high[id].n_layer - ngl[id].n_layer;
                while (delta > 1) {
                    uint32_t st = fp_step(delta, targets[id], mem[id], mem_high[id]);
                    ngl_t test[OG_LLAMA_MAX_DEVICES];
                    memcpy(test, ngl, sizeof test);
                    test[id].n_layer += st;
                    if (c->hp_nex)
                        test[id].n_part +=
                            (uint32_t)id == nd - 1 && test[id].n_part == 0 ? st - 1 : st;
                    TRY(mem_for(c, test, ovf, mem_test));
                    if (mem_test[id] <= targets[id]) {
                        memcpy(ngl, test, sizeof test);
                        memcpy(mem, mem_test, sizeof mem);
                    } else {
                        memcpy(high, test, sizeof test);
                        memcpy(mem_high, mem_test, sizeof mem);
                    }
                    delta = high[id].n_layer - ngl[id].n_layer;
                }
            } else {
                memcpy(ngl, high, sizeof high);
                memcpy(mem, mem_high, sizeof mem);
            }
        }
    }
    if (c->hp_nex == 0 || surplus_cpu_moe <= 0)
        goto done;

    /* step 4: MoE with all dense weights placed: convert dense-only layers to
     * full layers front to back, then part of one more layer */
    {
        uint32_t id_dense_start = nd;
        for (int id = (int)nd - 1; id >= 0; id--) {
            if (ngl[id].n_layer > 0) {
                id_dense_start = (uint32_t)id;
                continue;
            }
            break;
        }
        if (id_dense_start >= nd)
            goto done; /* llama.cpp asserts here */
        for (uint32_t id = 0; id <= id_dense_start && id_dense_start < nd; id++) {
            ngl_t high[OG_LLAMA_MAX_DEVICES];
            memcpy(high, ngl, sizeof high);
            for (uint32_t jd = id_dense_start; jd < nd; jd++) {
                uint32_t mv = jd < nd - 1 ? high[jd].n_layer : high[jd].n_layer - 1;
                high[id].n_layer += mv;
                high[jd].n_layer -= mv;
                high[jd].n_part = 0;
            }
            uint32_t id_dense_start_high = nd - 1;
            TRY(mem_for(c, high, ovf, mem_high));
            if (mem_high[id] > targets[id]) {
                uint32_t delta =
                    (high[id].n_layer - high[id].n_part) - (ngl[id].n_layer - ngl[id].n_part);
                while (delta > 1) {
                    uint32_t st = fp_step(delta, targets[id], mem[id], mem_high[id]);
                    ngl_t test[OG_LLAMA_MAX_DEVICES];
                    memcpy(test, ngl, sizeof test);
                    uint32_t ids = id_dense_start, conv = 0;
                    for (; ids < nd; ids++) {
                        uint32_t n = st - conv < test[ids].n_part ? st - conv : test[ids].n_part;
                        test[ids].n_layer -= n;
                        test[ids].n_part -= n;
                        test[id].n_layer += n;
                        conv += n;
                        if (test[ids].n_part > 0)
                            break;
                    }
                    TRY(mem_for(c, test, ovf, mem_test));
                    if (mem_test[id] <= targets[id]) {
                        memcpy(ngl, test, sizeof test);
                        memcpy(mem, mem_test, sizeof mem);
                        id_dense_start = ids;
                    } else {
                        memcpy(high, test, sizeof test);
                        memcpy(mem_high, mem_test, sizeof mem);
                        id_dense_start_high = ids;
                    }
                    delta =
                        (high[id].n_layer - high[id].n_part) - (ngl[id].n_layer - ngl[id].n_part);
                }
            } else {
                memcpy(ngl, high, sizeof high);
                memcpy(mem, mem_high, sizeof mem);
                id_dense_start = id_dense_start_high;
            }
            /* part of one more layer: attention + up, + gate, or attention only */
            if (id_dense_start < nd && ngl[id_dense_start].n_layer > (id < nd - 1 ? 0u : 1u)) {
                ngl_t test[OG_LLAMA_MAX_DEVICES];
                memcpy(test, ngl, sizeof test);
                uint32_t ids = id_dense_start;
                test[ids].n_layer--;
                test[ids].n_part--;
                test[id].n_layer++;
                test[id].n_part++;
                if (test[ids].n_part == 0)
                    ids++;
                test[id].overflow_type = OG_PART_UP;
                int ovf_test[OG_LLAMA_MAX_DEVICES];
                memcpy(ovf_test, ovf, sizeof ovf_test);
                if (id < nd - 1)
                    ovf_test[id] = (int)id + 1;
                TRY(mem_for(c, test, ovf_test, mem_test));
                if (trial_fits(mem_test, targets, id, nd)) {
                    memcpy(ngl, test, sizeof test);
                    memcpy(ovf, ovf_test, sizeof ovf);
                    memcpy(mem, mem_test, sizeof mem);
                    id_dense_start = ids;
                    test[id].overflow_type = OG_PART_GATE;
                    TRY(mem_for(c, test, ovf_test, mem_test));
                    if (trial_fits(mem_test, targets, id, nd)) {
                        memcpy(ngl, test, sizeof test);
                        memcpy(ovf, ovf_test, sizeof ovf);
                        memcpy(mem, mem_test, sizeof mem);
                        id_dense_start = ids;
                    }
                } else {
                    test[id].overflow_type = OG_PART_ATTN;
                    TRY(mem_for(c, test, ovf_test, mem_test));
                    if (trial_fits(mem_test, targets, id, nd)) {
                        memcpy(ngl, test, sizeof test);
                        memcpy(ovf, ovf_test, sizeof ovf);
                        memcpy(mem, mem_test, sizeof mem);
                        id_dense_start = ids;
                    }
                }
            }
        }
    }
done:
    TRY(apply(c, ngl, ovf, cur));
    for (uint32_t id = 0; id < nd; id++) {
        r->dev[id].n_layer = ngl[id].n_layer;
        r->dev[id].n_part = ngl[id].n_part;
        r->dev[id].overflow = ngl[id].n_part ? ngl[id].overflow_type : OG_PART_NONE;
        r->dev[id].overflow_device = ovf[id];
        r->dev[id].used_bytes = (uint64_t)max_i64(mem[id], 0);
        r->dev[id].free_after_bytes = c->free[id] - mem[id];
    }
    r->has_ts = nd > 1;
    r->status = OG_FITP_PLACED;
    return OG_OK;
}

/* Buffer type names as ggml names them (ggml_backend_buft_name). */
static void buft_name(og_backend b, int dev, char *out, size_t n)
{
    const char *pre = b == OG_BACKEND_RPC      ? "RPC"
                      : b == OG_BACKEND_METAL  ? "MTL"
                      : b == OG_BACKEND_ROCM   ? "ROCm"
                      : b == OG_BACKEND_VULKAN ? "Vulkan"
                                               : "CUDA";
    if (dev < 0)
        snprintf(out, n, "CPU");
    else
        snprintf(out, n, "%s%d", pre, dev);
}

/* tools/fit-params/fit-params.cpp: "-c N -ngl N[ -ts a,b][ -ot \"p=B,...\"]". */
static void format_args(og_fitp_result *r, const og_llama_settings *s)
{
    size_t o = 0, n = sizeof r->args;
    o += (size_t)snprintf(r->args + o, n - o, "-c %u -ngl %d", r->n_ctx, (int)s->n_gpu_layers);
    uint32_t nd = OG_LLAMA_MAX_DEVICES;
    while (nd > 1 && s->tensor_split[nd - 1] == 0.0f)
        nd--;
    if (nd > 1)
        for (uint32_t id = 0; id < nd && o < n; id++)
            o += (size_t)snprintf(r->args + o, n - o, "%s%u", id ? "," : " -ts ",
                                  (unsigned)s->tensor_split[id]);
    for (uint32_t i = 0; i < s->n_overrides && o < n; i++) {
        char b[24];
        buft_name(s->backend, s->overrides[i].device, b, sizeof b);
        o += (size_t)snprintf(r->args + o, n - o, "%s%s=%s", i ? "," : " -ot \"",
                              s->overrides[i].pattern, b);
    }
    if (s->n_overrides && o < n)
        snprintf(r->args + o, n - o, "\"");
}

void og_fitp_args_short(const og_fitp_result *r, char *out, size_t n)
{
    const char *ot = strstr(r->args, " -ot ");
    if (!ot || r->settings.n_overrides <= 2)
        snprintf(out, n, "%s", r->args);
    else
        snprintf(out, n, "%.*s -ot \"...\" (%u patterns)", (int)(ot - r->args), r->args,
                 r->settings.n_overrides);
}

og_status og_llama_fit_params(const og_model *m, const og_llama_settings *s,
                              const og_fitp_input *in, og_fitp_result *out, og_error *err)
{
    if (!m || !s || !in || !out)
        return og_error_set(err, OG_ERR_INVALID, "og_llama_fit_params: missing argument");
    memset(out, 0, sizeof *out);
    fctx *c = calloc(1, sizeof *c);
    if (!c)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    c->m = m;
    c->out = out;
    c->err = err;
    c->cur = *s;
    og_llama_settings *cur = &c->cur;
    /* Ollama passes llama-server an explicit -c num_ctx x num_parallel,
     * -np, -b = -ub = num_batch and no unified KV (ollama llm/llama_server.go). */
    if (cur->engine == OG_LLAMA_ENGINE_OLLAMA) {
        uint32_t np = cur->n_parallel ? cur->n_parallel : 1;
        uint32_t nb = cur->ollama_num_batch ? cur->ollama_num_batch : 512;
        cur->n_ctx = (cur->n_ctx ? cur->n_ctx : 4096) * np;
        cur->n_batch = cur->n_ubatch = nb;
        cur->kv_unified = 0;
        cur->engine = OG_LLAMA_ENGINE_LLAMA_CPP;
    }
    uint32_t nd = cur->backend == OG_BACKEND_CPU ? 0 : in->n_devices;
    if (nd > OG_LLAMA_MAX_DEVICES)
        nd = OG_LLAMA_MAX_DEVICES;
    uint32_t dev_map[OG_LLAMA_MAX_DEVICES];
    for (uint32_t i = 0; i < OG_LLAMA_MAX_DEVICES; i++)
        dev_map[i] = i;
    if (nd > 1 && cur->split_mode == OG_SPLIT_NONE) {
        /* src/llama.cpp: -sm none keeps only the main GPU */
        uint32_t mg =
            cur->main_gpu >= 0 && (uint32_t)cur->main_gpu < nd ? (uint32_t)cur->main_gpu : 0;
        dev_map[0] = mg;
        nd = 1;
    }
    if (nd == 0 && cur->backend != OG_BACKEND_CPU)
        nd = 1;
    c->nd = nd;
    cur->n_devices = nd;
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t j = dev_map[i];
        c->free[i] = (int64_t)in->free_bytes[j];
        cur->device_free[i] = in->free_bytes[j];
        c->margins[i] =
            (int64_t)(in->target_bytes[j] ? in->target_bytes[j] : OG_FIT_DEFAULT_TARGET);
    }
    if (nd == 0)
        c->margins[0] =
            (int64_t)(in->target_bytes[0] ? in->target_bytes[0] : OG_FIT_DEFAULT_TARGET);
    c->hp_ngl = m->hp.n_layer;
    c->hp_nct = (uint32_t)(m->hp.n_ctx_train > UINT32_MAX ? UINT32_MAX : m->hp.n_ctx_train);
    c->hp_nex = m->hp.n_expert;
    og_status st = OG_OK;
    if (in->off) {
        out->status = OG_FITP_OFF;
        if (!cur->n_ctx)
            cur->n_ctx = c->hp_nct;
    } else
        st = fit_impl(c, in);
    if (st == OG_OK) {
        out->n_ctx = cur->n_ctx ? cur->n_ctx : c->hp_nct;
        out->n_devices = nd;
        out->n_gpu_layers = cur->n_gpu_layers;
        int64_t dm[OG_LLAMA_MAX_DEVICES];
        og_llama_settings t = *cur;
        if (t.n_ctx == 0)
            t.n_ctx = c->hp_nct;
        if (out->status != OG_FITP_PLACED && nd && measure(c, &t, dm, NULL, NULL) == OG_OK)
            for (uint32_t id = 0; id < nd; id++) {
                out->dev[id].n_layer = c->plan.dev_layers[id];
                out->dev[id].used_bytes = (uint64_t)max_i64(dm[id], 0);
                out->dev[id].free_after_bytes = c->free[id] - dm[id];
            }
        out->settings = *cur;
        format_args(out, cur);
    }
    free(c);
    return st;
}
