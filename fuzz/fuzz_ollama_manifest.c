/* libFuzzer target: Ollama registry input (src/remote_parse.c and
 * src/remote.c): a manifest answer, and the first line as NAME:TAG. A
 * digest that passes goes into a URL and a folder name, a name that passes
 * into a URL: check they cannot escape. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "remote_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char digest[80];
    og_error err;
    if (og_ollama_manifest_digest((const char *)data, size, digest, sizeof digest, &err) == OG_OK) {
        if (strlen(digest) != 71 || strncmp(digest, "sha256:", 7) != 0 ||
            strspn(digest + 7, "0123456789abcdef") != 64)
            __builtin_trap();
    }
    char line[512];
    const uint8_t *nl = memchr(data, '\n', size);
    size_t n = nl ? (size_t)(nl - data) : size;
    if (n >= sizeof line)
        n = sizeof line - 1;
    memcpy(line, data, n);
    line[n] = 0;
    if (strlen(line) != n)
        return 0; /* an embedded NUL */
    char *colon = strrchr(line, ':');
    const char *tag = "latest";
    if (colon) {
        *colon = 0;
        tag = colon + 1;
    }
    if (og_ollama_name_valid(line, tag)) {
        if (strstr(line, "..") || strstr(tag, "..") || strchr(tag, '/') || line[0] == '/' ||
            strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                strlen(tag))
            __builtin_trap();
    }
    return 0;
}
