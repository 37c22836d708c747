/* Model discovery: Hugging Face hub cache, LM Studio, Ollama and any folder.
 *
 * Layouts:
 * - Hugging Face hub cache (huggingface_hub file_download.py, constants.py):
 *   HUB/models--ORG--NAME/snapshots/REVISION/<files>, the files being
 *   symlinks into ../../blobs/. HUB = HF_HUB_CACHE, else HF_HOME/hub, else
 *   $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 * - LM Studio: ~/.lmstudio/models/PUBLISHER/REPO/<files> (older versions:
 *   ~/.cache/lm-studio/models).
 * - Ollama (ollama server/images.go, types/model/name.go): ROOT/manifests/
 *   HOST/NAMESPACE/MODEL/TAG is a JSON manifest whose layer with mediaType
 *   application/vnd.ollama.image.model names the GGUF blob by digest
 *   "sha256:HEX", stored as ROOT/blobs/sha256-HEX. ROOT = OLLAMA_MODELS, else
 *   ~/.ollama/models (the Linux service uses /usr/share/ollama/.ollama/models).
 */
#include "oomguard/discover.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "og_internal.h"
#include "safetensors_internal.h"

const char *og_store_name(og_store store)
{
    switch (store) {
    case OG_STORE_HF_CACHE:
        return "huggingface";
    case OG_STORE_LMSTUDIO:
        return "lmstudio";
    case OG_STORE_OLLAMA:
        return "ollama";
    case OG_STORE_FOLDER:
        break;
    }
    return "folder";
}

typedef struct visited {
    dev_t dev;
    ino_t ino;
} visited;

typedef struct walker {
    og_model_list *list;
    size_t cap;
    visited *seen; /* real folders visited (loop guard) */
    size_t n_seen, cap_seen;
    char **real; /* real paths of models listed (dedupe) */
    size_t n_real;
    size_t *pending; /* entries still to open (indexes into list->items) */
    size_t n_pending, cap_pending;
    int nomem;
} walker;

/* 1 the first time a real folder is seen. */
static int first_visit(walker *w, const struct stat *st)
{
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return 0;
    if (w->n_seen == w->cap_seen) {
        size_t nc = w->cap_seen ? w->cap_seen * 2 : 64;
        visited *v = realloc(w->seen, nc * sizeof *v);
        if (!v) {
            w->nomem = 1;
            return 0;
        }
        w->seen = v;
        w->cap_seen = nc;
    }
    w->seen[w->n_seen].dev = st->st_dev;
    w->seen[w->n_seen].ino = st->st_ino;
    w->n_seen++;
    return 1;
}

static og_found_model *new_entry(walker *w, const char *name, const char *path, og_store store)
{
    char *rp = realpath(path, NULL);
    if (rp) {
        for (size_t i = 0; i < w->n_real; i++)
            if (strcmp(w->real[i], rp) == 0) {
                free(rp);
                return NULL; /* already listed */
            }
    }
    og_model_list *l = w->list;
    if (l->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 32;
        og_found_model *it = realloc(l->items, nc * sizeof *it);
        char **re = realloc(w->real, nc * sizeof *re);
        if (it)
            l->items = it;
        if (re)
            w->real = re;
        if (!it || !re) {
            free(rp);
            w->nomem = 1;
            return NULL;
        }
        w->cap = nc;
    }
    og_found_model *f = &l->items[l->n];
    memset(f, 0, sizeof *f);
    f->name = og_strdup(name);
    f->path = og_strdup(path);
    f->store = store;
    if (!f->name || !f->path) {
        free(f->name);
        free(f->path);
        free(rp);
        w->nomem = 1;
        return NULL;
    }
    w->real[w->n_real++] = rp ? rp : og_strdup(path);
    l->n++;
    return f;
}

static void set_error(og_found_model *f, og_status st, const char *msg)
{
    f->status = st;
    free(f->error);
    f->error = og_strdup(msg);
}

/* Open one listed model and fill its entry (headers only). */
static void open_entry(og_found_model *f)
{
    og_model *m = NULL;
    og_error err;
    og_error_clear(&err);
    og_status st = og_model_open(f->path, &m, &err);
    if (st != OG_OK) {
        set_error(f, st, err.message);
        struct stat sb;
        if (stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode))
            f->file_bytes = (uint64_t)sb.st_size;
        return;
    }
    f->format = m->format;
    f->file_bytes = m->file_bytes;
    f->weight_bytes = m->weight_bytes;
    f->n_params = m->n_params;
    og_strlcpy(f->arch, m->hp.arch, sizeof f->arch);
    og_strlcpy(f->quant, m->quant_label, sizeof f->quant);
    og_model_free(m);
}

/* List a model; it is opened after the walk (in parallel). */
static void add_model(walker *w, const char *name, const char *path, og_store store)
{
    og_found_model *f = new_entry(w, name, path, store);
    if (!f)
        return;
    if (w->n_pending == w->cap_pending) {
        size_t nc = w->cap_pending ? w->cap_pending * 2 : 32;
        size_t *p = realloc(w->pending, nc * sizeof *p);
        if (!p) {
            set_error(f, OG_ERR_NOMEM, "out of memory");
            w->nomem = 1;
            return;
        }
        w->pending = p;
        w->cap_pending = nc;
    }
    w->pending[w->n_pending++] = (size_t)(f - w->list->items);
}

typedef struct pool {
    walker *w;
    size_t next;
    pthread_mutex_t lock;
} pool;

static void *pool_worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->w->n_pending)
            return NULL;
        open_entry(&p->w->list->items[p->w->pending[i]]);
    }
}

/* Open the pending models with up to 8 threads (OG_THREADS overrides):
 * each reader is independent and the work is I/O and parsing bound. */
static void open_pending(walker *w)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("OG_THREADS");
    long nt = env && atoi(env) > 0 ? atoi(env) : ncpu > 0 ? ncpu : 1;
    if (nt > 8)
        nt = 8;
    if ((size_t)nt > w->n_pending)
        nt = (long)w->n_pending;
    pool p = {w, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t th[8];
    long started = 0;
    for (long i = 1; i < nt; i++)
        if (pthread_create(&th[started], NULL, pool_worker, &p) == 0)
            started++;
    pool_worker(&p);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* "x-00002-of-00003.gguf": a later part of a split (the first part stands
 * for the whole model). */
static int is_later_split_part(const char *n)
{
    const char *p = strstr(n, "-of-");
    if (!p || p - n < 6 || p[-6] != '-')
        return 0;
    return strncmp(p - 5, "00001", 5) != 0;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted entry names of a folder (no dot files); NULL on error. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 16, cnt = 0;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (cnt == cap) {
            char **nv = realloc(v, cap * 2 * sizeof *nv);
            if (!nv) {
                for (size_t i = 0; i < cnt; i++)
                    free(v[i]);
                free(v);
                v = NULL;
                break;
            }
            v = nv;
            cap *= 2;
        }
        if (!(v[cnt] = og_strdup(e->d_name)))
            break;
        cnt++;
    }
    closedir(d);
    if (v)
        qsort(v, cnt, sizeof *v, cmp_strp);
    *n = cnt;
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char *name_join(const char *prefix, const char *leaf, char sep)
{
    if (!prefix || !*prefix)
        return og_strdup(leaf);
    size_t a = strlen(prefix), b = strlen(leaf);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, prefix, a);
    p[a] = sep;
    memcpy(p + a + 1, leaf, b + 1);
    return p;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void walk(walker *w, const char *dir, const char *prefix, og_store store, int depth);

static void ollama_store(walker *w, const char *root)
{
    /* manifests/HOST/NAMESPACE/MODEL/TAG */
    char *man = og_path_join(root, "manifests");
    if (!man) {
        w->nomem = 1;
        return;
    }
    size_t nh = 0;
    char **hosts = list_dir(man, &nh);
    for (size_t a = 0; hosts && a < nh; a++) {
        char *hp = og_path_join(man, hosts[a]);
        size_t nn = 0;
        char **nss = hp ? list_dir(hp, &nn) : NULL;
        for (size_t b = 0; nss && b < nn; b++) {
            char *np = og_path_join(hp, nss[b]);
            size_t nm = 0;
            char **models = np ? list_dir(np, &nm) : NULL;
            for (size_t c = 0; models && c < nm; c++) {
                char *mp = og_path_join(np, models[c]);
                size_t nt = 0;
                char **tags = mp ? list_dir(mp, &nt) : NULL;
                for (size_t t = 0; tags && t < nt; t++) {
                    char *tp = og_path_join(mp, tags[t]);
                    if (!tp || is_dir(tp)) {
                        free(tp);
                        continue;
                    }
                    char name[1024];
                    if (strcmp(hosts[a], "registry.ollama.ai") == 0 &&
                        strcmp(nss[b], "library") == 0)
                        snprintf(name, sizeof name, "%s:%s", models[c], tags[t]);
                    else if (strcmp(hosts[a], "registry.ollama.ai") == 0)
                        snprintf(name, sizeof name, "%s/%s:%s", nss[b], models[c], tags[t]);
                    else
                        snprintf(name, sizeof name, "%s/%s/%s:%s", hosts[a], nss[b], models[c],
                                 tags[t]);
                    json_t *j = NULL;
                    og_error err;
                    const char *digest = NULL;
                    if (og_json_load_file(tp, &j, &err) == OG_OK) {
                        json_t *layers = json_object_get(j, "layers");
                        size_t k;
                        json_t *l;
                        json_array_foreach(layers, k, l)
                        {
                            json_t *mt = json_object_get(l, "mediaType");
                            if (json_is_string(mt) &&
                                strcmp(json_string_value(mt),
                                       "application/vnd.ollama.image.model") == 0) {
                                json_t *dg = json_object_get(l, "digest");
                                digest = json_is_string(dg) ? json_string_value(dg) : NULL;
                                break;
                            }
                        }
                        if (!digest)
                            og_error_set(&err, OG_ERR_INVALID,
                                         "%s: no layer of mediaType "
                                         "application/vnd.ollama.image.model",
                                         tp);
                    }
                    if (digest && (strncmp(digest, "sha256:", 7) != 0 || strchr(digest, '/') ||
                                   strlen(digest) > 200)) {
                        og_error_set(&err, OG_ERR_INVALID, "%s: bad model digest '%.80s'", tp,
                                     digest);
                        digest = NULL;
                    }
                    if (digest) {
                        char blob[512];
                        snprintf(blob, sizeof blob, "%s/blobs/sha256-%s", root, digest + 7);
                        struct stat sb;
                        if (stat(blob, &sb) != 0) {
                            og_found_model *f = new_entry(w, name, blob, OG_STORE_OLLAMA);
                            if (f)
                                set_error(f, OG_ERR_NOT_FOUND, "model blob is missing");
                        } else {
                            add_model(w, name, blob, OG_STORE_OLLAMA);
                        }
                    } else {
                        og_found_model *f = new_entry(w, name, tp, OG_STORE_OLLAMA);
                        if (f)
                            set_error(f, err.status, err.message);
                    }
                    json_decref(j);
                    free(tp);
                }
                free_list(tags, nt);
                free(mp);
            }
            free_list(models, nm);
            free(np);
        }
        free_list(nss, nn);
        free(hp);
    }
    free_list(hosts, nh);
    free(man);
}

static void hf_repo(walker *w, const char *repo_dir, const char *repo_name)
{
    /* models--ORG--NAME -> ORG/NAME */
    char name[512];
    og_strlcpy(name, repo_name + 8, sizeof name);
    char *sep = strstr(name, "--");
    if (sep) {
        *sep = '/';
        memmove(sep + 1, sep + 2, strlen(sep + 2) + 1);
    }
    char *snaps = og_path_join(repo_dir, "snapshots");
    size_t nr = 0;
    char **revs = snaps ? list_dir(snaps, &nr) : NULL;
    for (size_t r = 0; revs && r < nr; r++) {
        char *rp = og_path_join(snaps, revs[r]);
        if (!rp)
            continue;
        char full[600];
        if (nr > 1)
            snprintf(full, sizeof full, "%s@%.8s", name, revs[r]);
        else
            og_strlcpy(full, name, sizeof full);
        walk(w, rp, full, OG_STORE_HF_CACHE, 1);
        free(rp);
    }
    free_list(revs, nr);
    free(snaps);
}

static void hf_cache(walker *w, const char *hub)
{
    size_t n;
    char **v = list_dir(hub, &n);
    for (size_t i = 0; v && i < n; i++) {
        if (strncmp(v[i], "models--", 8) != 0)
            continue;
        char *p = og_path_join(hub, v[i]);
        if (p)
            hf_repo(w, p, v[i]);
        free(p);
    }
    free_list(v, n);
}

static int has_entry(char **v, size_t n, const char *name)
{
    return bsearch(&name, v, n, sizeof *v, cmp_strp) != NULL;
}

/* A folder: a model folder (safetensors), GGUF files, or folders to search. */
static void walk(walker *w, const char *dir, const char *prefix, og_store store, int depth)
{
    struct stat st;
    if (depth > OG_DISCOVER_MAX_DEPTH || w->nomem || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        !first_visit(w, &st))
        return;
    size_t n;
    char **v = list_dir(dir, &n);
    if (!v) {
        /* a folder that cannot be read is listed with the reason, not
         * skipped silently (out of memory is the walker's own failure) */
        int e = errno;
        if (e == ENOMEM) {
            w->nomem = 1;
            return;
        }
        char *name = prefix && *prefix ? og_strdup(prefix) : og_strdup(og_basename(dir));
        og_found_model *f = name ? new_entry(w, name, dir, store) : NULL;
        if (f) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s: cannot read this folder: %s", dir, strerror(e));
            set_error(f, OG_ERR_IO, msg);
        }
        free(name);
        return;
    }
    if (has_entry(v, n, "manifests") && has_entry(v, n, "blobs")) {
        free_list(v, n);
        ollama_store(w, dir);
        return;
    }
    int st_files = 0, hf_repos = 0;
    for (size_t i = 0; i < n; i++) {
        st_files |= og_has_suffix(v[i], ".safetensors");
        hf_repos |= strncmp(v[i], "models--", 8) == 0;
    }
    if (hf_repos) {
        free_list(v, n);
        hf_cache(w, dir);
        return;
    }
    if (strncmp(og_basename(dir), "models--", 8) == 0 && has_entry(v, n, "snapshots")) {
        char *base = og_strdup(og_basename(dir));
        free_list(v, n);
        if (base)
            hf_repo(w, dir, base);
        free(base);
        return;
    }
    if (st_files) {
        char *name = prefix && *prefix ? og_strdup(prefix) : og_strdup(og_basename(dir));
        if (name)
            add_model(w, name, dir, store);
        free(name);
        free_list(v, n);
        return;
    }
    for (size_t i = 0; i < n && !w->nomem; i++) {
        char *p = og_path_join(dir, v[i]);
        if (!p) {
            w->nomem = 1;
            break;
        }
        struct stat es;
        if (stat(p, &es) != 0) {
            if (errno == ELOOP && og_has_suffix(v[i], ".gguf")) {
                char *name = name_join(prefix, v[i], store == OG_STORE_HF_CACHE ? ':' : '/');
                og_found_model *f = name ? new_entry(w, name, p, store) : NULL;
                if (f)
                    set_error(f, OG_ERR_IO, "symlink loop");
                free(name);
            }
        } else if (S_ISDIR(es.st_mode)) {
            char *sub = name_join(prefix, v[i], '/');
            if (sub)
                walk(w, p, sub, store, depth + 1);
            free(sub);
        } else if (S_ISREG(es.st_mode) && og_has_suffix(v[i], ".gguf") &&
                   strncmp(v[i], "mmproj", 6) != 0 && !is_later_split_part(v[i])) {
            char *name = name_join(prefix, v[i], store == OG_STORE_HF_CACHE ? ':' : '/');
            if (name)
                add_model(w, name, p, store);
            free(name);
        }
        free(p);
    }
    free_list(v, n);
}

static int cmp_found(const void *a, const void *b)
{
    const og_found_model *x = a, *y = b;
    if (x->store != y->store)
        return (int)x->store - (int)y->store;
    return strcmp(x->name, y->name);
}

static void default_stores(walker *w)
{
    const char *home = getenv("HOME");
    char buf[4096];
    const char *e;
    /* Hugging Face */
    if ((e = getenv("HF_HUB_CACHE")) && *e)
        og_strlcpy(buf, e, sizeof buf);
    else if ((e = getenv("HF_HOME")) && *e)
        snprintf(buf, sizeof buf, "%s/hub", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && *e)
        snprintf(buf, sizeof buf, "%s/huggingface/hub", e);
    else if (home)
        snprintf(buf, sizeof buf, "%s/.cache/huggingface/hub", home);
    else
        buf[0] = '\0';
    if (buf[0] && is_dir(buf))
        hf_cache(w, buf);
    /* LM Studio */
    if (home) {
        snprintf(buf, sizeof buf, "%s/.lmstudio/models", home);
        if (is_dir(buf))
            walk(w, buf, "", OG_STORE_LMSTUDIO, 0);
        snprintf(buf, sizeof buf, "%s/.cache/lm-studio/models", home);
        if (is_dir(buf))
            walk(w, buf, "", OG_STORE_LMSTUDIO, 0);
    }
    /* Ollama */
    if ((e = getenv("OLLAMA_MODELS")) && *e)
        og_strlcpy(buf, e, sizeof buf);
    else if (home)
        snprintf(buf, sizeof buf, "%s/.ollama/models", home);
    else
        buf[0] = '\0';
    if (buf[0] && is_dir(buf))
        ollama_store(w, buf);
    if (!getenv("OLLAMA_MODELS") && is_dir("/usr/share/ollama/.ollama/models/manifests"))
        ollama_store(w, "/usr/share/ollama/.ollama/models");
}

og_status og_discover(const char *const *dirs, size_t n_dirs, og_model_list **out, og_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    walker w;
    memset(&w, 0, sizeof w);
    w.list = *out;
    og_status st = OG_OK;
    if (!dirs || n_dirs == 0) {
        default_stores(&w);
    } else {
        for (size_t i = 0; i < n_dirs && st == OG_OK; i++) {
            struct stat sb;
            if (stat(dirs[i], &sb) != 0) {
                st = og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s",
                                  dirs[i],
                                  errno == ENOENT  ? "no such file or folder"
                                  : errno == ELOOP ? "symlink loop"
                                                   : strerror(errno));
                break;
            }
            if (S_ISDIR(sb.st_mode))
                walk(&w, dirs[i], "", OG_STORE_FOLDER, 0);
            else
                add_model(&w, og_basename(dirs[i]), dirs[i], OG_STORE_FOLDER);
        }
    }
    if (st == OG_OK && w.n_pending)
        open_pending(&w);
    if (st == OG_OK && w.nomem)
        st = og_error_set(err, OG_ERR_NOMEM, "out of memory while listing models");
    free(w.pending);
    for (size_t i = 0; i < w.n_real; i++)
        free(w.real[i]);
    free(w.real);
    free(w.seen);
    if ((*out)->n > 1)
        qsort((*out)->items, (*out)->n, sizeof *(*out)->items, cmp_found);
    return st;
}

void og_model_list_free(og_model_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].path);
        free(l->items[i].error);
    }
    free(l->items);
    free(l);
}
