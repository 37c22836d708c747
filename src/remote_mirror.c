/* Remote sizing: the mirror of header-only sparse files and parallel fetches
 * (see remote_internal.h). */
#include "oomguard/remote.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gguf_internal.h"
#include "og_internal.h"
#include "oomguard/units.h"
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

/* Append bytes [b->len, upto) of url to b (one range request). */
static og_status read_more(rctx *c, const char *url, const char *bearer, uint64_t total,
                           uint64_t upto, membuf *b, og_error *err)
{
    http_req q = {url, b->len, upto - b->len, bearer, NULL, NULL, NULL};
    http_resp r;
    og_status st = og_remote_http(c, &q, &r, err);
    if (st != OG_OK)
        return st;
    if (total && r.total != total) {
        free(r.body.p);
        return og_error_set(err, OG_ERR_NETWORK,
                            "%s: the file changed while its header was read (%llu bytes, then "
                            "%llu): try again",
                            url, (unsigned long long)total, (unsigned long long)r.total);
    }
    uint8_t *np = realloc(b->p, b->len + r.body.len + 1);
    if (!np) {
        free(r.body.p);
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    }
    b->p = np;
    memcpy(b->p + b->len, r.body.p, r.body.len);
    b->len += r.body.len;
    b->p[b->len] = 0;
    free(r.body.p);
    return OG_OK;
}

/* How far the header of a safetensors ('s') or GGUF ('g') file reaches, from
 * the bytes read so far: 1 and *upto when known exactly, 0 and a guess when
 * more must be read first, -1 (err set) when it is not such a file. */
static int header_upto(rctx *c, const char *url, char kind, const membuf *b, uint64_t total,
                       uint64_t *upto, og_error *err)
{
    if (kind == 's') {
        if (b->len < 8) {
            og_error_set(err, OG_ERR_INVALID, "%s: %zu bytes: too short for a safetensors file",
                         url, b->len);
            return -1;
        }
        uint64_t n;
        memcpy(&n, b->p, 8);
        if (n > c->o->max_header_bytes || (total && n > total - 8)) {
            og_error_set(err, OG_ERR_INVALID, "%s: safetensors header of %llu bytes is %s", url,
                         (unsigned long long)n,
                         n > c->o->max_header_bytes ? "larger than the limit"
                                                    : "longer than the file");
            return -1;
        }
        *upto = n + 8;
        return 1;
    }
    uint64_t hb, est;
    int r = og_gguf_header_extent(b->p, b->len, &hb, &est);
    if (r < 0) {
        og_error_set(err, OG_ERR_INVALID, "%s: not a GGUF file", url);
        return -1;
    }
    *upto = r == 1 ? hb : est;
    if (r == 0 && est > c->o->max_header_bytes) {
        og_error_set(err, OG_ERR_INVALID, "%s: GGUF header larger than the %llu-byte limit", url,
                     (unsigned long long)c->o->max_header_bytes);
        return -1;
    }
    return r;
}

/* Fetch the header of one model file into mirror_path. kind: 'g' GGUF,
 * 's' safetensors, 'f' a small file fetched whole. A GGUF header takes one
 * 64 KiB read when it fits, else a second read up to the size extrapolated
 * from the first and, if that fell short, a third refined from both. */
og_status og_remote_fetch_file(rctx *c, const char *url, const char *bearer, char kind,
                               const char *mirror_path, remote_validators *v, og_error *err)
{
    http_req q = {url, 0, 0, bearer, NULL, NULL, NULL};
    if (kind != 'f')
        q.len = kind == 'g' ? FIRST_GGUF_READ : FIRST_ST_READ;
    if (v && (v->etag[0] || v->last_modified[0])) {
        q.etag = v->etag;
        q.last_modified = v->last_modified;
    }
    http_resp r;
    og_status st = og_remote_http(c, &q, &r, err);
    if (st != OG_OK)
        return st;
    if (v) {
        v->not_modified = r.not_modified;
        og_strlcpy(v->etag, r.etag, sizeof v->etag);
        og_strlcpy(v->last_modified, r.last_modified, sizeof v->last_modified);
        if (r.not_modified)
            return OG_OK;
    }
    membuf b = r.body;
    uint64_t total = r.total;
    if (kind != 'f') {
        /* GGUF: usually 1-3 reads; a header whose guesses keep falling short
         * still completes, in a bounded number of reads. */
        for (int round = 0; round < 8; round++) {
            uint64_t upto;
            int k = header_upto(c, url, kind, &b, total, &upto, err);
            if (k < 0) {
                free(b.p);
                return OG_ERR_INVALID; /* header_upto set err */
            }
            if (total && upto > total)
                upto = total;
            if (upto <= b.len)
                break; /* all read (or the file ends inside its header: the reader says so) */
            if ((st = read_more(c, url, bearer, total, upto, &b, err)) != OG_OK) {
                free(b.p);
                return st;
            }
            if (k == 1)
                break;
        }
    }
    st = write_sparse(mirror_path, b.p, b.len, total > b.len ? total : b.len, err);
    free(b.p);
    pthread_mutex_lock(&c->mu);
    if (c->stats && st == OG_OK && kind != 'f')
        c->stats->files++;
    pthread_mutex_unlock(&c->mu);
    return st;
}

/* ---- removing folders and the cache's size limit ---- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort: a file or an emptied folder */
    return 0;
}

void og_remote_rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static _Thread_local uint64_t tree_bytes;

static int add_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F)
        tree_bytes += (uint64_t)sb->st_blocks * 512u; /* on disk: the holes cost nothing */
    return 0;
}

void og_remote_cache_touch(const char *dir)
{
    utimensat(AT_FDCWD, dir, NULL, 0);
}

typedef struct centry {
    char *path;
    uint64_t bytes;
    time_t used;
} centry;

static int by_use(const void *a, const void *b)
{
    const centry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

static uint64_t cache_limit(void)
{
    const char *e = getenv("OOMGUARD_CACHE_MAX");
    uint64_t v;
    if (e && *e && og_parse_size(e, &v, NULL) == OG_OK)
        return v;
    return OG_REMOTE_CACHE_MAX_DEFAULT;
}

void og_remote_cache_trim(const char *root, const char *keep)
{
    uint64_t limit = cache_limit();
    centry *ents = NULL;
    size_t n = 0, cap = 0;
    uint64_t sum = 0;
    DIR *top = opendir(root);
    if (!top)
        return;
    struct dirent *d1;
    while ((d1 = readdir(top))) {
        if (d1->d_name[0] == '.')
            continue;
        char kind_dir[4096];
        snprintf(kind_dir, sizeof kind_dir, "%s/%s", root, d1->d_name);
        DIR *kd = opendir(kind_dir);
        if (!kd)
            continue;
        struct dirent *d2;
        while ((d2 = readdir(kd))) {
            if (d2->d_name[0] == '.')
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", kind_dir, d2->d_name);
            struct stat sb;
            if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
                continue;
            tree_bytes = 0;
            nftw(path, add_one, 16, FTW_PHYS);
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                centry *ne = realloc(ents, nc * sizeof *ne);
                if (!ne)
                    break;
                ents = ne;
                cap = nc;
            }
            ents[n].path = og_strdup(path);
            ents[n].bytes = tree_bytes;
            ents[n].used = sb.st_mtime;
            if (ents[n].path) {
                sum += tree_bytes;
                n++;
            }
        }
        closedir(kd);
    }
    closedir(top);
    qsort(ents, n, sizeof *ents, by_use);
    for (size_t i = 0; i < n && sum > limit; i++) {
        if (keep && strcmp(ents[i].path, keep) == 0)
            continue;
        og_remote_rm_tree(ents[i].path);
        sum -= ents[i].bytes;
    }
    for (size_t i = 0; i < n; i++)
        free(ents[i].path);
    free(ents);
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
        og_status st =
            og_remote_file_exists(j->path)
                ? OG_OK
                : og_remote_fetch_file(p->c, j->url, p->bearer, j->kind, j->path, NULL, &e);
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
