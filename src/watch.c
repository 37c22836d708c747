/* Watching a run: the sampler (portable; the system reader is in
 * src/platform/watch_*.c and the process reader in procs_*.c). The guard and
 * the summary are in src/watch_guard.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "og_internal.h"
#include "oomguard/watch.h"

#define OG_WATCH_MAX_PROCS 4096

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
    int pss_known;       /* a PSS reading of the tree was taken */
    double pss_t;        /* when */
    uint64_t pss_excess; /* RSS sum - PSS sum then: the pages counted more than once */
    uint64_t pss_rss;    /* the RSS sum then */
    int32_t pids[OG_WATCH_MAX_PROCS];
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

static int in_tree(const int32_t *pids, uint32_t n, int32_t pid)
{
    for (uint32_t k = 0; k < n; k++)
        if (pids[k] == pid)
            return 1;
    return 0;
}

/* Pages shared inside the tree (a model file mapped by 4 processes) count
 * once per process in an RSS sum. When the sum of a tree of several processes
 * passes cfg.pss_above_bytes, count PSS instead (smaps_rollup: shared pages
 * split between their users, so they add up once). PSS walks page tables
 * (~350 ms for a 30 GB mapping), so it is read at most once a second; in
 * between the RSS sum moves the figure, less the excess seen at the last PSS
 * read, so growth still shows at once. It is read again sooner (every 0.25 s)
 * while the RSS sum grows by more than 10 %, and at once when the estimate
 * passes cfg.pss_recheck_bytes (the guard's limit), so the guard acts on PSS. */
static void tree_pss(og_watch *w, og_sample *s, const int32_t *pids, uint32_t n)
{
    if (!w->cfg.pss_above_bytes || n < 2 || s->tree_kind != OG_MEM_RSS ||
        s->tree_bytes <= w->cfg.pss_above_bytes)
        return;
    uint64_t estimate = s->tree_bytes > w->pss_excess ? s->tree_bytes - w->pss_excess : 0;
    int recheck =
        (w->cfg.pss_recheck_bytes && estimate > w->cfg.pss_recheck_bytes && s->t_s > w->pss_t) ||
        (s->tree_bytes > w->pss_rss + w->pss_rss / 10 && s->t_s - w->pss_t >= 0.25);
    if (!w->pss_known || s->t_s - w->pss_t >= 1.0 || recheck) {
        /* members that exit or cannot be read meanwhile (a sanitizer's tracer,
         * a short helper) are left out of both sums */
        uint64_t pss = 0, rss = 0;
        uint32_t seen = 0;
        for (uint32_t k = 0; k < n; k++) {
            og_proc m;
            if (og_proc_read(pids[k], &m, OG_PROCS_FOOTPRINT, NULL) != OG_OK ||
                m.footprint_kind != OG_MEM_PSS)
                continue;
            pss += m.footprint_bytes;
            rss += m.rss_bytes;
            seen++;
        }
        if (seen >= 2) {
            w->pss_known = 1;
            w->pss_t = s->t_s;
            w->pss_excess = rss > pss ? rss - pss : 0;
            w->pss_rss = s->tree_bytes;
        } else if (!w->pss_known) {
            return; /* nothing read yet: keep the RSS sum */
        }           /* else: the last reading's excess stands */
    }
    s->tree_bytes = s->tree_bytes > w->pss_excess ? s->tree_bytes - w->pss_excess : 0;
    s->tree_kind = OG_MEM_PSS;
}

og_status og_watch_sample(og_watch *w, og_sample *s, og_error *err)
{
    memset(s, 0, sizeof *s);
    s->t_s = now_s(&w->t0);

    /* The tree: its pids (Linux: children files; else a full listing), then
     * each member's memory by the cheap counters (RSS / phys footprint):
     * PSS would walk the page tables of a 30 GB process ten times a second. */
    og_error perr;
    og_status pst;
    int32_t *pids = w->pids;
    uint32_t n = 0;
    int32_t root = w->cfg.adopter_pid > 0 ? w->cfg.adopter_pid : w->cfg.root_pid;
    int incl = w->cfg.adopter_pid > 0 ? 0 : w->cfg.include_root;
    pst = og_proc_tree_pids(root, incl, pids, OG_WATCH_MAX_PROCS, &n, &perr);
    if (pst == OG_ERR_UNSUPPORTED) {
        og_proc_list l = {0};
        pst = og_procs_list(&l, 0, &perr);
        if (pst == OG_OK) {
            uint32_t *idx = malloc((size_t)l.n * sizeof(uint32_t));
            if (idx) {
                n = og_proc_tree(&l, root, incl, idx, l.n);
                if (n > l.n)
                    n = l.n;
                if (n > OG_WATCH_MAX_PROCS)
                    n = OG_WATCH_MAX_PROCS;
                for (uint32_t k = 0; k < n; k++)
                    pids[k] = l.procs[idx[k]].pid;
                free(idx);
            }
            og_proc_list_free(&l);
        }
    }
    if (n > OG_WATCH_MAX_PROCS)
        n = OG_WATCH_MAX_PROCS;
    s->tree_kind = OG_MEM_UNKNOWN;
    uint32_t members = 0;
    for (uint32_t k = 0; pst == OG_OK && k < n; k++) {
        if (!w->cfg.include_root && pids[k] == w->cfg.root_pid)
            continue;
        og_proc m;
        if (og_proc_read(pids[k], &m, OG_PROCS_RSS, NULL) != OG_OK)
            continue; /* exited in between */
        pids[members++] = pids[k];
        s->tree_procs++;
        s->tree_bytes += m.footprint_bytes;
        s->tree_rss_bytes += m.rss_bytes;
        s->tree_anon_bytes += m.anon_bytes;
        if (m.footprint_kind == OG_MEM_RSS || s->tree_kind == OG_MEM_UNKNOWN)
            s->tree_kind = m.footprint_kind;
    }
    n = members;
    tree_pss(w, s, pids, n);

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
            if (in_tree(pids, n, w->gpu.pids[k]))
                s->tree_gpu_bytes += w->gpu.bytes[k];
    }
    w->have_prev = 1;
    w->prev_t = s->t_s;
    if (pst != OG_OK && sst != OG_OK)
        return og_error_set(err, OG_ERR_IO, "watch: %s", perr.message);
    return OG_OK;
}
