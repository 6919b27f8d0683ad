/*
 * Unit tests of lib/nsl/sort.h: the generated introsort must leave what
 * qsort() with the same rule leaves -- glibc's qsort is the reference --
 * on inputs a quicksort does badly on (sorted, reversed, organ pipe, all
 * equal, few distinct values) as well as random ones, at every size
 * around its insertion-sort cut, and its heapsort fallback (reached
 * directly here) must sort too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/rng.h"
#include "nsl/sort.h"
#include "unit.h"

/* prune_plan's key: group, then score (descending when how is 1), hash */
struct key {
	double s;
	uint64_t h;
	size_t g;
};

static inline int
key_before(const struct key *a, const struct key *b, int how)
{
	if (a->g != b->g)
		return a->g < b->g;
	if (a->s != b->s)
		return how ? a->s > b->s : a->s < b->s;
	return a->h < b->h;
}

NSL_SORT_DEFINE(key_sort, struct key, key_before)

static int
cmp_key(const void *pa, const void *pb, int how)
{
	const struct key *a = pa, *b = pb;

	return key_before(a, b, how) ? -1 : key_before(b, a, how) ? 1 : 0;
}

static int cmp_asc(const void *a, const void *b) { return cmp_key(a, b, 0); }
static int cmp_desc(const void *a, const void *b) { return cmp_key(a, b, 1); }

/* Fill k[0..n) in one of the shapes; few distinct values make ties. */
static void
fill(struct key *k, size_t n, int shape, uint64_t *st)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = nsl_rng_splitmix64(st);

		k[i].g = shape == 5 ? r % 3 : 0;
		k[i].h = shape == 4 ? 7 : r >> 32 & 15;
		switch (shape) {
		case 0: k[i].s = (double)(r % 1000003); break;
		case 1: k[i].s = (double)i; break;
		case 2: k[i].s = -(double)i; break;
		case 3: k[i].s = (double)(i < n / 2 ? i : n - i); break;
		case 4: k[i].s = 0.25; break;
		default: k[i].s = (double)(r % 4); break;
		}
	}
}

int
main(void)
{
	enum { NMAX = 20000 };
	static const size_t sizes[] = { 0, 1, 2, 3, 15, 16, 17, 18, 31, 100,
	    1000, 4097, NMAX };
	struct key *a = malloc(NMAX * sizeof(*a)), *b = malloc(NMAX *
	    sizeof(*b));
	/* the introsort, and its heapsort fallback reached directly */
	void (*sorter[2])(struct key *, size_t, int) = { key_sort,
	    key_sort_heapsort };
	uint64_t st = 99;
	size_t z, n, wrong[2] = { 0, 0 }, runs = 0;
	int shape, how, s;

	if (a == NULL || b == NULL)
		return 1;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (shape = 0; shape < 6; shape++)
			for (how = 0; how < 2; how++) {
				n = sizes[z];
				for (s = 0; s < 2; s++) {
					fill(a, n, shape, &st);
					memcpy(b, a, n * sizeof(*a));
					sorter[s](a, n, how);
					qsort(b, n, sizeof(*b), how ?
					    cmp_desc : cmp_asc);
					/* ties are whole-key equal: the
					 * same bytes */
					wrong[s] += memcmp(a, b,
					    n * sizeof(*a)) != 0;
				}
				runs++;
			}
	UNIT_CHECK(wrong[0] == 0, "introsort equals qsort on %zu inputs: 13 "
	    "sizes, random, sorted, reversed, organ pipe, all equal, ties, "
	    "both orders", runs);
	UNIT_CHECK(wrong[1] == 0, "its heapsort fallback equals qsort on the "
	    "same %zu", runs);
	free(a);
	free(b);
	return unit_done();
}
