/* Processes on Linux: /proc/PID/{stat,cmdline,smaps_rollup,statm}.
 *
 * Footprint is PSS from smaps_rollup (Linux >= 4.14; readable for the
 * caller's own processes, other users' need CAP_SYS_PTRACE), else RSS from
 * statm. Documentation: Documentation/filesystems/proc.rst. */
#include "procs_platform.h"
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "og_internal.h"

/* /proc/PID/stat: "pid (comm) state ppid ... starttime(22) ...". comm may
 * hold spaces and ')' so the last ')' ends it. */
static int parse_stat(const char *buf, og_proc *p)
{
    const char *open_paren = strchr(buf, '(');
    const char *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return 0;
    size_t nlen = (size_t)(close_paren - open_paren - 1);
    if (nlen >= sizeof p->name)
        nlen = sizeof p->name - 1;
    memcpy(p->name, open_paren + 1, nlen);
    p->name[nlen] = '\0';
    const char *s = close_paren + 1;
    /* field 3 is the state letter; fields 4.. are numbers (some negative). */
    while (*s == ' ')
        s++;
    if (!*s)
        return 0;
    s++; /* state */
    for (int field = 4; field <= 22; field++) {
        while (*s == ' ')
            s++;
        int neg = 0;
        if (*s == '-') {
            neg = 1;
            s++;
        }
        uint64_t v;
        if (!og_procfs_u64(&s, &v))
            return 0;
        if (field == 4)
            p->ppid = neg ? -1 : (int32_t)v;
        else if (field == 22)
            p->start_time = v;
    }
    return 1;
}

/* "Key:   1234 kB" → bytes. */
static int kb_field(const char *buf, const char *key, uint64_t *bytes)
{
    size_t kl = strlen(key);
    for (const char *line = buf; line && *line;) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            const char *s = line + kl + 1;
            uint64_t kb;
            if (!og_procfs_u64(&s, &kb) || kb > UINT64_MAX / 1024)
                return 0;
            *bytes = kb * 1024;
            return 1;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return 0;
}

static void read_cmdline(const char *dir, og_proc *p)
{
    char path[512], buf[OG_PROC_CMDLINE_MAX];
    snprintf(path, sizeof path, "%s/cmdline", dir);
    ssize_t n = og_procfs_read(path, buf, sizeof buf);
    if (n <= 0) {
        p->cmdline[0] = '\0';
        return;
    }
    /* NUL-separated arguments → spaces; drop the trailing NUL. */
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0' || buf[i] == '\n')
            buf[i] = ' ';
    buf[n] = '\0';
    og_strlcpy(p->cmdline, buf, sizeof p->cmdline);
}

static void read_statm(const char *dir, og_proc *p, uint64_t page_size);

static void read_memory(const char *dir, og_proc *p, uint64_t page_size)
{
    char path[512], buf[4096];
    snprintf(path, sizeof path, "%s/smaps_rollup", dir);
    if (og_procfs_read(path, buf, sizeof buf) > 0) {
        uint64_t pss = 0, rss = 0, anon = 0;
        int have_pss = kb_field(buf, "Pss", &pss);
        if (kb_field(buf, "Rss", &rss))
            p->rss_bytes = rss;
        if (kb_field(buf, "Anonymous", &anon))
            p->anon_bytes = anon;
        if (have_pss) {
            p->footprint_bytes = pss;
            p->footprint_kind = OG_MEM_PSS;
            return;
        }
    }
    read_statm(dir, p, page_size);
}

/* statm: "size resident shared text lib data dt" in pages; O(1) for the
 * kernel (mm counters), unlike smaps_rollup. */
static void read_statm(const char *dir, og_proc *p, uint64_t page_size)
{
    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/statm", dir);
    if (og_procfs_read(path, buf, sizeof buf) > 0) {
        const char *s = buf;
        uint64_t size, resident, shared = 0;
        if (og_procfs_u64(&s, &size) && og_procfs_u64(&s, &resident) &&
            resident <= UINT64_MAX / page_size) {
            p->rss_bytes = resident * page_size;
            /* shared = file-backed + shmem pages (proc(5) statm) */
            if (og_procfs_u64(&s, &shared) && shared <= resident)
                p->anon_bytes = (resident - shared) * page_size;
            p->footprint_bytes = p->rss_bytes;
            p->footprint_kind = OG_MEM_RSS;
        }
    }
}

static int read_one(const char *root, int32_t pid, og_proc *p, unsigned flags, uint64_t page_size)
{
    char dir[320], path[400], buf[1024];
    snprintf(dir, sizeof dir, "%s/%d", root, (int)pid);
    snprintf(path, sizeof path, "%s/stat", dir);
    memset(p, 0, sizeof *p);
    if (og_procfs_read(path, buf, sizeof buf) <= 0)
        return 0;
    p->pid = pid;
    if (!parse_stat(buf, p))
        return 0;
    if (flags & OG_PROCS_CMDLINE)
        read_cmdline(dir, p);
    if (flags & OG_PROCS_FOOTPRINT)
        read_memory(dir, p, page_size);
    else if (flags & OG_PROCS_RSS)
        read_statm(dir, p, page_size);
    return 1;
}

static uint64_t page_size_bytes(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    return ps > 0 ? (uint64_t)ps : 4096;
}

og_status og_procs_list_at(const char *proc_root, og_proc_list *out, unsigned flags, og_error *err)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(proc_root);
    if (!d)
        return og_error_set(err, OG_ERR_IO, "%s: %s", proc_root, strerror(errno));
    uint64_t ps = page_size_bytes();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        uint64_t v;
        if (!og_procfs_u64(&s, &v) || *s != '\0' || v == 0 || v > INT32_MAX)
            continue;
        og_proc p;
        if (!read_one(proc_root, (int32_t)v, &p, flags, ps))
            continue; /* exited while listing, or unreadable */
        if (og_proc_list_push(out, &p) != 0) {
            closedir(d);
            og_proc_list_free(out);
            return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory listing processes",
                                proc_root);
        }
    }
    closedir(d);
    if (out->n == 0)
        return og_error_set(err, OG_ERR_IO, "%s: no process could be read", proc_root);
    return OG_OK;
}

og_status og_procs_list(og_proc_list *out, unsigned flags, og_error *err)
{
    return og_procs_list_at("/proc", out, flags, err);
}

og_status og_proc_read(int32_t pid, og_proc *p, unsigned flags, og_error *err)
{
    if (pid <= 0)
        return og_error_set(err, OG_ERR_INVALID, "pid %d is not a process id", (int)pid);
    if (!read_one("/proc", pid, p, flags, page_size_bytes()))
        return og_error_set(err, OG_ERR_NOT_FOUND, "/proc/%d: no such process", (int)pid);
    return OG_OK;
}

static int matches(int32_t pid, int32_t expected_ppid, uint64_t expected_start)
{
    og_proc now;
    if (!read_one("/proc", pid, &now, 0, 4096))
        return 0;
    if (now.start_time != expected_start)
        return 0;
    if (expected_ppid >= 0 && now.ppid != expected_ppid)
        return 0;
    return 1;
}

int og_platform_signal_verified(int32_t pid, int32_t expected_ppid, uint64_t expected_start,
                                int sig)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
    /* Pin the process first, then verify: a pidfd keeps naming the process it
     * was opened on, so once it matches, the signal cannot reach a newcomer
     * that reused the pid. */
    long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0u);
    if (fd >= 0) {
        int ok = matches(pid, expected_ppid, expected_start);
        int rc = 0;
        if (ok) {
            rc = syscall(SYS_pidfd_send_signal, (int)fd, sig, NULL, 0u) == 0 ? 1 : -1;
            if (rc < 0 && errno == ESRCH)
                rc = 0;
        }
        close((int)fd);
        return rc;
    }
    if (errno == ESRCH)
        return 0;
        /* ENOSYS (kernel < 5.3) or EPERM in a sandbox: verify, then kill. */
#endif
    if (!matches(pid, expected_ppid, expected_start))
        return 0;
    if (kill(pid, sig) == 0)
        return 1;
    return errno == ESRCH ? 0 : -1;
}

og_status og_procs_become_subreaper(og_error *err)
{
#ifdef PR_SET_CHILD_SUBREAPER
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
        return OG_OK;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "prctl(PR_SET_CHILD_SUBREAPER): %s",
                        strerror(errno));
#else
    return og_error_set(err, OG_ERR_UNSUPPORTED, "no PR_SET_CHILD_SUBREAPER on this system");
#endif
}

og_status og_proc_die_with_parent(int32_t parent_pid, og_error *err)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return err ? og_error_set(err, OG_ERR_IO, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno))
                   : OG_ERR_IO;
    /* the parent may have died before the prctl: then nothing will come */
    if (getppid() != (pid_t)parent_pid)
        return err ? og_error_set(err, OG_ERR_NOT_FOUND, "the parent (pid %d) has exited",
                                  (int)parent_pid)
                   : OG_ERR_NOT_FOUND;
    return OG_OK;
}

og_os og_platform_os(void)
{
    return OG_OS_LINUX;
}

/* Children of every thread of pid (CONFIG_PROC_CHILDREN; Linux >= 3.5). */
static int add_children(int32_t pid, int32_t *pids, uint32_t cap, uint32_t *n)
{
    char path[320], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int any = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, e->d_name);
        if (og_procfs_read(path, buf, sizeof buf) < 0)
            continue;
        any = 1;
        for (const char *s = buf; *s;) {
            uint64_t v;
            while (*s == ' ' || *s == '\n')
                s++;
            if (!og_procfs_u64(&s, &v))
                break;
            if (v > 0 && v <= INT32_MAX) {
                int dup = 0;
                for (uint32_t k = 0; k < *n && k < cap; k++)
                    dup |= pids[k] == (int32_t)v;
                if (!dup) {
                    if (*n < cap)
                        pids[*n] = (int32_t)v;
                    (*n)++;
                }
            }
        }
    }
    closedir(d);
    return any;
}

og_status og_proc_tree_pids(int32_t root_pid, int include_root, int32_t *pids, uint32_t cap,
                            uint32_t *n, og_error *err)
{
    *n = 0;
    static int has_children_file = -1;
    if (has_children_file < 0)
        has_children_file = access("/proc/self/task", R_OK) == 0 &&
                            og_procfs_read("/proc/thread-self/children", (char[8]){0}, 8) >= 0;
    if (!has_children_file)
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "/proc/PID/task/TID/children: not in this kernel");
    if (cap == 0 || !pids)
        return og_error_set(err, OG_ERR_INVALID, "tree pids: no room");
    /* pids[] doubles as the queue: members are appended, then expanded. */
    if (include_root) {
        pids[0] = root_pid;
        *n = 1;
    }
    add_children(root_pid, pids, cap, n);
    for (uint32_t k = include_root ? 1 : 0; k < *n && k < cap; k++)
        add_children(pids[k], pids, cap, n);
    return OG_OK;
}
