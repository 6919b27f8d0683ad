/*
 * Unit tests of lib/quant.c.
 *
 * The expected values never come from the code under test.  Minifloat
 * values are computed here from the sign, exponent and mantissa bits in
 * long double (ref_value), following the OCP 8-bit FP and MX v1.0
 * definitions; the reference encoder (ref_encode) is a brute-force search
 * for the nearest of those values, ties to the even code, with the value
 * one ulp above max standing for "overflow" (so that, as IEEE 754 says,
 * rounding happens as if the exponent range were unbounded).  Published
 * constants (448, 57344, 7.5, 28, 6, the FP4 table, bitsandbytes' NF4
 * table and its normal-quantile construction) are checked as such.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "nsl/num.h"
#include "nsl/quant.h"
#include "nsl/rng.h"
#include "unit.h"

/*
 * The conventions: FIN no special codes; FN S.1..1.1..1 NaN; IEEE
 * infinities and NaNs; FNUZ the code of -0 is the one NaN, no -0, no
 * infinities; FNU unsigned, no zero, no subnormals, all ones NaN.
 */
enum { FIN, FN, IEEE, FNUZ, FNU };

struct fmtcase {
	const char *name;
	int E, M, sp;
	int bias;	/* 0: 2^(E-1)-1 */
};

static int
ref_bias(const struct fmtcase *fc)
{
	return fc->bias ? fc->bias : (1 << (fc->E - 1)) - 1;
}

/* the bit of the sign, 0 for an unsigned format */
static unsigned
ref_signbit(const struct fmtcase *fc)
{
	return fc->sp == FNU ? 0 : 1u << (fc->E + fc->M);
}

/* 2^k in long double by repeated multiplication */
static long double
p2(int k)
{
	long double v = 1;

	for (; k > 0; k--)
		v *= 2;
	for (; k < 0; k++)
		v /= 2;
	return v;
}

/* Value of code c of the format, from its definition. */
static long double
ref_value(const struct fmtcase *fc, unsigned c)
{
	int E = fc->E, M = fc->M, sp = fc->sp, bias = ref_bias(fc);
	unsigned s = ref_signbit(fc) ? (c >> (E + M)) & 1 : 0;
	unsigned e = (c >> M) & ((1u << E) - 1);
	unsigned m = c & ((1u << M) - 1), eall = (1u << E) - 1;
	long double v;

	if (sp == IEEE && e == eall)
		v = m == 0 ? INFINITY : NAN;
	else if ((sp == FN || sp == FNU) && e == eall && m == (1u << M) - 1)
		v = NAN;
	else if (sp == FNUZ && s && e == 0 && m == 0)
		v = NAN;
	else if (e == 0 && sp != FNU)
		v = (long double)m / (1u << M) * p2(1 - bias);
	else
		v = (1 + (long double)m / (1u << M)) * p2((int)e - bias);
	return s ? -v : v;
}

/* Largest positive finite code, by scanning the reference values. */
static unsigned
ref_maxcode(const struct fmtcase *fc)
{
	unsigned c, best = 0;

	for (c = 0; c < (1u << (fc->E + fc->M)); c++)
		if (isfinite(ref_value(fc, c)) &&
		    ref_value(fc, c) > ref_value(fc, best))
			best = c;
	return best;
}

/* The spacing of values at max's exponent: 2^(e - bias - M). */
static long double
ref_ulp_at_max(const struct fmtcase *fc)
{
	unsigned e = (ref_maxcode(fc) >> fc->M) & ((1u << fc->E) - 1);

	return p2((int)e - ref_bias(fc) - fc->M);
}

/*
 * Nearest-even encoding of x by brute force.  Returns the code, or -1
 * for overflow (x rounds to the value past max) and for a value the
 * format has no code near (below an unsigned format's range).
 */
static int
ref_encode(const struct fmtcase *fc, long double x)
{
	unsigned mc = ref_maxcode(fc), c, best = 0;
	long double a = fabsl(x), vmax = ref_value(fc, mc);
	long double ulp = ref_ulp_at_max(fc);
	long double virt = vmax + ulp, d, bd = INFINITY;
	unsigned sign = signbit(x) ? ref_signbit(fc) : 0;

	if (fc->sp == FNU && !(x > 0))
		return -1;
	/* the value past max: one ulp up (its code would be mc + 1) */
	if (a > virt)
		return -1;
	for (c = 0; c <= mc + 1; c++) {
		long double v = c <= mc ? ref_value(fc, c) : virt;

		d = fabsl(a - v);
		if (d < bd || (d == bd && c % 2 == 0)) {
			bd = d;
			best = c;
		}
	}
	if (best == mc + 1)
		return -1;
	if (fc->sp == FNUZ && best == 0)	/* no -0 */
		sign = 0;
	return (int)(sign | best);
}

/* Expected code for an overflow under the format's rule. */
static int
ref_overflow(const struct fmtcase *fc, int negative, int saturate)
{
	int E = fc->E, M = fc->M, sp = fc->sp;
	unsigned sign = negative ? ref_signbit(fc) : 0, mc = ref_maxcode(fc),
	    eall = (1u << E) - 1;

	if (saturate || sp == FIN)
		return (int)(sign | mc);
	if (sp == IEEE)
		return (int)(sign | eall << M);
	if (sp == FNUZ)
		return (int)(1u << (E + M));
	return (int)(sign | ((1u << (E + M)) - 1));
}

static int
same_value(double got, long double want)
{
	if (isnan(want))
		return isnan(got);
	return got == want && !signbit(got) == !signbit(want);
}

static void
test_decode_encode(const struct fmtcase *fc, int quick)
{
	struct nsl_quant_format f;
	struct nsl_err err;
	unsigned c, n, bad = 0, badenc = 0, badf32 = 0, badmid = 0,
	    badnear = 0, fl, mc, sat;
	int E = fc->E, M = fc->M, sp = fc->sp;

	nsl_err_clear(&err);
	if (nsl_quant_format_parse(&f, fc->name, &err) != 0) {
		UNIT_CHECK(0, "%s parses", fc->name);
		return;
	}
	n = 1u << ((sp == FNU ? 0 : 1) + E + M);
	mc = ref_maxcode(fc);
	UNIT_CHECK(f.bits == (sp == FNU ? 0 : 1) + E + M &&
	    f.bias == ref_bias(fc) &&
	    f.max == ref_value(fc, mc), "%s: bits, bias, max %.9g",
	    fc->name, f.max);
	/* every code decodes to its defined value */
	for (c = 0; c < n; c++)
		if (!same_value(nsl_quant_decode(&f, c), ref_value(fc, c)))
			bad++;
	UNIT_CHECK(bad == 0, "%s: all %u codes decode per definition (%u "
	    "wrong)", fc->name, n, bad);
	/* encode(decode(c)) == c for every non-NaN code, both encoders */
	for (c = 0; c < n; c++) {
		long double v = ref_value(fc, c);
		float x32 = (float)v;
		uint8_t code;

		if (isnan(v))
			continue;
		fl = 0;
		if (nsl_quant_fp_encode(&f, (double)v, -1, 0, &fl) != c)
			badenc++;
		nsl_quant_fp_encode_f32(&f, &x32, 1, &code, 0);
		if (code != c)
			badf32++;
	}
	UNIT_CHECK(badenc == 0 && badf32 == 0, "%s: encode(decode(c)) = c "
	    "(%u double, %u float32 wrong)", fc->name, badenc, badf32);
	/* every midpoint between neighbours goes to the even code, and the
	 * neighbours of the midpoint to the nearer code */
	for (c = 0; c < mc; c++) {
		long double lo = ref_value(fc, c), hi = ref_value(fc,
		    c + 1), mid = (lo + hi) / 2;
		double dm = (double)mid;
		unsigned want = c % 2 == 0 ? c : c + 1, sgn = ref_signbit(fc);
		float f32s[2] = { (float)dm, (float)-dm };
		uint8_t codes[2];
		/* no -0 in FNUZ; an unsigned format has no negatives (its
		 * NaN) */
		unsigned nwant = sgn == 0 ? (1u << (E + M)) - 1 :
		    sp == FNUZ && want == 0 ? 0 : sgn | want;

		fl = 0;
		if (nsl_quant_fp_encode(&f, dm, -1, 0, &fl) != want ||
		    nsl_quant_fp_encode(&f, -dm, -1, 0, &fl) != nwant)
			badmid++;
		nsl_quant_fp_encode_f32(&f, f32s, 2, codes, 0);
		if (codes[0] != want || codes[1] != nwant)
			badmid++;
		if (nsl_quant_fp_encode(&f, nextafter(dm, 0), -1, 0, &fl) != c
		    || nsl_quant_fp_encode(&f, nextafter(dm, INFINITY), -1, 0,
		    &fl) != c + 1)
			badnear++;
	}
	UNIT_CHECK(badmid == 0 && badnear == 0, "%s: midpoints round to the "
	    "even code (%u wrong), their neighbours to the nearer (%u wrong)",
	    fc->name, badmid, badnear);
	/* just above max: the overflow rule, with and without --saturate */
	{
		long double vmax = ref_value(fc, mc), ulp =
		    ref_ulp_at_max(fc), tie = vmax + ulp / 2;
		double above = nextafter((double)tie, INFINITY);
		int tiecode = ref_encode(fc, tie);
		unsigned wantnosat = (unsigned)ref_overflow(fc, 0, 0);
		unsigned wantsat = (unsigned)ref_overflow(fc, 0, 1);
		unsigned tiewant = tiecode < 0 ? wantnosat : (unsigned)tiecode;
		float a32 = (float)above, inf = INFINITY;
		uint8_t code;
		int ok = 1;

		fl = 0;
		ok &= nsl_quant_fp_encode(&f, above, -1, 0, &fl) == wantnosat;
		ok &= nsl_quant_fp_encode(&f, above, -1, NSL_QO_SATURATE, &fl)
		    == wantsat;
		ok &= nsl_quant_fp_encode(&f, -above, -1, 0, &fl) ==
		    (unsigned)ref_overflow(fc, 1, 0);
		ok &= nsl_quant_fp_encode(&f, (double)tie, -1, 0, &fl) ==
		    tiewant;
		ok &= nsl_quant_fp_encode(&f, INFINITY, -1, 0, &fl) ==
		    wantnosat;
		ok &= nsl_quant_fp_encode(&f, INFINITY, -1, NSL_QO_SATURATE,
		    &fl) == wantsat;
		nsl_quant_fp_encode_f32(&f, &a32, 1, &code, 0);
		ok &= a32 <= (float)tie || code == wantnosat;
		nsl_quant_fp_encode_f32(&f, &inf, 1, &code, NSL_QO_SATURATE);
		ok &= code == wantsat;
		nsl_quant_fp_encode_f32(&f, &inf, 1, &code, 0);
		ok &= code == wantnosat;
		sat = ok;
		UNIT_CHECK(sat, "%s: above max (%.9Lg) gives code 0x%02x, "
		    "0x%02x saturated; the tie gives 0x%02x", fc->name, tie,
		    wantnosat, wantsat, tiewant);
	}
	/* signed zeros, subnormal flushing */
	if (sp == FNUZ) {
		long double minsub = ref_value(fc, 1);
		int ok = 1;

		fl = 0;
		ok &= nsl_quant_fp_encode(&f, 0.0, -1, 0, &fl) == 0;
		ok &= nsl_quant_fp_encode(&f, -0.0, -1, 0, &fl) == 0;
		ok &= fl == 0;
		ok &= nsl_quant_fp_encode(&f, -(double)(minsub / 4), -1, 0,
		    &fl) == 0 && (fl & NSL_QF_FLUSHED);
		ok &= nsl_quant_fp_encode(&f, (double)(minsub * 3 / 2), -1, 0,
		    &fl) == 2;
		UNIT_CHECK(ok, "%s: -0 and small negatives encode as +0 (no "
		    "-0)", fc->name);
	} else if (sp == FNU) {
		int ok = 1;

		fl = 0;
		ok &= nsl_quant_fp_encode(&f, 0.0, -1, 0, &fl) == 0xff;
		ok &= nsl_quant_fp_encode(&f, -1.0, -1, 0, &fl) == 0xff;
		ok &= nsl_quant_fp_encode(&f, 0.0, -1, NSL_QO_SATURATE, &fl) ==
		    0;
		ok &= nsl_quant_fp_encode(&f, (double)p2(-128), -1, 0, &fl) ==
		    0;
		ok &= nsl_quant_fp_encode(&f, 1e-300, -1, 0, &fl) == 0;
		ok &= nsl_quant_fp_encode(&f, 1.0, -1, 0, &fl) == 127;
		UNIT_CHECK(ok, "%s: no zero or negatives (NaN; 2^-127 "
		    "saturated); 1 is 0x7f; values below 2^-127 go to it",
		    fc->name);
	} else {
		long double minsub = ref_value(fc, 1);
		unsigned sgn = 1u << (E + M);
		int ok = 1;

		fl = 0;
		ok &= nsl_quant_fp_encode(&f, 0.0, -1, 0, &fl) == 0;
		ok &= nsl_quant_fp_encode(&f, -0.0, -1, 0, &fl) == sgn;
		ok &= signbit(nsl_quant_decode(&f, sgn)) &&
		    nsl_quant_decode(&f, sgn) == 0;
		ok &= fl == 0;
		ok &= nsl_quant_fp_encode(&f, (double)(minsub / 2), -1, 0,
		    &fl) == 0 && (fl & NSL_QF_FLUSHED);
		ok &= nsl_quant_fp_encode(&f, -(double)(minsub / 4), -1, 0,
		    &fl) == sgn;
		ok &= nsl_quant_fp_encode(&f, nextafter((double)(minsub / 2),
		    1), -1, 0, &fl) == 1;
		ok &= nsl_quant_fp_encode(&f, (double)(minsub * 3 / 2), -1, 0,
		    &fl) == 2;
		UNIT_CHECK(ok, "%s: signed zeros; half the smallest subnormal "
		    "(%.9Lg) flushes to 0, 1.5x goes to code 2", fc->name,
		    minsub);
	}
	/* NaN input */
	{
		float nan = NAN;
		uint8_t code;
		unsigned want = sp == FIN ? 0 : sp == FN || sp == FNU ?
		    (1u << (E + M)) - 1 : sp == FNUZ ? 1u << (E + M) :
		    ((1u << E) - 1) << M | 1u << (M - 1);

		fl = 0;
		nsl_quant_fp_encode_f32(&f, &nan, 1, &code, 0);
		UNIT_CHECK(nsl_quant_fp_encode(&f, NAN, -1, 0, &fl) == want &&
		    code == want && isnan(nsl_quant_decode(&f, want)) ==
		    (sp != FIN), "%s: NaN encodes as 0x%02x", fc->name, want);
	}
	/* random values against the brute-force reference, both encoders */
	{
		gsl_rng *r = nsl_rng_new(7, (uint64_t)E * 16 + M * 4 + sp);
		int i, nr = quick ? 2000 : 20000, bad1 = 0, bad2 = 0, want;
		double vmax = f.max;

		for (i = 0; i < nr; i++) {
			/* log-uniform magnitudes over the whole range */
			double ex = (f.emin - M - 3) + gsl_rng_uniform(r) *
			    (f.emax + 3 - (f.emin - M - 3));
			float x = (float)(ldexp(1 + gsl_rng_uniform(r),
			    (int)floor(ex)) * (gsl_rng_uniform(r) < 0.5 &&
			    sp != FNU ? -1 : 1));
			uint8_t code;

			want = ref_encode(fc, x);
			if (want < 0)
				want = ref_overflow(fc, x < 0, 0);
			fl = 0;
			if (nsl_quant_fp_encode(&f, x, -1, 0, &fl) !=
			    (unsigned)want)
				bad1++;
			nsl_quant_fp_encode_f32(&f, &x, 1, &code, 0);
			if (code != want)
				bad2++;
		}
		(void)vmax;
		gsl_rng_free(r);
		UNIT_CHECK(bad1 == 0 && bad2 == 0, "%s: %d random values "
		    "match the brute-force nearest-even reference (%d double,"
		    " %d float32 wrong)", fc->name, nr, bad1, bad2);
	}
}

/* float32 kernel == double encoder over structured float32 bit patterns */
static void
test_f32_sweep(const char *name, int quick)
{
	struct nsl_quant_format f;
	struct nsl_err err;
	static float xs[1 << 16];
	static uint8_t codes[1 << 16];
	uint32_t ex, hi, lo, b;
	unsigned bad = 0, fl, sat;
	size_t i, n;
	static const uint32_t lows[] = { 0, 1, 0x7fff, 0x8000, 0x8001,
	    0xffff };

	nsl_quant_format_parse(&f, name, &err);
	for (sat = 0; sat < 2; sat++)
		for (ex = 0; ex < 256; ex += quick ? 3 : 1) {
			n = 0;
			for (hi = 0; hi < 128; hi++)
				for (lo = 0; lo < 6; lo++) {
					b = ex << 23 | hi << 16 | lows[lo];
					memcpy(&xs[n++], &b, 4);
					b |= 0x80000000u;
					memcpy(&xs[n++], &b, 4);
				}
			nsl_quant_fp_encode_f32(&f, xs, n, codes, sat);
			for (i = 0; i < n; i++) {
				fl = 0;
				if (codes[i] != nsl_quant_fp_encode(&f, xs[i],
				    -1, sat, &fl))
					bad++;
			}
		}
	UNIT_CHECK(bad == 0, "%s: float32 kernel agrees with the double "
	    "encoder on every exponent x mantissa pattern (%u wrong)", name,
	    bad);
}

/*
 * The fractional block scale formats against their definitions: UE4M3
 * is E4M3's 128 codes of sign 0 (0x7f NaN, max 448); UE5M3 8 bits, bias
 * 15, subnormals, 0xff NaN, max 1.75 * 2^16 = 114688.
 */
static void
test_scale_formats(void)
{
	struct nsl_quant q;
	struct nsl_err err;
	unsigned c, e, m, bad = 0;
	long double want;

	memset(&q, 0, sizeof(q));
	nsl_err_clear(&err);
	nsl_quant_format_parse(&q.fmt, "mxfp4", &err);
	nsl_quant_set_scaling(&q, 0, -1);
	q.scale_fmt = NSL_QSF_UE5M3;
	q.clip = 1;
	nsl_quant_prepare(&q, &err);
	for (c = 0; c < 256; c++) {
		e = c >> 3;
		m = c & 7;
		want = c == 255 ? NAN : e == 0 ? m / 8.0L * p2(-14) :
		    (1 + m / 8.0L) * p2((int)e - 15);
		bad += !same_value(q.sfmt.value[c], want);
	}
	UNIT_CHECK(q.frac && bad == 0 && q.sfmt.bits == 8 && q.sfmt.max ==
	    114688, "ue5m3: 256 codes per definition, max 114688 (%u wrong)",
	    bad);
	nsl_quant_release(&q);
	q.scale_fmt = NSL_QSF_UE4M3;
	nsl_quant_prepare(&q, &err);
	bad = 0;
	for (c = 0; c < 128; c++) {
		struct fmtcase e4 = { "fp8-e4m3", 4, 3, FN, 0 };

		bad += !same_value(q.sfmt.value[c], ref_value(&e4, c));
	}
	UNIT_CHECK(q.frac && bad == 0 && q.sfmt.bits == 7 && q.sfmt.max ==
	    448, "ue4m3: the 128 E4M3 codes of sign 0, max 448 (%u wrong)",
	    bad);
	nsl_quant_release(&q);
	q.scale_fmt = NSL_QSF_AUTO;
	UNIT_CHECK(nsl_quant_check(&q) == NULL && (q.scale_fmt =
	    NSL_QSF_E8M0, nsl_quant_prepare(&q, &err) == 0 && !q.frac),
	    "mxfp4 takes E8M0 scales by default and when asked");
	nsl_quant_format_parse(&q.fmt, "fp8-e4m3", &err);
	q.scale_fmt = NSL_QSF_UE4M3;
	UNIT_CHECK(nsl_quant_check(&q) != NULL, "a scale format needs an MX "
	    "format");
}

/*
 * NVFP4 on hand-worked blocks of 16 (NVIDIA, arXiv 2509.25149): one
 * tensor of four blocks whose amax is 2688 = 6 * 448, so the float32
 * second scale s = 2688 / (6 * 448) = 1 and a block's scale is amax / 6
 * rounded to nearest-even E4M3.
 *   block 0, an outlier: 2688, 1, -2, 0.5: v = 448 (0x7e); 2688 / 448 =
 *	6 (code 7); 1/448, -2/448, 0.5/448 < 0.25 become 0, -0 (code 8), 0.
 *   block 1, all zero: v = 0, every code 0.
 *   block 2, an underflowing scale: amax 0.005, 0.005 / 6 < 2^-10 (half
 *	E4M3's least subnormal): v = 0, the block is zero.
 *   block 3: amax 3, v = 0.5 (0x30); 3, -1.5, 0.75, 0.2 over 0.5 are 6,
 *	-3, 1.5, 0.4 -> codes 7, 0xd, 3, 1 (0.5): values 3, -1.5, 0.75,
 *	0.25.
 * The codes decode back to the values (nsl_quant_dequantize).
 */
static void
test_nvfp4(void)
{
	static const uint8_t want_codes[4][4] = { { 7, 0, 8, 0 },
	    { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 7, 0xd, 3, 1 } };
	static const double want_val[4][4] = { { 2688, 0, -0.0, 0 },
	    { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 3, -1.5, 0.75, 0.25 } };
	static const int want_scale[4] = { 126, 0, 0, 48 };
	static const double in[4][4] = { { 2688, 1, -2, 0.5 },
	    { 0, 0, 0, 0 }, { 0.005, -0.001, 0.003, 0 },
	    { 3, -1.5, 0.75, 0.2 } };
	struct nsl_quant q;
	struct nsl_quant_scale t, sc[4];
	struct nsl_err err;
	double x[64] = { 0 }, out[64], back[64];
	uint8_t codes[64];
	unsigned fl;
	int b, i, bad = 0;

	memset(&q, 0, sizeof(q));
	nsl_err_clear(&err);
	nsl_quant_format_parse(&q.fmt, "nvfp4", &err);
	nsl_quant_set_scaling(&q, 0, -1);
	q.clip = 1;
	q.f32 = 1;
	UNIT_CHECK(nsl_quant_prepare(&q, &err) == 0 && q.frac &&
	    q.block == 16 && q.outer == NSL_QG_TENSOR && q.fmt.bits == 4,
	    "nvfp4: E2M1 in blocks of 16, UE4M3 scales, a tensor scale");
	for (b = 0; b < 4; b++)
		for (i = 0; i < 4; i++)
			x[16 * b + i] = in[b][i];
	nsl_quant_scale_for(&q, -2, 2688, &t);
	fl = nsl_quant_vector(&q, x, 64, out, codes, sc, &t, NULL, NULL);
	for (b = 0; b < 4; b++) {
		bad += sc[b].e8m0 != want_scale[b];
		for (i = 0; i < 16; i++) {
			double wv = i < 4 ? want_val[b][i] : 0;

			bad += codes[16 * b + i] != (i < 4 ? want_codes[b][i] :
			    0) || !same_value(out[16 * b + i], wv);
		}
	}
	UNIT_CHECK(t.scale == 1 && nsl_quant_outer_of(&q, sc, 4) == 1 &&
	    bad == 0 && (fl & NSL_QF_FLUSHED),
	    "nvfp4: the outlier, all-zero, underflowing and plain blocks "
	    "as worked by hand (%d wrong)", bad);
	nsl_quant_dequantize(&q, codes, 64, sc, back);
	bad = memcmp(back, out, sizeof(out)) != 0;
	UNIT_CHECK(!bad, "nvfp4: the codes and scales decode to the values");
	nsl_quant_release(&q);
}

/* The extremes ml_dtypes' finfo publishes for its types. */
static void
test_published(void)
{
	static const struct {
		const char *name;
		double max, tiny, smallest_subnormal;
	} want[] = {
		{ "fp8-e4m3fnuz", 240, 0x1p-7, 0x1p-10 },
		{ "fp8-e5m2fnuz", 57344, 0x1p-15, 0x1p-17 },
		{ "fp8-e4m3b11fnuz", 30, 0x1p-10, 0x1p-13 },
		{ "fp8-e3m4", 15.5, 0x1p-2, 0x1p-6 },
		{ "fp8-e8m0fnu", 0x1p127, 0x1p-127, 0x1p-127 },
	};
	struct nsl_quant_format f;
	struct nsl_err err;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		nsl_quant_format_parse(&f, want[i].name, &err);
		/* E8M0's least value is code 0, the others' code 1 */
		UNIT_CHECK(f.max == want[i].max && f.value[f.special ==
		    NSL_QS_FNU ? 0 : 1] == want[i].smallest_subnormal && ldexp(1.0, f.emin) ==
		    want[i].tiny, "%s: max %g, smallest normal %g, smallest "
		    "subnormal %g", want[i].name, want[i].max, want[i].tiny,
		    want[i].smallest_subnormal);
	}
}

/*
 * int3, int2, uint4, uint2: every code decodes to its two's complement
 * (or unsigned) integer, and a row scaled by absmax / qmax (uint: max /
 * qmax) encodes each integer k qmax-th of it to k, negatives of an
 * unsigned format to 0.
 */
static void
test_small_int(void)
{
	static const struct {
		const char *name;
		int bits, usign, qmin, qmax;
	} fmts[] = {
		{ "int3", 3, 0, -3, 3 }, { "int2", 2, 0, -1, 1 },
		{ "uint4", 4, 1, 0, 15 }, { "uint2", 2, 1, 0, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct nsl_quant q;
		struct nsl_quant_scale sc[1];
		struct nsl_err err;
		double x[40], out[40];
		uint8_t codes[40];
		int c, k, bad = 0, n = 0, b = fmts[i].bits;

		memset(&q, 0, sizeof(q));
		nsl_err_clear(&err);
		nsl_quant_format_parse(&q.fmt, fmts[i].name, &err);
		for (c = 0; c < (1 << b); c++) {
			int want = fmts[i].usign || c < (1 << (b - 1)) ? c :
			    c - (1 << b);

			bad += nsl_quant_decode(&q.fmt, (unsigned)c) != want;
		}
		q.gran = NSL_QG_ROW;
		q.clip = 1;
		/* k / qmax * 3 for every k, and two negatives */
		for (k = fmts[i].qmin; k <= fmts[i].qmax; k++)
			x[n++] = 3.0 * k / fmts[i].qmax;
		x[n++] = -3;
		x[n++] = -0.25;
		nsl_quant_prepare(&q, &err);
		nsl_quant_vector(&q, x, (size_t)n, out, codes, sc, NULL, NULL,
		    NULL);
		for (k = 0; k < n - 2; k++) {
			int want = fmts[i].qmin + k;

			bad += codes[k] != ((unsigned)want & ((1u << b) - 1)) ||
			    out[k] != want * (3.0 / fmts[i].qmax);
		}
		bad += (fmts[i].usign ? codes[n - 2] != 0 : codes[n - 2] !=
		    ((unsigned)fmts[i].qmin & ((1u << b) - 1)));
		bad += codes[n - 1] != 0;
		bad += sc[0].scale != 3.0 / fmts[i].qmax;
		nsl_quant_release(&q);
		UNIT_CHECK(bad == 0 && q.fmt.bits == b && q.fmt.qmax ==
		    fmts[i].qmax, "%s: %d codes decode to their integers, "
		    "k/qmax of the row's max encodes to k, scale max/%d (%d "
		    "wrong)", fmts[i].name, 1 << b, fmts[i].qmax, bad);
	}
}

static void
test_int(void)
{
	struct nsl_quant q;
	struct nsl_quant_scale sc[1];
	struct nsl_err err;
	/* int8 symmetric: amax 15.875 = 127/8, so the scale is exactly
	 * 1/8: codes = round(8x) ties to even */
	double x8[] = { 15.875, -7.9375, 0.0625, 0.1875, -15.875, 1.0 };
	double w8[] = { 15.875, -8.0, 0.0, 0.25, -15.875, 1.0 };
	long c8[] = { 127, -64, 0, 2, -127, 8 };
	/* int4: amax 3.5 = 7/2, scale 1/2 */
	double x4[] = { 3.5, 1.25, -0.75, 0.2, -3.5 };
	long c4[] = { 7, 2, -2, 0, -7 };
	double out[8];
	uint8_t codes[8];
	size_t i;
	int ok = 1;

	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "int8", &err);
	q.gran = NSL_QG_ROW;
	UNIT_CHECK(nsl_quant_prepare(&q, &err) == 0, "int8 row is valid");
	nsl_quant_vector(&q, x8, 6, out, codes, sc, NULL, NULL, NULL);
	ok = sc[0].scale == 0.125;
	for (i = 0; i < 6; i++)
		ok &= out[i] == w8[i] && (int8_t)codes[i] == c8[i];
	UNIT_CHECK(ok, "int8 symmetric: scale absmax/127, round half even, "
	    "two's complement codes");
	nsl_quant_format_parse(&q.fmt, "int4", &err);
	nsl_quant_vector(&q, x4, 5, out, codes, sc, NULL, NULL, NULL);
	ok = sc[0].scale == 0.5;
	for (i = 0; i < 5; i++)
		ok &= out[i] == c4[i] * 0.5 &&
		    codes[i] == ((unsigned)c4[i] & 15);
	UNIT_CHECK(ok, "int4 symmetric: scale absmax/7, codes -7..7 as "
	    "4-bit two's complement");
	/*
	 * int8 asymmetric (PyTorch's quantize_per_tensor convention):
	 * lo = min(x, 0) = -1, hi = 3, scale = 4/255, zero point =
	 * -round(lo/scale) = round(63.75) = 64; code = clamp(round(x/scale)
	 * + 64, 0, 255): -1 -> round(-63.75) + 64 = 0; 0.5 -> round(31.875)
	 * + 64 = 96; 3 -> round(191.25) + 64 = 255; 0 -> 64.
	 */
	{
		double xa[] = { -1, 0.5, 3, 0 };
		unsigned ca[] = { 0, 96, 255, 64 };
		double s = 4.0 / 255;

		nsl_quant_format_parse(&q.fmt, "int8", &err);
		q.asymmetric = 1;
		nsl_quant_vector(&q, xa, 4, out, codes, sc, NULL, NULL, NULL);
		ok = sc[0].scale == s && sc[0].zero == 64;
		for (i = 0; i < 4; i++)
			ok &= codes[i] == ca[i] &&
			    out[i] == ((double)ca[i] - 64) * s;
		UNIT_CHECK(ok, "int8 asymmetric: scale (max-min)/255, zero "
		    "point 64, codes 0 96 255 64");
	}
}

static void
test_nf4(void)
{
	/*
	 * bitsandbytes' create_normal_map(offset=0.9677083): the positive
	 * levels are the normal quantiles at linspace(offset, 0.5, 9)[:-1],
	 * the negative ones minus those at linspace(offset, 0.5, 8)[:-1],
	 * plus 0, divided by the largest.  (QLoRA, Dettmers et al. 2023,
	 * eq. 4 with the asymmetric 8/7 split.)
	 */
	double lv[16], mx, got;
	struct nsl_quant q;
	struct nsl_quant_scale sc[2];
	struct nsl_err err;
	int i, n = 0, ok = 1;
	double off = 0.9677083;

	mx = gsl_cdf_ugaussian_Pinv(off);
	for (i = 0; i < 7; i++)	/* ascending negatives */
		lv[n++] = -gsl_cdf_ugaussian_Pinv(off + (0.5 - off) * i / 7.0)
		    / mx;
	lv[n++] = 0;
	for (i = 7; i >= 0; i--)	/* ascending positives */
		lv[n++] = gsl_cdf_ugaussian_Pinv(off + (0.5 - off) * i / 8.0)
		    / mx;
	for (i = 0; i < 16; i++)
		ok &= fabs(nsl_quant_nf4_levels[i] - lv[i]) < 2e-6;
	UNIT_CHECK(ok, "nf4 levels match the normal-quantile construction "
	    "(lv[1] %.9f vs %.9f)", lv[1], (double)nsl_quant_nf4_levels[1]);
	ok = 1;
	for (i = 0; i < 16; i++)
		ok &= nsl_quant_nf4_encode(nsl_quant_nf4_levels[i], -1) ==
		    (unsigned)i;
	for (i = 0; i < 15; i++) {
		double mid = ((double)nsl_quant_nf4_levels[i] +
		    nsl_quant_nf4_levels[i + 1]) / 2;

		ok &= nsl_quant_nf4_encode(mid, -1) == (unsigned)(i % 2 ? i +
		    1 : i);
		ok &= nsl_quant_nf4_encode(nextafter(mid, -2), -1) ==
		    (unsigned)i;
		ok &= nsl_quant_nf4_encode(nextafter(mid, 2), -1) ==
		    (unsigned)i + 1;
	}
	UNIT_CHECK(ok, "nf4: each level encodes to its index, midpoints to "
	    "the even index, neighbours of midpoints to the nearer");
	/*
	 * absmax block of 64 by hand: block [0.5, -1, 0.25, 0] (padded with
	 * zeros to 4 elements, block 4 here): absmax 1; 0.5 lies below the
	 * midpoint 0.50166 of levels 12 (0.4407) and 13 (0.5626) -> 12;
	 * -1 -> 0; 0.25 nearest 0.24611 -> 10; 0 -> 7.  Second block
	 * [2, -0.2]: absmax 2, -0.1 nearest -0.09105 -> 6, 1 -> 15.
	 */
	{
		double x[] = { 0.5, -1, 0.25, 0, 2, -0.2 }, out[6];
		uint8_t c[6], want[] = { 12, 0, 10, 7, 15, 6 };

		memset(&q, 0, sizeof(q));
		nsl_quant_format_parse(&q.fmt, "nf4", &err);
		q.gran = NSL_QG_BLOCK;
		q.block = 4;
		nsl_quant_prepare(&q, &err);
		nsl_quant_vector(&q, x, 6, out, c, sc, NULL, NULL, NULL);
		ok = sc[0].scale == 1 && sc[1].scale == 2;
		for (i = 0; i < 6; i++)
			ok &= c[i] == want[i];
		got = out[5];
		ok &= got == 2 * (double)-0.09105003625154495f;
		UNIT_CHECK(ok, "nf4 absmax blocks on a hand-worked vector");
	}
	/*
	 * Every midpoint and its neighbours, in one block of scale 1 (its
	 * first element is 1), each at every position of the eight-lane
	 * loop and of the tail: the codes the midpoint rule gives.
	 */
	{
		double x[64], out[64], mid;
		uint8_t c[64], want[64];
		int sh, k;

		memset(&q, 0, sizeof(q));
		nsl_quant_format_parse(&q.fmt, "nf4", &err);
		q.gran = NSL_QG_BLOCK;
		q.block = 64;
		nsl_quant_prepare(&q, &err);
		ok = 1;
		for (sh = 0; sh < 16; sh++) {
			n = 0;
			x[n] = 1;
			want[n++] = 15;
			for (k = 0; k < sh; k++) {	/* shift them along */
				x[n] = 0;
				want[n++] = 7;
			}
			for (i = 0; i < 15; i++) {
				mid = ((double)nsl_quant_nf4_levels[i] +
				    nsl_quant_nf4_levels[i + 1]) / 2;
				x[n] = mid;
				want[n++] = (uint8_t)(i % 2 ? i + 1 : i);
				x[n] = nextafter(mid, -2);
				want[n++] = (uint8_t)i;
				x[n] = nextafter(mid, 2);
				want[n++] = (uint8_t)(i + 1);
			}
			nsl_quant_vector(&q, x, (size_t)n, out, c, sc, NULL,
			    NULL, NULL);
			for (i = 0; i < n; i++)
				ok &= c[i] == want[i] &&
				    out[i] == nsl_quant_nf4_levels[want[i]];
		}
		UNIT_CHECK(ok, "nf4: midpoints to the even code, their "
		    "neighbours to the nearer, in every lane");
	}
}

static void
test_mx(void)
{
	struct nsl_quant q;
	struct nsl_quant_scale sc[2];
	struct nsl_quant_stats st;
	struct nsl_err err;
	double x[40], out[40];
	uint8_t c[40];
	int i, ok;

	memset(&q, 0, sizeof(q));
	/* scale exponents by hand */
	nsl_quant_format_parse(&q.fmt, "mxfp8-e4m3", &err);
	ok = q.fmt.emax_elem == 8;
	/* amax 448: floor(log2 448) = 8 -> E 0; ceil(log2 448) = 9 -> 1;
	 * 448 <= 448 * 2^0 -> rceil 0.  amax 500: 0, 1, 1.  amax 1: -8. */
	ok &= nsl_quant_mx_exponent(&q.fmt, 448, NSL_QM_FLOOR) == 0;
	ok &= nsl_quant_mx_exponent(&q.fmt, 448, NSL_QM_CEIL) == 1;
	ok &= nsl_quant_mx_exponent(&q.fmt, 448, NSL_QM_RCEIL) == 0;
	ok &= nsl_quant_mx_exponent(&q.fmt, 500, NSL_QM_FLOOR) == 0;
	ok &= nsl_quant_mx_exponent(&q.fmt, 500, NSL_QM_CEIL) == 1;
	ok &= nsl_quant_mx_exponent(&q.fmt, 500, NSL_QM_RCEIL) == 1;
	ok &= nsl_quant_mx_exponent(&q.fmt, 256, NSL_QM_CEIL) == 0;
	ok &= nsl_quant_mx_exponent(&q.fmt, 1, NSL_QM_FLOOR) == -8;
	/* tiny amax clamps to -127, zero gives -127, inf gives NaN (128) */
	ok &= nsl_quant_mx_exponent(&q.fmt, 0x1p-130, NSL_QM_FLOOR) == -127;
	ok &= nsl_quant_mx_exponent(&q.fmt, 0, NSL_QM_FLOOR) == -127;
	ok &= nsl_quant_mx_exponent(&q.fmt, INFINITY, NSL_QM_FLOOR) == 128;
	ok &= nsl_quant_mx_exponent(&q.fmt, 0x1p200, NSL_QM_FLOOR) == 128;
	UNIT_CHECK(ok, "MX shared exponent: floor/ceil/rceil by hand, clamp "
	    "at -127, NaN above 127");
	nsl_quant_format_parse(&q.fmt, "mxfp4", &err);
	ok = q.fmt.emax_elem == 2 &&
	    nsl_quant_mx_exponent(&q.fmt, 6, NSL_QM_FLOOR) == 0 &&
	    nsl_quant_mx_exponent(&q.fmt, 6, NSL_QM_CEIL) == 1 &&
	    nsl_quant_mx_exponent(&q.fmt, 6, NSL_QM_RCEIL) == 0 &&
	    nsl_quant_mx_exponent(&q.fmt, 6.5, NSL_QM_RCEIL) == 1;
	UNIT_CHECK(ok, "mxfp4: emax_elem 2; amax 6 -> E 0 (floor), 1 (ceil)"
	    ", 0 (rceil)");

	/*
	 * mxfp8-e4m3, block 32 then a partial block of 8.  Block 1: x[0] =
	 * 1, x[i] = i/64 otherwise (amax 31/64 < 1): E = floor(log2 1) - 8
	 * = -8, so elements are x * 256: 1 -> 256 = 2^8 (code 0x78);
	 * 1/64 -> 4 = 2^2 (exp field 9, code 0x48); 3/64 -> 12 = 1.5*2^3
	 * (exp 10, mantissa 100: 0x54).  Block 2 (x[32..39] = 0): E = -127,
	 * e8m0 code 0, codes 0.
	 */
	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "mxfp8-e4m3", &err);
	q.block = 32;
	UNIT_CHECK(nsl_quant_prepare(&q, &err) == 0 && q.gran == NSL_QG_BLOCK,
	    "MX formats get per-block scales");
	for (i = 0; i < 40; i++)
		x[i] = i == 0 ? 1 : i < 32 ? i / 64.0 : 0;
	memset(&st, 0, sizeof(st));
	nsl_quant_vector(&q, x, 40, out, c, sc, NULL, NULL, &st);
	ok = sc[0].e8m0 == 127 - 8 && sc[1].e8m0 == 0 && c[0] == 0x78 &&
	    c[1] == 0x48 && c[3] == 0x54 && out[0] == 1 && out[1] == 1 / 64.0;
	for (i = 32; i < 40; i++)
		ok &= c[i] == 0 && out[i] == 0;
	/*
	 * 4i (i < 32) has the significant bits of i, so it is exact in
	 * e4m3 unless i has 5 of them: the odd i from 17 to 31 lie halfway
	 * between neighbours 8 apart (68 between 64 = 1.000b*2^6 and 72 =
	 * 1.001b*2^6 goes to 64; 76 between 72 and 80 = 1.010b*2^6 goes to
	 * 80): 8 elements with error 4/256 each, sum of squares 8/64^2.
	 */
	ok &= out[17] == 0.25 && out[19] == 0.3125;
	ok &= st.sum_e2 == 8.0 / 4096 && st.saturated == 0 && st.flushed == 0;
	UNIT_CHECK(ok, "mxfp8-e4m3 on a hand-worked block, an all-zero "
	    "partial last block (e8m0 0)");

	/*
	 * mxfp4 with one huge outlier: x[0] = 1000, the rest 0.001.
	 * E = floor(log2 1000) - 2 = 9 - 2 = 7, scale 128; 1000/128 =
	 * 7.8125 saturates to 6 (code 0x7, value 768); 0.001/128 < 0.25 =
	 * half the smallest subnormal 0.5, so it flushes to 0.
	 */
	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "mxfp4", &err);
	q.block = 32;
	nsl_quant_prepare(&q, &err);
	for (i = 0; i < 32; i++)
		x[i] = i == 0 ? 1000 : 0.001;
	memset(&st, 0, sizeof(st));
	nsl_quant_vector(&q, x, 32, out, c, sc, NULL, NULL, &st);
	ok = sc[0].e8m0 == 127 + 7 && c[0] == 0x7 && out[0] == 768;
	for (i = 1; i < 32; i++)
		ok &= c[i] == 0 && out[i] == 0;
	ok &= st.saturated == 1 && st.flushed == 31;
	UNIT_CHECK(ok, "mxfp4 block with one outlier: E 7, outlier saturates "
	    "to 768, the rest flush (1 saturated, 31 flushed)");

	/* ceil mode on the same block: E = ceil(log2 1000) - 2 = 8, 1000/256
	 * = 3.90625 -> nearest fp4 4 (code 0x6), value 1024 */
	q.scale_mode = NSL_QM_CEIL;
	nsl_quant_vector(&q, x, 32, out, c, sc, NULL, NULL, NULL);
	UNIT_CHECK(sc[0].e8m0 == 127 + 8 && c[0] == 0x6 && out[0] == 1024,
	    "mxfp4 ceil scale mode: E 8, outlier 1024");

	/* mxint8: amax 1 -> E 0; 0.3 -> round(19.2) = 19 -> 19/64; -1 ->
	 * -64 (0xc0); 1.99 -> 127.36 -> 127 */
	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "mxint8", &err);
	q.block = 32;
	nsl_quant_prepare(&q, &err);
	{
		double xi[] = { 1, 0.3, -1 }, xj[] = { 1.99, 0.3 };

		nsl_quant_vector(&q, xi, 3, out, c, sc, NULL, NULL, NULL);
		ok = sc[0].e8m0 == 127 && c[0] == 64 && c[1] == 19 &&
		    c[2] == 0xc0 && out[1] == 19 / 64.0 && out[2] == -1;
		nsl_quant_vector(&q, xj, 2, out, c, sc, NULL, NULL, NULL);
		ok &= sc[0].e8m0 == 127 && c[0] == 127 && out[0] == 127 / 64.0;
		UNIT_CHECK(ok, "mxint8: k/64 elements, E = floor(log2 amax)");
	}
}

/* mean of many stochastic roundings of x vs x, in standard errors */
static double
sr_zscore(const char *fmt, enum nsl_quant_gran gran, double x, double lo,
    double hi, int n)
{
	struct nsl_quant q;
	struct nsl_err err;
	struct nsl_quant_scale ts = { 1, 0, 0 };
	gsl_rng *r = nsl_rng_new(11, 0);
	double v[1] = { x }, out[1], sum = 0, p, se;
	int i;

	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, fmt, &err);
	q.gran = gran;
	q.stochastic = 1;
	nsl_quant_prepare(&q, &err);
	for (i = 0; i < n; i++) {
		nsl_quant_vector(&q, v, 1, out, NULL, NULL, &ts, r, NULL);
		if (out[0] != lo && out[0] != hi)
			return 1e9;
		sum += out[0];
	}
	gsl_rng_free(r);
	p = (x - lo) / (hi - lo);
	se = (hi - lo) * sqrt(p * (1 - p) / n);
	return (sum / n - x) / se;
}

static void
test_stochastic(int quick)
{
	int n = quick ? 100000 : 1000000;
	double z;

	/* fp8-e4m3: 1.0 and 1.125 are neighbours; x = 1.0375 (p = 0.3) */
	z = sr_zscore("fp8-e4m3", NSL_QG_NONE, 1.0375, 1.0, 1.125, n);
	UNIT_CHECK(fabs(z) < 4, "stochastic fp8-e4m3: mean of %d roundings "
	    "of 1.0375 within 4 SE (z = %.2f)", n, z);
	/* fp4: 4 and 6 are neighbours; x = 5.5 */
	z = sr_zscore("fp4-e2m1", NSL_QG_NONE, 5.5, 4, 6, n);
	UNIT_CHECK(fabs(z) < 4, "stochastic fp4: 5.5 within 4 SE (z = %.2f)",
	    z);
	/* subnormal fp8-e5m2: 0 and 2^-16 */
	z = sr_zscore("fp8-e5m2", NSL_QG_NONE, 0x1p-18, 0, 0x1p-16, n);
	UNIT_CHECK(fabs(z) < 4, "stochastic fp8-e5m2 subnormal: within 4 SE "
	    "(z = %.2f)", z);
	/* int8 with a tensor scale of 1: 2 and 3; x = 2.8 */
	z = sr_zscore("int8", NSL_QG_TENSOR, 2.8, 2, 3, n);
	UNIT_CHECK(fabs(z) < 4, "stochastic int8: 2.8 within 4 SE (z = "
	    "%.2f)", z);
}

static void
test_hadamard_rotate(void)
{
	double x[8] = { 1, 0, 0, 0, 0, 0, 0, 0 }, y[8];
	double v[64], out[64], back[64];
	struct nsl_quant q;
	struct nsl_quant_scale sc[2];
	struct nsl_err err;
	uint8_t c[64];
	int i, ok = 1;

	nsl_quant_hadamard(x, 8);
	for (i = 0; i < 8; i++)
		ok &= fabs(x[i] - 1 / sqrt(8)) < 1e-15;
	for (i = 0; i < 8; i++)
		y[i] = i * 0.5 - 1;
	memcpy(x, y, sizeof(x));
	nsl_quant_hadamard(x, 8);
	/* second row of H8 is (+ - + - + - + -): (1/sqrt 8) sum (-1)^i y_i */
	ok &= fabs(x[1] - (-4 * 0.5) / sqrt(8)) < 1e-15;
	nsl_quant_hadamard(x, 8);
	for (i = 0; i < 8; i++)
		ok &= fabs(x[i] - y[i]) < 1e-15;
	UNIT_CHECK(ok, "normalized Hadamard: H e0 = 1/sqrt(n), row 1 "
	    "alternates, H H = I");

	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "mxfp4", &err);
	q.block = 32;
	q.rotate = 1;
	q.seed = 5;
	UNIT_CHECK(nsl_quant_prepare(&q, &err) == 0, "rotate with MX is valid");
	for (i = 0; i < 64; i++)
		v[i] = i == 3 ? 50 : sin(i);
	nsl_quant_vector(&q, v, 64, out, c, sc, NULL, NULL, NULL);
	nsl_quant_dequantize(&q, c, 64, sc, back);
	ok = 1;
	for (i = 0; i < 64; i++)
		ok &= back[i] == out[i];
	UNIT_CHECK(ok, "rotated codes dequantize to the same values");
	{
		/*
		 * The same by hand: t = H D v / sqrt(32) per block with H
		 * the Sylvester matrix H[i][j] = (-1)^popcount(i & j),
		 * quantized without rotation, then v' = D H t' / sqrt(32).
		 */
		struct nsl_quant p = q;
		double t[32], tq[32], want;
		int b, j, k, bad = 0;

		p.rotate = 0;
		p.signs = NULL;
		p.scratch = NULL;
		nsl_quant_prepare(&p, &err);
		for (b = 0; b < 2; b++) {
			for (j = 0; j < 32; j++) {
				t[j] = 0;
				for (k = 0; k < 32; k++)
					t[j] += (__builtin_popcount(j & k) % 2
					    ? -1 : 1) * q.signs[k] *
					    v[b * 32 + k];
				t[j] /= sqrt(32);
			}
			nsl_quant_vector(&p, t, 32, tq, NULL, NULL, NULL,
			    NULL, NULL);
			for (j = 0; j < 32; j++) {
				want = 0;
				for (k = 0; k < 32; k++)
					want += (__builtin_popcount(j & k) % 2
					    ? -1 : 1) * tq[k];
				want = q.signs[j] * want / sqrt(32);
				if (fabs(want - out[b * 32 + j]) > 1e-12)
					bad++;
			}
		}
		UNIT_CHECK(bad == 0, "rotation = explicit Sylvester-Hadamard "
		    "with random signs, quantize, inverse (%d wrong)", bad);
		nsl_quant_release(&p);
	}
	nsl_quant_release(&q);
}

static void
test_stats_and_search(void)
{
	struct nsl_quant q;
	struct nsl_quant_stats st;
	struct nsl_err err;
	double x[4] = { 3, 4, 0.1, 0 }, out[4], mse;
	size_t len[1] = { 8 };
	double t[8] = { 0, 0.5, 1, 1.5, 2, 3, 4, -6 };
	int ok;

	/* fp4 cast of (3, 4, 0.1, 0): 0.1 flushes (below 0.25), so the
	 * error is 0.1, MSE 0.01/4, SQNR 10 log10(25.01/0.01) */
	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "fp4-e2m1", &err);
	nsl_quant_prepare(&q, &err);
	memset(&st, 0, sizeof(st));
	nsl_quant_vector(&q, x, 4, out, NULL, NULL, NULL, NULL, &st);
	ok = st.count == 4 && st.flushed == 1 && st.saturated == 0 &&
	    fabs(st.sum_e2 - 0.01) < 1e-15 && fabs(st.max_err - 0.1) < 1e-15
	    && fabs(st.sum_x2 - 25.01) < 1e-12 &&
	    fabs(st.sum_cos - 25 / (5 * sqrt(25.01))) < 1e-15;
	UNIT_CHECK(ok, "stats on a hand-worked fp4 vector");
	/* the float32 fast path gives the same values and counts: fp8-e4m3
	 * of (500, 464, -1e-9, 0.3): 500 saturates (with --saturate),
	 * 464 is the tie that goes down to 448 (not counted), -1e-9
	 * flushes to -0 */
	{
		double y[4] = { 500, 464, -1e-9, 0.3 }, o1[4], o2[4];
		struct nsl_quant_stats s1, s2;
		uint8_t c1[4], c2[4];

		memset(&q, 0, sizeof(q));
		nsl_quant_format_parse(&q.fmt, "fp8-e4m3", &err);
		q.opts = NSL_QO_SATURATE;
		nsl_quant_prepare(&q, &err);
		memset(&s1, 0, sizeof(s1));
		memset(&s2, 0, sizeof(s2));
		nsl_quant_vector(&q, y, 4, o1, c1, NULL, NULL, NULL, &s1);
		q.f32 = 1;
		nsl_quant_vector(&q, y, 4, o2, c2, NULL, NULL, NULL, &s2);
		ok = memcmp(c1, c2, 4) == 0 && o2[0] == 448 && o2[1] == 448 &&
		    o2[2] == 0 && signbit(o2[2]) && o2[3] == 0.3125 &&
		    s1.saturated == 1 && s2.saturated == 1 && s1.flushed == 1
		    && s2.flushed == 1 && s1.sum_e2 == s2.sum_e2;
		UNIT_CHECK(ok, "fp8 cast: float32 fast path = general path, "
		    "with the same saturated and flushed counts");
	}

	/* search: a tensor exactly on the e2m1 grid (times 1) has MSE 0
	 * only for e2m1 with no clipping */
	memset(&q, 0, sizeof(q));
	nsl_quant_format_parse(&q.fmt, "fp4-e2m1", &err);
	UNIT_CHECK(nsl_quant_search(&q, t, len, 1, &mse, &err) == 0 &&
	    strcmp(q.fmt.name, "e2m1") == 0 && q.clip == 1 && mse == 0,
	    "search finds e2m1, clip 1, MSE 0 on an e2m1 grid (got %s %g "
	    "%g)", q.fmt.name, q.clip, mse);
	nsl_quant_format_parse(&q.fmt, "nf4", &err);
	UNIT_CHECK(nsl_quant_search(&q, t, len, 1, &mse, &err) == -1 &&
	    err.code == NSL_EX_USAGE, "search refuses nf4");
}

static void
test_names(void)
{
	const struct nsl_quant_def *d;
	struct nsl_quant_format f;
	struct nsl_err err;
	const char *bad[] = { "fp7", "e0m3", "e4m4", "e3m3x", "e2m0-fn",
	    "e1m1-ieee", "", "e9m0", NULL };
	int i, ok = 1;
	char line[256];

	for (d = nsl_quant_formats; d->name != NULL; d++) {
		if (d->match != NULL)
			continue;	/* a family: its names are patterns */
		ok &= nsl_quant_format_parse(&f, d->name, &err) == 0;
		nsl_quant_format_describe(&f, line, sizeof(line));
		ok &= strncmp(line, d->name, strlen(d->name)) == 0;
	}
	UNIT_CHECK(ok, "every catalogue row parses and describes itself");
	ok = 1;
	for (i = 0; bad[i] != NULL; i++)
		ok &= nsl_quant_format_parse(&f, bad[i], &err) == -1 &&
		    err.code == NSL_EX_USAGE;
	UNIT_CHECK(ok, "bad format names are usage errors");
	/* published maxima and the FP4 table (OCP MX v1.0, table 5) */
	{
		static const double fp4[8] = { 0, 0.5, 1, 1.5, 2, 3, 4, 6 };

		nsl_quant_format_parse(&f, "fp4-e2m1", &err);
		for (i = 0; i < 8; i++)
			ok &= nsl_quant_decode(&f, (unsigned)i) == fp4[i] &&
			    nsl_quant_decode(&f, (unsigned)i + 8) == -fp4[i];
		nsl_quant_format_parse(&f, "fp8-e4m3", &err);
		ok &= f.max == 448 && nsl_quant_decode(&f, 1) == 0x1p-9 &&
		    isnan(nsl_quant_decode(&f, 0x7f)) &&
		    nsl_quant_decode(&f, 0x7e) == 448;
		nsl_quant_format_parse(&f, "fp8-e5m2", &err);
		ok &= f.max == 57344 && nsl_quant_decode(&f, 1) == 0x1p-16 &&
		    isinf(nsl_quant_decode(&f, 0x7c)) &&
		    isnan(nsl_quant_decode(&f, 0x7d));
		nsl_quant_format_parse(&f, "fp6-e2m3", &err);
		ok &= f.max == 7.5 && nsl_quant_decode(&f, 1) == 0.125;
		nsl_quant_format_parse(&f, "fp6-e3m2", &err);
		ok &= f.max == 28 && nsl_quant_decode(&f, 1) == 0.0625;
		UNIT_CHECK(ok, "published constants: e4m3 448 and 2^-9, e5m2 "
		    "57344 and 2^-16, e2m3 7.5, e3m2 28, the FP4 table");
	}
}

/* ---- the fast paths give the general paths' bytes ---- */

/* A test value: grid points and midpoints m 2^j, gaussians over many
 * scales, signed zeros, subnormal doubles, huge values and, with
 * specials, NaN and infinities. */
static double
fast_value(gsl_rng *r, int j, int specials)
{
	double u = gsl_rng_uniform(r);

	if (u < 0.35)
		return ldexp((double)gsl_rng_uniform_int(r, 257) - 128, j);
	if (u < 0.85)
		return gsl_ran_gaussian(r, 1) * pow(10, 6 * gsl_rng_uniform(r)
		    - 3) * ldexp(1, j);
	if (u < 0.88)
		return gsl_rng_uniform(r) < 0.5 ? 0.0 : -0.0;
	if (u < 0.91)
		return (gsl_rng_uniform(r) - 0.5) * 1e-310;
	if (u < 0.94)
		return (gsl_rng_uniform(r) - 0.5) * 1e39;
	if (u < 0.96)
		return (gsl_rng_uniform(r) - 0.5) * 1e300;
	if (specials && u < 0.98)
		return NAN;
	if (specials)
		return gsl_rng_uniform(r) < 0.5 ? INFINITY : -INFINITY;
	return 1.5 * ldexp(1, j);
}

/* Fill x[0..n): one magnitude j per vector, as in a real row. */
static void
fast_vector(gsl_rng *r, double *x, size_t n, int specials)
{
	int j = (int)gsl_rng_uniform_int(r, 40) - 20;
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = fast_value(r, j, specials && gsl_rng_uniform(r) < 0.1);
}

static int
same_scales(const struct nsl_quant_scale *a, const struct nsl_quant_scale *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(&a[i].scale, &b[i].scale, sizeof(double)) != 0 ||
		    a[i].zero != b[i].zero || a[i].e8m0 != b[i].e8m0)
			return 0;
	return 1;
}

/* nsl_quant_vector with q->general = 0 and 1: codes, values (bit for
 * bit), scales and flags agree on many random vectors. */
static int
fast_agrees(struct nsl_quant *q, gsl_rng *r, int nvec, const char *what)
{
	enum { N = 100 };
	double x[N], o1[N], o2[N], lo, hi;
	uint8_t c1[N], c2[N];
	struct nsl_quant_scale s1[N + 1], s2[N + 1], t;
	unsigned f1, f2;
	size_t i, n, ns;
	int v, ok = 1;

	for (v = 0; v < nvec && ok; v++) {
		n = v % 7 == 0 ? (size_t)gsl_rng_uniform_int(r, N + 1) : N;
		fast_vector(r, x, n, v % 5 == 0);
		lo = hi = 0;
		for (i = 0; i < n; i++) {
			lo = fmin(lo, x[i]);
			hi = fmax(hi, x[i]);
		}
		nsl_quant_scale_for(q, lo, hi, &t);
		ns = nsl_quant_nspans(q, n);
		memset(s1, 0, sizeof(s1));
		memset(s2, 0, sizeof(s2));
		q->general = 0;
		f1 = nsl_quant_vector(q, x, n, o1, c1, s1, &t, NULL, NULL);
		q->general = 1;
		f2 = nsl_quant_vector(q, x, n, o2, c2, s2, &t, NULL, NULL);
		q->general = 0;
		ok = f1 == f2 && memcmp(c1, c2, n) == 0 &&
		    memcmp(o1, o2, n * sizeof(double)) == 0 &&
		    same_scales(s1, s2, ns);
	}
	UNIT_CHECK(ok, "fast path = general path: %s (%d vectors)", what, v);
	return ok;
}

/* The configurations of the fast-path tests. */
struct fast_case {
	const char *fmt;	/* "mxfp4/ue4m3": with that block scale */
	enum nsl_quant_gran gran;
	size_t block;
	int asymmetric, saturate;
};

static const struct fast_case fast_cases[] = {
	{ "fp8-e4m3", NSL_QG_NONE, 0, 0, 0 },
	{ "fp8-e4m3", NSL_QG_NONE, 0, 0, 1 },
	{ "fp8-e5m2", NSL_QG_NONE, 0, 0, 0 },
	{ "fp6-e2m3", NSL_QG_NONE, 0, 0, 0 },
	{ "fp6-e3m2", NSL_QG_NONE, 0, 0, 0 },
	{ "fp4-e2m1", NSL_QG_NONE, 0, 0, 0 },
	{ "e3m0", NSL_QG_NONE, 0, 0, 0 },
	{ "e7m0", NSL_QG_NONE, 0, 0, 0 },
	{ "e1m6", NSL_QG_NONE, 0, 0, 0 },
	{ "e4m3-ieee", NSL_QG_NONE, 0, 0, 0 },
	{ "fp8-e4m3", NSL_QG_ROW, 0, 0, 0 },
	{ "fp8-e5m2", NSL_QG_BLOCK, 16, 0, 1 },
	{ "fp4-e2m1", NSL_QG_TENSOR, 0, 0, 0 },
	{ "mxfp8-e4m3", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxfp8-e5m2", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxfp6-e2m3", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxfp6-e3m2", NSL_QG_BLOCK, 7, 0, 0 },
	{ "mxfp4", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxint8", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxint8", NSL_QG_BLOCK, 5, 0, 0 },
	{ "nf4", NSL_QG_BLOCK, 64, 0, 0 },
	{ "nf4", NSL_QG_ROW, 0, 0, 0 },
	{ "int8", NSL_QG_ROW, 0, 0, 0 },
	{ "int8", NSL_QG_BLOCK, 16, 0, 0 },
	{ "int8", NSL_QG_TENSOR, 0, 0, 0 },
	{ "int8", NSL_QG_ROW, 0, 1, 0 },
	{ "int4", NSL_QG_ROW, 0, 0, 0 },
	{ "int4", NSL_QG_BLOCK, 32, 1, 0 },
	{ "fp8-e4m3fnuz", NSL_QG_NONE, 0, 0, 0 },
	{ "fp8-e4m3fnuz", NSL_QG_NONE, 0, 0, 1 },
	{ "fp8-e5m2fnuz", NSL_QG_ROW, 0, 0, 0 },
	{ "fp8-e4m3b11fnuz", NSL_QG_BLOCK, 16, 0, 0 },
	{ "fp8-e3m4", NSL_QG_NONE, 0, 0, 0 },
	{ "fp8-e8m0fnu", NSL_QG_NONE, 0, 0, 1 },
	{ "int3", NSL_QG_ROW, 0, 0, 0 },
	{ "int2", NSL_QG_BLOCK, 16, 1, 0 },
	{ "uint4", NSL_QG_ROW, 0, 0, 0 },
	{ "uint2", NSL_QG_BLOCK, 8, 0, 0 },
	{ "nvfp4", NSL_QG_BLOCK, 16, 0, 0 },
	{ "nvfp4", NSL_QG_ROW, 16, 0, 0 },
	{ "nvfp4", NSL_QG_NONE, 5, 0, 0 },
	{ "mxfp8-e4m3/ue5m3", NSL_QG_BLOCK, 32, 0, 0 },
	{ "mxint8/ue4m3", NSL_QG_TENSOR, 32, 0, 0 },
	{ "mxfp6-e3m2/ue4m3", NSL_QG_ROW, 7, 0, 0 },
};

static int
fast_setup(struct nsl_quant *q, const struct fast_case *fc, int f32,
    int scale_mode)
{
	struct nsl_err err;

	char name[32], *sf;
	int k;

	memset(q, 0, sizeof(*q));
	memset(&err, 0, sizeof(err));
	snprintf(name, sizeof(name), "%s", fc->fmt);
	if ((sf = strchr(name, '/')) != NULL) {
		*sf++ = '\0';
		for (k = 0; nsl_quant_scale_fmt_names[k] != NULL; k++)
			if (strcmp(sf, nsl_quant_scale_fmt_names[k]) == 0)
				q->scale_fmt = (enum nsl_quant_scale_fmt)k;
	}
	if (nsl_quant_format_parse(&q->fmt, name, &err) != 0)
		return -1;
	q->gran = fc->gran;
	q->block = fc->block;
	q->asymmetric = fc->asymmetric;
	q->opts = fc->saturate ? NSL_QO_SATURATE : 0;
	q->f32 = f32;
	q->clip = 1;
	q->scale_mode = (enum nsl_quant_scale_mode)scale_mode;
	return nsl_quant_prepare(q, &err);
}

static void
test_fast_paths(int quick)
{
	gsl_rng *r = nsl_rng_new(77, 0);
	struct nsl_quant q;
	char what[96];
	size_t k;
	int f32, ok = 1;

	for (k = 0; k < sizeof(fast_cases) / sizeof(fast_cases[0]); k++)
		for (f32 = 0; f32 <= 1; f32++) {
			const struct fast_case *fc = &fast_cases[k];
			int mode = (int)(k % 3);

			if (fast_setup(&q, fc, f32, mode) != 0) {
				UNIT_CHECK(0, "set up %s", fc->fmt);
				continue;
			}
			snprintf(what, sizeof(what), "%s scale %d block %zu%s%s"
			    "%s mode %d", fc->fmt, fc->gran, fc->block,
			    fc->asymmetric ? " asymmetric" : "",
			    fc->saturate ? " saturate" : "",
			    f32 ? "" : " no-f32", mode);
			ok &= fast_agrees(&q, r, quick ? 100 : 2000, what);
			nsl_quant_release(&q);
		}
	UNIT_CHECK(ok, "every fast path agrees with the general one");
	gsl_rng_free(r);
}

/* Run the filter over path into out with q->general = general. */
static int
filter_to(struct nsl_quant *q, const struct nsl_quant_filter_opts *o,
    const char *path, const char *out, int general)
{
	struct nsl_err err;
	struct nsl_writer *w;
	struct nsl_quant_filter *fl;
	int rc = -1;

	memset(&err, 0, sizeof(err));
	q->general = general;
	if ((w = nsl_writer_open(out, &err)) == NULL)
		return -1;
	if ((fl = nsl_quant_filter_new(q, o, w, &err)) != NULL &&
	    nsl_quant_filter_file(fl, path, NULL, &err) == 0 &&
	    nsl_quant_filter_finish(fl, NULL, NULL, &err) == 0 &&
	    nsl_writer_commit(w, &err) == 0)
		rc = 0;
	else
		nsl_writer_abort(w);
	nsl_quant_filter_free(fl);
	q->general = 0;
	return rc;
}

static int
same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa != NULL && fb != NULL;
	long n = 0;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		same = ca == cb;
		n++;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same && n > 1;
}

/* The filter's text cache writes the bytes that printing each value
 * writes, on random records of every case, JSON and --float32 style. */
static void
test_fast_filter(int quick)
{
	char dir[] = "/tmp/test_quant.XXXXXX", in[64], a[64], b[64];
	gsl_rng *r = nsl_rng_new(78, 0);
	struct nsl_quant_filter_opts o;
	struct nsl_quant q;
	double x[100];
	size_t k, i, n;
	int style, rec, ok;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		UNIT_CHECK(0, "make a temporary directory");
		return;
	}
	/* NaN and inf codes are printed too: --allow-nonfinite's writers */
	nsl_json_allow_nonfinite(1);
	snprintf(in, sizeof(in), "%s/in.jsonl", dir);
	snprintf(a, sizeof(a), "%s/fast.jsonl", dir);
	snprintf(b, sizeof(b), "%s/general.jsonl", dir);
	for (k = 0; k < sizeof(fast_cases) / sizeof(fast_cases[0]); k++)
		for (style = 0; style <= 1; style++) {
			const struct fast_case *fc = &fast_cases[k];

			if ((f = fopen(in, "w")) == NULL)
				break;
			for (rec = 0; rec < (quick ? 20 : 200); rec++) {
				n = rec % 9 == 0 ? gsl_rng_uniform_int(r, 100) :
				    100;
				fast_vector(r, x, n, 0);
				fprintf(f, "{\"id\":%d,\"embedding\":[", rec);
				for (i = 0; i < n; i++)
					fprintf(f, "%s%.17g", i ? "," : "",
					    fabs(x[i]) > 1e38 ? x[i] * 1e-30 :
					    x[i]);
				fprintf(f, "],\"z\":1}\n");
			}
			fclose(f);
			memset(&o, 0, sizeof(o));
			o.field = "embedding";
			o.allow_nonfinite = 1;
			o.style = style ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
			ok = fast_setup(&q, fc, 1, 0) == 0 &&
			    filter_to(&q, &o, in, a, 0) == 0 &&
			    filter_to(&q, &o, in, b, 1) == 0 &&
			    same_file(a, b);
			UNIT_CHECK(ok, "filter, text cache = printing: %s scale "
			    "%d%s%s", fc->fmt, fc->gran, fc->asymmetric ?
			    " asymmetric" : "", style ? " --float32" : "");
			nsl_quant_release(&q);
		}
	nsl_json_allow_nonfinite(0);
	remove(in);
	remove(a);
	remove(b);
	rmdir(dir);
	gsl_rng_free(r);
}

/* ---- the filter's fast number text = the core formatter's ---- */

/* One float against nsl_num_format and nsl_num_format_float; *hits
 * counts the values the fast formatter took. */
static int
format_agrees(float v, long *hits)
{
	char want[NSL_NUM_BUFSZ], got[NSL_NUM_BUFSZ];
	int as, n, ok = 1;

	for (as = 0; as < 2; as++) {
		memset(got, 'x', sizeof(got));
		n = nsl_num_format_f32_exact(got, v, as);
		if (n < 0)
			continue;
		if (as)
			nsl_num_format_float(want, v);
		else
			nsl_num_format(want, v);
		*hits += 1;
		if ((size_t)n != strlen(want) || strcmp(got, want) != 0) {
			if (ok)
				fprintf(stderr, "# %a (%s): %s, not %s\n",
				    (double)v, as ? "float" : "double", got,
				    want);
			ok = 0;
		}
	}
	return ok;
}

static void
test_format_f32(int quick)
{
	gsl_rng *r = nsl_rng_new(11, 0);
	long hits = 0, tried = 0, qhits, i, nscale = quick ? 2000 : 40000;
	int ok = 1, k, e;
	uint32_t bits;
	float s, v;

	/* every integer and nf4 code times many random float32 scales, as
	 * the dequantizer computes them (to_f32(q * s)) */
	for (i = 0; i < nscale; i++) {
		s = (float)(exp(gsl_ran_flat(r, log(1e-7), log(1e6))) /
		    (i % 3 == 0 ? 127 : i % 3 == 1 ? 7 : 1));
		for (k = -127; k <= 127; k++) {
			v = (float)((double)k * s);
			ok &= format_agrees(v, &hits);
			tried += 2;
		}
		for (k = 0; k < 16; k++) {
			v = (float)((double)nsl_quant_nf4_levels[k] * s);
			ok &= format_agrees(v, &hits);
			tried += 2;
		}
	}
	qhits = hits;
	/* random floats of every exponent, powers of two and their
	 * neighbours, integers */
	for (i = 0; i < (quick ? 200000 : 4000000); i++) {
		bits = (uint32_t)gsl_rng_get(r) & 0x807fffffu;
		bits |= (uint32_t)(80 + gsl_rng_uniform_int(r, 80)) << 23;
		memcpy(&v, &bits, sizeof(v));
		ok &= format_agrees(v, &hits);
	}
	for (e = -40; e <= 24; e++)
		for (k = -3; k <= 3; k++) {
			v = ldexpf(1.0f, e);
			bits = 0;
			memcpy(&bits, &v, sizeof(v));
			bits = (uint32_t)((int32_t)bits + k);
			memcpy(&v, &bits, sizeof(v));
			ok &= format_agrees(v, &hits);
			ok &= format_agrees(-v, &hits);
		}
	for (k = 1; k < 100000; k++)
		ok &= format_agrees((float)k / 8, &hits);
	UNIT_CHECK(ok, "fast float32 text = nsl_num_format(_float) bytes");
	UNIT_CHECK(qhits > tried / 2, "the fast text covers the quantized "
	    "values (%ld of %ld)", qhits, tried);
	gsl_rng_free(r);
}

/* ---- the catalogue against its golden cases and the man page ---- */

/*
 * Open rel (a path from the repository top): from the working directory,
 * else from the test binary's place (tests/unit/ of the build tree, which
 * may be asan/).
 */
static FILE *
open_top(const char *rel)
{
	static const char *const ups[] = { "../..", "../../.." };
	char path[8192], exe[4096];
	ssize_t len;
	FILE *fp;
	size_t i;

	if ((fp = fopen(rel, "r")) != NULL)
		return fp;
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return NULL;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	for (i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", exe, ups[i], rel);
		if ((fp = fopen(path, "r")) != NULL)
			return fp;
	}
	return NULL;
}

/* Does row d name (or, a family, accept) the format name s? */
static int
row_takes(const struct nsl_quant_def *d, const char *s)
{
	struct nsl_quant_format f;

	memset(&f, 0, sizeof(f));
	return d->match != NULL ? d->match(s, &f) == 0 :
	    strcmp(s, d->name) == 0;
}

/*
 * Every catalogue row has its golden cases, a file
 * tests/fixtures/quantize/formats/NAME.test with at least one case that
 * runs the format (a name of a family) and expects output: adding a row
 * without its test data fails here.
 */
static void
test_catalogue_golden(void)
{
	const struct nsl_quant_def *d;
	char rel[256], line[4096], name[64];
	int missing = 0, rows = 0;

	for (d = nsl_quant_formats; d->name != NULL; d++) {
		FILE *fp;
		int cases = 0, expect = 0, in_case = 0;

		rows++;
		snprintf(rel, sizeof(rel),
		    "tests/fixtures/quantize/formats/%s.test", d->name);
		if ((fp = open_top(rel)) == NULL) {
			UNIT_CHECK(0, "catalogue row %s has golden cases (%s)",
			    d->name, rel);
			missing++;
			continue;
		}
		while (fgets(line, sizeof(line), fp) != NULL) {
			const char *p = strstr(line, "--format ");

			if (line[0] == '$')
				in_case = p != NULL && sscanf(p + 9, "%63s",
				    name) == 1 && row_takes(d, name);
			if (line[0] == '$' && in_case)
				cases++;
			if (line[0] == '>' && in_case)
				expect++;
		}
		fclose(fp);
		UNIT_CHECK(cases >= 2 && expect >= 2, "catalogue row %s has "
		    "golden cases in %s (%d cases, %d expected lines)",
		    d->name, rel, cases, expect);
	}
	UNIT_CHECK(rows > 0 && missing == 0, "every one of the %d catalogue "
	    "rows has a golden file", rows);
}

/*
 * The man page's format table (".It Cm NAME Ta BITS Ta ... Ta MAX Ta
 * ... Ta BLOCK") has one row per catalogue row, and its bits, max and
 * block are the catalogue's.
 */
static void
test_man_table(void)
{
	const struct nsl_quant_def *d;
	struct nsl_quant_format f;
	struct nsl_err err;
	char line[1024], *col[8], *p, *tok;
	int seen[64] = { 0 }, nrows = 0, bad = 0, i, n;
	FILE *fp;

	if ((fp = open_top("man/nsl-quantize.1")) == NULL) {
		UNIT_CHECK(0, "man/nsl-quantize.1 can be read");
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, ".It Cm ", 7) != 0 || strstr(line, " Ta ") ==
		    NULL)
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (n = 0, p = line + 7; n < 8 && (tok = strstr(p, " Ta ")) !=
		    NULL; p = tok + 4)
			*tok = '\0', col[n++] = p;
		if (n < 8)
			col[n++] = p;
		nrows++;
		for (i = 0, d = nsl_quant_formats; d->name != NULL; d++, i++)
			if (strcmp(col[0], d->name) == 0)
				break;
		if (d->name == NULL || n != 6) {
			UNIT_CHECK(0, "man table row '%s' is a catalogue row "
			    "with 6 columns", col[0]);
			bad++;
			continue;
		}
		seen[i]++;
		if (d->match != NULL)
			continue;	/* a family: no one width or max */
		nsl_quant_format_parse(&f, d->name, &err);
		if (atoi(col[1]) != f.bits || strtod(col[3], NULL) != f.max ||
		    (strcmp(col[5], "\\-") == 0 ? 0 : atoi(col[5])) !=
		    (int)f.block) {
			UNIT_CHECK(0, "man table row %s: bits %s, max %s, block "
			    "%s are the catalogue's (%d, %.17g, %zu)", col[0],
			    col[1], col[3], col[5], f.bits, f.max, f.block);
			bad++;
		}
	}
	fclose(fp);
	for (i = 0, d = nsl_quant_formats; d->name != NULL; d++, i++)
		if (seen[i] != 1) {
			UNIT_CHECK(0, "catalogue row %s is in the man page's "
			    "table once (%d times)", d->name, seen[i]);
			bad++;
		}
	UNIT_CHECK(nrows > 0 && bad == 0, "the man page's format table (%d "
	    "rows) is the catalogue's", nrows);
}

int
main(void)
{
	static const struct fmtcase named[] = {
		{ "fp8-e4m3", 4, 3, FN, 0 }, { "fp8-e5m2", 5, 2, IEEE, 0 },
		{ "fp6-e2m3", 2, 3, FIN, 0 }, { "fp6-e3m2", 3, 2, FIN, 0 },
		{ "fp4-e2m1", 2, 1, FIN, 0 },
		/* ml_dtypes' float8_e4m3fnuz, _e5m2fnuz, _e4m3b11fnuz, _e3m4
		 * and _e8m0fnu */
		{ "fp8-e4m3fnuz", 4, 3, FNUZ, 8 },
		{ "fp8-e5m2fnuz", 5, 2, FNUZ, 16 },
		{ "fp8-e4m3b11fnuz", 4, 3, FNUZ, 11 },
		{ "fp8-e3m4", 3, 4, IEEE, 0 },
		{ "fp8-e8m0fnu", 8, 0, FNU, 127 },
	};
	static const char *const sfx[] = { "", "-fn", "-ieee" };
	int quick = unit_quick();
	size_t i;
	int e, m, sp;
	char name[32];

	test_names();
	test_catalogue_golden();
	test_man_table();
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		test_decode_encode(&named[i], quick);
	/* every eXmY of 3..8 bits in every convention it allows */
	for (sp = 0; sp < 3; sp++)
		for (e = 1; e <= 7; e++)
			for (m = 0; 1 + e + m <= 8; m++) {
				struct fmtcase fc = { name, e, m, sp, 0 };

				if (1 + e + m < 3 || (sp == FN && m < 1) ||
				    (sp == IEEE && (e < 2 || m < 1)))
					continue;
				/* a format needs a value below max */
				snprintf(name, sizeof(name), "e%dm%d%s", e, m,
				    sfx[sp]);
				if (sp == FN && e == 1 && m == 1)
					continue;
				test_decode_encode(&fc, 1);
			}
	test_f32_sweep("fp8-e4m3", quick);
	test_f32_sweep("fp8-e5m2", quick);
	test_f32_sweep("fp6-e2m3", quick);
	test_f32_sweep("fp6-e3m2", quick);
	test_f32_sweep("fp4-e2m1", quick);
	test_f32_sweep("e7m0", quick);
	test_f32_sweep("e1m6", quick);
	test_f32_sweep("fp8-e4m3fnuz", quick);
	test_f32_sweep("fp8-e5m2fnuz", quick);
	test_f32_sweep("fp8-e4m3b11fnuz", quick);
	test_f32_sweep("fp8-e3m4", quick);
	test_f32_sweep("fp8-e8m0fnu", quick);
	test_published();
	test_small_int();
	test_scale_formats();
	test_nvfp4();
	test_int();
	test_nf4();
	test_mx();
	test_stochastic(quick);
	test_hadamard_rotate();
	test_stats_and_search();
	test_fast_paths(quick);
	test_fast_filter(quick);
	test_format_f32(quick);
	return unit_done();
}
