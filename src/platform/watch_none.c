/* System memory on a platform without a reader. */
#include <string.h>

#include "oomguard/watch.h"

og_status og_sysmem_read(og_sysmem *m, og_error *err)
{
    memset(m, 0, sizeof *m);
    return og_error_set(err, OG_ERR_UNSUPPORTED, "reading system memory is not supported here");
}

og_status og_sysmem_read_at(const char *proc_root, const char *cgroup_dir, og_sysmem *m,
                            og_error *err)
{
    (void)proc_root;
    (void)cgroup_dir;
    return og_sysmem_read(m, err);
}
