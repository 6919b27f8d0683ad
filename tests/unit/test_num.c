/*
 * test_num.c - nsl/num.h against independent references: glibc's strtod()
 * and strtof() (correctly rounded) for reading, and for writing a brute
 * force search over printf("%.*e") candidates for the shortest, nearest
 * decimal, laid out by a separate implementation of Number::toString.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
#include <pthread.h>
#define TEST_THREADS 1		/* pthread_create is in libc itself */
#endif

#include "nsl/num.h"
#include "unit.h"

#define MAXDIAG 5		/* failure details printed per check */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: fixed seed, so failures reproduce. */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static unsigned
rng_below(unsigned n)
{
	return (unsigned)(rng() % n);
}

static double
bits_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t
double_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static uint32_t
float_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

static float
bits_float(uint32_t b)
{
	float f;

	memcpy(&f, &b, sizeof(f));
	return f;
}

static long
count(long n)
{
	return unit_quick() ? n / 10 : n;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/*
 * Parse the NUL-terminated string s (a valid JSON number) and compare with
 * strtod(): same value bits, same length.  Parse it twice: from an
 * exactly-sized heap copy, so that AddressSanitizer sees any read past
 * end, and followed by more text, as in an array.
 */
static int
parse_matches(const char *s, int *ndiag)
{
	static const char more[] = ",12345678901234567890]";
	size_t len = strlen(s), got, got2;
	char *copy = malloc(len + sizeof(more)), *e;
	double want, have = 0, have2 = 0;
	int ok;

	if (copy == NULL)
		abort();
	memcpy(copy, s, len);
	got = nsl_num_parse(copy, copy + len, &have);
	memcpy(copy + len, more, sizeof(more));
	got2 = nsl_num_parse(copy, copy + len + sizeof(more) - 1, &have2);
	want = strtod(s, &e);
	ok = got == len && got2 == len && (size_t)(e - s) == len &&
	    double_bits(have) == double_bits(want) &&
	    double_bits(have2) == double_bits(want);
	if (!ok && (*ndiag)++ < MAXDIAG)
		printf("# parse \"%.80s\": got %zu %zu %a %a, strtod %a\n", s,
		    got, got2, have, have2, want);
	free(copy);
	return ok;
}

/* Append n random decimal digits, the first one nonzero if lead. */
static char *
put_digits(char *p, int n, int lead)
{
	int i;

	for (i = 0; i < n; i++)
		*p++ = (char)('0' + (i == 0 && lead ? 1 + rng_below(9) :
		    rng_below(10)));
	return p;
}

/* A random JSON number of many shapes (see the cases below). */
static void
random_number(char *buf, size_t bufsz)
{
	char *p = buf;
	double v;
	int nd, shape = (int)rng_below(8), prec;

	if (rng_below(2))
		*p++ = '-';
	switch (shape) {
	case 0:
	case 1:
	case 2:
		/* int part (0 or 1-25 digits), fraction, exponent */
		if (rng_below(3) == 0)
			*p++ = '0';
		else
			p = put_digits(p, 1 + (int)rng_below(25), 1);
		if (rng_below(4) != 0) {
			*p++ = '.';
			if (rng_below(3) == 0) {	/* leading zeros */
				nd = 1 + (int)rng_below(30);
				memset(p, '0', (size_t)nd);
				p += nd;
			}
			p = put_digits(p, 1 + (int)rng_below(25), 0);
		}
		if (rng_below(3) != 0) {
			*p++ = rng_below(2) ? 'e' : 'E';
			switch (rng_below(3)) {
			case 0:
				*p++ = '-';
				break;
			case 1:
				*p++ = '+';
				break;
			}
			if (rng_below(10) == 0)
				*p++ = '0';
			p += sprintf(p, "%u", rng_below(351));
		}
		*p = '\0';
		break;
	case 3:
		/* an embedding-like double at full precision */
		v = fabs((double)(rng() >> 11) / 9007199254740992.0 - 0.5) *
		    pow(10, -(int)rng_below(6));
		snprintf(p, bufsz - 1, "%.17g", v);
		break;
	case 4:
		/* an embedding-like float */
		v = (float)(fabs((double)(rng() >> 40) / 16777216.0 - 0.5) *
		    pow(10, -(int)rng_below(6)));
		snprintf(p, bufsz - 1, "%.9g", v);
		break;
	default:
		/* any finite double, at a random precision */
		do
			v = bits_double(rng());
		while (!isfinite(v));
		prec = 1 + (int)rng_below(20);
		snprintf(buf, bufsz, rng_below(2) ? "%.*g" : "%.*e", prec, v);
		break;
	}
}

static void
test_parse_edges(void)
{
	static const char *cases[] = {
		"0", "-0", "0.0", "-0.0", "0e0", "0e999999999999999999999",
		"-0e-5", "1", "-1", "0.5", "0.1", "-0.0123456789", "1.2345678e-05",
		"9007199254740992", "9007199254740993", "9007199254740994",
		"9007199254740995", "9007199254740993.0000000000000001",
		"2.2250738585072011e-308", "2.2250738585072012e-308",
		"2.2250738585072014e-308", "2.225073858507201136057409796709131975934819546351645648e-308",
		"4.9406564584124654e-324", "5e-324", "2.4703282292062327e-324",
		"2.4703282292062328e-324", "2.47032822920623272e-324",
		"1.7976931348623157e308", "1.7976931348623158e308",
		"1.7976931348623159e308", "1.8e308", "-1.8e308", "1e309",
		"1e-400", "-1e-400", "1e999999999999999999999",
		"1e-999999999999999999999", "1E5", "1e+5", "1E-5",
		"123456789012345678", "1234567890123456789",
		"12345678901234567890", "123456789012345678901234567890",
		"18446744073709551615", "18446744073709551616",
		"0.000000000000000000000000000000000001",
		"0.00000000000000000000000000000000000123456789012345678901",
		"1e22", "1e23", "8.98846567431158e307", "3.4028235e38",
		"0.30000000000000004", "0.1000000000000000055511151231257827",
		"7.2057594037927933e16", "4.35679e-10", "2.4e-322",
		"1448997445238699", "17976931348623157e292",
		"0.50000000000000000", "1.0000000000000000000000000000",
		"1.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124",
		"1.00000000000000011102230246251565404236316680908203126",
		"1.00000000000000033306690738754696212708950042724609375",
		"9.5e-324", "1.5e-323", "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
	};
	char buf[4096];
	size_t i;
	int ok = 1, nd = 0, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok &= parse_matches(cases[i], &nd);
	/* Many leading zeros after the point, balanced by the exponent. */
	n = snprintf(buf, sizeof(buf), "0.");
	memset(buf + n, '0', 3000);
	snprintf(buf + n + 3000, sizeof(buf) - (size_t)n - 3000, "1e3000");
	ok &= parse_matches(buf, &nd);
	/* A digit 900 places in, past the digits handed to strtod. */
	buf[0] = '1';
	memset(buf + 1, '0', 899);
	strcpy(buf + 900, "1e-900");
	ok &= parse_matches(buf, &nd);
	UNIT_CHECK(ok, "parse: %zu hand-picked edge cases equal strtod bit for bit",
	    i + 2);
}

static void
test_parse_invalid(void)
{
	static const char *cases[] = {
		"", "-", "+1", ".5", "-.5", "01", "-01", "00", "1.", "1.e5",
		"1e", "1e+", "1E-", "nan", "NaN", "inf", "-inf", "Infinity",
		" 1", "--1", "-a", "e5", "0.e1", "1.5e", "\"1\"",
	};
	size_t i, got;
	double v = 42;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = nsl_num_parse(cases[i], cases[i] + strlen(cases[i]), &v);
		if (got != 0) {
			printf("# \"%s\" accepted, length %zu\n", cases[i], got);
			ok = 0;
		}
	}
	UNIT_CHECK(ok && v == 42,
	    "parse: text that is not a JSON number returns 0, *out untouched");
}

static void
test_parse_stops(void)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{ "1.5x", 3 }, { "1.5.3", 3 }, { "12,", 2 }, { "1e5e", 3 },
		{ "0x10", 1 }, { "-0.0e-0]", 7 }, { "1 2", 1 }, { "7}", 1 },
		/* the x runs are filler, not placeholders: they give the
		 * eight-digits-at-a-time reader bytes past the stop (a high
		 * byte, a '/' or ':' beside the digit range) inside one word */
		{ "3.25e+2\n", 7 }, { "1234567\x80xxxxxxxx", 7 },
		{ "0.12345\xff" "678xxxxxxxx", 7 }, { "12/45678901", 2 },
		{ "12:45678901", 2 }, { "0.1234567890123456789012:", 24 },
		{ "-1.5\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7", 4 },
	};
	size_t i, got;
	double v;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = nsl_num_parse(cases[i].s, cases[i].s + strlen(cases[i].s),
		    &v);
		if (got != cases[i].len) {
			printf("# \"%s\": length %zu, want %zu\n", cases[i].s, got,
			    cases[i].len);
			ok = 0;
		}
	}
	UNIT_CHECK(ok, "parse: stops at the first byte that cannot continue the number");
}

/* Every prefix of a number, in an exact-size buffer: no read past end. */
static void
test_parse_bounds(void)
{
	static const char *cases[] = {
		"-12.5e-3", "0.000123", "123456789012345678901234567890e-10",
		"1E+300", "-0",
	};
	char tmp[64], *copy;
	size_t i, len, got;
	double v, want;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (len = 0; len <= strlen(cases[i]); len++) {
			copy = malloc(len + 1);
			if (copy == NULL)
				abort();
			memcpy(copy, cases[i], len);
			got = nsl_num_parse(copy, copy + len, &v);
			if (got > 0) {
				memcpy(tmp, cases[i], got);
				tmp[got] = '\0';
				want = strtod(tmp, NULL);
				ok &= got <= len &&
				    double_bits(v) == double_bits(want);
			}
			free(copy);
		}
	}
	UNIT_CHECK(ok, "parse: never reads at or past end; prefixes parse like strtod");
}

static void
test_parse_random(void)
{
	char buf[512];
	long i, n = count(1000000);
	int ok = 1, nd = 0;

	for (i = 0; i < n; i++) {
		random_number(buf, sizeof(buf));
		ok &= parse_matches(buf, &nd);
	}
	UNIT_CHECK(ok, "parse: %ld random numbers of many shapes equal strtod bit for bit",
	    n);
}

/*
 * Exact midpoints between neighbouring doubles, and their neighbours when
 * cut to 17-20 digits: the cases that round-half-even decides.  A long
 * double holds a midpoint exactly; "%.800Le" prints it exactly.
 */
static void
test_parse_halfway(void)
{
#if LDBL_MANT_DIG >= 64
	char buf[1024], *e;
	long i, n = count(20000);
	int ok = 1, nd = 0, digits;
	long double mid;
	double v;

	for (i = 0; i < n; i++) {
		do
			v = fabs(bits_double(rng()));
		while (!isfinite(v) || v == DBL_MAX);
		if (i % 4 == 0)		/* near 1, where 17 digits matter */
			v = 1 + (double)(rng() >> 11) / 9007199254740992.0;
		mid = ((long double)v + (long double)nextafter(v, INFINITY)) / 2;
		snprintf(buf, sizeof(buf), "%.800Le", mid);
		/* Drop the zeros that pad the exact expansion. */
		e = strchr(buf, 'e');
		digits = (int)(e - buf);
		while (buf[digits - 1] == '0')
			digits--;
		memmove(buf + digits, e, strlen(e) + 1);
		ok &= parse_matches(buf, &nd);
		snprintf(buf, sizeof(buf), "%.*Le", 16 + (int)rng_below(4), mid);
		ok &= parse_matches(buf, &nd);
	}
	UNIT_CHECK(ok, "parse: %ld exact and near halfway cases round half to even",
	    n);
#else
	UNIT_CHECK(1, "parse: halfway cases # SKIP long double too narrow");
#endif
}

static void
test_parse_errno(void)
{
	static const char *cases[] = {
		"1e999", "-1e999", "1e-400", "2e-320", "1.8e308",
		"123456789012345678901234567890e-340",
		"123456789012345678901234567890e340",
	};
	size_t i;
	double v;

	errno = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		nsl_num_parse(cases[i], cases[i] + strlen(cases[i]), &v);
	UNIT_CHECK(errno == 0, "parse: errno untouched on overflow and underflow");
}

static void
test_parse_array(void)
{
	const char *s;
	double *v = NULL;
	size_t n = 0, cap = 0, err = 0, got, i;
	char *big, *p;
	int ok;

	s = "[]";
	got = nsl_num_parse_array(s, s + 2, &v, &n, &cap, &err);
	UNIT_CHECK(got == 2 && n == 0, "parse_array: [] is empty");

	s = "[ \t\r\n]";
	got = nsl_num_parse_array(s, s + strlen(s), &v, &n, &cap, &err);
	UNIT_CHECK(got == strlen(s) && n == 0, "parse_array: [ ws ] is empty");

	s = "[1,-2.5e1 ,\n 0.125\t,3e-2\r]tail";
	got = nsl_num_parse_array(s, s + strlen(s), &v, &n, &cap, &err);
	UNIT_CHECK(got == strlen(s) - 4 && n == 4 && v[0] == 1 &&
	    v[1] == -25 && v[2] == 0.125 && v[3] == 0.03,
	    "parse_array: whitespace between tokens; consumes through ']'");

	s = "[7,8]";
	got = nsl_num_parse_array(s, s + strlen(s), &v, &n, &cap, &err);
	UNIT_CHECK(got == 5 && n == 6 && v[0] == 1 && v[4] == 7 && v[5] == 8,
	    "parse_array: appends after the *n values already there");

	/* 100000 numbers: growth, and agreement with nsl_num_parse */
	big = malloc(100000 * 24 + 2);
	if (big == NULL)
		abort();
	p = big;
	*p++ = '[';
	for (i = 0; i < 100000; i++)
		p += sprintf(p, "%s%.17g", i ? "," : "",
		    (double)(rng() >> 11) / 9007199254740992.0 - 0.5);
	*p++ = ']';
	n = 0;
	got = nsl_num_parse_array(big, p, &v, &n, &cap, &err);
	ok = got == (size_t)(p - big) && n == 100000 && cap >= n;
	for (i = 0, p = big + 1; ok && i < n; i++) {
		ok = double_bits(strtod(p, &p)) == double_bits(v[i]);
		p++;
	}
	UNIT_CHECK(ok, "parse_array: 100000 numbers grow the buffer, equal strtod");
	free(big);
	free(v);
}

/* An array that must fail, and the offset where. */
struct bad_array {
	const char *s;
	size_t errpos;
};

/*
 * Each bad array through nsl_num_parse_array (0 used, the error at
 * errpos, *n kept at 0) and nsl_num_check_array (the same offset):
 * whether all did so.
 */
static int
bad_arrays_fail(const struct bad_array *cases, size_t ncases)
{
	double *v = NULL;
	size_t i, n, cap = 0, err, got;
	int ok = 1;

	for (i = 0; i < ncases; i++) {
		n = 0;
		err = 999;
		got = nsl_num_parse_array(cases[i].s,
		    cases[i].s + strlen(cases[i].s), &v, &n, &cap, &err);
		if (got != 0 || err != cases[i].errpos || n != 0) {
			printf("# \"%s\": got %zu, errpos %zu (want %zu), n %zu\n",
			    cases[i].s, got, err, cases[i].errpos, n);
			ok = 0;
		}
	}
	free(v);
	for (i = 0; i < ncases; i++) {
		err = 999;
		if (nsl_num_check_array(cases[i].s, cases[i].s +
		    strlen(cases[i].s), &err) != 0 || err != cases[i].errpos) {
			printf("# check_array \"%s\": errpos %zu\n",
			    cases[i].s, err);
			ok = 0;
		}
	}
	return ok;
}

static void
test_parse_array_errors(void)
{
	static const struct bad_array cases[] = {
		{ "[1,\"a\"]", 3 }, { "[null]", 1 }, { "[true]", 1 },
		{ "[1, [2]]", 4 }, { "[1 2]", 3 }, { "[1,]", 3 }, { "[,1]", 1 },
		{ "[1x]", 2 }, { "[1.5.3]", 4 }, { "[01]", 1 }, { "[-]", 1 },
		{ "[+1]", 1 }, { "1", 0 }, { "", 0 }, { " [1]", 0 },
		{ "[", 1 }, { "[1", 2 }, { "[1,", 3 }, { "[1,2 ", 5 },
		{ "[1.5e", 1 }, { "[1.", 1 },
	};
	size_t i = sizeof(cases) / sizeof(cases[0]);
	int ok = bad_arrays_fail(cases, i);

	UNIT_CHECK(ok, "parse_array: %zu bad or truncated arrays fail (and check_array) at the right offset, *n kept",
	    i);
}

/*
 * Arrays take a 16-byte path for [-]D.DDD numbers away from the array's
 * ends (lib/num.c, num_parse_sse2), the scalar reader elsewhere.  Every
 * element of long arrays of such numbers (1 to 16 fraction digits, so
 * both sides of the path's 14-digit limit), of numbers of every shape
 * and of both mixed, with and without spaces, must equal strtod() bit
 * for bit and the array must be consumed to its ']'.
 */
static void
test_parse_array_short(void)
{
	enum { N = 200000 };
	char *big, *p, *q;
	double *v = NULL;
	size_t n, cap = 0, err, got, i, bad = 0;
	int d, k, round;

	if ((big = malloc((size_t)N * 530 + 2)) == NULL)
		abort();
	for (round = 0; round < 3; round++) {
		p = big;
		*p++ = '[';
		for (i = 0; i < N; i++) {
			if (i > 0)
				p += sprintf(p, "%s", rng_below(8) ? "," :
				    rng_below(2) ? ", " : " ,\t");
			if (round == 1 || (round == 2 && rng_below(2))) {
				random_number(p, 512);
				p += strlen(p);
				continue;
			}
			if (rng_below(2))
				*p++ = '-';
			*p++ = (char)('0' + rng_below(10));
			*p++ = '.';
			k = 1 + (int)rng_below(16);
			for (d = 0; d < k; d++)
				*p++ = (char)('0' + rng_below(10));
		}
		*p++ = ']';
		n = 0;
		got = nsl_num_parse_array(big, p, &v, &n, &cap, &err);
		bad += got != (size_t)(p - big) || n != N;
		bad += nsl_num_check_array(big, p, &err) != got;
		for (i = 0, q = big + 1; !bad && i < n; i++) {
			if (double_bits(strtod(q, &q)) != double_bits(v[i]) &&
			    bad++ < MAXDIAG)
				printf("# round %d element %zu: %a\n", round, i,
				    v[i]);
			q += strspn(q, ", \t");
		}
	}
	free(big);
	free(v);
	UNIT_CHECK(bad == 0, "parse_array: 3 x %d short, any-shape and mixed "
	    "numbers equal strtod bit for bit", N);
}

/*
 * Past 14 fraction digits w may exceed 2^53, and (double)w / 10^nf then
 * rounds twice.  These texts are ones where it does (found with Python:
 * float(w) / 10.0**nf != float(text)), read inside long arrays, where
 * the 16-byte path would take them were its limit higher.
 */
static void
test_parse_array_double_rounding(void)
{
	static const char *cases[] = {
		"9.403674277200025", "9.777375316037175", "-9.873649887448027",
		"9.280721527525189", "0.9714273442750199", "0.9406050096564865",
		"-0.9311149484343565", "0.9455013218906427",
	};
	char buf[128];
	double *v = NULL;
	size_t i, n, cap = 0, err, got;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "[0.5,0.5,0.5,0.5,%s,0.5,0.5,0.5,"
		    "0.5,0.5]", cases[i]);
		n = 0;
		got = nsl_num_parse_array(buf, buf + strlen(buf), &v, &n, &cap,
		    &err);
		if (got != strlen(buf) || n != 10 ||
		    double_bits(v[4]) != double_bits(strtod(cases[i], NULL))) {
			printf("# %s: got %a\n", cases[i], n > 4 ? v[4] : 0.0);
			ok = 0;
		}
	}
	free(v);
	UNIT_CHECK(ok, "parse_array: %zu numbers of 15 and 16 digits that a "
	    "double-rounding division gets wrong equal strtod", i);
}

/*
 * Numbers as writers print them: [-]I.F with 1 to 3 integer digits (a
 * lone 0 or none leading) and 1 to 19 fraction digits, often after
 * zeros (so both sides of the 32-byte path's 19-digit limit), and the
 * shortest-looking %.17g and %.9g texts of random doubles and floats
 * (some with exponents), in long arrays with and without spaces; each
 * element must equal strtod() bit for bit.  Integers of 16 and 17 digits
 * at halfway points between doubles test the rounding of w > 2^53.
 */
static void
test_parse_array_long(void)
{
	enum { N = 200000 };
	static const char *halfway[] = {
		"9007199254740993.0", "9007199254740995.0",
		"-9007199254740997.00", "18014398509481986.0",
		"18014398509481990.0", "0.30000000000000004",
		"1.7976931348623157", "4.9406564584124654",
		"0.0000000000000000001", "9999999999999999999.0",
		"1.2345678901234567890", "0.1234567890123456789",
	};
	char *big, *p, *q;
	double *v = NULL, x;
	size_t n, cap = 0, err, got, i, bad = 0;
	int d, k, z, round;
	float f;

	if ((big = malloc((size_t)N * 64 + 2)) == NULL)
		abort();
	for (round = 0; round < 3; round++) {
		p = big;
		*p++ = '[';
		for (i = 0; i < N; i++) {
			if (i > 0)
				p += sprintf(p, "%s", rng_below(8) ? "," :
				    rng_below(2) ? ", " : " ,\t");
			if (i % 97 == 0) {
				p += sprintf(p, "%s",
				    halfway[(i / 97) % (sizeof(halfway) /
				    sizeof(halfway[0]))]);
				continue;
			}
			if (round == 1) {
				memcpy(&x, (uint64_t[]){ (uint64_t)rng_below(
				    1u << 31) << 32 ^ (uint64_t)rng_below(
				    1u << 31) << 1 ^ rng_below(2) }, 8);
				x = isfinite(x) ? x : 0.5;
				p += sprintf(p, "%.17g", x);
				continue;
			}
			if (round == 2) {
				f = (float)(((double)rng_below(1u << 30) /
				    (1u << 29) - 1) * (rng_below(4) ? 10 : 1e-3));
				p += sprintf(p, rng_below(2) ? "%.17g" : "%.9g",
				    (double)f);
				continue;
			}
			if (rng_below(2))
				*p++ = '-';
			k = 1 + (int)rng_below(3);
			if (rng_below(4) == 0)
				k = 1, *p++ = '0';
			else
				for (d = 0; d < k; d++)
					*p++ = (char)((d == 0 ? '1' : '0') +
					    rng_below(d == 0 ? 9 : 10));
			*p++ = '.';
			z = rng_below(3) == 0 ? (int)rng_below(6) : 0;
			for (d = 0; d < z; d++)
				*p++ = '0';
			k = 1 + (int)rng_below(19);
			for (d = 0; d < k; d++)
				*p++ = (char)('0' + rng_below(10));
		}
		*p++ = ']';
		n = 0;
		got = nsl_num_parse_array(big, p, &v, &n, &cap, &err);
		bad += got != (size_t)(p - big) || n != N;
		bad += nsl_num_check_array(big, p, &err) != got;
		for (i = 0, q = big + 1; !bad && i < n; i++) {
			if (double_bits(strtod(q, &q)) != double_bits(v[i]) &&
			    bad++ < MAXDIAG)
				printf("# round %d element %zu: %a\n", round, i,
				    v[i]);
			q += strspn(q, ", \t");
		}
	}
	free(big);
	free(v);
	UNIT_CHECK(bad == 0, "parse_array: 3 x %d numbers of up to 22 "
	    "digits, %%.17g doubles and float32 reprs equal strtod bit for bit",
	    N);
}

/*
 * The 32-byte path reads up to 16 bytes before a number and 32 from its
 * start.  Each number below (both sides of its limits: 8 integer digits,
 * 19 significant, 16 fraction digits a load) goes at every distance from
 * the array's two ends, in an array malloc'ed to its exact size, so
 * that a read past either end is one AddressSanitizer reports (make
 * check-asan); every element must equal strtod() bit for bit.
 */
static void
test_parse_array_long_ends(void)
{
	static const char *nums[] = {
		"12.5", "-12.5", "12.345678901234567", "-1.2345678901234567",
		"0.0012345678901234567", "-0.00012345678901234567",
		"12345678.5", "123456789.5", "1.2345678901234567891",
		"0.1234567890123456789", "98.7654321098765432",
		"1.5", "0.30000000000000004",
		/* exponents: Python's below 1e-4, the limits of 3 digits */
		"5.799035474041148e-09", "-2.2560661818715744e-06",
		"1.5E+300", "2.5e5", "-0.0e-00", "9.9e999", "1.5e-999",
		"1.2345678901234567e-320", "1.0e-0005", "7.2747955322265625e0",
		"0.000000007450580596923828125e+1",
	};
	char text[512], *big, *q;
	double *v = NULL;
	size_t i, n, cap = 0, err, got, len, k, bad = 0;
	int before, after, j;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		for (before = 0; before < 12; before++)
			for (after = 0; after < 12; after++) {
				len = 0;
				text[len++] = '[';
				for (j = 0; j < before; j++)
					len += (size_t)sprintf(text + len,
					    "0.5,");
				len += (size_t)sprintf(text + len, "%s",
				    nums[i]);
				for (j = 0; j < after; j++)
					len += (size_t)sprintf(text + len,
					    ",0.25");
				text[len++] = ']';
				text[len] = '\0';
				if ((big = malloc(len)) == NULL)
					abort();
				memcpy(big, text, len);
				n = 0;
				got = nsl_num_parse_array(big, big + len, &v,
				    &n, &cap, &err);
				bad += got != len ||
				    n != (size_t)(before + after + 1);
				bad += nsl_num_check_array(big, big + len,
				    &err) != len;
				for (k = 0, q = text + 1; !bad && k < n; k++) {
					if (double_bits(strtod(q, &q)) !=
					    double_bits(v[k]) && bad++ < MAXDIAG)
						printf("# %s at %d: %a\n",
						    nums[i], before, v[k]);
					q++;
				}
				free(big);
			}
	free(v);
	UNIT_CHECK(bad == 0, "parse_array: %zu long numbers at 0 to 11 "
	    "elements from either end of an exact-size array equal strtod",
	    i);
}

/*
 * The 16-byte path hands anything but a plain [-]D.DDD back to the
 * scalar reader, whose verdict stands: errors far from the array's ends
 * are placed as near them (offsets counted by hand).
 */
static void
test_parse_array_short_errors(void)
{
	static const struct bad_array cases[] = {
		{ "[0.5,0.5,0.5,0.5,1.5.3,0.5,0.5,0.5,0.5,0.5]", 20 },
		{ "[0.5,0.5,0.5,0.5,0.25e,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,0.5x,0.5,0.5,0.5,0.5,0.5]", 20 },
		{ "[0.5,0.5,0.5,0.5,0.5,,0.5,0.5,0.5,0.5,0.5]", 21 },
		{ "[0.5,0.5,0.5,0.5,-.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,1.,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,01.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,0.5,\"a\",0.5,0.5,0.5,0.5]", 21 },
		{ "[0.5,0.5,0.5,0.5,0.5,\x01,0.5,0.5,0.5,0.5]", 21 },
		/* the 32-byte path's numbers: [ and 4 x "0.5," are 17 bytes */
		{ "[0.5,0.5,0.5,0.5,012.34567890123456,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,12.34567890123456e,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,12.345678901234567.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 35 },
		{ "[0.5,0.5,0.5,0.5,-12.345678901234567x,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 36 },
		{ "[0.5,0.5,0.5,0.5,12.34567890123456789,,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 38 },
		/* ... with exponents */
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567e-,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567e+-5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567ee5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 17 },
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567e-05x,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 39 },
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567e-05.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 39 },
		{ "[0.5,0.5,0.5,0.5,1.2345678901234567E+123e,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]", 40 },
	};
	size_t i = sizeof(cases) / sizeof(cases[0]);
	int ok = bad_arrays_fail(cases, i);

	UNIT_CHECK(ok, "parse_array: %zu bad elements inside long arrays fail (and check_array) "
	    "at the right offset", i);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/*
 * The reference for writing.  A decimal m * 10^x is kept as two integers,
 * so candidates are compared without printing them.
 */
struct dec {
	uint64_t	m;
	int		x;
};

static struct dec
dec_trim(uint64_t m, int x)
{
	struct dec d;

	while (m != 0 && m % 10 == 0) {
		m /= 10;
		x++;
	}
	d.m = m;
	d.x = x;
	return d;
}

/* strtod() or strtof() of "<m>e<x>", built by hand to save time. */
static double
dec_read(uint64_t m, int x, int isfloat)
{
	char s[48], *p = s + 24, *q;
	int ax = x < 0 ? -x : x;

	q = p;
	do
		*--p = (char)('0' + m % 10);
	while ((m /= 10) != 0);
	*q++ = 'e';
	if (x < 0)
		*q++ = '-';
	if (ax >= 100)
		*q++ = (char)('0' + ax / 100);
	if (ax >= 10)
		*q++ = (char)('0' + ax / 10 % 10);
	*q++ = (char)('0' + ax % 10);
	*q = '\0';
	return isfloat ? strtof(p, NULL) : strtod(p, NULL);
}

/*
 * The layout rules, written independently of lib/num.c: d = m * 10^x
 * with digits d1..dn and v = 0.d1..dn * 10^k.
 */
static void
ref_layout(char *out, int neg, struct dec d)
{
	char dig[24];
	int n, k, i;

	n = sprintf(dig, "%llu", (unsigned long long)d.m);
	k = d.x + n;
	if (neg)
		*out++ = '-';
	if (k <= -6 || k > 18) {
		out += sprintf(out, "%c", dig[0]);
		if (n > 1)
			out += sprintf(out, ".%s", dig + 1);
		sprintf(out, "e%c%d", k - 1 < 0 ? '-' : '+', abs(k - 1));
		return;
	}
	if (k <= 0) {
		out += sprintf(out, "0.");
		for (i = k; i < 0; i++)
			*out++ = '0';
		sprintf(out, "%s", dig);
		return;
	}
	for (i = 0; i < k || i < n; i++) {
		if (i == k)
			*out++ = '.';
		*out++ = i < n ? dig[i] : '0';
	}
	*out = '\0';
}

/*
 * The decimal "%.*e" with precision p prints for lng's value, worked out
 * from lng, its "%.20e" text, to save a printf call per candidate.  lng is
 * itself rounded, so a tail of exactly 5000... cannot be decided: return
 * 0 then.
 */
static int
ref_round(const char *lng, int p, uint64_t *m, int *x)
{
	const char *s, *e = strchr(lng, 'e');
	char dig[40];
	int i, nd = 0, up;

	for (s = lng; s < e; s++)
		if (*s >= '0' && *s <= '9')
			dig[nd++] = *s;
	*m = 0;
	for (i = 0; i <= p; i++)
		*m = *m * 10 + (uint64_t)(dig[i] - '0');
	up = dig[p + 1] > '5';
	if (dig[p + 1] == '5') {
		for (i = p + 2; i < nd && dig[i] == '0'; i++)
			continue;
		if (i == nd)
			return 0;
		up = 1;
	}
	*m += (uint64_t)up;
	*x = atoi(e + 1) - p;
	return 1;
}

/* Split "%.*e" text into integer significand m and exponent x. */
static void
ref_split(const char *s, uint64_t *m, int *x, int prec)
{
	const char *p;

	*m = 0;
	for (p = s; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			*m = *m * 10 + (uint64_t)(*p - '0');
	*x = atoi(p + 1) - prec;
}

/*
 * Brute force: for p = pstart, pstart + 1, ..., the (p+1)-digit decimal
 * nearest v (printf rounds exactly, half to even) and, when that one lies
 * below v and does not read back, the next one up (the lower end of the
 * rounding interval is closer when v is a power of two).  The first that
 * reads back is the shortest and nearest.  Starting above 0 is sound: a
 * shorter decimal, padded with zeros, is also a candidate at p.
 *
 * known is a decimal already shown to read back as v (or NULL); a
 * candidate equal to it needs no strtod() call to tell.
 */
static struct dec
ref_shortest(double v, int isfloat, int pstart, const struct dec *known)
{
	char s[64], lng[64];
	struct dec d;
	uint64_t m;
	int p, x;
	double back;

	v = fabs(v);
	snprintf(lng, sizeof(lng), "%.20e", v);
	for (p = pstart;; p++) {
		if (!ref_round(lng, p, &m, &x)) {
			snprintf(s, sizeof(s), "%.*e", p, v);
			ref_split(s, &m, &x, p);
		}
		d = dec_trim(m, x);
		if (known != NULL && d.m == known->m && d.x == known->x)
			return d;
		back = dec_read(m, x, isfloat);
		if (back == v)
			return d;
		if (back < v && dec_read(m + 1, x, isfloat) == v)
			return dec_trim(m + 1, x);
	}
}

/* Our output as a decimal, and its number of significant digits. */
static struct dec
our_decimal(const char *s, int *ndigits)
{
	char dig[NSL_NUM_BUFSZ];
	struct dec d;
	int x = 0, point = 0, n = 0, i;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s == '.')
			point = 1;
		else if (*s >= '0' && *s <= '9') {
			if (n > 0 || *s != '0')
				dig[n++] = *s;
			x -= point;
		}
	}
	if (*s == 'e')
		x += atoi(s + 1);
	for (; n > 0 && dig[n - 1] == '0'; n--)
		x++;
	d.m = 0;
	for (i = 0; i < n; i++)
		d.m = d.m * 10 + (uint64_t)(dig[i] - '0');
	d.x = x;
	*ndigits = n;
	return d;
}

/*
 * Check one text buf (length len) for v: it reads back exactly, and
 * equals the reference layout of the reference digits.  full asks for
 * the brute force from one digit up; otherwise it starts one digit below
 * ours.
 */
static int
text_matches(const char *buf, int len, double v, int isfloat, int full,
    const char *what, int *ndiag)
{
	char want[64];
	struct dec ours, ref;
	int n, ok, back_ok;
	double back;

	back = isfloat ? strtof(buf, NULL) : strtod(buf, NULL);
	back_ok = isfloat ? float_bits((float)back) == float_bits((float)v) :
	    double_bits(back) == double_bits(v);
	if (v == 0) {
		strcpy(want, signbit(v) ? "-0" : "0");
	} else {
		ours = our_decimal(buf, &n);
		ref = ref_shortest(v, isfloat, full || n < 2 ? 0 : n - 2,
		    back_ok ? &ours : NULL);
		ref_layout(want, signbit(v) != 0, ref);
	}
	ok = back_ok && len == (int)strlen(buf) && len < NSL_NUM_BUFSZ &&
	    strcmp(buf, want) == 0;
	if (!ok && (*ndiag)++ < MAXDIAG)
		printf("# %s %a: got \"%s\" (%d), want \"%s\"\n", what, v,
		    buf, len, want);
	return ok;
}

/* Check nsl_num_format (or nsl_num_format_float) on one value. */
static int
format_matches(double v, int isfloat, int full, int *ndiag)
{
	char buf[NSL_NUM_BUFSZ];
	int len;

	if (isfloat)
		len = nsl_num_format_float(buf, (float)v);
	else
		len = nsl_num_format(buf, v);
	return text_matches(buf, len, v, isfloat, full, isfloat ?
	    "format_float" : "format", ndiag);
}

/*
 * Text that is a binary fraction written out in full -- a float32 as
 * Python prints it ("7.2747955322265625"), a halfway point -- lies on
 * the borderline where Eisel-Lemire's truncated power of ten cannot
 * decide; w / 5^nf * 2^-nf must then round exactly.  The expected values
 * are known without any parser: the hand-picked ones from Python's
 * float.hex() and the rounding rule (ties to even), the random ones by
 * construction (m * 2^-e written as m * 5^e with the point e places in,
 * e up to 27, m up to 2^53).  Alone and in an array, every way.
 */
static void
test_parse_exact_binary(void)
{
	enum { N = 100000 };
	static const struct { const char *s; double want; } hand[] = {
		{ "7.2747955322265625", 0x1.d1964p+2 },
		{ "-0.35062408447265625", -0x1.670ap-2 },
		{ "-2.8681793212890625", -0x1.6f208p+1 },
		{ "123.0078125", 0x1.ec08p+6 },
		/* halfway between 2^52 and 2^52 + 1: to the even 2^52 */
		{ "4503599627370496.5", 0x1p+52 },
		/* halfway between 2^52 + 1 and 2^52 + 2: to the even one */
		{ "4503599627370497.5", 0x1.0000000000002p+52 },
		/* 5^27 * 10^-27 = 2^-27, the deepest case taken */
		{ "0.000000007450580596923828125", 0x1p-27 },
		{ "0.0000000037252902984619140625", 0x1p-28 },
	};
	char *big, *p, *q, buf[128];
	double *v = NULL, *want, got1;
	size_t i, n, cap = 0, err, len;
	int ok = 1, bad = 0, e, k;
	uint64_t m, t;

	for (i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		snprintf(buf, sizeof(buf), "[0.5,0.25,%s,0.5,0.5,0.5,0.5,0.5]",
		    hand[i].s);
		n = 0;
		len = strlen(hand[i].s);
		if (nsl_num_parse(hand[i].s, hand[i].s + len, &got1) != len ||
		    double_bits(got1) != double_bits(hand[i].want) ||
		    nsl_num_parse_array(buf, buf + strlen(buf), &v, &n, &cap,
		    &err) != strlen(buf) || n != 8 ||
		    double_bits(v[2]) != double_bits(hand[i].want)) {
			printf("# %s: got %a and %a, want %a\n", hand[i].s,
			    got1, n > 2 ? v[2] : 0.0, hand[i].want);
			ok = 0;
		}
	}
	UNIT_CHECK(ok, "parse: %zu binary fractions written in full, "
	    "halfway points among them, read exactly", i);

	if ((big = malloc((size_t)N * 48 + 2)) == NULL ||
	    (want = malloc(N * sizeof(double))) == NULL)
		abort();
	p = big;
	*p++ = '[';
	for (i = 0; i < N; i++) {
		/* m * 5^e < 10^19, and m < 2^53 so that m * 2^-e is a double */
		e = 1 + (int)rng_below(27);
		for (t = 1, k = 0; k < e; k++)
			t *= 5;
		m = rng() % (UINT64_C(10000000000000000000) / t);
		m &= (UINT64_C(1) << 53) - 1;
		m |= 1;
		want[i] = ldexp((double)m, -e) * (rng_below(2) ? -1 : 1);
		if (i > 0)
			p += sprintf(p, "%s", rng_below(8) ? "," : ", ");
		/* m * 5^e with the point e digits from the right */
		len = (size_t)sprintf(buf, "%0*" PRIu64, e + 1, m * t);
		p += sprintf(p, "%s%.*s.%s", want[i] < 0 ? "-" : "",
		    (int)(len - (size_t)e), buf, buf + len - (size_t)e);
	}
	*p++ = ']';
	n = 0;
	if (nsl_num_parse_array(big, p, &v, &n, &cap, &err) !=
	    (size_t)(p - big) || n != N)
		bad++;
	for (i = 0, q = big + 1; !bad && i < n; i++) {
		len = strcspn(q, ",]");
		if ((double_bits(v[i]) != double_bits(want[i]) ||
		    nsl_num_parse(q, q + len, &got1) != len ||
		    double_bits(got1) != double_bits(want[i])) &&
		    bad++ < MAXDIAG)
			printf("# %.*s: got %a and %a, want %a\n", (int)len, q,
			    v[i], got1, want[i]);
		q += len;
		q += strspn(q, ", ");
	}
	free(big);
	free(want);
	free(v);
	UNIT_CHECK(bad == 0, "parse: %d random binary fractions m * 2^-e "
	    "written in full (e <= 27) read exactly, alone and in an array", N);
}

static void
test_format_exact(void)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 0.1, "0.1" }, { 1e21, "1e+21" }, { 1e20, "1e+20" },
		{ 1e17, "100000000000000000" }, { 1e18, "1e+18" },
		{ 999999999999999872.0, "999999999999999900" },
		{ 152429289753058080000.0, "1.5242928975305808e+20" },
		{ 9223372036854775808.0, "9.223372036854776e+18" },
		{ 1.5e-7, "1.5e-7" }, { 0.000001, "0.000001" },
		{ 1e-7, "1e-7" }, { 5e-324, "5e-324" }, { -0.0, "-0" },
		{ 0.0, "0" }, { 100, "100" }, { 1.0 / 3, "0.3333333333333333" },
		{ 123456789012345678.0, "123456789012345680" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ -1.5, "-1.5" }, { 0.3, "0.3" }, { 2.0 / 3, "0.6666666666666666" },
		{ 1e23, "1e+23" }, { 9007199254740993.0, "9007199254740992" },
		{ 123.456, "123.456" }, { -0.0123456789, "-0.0123456789" },
		{ 1.2345678e-05, "0.000012345678" }, { 1e-6, "0.000001" },
		{ 1.25e-6, "0.00000125" }, { 1e100, "1e+100" },
		{ 4.35e-10, "4.35e-10" }, { 5e-1, "0.5" }, { 12345e16, "1.2345e+20" },
		{ 123456e16, "1.23456e+21" },
	};
	char buf[NSL_NUM_BUFSZ];
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsl_num_format(buf, cases[i].v);
		if (strcmp(buf, cases[i].s) != 0) {
			printf("# %a: \"%s\", want \"%s\"\n", cases[i].v, buf,
			    cases[i].s);
			ok = 0;
		}
	}
	UNIT_CHECK(ok, "format: %zu hand-written expected strings", i);
}

static void
test_format_float_exact(void)
{
	static const struct {
		float f;
		const char *s;
	} cases[] = {
		{ 0.1f, "0.1" }, { 1.0f / 3, "0.33333334" }, { 16777216.0f, "16777216" },
		{ FLT_MAX, "3.4028235e+38" }, { FLT_MIN, "1.1754944e-38" },
		{ 1e-45f, "1e-45" }, { -0.0f, "-0" }, { 0.3f, "0.3" },
		{ 1e21f, "1e+21" }, { 1e-7f, "1e-7" }, { 2.5f, "2.5" },
		{ -0.012345678f, "-0.012345678" },
	};
	char buf[NSL_NUM_BUFSZ];
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsl_num_format_float(buf, cases[i].f);
		if (strcmp(buf, cases[i].s) != 0) {
			printf("# %a: \"%s\", want \"%s\"\n", (double)cases[i].f,
			    buf, cases[i].s);
			ok = 0;
		}
	}
	UNIT_CHECK(ok, "format_float: %zu hand-written expected strings", i);
}

static void
test_format_nonfinite(void)
{
	char buf[NSL_NUM_BUFSZ] = "x", fbuf[NSL_NUM_BUFSZ] = "x";
	int ok;

	ok = nsl_num_format(buf, INFINITY) == 0 && buf[0] == '\0';
	buf[0] = 'x';
	ok &= nsl_num_format(buf, -INFINITY) == 0 && buf[0] == '\0';
	buf[0] = 'x';
	ok &= nsl_num_format(buf, NAN) == 0 && buf[0] == '\0';
	ok &= nsl_num_format_float(fbuf, NAN) == 0 && fbuf[0] == '\0';
	fbuf[0] = 'x';
	ok &= nsl_num_format_float(fbuf, -INFINITY) == 0 && fbuf[0] == '\0';
	UNIT_CHECK(ok, "format: NaN and infinities write \"\" and return 0");
}

/* Every binary exponent, with its extreme and some random significands. */
static void
test_format_edges(void)
{
	uint64_t fr[] = { 0, 1, 2, (UINT64_C(1) << 52) - 1, 0 };
	uint32_t ffr[] = { 0, 1, 2, (UINT32_C(1) << 23) - 1, 0 };
	int ok = 1, nd = 0, e, i, p;
	double v;

	for (e = 0; e < 2047; e++)
		for (i = 0; i < 5; i++) {
			fr[4] = rng() >> 12;
			v = bits_double((uint64_t)e << 52 | fr[i]);
			ok &= format_matches(v, 0, 1, &nd);
			ok &= format_matches(-v, 0, 0, &nd);
		}
	for (p = -323; p <= 308; p++) {		/* powers of ten */
		char s[16];

		snprintf(s, sizeof(s), "1e%d", p);
		ok &= format_matches(strtod(s, NULL), 0, 1, &nd);
	}
	ok &= format_matches(1e21, 0, 1, &nd);
	ok &= format_matches(1e-7, 0, 1, &nd);
	ok &= format_matches(123456789012345678.0, 0, 1, &nd);
	UNIT_CHECK(ok, "format: every binary exponent, powers of two and ten, min/max, subnormals");

	nd = 0;
	ok = 1;
	for (e = 0; e < 255; e++)
		for (i = 0; i < 5; i++) {
			ffr[4] = (uint32_t)(rng() >> 41);
			v = bits_float((uint32_t)e << 23 | ffr[i]);
			ok &= format_matches(v, 1, 1, &nd);
			ok &= format_matches(-v, 1, 0, &nd);
		}
	for (p = -45; p <= 38; p++) {
		char s[16];

		snprintf(s, sizeof(s), "1e%d", p);
		ok &= format_matches(strtof(s, NULL), 1, 1, &nd);
	}
	UNIT_CHECK(ok, "format_float: every binary exponent, powers of two and ten, min/max, subnormals");
}

static void
test_format_random(void)
{
	long i, n = count(1000000);
	int ok = 1, nd = 0;
	double v;
	float f;

	for (i = 0; i < n; i++) {
		do
			v = bits_double(rng());
		while (!isfinite(v));
		ok &= format_matches(v, 0, i % 256 == 0, &nd);
	}
	UNIT_CHECK(ok, "format: %ld random doubles are shortest, nearest, read back, laid out",
	    n);

	ok = 1;
	nd = 0;
	for (i = 0; i < n; i++) {
		do
			f = bits_float((uint32_t)(rng() >> 32));
		while (!isfinite(f));
		ok &= format_matches(f, 1, i % 256 == 0, &nd);
	}
	UNIT_CHECK(ok, "format_float: %ld random floats are shortest, nearest, read back, laid out",
	    n);

	/* Embedding-like values: short decimals, as a float32 model writes. */
	ok = 1;
	nd = 0;
	for (i = 0; i < n / 10; i++) {
		char s[32];

		snprintf(s, sizeof(s), "%.*f", 1 + (int)rng_below(8),
		    (double)(rng() >> 11) / 9007199254740992.0 - 0.5);
		ok &= format_matches(strtod(s, NULL), 0, 1, &nd);
		ok &= format_matches(strtof(s, NULL), 1, 1, &nd);
	}
	UNIT_CHECK(ok, "format: %ld short decimals come back as written", n / 10);
}

/*
 * nsl_num_format_f32_exact, both styles: every value it takes (zero and
 * 2^-16 <= |f| < 2^23) gives the reference text; other values give -1
 * and leave buf as it was.
 */
static int
f32_matches(float f, int full, int *ndiag)
{
	char buf[NSL_NUM_BUFSZ];
	int as, len, ok = 1;

	for (as = 0; as < 2; as++) {
		memset(buf, 'x', sizeof(buf));
		len = nsl_num_format_f32_exact(buf, f, as);
		if (len < 0) {
			if ((*ndiag)++ < MAXDIAG)
				printf("# format_f32_exact %a (%s): -1\n",
				    (double)f, as ? "float" : "double");
			ok = 0;
			continue;
		}
		ok &= text_matches(buf, len, f, as, full, as ?
		    "format_f32_exact float" : "format_f32_exact double",
		    ndiag);
	}
	return ok;
}

static void
test_format_f32_exact(void)
{
	static const float levels[] = { 1.0f, 0.6961928f, 0.07958030f,
	    1.0f / 7, 1.0f / 127, 0.5f, 0.1f };
	static const float outside[] = { 0x1p23f, -0x1p23f, 0x1.fffffep-17f,
	    1e-30f, 0x1p-149f, 3e38f };
	char buf[NSL_NUM_BUFSZ];
	long i, n = count(100000);
	int ok = 1, nd = 0, e, k, as, bad = 0;
	uint32_t fr[] = { 0, 1, 2, 0x7fffff, 0x400000, 0 };
	float f, s;

	ok &= f32_matches(0.0f, 1, &nd) & f32_matches(-0.0f, 1, &nd);
	/* every exponent: extreme, middle and random mantissas; powers of
	 * two, whose interval is narrower below */
	for (e = 111; e <= 149; e++)
		for (k = 0; k < 6; k++) {
			fr[5] = (uint32_t)rng() & 0x7fffff;
			f = bits_float((uint32_t)e << 23 | fr[k]);
			ok &= f32_matches(f, 1, &nd);
			ok &= f32_matches(-f, 0, &nd);
		}
	/* dequantized values: a level times a random float32 scale */
	for (i = 0; i < n; i++) {
		s = (float)exp((double)(rng() >> 11) / 0x1p53 * 20 - 10);
		f = (float)((double)levels[i % 7] * s);
		if (fabsf(f) >= 0x1p-16f && fabsf(f) < 0x1p23f)
			ok &= f32_matches(i % 2 ? f : -f, i % 64 == 0, &nd);
	}
	/* random values of the range, short decimals */
	for (i = 0; i < n; i++) {
		f = bits_float((uint32_t)(111 + rng_below(39)) << 23 |
		    ((uint32_t)rng() & 0x807fffff));
		ok &= f32_matches(f, i % 64 == 0, &nd);
	}
	for (i = 0; i < n / 10; i++) {
		char t[32];

		snprintf(t, sizeof(t), "%.*f", 1 + (int)rng_below(7),
		    (double)(rng() >> 11) / 0x1p53 * 1000);
		f = strtof(t, NULL);
		if (f >= 0x1p-16f)
			ok &= f32_matches(f, 1, &nd);
	}
	UNIT_CHECK(ok, "format_f32_exact: zero, every exponent, dequantized, "
	    "random and short values are shortest, nearest, read back, laid out");

	for (i = 0; i < (long)(sizeof(outside) / sizeof(outside[0])); i++)
		for (as = 0; as < 2; as++) {
			memset(buf, 'x', sizeof(buf));
			bad += nsl_num_format_f32_exact(buf, outside[i], as) !=
			    -1 || buf[0] != 'x';
		}
	bad += nsl_num_format_f32_exact(buf, INFINITY, 0) != -1;
	bad += nsl_num_format_f32_exact(buf, NAN, 1) != -1;
	UNIT_CHECK(bad == 0, "format_f32_exact: -1 outside its range, buf "
	    "untouched (%d wrong)", bad);
}

/* Text -> double -> text -> double is the identity on doubles. */
static void
test_roundtrip(void)
{
	char buf[NSL_NUM_BUFSZ];
	long i, n = count(200000);
	double v, back;
	int ok = 1, len;

	for (i = 0; i < n && ok; i++) {
		do
			v = bits_double(rng());
		while (!isfinite(v));
		len = nsl_num_format(buf, v);
		ok = nsl_num_parse(buf, buf + len, &back) == (size_t)len &&
		    double_bits(back) == double_bits(v);
		if (!ok)
			printf("# %a -> \"%s\" -> %a\n", v, buf, back);
	}
	UNIT_CHECK(ok, "format then parse gives back every bit (%ld values)", n);
}

#ifdef TEST_THREADS
static void *
thread_work(void *arg)
{
	char buf[NSL_NUM_BUFSZ];
	uintptr_t bad = 0;
	double v = 0;
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		nsl_num_format(buf, 0.1 * i + 1e-300);
		bad |= nsl_num_parse(buf, buf + strlen(buf), &v) == 0 ||
		    v != 0.1 * i + 1e-300;
	}
	return (void *)bad;
}

/* The tables are built on first use; here four threads race to it. */
static void
test_threads(void)
{
	pthread_t th[4];
	void *bad;
	int i, ok = 1;

	for (i = 0; i < 4; i++)
		ok &= pthread_create(&th[i], NULL, thread_work, NULL) == 0;
	for (i = 0; i < 4; i++) {
		ok &= pthread_join(th[i], &bad) == 0;
		ok &= bad == NULL;
	}
	UNIT_CHECK(ok, "first use from four threads at once is safe");
}
#endif

int
main(void)
{
#ifdef TEST_THREADS
	test_threads();		/* first, while the tables are unbuilt */
#endif
	test_parse_edges();
	test_parse_invalid();
	test_parse_stops();
	test_parse_bounds();
	test_parse_random();
	test_parse_halfway();
	test_parse_errno();
	test_parse_array();
	test_parse_array_errors();
	test_parse_array_short();
	test_parse_array_short_errors();
	test_parse_array_long();
	test_parse_array_long_ends();
	test_parse_array_double_rounding();
	test_parse_exact_binary();
	test_format_exact();
	test_format_float_exact();
	test_format_nonfinite();
	test_format_edges();
	test_format_random();
	test_format_f32_exact();
	test_roundtrip();
	return unit_done();
}
