/* oomguard __complete LIST: the names shell completions offer at completion
 * time (hidden: not listed by --help). One name per line on stdout; a list
 * whose library API is not in this build prints nothing and exits 0, so a
 * completion script never shows an error to someone pressing TAB.
 *
 *   models     catalog model names (include/oomguard/catalog.h)
 *   machines   built-in machine presets (og_machine_preset_name)
 *   lists      the lists this command knows, one per line
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Catalog names (built-in and the user's catalog file), with their aliases
 * (Ollama tags such as llama3.1:8b). A bad user catalog is not reported here:
 * the built-in names are still listed. */
static void list_models(void)
{
    og_error err;
    (void)og_catalog_load(&err);
    uint32_t n = og_catalog_count();
    for (uint32_t i = 0; i < n; i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        if (!e)
            continue;
        printf("%s\n", e->name);
        for (uint32_t k = 0; k < e->n_aliases && k < OG_CATALOG_MAX_ALIASES; k++)
            if (strchr(e->aliases[k], ' ') == NULL) /* one shell word */
                printf("%s\n", e->aliases[k]);
    }
}

/* Machine presets (src/presets.c). */
static void list_machines(void)
{
    uint32_t n = og_machine_preset_count();
    for (uint32_t i = 0; i < n; i++) {
        const char *name = og_machine_preset_name(i);
        if (name)
            printf("%s\n", name);
    }
}

static const struct {
    const char *name;
    void (*list)(void);
} lists[] = {{"models", list_models}, {"machines", list_machines}};

int cmd_complete(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "Usage: oomguard __complete models|machines|lists\n");
        return OG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "lists") == 0) {
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
            printf("%s\n", lists[i].name);
        return OG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(argv[1], lists[i].name) == 0) {
            lists[i].list();
            return fflush(stdout) == 0 ? OG_EXIT_OK : OG_EXIT_INTERNAL;
        }
    fprintf(stderr, "oomguard __complete: unknown list '%s' (models, machines, lists)\n", argv[1]);
    return OG_EXIT_USAGE;
}
