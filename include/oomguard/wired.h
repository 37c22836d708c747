/* oomguard — the GPU wired-memory limit (macOS iogpu.wired_limit_mb) and the
 * AMD APU GTT budget (Linux ttm.pages_limit): what it is, what it should be,
 * setting it and making it survive a reboot.
 *
 * The recommendation and the safety check are pure functions of the RAM size
 * (and a plan's need). Persistence edits files under a root prefix ("/" on a
 * real system, a temporary folder in tests): atomically (temp file, fsync,
 * rename, fsync of the folder), idempotently, with a backup of what it
 * replaces, never dropping a line it does not own. Writing the live sysctl is
 * platform code (src/platform/wired_darwin.c; other platforms report
 * OG_ERR_UNSUPPORTED).
 */
#ifndef OOMGUARD_WIRED_H
#define OOMGUARD_WIRED_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The LaunchDaemon that re-applies the limit at boot, and the sysctl.conf key. */
#define OG_WIRED_PLIST_PATH "/Library/LaunchDaemons/com.oomguard.wired-limit.plist"
#define OG_WIRED_PLIST_LABEL "com.oomguard.wired-limit"
#define OG_WIRED_SYSCTL_CONF "/etc/sysctl.conf"
#define OG_WIRED_SYSCTL_KEY "iogpu.wired_limit_mb"

/* Memory (MiB) the system keeps outside the GPU's wired pool: min(8 GiB, RAM/3). */
OG_API uint32_t og_wired_floor_mb(uint64_t ram_bytes);

/* The largest limit that leaves the floor: RAM - floor, in MiB. */
OG_API uint32_t og_wired_max_safe_mb(uint64_t ram_bytes);

/* Recommended iogpu.wired_limit_mb. need_bytes = 0: min(75 % of RAM, RAM -
 * floor) (24 GiB -> 16384, 32 -> 24576, 64 -> 49152, 96 -> 73728). Otherwise
 * the need plus a margin (10 %, at least 1 GiB) rounded up to a whole GiB,
 * capped at RAM - floor; *capped (may be NULL) is set to 1 when the need plus
 * margin does not fit under the cap. */
OG_API uint32_t og_wired_recommend_mb(uint64_t ram_bytes, uint64_t need_bytes, int *capped);

/* Refuse a limit that would starve the system (above RAM - floor, or above
 * RAM) unless force; 0 (the default) is always allowed. The message says why. */
OG_API og_status og_wired_check(uint64_t ram_bytes, uint32_t mb, int force, og_error *err);

/* One file touched by persist / unpersist. */
typedef struct og_wired_action {
    char path[512];   /* the file, including the root prefix */
    char what[16];    /* "create", "update", "remove", "unchanged", "absent" */
    char backup[520]; /* backup written ("" when none) */
} og_wired_action;

typedef struct og_wired_actions {
    uint32_t n;
    og_wired_action a[4];
} og_wired_actions;

/* Make mb survive reboot under root ("/" or a test folder): install the
 * LaunchDaemon plist (RunAtLoad; runs /usr/sbin/sysctl -w, retrying while the
 * IOGPU kext registers the key) and set the key in etc/sysctl.conf (replacing
 * an existing iogpu.wired_limit_mb line in place, keeping every other line).
 * dry_run: fill out with what would change, write nothing. Running it twice
 * changes nothing the second time. */
OG_API og_status og_wired_persist(const char *root, uint32_t mb, int dry_run, og_wired_actions *out,
                                  og_error *err);

/* Undo og_wired_persist: remove the plist and the key's lines in sysctl.conf
 * (with a backup), keeping every other line. */
OG_API og_status og_wired_unpersist(const char *root, int dry_run, og_wired_actions *out,
                                    og_error *err);

/* The plist text for mb (malloc'd, free()). */
OG_API char *og_wired_plist_text(uint32_t mb);

/* Live sysctl (platform code). read: OG_ERR_UNSUPPORTED off macOS. apply: sets
 * iogpu.wired_limit_mb = mb now; *need_root = 1 with OG_ERR_IO when not root. */
OG_API og_status og_wired_read_mb(uint32_t *mb, og_error *err);
OG_API og_status og_wired_apply(uint32_t mb, int *need_root, og_error *err);

/* Linux AMD APU: the GTT pool is ttm.pages_limit pages of 4 KiB (default
 * RAM/2). The pages_limit for a target GTT size, and what /proc/cmdline sets. */
OG_API uint64_t og_gtt_pages_for_bytes(uint64_t gtt_bytes);
typedef struct og_gtt_params {
    int64_t ttm_pages_limit;    /* -1 = not set on the command line */
    int64_t amdttm_pages_limit; /* ROCm DKMS module name */
    int64_t amdgpu_gttsize_mb;  /* -1 = not set (deprecated knob) */
} og_gtt_params;
/* Parse a kernel command line (the text of /proc/cmdline). */
OG_API void og_gtt_parse_cmdline(const char *cmdline, og_gtt_params *p);

#ifdef __cplusplus
}
#endif
#endif
