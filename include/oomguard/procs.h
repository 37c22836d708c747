/* oomguard — processes: who holds the memory, and the process tree of a run.
 *
 * og_procs_list() reads every process this user may see (one file per
 * platform behind this header: src/platform/procs_linux.c, procs_darwin.c,
 * procs_none.c). A process whose memory cannot be read (another user's, or
 * one that exited while being read) is still listed, with what could be read.
 *
 * Footprint is the number that answers "how much memory does this process
 * cost": on macOS the physical footprint (what Activity Monitor shows, Metal
 * buffers included); on Linux the proportional set size (PSS, shared pages
 * split between their users) from /proc/PID/smaps_rollup, or — when that
 * cannot be read — the resident set size from /proc/PID/statm. footprint_kind
 * says which.
 *
 * Everything computed over a list (trees, totals, the heavy-app classifier)
 * is a portable pure function in src/procs.c, tested on Linux.
 */
#ifndef OOMGUARD_PROCS_H
#define OOMGUARD_PROCS_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_PROC_NAME_MAX 64
#define OG_PROC_CMDLINE_MAX 256

typedef enum og_mem_kind {
    OG_MEM_UNKNOWN = 0,
    OG_MEM_PHYS_FOOTPRINT, /* macOS proc_pid_rusage ri_phys_footprint */
    OG_MEM_PSS,            /* Linux smaps_rollup Pss */
    OG_MEM_RSS             /* resident set size (statm / ri_resident_size) */
} og_mem_kind;

OG_API const char *og_mem_kind_name(og_mem_kind k); /* "phys_footprint", "pss", "rss", "unknown" */

typedef struct og_proc {
    int32_t pid;
    int32_t ppid;
    uint64_t start_time; /* opaque start stamp (Linux: clock ticks since boot; macOS: µs since
                            the epoch); two readings of one pid with different stamps are two
                            different processes */
    char name[OG_PROC_NAME_MAX];       /* the short name (Linux comm, macOS p_comm / app name) */
    char cmdline[OG_PROC_CMDLINE_MAX]; /* arguments joined by spaces, cut at the limit; "" when
                                          unreadable (kernel threads, other users on macOS) */
    uint64_t footprint_bytes;          /* see footprint_kind; 0 when unknown */
    og_mem_kind footprint_kind;
    uint64_t rss_bytes;  /* resident set size; 0 when unknown */
    uint64_t gpu_bytes;  /* GPU memory this process holds where the platform tells; filled by
                            og_procs_add_gpu(), else 0 */
    uint64_t anon_bytes; /* resident memory not backed by a file (Linux statm resident -
                            shared): what must stay in RAM; pages of mapped model files are
                            page cache and can be dropped. 0 when unknown */
} og_proc;

typedef struct og_proc_list {
    og_proc *procs; /* malloc'd array of n entries, owned by the list */
    uint32_t n;
    uint32_t cap;
} og_proc_list;

/* Flags for og_procs_list(). */
enum {
    OG_PROCS_CMDLINE = 1u << 0,   /* read command lines */
    OG_PROCS_FOOTPRINT = 1u << 1, /* read footprint (PSS / phys footprint) and RSS; without it
                                     only pid, ppid, start time and name are read (cheap) */
    OG_PROCS_ALL = OG_PROCS_CMDLINE | OG_PROCS_FOOTPRINT,
    OG_PROCS_RSS = 1u << 2 /* cheap memory only: Linux RSS from statm (O(1), where
                              smaps_rollup walks the page tables: ~3 ms per 256 MiB);
                              macOS phys footprint (already cheap) */
};

/* List the processes of this machine. On success *out owns an array
 * (og_proc_list_free). OG_ERR_UNSUPPORTED on platforms without a reader. */
OG_API og_status og_procs_list(og_proc_list *out, unsigned flags, og_error *err);

/* Linux reader over a /proc tree at proc_root ("/proc", or a recorded fixture
 * tree for tests). OG_ERR_UNSUPPORTED on other platforms. */
OG_API og_status og_procs_list_at(const char *proc_root, og_proc_list *out, unsigned flags,
                                  og_error *err);

/* The pids of the tree under root_pid (root first when include_root), read
 * live without listing every process where the platform allows (Linux
 * /proc/PID/task/TID/children, macOS proc_listchildpids). Writes up to cap
 * pids, *n gets how many the tree holds. OG_ERR_UNSUPPORTED when the platform
 * cannot (then list and use og_proc_tree). */
OG_API og_status og_proc_tree_pids(int32_t root_pid, int include_root, int32_t *pids, uint32_t cap,
                                   uint32_t *n, og_error *err);

/* Read one process (same flags). OG_ERR_NOT_FOUND when it does not exist. */
OG_API og_status og_proc_read(int32_t pid, og_proc *p, unsigned flags, og_error *err);

OG_API void og_proc_list_free(og_proc_list *l);

/* ---- pure functions over a list ---- */

/* Index of pid in l, or -1. */
OG_API int64_t og_proc_find(const og_proc_list *l, int32_t pid);

/* The tree under root_pid: root itself (when include_root and present) and
 * every process whose parent chain leads to it. Writes up to cap indices into
 * l->procs (parents before children) and returns how many the tree holds
 * (which may exceed cap). Cycles and self-parented entries are ignored. */
OG_API uint32_t og_proc_tree(const og_proc_list *l, int32_t root_pid, int include_root,
                             uint32_t *idx, uint32_t cap);

typedef struct og_tree_total {
    uint32_t n_procs;
    uint64_t footprint_bytes; /* sum of footprints (PSS sums are additive; RSS double-counts
                                 shared pages) */
    uint64_t rss_bytes;
    uint64_t gpu_bytes;
    og_mem_kind footprint_kind; /* the weakest kind in the sum (RSS if any member is RSS) */
} og_tree_total;

/* Totals over the tree of root_pid (as og_proc_tree). */
OG_API void og_proc_tree_total(const og_proc_list *l, int32_t root_pid, int include_root,
                               og_tree_total *t);

/* Add per-process GPU bytes (e.g. og_gpu.procs[] from NVML) to the matching
 * entries' gpu_bytes. */
OG_API void og_procs_add_gpu(og_proc_list *l, const int32_t *pids, const uint64_t *bytes,
                             uint32_t n);

/* ---- well-known heavy applications ---- */

typedef enum og_app_class {
    OG_APP_NONE = 0,
    OG_APP_BROWSER_GPU, /* a browser's GPU process: holds GPU/unified memory */
    OG_APP_BROWSER,     /* other browser processes */
    OG_APP_DEVTOOLS,    /* Xcode, Simulator */
    OG_APP_VM,          /* Docker, virtualization, qemu */
    OG_APP_CREATIVE,    /* Photoshop, Premiere, Final Cut, DaVinci Resolve, Blender */
    OG_APP_ELECTRON,    /* Slack, Discord, VS Code, Teams, ... */
    OG_APP_INFERENCE    /* llama.cpp, Ollama, LM Studio, MLX, vLLM: another model runner */
} og_app_class;

typedef struct og_app_match {
    og_app_class cls;
    const char *app; /* "Google Chrome", "Docker", ... (static); NULL when cls is NONE */
} og_app_match;

/* Classify a process by its name and command line (either may be NULL or "").
 * Pure; case-insensitive on names. */
OG_API og_app_match og_app_classify(const char *name, const char *cmdline);
OG_API const char *og_app_class_name(og_app_class c); /* "browser-gpu", "vm", ... */

/* ---- acting on a tree ---- */

/* Send sig to every process in the tree of root_pid (root included when
 * include_root), read fresh, children before parents. Right before each
 * signal the process's parent and start time are read again and must still
 * match the tree just read (Linux: through a pidfd, so a recycled pid is
 * never signalled); the caller's own process and pids <= 1 are never
 * signalled. *n_signalled (may be NULL) gets how many processes were
 * signalled. OG_ERR_NOT_FOUND when the tree is empty. */
OG_API og_status og_proc_signal_tree(int32_t root_pid, int include_root, int sig,
                                     uint32_t *n_signalled, og_error *err);

/* Make the calling process adopt its orphaned descendants (Linux
 * PR_SET_CHILD_SUBREAPER), so that a grandchild whose parent exits stays in
 * the caller's tree. OG_ERR_UNSUPPORTED where the platform has no such thing. */
OG_API og_status og_procs_become_subreaper(og_error *err);

/* For a forked child, before exec: have the kernel send SIGKILL to the caller
 * when parent_pid (the process that forked it) ends, so that `kill -9` of a
 * watcher does not leave its child running unwatched (Linux
 * PR_SET_PDEATHSIG). OG_ERR_NOT_FOUND when parent_pid has already gone;
 * OG_ERR_UNSUPPORTED where the platform has no such thing. Async-signal-safe
 * when err is NULL. */
OG_API og_status og_proc_die_with_parent(int32_t parent_pid, og_error *err);

#ifdef __cplusplus
}
#endif
#endif
