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
 *
 * Reading (nsl_bgzf_in): a file of such blocks (over a hundred, more
 * than one batch) reads back whole in pieces of 1, 4096 and 1,000,000
 * bytes, on 1 to 3 threads; cut short at seven places, it gives a prefix
 * of the text (whole blocks) then NSL_BGZF_TRUNCATED; a changed byte
 * gives NSL_BGZF_CORRUPT after the blocks before it; a plain gzip member
 * after the blocks is NSL_BGZF_FOREIGN at its offset, after all the
 * text; bytes that are not gzip after the blocks end the input.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

static char *dir;	/* unit_tmpdir("bgzf") */

/* A gzip member of "x\n" made by zlib into out (*n: its room, then its
 * length); 1, or 0 on a failure. */
static int
gzip_member(unsigned char *out, size_t *n)
{
	z_stream s;
	int rc;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 6, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	s.next_in = (unsigned char *)(uintptr_t)"x\n";
	s.avail_in = 2;
	s.next_out = out;
	s.avail_out = (unsigned)*n;
	rc = deflate(&s, Z_FINISH);
	*n = (size_t)(s.next_out - out);
	deflateEnd(&s);
	return rc == Z_STREAM_END;
}

/* z[0..n) then tail[0..tn) written to file name; its path */
static const char *
put_file(const char *name, const void *z, size_t n, const void *tail,
    size_t tn)
{
	const char *path = unit_path(dir, name);
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(z, 1, n, fp) != n ||
	    (tn > 0 && fwrite(tail, 1, tn, fp) != tn) || fclose(fp) != 0)
		exit(1);
	return path;
}

/*
 * Read path through nsl_bgzf_in in pieces of piece bytes into out
 * (cap): the text's length, with *st the fault (fault 0 at a clean end).
 */
static size_t
read_all(const char *path, size_t piece, unsigned char *out, size_t cap,
    struct nsl_bgzf_status *st)
{
	struct nsl_bgzf_in *b;
	size_t have = 0;
	long got;
	int fd = open(path, O_RDONLY);

	memset(st, 0, sizeof(*st));
	if (fd < 0 || (b = nsl_bgzf_in_new(fd)) == NULL)
		exit(1);
	while ((got = nsl_bgzf_in_read(b, out + have, cap - have < piece ?
	    cap - have : piece, st)) > 0)
		have += (size_t)got;
	if (got == 0)
		st->fault = 0;
	nsl_bgzf_in_free(b);
	close(fd);
	return have;
}

static void
check_reading(const unsigned char *text, size_t n)
{
	static const size_t pieces[] = { 1, 4096, 1000000 };
	static const int threads[] = { 1, 2, 3 };
	struct nsl_bgzf *c = nsl_bgzf_new(n / NSL_BGZF_BLOCK + 1);
	unsigned char *out = malloc(n + 1), *z;
	struct nsl_bgzf_status st;
	const char *zc, *path;
	size_t zlen, got, t, k, cut;
	unsigned char plain[64];
	size_t plen = sizeof(plain);
	int ok;

	if (c == NULL || out == NULL ||
	    nsl_bgzf_compress(c, (const char *)text, n, &zc, &zlen) != 0)
		exit(1);
	z = malloc(zlen + NSL_BGZF_EOF_LEN);
	memcpy(z, zc, zlen);
	memcpy(z + zlen, nsl_bgzf_eof, NSL_BGZF_EOF_LEN);
	path = put_file("whole.gz", z, zlen + NSL_BGZF_EOF_LEN, NULL, 0);
	for (t = 0; t < 3; t++)
		for (k = 0; k < 3; k++) {
#ifdef _OPENMP
			omp_set_num_threads(threads[t]);
#endif
			got = read_all(path, pieces[k], out, n + 1, &st);
			UNIT_CHECK(got == n && memcmp(out, text, n) == 0 &&
			    st.fault == 0, "reading %zu blocks, %d threads, in "
			    "pieces of %zu: the %zu bytes, then the end (got "
			    "%zu, fault %d)", (n + NSL_BGZF_BLOCK - 1) /
			    NSL_BGZF_BLOCK, threads[t], pieces[k], n, got,
			    (int)st.fault);
		}
	/* cut short: a prefix of whole blocks, then truncated */
	for (k = 1; k <= 7; k++) {
		cut = zlen * k / 8 + 3;
		path = put_file("cut.gz", z, cut, NULL, 0);
		got = read_all(path, 4096, out, n + 1, &st);
		UNIT_CHECK(st.fault == NSL_BGZF_TRUNCATED && got % NSL_BGZF_BLOCK
		    == 0 && got < n && memcmp(out, text, got) == 0, "cut at "
		    "byte %zu of %zu: %zu bytes of text, whole blocks, then "
		    "truncated (fault %d)", cut, zlen, got, (int)st.fault);
	}
	/* a changed byte in the deflate data of block 5 (of the first
	   batch or not: the blocks before it come first) */
	for (k = 0, cut = 0; k < 5; k++)
		cut += (size_t)z[cut + 16] + 256 * (size_t)z[cut + 17] + 1;
	z[cut + 40] ^= 0x55;
	path = put_file("bad.gz", z, zlen, NULL, 0);
	got = read_all(path, 4096, out, n + 1, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && got == 5 * NSL_BGZF_BLOCK &&
	    memcmp(out, text, got) == 0, "a changed byte in block 5: the "
	    "text of blocks 0-4, then corrupt (%s; %zu bytes)", st.msg, got);
	z[cut + 40] ^= 0x55;
	/* a plain gzip member after (zlib's, of "x\n"): foreign, at its
	   offset */
	ok = gzip_member(plain, &plen);
	path = put_file("mixed.gz", z, zlen, plain, plen);
	got = read_all(path, 4096, out, n + 1, &st);
	UNIT_CHECK(ok && st.fault == NSL_BGZF_FOREIGN && st.at == zlen &&
	    got == n && memcmp(out, text, n) == 0, "a plain gzip member "
	    "after the blocks: all the text, then foreign at byte %zu (at "
	    "%llu, fault %d)", zlen, st.at, (int)st.fault);
	/* not gzip after the blocks: the end, as zlib has it */
	path = put_file("garbage.gz", z, zlen, "garbage\n", 8);
	got = read_all(path, 4096, out, n + 1, &st);
	UNIT_CHECK(st.fault == 0 && got == n && memcmp(out, text, n) == 0,
	    "bytes that are not gzip after the blocks end the input "
	    "(fault %d)", (int)st.fault);
	free(z);
	free(out);
	nsl_bgzf_free(c);
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
	/* reading: 130 blocks, two batches and a part */
	{
		size_t big = 130 * NSL_BGZF_BLOCK - 77, k;
		unsigned char *t = malloc(big);

		if ((dir = unit_tmpdir("bgzf")) == NULL || t == NULL)
			return 1;
		for (n = 0; n < big - 32;)
			n += (size_t)snprintf((char *)t + n, 32, "%zu,",
			    n * 7919 % 1000003);
		for (k = n; k < big; k++)
			t[k] = '\n';
		check_reading(t, big);
		free(t);
		snprintf((char *)text, BIG, "rm -rf '%s'", dir);
		if (system((char *)text) != 0)
			return 1;
	}
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
