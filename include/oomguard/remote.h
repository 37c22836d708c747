/* oomguard — size a model before downloading it.
 *
 * Reads only header bytes over HTTP range requests (libcurl): a GGUF header
 * in one or two round trips, a safetensors header as its 8-byte length and
 * then the JSON, every shard of a repository in parallel. Sources:
 *
 *   hf://ORG/REPO[@REV]                 MLX or safetensors repository
 *   hf://ORG/REPO[@REV]/FILE.gguf       one GGUF (split files found and read together)
 *   https://HOST/PATH.gguf|.safetensors any server that honours range requests
 *   ollama://NAME[:TAG]                 the Ollama registry (manifest, then the model blob)
 *
 * Honours HF_TOKEN and HF_ENDPOINT (and OLLAMA_REGISTRY for tests). Fetched
 * headers are cached in the user cache dir keyed by revision, blob digest or
 * URL (revalidated with ETag/Last-Modified), at most OOMGUARD_CACHE_MAX
 * (default 1 GiB, least recently used dropped first); OOMGUARD_NO_CACHE=1
 * uses a temporary folder. TLS verification is always on (OOMGUARD_CA_FILE
 * adds a private CA); http(s) only. libcurl is loaded at run time on first
 * use (OOMGUARD_LIBCURL names it): without it these functions fail with
 * OG_ERR_UNSUPPORTED and a message saying what to install.
 */
#ifndef OOMGUARD_REMOTE_H
#define OOMGUARD_REMOTE_H

#include <stdint.h>

#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct og_remote_stats {
    uint32_t requests;       /* HTTP requests made (including redirects followed) */
    uint64_t bytes_received; /* body bytes received */
    uint32_t cache_hits;     /* headers served from the local cache */
    uint32_t files;          /* model files whose headers were read */
} og_remote_stats;

typedef void (*og_remote_progress_fn)(void *user, uint32_t done, uint32_t total);

typedef struct og_remote_options {
    const char *hf_endpoint;     /* default: $HF_ENDPOINT or https://huggingface.co */
    const char *hf_token;        /* default: $HF_TOKEN */
    const char *ollama_registry; /* default: $OLLAMA_REGISTRY or https://registry.ollama.ai */
    const char *cache_dir;       /* default: $XDG_CACHE_HOME/oomguard (~/.cache/oomguard) */
    int no_cache;                /* 1 = neither read nor write the cache */
    long timeout_s;              /* per file, retries included, default 30 */
    uint32_t retries;            /* on 5xx / timeouts / resets, default 3 (with backoff) */
    uint64_t max_header_bytes;   /* refuse headers larger than this; default 256 MiB */
    uint32_t parallel;           /* shards fetched at once, default 8 */
    og_remote_progress_fn progress;
    void *progress_user;
} og_remote_options;

/* Defaults (environment read at call time). */
OG_API void og_remote_options_default(og_remote_options *o);

/* 1 if s looks like a remote source (hf://, http(s)://, ollama://). */
OG_API int og_is_remote(const char *s);

/* Read a remote model's headers into an og_model. stats may be NULL.
 * Errors name the URL and what went wrong (401/403: token needed, 404, no
 * range support, truncated answer, too large). */
OG_API og_status og_remote_open(const char *source, const og_remote_options *opts, og_model **out,
                                og_remote_stats *stats, og_error *err);

/* List the GGUF files of a Hugging Face repository (quants), grouping split
 * files: *names is a malloc'd array of malloc'd "hf://ORG/REPO@REV/FILE"
 * sources, one per quant (the first shard of split files). */
OG_API og_status og_remote_list_gguf(const char *source, const og_remote_options *opts,
                                     char ***names, uint32_t *count, og_error *err);
OG_API void og_remote_list_free(char **names, uint32_t count);

#ifdef __cplusplus
}
#endif
#endif
