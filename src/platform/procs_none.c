/* Processes on a platform without a reader: everything is unsupported. */
#include "procs_platform.h"

#include <errno.h>

og_status og_procs_list_at(const char *proc_root, og_proc_list *out, unsigned flags, og_error *err)
{
    (void)proc_root;
    (void)flags;
    out->procs = NULL;
    out->n = out->cap = 0;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "listing processes is not supported here");
}

og_status og_procs_list(og_proc_list *out, unsigned flags, og_error *err)
{
    return og_procs_list_at("", out, flags, err);
}

og_status og_proc_read(int32_t pid, og_proc *p, unsigned flags, og_error *err)
{
    (void)pid;
    (void)p;
    (void)flags;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "reading processes is not supported here");
}

int og_platform_signal_verified(int32_t pid, int32_t expected_ppid, uint64_t expected_start,
                                int sig)
{
    (void)pid;
    (void)expected_ppid;
    (void)expected_start;
    (void)sig;
    errno = ENOSYS;
    return -1;
}

og_status og_procs_become_subreaper(og_error *err)
{
    return og_error_set(err, OG_ERR_UNSUPPORTED, "no subreaper on this platform");
}

og_status og_proc_die_with_parent(int32_t parent_pid, og_error *err)
{
    (void)parent_pid;
    return err ? og_error_set(err, OG_ERR_UNSUPPORTED, "no parent-death signal on this platform")
               : OG_ERR_UNSUPPORTED;
}

og_os og_platform_os(void)
{
    return OG_OS_UNKNOWN;
}

og_status og_proc_tree_pids(int32_t root_pid, int include_root, int32_t *pids, uint32_t cap,
                            uint32_t *n, og_error *err)
{
    (void)root_pid;
    (void)include_root;
    (void)pids;
    (void)cap;
    *n = 0;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "no process tree reader here");
}
