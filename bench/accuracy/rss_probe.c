/* rss_probe: load a GGUF with libllama (CPU) and print the process's resident memory after the
 * model load and after the context is created, to check what a --no-mmap / mmap load really keeps
 * (issue 17: the CPU backend's repacked weights). Linux only (/proc/self/status, smaps_rollup).
 *   cc -O1 -I LLAMA/include -I LLAMA/ggml/include rss_probe.c -L BUILD/bin -lllama -o rss_probe
 *   rss_probe MODEL.gguf mmap|nommap N_CTX [N_DECODE [pageout]]
 * llama.cpp's buffer lines go to stderr. N_DECODE tokens are decoded once (touching the compute
 * buffer); "pageout" first asks the kernel to page out the model file's mapping (MADV_PAGEOUT, as
 * memory pressure would), so the file pages resident after the decode are the ones inference uses.
 */
#define _GNU_SOURCE
#include "llama.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* MADV_PAGEOUT every mapping of the model file; returns the bytes advised. */
static unsigned long long pageout(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    unsigned long long n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char *name = strrchr(line, '/');
        if (!name || strncmp(name + 1, base, strlen(base)) != 0 ||
            sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        if (madvise((void *)lo, hi - lo, 21 /* MADV_PAGEOUT */) == 0)
            n += hi - lo;
    }
    fclose(f);
    return n;
}

static long field(const char *file, const char *key)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            v = strtol(line + k + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static void report(const char *when)
{
    printf("%s VmRSS_kB=%ld RssAnon_kB=%ld RssFile_kB=%ld VmHWM_kB=%ld Pss_kB=%ld Pss_Anon_kB=%ld "
           "Pss_File_kB=%ld\n",
           when, field("/proc/self/status", "VmRSS"), field("/proc/self/status", "RssAnon"),
           field("/proc/self/status", "RssFile"), field("/proc/self/status", "VmHWM"),
           field("/proc/self/smaps_rollup", "Pss"), field("/proc/self/smaps_rollup", "Pss_Anon"),
           field("/proc/self/smaps_rollup", "Pss_File"));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: rss_probe MODEL.gguf mmap|nommap N_CTX [N_DECODE [pageout]]\n");
        return 2;
    }
    llama_backend_init();
    report("start");
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.load_mode = strcmp(argv[2], "mmap") == 0 ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "rss_probe: could not load %s\n", argv[1]);
        return 1;
    }
    report("model");
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)atoi(argv[3]);
    cp.n_batch = cp.n_ubatch = 512;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "rss_probe: could not create a context\n");
        return 1;
    }
    report("context");
    int n_decode = argc > 4 ? atoi(argv[4]) : 0;
    if (argc > 5 && strcmp(argv[5], "pageout") == 0) {
        printf("pageout %llu bytes advised\n", pageout(argv[1]));
        report("paged");
    }
    if (n_decode > 0) {
        llama_token *tok = calloc((size_t)n_decode, sizeof *tok);
        for (int i = 0; i < n_decode; i++)
            tok[i] = 1 + i % 100;
        if (!tok || llama_decode(ctx, llama_batch_get_one(tok, n_decode)) != 0)
            fprintf(stderr, "rss_probe: decode failed\n");
        free(tok);
        report("decoded");
    }
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
