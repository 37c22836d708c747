/* macOS: ~/Library/Caches unless XDG_CACHE_HOME is set explicitly. */
#include <stdio.h>
#include <stdlib.h>

#include "paths.h"

int og_user_cache_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(out, n, "%s", x);
    else if (home && *home)
        snprintf(out, n, "%s/Library/Caches", home);
    else
        return -1;
    return 0;
}
