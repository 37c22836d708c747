/* fit_check: embed liboomguard to ask "does this GGUF fit in 24 GiB at 32k
 * context?" with the llama.cpp memory model.
 *
 *   cc fit_check.c $(pkg-config --cflags --libs oomguard) -o fit_check
 *   ./fit_check model.gguf [BUDGET] [CTX]     (defaults: 24G, 32768)
 *
 * Exit status: 0 fits (or tight), 1 does not fit, 2 bad input (the message
 * says why). The plan is llama.cpp's on the CPU backend with its default
 * settings (f16 KV cache, batch 2048, ubatch 512, mmap); the budget is one
 * pool. See docs/LIBRARY.md and docs/LLAMA_CPP.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <oomguard/oomguard.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s MODEL.gguf [BUDGET (24G)] [CTX (32768)]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    const char *budget_text = argc > 2 ? argv[2] : "24G";
    char *end = NULL;
    unsigned long ctx = argc > 3 ? strtoul(argv[3], &end, 10) : 32768;
    if ((end && *end) || ctx == 0 || ctx > UINT32_MAX) {
        fprintf(stderr, "fit_check: '%s' is not a context size\n", argv[3]);
        return 2;
    }

    og_error err;
    og_error_clear(&err);

    uint64_t budget_bytes = 0;
    if (og_parse_size(budget_text, &budget_bytes, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message);
        return 2;
    }

    og_model *model = NULL;
    if (og_model_open(path, &model, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message); /* names the file and what is wrong */
        return 2;
    }

    /* llama.cpp's defaults, the context we ask about */
    og_llama_settings s;
    og_llama_settings_default(&s);
    s.n_ctx = (uint32_t)ctx;
    og_llama_memplan plan;
    if (og_llama_plan(model, &s, &plan, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message);
        og_model_free(model);
        return 2;
    }

    /* the budget: one pool of BUDGET bytes (like `oomguard fit --mem`) */
    og_budget budget = {0};
    budget.unified = 1;
    budget.host_bytes = budget.gpu_bytes = budget.gpu_total_bytes = budget_bytes;
    og_llama_fit fit;
    if (og_llama_verdict(model, &s, &plan, &budget, &fit, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message);
        og_model_free(model);
        return 2;
    }
    uint32_t max_ctx = og_llama_max_ctx(model, &s, &budget);

    char b[4][32];
    printf("liboomguard %s\n", oomguard_version());
    printf("model:    %s (%s, %s, %u layers, trained context %" PRIu64 ")\n",
           model->name ? model->name : path, og_format_name(model->format), model->hp.arch,
           model->hp.n_layer, model->hp.n_ctx_train);
    printf("weights:  %s (%" PRIu64 " bytes, %s)\n",
           og_format_bytes(plan.component_bytes[OG_COMP_WEIGHTS], b[0], sizeof b[0]),
           plan.component_bytes[OG_COMP_WEIGHTS],
           model->quant_label[0] ? model->quant_label : "unknown quant");
    printf("kv cache: %s at %u tokens\n",
           og_format_bytes(plan.component_bytes[OG_COMP_KV], b[1], sizeof b[1]), plan.n_ctx);
    printf("total:    %s (%" PRIu64 " bytes: weights, KV cache, compute, output)\n",
           og_format_bytes(plan.total_bytes, b[2], sizeof b[2]), plan.total_bytes);
    printf("budget:   %s\n", og_format_bytes(budget_bytes, b[3], sizeof b[3]));
    printf("verdict:  %s\n", og_fit_verdict_name(fit.verdict));
    printf("max ctx:  %u tokens\n", max_ctx);

    og_model_free(model);
    return fit.verdict == OG_FIT_NO ? 1 : 0;
}
