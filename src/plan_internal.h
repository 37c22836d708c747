/* Internal: "is the largest context at least c?" without the search. The
 * engines' context searches (og_llama_max_ctx, og_mlx_max_ctx) bisect a
 * predicate that grows harder with the context (a longer context needs
 * more memory); these answer max_ctx >= c with the one plan at c (on the
 * grid the search walks). The pick policy asks that for every build it
 * ranks and searches the largest context only for the build it shows.
 * tests/test_pick_fast.c checks both against the searches over the catalog
 * and several machine presets. */
#ifndef OG_PLAN_INTERNAL_H
#define OG_PLAN_INTERNAL_H

#include "oomguard/llama.h"
#include "oomguard/mlx.h"

/* The bracket search both use (src/ctx_search.c): probe(k) plans grid
 * point k, says whether it fits, and sets *margin to the budget left (< 0:
 * short; 0 when the plan failed). Given a that fits (margin fa) and z > a
 * that does not (fz), returns the largest point below z that fits when the
 * predicate is monotone (the one bisection would find). */
typedef int (*og_ctx_probe)(uint64_t k, double *margin, void *user);
uint64_t og_ctx_search(uint64_t a, double fa, uint64_t z, double fz, og_ctx_probe probe,
                       void *user);

/* Test hook: 1 = plain bisection in og_ctx_search, and the decision asks
 * every "max_ctx >= c" through the full search (the reference the tests
 * compare the fast paths with). 0 in the library. */
extern int og_plan_exact_search;

/* og_llama_max_ctx(m, s, b) >= c (src/llama_fit.c). */
int og_llama_max_ctx_at_least(const og_model *m, const og_llama_settings *s, const og_budget *b,
                              uint32_t c);

/* og_mlx_max_ctx(m, s, budget) >= c (src/mlx_plan.c). */
int og_mlx_max_ctx_at_least(const og_model *m, const og_mlx_settings *s, uint64_t budget,
                            uint64_t c);

#endif
