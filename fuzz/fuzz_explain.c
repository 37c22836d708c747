/* libFuzzer target: explain's engine-log scanner on arbitrary bytes (a log
 * is whatever an engine, a wrapper or a user pasted). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "oomguard/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static og_log_report *r;
    if (!r && !(r = malloc(sizeof *r)))
        return 0;
    og_error err;
    og_explain_text((const char *)data, size, r, &err);
    return 0;
}
