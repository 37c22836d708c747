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

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_internal.h"
#include "og_internal.h"
#include "platform/paths.h"
#include "remote_internal.h"

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
    e = getenv("OOMGUARD_NO_CACHE");
    o->no_cache = e && *e && strcmp(e, "0") != 0;
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
    og_status st2 = og_mkdirs(out, err);
    if (st2 == OG_OK)
        og_remote_cache_touch(out); /* the cache's least-recently-used order */
    return st2;
}

/* After a source was read: keep the cache under its size limit. */
static void trim_cache(const og_remote_options *o, const char *mirror, int temporary)
{
    char root[3000];
    if (temporary || cache_root(o, root, sizeof root, NULL) != OG_OK)
        return;
    og_remote_cache_trim(root, mirror);
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
    http_req q = {url, 0, 0, c->o->hf_token, "application/json", NULL, NULL};
    http_resp resp;
    og_status st = og_remote_http(c, &q, &resp, err);
    if (st != OG_OK)
        return st;
    st = og_hf_revision_parse((const char *)resp.body.p, resp.body.len, r->rev, sha, sha_len,
                              siblings, err);
    free(resp.body.p);
    if (st != OG_OK && err) {
        char msg[OG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%.200s: %.300s", url, err->message);
        og_strlcpy(err->message, msg, sizeof err->message);
    }
    return st;
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
    og_remote_sanitize(key + 3);
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
        if (gguf && split_parts(r.path, &pl, &count) && count > OG_REMOTE_MAX_FILES) {
            st = og_error_set(err, OG_ERR_UNSUPPORTED,
                              "%s: split into %u files; oomguard reads at most %u from one "
                              "repository",
                              source, count, OG_REMOTE_MAX_FILES);
            goto done;
        } else if (gguf && split_parts(r.path, &pl, &count)) {
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
            if (nj >= OG_REMOTE_MAX_FILES) {
                st = og_error_set(err, OG_ERR_UNSUPPORTED,
                                  "%s: more than %u weight and config files; oomguard reads at "
                                  "most %u from one repository (download it and give the local "
                                  "folder)",
                                  source, OG_REMOTE_MAX_FILES, OG_REMOTE_MAX_FILES);
                goto done;
            }
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
        st = og_remote_run_jobs(c, c->o->hf_token, jobs, nj, err);
    if (st == OG_OK)
        st = open_mirror(open_path, gguf, source, out, err);
done:
    free_jobs(jobs, nj);
    json_decref(sib);
    if (temporary)
        og_remote_rm_tree(mirror);
    else if (st == OG_OK)
        trim_cache(c->o, mirror, temporary);
    return st;
}

/* The validators of a cached URL copy: mirror/.validators holds the ETag
 * and the Last-Modified date, one a line. */
static void read_validators(const char *file, remote_validators *v)
{
    memset(v, 0, sizeof *v);
    FILE *f = fopen(file, "r");
    if (!f)
        return;
    if (fgets(v->etag, sizeof v->etag, f))
        v->etag[strcspn(v->etag, "\r\n")] = 0;
    if (fgets(v->last_modified, sizeof v->last_modified, f))
        v->last_modified[strcspn(v->last_modified, "\r\n")] = 0;
    fclose(f);
}

static void write_validators(const char *file, const remote_validators *v)
{
    if (!v->etag[0] && !v->last_modified[0]) {
        unlink(file);
        return;
    }
    FILE *f = fopen(file, "w");
    if (!f)
        return;
    fprintf(f, "%s\n%s\n", v->etag, v->last_modified);
    fclose(f);
}

static og_status open_url(rctx *c, const char *source, og_model **out, og_error *err)
{
    int gguf = og_has_suffix(source, ".gguf");
    if (!gguf && !og_has_suffix(source, ".safetensors"))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: only .gguf and .safetensors URLs can be sized (use hf:// for "
                            "repositories)",
                            source);
    char key[128], mirror[4096], path[4200], vfile[4200];
    const char *base = strrchr(source, '/');
    snprintf(key, sizeof key, "url/%016llx", (unsigned long long)og_remote_fnv1a(source));
    int temporary;
    og_status st = mirror_dir(c->o, key, mirror, sizeof mirror, &temporary, err);
    if (st != OG_OK)
        return st;
    snprintf(path, sizeof path, "%s/%s", mirror, base ? base + 1 : "model");
    snprintf(vfile, sizeof vfile, "%s/.validators", mirror);
    /* URLs carry no revision: a cached copy is used only when the server
     * says it is current (304 to If-None-Match / If-Modified-Since). */
    remote_validators v;
    memset(&v, 0, sizeof v);
    if (!temporary && og_remote_file_exists(path))
        read_validators(vfile, &v);
    st = og_remote_fetch_file(c, source, NULL, gguf ? 'g' : 's', path, &v, err);
    if (st == OG_OK && v.not_modified) {
        pthread_mutex_lock(&c->mu);
        c->stats->cache_hits++;
        pthread_mutex_unlock(&c->mu);
    } else if (st == OG_OK && !temporary)
        write_validators(vfile, &v);
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
        og_remote_rm_tree(mirror);
    else if (st == OG_OK)
        trim_cache(c->o, mirror, temporary);
    return st;
}

/* The Ollama registry's grammar for names and tags (ollama
 * types/model/name.go, isValidPart / parts: letters, digits, '_', '-', '.';
 * no '.' in a namespace; no "..") intersected with the OCI distribution
 * spec the registry serves (a path component and a tag start with a letter,
 * a digit or '_'; a tag is at most 128 characters). NAME is MODEL or
 * NAMESPACE/MODEL. */
static int ollama_part(const char *s, size_t n, int ns)
{
    if (n == 0 || n > 128)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
          (s[0] >= '0' && s[0] <= '9') || s[0] == '_'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || (ch == '.' && !ns);
        if (!ok || (ch == '.' && i + 1 < n && s[i + 1] == '.'))
            return 0;
    }
    return 1;
}

int og_ollama_name_valid(const char *name, const char *tag)
{
    if (!name || strlen(name) > 128 || !tag || !ollama_part(tag, strlen(tag), 0))
        return 0;
    const char *slash = strchr(name, '/');
    if (!slash)
        return ollama_part(name, strlen(name), 0);
    return !strchr(slash + 1, '/') && ollama_part(name, (size_t)(slash - name), 1) &&
           ollama_part(slash + 1, strlen(slash + 1), 0);
}

static og_status open_ollama(rctx *c, const char *source, og_model **out, og_error *err)
{
    char name[512], tag[160] = "latest";
    if (strlen(source + 9) >= sizeof name)
        return og_error_set(err, OG_ERR_INVALID, "%s: name too long", source);
    og_strlcpy(name, source + 9, sizeof name);
    char *colon = strrchr(name, ':');
    if (colon) {
        if (strlen(colon + 1) >= sizeof tag)
            return og_error_set(err, OG_ERR_INVALID, "%s: tag too long", source);
        og_strlcpy(tag, colon + 1, sizeof tag);
        *colon = 0;
    }
    if (!og_ollama_name_valid(name, tag))
        return og_error_set(
            err, OG_ERR_INVALID,
            "%s: not an Ollama model name: expected ollama://[NAMESPACE/]NAME[:TAG] "
            "with letters, digits, '_', '-' and '.' (no '..', at most 128 "
            "characters)",
            source);
    char ns_name[600];
    snprintf(ns_name, sizeof ns_name, "%s%s", strchr(name, '/') ? "" : "library/", name);
    char url[2048];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", c->o->ollama_registry, ns_name, tag);
    http_req q = {url,  0,   0, NULL, "application/vnd.docker.distribution.manifest.v2+json",
                  NULL, NULL};
    http_resp resp;
    og_status st = og_remote_http(c, &q, &resp, err);
    if (st != OG_OK)
        return st;
    char digest[80];
    st = og_ollama_manifest_digest((const char *)resp.body.p, resp.body.len, digest, sizeof digest,
                                   err);
    free(resp.body.p);
    if (st != OG_OK && err) {
        char msg[OG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%.200s: %.300s", url, err->message);
        og_strlcpy(err->message, msg, sizeof err->message);
    }
    if (st != OG_OK)
        return st;
    char key[128], mirror[4096], path[4200];
    snprintf(key, sizeof key, "ollama/%s", digest);
    og_remote_sanitize(key + 7);
    int temporary;
    st = mirror_dir(c->o, key, mirror, sizeof mirror, &temporary, err);
    if (st == OG_OK) {
        snprintf(path, sizeof path, "%s/model.gguf", mirror);
        if (!og_remote_file_exists(path)) {
            snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", c->o->ollama_registry, ns_name, digest);
            st = og_remote_fetch_file(c, url, NULL, 'g', path, NULL, err);
        } else {
            pthread_mutex_lock(&c->mu);
            c->stats->cache_hits++;
            pthread_mutex_unlock(&c->mu);
        }
        if (st == OG_OK)
            st = open_mirror(path, 1, source, out, err);
        if (temporary)
            og_remote_rm_tree(mirror);
        else if (st == OG_OK)
            trim_cache(c->o, mirror, temporary);
    }
    return st;
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
    if (stats)
        memset(stats, 0, sizeof *stats);
    rctx c;
    og_status st = og_remote_ctx_init(&c, opts, stats ? stats : &local, err);
    if (st != OG_OK)
        return st;
    if (strncmp(source, "hf://", 5) == 0)
        st = open_hf(&c, source, out, err);
    else if (strncmp(source, "ollama://", 9) == 0)
        st = open_ollama(&c, source, out, err);
    else if (og_is_remote(source))
        st = open_url(&c, source, out, err);
    else
        st = og_error_set(err, OG_ERR_INVALID, "%s: not a remote source", source);
    og_remote_ctx_free(&c);
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
    og_remote_stats local = {0};
    hf_ref r;
    og_status st = parse_hf(source, &r, err);
    if (st != OG_OK)
        return st;
    rctx c;
    if ((st = og_remote_ctx_init(&c, opts, &local, err)) != OG_OK)
        return st;
    char sha[128];
    json_t *sib = NULL;
    st = hf_revision(&c, &r, sha, sizeof sha, &sib, err);
    og_remote_ctx_free(&c);
    if (st != OG_OK)
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
        if (n >= OG_REMOTE_MAX_FILES) {
            st = og_error_set(err, OG_ERR_UNSUPPORTED,
                              "%s: more than %u GGUF models in one repository; name one "
                              "(hf://%s/FILE.gguf)",
                              source, OG_REMOTE_MAX_FILES, r.repo);
            break;
        }
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
