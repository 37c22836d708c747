/* libFuzzer target: the Hugging Face config.json reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "oomguard/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    og_model *m = NULL;
    og_error err;
    if (og_hf_config_parse_buffer((const char *)data, size, "fuzz/config.json", &m, &err) == OG_OK)
        og_model_free(m);
    return 0;
}
