/*
 * mem.c - make the pages of a large block present before it is written
 * (see nsl/mem.h).
 */
#include <sys/mman.h>

#include <stdint.h>
#include <unistd.h>

#include "nsl/mem.h"

void
nsl_mem_prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + pg - 1) & ~(pg - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(pg - 1);

	if (len < NSL_MEM_PREFAULT_MIN || hi <= lo)
		return;
	/* EINVAL before Linux 5.14, ENOMEM without room: faults as usual */
	(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

void
nsl_mem_prefault_ahead(void *base, size_t *done, size_t need, size_t cap)
{
	size_t to;

	if (need <= *done)
		return;
	to = *done + NSL_MEM_AHEAD > need ? *done + NSL_MEM_AHEAD : need;
	if (to > cap)
		to = cap;
	if (to > *done)
		nsl_mem_prefault((char *)base + *done, to - *done);
	*done = to;
}
