/* GPU readings for the watcher over og_machine_probe(): the pool (sum of
 * every GPU with known memory: VRAM on discrete cards, the unified pool on
 * Apple) and per-process bytes from og_gpu.procs[] (NVML compute processes,
 * DRM fdinfo). The probe reads everything (NVML, sysfs, meminfo), so the
 * watcher calls it at its own slower pace (og_watch_config.gpu_interval_s;
 * bench/results/run.md has the cost). */
#include <stdlib.h>
#include <string.h>

#include "oomguard/watch.h"

int og_gpu_reader_probe(void *ctx, og_gpu_reading *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    og_machine *m = malloc(sizeof *m);
    if (!m)
        return 0;
    int ok = 0;
    if (og_machine_probe(m, NULL) == OG_OK) {
        for (uint32_t g = 0; g < m->n_gpus && g < OG_MAX_GPUS; g++) {
            const og_gpu *gpu = &m->gpus[g];
            if (!gpu->mem_known)
                continue;
            ok = 1;
            out->used_bytes += gpu->used_bytes;
            out->total_bytes += gpu->total_bytes;
            for (uint32_t k = 0; k < gpu->n_procs && k < OG_MAX_GPU_PROCS; k++) {
                if (out->n_procs >= sizeof out->pids / sizeof out->pids[0])
                    break;
                out->pids[out->n_procs] = gpu->procs[k].pid;
                out->bytes[out->n_procs] = gpu->procs[k].bytes;
                out->n_procs++;
            }
        }
    }
    free(m);
    return ok;
}
