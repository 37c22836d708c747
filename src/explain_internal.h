/* Shared between the log scanner (explain.c) and its advice (explain_advice.c). */
#ifndef OG_EXPLAIN_INTERNAL_H
#define OG_EXPLAIN_INTERNAL_H

#include "oomguard/explain.h"

/* Fill pool / what / fix of every finding from its id, sizes and the
 * settings the log showed. */
void og_explain_advise(og_log_report *r);

#endif
