/* Architecture-specific hparams rules for GGUF files (llama.cpp's view). */
#ifndef OG_GGUF_ARCH_H
#define OG_GGUF_ARCH_H

#include "gguf_internal.h"

/* llama.cpp src/llama-hparams.cpp set_swa_pattern: with dense_first, layer il
 * is SWA iff il % n != 0; otherwise iff il % n < n - 1; n == 0 = all SWA.
 * Layers past n_layer (NextN/MTP) are never SWA. */
void og_hparams_set_swa_pattern(og_hparams *hp, uint32_t n_pattern, int dense_first);

/* Apply the defaults llama.cpp's load_arch_hparams uses for hp->arch
 * (SWA type, window and period; recurrent-layer masks) where the file did not
 * say otherwise. */
void og_gguf_arch_defaults(const gguf_file *f, og_model *m);

#endif
