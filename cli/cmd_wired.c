/* oomguard wired: the GPU wired-memory limit (macOS iogpu.wired_limit_mb) or
 * the AMD APU GTT budget (Linux ttm.pages_limit): show it, recommend a value,
 * set it, make it survive a reboot, reset it (include/oomguard/wired.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decide_cli.h"
#include "engine_opts.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)

enum { W_RECOMMEND, W_SET, W_PERSIST, W_RESET, W_DRY, W_FORCE, W_MACHINE, W_ROOT, W_QUANT, W_JSON };

typedef struct wired_opts {
    int json, recommend, persist, reset, dry, force;
    const char *machine, *set, *root, *quant;
} wired_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    wired_opts *o = ctx;
    (void)name;
    switch (id) {
    case W_RECOMMEND:
        o->recommend = 1;
        break;
    case W_SET:
        o->set = v->str;
        break;
    case W_PERSIST:
        o->persist = 1;
        break;
    case W_RESET:
        o->reset = 1;
        break;
    case W_DRY:
        o->dry = 1;
        break;
    case W_FORCE:
        o->force = 1;
        break;
    case W_MACHINE:
        o->machine = v->str;
        break;
    case W_ROOT:
        o->root = v->str;
        break;
    case W_QUANT:
        o->quant = v->str;
        break;
    case W_JSON:
        o->json = 1;
        break;
    }
    return 0;
}

static const cli_opt wired_opts_table[] = {
    {W_RECOMMEND, "--recommend", NULL, CLI_T_FLAG, NULL, NULL,
     "recommend for MODEL (its plan's need plus a margin; MODEL\n"
     "as for oomguard doctor, with the same engine settings),\n"
     "else about 75 % of RAM",
     0, 0, 0},
    {W_SET, "--set", NULL, CLI_T_STR, "MB|auto", "auto",
     "set the limit now (root; prints the sudo command otherwise);\n"
     "auto = the recommendation",
     0, 0, 0},
    {W_PERSIST, "--persist", NULL, CLI_T_FLAG, NULL, NULL,
     "keep it after reboot: a LaunchDaemon plus the key in\n"
     "/etc/sysctl.conf (value from --set, else the recommendation)",
     0, 0, 0},
    {W_RESET, "--reset", NULL, CLI_T_FLAG, NULL, NULL,
     "back to the macOS default (0) and remove the persistence", 0, 0, 0},
    {W_DRY, "--dry-run", NULL, CLI_T_FLAG, NULL, NULL, "say what would change, change nothing", 0,
     0, 0},
    {W_FORCE, "--force", NULL, CLI_T_FLAG, NULL, NULL,
     "allow a value that leaves macOS less than its floor", 0, 0, 0},
    {W_MACHINE, "--machine", NULL, CLI_T_MACHINE, "NAME|FILE", NULL,
     "a preset (m4-pro-48gb) or saved snapshot: show, recommend\n"
     "and --dry-run; --set refuses (not this Mac)",
     0, 0, 0},
    {W_QUANT, "--quant", NULL, CLI_T_STR, "BUILD", "Q4_K_M Q8_0 F16 mlx-4bit mlx-8bit mlx-bf16",
     "with --recommend MODEL: the catalog build (as for doctor)", 0, 0, 0},
    {W_ROOT, "--root", NULL, CLI_T_FILE, "DIR", NULL, "tests: a fake root", CLI_OPT_HIDDEN, 0, 0},
    {W_JSON, "--json", NULL, CLI_T_FLAG, NULL, NULL, "machine-readable output", 0, 0, 0},
};
static const cli_group wired_group = {
    NULL, NULL, wired_opts_table, sizeof wired_opts_table / sizeof wired_opts_table[0], on_option};

const cli_spec cli_spec_wired = {
    .name = "wired",
    .summary = "read, recommend, set and persist the GPU wired-memory limit (macOS)",
    .usage = "[--recommend [MODEL]] [--set MB|auto] [--persist] [--reset]\n"
             "[--dry-run] [--force] [--json] [--machine NAME|FILE]",
    .description =
        "The GPU wired-memory limit of an Apple Silicon Mac (iogpu.wired_limit_mb): the\n"
        "current and effective limit and the recommended one. On Linux with an AMD APU, the\n"
        "GTT budget and the kernel parameters that change it; on NVIDIA or without a GPU\n"
        "there is nothing to set.",
    .pos = CLI_POS_MODEL,
    .min_pos = 0,
    .max_pos = 1,
    .after = "Exit codes: 0 ok (or nothing to set), 1 not applied (needs root, refused as unsafe,\n"
             "not this machine), 2 bad input or usage, 3 internal error.",
    .groups = {&wired_group, &cli_llama_group, &cli_mlx_group},
};

static json_t *actions_json(const og_wired_actions *a)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; i < a->n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "path", a->a[i].path, "what",
                                             a->a[i].what, "backup", a->a[i].backup));
    return arr;
}

static void print_actions(const og_wired_actions *a, int dry)
{
    for (uint32_t i = 0; i < a->n; i++) {
        printf("  %s%-9s%s %s", cli_c(stdout, CLI_BOLD), a->a[i].what, cli_c(stdout, CLI_RESET),
               a->a[i].path);
        if (a->a[i].backup[0])
            printf(" (backup %s)", a->a[i].backup);
        printf("%s\n", dry ? " [dry run]" : "");
    }
}

/* Parse a limit in MiB: digits only, 0 ... 16 Mi. */
static int parse_mb(const char *s, uint32_t *mb)
{
    char *end;
    if (!*s || *s == '-')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > (16ull << 20))
        return 0;
    *mb = (uint32_t)v;
    return 1;
}

/* With --recommend MODEL: the model's verdict as doctor and fit give it (on
 * a discrete GPU there is no limit to set, but the verdict stands). */
static void model_verdict_json(json_t *j, const og_decision *d)
{
    json_object_set_new(j, "fits", json_boolean(d->fits));
    json_object_set_new(j, "verdict", json_string(og_fit_verdict_name(d->verdict)));
    json_object_set_new(j, "placement", cli_placement_json(d));
}

static void print_model_verdict(const char *model, const og_decision *d)
{
    char line[512];
    cli_placement_line(d, line, sizeof line);
    printf("%s: %s%s%s%s (oomguard doctor %s)\n", model, og_fit_verdict_name(d->verdict),
           d->placement.placed && d->fits ? ", partly offloaded" : "", line[0] ? ": " : "", line,
           model);
}

int cmd_wired(int argc, char **argv)
{
    wired_opts wo = {0};
    cli_engine_opts e;
    cli_engine_opts_init(&e, "wired");
    void *ctx[] = {&wo, &e, &e};
    int npos = 0;
    int prc = cli_parse(&cli_spec_wired, argc, argv, ctx, &npos);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    int json = wo.json, recommend = wo.recommend, persist = wo.persist, reset = wo.reset;
    int dry = wo.dry, force = wo.force;
    const char *machine_arg = wo.machine, *set_arg = wo.set, *root = wo.root;
    og_decide_settings settings;
    og_error err;
    prc = cli_decide_settings(&e, "wired", 0, &settings);
    if (prc)
        return prc;
    const char *model_arg = NULL;
    if (npos) {
        if (!recommend)
            return cli_usage_error("wired", "unexpected '%s' (a MODEL goes after --recommend)",
                                   argv[1]);
        model_arg = cli_model_arg(argv[1], !wo.quant && settings.engine == OG_ENGINE_AUTO, &prc);
        if (!model_arg)
            return prc;
    }
    if (!model_arg && (wo.quant || cli_engine_any_given(&e)))
        return cli_usage_error("wired", "--quant and the engine settings (-c, -ngl, --engine "
                                        "...) need --recommend MODEL");
    if (reset && (set_arg || persist))
        return cli_usage_error("wired", "--reset cannot be combined with --set or --persist");
    uint32_t set_mb = 0;
    int set_auto = set_arg && !strcmp(set_arg, "auto");
    if (set_arg && !set_auto && !parse_mb(set_arg, &set_mb))
        return cli_usage_error("wired", "--set: '%s': expected MiB (e.g. 24576) or auto", set_arg);

    og_machine *m = calloc(1, sizeof *m);
    if (!m)
        return OG_EXIT_INTERNAL;
    int rc = OG_EXIT_INTERNAL;
    og_model *model = NULL;
    og_decision *d = NULL;
    og_status st = machine_arg ? og_machine_load(machine_arg, m, &err) : og_machine_probe(m, &err);
    if (st != OG_OK) {
        fprintf(stderr, "oomguard: %s\n", err.message);
        rc = machine_arg ? OG_EXIT_USAGE : cli_exit_code(st);
        goto out;
    }
    int live = machine_arg == NULL;
    int apple = m->os == OG_OS_MACOS && m->apple_silicon;
    /* The recommendation is the decision core's (include/oomguard/decide.h):
     * with MODEL, the smallest limit at which its plan fits, never below the
     * current limit or the default, never above the safe maximum; without,
     * about 75 % of RAM. rec = 0: nothing to apply. */
    og_limit_advice lim;
    uint64_t need = 0;
    if (model_arg) {
        const og_catalog_entry *entry = NULL;
        int want_mlx = settings.engine == OG_ENGINE_MLX ||
                       (settings.engine == OG_ENGINE_AUTO && cli_quant_is_mlx(wo.quant));
        st = cli_model_resolve(model_arg, wo.quant, want_mlx, 0, &model, &entry, &err);
        d = st == OG_OK ? calloc(1, sizeof *d) : NULL;
        if (st == OG_OK && !d)
            goto out;
        if (st == OG_OK) {
            og_decide_input in = {0};
            in.model = model;
            in.entry = entry;
            in.machine = m;
            in.settings = settings;
            /* alternatives on: when the limit cannot help, the fix printed is
             * the doctor's (a build or model that fits), not a generic one */
            st = og_decide(&in, d, &err);
        }
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = st == OG_ERR_NOMEM ? OG_EXIT_INTERNAL : OG_EXIT_USAGE;
            goto out;
        }
        need = d->plan.gpu_need_bytes;
        lim = d->limit;
    } else {
        og_decide_limit(m, &lim);
    }
    int capped = d && !d->fits && !d->fits_at_capacity;
    uint32_t rec = lim.set_mb;
    /* what --set auto / --persist write when nothing is to change: the current limit */
    uint32_t rec_or_cur = rec ? rec : (uint32_t)(lim.current_bytes / MIB);
    uint32_t floor_mb = og_wired_floor_mb(m->ram_bytes),
             max_mb = og_wired_max_safe_mb(m->ram_bytes);
    uint64_t def = og_default_wired_limit_bytes(m->ram_bytes, m->macos_major);
    uint64_t eff = og_effective_wired_limit_bytes(m->ram_bytes, m->wired_limit_mb, m->macos_major);
    const og_gpu *amd = NULL;
    for (uint32_t i = 0; i < m->n_gpus; i++)
        if (m->gpus[i].vendor == OG_GPU_AMD && m->gpus[i].unified)
            amd = &m->gpus[i];

    /* ---- not a Mac: the AMD APU's GTT, or nothing to set ---- */
    if (!apple) {
        if (set_arg || persist || reset) {
            fprintf(
                stderr,
                "oomguard: iogpu.wired_limit_mb exists only on Apple Silicon Macs; %s is %s%s\n",
                live ? "this machine" : machine_arg, og_os_name(m->os),
                amd ? " with an AMD APU: its GTT pool is set with kernel parameters (see "
                      "oomguard wired)"
                    : "");
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
        og_gtt_params gp = {-1, -1, -1};
        int cmdline_known = 0;
        if (live && amd) {
            FILE *f = fopen("/proc/cmdline", "r");
            char line[4096];
            if (f && fgets(line, sizeof line, f)) {
                og_gtt_parse_cmdline(line, &gp);
                cmdline_known = 1;
            }
            if (f)
                fclose(f);
        }
        uint64_t target = rec ? (uint64_t)rec * MIB : lim.current_bytes;
        uint64_t pages = og_gtt_pages_for_bytes(target);
        if (json) {
            json_t *j = json_pack("{s:s, s:b, s:I}", "os", og_os_name(m->os), "applicable", 0,
                                  "ram_bytes", (json_int_t)m->ram_bytes);
            if (amd) {
                json_object_set_new(j, "gtt",
                                    json_pack("{s:I, s:I, s:I, s:I, s:I}", "total_bytes",
                                              (json_int_t)amd->gtt_total_bytes, "used_bytes",
                                              (json_int_t)amd->gtt_used_bytes, "ttm_pages_limit",
                                              (json_int_t)m->ttm_pages_limit, "recommended_bytes",
                                              (json_int_t)target, "recommended_pages_limit",
                                              (json_int_t)pages));
                if (cmdline_known)
                    json_object_set_new(
                        json_object_get(j, "gtt"), "cmdline",
                        json_pack("{s:I, s:I, s:I}", "ttm.pages_limit",
                                  (json_int_t)gp.ttm_pages_limit, "amdttm.pages_limit",
                                  (json_int_t)gp.amdttm_pages_limit, "amdgpu.gttsize",
                                  (json_int_t)gp.amdgpu_gttsize_mb));
            }
            json_object_set_new(j, "message",
                                json_string(amd ? "AMD APU: the GPU pool is GTT"
                                                : "nothing to set: no macOS wired limit here"));
            if (d) /* --recommend MODEL: the decision every command presents */
                model_verdict_json(j, d);
            rc = cli_print_json(j);
            goto out;
        }
        if (!amd) {
            printf("Nothing to set: iogpu.wired_limit_mb exists only on Apple Silicon Macs%s.\n",
                   m->n_gpus && m->gpus[0].vendor == OG_GPU_NVIDIA
                       ? "; an NVIDIA GPU's VRAM is fixed (oomguard machine shows it)"
                       : "");
            if (d)
                print_model_verdict(model_arg, d);
            rc = OG_EXIT_OK;
            goto out;
        }
        printf("AMD APU %s: the GPU pool is GTT, %s (used %s) of %s RAM\n", amd->name,
               cli_bytes(amd->gtt_total_bytes), cli_bytes(amd->gtt_used_bytes),
               cli_bytes(m->ram_bytes));
        if (m->ttm_pages_limit)
            printf("  ttm pages_limit now: %llu pages (%s)\n",
                   (unsigned long long)m->ttm_pages_limit, cli_bytes(m->ttm_pages_limit * 4096));
        if (cmdline_known)
            printf("  kernel command line: ttm.pages_limit=%lld amdttm.pages_limit=%lld "
                   "amdgpu.gttsize=%lld (-1 = not set)\n",
                   (long long)gp.ttm_pages_limit, (long long)gp.amdttm_pages_limit,
                   (long long)gp.amdgpu_gttsize_mb);
        if (!rec) {
            printf("Nothing to apply: GTT %s is enough%s%s%s.\n", cli_bytes(lim.current_bytes),
                   need ? " for " : "", need ? model_arg : "",
                   capped ? " (the model does not fit even at the safe maximum)" : "");
        } else {
            printf("Recommended GTT: %u MiB%s -> add to the kernel command line "
                   "(GRUB_CMDLINE_LINUX in\n"
                   "/etc/default/grub, then update-grub and reboot):\n"
                   "  ttm.pages_limit=%llu amdttm.pages_limit=%llu\n"
                   "(amdttm.* for the ROCm DKMS driver; amdgpu.gttsize=%u on kernels that still "
                   "read it.)\n",
                   rec,
                   need ? " (the smallest at which the model's plan fits)"
                        : " (RAM minus the floor)",
                   (unsigned long long)pages, (unsigned long long)pages, rec);
        }
        rc = OG_EXIT_OK;
        goto out;
    }

    /* ---- Apple Silicon ---- */
    if (set_auto)
        set_mb = rec_or_cur;
    uint32_t value = set_arg ? set_mb : rec_or_cur;
    if ((set_arg || persist) && !reset) {
        st = og_wired_check(m->ram_bytes, value, force, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: refused: %s\n", err.message);
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
    }
    og_wired_actions acts = {0};
    int acted = 0;
    char empty_root[64] = "";
    if (persist || reset) {
        const char *r = root ? root : "/";
        if (!root && !live && dry) {
            /* Another machine: show what a Mac without earlier oomguard
             * settings would get, not what this machine's files hold. */
            snprintf(empty_root, sizeof empty_root, "/tmp/oomguard-wired-XXXXXX");
            if (!mkdtemp(empty_root)) {
                fprintf(stderr, "oomguard: cannot create a scratch folder: %s\n", strerror(errno));
                rc = OG_EXIT_INTERNAL;
                goto out;
            }
            r = empty_root;
            printf("(%s is not this machine: the files as a Mac without earlier oomguard "
                   "settings would get them)\n",
                   machine_arg);
        } else if (!root && !live) {
            fprintf(stderr,
                    "oomguard: refused: %s is not this machine; persistence edits this "
                    "machine's files\n",
                    machine_arg);
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
        if (!root && !empty_root[0] && !dry && geteuid() != 0) {
            fprintf(stderr, "oomguard: editing %s and %s needs root:\n  sudo oomguard wired %s\n",
                    OG_WIRED_PLIST_PATH, OG_WIRED_SYSCTL_CONF,
                    reset ? "--reset" : "--set N --persist");
            if (!reset)
                fprintf(stderr, "  (N = %u)\n", value);
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
        st = reset ? og_wired_unpersist(r, dry, &acts, &err)
                   : og_wired_persist(r, value, dry, &acts, &err);
        if (empty_root[0]) {
            rmdir(empty_root);
            size_t l = strlen(empty_root);
            for (uint32_t i = 0; i < acts.n; i++)
                if (strncmp(acts.a[i].path, empty_root, l) == 0)
                    memmove(acts.a[i].path, acts.a[i].path + l, strlen(acts.a[i].path + l) + 1);
        }
        if (st != OG_OK) {
            rc = cli_fail(&err);
            goto out;
        }
        acted = 1;
    }
    /* the live sysctl: only on this Mac, only with --set / --reset */
    int live_needed = (set_arg || reset) && !dry && !root;
    uint32_t live_value = reset ? 0 : value;
    int applied = 0;
    if (live_needed) {
        if (!live) {
            fprintf(stderr,
                    "oomguard: cannot set: --machine %s is not this Mac. On that Mac run:\n"
                    "  sudo sysctl %s=%u\n",
                    machine_arg, OG_WIRED_SYSCTL_KEY, live_value);
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
        int need_root = 0;
        st = og_wired_apply(live_value, &need_root, &err);
        if (st != OG_OK) {
            if (need_root || geteuid() != 0)
                fprintf(stderr, "oomguard: setting %s needs root. Run:\n  sudo sysctl %s=%u\n",
                        OG_WIRED_SYSCTL_KEY, OG_WIRED_SYSCTL_KEY, live_value);
            else
                fprintf(stderr, "oomguard: %s\n", err.message);
            rc = OG_EXIT_PROBLEM;
            goto out;
        }
        applied = 1;
    }

    if (json) {
        json_t *j = json_pack(
            "{s:s, s:b, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:b, s:I}", "os", "macos", "applicable",
            1, "ram_bytes", (json_int_t)m->ram_bytes, "current_mb",
            m->wired_limit_known ? json_integer(m->wired_limit_mb) : json_null(), "default_mb",
            (json_int_t)(def / MIB), "effective_mb", (json_int_t)(eff / MIB), "floor_mb",
            (json_int_t)floor_mb, "max_safe_mb", (json_int_t)max_mb, "recommended_mb",
            (json_int_t)rec_or_cur, "recommend_capped", capped, "need_bytes", (json_int_t)need);
        json_object_set_new(j, "apply", json_boolean(rec != 0));
        json_object_set_new(j, "fits", d ? json_boolean(d->fits) : json_null());
        if (d)
            model_verdict_json(j, d);
        if (set_arg || reset)
            json_object_set_new(j, "set_mb", json_integer(live_value));
        json_object_set_new(j, "applied", json_boolean(applied));
        json_object_set_new(j, "dry_run", json_boolean(dry));
        json_object_set_new(j, "command",
                            json_sprintf("sudo sysctl %s=%u", OG_WIRED_SYSCTL_KEY,
                                         set_arg || reset ? live_value : rec_or_cur));
        json_object_set_new(j, "actions", acted ? actions_json(&acts) : json_array());
        rc = cli_print_json(j);
        goto out;
    }
    const char *B = cli_c(stdout, CLI_BOLD), *R = cli_c(stdout, CLI_RESET);
    printf("%s%s%s, %s RAM%s\n", B, m->chip[0] ? m->chip : "Apple Silicon Mac", R,
           cli_bytes(m->ram_bytes), live ? "" : " (not this machine)");
    if (m->wired_limit_known)
        printf("  %s = %u%s\n", OG_WIRED_SYSCTL_KEY, m->wired_limit_mb,
               m->wired_limit_mb ? "" : " (the macOS default)");
    else
        printf("  %s: unknown (could not be read)\n", OG_WIRED_SYSCTL_KEY);
    if (lim.above_safe)
        printf("  effective GPU limit: %u MiB set, above the largest safe limit: the GPU may wire "
               "memory macOS needs and the Mac can freeze (the plan counts %u MiB)\n",
               m->wired_limit_mb, max_mb);
    else
        printf("  effective GPU limit: %s (default %s)\n", cli_bytes(eff), cli_bytes(def));
    printf("  macOS floor: %u MiB kept outside the GPU; largest safe limit %u MiB\n", floor_mb,
           max_mb);
    if (rec) {
        printf("  %srecommended: %u MiB%s", B, rec, R);
        if (need)
            printf(" (%s needs %s on the GPU: %s)", model_arg, cli_bytes(need),
                   d->fits ? "it fits now; this lowers a risky limit"
                           : "does not fit at the current limit; fits after this");
        else
            printf(" (about 75 %% of RAM, leaving the floor)");
        printf("\n");
    } else if (d && capped) {
        printf("  %snothing to apply:%s %s needs %s on the GPU and does not fit even at the "
               "largest safe limit (%u MiB). %s\n",
               B, R, model_arg, cli_bytes(need), max_mb,
               d->report.headline >= 0 ? d->report.checks[d->report.headline].fix : "");
    } else if (d && !d->fits) {
        printf("  %snothing to apply:%s the limit is not what keeps %s (%s) from fitting; see "
               "oomguard doctor\n",
               B, R, model_arg, cli_bytes(need));
    } else {
        printf("  %snothing to apply:%s the current limit (%u MiB) is enough%s%s%s%s\n", B, R,
               (unsigned)(eff / MIB), need ? " for " : "", need ? model_arg : "",
               need ? ", which needs " : "", need ? cli_bytes(need) : "");
    }
    if (applied)
        printf("Set %s=%u now.\n", OG_WIRED_SYSCTL_KEY, live_value);
    if (acted) {
        printf("%s:\n", reset ? "Persistence removed" : "Persistence (survives reboot)");
        print_actions(&acts, dry);
    }
    if (dry && (set_arg || reset))
        printf("Would run: sudo sysctl %s=%u [dry run]\n", OG_WIRED_SYSCTL_KEY, live_value);
    if (!set_arg && !persist && !reset && rec)
        printf("Apply: sudo sysctl %s=%u   (keep after reboot: sudo oomguard wired --set %u "
               "--persist)\n",
               OG_WIRED_SYSCTL_KEY, rec, rec);
    rc = OG_EXIT_OK;
out:
    free(d);
    og_model_free(model);
    free(m);
    return rc;
}
