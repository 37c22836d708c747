/* oomguard explain: recognise engines' out-of-memory messages in a log.
 *
 * Each rule matches the stable text of one message, never the function name
 * in front of it (those change between versions: ggml_metal_graph_compute
 * became ggml_metal_synchronize, llama_kv_cache_init became llama_kv_cache).
 * Sources of every message (paths in /work/llama-src are llama.cpp as bundled
 * by node-llama-cpp 3.21.1, dated 2026-09-12):
 *
 * llama.cpp / ggml
 *   ggml/src/ggml-cuda/ggml-cuda.cu ggml_backend_cuda_buffer_type_alloc_buffer:
 *     "%s: allocating %.2f MiB on device %d: cudaMalloc failed: %s" (HIP builds
 *     print the same literal: vendors/hip.h only renames the function)
 *   ggml/src/ggml-cuda/ggml-cuda.cu ggml_cuda_error: GGML_CUDA_NAME " error: %s"
 *     ("CUDA error: out of memory", "ROCm error: out of memory")
 *   ggml/src/ggml-alloc.c: "%s: failed to allocate %s buffer of size %zu"
 *   ggml/src/ggml-backend.cpp (CPU): "%s: failed to allocate buffer of size %zu"
 *   ggml/src/ggml-metal/ggml-metal-device.m: "%s: error: failed to allocate buffer, size = %8.2f
 * MiB" and "recommendedMaxWorkingSetSize  = %8.2f MB" (divides by 1e6)
 *   ggml/src/ggml-metal/ggml-metal-context.m: "command buffer %d failed with status %d"
 *     followed by "error: Insufficient Memory
 * (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)" ggml/src/ggml-vulkan/ggml-vulkan.cpp:
 * "ggml_vulkan: Device memory allocation of size %zu failed." then the vk exception text
 * "ErrorOutOfDeviceMemory"; "Requested buffer size exceeds device buffer size limit"
 *   src/llama-kv-cache.cpp: "failed to allocate buffer for kv cache", "%10s KV buffer size = %8.2f
 * MiB", "size = %7.2f MiB (%6u cells, %3d layers, %2u/%u seqs), K (%s): ..., V (%s): ..."
 *   src/llama-memory-recurrent.cpp: "failed to allocate buffer for rs cache", "RS buffer size"
 *   src/llama-context.cpp: "failed to allocate compute pp buffers", "compute buffer size",
 *     "output buffer size", "failed to allocate output buffer of size %.2f MiB",
 *     "n_ctx = %u", "n_batch", "n_ubatch", "flash_attn = %s"
 *   src/llama-model.cpp: "unable to allocate %s buffer", "%12s model buffer size = %8.2f MiB",
 *     "offloaded %d/%d layers to GPU"
 *   src/llama-model-loader.cpp: "loaded meta data with %d key-value pairs and %d tensors from %s"
 *   common/fit.cpp: "failed to fit params to free device memory" (benign, not an OOM)
 * MLX (ml-explore/mlx 846d176, mlx/backend/metal/allocator.cpp, device.cpp)
 *   "[metal::malloc] Attempting to allocate %zu bytes which is greater than the maximum
 *    allowed buffer size of %zu bytes."; "[metal::malloc] Resource limit (%zu) exceeded.";
 *   "[malloc] Unable to allocate %zu bytes." (earlier "[malloc_or_wait] ...");
 *   "[METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPU...)";
 *   "[metal::set_wired_limit] Setting a wired limit larger than the maximum working set size"
 * mlx-lm (ml-explore/mlx-lm d78bf58, mlx_lm/generate.py wired_limit):
 *   "[WARNING] Generating with a model that requires {model_mb} MB which is close to the
 *    maximum recommended size of {max_rec_mb} MB." (MB = bytes // 2**20)
 * Ollama (ollama/ollama fb30760): llm/server.go "model requires more system memory (%s) than
 *   is available (%s)" (removed 2026-05-29, PR #16031); "llama runner process has terminated:
 *   ..."; "memory layout cannot be allocated"; ml/device.go "insufficient memory - required
 *   allocations"; llm/status.go's OOM words.
 * LM Studio (closed source; texts from lmstudio-ai/lmstudio-bug-tracker #1038, #1202, #484,
 *   #1562): "Model loading was stopped due to insufficient system resources. Under the current
 *   settings, this model requires approximately X GB of memory", "Model loading aborted due to
 *   insufficient system resources", "Not enough resources to load the model".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explain_internal.h"
#include "og_internal.h"

#define LINE_MAX_SCAN 8192
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

enum stage { ST_NONE = 0, ST_WEIGHTS, ST_CONTEXT };

typedef struct scan {
    og_log_report *r;
    int last_alloc; /* index of the last GPU/CPU allocation failure, -1 */
    uint32_t last_alloc_line;
    int pending; /* last allocation failure whose component is not known yet */
    uint32_t pending_line;
    int stage;
    int stage_at[OG_LOG_MAX_FINDINGS];
    int non_weight_buffers; /* a KV/compute buffer line was recorded (next model line = new load) */
    int lmstudio;           /* LM Studio's own text was seen */
    int ollama;             /* Ollama's own text was seen */
    int cb_pending;         /* a Metal "failed with status 5" line waits for the next */
    uint32_t cb_pending_line;
    char cb_text[240];
    size_t cb_n;
    uint32_t cb_oom_line; /* the last counted kIOGPU line */
    int cb_oom_status;    /* its status line was seen */
    uint32_t mlx_line;    /* last line with MLX's own text ([METAL], [metal::]) */
    uint32_t pinned_line; /* last "Failed to allocate pinned memory" (Vulkan) */
    int oom_event;        /* the kernel OOM kill being read (finding index), -1 */
    int oom_killed;       /* its "Killed process" line was read */
} scan;

const char *og_log_severity_name(og_log_severity s)
{
    switch (s) {
    case OG_LOG_OOM:
        return "oom";
    case OG_LOG_WARNING:
        return "warning";
    case OG_LOG_INFO:
        break;
    }
    return "info";
}

/* ---- bounded string helpers ------------------------------------------------ */

static const char *find(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || m > n)
        return m == 0 ? s : NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0)
            return s + i;
    return NULL;
}

static int has(const char *s, size_t n, const char *needle)
{
    return find(s, n, needle) != NULL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Parse an unsigned decimal number with an optional fraction at p (after
 * spaces). Returns 1 and sets *v and *after, or 0. At most 24 digits. */
static int parse_num(const char *p, const char *end, double *v, const char **after)
{
    p = skip_ws(p, end);
    double x = 0, scale = 0;
    int digits = 0;
    while (p < end && (is_digit(*p) || (*p == '.' && scale == 0))) {
        if (*p == '.') {
            scale = 1;
        } else {
            if (++digits > 24)
                return 0;
            if (scale > 0) {
                scale /= 10;
                x += (*p - '0') * scale;
            } else {
                x = x * 10 + (*p - '0');
            }
        }
        p++;
    }
    if (!digits)
        return 0;
    *v = x;
    if (after)
        *after = p;
    return 1;
}

/* Exact unsigned integer (for byte counts printed with %zu). */
static int parse_u64(const char *p, const char *end, uint64_t *v, const char **after)
{
    p = skip_ws(p, end);
    uint64_t x = 0;
    int digits = 0;
    while (p < end && is_digit(*p)) {
        if (!og_mul_u64(x, 10, &x) || !og_add_u64(x, (uint64_t)(*p - '0'), &x))
            return 0;
        digits++;
        p++;
    }
    if (!digits)
        return 0;
    *v = x;
    if (after)
        *after = p;
    return 1;
}

static uint64_t to_bytes(double v, double mult)
{
    double b = v * mult;
    if (!(b >= 0) || b >= 1.8e19)
        return 0;
    return (uint64_t)(b + 0.5);
}

/* The unit after a number: returns bytes per unit, or 0 when none is known.
 * mb_decimal: whether this message's "MB"/"GB" are powers of ten. */
static double unit_at(const char *p, const char *end, int mb_decimal)
{
    p = skip_ws(p, end);
    size_t n = (size_t)(end - p);
    struct {
        const char *u;
        double bin, dec;
    } units[] = {{"TiB", GIB * 1024, GIB * 1024},
                 {"GiB", GIB, GIB},
                 {"MiB", MIB, MIB},
                 {"KiB", 1024, 1024},
                 {"TB", GIB * 1024, 1e12},
                 {"GB", GIB, 1e9},
                 {"MB", MIB, 1e6},
                 {"KB", 1024, 1e3},
                 {"kB", 1024, 1e3},
                 {"bytes", 1, 1},
                 {"B", 1, 1}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t m = strlen(units[i].u);
        if (n >= m && memcmp(p, units[i].u, m) == 0)
            return mb_decimal ? units[i].dec : units[i].bin;
    }
    return 0;
}

/* Number + unit right after needle. Returns bytes or 0. */
static uint64_t size_after(const char *s, size_t n, const char *needle, int mb_decimal,
                           double default_unit)
{
    const char *p = find(s, n, needle);
    if (!p)
        return 0;
    const char *end = s + n, *after;
    double v;
    if (!parse_num(p + strlen(needle), end, &v, &after))
        return 0;
    double u = unit_at(after, end, mb_decimal);
    return to_bytes(v, u > 0 ? u : default_unit);
}

static int int_after(const char *s, size_t n, const char *needle, int64_t *out)
{
    const char *p = find(s, n, needle);
    if (!p)
        return 0;
    uint64_t v;
    if (!parse_u64(p + strlen(needle), s + n, &v, NULL) || v > INT64_MAX)
        return 0;
    *out = (int64_t)v;
    return 1;
}

/* The exact integer after needle; 0 (v untouched) when needle is absent.
 * Never index past a needle that may not be there (issue 18 item 1: a
 * one-line log "x is larger than buffer maximum of" crashed at NULL + 18). */
static int u64_after(const char *s, size_t n, const char *needle, uint64_t *v)
{
    const char *p = find(s, n, needle);
    return p && parse_u64(p + strlen(needle), s + n, v, NULL);
}

/* "key   = value": the integer after a key that is followed (after spaces) by '='.
 * The key must not be a prefix of a longer identifier (n_ctx vs n_ctx_train). */
static int kv_int(const char *s, size_t n, const char *key, int64_t *out)
{
    const char *end = s + n, *p = s;
    size_t m = strlen(key);
    while ((p = find(p, (size_t)(end - p), key)) != NULL) {
        int start_ok = p == s || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z'));
        const char *q = skip_ws(p + m, end);
        if (start_ok && q < end && *q == '=') {
            uint64_t v;
            if (parse_u64(q + 1, end, &v, NULL) && v <= INT64_MAX) {
                *out = (int64_t)v;
                return 1;
            }
        }
        p += m;
    }
    return 0;
}

/* Copy the token that ends right before p (skipping spaces), into out. */
static int word_before(const char *s, const char *p, char *out, size_t outn, const char **start)
{
    while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
        p--;
    const char *e = p;
    while (p > s && p[-1] != ' ' && p[-1] != '\t' && p[-1] != ':')
        p--;
    if (p == e)
        return 0;
    size_t k = (size_t)(e - p);
    if (k >= outn)
        k = outn - 1;
    memcpy(out, p, k);
    out[k] = 0;
    if (start)
        *start = p;
    return 1;
}

/* Copy chars from after needle up to (not including) stop into out. */
static int copy_between(const char *s, size_t n, const char *needle, const char *stop, char *out,
                        size_t outn)
{
    const char *p = find(s, n, needle);
    if (!p)
        return 0;
    p += strlen(needle);
    const char *end = s + n;
    const char *q = find(p, (size_t)(end - p), stop);
    if (!q || q == p)
        return 0;
    size_t k = (size_t)(q - p);
    if (k >= outn)
        k = outn - 1;
    memcpy(out, p, k);
    out[k] = 0;
    return 1;
}

static void trimmed_copy(char *dst, size_t dn, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t k = n < dn - 1 ? n : dn - 1;
    for (size_t i = 0; i < k; i++)
        dst[i] = (s[i] >= 0x20 && s[i] != 0x7f) || (unsigned char)s[i] >= 0x80 ? s[i] : ' ';
    dst[k] = 0;
    if (n >= dn && dn > 4)
        memcpy(dst + dn - 4, "...", 4);
}

/* ---- findings ------------------------------------------------------------- */

static const char *backend_of_buffer(const char *name)
{
    if (strncmp(name, "CUDA", 4) == 0)
        return "cuda";
    if (strncmp(name, "ROCm", 4) == 0)
        return "rocm";
    if (strncmp(name, "Vulkan", 6) == 0)
        return "vulkan";
    if (strncmp(name, "MTL", 3) == 0 || strncmp(name, "Metal", 5) == 0)
        return "metal";
    if (strncmp(name, "CPU", 3) == 0)
        return "cpu";
    return "";
}

static int add(scan *sc, const char *id, og_log_severity sev, const char *engine,
               const char *backend, const char *component, uint32_t line, const char *text,
               size_t tn, uint64_t req, uint64_t limit, uint64_t avail, int32_t device)
{
    og_log_report *r = sc->r;
    for (uint32_t i = 0; i < r->n_findings; i++) {
        og_log_finding *f = &r->findings[i];
        /* the same event again: sizes may be printed rounded (MiB) the first time and
         * exact (bytes) in a follow-up line that was merged into the finding */
        uint64_t lo = f->requested_bytes < req ? f->requested_bytes : req;
        uint64_t hi = f->requested_bytes < req ? req : f->requested_bytes;
        int same_size = hi - lo <= hi / 1000;
        if (strcmp(f->id, id) == 0 && same_size && f->device == device &&
            (strcmp(f->component, component) == 0 || strcmp(component, "unknown") == 0)) {
            f->count++;
            return (int)i;
        }
    }
    if (r->n_findings >= OG_LOG_MAX_FINDINGS) {
        r->findings_dropped++;
        return -1;
    }
    og_log_finding *f = &r->findings[r->n_findings];
    memset(f, 0, sizeof *f);
    og_strlcpy(f->id, id, sizeof f->id);
    f->severity = sev;
    og_strlcpy(f->engine, engine, sizeof f->engine);
    og_strlcpy(f->backend, backend, sizeof f->backend);
    og_strlcpy(f->component, component, sizeof f->component);
    f->device = device;
    f->requested_bytes = req;
    f->limit_bytes = limit;
    f->available_bytes = avail;
    f->line = line;
    f->count = 1;
    trimmed_copy(f->text, sizeof f->text, text, tn);
    sc->stage_at[r->n_findings] = sc->stage;
    return (int)r->n_findings++;
}

/* An allocation failure whose component a later line may tell. */
static void alloc_failure(scan *sc, int idx, uint32_t line)
{
    if (idx < 0)
        return;
    sc->last_alloc = idx;
    sc->last_alloc_line = line;
    if (strcmp(sc->r->findings[idx].component, "unknown") == 0) {
        sc->pending = idx;
        sc->pending_line = line;
    }
}

/* A later line says which component the pending failure was for. */
static void refine(scan *sc, const char *component, uint32_t line)
{
    if (sc->pending < 0 || line - sc->pending_line > 12)
        return;
    og_log_finding *f = &sc->r->findings[sc->pending];
    og_strlcpy(f->component, component, sizeof f->component);
    sc->pending = -1;
}

static int recent_alloc(const scan *sc, uint32_t line)
{
    return sc->last_alloc >= 0 && line - sc->last_alloc_line <= 3 ? sc->last_alloc : -1;
}

/* ---- buffers of a load ----------------------------------------------------- */

static og_log_device_buffers *device_slot(og_log_report *r, const char *name)
{
    for (uint32_t i = 0; i < r->n_devices; i++)
        if (strcmp(r->devices[i].name, name) == 0)
            return &r->devices[i];
    if (r->n_devices >= OG_LOG_MAX_DEVICES)
        return NULL;
    og_log_device_buffers *d = &r->devices[r->n_devices++];
    memset(d, 0, sizeof *d);
    og_strlcpy(d->name, name, sizeof d->name);
    d->host = strcmp(name, "CPU") == 0 || strstr(name, "_Host") != NULL ||
              strcmp(name, "CPU_Mapped") == 0 || strncmp(name, "CPU_", 4) == 0;
    return d;
}

/* "<name> model buffer size = X MiB", "<name> KV buffer size = ...", and the
 * older "<name> buffer size = ..." of llm_load_tensors (weights). */
static void buffer_line(scan *sc, const char *s, size_t n)
{
    const char *p = find(s, n, " buffer size =");
    if (!p)
        return;
    double v;
    const char *after;
    if (!parse_num(p + strlen(" buffer size ="), s + n, &v, &after))
        return;
    double u = unit_at(after, s + n, 0);
    uint64_t bytes = to_bytes(v, u > 0 ? u : MIB);
    char w1[32], w2[32];
    const char *w1s;
    if (!word_before(s, p, w1, sizeof w1, &w1s))
        return;
    const char *comp = "weights";
    const char *dev = w1;
    if (strcmp(w1, "model") == 0 || strcmp(w1, "KV") == 0 || strcmp(w1, "compute") == 0 ||
        strcmp(w1, "output") == 0 || strcmp(w1, "RS") == 0 || strcmp(w1, "LoRA") == 0 ||
        strcmp(w1, "state") == 0) {
        comp = strcmp(w1, "model") == 0     ? "weights"
               : strcmp(w1, "KV") == 0      ? "kv"
               : strcmp(w1, "compute") == 0 ? "compute"
               : strcmp(w1, "output") == 0  ? "output"
               : strcmp(w1, "RS") == 0      ? "rs"
                                            : "other";
        if (!word_before(s, w1s, w2, sizeof w2, NULL))
            return;
        dev = w2;
    }
    if (strcmp(comp, "weights") == 0 && sc->non_weight_buffers) {
        /* a new load begins: keep only the last one */
        sc->r->n_devices = 0;
        sc->non_weight_buffers = 0;
    } else if (strcmp(comp, "weights") != 0) {
        sc->non_weight_buffers = 1;
    }
    og_log_device_buffers *d = device_slot(sc->r, dev);
    if (!d)
        return;
    uint64_t *slot = strcmp(comp, "weights") == 0   ? &d->weights_bytes
                     : strcmp(comp, "kv") == 0      ? &d->kv_bytes
                     : strcmp(comp, "compute") == 0 ? &d->compute_bytes
                     : strcmp(comp, "output") == 0  ? &d->output_bytes
                     : strcmp(comp, "rs") == 0      ? &d->rs_bytes
                                                    : &d->other_bytes;
    if (!og_add_u64(*slot, bytes, slot) || !og_add_u64(d->total_bytes, bytes, &d->total_bytes))
        *slot = UINT64_MAX;
    const char *be = backend_of_buffer(dev);
    if (*be && strcmp(be, "cpu") != 0 && !sc->r->settings.backend[0])
        og_strlcpy(sc->r->settings.backend, be, sizeof sc->r->settings.backend);
}

/* ---- settings --------------------------------------------------------------- */

static void settings_line(scan *sc, const char *s, size_t n)
{
    og_log_settings *st = &sc->r->settings;
    int64_t v;
    if (kv_int(s, n, "n_ctx", &v))
        st->n_ctx = v;
    if (kv_int(s, n, "n_ctx_train", &v))
        st->n_ctx_train = v;
    if (kv_int(s, n, "n_batch", &v))
        st->n_batch = v;
    if (kv_int(s, n, "n_ubatch", &v))
        st->n_ubatch = v;
    if (int_after(s, n, "--ctx-size", &v) && st->n_ctx < 0)
        st->n_ctx = v;
    const char *p = find(s, n, "flash_attn");
    if (p) {
        const char *q = skip_ws(p + 10, s + n);
        if (q < s + n && *q == '=') {
            q = skip_ws(q + 1, s + n);
            size_t rest = (size_t)(s + n - q);
            if ((rest >= 1 && *q == '1') || (rest >= 7 && memcmp(q, "enabled", 7) == 0))
                st->flash_attn = 1;
            else if ((rest >= 1 && *q == '0') || (rest >= 8 && memcmp(q, "disabled", 8) == 0))
                st->flash_attn = 0;
        }
    }
    p = find(s, n, "offloaded ");
    if (p && has(s, n, "layers to GPU")) {
        uint64_t a, b;
        const char *after;
        if (parse_u64(p + 10, s + n, &a, &after) && after < s + n && *after == '/' &&
            parse_u64(after + 1, s + n, &b, NULL) && a <= INT32_MAX && b <= INT32_MAX) {
            st->layers_offloaded = (int32_t)a;
            st->layers_total = (int32_t)b;
        }
    }
    /* llama_kv_cache: size = ... (4096 cells, 32 layers, 1/1 seqs), K (f16): ..., V (f16): ... */
    if (has(s, n, " cells,")) {
        const char *c = find(s, n, " cells,");
        const char *b = c;
        while (b > s && b[-1] != '(')
            b--;
        uint64_t cells;
        if (b > s && parse_u64(b, c, &cells, NULL) && cells <= INT64_MAX)
            st->kv_cells = (int64_t)cells;
        copy_between(s, n, "K (", ")", st->type_k, sizeof st->type_k);
        copy_between(s, n, "V (", ")", st->type_v, sizeof st->type_v);
    }
    copy_between(s, n, "type_k = '", "'", st->type_k, sizeof st->type_k);
    copy_between(s, n, "type_v = '", "'", st->type_v, sizeof st->type_v);
    if (!copy_between(s, n, "tensors from ", " (version", st->model_path, sizeof st->model_path))
        if (!copy_between(s, n, "failed to create context with model '", "'", st->model_path,
                          sizeof st->model_path))
            copy_between(s, n, "failed to load model, '", "'", st->model_path,
                         sizeof st->model_path);
    if (has(s, n, "recommendedMaxWorkingSetSize")) {
        /* current ggml-metal-device.m divides by 1e6 ("MB" decimal) */
        const char *q = find(s, n, "recommendedMaxWorkingSetSize");
        const char *eq = find(q, (size_t)(s + n - q), "=");
        double w;
        if (eq && parse_num(eq + 1, s + n, &w, NULL))
            st->metal_working_set_bytes = to_bytes(w, 1e6);
        og_strlcpy(st->backend, "metal", sizeof st->backend);
    }
    if (has(s, n, "ROCm devices") || has(s, n, "ROCm0"))
        og_strlcpy(st->backend, "rocm", sizeof st->backend);
    else if (has(s, n, "CUDA devices") && !st->backend[0])
        og_strlcpy(st->backend, "cuda", sizeof st->backend);
    else if (has(s, n, "ggml_vulkan: Found") && !st->backend[0])
        og_strlcpy(st->backend, "vulkan", sizeof st->backend);
}

/* ---- the rules ---------------------------------------------------------------- */

static const char *gpu_id(const char *backend)
{
    if (strcmp(backend, "rocm") == 0)
        return "rocm_alloc_failed";
    if (strcmp(backend, "vulkan") == 0)
        return "vulkan_alloc_failed";
    if (strcmp(backend, "metal") == 0)
        return "metal_alloc_failed";
    if (strcmp(backend, "cpu") == 0)
        return "cpu_alloc_failed";
    return "cuda_alloc_failed";
}

static const char *ollama_or(const scan *sc, const char *engine)
{
    return sc->ollama ? "ollama" : engine;
}

/* The kernel's OOM killer prints one kill over several lines (mm/oom_kill.c
 * dump_header, dump_oom_summary, __oom_kill_process, Linux 6.x):
 *   "<comm> invoked oom-killer: gfp_mask=..., order=0, oom_score_adj=0"
 *   (a memory and task table of any length)
 *   "oom-kill:constraint=CONSTRAINT_NONE,...,task=llama-server,pid=41233,uid=1000"
 *   "Out of memory: Killed process 41233 (llama-server) total-vm:..kB,
 *    anon-rss:60123456kB, file-rss:..kB, shmem-rss:..kB, UID:1000 ..."
 * ("Memory cgroup out of memory: Killed process ..." inside a cgroup). They are
 * one finding: the victim's name and pid, and its anon-rss (what it held in RAM)
 * as requested_bytes. A new kill starts after a "Killed process" line. */
static void oom_kill_line(scan *sc, const char *s, size_t n, uint32_t ln)
{
    int killed = has(s, n, "Killed process ");
    og_log_finding *f = NULL;
    if (sc->oom_event >= 0 && !sc->oom_killed)
        f = &sc->r->findings[sc->oom_event];
    if (!f) {
        /* a new kill: its own finding (a kill of a different size never merges) */
        uint32_t before = sc->r->n_findings;
        int idx = add(sc, "oom_killer", OG_LOG_OOM, "kernel", "cpu", "unknown", ln, s, n,
                      UINT64_MAX - ln, 0, 0, -1);
        if (idx < 0)
            return;
        f = &sc->r->findings[idx];
        if (sc->r->n_findings == before) /* merged into an older kill: keep it apart */
            return;
        f->requested_bytes = 0;
        sc->oom_event = idx;
        sc->oom_killed = 0;
    }
    uint64_t v;
    if (u64_after(s, n, "pid=", &v) && v <= INT32_MAX && !f->pid)
        f->pid = (int32_t)v;
    const char *t = find(s, n, "task=");
    if (t && !f->process[0]) {
        t += 5;
        size_t k = 0;
        while (t + k < s + n && t[k] != ',' && k + 1 < sizeof f->process)
            k++;
        memcpy(f->process, t, k);
        f->process[k] = 0;
    }
    if (killed) {
        const char *p = find(s, n, "Killed process ");
        const char *after;
        uint64_t pid;
        if (p && parse_u64(p + 15, s + n, &pid, &after) && pid <= INT32_MAX) {
            f->pid = (int32_t)pid;
            after = skip_ws(after, s + n);
            if (after < s + n && *after == '(') {
                const char *e = after + 1;
                while (e < s + n && *e != ')')
                    e++;
                size_t k = (size_t)(e - after - 1);
                if (e < s + n && k > 0) {
                    if (k >= sizeof f->process)
                        k = sizeof f->process - 1;
                    memcpy(f->process, after + 1, k);
                    f->process[k] = 0;
                }
            }
        }
        if (u64_after(s, n, "anon-rss:", &v) && v <= UINT64_MAX / 1024)
            f->requested_bytes = v * 1024; /* printed in kB (K(...) = pages << 2) */
        trimmed_copy(f->text, sizeof f->text, s, n);
        f->line = ln;
        sc->oom_killed = 1;
    }
}

/* A Metal status-5 line whose next line did not say otherwise: an
 * out-of-memory in the old format (no kIOGPU line follows). */
static void flush_metal_status(scan *sc)
{
    if (!sc->cb_pending)
        return;
    sc->cb_pending = 0;
    add(sc, "metal_gpu_oom", OG_LOG_OOM,
        sc->mlx_line && sc->cb_pending_line - sc->mlx_line <= 3 ? "mlx"
                                                                : ollama_or(sc, "llama.cpp"),
        "metal", "unknown", sc->cb_pending_line, sc->cb_text, sc->cb_n, 0,
        sc->r->settings.metal_working_set_bytes, 0, -1);
}

static void scan_line(scan *sc, const char *s, size_t n, uint32_t ln)
{
    og_log_settings *st = &sc->r->settings;
    const char *end = s + n;
    int idx;

    if (sc->cb_pending && !has(s, n, "kIOGPUCommandBufferCallbackErrorOutOfMemory")) {
        /* "error: Internal Error (0000000e:...)", "Caused GPU Timeout Error": not memory */
        if ((has(s, n, "error: ") || has(s, n, "Error")) && has(s, n, "(0000000"))
            sc->cb_pending = 0;
        else
            flush_metal_status(sc);
    }

    if (has(s, n, "level=") && has(s, n, "source=") && has(s, n, "msg="))
        sc->ollama = 1; /* Ollama's server log format */
    if (has(s, n, "llama runner") || has(s, n, "ollama"))
        sc->ollama = 1;
    if (has(s, n, "LM Studio") || has(s, n, "LMSInternal") || has(s, n, "llmworker"))
        sc->lmstudio = 1;
    if (has(s, n, "[METAL]") || has(s, n, "[metal::") || has(s, n, "mlx::core") ||
        has(s, n, "mlx.core") || has(s, n, "mlx_lm"))
        sc->mlx_line = ln;

    if (has(s, n, "loading model tensors"))
        sc->stage = ST_WEIGHTS;
    if (has(s, n, "constructing llama_context") || has(s, n, "KV buffer size") ||
        kv_int(s, n, "n_ctx", &(int64_t){0}))
        sc->stage = ST_CONTEXT;

    settings_line(sc, s, n);
    if (has(s, n, " buffer size =") && !has(s, n, "failed"))
        buffer_line(sc, s, n);

    /* ---- MLX ---- */
    if (has(s, n, "bytes which is greater than the maximum allowed buffer size of")) {
        uint64_t req = 0, lim = 0;
        u64_after(s, n, "Attempting to allocate ", &req);
        u64_after(s, n, "maximum allowed buffer size of ", &lim);
        add(sc, "mlx_buffer_too_large", OG_LOG_OOM, "mlx", "metal", "unknown", ln, s, n, req, lim,
            0, -1);
        return;
    }
    if (has(s, n, "] Resource limit (") && has(s, n, ") exceeded")) {
        idx = add(sc, "mlx_resource_limit", OG_LOG_OOM, "mlx", "metal", "unknown", ln, s, n, 0, 0,
                  0, -1);
        uint64_t cnt;
        if (idx >= 0 && u64_after(s, n, "] Resource limit (", &cnt))
            sc->r->findings[idx].resource_count = cnt;
        return;
    }
    if ((has(s, n, "[malloc] Unable to allocate ") ||
         has(s, n, "[malloc_or_wait] Unable to allocate ") ||
         has(s, n, "[metal::malloc] Unable to allocate ")) &&
        has(s, n, " bytes")) {
        uint64_t req = 0;
        u64_after(s, n, "Unable to allocate ", &req);
        add(sc, "mlx_malloc_failed", OG_LOG_OOM, "mlx", "metal", "unknown", ln, s, n, req, 0, 0,
            -1);
        return;
    }
    if (has(s, n, "Setting a wired limit larger than the maximum working set size")) {
        add(sc, "mlx_wired_limit_rejected", OG_LOG_WARNING, "mlx", "metal", "unknown", ln, s, n, 0,
            0, 0, -1);
        return;
    }
    if (has(s, n, "Generating with a model that requires ") &&
        has(s, n, "which is close to the maximum recommended size of ")) {
        /* mlx-lm: MB here is bytes // 2**20 */
        uint64_t req = size_after(s, n, "requires ", 0, MIB);
        uint64_t lim = size_after(s, n, "maximum recommended size of ", 0, MIB);
        add(sc, "mlx_working_set_warning", OG_LOG_WARNING, "mlx-lm", "metal", "weights", ln, s, n,
            req, lim, 0, -1);
        return;
    }
    /* A Metal command buffer that failed at run time. Current llama.cpp prints
     * "command buffer %d failed with status %d" next to "error: Insufficient
     * Memory (...kIOGPUCommandBufferCallbackErrorOutOfMemory)"; old llama.cpp and
     * Ollama builds (ggml_metal_graph_compute) print only the status line,
     * status 5 = MTLCommandBufferStatusError. A status line and a kIOGPU line
     * next to each other are one failure; a status line whose next line names
     * another error (Internal Error, GPU Timeout) is not an out-of-memory. MLX's
     * own abort says "[METAL] Command buffer execution failed". */
    if (has(s, n, "kIOGPUCommandBufferCallbackErrorOutOfMemory")) {
        int after_status = sc->cb_pending;
        sc->cb_pending = 0;
        if (!after_status && sc->cb_oom_line && ln - sc->cb_oom_line == 1 && sc->cb_oom_status)
            return; /* already counted with its status line */
        sc->cb_oom_line = ln;
        sc->cb_oom_status = 0;
        int mlx = has(s, n, "[METAL] Command buffer execution failed") ||
                  (sc->mlx_line && ln - sc->mlx_line <= 3);
        add(sc, "metal_gpu_oom", OG_LOG_OOM, mlx ? "mlx" : ollama_or(sc, "llama.cpp"), "metal",
            "unknown", ln, after_status ? sc->cb_text : s, after_status ? sc->cb_n : n, 0,
            st->metal_working_set_bytes, 0, -1);
        return;
    }
    if (has(s, n, "command buffer ") && has(s, n, "failed with status 5")) {
        if (sc->cb_oom_line && ln - sc->cb_oom_line == 1 && !sc->cb_oom_status) {
            sc->cb_oom_status = 1; /* the status line after its kIOGPU line */
            return;
        }
        sc->cb_pending = 1; /* decided by the next line */
        sc->cb_pending_line = ln;
        sc->cb_n = n < sizeof sc->cb_text ? n : sizeof sc->cb_text;
        memcpy(sc->cb_text, s, sc->cb_n);
        return;
    }

    /* ---- llama.cpp on Metal ---- */
    if (has(s, n, "failed to allocate buffer, size =")) {
        uint64_t req = size_after(s, n, "size =", 0, MIB);
        idx = add(sc, "metal_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "metal",
                  "unknown", ln, s, n, req, st->metal_working_set_bytes, 0, -1);
        alloc_failure(sc, idx, ln);
        return;
    }
    if (has(s, n, "is larger than buffer maximum of")) {
        uint64_t req = 0, lim = 0;
        u64_after(s, n, "size ", &req);
        u64_after(s, n, "buffer maximum of ", &lim);
        idx = add(sc, "metal_buffer_too_large", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "metal",
                  "unknown", ln, s, n, req, lim, 0, -1);
        alloc_failure(sc, idx, ln);
        return;
    }
    if (has(s, n, "current allocated size is greater than the recommended max working set size")) {
        add(sc, "metal_over_working_set", OG_LOG_WARNING, ollama_or(sc, "llama.cpp"), "metal",
            "unknown", ln, s, n, 0, st->metal_working_set_bytes, 0, -1);
        return;
    }

    /* ---- Ollama / LM Studio wrappers (before the generic words they contain) ---- */
    if (has(s, n, "model requires more system memory (") && has(s, n, "than is available (")) {
        uint64_t req = size_after(s, n, "system memory (", 0, GIB);
        uint64_t avail = size_after(s, n, "than is available (", 0, GIB);
        add(sc, "ollama_system_memory", OG_LOG_OOM, "ollama", "", "model", ln, s, n, req, 0, avail,
            -1);
        return;
    }
    if (has(s, n, "memory layout cannot be allocated")) {
        add(sc, "ollama_layout", OG_LOG_OOM, "ollama", st->backend, "model", ln, s, n, 0, 0, 0, -1);
        return;
    }
    if (has(s, n, "insufficient memory - required allocations")) {
        add(sc, "ollama_insufficient_memory", OG_LOG_OOM, "ollama", st->backend, "model", ln, s, n,
            0, 0, 0, -1);
        return;
    }
    if (has(s, n, "llama runner process has terminated")) {
        /* llm/status.go's OOM words */
        static const char *words[] = {"out of memory",          "out of device memory",
                                      "cudaMalloc failed",      "hipMalloc failed",
                                      "failed to allocate",     "allocation failed",
                                      "not enough memory",      "insufficient memory",
                                      "ErrorOutOfDeviceMemory", "ErrorOutOfMemory"};
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (has(s, n, words[i])) {
                const char *be = has(s, n, "CUDA")                       ? "cuda"
                                 : has(s, n, "ROCm") || has(s, n, "hip") ? "rocm"
                                 : has(s, n, "Vulkan") || has(s, n, "ErrorOutOfDeviceMemory")
                                     ? "vulkan"
                                     : st->backend;
                add(sc, "ollama_runner_oom", OG_LOG_OOM, "ollama", be, "unknown", ln, s, n, 0, 0, 0,
                    -1);
                return;
            }
        return;
    }
    if (has(s, n, "insufficient system resources") || has(s, n, "Not enough resources to load")) {
        uint64_t req = size_after(s, n, "requires approximately ", 1, 1e9);
        add(sc, "lmstudio_guardrail", OG_LOG_OOM, "lmstudio", "", "model", ln, s, n, req, 0, 0, -1);
        return;
    }

    /* ---- CUDA / ROCm ---- */
    if (has(s, n, "cudaMalloc failed") || has(s, n, "hipMalloc failed")) {
        if (!has(s, n, "out of memory") && !has(s, n, "hipErrorOutOfMemory") &&
            !has(s, n, "OutOfMemory"))
            return; /* a different CUDA error: not ours */
        uint64_t req = size_after(s, n, "allocating ", 0, MIB);
        int64_t dev = -1;
        int_after(s, n, " on device ", &dev);
        const char *be =
            has(s, n, "hipMalloc") || strcmp(st->backend, "rocm") == 0 ? "rocm" : "cuda";
        idx = add(sc, gpu_id(be), OG_LOG_OOM, ollama_or(sc, "llama.cpp"), be, "unknown", ln, s, n,
                  req, 0, 0, (int32_t)dev);
        alloc_failure(sc, idx, ln);
        return;
    }
    if (has(s, n, "CUDA error: out of memory") || has(s, n, "ROCm error: out of memory")) {
        const char *be = has(s, n, "ROCm") ? "rocm" : "cuda";
        add(sc, strcmp(be, "rocm") == 0 ? "rocm_runtime_oom" : "cuda_runtime_oom", OG_LOG_OOM,
            ollama_or(sc, "llama.cpp"), be, "compute", ln, s, n, 0, 0, 0, -1);
        return;
    }

    /* ---- Vulkan ---- */
    if (has(s, n, "Device memory allocation of size ") && has(s, n, "failed")) {
        uint64_t req = 0;
        u64_after(s, n, "allocation of size ", &req);
        idx = add(sc, "vulkan_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "vulkan",
                  "unknown", ln, s, n, req, 0, 0, -1);
        alloc_failure(sc, idx, ln);
        return;
    }
    if (has(s, n, "Requested buffer size exceeds device")) {
        /* ggml-vulkan.cpp ggml_vk_create_buffer throws "Requested buffer size
         * exceeds device memory allocation limit" (older: "device buffer size
         * limit") when one buffer is larger than maxMemoryAllocationSize; the
         * caller prints it right after "Device memory allocation of size N
         * failed.": that failure's cause is this limit, not a full device. */
        if (sc->pinned_line && ln - sc->pinned_line <= 1)
            return; /* pinned host memory: llama.cpp falls back to plain memory */
        int r = recent_alloc(sc, ln);
        if (r >= 0 && strcmp(sc->r->findings[r].backend, "vulkan") == 0) {
            og_log_finding *f = &sc->r->findings[r];
            og_strlcpy(f->id, "vulkan_buffer_limit", sizeof f->id);
            trimmed_copy(f->text, sizeof f->text, s, n);
            return;
        }
        idx = add(sc, "vulkan_buffer_limit", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "vulkan",
                  "unknown", ln, s, n, 0, 0, 0, -1);
        alloc_failure(sc, idx, ln);
        return;
    }
    if (has(s, n, "Failed to allocate pinned memory")) {
        sc->pinned_line = ln;
        add(sc, "vulkan_pinned_fallback", OG_LOG_INFO, "llama.cpp", "vulkan", "unknown", ln, s, n,
            0, 0, 0, -1);
        return;
    }
    if (has(s, n, "ErrorOutOfDeviceMemory") || has(s, n, "VK_ERROR_OUT_OF_DEVICE_MEMORY")) {
        if (recent_alloc(sc, ln) >= 0 &&
            strcmp(sc->r->findings[sc->last_alloc].backend, "vulkan") == 0)
            return; /* the same allocation, already counted */
        idx = add(sc, "vulkan_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "vulkan",
                  "unknown", ln, s, n, 0, 0, 0, -1);
        alloc_failure(sc, idx, ln);
        return;
    }

    /* ---- ggml generic: "failed to allocate <BUF> buffer of size N" ---- */
    {
        const char *p = find(s, n, "failed to allocate ");
        const char *q = p ? find(p, (size_t)(end - p), " buffer of size ") : NULL;
        if (p && q && q > p + 19 && q - (p + 19) < 32 &&
            !has(p + 19, (size_t)(q - (p + 19)), " ")) {
            char buf[32];
            size_t k = (size_t)(q - (p + 19));
            memcpy(buf, p + 19, k);
            buf[k] = 0;
            uint64_t req = 0;
            parse_u64(q + 16, end, &req, NULL);
            int r = recent_alloc(sc, ln);
            if (r >= 0) {
                og_log_finding *f = &sc->r->findings[r];
                og_strlcpy(f->buffer, buf, sizeof f->buffer);
                if (req)
                    f->requested_bytes = req;
                const char *be = backend_of_buffer(buf);
                if (*be && strcmp(be, f->backend) != 0 && strcmp(f->backend, "metal") != 0) {
                    og_strlcpy(f->backend, be, sizeof f->backend);
                    og_strlcpy(f->id, gpu_id(be), sizeof f->id);
                }
                return;
            }
            const char *be = backend_of_buffer(buf);
            idx = add(sc, *be ? gpu_id(be) : "buffer_alloc_failed", OG_LOG_OOM,
                      ollama_or(sc, "llama.cpp"), be, "unknown", ln, s, n, req, 0, 0, -1);
            if (idx >= 0)
                og_strlcpy(sc->r->findings[idx].buffer, buf, sizeof sc->r->findings[idx].buffer);
            alloc_failure(sc, idx, ln);
            return;
        }
    }
    /* ggml CPU backend: "failed to allocate buffer of size N" */
    if (has(s, n, "failed to allocate buffer of size ")) {
        uint64_t req = 0;
        u64_after(s, n, "buffer of size ", &req);
        if (recent_alloc(sc, ln) >= 0)
            return;
        idx = add(sc, "cpu_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "cpu", "unknown",
                  ln, s, n, req, 0, 0, -1);
        if (idx >= 0)
            og_strlcpy(sc->r->findings[idx].buffer, "CPU", sizeof sc->r->findings[idx].buffer);
        alloc_failure(sc, idx, ln);
        return;
    }

    /* ---- which component a failure was for (llama.cpp follow-up lines) ---- */
    if (has(s, n, "failed to allocate buffer for kv cache") ||
        has(s, n, "failed to allocate buffer for KV cache") ||
        has(s, n, "llama_kv_cache_init() failed")) {
        refine(sc, "kv_cache", ln);
        return;
    }
    if (has(s, n, "failed to allocate buffer for rs cache")) {
        refine(sc, "rs_cache", ln);
        return;
    }
    if (has(s, n, "failed to allocate compute") || has(s, n, "failed to allocate graph")) {
        refine(sc, "compute", ln);
        return;
    }
    if (has(s, n, "failed to allocate output buffer")) {
        if (sc->pending >= 0) {
            refine(sc, "output", ln);
        } else {
            uint64_t req = size_after(s, n, "output buffer of size ", 0, MIB);
            add(sc, "output_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), st->backend,
                "output", ln, s, n, req, 0, 0, -1);
        }
        return;
    }
    if (has(s, n, "unable to allocate") && has(s, n, " buffer")) {
        refine(sc, "weights", ln);
        return;
    }

    /* ---- CPU / system RAM ---- */
    if (has(s, n, "std::bad_alloc")) {
        if (has(s, n, "what():"))
            return; /* libstdc++ prints the exception twice */
        add(sc, "cpu_bad_alloc", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "cpu", "unknown", ln, s, n,
            0, 0, 0, -1);
        return;
    }
    if (has(s, n, "Out of memory: Killed process") ||
        has(s, n,
            "Memory cgroup out of memory: "
            "Killed process") ||
        has(s, n, "oom-kill:") || has(s, n, "invoked oom-killer")) {
        oom_kill_line(sc, s, n, ln);
        return;
    }
    if (has(s, n, "Cannot allocate memory") && (has(s, n, "mmap") || has(s, n, "alloc"))) {
        add(sc, "cpu_alloc_failed", OG_LOG_OOM, ollama_or(sc, "llama.cpp"), "cpu", "unknown", ln, s,
            n, 0, 0, 0, -1);
        return;
    }

    /* ---- benign ---- */
    if (has(s, n, "failed to fit params to free device memory")) {
        add(sc, "llama_fit_gave_up", OG_LOG_INFO, "llama.cpp", st->backend, "unknown", ln, s, n, 0,
            0, 0, -1);
        return;
    }

    /* LM Studio's generic load failure with an out-of-memory reason */
    if ((has(s, n, "Failed to load model") || has(s, n, "Failed to load the model")) &&
        (has(s, n, "insufficient memory") || has(s, n, "out of memory") ||
         has(s, n, "unable to allocate"))) {
        add(sc, "lmstudio_load_oom", OG_LOG_OOM, "lmstudio", st->backend, "model", ln, s, n, 0, 0,
            0, -1);
        return;
    }
}

/* ---- driver --------------------------------------------------------------------- */

/* The line at text[i]: its length without "\r" in *n; returns where the next
 * one starts. */
static size_t next_line(const char *text, size_t len, size_t i, size_t *n)
{
    size_t j = i;
    while (j < len && text[j] != '\n' && text[j] != '\0')
        j++;
    *n = j - i;
    if (*n && text[i + *n - 1] == '\r')
        (*n)--;
    return j + 1;
}

/* The first line of an abort message that a terminal or a log viewer may
 * have wrapped (MLX and ggml throw C++ exceptions; Python prints them). */
static int abort_start(const char *s, size_t n)
{
    return has(s, n, "libc++abi: terminating") || has(s, n, "std::runtime_error") ||
           has(s, n, "[METAL") || has(s, n, "[metal::") || has(s, n, "RuntimeError:");
}

/* Does this line continue the one before (a wrapped message), rather than
 * start a record of its own ("ggml_...: ", "time=...", "RuntimeError: ...")? */
static int continuation(const char *s, size_t n)
{
    if (n == 0 || s[0] == '[')
        return 0;
    if (has(s, n, "ggml_") || has(s, n, "llama_") || has(s, n, "time=") || has(s, n, "Traceback") ||
        has(s, n, "libc++abi") || has(s, n, "File \""))
        return 0;
    /* "Word: " or "word_word: " at the start is a new record */
    size_t k = 0;
    while (k < n && k < 40 &&
           ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
            (s[k] >= '0' && s[k] <= '9') || s[k] == '_' || s[k] == '.'))
        k++;
    if (k > 0 && k + 1 < n && s[k] == ':' && s[k + 1] == ' ')
        return 0;
    return 1;
}

og_status og_explain_text(const char *text, size_t len, og_log_report *r, og_error *err)
{
    if (!r || (!text && len > 0))
        return og_error_set(err, OG_ERR_INVALID, "explain: no log text given");
    memset(r, 0, sizeof *r);
    r->headline = -1;
    og_log_settings *st = &r->settings;
    st->n_ctx = st->n_ctx_train = st->n_batch = st->n_ubatch = st->kv_cells = -1;
    st->layers_offloaded = st->layers_total = -1;
    st->flash_attn = -1;

    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.r = r;
    sc.last_alloc = sc.pending = sc.oom_event = -1;

    size_t i = 0;
    uint32_t ln = 0;
    char *joined = NULL; /* an abort message wrapped over several lines, in one */
    while (i < len) {
        size_t n, j = next_line(text, len, i, &n);
        if (ln < UINT32_MAX)
            ln++;
        const char *line = text + i;
        if (n > LINE_MAX_SCAN)
            n = LINE_MAX_SCAN;
        if (abort_start(line, n) && j < len) {
            uint32_t first = ln;
            if (!joined)
                joined = malloc(LINE_MAX_SCAN);
            size_t jn = 0;
            if (joined) {
                memcpy(joined, line, n);
                jn = n;
            }
            size_t prev_n = n;
            for (int extra = 0; joined && extra < 2 && j < len; extra++) {
                size_t cn, cj = next_line(text, len, j, &cn);
                const char *c = text + j;
                if (!continuation(c, cn))
                    break;
                /* a hard wrap at the terminal's width splits words: join tight */
                int tight = prev_n >= 70 || c[0] == ' ' || c[0] == '\t';
                if (jn + (tight ? 0 : 1) + cn > LINE_MAX_SCAN)
                    break;
                if (!tight)
                    joined[jn++] = ' ';
                memcpy(joined + jn, c, cn);
                jn += cn;
                prev_n = cn;
                j = cj;
                if (ln < UINT32_MAX)
                    ln++;
            }
            if (joined && jn > n) {
                scan_line(&sc, joined, jn, first);
                i = j;
                continue;
            }
        }
        scan_line(&sc, line, n, ln);
        i = j;
    }
    free(joined);
    flush_metal_status(&sc);
    r->lines = ln;

    /* a failure whose component no later line named: the stage it happened in */
    for (uint32_t k = 0; k < r->n_findings; k++) {
        og_log_finding *f = &r->findings[k];
        if (strcmp(f->component, "unknown") == 0 && sc.stage_at[k] == ST_WEIGHTS &&
            strstr(f->id, "alloc_failed"))
            og_strlcpy(f->component, "weights", sizeof f->component);
    }
    for (uint32_t k = 0; k < r->n_findings && r->headline < 0; k++)
        if (r->findings[k].severity == OG_LOG_OOM)
            r->headline = (int32_t)k;
    r->oom = r->headline >= 0;
    for (uint32_t k = 0; k < r->n_findings && r->headline < 0; k++)
        if (r->findings[k].severity == OG_LOG_WARNING)
            r->headline = (int32_t)k;
    og_explain_advise(r);
    og_error_clear(err);
    return OG_OK;
}

og_status og_explain_file(const char *path, uint64_t max_bytes, og_log_report *r, og_error *err)
{
    if (!path || !r)
        return og_error_set(err, OG_ERR_INVALID, "explain: no log file given");
    if (max_bytes == 0)
        max_bytes = 256ull << 20;
    /* O_NONBLOCK: a FIFO opens at once and is refused below instead of blocking */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return og_error_set(err, e == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", path,
                            strerror(e));
    }
    struct stat stt;
    if (fstat(fileno(f), &stt) != 0 || !S_ISREG(stt.st_mode)) {
        fclose(f);
        return og_error_set(err, OG_ERR_IO, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)stt.st_size, start = 0;
    if (size > max_bytes) {
        start = size - max_bytes; /* the crash is at the end */
        size = max_bytes;
    }
    if (size > SIZE_MAX - 1) {
        fclose(f);
        return og_error_set(err, OG_ERR_INVALID, "%s: too large", path);
    }
    char *buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return og_error_set(err, OG_ERR_NOMEM, "%s: cannot allocate %llu bytes", path,
                            (unsigned long long)size);
    }
    if (start && fseeko(f, (off_t)start, SEEK_SET) != 0) {
        free(buf);
        fclose(f);
        return og_error_set(err, OG_ERR_IO, "%s: seek failed", path);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return og_error_set(err, OG_ERR_IO, "%s: read error", path);
    }
    og_status st = og_explain_text(buf, got, r, err);
    free(buf);
    return st;
}
