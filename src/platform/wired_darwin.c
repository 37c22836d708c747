/* macOS: read and write iogpu.wired_limit_mb (MiB; 0 = the OS default).
 * sysctlbyname(3); writing needs root (EPERM otherwise). The key exists from
 * macOS 14 (macOS 13 used debug.iogpu.wired_limit in bytes — not handled).
 * Not compiled or run here (Linux build host): raw reads/writes only. */
#include <errno.h>
#include <string.h>
#include <sys/sysctl.h>

#include "oomguard/wired.h"

og_status og_wired_read_mb(uint32_t *mb, og_error *err)
{
    int v = 0;
    size_t len = sizeof v;
    if (sysctlbyname(OG_WIRED_SYSCTL_KEY, &v, &len, NULL, 0) != 0)
        return og_error_set(err, OG_ERR_UNSUPPORTED, "sysctl %s: %s", OG_WIRED_SYSCTL_KEY,
                            strerror(errno));
    *mb = v < 0 ? 0 : (uint32_t)v;
    og_error_clear(err);
    return OG_OK;
}

og_status og_wired_apply(uint32_t mb, int *need_root, og_error *err)
{
    int v = (int)mb;
    if (need_root)
        *need_root = 0;
    if (sysctlbyname(OG_WIRED_SYSCTL_KEY, NULL, NULL, &v, sizeof v) != 0) {
        int e = errno;
        if ((e == EPERM || e == EACCES) && need_root)
            *need_root = 1;
        return og_error_set(err, OG_ERR_IO, "sysctl -w %s=%u: %s", OG_WIRED_SYSCTL_KEY, mb,
                            strerror(e));
    }
    og_error_clear(err);
    return OG_OK;
}
