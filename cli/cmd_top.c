/* oomguard top: processes by memory footprint (macOS physical footprint;
 * Linux PSS, or RSS where PSS cannot be read), GPU memory per process where
 * the platform tells (the probe's per-process GPU lists: NVML, DRM fdinfo),
 * and the known heavy applications named (og_app_classify, procs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

enum { O_JSON, O_N, O_SORT };
typedef struct top_opts {
    int json, sort_gpu;
    long n_show;
} top_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    top_opts *o = ctx;
    (void)name;
    if (id == O_JSON)
        o->json = 1;
    else if (id == O_N)
        o->n_show = (long)v->u;
    else if (id == O_SORT)
        o->sort_gpu = v->choice == 1;
    return 0;
}

static const cli_opt options[] = {
    {O_N, "-n", NULL, CLI_T_COUNT, "N", NULL,
     "show N processes (default: what fits the terminal; --json:\nall)", 0, 1, 1000000},
    {O_SORT, "--sort", NULL, CLI_T_CHOICE, NULL, "footprint gpu",
     "order by footprint (default) or GPU memory", 0, 0, 0},
    {O_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL, "machine-readable output", 0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_top = {
    .name = "top",
    .summary = "who holds the memory: processes by footprint and GPU memory",
    .usage = "[-n N] [--sort footprint|gpu] [--json]",
    .description =
        "Processes by memory footprint: on macOS the physical footprint (what Activity\n"
        "Monitor shows, Metal buffers included); on Linux the proportional set size (PSS),\n"
        "or the resident set size (RSS) where PSS cannot be read (the FOOT column says\n"
        "which). GPU memory per process where the platform tells (NVIDIA NVML, AMD DRM\n"
        "fdinfo), known heavy apps named (browsers, Electron apps, Xcode, Docker, creative\n"
        "apps, other model runners), and a total line.",
    .pos = CLI_POS_NONE,
    .min_pos = 0,
    .max_pos = 0,
    .after = "Exit codes: 0 ok, 2 bad input or usage, 3 internal error (no process list).",
    .groups = {&group},
};

static int by_footprint(const void *a, const void *b)
{
    const og_proc *x = a, *y = b;
    if (x->footprint_bytes != y->footprint_bytes)
        return x->footprint_bytes > y->footprint_bytes ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int by_gpu(const void *a, const void *b)
{
    const og_proc *x = a, *y = b;
    if (x->gpu_bytes != y->gpu_bytes)
        return x->gpu_bytes > y->gpu_bytes ? -1 : 1;
    return by_footprint(a, b);
}

static int term_rows(void)
{
    const char *l = getenv("LINES");
    if (l && atoi(l) > 5)
        return atoi(l);
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 5)
        return ws.ws_row;
    return 25;
}

static const char *kind_short(og_mem_kind k)
{
    switch (k) {
    case OG_MEM_PHYS_FOOTPRINT:
        return "phys";
    case OG_MEM_PSS:
        return "pss";
    case OG_MEM_RSS:
        return "rss";
    case OG_MEM_UNKNOWN:
        break;
    }
    return "?";
}

int cmd_top(int argc, char **argv)
{
    top_opts opt = {0, 0, -1};
    void *ctx[] = {&opt};
    int prc = cli_parse(&cli_spec_top, argc, argv, ctx, NULL);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    int json = opt.json, sort_gpu = opt.sort_gpu;
    long n_show = opt.n_show;
    og_error err;

    og_proc_list l = {0};
    if (og_procs_list(&l, OG_PROCS_ALL, &err) != OG_OK)
        return cli_fail(&err);
    /* per-process GPU memory from the probe (NVML, DRM fdinfo) */
    og_machine *m = calloc(1, sizeof *m);
    int gpu_known = 0;
    if (m && og_machine_probe(m, &err) == OG_OK) {
        for (uint32_t g = 0; g < m->n_gpus; g++) {
            const og_gpu *gpu = &m->gpus[g];
            if (!gpu->procs_known)
                continue;
            gpu_known = 1;
            int32_t pids[OG_MAX_GPU_PROCS];
            uint64_t bytes[OG_MAX_GPU_PROCS];
            uint32_t n = gpu->n_procs < OG_MAX_GPU_PROCS ? gpu->n_procs : OG_MAX_GPU_PROCS;
            for (uint32_t i = 0; i < n; i++) {
                pids[i] = gpu->procs[i].pid;
                bytes[i] = gpu->procs[i].bytes;
            }
            og_procs_add_gpu(&l, pids, bytes, n);
        }
    }
    qsort(l.procs, l.n, sizeof *l.procs, sort_gpu ? by_gpu : by_footprint);

    uint64_t tot_fp = 0, tot_gpu = 0;
    uint32_t n_pss = 0, n_rss = 0, n_phys = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        tot_fp += l.procs[i].footprint_bytes;
        tot_gpu += l.procs[i].gpu_bytes;
        switch (l.procs[i].footprint_kind) {
        case OG_MEM_PSS:
            n_pss++;
            break;
        case OG_MEM_RSS:
            n_rss++;
            break;
        case OG_MEM_PHYS_FOOTPRINT:
            n_phys++;
            break;
        case OG_MEM_UNKNOWN:
            break;
        }
    }
    const char *basis = n_phys            ? "phys_footprint"
                        : n_rss && !n_pss ? "rss"
                        : n_rss           ? "pss+rss"
                                          : "pss";

    if (json) {
        json_t *arr = json_array();
        uint32_t lim = n_show > 0 && (uint32_t)n_show < l.n ? (uint32_t)n_show : l.n;
        for (uint32_t i = 0; i < lim; i++) {
            const og_proc *p = &l.procs[i];
            og_app_match am = og_app_classify(p->name, p->cmdline);
            json_t *o = json_pack(
                "{s:i, s:i, s:s, s:s, s:I, s:s, s:I, s:I}", "pid", p->pid, "ppid", p->ppid, "name",
                p->name, "cmdline", p->cmdline, "footprint_bytes", (json_int_t)p->footprint_bytes,
                "footprint_kind", og_mem_kind_name(p->footprint_kind), "rss_bytes",
                (json_int_t)p->rss_bytes, "gpu_bytes", (json_int_t)p->gpu_bytes);
            json_object_set_new(o, "app", am.app ? json_string(am.app) : json_null());
            json_object_set_new(o, "app_class",
                                am.cls ? json_string(og_app_class_name(am.cls)) : json_null());
            json_array_append_new(arr, o);
        }
        json_t *j =
            json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:o}", "footprint_basis", basis,
                      "gpu_per_process_known", gpu_known, "n_processes", (json_int_t)l.n,
                      "n_rss_fallback", (json_int_t)n_rss, "total_footprint_bytes",
                      (json_int_t)tot_fp, "total_gpu_bytes", (json_int_t)tot_gpu, "processes", arr);
        og_proc_list_free(&l);
        free(m);
        return cli_print_json(j);
    }

    int width = cli_term_width();
    uint32_t lim = (uint32_t)(n_show > 0 ? n_show : term_rows() - 5);
    if (lim > l.n)
        lim = l.n;
    const char *B = cli_c(stdout, CLI_BOLD), *D = cli_c(stdout, CLI_DIM),
               *R = cli_c(stdout, CLI_RESET);
    printf("%s%-8s %10s %-4s %10s  %-12s %s%s\n", D, "PID", "FOOTPRINT", "FOOT", "GPU", "APP",
           "COMMAND", R);
    int cmdw = width - 8 - 1 - 10 - 1 - 4 - 1 - 10 - 2 - 12 - 1;
    if (cmdw < 16)
        cmdw = 16;
    for (uint32_t i = 0; i < lim; i++) {
        const og_proc *p = &l.procs[i];
        og_app_match am = og_app_classify(p->name, p->cmdline);
        char gpu[32];
        snprintf(gpu, sizeof gpu, "%s", p->gpu_bytes ? cli_bytes(p->gpu_bytes) : "-");
        const char *cmd = p->cmdline[0] ? p->cmdline : p->name;
        printf("%-8d %10s %-4s %10s  %s%-12.12s%s %.*s\n", p->pid, cli_bytes(p->footprint_bytes),
               kind_short(p->footprint_kind), gpu, am.app ? B : "", am.app ? am.app : "",
               am.app ? R : "", cmdw, cmd);
    }
    printf("%sTOTAL%s    %10s %-4s %10s  %u processes%s\n", B, R, cli_bytes(tot_fp), "",
           tot_gpu ? cli_bytes(tot_gpu) : "-", l.n,
           lim < l.n ? " (oomguard top -n N shows more)" : "");
    printf("%sfootprint: %s%s%s; GPU per process: %s%s\n", D,
           n_phys  ? "macOS physical footprint"
           : n_pss ? "Linux PSS (shared pages split between users)"
                   : "Linux RSS (PSS unreadable; shared pages counted in each)",
           n_rss && n_pss ? "" : "",
           n_rss && n_pss ? ", RSS where PSS could not be read (rss)" : "",
           gpu_known ? "from the GPU driver" : "not reported on this machine", R);
    og_proc_list_free(&l);
    free(m);
    return OG_EXIT_OK;
}
