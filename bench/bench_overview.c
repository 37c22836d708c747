#define _POSIX_C_SOURCE 200809L
/* bench_overview: the overview's work per catalog model, one og_decide
 * (pick_only, default settings, default build) per engine, timed on one
 * thread, for finding the rows that cost the most and for the per-call
 * costs in BENCHMARKS.md (§ "Overview").
 *
 *   bench_overview PRESET [TOP]
 *
 * Prints the TOP (default 10) slowest (model, engine) decisions in ms of CPU
 * time and the total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oomguard/catalog.h"
#include "oomguard/decide.h"

typedef struct row {
    char name[64];
    const char *engine;
    double ms;
} row;

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_ms(const void *a, const void *b)
{
    const row *x = a, *y = b;
    return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_overview PRESET [TOP]\n");
        return 2;
    }
    int top = argc > 2 ? atoi(argv[2]) : 10;
    og_error err;
    og_machine *m = calloc(1, sizeof *m);
    og_decision *d = calloc(1, sizeof *d);
    if (!m || !d || og_machine_load(argv[1], m, &err) != OG_OK || og_catalog_load(&err) != OG_OK) {
        fprintf(stderr, "bench_overview: %s\n", m && d ? err.message : "out of memory");
        return 2;
    }
    int mac = m->os == OG_OS_MACOS || m->apple_silicon;
    uint32_t n = og_catalog_count();
    row *rows = calloc(2 * n + 1, sizeof *rows);
    uint32_t nr = 0;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        for (int k = mac ? 0 : 1; k < 2; k++) {
            og_catalog_build b = k == 0 ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
            double t0 = cpu_ms();
            og_model *md = NULL;
            if (og_catalog_model(e, b, &md, &err) != OG_OK) {
                fprintf(stderr, "bench_overview: %s\n", err.message);
                return 2;
            }
            og_decide_input in;
            memset(&in, 0, sizeof in);
            in.model = md;
            in.entry = e;
            in.machine = m;
            og_decide_settings_default(&in.settings);
            in.settings.engine = k == 0 ? OG_ENGINE_MLX : OG_ENGINE_LLAMA_CPP;
            in.pick_only = 1;
            og_status st = og_decide(&in, d, &err);
            og_model_free(md);
            if (st != OG_OK) {
                fprintf(stderr, "bench_overview: %s: %s\n", e->name, err.message);
                return 2;
            }
            double ms = cpu_ms() - t0;
            snprintf(rows[nr].name, sizeof rows[nr].name, "%s", e->name);
            rows[nr].engine = k == 0 ? "mlx" : "gguf";
            rows[nr].ms = ms;
            nr++;
            total += ms;
        }
    }
    qsort(rows, nr, sizeof *rows, by_ms);
    for (int i = 0; i < top && i < (int)nr; i++)
        printf("%8.2f ms  %-4s %s\n", rows[i].ms, rows[i].engine, rows[i].name);
    printf("%8.2f ms  total, %u decisions (%.2f ms each on average)\n", total, nr,
           nr ? total / nr : 0.0);
    free(rows);
    free(d);
    free(m);
    return 0;
}
