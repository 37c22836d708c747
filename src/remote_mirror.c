/* Remote sizing: the mirror of header-only sparse files and parallel fetches
 * (see remote_internal.h). */
#include "oomguard/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_internal.h"
#include "og_internal.h"
#include "remote_internal.h"

/* ---- the mirror folder ---- */

/* Write the first n bytes of a file of `size` bytes; the rest is a hole. */
static og_status write_sparse(const char *path, const void *p, size_t n, uint64_t size,
                              og_error *err)
{
    og_status st = og_mkdirs_parent(path, err);
    if (st != OG_OK)
        return st;
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

int og_remote_file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A safe path component for cache keys. */
void og_remote_sanitize(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            *s = '_';
}

uint64_t og_remote_fnv1a(const char *s)
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
og_status og_remote_fetch_file(rctx *c, const char *url, const char *bearer, char kind,
                               const char *mirror_path, og_error *err)
{
    membuf b = {0};
    uint64_t total = 0;
    og_status st;
    if (kind == 'f') {
        st = og_remote_http_get(c, url, 0, 0, bearer, NULL, &b, &total, NULL, 0, err);
        if (st == OG_OK)
            st = write_sparse(mirror_path, b.p, b.len, b.len, err);
        free(b.p);
        return st;
    }
    uint64_t first = kind == 'g' ? FIRST_GGUF_READ : FIRST_ST_READ;
    st = og_remote_http_get(c, url, 0, first, bearer, NULL, &b, &total, NULL, 0, err);
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
        st =
            og_remote_http_get(c, url, b.len, need - b.len, bearer, NULL, &more, &t2, NULL, 0, err);
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
        og_status st = og_remote_file_exists(j->path)
                           ? OG_OK
                           : og_remote_fetch_file(p->c, j->url, p->bearer, j->kind, j->path, &e);
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

og_status og_remote_run_jobs(rctx *c, const char *bearer, job *jobs, uint32_t n, og_error *err)
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
