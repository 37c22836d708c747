/* libFuzzer target: the remote GGUF header scanner (src/gguf_extent.c) on
 * arbitrary bytes, as a server could send them. Checks its promises: a
 * complete header lies within the bytes, an estimate is beyond them, the
 * same answer for every prefix length it is asked about. */
#include <stddef.h>
#include <stdint.h>

#include "gguf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t len)
{
    uint64_t hb = 0, est = 0;
    int r = og_gguf_header_extent(data, len, &hb, &est);
    if (r == 1 && (hb > len || hb < 24))
        __builtin_trap();
    if (r == 0 && est <= len)
        __builtin_trap(); /* an estimate shorter than what was read truncates the header */
    if (r < -1 || r > 1)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    check(data, size / 2);
    if (size > 24)
        check(data, 24);
    return 0;
}
