/*
 * rng.h - seeded random streams for every random choice in nsl.
 *
 * The generator is xoshiro256** (Blackman and Vigna 2018), its state
 * filled by splitmix64 from (seed, stream), packaged as a gsl_rng_type so
 * that all of GSL's distributions (gsl_ran_gaussian_ziggurat,
 * gsl_ran_shuffle, gsl_rng_uniform_int, ...) draw from it.  Unlike GSL's
 * own generators it takes a full 64-bit seed.
 *
 * Determinism: the same (seed, stream) gives the same sequence on every
 * machine.  Code that draws in parallel gives each block of work its own
 * stream number (not each thread), so results do not depend on the
 * number of threads or on scheduling.
 */
#ifndef NSL_RNG_H
#define NSL_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

extern const gsl_rng_type *nsl_rng_xoshiro256;

/* A new generator (free with gsl_rng_free), or NULL if out of memory. */
gsl_rng *nsl_rng_new(uint64_t seed, uint64_t stream);

/* The next raw 64-bit output of an nsl_rng_new() generator. */
uint64_t nsl_rng_next(gsl_rng *);

/* splitmix64: the seed-mixing step, exposed for hashing seeds. */
uint64_t nsl_rng_splitmix64(uint64_t *state);

#endif
