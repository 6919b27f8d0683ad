/*
 * bgzf.h - gzip in independent blocks, compressed on every thread.
 *
 * A gzip output is written as BGZF (the blocked gzip of samtools and
 * htslib, SAM/BAM specification section 4.1): a series of gzip members,
 * each holding NSL_BGZF_BLOCK bytes of the text (the last fewer) and
 * saying its own compressed size in a "BC" extra field, then an empty
 * member that marks the end.  Any gzip reader reads it as one stream
 * (members are concatenated, RFC 1952 section 2.2); a reader that knows
 * the format can find the blocks without inflating and inflate them on
 * several threads; and, the blocks being independent, they are
 * compressed on several threads with bytes that do not depend on how
 * many.  The deflate is libdeflate's (level 6, as gzip's default): about
 * three times zlib's speed a thread at a slightly better ratio.
 */
#ifndef NSL_BGZF_H
#define NSL_BGZF_H

#include <stddef.h>

/* The text a block holds: its deflate then fits the block's 64 KiB,
 * even stored (htslib's choice) */
#define NSL_BGZF_BLOCK 65280
#define NSL_BGZF_MAX 65536	/* a whole block, header to trailer */
#define NSL_BGZF_EOF_LEN 28

/* The empty block that ends a BGZF file. */
extern const unsigned char nsl_bgzf_eof[NSL_BGZF_EOF_LEN];

struct nsl_bgzf;

/* A compressor (of blocks of up to nblocks at a time), or NULL when out
 * of memory; free with nsl_bgzf_free (NULL: nothing). */
struct nsl_bgzf *nsl_bgzf_new(size_t nblocks);
void nsl_bgzf_free(struct nsl_bgzf *);

/*
 * in[0..n) as blocks of NSL_BGZF_BLOCK bytes (the last one fewer; none
 * when n is 0), at most the nblocks given to nsl_bgzf_new, compressed
 * on every thread: *out is set to the blocks one after another (held by
 * the compressor until its next call), *outlen to their length.
 * Returns 0, or -1 when out of memory.
 */
int nsl_bgzf_compress(struct nsl_bgzf *, const char *in, size_t n,
    const char **out, size_t *outlen);

/*
 * Reading: a gzip input whose BGZF blocks are inflated a batch at a
 * time on every thread (ISA-L, Intel's igzip), each checked against its
 * CRC-32 and length.  A member that is not a BGZF block (gzip's own, or one
 * holding more than a block's text) is inflated by ISA-L (about twice
 * zlib's speed) on one thread, and the blocks after
 * it in parallel again: any gzip stream gives the text zlib's gzread
 * gives, and fails where it fails (in words close to zlib's).
 *
 * nsl_bgzf_is_block(p, n): whether p[0..n) starts with a BGZF block's
 * header (n at least 18), the 18 bytes htslib expects.
 *
 * nsl_bgzf_in_new(fd, head, nhead): a reader of the gzip stream made of
 * head[0..nhead) (bytes already read from fd, as a pipe's first ones
 * are, to tell gzip from text; 0 when none) and then what read(2) gives
 * from fd (borrowed), or NULL when out of memory.  nsl_bgzf_in_read(b,
 * p, n, st): up to n bytes of the text into p, returning how many (0 at
 * the end) or -1 with *st set.  The text before a fault is given first,
 * the fault on the call after; a fault stays.  After a member, bytes
 * that do not start another one end the input, as zlib ends it
 * (ignored).
 */
enum nsl_bgzf_fault {
	NSL_BGZF_TRUNCATED = 1,	/* the input ends inside a member */
	NSL_BGZF_CORRUPT,	/* st->msg says how */
	NSL_BGZF_READ,		/* read(2) failed: st->sys */
	NSL_BGZF_NOMEM
};

struct nsl_bgzf_status {
	enum nsl_bgzf_fault fault;
	int sys;
	char msg[64];
};

struct nsl_bgzf_in;

int nsl_bgzf_is_block(const unsigned char *p, size_t n);
struct nsl_bgzf_in *nsl_bgzf_in_new(int fd, const void *head, size_t nhead);
void nsl_bgzf_in_free(struct nsl_bgzf_in *);
long nsl_bgzf_in_read(struct nsl_bgzf_in *, void *p, size_t n,
    struct nsl_bgzf_status *st);
/* How many BGZF blocks (in parallel) and other members (on one thread)
 * have been inflated whole so far. */
void nsl_bgzf_in_counts(const struct nsl_bgzf_in *,
    unsigned long long *blocks, unsigned long long *members);

#endif
