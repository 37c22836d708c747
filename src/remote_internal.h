/* Remote sizing internals shared by remote.c (the sources: hf://, https://,
 * ollama://), remote_http.c (range requests with retries) and remote_mirror.c
 * (the cache of header-only sparse files, parallel fetches). */
#ifndef OG_REMOTE_INTERNAL_H
#define OG_REMOTE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "oomguard/remote.h"

#define FIRST_GGUF_READ                                                                            \
    (64u * 1024u) /* small headers whole; else the counts and a vocabulary sample */
#define FIRST_ST_READ (64u * 1024u) /* the 8-byte length and usually the whole JSON */
#define MAX_SMALL_FILE (16u << 20)  /* config.json, index, manifests */
/* The largest single model file a Content-Range total may announce: Hugging
 * Face stores files of at most 50 GB (its LFS limit), GGUF splits of the
 * largest models stay far below this. A bigger total is a hostile or broken
 * server, not a model. */
#define OG_REMOTE_MAX_FILE (1ull << 40)
/* Files one hf:// repository may make us read, and GGUF quants one listing may
 * name: the largest real repositories have ~200 shards. */
#define OG_REMOTE_MAX_FILES 256u
/* Entries a repository's file list may have (the answer itself is capped at
 * MAX_SMALL_FILE bytes). */
#define OG_REMOTE_MAX_LISTING 100000u
/* The header cache's size limit (bytes on disk), OOMGUARD_CACHE_MAX overrides. */
#define OG_REMOTE_CACHE_MAX_DEFAULT (1ull << 30)
/* A transfer slower than this many bytes a second for a third of the timeout
 * has stalled. */
#define OG_REMOTE_LOW_SPEED 1024L

/* request context shared by worker threads */
typedef struct rctx {
    const og_remote_options *o;
    og_remote_stats *stats;
    pthread_mutex_t mu;
    void *share; /* a CURLSH: one connection cache, TLS sessions and DNS for all requests */
    pthread_mutex_t share_mu[8];
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

/* One request: GET url, or bytes [from, from+len) of it when len > 0.
 * bearer: a token sent as Authorization (curl drops it on redirects to other
 * hosts). etag / last_modified: validators of a cached copy; an unchanged
 * file answers 304 and sets not_modified. */
typedef struct http_req {
    const char *url;
    uint64_t from, len;
    const char *bearer, *accept;
    const char *etag, *last_modified;
} http_req;

typedef struct http_resp {
    membuf body;
    uint64_t total; /* the whole file's size (Content-Range total, or the body) */
    char etag[128], last_modified[64];
    int not_modified;
} http_resp;

/* Start and finish a request context (the shared connection cache); start
 * loads libcurl on first use and fails with a clear message without it. */
og_status og_remote_ctx_init(rctx *c, const og_remote_options *o, og_remote_stats *stats,
                             og_error *err);
void og_remote_ctx_free(rctx *c);

/* Perform q. Retries 5xx/429/timeouts/resets with backoff within the timeout
 * (a stalled transfer fails within it, naming the host); http(s) only, no
 * https -> http redirect; the Content-Range checked against what was asked
 * and OG_REMOTE_MAX_FILE; clear messages for 401/403, 404, 416, redirect
 * loops, missing range support. On success r->body holds the body (free it). */
og_status og_remote_http(rctx *c, const http_req *q, http_resp *r, og_error *err);

/* Remove a folder tree without a shell (nftw, not following links). */
void og_remote_rm_tree(const char *dir);
/* Keep the header cache under its size limit: drop the least recently used
 * entries (folders two levels under root) except keep. */
void og_remote_cache_trim(const char *root, const char *keep);
/* Mark a cache entry as just used. */
void og_remote_cache_touch(const char *dir);
/* The Hub's GET /api/models/REPO/revision/REV answer: the commit (40 hex
 * digits; rev when absent) and the file list (a new reference). */
struct json_t;
og_status og_hf_revision_parse(const char *buf, size_t len, const char *rev, char *sha,
                               size_t sha_len, struct json_t **siblings, og_error *err);
/* An Ollama manifest: the model layer's digest, checked to be sha256:64-HEX. */
og_status og_ollama_manifest_digest(const char *buf, size_t len, char *digest, size_t digest_len,
                                    og_error *err);
/* Whether NAME[:TAG] follows the Ollama registry's grammar. */
int og_ollama_name_valid(const char *name, const char *tag);

int og_remote_file_exists(const char *p);
void og_remote_sanitize(char *s); /* a safe path component for cache keys */
uint64_t og_remote_fnv1a(const char *s);
/* A cached copy's validators; not_modified is set when the server said 304. */
typedef struct remote_validators {
    char etag[128], last_modified[64];
    int not_modified;
} remote_validators;

/* Fetch the header of one model file into mirror_path. kind: 'g' GGUF,
 * 's' safetensors, 'f' a small file fetched whole. v (may be NULL): the
 * first request is conditional on its validators (304: nothing written,
 * v->not_modified set); on return it holds the answer's validators. */
og_status og_remote_fetch_file(rctx *c, const char *url, const char *bearer, char kind,
                               const char *mirror_path, remote_validators *v, og_error *err);
/* Fetch many files with c->o->parallel threads; the first error wins. */
og_status og_remote_run_jobs(rctx *c, const char *bearer, job *jobs, uint32_t n, og_error *err);

#endif
