/* Watching a run: the sampler (portable; the system reader is in
 * src/platform/watch_*.c and the process reader in procs_*.c). The guard and
 * the summary are in src/watch_guard.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "og_internal.h"
#include "oomguard/watch.h"

struct og_watch {
    og_watch_config cfg;
    struct timespec t0;
    int have_prev;
    double prev_t;
    uint64_t prev_swapouts;
    int prev_swapouts_known;
    double gpu_t;
    int gpu_read_once;
    int gpu_ok;
    og_gpu_reading gpu;
};

static double now_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

og_pressure og_pressure_from_psi(double some_avg10, double full_avg10)
{
    if (full_avg10 >= 10.0 || some_avg10 >= 50.0)
        return OG_PRESSURE_CRITICAL;
    if (full_avg10 >= 1.0 || some_avg10 >= 10.0)
        return OG_PRESSURE_WARN;
    return OG_PRESSURE_NORMAL;
}

og_status og_watch_open(const og_watch_config *cfg, og_watch **out, og_error *err)
{
    *out = NULL;
    if (!cfg || cfg->root_pid <= 1)
        return og_error_set(err, OG_ERR_INVALID, "watch: root pid must be a process (> 1)");
    og_watch *w = calloc(1, sizeof *w);
    if (!w)
        return og_error_set(err, OG_ERR_NOMEM, "watch: out of memory");
    w->cfg = *cfg;
    if (w->cfg.gpu_interval_s < 0)
        w->cfg.gpu_interval_s = 0;
    clock_gettime(CLOCK_MONOTONIC, &w->t0);
    *out = w;
    return OG_OK;
}

void og_watch_close(og_watch *w)
{
    free(w);
}

static int in_tree(const og_proc_list *l, const uint32_t *idx, uint32_t n, int32_t pid)
{
    for (uint32_t k = 0; k < n; k++)
        if (l->procs[idx[k]].pid == pid)
            return 1;
    return 0;
}

og_status og_watch_sample(og_watch *w, og_sample *s, og_error *err)
{
    memset(s, 0, sizeof *s);
    s->t_s = now_s(&w->t0);

    /* The tree: parent links of every process (cheap), then the memory of
     * the members only. */
    og_error perr;
    og_proc_list l = {0};
    og_status pst = og_procs_list(&l, 0, &perr);
    uint32_t *idx = NULL, n = 0;
    if (pst == OG_OK && l.n) {
        idx = malloc((size_t)l.n * sizeof(uint32_t));
        if (!idx) {
            og_proc_list_free(&l);
            return og_error_set(err, OG_ERR_NOMEM, "watch: out of memory");
        }
        if (w->cfg.adopter_pid > 0)
            n = og_proc_tree(&l, w->cfg.adopter_pid, 0, idx, l.n);
        else
            n = og_proc_tree(&l, w->cfg.root_pid, w->cfg.include_root, idx, l.n);
        if (n > l.n)
            n = l.n;
        s->tree_kind = OG_MEM_UNKNOWN;
        for (uint32_t k = 0; k < n; k++) {
            og_proc *p = &l.procs[idx[k]];
            if (!w->cfg.include_root && p->pid == w->cfg.root_pid)
                continue;
            og_proc m;
            if (og_proc_read(p->pid, &m, OG_PROCS_FOOTPRINT, NULL) != OG_OK ||
                m.start_time != p->start_time)
                continue; /* exited in between */
            s->tree_procs++;
            s->tree_bytes += m.footprint_bytes;
            s->tree_rss_bytes += m.rss_bytes;
            if (m.footprint_kind == OG_MEM_RSS || s->tree_kind == OG_MEM_UNKNOWN)
                s->tree_kind = m.footprint_kind;
        }
    }

    og_sysmem sm;
    og_status sst = og_sysmem_read(&sm, NULL);
    if (sst == OG_OK) {
        s->avail_bytes = sm.avail_bytes;
        s->avail_known = sm.avail_known;
        s->swap_used_bytes = sm.swap_used_bytes;
        s->swap_known = sm.swap_known;
        s->pressure = sm.pressure;
        s->psi_some_avg10 = sm.psi_some_avg10;
        s->psi_full_avg10 = sm.psi_full_avg10;
        if (sm.swapouts_known && w->prev_swapouts_known && w->have_prev && s->t_s > w->prev_t &&
            sm.swapouts >= w->prev_swapouts)
            s->swapout_bytes_per_s = (double)(sm.swapouts - w->prev_swapouts) *
                                     (double)sm.page_size / (s->t_s - w->prev_t);
        w->prev_swapouts = sm.swapouts;
        w->prev_swapouts_known = sm.swapouts_known;
    }

    /* GPU: at its own, slower pace; between reads the last reading stands. */
    if (w->cfg.gpu && (!w->gpu_read_once || s->t_s - w->gpu_t >= w->cfg.gpu_interval_s)) {
        w->gpu_ok = w->cfg.gpu(w->cfg.gpu_ctx, &w->gpu);
        w->gpu_t = s->t_s;
        w->gpu_read_once = 1;
    }
    if (w->gpu_ok) {
        s->gpu_known = 1;
        s->gpu_used_bytes = w->gpu.used_bytes;
        s->gpu_total_bytes = w->gpu.total_bytes;
        s->tree_gpu_known = 1;
        uint32_t np = w->gpu.n_procs < 256 ? w->gpu.n_procs : 256;
        for (uint32_t k = 0; k < np; k++)
            if (in_tree(&l, idx, n, w->gpu.pids[k]))
                s->tree_gpu_bytes += w->gpu.bytes[k];
    }
    free(idx);
    og_proc_list_free(&l);

    w->have_prev = 1;
    w->prev_t = s->t_s;
    if (pst != OG_OK && sst != OG_OK)
        return og_error_set(err, OG_ERR_IO, "watch: %s", perr.message);
    return OG_OK;
}
