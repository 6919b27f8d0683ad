/*
 * mem.c - make the pages of a large block present before it is written;
 * blocks that grow in place (see nsl/mem.h).
 */
#include <sys/mman.h>

#include <sys/resource.h>

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#if defined(MREMAP_MAYMOVE) && defined(MAP_NORESERVE)
/*
 * The mapping's first 64 bytes say how long it is; the block follows.
 * The magic number catches a pointer that did not come from here (a
 * bug, asserted, as free() of a foreign pointer would abort).
 */
#define MEM_HEAD 64
#define MEM_MAGIC 0x6e736c2d6d656d31ULL	/* "nsl-mem1" */

struct mem_head {
	size_t len;		/* of the whole mapping */
	uint64_t magic;
};

static size_t
page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/*
 * How much address space a new block may reserve: the machine's memory,
 * but a quarter at most of a limit on address space (RLIMIT_AS), and
 * nothing beyond the block itself under strict overcommit (mode 2, where
 * MAP_NORESERVE counts against the commit limit): a reservation must not
 * take what the rest of the process will ask for.
 */
static size_t
mem_room(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	size_t r = pages > 0 ? (size_t)pages * (size_t)sysconf(_SC_PAGESIZE) :
	    0;
	struct rlimit rl;
	FILE *fp;
	int mode = 0;

	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    r > rl.rlim_cur / 4)
		r = rl.rlim_cur / 4;
	if ((fp = fopen("/proc/sys/vm/overcommit_memory", "r")) != NULL) {
		if (fscanf(fp, "%d", &mode) != 1)
			mode = 0;
		fclose(fp);
	}
	return mode == 2 ? 0 : r;
}

/* Address space for want bytes: mem_room(), or less if the system will
 * not give that much, but never less than want. */
static void *
mem_reserve(size_t want, size_t *len)
{
	size_t need = page_round(want + MEM_HEAD), r = mem_room();
	void *m;

	if (r < need)
		r = need;
	for (;;) {
		m = mmap(NULL, r, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED) {
			*len = r;
			return m;
		}
		if (r == need)
			return NULL;
		r = r / 2 > need ? page_round(r / 2) : need;
	}
}

void *
nsl_mem_grow(void *p, size_t want)
{
	struct mem_head *h;
	size_t len, nlen;
	void *m;

	if (want > SIZE_MAX / 2 - MEM_HEAD)
		return NULL;
	if (p == NULL) {
		if ((m = mem_reserve(want, &len)) == NULL)
			return NULL;
		h = m;
		h->len = len;
		h->magic = MEM_MAGIC;
		return (char *)m + MEM_HEAD;
	}
	h = (struct mem_head *)(void *)((char *)p - MEM_HEAD);
	assert(h->magic == MEM_MAGIC);
	if (want + MEM_HEAD <= h->len)
		return p;
	/* past the reservation: twice as much, moved if need be */
	nlen = page_round(want + MEM_HEAD > 2 * h->len ? want + MEM_HEAD :
	    2 * h->len);
	if ((m = mremap(h, h->len, nlen, MREMAP_MAYMOVE)) == MAP_FAILED)
		return NULL;
	h = m;
	h->len = nlen;
	return (char *)m + MEM_HEAD;
}

void
nsl_mem_free(void *p)
{
	struct mem_head *h;

	if (p == NULL)
		return;
	h = (struct mem_head *)(void *)((char *)p - MEM_HEAD);
	assert(h->magic == MEM_MAGIC);
	h->magic = 0;
	(void)munmap(h, h->len);
}
#else
void *
nsl_mem_grow(void *p, size_t want)
{
	return realloc(p, want ? want : 1);
}

void
nsl_mem_free(void *p)
{
	free(p);
}
#endif
