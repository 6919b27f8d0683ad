/*
 * test_vec.c - lib/vec.c's four-row kernels: nsl_vec_dot4 and
 * nsl_vec_sqdist4 sum each row in its own order, one add after another,
 * as nsl_vec_dot and nsl_vec_sqdist do (the callers rely on the same
 * bits); nsl_vec_norm_of_sum takes the plain root in range and falls
 * back to the scaled norm outside it; nsl_vec_f32_div gives each float
 * over the divisor as the scalar division does, nsl_vec_f32_mul each
 * float times the scale.
 *
 * Expected values by hand.  In double, 1e16 + 1 rounds to 1e16 (the
 * spacing there is 2), so the row (1e16, 1, -1e16) summed in order gives
 * ((1e16 + 1) - 1e16) = 0, while any order that adds 1e16 and -1e16
 * first gives 1.  Squares of 3e-300 and 4e-300 underflow to 0; the norm
 * of the row is 5e-300.
 */
#include <math.h>
#include <stdlib.h>

#include "nsl/vec.h"
#include "unit.h"

/* A float row of every kind the kernels meet: ones, halves, a tiny and a
 * huge float32, and -0 (its sign kept). */
static const float row7[7] = { 1, -3, 0.5f, 7, 1e-30f, 3e30f, -0.0f };

/*
 * fn(out, row7, s, n) gives want[0 .. n) bit for bit, the sign of zero
 * too, for every n from 0 to 7 (the SSE2 body of four and its tail).
 */
static int
scaled_rows_are(void (*fn)(double *, const float *, double, size_t),
    double s, const double want[7])
{
	double o[7];
	size_t n, i;
	int ok = 1;

	for (n = 0; n <= 7; n++) {
		fn(o, row7, s, n);
		for (i = 0; i < n; i++)
			ok &= o[i] == want[i] &&
			    !signbit(o[i]) == !signbit(want[i]);
	}
	return ok;
}

int
main(void)
{
	static const double big[3] = { 1e16, 1, -1e16 };
	static const double ones[3] = { 1, 1, 1 };
	static const double zero[3] = { 0, 0, 0 };
	static const double r1[3] = { 1, 2, 3 };
	static const double r2[3] = { 0.5, -0.25, 2 };
	static const double tiny[2] = { 3e-300, 4e-300 };
	const double *a[4] = { big, r1, r2, big };
	const double *b[4] = { ones, r1, r1, zero };
	double out[4];
	double rows[4][37], cols[4][37];
	const double *ra[4], *rb[4];
	size_t q, t;
	int same = 1;

	nsl_vec_dot4(a, b, 3, out);
	/* 1 + 4 + 9 = 14; 0.5 - 0.5 + 6 = 6; big . 0 = 0 */
	UNIT_CHECK(out[0] == 0 && out[1] == 14 && out[2] == 6 && out[3] == 0,
	    "dot4: (1e16, 1, -1e16) . (1, 1, 1) summed in order is 0, not 1; "
	    "14 and 6 by hand (%g %g %g %g)", out[0], out[1], out[2], out[3]);
	UNIT_CHECK(nsl_vec_dot(big, ones, 3) == 0, "dot: the same order, 0");
	nsl_vec_sqdist4(a, b, 3, out);
	/* 1e16 - 1 lies halfway between 1e16 - 2 and 1e16 and rounds to
	   the even one, 1e16 (so -1e16 - 1 to -1e16): two squares that are
	   each the double nearest 1e32, summing to twice it, 2e32; then 0;
	   then 0.25 + 5.0625 + 1 = 6.3125 */
	UNIT_CHECK(out[0] == 2e32 && out[1] == 0 && out[2] == 6.3125 &&
	    out[3] == 2e32, "sqdist4: 2e32, 0, 6.3125 by hand (%g %g %g %g)",
	    out[0], out[1], out[2], out[3]);
	/* wider rows of awkward numbers: the four-row sums equal the
	   one-row kernels' bit for bit */
	srand(7);
	for (q = 0; q < 4; q++) {
		for (t = 0; t < 37; t++) {
			rows[q][t] = ldexp((double)rand() / RAND_MAX - 0.5,
			    rand() % 60 - 30);
			cols[q][t] = ldexp((double)rand() / RAND_MAX - 0.5,
			    rand() % 60 - 30);
		}
		ra[q] = rows[q];
		rb[q] = cols[q];
	}
	nsl_vec_dot4(ra, rb, 37, out);
	for (q = 0; q < 4; q++)
		same &= out[q] == nsl_vec_dot(rows[q], cols[q], 37);
	nsl_vec_sqdist4(ra, rb, 37, out);
	for (q = 0; q < 4; q++)
		same &= out[q] == nsl_vec_sqdist(rows[q], cols[q], 37);
	UNIT_CHECK(same, "dot4 and sqdist4 give nsl_vec_dot's and "
	    "nsl_vec_sqdist's bits on rows of 37 numbers spread over 2^60");
	{
		/* quotients by 3: each the scalar division's, worked out
		   apart from the kernel */
		double third[7];
		size_t i;

		for (i = 0; i < 7; i++)
			third[i] = (double)row7[i] / 3.0;
		UNIT_CHECK(scaled_rows_are(nsl_vec_f32_div, 3.0, third),
		    "f32_div: each number the scalar quotient (1/3, -1, "
		    "-0 kept), rows of 0 to 7");
	}
	{
		/* products by 0.25 and by 3: exact, by hand */
		static const double quarter[7] = { 0.25, -0.75, 0.125, 1.75,
		    (double)1e-30f / 4, (double)3e30f / 4, -0.0 };
		static const double three[7] = { 3, -9, 1.5, 21,
		    (double)1e-30f * 3, (double)3e30f * 3, -0.0 };

		UNIT_CHECK(scaled_rows_are(nsl_vec_f32_mul, 0.25, quarter) &&
		    scaled_rows_are(nsl_vec_f32_mul, 3.0, three),
		    "f32_mul: each number times the scale (x 0.25, -0 kept, "
		    "rows of 0 to 7; 1, -3, 0.5, 7 x 3 = 3, -9, 1.5, 21)");
	}
	UNIT_CHECK(nsl_vec_norm_of_sum(r1, 3, 14) == sqrt(14.0),
	    "norm_of_sum: sqrt(14) for (1, 2, 3)");
	UNIT_CHECK(fabs(nsl_vec_norm_of_sum(tiny, 2, 0) - 5e-300) <= 1e-315,
	    "norm_of_sum: squares underflowing to 0 fall back to the scaled "
	    "norm, 5e-300 for (3e-300, 4e-300) (%g)",
	    nsl_vec_norm_of_sum(tiny, 2, 0));
	UNIT_CHECK(nsl_vec_norm_of_sum(zero, 3, 0) == 0, "norm_of_sum: 0 for "
	    "a zero row");
	return unit_done();
}
