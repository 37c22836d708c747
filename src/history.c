/* History of runs in SQLite (see include/oomguard/history.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "og_internal.h"
#include "oomguard/history.h"
#include "procs_platform.h"

/* ---- secrets in command lines (issue 18 item 13) ---- */

static char lc(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static int is_alpha(char c)
{
    c = lc(c);
    return c >= 'a' && c <= 'z';
}

/* word occurs in s[0..n) (case-insensitive); with whole, not followed by a
 * letter ("token" but not "tokens"). */
static int lower_has_w(const char *s, size_t n, const char *word, int whole)
{
    size_t m = strlen(word);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && lc(s[i + k]) == word[k])
            k++;
        if (k == m && (!whole || i + m == n || !is_alpha(s[i + m])))
            return 1;
    }
    return 0;
}

static int lower_has(const char *s, size_t n, const char *word)
{
    return lower_has_w(s, n, word, 0);
}

/* Does a name (an environment variable, an option, a query key, a header)
 * hold a secret? HF_TOKEN, --api-key, --hf-token, Authorization, X-Api-Key,
 * AWS_SECRET_ACCESS_KEY, PGPASSWORD; not --max-tokens, --api-key-file. */
static int secret_name(const char *s, size_t n)
{
    static const char *const words[] = {"secret",   "password",      "passwd",     "api_key",
                                        "api-key",  "apikey",        "access_key", "private_key",
                                        "auth_key", "authorization", "credential"};
    if (n >= 5 && (lower_has(s + n - 5, 5, "-file") || lower_has(s + n - 5, 5, "_file") ||
                   lower_has(s + n - 5, 5, "-path") || lower_has(s + n - 5, 5, "_path")))
        return 0; /* --api-key-file FILE: a path, not the secret */
    if (lower_has_w(s, n, "token", 1) || lower_has_w(s, n, "auth", 1) ||
        lower_has_w(s, n, "key", 1) || lower_has_w(s, n, "pass", 1))
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (lower_has(s, n, words[i]))
            return 1;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* A bare token that is a secret by its shape: Hugging Face (hf_...),
 * OpenAI-style (sk-...), GitHub (ghp_...). */
static int secret_shape(const char *s, size_t n)
{
    static const char *const pre[] = {"hf_", "sk-", "ghp_", "gho_", "github_pat_", "xoxb-"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t m = strlen(pre[i]);
        if (n >= m + 16 && strncmp(s, pre[i], m) == 0) {
            for (size_t k = m; k < n; k++)
                if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                      (s[k] >= '0' && s[k] <= '9') || s[k] == '_' || s[k] == '-'))
                    return 0;
            return 1;
        }
    }
    return 0;
}

typedef struct outbuf {
    char *p;
    size_t n, o;
} outbuf;

static void put(outbuf *b, const char *s, size_t k)
{
    for (size_t i = 0; i < k && b->o + 1 < b->n; i++)
        b->p[b->o++] = s[i];
    if (b->n)
        b->p[b->o < b->n ? b->o : b->n - 1] = '\0';
}

#define MASK "***"

/* One word without spaces: NAME=VALUE pairs (environment, query strings) and
 * user:password@ in URLs. */
static uint32_t redact_word(outbuf *b, const char *w, size_t n)
{
    uint32_t hits = 0;
    if (secret_shape(w, n)) {
        put(b, MASK, 3);
        return 1;
    }
    size_t i = 0;
    const char *at = NULL, *scheme = NULL;
    for (size_t k = 0; k + 2 < n; k++)
        if (w[k] == ':' && w[k + 1] == '/' && w[k + 2] == '/') {
            scheme = w + k + 3;
            break;
        }
    if (scheme) {
        const char *end = w + n;
        for (const char *q = scheme; q < end && *q != '/'; q++)
            if (*q == '@')
                at = q;
        const char *colon = NULL;
        for (const char *q = scheme; at && q < at; q++)
            if (*q == ':') {
                colon = q;
                break;
            }
        if (at && colon) {
            put(b, w, (size_t)(colon + 1 - w));
            put(b, MASK, 3);
            hits++;
            i = (size_t)(at - w);
        }
    }
    while (i < n) {
        /* the next '=' and the name before it */
        size_t eq = i;
        while (eq < n && w[eq] != '=')
            eq++;
        if (eq >= n) {
            put(b, w + i, n - i);
            break;
        }
        size_t ns = eq;
        while (ns > i &&
               ((w[ns - 1] >= 'a' && w[ns - 1] <= 'z') || (w[ns - 1] >= 'A' && w[ns - 1] <= 'Z') ||
                (w[ns - 1] >= '0' && w[ns - 1] <= '9') || w[ns - 1] == '_' || w[ns - 1] == '-' ||
                w[ns - 1] == '.'))
            ns--;
        size_t ve = eq + 1;
        while (ve < n && w[ve] != '&' && w[ve] != ';' && w[ve] != ',')
            ve++;
        put(b, w + i, eq + 1 - i);
        if (ns < eq && (secret_name(w + ns, eq - ns) || secret_shape(w + eq + 1, ve - eq - 1)) &&
            ve > eq + 1) {
            put(b, MASK, 3);
            hits++;
        } else {
            put(b, w + eq + 1, ve - eq - 1);
        }
        i = ve;
        if (i < n) {
            put(b, w + i, 1);
            i++;
        }
    }
    return hits;
}

uint32_t og_redact_secrets(const char *in, char *out, size_t n)
{
    outbuf b = {out, n, 0};
    if (n)
        out[0] = '\0';
    if (!in)
        return 0;
    uint32_t hits = 0;
    int next = 0; /* the next word is a secret (after --api-key, Authorization:) */
    const char *p = in;
    while (*p) {
        const char *s = p;
        while (*p && is_space(*p))
            p++;
        put(&b, s, (size_t)(p - s));
        if (!*p)
            break;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        size_t k = (size_t)(p - w);
        /* strip quotes around the word for the tests, keep them in the output */
        const char *cw = w;
        size_t ck = k;
        while (ck && (*cw == '"' || *cw == '\'')) {
            cw++;
            ck--;
        }
        while (ck && (cw[ck - 1] == '"' || cw[ck - 1] == '\''))
            ck--;
        if (next) {
            if (lower_has(cw, ck, "bearer") || lower_has(cw, ck, "basic") ||
                (ck == 5 && lower_has(cw, ck, "token"))) {
                put(&b, w, k); /* the scheme; the credential follows */
                continue;
            }
            put(&b, w, (size_t)(cw - w)); /* keep the quotes around it */
            put(&b, MASK, 3);
            put(&b, cw + ck, k - (size_t)(cw - w) - ck);
            hits++;
            next = 0;
            continue;
        }
        if (ck > 1 && cw[0] == '-') {
            size_t eq = 0;
            while (eq < ck && cw[eq] != '=')
                eq++;
            int secret = secret_name(cw, eq) || (eq == 4 && strncmp(cw, "-hft", 4) == 0);
            if (secret && eq < ck) {
                put(&b, w, (size_t)(cw - w) + eq + 1);
                put(&b, MASK, 3);
                hits++;
                continue;
            }
            if (secret) {
                put(&b, w, k);
                next = 1;
                continue;
            }
        }
        /* "Authorization: Bearer X", "-H Authorization:X", "X-Api-Key: X" */
        if (ck && cw[ck - 1] == ':' && secret_name(cw, ck - 1)) {
            put(&b, w, k);
            next = 1;
            continue;
        }
        const char *colon = memchr(cw, ':', ck);
        if (colon && colon + 1 < cw + ck && secret_name(cw, (size_t)(colon - cw)) &&
            memchr(cw, '/', (size_t)(colon - cw)) == NULL && colon[1] != '/') {
            put(&b, w, (size_t)(colon + 1 - w));
            put(&b, MASK, 3);
            hits++;
            continue;
        }
        hits += redact_word(&b, w, k);
    }
    return hits;
}

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
    sqlite3_busy_timeout(db, 10000);
    /* Two runs may create the database at the same moment: the version check
     * and the schema go in one write transaction (BEGIN IMMEDIATE takes the
     * write lock; the other waits under the busy timeout and then sees the
     * schema), so neither takes the other's half-made schema for a foreign
     * database. */
    if (create && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        og_status st = db_error(db, path, "lock", err);
        sqlite3_close(db);
        return st;
    }
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
        sqlite3_close(db); /* closing rolls the transaction back */
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
    if (create && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        og_status st = db_error(db, path, "create schema", err);
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return OG_OK;
}

/* The history holds command lines: only its owner may read it. Create it
 * 0600 (SQLite's journal files take the database's mode), and close up one
 * that an older oomguard created readable by others. */
static og_status private_file(const char *path, og_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid() && (sb.st_mode & 077))
        fchmod(fd, sb.st_mode & 0700);
    close(fd);
    return OG_OK;
}

og_status og_history_add(const char *path, const og_run_record *r, og_error *err)
{
    og_status st = og_mkdirs_parent(path, err);
    if (st != OG_OK)
        return st;
    if ((st = private_file(path, err)) != OG_OK)
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
    char command[sizeof r->command];
    og_redact_secrets(r->command, command, sizeof command);
    sqlite3_bind_text(q, 2, command, -1, SQLITE_TRANSIENT);
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
