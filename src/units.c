#include "oomguard/units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "og_internal.h"

og_status og_parse_size(const char *text, uint64_t *bytes, og_error *err)
{
    if (!text || !*text)
        return og_error_set(err, OG_ERR_INVALID, "empty size");
    const char *p = text;
    uint64_t whole = 0;
    int digits = 0;
    while (isdigit((unsigned char)*p)) {
        if (!og_mul_u64(whole, 10, &whole) || !og_add_u64(whole, (uint64_t)(*p - '0'), &whole))
            return og_error_set(err, OG_ERR_INVALID, "size '%s' is too large", text);
        p++;
        digits++;
    }
    uint64_t frac_num = 0, frac_den = 1;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (frac_den < 1000000000ull) {
                frac_num = frac_num * 10 + (uint64_t)(*p - '0');
                frac_den *= 10;
            }
            p++;
            digits++;
        }
    }
    if (!digits)
        return og_error_set(err, OG_ERR_INVALID,
                            "size '%s' is not a number (examples: 512M, 24G, 1.5T)", text);
    while (*p == ' ')
        p++;
    uint64_t mult = 1;
    char u = (char)toupper((unsigned char)*p);
    if (u) {
        const char *units = "BKMGTP";
        const char *at = strchr(units, u);
        if (!at)
            return og_error_set(
                err, OG_ERR_INVALID,
                "size '%s' has an unknown unit (use K, M, G, T, or KiB/MiB/GiB/TiB)", text);
        for (long i = 0; i < at - units; i++)
            mult *= 1024;
        p++;
        if (u != 'B') {
            if (toupper((unsigned char)*p) == 'I' && toupper((unsigned char)p[1]) == 'B')
                p += 2;
            else if (toupper((unsigned char)*p) == 'B')
                p++;
        }
        if (*p)
            return og_error_set(err, OG_ERR_INVALID, "size '%s' has trailing characters", text);
    }
    uint64_t r;
    if (!og_mul_u64(whole, mult, &r))
        return og_error_set(err, OG_ERR_INVALID, "size '%s' is too large", text);
    /* fraction * mult / den, without overflow for sane inputs */
    long double f = (long double)frac_num * (long double)mult / (long double)frac_den;
    if (!og_add_u64(r, (uint64_t)(f + 0.5L), &r))
        return og_error_set(err, OG_ERR_INVALID, "size '%s' is too large", text);
    *bytes = r;
    return OG_OK;
}

char *og_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes;
    int i = 0;
    while (v >= 1024.0 && i < 6) {
        v /= 1024.0;
        i++;
    }
    if (v >= 100.0)
        snprintf(buf, len, "%.0f %s", v, u[i]);
    else if (v >= 10.0)
        snprintf(buf, len, "%.1f %s", v, u[i]);
    else
        snprintf(buf, len, "%.2f %s", v, u[i]);
    return buf;
}

char *og_format_gb(uint64_t bytes, char *buf, size_t len)
{
    snprintf(buf, len, "%.1f GB", (double)bytes / 1e9);
    return buf;
}
