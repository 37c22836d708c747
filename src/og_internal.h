/* Internal helpers shared by the library's files. Not installed. */
#ifndef OG_INTERNAL_H
#define OG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "oomguard/status.h"

/* Checked arithmetic: return 1 and store the result, or 0 on overflow. */
static inline int og_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline int og_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* PAD(x, a) for a power-of-two a; 0 on overflow via *ok = 0. */
static inline uint64_t og_pad_u64(uint64_t x, uint64_t a, int *ok)
{
    uint64_t r;
    if (a == 0 || __builtin_add_overflow(x, a - 1, &r)) {
        if (ok)
            *ok = 0;
        return 0;
    }
    return r / a * a;
}

/* strdup that returns NULL on NULL input or allocation failure. */
char *og_strdup(const char *s);
char *og_strndup(const char *s, size_t n);

/* Case-insensitive ASCII compare. */
int og_strcasecmp(const char *a, const char *b);

/* Copy src into dst of size n, always terminating. */
void og_strlcpy(char *dst, const char *src, size_t n);

/* Read a whole small file (config.json, index) into a NUL-terminated buffer,
 * refusing files larger than max_bytes. */
og_status og_read_small_file(const char *path, size_t max_bytes, char **out, size_t *len,
                             og_error *err);

/* mkdir -p: create dir and its missing parents (mode 0755). Errors name the
 * folder that could not be made. */
og_status og_mkdirs(const char *dir, og_error *err);
/* og_mkdirs for the folder holding path ("a/b/c" -> "a/b"). */
og_status og_mkdirs_parent(const char *path, og_error *err);

/* "dir/file" (one slash between), malloc'd; NULL when out of memory. */
char *og_path_join(const char *dir, const char *file);

/* Last path component (pointer into path). */
const char *og_basename(const char *path);

/* 1 if path ends with suffix (case-insensitive). */
int og_has_suffix(const char *path, const char *suffix);

/* An -ot pattern (std::regex ECMAScript as llama.cpp reads it) compiled to a
 * POSIX regex_t *re (src/llama_fitparams.c); 0 = ok, -1 = invalid. The plan
 * compiles each pattern once instead of once per tensor. */
int og_llama_override_compile(const char *pattern, void *re);

#endif
