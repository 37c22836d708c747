/* Machine probe for platforms oomguard does not read (neither Linux nor
 * macOS): nothing is known; use --machine with a preset or a snapshot. */
#include <stdio.h>
#include <unistd.h>

#include "machine_internal.h"

og_status og_machine_probe(og_machine *m, og_error *err)
{
    og_machine_init(m);
    og_machine_source(m, "platform", 0, "this operating system is not probed");
    return og_error_set(err, OG_ERR_UNSUPPORTED,
                        "cannot probe this operating system: pass --machine with a preset name or "
                        "a saved snapshot (oomguard machine --list)");
}
