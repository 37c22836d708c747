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

#endif
