/* The doctor's checks as a function of what the decision core found
 * (src/decide.c). og_doctor_run (a plan's numbers only) and og_decide (the
 * engines' verdicts at each what-if) fill the same facts, so the checks are
 * written in one place (src/doctor.c). Not installed. */
#ifndef OG_DOCTOR_INTERNAL_H
#define OG_DOCTOR_INTERNAL_H

#include "oomguard/decide.h"
#include "oomguard/doctor.h"

typedef struct og_doctor_facts {
    const og_machine *m;
    const og_budget *b;
    const og_doctor_proc *procs; /* NULL = unknown */
    uint32_t n_procs;
    const char *procs_reason;
    const og_log_report *log;
    int swapout_rate_known;
    double swapout_bytes_per_s;
    uint64_t default_wired_bytes;

    const og_doctor_plan *p; /* NULL = machine checks only */
    int apple, apu, discrete;
    uint64_t need;       /* the plan's need on the limiting pool */
    uint64_t usable_now; /* what that pool gives now (after the margin) */
    uint64_t capacity;   /* what it would give with the limit at the safe maximum, others closed */
    int fits, fits_at_capacity;
    int others_block;      /* other processes stand between the plan and fitting */
    int limit_blocks;      /* the wired / GTT limit stands between them */
    uint64_t others_bytes; /* what closing the others returns to the pool */
    const og_limit_advice *limit;
    const char *model_fix; /* check 1's fix when it fails (names a build / model / context) */
    const char *tier_fix;  /* check 5's fix when it fails */
    /* llama.cpp's --fit placement (og_decide): the plan's GPU part is need,
     * the rest is in host RAM; NULL or !placed = every layer on the GPU */
    const og_placement *placement;
    /* one buffer over the device's single-allocation limit (og_decision
     * buffer_*): check 1 names it instead of a shortfall */
    uint64_t buffer_bytes, buffer_limit_bytes;
    const char *buffer_limit_name;
} og_doctor_facts;

void og_doctor_fill(const og_doctor_facts *f, og_doctor_report *r);

/* The limit advice for a need, given what stands in the pool (others) and
 * the margin, by arithmetic only (og_doctor_run; og_decide searches with
 * the engine instead). need 0 = no plan. */
void og_limit_fill(const og_machine *m, uint64_t need, uint64_t others, uint64_t margin,
                   og_limit_advice *l);

/* Helpers shared by the wired / GTT advice. */
int og_machine_is_apu(const og_machine *m);
int og_machine_is_apple(const og_machine *m);
/* Current effective GTT size, kernel default (RAM / 2), carve-out of an APU. */
uint64_t og_apu_gtt_bytes(const og_machine *m);
uint64_t og_apu_carveout_bytes(const og_machine *m);
/* Command text for setting the limit to mb (macOS sysctl, or the kernel
 * parameters for GTT). */
void og_limit_command(const og_limit_advice *l, uint32_t mb, char *buf, size_t n);

#endif
