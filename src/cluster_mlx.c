/* MLX distributed: one model over several Macs with `mlx.launch` and
 * mlx-lm's sharded_load (og_cluster_plan_mlx).
 *
 * From source only (no Mac was available): mlx-lm 0.32.0 (ml-explore/mlx-lm
 * d78bf58, 2026-08-22) and MLX 0.32.2 (ml-explore/mlx 846d176, 2026-08-22).
 *
 * mlx_lm/utils.py sharded_load: the model is loaded lazily; a tensor group
 * calls model.shard(group), a pipeline group model.model.pipeline(group);
 * with neither given, tensor parallelism when the model has shard(), else
 * pipelining. mlx_lm/server.py (and chat.py, benchmark.py,
 * examples/sharded_generate.py): `--pipeline` picks pipelining, else tensor
 * parallelism; mlx_lm.generate has no distributed mode.
 *
 * Pipeline (mlx_lm/models/pipeline.py PipelineMixin.pipeline, used by
 * deepseek_v2/v3/v32, glm4_moe, glm4_moe_lite, ministral3, qwen3_5): the
 * layers are split in reverse, rank 0 gets the last ones; with n layers over
 * N ranks, ranks r < n % N get one more. mlx-lm 0.32.0 computes the start
 * of a rank from its own count, which drops layers when N does not divide n
 * (mlx-lm issue 1688; fixed by PR 1816, 2026-09-02: start = the counts of
 * ranks r+1 .. N-1). The plan follows the fixed rule and says so. Every rank
 * keeps embed_tokens, the final norm and lm_head (only the layers are
 * replaced by None), runs the embedding, receives h from rank + 1
 * (recv_like), sends it to rank - 1, all_gathers h and computes the logits
 * (deepseek_v3.py DeepseekV3Model.__call__, Model.__call__); its caches
 * cover its own layers (Model.layers is pipeline_layers). sharded_load
 * downloads only the safetensors files of a rank's weights.
 *
 * Tensor parallel (the models' shard(), e.g. llama.py Model.shard;
 * mlx/python/mlx/nn/layers/distributed.py shard_linear / shard_inplace):
 * q/k/v, gate/up ("all-to-sharded": the output axis split N ways) and o/down
 * ("sharded-to-all": the input axis) on every layer; n_heads and n_kv_heads
 * divided by N, so each rank holds 1/N of the KV cache; MoE experts split
 * along their width, all experts on every rank; MLA (deepseek_v3.py shard)
 * splits the query heads but keeps the latent cache whole on every rank.
 * Embeddings, lm_head and norms are replicated. _shard splits with mx.split
 * into N equal parts, so the split axes must divide by N (and a quantized
 * input axis by N x group). Every rank downloads the whole model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"
#include "oomguard/cluster.h"
#include "oomguard/units.h"
#include "og_internal.h"

/* The mlx_lm/models files that define pipeline() (PipelineMixin or their own),
 * as llama.cpp architecture names (src/hf_arch_table.h): deepseek_v2,
 * deepseek_v3, glm4_moe_lite (deepseek2), deepseek_v32, glm4_moe,
 * ministral3 (mistral3), qwen3_5 / qwen3_5_moe. */
int og_mlx_can_pipeline(const og_model *m)
{
    static const char *const a[] = {"deepseek2", "deepseek32", "glm4moe",
                                    "mistral3",  "qwen35",     "qwen35moe"};
    for (size_t i = 0; m && i < sizeof a / sizeof a[0]; i++)
        if (!strcmp(m->hp.arch, a[i]))
            return 1;
    return 0;
}

/* The mlx_lm/models files that define shard(): llama (dense; Mixtral has its own
 * file without one), qwen2, qwen3, deepseek_v2/v3/v32, kimi_k25 and
 * glm4_moe_lite (deepseek2), exaone_moe, glm4_moe, gpt_oss, minimax,
 * ministral3, qwen3_5, step3p5. */
int og_mlx_can_shard(const og_model *m)
{
    static const char *const a[] = {"qwen2",      "qwen3",   "deepseek2", "deepseek32",
                                    "exaone-moe", "glm4moe", "gpt-oss",   "minimax-m2",
                                    "mistral3",   "qwen35",  "qwen35moe", "step35"};
    if (!m)
        return 0;
    if (!strcmp(m->hp.arch, "llama"))
        return m->hp.n_expert == 0;
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        if (!strcmp(m->hp.arch, a[i]))
            return 1;
    return 0;
}

/* The decoder layer a tensor belongs to ("model.layers.12.", "blk.12."),
 * or -1 (embeddings, norm, head; vision/audio towers and the like). */
static long layer_of(const char *name)
{
    if (!name || strstr(name, "vision") || strstr(name, "visual") || strstr(name, "audio"))
        return -1;
    const char *p = strstr(name, "layers.");
    size_t skip = 7;
    if (!p || (p != name && p[-1] != '.')) {
        p = strncmp(name, "blk.", 4) == 0 ? name : NULL;
        skip = 4;
    }
    if (!p)
        return -1;
    p += skip;
    if (*p < '0' || *p > '9')
        return -1;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    return *end == '.' && v < (1ul << 20) ? (long)v : -1;
}

static int has(const char *name, const char *part)
{
    return strstr(name, part) != NULL;
}

/* One tensor as shard() leaves it on a rank (safetensors / MLX row-major
 * dims): all-to-sharded splits axis max(ndim - 2, 0) (a 1-D bias its only
 * axis), sharded-to-all the last axis (its bias stays whole), shard_heads
 * (MLA embed_q / unembed_out) the first. Other tensors are replicated. */
static void shard_tensor(og_tensor *t, uint32_t N)
{
    const char *n = t->name ? t->name : "";
    int bias = strlen(n) > 5 && !strcmp(n + strlen(n) - 5, ".bias");
    int axis = -1;
    if (has(n, "o_proj.") || has(n, "down_proj.") || has(n, "out_proj.")) {
        if (bias)
            return;
        axis = (int)t->n_dims - 1;
    } else if (has(n, "embed_q.") || has(n, "unembed_out.")) {
        axis = 0;
    } else if (has(n, "q_proj.") || has(n, "k_proj.") || has(n, "v_proj.") || has(n, "q_b_proj.") ||
               has(n, "gate_proj.") || has(n, "up_proj.") || has(n, "in_proj_")) {
        axis = bias || t->n_dims < 2 ? 0 : (t->n_dims >= 3 ? (int)t->n_dims - 2 : 0);
    }
    if (axis < 0 || t->n_dims == 0 || (uint32_t)axis >= t->n_dims || t->dims[axis] < N)
        return;
    t->dims[axis] /= N;
    t->n_elements /= N;
    t->bytes /= N;
}

/* Rank's share of the model: layers [first, first + count) and, for tensor
 * parallelism, 1/tp of the sharded modules. A shallow copy of m whose
 * tensor array (returned in *tbuf, to free) is the rank's own; the copy is
 * never passed to og_model_free. */
static og_status derive(const og_model *m, uint32_t first, uint32_t count, uint32_t tp, og_model *d,
                        og_tensor **tbuf, og_error *err)
{
    *d = *m;
    *tbuf = calloc(m->n_tensors ? m->n_tensors : 1, sizeof **tbuf);
    if (!*tbuf)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    size_t k = 0;
    uint64_t wb = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        long li = layer_of(m->tensors[i].name);
        if (li >= 0 && ((uint64_t)li < first || (uint64_t)li >= (uint64_t)first + count))
            continue; /* another rank's layer, or an MTP layer mlx-lm drops */
        (*tbuf)[k] = m->tensors[i];
        if (tp > 1 && m->format != OG_FORMAT_GGUF)
            shard_tensor(&(*tbuf)[k], tp);
        wb += (*tbuf)[k].bytes;
        k++;
    }
    d->tensors = *tbuf;
    d->n_tensors = k;
    d->weight_bytes = wb;
    og_hparams *hp = &d->hp;
    if (first) {
        size_t rest = OG_MAX_LAYERS - first;
        memmove(hp->n_head, hp->n_head + first, rest * sizeof hp->n_head[0]);
        memmove(hp->n_head_kv, hp->n_head_kv + first, rest * sizeof hp->n_head_kv[0]);
        memmove(hp->n_ff, hp->n_ff + first, rest * sizeof hp->n_ff[0]);
        memmove(hp->is_recurrent, hp->is_recurrent + first, rest);
        memmove(hp->is_swa, hp->is_swa + first, rest);
        memmove(hp->is_moe, hp->is_moe + first, rest);
    }
    hp->n_layer = hp->n_layer_all = count;
    hp->n_nextn = 0;
    hp->n_leading_dense = hp->n_leading_dense > first ? hp->n_leading_dense - first : 0;
    if (hp->n_leading_dense > count)
        hp->n_leading_dense = count;
    if (hp->n_layer_kv_from_start)
        hp->n_layer_kv_from_start =
            hp->n_layer_kv_from_start > first ? hp->n_layer_kv_from_start - first : 1;
    if (tp > 1) {
        for (uint32_t i = 0; i < count; i++) {
            hp->n_head[i] /= tp;
            /* qwen3_5.py shard repeats the KV heads when there are fewer
             * than ranks: one per rank */
            hp->n_head_kv[i] =
                hp->n_head_kv[i] >= tp ? hp->n_head_kv[i] / tp : (hp->n_head_kv[i] ? 1 : 0);
            hp->n_ff[i] /= tp;
        }
        hp->n_ff_exp /= tp;
        hp->n_ff_shexp /= tp;
        /* qwen3_5.py shard: the linear attention's heads, key and value dims */
        hp->ssm_d_inner /= tp;
        if (hp->ssm_n_group >= tp)
            hp->ssm_n_group /= tp;
        if (hp->ssm_dt_rank >= tp)
            hp->ssm_dt_rank /= tp;
    }
    return OG_OK;
}

/* Why mlx-lm's shard() cannot split this model N ways (mx.split needs equal
 * parts; n_kv_heads //= N must stay whole), or NULL. */
static const char *tp_blocker(const og_model *m, uint32_t N, char *buf, size_t n)
{
    const og_hparams *hp = &m->hp;
    int qwen35 = !strncmp(hp->arch, "qwen35", 6);
    for (uint32_t i = 0; i < hp->n_layer && i < OG_MAX_LAYERS; i++) {
        if (hp->is_recurrent[i])
            continue;
        if (hp->n_head[i] % N) {
            snprintf(buf, n, "%u attention heads do not split into %u equal parts", hp->n_head[i],
                     N);
            return buf;
        }
        uint32_t kv = hp->n_head_kv[i];
        if (!hp->is_mla && kv && kv % N && !(qwen35 && N % kv == 0)) {
            snprintf(buf, n, "%u KV heads do not split into %u equal parts", kv, N);
            return buf;
        }
        if (hp->n_ff[i] % N) {
            snprintf(buf, n, "the FFN width %llu does not split into %u equal parts",
                     (unsigned long long)hp->n_ff[i], N);
            return buf;
        }
    }
    if (hp->n_ff_exp % N) {
        snprintf(buf, n, "the expert width %llu does not split into %u equal parts",
                 (unsigned long long)hp->n_ff_exp, N);
        return buf;
    }
    return NULL;
}

static og_fit_verdict from_mlx(og_mlx_verdict v)
{
    return v == OG_MLX_FITS ? OG_FIT_FITS : v == OG_MLX_TIGHT ? OG_FIT_TIGHT : OG_FIT_NO;
}

og_status og_cluster_plan_mlx(const og_model *m, const og_mlx_settings *settings, int pipeline,
                              const og_machine *const *hosts, const char *const *names, uint32_t n,
                              og_cluster_plan *out, og_error *err)
{
    if (!m || !hosts || !out || n < 1 || n > OG_CLUSTER_MAX_HOSTS)
        return og_error_set(err, OG_ERR_INVALID, "a cluster needs 1 to %d hosts",
                            OG_CLUSTER_MAX_HOSTS);
    memset(out, 0, sizeof *out);
    out->n_hosts = n;
    out->mlx_pipeline = pipeline != 0;
    out->feasible = 1;
    og_mlx_settings s;
    if (settings)
        s = *settings;
    else
        og_mlx_settings_default(&s);
    uint32_t nl = m->hp.n_layer ? m->hp.n_layer : m->hp.n_layer_all;
    if (!nl || nl > OG_MAX_LAYERS)
        return og_error_set(err, OG_ERR_INVALID, "%s: no layer count: cannot shard it",
                            m->path ? m->path : "model");
    for (uint32_t k = 0; k < n; k++) {
        og_strlcpy(out->host[k].name, names && names[k] ? names[k] : "host",
                   sizeof out->host[0].name);
        out->host[k].rank = k;
        out->host[k].verdict = OG_FIT_NO;
    }
    char why[160];
    if (pipeline && !og_mlx_can_pipeline(m)) {
        out->feasible = 0;
        og_cluster_note(
            out,
            "mlx-lm 0.32.0 has no pipeline() for %s: sharded_load raises 'The model does not "
            "support pipelining'",
            m->hp.arch);
    } else if (!pipeline && !og_mlx_can_shard(m)) {
        out->feasible = 0;
        og_cluster_note(
            out,
            "mlx-lm 0.32.0 has no shard() for %s: sharded_load raises 'The model does not "
            "support tensor parallelism'",
            m->hp.arch);
    } else if (pipeline && n > nl) {
        out->feasible = 0;
        og_cluster_note(out, "%u ranks for %u layers: a rank would hold none", n, nl);
    } else if (!pipeline && n > 1 && tp_blocker(m, n, why, sizeof why)) {
        out->feasible = 0;
        og_cluster_note(out, "shard() over %u ranks fails: %s (mx.split needs equal parts)", n,
                        why);
    }
    out->verdict = OG_FIT_NO;
    out->worst_host = 0;

    /* layers per rank (pipeline.py, with PR 1816's start; rank 0 = last) */
    uint32_t cnt[OG_CLUSTER_MAX_HOSTS], first[OG_CLUSTER_MAX_HOSTS];
    for (uint32_t r = 0; r < n; r++) {
        cnt[r] = pipeline ? nl / n + (r < nl % n) : nl;
        first[r] = 0;
    }
    if (pipeline)
        for (uint32_t r = 0; r < n; r++)
            for (uint32_t q = r + 1; q < n; q++)
                first[r] += cnt[q];
    if (pipeline && nl % n)
        og_cluster_note(
            out,
            "%u layers over %u ranks: mlx-lm 0.32.0's PipelineMixin drops layers when the "
            "count does not divide (issue 1688); planned with the fix of PR 1816 (mlx-lm "
            "after 2026-09-02): the first %u rank%s hold%s one layer more; list the larger "
            "Macs first",
            nl, n, nl % n, nl % n == 1 ? "" : "s", nl % n == 1 ? "s" : "");

    og_mlx_plan_result *pr = malloc(sizeof *pr);
    if (!pr)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    char b1[32], b2[32];
    uint64_t max_ctx = UINT64_MAX;
    int worst_set = 0;
    for (uint32_t k = 0; k < n && out->feasible; k++) {
        og_cluster_host_plan *h = &out->host[k];
        og_model d;
        og_tensor *tb = NULL;
        og_status st = derive(m, first[k], cnt[k], pipeline ? 1 : n, &d, &tb, err);
        if (st == OG_OK)
            st = og_mlx_plan(&d, &s, pr, err);
        og_budget b;
        og_machine_budget(hosts[k], &b);
        if (st == OG_OK)
            st = og_mlx_judge(&d, pr, hosts[k], &b, err);
        free(tb);
        if (st != OG_OK) {
            free(pr);
            return st;
        }
        h->layers = cnt[k];
        h->first_layer = first[k];
        h->holds_embeddings = h->holds_output = 1; /* every rank, both modes */
        h->weights_bytes = pr->weights_bytes;
        h->kv_bytes = pr->kv_bytes;
        h->need_bytes = pr->peak_bytes;
        if (pipeline && n > 1) {
            /* recv_like h [B, S, E] and all_gather(h) [N x B, S, E] of the
             * peak chunk (deepseek_v3.py DeepseekV3Model.__call__) */
            uint64_t hb = pr->peak_chunk_tokens * pr->settings.batch * m->hp.n_embd *
                          (pr->dtype_bytes ? pr->dtype_bytes : 2);
            h->need_bytes += (n + 1) * hb;
        }
        h->compute_bytes = h->need_bytes > h->weights_bytes + h->kv_bytes
                               ? h->need_bytes - h->weights_bytes - h->kv_bytes
                               : 0;
        h->usable_bytes = b.gpu_bytes;
        h->margin_bytes = (int64_t)h->usable_bytes - (int64_t)h->need_bytes;
        og_mlx_verdict v = pr->verdict;
        if (v != OG_MLX_NO_FIT && b.gpu_bytes && h->need_bytes > b.gpu_bytes)
            v = OG_MLX_NO_FIT; /* the pipeline buffers pushed it over */
        h->verdict = b.gpu_bytes ? from_mlx(v) : OG_FIT_NO;
        if (!b.unified)
            og_cluster_note(out, "%s is not a Mac: this plan follows MLX's Metal backend", h->name);
        if (pr->weights_warning)
            og_cluster_note(
                out,
                "%s: its weights (%s) pass 0.9 x its recommended working set (%s): mlx-lm "
                "warns; raise iogpu.wired_limit_mb there",
                h->name, og_format_bytes(pr->weights_bytes, b1, sizeof b1),
                og_format_bytes(pr->working_set_bytes, b2, sizeof b2));
        if (pr->buffer_too_large)
            og_cluster_note(out, "%s: %s (%s) is over its maxBufferLength", h->name,
                            pr->largest_buffer,
                            og_format_bytes(pr->largest_buffer_bytes, b1, sizeof b1));
        if (pr->max_ctx < max_ctx)
            max_ctx = pr->max_ctx;
        out->n_ctx = (uint32_t)(pr->settings.ctx > UINT32_MAX ? UINT32_MAX : pr->settings.ctx);
        if (pipeline)
            snprintf(h->command, sizeof h->command,
                     "rank %u: layers %u-%u of %u, plus embeddings and lm_head (%s of weights "
                     "to download)",
                     k, first[k], first[k] + cnt[k] - 1, nl,
                     og_format_bytes(pr->weights_data_bytes, b1, sizeof b1));
        else
            snprintf(h->command, sizeof h->command,
                     "rank %u: 1/%u of every layer's heads and FFN, embeddings and lm_head whole "
                     "(downloads the whole model)",
                     k, n);
        if (!worst_set || h->verdict > out->verdict) {
            out->verdict = h->verdict;
            out->worst_host = (int)k;
            worst_set = 1;
        }
    }
    free(pr);
    out->max_ctx = out->feasible && max_ctx != UINT64_MAX ? max_ctx : 0;
    out->n_hops = n > 1 ? (pipeline ? n : 2 * m->hp.n_layer) : 0;
    out->hop_bytes_per_token = 2ull * m->hp.n_embd; /* one bf16 hidden state */

    /* the hostfile (mlx/python/mlx/_distributed_utils/common.py Hostfile:
     * {"backend", "envs", "hosts": [{"ssh", "ips"}]}, rank = position) */
    size_t o = 0, cap = sizeof out->hostfile;
    o += (size_t)snprintf(out->hostfile, cap, "{\"backend\": \"ring\", \"hosts\": [");
    for (uint32_t k = 0; k < n && o < cap; k++) {
        /* the snapshot's host name, else the name given without a folder
         * or ".json" (a preset's name stands for the Mac) */
        char hn[64];
        const char *base = strrchr(out->host[k].name, '/');
        og_strlcpy(hn,
                   hosts[k]->hostname[0] ? hosts[k]->hostname
                   : base                ? base + 1
                                         : out->host[k].name,
                   sizeof hn);
        size_t hl = strlen(hn);
        if (hl > 5 && !strcmp(hn + hl - 5, ".json"))
            hn[hl - 5] = '\0';
        for (char *c = hn; *c; c++)
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                *c = '_';
        o += (size_t)snprintf(out->hostfile + o, cap - o, "%s{\"ssh\": \"%s\", \"ips\": [\"%s\"]}",
                              k ? ", " : "", hn, hn);
    }
    if (o < cap)
        snprintf(out->hostfile + o, cap - o, "]}");
    snprintf(out->server_command, sizeof out->server_command,
             "mlx.launch --hostfile hosts.json --backend ring -- mlx_lm.server --model %s%s",
             m->path ? m->path : "MODEL", pipeline ? " --pipeline" : "");
    if (out->feasible && n > 1) {
        if (pipeline)
            og_cluster_note(
                out,
                "pipeline: each token passes the %u ranks in turn (rank %u holds the first "
                "layers, rank 0 the last) and rank 0's hidden state is all_gathered to all: "
                "the slowest link gates every token",
                n, n - 1);
        else
            og_cluster_note(
                out,
                "tensor parallel: two all_sum of one hidden state per layer and token (%u per "
                "token): latency-bound; Thunderbolt (ring or jaccl) rather than Ethernet",
                out->n_hops);
    }
    og_cluster_note(
        out,
        "derived from mlx-lm 0.32.0 / MLX 0.32.2 source; not run on a Mac. Hostfile \"ips\" are "
        "the host names given: put each Mac's address on the link you use");
    return OG_OK;
}
