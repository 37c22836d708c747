/* The guard, the summary, engine command parsing, the system reader on a
 * fixture /proc, the SVG timeline and the history database. */
#include <check.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "og_test.h"
#include "oomguard/history.h"
#include "oomguard/oomguard.h"
#include "oomguard/watch.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static char tmpdir[256];

static void setup(void)
{
    og_test_mkdtemp(tmpdir, sizeof tmpdir, "watch");
}

static void teardown(void)
{
    og_test_rmtree(tmpdir);
}

static void put_s(const char *rel, const char *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0755);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(s, f);
    fclose(f);
}

/* A series: 10 Hz, tree grows by `grow` per sample, available shrinks by as much. */
static void series(og_sample *s, size_t n, uint64_t tree0, uint64_t grow, uint64_t avail0)
{
    memset(s, 0, n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i].t_s = 0.1 * (double)i;
        s[i].tree_bytes = tree0 + grow * i;
        s[i].tree_procs = 1;
        s[i].avail_bytes = avail0 - grow * i;
        s[i].avail_known = 1;
        s[i].swap_known = 1;
        s[i].pressure = OG_PRESSURE_NORMAL;
    }
}

START_TEST(test_guard_max_mem)
{
    og_guard_config c;
    og_guard_defaults(&c, 32 * GiB);
    c.max_tree_bytes = 2 * GiB;
    og_sample s[40];
    series(s, 40, 1 * GiB, 64 * MiB, 30 * GiB);
    og_trip_info info;
    /* 1 GiB + 16 x 64 MiB = 2 GiB: not over; the 17th sample is. */
    for (size_t n = 1; n <= 17; n++)
        ck_assert_int_eq(og_guard_check(&c, s, n, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 18, &info), OG_TRIP_MAX_MEM);
    ck_assert_uint_eq(info.value, 1 * GiB + 17 * 64 * MiB);
    ck_assert_uint_eq(info.limit, 2 * GiB);
    ck_assert_ptr_nonnull(strstr(info.reason, "max-mem"));
    /* GPU memory of the tree counts toward --max-mem. */
    s[3].tree_gpu_bytes = 1 * GiB;
    ck_assert_int_eq(og_guard_check(&c, s, 4, &info), OG_TRIP_MAX_MEM);
    ck_assert_str_eq(og_trip_name(OG_TRIP_MAX_MEM), "max-mem");
    ck_assert_int_eq(og_guard_check(&c, s, 0, &info), OG_TRIP_NONE);
}
END_TEST

START_TEST(test_guard_avail_floor)
{
    og_guard_config c;
    og_guard_defaults(&c, 32 * GiB);
    ck_assert_uint_eq(c.avail_floor_bytes, 1 * GiB); /* min(1 GiB, RAM/20) */
    og_sample s[60];
    series(s, 60, 0, 256 * MiB, 12 * GiB);
    og_trip_info info;
    /* avail = 12 GiB - 256 MiB i falls under 1 GiB at i = 45. */
    size_t first = 0;
    for (size_t n = 1; n <= 60 && !first; n++)
        if (og_guard_check(&c, s, n, &info) == OG_TRIP_AVAIL)
            first = n - 1;
    ck_assert_uint_eq(first, 45);
    ck_assert_uint_eq(info.limit, 1 * GiB);
    /* A machine that started short: the floor drops to half the start. */
    series(s, 10, 0, 10 * MiB, 600 * MiB);
    ck_assert_int_eq(og_guard_check(&c, s, 10, &info), OG_TRIP_NONE);
    s[9].avail_bytes = 299 * MiB;
    ck_assert_int_eq(og_guard_check(&c, s, 10, &info), OG_TRIP_AVAIL);
    ck_assert_uint_eq(info.limit, 300 * MiB);
    /* Unknown readings never trip. */
    s[9].avail_known = 0;
    ck_assert_int_eq(og_guard_check(&c, s, 10, &info), OG_TRIP_NONE);
    /* Small machines: the floor is at least 256 MiB. */
    og_guard_defaults(&c, 2 * GiB);
    ck_assert_uint_eq(c.avail_floor_bytes, 256 * MiB);
}
END_TEST

START_TEST(test_guard_pressure_sustained)
{
    og_guard_config c;
    og_guard_defaults(&c, 32 * GiB);
    og_sample s[30];
    series(s, 30, 0, 0, 20 * GiB);
    og_trip_info info;
    /* Critical from sample 10: trips once it held 1 s (sample 20). */
    for (size_t i = 10; i < 30; i++)
        s[i].pressure = OG_PRESSURE_CRITICAL;
    ck_assert_int_eq(og_guard_check(&c, s, 15, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 20, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 21, &info), OG_TRIP_PRESSURE);
    /* A blip back to warn restarts the clock. */
    s[15].pressure = OG_PRESSURE_WARN;
    ck_assert_int_eq(og_guard_check(&c, s, 21, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 26, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 27, &info), OG_TRIP_PRESSURE);
    c.pressure_critical = 0;
    ck_assert_int_eq(og_guard_check(&c, s, 30, &info), OG_TRIP_NONE);
}
END_TEST

START_TEST(test_guard_swapout)
{
    og_guard_config c;
    og_guard_defaults(&c, 32 * GiB);
    og_sample s[60];
    series(s, 60, 0, 0, 20 * GiB);
    og_trip_info info;
    /* 100 MiB/s from sample 10 on: trips after 3 s (sample 40). */
    for (size_t i = 10; i < 60; i++)
        s[i].swapout_bytes_per_s = 100.0 * MiB;
    ck_assert_int_eq(og_guard_check(&c, s, 40, &info), OG_TRIP_NONE);
    ck_assert_int_eq(og_guard_check(&c, s, 41, &info), OG_TRIP_SWAPOUT);
    ck_assert_uint_eq(info.limit, 64 * MiB);
    /* Under the threshold: never. */
    for (size_t i = 0; i < 60; i++)
        s[i].swapout_bytes_per_s = 60.0 * MiB;
    ck_assert_int_eq(og_guard_check(&c, s, 60, &info), OG_TRIP_NONE);
    /* Switched off. */
    for (size_t i = 0; i < 60; i++)
        s[i].swapout_bytes_per_s = 1000.0 * MiB;
    c.swapout_bytes_per_s = 0;
    ck_assert_int_eq(og_guard_check(&c, s, 60, &info), OG_TRIP_NONE);
}
END_TEST

START_TEST(test_summary)
{
    og_sample s[5];
    series(s, 5, 100 * MiB, 50 * MiB, 8 * GiB);
    s[2].tree_bytes = 900 * MiB; /* the peak */
    s[0].swap_used_bytes = 1 * GiB;
    s[3].swap_used_bytes = 3 * GiB;
    s[4].swap_used_bytes = 2 * GiB;
    s[2].pressure = OG_PRESSURE_WARN;
    s[3].pressure = OG_PRESSURE_CRITICAL;
    og_summary sum;
    og_summary_init(&sum);
    for (int i = 0; i < 5; i++)
        og_summary_add(&sum, &s[i]);
    ck_assert_uint_eq(sum.n_samples, 5);
    ck_assert_uint_eq(sum.peak_tree_bytes, 900 * MiB);
    ck_assert(sum.peak_tree_t_s > 0.19 && sum.peak_tree_t_s < 0.21);
    ck_assert_uint_eq(sum.min_avail_bytes, 8 * GiB - 200 * MiB);
    ck_assert_uint_eq(sum.swap_start_bytes, 1 * GiB);
    ck_assert_uint_eq(sum.swap_peak_bytes, 3 * GiB);
    ck_assert_uint_eq(sum.swap_end_bytes, 2 * GiB);
    ck_assert_int_eq(sum.peak_pressure, OG_PRESSURE_CRITICAL);
    ck_assert(sum.time_warn_s > 0.19 && sum.time_warn_s < 0.21);
    ck_assert(sum.time_critical_s > 0.09 && sum.time_critical_s < 0.11);
}
END_TEST

START_TEST(test_psi_levels)
{
    ck_assert_int_eq(og_pressure_from_psi(0, 0), OG_PRESSURE_NORMAL);
    ck_assert_int_eq(og_pressure_from_psi(9.9, 0.9), OG_PRESSURE_NORMAL);
    ck_assert_int_eq(og_pressure_from_psi(10, 0), OG_PRESSURE_WARN);
    ck_assert_int_eq(og_pressure_from_psi(0, 1), OG_PRESSURE_WARN);
    ck_assert_int_eq(og_pressure_from_psi(50, 0), OG_PRESSURE_CRITICAL);
    ck_assert_int_eq(og_pressure_from_psi(20, 10), OG_PRESSURE_CRITICAL);
}
END_TEST

START_TEST(test_sysmem_fixture)
{
    put_s("meminfo", "MemTotal:       32000000 kB\nMemFree:  100 kB\n"
                     "MemAvailable:   12000000 kB\nSwapTotal:  4000000 kB\n"
                     "SwapFree:   3000000 kB\n");
    put_s("pressure/memory", "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
                             "full avg10=0.50 avg60=0.10 avg300=0.00 total=45\n");
    put_s("vmstat", "nr_free_pages 1\npswpin 5\npswpout 777\n");
    og_sysmem m;
    og_error err;
    ck_assert_int_eq(og_sysmem_read_at(tmpdir, "", &m, &err), OG_OK);
    ck_assert_uint_eq(m.total_bytes, 32000000ull * 1024);
    ck_assert_uint_eq(m.avail_bytes, 12000000ull * 1024);
    ck_assert_uint_eq(m.swap_used_bytes, 1000000ull * 1024);
    ck_assert_uint_eq(m.swapouts, 777);
    ck_assert(m.psi_known && m.psi_some_avg10 > 12.49 && m.psi_some_avg10 < 12.51);
    ck_assert_int_eq(m.pressure, OG_PRESSURE_WARN);
    /* A cgroup v2 limit caps "available" (inactive file cache counts as room). */
    put_s("cg/memory.max", "8589934592\n");
    put_s("cg/memory.current", "8000000000\n");
    put_s("cg/memory.stat", "anon 7000000000\ninactive_file 100000000\n");
    char cg[400];
    snprintf(cg, sizeof cg, "%s/cg", tmpdir);
    ck_assert_int_eq(og_sysmem_read_at(tmpdir, cg, &m, &err), OG_OK);
    ck_assert_uint_eq(m.cgroup_limit_bytes, 8589934592ull);
    ck_assert_uint_eq(m.avail_bytes, 8589934592ull - (8000000000ull - 100000000ull));
    /* "max" means no limit. */
    put_s("cg/memory.max", "max\n");
    ck_assert_int_eq(og_sysmem_read_at(tmpdir, cg, &m, &err), OG_OK);
    ck_assert_uint_eq(m.avail_bytes, 12000000ull * 1024);
    /* Nothing readable: an error naming the file. */
    char none[400];
    snprintf(none, sizeof none, "%s/none", tmpdir);
    ck_assert_int_eq(og_sysmem_read_at(none, "", &m, &err), OG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "meminfo"));
    /* Live: this machine has memory. */
    ck_assert_int_eq(og_sysmem_read(&m, &err), OG_OK);
    ck_assert(m.avail_known && m.total_bytes > 0);
}
END_TEST

static og_engine parse(og_engine_cmd *c, const char *line)
{
    char buf[1024];
    const char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    return og_engine_cmd_parse(argc, argv, c);
}

START_TEST(test_engine_parse)
{
    og_engine_cmd c;
    ck_assert_int_eq(parse(&c, "/usr/local/bin/llama-server -m /m/q4.gguf -c 32768 -ngl 99 -np 4 "
                               "-ctk q8_0 -ctv q4_0 -fa on -b 4096 -ub 512 --port 8080"),
                     OG_ENGINE_LLAMA_CPP);
    ck_assert_str_eq(c.tool, "llama-server");
    ck_assert_str_eq(c.model, "/m/q4.gguf");
    ck_assert_int_eq(c.n_ctx, 32768);
    ck_assert_int_eq(c.n_gpu_layers, 99);
    ck_assert_int_eq(c.n_parallel, 4);
    ck_assert_str_eq(c.cache_type_k, "q8_0");
    ck_assert_str_eq(c.cache_type_v, "q4_0");
    ck_assert_int_eq(c.flash_attn, 1);
    ck_assert_int_eq(c.n_batch, 4096);
    ck_assert_int_eq(c.n_ubatch, 512);
    /* long forms with '=', ngl all/auto, bare -fa (older llama.cpp), -hf */
    ck_assert_int_eq(parse(&c, "llama-cli --model=x.gguf --ctx-size=4096 --n-gpu-layers all -fa "
                               "-p hello"),
                     OG_ENGINE_LLAMA_CPP);
    ck_assert_str_eq(c.model, "x.gguf");
    ck_assert_int_eq(c.n_ctx, 4096);
    ck_assert_int_eq(c.n_gpu_layers, -2);
    ck_assert_int_eq(c.flash_attn, 1);
    ck_assert_int_eq(parse(&c, "llama-server -hf ggml-org/gemma-3-1b-it-GGUF -ngl auto -fa off"),
                     OG_ENGINE_LLAMA_CPP);
    ck_assert(c.model_is_repo);
    ck_assert_int_eq(c.n_gpu_layers, -1);
    ck_assert_int_eq(c.flash_attn, 0);
    ck_assert_int_eq(c.n_ctx, -1);
    ck_assert_int_eq(c.n_parallel, -1);
    /* MLX: console script, python -m, subcommand form, uv run */
    ck_assert_int_eq(parse(&c, "mlx_lm.generate --model mlx-community/Qwen3-8B-4bit "
                               "--max-kv-size 8192 --kv-bits 4 -m 256 --prompt hi"),
                     OG_ENGINE_MLX);
    ck_assert_str_eq(c.tool, "mlx_lm.generate");
    ck_assert_str_eq(c.model, "mlx-community/Qwen3-8B-4bit");
    ck_assert(c.model_is_repo);
    ck_assert_int_eq(c.n_ctx, 8192);
    ck_assert_int_eq(c.kv_bits, 4);
    ck_assert_int_eq(c.max_tokens, 256);
    ck_assert_int_eq(parse(&c, "python3 -m mlx_lm.server --model /models/llama --port 8080"),
                     OG_ENGINE_MLX);
    ck_assert_str_eq(c.tool, "mlx_lm.server");
    ck_assert(!c.model_is_repo);
    ck_assert_int_eq(c.quantized_kv_start, -1);
    ck_assert_int_eq(parse(&c, "python -m mlx_lm generate --model m/x --kv-bits 8 "
                               "--quantized-kv-start 0"),
                     OG_ENGINE_MLX);
    ck_assert_str_eq(c.tool, "mlx_lm.generate");
    ck_assert_int_eq(c.kv_bits, 8);
    ck_assert_int_eq(c.quantized_kv_start, 0);
    ck_assert_int_eq(parse(&c, "uv run mlx_lm.generate --model a/b"), OG_ENGINE_MLX);
    ck_assert_int_eq(parse(&c, "env FOO=1 llama-cli -m a.gguf"), OG_ENGINE_LLAMA_CPP);
    /* Ollama */
    ck_assert_int_eq(parse(&c, "ollama run --verbose llama3.1:8b hello"), OG_ENGINE_OLLAMA);
    ck_assert_str_eq(c.model, "llama3.1:8b");
    ck_assert_int_eq(parse(&c, "ollama serve"), OG_ENGINE_NONE);
    ck_assert_int_eq(parse(&c, "ollama run"), OG_ENGINE_NONE);
    /* Not engines */
    ck_assert_int_eq(parse(&c, "python3 train.py -m mlx_lm.generate"), OG_ENGINE_NONE);
    ck_assert_int_eq(parse(&c, "python3 -m http.server"), OG_ENGINE_NONE);
    ck_assert_int_eq(parse(&c, "sleep 5"), OG_ENGINE_NONE);
    ck_assert_int_eq(og_engine_cmd_parse(0, NULL, &c), OG_ENGINE_NONE);
    /* llama.cpp RPC: llama-server --rpc (common/arg.cpp) and rpc-server's own options
     * (tools/rpc/rpc-server.cpp: -c is --cache there, not a context size) */
    ck_assert_int_eq(
        parse(&c, "llama-server --rpc 10.0.0.2:50052,10.0.0.3:50052 -m x.gguf -c 8192"),
        OG_ENGINE_LLAMA_CPP);
    ck_assert_uint_eq(c.n_rpc, 2);
    ck_assert_str_eq(c.rpc, "10.0.0.2:50052,10.0.0.3:50052");
    ck_assert_int_eq(c.rpc_server, 0);
    ck_assert_int_eq(c.n_ctx, 8192);
    ck_assert_int_eq(parse(&c, "/opt/llama/bin/rpc-server -H 0.0.0.0 -p 50053 -c -d CUDA0"),
                     OG_ENGINE_LLAMA_CPP);
    ck_assert_str_eq(c.tool, "rpc-server");
    ck_assert_int_eq(c.rpc_server, 1);
    ck_assert_int_eq(c.rpc_port, 50053);
    ck_assert_int_eq(c.rpc_cache, 1);
    ck_assert_int_eq(c.n_ctx, -1);
    ck_assert_str_eq(c.model, "");
    ck_assert_int_eq(parse(&c, "ggml-rpc-server"), OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.rpc_port, 50052);
    ck_assert_uint_eq(c.n_rpc, 0);
    /* llama.cpp's --fit and the placement flags it leaves alone */
    ck_assert_int_eq(parse(&c, "llama-server -m x.gguf"), OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.fit, -1);
    ck_assert_int_eq(c.placement_set, 0);
    ck_assert_int_eq(c.fit_target_mib, -1);
    ck_assert_int_eq(c.fit_ctx, -1);
    ck_assert_int_eq(parse(&c, "llama-server -m x.gguf --fit off -fitt 2048,1024 -fitc 8192 "
                               "-ot exps=CPU -c 4096"),
                     OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.fit, 0);
    ck_assert_int_eq(c.fit_target_mib, 2048);
    ck_assert_int_eq(c.fit_ctx, 8192);
    ck_assert_int_eq(c.placement_set, 1);
    ck_assert_int_eq(c.n_ctx, 4096); /* -ot's value was consumed */
    ck_assert_int_eq(parse(&c, "llama-server --fit=on --cpu-moe -m x.gguf"), OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.fit, 1);
    ck_assert_int_eq(c.placement_set, 1);
    ck_assert_str_eq(c.model, "x.gguf");
    ck_assert_int_eq(parse(&c, "llama-server -ts 1,1 -m x.gguf"), OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.placement_set, 1);
    ck_assert_str_eq(c.model, "x.gguf");
    /* A dangling option does not read past argv. */
    ck_assert_int_eq(parse(&c, "llama-cli -c"), OG_ENGINE_LLAMA_CPP);
    ck_assert_int_eq(c.n_ctx, -1);
    ck_assert_str_eq(og_engine_name(OG_ENGINE_MLX), "mlx");
}
END_TEST

START_TEST(test_svg)
{
    og_sample s[50];
    series(s, 50, 100 * MiB, 20 * MiB, 6 * GiB);
    s[30].pressure = OG_PRESSURE_CRITICAL;
    og_svg_opts o = {0};
    o.title = "llama-cli -m <x> & y";
    o.budget_bytes = 1 * GiB;
    o.budget_label = "--max-mem";
    o.guard_t_s = 4.0;
    o.guard_label = "guard: max-mem";
    char *svg = og_watch_svg(s, 50, &o);
    ck_assert_ptr_nonnull(svg);
    ck_assert(strncmp(svg, "<svg", 4) == 0);
    ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
    ck_assert_ptr_nonnull(strstr(svg, "llama-cli -m &lt;x&gt; &amp; y")); /* escaped */
    ck_assert_ptr_nonnull(strstr(svg, "guard: max-mem"));
    ck_assert_ptr_nonnull(strstr(svg, "#fecaca")); /* the critical band */
    ck_assert_ptr_null(strstr(svg, "nan"));
    free(svg);
    /* No samples: still a valid picture. */
    svg = og_watch_svg(NULL, 0, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
    free(svg);
}
END_TEST

START_TEST(test_history_path)
{
    char p[512];
    og_error err;
    ck_assert_int_eq(og_history_path_for(OG_OS_LINUX, "/home/a", NULL, p, sizeof p, &err), OG_OK);
    ck_assert_str_eq(p, "/home/a/.local/state/oomguard/history.db");
    ck_assert_int_eq(og_history_path_for(OG_OS_LINUX, "/home/a", "/xdg", p, sizeof p, &err), OG_OK);
    ck_assert_str_eq(p, "/xdg/oomguard/history.db");
    /* A relative XDG_STATE_HOME is ignored, as the spec says. */
    ck_assert_int_eq(og_history_path_for(OG_OS_LINUX, "/home/a", "rel", p, sizeof p, &err), OG_OK);
    ck_assert_str_eq(p, "/home/a/.local/state/oomguard/history.db");
    ck_assert_int_eq(og_history_path_for(OG_OS_MACOS, "/Users/a", "/xdg", p, sizeof p, &err),
                     OG_OK);
    ck_assert_str_eq(p, "/Users/a/Library/Application Support/oomguard/history.db");
    ck_assert_int_eq(og_history_path_for(OG_OS_LINUX, NULL, NULL, p, sizeof p, &err),
                     OG_ERR_NOT_FOUND);
    ck_assert_int_eq(og_history_path_for(OG_OS_LINUX, "/h", NULL, p, 8, &err), OG_ERR_INVALID);
}
END_TEST

START_TEST(test_history_db)
{
    char db[400];
    og_error err;
    snprintf(db, sizeof db, "%s/deep/er/history.db", tmpdir);
    og_run_record *v;
    uint32_t n;
    ck_assert_int_eq(og_history_list(db, 0, &v, &n, &err), OG_OK); /* missing = empty */
    ck_assert_uint_eq(n, 0);
    og_run_record r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        r.started_unix = 1700000000 + i;
        snprintf(r.command, sizeof r.command, "llama-cli -m x.gguf -c %d", 1024 << i);
        r.engine = OG_ENGINE_LLAMA_CPP;
        snprintf(r.model, sizeof r.model, "x.gguf");
        r.n_ctx = 1024 << i;
        r.predicted_bytes = 1000 * MiB;
        r.peak_bytes = (uint64_t)(1000 + 100 * i) * MiB; /* +0 %, +10 %, +20 % */
        r.exit_code = i;
        r.duration_s = 1.5;
        ck_assert_int_eq(og_history_add(db, &r, &err), OG_OK);
    }
    memset(&r, 0, sizeof r);
    snprintf(r.command, sizeof r.command, "sleep 1");
    r.peak_bytes = 1 * MiB;
    snprintf(r.guard, sizeof r.guard, "max-mem");
    r.exit_code = 4;
    ck_assert_int_eq(og_history_add(db, &r, &err), OG_OK);
    ck_assert_int_eq(og_history_list(db, 0, &v, &n, &err), OG_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(v[0].command, "sleep 1"); /* newest first */
    ck_assert_str_eq(v[0].guard, "max-mem");
    ck_assert_uint_eq(v[0].predicted_bytes, 0);
    ck_assert_int_eq(v[1].n_ctx, 4096);
    ck_assert_int_eq(v[1].engine, OG_ENGINE_LLAMA_CPP);
    ck_assert_str_eq(v[1].settings, "{}");
    og_history_accuracy acc;
    og_history_accuracy_of(v, n, OG_ENGINE_NONE, &acc);
    ck_assert_uint_eq(acc.n, 3);
    ck_assert(acc.mean_error_pct > 9.99 && acc.mean_error_pct < 10.01);
    ck_assert(acc.worst_error_pct > 19.99 && acc.worst_error_pct < 20.01);
    og_history_accuracy_of(v, n, OG_ENGINE_MLX, &acc);
    ck_assert_uint_eq(acc.n, 0);
    free(v);
    ck_assert_int_eq(og_history_list(db, 2, &v, &n, &err), OG_OK);
    ck_assert_uint_eq(n, 2);
    free(v);

    /* A newer schema is refused by name. */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(og_history_list(db, 0, &v, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "newer"));
    ck_assert_int_eq(og_history_add(db, &r, &err), OG_ERR_INVALID);

    /* Someone else's database. */
    snprintf(db, sizeof db, "%s/other.db", tmpdir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(og_history_add(db, &r, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "not an oomguard history"));

    /* Garbage. */
    snprintf(db, sizeof db, "%s/garbage.db", tmpdir);
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    ck_assert_int_eq(og_history_list(db, 0, &v, &n, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "garbage.db"));
}
END_TEST

START_TEST(test_guard_escalate)
{
    /* Issue 18 item 9: during the grace period, growth past the limit or the
     * machine's floor escalates at once. */
    og_guard_config c;
    og_guard_defaults(&c, 32 * GiB);
    c.max_tree_bytes = 1 * GiB;
    og_sample s[40];
    series(s, 40, 1 * GiB, 16 * MiB, 30 * GiB);
    og_trip_info info;
    int kill_now = -1;
    /* tripped at s[1] (1.016 GiB): 4 samples later +64 MiB, not more: wait */
    ck_assert_int_eq(og_guard_escalate(&c, s, 6, s[1].tree_bytes, &info, &kill_now), 0);
    /* 5 samples later +80 MiB > 64 MiB: the next signal now, reason given */
    ck_assert_int_eq(og_guard_escalate(&c, s, 7, s[1].tree_bytes, &info, &kill_now), 1);
    ck_assert_int_eq(kill_now, 0);
    ck_assert_int_eq(info.trip, OG_TRIP_MAX_MEM);
    ck_assert_ptr_nonnull(strstr(info.reason, "kept growing"));
    /* a tree that stopped growing, under the limit again: wait */
    for (size_t i = 7; i < 40; i++)
        s[i].tree_bytes = 512 * MiB;
    ck_assert_int_eq(og_guard_escalate(&c, s, 20, s[1].tree_bytes, &info, &kill_now), 0);
    /* the machine's floor: straight to SIGKILL */
    s[19].avail_bytes = 100 * MiB;
    ck_assert_int_eq(og_guard_escalate(&c, s, 20, s[1].tree_bytes, &info, &kill_now), 1);
    ck_assert_int_eq(kill_now, 1);
    ck_assert_int_eq(info.trip, OG_TRIP_AVAIL);
    /* critical pressure held: SIGKILL */
    s[19].avail_bytes = 20 * GiB;
    for (size_t i = 5; i < 20; i++)
        s[i].pressure = OG_PRESSURE_CRITICAL;
    ck_assert_int_eq(og_guard_escalate(&c, s, 20, s[1].tree_bytes, &info, &kill_now), 1);
    ck_assert_int_eq(info.trip, OG_TRIP_PRESSURE);
    ck_assert_int_eq(kill_now, 1);
    ck_assert_int_eq(og_guard_escalate(&c, s, 0, 0, &info, &kill_now), 0);
}
END_TEST

START_TEST(test_history_concurrent_create)
{
    /* Issue 18 item 13: two runs that create the database at the same moment
     * both keep their row (2 of 40 fresh pairs lost one before). */
    og_run_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.command, sizeof r.command, "sleep 1");
    r.peak_bytes = 1 * MiB;
    for (int pair = 0; pair < 40; pair++) {
        char db[400];
        snprintf(db, sizeof db, "%s/race%d/history.db", tmpdir, pair);
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            ck_assert_int_ge(kids[k], 0);
            if (kids[k] == 0) {
                og_error e;
                _exit(og_history_add(db, &r, &e) == OG_OK ? 0 : 1);
            }
        }
        for (int k = 0; k < 2; k++) {
            int st;
            ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pair %d: a run failed", pair);
        }
        og_run_record *v;
        uint32_t n;
        og_error err;
        ck_assert_int_eq(og_history_list(db, 0, &v, &n, &err), OG_OK);
        ck_assert_msg(n == 2, "pair %d: %u rows", pair, n);
        free(v);
        struct stat sb;
        ck_assert_int_eq(stat(db, &sb), 0);
        ck_assert_msg((sb.st_mode & 0777) == 0600, "mode %o", sb.st_mode & 0777);
    }
}
END_TEST

START_TEST(test_history_redacts_secrets)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"env HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz llama-server -hf org/m",
         "env HF_TOKEN=*** llama-server -hf org/m"},
        {"llama-server -m m.gguf --api-key sekrit --port 8080",
         "llama-server -m m.gguf --api-key *** --port 8080"},
        {"llama-server --api-key=sekrit -c 4096", "llama-server --api-key=*** -c 4096"},
        {"llama-server --api-key-file /etc/keys.txt", "llama-server --api-key-file /etc/keys.txt"},
        {"llama-cli -hf org/m -hft hf_x --hf-token abc",
         "llama-cli -hf org/m -hft *** --hf-token ***"},
        {"curl -H 'Authorization: Bearer abc.def' http://h/",
         "curl -H 'Authorization: Bearer ***' http://h/"},
        {"curl -H Authorization:xyz http://u:pw@host/p?token=t1&x=2",
         "curl -H Authorization:*** http://u:***@host/p?token=***&x=2"},
        {"OPENAI_API_KEY=sk-0123456789abcdefghij python run.py --max-tokens 512",
         "OPENAI_API_KEY=*** python run.py --max-tokens 512"},
        {"mlx_lm.generate --model m --prompt hf_0123456789abcdefghijkl",
         "mlx_lm.generate --model m --prompt ***"},
        {"llama-cli -m x.gguf -c 8192 -ngl 99", "llama-cli -m x.gguf -c 8192 -ngl 99"},
    };
    char out[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        og_redact_secrets(cases[i].in, out, sizeof out);
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "\n in: %s\nout: %s\nwant: %s", cases[i].in,
                      out, cases[i].out);
    }
    /* the database never holds the secret */
    char db[400];
    snprintf(db, sizeof db, "%s/secret/history.db", tmpdir);
    og_run_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.command, sizeof r.command,
             "env HF_TOKEN=hf_topsecretvalue0123456789 llama-server "
             "--api-key k3y");
    og_error err;
    ck_assert_int_eq(og_history_add(db, &r, &err), OG_OK);
    FILE *f = fopen(db, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert(memmem(buf, got, "topsecret", 9) == NULL && memmem(buf, got, "k3y", 3) == NULL);
    ck_assert(memmem(buf, got, "HF_TOKEN=***", 12) != NULL);
    /* a database left readable by others is closed up */
    chmod(db, 0644);
    ck_assert_int_eq(og_history_add(db, &r, &err), OG_OK);
    struct stat sb;
    ck_assert_int_eq(stat(db, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("watch");
    TCase *tc = tcase_create("watch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_guard_max_mem);
    tcase_add_test(tc, test_guard_avail_floor);
    tcase_add_test(tc, test_guard_pressure_sustained);
    tcase_add_test(tc, test_guard_swapout);
    tcase_add_test(tc, test_guard_escalate);
    tcase_add_test(tc, test_summary);
    tcase_add_test(tc, test_psi_levels);
    tcase_add_test(tc, test_sysmem_fixture);
    tcase_add_test(tc, test_engine_parse);
    tcase_add_test(tc, test_svg);
    tcase_add_test(tc, test_history_path);
    tcase_add_test(tc, test_history_db);
    tcase_add_test(tc, test_history_concurrent_create);
    tcase_add_test(tc, test_history_redacts_secrets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
