/* libFuzzer target: the Hugging Face Hub's repository answer
 * (GET /api/models/REPO/revision/REV, src/remote_parse.c). A commit that
 * passes goes into URLs and the cache's folder names. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "remote_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char sha[128];
    struct json_t *sib = NULL;
    og_error err;
    if (og_hf_revision_parse((const char *)data, size, "main", sha, sizeof sha, &sib, &err) !=
        OG_OK) {
        if (sib)
            __builtin_trap();
        return 0;
    }
    if (strcmp(sha, "main") != 0 && (strlen(sha) != 40 || strspn(sha, "0123456789abcdef") != 40))
        __builtin_trap();
    if (!json_is_array(sib) || json_array_size(sib) > OG_REMOTE_MAX_LISTING)
        __builtin_trap();
    size_t i;
    json_t *v;
    json_array_foreach(sib, i, v)
    {
        const char *f = json_string_value(json_object_get(v, "rfilename"));
        (void)f;
    }
    json_decref(sib);
    return 0;
}
