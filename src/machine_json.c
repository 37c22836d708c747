/* Machine snapshots as JSON (docs/SNAPSHOT.md) and og_machine_load. */
#include "oomguard/machine.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "machine_internal.h"
#include "og_internal.h"

#define MIB (1024ull * 1024)
#define TIB (1024ull * 1024 * 1024 * 1024)
/* Larger than any machine sold (Apple tops out at 512 GB, GPUs at a few
 * hundred GB, servers at tens of TiB): anything above is a broken snapshot. */
#define OG_SNAPSHOT_MAX_BYTES (64 * TIB)
#define OG_SNAPSHOT_MAX_FILE (4u * 1024 * 1024)

/* ---- writing ---- */

static json_t *u64j(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *u64_or_null(int known, uint64_t v)
{
    return known ? u64j(v) : json_null();
}

static void set(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v);
}

static json_t *gpu_json(const og_gpu *g)
{
    json_t *j = json_object();
    set(j, "vendor", json_string(og_gpu_vendor_name(g->vendor)));
    set(j, "name", json_string(g->name));
    set(j, "pci_bus_id", json_string(g->pci_bus_id));
    set(j, "unified", json_boolean(g->unified));
    set(j, "total_bytes", u64_or_null(g->mem_known, g->total_bytes));
    set(j, "used_bytes", u64_or_null(g->mem_known, g->used_bytes));
    if (g->vendor == OG_GPU_AMD) {
        set(j, "vram_total_bytes", u64j(g->vram_total_bytes));
        set(j, "vram_used_bytes", u64j(g->vram_used_bytes));
        set(j, "gtt_total_bytes", u64j(g->gtt_total_bytes));
        set(j, "gtt_used_bytes", u64j(g->gtt_used_bytes));
    }
    if (g->vk_max_alloc_bytes)
        set(j, "vk_max_alloc_bytes", u64j(g->vk_max_alloc_bytes));
    if (g->procs_known) {
        json_t *a = json_array();
        for (uint32_t i = 0; i < g->n_procs && i < OG_MAX_GPU_PROCS; i++)
            json_array_append_new(a, json_pack("{s:i, s:I}", "pid", (int)g->procs[i].pid, "bytes",
                                               (json_int_t)g->procs[i].bytes));
        set(j, "processes", a);
    } else {
        set(j, "processes", json_null());
    }
    return j;
}

static json_t *machine_json(const og_machine *m)
{
    json_t *j = json_object();
    set(j, "schema_version", json_integer(OG_MACHINE_SCHEMA_VERSION));
    set(j, "os", json_string(og_os_name(m->os)));
    set(j, "os_version", json_string(m->os_version));
    set(j, "hostname", json_string(m->hostname));
    set(j, "preset", json_string(m->preset));
    set(j, "cpu_name", json_string(m->cpu_name));
    set(j, "cpu_cores", json_integer(m->cpu_cores));
    set(j, "ram_bytes", u64j(m->ram_bytes));
    set(j, "page_size_bytes", u64j(m->page_size));
    set(j, "swap_total_bytes", u64j(m->swap_total_bytes));
    set(j, "swap_used_bytes", u64j(m->swap_used_bytes));
    set(j, "swapouts_pages", u64j(m->swapouts));
    set(j, "pressure", json_string(og_pressure_name(m->pressure)));

    if (m->os == OG_OS_MACOS || m->apple_silicon) {
        json_t *mac = json_object();
        set(mac, "apple_silicon", json_boolean(m->apple_silicon));
        set(mac, "chip", json_string(m->chip));
        set(mac, "gpu_cores", json_integer(m->gpu_cores));
        set(mac, "macos_major", json_integer(m->macos_major));
        if (m->pages_known) {
            json_t *p = json_object();
            set(p, "free", u64j(m->pages_free));
            set(p, "active", u64j(m->pages_active));
            set(p, "inactive", u64j(m->pages_inactive));
            set(p, "speculative", u64j(m->pages_speculative));
            set(p, "wired", u64j(m->pages_wired));
            set(p, "purgeable", u64j(m->pages_purgeable));
            set(p, "compressed", u64j(m->pages_compressed));
            set(p, "file_backed", u64j(m->pages_file_backed));
            set(mac, "pages", p);
        } else {
            set(mac, "pages", json_null());
        }
        set(mac, "wired_limit_mb",
            m->wired_limit_known ? json_integer(m->wired_limit_mb) : json_null());
        set(mac, "metal_recommended_working_set_bytes",
            u64_or_null(m->metal_recommended_working_set_bytes != 0,
                        m->metal_recommended_working_set_bytes));
        set(mac, "metal_max_buffer_bytes",
            u64_or_null(m->metal_max_buffer_bytes != 0, m->metal_max_buffer_bytes));
        set(mac, "metal_derived", json_boolean(m->metal_derived));
        set(mac, "gpu_in_use_bytes", u64_or_null(m->gpu_in_use_known, m->gpu_in_use_bytes));
        set(j, "macos", mac);
    }
    if (m->os == OG_OS_LINUX) {
        json_t *lx = json_object();
        if (m->meminfo_known) {
            json_t *mi = json_object();
            set(mi, "mem_available_bytes", u64j(m->mem_available_bytes));
            set(mi, "mem_free_bytes", u64j(m->mem_free_bytes));
            set(mi, "cached_bytes", u64j(m->cached_bytes));
            set(mi, "buffers_bytes", u64j(m->buffers_bytes));
            set(lx, "meminfo", mi);
        } else {
            set(lx, "meminfo", json_null());
        }
        if (m->psi_known)
            set(lx, "psi",
                json_pack("{s:f, s:f}", "some_avg10_percent", m->psi_some_avg10,
                          "full_avg10_percent", m->psi_full_avg10));
        else
            set(lx, "psi", json_null());
        if (m->cgroup_known) {
            json_t *cg = json_object();
            set(cg, "path", json_string(m->cgroup_path));
            set(cg, "limit_bytes", u64_or_null(m->cgroup_limit_bytes != 0, m->cgroup_limit_bytes));
            set(cg, "high_bytes", u64_or_null(m->cgroup_high_bytes != 0, m->cgroup_high_bytes));
            set(cg, "usage_bytes", u64j(m->cgroup_usage_bytes));
            set(lx, "cgroup", cg);
        } else {
            set(lx, "cgroup", json_null());
        }
        set(lx, "ttm_pages_limit", u64_or_null(m->ttm_pages_limit != 0, m->ttm_pages_limit));
        set(j, "linux", lx);
    }
    json_t *gpus = json_array();
    for (uint32_t i = 0; i < m->n_gpus && i < OG_MAX_GPUS; i++)
        json_array_append_new(gpus, gpu_json(&m->gpus[i]));
    set(j, "gpus", gpus);
    json_t *src = json_array();
    for (uint32_t i = 0; i < m->n_sources && i < OG_MAX_SOURCES; i++)
        json_array_append_new(src, json_pack("{s:s, s:b, s:s}", "name", m->sources[i].name, "ok",
                                             m->sources[i].ok, "reason", m->sources[i].reason));
    set(j, "sources", src);
    return j;
}

char *og_machine_to_json(const og_machine *m)
{
    json_t *j = machine_json(m);
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(j);
    return s;
}

/* ---- reading ---- */

typedef struct rd {
    const char *name; /* the snapshot's name (file) for messages */
    og_error *err;
    og_status st;
} rd;

static int fail(rd *r, const char *key, const char *what)
{
    if (r->st == OG_OK)
        r->st = og_error_set(r->err, OG_ERR_INVALID, "%s: key '%s': %s", r->name, key, what);
    return 0;
}

/* Look up key in o; *present = 0 when missing or null. */
static json_t *get(json_t *o, const char *key, int *present)
{
    json_t *v = o ? json_object_get(o, key) : NULL;
    *present = v && !json_is_null(v);
    return *present ? v : NULL;
}

static int rd_u64(rd *r, json_t *o, const char *key, const char *path, int required, uint64_t max,
                  uint64_t *out, int *known)
{
    int present;
    json_t *v = get(o, key, &present);
    if (known)
        *known = present;
    if (!present) {
        if (required)
            return fail(r, path, "missing (required)");
        return 1;
    }
    if (!json_is_integer(v))
        return fail(r, path, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < 0)
        return fail(r, path, "must not be negative");
    if ((uint64_t)x > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "%lld is absurdly large (limit %llu)", (long long)x,
                 (unsigned long long)max);
        return fail(r, path, msg);
    }
    *out = (uint64_t)x;
    return 1;
}

static int rd_u32(rd *r, json_t *o, const char *key, const char *path, uint32_t max, uint32_t *out,
                  int *known)
{
    uint64_t v = 0;
    if (!rd_u64(r, o, key, path, 0, max, &v, known))
        return 0;
    if (!known || *known)
        *out = (uint32_t)v;
    return 1;
}

static int rd_str(rd *r, json_t *o, const char *key, const char *path, char *out, size_t n)
{
    int present;
    json_t *v = get(o, key, &present);
    if (!present)
        return 1;
    if (!json_is_string(v))
        return fail(r, path, "must be a string");
    if (strlen(json_string_value(v)) >= n)
        return fail(r, path, "string is too long");
    og_strlcpy(out, json_string_value(v), n);
    return 1;
}

static int rd_bool(rd *r, json_t *o, const char *key, const char *path, int *out)
{
    int present;
    json_t *v = get(o, key, &present);
    if (!present)
        return 1;
    if (!json_is_boolean(v))
        return fail(r, path, "must be true or false");
    *out = json_is_true(v);
    return 1;
}

static int rd_percent(rd *r, json_t *o, const char *key, const char *path, double *out)
{
    int present;
    json_t *v = get(o, key, &present);
    if (!present)
        return fail(r, path, "missing (required)");
    if (!json_is_number(v))
        return fail(r, path, "must be a number");
    double d = json_number_value(v);
    if (!(d >= 0.0 && d <= 100.0))
        return fail(r, path, "must be a percentage between 0 and 100");
    *out = d;
    return 1;
}

static int rd_obj(rd *r, json_t *o, const char *key, const char *path, json_t **out)
{
    int present;
    json_t *v = get(o, key, &present);
    *out = NULL;
    if (!present)
        return 1;
    if (!json_is_object(v))
        return fail(r, path, "must be an object or null");
    *out = v;
    return 1;
}

static int rd_gpu(rd *r, json_t *g, uint32_t idx, og_gpu *out)
{
    char p[64];
#define K(k) (snprintf(p, sizeof p, "gpus[%u].%s", idx, k), p)
    if (!json_is_object(g)) {
        snprintf(p, sizeof p, "gpus[%u]", idx);
        return fail(r, p, "must be an object");
    }
    char vendor[16] = "";
    if (!rd_str(r, g, "vendor", K("vendor"), vendor, sizeof vendor))
        return 0;
    if (strcmp(vendor, "nvidia") == 0)
        out->vendor = OG_GPU_NVIDIA;
    else if (strcmp(vendor, "amd") == 0)
        out->vendor = OG_GPU_AMD;
    else if (strcmp(vendor, "apple") == 0)
        out->vendor = OG_GPU_APPLE;
    else if (strcmp(vendor, "none") == 0 || !vendor[0])
        out->vendor = OG_GPU_NONE;
    else
        return fail(r, K("vendor"), "must be one of nvidia, amd, apple, none");
    int kt = 0, ku = 0;
    if (!rd_str(r, g, "name", K("name"), out->name, sizeof out->name) ||
        !rd_str(r, g, "pci_bus_id", K("pci_bus_id"), out->pci_bus_id, sizeof out->pci_bus_id) ||
        !rd_bool(r, g, "unified", K("unified"), &out->unified) ||
        !rd_u64(r, g, "total_bytes", K("total_bytes"), 0, OG_SNAPSHOT_MAX_BYTES, &out->total_bytes,
                &kt) ||
        !rd_u64(r, g, "used_bytes", K("used_bytes"), 0, OG_SNAPSHOT_MAX_BYTES, &out->used_bytes,
                &ku) ||
        !rd_u64(r, g, "vram_total_bytes", K("vram_total_bytes"), 0, OG_SNAPSHOT_MAX_BYTES,
                &out->vram_total_bytes, NULL) ||
        !rd_u64(r, g, "vram_used_bytes", K("vram_used_bytes"), 0, OG_SNAPSHOT_MAX_BYTES,
                &out->vram_used_bytes, NULL) ||
        !rd_u64(r, g, "gtt_total_bytes", K("gtt_total_bytes"), 0, OG_SNAPSHOT_MAX_BYTES,
                &out->gtt_total_bytes, NULL) ||
        !rd_u64(r, g, "gtt_used_bytes", K("gtt_used_bytes"), 0, OG_SNAPSHOT_MAX_BYTES,
                &out->gtt_used_bytes, NULL) ||
        !rd_u64(r, g, "vk_max_alloc_bytes", K("vk_max_alloc_bytes"), 0, OG_SNAPSHOT_MAX_BYTES,
                &out->vk_max_alloc_bytes, NULL))
        return 0;
    if (kt != ku)
        return fail(r, K(kt ? "used_bytes" : "total_bytes"),
                    "total_bytes and used_bytes must both be numbers or both null");
    out->mem_known = kt;
    if (kt && out->used_bytes > out->total_bytes)
        return fail(r, K("used_bytes"), "is larger than total_bytes");
    if (out->vram_used_bytes > out->vram_total_bytes)
        return fail(r, K("vram_used_bytes"), "is larger than vram_total_bytes");
    if (out->gtt_used_bytes > out->gtt_total_bytes)
        return fail(r, K("gtt_used_bytes"), "is larger than gtt_total_bytes");
    int present;
    json_t *procs = get(g, "processes", &present);
    if (present) {
        if (!json_is_array(procs))
            return fail(r, K("processes"), "must be an array or null");
        if (json_array_size(procs) > OG_MAX_GPU_PROCS)
            return fail(r, K("processes"), "more than 64 entries");
        out->procs_known = 1;
        for (size_t i = 0; i < json_array_size(procs); i++) {
            json_t *e = json_array_get(procs, i);
            char pp[80];
            snprintf(pp, sizeof pp, "gpus[%u].processes[%zu]", idx, i);
            if (!json_is_object(e))
                return fail(r, pp, "must be an object");
            uint64_t pid = 0, bytes = 0;
            char kp[96], kb[96];
            snprintf(kp, sizeof kp, "%s.pid", pp);
            snprintf(kb, sizeof kb, "%s.bytes", pp);
            if (!rd_u64(r, e, "pid", kp, 1, INT32_MAX, &pid, NULL) ||
                !rd_u64(r, e, "bytes", kb, 1, OG_SNAPSHOT_MAX_BYTES, &bytes, NULL))
                return 0;
            out->procs[out->n_procs].pid = (int32_t)pid;
            out->procs[out->n_procs].bytes = bytes;
            out->n_procs++;
        }
    }
#undef K
    return 1;
}

static int rd_machine(rd *r, json_t *j, og_machine *m)
{
    if (!json_is_object(j))
        return fail(r, "(top level)", "must be a JSON object");
    uint64_t sv = 0;
    if (!rd_u64(r, j, "schema_version", "schema_version", 1, UINT32_MAX, &sv, NULL))
        return 0;
    if (sv != OG_MACHINE_SCHEMA_VERSION) {
        if (r->st == OG_OK)
            r->st = og_error_set(r->err, OG_ERR_INVALID,
                                 "%s: key 'schema_version': version %llu is not supported "
                                 "(this oomguard reads version %d)",
                                 r->name, (unsigned long long)sv, OG_MACHINE_SCHEMA_VERSION);
        return 0;
    }
    m->schema_version = (uint32_t)sv;
    char os[16] = "";
    int present;
    if (!get(j, "os", &present))
        return fail(r, "os", "missing (required: \"macos\" or \"linux\")");
    if (!rd_str(r, j, "os", "os", os, sizeof os))
        return 0;
    if (strcmp(os, "macos") == 0)
        m->os = OG_OS_MACOS;
    else if (strcmp(os, "linux") == 0)
        m->os = OG_OS_LINUX;
    else if (strcmp(os, "unknown") == 0)
        m->os = OG_OS_UNKNOWN;
    else
        return fail(r, "os", "must be \"macos\", \"linux\" or \"unknown\"");
    uint64_t page = 0;
    char pressure[16] = "unknown";
    if (!rd_str(r, j, "os_version", "os_version", m->os_version, sizeof m->os_version) ||
        !rd_str(r, j, "hostname", "hostname", m->hostname, sizeof m->hostname) ||
        !rd_str(r, j, "preset", "preset", m->preset, sizeof m->preset) ||
        !rd_str(r, j, "cpu_name", "cpu_name", m->cpu_name, sizeof m->cpu_name) ||
        !rd_u32(r, j, "cpu_cores", "cpu_cores", 1u << 16, &m->cpu_cores, NULL) ||
        !rd_u64(r, j, "ram_bytes", "ram_bytes", 1, OG_SNAPSHOT_MAX_BYTES, &m->ram_bytes, NULL) ||
        !rd_u64(r, j, "page_size_bytes", "page_size_bytes", 0, 1u << 30, &page, NULL) ||
        !rd_u64(r, j, "swap_total_bytes", "swap_total_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                &m->swap_total_bytes, NULL) ||
        !rd_u64(r, j, "swap_used_bytes", "swap_used_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                &m->swap_used_bytes, NULL) ||
        !rd_u64(r, j, "swapouts_pages", "swapouts_pages", 0, UINT64_MAX >> 2, &m->swapouts, NULL) ||
        !rd_str(r, j, "pressure", "pressure", pressure, sizeof pressure))
        return 0;
    if (m->ram_bytes == 0)
        return fail(r, "ram_bytes", "must be more than 0");
    if (page && (page < 512 || (page & (page - 1))))
        return fail(r, "page_size_bytes", "must be a power of two of at least 512");
    m->page_size = page;
    if (m->swap_used_bytes > m->swap_total_bytes)
        return fail(r, "swap_used_bytes", "is larger than swap_total_bytes");
    og_pressure pl = OG_PRESSURE_UNKNOWN;
    for (int i = 0; i <= OG_PRESSURE_CRITICAL; i++)
        if (strcmp(pressure, og_pressure_name((og_pressure)i)) == 0)
            pl = (og_pressure)i;
    if (pl == OG_PRESSURE_UNKNOWN && strcmp(pressure, "unknown") != 0)
        return fail(r, "pressure", "must be normal, warn, critical or unknown");
    m->pressure = pl;

    json_t *mac = NULL;
    if (!rd_obj(r, j, "macos", "macos", &mac))
        return 0;
    if (mac) {
        int k = 0;
        json_t *pages = NULL;
        if (!rd_bool(r, mac, "apple_silicon", "macos.apple_silicon", &m->apple_silicon) ||
            !rd_str(r, mac, "chip", "macos.chip", m->chip, sizeof m->chip) ||
            !rd_u32(r, mac, "gpu_cores", "macos.gpu_cores", 4096, &m->gpu_cores, NULL) ||
            !rd_u32(r, mac, "macos_major", "macos.macos_major", 1000, &m->macos_major, NULL) ||
            !rd_u32(r, mac, "wired_limit_mb", "macos.wired_limit_mb",
                    (uint32_t)(OG_SNAPSHOT_MAX_BYTES / MIB), &m->wired_limit_mb,
                    &m->wired_limit_known) ||
            !rd_u64(r, mac, "metal_recommended_working_set_bytes",
                    "macos.metal_recommended_working_set_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                    &m->metal_recommended_working_set_bytes, NULL) ||
            !rd_u64(r, mac, "metal_max_buffer_bytes", "macos.metal_max_buffer_bytes", 0,
                    OG_SNAPSHOT_MAX_BYTES, &m->metal_max_buffer_bytes, NULL) ||
            !rd_u64(r, mac, "gpu_in_use_bytes", "macos.gpu_in_use_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                    &m->gpu_in_use_bytes, &m->gpu_in_use_known) ||
            !rd_bool(r, mac, "metal_derived", "macos.metal_derived", &m->metal_derived) ||
            !rd_obj(r, mac, "pages", "macos.pages", &pages))
            return 0;
        (void)k;
        if (pages) {
            if (!m->page_size)
                return fail(r, "page_size_bytes", "missing (required with macos.pages)");
            uint64_t maxp = m->ram_bytes / m->page_size + 1;
            struct {
                const char *k;
                uint64_t *v;
            } pk[] = {{"free", &m->pages_free},
                      {"active", &m->pages_active},
                      {"inactive", &m->pages_inactive},
                      {"speculative", &m->pages_speculative},
                      {"wired", &m->pages_wired},
                      {"purgeable", &m->pages_purgeable},
                      {"compressed", &m->pages_compressed},
                      {"file_backed", &m->pages_file_backed}};
            for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++) {
                char path[48];
                snprintf(path, sizeof path, "macos.pages.%s", pk[i].k);
                if (!rd_u64(r, pages, pk[i].k, path, 1, maxp, pk[i].v, NULL))
                    return 0;
            }
            m->pages_known = 1;
        }
    }

    json_t *lx = NULL;
    if (!rd_obj(r, j, "linux", "linux", &lx))
        return 0;
    if (lx) {
        json_t *mi = NULL, *psi = NULL, *cg = NULL;
        if (!rd_obj(r, lx, "meminfo", "linux.meminfo", &mi) ||
            !rd_obj(r, lx, "psi", "linux.psi", &psi) ||
            !rd_obj(r, lx, "cgroup", "linux.cgroup", &cg) ||
            !rd_u64(r, lx, "ttm_pages_limit", "linux.ttm_pages_limit", 0,
                    OG_SNAPSHOT_MAX_BYTES / 4096, &m->ttm_pages_limit, NULL))
            return 0;
        if (mi) {
            if (!rd_u64(r, mi, "mem_available_bytes", "linux.meminfo.mem_available_bytes", 1,
                        m->ram_bytes, &m->mem_available_bytes, NULL) ||
                !rd_u64(r, mi, "mem_free_bytes", "linux.meminfo.mem_free_bytes", 0, m->ram_bytes,
                        &m->mem_free_bytes, NULL) ||
                !rd_u64(r, mi, "cached_bytes", "linux.meminfo.cached_bytes", 0, m->ram_bytes,
                        &m->cached_bytes, NULL) ||
                !rd_u64(r, mi, "buffers_bytes", "linux.meminfo.buffers_bytes", 0, m->ram_bytes,
                        &m->buffers_bytes, NULL))
                return 0;
            m->meminfo_known = 1;
        }
        if (psi) {
            if (!rd_percent(r, psi, "some_avg10_percent", "linux.psi.some_avg10_percent",
                            &m->psi_some_avg10) ||
                !rd_percent(r, psi, "full_avg10_percent", "linux.psi.full_avg10_percent",
                            &m->psi_full_avg10))
                return 0;
            m->psi_known = 1;
        }
        if (cg) {
            if (!rd_str(r, cg, "path", "linux.cgroup.path", m->cgroup_path,
                        sizeof m->cgroup_path) ||
                !rd_u64(r, cg, "limit_bytes", "linux.cgroup.limit_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                        &m->cgroup_limit_bytes, NULL) ||
                !rd_u64(r, cg, "high_bytes", "linux.cgroup.high_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                        &m->cgroup_high_bytes, NULL) ||
                !rd_u64(r, cg, "usage_bytes", "linux.cgroup.usage_bytes", 0, OG_SNAPSHOT_MAX_BYTES,
                        &m->cgroup_usage_bytes, NULL))
                return 0;
            m->cgroup_known = 1;
        }
    }

    json_t *gpus = get(j, "gpus", &present);
    if (present) {
        if (!json_is_array(gpus))
            return fail(r, "gpus", "must be an array");
        if (json_array_size(gpus) > OG_MAX_GPUS)
            return fail(r, "gpus", "more than 16 GPUs");
        for (size_t i = 0; i < json_array_size(gpus); i++) {
            if (!rd_gpu(r, json_array_get(gpus, i), (uint32_t)i, &m->gpus[i]))
                return 0;
            m->n_gpus++;
        }
    }
    json_t *src = get(j, "sources", &present);
    if (present) {
        if (!json_is_array(src))
            return fail(r, "sources", "must be an array");
        for (size_t i = 0; i < json_array_size(src) && i < OG_MAX_SOURCES; i++) {
            json_t *e = json_array_get(src, i);
            char p[48];
            snprintf(p, sizeof p, "sources[%zu]", i);
            if (!json_is_object(e))
                return fail(r, p, "must be an object");
            og_source_status *s = &m->sources[m->n_sources];
            char pn[64], pr[64];
            snprintf(pn, sizeof pn, "%s.name", p);
            snprintf(pr, sizeof pr, "%s.reason", p);
            if (!rd_str(r, e, "name", pn, s->name, sizeof s->name) ||
                !rd_bool(r, e, "ok", p, &s->ok) ||
                !rd_str(r, e, "reason", pr, s->reason, sizeof s->reason))
                return 0;
            m->n_sources++;
        }
    }
    return 1;
}

og_status og_machine_from_json(const char *text, size_t len, const char *name, og_machine *m,
                               og_error *err)
{
    og_machine_init(m);
    if (!name)
        name = "snapshot";
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return og_error_set(err, OG_ERR_INVALID, "%s: not valid JSON at line %d column %d: %s",
                            name, je.line, je.column, je.text);
    rd r = {name, err, OG_OK};
    int ok = rd_machine(&r, j, m);
    json_decref(j);
    if (!ok) {
        og_machine_init(m);
        return r.st != OG_OK ? r.st : og_error_set(err, OG_ERR_INVALID, "%s: invalid", name);
    }
    og_error_clear(err);
    return OG_OK;
}

og_status og_machine_load(const char *arg, og_machine *m, og_error *err)
{
    if (!arg || !*arg)
        return og_error_set(err, OG_ERR_INVALID, "empty machine name");
    struct stat st;
    int is_file = stat(arg, &st) == 0;
    int looks_like_path = strchr(arg, '/') != NULL || og_has_suffix(arg, ".json");
    if (!is_file && !looks_like_path) {
        og_status s = og_machine_preset(arg, m, err);
        if (s != OG_ERR_NOT_FOUND)
            return s;
        return og_error_set(err, OG_ERR_NOT_FOUND,
                            "unknown machine '%s': not a preset name (list them with "
                            "'oomguard machine --list') and no such snapshot file",
                            arg);
    }
    char *text = NULL;
    size_t len = 0;
    og_status s = og_read_small_file(arg, OG_SNAPSHOT_MAX_FILE, &text, &len, err);
    if (s != OG_OK)
        return s;
    s = og_machine_from_json(text, len, arg, m, err);
    free(text);
    return s;
}
