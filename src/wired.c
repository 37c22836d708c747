/* oomguard wired: recommendation, safety check and boot persistence of the
 * macOS GPU wired limit; GTT sizing helpers for Linux AMD APUs.
 *
 * Persistence (shared/reference/os-interfaces.md §A1): iogpu.wired_limit_mb
 * resets at reboot. Whether /etc/sysctl.conf is applied on macOS 14/15/26 is
 * disputed (facebook/watchman#880 reports it ignored on Big Sur; other reports
 * say kern.* values survive), and the iogpu.* OIDs only exist once the
 * IOGPUFamily kext has registered them, which may be after sysctl.conf is
 * read. So persistence installs a root LaunchDaemon (launchd.plist(5):
 * RunAtLoad, root:wheel 0644 in /Library/LaunchDaemons) that runs
 * /usr/sbin/sysctl -w and retries for up to a minute until the key exists,
 * and also sets the key in /etc/sysctl.conf where that file is honoured.
 * Neither was verified on a Mac from here: `oomguard wired` re-reads the
 * live value and says when it differs from the persisted one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oomguard/machine.h"
#include "oomguard/wired.h"
#include "og_internal.h"

#define MIB (1024ull * 1024ull)

uint32_t og_wired_floor_mb(uint64_t ram_bytes)
{
    uint64_t ram_mb = ram_bytes / MIB;
    uint64_t f = ram_mb / 3;
    return (uint32_t)(f < 8192 ? f : 8192);
}

uint32_t og_wired_max_safe_mb(uint64_t ram_bytes)
{
    uint64_t ram_mb = ram_bytes / MIB;
    uint64_t m = ram_mb - og_wired_floor_mb(ram_bytes);
    return m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

uint32_t og_wired_recommend_mb(uint64_t ram_bytes, uint64_t need_bytes, int *capped)
{
    uint64_t ram_mb = ram_bytes / MIB;
    uint64_t cap = og_wired_max_safe_mb(ram_bytes);
    if (capped)
        *capped = 0;
    if (need_bytes == 0) {
        uint64_t r = ram_mb * 3 / 4;
        return (uint32_t)(r < cap ? r : cap);
    }
    uint64_t margin = need_bytes / 10;
    if (margin < (1ull << 30))
        margin = 1ull << 30;
    uint64_t want;
    if (!og_add_u64(need_bytes, margin, &want))
        want = UINT64_MAX;
    uint64_t want_mb = want / MIB + (want % MIB != 0);
    want_mb = (want_mb + 1023) / 1024 * 1024;
    if (want_mb > cap) {
        if (capped)
            *capped = 1;
        return (uint32_t)cap;
    }
    return (uint32_t)want_mb;
}

og_status og_wired_check(uint64_t ram_bytes, uint32_t mb, int force, og_error *err)
{
    og_error_clear(err);
    if (mb == 0)
        return OG_OK;
    uint64_t ram_mb = ram_bytes / MIB;
    if (ram_mb == 0)
        return og_error_set(err, OG_ERR_INVALID, "wired: RAM size unknown; cannot check %u MiB",
                            mb);
    if (mb >= ram_mb)
        return og_error_set(err, OG_ERR_INVALID,
                            "wired: %u MiB is not less than the %llu MiB of RAM; the GPU could "
                            "wire all memory and the system would hang (refused even with "
                            "--force)",
                            mb, (unsigned long long)ram_mb);
    /* Below what macOS gives the GPU by itself (2/3 or 3/4 of RAM): models
     * that load today would fail; 0 (--reset) is how to go back to it. */
    uint64_t def_mb = og_default_wired_limit_bytes(ram_bytes, 0) / MIB;
    if (mb < def_mb && !force)
        return og_error_set(err, OG_ERR_INVALID,
                            "wired: %u MiB is below the macOS default of %llu MiB for %llu MiB "
                            "of RAM: the GPU would get less memory than macOS gives it by itself "
                            "and models that load today could fail. Use --reset (0) to return "
                            "to the default, a value of at least %llu, or --force to set it "
                            "anyway",
                            mb, (unsigned long long)def_mb, (unsigned long long)ram_mb,
                            (unsigned long long)def_mb);
    uint32_t max = og_wired_max_safe_mb(ram_bytes);
    if (mb > max && !force)
        return og_error_set(err, OG_ERR_INVALID,
                            "wired: %u MiB would leave macOS %llu MiB, less than the %u MiB floor "
                            "kept for the system, apps and the kernel (wired GPU memory cannot "
                            "be paged out: the machine would swap or freeze). Largest safe value: "
                            "%u; use --force to set it anyway",
                            mb, (unsigned long long)(ram_mb - mb), og_wired_floor_mb(ram_bytes),
                            max);
    return OG_OK;
}

/* ---- files under a root prefix ------------------------------------------- */

static int join(char *out, size_t n, const char *root, const char *path)
{
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    int w = snprintf(out, n, "%.*s%s", (int)rl, root, path);
    return w > 0 && (size_t)w < n;
}

/* Read a whole file; *exists = 0 when absent. */
static og_status read_all(const char *path, char **text, size_t *len, int *exists, og_error *err)
{
    *text = NULL;
    *len = 0;
    *exists = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return OG_OK;
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
    }
    *exists = 1;
    char *t = NULL;
    og_status s = og_read_small_file(path, 16u << 20, &t, len, err);
    if (s != OG_OK)
        return s;
    *text = t;
    return OG_OK;
}

static og_status fsync_dir(const char *path, og_error *err)
{
    char dir[600];
    og_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return OG_OK;
    if (slash == dir)
        slash[1] = 0;
    else
        *slash = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return og_error_set(err, OG_ERR_IO, "%s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc != 0 && errno != EINVAL)
        return og_error_set(err, OG_ERR_IO, "%s: fsync: %s", dir, strerror(errno));
    return OG_OK;
}

/* Write text to path atomically: temp file in the same folder, fsync, rename. */
static og_status write_atomic(const char *path, const char *text, size_t len, mode_t mode,
                              og_error *err)
{
    char tmp[600];
    if (snprintf(tmp, sizeof tmp, "%s.oomguard-tmp.XXXXXX", path) >= (int)sizeof tmp)
        return og_error_set(err, OG_ERR_INVALID, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return og_error_set(err, OG_ERR_IO, "%s: cannot create a temporary file: %s", path,
                            strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return og_error_set(err, OG_ERR_IO, "%s: write: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return og_error_set(err, OG_ERR_IO, "%s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return og_error_set(err, OG_ERR_IO, "%s: rename: %s", path, strerror(e));
    }
    return fsync_dir(path, err);
}

/* Keep the file as it was before this change. The first backup
 * (path.oomguard-backup) is the original configuration and is never
 * overwritten; later ones get the time: path.oomguard-backup.20261208T001500Z
 * (-2, -3 ... within one second). */
static og_status backup(const char *path, const char *text, size_t len, og_wired_action *a,
                        og_error *err)
{
    struct stat st;
    mode_t mode = 0644;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    snprintf(a->backup, sizeof a->backup, "%s.oomguard-backup", path);
    if (lstat(a->backup, &st) == 0) {
        time_t now = time(NULL);
        struct tm tm;
        char stamp[32];
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (int k = 1;; k++) {
            if (k == 1)
                snprintf(a->backup, sizeof a->backup, "%s.oomguard-backup.%s", path, stamp);
            else
                snprintf(a->backup, sizeof a->backup, "%s.oomguard-backup.%s-%d", path, stamp, k);
            if (lstat(a->backup, &st) != 0)
                break;
            if (k > 1000)
                return og_error_set(err, OG_ERR_IO, "%s: too many backups", path);
        }
    }
    return write_atomic(a->backup, text, len, mode, err);
}

static og_wired_action *next_action(og_wired_actions *out, const char *path, const char *what)
{
    if (out->n >= sizeof out->a / sizeof out->a[0])
        return NULL;
    og_wired_action *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    og_strlcpy(a->path, path, sizeof a->path);
    og_strlcpy(a->what, what, sizeof a->what);
    return a;
}

char *og_wired_plist_text(uint32_t mb)
{
    static const char fmt[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
        "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<!-- Written by oomguard wired --persist; remove with oomguard wired --reset. -->\n"
        "<plist version=\"1.0\">\n"
        "<dict>\n"
        "  <key>Label</key>\n"
        "  <string>" OG_WIRED_PLIST_LABEL "</string>\n"
        "  <key>ProgramArguments</key>\n"
        "  <array>\n"
        "    <string>/bin/sh</string>\n"
        "    <string>-c</string>\n"
        "    <string>i=0; while [ $i -lt 30 ]; do /usr/sbin/sysctl -w " OG_WIRED_SYSCTL_KEY
        "=%u &amp;&amp; exit 0; i=$((i+1)); sleep 2; done; exit 1</string>\n"
        "  </array>\n"
        "  <key>RunAtLoad</key>\n"
        "  <true/>\n"
        "</dict>\n"
        "</plist>\n";
    size_t n = sizeof fmt + 16;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, fmt, mb);
    return t;
}

/* Is this sysctl.conf line a setting of our key? ("  iogpu.wired_limit_mb = 1 ") */
static int is_key_line(const char *s, size_t n)
{
    size_t k = strlen(OG_WIRED_SYSCTL_KEY);
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n < k || memcmp(s, OG_WIRED_SYSCTL_KEY, k) != 0)
        return 0;
    s += k;
    n -= k;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    return n && (*s == '=' || *s == ':');
}

#define OUR_COMMENT "# iogpu.wired_limit_mb: set by oomguard wired --persist"

/* New sysctl.conf text: every line kept except our key's (replaced in place by
 * `replacement`, or dropped when replacement is NULL) and our comment (kept
 * once above the key). Returns malloc'd text. */
static char *edit_sysctl_conf(const char *old, size_t len, const char *replacement)
{
    size_t cap = len + 256;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    int placed = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && old[j] != '\n')
            j++;
        size_t n = j - i;
        int nl = j < len;
        const char *line = old + i;
        int ours_comment = n == strlen(OUR_COMMENT) && memcmp(line, OUR_COMMENT, n) == 0;
        if (is_key_line(line, n)) {
            if (replacement && !placed) {
                o += (size_t)snprintf(out + o, cap - o, "%s\n%s\n", OUR_COMMENT, replacement);
                placed = 1;
            }
        } else if (!ours_comment) {
            memcpy(out + o, line, n);
            o += n;
            if (nl)
                out[o++] = '\n';
        }
        i = j + 1;
    }
    if (replacement && !placed) {
        if (o > 0 && out[o - 1] != '\n')
            out[o++] = '\n';
        o += (size_t)snprintf(out + o, cap - o, "%s\n%s\n", OUR_COMMENT, replacement);
    }
    out[o] = 0;
    return out;
}

static og_status update_file(const char *path, const char *new_text, int dry_run,
                             og_wired_actions *out, og_error *err)
{
    char *old;
    size_t len;
    int exists;
    og_status s = read_all(path, &old, &len, &exists, err);
    if (s != OG_OK)
        return s;
    size_t nl = strlen(new_text);
    if (exists && len == nl && memcmp(old, new_text, nl) == 0) {
        free(old);
        next_action(out, path, "unchanged");
        return OG_OK;
    }
    og_wired_action *a = next_action(out, path, exists ? "update" : "create");
    if (!dry_run) {
        if (exists && a)
            s = backup(path, old, len, a, err);
        if (s == OG_OK)
            s = write_atomic(path, new_text, nl, 0644, err);
    } else if (exists && a) {
        snprintf(a->backup, sizeof a->backup, "%s.oomguard-backup", path);
    }
    free(old);
    return s;
}

static og_status ensure_dir(const char *path, int dry_run, og_error *err)
{
    char dir[600];
    og_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return OG_OK;
    *slash = 0;
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? OG_OK : og_error_set(err, OG_ERR_IO, "%s: not a folder", dir);
    if (dry_run)
        return OG_OK;
    return og_mkdirs(dir, err); /* missing parents too (a test root starts empty) */
}

og_status og_wired_persist(const char *root, uint32_t mb, int dry_run, og_wired_actions *out,
                           og_error *err)
{
    og_wired_actions local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    og_error_clear(err);
    if (!root)
        root = "/";
    if (mb == 0)
        return og_error_set(err, OG_ERR_INVALID,
                            "wired: persisting 0 (the default) is --reset, not --persist");
    char plist[600], conf[600];
    if (!join(plist, sizeof plist, root, OG_WIRED_PLIST_PATH) ||
        !join(conf, sizeof conf, root, OG_WIRED_SYSCTL_CONF))
        return og_error_set(err, OG_ERR_INVALID, "wired: root path too long: %s", root);

    og_status s = ensure_dir(plist, dry_run, err);
    if (s != OG_OK)
        return s;
    char *pt = og_wired_plist_text(mb);
    if (!pt)
        return og_error_set(err, OG_ERR_NOMEM, "wired: out of memory");
    s = update_file(plist, pt, dry_run, out, err);
    free(pt);
    if (s != OG_OK)
        return s;

    s = ensure_dir(conf, dry_run, err);
    if (s != OG_OK)
        return s;
    char *old;
    size_t len;
    int exists;
    s = read_all(conf, &old, &len, &exists, err);
    if (s != OG_OK)
        return s;
    char line[64];
    snprintf(line, sizeof line, "%s=%u", OG_WIRED_SYSCTL_KEY, mb);
    char *nt = edit_sysctl_conf(old ? old : "", len, line);
    free(old);
    if (!nt)
        return og_error_set(err, OG_ERR_NOMEM, "wired: out of memory");
    s = update_file(conf, nt, dry_run, out, err);
    free(nt);
    return s;
}

og_status og_wired_unpersist(const char *root, int dry_run, og_wired_actions *out, og_error *err)
{
    og_wired_actions local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    og_error_clear(err);
    if (!root)
        root = "/";
    char plist[600], conf[600];
    if (!join(plist, sizeof plist, root, OG_WIRED_PLIST_PATH) ||
        !join(conf, sizeof conf, root, OG_WIRED_SYSCTL_CONF))
        return og_error_set(err, OG_ERR_INVALID, "wired: root path too long: %s", root);
    struct stat st;
    if (stat(plist, &st) == 0) {
        next_action(out, plist, "remove");
        if (!dry_run) {
            if (unlink(plist) != 0)
                return og_error_set(err, OG_ERR_IO, "%s: %s", plist, strerror(errno));
            og_status s = fsync_dir(plist, err);
            if (s != OG_OK)
                return s;
        }
    } else {
        next_action(out, plist, "absent");
    }
    char *old;
    size_t len;
    int exists;
    og_status s = read_all(conf, &old, &len, &exists, err);
    if (s != OG_OK)
        return s;
    if (!exists) {
        next_action(out, conf, "absent");
        return OG_OK;
    }
    char *nt = edit_sysctl_conf(old, len, NULL);
    free(old);
    if (!nt)
        return og_error_set(err, OG_ERR_NOMEM, "wired: out of memory");
    s = update_file(conf, nt, dry_run, out, err);
    free(nt);
    return s;
}

/* ---- Linux AMD APU: GTT ----------------------------------------------------- */

uint64_t og_gtt_pages_for_bytes(uint64_t gtt_bytes)
{
    /* ttm_tt.c: pages_limit counts PAGE_SIZE pages (4 KiB on x86-64) */
    return gtt_bytes / 4096;
}

static int64_t cmdline_value(const char *c, const char *key)
{
    size_t k = strlen(key);
    const char *p = c;
    while ((p = strstr(p, key)) != NULL) {
        if ((p == c || p[-1] == ' ' || p[-1] == '\t') && p[k] == '=') {
            const char *q = p + k + 1;
            int neg = 0;
            if (*q == '-') {
                neg = 1;
                q++;
            }
            int64_t v = 0;
            int digits = 0;
            while (*q >= '0' && *q <= '9' && digits < 18) {
                v = v * 10 + (*q - '0');
                q++;
                digits++;
            }
            if (digits)
                return neg ? -v : v;
        }
        p += k;
    }
    return -1;
}

void og_gtt_parse_cmdline(const char *cmdline, og_gtt_params *p)
{
    if (!p)
        return;
    p->ttm_pages_limit = p->amdttm_pages_limit = p->amdgpu_gttsize_mb = -1;
    if (!cmdline)
        return;
    p->ttm_pages_limit = cmdline_value(cmdline, "ttm.pages_limit");
    p->amdttm_pages_limit = cmdline_value(cmdline, "amdttm.pages_limit");
    p->amdgpu_gttsize_mb = cmdline_value(cmdline, "amdgpu.gttsize");
}
