/* macOS (Apple Silicon) machine probe: raw readings only. Everything
 * computed from them (bytes, the default wired limit, reclaimable memory,
 * the budget) is in src/machine.c and tested on Linux with recorded
 * readings (tests/data/macos/). Compiled and linked for arm64 and x86_64 on
 * every test run (scripts/macos-build) but never run there, which has no Mac:
 * keep this file thin (docs/verification/macos-calls.md: what was checked). Interfaces: xnu
 * bsd/kern/kern_mib.c (hw.memsize), osfmk/mach/vm_statistics.h (vm_statistics64),
 * bsd/kern/kern_memorystatus_notify.c (kern.memorystatus_vm_pressure_level:
 * 1 normal, 2 warn, 4 critical); IOKit AGXAccelerator as macmon and nvtop
 * read it. Metal's recommendedMaxWorkingSetSize / maxBufferLength are
 * Objective-C properties, read here from plain C: MTLCreateSystemDefaultDevice
 * is a C function of Metal.framework, and the two getters are sent through
 * objc_msgSend (libobjc). When that fails they are derived from RAM and the
 * wired limit (og_default_wired_limit_bytes) and marked metal_derived. */
#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/IOKitLib.h>
#include <mach/mach.h>
#include <objc/message.h>
#include <objc/runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysctl.h>
#include <unistd.h>

#include "machine_internal.h"
#include "og_internal.h"

/* Metal.framework's C entry point; returns a retained id<MTLDevice> or NULL. */
extern void *MTLCreateSystemDefaultDevice(void);

static int read_metal(uint64_t *working_set, uint64_t *max_buffer)
{
    void *dev = MTLCreateSystemDefaultDevice();
    if (!dev)
        return 0;
    typedef uint64_t (*msg_u64)(void *, SEL);
    typedef void (*msg_void)(void *, SEL);
    msg_u64 get = (msg_u64)objc_msgSend;
    *working_set = get(dev, sel_registerName("recommendedMaxWorkingSetSize"));
    *max_buffer = get(dev, sel_registerName("maxBufferLength"));
    ((msg_void)objc_msgSend)(dev, sel_registerName("release"));
    return *working_set > 0;
}

static int sysctl_u64(const char *name, uint64_t *out)
{
    uint64_t v = 0;
    size_t len = sizeof v;
    if (sysctlbyname(name, &v, &len, NULL, 0) != 0)
        return 0;
    if (len == sizeof(uint32_t)) {
        uint32_t v32;
        memcpy(&v32, &v, sizeof v32);
        v = v32;
    }
    *out = v;
    return 1;
}

static int sysctl_str(const char *name, char *buf, size_t n)
{
    size_t len = n;
    if (sysctlbyname(name, buf, &len, NULL, 0) != 0)
        return 0;
    buf[n - 1] = '\0';
    return 1;
}

static int cf_u64(CFDictionaryRef d, const char *key, uint64_t *out)
{
    CFStringRef k = CFStringCreateWithCString(kCFAllocatorDefault, key, kCFStringEncodingUTF8);
    CFTypeRef v = k ? CFDictionaryGetValue(d, k) : NULL;
    int ok = 0;
    long long x = 0;
    if (v && CFGetTypeID(v) == CFNumberGetTypeID() &&
        CFNumberGetValue((CFNumberRef)v, kCFNumberLongLongType, &x) && x >= 0) {
        *out = (uint64_t)x;
        ok = 1;
    }
    if (k)
        CFRelease(k);
    return ok;
}

/* AGXAccelerator: "gpu-core-count" and PerformanceStatistics
 * "In use system memory" (all processes' GPU memory, bytes). */
static void probe_iokit(og_machine *m)
{
    io_iterator_t it = 0;
    if (IOServiceGetMatchingServices(kIOMainPortDefault, IOServiceMatching("AGXAccelerator"),
                                     &it) != KERN_SUCCESS) {
        og_machine_source(m, "iokit_agx", 0, "IOServiceGetMatchingServices(AGXAccelerator) failed");
        return;
    }
    io_object_t svc = IOIteratorNext(it);
    IOObjectRelease(it);
    if (!svc) {
        og_machine_source(m, "iokit_agx", 0, "no AGXAccelerator service (not Apple Silicon?)");
        return;
    }
    CFMutableDictionaryRef props = NULL;
    if (IORegistryEntryCreateCFProperties(svc, &props, kCFAllocatorDefault, 0) == KERN_SUCCESS &&
        props) {
        uint64_t cores = 0;
        if (cf_u64(props, "gpu-core-count", &cores))
            m->gpu_cores = (uint32_t)cores;
        CFStringRef ps = CFSTR("PerformanceStatistics");
        CFTypeRef stats = CFDictionaryGetValue(props, ps);
        if (stats && CFGetTypeID(stats) == CFDictionaryGetTypeID() &&
            cf_u64((CFDictionaryRef)stats, "In use system memory", &m->gpu_in_use_bytes))
            m->gpu_in_use_known = 1;
        CFRelease(props);
    }
    IOObjectRelease(svc);
    og_machine_source(m, "iokit_agx", m->gpu_in_use_known, "%s",
                      m->gpu_in_use_known ? ""
                                          : "no 'In use system memory' in PerformanceStatistics");
}

og_status og_machine_probe(og_machine *m, og_error *err)
{
    og_machine_init(m);
    m->os = OG_OS_MACOS;
    if (!sysctl_u64("hw.memsize", &m->ram_bytes) || m->ram_bytes == 0) {
        og_machine_source(m, "sysctl", 0, "hw.memsize unreadable");
        return og_error_set(err, OG_ERR_IO, "sysctl hw.memsize: cannot read the RAM size");
    }
    og_machine_source(m, "sysctl", 1, "%s", "");
    /* vm_stat counts in vm_kernel_page_size (system_cmds vm_stat.c). */
    m->page_size = (uint64_t)vm_kernel_page_size;
    char brand[128] = "";
    if (sysctl_str("machdep.cpu.brand_string", brand, sizeof brand)) {
        og_strlcpy(m->cpu_name, brand, sizeof m->cpu_name);
        if (strncmp(brand, "Apple M", 7) == 0) {
            m->apple_silicon = 1;
            og_strlcpy(m->chip, brand, sizeof m->chip);
        }
    }
    uint64_t ncpu = 0;
    if (sysctl_u64("hw.ncpu", &ncpu))
        m->cpu_cores = (uint32_t)ncpu;
    char osv[32] = "";
    if (sysctl_str("kern.osproductversion", osv, sizeof osv)) {
        snprintf(m->os_version, sizeof m->os_version, "macOS %s", osv);
        m->macos_major = (uint32_t)strtoul(osv, NULL, 10);
    }
    gethostname(m->hostname, sizeof m->hostname - 1);

    vm_statistics64_data_t vs;
    mach_msg_type_number_t cnt = HOST_VM_INFO64_COUNT;
    if (host_statistics64(mach_host_self(), HOST_VM_INFO64, (host_info64_t)&vs, &cnt) ==
        KERN_SUCCESS) {
        /* As vm_stat prints them: "Pages free" = free_count - speculative_count. */
        m->pages_free = vs.free_count > vs.speculative_count
                            ? (uint64_t)(vs.free_count - vs.speculative_count)
                            : 0;
        m->pages_active = vs.active_count;
        m->pages_inactive = vs.inactive_count;
        m->pages_speculative = vs.speculative_count;
        m->pages_wired = vs.wire_count;
        m->pages_purgeable = vs.purgeable_count;
        m->pages_compressed = vs.compressor_page_count;
        m->pages_file_backed = vs.external_page_count;
        m->swapouts = vs.swapouts;
        m->pages_known = 1;
        og_machine_source(m, "host_statistics64", 1, "%s", "");
    } else {
        og_machine_source(m, "host_statistics64", 0, "host_statistics64(HOST_VM_INFO64) failed");
    }

    struct xsw_usage sw;
    size_t swl = sizeof sw;
    if (sysctlbyname("vm.swapusage", &sw, &swl, NULL, 0) == 0) {
        m->swap_total_bytes = sw.xsu_total;
        m->swap_used_bytes = sw.xsu_used;
    }
    uint64_t lvl = 0;
    if (sysctl_u64("kern.memorystatus_vm_pressure_level", &lvl)) {
        m->pressure = lvl == 1   ? OG_PRESSURE_NORMAL
                      : lvl == 2 ? OG_PRESSURE_WARN
                      : lvl == 4 ? OG_PRESSURE_CRITICAL
                                 : OG_PRESSURE_UNKNOWN;
        og_machine_source(m, "pressure", 1, "%s", "");
    } else {
        og_machine_source(m, "pressure", 0, "kern.memorystatus_vm_pressure_level unreadable");
    }
    uint64_t wl = 0;
    if (sysctl_u64("iogpu.wired_limit_mb", &wl)) {
        m->wired_limit_mb = (uint32_t)wl;
        m->wired_limit_known = 1;
        og_machine_source(m, "iogpu", 1, "%s", "");
    } else {
        og_machine_source(m, "iogpu", 0, "iogpu.wired_limit_mb unreadable (macOS 13 or older?)");
    }
    if (m->apple_silicon)
        probe_iokit(m);
    uint64_t ws = 0, mb = 0;
    if (read_metal(&ws, &mb)) {
        m->metal_recommended_working_set_bytes = ws;
        m->metal_max_buffer_bytes = mb;
        og_machine_source(m, "metal", 1, "%s", "");
    } else {
        /* Metal reports exactly iogpu.wired_limit_mb when it is set
         * (docs/MACHINE.md); otherwise the default for this RAM size. */
        m->metal_recommended_working_set_bytes =
            og_effective_wired_limit_bytes(m->ram_bytes, m->wired_limit_mb, m->macos_major);
        m->metal_max_buffer_bytes =
            og_metal_max_buffer_estimate(m->metal_recommended_working_set_bytes);
        m->metal_derived = 1;
        og_machine_source(m, "metal", 0,
                          "MTLCreateSystemDefaultDevice returned no device: working set and max "
                          "buffer derived from RAM and the wired limit");
    }
    if (m->apple_silicon && m->n_gpus < OG_MAX_GPUS) {
        og_gpu *g = &m->gpus[m->n_gpus++];
        g->vendor = OG_GPU_APPLE;
        og_strlcpy(g->name, m->chip, sizeof g->name);
        g->unified = 1;
        g->mem_known = m->gpu_in_use_known;
        g->total_bytes = m->metal_recommended_working_set_bytes;
        g->used_bytes = m->gpu_in_use_bytes < g->total_bytes ? m->gpu_in_use_bytes : g->total_bytes;
    }
    og_error_clear(err);
    return OG_OK;
}
