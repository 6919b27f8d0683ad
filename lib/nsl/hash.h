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

#endif
