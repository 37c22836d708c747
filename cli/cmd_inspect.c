/* oomguard inspect MODEL: what the reader found. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "oomguard/catalog.h"

enum { O_JSON, O_TENSORS };
static const cli_opt options[] = {
    {O_JSON, "--json", "-j", CLI_T_FLAG, NULL, NULL,
     "machine-readable output (keys: format, architecture, parameters,\n"
     "file_bytes, weight_bytes, layers, context_train, bytes_by_type, ...)",
     0, 0, 0},
    {O_TENSORS, "--tensors", "-t", CLI_T_FLAG, NULL, NULL,
     "also list every tensor (name, type, shape, bytes)", 0, 0, 0},
};

typedef struct inspect_opts {
    int json, tensors;
} inspect_opts;

static int on_option(void *ctx, int id, const char *name, const cli_value *v)
{
    inspect_opts *o = ctx;
    (void)name;
    (void)v;
    if (id == O_JSON)
        o->json = 1;
    else if (id == O_TENSORS)
        o->tensors = 1;
    return 0;
}

static const cli_group group = {NULL, NULL, options, sizeof options / sizeof options[0], on_option};

const cli_spec cli_spec_inspect = {
    .name = "inspect",
    .summary = "what a model file holds: format, architecture, parameters, quant mix",
    .usage = "MODEL [--json] [--tensors]",
    .description =
        "Show what a model holds: format, architecture, parameters, file size, bytes per\n"
        "tensor type (the quant mix) and the hyper-parameters memory depends on.\n"
        "Reads headers only: a 40 GB file is not read.\n"
        "\n"
        "MODEL  a .gguf file (split files are found and read together), a .safetensors\n"
        "       file, a model folder (MLX or Hugging Face), or a config.json",
    .pos = CLI_POS_MODEL,
    .min_pos = 1,
    .max_pos = 1,
    .after = "Exit codes: 0 ok, 2 bad input (the message names the file and what is wrong).",
    .groups = {&group},
};

static json_t *per_layer_u32(const uint32_t *v, uint32_t n)
{
    int same = 1;
    for (uint32_t i = 1; i < n; i++)
        same &= v[i] == v[0];
    if (same)
        return json_integer(n ? v[0] : 0);
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *per_layer_u64(const uint64_t *v, uint32_t n)
{
    int same = 1;
    for (uint32_t i = 1; i < n; i++)
        same &= v[i] == v[0];
    if (same)
        return cli_json_u64(n ? v[0] : 0);
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, cli_json_u64(v[i]));
    return a;
}

static json_t *layer_list(const uint8_t *flags, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        if (flags[i])
            json_array_append_new(a, json_integer(i));
    return a;
}

static uint32_t count_flags(const uint8_t *flags, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += flags[i] != 0;
    return c;
}

static const char *swa_name(og_swa_type t)
{
    switch (t) {
    case OG_SWA_STANDARD:
        return "standard";
    case OG_SWA_CHUNKED:
        return "chunked";
    case OG_SWA_SYMMETRIC:
        return "symmetric";
    case OG_SWA_NONE:
        break;
    }
    return "none";
}

static json_t *to_json(const og_model *m, int tensors)
{
    const og_hparams *hp = &m->hp;
    uint32_t nl = hp->n_layer_all;
    json_t *j = json_object();
    json_object_set_new(j, "path", json_string(m->path ? m->path : ""));
    json_object_set_new(j, "format", json_string(og_format_name(m->format)));
    json_object_set_new(j, "name", m->name ? json_string(m->name) : json_null());
    json_object_set_new(j, "architecture", json_string(hp->arch));
    json_object_set_new(j, "fallback", json_boolean(m->hparams_fallback));
    json_object_set_new(j, "parameters", cli_json_u64(m->n_params));
    json_object_set_new(j, "file_bytes", cli_json_u64(m->file_bytes));
    json_object_set_new(j, "weight_bytes", cli_json_u64(m->weight_bytes));
    json_object_set_new(j, "files", json_integer(m->n_files));
    json_object_set_new(j, "quant", json_string(m->quant_label));
    json_object_set_new(j, "layers", json_integer(hp->n_layer));
    json_object_set_new(j, "context_train", cli_json_u64(hp->n_ctx_train));
    json_t *bt = json_object();
    for (size_t i = 0; i < m->n_types; i++)
        json_object_set_new(bt, m->by_type[i].type_name, cli_json_u64(m->by_type[i].bytes));
    json_object_set_new(j, "bytes_by_type", bt);

    json_t *h = json_object();
    json_object_set_new(h, "block_count", json_integer(nl));
    json_object_set_new(h, "nextn_layers", json_integer(hp->n_nextn));
    json_object_set_new(h, "embedding", cli_json_u64(hp->n_embd));
    json_object_set_new(h, "vocab", cli_json_u64(hp->n_vocab));
    json_object_set_new(h, "heads", per_layer_u32(hp->n_head, nl));
    json_object_set_new(h, "kv_heads", per_layer_u32(hp->n_head_kv, nl));
    json_object_set_new(h, "head_dim_k", json_integer(hp->head_dim_k));
    json_object_set_new(h, "head_dim_v", json_integer(hp->head_dim_v));
    json_object_set_new(h, "feed_forward", per_layer_u64(hp->n_ff, nl));
    json_object_set_new(h, "sliding_window", json_integer(hp->n_swa));
    json_object_set_new(h, "swa_type", json_string(swa_name(hp->swa_type)));
    json_object_set_new(h, "swa_layers", layer_list(hp->is_swa, nl));
    json_object_set_new(h, "experts", json_integer(hp->n_expert));
    json_object_set_new(h, "experts_used", json_integer(hp->n_expert_used));
    json_object_set_new(h, "experts_shared", json_integer(hp->n_expert_shared));
    json_object_set_new(h, "expert_feed_forward", cli_json_u64(hp->n_ff_exp));
    json_object_set_new(h, "moe_layers", layer_list(hp->is_moe, nl));
    json_object_set_new(h, "mla", json_boolean(hp->is_mla));
    json_object_set_new(h, "q_lora_rank", json_integer(hp->q_lora_rank));
    json_object_set_new(h, "kv_lora_rank", json_integer(hp->kv_lora_rank));
    json_object_set_new(h, "recurrent_layers", layer_list(hp->is_recurrent, nl));
    json_object_set_new(h, "ssm_d_conv", json_integer(hp->ssm_d_conv));
    json_object_set_new(h, "ssm_d_inner", json_integer(hp->ssm_d_inner));
    json_object_set_new(h, "ssm_d_state", json_integer(hp->ssm_d_state));
    json_object_set_new(h, "ssm_n_group", json_integer(hp->ssm_n_group));
    json_object_set_new(h, "tied_embeddings", json_boolean(hp->tied_embeddings));
    json_object_set_new(j, "hparams", h);

    if (tensors) {
        json_t *a = json_array();
        for (size_t i = 0; i < m->n_tensors; i++) {
            const og_tensor *t = &m->tensors[i];
            json_t *shape = json_array();
            for (uint32_t d = 0; d < t->n_dims; d++)
                json_array_append_new(shape, cli_json_u64(t->dims[d]));
            json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:I}", "name", t->name, "type",
                                               t->type_name, "shape", shape, "bytes",
                                               (json_int_t)t->bytes));
        }
        json_object_set_new(j, "tensors", a);
    }
    return j;
}

static void print_human(const og_model *m, int tensors)
{
    const og_hparams *hp = &m->hp;
    FILE *o = stdout;
    const char *b = cli_c(o, CLI_BOLD), *r = cli_c(o, CLI_RESET), *d = cli_c(o, CLI_DIM);
    uint32_t nl = hp->n_layer_all;
    fprintf(o, "%s%s%s\n", b, m->name ? m->name : m->path, r);
    fprintf(o, "  format        %s%s\n", og_format_name(m->format),
            m->n_files > 1 ? " (split)" : "");
    if (m->n_files > 1)
        fprintf(o, "  files         %u\n", m->n_files);
    fprintf(o, "  architecture  %s%s\n", hp->arch,
            m->hparams_fallback ? "  (unknown: generic transformer shape assumed)" : "");
    fprintf(o, "  parameters    %.2f B\n", (double)m->n_params / 1e9);
    fprintf(o, "  quant         %s\n", m->quant_label[0] ? m->quant_label : "-");
    if (m->file_bytes)
        fprintf(o, "  file size     %s  %s(%llu bytes)%s\n", cli_bytes(m->file_bytes), d,
                (unsigned long long)m->file_bytes, r);
    fprintf(o, "  weights       %s  %s(%.2f bits per weight)%s\n", cli_bytes(m->weight_bytes), d,
            m->n_params ? 8.0 * (double)m->weight_bytes / (double)m->n_params : 0.0, r);
    fprintf(o, "  layers        %u%s", hp->n_layer, hp->n_nextn ? "" : "\n");
    if (hp->n_nextn)
        fprintf(o, " (+%u NextN/MTP)\n", hp->n_nextn);
    fprintf(o, "  context       %llu tokens (trained)\n", (unsigned long long)hp->n_ctx_train);
    fprintf(o, "  embedding     %llu\n", (unsigned long long)hp->n_embd);
    fprintf(o, "  vocab         %llu\n", (unsigned long long)hp->n_vocab);
    if (nl) {
        fprintf(o, "  heads         %u query, %u KV", hp->n_head[0], hp->n_head_kv[0]);
        int varies = 0;
        for (uint32_t i = 1; i < nl; i++)
            varies |= hp->n_head_kv[i] != hp->n_head_kv[0];
        fprintf(o, "%s, head dim %u/%u (K/V)\n", varies ? " (varies by layer)" : "", hp->head_dim_k,
                hp->head_dim_v);
        fprintf(o, "  feed-forward  %llu\n", (unsigned long long)hp->n_ff[0]);
    }
    if (hp->n_expert)
        fprintf(o, "  experts       %u, %u active%s%s, width %llu, %u MoE layers\n", hp->n_expert,
                hp->n_expert_used, hp->n_expert_shared ? ", shared " : "",
                hp->n_expert_shared ? "yes" : "", (unsigned long long)hp->n_ff_exp,
                count_flags(hp->is_moe, nl));
    if (hp->swa_type != OG_SWA_NONE)
        fprintf(o, "  sliding win.  %u tokens (%s) on %u of %u layers\n", hp->n_swa,
                swa_name(hp->swa_type), count_flags(hp->is_swa, nl), hp->n_layer);
    if (hp->is_mla)
        fprintf(o, "  MLA           kv_lora_rank %u, q_lora_rank %u\n", hp->kv_lora_rank,
                hp->q_lora_rank);
    uint32_t nrec = count_flags(hp->is_recurrent, nl);
    if (nrec)
        fprintf(o, "  recurrent     %u layers (state: conv %u, inner %u, state %u)\n", nrec,
                hp->ssm_d_conv, hp->ssm_d_inner, hp->ssm_d_state);
    fprintf(o, "\n  %sbytes by type%s\n", b, r);
    for (size_t i = 0; i < m->n_types; i++) {
        const og_type_bytes *t = &m->by_type[i];
        fprintf(o, "  %-10s %10s  %5.1f%%  %s%u tensors%s\n", t->type_name, cli_bytes(t->bytes),
                m->weight_bytes ? 100.0 * (double)t->bytes / (double)m->weight_bytes : 0.0, d,
                t->n_tensors, r);
    }
    if (tensors) {
        fprintf(o, "\n  %s%-48s %-8s %-28s %s%s\n", b, "tensor", "type", "shape", "bytes", r);
        for (size_t i = 0; i < m->n_tensors; i++) {
            const og_tensor *t = &m->tensors[i];
            char shape[96] = "";
            size_t p = 0;
            for (uint32_t k = 0; k < t->n_dims && p < sizeof shape; k++)
                p += (size_t)snprintf(shape + p, sizeof shape - p, "%s%llu", k ? " x " : "",
                                      (unsigned long long)t->dims[k]);
            fprintf(o, "  %-48s %-8s %-28s %s\n", t->name, t->type_name, shape,
                    cli_bytes(t->bytes));
        }
    }
}

int cmd_inspect(int argc, char **argv)
{
    inspect_opts o = {0};
    void *ctx[] = {&o};
    int rc = cli_parse(&cli_spec_inspect, argc, argv, ctx, NULL);
    if (rc)
        return rc == CLI_DONE ? OG_EXIT_OK : rc;
    int json = o.json, tensors = o.tensors;
    og_model *m = NULL;
    og_error err;
    og_error_clear(&err);
    const char *arg = cli_model_arg(argv[1], 1, &rc);
    if (!arg)
        return rc;
    struct stat st;
    const og_catalog_entry *e = NULL;
    og_error ce;
    og_error_clear(&ce);
    if (stat(arg, &st) != 0 && !og_is_remote(arg) && og_catalog_find(arg, &e, &ce) == OG_OK && e) {
        /* a catalog name: the entry's published shape, as its usual GGUF build */
        og_catalog_build b = OG_BUILD_GGUF_Q4_K_M;
        if (og_catalog_model(e, b, &m, &err) != OG_OK) {
            b = OG_BUILD_MLX_4BIT;
            if (og_catalog_model(e, b, &m, &err) != OG_OK)
                return cli_fail(&err);
        }
        fprintf(
            stderr,
            "oomguard: %s: the catalog entry %s as %s (from its published config; no file read)\n",
            arg, e->name, og_catalog_build_name(b));
    } else if (cli_open_model(arg, &m, &err) != OG_OK) {
        /* a name that is neither a file nor in the catalog: the catalog's "did you mean" */
        if (ce.message[0] && !strchr(arg, '/') && !strchr(arg, '.') && stat(arg, &st) != 0)
            return cli_fail(&ce);
        return cli_fail(&err);
    }
    if (json)
        rc = cli_print_json(to_json(m, tensors));
    else
        print_human(m, tensors);
    og_model_free(m);
    return rc;
}
