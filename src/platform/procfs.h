/* Small helpers for the Linux /proc and /sys readers (the *_linux.c files). */
#ifndef OG_PLATFORM_PROCFS_H
#define OG_PLATFORM_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a small file into buf (at most cap - 1 bytes, NUL-terminated);
 * returns the bytes read or -1. EINTR is retried. */
ssize_t og_procfs_read(const char *path, char *buf, size_t cap);

/* Parse a decimal number at *s after spaces and tabs, overflow-checked;
 * on success store it, move *s past it and return 1, else return 0. */
int og_procfs_u64(const char **s, uint64_t *v);

#endif
