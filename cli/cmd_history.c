/* oomguard history: past runs with predicted and measured peaks. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "oomguard/history.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: oomguard history [--json] [-n N] [--db FILE]\n"
               "\n"
               "Past 'oomguard run' runs on this machine, newest first: command, measured peak,\n"
               "predicted peak (when the preflight ran), exit and what the guard did; and how far\n"
               "the predictions were off on this machine.\n"
               "\n"
               "The database: $XDG_STATE_HOME/oomguard/history.db (default ~/.local/state) on\n"
               "Linux, ~/Library/Application Support/oomguard/history.db on macOS.\n"
               "\n"
               "Options:\n"
               "  -n N        show the newest N runs (default 20; 0 = all)\n"
               "  --db FILE   use another database\n"
               "  --json      machine-readable output\n"
               "  -h, --help  show this help\n"
               "\n"
               "Exit codes: 0 ok, 2 bad usage or a damaged database, 3 internal error.\n");
}

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
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int json = 0;
    long limit = 20;
    const char *db = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'd':
            db = optarg;
            break;
        case 'n': {
            char *end;
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 0 || limit > 1000000)
                return cli_usage_error("history", "-n '%s': give a count (0 = all)", optarg);
            break;
        }
        case 'h':
            usage(stdout);
            return OG_EXIT_OK;
        case ':':
            return cli_usage_error("history", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("history", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("history", "unexpected argument '%s'", argv[optind]);
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
