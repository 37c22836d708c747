/* Internal contract between src/procs.c and src/platform/procs_*.c. Not installed. */
#ifndef OG_PROCS_PLATFORM_H
#define OG_PROCS_PLATFORM_H

#include <stdint.h>

#include "oomguard/machine.h"
#include "oomguard/procs.h"

/* Append p to l, growing it. 0 on success, -1 when out of memory. */
int og_proc_list_push(og_proc_list *l, const og_proc *p);

/* Send sig to pid only if, read right now, its parent is expected_ppid and its
 * start stamp is expected_start (expected_ppid < 0: do not check the parent).
 * Returns 1 when signalled, 0 when the process is gone or is not the one
 * expected, -1 on another error (errno set). */
int og_platform_signal_verified(int32_t pid, int32_t expected_ppid, uint64_t expected_start,
                                int sig);

/* The OS this library was built for. */
og_os og_platform_os(void);

#endif
