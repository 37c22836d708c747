/* oomguard — several machines for one model: llama.cpp RPC and exo.
 *
 * og_cluster_plan_rpc(): llama-server on the first host, rpc-server on the
 * others (llama.cpp 2026-09-12, tools/rpc, ggml/src/ggml-rpc). llama.cpp puts
 * the RPC devices first and the local GPUs last (src/llama.cpp
 * llama_model_load_from_file_impl), so the llama-server host holds the last
 * layers, the output layer and, on its CPU, the token embeddings; --fit
 * (common/fit.cpp, og_llama_fit_params) writes -ts across all devices.
 *
 * og_cluster_plan_exo(): exo's memory-weighted ring partition (layers in
 * proportion to each node's memory, checked against the weights only), and
 * what each node really needs once its KV cache and compute are added.
 *
 * Pure functions of their inputs (snapshots or presets), no network. */
#ifndef OOMGUARD_CLUSTER_H
#define OOMGUARD_CLUSTER_H

#include <stdint.h>

#include "llama.h"
#include "machine.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_CLUSTER_MAX_HOSTS 8

typedef struct og_cluster_host_plan {
    char name[64];
    int main_host;         /* runs llama-server (llama.cpp RPC) */
    uint32_t first_device; /* its devices in llama.cpp's device list */
    uint32_t n_devices;
    uint32_t layers;      /* layers it holds (llama.cpp: the output layer counts) */
    uint32_t first_layer; /* exo: its first layer */
    int holds_output, holds_embeddings;
    uint64_t weights_bytes, kv_bytes, compute_bytes; /* on its devices */
    uint64_t host_ram_bytes;  /* llama-server host: host-side buffers (embeddings, output, ...) */
    uint64_t need_bytes;      /* what it must hold in all */
    uint64_t usable_bytes;    /* what its snapshot allows (its budget) */
    int64_t margin_bytes;     /* usable - need */
    uint64_t exo_check_bytes; /* exo: what exo's own check compares (weights only) */
    int exo_check_passes;     /* exo: its check passes */
    og_fit_verdict verdict;
    uint64_t load_transfer_bytes; /* weights sent over the network at load (RPC) */
    char command[320];
} og_cluster_host_plan;

typedef struct og_cluster_plan {
    uint32_t n_hosts;
    og_cluster_host_plan host[OG_CLUSTER_MAX_HOSTS];
    og_fit_verdict verdict; /* the worst host's */
    int worst_host;
    uint64_t hop_bytes_per_token;  /* activations crossing one host boundary per generated token */
    uint64_t hop_bytes_per_ubatch; /* and per prompt micro-batch */
    uint32_t n_hops;
    uint32_t n_ctx;
    char server_command[2600];
    uint32_t n_notes;
    char notes[6][240];
    og_fitp_result *fit; /* RPC: the --fit prediction (owned: og_cluster_plan_free) */
} og_cluster_plan;

/* hosts[0] runs llama-server; names label them. settings: as for
 * og_llama_plan (backend: the llama-server host's). targets: --fit-target per
 * host device in order (NULL = 1024 MiB). */
OG_API og_status og_cluster_plan_rpc(const og_model *model, const og_llama_settings *settings,
                                     const og_machine *const *hosts, const char *const *names,
                                     uint32_t n_hosts, og_cluster_plan *out, og_error *err);

/* exo: every host is a node; ctx tokens of KV. */
OG_API og_status og_cluster_plan_exo(const og_model *model, const og_llama_settings *settings,
                                     const og_machine *const *hosts, const char *const *names,
                                     uint32_t n_hosts, og_cluster_plan *out, og_error *err);

OG_API void og_cluster_plan_free(og_cluster_plan *p);

#ifdef __cplusplus
}
#endif
#endif
