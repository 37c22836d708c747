/* oomguard run [options] -- COMMAND [ARGS...]: run a command, watch its
 * process tree and the machine's memory, and stop it before the machine
 * freezes. The child keeps stdin/stdout/stderr; oomguard writes only to
 * stderr (and stdout for --json, after the child is done). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine_opts.h"
#include "decide_cli.h"
#include "oomguard/catalog.h"
#include "oomguard/history.h"
#include "oomguard/llama.h"
#include "oomguard/mlx.h"
#include "oomguard/procs.h"
#include "oomguard/watch.h"

#define OG_EXIT_GUARD 4

/* ---- small parsers ---- */

/* "100ms", "0.5s", "2" (seconds). */
static int parse_duration(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || v > 86400)
        return 0;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (*end && strcmp(end, "s") != 0)
        return 0;
    *out = v;
    return 1;
}

/* ---- options ---- */

enum {
    R_INTERVAL,
    R_GPU_INTERVAL,
    R_QUIET,
    R_GUARD,
    R_NO_GUARD,
    R_MAX_MEM,
    R_MIN_AVAIL,
    R_SWAP_RATE,
    R_NO_PRESSURE,
    R_GRACE,
    R_MEM,
    R_STRICT,
    R_FORCE,
    R_REPORT,
    R_LOG,
    R_JSON,
    R_STDOUT,
    R_NO_HISTORY,
    R_CLUSTER,
    R_CLUSTER_MODEL
};

typedef struct run_opts {
    double interval, gpu_interval, grace;
    int quiet, guard_opt, no_pressure, strict, force, json, no_history, min_avail_set;
    uint64_t max_mem, min_avail, swap_rate, mem;
    const char *report, *log_path, *child_stdout;
    const char *cluster, *cluster_model; /* llama.cpp RPC: the hosts, rpc-server's model */
} run_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    run_opts *o = ctx;
    switch (id) {
    case R_INTERVAL:
        if (!parse_duration(v->str, &o->interval) || o->interval < 0.01)
            return cli_usage_error(
                "run", "%s '%s': give a duration of at least 10ms ('100ms', '0.5s')", name, v->str);
        break;
    case R_GPU_INTERVAL:
    case R_GRACE:
        if (!parse_duration(v->str, id == R_GRACE ? &o->grace : &o->gpu_interval))
            return cli_usage_error("run", "%s '%s': not a duration", name, v->str);
        break;
    case R_QUIET:
        o->quiet = 1;
        break;
    case R_GUARD:
        o->guard_opt = 1;
        break;
    case R_NO_GUARD:
        o->guard_opt = 0;
        break;
    case R_MAX_MEM:
        if (!v->u)
            return cli_usage_error("run", "%s must be more than 0", name);
        o->max_mem = v->u;
        break;
    case R_MIN_AVAIL:
        o->min_avail = v->u;
        o->min_avail_set = 1;
        break;
    case R_SWAP_RATE:
        o->swap_rate = v->u;
        break;
    case R_NO_PRESSURE:
        o->no_pressure = 1;
        break;
    case R_MEM:
        if (!v->u)
            return cli_usage_error("run", "%s must be more than 0", name);
        o->mem = v->u;
        break;
    case R_STRICT:
        o->strict = 1;
        break;
    case R_FORCE:
        o->force = 1;
        break;
    case R_REPORT:
        o->report = v->str;
        break;
    case R_LOG:
        o->log_path = v->str;
        break;
    case R_JSON:
        o->json = 1;
        break;
    case R_STDOUT:
        o->child_stdout = v->str;
        break;
    case R_CLUSTER:
        o->cluster = v->str;
        break;
    case R_CLUSTER_MODEL:
        o->cluster_model = v->str;
        break;
    case R_NO_HISTORY:
        o->no_history = 1;
        break;
    }
    return 0;
}

static const cli_opt watch_opts[] = {
    {R_INTERVAL, "--interval", NULL, CLI_T_STR, "DUR", NULL,
     "sampling interval (default 100ms; '250ms', '0.5s', '1')", 0, 0, 0},
    {R_GPU_INTERVAL, "--gpu-interval", NULL, CLI_T_STR, "DUR", NULL,
     "how often to read GPU memory (default 1s)", 0, 0, 0},
    {R_QUIET, "--quiet", NULL, CLI_T_FLAG, NULL, NULL,
     "no live status line (it is drawn only when stderr is a TTY)", 0, 0, 0},
};
static const cli_opt guard_opts[] = {
    {R_GUARD, "--guard", NULL, CLI_T_FLAG, NULL, NULL, "force the guard on", 0, 0, 0},
    {R_NO_GUARD, "--no-guard", NULL, CLI_T_FLAG, NULL, NULL, "force the guard off", 0, 0, 0},
    {R_MAX_MEM, "--max-mem", NULL, CLI_T_SIZE, "SIZE", NULL,
     "stop when the tree's memory passes SIZE (turns the guard on)", 0, 0, 0},
    {R_MIN_AVAIL, "--min-available", NULL, CLI_T_SIZE, "SIZE", NULL,
     "stop when system available memory falls under SIZE\n"
     "(default: 5 % of RAM, 256 MiB..1 GiB, at most half of what\n"
     "was available at the start)",
     0, 0, 0},
    {R_SWAP_RATE, "--swap-rate", NULL, CLI_T_SIZE, "SIZE", NULL,
     "stop when swap-out stays above SIZE per second for 3 s\n(default 64MiB; 0 turns it off)", 0,
     0, 0},
    {R_NO_PRESSURE, "--no-pressure", NULL, CLI_T_FLAG, NULL, NULL,
     "do not stop on critical memory pressure", 0, 0, 0},
    {R_GRACE, "--grace", NULL, CLI_T_STR, "SECONDS", NULL,
     "wait between SIGINT, SIGTERM and SIGKILL (default 3)", 0, 0, 0},
};
static const cli_opt preflight_opts[] = {
    {R_MEM, "--mem", NULL, CLI_T_SIZE, "SIZE", NULL,
     "plan against SIZE instead of this machine's budget", 0, 0, 0},
    {R_STRICT, "--strict", NULL, CLI_T_FLAG, NULL, NULL,
     "refuse to start when the settings do not fit", 0, 0, 0},
    {R_FORCE, "--force", NULL, CLI_T_FLAG, NULL, NULL, "start anyway (overrides --strict)", 0, 0,
     0},
    {R_CLUSTER, "--cluster", NULL, CLI_T_STR, "A,B,...", NULL,
     "llama.cpp RPC runs (llama-server with RPC servers, or\n"
     "rpc-server): every host, the llama-server host first, then its\n"
     "RPC servers in order: presets, snapshot files, or 'this' for\n"
     "this machine (default for llama-server: this machine, then one\n"
     "like it per RPC server)",
     0, 0, 0},
    {R_CLUSTER_MODEL, "--cluster-model", NULL, CLI_T_STR, "MODEL", NULL,
     "rpc-server: the model the llama-server host loads (its -m)", 0, 0, 0},
};
static const cli_opt report_opts[] = {
    {R_REPORT, "--report", NULL, CLI_T_FILE, "FILE.svg", NULL, "draw the timeline", 0, 0, 0},
    {R_LOG, "--log", NULL, CLI_T_FILE, "FILE.jsonl", NULL,
     "keep every sample (one JSON object a line)", 0, 0, 0},
    {R_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL,
     "print the summary as JSON on stdout when the command ends;\n"
     "stdout then carries only the JSON: the command's own stdout\n"
     "goes to stderr (or to --stdout FILE)",
     0, 0, 0},
    {R_STDOUT, "--stdout", NULL, CLI_T_FILE, "FILE", NULL,
     "send the command's stdout to FILE (truncated first)", 0, 0, 0},
    {R_NO_HISTORY, "--no-history", NULL, CLI_T_FLAG, NULL, NULL,
     "do not record this run in the history database", 0, 0, 0},
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
static const cli_group watch_group = {"Watch", NULL, watch_opts, N_OF(watch_opts), on_option};
static const cli_group guard_group = {
    "Guard (on by default for known engines: llama.cpp, MLX, Ollama)", NULL, guard_opts,
    N_OF(guard_opts), on_option};
static const cli_group preflight_group = {
    "Preflight (known engine commands)",
    "  Before starting llama-cli/llama-server (-m -c -ngl -np -ctk -ctv -fa -b -ub),\n"
    "  mlx_lm.generate/server (--model --max-kv-size --kv-bits) or `ollama run MODEL`,\n"
    "  the engine's memory plan is checked against this machine's budget and the\n"
    "  predicted peak is printed (and compared with the measured one at the end).\n"
    "  The engine settings below, given before the command, override the command's\n"
    "  own for the preflight only (the command runs as typed).",
    preflight_opts, N_OF(preflight_opts), on_option};
static const cli_group report_group = {"Report", NULL, report_opts, N_OF(report_opts), on_option};

const cli_spec cli_spec_run = {
    .name = "run",
    .summary = "run an inference command under watch; stop it before the machine freezes",
    .usage = "[options] [--] COMMAND [ARGS...]",
    .description =
        "Run COMMAND, watch the memory of its whole process tree and of the machine, and\n"
        "stop it before the machine freezes. The command keeps its stdin, stdout, stderr,\n"
        "signals (Ctrl-C reaches it first) and exit code. Options end at COMMAND.",
    .pos = CLI_POS_COMMAND,
    .min_pos = 1,
    .max_pos = -1,
    .after = "Exit codes: the command's own exit code; 128+N when it died of signal N;\n"
             "  4 when the guard stopped it; 1 when --strict refused to start it;\n"
             "  2 bad usage; 126/127 when COMMAND could not be run / was not found;\n"
             "  3 internal error. A command exit code equal to one of oomguard's own (1-4)\n"
             "  is told apart by --json (\"exit_code\", \"stopped_by\": \"command\"|\"guard\"|\n"
             "  \"oomguard\") and by the last stderr line; see docs/RUN.md.",
    .groups = {&watch_group, &guard_group, &preflight_group, &cli_llama_group, &cli_mlx_group,
               &report_group},
};

/* The engine settings given before the command override the command's own
 * for the preflight (not for the command: it runs as typed). Settings the
 * command line cannot carry are refused. Returns 0 or an exit code. */
static int apply_overrides(const cli_engine_opts *o, og_engine_cmd *e)
{
    unsigned g = o->given;
    if (g & (CLI_SET_OTHER | CLI_SET_BACKEND | CLI_SET_ENGINE) || o->mmproj || o->draft)
        return cli_usage_error("run", "only -c, -ngl, -np, -b, -ub, -ctk, -ctv, -fa, --kv-bits, "
                                      "--kv-group-size, --quantized-kv-start and --max-kv-size "
                                      "override the command's "
                                      "settings");
    if (g & CLI_SET_CTX)
        e->n_ctx = o->s.n_ctx;
    if (g & CLI_SET_MAX_KV)
        e->n_ctx = (int64_t)o->ms.max_kv_size; /* MLX: n_ctx is --max-kv-size */
    if (g & CLI_SET_NGL)
        e->n_gpu_layers = o->s.n_gpu_layers < 0 ? -2 : o->s.n_gpu_layers;
    if (g & CLI_SET_PARALLEL)
        e->n_parallel = o->s.n_parallel;
    if (g & CLI_SET_BATCH)
        e->n_batch = o->s.n_batch;
    if (g & CLI_SET_UBATCH)
        e->n_ubatch = o->s.n_ubatch;
    if (o->ctk)
        snprintf(e->cache_type_k, sizeof e->cache_type_k, "%s", o->ctk);
    if (o->ctv)
        snprintf(e->cache_type_v, sizeof e->cache_type_v, "%s", o->ctv);
    if (g & CLI_SET_FA)
        e->flash_attn = o->s.flash_attn == OG_FA_ON ? 1 : o->s.flash_attn == OG_FA_OFF ? 0 : 2;
    if (g & CLI_SET_KV_BITS)
        e->kv_bits = o->ms.kv_bits;
    if (g & CLI_SET_KV_GROUP)
        e->kv_group_size = o->ms.kv_group_size;
    if (g & CLI_SET_KV_START)
        e->quantized_kv_start = (int64_t)o->ms.quantized_kv_start;
    return 0;
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- signals ---- */

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t child_pid;

static void on_sigchld(int sig)
{
    (void)sig;
    int e = errno;
    if (sig_pipe[1] >= 0)
        (void)!write(sig_pipe[1], "c", 1);
    errno = e;
}

/* The child runs in a process group of its own, and on a terminal that group
 * is the foreground one: Ctrl-C and Ctrl-\ reach the child's group and not
 * oomguard. So every signal oomguard receives was sent to oomguard (kill PID)
 * or to oomguard's group (kill %1, kill -- -PGID), never to the child: passing
 * it on to the child's group delivers it exactly once. (Before, the child
 * shared oomguard's group, and a signal to the group reached it twice:
 * llama.cpp takes a second Ctrl-C as "exit now".) */
static void on_forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    (void)si;
    int e = errno;
    if (child_pid > 0 && kill(-(pid_t)child_pid, sig) != 0)
        kill((pid_t)child_pid, sig);
    if (sig_pipe[1] >= 0)
        (void)!write(sig_pipe[1], "s", 1);
    errno = e;
}

/* Does oomguard's group hold the terminal's foreground (stdin a terminal)? */
static int holds_terminal(void)
{
    return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* Give the terminal's foreground to process group pgrp. */
static int give_terminal(pid_t pgrp)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTTOU);
    sigprocmask(SIG_BLOCK, &block, &old);
    int ok = tcsetpgrp(STDIN_FILENO, pgrp) == 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return ok;
}

/* Take the terminal back from the child's group (after it stopped or ended). */
static void take_terminal(void)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTTOU);
    sigprocmask(SIG_BLOCK, &block, &old);
    tcsetpgrp(STDIN_FILENO, getpgrp());
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static int install_handlers(void)
{
    if (pipe(sig_pipe) != 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        fcntl(sig_pipe[k], F_SETFD, FD_CLOEXEC);
        fcntl(sig_pipe[k], F_SETFL, O_NONBLOCK);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART; /* also when the child stops (Ctrl-Z) */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_forward;
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    return 0;
}

/* ---- the watchdog: the child's group does not outlive a killed oomguard ----
 *
 * Linux has PR_SET_PDEATHSIG for the child itself (og_proc_die_with_parent);
 * macOS has nothing like it, and on both the child's own children would run
 * on. So a small watchdog process, started before oomguard becomes a
 * subreaper and detached from it (a double fork, its own session: not in the
 * watched tree, no terminal), holds the read end of a pipe. oomguard sends it
 * the child's pid (= its process group), and "x" when the run ends normally.
 * If the pipe closes without the "x", oomguard was killed (kill -9): the
 * watchdog sends SIGKILL to the child's process group and exits. */
static int wd_fd = -1;

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

static void start_watchdog(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    fflush(NULL);
    pid_t a = fork();
    if (a < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (a == 0) {
        if (fork() != 0)
            _exit(0); /* the middle process: the watchdog is nobody's child here */
        setsid();
        long maxfd = sysconf(_SC_OPEN_MAX);
        for (int fd = 0; fd < (maxfd > 0 && maxfd < 4096 ? maxfd : 4096); fd++)
            if (fd != p[0])
                close(fd);
        int32_t child = 0;
        char c;
        if (!read_full(p[0], &child, sizeof child) || child <= 1)
            _exit(0);
        ssize_t r;
        while ((r = read(p[0], &c, 1)) < 0 && errno == EINTR)
            ;
        if (r == 0 && killpg((pid_t)child, SIGKILL) != 0)
            kill((pid_t)child, SIGKILL); /* oomguard is gone: so is its child */
        _exit(0);
    }
    waitpid(a, NULL, 0);
    close(p[0]);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    wd_fd = p[1];
}

static void watchdog_arm(pid_t child)
{
    int32_t v = (int32_t)child;
    if (wd_fd >= 0 && write(wd_fd, &v, sizeof v) != (ssize_t)sizeof v) {
        close(wd_fd);
        wd_fd = -1;
    }
}

static void watchdog_disarm(void)
{
    if (wd_fd < 0)
        return;
    (void)!write(wd_fd, "x", 1);
    close(wd_fd);
    wd_fd = -1;
}

#define MAX_SURVIVORS 16

/* Descendants still running after the child's own exit (adopted by oomguard
 * as the subreaper): up to cap of them, read now. */
static uint32_t list_survivors(og_proc *out, uint32_t cap)
{
    og_proc_list l;
    if (og_procs_list(&l, 0, NULL) != OG_OK)
        return 0;
    uint32_t idx[MAX_SURVIVORS];
    uint32_t n =
        og_proc_tree(&l, (int32_t)getpid(), 0, idx, cap < MAX_SURVIVORS ? cap : MAX_SURVIVORS);
    if (n > cap)
        n = cap;
    for (uint32_t k = 0; k < n; k++)
        out[k] = l.procs[idx[k]];
    og_proc_list_free(&l);
    return n;
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGKILL:
        return "SIGKILL";
    default:
        return "signal";
    }
}

/* ---- presentation ---- */

static void status_line(const og_sample *s, uint64_t budget, const char *budget_label,
                        int guard_stage)
{
    int width = cli_term_width();
    int bar = width >= 100 ? 24 : width >= 80 ? 16 : 8;
    uint64_t tree = s->tree_bytes + s->tree_gpu_bytes;
    double frac = budget ? (double)tree / (double)budget : 0;
    int fill = (int)(frac * bar + 0.5);
    if (fill > bar)
        fill = bar;
    const char *col = frac >= 0.9   ? cli_c(stderr, CLI_RED)
                      : frac >= 0.7 ? cli_c(stderr, CLI_YELLOW)
                                    : cli_c(stderr, CLI_GREEN);
    char barbuf[256];
    int o = 0;
    for (int i = 0; i < bar; i++) {
        const char *g = i < fill ? "\xe2\x96\x88" : "\xe2\x96\x91"; /* █ ░ */
        memcpy(barbuf + o, g, 3);
        o += 3;
    }
    barbuf[o] = '\0';
    int secs = (int)s->t_s;
    fprintf(stderr, "\r\033[K%soomguard%s %s%s%s %s / %s %s", cli_c(stderr, CLI_BOLD),
            cli_c(stderr, CLI_RESET), col, barbuf, cli_c(stderr, CLI_RESET), cli_bytes(tree),
            cli_bytes(budget), budget_label);
    if (width >= 80) {
        if (s->avail_known)
            fprintf(stderr, "  avail %s", cli_bytes(s->avail_bytes));
        if (s->swap_known)
            fprintf(stderr, "  swap %s", cli_bytes(s->swap_used_bytes));
        fprintf(stderr, "  %s", og_pressure_name(s->pressure));
    }
    fprintf(stderr, "  %d:%02d%s", secs / 60, secs % 60, guard_stage ? "  STOPPING" : "");
    fflush(stderr);
}

static void log_sample(FILE *f, const og_sample *s)
{
    fprintf(f,
            "{\"t\":%.3f,\"tree_bytes\":%llu,\"tree_rss_bytes\":%llu,\"tree_anon_bytes\":%llu,"
            "\"tree_procs\":%u,"
            "\"tree_kind\":\"%s\",\"avail_bytes\":%s%llu,\"swap_used_bytes\":%llu,"
            "\"swapout_bytes_per_s\":%.0f,\"pressure\":\"%s\",\"psi_some_avg10\":%.2f,"
            "\"psi_full_avg10\":%.2f",
            s->t_s, (unsigned long long)s->tree_bytes, (unsigned long long)s->tree_rss_bytes,
            (unsigned long long)s->tree_anon_bytes, s->tree_procs, og_mem_kind_name(s->tree_kind),
            "", (unsigned long long)(s->avail_known ? s->avail_bytes : 0),
            (unsigned long long)s->swap_used_bytes, s->swapout_bytes_per_s,
            og_pressure_name(s->pressure), s->psi_some_avg10, s->psi_full_avg10);
    if (s->gpu_known)
        fprintf(f, ",\"tree_gpu_bytes\":%llu,\"gpu_used_bytes\":%llu,\"gpu_total_bytes\":%llu",
                (unsigned long long)s->tree_gpu_bytes, (unsigned long long)s->gpu_used_bytes,
                (unsigned long long)s->gpu_total_bytes);
    fputs("}\n", f);
}

static void json_escape_to(FILE *f, const char *s)
{
    json_t *j = json_string(s ? s : "");
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(t ? t : "\"\"", f);
    free(t);
    json_decref(j);
}

/* ---- the sample series kept for the report (halved when full) ---- */

typedef struct series {
    og_sample *s;
    size_t n, cap;
} series;

static void series_add(series *v, const og_sample *s)
{
    if (v->n == v->cap) {
        if (v->cap >= 20000) {
            /* keep every other sample: the summary keeps exact peaks */
            size_t k = 0;
            for (size_t i = 0; i < v->n; i += 2)
                v->s[k++] = v->s[i];
            v->n = k;
        } else {
            size_t nc = v->cap ? v->cap * 2 : 1024;
            og_sample *p = realloc(v->s, nc * sizeof *p);
            if (!p)
                return;
            v->s = p;
            v->cap = nc;
        }
    }
    v->s[v->n++] = *s;
}

/* The guard looks back at most this many samples (sustain windows). */
#define GUARD_WINDOW 2048

/* ---- preflight: the engine's memory plan against the live budget ---- */

typedef struct preflight {
    int ran;            /* a prediction exists */
    uint64_t predicted; /* the plan's peak (bytes) */
    uint64_t budget;    /* what it was compared with */
    int no_fit, tight;
    int outside_tree; /* the model runs outside the watched tree (Ollama's server) */
    int discrete;     /* the plan puts weights on a discrete GPU: compare it with GPU memory
                         plus anonymous host memory (the mapped model file's page cache is
                         not part of the plan) */
    char engine[128]; /* "llama.cpp plan, cpu, context 4096" */
    char verdict[24];
    char note[1800]; /* why there is no prediction, or a caveat */
    char advice[640];
    char placement[512]; /* llama.cpp's --fit puts part of the model in RAM ("" = not) */
} preflight;

static int exists_path(const char *p)
{
    return p[0] && access(p, F_OK) == 0;
}

/* A catalog model by name (Ollama tag, catalog id or Hugging Face repo). The
 * build: an explicit quant in the name when the catalog has it, else def. */
static og_status catalog_open(const char *name, og_catalog_build def, og_model **out, og_error *err)
{
    og_error cerr;
    (void)og_catalog_load(&cerr); /* the built-in catalog still answers */
    const og_catalog_entry *e = NULL;
    og_status st = og_catalog_find(name, &e, err);
    if (st != OG_OK && strchr(name, '/')) {
        /* a repo id ("mlx-community/Qwen3-32B-4bit"): its name without the quant suffix */
        char base[256];
        snprintf(base, sizeof base, "%s", strrchr(name, '/') + 1);
        static const char *const sfx[] = {"-3bit", "-4bit", "-6bit", "-8bit",
                                          "-bf16", "-fp16", "-GGUF"};
        for (size_t k = 0; k < sizeof sfx / sizeof *sfx; k++) {
            size_t lb = strlen(base), ls = strlen(sfx[k]);
            if (lb > ls && !strcasecmp(base + lb - ls, sfx[k]))
                base[lb - ls] = '\0';
        }
        og_error e2;
        if (og_catalog_find(base, &e, &e2) == OG_OK)
            st = OG_OK;
    }
    if (st != OG_OK)
        return st;
    static const struct {
        const char *tag;
        og_catalog_build b;
    } tags[] = {{"q8_0", OG_BUILD_GGUF_Q8_0},     {"q6_k", OG_BUILD_GGUF_Q6_K},
                {"q5_k_m", OG_BUILD_GGUF_Q5_K_M}, {"q3_k_m", OG_BUILD_GGUF_Q3_K_M},
                {"q2_k", OG_BUILD_GGUF_Q2_K},     {"fp16", OG_BUILD_GGUF_F16},
                {"-8bit", OG_BUILD_MLX_8BIT},     {"-6bit", OG_BUILD_MLX_6BIT},
                {"-3bit", OG_BUILD_MLX_3BIT},     {"-bf16", OG_BUILD_MLX_BF16}};
    og_catalog_build b = def;
    char low[256];
    size_t i;
    for (i = 0; name[i] && i + 1 < sizeof low; i++)
        low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    low[i] = '\0';
    for (size_t k = 0; k < sizeof tags / sizeof *tags; k++)
        if (strstr(low, tags[k].tag) &&
            og_catalog_build_is_mlx(tags[k].b) == og_catalog_build_is_mlx(def))
            b = tags[k].b;
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_NOT_FOUND, "%s: the catalog has no %s build", e->name,
                            og_catalog_build_name(b));
    return og_catalog_model(e, b, out, err);
}

static const char *run_getenv(const char *name)
{
    return getenv(name);
}

/* The prediction: the decision core (include/oomguard/decide.h) on this
 * machine with the engine's settings, the same call fit and doctor make. */
static void pf_decide(const og_model *md, const og_decide_settings *set, const og_machine *m,
                      preflight *pf)
{
    og_error err;
    og_decide_input in = {0};
    in.model = md;
    in.machine = m;
    in.settings = *set;
    in.skip_alternatives = 1;
    og_decision *d = calloc(1, sizeof *d);
    if (!d || og_decide(&in, d, &err) != OG_OK) {
        snprintf(pf->note, sizeof pf->note, "no prediction: %s", d ? err.message : "out of memory");
        free(d);
        return;
    }
    pf->ran = 1;
    /* the peak over the run: llama.cpp at load plus llama-server's prompt cache and
     * checkpoints once they have grown (og_llama_memplan grown_*); mlx-lm's peak */
    pf->predicted = d->engine == OG_ENGINE_MLX ? d->plan.total_bytes : d->llama.grown_total_bytes;
    pf->budget = d->budget.usable_bytes;
    if (d->placement.placed) /* llama.cpp's --fit: the GPU part in VRAM, the rest in RAM */
        pf->budget = d->placement.gpu_usable_bytes + d->placement.host_usable_bytes;
    pf->discrete = d->engine != OG_ENGINE_MLX && d->llama.gpu_bytes && !d->budget.budget.unified &&
                   d->backend != OG_BACKEND_CPU;
    pf->no_fit = !d->fits;
    pf->tight = d->verdict == OG_FIT_TIGHT;
    snprintf(pf->verdict, sizeof pf->verdict, "%s", og_fit_verdict_name(d->verdict));
    if (d->engine == OG_ENGINE_MLX)
        snprintf(pf->engine, sizeof pf->engine, "mlx-lm plan, %s, context %u", d->mlx.quant,
                 d->plan.n_ctx);
    else
        snprintf(pf->engine, sizeof pf->engine, "%s plan, %s, context %u",
                 d->engine == OG_ENGINE_OLLAMA ? "Ollama (llama.cpp)" : "llama.cpp",
                 og_backend_name(d->backend), d->plan.n_ctx);
    if (!d->fits && d->report.headline >= 0)
        snprintf(pf->advice, sizeof pf->advice, "%s", d->report.checks[d->report.headline].fix);
    else if (d->n_advice)
        snprintf(pf->advice, sizeof pf->advice, "%s", d->advice[0]);
    if (d->placement.placed) {
        char line[512];
        cli_placement_line(d, line, sizeof line);
        snprintf(pf->placement, sizeof pf->placement, "%s", line);
        snprintf(pf->engine + strlen(pf->engine), sizeof pf->engine - strlen(pf->engine),
                 ", partly offloaded");
    }
    if (d->ctx_lowered_by_fit && !pf->note[0])
        snprintf(pf->note, sizeof pf->note,
                 "no -c: llama.cpp plans the trained context (%u); its --fit (on by default) "
                 "lowers it to %u to fit",
                 d->n_ctx_asked, d->plan.n_ctx);
    free(d);
}

/* llama-cli/llama-server's settings (what og_engine_cmd_parse read) for the
 * plan: the engine's defaults where the command sets nothing. Returns 0, or
 * -1 with pf->note set. */
static int llama_settings_from_cmd(const og_engine_cmd *e, og_decide_settings *set,
                                   og_llama_settings *s, preflight *pf)
{
    int server = strstr(e->tool, "server") != NULL;
    s->n_ctx = e->n_ctx > 0 ? (uint32_t)(e->n_ctx > UINT32_MAX ? UINT32_MAX : e->n_ctx) : 0;
    if (e->n_parallel > 0) {
        s->n_parallel = (uint32_t)e->n_parallel;
    } else if (server) {
        /* tools/server/server.cpp: -np auto = 4 slots sharing one KV stream */
        s->n_parallel = 4;
        s->kv_unified = 1;
    }
    if (e->n_batch > 0)
        s->n_batch = (uint32_t)e->n_batch;
    if (e->n_ubatch > 0)
        s->n_ubatch = (uint32_t)e->n_ubatch;
    if (e->cache_type_k[0])
        s->type_k = og_ggml_type_from_name(e->cache_type_k);
    if (e->cache_type_v[0])
        s->type_v = og_ggml_type_from_name(e->cache_type_v);
    if (s->type_k < 0 || s->type_v < 0) {
        snprintf(pf->note, sizeof pf->note, "no prediction: unknown cache type %s/%s",
                 e->cache_type_k, e->cache_type_v);
        return -1;
    }
    if (e->flash_attn >= 0)
        s->flash_attn = e->flash_attn == 1 ? OG_FA_ON : e->flash_attn == 0 ? OG_FA_OFF : OG_FA_AUTO;
    if (e->n_gpu_layers >= 0)
        s->n_gpu_layers = (int32_t)(e->n_gpu_layers > INT32_MAX ? INT32_MAX : e->n_gpu_layers);
    else if (e->n_gpu_layers == -2)
        s->n_gpu_layers = OG_NGL_ALL; /* set by the user: --fit keeps every layer on the GPU */
    /* llama.cpp's --fit (og_decide places layers / experts like it) */
    set->fit.off = e->fit == 0;
    if (e->fit_target_mib >= 0) {
        set->fit.n_target = 1;
        set->fit.target_bytes[0] = (uint64_t)e->fit_target_mib * 1024 * 1024;
    }
    if (e->fit_ctx > 0)
        set->fit.n_ctx_min = (uint32_t)(e->fit_ctx > UINT32_MAX ? UINT32_MAX : e->fit_ctx);
    set->fit.ctx_full = e->n_ctx == 0;
    if (e->placement_set && s->n_gpu_layers == OG_NGL_AUTO)
        s->n_gpu_layers = OG_NGL_ALL; /* -ot / -ts / --cpu-moe given: --fit gives up; the
                                        plan keeps every layer on the GPU (their -ot
                                        patterns are not read here) */
    if (e->cache_ram_set)
        s->cache_ram_mib = (int32_t)(e->cache_ram_mib > INT32_MAX ? INT32_MAX : e->cache_ram_mib);
    if (e->ctx_checkpoints >= 0)
        s->n_ctx_checkpoints =
            (int32_t)(e->ctx_checkpoints > INT32_MAX ? INT32_MAX : e->ctx_checkpoints);
    return 0;
}

static void pf_llama(const og_engine_cmd *e, const og_machine *m, uint64_t mem, preflight *pf)
{
    og_error err;
    og_model *md = NULL;
    og_decide_settings set;
    og_decide_settings_default(&set);
    set.mem_bytes = mem;
    og_llama_settings s = set.llama;
    if (e->engine == OG_ENGINE_OLLAMA) {
        /* Ollama runs llama-server with its own arguments (og_ollama_prepare,
         * OG_OLLAMA_RULES): OLLAMA_* from this environment, then from the
         * command's own `env VAR=VALUE` prefix. */
        og_ollama_opts oo;
        og_ollama_opts_default(&oo);
        og_ollama_opts_from_env(&oo, run_getenv);
        for (uint32_t k = 0; k < e->n_env; k++) {
            char name[64];
            const char *eq = strchr(e->env[k], '=');
            size_t nl = eq ? (size_t)(eq - e->env[k]) : 0;
            if (!eq || nl >= sizeof name)
                continue;
            memcpy(name, e->env[k], nl);
            name[nl] = '\0';
            og_ollama_opts_set_env(&oo, name, eq + 1);
        }
        /* the model in the local Ollama store first, else the catalog entry */
        char src[1100];
        snprintf(src, sizeof src, "ollama://%s", e->model);
        int rc;
        const char *local = e->model[0] ? cli_model_arg(src, 0, &rc) : NULL;
        if (local && local != src) {
            if (og_model_open(local, &md, &err) != OG_OK) {
                snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
                return;
            }
        } else if (catalog_open(e->model, OG_BUILD_GGUF_Q4_K_M, &md, &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
            return;
        }
        og_budget ob;
        og_machine_budget(m, &ob);
        uint64_t tot[OG_LLAMA_MAX_DEVICES], fr[OG_LLAMA_MAX_DEVICES];
        uint32_t ng = 0;
        for (uint32_t k = 0; k < ob.n_devices && ng < OG_LLAMA_MAX_DEVICES; k++)
            if (ob.devices[k].total_bytes) {
                tot[ng] = ob.devices[k].total_bytes;
                fr[ng++] = ob.devices[k].free_bytes;
            }
        og_ollama_launch ol;
        if (og_ollama_prepare(md, &oo, ng, tot, fr, &s, &ol, &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
            og_model_free(md);
            return;
        }
        pf->outside_tree = 1;
        set.fit.n_target = 1; /* LLAMA_ARG_FIT_TARGET as Ollama sets it */
        set.fit.target_bytes[0] = ol.fit_target_bytes;
    } else {
        if (!e->model[0] || e->model_is_repo) {
            snprintf(pf->note, sizeof pf->note,
                     "no prediction: %s (give -m FILE.gguf to check before the download)",
                     e->model[0] ? "a Hugging Face repo (-hf) is not on disk yet" : "no -m MODEL");
            return;
        }
        if (og_model_open(e->model, &md, &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
            return;
        }
        if (llama_settings_from_cmd(e, &set, &s, pf) != 0) {
            og_model_free(md);
            return;
        }
    }
    set.engine = e->engine == OG_ENGINE_OLLAMA ? OG_ENGINE_OLLAMA : OG_ENGINE_LLAMA_CPP;
    set.llama = s;
    pf_decide(md, &set, m, pf);
    if (pf->outside_tree)
        snprintf(pf->note, sizeof pf->note,
                 "the model runs in the Ollama server, outside the watched tree: the measured "
                 "peak is the client's, and this run is not used for prediction accuracy");
    og_model_free(md);
}

/* llama.cpp RPC: llama-server --rpc A,B (this host runs llama-server and
 * holds the last layers) or rpc-server (this host serves its devices to a
 * llama-server elsewhere). The cluster plan (og_cluster_plan_rpc, the split
 * --fit makes across every host's devices) gives this host's share, and the
 * guard watches this host only: the remote hosts' processes are not seen
 * from here. */
static void pf_rpc(const og_engine_cmd *e, const char *cluster, const char *cluster_model,
                   uint64_t mem, preflight *pf)
{
    og_error err;
    const char *model = e->rpc_server ? cluster_model : e->model;
    if (e->rpc_server && (!cluster || !cluster_model)) {
        snprintf(pf->note, sizeof pf->note,
                 "no prediction: rpc-server holds what the llama-server host sends it; give "
                 "--cluster MAIN,...,this,... and --cluster-model MODEL to plan this host's "
                 "share (the guard watches this host's memory either way)");
        return;
    }
    if (!model || !model[0] || (!e->rpc_server && e->model_is_repo)) {
        snprintf(pf->note, sizeof pf->note, "no prediction: no -m MODEL file");
        return;
    }
    og_machine *mach = calloc(OG_CLUSTER_MAX_HOSTS, sizeof *mach);
    og_cluster_plan *cp = calloc(1, sizeof *cp);
    og_model *md = NULL;
    char names[OG_CLUSTER_MAX_HOSTS][64];
    const og_machine *hp[OG_CLUSTER_MAX_HOSTS];
    const char *np[OG_CLUSTER_MAX_HOSTS];
    uint32_t n = 0;
    int local = -1, assumed = 0;
    if (!mach || !cp) {
        snprintf(pf->note, sizeof pf->note, "no prediction: out of memory");
        goto done;
    }
    if (cluster) {
        if (cli_cluster_hosts(cluster, mach, names, &n, &local, &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
            goto done;
        }
        if (local < 0 || (!e->rpc_server && local != 0) || (e->rpc_server && local == 0) ||
            (!e->rpc_server && n != e->n_rpc + 1) || n < 2) {
            snprintf(pf->note, sizeof pf->note,
                     "no prediction: --cluster '%s' must name every host, llama-server's first "
                     "and then the %s, with 'this' for this machine (%s)",
                     cluster, e->rpc_server ? "rpc-servers" : "--rpc servers in order",
                     e->rpc_server ? "not first: this host runs rpc-server"
                                   : "first: this host runs llama-server");
            goto done;
        }
    } else {
        /* llama-server --rpc without --cluster: the servers' memory is not known here */
        if (og_machine_probe(&mach[0], &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: machine probe: %s", err.message);
            goto done;
        }
        snprintf(names[0], sizeof names[0], "this");
        local = 0;
        n = 1;
        for (const char *p = e->rpc; *p && n < OG_CLUSTER_MAX_HOSTS;) {
            const char *c = strchr(p, ',');
            size_t l = c ? (size_t)(c - p) : strlen(p);
            if (l) {
                mach[n] = mach[0];
                snprintf(names[n], sizeof names[n], "%.*s", (int)(l < 63 ? l : 63), p);
                n++;
            }
            if (!c)
                break;
            p = c + 1;
        }
        assumed = 1;
    }
    for (uint32_t k = 0; k < n; k++) {
        hp[k] = &mach[k];
        np[k] = names[k];
    }
    (void)mem; /* --mem: not used for a cluster plan (each host has its own budget) */
    og_status st = og_model_open(model, &md, &err);
    if (st != OG_OK && e->rpc_server)
        st = catalog_open(model, OG_BUILD_GGUF_Q4_K_M, &md, &err);
    if (st != OG_OK) {
        snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
        goto done;
    }
    og_decide_settings set;
    og_decide_settings_default(&set);
    og_llama_settings s = set.llama;
    if (!e->rpc_server && llama_settings_from_cmd(e, &set, &s, pf) != 0)
        goto done;
    s.engine = OG_LLAMA_ENGINE_LLAMA_CPP;
    if (og_cluster_plan_rpc(md, &s, hp, np, n, cp, &err) != OG_OK) {
        snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
        goto done;
    }
    const og_cluster_host_plan *h = &cp->host[local];
    pf->ran = 1;
    pf->predicted = h->weights_bytes + h->kv_bytes + h->compute_bytes + h->host_ram_bytes;
    og_budget b;
    og_machine_budget(&mach[local], &b);
    pf->discrete =
        h->weights_bytes && !b.unified && og_machine_backend(&mach[local]) != OG_BACKEND_CPU;
    /* what this host's tree may use: its devices' budget plus host RAM on a discrete
     * GPU (the run measures GPU + anonymous host memory), else its one pool (the
     * cluster plan's usable: RAM for a CPU-only host) */
    pf->budget = pf->discrete ? h->usable_bytes + b.host_bytes : h->usable_bytes;
    og_fit_verdict v = h->verdict;
    pf->no_fit = v == OG_FIT_NO;
    pf->tight = v == OG_FIT_TIGHT;
    snprintf(pf->verdict, sizeof pf->verdict, "%s", og_fit_verdict_name(v));

    snprintf(pf->engine, sizeof pf->engine,
             "llama.cpp RPC plan, this host's share as %s: %u layers%s, context %u",
             e->rpc_server ? "rpc-server" : "llama-server", h->layers,
             h->holds_output ? " and the output" : "", cp->n_ctx);
    snprintf(pf->placement, sizeof pf->placement, "llama.cpp --fit over %u hosts: %.*s", n,
             (int)(sizeof pf->placement - 48), cp->fit ? cp->fit->args : "");
    size_t o = 0;
    o += (size_t)snprintf(pf->note + o, sizeof pf->note - o,
                          "the guard watches this host only; not watched from here:");
    for (uint32_t k = 0; k < n && o < sizeof pf->note; k++)
        if ((int)k != local)
            o += (size_t)snprintf(pf->note + o, sizeof pf->note - o, " %s (%s, %u layers, %s)",
                                  names[k], k == 0 ? "llama-server" : "rpc-server",
                                  cp->host[k].layers, og_fit_verdict_name(cp->host[k].verdict));
    if (assumed && o < sizeof pf->note)
        snprintf(pf->note + o, sizeof pf->note - o,
                 "; the --rpc servers' memory is not known here: each was assumed like this "
                 "machine (give --cluster this,A,B with their presets or snapshots)");
done:
    og_model_free(md);
    if (cp)
        og_cluster_plan_free(cp);
    free(cp);
    free(mach);
}

static void pf_mlx(const og_engine_cmd *e, const og_machine *m, uint64_t mem, preflight *pf)
{
    og_error err;
    og_model *md = NULL;
    if (!e->model[0]) {
        snprintf(pf->note, sizeof pf->note, "no prediction: no --model");
        return;
    }
    if (exists_path(e->model)) {
        if (og_model_open(e->model, &md, &err) != OG_OK) {
            snprintf(pf->note, sizeof pf->note, "no prediction: %s", err.message);
            return;
        }
    } else if (catalog_open(e->model, OG_BUILD_MLX_4BIT, &md, &err) != OG_OK) {
        snprintf(pf->note, sizeof pf->note,
                 "no prediction: %s is not a local folder and not in the catalog (%s)", e->model,
                 err.message);
        return;
    }
    og_decide_settings set;
    og_decide_settings_default(&set);
    set.engine = OG_ENGINE_MLX;
    set.mem_bytes = mem;
    if (e->n_ctx > 0)
        set.mlx.max_kv_size = (uint64_t)e->n_ctx;
    if (e->max_tokens > 0 && (uint64_t)e->max_tokens > OG_MLX_PLANNING_CTX)
        set.mlx.ctx = (uint64_t)e->max_tokens; /* else the planning context */
    if (e->kv_bits > 0)
        set.mlx.kv_bits = (uint32_t)e->kv_bits;
    if (e->kv_group_size > 0)
        set.mlx.kv_group_size = (uint32_t)e->kv_group_size;
    /* mlx_lm/generate.py: --quantized-kv-start defaults to 5000 (the settings' default) */
    if (e->quantized_kv_start >= 0)
        set.mlx.quantized_kv_start = (uint64_t)e->quantized_kv_start;
    /* mlx_lm/server.py: an LRU prompt cache of --prompt-cache-size entries (10) capped by
     * --prompt-cache-bytes (none): it grows after load and the guard must allow for it */
    if (!strcmp(e->tool, "mlx_lm.server")) {
        set.mlx.prompt_cache_entries =
            e->prompt_cache_size >= 0
                ? (uint32_t)(e->prompt_cache_size > 1000000 ? 1000000 : e->prompt_cache_size)
                : 10;
        if (e->prompt_cache_bytes > 0)
            set.mlx.prompt_cache_bytes = (uint64_t)e->prompt_cache_bytes;
    }
    pf_decide(md, &set, m, pf);
    og_model_free(md);
}

static void run_preflight(const og_engine_cmd *e, const run_opts *ro, uint64_t mem, preflight *pf)
{
    memset(pf, 0, sizeof *pf);
    og_machine *m = calloc(1, sizeof *m);
    og_error err;
    if (!m) {
        snprintf(pf->note, sizeof pf->note, "no prediction: out of memory");
        return;
    }
    if (og_machine_probe(m, &err) != OG_OK) {
        snprintf(pf->note, sizeof pf->note, "no prediction: machine probe: %s", err.message);
        free(m);
        return;
    }
    if (e->engine == OG_ENGINE_MLX)
        pf_mlx(e, m, mem, pf);
    else if (e->rpc_server || e->n_rpc)
        pf_rpc(e, ro->cluster, ro->cluster_model, mem, pf);
    else
        pf_llama(e, m, mem, pf);
    free(m);
}

static void join_argv(int argc, char **argv, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && o + 1 < n; i++) {
        int w = snprintf(out + o, n - o, "%s%s", i ? " " : "", argv[i]);
        if (w < 0)
            break;
        o += (size_t)w;
        if (o >= n)
            o = n - 1;
    }
}

int cmd_run(int argc, char **argv)
{
    run_opts ro = {.interval = 0.1,
                   .gpu_interval = 1.0,
                   .grace = 3.0,
                   .guard_opt = -1,
                   .swap_rate = 64ull << 20};
    cli_engine_opts eo;
    cli_engine_opts_init(&eo, "run");
    void *ctx[] = {&ro, &ro, &ro, &eo, &eo, &ro};
    int npos = 0;
    int prc = cli_parse(&cli_spec_run, argc, argv, ctx, &npos);
    if (prc == CLI_DONE)
        return OG_EXIT_OK;
    if (prc)
        return prc;
    double interval = ro.interval, gpu_interval = ro.gpu_interval, grace = ro.grace;
    int quiet = ro.quiet, guard_opt = ro.guard_opt, no_pressure = ro.no_pressure;
    int strict = ro.strict, force = ro.force, json = ro.json, no_history = ro.no_history;
    uint64_t max_mem = ro.max_mem, min_avail = ro.min_avail, swap_rate = ro.swap_rate, mem = ro.mem;
    int min_avail_set = ro.min_avail_set;
    const char *report = ro.report, *log_path = ro.log_path;
    og_error err;
    if (report) {
        /* checked before the command starts: a report that cannot be written is bad input */
        char dir[1024];
        const char *slash = strrchr(report, '/');
        struct stat rst;
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - report) + (slash == report), report);
        else
            snprintf(dir, sizeof dir, ".");
        if (!report[0] || (slash && !slash[1]) || (stat(report, &rst) == 0 && S_ISDIR(rst.st_mode)))
            return cli_usage_error("run", "--report '%s': is a directory, not a file name", report);
        if (access(dir, W_OK) != 0)
            return cli_usage_error("run", "--report '%s': cannot write in %s: %s", report, dir,
                                   strerror(errno));
    }
    int cargc = npos;
    char **cargv = argv + 1;
    cargv[npos] = NULL; /* execvp: the positionals were moved to argv[1..npos] */
    char cmdline[1024];
    join_argv(cargc, cargv, cmdline, sizeof cmdline);

    /* ---- preflight ---- */
    og_engine_cmd eng;
    og_engine_cmd_parse(cargc, (const char *const *)cargv, &eng);
    if (eng.engine != OG_ENGINE_NONE && (prc = apply_overrides(&eo, &eng)) != 0)
        return prc;
    if (eng.engine == OG_ENGINE_NONE && cli_engine_any_given(&eo))
        fprintf(stderr,
                "oomguard: warning: '%s' is not a known engine command: the engine "
                "settings given before it are not used\n",
                cargv[0]);
    uint64_t predicted = 0;
    int compare_anon = 0; /* measured = anonymous host + GPU (discrete-GPU plans) */
    preflight pf;
    memset(&pf, 0, sizeof pf);
    if (eng.engine != OG_ENGINE_NONE) {
        fprintf(stderr, "oomguard: %s (%s)", eng.tool, og_engine_name(eng.engine));
        if (eng.model[0])
            fprintf(stderr, " model %s", eng.model);
        if (eng.n_ctx >= 0)
            fprintf(stderr, ", context %lld", (long long)eng.n_ctx);
        if (eng.cache_type_k[0] || eng.cache_type_v[0])
            fprintf(stderr, ", KV %s/%s", eng.cache_type_k[0] ? eng.cache_type_k : "f16",
                    eng.cache_type_v[0] ? eng.cache_type_v : "f16");
        if (eng.kv_bits > 0)
            fprintf(stderr, ", KV %lld-bit", (long long)eng.kv_bits);
        fprintf(stderr, "\n");
        run_preflight(&eng, &ro, mem, &pf);
        if (pf.ran) {
            const char *col = pf.no_fit  ? cli_c(stderr, CLI_RED)
                              : pf.tight ? cli_c(stderr, CLI_YELLOW)
                                         : cli_c(stderr, CLI_GREEN);
            fprintf(stderr, "oomguard: preflight: predicted peak %s vs budget %s%s: %s%s%s (%s)\n",
                    cli_bytes(pf.predicted), pf.budget ? cli_bytes(pf.budget) : "unknown",
                    mem ? " (--mem)" : "", col, pf.verdict, cli_c(stderr, CLI_RESET), pf.engine);
            if (!pf.outside_tree) {
                predicted = pf.predicted;
                compare_anon = pf.discrete;
            }
        }
        if (pf.placement[0])
            fprintf(stderr, "oomguard: preflight: %s\n", pf.placement);
        if (pf.note[0])
            fprintf(stderr, "oomguard: preflight: %s\n", pf.note);
        if (pf.ran && pf.no_fit) {
            if (pf.advice[0])
                fprintf(stderr, "oomguard: preflight: fix: %s\n", pf.advice);
            if (strict && !force) {
                fprintf(stderr,
                        "oomguard: --strict: the plan does not fit; refusing (use --force to run "
                        "anyway)\n");
                return OG_EXIT_PROBLEM;
            }
            fprintf(stderr, "%soomguard: warning:%s the plan does not fit; starting anyway%s\n",
                    cli_c(stderr, CLI_YELLOW), cli_c(stderr, CLI_RESET),
                    force ? " (--force)" : " (--strict refuses)");
        } else if (!pf.ran && strict && !force) {
            fprintf(stderr,
                    "oomguard: --strict: no fit prediction for this %s command; refusing (use "
                    "--force to run anyway)\n",
                    og_engine_name(eng.engine));
            return OG_EXIT_PROBLEM;
        }
    } else if (strict && !force) {
        fprintf(stderr,
                "oomguard: --strict: '%s' is not a known engine command, so nothing "
                "can be checked before it starts; refusing (use --force)\n",
                cargv[0]);
        return OG_EXIT_PROBLEM;
    }

    /* ---- guard settings ---- */
    int guard = guard_opt >= 0 ? guard_opt : (eng.engine != OG_ENGINE_NONE || max_mem > 0);
    og_sysmem sm0;
    uint64_t ram = 0;
    if (og_sysmem_read(&sm0, NULL) == OG_OK)
        ram = sm0.cgroup_limit_bytes && sm0.cgroup_limit_bytes < sm0.total_bytes
                  ? sm0.cgroup_limit_bytes
                  : sm0.total_bytes;
    og_guard_config gc;
    og_guard_defaults(&gc, ram);
    gc.max_tree_bytes = max_mem;
    if (min_avail_set)
        gc.avail_floor_bytes = min_avail;
    gc.swapout_bytes_per_s = (double)swap_rate;
    gc.pressure_critical = !no_pressure;
    uint64_t budget = max_mem ? max_mem : predicted ? predicted : ram;
    const char *budget_label = max_mem ? "max-mem" : predicted ? "predicted" : "RAM";

    FILE *logf = NULL;
    if (log_path) {
        logf = fopen(log_path, "w");
        if (!logf) {
            fprintf(stderr, "oomguard: %s: %s\n", log_path, strerror(errno));
            return OG_EXIT_USAGE;
        }
        fprintf(logf, "{\"event\":\"start\",\"command\":");
        json_escape_to(logf, cmdline);
        fprintf(logf, ",\"interval_s\":%.3f,\"guard\":%s,\"max_mem_bytes\":%llu}\n", interval,
                guard ? "true" : "false", (unsigned long long)max_mem);
    }

    /* ---- start the child ---- */
    int child_out = -1;
    if (ro.child_stdout) {
        child_out = open(ro.child_stdout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (child_out < 0) {
            fprintf(stderr, "oomguard: --stdout %s: %s\n", ro.child_stdout, strerror(errno));
            if (logf)
                fclose(logf);
            return OG_EXIT_USAGE;
        }
    }
    start_watchdog(); /* before becoming a subreaper: the watchdog must not be ours */
    int subreaper = og_procs_become_subreaper(NULL) == OG_OK;
    if (install_handlers() != 0) {
        fprintf(stderr, "oomguard: pipe: %s\n", strerror(errno));
        if (logf)
            fclose(logf);
        return OG_EXIT_INTERNAL;
    }
    int exec_pipe[2];
    if (pipe(exec_pipe) != 0) {
        fprintf(stderr, "oomguard: pipe: %s\n", strerror(errno));
        if (logf)
            fclose(logf);
        return OG_EXIT_INTERNAL;
    }
    fcntl(exec_pipe[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t parent = getpid();
    int terminal = holds_terminal();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "oomguard: fork: %s\n", strerror(errno));
        if (logf)
            fclose(logf);
        return OG_EXIT_INTERNAL;
    }
    if (pid == 0) {
        close(exec_pipe[0]);
        /* a group of its own (see on_forward), in the terminal's foreground */
        setpgid(0, 0);
        if (terminal)
            give_terminal(getpid());
        /* kill -9 of oomguard must not leave the child running unwatched */
        if (og_proc_die_with_parent((int32_t)parent, NULL) == OG_ERR_NOT_FOUND)
            _exit(126);
        /* --json: stdout carries only the JSON; the command's stdout goes to
         * --stdout FILE, else to stderr */
        if (child_out >= 0)
            dup2(child_out, STDOUT_FILENO);
        else if (json)
            dup2(STDERR_FILENO, STDOUT_FILENO);
        signal(SIGCHLD, SIG_DFL);
        int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        execvp(cargv[0], cargv);
        int e = errno;
        (void)!write(exec_pipe[1], &e, sizeof e);
        _exit(e == ENOENT ? 127 : 126);
    }
    setpgid(pid, pid); /* also here: whichever runs first */
    watchdog_arm(pid);
    if (terminal)
        terminal = give_terminal(pid);
    child_pid = pid;
    if (child_out >= 0)
        close(child_out);
    close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(exec_pipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(exec_pipe[0]);
    if (got == (ssize_t)sizeof exec_errno) {
        int st;
        waitpid(pid, &st, 0);
        watchdog_disarm();
        if (terminal)
            take_terminal();
        fprintf(stderr, "oomguard: cannot run '%s': %s\n", cargv[0], strerror(exec_errno));
        if (logf)
            fclose(logf);
        return exec_errno == ENOENT ? 127 : 126;
    }

    og_watch_config wc = {0};
    wc.root_pid = pid;
    wc.include_root = 1;
    wc.adopter_pid = subreaper ? (int32_t)getpid() : 0;
    wc.gpu_interval_s = gpu_interval;
    wc.gpu = og_gpu_reader_probe;
    /* near --max-mem, count pages shared inside the tree once (PSS) */
    wc.pss_above_bytes = max_mem / 2;
    wc.pss_recheck_bytes = max_mem;
    og_watch *w = NULL;
    if (og_watch_open(&wc, &w, &err) != OG_OK) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return cli_fail(&err);
    }
    int live = !quiet && isatty(STDERR_FILENO);
    series ser = {0};
    og_summary sum;
    og_summary_init(&sum);
    og_trip_info trip = {0};
    int stage = 0;        /* 0 none, 1 SIGINT sent, 2 SIGTERM sent, 3 SIGKILL sent */
    uint64_t esc_ref = 0; /* tree memory when the last stop signal went out */
    char escalation[320] = "";
    og_proc survivors[MAX_SURVIVORS];
    uint32_t n_survivors = 0;
    double stage_t = 0, guard_t = -1;
    int status = 0, child_done = 0;
    double t_start = mono_s(), next = t_start;
    double last_draw = -1;
    og_sample s;
    for (;;) {
        /* Reap: the child, and orphans we adopted as a subreaper. */
        for (;;) {
            int st;
            pid_t r = waitpid(-1, &st, WNOHANG | WUNTRACED);
            if (r <= 0)
                break;
            if (r == pid && WIFSTOPPED(st)) {
                /* Ctrl-Z stopped the child's group: stop oomguard too, so the
                 * shell sees the job stopped; on `fg` hand the terminal back
                 * and let the child go on. */
                if (terminal) {
                    take_terminal();
                    kill(getpid(), SIGSTOP);
                    if (holds_terminal())
                        give_terminal(pid);
                }
                kill(-pid, SIGCONT);
                continue;
            }
            if (r == pid) {
                status = st;
                child_done = 1;
            }
        }
        if (child_done) {
            if (stage == 0 && subreaper)
                n_survivors = list_survivors(survivors, MAX_SURVIVORS);
            /* While stopping, keep going until the adopted tree is gone too. */
            if (stage == 0 || !subreaper)
                break;
            og_proc_list l;
            uint32_t left = 0;
            if (og_procs_list(&l, 0, NULL) == OG_OK) {
                left = og_proc_tree(&l, (int32_t)getpid(), 0, NULL, 0);
                og_proc_list_free(&l);
            }
            if (left == 0)
                break;
        }
        if (og_watch_sample(w, &s, NULL) == OG_OK) {
            series_add(&ser, &s);
            og_summary_add(&sum, &s);
            if (logf)
                log_sample(logf, &s);
            if (live && (s.t_s - last_draw >= 0.25 || last_draw < 0)) {
                status_line(&s, budget, budget_label, stage);
                last_draw = s.t_s;
            }
            if (guard && stage >= 1 && stage < 3) {
                /* the grace period: keep looking, escalate when waiting is unsafe */
                size_t from = ser.n > GUARD_WINDOW ? ser.n - GUARD_WINDOW : 0;
                og_sample *win = ser.s + from;
                og_sample keep0 = win[0];
                win[0] = ser.s[0];
                int to_kill = 0;
                og_trip_info e;
                int esc = og_guard_escalate(&gc, win, ser.n - from, esc_ref, &e, &to_kill);
                win[0] = keep0;
                if (esc) {
                    int sig = to_kill || stage == 2 ? SIGKILL : SIGTERM;
                    uint32_t nsig = 0;
                    if (subreaper)
                        og_proc_signal_tree((int32_t)getpid(), 0, sig, &nsig, NULL);
                    else
                        og_proc_signal_tree(pid, 1, sig, &nsig, NULL);
                    if (live)
                        fprintf(stderr, "\r\033[K");
                    fprintf(stderr, "oomguard: %s after %.1fs of grace: sent %s to %u process%s\n",
                            e.reason, mono_s() - stage_t, sig_name(sig), nsig,
                            nsig == 1 ? "" : "es");
                    snprintf(escalation, sizeof escalation, "%s: %s", sig_name(sig), e.reason);
                    if (logf) {
                        fprintf(logf,
                                "{\"event\":\"escalate\",\"t\":%.3f,\"signal\":\"%s\","
                                "\"processes\":%u,\"reason\":",
                                s.t_s, sig_name(sig), nsig);
                        json_escape_to(logf, e.reason);
                        fprintf(logf, "}\n");
                    }
                    stage = sig == SIGKILL ? 3 : stage + 1;
                    stage_t = mono_s();
                    esc_ref = s.tree_bytes + s.tree_gpu_bytes;
                }
            }
            if (guard && stage == 0) {
                size_t from = ser.n > GUARD_WINDOW ? ser.n - GUARD_WINDOW : 0;
                /* the first sample anchors the available floor */
                og_sample *win = ser.s + from;
                og_sample keep0 = win[0];
                win[0] = ser.s[0];
                og_trip t = og_guard_check(&gc, win, ser.n - from, &trip);
                win[0] = keep0;
                if (t == OG_TRIP_NONE && from > 0)
                    t = og_guard_check(&gc, win, ser.n - from, &trip);
                if (t != OG_TRIP_NONE) {
                    guard_t = s.t_s;
                    esc_ref = s.tree_bytes + s.tree_gpu_bytes;
                    if (live)
                        fprintf(stderr, "\r\033[K");
                    fprintf(stderr, "%soomguard: guard tripped (%s):%s %s\n",
                            cli_c(stderr, CLI_RED), og_trip_name(t), cli_c(stderr, CLI_RESET),
                            trip.reason);
                    stage = 1;
                    stage_t = mono_s();
                    uint32_t nsig = 0;
                    if (subreaper)
                        og_proc_signal_tree((int32_t)getpid(), 0, SIGINT, &nsig, NULL);
                    else
                        og_proc_signal_tree(pid, 1, SIGINT, &nsig, NULL);
                    fprintf(stderr,
                            "oomguard: sent SIGINT to %u process%s; SIGTERM in %gs, then "
                            "SIGKILL\n",
                            nsig, nsig == 1 ? "" : "es", grace);
                    if (logf) {
                        fprintf(logf, "{\"event\":\"guard\",\"t\":%.3f,\"trip\":\"%s\",", s.t_s,
                                og_trip_name(t));
                        fprintf(logf, "\"value\":%llu,\"limit\":%llu,\"reason\":",
                                (unsigned long long)trip.value, (unsigned long long)trip.limit);
                        json_escape_to(logf, trip.reason);
                        fprintf(logf,
                                "}\n{\"event\":\"signal\",\"t\":%.3f,\"signal\":\"SIGINT\","
                                "\"processes\":%u}\n",
                                s.t_s, nsig);
                    }
                }
            }
        }
        if (stage >= 1 && stage < 3 && mono_s() - stage_t >= grace) {
            int sig = stage == 1 ? SIGTERM : SIGKILL;
            uint32_t nsig = 0;
            if (subreaper)
                og_proc_signal_tree((int32_t)getpid(), 0, sig, &nsig, NULL);
            else
                og_proc_signal_tree(pid, 1, sig, &nsig, NULL);
            if (nsig) {
                if (live)
                    fprintf(stderr, "\r\033[K");
                fprintf(stderr, "oomguard: still running after %gs: sent %s to %u process%s\n",
                        grace, sig_name(sig), nsig, nsig == 1 ? "" : "es");
                if (logf)
                    fprintf(logf,
                            "{\"event\":\"signal\",\"t\":%.3f,\"signal\":\"%s\",\"processes\":%u}"
                            "\n",
                            mono_s() - t_start, sig_name(sig), nsig);
            }
            stage++;
            stage_t = mono_s();
            esc_ref = s.tree_bytes + s.tree_gpu_bytes;
        }
        /* Sleep to the next tick; a SIGCHLD wakes us at once. */
        next += interval;
        double now = mono_s();
        if (next < now)
            next = now;
        int ms = (int)ceil((next - now) * 1000);
        struct pollfd pfd = {sig_pipe[0], POLLIN, 0};
        if (poll(&pfd, 1, ms) > 0) {
            char buf[64];
            while (read(sig_pipe[0], buf, sizeof buf) > 0)
                ;
        }
    }
    if (live)
        fprintf(stderr, "\r\033[K");
    if (terminal)
        take_terminal();
    watchdog_disarm(); /* a normal end: the watchdog leaves survivors alone */
    og_watch_close(w);
    child_pid = 0;

    /* ---- exit code ---- */
    int rc;
    int killed_by = 0;
    if (WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) {
        killed_by = WTERMSIG(status);
        rc = 128 + killed_by;
    } else
        rc = OG_EXIT_INTERNAL;
    if (stage > 0)
        rc = OG_EXIT_GUARD;

    /* ---- report ---- */
    double elapsed = mono_s() - t_start;
    char kind[16];
    snprintf(kind, sizeof kind, "%s", og_mem_kind_name(sum.tree_kind));
    /* What to hold against the prediction: everything the tree holds, or,
     * for a discrete-GPU plan, GPU memory plus anonymous host memory. */
    uint64_t measured = compare_anon && sum.peak_anon_plus_gpu_bytes
                            ? sum.peak_anon_plus_gpu_bytes
                            : sum.peak_tree_bytes + sum.peak_tree_gpu_bytes;
    fprintf(stderr, "%soomguard:%s %s after %.1fs: ", cli_c(stderr, CLI_BOLD),
            cli_c(stderr, CLI_RESET), stage ? "stopped by the guard" : "finished", elapsed);
    if (stage)
        fprintf(stderr, "%s", og_trip_name(trip.trip));
    else if (killed_by)
        fprintf(stderr, "killed by signal %d", killed_by);
    else
        fprintf(stderr, "exit %d", rc);
    fprintf(stderr, "\n  peak tree memory %s (%s, %u process%s) at %.1fs",
            cli_bytes(sum.peak_tree_bytes), kind, sum.peak_tree_procs,
            sum.peak_tree_procs == 1 ? "" : "es", sum.peak_tree_t_s);
    if (sum.peak_tree_gpu_bytes)
        fprintf(stderr, " + GPU %s", cli_bytes(sum.peak_tree_gpu_bytes));
    fprintf(stderr, "\n");
    if (sum.avail_known)
        fprintf(stderr, "  lowest system available %s", cli_bytes(sum.min_avail_bytes));
    if (sum.swap_known)
        fprintf(stderr, "; swap grew %s (peak %s)",
                cli_bytes(sum.swap_peak_bytes > sum.swap_start_bytes
                              ? sum.swap_peak_bytes - sum.swap_start_bytes
                              : 0),
                cli_bytes(sum.swap_peak_bytes));
    fprintf(stderr, "\n  peak pressure %s; %.1fs under pressure (%.1fs critical)\n",
            og_pressure_name(sum.peak_pressure), sum.time_warn_s, sum.time_critical_s);
    if (predicted && compare_anon && sum.peak_anon_plus_gpu_bytes)
        fprintf(stderr,
                "  predicted peak %s, measured %s (%+.1f %%) on the GPU and in anonymous host "
                "memory\n  (pages of the mapped model file are page cache, not part of the plan; "
                "the GPU figure includes the CUDA context)\n",
                cli_bytes(predicted), cli_bytes(measured),
                ((double)measured - (double)predicted) / (double)predicted * 100);
    else if (predicted)
        fprintf(stderr, "  predicted peak %s, measured %s (%+.1f %%)\n", cli_bytes(predicted),
                cli_bytes(measured),
                ((double)measured - (double)predicted) / (double)predicted * 100);
    if (escalation[0])
        fprintf(stderr, "  escalated during the grace period (%s)\n", escalation);
    if (n_survivors) {
        fprintf(stderr, "  %u process%s outlived the child (still running):", n_survivors,
                n_survivors == 1 ? "" : "es");
        for (uint32_t k = 0; k < n_survivors; k++)
            fprintf(stderr, "%s %d %s", k ? "," : "", (int)survivors[k].pid, survivors[k].name);
        fprintf(stderr, "\n");
    }
    if (stage) {
        fprintf(stderr, "  fix: ");
        switch (trip.trip) {
        case OG_TRIP_MAX_MEM:
            fprintf(stderr, "lower the context (-c / --max-kv-size), quantize the KV cache "
                            "(-ctk q8_0 -ctv q8_0 / --kv-bits 8), pick a smaller quant, or raise "
                            "--max-mem\n");
            break;
        case OG_TRIP_AVAIL:
        case OG_TRIP_PRESSURE:
        case OG_TRIP_SWAPOUT:
            fprintf(stderr, "the machine ran out of memory: close heavy apps (oomguard top), "
                            "lower the context or the quant, and check with oomguard fit first\n");
            break;
        case OG_TRIP_NONE:
            fprintf(stderr, "\n");
            break;
        }
    }

    if (report) {
        og_svg_opts so = {0};
        so.title = cmdline;
        char sub[256];
        snprintf(sub, sizeof sub, "peak %s · lowest available %s · %s after %.1f s",
                 cli_bytes(sum.peak_tree_bytes + sum.peak_tree_gpu_bytes),
                 sum.avail_known ? cli_bytes(sum.min_avail_bytes) : "unknown",
                 stage ? "stopped by the guard" : "finished", elapsed);
        so.subtitle = sub;
        so.budget_bytes = max_mem ? max_mem : 0;
        so.budget_label = "--max-mem";
        so.predicted_bytes = predicted;
        so.guard_t_s = guard_t;
        char gl[96];
        snprintf(gl, sizeof gl, "guard: %s \xe2\x86\x92 SIGINT", og_trip_name(trip.trip));
        so.guard_label = gl;
        char *svg = og_watch_svg(ser.s, ser.n, &so);
        FILE *f = svg ? fopen(report, "w") : NULL;
        int ok = f && fputs(svg, f) >= 0;
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok) {
            fprintf(stderr, "oomguard: cannot write %s: %s\n", report,
                    svg ? strerror(errno) : "out of memory");
            if (f)
                remove(report); /* no half-written report */
        }
        free(svg);
    }
    if (logf) {
        fprintf(logf, "{\"event\":\"end\",\"t\":%.3f,\"exit\":%d,\"guard\":%s}\n", elapsed, rc,
                stage ? "true" : "false");
        fclose(logf);
    }

    if (!no_history) {
        og_run_record rec;
        memset(&rec, 0, sizeof rec);
        rec.started_unix = (int64_t)time(NULL) - (int64_t)elapsed;
        snprintf(rec.command, sizeof rec.command, "%s", cmdline);
        rec.engine = eng.engine;
        snprintf(rec.model, sizeof rec.model, "%s", eng.model);
        rec.n_ctx = eng.n_ctx;
        if (eng.engine != OG_ENGINE_NONE) {
            json_t *st = json_object();
            json_object_set_new(st, "tool", json_string(eng.tool));
            if (eng.n_ctx >= 0)
                json_object_set_new(st, "context", json_integer(eng.n_ctx));
            if (eng.n_gpu_layers > -3)
                json_object_set_new(st, "gpu_layers", json_integer(eng.n_gpu_layers));
            if (eng.n_parallel >= 0)
                json_object_set_new(st, "parallel", json_integer(eng.n_parallel));
            if (eng.cache_type_k[0])
                json_object_set_new(st, "cache_type_k", json_string(eng.cache_type_k));
            if (eng.cache_type_v[0])
                json_object_set_new(st, "cache_type_v", json_string(eng.cache_type_v));
            if (eng.flash_attn >= 0)
                json_object_set_new(st, "flash_attn", json_integer(eng.flash_attn));
            if (eng.kv_bits > 0)
                json_object_set_new(st, "kv_bits", json_integer(eng.kv_bits));
            char *t = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (t && strlen(t) < sizeof rec.settings)
                snprintf(rec.settings, sizeof rec.settings, "%s", t);
            free(t);
            json_decref(st);
        }
        rec.predicted_bytes = predicted;
        rec.peak_bytes = measured;
        rec.exit_code = rc;
        rec.duration_s = elapsed;
        snprintf(rec.guard, sizeof rec.guard, "%s", stage ? og_trip_name(trip.trip) : "");
        char path[1024];
        og_error herr;
        if (og_history_default_path(path, sizeof path, &herr) != OG_OK ||
            og_history_add(path, &rec, &herr) != OG_OK)
            fprintf(stderr, "oomguard: history not recorded: %s\n", herr.message);
    }

    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "command", json_string(cmdline));
        json_object_set_new(j, "engine", json_string(og_engine_name(eng.engine)));
        json_object_set_new(j, "exit_code", json_integer(rc));
        /* who decided the exit code: a command's own 1-4 reads like one of
         * oomguard's, so say it (docs/RUN.md) */
        json_object_set_new(j, "stopped_by",
                            json_string(stage       ? "guard"
                                        : killed_by ? "signal"
                                                    : "command"));
        json_object_set_new(j, "command_exit_code",
                            WIFEXITED(status) ? json_integer(WEXITSTATUS(status)) : json_null());
        json_object_set_new(j, "command_signal", killed_by ? json_integer(killed_by) : json_null());
        json_object_set_new(j, "duration_s", cli_json_real(elapsed, 3));
        json_object_set_new(j, "samples", json_integer(sum.n_samples));
        json_object_set_new(j, "peak_tree_bytes", json_integer((json_int_t)sum.peak_tree_bytes));
        json_object_set_new(j, "peak_tree_gpu_bytes",
                            json_integer((json_int_t)sum.peak_tree_gpu_bytes));
        json_object_set_new(j, "peak_tree_procs", json_integer(sum.peak_tree_procs));
        json_object_set_new(j, "tree_memory_kind", json_string(kind));
        json_object_set_new(j, "min_available_bytes",
                            sum.avail_known ? json_integer((json_int_t)sum.min_avail_bytes)
                                            : json_null());
        json_object_set_new(
            j, "swap_grown_bytes",
            sum.swap_known
                ? json_integer((json_int_t)(sum.swap_peak_bytes > sum.swap_start_bytes
                                                ? sum.swap_peak_bytes - sum.swap_start_bytes
                                                : 0))
                : json_null());
        json_object_set_new(j, "peak_pressure", json_string(og_pressure_name(sum.peak_pressure)));
        json_object_set_new(j, "time_under_pressure_s", cli_json_real(sum.time_warn_s, 3));
        json_object_set_new(j, "time_critical_s", cli_json_real(sum.time_critical_s, 3));
        json_object_set_new(j, "predicted_peak_bytes",
                            predicted ? json_integer((json_int_t)predicted) : json_null());
        json_object_set_new(j, "measured_peak_bytes", json_integer((json_int_t)measured));
        json_object_set_new(j, "measured_basis",
                            json_string(measured == sum.peak_anon_plus_gpu_bytes && compare_anon
                                            ? "anon_and_gpu"
                                            : "tree_and_gpu"));
        if (pf.ran) {
            json_t *pj = json_object();
            json_object_set_new(pj, "plan", json_string(pf.engine));
            json_object_set_new(pj, "predicted_bytes", json_integer((json_int_t)pf.predicted));
            json_object_set_new(pj, "budget_bytes", json_integer((json_int_t)pf.budget));
            json_object_set_new(pj, "verdict", json_string(pf.verdict));
            json_object_set_new(pj, "outside_tree", json_boolean(pf.outside_tree));
            json_object_set_new(pj, "note", json_string(pf.note));
            json_object_set_new(pj, "placement",
                                pf.placement[0] ? json_string(pf.placement) : json_null());
            json_object_set_new(j, "preflight", pj);
        } else {
            json_object_set_new(j, "preflight",
                                eng.engine != OG_ENGINE_NONE && pf.note[0]
                                    ? json_pack("{s:s}", "note", pf.note)
                                    : json_null());
        }
        json_t *g = json_object();
        json_object_set_new(g, "enabled", json_boolean(guard));
        json_object_set_new(g, "acted", json_boolean(stage > 0));
        if (stage) {
            json_object_set_new(g, "trip", json_string(og_trip_name(trip.trip)));
            json_object_set_new(g, "at_s", cli_json_real(guard_t, 3));
            json_object_set_new(g, "value", json_integer((json_int_t)trip.value));
            json_object_set_new(g, "limit", json_integer((json_int_t)trip.limit));
            json_object_set_new(g, "reason", json_string(trip.reason));
            json_object_set_new(g, "escalation",
                                escalation[0] ? json_string(escalation) : json_null());
            json_object_set_new(g, "last_signal",
                                json_string(stage == 1   ? "SIGINT"
                                            : stage == 2 ? "SIGTERM"
                                                         : "SIGKILL"));
        }
        json_object_set_new(j, "guard", g);
        json_t *sv = json_array();
        for (uint32_t k = 0; k < n_survivors; k++)
            json_array_append_new(sv, json_pack("{s:i,s:s}", "pid", (int)survivors[k].pid, "name",
                                                survivors[k].name));
        json_object_set_new(j, "survivors", sv);
        cli_print_json(j);
    }
    free(ser.s);
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
    return rc;
}
