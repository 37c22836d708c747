/* Status codes and the error struct (see include/oomguard/status.h). */
#include "oomguard/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "og_version.h"

const char *og_strerror(og_status status)
{
    switch (status) {
    case OG_OK:
        return "ok";
    case OG_ERR_INVALID:
        return "bad input";
    case OG_ERR_IO:
        return "input/output error";
    case OG_ERR_NOMEM:
        return "out of memory";
    case OG_ERR_UNSUPPORTED:
        return "not supported";
    case OG_ERR_NOT_FOUND:
        return "not found";
    case OG_ERR_NETWORK:
        return "network error";
    case OG_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown status";
}

og_status og_error_set(og_error *err, og_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void og_error_clear(og_error *err)
{
    if (err) {
        err->status = OG_OK;
        err->message[0] = '\0';
    }
}

const char *oomguard_version(void)
{
    return OG_VERSION_STRING;
}
