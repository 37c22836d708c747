/* The key/value set of one parsed GGUF file: lookup and release. The layer
 * under every GGUF reader (gguf.c parses into it; gguf_hparams.c and
 * gguf_arch.c read it), so the readers depend on it one way and never on
 * each other's parser. */
#include <stdlib.h>
#include <string.h>

#include "gguf_internal.h"

void og_gguf_kv_free(gguf_kv *kv)
{
    free(kv->key);
    free(kv->str);
    free(kv->arr);
}

void og_gguf_file_free(gguf_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_kv_kept; i++)
        og_gguf_kv_free(&f->kv[i]);
    free(f->kv);
    memset(f, 0, sizeof *f);
}

const gguf_kv *og_gguf_find(const gguf_file *f, const char *key)
{
    /* kv is sorted by key after parsing. */
    size_t lo = 0, hi = f->n_kv_kept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->kv[mid].key, key);
        if (c == 0)
            return &f->kv[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
