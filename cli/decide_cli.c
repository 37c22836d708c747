/* The CLI side of the decision core (see decide_cli.h). */
#include "decide_cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "oomguard/remote.h"

/* ---- MODEL ---- */

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    static const char *const ext[] = {".gguf", ".safetensors", ".json"};
    if (s[0] == '/' || s[0] == '.' || s[0] == '~')
        return 1;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n >= k && strcasecmp(s + n - k, ext[i]) == 0)
            return 1;
    }
    return 0;
}

/* MLX build with the bits closest to a GGUF build, and back. */
static og_catalog_build comparable(og_catalog_build b)
{
    switch (b) {
    case OG_BUILD_MLX_3BIT:
        return OG_BUILD_GGUF_Q3_K_M;
    case OG_BUILD_MLX_4BIT:
        return OG_BUILD_GGUF_Q4_K_M;
    case OG_BUILD_MLX_6BIT:
        return OG_BUILD_GGUF_Q6_K;
    case OG_BUILD_MLX_8BIT:
        return OG_BUILD_GGUF_Q8_0;
    case OG_BUILD_MLX_BF16:
        return OG_BUILD_GGUF_F16;
    case OG_BUILD_GGUF_Q2_K:
    case OG_BUILD_GGUF_Q3_K_M:
        return OG_BUILD_MLX_3BIT;
    case OG_BUILD_GGUF_IQ4_XS:
    case OG_BUILD_GGUF_Q4_0:
    case OG_BUILD_GGUF_Q4_K_M:
        return OG_BUILD_MLX_4BIT;
    case OG_BUILD_GGUF_Q5_K_M:
    case OG_BUILD_GGUF_Q6_K:
        return OG_BUILD_MLX_6BIT;
    case OG_BUILD_GGUF_Q8_0:
        return OG_BUILD_MLX_8BIT;
    case OG_BUILD_GGUF_F16:
        return OG_BUILD_MLX_BF16;
    default:
        return og_catalog_build_is_mlx(b) ? OG_BUILD_GGUF_Q4_K_M : OG_BUILD_MLX_4BIT;
    }
}

int cli_quant_is_mlx(const char *quant)
{
    og_catalog_build b;
    og_error e;
    return quant && og_catalog_build_from_name(quant, &b, &e) == OG_OK &&
           og_catalog_build_is_mlx(b);
}

og_status cli_model_resolve(const char *name, const char *quant, int want, int match,
                            og_model **out, const og_catalog_entry **entry, og_error *err)
{
    struct stat st;
    if (entry)
        *entry = NULL;
    if (stat(name, &st) == 0 || og_is_remote(name)) {
        if (quant)
            return og_error_set(err, OG_ERR_INVALID,
                                "--quant picks a build of a catalog model; '%s' is a file or URL "
                                "(its build is what it holds)",
                                name);
        return cli_open_model(name, out, err);
    }
    const og_catalog_entry *e = NULL;
    og_error ce;
    og_error_clear(&ce);
    if (og_catalog_load(&ce) != OG_OK)
        fprintf(stderr, "oomguard: warning: %s (using the built-in catalog)\n", ce.message);
    og_error_clear(&ce);
    if (og_catalog_find(name, &e, &ce) != OG_OK) {
        if (looks_like_path(name))
            return og_model_open(name, out, err); /* says what is wrong with the path */
        *err = ce;                                /* carries "did you mean ...?" */
        return ce.status;
    }
    og_catalog_build b = want ? OG_BUILD_MLX_4BIT : OG_BUILD_GGUF_Q4_K_M;
    if (quant) {
        if (og_catalog_build_from_name(quant, &b, err) != OG_OK)
            return err->status;
        if (og_catalog_build_is_mlx(b) != want) {
            if (!match)
                return og_error_set(err, OG_ERR_INVALID,
                                    want ? "--quant %s is a GGUF build; the MLX engine takes "
                                           "mlx-3bit, mlx-4bit, mlx-6bit, mlx-8bit or mlx-bf16"
                                         : "--quant %s is an MLX build; llama.cpp takes GGUF "
                                           "builds (Q4_K_M, Q8_0, ...) or use --engine mlx",
                                    quant);
            b = comparable(b);
        }
    }
    if (!og_catalog_has_build(e, b))
        return og_error_set(err, OG_ERR_UNSUPPORTED,
                            "%s has no %s build (mlx-lm has no model class for %s)", e->name,
                            og_catalog_build_name(b), e->hp.arch);
    if (entry)
        *entry = e;
    return og_catalog_model(e, b, out, err);
}

/* ---- settings ---- */

int cli_decide_settings(const cli_engine_opts *e, const char *cmd, uint64_t mem,
                        og_decide_settings *s)
{
    og_decide_settings_default(s);
    s->mem_bytes = mem;
    if (!e)
        return 0;
    if (e->engine == CLI_ENGINE_ALL && cmd && strcmp(cmd, "fit"))
        return cli_usage_error(cmd, "--engine all compares engines side by side: that is fit's");
    if ((e->given & CLI_SET_CTX) && (e->s.n_ctx < 16 || e->s.n_ctx > (1u << 24)))
        return cli_usage_error(cmd, "--ctx: %u is not a context length (16 ... 16M)", e->s.n_ctx);
    s->engine = e->engine == CLI_ENGINE_MLX      ? OG_ENGINE_MLX
                : e->engine == CLI_ENGINE_OLLAMA ? OG_ENGINE_OLLAMA
                : e->engine == CLI_ENGINE_LLAMA  ? OG_ENGINE_LLAMA_CPP
                                                 : OG_ENGINE_AUTO;
    s->llama = e->s;
    s->mlx = e->ms;
    if (!(e->given & CLI_SET_CTX)) {
        s->llama.n_ctx = 0;
        s->mlx.ctx = 0;
    }
    /* --kv-bits for llama.cpp: -ctk/-ctv q8_0 / q4_0, flash attention on
     * (llama.cpp needs it for a quantized V cache, common/arg.cpp) */
    if ((e->given & CLI_SET_KV_BITS) && !(e->given & (CLI_SET_CTK | CLI_SET_CTV)) &&
        (e->ms.kv_bits == 8 || e->ms.kv_bits == 4)) {
        int t = og_ggml_type_from_name(e->ms.kv_bits == 8 ? "q8_0" : "q4_0");
        s->llama.type_k = s->llama.type_v = t;
        if (!(e->given & CLI_SET_FA))
            s->llama.flash_attn = OG_FA_ON;
    }
    s->backend_set = (e->given & CLI_SET_BACKEND) != 0;
    return 0;
}

og_engine cli_decide_engine(const cli_engine_opts *e, const og_model *m)
{
    og_decide_settings s;
    cli_decide_settings(e, NULL, 0, &s);
    return og_decide_engine(m, &s);
}

/* ---- the budget chain ---- */

static const char *deduction_label(og_deduction_kind k, int gtt)
{
    switch (k) {
    case OG_DEDUCT_MACOS_FLOOR:
        return gtt ? "system floor" : "macOS floor";
    case OG_DEDUCT_WIRED_CEILING:
        return "wired limit";
    case OG_DEDUCT_GTT_CEILING:
        return "GTT limit";
    case OG_DEDUCT_OTHER_APPS:
        return "other apps";
    case OG_DEDUCT_CGROUP:
        return "cgroup";
    case OG_DEDUCT_MARGIN:
        return "margin";
    case OG_DEDUCT_IN_USE:
        return "in use";
    default:
        return "?";
    }
}

static int chain_is_gtt(const og_decided_budget *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (b->d[i].kind == OG_DEDUCT_GTT_CEILING)
            return 1;
    return 0;
}

void cli_budget_line(const og_decided_budget *b, char *buf, size_t n)
{
    int gtt = chain_is_gtt(b);
    size_t l = 0;
    l += (size_t)snprintf(buf, n, "%s %s", cli_bytes(b->start_bytes), b->pool);
    for (uint32_t i = 0; i < b->n && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, " - %s %s", cli_bytes(b->d[i].bytes),
                              deduction_label(b->d[i].kind, gtt));
    if (l < n)
        snprintf(buf + l, n - l, " = %s usable", cli_bytes(b->usable_bytes));
}

void cli_print_budget(FILE *f, const char *indent, const og_decided_budget *b)
{
    int gtt = chain_is_gtt(b);
    fprintf(f, "%s  %-12s %12s  %s\n", indent, "start", cli_bytes(b->start_bytes), b->pool);
    for (uint32_t i = 0; i < b->n; i++)
        fprintf(f, "%s- %-12s %12s  %s\n", indent, deduction_label(b->d[i].kind, gtt),
                cli_bytes(b->d[i].bytes), b->d[i].why);
    fprintf(f, "%s= %-12s %12s\n", indent, "usable", cli_bytes(b->usable_bytes));
}

json_t *cli_budget_json(const og_decided_budget *b)
{
    json_t *ded = json_array();
    for (uint32_t i = 0; i < b->n; i++)
        json_array_append_new(ded,
                              json_pack("{s:s, s:o, s:s}", "kind", og_deduction_name(b->d[i].kind),
                                        "bytes", cli_json_u64(b->d[i].bytes), "why", b->d[i].why));
    json_t *j = json_object();
    json_object_set_new(j, "pool", json_string(b->pool));
    json_object_set_new(j, "start_bytes", cli_json_u64(b->start_bytes));
    json_object_set_new(j, "deductions", ded);
    json_object_set_new(j, "usable_bytes", cli_json_u64(b->usable_bytes));
    json_object_set_new(j, "host_bytes", cli_json_u64(b->budget.host_bytes));
    json_object_set_new(j, "gpu_bytes", cli_json_u64(b->budget.gpu_bytes));
    json_object_set_new(j, "unified", json_boolean(b->budget.unified));
    return j;
}

json_t *cli_limit_json(const og_limit_advice *l)
{
    if (!l->applies)
        return json_null();
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(l->gtt ? "gtt" : "wired"));
    json_object_set_new(j, "current_bytes", cli_json_u64(l->current_bytes));
    json_object_set_new(j, "default_bytes", cli_json_u64(l->default_bytes));
    json_object_set_new(j, "safe_max_bytes", cli_json_u64(l->safe_max_bytes));
    json_object_set_new(j, "at_default", json_boolean(l->at_default));
    json_object_set_new(j, "above_safe", json_boolean(l->above_safe));
    json_object_set_new(j, "set_mb", l->set_mb ? json_integer(l->set_mb) : json_null());
    if (l->gtt)
        json_object_set_new(j, "ttm_pages_limit",
                            l->ttm_pages ? cli_json_u64(l->ttm_pages) : json_null());
    json_object_set_new(j, "command", l->command[0] ? json_string(l->command) : json_null());
    return j;
}

void cli_placement_line(const og_decision *d, char *buf, size_t n)
{
    const og_placement *pl = &d->placement;
    buf[0] = '\0';
    if (!pl->placed)
        return;
    snprintf(buf, n, "%s's --fit puts %s: %s on the GPU, %s in RAM (host RAM budget %s)%s",
             d->engine == OG_ENGINE_OLLAMA ? "Ollama's llama-server" : "llama.cpp", pl->summary,
             cli_bytes(pl->gpu_bytes), cli_bytes(pl->host_bytes), cli_bytes(pl->host_usable_bytes),
             d->fits ? "; several times slower than all on the GPU" : "");
}

json_t *cli_placement_json(const og_decision *d)
{
    const og_placement *pl = &d->placement;
    if (!pl->tried)
        return json_null();
    json_t *j = json_object();
    json_object_set_new(j, "fit_status", json_string(og_fitp_status_name(pl->status)));
    json_object_set_new(j, "offloaded", json_boolean(pl->placed));
    if (pl->placed) {
        json_object_set_new(j, "layers", json_integer(pl->n_layers));
        json_object_set_new(j, "gpu_layers", json_integer(pl->n_layers_gpu));
        json_object_set_new(j, "partial_layers", json_integer(pl->n_partial));
        json_object_set_new(j, "experts_in_ram", json_boolean(pl->moe && pl->n_partial));
        json_object_set_new(j, "gpu_bytes", cli_json_u64(pl->gpu_bytes));
        json_object_set_new(j, "host_bytes", cli_json_u64(pl->host_bytes));
        json_object_set_new(j, "host_budget_bytes", cli_json_u64(pl->host_usable_bytes));
        json_object_set_new(j, "llama_args", json_string(pl->args));
        json_object_set_new(j, "summary", json_string(pl->summary));
    }
    return j;
}

void cli_decision_json(json_t *j, const og_decision *d)
{
    json_object_set_new(j, "placement", cli_placement_json(d));
    json_object_set_new(j, "fits", json_boolean(d->fits));
    json_object_set_new(j, "ctx_asked", json_integer(d->n_ctx_asked));
    json_object_set_new(j, "ctx_lowered_by_fit", json_boolean(d->ctx_lowered_by_fit));
    json_object_set_new(j, "limit", cli_limit_json(&d->limit));
    json_object_set_new(j, "pick",
                        d->fit_build[0] ? json_pack("{s:s, s:o, s:I}", "build", d->fit_build,
                                                    "bytes", cli_json_u64(d->fit_build_bytes),
                                                    "max_ctx", (json_int_t)d->fit_build_ctx)
                                        : json_null());
    json_t *fails = json_array();
    for (int i = 0; i < OG_CHECK_COUNT; i++)
        if (d->report.checks[i].status == OG_CHECK_FAIL)
            json_array_append_new(fails, json_string(og_check_id_name(d->report.checks[i].id)));
    json_object_set_new(j, "failing_checks", fails);
}
