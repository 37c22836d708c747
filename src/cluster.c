/* Several machines for one model: llama.cpp RPC and exo (og_cluster_plan_*).
 *
 * llama.cpp 2026-09-12: src/llama.cpp llama_model_load_from_file_impl puts
 * RPC devices at the front of the device list ("to minimize network
 * transfers") and the local GPUs after them; src/llama-model.cpp
 * load_tensors keeps the input layer (token_embd) on the local CPU and gives
 * the output layer to the last device; common/fit.cpp writes -ts across all
 * of them. tools/rpc/rpc-server.cpp serves a host's devices (-c caches the
 * weights it receives on its disk).
 *
 * exo (exo-explore/exo, exo/topology/ring_memory_weighted_partitioning_strategy.py
 * and partitioning_strategy.py map_partitions_to_shards): nodes sorted by
 * memory (largest first), node i gets the fraction [start, end) of the
 * layers with end = round(start + memory_i / total, 5) (the last ends at
 * 1.0), layers int(start * n) .. int(end * n) - 1; the memory check compares
 * the model's weights with the nodes' memory only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"
#include "oomguard/cluster.h"
#include "oomguard/fit.h"
#include "oomguard/units.h"
#include "og_internal.h"

void og_cluster_note(og_cluster_plan *p, const char *fmt, ...)
{
    if (p->n_notes >= sizeof p->notes / sizeof p->notes[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

void og_cluster_plan_free(og_cluster_plan *p)
{
    if (p) {
        free(p->fit);
        p->fit = NULL;
    }
}

static og_fit_verdict judge(int64_t margin, uint64_t usable)
{
    uint64_t slack = usable / 20 > (512ull << 20) ? usable / 20 : (512ull << 20);
    return margin < 0 ? OG_FIT_NO : (uint64_t)margin < slack ? OG_FIT_TIGHT : OG_FIT_FITS;
}

static void worst(og_cluster_plan *p)
{
    p->verdict = OG_FIT_FITS;
    for (uint32_t h = 0; h < p->n_hosts; h++)
        if (p->host[h].verdict > p->verdict || (int)h == 0) {
            if (p->host[h].verdict >= p->verdict) {
                p->verdict = p->host[h].verdict;
                p->worst_host = (int)h;
            }
        }
}

/* The arguments both planners take; out cleared. */
static og_status start(const og_model *m, const og_llama_settings *s0,
                       const og_machine *const *hosts, uint32_t n, og_cluster_plan *out,
                       og_error *err)
{
    if (!m || !s0 || !hosts || !out || n < 1 || n > OG_CLUSTER_MAX_HOSTS)
        return og_error_set(err, OG_ERR_INVALID, "a cluster needs 1 to %d hosts",
                            OG_CLUSTER_MAX_HOSTS);
    memset(out, 0, sizeof *out);
    out->n_hosts = n;
    return OG_OK;
}

og_status og_cluster_plan_rpc(const og_model *m, const og_llama_settings *s0,
                              const og_machine *const *hosts, const char *const *names, uint32_t n,
                              og_cluster_plan *out, og_error *err)
{
    og_status st0 = start(m, s0, hosts, n, out, err);
    if (st0 != OG_OK)
        return st0;
    og_fitp_input in;
    memset(&in, 0, sizeof in);
    uint32_t dev_host[OG_LLAMA_MAX_DEVICES];
    uint64_t dev_usable[OG_LLAMA_MAX_DEVICES];
    og_budget b[OG_CLUSTER_MAX_HOSTS];
    for (uint32_t k = 0; k < n; k++) {
        og_machine_budget(hosts[k], &b[k]);
        og_strlcpy(out->host[k].name, names && names[k] ? names[k] : "host",
                   sizeof out->host[0].name);
    }
    /* device order: the RPC hosts in the order given, then the llama-server host */
    for (uint32_t o = 0; o < n; o++) {
        uint32_t k = o + 1 < n ? o + 1 : 0;
        og_cluster_host_plan *hp = &out->host[k];
        hp->main_host = k == 0;
        hp->first_device = in.n_devices;
        for (uint32_t i = 0; i < b[k].n_devices; i++) {
            if (!b[k].devices[i].total_bytes)
                continue;
            if (in.n_devices >= OG_LLAMA_MAX_DEVICES)
                return og_error_set(err, OG_ERR_INVALID,
                                    "more than %d devices in the cluster (llama.cpp's maximum)",
                                    OG_LLAMA_MAX_DEVICES);
            dev_host[in.n_devices] = k;
            dev_usable[in.n_devices] = b[k].devices[i].usable_bytes;
            in.free_bytes[in.n_devices++] = b[k].devices[i].free_bytes;
            hp->n_devices++;
        }
        if (!hp->n_devices && k != 0) {
            /* rpc-server on the CPU backend: the device is the host's RAM,
             * reported as its total (ggml-cpu device memory) */
            if (in.n_devices >= OG_LLAMA_MAX_DEVICES)
                return og_error_set(err, OG_ERR_INVALID, "too many devices");
            dev_host[in.n_devices] = k;
            dev_usable[in.n_devices] = b[k].host_bytes;
            in.free_bytes[in.n_devices++] = hosts[k]->ram_bytes;
            hp->n_devices = 1;
        }
    }
    if (!in.n_devices)
        return og_error_set(err, OG_ERR_INVALID, "no device in the cluster");
    og_llama_settings s = *s0;
    s.backend = og_machine_backend(hosts[0]);
    int cpu_remote = 0;
    for (uint32_t k = 1; k < n; k++)
        cpu_remote |= og_machine_backend(hosts[k]) == OG_BACKEND_CPU;
    if (s.backend == OG_BACKEND_CPU || cpu_remote)
        s.backend = OG_BACKEND_RPC;
    out->fit = calloc(1, sizeof *out->fit);
    if (!out->fit)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    og_status st = og_llama_fit_params(m, &s, &in, out->fit, err);
    if (st != OG_OK)
        return st;
    og_llama_memplan *p = calloc(1, sizeof *p);
    if (!p)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    st = og_llama_plan(m, &out->fit->settings, p, err);
    if (st != OG_OK) {
        free(p);
        return st;
    }
    out->n_ctx = p->n_ctx;
    for (uint32_t d = 0; d < in.n_devices && d < p->n_devices; d++) {
        og_cluster_host_plan *hp = &out->host[dev_host[d]];
        hp->layers += p->dev_layers[d];
        hp->weights_bytes += p->dev_model[d];
        hp->kv_bytes += p->dev_context[d];
        hp->compute_bytes += p->dev_compute[d];
        hp->usable_bytes += dev_usable[d];
        if ((int)d == p->output_device)
            hp->holds_output = 1;
    }
    out->host[0].holds_embeddings = 1;
    if (p->output_device < 0)
        out->host[0].holds_output = 1;
    out->host[0].host_ram_bytes = p->host_bytes;
    /* hops: host changes along the layer order, plus the way back to the
     * llama-server host with the logits */
    int prev = -1;
    for (uint32_t d = 0; d < in.n_devices && d < p->n_devices; d++) {
        if (!p->dev_layers[d])
            continue;
        if (prev >= 0 && (uint32_t)prev != dev_host[d])
            out->n_hops++;
        prev = (int)dev_host[d];
    }
    if (prev > 0)
        out->n_hops++;
    out->hop_bytes_per_token = 4ull * m->hp.n_embd;
    out->hop_bytes_per_ubatch = 4ull * m->hp.n_embd * p->n_ubatch;
    char buf[32], buf2[32];
    size_t o = 0, cap = sizeof out->server_command;
    o += (size_t)snprintf(out->server_command, cap, "llama-server -m %s",
                          m->path ? m->path : "MODEL");
    if (n > 1) {
        o += (size_t)snprintf(out->server_command + o, cap - o, " --rpc ");
        for (uint32_t k = 1; k < n && o < cap; k++)
            o += (size_t)snprintf(out->server_command + o, cap - o, "%s%s:50052", k > 1 ? "," : "",
                                  out->host[k].name);
    }
    size_t al = strlen(out->fit->args);
    if (o + al + 2 < cap) {
        out->server_command[o++] = ' ';
        memcpy(out->server_command + o, out->fit->args, al + 1);
    }
    for (uint32_t k = 0; k < n; k++) {
        og_cluster_host_plan *hp = &out->host[k];
        hp->need_bytes = hp->weights_bytes + hp->kv_bytes + hp->compute_bytes;
        hp->margin_bytes = (int64_t)hp->usable_bytes - (int64_t)hp->need_bytes;
        hp->verdict = judge(hp->margin_bytes, hp->usable_bytes);
        if (k == 0 && hp->host_ram_bytes) {
            /* the llama-server host also holds the host-side buffers */
            int64_t hm = (int64_t)b[0].host_bytes - (int64_t)hp->host_ram_bytes;
            if (b[0].unified || !hp->n_devices) {
                /* one pool, or no device at all (a CPU-only llama-server host:
                 * the layers are on the servers, the host-side buffers in RAM) */
                hp->need_bytes += hp->host_ram_bytes;
                hp->usable_bytes = b[0].host_bytes;
                hp->margin_bytes = (int64_t)hp->usable_bytes - (int64_t)hp->need_bytes;
                hp->verdict = judge(hp->margin_bytes, hp->usable_bytes);
            } else if (judge(hm, b[0].host_bytes) > hp->verdict) {
                hp->verdict = judge(hm, b[0].host_bytes);
                if (hm < hp->margin_bytes)
                    hp->margin_bytes = hm;
            }
        }
        if (k > 0) {
            char hn[sizeof hp->name];
            og_strlcpy(hn, hp->name, sizeof hn); /* not the struct being written */
            hp->load_transfer_bytes = hp->weights_bytes;
            snprintf(hp->command, sizeof hp->command,
                     "rpc-server -H 0.0.0.0 -p 50052 -c   # on %s: serves %u device%s, %s of "
                     "weights arrive over the network at load (-c caches them)",
                     hn, hp->n_devices, hp->n_devices == 1 ? "" : "s",
                     og_format_bytes(hp->weights_bytes, buf, sizeof buf));
        } else
            og_strlcpy(hp->command, "llama-server: the command below", sizeof hp->command);
    }
    worst(out);
    og_cluster_note(
        out,
        "network-bound: generating a token moves %s of activations across each of the %u host "
        "boundaries (relayed through %s); a %u-token prompt micro-batch moves %s per boundary",
        og_format_bytes(out->hop_bytes_per_token, buf, sizeof buf), out->n_hops, out->host[0].name,
        p->n_ubatch, og_format_bytes(out->hop_bytes_per_ubatch, buf2, sizeof buf2));
    og_cluster_note(out,
                    "link speeds are not in the snapshots: the slowest link is the slowest network "
                    "path from %s to the other hosts; every hop waits for it",
                    out->host[0].name);
    og_cluster_note(
        out,
        "compute buffers of every device follow the %s rules; a remote host running another "
        "backend under rpc-server holds somewhat different buffers",
        og_backend_name(s.backend));
    free(p);
    return OG_OK;
}

og_status og_cluster_plan_exo(const og_model *m, const og_llama_settings *s0,
                              const og_machine *const *hosts, const char *const *names, uint32_t n,
                              og_cluster_plan *out, og_error *err)
{
    og_status st0 = start(m, s0, hosts, n, out, err);
    if (st0 != OG_OK)
        return st0;
    const og_hparams *hp = &m->hp;
    uint32_t nl = hp->n_layer;
    if (!nl)
        return og_error_set(err, OG_ERR_INVALID, "the model has no layers");
    /* weights per layer, the embeddings and the head (exo's first shard
     * loads the embeddings, its last the final norm and the head) */
    uint64_t *lw = calloc(nl, sizeof *lw);
    if (!lw)
        return og_error_set(err, OG_ERR_NOMEM, "out of memory");
    uint64_t emb = 0, head = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const og_tensor *t = &m->tensors[i];
        unsigned il;
        if (sscanf(t->name, "blk.%u.", &il) == 1 && il < nl)
            lw[il] += t->bytes;
        else if (strstr(t->name, "token_embd"))
            emb += t->bytes;
        else
            head += t->bytes;
    }
    if (hp->tied_embeddings)
        head += emb;
    /* the per-layer KV and the compute of one plan of the whole model */
    og_llama_settings s = *s0;
    s.backend = OG_BACKEND_CPU;
    s.n_devices = 0;
    og_llama_memplan p;
    og_status st = og_llama_plan(m, &s, &p, err);
    if (st != OG_OK) {
        free(lw);
        return st;
    }
    out->n_ctx = p.n_ctx;
    uint64_t kv_layer = p.n_kv_layers ? p.component_bytes[OG_COMP_KV] / p.n_kv_layers : 0;
    uint64_t rs_layer = p.n_rs_layers ? p.component_bytes[OG_COMP_RS] / p.n_rs_layers : 0;
    /* nodes by memory, largest first (ties: the order given) */
    uint32_t order[OG_CLUSTER_MAX_HOSTS];
    uint64_t mem[OG_CLUSTER_MAX_HOSTS], total = 0;
    og_budget b[OG_CLUSTER_MAX_HOSTS];
    for (uint32_t k = 0; k < n; k++) {
        order[k] = k;
        og_machine_budget(hosts[k], &b[k]);
        /* exo's device capabilities: a Mac's (unified) memory, a discrete
         * GPU's VRAM, else the RAM */
        mem[k] = hosts[k]->ram_bytes;
        if (!b[k].unified && b[k].has_gpu && b[k].gpu_total_bytes)
            mem[k] = b[k].gpu_total_bytes;
        total += mem[k];
        og_strlcpy(out->host[k].name, names && names[k] ? names[k] : "node",
                   sizeof out->host[0].name);
    }
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && mem[order[j]] > mem[order[j - 1]]; j--) {
            uint32_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double start = 0;
    uint64_t wsum = emb + head;
    for (uint32_t i = 0; i < nl; i++)
        wsum += lw[i];
    char buf[32], buf2[32];
    for (uint32_t r = 0; r < n; r++) {
        uint32_t k = order[r];
        og_cluster_host_plan *h = &out->host[k];
        double end = r + 1 == n ? 1.0 : start + (double)mem[k] / (double)total;
        if (r + 1 < n)
            end = (double)(long long)(end * 100000.0 + 0.5) / 100000.0; /* round(x, 5) */
        uint32_t first = (uint32_t)(start * nl), last = (uint32_t)(end * nl);
        if (last > nl)
            last = nl;
        h->first_layer = first;
        h->layers = last > first ? last - first : 0;
        for (uint32_t il = first; il < last; il++) {
            h->weights_bytes += lw[il];
            if (hp->is_recurrent[il])
                h->kv_bytes += rs_layer;
            else if (hp->n_head_kv[il])
                h->kv_bytes += kv_layer;
        }
        if (first == 0 && h->layers) {
            h->weights_bytes += emb;
            h->holds_embeddings = 1;
        }
        if (last == nl && h->layers) {
            h->weights_bytes += head;
            h->holds_output = 1;
        }
        h->compute_bytes = h->layers ? p.component_bytes[OG_COMP_COMPUTE] : 0;
        h->need_bytes = h->weights_bytes + h->kv_bytes + h->compute_bytes;
        /* a Mac's GPU may hold only its wired limit; elsewhere the RAM */
        h->usable_bytes = b[k].has_gpu && b[k].gpu_bytes ? b[k].gpu_bytes : b[k].host_bytes;
        h->margin_bytes = (int64_t)h->usable_bytes - (int64_t)h->need_bytes;
        h->verdict = judge(h->margin_bytes, h->usable_bytes);
        h->exo_check_bytes = h->weights_bytes;
        h->exo_check_passes = h->weights_bytes <= mem[k];
        snprintf(h->command, sizeof h->command, "exo   # layers %u-%u of %u (%s of weights)", first,
                 last ? last - 1 : 0, nl, og_format_bytes(h->weights_bytes, buf, sizeof buf));
        if (h->exo_check_passes && h->verdict == OG_FIT_NO) {
            char b3[32], b4[32];
            og_cluster_note(
                out,
                "%s: exo's check passes (weights %s of %s memory) but with the KV cache and "
                "compute it needs %s of %s usable: it runs out",
                h->name, og_format_bytes(h->weights_bytes, buf, sizeof buf),
                og_format_bytes(mem[k], buf2, sizeof buf2),
                og_format_bytes(h->need_bytes, b3, sizeof b3),
                og_format_bytes(h->usable_bytes, b4, sizeof b4));
        }
        start = end;
    }
    worst(out);
    if (wsum > total)
        og_cluster_note(
            out, "the weights (%s) exceed the nodes' total memory (%s): exo refuses the model",
            og_format_bytes(wsum, buf, sizeof buf), og_format_bytes(total, buf2, sizeof buf2));
    out->hop_bytes_per_token = 4ull * hp->n_embd;
    out->n_hops = n > 1 ? n : 0;
    og_cluster_note(
        out,
        "KV and compute per node from the llama.cpp plan of the whole model at %u tokens "
        "(exo runs MLX or tinygrad; their buffers differ somewhat)",
        p.n_ctx);
    free(lw);
    return OG_OK;
}
