/* TEMPORARY placeholder: this command is being built (see the open issues). */
#include <stdio.h>

#include "cli.h"

int cmd_machine(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "oomguard: 'machine' is not built yet\n");
    return OG_EXIT_INTERNAL;
}
