/*
 * Unit tests of lib/safetensors.c: every code of the 8-bit formats and
 * every 16-bit code against tables worked out from the bit layouts (and
 * numpy) by tests/fixtures/safetensors/make.py; rounding against a
 * brute-force nearest-even search there; a file numpy wrote read back
 * with numpy's values and rewritten byte for byte; the reference
 * implementation's own serialization examples; each malformed header a
 * clean NSL_EX_DATAERR naming what is wrong; the writer's refusals; the
 * error statistics against hand-worked values.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/safetensors.h"
#include "unit.h"

#define DT(name) nsl_safetensors_dtype_find(name)

static char fixdir[4096];
static char *tmpdir;	/* unit_tmpdir("st") */

/* tests/fixtures/safetensors from the top, or from the binary's place */
static int
find_fixtures(void)
{
	const char *tops[] = { "..", "../..", "../../..", "../../../.." };
	char exe[2048], probe[8192];
	struct stat sb;
	ssize_t len;
	size_t t;

	snprintf(fixdir, sizeof(fixdir), "tests/fixtures/safetensors");
	snprintf(probe, sizeof(probe), "%s/bad.txt", fixdir);
	if (stat(probe, &sb) == 0)
		return 0;
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
		snprintf(fixdir, sizeof(fixdir),
		    "%s/%s/tests/fixtures/safetensors", exe, tops[t]);
		snprintf(probe, sizeof(probe), "%s/bad.txt", fixdir);
		if (stat(probe, &sb) == 0)
			return 0;
	}
	return -1;
}

static const char *
fix(const char *name)
{
	static char p[2][8192];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", fixdir, name);
	return p[k];
}

static const char *
tmp(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* The same double, NaN matching NaN and zeros matching by sign. */
static int
same(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return a == b && signbit(a) == signbit(b);
}

static uint64_t
code_of(const struct nsl_safetensors_dtype *dt, double x, int sat, int *rc)
{
	unsigned char b[8] = { 0 };
	uint64_t v = 0;
	unsigned i;

	*rc = nsl_safetensors_encode(dt, x, sat, b);
	for (i = dt->size; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static double
value_of(const struct nsl_safetensors_dtype *dt, uint64_t code)
{
	unsigned char b[8];
	unsigned i;

	for (i = 0; i < dt->size; i++, code >>= 8)
		b[i] = (unsigned char)(code & 0xff);
	return nsl_safetensors_decode(dt, b);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	*n = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)len + 1)) != NULL)
		*n = fread(p, 1, (size_t)len, f);
	fclose(f);
	return p;
}

static void
test_table(void)
{
	size_t i, j;
	int unique = 1, sized = 1;

	for (i = 0; i < nsl_safetensors_ndtypes; i++) {
		const struct nsl_safetensors_dtype *d =
		    &nsl_safetensors_dtypes[i];

		for (j = 0; j < i; j++)
			unique &= strcmp(d->name,
			    nsl_safetensors_dtypes[j].name) != 0;
		sized &= d->size == 1 || d->size == 2 || d->size == 4 ||
		    d->size == 8;
		sized &= d->kind != NSL_ST_FLOAT ||
		    (unsigned)(1 + d->ebits + d->mbits) == 8 * d->size;
	}
	UNIT_CHECK(nsl_safetensors_ndtypes >= 15 && unique && sized,
	    "dtype table: at least the reference's 15 dtypes, each once, "
	    "float bit widths adding up");
	UNIT_CHECK(DT("BF16") != NULL && DT("BF16")->size == 2 &&
	    DT("F8_E4M3") != NULL && DT("f16") == NULL && DT("F12") == NULL,
	    "dtype lookup is exact and case-sensitive");
	UNIT_CHECK(DT("F8_E4M3")->max == 448 && DT("F8_E5M2")->max == 57344 &&
	    DT("F16")->max == 65504 && DT("BF16")->max == 0x1.FEp127,
	    "largest finite values: 448, 57344, 65504, (2 - 2^-7) 2^127");
}

/* codes-F8_*.txt: every code's value, from the bit layout. */
static void
test_codes8(const char *name)
{
	const struct nsl_safetensors_dtype *dt = DT(name);
	char file[64], line[128];
	unsigned code, lines = 0, dec_ok = 0, enc_ok = 0, nan_ok = 0, nans = 0;
	double want, got;
	FILE *f;
	int rc;

	snprintf(file, sizeof(file), "codes-%s.txt", name);
	if ((f = fopen(fix(file), "r")) == NULL) {
		UNIT_CHECK(0, "%s: fixture %s opens", name, file);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' ');

		code = (unsigned)strtoul(line, NULL, 16);
		want = strtod(sp + 1, NULL);
		got = value_of(dt, code);
		lines++;
		dec_ok += same(got, want);
		if (isnan(want)) {
			/* NaN encodes as a NaN code */
			nans++;
			nan_ok += isnan(value_of(dt, code_of(dt, want, 0,
			    &rc))) && rc == 0;
		} else {
			enc_ok += code_of(dt, want, 0, &rc) == code && rc == 0;
		}
	}
	fclose(f);
	UNIT_CHECK(lines == 256 && dec_ok == 256,
	    "%s: all 256 codes decode to their values by definition "
	    "(%u of %u)", name, dec_ok, lines);
	UNIT_CHECK(enc_ok == 256 - nans && nan_ok == nans,
	    "%s: every value encodes back to its code, NaN to a NaN", name);
}

static uint64_t
fnv_double(uint64_t h, double v)
{
	unsigned char b[8];
	uint64_t u;
	int i;

	if (isnan(v))
		u = 0x7ff8000000000000ULL;
	else
		memcpy(&u, &v, 8);
	for (i = 0; i < 8; i++, u >>= 8)
		b[i] = (unsigned char)(u & 0xff);
	for (i = 0; i < 8; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* codes16.txt: a hash of all 65536 values (numpy's float16, float32). */
static void
test_codes16(void)
{
	char line[128], name[16];
	unsigned long long want;
	FILE *f = fopen(fix("codes16.txt"), "r");
	int seen = 0, c16;
	size_t i;

	if (f == NULL) {
		UNIT_CHECK(0, "fixture codes16.txt opens");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "%15s %llx", name, &want) == 2) {
		const struct nsl_safetensors_dtype *dt = DT(name);
		uint64_t h = 0xcbf29ce484222325ULL, c;
		unsigned back = 0, finite = 0;
		double v;
		int rc;

		for (c = 0; c < 65536; c++) {
			v = value_of(dt, c);
			h = fnv_double(h, v);
			if (!isnan(v)) {
				finite++;
				back += code_of(dt, v, 0, &rc) == c && rc == 0;
			}
		}
		UNIT_CHECK(h == want, "%s: all 65536 codes decode as numpy's "
		    "(hash %016llx, want %016llx)", name,
		    (unsigned long long)h, want);
		UNIT_CHECK(back == finite, "%s: every non-NaN code encodes "
		    "back to itself (%u of %u)", name, back, finite);
		seen++;
	}
	fclose(f);
	for (c16 = 0, i = 0; i < nsl_safetensors_ndtypes; i++)
		c16 += nsl_safetensors_dtypes[i].kind == NSL_ST_FLOAT &&
		    nsl_safetensors_dtypes[i].size == 2;
	UNIT_CHECK(seen == c16, "codes16.txt covers every 16-bit float of "
	    "the table (%d of %d)", seen, c16);
}

/* round-DTYPE.txt: value, then the nearest-even code or "range". */
static void
test_rounding(const char *name)
{
	const struct nsl_safetensors_dtype *dt = DT(name);
	char file[64], line[128], *sp;
	unsigned lines = 0, ok = 0, sat_ok = 0, ranges = 0;
	uint64_t want, got, maxcode, negmax;
	double x;
	FILE *f;
	int rc;

	snprintf(file, sizeof(file), "round-%s.txt", name);
	if ((f = fopen(fix(file), "r")) == NULL) {
		UNIT_CHECK(0, "%s: fixture %s opens", name, file);
		return;
	}
	maxcode = code_of(dt, dt->max, 0, &rc);
	negmax = code_of(dt, -dt->max, 0, &rc);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		sp = strchr(line, ' ');
		*sp++ = '\0';
		x = strtod(line, NULL);
		lines++;
		got = code_of(dt, x, 0, &rc);
		if (strcmp(sp, "range") == 0) {
			ranges++;
			ok += rc == -1;
			got = code_of(dt, x, 1, &rc);
			sat_ok += rc == 1 && got == (x < 0 ? negmax : maxcode);
		} else {
			want = strtoull(sp, NULL, 16);
			ok += rc == 0 && got == want;
			if ((rc != 0 || got != want) && lines - ok < 5)
				printf("# %s: %s -> 0x%llx (rc %d), want "
				    "%s\n", name, line,
				    (unsigned long long)got, rc, sp);
		}
	}
	fclose(f);
	UNIT_CHECK(lines > 100 && ok == lines, "%s: %u values round to the "
	    "nearest code, ties to even, beyond the range refused (%u ok)",
	    name, lines, ok);
	UNIT_CHECK(sat_ok == ranges && ranges > 0, "%s: out-of-range values "
	    "saturate to the largest value of their sign (%u)", name, ranges);
}

static void
test_int_encoding(void)
{
	int rc, rc2, rc3;
	uint64_t c;

	UNIT_CHECK(code_of(DT("I32"), 2.5, 0, &rc) == 2 && rc == 0 &&
	    code_of(DT("I32"), 3.5, 0, &rc2) == 4 &&
	    code_of(DT("I32"), -2.5, 0, &rc3) == (uint32_t)-2,
	    "integers round half to even: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2");
	code_of(DT("I8"), 128, 0, &rc);
	c = code_of(DT("I8"), 128, 1, &rc2);
	UNIT_CHECK(rc == -1 && rc2 == 1 && c == 127,
	    "I8: 128 is out of range, saturates to 127");
	c = code_of(DT("I8"), -129, 1, &rc);
	UNIT_CHECK(rc == 1 && c == 0x80, "I8: -129 saturates to -128");
	code_of(DT("I8"), 127.4, 0, &rc);
	code_of(DT("I8"), 127.5, 0, &rc2);
	UNIT_CHECK(rc == 0 && rc2 == -1,
	    "I8: 127.4 rounds into range, 127.5 rounds to 128, out");
	code_of(DT("I32"), NAN, 1, &rc);
	UNIT_CHECK(rc == -1, "NaN is refused by integers even saturating");
	c = code_of(DT("U8"), -0.4, 0, &rc);
	code_of(DT("U8"), -0.6, 0, &rc2);
	UNIT_CHECK(rc == 0 && c == 0 && rc2 == -1,
	    "U8: -0.4 rounds to 0, -0.6 to -1, out of range");
	code_of(DT("I64"), 0x1p63, 0, &rc);
	c = code_of(DT("I64"), 0x1p63, 1, &rc2);
	UNIT_CHECK(rc == -1 && rc2 == 1 && c == (uint64_t)INT64_MAX,
	    "I64: 2^63 is out of range, saturates to 2^63 - 1");
	c = code_of(DT("I64"), -0x1p63, 0, &rc);
	UNIT_CHECK(rc == 0 && c == (uint64_t)INT64_MIN,
	    "I64: -2^63 fits");
	code_of(DT("U64"), 0x1p64, 0, &rc);
	c = code_of(DT("U64"), 0x1p64 - 2048, 0, &rc2);
	UNIT_CHECK(rc == -1 && rc2 == 0 && c == 0xFFFFFFFFFFFFF800ULL,
	    "U64: 2^64 out of range, 2^64 - 2048 (the double below) fits");
	code_of(DT("BOOL"), 1, 0, &rc);
	code_of(DT("BOOL"), 2, 0, &rc2);
	UNIT_CHECK(rc == 0 && rc2 == -1, "BOOL: 1 fits, 2 does not");
	UNIT_CHECK(value_of(DT("U64"), UINT64_MAX) == 0x1p64 &&
	    value_of(DT("I64"), (1ULL << 53) + 1) == 0x1p53,
	    "64-bit integers beyond 2^53 round to the nearest double");
	UNIT_CHECK(value_of(DT("BOOL"), 7) == 1 && value_of(DT("I16"), 0xfffe)
	    == -2 && value_of(DT("U16"), 0xfffe) == 65534,
	    "decoding: BOOL nonzero is 1, I16 sign-extends, U16 does not");
	c = code_of(DT("F8_E4M3"), INFINITY, 0, &rc);
	c = code_of(DT("F8_E4M3"), -INFINITY, 1, &rc2);
	UNIT_CHECK(rc == -1 && rc2 == 1 && c == 0xfe,
	    "F8_E4M3 has no infinity: refused, or saturated to -448");
	c = code_of(DT("F8_E5M2"), -INFINITY, 0, &rc);
	UNIT_CHECK(rc == 0 && c == 0xfc, "F8_E5M2 keeps -infinity");
}

/* Split "a b c" in place; returns the count. */
static size_t
words(char *s, char **w, size_t max)
{
	size_t n = 0;
	char *t;

	for (t = strtok(s, " \n"); t != NULL && n < max;
	    t = strtok(NULL, " \n"))
		w[n++] = t;
	return n;
}

static void
shape_text(char *buf, size_t size, const struct nsl_safetensors_tensor *t)
{
	size_t k = 0;
	int i;

	k += (size_t)snprintf(buf, size, "[");
	for (i = 0; i < t->ndim; i++)
		k += (size_t)snprintf(buf + k, size - k, "%s%llu",
		    i ? "," : "", (unsigned long long)t->shape[i]);
	snprintf(buf + k, size - k, "]");
}

/* ok.safetensors: each tensor's values as numpy put them in. */
static void
test_numpy_file(void)
{
	struct nsl_err err;
	struct nsl_safetensors *st = nsl_safetensors_open(fix("ok.safetensors"),
	    &err);
	const struct nsl_safetensors_tensor *t;
	char line[8192], *w[64], sh[128];
	double row[64];
	size_t n, i, lines = 0, good = 0, sorted = 1;
	uint64_t r;
	FILE *f;

	UNIT_CHECK(st != NULL, "a file numpy wrote opens (%s)", err.msg);
	if (st == NULL)
		return;
	UNIT_CHECK(nsl_safetensors_meta_count(st) == 2 &&
	    strcmp(nsl_safetensors_meta_key(st, 0), "format") == 0 &&
	    strcmp(nsl_safetensors_meta_get(st, "source"), "make.py") == 0 &&
	    nsl_safetensors_meta_get(st, "nope") == NULL,
	    "__metadata__ read in header order");
	for (i = 1; i < nsl_safetensors_count(st); i++)
		sorted &= nsl_safetensors_tensor(st, i - 1)->end <=
		    nsl_safetensors_tensor(st, i)->begin;
	UNIT_CHECK(sorted && nsl_safetensors_tensor(st, 0)->begin == 0,
	    "tensors are listed in file order");
	f = fopen(fix("ok.expect"), "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		int fine = 1;

		lines++;
		n = words(line, w, 64);
		if ((t = nsl_safetensors_find(st, w[0], &err)) == NULL) {
			printf("# %s: not found\n", w[0]);
			continue;
		}
		shape_text(sh, sizeof(sh), t);
		fine &= strcmp(t->dtype->name, w[1]) == 0 &&
		    strcmp(sh, w[2]) == 0 && t->nelem == n - 3 &&
		    t->rows * t->ncols == t->nelem;
		for (r = 0; fine && r < t->rows; r++) {
			nsl_safetensors_read_rows(st, t, r, 1, row, &err);
			for (i = 0; i < t->ncols; i++)
				fine &= same(row[i],
				    strtod(w[3 + r * t->ncols + i], NULL));
		}
		if (!fine)
			printf("# %s: values differ\n", w[0]);
		good += fine;
	}
	if (f != NULL)
		fclose(f);
	UNIT_CHECK(lines == nsl_safetensors_count(st) && good == lines,
	    "every tensor reads back numpy's values, row by row (%zu of %zu)",
	    good, lines);
	for (n = 0, i = 0; i < nsl_safetensors_ndtypes; i++) {
		size_t k;

		for (k = 0; k < nsl_safetensors_count(st); k++)
			if (nsl_safetensors_tensor(st, k)->dtype ==
			    &nsl_safetensors_dtypes[i])
				break;
		n += k < nsl_safetensors_count(st);
	}
	UNIT_CHECK(n == nsl_safetensors_ndtypes, "numpy's file holds a "
	    "tensor of every dtype of the table (%zu of %zu)", n,
	    nsl_safetensors_ndtypes);
	t = nsl_safetensors_find(st, "rank3", NULL);
	UNIT_CHECK(t != NULL && t->rows == 4 && t->ncols == 3,
	    "shape [2, 2, 3] reads as 4 rows of 3 (rows: the last axis)");
	t = nsl_safetensors_find(st, "scalar", NULL);
	UNIT_CHECK(t != NULL && t->ndim == 0 && t->rows == 1 && t->ncols == 1,
	    "a 0-d tensor is one row of one value");
	t = nsl_safetensors_find(st, "embed.weight", NULL);
	UNIT_CHECK(t != NULL && nsl_safetensors_read_rows(st, t, 1, 2, row,
	    &err) == 0 && row[0] == 4.0 && row[7] == 1.0,
	    "several rows read at once, from any row");
	UNIT_CHECK(nsl_safetensors_read_rows(st, t, 2, 2, row, &err) == -1 &&
	    err.code == NSL_EX_SOFTWARE, "rows beyond the tensor are a "
	    "caller's error");
	UNIT_CHECK(nsl_safetensors_find(st, "nope", &err) == NULL &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "no tensor \"nope\"")
	    != NULL, "a missing tensor is named");
	nsl_safetensors_close(st);
}

/* Write every tensor of ok.safetensors again: the bytes must match. */
static void
test_rewrite(int raw)
{
	struct nsl_err err;
	struct nsl_safetensors *st = nsl_safetensors_open(fix("ok.safetensors"),
	    &err);
	struct nsl_safetensors_writer *w = nsl_safetensors_writer_new(0);
	const struct nsl_safetensors_tensor *t;
	struct nsl_writer *out;
	char *a, *b;
	size_t i, na, nb;
	uint64_t r;
	double row[64];
	long k;
	int rc = 0;

	if (st == NULL)
		return;
	for (i = 0; i < nsl_safetensors_meta_count(st); i++)
		rc |= nsl_safetensors_writer_meta(w,
		    nsl_safetensors_meta_key(st, i),
		    nsl_safetensors_meta_value(st, i), &err);
	/* declared backwards: the writer puts them in the reference order */
	for (i = nsl_safetensors_count(st); i-- > 0;) {
		t = nsl_safetensors_tensor(st, i);
		rc |= nsl_safetensors_writer_add(w, t->name, t->dtype, t->ndim,
		    t->shape, &err) < 0;
	}
	out = nsl_writer_open(tmp("re.safetensors"), &err);
	rc |= nsl_safetensors_writer_begin(w, out, &err);
	while (rc == 0 && (k = nsl_safetensors_writer_next(w)) >= 0) {
		t = nsl_safetensors_tensor(st,
		    nsl_safetensors_count(st) - 1 - (size_t)k);
		if (raw) {
			rc |= nsl_safetensors_writer_raw(w,
			    nsl_safetensors_raw(st, t), t->end - t->begin,
			    &err);
			continue;
		}
		for (r = 0; rc == 0 && r < t->rows; r++) {
			rc |= nsl_safetensors_read_rows(st, t, r, 1, row,
			    &err);
			rc |= nsl_safetensors_writer_rows(w, row, 1, &err);
		}
	}
	rc |= nsl_safetensors_writer_finish(w, &err);
	rc |= nsl_writer_commit(out, &err);
	a = slurp(fix("ok.safetensors"), &na);
	b = slurp(tmp("re.safetensors"), &nb);
	UNIT_CHECK(rc == 0 && a != NULL && b != NULL && na == nb &&
	    memcmp(a, b, na) == 0, "%s: rewriting numpy's file gives its "
	    "bytes: the reference's order, compact header, space padding "
	    "(%s)", raw ? "raw bytes" : "decoded rows", err.msg);
	free(a);
	free(b);
	nsl_safetensors_writer_free(w);
	nsl_safetensors_close(st);
}

static void
test_edge(void)
{
	struct nsl_err err;
	struct nsl_safetensors *st = nsl_safetensors_open(
	    fix("edge.safetensors"), &err);
	const struct nsl_safetensors_tensor *t;
	double row[4];
	int order = 0;

	UNIT_CHECK(st != NULL, "header with whitespace, escapes, zero-size "
	    "tensors and metadata last opens (%s)", err.msg);
	if (st == NULL)
		return;
	if (nsl_safetensors_count(st) == 4) {
		order = strcmp(nsl_safetensors_tensor(st, 0)->name,
		    "caf\xc3\xa9") == 0 &&
		    strcmp(nsl_safetensors_tensor(st, 1)->name, "z") == 0 &&
		    strcmp(nsl_safetensors_tensor(st, 2)->name, "b") == 0 &&
		    strcmp(nsl_safetensors_tensor(st, 3)->name, "s") == 0 &&
		    nsl_safetensors_tensor(st, 0)->header_index == 1;
	}
	UNIT_CHECK(order, "file order is data order, not header order; "
	    "\\u00e9 in a name decodes to UTF-8");
	t = nsl_safetensors_find(st, "b", NULL);
	UNIT_CHECK(t != NULL && nsl_safetensors_read_rows(st, t, 0, 1, row,
	    &err) == 0 && row[0] == -7 && row[1] == 300,
	    "I16 little-endian values at data offset 4");
	t = nsl_safetensors_find(st, "z", NULL);
	UNIT_CHECK(t != NULL && t->rows == 3 && t->ncols == 0 &&
	    nsl_safetensors_read_rows(st, t, 0, 3, row, &err) == 0,
	    "shape [3, 0]: three rows of no values, sharing an offset");
	t = nsl_safetensors_find(st, "s", NULL);
	UNIT_CHECK(t != NULL && t->rows == 1 && t->ncols == 0,
	    "shape [0]: one row of no values");
	UNIT_CHECK(strcmp(nsl_safetensors_meta_get(st, "k"), "v\n") == 0,
	    "metadata strings are unescaped");
	nsl_safetensors_close(st);
	st = nsl_safetensors_open(fix("empty.safetensors"), &err);
	UNIT_CHECK(st != NULL && nsl_safetensors_count(st) == 0 &&
	    nsl_safetensors_meta_count(st) == 0,
	    "\"{}\" padded with spaces: no tensors");
	nsl_safetensors_close(st);
}

static void
test_bad(void)
{
	struct nsl_err err;
	struct nsl_safetensors *st;
	char line[512], name[600], *tab;
	FILE *f = fopen(fix("bad.txt"), "r");
	unsigned n = 0;

	if (f == NULL) {
		UNIT_CHECK(0, "fixture bad.txt opens");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		*tab++ = '\0';
		snprintf(name, sizeof(name), "bad/%s.safetensors", line);
		st = nsl_safetensors_open(fix(name), &err);
		UNIT_CHECK(st == NULL && err.code == NSL_EX_DATAERR &&
		    strstr(err.msg, tab) != NULL &&
		    strstr(err.file, name) != NULL && err.line == 0,
		    "%s: refused, exit 65, \"%s\" (got %d \"%s\")", line, tab,
		    err.code, err.msg);
		nsl_safetensors_close(st);
		n++;
	}
	fclose(f);
	UNIT_CHECK(n >= 30, "bad.txt lists the malformed cases (%u)", n);
}

static void
test_open_errors(void)
{
	struct nsl_err err;
	struct nsl_safetensors *st;
	int fd;

	st = nsl_safetensors_open(tmp("missing.safetensors"), &err);
	UNIT_CHECK(st == NULL && err.code == NSL_EX_NOINPUT &&
	    strstr(err.msg, "cannot open") != NULL,
	    "a missing file is exit 66 (%s)", err.msg);
	st = nsl_safetensors_open(tmpdir, &err);
	UNIT_CHECK(st == NULL && err.code == NSL_EX_NOINPUT,
	    "a directory is exit 66 (%s)", err.msg);
	/* "-" is standard input, mapped when it is a regular file */
	fd = dup(0);
	if (freopen(fix("ok.safetensors"), "rb", stdin) != NULL) {
		st = nsl_safetensors_open("-", &err);
		UNIT_CHECK(st != NULL && nsl_safetensors_count(st) == 17 &&
		    strcmp(nsl_safetensors_name(st), "<stdin>") == 0,
		    "\"-\" maps standard input redirected from a file");
		nsl_safetensors_close(st);
	}
	if (freopen("/dev/null", "rb", stdin) != NULL) {
		st = nsl_safetensors_open("-", &err);
		UNIT_CHECK(st == NULL && err.code == NSL_EX_NOINPUT &&
		    strcmp(err.file, "<stdin>") == 0,
		    "standard input that is not a file is exit 66 (%s)",
		    err.msg);
	}
	dup2(fd, 0);
	close(fd);
}

/* Write one tensor to a FILE*; return the bytes. */
static char *
write_one(const char *name, const char *dtype, int ndim,
    const uint64_t *shape, const double *x, uint64_t rows, const char *mk,
    const char *mv, size_t *n, struct nsl_err *err)
{
	struct nsl_safetensors_writer *w = nsl_safetensors_writer_new(0);
	FILE *fp = fopen(tmp("one.safetensors"), "wb");
	int rc = 0;

	if (mk != NULL)
		rc |= nsl_safetensors_writer_meta(w, mk, mv, err);
	if (name != NULL)
		rc |= nsl_safetensors_writer_add(w, name, DT(dtype), ndim,
		    shape, err) < 0;
	rc |= nsl_safetensors_writer_begin_file(w, fp, err);
	if (name != NULL)
		rc |= nsl_safetensors_writer_rows(w, x, rows, err);
	rc |= nsl_safetensors_writer_finish(w, err);
	nsl_safetensors_writer_free(w);
	fclose(fp);
	if (rc != 0)
		return NULL;
	return slurp(tmp("one.safetensors"), n);
}

/* The reference implementation's own serialization examples. */
static void
test_reference_bytes(void)
{
	static const char h1[] = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":"
	    "[1,2,3],\"data_offsets\":[0,24]}}";
	static const char h2[] = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":"
	    "[1,1,2,3],\"data_offsets\":[0,24]}}       ";
	static const char h3[] = "{\"__metadata__\":{\"framework\":\"pt\"}}"
	    "     ";
	static const unsigned char f32[] = { 0, 0, 0, 0, 0, 0, 128, 63, 0, 0,
	    0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64 };
	const double x[] = { 0, 1, 2, 3, 4, 5 };
	const uint64_t s3[] = { 1, 2, 3 }, s4[] = { 1, 1, 2, 3 };
	struct nsl_err err;
	size_t n;
	char *b;

	b = write_one("attn.0", "F32", 3, s3, x, 2, NULL, NULL, &n, &err);
	UNIT_CHECK(b != NULL && n == 8 + 64 + 24 && b[0] == 64 && b[1] == 0 &&
	    memcmp(b + 8, h1, 64) == 0 && memcmp(b + 72, f32, 24) == 0,
	    "F32 [1, 2, 3] of 0..5 is the reference's 96 bytes");
	free(b);
	b = write_one("attn0", "F32", 4, s4, x, 2, NULL, NULL, &n, &err);
	UNIT_CHECK(b != NULL && n == 8 + 72 + 24 && b[0] == 72 &&
	    memcmp(b + 8, h2, 72) == 0,
	    "a 65-byte header is padded with 7 spaces to 72, as the "
	    "reference does");
	free(b);
	b = write_one(NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, &n, &err);
	UNIT_CHECK(b != NULL && n == 16 && b[0] == 8 &&
	    memcmp(b + 8, "{}      ", 8) == 0,
	    "no tensors: \"{}\" and six spaces");
	free(b);
	b = write_one(NULL, NULL, 0, NULL, NULL, 0, "framework", "pt", &n,
	    &err);
	UNIT_CHECK(b != NULL && n == 48 && b[0] == 40 &&
	    memcmp(b + 8, h3, 40) == 0,
	    "metadata only: the reference's 40-byte header");
	free(b);
}

/* Values each dtype holds exactly, written and read back. */
static void
test_roundtrip_all(void)
{
	const double fl[] = { 0, 1, -2, 0.5, 3, -0.25 };
	const double si[] = { 0, 1, -2, 5, 3, -7 };
	const double un[] = { 0, 1, 2, 5, 3, 7 };
	const double bo[] = { 0, 1, 1, 0, 0, 1 };
	const uint64_t s23[] = { 2, 3 }, s0[] = { 0, 5 };
	struct nsl_safetensors_writer *w;
	struct nsl_safetensors *st;
	const struct nsl_safetensors_tensor *t;
	struct nsl_writer *out;
	struct nsl_err err;
	char name[64];
	double row[3], one = 0;
	size_t i, good = 0;
	long k;
	int rc = 0, j;

	nsl_err_clear(&err);
	w = nsl_safetensors_writer_new(0);
	for (i = 0; i < nsl_safetensors_ndtypes; i++) {
		snprintf(name, sizeof(name), "t.%s",
		    nsl_safetensors_dtypes[i].name);
		rc |= nsl_safetensors_writer_add(w, name,
		    &nsl_safetensors_dtypes[i], 2, s23, &err) != (long)i;
	}
	rc |= nsl_safetensors_writer_add(w, "zero", DT("F16"), 2, s0, &err) <
	    0;
	rc |= nsl_safetensors_writer_add(w, "s", DT("F64"), 0, NULL, &err) <
	    0;
	out = nsl_writer_open(tmp("all.safetensors"), &err);
	rc |= out == NULL || nsl_safetensors_writer_begin(w, out, &err);
	while (rc == 0 && (k = nsl_safetensors_writer_next(w)) >= 0) {
		const struct nsl_safetensors_dtype *dt;

		if (k >= (long)nsl_safetensors_ndtypes) {
			rc |= k != (long)nsl_safetensors_ndtypes + 1 ||
			    nsl_safetensors_writer_rows(w, &one, 1, &err);
			continue;
		}
		dt = &nsl_safetensors_dtypes[k];
		rc |= nsl_safetensors_writer_rows(w, dt->kind == NSL_ST_FLOAT ?
		    fl : dt->kind == NSL_ST_SINT ? si : dt->kind ==
		    NSL_ST_UINT ? un : bo, 2, &err);
	}
	rc |= nsl_safetensors_writer_finish(w, &err);
	rc |= nsl_writer_commit(out, &err);
	nsl_safetensors_writer_free(w);
	UNIT_CHECK(rc == 0, "a tensor of every dtype, a zero-size and a 0-d "
	    "one written through an nsl_writer (%s)", err.msg);
	if ((st = nsl_safetensors_open(tmp("all.safetensors"), &err)) == NULL) {
		UNIT_CHECK(0, "the written file opens (%s)", err.msg);
		return;
	}
	for (i = 0; i < nsl_safetensors_ndtypes; i++) {
		const struct nsl_safetensors_dtype *dt =
		    &nsl_safetensors_dtypes[i];
		const double *x = dt->kind == NSL_ST_FLOAT ? fl :
		    dt->kind == NSL_ST_SINT ? si : dt->kind == NSL_ST_UINT ?
		    un : bo;
		int fine;

		snprintf(name, sizeof(name), "t.%s", dt->name);
		t = nsl_safetensors_find(st, name, &err);
		fine = t != NULL && t->dtype == dt && t->rows == 2 &&
		    t->ncols == 3;
		for (j = 0; fine && j < 2; j++) {
			fine &= nsl_safetensors_read_rows(st, t, (uint64_t)j,
			    1, row, &err) == 0;
			fine &= same(row[0], x[3 * j]) &&
			    same(row[1], x[3 * j + 1]) &&
			    same(row[2], x[3 * j + 2]);
		}
		good += fine;
	}
	UNIT_CHECK(good == nsl_safetensors_ndtypes, "every dtype reads back "
	    "what was written (%zu of %zu)", good, nsl_safetensors_ndtypes);
	t = nsl_safetensors_find(st, "s", NULL);
	UNIT_CHECK(t != NULL && nsl_safetensors_read_rows(st, t, 0, 1, row,
	    &err) == 0 && row[0] == 0 && nsl_safetensors_tensor(st, 0) ==
	    nsl_safetensors_find(st, "t.U64", NULL),
	    "the 0-d tensor reads back; U64 comes first (largest alignment)");
	nsl_safetensors_close(st);
}

static void
test_writer_errors(void)
{
	struct nsl_safetensors_writer *w;
	struct nsl_err err;
	const uint64_t s2[] = { 2 }, s12[] = { 1, 2 };
	const double big[] = { 1, 70000 }, nan2[] = { 1, NAN };
	double row[2];
	struct nsl_safetensors *st;
	FILE *fp;
	int rc;

	w = nsl_safetensors_writer_new(0);
	nsl_safetensors_writer_add(w, "a", DT("F16"), 1, s2, &err);
	nsl_safetensors_writer_add(w, "a", DT("F32"), 1, s2, &err);
	fp = fopen(tmp("err.safetensors"), "wb");
	rc = nsl_safetensors_writer_begin_file(w, fp, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "tensor \"a\": declared twice") != NULL,
	    "a name declared twice is refused (%s)", err.msg);
	nsl_safetensors_writer_free(w);
	fclose(fp);

	w = nsl_safetensors_writer_new(0);
	UNIT_CHECK(nsl_safetensors_writer_add(w, "__metadata__", DT("F16"), 1,
	    s2, &err) == -1 && err.code == NSL_EX_DATAERR,
	    "\"__metadata__\" is not a tensor name");
	nsl_safetensors_writer_meta(w, "k", "1", &err);
	UNIT_CHECK(nsl_safetensors_writer_meta(w, "k", "2", &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "a metadata key given twice is "
	    "refused");
	nsl_safetensors_writer_free(w);

	w = nsl_safetensors_writer_new(0);
	nsl_safetensors_writer_add(w, "w", DT("F16"), 2, s12, &err);
	fp = fopen(tmp("err.safetensors"), "wb");
	nsl_safetensors_writer_begin_file(w, fp, &err);
	rc = nsl_safetensors_writer_rows(w, big, 1, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR && strstr(err.msg,
	    "tensor \"w\": row 0: value 70000 is out of the range of F16")
	    != NULL, "a value beyond F16 is refused, naming tensor and row "
	    "(%s)", err.msg);
	nsl_safetensors_writer_free(w);
	fclose(fp);

	w = nsl_safetensors_writer_new(NSL_ST_SATURATE);
	nsl_safetensors_writer_add(w, "w", DT("F16"), 2, s12, &err);
	fp = fopen(tmp("sat.safetensors"), "wb");
	rc = nsl_safetensors_writer_begin_file(w, fp, &err);
	rc |= nsl_safetensors_writer_rows(w, big, 1, &err);
	UNIT_CHECK(nsl_safetensors_writer_rows(w, big, 1, &err) == -1 &&
	    err.code == NSL_EX_SOFTWARE, "rows past the last tensor are a "
	    "caller's error");
	rc |= nsl_safetensors_writer_finish(w, &err);
	UNIT_CHECK(rc == 0 && nsl_safetensors_writer_saturated(w) == 1,
	    "saturating: written, and the clamped value counted");
	nsl_safetensors_writer_free(w);
	fclose(fp);
	st = nsl_safetensors_open(tmp("sat.safetensors"), &err);
	UNIT_CHECK(st != NULL && nsl_safetensors_read_rows(st,
	    nsl_safetensors_tensor(st, 0), 0, 1, row, &err) == 0 &&
	    row[0] == 1 && row[1] == 65504, "70000 saturates to 65504");
	nsl_safetensors_close(st);

	w = nsl_safetensors_writer_new(NSL_ST_SATURATE);
	nsl_safetensors_writer_add(w, "ids", DT("I32"), 2, s12, &err);
	fp = fopen(tmp("err.safetensors"), "wb");
	nsl_safetensors_writer_begin_file(w, fp, &err);
	rc = nsl_safetensors_writer_rows(w, nan2, 1, &err);
	UNIT_CHECK(rc == -1 && strstr(err.msg, "tensor \"ids\": row 0: NaN "
	    "cannot be stored as I32") != NULL, "NaN into an integer is "
	    "refused even saturating (%s)", err.msg);
	nsl_safetensors_writer_free(w);
	fclose(fp);

	w = nsl_safetensors_writer_new(0);
	nsl_safetensors_writer_add(w, "w", DT("F16"), 2, s12, &err);
	fp = fopen(tmp("err.safetensors"), "wb");
	nsl_safetensors_writer_begin_file(w, fp, &err);
	rc = nsl_safetensors_writer_finish(w, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_SOFTWARE &&
	    strstr(err.msg, "tensor \"w\": incomplete") != NULL,
	    "finishing before a tensor is complete is refused");
	nsl_safetensors_writer_free(w);
	fclose(fp);

	w = nsl_safetensors_writer_new(0);
	rc = nsl_safetensors_writer_add(w, "bad\xff", DT("F16"), 1, s2,
	    &err) == -1 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "not valid UTF-8") != NULL;
	rc = rc && nsl_safetensors_writer_meta(w, "k", "\xc0\xaf", &err) ==
	    -1 && strstr(err.msg, "UTF-8") != NULL;
	UNIT_CHECK(rc, "names and metadata that are not UTF-8 (an overlong "
	    "'/' too) are refused");
	nsl_safetensors_writer_free(w);

	w = nsl_safetensors_writer_new(0);
	{
		const uint64_t huge[] = { 1ULL << 32, 1ULL << 32, 2 };

		UNIT_CHECK(nsl_safetensors_writer_add(w, "h", DT("F32"), 3,
		    huge, &err) == -1 && strstr(err.msg, "too large") != NULL,
		    "a shape whose byte count overflows is refused");
	}
	nsl_safetensors_writer_free(w);
	nsl_safetensors_writer_free(NULL);
}

static int
near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fabs(b);
}

static void
test_stats(void)
{
	/*
	 * By hand: errors 0, -0.5, 0, 1e-9, 52; squares sum 2704.25 +
	 * 1e-18, so mse = 540.85; sum x^2 = 250014 + 1e-18; SQNR =
	 * 10 log10(250014 / 2704.25) = 19.659174901023945 dB (python3
	 * math.log10); |500| > 448 saturated, 1e-9 -> 0 flushed: 1/5 each;
	 * the NaN pair is left out.
	 */
	const double x[] = { 1, 2, 3, 1e-9, 500, NAN };
	const double q[] = { 1, 2.5, 3, 0, 448, 1 };
	struct nsl_safetensors_stats s, a, b;
	struct nsl_safetensors_summary m, m2;
	struct nsl_buf buf = NSL_BUF_INIT, name = NSL_BUF_INIT;
	struct nsl_obj o;
	struct nsl_rec rec;
	struct nsl_err err;
	const struct nsl_safetensors_dtype *dt;
	const uint64_t shape[] = { 2, 3 };
	uint64_t sh[4];
	double one = 1, tiny = 1e-8, zero = 0;
	int ndim, i;

	nsl_safetensors_stats_init(&s);
	nsl_safetensors_stats_add(&s, x, q, 6, 448);
	nsl_safetensors_stats_summary(&s, &m);
	UNIT_CHECK(m.n == 5 && m.nonfinite == 1 && near(m.mse, 540.85, 1e-15)
	    && near(m.sqnr_db, 19.659174901023945, 1e-14) &&
	    m.max_abs_error == 52 && m.saturated == 0.2 && m.flushed == 0.2,
	    "stats: mse 540.85, SQNR 19.659 dB, max error 52, saturated and "
	    "flushed 1/5, NaN left out");
	nsl_safetensors_stats_init(&a);
	nsl_safetensors_stats_init(&b);
	nsl_safetensors_stats_add(&a, x, q, 2, 448);
	nsl_safetensors_stats_add(&b, x + 2, q + 2, 4, 448);
	nsl_safetensors_stats_merge(&a, &b);
	nsl_safetensors_stats_summary(&a, &m2);
	UNIT_CHECK(m2.n == m.n && near(m2.mse, m.mse, 1e-15) &&
	    m2.max_abs_error == m.max_abs_error && m2.flushed == m.flushed &&
	    m2.saturated == m.saturated && m2.nonfinite == 1,
	    "stats of two halves merged equal the whole's");

	/* one error of 1 then 10000 of 1e-8: (1 + 1e-12) / 10001 */
	nsl_safetensors_stats_init(&s);
	nsl_safetensors_stats_add(&s, &one, &zero, 1, INFINITY);
	for (i = 0; i < 10000; i++)
		nsl_safetensors_stats_add(&s, &tiny, &zero, 1, INFINITY);
	nsl_safetensors_stats_summary(&s, &m);
	UNIT_CHECK(near(m.mse, (1 + 1e-12) / 10001, 1e-15) && m.saturated == 0
	    && m.flushed == 1,
	    "compensated sums keep 10000 terms of 1e-16 next to 1 "
	    "(a plain sum loses them)");

	nsl_safetensors_stats_init(&s);
	nsl_safetensors_stats_add(&s, &one, &one, 1, INFINITY);
	nsl_safetensors_stats_summary(&s, &m);
	UNIT_CHECK(isinf(m.sqnr_db) && m.sqnr_db > 0 && m.mse == 0,
	    "no error: SQNR is +inf");
	nsl_safetensors_stats_init(&s);
	nsl_safetensors_stats_add(&s, &zero, &one, 1, INFINITY);
	nsl_safetensors_stats_summary(&s, &m);
	UNIT_CHECK(isinf(m.sqnr_db) && m.sqnr_db < 0, "no signal, some "
	    "error: SQNR is -inf");

	/* the record pair: the -inf SQNR goes out as null and comes back */
	nsl_obj_begin(&o, &buf);
	nsl_safetensors_stats_write(&o, "layer.0.w", DT("F8_E4M3"), 2, shape,
	    &m);
	nsl_obj_end(&o);
	UNIT_CHECK(strstr(buf.data, "\"tensor\":\"layer.0.w\",\"dtype\":"
	    "\"F8_E4M3\",\"shape\":[2,3],\"n\":1,\"mse\":1,\"sqnr_db\":null")
	    != NULL, "stats record: tensor, dtype, shape, then the figures; "
	    "a non-finite SQNR is null (%.*s)", (int)buf.len - 1, buf.data);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, buf.data, buf.len - 1, &err) == 0 &&
	    nsl_safetensors_stats_parse(&rec, &name, &dt, &ndim, sh, 4, &m2,
	    &err) == 0 && strcmp(name.data, "layer.0.w") == 0 &&
	    dt == DT("F8_E4M3") && ndim == 2 && sh[0] == 2 && sh[1] == 3 &&
	    m2.n == 1 && m2.mse == 1 && isinf(m2.sqnr_db) && m2.sqnr_db < 0 &&
	    m2.max_abs_error == 1 && m2.nonfinite == 0,
	    "stats record parses back to what was written");
	nsl_rec_release(&rec);
	nsl_buf_release(&buf);
	nsl_buf_release(&name);
}

/* The tensor and row record pairs: exact text, and back. */
static void
test_records(void)
{
	struct nsl_buf buf = NSL_BUF_INIT, name = NSL_BUF_INIT;
	struct nsl_obj o;
	struct nsl_rec rec;
	struct nsl_err err;
	const struct nsl_safetensors_dtype *dt = NULL;
	const double x[] = { 1.5, -2 };
	uint64_t sh[2], row = 0;
	double *v = NULL;
	size_t n = 0, cap = 0;
	int ndim = -1;

	nsl_obj_begin(&o, &buf);
	nsl_safetensors_info_write(&o, "a\"b", DT("BF16"), 0, NULL);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(buf.data, "{\"tensor\":\"a\\\"b\",\"dtype\":"
	    "\"BF16\",\"shape\":[]}\n") == 0, "tensor record of a 0-d "
	    "tensor, the name escaped (%.*s)", (int)buf.len - 1, buf.data);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, buf.data, buf.len - 1, &err) == 0 &&
	    nsl_safetensors_info_parse(&rec, &name, &dt, &ndim, sh, 2, &err)
	    == 0 && strcmp(name.data, "a\"b") == 0 && dt == DT("BF16") &&
	    ndim == 0, "tensor record parses back");
	nsl_buf_reset(&buf);
	nsl_obj_begin(&o, &buf);
	nsl_safetensors_row_write(&o, "w", 7, "embedding", x, 2);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(buf.data, "{\"tensor\":\"w\",\"row\":7,"
	    "\"embedding\":[1.5,-2]}\n") == 0, "row record: tensor, row, "
	    "then the vector field (%.*s)", (int)buf.len - 1, buf.data);
	UNIT_CHECK(nsl_rec_parse(&rec, buf.data, buf.len - 1, &err) == 0 &&
	    nsl_safetensors_row_parse(&rec, &name, &row, "embedding", &v, &n,
	    &cap, &err) == 0 && strcmp(name.data, "w") == 0 && row == 7 &&
	    n == 2 && v[0] == 1.5 && v[1] == -2, "row record parses back");
	UNIT_CHECK(nsl_safetensors_row_parse(&rec, &name, &row, "values", &v,
	    &n, &cap, &err) == -1 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "\"values\"") != NULL,
	    "a row record without the vector field names it");
	free(v);
	nsl_rec_release(&rec);
	nsl_buf_release(&buf);
	nsl_buf_release(&name);
}

static long
peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * A 96 MB tensor read row by row must not stay mapped: the peak
 * resident size grows by far less than the tensor (pages behind the
 * reader are given back every 16 MB).
 */
static void
test_resident(void)
{
	const uint64_t shape[] = { 24576, 1024 };
	struct nsl_safetensors_writer *w = nsl_safetensors_writer_new(0);
	const struct nsl_safetensors_tensor *t;
	struct nsl_safetensors *st;
	struct nsl_err err;
	double row[1024], sum = 0;
	long before;
	uint64_t r;
	size_t i;
	FILE *fp = fopen(tmp("big.safetensors"), "wb");
	int rc;

	for (i = 0; i < 1024; i++)
		row[i] = (double)i;
	rc = nsl_safetensors_writer_add(w, "big", DT("F32"), 2, shape,
	    &err) < 0;
	rc |= nsl_safetensors_writer_begin_file(w, fp, &err);
	for (r = 0; rc == 0 && r < shape[0]; r++)
		rc |= nsl_safetensors_writer_rows(w, row, 1, &err);
	rc |= nsl_safetensors_writer_finish(w, &err);
	nsl_safetensors_writer_free(w);
	fclose(fp);
	before = peak_kb();
	st = nsl_safetensors_open(tmp("big.safetensors"), &err);
	t = st != NULL ? nsl_safetensors_tensor(st, 0) : NULL;
	for (r = 0; t != NULL && r < t->rows; r++) {
		rc |= nsl_safetensors_read_rows(st, t, r, 1, row, &err);
		sum += row[1023];
	}
	UNIT_CHECK(rc == 0 && t != NULL && sum == 1023.0 * 24576 &&
	    peak_kb() - before < 48 * 1024,
	    "reading a 96 MB tensor row by row keeps under 48 MB of it "
	    "resident (peak grew by %ld KB)", peak_kb() - before);
	nsl_safetensors_close(st);
	unlink(tmp("big.safetensors"));
}

int
main(void)
{
	char cmd[512];
	size_t i;

	if (find_fixtures() != 0 || (tmpdir = unit_tmpdir("st")) == NULL) {
		UNIT_CHECK(0, "fixtures found and a temporary directory made");
		return unit_done();
	}
	test_table();
	/* every float of the table has its codes and rounding cases */
	for (i = 0; i < nsl_safetensors_ndtypes; i++)
		if (nsl_safetensors_dtypes[i].kind == NSL_ST_FLOAT &&
		    nsl_safetensors_dtypes[i].size == 1)
			test_codes8(nsl_safetensors_dtypes[i].name);
	test_codes16();
	for (i = 0; i < nsl_safetensors_ndtypes; i++)
		if (nsl_safetensors_dtypes[i].kind == NSL_ST_FLOAT &&
		    nsl_safetensors_dtypes[i].size <= 4)
			test_rounding(nsl_safetensors_dtypes[i].name);
	test_int_encoding();
	test_numpy_file();
	test_rewrite(0);
	test_rewrite(1);
	test_edge();
	test_bad();
	test_open_errors();
	test_reference_bytes();
	test_roundtrip_all();
	test_writer_errors();
	test_stats();
	test_records();
	test_resident();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		perror("rm");
	return unit_done();
}
