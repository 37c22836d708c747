/* Internal helpers for readers that build an og_model. */
#ifndef OG_MODEL_INTERNAL_H
#define OG_MODEL_INTERNAL_H

#include "oomguard/model.h"

/* Allocate a zeroed model with format and path set; NULL on failure. */
og_model *og_model_new(og_format format, const char *path);

/* Reserve room for n more tensors (n already checked against the input). */
og_status og_model_reserve_tensors(og_model *m, size_t n, og_error *err);

/* Append a tensor; takes ownership of t->name. */
og_status og_model_push_tensor(og_model *m, const og_tensor *t, og_error *err);

/* Fill per-layer defaults once scalar hparams are known: n_layer from
 * n_layer_all - n_nextn, head_dim_k/v default n_embd / n_head[0], kv heads
 * default to heads, swa head dims default to the full ones. */
void og_hparams_finish(og_hparams *hp);

/* Derive a display label for the quantization from by_type. */
void og_model_guess_quant_label(og_model *m);

#endif
