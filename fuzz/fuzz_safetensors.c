/* libFuzzer target: the safetensors header reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "oomguard/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    og_model *m = NULL;
    og_error err;
    if (og_safetensors_parse_buffer(data, size, size, "fuzz.safetensors", &m, &err) == OG_OK)
        og_model_free(m);
    return 0;
}
