/* The user catalog file: `oomguard catalog add|list|remove`.
 *
 * og_catalog_entry_json() describes a model whose headers were read (a
 * Hugging Face repository through og_remote_open, or a local folder) as a
 * catalog entry in the schema of data/catalog.json: the hyper-parameters the
 * readers took from its config.json, the block details its tensor names show
 * (biases, q/k norms, post norms, router bias), and its parameter count as
 * the published total. og_catalog_user_add() checks the entry the way every
 * catalog file is checked (og_catalog_parse) and that the catalog's own
 * tensor list for it reproduces the repository's parameter count within 1 %,
 * then writes it into the user file (replacing an entry of the same name),
 * atomically. See docs/CATALOG.md "User entries". */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog_internal.h"
#include "og_internal.h"

og_status og_catalog_user_path(char *buf, size_t n, og_error *err)
{
    const char *env = getenv("OOMGUARD_CATALOG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(buf, n, "%s", env);
    else if (xdg && *xdg)
        snprintf(buf, n, "%s/oomguard/catalog.json", xdg);
    else if (home && *home)
        snprintf(buf, n, "%s/.config/oomguard/catalog.json", home);
    else
        return og_error_set(err, OG_ERR_NOT_FOUND,
                            "no user catalog location: set XDG_CONFIG_HOME, HOME or "
                            "OOMGUARD_CATALOG");
    return OG_OK;
}

/* A tensor whose name ends with suffix (HF "q_proj.bias" must not match
 * MLX's "q_proj.biases"). */
static int has_tensor(const og_model *m, const char *suffix)
{
    size_t ls = strlen(suffix);
    for (size_t i = 0; i < m->n_tensors; i++) {
        const char *n = m->tensors[i].name;
        size_t ln = n ? strlen(n) : 0;
        if (ln >= ls && !strcmp(n + ln - ls, suffix))
            return 1;
    }
    return 0;
}

/* Length of the first q-norm tensor (per head or the full width). */
static uint64_t q_norm_len(const og_model *m)
{
    for (size_t i = 0; i < m->n_tensors; i++) {
        const char *n = m->tensors[i].name;
        if (n && (strstr(n, "attn_q_norm.weight") || strstr(n, "self_attn.q_norm.weight") ||
                  strstr(n, "self_attn.q_layernorm.weight"))) /* lfm2.py */
            return m->tensors[i].n_elements;
    }
    return 0;
}

static void set_u(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* One number when every layer has the same value, else one per layer. */
static void set_per_layer(json_t *o, const char *k, const uint64_t *v, uint32_t n)
{
    uint32_t i = 1;
    while (i < n && v[i] == v[0])
        i++;
    if (i == n) {
        set_u(o, k, v[0]);
        return;
    }
    json_t *a = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    json_object_set_new(o, k, a);
}

/* The MoE layout as n_leading_dense + moe_step (llama.cpp llama4: (il + 1) %
 * step == 0), or 0 when the pattern cannot be written that way. */
static int moe_layout(const og_hparams *hp, uint32_t *lead, uint32_t *step)
{
    uint32_t nl = hp->n_layer, l = 0;
    while (l < nl && !hp->is_moe[l])
        l++;
    for (uint32_t s = 1; s <= 16; s++) {
        uint32_t i = 0;
        while (i < nl && hp->is_moe[i] == (i >= l && (i + 1) % s == 0))
            i++;
        if (i == nl) {
            *lead = l;
            *step = s;
            return 1;
        }
    }
    return 0;
}

/* The sliding-window layout as swa_pattern (llama.cpp set_swa_pattern), with
 * or without the dense layer first; 0 when it cannot be written that way. */
static int swa_layout(const og_hparams *hp, uint32_t *pat, int *dense_first)
{
    uint32_t nl = hp->n_layer;
    for (uint32_t p = 0; p <= 64; p++)
        for (int df = 0; df <= 1; df++) {
            uint32_t i = 0;
            for (; i < nl; i++) {
                int want = p == 0 ? 1 : df ? i % p != 0 : i % p < p - 1;
                if (hp->is_swa[i] != want)
                    break;
            }
            if (i == nl) {
                *pat = p;
                *dense_first = df;
                return 1;
            }
        }
    return 0;
}

og_status og_catalog_entry_json(const og_model *m, const char *name, const char *hf_repo,
                                char **json_out, og_error *err)
{
    *json_out = NULL;
    const og_hparams *hp = &m->hp;
    if (m->hparams_fallback || !hp->arch[0])
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s: the architecture is not known, so it cannot be described",
                            hf_repo);
    if (!og_catalog_arch_supported(hp->arch))
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s: architecture '%s' is not one the catalog can describe yet (one "
                            "of: %s); `oomguard fit %s` still sizes it directly",
                            hf_repo, hp->arch, og_catalog_arch_list(), hf_repo);
    uint32_t nl = hp->n_layer;
    for (uint32_t i = 1; i < nl; i++)
        if (hp->n_head[i] != hp->n_head[0])
            return og_error_set(err, OG_ERR_UNSUPPORTED,
                                "%s: the number of query heads changes from layer to layer, "
                                "which the catalog schema cannot describe",
                                hf_repo);
    json_t *o = json_object();
    const char *slash = strchr(hf_repo, '/');
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "display", json_string(slash ? slash + 1 : hf_repo));
    json_object_set_new(o, "family", json_string("Added by you"));
    char size[24];
    double b = (double)m->n_params / 1e9;
    if (b >= 1)
        snprintf(size, sizeof size, "%.*fB", b < 10 ? 1 : 0, b);
    else
        snprintf(size, sizeof size, "%.0fM", (double)m->n_params / 1e6);
    json_object_set_new(o, "size", json_string(size));
    if (strchr(hf_repo, '/'))
        json_object_set_new(o, "hf_repo", json_string(hf_repo));
    json_object_set_new(o, "arch", json_string(hp->arch));
    set_u(o, "n_layer", nl);
    if (hp->n_nextn)
        set_u(o, "n_nextn", hp->n_nextn);
    set_u(o, "n_embd", hp->n_embd);
    set_u(o, "n_head", hp->n_head[0]);
    /* per-layer arrays cover the NextN layers too (as parse_entry reads them) */
    uint32_t nall = hp->n_layer_all > nl ? hp->n_layer_all : nl;
    uint64_t v[OG_MAX_LAYERS];
    for (uint32_t i = 0; i < nall; i++)
        v[i] = hp->n_head_kv[i];
    if (!hp->is_mla)
        set_per_layer(o, "n_head_kv", v, nall);
    if (hp->is_mla) {
        set_u(o, "kv_lora_rank", hp->kv_lora_rank);
        if (hp->q_lora_rank)
            set_u(o, "q_lora_rank", hp->q_lora_rank);
        set_u(o, "qk_rope_head_dim", hp->n_rot);
        set_u(o, "qk_nope_head_dim", hp->head_dim_k_mla - hp->n_rot);
        set_u(o, "v_head_dim", hp->head_dim_v_mla);
        if (!strcmp(hp->arch, "deepseek32") && hp->indexer_head_dim) {
            set_u(o, "indexer_n_head", hp->indexer_n_head);
            set_u(o, "indexer_head_dim", hp->indexer_head_dim);
        }
    } else if (hp->head_dim_k == hp->head_dim_v) {
        set_u(o, "head_dim", hp->head_dim_k);
    } else {
        set_u(o, "head_dim_k", hp->head_dim_k);
        set_u(o, "head_dim_v", hp->head_dim_v);
    }
    int any_dense = 0;
    for (uint32_t i = 0; i < nall; i++) {
        v[i] = hp->is_moe[i] ? 0 : hp->n_ff[i];
        any_dense |= !hp->is_moe[i];
    }
    if (any_dense)
        set_per_layer(o, "n_ff", v, nall);
    set_u(o, "n_vocab", hp->n_vocab);
    set_u(o, "n_ctx_train", hp->n_ctx_train);
    json_object_set_new(o, "tied_embeddings", json_boolean(hp->tied_embeddings));
    if (hp->n_expert) {
        uint32_t lead = 0, step = 1;
        if (!moe_layout(hp, &lead, &step)) {
            json_decref(o);
            return og_error_set(err, OG_ERR_UNSUPPORTED,
                                "%s: its mixture-of-experts layers follow a pattern the catalog "
                                "schema cannot describe",
                                hf_repo);
        }
        set_u(o, "n_expert", hp->n_expert);
        set_u(o, "n_expert_used", hp->n_expert_used);
        set_u(o, "n_ff_exp", hp->n_ff_exp);
        if (hp->n_ff_shexp) {
            /* the schema's shared experts: how many and their total width */
            set_u(o, "n_expert_shared", hp->n_expert_shared ? hp->n_expert_shared : 1);
            set_u(o, "n_ff_shexp", hp->n_ff_shexp);
        }
        if (lead)
            set_u(o, "n_leading_dense", lead);
        if (step > 1)
            set_u(o, "moe_step", step);
    }
    if (hp->n_swa) {
        uint32_t pat = 0;
        int df = 0;
        if (!swa_layout(hp, &pat, &df)) {
            json_decref(o);
            return og_error_set(err, OG_ERR_UNSUPPORTED,
                                "%s: its sliding-window layers follow a pattern the catalog "
                                "schema cannot describe",
                                hf_repo);
        }
        set_u(o, "n_swa", hp->n_swa);
        if (pat)
            set_u(o, "swa_pattern", pat);
        if (df)
            json_object_set_new(o, "swa_dense_first", json_true());
        if (hp->swa_type == OG_SWA_CHUNKED)
            json_object_set_new(o, "swa_type", json_string("chunked"));
    }
    int gdn = !strcmp(hp->arch, "qwen3next") || !strcmp(hp->arch, "qwen35") ||
              !strcmp(hp->arch, "qwen35moe");
    if (gdn) {
        uint32_t fai = 0;
        for (uint32_t i = 0; i < nl && !fai; i++)
            if (!hp->is_recurrent[i])
                fai = i + 1;
        set_u(o, "full_attention_interval", fai ? fai : 4);
        set_u(o, "ssm_d_conv", hp->ssm_d_conv);
        set_u(o, "ssm_d_inner", hp->ssm_d_inner);
        set_u(o, "ssm_d_state", hp->ssm_d_state);
        set_u(o, "ssm_n_group", hp->ssm_n_group);
        set_u(o, "ssm_dt_rank", hp->ssm_dt_rank);
    }
    if (!strcmp(hp->arch, "lfm2") || !strcmp(hp->arch, "lfm2moe")) {
        /* short-convolution hybrids: the attention layers and the conv cache */
        json_t *al = json_array();
        for (uint32_t i = 0; i < nl; i++)
            if (!hp->is_recurrent[i])
                json_array_append_new(al, json_integer((json_int_t)i));
        json_object_set_new(o, "attn_layers", al);
        set_u(o, "shortconv_l_cache", hp->shortconv_l_cache);
    }
    /* block details the tensor names show (HF names and GGUF names) */
    if (!gdn && (has_tensor(m, "q_proj.bias") || has_tensor(m, "attn_q.bias")))
        json_object_set_new(o, "attn_bias", json_true());
    if (has_tensor(m, "o_proj.bias") || has_tensor(m, "attn_output.bias"))
        json_object_set_new(o, "attn_out_bias", json_true());
    uint64_t qn = q_norm_len(m);
    if (qn && !gdn)
        json_object_set_new(o, "qk_norm", json_string(qn > hp->head_dim_k ? "full" : "head"));
    if (has_tensor(m, "post_feedforward_layernorm.weight") || has_tensor(m, "post_ffw_norm.weight"))
        json_object_set_new(o, "post_norms", json_true());
    if (!gdn && (has_tensor(m, "qkv_proj.weight") || has_tensor(m, "attn_qkv.weight")))
        json_object_set_new(o, "fused_qkv", json_true());
    if (has_tensor(m, "e_score_correction_bias") || has_tensor(m, "exp_probs_b.bias") ||
        has_tensor(m, "feed_forward.expert_bias")) /* lfm2_moe.py */
        json_object_set_new(o, "expert_gating_bias", json_true());
    if (!strcmp(hp->arch, "gpt-oss"))
        json_object_set_new(o, "moe_bias", json_true());
    if (m->dtype[0] && (!strcmp(m->dtype, "bfloat16") || !strcmp(m->dtype, "float16") ||
                        !strcmp(m->dtype, "float32")))
        json_object_set_new(o, "torch_dtype", json_string(m->dtype));
    set_u(o, "params_published", m->n_params);
    char src[640], day[16];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(day, sizeof day, "%Y-%m-%d", &tmv);
    if (strchr(hf_repo, '/'))
        snprintf(src, sizeof src,
                 "https://huggingface.co/%s/blob/main/config.json; read by `oomguard catalog "
                 "add` on %s: config.json and %u file headers, %llu parameters",
                 hf_repo, day, m->n_files, (unsigned long long)m->n_params);
    else
        snprintf(src, sizeof src,
                 "%s (local folder); read by `oomguard catalog add` on %s: config.json and %u "
                 "file headers, %llu parameters",
                 m->path ? m->path : hf_repo, day, m->n_files, (unsigned long long)m->n_params);
    json_object_set_new(o, "source", json_string(src));
    *json_out = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!*json_out)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    return OG_OK;
}

/* Read the user file (or start an empty one) as a JSON document. */
static og_status read_user(const char *path, json_t **root, og_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT)
            return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(errno));
        *root = json_pack("{s:i, s:[]}", "schema", OG_CATALOG_SCHEMA_VERSION, "models");
        return *root ? OG_OK : og_error_set(err, OG_ERR_NOMEM, "out of memory");
    }
    fclose(f);
    /* the whole file must be a valid catalog before we change it */
    og_catalog_entry *es = NULL;
    uint32_t n = 0;
    og_status st = og_catalog_read_file(path, &es, &n, err);
    free(es);
    if (st != OG_OK)
        return st;
    json_error_t je;
    *root = json_load_file(path, 0, &je);
    if (!*root)
        return og_error_set(err, OG_ERR_INVALID, "%s: not valid JSON", path);
    return OG_OK;
}

static og_status write_user(const char *path, json_t *root, og_error *err)
{
    og_status st = og_mkdirs_parent(path, err);
    if (st != OG_OK)
        return st;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0) {
        unlink(tmp);
        return og_error_set(err, OG_ERR_IO, "%s: cannot write", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return og_error_set(err, OG_ERR_IO, "%s: %s", path, strerror(e));
    }
    return OG_OK;
}

static size_t find_name(json_t *models, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(models, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "name"));
        if (n && !og_strcasecmp(n, name))
            return i;
    }
    return (size_t)-1;
}

og_status og_catalog_user_add(const char *entry_json, og_catalog_entry *added, og_error *err)
{
    char path[1024];
    og_status st = og_catalog_user_path(path, sizeof path, err);
    if (st != OG_OK)
        return st;
    json_error_t je;
    json_t *e = json_loads(entry_json, 0, &je);
    if (!json_is_object(e)) {
        json_decref(e);
        return og_error_set(err, OG_ERR_INVALID, "entry: not a JSON object");
    }
    /* the entry alone must pass the checks every catalog file gets */
    json_t *one = json_pack("{s:i, s:[O]}", "schema", OG_CATALOG_SCHEMA_VERSION, "models", e);
    char *txt = json_dumps(one, 0);
    json_decref(one);
    og_catalog_entry *pe = NULL;
    uint32_t pn = 0;
    st = txt ? og_catalog_parse(txt, strlen(txt), "new entry", &pe, &pn, err)
             : og_error_set(err, OG_ERR_NOMEM, "out of memory");
    free(txt);
    json_t *root = NULL;
    if (st == OG_OK)
        st = read_user(path, &root, err);
    if (st == OG_OK) {
        json_t *models = json_object_get(root, "models");
        size_t at = find_name(models, pe[0].name);
        if (at != (size_t)-1)
            json_array_set(models, at, e);
        else
            json_array_append(models, e);
        st = write_user(path, root, err);
    }
    if (st == OG_OK && added) {
        *added = pe[0];
        og_strlcpy(added->origin, path, sizeof added->origin);
    }
    json_decref(root);
    json_decref(e);
    free(pe);
    return st;
}

og_status og_catalog_user_remove(const char *name, og_error *err)
{
    char path[1024];
    og_status st = og_catalog_user_path(path, sizeof path, err);
    if (st != OG_OK)
        return st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return og_error_set(err, OG_ERR_NOT_FOUND,
                            "'%s' is not in your catalog (%s does not exist)", name, path);
    fclose(f);
    json_t *root = NULL;
    if ((st = read_user(path, &root, err)) != OG_OK)
        return st;
    json_t *models = json_object_get(root, "models");
    size_t at = find_name(models, name);
    if (at == (size_t)-1)
        st = og_error_set(err, OG_ERR_NOT_FOUND, "'%s' is not in your catalog (%s)", name, path);
    else {
        json_array_remove(models, at);
        st = write_user(path, root, err);
    }
    json_decref(root);
    return st;
}
