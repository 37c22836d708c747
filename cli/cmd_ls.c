/* oomguard ls [DIR...]: local models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oomguard/discover.h"

static const cli_opt options[] = {
    {0, "-j, --json", NULL, CLI_T_FLAG, NULL, NULL,
     "machine-readable output: an array of objects with keys name,\n"
     "store, format, file_bytes, weight_bytes, parameters,\n"
     "architecture, quant, path, error (null when it was read)",
     0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, 1, cli_flag_handler};

#define STR_(x) #x
#define STR(x) STR_(x)
const cli_spec cli_spec_ls = {
    .name = "ls",
    .summary = "local models (Hugging Face cache, LM Studio, Ollama, folders)",
    .usage = "[DIR...] [--json]",
    .description =
        "List local models with their format, size, architecture and quantization.\n"
        "Reads model headers only.\n"
        "\n"
        "With no DIR: the Hugging Face hub cache (HF_HUB_CACHE, HF_HOME/hub or\n"
        "~/.cache/huggingface/hub), LM Studio (~/.lmstudio/models,\n"
        "~/.cache/lm-studio/models) and Ollama (OLLAMA_MODELS or ~/.ollama/models).\n"
        "With DIRs: each is searched (recursively, at most " STR(
            OG_DISCOVER_MAX_DEPTH) " levels; an Ollama store or\n"
                                   "a hub cache given as DIR is recognised by its layout).",
    .pos = CLI_POS_FILE,
    .min_pos = 0,
    .max_pos = -1,
    .after = "A model that cannot be read is listed with its error. Exit codes: 0 listed\n"
             "(even when some models could not be read), 2 a DIR does not exist or bad usage.",
    .groups = {&group},
};

static json_t *to_json(const og_model_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const og_found_model *f = &l->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(f->name));
        json_object_set_new(o, "store", json_string(og_store_name(f->store)));
        json_object_set_new(o, "format", json_string(og_format_name(f->format)));
        json_object_set_new(o, "file_bytes", json_integer((json_int_t)f->file_bytes));
        json_object_set_new(o, "weight_bytes", json_integer((json_int_t)f->weight_bytes));
        json_object_set_new(o, "parameters", json_integer((json_int_t)f->n_params));
        json_object_set_new(o, "architecture", f->arch[0] ? json_string(f->arch) : json_null());
        json_object_set_new(o, "quant", f->quant[0] ? json_string(f->quant) : json_null());
        json_object_set_new(o, "path", json_string(f->path));
        json_object_set_new(o, "error", f->error ? json_string(f->error) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

/* Cut s to at most w display columns: keep the start (names) or the end
 * (paths, where the file is), marking the cut with an ellipsis. */
static const char *fit_col(const char *s, int w, int keep_end, char *buf, size_t n)
{
    int len = (int)strlen(s);
    if (w <= 0 || len <= w)
        return s;
    const char *utf8 = getenv("LC_ALL");
    if (!utf8 || !*utf8)
        utf8 = getenv("LC_CTYPE");
    if (!utf8 || !*utf8)
        utf8 = getenv("LANG");
    int u = utf8 && (strstr(utf8, "UTF-8") || strstr(utf8, "utf8") || strstr(utf8, "UTF8"));
    const char *ell = u ? "\xe2\x80\xa6" : "~"; /* one column either way */
    int keep = w - 1;
    if (keep_end)
        snprintf(buf, n, "%s%s", ell, s + len - keep);
    else
        snprintf(buf, n, "%.*s%s", keep, s, ell);
    return buf;
}

static void print_human(const og_model_list *l)
{
    FILE *o = stdout;
    const char *b = cli_c(o, CLI_BOLD), *r = cli_c(o, CLI_RESET), *red = cli_c(o, CLI_RED),
               *d = cli_c(o, CLI_DIM);
    if (l->n == 0) {
        fprintf(o, "No models found.\n");
        return;
    }
    /* the fixed columns take 82; NAME and PATH share the rest of the terminal
     * (a pipe without COLUMNS gets the full names: scripts should use --json) */
    int fit = isatty(STDOUT_FILENO) || getenv("COLUMNS");
    int avail = cli_term_width() - 82;
    int w = 24, pw = 0;
    for (size_t i = 0; i < l->n; i++) {
        int n = (int)strlen(l->items[i].name), p = (int)strlen(l->items[i].path);
        if (n > w)
            w = n;
        if (p > pw)
            pw = p;
    }
    if (fit) {
        if (avail < 30)
            avail = 30;
        if (w + pw > avail) {
            /* the name gets up to half (at least 16), the path the rest */
            int half = avail / 2 > 16 ? avail / 2 : 16;
            if (w > half && pw > avail - half)
                w = half;
            else if (w > half)
                w = avail - pw;
            pw = avail - w;
        }
    } else {
        pw = 0; /* no cut */
    }
    fprintf(o, "%s%-*s  %-11s  %-11s  %10s  %7s  %-16s  %-10s  %s%s\n", b, w, "NAME", "STORE",
            "FORMAT", "SIZE", "PARAMS", "ARCH", "QUANT", "PATH", r);
    char nb[1024], pb[4096], ab[64], qb[64];
    for (size_t i = 0; i < l->n; i++) {
        const og_found_model *f = &l->items[i];
        const char *name = fit ? fit_col(f->name, w, 0, nb, sizeof nb) : f->name;
        const char *path = fit ? fit_col(f->path, pw, 1, pb, sizeof pb) : f->path;
        char params[32] = "-";
        if (f->n_params)
            snprintf(params, sizeof params, "%.1fB", (double)f->n_params / 1e9);
        if (f->error) {
            fprintf(o, "%-*s  %-11s  %s%-11s%s  %10s  %7s  %-16s  %-10s  %s\n", w, name,
                    og_store_name(f->store), red, "error", r,
                    f->file_bytes ? cli_bytes(f->file_bytes) : "-", "-", "-", "-", path);
            fprintf(o, "%-*s  %s%s%s\n", w, "", d, f->error, r);
            continue;
        }
        fprintf(o, "%-*s  %-11s  %-11s  %10s  %7s  %-16s  %-10s  %s\n", w, name,
                og_store_name(f->store), og_format_name(f->format), cli_bytes(f->file_bytes),
                params, f->arch[0] ? fit_col(f->arch, 16, 0, ab, sizeof ab) : "-",
                f->quant[0] ? fit_col(f->quant, 10, 0, qb, sizeof qb) : "-", path);
    }
}

int cmd_ls(int argc, char **argv)
{
    int json = 0;
    void *ctx[] = {&json};
    int npos = 0;
    int prc = cli_parse(&cli_spec_ls, argc, argv, ctx, &npos);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    og_model_list *l = NULL;
    og_error err;
    og_error_clear(&err);
    og_status st = og_discover((const char *const *)(argv + 1), (size_t)npos, &l, &err);
    if (st != OG_OK) {
        og_model_list_free(l);
        return cli_fail(&err);
    }
    int rc = OG_EXIT_OK;
    if (json)
        rc = cli_print_json(to_json(l));
    else
        print_human(l);
    og_model_list_free(l);
    return rc;
}
