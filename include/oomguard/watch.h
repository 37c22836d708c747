/* oomguard — watching a run: samples of a process tree and the system, the
 * guard that decides when to stop it, and the run summary.
 *
 * og_watch_sample() reads, at the caller's pace, the tree's memory (see
 * procs.h), system available memory, swap, the swap-out counter and memory
 * pressure (Linux PSI / macOS level), and — at a slower pace, because NVML
 * and IOKit reads are slow — the GPU pool and per-process GPU memory.
 *
 * The guard (og_guard_check) and the summary (og_summary_add) are portable
 * pure functions over samples, tested with synthetic series.
 */
#ifndef OOMGUARD_WATCH_H
#define OOMGUARD_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "procs.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* System memory readings of one moment (raw, from the platform reader). */
typedef struct og_sysmem {
    uint64_t total_bytes;
    uint64_t avail_bytes; /* Linux MemAvailable (capped by the cgroup's room); macOS free (which
                             includes speculative) + inactive + purgeable */
    int avail_known;
    uint64_t swap_total_bytes, swap_used_bytes;
    int swap_known;
    uint64_t swapouts; /* cumulative pages swapped out (pswpout / vm_stat swapouts) */
    int swapouts_known;
    uint64_t page_size;
    og_pressure pressure;
    double psi_some_avg10, psi_full_avg10; /* percent; Linux only */
    int psi_known;
    uint64_t cgroup_limit_bytes, cgroup_usage_bytes; /* 0 limit = none */
} og_sysmem;

/* Read the system now. Linux: from proc_root ("/proc" or a fixture tree)
 * and cgroup_dir (NULL: find this process's cgroup v2 folder). A reading that
 * fails is left unknown; OG_ERR_IO only when nothing could be read. */
OG_API og_status og_sysmem_read(og_sysmem *m, og_error *err);
OG_API og_status og_sysmem_read_at(const char *proc_root, const char *cgroup_dir, og_sysmem *m,
                                   og_error *err);

/* Linux PSI → level (pure): critical when full avg10 >= 10 % or some avg10
 * >= 50 %; warn when full avg10 >= 1 % or some avg10 >= 10 %. */
OG_API og_pressure og_pressure_from_psi(double some_avg10, double full_avg10);

/* One sample of a run. */
typedef struct og_sample {
    double t_s;          /* seconds since the watch started */
    uint32_t tree_procs; /* processes in the tree */
    uint64_t tree_bytes; /* footprint sum (PSS / phys footprint, else RSS) */
    uint64_t tree_rss_bytes;
    uint64_t tree_anon_bytes; /* resident memory not backed by files (0 = unknown) */
    og_mem_kind tree_kind;
    uint64_t tree_gpu_bytes; /* GPU memory the tree holds (NVML per process); see gpu_known */
    int tree_gpu_known;
    uint64_t avail_bytes; /* system available */
    int avail_known;
    uint64_t swap_used_bytes;
    int swap_known;
    double swapout_bytes_per_s; /* since the previous sample; 0 for the first */
    og_pressure pressure;
    double psi_some_avg10, psi_full_avg10;
    int gpu_known; /* GPU pool readings valid (refreshed every gpu interval) */
    uint64_t gpu_used_bytes, gpu_total_bytes;
} og_sample;

/* Per-process GPU memory and the pool, read at a slower pace. Return 1 when
 * read, 0 when unknown. */
typedef struct og_gpu_reading {
    uint64_t used_bytes, total_bytes;
    uint32_t n_procs;
    int32_t pids[256];
    uint64_t bytes[256];
} og_gpu_reading;
typedef int (*og_gpu_reader_fn)(void *ctx, og_gpu_reading *out);

/* A GPU reader over og_machine_probe(): the pool summed over GPUs with known
 * memory (unified pool on Apple), per-process bytes from og_gpu.procs[]
 * (NVML). ctx is unused. Returns 0 when no GPU memory is known. */
OG_API int og_gpu_reader_probe(void *ctx, og_gpu_reading *out);

typedef struct og_watch_config {
    int32_t root_pid;      /* the run's child */
    int include_root;      /* 1: the root's own memory counts (the usual) */
    int32_t adopter_pid;   /* > 0: also count processes adopted by this pid (the
                              watcher, when it is a subreaper), except itself */
    double gpu_interval_s; /* how often to call gpu (default 1 s); 0 = every sample */
    og_gpu_reader_fn gpu;  /* NULL: no GPU readings */
    void *gpu_ctx;
    /* > 0: when a tree of several processes holds more than this by the RSS
     * sum, count PSS instead (Linux smaps_rollup; pages shared inside the tree
     * once), read at most once a second. 0: the RSS sum only. */
    uint64_t pss_above_bytes;
    uint64_t pss_recheck_bytes; /* > 0: an estimate above this reads PSS again at once */
} og_watch_config;

typedef struct og_watch og_watch;

OG_API og_status og_watch_open(const og_watch_config *cfg, og_watch **out, og_error *err);
/* Take one sample now. OG_ERR_IO only when neither the tree nor the system
 * could be read. */
OG_API og_status og_watch_sample(og_watch *w, og_sample *s, og_error *err);
OG_API void og_watch_close(og_watch *w);

/* ---- engine invocations (preflight) ---- */

typedef enum og_engine {
    OG_ENGINE_NONE = 0,
    OG_ENGINE_LLAMA_CPP, /* llama-cli, llama-server, llama-run, llama-mtmd-cli */
    OG_ENGINE_MLX,       /* mlx_lm.generate / mlx_lm.server / python -m mlx_lm ... */
    OG_ENGINE_OLLAMA     /* ollama run MODEL */
} og_engine;

OG_API const char *og_engine_name(og_engine e); /* "llama.cpp", "mlx", "ollama", "none" */

/* Settings read from an engine's command line. Unset numbers are 0 (or -1
 * where 0 is meaningful); strings are "" when not given. */
typedef struct og_engine_cmd {
    og_engine engine;
    char tool[48];        /* "llama-server", "mlx_lm.generate", "ollama run" */
    char model[1024];     /* -m/--model path, -hf repo, or the Ollama model name */
    int model_is_repo;    /* 1: a Hugging Face repo id (-hf, or an MLX --model repo) */
    int64_t n_ctx;        /* llama -c/--ctx-size (0 = the model's); MLX --max-kv-size; -1 unset */
    int64_t n_gpu_layers; /* -ngl N; -1 auto, -2 all; -3 unset */
    int64_t n_parallel;   /* -np/--parallel; -1 unset */
    int64_t n_batch, n_ubatch;               /* -b, -ub; -1 unset */
    char cache_type_k[16], cache_type_v[16]; /* -ctk/-ctv ("f16", "q8_0", ...) */
    int flash_attn;                          /* -fa: 1 on, 0 off, 2 auto, -1 unset */
    int64_t kv_bits;                         /* MLX --kv-bits; -1 unset */
    int64_t kv_group_size;                   /* MLX --kv-group-size; -1 unset */
    int64_t quantized_kv_start;              /* MLX --quantized-kv-start; -1 unset */
    int64_t max_tokens;                      /* MLX --max-tokens/-m, llama -n/--predict; -1 unset */
    int cache_ram_set;                       /* llama-server -cram/--cache-ram given */
    int64_t cache_ram_mib;                   /* its value (-1 = no limit, 0 = off) */
    int64_t ctx_checkpoints;                 /* -ctxcp/--ctx-checkpoints; -1 unset */
    int64_t prompt_cache_size;               /* mlx_lm.server --prompt-cache-size; -1 unset */
    int64_t prompt_cache_bytes;              /* mlx_lm.server --prompt-cache-bytes; -1 unset */
    /* llama.cpp's --fit (common/arg.cpp): it places what the user left unset */
    int fit;                /* -fit/--fit: 1 on, 0 off, -1 unset (on) */
    int placement_set;      /* -ot, -ts, -cmoe or -ncmoe given: --fit keeps the placement */
    int64_t fit_target_mib; /* -fitt/--fit-target (one value, broadcast); -1 unset */
    int64_t fit_ctx;        /* -fitc/--fit-ctx; -1 unset */
    /* VAR=VALUE assignments of an `env` launcher (env OLLAMA_CONTEXT_LENGTH=8192 ollama run ...),
     * in order; the engine sees them on top of the caller's environment. */
    uint32_t n_env;
    char env[8][128];
    /* llama.cpp RPC (tools/rpc/rpc-server.cpp, common/arg.cpp --rpc) */
    int rpc_server;   /* 1: the command is rpc-server: it serves this host's devices to a
                         llama-server elsewhere (tool "rpc-server", no model of its own) */
    int64_t rpc_port; /* rpc-server -p/--port (50052 when not given) */
    int rpc_cache;    /* rpc-server -c/--cache: tensors cached in a local file */
    uint32_t n_rpc;   /* llama-server/llama-cli --rpc: how many servers */
    char rpc[512];    /* the --rpc list as typed (host:port,host:port) */
} og_engine_cmd;

/* Recognise a known engine invocation and read its memory settings. Pure.
 * Returns the engine (OG_ENGINE_NONE when the command is not one). */
OG_API og_engine og_engine_cmd_parse(int argc, const char *const *argv, og_engine_cmd *out);

/* ---- guard ---- */

typedef enum og_trip {
    OG_TRIP_NONE = 0,
    OG_TRIP_MAX_MEM, /* the tree passed --max-mem */
    OG_TRIP_AVAIL,   /* system available memory under the floor */
    OG_TRIP_SWAPOUT, /* swap-out rate sustained above the threshold */
    OG_TRIP_PRESSURE /* memory pressure critical */
} og_trip;

OG_API const char *og_trip_name(og_trip t); /* "max-mem", "available-floor", "swap-out",
                                               "pressure", "none" */

typedef struct og_guard_config {
    uint64_t max_tree_bytes;    /* 0 = off */
    uint64_t avail_floor_bytes; /* 0 = off; see og_guard_check */
    double swapout_bytes_per_s; /* 0 = off */
    double swapout_sustain_s;   /* how long the rate must hold (default 3 s) */
    int pressure_critical;      /* 1 = trip on critical pressure */
    double pressure_sustain_s;  /* how long critical must hold (default 1 s) */
} og_guard_config;

/* Defaults for a machine with ram_bytes: floor = max(256 MiB, min(1 GiB,
 * RAM/20)); swap-out 64 MiB/s for 3 s; critical pressure for 1 s. */
OG_API void og_guard_defaults(og_guard_config *c, uint64_t ram_bytes);

typedef struct og_trip_info {
    og_trip trip;
    double t_s;       /* when (the last sample's time) */
    uint64_t value;   /* the reading that tripped (bytes, or bytes/s for swap-out) */
    uint64_t limit;   /* the limit it crossed */
    char reason[256]; /* one line with the readings */
} og_trip_info;

/* Decide on the newest sample s[n-1], looking back over s[0..n-1] for the
 * sustained conditions. Pure. Checks, first hit wins: max-mem, available
 * floor, pressure, swap-out. The floor only counts when the run started above
 * it: the effective floor is min(floor, available at s[0] / 2), so a machine
 * that was already short does not stop a run at its first sample. Unknown
 * readings never trip. */
OG_API og_trip og_guard_check(const og_guard_config *c, const og_sample *s, size_t n,
                              og_trip_info *info);

/* While the stop signals run their grace periods (SIGINT, then SIGTERM), keep
 * looking. Returns 1 and fills info (trip = what was seen, reason = why) when
 * the stop must be escalated at once instead of waiting out the grace:
 * - the machine's floor is reached (available memory under the floor of
 *   og_guard_check, or critical pressure): go straight to SIGKILL (*to_kill = 1);
 * - the tree keeps growing past the limit: more than max(64 MiB, 5 %) above
 *   ref_bytes (its memory when the last signal went out): the next signal now.
 * s[0] is the first sample of the run (it anchors the floor), s[n-1] the newest.
 * Pure. Returns 0 when waiting is still safe. */
OG_API int og_guard_escalate(const og_guard_config *c, const og_sample *s, size_t n,
                             uint64_t ref_bytes, og_trip_info *info, int *to_kill);

/* ---- the timeline picture ---- */

typedef struct og_svg_opts {
    const char *title;        /* the command line */
    const char *subtitle;     /* one line of readings ("peak 6.1 GiB ...") */
    uint64_t budget_bytes;    /* dashed line; 0 = none */
    const char *budget_label; /* "--max-mem", "budget" */
    uint64_t predicted_bytes; /* dotted line; 0 = none */
    double guard_t_s;         /* vertical line where the guard acted; < 0 = none */
    const char *guard_label;  /* "guard: max-mem → SIGINT" */
} og_svg_opts;

/* Draw the samples as an SVG document (malloc'd string, free()), or NULL
 * when out of memory. Long runs are reduced to ~1200 points a line keeping
 * each bucket's worst reading, so peaks survive. */
OG_API char *og_watch_svg(const og_sample *s, size_t n, const og_svg_opts *o);

/* ---- summary ---- */

typedef struct og_summary {
    uint32_t n_samples;
    double first_t_s, last_t_s;
    uint64_t peak_tree_bytes, peak_tree_rss_bytes, peak_tree_gpu_bytes;
    /* the largest anonymous host memory + GPU memory of the tree at one moment
     * (what a discrete-GPU plan predicts: mapped model files excluded) */
    uint64_t peak_anon_plus_gpu_bytes;
    double peak_tree_t_s;
    uint32_t peak_tree_procs;
    og_mem_kind tree_kind;
    uint64_t min_avail_bytes;
    int avail_known;
    uint64_t swap_start_bytes, swap_peak_bytes, swap_end_bytes;
    int swap_known;
    double peak_swapout_bytes_per_s;
    og_pressure peak_pressure;
    double time_warn_s;     /* time at warn or worse */
    double time_critical_s; /* time at critical */
    uint64_t peak_gpu_used_bytes;
    int gpu_known;
} og_summary;

OG_API void og_summary_init(og_summary *sum);
/* Fold one sample in (samples in time order). */
OG_API void og_summary_add(og_summary *sum, const og_sample *s);

#ifdef __cplusplus
}
#endif
#endif
