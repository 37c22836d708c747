/* Model folders: Hugging Face layout (config.json + safetensors, single or
 * sharded), MLX (mlx-lm) folders, and folders holding GGUF files.
 *
 * MLX is recognised by config.json "quantization" (mlx-lm utils.py
 * quantize_model / load_model), a "quantization_config" in MLX form (bits and
 * group_size, no quant_method), or safetensors __metadata__ format=mlx.
 * Packed weights (mlx ops.cpp affine_quantize / fp_quantize): <p>.weight is
 * U32 [..., in * bits / 32] with <p>.scales (and <p>.biases for affine)
 * beside it; the logical element count is shape[-1] * 32 / bits per row, and
 * scales/biases are not parameters (formats-and-math.md 3.1, 3.2).
 *
 * Files are opened through symlinks (the Hugging Face hub cache stores
 * snapshot files as links into blobs/); a link loop is refused by the kernel
 * (ELOOP) and reported as such.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model_internal.h"
#include "og_internal.h"
#include "safetensors_internal.h"

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int names_push(names *l, const char *s)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = nc;
    }
    if (!(l->v[l->n] = og_strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static void names_free(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* "…/models--ORG--NAME/snapshots/REV" -> "ORG/NAME"; else the folder name. */
static char *folder_display_name(const char *dir)
{
    char *d = og_strdup(dir);
    if (!d)
        return NULL;
    size_t l = strlen(d);
    while (l > 1 && d[l - 1] == '/')
        d[--l] = '\0';
    char *snap = strstr(d, "/snapshots/");
    char *mm = NULL;
    for (char *p = strstr(d, "models--"); p && (!snap || p < snap); p = strstr(p + 1, "models--"))
        mm = p;
    if (snap && mm) {
        char *r = og_strndup(mm + 8, (size_t)(snap - mm - 8));
        free(d);
        if (!r)
            return NULL;
        char *sep = strstr(r, "--");
        if (sep) {
            *sep = '/';
            memmove(sep + 1, sep + 2, strlen(sep + 2) + 1);
        }
        return r;
    }
    char *r = og_strdup(og_basename(d));
    free(d);
    return r;
}

/* MLX quantization from config.json; returns 1 when the config says MLX. */
static int parse_mlx_quant(json_t *root, og_mlx_quant *q, json_t **qobj)
{
    json_t *qc = json_object_get(root, "quantization");
    if (!json_is_object(qc)) {
        json_t *alt = json_object_get(root, "quantization_config");
        if (!json_is_object(alt)) {
            json_t *tc = json_object_get(root, "text_config");
            alt = json_is_object(tc) ? json_object_get(tc, "quantization_config") : NULL;
        }
        if (json_is_object(alt) && json_object_get(alt, "bits") &&
            json_object_get(alt, "group_size") && !json_object_get(alt, "quant_method"))
            qc = alt;
        else
            return 0;
    }
    *qobj = qc;
    q->quantized = 1;
    json_t *b = json_object_get(qc, "bits"), *g = json_object_get(qc, "group_size"),
           *mo = json_object_get(qc, "mode");
    og_strlcpy(q->mode, json_is_string(mo) ? json_string_value(mo) : "affine", sizeof q->mode);
    /* Defaults per mode (mlx quantization_params_from_mode). */
    uint32_t db = 4, dg = 64;
    if (strcmp(q->mode, "mxfp4") == 0)
        dg = 32;
    else if (strcmp(q->mode, "nvfp4") == 0)
        dg = 16;
    else if (strcmp(q->mode, "mxfp8") == 0)
        db = 8, dg = 32;
    q->bits = json_is_integer(b) && json_integer_value(b) > 0 && json_integer_value(b) <= 32
                  ? (uint32_t)json_integer_value(b)
                  : db;
    q->group_size =
        json_is_integer(g) && json_integer_value(g) > 0 && json_integer_value(g) <= 1 << 20
            ? (uint32_t)json_integer_value(g)
            : dg;
    const char *k;
    json_t *v;
    json_object_foreach(qc, k, v)
    {
        if (json_is_object(v) || json_is_false(v))
            q->n_overrides++;
    }
    return 1;
}

static int has_name(char **sorted, size_t n, const char *name)
{
    return bsearch(&name, sorted, n, sizeof *sorted, cmp_strp) != NULL;
}

/* Unpacked element counts for MLX packed weights. */
static og_status mlx_unpack(og_model *m, json_t *qobj, og_error *err)
{
    size_t n = m->n_tensors;
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", m->path);
    for (size_t i = 0; i < n; i++)
        sorted[i] = m->tensors[i].name;
    qsort(sorted, n, sizeof *sorted, cmp_strp);
    og_status st = OG_OK;
    char buf[1024];
    for (size_t i = 0; i < n && st == OG_OK; i++) {
        og_tensor *t = &m->tensors[i];
        size_t l = strlen(t->name);
        if (strcmp(t->type_name, "U32") != 0 || !og_has_suffix(t->name, ".weight") ||
            l - 7 + 8 > sizeof buf || t->n_dims == 0)
            continue;
        memcpy(buf, t->name, l - 7);
        strcpy(buf + l - 7, ".scales");
        if (!has_name(sorted, n, buf))
            continue;
        buf[l - 7] = '\0';
        uint32_t bits = m->mlx.bits;
        json_t *ov = qobj ? json_object_get(qobj, buf) : NULL;
        if (json_is_object(ov)) {
            json_t *b = json_object_get(ov, "bits");
            if (json_is_integer(b) && json_integer_value(b) > 0 && json_integer_value(b) <= 32)
                bits = (uint32_t)json_integer_value(b);
        }
        if (bits != 2 && bits != 3 && bits != 4 && bits != 5 && bits != 6 && bits != 8)
            continue;
        uint64_t last = t->dims[t->n_dims - 1], rows = 1, logical;
        for (uint32_t d = 0; d + 1 < t->n_dims; d++)
            if (!og_mul_u64(rows, t->dims[d], &rows))
                st = og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s' shape overflows", m->path,
                                  t->name);
        if (st != OG_OK || !og_mul_u64(last, 32, &logical) ||
            !og_mul_u64(rows, logical / bits, &logical)) {
            if (st == OG_OK)
                st = og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s' shape overflows", m->path,
                                  t->name);
            break;
        }
        t->n_elements = logical;
    }
    free(sorted);
    return st;
}

og_status og_folder_open(const char *dir, og_model **out, og_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", dir,
                            errno == ELOOP ? "symlink loop" : strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return og_error_set(err, OG_ERR_INVALID, "%s: not a folder", dir);
    DIR *d = opendir(dir);
    if (!d)
        return og_error_set(err, OG_ERR_IO, "%s: %s", dir, strerror(errno));
    names st_files = {0}, gguf_files = {0};
    int has_config = 0, has_index = 0, nomem = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (n[0] == '.')
            continue;
        if (strcmp(n, "config.json") == 0)
            has_config = 1;
        else if (strcmp(n, "model.safetensors.index.json") == 0)
            has_index = 1;
        else if (og_has_suffix(n, ".safetensors"))
            nomem |= names_push(&st_files, n);
        else if (og_has_suffix(n, ".gguf") && strncmp(n, "mmproj", 6) != 0)
            nomem |= names_push(&gguf_files, n);
    }
    closedir(d);
    og_status st = OG_OK;
    if (nomem) {
        st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    if (st_files.n > 1)
        qsort(st_files.v, st_files.n, sizeof(char *), cmp_strp);
    if (gguf_files.n > 1)
        qsort(gguf_files.v, gguf_files.n, sizeof(char *), cmp_strp);

    if (!has_index && st_files.n == 0 && gguf_files.n > 0) {
        /* A GGUF folder (LM Studio, a GGUF repo snapshot): its first model
         * file, preferring the first part of a split. */
        const char *pick = gguf_files.v[0];
        for (size_t i = 0; i < gguf_files.n; i++)
            if (strstr(gguf_files.v[i], "-00001-of-")) {
                pick = gguf_files.v[i];
                break;
            }
        char *p = og_path_join(dir, pick);
        if (!p) {
            st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
            goto done;
        }
        st = og_gguf_open(p, out, err);
        free(p);
        goto done;
    }
    if (!has_index && st_files.n == 0 && !has_config) {
        st = og_error_set(err, OG_ERR_INVALID,
                          "%s: no model files in this folder (expected config.json, "
                          "*.safetensors or *.gguf)",
                          dir);
        goto done;
    }

    og_model *m =
        og_model_new(has_index || st_files.n ? OG_FORMAT_SAFETENSORS : OG_FORMAT_HF_CONFIG, dir);
    if (!m) {
        st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
        goto done;
    }
    int mlx_meta = 0;
    if (has_index) {
        char *p = og_path_join(dir, "model.safetensors.index.json");
        st = p ? og_st_read_index(p, m, &mlx_meta, err)
               : og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
        free(p);
    } else {
        /* Mistral repos ship consolidated.safetensors beside the HF files. */
        int others = 0;
        for (size_t i = 0; i < st_files.n; i++)
            others |= strncmp(st_files.v[i], "consolidated", 12) != 0;
        uint32_t fi = 0;
        for (size_t i = 0; i < st_files.n && st == OG_OK; i++) {
            if (others && strncmp(st_files.v[i], "consolidated", 12) == 0)
                continue;
            char *p = og_path_join(dir, st_files.v[i]);
            if (!p) {
                st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
                break;
            }
            json_t *meta = NULL;
            st = og_st_read_file(p, fi++, m, &meta, err);
            json_t *f = json_object_get(meta, "format");
            if (json_is_string(f) && strcmp(json_string_value(f), "mlx") == 0)
                mlx_meta = 1;
            json_decref(meta);
            free(p);
        }
    }
    json_t *cfg = NULL, *qobj = NULL;
    uint64_t config_params = 0;
    if (st == OG_OK && has_config) {
        char *p = og_path_join(dir, "config.json");
        if (!p)
            st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", dir);
        if (st == OG_OK)
            st = og_json_load_file(p, &cfg, err);
        if (st == OG_OK)
            st = og_hf_config_fill(cfg, p, m, &config_params, err);
        free(p);
    }
    if (st == OG_OK) {
        int mlx = (cfg && parse_mlx_quant(cfg, &m->mlx, &qobj)) || mlx_meta;
        if (mlx && m->format == OG_FORMAT_SAFETENSORS) {
            m->format = OG_FORMAT_MLX;
            m->quant_label[0] = '\0';
            if (m->mlx.quantized)
                st = mlx_unpack(m, qobj, err);
        }
        if (m->format == OG_FORMAT_HF_CONFIG) {
            m->n_params = config_params;
        } else {
            m->n_params = og_st_count_params(m, m->format == OG_FORMAT_MLX);
            if (m->format != OG_FORMAT_MLX)
                m->quant_label[0] = '\0';
        }
    }
    json_decref(cfg);
    if (st == OG_OK && m->format != OG_FORMAT_HF_CONFIG)
        st = og_model_summarize(m, err);
    if (st == OG_OK) {
        if (!m->name)
            m->name = folder_display_name(dir);
        if (m->format != OG_FORMAT_HF_CONFIG && m->n_types && !m->dtype[0])
            og_strlcpy(m->dtype, m->by_type[0].type_name, sizeof m->dtype);
        og_model_guess_quant_label(m);
        *out = m;
    } else {
        og_model_free(m);
    }
done:
    names_free(&st_files);
    names_free(&gguf_files);
    return st;
}

/* A config.json on its own (hf_config.c reads it), or a shard index, which
 * names a whole sharded model: read as its folder. It lives here, above both
 * readers, so that hf_config.c never calls back into the folder reader. */
og_status og_hf_config_open(const char *path, og_model **out, og_error *err)
{
    *out = NULL;
    /* A shard index names a whole sharded model: read it as its folder. */
    if (strcmp(og_basename(path), "model.safetensors.index.json") == 0) {
        size_t dl = strlen(path) - strlen(og_basename(path));
        char *dir = og_strndup(path, dl ? dl : 1);
        if (!dir)
            return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
        if (!dl)
            dir[0] = '.';
        og_status st = og_folder_open(dir, out, err);
        free(dir);
        return st;
    }
    json_t *root;
    og_status st = og_json_load_file(path, &root, err);
    if (st != OG_OK)
        return st;
    st = og_hf_config_model(root, path, out, err);
    json_decref(root);
    return st;
}
