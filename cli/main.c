/* oomguard — run large language models locally without running out of memory. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"fit", "will this model fit? memory per component and device, largest context", cmd_fit},
    {"doctor", "diagnose an out-of-memory crash, a freeze or a crawl: seven checks", cmd_doctor},
    {"wired", "read, recommend, set and persist the GPU wired-memory limit (macOS)", cmd_wired},
    {"top", "who holds the memory: processes by footprint and GPU memory", cmd_top},
    {"run", "run an inference command under watch; stop it before the machine freezes", cmd_run},
    {"machine", "what this machine can give: memory, GPU pool, pressure, swap", cmd_machine},
    {"inspect", "what a model file holds: format, architecture, parameters, quant mix",
     cmd_inspect},
    {"ls", "local models (Hugging Face cache, LM Studio, Ollama, folders)", cmd_ls},
    {"explain", "read an engine's crash log and say what overflowed and what to change",
     cmd_explain},
    {"history", "past runs: predicted and measured peaks on this machine", cmd_history},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "Usage: oomguard [COMMAND] [options]\n"
               "\n"
               "Run large language models locally without running out of memory.\n"
               "With no command: what you can run on this machine.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Options:\n"
               "  -h, --help     show help (also: oomguard COMMAND --help)\n"
               "  -V, --version  show the version\n"
               "\n"
               "Exit codes: 0 ok/fits, 1 does not fit or a problem was found,\n"
               "            2 bad input or usage, 3 internal error.\n"
               "Environment: NO_COLOR disables colour.\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *a = argv[1];
        if (cli_is_help(a) || strcmp(a, "help") == 0) {
            if (argc >= 3 && strcmp(a, "help") == 0) {
                for (size_t i = 0; i < N_COMMANDS; i++)
                    if (strcmp(commands[i].name, argv[2]) == 0) {
                        char *hargv[] = {argv[2], (char *)"--help", NULL};
                        return commands[i].run(2, hargv);
                    }
            }
            usage(stdout);
            return OG_EXIT_OK;
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("oomguard %s\n", oomguard_version());
            return OG_EXIT_OK;
        }
        if (strcmp(a, "__complete") == 0) /* hidden: names for shell completions */
            return cmd_complete(argc - 1, argv + 1);
        if (a[0] != '-') {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(commands[i].name, a) == 0)
                    return commands[i].run(argc - 1, argv + 1);
            fprintf(stderr, "oomguard: unknown command '%s'\n\n", a);
            usage(stderr);
            return OG_EXIT_USAGE;
        }
    }
    /* No command (options only, e.g. --json): the overview. */
    return cmd_overview(argc, argv);
}
