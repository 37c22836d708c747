/* Shared by src/decide.c (the decision) and src/decide_budget.c (the budget
 * chain and the limit advice). Not installed. */
#ifndef OG_DECIDE_INTERNAL_H
#define OG_DECIDE_INTERNAL_H

#include "doctor_internal.h"
#include "oomguard/decide.h"

/* What the budget needs to know beyond the machine. */
typedef struct og_decide_ctx {
    og_backend backend;
    uint64_t mem_bytes; /* --mem */
    uint64_t proc_ram;  /* other processes' footprints (process list) */
    uint64_t proc_gpu;  /* their GPU memory */
} og_decide_ctx;

/* The budget on machine m with the GPU limit at limit_bytes (0 = as it is)
 * and the other processes closed or not; chain (may be NULL) gets the named
 * deductions. c may be NULL (no process list, no --mem, backend from b). */
void og_decide_budget_at(const og_decide_ctx *c, const og_machine *m, uint64_t limit_bytes,
                         int close_others, og_budget *b, og_decided_budget *chain);

/* The limit as it stands (current, default, safe maximum, at_default,
 * above_safe); og_limit_settle then turns a wanted value into set_mb and
 * the command. */
void og_limit_base(const og_machine *m, og_limit_advice *l);
void og_limit_settle(og_limit_advice *l, uint32_t want_mb);

#endif
