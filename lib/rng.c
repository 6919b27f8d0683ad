/*
 * rng.c - xoshiro256** as a GSL generator (see nsl/rng.h).
 *
 * Both algorithms are from their authors' published definitions
 * (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", 2018; Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", 2014).
 */
#include <limits.h>

#include "nsl/rng.h"

struct xoshiro {
	uint64_t s[4];
};

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
nsl_rng_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
xoshiro_next(struct xoshiro *x)
{
	uint64_t *s = x->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/*
 * Seed from (seed, stream): splitmix64 started at seed fills a first key,
 * the stream number is mixed in, and splitmix64 from that fills the state.
 * splitmix64 never yields four zero words, the one state xoshiro forbids.
 */
static void
xoshiro_seed(struct xoshiro *x, uint64_t seed, uint64_t stream)
{
	uint64_t sm = seed;
	uint64_t key = nsl_rng_splitmix64(&sm) ^ stream;
	int i;

	sm = key;
	for (i = 0; i < 4; i++)
		x->s[i] = nsl_rng_splitmix64(&sm);
}

/* GSL's interface: set takes an unsigned long seed; stream 0. */
static void
gsl_set(void *state, unsigned long seed)
{
	xoshiro_seed(state, seed, 0);
}

static unsigned long
gsl_get(void *state)
{
	return (unsigned long)xoshiro_next(state);
}

/* 53 random bits: every double in [0, 1) on the 2^-53 grid, never 1. */
static double
gsl_get_double(void *state)
{
	return (double)(xoshiro_next(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
	"xoshiro256**",
	ULONG_MAX,
	0,
	sizeof(struct xoshiro),
	gsl_set,
	gsl_get,
	gsl_get_double
};

const gsl_rng_type *nsl_rng_xoshiro256 = &xoshiro_type;

gsl_rng *
nsl_rng_new(uint64_t seed, uint64_t stream)
{
	gsl_rng *r;

	if ((r = gsl_rng_alloc(nsl_rng_xoshiro256)) == NULL)
		return NULL;
	xoshiro_seed(r->state, seed, stream);
	return r;
}

uint64_t
nsl_rng_next(gsl_rng *r)
{
	return xoshiro_next(r->state);
}
