/* oomguard fit MODEL [options]: will this model fit? Memory per component and
 * device, the verdict against a budget, the largest context, advice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "decide_cli.h"
#include "engine_opts.h"
#include "fit.h"

enum {
    F_QUANT,
    F_MEM,
    F_MACHINE,
    F_MACHINES,
    F_ALL_QUANTS,
    F_JSON,
    F_FIT,
    F_FIT_TARGET,
    F_FIT_CTX,
    F_OT,
    F_CPU_MOE,
    F_N_CPU_MOE,
    F_TS,
    F_SM,
    F_MG,
    F_CLUSTER,
    F_CLUSTER_ENGINE
};

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    fit_opts *o = ctx;
    (void)name;
    switch (id) {
    case F_QUANT:
        o->quant = v->str;
        break;
    case F_MEM:
        if (!v->u)
            return cli_usage_error("fit", "--mem must be larger than 0");
        o->mem = v->u;
        o->have_mem = 1;
        break;
    case F_MACHINE:
        o->machine = v->str;
        break;
    case F_MACHINES:
        o->machines = 1;
        break;
    case F_ALL_QUANTS:
        o->all_quants = 1;
        break;
    case F_JSON:
        o->json = 1;
        break;
    case F_FIT:
        o->fit_off = v->choice == 1;
        break;
    case F_FIT_TARGET: {
        /* common/arg.cpp: MiB per device; one value is broadcast */
        const char *p = v->str;
        o->n_fit_target = 0;
        while (*p) {
            char *end;
            unsigned long long x = strtoull(p, &end, 10);
            if (end == p || (*end && *end != ',') || o->n_fit_target >= OG_LLAMA_MAX_DEVICES ||
                x > (1ull << 32))
                return cli_usage_error("fit", "%s expects MiB[,MiB...] (at most %d), got '%s'",
                                       name, OG_LLAMA_MAX_DEVICES, v->str);
            o->fit_target_mib[o->n_fit_target++] = x;
            p = *end ? end + 1 : end;
        }
        if (!o->n_fit_target)
            return cli_usage_error("fit", "%s expects MiB[,MiB...]", name);
        break;
    }
    case F_FIT_CTX:
        o->fit_ctx = (uint32_t)v->u;
        break;
    case F_OT:
        if (o->n_ot >= sizeof o->ot / sizeof o->ot[0])
            return cli_usage_error("fit", "too many %s options", name);
        o->ot[o->n_ot++] = v->str;
        break;
    case F_CPU_MOE:
        o->cpu_moe = -2;
        break;
    case F_N_CPU_MOE:
        o->cpu_moe = (int32_t)v->u;
        break;
    case F_TS:
        o->ts = v->str;
        break;
    case F_SM:
        o->split_mode = v->choice == 0   ? OG_SPLIT_NONE
                        : v->choice == 2 ? OG_SPLIT_ROW
                                         : OG_SPLIT_LAYER;
        break;
    case F_MG:
        o->main_gpu = (int)v->u;
        o->main_gpu_set = 1;
        break;
    case F_CLUSTER:
        o->cluster = v->str;
        break;
    case F_CLUSTER_ENGINE:
        o->cluster_engine = v->choice;
        break;
    }
    return 0;
}

static const cli_opt model_opts[] = {
    {F_QUANT, "--quant", NULL, CLI_T_STR, "BUILD",
     "Q2_K Q3_K_M Q4_0 IQ4_XS Q4_K_M Q5_K_M Q6_K Q8_0 F16 mlx-3bit mlx-4bit mlx-6bit mlx-8bit "
     "mlx-bf16",
     "catalog build: Q4_K_M (default for llama.cpp), Q8_0, ...\n"
     "or mlx-4bit (default for MLX), mlx-8bit, mlx-bf16 ...",
     0, 0, 0},
};
static const cli_opt budget_opts[] = {
    {F_MEM, "--mem", NULL, CLI_T_SIZE, "SIZE", NULL,
     "memory available (512M, 24G, 1T; G = GB = GiB; 24 alone is\nan error, a bare number of at "
     "least 1 MiB is bytes)",
     0, 0, 0},
    {F_MACHINE, "--machine", NULL, CLI_T_MACHINE, "NAME|FILE", NULL,
     "a preset or a saved snapshot instead of this machine\n(default: this machine, probed now)", 0,
     0, 0},
    {F_MACHINES, "--machines", NULL, CLI_T_FLAG, NULL, NULL,
     "every machine preset, smallest first: where does it fit,\nwith how much context (exit 0 if "
     "any)",
     0, 0, 0},
    {F_ALL_QUANTS, "--all-quants", NULL, CLI_T_FLAG, NULL, NULL,
     "hf://ORG/REPO: plan every GGUF quant in the repository", 0, 0, 0},
};
static const cli_opt output_opts[] = {
    {F_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL,
     "machine-readable (engine, memory.*_bytes, memory.by_device[],\n"
     "settings.ctx, verdict, max_ctx, advice[], fallback);\n"
     "--engine all: {engines: [...], better}",
     0, 0, 0},
};
static const cli_opt place_opts[] = {
    {F_FIT, "-fit, --fit", NULL, CLI_T_CHOICE, "on|off", "on off",
     "llama.cpp's own fitting (default on): without -c it lowers the\n"
     "context, then moves layers and MoE experts off the GPU(s)",
     0, 0, 0},
    {F_FIT_TARGET, "-fitt, --fit-target", NULL, CLI_T_STR, "MiB[,MiB]", NULL,
     "memory --fit leaves free per GPU (1024; one value for all)", 0, 0, 0},
    {F_FIT_CTX, "-fitc, --fit-ctx", NULL, CLI_T_COUNT, "N", NULL,
     "smallest context --fit may choose (4096)", 0, 0, 0},
    {F_OT, "-ot, --override-tensor", NULL, CLI_T_STR, "PATTERN=BUF,...", NULL,
     "put tensors matching PATTERN on BUF (CPU, CUDA1, ...)", 0, 0, 0},
    {F_CPU_MOE, "-cmoe, --cpu-moe", NULL, CLI_T_FLAG, NULL, NULL,
     "keep every MoE expert tensor in system memory", 0, 0, 0},
    {F_N_CPU_MOE, "-ncmoe, --n-cpu-moe", NULL, CLI_T_COUNT, "N", NULL,
     "keep the experts of the first N layers in system memory", 0, 0, 0},
    {F_TS, "-ts, --tensor-split", NULL, CLI_T_STR, "N0,N1,...", NULL,
     "share of the layers per GPU (default: by free memory)", 0, 0, 0},
    {F_SM, "-sm, --split-mode", NULL, CLI_T_CHOICE, "none|layer|row", "none layer row",
     "several GPUs: layer (default), row, or none (-mg only)", 0, 0, 0},
    {F_MG, "-mg, --main-gpu", NULL, CLI_T_COUNT, "N", NULL, "the GPU for -sm none / row (0)", 0, 0,
     OG_LLAMA_MAX_DEVICES - 1},
    {F_CLUSTER, "--cluster", NULL, CLI_T_STR, "A,B,...", NULL,
     "plan the model over several machines (presets, snapshot files,\n"
     "'local'); the first runs llama-server, the others rpc-server",
     0, 0, 0},
    {F_CLUSTER_ENGINE, "--cluster-engine", NULL, CLI_T_CHOICE, "all|rpc|exo|mlx", "all rpc exo mlx",
     "with --cluster: llama.cpp RPC, exo, both (all), or MLX\n"
     "distributed (mlx.launch; also --engine mlx)",
     0, 0, 0},
};
static const cli_group model_group = {"Model", NULL, model_opts, 1, on_option};
static const cli_group place_group = {"llama.cpp --fit, several GPUs, offload", NULL, place_opts,
                                      sizeof place_opts / sizeof place_opts[0], on_option};
static const cli_group budget_group = {"Budget", NULL, budget_opts,
                                       sizeof budget_opts / sizeof budget_opts[0], on_option};
static const cli_group output_group = {"Output", NULL, output_opts, 1, on_option};

const cli_spec cli_spec_fit = {
    .name = "fit",
    .summary = "will this model fit? memory per component and device, largest context",
    .usage = "MODEL [options]",
    .description =
        "Will MODEL fit? Memory per component (weights, KV cache, recurrent state, compute,\n"
        "output) and device, the verdict against this machine's budget, the largest\n"
        "context that fits, and what to change when it does not fit.\n"
        "Follows " OG_LLAMA_CPP_VERSION ".\n"
        "\n"
        "MODEL  a .gguf file, an MLX or safetensors folder, a remote source (hf://ORG/REPO,\n"
        "       https://..., ollama://NAME) or a catalog name (qwen3-32b, llama3.1:8b)",
    .pos = CLI_POS_MODEL,
    .min_pos = 1,
    .max_pos = 1,
    .after = "Exit codes: 0 fits (or tight; --engine all / --machines: fits somewhere),\n"
             "1 does not fit, 2 bad input or usage (unknown catalog name: did you mean ...).",
    .groups = {&model_group, &cli_llama_group, &place_group, &cli_mlx_group, &budget_group,
               &output_group},
};

/* Was the context given as 0 ("-c 0": the full trained context, which
 * llama.cpp's --fit never lowers, common/arg.cpp)? */
static int cli_argv_has_ctx_zero(int argc, char **argv)
{
    static const char *const names[] = {"-c", "--ctx-size", "--ctx"};
    for (int i = 1; i < argc; i++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t l = strlen(names[k]);
            if (!strcmp(argv[i], names[k]) && i + 1 < argc && !strcmp(argv[i + 1], "0"))
                return 1;
            if (!strncmp(argv[i], names[k], l) && argv[i][l] == '=' &&
                !strcmp(argv[i] + l + 1, "0"))
                return 1;
        }
    return 0;
}

/* Returns 0, or an exit code (CLI_DONE after --help). */
static int parse(int argc, char **argv, fit_opts *o)
{
    cli_engine_opts e;
    cli_engine_opts_init(&e, "fit");
    void *ctx[] = {o, &e, o, &e, o, o};
    o->cpu_moe = -1;
    int npos = 0;
    int rc = cli_parse(&cli_spec_fit, argc, argv, ctx, &npos);
    if (rc)
        return rc;
    o->model = argv[1];
    if (!o->all_quants) { /* --all-quants lists the remote repository itself */
        o->model = cli_model_arg(o->model, !o->quant && e.engine == CLI_ENGINE_AUTO, &rc);
        if (!o->model)
            return rc;
    }
    o->eo = e;
    o->s = e.s;
    o->ms = e.ms;
    o->engine = e.engine;
    o->backend_set = (e.given & CLI_SET_BACKEND) != 0;
    o->ctx_set = (e.given & CLI_SET_CTX) != 0;
    o->mmproj = e.mmproj;
    o->draft = e.draft;
    o->given = e.given;
    /* -c 0: the full trained context, which --fit never lowers */
    o->ctx_zero = !o->ctx_set && cli_argv_has_ctx_zero(argc, argv);
    og_error err;
    for (uint32_t i = 0; i < o->n_ot; i++)
        if (og_llama_add_overrides(&o->s, o->ot[i], &err) != OG_OK)
            return cli_usage_error("fit", "%s", err.message);
    if (o->cpu_moe != -1 &&
        og_llama_add_cpu_moe(&o->s, o->cpu_moe == -2 ? -1 : o->cpu_moe, &err) != OG_OK)
        return cli_usage_error("fit", "%s", err.message);
    if (o->ts) {
        uint32_t k = 0;
        for (const char *p = o->ts; *p; k++) {
            char *end;
            float f = strtof(p, &end);
            if (end == p || (*end && *end != ',') || k >= OG_LLAMA_MAX_DEVICES || f < 0)
                return cli_usage_error("fit", "--tensor-split expects N0,N1,... got '%s'", o->ts);
            o->s.tensor_split[k] = f;
            p = *end ? end + 1 : end;
        }
    }
    o->s.split_mode = (og_split_mode)o->split_mode;
    o->s.main_gpu = o->main_gpu;
    return 0;
}

/* ---- the machine ---- */

static int fit_budget(fit_env *v)
{
    og_error err;
    og_error_clear(&err);
    if (v->o->machine) {
        if (og_machine_load(v->o->machine, v->mach, &err) != OG_OK)
            return cli_fail(&err);
        snprintf(v->src, sizeof v->src, "%s %s", v->mach->preset[0] ? "preset" : "snapshot",
                 v->o->machine);
    } else if (og_machine_probe(v->mach, &err) == OG_OK) {
        snprintf(v->src, sizeof v->src, "this machine, probed now");
    } else {
        snprintf(v->src, sizeof v->src, "probe failed: %.150s", err.message);
        v->mach = NULL;
    }
    if (v->o->have_mem)
        snprintf(v->src, sizeof v->src, "--mem %s", cli_bytes(v->o->mem));
    v->have_budget = v->o->have_mem || v->mach;
    memset(&v->budget, 0, sizeof v->budget);
    if (v->o->have_mem) {
        v->budget.unified = 1;
        v->budget.has_gpu = 1;
        v->budget.host_bytes = v->budget.gpu_bytes = v->budget.gpu_total_bytes = v->o->mem;
        snprintf(v->budget.basis, sizeof v->budget.basis, "--mem");
    } else if (v->mach) {
        og_machine_budget(v->mach, &v->budget);
    }
    return 0;
}

/* ---- one engine's answer, for the side-by-side view ---- */

/* ---- the command ---- */

static int pick_engine(fit_opts *o)
{
    if (o->engine != ENG_AUTO)
        return o->engine;
    og_catalog_build b;
    og_error e;
    if (o->quant && og_catalog_build_from_name(o->quant, &b, &e) == OG_OK &&
        og_catalog_build_is_mlx(b))
        return ENG_MLX;
    return ENG_AUTO; /* decided by the model's format */
}

int cmd_fit(int argc, char **argv)
{
    fit_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc < 0)
        return OG_EXIT_OK; /* --help */
    if (rc)
        return rc;
    if (o.machines && o.all_quants)
        return cli_usage_error("fit", "--machines and --all-quants do not go together");
    if (o.machines && o.engine == ENG_ALL)
        return cli_usage_error("fit",
                               "--machines plans one engine: pick --engine mlx or llama.cpp");
    if (o.all_quants && (o.engine == ENG_MLX || o.engine == ENG_ALL))
        return cli_usage_error("fit", "--all-quants lists GGUF quants: it plans llama.cpp only");

    fit_env v;
    memset(&v, 0, sizeof v);
    v.o = &o;
    v.mach = calloc(1, sizeof *v.mach);
    if (!v.mach)
        return OG_EXIT_INTERNAL;
    og_machine *mach_mem = v.mach;
    if ((rc = fit_budget(&v))) {
        free(mach_mem);
        return rc;
    }
    if (!o.backend_set)
        o.s.backend = og_decide_backend(v.mach);

    og_error err;
    og_error_clear(&err);
    og_model *m = NULL, *m2 = NULL, *mm = NULL, *dm = NULL;
    const og_catalog_entry *entry = NULL, *entry2 = NULL;
    json_t *j[2] = {NULL, NULL};
    int exit_code = OG_EXIT_OK;
    if (o.all_quants) {
        exit_code = fit_run_all_quants(&v);
        goto done;
    }
    int eng = pick_engine(&o);
    if (cli_model_resolve(o.model, o.quant, eng == ENG_MLX, eng == ENG_ALL, &m, &entry, &err) !=
        OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    if (eng == ENG_AUTO) /* the decision core's rule (og_decide_engine) */
        eng = og_decide_engine(m, NULL) == OG_ENGINE_MLX ? ENG_MLX : ENG_LLAMA;
    if (o.mmproj && cli_model_resolve(o.mmproj, NULL, 0, 0, &mm, NULL, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    if (o.draft && cli_model_resolve(o.draft, NULL, 0, 0, &dm, NULL, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    o.s.mmproj = mm;
    o.s.draft = dm;

    if (o.machines) {
        exit_code = fit_run_machines(&v, m, entry, eng == ENG_MLX);
        goto done;
    }
    if (o.cluster) {
        exit_code = fit_run_cluster(&v, m, entry, eng == ENG_MLX);
        goto done;
    }
    if (eng == ENG_MLX) {
        exit_code = fit_run_mlx(&v, m, entry, !o.json, o.json ? &j[0] : NULL, NULL);
        if (o.json && j[0]) {
            json_t *doc = j[0];
            j[0] = NULL; /* cli_print_json frees it */
            exit_code = cli_print_json(doc) ? OG_EXIT_INTERNAL : exit_code;
        }
        goto done;
    }
    if (eng != ENG_ALL) {
        exit_code = fit_run_llama(&v, m, entry, !o.json, o.json ? &j[0] : NULL, NULL);
        if (o.json && j[0]) {
            json_t *doc = j[0];
            j[0] = NULL; /* cli_print_json frees it */
            exit_code = cli_print_json(doc) ? OG_EXIT_INTERNAL : exit_code;
        }
        goto done;
    }

    /* --engine all: the same model through both engines at the same context.
     * A catalog name: its GGUF build and its MLX build at comparable bits; a
     * file: the MLX plan of the same model (planned as its 4-bit MLX build). */
    if (m->format == OG_FORMAT_MLX) {
        exit_code = cli_usage_error("fit", "--engine all: llama.cpp does not read MLX folders; "
                                           "use --engine mlx");
        goto done;
    }
    struct stat st;
    int catalog = m->format == OG_FORMAT_CATALOG && stat(o.model, &st) != 0;
    if (catalog && cli_model_resolve(o.model, o.quant, 1, 1, &m2, &entry2, &err) != OG_OK) {
        exit_code = cli_fail(&err);
        goto done;
    }
    summary sum[2];
    int rl = fit_run_llama(&v, m, entry, 0, o.json ? &j[0] : NULL, &sum[0]);
    if (rl > OG_EXIT_PROBLEM) {
        exit_code = rl;
        goto done;
    }
    if (!o.ctx_set) { /* the same context for both: the one llama.cpp would run */
        o.eo.s.n_ctx = (uint32_t)sum[0].ctx;
        o.eo.ms.ctx = sum[0].ctx;
        o.eo.given |= CLI_SET_CTX;
    }
    int rm = fit_run_mlx(&v, m2 ? m2 : m, m2 ? entry2 : entry, 0, o.json ? &j[1] : NULL, &sum[1]);
    if (rm > OG_EXIT_PROBLEM) {
        exit_code = rm;
        goto done;
    }
    const char *better = fit_better_of(&sum[0], &sum[1]);
    exit_code = (rl == OG_EXIT_OK || rm == OG_EXIT_OK) ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    if (o.json) {
        json_t *arr = json_array();
        json_array_append_new(arr, j[0]);
        json_array_append_new(arr, j[1]);
        j[0] = j[1] = NULL;
        json_t *root = json_pack("{s:s, s:I, s:o, s:s}", "model", o.model, "ctx",
                                 (json_int_t)sum[0].ctx, "engines", arr, "better", better);
        if (cli_print_json(root))
            exit_code = OG_EXIT_INTERNAL;
    } else {
        fit_print_side_by_side(&v, sum, 2, better);
    }
done:
    json_decref(j[0]);
    json_decref(j[1]);
    og_model_free(m);
    og_model_free(m2);
    og_model_free(mm);
    og_model_free(dm);
    free(mach_mem);
    return exit_code;
}
