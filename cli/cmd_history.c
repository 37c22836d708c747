/* oomguard history: past runs with predicted and measured peaks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "oomguard/history.h"

enum { O_JSON, O_N, O_DB };
typedef struct history_opts {
    int json;
    long limit;
    const char *db;
} history_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    history_opts *o = ctx;
    (void)name;
    if (id == O_JSON)
        o->json = 1;
    else if (id == O_N)
        o->limit = (long)v->u;
    else if (id == O_DB)
        o->db = v->str;
    return 0;
}

static const cli_opt options[] = {
    {O_N, "-n", NULL, CLI_T_COUNT, "N", NULL, "show the newest N runs (default 20; 0 = all)", 0, 0,
     1000000},
    {O_DB, "--db", NULL, CLI_T_FILE, "FILE", NULL, "use another database", 0, 0, 0},
    {O_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL, "machine-readable output", 0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_history = {
    .name = "history",
    .summary = "past runs: predicted and measured peaks on this machine",
    .usage = "[--json] [-n N] [--db FILE]",
    .description =
        "Past 'oomguard run' runs on this machine, newest first: command, measured peak,\n"
        "predicted peak (when the preflight ran), exit and what the guard did; and how far\n"
        "the predictions were off on this machine.\n"
        "\n"
        "The database: $XDG_STATE_HOME/oomguard/history.db (default ~/.local/state) on\n"
        "Linux, ~/Library/Application Support/oomguard/history.db on macOS.",
    .pos = CLI_POS_NONE,
    .min_pos = 0,
    .max_pos = 0,
    .after = "Exit codes: 0 ok, 2 bad usage or a damaged database, 3 internal error.",
    .groups = {&group},
};

static json_t *accuracy_json(const og_history_accuracy *a)
{
    json_t *j = json_object();
    json_object_set_new(j, "runs", json_integer(a->n));
    if (a->n) {
        json_object_set_new(j, "mean_error_pct", json_real(a->mean_error_pct));
        json_object_set_new(j, "mean_abs_error_pct", json_real(a->mean_abs_error_pct));
        json_object_set_new(j, "worst_error_pct", json_real(a->worst_error_pct));
    }
    return j;
}

int cmd_history(int argc, char **argv)
{
    history_opts opt = {0, 20, NULL};
    void *ctx[] = {&opt};
    int prc = cli_parse(&cli_spec_history, argc, argv, ctx, NULL);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    int json = opt.json;
    long limit = opt.limit;
    const char *db = opt.db;
    og_error err;
    char path[1024];
    if (db)
        snprintf(path, sizeof path, "%s", db);
    else if (og_history_default_path(path, sizeof path, &err) != OG_OK)
        return cli_fail(&err);
    og_run_record *r = NULL;
    uint32_t n = 0;
    if (og_history_list(path, (uint32_t)limit, &r, &n, &err) != OG_OK)
        return cli_fail(&err);
    /* Accuracy over the whole history, not just the rows shown. */
    og_run_record *all = NULL;
    uint32_t nall = 0;
    if (og_history_list(path, 0, &all, &nall, &err) != OG_OK) {
        free(r);
        return cli_fail(&err);
    }
    og_history_accuracy acc_all, acc_e[3];
    og_engine engines[3] = {OG_ENGINE_LLAMA_CPP, OG_ENGINE_MLX, OG_ENGINE_OLLAMA};
    og_history_accuracy_of(all, nall, OG_ENGINE_NONE, &acc_all);
    for (int k = 0; k < 3; k++)
        og_history_accuracy_of(all, nall, engines[k], &acc_e[k]);
    free(all);

    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "database", json_string(path));
        json_t *a = json_array();
        for (uint32_t i = 0; i < n; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(r[i].id));
            json_object_set_new(o, "started_unix", json_integer(r[i].started_unix));
            json_object_set_new(o, "command", json_string(r[i].command));
            json_object_set_new(o, "engine", json_string(og_engine_name(r[i].engine)));
            json_object_set_new(o, "model", json_string(r[i].model));
            json_object_set_new(o, "context",
                                r[i].n_ctx >= 0 ? json_integer(r[i].n_ctx) : json_null());
            json_t *settings = json_loads(r[i].settings, 0, NULL);
            json_object_set_new(o, "settings", settings ? settings : json_object());
            json_object_set_new(o, "predicted_peak_bytes",
                                r[i].predicted_bytes
                                    ? json_integer((json_int_t)r[i].predicted_bytes)
                                    : json_null());
            json_object_set_new(o, "peak_bytes", json_integer((json_int_t)r[i].peak_bytes));
            json_object_set_new(o, "exit_code", json_integer(r[i].exit_code));
            json_object_set_new(o, "duration_s", json_real(r[i].duration_s));
            json_object_set_new(o, "guard", r[i].guard[0] ? json_string(r[i].guard) : json_null());
            json_array_append_new(a, o);
        }
        json_object_set_new(j, "runs", a);
        json_t *acc = accuracy_json(&acc_all);
        for (int k = 0; k < 3; k++)
            if (acc_e[k].n)
                json_object_set_new(acc, og_engine_name(engines[k]), accuracy_json(&acc_e[k]));
        json_object_set_new(j, "prediction_accuracy", acc);
        free(r);
        return cli_print_json(j);
    }

    if (n == 0) {
        printf("No runs recorded yet (%s).\nRun a command under watch with: oomguard run -- "
               "COMMAND\n",
               path);
        free(r);
        return OG_EXIT_OK;
    }
    int width = cli_term_width();
    int cmdw = width - 62;
    if (cmdw < 20)
        cmdw = 20;
    printf("%s%-16s  %10s  %10s  %6s  %-9s  %s%s\n", cli_c(stdout, CLI_BOLD), "started", "peak",
           "predicted", "exit", "guard", "command", cli_c(stdout, CLI_RESET));
    for (uint32_t i = 0; i < n; i++) {
        char when[32];
        time_t t = (time_t)r[i].started_unix;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        printf("%-16s  %10s  %10s  %6d  %s%-9s%s  %.*s\n", when, cli_bytes(r[i].peak_bytes),
               r[i].predicted_bytes ? cli_bytes(r[i].predicted_bytes) : "-", r[i].exit_code,
               r[i].guard[0] ? cli_c(stdout, CLI_RED) : "", r[i].guard[0] ? r[i].guard : "-",
               r[i].guard[0] ? cli_c(stdout, CLI_RESET) : "", cmdw, r[i].command);
    }
    if (acc_all.n)
        printf("\nPredictions on this machine: %u run%s, measured peak %+.1f %% vs predicted on "
               "average (mean |error| %.1f %%, worst %+.1f %%).\n",
               acc_all.n, acc_all.n == 1 ? "" : "s", acc_all.mean_error_pct,
               acc_all.mean_abs_error_pct, acc_all.worst_error_pct);
    else
        printf("\nNo run with a prediction yet: predictions come from the preflight of known "
               "engine commands (llama.cpp, MLX, Ollama) once it is wired to the fit.\n");
    free(r);
    return OG_EXIT_OK;
}
