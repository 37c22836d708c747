/* Built-in machines: the Apple Silicon line-up and common GPUs, as fresh
 * machines (nothing in use, the macOS default wired limit). Data only; the
 * table is the single place to add one. Sources: Apple's technical
 * specifications pages for each Mac (GPU cores and every RAM size sold);
 * GPU memory as nvidia-smi / NVML report it (MiB) where known, else the
 * nominal size (docs/MACHINE.md lists which). */
#include "oomguard/machine.h"

#include <stdio.h>
#include <string.h>

#include "machine_internal.h"
#include "og_internal.h"

#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)

typedef enum { P_APPLE, P_NVIDIA, P_NVIDIA_UNIFIED, P_AMD_APU, P_AMD } preset_kind;

typedef struct preset {
    const char *name;
    preset_kind kind;
    const char *chip;   /* Apple chip / GPU name */
    uint32_t gpu_cores; /* Apple: GPU cores of the largest configuration with this RAM */
    uint32_t ram_gb;    /* system RAM (GPU presets: a typical host) */
    uint32_t vram_mib;  /* discrete VRAM as NVML reports it; APU: UMA carve-out */
    uint32_t n_gpus;
    const char *cpu;
    uint32_t cpu_cores;
} preset;

static const preset presets[] = {
    /* Apple M1 family (2020-2022) */
    {"m1-8gb", P_APPLE, "Apple M1", 8, 8, 0, 1, "Apple M1", 8},
    {"m1-16gb", P_APPLE, "Apple M1", 8, 16, 0, 1, "Apple M1", 8},
    {"m1-pro-16gb", P_APPLE, "Apple M1 Pro", 16, 16, 0, 1, "Apple M1 Pro", 10},
    {"m1-pro-32gb", P_APPLE, "Apple M1 Pro", 16, 32, 0, 1, "Apple M1 Pro", 10},
    {"m1-max-32gb", P_APPLE, "Apple M1 Max", 32, 32, 0, 1, "Apple M1 Max", 10},
    {"m1-max-64gb", P_APPLE, "Apple M1 Max", 32, 64, 0, 1, "Apple M1 Max", 10},
    {"m1-ultra-64gb", P_APPLE, "Apple M1 Ultra", 64, 64, 0, 1, "Apple M1 Ultra", 20},
    {"m1-ultra-128gb", P_APPLE, "Apple M1 Ultra", 64, 128, 0, 1, "Apple M1 Ultra", 20},
    /* M2 family (2022-2023) */
    {"m2-8gb", P_APPLE, "Apple M2", 10, 8, 0, 1, "Apple M2", 8},
    {"m2-16gb", P_APPLE, "Apple M2", 10, 16, 0, 1, "Apple M2", 8},
    {"m2-24gb", P_APPLE, "Apple M2", 10, 24, 0, 1, "Apple M2", 8},
    {"m2-pro-16gb", P_APPLE, "Apple M2 Pro", 19, 16, 0, 1, "Apple M2 Pro", 12},
    {"m2-pro-32gb", P_APPLE, "Apple M2 Pro", 19, 32, 0, 1, "Apple M2 Pro", 12},
    {"m2-max-32gb", P_APPLE, "Apple M2 Max", 38, 32, 0, 1, "Apple M2 Max", 12},
    {"m2-max-64gb", P_APPLE, "Apple M2 Max", 38, 64, 0, 1, "Apple M2 Max", 12},
    {"m2-max-96gb", P_APPLE, "Apple M2 Max", 38, 96, 0, 1, "Apple M2 Max", 12},
    {"m2-ultra-64gb", P_APPLE, "Apple M2 Ultra", 76, 64, 0, 1, "Apple M2 Ultra", 24},
    {"m2-ultra-128gb", P_APPLE, "Apple M2 Ultra", 76, 128, 0, 1, "Apple M2 Ultra", 24},
    {"m2-ultra-192gb", P_APPLE, "Apple M2 Ultra", 76, 192, 0, 1, "Apple M2 Ultra", 24},
    /* M3 family (2023-2025) */
    {"m3-8gb", P_APPLE, "Apple M3", 10, 8, 0, 1, "Apple M3", 8},
    {"m3-16gb", P_APPLE, "Apple M3", 10, 16, 0, 1, "Apple M3", 8},
    {"m3-24gb", P_APPLE, "Apple M3", 10, 24, 0, 1, "Apple M3", 8},
    {"m3-pro-18gb", P_APPLE, "Apple M3 Pro", 18, 18, 0, 1, "Apple M3 Pro", 12},
    {"m3-pro-36gb", P_APPLE, "Apple M3 Pro", 18, 36, 0, 1, "Apple M3 Pro", 12},
    {"m3-max-36gb", P_APPLE, "Apple M3 Max", 30, 36, 0, 1, "Apple M3 Max", 14},
    {"m3-max-48gb", P_APPLE, "Apple M3 Max", 40, 48, 0, 1, "Apple M3 Max", 16},
    {"m3-max-64gb", P_APPLE, "Apple M3 Max", 40, 64, 0, 1, "Apple M3 Max", 16},
    {"m3-max-96gb", P_APPLE, "Apple M3 Max", 30, 96, 0, 1, "Apple M3 Max", 14},
    {"m3-max-128gb", P_APPLE, "Apple M3 Max", 40, 128, 0, 1, "Apple M3 Max", 16},
    {"m3-ultra-96gb", P_APPLE, "Apple M3 Ultra", 80, 96, 0, 1, "Apple M3 Ultra", 32},
    {"m3-ultra-256gb", P_APPLE, "Apple M3 Ultra", 80, 256, 0, 1, "Apple M3 Ultra", 32},
    {"m3-ultra-512gb", P_APPLE, "Apple M3 Ultra", 80, 512, 0, 1, "Apple M3 Ultra", 32},
    /* M4 family (2024-2025) */
    {"m4-16gb", P_APPLE, "Apple M4", 10, 16, 0, 1, "Apple M4", 10},
    {"m4-24gb", P_APPLE, "Apple M4", 10, 24, 0, 1, "Apple M4", 10},
    {"m4-32gb", P_APPLE, "Apple M4", 10, 32, 0, 1, "Apple M4", 10},
    {"m4-pro-24gb", P_APPLE, "Apple M4 Pro", 20, 24, 0, 1, "Apple M4 Pro", 14},
    {"m4-pro-48gb", P_APPLE, "Apple M4 Pro", 20, 48, 0, 1, "Apple M4 Pro", 14},
    {"m4-pro-64gb", P_APPLE, "Apple M4 Pro", 20, 64, 0, 1, "Apple M4 Pro", 14},
    {"m4-max-36gb", P_APPLE, "Apple M4 Max", 32, 36, 0, 1, "Apple M4 Max", 14},
    {"m4-max-48gb", P_APPLE, "Apple M4 Max", 40, 48, 0, 1, "Apple M4 Max", 16},
    {"m4-max-64gb", P_APPLE, "Apple M4 Max", 40, 64, 0, 1, "Apple M4 Max", 16},
    {"m4-max-128gb", P_APPLE, "Apple M4 Max", 40, 128, 0, 1, "Apple M4 Max", 16},
    /* Discrete NVIDIA GPUs, with a typical 64 GB (workstation) or 256 GB
     * (server) host. VRAM in MiB as nvidia-smi reports it. */
    {"rtx-3090", P_NVIDIA, "NVIDIA GeForce RTX 3090", 0, 64, 24576, 1, "x86-64 host", 16},
    {"rtx-4090", P_NVIDIA, "NVIDIA GeForce RTX 4090", 0, 64, 24564, 1, "x86-64 host", 16},
    {"rtx-5090", P_NVIDIA, "NVIDIA GeForce RTX 5090", 0, 64, 32607, 1, "x86-64 host", 16},
    {"a100-40gb", P_NVIDIA, "NVIDIA A100-SXM4-40GB", 0, 256, 40960, 1, "x86-64 host", 32},
    {"a100-80gb", P_NVIDIA, "NVIDIA A100-SXM4-80GB", 0, 256, 81920, 1, "x86-64 host", 32},
    {"h100-80gb", P_NVIDIA, "NVIDIA H100 80GB HBM3", 0, 256, 81559, 1, "x86-64 host", 32},
    {"h200", P_NVIDIA, "NVIDIA H200", 0, 256, 143771, 1, "x86-64 host", 32},
    /* Consumer cards people ask about (issue 19); MiB as nvidia-smi prints
     * them in public reports (docs/MACHINE.md: not re-checked on hardware). */
    {"rtx-3060-12gb", P_NVIDIA, "NVIDIA GeForce RTX 3060", 0, 32, 12288, 1, "x86-64 host", 8},
    {"rtx-4060-8gb", P_NVIDIA, "NVIDIA GeForce RTX 4060", 0, 32, 8188, 1, "x86-64 host", 8},
    {"rtx-4060-ti-16gb", P_NVIDIA, "NVIDIA GeForce RTX 4060 Ti", 0, 32, 16380, 1, "x86-64 host", 8},
    {"rtx-4070-12gb", P_NVIDIA, "NVIDIA GeForce RTX 4070", 0, 32, 12282, 1, "x86-64 host", 8},
    {"rtx-4080-16gb", P_NVIDIA, "NVIDIA GeForce RTX 4080", 0, 64, 16376, 1, "x86-64 host", 16},
    /* Discrete AMD (ROCm): 24 GiB less the 16 MiB rocm-smi does not report. */
    {"rx-7900-xtx", P_AMD, "AMD Radeon RX 7900 XTX", 0, 64, 24560, 1, "x86-64 host", 16},
    /* Several GPUs in one host: llama.cpp splits layers across them (-ts). */
    {"2x-rtx-3090", P_NVIDIA, "NVIDIA GeForce RTX 3090", 0, 128, 24576, 2, "x86-64 host", 24},
    {"2x-rtx-4090", P_NVIDIA, "NVIDIA GeForce RTX 4090", 0, 128, 24564, 2, "x86-64 host", 24},
    {"4x-a100-80gb", P_NVIDIA, "NVIDIA A100-SXM4-80GB", 0, 512, 81920, 4, "x86-64 host", 64},
    {"8x-h100", P_NVIDIA, "NVIDIA H100 80GB HBM3", 0, 2048, 81559, 8, "x86-64 host", 112},
    /* Unified parts */
    {"dgx-spark", P_NVIDIA_UNIFIED, "NVIDIA GB10", 0, 128, 0, 1, "NVIDIA GB10 (Arm)", 20},
    {"strix-halo-128gb", P_AMD_APU, "AMD Radeon 8060S (Strix Halo)", 0, 128, 512, 1,
     "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S", 16},
};

#define N_PRESETS (sizeof presets / sizeof presets[0])

uint32_t og_machine_preset_count(void)
{
    return (uint32_t)N_PRESETS;
}

const char *og_machine_preset_name(uint32_t i)
{
    return i < N_PRESETS ? presets[i].name : NULL;
}

const char *og_machine_preset_summary(uint32_t i)
{
    static char buf[N_PRESETS][112];
    if (i >= N_PRESETS)
        return NULL;
    const preset *p = &presets[i];
    switch (p->kind) {
    case P_APPLE:
        snprintf(buf[i], sizeof buf[i], "%s, %u GB unified, %u GPU cores", p->chip, p->ram_gb,
                 p->gpu_cores);
        break;
    case P_NVIDIA:
    case P_AMD:
        if (p->n_gpus > 1)
            snprintf(buf[i], sizeof buf[i], "%u x %s, %u MiB VRAM each, %u GB host RAM", p->n_gpus,
                     p->chip, p->vram_mib, p->ram_gb);
        else
            snprintf(buf[i], sizeof buf[i], "%s, %u MiB VRAM, %u GB host RAM", p->chip, p->vram_mib,
                     p->ram_gb);
        break;
    case P_NVIDIA_UNIFIED:
    case P_AMD_APU:
        snprintf(buf[i], sizeof buf[i], "%s, %u GB unified", p->chip, p->ram_gb);
        break;
    }
    return buf[i];
}

static void fill(const preset *p, og_machine *m)
{
    og_machine_init(m);
    og_strlcpy(m->preset, p->name, sizeof m->preset);
    og_strlcpy(m->cpu_name, p->cpu, sizeof m->cpu_name);
    m->cpu_cores = p->cpu_cores;
    m->ram_bytes = (uint64_t)p->ram_gb * GIB;
    m->pressure = OG_PRESSURE_NORMAL;
    if (p->kind == P_APPLE) {
        m->os = OG_OS_MACOS;
        m->apple_silicon = 1;
        m->page_size = 16384;
        og_strlcpy(m->chip, p->chip, sizeof m->chip);
        m->gpu_cores = p->gpu_cores;
        m->macos_major = 15;
        og_strlcpy(m->os_version, "15 (preset)", sizeof m->os_version);
        m->wired_limit_mb = 0;
        m->wired_limit_known = 1;
        /* Derived, not read: the default wired limit and Metal's limits on a
         * stock machine of this size (docs/MACHINE.md). */
        m->metal_recommended_working_set_bytes = og_default_wired_limit_bytes(m->ram_bytes, 15);
        m->metal_max_buffer_bytes =
            og_metal_max_buffer_estimate(m->metal_recommended_working_set_bytes);
        m->metal_derived = 1;
        m->gpu_in_use_bytes = 0;
        m->gpu_in_use_known = 1;
        m->n_gpus = 1;
        og_gpu *g = &m->gpus[0];
        g->vendor = OG_GPU_APPLE;
        og_strlcpy(g->name, p->chip, sizeof g->name);
        g->unified = 1;
        g->mem_known = 1;
        g->total_bytes = m->metal_recommended_working_set_bytes;
        g->used_bytes = 0;
        return;
    }
    m->os = OG_OS_LINUX;
    m->page_size = 4096;
    og_strlcpy(m->os_version, "Linux (preset)", sizeof m->os_version);
    m->n_gpus = p->n_gpus;
    for (uint32_t i = 0; i < p->n_gpus; i++) {
        og_gpu *g = &m->gpus[i];
        og_strlcpy(g->name, p->chip, sizeof g->name);
        switch (p->kind) {
        case P_NVIDIA:
            g->vendor = OG_GPU_NVIDIA;
            g->mem_known = 1;
            g->total_bytes = (uint64_t)p->vram_mib * MIB;
            g->procs_known = 1;
            break;
        case P_AMD:
            g->vendor = OG_GPU_AMD;
            g->mem_known = 1;
            g->total_bytes = (uint64_t)p->vram_mib * MIB;
            g->vram_total_bytes = g->total_bytes;
            g->procs_known = 1;
            break;
        case P_NVIDIA_UNIFIED:
            /* NVML reports memory NOT_SUPPORTED on GB10: the pool is system RAM. */
            g->vendor = OG_GPU_NVIDIA;
            g->unified = 1;
            g->total_bytes = m->ram_bytes;
            break;
        case P_AMD_APU:
            /* Strix Halo: 512 MiB UMA carve-out; GTT = ttm.pages_limit, whose
             * kernel default is half of RAM (ttm_tt.c ttm_global_init). */
            g->vendor = OG_GPU_AMD;
            g->unified = 1;
            g->mem_known = 1;
            g->vram_total_bytes = (uint64_t)p->vram_mib * MIB;
            m->ram_bytes -= g->vram_total_bytes; /* the carve-out is not in MemTotal */
            g->gtt_total_bytes = m->ram_bytes / 2;
            m->ttm_pages_limit = g->gtt_total_bytes / 4096;
            g->total_bytes = g->vram_total_bytes + g->gtt_total_bytes;
            g->procs_known = 1;
            break;
        case P_APPLE:
            break;
        }
    }
}

og_status og_machine_preset(const char *name, og_machine *m, og_error *err)
{
    for (size_t i = 0; i < N_PRESETS; i++)
        if (name && og_strcasecmp(presets[i].name, name) == 0) {
            fill(&presets[i], m);
            return OG_OK;
        }
    return og_error_set(err, OG_ERR_NOT_FOUND, "no preset named '%s'", name ? name : "");
}
