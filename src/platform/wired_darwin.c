/* macOS: read and write iogpu.wired_limit_mb (MiB; 0 = the OS default).
 * sysctlbyname(3); writing needs root (EPERM otherwise). The key exists from
 * macOS 14 (macOS 13 used debug.iogpu.wired_limit in bytes — not handled).
 * Raw reads/writes only; compiled and linked by scripts/macos-build, not run
 * on a Mac (docs/verification/macos-calls.md). */
#include <errno.h>
#include <string.h>
#include <sys/sysctl.h>

#include "oomguard/wired.h"

og_status og_wired_read_mb(uint32_t *mb, og_error *err)
{
    /* IOGPUFamily is not open source: the value is a 4-byte int as sysctl(8)
     * prints and sets it, but an 8-byte buffer takes either width. */
    int64_t v64 = 0;
    size_t len = sizeof v64;
    if (sysctlbyname(OG_WIRED_SYSCTL_KEY, &v64, &len, NULL, 0) != 0)
        return og_error_set(err, OG_ERR_UNSUPPORTED, "sysctl %s: %s", OG_WIRED_SYSCTL_KEY,
                            strerror(errno));
    if (len == sizeof(int32_t)) {
        int32_t v32;
        memcpy(&v32, &v64, sizeof v32);
        v64 = v32;
    }
    *mb = v64 < 0 ? 0 : v64 > UINT32_MAX ? UINT32_MAX : (uint32_t)v64;
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
