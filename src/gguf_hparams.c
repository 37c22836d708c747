/* GGUF metadata -> og_hparams.
 *
 * Key names follow llama.cpp src/llama-arch.cpp (LLM_KV_NAMES) and the
 * reading rules of src/llama-model.cpp load_hparams (llama.cpp as bundled in
 * node-llama-cpp 3.21.1, source dated 2026-09-12): "scalar|array" keys accept
 * a single value or one value per layer (get_key_or_arr), integer keys accept
 * any integer width. Architecture-specific defaults (SWA patterns, recurrent
 * layer masks) are applied by og_gguf_arch_defaults() in gguf_arch.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_arch.h"
#include "gguf_internal.h"
#include "model_internal.h"
#include "og_internal.h"

enum { GT_BOOL = 7, GT_STRING = 8, GT_ARRAY = 9, GT_F32 = 6, GT_F64 = 12 };

static const gguf_kv *find_arch(const gguf_file *f, const char *arch, const char *suffix)
{
    char key[192];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return og_gguf_find(f, key);
}

static int is_scalar_int(const gguf_kv *kv)
{
    return kv && kv->type != GT_STRING && kv->type != GT_ARRAY && kv->type != GT_F32 &&
           kv->type != GT_F64;
}

/* Scalar integer key; returns def when absent. Error when present with a
 * non-integer type. */
static og_status get_u64(const gguf_file *f, const char *arch, const char *suffix, uint64_t def,
                         uint64_t *out, const char *name, og_error *err)
{
    const gguf_kv *kv = find_arch(f, arch, suffix);
    *out = def;
    if (!kv)
        return OG_OK;
    if (!is_scalar_int(kv))
        return og_error_set(err, OG_ERR_INVALID, "%s: key '%s' must be an integer", name, kv->key);
    *out = kv->v.u;
    return OG_OK;
}

static og_status get_u32(const gguf_file *f, const char *arch, const char *suffix, uint32_t def,
                         uint32_t *out, const char *name, og_error *err)
{
    uint64_t v;
    og_status st = get_u64(f, arch, suffix, def, &v, name, err);
    if (st != OG_OK)
        return st;
    if (v > UINT32_MAX)
        return og_error_set(err, OG_ERR_INVALID, "%s: key '%s.%s' = %llu is out of range", name,
                            arch, suffix, (unsigned long long)v);
    *out = (uint32_t)v;
    return OG_OK;
}

/* get_key_or_arr: fill n values from a scalar or an array of exactly n. */
static og_status get_per_layer(const gguf_file *f, const char *arch, const char *suffix, uint32_t n,
                               uint64_t *out, int *present, const char *name, og_error *err)
{
    const gguf_kv *kv = find_arch(f, arch, suffix);
    if (present)
        *present = kv != NULL;
    if (!kv)
        return OG_OK;
    if (kv->type == GT_ARRAY) {
        if (kv->arr_n != n || !kv->arr)
            return og_error_set(err, OG_ERR_INVALID,
                                "%s: key '%s' has %llu entries, expected one per layer (%u)", name,
                                kv->key, (unsigned long long)kv->arr_n, n);
        for (uint32_t i = 0; i < n; i++)
            out[i] = kv->arr[i].u;
        return OG_OK;
    }
    if (!is_scalar_int(kv))
        return og_error_set(err, OG_ERR_INVALID, "%s: key '%s' must be an integer or an array",
                            name, kv->key);
    for (uint32_t i = 0; i < n; i++)
        out[i] = kv->v.u;
    return OG_OK;
}

static const og_tensor *find_tensor(const og_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

og_status og_gguf_fill_model(const gguf_file *f, og_model *m, og_error *err)
{
    const char *name = m->path ? m->path : "(buffer)";
    og_hparams *hp = &m->hp;
    og_status st;

    m->gguf_version = f->version;
    m->gguf_alignment = f->alignment;
    m->gguf_n_kv = f->n_kv;

    const gguf_kv *kv = og_gguf_find(f, "general.architecture");
    if (!kv || kv->type != GT_STRING || !kv->str || !kv->str[0])
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: missing general.architecture (not a llama.cpp model file?)", name);
    og_strlcpy(hp->arch, kv->str, sizeof hp->arch);
    const char *arch = hp->arch;

    kv = og_gguf_find(f, "general.name");
    if (kv && kv->type == GT_STRING && kv->str)
        m->name = og_strdup(kv->str);
    kv = og_gguf_find(f, "general.file_type");
    if (is_scalar_int(kv))
        m->gguf_file_type = (uint32_t)kv->v.u;

    uint32_t n_layer_all = 0;
    if ((st = get_u32(f, arch, "block_count", 0, &n_layer_all, name, err)) != OG_OK)
        return st;
    if (n_layer_all > OG_MAX_LAYERS)
        return og_error_set(err, OG_ERR_INVALID, "%s: %s.block_count = %u is more than %d layers",
                            name, arch, n_layer_all, OG_MAX_LAYERS);
    hp->n_layer_all = n_layer_all;
    if ((st = get_u32(f, arch, "nextn_predict_layers", 0, &hp->n_nextn, name, err)) != OG_OK)
        return st;
    if (hp->n_nextn > n_layer_all)
        return og_error_set(err, OG_ERR_INVALID,
                            "%s: %s.nextn_predict_layers (%u) exceeds block_count (%u)", name, arch,
                            hp->n_nextn, n_layer_all);
    if ((st = get_u64(f, arch, "embedding_length", 0, &hp->n_embd, name, err)) != OG_OK ||
        (st = get_u64(f, arch, "context_length", 0, &hp->n_ctx_train, name, err)) != OG_OK)
        return st;

    uint64_t tmp[OG_MAX_LAYERS];
    int present;
    uint32_t nl = n_layer_all ? n_layer_all : 1;

    memset(tmp, 0, sizeof tmp);
    if ((st = get_per_layer(f, arch, "attention.head_count", nl, tmp, &present, name, err)) !=
        OG_OK)
        return st;
    for (uint32_t i = 0; i < nl; i++) {
        if (tmp[i] > UINT32_MAX)
            return og_error_set(err, OG_ERR_INVALID, "%s: head count out of range", name);
        hp->n_head[i] = (uint32_t)tmp[i];
    }
    for (uint32_t i = 0; i < nl; i++)
        tmp[i] = hp->n_head[i]; /* head_count_kv defaults to head_count */
    if ((st = get_per_layer(f, arch, "attention.head_count_kv", nl, tmp, &present, name, err)) !=
        OG_OK)
        return st;
    for (uint32_t i = 0; i < nl; i++) {
        if (tmp[i] > UINT32_MAX)
            return og_error_set(err, OG_ERR_INVALID, "%s: KV head count out of range", name);
        hp->n_head_kv[i] = (uint32_t)tmp[i];
    }
    memset(tmp, 0, sizeof tmp);
    if ((st = get_per_layer(f, arch, "feed_forward_length", nl, tmp, &present, name, err)) != OG_OK)
        return st;
    for (uint32_t i = 0; i < nl; i++)
        hp->n_ff[i] = tmp[i];
    memset(tmp, 0, sizeof tmp);
    if ((st = get_per_layer(f, arch, "expert_feed_forward_length", nl, tmp, &present, name, err)) !=
        OG_OK)
        return st;
    hp->n_ff_exp = tmp[0];
    if ((st = get_u64(f, arch, "expert_shared_feed_forward_length", 0, &hp->n_ff_shexp, name,
                      err)) != OG_OK ||
        (st = get_u32(f, arch, "expert_count", 0, &hp->n_expert, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "expert_shared_count", 0, &hp->n_expert_shared, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "leading_dense_block_count", 0, &hp->n_leading_dense, name, err)) !=
            OG_OK)
        return st;
    memset(tmp, 0, sizeof tmp);
    if ((st = get_per_layer(f, arch, "expert_used_count", nl, tmp, &present, name, err)) != OG_OK)
        return st;
    hp->n_expert_used = (uint32_t)tmp[0];

    uint32_t u;
    if ((st = get_u32(f, arch, "attention.key_length", 0, &hp->head_dim_k, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "attention.value_length", 0, &hp->head_dim_v, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "attention.key_length_swa", 0, &hp->head_dim_k_swa, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "attention.value_length_swa", 0, &hp->head_dim_v_swa, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "attention.sliding_window", 0, &hp->n_swa, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "attention.q_lora_rank", 0, &hp->q_lora_rank, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "attention.kv_lora_rank", 0, &hp->kv_lora_rank, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "attention.key_length_mla", 0, &hp->head_dim_k_mla, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "attention.value_length_mla", 0, &hp->head_dim_v_mla, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "attention.indexer.head_count", 0, &hp->indexer_n_head, name,
                      err)) != OG_OK ||
        (st = get_u32(f, arch, "attention.indexer.key_length", 0, &hp->indexer_head_dim, name,
                      err)) != OG_OK ||
        (st = get_u32(f, arch, "rope.dimension_count", 0, &hp->n_rot, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "ssm.conv_kernel", 0, &hp->ssm_d_conv, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "ssm.inner_size", 0, &hp->ssm_d_inner, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "ssm.state_size", 0, &hp->ssm_d_state, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "ssm.time_step_rank", 0, &hp->ssm_dt_rank, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "ssm.group_count", 0, &hp->ssm_n_group, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "shortconv.l_cache", 0, &hp->shortconv_l_cache, name, err)) !=
            OG_OK ||
        (st = get_u32(f, arch, "wkv.head_size", 0, &hp->wkv_head_size, name, err)) != OG_OK ||
        (st = get_u32(f, arch, "token_shift_count", 0, &hp->token_shift_count, name, err)) != OG_OK)
        return st;
    hp->is_mla = hp->head_dim_k_mla != 0 && hp->head_dim_v_mla != 0;

    u = 0;
    if ((st = get_u32(f, arch, "attention.shared_kv_layers", 0, &u, name, err)) != OG_OK)
        return st;
    hp->n_layer_kv_from_start = u < n_layer_all ? n_layer_all - u : 0;

    /* Vocabulary: {arch}.vocab_size, else the token list's length, else the
     * embedding matrix. The output tensor's rows are the logits width. */
    uint64_t vocab = 0;
    if ((st = get_u64(f, arch, "vocab_size", 0, &vocab, name, err)) != OG_OK)
        return st;
    if (!vocab) {
        kv = og_gguf_find(f, "tokenizer.ggml.tokens");
        if (kv && kv->type == GT_ARRAY)
            vocab = kv->arr_n;
    }
    const og_tensor *out = find_tensor(m, "output.weight");
    const og_tensor *emb = find_tensor(m, "token_embd.weight");
    if (out && out->n_dims >= 2)
        vocab = out->dims[1];
    else if (!vocab && emb && emb->n_dims >= 2)
        vocab = emb->dims[1];
    hp->n_vocab = vocab;
    hp->tied_embeddings = emb && !out;

    /* Sliding-window pattern: explicit per-layer bool array or a period. */
    kv = find_arch(f, arch, "attention.sliding_window_pattern");
    if (kv) {
        if (kv->type == GT_ARRAY) {
            if (kv->arr_n != nl || !kv->arr)
                return og_error_set(err, OG_ERR_INVALID,
                                    "%s: key '%s' has %llu entries, expected %u", name, kv->key,
                                    (unsigned long long)kv->arr_n, nl);
            for (uint32_t i = 0; i < nl; i++)
                hp->is_swa[i] = kv->arr[i].u != 0;
        } else if (is_scalar_int(kv)) {
            og_hparams_set_swa_pattern(hp, (uint32_t)kv->v.u, 0);
        }
        if (hp->swa_type == OG_SWA_NONE)
            hp->swa_type = OG_SWA_STANDARD;
    }

    /* Recurrent layers: explicit mask (Qwen3-Next family), or an interval. */
    kv = find_arch(f, arch, "attention.recurrent_layers");
    if (kv && kv->type == GT_ARRAY && kv->arr && kv->arr_n == nl) {
        for (uint32_t i = 0; i < nl; i++)
            hp->is_recurrent[i] = kv->arr[i].u != 0;
    }

    /* MoE layers from the file itself: a router tensor per MoE layer. */
    for (size_t i = 0; i < m->n_tensors; i++) {
        const char *tn = m->tensors[i].name;
        unsigned il;
        char rest[64];
        if (sscanf(tn, "blk.%u.%63s", &il, rest) == 2 && il < nl &&
            strcmp(rest, "ffn_gate_inp.weight") == 0)
            hp->is_moe[il] = 1;
    }

    og_gguf_arch_defaults(f, m);
    og_hparams_finish(hp);

    /* Parameters: every stored element. */
    uint64_t params = 0;
    for (size_t i = 0; i < m->n_tensors; i++)
        if (!og_add_u64(params, m->tensors[i].n_elements, &params))
            return og_error_set(err, OG_ERR_INVALID, "%s: parameter count overflows", name);
    m->n_params = params;

    if ((st = og_model_summarize(m, err)) != OG_OK)
        return st;
    og_model_guess_quant_label(m);
    return OG_OK;
}
