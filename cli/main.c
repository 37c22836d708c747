/* oomguard — run large language models locally without running out of memory. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Every command, in the order `oomguard --help` lists them. A new command:
 * its cli_spec and entry point here (cli/opts.h says how to write them). */
static const cli_command commands[] = {
    {&cli_spec_fit, cmd_fit},         {&cli_spec_doctor, cmd_doctor},
    {&cli_spec_wired, cmd_wired},     {&cli_spec_top, cmd_top},
    {&cli_spec_run, cmd_run},         {&cli_spec_machine, cmd_machine},
    {&cli_spec_inspect, cmd_inspect}, {&cli_spec_ls, cmd_ls},
    {&cli_spec_explain, cmd_explain}, {&cli_spec_history, cmd_history},
    {&cli_spec_catalog, cmd_catalog},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

void cli_help_commands(FILE *f)
{
    fprintf(f, "\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].spec->name, commands[i].spec->summary);
}

static int dump_spec(void)
{
    const cli_spec *specs[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++)
        specs[i] = commands[i].spec;
    return cli_dump_spec(&cli_spec_overview, specs, N_COMMANDS);
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *a = argv[1];
        if (strcmp(a, "help") == 0) {
            if (argc >= 3) {
                for (size_t i = 0; i < N_COMMANDS; i++)
                    if (strcmp(commands[i].spec->name, argv[2]) == 0) {
                        cli_help(commands[i].spec, stdout);
                        return OG_EXIT_OK;
                    }
                return cli_usage_error(NULL, "no command '%s'", argv[2]);
            }
            cli_help(&cli_spec_overview, stdout);
            return OG_EXIT_OK;
        }
        if (strcmp(a, "__complete") == 0) /* hidden: names for shell completions */
            return cmd_complete(argc - 1, argv + 1);
        if (strcmp(a, "__spec") == 0) /* hidden: the option table for man/completions */
            return dump_spec();
        if (a[0] != '-') {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(commands[i].spec->name, a) == 0)
                    return commands[i].run(argc - 1, argv + 1);
            fprintf(stderr, "oomguard: unknown command '%s'\n", a);
            cli_help_commands(stderr);
            return OG_EXIT_USAGE;
        }
    }
    /* No command (options only, e.g. --json, --help, --version): the overview. */
    return cmd_overview(argc, argv);
}
