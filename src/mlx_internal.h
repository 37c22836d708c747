/* Internal interface between the MLX weights and plan files. */
#ifndef OG_MLX_INTERNAL_H
#define OG_MLX_INTERNAL_H

#include "oomguard/mlx.h"

/* MLX's Metal allocator rounds every buffer larger than a page up to whole
 * pages; Apple Silicon pages are 16 KiB (mlx/backend/metal/allocator.cpp,
 * MetalAllocator::malloc, vm_page_size). */
#define OG_MLX_PAGE 16384u

typedef struct og_mlx_weights {
    uint64_t data_bytes;  /* exact tensor bytes */
    uint64_t alloc_bytes; /* page-rounded, one buffer per array */
    uint64_t largest_bytes;
    char largest_name[96];
    int hypothetical;
    int from_hparams;
    uint32_t dtype_bytes; /* activation dtype */
    char dtype[8];
    char quant[64];
    uint32_t n_notes;
    char notes[2][192];
} og_mlx_weights;

/* Weights of a model under settings (mlx_weights.c). */
og_status og_mlx_weights_compute(const og_model *model, const og_mlx_settings *s, og_mlx_weights *w,
                                 og_error *err);

/* Validate a (bits, group, mode) triple as mlx.core.quantize accepts it
 * (mlx/ops.cpp affine_quantize / fp_quantize). Returns 1 when valid. */
int og_mlx_quant_valid(uint32_t bits, uint32_t group, const char *mode);

/* Bytes of one page-rounded MLX buffer. */
uint64_t og_mlx_page_round(uint64_t bytes);

#endif
