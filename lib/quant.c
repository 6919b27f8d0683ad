/*
 * quant.c - low-precision number formats (see nsl/quant.h).
 *
 * Two encoders for minifloats: a general one on doubles (nearest-even or
 * stochastic, any input) that works on the integer significand
 * k = |x| / quantum, and a fast float32 one (nearest-even) that works on
 * the bits, as in F. Giesen's float-to-half conversion: normal results by
 * adding the rounding bias to the bits, subnormal ones by one float
 * addition of a magic constant whose ulp is the target quantum.  The unit
 * tests check that both agree on every float32 class.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/quant.h"
#include "nsl/rng.h"

/*
 * The vector kernels are built for AVX-512 and AVX2 as well, the best
 * chosen when the program loads (GCC on x86-64; the sanitizer build
 * checks the one plain version).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define NSL_QUANT_CLONES __attribute__((target_clones("avx512f", "avx2", \
    "default")))
#else
#define NSL_QUANT_CLONES
#endif

/*
 * Vectors of eight doubles (and their bits, codes and float32 narrowing)
 * for the kernels written with GCC/Clang vector extensions: each does
 * the same operations in the same order as its one-element tail.
 */
typedef double v8f __attribute__((vector_size(64)));
typedef uint64_t v8u __attribute__((vector_size(64)));
typedef int64_t v8s __attribute__((vector_size(64)));
typedef float v8h __attribute__((vector_size(32)));
typedef uint8_t v8b __attribute__((vector_size(8)));

/* bitsandbytes' NF4 table (functional.py, get_4bit_type("nf4")). */
const float nsl_quant_nf4_levels[16] = {
	-1.0f, -0.6961928009986877f, -0.5250730514526367f,
	-0.39491748809814453f, -0.28444138169288635f, -0.18477343022823334f,
	-0.09105003625154495f, 0.0f, 0.07958029955625534f,
	0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
	0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f
};

/* Does the all-ones magnitude code stand for NaN (E4M3, E8M0)? */
static int
nan_last(enum nsl_quant_special sp)
{
	return sp == NSL_QS_FN || sp == NSL_QS_FNU;
}

/* The value of minifloat code c of f (NaN codes NaN, infinities +-inf). */
static double
fp_code_value(const struct nsl_quant_format *f, unsigned c)
{
	unsigned top = (1u << f->ebits) - 1, mtop = (1u << f->mbits) - 1;
	unsigned mag = f->ebits + f->mbits, e, m;
	enum nsl_quant_special sp = f->special;
	double v;

	e = (c >> f->mbits) & top;
	m = c & mtop;
	if (e == 0 && sp != NSL_QS_FNU)
		v = ldexp(m, f->emin - f->mbits);
	else
		v = ldexp((1u << f->mbits) + m, (int)e - f->bias - f->mbits);
	if (sp == NSL_QS_IEEE && e == top)
		v = m == 0 ? INFINITY : NAN;
	if (nan_last(sp) && e == top && m == mtop)
		v = NAN;
	if (sp == NSL_QS_FNUZ && c == 1u << mag)	/* "-0" */
		v = NAN;
	return !f->usign && (c >> mag) & 1 ? -v : v;
}

static void
fp_setup(struct nsl_quant_format *f, int ebits, int mbits,
    enum nsl_quant_special sp, int bias, int usign)
{
	unsigned c, ncodes, top = (1u << ebits) - 1;

	f->kind = NSL_QK_FLOAT;
	f->ebits = ebits;
	f->mbits = mbits;
	f->usign = usign || sp == NSL_QS_FNU;
	f->bits = !f->usign + ebits + mbits;
	f->bias = bias ? bias : (1 << (ebits - 1)) - 1;
	f->special = sp;
	/* E8M0 has no subnormals: its exponent field 0 is 2^-bias */
	f->emin = (sp == NSL_QS_FNU ? 0 : 1) - f->bias;
	f->emax = (int)(sp == NSL_QS_IEEE || (nan_last(sp) && mbits == 0) ?
	    top - 1 : top) - f->bias;
	f->max = ldexp(nan_last(sp) && mbits > 0 ? 2.0 - ldexp(2.0, -mbits) :
	    2.0 - ldexp(1.0, -mbits), f->emax);
	f->emax_elem = f->emax;
	/* a 16-bit format's 65536 values are computed when asked for
	 * (nsl_quant_decode), not kept in the table */
	ncodes = f->bits <= 8 ? 1u << f->bits : 0;
	for (c = 0; c < ncodes; c++)
		f->value[c] = fp_code_value(f, c);
}

static void
int_setup(struct nsl_quant_format *f, int bits, int usign)
{
	int c;

	f->kind = NSL_QK_INT;
	f->bits = bits;
	f->usign = usign;
	f->qmax = usign ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
	f->max = f->qmax;
	for (c = 0; c < (1 << bits); c++)
		f->value[c] = usign || c < (1 << (bits - 1)) ? c :
		    c - (1 << bits);
}

/* "eXmY", "eXmY-fn", "eXmY-ieee": any minifloat of 3..8 bits. */
static int
match_exmy(const char *s, struct nsl_quant_format *f)
{
	enum nsl_quant_special sp;
	int e, m, n = 0;

	if (sscanf(s, "e%1dm%1d%n", &e, &m, &n) != 2 || n != 4)
		return -1;
	if (strcmp(s + n, "") == 0)
		sp = NSL_QS_FINITE;
	else if (strcmp(s + n, "-fn") == 0)
		sp = NSL_QS_FN;
	else if (strcmp(s + n, "-ieee") == 0)
		sp = NSL_QS_IEEE;
	else
		return -1;
	if (e < 1 || m < 0 || 1 + e + m < 3 || 1 + e + m > 8)
		return -1;
	if (sp == NSL_QS_FN && m < 1)
		return -1;
	if (sp == NSL_QS_IEEE && (e < 2 || m < 1))
		return -1;
	fp_setup(f, e, m, sp, 0, 0);
	return 0;
}

/*
 * The catalogue rows.  A minifloat is its exponent and mantissa widths
 * and its special codes; MX adds the E8M0 block scale; integers are a
 * width (and, as MX elements, a fixed power-of-two step); a level table
 * is its levels.
 */
#define MINIFLOAT(n, e, m, sp) { .name = (n), .kind = NSL_QK_FLOAT, \
	.ebits = (e), .mbits = (m), .special = (sp) }
#define MINIFLOAT_BIAS(n, e, m, sp, b) { .name = (n), \
	.kind = NSL_QK_FLOAT, .ebits = (e), .mbits = (m), .special = (sp), \
	.bias = (b) }
#define MX_MINIFLOAT(n, e, m, sp) { .name = (n), .kind = NSL_QK_FLOAT, \
	.ebits = (e), .mbits = (m), .special = (sp), .mx = 1, \
	.block = NSL_QUANT_MX_BLOCK }
#define NV_MINIFLOAT(n, e, m, sp, blk, sf) { .name = (n), \
	.kind = NSL_QK_FLOAT, .ebits = (e), .mbits = (m), .special = (sp), \
	.mx = 1, .block = (blk), .scale_fmt = (sf) }
#define MX_INTEGER(n, b, x) { .name = (n), .kind = NSL_QK_INT, \
	.bits = (b), .elem_exp = (x), .mx = 1, .block = NSL_QUANT_MX_BLOCK }
#define INTEGER(n, b) { .name = (n), .kind = NSL_QK_INT, .bits = (b) }
#define UINTEGER(n, b) { .name = (n), .kind = NSL_QK_INT, .bits = (b), \
	.usign = 1 }
#define LEVELS(n, b, lv, blk) { .name = (n), .kind = NSL_QK_NF4, \
	.bits = (b), .levels = (lv), .block = (blk) }
#define FAMILY(n, text, fn) { .name = (n), .family = (text), .match = (fn) }

const struct nsl_quant_def nsl_quant_formats[] = {
	/* OCP 8-bit Floating Point (OFP8) */
	MINIFLOAT("fp8-e4m3", 4, 3, NSL_QS_FN),
	MINIFLOAT("fp8-e5m2", 5, 2, NSL_QS_IEEE),
	/* OCP MX v1.0 element types, used on their own */
	MINIFLOAT("fp6-e2m3", 2, 3, NSL_QS_FINITE),
	MINIFLOAT("fp6-e3m2", 3, 2, NSL_QS_FINITE),
	MINIFLOAT("fp4-e2m1", 2, 1, NSL_QS_FINITE),
	/* the other 8-bit types of ml_dtypes: Graphcore/AMD's FNUZ (bias
	 * one more than IEEE's; b11: bias 11), IEEE-style E3M4 and the
	 * unsigned E8M0 of OCP MX scales */
	MINIFLOAT_BIAS("fp8-e4m3fnuz", 4, 3, NSL_QS_FNUZ, 8),
	MINIFLOAT_BIAS("fp8-e5m2fnuz", 5, 2, NSL_QS_FNUZ, 16),
	MINIFLOAT_BIAS("fp8-e4m3b11fnuz", 4, 3, NSL_QS_FNUZ, 11),
	MINIFLOAT("fp8-e3m4", 3, 4, NSL_QS_IEEE),
	MINIFLOAT_BIAS("fp8-e8m0fnu", 8, 0, NSL_QS_FNU, 127),
	/* the 16-bit floats: IEEE 754 binary16 (numpy's float16) and
	 * bfloat16 (the top half of a float32), both IEEE conventions;
	 * their codes take two bytes */
	MINIFLOAT("float16", 5, 10, NSL_QS_IEEE),
	MINIFLOAT("bfloat16", 8, 7, NSL_QS_IEEE),
	/* OCP MX v1.0 block formats */
	MX_MINIFLOAT("mxfp8-e4m3", 4, 3, NSL_QS_FN),
	MX_MINIFLOAT("mxfp8-e5m2", 5, 2, NSL_QS_IEEE),
	MX_MINIFLOAT("mxfp6-e2m3", 2, 3, NSL_QS_FINITE),
	MX_MINIFLOAT("mxfp6-e3m2", 3, 2, NSL_QS_FINITE),
	MX_MINIFLOAT("mxfp4", 2, 1, NSL_QS_FINITE),
	MX_INTEGER("mxint8", 8, -6),
	/* NVIDIA's NVFP4: E2M1 in blocks of 16, a UE4M3 block scale and a
	 * float32 one per tensor */
	NV_MINIFLOAT("nvfp4", 2, 1, NSL_QS_FINITE, 16, NSL_QSF_UE4M3),
	/* QLoRA's NormalFloat */
	LEVELS("nf4", 4, nsl_quant_nf4_levels, 64),
	INTEGER("int8", 8),
	INTEGER("int4", 4),
	INTEGER("int3", 3),
	INTEGER("int2", 2),
	UINTEGER("uint4", 4),
	UINTEGER("uint2", 2),
	FAMILY("eXmY", "1+X+Y = 3..8 bits  bias 2^(X-1)-1, no inf/NaN (-fn: "
	    "NaN S.1..1.1..1; -ieee: inf and NaN)", match_exmy),
	{ .name = NULL }
};

const char *const nsl_quant_gran_names[] = { "none", "tensor", "row",
	"block", "column", NULL };
const char *const nsl_quant_scale_mode_names[] = { "floor", "ceil",
	"rceil", NULL };
const char *const nsl_quant_rounding_names[] = { "nearest-even",
	"stochastic", NULL };
const char *const nsl_quant_scale_fmt_names[] = { "auto", "e8m0", "ue4m3",
	"ue5m3", NULL };

void
nsl_quant_format_names_text(char *buf, size_t n)
{
	const struct nsl_quant_def *d;
	size_t len = 0;

	buf[0] = '\0';
	for (d = nsl_quant_formats; d->name != NULL && len < n; d++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s",
		    d == nsl_quant_formats ? "" : ", ", d->name,
		    d->match != NULL ? "[-fn|-ieee]" : "");
}

/* Fill f from a named row (f is zeroed, its name set). */
static void
def_setup(struct nsl_quant_format *f, const struct nsl_quant_def *d)
{
	int c;

	switch (d->kind) {
	case NSL_QK_FLOAT:
		fp_setup(f, d->ebits, d->mbits, d->special, d->bias,
		    d->usign);
		break;
	case NSL_QK_INT:
		int_setup(f, d->bits, d->usign);
		if (d->elem_exp != 0) {
			for (c = 0; c < (1 << d->bits); c++)
				f->value[c] = ldexp(f->value[c], d->elem_exp);
			f->max = ldexp(f->qmax, d->elem_exp);
		}
		if (d->mx)	/* the element's largest power of two */
			f->emax_elem = ilogb(f->max);
		break;
	case NSL_QK_NF4:
		f->kind = NSL_QK_NF4;
		f->bits = d->bits;
		f->max = 1;
		for (c = 0; c < (1 << d->bits); c++)
			f->value[c] = d->levels[c];
		break;
	}
	f->mx = d->mx;
	f->scale_fmt = d->scale_fmt != NSL_QSF_AUTO ? d->scale_fmt : d->mx ?
	    NSL_QSF_E8M0 : NSL_QSF_AUTO;
	f->block = d->block;
}

int
nsl_quant_format_parse(struct nsl_quant_format *f, const char *name,
    struct nsl_err *err)
{
	const struct nsl_quant_def *d;

	memset(f, 0, sizeof(*f));
	if (strlen(name) >= sizeof(f->name))
		goto unknown;
	strcpy(f->name, name);
	for (d = nsl_quant_formats; d->name != NULL; d++) {
		if (d->match != NULL) {
			if (d->match(name, f) == 0)
				return 0;
			continue;
		}
		if (strcmp(name, d->name) == 0) {
			def_setup(f, d);
			return 0;
		}
	}
unknown:
	return nsl_err_set(err, NSL_EX_USAGE, "unknown format '%.64s' (see "
	    "--list-formats)", name);
}

void
nsl_quant_format_describe(const struct nsl_quant_format *f, char *buf,
    size_t n)
{
	static const char *const sp[] = { "no inf/NaN",
	    ("NaN S.1..1.1..1, no inf"), "inf and NaN",
	    "NaN 1.0..0.0..0, no inf, no -0", "unsigned, NaN 1..1, no zero" };
	size_t len;

	switch (f->kind) {
	case NSL_QK_FLOAT:
		if (f->special == NSL_QS_FNU)	/* E8M0: every code normal */
			snprintf(buf, n, "%-11s %d bits  e%dm%d bias %d  max "
			    "%.17g  min normal 2^%d  no subnormals  %s",
			    f->name, f->bits, f->ebits, f->mbits, f->bias,
			    f->max, f->emin, sp[f->special]);
		else
			snprintf(buf, n, "%-11s %d bits  e%dm%d bias %d  max "
			    "%.17g  min normal 2^%d  min subnormal 2^%d  %s",
			    f->name, f->bits, f->ebits, f->mbits, f->bias,
			    f->max, f->emin, f->emin - f->mbits,
			    sp[f->special]);
		break;
	case NSL_QK_INT:
		if (f->mx)
			snprintf(buf, n, "%-11s %d bits  two's complement "
			    "k/%g, k in -%d..%d  max %.17g", f->name, f->bits,
			    f->qmax / f->max, f->qmax, f->qmax, f->max);
		else if (f->usign)
			snprintf(buf, n, "%-11s %d bits  integers 0..%d "
			    "(scale max/%d, negatives clamp to 0)", f->name,
			    f->bits, f->qmax, f->qmax);
		else
			snprintf(buf, n, "%-11s %d bits  integers -%d..%d "
			    "(scale absmax/%d), or 0..%d with a zero point "
			    "(--asymmetric)", f->name, f->bits, f->qmax,
			    f->qmax, f->qmax, (1 << f->bits) - 1);
		break;
	case NSL_QK_NF4:
		snprintf(buf, n, "%-11s %d bits  %d NormalFloat levels in "
		    "[-1, 1] (QLoRA), absmax scale per block of %zu", f->name,
		    f->bits, 1 << f->bits, f->block);
		break;
	}
	len = strlen(buf);
	if (f->mx && f->scale_fmt != NSL_QSF_E8M0 && len < n)
		snprintf(buf + len, n - len, "  %s scale per block of %zu "
		    "times a float32 scale per tensor",
		    nsl_quant_scale_fmt_names[f->scale_fmt], f->block);
	else if (f->mx && len < n)
		snprintf(buf + len, n - len, "  MX: E8M0 scale per block of "
		    "%zu, emax_elem %d", f->block, f->emax_elem);
}

void
nsl_quant_format_list(struct nsl_buf *b)
{
	const struct nsl_quant_def *d;
	struct nsl_quant_format f;
	struct nsl_err err;
	char line[512] = "";

	for (d = nsl_quant_formats; d->name != NULL; d++) {
		if (d->family != NULL)
			snprintf(line, sizeof(line), "%-11s %s", d->name,
			    d->family);
		else if (nsl_quant_format_parse(&f, d->name, &err) == 0)
			nsl_quant_format_describe(&f, line, sizeof(line));
		nsl_buf_addf(b, "%s\n", line);
	}
}

double
nsl_quant_decode(const struct nsl_quant_format *f, unsigned c)
{
	c &= (1u << f->bits) - 1;
	return f->bits <= 8 ? f->value[c] : fp_code_value(f, c);
}

size_t
nsl_quant_code_size(const struct nsl_quant_format *f)
{
	return f->bits > 8 ? 2 : 1;
}

/* Two-byte codes are little-endian, as safetensors' F16 and BF16. */
unsigned
nsl_quant_code_get(const struct nsl_quant_format *f, const uint8_t *codes,
    size_t i)
{
	if (f->bits <= 8)
		return codes[i];
	return (unsigned)codes[2 * i] | (unsigned)codes[2 * i + 1] << 8;
}

void
nsl_quant_code_put(const struct nsl_quant_format *f, uint8_t *codes,
    size_t i, unsigned c)
{
	if (f->bits <= 8) {
		codes[i] = (uint8_t)c;
		return;
	}
	codes[2 * i] = (uint8_t)(c & 0xff);
	codes[2 * i + 1] = (uint8_t)(c >> 8);
}

/*
 * The value of code c of any minifloat: the table up to 8 bits; for the
 * 16-bit ones (ebits <= 8, mbits <= 23: every value is a float32) the
 * normal numbers are float32 bits put together, the rest (zero,
 * subnormals, the all-ones exponent) the definition's arithmetic.
 */
static inline double
code_value(const struct nsl_quant_format *f, unsigned c)
{
	unsigned mag = f->ebits + f->mbits, e;
	uint32_t b;
	float v;

	if (f->bits <= 8)
		return f->value[c];
	e = (c >> f->mbits) & ((1u << f->ebits) - 1);
	if (f->usign || e == 0 || e == (1u << f->ebits) - 1)
		return fp_code_value(f, c);
	b = (uint32_t)((c >> mag) & 1) << 31 |
	    (uint32_t)((int)e - f->bias + 127) << 23 |
	    (c & ((1u << f->mbits) - 1)) << (23 - f->mbits);
	memcpy(&v, &b, sizeof(v));
	return v;
}

/* Code of the largest finite magnitude, of +inf and of NaN. */
static unsigned
max_code(const struct nsl_quant_format *f)
{
	unsigned top = (1u << (f->ebits + f->mbits)) - 1;

	switch (f->special) {
	case NSL_QS_FN:
	case NSL_QS_FNU:
		return top - 1;
	case NSL_QS_IEEE:
		return top - (1u << f->mbits);
	default:
		return top;
	}
}

static unsigned
nan_code(const struct nsl_quant_format *f)
{
	unsigned top = (1u << (f->ebits + f->mbits)) - 1;

	if (nan_last(f->special))
		return top;
	if (f->special == NSL_QS_FNUZ)	/* the code of -0 */
		return top + 1;
	/* IEEE: quiet NaN, exponent all ones and the top mantissa bit */
	return top - (1u << f->mbits) + 1 + (1u << (f->mbits - 1));
}

static unsigned
overflow(const struct nsl_quant_format *f, unsigned sign, unsigned opts,
    unsigned *flags)
{
	if ((opts & NSL_QO_SATURATE) || f->special == NSL_QS_FINITE) {
		*flags |= NSL_QF_SATURATED;
		return sign | max_code(f);
	}
	if (f->special == NSL_QS_IEEE) {
		*flags |= NSL_QF_INF;
		return sign | (max_code(f) + 1);
	}
	*flags |= NSL_QF_NAN;
	return sign | nan_code(f);
}

unsigned
nsl_quant_fp_encode(const struct nsl_quant_format *f, double x, double u,
    unsigned opts, unsigned *flags)
{
	unsigned sign = !f->usign && signbit(x) ? 1u << (f->ebits + f->mbits) :
	    0;
	int m = f->mbits, e, mantmax;
	double a = fabs(x), k, r, one = ldexp(1.0, m);

	if (isnan(a)) {
		if (f->special == NSL_QS_FINITE) {
			*flags |= NSL_QF_UNREP;
			return 0;
		}
		*flags |= NSL_QF_NAN;
		return f->usign || f->special == NSL_QS_FNUZ ? nan_code(f) :
		    sign | nan_code(f);
	}
	/* no zero (E8M0) or no negatives (unsigned): the value is out of
	 * range below, NaN unless saturating to the least code */
	if (f->usign && (x < 0 || (a == 0 && f->special == NSL_QS_FNU))) {
		if (opts & NSL_QO_SATURATE) {
			*flags |= x < 0 ? NSL_QF_SATURATED : 0;
			return 0;
		}
		*flags |= NSL_QF_NAN;
		return nan_code(f);
	}
	if (a == 0)	/* (no -0 in FNUZ: zeros are +0) */
		return f->special == NSL_QS_FNUZ ? 0 : sign;
	if (isinf(a))
		return overflow(f, sign, opts, flags);
	e = ilogb(a);
	if (e > f->emax)
		return overflow(f, sign, opts, flags);
	if (e < f->emin) {
		if (f->special == NSL_QS_FNU)	/* the least, 2^emin, is the
						 * nearest value */
			return 0;
		e = f->emin;
	}
	k = ldexp(a, m - e);	/* exact: a power-of-two scaling */
	if (u < 0) {
		r = nearbyint(k);
		/* with no mantissa bits a tie between 2^e and 2^(e+1) (k =
		 * 1.5) goes to the even code, as the bit kernel does */
		if (m == 0 && k == 1.5)
			r = (e + f->bias) % 2 == 0 ? 1 : 2;
	} else {
		r = floor(k);
		if (u < k - r)
			r += 1;
	}
	if (r == 0) {
		*flags |= NSL_QF_FLUSHED;
		return f->special == NSL_QS_FNUZ ? 0 : sign;
	}
	if (r >= 2 * one) {
		r = one;
		e++;
	}
	mantmax = (1 << m) - 1 - (nan_last(f->special) && m > 0 &&
	    e == f->emax);
	if (e > f->emax || (e == f->emax && r - one > mantmax))
		return overflow(f, sign, opts, flags);
	if (r < one)	/* subnormal */
		return sign | (unsigned)r;
	return sign | (unsigned)(e + f->bias) << m | (unsigned)(r - one);
}

/*
 * The bit kernels below know signed minifloats with a zero and
 * subnormals; the unsigned ones (E8M0) take the general encoder.
 */
static int
kernel_ok(const struct nsl_quant_format *f)
{
	return !f->usign;
}

static uint32_t
f32_bits(float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

/* v rounded to float32 (nearest-even; beyond the range: +-inf), without
 * the undefined behaviour of an out-of-range conversion. */
static double
round_f32(double v)
{
	/* FLT_MAX + half its ulp: the first value that rounds to inf */
	if (fabs(v) >= 0x1.ffffffp127)
		return copysign(INFINITY, v);
	return (double)(float)v;
}

/* round_f32 of eight values: the narrowing gives the same IEEE result */
static inline __attribute__((always_inline)) void
round_f32_8(v8f *v)
{
	const uint64_t sign = UINT64_C(1) << 63;
	v8f a = (v8f)((v8u)*v & ~sign);
	v8u big = (v8u)(a >= 0x1.ffffffp127);	/* false for NaN */
	v8f r = __builtin_convertvector(__builtin_convertvector(*v, v8h), v8f);
	v8u inf = ((v8u)*v & sign) | UINT64_C(0x7ff0000000000000);

	*v = (v8f)((big & inf) | (~big & (v8u)r));
}

/* Float32 bits at and above which |x| overflows (nearest-even). */
static uint32_t
f32_overflow_bits(const struct nsl_quant_format *f)
{
	uint32_t thr = f32_bits((float)(f->max + ldexp(1.0, f->emax -
	    f->mbits - 1)));

	return max_code(f) & 1 ? thr : thr + 1;
}

/*
 * The plain cast of x[0..n) through the float32 kernel (nearest-even,
 * inputs rounded to float32): codes, values and the per-element counts.
 */
static unsigned
cast_f32(const struct nsl_quant *q, const double *x, size_t n, double *out,
    uint8_t *codes, struct nsl_quant_stats *st)
{
	const struct nsl_quant_format *f = &q->fmt;
	const uint32_t thr2 = f32_overflow_bits(f);
	const unsigned mag = (1u << (f->ebits + f->mbits)) - 1;
	const size_t cs = nsl_quant_code_size(f);
	float buf[256];
	uint8_t cbuf[2 * 256], *c;
	unsigned all = 0;
	size_t i, j, m;
	uint32_t a;

	for (i = 0; i < n; i += m) {
		m = n - i < 256 ? n - i : 256;
		c = codes != NULL ? codes + i * cs : cbuf;
		for (j = 0; j < m; j++)
			buf[j] = (float)round_f32(x[i + j]);
		all |= nsl_quant_fp_encode_f32(f, buf, m, c, q->opts);
		for (j = 0; j < m; j++) {
			unsigned cj = nsl_quant_code_get(f, c, j);

			out[i + j] = code_value(f, cj);
			if (st == NULL)
				continue;
			a = f32_bits(buf[j]) & 0x7fffffffu;
			st->saturated += a >= thr2 && a <= 0x7f800000u &&
			    isfinite(out[i + j]);
			/* (FNUZ's NaN code has a zero magnitude) */
			st->flushed += (cj & mag) == 0 && a != 0 &&
			    out[i + j] == out[i + j];
		}
	}
	return all;
}

/*
 * Sixteen lanes of the float32 encoder below, with GCC/Clang vector
 * extensions: the auto-vectoriser, mixing 32-bit lanes with byte stores,
 * spilled most of its registers.  Comparisons give all-ones lanes, so
 * the selects are masks.
 */
typedef uint32_t v16u __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));
typedef uint8_t v16b __attribute__((vector_size(16)));
typedef uint16_t v16w __attribute__((vector_size(32)));

struct f32_encoder {
	uint32_t shift, signshift, minnorm, magicbits, rebias, ovf, nan;
	uint32_t thr2, smask, nan_sign_mask, zero_sign_mask;
	float magic;
};

static inline __attribute__((always_inline)) void
encode16(const struct f32_encoder *k, const float *x, uint8_t *codes,
    v16u *any_ovf, v16u *any_nan, v16u *any_flush, int wide)
{
	v16u b, a, sub, nor, c, sign, isov, isnan_, issub;
	v16f fa;

	memcpy(&b, x, sizeof(b));
	a = b & 0x7fffffffu;
	fa = (v16f)a + k->magic;
	sub = (v16u)fa - k->magicbits;
	nor = (a + k->rebias + ((a >> k->shift) & 1)) >> k->shift;
	issub = (v16u)(a < k->minnorm);
	isnan_ = (v16u)(a > 0x7f800000u);
	isov = (v16u)(a >= k->thr2) & ~isnan_;
	c = (issub & sub) | (~issub & nor);
	c = (isov & k->ovf) | (~isov & c);
	c = (isnan_ & k->nan) | (~isnan_ & c);
	sign = (b >> k->signshift) & k->smask & ~(isnan_ & k->nan_sign_mask) &
	    ~((v16u)(c == 0) & k->zero_sign_mask);
	*any_ovf |= isov;
	*any_nan |= isnan_;
	*any_flush |= issub & (v16u)(c == 0) & (v16u)(a != 0);
	if (wide) {	/* two-byte codes: little-endian hosts only */
		v16w out = __builtin_convertvector(sign | c, v16w);

		memcpy(codes, &out, sizeof(out));
	} else {
		v16b out = __builtin_convertvector(sign | c, v16b);

		memcpy(codes, &out, sizeof(out));
	}
}

/*
 * Cloned for wider vectors where the CPU has them: the float operation
 * (adding the magic number) is exact, the rest is integer, so every clone
 * gives the same codes.
 */
NSL_QUANT_CLONES
unsigned
nsl_quant_fp_encode_f32(const struct nsl_quant_format *f, const float *x,
    size_t n, uint8_t *codes, unsigned opts)
{
	const int m = f->mbits;
	unsigned ovflag = 0;
	const uint32_t nanflag = f->special == NSL_QS_FINITE ? NSL_QF_UNREP :
	    NSL_QF_NAN;
	struct f32_encoder k;
	v16u vov = { 0 }, vnan = { 0 }, vflush = { 0 };
	uint32_t any_ovf = 0, any_nan = 0, any_flush = 0;
	size_t i;
	int l;

	if (!kernel_ok(f)) {
		for (i = 0; i < n; i++)
			nsl_quant_code_put(f, codes, i, nsl_quant_fp_encode(f,
			    x[i], -1, opts, &ovflag));
		return ovflag;
	}

	k.shift = (uint32_t)(23 - m);
	k.signshift = 31 - (uint32_t)(f->ebits + m);
	k.minnorm = (uint32_t)(f->emin + 127) << 23;
	k.magic = ldexpf(1.0f, f->emin - m + 23);
	k.magicbits = f32_bits(k.magic);
	k.rebias = ((uint32_t)(f->bias - 127) << 23) + (1u << (k.shift - 1)) -
	    1;
	k.ovf = overflow(f, 0, opts, &ovflag);
	k.nan = f->special == NSL_QS_FINITE ? 0 : nan_code(f);
	/* |x| at or above thr2 overflows */
	k.thr2 = f32_overflow_bits(f);
	k.smask = 1u << (f->ebits + m);
	/* a format with no NaN encodes NaN as +0 */
	k.nan_sign_mask = nanflag == NSL_QF_UNREP ? ~0u : 0;
	/* one with no -0 rounds to +0 */
	k.zero_sign_mask = f->special == NSL_QS_FNUZ ? ~0u : 0;

	if (f->bits <= 8)
		for (i = 0; i + 16 <= n; i += 16)
			encode16(&k, x + i, codes + i, &vov, &vnan, &vflush, 0);
	else if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		for (i = 0; i + 16 <= n; i += 16)
			encode16(&k, x + i, codes + 2 * i, &vov, &vnan, &vflush,
			    1);
	else
		i = 0;
	for (l = 0; l < 16; l++) {
		any_ovf |= vov[l];
		any_nan |= vnan[l];
		any_flush |= vflush[l];
	}
	/* the same steps, one element at a time, for the last few */
	for (; i < n; i++) {
		uint32_t b, a, sub, nor, c, sign, isov, isnan_, issub;
		float fa;

		memcpy(&b, &x[i], sizeof(b));
		a = b & 0x7fffffffu;
		memcpy(&fa, &a, sizeof(fa));
		fa += k.magic;
		memcpy(&sub, &fa, sizeof(sub));
		sub -= k.magicbits;
		nor = (a + k.rebias + ((a >> k.shift) & 1)) >> k.shift;
		issub = a < k.minnorm;
		isnan_ = a > 0x7f800000u;
		isov = (a >= k.thr2) & !isnan_;
		c = issub ? sub : nor;
		c = isov ? k.ovf : c;
		c = isnan_ ? k.nan : c;
		sign = (b >> k.signshift) & k.smask;
		sign = isnan_ ? sign & ~k.nan_sign_mask : sign;
		sign = c == 0 ? sign & ~k.zero_sign_mask : sign;
		any_ovf |= isov;
		any_nan |= isnan_;
		any_flush |= issub & (c == 0) & (a != 0);
		nsl_quant_code_put(f, codes, i, sign | c);
	}
	return (any_ovf ? ovflag : 0) | (any_nan ? nanflag : 0) |
	    (any_flush ? NSL_QF_FLUSHED : 0);
}

static uint64_t
f64_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

/* Eight lanes of fp_encode_f64 below, as encode16 for float32. */

struct f64_encoder {
	uint64_t shift, signshift, minnorm, magicbits, rebias, ovf, nan;
	uint64_t thr2, smask, nan_sign_mask, zero_sign_mask;
	double magic;
};

static inline __attribute__((always_inline)) void
encode8(const struct f64_encoder *k, const double *x, uint8_t *codes,
    v8u *any_ovf, v8u *any_nan, v8u *any_flush)
{
	const uint64_t inf = UINT64_C(0x7ff0000000000000);
	v8u b, a, sub, nor, c, sign, isov, isnan_, issub;
	v8f fa;
	v8b out;

	memcpy(&b, x, sizeof(b));
	a = b & ~(UINT64_C(1) << 63);
	fa = (v8f)a + k->magic;
	sub = (v8u)fa - k->magicbits;
	nor = (a + k->rebias + ((a >> k->shift) & 1)) >> k->shift;
	issub = (v8u)(a < k->minnorm);
	isnan_ = (v8u)(a > inf);
	isov = (v8u)(a >= k->thr2) & ~isnan_;
	c = (issub & sub) | (~issub & nor);
	c = (isov & k->ovf) | (~isov & c);
	c = (isnan_ & k->nan) | (~isnan_ & c);
	sign = (b >> k->signshift) & k->smask & ~(isnan_ & k->nan_sign_mask) &
	    ~((v8u)(c == 0) & k->zero_sign_mask);
	*any_ovf |= isov;
	*any_nan |= isnan_;
	*any_flush |= issub & (v8u)(c == 0) & (v8u)(a != 0);
	out = __builtin_convertvector(sign | c, v8b);
	memcpy(codes, &out, sizeof(out));
}

/*
 * The float32 kernel's method on doubles: n doubles to minifloat codes
 * with nearest-even, the same codes and flags as nsl_quant_fp_encode
 * (u < 0) on each.  Cloned as nsl_quant_fp_encode_f32, with the same
 * guarantee.
 */
NSL_QUANT_CLONES
static unsigned
fp_encode_f64(const struct nsl_quant_format *f, const double *x, size_t n,
    uint8_t *codes, unsigned opts)
{
	const int m = f->mbits;
	unsigned ovflag = 0;
	const unsigned nanflag = f->special == NSL_QS_FINITE ? NSL_QF_UNREP :
	    NSL_QF_NAN;
	const uint64_t inf = UINT64_C(0x7ff0000000000000);
	struct f64_encoder k;
	v8u vov = { 0 }, vnan = { 0 }, vflush = { 0 };
	uint64_t any_ovf = 0, any_nan = 0, any_flush = 0, thr;
	size_t i;
	int l;

	if (!kernel_ok(f)) {
		for (i = 0; i < n; i++)
			codes[i] = (uint8_t)nsl_quant_fp_encode(f, x[i], -1,
			    opts, &ovflag);
		return ovflag;
	}

	k.shift = (uint64_t)(52 - m);
	k.signshift = 63 - (uint64_t)(f->ebits + m);
	k.minnorm = (uint64_t)(f->emin + 1023) << 52;
	k.magic = ldexp(1.0, f->emin - m + 52);
	k.magicbits = f64_bits(k.magic);
	k.rebias = ((uint64_t)(int64_t)(f->bias - 1023) << 52) +
	    (UINT64_C(1) << (k.shift - 1)) - 1;
	k.ovf = overflow(f, 0, opts, &ovflag);
	k.nan = f->special == NSL_QS_FINITE ? 0 : nan_code(f);
	/* |x| above thr (or at it, when the tie goes up) overflows */
	thr = f64_bits(f->max + ldexp(1.0, f->emax - m - 1));
	k.thr2 = max_code(f) & 1 ? thr : thr + 1;
	k.smask = UINT64_C(1) << (f->ebits + m);
	/* a format with no NaN encodes NaN as +0 */
	k.nan_sign_mask = nanflag == NSL_QF_UNREP ? ~UINT64_C(0) : 0;
	/* one with no -0 rounds to +0 */
	k.zero_sign_mask = f->special == NSL_QS_FNUZ ? ~UINT64_C(0) : 0;

	for (i = 0; i + 8 <= n; i += 8)
		encode8(&k, x + i, codes + i, &vov, &vnan, &vflush);
	for (l = 0; l < 8; l++) {
		any_ovf |= vov[l];
		any_nan |= vnan[l];
		any_flush |= vflush[l];
	}
	/* the same steps, one element at a time, for the last few */
	for (; i < n; i++) {
		uint64_t b, a, sub, nor, c, sign, isov, isnan_, issub;
		double fa;

		memcpy(&b, &x[i], sizeof(b));
		a = b & ~(UINT64_C(1) << 63);
		memcpy(&fa, &a, sizeof(fa));
		fa += k.magic;
		memcpy(&sub, &fa, sizeof(sub));
		sub -= k.magicbits;
		nor = (a + k.rebias + ((a >> k.shift) & 1)) >> k.shift;
		issub = a < k.minnorm;
		isnan_ = a > inf;
		isov = (a >= k.thr2) & !isnan_;
		c = issub ? sub : nor;
		c = isov ? k.ovf : c;
		c = isnan_ ? k.nan : c;
		sign = (b >> k.signshift) & k.smask;
		sign = isnan_ ? sign & ~k.nan_sign_mask : sign;
		sign = c == 0 ? sign & ~k.zero_sign_mask : sign;
		any_ovf |= isov;
		any_nan |= isnan_;
		any_flush |= issub & (c == 0) & (a != 0);
		codes[i] = (uint8_t)(sign | c);
	}
	return (any_ovf ? ovflag : 0) | (any_nan ? nanflag : 0) |
	    (any_flush ? NSL_QF_FLUSHED : 0);
}

long
nsl_quant_int_round(double x, double u, long lo, long hi, unsigned *flags)
{
	double r;

	if (isnan(x)) {
		*flags |= NSL_QF_UNREP;
		return 0;
	}
	if (x > (double)hi + 1) {
		*flags |= NSL_QF_SATURATED;
		return hi;
	}
	if (x < (double)lo - 1) {
		*flags |= NSL_QF_SATURATED;
		return lo;
	}
	if (u < 0)
		r = nearbyint(x);
	else {
		r = floor(x);
		if (u < x - r)
			r += 1;
	}
	if (r > hi || r < lo) {
		*flags |= NSL_QF_SATURATED;
		return r > hi ? hi : lo;
	}
	if (r == 0 && x != 0)
		*flags |= NSL_QF_FLUSHED;
	return (long)r;
}

unsigned
nsl_quant_nf4_encode(double y, double u)
{
	const float *L = nsl_quant_nf4_levels;
	unsigned j;
	double mid;

	if (!(y > -1))
		return 0;
	if (y >= 1)
		return 15;
	for (j = 0; j < 15 && L[j + 1] <= y; j++)
		;
	/* L[j] <= y < L[j + 1] */
	if (y == L[j])
		return j;
	if (u >= 0)
		return u < (y - L[j]) / ((double)L[j + 1] - L[j]) ? j + 1 : j;
	mid = ((double)L[j] + L[j + 1]) / 2;	/* exact */
	if (y < mid)
		return j;
	if (y > mid)
		return j + 1;
	return j % 2 == 0 ? j : j + 1;
}

int
nsl_quant_mx_exponent(const struct nsl_quant_format *f, double amax,
    enum nsl_quant_scale_mode mode)
{
	int e;

	if (!isfinite(amax))
		return 128;
	if (amax == 0)
		return -127;
	switch (mode) {
	case NSL_QM_CEIL:
		e = ilogb(amax);
		if (ldexp(1.0, e) != amax)
			e++;
		e -= f->emax_elem;
		break;
	case NSL_QM_RCEIL:
		e = ilogb(amax) - ilogb(f->max);
		while (ldexp(f->max, e) < amax)
			e++;
		while (ldexp(f->max, e - 1) >= amax)
			e--;
		break;
	default:
		e = ilogb(amax) - f->emax_elem;
		break;
	}
	if (e < -127)
		e = -127;
	return e > 127 ? 128 : e;
}

/* splitmix-seeded signs for the randomized Hadamard transform */
static void
make_signs(signed char *s, size_t n, uint64_t seed)
{
	gsl_rng *r = nsl_rng_new(seed, UINT64_C(0x48616461)); /* "Hada" */
	size_t i;
	uint64_t w = 0;

	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			w = nsl_rng_next(r);
		s[i] = (w >> (i % 64)) & 1 ? -1 : 1;
	}
	gsl_rng_free(r);
}

const char *
nsl_quant_check(const struct nsl_quant *q)
{
	const struct nsl_quant_format *f = &q->fmt;
	enum nsl_quant_gran gran = f->mx ? NSL_QG_BLOCK : q->gran;

	if (gran == NSL_QG_NONE && f->kind != NSL_QK_FLOAT)
		return "integer and nf4 formats need a scale (tensor, row or "
		    "block)";
	if (gran == NSL_QG_BLOCK && q->block == 0)
		return "block size must be a positive integer";
	if (q->asymmetric && (f->kind != NSL_QK_INT || f->mx || f->usign))
		return "asymmetric scaling (a zero point) applies to int8 and "
		    "int4 only (and int3, int2)";
	if (q->rotate && gran != NSL_QG_BLOCK)
		return "the rotation needs per-block scales (an MX format, "
		    "nf4, or block scaling)";
	if (q->rotate && (q->block & (q->block - 1)))
		return "the rotation needs a power-of-two block size";
	if (q->scale_fmt != NSL_QSF_AUTO && !f->mx)
		return "a block scale format (--scale-format) applies to the "
		    "MX block formats (mx..., nvfp4) only";
	/* a rotated block's amax may be sqrt(block) times the second
	 * scale's, which is found before the rotation */
	if (q->rotate && f->mx && (q->scale_fmt != NSL_QSF_AUTO ?
	    q->scale_fmt : f->scale_fmt) != NSL_QSF_E8M0)
		return "the rotation takes E8M0 block scales, not ue4m3 or "
		    "ue5m3";
	return NULL;
}

/* The block scale format q takes (its own or the one asked for). */
static enum nsl_quant_scale_fmt
scale_fmt_of(const struct nsl_quant *q)
{
	return q->scale_fmt != NSL_QSF_AUTO ? q->scale_fmt :
	    q->fmt.scale_fmt;
}

int
nsl_quant_fractional(const struct nsl_quant *q)
{
	return q->fmt.mx && scale_fmt_of(q) != NSL_QSF_E8M0 &&
	    scale_fmt_of(q) != NSL_QSF_AUTO;
}

double
nsl_quant_outer_of(const struct nsl_quant *q,
    const struct nsl_quant_scale *scales, size_t ns)
{
	size_t i;
	double v;

	/* v s is exact, so (v s) / v is s */
	for (i = 0; i < ns; i++) {
		v = q->sfmt.value[scales[i].e8m0 & 255];
		if (v > 0 && scales[i].scale > 0)
			return scales[i].scale / v;
	}
	return 1;
}

int
nsl_quant_needs_tensor(const struct nsl_quant *q)
{
	return q->gran == NSL_QG_TENSOR || q->gran == NSL_QG_COLUMN ||
	    (nsl_quant_fractional(q) && q->outer == NSL_QG_TENSOR);
}

int
nsl_quant_prepare(struct nsl_quant *q, struct nsl_err *err)
{
	const char *why;

	q->signs = NULL;
	q->scratch = NULL;
	if ((why = nsl_quant_check(q)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s", why);
	if (q->clip <= 0 || q->clip > 1)
		q->clip = 1;
	q->frac = nsl_quant_fractional(q);
	if (q->frac) {
		/* the unsigned scale formats: UE4M3 is E4M3's codes of
		 * sign 0 (7 bits), UE5M3 8 bits of the E4M3 convention */
		if (scale_fmt_of(q) == NSL_QSF_UE4M3)
			fp_setup(&q->sfmt, 4, 3, NSL_QS_FN, 0, 1);
		else
			fp_setup(&q->sfmt, 5, 3, NSL_QS_FN, 0, 1);
		strcpy(q->sfmt.name, nsl_quant_scale_fmt_names[scale_fmt_of(q)]);
		/* --scale-by picks the second scale's span; the block
		 * scales are the format's (not given: per tensor) */
		q->outer = q->gran == NSL_QG_BLOCK ? NSL_QG_TENSOR : q->gran;
	}
	if (q->fmt.mx)
		q->gran = NSL_QG_BLOCK;
	if (q->rotate) {
		q->signs = malloc(q->block);
		q->scratch = malloc(q->block * sizeof(double));
		if (q->signs == NULL || q->scratch == NULL) {
			nsl_quant_release(q);
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		}
		make_signs(q->signs, q->block, q->seed);
	}
	return 0;
}

void
nsl_quant_set_scaling(struct nsl_quant *q, size_t block, int gran)
{
	q->block = block ? block : q->fmt.block;
	if (gran >= 0)
		q->gran = (enum nsl_quant_gran)gran;
	else if (block || q->fmt.block)
		q->gran = NSL_QG_BLOCK;
	else
		q->gran = q->fmt.kind == NSL_QK_INT ? NSL_QG_ROW :
		    NSL_QG_NONE;
}

void
nsl_quant_release(struct nsl_quant *q)
{
	free(q->colclip);
	q->colclip = NULL;
	q->ncolclip = 0;
	free(q->signs);
	free(q->scratch);
	q->signs = NULL;
	q->scratch = NULL;
}

static double
to_f32(const struct nsl_quant *q, double v)
{
	return q->f32 ? round_f32(v) : v;
}

void
nsl_quant_scale_for(const struct nsl_quant *q, double lo, double hi,
    struct nsl_quant_scale *s)
{
	const struct nsl_quant_format *f = &q->fmt;
	double amax = fmax(fabs(lo), fabs(hi)) * q->clip;
	int e;

	s->zero = 0;
	s->e8m0 = 0;
	s->scale = 1;
	if (f->kind == NSL_QK_INT && f->usign)	/* negatives clamp to 0 */
		amax = fmax(hi, 0) * q->clip;
	if (isnan(lo) || isnan(hi))
		amax = NAN;
	if (nsl_quant_fractional(q)) {
		/* the second scale: amax over its span maps to the largest
		 * element times the largest block scale */
		s->scale = 1;
		if (!isfinite(amax))
			s->scale = NAN;
		else if (amax > 0 && q->outer != NSL_QG_NONE)
			s->scale = to_f32(q, amax / (f->max * q->sfmt.max));
		if (s->scale == 0 || isinf(s->scale))
			s->scale = 1;
		return;
	}
	if (f->mx) {
		e = nsl_quant_mx_exponent(f, amax, q->scale_mode);
		s->e8m0 = e + 127;
		s->scale = e == 128 ? NAN : ldexp(1.0, e);
		return;
	}
	if (q->gran == NSL_QG_NONE)
		return;
	if (f->kind == NSL_QK_INT && q->asymmetric) {
		double l = fmin(lo, 0) * q->clip, h = fmax(hi, 0) * q->clip;
		long qm = (1L << f->bits) - 1;
		double z;

		s->scale = to_f32(q, (h - l) / (double)qm);
		if (!(s->scale > 0) || !isfinite(s->scale))
			s->scale = 1;
		z = -nearbyint(l / s->scale);
		s->zero = z < 0 ? 0 : z > qm ? qm : (long)z;
		return;
	}
	if (amax > 0 && isfinite(amax))
		s->scale = to_f32(q, amax / f->max);
	if (!(s->scale > 0) || !isfinite(s->scale))
		s->scale = 1;
}

/*
 * The fractional scale of a block with least and greatest element lo
 * and hi under second scale outer: v = amax / (max outer) rounded to
 * nearest-even in the scale format, saturating (as NVIDIA's
 * cvt.rn.satfinite); s->scale = v outer (exact in a double: v has 4
 * significant bits).
 */
static void
block_scale(const struct nsl_quant *q, double lo, double hi, double outer,
    struct nsl_quant_scale *s)
{
	double amax = fmax(fabs(lo), fabs(hi)) * q->clip;
	unsigned fl = 0;

	s->zero = 0;
	if (isnan(lo) || isnan(hi) || isnan(outer)) {
		s->e8m0 = (int)nan_code(&q->sfmt);
		s->scale = NAN;
		return;
	}
	s->e8m0 = (int)nsl_quant_fp_encode(&q->sfmt, amax / (q->fmt.max *
	    outer), -1, NSL_QO_SATURATE, &fl);
	s->scale = q->sfmt.value[s->e8m0] * outer;
}

/* Dequantized value of one code under span scale s. */
static double
deq_one(const struct nsl_quant *q, unsigned c, const struct nsl_quant_scale *s)
{
	const struct nsl_quant_format *f = &q->fmt;
	double v = code_value(f, c);

	if (f->mx && q->frac)
		return to_f32(q, v * s->scale);	/* NaN for a NaN scale */
	if (f->mx)
		return s->e8m0 == 255 ? NAN : ldexp(v, s->e8m0 - 127);
	if (f->kind == NSL_QK_INT && q->asymmetric)
		return to_f32(q, ((double)c - (double)s->zero) * s->scale);
	if (q->gran == NSL_QG_NONE)
		return v;
	return to_f32(q, v * s->scale);
}

/* Code of one value x under span scale s. */
static unsigned
enc_one(const struct nsl_quant *q, double x, const struct nsl_quant_scale *s,
    double u, unsigned *fl)
{
	const struct nsl_quant_format *f = &q->fmt;
	long k, qm;

	if (f->mx && q->frac) {
		/* a zero scale (it underflowed) zeroes its block */
		if (isnan(s->scale) || s->scale == 0) {
			*fl |= isnan(s->scale) ? NSL_QF_NAN : x != 0 ?
			    NSL_QF_FLUSHED : 0;
			return 0;
		}
		x /= s->scale;
		if (f->kind == NSL_QK_INT)
			return (unsigned)nsl_quant_int_round(x * 64, u, -127,
			    127, fl) & 0xff;
		return nsl_quant_fp_encode(f, x, u, NSL_QO_SATURATE, fl);
	}
	if (f->mx) {
		if (s->e8m0 == 255) {
			*fl |= NSL_QF_NAN;
			return 0;
		}
		x = ldexp(x, 127 - s->e8m0);
		if (f->kind == NSL_QK_INT)
			return (unsigned)nsl_quant_int_round(x * 64, u, -127,
			    127, fl) & 0xff;
		return nsl_quant_fp_encode(f, x, u, NSL_QO_SATURATE, fl);
	}
	if (q->gran != NSL_QG_NONE)
		x /= s->scale;
	switch (f->kind) {
	case NSL_QK_FLOAT:
		return nsl_quant_fp_encode(f, x, u, q->opts, fl);
	case NSL_QK_INT:
		if (q->asymmetric) {
			qm = (1L << f->bits) - 1;
			k = nsl_quant_int_round(x, u, -s->zero, qm - s->zero,
			    fl);
			return (unsigned)(k + s->zero);
		}
		k = nsl_quant_int_round(x, u, f->usign ? 0 : -f->qmax,
		    f->qmax, fl);
		return (unsigned)k & ((1u << f->bits) - 1);
	case NSL_QK_NF4:
		if (isnan(x)) {
			*fl |= NSL_QF_UNREP;
			return 7;
		}
		if (fabs(x) > 1)
			*fl |= NSL_QF_SATURATED;
		k = nsl_quant_nf4_encode(x, u);
		if (k == 7 && x != 0)
			*fl |= NSL_QF_FLUSHED;
		return (unsigned)k;
	}
	return 0;
}

size_t
nsl_quant_nspans(const struct nsl_quant *q, size_t n)
{
	switch (q->gran) {
	case NSL_QG_NONE:
		return 0;
	case NSL_QG_BLOCK:
		return (n + q->block - 1) / q->block;
	case NSL_QG_COLUMN:
		return n;
	default:
		return 1;
	}
}

void
nsl_quant_hadamard(double *x, size_t n)
{
	size_t h, i, j;
	double a, b, norm = 1 / sqrt((double)n);

	for (h = 1; h < n; h *= 2)
		for (i = 0; i < n; i += 2 * h)
			for (j = i; j < i + h; j++) {
				a = x[j];
				b = x[j + h];
				x[j] = a + b;
				x[j + h] = a - b;
			}
	for (i = 0; i < n; i++)
		x[i] *= norm;
}

/* Forward rotation of a full block into q->scratch. */
static void
rotate_in(const struct nsl_quant *q, const double *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		q->scratch[i] = q->signs[i] * x[i];
	nsl_quant_hadamard(q->scratch, n);
}

/* Inverse rotation of out[0..n) in place. */
static void
rotate_out(const struct nsl_quant *q, double *out, size_t n)
{
	size_t i;

	nsl_quant_hadamard(out, n);
	for (i = 0; i < n; i++)
		out[i] = to_f32(q, q->signs[i] * out[i]);
}

static void
span_range(const double *x, size_t n, double *lo, double *hi)
{
	double l = 0, h = 0, v;
	int nan = 0;
	size_t i;

	/* branch-free: the same as comparing element by element */
	for (i = 0; i < n; i++) {
		v = x[i];
		nan |= v != v;
		l = v < l ? v : l;
		h = v > h ? v : h;
	}
	*lo = nan ? NAN : l;
	*hi = nan ? NAN : h;
}

/*
 * out[i] = to_f32(q, x[i]) and span_range(out, n, lo, hi) in one pass,
 * eight lanes at a time (with a lane's least and greatest starting at
 * +0, as the whole span's do, any order gives the same ends).
 */
NSL_QUANT_CLONES static void
convert_range(const struct nsl_quant *q, const double *x, double *out,
    size_t n, double *lo, double *hi)
{
	double l = 0, h = 0, v, inf = 0;
	v8f vl = { 0 }, vh = { 0 }, vinf = { 0 }, vv;
	size_t i;
	int k;

	/* inf stays 0 while every v - v is (v finite) */
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&vv, x + i, sizeof(vv));
		if (q->f32)
			round_f32_8(&vv);
		memcpy(out + i, &vv, sizeof(vv));
		vinf += vv - vv;
		vl = (v8f)(((v8u)(vv < vl) & (v8u)vv) |
		    (~(v8u)(vv < vl) & (v8u)vl));
		vh = (v8f)(((v8u)(vv > vh) & (v8u)vv) |
		    (~(v8u)(vv > vh) & (v8u)vh));
	}
	for (k = 0; k < 8; k++) {
		l = vl[k] < l ? vl[k] : l;
		h = vh[k] > h ? vh[k] : h;
		inf += vinf[k];
	}
	for (; i < n; i++) {
		v = q->f32 ? round_f32(x[i]) : x[i];
		out[i] = v;
		inf += v - v;
		l = v < l ? v : l;
		h = v > h ? v : h;
	}
	if (inf != 0 || isnan(inf))
		for (i = 0; i < n; i++)
			if (isnan(out[i]))
				l = h = NAN;
	*lo = l;
	*hi = h;
}

static void
add_stats(struct nsl_quant_stats *st, const double *x, const double *out,
    size_t n)
{
	double dot = 0, nx = 0, nq = 0, e;
	size_t i;

	for (i = 0; i < n; i++) {
		if (isnan(out[i]))
			st->nan++;
		else if (isinf(out[i]))
			st->inf++;
		if (!isfinite(out[i]) || !isfinite(x[i]))
			continue;
		e = fabs(out[i] - x[i]);
		st->sum_e2 += e * e;
		st->sum_x2 += x[i] * x[i];
		if (e > st->max_err)
			st->max_err = e;
		dot += x[i] * out[i];
		nx += x[i] * x[i];
		nq += out[i] * out[i];
	}
	st->count += n;
	st->rows++;
	if (nx == 0 && nq == 0)
		st->sum_cos += 1;
	else if (nx > 0 && nq > 0)
		st->sum_cos += dot / (sqrt(nx) * sqrt(nq));
}

/* x rounded to an integer, ties to even (as nearbyint in the default
 * mode), for |x| < 2^51: adding 1.5 * 2^52 leaves no fraction bits. */
static double
round_even(double x)
{
	return (x + 0x1.8p52) - 0x1.8p52;
}


/*
 * A scaled symmetric integer span in one pass: span_fast's loops, with
 * the value of code c (the integer r itself) times the scale.  With the
 * span's range (its least and greatest element, and 0) known, the
 * saturation test needs only its ends; else the loop tracks them.
 * The value r s is narrowed to float32 without round_f32's guard: |r s|
 * <= qmax round_f32(clip amax / qmax) is finite, and the narrowing
 * rounds per IEEE 754 (C11 Annex F), to infinity if need be, as
 * round_f32 does.
 */
NSL_QUANT_CLONES static unsigned
int_span(const double *x, size_t n, double sc, int qmin, int qmax, int bits,
    int f32, const double *range, uint8_t *codes, double *out)
{
	const uint64_t mask = (1u << bits) - 1;
	const double lo = qmin, hi = qmax;
	double y, r, ymin = 0, ymax = 0;
	/* 2|y| - 1 in the bits of a double, unsigned: below the value for
	 * |y| = 1/2 iff 0 < |y| <= 1/2, which (and only which) rounds to 0 */
	uint64_t b, small = UINT64_MAX;
	const uint64_t half = UINT64_C(0x3fe0000000000000) << 1;
	v8f vmin = { 0 }, vmax = { 0 }, vlo = (v8f){ 0 } + lo;
	v8f vhi = (v8f){ 0 } + hi;
	v8u vsmall = ~(v8u){ 0 };
	size_t i;
	int sat, l;

	for (i = 0; i + 8 <= n; i += 8) {
		v8f vy, vr;
		v8u vb;
		v8b vc;

		memcpy(&vy, x + i, sizeof(vy));
		vy = vy / sc;
		vmin = (v8f)(((v8u)(vy < vmin) & (v8u)vy) |
		    (~(v8u)(vy < vmin) & (v8u)vmin));
		vmax = (v8f)(((v8u)(vy > vmax) & (v8u)vy) |
		    (~(v8u)(vy > vmax) & (v8u)vmax));
		vb = ((v8u)vy << 1) - 1;
		vsmall = ((v8u)(vb < vsmall) & vb) |
		    (~(v8u)(vb < vsmall) & vsmall);
		vr = (vy + 0x1.8p52) - 0x1.8p52;
		vr = (v8f)(((v8u)(vr < lo) & (v8u)vlo) |
		    (~(v8u)(vr < lo) & (v8u)vr));
		vr = (v8f)(((v8u)(vr > hi) & (v8u)vhi) |
		    (~(v8u)(vr > hi) & (v8u)vr));
		vc = __builtin_convertvector(
		    (v8u)__builtin_convertvector(vr, v8s) & mask, v8b);
		memcpy(codes + i, &vc, sizeof(vc));
		vr = vr * sc;
		if (f32)
			vr = __builtin_convertvector(
			    __builtin_convertvector(vr, v8h), v8f);
		memcpy(out + i, &vr, sizeof(vr));
	}
	for (l = 0; l < 8 && n >= 8; l++) {
		ymin = vmin[l] < ymin ? vmin[l] : ymin;
		ymax = vmax[l] > ymax ? vmax[l] : ymax;
		small = vsmall[l] < small ? vsmall[l] : small;
	}
	for (; i < n; i++) {
		y = x[i] / sc;
		ymin = y < ymin ? y : ymin;
		ymax = y > ymax ? y : ymax;
		memcpy(&b, &y, sizeof(b));
		b = (b << 1) - 1;
		small = b < small ? b : small;
		r = round_even(y);
		r = r < lo ? lo : r;
		r = r > hi ? hi : r;
		codes[i] = (uint8_t)((uint64_t)(int64_t)r & mask);
		out[i] = f32 ? (double)(float)(r * sc) : r * sc;
	}
	if (range != NULL) {	/* x / sc is monotonic in x */
		ymin = range[0] / sc;
		ymax = range[1] / sc;
	}
	/* so is rounding: the extremes show any overflow */
	sat = round_even(ymax) > hi || round_even(ymin) < lo;
	return (sat ? NSL_QF_SATURATED : 0) | (small < half ? NSL_QF_FLUSHED :
	    0);
}

/*
 * *r = entries idx[0..8) of the sixteen in lo, hi: one permute with
 * GCC's shuffle (vpermt2pd with AVX-512), lane by lane with other
 * compilers.  (Pointers: vectors passed by value change the ABI.)
 */
static inline __attribute__((always_inline)) void
pick16(v8f *r, const v8f *lo, const v8f *hi, const v8s *idx)
{
#if defined(__GNUC__) && !defined(__clang__)
	*r = __builtin_shuffle(*lo, *hi, *idx);
#else
	double t[16];
	int l;

	memcpy(t, lo, sizeof(*lo));
	memcpy(t + 8, hi, sizeof(*hi));
	for (l = 0; l < 8; l++)
		(*r)[l] = t[(*idx)[l] & 15];
#endif
}

/*
 * An nf4 span in one pass, as span_fast's loops: the code is the number
 * of midpoints between levels below y, a tie going to the even code (the
 * odd-numbered midpoints count when equal, so they are compared as their
 * predecessors: y >= m iff y > m's predecessor), found by a binary search
 * over the sorted midpoints; the value is its level times the scale
 * (|level| <= 1: the product is within float range, so it is narrowed
 * without round_f32's guard).  With the span's range known, saturation
 * is tested on its ends.  No element is NaN here.
 */
NSL_QUANT_CLONES static unsigned
nf4_span(const double *x, size_t n, double sc, int f32, const double *range,
    const double *value, uint8_t *codes, double *out)
{
	const uint64_t sign = UINT64_C(1) << 63;
	double mid[16], tab[16], y, big = 0;
	int64_t b;
	unsigned c, all = 0;
	int flush = 0, l;
	size_t i, j;
	v8s vflush = { 0 }, vzero = { 0 };
	v8f mlo, mhi, tlo, thi, vbig = { 0 };

	for (j = 0; j < 15; j++) {	/* exact, as in nf4_encode */
		mid[j] = ((double)nsl_quant_nf4_levels[j] +
		    nsl_quant_nf4_levels[j + 1]) / 2;
		if (j % 2) {	/* the next double below (mid is not 0) */
			memcpy(&b, &mid[j], sizeof(b));
			b += mid[j] > 0 ? -1 : 1;
			memcpy(&mid[j], &b, sizeof(b));
		}
	}
	mid[15] = INFINITY;		/* never probed */
	memcpy(&mlo, mid, sizeof(mlo));
	memcpy(&mhi, mid + 8, sizeof(mhi));
	/* the value of each code */
	memcpy(&tlo, value, sizeof(tlo));
	memcpy(&thi, value + 8, sizeof(thi));
	tlo *= sc;
	thi *= sc;
	if (f32) {
		tlo = __builtin_convertvector(__builtin_convertvector(tlo,
		    v8h), v8f);
		thi = __builtin_convertvector(__builtin_convertvector(thi,
		    v8h), v8f);
	}
	memcpy(tab, &tlo, sizeof(tlo));
	memcpy(tab + 8, &thi, sizeof(thi));
	for (i = 0; i + 8 <= n; i += 8) {
		v8f vy, a, m;
		v8s vc, probe;
		v8b vb;

		memcpy(&vy, x + i, sizeof(vy));
		vy = vy / sc;
		/* compares subtracted, not combined with | or &: GCC keeps
		 * that form in vectors, where it split |, & of compares
		 * into lanes.  Zero has code 7, so some element is flushed
		 * iff code 7 is more frequent than zero. */
		vc = -(v8s)(mid[7] < vy) << 3;	/* then probe vc + 3, 1, 0 */
		probe = vc + 3;
		pick16(&m, &mlo, &mhi, &probe);
		vc -= (v8s)(m < vy) << 2;
		probe = vc + 1;
		pick16(&m, &mlo, &mhi, &probe);
		vc -= (v8s)(m < vy) << 1;
		pick16(&m, &mlo, &mhi, &vc);
		vc -= (v8s)(m < vy);
		a = (v8f)((v8u)vy & ~sign);
		vbig = (v8f)(((v8u)(a > vbig) & (v8u)a) |
		    (~(v8u)(a > vbig) & (v8u)vbig));
		vflush -= (v8s)(vc == 7);
		vzero -= (v8s)(vy == 0);
		vb = __builtin_convertvector(vc, v8b);
		memcpy(codes + i, &vb, sizeof(vb));
		pick16(&m, &tlo, &thi, &vc);
		memcpy(out + i, &m, sizeof(m));
	}
	for (l = 0; l < 8; l++) {
		big = vbig[l] > big ? vbig[l] : big;
		flush |= vflush[l] > vzero[l];
	}
	for (; i < n; i++) {
		y = x[i] / sc;
		c = 0;
		for (j = 0; j < 15; j++)
			c += mid[j] < y;
		big = fabs(y) > big ? fabs(y) : big;
		flush |= c == 7 && y != 0;
		codes[i] = (uint8_t)c;
		out[i] = tab[c];
	}
	if (range != NULL ? range[1] / sc > 1 || range[0] / sc < -1 : big > 1)
		all |= NSL_QF_SATURATED;
	return all | (flush ? NSL_QF_FLUSHED : 0);
}

/*
 * The fast path of one span (nearest-even, no statistics): the codes and
 * values of the enc_one / deq_one loop, computed the same way element by
 * element, but without the per-element dispatch, libm calls and ldexp.
 * Returns the OR of the flags, or -1u (before writing anything) when
 * the span needs the general loop: asymmetric integers, an MX NaN scale,
 * a NaN element of nf4 or an integer format.  range is NULL, or the
 * span's least and greatest element (and 0) when none is NaN.
 */
static unsigned
span_fast(const struct nsl_quant *q, const double *x, size_t n,
    const struct nsl_quant_scale *s, uint8_t *codes, double *out,
    const double *range)
{
	const struct nsl_quant_format *f = &q->fmt;
	unsigned all = 0, c, sat = 0, flush = 0;
	double y, r, p, lo, hi;
	size_t i;

	if ((f->mx && !q->frac && s->e8m0 == 255) || (q->frac &&
	    !(s->scale > 0)) || (f->kind == NSL_QK_INT && q->asymmetric))
		return -1u;
	if (f->bits > 8)	/* the kernels below write one-byte codes */
		return -1u;
	for (i = 0; i < n && f->kind != NSL_QK_FLOAT && range == NULL; i++)
		if (isnan(x[i]))
			return -1u;
	if (f->kind == NSL_QK_INT && !f->mx && q->gran != NSL_QG_NONE)
		return int_span(x, n, s->scale, f->usign ? 0 : -f->qmax,
		    f->qmax, f->bits, q->f32, range, codes, out);
	if (f->kind == NSL_QK_NF4 && q->gran != NSL_QG_NONE)
		return nf4_span(x, n, s->scale, q->f32, range, f->value,
		    codes, out);
	if (q->frac) {
		/* x / (v_b outer) rounded once, as enc_one */
		for (i = 0; i < n; i++)
			out[i] = x[i] / s->scale;
		if (f->kind == NSL_QK_FLOAT) {
			all = fp_encode_f64(f, out, n, codes, NSL_QO_SATURATE);
			for (i = 0; i < n; i++)
				out[i] = to_f32(q, f->value[codes[i]] *
				    s->scale);
			return all;
		}
		for (i = 0; i < n; i++)	/* mxint8 */
			out[i] *= 64;
		lo = -127;
		hi = 127;
		p = s->scale;
	} else if (f->mx) {
		/* x * 2^-E is ldexp(x, -E): one correctly rounded product */
		double down = ldexp(1.0, 127 - s->e8m0);
		double up = ldexp(1.0, s->e8m0 - 127);

		if (f->kind == NSL_QK_FLOAT) {
			for (i = 0; i < n; i++)
				out[i] = x[i] * down;
			all = fp_encode_f64(f, out, n, codes, NSL_QO_SATURATE);
			for (i = 0; i < n; i++)
				out[i] = f->value[codes[i]] * up;
			return all;
		}
		/* mxint8 */
		for (i = 0; i < n; i++)
			out[i] = x[i] * down * 64;
		lo = -127;
		hi = 127;
		p = up;
	} else {
		if (q->gran == NSL_QG_NONE) {	/* a plain cast */
			all = fp_encode_f64(f, x, n, codes, q->opts);
			for (i = 0; i < n; i++)
				out[i] = f->value[codes[i]];
			return all;
		}
		for (i = 0; i < n; i++)
			out[i] = x[i] / s->scale;
		if (f->kind == NSL_QK_FLOAT) {
			all = fp_encode_f64(f, out, n, codes, q->opts);
			for (i = 0; i < n; i++)
				out[i] = to_f32(q, f->value[codes[i]] *
				    s->scale);
			return all;
		}
		lo = f->usign ? 0 : -f->qmax;
		hi = f->qmax;
		p = s->scale;
	}
	/*
	 * Integers: nsl_quant_int_round without branches (a value beyond
	 * hi + 1 rounds beyond hi too), then the two's complement code.
	 */
	for (i = 0; i < n; i++) {
		y = out[i];
		r = round_even(y);
		sat |= (r > hi) | (r < lo);
		r = r > hi ? hi : r < lo ? lo : r;
		flush |= (r == 0) & (y != 0);
		out[i] = r;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned)(long)out[i] & ((1u << f->bits) - 1);
		codes[i] = (uint8_t)c;
		out[i] = f->mx && !q->frac ? f->value[c] * p :
		    to_f32(q, f->value[c] * p);
	}
	return all | (sat ? NSL_QF_SATURATED : 0) | (flush ? NSL_QF_FLUSHED :
	    0);
}

unsigned
nsl_quant_vector(const struct nsl_quant *q, const double *x, size_t n,
    double *out, uint8_t *codes, struct nsl_quant_scale *scales,
    const struct nsl_quant_scale *tensor, gsl_rng *rng,
    struct nsl_quant_stats *st)
{
	struct nsl_quant_scale s = { 1, 0, 0 };
	size_t i, b, len, span = q->gran == NSL_QG_BLOCK ? q->block :
	    q->gran == NSL_QG_COLUMN ? 1 : n;
	unsigned all = 0, c, f1;
	double lo, hi, u = -1, outer = 1;
	double rng2[2];
	int nan_free;
	const double *src;

	if (q->gran == NSL_QG_NONE && q->f32 && !q->stochastic &&
	    q->fmt.kind == NSL_QK_FLOAT && !q->fmt.mx && !q->general &&
	    kernel_ok(&q->fmt)) {
		all = cast_f32(q, x, n, out, codes, st);
		if (st != NULL)
			add_stats(st, x, out, n);
		return all;
	}
	if (n == 0 && scales != NULL && nsl_quant_nspans(q, 0) > 0) {
		/* [] has one row or tensor scale too: the loop below sets
		 * none, so give it that of a row of zeros (its range) */
		if (q->gran == NSL_QG_TENSOR)
			s = *tensor;
		else
			nsl_quant_scale_for(q, 0, 0, &s);
		scales[0] = s;
	}
	if (q->frac && q->outer == NSL_QG_TENSOR && tensor != NULL)
		outer = tensor->scale;
	else if (q->frac && q->outer == NSL_QG_ROW) {
		/* before out (which may be x) changes; rounding to float32
		 * keeps the order, so the ends round as the elements do */
		span_range(x, n, &lo, &hi);
		nsl_quant_scale_for(q, to_f32(q, lo), to_f32(q, hi), &s);
		outer = s.scale;
	}
	for (b = 0; b * span < n; b++) {
		double *o = out + b * span;
		int scaled = q->gran == NSL_QG_ROW || q->gran == NSL_QG_BLOCK;

		len = n - b * span < span ? n - b * span : span;
		src = o;
		/* each span is rounded to float32 just before its use (so
		 * out may be x); with a scale of its own, while its range
		 * is found */
		if (q->rotate && len == q->block) {
			for (i = 0; i < len; i++)
				o[i] = to_f32(q, x[b * span + i]);
			rotate_in(q, o, len);
			src = q->scratch;
			if (scaled)
				span_range(src, len, &lo, &hi);
		} else if (scaled)
			convert_range(q, x + b * span, o, len, &lo, &hi);
		else
			for (i = 0; i < len; i++)
				o[i] = to_f32(q, x[b * span + i]);
		nan_free = 0;
		if (q->gran == NSL_QG_TENSOR)
			s = *tensor;
		else if (q->gran == NSL_QG_COLUMN)	/* one element */
			s = tensor[b];
		else if (scaled) {
			if (q->frac)
				block_scale(q, lo, hi, outer, &s);
			else
				nsl_quant_scale_for(q, lo, hi, &s);
			nan_free = !isnan(lo);
			rng2[0] = lo;
			rng2[1] = hi;
		}
		if (scales != NULL && q->gran != NSL_QG_NONE)
			scales[b] = s;
		if (!q->general && !q->stochastic && st == NULL &&
		    codes != NULL && src == o &&
		    (f1 = span_fast(q, o, len, &s, codes + b * span, o,
		    nan_free ? rng2 : NULL)) !=
		    -1u) {
			all |= f1;
			continue;
		}
		for (i = 0; i < len; i++) {
			f1 = 0;
			if (q->stochastic && rng != NULL)
				u = gsl_rng_uniform(rng);
			c = enc_one(q, src[i], &s, u, &f1);
			if (codes != NULL)
				nsl_quant_code_put(&q->fmt, codes,
				    b * span + i, c);
			o[i] = deq_one(q, c, &s);
			all |= f1;
			if (st != NULL) {
				st->saturated += (f1 & NSL_QF_SATURATED) != 0;
				st->flushed += (f1 & NSL_QF_FLUSHED) != 0;
			}
		}
		if (src == q->scratch)
			rotate_out(q, o, len);
	}
	if (st != NULL)
		add_stats(st, x, out, n);
	return all;
}

void
nsl_quant_dequantize(const struct nsl_quant *q, const uint8_t *codes,
    size_t n, const struct nsl_quant_scale *scales, double *out)
{
	static const struct nsl_quant_scale one = { 1, 0, 0 };
	size_t i, b, len, span = q->gran == NSL_QG_BLOCK ? q->block :
	    q->gran == NSL_QG_COLUMN ? 1 : n;
	const struct nsl_quant_scale *s;

	for (b = 0; b * span < n; b++) {
		double *o = out + b * span;

		len = n - b * span < span ? n - b * span : span;
		s = q->gran == NSL_QG_NONE ? &one : &scales[b];
		for (i = 0; i < len; i++)
			o[i] = deq_one(q, nsl_quant_code_get(&q->fmt, codes,
			    b * span + i) & ((1u << q->fmt.bits) - 1), s);
		if (q->rotate && len == q->block)
			rotate_out(q, o, len);
	}
}

int
nsl_quant_column_scales(const struct nsl_quant *q, const double *x,
    const size_t *len, size_t nrows, struct nsl_quant_scale **scales,
    size_t *ncols, struct nsl_err *err)
{
	struct nsl_quant t = *q;	/* for its clip, column by column */
	double *lo, *hi, v;
	size_t r, j, off = 0, m = 0;

	for (r = 0; r < nrows; r++)
		m = len[r] > m ? len[r] : m;
	lo = calloc(m + 1, sizeof(*lo));
	hi = calloc(m + 1, sizeof(*hi));
	*scales = calloc(m + 1, sizeof(**scales));
	if (lo == NULL || hi == NULL || *scales == NULL) {
		free(lo);
		free(hi);
		free(*scales);
		*scales = NULL;
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (r = 0; r < nrows; off += len[r], r++)
		for (j = 0; j < len[r]; j++) {
			v = to_f32(q, x[off + j]);
			if (isnan(v) || isnan(lo[j]))
				lo[j] = hi[j] = NAN;
			else {
				lo[j] = fmin(lo[j], v);
				hi[j] = fmax(hi[j], v);
			}
		}
	for (j = 0; j < m; j++) {
		t.clip = q->colclip != NULL && j < q->ncolclip ?
		    q->colclip[j] : q->clip;
		nsl_quant_scale_for(&t, lo[j], hi[j], &(*scales)[j]);
	}
	*ncols = m;
	free(lo);
	free(hi);
	return 0;
}

/*
 * The per-column search: for each split, each column's clipping factor
 * with the lowest squared error of that column; the split whose best
 * choices sum to the least wins.
 */
static int
search_columns(struct nsl_quant *q, const double *x, const size_t *len,
    size_t nrows, double *mse, struct nsl_err *err)
{
	struct nsl_quant t = *q;
	struct nsl_quant_format best = q->fmt;
	struct nsl_quant_scale *sc = NULL;
	double *sse, *bsse, *bclip, *clip, *out, d, total, besttotal = INFINITY;
	size_t m = 0, r, j, off, count = 0, nc;
	char name[32];
	int e, ci;

	/* t borrows nothing of q's that it could free */
	t.colclip = NULL;
	t.ncolclip = 0;
	for (r = 0; r < nrows; r++) {
		m = len[r] > m ? len[r] : m;
		count += len[r];
	}
	sse = calloc(m + 1, sizeof(*sse));
	bsse = calloc(m + 1, sizeof(*bsse));
	bclip = calloc(m + 1, sizeof(*bclip));
	clip = calloc(m + 1, sizeof(*clip));
	out = calloc(m + 1, sizeof(*out));
	if (sse == NULL || bsse == NULL || bclip == NULL || clip == NULL ||
	    out == NULL)
		goto oom;
	for (e = 1; e <= q->fmt.bits - 1; e++) {
		snprintf(name, sizeof(name), "e%dm%d", e, q->fmt.bits - 1 - e);
		if (nsl_quant_format_parse(&t.fmt, name, err) != 0)
			continue;
		for (j = 0; j < m; j++)
			bsse[j] = INFINITY;
		for (ci = 0; ci <= 20; ci++) {
			t.clip = 1 - 0.025 * ci;
			if (nsl_quant_column_scales(&t, x, len, nrows, &sc, &nc,
			    err) != 0)
				goto fail;
			memset(sse, 0, m * sizeof(*sse));
			for (r = 0, off = 0; r < nrows; off += len[r], r++) {
				nsl_quant_vector(&t, x + off, len[r], out, NULL,
				    NULL, sc, NULL, NULL);
				for (j = 0; j < len[r]; j++) {
					d = out[j] - x[off + j];
					if (isfinite(d))
						sse[j] += d * d;
				}
			}
			free(sc);
			for (j = 0; j < m; j++)
				if (sse[j] < bsse[j]) {
					bsse[j] = sse[j];
					bclip[j] = t.clip;
				}
		}
		for (total = 0, j = 0; j < m; j++)
			total += bsse[j];
		if (total < besttotal) {
			besttotal = total;
			best = t.fmt;
			memcpy(clip, bclip, m * sizeof(*clip));
		}
	}
	nsl_err_clear(err);
	free(q->colclip);
	q->colclip = clip;
	q->ncolclip = m;
	q->fmt = best;
	q->clip = 1;
	*mse = count ? besttotal / (double)count : 0;
	free(sse);
	free(bsse);
	free(bclip);
	free(out);
	return 0;
oom:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
fail:
	free(sse);
	free(bsse);
	free(bclip);
	free(clip);
	free(out);
	return -1;
}

/* MSE of the whole tensor under q (tensor scale from lo..hi). */
static double
tensor_mse(const struct nsl_quant *q, const double *x, const size_t *len,
    size_t nrows, double lo, double hi, double *tmp)
{
	struct nsl_quant_stats st;
	struct nsl_quant_scale ts;
	size_t r, off = 0;

	memset(&st, 0, sizeof(st));
	nsl_quant_scale_for(q, lo, hi, &ts);
	for (r = 0; r < nrows; r++) {
		nsl_quant_vector(q, x + off, len[r], tmp, NULL, NULL, &ts,
		    NULL, &st);
		off += len[r];
	}
	return st.count ? st.sum_e2 / (double)st.count : 0;
}

int
nsl_quant_search(struct nsl_quant *q, const double *x, const size_t *len,
    size_t nrows, double *mse, struct nsl_err *err)
{
	struct nsl_quant t = *q;
	struct nsl_quant_format best;
	double lo = 0, hi = 0, bestclip = 1, m, *tmp, v;
	size_t r, i, off = 0, maxlen = 1;
	char name[32];
	int e, ci;

	/* (the splits searched are the eXmY names: 3..8 bits) */
	if (q->fmt.kind != NSL_QK_FLOAT || q->fmt.mx || q->fmt.bits > 8)
		return nsl_err_set(err, NSL_EX_USAGE, "--search needs a "
		    "minifloat format (fp8, fp6, fp4 or eXmY), not %s",
		    q->fmt.name);
	for (r = 0; r < nrows; r++) {
		if (len[r] > maxlen)
			maxlen = len[r];
		for (i = 0; i < len[r]; i++) {
			v = to_f32(q, x[off + i]);
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
		off += len[r];
	}
	if (q->gran == NSL_QG_COLUMN)
		return search_columns(q, x, len, nrows, mse, err);
	if ((tmp = malloc(maxlen * sizeof(*tmp))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (t.gran == NSL_QG_NONE)
		t.gran = NSL_QG_TENSOR;
	best = q->fmt;
	*mse = INFINITY;
	for (e = 1; e <= q->fmt.bits - 1; e++) {
		snprintf(name, sizeof(name), "e%dm%d", e, q->fmt.bits - 1 - e);
		if (nsl_quant_format_parse(&t.fmt, name, err) != 0)
			continue;
		for (ci = 0; ci <= 20; ci++) {
			t.clip = 1 - 0.025 * ci;
			m = tensor_mse(&t, x, len, nrows, lo, hi, tmp);
			if (m < *mse) {
				*mse = m;
				best = t.fmt;
				bestclip = t.clip;
			}
		}
	}
	nsl_err_clear(err);
	free(tmp);
	q->fmt = best;
	q->clip = bestclip;
	q->gran = t.gran;
	return 0;
}
