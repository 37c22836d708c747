/* Remote sizing: the registries' answers, parsed without the network (see
 * remote_internal.h). Kept apart from the HTTP code so the fuzz targets
 * (fuzz/fuzz_hf_api.c, fuzz/fuzz_ollama_manifest.c) reach them directly. */
#include <jansson.h>
#include <string.h>

#include "og_internal.h"
#include "remote_internal.h"

static int all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[n] == 0;
}

og_status og_hf_revision_parse(const char *buf, size_t len, const char *rev, char *sha,
                               size_t sha_len, json_t **siblings, og_error *err)
{
    *siblings = NULL;
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return og_error_set(err, OG_ERR_NETWORK, "not a repository description (%s)",
                            j ? "not an object" : je.text);
    }
    const char *s = json_string_value(json_object_get(j, "sha"));
    json_t *sib = json_object_get(j, "siblings");
    og_status st = OG_OK;
    if (!json_is_array(sib))
        st = og_error_set(err, OG_ERR_NETWORK, "no file list ('siblings') in the answer");
    else if (json_array_size(sib) > OG_REMOTE_MAX_LISTING)
        st = og_error_set(err, OG_ERR_UNSUPPORTED,
                          "the repository lists %zu files, more than the %u oomguard reads",
                          json_array_size(sib), OG_REMOTE_MAX_LISTING);
    else if (s && !(strlen(s) == 40 && all_hex(s, 40)))
        /* the commit goes into URLs and the cache's folder names */
        st = og_error_set(err, OG_ERR_NETWORK, "the commit '%.60s' is not a 40-digit hex id", s);
    if (st != OG_OK) {
        json_decref(j);
        return st;
    }
    og_strlcpy(sha, s ? s : rev, sha_len);
    *siblings = json_incref(sib);
    json_decref(j);
    return OG_OK;
}

og_status og_ollama_manifest_digest(const char *buf, size_t len, char *digest, size_t digest_len,
                                    og_error *err)
{
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    const char *d = NULL;
    json_t *layers = j ? json_object_get(j, "layers") : NULL;
    size_t i;
    json_t *v;
    if (json_is_array(layers))
        json_array_foreach(layers, i, v)
        {
            const char *mt = json_string_value(json_object_get(v, "mediaType"));
            if (mt && strcmp(mt, "application/vnd.ollama.image.model") == 0)
                d = json_string_value(json_object_get(v, "digest"));
        }
    og_status st = OG_OK;
    if (!j)
        st = og_error_set(err, OG_ERR_NETWORK, "not a manifest (%s)", je.text);
    else if (!d)
        st = og_error_set(err, OG_ERR_NETWORK, "the manifest has no model layer");
    /* the digest goes into the blob URL and the cache's folder name */
    else if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71 || !all_hex(d + 7, 64) ||
             digest_len < 72)
        st = og_error_set(err, OG_ERR_NETWORK, "the model layer's digest '%.80s' is not sha256:HEX",
                          d);
    else
        og_strlcpy(digest, d, digest_len);
    json_decref(j);
    return st;
}
