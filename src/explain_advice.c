/* oomguard explain: what each recognised signature means and what to change.
 *
 * The advice names the engine's own options: llama.cpp common/arg.cpp (-c,
 * -ngl, -ub, -ctk/-ctv, -fa), mlx-lm generate/server (--max-kv-size,
 * --kv-bits, --prefill-step-size, --prompt-cache-size), Ollama's num_ctx /
 * num_gpu / OLLAMA_CONTEXT_LENGTH / OLLAMA_GPU_OVERHEAD (ollama/ollama
 * envconfig), LM Studio's load settings (Context Length, GPU Offload).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "explain_internal.h"
#include "og_internal.h"
#include "oomguard/units.h"

#define SZ(b, buf) og_format_bytes((b), (buf), sizeof(buf))

static void set(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

static const char *gpu_pool(const char *backend)
{
    if (strcmp(backend, "metal") == 0)
        return "GPU working set (unified memory, iogpu.wired_limit_mb)";
    if (strcmp(backend, "cpu") == 0)
        return "system RAM";
    if (strcmp(backend, "vulkan") == 0)
        return "GPU memory (Vulkan device heap)";
    if (strcmp(backend, "rocm") == 0)
        return "GPU memory (VRAM, or GTT on an APU)";
    return "GPU memory (VRAM)";
}

static const char *component_words(const char *c)
{
    if (strcmp(c, "weights") == 0)
        return "the model weights";
    if (strcmp(c, "kv_cache") == 0)
        return "the KV cache";
    if (strcmp(c, "compute") == 0)
        return "the compute (scratch) buffers";
    if (strcmp(c, "output") == 0)
        return "the output (logits) buffer";
    if (strcmp(c, "rs_cache") == 0)
        return "the recurrent-state cache";
    if (strcmp(c, "model") == 0)
        return "the model with its context";
    return "a buffer";
}

/* The fix for a llama.cpp allocation that failed, by component. */
static void llama_fix(const og_log_finding *f, const og_log_settings *st, char *out, size_t n)
{
    const char *c = f->component;
    int metal = strcmp(f->backend, "metal") == 0;
    int cpu = strcmp(f->backend, "cpu") == 0;
    const char *more = metal ? " Or raise the GPU wired limit: oomguard wired --recommend."
                       : cpu ? " Close other programs (oomguard top) or use a smaller quant."
                             : " Close other programs using the GPU (oomguard top, nvidia-smi).";
    if (strcmp(c, "kv_cache") == 0) {
        if (st->n_ctx > 0)
            set(out, n,
                "Lower the context: -c %lld (now n_ctx=%lld) halves the KV cache; or quantize it "
                "with -ctk q8_0 -ctv q8_0 -fa on (half of f16%s).%s",
                (long long)(st->n_ctx / 2), (long long)st->n_ctx,
                st->type_k[0] ? (strcmp(st->type_k, "f16") == 0 ? ", the current type" : "") : "",
                more);
        else
            set(out, n,
                "Lower the context (-c) — the KV cache grows linearly with it — or quantize it "
                "with -ctk q8_0 -ctv q8_0 -fa on.%s",
                more);
    } else if (strcmp(c, "compute") == 0) {
        set(out, n,
            "Lower the micro-batch: -ub %lld (now n_ubatch=%lld) shrinks the compute buffers; "
            "turn on flash attention (-fa on) and lower the context (-c) if it is large.%s",
            st->n_ubatch > 64 ? (long long)(st->n_ubatch / 2) : 256LL,
            st->n_ubatch > 0 ? (long long)st->n_ubatch : 512LL, more);
    } else if (strcmp(c, "output") == 0) {
        set(out, n,
            "Lower the batch (-b) and the number of parallel sequences (-np): the output "
            "buffer holds n_vocab logits per output row.%s",
            more);
    } else if (strcmp(c, "weights") == 0) {
        if (cpu)
            set(out, n,
                "The weights do not fit in system RAM: use a smaller quant (oomguard fit MODEL "
                "lists what fits), keep mmap on (no --no-mmap / --mlock), close other programs.");
        else if (st->layers_offloaded > 0)
            set(out, n,
                "Offload fewer layers: -ngl %d or lower (now %d/%d on the GPU); the rest run "
                "from system RAM. Or use a smaller quant (oomguard fit MODEL).%s",
                st->layers_offloaded * 3 / 4, st->layers_offloaded, st->layers_total, more);
        else
            set(out, n,
                "Offload fewer layers (lower -ngl) so the rest stay in system RAM, or use a "
                "smaller quant (oomguard fit MODEL).%s",
                more);
    } else {
        set(out, n,
            "Lower the context (-c) or the layers on the GPU (-ngl), or use a smaller quant "
            "(oomguard fit MODEL shows the largest that fits).%s",
            more);
    }
}

static uint32_t wired_for(uint64_t need_bytes)
{
    /* model + 20 %, rounded up to a whole GiB, in MiB */
    uint64_t need = need_bytes + need_bytes / 5;
    uint64_t gib = (need + (1ull << 30) - 1) >> 30;
    return (uint32_t)(gib * 1024);
}

void og_explain_advise(og_log_report *r)
{
    const og_log_settings *st = &r->settings;
    for (uint32_t i = 0; i < r->n_findings; i++) {
        og_log_finding *f = &r->findings[i];
        char a[32], b[32];
        const char *id = f->id;
        size_t wn = sizeof f->what, fn = sizeof f->fix;
        og_strlcpy(f->pool, gpu_pool(f->backend), sizeof f->pool);

        if (strcmp(id, "mlx_buffer_too_large") == 0) {
            og_strlcpy(f->pool, "Metal largest single buffer (maxBufferLength)", sizeof f->pool);
            set(f->what, wn,
                "MLX asked Metal for one buffer of %s, more than the largest single buffer this "
                "Mac allows (%s). This is one array, not the total: usually the KV cache or the "
                "attention scores of a long prompt.",
                SZ(f->requested_bytes, a), SZ(f->limit_bytes, b));
            set(f->fix, fn,
                "Process the prompt in smaller chunks (mlx-lm --prefill-step-size 512), cap the "
                "cache (--max-kv-size N) or shorten the prompt; a quantized model shrinks the "
                "largest weight. Raising iogpu.wired_limit_mb is not known to raise this limit.");
        } else if (strcmp(id, "mlx_resource_limit") == 0) {
            og_strlcpy(f->pool, "Metal resource count (iogpu.rsrc_limit)", sizeof f->pool);
            set(f->what, wn,
                "MLX reached the Metal resource limit (%llu live buffers): too many arrays alive "
                "at once, not too many bytes.",
                (unsigned long long)f->resource_count);
            set(f->fix, fn,
                "Bound the MLX buffer cache (mx.set_cache_limit) and clear it between requests "
                "(mx.clear_cache()); cap the mlx-lm server prompt cache (--prompt-cache-size, "
                "--prompt-cache-bytes); update MLX.");
        } else if (strcmp(id, "mlx_malloc_failed") == 0) {
            og_strlcpy(f->pool, "unified memory (MLX memory limit)", sizeof f->pool);
            set(f->what, wn,
                "Metal returned no buffer for an allocation of %s: unified memory is exhausted "
                "(model + KV cache + other apps exceed what macOS can give).",
                SZ(f->requested_bytes, a));
            set(f->fix, fn,
                "Use a smaller or 4-bit model (mlx-community/<model>-4bit), cap the KV cache "
                "(--max-kv-size, --kv-bits 8), close memory-heavy apps (oomguard top); "
                "oomguard doctor MODEL checks the rest.");
        } else if (strcmp(id, "mlx_wired_limit_rejected") == 0) {
            set(f->what, wn,
                "mx.set_wired_limit was asked for more than Metal's recommended working set; "
                "MLX refuses that.");
            set(f->fix, fn,
                "Raise the system ceiling first: sudo sysctl iogpu.wired_limit_mb=N (oomguard "
                "wired --recommend gives N), then restart the process.");
        } else if (strcmp(id, "mlx_working_set_warning") == 0) {
            set(f->what, wn,
                "mlx-lm: the weights (%s) are above 90 %% of Metal's recommended working set "
                "(%s). Generation will crawl or fail with Insufficient Memory once the KV cache "
                "grows.",
                SZ(f->requested_bytes, a), SZ(f->limit_bytes, b));
            set(f->fix, fn,
                "Raise the GPU wired limit above the model: sudo sysctl iogpu.wired_limit_mb=%u "
                "(weights + 20 %%; keep at least 8 GiB for macOS — oomguard wired --recommend "
                "checks it against this Mac's RAM), or use a smaller quant.",
                wired_for(f->requested_bytes));
        } else if (strcmp(id, "metal_gpu_oom") == 0) {
            set(f->what, wn,
                "The GPU ran out of memory while running (a Metal command buffer failed: "
                "status 5 / kIOGPUCommandBufferCallbackErrorOutOfMemory): the wired GPU "
                "working set%s%s%s was exhausted, usually by the KV cache growing with the "
                "prompt or by other apps.",
                f->limit_bytes ? " (" : "", f->limit_bytes ? SZ(f->limit_bytes, a) : "",
                f->limit_bytes ? ")" : "");
            set(f->fix, fn,
                "Raise the wired limit (oomguard wired --recommend; sudo sysctl "
                "iogpu.wired_limit_mb=N), close GPU-heavy apps (oomguard top), lower the context "
                "(llama.cpp -c; mlx-lm --max-kv-size) or quantize the KV cache (mlx-lm "
                "--kv-bits 8; llama.cpp -ctk q8_0 -ctv q8_0 -fa on).");
        } else if (strcmp(id, "metal_over_working_set") == 0) {
            set(f->what, wn,
                "llama.cpp allocated more than Metal's recommended working set%s%s%s; the "
                "process may page or fail at run time.",
                f->limit_bytes ? " (" : "", f->limit_bytes ? SZ(f->limit_bytes, a) : "",
                f->limit_bytes ? ")" : "");
            set(f->fix, fn,
                "Raise the wired limit (oomguard wired --recommend), or lower -c / -ngl.");
        } else if (strcmp(id, "metal_buffer_too_large") == 0) {
            og_strlcpy(f->pool, "Metal largest single buffer (maxBufferLength)", sizeof f->pool);
            set(f->what, wn, "One Metal buffer of %s is larger than the device maximum of %s.",
                SZ(f->requested_bytes, a), SZ(f->limit_bytes, b));
            set(f->fix, fn,
                "Update llama.cpp (current builds split the weights into several buffers), or "
                "lower the context (-c).");
        } else if (strcmp(id, "vulkan_buffer_limit") == 0) {
            og_strlcpy(f->pool, "Vulkan largest single allocation", sizeof f->pool);
            set(f->what, wn,
                "A single Vulkan buffer%s%s%s is larger than the driver allows in one "
                "allocation (maxMemoryAllocationSize / max buffer size); total VRAM may be "
                "fine.",
                f->requested_bytes ? " of " : "",
                f->requested_bytes ? SZ(f->requested_bytes, a) : "", "");
            set(f->fix, fn,
                "Shrink the largest buffer: lower -ub (compute buffer) and -c; with a huge "
                "vocabulary keep the output layer on the CPU.");
        } else if (strcmp(id, "vulkan_pinned_fallback") == 0) {
            og_strlcpy(f->pool, "pinned host memory", sizeof f->pool);
            set(f->what, wn,
                "Vulkan could not pin host memory and fell back to a normal allocation. This is "
                "not an out-of-memory failure.");
            set(f->fix, fn, "Nothing to change; it costs a little transfer speed.");
        } else if (strcmp(id, "cuda_runtime_oom") == 0 || strcmp(id, "rocm_runtime_oom") == 0) {
            set(f->what, wn,
                "%s ran out of device memory at run time, after the model's buffers were "
                "allocated: cuBLAS/hipBLAS workspaces, the memory pool or another process took "
                "the rest of the GPU.",
                strcmp(id, "rocm_runtime_oom") == 0 ? "ROCm" : "CUDA");
            set(f->fix, fn,
                "Leave headroom: lower -ngl by a few layers or lower -c/-ub; close other GPU "
                "processes (nvidia-smi, oomguard top); for Ollama lower num_gpu or set "
                "OLLAMA_GPU_OVERHEAD.");
        } else if (strcmp(id, "cpu_bad_alloc") == 0 || strcmp(id, "oom_killer") == 0 ||
                   (strcmp(id, "cpu_alloc_failed") == 0 && strcmp(f->component, "unknown") == 0)) {
            og_strlcpy(f->pool, "system RAM", sizeof f->pool);
            if (strcmp(id, "oom_killer") == 0 && (f->process[0] || f->requested_bytes)) {
                b[0] = 0;
                if (f->pid)
                    snprintf(b, sizeof b, " (pid %d)", (int)f->pid);
                set(f->what, wn,
                    "The kernel's OOM killer ended %s%s%s%s%s: system RAM (or the cgroup's "
                    "memory.max) ran out.",
                    f->process[0] ? f->process : "the process", b,
                    f->requested_bytes ? ", which held " : "",
                    f->requested_bytes ? SZ(f->requested_bytes, a) : "",
                    f->requested_bytes ? " of anonymous memory (anon-rss)" : "");
            } else
                set(f->what, wn, "%s",
                    strcmp(id, "oom_killer") == 0
                        ? "The kernel's OOM killer ended the process: system RAM (or the cgroup's "
                          "memory.max) ran out."
                    : strcmp(id, "cpu_bad_alloc") == 0
                        ? "A host allocation failed (std::bad_alloc): system RAM ran out."
                        : "A host allocation failed: system RAM ran out.");
            set(f->fix, fn,
                "Close other programs (oomguard top), use a smaller quant, keep mmap on (no "
                "--no-mmap / --mlock), lower the context (-c); in a container check memory.max "
                "(oomguard machine).");
        } else if (strcmp(id, "ollama_system_memory") == 0) {
            og_strlcpy(f->pool, "system RAM + free swap", sizeof f->pool);
            set(f->what, wn,
                "Ollama refused to load: the model needs %s of system memory but only %s was "
                "available.",
                SZ(f->requested_bytes, a), SZ(f->available_bytes, b));
            set(f->fix, fn,
                "Free memory (close apps; ollama stop the other models), lower the context "
                "(num_ctx / OLLAMA_CONTEXT_LENGTH), or pull a smaller quant tag (e.g. "
                ":q4_K_M instead of :q8_0 or :fp16).");
        } else if (strcmp(id, "ollama_layout") == 0) {
            set(f->what, wn,
                "Ollama found no way to lay the layers out over GPU and system memory that "
                "fits with these settings.");
            set(f->fix, fn,
                "Do not force num_gpu (let Ollama choose), lower num_ctx, stop other loaded "
                "models (ollama ps / ollama stop), or use a smaller quant.");
        } else if (strcmp(id, "ollama_insufficient_memory") == 0) {
            set(f->what, wn,
                "Ollama's allocation check failed: the required allocations exceed what the "
                "devices have free.");
            set(f->fix, fn,
                "Lower num_ctx or num_gpu, stop other models (ollama stop), or use a smaller "
                "quant.");
        } else if (strcmp(id, "ollama_runner_oom") == 0) {
            set(f->what, wn, "The Ollama runner (llama.cpp) died out of memory%s%s.",
                f->backend[0] ? " on " : "", f->backend[0] ? f->backend : "");
            set(f->fix, fn,
                "Lower num_gpu (layers on the GPU) or num_ctx; reserve VRAM with "
                "OLLAMA_GPU_OVERHEAD; stop other models (ollama stop); or use a smaller quant.");
        } else if (strcmp(id, "lmstudio_guardrail") == 0) {
            og_strlcpy(f->pool, "system RAM + GPU memory (LM Studio estimate)", sizeof f->pool);
            if (f->requested_bytes)
                set(f->what, wn,
                    "LM Studio's guardrail stopped the load: it estimated %s for the current "
                    "settings (LM Studio prints GB; read here as 10^9 bytes).",
                    SZ(f->requested_bytes, a));
            else
                set(f->what, wn,
                    "LM Studio's guardrail stopped the load: its estimate exceeds free memory.");
            set(f->fix, fn,
                "Lower Context Length and GPU Offload in the load settings, unload other models, "
                "or pick a smaller quant; relaxing the guardrail risks freezing the machine.");
        } else if (strcmp(id, "lmstudio_load_oom") == 0) {
            set(f->what, wn, "LM Studio failed to load the model for lack of memory.");
            set(f->fix, fn,
                "Lower Context Length and GPU Offload, unload other models, or pick a smaller "
                "quant (oomguard fit MODEL).");
        } else if (strcmp(id, "llama_fit_gave_up") == 0) {
            set(f->what, wn,
                "llama.cpp's automatic fit (--fit) gave up because a setting it would change "
                "was set by hand. This is not an out-of-memory error.");
            set(f->fix, fn,
                "Leave -ngl unset so --fit can choose, or size it with oomguard fit MODEL.");
        } else if (strcmp(id, "output_alloc_failed") == 0) {
            set(f->what, wn, "llama.cpp could not allocate the output buffer (%s).",
                SZ(f->requested_bytes, a));
            llama_fix(f, st, f->fix, fn);
        } else {
            /* llama.cpp buffer allocation failures: *_alloc_failed, buffer_alloc_failed */
            char dev[48] = "";
            if (f->buffer[0])
                set(dev, sizeof dev, " on %s", f->buffer);
            else if (f->device >= 0)
                set(dev, sizeof dev, " on device %d", f->device);
            if (f->requested_bytes)
                set(f->what, wn, "%s could not allocate %s for %s%s: %s is full.", f->engine,
                    SZ(f->requested_bytes, a), component_words(f->component), dev, f->pool);
            else
                set(f->what, wn, "%s could not allocate %s%s: %s is full.", f->engine,
                    component_words(f->component), dev, f->pool);
            llama_fix(f, st, f->fix, fn);
        }
    }
}
