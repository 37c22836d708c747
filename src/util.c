/* Small string and file helpers used across the library. */
#include "og_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *og_strdup(const char *s)
{
    if (!s)
        return NULL;
    return og_strndup(s, strlen(s));
}

char *og_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int og_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

void og_strlcpy(char *dst, const char *src, size_t n)
{
    if (n == 0)
        return;
    size_t l = src ? strlen(src) : 0;
    if (l >= n)
        l = n - 1;
    if (l)
        memcpy(dst, src, l);
    dst[l] = '\0';
}

og_status og_read_small_file(const char *path, size_t max_bytes, char **out, size_t *len,
                             og_error *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    /* O_NONBLOCK: a FIFO opens at once and is refused below instead of blocking */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return og_error_set(err, errno == ENOENT ? OG_ERR_NOT_FOUND : OG_ERR_IO, "%s: %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return og_error_set(err, OG_ERR_INVALID, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return og_error_set(err, OG_ERR_INVALID, "%s: %llu bytes is larger than the %zu-byte limit",
                            path, (unsigned long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(buf);
        return og_error_set(err, OG_ERR_IO, "%s: short read", path);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return OG_OK;
}

og_status og_mkdirs(const char *dir, og_error *err)
{
    char tmp[4096];
    if (strlen(dir) >= sizeof tmp)
        return og_error_set(err, OG_ERR_IO, "%.200s...: path too long", dir);
    og_strlcpy(tmp, dir, sizeof tmp);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return og_error_set(err, OG_ERR_IO, "cannot create folder %s: %s", tmp,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return og_error_set(err, OG_ERR_IO, "cannot create folder %s: %s", tmp, strerror(errno));
    return OG_OK;
}

og_status og_mkdirs_parent(const char *path, og_error *err)
{
    char dir[4096];
    if (strlen(path) >= sizeof dir)
        return og_error_set(err, OG_ERR_IO, "%.200s...: path too long", path);
    og_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return OG_OK;
    *slash = '\0';
    return og_mkdirs(dir, err);
}

char *og_path_join(const char *dir, const char *file)
{
    size_t a = strlen(dir), b = strlen(file);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + slash, file, b + 1);
    return p;
}

const char *og_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int og_has_suffix(const char *path, const char *suffix)
{
    size_t lp = strlen(path), ls = strlen(suffix);
    return lp >= ls && og_strcasecmp(path + lp - ls, suffix) == 0;
}
