#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OG_SOURCE_BUF (1u << 20)

og_status og_source_open_file(og_source *s, const char *path, og_error *err)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->name = path;
    /* O_NONBLOCK: a FIFO opens at once and is refused below instead of blocking */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return og_error_set(err, OG_ERR_INVALID, "%s: not a regular file", path);
    }
    s->buf = malloc(OG_SOURCE_BUF);
    if (!s->buf) {
        close(fd);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
    }
    s->buf_cap = OG_SOURCE_BUF;
    s->fd = fd;
    s->size = (uint64_t)st.st_size;
    return OG_OK;
}

void og_source_open_mem(og_source *s, const void *buf, size_t len, const char *name)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->mem = buf;
    s->size = len;
    s->name = name;
}

void og_source_close(og_source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    s->fd = -1;
    s->buf = NULL;
}

/* Make [pos, pos+n) resident in buf. n <= buf_cap. */
static og_status fill(og_source *s, size_t n, og_error *err)
{
    if (s->pos >= s->buf_start && s->pos + n <= s->buf_start + s->buf_len)
        return OG_OK;
    uint64_t want = s->size - s->pos;
    if (want > s->buf_cap)
        want = s->buf_cap;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(s->fd, s->buf + got, (size_t)want - got, (off_t)(s->pos + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return og_error_set(err, OG_ERR_IO, "%s: read at offset %llu: %s", s->name,
                                (unsigned long long)(s->pos + got), strerror(errno));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    s->bytes_read += got;
    s->buf_start = s->pos;
    s->buf_len = got;
    if (got < n)
        return og_error_set(err, OG_ERR_INVALID, "%s: truncated at offset %llu", s->name,
                            (unsigned long long)(s->pos + got));
    return OG_OK;
}

og_status og_source_peek_advance(og_source *s, size_t n, const uint8_t **out, og_error *err)
{
    if (n > og_source_remaining(s))
        return og_error_set(
            err, OG_ERR_INVALID, "%s: truncated: %zu bytes needed at offset %llu, %llu remain",
            s->name, n, (unsigned long long)s->pos, (unsigned long long)og_source_remaining(s));
    if (s->fd < 0) {
        *out = s->mem + s->pos;
        s->pos += n;
        return OG_OK;
    }
    if (n > s->buf_cap)
        return og_error_set(err, OG_ERR_INTERNAL, "%s: read of %zu bytes too large", s->name, n);
    og_status st = fill(s, n, err);
    if (st != OG_OK)
        return st;
    *out = s->buf + (s->pos - s->buf_start);
    s->pos += n;
    return OG_OK;
}

og_status og_source_read(og_source *s, void *out, size_t n, og_error *err)
{
    uint8_t *o = out;
    while (n > 0) {
        size_t chunk = n > (1u << 20) ? (1u << 20) : n;
        const uint8_t *p;
        og_status st = og_source_peek_advance(s, chunk, &p, err);
        if (st != OG_OK)
            return st;
        memcpy(o, p, chunk);
        o += chunk;
        n -= chunk;
    }
    return OG_OK;
}

og_status og_source_skip(og_source *s, uint64_t n, og_error *err)
{
    if (n > og_source_remaining(s))
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: truncated: %llu bytes to skip at offset %llu, %llu remain",
                            s->name, (unsigned long long)n, (unsigned long long)s->pos,
                            (unsigned long long)og_source_remaining(s));
    s->pos += n;
    return OG_OK;
}

og_status og_source_skip_strings(og_source *s, uint64_t n, int swap, og_error *err)
{
    while (n > 0) {
        /* Walk whatever is resident (the whole buffer for memory sources). */
        const uint8_t *base;
        uint64_t start, avail;
        if (s->fd < 0) {
            base = s->mem;
            start = 0;
            avail = s->size;
        } else {
            if (s->pos < s->buf_start || s->pos + 8 > s->buf_start + s->buf_len) {
                og_status st = fill(
                    s, og_source_remaining(s) < 8 ? (size_t)og_source_remaining(s) + 1 : 8, err);
                if (st != OG_OK)
                    return st;
            }
            base = s->buf;
            start = s->buf_start;
            avail = s->buf_len;
        }
        uint64_t p = s->pos - start;
        while (n > 0 && p + 8 <= avail) {
            uint64_t len;
            memcpy(&len, base + p, 8);
            if (swap)
                len = __builtin_bswap64(len);
            if (len > avail - p - 8)
                break; /* not resident: the slow path below */
            p += 8 + len;
            n--;
        }
        s->pos = start + p;
        if (n == 0)
            break;
        /* One string the fast loop could not take whole. */
        uint64_t len;
        const uint8_t *lp;
        og_status st = og_source_peek_advance(s, 8, &lp, err);
        if (st != OG_OK)
            return st;
        memcpy(&len, lp, 8);
        if (swap)
            len = __builtin_bswap64(len);
        if ((st = og_source_skip(s, len, err)) != OG_OK)
            return st;
        n--;
    }
    return OG_OK;
}
