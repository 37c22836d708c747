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

/* Catalog names. Wire the catalog listing here when catalog.h lands on main. */
static void list_models(void) {}

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
