/*
 * Unit tests of lib/idx.c: every type code, flattening, gzip, and the
 * damaged files that must be errors (bad magic, truncation, extra bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "nsl/idx.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("idx") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

static void
put(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(path(name), "wb");

	fwrite(data, 1, n, f);
	fclose(f);
}

/* Read every row of name into out; returns the last nsl_idx_next code. */
static int
read_all(const char *name, struct nsl_idx *x, double *out, size_t max,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	size_t k = 0;
	int rc;

	nsl_err_clear(err);
	if ((r = nsl_reader_open(path(name), err)) == NULL)
		return -1;
	if ((rc = nsl_idx_open(x, r, err)) == 0)
		while (k + x->ncols <= max &&
		    (rc = nsl_idx_next(x, r, out + k, err)) == 1)
			k += x->ncols;
	/* the call after the last row checks the end and writes nothing */
	if (rc == 1)
		rc = x->row < x->rows ? 2 : nsl_idx_next(x, r, NULL, err);
	nsl_idx_release(x);
	nsl_reader_close(r);
	return rc;
}

static void
test_types(struct nsl_idx *x)
{
	/* 2 images of 2x3 unsigned bytes */
	static const unsigned char img[] = { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0,
	    2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255 };
	static const unsigned char lab[] = { 0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 7 };
	static const unsigned char sb[] = { 0, 0, 9, 1, 0, 0, 0, 2, 0x80, 1 };
	static const unsigned char i16[] = { 0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff,
	    0xfe, 0x01, 0x00 };
	static const unsigned char i32[] = { 0, 0, 0x0c, 1, 0, 0, 0, 1, 0x80,
	    0, 0, 0 };
	static const unsigned char f32[] = { 0, 0, 0x0d, 2, 0, 0, 0, 1, 0, 0,
	    0, 1, 0x3f, 0xc0, 0, 0 };
	static const unsigned char f64[] = { 0, 0, 0x0e, 1, 0, 0, 0, 1, 0xbf,
	    0xf8, 0, 0, 0, 0, 0, 0 };
	struct nsl_err err;
	double v[16];

	put("img", img, sizeof(img));
	UNIT_CHECK(read_all("img", x, v, 16, &err) == 0 && x->rows == 2 &&
	    x->ncols == 6 && v[0] == 0 && v[5] == 5 && v[6] == 250 &&
	    v[11] == 255 && nsl_idx_integral(x),
	    "ubyte images flatten row-major");
	put("lab", lab, sizeof(lab));
	UNIT_CHECK(read_all("lab", x, v, 16, &err) == 0 && x->rows == 3 &&
	    x->ncols == 1 && v[0] == 9 && v[1] == 0 && v[2] == 7,
	    "ubyte labels, one per row");
	put("sb", sb, sizeof(sb));
	UNIT_CHECK(read_all("sb", x, v, 16, &err) == 0 && v[0] == -128 &&
	    v[1] == 1, "signed bytes");
	put("i16", i16, sizeof(i16));
	UNIT_CHECK(read_all("i16", x, v, 16, &err) == 0 && v[0] == -2 &&
	    v[1] == 256, "big-endian int16");
	put("i32", i32, sizeof(i32));
	UNIT_CHECK(read_all("i32", x, v, 16, &err) == 0 &&
	    v[0] == -2147483648.0, "big-endian int32");
	put("f32", f32, sizeof(f32));
	UNIT_CHECK(read_all("f32", x, v, 16, &err) == 0 && v[0] == 1.5 &&
	    !nsl_idx_integral(x), "big-endian float32");
	put("f64", f64, sizeof(f64));
	UNIT_CHECK(read_all("f64", x, v, 16, &err) == 0 && v[0] == -1.5,
	    "big-endian float64");
}

static void
test_gzip(struct nsl_idx *x)
{
	static const unsigned char lab[] = { 0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 7 };
	struct nsl_err err;
	double v[16];
	gzFile g;

	g = gzopen(path("lab.gz"), "wb");
	gzwrite(g, lab, sizeof(lab));
	gzclose(g);
	UNIT_CHECK(read_all("lab.gz", x, v, 16, &err) == 0 && v[2] == 7,
	    "gzipped IDX reads the same");
}

static void
test_damage(struct nsl_idx *x)
{
	static const unsigned char shortimg[] = { 0, 0, 8, 3, 0, 0, 0, 2, 0,
	    0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5 };
	static const unsigned char longlab[] = { 0, 0, 8, 1, 0, 0, 0, 1, 9, 9 };
	static const unsigned char magic[] = { 0, 0, 7, 1, 0, 0, 0, 1, 9 };
	static const unsigned char npy[] = { 0x93, 'N', 'U', 'M' };
	static const unsigned char nodim[] = { 0, 0, 8, 0 };
	static const unsigned char cutdims[] = { 0, 0, 8, 3, 0, 0, 0, 2 };
	struct nsl_err err;
	double v[16];

	put("short", shortimg, sizeof(shortimg));
	UNIT_CHECK(read_all("short", x, v, 16, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "row 1 of 2") &&
	    strstr(err.msg, "byte 21"), "truncated rows: %s", err.msg);
	put("long", longlab, sizeof(longlab));
	UNIT_CHECK(read_all("long", x, v, 16, &err) == -1 &&
	    strstr(err.msg, "unexpected data") != NULL, "bytes past the end");
	put("magic", magic, sizeof(magic));
	UNIT_CHECK(read_all("magic", x, v, 16, &err) == -1 &&
	    strstr(err.msg, "not an IDX file") != NULL, "unknown type code");
	put("npy", npy, sizeof(npy));
	UNIT_CHECK(read_all("npy", x, v, 16, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "an .npy is not IDX");
	put("nodim", nodim, sizeof(nodim));
	UNIT_CHECK(read_all("nodim", x, v, 16, &err) == -1,
	    "zero dimensions");
	put("cutdims", cutdims, sizeof(cutdims));
	UNIT_CHECK(read_all("cutdims", x, v, 16, &err) == -1 &&
	    strstr(err.msg, "dimensions") != NULL, "dimensions cut short");
	put("empty", "", 0);
	UNIT_CHECK(read_all("empty", x, v, 16, &err) == -1, "empty file");
}

int
main(void)
{
	struct nsl_idx *x = malloc(sizeof(*x));
	char cmd[300];

	if (x == NULL || (dir = unit_tmpdir("idx")) == NULL)
		return 1;
	test_types(x);
	test_gzip(x);
	test_damage(x);
	free(x);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
