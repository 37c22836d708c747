/* The guard's decision and the run summary: pure functions over samples. */
#include <stdio.h>
#include <string.h>

#include "oomguard/units.h"
#include "oomguard/watch.h"

const char *og_trip_name(og_trip t)
{
    switch (t) {
    case OG_TRIP_MAX_MEM:
        return "max-mem";
    case OG_TRIP_AVAIL:
        return "available-floor";
    case OG_TRIP_SWAPOUT:
        return "swap-out";
    case OG_TRIP_PRESSURE:
        return "pressure";
    case OG_TRIP_NONE:
        break;
    }
    return "none";
}

void og_guard_defaults(og_guard_config *c, uint64_t ram_bytes)
{
    memset(c, 0, sizeof *c);
    uint64_t floor = ram_bytes / 20;
    if (floor > (1ull << 30))
        floor = 1ull << 30;
    if (floor < (256ull << 20))
        floor = 256ull << 20;
    c->avail_floor_bytes = floor;
    c->swapout_bytes_per_s = 64.0 * 1024 * 1024;
    c->swapout_sustain_s = 3.0;
    c->pressure_critical = 1;
    c->pressure_sustain_s = 1.0;
}

/* Has cond held for every sample of the last `sustain_s` seconds (and for at
 * least that long: the series must reach back that far)? */
typedef int (*cond_fn)(const og_guard_config *c, const og_sample *s);

static int sustained(const og_guard_config *c, const og_sample *s, size_t n, double sustain_s,
                     cond_fn cond)
{
    if (n == 0 || !cond(c, &s[n - 1]))
        return 0;
    double t_end = s[n - 1].t_s;
    if (sustain_s <= 0)
        return 1;
    for (size_t i = n; i-- > 0;) {
        if (!cond(c, &s[i]))
            return 0;
        if (t_end - s[i].t_s >= sustain_s - 1e-9)
            return 1;
    }
    return 0; /* not enough history yet */
}

static int is_critical(const og_guard_config *c, const og_sample *s)
{
    (void)c;
    return s->pressure == OG_PRESSURE_CRITICAL;
}

static int swapping(const og_guard_config *c, const og_sample *s)
{
    return s->swap_known && s->swapout_bytes_per_s > c->swapout_bytes_per_s;
}

og_trip og_guard_check(const og_guard_config *c, const og_sample *s, size_t n, og_trip_info *info)
{
    og_trip_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!c || !s || n == 0)
        return OG_TRIP_NONE;
    const og_sample *last = &s[n - 1];
    char a[32], b[32];
    info->t_s = last->t_s;

    if (c->max_tree_bytes && last->tree_bytes + last->tree_gpu_bytes > c->max_tree_bytes) {
        /* Discrete GPU memory (NVML) is not in the footprint: count both. */
        uint64_t v = last->tree_bytes + last->tree_gpu_bytes;
        info->trip = OG_TRIP_MAX_MEM;
        info->value = v;
        info->limit = c->max_tree_bytes;
        snprintf(info->reason, sizeof info->reason,
                 "the process tree (%u processes) uses %s, over --max-mem %s", last->tree_procs,
                 og_format_bytes(v, a, sizeof a), og_format_bytes(c->max_tree_bytes, b, sizeof b));
        return info->trip;
    }

    if (c->avail_floor_bytes && last->avail_known && s[0].avail_known) {
        uint64_t floor = c->avail_floor_bytes;
        if (s[0].avail_bytes / 2 < floor)
            floor = s[0].avail_bytes / 2;
        if (last->avail_bytes < floor) {
            info->trip = OG_TRIP_AVAIL;
            info->value = last->avail_bytes;
            info->limit = floor;
            snprintf(info->reason, sizeof info->reason,
                     "system available memory fell to %s, under the floor of %s",
                     og_format_bytes(last->avail_bytes, a, sizeof a),
                     og_format_bytes(floor, b, sizeof b));
            return info->trip;
        }
    }

    if (c->pressure_critical && sustained(c, s, n, c->pressure_sustain_s, is_critical)) {
        info->trip = OG_TRIP_PRESSURE;
        info->value = last->avail_bytes;
        snprintf(info->reason, sizeof info->reason,
                 "memory pressure is critical (held %.1f s; PSI some %.1f %%, full %.1f %%; "
                 "available %s)",
                 c->pressure_sustain_s, last->psi_some_avg10, last->psi_full_avg10,
                 og_format_bytes(last->avail_bytes, a, sizeof a));
        return info->trip;
    }

    if (c->swapout_bytes_per_s > 0 && sustained(c, s, n, c->swapout_sustain_s, swapping)) {
        info->trip = OG_TRIP_SWAPOUT;
        info->value = (uint64_t)last->swapout_bytes_per_s;
        info->limit = (uint64_t)c->swapout_bytes_per_s;
        snprintf(info->reason, sizeof info->reason,
                 "swapping out %s/s for %.1f s (limit %s/s); swap used %s",
                 og_format_bytes((uint64_t)last->swapout_bytes_per_s, a, sizeof a),
                 c->swapout_sustain_s,
                 og_format_bytes((uint64_t)c->swapout_bytes_per_s, b, sizeof b),
                 og_format_bytes(last->swap_used_bytes, (char[32]){0}, 32));
        return info->trip;
    }
    return OG_TRIP_NONE;
}

int og_guard_escalate(const og_guard_config *c, const og_sample *s, size_t n, uint64_t ref_bytes,
                      og_trip_info *info, int *to_kill)
{
    og_trip_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (to_kill)
        *to_kill = 0;
    if (!c || !s || n == 0)
        return 0;
    const og_sample *last = &s[n - 1];
    char a[32], b[32];
    info->t_s = last->t_s;
    /* the machine's floor: what og_guard_check says without the tree's limit */
    og_guard_config floor_only = *c;
    floor_only.max_tree_bytes = 0;
    floor_only.swapout_bytes_per_s = 0;
    og_trip_info fi;
    og_trip t = og_guard_check(&floor_only, s, n, &fi);
    if (t == OG_TRIP_AVAIL || t == OG_TRIP_PRESSURE) {
        *info = fi;
        if (to_kill)
            *to_kill = 1;
        return 1;
    }
    uint64_t now = last->tree_bytes + last->tree_gpu_bytes;
    uint64_t step = ref_bytes / 20;
    if (step < (64ull << 20))
        step = 64ull << 20;
    uint64_t over = ref_bytes > UINT64_MAX - step ? UINT64_MAX : ref_bytes + step;
    if (c->max_tree_bytes && now > c->max_tree_bytes && now > over) {
        info->trip = OG_TRIP_MAX_MEM;
        info->value = now;
        info->limit = c->max_tree_bytes;
        snprintf(info->reason, sizeof info->reason,
                 "the tree kept growing after the signal: %s, up from %s (limit %s)",
                 og_format_bytes(now, a, sizeof a), og_format_bytes(ref_bytes, b, sizeof b),
                 og_format_bytes(c->max_tree_bytes, (char[32]){0}, 32));
        return 1;
    }
    return 0;
}

void og_summary_init(og_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->min_avail_bytes = UINT64_MAX;
}

void og_summary_add(og_summary *sum, const og_sample *s)
{
    double dt = sum->n_samples ? s->t_s - sum->last_t_s : 0;
    if (dt < 0)
        dt = 0;
    if (sum->n_samples == 0)
        sum->first_t_s = s->t_s;
    sum->n_samples++;
    sum->last_t_s = s->t_s;
    if (s->tree_bytes + s->tree_gpu_bytes > sum->peak_tree_bytes + sum->peak_tree_gpu_bytes ||
        sum->n_samples == 1) {
        sum->peak_tree_bytes = s->tree_bytes;
        sum->peak_tree_gpu_bytes = s->tree_gpu_bytes;
        sum->peak_tree_t_s = s->t_s;
        sum->tree_kind = s->tree_kind; /* what the peak figure measures */
    }
    if (s->tree_rss_bytes > sum->peak_tree_rss_bytes)
        sum->peak_tree_rss_bytes = s->tree_rss_bytes;
    if (s->tree_anon_bytes + s->tree_gpu_bytes > sum->peak_anon_plus_gpu_bytes)
        sum->peak_anon_plus_gpu_bytes = s->tree_anon_bytes + s->tree_gpu_bytes;
    if (s->tree_procs > sum->peak_tree_procs)
        sum->peak_tree_procs = s->tree_procs;
    if (s->avail_known) {
        sum->avail_known = 1;
        if (s->avail_bytes < sum->min_avail_bytes)
            sum->min_avail_bytes = s->avail_bytes;
    }
    if (s->swap_known) {
        if (!sum->swap_known) {
            sum->swap_start_bytes = s->swap_used_bytes;
            sum->swap_known = 1;
        }
        if (s->swap_used_bytes > sum->swap_peak_bytes)
            sum->swap_peak_bytes = s->swap_used_bytes;
        sum->swap_end_bytes = s->swap_used_bytes;
    }
    if (s->swapout_bytes_per_s > sum->peak_swapout_bytes_per_s)
        sum->peak_swapout_bytes_per_s = s->swapout_bytes_per_s;
    if (s->pressure > sum->peak_pressure)
        sum->peak_pressure = s->pressure;
    /* The interval before this sample counts at this sample's level. */
    if (s->pressure >= OG_PRESSURE_WARN)
        sum->time_warn_s += dt;
    if (s->pressure >= OG_PRESSURE_CRITICAL)
        sum->time_critical_s += dt;
    if (s->gpu_known) {
        sum->gpu_known = 1;
        if (s->gpu_used_bytes > sum->peak_gpu_used_bytes)
            sum->peak_gpu_used_bytes = s->gpu_used_bytes;
    }
}
