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

#endif
