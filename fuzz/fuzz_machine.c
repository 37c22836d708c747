/* libFuzzer target: machine snapshots (`--machine FILE`, written by
 * `oomguard machine --save` and by hand) on arbitrary bytes; a snapshot that
 * loads must also survive the round trip to JSON and back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static og_machine m, again;
    og_error err;
    if (og_machine_from_json((const char *)data, size, "fuzz.json", &m, &err) != OG_OK)
        return 0;
    char *text = og_machine_to_json(&m);
    if (!text)
        return 0;
    if (og_machine_from_json(text, strlen(text), "round-trip.json", &again, &err) != OG_OK)
        abort(); /* what we wrote, we must read back */
    free(text);
    return 0;
}
