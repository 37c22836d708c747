/* mlx_bench: estimate vs public mlx-lm "Peak memory" measurements.
 *
 * Usage: mlx_bench [bench/mlx_measurements.csv]
 * Prints a Markdown table (bench/results/mlx.md is this output) and the
 * median absolute error on peak, overall and for the rows measured with
 * the mlx-lm code this model follows (recent = 1).
 *
 * Each model is built from its config.json values (the shape column) as a
 * config-only og_model, so the weights are what mlx_lm.convert -q would
 * write from those shapes (the mlx-community builds measured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "oomguard/mlx.h"

#define MAXF 16

static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static uint64_t kv(const char *shape, const char *key)
{
    size_t k = strlen(key);
    const char *p = shape;
    while (p && *p) {
        if (strncmp(p, key, k) == 0 && p[k] == '=')
            return strtoull(p + k + 1, NULL, 10);
        p = strchr(p, ';');
        if (p)
            p++;
    }
    return 0;
}

static void arch_of(const char *shape, char *out, size_t n)
{
    const char *p = strstr(shape, "arch=");
    out[0] = '\0';
    if (!p)
        return;
    p += 5;
    size_t i = 0;
    while (p[i] && p[i] != ';' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

static og_model *model_from_shape(const char *name, const char *shape)
{
    og_model *m = og_model_new(OG_FORMAT_HF_CONFIG, name);
    if (!m)
        return NULL;
    og_hparams *hp = &m->hp;
    arch_of(shape, hp->arch, sizeof hp->arch);
    uint32_t L = (uint32_t)kv(shape, "L");
    if (L > OG_MAX_LAYERS)
        L = OG_MAX_LAYERS;
    hp->n_layer = hp->n_layer_all = L;
    hp->n_embd = kv(shape, "E");
    hp->n_vocab = kv(shape, "V");
    hp->tied_embeddings = (int)kv(shape, "tied");
    uint32_t H = (uint32_t)kv(shape, "H"), KV = (uint32_t)kv(shape, "KV");
    uint32_t hd = (uint32_t)kv(shape, "hd");
    uint64_t F = kv(shape, "F");
    uint32_t dense = (uint32_t)kv(shape, "dense");
    uint32_t full_every = (uint32_t)kv(shape, "full_every");
    hp->n_expert = (uint32_t)kv(shape, "nexp");
    hp->n_expert_used = (uint32_t)kv(shape, "nused");
    hp->n_ff_exp = kv(shape, "fexp");
    hp->n_ff_shexp = kv(shape, "fsh");
    hp->n_expert_shared = (uint32_t)kv(shape, "nsh");
    hp->n_leading_dense = dense;
    hp->head_dim_k = hp->head_dim_v = hd;
    hp->ssm_d_inner = (uint32_t)kv(shape, "di");
    hp->ssm_d_state = (uint32_t)kv(shape, "ds");
    hp->ssm_n_group = (uint32_t)kv(shape, "ng");
    hp->ssm_d_conv = (uint32_t)kv(shape, "dconv");
    hp->ssm_dt_rank = (uint32_t)kv(shape, "nvh");
    hp->kv_lora_rank = (uint32_t)kv(shape, "kv_lora");
    hp->q_lora_rank = (uint32_t)kv(shape, "q_lora");
    hp->n_rot = (uint32_t)kv(shape, "rope");
    hp->head_dim_k_mla = (uint32_t)kv(shape, "hk_mla");
    hp->head_dim_v_mla = (uint32_t)kv(shape, "hv_mla");
    hp->is_mla = hp->kv_lora_rank > 0;
    hp->causal = 1;
    for (uint32_t i = 0; i < L; i++) {
        hp->n_head[i] = H;
        hp->n_head_kv[i] = KV;
        hp->is_moe[i] = hp->n_expert && i >= dense;
        hp->n_ff[i] = hp->is_moe[i] ? 0 : F;
        hp->is_recurrent[i] = full_every && (i + 1) % full_every != 0;
    }
    snprintf(m->dtype, sizeof m->dtype, "bfloat16");
    return m;
}

/* MLX's command-buffer limits for the measured GPU
 * (mlx/backend/metal/device.cpp Device::Device): 40 ops / 40 Mi elements on
 * base and Pro GPUs, 50 / 50 on Max and Ultra; an unnamed GPU gets the
 * larger (the library's default). */
static uint32_t cb_limit(const char *machine)
{
    if (strstr(machine, "Max") || strstr(machine, "Ultra"))
        return 50;
    if (strstr(machine, " Pro"))
        return 40;
    for (const char *p = machine; p[0] && p[1] && p[2]; p++)
        if (p[0] == 'M' && p[1] >= '1' && p[1] <= '9' && p[2] == ' ' &&
            (p == machine || p[-1] == ' '))
            return 40; /* "M4 16GB": a base chip */
    return 50;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench/mlx_measurements.csv";
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mlx_bench: cannot open %s\n", path);
        return 2;
    }
    char line[4096];
    double all[256], recent[256];
    double worst = 0, lo = 0, hi = 0;
    int n_all = 0, n_recent = 0, header = 0, n_low = 0;
    printf("| id | model | prompt | gen | step | KV cache | GPU cb | measured GB | estimate GB | "
           "error | "
           "weights | KV | compute |\n"
           "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!header) {
            header = 1;
            continue;
        }
        char *c[MAXF];
        int nf = split(line, c, MAXF);
        if (nf < 14)
            continue;
        og_model *m = model_from_shape(c[1], c[13]);
        if (!m)
            return 3;
        og_mlx_settings s;
        og_mlx_settings_default(&s);
        uint64_t prompt = strtoull(c[7], NULL, 10), gen = strtoull(c[8], NULL, 10);
        s.prompt_tokens = prompt;
        s.ctx = prompt + gen;
        s.prefill_step_size = (uint32_t)strtoul(c[9], NULL, 10);
        s.q_bits = (uint32_t)strtoul(c[10], NULL, 10);
        s.q_group_size = (uint32_t)strtoul(c[11], NULL, 10);
        s.metal_cb_max_ops = s.metal_cb_max_mb = cb_limit(c[3]);
        if (nf > 14 && c[14][0]) {
            /* optional 15th column: the cache settings of the run (mlx-lm's
             * --kv-bits / --kv-group-size / --quantized-kv-start) */
            s.kv_bits = (uint32_t)kv(c[14], "kv_bits");
            if (kv(c[14], "kv_group"))
                s.kv_group_size = (uint32_t)kv(c[14], "kv_group");
            s.quantized_kv_start = kv(c[14], "kv_start");
        }
        double meas = strtod(c[12], NULL);
        og_mlx_plan_result r;
        og_error e;
        if (og_mlx_plan(m, &s, &r, &e) != OG_OK) {
            printf("| %s | %s | plan failed: %s |\n", c[0], c[1], e.message);
            og_model_free(m);
            continue;
        }
        double est = (double)r.peak_bytes / 1e9;
        double err = (est - meas) / meas * 100.0;
        printf(
            "| %s | %s | %s | %s | %s | %s | %u | %.3f | %.3f | %+.1f %% | %.2f | %.2f | %.2f |\n",
            c[0], c[1], c[7], c[8], c[9], s.kv_bits ? c[14] : "f16", s.metal_cb_max_mb, meas, est,
            err, (double)r.weights_bytes / 1e9, (double)r.kv_at_peak_bytes / 1e9,
            (double)r.compute_bytes / 1e9);
        double a = err < 0 ? -err : err;
        all[n_all++] = a;
        if (atoi(c[6]) == 1) {
            recent[n_recent++] = a;
            if (a > worst)
                worst = a;
            if (n_recent == 1 || err < lo)
                lo = err;
            if (n_recent == 1 || err > hi)
                hi = err;
            n_low += err < 0;
        }
        og_model_free(m);
        if (n_all >= 256)
            break;
    }
    fclose(f);
    printf("\nMedian absolute error on peak: %.1f %% over %d measurements; %.1f %% over the %d "
           "measured with mlx-lm 2026 (recent = 1).\n",
           median(all, n_all), n_all, median(recent, n_recent), n_recent);
    printf("Recent rows: worst absolute error %.1f %%, signed errors from %+.1f %% to %+.1f %%, "
           "%d of %d below the measurement.\n",
           worst, lo, hi, n_low, n_recent);
    return 0;
}
