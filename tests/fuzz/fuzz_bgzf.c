/*
 * fuzz_bgzf.c - libFuzzer target for the BGZF reader (lib/bgzf.c, run by
 * `make fuzz`).  The input is taken twice:
 *  - as a file (a memfd: read(2) and lseek as a file's), read through
 *    nsl_bgzf_in in pieces of a size the first byte picks: any bytes
 *    give text or one of the documented faults, never a crash or a
 *    sanitizer report, and never more text than its blocks can hold;
 *  - as text: compressed with nsl_bgzf_compress, written with the end
 *    block, and read back: the same bytes, and a clean end.
 */
#include <stdint.h>
#include <stdlib.h>
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
read_back(int fd, size_t piece, unsigned char **out, size_t *len)
{
	struct nsl_bgzf_in *b = nsl_bgzf_in_new(fd);
	struct nsl_bgzf_status st;
	size_t cap = 1 << 16, have = 0;
	unsigned char *t = malloc(cap);
	long got;

	if (b == NULL || t == NULL)
		abort();
	memset(&st, 0, sizeof(st));
	for (;;) {
		if (cap - have < piece && (t = realloc(t, cap *= 2)) == NULL)
			abort();
		if ((got = nsl_bgzf_in_read(b, t + have, piece, &st)) <= 0)
			break;
		have += (size_t)got;
	}
	nsl_bgzf_in_free(b);
	*out = t;
	*len = have;
	if (got == 0)
		return 0;
	if (st.fault < NSL_BGZF_TRUNCATED || st.fault > NSL_BGZF_FOREIGN)
		abort();	/* not a documented fault */
	return (int)st.fault;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 1, 7, 4096, 1 << 20 };
	size_t piece = size > 0 ? pieces[data[0] % 4] : 4096, len, zlen;
	unsigned char *text;
	const char *z;
	struct nsl_bgzf *c;
	int fd, fault;

	/* hostile bytes as a file: at most 64 KiB of text per 26 bytes */
	fd = as_file(data, size);
	fault = read_back(fd, piece, &text, &len);
	close(fd);
	if (len > (size / 26 + 1) * 65536)
		abort();
	free(text);
	(void)fault;

	/* the bytes as text: a round trip */
	if ((c = nsl_bgzf_new(size / NSL_BGZF_BLOCK + 1)) == NULL ||
	    nsl_bgzf_compress(c, (const char *)data, size, &z, &zlen) != 0)
		abort();
	fd = as_file(z, zlen);
	if (lseek(fd, 0, SEEK_END) < 0 || write(fd, nsl_bgzf_eof,
	    NSL_BGZF_EOF_LEN) != NSL_BGZF_EOF_LEN || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	fault = read_back(fd, piece, &text, &len);
	close(fd);
	if (fault != 0 || len != size || (size > 0 && memcmp(text, data,
	    size) != 0))
		abort();
	free(text);
	nsl_bgzf_free(c);
	return 0;
}
