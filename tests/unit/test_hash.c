/*
 * Unit tests of lib/hash.c: what a change detector must do.  The hash
 * has no published values to match (it is our own arrangement), so the
 * checks are its properties: the same bytes give the same hash wherever
 * they lie in memory, any one flipped bit or a different length gives
 * another, and a million distinct records' lines do not collide.
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
	return unit_done();
}
