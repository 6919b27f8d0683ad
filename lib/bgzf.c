/*
 * bgzf.c - gzip in independent blocks, compressed on every thread (see
 * nsl/bgzf.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <isa-l/igzip_lib.h>
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

/* Reading (see nsl/bgzf.h). */

#define IN_BLOCKS 64		/* blocks inflated at a time */
#define MAX_TEXT 65536		/* a block's text at most (ISIZE) */

int
nsl_bgzf_is_block(const unsigned char *p, size_t n)
{
	/* gzip, deflate, FEXTRA; XLEN 6 holding one subfield "BC" of 2 */
	return n >= HEAD && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 &&
	    p[3] == 4 && p[10] == 6 && p[11] == 0 && p[12] == 'B' &&
	    p[13] == 'C' && p[14] == 2 && p[15] == 0;
}

struct nsl_bgzf_in {
	int fd;
	unsigned char *z;	/* compressed bytes read ... */
	size_t zlen, zpos;	/* ... z[zpos..zlen) not yet inflated */
	int eof;		/* read(2) has said 0 */
	char *text;		/* the batch's text: text[tpos..tlen) unread */
	size_t tpos, tlen;
	size_t boff[IN_BLOCKS], blen[IN_BLOCKS], tl[IN_BLOCKS];
	struct inflate_state *d;	/* one a thread, set up a block at a
					   time by in_inflate */
	int nd;
	struct inflate_state zs;	/* a member that is not a block, ... */
	int in_member;		/* ... being inflated (ISA-L, one thread) */
	int ended;		/* no block follows those taken */
	unsigned long long nblocks, nmembers;	/* inflated so far */
	struct nsl_bgzf_status pending;	/* after the text: the fault */
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

struct nsl_bgzf_in *
nsl_bgzf_in_new(int fd, const void *head, size_t nhead)
{
	struct nsl_bgzf_in *b = calloc(1, sizeof(*b));
	int nt = 1;

#ifdef _OPENMP
	nt = omp_get_max_threads();
#endif
	if (b == NULL)
		return NULL;
	b->fd = fd;
	b->z = malloc((size_t)IN_BLOCKS * NSL_BGZF_MAX);
	b->text = malloc((size_t)IN_BLOCKS * MAX_TEXT);
	b->d = calloc((size_t)nt, sizeof(*b->d));
	if (b->z == NULL || b->text == NULL || b->d == NULL ||
	    nhead > (size_t)IN_BLOCKS * NSL_BGZF_MAX) {
		nsl_bgzf_in_free(b);
		return NULL;
	}
	if (nhead > 0)
		memcpy(b->z, head, nhead);
	b->zlen = nhead;
	b->nd = nt;
	isal_inflate_init(&b->zs);
	b->zs.crc_flag = ISAL_GZIP;
	return b;
}

void
nsl_bgzf_in_free(struct nsl_bgzf_in *b)
{
	if (b == NULL)
		return;
	free(b->d);
	free(b->z);
	free(b->text);
	free(b);
}

/* Read more compressed bytes after z[zlen); -1 on a read error. */
static int
in_fill(struct nsl_bgzf_in *b)
{
	size_t cap = (size_t)IN_BLOCKS * NSL_BGZF_MAX;
	ssize_t k;

	if (b->zpos > 0) {
		memmove(b->z, b->z + b->zpos, b->zlen - b->zpos);
		b->zlen -= b->zpos;
		b->zpos = 0;
	}
	while (!b->eof && b->zlen < cap) {
		/* an interrupted read fails, as zlib's does: a thread told
		   to stop (nsl/io.h's read-ahead) stops */
		k = read(b->fd, b->z + b->zlen, cap - b->zlen);
		if (k < 0) {
			b->pending.fault = NSL_BGZF_READ;
			b->pending.sys = errno;
			return -1;
		}
		if (k == 0)
			b->eof = 1;
		b->zlen += (size_t)k;
	}
	return 0;
}

/* Stop with fault f (msg its message, or NULL). */
static void
in_fault(struct nsl_bgzf_in *b, enum nsl_bgzf_fault f, const char *msg)
{
	b->pending.fault = f;
	snprintf(b->pending.msg, sizeof(b->pending.msg), "%s",
	    msg != NULL ? msg : "");
	b->ended = 1;
}

/*
 * The whole blocks at z[zpos..zlen), up to IN_BLOCKS: their count.  What
 * follows them, when it is not a block yet to be read whole, is the end
 * or a gzip member that is not a block (then in_member is set when it
 * comes first: ISA-L inflates it, or finds what is wrong with it).
 */
static size_t
in_blocks(struct nsl_bgzf_in *b)
{
	size_t nb = 0, p = b->zpos, left, bsize;

	while (nb < IN_BLOCKS) {
		left = b->zlen - p;
		if (left < 2 && !b->eof)
			break;
		if (left < 2 || b->z[p] != 0x1f || b->z[p + 1] != 0x8b) {
			/* not gzip (a byte alone neither): zlib ignores
			   what follows its members, and so do we */
			b->ended = 1;
			break;
		}
		if (left < HEAD && !b->eof)
			break;
		if (!nsl_bgzf_is_block(b->z + p, left))
			goto member;
		bsize = get16(b->z + p + 16) + 1;
		if (left < bsize && !b->eof)
			break;
		if (bsize < HEAD + TAIL || left < bsize)
			goto member;	/* not a block: inflated as gzip */
		b->boff[nb] = p;
		b->blen[nb] = bsize;
		nb++;
		p += bsize;
	}
	return nb;
member:
	/* a gzip member that is not a BGZF block: after the blocks
	   before it, inflated on one thread */
	if (nb > 0)
		return nb;
	if (left >= 4 && (b->z[p + 3] & 0xe0) != 0)
		/* reserved flags, which zlib refuses and ISA-L ignores */
		in_fault(b, NSL_BGZF_CORRUPT, "unknown header flags set");
	else
		b->in_member = 1;
	return 0;
}

/*
 * Block i inflated into its slot of text by ISA-L (faster here than
 * libdeflate, which compresses): 0, or -1 when it is not a block whose
 * deflate data and trailer fill it exactly, with the CRC-32 and length
 * the trailer gives (then read as any other gzip member: its text, if
 * its deflate runs on past the size the block gives, or what is wrong
 * with it).
 */
static int
in_inflate(struct nsl_bgzf_in *b, size_t i, struct inflate_state *d)
{
	const unsigned char *z = b->z + b->boff[i];
	size_t n = b->blen[i];
	char *out = b->text + i * MAX_TEXT;

	isal_inflate_init(d);
	d->crc_flag = ISAL_GZIP_NO_HDR_VER;
	d->next_in = (uint8_t *)(uintptr_t)(z + HEAD);
	d->avail_in = (uint32_t)(n - HEAD);
	d->next_out = (uint8_t *)out;
	d->avail_out = MAX_TEXT;
	if (isal_inflate_stateless(d) != ISAL_DECOMP_OK || d->avail_in != 0)
		return -1;
	b->tl[i] = MAX_TEXT - d->avail_out;
	return 0;
}

/* ISA-L's fault as zlib words it, near enough. */
static const char *
isal_msg(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK:
		return "invalid block type or lengths";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data or length check";
	default:
		return "compressed data error";
	}
}

/*
 * Text of the gzip member at z[zpos) that is not a block, inflated by
 * ISA-L (about twice zlib's speed; header, CRC-32 and length checked as
 * gzread checks them) into text[0..tlen) until the text is full or the
 * member ends, reading more as needed.
 */
static void
in_member(struct nsl_bgzf_in *b)
{
	struct inflate_state *s = &b->zs;
	size_t cap = (size_t)IN_BLOCKS * MAX_TEXT;
	int rc;

	s->next_out = (uint8_t *)b->text;
	s->avail_out = (uint32_t)cap;
	/* the text inflated before a fault is given first */
	while (s->avail_out > 0 && b->pending.fault == 0) {
		if (b->zpos == b->zlen) {
			if (b->eof)
				in_fault(b, NSL_BGZF_TRUNCATED, NULL);
			else if (in_fill(b) != 0)
				b->ended = 1;
			continue;
		}
		s->next_in = b->z + b->zpos;
		s->avail_in = (uint32_t)(b->zlen - b->zpos);
		rc = isal_inflate(s);
		b->zpos = b->zlen - s->avail_in;
		if (rc != ISAL_DECOMP_OK) {
			in_fault(b, NSL_BGZF_CORRUPT, isal_msg(rc));
			break;
		}
		if (s->block_state == ISAL_BLOCK_FINISH) {
			/* the next member, block or not, is looked at anew */
			b->in_member = 0;
			b->nmembers++;
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
			break;
		}
	}
	b->tlen = cap - s->avail_out;
}

/*
 * The next batch of text: blocks inflated on every thread, up to the
 * first bad one, or a member that is not a block inflated on one thread;
 * nothing when the input has ended or a fault came first.
 */
static void
in_refill(struct nsl_bgzf_in *b)
{
	int bad[IN_BLOCKS];
	long nb, i;
	size_t at = 0;

	b->tpos = b->tlen = 0;
	for (;;) {
		if (b->ended || b->pending.fault != 0)
			return;
		if (b->in_member) {
			in_member(b);
			return;
		}
		if (in_fill(b) != 0)
			return;
		if ((nb = (long)in_blocks(b)) > 0)
			break;
	}
#pragma omp parallel for schedule(dynamic, 1) num_threads(b->nd) if (nb > 1)
	for (i = 0; i < nb; i++) {
		int t = 0;

#ifdef _OPENMP
		t = omp_get_thread_num();
#endif
		bad[i] = in_inflate(b, (size_t)i, &b->d[t]);
	}
	/* the text in order, up to the first bad block, which in_member
	   reads next */
	for (i = 0; i < nb; i++) {
		if (bad[i]) {
			b->in_member = 1;
			b->ended = 0;	/* what follows it is looked at anew */
			break;
		}
		memmove(b->text + at, b->text + (size_t)i * MAX_TEXT,
		    b->tl[i]);
		b->nblocks++;
		at += b->tl[i];
		b->zpos = b->boff[i] + b->blen[i];
	}
	b->tlen = at;
}

void
nsl_bgzf_in_counts(const struct nsl_bgzf_in *b, unsigned long long *blocks,
    unsigned long long *members)
{
	*blocks = b->nblocks;
	*members = b->nmembers;
}

long
nsl_bgzf_in_read(struct nsl_bgzf_in *b, void *p, size_t n,
    struct nsl_bgzf_status *st)
{
	size_t k;

	/* the text first, then the fault or the end (blocks of no text,
	   as the end block is, give none: the next batch then) */
	while (b->tpos == b->tlen) {
		if (b->pending.fault != 0) {
			*st = b->pending;
			return -1;
		}
		if (b->ended)
			return 0;
		in_refill(b);
	}
	k = b->tlen - b->tpos < n ? b->tlen - b->tpos : n;
	memcpy(p, b->text + b->tpos, k);
	b->tpos += k;
	return (long)k;
}
