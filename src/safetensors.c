/* safetensors reader: single files and sharded models, headers only.
 *
 * Layout and validation rules follow huggingface/safetensors
 * safetensors/src/tensor.rs (Metadata::validate, MAX_HEADER_SIZE) and
 * README.md: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * starting with '{' (right-padded with spaces), then the data buffer. Tensor
 * offsets are relative to the buffer; sorted by offset they must tile it
 * exactly, end - begin must equal elements * bits / 8, and the file must end
 * at the last end. Sharded models: huggingface_hub constants.py
 * SAFETENSORS_INDEX_FILE ("model.safetensors.index.json", weight_map).
 * Tensor data is never read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"
#include "og_internal.h"
#include "safetensors_internal.h"

/* safetensors/src/tensor.rs enum Dtype and Dtype::bitsize. */
static const struct {
    const char *name;
    uint32_t bits;
} st_dtypes[] = {
    {"BOOL", 8},        {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8},
    {"F8_E5M2FNUZ", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16},    {"BF16", 16},
    {"I32", 32},        {"U32", 32},    {"F32", 32},    {"C64", 64},    {"F64", 64},
    {"I64", 64},        {"U64", 64},
};

uint32_t og_st_dtype_bits(const char *dtype, const char **canon)
{
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (strcmp(st_dtypes[i].name, dtype) == 0) {
            if (canon)
                *canon = st_dtypes[i].name;
            return st_dtypes[i].bits;
        }
    return 0;
}

/* " (invalid UTF-8)" when jansson's message is about a byte it could not
 * decode. */
static const char *utf8_hint(const json_error_t *je)
{
    return strstr(je->text, "decode byte") ? " (invalid UTF-8)" : "";
}

og_status og_json_load_buffer(const char *buf, size_t len, const char *name, json_t **out,
                              og_error *err)
{
    *out = NULL;
    if (len > OG_JSON_MAX_BYTES)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: %zu bytes of JSON is more than the %u-byte limit", name, len,
                            OG_JSON_MAX_BYTES);
    json_error_t je;
    /* jansson rejects invalid UTF-8 and nesting deeper than
     * JSON_PARSER_MAX_DEPTH (2048); duplicate keys are refused as the
     * safetensors rules require. */
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j)
        return og_error_set(err, OG_ERR_INVALID, "%s: invalid JSON at line %d, column %d: %s%s",
                            name, je.line, je.column, je.text, utf8_hint(&je));
    *out = j;
    return OG_OK;
}

og_status og_json_load_file(const char *path, json_t **out, og_error *err)
{
    char *buf;
    size_t len;
    *out = NULL;
    og_status st = og_read_small_file(path, OG_JSON_MAX_BYTES, &buf, &len, err);
    if (st != OG_OK)
        return st;
    st = og_json_load_buffer(buf, len, path, out, err);
    free(buf);
    return st;
}

static int cmp_begin(const void *a, const void *b)
{
    const og_tensor *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    /* Zero-size tensors first at equal offsets. */
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? -1 : 1;
    return 0;
}

static og_status get_u64_item(json_t *a, size_t i, uint64_t *v)
{
    json_t *x = json_array_get(a, i);
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return OG_ERR_INVALID;
    *v = (uint64_t)json_integer_value(x);
    return OG_OK;
}

static og_status parse_tensor(const char *key, json_t *e, const char *name, og_tensor *t,
                              og_error *err)
{
    memset(t, 0, sizeof *t);
    t->ggml_type = -1;
    if (!json_is_object(e))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': expected an object", name, key);
    json_t *dt = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
           *offs = json_object_get(e, "data_offsets");
    if (!json_is_string(dt))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': missing dtype", name, key);
    uint32_t bits = og_st_dtype_bits(json_string_value(dt), &t->type_name);
    if (!bits)
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': unknown dtype '%.32s'", name,
                            key, json_string_value(dt));
    if (!json_is_array(shape))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': missing shape", name, key);
    size_t nd = json_array_size(shape);
    if (nd > OG_MAX_DIMS)
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': %zu dimensions (at most %d)",
                            name, key, nd, OG_MAX_DIMS);
    uint64_t n = 1;
    for (size_t d = 0; d < nd; d++) {
        if (get_u64_item(shape, d, &t->dims[d]) != OG_OK)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: tensor '%s': shape[%zu] is not a non-negative integer", name,
                                key, d);
        if (!og_mul_u64(n, t->dims[d], &n))
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: tensor '%s': element count overflows 64 bits", name, key);
    }
    t->n_dims = (uint32_t)nd;
    t->n_elements = n;
    uint64_t nbits;
    if (!og_mul_u64(n, bits, &nbits))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': size overflows 64 bits", name,
                            key);
    if (nbits % 8)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: tensor '%s': %llu elements of %s are not a whole number of bytes",
                            name, key, (unsigned long long)n, t->type_name);
    uint64_t begin, end;
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        get_u64_item(offs, 0, &begin) != OG_OK || get_u64_item(offs, 1, &end) != OG_OK)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: tensor '%s': data_offsets must be [begin, end] integers", name,
                            key);
    if (end < begin)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: tensor '%s': data_offsets end %llu is before begin %llu", name,
                            key, (unsigned long long)end, (unsigned long long)begin);
    if (end - begin != nbits / 8)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: tensor '%s': data_offsets span %llu bytes but shape and %s need "
                            "%llu",
                            name, key, (unsigned long long)(end - begin), t->type_name,
                            (unsigned long long)(nbits / 8));
    t->offset = begin; /* relative until validated */
    t->bytes = end - begin;
    return OG_OK;
}

og_status og_st_parse_header(const char *json, size_t len, uint64_t data_start, uint64_t data_bytes,
                             uint32_t file_index, const char *name, og_model *m, json_t **meta_out,
                             og_error *err)
{
    if (meta_out)
        *meta_out = NULL;
    if (len == 0 || json[0] != '{')
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header at offset 8 does not start with '{' (not a safetensors "
                            "file?)",
                            name);
    json_t *root;
    json_error_t je;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return og_error_set(err, OG_ERR_INVALID, "%s: header JSON is invalid at byte %d: %s%s",
                            name, je.position + 8, je.text, utf8_hint(&je));
    if (!json_is_object(root)) {
        json_decref(root);
        return og_error_set(err, OG_ERR_INVALID, "%s: header is not a JSON object", name);
    }
    size_t n = json_object_size(root);
    og_tensor *ts = calloc(n ? n : 1, sizeof *ts);
    if (!ts) {
        json_decref(root);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory for %zu tensors", name, n);
    }
    size_t nt = 0;
    og_status st = OG_OK;
    const char *key;
    json_t *val;
    json_t *meta = NULL;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) {
                st = og_error_set(err, OG_ERR_INVALID, "%s: __metadata__ is not an object", name);
                break;
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv)
            {
                if (!json_is_string(mv)) {
                    st = og_error_set(err, OG_ERR_INVALID,
                                      "%s: __metadata__ key '%s' is not a string", name, mk);
                    break;
                }
            }
            if (st != OG_OK)
                break;
            meta = val;
            continue;
        }
        if ((st = parse_tensor(key, val, name, &ts[nt], err)) != OG_OK)
            break;
        if (!(ts[nt].name = og_strdup(key))) {
            st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", name);
            break;
        }
        ts[nt].file_index = file_index;
        nt++;
    }
    if (st == OG_OK && nt > 1)
        qsort(ts, nt, sizeof *ts, cmp_begin);
    /* The tensors must tile the data buffer: no gap, no overlap. */
    uint64_t expect = 0;
    for (size_t i = 0; st == OG_OK && i < nt; i++) {
        if (ts[i].offset != expect)
            st = og_error_set(
                err, OG_ERR_INVALID, "%s: tensor '%s': data_offsets begin %llu, expected %llu (%s)",
                name, ts[i].name, (unsigned long long)ts[i].offset, (unsigned long long)expect,
                ts[i].offset < expect ? "overlaps the previous tensor" : "gap before it");
        else
            expect += ts[i].bytes;
    }
    if (st == OG_OK && data_bytes != UINT64_MAX && expect != data_bytes)
        st = og_error_set(err, OG_ERR_INVALID,
                          "%s: tensors end at data offset %llu but the data section holds %llu "
                          "bytes (%s)",
                          name, (unsigned long long)expect, (unsigned long long)data_bytes,
                          expect > data_bytes ? "truncated file" : "trailing bytes");
    if (st == OG_OK)
        st = og_model_reserve_tensors(m, nt, err);
    for (size_t i = 0; i < nt; i++) {
        if (st == OG_OK) {
            ts[i].offset += data_start;
            m->tensors[m->n_tensors++] = ts[i];
        } else {
            free(ts[i].name);
        }
    }
    free(ts);
    if (st == OG_OK && meta_out && meta)
        *meta_out = json_incref(meta);
    json_decref(root);
    return st;
}

static og_status pread_all(int fd, void *buf, size_t n, uint64_t off, const char *path,
                           og_error *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return og_error_set(err, OG_ERR_IO, "%s: read at offset %llu: %s", path,
                                (unsigned long long)(off + got), strerror(errno));
        if (r == 0)
            return og_error_set(err, OG_ERR_INVALID, "%s: truncated at offset %llu", path,
                                (unsigned long long)(off + got));
        got += (size_t)r;
    }
    return OG_OK;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Header length checks shared by files and buffers. */
static og_status check_header_len(uint64_t n, uint64_t size, const char *name, og_error *err)
{
    if (n > OG_ST_MAX_HEADER)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header length %llu at offset 0 is more than the %u-byte limit",
                            name, (unsigned long long)n, OG_ST_MAX_HEADER);
    if (n > size - 8)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header length %llu at offset 0 is larger than the file (%llu "
                            "bytes)",
                            name, (unsigned long long)n, (unsigned long long)size);
    if (n < 2)
        return og_error_set(err, OG_ERR_INVALID, "%s: header length %llu is too small", name,
                            (unsigned long long)n);
    return OG_OK;
}

og_status og_st_read_file(const char *path, uint32_t file_index, og_model *m, json_t **meta_out,
                          og_error *err)
{
    if (meta_out)
        *meta_out = NULL;
    /* O_NONBLOCK: a FIFO opens at once and is refused below instead of blocking */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", path,
                            errno == ELOOP ? "symlink loop" : strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return og_error_set(err, OG_ERR_INVALID, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint8_t lenb[8];
    og_status st;
    if (size < 8) {
        close(fd);
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: %llu bytes is too short for a safetensors header", path,
                            (unsigned long long)size);
    }
    if ((st = pread_all(fd, lenb, 8, 0, path, err)) != OG_OK) {
        close(fd);
        return st;
    }
    uint64_t n = le64(lenb);
    if ((st = check_header_len(n, size, path, err)) != OG_OK) {
        close(fd);
        return st;
    }
    char *h = malloc((size_t)n);
    if (!h) {
        close(fd);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory for a %llu-byte header", path,
                            (unsigned long long)n);
    }
    st = pread_all(fd, h, (size_t)n, 8, path, err);
    close(fd);
    if (st == OG_OK)
        st = og_st_parse_header(h, (size_t)n, 8 + n, size - 8 - n, file_index, path, m, meta_out,
                                err);
    free(h);
    if (st == OG_OK) {
        if (!og_add_u64(m->file_bytes, size, &m->file_bytes))
            return og_error_set(err, OG_ERR_INVALID, "%s: file sizes overflow", path);
        m->n_files++;
    }
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int meta_is_mlx(json_t *meta)
{
    json_t *f = json_object_get(meta, "format");
    return json_is_string(f) && strcmp(json_string_value(f), "mlx") == 0;
}

og_status og_st_read_index(const char *index_path, og_model *m, int *mlx_meta, og_error *err)
{
    json_t *root;
    og_status st = og_json_load_file(index_path, &root, err);
    if (st != OG_OK)
        return st;
    json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(wm)) {
        json_decref(root);
        return og_error_set(err, OG_ERR_INVALID, "%s: key 'weight_map' is missing or not an object",
                            index_path);
    }
    /* Unique shard names, sorted (model-00001-of-0000N first). */
    size_t n = json_object_size(wm), nu = 0;
    const char **u = calloc(n ? n : 1, sizeof *u);
    if (!u) {
        json_decref(root);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", index_path);
    }
    const char *key;
    json_t *val;
    json_object_foreach(wm, key, val)
    {
        if (!json_is_string(val)) {
            st = og_error_set(err, OG_ERR_INVALID, "%s: weight_map['%s'] is not a file name",
                              index_path, key);
            break;
        }
        const char *f = json_string_value(val);
        if (!*f || f[0] == '/' || strstr(f, "..") || strlen(f) > 255) {
            st = og_error_set(err, OG_ERR_INVALID,
                              "%s: weight_map['%s'] = '%.64s' is not a file in the model folder",
                              index_path, key, f);
            break;
        }
        u[nu++] = f;
    }
    if (st == OG_OK && nu > 1) {
        qsort(u, nu, sizeof *u, cmp_str);
        size_t w = 1;
        for (size_t i = 1; i < nu; i++)
            if (strcmp(u[i], u[w - 1]) != 0)
                u[w++] = u[i];
        nu = w;
    }
    if (st == OG_OK && nu == 0)
        st = og_error_set(err, OG_ERR_INVALID, "%s: weight_map is empty", index_path);
    size_t dl = strlen(index_path) - strlen(og_basename(index_path));
    size_t listed = n;
    for (size_t i = 0; st == OG_OK && i < nu; i++) {
        char *p = malloc(dl + strlen(u[i]) + 1);
        if (!p) {
            st = og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", index_path);
            break;
        }
        memcpy(p, index_path, dl);
        strcpy(p + dl, u[i]);
        json_t *meta = NULL;
        st = og_st_read_file(p, (uint32_t)i, m, &meta, err);
        if (st == OG_OK && mlx_meta && meta_is_mlx(meta))
            *mlx_meta = 1;
        json_decref(meta);
        free(p);
    }
    if (st == OG_OK && m->n_tensors < listed)
        st = og_error_set(err, OG_ERR_INVALID,
                          "%s: weight_map lists %zu tensors but the shards hold only %zu",
                          index_path, listed, m->n_tensors);
    free(u);
    json_decref(root);
    return st;
}

uint64_t og_st_count_params(const og_model *m, int mlx)
{
    uint64_t p = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const char *nm = m->tensors[i].name;
        if (mlx && (og_has_suffix(nm, ".scales") || og_has_suffix(nm, ".biases")))
            continue;
        if (!og_add_u64(p, m->tensors[i].n_elements, &p))
            return UINT64_MAX;
    }
    return p;
}

/* The dtype holding most bytes, as the model's dtype ("BF16"). */
static void finish_plain(og_model *m)
{
    if (m->n_types && !m->dtype[0])
        og_strlcpy(m->dtype, m->by_type[0].type_name, sizeof m->dtype);
    og_model_guess_quant_label(m);
}

og_status og_safetensors_parse_buffer(const void *buf, size_t len, uint64_t file_size,
                                      const char *name, og_model **out, og_error *err)
{
    *out = NULL;
    if (!name)
        name = "(buffer)";
    if (len < 8)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: %zu bytes is too short for a safetensors header", name, len);
    uint64_t size = file_size > len ? file_size : len;
    uint64_t n = le64(buf);
    og_status st = check_header_len(n, size, name, err);
    if (st != OG_OK)
        return st;
    if (n > len - 8)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header length %llu is longer than the %zu bytes given", name,
                            (unsigned long long)n, len - 8);
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, name);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", name);
    uint64_t data = file_size ? size - 8 - n : UINT64_MAX;
    st = og_st_parse_header((const char *)buf + 8, (size_t)n, 8 + n, data, 0, name, m, NULL, err);
    if (st == OG_OK) {
        m->n_files = 1;
        m->file_bytes = file_size;
        m->n_params = og_st_count_params(m, 0);
        st = og_model_summarize(m, err);
    }
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    finish_plain(m);
    *out = m;
    return OG_OK;
}

/* "model-00002-of-00004.safetensors" -> 1 */
static int is_shard_name(const char *base)
{
    const char *p = strstr(base, "-of-");
    if (!p || p - base < 6)
        return 0;
    for (const char *q = p - 5; q < p; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return p[-6] == '-';
}

og_status og_safetensors_open(const char *path, og_model **out, og_error *err)
{
    *out = NULL;
    og_model *m = og_model_new(OG_FORMAT_SAFETENSORS, path);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
    og_status st;
    /* A shard with its index beside it: read the whole model. */
    const char *base = og_basename(path);
    size_t dl = (size_t)(base - path);
    char *index = malloc(dl + 40);
    if (!index) {
        og_model_free(m);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(index, path, dl);
    strcpy(index + dl, "model.safetensors.index.json");
    struct stat sb;
    if (is_shard_name(base) && stat(index, &sb) == 0 && S_ISREG(sb.st_mode))
        st = og_st_read_index(index, m, NULL, err);
    else
        st = og_st_read_file(path, 0, m, NULL, err);
    /* Hyper-parameters from a config.json beside the file, when there is one. */
    if (st == OG_OK) {
        strcpy(index + dl, "config.json");
        json_t *cfg = NULL;
        og_error e2;
        uint64_t cp = 0;
        if (stat(index, &sb) == 0 && og_json_load_file(index, &cfg, &e2) == OG_OK) {
            if (og_hf_config_fill(cfg, index, m, &cp, &e2) != OG_OK)
                memset(&m->hp, 0, sizeof m->hp);
            json_decref(cfg);
        }
    }
    free(index);
    if (st == OG_OK) {
        m->n_params = og_st_count_params(m, 0);
        st = og_model_summarize(m, err);
    }
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    m->dtype[0] = '\0';
    finish_plain(m);
    *out = m;
    return OG_OK;
}
