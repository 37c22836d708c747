/* NVIDIA GPUs through NVML, opened at run time with dlopen so that oomguard
 * runs on machines without the driver. Declarations follow NVIDIA's nvml.h
 * (NVML 13.3.29 as vendored by NVIDIA/go-nvml gen/nvml/nvml.h); the loader
 * pattern (versioned symbol, else unversioned) follows nvtop
 * src/extract_gpuinfo_nvidia.c. Only the types this file needs are declared,
 * with the layouts of that header (LP64). */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine_internal.h"
#include "og_internal.h"

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
};

typedef struct {
    unsigned long long total, free, used;
} nvml_memory_v1;

typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvml_memory_v2;
/* nvmlMemory_v2 = sizeof(nvmlMemory_v2_t) | (2 << 24) */
#define NVML_MEMORY_V2_VERSION ((unsigned int)(sizeof(nvml_memory_v2) | (2u << 24)))

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvml_process_info_v2; /* what _v3 (and _v2) fill */

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
} nvml_process_info_v1;

#define NVML_VALUE_NOT_AVAILABLE (~0ull)

typedef nvmlReturn_t (*fn_void)(void);
typedef nvmlReturn_t (*fn_count)(unsigned int *);
typedef nvmlReturn_t (*fn_handle)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*fn_name)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*fn_mem1)(nvmlDevice_t, nvml_memory_v1 *);
typedef nvmlReturn_t (*fn_mem2)(nvmlDevice_t, nvml_memory_v2 *);
typedef nvmlReturn_t (*fn_procs)(nvmlDevice_t, unsigned int *, void *);
typedef const char *(*fn_errstr)(nvmlReturn_t);
typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvml_pci_info;
typedef nvmlReturn_t (*fn_pci)(nvmlDevice_t, nvml_pci_info *);

/* Resolve a symbol by its first available name (dlsym returns void *, and
 * POSIX guarantees it converts to a function pointer). */
static void *sym2(void *h, const char *a, const char *b)
{
    void *p = dlsym(h, a);
    if (!p && b)
        p = dlsym(h, b);
    return p;
}

#define LOAD(var, type, a, b)                                                                      \
    do {                                                                                           \
        void *p_ = sym2(h, a, b);                                                                  \
        memcpy(&var, &p_, sizeof var);                                                             \
    } while (0)

static const char *errs(fn_errstr es, nvmlReturn_t r)
{
    const char *s = es ? es(r) : NULL;
    return s ? s : "error";
}

void og_probe_nvml(og_machine *m)
{
    const char *lib = getenv("OG_NVML_LIBRARY"); /* tests and unusual installs */
    void *h = dlopen(lib && *lib ? lib : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        og_machine_source(m, "nvml", 0, "no NVIDIA driver (libnvidia-ml.so.1 not found)");
        return;
    }
    fn_void init = NULL, shutdown = NULL;
    fn_count count = NULL;
    fn_handle handle = NULL;
    fn_name name = NULL;
    fn_mem1 mem1 = NULL;
    fn_mem2 mem2 = NULL;
    fn_procs procs3 = NULL, procs1 = NULL;
    fn_errstr es = NULL;
    fn_pci pci = NULL;
    LOAD(init, fn_void, "nvmlInit_v2", "nvmlInit");
    LOAD(shutdown, fn_void, "nvmlShutdown", NULL);
    LOAD(count, fn_count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    LOAD(handle, fn_handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    LOAD(name, fn_name, "nvmlDeviceGetName", NULL);
    LOAD(mem1, fn_mem1, "nvmlDeviceGetMemoryInfo", NULL);
    LOAD(mem2, fn_mem2, "nvmlDeviceGetMemoryInfo_v2", NULL);
    LOAD(procs3, fn_procs, "nvmlDeviceGetComputeRunningProcesses_v3",
         "nvmlDeviceGetComputeRunningProcesses_v2");
    LOAD(procs1, fn_procs, "nvmlDeviceGetComputeRunningProcesses", NULL);
    LOAD(es, fn_errstr, "nvmlErrorString", NULL);
    LOAD(pci, fn_pci, "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2");
    if (!init || !count || !handle || (!mem1 && !mem2)) {
        og_machine_source(m, "nvml", 0, "libnvidia-ml.so.1 lacks nvmlInit/DeviceGetCount");
        dlclose(h);
        return;
    }
    nvmlReturn_t r = init();
    if (r != NVML_SUCCESS) {
        og_machine_source(m, "nvml", 0, "nvmlInit failed: %s (driver not loaded?)", errs(es, r));
        dlclose(h);
        return;
    }
    unsigned int n = 0;
    r = count(&n);
    if (r != NVML_SUCCESS) {
        og_machine_source(m, "nvml", 0, "nvmlDeviceGetCount failed: %s", errs(es, r));
        if (shutdown)
            shutdown();
        dlclose(h);
        return;
    }
    char note[160] = "";
    unsigned int added = 0;
    for (unsigned int i = 0; i < n && m->n_gpus < OG_MAX_GPUS; i++) {
        nvmlDevice_t dev = NULL;
        if (handle(i, &dev) != NVML_SUCCESS)
            continue;
        og_gpu *g = &m->gpus[m->n_gpus++];
        memset(g, 0, sizeof *g);
        added++;
        g->vendor = OG_GPU_NVIDIA;
        char nm[96] = "";
        if (name && name(dev, nm, sizeof nm) == NVML_SUCCESS)
            og_strlcpy(g->name, nm, sizeof g->name);
        else
            snprintf(g->name, sizeof g->name, "NVIDIA GPU %u", i);
        nvml_pci_info pi;
        memset(&pi, 0, sizeof pi);
        if (pci && pci(dev, &pi) == NVML_SUCCESS) {
            pi.busId[sizeof pi.busId - 1] = '\0';
            og_strlcpy(g->pci_bus_id, pi.busId, sizeof g->pci_bus_id);
        }
        /* _v2 counts reserved memory in used (nvml.h); prefer it. */
        nvmlReturn_t mr = NVML_ERROR_NOT_SUPPORTED;
        if (mem2) {
            nvml_memory_v2 v2;
            memset(&v2, 0, sizeof v2);
            v2.version = NVML_MEMORY_V2_VERSION;
            mr = mem2(dev, &v2);
            if (mr == NVML_SUCCESS) {
                g->total_bytes = v2.total;
                /* not free = used + reserved: what another allocation cannot get */
                g->used_bytes = v2.free <= v2.total ? v2.total - v2.free : v2.total;
            }
        }
        if (mr != NVML_SUCCESS && mem1) {
            nvml_memory_v1 v1;
            memset(&v1, 0, sizeof v1);
            mr = mem1(dev, &v1);
            if (mr == NVML_SUCCESS) {
                g->total_bytes = v1.total;
                g->used_bytes = v1.free <= v1.total ? v1.total - v1.free : v1.used;
            }
        }
        if (mr == NVML_SUCCESS && g->total_bytes) {
            g->mem_known = 1;
            if (g->used_bytes > g->total_bytes)
                g->used_bytes = g->total_bytes;
        } else if (mr == NVML_ERROR_NOT_SUPPORTED) {
            /* DGX Spark / GB10 and other SOC parts: the iGPU shares system
             * memory and NVML says NOT_SUPPORTED (nvml.h note; NVIDIA DGX
             * Spark known issues). og_machine_unified_fallback fills it in. */
            g->unified = 1;
            snprintf(note, sizeof note,
                     "GPU %u: memory NOT_SUPPORTED by NVML (unified memory part): "
                     "using system memory",
                     i);
        } else {
            snprintf(note, sizeof note, "GPU %u: nvmlDeviceGetMemoryInfo: %s", i, errs(es, mr));
        }
        /* Per-process use: ask for the count first, then over-allocate
         * (the list can grow between the calls). */
        fn_procs pf = procs3 ? procs3 : procs1;
        size_t esz = procs3 ? sizeof(nvml_process_info_v2) : sizeof(nvml_process_info_v1);
        if (pf) {
            unsigned int cnt = 0;
            nvmlReturn_t pr = pf(dev, &cnt, NULL);
            if (pr == NVML_SUCCESS && cnt == 0) {
                g->procs_known = 1;
            } else if (pr == NVML_ERROR_INSUFFICIENT_SIZE) {
                unsigned int cap = cnt + 16;
                void *buf = calloc(cap, esz);
                if (buf) {
                    cnt = cap;
                    pr = pf(dev, &cnt, buf);
                    if (pr == NVML_SUCCESS) {
                        g->procs_known = 1;
                        for (unsigned int k = 0; k < cnt && g->n_procs < OG_MAX_GPU_PROCS; k++) {
                            unsigned int pid;
                            unsigned long long used;
                            const char *e = (const char *)buf + k * esz;
                            memcpy(&pid, e, sizeof pid);
                            memcpy(&used, e + offsetof(nvml_process_info_v1, usedGpuMemory),
                                   sizeof used);
                            g->procs[g->n_procs].pid = (int32_t)pid;
                            g->procs[g->n_procs].bytes =
                                used == NVML_VALUE_NOT_AVAILABLE ? 0 : used;
                            g->n_procs++;
                        }
                    }
                    free(buf);
                }
            }
            if (!g->procs_known && !note[0])
                snprintf(note, sizeof note, "GPU %u: process list: %s", i, errs(es, pr));
        }
    }
    if (shutdown)
        shutdown();
    dlclose(h);
    if (n == 0)
        og_machine_source(m, "nvml", 0, "NVML found no NVIDIA GPU");
    else
        og_machine_source(m, "nvml", added > 0, "%s", added ? note : "no device handle");
}
