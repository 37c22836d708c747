/* Architecture defaults, following llama.cpp src/models/<arch>.cpp
 * load_arch_hparams and src/llama-arch.cpp llm_arch_is_recurrent /
 * llm_arch_is_hybrid (llama.cpp as bundled in node-llama-cpp 3.21.1, source
 * dated 2026-09-12). */
#include <string.h>

#include "gguf_arch.h"
#include "og_internal.h"

enum { GT_STRING = 8, GT_ARRAY = 9 };

void og_hparams_set_swa_pattern(og_hparams *hp, uint32_t n, int dense_first)
{
    uint32_t n_layer = hp->n_layer_all - (hp->n_nextn < hp->n_layer_all ? hp->n_nextn : 0);
    for (uint32_t il = 0; il < hp->n_layer_all && il < OG_MAX_LAYERS; il++) {
        if (il >= n_layer)
            hp->is_swa[il] = 0;
        else if (dense_first)
            hp->is_swa[il] = n == 0 || il % n != 0;
        else
            hp->is_swa[il] = n == 0 || il % n < n - 1;
    }
}

static int arch_is(const og_hparams *hp, const char *name)
{
    return strcmp(hp->arch, name) == 0;
}

static const gguf_kv *key(const gguf_file *f, const og_hparams *hp, const char *suffix)
{
    char k[192];
    size_t a = strlen(hp->arch);
    if (a + 1 + strlen(suffix) + 1 > sizeof k)
        return NULL;
    memcpy(k, hp->arch, a);
    k[a] = '.';
    strcpy(k + a + 1, suffix);
    return og_gguf_find(f, k);
}

static int has_pattern_array(const gguf_file *f, const og_hparams *hp)
{
    const gguf_kv *kv = key(f, hp, "attention.sliding_window_pattern");
    return kv && kv->type == GT_ARRAY;
}

static uint32_t pattern_or(const gguf_file *f, const og_hparams *hp, uint32_t def)
{
    const gguf_kv *kv = key(f, hp, "attention.sliding_window_pattern");
    if (kv && kv->type != GT_ARRAY && kv->type != GT_STRING)
        return (uint32_t)kv->v.u;
    return def;
}

/* Standard SWA with a default period, when the window is known. */
static void swa_standard(const gguf_file *f, og_hparams *hp, uint32_t period, uint32_t def_window,
                         int require_window)
{
    if (!hp->n_swa)
        hp->n_swa = def_window;
    if (require_window && hp->n_swa == 0) {
        hp->swa_type = OG_SWA_NONE;
        memset(hp->is_swa, 0, sizeof hp->is_swa);
        return;
    }
    hp->swa_type = OG_SWA_STANDARD;
    if (!has_pattern_array(f, hp))
        og_hparams_set_swa_pattern(hp, pattern_or(f, hp, period), 0);
}

void og_gguf_arch_defaults(const gguf_file *f, og_model *m)
{
    og_hparams *hp = &m->hp;
    uint32_t n_layer = hp->n_layer_all - hp->n_nextn;

    if (arch_is(hp, "gemma2"))
        swa_standard(f, hp, 2, 4096, 0); /* src/models/gemma2.cpp */
    else if (arch_is(hp, "gemma3"))
        swa_standard(f, hp, 6, 0, 1); /* src/models/gemma3.cpp: SWA only with a window */
    else if (arch_is(hp, "gemma3n"))
        swa_standard(f, hp, 5, 0, 0);
    else if (arch_is(hp, "cohere2"))
        swa_standard(f, hp, 4, 0, 0);
    else if (arch_is(hp, "gpt-oss"))
        swa_standard(f, hp, 2, 0, 0); /* src/models/openai-moe.cpp */
    else if (arch_is(hp, "exaone4") && hp->n_swa)
        swa_standard(f, hp, 4, 4096, 0);
    else if (arch_is(hp, "llama4")) {
        /* src/models/llama4.cpp: chunked attention, window 8192, 3 chunked : 1 full,
         * unless the file sets sliding_window = 0. */
        const gguf_kv *w = key(f, hp, "attention.sliding_window");
        if (w && w->v.u == 0) {
            hp->swa_type = OG_SWA_NONE;
            memset(hp->is_swa, 0, sizeof hp->is_swa);
        } else {
            hp->swa_type = OG_SWA_CHUNKED;
            hp->n_swa = 8192;
            if (!has_pattern_array(f, hp))
                og_hparams_set_swa_pattern(hp, pattern_or(f, hp, 4), 0);
        }
    } else if (arch_is(hp, "phi3")) {
        /* Phi-3's sliding window is not used by llama.cpp: full cache. */
        hp->swa_type = OG_SWA_NONE;
        memset(hp->is_swa, 0, sizeof hp->is_swa);
    }

    /* Recurrent layers (src/llama-arch.cpp llm_arch_is_recurrent). */
    if (arch_is(hp, "mamba") || arch_is(hp, "mamba2") || arch_is(hp, "rwkv6") ||
        arch_is(hp, "rwkv6qwen2") || arch_is(hp, "rwkv7") || arch_is(hp, "arwkv7")) {
        for (uint32_t i = 0; i < hp->n_layer_all; i++)
            hp->is_recurrent[i] = 1;
    } else if (arch_is(hp, "qwen3next") || arch_is(hp, "qwen35") || arch_is(hp, "qwen35moe")) {
        /* src/models/qwen3next.cpp: recurrent_layers array, else every
         * full_attention_interval-th layer is attention. */
        const gguf_kv *kv = key(f, hp, "attention.recurrent_layers");
        if (!kv) {
            const gguf_kv *iv = key(f, hp, "full_attention_interval");
            uint32_t n = iv && iv->type != GT_ARRAY && iv->type != GT_STRING && iv->v.u
                             ? (uint32_t)iv->v.u
                             : 4;
            for (uint32_t i = 0; i < hp->n_layer_all; i++)
                hp->is_recurrent[i] = i < n_layer && (i + 1) % n != 0;
        }
    } else if (arch_is(hp, "jamba") || arch_is(hp, "granitehybrid") || arch_is(hp, "lfm2") ||
               arch_is(hp, "lfm2moe") || arch_is(hp, "kimi-linear")) {
        /* src/models/jamba.cpp, granite-hybrid.cpp, lfm2.cpp: no KV heads = recurrent. */
        for (uint32_t i = 0; i < hp->n_layer_all; i++)
            hp->is_recurrent[i] = hp->n_head_kv[i] == 0;
    } else if (arch_is(hp, "nemotron_h") || arch_is(hp, "nemotron_h_moe")) {
        /* src/models/nemotron-h.cpp: recurrent iff no KV heads and no FFN. */
        for (uint32_t i = 0; i < hp->n_layer_all; i++)
            hp->is_recurrent[i] = i < n_layer && hp->n_head_kv[i] == 0 && hp->n_ff[i] == 0;
    } else if (arch_is(hp, "falcon-h1")) {
        for (uint32_t i = 0; i < hp->n_layer_all; i++)
            hp->is_recurrent[i] = 1;
    }

    /* Encoder-only models have no KV cache. */
    if (arch_is(hp, "bert") || arch_is(hp, "nomic-bert") || arch_is(hp, "nomic-bert-moe") ||
        arch_is(hp, "jina-bert-v2") || arch_is(hp, "jina-bert-v3") || arch_is(hp, "modern-bert") ||
        arch_is(hp, "neo-bert") || arch_is(hp, "eurobert") || arch_is(hp, "t5encoder"))
        hp->causal = 0;
}
