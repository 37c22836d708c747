/* History of runs in SQLite (see include/oomguard/history.h). */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "og_internal.h"
#include "oomguard/history.h"
#include "procs_platform.h"

og_status og_history_path_for(og_os os, const char *home, const char *xdg_state_home, char *buf,
                              size_t n, og_error *err)
{
    int w;
    if (os == OG_OS_MACOS) {
        if (!home || !*home)
            return og_error_set(err, OG_ERR_NOT_FOUND, "history: HOME is not set");
        w = snprintf(buf, n, "%s/Library/Application Support/oomguard/history.db", home);
    } else if (xdg_state_home && xdg_state_home[0] == '/') {
        /* XDG: a relative path is invalid and must be ignored. */
        w = snprintf(buf, n, "%s/oomguard/history.db", xdg_state_home);
    } else {
        if (!home || !*home)
            return og_error_set(err, OG_ERR_NOT_FOUND,
                                "history: neither XDG_STATE_HOME nor HOME is set");
        w = snprintf(buf, n, "%s/.local/state/oomguard/history.db", home);
    }
    if (w < 0 || (size_t)w >= n)
        return og_error_set(err, OG_ERR_INVALID, "history: path too long");
    return OG_OK;
}

og_status og_history_default_path(char *buf, size_t n, og_error *err)
{
    return og_history_path_for(og_platform_os(), getenv("HOME"), getenv("XDG_STATE_HOME"), buf, n,
                               err);
}

/* mkdir -p of the folder holding path. */
static og_status db_error(sqlite3 *db, const char *path, const char *what, og_error *err)
{
    int code = db ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
    og_status st = (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) ? OG_ERR_INVALID : OG_ERR_IO;
    return og_error_set(
        err, st, "%s: %s: %s%s", path, what, db ? sqlite3_errmsg(db) : "cannot open",
        st == OG_ERR_INVALID ? " (the history database is damaged; move it away to start a new one)"
                             : "");
}

static const char *schema_v1 = "CREATE TABLE IF NOT EXISTS runs ("
                               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                               " started_unix INTEGER NOT NULL,"
                               " command TEXT NOT NULL,"
                               " engine TEXT NOT NULL,"
                               " model TEXT NOT NULL,"
                               " n_ctx INTEGER NOT NULL,"
                               " settings TEXT NOT NULL,"
                               " predicted_bytes INTEGER,"
                               " peak_bytes INTEGER NOT NULL,"
                               " exit_code INTEGER NOT NULL,"
                               " duration_s REAL NOT NULL,"
                               " guard TEXT NOT NULL);";

/* Open (create when asked) and check or install the schema. Without create,
 * an empty database gives *out == NULL and OG_OK: nothing to read, nothing
 * written. */
static og_status open_db(const char *path, int create, sqlite3 **out, og_error *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        og_status st = db_error(db, path, "open", err);
        sqlite3_close(db);
        return st;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *q = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version < 0) {
        og_status st = db_error(db, path, "read schema version", err);
        sqlite3_close(db);
        return st;
    }
    if (version > OG_HISTORY_SCHEMA_VERSION) {
        sqlite3_close(db);
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: history schema version %d is newer than this oomguard "
                            "understands (%d)",
                            path, version, OG_HISTORY_SCHEMA_VERSION);
    }
    if (version == 0) {
        /* A new database, or a file that is not ours: only an empty one
         * gets the schema. */
        int tables = -1;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) ==
                SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            tables = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
        if (tables < 0) {
            og_status st = db_error(db, path, "read", err);
            sqlite3_close(db);
            return st;
        }
        if (tables > 0) {
            sqlite3_close(db);
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: not an oomguard history database (no schema version)", path);
        }
        if (!create) {
            /* Reading only: an empty database has no runs; leave the file as it is. */
            sqlite3_close(db);
            return OG_OK;
        }
        char *msg = NULL;
        if (sqlite3_exec(db, schema_v1, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, &msg) != SQLITE_OK) {
            og_error_set(err, OG_ERR_IO, "%s: create schema: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_close(db);
            return OG_ERR_IO;
        }
    }
    *out = db;
    return OG_OK;
}

og_status og_history_add(const char *path, const og_run_record *r, og_error *err)
{
    og_status st = og_mkdirs_parent(path, err);
    if (st != OG_OK)
        return st;
    sqlite3 *db;
    st = open_db(path, 1, &db, err);
    if (st != OG_OK)
        return st;
    sqlite3_stmt *q = NULL;
    const char *sql = "INSERT INTO runs (started_unix, command, engine, model, n_ctx, settings,"
                      " predicted_bytes, peak_bytes, exit_code, duration_s, guard)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?,?)";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        st = db_error(db, path, "prepare insert", err);
        sqlite3_close(db);
        return st;
    }
    sqlite3_bind_int64(q, 1, r->started_unix);
    sqlite3_bind_text(q, 2, r->command, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, og_engine_name(r->engine), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, r->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 5, r->n_ctx);
    sqlite3_bind_text(q, 6, r->settings[0] ? r->settings : "{}", -1, SQLITE_TRANSIENT);
    if (r->predicted_bytes && r->predicted_bytes <= INT64_MAX)
        sqlite3_bind_int64(q, 7, (sqlite3_int64)r->predicted_bytes);
    else
        sqlite3_bind_null(q, 7);
    sqlite3_bind_int64(q, 8,
                       (sqlite3_int64)(r->peak_bytes > INT64_MAX ? INT64_MAX : r->peak_bytes));
    sqlite3_bind_int(q, 9, r->exit_code);
    sqlite3_bind_double(q, 10, r->duration_s);
    sqlite3_bind_text(q, 11, r->guard, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    st = rc == SQLITE_DONE ? OG_OK : db_error(db, path, "insert", err);
    sqlite3_close(db);
    return st;
}

static og_engine engine_from_name(const char *s)
{
    if (!s)
        return OG_ENGINE_NONE;
    if (strcmp(s, "llama.cpp") == 0)
        return OG_ENGINE_LLAMA_CPP;
    if (strcmp(s, "mlx") == 0)
        return OG_ENGINE_MLX;
    if (strcmp(s, "ollama") == 0)
        return OG_ENGINE_OLLAMA;
    return OG_ENGINE_NONE;
}

static void col_text(sqlite3_stmt *q, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    og_strlcpy(dst, t ? (const char *)t : "", n);
}

og_status og_history_list(const char *path, uint32_t limit, og_run_record **out, uint32_t *n,
                          og_error *err)
{
    *out = NULL;
    *n = 0;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? OG_OK
                               : og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
    sqlite3 *db;
    og_status st = open_db(path, 0, &db, err);
    if (st != OG_OK || !db)
        return st;
    sqlite3_stmt *q = NULL;
    const char *sql = "SELECT id, started_unix, command, engine, model, n_ctx, settings,"
                      " predicted_bytes, peak_bytes, exit_code, duration_s, guard"
                      " FROM runs ORDER BY id DESC LIMIT ?";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        st = db_error(db, path, "read runs", err);
        sqlite3_close(db);
        return st;
    }
    sqlite3_bind_int64(q, 1, limit ? (sqlite3_int64)limit : -1);
    og_run_record *v = NULL;
    uint32_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cnt == cap) {
            uint32_t nc = cap ? cap * 2 : 16;
            og_run_record *p = realloc(v, (size_t)nc * sizeof *p);
            if (!p) {
                free(v);
                sqlite3_finalize(q);
                sqlite3_close(db);
                return og_error_set(err, OG_ERR_NOMEM, "%s: out of memory", path);
            }
            v = p;
            cap = nc;
        }
        og_run_record *r = &v[cnt++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(q, 0);
        r->started_unix = sqlite3_column_int64(q, 1);
        col_text(q, 2, r->command, sizeof r->command);
        char eng[32];
        col_text(q, 3, eng, sizeof eng);
        r->engine = engine_from_name(eng);
        col_text(q, 4, r->model, sizeof r->model);
        r->n_ctx = sqlite3_column_int64(q, 5);
        col_text(q, 6, r->settings, sizeof r->settings);
        sqlite3_int64 pb = sqlite3_column_int64(q, 7);
        r->predicted_bytes = pb > 0 ? (uint64_t)pb : 0;
        sqlite3_int64 pk = sqlite3_column_int64(q, 8);
        r->peak_bytes = pk > 0 ? (uint64_t)pk : 0;
        r->exit_code = sqlite3_column_int(q, 9);
        r->duration_s = sqlite3_column_double(q, 10);
        col_text(q, 11, r->guard, sizeof r->guard);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = db_error(db, path, "read runs", err);
        free(v);
        sqlite3_close(db);
        return st;
    }
    sqlite3_close(db);
    *out = v;
    *n = cnt;
    return OG_OK;
}

void og_history_accuracy_of(const og_run_record *r, uint32_t n, og_engine engine,
                            og_history_accuracy *acc)
{
    memset(acc, 0, sizeof *acc);
    double sum = 0, sum_abs = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!r[i].predicted_bytes || !r[i].peak_bytes)
            continue;
        if (engine != OG_ENGINE_NONE && r[i].engine != engine)
            continue;
        /* A run the guard stopped never reached its peak: it says nothing
         * about the prediction. */
        if (r[i].guard[0])
            continue;
        double e = ((double)r[i].peak_bytes - (double)r[i].predicted_bytes) /
                   (double)r[i].predicted_bytes * 100.0;
        sum += e;
        sum_abs += fabs(e);
        if (fabs(e) > fabs(acc->worst_error_pct))
            acc->worst_error_pct = e;
        acc->n++;
    }
    if (acc->n) {
        acc->mean_error_pct = sum / acc->n;
        acc->mean_abs_error_pct = sum_abs / acc->n;
    }
}
