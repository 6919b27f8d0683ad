/*
 * Unit tests of lib/npy.c: numpy's header byte for byte, header parsing,
 * every dtype, C and Fortran order, truncation, and write-read round trips
 * (also through the temporary spill file), and rows mapped: read, dropped
 * and taken in place.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/npy.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("npy") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

/* An .npy file: a header made by nsl_npy_format_header, then data. */
static void
put_npy(const char *name, const char *descr, int fortran,
    const uint64_t *shape, int ndim, const void *data, size_t n)
{
	char head[512];
	size_t h = nsl_npy_format_header(head, sizeof(head), descr, fortran,
	    shape, ndim);
	FILE *f = fopen(path(name), "wb");

	fwrite(head, 1, h, f);
	fwrite(data, 1, n, f);
	fclose(f);
}

static int
parse(const char *dict, struct nsl_npy *a, struct nsl_err *err)
{
	memset(a, 0, sizeof(*a));
	nsl_err_clear(err);
	return nsl_npy_parse_header(a, dict, strlen(dict), err);
}

static void
test_header_bytes(void)
{
	/* what numpy 1.24's np.save writes for these arrays */
	static const char f8[] = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', "
	    "'fortran_order': False, 'shape': (2, 3), }";
	static const char i8[] = "\x93NUMPY\x01\x00v\x00{'descr': '<i8', "
	    "'fortran_order': False, 'shape': (5,), }";
	static const char f4[] = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', "
	    "'fortran_order': True, 'shape': (2, 3), }";
	uint64_t s23[] = { 2, 3 }, s5[] = { 5 };
	char buf[512];
	size_t n, i;
	int pad;

	n = nsl_npy_format_header(buf, sizeof(buf), "<f8", 0, s23, 2);
	for (pad = 1, i = sizeof(f8) - 1; i < 127; i++)
		pad &= buf[i] == ' ';
	UNIT_CHECK(n == 128 && memcmp(buf, f8, sizeof(f8) - 1) == 0 && pad &&
	    buf[127] == '\n', "header of a (2, 3) float64 array is numpy's");
	n = nsl_npy_format_header(buf, sizeof(buf), "<i8", 0, s5, 1);
	UNIT_CHECK(n == 128 && memcmp(buf, i8, sizeof(i8) - 1) == 0 &&
	    buf[127] == '\n', "header of a (5,) int64 array is numpy's");
	n = nsl_npy_format_header(buf, sizeof(buf), "<f4", 1, s23, 2);
	UNIT_CHECK(n == 128 && memcmp(buf, f4, sizeof(f4) - 1) == 0,
	    "header of a Fortran-order array is numpy's");
	n = nsl_npy_format_header(buf, 100, "<f8", 0, s23, 2);
	UNIT_CHECK(n == 0, "header does not overflow a short buffer");
}

static void
test_header_parse(void)
{
	struct nsl_npy a;
	struct nsl_err err;

	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (2, 3), }   \n", &a, &err) == 0 && a.kind == 'f' &&
	    a.itemsize == 8 && !a.big && !a.fortran && a.ndim == 2 &&
	    a.rows == 2 && a.ncols == 3, "numpy's header parses");
	UNIT_CHECK(parse("{\"shape\": (7,), \"fortran_order\": True, "
	    "\"descr\": \">i2\"}", &a, &err) == 0 && a.kind == 'i' &&
	    a.itemsize == 2 && a.big && a.fortran && a.rows == 7 &&
	    a.ncols == 1, "keys in any order, double quotes, big-endian");
	UNIT_CHECK(parse("{'descr':'|u1','fortran_order':False,"
	    "'shape':(2L, 28L, 28L)}", &a, &err) == 0 && a.rows == 2 &&
	    a.ncols == 784, "Python 2 long dimensions; 3-D flattens");
	UNIT_CHECK(parse("{'descr': '|b1', 'fortran_order': False, "
	    "'shape': (4,), }", &a, &err) == 0 && a.kind == 'b',
	    "bool dtype");
	UNIT_CHECK(parse("{'descr': [('a', '<f8')], 'fortran_order': False, "
	    "'shape': (4,), }", &a, &err) == -1 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "structured") != NULL,
	    "structured dtype is rejected by name");
	UNIT_CHECK(parse("{'descr': '<c16', 'fortran_order': False, "
	    "'shape': (4,), }", &a, &err) == -1 &&
	    strstr(err.msg, "'<c16'") != NULL, "complex dtype is rejected");
	UNIT_CHECK(parse("{'descr': '<f2', 'fortran_order': False, "
	    "'shape': (4,), }", &a, &err) == -1, "float16 is rejected");
	UNIT_CHECK(parse("{'descr': '<f8', 'shape': (4,), }", &a, &err) == -1 &&
	    strstr(err.msg, "fortran_order") != NULL, "missing key is named");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (), }", &a, &err) == -1 && strstr(err.msg, "0-d") != NULL,
	    "0-d array is rejected");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4,), 'x': 1}", &a, &err) == -1, "unknown key");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (99999999999999999999,), }", &a, &err) == -1,
	    "dimension past 2^64");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4294967296, 4294967296, 4294967296), }", &a,
	    &err) == -1 && strstr(err.msg, "too large") != NULL,
	    "shape whose byte count overflows");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': Maybe, "
	    "'shape': (4,), }", &a, &err) == -1, "fortran_order not a bool");
	UNIT_CHECK(parse("'descr'", &a, &err) == -1, "not a dict");
	UNIT_CHECK(parse("{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (4,), } junk", &a, &err) == -1, "text after the dict");
}

/* Open name and read every row into out (rows * ncols doubles). */
static int
read_all(const char *name, struct nsl_npy *a, double *out, long long *iout,
    size_t max, struct nsl_err *err)
{
	struct nsl_reader *r;
	size_t k = 0;
	int rc;

	nsl_err_clear(err);
	if ((r = nsl_reader_open(path(name), err)) == NULL)
		return -1;
	if ((rc = nsl_npy_open(a, r, err)) == 0) {
		while (k + a->ncols <= max && (rc = nsl_npy_next(a, r, out + k,
		    iout != NULL ? iout + k : NULL, err)) == 1)
			k += a->ncols;
		/* the last call, which checks the end, writes nothing */
		if (rc == 1)
			rc = a->row < a->rows ? 2 :
			    nsl_npy_next(a, r, NULL, NULL, err);
	}
	nsl_npy_release(a);
	nsl_reader_close(r);
	return rc;
}

static void
test_dtypes(void)
{
	static const unsigned char be_i2[] = { 0xff, 0xfe, 0x01, 0x00 };
	static const unsigned char le_i1[] = { 0x80, 0x7f, 0xff };
	static const unsigned char u8[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff };
	static const unsigned char b1[] = { 0, 1, 2 };
	static const unsigned char be_f4[] = { 0x3f, 0xc0, 0, 0 };
	static const unsigned char le_u4[] = { 0x00, 0x00, 0x00, 0x80 };
	uint64_t s2[] = { 2 }, s3[] = { 3 }, s1[] = { 1 };
	struct nsl_npy a;
	struct nsl_err err;
	double v[8];
	long long iv[8];

	put_npy("be_i2.npy", ">i2", 0, s2, 1, be_i2, sizeof(be_i2));
	UNIT_CHECK(read_all("be_i2.npy", &a, v, iv, 8, &err) == 0 &&
	    v[0] == -2 && v[1] == 256 && iv[0] == -2 && iv[1] == 256,
	    "big-endian int16 decodes");
	put_npy("i1.npy", "|i1", 0, s3, 1, le_i1, sizeof(le_i1));
	UNIT_CHECK(read_all("i1.npy", &a, v, iv, 8, &err) == 0 &&
	    v[0] == -128 && v[1] == 127 && v[2] == -1, "int8 sign-extends");
	put_npy("b1.npy", "|b1", 0, s3, 1, b1, sizeof(b1));
	UNIT_CHECK(read_all("b1.npy", &a, v, iv, 8, &err) == 0 &&
	    iv[0] == 0 && iv[1] == 1 && iv[2] == 1, "bool reads as 0 and 1");
	put_npy("be_f4.npy", ">f4", 0, s1, 1, be_f4, sizeof(be_f4));
	UNIT_CHECK(read_all("be_f4.npy", &a, v, NULL, 8, &err) == 0 &&
	    v[0] == 1.5, "big-endian float32 decodes");
	put_npy("u4.npy", "<u4", 0, s1, 1, le_u4, sizeof(le_u4));
	UNIT_CHECK(read_all("u4.npy", &a, v, iv, 8, &err) == 0 &&
	    iv[0] == 2147483648LL, "uint32 past INT32_MAX stays positive");
	put_npy("u8.npy", "<u8", 0, s1, 1, u8, sizeof(u8));
	UNIT_CHECK(read_all("u8.npy", &a, v, NULL, 8, &err) == 0 &&
	    v[0] == 18446744073709551615.0, "uint64 max as a double");
	UNIT_CHECK(read_all("u8.npy", &a, v, iv, 8, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "uint64 max as an exact int64 fails");
}

static void
test_order(void)
{
	/* [[0,1,2],[3,4,5]] stored column by column */
	static const double fort[] = { 0, 3, 1, 4, 2, 5 };
	int32_t f3[24];
	uint64_t s23[] = { 2, 3 }, s234[] = { 2, 3, 4 };
	struct nsl_npy a;
	struct nsl_err err;
	double v[32];
	int i, j, k, ok;

	put_npy("fort.npy", "<f8", 1, s23, 2, fort, sizeof(fort));
	UNIT_CHECK(read_all("fort.npy", &a, v, NULL, 32, &err) == 0 &&
	    v[0] == 0 && v[1] == 1 && v[2] == 2 && v[3] == 3 && v[5] == 5,
	    "Fortran-order 2-D reads back in rows");
	/* element (i,j,k) = 100i + 10j + k at Fortran offset i + 2j + 6k */
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			for (k = 0; k < 4; k++)
				f3[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
	put_npy("fort3.npy", "<i4", 1, s234, 3, f3, sizeof(f3));
	ok = read_all("fort3.npy", &a, v, NULL, 32, &err) == 0;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			for (k = 0; k < 4; k++)
				ok &= v[12 * i + 4 * j + k] == 100 * i + 10 * j + k;
	UNIT_CHECK(ok, "Fortran-order 3-D flattens in C order");
}

static void
test_damage(void)
{
	static const double d[] = { 1, 2, 3, 4, 5, 6 };
	uint64_t s23[] = { 2, 3 };
	struct nsl_npy a;
	struct nsl_err err;
	double v[32];
	FILE *f;

	put_npy("short.npy", "<f8", 0, s23, 2, d, 5 * sizeof(double));
	UNIT_CHECK(read_all("short.npy", &a, v, NULL, 32, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "truncated") &&
	    strstr(err.msg, "row 1 of 2") && strstr(err.msg, "byte 168"),
	    "a short file names the row and byte: %s", err.msg);
	put_npy("shortf.npy", "<f8", 1, s23, 2, d, 5 * sizeof(double));
	UNIT_CHECK(read_all("shortf.npy", &a, v, NULL, 32, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "a short Fortran file too");
	put_npy("long.npy", "<f8", 0, s23, 2, d, sizeof(d));
	f = fopen(path("long.npy"), "ab");
	fputc('x', f);
	fclose(f);
	UNIT_CHECK(read_all("long.npy", &a, v, NULL, 32, &err) == -1 &&
	    strstr(err.msg, "after the array") != NULL,
	    "data past the array is an error");
	f = fopen(path("magic.npy"), "wb");
	fputs("\x93NUMPX\x01\x00", f);
	fclose(f);
	UNIT_CHECK(read_all("magic.npy", &a, v, NULL, 32, &err) == -1 &&
	    strstr(err.msg, "not a .npy") != NULL, "bad magic");
	f = fopen(path("ver.npy"), "wb");
	fwrite("\x93NUMPY\x09\x00", 1, 8, f);
	fclose(f);
	UNIT_CHECK(read_all("ver.npy", &a, v, NULL, 32, &err) == -1 &&
	    strstr(err.msg, "version 9.0") != NULL, "unknown version");
	f = fopen(path("empty.npy"), "wb");
	fclose(f);
	UNIT_CHECK(read_all("empty.npy", &a, v, NULL, 32, &err) == -1,
	    "empty file");
}

/* Version 2.0 and 3.0 headers have a 4-byte length. */
static void
test_versions(void)
{
	static const char dict[] = "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (1, 1), }          \n";
	double one = 1.25, v[4];
	struct nsl_npy a;
	struct nsl_err err;
	unsigned char len[4] = { sizeof(dict) - 1, 0, 0, 0 };
	int major;
	FILE *f;

	for (major = 2; major <= 3; major++) {
		f = fopen(path("v.npy"), "wb");
		fwrite("\x93NUMPY", 1, 6, f);
		fputc(major, f);
		fputc(0, f);
		fwrite(len, 1, 4, f);
		fwrite(dict, 1, sizeof(dict) - 1, f);
		fwrite(&one, 1, 8, f);
		fclose(f);
		UNIT_CHECK(read_all("v.npy", &a, v, NULL, 4, &err) == 0 &&
		    v[0] == 1.25, "format version %d.0 reads", major);
	}
}

static int
write_out(struct nsl_npy_out *o, const char *name, struct nsl_err *err)
{
	struct nsl_writer *w = nsl_writer_open(path(name), err);

	if (w == NULL || nsl_npy_out_write(o, w, err) != 0)
		return -1;
	return nsl_writer_commit(w, err);
}

static void
test_write(void)
{
	struct nsl_npy_out o;
	struct nsl_npy a;
	struct nsl_err err;
	double row[3], *v;
	long long iv[3];
	int i, ok;

	nsl_err_clear(&err);
	nsl_npy_out_init(&o, NSL_NPY_F8, 2);
	row[0] = 0.1, row[1] = -2, row[2] = 1e300;
	nsl_npy_out_row(&o, row, 3, &err);
	row[0] = 5e-324;
	nsl_npy_out_row(&o, row, 3, &err);
	UNIT_CHECK(nsl_npy_out_row(&o, row, 2, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "expected 3"),
	    "a row of another length is refused");
	v = calloc(8, sizeof(*v));
	UNIT_CHECK(write_out(&o, "w.npy", &err) == 0 &&
	    read_all("w.npy", &a, v, NULL, 8, &err) == 0 && a.rows == 2 &&
	    a.ncols == 3 && v[0] == 0.1 && v[2] == 1e300 && v[3] == 5e-324,
	    "float64 rows round-trip exactly");
	nsl_npy_out_release(&o);

	nsl_npy_out_init(&o, NSL_NPY_F4, 2);
	row[0] = 0.1, row[1] = 3;
	nsl_npy_out_row(&o, row, 2, &err);
	UNIT_CHECK(write_out(&o, "w4.npy", &err) == 0 &&
	    read_all("w4.npy", &a, v, NULL, 8, &err) == 0 && a.itemsize == 4 &&
	    v[0] == (double)0.1f && v[1] == 3, "float32 rows round to float");
	nsl_npy_out_release(&o);

	nsl_npy_out_init(&o, NSL_NPY_I8, 1);
	nsl_npy_out_int(&o, (1LL << 62) + 1, &err);
	nsl_npy_out_int(&o, -7, &err);
	UNIT_CHECK(write_out(&o, "wi.npy", &err) == 0 &&
	    read_all("wi.npy", &a, v, iv, 8, &err) == 0 && a.ndim == 1 &&
	    iv[0] == (1LL << 62) + 1 && iv[1] == -7,
	    "int64 labels are exact past 2^53");
	nsl_npy_out_release(&o);

	/* past the spill size the rows go through a temporary file */
	nsl_npy_out_init(&o, NSL_NPY_F8, 2);
	o.spill_at = 100;
	for (i = 0; i < 1000; i++) {
		row[0] = i, row[1] = -i, row[2] = i / 7.0;
		nsl_npy_out_row(&o, row, 3, &err);
	}
	UNIT_CHECK(o.spill != NULL, "rows spilled to a temporary file");
	free(v);
	v = calloc(3000, sizeof(*v));
	ok = write_out(&o, "spill.npy", &err) == 0 &&
	    read_all("spill.npy", &a, v, NULL, 3000, &err) == 0 &&
	    a.rows == 1000;
	for (i = 0; i < 1000 && ok; i++)
		ok = v[3 * i] == i && v[3 * i + 1] == -i &&
		    v[3 * i + 2] == i / 7.0;
	UNIT_CHECK(ok, "spilled rows round-trip");
	nsl_npy_out_release(&o);
	free(v);
}

/* Mapped rows: by index in any order, the same numbers as the stream. */
static void
test_map(void)
{
	struct nsl_npy_out o;
	struct nsl_npy_map m;
	struct nsl_err err;
	double row[3], v[3];
	int i, ok;
	FILE *f;

	nsl_err_clear(&err);
	nsl_npy_out_init(&o, NSL_NPY_F4, 2);
	for (i = 0; i < 5000; i++) {
		row[0] = i, row[1] = 0.1 * i, row[2] = -i;
		nsl_npy_out_row(&o, row, 3, &err);
	}
	UNIT_CHECK(write_out(&o, "m4.npy", &err) == 0, "a float32 array");
	nsl_npy_out_release(&o);
	UNIT_CHECK(nsl_npy_map_open(&m, path("m4.npy"), &err) == 0 &&
	    m.a.rows == 5000 && m.a.ncols == 3 && m.a.itemsize == 4,
	    "mapped: its rows and width");
	ok = 1;
	for (i = 4999; i >= 0 && ok; i -= 7)
		ok = nsl_npy_map_row(&m, (uint64_t)i, v, &err) == 0 &&
		    v[0] == i && v[1] == (double)(float)(0.1 * i) &&
		    v[2] == -i;
	UNIT_CHECK(ok, "rows by index, backwards: float32 widened exactly");
	/* rows given back behind the reader read again the same */
	m.drop_min = 0;
	nsl_npy_map_drop(&m, 4000);
	UNIT_CHECK(m.dropped > 40000 && nsl_npy_map_row(&m, 17, v, &err) ==
	    0 && v[0] == 17 && nsl_npy_map_row(&m, 4001, v, &err) == 0 &&
	    v[2] == -4001, "rows before and after the pages given back read "
	    "the same");
	UNIT_CHECK(nsl_npy_map_row(&m, 5000, v, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "a row past the last is an error");
	nsl_npy_map_close(&m);

	UNIT_CHECK(nsl_npy_map_open(&m, path("nope.npy"), &err) == -1 &&
	    err.code == NSL_EX_NOINPUT, "a missing file is 66");
	nsl_npy_map_close(&m);
	if ((f = fopen(path("cut.npy"), "wb")) != NULL) {
		FILE *g = fopen(path("m4.npy"), "rb");
		char buf[300];
		size_t n = g != NULL ? fread(buf, 1, sizeof(buf), g) : 0;

		fwrite(buf, 1, n, f);
		fclose(f);
		if (g != NULL)
			fclose(g);
	}
	UNIT_CHECK(nsl_npy_map_open(&m, path("cut.npy"), &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "need 60128 bytes"),
	    "a cut file is refused at open, with the size it needs");
	nsl_npy_map_close(&m);
}

/* The bytes of file name, into buf (up to cap): how many. */
static size_t
slurp(const char *name, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path(name), "rb");
	size_t n = f != NULL ? fread(buf, 1, cap, f) : 0;

	if (f != NULL)
		fclose(f);
	return n;
}

/*
 * Rows in place (nsl_npy_map_take_f32): the file's own float32 rows,
 * written only in memory; checked where they lie; refused for another
 * type or data off a 4-byte boundary, which are copied instead.
 */
static void
test_take(void)
{
	static const char hdr[] = "{'descr': '<f4', 'fortran_order': False, "
	    "'shape': (3, 2), }";
	float x[6] = { 1, 2, 3, 4, 5, 6 }, bad[6] = { 1, 2, 3, 0, 5, 6 };
	double dx[6] = { 1, 2, 3, 4, 5, 6 };
	uint64_t shape[] = { 3, 2 };
	unsigned char before[512], after[512], raw[200];
	struct nsl_npy_map m;
	struct nsl_err err;
	size_t nb, na, h, len = 0;
	void *map = NULL;
	float *rows = NULL;
	FILE *f;

	put_npy("t4.npy", "<f4", 0, shape, 2, x, sizeof(x));
	nb = slurp("t4.npy", before, sizeof(before));
	UNIT_CHECK(nsl_npy_map_open(&m, path("t4.npy"), &err) == 0 &&
	    (rows = nsl_npy_map_take_f32(&m, &map, &len)) != NULL,
	    "a float32 array's rows are taken in place");
	if (rows == NULL)
		return;
	UNIT_CHECK(rows[0] == 1 && rows[5] == 6 && len == nb && m.taken,
	    "the rows are the file's, the mapping its whole length");
	UNIT_CHECK(nsl_npy_map_row_f32(&m, 1, rows + 2, &err) == 1 &&
	    rows[2] == 3 && rows[3] == 4, "a row checked where it lies");
	rows[3] = 40;		/* a write copies the page */
	nsl_npy_map_close(&m);
	UNIT_CHECK(rows[3] == 40 && rows[4] == 5,
	    "the rows outlive the map's close, the write kept in memory");
	na = slurp("t4.npy", after, sizeof(after));
	UNIT_CHECK(na == nb && memcmp(before, after, nb) == 0,
	    "the file itself is never written");
	nsl_npy_rows_free(map, len);

	bad[3] = (float)INFINITY;
	put_npy("t4bad.npy", "<f4", 0, shape, 2, bad, sizeof(bad));
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_npy_map_open(&m, path("t4bad.npy"), &err) == 0 &&
	    (rows = nsl_npy_map_take_f32(&m, &map, &len)) != NULL &&
	    nsl_npy_map_row_f32(&m, 1, rows + 2, &err) == -1 &&
	    strstr(err.msg, "row 1, column 1: inf is not a finite number"),
	    "a row checked in place names its infinity's row and column");
	nsl_npy_map_close(&m);
	nsl_npy_rows_free(map, len);

	put_npy("t8.npy", "<f8", 0, shape, 2, dx, sizeof(dx));
	map = NULL;
	UNIT_CHECK(nsl_npy_map_open(&m, path("t8.npy"), &err) == 0 &&
	    nsl_npy_map_take_f32(&m, &map, &len) == NULL && map == NULL &&
	    !m.taken, "a float64 array is not taken (its rows are copied)");
	nsl_npy_map_close(&m);

	/* version 1, a header of 59 bytes: data at byte 69, off 4 bytes */
	h = sizeof(hdr) - 1;
	memcpy(raw, "\x93NUMPY\x01\x00", 8);
	raw[8] = (unsigned char)(h + 1);
	raw[9] = 0;
	memcpy(raw + 10, hdr, h);
	raw[10 + h] = '\n';
	if ((f = fopen(path("odd.npy"), "wb")) != NULL) {
		fwrite(raw, 1, 11 + h, f);
		fwrite(x, 1, sizeof(x), f);
		fclose(f);
	}
	UNIT_CHECK((11 + h) % 4 != 0 && nsl_npy_map_open(&m, path("odd.npy"),
	    &err) == 0 && nsl_npy_map_take_f32(&m, &map, &len) == NULL &&
	    nsl_npy_map_row_f32(&m, 2, bad, &err) == 1 && bad[0] == 5 &&
	    bad[1] == 6, "data off a 4-byte boundary is copied, not taken");
	nsl_npy_map_close(&m);
}

int
main(void)
{
	char cmd[300];

	if ((dir = unit_tmpdir("npy")) == NULL)
		return 1;
	test_header_bytes();
	test_header_parse();
	test_dtypes();
	test_order();
	test_damage();
	test_versions();
	test_write();
	test_map();
	test_take();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
