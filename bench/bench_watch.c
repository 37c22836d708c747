/* Sampling overhead of `oomguard run`'s watcher: CPU time (user + system) of
 * og_watch_sample() on a child tree, per sample and as a share of one core at
 * a given rate. Also the parts: the parent-link scan of /proc, the tree's
 * footprint reads, the system reader.
 *
 * bench_watch [SAMPLES] [RATE_HZ] [TREE_MIB]
 *   defaults: 300 samples at 10 Hz over a 2-process tree holding 2 x 256 MiB. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oomguard/procs.h"
#include "oomguard/watch.h"

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static pid_t spawn_tree(size_t mib)
{
    pid_t p = fork();
    if (p == 0) {
        fork(); /* child and grandchild both touch */
        size_t n = mib << 20;
        char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (size_t i = 0; m != MAP_FAILED && i < n; i += 4096)
            m[i] = 1;
        for (;;)
            pause();
    }
    sleep(1);
    return p;
}

int main(int argc, char **argv)
{
    int samples = argc > 1 ? atoi(argv[1]) : 300;
    double hz = argc > 2 ? atof(argv[2]) : 10;
    size_t mib = argc > 3 ? (size_t)atoi(argv[3]) : 256;
    pid_t child = spawn_tree(mib);
    og_proc_list l;
    int nprocs = 0;
    if (og_procs_list(&l, 0, NULL) == OG_OK) {
        nprocs = (int)l.n;
        og_proc_list_free(&l);
    }

    /* Parts, 200 rounds each, back to back. */
    double c0 = cpu_s();
    for (int i = 0; i < 200; i++) {
        og_procs_list(&l, 0, NULL);
        og_proc_list_free(&l);
    }
    double scan_ms = (cpu_s() - c0) / 200 * 1e3;
    og_proc pr;
    c0 = cpu_s();
    for (int i = 0; i < 200; i++)
        og_proc_read(child, &pr, OG_PROCS_FOOTPRINT, NULL);
    double fp_ms = (cpu_s() - c0) / 200 * 1e3;
    c0 = cpu_s();
    for (int i = 0; i < 200; i++)
        og_proc_read(child, &pr, OG_PROCS_RSS, NULL);
    double rss_ms = (cpu_s() - c0) / 200 * 1e3;
    int32_t tp[64];
    uint32_t tn = 0;
    c0 = cpu_s();
    for (int i = 0; i < 200; i++)
        og_proc_tree_pids(child, 1, tp, 64, &tn, NULL);
    double tree_ms = (cpu_s() - c0) / 200 * 1e3;
    og_sysmem sm;
    c0 = cpu_s();
    for (int i = 0; i < 200; i++)
        og_sysmem_read(&sm, NULL);
    double sys_ms = (cpu_s() - c0) / 200 * 1e3;

    og_gpu_reading gr;
    c0 = cpu_s();
    double w0 = wall_s();
    for (int i = 0; i < 20; i++)
        og_gpu_reader_probe(NULL, &gr);
    double gpu_ms = (cpu_s() - c0) / 20 * 1e3, gpu_wall_ms = (wall_s() - w0) / 20 * 1e3;

    /* The watcher at its rate (with the GPU reader at its default 1 s pace). */
    og_watch_config wc = {0};
    wc.root_pid = child;
    wc.include_root = 1;
    wc.gpu = og_gpu_reader_probe;
    wc.gpu_interval_s = 1.0;
    og_watch *w;
    if (og_watch_open(&wc, &w, NULL) != OG_OK)
        return 1;
    og_sample s;
    double busy = 0, t0 = wall_s();
    uint32_t procs = 0;
    for (int i = 0; i < samples; i++) {
        double a = cpu_s();
        og_watch_sample(w, &s, NULL);
        busy += cpu_s() - a;
        procs = s.tree_procs;
        double next = t0 + (i + 1) / hz, now = wall_s();
        if (next > now) {
            struct timespec ts = {(time_t)(next - now),
                                  (long)((next - now - (double)(time_t)(next - now)) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    double wall = wall_s() - t0;
    og_watch_close(w);
    kill(child, SIGKILL);
    og_proc_signal_tree(child, 1, SIGKILL, NULL, NULL);
    waitpid(child, NULL, 0);

    printf("processes on the machine: %d; tree: %u processes x %zu MiB\n", nprocs, procs, mib);
    printf("parts (CPU per call): full /proc parent scan %.3f ms, tree pids by children files "
           "%.3f ms,\n  one process PSS (smaps_rollup) %.3f ms, one process RSS (statm) %.3f ms, "
           "system reader %.3f ms\n",
           scan_ms, tree_ms, fp_ms, rss_ms, sys_ms);
    printf("GPU reader (og_machine_probe): %.3f ms CPU, %.3f ms wall per call\n", gpu_ms,
           gpu_wall_ms);
    printf("watcher: %d samples at %.0f Hz over %.1f s wall: %.3f ms CPU per sample, "
           "%.2f %% of one core\n",
           samples, hz, wall, busy / samples * 1e3, busy / wall * 100);
    return 0;
}
