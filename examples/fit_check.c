/* fit_check: embed liboomguard to ask "does this GGUF fit in 24 GiB at 32k
 * context?".
 *
 *   cc fit_check.c $(pkg-config --cflags --libs oomguard) -o fit_check
 *   ./fit_check model.gguf [BUDGET] [CTX]     (defaults: 24G, 32768)
 *
 * Exit status: 0 fits, 1 does not fit, 2 bad input (the message says why).
 *
 * This version uses the model reader (og_model_open) and counts the weights,
 * the part of the budget a file fixes by itself. The KV cache and compute
 * buffers at CTX come from the llama.cpp memory model (oomguard/llama.h,
 * og_llama_plan); until this library ships it, the program says that the
 * answer covers the weights only. See docs/LIBRARY.md.
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
    unsigned long ctx = argc > 3 ? strtoul(argv[3], NULL, 10) : 32768;

    og_error err;
    og_error_clear(&err);

    uint64_t budget = 0;
    if (og_parse_size(budget_text, &budget, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message);
        return 2;
    }

    og_model *model = NULL;
    if (og_model_open(path, &model, &err) != OG_OK) {
        fprintf(stderr, "fit_check: %s\n", err.message); /* names the file and what is wrong */
        return 2;
    }

    char weights[32], limit[32], left[32];
    og_format_bytes(model->weight_bytes, weights, sizeof weights);
    og_format_bytes(budget, limit, sizeof limit);
    int fits = model->weight_bytes <= budget;
    og_format_bytes(fits ? budget - model->weight_bytes : model->weight_bytes - budget, left,
                    sizeof left);

    printf("liboomguard %s\n", oomguard_version());
    printf("model:    %s (%s, %s, %u layers, trained context %" PRIu64 ")\n",
           model->name ? model->name : path, og_format_name(model->format), model->hp.arch,
           model->hp.n_layer, model->hp.n_ctx_train);
    printf("weights:  %s (%" PRIu64 " bytes, %s)\n", weights, model->weight_bytes,
           model->quant_label[0] ? model->quant_label : "unknown quant");
    printf("budget:   %s\n", limit);
    printf("context:  %lu tokens (KV cache and compute buffers: not counted by this version)\n",
           ctx);
    printf("verdict:  weights %s (%s %s)\n", fits ? "fit" : "do not fit", left,
           fits ? "left for the KV cache and compute buffers" : "over");

    og_model_free(model);
    return fits ? 0 : 1;
}
