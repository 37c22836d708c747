/* oomguard — status codes and error reporting.
 *
 * Every fallible library function returns an og_status and, when the caller
 * passes a non-NULL og_error, fills it with a one-line human message that
 * names the file (or source), the offset or key, and what is wrong. The
 * library never prints and never exits.
 */
#ifndef OOMGUARD_STATUS_H
#define OOMGUARD_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define OG_API
#elif defined(__GNUC__)
#define OG_API __attribute__((visibility("default")))
#else
#define OG_API
#endif

typedef enum og_status {
    OG_OK = 0,
    OG_ERR_INVALID = 1,     /* bad input: malformed file, bad argument, impossible setting */
    OG_ERR_IO = 2,          /* a file or device could not be read or written */
    OG_ERR_NOMEM = 3,       /* an allocation failed */
    OG_ERR_UNSUPPORTED = 4, /* valid but not supported (format version, platform) */
    OG_ERR_NOT_FOUND = 5,   /* no such file, model, preset or key */
    OG_ERR_NETWORK = 6,     /* a remote source failed */
    OG_ERR_INTERNAL = 7     /* a bug: an invariant did not hold */
} og_status;

#define OG_ERROR_MESSAGE_MAX 512

typedef struct og_error {
    og_status status;
    char message[OG_ERROR_MESSAGE_MAX];
} og_error;

/* A short static description of a status ("bad input", ...). Never NULL. */
OG_API const char *og_strerror(og_status status);

/* Set err (if non-NULL) to status and a printf-style message; returns status
 * so callers can write `return og_error_set(err, OG_ERR_INVALID, ...)`. */
OG_API og_status og_error_set(og_error *err, og_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Clear err to OG_OK and an empty message. NULL is allowed. */
OG_API void og_error_clear(og_error *err);

/* Version of the library, e.g. "0.1.0". Static string. */
OG_API const char *oomguard_version(void);

#ifdef __cplusplus
}
#endif
#endif
