/* The model description: allocation, summaries, and format dispatch. */
#include "model_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "og_internal.h"
#include "oomguard/remote.h"

const char *og_format_name(og_format format)
{
    switch (format) {
    case OG_FORMAT_GGUF:
        return "gguf";
    case OG_FORMAT_SAFETENSORS:
        return "safetensors";
    case OG_FORMAT_MLX:
        return "mlx";
    case OG_FORMAT_HF_CONFIG:
        return "hf-config";
    case OG_FORMAT_CATALOG:
        return "catalog";
    case OG_FORMAT_UNKNOWN:
        break;
    }
    return "unknown";
}

og_model *og_model_new(og_format format, const char *path)
{
    og_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->format = format;
    m->gguf_file_type = UINT32_MAX;
    m->hp.causal = 1;
    if (path && !(m->path = og_strdup(path))) {
        free(m);
        return NULL;
    }
    return m;
}

void og_model_free(og_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_tensors; i++)
        free(m->tensors[i].name);
    free(m->tensors);
    free(m->by_type);
    free(m->path);
    free(m->name);
    free(m);
}

og_status og_model_reserve_tensors(og_model *m, size_t n, og_error *err)
{
    size_t want;
    if (__builtin_add_overflow(m->n_tensors, n, &want) || want > SIZE_MAX / sizeof(og_tensor))
        return og_error_set(err, OG_ERR_INVALID, "%s: too many tensors", m->path ? m->path : "");
    og_tensor *t = realloc(m->tensors, (want ? want : 1) * sizeof *t);
    if (!t)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory for %zu tensors",
                            m->path ? m->path : "", want);
    m->tensors = t;
    return OG_OK;
}

og_status og_model_push_tensor(og_model *m, const og_tensor *t, og_error *err)
{
    /* Amortized growth when the caller did not reserve. */
    size_t cap = m->n_tensors;
    if ((cap & (cap - 1)) == 0 || cap == 0) {
        size_t grow = cap ? cap : 16;
        og_status st = og_model_reserve_tensors(m, grow, err);
        if (st != OG_OK)
            return st;
    }
    m->tensors[m->n_tensors++] = *t;
    return OG_OK;
}

static int cmp_type_bytes(const void *a, const void *b)
{
    const og_type_bytes *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->type_name, y->type_name);
}

og_status og_model_summarize(og_model *m, og_error *err)
{
    free(m->by_type);
    m->by_type = NULL;
    m->n_types = 0;
    uint64_t total = 0;
    og_type_bytes *bt = NULL;
    size_t nt = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const og_tensor *t = &m->tensors[i];
        if (!og_add_u64(total, t->bytes, &total)) {
            free(bt);
            return og_error_set(err, OG_ERR_INVALID, "%s: tensor bytes overflow", m->path);
        }
        size_t j = 0;
        while (j < nt && strcmp(bt[j].type_name, t->type_name) != 0)
            j++;
        if (j == nt) {
            og_type_bytes *n = realloc(bt, (nt + 1) * sizeof *bt);
            if (!n) {
                free(bt);
                return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", m->path);
            }
            bt = n;
            bt[nt].type_name = t->type_name;
            bt[nt].bytes = 0;
            bt[nt].n_elements = 0;
            bt[nt].n_tensors = 0;
            nt++;
        }
        bt[j].bytes += t->bytes;
        bt[j].n_elements += t->n_elements;
        bt[j].n_tensors++;
    }
    if (nt > 1)
        qsort(bt, nt, sizeof *bt, cmp_type_bytes);
    m->by_type = bt;
    m->n_types = nt;
    m->weight_bytes = total;
    return OG_OK;
}

uint64_t og_model_type_bytes(const og_model *m, const char *type_name)
{
    for (size_t i = 0; i < m->n_types; i++)
        if (og_strcasecmp(m->by_type[i].type_name, type_name) == 0)
            return m->by_type[i].bytes;
    return 0;
}

void og_hparams_finish(og_hparams *hp)
{
    if (hp->n_layer_all > OG_MAX_LAYERS)
        hp->n_layer_all = OG_MAX_LAYERS;
    hp->n_layer = hp->n_nextn < hp->n_layer_all ? hp->n_layer_all - hp->n_nextn : 0;
    for (uint32_t i = 0; i < hp->n_layer_all; i++) {
        if (hp->n_head[i] == 0 && i > 0)
            hp->n_head[i] = hp->n_head[0];
    }
    if (hp->head_dim_k == 0 && hp->n_head[0])
        hp->head_dim_k = (uint32_t)(hp->n_embd / hp->n_head[0]);
    if (hp->head_dim_v == 0 && hp->n_head[0])
        hp->head_dim_v = (uint32_t)(hp->n_embd / hp->n_head[0]);
    if (hp->head_dim_k_swa == 0)
        hp->head_dim_k_swa = hp->head_dim_k;
    if (hp->head_dim_v_swa == 0)
        hp->head_dim_v_swa = hp->head_dim_v;
    if (hp->n_layer_kv_from_start == 0 || hp->n_layer_kv_from_start > hp->n_layer_all)
        hp->n_layer_kv_from_start = hp->n_layer_all;
}

/* Names from llama.cpp include/llama.h enum llama_ftype. */
static const char *ftype_name(uint32_t ft)
{
    static const char *names[] = {
        [0] = "F32",      [1] = "F16",      [2] = "Q4_0",       [3] = "Q4_1",    [7] = "Q8_0",
        [8] = "Q5_0",     [9] = "Q5_1",     [10] = "Q2_K",      [11] = "Q3_K_S", [12] = "Q3_K_M",
        [13] = "Q3_K_L",  [14] = "Q4_K_S",  [15] = "Q4_K_M",    [16] = "Q5_K_S", [17] = "Q5_K_M",
        [18] = "Q6_K",    [19] = "IQ2_XXS", [20] = "IQ2_XS",    [21] = "Q2_K_S", [22] = "IQ3_XS",
        [23] = "IQ3_XXS", [24] = "IQ1_S",   [25] = "IQ4_NL",    [26] = "IQ3_S",  [27] = "IQ3_M",
        [28] = "IQ2_S",   [29] = "IQ2_M",   [30] = "IQ4_XS",    [31] = "IQ1_M",  [32] = "BF16",
        [36] = "TQ1_0",   [37] = "TQ2_0",   [38] = "MXFP4_MOE", [39] = "NVFP4",  [40] = "Q1_0",
        [41] = "Q2_0",
    };
    if (ft < sizeof names / sizeof names[0] && names[ft])
        return names[ft];
    return NULL;
}

void og_model_guess_quant_label(og_model *m)
{
    if (m->quant_label[0])
        return;
    if (m->format == OG_FORMAT_GGUF) {
        const char *n = ftype_name(m->gguf_file_type);
        if (n) {
            og_strlcpy(m->quant_label, n, sizeof m->quant_label);
            return;
        }
    }
    if (m->format == OG_FORMAT_MLX && m->mlx.quantized) {
        if (strcmp(m->mlx.mode, "affine") == 0 || !m->mlx.mode[0])
            snprintf(m->quant_label, sizeof m->quant_label, "mlx-%ubit", m->mlx.bits);
        else
            snprintf(m->quant_label, sizeof m->quant_label, "mlx-%s", m->mlx.mode);
        return;
    }
    /* Largest type by bytes. */
    if (m->n_types > 0) {
        char buf[32];
        og_strlcpy(buf, m->by_type[0].type_name, sizeof buf);
        for (char *p = buf; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        og_strlcpy(m->quant_label, buf, sizeof m->quant_label);
    }
}

og_status og_model_open(const char *path, og_model **out, og_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return og_error_set(err, OG_ERR_INVALID, "no model path given");
    if (og_is_remote(path))
        return og_remote_open(path, NULL, out, NULL, err);
    struct stat st;
    if (stat(path, &st) != 0)
        return og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", path,
                            errno == ENOENT ? "no such file or folder" : strerror(errno));
    if (S_ISDIR(st.st_mode))
        return og_folder_open(path, out, err);
    if (!S_ISREG(st.st_mode)) /* a FIFO or a device: opening it could block */
        return og_error_set(err, OG_ERR_INVALID, "%s: not a regular file", path);
    if (og_has_suffix(path, ".gguf"))
        return og_gguf_open(path, out, err);
    if (og_has_suffix(path, ".safetensors"))
        return og_safetensors_open(path, out, err);
    if (og_has_suffix(path, ".json"))
        return og_hf_config_open(path, out, err);
    /* Sniff: Ollama blobs are GGUF files named sha256-... */
    FILE *f = fopen(path, "rb");
    if (!f)
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
    char magic[8] = {0};
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (n >= 4 && memcmp(magic, "GGUF", 4) == 0)
        return og_gguf_open(path, out, err);
    if (n >= 8)
        return og_safetensors_open(path, out, err);
    return og_error_set(err, OG_ERR_INVALID,
                        "%s: not a model file (expected GGUF, safetensors, a model folder or "
                        "config.json)",
                        path);
}
