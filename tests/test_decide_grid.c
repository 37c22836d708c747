/* The decision core's contract over a grid (issue 13, "Must show"): 12
 * catalog models x 14 machine presets x 3 contexts x both engines. For every
 * cell:
 *   - fit fits exactly when the doctor has no failing check (presets: no
 *     swapping, no limit above the safe maximum);
 *   - every wired / GTT value in any fix or advice is a number >= the need,
 *     >= the current effective limit and the default, <= the safe maximum, and
 *     never equal to the current limit (nothing to apply then); applying it
 *     makes the plan fit when the limit alone stands in the way;
 *   - the pick (the overview's answer) is what fit says for that build: it
 *     fits, with the same largest context and the same memory.
 * MLX off Apple Silicon is refused (OG_ERR_UNSUPPORTED), a cell too. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/decide.h"
#include "oomguard/wired.h"

#define MIB (1024ull * 1024ull)

static const char *const models[] = {"qwen3-8b",      "qwen3-14b",    "qwen3-32b",
                                     "qwen3-30b-a3b", "llama-3.1-8b", "llama-3.3-70b",
                                     "gemma-3-12b",   "gemma-3-27b",  "llama-3.2-3b",
                                     "qwen2.5-72b",   "gemma-2-9b",   "qwen2.5-coder-14b"};
static const char *const presets[] = {
    "m1-8gb",      "m1-16gb",     "m2-24gb",     "m1-max-32gb",     "m3-pro-36gb",
    "m4-pro-48gb", "m4-max-64gb", "m2-max-96gb", "m4-max-128gb",    "rtx-3090",
    "rtx-4090",    "a100-80gb",   "dgx-spark",   "strix-halo-128gb"};
static const uint32_t ctxs[] = {0, 4096, 32768};

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct stats {
    unsigned cells, decided, refused, fits, limit_values, limit_applied, picks;
} stats;

/* Every number after key in text. */
static unsigned numbers_after(const char *text, const char *key, uint64_t *out, unsigned max)
{
    unsigned n = 0;
    for (const char *p = strstr(text, key); p && n < max; p = strstr(p + 1, key))
        out[n++] = strtoull(p + strlen(key), NULL, 10);
    return n;
}

static void check_limit_values(const og_decision *d, const og_machine *m, const char *where,
                               stats *st)
{
    const og_limit_advice *l = &d->limit;
    const char *key = l->gtt ? "amdgpu.gttsize=" : "iogpu.wired_limit_mb=";
    uint64_t carve = 0;
    if (l->gtt)
        for (uint32_t i = 0; i < m->n_gpus; i++)
            carve += m->gpus[i].vram_total_bytes;
    const char *texts[OG_CHECK_COUNT + OG_DECIDE_MAX_ADVICE + 1];
    unsigned nt = 0;
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        texts[nt++] = d->report.checks[i].fix;
    for (uint32_t i = 0; i < d->n_advice; i++)
        texts[nt++] = d->advice[i];
    texts[nt++] = l->command;
    for (unsigned t = 0; t < nt; t++) {
        uint64_t v[8];
        unsigned n = numbers_after(texts[t], key, v, 8);
        for (unsigned i = 0; i < n; i++) {
            if (v[i] == 0)
                continue; /* "=0" restores the default: not a raise */
            st->limit_values++;
            uint64_t bytes = v[i] * MIB;
            ck_assert_msg(l->applies, "%s: a limit value where none applies: %s", where, texts[t]);
            ck_assert_msg(bytes <= l->safe_max_bytes, "%s: %llu MiB above the safe maximum: %s",
                          where, (unsigned long long)v[i], texts[t]);
            ck_assert_msg(bytes >= l->default_bytes / MIB * MIB,
                          "%s: %llu MiB below the default: %s", where, (unsigned long long)v[i],
                          texts[t]);
            if (!l->above_safe) {
                ck_assert_msg(bytes > l->current_bytes / MIB * MIB,
                              "%s: %llu MiB not above the current limit: %s", where,
                              (unsigned long long)v[i], texts[t]);
                ck_assert_msg(bytes + carve >= d->plan.gpu_need_bytes,
                              "%s: %llu MiB below the need %llu: %s", where,
                              (unsigned long long)v[i], (unsigned long long)d->plan.gpu_need_bytes,
                              texts[t]);
            }
            if (l->gtt) {
                char want[64];
                snprintf(want, sizeof want, "ttm.pages_limit=%llu",
                         (unsigned long long)og_gtt_pages_for_bytes(bytes));
                ck_assert_msg(strstr(texts[t], want) != NULL, "%s: %s not in: %s", where, want,
                              texts[t]);
            }
        }
    }
}

static void cell(const og_catalog_entry *e, const char *preset, uint32_t ctx, int mlx,
                 og_decision *d, og_decision *d2, stats *st)
{
    char where[160];
    snprintf(where, sizeof where, "%s %s ctx %u %s", e->name, preset, ctx, mlx ? "mlx" : "llama");
    st->cells++;
    og_error err;
    og_machine m;
    ck_assert_int_eq(og_machine_preset(preset, &m, &err), OG_OK);
    og_catalog_build b = mlx ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
    if (!og_catalog_has_build(e, b))
        return;
    og_model *md = NULL;
    ck_assert_int_eq(og_catalog_model(e, b, &md, &err), OG_OK);
    og_decide_input in = {0};
    in.model = md;
    in.entry = e;
    in.machine = &m;
    og_decide_settings_default(&in.settings);
    in.settings.engine = mlx ? OG_ENGINE_MLX : OG_ENGINE_LLAMA_CPP;
    in.settings.llama.n_ctx = ctx;
    in.settings.mlx.ctx = ctx;
    in.pick_only = 1;
    og_status s = og_decide(&in, d, &err);
    int apple = m.apple_silicon;
    if (mlx && !apple) {
        ck_assert_msg(s == OG_ERR_UNSUPPORTED, "%s: MLX off a Mac: %d", where, s);
        st->refused++;
        og_model_free(md);
        return;
    }
    ck_assert_msg(s == OG_OK, "%s: %s", where, err.message);
    st->decided++;
    st->fits += d->fits;

    /* fit fits <=> the doctor has no failing check */
    int failing = 0;
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        failing |= d->report.checks[i].status == OG_CHECK_FAIL;
    ck_assert_msg(d->fits == !failing, "%s: fits %d but headline %d (%s)", where, d->fits,
                  d->report.headline,
                  d->report.headline >= 0 ? d->report.checks[d->report.headline].id == 0
                                                ? d->report.checks[0].evidence
                                                : d->report.checks[d->report.headline].fix
                                          : "");
    ck_assert_int_eq(d->verdict == OG_FIT_NO, !d->fits);

    /* wired / GTT values */
    check_limit_values(d, &m, where, st);
    if (d->limit.set_mb && d->fits_if_limit_raised) {
        og_machine m2 = m;
        if (d->limit.gtt) {
            for (uint32_t i = 0; i < m2.n_gpus; i++)
                if (m2.gpus[i].unified) {
                    m2.gpus[i].gtt_total_bytes = (uint64_t)d->limit.set_mb * MIB;
                    m2.gpus[i].total_bytes =
                        m2.gpus[i].vram_total_bytes + m2.gpus[i].gtt_total_bytes;
                }
        } else {
            m2.wired_limit_mb = d->limit.set_mb;
        }
        og_decide_input in2 = in;
        in2.machine = &m2;
        in2.pick_only = 0;
        in2.skip_alternatives = 1;
        ck_assert_int_eq(og_decide(&in2, d2, &err), OG_OK);
        ck_assert_msg(d2->fits, "%s: still does not fit after %s", where, d->limit.command);
        st->limit_applied++;
    }

    /* the pick is what fit says for that build (default settings only) */
    if (ctx == 0 && d->fit_build[0]) {
        og_catalog_build pb;
        ck_assert_int_eq(og_catalog_build_from_name(d->fit_build, &pb, &err), OG_OK);
        og_model *pm = NULL;
        ck_assert_int_eq(og_catalog_model(e, pb, &pm, &err), OG_OK);
        og_decide_input in3 = in;
        in3.model = pm;
        in3.pick_only = 0;
        in3.skip_alternatives = 1;
        ck_assert_int_eq(og_decide(&in3, d2, &err), OG_OK);
        ck_assert_msg(d2->fits, "%s: the pick %s does not fit in fit", where, d->fit_build);
        ck_assert_msg(d2->max_ctx == d->fit_build_ctx, "%s: pick %s max ctx %u, fit says %u", where,
                      d->fit_build, d->fit_build_ctx, d2->max_ctx);
        ck_assert_msg(d2->plan.gpu_need_bytes == d->fit_build_bytes,
                      "%s: pick %s needs %llu, fit says %llu", where, d->fit_build,
                      (unsigned long long)d->fit_build_bytes,
                      (unsigned long long)d2->plan.gpu_need_bytes);
        og_model_free(pm);
        st->picks++;
    }
    og_model_free(md);
}

START_TEST(grid)
{
    og_error err;
    ck_assert_int_eq(og_catalog_load(&err), OG_OK);
    og_decision *d = calloc(1, sizeof *d), *d2 = calloc(1, sizeof *d2);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(d2);
    stats st = {0};
    unsigned nm = 0;
    for (size_t i = 0; i < N(models); i++) {
        const og_catalog_entry *e = NULL;
        ck_assert_msg(og_catalog_find(models[i], &e, &err) == OG_OK, "%s", err.message);
        nm++;
        for (size_t p = 0; p < N(presets); p++)
            for (size_t c = 0; c < N(ctxs); c++)
                for (int mlx = 0; mlx < 2; mlx++)
                    cell(e, presets[p], ctxs[c], mlx, d, d2, &st);
    }
    fprintf(stderr,
            "grid: %u models x %zu presets x %zu contexts x 2 engines = %u cells; %u decided, "
            "%u refused (MLX off a Mac), %u fit; %u wired/GTT values checked, %u applied and "
            "re-decided; %u picks re-decided\n",
            nm, N(presets), N(ctxs), st.cells, st.decided, st.refused, st.fits, st.limit_values,
            st.limit_applied, st.picks);
    ck_assert_uint_ge(nm, 10);
    ck_assert_uint_ge(N(presets), 12);
    ck_assert_uint_eq(st.cells, nm * N(presets) * N(ctxs) * 2);
    /* the grid exercises both answers and the limit advice */
    ck_assert_uint_gt(st.fits, 0);
    ck_assert_uint_lt(st.fits, st.decided);
    ck_assert_uint_gt(st.limit_values, 0);
    ck_assert_uint_gt(st.limit_applied, 0);
    ck_assert_uint_gt(st.picks, 50);
    free(d);
    free(d2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decide_grid");
    TCase *t = tcase_create("grid");
    tcase_set_timeout(t, 900);
    tcase_add_test(t, grid);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
