/* GGUF parsing internals shared by gguf.c and gguf_hparams.c. */
#ifndef OG_GGUF_INTERNAL_H
#define OG_GGUF_INTERNAL_H

#include <stdint.h>

#include "oomguard/model.h"
#include "source.h"

typedef struct gguf_value {
    uint64_t u;
    int64_t i;
    double f;
} gguf_value;

typedef struct gguf_kv {
    char *key;
    uint32_t type;     /* GGUF value type id */
    uint32_t arr_type; /* element type when type is ARRAY */
    uint64_t arr_n;    /* element count when type is ARRAY */
    gguf_value v;      /* scalar value */
    char *str;         /* string value (first 1024 bytes) */
    gguf_value *arr;   /* numeric array values, kept when arr_n <= OG_MAX_LAYERS */
} gguf_kv;

typedef struct gguf_file {
    uint32_t version;
    int big_endian;
    uint64_t n_kv;      /* as declared */
    uint64_t n_tensors; /* as declared */
    gguf_kv *kv;        /* kept pairs, sorted by key */
    size_t n_kv_kept;
    uint32_t alignment;
    uint64_t data_start; /* absolute offset of the data section */
    uint64_t data_bytes; /* padded size of the data section */
    uint64_t header_bytes;
} gguf_file;

og_status og_gguf_parse_source(og_source *s, uint64_t file_size, uint32_t file_index, gguf_file *f,
                               og_model *m, og_error *err);
/* src/gguf_kv.c: the key/value set (below every GGUF reader) */
void og_gguf_kv_free(gguf_kv *kv);
void og_gguf_file_free(gguf_file *f);
const gguf_kv *og_gguf_find(const gguf_file *f, const char *key);
og_status og_gguf_check_duplicate_tensors(og_model *m, og_error *err);
/* Fill hparams, name, quant label, by_type from shard-0 metadata and the tensors. */
og_status og_gguf_fill_model(const gguf_file *f, og_model *m, og_error *err);
/* og_gguf_open that also reports the bytes read from disk (benchmarks). */
og_status og_gguf_open_ex(const char *path, og_model **out, uint64_t *bytes_read, og_error *err);

/* How many bytes of a GGUF file hold its header (metadata and tensor infos,
 * without the padding before the data). From a prefix of the file: returns
 * 1 and *header_bytes when the prefix holds the whole header; 0 and
 * *estimate (the header size extrapolated from what the prefix shows, with
 * a margin on the guessed parts only; never less than len + 1) when more is
 * needed; -1 when the prefix is not a GGUF header. The prefix may be
 * hostile: lengths are checked against what remains and the work is bounded
 * by len. Used to read remote headers in few round trips. */
int og_gguf_header_extent(const void *buf, size_t len, uint64_t *header_bytes, uint64_t *estimate);

#endif
