/* Internal to the machine probe: shared by src/machine*.c, src/presets.c and
 * src/platform/{probe,nvml}_*.c. Not installed. */
#ifndef OG_MACHINE_INTERNAL_H
#define OG_MACHINE_INTERNAL_H

#include "oomguard/machine.h"

/* Record one source's outcome in m->sources (ok = 1: read; 0: unknown and
 * why). A source recorded twice keeps the last outcome. Silently drops
 * entries beyond OG_MAX_SOURCES. */
void og_machine_source(og_machine *m, const char *name, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Linux probe against a root folder ("/" for this machine, a fixture tree in
 * tests): reads ROOT/proc/... and ROOT/sys/.... pid is whose cgroup to read
 * ("self" on a live machine). NVML is not touched (see og_probe_nvml). */
og_status og_probe_linux_root(const char *root, og_machine *m, og_error *err);

/* NVIDIA GPUs through NVML opened with dlopen (src/platform/nvml_linux.c).
 * Appends GPUs to m and records the "nvml" source. */
void og_probe_nvml(og_machine *m);

/* A unified NVIDIA part (DGX Spark / GB10) reports memory NOT_SUPPORTED:
 * its pool is system memory. Called after meminfo is known. */
void og_machine_unified_fallback(og_machine *m);

/* macOS: bytes the system can hand out without swapping, from the raw
 * host_statistics64(HOST_VM_INFO64) counts as the kernel gives them:
 * free_count already includes the speculative pages (xnu
 * osfmk/mach/vm_statistics.h: "speculative pages are already accounted for
 * in free_count"), so (free_count + inactive + purgeable) x page_size, capped
 * at ram_bytes when that is known (0: no cap). Used by the machine probe
 * (og_machine_reclaimable_bytes) and the watch reader (og_sysmem_read). */
uint64_t og_darwin_avail_bytes(uint64_t free_count, uint64_t inactive_count,
                               uint64_t purgeable_count, uint64_t page_size, uint64_t ram_bytes);

#endif
