/* Linux machine probe: /proc and /sys under a root folder (the live machine
 * is root "/"; tests use fixture trees under tests/data/linux/), then NVML.
 * Sources (Documentation/filesystems/proc.rst, accounting/psi.rst,
 * admin-guide/cgroup-v2.rst, gpu/drm-usage-stats.rst, amdgpu_vram_mgr.c /
 * amdgpu_gtt_mgr.c, ttm_tt.c) are summarised in docs/MACHINE.md. Every
 * source that cannot be read is recorded in m->sources with the reason; only
 * a missing /proc/meminfo on the live machine makes the probe fail. */
#include "procfs.h"
#include "oomguard/machine.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine_internal.h"
#include "og_internal.h"

#define KIB 1024ull
#define GIB (1024ull * 1024 * 1024)

/* Read ROOT/REL (a /proc or /sys file: st_size is 0, so read to EOF) into a
 * malloc'd NUL-terminated buffer of at most cap bytes. NULL with errno set. */
static char *read_rel(const char *root, const char *rel, size_t cap, size_t *len_out)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    if (len_out)
        *len_out = got;
    return buf;
}

/* Parse an unsigned decimal at *p (skipping blanks); 1 on success. */
/* Read a file holding one number (sysfs); 1 on success. */
static int read_u64_file(const char *root, const char *rel, uint64_t *out)
{
    char *t = read_rel(root, rel, 256, NULL);
    if (!t)
        return 0;
    const char *p = t;
    int ok = og_procfs_u64(&p, out);
    free(t);
    return ok;
}

/* Value of "Key:   N kB" in /proc/meminfo-style text, in bytes. */
static int meminfo_get(const char *text, const char *key, uint64_t *bytes)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
            const char *p = l + kl + 1;
            uint64_t v;
            if (!og_procfs_u64(&p, &v))
                return 0;
            while (*p == ' ')
                p++;
            if (strncmp(p, "kB", 2) == 0 && !og_mul_u64(v, KIB, &v))
                return 0;
            *bytes = v;
            return 1;
        }
    }
    return 0;
}

static const char *errtext(int e)
{
    return e == ENOENT ? "not present" : strerror(e);
}

static int probe_meminfo(const char *root, og_machine *m)
{
    char *t = read_rel(root, "proc/meminfo", 64 * 1024, NULL);
    if (!t) {
        og_machine_source(m, "meminfo", 0, "/proc/meminfo: %s", errtext(errno));
        return 0;
    }
    uint64_t total = 0, st = 0, sf = 0;
    if (!meminfo_get(t, "MemTotal", &total) || total == 0) {
        free(t);
        og_machine_source(m, "meminfo", 0, "/proc/meminfo: no MemTotal line");
        return 0;
    }
    m->ram_bytes = total;
    meminfo_get(t, "MemFree", &m->mem_free_bytes);
    meminfo_get(t, "Cached", &m->cached_bytes);
    meminfo_get(t, "Buffers", &m->buffers_bytes);
    const char *how = "";
    if (!meminfo_get(t, "MemAvailable", &m->mem_available_bytes)) {
        /* Kernels before 3.14 have no MemAvailable; Ollama falls back to
         * MemFree + Buffers + Cached (discover/cpu_linux.go). */
        m->mem_available_bytes = m->mem_free_bytes + m->buffers_bytes + m->cached_bytes;
        if (m->mem_available_bytes > total)
            m->mem_available_bytes = total;
        how = "no MemAvailable (kernel < 3.14): estimated as MemFree + Buffers + Cached";
    }
    if (meminfo_get(t, "SwapTotal", &st) && meminfo_get(t, "SwapFree", &sf)) {
        m->swap_total_bytes = st;
        m->swap_used_bytes = st > sf ? st - sf : 0;
    }
    free(t);
    m->meminfo_known = 1;
    og_machine_source(m, "meminfo", 1, "%s", how);
    return 1;
}

/* "some avg10=0.12 avg60=..." */
static int psi_avg10(const char *text, const char *kind, double *out)
{
    size_t kl = strlen(kind);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, kind, kl) == 0 && l[kl] == ' ') {
            const char *a = strstr(l, "avg10=");
            const char *eol = strchr(l, '\n');
            if (!a || (eol && a > eol))
                return 0;
            char *end;
            double d = strtod(a + 6, &end);
            if (end == a + 6 || !(d >= 0 && d <= 100))
                return 0;
            *out = d;
            return 1;
        }
    }
    return 0;
}

static void probe_psi(const char *root, og_machine *m)
{
    char *t = read_rel(root, "proc/pressure/memory", 4096, NULL);
    if (!t) {
        og_machine_source(m, "psi", 0, "/proc/pressure/memory: %s%s", errtext(errno),
                          errno == ENOENT || errno == EOPNOTSUPP
                              ? " (kernel without PSI, or booted without psi=1)"
                              : "");
        return;
    }
    double some = 0, full = 0;
    int ok = psi_avg10(t, "some", &some);
    psi_avg10(t, "full", &full); /* "full" appeared in 5.2+; absent means 0 */
    free(t);
    if (!ok) {
        og_machine_source(m, "psi", 0, "/proc/pressure/memory: no 'some avg10=' line");
        return;
    }
    m->psi_known = 1;
    m->psi_some_avg10 = some;
    m->psi_full_avg10 = full;
    /* oomguard's own thresholds (docs/MACHINE.md): any sustained "full" stall
     * means thrashing has begun. */
    if (full >= 10.0)
        m->pressure = OG_PRESSURE_CRITICAL;
    else if (some >= 10.0 || full >= 1.0)
        m->pressure = OG_PRESSURE_WARN;
    else
        m->pressure = OG_PRESSURE_NORMAL;
    og_machine_source(m, "psi", 1, "%s", "");
}

static void probe_vmstat(const char *root, og_machine *m)
{
    char *t = read_rel(root, "proc/vmstat", 64 * 1024, NULL);
    if (!t) {
        og_machine_source(m, "vmstat", 0, "/proc/vmstat: %s", errtext(errno));
        return;
    }
    const char *p = strstr(t, "\npswpout ");
    if (!p && strncmp(t, "pswpout ", 8) == 0)
        p = t - 1;
    uint64_t v = 0;
    if (p) {
        p += 9;
        if (og_procfs_u64(&p, &v))
            m->swapouts = v;
    }
    free(t);
    og_machine_source(m, "vmstat", p != NULL, "%s", p ? "" : "/proc/vmstat: no pswpout line");
}

/* memory.max / memory.high: "max" = no limit (0). */
static int read_limit(const char *root, const char *dir, const char *file, uint64_t *out)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", dir, file);
    char *t = read_rel(root, rel, 64, NULL);
    if (!t)
        return 0;
    int ok = 1;
    if (strncmp(t, "max", 3) == 0) {
        *out = 0;
    } else {
        const char *p = t;
        ok = og_procfs_u64(&p, out);
    }
    free(t);
    return ok;
}

/* Walk from the group up to the hierarchy's root: every ancestor's limit
 * also binds. Keep the level with the least room (limit - usage). v2 files:
 * memory.current, memory.max, memory.high ("max" = none); v1 files:
 * memory.usage_in_bytes, memory.limit_in_bytes (>= 2^62 = none). */
static int cgroup_walk(const char *root, og_machine *m, const char *mount, int v1)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s%s", mount, strcmp(m->cgroup_path, "/") ? m->cgroup_path : "");
    int any = 0;
    uint64_t best_room = UINT64_MAX;
    for (;;) {
        uint64_t cur = 0, max = 0, high = 0;
        char rel[400];
        snprintf(rel, sizeof rel, "%s/%s", dir, v1 ? "memory.usage_in_bytes" : "memory.current");
        if (read_u64_file(root, rel, &cur)) {
            if (!any)
                m->cgroup_usage_bytes = cur;
            any = 1;
            int has_max, has_high = 0;
            if (v1) {
                has_max =
                    read_limit(root, dir, "memory.limit_in_bytes", &max) && max < (1ull << 62);
            } else {
                has_max = read_limit(root, dir, "memory.max", &max) && max;
                has_high = read_limit(root, dir, "memory.high", &high) && high;
            }
            uint64_t lim = has_max ? max : 0;
            if (has_high && (!lim || high < lim))
                lim = high;
            if (lim) {
                uint64_t room = lim > cur ? lim - cur : 0;
                if (room < best_room) {
                    best_room = room;
                    m->cgroup_limit_bytes = has_max ? max : 0;
                    m->cgroup_high_bytes = has_high ? high : 0;
                    m->cgroup_usage_bytes = cur;
                }
            }
        }
        char *slash = strrchr(dir, '/');
        if (!slash || strcmp(dir, mount) == 0)
            break;
        *slash = '\0';
    }
    return any;
}

/* The path of the line "ID:CONTROLLERS:/path" whose controller list is
 * exactly want ("" for the v2 line "0::/path") or contains it. */
static int cgroup_line(const char *t, const char *want, char *out, size_t n)
{
    for (const char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *c1 = strchr(l, ':');
        const char *eol = strchr(l, '\n');
        if (!c1 || (eol && c1 > eol))
            continue;
        const char *c2 = strchr(c1 + 1, ':');
        if (!c2 || (eol && c2 > eol))
            continue;
        size_t cl = (size_t)(c2 - c1 - 1);
        int match;
        if (!*want) {
            match = cl == 0 && strncmp(l, "0:", 2) == 0;
        } else {
            match = 0;
            for (const char *p = c1 + 1; p < c2;) {
                size_t wl = strcspn(p, ",:");
                if (wl == strlen(want) && strncmp(p, want, wl) == 0)
                    match = 1;
                p += wl + 1;
            }
        }
        if (!match)
            continue;
        const char *path = c2 + 1;
        size_t pl = strcspn(path, "\n");
        if (pl == 0 || pl >= n || path[0] != '/')
            return 0;
        memcpy(out, path, pl);
        out[pl] = '\0';
        return strstr(out, "..") == NULL;
    }
    return 0;
}

static void probe_cgroup(const char *root, og_machine *m)
{
    char *t = read_rel(root, "proc/self/cgroup", 16 * 1024, NULL);
    if (!t) {
        og_machine_source(m, "cgroup", 0, "/proc/self/cgroup: %s", errtext(errno));
        return;
    }
    char v2[sizeof m->cgroup_path] = "", v1[sizeof m->cgroup_path] = "";
    int has_v2 = cgroup_line(t, "", v2, sizeof v2);
    int has_v1 = cgroup_line(t, "memory", v1, sizeof v1);
    free(t);
    if (has_v2) {
        og_strlcpy(m->cgroup_path, v2, sizeof m->cgroup_path);
        if (cgroup_walk(root, m, "sys/fs/cgroup", 0)) {
            m->cgroup_known = 1;
            og_machine_source(m, "cgroup", 1, "%s", "");
            return;
        }
    }
    if (has_v1) {
        og_strlcpy(m->cgroup_path, v1, sizeof m->cgroup_path);
        if (cgroup_walk(root, m, "sys/fs/cgroup/memory", 1)) {
            m->cgroup_known = 1;
            og_machine_source(m, "cgroup", 1, "cgroup v1 memory controller");
            return;
        }
    }
    m->cgroup_path[0] = '\0';
    if (!has_v2 && !has_v1)
        og_machine_source(m, "cgroup", 0, "no cgroup v2 or v1 memory line in /proc/self/cgroup");
    else
        og_machine_source(m, "cgroup", 0,
                          "no memory.current under /sys/fs/cgroup%s (the root group has no "
                          "limit, or the memory controller is not enabled)",
                          has_v2 ? v2 : v1);
}

static void probe_cpu(const char *root, og_machine *m)
{
    char *t = read_rel(root, "proc/cpuinfo", 4u << 20, NULL);
    if (!t) {
        og_machine_source(m, "cpuinfo", 0, "/proc/cpuinfo: %s", errtext(errno));
        return;
    }
    uint32_t n = 0;
    for (const char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "processor", 9) == 0 && (l[9] == '\t' || l[9] == ' ' || l[9] == ':'))
            n++;
        if (!m->cpu_name[0] && (strncmp(l, "model name", 10) == 0 || strncmp(l, "Model", 5) == 0 ||
                                strncmp(l, "Hardware", 8) == 0)) {
            const char *c = strchr(l, ':');
            const char *eol = strchr(l, '\n');
            if (c && (!eol || c < eol)) {
                c++;
                while (*c == ' ' || *c == '\t')
                    c++;
                size_t len = eol ? (size_t)(eol - c) : strlen(c);
                if (len >= sizeof m->cpu_name)
                    len = sizeof m->cpu_name - 1;
                memcpy(m->cpu_name, c, len);
                m->cpu_name[len] = '\0';
            }
        }
    }
    free(t);
    m->cpu_cores = n;
    og_machine_source(m, "cpuinfo", 1, "%s", "");
}

static void probe_os(const char *root, og_machine *m)
{
    char rel_buf[64] = "";
    char *t = read_rel(root, "proc/sys/kernel/osrelease", 256, NULL);
    if (t) {
        t[strcspn(t, "\n")] = '\0';
        og_strlcpy(rel_buf, t, sizeof rel_buf);
        free(t);
    }
    char pretty[96] = "Linux";
    t = read_rel(root, "etc/os-release", 16 * 1024, NULL);
    if (t) {
        const char *p = strstr(t, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            size_t len = strcspn(p, "\"\n");
            if (len >= sizeof pretty)
                len = sizeof pretty - 1;
            memcpy(pretty, p, len);
            pretty[len] = '\0';
        }
        free(t);
    }
    if (snprintf(m->os_version, sizeof m->os_version, "%.30s%s%.20s", pretty,
                 rel_buf[0] ? ", kernel " : "", rel_buf) < 0)
        m->os_version[0] = '\0';
    t = read_rel(root, "proc/sys/kernel/hostname", 256, NULL);
    if (t) {
        t[strcspn(t, "\n")] = '\0';
        og_strlcpy(m->hostname, t, sizeof m->hostname);
        free(t);
    }
}

/* ---- AMD GPUs (amdgpu sysfs) and DRM fdinfo ---- */

static int is_card_name(const char *n)
{
    if (strncmp(n, "card", 4) != 0 || !n[4])
        return 0;
    for (const char *p = n + 4; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static int card_cmp(const void *a, const void *b)
{
    return atoi(*(const char *const *)a + 4) - atoi(*(const char *const *)b + 4);
}

static void probe_amdgpu(const char *root, og_machine *m)
{
    char dpath[1024];
    snprintf(dpath, sizeof dpath, "%s/sys/class/drm", root);
    DIR *d = opendir(dpath);
    if (!d) {
        og_machine_source(m, "amdgpu", 0, "/sys/class/drm: %s", errtext(errno));
        return;
    }
    char *names[64];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < 64)
        if (is_card_name(e->d_name))
            names[nn++] = og_strdup(e->d_name);
    closedir(d);
    qsort(names, nn, sizeof names[0], card_cmp);
    int found = 0;
    for (size_t i = 0; i < nn; i++) {
        char rel[256], base[128];
        if (!names[i])
            continue;
        snprintf(base, sizeof base, "sys/class/drm/%s/device", names[i]);
        snprintf(rel, sizeof rel, "%s/vendor", base);
        char *v = read_rel(root, rel, 64, NULL);
        int amd = v && strncmp(v, "0x1002", 6) == 0;
        free(v);
        uint64_t vt = 0;
        snprintf(rel, sizeof rel, "%s/mem_info_vram_total", base);
        if (!amd || !read_u64_file(root, rel, &vt) || m->n_gpus >= OG_MAX_GPUS)
            continue;
        og_gpu *g = &m->gpus[m->n_gpus++];
        memset(g, 0, sizeof *g);
        g->vendor = OG_GPU_AMD;
        g->vram_total_bytes = vt;
        snprintf(rel, sizeof rel, "%s/mem_info_vram_used", base);
        read_u64_file(root, rel, &g->vram_used_bytes);
        snprintf(rel, sizeof rel, "%s/mem_info_gtt_total", base);
        read_u64_file(root, rel, &g->gtt_total_bytes);
        snprintf(rel, sizeof rel, "%s/mem_info_gtt_used", base);
        read_u64_file(root, rel, &g->gtt_used_bytes);
        snprintf(rel, sizeof rel, "%s/uevent", base);
        char *ue = read_rel(root, rel, 4096, NULL);
        if (ue) {
            const char *s = strstr(ue, "PCI_SLOT_NAME=");
            if (s) {
                s += 14;
                size_t len = strcspn(s, "\n");
                if (len < sizeof g->pci_bus_id) {
                    memcpy(g->pci_bus_id, s, len);
                    g->pci_bus_id[len] = '\0';
                }
            }
            free(ue);
        }
        snprintf(rel, sizeof rel, "%s/product_name", base);
        char *pn = read_rel(root, rel, 256, NULL);
        if (pn && pn[0] && pn[0] != '\n') {
            pn[strcspn(pn, "\n")] = '\0';
            og_strlcpy(g->name, pn, sizeof g->name);
        } else {
            snprintf(g->name, sizeof g->name, "AMD GPU (%s)", names[i]);
        }
        free(pn);
        /* Integrated when the carve-out is small and GTT large: Ollama's rule
         * (discover/amd.go): vram <= 4 GiB, gtt >= 8 GiB and >= 4 x vram. */
        g->unified = vt <= 4 * GIB && g->gtt_total_bytes >= 8 * GIB && g->gtt_total_bytes / 4 >= vt;
        if (g->unified) {
            g->total_bytes = vt + g->gtt_total_bytes;
            g->used_bytes = g->vram_used_bytes + g->gtt_used_bytes;
        } else {
            g->total_bytes = vt;
            g->used_bytes = g->vram_used_bytes;
        }
        if (g->used_bytes > g->total_bytes)
            g->used_bytes = g->total_bytes;
        g->mem_known = 1;
        found++;
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    if (found)
        og_machine_source(m, "amdgpu", 1, "%s", "");
    else
        og_machine_source(m, "amdgpu", 0, "no amdgpu device in /sys/class/drm");
    uint64_t pl = 0;
    if (read_u64_file(root, "sys/module/ttm/parameters/pages_limit", &pl) ||
        read_u64_file(root, "sys/module/amdttm/parameters/pages_limit", &pl))
        m->ttm_pages_limit = pl;
}

/* fdinfo value "N", "N KiB", "N MiB" -> bytes */
static int fdinfo_bytes(const char *p, uint64_t *out)
{
    uint64_t v;
    if (!og_procfs_u64(&p, &v))
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t mul = 1;
    if (strncmp(p, "KiB", 3) == 0)
        mul = KIB;
    else if (strncmp(p, "MiB", 3) == 0)
        mul = KIB * KIB;
    else if (strncmp(p, "GiB", 3) == 0)
        mul = GIB;
    return og_mul_u64(v, mul, out);
}

static const char *fdinfo_val(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, kl) == 0 && l[kl] == ':')
            return l + kl + 1;
    return NULL;
}

typedef struct seen_client {
    char pdev[32];
    uint64_t id;
} seen_client;

static void add_proc_bytes(og_gpu *g, int32_t pid, uint64_t bytes)
{
    for (uint32_t i = 0; i < g->n_procs; i++)
        if (g->procs[i].pid == pid) {
            g->procs[i].bytes += bytes;
            return;
        }
    if (g->n_procs < OG_MAX_GPU_PROCS) {
        g->procs[g->n_procs].pid = pid;
        g->procs[g->n_procs].bytes = bytes;
        g->n_procs++;
    }
}

/* Per-process GPU memory of amdgpu clients from /proc/PID/fdinfo
 * (Documentation/gpu/drm-usage-stats.rst): drm-total-{vram,gtt} where
 * present, else the legacy drm-memory-{vram,gtt} (KiB). A (pdev, client-id)
 * pair is counted once (dup'd fds share a client). */
static void probe_fdinfo(const char *root, og_machine *m)
{
    int any_amd = 0;
    for (uint32_t i = 0; i < m->n_gpus; i++)
        any_amd |= m->gpus[i].vendor == OG_GPU_AMD;
    if (!any_amd)
        return;
    char ppath[1024];
    snprintf(ppath, sizeof ppath, "%s/proc", root);
    DIR *pd = opendir(ppath);
    if (!pd) {
        og_machine_source(m, "drm_fdinfo", 0, "/proc: %s", errtext(errno));
        return;
    }
    seen_client seen[256];
    size_t n_seen = 0;
    int denied = 0, readable = 0;
    struct dirent *pe;
    while ((pe = readdir(pd)) != NULL) {
        const char *pn = pe->d_name;
        if (!isdigit((unsigned char)pn[0]) || strspn(pn, "0123456789") != strlen(pn))
            continue;
        int32_t pid = (int32_t)atoi(pn);
        char fdrel[1024];
        snprintf(fdrel, sizeof fdrel, "%s/proc/%s/fd", root, pn);
        DIR *fd = opendir(fdrel);
        if (!fd) {
            denied += errno == EACCES;
            continue;
        }
        readable++;
        struct dirent *fe;
        while ((fe = readdir(fd)) != NULL) {
            if (!isdigit((unsigned char)fe->d_name[0]))
                continue;
            char lp[1400], target[256];
            if (snprintf(lp, sizeof lp, "%s/%s", fdrel, fe->d_name) >= (int)sizeof lp)
                continue;
            ssize_t tl = readlink(lp, target, sizeof target - 1);
            if (tl <= 0)
                continue;
            target[tl] = '\0';
            if (strncmp(target, "/dev/dri/", 9) != 0)
                continue;
            char rel[600];
            if (snprintf(rel, sizeof rel, "proc/%s/fdinfo/%s", pn, fe->d_name) >= (int)sizeof rel)
                continue;
            char *t = read_rel(root, rel, 16 * 1024, NULL);
            if (!t)
                continue;
            const char *drv = fdinfo_val(t, "drm-driver");
            const char *pdev = fdinfo_val(t, "drm-pdev");
            const char *cid = fdinfo_val(t, "drm-client-id");
            char pdev_s[32] = "";
            if (pdev) {
                while (*pdev == ' ' || *pdev == '\t')
                    pdev++;
                size_t l = strcspn(pdev, "\n");
                if (l < sizeof pdev_s) {
                    memcpy(pdev_s, pdev, l);
                    pdev_s[l] = '\0';
                }
            }
            uint64_t id = 0;
            int dup = 0;
            if (cid && og_procfs_u64(&cid, &id)) {
                for (size_t s = 0; s < n_seen; s++)
                    dup |= seen[s].id == id && strcmp(seen[s].pdev, pdev_s) == 0;
                if (!dup && n_seen < 256) {
                    og_strlcpy(seen[n_seen].pdev, pdev_s, sizeof seen[n_seen].pdev);
                    seen[n_seen++].id = id;
                }
            }
            while (drv && (*drv == ' ' || *drv == '\t'))
                drv++;
            if (!dup && drv && strncmp(drv, "amdgpu", 6) == 0) {
                uint64_t vram = 0, gtt = 0;
                const char *v = fdinfo_val(t, "drm-total-vram");
                if (!v)
                    v = fdinfo_val(t, "drm-memory-vram");
                const char *g = fdinfo_val(t, "drm-total-gtt");
                if (!g)
                    g = fdinfo_val(t, "drm-memory-gtt");
                if (v)
                    fdinfo_bytes(v, &vram);
                if (g)
                    fdinfo_bytes(g, &gtt);
                for (uint32_t gi = 0; gi < m->n_gpus; gi++) {
                    og_gpu *gp = &m->gpus[gi];
                    if (gp->vendor != OG_GPU_AMD)
                        continue;
                    if (pdev_s[0] && gp->pci_bus_id[0] && strcmp(pdev_s, gp->pci_bus_id) != 0)
                        continue;
                    if (vram + gtt)
                        add_proc_bytes(gp, pid, vram + gtt);
                    break;
                }
            }
            free(t);
        }
        closedir(fd);
    }
    closedir(pd);
    for (uint32_t gi = 0; gi < m->n_gpus; gi++)
        if (m->gpus[gi].vendor == OG_GPU_AMD)
            m->gpus[gi].procs_known = 1;
    if (denied && !readable)
        og_machine_source(m, "drm_fdinfo", 0, "no permission to read other processes' fds");
    else
        og_machine_source(m, "drm_fdinfo", 1, "%s",
                          denied ? "only this user's processes (others need root)" : "");
}

og_status og_probe_linux_root(const char *root, og_machine *m, og_error *err)
{
    og_machine_init(m);
    m->os = OG_OS_LINUX;
    m->page_size = 4096;
    m->pressure = OG_PRESSURE_UNKNOWN;
    int mem = probe_meminfo(root, m);
    probe_psi(root, m);
    probe_vmstat(root, m);
    probe_cgroup(root, m);
    probe_cpu(root, m);
    probe_os(root, m);
    probe_amdgpu(root, m);
    probe_fdinfo(root, m);
    if (!mem)
        return og_error_set(err, OG_ERR_IO, "cannot read %s/proc/meminfo: %s",
                            strcmp(root, "/") ? root : "", m->sources[0].reason);
    og_error_clear(err);
    return OG_OK;
}

og_status og_machine_probe(og_machine *m, og_error *err)
{
    og_status s = og_probe_linux_root("", m, err);
    if (s != OG_OK)
        return s;
    long ps = sysconf(_SC_PAGESIZE);
    if (ps > 0)
        m->page_size = (uint64_t)ps;
    if (!m->cpu_cores) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n > 0)
            m->cpu_cores = (uint32_t)n;
    }
    og_probe_nvml(m);
    og_machine_unified_fallback(m);
    return OG_OK;
}
