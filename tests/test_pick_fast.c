/* The overview's fast paths give the answers of the exact searches (issue
 * 14/15, "plain oomguard in <= 0.3 s"):
 *   - og_catalog_gen_sizes: every build's weight bytes and parameters of
 *     every catalog entry equal og_catalog_model's;
 *   - og_llama_max_ctx_at_least / og_mlx_max_ctx_at_least(c) equal
 *     og_*_max_ctx() >= c for the default builds at several contexts;
 *   - og_decide with the fast paths (the pick checked with one plan per
 *     build, the context searched only for the pick, llama.cpp's search
 *     guided by the margins) equals og_decide with every context question
 *     answered by the full bisection (og_plan_exact_search = 1), over the
 *     whole catalog x machine presets x both engines, as the overview calls
 *     it, and for a part of the catalog as fit / doctor call it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "doctor_internal.h"
#include "oomguard/decide.h"
#include "plan_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const presets[] = {"m2-8gb",    "m4-max-64gb",     "m3-ultra-256gb",
                                      "rtx-4090",  "rtx-4060-8gb",    "2x-rtx-3090",
                                      "dgx-spark", "strix-halo-128gb"};

START_TEST(sizes_match_models)
{
    ck_assert_int_eq(og_catalog_load(NULL), OG_OK);
    unsigned checked = 0;
    for (uint32_t i = 0; i < og_catalog_count(); i++) {
        const og_catalog_entry *e = og_catalog_get(i);
        og_catalog_gen *g = NULL;
        ck_assert_int_eq(og_catalog_gen_new(e, &g, NULL), OG_OK);
        for (int mlx = 0; mlx < 2; mlx++) {
            uint64_t w[OG_BUILD_COUNT], p[OG_BUILD_COUNT];
            ck_assert_int_eq(og_catalog_gen_sizes(g, mlx, w, p, NULL), OG_OK);
            for (int b = 0; b < OG_BUILD_COUNT; b++) {
                if (og_catalog_build_is_mlx((og_catalog_build)b) != mlx)
                    continue;
                og_model *m = NULL;
                og_status st = og_catalog_model(e, (og_catalog_build)b, &m, NULL);
                if (st != OG_OK) {
                    ck_assert_msg(w[b] == 0, "%s %s: no model but a size", e->name,
                                  og_catalog_build_name((og_catalog_build)b));
                    continue;
                }
                ck_assert_msg(w[b] == m->weight_bytes && p[b] == m->n_params,
                              "%s %s: sizes %llu/%llu, model %llu/%llu", e->name,
                              og_catalog_build_name((og_catalog_build)b), (unsigned long long)w[b],
                              (unsigned long long)p[b], (unsigned long long)m->weight_bytes,
                              (unsigned long long)m->n_params);
                /* the shared generator makes the same model */
                og_model *m2 = NULL;
                ck_assert_int_eq(og_catalog_gen_model(g, (og_catalog_build)b, &m2, NULL), OG_OK);
                ck_assert_uint_eq(m2->n_tensors, m->n_tensors);
                for (size_t t = 0; t < m->n_tensors; t++) {
                    ck_assert_str_eq(m2->tensors[t].name, m->tensors[t].name);
                    ck_assert_uint_eq(m2->tensors[t].bytes, m->tensors[t].bytes);
                }
                og_model_free(m2);
                og_model_free(m);
                checked++;
            }
        }
        og_catalog_gen_free(g);
    }
    ck_assert_uint_gt(checked, 100 * 30);
}
END_TEST

START_TEST(at_least_matches_search)
{
    static const uint32_t cs[] = {256, 4096, 16384, 32768, 131072};
    unsigned checked = 0, yes = 0;
    for (size_t pi = 0; pi < N(presets); pi++) {
        og_machine *m = calloc(1, sizeof *m);
        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(og_machine_preset(presets[pi], m, NULL), OG_OK);
        og_budget b;
        og_machine_budget(m, &b);
        for (uint32_t i = 0; i < og_catalog_count(); i++) {
            const og_catalog_entry *e = og_catalog_get(i);
            og_model *md = NULL;
            ck_assert_int_eq(og_catalog_model(e, OG_BUILD_GGUF_Q4_K_M, &md, NULL), OG_OK);
            og_llama_settings ls;
            og_llama_settings_default(&ls);
            ls.backend = og_decide_backend(m);
            uint32_t x = og_llama_max_ctx(md, &ls, &b);
            for (size_t c = 0; c < N(cs); c++) {
                ck_assert_msg(og_llama_max_ctx_at_least(md, &ls, &b, cs[c]) == (x >= cs[c]),
                              "%s on %s: llama max_ctx %u, at least %u", e->name, presets[pi], x,
                              cs[c]);
                checked++;
                yes += x >= cs[c];
            }
            og_model_free(md);
            if (!og_machine_is_apple(m))
                continue;
            ck_assert_int_eq(og_catalog_model(e, OG_BUILD_MLX_4BIT, &md, NULL), OG_OK);
            md->format = OG_FORMAT_MLX; /* as og_decide plans a catalog MLX build */
            og_mlx_settings ms;
            og_mlx_settings_default(&ms);
            uint64_t mx = og_mlx_max_ctx(md, &ms, b.gpu_bytes);
            for (size_t c = 0; c < N(cs); c++) {
                ck_assert_msg(og_mlx_max_ctx_at_least(md, &ms, b.gpu_bytes, cs[c]) == (mx >= cs[c]),
                              "%s on %s: mlx max_ctx %llu, at least %u", e->name, presets[pi],
                              (unsigned long long)mx, cs[c]);
                checked++;
                yes += mx >= cs[c];
            }
            og_model_free(md);
        }
        free(m);
    }
    /* both answers occur */
    ck_assert_uint_gt(yes, checked / 10);
    ck_assert_uint_lt(yes, checked - checked / 10);
}
END_TEST

/* og_decide both ways; the decisions must be the same byte for byte. */
static void decide_both(const og_decide_input *in, const char *what)
{
    og_decision *fast = calloc(1, sizeof *fast), *exact = calloc(1, sizeof *exact);
    ck_assert(fast && exact);
    og_error e1, e2;
    og_plan_exact_search = 0;
    og_status s1 = og_decide(in, fast, &e1);
    og_plan_exact_search = 1;
    og_status s2 = og_decide(in, exact, &e2);
    og_plan_exact_search = 0;
    ck_assert_int_eq(s1, s2);
    if (s1 == OG_OK) {
        ck_assert_msg(!strcmp(fast->fit_build, exact->fit_build) &&
                          fast->fit_build_ctx == exact->fit_build_ctx &&
                          fast->fit_build_bytes == exact->fit_build_bytes,
                      "%s: pick %s @ %u, %llu (exact: %s @ %u, %llu)", what, fast->fit_build,
                      fast->fit_build_ctx, (unsigned long long)fast->fit_build_bytes,
                      exact->fit_build, exact->fit_build_ctx,
                      (unsigned long long)exact->fit_build_bytes);
        ck_assert_msg(fast->fits == exact->fits && fast->max_ctx == exact->max_ctx &&
                          fast->limit.set_mb == exact->limit.set_mb,
                      "%s: fits %d max_ctx %u limit %u (exact: %d %u %u)", what, fast->fits,
                      fast->max_ctx, fast->limit.set_mb, exact->fits, exact->max_ctx,
                      exact->limit.set_mb);
        ck_assert_msg(!strcmp(fast->smaller_model, exact->smaller_model) &&
                          !strcmp(fast->tier, exact->tier),
                      "%s: smaller %s tier %s (exact: %s %s)", what, fast->smaller_model,
                      fast->tier, exact->smaller_model, exact->tier);
        ck_assert_msg(memcmp(fast, exact, sizeof *fast) == 0, "%s: the decisions differ", what);
    }
    free(fast);
    free(exact);
}

static void grid(int pick_only, uint32_t step)
{
    unsigned n = 0;
    for (size_t pi = 0; pi < N(presets); pi++) {
        og_machine *m = calloc(1, sizeof *m);
        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(og_machine_preset(presets[pi], m, NULL), OG_OK);
        int mac = og_machine_is_apple(m);
        for (uint32_t i = 0; i < og_catalog_count(); i += step) {
            const og_catalog_entry *e = og_catalog_get(i);
            for (int k = mac ? 0 : 1; k < 2; k++) {
                og_model *md = NULL;
                ck_assert_int_eq(
                    og_catalog_model(e, k ? OG_BUILD_GGUF_Q4_K_M : OG_BUILD_MLX_4BIT, &md, NULL),
                    OG_OK);
                og_decide_input in;
                memset(&in, 0, sizeof in);
                in.model = md;
                in.entry = e;
                in.machine = m;
                og_decide_settings_default(&in.settings);
                in.settings.engine = k ? OG_ENGINE_LLAMA_CPP : OG_ENGINE_MLX;
                in.pick_only = pick_only;
                char what[160];
                snprintf(what, sizeof what, "%s %s on %s%s", e->name, k ? "gguf" : "mlx",
                         presets[pi], pick_only ? " (overview)" : "");
                decide_both(&in, what);
                og_model_free(md);
                n++;
            }
        }
        free(m);
    }
    ck_assert_uint_gt(n, 20);
}

START_TEST(overview_decisions_match)
{
    grid(1, 1);
}
END_TEST

START_TEST(fit_decisions_match)
{
    grid(0, 7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pick_fast");
    TCase *t = tcase_create("fast_equals_exact");
    tcase_set_timeout(t, 900);
    tcase_add_test(t, sizes_match_models);
    tcase_add_test(t, at_least_matches_search);
    tcase_add_test(t, overview_decisions_match);
    tcase_add_test(t, fit_decisions_match);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
