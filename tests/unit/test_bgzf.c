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
 * of the text (the blocks before the cut, and some of the cut one) then
 * NSL_BGZF_TRUNCATED, where zlib's gzread fails too; a changed byte
 * gives NSL_BGZF_CORRUPT after the blocks before it, where gzread fails
 * too, and so does a changed length or CRC-32 in a block's trailer; bytes that are not gzip after the blocks end the input.  The
 * same from a pipe whose first two bytes were read before (given as the
 * head).
 *
 * Members that are not blocks (zlib's, inflated by ISA-L):
 * blocks between two such members give all three texts in order; zlib's
 * member of the whole 8.5 MB text (two batches of text and more) comes
 * back whole, also from a pipe; cut short, a prefix then truncated; a
 * changed CRC-32 or length, the text then corrupt; a reserved header
 * flag, corrupt as zlib has it; a member with a "BC" field but more text
 * than a block holds (100,000 bytes), read whole.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* A gzip member of text[0..tn) made by zlib into out (*n: its room,
 * then its length); 1, or 0 on a failure. */
static int
zlib_member(const void *text, size_t tn, unsigned char *out, size_t *n)
{
	z_stream s;
	int rc;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 6, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	s.next_in = (unsigned char *)(uintptr_t)text;
	s.avail_in = (unsigned)tn;
	s.next_out = out;
	s.avail_out = (unsigned)*n;
	rc = deflate(&s, Z_FINISH);
	*n = (size_t)(s.next_out - out);
	deflateEnd(&s);
	return rc == Z_STREAM_END;
}

/* A gzip member of "x\n" made by zlib (see zlib_member). */
static int
gzip_member(unsigned char *out, size_t *n)
{
	return zlib_member("x\n", 2, out, n);
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

/* nsl_bgzf_in_counts after the last read_via: BGZF blocks inflated in
 * parallel, other members on one thread */
static unsigned long long last_blocks, last_members;

/*
 * Read path through nsl_bgzf_in in pieces of piece bytes into out
 * (cap): the text's length, with *st the fault (fault 0 at a clean end).
 * From a pipe when piped: a child writes the file into it, and its first
 * two bytes are read before and given as the head, as nsl/io.h does.
 */
static size_t
read_via(const char *path, int piped, size_t piece, unsigned char *out,
    size_t cap, struct nsl_bgzf_status *st)
{
	struct nsl_bgzf_in *b;
	unsigned char head[2];
	size_t have = 0, nhead = 0;
	long got;
	ssize_t k;
	pid_t pid = -1;
	int fd = open(path, O_RDONLY), p[2], status;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		exit(1);
	if (piped) {
		if (pipe(p) != 0 || (pid = fork()) < 0)
			exit(1);
		if (pid == 0) {
			char buf[65536];

			close(p[0]);
			while ((k = read(fd, buf, sizeof(buf))) > 0)
				if (write(p[1], buf, (size_t)k) != k)
					_exit(1);
			_exit(k == 0 ? 0 : 1);
		}
		close(p[1]);
		close(fd);
		fd = p[0];
		while (nhead < 2 && (k = read(fd, head + nhead,
		    2 - nhead)) > 0)
			nhead += (size_t)k;
	}
	if ((b = nsl_bgzf_in_new(fd, head, nhead)) == NULL)
		exit(1);
	while ((got = nsl_bgzf_in_read(b, out + have, cap - have < piece ?
	    cap - have : piece, st)) > 0)
		have += (size_t)got;
	if (got == 0)
		st->fault = 0;
	nsl_bgzf_in_counts(b, &last_blocks, &last_members);
	nsl_bgzf_in_free(b);
	close(fd);
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		exit(1);
	return have;
}

static size_t
read_all(const char *path, size_t piece, unsigned char *out, size_t cap,
    struct nsl_bgzf_status *st)
{
	return read_via(path, 0, piece, out, cap, st);
}

/*
 * path through zlib's gzread, the reference: the text into out (cap), its
 * length returned; *clean whether it ended without an error, *msg
 * gzerror's message without the file name gzopen puts before it.
 */
static size_t
zlib_read(const char *path, unsigned char *out, size_t cap, int *clean,
    char *msg, size_t msgcap)
{
	gzFile g = gzopen(path, "rb");
	size_t have = 0;
	const char *m, *colon;
	int got, errnum;

	if (g == NULL)
		exit(1);
	while ((got = gzread(g, out + have, (unsigned)(cap - have < 4096 ?
	    cap - have : 4096))) > 0)
		have += (size_t)got;
	m = gzerror(g, &errnum);
	*clean = got == 0 && (errnum == Z_OK || errnum == Z_STREAM_END);
	colon = strstr(m, ": ");
	snprintf(msg, msgcap, "%s", colon != NULL ? colon + 2 : m);
	gzclose(g);
	return have;
}

static void
check_reading(const unsigned char *text, size_t n)
{
	static const size_t pieces[] = { 1, 4096, 1000000 };
	static const int threads[] = { 1, 2, 3 };
	struct nsl_bgzf *c = nsl_bgzf_new(n / NSL_BGZF_BLOCK + 1);
	unsigned char *out = malloc(n + 3), *z, *zout = malloc(n + 1);
	char zmsg[128];
	size_t zgot;
	int zclean;
	size_t nb = (n + NSL_BGZF_BLOCK - 1) / NSL_BGZF_BLOCK;
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
			    st.fault == 0 && last_blocks == nb + 1 &&
			    last_members == 0, "reading %zu blocks, %d "
			    "threads, in pieces of %zu: the %zu bytes, then "
			    "the end, every block (and the end block) "
			    "inflated as a block (got %zu, fault %d; %llu "
			    "blocks, %llu other members)", nb, threads[t],
			    pieces[k], n, got, (int)st.fault, last_blocks,
			    last_members);
		}
	/* cut short: a prefix, then truncated, as gzread has it */
	for (k = 1; k <= 7; k++) {
		cut = zlen * k / 8 + 3;
		path = put_file("cut.gz", z, cut, NULL, 0);
		got = read_all(path, 4096, out, n + 1, &st);
		zgot = zlib_read(path, zout, n + 1, &zclean, zmsg,
		    sizeof(zmsg));
		UNIT_CHECK(st.fault == NSL_BGZF_TRUNCATED && !zclean &&
		    got >= (k * n / 8 / NSL_BGZF_BLOCK - 1) * NSL_BGZF_BLOCK &&
		    got < n && memcmp(out, text, got) == 0, "cut at byte %zu "
		    "of %zu: %zu bytes of the text (gzread %zu), then "
		    "truncated (fault %d)", cut, zlen, got, zgot,
		    (int)st.fault);
	}
	/* a changed byte in the deflate data of block 5 (of the first
	   batch or not: the blocks before it come first) */
	for (k = 0, cut = 0; k < 5; k++)
		cut += (size_t)z[cut + 16] + 256 * (size_t)z[cut + 17] + 1;
	z[cut + 40] ^= 0x55;
	path = put_file("bad.gz", z, zlen, NULL, 0);
	got = read_all(path, 4096, out, n + 1, &st);
	zgot = zlib_read(path, zout, n + 1, &zclean, zmsg, sizeof(zmsg));
	UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && got >= 5 * NSL_BGZF_BLOCK &&
	    memcmp(out, text, 5 * NSL_BGZF_BLOCK) == 0 && !zclean &&
	    st.msg[0] != '\0', "a changed byte in block 5: the text of blocks "
	    "0-4 (%zu bytes; gzread %zu), then corrupt, as gzread has it "
	    "(\"%s\"; gzread \"%s\")", got, zgot, st.msg, zmsg);
	z[cut + 40] ^= 0x55;
	/* block 5's length (ISIZE, its last byte), then its CRC-32's first:
	   each refused after the text before it */
	for (k = 0; k < 2; k++) {
		size_t at = cut + (size_t)z[cut + 16] + 256 *
		    (size_t)z[cut + 17] + 1 - (k == 0 ? 1 : 8);

		z[at] ^= 1;
		path = put_file("trailer.gz", z, zlen, NULL, 0);
		got = read_all(path, 4096, out, n + 1, &st);
		UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && strcmp(st.msg,
		    "incorrect data or length check") == 0 && got >= 5 *
		    NSL_BGZF_BLOCK && memcmp(out, text, 5 * NSL_BGZF_BLOCK) ==
		    0, "block 5's %s changed: the text of blocks 0-4, then "
		    "\"%s\"", k == 0 ? "length" : "CRC-32", st.msg);
		z[at] ^= 1;
	}
	/* the same from a pipe, its first two bytes given as the head */
	path = put_file("whole.gz", z, zlen, nsl_bgzf_eof, NSL_BGZF_EOF_LEN);
	got = read_via(path, 1, 4096, out, n + 1, &st);
	UNIT_CHECK(got == n && memcmp(out, text, n) == 0 && st.fault == 0 &&
	    last_blocks == nb + 1 && last_members == 0, "from a pipe, the "
	    "first two bytes read before: the %zu bytes, then the end, as "
	    "blocks (got %zu, fault %d; %llu blocks)", n, got, (int)st.fault,
	    last_blocks);
	cut = zlen / 2 + 3;
	path = put_file("cut.gz", z, cut, NULL, 0);
	got = read_via(path, 1, 4096, out, n + 1, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_TRUNCATED && got >= (n / 2 /
	    NSL_BGZF_BLOCK - 1) * NSL_BGZF_BLOCK && got < n && memcmp(out,
	    text, got) == 0, "from a pipe, cut at byte %zu of %zu: %zu bytes "
	    "of the text, then truncated (fault %d)", cut, zlen, got,
	    (int)st.fault);
	/* a plain gzip member after (zlib's, of "x\n"): read on */
	ok = gzip_member(plain, &plen);
	path = put_file("mixed.gz", z, zlen, plain, plen);
	got = read_all(path, 4096, out, n + 3, &st);
	UNIT_CHECK(ok && st.fault == 0 && got == n + 2 && memcmp(out, text,
	    n) == 0 && memcmp(out + n, "x\n", 2) == 0, "a plain gzip member "
	    "after the blocks: all the text, then its \"x\\n\" (got %zu of "
	    "%zu, fault %d)", got, n + 2, (int)st.fault);
	/* not gzip after the blocks: the end, as zlib has it */
	path = put_file("garbage.gz", z, zlen, "garbage\n", 8);
	got = read_all(path, 4096, out, n + 1, &st);
	UNIT_CHECK(st.fault == 0 && got == n && memcmp(out, text, n) == 0,
	    "bytes that are not gzip after the blocks end the input "
	    "(fault %d)", (int)st.fault);
	free(z);
	free(zout);
	free(out);
	nsl_bgzf_free(c);
}

/*
 * A gzip member with a "BC" field, as a BGZF block's header, but holding
 * text[0..tn) whole (more than a block's text when tn > 65536), made in
 * out (*n: its room, then its length) with zlib's raw deflate; 1 or 0.
 */
static int
bc_member(const unsigned char *text, size_t tn, unsigned char *out,
    size_t *n)
{
	static const unsigned char head[16] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0,
	    0, 0xff, 6, 0, 'B', 'C', 2, 0 };
	unsigned long crc = crc32(0, text, (unsigned)tn);
	size_t len, i;
	z_stream s;
	int rc;

	memset(&s, 0, sizeof(s));
	if (*n < 26 || deflateInit2(&s, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	memcpy(out, head, 16);
	s.next_in = (unsigned char *)(uintptr_t)text;
	s.avail_in = (unsigned)tn;
	s.next_out = out + 18;
	s.avail_out = (unsigned)(*n - 26);
	rc = deflate(&s, Z_FINISH);
	len = (size_t)(s.next_out - out) + 8;
	deflateEnd(&s);
	if (rc != Z_STREAM_END || len > 65536)
		return 0;
	out[16] = (unsigned char)((len - 1) & 0xff);
	out[17] = (unsigned char)((len - 1) >> 8);
	for (i = 0; i < 4; i++) {
		out[len - 8 + i] = (unsigned char)(crc >> (8 * i));
		out[len - 4 + i] = (unsigned char)(tn >> (8 * i));
	}
	*n = len;
	return 1;
}

/* Members that are not BGZF blocks, read by zlib within the reader. */
static void
check_members(const unsigned char *text, size_t n)
{
	struct nsl_bgzf *c = nsl_bgzf_new(n / NSL_BGZF_BLOCK + 1);
	size_t zcap = n + n / 100 + 4096, zm = zcap, zlen, got, plen, k;
	unsigned char *out = malloc(n + 8), *zm_buf = malloc(zcap);
	unsigned char *both = malloc(2 * 64 + zcap);
	unsigned char plain[64];
	struct nsl_bgzf_status st;
	const char *zc, *path;
	int piped, ok;

	if (c == NULL || out == NULL || zm_buf == NULL || both == NULL ||
	    nsl_bgzf_compress(c, (const char *)text, n, &zc, &zlen) != 0)
		exit(1);
	/* zlib's "x\n", the blocks, zlib's "x\n" again */
	plen = sizeof(plain);
	ok = gzip_member(plain, &plen);
	memcpy(both, plain, plen);
	memcpy(both + plen, zc, zlen);
	path = put_file("sandwich.gz", both, plen + zlen, plain, plen);
	for (piped = 0; piped < 2; piped++) {
		got = read_via(path, piped, 4096, out, n + 8, &st);
		UNIT_CHECK(ok && st.fault == 0 && got == n + 4 &&
		    memcmp(out, "x\n", 2) == 0 && memcmp(out + 2, text, n) ==
		    0 && memcmp(out + 2 + n, "x\n", 2) == 0 && last_blocks ==
		    (n + NSL_BGZF_BLOCK - 1) / NSL_BGZF_BLOCK &&
		    last_members == 2, "%s: a zlib member, %zu blocks, a zlib "
		    "member: the three texts in order, the blocks as blocks "
		    "(got %zu of %zu, fault %d; %llu blocks, %llu members)",
		    piped ? "pipe" : "file", (n + NSL_BGZF_BLOCK - 1) /
		    NSL_BGZF_BLOCK, got, n + 4, (int)st.fault, last_blocks,
		    last_members);
	}
	/* the whole text as one zlib member */
	ok = zlib_member(text, n, zm_buf, &zm);
	path = put_file("zlib.gz", zm_buf, zm, NULL, 0);
	for (piped = 0; piped < 2; piped++)
		for (k = 1; k <= 1000000; k *= 1000) {
			got = read_via(path, piped, k == 1 ? 4096 : k, out,
			    n + 8, &st);
			UNIT_CHECK(ok && st.fault == 0 && got == n &&
			    memcmp(out, text, n) == 0, "%s, pieces of %zu: "
			    "zlib's one member of %zu bytes of text, whole "
			    "(got %zu, fault %d)", piped ? "pipe" : "file",
			    k == 1 ? (size_t)4096 : k, n, got, (int)st.fault);
		}
	path = put_file("zlib-cut.gz", zm_buf, zm / 2, NULL, 0);
	got = read_via(path, 1, 4096, out, n + 8, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_TRUNCATED && got > 0 && got < n &&
	    memcmp(out, text, got) == 0, "zlib's member cut in half: %zu "
	    "bytes of the text, then truncated (fault %d)", got,
	    (int)st.fault);
	zm_buf[zm - 8] ^= 1;	/* the CRC-32's low byte */
	path = put_file("zlib-crc.gz", zm_buf, zm, NULL, 0);
	got = read_via(path, 0, 4096, out, n + 8, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && strcmp(st.msg,
	    "incorrect data or length check") == 0 && got == n &&
	    memcmp(out, text, n) == 0, "zlib's member with a changed CRC-32: "
	    "the text, then \"incorrect data or length check\" (\"%s\", %zu "
	    "bytes)", st.msg, got);
	zm_buf[zm - 8] ^= 1;
	zm_buf[zm - 1] ^= 1;	/* the length's high byte */
	path = put_file("zlib-len.gz", zm_buf, zm, NULL, 0);
	got = read_via(path, 1, 4096, out, n + 8, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && strcmp(st.msg,
	    "incorrect data or length check") == 0 && got == n, "zlib's "
	    "member with a wrong length (ISIZE): the text, then \"incorrect "
	    "data or length check\" (\"%s\", %zu bytes)", st.msg, got);
	zm_buf[zm - 1] ^= 1;
	zm_buf[3] |= 0x20;	/* a reserved flag */
	path = put_file("zlib-flag.gz", zm_buf, zm, NULL, 0);
	got = read_via(path, 1, 4096, out, n + 8, &st);
	UNIT_CHECK(st.fault == NSL_BGZF_CORRUPT && strcmp(st.msg,
	    "unknown header flags set") == 0 && got == 0, "a reserved flag "
	    "in the header: refused as zlib refuses it (\"%s\")", st.msg);
	/* "BC" but 100,000 bytes of text: not a block, zlib's to read */
	zm = zcap;
	ok = bc_member(text, 100000, zm_buf, &zm);
	path = put_file("bc-long.gz", zm_buf, zm, nsl_bgzf_eof,
	    NSL_BGZF_EOF_LEN);
	got = read_via(path, 0, 4096, out, n + 8, &st);
	UNIT_CHECK(ok && st.fault == 0 && got == 100000 && memcmp(out, text,
	    100000) == 0 && last_blocks == 1 && last_members == 1, "a "
	    "member with a BC field holding 100,000 bytes of text (more than "
	    "a block): read whole, as a member, the end block as a block "
	    "(got %zu, fault %d; %llu blocks, %llu members)", got,
	    (int)st.fault, last_blocks, last_members);
	free(both);
	free(zm_buf);
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
		check_members(t, big);
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
