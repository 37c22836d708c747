/* Remote sizing: HTTP range requests with libcurl (see remote_internal.h).
 *
 * libcurl is opened at run time with dlopen (as NVML in
 * platform/nvml_linux.c), the first time a remote source is used: local
 * commands never load it and the dozens of libraries it pulls in. curl's
 * header gives the types and constants only; the functions are called
 * through the pointers below (names and signatures as in curl/curl.h and
 * curl/easy.h, libcurl 7.57+ for the shared connection cache). */
#include "oomguard/remote.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "og_internal.h"
#include "og_version.h"
#include "remote_internal.h"

/* ---- libcurl, loaded on first use ---- */

typedef struct curl_api {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
    CURLSHcode (*share_cleanup)(CURLSH *);
} curl_api;

static curl_api api;
static int api_ok;
static char api_error[256];
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

#define LOAD(field, name)                                                                          \
    do {                                                                                           \
        void *p_ = dlsym(h, name);                                                                 \
        if (!p_)                                                                                   \
            missing = name;                                                                        \
        memcpy(&api.field, &p_, sizeof api.field);                                                 \
    } while (0)

static void load_curl(void)
{
    /* OOMGUARD_LIBCURL names the library (tests; unusual installs). */
    const char *env = getenv("OOMGUARD_LIBCURL");
#ifdef __APPLE__
    const char *names[] = {"libcurl.4.dylib", "/usr/lib/libcurl.4.dylib", "libcurl.dylib"};
#else
    const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4"};
#endif
    void *h = NULL;
    if (env && *env)
        h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
    else
        for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++)
            h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(api_error, sizeof api_error,
                 "remote sources need libcurl, which could not be loaded (%s): install it "
                 "(Debian/Ubuntu: apt install libcurl4; macOS has it)",
                 env && *env ? env : names[0]);
        return;
    }
    const char *missing = NULL;
    LOAD(global_init, "curl_global_init");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    LOAD(share_init, "curl_share_init");
    LOAD(share_setopt, "curl_share_setopt");
    LOAD(share_cleanup, "curl_share_cleanup");
    if (missing) {
        snprintf(api_error, sizeof api_error, "the libcurl found has no %s: it is too old",
                 missing);
        return; /* the handle stays open: cheap, and dlclose of libcurl is unsafe */
    }
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(api_error, sizeof api_error, "libcurl failed to start");
        return;
    }
    api_ok = 1;
}

/* ---- the shared connection cache ---- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *user)
{
    (void)h;
    (void)acc;
    rctx *c = user;
    pthread_mutex_lock(&c->share_mu[(unsigned)data % 8u]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    rctx *c = user;
    pthread_mutex_unlock(&c->share_mu[(unsigned)data % 8u]);
}

og_status og_remote_ctx_init(rctx *c, const og_remote_options *o, og_remote_stats *stats,
                             og_error *err)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    c->stats = stats;
    pthread_once(&api_once, load_curl);
    if (!api_ok)
        return og_error_set(err, OG_ERR_UNSUPPORTED, "%s", api_error);
    pthread_mutex_init(&c->mu, NULL);
    for (int i = 0; i < 8; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    CURLSH *sh = api.share_init();
    if (sh) {
        api.share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock);
        api.share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
        api.share_setopt(sh, CURLSHOPT_USERDATA, c);
        api.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        api.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        /* 7.57+: one connection per host, reused by every request */
        api.share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    c->share = sh;
    return OG_OK;
}

void og_remote_ctx_free(rctx *c)
{
    if (c->share)
        api.share_cleanup(c->share);
    c->share = NULL;
    pthread_mutex_destroy(&c->mu);
    for (int i = 0; i < 8; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
}

/* ---- one request ---- */

static size_t on_body(char *data, size_t sz, size_t n, void *user)
{
    membuf *b = user;
    size_t add = sz * n;
    if (add > b->limit - b->len) {
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
    int has_range, bad_range;
    uint64_t first, last, total; /* Content-Range: bytes first-last/total (total 0: '*') */
    char etag[128], last_modified[64];
} hdrs;

static int parse_u64(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (*s < '0' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - 9) / 10)
            return 0;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    *p = s;
    return 1;
}

/* "bytes FIRST-LAST/TOTAL" or "bytes FIRST-LAST/ *" (RFC 9110 14.4) */
static int parse_content_range(const char *v, hdrs *h)
{
    while (*v == ' ')
        v++;
    if (strncasecmp(v, "bytes ", 6) != 0)
        return 0;
    v += 6;
    while (*v == ' ')
        v++;
    if (!parse_u64(&v, &h->first) || *v++ != '-' || !parse_u64(&v, &h->last) || *v++ != '/' ||
        h->last < h->first)
        return 0;
    h->total = 0;
    if (*v == '*')
        return 1;
    return parse_u64(&v, &h->total) && h->total > h->last;
}

static void header_value(char *dst, size_t n, const char *v)
{
    while (*v == ' ')
        v++;
    og_strlcpy(dst, v, n);
    dst[strcspn(dst, "\r\n")] = 0;
}

static size_t on_header(char *data, size_t sz, size_t n, void *user)
{
    hdrs *h = user;
    size_t len = sz * n;
    char line[512];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = 0;
    if (strncasecmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
        memset(h, 0, sizeof *h);
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        h->has_range = 1;
        h->bad_range = !parse_content_range(line + 14, h);
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        header_value(h->etag, sizeof h->etag, line + 5);
    } else if (strncasecmp(line, "last-modified:", 14) == 0) {
        header_value(h->last_modified, sizeof h->last_modified, line + 14);
    }
    return len;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The host[:port] of a URL, for messages. */
static void url_host(const char *url, char *out, size_t n)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    size_t l = strcspn(s, "/?#");
    const char *at = memchr(s, '@', l); /* drop user:password@ */
    if (at) {
        l -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    if (l >= n)
        l = n - 1;
    memcpy(out, s, l);
    out[l] = 0;
}

/* http(s) only, for the request and every redirect; an https URL may only
 * redirect to https. CURLOPT_PROTOCOLS_STR is libcurl 7.85+; older ones
 * take the bit masks (CURLOPT_PROTOCOLS = CURLOPTTYPE_LONG + 181,
 * CURLOPT_REDIR_PROTOCOLS = + 182, CURLPROTO_HTTP(S) = 1 << 0 / 1 << 1 in
 * curl.h), named by number here because newer headers deprecate them. */
static int restrict_protocols(CURL *h, const char *url)
{
    int tls = strncasecmp(url, "https://", 8) == 0;
    if (!tls && strncasecmp(url, "http://", 7) != 0)
        return 0;
    const char *allowed = tls ? "https" : "http,https";
#if LIBCURL_VERSION_NUM >= 0x075500
    if (api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, allowed) == CURLE_OK &&
        api.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, allowed) == CURLE_OK)
        return 1;
#endif
    long mask = tls ? (1L << 1) : (1L << 0) | (1L << 1);
    return api.easy_setopt(h, (CURLoption)(CURLOPTTYPE_LONG + 181), mask) == CURLE_OK &&
           api.easy_setopt(h, (CURLoption)(CURLOPTTYPE_LONG + 182), mask) == CURLE_OK;
}

og_status og_remote_http(rctx *c, const http_req *q, http_resp *r, og_error *err)
{
    const og_remote_options *o = c->o;
    const char *url = q->url;
    memset(r, 0, sizeof *r);
    char host[256];
    url_host(url, host, sizeof host);
    long timeout_ms = (o->timeout_s > 0 ? o->timeout_s : 30) * 1000L;
    long deadline = now_ms() + timeout_ms;
    long low_speed_s = timeout_ms / 3000 > 0 ? timeout_ms / 3000 : 1;
    og_status st = OG_ERR_NETWORK;
    for (uint32_t attempt = 0; attempt <= o->retries; attempt++) {
        if (attempt) {
            long wait = 200L << (attempt - 1);
            if (now_ms() + wait + 500 >= deadline)
                break; /* no time left for another try: report the last failure */
            sleep_ms(wait);
        }
        long left = deadline - now_ms();
        if (left < 1)
            break;
        CURL *h = api.easy_init();
        if (!h)
            return og_error_set(err, OG_ERR_NOMEM, "%s: cannot start a request", url);
        if (!restrict_protocols(h, url)) {
            api.easy_cleanup(h);
            return og_error_set(err, OG_ERR_INVALID, "%s: only http:// and https:// are fetched",
                                url);
        }
        struct curl_slist *hl = NULL;
        char buf[512];
        if (q->bearer && *q->bearer) {
            snprintf(buf, sizeof buf, "Authorization: Bearer %s", q->bearer);
            hl = api.slist_append(hl, buf);
        }
        if (q->accept) {
            snprintf(buf, sizeof buf, "Accept: %s", q->accept);
            hl = api.slist_append(hl, buf);
        }
        if (q->etag && *q->etag) {
            snprintf(buf, sizeof buf, "If-None-Match: %s", q->etag);
            hl = api.slist_append(hl, buf);
        } else if (q->last_modified && *q->last_modified) {
            snprintf(buf, sizeof buf, "If-Modified-Since: %s", q->last_modified);
            hl = api.slist_append(hl, buf);
        }
        hl = api.slist_append(hl, "Accept-Encoding: identity");
        char range[64];
        if (q->len) {
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)q->from,
                     (unsigned long long)(q->from + q->len - 1));
            api.easy_setopt(h, CURLOPT_RANGE, range);
        }
        membuf b = {0};
        /* A server that ignores the range sends the whole file: stop well
         * before that becomes a download. */
        b.limit = q->len ? (size_t)q->len + (1u << 20) : MAX_SMALL_FILE;
        hdrs hd;
        memset(&hd, 0, sizeof hd);
        api.easy_setopt(h, CURLOPT_URL, url);
        api.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        api.easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        const char *ca = getenv("OOMGUARD_CA_FILE"); /* a private CA (proxies, tests) */
        if (ca && *ca)
            api.easy_setopt(h, CURLOPT_CAINFO, ca);
        api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, left);
        api.easy_setopt(h, CURLOPT_TIMEOUT_MS, left);
        /* a stalled transfer: under 1 KiB/s for a third of the timeout */
        api.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, OG_REMOTE_LOW_SPEED);
        api.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, low_speed_s);
        api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        api.easy_setopt(h, CURLOPT_USERAGENT, "oomguard/" OG_VERSION_STRING);
        api.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        api.easy_setopt(h, CURLOPT_WRITEDATA, &b);
        api.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        api.easy_setopt(h, CURLOPT_HEADERDATA, &hd);
        if (c->share)
            api.easy_setopt(h, CURLOPT_SHARE, (CURLSH *)c->share);
        long t0 = now_ms();
        CURLcode rc = api.easy_perform(h);
        long took = now_ms() - t0;
        long code = 0, redirects = 0;
        api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        api.easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
        api.easy_cleanup(h);
        api.slist_free_all(hl);
        pthread_mutex_lock(&c->mu);
        if (c->stats) {
            c->stats->requests += 1 + (uint32_t)redirects;
            c->stats->bytes_received += b.len;
        }
        pthread_mutex_unlock(&c->mu);

        int retry = 0;
        if (rc == CURLE_WRITE_ERROR && b.over) {
            free(b.p);
            if (q->len && code == 200)
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
        } else if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK,
                                "%s: refused a redirect to another protocol (only http(s), and "
                                "never from https to http)",
                                url);
        } else if (rc == CURLE_PARTIAL_FILE) {
            st = og_error_set(err, OG_ERR_NETWORK,
                              "%s: the answer was truncated (%zu bytes received)", url, b.len);
            retry = 1;
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            if (took + 200 < left)
                st = og_error_set(err, OG_ERR_NETWORK,
                                  "%s: the transfer stalled (under %ld bytes/s for %ld s): %s",
                                  host, OG_REMOTE_LOW_SPEED, low_speed_s, url);
            else
                st = og_error_set(err, OG_ERR_NETWORK, "%s: timed out after %ld s: %s", host,
                                  timeout_ms / 1000, url);
            retry = 1;
        } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR ||
                   rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING) {
            st = og_error_set(err, OG_ERR_NETWORK, "%s: %s", url, api.easy_strerror(rc));
            retry = 1;
        } else if (rc != CURLE_OK) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: %s", url, api.easy_strerror(rc));
        } else if (code == 304 &&
                   ((q->etag && *q->etag) || (q->last_modified && *q->last_modified))) {
            free(b.p);
            r->not_modified = 1;
            og_strlcpy(r->etag, hd.etag[0] ? hd.etag : (q->etag ? q->etag : ""), sizeof r->etag);
            og_strlcpy(r->last_modified, q->last_modified ? q->last_modified : "",
                       sizeof r->last_modified);
            return OG_OK;
        } else if (code == 401 || code == 403) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: HTTP %ld: access denied%s", url, code,
                                q->bearer && *q->bearer
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
        } else if (code == 206 && (!hd.has_range || hd.bad_range)) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK, "%s: 206 answer without a valid Content-Range",
                                url);
        } else if (code == 206 && (!q->len || hd.first != q->from || hd.last - hd.first >= q->len ||
                                   hd.last - hd.first + 1 != b.len)) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK,
                                "%s: the server answered bytes %llu-%llu (%zu received) for "
                                "bytes %llu-%llu",
                                url, (unsigned long long)hd.first, (unsigned long long)hd.last,
                                b.len, (unsigned long long)q->from,
                                (unsigned long long)(q->from + q->len - 1));
        } else if (code == 206 && hd.total > OG_REMOTE_MAX_FILE) {
            free(b.p);
            return og_error_set(err, OG_ERR_NETWORK,
                                "%s: the server says the file has %llu bytes, more than any "
                                "model file (limit %llu)",
                                url, (unsigned long long)hd.total,
                                (unsigned long long)OG_REMOTE_MAX_FILE);
        } else {
            /* 200: the whole (small) file, even if a range was asked */
            r->total = code == 206 && hd.total ? hd.total : code == 206 ? hd.last + 1 : b.len;
            og_strlcpy(r->etag, hd.etag, sizeof r->etag);
            og_strlcpy(r->last_modified, hd.last_modified, sizeof r->last_modified);
            r->body = b;
            return OG_OK;
        }
        free(b.p);
        if (!retry)
            break;
    }
    return st;
}
