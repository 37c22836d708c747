/* Processes on macOS: libproc (proc_listallpids, proc_pidinfo
 * PROC_PIDTBSDINFO or PROC_PIDT_SHORTBSDINFO, proc_pid_rusage RUSAGE_INFO_V4) and sysctl
 * KERN_PROCARGS2 for command lines. Raw readings only.
 *
 * Compiled and linked by scripts/macos-build on Linux, not run there
 * (docs/verification/macos-calls.md). Sources:
 * <libproc.h>, <sys/proc_info.h>, <sys/resource.h> (xnu bsd/kern/proc_info.c:
 * PROC_INFO_CALL_PIDRUSAGE is CHECK_SAME_USER, so other users' footprints
 * need root and are reported unknown). */
#include "procs_platform.h"

#include <errno.h>
#include <libproc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc_info.h>
#include <sys/resource.h>
#include <sys/sysctl.h>
#include <unistd.h>

#include "og_internal.h"

static int read_bsdinfo(int32_t pid, og_proc *p)
{
    struct proc_bsdinfo bi;
    int n = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &bi, (int)sizeof bi);
    if (n == (int)sizeof bi) {
        p->pid = pid;
        p->ppid = (int32_t)bi.pbi_ppid;
        p->start_time = (uint64_t)bi.pbi_start_tvsec * 1000000u + (uint64_t)bi.pbi_start_tvusec;
        /* pbi_name is the longer (2*MAXCOMLEN) name when set. */
        og_strlcpy(p->name, bi.pbi_name[0] ? bi.pbi_name : bi.pbi_comm, sizeof p->name);
        return 1;
    }
    /* PROC_PIDTBSDINFO is CHECK_SAME_USER (xnu bsd/kern/proc_info.c); the
     * short form is not: another user's process keeps its pid, parent and
     * name, with no start time (0: unknown). */
    struct proc_bsdshortinfo si;
    n = proc_pidinfo(pid, PROC_PIDT_SHORTBSDINFO, 0, &si, (int)sizeof si);
    if (n != (int)sizeof si)
        return 0;
    p->pid = pid;
    p->ppid = (int32_t)si.pbsi_ppid;
    p->start_time = 0;
    og_strlcpy(p->name, si.pbsi_comm, sizeof p->name);
    return 1;
}

/* KERN_PROCARGS2: int argc, exec path, NULs, then argc NUL-terminated args. */
static void read_cmdline(int32_t pid, og_proc *p)
{
    p->cmdline[0] = '\0';
    int mib[3] = {CTL_KERN, KERN_PROCARGS2, pid};
    int argmax = 0;
    size_t sz = sizeof argmax;
    int mib_max[2] = {CTL_KERN, KERN_ARGMAX};
    if (sysctl(mib_max, 2, &argmax, &sz, NULL, 0) != 0 || argmax <= 0)
        return;
    char *buf = malloc((size_t)argmax);
    if (!buf)
        return;
    size_t len = (size_t)argmax;
    if (sysctl(mib, 3, buf, &len, NULL, 0) != 0 || len < sizeof(int)) {
        free(buf);
        return;
    }
    int argc;
    memcpy(&argc, buf, sizeof argc);
    size_t off = sizeof(int);
    while (off < len && buf[off] != '\0') /* exec path */
        off++;
    while (off < len && buf[off] == '\0')
        off++;
    size_t o = 0;
    for (int a = 0; a < argc && off < len; a++) {
        size_t start = off;
        while (off < len && buf[off] != '\0')
            off++;
        size_t alen = off - start;
        if (o && o + 1 < sizeof p->cmdline)
            p->cmdline[o++] = ' ';
        if (o + alen >= sizeof p->cmdline)
            alen = sizeof p->cmdline - 1 - o;
        memcpy(p->cmdline + o, buf + start, alen);
        o += alen;
        off++;
        if (o + 1 >= sizeof p->cmdline)
            break;
    }
    p->cmdline[o] = '\0';
    free(buf);
}

static void read_memory(int32_t pid, og_proc *p)
{
    struct rusage_info_v4 ri;
    if (proc_pid_rusage(pid, RUSAGE_INFO_V4, (rusage_info_t *)&ri) == 0) {
        p->footprint_bytes = ri.ri_phys_footprint;
        p->footprint_kind = OG_MEM_PHYS_FOOTPRINT;
        p->rss_bytes = ri.ri_resident_size;
    }
    /* Otherwise (another user's process without root) the footprint stays
     * unknown: PROC_PIDTASKINFO has the same CHECK_SAME_USER rule. */
}

static int read_one(int32_t pid, og_proc *p, unsigned flags)
{
    memset(p, 0, sizeof *p);
    if (!read_bsdinfo(pid, p))
        return 0;
    if (flags & OG_PROCS_CMDLINE)
        read_cmdline(pid, p);
    if (flags & (OG_PROCS_FOOTPRINT | OG_PROCS_RSS))
        read_memory(pid, p); /* proc_pid_rusage is cheap: same read for both */
    return 1;
}

og_status og_procs_list(og_proc_list *out, unsigned flags, og_error *err)
{
    memset(out, 0, sizeof *out);
    int n = proc_listallpids(NULL, 0);
    if (n <= 0)
        return og_error_set(err, OG_ERR_IO, "proc_listallpids: %s", strerror(errno));
    size_t cap = (size_t)n + 64;
    int *pids = calloc(cap, sizeof(int));
    if (!pids)
        return og_error_set(err, OG_ERR_NOMEM, "proc_listallpids: out of memory");
    n = proc_listallpids(pids, (int)(cap * sizeof(int)));
    if (n <= 0) {
        free(pids);
        return og_error_set(err, OG_ERR_IO, "proc_listallpids: %s", strerror(errno));
    }
    if ((size_t)n > cap)
        n = (int)cap;
    for (int i = 0; i < n; i++) {
        og_proc p;
        if (pids[i] <= 0 || !read_one(pids[i], &p, flags))
            continue;
        if (og_proc_list_push(out, &p) != 0) {
            free(pids);
            og_proc_list_free(out);
            return og_error_set(err, OG_ERR_NOMEM, "listing processes: out of memory");
        }
    }
    free(pids);
    if (out->n == 0)
        return og_error_set(err, OG_ERR_IO, "no process could be read");
    return OG_OK;
}

og_status og_procs_list_at(const char *proc_root, og_proc_list *out, unsigned flags, og_error *err)
{
    (void)proc_root;
    (void)flags;
    memset(out, 0, sizeof *out);
    return og_error_set(err, OG_ERR_UNSUPPORTED, "a /proc tree reader is Linux only");
}

og_status og_proc_read(int32_t pid, og_proc *p, unsigned flags, og_error *err)
{
    if (pid <= 0)
        return og_error_set(err, OG_ERR_INVALID, "pid %d is not a process id", (int)pid);
    if (!read_one(pid, p, flags))
        return og_error_set(err, OG_ERR_NOT_FOUND, "pid %d: no such process", (int)pid);
    return OG_OK;
}

int og_platform_signal_verified(int32_t pid, int32_t expected_ppid, uint64_t expected_start,
                                int sig)
{
    og_proc now;
    if (!read_one(pid, &now, 0) || now.start_time == 0) /* 0: not ours to verify */
        return 0;
    if (now.start_time != expected_start || (expected_ppid >= 0 && now.ppid != expected_ppid))
        return 0;
    if (kill(pid, sig) == 0)
        return 1;
    return errno == ESRCH ? 0 : -1;
}

og_status og_procs_become_subreaper(og_error *err)
{
    return og_error_set(err, OG_ERR_UNSUPPORTED, "macOS has no child subreaper");
}

og_status og_proc_die_with_parent(int32_t parent_pid, og_error *err)
{
    (void)parent_pid;
    return err ? og_error_set(err, OG_ERR_UNSUPPORTED, "macOS has no parent-death signal")
               : OG_ERR_UNSUPPORTED;
}

og_os og_platform_os(void)
{
    return OG_OS_MACOS;
}

og_status og_proc_tree_pids(int32_t root_pid, int include_root, int32_t *pids, uint32_t cap,
                            uint32_t *n, og_error *err)
{
    *n = 0;
    if (cap == 0 || !pids)
        return og_error_set(err, OG_ERR_INVALID, "tree pids: no room");
    if (include_root) {
        pids[0] = root_pid;
        *n = 1;
    }
    int buf[1024];
    int32_t parent = root_pid;
    uint32_t k = include_root ? 1 : 0;
    for (;;) {
        /* proc_listchildpids returns a count of pids (libproc.c divides by sizeof(int)). */
        int got = proc_listchildpids(parent, buf, (int)sizeof buf);
        for (int i = 0; i < got && i < 1024; i++) {
            if (buf[i] <= 0)
                continue;
            if (*n < cap)
                pids[*n] = buf[i];
            (*n)++;
        }
        if (k >= *n || k >= cap)
            break;
        parent = pids[k++];
    }
    return OG_OK;
}
