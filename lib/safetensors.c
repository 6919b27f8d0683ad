/*
 * safetensors.c - read and write safetensors checkpoints (see
 * nsl/safetensors.h for the format and what is checked).
 *
 * The header is split into members by a scanner of its own (below: the
 * JSONL scanner's duplicate check is quadratic), strings are decoded by
 * jansson, and shapes and offsets are read from their array text by
 * hand, because they are unsigned 64-bit integers that a double would
 * round.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/json.h"
#include "nsl/safetensors.h"

/*
 * The rows are in the reference's Dtype enum order, which its writer
 * sorts by (largest alignment first): keep that order when adding one.
 */
const struct nsl_safetensors_dtype nsl_safetensors_dtypes[] = {
	{ "BOOL", 1, NSL_ST_BOOL, 0, 0, 0, 1, 0, "boolean, one byte" },
	{ "U8", 1, NSL_ST_UINT, 0, 0, 0, 255, 0, "unsigned 8-bit integer" },
	{ "I8", 1, NSL_ST_SINT, 0, 0, 0, 127, -128,
	    "signed 8-bit integer" },
	{ "F8_E5M2", 1, NSL_ST_FLOAT, 5, 2, 1, 57344, -57344,
	    "8-bit float, 5 exponent and 2 fraction bits, IEEE-like" },
	{ "F8_E4M3", 1, NSL_ST_FLOAT, 4, 3, 0, 448, -448,
	    "8-bit float, 4 exponent and 3 fraction bits, no infinity "
	    "(e4m3fn)" },
	{ "I16", 2, NSL_ST_SINT, 0, 0, 0, 32767, -32768,
	    "signed 16-bit integer" },
	{ "U16", 2, NSL_ST_UINT, 0, 0, 0, 65535, 0,
	    "unsigned 16-bit integer" },
	{ "F16", 2, NSL_ST_FLOAT, 5, 10, 1, 65504, -65504,
	    "IEEE 754 half precision" },
	{ "BF16", 2, NSL_ST_FLOAT, 8, 7, 1, 0x1.FEp127, -0x1.FEp127,
	    "bfloat16: float32 with 7 fraction bits" },
	{ "I32", 4, NSL_ST_SINT, 0, 0, 0, 2147483647.0, -2147483648.0,
	    "signed 32-bit integer" },
	{ "U32", 4, NSL_ST_UINT, 0, 0, 0, 4294967295.0, 0,
	    "unsigned 32-bit integer" },
	{ "F32", 4, NSL_ST_FLOAT, 8, 23, 1, FLT_MAX, -FLT_MAX,
	    "IEEE 754 single precision" },
	{ "F64", 8, NSL_ST_FLOAT, 11, 52, 1, DBL_MAX, -DBL_MAX,
	    "IEEE 754 double precision" },
	/* max and min as doubles; encoding checks the exact bounds */
	{ "I64", 8, NSL_ST_SINT, 0, 0, 0, 0x1p63, -0x1p63,
	    "signed 64-bit integer" },
	{ "U64", 8, NSL_ST_UINT, 0, 0, 0, 0x1p64, 0,
	    "unsigned 64-bit integer" }
};

const size_t nsl_safetensors_ndtypes =
    sizeof(nsl_safetensors_dtypes) / sizeof(nsl_safetensors_dtypes[0]);

const struct nsl_safetensors_dtype *
nsl_safetensors_dtype_find(const char *name)
{
	size_t i;

	for (i = 0; i < nsl_safetensors_ndtypes; i++)
		if (strcmp(nsl_safetensors_dtypes[i].name, name) == 0)
			return &nsl_safetensors_dtypes[i];
	return NULL;
}

static uint64_t
load_le(const unsigned char *p, unsigned size)
{
	uint64_t v = 0;
	unsigned i;

	for (i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void
store_le(unsigned char *p, unsigned size, uint64_t v)
{
	unsigned i;

	for (i = 0; i < size; i++, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* A float narrower than float32, decoded by its definition. */
static double
decode_small(const struct nsl_safetensors_dtype *dt, uint64_t bits)
{
	int bias = (1 << (dt->ebits - 1)) - 1;
	uint64_t fmask = (1ULL << dt->mbits) - 1;
	uint64_t emask = (1ULL << dt->ebits) - 1;
	uint64_t f = bits & fmask, e = (bits >> dt->mbits) & emask;
	int neg = (bits >> (dt->ebits + dt->mbits)) & 1;
	double v;

	if (e == emask && dt->has_inf)
		v = f == 0 ? INFINITY : NAN;
	else if (e == emask && f == fmask && !dt->has_inf)
		v = NAN;	/* e4m3fn: the all-ones code alone is NaN */
	else if (e == 0)
		v = ldexp((double)f, 1 - bias - dt->mbits);
	else
		v = ldexp((double)(f | (fmask + 1)),
		    (int)e - bias - dt->mbits);
	return neg ? -v : v;
}

/*
 * Every value of each float of 16 bits or fewer (but BF16, which is a
 * shift away from float32), decoded once: a table look-up is some four
 * times faster than decoding by the layout, and F16 checkpoints hold
 * billions of values.  Built on first use, once for all threads, kept
 * for the process; without memory for one, decoding takes the slow way.
 */
#define NSL_ST_MAXDTYPES 32
static double *tables[NSL_ST_MAXDTYPES];
_Static_assert(sizeof(nsl_safetensors_dtypes) /
    sizeof(nsl_safetensors_dtypes[0]) <= NSL_ST_MAXDTYPES,
    "more dtypes than decoding tables");
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int
has_table(const struct nsl_safetensors_dtype *dt)
{
	return dt->kind == NSL_ST_FLOAT && dt->size <= 2 && dt->ebits != 8;
}

static void
build_tables(void)
{
	const struct nsl_safetensors_dtype *dt;
	size_t i, c, n;

	for (i = 0; i < nsl_safetensors_ndtypes && i < NSL_ST_MAXDTYPES;
	    i++) {
		dt = &nsl_safetensors_dtypes[i];
		if (!has_table(dt))
			continue;
		n = (size_t)1 << (8 * dt->size);
		if ((tables[i] = malloc(n * sizeof(double))) == NULL)
			continue;
		for (c = 0; c < n; c++)
			tables[i][c] = decode_small(dt, c);
	}
}

/* The table of a small float, or NULL. */
static const double *
small_table(const struct nsl_safetensors_dtype *dt)
{
	if (!has_table(dt))
		return NULL;
	pthread_once(&tables_once, build_tables);
	return tables[dt - nsl_safetensors_dtypes];
}

double
nsl_safetensors_decode(const struct nsl_safetensors_dtype *dt,
    const unsigned char *p)
{
	const double *tab = small_table(dt);
	uint64_t u = load_le(p, dt->size);
	uint32_t u32;
	float f;
	double d;

	switch (dt->kind) {
	case NSL_ST_BOOL:
		return u != 0;
	case NSL_ST_UINT:
		return (double)u;
	case NSL_ST_SINT:
		/* sign-extend from the element's width */
		if (dt->size < 8 && (u >> (dt->size * 8 - 1)) & 1)
			u |= ~0ULL << (dt->size * 8);
		return (double)(int64_t)u;
	case NSL_ST_FLOAT:
		break;
	}
	if (dt->size == 8) {
		memcpy(&d, &u, 8);
		return d;
	}
	if (tab != NULL)
		return tab[u];
	if (has_table(dt))
		return decode_small(dt, u);
	/* float32, or bfloat16: the top half of a float32 */
	u32 = (uint32_t)(dt->size == 4 ? u : u << 16);
	memcpy(&f, &u32, 4);
	return f;
}

/*
 * Round a (finite, >= 0) to the format's precision, nearest-even, with
 * the exponent unbounded above: the caller compares with max.  Scaling
 * by powers of two is exact, so rint does the one rounding.
 */
static double
round_small(const struct nsl_safetensors_dtype *dt, double a)
{
	int emin = 2 - (1 << (dt->ebits - 1)), e;

	if (a == 0)
		return 0;
	frexp(a, &e);
	e--;			/* a in [2^e, 2^(e+1)) */
	if (e < emin)
		e = emin;	/* subnormal: the quantum stops shrinking */
	return ldexp(rint(ldexp(a, dt->mbits - e)), e - dt->mbits);
}

/* The code of q, a value the format holds exactly (q >= 0). */
static uint64_t
code_small(const struct nsl_safetensors_dtype *dt, double q)
{
	int bias = (1 << (dt->ebits - 1)) - 1, emin = 1 - bias, e;
	uint64_t one = 1ULL << dt->mbits;

	if (q == 0)
		return 0;
	if (isinf(q))
		return ((1ULL << dt->ebits) - 1) << dt->mbits;
	frexp(q, &e);
	e--;
	if (e < emin)
		return (uint64_t)ldexp(q, dt->mbits - emin);
	return (uint64_t)(e + bias) << dt->mbits |
	    ((uint64_t)ldexp(q, dt->mbits - e) - one);
}

static int
encode_float(const struct nsl_safetensors_dtype *dt, double x, int saturate,
    uint64_t *bits)
{
	uint64_t sign = signbit(x) ? 1ULL << (dt->size * 8 - 1) : 0;
	uint64_t emask = (1ULL << dt->ebits) - 1;
	double a = fabs(x), q;
	uint32_t u32;
	float f;
	int rc = 0;

	if (dt->size == 8) {
		memcpy(bits, &x, 8);
		return 0;
	}
	if (dt->size == 4) {
		f = (float)x;
		if (isinf(f) && !isinf(x)) {
			if (!saturate)
				return -1;
			f = x < 0 ? -FLT_MAX : FLT_MAX;
			rc = 1;
		}
		memcpy(&u32, &f, 4);
		*bits = u32;
		return rc;
	}
	if (isnan(x)) {
		/* a quiet NaN; e4m3fn has one NaN code per sign */
		*bits = sign | emask << dt->mbits | (dt->has_inf ?
		    1ULL << (dt->mbits - 1) : (1ULL << dt->mbits) - 1);
		return 0;
	}
	if (isinf(a) && dt->has_inf) {
		*bits = sign | emask << dt->mbits;
		return 0;
	}
	q = isinf(a) ? a : round_small(dt, a);
	if (q > dt->max) {
		if (!saturate)
			return -1;
		q = dt->max;
		rc = 1;
	}
	*bits = sign | code_small(dt, q);
	return rc;
}

static int
encode_int(const struct nsl_safetensors_dtype *dt, double x, int saturate,
    uint64_t *bits)
{
	double r = rint(x);
	int rc = 0;

	if (isnan(x))
		return -1;
	/* 2^63 and 2^64 are exact doubles: compare with them, not max */
	if (dt->size == 8 ? (dt->kind == NSL_ST_SINT ?
	    r < -0x1p63 || r >= 0x1p63 : r < 0 || r >= 0x1p64) :
	    r < dt->min || r > dt->max) {
		if (!saturate)
			return -1;
		rc = 1;
		if (r < 0 && dt->kind == NSL_ST_SINT && dt->size == 8) {
			*bits = (uint64_t)INT64_MIN;
			return rc;
		}
		if (r > 0 && dt->size == 8) {
			*bits = dt->kind == NSL_ST_SINT ? (uint64_t)INT64_MAX :
			    UINT64_MAX;
			return rc;
		}
		r = r < 0 ? dt->min : dt->max;
	}
	if (dt->kind == NSL_ST_SINT)
		*bits = (uint64_t)(int64_t)r;
	else
		*bits = (uint64_t)r;
	return rc;
}

int
nsl_safetensors_encode(const struct nsl_safetensors_dtype *dt, double x,
    int saturate, unsigned char *p)
{
	uint64_t bits;
	int rc;

	if (dt->kind == NSL_ST_FLOAT)
		rc = encode_float(dt, x, saturate, &bits);
	else
		rc = encode_int(dt, x, saturate, &bits);
	if (rc >= 0)
		store_le(p, dt->size, bits);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading */

struct nsl_safetensors {
	char *name;
	unsigned char *map;
	size_t size;
	const unsigned char *data;	/* the buffer after the header */
	uint64_t dsize;
	struct nsl_safetensors_tensor *t;
	size_t n;
	uint64_t *dims;
	size_t ndims;
	size_t *by_name;		/* indices into t, by name */
	char **mkey, **mval;
	size_t nmeta;
	long page;
	size_t kept;		/* map offset before which pages were given
				   back (see drop_pages) */
};

/* The tensor's name, JSON-quoted and cut short, for messages. */
static const char *
qname(char *buf, size_t size, const char *name)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t n = strlen(name), k = n > 100 ? 100 : n;

	/* cut between characters, not inside one */
	while (k < n && k > 0 && ((unsigned char)name[k] & 0xC0) == 0x80)
		k--;
	nsl_json_string(&b, name, k);
	snprintf(buf, size, "%s%s", b.data ? b.data : "\"\"",
	    k < n ? "..." : "");
	nsl_buf_release(&b);
	return buf;
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/*
 * The header is scanned here rather than by nsl_rec_parse, whose check
 * for duplicate keys is quadratic (right for records of a few fields,
 * not for a header of 100000 tensors in 100 MB).  The scan splits
 * objects into members and finds where each value ends; every piece of
 * text that is used is then validated on its own (strings by jansson,
 * integer arrays by hand), and any other value is an error, so no
 * malformed JSON gets through.  Duplicates are found by sorting.
 */
struct member {
	const char *key;	/* the key's text with its quotes */
	size_t klen;
	const char *val;	/* the value's text */
	size_t vlen;
};

struct scan {
	const char *base;	/* the header's first byte (file byte 8) */
	const char *end;
	struct nsl_err *err;
};

/* Errors name the file byte, for a reader with a hex dump. */
static int
syntax(const struct scan *s, const char *p, const char *what)
{
	return nsl_err_set(s->err, NSL_EX_DATAERR,
	    "header: invalid JSON at byte %zu: %s",
	    (size_t)(p - s->base) + 8, what);
}

static const char *
skip_ws(const struct scan *s, const char *p)
{
	while (p < s->end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* p at '"': the byte after the closing quote, or NULL. */
static const char *
skip_string(const struct scan *s, const char *p)
{
	for (p++; p < s->end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value at p (checked later, when used), or NULL. */
static const char *
skip_value(const struct scan *s, const char *p)
{
	char stack[64];
	int depth = 0;
	const char *q;

	if (p >= s->end)
		return NULL;
	if (*p == '"')
		return skip_string(s, p);
	if (*p != '{' && *p != '[') {
		for (q = p; q < s->end && ((*q >= '0' && *q <= '9') ||
		    (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    *q == '+' || *q == '-' || *q == '.'); q++)
			;
		return q > p ? q : NULL;
	}
	for (; p < s->end; p++) {
		switch (*p) {
		case '"':
			if ((q = skip_string(s, p)) == NULL)
				return NULL;
			p = q - 1;
			break;
		case '{':
		case '[':
			if (depth == (int)sizeof(stack))
				return NULL;
			stack[depth++] = *p == '{' ? '}' : ']';
			break;
		case '}':
		case ']':
			if (depth == 0 || stack[--depth] != *p)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		}
	}
	return NULL;
}

/*
 * Split the object at p into members (*m, grown as needed); *after is
 * the byte after its '}'.  Values are delimited, not yet validated.
 */
static int
split_object(const struct scan *s, const char *p, struct member **m,
    size_t *n, size_t *cap, const char **after)
{
	struct member *nm;
	const char *q;
	size_t c;

	*n = 0;
	p = skip_ws(s, p + 1);
	if (p < s->end && *p == '}') {
		*after = p + 1;
		return 0;
	}
	for (;;) {
		if (p >= s->end || *p != '"')
			return syntax(s, p, "expected a string key");
		if ((q = skip_string(s, p)) == NULL)
			return syntax(s, p, "unterminated string");
		if (*n == *cap) {
			c = *cap ? 2 * *cap : 16;
			if ((nm = realloc(*m, c * sizeof(*nm))) == NULL)
				return oom(s->err);
			*m = nm;
			*cap = c;
		}
		(*m)[*n].key = p;
		(*m)[*n].klen = (size_t)(q - p);
		p = skip_ws(s, q);
		if (p >= s->end || *p != ':')
			return syntax(s, p, "expected ':'");
		p = skip_ws(s, p + 1);
		if ((q = skip_value(s, p)) == NULL)
			return syntax(s, p, "expected a value");
		(*m)[*n].val = p;
		(*m)[*n].vlen = (size_t)(q - p);
		(*n)++;
		p = skip_ws(s, q);
		if (p < s->end && *p == ',') {
			p = skip_ws(s, p + 1);
			continue;
		}
		if (p < s->end && *p == '}') {
			*after = p + 1;
			return 0;
		}
		return syntax(s, p, "expected ',' or '}'");
	}
}

/*
 * The JSON string at q (quotes included) as a new C string.  Plain
 * printable ASCII is copied; anything else goes through jansson, which
 * checks escapes and UTF-8.  U+0000 cannot be in a C string: refused.
 */
static char *
decode_string(const struct scan *s, const char *q, size_t n)
{
	json_error_t jerr;
	json_t *j;
	char *out;
	size_t i;

	for (i = 1; i + 1 < n; i++)
		if (q[i] == '\\' || (unsigned char)q[i] < 0x20 ||
		    (unsigned char)q[i] > 0x7e)
			break;
	if (i + 1 == n) {
		if ((out = strndup(q + 1, n - 2)) == NULL)
			oom(s->err);
		return out;
	}
	j = json_loadb(q, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (j == NULL || !json_is_string(j)) {
		json_decref(j);
		syntax(s, q, j == NULL ? jerr.text : "expected a string");
		return NULL;
	}
	if (strlen(json_string_value(j)) != json_string_length(j)) {
		json_decref(j);
		syntax(s, q, "a string holds a NUL character (\\u0000)");
		return NULL;
	}
	if ((out = strdup(json_string_value(j))) == NULL)
		oom(s->err);
	json_decref(j);
	return out;
}

/*
 * Read the JSON array v[0..vlen) of non-negative integers, appending
 * them to st->dims; *n gets the count.  Digits only: no sign, fraction
 * or exponent (serde's usize takes no other).
 */
static int
uint_array(struct nsl_safetensors *st, const struct scan *s, const char *v,
    size_t vlen, size_t *n, const char *what, const char *tensor)
{
	const char *p = v + 1, *end = v + vlen - 1, *tok;
	uint64_t x, *nd;
	int d, first = 1;

	*n = 0;
	if (vlen < 2 || v[0] != '[' || v[vlen - 1] != ']')
		return nsl_err_set(s->err, NSL_EX_DATAERR,
		    "tensor %s: %s: expected an array", tensor, what);
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if (p >= end && first)
			return 0;	/* [] */
		first = 0;
		tok = p;
		for (x = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			d = *p - '0';
			if (x > (UINT64_MAX - (uint64_t)d) / 10) {
				while (p < end && *p >= '0' && *p <= '9' &&
				    p - tok < 40)
					p++;
				return nsl_err_set(s->err, NSL_EX_DATAERR,
				    "tensor %s: %s: %.*s is too large", tensor,
				    what, (int)(p - tok), tok);
			}
			x = x * 10 + (uint64_t)d;
		}
		/* JSON has no leading zeros: "01" is not a number */
		if (p - tok > 1 && *tok == '0')
			p = tok;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if (p == tok || (p < end && *p != ',')) {
			for (p = tok; p < end && p - tok < 24 && *p != ',';
			    p++)
				;
			return nsl_err_set(s->err, NSL_EX_DATAERR,
			    "tensor %s: %s: expected a non-negative integer, "
			    "got %.*s", tensor, what, (int)(p - tok), tok);
		}
		if (st->ndims % 16 == 0) {
			nd = realloc(st->dims, (st->ndims + 16) * sizeof(*nd));
			if (nd == NULL)
				return oom(s->err);
			st->dims = nd;
		}
		st->dims[st->ndims++] = x;
		(*n)++;
		if (p >= end)
			return 0;
		p++;	/* the comma: an element must follow */
	}
}

static int
mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return 0;
	*out = a * b;
	return 1;
}

/* Print dims[0..n) as "[2, 3]" into buf. */
static const char *
dims_text(char *buf, size_t size, const uint64_t *dims, size_t n)
{
	size_t i, k = 0;

	k += (size_t)snprintf(buf + k, size - k, "[");
	for (i = 0; i < n && k < size; i++)
		k += (size_t)snprintf(buf + k, size - k, "%s%llu",
		    i > 0 ? ", " : "", (unsigned long long)dims[i]);
	if (k < size)
		snprintf(buf + k, size - k, "]");
	return buf;
}

/*
 * One tensor entry, value text v.  Fills t but its shape pointer, which
 * holds the index of the first dimension in st->dims until the array
 * stops moving.
 */
static int
parse_entry(struct nsl_safetensors *st, const struct scan *s,
    const struct member *tm, struct nsl_safetensors_tensor *t,
    const char *q, struct member **m, size_t *mcap)
{
	static const char *const keys[] = { "dtype", "shape", "data_offsets" };
	struct nsl_err *err = s->err;
	const struct member *at[3] = { NULL, NULL, NULL };
	const char *after;
	size_t first = st->ndims, ndim, noff, n, i, k;
	uint64_t nbytes, off[2];
	char sh[128], *key, *dt;

	if (tm->val[0] != '{')
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: expected an object", q);
	if (split_object(s, tm->val, m, &n, mcap, &after) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((key = decode_string(s, (*m)[i].key, (*m)[i].klen)) ==
		    NULL)
			return -1;
		for (k = 0; k < 3 && strcmp(key, keys[k]) != 0; k++)
			;
		if (k == 3 || at[k] != NULL) {
			nsl_err_set(err, NSL_EX_DATAERR, k == 3 ?
			    "tensor %s: unknown member \"%.40s\"" :
			    "tensor %s: \"%.40s\" given twice", q, key);
			free(key);
			return -1;
		}
		free(key);
		at[k] = &(*m)[i];
	}
	for (k = 0; k < 3; k++)
		if (at[k] == NULL)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "tensor %s: missing \"%s\"", q, keys[k]);
	if (at[0]->val[0] != '"')
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: dtype: expected a string", q);
	if ((dt = decode_string(s, at[0]->val, at[0]->vlen)) == NULL)
		return -1;
	if ((t->dtype = nsl_safetensors_dtype_find(dt)) == NULL) {
		nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: unknown dtype \"%.32s\"", q, dt);
		free(dt);
		return -1;
	}
	free(dt);
	if (uint_array(st, s, at[1]->val, at[1]->vlen, &ndim, "shape", q) !=
	    0 || uint_array(st, s, at[2]->val, at[2]->vlen, &noff,
	    "data_offsets", q) != 0)
		return -1;
	if (noff != 2)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: data_offsets: expected [begin, end], got %zu "
		    "numbers", q, noff);
	/* the offsets were appended after the shape: take them back */
	off[0] = st->dims[first + ndim];
	off[1] = st->dims[first + ndim + 1];
	st->ndims -= 2;
	t->ndim = (int)ndim;
	t->shape = (const uint64_t *)(uintptr_t)first;
	t->nelem = 1;
	for (k = 0; k < ndim; k++)
		if (!mul_ok(t->nelem, st->dims[first + k], &t->nelem))
			break;
	if (k < ndim || !mul_ok(t->nelem, t->dtype->size, &nbytes))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: shape %s of %s is too large", q,
		    dims_text(sh, sizeof(sh), st->dims + first, ndim),
		    t->dtype->name);
	t->ncols = ndim > 0 ? st->dims[first + ndim - 1] : 1;
	if (t->ncols > 0) {
		t->rows = t->nelem / t->ncols;
	} else {
		/* rows of no values: the product of the other sizes, which
		   may overflow though the element count is 0 */
		for (t->rows = 1, k = 0; k + 1 < ndim; k++)
			if (!mul_ok(t->rows, st->dims[first + k], &t->rows))
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "tensor %s: shape %s is too large", q,
				    dims_text(sh, sizeof(sh), st->dims + first,
				    ndim));
	}
	if (off[1] < off[0])
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: data_offsets [%llu, %llu] end before they "
		    "begin", q, (unsigned long long)off[0],
		    (unsigned long long)off[1]);
	if (off[1] > st->dsize)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: data_offsets [%llu, %llu] run past the end of "
		    "the data (%llu bytes)", q, (unsigned long long)off[0],
		    (unsigned long long)off[1],
		    (unsigned long long)st->dsize);
	if (off[1] - off[0] != nbytes)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: data_offsets [%llu, %llu] hold %llu bytes, "
		    "shape %s of %s needs %llu", q, (unsigned long long)off[0],
		    (unsigned long long)off[1],
		    (unsigned long long)(off[1] - off[0]),
		    dims_text(sh, sizeof(sh), st->dims + first, ndim),
		    t->dtype->name, (unsigned long long)nbytes);
	t->begin = off[0];
	t->end = off[1];
	return 0;
}

static int
by_string(const void *a, const void *b, void *arg)
{
	char *const *s = arg;

	return strcmp(s[*(const size_t *)a], s[*(const size_t *)b]);
}

static int
parse_meta(struct nsl_safetensors *st, const struct scan *s,
    const struct member *mm, struct member **m, size_t *mcap)
{
	struct nsl_err *err = s->err;
	const char *after;
	size_t n, i, *idx = NULL;
	int rc = -1;

	if (st->mkey != NULL)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "header: __metadata__ appears twice");
	if (mm->val[0] != '{')
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "__metadata__: expected an object");
	if (split_object(s, mm->val, m, &n, mcap, &after) != 0)
		return -1;
	if ((st->mkey = calloc(n + 1, sizeof(char *))) == NULL ||
	    (st->mval = calloc(n + 1, sizeof(char *))) == NULL ||
	    (idx = calloc(n + 1, sizeof(size_t))) == NULL) {
		oom(err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((st->mkey[i] = decode_string(s, (*m)[i].key,
		    (*m)[i].klen)) == NULL)
			goto out;
		st->nmeta = i + 1;
		if ((*m)[i].val[0] != '"') {
			nsl_err_set(err, NSL_EX_DATAERR,
			    "__metadata__: \"%.100s\": expected a string",
			    st->mkey[i]);
			goto out;
		}
		if ((st->mval[i] = decode_string(s, (*m)[i].val,
		    (*m)[i].vlen)) == NULL)
			goto out;
		idx[i] = i;
	}
	qsort_r(idx, n, sizeof(size_t), by_string, st->mkey);
	for (i = 1; i < n; i++)
		if (strcmp(st->mkey[idx[i]], st->mkey[idx[i - 1]]) == 0) {
			nsl_err_set(err, NSL_EX_DATAERR,
			    "__metadata__: key \"%.100s\" appears twice",
			    st->mkey[idx[i]]);
			goto out;
		}
	rc = 0;
out:
	free(idx);
	return rc;
}

static int
by_offset(const void *a, const void *b)
{
	const struct nsl_safetensors_tensor *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->header_index < y->header_index ? -1 :
	    x->header_index > y->header_index;
}

static int
by_name(const void *a, const void *b, void *arg)
{
	const struct nsl_safetensors_tensor *t = arg;

	return strcmp(t[*(const size_t *)a].name, t[*(const size_t *)b].name);
}

/* After sorting by offset: the tensors must tile [0, dsize) exactly. */
static int
check_tiling(const struct nsl_safetensors *st, struct nsl_err *err)
{
	uint64_t at = 0;
	size_t i;
	char q1[128], q2[128];

	for (i = 0; i < st->n; i++) {
		const struct nsl_safetensors_tensor *t = &st->t[i];

		if (t->begin > at)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "bytes [%llu, %llu) of the data belong to no "
			    "tensor (a hole before tensor %s)",
			    (unsigned long long)at,
			    (unsigned long long)t->begin,
			    qname(q1, sizeof(q1), t->name));
		if (t->begin < at)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "tensors %s and %s overlap (bytes [%llu, %llu) "
			    "and [%llu, %llu))",
			    qname(q1, sizeof(q1), st->t[i - 1].name),
			    qname(q2, sizeof(q2), t->name),
			    (unsigned long long)st->t[i - 1].begin,
			    (unsigned long long)st->t[i - 1].end,
			    (unsigned long long)t->begin,
			    (unsigned long long)t->end);
		at = t->end;
	}
	if (at != st->dsize)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bytes [%llu, %llu) at the end of the data belong to no "
		    "tensor", (unsigned long long)at,
		    (unsigned long long)st->dsize);
	return 0;
}

static int
parse_header(struct nsl_safetensors *st, const char *h, size_t hlen,
    struct nsl_err *err)
{
	struct scan s = { h, h + hlen, err };
	struct member *top = NULL, *inner = NULL;
	struct nsl_safetensors_tensor *t;
	size_t ntop, topcap = 0, icap = 0, i, k;
	const char *after;
	char *name, q[128];
	int rc = -1;

	if (hlen == 0 || h[0] != '{') {
		nsl_err_set(err, NSL_EX_DATAERR,
		    "header: expected a JSON object (the first byte is not "
		    "'{')");
		goto out;
	}
	if (split_object(&s, h, &top, &ntop, &topcap, &after) != 0)
		goto out;
	if ((after = skip_ws(&s, after)) < s.end) {
		syntax(&s, after, "unexpected text after the object");
		goto out;
	}
	if (ntop > 0 && (st->t = calloc(ntop, sizeof(*st->t))) == NULL) {
		oom(err);
		goto out;
	}
	for (i = 0; i < ntop; i++) {
		if ((name = decode_string(&s, top[i].key, top[i].klen)) ==
		    NULL)
			goto out;
		if (strcmp(name, "__metadata__") == 0) {
			free(name);
			if (parse_meta(st, &s, &top[i], &inner, &icap) != 0)
				goto out;
			continue;
		}
		t = &st->t[st->n++];
		t->name = name;
		t->header_index = i;
		if (parse_entry(st, &s, &top[i], t, qname(q, sizeof(q), name),
		    &inner, &icap) != 0)
			goto out;
	}
	for (i = 0; i < st->n; i++)
		st->t[i].shape = st->dims + (uintptr_t)st->t[i].shape;
	if (st->n > 0 &&
	    (st->by_name = malloc(st->n * sizeof(size_t))) == NULL) {
		oom(err);
		goto out;
	}
	for (k = 0; k < st->n; k++)
		st->by_name[k] = k;
	if (st->n > 0) {	/* qsort wants a pointer even for nothing */
		qsort(st->t, st->n, sizeof(*st->t), by_offset);
		qsort_r(st->by_name, st->n, sizeof(size_t), by_name, st->t);
	}
	for (k = 1; k < st->n; k++)
		if (strcmp(st->t[st->by_name[k]].name,
		    st->t[st->by_name[k - 1]].name) == 0) {
			nsl_err_set(err, NSL_EX_DATAERR,
			    "header: tensor %s appears twice", qname(q,
			    sizeof(q), st->t[st->by_name[k]].name));
			goto out;
		}
	if (check_tiling(st, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)	/* the shape pointers may still be indices */
		for (i = 0; i < st->n; i++)
			st->t[i].shape = NULL;
	free(top);
	free(inner);
	return rc;
}

void
nsl_safetensors_close(struct nsl_safetensors *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->map != NULL)
		munmap(st->map, st->size);
	for (i = 0; i < st->n; i++)
		free((char *)st->t[i].name);
	for (i = 0; i < st->nmeta; i++) {
		free(st->mkey[i]);
		free(st->mval[i]);
	}
	free(st->mkey);
	free(st->mval);
	free(st->t);
	free(st->dims);
	free(st->by_name);
	free(st->name);
	free(st);
}

struct nsl_safetensors *
nsl_safetensors_open(const char *path, struct nsl_err *err)
{
	struct nsl_safetensors *st;
	struct stat sb;
	uint64_t hlen;
	int fd = -1, stdin_ = path == NULL || strcmp(path, "-") == 0;

	nsl_err_clear(err);
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->name = strdup(stdin_ ? "<stdin>" : path)) == NULL) {
		free(st);
		oom(err);
		nsl_err_at(err, stdin_ ? "<stdin>" : path, 0);
		return NULL;
	}
	st->page = sysconf(_SC_PAGESIZE);
	if ((fd = stdin_ ? 0 : open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		nsl_err_set(err, NSL_EX_NOINPUT, "cannot open: %s",
		    strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) != 0) {
		nsl_err_set(err, NSL_EX_IOERR, "cannot stat: %s",
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		nsl_err_set(err, NSL_EX_NOINPUT, "not a regular file (a "
		    "safetensors file is mapped, so it cannot come from a "
		    "pipe)");
		goto fail;
	}
	if (sb.st_size < 8) {
		nsl_err_set(err, NSL_EX_DATAERR, "file too short: %lld "
		    "bytes, where the 8-byte header length should be",
		    (long long)sb.st_size);
		goto fail;
	}
	st->size = (size_t)sb.st_size;
	st->map = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (st->map == MAP_FAILED) {
		st->map = NULL;
		nsl_err_set(err, NSL_EX_IOERR, "cannot map: %s",
		    strerror(errno));
		goto fail;
	}
	if (!stdin_)
		close(fd);
	fd = -1;
	hlen = load_le(st->map, 8);
	if (hlen > NSL_SAFETENSORS_MAX_HEADER) {
		nsl_err_set(err, NSL_EX_DATAERR, "header length %llu exceeds "
		    "the format's limit of %llu bytes",
		    (unsigned long long)hlen, NSL_SAFETENSORS_MAX_HEADER);
		goto fail;
	}
	if (hlen > st->size - 8) {
		nsl_err_set(err, NSL_EX_DATAERR, "header length %llu runs "
		    "past the end of the file (%zu bytes)",
		    (unsigned long long)hlen, st->size);
		goto fail;
	}
	st->data = st->map + 8 + hlen;
	st->dsize = st->size - 8 - hlen;
	if (parse_header(st, (const char *)st->map + 8, (size_t)hlen,
	    err) != 0)
		goto fail;
	return st;
fail:
	if (fd >= 0 && !stdin_)
		close(fd);
	nsl_err_at(err, st->name, 0);
	nsl_safetensors_close(st);
	return NULL;
}

const char *
nsl_safetensors_name(const struct nsl_safetensors *st)
{
	return st->name;
}

size_t
nsl_safetensors_count(const struct nsl_safetensors *st)
{
	return st->n;
}

const struct nsl_safetensors_tensor *
nsl_safetensors_tensor(const struct nsl_safetensors *st, size_t i)
{
	return i < st->n ? &st->t[i] : NULL;
}

const struct nsl_safetensors_tensor *
nsl_safetensors_find(const struct nsl_safetensors *st, const char *name,
    struct nsl_err *err)
{
	size_t lo = 0, hi = st->n, mid;
	int c;
	char q[128];

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, st->t[st->by_name[mid]].name);
		if (c == 0)
			return &st->t[st->by_name[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (err != NULL) {
		nsl_err_set(err, NSL_EX_DATAERR, "no tensor %s",
		    qname(q, sizeof(q), name));
		nsl_err_at(err, st->name, 0);
	}
	return NULL;
}

size_t
nsl_safetensors_meta_count(const struct nsl_safetensors *st)
{
	return st->nmeta;
}

const char *
nsl_safetensors_meta_key(const struct nsl_safetensors *st, size_t i)
{
	return i < st->nmeta ? st->mkey[i] : NULL;
}

const char *
nsl_safetensors_meta_value(const struct nsl_safetensors *st, size_t i)
{
	return i < st->nmeta ? st->mval[i] : NULL;
}

const char *
nsl_safetensors_meta_get(const struct nsl_safetensors *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nmeta; i++)
		if (strcmp(st->mkey[i], key) == 0)
			return st->mval[i];
	return NULL;
}

const unsigned char *
nsl_safetensors_raw(const struct nsl_safetensors *st,
    const struct nsl_safetensors_tensor *t)
{
	return st->data + t->begin;
}

/*
 * Give back the pages of the map that reading has left behind, so the
 * process holds at most NSL_ST_RESIDENT bytes of the file however big
 * the tensor: at the end of a tensor all of it, and within one all
 * whole pages before the rows just read, once that is enough to bother.
 * Reading them again maps them again, so any order of reads is right.
 */
#define NSL_ST_RESIDENT ((size_t)16 << 20)

static void
drop_pages(struct nsl_safetensors *st, size_t from, size_t to)
{
	from -= from % (size_t)st->page;
	to -= to % (size_t)st->page;
	if (to > from)
		madvise(st->map + from, to - from, MADV_DONTNEED);
}

int
nsl_safetensors_read_rows(struct nsl_safetensors *st,
    const struct nsl_safetensors_tensor *t, uint64_t row, uint64_t nrows,
    double *out, struct nsl_err *err)
{
	const struct nsl_safetensors_dtype *dt = t->dtype;
	const unsigned char *p;
	const double *tab;
	uint64_t i, n;
	size_t base, from, at;
	uint32_t u;
	float f;

	if (row > t->rows || nrows > t->rows - row) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "rows [%llu, %llu) are not "
		    "in tensor of %llu rows", (unsigned long long)row,
		    (unsigned long long)(row + nrows),
		    (unsigned long long)t->rows);
		nsl_err_at(err, st->name, 0);
		return -1;
	}
	n = nrows * t->ncols;
	p = st->data + t->begin + row * t->ncols * dt->size;
	/* the common checkpoint dtypes without a call per element */
	if (dt->kind == NSL_ST_FLOAT && dt->size == 4) {
		for (i = 0; i < n; i++, p += 4) {
			u = (uint32_t)load_le(p, 4);
			memcpy(&f, &u, 4);
			out[i] = f;
		}
	} else if (dt->kind == NSL_ST_FLOAT && dt->ebits == 8) {
		for (i = 0; i < n; i++, p += 2) {
			u = (uint32_t)load_le(p, 2) << 16;
			memcpy(&f, &u, 4);
			out[i] = f;
		}
	} else if ((tab = small_table(dt)) != NULL && dt->size == 2) {
		for (i = 0; i < n; i++, p += 2)
			out[i] = tab[p[0] | p[1] << 8];
	} else if (tab != NULL) {
		for (i = 0; i < n; i++, p++)
			out[i] = tab[*p];
	} else {
		for (i = 0; i < n; i++, p += dt->size)
			out[i] = nsl_safetensors_decode(dt, p);
	}
	base = (size_t)(st->data - st->map);
	from = base + (size_t)t->begin;
	at = base + (size_t)(p - st->data) - n * dt->size;
	if (row + nrows == t->rows) {
		/* pages are floored: the tensor's last page may be the
		   next one's first */
		drop_pages(st, from, base + (size_t)t->end);
		st->kept = 0;
	} else if (at > st->kept + NSL_ST_RESIDENT || at < st->kept) {
		/* walk no page twice: start where the last drop ended */
		drop_pages(st, st->kept > from && st->kept < at ? st->kept :
		    from, at);
		st->kept = at;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing */

struct wtensor {
	char *name;
	const struct nsl_safetensors_dtype *dtype;
	int ndim;
	uint64_t *shape;
	uint64_t nelem, ncols, begin;
};

struct nsl_safetensors_writer {
	unsigned flags;
	struct wtensor *t;
	size_t n, cap;
	char **mkey, **mval;
	size_t nmeta, mcap;
	size_t *order;		/* file order: indices into t */
	size_t pos;		/* place in order of the tensor being written */
	uint64_t done;		/* bytes of it written */
	int begun;
	struct nsl_writer *out;
	FILE *fp;
	unsigned char *buf;
	size_t bufcap;
	uint64_t saturated;
};

struct nsl_safetensors_writer *
nsl_safetensors_writer_new(unsigned flags)
{
	struct nsl_safetensors_writer *w = calloc(1, sizeof(*w));

	if (w != NULL)
		w->flags = flags;
	return w;
}

void
nsl_safetensors_writer_free(struct nsl_safetensors_writer *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		free(w->t[i].name);
		free(w->t[i].shape);
	}
	for (i = 0; i < w->nmeta; i++) {
		free(w->mkey[i]);
		free(w->mval[i]);
	}
	free(w->t);
	free(w->mkey);
	free(w->mval);
	free(w->order);
	free(w->buf);
	free(w);
}

static int
misuse(struct nsl_err *err, const char *what)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "safetensors writer: %s",
	    what);
}

/* JSON text is UTF-8: names and metadata from the caller must be too. */
static int
utf8_ok(const char *s)
{
	return nsl_json_utf8_valid(s, strlen(s));
}

int
nsl_safetensors_writer_meta(struct nsl_safetensors_writer *w,
    const char *key, const char *value, struct nsl_err *err)
{
	size_t i, cap;
	char **k, **v;

	if (w->begun)
		return misuse(err, "metadata after the header");
	if (!utf8_ok(key) || !utf8_ok(value))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "__metadata__: keys and values must be valid UTF-8");
	for (i = 0; i < w->nmeta; i++)
		if (strcmp(w->mkey[i], key) == 0)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "__metadata__: key \"%.100s\" given twice", key);
	if (w->nmeta == w->mcap) {
		cap = w->mcap ? 2 * w->mcap : 8;
		if ((k = realloc(w->mkey, cap * sizeof(*k))) == NULL)
			return oom(err);
		w->mkey = k;
		if ((v = realloc(w->mval, cap * sizeof(*v))) == NULL)
			return oom(err);
		w->mval = v;
		w->mcap = cap;
	}
	if ((w->mkey[w->nmeta] = strdup(key)) == NULL)
		return oom(err);
	if ((w->mval[w->nmeta] = strdup(value)) == NULL) {
		free(w->mkey[w->nmeta]);
		return oom(err);
	}
	w->nmeta++;
	return 0;
}

long
nsl_safetensors_writer_add(struct nsl_safetensors_writer *w,
    const char *name, const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape, struct nsl_err *err)
{
	struct wtensor *t, *nt;
	uint64_t nbytes;
	size_t cap;
	int k;
	char q[128], sh[128];

	if (w->begun)
		return misuse(err, "a tensor declared after the header");
	if (strcmp(name, "__metadata__") == 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor \"__metadata__\": the name is the header's "
		    "metadata member");
	if (!utf8_ok(name))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: the name is not valid UTF-8",
		    qname(q, sizeof(q), name));
	if (ndim < 0)
		return misuse(err, "negative ndim");
	if (w->n == w->cap) {
		cap = w->cap ? 2 * w->cap : 16;
		if ((nt = realloc(w->t, cap * sizeof(*nt))) == NULL)
			return oom(err);
		w->t = nt;
		w->cap = cap;
	}
	t = &w->t[w->n];
	memset(t, 0, sizeof(*t));
	t->dtype = dtype;
	t->ndim = ndim;
	t->nelem = 1;
	for (k = 0; k < ndim; k++)
		if (!mul_ok(t->nelem, shape[k], &t->nelem))
			break;
	if (k < ndim || !mul_ok(t->nelem, dtype->size, &nbytes))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "tensor %s: shape %s of %s is too large",
		    qname(q, sizeof(q), name),
		    dims_text(sh, sizeof(sh), shape, (size_t)ndim),
		    dtype->name);
	t->ncols = ndim > 0 ? shape[ndim - 1] : 1;
	if ((t->name = strdup(name)) == NULL ||
	    (ndim > 0 && (t->shape = malloc((size_t)ndim * 8)) == NULL)) {
		free(t->name);
		return oom(err);
	}
	if (ndim > 0)
		memcpy(t->shape, shape, (size_t)ndim * 8);
	return (long)w->n++;
}

/* The reference writer's order: dtype alignment, largest first, then name. */
static int
file_order(const void *a, const void *b, void *arg)
{
	const struct wtensor *t = arg;
	const struct wtensor *x = &t[*(const size_t *)a];
	const struct wtensor *y = &t[*(const size_t *)b];

	if (x->dtype != y->dtype)
		return x->dtype > y->dtype ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
name_order(const void *a, const void *b, void *arg)
{
	const struct wtensor *t = arg;

	return strcmp(t[*(const size_t *)a].name, t[*(const size_t *)b].name);
}

static int
sink(struct nsl_safetensors_writer *w, const void *p, size_t n,
    struct nsl_err *err)
{
	if (w->out != NULL)
		return nsl_writer_write(w->out, p, n, err);
	if (n > 0 && fwrite(p, 1, n, w->fp) != n)
		return nsl_err_set(err, NSL_EX_IOERR, "write error: %s",
		    strerror(errno));
	return 0;
}

/* Skip the tensors that hold no bytes: they are complete as declared. */
static void
skip_empty(struct nsl_safetensors_writer *w)
{
	while (w->pos < w->n && w->t[w->order[w->pos]].nelem == 0)
		w->pos++;
}

static int
begin(struct nsl_safetensors_writer *w, struct nsl_err *err)
{
	struct nsl_buf h = NSL_BUF_INIT;
	unsigned char len[8];
	uint64_t off = 0;
	size_t i;
	int k, rc = -1;
	char q[128];

	if (w->begun)
		return misuse(err, "begun twice");
	w->begun = 1;
	if (w->n > 0 && (w->order = malloc(w->n * sizeof(size_t))) == NULL)
		return oom(err);
	for (i = 0; i < w->n; i++)
		w->order[i] = i;
	if (w->n > 0)
		qsort_r(w->order, w->n, sizeof(size_t), name_order, w->t);
	for (i = 1; i < w->n; i++)
		if (strcmp(w->t[w->order[i]].name,
		    w->t[w->order[i - 1]].name) == 0)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "tensor %s: declared twice",
			    qname(q, sizeof(q), w->t[w->order[i]].name));
	if (w->n > 0)
		qsort_r(w->order, w->n, sizeof(size_t), file_order, w->t);

	/* compact JSON, as serde_json writes it */
	nsl_buf_addc(&h, '{');
	if (w->nmeta > 0) {
		nsl_buf_adds(&h, "\"__metadata__\":{");
		for (i = 0; i < w->nmeta; i++) {
			if (i > 0)
				nsl_buf_addc(&h, ',');
			nsl_json_string(&h, w->mkey[i], strlen(w->mkey[i]));
			nsl_buf_addc(&h, ':');
			nsl_json_string(&h, w->mval[i], strlen(w->mval[i]));
		}
		nsl_buf_addc(&h, '}');
	}
	for (i = 0; i < w->n; i++) {
		struct wtensor *t = &w->t[w->order[i]];

		if (i > 0 || w->nmeta > 0)
			nsl_buf_addc(&h, ',');
		nsl_json_string(&h, t->name, strlen(t->name));
		nsl_buf_addf(&h, ":{\"dtype\":\"%s\",\"shape\":[",
		    t->dtype->name);
		for (k = 0; k < t->ndim; k++)
			nsl_buf_addf(&h, "%s%llu", k > 0 ? "," : "",
			    (unsigned long long)t->shape[k]);
		t->begin = off;
		off += t->nelem * t->dtype->size;
		nsl_buf_addf(&h, "],\"data_offsets\":[%llu,%llu]}",
		    (unsigned long long)t->begin, (unsigned long long)off);
	}
	nsl_buf_addc(&h, '}');
	while (h.len % 8 != 0)
		nsl_buf_addc(&h, ' ');
	if (nsl_buf_failed(&h)) {
		oom(err);
		goto out;
	}
	if (h.len > NSL_SAFETENSORS_MAX_HEADER) {
		nsl_err_set(err, NSL_EX_DATAERR, "header of %zu bytes exceeds "
		    "the format's limit of %llu", h.len,
		    NSL_SAFETENSORS_MAX_HEADER);
		goto out;
	}
	store_le(len, 8, h.len);
	if (sink(w, len, 8, err) != 0 || sink(w, h.data, h.len, err) != 0)
		goto out;
	skip_empty(w);
	rc = 0;
out:
	nsl_buf_release(&h);
	return rc;
}

int
nsl_safetensors_writer_begin(struct nsl_safetensors_writer *w,
    struct nsl_writer *out, struct nsl_err *err)
{
	w->out = out;
	return begin(w, err);
}

int
nsl_safetensors_writer_begin_file(struct nsl_safetensors_writer *w,
    FILE *fp, struct nsl_err *err)
{
	w->fp = fp;
	return begin(w, err);
}

long
nsl_safetensors_writer_next(const struct nsl_safetensors_writer *w)
{
	if (!w->begun || w->pos >= w->n)
		return -1;
	return (long)w->order[w->pos];
}

/* Account for n bytes written to the current tensor; move on when full. */
static void
advance(struct nsl_safetensors_writer *w, uint64_t n)
{
	const struct wtensor *t = &w->t[w->order[w->pos]];

	w->done += n;
	if (w->done == t->nelem * t->dtype->size) {
		w->done = 0;
		w->pos++;
		skip_empty(w);
	}
}

int
nsl_safetensors_writer_rows(struct nsl_safetensors_writer *w,
    const double *x, uint64_t nrows, struct nsl_err *err)
{
	const struct wtensor *t;
	const struct nsl_safetensors_dtype *dt;
	uint64_t n, i, at;
	size_t need;
	unsigned char *nb;
	int rc;
	char q[128];

	if (!w->begun || w->pos >= w->n)
		return nrows == 0 ? 0 : misuse(err, "rows beyond the last "
		    "tensor");
	t = &w->t[w->order[w->pos]];
	dt = t->dtype;
	n = nrows * t->ncols;
	if (w->done % dt->size != 0 ||
	    n > (t->nelem * dt->size - w->done) / dt->size)
		return misuse(err, "rows beyond the tensor's");
	need = (size_t)(t->ncols * dt->size);
	if (need > w->bufcap) {
		if ((nb = realloc(w->buf, need)) == NULL)
			return oom(err);
		w->buf = nb;
		w->bufcap = need;
	}
	for (at = 0; at < nrows; at++) {
		for (i = 0; i < t->ncols; i++) {
			rc = nsl_safetensors_encode(dt, x[at * t->ncols + i],
			    (w->flags & NSL_ST_SATURATE) != 0,
			    w->buf + i * dt->size);
			if (rc > 0)
				w->saturated++;
			if (rc < 0 && isnan(x[at * t->ncols + i]))
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "tensor %s: row %llu: NaN cannot be "
				    "stored as %s", qname(q, sizeof(q),
				    t->name), (unsigned long long)(w->done /
				    dt->size / t->ncols), dt->name);
			if (rc < 0)
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "tensor %s: row %llu: value %.17g is out "
				    "of the range of %s [%.17g, %.17g]",
				    qname(q, sizeof(q), t->name),
				    (unsigned long long)(w->done / dt->size /
				    t->ncols), x[at * t->ncols + i], dt->name,
				    dt->min, dt->max);
		}
		if (sink(w, w->buf, need, err) != 0)
			return -1;
		advance(w, need);
	}
	return 0;
}

int
nsl_safetensors_writer_raw(struct nsl_safetensors_writer *w, const void *p,
    size_t n, struct nsl_err *err)
{
	const struct wtensor *t;

	if (!w->begun || w->pos >= w->n)
		return n == 0 ? 0 : misuse(err, "bytes beyond the last tensor");
	t = &w->t[w->order[w->pos]];
	if (n > t->nelem * t->dtype->size - w->done)
		return misuse(err, "bytes beyond the tensor's");
	if (sink(w, p, n, err) != 0)
		return -1;
	if (n > 0)
		advance(w, n);
	return 0;
}

int
nsl_safetensors_writer_finish(struct nsl_safetensors_writer *w,
    struct nsl_err *err)
{
	char q[128];

	if (!w->begun)
		return misuse(err, "finished before the header");
	if (w->pos < w->n)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "tensor %s: "
		    "incomplete (%llu of %llu bytes written)",
		    qname(q, sizeof(q), w->t[w->order[w->pos]].name),
		    (unsigned long long)w->done,
		    (unsigned long long)(w->t[w->order[w->pos]].nelem *
		    w->t[w->order[w->pos]].dtype->size));
	if (w->fp != NULL && fflush(w->fp) != 0)
		return nsl_err_set(err, NSL_EX_IOERR, "write error: %s",
		    strerror(errno));
	return 0;
}

uint64_t
nsl_safetensors_writer_saturated(const struct nsl_safetensors_writer *w)
{
	return w->saturated;
}

/* ------------------------------------------------------------------ */
/* Error statistics */

/* Neumaier's compensated sum: s + c is the sum, c the lost low part. */
static void
sum_add(double *s, double *c, double v)
{
	double t = *s + v;

	if (fabs(*s) >= fabs(v))
		*c += (*s - t) + v;
	else
		*c += (v - t) + *s;
	*s = t;
}

void
nsl_safetensors_stats_init(struct nsl_safetensors_stats *s)
{
	memset(s, 0, sizeof(*s));
}

void
nsl_safetensors_stats_add(struct nsl_safetensors_stats *s, const double *x,
    const double *q, size_t n, double limit)
{
	double d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(q[i])) {
			s->nonfinite++;
			continue;
		}
		d = fabs(x[i] - q[i]);
		s->n++;
		sum_add(&s->sum_sq, &s->sum_sq_c, x[i] * x[i]);
		sum_add(&s->err_sq, &s->err_sq_c, d * d);
		if (d > s->max_abs_error)
			s->max_abs_error = d;
		if (fabs(x[i]) > limit)
			s->saturated++;
		if (x[i] != 0 && q[i] == 0)
			s->flushed++;
	}
}

void
nsl_safetensors_stats_merge(struct nsl_safetensors_stats *s,
    const struct nsl_safetensors_stats *o)
{
	s->n += o->n;
	s->saturated += o->saturated;
	s->flushed += o->flushed;
	s->nonfinite += o->nonfinite;
	if (o->max_abs_error > s->max_abs_error)
		s->max_abs_error = o->max_abs_error;
	sum_add(&s->sum_sq, &s->sum_sq_c, o->sum_sq);
	s->sum_sq_c += o->sum_sq_c;
	sum_add(&s->err_sq, &s->err_sq_c, o->err_sq);
	s->err_sq_c += o->err_sq_c;
}

void
nsl_safetensors_stats_summary(const struct nsl_safetensors_stats *s,
    struct nsl_safetensors_summary *m)
{
	double sig = s->sum_sq + s->sum_sq_c, e = s->err_sq + s->err_sq_c;

	m->n = s->n;
	m->nonfinite = s->nonfinite;
	if (s->n == 0) {
		m->mse = m->max_abs_error = NAN;
		m->sqnr_db = INFINITY;
		m->saturated = m->flushed = 0;
		return;
	}
	m->mse = e / (double)s->n;
	m->max_abs_error = s->max_abs_error;
	if (e == 0)		/* no noise, also for an all-zero x */
		m->sqnr_db = INFINITY;
	else if (sig == 0)
		m->sqnr_db = -INFINITY;
	else
		m->sqnr_db = 10 * log10(sig / e);
	m->saturated = (double)s->saturated / (double)s->n;
	m->flushed = (double)s->flushed / (double)s->n;
}

static void
num_or_null(struct nsl_obj *o, const char *key, double v)
{
	nsl_obj_key(o, key);
	nsl_obj_number_or_null(o, v);
}

void
nsl_safetensors_info_write(struct nsl_obj *o, const char *name,
    const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape)
{
	char num[32];
	int k;

	nsl_obj_key(o, "tensor");
	nsl_obj_string(o, name);
	nsl_obj_key(o, "dtype");
	nsl_obj_string(o, dtype->name);
	nsl_obj_key(o, "shape");
	nsl_obj_raw(o, "[", 1);
	for (k = 0; k < ndim; k++) {
		snprintf(num, sizeof(num), "%s%llu", k > 0 ? "," : "",
		    (unsigned long long)shape[k]);
		nsl_obj_raw(o, num, strlen(num));
	}
	nsl_obj_raw(o, "]", 1);
}

void
nsl_safetensors_row_write(struct nsl_obj *o, const char *name, uint64_t row,
    const char *field, const double *x, size_t n)
{
	nsl_obj_key(o, "tensor");
	nsl_obj_string(o, name);
	nsl_obj_key(o, "row");
	nsl_obj_integer(o, (long long)row);
	nsl_obj_key(o, field);
	nsl_obj_vector(o, x, n);
}

void
nsl_safetensors_stats_write(struct nsl_obj *o, const char *name,
    const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape, const struct nsl_safetensors_summary *m)
{
	nsl_safetensors_info_write(o, name, dtype, ndim, shape);
	nsl_obj_key(o, "n");
	nsl_obj_integer(o, (long long)m->n);
	num_or_null(o, "mse", m->mse);
	num_or_null(o, "sqnr_db", m->sqnr_db);
	num_or_null(o, "max_abs_error", m->max_abs_error);
	nsl_obj_key(o, "saturated");
	nsl_obj_number(o, m->saturated);
	nsl_obj_key(o, "flushed");
	nsl_obj_number(o, m->flushed);
	nsl_obj_key(o, "nonfinite");
	nsl_obj_integer(o, (long long)m->nonfinite);
}

/* A number member (null gives NaN when nullable), by name. */
static int
rec_num(const struct nsl_rec *r, const char *key, int nullable, double *v,
    struct nsl_err *err)
{
	long i = nsl_rec_require(r, key, err);

	if (i < 0)
		return -1;
	if (nullable && r->fields[i].type == NSL_JSON_NULL) {
		*v = NAN;
		return 0;
	}
	return nsl_rec_number(r, (size_t)i, v, err);
}

static int
rec_count(const struct nsl_rec *r, const char *key, uint64_t *v,
    struct nsl_err *err)
{
	double d;

	if (rec_num(r, key, 0, &d, err) != 0)
		return -1;
	if (d < 0 || d != floor(d) || d >= 0x1p64)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "field \"%s\": expected a count", key);
	*v = (uint64_t)d;
	return 0;
}

int
nsl_safetensors_info_parse(const struct nsl_rec *r, struct nsl_buf *name,
    const struct nsl_safetensors_dtype **dtype, int *ndim, uint64_t *shape,
    int maxdim, struct nsl_err *err)
{
	struct nsl_buf dt = NSL_BUF_INIT;
	json_t *a = NULL, *v;
	size_t k;
	long i;
	int rc = -1;

	nsl_buf_reset(name);
	if ((i = nsl_rec_require(r, "tensor", err)) < 0 ||
	    nsl_rec_string(r, (size_t)i, name, err) != 0)
		goto out;
	if ((i = nsl_rec_require(r, "dtype", err)) < 0 ||
	    nsl_rec_string(r, (size_t)i, &dt, err) != 0)
		goto out;
	if ((*dtype = nsl_safetensors_dtype_find(dt.data ? dt.data : ""))
	    == NULL) {
		nsl_err_set(err, NSL_EX_DATAERR,
		    "field \"dtype\": unknown dtype \"%.32s\"",
		    dt.data ? dt.data : "");
		goto out;
	}
	if ((i = nsl_rec_require(r, "shape", err)) < 0 ||
	    (a = nsl_rec_json(r, (size_t)i, err)) == NULL)
		goto out;
	if (!json_is_array(a) || json_array_size(a) > (size_t)maxdim) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"shape\": expected "
		    "an array of at most %d sizes", maxdim);
		goto out;
	}
	json_array_foreach(a, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"shape\": "
			    "expected non-negative integers");
			goto out;
		}
		shape[k] = (uint64_t)json_integer_value(v);
	}
	*ndim = (int)json_array_size(a);
	rc = 0;
out:
	json_decref(a);
	nsl_buf_release(&dt);
	return rc;
}

int
nsl_safetensors_row_parse(const struct nsl_rec *r, struct nsl_buf *name,
    uint64_t *row, const char *field, double **x, size_t *n, size_t *cap,
    struct nsl_err *err)
{
	long i;

	nsl_buf_reset(name);
	if ((i = nsl_rec_require(r, "tensor", err)) < 0 ||
	    nsl_rec_string(r, (size_t)i, name, err) != 0 ||
	    rec_count(r, "row", row, err) != 0 ||
	    (i = nsl_rec_require(r, field, err)) < 0)
		return -1;
	return nsl_rec_vector(r, (size_t)i, x, n, cap, err);
}

int
nsl_safetensors_stats_parse(const struct nsl_rec *r, struct nsl_buf *name,
    const struct nsl_safetensors_dtype **dtype, int *ndim, uint64_t *shape,
    int maxdim, struct nsl_safetensors_summary *m, struct nsl_err *err)
{
	if (nsl_safetensors_info_parse(r, name, dtype, ndim, shape, maxdim,
	    err) != 0)
		return -1;
	if (rec_count(r, "n", &m->n, err) != 0 ||
	    rec_num(r, "mse", 1, &m->mse, err) != 0 ||
	    rec_num(r, "sqnr_db", 1, &m->sqnr_db, err) != 0 ||
	    rec_num(r, "max_abs_error", 1, &m->max_abs_error, err) != 0 ||
	    rec_num(r, "saturated", 0, &m->saturated, err) != 0 ||
	    rec_num(r, "flushed", 0, &m->flushed, err) != 0 ||
	    rec_count(r, "nonfinite", &m->nonfinite, err) != 0)
		return -1;
	/* JSON has no infinity: the writer put null, mse tells which */
	if (isnan(m->sqnr_db))
		m->sqnr_db = m->n == 0 || m->mse == 0 ? INFINITY : -INFINITY;
	return 0;
}
