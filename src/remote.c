/* Remote sizing before download (see include/oomguard/remote.h).
 *
 * Header bytes are fetched with HTTP range requests and written into a
 * mirror folder of header-only sparse files of the real sizes (config.json
 * and the shard index in full). The mirror is the local cache, keyed by the
 * repository commit, the Ollama blob digest or the URL and its ETag, and the
 * ordinary local readers (og_gguf_open, og_folder_open) open it: remote and
 * local models go through exactly the same code.
 */
#include "oomguard/remote.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gguf_internal.h"
#include "og_internal.h"
#include "og_version.h"
#include "platform/paths.h"

#define FIRST_GGUF_READ (1u << 20)  /* most GGUF headers fit; 128k vocabularies need a second */
#define FIRST_ST_READ (64u * 1024u) /* the 8-byte length and usually the whole JSON */
#define MAX_SMALL_FILE (16u << 20)  /* config.json, index, manifests */

/* ---- request context shared by worker threads ---- */
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

static size_t on_body(char *data, size_t sz, size_t n, void *user)
{
    membuf *b = user;
    size_t add = sz * n;
    if (b->len + add > b->limit) {
        b->over = 1;
        return 0; /* abort the transfer */
    }
    if (b->len + add > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 65536;
        while (nc < b->len + add)
            nc *= 2;
        uint8_t *np = realloc(b->p, nc + 1);
        if (!np)
            return 0;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = 0;
    return add;
}

typedef struct hdrs {
    uint64_t range_total; /* from Content-Range */
    int has_range;
    char etag[128];
} hdrs;

static size_t on_header(char *data, size_t sz, size_t n, void *user)
{
    hdrs *h = user;
    size_t len = sz * n;
    char line[512];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = 0;
    if (strncasecmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
        h->has_range = 0;
        h->etag[0] = 0;
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        const char *slash = strchr(line, '/');
        if (slash && slash[1] != '*') {
            h->range_total = strtoull(slash + 1, NULL, 10);
            h->has_range = 1;
        }
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        const char *v = line + 5;
        while (*v == ' ')
            v++;
        og_strlcpy(h->etag, v, sizeof h->etag);
        h->etag[strcspn(h->etag, "\r\n")] = 0;
    }
    return len;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* GET url, or bytes [from, from+len) of it when len > 0. On success out
 * holds the body, *total the whole file's size (when known) and etag its
 * ETag. bearer: a token sent as Authorization (curl drops it on redirects
 * to other hosts). */
static og_status http_get(rctx *c, const char *url, uint64_t from, uint64_t len, const char *bearer,
                          const char *accept, membuf *out, uint64_t *total, char *etag,
                          size_t etag_len, og_error *err)
{
    const og_remote_options *o = c->o;
    og_status st = OG_ERR_NETWORK;
    for (uint32_t attempt = 0; attempt <= o->retries; attempt++) {
        if (attempt)
            sleep_ms(200L << (attempt - 1));
        CURL *h = curl_easy_init();
        if (!h)
            return og_error_set(err, OG_ERR_NOMEM, "%s: cannot start a request", url);
        struct curl_slist *hl = NULL;
        char buf[512];
        if (bearer && *bearer) {
            snprintf(buf, sizeof buf, "Authorization: Bearer %s", bearer);
            hl = curl_slist_append(hl, buf);
        }
        if (accept) {
            snprintf(buf, sizeof buf, "Accept: %s", accept);
            hl = curl_slist_append(hl, buf);
        }
        hl = curl_slist_append(hl, "Accept-Encoding: identity");
        char range[64];
        if (len) {
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)from,
                     (unsigned long long)(from + len - 1));
            curl_easy_setopt(h, CURLOPT_RANGE, range);
        }
        membuf b = {0};
        /* A server that ignores the range sends the whole file: stop well
         * before that becomes a download. */
        b.limit = len ? (size_t)len + (1u << 20) : MAX_SMALL_FILE;
        hdrs hd = {0};
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "oomguard/" OG_VERSION_STRING);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
        CURLcode rc = curl_easy_perform(h);
        long code = 0, redirects = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
        curl_easy_cleanup(h);
        curl_slist_free_all(hl);
        pthread_mutex_lock(&c->mu);
        if (c->stats) {
            c->stats->requests += 1 + (uint32_t)redirects;
            c->stats->bytes_received += b.len;
        }
        pthread_mutex_unlock(&c->mu);

        int retry = 0;
        if (rc == CURLE_WRITE_ERROR && b.over) {
            free(b.p);
            if (len && code == 200)
                return og_error_set(err, OG_ERR_NETWORK,
                                    "%s: the server does not support range requests (it answered "
                                    "200 with the whole file); download the file and give its "
                                    "local path instead",
                                    url);
            return og_error_set(err, OG_ERR_NETWORK, "%s: answer larger than the %zu-byte limit",
                                url, b.limit);
        } else if (rc == CURLE_TOO_MANY_REDIRECTS) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: too many redirects (a redirect loop?)",
                                url);
        } else if (rc == CURLE_PARTIAL_FILE) {
            st = og_error_set(err, OG_ERR_NETWORK,
                              "%s: the answer was truncated (%zu bytes received)", url, b.len);
            retry = 1;
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            st = og_error_set(err, OG_ERR_NETWORK, "%s: timed out after %ld s", url, o->timeout_s);
            retry = 1;
        } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR ||
                   rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING) {
            st = og_error_set(err, OG_ERR_NETWORK, "%s: %s", url, curl_easy_strerror(rc));
            retry = 1;
        } else if (rc != CURLE_OK) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: %s", url, curl_easy_strerror(rc));
        } else if (code == 401 || code == 403) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: HTTP %ld: access denied%s", url, code,
                                bearer && *bearer
                                    ? " (the token in HF_TOKEN was refused, or the repository "
                                      "is gated: accept its terms on the website)"
                                    : ": this repository needs a token; set HF_TOKEN");
        } else if (code == 404) {
            free(b.p);
            return og_error_set(err, OG_ERR_NOT_FOUND, "%s: HTTP 404: not found", url);
        } else if (code == 416) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK,
                                "%s: HTTP 416: range not satisfiable (the file is shorter than "
                                "its header says)",
                                url);
        } else if (code == 429 || code >= 500) {
            st = og_error_set(err, OG_ERR_NETWORK, "%s: HTTP %ld", url, code);
            retry = 1;
        } else if (code != 200 && code != 206) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: unexpected HTTP %ld", url, code);
        } else {
            if (total)
                *total = hd.has_range ? hd.range_total : b.len + (code == 200 ? 0 : from);
            if (etag)
                og_strlcpy(etag, hd.etag, etag_len);
            if (len && code == 206 && !hd.has_range) {
                free(b.p);
                return og_error_set(err, OG_ERR_NETWORK, "%s: 206 answer without Content-Range",
                                    url);
            }
            if (len && code == 200)
                *total = b.len; /* whole (small) file despite the range */
            *out = b;
            return OG_OK;
        }
        free(b.p);
        if (!retry)
            break;
    }
    return st;
}

/* ---- the mirror folder ---- */

static og_status mkdirs(const char *path, og_error *err)
{
    char tmp[4096];
    og_strlcpy(tmp, path, sizeof tmp);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return og_error_set(err, OG_ERR_IO, "%s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return og_error_set(err, OG_ERR_IO, "%s: %s", tmp, strerror(errno));
    return OG_OK;
}

/* Write the first n bytes of a file of `size` bytes; the rest is a hole. */
static og_status write_sparse(const char *path, const void *p, size_t n, uint64_t size,
                              og_error *err)
{
    char dir[4096];
    og_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        og_status st = mkdirs(dir, err);
        if (st != OG_OK)
            return st;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return og_error_set(err, OG_ERR_IO, "%s: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const uint8_t *)p + done, n - done);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return og_error_set(err, OG_ERR_IO, "%s: %s", tmp, strerror(errno));
        }
        done += (size_t)w;
    }
    if (ftruncate(fd, (off_t)(size > n ? size : n)) != 0 || close(fd) != 0 ||
        rename(tmp, path) != 0) {
        unlink(tmp);
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return OG_OK;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A safe path component for cache keys. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            *s = '_';
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Fetch the header of one model file into mirror/rel. kind: 'g' GGUF, 's' safetensors,
 * 'f' a small file fetched whole. */
static og_status fetch_file(rctx *c, const char *url, const char *bearer, char kind,
                            const char *mirror_path, og_error *err)
{
    membuf b = {0};
    uint64_t total = 0;
    og_status st;
    if (kind == 'f') {
        st = http_get(c, url, 0, 0, bearer, NULL, &b, &total, NULL, 0, err);
        if (st == OG_OK)
            st = write_sparse(mirror_path, b.p, b.len, b.len, err);
        free(b.p);
        return st;
    }
    uint64_t first = kind == 'g' ? FIRST_GGUF_READ : FIRST_ST_READ;
    st = http_get(c, url, 0, first, bearer, NULL, &b, &total, NULL, 0, err);
    if (st != OG_OK)
        return st;
    uint64_t need = 0;
    for (int round = 0; round < 4; round++) {
        if (kind == 's') {
            if (b.len < 8) {
                free(b.p);
                return og_error_set(err, OG_ERR_INVALID,
                                    "%s: %zu bytes: too short for a safetensors file", url, b.len);
            }
            uint64_t n;
            memcpy(&n, b.p, 8);
            if (n > c->o->max_header_bytes || (total && n + 8 > total)) {
                free(b.p);
                return og_error_set(
                    err, OG_ERR_INVALID, "%s: safetensors header of %llu bytes is %s", url,
                    (unsigned long long)n,
                    n > c->o->max_header_bytes ? "larger than the limit" : "longer than the file");
            }
            need = n + 8;
        } else {
            uint64_t hb, est;
            int r = og_gguf_header_extent(b.p, b.len, &hb, &est);
            if (r < 0) {
                free(b.p);
                return og_error_set(err, OG_ERR_INVALID, "%s: not a GGUF file", url);
            }
            need = r == 1 ? hb : est;
            if (r == 1)
                break;
            if (need > c->o->max_header_bytes) {
                free(b.p);
                return og_error_set(err, OG_ERR_INVALID,
                                    "%s: GGUF header larger than the %llu-byte limit", url,
                                    (unsigned long long)c->o->max_header_bytes);
            }
        }
        if (total && need > total)
            need = total;
        if (need <= b.len)
            break;
        /* Fetch the rest in one more request. */
        membuf more = {0};
        uint64_t t2 = 0;
        st = http_get(c, url, b.len, need - b.len, bearer, NULL, &more, &t2, NULL, 0, err);
        if (st != OG_OK) {
            free(b.p);
            return st;
        }
        uint8_t *np = realloc(b.p, b.len + more.len + 1);
        if (!np) {
            free(b.p);
            free(more.p);
            return og_error_set(err, OG_ERR_NOMEM, "out of memory");
        }
        b.p = np;
        memcpy(b.p + b.len, more.p, more.len);
        b.len += more.len;
        free(more.p);
        if (kind == 's')
            break;
    }
    st = write_sparse(mirror_path, b.p, b.len, total ? total : b.len, err);
    free(b.p);
    pthread_mutex_lock(&c->mu);
    if (c->stats && st == OG_OK)
        c->stats->files++;
    pthread_mutex_unlock(&c->mu);
    return st;
}

/* ---- parallel fetch of many files ---- */
typedef struct job {
    char *url;
    char *path;
    char kind;
} job;

typedef struct pool {
    rctx *c;
    const char *bearer;
    job *jobs;
    uint32_t n, next, done;
    og_status st;
    og_error err;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->c->mu);
        if (p->next >= p->n || p->st != OG_OK) {
            pthread_mutex_unlock(&p->c->mu);
            return NULL;
        }
        job *j = &p->jobs[p->next++];
        pthread_mutex_unlock(&p->c->mu);
        og_error e;
        og_error_clear(&e);
        og_status st = file_exists(j->path)
                           ? OG_OK
                           : fetch_file(p->c, j->url, p->bearer, j->kind, j->path, &e);
        pthread_mutex_lock(&p->c->mu);
        if (st != OG_OK && p->st == OG_OK) {
            p->st = st;
            p->err = e;
        }
        p->done++;
        uint32_t done = p->done, n = p->n;
        pthread_mutex_unlock(&p->c->mu);
        if (p->c->o->progress)
            p->c->o->progress(p->c->o->progress_user, done, n);
    }
}

static og_status run_jobs(rctx *c, const char *bearer, job *jobs, uint32_t n, og_error *err)
{
    pool p = {c, bearer, jobs, n, 0, 0, OG_OK, {OG_OK, ""}};
    uint32_t nt = c->o->parallel ? c->o->parallel : 1;
    if (nt > n)
        nt = n;
    pthread_t th[32];
    if (nt > 32)
        nt = 32;
    uint32_t started = 0;
    for (uint32_t i = 0; i < nt; i++)
        if (pthread_create(&th[started], NULL, worker, &p) == 0)
            started++;
    if (started == 0)
        worker(&p);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (p.st != OG_OK && err)
        *err = p.err;
    return p.st;
}

/* ---- sources ---- */

void og_remote_options_default(og_remote_options *o)
{
    memset(o, 0, sizeof *o);
    const char *e = getenv("HF_ENDPOINT");
    o->hf_endpoint = e && *e ? e : "https://huggingface.co";
    o->hf_token = getenv("HF_TOKEN");
    e = getenv("OLLAMA_REGISTRY");
    o->ollama_registry = e && *e ? e : "https://registry.ollama.ai";
    o->timeout_s = 30;
    e = getenv("OOMGUARD_HTTP_TIMEOUT");
    if (e && atol(e) > 0)
        o->timeout_s = atol(e);
    o->retries = 3;
    o->max_header_bytes = 256ull << 20;
    o->parallel = 8;
}

int og_is_remote(const char *s)
{
    return s && (strncmp(s, "hf://", 5) == 0 || strncmp(s, "https://", 8) == 0 ||
                 strncmp(s, "http://", 7) == 0 || strncmp(s, "ollama://", 9) == 0);
}

static og_status cache_root(const og_remote_options *o, char *out, size_t n, og_error *err)
{
    if (o->cache_dir && *o->cache_dir) {
        snprintf(out, n, "%s/remote", o->cache_dir);
        return OG_OK;
    }
    char base[2048];
    if (og_user_cache_dir(base, sizeof base) != 0)
        return og_error_set(err, OG_ERR_IO, "no cache folder: set XDG_CACHE_HOME or HOME");
    snprintf(out, n, "%s/oomguard/remote", base);
    return OG_OK;
}

static og_status temp_root(char *out, size_t n, og_error *err)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, n, "%s/oomguard-remote-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(out))
        return og_error_set(err, OG_ERR_IO, "%s: %s", out, strerror(errno));
    return OG_OK;
}

static void rm_tree(const char *dir)
{
    /* Only ever called on our own mkdtemp folder. */
    char cmd[4200];
    if (strstr(dir, "oomguard-remote-")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            /* best effort */
        }
    }
}

/* The mirror for a cache key; *temporary is set when the cache is off. */
static og_status mirror_dir(const og_remote_options *o, const char *key, char *out, size_t n,
                            int *temporary, og_error *err)
{
    *temporary = 0;
    if (o->no_cache) {
        *temporary = 1;
        return temp_root(out, n, err);
    }
    char root[3000];
    og_status st = cache_root(o, root, sizeof root, err);
    if (st != OG_OK)
        return st;
    snprintf(out, n, "%s/%s", root, key);
    return mkdirs(out, err);
}

static og_status open_mirror(const char *path, int gguf, const char *source, og_model **out,
                             og_error *err)
{
    og_status st = gguf ? og_gguf_open(path, out, err) : og_folder_open(path, out, err);
    if (st != OG_OK) {
        /* Name the source, not the cache path, in the message. */
        if (err) {
            char msg[OG_ERROR_MESSAGE_MAX];
            const char *m = err->message;
            const char *colon = strstr(m, ": ");
            snprintf(msg, sizeof msg, "%s%s", source, colon ? colon : ": unreadable header");
            og_strlcpy(err->message, msg, sizeof err->message);
        }
        return st;
    }
    free((*out)->path);
    (*out)->path = og_strdup(source);
    return OG_OK;
}

/* Split GGUF names: prefix-0000k-of-0000N.gguf */
static int split_parts(const char *name, size_t *prefix_len, unsigned *count)
{
    size_t n = strlen(name);
    if (n < 20 || strcmp(name + n - 5, ".gguf") != 0)
        return 0;
    const char *p = name + n - 20;
    if (p[0] != '-' || strncmp(p + 6, "-of-", 4) != 0)
        return 0;
    for (int i = 1; i <= 5; i++)
        if (p[i] < '0' || p[i] > '9' || p[9 + i] < '0' || p[9 + i] > '9')
            return 0;
    *prefix_len = (size_t)(p - name);
    *count = (unsigned)atoi(p + 10);
    return *count > 0;
}

typedef struct hf_ref {
    char repo[512];
    char rev[256];
    char path[1024];
} hf_ref;

static og_status parse_hf(const char *src, hf_ref *r, og_error *err)
{
    memset(r, 0, sizeof *r);
    const char *s = src + 5;
    const char *slash1 = strchr(s, '/');
    if (!slash1 || slash1 == s)
        return og_error_set(err, OG_ERR_INVALID, "%s: expected hf://ORG/REPO[@REVISION][/FILE]",
                            src);
    const char *rest = slash1 + 1;
    size_t repo_len = strcspn(rest, "/@");
    if (repo_len == 0)
        return og_error_set(err, OG_ERR_INVALID, "%s: expected hf://ORG/REPO[@REVISION][/FILE]",
                            src);
    size_t full = (size_t)(rest - s) + repo_len;
    if (full >= sizeof r->repo)
        return og_error_set(err, OG_ERR_INVALID, "%s: repository name too long", src);
    memcpy(r->repo, s, full);
    const char *p = rest + repo_len;
    og_strlcpy(r->rev, "main", sizeof r->rev);
    if (*p == '@') {
        size_t rl = strcspn(p + 1, "/");
        if (rl == 0 || rl >= sizeof r->rev)
            return og_error_set(err, OG_ERR_INVALID, "%s: bad revision", src);
        memcpy(r->rev, p + 1, rl);
        r->rev[rl] = 0;
        p += 1 + rl;
    }
    if (*p == '/')
        og_strlcpy(r->path, p + 1, sizeof r->path);
    if (strstr(r->path, "..") || strstr(r->repo, ".."))
        return og_error_set(err, OG_ERR_INVALID, "%s: '..' is not allowed", src);
    return OG_OK;
}

/* GET {endpoint}/api/models/{repo}/revision/{rev}: the commit and file list. */
static og_status hf_revision(rctx *c, const hf_ref *r, char *sha, size_t sha_len, json_t **siblings,
                             og_error *err)
{
    char url[2048];
    snprintf(url, sizeof url, "%s/api/models/%s/revision/%s", c->o->hf_endpoint, r->repo, r->rev);
    membuf b = {0};
    og_status st =
        http_get(c, url, 0, 0, c->o->hf_token, "application/json", &b, NULL, NULL, 0, err);
    if (st != OG_OK)
        return st;
    json_error_t je;
    json_t *j = json_loadb((const char *)b.p, b.len, 0, &je);
    free(b.p);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return og_error_set(err, OG_ERR_NETWORK, "%s: not a repository description (%s)", url,
                            je.text);
    }
    const char *s = json_string_value(json_object_get(j, "sha"));
    json_t *sib = json_object_get(j, "siblings");
    if (!json_is_array(sib)) {
        json_decref(j);
        return og_error_set(err, OG_ERR_NETWORK, "%s: no file list ('siblings') in the answer",
                            url);
    }
    og_strlcpy(sha, s && *s ? s : r->rev, sha_len);
    *siblings = json_incref(sib);
    json_decref(j);
    return OG_OK;
}

static int has_sibling(json_t *sib, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(sib, i, v)
    {
        const char *f = json_string_value(json_object_get(v, "rfilename"));
        if (f && strcmp(f, name) == 0)
            return 1;
    }
    return 0;
}

static void free_jobs(job *jobs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(jobs[i].url);
        free(jobs[i].path);
    }
    free(jobs);
}

static og_status add_job(job **jobs, uint32_t *n, const char *url, const char *path, char kind,
                         og_error *err)
{
    job *nj = realloc(*jobs, (*n + 1) * sizeof *nj);
    if (!nj)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    *jobs = nj;
    nj[*n].url = og_strdup(url);
    nj[*n].path = og_strdup(path);
    nj[*n].kind = kind;
    if (!nj[*n].url || !nj[*n].path)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    (*n)++;
    return OG_OK;
}

static og_status open_hf(rctx *c, const char *source, og_model **out, og_error *err)
{
    hf_ref r;
    og_status st = parse_hf(source, &r, err);
    if (st != OG_OK)
        return st;
    char sha[128];
    json_t *sib = NULL;
    if ((st = hf_revision(c, &r, sha, sizeof sha, &sib, err)) != OG_OK)
        return st;
    char key[1400], mirror[4096];
    snprintf(key, sizeof key, "hf/%s@%s", r.repo, sha);
    for (char *p = key + 3; *p; p++)
        if (*p == '/')
            *p = '+';
    sanitize(key + 3);
    int temporary;
    if ((st = mirror_dir(c->o, key, mirror, sizeof mirror, &temporary, err)) != OG_OK) {
        json_decref(sib);
        return st;
    }
    job *jobs = NULL;
    uint32_t nj = 0;
    char url[4096], path[6000];
    int gguf = 0;
    char open_path[6000];
    if (r.path[0]) {
        if (!has_sibling(sib, r.path)) {
            st = og_error_set(err, OG_ERR_NOT_FOUND, "%s: the repository has no file '%s'", source,
                              r.path);
            goto done;
        }
        gguf = og_has_suffix(r.path, ".gguf");
        size_t pl;
        unsigned count;
        if (gguf && split_parts(r.path, &pl, &count)) {
            for (unsigned i = 1; i <= count && st == OG_OK; i++) {
                char part[1100];
                snprintf(part, sizeof part, "%.*s-%05u-of-%05u.gguf", (int)pl, r.path, i, count);
                snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", c->o->hf_endpoint, r.repo, sha,
                         part);
                snprintf(path, sizeof path, "%s/%s", mirror, part);
                st = add_job(&jobs, &nj, url, path, 'g', err);
            }
        } else {
            snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", c->o->hf_endpoint, r.repo, sha,
                     r.path);
            snprintf(path, sizeof path, "%s/%s", mirror, r.path);
            st = add_job(&jobs, &nj, url, path, gguf ? 'g' : 's', err);
        }
        snprintf(open_path, sizeof open_path, "%s/%s", mirror, r.path);
    } else {
        int has_config = has_sibling(sib, "config.json");
        size_t i;
        json_t *v;
        int n_st = 0, n_gguf = 0;
        json_array_foreach(sib, i, v)
        {
            const char *f = json_string_value(json_object_get(v, "rfilename"));
            if (!f || strstr(f, ".."))
                continue;
            if (og_has_suffix(f, ".gguf"))
                n_gguf++;
            int want = 0;
            char kind = 'f';
            if (og_has_suffix(f, ".safetensors") && !strchr(f, '/')) {
                want = 1;
                kind = 's';
                n_st++;
            } else if (!strcmp(f, "config.json") || !strcmp(f, "model.safetensors.index.json") ||
                       !strcmp(f, "generation_config.json"))
                want = 1;
            if (!want)
                continue;
            snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", c->o->hf_endpoint, r.repo, sha, f);
            snprintf(path, sizeof path, "%s/%s", mirror, f);
            if ((st = add_job(&jobs, &nj, url, path, kind, err)) != OG_OK)
                goto done;
        }
        if (!has_config || n_st == 0) {
            if (n_gguf)
                st = og_error_set(err, OG_ERR_INVALID,
                                  "%s: a GGUF repository: name a file (hf://%s/FILE.gguf) or "
                                  "size every quant with --all-quants",
                                  source, r.repo);
            else
                st = og_error_set(err, OG_ERR_INVALID,
                                  "%s: no config.json with safetensors weights and no GGUF files",
                                  source);
            goto done;
        }
        og_strlcpy(open_path, mirror, sizeof open_path);
    }
    if (st == OG_OK)
        st = run_jobs(c, c->o->hf_token, jobs, nj, err);
    if (st == OG_OK)
        st = open_mirror(open_path, gguf, source, out, err);
done:
    free_jobs(jobs, nj);
    json_decref(sib);
    if (temporary)
        rm_tree(mirror);
    return st;
}

static og_status open_url(rctx *c, const char *source, og_model **out, og_error *err)
{
    int gguf = og_has_suffix(source, ".gguf");
    if (!gguf && !og_has_suffix(source, ".safetensors"))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: only .gguf and .safetensors URLs can be sized (use hf:// for "
                            "repositories)",
                            source);
    char key[128], mirror[4096], path[4200];
    const char *base = strrchr(source, '/');
    snprintf(key, sizeof key, "url/%016llx", (unsigned long long)fnv1a(source));
    int temporary;
    og_status st = mirror_dir(c->o, key, mirror, sizeof mirror, &temporary, err);
    if (st != OG_OK)
        return st;
    snprintf(path, sizeof path, "%s/%s", mirror, base ? base + 1 : "model");
    /* URLs carry no revision: always re-read (a cached copy could be stale). */
    unlink(path);
    st = fetch_file(c, source, NULL, gguf ? 'g' : 's', path, err);
    if (st == OG_OK) {
        if (gguf)
            st = open_mirror(path, 1, source, out, err);
        else {
            st = og_safetensors_open(path, out, err);
            if (st == OG_OK) {
                free((*out)->path);
                (*out)->path = og_strdup(source);
            }
        }
    }
    if (temporary)
        rm_tree(mirror);
    return st;
}

static og_status open_ollama(rctx *c, const char *source, og_model **out, og_error *err)
{
    char name[512], tag[128] = "latest";
    og_strlcpy(name, source + 9, sizeof name);
    char *colon = strrchr(name, ':');
    if (colon) {
        og_strlcpy(tag, colon + 1, sizeof tag);
        *colon = 0;
    }
    if (!name[0] || strstr(name, ".."))
        return og_error_set(err, OG_ERR_INVALID, "%s: expected ollama://NAME[:TAG]", source);
    char ns_name[600];
    snprintf(ns_name, sizeof ns_name, "%s%s", strchr(name, '/') ? "" : "library/", name);
    char url[2048];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", c->o->ollama_registry, ns_name, tag);
    membuf b = {0};
    og_status st =
        http_get(c, url, 0, 0, NULL, "application/vnd.docker.distribution.manifest.v2+json", &b,
                 NULL, NULL, 0, err);
    if (st != OG_OK)
        return st;
    json_error_t je;
    json_t *j = json_loadb((const char *)b.p, b.len, 0, &je);
    free(b.p);
    const char *digest = NULL;
    json_t *layers = j ? json_object_get(j, "layers") : NULL;
    size_t i;
    json_t *v;
    if (json_is_array(layers))
        json_array_foreach(layers, i, v)
        {
            const char *mt = json_string_value(json_object_get(v, "mediaType"));
            if (mt && strcmp(mt, "application/vnd.ollama.image.model") == 0)
                digest = json_string_value(json_object_get(v, "digest"));
        }
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) > 80) {
        json_decref(j);
        return og_error_set(err, OG_ERR_NETWORK, "%s: the manifest has no model layer", url);
    }
    char key[128], mirror[4096], path[4200];
    snprintf(key, sizeof key, "ollama/%s", digest);
    sanitize(key + 7);
    int temporary;
    st = mirror_dir(c->o, key, mirror, sizeof mirror, &temporary, err);
    if (st == OG_OK) {
        snprintf(path, sizeof path, "%s/model.gguf", mirror);
        if (!file_exists(path)) {
            snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", c->o->ollama_registry, ns_name, digest);
            st = fetch_file(c, url, NULL, 'g', path, err);
        } else
            c->stats ? (void)c->stats->cache_hits++ : (void)0;
        if (st == OG_OK)
            st = open_mirror(path, 1, source, out, err);
        if (temporary)
            rm_tree(mirror);
    }
    json_decref(j);
    return st;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

og_status og_remote_open(const char *source, const og_remote_options *opts, og_model **out,
                         og_remote_stats *stats, og_error *err)
{
    *out = NULL;
    og_remote_options def;
    if (!opts) {
        og_remote_options_default(&def);
        opts = &def;
    }
    og_remote_stats local = {0};
    rctx c = {opts, stats ? stats : &local, PTHREAD_MUTEX_INITIALIZER};
    if (stats)
        memset(stats, 0, sizeof *stats);
    pthread_once(&curl_once, curl_init_once);
    og_status st;
    if (strncmp(source, "hf://", 5) == 0)
        st = open_hf(&c, source, out, err);
    else if (strncmp(source, "ollama://", 9) == 0)
        st = open_ollama(&c, source, out, err);
    else if (og_is_remote(source))
        st = open_url(&c, source, out, err);
    else
        st = og_error_set(err, OG_ERR_INVALID, "%s: not a remote source", source);
    pthread_mutex_destroy(&c.mu);
    return st;
}

og_status og_remote_list_gguf(const char *source, const og_remote_options *opts, char ***names,
                              uint32_t *count, og_error *err)
{
    *names = NULL;
    *count = 0;
    og_remote_options def;
    if (!opts) {
        og_remote_options_default(&def);
        opts = &def;
    }
    pthread_once(&curl_once, curl_init_once);
    og_remote_stats local = {0};
    rctx c = {opts, &local, PTHREAD_MUTEX_INITIALIZER};
    hf_ref r;
    og_status st = parse_hf(source, &r, err);
    if (st != OG_OK)
        return st;
    char sha[128];
    json_t *sib = NULL;
    if ((st = hf_revision(&c, &r, sha, sizeof sha, &sib, err)) != OG_OK)
        return st;
    size_t i;
    json_t *v;
    char **out = NULL;
    uint32_t n = 0;
    json_array_foreach(sib, i, v)
    {
        const char *f = json_string_value(json_object_get(v, "rfilename"));
        if (!f || !og_has_suffix(f, ".gguf") || strstr(f, "mmproj"))
            continue;
        size_t pl;
        unsigned cnt;
        /* one entry per split model: its first shard */
        if (split_parts(f, &pl, &cnt) && strncmp(f + pl, "-00001-", 7) != 0)
            continue;
        char **nn = realloc(out, (n + 1) * sizeof *nn);
        if (!nn) {
            st = og_error_set(err, OG_ERR_NOMEM, "out of memory");
            break;
        }
        out = nn;
        size_t l = strlen(r.repo) + strlen(sha) + strlen(f) + 16;
        out[n] = malloc(l);
        if (!out[n]) {
            st = og_error_set(err, OG_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(out[n], l, "hf://%s@%s/%s", r.repo, sha, f);
        n++;
    }
    json_decref(sib);
    pthread_mutex_destroy(&c.mu);
    if (st != OG_OK) {
        og_remote_list_free(out, n);
        return st;
    }
    *names = out;
    *count = n;
    return OG_OK;
}

void og_remote_list_free(char **names, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}
