/* System memory on Linux, read cheaply enough for 10 samples a second:
 * /proc/meminfo (MemTotal, MemAvailable, SwapTotal, SwapFree),
 * /proc/pressure/memory (PSI, Documentation/accounting/psi.rst),
 * /proc/vmstat (pswpout), and the cgroup's limit (v2 memory.max /
 * memory.current, v1 memory.limit_in_bytes / memory.usage_in_bytes; the
 * inactive file cache in memory.stat counts as room, as the kernel reclaims it
 * before it OOM-kills). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "og_internal.h"
#include "procfs.h"
#include "oomguard/watch.h"

/* Value of "key" at a line start followed by sep (':' or ' '). */
static int field(const char *buf, const char *key, char sep, uint64_t *v)
{
    size_t kl = strlen(key);
    for (const char *line = buf; line && *line;) {
        if (strncmp(line, key, kl) == 0 && line[kl] == sep) {
            const char *num = line + kl + 1;
            return og_procfs_u64(&num, v);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return 0;
}

static int psi_avg10(const char *buf, const char *kind, double *v)
{
    const char *l = strstr(buf, kind);
    if (!l)
        return 0;
    const char *a = strstr(l, "avg10=");
    if (!a)
        return 0;
    a += 6;
    double x = 0, scale = 0;
    for (; (*a >= '0' && *a <= '9') || *a == '.'; a++) {
        if (*a == '.') {
            scale = 1;
            continue;
        }
        x = x * 10 + (*a - '0');
        if (scale > 0)
            scale *= 10;
    }
    *v = scale > 0 ? x / scale : x;
    return 1;
}

/* Find this process's memory cgroup folder (v2 unified, else v1 memory). */
static void find_cgroup(char *dir, size_t n, const char *proc_root, int *v1)
{
    dir[0] = '\0';
    *v1 = 0;
    char path[512], buf[4096];
    snprintf(path, sizeof path, "%s/self/cgroup", proc_root);
    if (og_procfs_read(path, buf, sizeof buf) <= 0)
        return;
    char probe[600];
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        const char *rel = NULL;
        int is_v1 = 0;
        if (strncmp(line, "0::", 3) == 0)
            rel = line + 3;
        else if (strstr(line, ":memory:")) {
            rel = strstr(line, ":memory:") + 8;
            is_v1 = 1;
        }
        if (rel) {
            const char *base = is_v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
            const char *file = is_v1 ? "memory.limit_in_bytes" : "memory.max";
            /* The path as seen from here, else the namespace root. */
            snprintf(probe, sizeof probe, "%s%s/%s", base, rel, file);
            if (access(probe, R_OK) == 0) {
                snprintf(dir, n, "%s%s", base, strcmp(rel, "/") == 0 ? "" : rel);
                *v1 = is_v1;
                return;
            }
            snprintf(probe, sizeof probe, "%s/%s", base, file);
            if (access(probe, R_OK) == 0) {
                snprintf(dir, n, "%s", base);
                *v1 = is_v1;
                return;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

static void read_cgroup(const char *dir, og_sysmem *m)
{
    char path[600], buf[8192];
    uint64_t limit = 0, usage = 0, inactive = 0;
    int v1 = 0;
    snprintf(path, sizeof path, "%s/memory.max", dir);
    ssize_t n = og_procfs_read(path, buf, sizeof buf);
    if (n < 0) {
        snprintf(path, sizeof path, "%s/memory.limit_in_bytes", dir);
        n = og_procfs_read(path, buf, sizeof buf);
        v1 = 1;
    }
    if (n <= 0 || strncmp(buf, "max", 3) == 0 || !og_procfs_u64(&(const char *){buf}, &limit))
        return;
    if (limit >= (1ull << 60)) /* v1 "no limit" is a huge page-aligned number */
        return;
    snprintf(path, sizeof path, "%s/%s", dir, v1 ? "memory.usage_in_bytes" : "memory.current");
    if (og_procfs_read(path, buf, sizeof buf) <= 0 || !og_procfs_u64(&(const char *){buf}, &usage))
        return;
    snprintf(path, sizeof path, "%s/memory.stat", dir);
    if (og_procfs_read(path, buf, sizeof buf) > 0)
        field(buf, v1 ? "total_inactive_file" : "inactive_file", ' ', &inactive);
    m->cgroup_limit_bytes = limit;
    m->cgroup_usage_bytes = usage;
    uint64_t used = usage > inactive ? usage - inactive : 0;
    uint64_t room = limit > used ? limit - used : 0;
    if (!m->avail_known || room < m->avail_bytes) {
        m->avail_bytes = room;
        m->avail_known = 1;
    }
}

og_status og_sysmem_read_at(const char *proc_root, const char *cgroup_dir, og_sysmem *m,
                            og_error *err)
{
    memset(m, 0, sizeof *m);
    long ps = sysconf(_SC_PAGESIZE);
    m->page_size = ps > 0 ? (uint64_t)ps : 4096;
    char path[512], buf[8192];
    int any = 0;
    snprintf(path, sizeof path, "%s/meminfo", proc_root);
    if (og_procfs_read(path, buf, sizeof buf) > 0) {
        uint64_t kb;
        if (field(buf, "MemTotal", ':', &kb))
            m->total_bytes = kb * 1024, any = 1;
        if (field(buf, "MemAvailable", ':', &kb))
            m->avail_bytes = kb * 1024, m->avail_known = 1;
        uint64_t st, sf;
        if (field(buf, "SwapTotal", ':', &st) && field(buf, "SwapFree", ':', &sf)) {
            m->swap_total_bytes = st * 1024;
            m->swap_used_bytes = st > sf ? (st - sf) * 1024 : 0;
            m->swap_known = 1;
        }
    }
    snprintf(path, sizeof path, "%s/pressure/memory", proc_root);
    if (og_procfs_read(path, buf, sizeof buf) > 0 && psi_avg10(buf, "some", &m->psi_some_avg10) &&
        psi_avg10(buf, "full", &m->psi_full_avg10)) {
        m->psi_known = 1;
        m->pressure = og_pressure_from_psi(m->psi_some_avg10, m->psi_full_avg10);
        any = 1;
    }
    snprintf(path, sizeof path, "%s/vmstat", proc_root);
    if (og_procfs_read(path, buf, sizeof buf) > 0 && field(buf, "pswpout", ' ', &m->swapouts))
        m->swapouts_known = 1;
    char cg[512];
    int v1;
    if (cgroup_dir)
        og_strlcpy(cg, cgroup_dir, sizeof cg);
    else
        find_cgroup(cg, sizeof cg, proc_root, &v1);
    if (cg[0])
        read_cgroup(cg, m);
    if (!any && !m->avail_known)
        return og_error_set(err, OG_ERR_IO, "%s/meminfo: cannot read system memory", proc_root);
    return OG_OK;
}

og_status og_sysmem_read(og_sysmem *m, og_error *err)
{
    /* The cgroup folder does not change during a run; find it once. */
    static char cg[512];
    static int found;
    if (!found) {
        int v1;
        find_cgroup(cg, sizeof cg, "/proc", &v1);
        found = 1;
    }
    return og_sysmem_read_at("/proc", cg[0] ? cg : "", m, err);
}
