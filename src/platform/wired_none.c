/* No iogpu.wired_limit_mb here: it is a macOS (Apple Silicon) sysctl. On
 * Linux the GPU pools are VRAM (fixed) or, on AMD APUs, GTT (ttm.pages_limit
 * on the kernel command line; see og_gtt_parse_cmdline). */
#include "oomguard/wired.h"

og_status og_wired_read_mb(uint32_t *mb, og_error *err)
{
    if (mb)
        *mb = 0;
    return og_error_set(err, OG_ERR_UNSUPPORTED,
                        "iogpu.wired_limit_mb exists only on macOS (Apple Silicon)");
}

og_status og_wired_apply(uint32_t mb, int *need_root, og_error *err)
{
    (void)mb;
    if (need_root)
        *need_root = 0;
    return og_error_set(err, OG_ERR_UNSUPPORTED,
                        "iogpu.wired_limit_mb exists only on macOS (Apple Silicon)");
}
