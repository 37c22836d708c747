/* oomguard wired: the GPU wired-memory limit (macOS iogpu.wired_limit_mb) or
 * the AMD APU GTT budget (Linux ttm.pages_limit): show it, recommend a value,
 * set it, make it survive a reboot, reset it (include/oomguard/wired.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "doctor_plan.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: oomguard wired [--recommend [MODEL]] [--set MB|auto] [--persist] [--reset]\n"
            "                      [--dry-run] [--force] [--json] [--machine NAME|FILE]\n"
            "\n"
            "The GPU wired-memory limit of an Apple Silicon Mac (iogpu.wired_limit_mb): the\n"
            "current and effective limit and the recommended one. On Linux with an AMD APU, the\n"
            "GTT budget and the kernel parameters that change it; on NVIDIA or without a GPU\n"
            "there is nothing to set.\n"
            "\n"
            "Options:\n"
            "  --recommend [MODEL]  recommend for a model (its plan's need plus a margin; MODEL\n"
            "                       as for oomguard doctor), else about 75 %% of RAM\n"
            "  --set MB|auto        set the limit now (root; prints the sudo command otherwise);\n"
            "                       auto = the recommendation\n"
            "  --persist            keep it after reboot: a LaunchDaemon plus the key in\n"
            "                       /etc/sysctl.conf (value from --set, else the recommendation)\n"
            "  --reset              back to the macOS default (0) and remove the persistence\n"
            "  --dry-run            say what would change, change nothing\n"
            "  --force              allow a value that leaves macOS less than its floor\n"
            "  --machine NAME|FILE  a preset (m4-pro-48gb) or saved snapshot: show, recommend\n"
            "                       and --dry-run; --set refuses (not this Mac)\n"
            "  --json               machine-readable output\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit codes: 0 ok (or nothing to set), 1 not applied (needs root, refused as unsafe,\n"
            "not this machine), 2 bad input or usage, 3 internal error.\n");
}

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

int cmd_wired(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"machine", required_argument, NULL, 'm'},
                                         {"recommend", no_argument, NULL, 'r'},
                                         {"set", required_argument, NULL, 's'},
                                         {"persist", no_argument, NULL, 'p'},
                                         {"reset", no_argument, NULL, 'R'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"root", required_argument, NULL, 'o'}, /* hidden: tests */
                                         {"ctx", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int json = 0, recommend = 0, persist = 0, reset = 0, dry = 0, force = 0;
    const char *machine_arg = NULL, *set_arg = NULL, *root = NULL;
    doctor_model_opts mo = {0};
    og_error err;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'm':
            machine_arg = optarg;
            break;
        case 'r':
            recommend = 1;
            break;
        case 's':
            set_arg = optarg;
            break;
        case 'p':
            persist = 1;
            break;
        case 'R':
            reset = 1;
            break;
        case 'n':
            dry = 1;
            break;
        case 'f':
            force = 1;
            break;
        case 'o':
            root = optarg;
            break;
        case 'c': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || v < 16 || v > (1ull << 24))
                return cli_usage_error("wired", "--ctx: '%s' is not a context length", optarg);
            mo.ctx = v;
            break;
        }
        case 'h':
            usage(stdout);
            return OG_EXIT_OK;
        case ':':
            return cli_usage_error("wired", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("wired", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *model_arg = NULL;
    if (optind < argc) {
        if (!recommend)
            return cli_usage_error("wired", "unexpected '%s' (a MODEL goes after --recommend)",
                                   argv[optind]);
        model_arg = argv[optind++];
    }
    if (optind < argc)
        return cli_usage_error("wired", "unexpected '%s'", argv[optind]);
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
    doctor_model dm = {0};
    og_status st = machine_arg ? og_machine_load(machine_arg, m, &err) : og_machine_probe(m, &err);
    if (st != OG_OK) {
        fprintf(stderr, "oomguard: %s\n", err.message);
        rc = machine_arg ? OG_EXIT_USAGE : cli_exit_code(st);
        goto out;
    }
    int live = machine_arg == NULL;
    int apple = m->os == OG_OS_MACOS && m->apple_silicon;
    og_budget b;
    og_machine_budget(m, &b);

    uint64_t need = 0;
    if (model_arg) {
        og_doctor_plan plan;
        st = doctor_open_model(model_arg, m, &mo, &dm, &err);
        if (st == OG_OK)
            st = doctor_plan_for_model(&dm, m, &b, &mo, &plan, &err);
        if (st != OG_OK) {
            fprintf(stderr, "oomguard: %s\n", err.message);
            rc = st == OG_ERR_NOMEM ? OG_EXIT_INTERNAL : OG_EXIT_USAGE;
            goto out;
        }
        need = plan.gpu_need_bytes ? plan.gpu_need_bytes : plan.total_bytes;
    }
    int capped = 0;
    uint32_t rec = og_wired_recommend_mb(m->ram_bytes, need, &capped);
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
        uint64_t target = (uint64_t)(need ? rec : max_mb) * MIB;
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
            rc = cli_print_json(j);
            goto out;
        }
        if (!amd) {
            printf("Nothing to set: iogpu.wired_limit_mb exists only on Apple Silicon Macs%s.\n",
                   m->n_gpus && m->gpus[0].vendor == OG_GPU_NVIDIA
                       ? "; an NVIDIA GPU's VRAM is fixed (oomguard machine shows it)"
                       : "");
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
        printf("Recommended GTT: %s%s -> add to the kernel command line (GRUB_CMDLINE_LINUX in\n"
               "/etc/default/grub, then update-grub and reboot):\n"
               "  ttm.pages_limit=%llu amdttm.pages_limit=%llu\n"
               "(amdttm.* for the ROCm DKMS driver; amdgpu.gttsize is deprecated.)\n",
               cli_bytes(target),
               need ? " (the model's need plus a margin)" : " (RAM minus the floor)",
               (unsigned long long)pages, (unsigned long long)pages);
        rc = OG_EXIT_OK;
        goto out;
    }

    /* ---- Apple Silicon ---- */
    if (set_auto)
        set_mb = rec;
    uint32_t value = set_arg ? set_mb : rec;
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
            (json_int_t)rec, "recommend_capped", capped, "need_bytes", (json_int_t)need);
        if (set_arg || reset)
            json_object_set_new(j, "set_mb", json_integer(live_value));
        json_object_set_new(j, "applied", json_boolean(applied));
        json_object_set_new(j, "dry_run", json_boolean(dry));
        json_object_set_new(j, "command",
                            json_sprintf("sudo sysctl %s=%u", OG_WIRED_SYSCTL_KEY,
                                         set_arg || reset ? live_value : rec));
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
    printf("  effective GPU limit: %s (default %s)\n", cli_bytes(eff), cli_bytes(def));
    printf("  macOS floor: %u MiB kept outside the GPU; largest safe limit %u MiB\n", floor_mb,
           max_mb);
    printf("  %srecommended: %u MiB%s", B, rec, R);
    if (need)
        printf(" (%s needs %s on the GPU, plus a margin%s)", model_arg, cli_bytes(need),
               capped ? "; capped at the safe maximum: the model does not fit even then" : "");
    else
        printf(" (about 75 %% of RAM, leaving the floor)");
    printf("\n");
    if (applied)
        printf("Set %s=%u now.\n", OG_WIRED_SYSCTL_KEY, live_value);
    if (acted) {
        printf("%s:\n", reset ? "Persistence removed" : "Persistence (survives reboot)");
        print_actions(&acts, dry);
    }
    if (dry && (set_arg || reset))
        printf("Would run: sudo sysctl %s=%u [dry run]\n", OG_WIRED_SYSCTL_KEY, live_value);
    if (!set_arg && !persist && !reset)
        printf("Apply: sudo sysctl %s=%u   (keep after reboot: sudo oomguard wired --set %u "
               "--persist)\n",
               OG_WIRED_SYSCTL_KEY, rec, rec);
    rc = OG_EXIT_OK;
out:
    og_model_free(dm.model);
    free(m);
    return rc;
}
