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

og_os og_platform_os(void)
{
    return OG_OS_UNKNOWN;
}
