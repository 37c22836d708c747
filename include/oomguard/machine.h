/* oomguard — the machine: what it has, what it can give a model.
 *
 * og_machine_probe() reads this machine (one file per platform behind this
 * header: src/platform/probe_linux.c, probe_darwin.c, probe_none.c). A
 * source that cannot be read is recorded as unknown with the reason in
 * sources[]; the probe itself fails only when nothing at all can be read.
 * Snapshots can be saved to JSON and loaded back, and built-in presets
 * describe machines that are not this one (Apple Silicon line-up, GPUs).
 *
 * Everything computed from raw readings (page counts to bytes, the default
 * wired limit, reclaimable memory, the budget) is a portable pure function
 * of an og_machine, tested on Linux with recorded readings.
 */
#ifndef OOMGUARD_MACHINE_H
#define OOMGUARD_MACHINE_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_MACHINE_SCHEMA_VERSION 1
#define OG_MAX_GPUS 16
#define OG_MAX_SOURCES 24

typedef enum og_os { OG_OS_UNKNOWN = 0, OG_OS_MACOS, OG_OS_LINUX } og_os;

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

/* Where a reading came from and whether it could be read. */
typedef struct og_source_status {
    char name[32];    /* "meminfo", "psi", "cgroup", "nvml", "amdgpu", "host_statistics64", ... */
    int ok;           /* 1 = read; 0 = unknown */
    char reason[160]; /* why not ("no NVIDIA driver (libnvidia-ml.so.1 not found)") */
} og_source_status;

typedef struct og_gpu_proc {
    int32_t pid;
    uint64_t bytes;
} og_gpu_proc;

typedef struct og_gpu {
    og_gpu_vendor vendor;
    char name[128];
    int unified;          /* 1 = shares system memory (Apple, DGX Spark, APUs) */
    int mem_known;        /* total/used are real readings */
    uint64_t total_bytes; /* VRAM (discrete) or the GPU pool (unified) */
    uint64_t used_bytes;
    /* AMD */
    uint64_t vram_total_bytes, vram_used_bytes;
    uint64_t gtt_total_bytes, gtt_used_bytes;
    /* per-process use where the platform tells (NVML, DRM fdinfo) */
    uint32_t n_procs;
    og_gpu_proc procs[64];
} og_gpu;

typedef struct og_machine {
    uint32_t schema_version;
    og_os os;
    char os_version[64];
    char cpu_name[128];
    uint32_t cpu_cores;
    char preset[64]; /* preset name when this is a hypothetical machine, else "" */

    uint64_t ram_bytes;  /* physical memory (hw.memsize / MemTotal) */
    uint64_t page_size;

    /* macOS (Apple Silicon) raw readings */
    int apple_silicon;
    char chip[64];      /* "Apple M4 Max" */
    uint32_t gpu_cores;
    uint64_t pages_free, pages_active, pages_inactive, pages_speculative, pages_wired,
        pages_purgeable, pages_compressed, pages_file_backed;
    uint32_t wired_limit_mb;     /* iogpu.wired_limit_mb as read; 0 = default */
    int wired_limit_known;
    uint64_t metal_recommended_working_set_bytes; /* 0 = unknown */
    uint64_t metal_max_buffer_bytes;              /* 0 = unknown */
    uint64_t gpu_in_use_bytes;                    /* IOKit "In use system memory"; 0 = unknown */
    uint32_t macos_major;                         /* 14, 15, 26 ... */

    /* Linux raw readings (bytes) */
    uint64_t mem_available_bytes;
    uint64_t mem_free_bytes;
    uint64_t cached_bytes;
    double psi_some_avg10, psi_full_avg10; /* percent */
    int psi_known;
    uint64_t cgroup_limit_bytes; /* 0 = no limit ("max") */
    uint64_t cgroup_usage_bytes;
    int cgroup_known;

    /* both */
    uint64_t swap_total_bytes, swap_used_bytes;
    og_pressure pressure;
    uint64_t swapouts; /* cumulative pages swapped out (vm.stat / pswpout), for rates */

    uint32_t n_gpus;
    og_gpu gpus[OG_MAX_GPUS];

    uint32_t n_sources;
    og_source_status sources[OG_MAX_SOURCES];
} og_machine;

/* What a plan may use on this machine. */
typedef struct og_budget {
    int unified;               /* GPU and CPU share one pool */
    int has_gpu;
    uint64_t gpu_bytes;        /* usable by model buffers on the GPU (after margin) */
    uint64_t gpu_total_bytes;  /* the whole GPU pool (wired limit, or VRAM) */
    uint64_t host_bytes;       /* usable host RAM without swapping (after margin) */
    uint64_t reclaimable_bytes; /* free + reclaimable now (inactive, purgeable, cache) */
    uint64_t margin_bytes;     /* safety margin kept back */
    uint64_t wired_limit_bytes; /* macOS: effective GPU wired limit */
    int wired_limit_is_default;
    char basis[256];           /* one sentence: how the numbers were derived */
} og_budget;

/* Probe this machine. Fills m; returns OG_OK unless nothing can be read. */
OG_API og_status og_machine_probe(og_machine *m, og_error *err);

/* The budget for a plan: a pure function of the snapshot. */
OG_API void og_machine_budget(const og_machine *m, og_budget *b);

/* macOS default GPU wired limit for this RAM size (what iogpu.wired_limit_mb = 0 means). */
OG_API uint64_t og_default_wired_limit_bytes(uint64_t ram_bytes, uint32_t macos_major);
/* Recommended iogpu.wired_limit_mb for this RAM size (~75 %, keeping a safe floor). */
OG_API uint32_t og_recommended_wired_limit_mb(uint64_t ram_bytes);

/* Snapshots: JSON text in and out (docs/SNAPSHOT.md). to_json returns a
 * malloc'd string (free()); from_json rejects malformed snapshots naming the key. */
OG_API char *og_machine_to_json(const og_machine *m);
OG_API og_status og_machine_from_json(const char *json, size_t len, const char *name,
                                      og_machine *m, og_error *err);

/* Built-in presets ("m4-pro-48gb", "rtx-4090", ...). */
OG_API og_status og_machine_preset(const char *name, og_machine *m, og_error *err);
OG_API uint32_t og_machine_preset_count(void);
OG_API const char *og_machine_preset_name(uint32_t i);

/* Resolve what a user passed to --machine: a preset name or a snapshot file. */
OG_API og_status og_machine_load(const char *name_or_path, og_machine *m, og_error *err);

#ifdef __cplusplus
}
#endif
#endif
