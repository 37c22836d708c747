/* Internal interface between the cluster planners (cluster.c: llama.cpp RPC
 * and exo; cluster_mlx.c: MLX distributed). */
#ifndef OG_CLUSTER_INTERNAL_H
#define OG_CLUSTER_INTERNAL_H

#include "oomguard/cluster.h"

/* Append a note to the plan (dropped when the notes are full). */
void og_cluster_note(og_cluster_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
