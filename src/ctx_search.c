/* The context searches' bracket (src/plan_internal.h): the largest grid
 * point that fits between one that fits and one that does not. Each step
 * guesses where the margin crosses zero from the two ends' margins (the
 * need grows about linearly with the context: the KV cache, the attention
 * scores and most compute buffers are linear in it), and falls back to
 * halving whenever a guess did not at least halve the bracket, so it never
 * takes more than about twice the plans of plain bisection and usually 2-4
 * instead of 9-16. Whatever order the points are tried in, a predicate that
 * is monotone in the context has one last fitting point: the answer is the
 * one bisection gives. */
#include "plan_internal.h"

int og_plan_exact_search = 0;

uint64_t og_ctx_search(uint64_t a, double fa, uint64_t z, double fz, og_ctx_probe probe, void *user)
{
    int bisect = og_plan_exact_search;
    while (a + 1 < z) {
        uint64_t width = z - a, k;
        if (!bisect && fa >= 0 && fz < 0 && fa - fz > 0) {
            double t = fa / (fa - fz) * (double)width;
            k = a + (t < 1.0 ? 1 : t >= (double)(width - 1) ? width - 1 : (uint64_t)t);
        } else {
            k = a + width / 2;
        }
        double fk = 0;
        if (probe(k, &fk, user)) {
            a = k;
            fa = fk;
        } else {
            z = k;
            fz = fk;
        }
        /* a guess that left more than half of the bracket: halve next */
        bisect = og_plan_exact_search || (!bisect && z - a > width / 2);
    }
    return a;
}
