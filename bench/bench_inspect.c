/* Benchmark: the readers against just reading the header bytes.
 *
 *   bench_inspect setup DIR       write the fixtures into DIR:
 *       llama31-8b-q4_k.gguf       Llama 3.1 8B shape, 128,256-token vocab
 *                                  (real header of several MB, sparse data)
 *       llama31-8b-st/             the same model as 4 BF16 safetensors
 *                                  shards + index + config.json
 *       ls500/                     500 models for `oomguard ls`
 *   bench_inspect evict FILE...    drop FILEs from the page cache
 *   bench_inspect readhdr FILE...  read each FILE's header bytes and exit (the
 *                                  process-level "just read the bytes" baseline:
 *                                  GGUF up to its data section, safetensors
 *                                  8 + N, other files whole)
 *   bench_inspect run DIR [N]      time og_model_open and a plain read of the
 *                                  header bytes, warm and cold page cache
 *                                  (cold = posix_fadvise DONTNEED on each file
 *                                  before each run), median of N (default 30)
 *
 * Prints one line per measurement: "<what> <model> <cache> <median_ms>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ogfix.h"
#include "ogfix_st.h"
#include "oomguard/oomguard.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static ogfix_shape llama31(void)
{
    ogfix_shape s = {0};
    s.arch = "llama";
    s.name = "Llama-3.1-8B-shape";
    s.n_layer = 32;
    s.n_embd = 4096;
    s.n_head = 32;
    s.n_head_kv = 8;
    s.n_ff = 14336;
    s.n_vocab = 128256;
    s.n_ctx_train = 131072;
    s.weight_type = OGFIX_Q4_K;
    s.output_type = OGFIX_Q6_K;
    return s;
}

static int write_st_llama(const char *dir)
{
    /* Hugging Face tensor names of Llama 3.1 8B, 4 shards by layer. */
    size_t n = 0, cap = 3 + 32 * 9;
    ogfix_st_entry *e = calloc(cap, sizeof *e);
    if (!e)
        return -1;
#define T(nm, d0, d1, sh)                                                                          \
    do {                                                                                           \
        snprintf(e[n].name, sizeof e[n].name, "%s", nm);                                           \
        snprintf(e[n].dtype, sizeof e[n].dtype, "BF16");                                           \
        e[n].n_dims = (d1) ? 2 : 1;                                                                \
        e[n].shape[0] = d0;                                                                        \
        e[n].shape[1] = d1;                                                                        \
        e[n].shard = sh;                                                                           \
        n++;                                                                                       \
    } while (0)
    T("model.embed_tokens.weight", 128256, 4096, 0);
    static const struct {
        const char *p;
        uint64_t o, i;
    } lin[] = {{"self_attn.q_proj", 4096, 4096}, {"self_attn.k_proj", 1024, 4096},
               {"self_attn.v_proj", 1024, 4096}, {"self_attn.o_proj", 4096, 4096},
               {"mlp.gate_proj", 14336, 4096},   {"mlp.up_proj", 14336, 4096},
               {"mlp.down_proj", 4096, 14336}};
    char nm[160];
    for (uint32_t l = 0; l < 32; l++) {
        uint32_t sh = l / 8;
        for (size_t k = 0; k < 7; k++) {
            snprintf(nm, sizeof nm, "model.layers.%u.%s.weight", l, lin[k].p);
            T(nm, lin[k].o, lin[k].i, sh);
        }
        snprintf(nm, sizeof nm, "model.layers.%u.input_layernorm.weight", l);
        T(nm, 4096, 0, sh);
        snprintf(nm, sizeof nm, "model.layers.%u.post_attention_layernorm.weight", l);
        T(nm, 4096, 0, sh);
    }
    T("model.norm.weight", 4096, 0, 3);
    T("lm_head.weight", 128256, 4096, 3);
#undef T
    int rc = ogfix_st_write_model(e, n, 4, "pt", dir);
    free(e);
    if (rc)
        return rc;
    char p[1024];
    snprintf(p, sizeof p, "%s/config.json", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, "
               "\"intermediate_size\": 14336, \"max_position_embeddings\": 131072, "
               "\"model_type\": \"llama\", \"num_attention_heads\": 32, "
               "\"num_hidden_layers\": 32, \"num_key_value_heads\": 8, "
               "\"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\", "
               "\"vocab_size\": 128256}\n");
    return fclose(f);
}

/* 500 models: GGUF files of 8 shapes with 32k-152k vocabularies in LM
 * Studio-style folders, and safetensors/MLX folders. */
static int write_ls500(const char *dir)
{
    static const struct {
        const char *arch;
        uint32_t layers;
        uint64_t embd, vocab;
    } shapes[] = {{"llama", 16, 2048, 128256}, {"qwen2", 24, 896, 151936},
                  {"qwen3", 28, 1024, 151936}, {"gemma2", 26, 2304, 256000},
                  {"llama", 22, 2048, 32000},  {"phi3", 32, 3072, 32064}};
    char p[1024];
    snprintf(p, sizeof p, "%s/ls500", dir);
    mkdir(p, 0755);
    for (int i = 0; i < 500; i++) {
        snprintf(p, sizeof p, "%s/ls500/pub%02d", dir, i / 20);
        mkdir(p, 0755);
        if (i % 5 == 4) {
            /* A safetensors model folder. */
            snprintf(p, sizeof p, "%s/ls500/pub%02d/st-model-%03d", dir, i / 20, i);
            mkdir(p, 0755);
            ogfix_mlx m = {0};
            m.n_layer = 8;
            m.n_embd = 512;
            m.n_ff = 1024;
            m.n_vocab = 32000;
            m.n_head = 8;
            m.n_head_kv = 4;
            m.bits = i % 10 == 4 ? 4 : 0;
            m.group_size = 64;
            if (ogfix_mlx_write(&m, p) != 0)
                return -1;
            continue;
        }
        ogfix_shape s = {0};
        int k = i % 6;
        s.arch = shapes[k].arch;
        s.name = "bench";
        s.n_layer = shapes[k].layers;
        s.n_embd = shapes[k].embd;
        s.n_head = 8;
        s.n_head_kv = 4;
        s.n_ff = shapes[k].embd * 3;
        s.n_vocab = shapes[k].vocab;
        s.n_ctx_train = 8192;
        s.weight_type = OGFIX_Q4_K;
        snprintf(p, sizeof p, "%s/ls500/pub%02d/model-%03d-Q4_K_M.gguf", dir, i / 20, i);
        if (ogfix_shape_write(&s, p) != 0)
            return -1;
    }
    return 0;
}

static void evict(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

/* Read [0, n) of a file: the baseline "just read the header bytes". */
static void read_prefix(const char *path, uint64_t n)
{
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    uint64_t off = 0;
    while (off < n) {
        size_t want = n - off > sizeof buf ? sizeof buf : (size_t)(n - off);
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r <= 0)
            break;
        off += (uint64_t)r;
    }
    close(fd);
}

typedef struct files {
    char path[8][1024];
    uint64_t header[8];
    int n;
} files;

static void run_one(const char *label, const char *model_path, const files *fs, int iters)
{
    double *t = malloc((size_t)iters * sizeof *t);
    for (int cold = 0; cold < 2; cold++) {
        for (int what = 0; what < 2; what++) {
            for (int i = 0; i < iters; i++) {
                if (cold)
                    for (int k = 0; k < fs->n; k++)
                        evict(fs->path[k]);
                double t0 = now_ms();
                if (what == 0) {
                    og_model *m = NULL;
                    og_error err;
                    if (og_model_open(model_path, &m, &err) != OG_OK) {
                        fprintf(stderr, "bench_inspect: %s\n", err.message);
                        exit(1);
                    }
                    og_model_free(m);
                } else {
                    for (int k = 0; k < fs->n; k++)
                        read_prefix(fs->path[k], fs->header[k]);
                }
                t[i] = now_ms() - t0;
            }
            qsort(t, (size_t)iters, sizeof *t, cmp_d);
            printf("%s %s %s %.3f\n", what == 0 ? "og_model_open" : "read_header_bytes", label,
                   cold ? "cold" : "warm", t[iters / 2]);
        }
    }
    free(t);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "setup") == 0) {
        const char *d = argv[2];
        char p[1024];
        mkdir(d, 0755);
        ogfix_shape s = llama31();
        snprintf(p, sizeof p, "%s/llama31-8b-q4_k.gguf", d);
        if (ogfix_shape_write(&s, p) != 0)
            return 1;
        snprintf(p, sizeof p, "%s/llama31-8b-st", d);
        mkdir(p, 0755);
        if (write_st_llama(p) != 0)
            return 1;
        return write_ls500(d) == 0 ? 0 : 1;
    }
    if (argc >= 2 && strcmp(argv[1], "readhdr") == 0) {
        for (int i = 2; i < argc; i++) {
            uint64_t n = 0;
            struct stat sb;
            if (stat(argv[i], &sb) != 0)
                return 1;
            n = (uint64_t)sb.st_size;
            if (strstr(argv[i], ".safetensors")) {
                FILE *f = fopen(argv[i], "rb");
                uint64_t hl = 0;
                if (!f || fread(&hl, 8, 1, f) != 1)
                    return 1;
                fclose(f);
                n = 8 + hl;
            } else if (strstr(argv[i], ".gguf")) {
                const char *e = getenv("OG_GGUF_HEADER_BYTES");
                n = e ? strtoull(e, NULL, 10) : n;
            }
            read_prefix(argv[i], n);
        }
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "evict") == 0) {
        for (int i = 2; i < argc; i++)
            evict(argv[i]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "run") == 0) {
        const char *d = argv[2];
        int iters = argc > 3 ? atoi(argv[3]) : 30;
        if (iters < 1)
            iters = 1;
        /* Header sizes: from the models themselves (data start). */
        files g = {0}, st = {0};
        snprintf(g.path[0], sizeof g.path[0], "%s/llama31-8b-q4_k.gguf", d);
        og_model *m = NULL;
        og_error err;
        if (og_model_open(g.path[0], &m, &err) != OG_OK) {
            fprintf(stderr, "bench_inspect: %s (run setup first)\n", err.message);
            return 1;
        }
        uint64_t first = UINT64_MAX;
        for (size_t i = 0; i < m->n_tensors; i++)
            if (m->tensors[i].offset < first)
                first = m->tensors[i].offset;
        g.header[0] = first;
        g.n = 1;
        og_model_free(m);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/llama31-8b-st", d);
        for (int k = 0; k < 4; k++) {
            snprintf(st.path[k], sizeof st.path[k], "%s/model-%05d-of-00004.safetensors", dir,
                     k + 1);
            FILE *f = fopen(st.path[k], "rb");
            uint64_t hl = 0;
            if (!f || fread(&hl, 8, 1, f) != 1)
                return 1;
            fclose(f);
            st.header[k] = 8 + hl;
        }
        snprintf(st.path[4], sizeof st.path[4], "%s/model.safetensors.index.json", dir);
        snprintf(st.path[5], sizeof st.path[5], "%s/config.json", dir);
        struct stat sb;
        stat(st.path[4], &sb);
        st.header[4] = (uint64_t)sb.st_size;
        stat(st.path[5], &sb);
        st.header[5] = (uint64_t)sb.st_size;
        st.n = 6;
        printf("# header bytes: gguf %llu; safetensors %llu+%llu+%llu+%llu (+ index %llu, "
               "config %llu)\n",
               (unsigned long long)g.header[0], (unsigned long long)st.header[0],
               (unsigned long long)st.header[1], (unsigned long long)st.header[2],
               (unsigned long long)st.header[3], (unsigned long long)st.header[4],
               (unsigned long long)st.header[5]);
        run_one("gguf-llama31-8b", g.path[0], &g, iters);
        run_one("safetensors-llama31-8b-4shards", dir, &st, iters);
        return 0;
    }
    fprintf(stderr, "usage: bench_inspect setup DIR | bench_inspect run DIR [N]\n");
    return 2;
}
