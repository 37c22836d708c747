/* GGUF reader: header only (metadata, tensor infos), v2 and v3, either byte
 * order, split files read as one model.
 *
 * Layout and validation follow ggml docs/gguf.md and src/gguf.cpp (ggml
 * master 2026-08-21): counts are 64-bit, strings are u64 length + bytes,
 * tensor offsets are relative to the aligned data section and must be the
 * running sum of padded sizes, n_dims <= 4, names < 64 bytes. Hyper-parameter
 * keys follow llama.cpp src/llama-arch.cpp (LLM_KV_NAMES) and how
 * src/llama-model.cpp load_hparams reads them (scalar or per-layer array).
 *
 * Every count read from the file is checked against the bytes that remain
 * before anything is allocated; every product of dimensions is
 * overflow-checked. Tensor data is never read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_internal.h"
#include "model_internal.h"
#include "og_internal.h"
#include "source.h"

enum {
    GT_U8 = 0,
    GT_I8 = 1,
    GT_U16 = 2,
    GT_I16 = 3,
    GT_U32 = 4,
    GT_I32 = 5,
    GT_F32 = 6,
    GT_BOOL = 7,
    GT_STRING = 8,
    GT_ARRAY = 9,
    GT_U64 = 10,
    GT_I64 = 11,
    GT_F64 = 12,
    GT_COUNT = 13
};

static const uint8_t gt_size[GT_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

#define GGUF_MAX_NAME 64           /* GGML_MAX_NAME, includes the terminator */
#define GGUF_MAX_KEY (64u * 1024u) /* keys are short; refuse absurd ones */
#define GGUF_MAX_STR_KEEP 1024     /* string values kept for display */
#define GGUF_MAX_ARR_KEEP OG_MAX_LAYERS

static const char *gt_name(uint32_t t)
{
    static const char *n[GT_COUNT] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
    return t < GT_COUNT ? n[t] : "?";
}

typedef struct reader {
    og_source *src;
    int swap; /* big-endian file */
    og_error *err;
} reader;

static uint16_t bswap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}
static uint32_t bswap32(uint32_t v)
{
    return __builtin_bswap32(v);
}
static uint64_t bswap64(uint64_t v)
{
    return __builtin_bswap64(v);
}

static og_status rd_bytes(reader *r, void *out, size_t n)
{
    return og_source_read(r->src, out, n, r->err);
}

static og_status rd_u32(reader *r, uint32_t *v)
{
    og_status st = rd_bytes(r, v, 4);
    if (st == OG_OK && r->swap)
        *v = bswap32(*v);
    return st;
}

static og_status rd_u64(reader *r, uint64_t *v)
{
    og_status st = rd_bytes(r, v, 8);
    if (st == OG_OK && r->swap)
        *v = bswap64(*v);
    return st;
}

/* Read one scalar of type t into u (integers widened, signed kept as
 * two's complement in u.i, floats in u.f). */
static og_status rd_scalar(reader *r, uint32_t t, gguf_value *u)
{
    uint8_t b[8];
    og_status st = rd_bytes(r, b, gt_size[t]);
    if (st != OG_OK)
        return st;
    memset(u, 0, sizeof *u);
    switch (t) {
    case GT_U8:
    case GT_BOOL:
        u->u = b[0];
        u->i = b[0];
        u->f = b[0];
        break;
    case GT_I8:
        u->i = (int8_t)b[0];
        break;
    case GT_U16:
    case GT_I16: {
        uint16_t v;
        memcpy(&v, b, 2);
        if (r->swap)
            v = bswap16(v);
        if (t == GT_U16)
            u->u = v, u->i = v;
        else
            u->i = (int16_t)v;
        break;
    }
    case GT_U32:
    case GT_I32:
    case GT_F32: {
        uint32_t v;
        memcpy(&v, b, 4);
        if (r->swap)
            v = bswap32(v);
        if (t == GT_U32)
            u->u = v, u->i = v;
        else if (t == GT_I32)
            u->i = (int32_t)v;
        else {
            float f;
            memcpy(&f, &v, 4);
            u->f = f;
        }
        break;
    }
    default: {
        uint64_t v;
        memcpy(&v, b, 8);
        if (r->swap)
            v = bswap64(v);
        if (t == GT_U64)
            u->u = v, u->i = (int64_t)v;
        else if (t == GT_I64)
            u->i = (int64_t)v;
        else {
            double f;
            memcpy(&f, &v, 8);
            u->f = f;
        }
        break;
    }
    }
    if (t == GT_I8 || t == GT_I16 || t == GT_I32 || t == GT_I64)
        u->u = u->i < 0 ? 0 : (uint64_t)u->i;
    if (t != GT_F32 && t != GT_F64)
        u->f =
            (t == GT_I8 || t == GT_I16 || t == GT_I32 || t == GT_I64) ? (double)u->i : (double)u->u;
    return OG_OK;
}

static int valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else
            return 0;
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Read a string length and either keep up to `keep` bytes (NUL-terminated,
 * malloc'd into *out) or skip it (out == NULL). */
static og_status rd_string(reader *r, const char *what, uint64_t max_len, char **out,
                           uint64_t *len_out)
{
    uint64_t pos = r->src->pos;
    uint64_t len;
    og_status st = rd_u64(r, &len);
    if (st != OG_OK)
        return st;
    if (len > og_source_remaining(r->src))
        return og_error_set(r->err, OG_ERR_INVALID,
                            "%s: %s at offset %llu claims %llu bytes but only %llu remain",
                            r->src->name, what, (unsigned long long)pos, (unsigned long long)len,
                            (unsigned long long)og_source_remaining(r->src));
    if (len > max_len)
        return og_error_set(r->err, OG_ERR_INVALID,
                            "%s: %s at offset %llu is %llu bytes long (limit %llu)", r->src->name,
                            what, (unsigned long long)pos, (unsigned long long)len,
                            (unsigned long long)max_len);
    if (len_out)
        *len_out = len;
    if (!out)
        return og_source_skip(r->src, len, r->err);
    size_t keep = (size_t)len;
    if (keep > GGUF_MAX_STR_KEEP)
        keep = GGUF_MAX_STR_KEEP;
    char *s = malloc(keep + 1);
    if (!s)
        return og_error_set(r->err, OG_ERR_NOMEM, "%s: out of memory", r->src->name);
    st = rd_bytes(r, s, keep);
    if (st == OG_OK && len > keep)
        st = og_source_skip(r->src, len - keep, r->err);
    if (st != OG_OK) {
        free(s);
        return st;
    }
    s[keep] = '\0';
    *out = s;
    return OG_OK;
}

static int key_wanted(const char *key)
{
    /* Tokenizer contents are skipped (megabytes); only the token count is kept. */
    if (strncmp(key, "tokenizer.", 10) == 0)
        return strcmp(key, "tokenizer.ggml.tokens") == 0 ||
               strcmp(key, "tokenizer.ggml.model") == 0;
    return 1;
}

static og_status read_value(reader *r, gguf_kv *kv, uint32_t type, int keep)
{
    og_status st;
    if (type == GT_STRING)
        return rd_string(r, "string value", UINT64_MAX, keep ? &kv->str : NULL, NULL);
    if (type != GT_ARRAY)
        return rd_scalar(r, type, &kv->v);

    uint64_t pos = r->src->pos;
    uint32_t et;
    uint64_t n;
    if ((st = rd_u32(r, &et)) != OG_OK || (st = rd_u64(r, &n)) != OG_OK)
        return st;
    if (et >= GT_COUNT)
        return og_error_set(r->err, OG_ERR_INVALID,
                            "%s: key '%s': array at offset %llu has unknown element type %u",
                            r->src->name, kv->key, (unsigned long long)pos, et);
    if (et == GT_ARRAY)
        return og_error_set(r->err, OG_ERR_INVALID,
                            "%s: key '%s': nested arrays are not allowed (offset %llu)",
                            r->src->name, kv->key, (unsigned long long)pos);
    kv->arr_type = et;
    kv->arr_n = n;
    uint64_t min_each = et == GT_STRING ? 8 : gt_size[et];
    if (n > og_source_remaining(r->src) / min_each)
        return og_error_set(r->err, OG_ERR_INVALID,
                            "%s: key '%s': array of %llu elements at offset %llu is larger than "
                            "the %llu bytes that remain",
                            r->src->name, kv->key, (unsigned long long)n, (unsigned long long)pos,
                            (unsigned long long)og_source_remaining(r->src));
    if (et == GT_STRING)
        return og_source_skip_strings(r->src, n, r->swap, r->err);
    uint64_t total = n * gt_size[et]; /* bounded by remaining above */
    if (!keep || n > GGUF_MAX_ARR_KEEP)
        return og_source_skip(r->src, total, r->err);
    kv->arr = calloc(n ? n : 1, sizeof *kv->arr);
    if (!kv->arr)
        return og_error_set(r->err, OG_ERR_NOMEM, "%s: out of memory", r->src->name);
    for (uint64_t i = 0; i < n; i++)
        if ((st = rd_scalar(r, et, &kv->arr[i])) != OG_OK)
            return st;
    return OG_OK;
}

static int cmp_kv_key(const void *a, const void *b)
{
    return strcmp(((const gguf_kv *)a)->key, ((const gguf_kv *)b)->key);
}

static og_status parse_header(reader *r, gguf_file *f)
{
    og_source *s = r->src;
    og_error *err = r->err;
    og_status st;
    uint8_t magic[4];
    if (og_source_remaining(s) < 4)
        return og_error_set(err, OG_ERR_INVALID, "%s: too short to be a GGUF file (%llu bytes)",
                            s->name, (unsigned long long)s->size);
    if ((st = rd_bytes(r, magic, 4)) != OG_OK)
        return st;
    if (memcmp(magic, "GGUF", 4) != 0)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: not a GGUF file (magic %02x %02x %02x %02x, expected 'GGUF')",
                            s->name, magic[0], magic[1], magic[2], magic[3]);
    uint32_t version;
    if ((st = rd_u32(r, &version)) != OG_OK)
        return og_error_set(err, OG_ERR_INVALID, "%s: truncated after the magic", s->name);
    /* ggml src/gguf.cpp: a file of the other byte order shows the version in
     * the high half. */
    if ((version & 0x0000FFFFu) == 0) {
        r->swap = 1;
        version = bswap32(version);
    }
    if (version == 1)
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s: GGUF version 1 is obsolete and not loadable by llama.cpp",
                            s->name);
    if (version < 2 || version > 3)
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s: GGUF version %u is not supported (2 or 3)", s->name, version);
    f->version = version;
    f->big_endian = r->swap;

    uint64_t n_tensors, n_kv;
    if ((st = rd_u64(r, &n_tensors)) != OG_OK || (st = rd_u64(r, &n_kv)) != OG_OK)
        return st;
    if ((int64_t)n_tensors < 0 || (int64_t)n_kv < 0)
        return og_error_set(err, OG_ERR_INVALID, "%s: negative tensor or metadata count", s->name);
    /* Smallest KV: 8-byte key length + 1 key byte + 4-byte type + 1-byte value. */
    if (n_kv > og_source_remaining(s) / 14)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header claims %llu metadata pairs but the file has only %llu "
                            "bytes left",
                            s->name, (unsigned long long)n_kv,
                            (unsigned long long)og_source_remaining(s));
    f->n_kv = n_kv;
    f->n_tensors = n_tensors;

    f->kv = calloc(n_kv ? n_kv : 1, sizeof *f->kv);
    if (!f->kv)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory for %llu metadata pairs", s->name,
                            (unsigned long long)n_kv);
    for (uint64_t i = 0; i < n_kv; i++) {
        uint64_t key_pos = s->pos;
        gguf_kv kv;
        memset(&kv, 0, sizeof kv);
        uint64_t klen;
        if ((st = rd_string(r, "metadata key", GGUF_MAX_KEY, &kv.key, &klen)) != OG_OK)
            return st;
        if (klen == 0 || strlen(kv.key) != klen || !valid_utf8((uint8_t *)kv.key, klen)) {
            free(kv.key);
            return og_error_set(err, OG_ERR_INVALID, "%s: metadata key #%llu at offset %llu is %s",
                                s->name, (unsigned long long)i, (unsigned long long)key_pos,
                                klen == 0 ? "empty" : "not valid UTF-8");
        }
        uint32_t type;
        if ((st = rd_u32(r, &type)) != OG_OK) {
            free(kv.key);
            return st;
        }
        if (type >= GT_COUNT) {
            og_error_set(err, OG_ERR_INVALID, "%s: key '%s' has unknown value type %u", s->name,
                         kv.key, type);
            free(kv.key);
            return OG_ERR_INVALID;
        }
        kv.type = type;
        int keep = key_wanted(kv.key);
        st = read_value(r, &kv, type, keep);
        if (st != OG_OK) {
            og_gguf_kv_free(&kv);
            return st;
        }
        if (keep)
            f->kv[f->n_kv_kept++] = kv;
        else
            og_gguf_kv_free(&kv);
    }
    qsort(f->kv, f->n_kv_kept, sizeof *f->kv, cmp_kv_key);
    for (size_t i = 1; i < f->n_kv_kept; i++)
        if (strcmp(f->kv[i - 1].key, f->kv[i].key) == 0)
            return og_error_set(err, OG_ERR_INVALID, "%s: duplicate metadata key '%s'", s->name,
                                f->kv[i].key);

    f->alignment = 32;
    const gguf_kv *al = og_gguf_find(f, "general.alignment");
    if (al) {
        if (al->type != GT_U32 || al->v.u == 0 || (al->v.u & (al->v.u - 1)) != 0)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: general.alignment must be a power-of-two u32 (got %s %llu)",
                                s->name, gt_name(al->type), (unsigned long long)al->v.u);
        f->alignment = (uint32_t)al->v.u;
    }
    return OG_OK;
}

static og_status parse_tensors(reader *r, gguf_file *f, og_model *m, uint32_t file_index,
                               uint64_t file_size)
{
    og_source *s = r->src;
    og_error *err = r->err;
    og_status st;
    /* Smallest tensor info: name len 8 + 1 + n_dims 4 + one dim 8 + type 4 + offset 8. */
    if (f->n_tensors > og_source_remaining(s) / 33)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: header claims %llu tensors but the file has only %llu bytes left",
                            s->name, (unsigned long long)f->n_tensors,
                            (unsigned long long)og_source_remaining(s));
    size_t first = m->n_tensors;
    if ((st = og_model_reserve_tensors(m, (size_t)f->n_tensors, err)) != OG_OK)
        return st;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        uint64_t info_pos = s->pos;
        og_tensor t;
        memset(&t, 0, sizeof t);
        uint64_t nlen;
        if ((st = rd_string(r, "tensor name", GGUF_MAX_NAME - 1, &t.name, &nlen)) != OG_OK)
            return st;
        if (nlen == 0 || strlen(t.name) != nlen || !valid_utf8((uint8_t *)t.name, nlen)) {
            free(t.name);
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: tensor #%llu at offset %llu has an empty or invalid name",
                                s->name, (unsigned long long)i, (unsigned long long)info_pos);
        }
        uint32_t n_dims, type;
        if ((st = rd_u32(r, &n_dims)) != OG_OK)
            goto fail;
        if (n_dims == 0 || n_dims > 4) {
            st = og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s' has %u dimensions (1 to 4)",
                              s->name, t.name, n_dims);
            goto fail;
        }
        t.n_dims = n_dims;
        uint64_t n_el = 1;
        for (uint32_t d = 0; d < n_dims; d++) {
            if ((st = rd_u64(r, &t.dims[d])) != OG_OK)
                goto fail;
            if ((int64_t)t.dims[d] < 0 || !og_mul_u64(n_el, t.dims[d], &n_el) ||
                n_el > (uint64_t)INT64_MAX) {
                st = og_error_set(err, OG_ERR_INVALID,
                                  "%s: tensor '%s': dimensions overflow (dim %u = %llu)", s->name,
                                  t.name, d, (unsigned long long)t.dims[d]);
                goto fail;
            }
        }
        t.n_elements = n_el;
        if ((st = rd_u32(r, &type)) != OG_OK)
            goto fail;
        const og_ggml_type_info *ti = og_ggml_type(type);
        if (!ti) {
            st = og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s' has unknown ggml type %u",
                              s->name, t.name, type);
            goto fail;
        }
        if (t.dims[0] % ti->block_size != 0) {
            st = og_error_set(err, OG_ERR_INVALID,
                              "%s: tensor '%s': row of %llu elements is not a multiple of the %s "
                              "block size %u",
                              s->name, t.name, (unsigned long long)t.dims[0], ti->name,
                              ti->block_size);
            goto fail;
        }
        int ok = 1;
        uint64_t bytes = og_ggml_row_bytes(type, t.dims[0], &ok);
        for (uint32_t d = 1; d < n_dims && ok; d++)
            ok = og_mul_u64(bytes, t.dims[d], &bytes);
        if (!ok) {
            st = og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': byte size overflows", s->name,
                              t.name);
            goto fail;
        }
        t.bytes = bytes;
        t.ggml_type = (int32_t)type;
        t.type_name = ti->name;
        t.file_index = file_index;
        if ((st = rd_u64(r, &t.offset)) != OG_OK)
            goto fail;
        if (t.offset % f->alignment != 0) {
            st = og_error_set(err, OG_ERR_INVALID,
                              "%s: tensor '%s': offset %llu is not aligned to %u bytes", s->name,
                              t.name, (unsigned long long)t.offset, f->alignment);
            goto fail;
        }
        m->tensors[m->n_tensors++] = t;
        continue;
    fail:
        free(t.name);
        return st;
    }
    int ok = 1;
    f->data_start = f->n_tensors > 0 ? og_pad_u64(s->pos, f->alignment, &ok) : s->pos;
    /* ggml requires offsets to be the running sum of padded sizes, in order. */
    uint64_t expect = 0;
    for (size_t i = first; i < m->n_tensors && ok; i++) {
        og_tensor *t = &m->tensors[i];
        if (t->offset != expect)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: tensor '%s': data offset %llu, expected %llu (tensors must be "
                                "stored in order without gaps)",
                                s->name, t->name, (unsigned long long)t->offset,
                                (unsigned long long)expect);
        uint64_t padded = og_pad_u64(t->bytes, f->alignment, &ok);
        if (!ok || !og_add_u64(expect, padded, &expect)) {
            ok = 0;
            break;
        }
        uint64_t abs;
        if (!og_add_u64(f->data_start, t->offset, &abs))
            ok = 0;
        t->offset = abs;
    }
    if (!ok)
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor offsets overflow", s->name);
    f->data_bytes = expect;
    uint64_t end;
    if (!og_add_u64(f->data_start, expect, &end))
        return og_error_set(err, OG_ERR_INVALID, "%s: tensor data overflows", s->name);
    if (file_size && m->n_tensors > first) {
        /* The last tensor needs its bytes, not its padding. */
        og_tensor *last = &m->tensors[m->n_tensors - 1];
        uint64_t last_end;
        if (!og_add_u64(last->offset, last->bytes, &last_end))
            return og_error_set(err, OG_ERR_INVALID, "%s: tensor '%s': offset + size overflows",
                                s->name, last->name);
        if (last_end > file_size)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: tensor '%s' ends at byte %llu, past the end of the file "
                                "(%llu bytes): the file is truncated",
                                s->name, last->name, (unsigned long long)last_end,
                                (unsigned long long)file_size);
    }
    return OG_OK;
}

og_status og_gguf_parse_source(og_source *s, uint64_t file_size, uint32_t file_index, gguf_file *f,
                               og_model *m, og_error *err)
{
    reader r = {s, 0, err};
    memset(f, 0, sizeof *f);
    og_status st = parse_header(&r, f);
    if (st == OG_OK)
        st = parse_tensors(&r, f, m, file_index, file_size);
    f->header_bytes = s->pos;
    return st;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp((*(const og_tensor *const *)a)->name, (*(const og_tensor *const *)b)->name);
}

og_status og_gguf_check_duplicate_tensors(og_model *m, og_error *err)
{
    if (m->n_tensors < 2)
        return OG_OK;
    const og_tensor **v = malloc(m->n_tensors * sizeof *v);
    if (!v)
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", m->path);
    for (size_t i = 0; i < m->n_tensors; i++)
        v[i] = &m->tensors[i];
    qsort(v, m->n_tensors, sizeof *v, cmp_tensor_name);
    og_status st = OG_OK;
    for (size_t i = 1; i < m->n_tensors; i++)
        if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
            st = og_error_set(err, OG_ERR_INVALID, "%s: duplicate tensor name '%s'", m->path,
                              v[i]->name);
            break;
        }
    free(v);
    return st;
}

/* ---- split files: <prefix>-%05d-of-%05d.gguf (llama.cpp src/llama.cpp
 * llama_split_path, tools/gguf-split/gguf-split.cpp) ---- */

/* If path names a shard, return 1 and set prefix length, shard number and count. */
static int split_name(const char *path, size_t *prefix_len, unsigned *no, unsigned *count)
{
    size_t n = strlen(path);
    /* "-00001-of-00003.gguf" is 20 characters */
    if (n < 20 || !og_has_suffix(path, ".gguf"))
        return 0;
    const char *p = path + n - 20;
    unsigned a, b;
    char dash1, o, f, dash2, dash3;
    if (p[0] != '-' || p[6] != '-' || p[7] != 'o' || p[8] != 'f' || p[9] != '-')
        return 0;
    for (int i = 1; i <= 5; i++)
        if (p[i] < '0' || p[i] > '9' || p[9 + i] < '0' || p[9 + i] > '9')
            return 0;
    (void)dash1, (void)o, (void)f, (void)dash2, (void)dash3;
    a = (unsigned)atoi(p + 1);
    b = (unsigned)atoi(p + 10);
    if (a == 0 || b == 0 || a > b)
        return 0;
    *prefix_len = (size_t)(p - path);
    *no = a;
    *count = b;
    return 1;
}

static og_status open_one(const char *path, uint32_t index, gguf_file *f, og_model *m,
                          uint64_t *file_size, uint64_t *bytes_read, og_error *err)
{
    og_source s;
    /* f is freed by the caller whatever happens: start it empty, even when the
     * file cannot be opened (a half-downloaded split model lacks shards) */
    memset(f, 0, sizeof *f);
    *file_size = 0;
    og_status st = og_source_open_file(&s, path, err);
    if (st != OG_OK)
        return st;
    *file_size = s.size;
    st = og_gguf_parse_source(&s, s.size, index, f, m, err);
    if (bytes_read)
        *bytes_read += s.bytes_read;
    og_source_close(&s);
    return st;
}

static uint64_t kv_uint(const gguf_file *f, const char *key, uint64_t def)
{
    const gguf_kv *kv = og_gguf_find(f, key);
    if (!kv || kv->type == GT_STRING || kv->type == GT_ARRAY)
        return def;
    return kv->v.u;
}

og_status og_gguf_open_ex(const char *path, og_model **out, uint64_t *bytes_read, og_error *err)
{
    *out = NULL;
    if (bytes_read)
        *bytes_read = 0;
    og_model *m = og_model_new(OG_FORMAT_GGUF, path);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    size_t prefix_len;
    unsigned no, count;
    int split = split_name(path, &prefix_len, &no, &count);
    gguf_file first;
    memset(&first, 0, sizeof first);
    og_status st;
    if (!split) {
        uint64_t sz;
        st = open_one(path, 0, &first, m, &sz, bytes_read, err);
        m->file_bytes = sz;
        m->n_files = 1;
        if (st == OG_OK) {
            uint64_t n_split = kv_uint(&first, "split.count", 0);
            if (n_split > 1)
                st = og_error_set(err, OG_ERR_INVALID,
                                  "%s: this is shard 1 of a %llu-part split model but its name "
                                  "does not follow the -00001-of-%05llu.gguf pattern",
                                  path, (unsigned long long)n_split, (unsigned long long)n_split);
        }
    } else {
        /* Always start from shard 1 whatever shard the user named. */
        char *shard = malloc(prefix_len + 21);
        if (!shard) {
            og_model_free(m);
            return og_error_set(err, OG_ERR_NOMEM, "out of memory");
        }
        st = OG_OK;
        for (unsigned i = 1; i <= count && st == OG_OK; i++) {
            snprintf(shard, prefix_len + 21, "%.*s-%05u-of-%05u.gguf", (int)prefix_len, path, i,
                     count);
            gguf_file other;
            memset(&other, 0, sizeof other);
            gguf_file *f = i == 1 ? &first : &other;
            uint64_t sz;
            st = open_one(shard, i - 1, f, m, &sz, bytes_read, err);
            if (st == OG_OK) {
                m->file_bytes += sz;
                uint64_t sno = kv_uint(f, "split.no", UINT64_MAX);
                if (sno != i - 1 && !(count == 1 && sno == UINT64_MAX))
                    st = og_error_set(err, OG_ERR_INVALID,
                                      "%s: split.no is %lld, expected %u for this shard", shard,
                                      sno == UINT64_MAX ? -1LL : (long long)sno, i - 1);
            }
            if (i > 1)
                og_gguf_file_free(&other);
        }
        m->n_files = count;
        if (st == OG_OK) {
            uint64_t total = kv_uint(&first, "split.tensors.count", m->n_tensors);
            if (total != m->n_tensors)
                st = og_error_set(err, OG_ERR_INVALID,
                                  "%s: split.tensors.count says %llu tensors, the %u shards hold "
                                  "%zu",
                                  path, (unsigned long long)total, count, m->n_tensors);
        }
        free(shard);
    }
    if (st == OG_OK)
        st = og_gguf_check_duplicate_tensors(m, err);
    if (st == OG_OK)
        st = og_gguf_fill_model(&first, m, err);
    og_gguf_file_free(&first);
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    *out = m;
    return OG_OK;
}

og_status og_gguf_open(const char *path, og_model **out, og_error *err)
{
    return og_gguf_open_ex(path, out, NULL, err);
}

og_status og_gguf_parse_buffer(const void *buf, size_t len, uint64_t file_size, const char *name,
                               og_model **out, og_error *err)
{
    *out = NULL;
    og_model *m = og_model_new(OG_FORMAT_GGUF, name);
    if (!m)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    og_source s;
    og_source_open_mem(&s, buf, len, name ? name : "(buffer)");
    gguf_file f;
    og_status st = og_gguf_parse_source(&s, file_size, 0, &f, m, err);
    m->file_bytes = file_size ? file_size : len;
    m->n_files = 1;
    if (st == OG_OK)
        st = og_gguf_check_duplicate_tensors(m, err);
    if (st == OG_OK)
        st = og_gguf_fill_model(&f, m, err);
    og_gguf_file_free(&f);
    if (st != OG_OK) {
        og_model_free(m);
        return st;
    }
    *out = m;
    return OG_OK;
}
