/* oomguard — several machines for one model: llama.cpp RPC, exo, and MLX
 * distributed (mlx.launch with mlx-lm's pipeline or tensor parallelism).
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
#include "mlx.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OG_CLUSTER_MAX_HOSTS 8

typedef struct og_cluster_host_plan {
    char name[64];
    uint32_t rank;         /* MLX: its rank (the hostfile's order) */
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
    /* MLX distributed */
    int mlx_pipeline;    /* 1 pipeline (mlx-lm --pipeline), 0 tensor parallel (the default) */
    int feasible;        /* 0: mlx-lm cannot shard this model this way (notes say why) */
    uint64_t max_ctx;    /* MLX: the largest ctx every rank fits (256-token steps; 0 = none) */
    char hostfile[1536]; /* MLX: the mlx.launch hostfile (JSON) */
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

/* MLX distributed: `mlx.launch --hostfile hosts.json -- mlx_lm.server ...`,
 * one rank per host in the order given (rank 0 = hosts[0]). pipeline 1:
 * mlx-lm's PipelineMixin.pipeline() (rank 0 holds the last layers; every
 * rank holds the embeddings, the final norm and lm_head and computes the
 * logits); 0: the model's shard() (attention heads and FFN widths split N
 * ways with mlx.nn's sharded linears; embeddings, head and norms on every
 * rank). Each rank is planned with og_mlx_plan on its share and judged with
 * og_mlx_judge against its host's budget, wired limit and Metal limits.
 * settings NULL = mlx-lm's defaults. From mlx-lm / MLX source only. */
OG_API og_status og_cluster_plan_mlx(const og_model *model, const og_mlx_settings *settings,
                                     int pipeline, const og_machine *const *hosts,
                                     const char *const *names, uint32_t n_hosts,
                                     og_cluster_plan *out, og_error *err);

/* 1 when mlx-lm 0.32.0 has this architecture's pipeline() / shard(). */
OG_API int og_mlx_can_pipeline(const og_model *model);
OG_API int og_mlx_can_shard(const og_model *model);

OG_API void og_cluster_plan_free(og_cluster_plan *p);

#ifdef __cplusplus
}
#endif
#endif
