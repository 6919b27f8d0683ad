/*
 * Unit tests of lib/hash.c: what a change detector must do.  The hash
 * has no published values to match (it is our own arrangement), so the
 * checks are its properties: the same bytes give the same hash wherever
 * they lie in memory, any one flipped bit or a different length gives
 * another, and a million distinct records' lines do not collide.  The
 * least-rank sample (nsl_hash_least) by hand, and against a sort of
 * every rank.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/hash.h"
#include "unit.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Draw the m least of h[0..n) into rec[0..m) in rank order: how many. */
static size_t
least(const uint64_t *h, size_t n, size_t m, size_t *rec, size_t *slots)
{
	struct nsl_hash_least S;
	size_t *held = malloc((m + 1) * sizeof(*held)), i, k, got;

	if (held == NULL || nsl_hash_least_init(&S, m) < 0)
		return 0;
	for (i = 0; i < n; i++) {
		k = nsl_hash_least_offer(&S, h[i]);
		if (slots != NULL)
			slots[i] = k;
		if (k != NSL_HASH_NO_SLOT)
			held[k] = i;
	}
	got = nsl_hash_least_order(&S, rec);
	for (i = 0; i < got; i++)
		rec[i] = held[rec[i]];
	nsl_hash_least_release(&S);
	free(held);
	return got;
}

static void
test_least(void)
{
	/* by hand: ranks (5,0) (3,1) (9,2) (3,3) (1,4) (7,5) (3,6) */
	static const uint64_t h[] = { 5, 3, 9, 3, 1, 7, 3 };
	static const size_t want_slots[] = { 0, 1, 2, 2, 0, NSL_HASH_NO_SLOT,
	    NSL_HASH_NO_SLOT };
	enum { N = 10000, M = 100 };
	struct nsl_hash_rank *all = malloc(N * sizeof(*all));
	uint64_t *r = malloc(N * sizeof(*r)), x = 42;
	size_t rec[N], slots[7], i, bad = 0;

	UNIT_CHECK(least(h, 7, 3, rec, slots) == 3 && rec[0] == 4 &&
	    rec[1] == 1 && rec[2] == 3 && memcmp(slots, want_slots,
	    sizeof(slots)) == 0, "the 3 least of 7 by hand: hash 1, then "
	    "the two 3s first read; a later equal hash is not taken");
	UNIT_CHECK(least(h, 7, 0, rec, slots) == 0 &&
	    slots[0] == NSL_HASH_NO_SLOT, "a sample of none takes none");
	UNIT_CHECK(least(h, 7, 10, rec, NULL) == 7 && rec[0] == 4 &&
	    rec[1] == 1 && rec[2] == 3 && rec[3] == 6 && rec[4] == 0 &&
	    rec[5] == 5 && rec[6] == 2, "room for more than offered: all, "
	    "sorted");
	/* many ties (50 hash values), against a sort of every rank */
	for (i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		r[i] = (x >> 33) % 50;
		all[i].h = r[i];
		all[i].i = i;
	}
	qsort(all, N, sizeof(*all), nsl_hash_rank_cmp);
	if (least(r, N, M, rec, NULL) != M)
		bad++;
	for (i = 0; i < M; i++)
		bad += rec[i] != all[i].i;
	UNIT_CHECK(bad == 0, "the 100 least of 10000 with ties are the "
	    "first 100 of every rank sorted (%zu differ)", bad);
	free(all);
	free(r);
}

int
main(void)
{
	enum { MAXLEN = 300, NLINES = 1000000 };
	unsigned char buf[MAXLEN + 16], *moved = malloc(MAXLEN + 16);
	uint64_t *h = malloc(NLINES * sizeof(uint64_t)), base;
	size_t len, i, bit, off, same_bad = 0, flip_bad = 0, len_bad = 0;
	size_t collisions = 0;
	char line[64];

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= MAXLEN; len++) {
		base = nsl_hash64(buf, len);
		/* the same bytes at every alignment */
		for (off = 1; off < 16; off++) {
			memcpy(moved + off, buf, len);
			if (nsl_hash64(moved + off, len) != base)
				same_bad++;
		}
		/* one bit flipped, at every position */
		for (bit = 0; bit < 8 * len; bit++) {
			buf[bit / 8] ^= (unsigned char)(1u << bit % 8);
			if (nsl_hash64(buf, len) == base)
				flip_bad++;
			buf[bit / 8] ^= (unsigned char)(1u << bit % 8);
		}
		/* one more byte, even a zero one */
		buf[len] = 0;
		if (len < MAXLEN && nsl_hash64(buf, len + 1) == base)
			len_bad++;
		buf[len] = (unsigned char)(len * 37 + 11);
	}
	UNIT_CHECK(same_bad == 0, "the same bytes hash alike at every "
	    "alignment (lengths 0-%d; %zu differ)", MAXLEN, same_bad);
	UNIT_CHECK(flip_bad == 0, "any one flipped bit changes the hash "
	    "(lengths 0-%d; %zu did not)", MAXLEN, flip_bad);
	UNIT_CHECK(len_bad == 0, "a zero byte more changes the hash (%zu "
	    "did not)", len_bad);
	for (i = 0; i < NLINES; i++) {
		int n = snprintf(line, sizeof(line), "{\"id\":%zu,\"x\":[%zu]}",
		    i, i % 1000);

		h[i] = nsl_hash64(line, (size_t)n);
	}
	qsort(h, NLINES, sizeof(*h), cmp_u64);
	for (i = 1; i < NLINES; i++)
		if (h[i] == h[i - 1])
			collisions++;
	UNIT_CHECK(collisions == 0, "a million distinct record lines give a "
	    "million hashes (%zu collisions)", collisions);
	free(moved);
	free(h);
	test_least();
	return unit_done();
}
