/*
 * ot_fexp.h - a fast exp for the soft-min sums of Sinkhorn and SNS
 * (lib/ot_sinkhorn.c, lib/ot_sns.c), inline so that their loops over it
 * vectorise; the row sum built on it is ot_row_expsum() (ot_fexp.c).
 */
#ifndef NSL_OT_FEXP_H
#define NSL_OT_FEXP_H

#include <math.h>
#include <stdint.h>

/* 1/12!, 1/11!, ..., 1/2, 1, 1: the Taylor polynomial of exp, Horner order */
#define EXP_TERMS 13
static const double exp_taylor[EXP_TERMS] = {
	1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
	1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
	1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0
};

/*
 * exp(x) for x in [-708, 709] to about 2 ulp (0 below): x = k ln2 + r,
 * |r| <= ln2/2, a degree-12 Taylor polynomial of exp(r), times 2^k built
 * from its bits.  Written so that loops over it vectorise.
 */
static inline double
fexp(double x)
{
	const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
	const double ln2hi = 0x1.62e42fefa39efp-1, ln2lo = 0x1.abc9e3b39803fp-56;
	union {
		double d;
		int64_t i;
	} k, sc;
	double xc = fmin(fmax(x, -708.0), 709.0), kd, r, pr;
	int j;

	k.d = xc * log2e + shifter;
	kd = k.d - shifter;
	r = xc - kd * ln2hi - kd * ln2lo;
	pr = exp_taylor[0];
	for (j = 1; j < EXP_TERMS; j++)
		pr = pr * r + exp_taylor[j];
	/* the low bits of k hold round(xc log2e); add the exponent bias */
	sc.i = (k.i - 0x4338000000000000LL + 1023) << 52;
	return x < -708.0 ? 0.0 : pr * sc.d;
}

/*
 * The same exp, eight lanes at a time with GCC/Clang vector extensions
 * (which allow the bit reinterpretation that stops the auto-vectoriser;
 * in place, since passing such vectors by value changes the ABI), and
 * the soft-min row sum sum_j exp(h_j - row_j inv + sh) built on it.
 * The lanes, the operations (no contraction into fma: -std=c11 keeps
 * fp-contract off) and the order of the final sum are fixed, so every
 * clone below returns the same bits; only the instruction width differs.
 */
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8i __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) void
vexp(v8d *xp)
{
	const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
	const double ln2hi = 0x1.62e42fefa39efp-1, ln2lo = 0x1.abc9e3b39803fp-56;
	const v8d zero = { 0 }, lo = zero - 708.0, hi = zero + 709.0;
	v8d x = *xp, xc, k, kd, r, pr;
	v8i under = x < -708.0, over = x > 709.0, e;
	int j;

	xc = (v8d)(((v8i)lo & under) | ((v8i)x & ~under));
	xc = (v8d)(((v8i)hi & over) | ((v8i)xc & ~over));
	k = xc * log2e + shifter;
	kd = k - shifter;
	r = xc - kd * ln2hi - kd * ln2lo;
	pr = zero + exp_taylor[0];
	for (j = 1; j < EXP_TERMS; j++)
		pr = pr * r + exp_taylor[j];
	e = ((v8i)k - (0x4338000000000000LL - 1023)) << 52;
	*xp = (v8d)((v8i)(pr * (v8d)e) & ~under);
}

#endif
