/* Per-user folders, one file per platform (paths_linux.c, paths_darwin.c, paths_none.c). */
#ifndef OG_PLATFORM_PATHS_H
#define OG_PLATFORM_PATHS_H

#include <stddef.h>

/* The user's cache base: $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches (macOS).
 * 0 on success, -1 when no home folder is known. */
int og_user_cache_dir(char *out, size_t n);

#endif
