/* oomguard — history of runs: what was run, what was predicted, what was
 * measured, how it ended. Kept in a local SQLite database:
 * $XDG_STATE_HOME/oomguard/history.db (default ~/.local/state) on Linux,
 * ~/Library/Application Support/oomguard/history.db on macOS.
 *
 * The schema is versioned (PRAGMA user_version); a database from a newer
 * oomguard, or one that is not a database, is OG_ERR_INVALID with a clear
 * message, never a crash.
 */
#ifndef OOMGUARD_HISTORY_H
#define OOMGUARD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "status.h"
#include "watch.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_HISTORY_SCHEMA_VERSION 1

typedef struct og_run_record {
    int64_t id;           /* set by the database */
    int64_t started_unix; /* seconds since the epoch */
    char command[1024];
    og_engine engine;
    char model[1024];
    int64_t n_ctx;            /* -1 unknown */
    char settings[512];       /* engine settings as JSON ("{}" when none) */
    uint64_t predicted_bytes; /* 0 = no prediction */
    uint64_t peak_bytes;      /* measured peak of the tree (+ its GPU memory) */
    int exit_code;
    double duration_s;
    char guard[32]; /* the trip that stopped it ("max-mem", ...), "" when it did not act */
} og_run_record;

/* Where the database lives for this OS, home and XDG_STATE_HOME (either may
 * be NULL or ""): a pure function. OG_ERR_NOT_FOUND when there is no home. */
OG_API og_status og_history_path_for(og_os os, const char *home, const char *xdg_state_home,
                                     char *buf, size_t n, og_error *err);
/* The same for this machine and environment (HOME, XDG_STATE_HOME). */
OG_API og_status og_history_default_path(char *buf, size_t n, og_error *err);

/* Append a record (creating the folder and database as needed). */
/* Copy a command line into out (n bytes) with its secrets replaced by "***":
 * the value of NAME=VALUE when NAME names a secret (HF_TOKEN=, OPENAI_API_KEY=,
 * ?token= in a URL), the argument of a secret option (--api-key K,
 * --api-key=K, --hf-token, -hft), the credential after "Authorization:"
 * (and Bearer/Basic), a URL's user:password@, and tokens that look like
 * keys (hf_..., sk-..., ghp_...). Paths (--api-key-file) are kept. Returns
 * how many were replaced. og_history_add stores commands through it. */
OG_API uint32_t og_redact_secrets(const char *in, char *out, size_t n);

OG_API og_status og_history_add(const char *db_path, const og_run_record *r, og_error *err);

/* The newest `limit` records (0 = all), newest first. *out is malloc'd
 * (free()). A missing database is an empty history. */
OG_API og_status og_history_list(const char *db_path, uint32_t limit, og_run_record **out,
                                 uint32_t *n, og_error *err);

/* How far predictions were off: over records with a prediction and a
 * measured peak (optionally of one engine; OG_ENGINE_NONE = all). Pure. */
typedef struct og_history_accuracy {
    uint32_t n;
    double mean_error_pct; /* signed: measured vs predicted, + = used more than predicted */
    double mean_abs_error_pct;
    double worst_error_pct; /* largest |error|, with its sign */
} og_history_accuracy;

OG_API void og_history_accuracy_of(const og_run_record *r, uint32_t n, og_engine engine,
                                   og_history_accuracy *acc);

#ifdef __cplusplus
}
#endif
#endif
