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

/*
 * For a block written in order, front to back (rows appended): when the
 * writing is about to pass *done bytes (need: the end of what is to be
 * written next), make the next NSL_MEM_AHEAD bytes present, or up to need
 * if that is farther, never past cap (the block's size); *done becomes
 * the end of that.  Set *done to 0 when the block is replaced.
 */
void nsl_mem_prefault_ahead(void *base, size_t *done, size_t need,
    size_t cap);

#define NSL_MEM_AHEAD ((size_t)8 << 20)

/*
 * A block that grows in place, for rows appended to one array as they
 * are read.  realloc() moves a large block to new addresses as it grows
 * (mremap(2)), and on a virtual machine the moved pages are dear again
 * the first time they are touched, as if new: reading 256 MB after a move
 * takes 0.35-0.42 s here, 0.01 s before it.  So the block reserves
 * address space for the machine's memory at once (MAP_NORESERVE: pages
 * are taken only as they are written; a quarter of a limit on address
 * space at most, none beyond the block under strict overcommit) and
 * grows inside it; past that it moves, as realloc would.  Without
 * mremap(2) it is malloc and realloc.
 *
 * nsl_mem_grow(p, want): the block p (NULL: none yet) made to hold at
 * least want bytes, its contents kept: the block (p itself when it grew
 * in place), or NULL with p untouched when there is no memory.
 * nsl_mem_free(p): give it back (NULL: nothing).  Blocks are 64-byte
 * aligned.  Only these two may grow or free a block.
 */
void *nsl_mem_grow(void *p, size_t want);
void nsl_mem_free(void *p);

#endif
