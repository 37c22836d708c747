/* Internal: the catalog's tensor generator and helpers. */
#ifndef OG_CATALOG_INTERNAL_H
#define OG_CATALOG_INTERNAL_H

#include "oomguard/catalog.h"

/* 1 if the tensor generator knows this llama.cpp architecture. */
int og_catalog_arch_supported(const char *arch);
/* Comma-separated list of supported architectures (static). */
const char *og_catalog_arch_list(void);

/* Normalize a model name for matching: lower case, letters and digits only
 * (the rest dropped). Writes at most n-1 characters. */
void og_catalog_normalize(const char *in, char *out, size_t n);

/* Read and check a catalog file (at most 16 MiB): og_catalog_parse of its
 * contents, messages naming the file. */
og_status og_catalog_read_file(const char *path, og_catalog_entry **out, uint32_t *n,
                               og_error *err);

#endif
