/* oomguard — sizes: parsing what users type and formatting for people. */
#ifndef OOMGUARD_UNITS_H
#define OOMGUARD_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse a size: a plain number of bytes, or a number (decimals allowed) with
 * a suffix. K/M/G/T and KiB/MiB/GiB/TiB are binary (1024); KB/MB/GB/TB are
 * accepted as binary too, as memory tools conventionally do (24GB = 24 GiB).
 * Case-insensitive; "B" alone means bytes. OG_ERR_INVALID on anything else or
 * on overflow. */
OG_API og_status og_parse_size(const char *text, uint64_t *bytes, og_error *err);

/* Format bytes for people with binary units, 3 significant digits:
 * "512 B", "8.00 KiB", "4.21 GiB". Returns buf. */
OG_API char *og_format_bytes(uint64_t bytes, char *buf, size_t len);

/* Same in decimal GB with one decimal ("38.2 GB"), as model sizes are sold. */
OG_API char *og_format_gb(uint64_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
