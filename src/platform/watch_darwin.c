/* System memory on macOS: host_statistics64(HOST_VM_INFO64), vm.swapusage,
 * kern.memorystatus_vm_pressure_level (1 normal, 2 warn, 4 critical; see
 * shared/reference/os-interfaces.md A5), hw.memsize. Raw readings; the one
 * sum (available bytes) is og_darwin_avail_bytes in src/machine.c, tested on
 * Linux. Compiled and linked for arm64 and x86_64 by scripts/macos-build; not
 * run on a Mac (docs/verification/macos-calls.md says what was checked). */
#include <mach/mach.h>
#include <string.h>
#include <sys/sysctl.h>

#include "oomguard/watch.h"

#include "machine_internal.h"

og_status og_sysmem_read(og_sysmem *m, og_error *err)
{
    memset(m, 0, sizeof *m);
    uint64_t memsize = 0;
    size_t sz = sizeof memsize;
    if (sysctlbyname("hw.memsize", &memsize, &sz, NULL, 0) == 0)
        m->total_bytes = memsize;
    vm_size_t page = 0;
    if (host_page_size(mach_host_self(), &page) != KERN_SUCCESS || page == 0)
        page = 16384;
    m->page_size = (uint64_t)page;
    vm_statistics64_data_t vs;
    mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
    if (host_statistics64(mach_host_self(), HOST_VM_INFO64, (host_info64_t)&vs, &count) ==
        KERN_SUCCESS) {
        /* free_count already holds the speculative pages (og_darwin_avail_bytes). */
        m->avail_bytes = og_darwin_avail_bytes(vs.free_count, vs.inactive_count, vs.purgeable_count,
                                               m->page_size, m->total_bytes);
        m->avail_known = 1;
        m->swapouts = (uint64_t)vs.swapouts;
        m->swapouts_known = 1;
    }
    struct xsw_usage sw;
    sz = sizeof sw;
    if (sysctlbyname("vm.swapusage", &sw, &sz, NULL, 0) == 0) {
        m->swap_total_bytes = sw.xsu_total;
        m->swap_used_bytes = sw.xsu_used;
        m->swap_known = 1;
    }
    int level = 0;
    sz = sizeof level;
    if (sysctlbyname("kern.memorystatus_vm_pressure_level", &level, &sz, NULL, 0) == 0)
        m->pressure = level >= 4   ? OG_PRESSURE_CRITICAL
                      : level >= 2 ? OG_PRESSURE_WARN
                      : level == 1 ? OG_PRESSURE_NORMAL
                                   : OG_PRESSURE_UNKNOWN;
    if (!m->avail_known && !m->total_bytes)
        return og_error_set(err, OG_ERR_IO, "host_statistics64 and hw.memsize failed");
    return OG_OK;
}

og_status og_sysmem_read_at(const char *proc_root, const char *cgroup_dir, og_sysmem *m,
                            og_error *err)
{
    (void)proc_root;
    (void)cgroup_dir;
    memset(m, 0, sizeof *m);
    return og_error_set(err, OG_ERR_UNSUPPORTED, "a /proc tree reader is Linux only");
}
