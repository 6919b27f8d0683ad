/*
 * test_mem.c - lib/mem.c's blocks that grow in place: a block grows from
 * a kilobyte to 256 MB at the same address with its bytes kept (the
 * point: rows appended are never moved to new pages); it is 64-byte
 * aligned; a block of zero bytes grows too; freeing NULL does nothing.
 * Under a limit on address space smaller than the machine's memory
 * (setrlimit RLIMIT_AS in a child) a block reserves a quarter of it at
 * most, leaving room for the rest of the process, and still grows in
 * place, then past its reservation, its bytes kept (not under
 * AddressSanitizer, whose shadow memory needs the address space).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsl/mem.h"
#include "unit.h"

/* Byte i of a block filled by fill(): known without the block. */
static unsigned char
byte_at(size_t i)
{
	return (unsigned char)(i * 2654435761u >> 13);
}

static void
fill(unsigned char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		p[i] = byte_at(i);
}

/* Whether bytes [0, n) are as fill() made them (every 4093rd). */
static int
kept(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 4093)
		if (p[i] != byte_at(i))
			return 0;
	return n == 0 || p[n - 1] == byte_at(n - 1);
}

/*
 * In a child under a 768 MB limit on address space: exit 0 if a block of
 * 1 MB leaves room for a 400 MB malloc() beside it (its reservation is a
 * quarter of the limit at most), grows in place to 150 MB, and grows
 * past its reservation to 300 MB, its bytes kept at each step.
 */
static int
limited_child(void)
{
	struct rlimit rl = { (rlim_t)768 << 20, (rlim_t)768 << 20 };
	size_t a = (size_t)150 << 20, b = (size_t)300 << 20;
	unsigned char *p, *q;
	char *big;

	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 2;
	if ((p = nsl_mem_grow(NULL, 1 << 20)) == NULL)
		return 3;
	fill(p, 0, 1 << 20);
	if ((big = malloc((size_t)400 << 20)) == NULL)
		return 4;
	memset(big, 1, 4096);
	free(big);
	if ((q = nsl_mem_grow(p, a)) != p)
		return 5;
	fill(q, 1 << 20, a);
	if ((q = nsl_mem_grow(q, b)) == NULL || !kept(q, a))
		return 6;
	fill(q, a, b);
	if (!kept(q, b))
		return 7;
	nsl_mem_free(q);
	return 0;
}

int
main(void)
{
	size_t sizes[] = { 1024, 1 << 20, 9 << 20, 64 << 20, 256 << 20 };
	unsigned char *p, *q, *first;
	size_t s, have = 0;
	int same = 1, all_kept = 1, st = -1;
	pid_t pid;

	first = p = nsl_mem_grow(NULL, 1024);
	UNIT_CHECK(p != NULL && (uintptr_t)p % 64 == 0,
	    "a new block of 1 KB, 64-byte aligned (%p)", (void *)p);
	for (s = 0; p != NULL && s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		if ((q = nsl_mem_grow(p, sizes[s])) == NULL) {
			same = all_kept = 0;
			break;
		}
		same &= q == first;
		p = q;
		fill(p, have, sizes[s]);
		have = sizes[s];
		all_kept &= kept(p, have);
	}
	UNIT_CHECK(same && all_kept, "grown from 1 KB to 256 MB in five "
	    "steps at the same address, every byte written kept (same %d, "
	    "kept %d)", same, all_kept);
	nsl_mem_free(p);

	p = nsl_mem_grow(NULL, 0);
	q = p ? nsl_mem_grow(p, 100) : NULL;
	UNIT_CHECK(p != NULL && q == p, "a block of 0 bytes, grown to 100 "
	    "in place");
	nsl_mem_free(q);
	nsl_mem_free(NULL);

#if defined(__SANITIZE_ADDRESS__)
	printf("# the limited child is skipped under AddressSanitizer\n");
	return unit_done();
#endif
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(limited_child());
	if (pid > 0)
		waitpid(pid, &st, 0);
	UNIT_CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "under a 768 MB limit on address space: a 1 MB block leaves room "
	    "for a 400 MB malloc, grows in place to 150 MB and past its "
	    "reservation to 300 MB, every byte kept (child status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return unit_done();
}
