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

/* The table's columns, in the order printed. The layout keeps to the
 * terminal's width (cli_term_width: COLUMNS, the TTY, else 80): no column
 * is wider than its widest cell; when they do not all fit, PATH shrinks
 * (cut at the start: the file stays) to 20 and then goes, NAME is cut in
 * the middle (the publisher and the quantization suffix stay) to 32, STORE
 * and FORMAT go, NAME to 24, ARCH and QUANT narrow, NAME to 16, ARCH and
 * PARAMS go; NAME gets back whatever a dropped column freed. --json (full
 * names and paths) is not affected. */
enum { C_NAME, C_STORE, C_FORMAT, C_SIZE, C_PARAMS, C_ARCH, C_QUANT, C_PATH, C_N };

typedef struct layout {
    int w[C_N]; /* 0 = dropped */
} layout;

static int total_width(const layout *L)
{
    int t = 0, n = 0;
    for (int c = 0; c < C_N; c++)
        if (L->w[c]) {
            t += L->w[c];
            n++;
        }
    return t + 2 * (n > 0 ? n - 1 : 0);
}

static void plan_layout(layout *L, const int natural[C_N], int width)
{
    for (int c = 0; c < C_N; c++)
        L->w[c] = natural[c];
    int over = total_width(L) - width;
    /* shrink one column by up to `over`, not below lo */
#define SHRINK(c, lo)                                                                              \
    do {                                                                                           \
        if (over > 0 && L->w[c] > (lo)) {                                                          \
            int d = L->w[c] - (lo) < over ? L->w[c] - (lo) : over;                                 \
            L->w[c] -= d;                                                                          \
            over -= d;                                                                             \
        }                                                                                          \
    } while (0)
#define DROP(c)                                                                                    \
    do {                                                                                           \
        if (over > 0 && L->w[c]) {                                                                 \
            over -= L->w[c] + 2;                                                                   \
            L->w[c] = 0;                                                                           \
        }                                                                                          \
    } while (0)
    SHRINK(C_PATH, 20);
    DROP(C_PATH);
    SHRINK(C_NAME, 32);
    DROP(C_STORE);
    DROP(C_FORMAT);
    SHRINK(C_NAME, 24);
    SHRINK(C_ARCH, 10);
    SHRINK(C_QUANT, 8);
    SHRINK(C_NAME, 16);
    DROP(C_ARCH);
    DROP(C_PARAMS);
    SHRINK(C_QUANT, 6);
    SHRINK(C_NAME, 8);
    SHRINK(C_SIZE, 8);
    DROP(C_QUANT);
    SHRINK(C_NAME, 4);
#undef SHRINK
#undef DROP
    /* whatever width is left over after a drop goes back to NAME */
    if (over < 0 && L->w[C_NAME] < natural[C_NAME]) {
        int d = natural[C_NAME] - L->w[C_NAME] < -over ? natural[C_NAME] - L->w[C_NAME] : -over;
        L->w[C_NAME] += d;
    }
}

static void print_row(FILE *o, const layout *L, const char *const cells[C_N], const char *pre,
                      const char *post)
{
    static const cli_cut_at cut[C_N] = {CLI_CUT_MID, CLI_CUT_END, CLI_CUT_END, CLI_CUT_END,
                                        CLI_CUT_END, CLI_CUT_END, CLI_CUT_END, CLI_CUT_START};
    char buf[4096];
    int last = -1;
    for (int c = 0; c < C_N; c++)
        if (L->w[c])
            last = c;
    int first = 1;
    for (int c = 0; c < C_N; c++) {
        if (!L->w[c])
            continue;
        if (!first)
            fputs("  ", o);
        first = 0;
        const char *t = cli_cut(cells[c], L->w[c], cut[c], buf, sizeof buf);
        if (c == C_SIZE) { /* right-aligned */
            for (int i = cli_text_cols(t); i < L->w[c]; i++)
                fputc(' ', o);
            fputs(t, o);
        } else if (c == C_STORE + 1 && pre) { /* FORMAT of a model that could not be read */
            fputs(pre, o);
            cli_pad(o, t, L->w[c]);
            fputs(post, o);
        } else if (c == last) {
            fputs(t, o); /* no trailing blanks */
        } else {
            cli_pad(o, t, L->w[c]);
        }
    }
    fputc('\n', o);
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
    static const char *const head[C_N] = {"NAME",   "STORE", "FORMAT", "SIZE",
                                          "PARAMS", "ARCH",  "QUANT",  "PATH"};
    char(*params)[32] = calloc(l->n, sizeof *params);
    if (!params)
        return;
    int natural[C_N];
    for (int c = 0; c < C_N; c++)
        natural[c] = (int)strlen(head[c]);
#define WIDEN(c, s)                                                                                \
    do {                                                                                           \
        int n_ = cli_text_cols(s);                                                                 \
        if (n_ > natural[c])                                                                       \
            natural[c] = n_;                                                                       \
    } while (0)
    for (size_t i = 0; i < l->n; i++) {
        const og_found_model *f = &l->items[i];
        snprintf(params[i], sizeof params[i], "-");
        if (f->n_params)
            snprintf(params[i], sizeof params[i], "%.1fB", (double)f->n_params / 1e9);
        WIDEN(C_NAME, f->name);
        WIDEN(C_STORE, og_store_name(f->store));
        WIDEN(C_FORMAT, f->error ? "error" : og_format_name(f->format));
        WIDEN(C_SIZE, f->file_bytes ? cli_bytes(f->file_bytes) : "-");
        WIDEN(C_PARAMS, params[i]);
        WIDEN(C_ARCH, f->arch[0] ? f->arch : "-");
        WIDEN(C_QUANT, f->quant[0] ? f->quant : "-");
        WIDEN(C_PATH, f->path);
    }
#undef WIDEN
    int width = cli_term_width();
    layout L;
    plan_layout(&L, natural, width);
    fputs(b, o);
    print_row(o, &L, head, NULL, NULL);
    fputs(r, o);
    char eb[1024];
    for (size_t i = 0; i < l->n; i++) {
        const og_found_model *f = &l->items[i];
        const char *cells[C_N] = {f->name,
                                  og_store_name(f->store),
                                  f->error ? "error" : og_format_name(f->format),
                                  f->file_bytes ? cli_bytes(f->file_bytes) : "-",
                                  f->error ? "-" : params[i],
                                  f->arch[0] && !f->error ? f->arch : "-",
                                  f->quant[0] && !f->error ? f->quant : "-",
                                  f->path};
        print_row(o, &L, cells, f->error ? red : NULL, f->error ? r : NULL);
        if (f->error) /* the reason, on its own line, within the width */
            fprintf(o, "  %s%s%s\n", d, cli_cut(f->error, width - 2, CLI_CUT_END, eb, sizeof eb),
                    r);
    }
    free(params);
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
