/*
 * num.c - exact and fast conversion between JSON number text and binary
 * floating point.
 *
 * Reading.  The first 19 significant digits go into a 64-bit integer w,
 * eight at a time where the text allows, so that the text is w * 10^q.
 * When w and 10^q are both exact doubles, one correctly rounded IEEE
 * multiplication or division gives the answer (Clinger, "How to read
 * floating point numbers accurately", 1990).  Otherwise w is multiplied by
 * a 128-bit truncation of 10^q and the 192-bit product is rounded, when the
 * truncation error provably cannot change the rounding (Lemire, "Number
 * parsing at a gigabyte per second", 2021, after Eisel).  A product too
 * close to a rounding boundary is most often an exact binary fraction
 * written in full (a float32 printed by Python): when 5^-q divides w it is
 * (w / 5^-q) * 2^q, converted exactly.  Anything else -- more than 19
 * significant digits, subnormal results, the rest of the borderline
 * products -- goes to strtod() on a NUL-terminated copy.
 *
 * Writing.  Schubfach (Giulietti, "The Schubfach way to render doubles",
 * 2020): scale the value and the two ends of its rounding interval by a
 * power of ten chosen so that the interval is between 1 and 10 units long;
 * then one of the two multiples of ten around the value, or else one of
 * the two integers around it, is the shortest decimal in the interval.
 * The scaled values are computed "rounded to odd" from a 128-bit
 * approximation of the power of ten, which keeps every comparison with an
 * even integer exact.
 *
 * Both directions share one table of 128-bit powers of ten, computed once
 * with exact multiple-precision arithmetic.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/num.h"

#if defined(__SSE2__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && FLT_EVAL_METHOD == 0
#include <emmintrin.h>
#define NUM_SSE2 1
#ifdef __x86_64__		/* _mm_cvtsi128_si64 */
#define NUM_SSE2_LONG 1
#endif
#endif

__extension__ typedef unsigned __int128 num_u128;	/* gcc, clang */

/*
 * Powers of ten, 10^e ~ (hi * 2^64 + lo) * 2^exp2, with the top bit of hi
 * set and the significand truncated (rounded down).  Reading needs
 * e in [-342, 308]; below that every 19-digit w * 10^e rounds to zero, above
 * it to infinity.  Writing needs e in [-292, 324].
 */
#define NUM_POW10_MIN	(-342)
#define NUM_POW10_MAX	324

struct num_pow10 {
	uint64_t	hi;
	uint64_t	lo;
	int		exp2;
	int		exact;		/* the truncation dropped nothing */
};

static struct num_pow10 num_pow10_tab[NUM_POW10_MAX - NUM_POW10_MIN + 1];
static pthread_once_t num_pow10_once = PTHREAD_ONCE_INIT;
static atomic_int num_pow10_ready;

/*
 * Multiple-precision integers, just enough to build the table: 10^324 has
 * 1077 bits, and 2^1408 / 10^342 still has more than the 128 we keep.
 */
#define NUM_BIG_SCALE	1408
#define NUM_BIG_LIMBS	(NUM_BIG_SCALE / 32 + 1)

struct num_big {
	uint32_t	limb[NUM_BIG_LIMBS];	/* least significant first */
	int		n;			/* limbs in use; limb[n-1] != 0 */
};

static void
num_big_set_pow2(struct num_big *b, int k)
{
	memset(b->limb, 0, sizeof(b->limb));
	b->limb[k / 32] = UINT32_C(1) << (k % 32);
	b->n = k / 32 + 1;
}

static void
num_big_mul10(struct num_big *b)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < b->n; i++) {
		carry += (uint64_t)b->limb[i] * 10;
		b->limb[i] = (uint32_t)carry;
		carry >>= 32;
	}
	if (carry != 0)
		b->limb[b->n++] = (uint32_t)carry;
}

/* Replace b by floor(b / 10). */
static void
num_big_div10(struct num_big *b)
{
	uint64_t rem = 0;
	int i;

	for (i = b->n - 1; i >= 0; i--) {
		rem = rem << 32 | b->limb[i];
		b->limb[i] = (uint32_t)(rem / 10);
		rem %= 10;
	}
	while (b->n > 1 && b->limb[b->n - 1] == 0)
		b->n--;
}

static int
num_big_bit(const struct num_big *b, int pos)
{
	return pos >= 0 && (b->limb[pos / 32] >> (pos % 32) & 1);
}

/* Store the top 128 bits of b * 2^-scale in t. */
static void
num_big_top128(const struct num_big *b, int scale, struct num_pow10 *t)
{
	int len, pos;

	for (len = 32 * b->n; !num_big_bit(b, len - 1); len--)
		continue;
	t->hi = t->lo = 0;
	for (pos = len - 1; pos >= len - 128; pos--) {
		t->hi = t->hi << 1 | t->lo >> 63;
		t->lo = t->lo << 1 | (uint64_t)num_big_bit(b, pos);
	}
	t->exact = 1;
	for (pos = len - 129; pos >= 0; pos--)
		if (num_big_bit(b, pos))
			t->exact = 0;
	t->exp2 = len - 128 - scale;
}

static void
num_pow10_build(void)
{
	struct num_big b;
	int e;

	num_big_set_pow2(&b, 0);
	for (e = 0; e <= NUM_POW10_MAX; e++) {
		num_big_top128(&b, 0, &num_pow10_tab[e - NUM_POW10_MIN]);
		num_big_mul10(&b);
	}
	/*
	 * floor(floor(x) / 10) = floor(x / 10), so dividing 2^1408 by ten
	 * over and over yields floor(2^1408 / 10^e), whose top bits are the
	 * truncated significand of 10^-e.  No negative power of ten is a
	 * binary fraction, so none is exact.
	 */
	num_big_set_pow2(&b, NUM_BIG_SCALE);
	for (e = 1; e <= -NUM_POW10_MIN; e++) {
		num_big_div10(&b);
		num_big_top128(&b, NUM_BIG_SCALE, &num_pow10_tab[-e - NUM_POW10_MIN]);
		num_pow10_tab[-e - NUM_POW10_MIN].exact = 0;
	}
	atomic_store_explicit(&num_pow10_ready, 1, memory_order_release);
}

/* The table entry for 10^e; builds the table on first use. */
static inline const struct num_pow10 *
num_pow10_get(int e)
{
	if (!atomic_load_explicit(&num_pow10_ready, memory_order_acquire))
		pthread_once(&num_pow10_once, num_pow10_build);
	return &num_pow10_tab[e - NUM_POW10_MIN];
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* Digits kept in w: 10^19 - 1 < 2^64. */
#define NUM_W_DIGITS	19

/* Exponent digits beyond this value cannot matter; stop growing there. */
#define NUM_EXP_CAP	INT64_C(1000000000000000)

/*
 * Significant digits kept when handing a long number to strtod().  Every
 * point halfway between two doubles has fewer than 770 significant digits
 * (767 at most), so it is a multiple of the last digit kept: a number cut
 * after 800 digits, with a '1' appended for any nonzero digits cut, lies on
 * the same side of every halfway point and rounds as the full text does.
 */
#define NUM_SLOW_DIGITS	800

/*
 * What the scanner found in the len bytes at s: the number is [-] w * 10^q,
 * unless a nonzero digit was dropped from w.
 */
struct num_text {
	const char	*s;
	size_t		 len;
	uint64_t	 w;
	int64_t		 q;
	int		 neg;
	int		 dropped;
};

/* 10^0 .. 10^19, all the powers of ten in a uint64_t. */
static const uint64_t num_pow10_u64[] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)
};

/* The exact doubles 10^0 .. 10^22 (5^22 < 2^53). */
static const double num_exact_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static inline int
num_isdigit(const char *p, const char *end)
{
	return p < end && (unsigned char)(*p - '0') < 10;
}

/*
 * Up to eight digits at once.  Load the eight bytes at p (little-endian,
 * so the first digit is the lowest byte) and count the digits m they start
 * with.  Leave in *x those m digits moved to the top, under 8 - m '0'
 * bytes, so that num_value8() reads them as an 8-digit number with leading
 * zeros.  Return m, or -1 if fewer than eight bytes remain.
 */
static inline int
num_load_run(const char *p, const char *end, uint64_t *x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t zeros = UINT64_C(0x3030303030303030);
	const uint64_t high = UINT64_C(0x8080808080808080);
	uint64_t t, nondigit;
	int m;

	if (end - p < 8)
		return -1;
	memcpy(x, p, 8);
	/*
	 * t holds each byte minus '0' (xor is the same for digits); a byte
	 * is not a digit if t >= 10.  Adding 0x76 to the low 7 bits sets
	 * bit 7 exactly when they are >= 10, without a carry into the next
	 * byte; or-ing t catches bytes that had bit 7 set already.
	 */
	t = *x ^ zeros;
	nondigit = (((t & ~high) + UINT64_C(0x7676767676767676)) | t) & high;
	if (nondigit == 0)
		return 8;
	m = __builtin_ctzll(nondigit) / 8;
	if (m > 0)
		*x = *x << (8 * (8 - m)) | zeros >> (8 * m);
	return m;
#else
	(void)p;
	(void)end;
	(void)x;
	return -1;
#endif
}

/*
 * The value of the eight digits left by num_load_run(): combine
 * neighbours into 2-digit numbers in every other byte, those into 4-digit
 * numbers in every other 16-bit lane, and those into one 8-digit number.
 */
static inline uint64_t
num_value8(uint64_t x)
{
	x -= UINT64_C(0x3030303030303030);
	x = (x * 10 + (x >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
	x = (x * 100 + (x >> 16)) & UINT64_C(0x0000ffff0000ffff);
	return (x * 10000 + (x >> 32)) & UINT64_C(0xffffffff);
}

/*
 * Append the digits at *pp to w, which holds nd digits, keeping at most
 * NUM_W_DIGITS in all, and return how many were appended.  Later digits
 * only set *dropped, if nonzero.  Stop at the first byte that is not a
 * digit.
 */
static inline __attribute__((always_inline)) int
num_digits(const char **pp, const char *end, uint64_t *w, int nd,
    int *dropped)
{
	const char *p = *pp;
	uint64_t x;
	int n = 0, m;

	/* A lone digit is common (1.5e-7, 0.5): take one before loading. */
	if (nd < NUM_W_DIGITS && num_isdigit(p, end)) {
		*w = *w * 10 + (uint64_t)(*p++ - '0');
		n++;
	}
	while (num_isdigit(p, end) && nd + n + 8 <= NUM_W_DIGITS &&
	    (m = num_load_run(p, end, &x)) >= 0) {
		*w = *w * num_pow10_u64[m] + num_value8(x);
		n += m;
		p += m;
		if (m < 8) {
			*pp = p;	/* the run ended inside the eight */
			return n;
		}
	}
	while (nd + n < NUM_W_DIGITS && num_isdigit(p, end)) {
		*w = *w * 10 + (uint64_t)(*p++ - '0');
		n++;
	}
	while (num_isdigit(p, end))
		*dropped |= *p++ != '0';
	*pp = p;
	return n;
}

/*
 * Check the JSON number grammar at s and collect its value into t.  Return
 * the length of the number, or 0 if s does not start with one.
 */
static inline size_t
num_scan(const char *s, const char *end, struct num_text *t)
{
	const char *p = s, *z;
	uint64_t w = 0;
	int64_t q = 0, x;
	int nd = 0, n, dropped = 0, neg = 0, eneg;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (!num_isdigit(p, end))
		return 0;
	if (*p == '0') {
		p++;
		if (num_isdigit(p, end))
			return 0;	/* no leading zeros in JSON */
	} else {
		z = p;
		nd = num_digits(&p, end, &w, 0, &dropped);
		q = (p - z) - nd;	/* integer digits beyond w */
	}

	if (p < end && *p == '.') {
		p++;
		if (!num_isdigit(p, end))
			return 0;
		if (nd == 0) {
			/* Leading zeros only move the point. */
			for (z = p; p < end && *p == '0'; p++)
				continue;
			q -= p - z;
		}
		n = num_digits(&p, end, &w, nd, &dropped);
		nd += n;
		q -= n;
	}

	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		eneg = 0;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (!num_isdigit(p, end))
			return 0;
		x = 0;
		do {
			if (x < NUM_EXP_CAP)
				x = x * 10 + (*p - '0');
			p++;
		} while (num_isdigit(p, end));
		q += eneg ? -x : x;
	}
	t->s = s;
	t->len = (size_t)(p - s);
	t->w = w;
	t->q = q;
	t->neg = neg;
	t->dropped = dropped;
	return t->len;
}

/*
 * Clinger's fast path: w and 10^|q| are exact doubles, so one IEEE
 * operation rounds their product or quotient correctly.  That holds only
 * when double arithmetic is not carried out in a wider format.
 */
static inline int
num_clinger(uint64_t w, int64_t q, double *out)
{
#if FLT_EVAL_METHOD == 0
	double d;

	if (w > UINT64_C(1) << 53 || q < -22 || q > 22)
		return 0;
	d = (double)w;
	*out = q < 0 ? d / num_exact_pow10[-q] : d * num_exact_pow10[q];
	return 1;
#else
	(void)w;
	(void)q;
	(void)out;
	return 0;
#endif
}

/*
 * Round w * 10^q (w > 0) to the nearest normal double, or return 0 if that
 * cannot be decided here.
 *
 * The 192-bit product P = w' * T, with w' = w shifted left to fill 64 bits
 * and T the truncated 10^q, is never above the exact product, and below it
 * by less than w' < 2^64 -- that is, by less than one unit of the lowest
 * 64-bit word.  That error can reach the bits that decide rounding only
 * through a carry out of the middle word, so we give up when the middle
 * word and every bit below the rounding bit are all ones.  Otherwise the
 * rounding bits of P are those of the exact product, and when T is inexact
 * the exact product is strictly above P, so its sticky bit is set.  Exact
 * halfway cases thus only ever come with an exact T (10^0 .. 10^55).
 * Subnormal results round at another bit; they are left to strtod().
 */
static inline __attribute__((always_inline)) int
num_eisel_lemire(uint64_t w, int64_t q, double *out)
{
	const struct num_pow10 *t;
	num_u128 lo, hi, mid;
	uint64_t p0, p1, p2, mant, below, belowmask, bits;
	int lz, top, shift, half, sticky, e2;

	if (q < NUM_POW10_MIN) {
		*out = 0.0;
		return 1;
	}
	if (q > 308) {
		*out = HUGE_VAL;
		return 1;
	}
	t = num_pow10_get((int)q);
	lz = __builtin_clzll(w);
	w <<= lz;
	hi = (num_u128)w * t->hi;
	p2 = (uint64_t)(hi >> 64);
	/* P >= 2^190: 53 significand bits, then a rounding bit. */
	top = (int)(p2 >> 63);
	shift = 10 + top;
	belowmask = (UINT64_C(1) << (shift - 1)) - 1;
	/*
	 * The exact product X lies in (P, P + 2^64) when T is inexact, and
	 * P = w' * T.hi * 2^64 + w' * T.lo with w' * T.lo < 2^128: X's top
	 * word is p2 or p2 + 1, p2 taken from w' * T.hi alone.  When p2's
	 * bits below the rounding bit are not all ones, both words have p2's
	 * significand and rounding bit, and X has bits set below them (X >
	 * P >= p2 * 2^128, and p2 + 1's low bits are not all zero): the low
	 * product cannot change the result and is skipped (511 times in 512).
	 */
	if (!t->exact && (p2 & belowmask) != belowmask)
		sticky = 1;
	else {
		lo = (num_u128)w * t->lo;
		p0 = (uint64_t)lo;
		mid = (num_u128)(uint64_t)hi + (uint64_t)(lo >> 64);
		p1 = (uint64_t)mid;
		p2 += (uint64_t)(mid >> 64);
		top = (int)(p2 >> 63);
		shift = 10 + top;
		belowmask = (UINT64_C(1) << (shift - 1)) - 1;
		below = p2 & belowmask;
		if (!t->exact && below == belowmask && p1 == UINT64_MAX)
			return 0;
		sticky = !t->exact | (below != 0) | ((p1 | p0) != 0);
	}
	mant = p2 >> shift;
	half = (int)(p2 >> (shift - 1) & 1);

	e2 = t->exp2 + 190 + top - lz;
	if (e2 < -1022)
		return 0;
	/*
	 * The rounding decision is data, not a branch: half is a coin toss
	 * for digits read from text, and a mispredicted jump costs more than
	 * the rest of the rounding.
	 */
	mant += (uint64_t)(half & (sticky | (int)(mant & 1)));
	if (mant >> 53) {
		mant >>= 1;
		e2++;
	}
	if (e2 > 1023) {
		*out = HUGE_VAL;
		return 1;
	}
	bits = (uint64_t)(e2 + 1023) << 52 | (mant & ((UINT64_C(1) << 52) - 1));
	memcpy(out, &bits, sizeof(*out));
	return 1;
}

/* 5^0 .. 5^27, all the powers of five in a uint64_t. */
static const uint64_t num_pow5_u64[] = {
	UINT64_C(1), UINT64_C(5), UINT64_C(25), UINT64_C(125), UINT64_C(625),
	UINT64_C(3125), UINT64_C(15625), UINT64_C(78125), UINT64_C(390625),
	UINT64_C(1953125), UINT64_C(9765625), UINT64_C(48828125),
	UINT64_C(244140625), UINT64_C(1220703125), UINT64_C(6103515625),
	UINT64_C(30517578125), UINT64_C(152587890625),
	UINT64_C(762939453125), UINT64_C(3814697265625),
	UINT64_C(19073486328125), UINT64_C(95367431640625),
	UINT64_C(476837158203125), UINT64_C(2384185791015625),
	UINT64_C(11920928955078125), UINT64_C(59604644775390625),
	UINT64_C(298023223876953125), UINT64_C(1490116119384765625),
	UINT64_C(7450580596923828125)
};

/*
 * w * 10^q when Eisel-Lemire could not decide it, for the texts that are
 * exact binary fractions: Clinger's case, or -27 <= q < 0 with 5^-q
 * dividing w.  Then w * 10^q = (w / 5^-q) * 2^q exactly, the integer
 * converts to double correctly rounded (ties to even) and the power of
 * two scales it exactly, the result being at least 2^-27, far from the
 * subnormals.  This is the case Eisel-Lemire gives up on most: a float32
 * written in full ("7.2747955322265625", Python's repr of such a value)
 * is a double exactly, and the truncated 10^q puts the product a hair
 * below it, on the borderline.  Return 0 for anything else.
 */
static int
num_exact_value(uint64_t w, int64_t q, double *out)
{
	uint64_t m;

	if (num_clinger(w, q, out))
		return 1;
	if (q >= 0 || q < -27 || w % num_pow5_u64[-q] != 0)
		return 0;
	m = w / num_pow5_u64[-q];
	*out = ldexp((double)m, (int)q);
	return 1;
}

static char *
num_write_int(char *p, int64_t x)
{
	char tmp[24];
	int n = 0;

	if (x < 0) {
		*p++ = '-';
		x = -x;
	}
	do {
		tmp[n++] = (char)('0' + x % 10);
		x /= 10;
	} while (x != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * The slow path: rewrite the number as [-]0.DDDe<E> with its significant
 * digits (at most NUM_SLOW_DIGITS, see above) and let strtod() round it.
 * strtod() may set errno on overflow and underflow; we keep the caller's.
 */
static double
num_parse_slow(const struct num_text *t)
{
	char buf[NUM_SLOW_DIGITS + 32];
	char *b = buf;
	const char *p = t->s, *end = t->s + t->len;
	uint64_t w;
	int64_t q, point = 0, x = 0;
	size_t kept = 0;
	int seen = 0, sticky = 0, frac = 0, eneg, saved;
	double d;

	/* Trailing zeros in a long w may hide an exact Clinger case. */
	if (!t->dropped) {
		w = t->w;
		q = t->q;
		while (w % 10 == 0) {
			w /= 10;
			q++;
		}
		if (num_clinger(w, q, &d))
			return t->neg ? -d : d;
	}

	/* The text is valid: [-] digits [. digits] [e [sign] digits]. */
	if (*p == '-')
		*b++ = *p++;
	*b++ = '0';
	*b++ = '.';
	for (; p < end && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			frac = 1;
			continue;
		}
		/* point: integer digits, less leading zeros after it. */
		if (!seen && *p == '0') {
			point -= frac;
			continue;
		}
		seen = 1;
		point += !frac;
		if (kept < NUM_SLOW_DIGITS) {
			*b++ = *p;
			kept++;
		} else if (*p != '0')
			sticky = 1;
	}
	if (sticky)
		*b++ = '1';
	if (p < end) {			/* the exponent */
		eneg = *++p == '-';
		if (*p == '+' || *p == '-')
			p++;
		for (; p < end; p++)
			if (x < NUM_EXP_CAP)
				x = x * 10 + (*p - '0');
		point += eneg ? -x : x;
	}
	/* The value is now 0.DDD * 10^point, with a nonzero first D. */
	if (point > 400)
		return t->neg ? -HUGE_VAL : HUGE_VAL;
	if (point < -400)
		return t->neg ? -0.0 : 0.0;
	*b++ = 'e';
	b = num_write_int(b, point);
	*b = '\0';

	saved = errno;
	d = strtod(buf, NULL);
	errno = saved;
	return d;
}

static inline double
num_value(const struct num_text *t)
{
	double d;

	if (t->w == 0)
		return t->neg ? -0.0 : 0.0;
	if (!t->dropped && (num_clinger(t->w, t->q, &d) ||
	    num_eisel_lemire(t->w, t->q, &d) ||
	    num_exact_value(t->w, t->q, &d)))
		return t->neg ? -d : d;
	return num_parse_slow(t);
}

size_t
nsl_num_parse(const char *s, const char *end, double *out)
{
	struct num_text t;
	size_t len;

	if ((len = num_scan(s, end, &t)) == 0)
		return 0;
	*out = num_value(&t);
	return len;
}

static inline const char *
num_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

/* Make room for one more double; return -1 if realloc() fails. */
static int
num_grow(double **vals, size_t *cap)
{
	double *nv;
	size_t ncap;

	ncap = *cap < 16 ? 16 : *cap;
	if (ncap > SIZE_MAX / 2 / sizeof(**vals))
		return -1;
	ncap *= 2;
	if ((nv = realloc(*vals, ncap * sizeof(**vals))) == NULL)
		return -1;
	*vals = nv;
	*cap = ncap;
	return 0;
}

#ifdef NUM_SSE2
/*
 * The array path for the numbers embeddings are made of: [-]D.DDD...,
 * one integer digit, up to 14 fraction digits, no exponent, the number
 * and the byte after it within the 16 bytes at s.  The scalar reader
 * spends most of its time on branches that follow the digits' count
 * (which vary number to number, so they mispredict); here one 16-byte
 * digit mask finds the end, the fraction digits are read right-aligned
 * from a second load that ends at the number's end, and three
 * multiply-adds of 16-bit lanes fold them to two 8-digit halves, with
 * no branch on the digits.  w = D * 10^nf + fraction < 10^15 < 2^53 and
 * nf <= 14, so Clinger's single division is exact and correctly
 * rounded, as in num_clinger().  Needs 16 readable bytes before s (the
 * caller checks) and 16 from s.  Returns the length, or 0 to leave the
 * text to num_scan(), valid or not.
 */
static const unsigned char num_tail_mask[32] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};
static const double num_sign[2] = { 1.0, -1.0 };

#ifdef NUM_SSE2_LONG
/*
 * The value of the digits of a 16-byte window d (each byte minus '0',
 * non-digits zeroed), as two 8-digit halves in 32-bit lanes 0 (the
 * earlier digits) and 1 of the result, lanes 2 and 3 those of e.
 */
static inline __attribute__((always_inline)) __m128i
num_fold16x2(__m128i d, __m128i e)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i by10 = _mm_set1_epi32(1 << 16 | 10);
	__m128i a, b;

	a = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(d, zero), by10),
	    _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), by10));
	b = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(e, zero), by10),
	    _mm_madd_epi16(_mm_unpackhi_epi8(e, zero), by10));
	a = _mm_madd_epi16(a, _mm_set1_epi32(1 << 16 | 100));
	b = _mm_madd_epi16(b, _mm_set1_epi32(1 << 16 | 100));
	return _mm_madd_epi16(_mm_packs_epi32(a, b),
	    _mm_set1_epi32(1 << 16 | 10000));
}

/*
 * The rest of the two 32-byte paths below, once a number's parts are
 * found: [-] (pos) ni integer digits, the point, nf fraction digits
 * ending at e, an exponent ex, the number ending at len; d0 and d1 the
 * two 16-byte loads at s minus '0'.  Checks the digits' count, and
 * unless !convert reads the value into *out.  Returns len, or 0 to leave
 * the text to num_scan().
 */
static inline __attribute__((always_inline)) size_t
num_long_value(const char *s, __m128i d0, __m128i d1, unsigned pos,
    unsigned ni, unsigned nf, unsigned e, unsigned len, int64_t ex,
    double *out, int convert)
{
	const __m128i ascii0 = _mm_set1_epi8('0');
	const uint64_t zeros = UINT64_C(0x3030303030303030);
	unsigned f0 = pos + ni + 1, nf0, nf1;
	uint64_t m, x, keep, lo, hi, w, ip;
	__m128i v;
	double r;

	if (ni + nf > 19) {
		/* only a 0. with zeros after the point may be longer */
		if (ni > 1 || s[pos] != '0')
			return 0;
		/* the '0' digits; the run from f0 stops by s[e] at the latest */
		m = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d0,
		    _mm_setzero_si128())) |
		    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d1,
		    _mm_setzero_si128())) << 16;
		if (nf - (unsigned)__builtin_ctzll(~m >> f0) > 19)
			return 0;
	}
	if (!convert)
		return len;

	/* the fraction's last 16 digits and the ones before, right-aligned */
	nf0 = nf < 16 ? nf : 16;
	nf1 = nf > 16 ? nf - 16 : 0;
	d0 = _mm_and_si128(_mm_sub_epi8(_mm_loadu_si128((const __m128i *)
	    (s + e - 16)), ascii0), _mm_loadu_si128((const __m128i *)
	    (num_tail_mask + nf0)));
	/* (the 16 bytes before s + e - 16 are readable when nf > 16) */
	d1 = _mm_and_si128(_mm_sub_epi8(_mm_loadu_si128((const __m128i *)
	    (s + e - (nf1 > 0 ? 32 : 16))), ascii0),
	    _mm_loadu_si128((const __m128i *)(num_tail_mask + nf1)));
	v = num_fold16x2(d0, d1);
	/* lanes (h0, l0, h1, l1) to the 64-bit h * 10^8 + l of each */
	v = _mm_add_epi64(_mm_mul_epu32(v, _mm_set1_epi32(100000000)),
	    _mm_srli_epi64(v, 32));
	lo = (uint64_t)_mm_cvtsi128_si64(v);
	hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));

	/*
	 * The ni integer digits at the top of 8 bytes, '0's below them; a
	 * lone digit (nearly every number of an embedding) as it is, since
	 * the three multiplies would sit in the chain before Eisel-Lemire.
	 */
	if (__builtin_expect(ni == 1, 1))
		ip = (uint64_t)(s[pos] - '0');
	else {
		memcpy(&x, s + pos + ni - 8, 8);
		keep = ~UINT64_C(0) << (8 * (8 - ni));
		ip = num_value8((x & keep) | (zeros & ~keep));
	}

	/* ip > 0 has ni + nf <= 19; a 0. may have more fraction digits */
	w = ip * num_pow10_u64[nf <= 19 ? nf : 0] +
	    hi * UINT64_C(10000000000000000) + lo;
	/*
	 * Eisel-Lemire for every w, Clinger's division for none: which of
	 * the two a 16- or 17-digit number could take depends on whether w
	 * is below 2^53, a coin toss that cost more in mispredicted jumps
	 * than either method.  Both round correctly, so the value is the same.
	 */
	if (w == 0)
		r = 0.0;
	else if (!num_eisel_lemire(w, ex - (int64_t)nf, &r) &&
	    !num_exact_value(w, ex - (int64_t)nf, &r))
		return 0;
	*out = r * num_sign[pos];
	return len;
}

/*
 * The 32-byte path for a number with an exponent (see below): [-]I.F as
 * there, then e or E, an optional sign and one to three digits (Python
 * writes two, as in 5.799035474041148e-09), the byte after them in the
 * load.  Called from the array loop's way out (where num_scan() would
 * take the number), not from the path itself: most embeddings have no
 * exponent, and the loop that reads them ran 5% slower with this code
 * in it.  Needs what num_parse_sse2_long() needs; returns the length, or
 * 0 to leave the text to num_scan().
 */
static __attribute__((noinline)) size_t
num_parse_sse2_exp(const char *s, double *out, int convert)
{
	const __m128i ascii0 = _mm_set1_epi8('0');
	const __m128i nine = _mm_set1_epi8(9);
	__m128i d0, d1;
	uint64_t m;
	unsigned pos, ni, f0, nf, e, k, nx;
	int64_t x;

	d0 = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)s), ascii0);
	d1 = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(s + 16)), ascii0);
	m = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_min_epu8(d0, nine), d0)) |
	    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_min_epu8(d1, nine), d1)) << 16;
	/*
	 * The parts as num_parse_sse2_long() finds them, written out again:
	 * shared through an inline helper (results by pointer, or in a
	 * struct), they made this path 15-21% slower, measured.
	 */
	pos = s[0] == '-';
	ni = (unsigned)__builtin_ctzll(~m >> pos);
	if (ni == 0 || ni > 8 || s[pos + ni] != '.' ||
	    (ni > 1 && s[pos] == '0'))
		return 0;
	f0 = pos + ni + 1;
	nf = (unsigned)__builtin_ctzll(~m >> f0);
	e = f0 + nf;
	if (nf == 0 || e > 28 || (s[e] | 0x20) != 'e')
		return 0;
	k = e + 1 + (s[e + 1] == '-' || s[e + 1] == '+');
	nx = (unsigned)__builtin_ctzll(~m >> k);
	if (nx == 0 || nx > 3 || k + nx > 31)
		return 0;
	x = s[k] - '0';
	if (nx > 1)
		x = x * 10 + (s[k + 1] - '0');
	if (nx > 2)
		x = x * 10 + (s[k + 2] - '0');
	return num_long_value(s, d0, d1, pos, ni, nf, e, k + nx,
	    s[e + 1] == '-' ? -x : x, out, convert);
}

/*
 * The array path for the longer numbers writers print: [-]I.F with up
 * to 8 integer digits (no leading zero but a lone one), at most 19
 * significant digits in all, no exponent (num_parse_sse2_exp() takes
 * those), the number and the byte after it within the 32 bytes at s --
 * Python's json writes a float32 value so (3.8421523571014404,
 * 0.04123456723690033).  One 32-byte digit mask finds the point and the
 * end; the fraction is read right-aligned from two 16-byte loads ending
 * at its end, the integer digits from an 8-byte load ending at the
 * point, with no branch on either count.
 * w = I * 10^nf + F < 10^19 then goes to Eisel-Lemire, and what it
 * cannot round to num_exact_value(); a text neither decides (and every
 * text this path does not take) is left to num_scan().  Needs 16
 * readable bytes before s (the caller checks) and 32 from s.  When
 * !convert only the grammar is checked.
 */
static inline __attribute__((always_inline)) size_t
num_parse_sse2_long(const char *s, __m128i d0, unsigned m16, double *out,
    int convert)
{
	const __m128i ascii0 = _mm_set1_epi8('0');
	const __m128i nine = _mm_set1_epi8(9);
	__m128i d1;
	uint64_t m;
	unsigned pos, ni, f0, nf, e;

	d1 = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(s + 16)), ascii0);
	/* bit i: byte i is a digit (d <= 9 unsigned); bits 32 up: not */
	m = m16 | (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_min_epu8(d1, nine), d1)) << 16;
	pos = s[0] == '-';
	ni = (unsigned)__builtin_ctzll(~m >> pos);
	if (ni == 0 || ni > 8 || s[pos + ni] != '.' ||
	    (ni > 1 && s[pos] == '0'))
		return 0;
	f0 = pos + ni + 1;
	nf = (unsigned)__builtin_ctzll(~m >> f0);
	e = f0 + nf;
	if (nf == 0 || e >= 32 || (s[e] | 0x20) == 'e')
		return 0;	/* an exponent: num_parse_sse2_exp() */
	return num_long_value(s, d0, d1, pos, ni, nf, e, e, 0, out, convert);
}
#endif

static inline __attribute__((always_inline)) size_t
num_parse_sse2(const char *s, double *out, int convert, int room32)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i ascii0 = _mm_set1_epi8('0');
	__m128i v, d, lo, hi, t;
	unsigned m, pos, e2, nf;
	uint64_t w;

	v = _mm_loadu_si128((const __m128i *)s);
	d = _mm_sub_epi8(v, ascii0);
	/* bit i: byte i is a digit (d <= 9 unsigned) */
	m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d,
	    _mm_set1_epi8(9)), d));
	pos = s[0] == '-';
	if (((m >> pos) & 3) != 1 || s[pos + 1] != '.')
		goto other;
	e2 = pos + 2 + (unsigned)__builtin_ctz((~m | 1u << 16) >> (pos + 2));
	nf = e2 - pos - 2;
	if (nf == 0 || nf > 14 || e2 >= 16 || (s[e2] | 0x20) == 'e')
		goto other;
	/* the fraction digits, right-aligned, the rest zeroed */
	d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(s + e2 - 16)),
	    ascii0);
	d = _mm_and_si128(d, _mm_loadu_si128((const __m128i *)
	    (num_tail_mask + nf)));
	/* lanes a, b (a the earlier digit) to 10a + b, 100a + b, 10^4a + b */
	lo = _mm_madd_epi16(_mm_unpacklo_epi8(d, zero),
	    _mm_set1_epi32(1 << 16 | 10));
	hi = _mm_madd_epi16(_mm_unpackhi_epi8(d, zero),
	    _mm_set1_epi32(1 << 16 | 10));
	t = _mm_madd_epi16(_mm_packs_epi32(lo, hi),
	    _mm_set1_epi32(1 << 16 | 100));
	t = _mm_madd_epi16(_mm_packs_epi32(t, t),
	    _mm_set1_epi32(1 << 16 | 10000));
	w = (uint64_t)(uint32_t)_mm_cvtsi128_si32(t) * UINT64_C(100000000) +
	    (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(t, 4));
	w += (uint64_t)(s[pos] - '0') * num_pow10_u64[nf];
	*out = (double)(int64_t)w / num_exact_pow10[nf] * num_sign[pos];
	return e2;
other:
#ifdef NUM_SSE2_LONG
	return room32 ? num_parse_sse2_long(s, d, m, out, convert) : 0;
#else
	(void)convert;
	(void)room32;
	return 0;
#endif
}
#endif

/*
 * The array reader behind nsl_num_parse_array (convert: the values
 * stored) and nsl_num_check_array (not: the grammar checked, nothing
 * stored, the 16-byte path being the quickest check of a short number
 * and num_scan checking a long one without the rounding step, half its
 * time).  convert is a constant at each call, so each gets its own loop.
 */
static inline __attribute__((always_inline)) size_t
num_array(const char *s, const char *end, double **vals, size_t *n,
    size_t *cap, size_t *errpos, int convert)
{
	struct num_text t;
	const char *p = s;
	size_t count = convert ? *n : 0, len;
	double unused, *out;

	if (p == end || *p != '[')
		goto bad;
	p = num_skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return (size_t)(p + 1 - s);
	for (;;) {
		if (convert && count == *cap && num_grow(vals, cap) == -1) {
			*errpos = SIZE_MAX;
			return 0;
		}
		out = convert ? &(*vals)[count] : &unused;
#ifdef NUM_SSE2
		if (p - s >= 16 && end - p >= 16 &&
		    (len = num_parse_sse2(p, out, convert, end - p >= 32)) > 0) {
			count++;
			p += len;
			/* the byte after the number was within the load */
			if (*p == ',' && p + 1 < end &&
			    (unsigned char)p[1] > ' ') {
				p++;
				continue;
			}
			p = num_skip_ws(p, end);
		} else
#endif
		{
			len = 0;
#ifdef NUM_SSE2_LONG
			if (p - s >= 16 && end - p >= 32)
				len = num_parse_sse2_exp(p, out, convert);
#endif
			if (len == 0) {
				if ((len = num_scan(p, end, &t)) == 0)
					goto bad;
				if (convert)
					*out = num_value(&t);
			}
			count++;
			p = num_skip_ws(p + len, end);
		}
		if (p == end)
			goto bad;
		if (*p == ']')
			break;
		if (*p != ',')
			goto bad;
		p = num_skip_ws(p + 1, end);
	}
	if (convert)
		*n = count;
	return (size_t)(p + 1 - s);
bad:
	*errpos = (size_t)(p - s);
	return 0;
}

size_t
nsl_num_parse_array(const char *s, const char *end, double **vals,
    size_t *n, size_t *cap, size_t *errpos)
{
	return num_array(s, end, vals, n, cap, errpos, 1);
}

size_t
nsl_num_check_array(const char *s, const char *end, size_t *errpos)
{
	return num_array(s, end, NULL, NULL, NULL, errpos, 0);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static const char num_digit_pairs[200] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * floor(log10(2^q)), or floor(log10(3/4 * 2^q)) when irregular, for
 * |q| <= 1100: 1292913986 / 2^32 is log10(2) rounded down and
 * 536607788 / 2^32 is log10(4/3) rounded up; an exact check of every q in
 * range shows that neither error moves the floor.
 */
static int
num_flog10_pow2(int q, int irregular)
{
	int64_t x;

	x = (int64_t)q * 1292913986 - (irregular ? 536607788 : 0);
	if (x < 0)
		x -= (INT64_C(1) << 32) - 1;	/* division truncates */
	return (int)(x / (INT64_C(1) << 32));
}

/*
 * Round-to-odd of X = G * cp / 2^128, where G is a power of ten scaled to
 * 128 bits: floor(X) if X is an integer, else floor(X) | 1.  Compared with
 * even integers, the result orders like X itself.
 *
 * We multiply by g = ghi * 2^64 + glo = floor(G) + 1 instead, which makes
 * the product too large by at most cp / 2^128.  So an integer X leaves a
 * remainder of at most cp (in units of 2^-128), and we read a larger one as
 * "not an integer".  That is right as long as no X that is not an integer
 * comes that close to one, from above or below.  Following Giulietti, we
 * checked this with continued fractions: for each binary exponent q of a
 * double, the best rational approximations of 2 * 2^q * 10^-k bound how
 * close any cp * 2^q * 10^-k (cp even, below 2^55 + 4) can get to an
 * integer without being one.  The smallest bound, 2.0e-20 at q = 664, is
 * still 23 times the 8.5e-22 by which the product can be off; the odd
 * cp = 4c - 1 of the irregular case stays far away too.  (A test of only
 * the top 64 bits of the remainder would fail near q = 664.)  Floats were
 * checked by formatting every one of them.
 */
static inline uint64_t
num_rop(uint64_t ghi, uint64_t glo, uint64_t cp)
{
	num_u128 x, y;

	x = (num_u128)glo * cp;
	y = (num_u128)ghi * cp + (uint64_t)(x >> 64);
	return (uint64_t)(y >> 64) | ((uint64_t)y != 0 || (uint64_t)x > cp);
}

/*
 * The shortest decimal f * 10^e in the rounding interval of v = c * 2^q
 * (c > 0), the one nearest v if there are several.  v is irregular when
 * its lower neighbour is half as far as its upper one (c is a power of
 * two, and v is not the smallest normal number).
 */
static void
num_shortest(uint64_t c, int q, int irregular, uint64_t *f, int *e)
{
	const struct num_pow10 *t;
	uint64_t ghi, glo, cb, cbl, cbr, vb, vbl, vbr, s, u, sp10, tp10;
	int k, h, upin, wpin, uin, win;
	int64_t cmp;

	/*
	 * With 10^k at most the interval's width, the interval (scaled by
	 * 10^-k) is 1 to 10 units long: it holds an integer, and at most one
	 * multiple of ten.
	 */
	k = num_flog10_pow2(q, irregular);
	t = num_pow10_get(-k);
	ghi = t->hi;
	glo = t->lo + 1;	/* round up: the proof needs g above 10^-k */
	ghi += glo == 0;
	h = q + t->exp2 + 128;

	/*
	 * vb = 4 v 10^-k, and vbl, vbr the same for the interval ends, each
	 * rounded to odd.  Two fraction bits are enough to place integers
	 * and midpoints: with cb = 4c, 4 v 10^-k = cb 2^q 10^-k =
	 * cb g 2^(q + exp2) = (cb << h) g / 2^128, and 1 <= h <= 4.
	 */
	cb = c << 2;
	cbl = irregular ? cb - 1 : cb - 2;
	cbr = cb + 2;
	vb = num_rop(ghi, glo, cb << h);
	vbl = num_rop(ghi, glo, cbl << h);
	vbr = num_rop(ghi, glo, cbr << h);

	/* Round-half-even reading: the ends belong to v iff c is even. */
	if (c & 1) {
		vbl++;
		vbr--;
	}

	/* A multiple of ten in the interval is one digit shorter. */
	s = vb >> 2;
	sp10 = s / 10 * 10;
	tp10 = sp10 + 10;
	upin = vbl <= sp10 << 2;
	wpin = tp10 << 2 <= vbr;
	if (upin != wpin) {
		*f = (upin ? sp10 : tp10) / 10;
		*e = k + 1;
		return;
	}

	/* Else the nearer of s and s + 1 that lies in the interval. */
	u = s + 1;
	uin = vbl <= s << 2;
	win = u << 2 <= vbr;
	*e = k;
	if (uin != win) {
		*f = uin ? s : u;
		return;
	}
	cmp = (int64_t)(vb - ((s + u) << 1));
	*f = cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : u;
}

/*
 * Move the trailing zeros of f (> 0) into e.  The digits of a double read
 * from short text, 0.0123 say, come out of num_shortest() with a dozen.
 */
static inline void
num_trim_zeros(uint64_t *f, int *e)
{
	while (*f % 100000000 == 0) {
		*f /= 100000000;
		*e += 8;
	}
	if (*f % 10000 == 0) {
		*f /= 10000;
		*e += 4;
	}
	if (*f % 100 == 0) {
		*f /= 100;
		*e += 2;
	}
	if (*f % 10 == 0) {
		*f /= 10;
		*e += 1;
	}
}

/*
 * Decimal digits in f > 0.  With b bits, f has floor(b log10 2) or one more
 * digits; b * 1233 / 4096 is that floor for every b <= 64.
 */
static inline int
num_ndigits(uint64_t f)
{
	int t = (64 - __builtin_clzll(f)) * 1233 >> 12;

	return t + (f >= num_pow10_u64[t]);
}

/* Write x < 10^8 as exactly eight digits at p. */
static inline void
num_write8(char *p, uint32_t x)
{
	uint32_t hi = x / 10000, lo = x % 10000;

	memcpy(p, num_digit_pairs + 2 * (hi / 100), 2);
	memcpy(p + 2, num_digit_pairs + 2 * (hi % 100), 2);
	memcpy(p + 4, num_digit_pairs + 2 * (lo / 100), 2);
	memcpy(p + 6, num_digit_pairs + 2 * (lo % 100), 2);
}

/*
 * Write the digits of f, the last one just before end.  Eight digits at a
 * time split off in 64 bits, the rest in cheaper 32-bit arithmetic.
 */
static inline void
num_write_digits(char *end, uint64_t f)
{
	uint32_t g;

	while (f >= 100000000) {
		end -= 8;
		num_write8(end, (uint32_t)(f % 100000000));
		f /= 100000000;
	}
	for (g = (uint32_t)f; g >= 100; g /= 100) {
		end -= 2;
		memcpy(end, num_digit_pairs + 2 * (g % 100), 2);
	}
	if (g >= 10)
		memcpy(end - 2, num_digit_pairs + 2 * g, 2);
	else
		end[-1] = (char)('0' + g);
}

/*
 * Write f * 10^e (f > 0, no trailing zeros) as Number::toString would,
 * except that plain integers stop at 18 digits (Number::toString's 21):
 * a longer one may not fit in 64 bits, and readers that take integers
 * into an int64 (jansson) refuse it, while 1.5e+20 is a double to all.
 */
static int
num_layout(char *buf, uint64_t f, int e)
{
	char *p = buf;
	int n, k, i, x;

	n = num_ndigits(f);
	k = e + n;			/* v = 0.d1..dn * 10^k */
	if (k > -6 && k <= 18) {
		if (k >= n) {			/* 1500 */
			num_write_digits(p + n, f);
			for (i = n; i < k; i++)
				p[i] = '0';
			p += k;
		} else if (k > 0) {		/* 1.5 */
			num_write_digits(p + n + 1, f);
			for (i = 0; i < k; i++)
				p[i] = p[i + 1];
			p[k] = '.';
			p += n + 1;
		} else {			/* 0.0015 */
			*p++ = '0';
			*p++ = '.';
			for (i = k; i < 0; i++)
				*p++ = '0';
			num_write_digits(p + n, f);
			p += n;
		}
	} else {				/* 1.5e-7 */
		num_write_digits(p + n + 1, f);
		p[0] = p[1];
		if (n > 1) {
			p[1] = '.';
			p += n + 1;
		} else
			p++;
		*p++ = 'e';
		x = k - 1;
		*p++ = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		if (x >= 100) {
			*p++ = (char)('0' + x / 100);
			x %= 100;
			memcpy(p, num_digit_pairs + 2 * x, 2);
			p += 2;
		} else if (x >= 10) {
			memcpy(p, num_digit_pairs + 2 * x, 2);
			p += 2;
		} else
			*p++ = (char)('0' + x);
	}
	*p = '\0';
	return (int)(p - buf);
}

/* Format [-] c * 2^q, the fields of a finite double or float. */
static int
num_format_parts(char *buf, int neg, uint64_t c, int q, int irregular)
{
	char *p = buf;
	uint64_t f;
	int e;

	if (neg)
		*p++ = '-';
	if (c == 0) {
		*p++ = '0';
		*p = '\0';
		return (int)(p - buf);
	}
	if (q <= 0 && q > -64 && (c & ((UINT64_C(1) << -q) - 1)) == 0) {
		/*
		 * An integer below 2^53: its neighbours are at most 1 away,
		 * so no other decimal of its length or shorter reads back
		 * to it.
		 */
		f = c >> -q;
		e = 0;
	} else
		num_shortest(c, q, irregular, &f, &e);
	num_trim_zeros(&f, &e);
	return (int)(p - buf) + num_layout(p, f, e);
}

int
nsl_num_format(char *buf, double v)
{
	uint64_t bits, frac;
	int bexp;

	memcpy(&bits, &v, sizeof(bits));
	bexp = (int)(bits >> 52 & 0x7ff);
	frac = bits & ((UINT64_C(1) << 52) - 1);
	if (bexp == 0x7ff) {
		buf[0] = '\0';
		return 0;
	}
	if (bexp == 0)
		return num_format_parts(buf, (int)(bits >> 63), frac, -1074, 0);
	return num_format_parts(buf, (int)(bits >> 63),
	    frac | UINT64_C(1) << 52, bexp - 1075, frac == 0 && bexp > 1);
}

int
nsl_num_format_float(char *buf, float f)
{
	uint32_t bits, frac;
	int bexp;

	memcpy(&bits, &f, sizeof(bits));
	bexp = (int)(bits >> 23 & 0xff);
	frac = bits & ((UINT32_C(1) << 23) - 1);
	if (bexp == 0xff) {
		buf[0] = '\0';
		return 0;
	}
	if (bexp == 0)
		return num_format_parts(buf, (int)(bits >> 31), frac, -149, 0);
	return num_format_parts(buf, (int)(bits >> 31),
	    frac | UINT32_C(1) << 23, bexp - 150, frac == 0 && bexp > 1);
}

/*
 * A second formatter for float32 values in 2^-16 <= |f| < 2^23 (see
 * nsl_num_format_f32_exact), for callers that print few distinct values
 * many times over, such as dequantized codes.
 */

typedef uint32_t num_v4u __attribute__((vector_size(16)));
typedef uint16_t num_v8h __attribute__((vector_size(16)));
typedef uint8_t num_v16b __attribute__((vector_size(16)));

/*
 * The 17 digits of t < 10^17, with leading zeros, at p.  The last sixteen
 * are split into four lanes of four digits (32 bits each), those into
 * pairs (16-bit lanes), those into digits (bytes), each lane by a
 * multiply and shift exact for its range (x / 100 = x * 10486 >> 20 for
 * x < 10^4, x / 10 = x * 103 >> 10 for x < 100); the bytes of a
 * little-endian vector are then the digits in order.
 */
static inline void
num_put_digits17(char *p, uint64_t t)
{
	uint32_t hi, lo;
	num_v4u y, h;
	num_v8h z, d;
	num_v16b c;

	*p = (char)('0' + t / 10000000000000000u);
	t %= 10000000000000000u;
	hi = (uint32_t)(t / 100000000);
	lo = (uint32_t)(t % 100000000);
	y = (num_v4u){ hi / 10000, hi % 10000, lo / 10000, lo % 10000 };
	h = y * 10486 >> 20;
	z = (num_v8h)(h | (y - h * 100) << 16);
	d = z * 103 >> 10;
	c = (num_v16b)(d | (z - d * 10) << 8) + '0';
	memcpy(p + 1, &c, 16);
}

/*
 * |f| = m 2^-S (m < 2^24) is printed as the double it converts to, whose
 * rounding interval is 2^-(S+g) wide (g = 29 extra mantissa bits), or as
 * a float (g = 0).  With 10^P times that width in (1, 10) (never 1 or
 * 10: a power of two), the interval holds at least one integer of
 * f 10^P and at most one multiple of ten: that multiple, its trailing
 * zeros dropped, is the shortest decimal if there is one; otherwise it
 * is the integer nearest f 10^P (ties to even), as in nsl_num_format
 * (Schubfach's argument).
 *
 * f 10^P = s + r / 2^S exactly (A = m 10^P has at most 94 bits), and the
 * interval reaches h = 10^P / 2^(S+g+1) either side (half an ulp), h / 2
 * below when m is a power of two (the lower neighbour is nearer; then the
 * interval may hold no integer, and the caller prints).  With H the
 * integer part of h 2^S, the integers in it are s - floor((H - r) / 2^S)
 * .. s + floor((H + r) / 2^S).  The fraction of h 2^S dropped does not
 * change those floors: when there is one (10^P has fewer than g + 1
 * factors of two), no end is an integer.  When there is none, an end may
 * be one, and is included iff the mantissa is even, as the reader rounds
 * ties to even (always for a double: its mantissa m 2^29 is even).
 */
static inline __attribute__((always_inline)) int
num_format_f32(char *buf, float fv, const int as_float)
{
	uint32_t bits, m;
	int bexp, S, P, g, j, n, k;
	num_u128 A, ten;
	uint64_t a, b, s, r, mask, hu, hl, half, q, t, up;
	char *p = buf;

	memcpy(&bits, &fv, sizeof(bits));
	if ((bits & 0x7fffffffu) == 0) {	/* "0", "-0" */
		*p = '-';
		p += bits >> 31;
		p[0] = '0';
		p[1] = '\0';
		return (int)(p + 1 - buf);
	}
	bexp = (int)(bits >> 23 & 0xff);
	if (bexp < 111 || bexp > 149)	/* 2^-16 <= |f| < 2^23 */
		return -1;
	m = (bits & 0x7fffffu) | 0x800000u;
	S = 150 - bexp;
	g = as_float ? 0 : 29;
	/* ceil((S + g) log10 2), exact for these small arguments */
	P = ((S + g) * 78913 >> 18) + 1;
	ten = P <= 19 ? (num_u128)num_pow10_u64[P] :
	    (num_u128)num_pow10_u64[P - 19] * num_pow10_u64[19];
	A = (num_u128)m * ten;
	/* A >> S in 64-bit shifts (1 <= S < 64: no shift by 64) */
	s = (uint64_t)(A >> 64) << (64 - S) | (uint64_t)A >> S;
	mask = (UINT64_C(1) << S) - 1;
	r = (uint64_t)A & mask;
	hu = (uint64_t)(ten >> (g + 1));
	hl = m == 0x800000u ? (uint64_t)(ten >> (g + 2)) : hu;
	/* s - floor((hl - r) / 2^S), hl - r + 2^S > 0 */
	a = s + 1 - ((hl - r + mask + 1) >> S);
	b = s + ((hu + r) >> S);
	if (as_float && (m & 1)) {	/* the ends are excluded */
		a += ((hl - r) & mask) == 0;
		b -= ((hu + r) & mask) == 0;
	}
	if (a > b)
		return -1;
	/* the nearest integer and the multiple of ten, chosen without a
	 * branch (which would go either way at random) */
	half = UINT64_C(1) << (S - 1);
	up = (s < a) | ((s + 1 <= b) & ((r > half) | ((r == half) & (s & 1))));
	q = b / 10;
	j = 10 * q >= a;
	/* t = j ? q : s + up, with a mask: GCC makes the choice a branch */
	t = s + up;
	t += (q - t) & (0 - (uint64_t)j);
	while (t % 10 == 0) {		/* a short decimal */
		t /= 10;
		j++;
	}
	/* t 10^(j-P), t < 10^17 without trailing zeros: Number::toString's
	 * layout */
	*p = '-';
	p += bits >> 31;
	n = num_ndigits(t);
	k = j - P + n;			/* |f| = 0.d1..dn 10^k */
	if (k > 0 || 2 - k < 17 - n)	/* |f| >= 1, or a short decimal */
		return (int)(p - buf) + num_layout(p, t, j - P);
	/* "0.000ddd": the digits with their leading zeros end the run of
	 * zeros */
	memcpy(p, "00000000", 8);
	num_put_digits17(p + 2 - k - (17 - n), t);
	memcpy(p, "0.", 2);
	p += 2 - k + n;
	*p = '\0';
	return (int)(p - buf);
}

int
nsl_num_format_f32_exact(char *buf, float f, int as_float)
{
	/* two copies, each with its constants folded (GCC makes one with
	 * as_float a variable unless told to inline) */
	return as_float ? num_format_f32(buf, f, 1) : num_format_f32(buf, f, 0);
}
