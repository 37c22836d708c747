/* oomguard machine: what this machine (or a saved / preset one) can give. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The temporary file of a save in progress, removed by the signal handler
 * when the save is interrupted (no .tmp files left after a kill). */
static char save_tmp[4096];
static volatile sig_atomic_t save_tmp_live;

static void on_save_signal(int sig)
{
    if (save_tmp_live)
        unlink(save_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Write text + newline to path without losing what was there: a regular file
 * (or a new one) is written to a fresh temporary file in the same folder
 * (mkstemp: an unpredictable name, created exclusively, so a planted symlink
 * is never followed) and renamed over it, so a failed write leaves the old
 * file as it was; an interrupting signal removes the temporary file. Anything
 * else (/dev/stdout, a pipe) is written in place. Returns 0 or an errno. */
static int save_file(const char *path, const char *text)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return errno;
    if (exists && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(path, "w");
        if (!f)
            return errno;
        int e = 0;
        if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
            e = errno ? errno : EIO;
        if (fclose(f) != 0 && !e)
            e = errno ? errno : EIO;
        return e;
    }
    if ((size_t)snprintf(save_tmp, sizeof save_tmp, "%s.tmp.XXXXXX", path) >= sizeof save_tmp)
        return ENAMETOOLONG;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa, old[4];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_save_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    int fd = mkstemp(save_tmp);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        save_tmp_live = 1;
        mode_t um = umask(0);
        umask(um);
        if (fchmod(fd, 0666 & ~um) != 0)
            e = errno;
        size_t len = strlen(text), off = 0;
        while (!e && off <= len) {
            const char *chunk = off < len ? text + off : "\n";
            size_t n = off < len ? len - off : 1;
            ssize_t w = write(fd, chunk, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                e = errno ? errno : EIO;
            else
                off += (size_t)w;
        }
        const char *pause = getenv("OOMGUARD_TEST_SAVE_PAUSE_MS"); /* tests: a kill mid-save */
        if (pause)
            usleep((useconds_t)atoi(pause) * 1000);
        if (close(fd) != 0 && !e)
            e = errno;
        if (!e && rename(save_tmp, path) != 0)
            e = errno;
        if (e)
            unlink(save_tmp);
        save_tmp_live = 0;
    }
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
    return e;
}

enum { O_JSON, O_SAVE, O_MACHINE, O_LIST };
typedef struct machine_opts {
    int json, list;
    const char *save, *machine;
} machine_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    machine_opts *o = ctx;
    (void)name;
    if (id == O_JSON)
        o->json = 1;
    else if (id == O_SAVE)
        o->save = v->str;
    else if (id == O_MACHINE)
        o->machine = v->str;
    else if (id == O_LIST)
        o->list = 1;
    return 0;
}

static const cli_opt options[] = {
    {O_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL,
     "machine-readable output: the snapshot (docs/SNAPSHOT.md)\nplus a \"budget\" object", 0, 0, 0},
    {O_SAVE, "--save", NULL, CLI_T_FILE, "FILE", NULL,
     "write the snapshot as JSON to FILE (use it later with\n--machine FILE on any command, on "
     "any computer)",
     0, 0, 0},
    {O_MACHINE, "--machine", NULL, CLI_T_MACHINE, NULL, NULL,
     "describe a preset (e.g. m4-pro-48gb, rtx-4090) or a saved\nsnapshot instead of probing "
     "this machine",
     0, 0, 0},
    {O_LIST, "--list", NULL, CLI_T_FLAG, NULL, NULL, "list the built-in presets", 0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_machine = {
    .name = "machine",
    .summary = "what this machine can give: memory, GPU pool, pressure, swap",
    .usage = "[--json] [--save FILE] [--machine NAME|FILE] [--list]",
    .description =
        "What this machine can give a model: memory, the GPU pool (on a Mac: the GPU\n"
        "wired limit), pressure, swap, GPUs and their per-process use, and the budget a\n"
        "plan may use (docs/MACHINE.md). A source that cannot be read is shown as\n"
        "unknown with the reason.",
    .pos = CLI_POS_NONE,
    .min_pos = 0,
    .max_pos = 0,
    .after = "Exit codes: 0 ok, 2 bad input (unknown preset, malformed snapshot, bad flag),\n"
             "            3 this machine could not be probed.",
    .groups = {&group},
};

static json_t *budget_json(const og_budget *b)
{
    json_t *j = json_object();
    json_object_set_new(j, "unified", json_boolean(b->unified));
    json_object_set_new(j, "has_gpu", json_boolean(b->has_gpu));
    json_object_set_new(j, "gpu_bytes", cli_json_u64(b->gpu_bytes));
    json_object_set_new(j, "gpu_total_bytes", cli_json_u64(b->gpu_total_bytes));
    json_object_set_new(j, "host_bytes", cli_json_u64(b->host_bytes));
    json_object_set_new(j, "reclaimable_bytes", cli_json_u64(b->reclaimable_bytes));
    json_object_set_new(j, "margin_bytes", cli_json_u64(b->margin_bytes));
    json_object_set_new(j, "others_gpu_bytes", cli_json_u64(b->others_gpu_bytes));
    if (b->wired_limit_bytes) {
        json_object_set_new(j, "wired_limit_bytes", cli_json_u64(b->wired_limit_bytes));
        json_object_set_new(j, "wired_limit_is_default", json_boolean(b->wired_limit_is_default));
    }
    json_t *d = json_array();
    for (uint32_t i = 0; i < b->n_devices; i++)
        json_array_append_new(d, json_pack("{s:s, s:b, s:I, s:I, s:I}", "name", b->devices[i].name,
                                           "unified", b->devices[i].unified, "total_bytes",
                                           (json_int_t)b->devices[i].total_bytes, "free_bytes",
                                           (json_int_t)b->devices[i].free_bytes, "usable_bytes",
                                           (json_int_t)b->devices[i].usable_bytes));
    json_object_set_new(j, "devices", d);
    json_object_set_new(j, "basis", json_string(b->basis));
    return j;
}

static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(const char *label, const char *fmt, ...)
{
    va_list ap;
    printf("  %-22s ", label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void print_human(const og_machine *m, const og_budget *b)
{
    FILE *o = stdout;
    const char *B = cli_c(o, CLI_BOLD), *R = cli_c(o, CLI_RESET), *D = cli_c(o, CLI_DIM);
    if (m->preset[0])
        printf("%sMachine%s  preset %s (a fresh machine: nothing in use)\n", B, R, m->preset);
    else
        printf("%sMachine%s  %s%s%s\n", B, R, m->hostname[0] ? m->hostname : "(this machine)",
               m->os_version[0] ? " — " : "", m->os_version);
    if (m->cpu_name[0] || m->cpu_cores)
        row("CPU", "%s%s%u cores", m->cpu_name, m->cpu_name[0] ? ", " : "", m->cpu_cores);
    row("RAM", "%s", cli_bytes(m->ram_bytes));
    int mac = m->os == OG_OS_MACOS || m->apple_silicon;
    if (mac) {
        if (m->chip[0])
            row("Chip", "%s, %u GPU cores", m->chip, m->gpu_cores);
        if (m->pages_known) {
            uint64_t ps = m->page_size;
            row("Pages", "free %s, speculative %s, inactive %s, purgeable %s",
                cli_bytes(m->pages_free * ps), cli_bytes(m->pages_speculative * ps),
                cli_bytes(m->pages_inactive * ps), cli_bytes(m->pages_purgeable * ps));
            row("", "active %s, wired %s, compressor %s, file-backed %s",
                cli_bytes(m->pages_active * ps), cli_bytes(m->pages_wired * ps),
                cli_bytes(m->pages_compressed * ps), cli_bytes(m->pages_file_backed * ps));
            row("Reclaimable", "%s (free + speculative + inactive + purgeable)",
                cli_bytes(og_machine_reclaimable_bytes(m)));
        } else {
            row("Pages", "%sunknown%s", D, R);
        }
        uint64_t def = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
        if (m->wired_limit_known && m->wired_limit_mb)
            row("GPU wired limit", "%u MiB (iogpu.wired_limit_mb; the default is %s)",
                m->wired_limit_mb, cli_bytes(def));
        else
            row("GPU wired limit", "%s (%s)", cli_bytes(def),
                m->wired_limit_known ? "iogpu.wired_limit_mb = 0: the default for this RAM"
                                     : "unknown; the default for this RAM");
        row("Recommended limit", "%u MiB (sudo sysctl iogpu.wired_limit_mb=%u)",
            og_recommended_wired_limit_mb(m->ram_bytes),
            og_recommended_wired_limit_mb(m->ram_bytes));
        if (m->metal_recommended_working_set_bytes)
            row("Metal working set", "%s%s, max buffer %s",
                cli_bytes(m->metal_recommended_working_set_bytes),
                m->metal_derived ? " (derived)" : "", cli_bytes(m->metal_max_buffer_bytes));
        row("GPU memory in use", "%s",
            m->gpu_in_use_known ? cli_bytes(m->gpu_in_use_bytes) : "unknown");
    } else {
        if (m->meminfo_known)
            row("Available", "%s (MemAvailable); free %s, cached %s",
                cli_bytes(m->mem_available_bytes), cli_bytes(m->mem_free_bytes),
                cli_bytes(m->cached_bytes));
        if (m->cgroup_known) {
            if (m->cgroup_limit_bytes || m->cgroup_high_bytes)
                row("cgroup", "%s: limit %s%s, using %s", m->cgroup_path,
                    cli_bytes(m->cgroup_limit_bytes ? m->cgroup_limit_bytes : m->cgroup_high_bytes),
                    m->cgroup_limit_bytes ? "" : " (memory.high)",
                    cli_bytes(m->cgroup_usage_bytes));
            else
                row("cgroup", "%s: no memory limit, using %s", m->cgroup_path,
                    cli_bytes(m->cgroup_usage_bytes));
        }
        if (m->ttm_pages_limit)
            row("ttm.pages_limit", "%llu pages (%s of GTT)", (unsigned long long)m->ttm_pages_limit,
                cli_bytes(m->ttm_pages_limit * 4096));
    }
    row("Swap", "%s used of %s", cli_bytes(m->swap_used_bytes), cli_bytes(m->swap_total_bytes));
    if (m->psi_known)
        row("Pressure", "%s (PSI some %.2f %%, full %.2f %% of the last 10 s)",
            og_pressure_name(m->pressure), m->psi_some_avg10, m->psi_full_avg10);
    else
        row("Pressure", "%s", og_pressure_name(m->pressure));

    for (uint32_t i = 0; i < m->n_gpus; i++) {
        const og_gpu *g = &m->gpus[i];
        char label[32];
        snprintf(label, sizeof label, "GPU %u", i);
        if (g->mem_known)
            row(label, "%s%s: %s used of %s", g->name, g->unified ? " (unified)" : "",
                cli_bytes(g->used_bytes), cli_bytes(g->total_bytes));
        else
            row(label, "%s%s: memory unknown", g->name, g->unified ? " (unified)" : "");
        if (g->vendor == OG_GPU_AMD)
            row("", "VRAM %s used of %s, GTT %s used of %s", cli_bytes(g->vram_used_bytes),
                cli_bytes(g->vram_total_bytes), cli_bytes(g->gtt_used_bytes),
                cli_bytes(g->gtt_total_bytes));
        for (uint32_t k = 0; k < g->n_procs; k++)
            row("", "pid %d holds %s", g->procs[k].pid, cli_bytes(g->procs[k].bytes));
    }

    printf("%sBudget%s\n", B, R);
    if (b->has_gpu)
        row("GPU usable", "%s of %s%s", cli_bytes(b->gpu_bytes), cli_bytes(b->gpu_total_bytes),
            b->unified ? " (shared with the host)" : "");
    else
        row("GPU usable", "none");
    if (b->others_gpu_bytes)
        row("Others hold on GPU", "%s", cli_bytes(b->others_gpu_bytes));
    row("Host usable", "%s", cli_bytes(b->host_bytes));
    row("Margin kept", "%s per pool", cli_bytes(b->margin_bytes));
    printf("  %s%s%s\n", D, b->basis, R);

    int unknown = 0;
    for (uint32_t i = 0; i < m->n_sources; i++)
        unknown += !m->sources[i].ok;
    if (unknown) {
        printf("%sUnknown%s\n", B, R);
        for (uint32_t i = 0; i < m->n_sources; i++)
            if (!m->sources[i].ok)
                row(m->sources[i].name, "%s", m->sources[i].reason);
    }
}

int cmd_machine(int argc, char **argv)
{
    machine_opts opt = {0};
    void *ctx[] = {&opt};
    int prc = cli_parse(&cli_spec_machine, argc, argv, ctx, NULL);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    int json = opt.json, list = opt.list;
    const char *save = opt.save, *machine = opt.machine;

    if (list) {
        if (json) {
            json_t *a = json_array();
            for (uint32_t i = 0; i < og_machine_preset_count(); i++)
                json_array_append_new(a, json_pack("{s:s, s:s}", "name", og_machine_preset_name(i),
                                                   "summary", og_machine_preset_summary(i)));
            return cli_print_json(a);
        }
        for (uint32_t i = 0; i < og_machine_preset_count(); i++)
            printf("%-18s %s\n", og_machine_preset_name(i), og_machine_preset_summary(i));
        return OG_EXIT_OK;
    }

    og_machine *m = malloc(sizeof *m);
    og_budget *b = malloc(sizeof *b);
    if (!m || !b) {
        free(m);
        free(b);
        fprintf(stderr, "oomguard: out of memory\n");
        return OG_EXIT_INTERNAL;
    }
    og_error err;
    og_status st = machine ? og_machine_load(machine, m, &err) : og_machine_probe(m, &err);
    int rc = OG_EXIT_OK;
    if (st != OG_OK) {
        rc = machine ? cli_fail(&err) : (cli_fail(&err), OG_EXIT_INTERNAL);
        goto out;
    }
    og_machine_budget(m, b);
    if (save) {
        char *s = og_machine_to_json(m);
        if (!s) {
            fprintf(stderr, "oomguard machine: cannot write %s: out of memory\n", save);
            rc = OG_EXIT_INTERNAL;
            goto out;
        }
        int werr = save_file(save, s);
        free(s);
        if (werr) {
            fprintf(stderr, "oomguard machine: cannot write %s: %s\n", save, strerror(werr));
            rc = OG_EXIT_USAGE;
            goto out;
        }
        if (!json)
            fprintf(stderr, "oomguard: snapshot saved to %s\n", save);
    }
    if (json) {
        char *s = og_machine_to_json(m);
        json_error_t je;
        json_t *j = s ? json_loads(s, 0, &je) : NULL;
        free(s);
        if (j)
            json_object_set_new(j, "budget", budget_json(b));
        rc = cli_print_json(j);
    } else {
        print_human(m, b);
    }
out:
    free(m);
    free(b);
    return rc;
}
