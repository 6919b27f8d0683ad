/*
 * mem.h - make the pages of a large block present before it is written.
 *
 * A block of rows written once, in order (a data set read into memory, a
 * copy of one), takes a page fault every 4 KiB as it is first touched;
 * on a virtual machine each fault costs microseconds, and together they
 * cost as much as the writing.  One madvise(MADV_POPULATE_WRITE) call
 * (Linux 5.14) makes a range present at once.
 */
#ifndef NSL_MEM_H
#define NSL_MEM_H

#include <stddef.h>

/* Blocks smaller than this are left to fault as usual. */
#define NSL_MEM_PREFAULT_MIN ((size_t)1 << 20)

/*
 * Make the whole pages inside [p, p + len) present and writable, when
 * len is at least NSL_MEM_PREFAULT_MIN.  Advice only: a kernel without
 * MADV_POPULATE_WRITE, or a failure (no memory for it now), leaves the
 * pages to fault in as they are written, as without the call.  Only for
 * a range about to be written whole: it takes memory for all of it.
 */
void nsl_mem_prefault(void *p, size_t len);

#endif
