/* ggml tensor types: block size and bytes per block.
 * Follows ggml src/ggml.c `type_traits[]` and src/ggml-common.h block structs
 * (ggml master 2026-08-21, as synced into llama.cpp; QK_K = 256). Removed ids
 * have block size 0 and are rejected in files, as ggml does. */
#include "oomguard/model.h"

#include "og_internal.h"

static const og_ggml_type_info types[OG_GGML_TYPE_COUNT] = {
    [0] = {"f32", 1, 4},         [1] = {"f16", 1, 2},         [2] = {"q4_0", 32, 18},
    [3] = {"q4_1", 32, 20},      [6] = {"q5_0", 32, 22},      [7] = {"q5_1", 32, 24},
    [8] = {"q8_0", 32, 34},      [9] = {"q8_1", 32, 36},      [10] = {"q2_K", 256, 84},
    [11] = {"q3_K", 256, 110},   [12] = {"q4_K", 256, 144},   [13] = {"q5_K", 256, 176},
    [14] = {"q6_K", 256, 210},   [15] = {"q8_K", 256, 292},   [16] = {"iq2_xxs", 256, 66},
    [17] = {"iq2_xs", 256, 74},  [18] = {"iq3_xxs", 256, 98}, [19] = {"iq1_s", 256, 50},
    [20] = {"iq4_nl", 32, 18},   [21] = {"iq3_s", 256, 110},  [22] = {"iq2_s", 256, 82},
    [23] = {"iq4_xs", 256, 136}, [24] = {"i8", 1, 1},         [25] = {"i16", 1, 2},
    [26] = {"i32", 1, 4},        [27] = {"i64", 1, 8},        [28] = {"f64", 1, 8},
    [29] = {"iq1_m", 256, 56},   [30] = {"bf16", 1, 2},       [34] = {"tq1_0", 256, 54},
    [35] = {"tq2_0", 256, 66},   [39] = {"mxfp4", 32, 17},    [40] = {"nvfp4", 64, 36},
    [41] = {"q1_0", 128, 18},    [42] = {"q2_0", 64, 18},
};

const og_ggml_type_info *og_ggml_type(uint32_t id)
{
    if (id >= OG_GGML_TYPE_COUNT || types[id].block_size == 0)
        return 0;
    return &types[id];
}

int og_ggml_type_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < OG_GGML_TYPE_COUNT; i++)
        if (types[i].name && og_strcasecmp(types[i].name, name) == 0)
            return i;
    return -1;
}

uint64_t og_ggml_row_bytes(uint32_t id, uint64_t n, int *ok)
{
    const og_ggml_type_info *t = og_ggml_type(id);
    uint64_t r;
    if (!t || n % t->block_size != 0 || !og_mul_u64(n / t->block_size, t->bytes_per_block, &r)) {
        if (ok)
            *ok = 0;
        return 0;
    }
    return r;
}
