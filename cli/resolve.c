/* The models people already have (see cli.h, cli_model_arg): a name `oomguard
 * ls` prints, an hf:// or ollama:// source with a local copy, or a folder
 * holding several models. Matching is by the names og_discover gives (never
 * by building a path from what was typed), so a name cannot reach outside
 * the stores. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "oomguard/discover.h"

static int truthy(const char *v)
{
    return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 &&
           strcasecmp(v, "no") != 0 && strcasecmp(v, "off") != 0;
}

/* A resolved path outlives the model list it came from: kept in one of two
 * static buffers (a command resolves one or two names), so nothing leaks. */
static const char *keep_path(const char *s, const char *fallback)
{
    static char bufs[2][4096];
    static unsigned slot;
    if (strlen(s) >= sizeof bufs[0])
        return fallback; /* too long to keep: the name as typed gets its own error */
    char *b = bufs[slot++ % 2];
    memcpy(b, s, strlen(s) + 1);
    return b;
}

/* List the models of l (those matching prefix, or all) on stderr. */
static void list_models(const og_model_list *l, const char *prefix, const char *how)
{
    for (size_t i = 0; i < l->n; i++) {
        const og_found_model *f = &l->items[i];
        if (prefix && strncmp(f->name, prefix, strlen(prefix)) != 0)
            continue;
        fprintf(stderr, "  %-48s %s\n", how && !strcmp(how, "path") ? f->path : f->name,
                f->error ? "(cannot be read)" : og_format_name(f->format));
    }
}

/* A folder: itself when it is one model; the one model in it; or a list of
 * the models it holds and exit 2. */
static const char *folder(const char *arg, int *rc)
{
    og_model_list *l = NULL;
    og_error err;
    const char *dirs[1] = {arg};
    if (og_discover(dirs, 1, &l, &err) != OG_OK || !l || l->n == 0) {
        og_model_list_free(l);
        return arg; /* og_model_open says what is wrong */
    }
    if (l->n == 1) {
        const char *p = keep_path(l->items[0].path, arg);
        og_model_list_free(l);
        return p;
    }
    fprintf(stderr, "oomguard: %s holds %zu models; name one of them:\n", arg, l->n);
    list_models(l, NULL, "path");
    og_model_list_free(l);
    *rc = OG_EXIT_USAGE;
    return NULL;
}

static int is_local_name_shape(const char *s)
{
    /* what `oomguard ls` prints for the stores: ORG/REPO, ORG/REPO:FILE.gguf,
     * ORG/REPO/FILE.gguf (LM Studio), NAME:TAG (Ollama) */
    return strchr(s, '/') || strchr(s, ':');
}

/* The model a discovered name is a build of, lower case, without the
 * publisher and the build suffix: "Qwen/Qwen3-32B-GGUF:Qwen3-32B-Q4_K_M.gguf",
 * "mlx-community/Qwen3-32B-4bit" and "lmstudio-community/Qwen3-32B-GGUF/
 * Qwen3-32B-Q4_K_M.gguf" all give "qwen3-32b". */
static void repo_key(const og_found_model *f, char *out, size_t n)
{
    const char *s = f->name, *slash = strchr(s, '/');
    if (slash)
        s = slash + 1; /* drop the publisher */
    size_t len = strcspn(s, ":/@");
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[len] = '\0';
    static const char *const suffix[] = {"-gguf", "-mlx",  "-bf16", "-fp16", "-8bit",
                                         "-6bit", "-5bit", "-4bit", "-3bit", "-dwq"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            size_t k = strlen(suffix[i]), m = strlen(out);
            if (m > k && strcmp(out + m - k, suffix[i]) == 0) {
                out[m - k] = '\0';
                again = 1;
            }
        }
    }
}

/* Is f a local copy of catalog entry e (key: e's repository name, lower case)? */
static int copy_of(const og_catalog_entry *e, const char *key, const og_found_model *f)
{
    if (f->error)
        return 0;
    if (f->store == OG_STORE_OLLAMA) {
        for (uint32_t a = 0; a < e->n_aliases && a < OG_CATALOG_MAX_ALIASES; a++) {
            char tagged[80];
            snprintf(tagged, sizeof tagged, "%s%s", e->aliases[a],
                     strchr(e->aliases[a], ':') ? "" : ":latest");
            if (!strcmp(f->name, tagged))
                return 1;
        }
        return 0;
    }
    char k[160];
    repo_key(f, k, sizeof k);
    return !strcmp(k, key);
}

/* A catalog name with local copies: the one copy (said on stderr), or, with
 * several, the catalog entry and the list of copies to name instead. */
static const char *catalog_local(const char *arg)
{
    const og_catalog_entry *e = NULL;
    og_error ce;
    if (og_catalog_find(arg, &e, &ce) != OG_OK || !e || !e->hf_repo[0])
        return arg;
    char key[160];
    const char *base = strrchr(e->hf_repo, '/');
    base = base ? base + 1 : e->hf_repo;
    size_t i;
    for (i = 0; base[i] && i + 1 < sizeof key; i++)
        key[i] = (char)tolower((unsigned char)base[i]);
    key[i] = '\0';
    og_model_list *l = NULL;
    og_error err;
    if (og_discover(NULL, 0, &l, &err) != OG_OK || !l) {
        og_model_list_free(l);
        return arg;
    }
    size_t hits = 0, first = 0;
    for (i = 0; i < l->n; i++)
        if (copy_of(e, key, &l->items[i]) && hits++ == 0)
            first = i;
    const char *out = arg;
    if (hits == 1) {
        const og_found_model *f = &l->items[first];
        out = keep_path(f->path, arg);
        fprintf(stderr,
                "oomguard: %s: using the local copy %s (%s store: %s); --quant plans a catalog "
                "build instead\n",
                arg, f->name, og_store_name(f->store), f->path);
    } else if (hits > 1) {
        fprintf(stderr,
                "oomguard: %s: %zu local copies; planning the catalog entry (name one of these "
                "to plan it instead):\n",
                arg, hits);
        for (i = 0; i < l->n; i++)
            if (copy_of(e, key, &l->items[i]))
                fprintf(stderr, "  %s\n", l->items[i].name);
    }
    og_model_list_free(l);
    return out;
}

const char *cli_model_arg(const char *arg, int catalog_copies, int *rc)
{
    struct stat st;
    *rc = OG_EXIT_OK;
    if (!arg)
        return arg;
    if (stat(arg, &st) == 0)
        return S_ISDIR(st.st_mode) ? folder(arg, rc) : arg;
    int hf = strncmp(arg, "hf://", 5) == 0, ol = strncmp(arg, "ollama://", 9) == 0;
    if (!hf && !ol && strstr(arg, "://"))
        return arg; /* a URL */
    if (!hf && !ol && !is_local_name_shape(arg))
        return catalog_copies ? catalog_local(arg) : arg; /* a catalog name */
    /* the names to look for in the local stores */
    char want[1024], prefix[1024] = "";
    const char *body = hf ? arg + 5 : ol ? arg + 9 : arg;
    if (hf) {
        if (strchr(body, '@'))
            return arg; /* a pinned revision: the remote side answers it */
        /* hf://ORG/REPO/FILE -> ORG/REPO:FILE (hub cache) or ORG/REPO/FILE (LM Studio) */
        const char *s1 = strchr(body, '/');
        const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (s2) {
            snprintf(want, sizeof want, "%.*s:%s", (int)(s2 - body), body, s2 + 1);
        } else {
            snprintf(want, sizeof want, "%s", body);
            snprintf(prefix, sizeof prefix, "%s:", body);
        }
    } else if (ol) {
        snprintf(want, sizeof want, "%s%s", body, strchr(body, ':') ? "" : ":latest");
    } else {
        snprintf(want, sizeof want, "%s", arg);
    }
    og_model_list *l = NULL;
    og_error err;
    const char *found = NULL, *store = NULL;
    size_t n_prefixed = 0;
    if (og_discover(NULL, 0, &l, &err) == OG_OK && l) {
        for (size_t i = 0; i < l->n && !found; i++) {
            const og_found_model *f = &l->items[i];
            /* LM Studio names its GGUFs ORG/REPO/FILE: an hf://ORG/REPO/FILE matches too */
            int lm_match = hf && f->store == OG_STORE_LMSTUDIO && !strcmp(f->name, body);
            if (!strcmp(f->name, want) || lm_match) {
                found = f->path;
                store = og_store_name(f->store);
            }
        }
        if (!found && prefix[0])
            for (size_t i = 0; i < l->n; i++)
                if (!strncmp(l->items[i].name, prefix, strlen(prefix))) {
                    n_prefixed++;
                    found = l->items[i].path;
                    store = og_store_name(l->items[i].store);
                }
    }
    if (n_prefixed > 1) {
        fprintf(stderr, "oomguard: %s: the local copy holds %zu models; name one (hf://%s/FILE):\n",
                arg, n_prefixed, body);
        list_models(l, prefix, "name");
        og_model_list_free(l);
        *rc = OG_EXIT_USAGE;
        return NULL;
    }
    if (found) {
        const char *p = keep_path(found, arg);
        if (hf || ol)
            fprintf(stderr, "oomguard: %s: using the local copy in the %s store: %s\n", arg, store,
                    p);
        else {
            const og_catalog_entry *e = NULL;
            og_error ce;
            if (og_catalog_find(arg, &e, &ce) == OG_OK && e)
                fprintf(stderr,
                        "oomguard: %s: using the local %s copy (%s), not the catalog entry %s\n",
                        arg, store, p, e->name);
        }
        og_model_list_free(l);
        return p;
    }
    og_model_list_free(l);
    if (hf && truthy(getenv("HF_HUB_OFFLINE"))) {
        fprintf(stderr,
                "oomguard: %s: no local copy (Hugging Face cache, LM Studio folders) and "
                "HF_HUB_OFFLINE is set\n",
                arg);
        *rc = OG_EXIT_USAGE;
        return NULL;
    }
    return arg;
}
