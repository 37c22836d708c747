/* Remote sizing internals shared by remote.c (the sources: hf://, https://,
 * ollama://), remote_http.c (range requests with retries) and remote_mirror.c
 * (the cache of header-only sparse files, parallel fetches). */
#ifndef OG_REMOTE_INTERNAL_H
#define OG_REMOTE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "oomguard/remote.h"

#define FIRST_GGUF_READ (1u << 20)  /* most GGUF headers fit; 128k vocabularies need a second */
#define FIRST_ST_READ (64u * 1024u) /* the 8-byte length and usually the whole JSON */
#define MAX_SMALL_FILE (16u << 20)  /* config.json, index, manifests */

/* request context shared by worker threads */
typedef struct rctx {
    const og_remote_options *o;
    og_remote_stats *stats;
    pthread_mutex_t mu;
} rctx;

typedef struct membuf {
    uint8_t *p;
    size_t len, cap, limit;
    int over;
} membuf;

typedef struct job {
    char *url;
    char *path;
    char kind;
} job;

/* GET url, or bytes [from, from+len) of it when len > 0. On success out
 * holds the body, *total the whole file's size (when known) and etag its
 * ETag. bearer: a token sent as Authorization (curl drops it on redirects
 * to other hosts). Retries 5xx/429/timeouts/resets with backoff; clear
 * messages for 401/403, 404, 416, redirect loops, missing range support. */
og_status og_remote_http_get(rctx *c, const char *url, uint64_t from, uint64_t len,
                             const char *bearer, const char *accept, membuf *out, uint64_t *total,
                             char *etag, size_t etag_len, og_error *err);

int og_remote_file_exists(const char *p);
void og_remote_sanitize(char *s); /* a safe path component for cache keys */
uint64_t og_remote_fnv1a(const char *s);
/* Fetch the header of one model file into mirror_path. kind: 'g' GGUF,
 * 's' safetensors, 'f' a small file fetched whole. */
og_status og_remote_fetch_file(rctx *c, const char *url, const char *bearer, char kind,
                               const char *mirror_path, og_error *err);
/* Fetch many files with c->o->parallel threads; the first error wins. */
og_status og_remote_run_jobs(rctx *c, const char *bearer, job *jobs, uint32_t n, og_error *err);

#endif
