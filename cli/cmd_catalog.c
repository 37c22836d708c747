/* oomguard catalog add|list|remove: the user's own catalog entries
 * (~/.config/oomguard/catalog.json). Parsing and printing only; the entry is
 * built and written by the library (src/catalog_user.c). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { O_JSON, O_NAME };
typedef struct catalog_opts {
    int json;
    const char *name;
} catalog_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    catalog_opts *o = ctx;
    (void)name;
    if (id == O_JSON)
        o->json = 1;
    else if (id == O_NAME)
        o->name = v->str;
    return 0;
}

static const cli_opt options[] = {
    {O_NAME, "--name", NULL, CLI_T_STR, "NAME", NULL,
     "the entry's name (add; default: the repository's name)", 0, 0, 0},
    {O_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL, "machine-readable output", 0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_catalog = {
    .name = "catalog",
    .summary = "your own catalog entries: add a Hugging Face repository, list, remove",
    .usage = "add hf://ORG/REPO [--name NAME] [--json]\nlist [--json]\nremove NAME",
    .description =
        "Your own catalog entries, next to the built-in catalog: they appear in the\n"
        "overview (plain `oomguard`) and `oomguard fit NAME` plans them like any other.\n"
        "\n"
        "add     read the repository's headers only (config.json, the shard index and each\n"
        "        safetensors or GGUF header; no weights), describe it as a catalog entry and\n"
        "        save it; an entry of the same name is replaced. A local model folder works\n"
        "        too.\n"
        "list    the entries you added (and the file they are in)\n"
        "remove  delete one of your entries\n"
        "\n"
        "The file: $OOMGUARD_CATALOG, else $XDG_CONFIG_HOME/oomguard/catalog.json, else\n"
        "~/.config/oomguard/catalog.json (docs/CATALOG.md has the schema).",
    .pos = CLI_POS_NONE,
    .pos_name = "add|list|remove",
    .min_pos = 1,
    .max_pos = 2,
    .after = "Exit codes: 0 ok, 1 the entry's parameters differ from the repository's by more\n"
             "than 1 %, 2 bad input (unknown repository, an architecture the catalog cannot\n"
             "describe, a bad catalog file, an unknown name), 3 internal error.",
    .groups = {&group},
};

/* "hf://ORG/REPO[@REV][/FILE]" -> "ORG/REPO"; other sources as given. */
static void repo_of(const char *src, char *out, size_t n)
{
    if (!og_is_remote(src)) { /* a local folder: its name */
        snprintf(out, n, "%s", src);
        size_t l = strlen(out);
        while (l > 1 && out[l - 1] == '/')
            out[--l] = '\0';
        const char *b = strrchr(out, '/');
        if (b)
            memmove(out, b + 1, strlen(b + 1) + 1);
        return;
    }
    const char *s = strncmp(src, "hf://", 5) == 0 ? src + 5 : src;
    snprintf(out, n, "%s", s);
    char *slash = strchr(out, '/');
    if (slash) {
        char *end = strpbrk(slash + 1, "/@");
        if (end)
            *end = '\0';
    }
    size_t l = strlen(out);
    while (l > 1 && out[l - 1] == '/')
        out[--l] = '\0';
}

static void default_name(const char *repo, char *out, size_t n)
{
    const char *base = strrchr(repo, '/');
    base = base ? base + 1 : repo;
    size_t j = 0;
    for (; *base && j + 1 < n; base++)
        out[j++] = (char)((*base >= 'A' && *base <= 'Z') ? *base - 'A' + 'a' : *base);
    out[j] = '\0';
}

static double param_ratio(const og_catalog_entry *e, const og_model *src, og_error *err, int *ok)
{
    og_model *c = NULL;
    *ok = og_catalog_model(e, OG_BUILD_GGUF_F16, &c, err) == OG_OK;
    if (!*ok)
        return 0;
    uint64_t p = 0;
    for (size_t i = 0; i < c->n_tensors; i++) {
        unsigned il;
        if (sscanf(c->tensors[i].name, "blk.%u.", &il) == 1 && il >= c->hp.n_layer)
            continue; /* NextN/MTP layers are not in the repository's main count */
        p += c->tensors[i].n_elements;
    }
    og_model_free(c);
    return src->n_params ? (double)p / (double)src->n_params : 0;
}

static int do_add(const char *src, const char *name, int json)
{
    char repo[512], nm[64];
    repo_of(src, repo, sizeof repo);
    if (name && strlen(name) >= sizeof nm)
        return cli_usage_error("catalog", "--name '%s': at most 63 characters", name);
    if (name)
        snprintf(nm, sizeof nm, "%s", name);
    else
        default_name(repo, nm, sizeof nm);
    og_error err;
    og_model *m = NULL;
    if (cli_open_model(src, &m, &err) != OG_OK)
        return cli_fail(&err);
    char *entry = NULL;
    og_catalog_entry added;
    og_status st = og_catalog_entry_json(m, nm, repo, &entry, &err);
    if (st == OG_OK)
        st = og_catalog_user_add(entry, &added, &err);
    free(entry);
    if (st != OG_OK) {
        og_model_free(m);
        return cli_fail(&err);
    }
    int ok;
    double r = param_ratio(&added, m, &err, &ok);
    int off = !ok || r < 0.99 || r > 1.01;
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(added.name));
        json_object_set_new(j, "file", json_string(added.origin));
        json_object_set_new(j, "arch", json_string(added.hp.arch));
        json_object_set_new(j, "params", cli_json_u64(m->n_params));
        json_object_set_new(j, "params_ratio", json_real(r));
        json_object_set_new(j, "params_match", json_boolean(!off));
        cli_print_json(j); /* prints and frees j */
    } else {
        printf("Added '%s' (%s, %s, %llu parameters) to %s\n", added.name, repo, added.hp.arch,
               (unsigned long long)m->n_params, added.origin);
        if (off)
            fprintf(stderr,
                    "oomguard: warning: the catalog's tensor list for '%s' has %.1f %% of the "
                    "repository's parameters; its sizes may be off\n",
                    added.name, r * 100.0);
        else
            printf("Plan it with: oomguard fit %s   (it is in the overview too)\n", added.name);
    }
    og_model_free(m);
    return off ? OG_EXIT_PROBLEM : OG_EXIT_OK;
}

static int do_list(int json)
{
    og_error err;
    char path[1024];
    if (og_catalog_user_path(path, sizeof path, &err) != OG_OK)
        return cli_fail(&err);
    if (og_catalog_load(&err) != OG_OK && err.status != OG_ERR_INTERNAL)
        return cli_fail(&err); /* a bad user file: say which entry and key */
    json_t *arr = json ? json_array() : NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        if (strcmp(e->origin, path) != 0)
            continue;
        n++;
        if (json) {
            json_t *j = json_object();
            json_object_set_new(j, "name", json_string(e->name));
            json_object_set_new(j, "display", json_string(e->display));
            json_object_set_new(j, "hf_repo", json_string(e->hf_repo));
            json_object_set_new(j, "arch", json_string(e->hp.arch));
            json_object_set_new(j, "params", cli_json_u64(e->params_published));
            json_array_append_new(arr, j);
        } else {
            if (n == 1)
                printf("%-28s %-40s %-12s %s\n", "NAME", "REPOSITORY", "ARCH", "PARAMETERS");
            printf("%-28s %-40s %-12s %.2fB\n", e->name, e->hf_repo[0] ? e->hf_repo : "-",
                   e->hp.arch, (double)e->params_published / 1e9);
        }
    }
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "file", json_string(path));
        json_object_set_new(j, "models", arr);
        cli_print_json(j); /* prints and frees j */
    } else if (!n) {
        printf("No entries of your own yet (%s). Add one: oomguard catalog add hf://ORG/REPO\n",
               path);
    } else {
        printf("(%u in %s)\n", n, path);
    }
    return OG_EXIT_OK;
}

int cmd_catalog(int argc, char **argv)
{
    catalog_opts o = {0};
    void *ctx[] = {&o};
    int npos = 0;
    int rc = cli_parse(&cli_spec_catalog, argc, argv, ctx, &npos);
    if (rc)
        return rc == CLI_DONE ? 0 : rc;
    const char *sub = argv[1];
    if (!strcmp(sub, "add")) {
        if (npos != 2)
            return cli_usage_error("catalog", "add takes one source: hf://ORG/REPO");
        return do_add(argv[2], o.name, o.json);
    }
    if (o.name)
        return cli_usage_error("catalog", "--name is for 'catalog add'");
    if (!strcmp(sub, "list")) {
        if (npos != 1)
            return cli_usage_error("catalog", "unexpected argument '%s'", argv[2]);
        return do_list(o.json);
    }
    if (!strcmp(sub, "remove") || !strcmp(sub, "rm")) {
        if (npos != 2)
            return cli_usage_error("catalog", "remove takes one name");
        og_error err;
        if (og_catalog_user_remove(argv[2], &err) != OG_OK)
            return cli_fail(&err);
        if (!o.json)
            printf("Removed '%s'\n", argv[2]);
        return OG_EXIT_OK;
    }
    return cli_usage_error("catalog", "unknown subcommand '%s' (add, list or remove)", sub);
}
