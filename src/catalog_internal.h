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

/* One entry's tensor list, made once for several builds: og_catalog_model
 * is og_catalog_gen_new + og_catalog_gen_model + og_catalog_gen_free (the
 * pick policy ranks and plans several builds of one entry). The entry must
 * outlive the generator. */
typedef struct og_catalog_gen og_catalog_gen;
og_status og_catalog_gen_new(const og_catalog_entry *e, og_catalog_gen **out, og_error *err);
void og_catalog_gen_free(og_catalog_gen *g);
og_status og_catalog_gen_model(og_catalog_gen *g, og_catalog_build b, og_model **out,
                               og_error *err);
/* The weight bytes and parameters of every build of the entry for one
 * engine (mlx: the MLX builds, else the GGUF ones), as og_catalog_model's
 * weight_bytes and n_params would give them, without making the models. 0
 * for builds the entry does not have or that cannot be made. */
og_status og_catalog_gen_sizes(og_catalog_gen *g, int mlx, uint64_t weight_bytes[OG_BUILD_COUNT],
                               uint64_t n_params[OG_BUILD_COUNT], og_error *err);

#endif
