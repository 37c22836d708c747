/* oomguard explain LOGFILE: what ran out of memory, and what to change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oomguard/explain.h"

static const cli_opt options[] = {
    {0, "--json", NULL, CLI_T_FLAG, NULL, NULL,
     "machine-readable output (keys: oom, headline, findings[] with id,\n"
     "severity, engine, backend, component, pool, requested_bytes,\n"
     "limit_bytes, available_bytes, line, count, text, what, fix;\n"
     "settings; buffers[])",
     0, 0, 0},
};
static const cli_group group = {NULL, NULL, options, 1, cli_flag_handler};

const cli_spec cli_spec_explain = {
    .name = "explain",
    .summary = "read an engine's crash log and say what overflowed and what to change",
    .usage = "LOGFILE [--json]",
    .description =
        "Read an engine's log (llama.cpp on Metal/CUDA/ROCm/Vulkan/CPU, MLX, mlx-lm, Ollama,\n"
        "LM Studio) and say which component overflowed which memory pool, the sizes and\n"
        "settings the log shows, and what to change. Use - to read standard input.",
    .pos = CLI_POS_FILE,
    .pos_name = "LOGFILE",
    .min_pos = 1,
    .max_pos = 1,
    .after = "Exit codes: 0 no out-of-memory signature found (\"no known out-of-memory\n"
             "signature\"; buffer sizes of a successful load are still shown), 1 an out-of-memory\n"
             "error or a near-limit warning was found, 2 bad usage or unreadable file.",
    .groups = {&group},
};

static json_t *report_json(const og_log_report *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "oom", json_boolean(r->oom));
    json_object_set_new(j, "headline",
                        r->headline >= 0 ? json_string(r->findings[r->headline].id) : json_null());
    json_object_set_new(j, "lines", json_integer(r->lines));
    json_t *fa = json_array();
    for (uint32_t i = 0; i < r->n_findings; i++) {
        const og_log_finding *f = &r->findings[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(f->id));
        json_object_set_new(o, "severity", json_string(og_log_severity_name(f->severity)));
        json_object_set_new(o, "engine", json_string(f->engine));
        json_object_set_new(o, "backend", json_string(f->backend));
        json_object_set_new(o, "component", json_string(f->component));
        json_object_set_new(o, "pool", json_string(f->pool));
        json_object_set_new(o, "buffer", json_string(f->buffer));
        json_object_set_new(o, "device", json_integer(f->device));
        json_object_set_new(o, "requested_bytes", cli_json_u64(f->requested_bytes));
        json_object_set_new(o, "limit_bytes", cli_json_u64(f->limit_bytes));
        json_object_set_new(o, "available_bytes", cli_json_u64(f->available_bytes));
        if (f->resource_count)
            json_object_set_new(o, "resource_count", cli_json_u64(f->resource_count));
        if (f->process[0])
            json_object_set_new(o, "process", json_string(f->process));
        if (f->pid > 0)
            json_object_set_new(o, "pid", json_integer(f->pid));
        json_object_set_new(o, "line", json_integer(f->line));
        json_object_set_new(o, "count", json_integer(f->count));
        json_object_set_new(o, "text", json_string(f->text));
        json_object_set_new(o, "what", json_string(f->what));
        json_object_set_new(o, "fix", json_string(f->fix));
        json_array_append_new(fa, o);
    }
    json_object_set_new(j, "findings", fa);
    const og_log_settings *s = &r->settings;
    json_t *so = json_object();
#define OPT_INT(k, v)                                                                              \
    json_object_set_new(so, k, (v) >= 0 ? json_integer((json_int_t)(v)) : json_null())
    OPT_INT("n_ctx", s->n_ctx);
    OPT_INT("n_ctx_train", s->n_ctx_train);
    OPT_INT("n_batch", s->n_batch);
    OPT_INT("n_ubatch", s->n_ubatch);
    OPT_INT("kv_cells", s->kv_cells);
    OPT_INT("layers_offloaded", s->layers_offloaded);
    OPT_INT("layers_total", s->layers_total);
#undef OPT_INT
    json_object_set_new(so, "flash_attn",
                        s->flash_attn < 0 ? json_null() : json_boolean(s->flash_attn));
    json_object_set_new(so, "type_k", s->type_k[0] ? json_string(s->type_k) : json_null());
    json_object_set_new(so, "type_v", s->type_v[0] ? json_string(s->type_v) : json_null());
    json_object_set_new(so, "model_path",
                        s->model_path[0] ? json_string(s->model_path) : json_null());
    json_object_set_new(so, "metal_working_set_bytes",
                        s->metal_working_set_bytes ? cli_json_u64(s->metal_working_set_bytes)
                                                   : json_null());
    json_object_set_new(so, "backend", s->backend[0] ? json_string(s->backend) : json_null());
    json_object_set_new(j, "settings", so);
    json_t *ba = json_array();
    for (uint32_t i = 0; i < r->n_devices; i++) {
        const og_log_device_buffers *d = &r->devices[i];
        json_array_append_new(
            ba,
            json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", d->name, "host",
                      d->host, "weights_bytes", cli_json_u64(d->weights_bytes), "kv_bytes",
                      cli_json_u64(d->kv_bytes), "compute_bytes", cli_json_u64(d->compute_bytes),
                      "output_bytes", cli_json_u64(d->output_bytes), "rs_bytes",
                      cli_json_u64(d->rs_bytes), "other_bytes", cli_json_u64(d->other_bytes),
                      "total_bytes", cli_json_u64(d->total_bytes)));
    }
    json_object_set_new(j, "buffers", ba);
    return j;
}

static void print_settings(const og_log_settings *s)
{
    char line[700] = "";
    size_t n = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < sizeof line)                                                                       \
            n += (size_t)snprintf(line + n, sizeof line - n, __VA_ARGS__);                         \
    } while (0)
    if (s->n_ctx >= 0)
        ADD("n_ctx=%lld ", (long long)s->n_ctx);
    if (s->n_ctx_train >= 0)
        ADD("n_ctx_train=%lld ", (long long)s->n_ctx_train);
    if (s->n_ubatch >= 0)
        ADD("n_ubatch=%lld ", (long long)s->n_ubatch);
    if (s->layers_offloaded >= 0)
        ADD("gpu_layers=%d/%d ", s->layers_offloaded, s->layers_total);
    if (s->type_k[0])
        ADD("type_k=%s type_v=%s ", s->type_k, s->type_v[0] ? s->type_v : "?");
    if (s->flash_attn >= 0)
        ADD("flash_attn=%s ", s->flash_attn ? "on" : "off");
    if (s->metal_working_set_bytes)
        ADD("metal_working_set=%s ", cli_bytes(s->metal_working_set_bytes));
#undef ADD
    if (n)
        printf("Settings in the log: %s\n", line);
    if (s->model_path[0])
        printf("Model: %s\n", s->model_path);
}

static void print_buffers(const og_log_report *r)
{
    if (!r->n_devices)
        return;
    printf("\nBuffers of the load (per device):\n");
    printf("  %-14s %-6s %10s %10s %10s %10s %10s\n", "buffer", "pool", "weights", "kv", "compute",
           "output", "total");
    for (uint32_t i = 0; i < r->n_devices; i++) {
        const og_log_device_buffers *d = &r->devices[i];
        printf("  %-14s %-6s %10s %10s %10s %10s %10s\n", d->name, d->host ? "host" : "device",
               cli_bytes(d->weights_bytes), cli_bytes(d->kv_bytes), cli_bytes(d->compute_bytes),
               cli_bytes(d->output_bytes), cli_bytes(d->total_bytes));
    }
}

int cmd_explain(int argc, char **argv)
{
    int json = 0;
    void *ctx[] = {&json};
    int prc = cli_parse(&cli_spec_explain, argc, argv, ctx, NULL);
    if (prc)
        return prc == CLI_DONE ? OG_EXIT_OK : prc;
    const char *path = argv[1];
    og_log_report *r = calloc(1, sizeof *r);
    if (!r)
        return OG_EXIT_INTERNAL;
    og_error err;
    og_status st;
    if (strcmp(path, "-") == 0) {
        size_t cap = 1 << 20, len = 0;
        char *buf = malloc(cap);
        size_t got;
        while (buf && (got = fread(buf + len, 1, cap - len, stdin)) > 0) {
            len += got;
            if (len == cap) {
                if (cap >= (256u << 20))
                    break;
                char *nb = realloc(buf, cap * 2);
                if (!nb)
                    break;
                buf = nb;
                cap *= 2;
            }
        }
        st = buf ? og_explain_text(buf, len, r, &err) : OG_ERR_NOMEM;
        if (!buf)
            og_error_set(&err, OG_ERR_NOMEM, "explain: out of memory reading standard input");
        free(buf);
    } else {
        st = og_explain_file(path, 0, r, &err);
    }
    if (st != OG_OK) {
        free(r);
        return cli_fail(&err);
    }
    int problem = 0;
    for (uint32_t i = 0; i < r->n_findings; i++)
        problem |= r->findings[i].severity >= OG_LOG_WARNING;
    if (json) {
        int rc = cli_print_json(report_json(r));
        free(r);
        return rc != OG_EXIT_OK ? rc : problem ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    }
    FILE *o = stdout;
    if (!problem)
        printf("%sno known out-of-memory signature%s in %s (%u lines)\n", cli_c(o, CLI_GREEN),
               cli_c(o, CLI_RESET), path, r->lines);
    if (r->headline >= 0 && problem) {
        const og_log_finding *h = &r->findings[r->headline];
        printf("%s%s%s: %s\n", cli_c(o, CLI_BOLD),
               h->severity == OG_LOG_OOM ? "Out of memory" : "Warning", cli_c(o, CLI_RESET),
               h->what);
        printf("%sFix:%s %s\n", cli_c(o, CLI_BOLD), cli_c(o, CLI_RESET), h->fix);
    }
    print_settings(&r->settings);
    if (r->n_findings)
        printf("\nFindings:\n");
    for (uint32_t i = 0; i < r->n_findings; i++) {
        const og_log_finding *f = &r->findings[i];
        const char *col = f->severity == OG_LOG_OOM       ? CLI_RED
                          : f->severity == OG_LOG_WARNING ? CLI_YELLOW
                                                          : CLI_DIM;
        printf("  %s%-7s%s %-26s line %u%s  [%s%s%s, %s, %s]\n", cli_c(o, col),
               og_log_severity_name(f->severity), cli_c(o, CLI_RESET), f->id, f->line,
               f->count > 1 ? " (repeated)" : "", f->engine, f->backend[0] ? "/" : "", f->backend,
               f->component, f->pool);
        if (f->count > 1)
            printf("          seen %u times\n", f->count);
        printf("          %s\n", f->text);
        if ((int32_t)i != r->headline || !problem) {
            printf("          %s\n", f->what);
            printf("          fix: %s\n", f->fix);
        }
    }
    if (r->findings_dropped)
        printf("  (%u more distinct findings not shown)\n", r->findings_dropped);
    print_buffers(r);
    free(r);
    return problem ? OG_EXIT_PROBLEM : OG_EXIT_OK;
}
