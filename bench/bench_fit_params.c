/* bench_fit_params: og_llama_fit_params() driven with llama-fit-params'
 * own arguments, for bench/fitparams/compare.py (which compares it with
 * llama-fit-params runs recorded on an H100 and on loopback rpc-servers).
 *
 *   bench_fit_params MODEL.gguf --free MiB[,MiB...] [--backend cuda|cpu]
 *       [--host-total MiB] [llama-fit-params arguments: -c -np -kvu -fa -ctk -ctv -b -ub
 *        -fitt/--fit-target -fitc/--fit-ctx --fit on|off -ngl -ot --cpu-moe --n-cpu-moe
 *        -ts -sm -mg --fit-print on]
 *
 * Prints the line llama-fit-params prints on stdout (or "FAILED: reason"),
 * then one line per device "NAME model context compute" in MiB rounded
 * down (as --fit-print prints it) for the fitted settings, then "Host ...".
 * Exit 0, 1 when llama.cpp would give up, 2 on bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/llama.h"
#include "oomguard/model.h"

#define MIB (1024ull * 1024)

static int split_u64(const char *v, uint64_t *out, int max)
{
    int n = 0;
    const char *p = v;
    while (*p && n < max) {
        char *end;
        out[n++] = strtoull(p, &end, 10);
        if (end == p)
            return -1;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

static int cache_type(const char *v)
{
    static const struct {
        const char *n;
        int t;
    } ts[] = {{"f32", 0},  {"f16", 1},  {"q4_0", 2},  {"q4_1", 3},   {"q5_0", 6},
              {"q5_1", 7}, {"q8_0", 8}, {"bf16", 30}, {"iq4_nl", 20}};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        if (!strcmp(v, ts[i].n))
            return ts[i].t;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_fit_params MODEL.gguf --free MiB[,MiB] [args]\n");
        return 2;
    }
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.backend = OG_BACKEND_CUDA;
    s.n_gpu_layers = OG_NGL_AUTO;
    og_fitp_input in;
    memset(&in, 0, sizeof in);
    int print_only = 0;
    og_error err;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : "";
#define IS(x) (!strcmp(a, x))
        if (IS("-kvu") || IS("--kv-unified")) {
            s.kv_unified = 1;
            continue;
        }
        if (IS("--cpu-moe") || IS("-cmoe")) {
            if (og_llama_add_cpu_moe(&s, -1, &err) != OG_OK)
                goto bad;
            continue;
        }
        i++;
        if (IS("--free")) {
            uint64_t f[OG_LLAMA_MAX_DEVICES];
            int n = split_u64(v, f, OG_LLAMA_MAX_DEVICES);
            if (n < 0)
                return 2;
            in.n_devices = (uint32_t)n;
            for (int k = 0; k < n; k++)
                in.free_bytes[k] = f[k] * MIB;
        } else if (IS("--host-total")) {
            in.host_total_bytes = strtoull(v, NULL, 10) * MIB;
        } else if (IS("--backend")) {
            if (og_backend_from_name(v, &s.backend, &err) != OG_OK)
                goto bad;
        } else if (IS("-c") || IS("--ctx-size")) {
            s.n_ctx = (uint32_t)strtoul(v, NULL, 10);
            if (!s.n_ctx)
                in.ctx_full = 1;
        } else if (IS("-np") || IS("--parallel")) {
            s.n_parallel = (uint32_t)strtoul(v, NULL, 10);
        } else if (IS("-b") || IS("--batch-size")) {
            s.n_batch = (uint32_t)strtoul(v, NULL, 10);
        } else if (IS("-ub") || IS("--ubatch-size")) {
            s.n_ubatch = (uint32_t)strtoul(v, NULL, 10);
        } else if (IS("-fa") || IS("--flash-attn")) {
            s.flash_attn = !strcmp(v, "on") ? OG_FA_ON : !strcmp(v, "off") ? OG_FA_OFF : OG_FA_AUTO;
        } else if (IS("-ctk") || IS("--cache-type-k")) {
            s.type_k = cache_type(v);
        } else if (IS("-ctv") || IS("--cache-type-v")) {
            s.type_v = cache_type(v);
        } else if (IS("-fitt") || IS("--fit-target")) {
            uint64_t t[OG_LLAMA_MAX_DEVICES];
            int n = split_u64(v, t, OG_LLAMA_MAX_DEVICES);
            if (n < 1)
                return 2;
            for (int k = 0; k < OG_LLAMA_MAX_DEVICES; k++) /* one value: broadcast */
                in.target_bytes[k] = (n == 1 ? t[0] : k < n ? t[k] : 1024) * MIB;
        } else if (IS("-fitc") || IS("--fit-ctx")) {
            in.n_ctx_min = (uint32_t)strtoul(v, NULL, 10);
        } else if (IS("-fit") || IS("--fit")) {
            in.off = !strcmp(v, "off");
        } else if (IS("--fit-print")) {
            print_only = !strcmp(v, "on");
        } else if (IS("-ngl") || IS("--gpu-layers") || IS("--n-gpu-layers")) {
            s.n_gpu_layers = !strcmp(v, "auto")  ? OG_NGL_AUTO
                             : !strcmp(v, "all") ? OG_NGL_ALL
                                                 : (int32_t)strtol(v, NULL, 10);
        } else if (IS("-ot") || IS("--override-tensor")) {
            if (og_llama_add_overrides(&s, v, &err) != OG_OK)
                goto bad;
        } else if (IS("--n-cpu-moe") || IS("-ncmoe")) {
            if (og_llama_add_cpu_moe(&s, (int32_t)strtol(v, NULL, 10), &err) != OG_OK)
                goto bad;
        } else if (IS("-ts") || IS("--tensor-split")) {
            int k = 0;
            for (const char *p = v; *p && k < OG_LLAMA_MAX_DEVICES; k++) {
                char *end;
                s.tensor_split[k] = strtof(p, &end);
                p = *end ? end + 1 : end;
            }
        } else if (IS("-sm") || IS("--split-mode")) {
            s.split_mode = !strcmp(v, "none")  ? OG_SPLIT_NONE
                           : !strcmp(v, "row") ? OG_SPLIT_ROW
                                               : OG_SPLIT_LAYER;
        } else if (IS("-mg") || IS("--main-gpu")) {
            s.main_gpu = (int32_t)strtol(v, NULL, 10);
        } else {
            fprintf(stderr, "bench_fit_params: unknown argument '%s'\n", a);
            return 2;
        }
#undef IS
    }
    og_model *m = NULL;
    if (og_model_open(argv[1], &m, &err) != OG_OK)
        goto bad;
    static og_fitp_result r;
    if (print_only) {
        in.off = 1;
        if (!s.n_ctx)
            s.n_ctx = 0;
    }
    if (og_llama_fit_params(m, &s, &in, &r, &err) != OG_OK) {
        og_model_free(m);
        goto bad;
    }
    int rc = 0;
    if (r.status == OG_FITP_GAVE_UP) {
        printf("FAILED: %s\n", r.reason);
        rc = 1;
    } else
        printf("%s\n", r.args);
    og_llama_memplan p;
    og_llama_settings t = r.settings;
    t.use_mmap = 0;
    if (og_llama_plan(m, &t, &p, &err) == OG_OK) {
        for (uint32_t d = 0; d < p.n_devices; d++)
            printf("DEV%u %llu %llu %llu\n", d, (unsigned long long)(p.dev_model[d] / MIB),
                   (unsigned long long)(p.dev_context[d] / MIB),
                   (unsigned long long)(p.dev_compute[d] / MIB));
        uint64_t hm = p.bytes[OG_COMP_WEIGHTS][OG_POOL_HOST] +
                      p.bytes[OG_COMP_WEIGHTS][OG_POOL_CPU_REPACK] +
                      p.bytes[OG_COMP_WEIGHTS][OG_POOL_HOST_MAPPED];
        uint64_t hc = p.bytes[OG_COMP_KV][OG_POOL_HOST] + p.bytes[OG_COMP_RS][OG_POOL_HOST];
        printf("Host %llu %llu %llu\n", (unsigned long long)(hm / MIB),
               (unsigned long long)(hc / MIB),
               (unsigned long long)(p.bytes[OG_COMP_COMPUTE][OG_POOL_HOST] / MIB));
    }
    for (uint32_t k = 0; k < r.n_steps; k++)
        fprintf(stderr, "  %s\n", r.steps[k]);
    fprintf(stderr, "  (%u trial placements)\n", r.n_trials);
    og_model_free(m);
    return rc;
bad:
    fprintf(stderr, "bench_fit_params: %s\n", err.message);
    return 2;
}
