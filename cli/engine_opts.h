/* The engine settings every planning command accepts (fit, doctor, wired
 * --recommend, run as overrides): one pair of option groups that fill the
 * public og_llama_settings / og_mlx_settings (include/oomguard/llama.h,
 * mlx.h). A command lists cli_llama_group and cli_mlx_group in its cli_spec
 * with the same cli_engine_opts as their context. */
#ifndef OG_CLI_ENGINE_OPTS_H
#define OG_CLI_ENGINE_OPTS_H

#include "oomguard/llama.h"
#include "oomguard/mlx.h"
#include "opts.h"

/* --engine (same order as fit's ENG_*). */
enum { CLI_ENGINE_AUTO = 0, CLI_ENGINE_LLAMA, CLI_ENGINE_OLLAMA, CLI_ENGINE_MLX, CLI_ENGINE_ALL };

/* Which settings were given (cli_engine_opts.given). */
enum {
    CLI_SET_CTX = 1u << 0,
    CLI_SET_BATCH = 1u << 1,
    CLI_SET_UBATCH = 1u << 2,
    CLI_SET_PARALLEL = 1u << 3,
    CLI_SET_CTK = 1u << 4,
    CLI_SET_CTV = 1u << 5,
    CLI_SET_FA = 1u << 6,
    CLI_SET_NGL = 1u << 7,
    CLI_SET_BACKEND = 1u << 8,
    CLI_SET_ENGINE = 1u << 9,
    CLI_SET_KV_BITS = 1u << 10,
    CLI_SET_KV_GROUP = 1u << 11,
    CLI_SET_MAX_KV = 1u << 12,
    CLI_SET_OTHER = 1u << 13, /* any other llama.cpp / MLX setting */
    CLI_SET_KV_START = 1u << 14
};

typedef struct cli_engine_opts {
    const char *cmd;       /* command name, for messages */
    og_llama_settings s;   /* llama.cpp (and Ollama) settings, defaults filled in */
    og_mlx_settings ms;    /* mlx-lm settings, defaults filled in */
    int engine;            /* CLI_ENGINE_* */
    const char *ctk, *ctv; /* -ctk / -ctv as typed (lower case names), or NULL */
    const char *mmproj, *draft;
    unsigned given; /* CLI_SET_* */
} cli_engine_opts;

void cli_engine_opts_init(cli_engine_opts *e, const char *cmd);

/* 1 if any engine setting was given. */
int cli_engine_any_given(const cli_engine_opts *e);

/* "Settings (llama.cpp's own names)" and "MLX settings (mlx-lm's names)". */
extern const cli_group cli_llama_group, cli_mlx_group;

#endif
