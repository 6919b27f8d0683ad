/*
 * Unit tests of lib/rng.c.  The reference outputs come from a separate
 * Python implementation of splitmix64 and xoshiro256** written from the
 * published definitions (tests/unit/rng_reference.py); splitmix64 from
 * 1234567 also matches the values its author publishes.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nsl/rng.h"
#include "unit.h"

static int
first_three(uint64_t seed, uint64_t stream, const uint64_t want[3])
{
	gsl_rng *r = nsl_rng_new(seed, stream);
	int i, ok = 1;

	for (i = 0; i < 3; i++)
		if (nsl_rng_next(r) != want[i])
			ok = 0;
	gsl_rng_free(r);
	return ok;
}

int
main(void)
{
	static const uint64_t s00[3] = { 0xfb5405f7bd79c540ULL,
	    0x780c98e26cea5883ULL, 0x2a146e0980febc66ULL };
	static const uint64_t s42[3] = { 0x19e479e2aaa77bfbULL,
	    0x5e3efe753be27527ULL, 0xc3ed7125b780200aULL };
	static const uint64_t s421[3] = { 0x0cee3ac9ad457c96ULL,
	    0x719a1abe9d3f4270ULL, 0x7256f0ab739bfce7ULL };
	static const uint64_t smax7[3] = { 0xd462b6158c719d40ULL,
	    0x13996d876c18be87ULL, 0x889bca4975ae69e0ULL };
	uint64_t st = 1234567;
	double sum = 0, sum2 = 0, g, u, minu = 1, maxu = 0;
	unsigned long k, counts[7] = { 0 };
	gsl_rng *r;
	int i, n = 200000, ok;

	UNIT_CHECK(nsl_rng_splitmix64(&st) == 6457827717110365317ULL &&
	    nsl_rng_splitmix64(&st) == 3203168211198807973ULL &&
	    nsl_rng_splitmix64(&st) == 9817491932198370423ULL,
	    "splitmix64 matches its published outputs");
	UNIT_CHECK(first_three(0, 0, s00), "xoshiro256** seed 0 stream 0");
	UNIT_CHECK(first_three(42, 0, s42), "xoshiro256** seed 42 stream 0");
	UNIT_CHECK(first_three(42, 1, s421), "streams of one seed differ");
	UNIT_CHECK(first_three(UINT64_MAX, 7, smax7),
	    "full 64-bit seeds are used");

	r = nsl_rng_new(7, 0);
	for (i = 0; i < n; i++) {
		u = gsl_rng_uniform(r);
		minu = u < minu ? u : minu;
		maxu = u > maxu ? u : maxu;
		g = gsl_ran_gaussian_ziggurat(r, 1.0);
		sum += g;
		sum2 += g * g;
		k = gsl_rng_uniform_int(r, 7);
		if (k < 7)
			counts[k]++;
	}
	UNIT_CHECK(minu >= 0 && maxu < 1, "uniform draws lie in [0, 1)");
	/* mean of n standard normals has sd 1/sqrt(n): 5 sd is 0.011 */
	UNIT_CHECK(fabs(sum / n) < 5 / sqrt(n) &&
	    fabs(sum2 / n - 1) < 5 * sqrt(2.0 / n),
	    "GSL's Gaussian through our generator: mean 0, variance 1");
	ok = 1;
	for (i = 0; i < 7; i++)	/* binomial sd: sqrt(n p (1-p)) ~ 156 */
		if (fabs((double)counts[i] - n / 7.0) > 5 * 156.5)
			ok = 0;
	UNIT_CHECK(ok, "uniform_int covers 0..6 evenly");
	gsl_rng_free(r);
	return unit_done();
}
