/*
 * npy.c - NumPy .npy arrays (see nsl/npy.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/npy.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define ARRAY_ALIGN 64
/* numpy leaves room to grow the first axis in place up to this many digits */
#define GROWTH_AXIS_MAX_DIGITS 21
/* numpy refuses headers past 10000 bytes unless told; we allow more */
#define MAX_HEADER ((size_t)1 << 24)

/*
 * The header dict, as a tiny Python-literal scanner: just enough for
 * strings, True/False and tuples of integers, which is all numpy writes.
 */
struct scan {
	const char *p;
	const char *end;
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
accept(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

/* A quoted string without escapes into out (NUL-terminated). */
static int
scan_string(struct scan *s, char *out, size_t size)
{
	char q;
	size_t n = 0;

	skip_ws(s);
	if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
		return -1;
	q = *s->p++;
	while (s->p < s->end && *s->p != q) {
		if (*s->p == '\\' || n + 1 >= size)
			return -1;
		out[n++] = *s->p++;
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	out[n] = '\0';
	return 0;
}

static int
scan_word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	skip_ws(s);
	if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
		s->p += n;
		return 1;
	}
	return 0;
}

static int
scan_shape(struct nsl_npy *a, struct scan *s, struct nsl_err *err)
{
	uint64_t v;
	int d;

	if (!accept(s, '('))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bad .npy header: shape is not a tuple");
	a->ndim = 0;
	for (;;) {
		if (accept(s, ')'))
			return 0;
		skip_ws(s);
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			break;
		v = 0;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			d = *s->p++ - '0';
			if (v > (UINT64_MAX - (uint64_t)d) / 10)
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "bad .npy header: dimension too large");
			v = v * 10 + (uint64_t)d;
		}
		if (s->p < s->end && *s->p == 'L')	/* Python 2 long */
			s->p++;
		if (a->ndim == NSL_NPY_MAXDIM)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "bad .npy header: more than %d dimensions",
			    NSL_NPY_MAXDIM);
		a->shape[a->ndim++] = v;
		if (accept(s, ')'))
			return 0;
		if (!accept(s, ','))
			break;
	}
	return nsl_err_set(err, NSL_EX_DATAERR,
	    "bad .npy header: malformed shape");
}

/* "<f8" and friends: byte order, kind, size. */
static int
parse_descr(struct nsl_npy *a, struct nsl_err *err)
{
	const char *d = a->descr;
	char order = '=';
	char *end;
	long size;

	if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
		order = *d++;
	a->kind = *d++;
	errno = 0;
	size = strtol(d, &end, 10);
	if (end == d || *end != '\0' || errno != 0)
		goto bad;
	switch (a->kind) {
	case 'f':
		if (size != 4 && size != 8)
			goto bad;
		break;
	case 'i':
	case 'u':
		if (size != 1 && size != 2 && size != 4 && size != 8)
			goto bad;
		break;
	case 'b':
		if (size != 1)
			goto bad;
		break;
	default:
		goto bad;
	}
	a->itemsize = (int)size;
	/* '=' and '|' mean the writer's own order: assume little-endian,
	 * as on every machine numpy runs on in practice */
	a->big = order == '>';
	return 0;
bad:
	return nsl_err_set(err, NSL_EX_DATAERR,
	    "unsupported dtype '%s' (expected float32, float64, an integer "
	    "or bool dtype)", a->descr);
}

int
nsl_npy_parse_header(struct nsl_npy *a, const char *text, size_t len,
    struct nsl_err *err)
{
	struct scan s = { text, text + len };
	char key[32];
	int have_descr = 0, have_order = 0, have_shape = 0;
	uint64_t n;
	int i;

	if (!accept(&s, '{'))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bad .npy header: not a dict");
	while (!accept(&s, '}')) {
		if (scan_string(&s, key, sizeof(key)) != 0 || !accept(&s, ':'))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "bad .npy header: expected a quoted key");
		if (strcmp(key, "descr") == 0) {
			skip_ws(&s);
			if (s.p < s.end && *s.p == '[')
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "structured dtypes are not supported");
			if (scan_string(&s, a->descr, sizeof(a->descr)) != 0)
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "bad .npy header: malformed descr");
			have_descr = 1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (scan_word(&s, "True"))
				a->fortran = 1;
			else if (scan_word(&s, "False"))
				a->fortran = 0;
			else
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "bad .npy header: fortran_order is not "
				    "True or False");
			have_order = 1;
		} else if (strcmp(key, "shape") == 0) {
			if (scan_shape(a, &s, err) != 0)
				return -1;
			have_shape = 1;
		} else
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "bad .npy header: unknown key '%s'", key);
		if (!accept(&s, ',')) {
			if (accept(&s, '}'))
				break;
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "bad .npy header: expected ',' or '}'");
		}
	}
	skip_ws(&s);
	if (s.p != s.end)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bad .npy header: text after the dict");
	if (!have_descr || !have_order || !have_shape)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bad .npy header: missing '%s'", !have_descr ? "descr" :
		    !have_order ? "fortran_order" : "shape");
	if (parse_descr(a, err) != 0)
		return -1;
	if (a->ndim == 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "0-d array (a single value) is not supported");
	a->rows = a->shape[0];
	a->ncols = 1;
	for (i = 1; i < a->ndim; i++) {
		if (a->shape[i] != 0 && a->ncols > UINT64_MAX / a->shape[i])
			goto toolarge;
		a->ncols *= a->shape[i];
	}
	/* every byte count must fit, so that later products cannot wrap */
	n = a->ncols * (uint64_t)a->itemsize;
	if (a->ncols > UINT64_MAX / (uint64_t)a->itemsize ||
	    n > SIZE_MAX / 2 || (a->rows != 0 && n > UINT64_MAX / a->rows))
		goto toolarge;
	return 0;
toolarge:
	return nsl_err_set(err, NSL_EX_DATAERR, "array shape too large");
}

int
nsl_npy_open(struct nsl_npy *a, struct nsl_reader *r, struct nsl_err *err)
{
	unsigned char pre[MAGIC_LEN + 2 + 4];
	size_t lenbytes;
	uint64_t hlen;
	char *text;
	long got;

	memset(a, 0, sizeof(*a));
	nsl_err_at(err, nsl_reader_name(r), 0);
	got = nsl_reader_read(r, pre, MAGIC_LEN + 2, err);
	if (got < 0) {
		nsl_err_at(err, nsl_reader_name(r), 0);
		return -1;
	}
	if (got < MAGIC_LEN || memcmp(pre, MAGIC, MAGIC_LEN) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "not a .npy file (no \\x93NUMPY magic)");
	if (got < MAGIC_LEN + 2)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "truncated file: no .npy version");
	if (pre[6] < 1 || pre[6] > 3)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "unsupported .npy format version %d.%d", pre[6], pre[7]);
	lenbytes = pre[6] == 1 ? 2 : 4;
	if (nsl_reader_read_exact(r, pre + 8, lenbytes, 8, "header length", err) != 0)
		return -1;
	hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
	if (lenbytes == 4)
		hlen |= (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
	if (hlen > MAX_HEADER)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "bad .npy header: %" PRIu64 " bytes long", hlen);
	if ((text = malloc(hlen + 1)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_reader_read_exact(r, text, hlen, 8 + lenbytes, "header", err) != 0) {
		free(text);
		return -1;
	}
	a->data_offset = 8 + lenbytes + hlen;
	if (nsl_npy_parse_header(a, text, hlen, err) != 0) {
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* n bytes as an unsigned integer, in the file's byte order. */
static uint64_t
load_uint(const unsigned char *p, int n, int big)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < n; i++)
		u = u << 8 | p[big ? i : n - 1 - i];
	return u;
}

/*
 * One element as a double and, for integral kinds, as an exact integer.
 * Returns -1 when *iv was asked for and cannot hold the value.
 */
static int
decode(const struct nsl_npy *a, const unsigned char *p, double *v,
    long long *iv)
{
	int n = a->itemsize;
	uint64_t u = load_uint(p, n, a->big), mask;
	uint32_t w;
	int64_t s;
	float f;

	switch (a->kind) {
	case 'f':
		if (n == 4) {
			w = (uint32_t)u;
			memcpy(&f, &w, 4);
			*v = f;
		} else
			memcpy(v, &u, 8);
		return 0;
	case 'b':
		u = u != 0;
		/* FALLTHROUGH */
	case 'u':
		*v = (double)u;
		if (iv != NULL) {
			if (u > INT64_MAX)
				return -1;
			*iv = (long long)u;
		}
		return 0;
	default:
		/* sign-extend without relying on conversions of big values */
		mask = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
		if (u >> (8 * n - 1))
			s = -(int64_t)(~u & mask) - 1;
		else
			s = (int64_t)u;
		*v = (double)s;
		if (iv != NULL)
			*iv = s;
		return 0;
	}
}

static int
grow_raw(struct nsl_npy *a, size_t n, struct nsl_err *err)
{
	unsigned char *p;

	if (n <= a->rawcap)
		return 0;
	if ((p = realloc(a->raw, n)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "out of memory for %zu bytes of array data", n);
	a->raw = p;
	a->rawcap = n;
	return 0;
}

/* After the last row: anything more is not part of the array. */
static int
check_end(struct nsl_npy *a, struct nsl_reader *r, struct nsl_err *err)
{
	unsigned char c;
	long got;

	got = nsl_reader_read(r, &c, 1, err);
	if (got < 0) {
		nsl_err_at(err, nsl_reader_name(r), 0);
		return -1;
	}
	if (got > 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "unexpected data after the array at byte %" PRIu64,
		    a->data_offset + a->rows * a->ncols *
		    (uint64_t)a->itemsize);
	return 0;
}

/* Fortran order: read everything, numpy having stored it column-wise. */
static int
load_all(struct nsl_npy *a, struct nsl_reader *r, struct nsl_err *err)
{
	uint64_t total = a->rows * a->ncols * (uint64_t)a->itemsize;
	char what[64];

	if (total > SIZE_MAX)
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "array too large to load");
	if (grow_raw(a, (size_t)total, err) != 0)
		return -1;
	snprintf(what, sizeof(what), "%" PRIu64 " rows expected", a->rows);
	if (nsl_reader_read_exact(r, a->raw, (size_t)total, a->data_offset, what,
	    err) != 0)
		return -1;
	a->loaded = 1;
	return 0;
}

/* Offset, in elements, of (row, j) where j is the C-order column. */
static uint64_t
fortran_index(const struct nsl_npy *a, uint64_t row, uint64_t j)
{
	uint64_t off = row, stride = a->shape[0], idx;
	int k;

	if (a->ndim == 2)
		return row + a->shape[0] * j;
	/* column j in C order is (i1, ..., ik); Fortran strides grow
	 * from the first axis */
	for (k = 1; k < a->ndim; k++) {
		uint64_t below = 1;
		int m;

		for (m = k + 1; m < a->ndim; m++)
			below *= a->shape[m];
		idx = below ? (j / below) % a->shape[k] : 0;
		off += stride * idx;
		stride *= a->shape[k];
	}
	return off;
}

int
nsl_npy_next(struct nsl_npy *a, struct nsl_reader *r, double *out,
    long long *iout, struct nsl_err *err)
{
	size_t rowbytes = (size_t)(a->ncols * (uint64_t)a->itemsize);
	const unsigned char *p;
	long long *ip;
	uint64_t j;
	char what[64];

	nsl_err_at(err, nsl_reader_name(r), 0);
	if (a->kind == 'f')
		iout = NULL;
	if (a->row == a->rows) {
		if (!a->ended && check_end(a, r, err) != 0)
			return -1;
		a->ended = 1;
		return 0;
	}
	if (a->fortran && a->ndim > 1) {
		if (!a->loaded && load_all(a, r, err) != 0)
			return -1;
		for (j = 0; j < a->ncols; j++) {
			p = a->raw + fortran_index(a, a->row, j) *
			    (uint64_t)a->itemsize;
			ip = iout != NULL ? &iout[j] : NULL;
			if (decode(a, p, &out[j], ip) != 0)
				goto range;
		}
	} else {
		if (grow_raw(a, rowbytes ? rowbytes : 1, err) != 0)
			return -1;
		snprintf(what, sizeof(what), "row %" PRIu64 " of %" PRIu64,
		    a->row, a->rows);
		if (nsl_reader_read_exact(r, a->raw, rowbytes, a->data_offset + a->row *
		    (uint64_t)rowbytes, what, err) != 0)
			return -1;
		for (j = 0, p = a->raw; j < a->ncols; j++, p += a->itemsize) {
			ip = iout != NULL ? &iout[j] : NULL;
			if (decode(a, p, &out[j], ip) != 0)
				goto range;
		}
	}
	a->row++;
	return 1;
range:
	return nsl_err_set(err, NSL_EX_DATAERR,
	    "row %" PRIu64 ": value %.17g does not fit a signed 64-bit integer",
	    a->row, out[j]);
}

void
nsl_npy_release(struct nsl_npy *a)
{
	free(a->raw);
	a->raw = NULL;
	a->rawcap = 0;
}

/* ---- writing ---- */

static const char *
dtype_descr(enum nsl_npy_dtype t)
{
	switch (t) {
	case NSL_NPY_F4:
		return "<f4";
	case NSL_NPY_I8:
		return "<i8";
	default:
		return "<f8";
	}
}

static size_t
dtype_size(enum nsl_npy_dtype t)
{
	return t == NSL_NPY_F4 ? 4 : 8;
}

size_t
nsl_npy_format_header(char *buf, size_t size, const char *descr,
    int fortran, const uint64_t *shape, int ndim)
{
	char dict[128 + 24 * NSL_NPY_MAXDIM];
	char first[24];
	size_t n, hlen, pad, prefix;
	int i, growth;

	n = (size_t)snprintf(dict, sizeof(dict),
	    "{'descr': '%s', 'fortran_order': %s, 'shape': (", descr,
	    fortran ? "True" : "False");
	for (i = 0; i < ndim; i++)
		n += (size_t)snprintf(dict + n, sizeof(dict) - n, "%s%" PRIu64,
		    i > 0 ? ", " : "", shape[i]);
	n += (size_t)snprintf(dict + n, sizeof(dict) - n, "%s), }",
	    ndim == 1 ? "," : "");
	if (ndim > 0) {
		growth = snprintf(first, sizeof(first), "%" PRIu64,
		    shape[fortran ? ndim - 1 : 0]);
		for (i = growth; i < GROWTH_AXIS_MAX_DIGITS; i++)
			dict[n++] = ' ';
	}
	/* version 1.0 has a 2-byte length; numpy moves to 2.0 past it */
	hlen = n + 1;
	prefix = MAGIC_LEN + 2 + 2;
	pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
	if (hlen + pad > 65535) {
		prefix = MAGIC_LEN + 2 + 4;
		pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
	}
	if (prefix + hlen + pad > size)
		return 0;
	memcpy(buf, MAGIC, MAGIC_LEN);
	buf[6] = prefix == 10 ? 1 : 2;
	buf[7] = 0;
	hlen += pad;
	buf[8] = (char)(hlen & 0xff);
	buf[9] = (char)(hlen >> 8 & 0xff);
	if (prefix == 12) {
		buf[10] = (char)(hlen >> 16 & 0xff);
		buf[11] = (char)(hlen >> 24 & 0xff);
	}
	memcpy(buf + prefix, dict, n);
	memset(buf + prefix + n, ' ', pad);
	buf[prefix + n + pad] = '\n';
	return prefix + n + pad + 1;
}

void
nsl_npy_out_init(struct nsl_npy_out *o, enum nsl_npy_dtype dtype, int ndim)
{
	memset(o, 0, sizeof(*o));
	o->dtype = dtype;
	o->ndim = ndim;
	o->ncols = ndim == 1 ? 1 : 0;
	o->spill_at = NSL_NPY_SPILL;
}

/* Append encoded bytes, moving to a temporary file past spill_at. */
static int
out_add(struct nsl_npy_out *o, const unsigned char *p, size_t n,
    struct nsl_err *err)
{
	size_t cap;
	unsigned char *q;

	if (o->spill == NULL && o->len + n > o->spill_at) {
		if ((o->spill = tmpfile()) == NULL)
			return nsl_err_set(err, NSL_EX_IOERR,
			    "cannot create a temporary file: %s",
			    strerror(errno));
		if (o->len > 0 && fwrite(o->mem, 1, o->len, o->spill) != o->len)
			goto werr;
		free(o->mem);
		o->mem = NULL;
		o->len = o->cap = 0;
	}
	if (o->spill != NULL) {
		if (fwrite(p, 1, n, o->spill) != n)
			goto werr;
		return 0;
	}
	if (o->len + n > o->cap) {
		cap = o->cap ? o->cap : 65536;
		while (cap < o->len + n)
			cap *= 2;
		if ((q = realloc(o->mem, cap)) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		o->mem = q;
		o->cap = cap;
	}
	memcpy(o->mem + o->len, p, n);
	o->len += n;
	return 0;
werr:
	return nsl_err_set(err, NSL_EX_IOERR,
	    "cannot write a temporary file: %s", strerror(errno));
}

/* v in dtype t, little-endian, at p. */
static void
encode(enum nsl_npy_dtype t, double v, unsigned char *p)
{
	uint64_t u;
	uint32_t w;
	float f;
	int i, n = (int)dtype_size(t);

	switch (t) {
	case NSL_NPY_F4:
		f = (float)v;
		memcpy(&w, &f, 4);
		u = w;
		break;
	case NSL_NPY_I8:
		u = (uint64_t)(int64_t)v;
		break;
	default:
		memcpy(&u, &v, 8);
		break;
	}
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

int
nsl_npy_out_row(struct nsl_npy_out *o, const double *x, size_t n,
    struct nsl_err *err)
{
	unsigned char chunk[4096];
	size_t size = dtype_size(o->dtype), k = 0, i;

	if (o->rows == 0 && o->ndim == 2)
		o->ncols = n;
	if (n != o->ncols)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "vector has %zu values, expected %" PRIu64, n, o->ncols);
	for (i = 0; i < n; i++) {
		if (o->dtype == NSL_NPY_I8 &&
		    !(x[i] >= -0x1p63 && x[i] < 0x1p63))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "value %.17g does not fit a signed 64-bit integer",
			    x[i]);
		/* past FLT_MAX and half its ulp a float32 is inf */
		if (o->dtype == NSL_NPY_F4 && isfinite(x[i]) &&
		    fabs(x[i]) >= 0x1.ffffffp127)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "element %zu: value %.17g is too large for float32",
			    i, x[i]);
		encode(o->dtype, x[i], chunk + k);
		k += size;
		if (k + size > sizeof(chunk) || i + 1 == n) {
			if (out_add(o, chunk, k, err) != 0)
				return -1;
			k = 0;
		}
	}
	o->rows++;
	return 0;
}

int
nsl_npy_out_int(struct nsl_npy_out *o, long long v, struct nsl_err *err)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;
	int i;

	if (o->dtype != NSL_NPY_I8 || o->ncols != 1)
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "nsl_npy_out_int: not a 1-column int64 array");
	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(u >> (8 * i));
	if (out_add(o, b, 8, err) != 0)
		return -1;
	o->rows++;
	return 0;
}

int
nsl_npy_out_write(struct nsl_npy_out *o, struct nsl_writer *w,
    struct nsl_err *err)
{
	char head[128 + 24 * 2];
	unsigned char chunk[65536];
	uint64_t shape[2] = { o->rows, o->ncols };
	size_t n;

	n = nsl_npy_format_header(head, sizeof(head), dtype_descr(o->dtype),
	    0, shape, o->ndim);
	if (nsl_writer_write(w, head, n, err) != 0)
		return -1;
	if (o->spill == NULL)
		return o->len > 0 ? nsl_writer_write(w, o->mem, o->len, err) : 0;
	if (fflush(o->spill) != 0 || fseek(o->spill, 0, SEEK_SET) != 0)
		goto rerr;
	while ((n = fread(chunk, 1, sizeof(chunk), o->spill)) > 0)
		if (nsl_writer_write(w, chunk, n, err) != 0)
			return -1;
	if (ferror(o->spill))
		goto rerr;
	return 0;
rerr:
	return nsl_err_set(err, NSL_EX_IOERR,
	    "cannot read back a temporary file: %s", strerror(errno));
}

void
nsl_npy_out_release(struct nsl_npy_out *o)
{
	free(o->mem);
	o->mem = NULL;
	if (o->spill != NULL)
		fclose(o->spill);
	o->spill = NULL;
}

/*
 * Mapped arrays.  The whole-set tools read rows by index, in any order
 * (a seeded sample) or in order (a shard's records), from files of
 * gigabytes: the file is mapped read-only, and rows read in order are
 * given back to the kernel behind the reader (nsl_npy_map_drop), so the
 * resident size stays one window however large the file.
 */
int
nsl_npy_map_open(struct nsl_npy_map *m, const char *path, struct nsl_err *err)
{
	const unsigned char *p;
	struct stat st;
	size_t lenbytes, len;
	uint64_t hlen, need;
	int fd;

	memset(m, 0, sizeof(*m));
	nsl_err_at(err, path, 0);
	if ((fd = open(path, O_RDONLY)) < 0)
		return nsl_err_set(err, NSL_EX_NOINPUT, "cannot open: %s",
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nsl_err_set(err, NSL_EX_NOINPUT, "not a regular file "
		    "(a .npy to map must be one: no pipe, no .gz)");
	}
	len = (size_t)st.st_size;
	if (len < MAGIC_LEN + 4) {
		close(fd);
		return nsl_err_set(err, NSL_EX_DATAERR, "not a .npy file "
		    "(%zu bytes)", len);
	}
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return nsl_err_set(err, NSL_EX_NOINPUT, "cannot map: %s",
		    strerror(errno));
	m->base = p;
	m->len = len;
	if (p[0] == 0x1f && p[1] == 0x8b)
		return nsl_err_set(err, NSL_EX_DATAERR, "gzip-compressed: rows "
		    "are read in place, so a .npy for --vectors is kept "
		    "uncompressed");
	if (memcmp(p, MAGIC, MAGIC_LEN) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "not a .npy file (no \\x93NUMPY magic)");
	if (p[6] < 1 || p[6] > 3)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "unsupported .npy format version %d.%d", p[6], p[7]);
	lenbytes = p[6] == 1 ? 2 : 4;
	if (len < 8 + lenbytes)
		return nsl_err_set(err, NSL_EX_DATAERR, "truncated header");
	hlen = (uint64_t)p[8] | (uint64_t)p[9] << 8;
	if (lenbytes == 4)
		hlen |= (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
	if (hlen > MAX_HEADER || 8 + lenbytes + hlen > len)
		return nsl_err_set(err, NSL_EX_DATAERR, "truncated header");
	if (nsl_npy_parse_header(&m->a, (const char *)p + 8 + lenbytes,
	    (size_t)hlen, err) != 0)
		return -1;
	m->a.data_offset = 8 + lenbytes + hlen;
	if (m->a.fortran)
		return nsl_err_set(err, NSL_EX_DATAERR, "Fortran-order array: "
		    "rows are read in place, so save it in C order "
		    "(numpy.ascontiguousarray)");
	if (m->a.ndim < 1)
		return nsl_err_set(err, NSL_EX_DATAERR, "0-d array: no rows");
	m->rowbytes = (size_t)(m->a.ncols * (uint64_t)m->a.itemsize);
	need = m->a.data_offset + m->a.rows * (uint64_t)m->rowbytes;
	if (need != (uint64_t)len)
		return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64 " rows of "
		    "%" PRIu64 " need %" PRIu64 " bytes, the file has %zu",
		    m->a.rows, m->a.ncols, need, len);
	m->data = p + m->a.data_offset;
	m->drop_min = NSL_NPY_DROP;
	return 0;
}

int
nsl_npy_map_row(const struct nsl_npy_map *m, uint64_t r, double *out,
    struct nsl_err *err)
{
	const unsigned char *p = m->data + r * m->rowbytes;
	size_t j, d = (size_t)m->a.ncols;

	if (r >= m->a.rows)
		return nsl_err_set(err, NSL_EX_DATAERR, "row %" PRIu64 ": the "
		    "array has %" PRIu64, r, m->a.rows);
	if (m->a.kind == 'f' && !m->a.big && m->a.itemsize == 4) {
		float f;

		for (j = 0; j < d; j++) {
			memcpy(&f, p + 4 * j, 4);
			out[j] = f;
		}
	} else if (m->a.kind == 'f' && !m->a.big && m->a.itemsize == 8)
		memcpy(out, p, d * sizeof(double));
	else
		for (j = 0; j < d; j++)
			(void)decode(&m->a, p + j * (size_t)m->a.itemsize,
			    &out[j], NULL);
	for (j = 0; j < d; j++)
		if (!isfinite(out[j]))
			return nsl_err_set(err, NSL_EX_DATAERR, "row %" PRIu64
			    ", column %zu: %g is not a finite number", r, j,
			    out[j]);
	return 0;
}

int
nsl_npy_map_row_f32(const struct nsl_npy_map *m, uint64_t r, float *out,
    struct nsl_err *err)
{
	size_t j, d = (size_t)m->a.ncols;
	uint32_t u, bad = 0;

	if (m->a.kind != 'f' || m->a.big || m->a.itemsize != 4)
		return 0;
	if (r >= m->a.rows)
		return nsl_err_set(err, NSL_EX_DATAERR, "row %" PRIu64 ": the "
		    "array has %" PRIu64, r, m->a.rows);
	/* out may be the row itself (a taken map): then only checked */
	if ((const unsigned char *)out != m->data + r * m->rowbytes)
		memcpy(out, m->data + r * m->rowbytes, d * sizeof(float));
	/* NaN and infinities: the exponent's bits all set */
	for (j = 0; j < d; j++) {
		memcpy(&u, &out[j], 4);
		bad |= (~u & 0x7f800000u) == 0;
	}
	if (bad)
		for (j = 0; j < d; j++)
			if (!isfinite(out[j]))
				return nsl_err_set(err, NSL_EX_DATAERR, "row %"
				    PRIu64 ", column %zu: %g is not a finite "
				    "number", r, j, (double)out[j]);
	return 1;
}

float *
nsl_npy_map_take_f32(struct nsl_npy_map *m, void **map, size_t *len)
{
	if (m->base == NULL || m->taken || m->a.kind != 'f' || m->a.big ||
	    m->a.itemsize != 4 || m->a.data_offset % sizeof(float) != 0 ||
	    mprotect((void *)m->base, m->len, PROT_READ | PROT_WRITE) != 0)
		return NULL;
#ifdef MADV_POPULATE_READ
	/* every page mapped in one call (the rows are all wanted) */
	(void)madvise((void *)m->base, m->len, MADV_POPULATE_READ);
#endif
	m->taken = 1;
	*map = (void *)m->base;
	*len = m->len;
	return (float *)(void *)m->data;
}

void
nsl_npy_rows_free(void *map, size_t len)
{
	if (map != NULL)
		(void)munmap(map, len);
}

void
nsl_npy_map_drop(struct nsl_npy_map *m, uint64_t r)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;

	if (m->taken)	/* the rows are the caller's, kept */
		return;

#ifdef MADV_POPULATE_READ
	/*
	 * Map the next window ahead of the reader in one call: faulting the
	 * pages in one by one as rows are copied costs as much as the copy
	 * on a virtual machine.  Ignored by kernels before 5.14.
	 */
	if (r * m->rowbytes + m->drop_min / 2 >= m->ahead &&
	    m->ahead < m->len - m->a.data_offset) {
		uintptr_t a0 = ((uintptr_t)(m->data + m->ahead)) &
		    ~(uintptr_t)(pg - 1);
		size_t left = m->len - m->a.data_offset - m->ahead;
		size_t step = left < m->drop_min ? left : m->drop_min;

		(void)madvise((void *)a0, (uintptr_t)(m->data + m->ahead +
		    step) - a0, MADV_POPULATE_READ);
		m->ahead += step;
	}
#endif
	/* whole pages of rows before r, past the ones already dropped */
	lo = ((uintptr_t)m->base + m->dropped) & ~(uintptr_t)(pg - 1);
	hi = ((uintptr_t)(m->data + r * m->rowbytes)) & ~(uintptr_t)(pg - 1);
	if (hi <= lo || hi - lo < m->drop_min)
		return;
	(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	m->dropped = hi - (uintptr_t)m->base;
}

void
nsl_npy_map_close(struct nsl_npy_map *m)
{
	if (m->base != NULL && !m->taken)
		munmap((void *)m->base, m->len);
	memset(m, 0, sizeof(*m));
}
