/*
 * hash.h - a fast 64-bit hash of bytes, to tell whether a line read twice
 * is the same both times.
 *
 * Not cryptographic: two different inputs of the same length share a
 * hash by accident with a chance of about 2^-64, and nothing stops one
 * made on purpose.  It runs at several gigabytes a second (four lanes of
 * 8-byte words, each multiplied, rotated and multiplied again, in the
 * manner of XXH64's rounds; not XXH64's values).
 */
#ifndef NSL_HASH_H
#define NSL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t nsl_hash64(const void *p, size_t len);

/*
 * A seeded hash of a short key (FNV-1a, then splitmix64's finaliser):
 * the order of a seeded sample by id (nsl-score --max-per-centroid) and
 * of nsl-prune's ties.  Its values are part of those outputs: they must
 * not change.
 */
uint64_t nsl_hash64_seeded(uint64_t seed, const void *p, size_t len);

/*
 * A record's place in a seeded sample: its key's seeded hash, then (at
 * equal hashes: equal keys) its index in the order read.  A sample of m
 * is the m least; nsl_hash_rank_cmp orders them for qsort, and takes
 * any struct whose first member is a struct nsl_hash_rank.
 */
struct nsl_hash_rank {
	uint64_t h;
	uint64_t i;
};

int nsl_hash_rank_cmp(const void *a, const void *b);

/*
 * The m least ranks of a stream of hashes, kept as they are offered (a
 * heap of m, the greatest on top), so a sample of m is drawn in one pass
 * in O(m) memory, whatever the stream's length.  Each record held has a
 * slot in [0, m): offering a record gives the slot its row goes in, a
 * new one (the count held so far) while fewer than m are held, else the
 * slot of the greatest held, which it displaces; or NSL_HASH_NO_SLOT
 * when it ranks above every one held.  The i of its rank is the count
 * offered before it.
 */
#define NSL_HASH_NO_SLOT ((size_t)-1)

struct nsl_hash_least {
	struct nsl_hash_rank *h;	/* the heap: h[0] the greatest */
	size_t *slot;			/* slot[j]: h[j]'s slot */
	size_t n, cap;
	uint64_t seen;			/* records offered so far */
};

/* Room for m (0: a sample of none): 0, or -1 when out of memory. */
int nsl_hash_least_init(struct nsl_hash_least *, size_t m);
size_t nsl_hash_least_offer(struct nsl_hash_least *, uint64_t h);
/* The held slots in increasing rank into order[0..n): n, or
 * NSL_HASH_NO_SLOT when out of memory. */
size_t nsl_hash_least_order(const struct nsl_hash_least *, size_t *order);
void nsl_hash_least_release(struct nsl_hash_least *);

#endif
