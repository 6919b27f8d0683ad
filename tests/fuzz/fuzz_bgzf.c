/*
 * fuzz_bgzf.c - libFuzzer target for the BGZF reader (lib/bgzf.c, run by
 * `make fuzz`).  The input is taken twice:
 *  - as a file (a memfd: read(2) and lseek as a file's), read through
 *    nsl_bgzf_in in pieces of a size the first byte picks, its first two
 *    bytes given as the head (as a pipe's are) when the second byte is
 *    odd: any bytes give text or one of the documented faults, never a
 *    crash or a sanitizer report.  When they start as gzip does, read as
 *    zlib's gzread reads them (an independent reader of any gzip
 *    stream): ending cleanly with the same text when gzread does, and
 *    in a fault when it does, the text before it agreeing with gzread's
 *    as far as both go (gzread drops what the call that fails inflated;
 *    ISA-L holds back a few bytes of a member cut short);
 *  - as text: compressed with nsl_bgzf_compress, written with the end
 *    block, and read back: the same bytes, and a clean end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nsl/bgzf.h"

/* fd holding data[0..n), at offset 0 */
static int
as_file(const void *data, size_t n)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || (n > 0 && write(fd, data, n) != (ssize_t)n) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* Read fd through nsl_bgzf_in in pieces of piece bytes: the text's
 * length into *len, the fault (0: a clean end) returned; the text in
 * *out (malloc'd). */
static int
read_back(int fd, const void *head, size_t nhead, size_t piece,
    unsigned char **out, size_t *len)
{
	struct nsl_bgzf_in *b = nsl_bgzf_in_new(fd, head, nhead);
	struct nsl_bgzf_status st;
	size_t cap = 1 << 16, have = 0;
	unsigned char *t = malloc(cap);
	long got;

	if (b == NULL || t == NULL)
		abort();
	memset(&st, 0, sizeof(st));
	for (;;) {
		if (cap - have < piece) {
			while (cap - have < piece)
				cap *= 2;
			if ((t = realloc(t, cap)) == NULL)
				abort();
		}
		if ((got = nsl_bgzf_in_read(b, t + have, piece, &st)) <= 0)
			break;
		have += (size_t)got;
	}
	nsl_bgzf_in_free(b);
	*out = t;
	*len = have;
	if (got == 0)
		return 0;
	if (st.fault < NSL_BGZF_TRUNCATED || st.fault > NSL_BGZF_NOMEM)
		abort();	/* not a documented fault */
	return (int)st.fault;
}

/* data[0..n) through zlib's gzread: the text in *out (malloc'd), its
 * length in *len; whether it ended cleanly. */
static int
zlib_back(const void *data, size_t n, unsigned char **out, size_t *len)
{
	gzFile g = gzdopen(as_file(data, n), "rb");
	size_t cap = 1 << 16, have = 0;
	unsigned char *t = malloc(cap);
	int got, errnum;

	if (g == NULL || t == NULL)
		abort();
	for (;;) {
		if (cap - have < 4096 && (t = realloc(t, cap *= 2)) == NULL)
			abort();
		if ((got = gzread(g, t + have, 4096)) <= 0)
			break;
		have += (size_t)got;
	}
	(void)gzerror(g, &errnum);
	gzclose(g);
	*out = t;
	*len = have;
	return got == 0 && (errnum == Z_OK || errnum == Z_STREAM_END);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 1, 7, 4096, 1 << 20 };
	size_t piece = size > 0 ? pieces[data[0] % 4] : 4096, len, zlen;
	unsigned char *text;
	const char *z;
	struct nsl_bgzf *c;
	unsigned char *ztext;
	size_t nhead, zlen_text;
	int fd, fault, clean;

	/* hostile bytes as a file, or as a pipe's with its head read */
	fd = as_file(data, size);
	nhead = size >= 2 && (data[1] & 1) ? 2 : 0;
	if (nhead > 0 && lseek(fd, 2, SEEK_SET) != 2)
		abort();
	fault = read_back(fd, data, nhead, piece, &text, &len);
	close(fd);
	/* against zlib, when it is gzip as zlib has it (else zlib passes
	   the bytes through, and the reader is not asked) */
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		clean = zlib_back(data, size, &ztext, &zlen_text);
		if (clean != (fault == 0) || (clean && len != zlen_text) ||
		    memcmp(text, ztext, len < zlen_text ? len : zlen_text)
		    != 0)
			abort();	/* not what zlib reads */
		free(ztext);
	}
	free(text);

	/* the bytes as text: a round trip */
	if ((c = nsl_bgzf_new(size / NSL_BGZF_BLOCK + 1)) == NULL ||
	    nsl_bgzf_compress(c, (const char *)data, size, &z, &zlen) != 0)
		abort();
	fd = as_file(z, zlen);
	if (lseek(fd, 0, SEEK_END) < 0 || write(fd, nsl_bgzf_eof,
	    NSL_BGZF_EOF_LEN) != NSL_BGZF_EOF_LEN || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	fault = read_back(fd, NULL, 0, piece, &text, &len);
	close(fd);
	if (fault != 0 || len != size || (size > 0 && memcmp(text, data,
	    size) != 0))
		abort();
	free(text);
	nsl_bgzf_free(c);
	return 0;
}
