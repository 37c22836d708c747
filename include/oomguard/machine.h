/* oomguard — the machine: what it has, what it can give a model.
 *
 * og_machine_probe() reads this machine (one file per platform behind this
 * header: src/platform/probe_linux.c, probe_darwin.c, probe_none.c). A
 * source that cannot be read is recorded as unknown with the reason in
 * sources[]; the probe itself fails only when nothing at all can be read.
 * Snapshots can be saved to JSON and loaded back (docs/SNAPSHOT.md), and
 * built-in presets describe machines that are not this one (Apple Silicon
 * line-up, GPUs).
 *
 * Everything computed from raw readings (page counts to bytes, the default
 * wired limit, reclaimable memory, the budget) is a portable pure function
 * of an og_machine, tested on Linux with recorded readings (docs/MACHINE.md).
 *
 * og_machine is a plain value (about 40 KiB, no pointers): copy it, keep it
 * on the stack or in a struct; nothing to free.
 */
#ifndef OOMGUARD_MACHINE_H
#define OOMGUARD_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_MACHINE_SCHEMA_VERSION 1
#define OG_MAX_GPUS 16
#define OG_MAX_SOURCES 24
#define OG_MAX_GPU_PROCS 64

typedef enum og_os { OG_OS_UNKNOWN = 0, OG_OS_MACOS, OG_OS_LINUX } og_os;

OG_API const char *og_os_name(og_os os); /* "macos", "linux", "unknown" */

typedef enum og_pressure {
    OG_PRESSURE_UNKNOWN = 0,
    OG_PRESSURE_NORMAL,
    OG_PRESSURE_WARN,
    OG_PRESSURE_CRITICAL
} og_pressure;

OG_API const char *og_pressure_name(og_pressure p); /* "normal", "warn", "critical", "unknown" */

typedef enum og_gpu_vendor {
    OG_GPU_NONE = 0,
    OG_GPU_APPLE,
    OG_GPU_NVIDIA,
    OG_GPU_AMD
} og_gpu_vendor;

OG_API const char *og_gpu_vendor_name(og_gpu_vendor v); /* "apple", "nvidia", "amd", "none" */

/* Where a reading came from and whether it could be read. */
typedef struct og_source_status {
    char name[32];    /* "meminfo", "psi", "cgroup", "nvml", "amdgpu", "host_statistics64", ... */
    int ok;           /* 1 = read; 0 = unknown */
    char reason[160]; /* why not ("no NVIDIA driver (libnvidia-ml.so.1 not found)"), or "" */
} og_source_status;

typedef struct og_gpu_proc {
    int32_t pid;
    uint64_t bytes; /* GPU memory held by this process on this device */
} og_gpu_proc;

typedef struct og_gpu {
    og_gpu_vendor vendor;
    char name[128];
    char pci_bus_id[32];  /* "0000:01:00.0" when known */
    int unified;          /* 1 = shares system memory (Apple, DGX Spark, APUs) */
    int mem_known;        /* total/used are real readings (or, unified, derived: see below) */
    uint64_t total_bytes; /* VRAM (discrete) or the GPU pool (unified: GTT, system memory) */
    uint64_t used_bytes;
    /* AMD (amdgpu sysfs) */
    uint64_t vram_total_bytes, vram_used_bytes;
    uint64_t gtt_total_bytes, gtt_used_bytes;
    /* Vulkan: the largest single buffer the driver creates (maxBufferSize with
     * VK_KHR_maintenance4, else maxMemoryAllocationSize; ggml-vulkan.cpp
     * ggml_vk_create_buffer); 0 = not read (og_vk_max_alloc_default). */
    uint64_t vk_max_alloc_bytes;
    /* per-process use where the platform tells (NVML, DRM fdinfo) */
    int procs_known;
    uint32_t n_procs;
    og_gpu_proc procs[OG_MAX_GPU_PROCS];
} og_gpu;

typedef struct og_machine {
    uint32_t schema_version;
    og_os os;
    char os_version[64];
    char cpu_name[128];
    uint32_t cpu_cores;
    char preset[64]; /* preset name when this is a hypothetical machine, else "" */
    char hostname[64];

    uint64_t ram_bytes; /* physical memory (hw.memsize / MemTotal) */
    uint64_t page_size; /* bytes per VM page (16384 on Apple Silicon, 4096 on x86-64 Linux) */

    /* macOS (Apple Silicon) raw readings. Page counts as vm_stat prints them:
     * pages_free excludes speculative pages (vm_stat "Pages free" =
     * free_count - speculative_count); pages_compressed is the compressor's
     * occupancy ("Pages occupied by compressor"). */
    int apple_silicon;
    char chip[64]; /* "Apple M4 Max" */
    uint32_t gpu_cores;
    int pages_known;
    uint64_t pages_free, pages_active, pages_inactive, pages_speculative, pages_wired,
        pages_purgeable, pages_compressed, pages_file_backed;
    uint32_t wired_limit_mb; /* iogpu.wired_limit_mb as read; 0 = default */
    int wired_limit_known;
    uint64_t metal_recommended_working_set_bytes; /* 0 = unknown */
    uint64_t metal_max_buffer_bytes;              /* 0 = unknown */
    int metal_derived;         /* 1 = the two Metal values are computed from RAM and the wired
                                  limit, not read from Metal (the darwin probe, presets) */
    uint64_t gpu_in_use_bytes; /* IOKit "In use system memory" (all processes); 0 = unknown */
    int gpu_in_use_known;
    uint32_t macos_major; /* 13, 14, 15, 26 ...; 0 = unknown */

    /* Linux raw readings (bytes) */
    int meminfo_known;
    uint64_t mem_available_bytes;
    uint64_t mem_free_bytes;
    uint64_t cached_bytes;
    uint64_t buffers_bytes;
    double psi_some_avg10, psi_full_avg10; /* percent of time stalled, last 10 s */
    int psi_known;
    char cgroup_path[128];       /* "/user.slice/..." ; "/" inside a container namespace */
    uint64_t cgroup_limit_bytes; /* memory.max; 0 = no limit ("max") */
    uint64_t cgroup_high_bytes;  /* memory.high; 0 = no limit */
    uint64_t cgroup_usage_bytes; /* memory.current */
    int cgroup_known;
    uint64_t ttm_pages_limit; /* /sys/module/ttm/parameters/pages_limit (pages); 0 = unknown */

    /* both */
    uint64_t swap_total_bytes, swap_used_bytes;
    og_pressure pressure;
    uint64_t swapouts; /* cumulative pages swapped out (vm_statistics64.swapouts / pswpout) */

    uint32_t n_gpus;
    og_gpu gpus[OG_MAX_GPUS];

    uint32_t n_sources;
    og_source_status sources[OG_MAX_SOURCES];
} og_machine;

/* Zero m and set schema_version. */
OG_API void og_machine_init(og_machine *m);

/* What a plan may use on one GPU. */
typedef struct og_budget_device {
    char name[128];
    int unified;
    uint64_t total_bytes;  /* the device's whole pool */
    uint64_t free_bytes;   /* not held by anyone now (before the margin) */
    uint64_t usable_bytes; /* free_bytes - margin, bounded as described in docs/MACHINE.md */
} og_budget_device;

/* What a plan may use on this machine. */
typedef struct og_budget {
    int unified; /* GPU and CPU share one pool: a plan's GPU and host bytes add up */
    int has_gpu;
    uint64_t gpu_bytes;         /* usable by model buffers on the GPU(s) (after margins) */
    uint64_t gpu_total_bytes;   /* the whole GPU pool (wired limit, VRAM, GTT) */
    uint64_t host_bytes;        /* usable host RAM without swapping (after margin) */
    uint64_t reclaimable_bytes; /* free + reclaimable now (macOS: free, speculative, inactive,
                                   purgeable pages; Linux: MemAvailable, bounded by the cgroup) */
    uint64_t margin_bytes;      /* safety margin kept back from each pool */
    uint64_t wired_limit_bytes; /* macOS: effective GPU wired limit */
    int wired_limit_is_default;
    uint64_t others_gpu_bytes;   /* GPU memory other processes hold now (subtracted) */
    uint64_t vk_max_alloc_bytes; /* Vulkan: largest single buffer of device 0 (0 = no limit) */
    uint32_t n_devices;
    og_budget_device devices[OG_MAX_GPUS];
    char basis[384]; /* one or two sentences: how the numbers were derived */
} og_budget;

/* Safety margin per pool: llama.cpp --fit keeps 1024 MiB free per device
 * (common/common.h fit_params_target, llama.cpp 2026-09-12). */
#define OG_BUDGET_MARGIN_BYTES (1024ull * 1024 * 1024)

/* Typical Vulkan single-buffer limit of a vendor's usual driver when the
 * snapshot has none (docs/MACHINE.md): AMD 4 GiB (Mesa RADV; AMDVLK and AMD's
 * own Windows/Linux driver report 2 GiB: set vk_max_alloc_bytes), Intel 4 GiB,
 * NVIDIA 0 (maxBufferSize is not a practical limit), others 0. */
OG_API uint64_t og_vk_max_alloc_default(og_gpu_vendor v);

/* Probe this machine. Fills m; returns OG_OK unless nothing can be read. */
OG_API og_status og_machine_probe(og_machine *m, og_error *err);

/* The budget for a plan: a pure function of the snapshot (docs/MACHINE.md). */
OG_API void og_machine_budget(const og_machine *m, og_budget *b);

/* macOS: bytes the system can hand out without swapping: (free + speculative
 * + inactive + purgeable) pages x page_size; 0 when page counts are unknown. */
OG_API uint64_t og_machine_reclaimable_bytes(const og_machine *m);

/* macOS default GPU wired limit for this RAM size (what iogpu.wired_limit_mb = 0
 * means; equal to Metal's recommendedMaxWorkingSetSize on a stock machine).
 * macos_major 0 = unknown (treated as macOS 14/15). */
OG_API uint64_t og_default_wired_limit_bytes(uint64_t ram_bytes, uint32_t macos_major);
/* The effective wired limit: wired_limit_mb x MiB when set, else the default. */
OG_API uint64_t og_effective_wired_limit_bytes(uint64_t ram_bytes, uint32_t wired_limit_mb,
                                               uint32_t macos_major);
/* Metal maxBufferLength estimate when it cannot be read (about 3/4 of the
 * working set; docs/MACHINE.md says where this comes from). */
OG_API uint64_t og_metal_max_buffer_estimate(uint64_t working_set_bytes);
/* Recommended iogpu.wired_limit_mb for this RAM size: min(75 % of RAM,
 * RAM - 8 GiB), never below the default limit. */
OG_API uint32_t og_recommended_wired_limit_mb(uint64_t ram_bytes);

/* Snapshots: JSON text in and out (docs/SNAPSHOT.md). to_json returns a
 * malloc'd string (free()), NULL on allocation failure. from_json rejects
 * malformed snapshots (wrong type, negative or absurd size, unknown
 * schema_version) with OG_ERR_INVALID naming `name` and the key. */
OG_API char *og_machine_to_json(const og_machine *m);
OG_API og_status og_machine_from_json(const char *json, size_t len, const char *name, og_machine *m,
                                      og_error *err);

/* Built-in presets ("m4-pro-48gb", "rtx-4090", ...): a fresh machine with
 * nothing in use and the macOS default wired limit. OG_ERR_NOT_FOUND for an
 * unknown name. */
OG_API og_status og_machine_preset(const char *name, og_machine *m, og_error *err);
OG_API uint32_t og_machine_preset_count(void);
OG_API const char *og_machine_preset_name(uint32_t i);
OG_API const char *og_machine_preset_summary(uint32_t i); /* "Apple M4 Pro, 48 GB, 20 GPU cores" */

/* Resolve what a user passed to --machine: a preset name, or a snapshot file
 * (a path, or anything ending in .json). */
OG_API og_status og_machine_load(const char *name_or_path, og_machine *m, og_error *err);

#ifdef __cplusplus
}
#endif
#endif
