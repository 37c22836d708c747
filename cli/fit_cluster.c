/* oomguard fit MODEL --cluster A,B[,...]: one model over several machines
 * (og_cluster_plan_rpc, og_cluster_plan_exo; with --engine mlx
 * og_cluster_plan_mlx), with the doctor's machine checks per host from its
 * snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

static const char *verdict_col(og_fit_verdict v)
{
    return v == OG_FIT_FITS ? CLI_GREEN : v == OG_FIT_TIGHT ? CLI_YELLOW : CLI_RED;
}

enum { K_EXO = 0, K_RPC = 1, K_MLX = 2 };

static const char *role_of(const og_cluster_host_plan *h, int kind)
{
    return kind == K_RPC   ? (h->main_host ? "llama-server" : "rpc-server")
           : kind == K_MLX ? "mlx rank"
                           : "exo node";
}

static json_t *host_json(const og_cluster_host_plan *h, const og_doctor_report *r, int kind)
{
    int rpc = kind == K_RPC;
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(h->name));
    json_object_set_new(j, "role", json_string(role_of(h, kind)));
    if (kind == K_MLX)
        json_object_set_new(j, "rank", json_integer(h->rank));
    json_object_set_new(j, "layers", json_integer(h->layers));
    if (!rpc)
        json_object_set_new(j, "first_layer", json_integer(h->first_layer));
    json_object_set_new(j, "holds_output", json_boolean(h->holds_output));
    json_object_set_new(j, "holds_embeddings", json_boolean(h->holds_embeddings));
    json_object_set_new(j, "weights_bytes", cli_json_u64(h->weights_bytes));
    json_object_set_new(j, "kv_bytes", cli_json_u64(h->kv_bytes));
    json_object_set_new(j, "compute_bytes", cli_json_u64(h->compute_bytes));
    json_object_set_new(j, "host_ram_bytes", cli_json_u64(h->host_ram_bytes));
    json_object_set_new(j, "need_bytes", cli_json_u64(h->need_bytes));
    json_object_set_new(j, "usable_bytes", cli_json_u64(h->usable_bytes));
    json_object_set_new(j, "margin_bytes", json_integer(h->margin_bytes));
    json_object_set_new(j, "verdict", json_string(og_fit_verdict_name(h->verdict)));
    if (rpc)
        json_object_set_new(j, "load_transfer_bytes", cli_json_u64(h->load_transfer_bytes));
    else if (kind == K_EXO)
        json_object_set_new(j, "exo_check_passes", json_boolean(h->exo_check_passes));
    json_object_set_new(j, "command", json_string(h->command));
    json_t *checks = json_array();
    for (int c = 0; r && c < OG_CHECK_COUNT; c++)
        if (r->checks[c].status != OG_CHECK_UNKNOWN)
            json_array_append_new(checks,
                                  json_pack("{s:s, s:s}", "check", r->checks[c].title, "status",
                                            og_check_status_name(r->checks[c].status)));
    json_object_set_new(j, "machine_checks", checks);
    return j;
}

static void print_plan(const char *title, const og_cluster_plan *p, const og_doctor_report *rep,
                       int kind)
{
    int rpc = kind == K_RPC;
    FILE *out = stdout;
    const char *B = cli_c(out, CLI_BOLD), *R = cli_c(out, CLI_RESET), *D = cli_c(out, CLI_DIM);
    fprintf(out, "%s%s%s  at ctx %u: %s%s%s%s\n", B, title, R, p->n_ctx, B,
            cli_c(out, verdict_col(p->verdict)), og_fit_verdict_name(p->verdict), R);
    fprintf(out, "%s%-16s %-12s %6s %10s %10s %10s %10s %10s %10s  %s%s\n", B, "host", "role",
            "layers", "weights", "kv", "compute", "host RAM", "need", "usable", "verdict", R);
    for (uint32_t k = 0; k < p->n_hosts; k++) {
        const og_cluster_host_plan *h = &p->host[k];
        char extra[64] = "";
        if (h->holds_output || h->holds_embeddings)
            snprintf(extra, sizeof extra, " (%s%s%s)", h->holds_embeddings ? "embeddings" : "",
                     h->holds_embeddings && h->holds_output ? ", " : "",
                     h->holds_output ? "output" : "");
        fprintf(out, "%-16.16s %-12s %6u %10s %10s %10s %10s %10s %10s  %s%s%s%s\n", h->name,
                role_of(h, kind), h->layers, cli_bytes(h->weights_bytes), cli_bytes(h->kv_bytes),
                cli_bytes(h->compute_bytes), cli_bytes(h->host_ram_bytes), cli_bytes(h->need_bytes),
                cli_bytes(h->usable_bytes), cli_c(out, verdict_col(h->verdict)),
                og_fit_verdict_name(h->verdict), R, extra);
    }
    for (uint32_t k = 0; k < p->n_hosts; k++) {
        const og_cluster_host_plan *h = &p->host[k];
        fprintf(out, "  %s%s:%s %s\n", D, h->name, R, h->command);
        for (int c = 0; rep && c < OG_CHECK_COUNT; c++) {
            const og_check *ck = &rep[k].checks[c];
            if (ck->status == OG_CHECK_FAIL || ck->status == OG_CHECK_WARN)
                fprintf(out, "    doctor %s: %s (%s)\n", og_check_status_name(ck->status),
                        ck->title, ck->fix[0] ? ck->fix : ck->evidence);
        }
    }
    if (rpc)
        fprintf(out, "  %s\n", p->server_command);
    if (kind == K_MLX && p->feasible) {
        if (p->max_ctx)
            fprintf(out, "  largest context every rank fits: %llu tokens\n",
                    (unsigned long long)p->max_ctx);
        fprintf(out, "  hosts.json: %s\n  %s\n", p->hostfile, p->server_command);
    }
    for (uint32_t i = 0; i < p->n_notes; i++)
        fprintf(out, "  %snote: %s%s\n", D, p->notes[i], R);
    fprintf(out, "\n");
}

static json_t *mlx_json(const og_cluster_plan *p, const og_doctor_report *rep)
{
    json_t *e = json_object(), *hs = json_array(), *nt = json_array();
    json_object_set_new(e, "engine", json_string(p->mlx_pipeline ? "mlx-pipeline" : "mlx-tensor"));
    json_object_set_new(e, "engine_version", json_string("mlx-lm 0.32.0, MLX 0.32.2"));
    json_object_set_new(e, "feasible", json_boolean(p->feasible));
    json_object_set_new(e, "verdict",
                        p->feasible ? json_string(og_fit_verdict_name(p->verdict)) : json_null());
    json_object_set_new(e, "ctx", json_integer(p->n_ctx));
    json_object_set_new(e, "max_ctx", cli_json_u64(p->max_ctx));
    json_object_set_new(e, "launch_command", json_string(p->server_command));
    json_object_set_new(e, "hostfile", json_string(p->hostfile));
    json_object_set_new(e, "hops_per_token", json_integer(p->n_hops));
    json_object_set_new(e, "hop_bytes_per_token", cli_json_u64(p->hop_bytes_per_token));
    for (uint32_t k = 0; p->feasible && k < p->n_hosts; k++)
        json_array_append_new(hs, host_json(&p->host[k], &rep[k], K_MLX));
    json_object_set_new(e, "hosts", hs);
    for (uint32_t i = 0; i < p->n_notes; i++)
        json_array_append_new(nt, json_string(p->notes[i]));
    json_object_set_new(e, "notes", nt);
    json_object_set_new(e, "source_only",
                        json_string("derived from mlx-lm / MLX source; no Mac was available"));
    return e;
}

/* MLX distributed: tensor parallel (mlx-lm's default) and pipeline. */
static int run_mlx(const fit_opts *o, og_model *m, const og_catalog_entry *entry,
                   const og_machine *const *hp, const char *const *np, uint32_t n,
                   const og_doctor_report *rep)
{
    og_cluster_plan *pl = calloc(2, sizeof *pl);
    og_error err;
    int rc = OG_EXIT_INTERNAL;
    if (!pl)
        return rc;
    for (int mode = 0; mode < 2; mode++)
        if (og_cluster_plan_mlx(m, &o->ms, mode, hp, np, n, &pl[mode], &err) != OG_OK) {
            rc = cli_fail(&err);
            free(pl);
            return rc;
        }
    /* a catalog MLX build: the repository mlx-lm downloads (each rank
     * downloads it: sharded_load) */
    og_catalog_build cb;
    char repo[160] = "";
    if (entry && og_catalog_build_from_name(m->quant_label, &cb, NULL) == OG_OK &&
        og_catalog_build_is_mlx(cb))
        og_catalog_build_repo(entry, cb, repo, sizeof repo);
    for (int mode = 0; repo[0] && mode < 2; mode++)
        snprintf(pl[mode].server_command, sizeof pl[mode].server_command,
                 "mlx.launch --hostfile hosts.json --backend ring -- mlx_lm.server --model %s%s",
                 repo, mode ? " --pipeline" : "");
    int any = 0;
    og_fit_verdict best = OG_FIT_NO;
    for (int mode = 0; mode < 2; mode++)
        if (pl[mode].feasible) {
            if (!any || pl[mode].verdict < best)
                best = pl[mode].verdict;
            any = 1;
        }
    rc = any && best != OG_FIT_NO ? OG_EXIT_OK : OG_EXIT_PROBLEM;
    if (o->json) {
        json_t *j = json_object(), *engines = json_array();
        json_object_set_new(j, "model", json_string(o->model));
        for (int mode = 0; mode < 2; mode++)
            json_array_append_new(engines, mlx_json(&pl[mode], rep));
        json_object_set_new(j, "cluster", engines);
        if (cli_print_json(j))
            rc = OG_EXIT_INTERNAL;
    } else {
        fprintf(stdout, "Model     %s  (%s, %u layers, %s)\n\n", m->name ? m->name : o->model,
                m->hp.arch, m->hp.n_layer, cli_bytes(m->weight_bytes));
        static const char *const title[2] = {"MLX tensor parallel (mlx.launch, mlx-lm's default)",
                                             "MLX pipeline (mlx.launch ... --pipeline)"};
        for (int mode = 0; mode < 2; mode++) {
            if (pl[mode].feasible) {
                print_plan(title[mode], &pl[mode], rep, K_MLX);
            } else {
                fprintf(stdout, "%s: not possible\n", title[mode]);
                for (uint32_t i = 0; i < pl[mode].n_notes; i++)
                    fprintf(stdout, "  note: %s\n", pl[mode].notes[i]);
                fprintf(stdout, "\n");
            }
        }
        fprintf(stdout, "From mlx-lm 0.32.0 / MLX 0.32.2 source only: no Mac was available to "
                        "check these plans.\n");
    }
    free(pl);
    return rc;
}

og_status cli_cluster_hosts(const char *list, og_machine *mach, char (*names)[64], uint32_t *n,
                            int *local, og_error *err)
{
    *n = 0;
    *local = -1;
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (!l || l >= 64 || *n == OG_CLUSTER_MAX_HOSTS)
            return og_error_set(err, OG_ERR_INVALID,
                                "--cluster expects 1 to %d hosts A,B,... (presets, snapshot "
                                "files or 'local'), got '%s'",
                                OG_CLUSTER_MAX_HOSTS, list);
        memcpy(names[*n], p, l);
        names[*n][l] = '\0';
        int me = !strcmp(names[*n], "local") || !strcmp(names[*n], "this");
        if (me && *local < 0)
            *local = (int)*n;
        og_status st =
            me ? og_machine_probe(&mach[*n], err) : og_machine_load(names[*n], &mach[*n], err);
        if (st != OG_OK)
            return st;
        (*n)++;
        if (!c)
            break;
        p = c + 1;
    }
    if (!*n)
        return og_error_set(err, OG_ERR_INVALID, "--cluster expects 1 to %d hosts A,B,..., got ''",
                            OG_CLUSTER_MAX_HOSTS);
    return OG_OK;
}

int fit_run_cluster(fit_env *v, og_model *m, const og_catalog_entry *entry, int mlx)
{
    fit_opts *o = v->o;
    og_machine *mach = calloc(OG_CLUSTER_MAX_HOSTS, sizeof *mach);
    og_doctor_report *rep = calloc(OG_CLUSTER_MAX_HOSTS, sizeof *rep);
    og_cluster_plan *rp = calloc(1, sizeof *rp), *xp = calloc(1, sizeof *xp);
    char names[OG_CLUSTER_MAX_HOSTS][64];
    const og_machine *hp[OG_CLUSTER_MAX_HOSTS];
    const char *np[OG_CLUSTER_MAX_HOSTS];
    int rc = OG_EXIT_USAGE;
    if (!mach || !rep || !rp || !xp)
        goto done;
    uint32_t n = 0;
    og_error err;
    int local;
    og_status hst = cli_cluster_hosts(o->cluster, mach, names, &n, &local, &err);
    if (hst == OG_ERR_INVALID) {
        rc = cli_usage_error("fit", "%s", err.message);
        goto done;
    }
    if (hst != OG_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    for (uint32_t k = 0; k < n; k++) {
        hp[k] = &mach[k];
        np[k] = names[k];
        og_decide_input in;
        memset(&in, 0, sizeof in);
        in.machine = &mach[k];
        in.model = m;
        og_decide_settings_default(&in.settings);
        og_decide_machine(&in, &rep[k]);
    }
    if (mlx || o->cluster_engine == 3) {
        rc = run_mlx(o, m, entry, hp, np, n, rep);
        goto done;
    }
    int want_rpc = o->cluster_engine != 2, want_exo = o->cluster_engine != 1;
    og_llama_settings s = o->s;
    s.engine = OG_LLAMA_ENGINE_LLAMA_CPP;
    if (want_rpc && og_cluster_plan_rpc(m, &s, hp, np, n, rp, &err) != OG_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (want_exo && og_cluster_plan_exo(m, &s, hp, np, n, xp, &err) != OG_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    og_fit_verdict best = want_rpc ? rp->verdict : xp->verdict;
    if (want_rpc && want_exo && xp->verdict < best)
        best = xp->verdict;
    rc = best == OG_FIT_NO ? OG_EXIT_PROBLEM : OG_EXIT_OK;
    if (o->json) {
        json_t *j = json_object(), *engines = json_array();
        json_object_set_new(j, "model", json_string(o->model));
        if (want_rpc) {
            json_t *e = json_object(), *hs = json_array();
            json_object_set_new(e, "engine", json_string("llama.cpp-rpc"));
            json_object_set_new(e, "engine_version", json_string(OG_LLAMA_CPP_VERSION));
            json_object_set_new(e, "verdict", json_string(og_fit_verdict_name(rp->verdict)));
            json_object_set_new(e, "ctx", json_integer(rp->n_ctx));
            json_object_set_new(e, "server_command", json_string(rp->server_command));
            json_object_set_new(e, "fit_args", json_string(rp->fit->args));
            json_object_set_new(e, "hops", json_integer(rp->n_hops));
            json_object_set_new(e, "hop_bytes_per_token", cli_json_u64(rp->hop_bytes_per_token));
            for (uint32_t k = 0; k < n; k++)
                json_array_append_new(hs, host_json(&rp->host[k], &rep[k], K_RPC));
            json_object_set_new(e, "hosts", hs);
            json_t *nt = json_array();
            for (uint32_t i = 0; i < rp->n_notes; i++)
                json_array_append_new(nt, json_string(rp->notes[i]));
            json_object_set_new(e, "notes", nt);
            json_array_append_new(engines, e);
        }
        if (want_exo) {
            json_t *e = json_object(), *hs = json_array();
            json_object_set_new(e, "engine", json_string("exo"));
            json_object_set_new(e, "verdict", json_string(og_fit_verdict_name(xp->verdict)));
            json_object_set_new(e, "ctx", json_integer(xp->n_ctx));
            for (uint32_t k = 0; k < n; k++)
                json_array_append_new(hs, host_json(&xp->host[k], &rep[k], K_EXO));
            json_object_set_new(e, "hosts", hs);
            json_t *nt = json_array();
            for (uint32_t i = 0; i < xp->n_notes; i++)
                json_array_append_new(nt, json_string(xp->notes[i]));
            json_object_set_new(e, "notes", nt);
            json_array_append_new(engines, e);
        }
        json_object_set_new(j, "cluster", engines);
        json_object_set_new(j, "mlx_distributed",
                            json_string("planned with --engine mlx (or --cluster-engine mlx)"));
        if (cli_print_json(j)) /* frees it */
            rc = OG_EXIT_INTERNAL;
    } else {
        fprintf(stdout, "Model     %s  (%s, %u layers, %s)\n\n", m->name ? m->name : o->model,
                m->hp.arch, m->hp.n_layer, cli_bytes(m->weight_bytes));
        if (want_rpc)
            print_plan("llama.cpp RPC", rp, rep, K_RPC);
        if (want_exo)
            print_plan("exo (memory-weighted ring)", xp, NULL, K_EXO);
        fprintf(stdout, "MLX distributed (mlx.launch): add --engine mlx.\n");
    }
done:
    if (rp)
        og_cluster_plan_free(rp);
    free(rp);
    free(xp);
    free(rep);
    free(mach);
    return rc;
}
