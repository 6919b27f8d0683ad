/*
 * test_bgzf.c - lib/bgzf.c: texts of 0, 1, 65280, 65281 and 300,000
 * bytes (number text, and bytes deflate cannot shrink, which go in
 * stored blocks) come back whole through zlib's own gzip reader (an
 * independent inflate, members read one after another as RFC 1952 has
 * it); each member is a BGZF block as the SAM/BAM specification (section
 * 4.1) lays it out: the "BC" extra field holding the member's length
 * less one, at most 65280 bytes of text, ceil(n / 65280) of them; the
 * end-of-file block is the specification's 28 bytes; and the bytes are
 * the same on 1, 2 and 3 threads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nsl/bgzf.h"
#include "unit.h"

#define BIG 300000

/* The SAM/BAM specification's end-of-file marker, as it prints it. */
static const unsigned char spec_eof[28] = {
	0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06,
	0x00, 0x42, 0x43, 0x02, 0x00, 0x1b, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

/* All members of z[0..n) inflated by zlib into out (cap bytes); the
 * length, or -1 on an error. */
static long
gunzip(const unsigned char *z, size_t n, unsigned char *out, size_t cap)
{
	z_stream s;
	size_t used = 0, made = 0;
	int rc;

	while (used < n) {
		memset(&s, 0, sizeof(s));
		if (inflateInit2(&s, 16 + 15) != Z_OK)
			return -1;
		s.next_in = (unsigned char *)(uintptr_t)(z + used);
		s.avail_in = (unsigned)(n - used);
		s.next_out = out + made;
		s.avail_out = (unsigned)(cap - made);
		rc = inflate(&s, Z_FINISH);
		used += (size_t)(s.next_in - (z + used));
		made = (size_t)(s.next_out - out);
		inflateEnd(&s);
		if (rc != Z_STREAM_END)
			return -1;
	}
	return (long)made;
}

/* Whether z[0..n) is BGZF blocks of at most 65280 bytes of text each,
 * nb of them; 1 or 0. */
static int
blocks_ok(const unsigned char *z, size_t n, size_t nb)
{
	size_t off = 0, k = 0, bsize, isize;

	while (off < n) {
		if (n - off < 26 || z[off] != 0x1f || z[off + 1] != 0x8b ||
		    z[off + 2] != 8 || z[off + 3] != 4 || z[off + 10] != 6 ||
		    z[off + 11] != 0 || z[off + 12] != 'B' ||
		    z[off + 13] != 'C' || z[off + 14] != 2 || z[off + 15] != 0)
			return 0;
		bsize = (size_t)z[off + 16] + 256 * (size_t)z[off + 17] + 1;
		if (bsize > n - off || bsize > 65536)
			return 0;
		isize = (size_t)z[off + bsize - 4] +
		    ((size_t)z[off + bsize - 3] << 8) +
		    ((size_t)z[off + bsize - 2] << 16) +
		    ((size_t)z[off + bsize - 1] << 24);
		if (isize > 65280)
			return 0;
		off += bsize;
		k++;
	}
	return k == nb;
}

static void
check(const char *what, const unsigned char *text, size_t n)
{
	static const int threads[] = { 1, 2, 3 };
	unsigned char *back = malloc(n + 1), *first = NULL;
	size_t zlen, first_len = 0, t;
	size_t nb = (n + NSL_BGZF_BLOCK - 1) / NSL_BGZF_BLOCK;
	const char *z;
	long got;

	for (t = 0; t < 3; t++) {
		struct nsl_bgzf *c;

#ifdef _OPENMP
		omp_set_num_threads(threads[t]);
#endif
		if ((c = nsl_bgzf_new(BIG / NSL_BGZF_BLOCK + 1)) == NULL ||
		    nsl_bgzf_compress(c, (const char *)text, n, &z,
		    &zlen) != 0)
			exit(1);
		got = gunzip((const unsigned char *)z, zlen, back, n + 1);
		UNIT_CHECK(got == (long)n && (n == 0 || memcmp(back, text,
		    n) == 0), "%s, %d threads: zlib reads back the %zu bytes "
		    "(read %ld)", what, threads[t], n, got);
		UNIT_CHECK(blocks_ok((const unsigned char *)z, zlen, nb),
		    "%s, %d threads: %zu BGZF blocks, each's BSIZE its "
		    "length less one, at most 65280 bytes of text", what,
		    threads[t], nb);
		if (t == 0) {
			first = malloc(zlen + 1);
			memcpy(first, z, zlen);
			first_len = zlen;
		} else
			UNIT_CHECK(zlen == first_len &&
			    memcmp(first, z, zlen) == 0, "%s: the same bytes "
			    "on %d threads as on one", what, threads[t]);
		nsl_bgzf_free(c);
	}
	free(first);
	free(back);
}

int
main(void)
{
	unsigned char *text = malloc(BIG);
	unsigned char back[8];
	uint64_t x = 88172645463325252ULL;
	size_t i, n;

	/* number text, as a JSONL output holds */
	for (n = 0; n < BIG - 32;)
		n += (size_t)snprintf((char *)text + n, 32, "%zu.%03zu,",
		    n * 7919 % 100003, n % 997);
	check("empty", text, 0);
	check("one byte", text, 1);
	check("one whole block", text, 65280);
	check("a block and a byte", text, 65281);
	check("number text, five blocks", text, BIG - 32);
	/* xorshift bytes: deflate cannot shrink them, stored blocks */
	for (i = 0; i < BIG; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		text[i] = (unsigned char)(x >> 32);
	}
	check("random bytes (stored blocks)", text, BIG);

	UNIT_CHECK(memcmp(nsl_bgzf_eof, spec_eof, 28) == 0 &&
	    gunzip(nsl_bgzf_eof, 28, back, sizeof(back)) == 0 &&
	    blocks_ok(nsl_bgzf_eof, 28, 1), "the end-of-file block is the "
	    "specification's 28 bytes: an empty BGZF block");
	free(text);
	return unit_done();
}
