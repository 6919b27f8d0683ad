/*
 * bgzf.c - gzip in independent blocks, compressed on every thread (see
 * nsl/bgzf.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <libdeflate.h>

#include "nsl/bgzf.h"

#define LEVEL 6
#define HEAD 18			/* gzip header with the BC extra field */
#define TAIL 8			/* CRC-32 and the text's length */

const unsigned char nsl_bgzf_eof[NSL_BGZF_EOF_LEN] = {
	0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0,
	0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

struct nsl_bgzf {
	struct libdeflate_compressor **c;	/* one a thread */
	int nc;
	size_t nblocks;
	unsigned char *slot;	/* nblocks blocks of NSL_BGZF_MAX bytes */
	size_t *len;		/* each block's length */
};

struct nsl_bgzf *
nsl_bgzf_new(size_t nblocks)
{
	struct nsl_bgzf *z = calloc(1, sizeof(*z));
	int t, nt = 1;

#ifdef _OPENMP
	nt = omp_get_max_threads();
#endif
	if (z == NULL)
		return NULL;
	if (nblocks == 0)
		nblocks = 1;
	z->nblocks = nblocks;
	z->slot = malloc(nblocks * NSL_BGZF_MAX);
	z->len = malloc(nblocks * sizeof(*z->len));
	z->c = calloc((size_t)nt, sizeof(*z->c));
	if (z->slot == NULL || z->len == NULL || z->c == NULL) {
		nsl_bgzf_free(z);
		return NULL;
	}
	z->nc = nt;
	for (t = 0; t < nt; t++)
		if ((z->c[t] = libdeflate_alloc_compressor(LEVEL)) == NULL) {
			nsl_bgzf_free(z);
			return NULL;
		}
	return z;
}

void
nsl_bgzf_free(struct nsl_bgzf *z)
{
	int t;

	if (z == NULL)
		return;
	for (t = 0; z->c != NULL && t < z->nc; t++)
		if (z->c[t] != NULL)
			libdeflate_free_compressor(z->c[t]);
	free(z->c);
	free(z->slot);
	free(z->len);
	free(z);
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/*
 * One block of in[0..n) (n <= NSL_BGZF_BLOCK) into b; returns its
 * length.  Text deflate cannot shrink goes in a stored block (5 bytes of
 * header before the n bytes: within the 64 KiB).
 */
static size_t
block(struct libdeflate_compressor *c, const char *in, size_t n,
    unsigned char *b)
{
	size_t k = libdeflate_deflate_compress(c, in, n, b + HEAD,
	    NSL_BGZF_MAX - HEAD - TAIL), size;

	if (k == 0) {
		b[HEAD] = 1;	/* the final block, stored */
		put16(b + HEAD + 1, (unsigned)n);
		put16(b + HEAD + 3, (unsigned)~n & 0xffff);
		memcpy(b + HEAD + 5, in, n);
		k = n + 5;
	}
	size = HEAD + k + TAIL;
	memcpy(b, nsl_bgzf_eof, 16);	/* the header up to BSIZE */
	put16(b + 16, (unsigned)(size - 1));
	put32(b + HEAD + k, libdeflate_crc32(0, in, n));
	put32(b + HEAD + k + 4, (uint32_t)n);
	return size;
}

int
nsl_bgzf_compress(struct nsl_bgzf *z, const char *in, size_t n,
    const char **out, size_t *outlen)
{
	long nb = (long)((n + NSL_BGZF_BLOCK - 1) / NSL_BGZF_BLOCK), i;
	size_t at = 0;

	if ((size_t)nb > z->nblocks)
		return -1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(z->nc) if (nb > 1)
	for (i = 0; i < nb; i++) {
		size_t off = (size_t)i * NSL_BGZF_BLOCK;
		int t = 0;

#ifdef _OPENMP
		t = omp_get_thread_num();
#endif
		z->len[i] = block(z->c[t], in + off, n - off < NSL_BGZF_BLOCK ?
		    n - off : NSL_BGZF_BLOCK, z->slot + (size_t)i *
		    NSL_BGZF_MAX);
	}
	/* the blocks made contiguous, in order */
	for (i = 0; i < nb; i++) {
		memmove(z->slot + at, z->slot + (size_t)i * NSL_BGZF_MAX,
		    z->len[i]);
		at += z->len[i];
	}
	*out = (const char *)z->slot;
	*outlen = at;
	return 0;
}
