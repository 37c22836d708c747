/* TEMPORARY: replaced by the safetensors reader (issue 2). */
#include "oomguard/model.h"

og_status og_safetensors_open(const char *path, og_model **out, og_error *err)
{
    *out = NULL;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "%s: safetensors reader not built yet", path);
}

og_status og_safetensors_parse_buffer(const void *buf, size_t len, uint64_t file_size,
                                      const char *name, og_model **out, og_error *err)
{
    (void)buf, (void)len, (void)file_size;
    *out = NULL;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "%s: safetensors reader not built yet", name);
}

og_status og_folder_open(const char *dir, og_model **out, og_error *err)
{
    *out = NULL;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "%s: folder reader not built yet", dir);
}

og_status og_hf_config_open(const char *path, og_model **out, og_error *err)
{
    *out = NULL;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "%s: config reader not built yet", path);
}

og_status og_hf_config_parse_buffer(const char *json, size_t len, const char *name,
                                    og_model **out, og_error *err)
{
    (void)json, (void)len;
    *out = NULL;
    return og_error_set(err, OG_ERR_UNSUPPORTED, "%s: config reader not built yet", name);
}
