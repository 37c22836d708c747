/* Internal interface of the safetensors, config.json and folder readers. */
#ifndef OG_SAFETENSORS_INTERNAL_H
#define OG_SAFETENSORS_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "oomguard/model.h"

/* huggingface/safetensors safetensors/src/tensor.rs MAX_HEADER_SIZE. */
#define OG_ST_MAX_HEADER 100000000u
/* config.json / index files larger than this are refused. */
#define OG_JSON_MAX_BYTES (16u << 20)

/* Bits per element of a safetensors dtype (safetensors/src/tensor.rs
 * Dtype::bitsize), 0 if unknown. *canon receives the static name. */
uint32_t og_st_dtype_bits(const char *dtype, const char **canon);

/* Parse one safetensors header (the JSON text, len bytes) whose data section
 * starts at data_start in its file and holds data_bytes bytes (UINT64_MAX =
 * unknown: skip the end-of-file check). Appends the tensors to m (file_index
 * set) and, when meta_out is non-NULL, returns a new reference to
 * __metadata__ (or NULL). */
og_status og_st_parse_header(const char *json, size_t len, uint64_t data_start, uint64_t data_bytes,
                             uint32_t file_index, const char *name, og_model *m, json_t **meta_out,
                             og_error *err);

/* Read one file's header (8-byte length, then the JSON; never the data) and
 * append its tensors; adds the file size to m->file_bytes. */
og_status og_st_read_file(const char *path, uint32_t file_index, og_model *m, json_t **meta_out,
                          og_error *err);

/* Read every shard named in a model.safetensors.index.json weight_map
 * (relative to the index's folder), in first-seen order. *mlx_meta is set to
 * 1 when a shard's __metadata__ says format=mlx. */
og_status og_st_read_index(const char *index_path, og_model *m, int *mlx_meta, og_error *err);

/* Parse a config.json object into m->hp, m->dtype, m->name (if unset) and
 * *config_params (the parameter count computed from the config). `name` is
 * used in messages. */
og_status og_hf_config_fill(json_t *root, const char *name, og_model *m, uint64_t *config_params,
                            og_error *err);

/* A model from a config.json object alone (OG_FORMAT_HF_CONFIG: parameters
 * from the config, no tensors). `name` is used in messages. */
og_status og_hf_config_model(json_t *root, const char *name, og_model **out, og_error *err);

/* Load a JSON file with the size cap, duplicate keys refused, and a message
 * naming the file, line and column on error. */
og_status og_json_load_file(const char *path, json_t **out, og_error *err);
og_status og_json_load_buffer(const char *buf, size_t len, const char *name, json_t **out,
                              og_error *err);

/* Parameters from the tensor list: every element, except MLX .scales and
 * .biases of quantized modules. */
uint64_t og_st_count_params(const og_model *m, int mlx);

#endif
