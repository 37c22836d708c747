/* oomguard — finding local models.
 *
 * Stores searched by default: the Hugging Face hub cache (HF_HUB_CACHE, else
 * HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub), LM Studio (~/.lmstudio/models,
 * ~/.cache/lm-studio/models) and Ollama (OLLAMA_MODELS, else
 * ~/.ollama/models, and /usr/share/ollama/.ollama/models of the Linux
 * service). Any folder can be searched instead.
 *
 * Each model found is opened with og_model_open (headers only). A model that
 * fails to open is still listed, with its error; one bad file never stops the
 * listing.
 */
#ifndef OOMGUARD_DISCOVER_H
#define OOMGUARD_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum og_store {
    OG_STORE_FOLDER = 0, /* a folder the caller named */
    OG_STORE_HF_CACHE,
    OG_STORE_LMSTUDIO,
    OG_STORE_OLLAMA
} og_store;

/* "folder", "huggingface", "lmstudio", "ollama". */
OG_API const char *og_store_name(og_store store);

typedef struct og_found_model {
    char *name; /* "org/name", "llama3.1:8b", or the file/folder name */
    char *path; /* what og_model_open takes */
    og_store store;
    og_format format; /* OG_FORMAT_UNKNOWN when it failed to open */
    uint64_t file_bytes;
    uint64_t weight_bytes;
    uint64_t n_params;
    char arch[OG_ARCH_MAX];
    char quant[32];
    og_status status; /* OG_OK, or why it could not be read */
    char *error;      /* the reader's message, or NULL */
} og_found_model;

typedef struct og_model_list {
    size_t n;
    og_found_model *items; /* sorted by store, then name */
} og_model_list;

/* Search limits: folders are walked at most this deep, symlinked folders are
 * followed but each real folder is visited once (no loops). */
#define OG_DISCOVER_MAX_DEPTH 8

/* Find models. dirs == NULL or n_dirs == 0: the default stores (missing
 * stores are skipped silently). Otherwise each dir is searched recursively
 * (an Ollama store or HF cache given as a dir is recognised by its layout).
 * A dir that does not exist is an error (OG_ERR_NOT_FOUND) naming it.
 * *out is always freed with og_model_list_free. */
OG_API og_status og_discover(const char *const *dirs, size_t n_dirs, og_model_list **out,
                             og_error *err);

OG_API void og_model_list_free(og_model_list *list);

#ifdef __cplusplus
}
#endif
#endif
