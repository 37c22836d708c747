/* A bounded, buffered byte source over a file descriptor or a memory buffer.
 * Parsers advance a cursor with explicit lengths; every read checks the bytes
 * that remain. Skips do not read (a 40 GB file is never read in full). */
#ifndef OG_SOURCE_H
#define OG_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "oomguard/status.h"

typedef struct og_source {
    const char *name; /* for messages */
    int fd;           /* -1 for memory */
    const uint8_t *mem;
    uint64_t size; /* bytes available (file size or buffer length) */
    uint64_t pos;  /* absolute cursor */
    uint8_t *buf;  /* fd read buffer */
    size_t buf_cap;
    uint64_t buf_start; /* absolute offset of buf[0] */
    size_t buf_len;
    uint64_t bytes_read; /* bytes actually read from the fd (for benchmarks) */
} og_source;

og_status og_source_open_file(og_source *s, const char *path, og_error *err);
void og_source_open_mem(og_source *s, const void *buf, size_t len, const char *name);
void og_source_close(og_source *s);

static inline uint64_t og_source_remaining(const og_source *s)
{
    return s->pos <= s->size ? s->size - s->pos : 0;
}

/* Copy n bytes at the cursor into out and advance; OG_ERR_INVALID ("truncated")
 * if fewer remain. */
og_status og_source_read(og_source *s, void *out, size_t n, og_error *err);
/* Pointer to n bytes at the cursor (valid until the next call) and advance.
 * n must be <= 1 MiB. */
og_status og_source_peek_advance(og_source *s, size_t n, const uint8_t **out, og_error *err);
og_status og_source_skip(og_source *s, uint64_t n, og_error *err);
/* Skip n length-prefixed strings (u64 length + bytes; swap = big-endian
 * lengths) without copying them: the token lists of GGUF headers. */
og_status og_source_skip_strings(og_source *s, uint64_t n, int swap, og_error *err);

#endif
