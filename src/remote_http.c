/* Remote sizing: HTTP range requests with libcurl (see remote_internal.h). */
#include "oomguard/remote.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "og_internal.h"
#include "og_version.h"
#include "remote_internal.h"

/* ---- request context shared by worker threads ---- */

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
og_status og_remote_http_get(rctx *c, const char *url, uint64_t from, uint64_t len,
                             const char *bearer, const char *accept, membuf *out, uint64_t *total,
                             char *etag, size_t etag_len, og_error *err)
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
