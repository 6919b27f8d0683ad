/*
 * test_embed.c - lib/embed.c: PCA on hand-worked point sets, whitening,
 * the sign convention, the random projection's scale and seeding, and
 * the map record's round trip.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/embed.h"
#include "nsl/json.h"
#include "unit.h"

int
main(void)
{
	struct nsl_embed e, f;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	/* (2,0), (-2,0), (0,1), (0,-1) shifted by (5,-3): mean (5,-3);
	 * covariance (n - 1 = 3) diag(8/3, 2/3): components (1,0), (0,1) */
	double x[] = { 7, -3, 3, -3, 5, -2, 5, -4 }, y[2], r[8];
	double c = cos(M_PI / 6), s = sin(M_PI / 6);
	size_t i;

	nsl_err_clear(&err);
	nsl_embed_init(&e);
	nsl_embed_init(&f);
	UNIT_CHECK(nsl_embed_fit_pca(&e, x, 4, 2, 2, 0, &err) == 0, "pca fits");
	UNIT_CHECK(fabs(e.mean[0] - 5) < 1e-15 && fabs(e.mean[1] + 3) < 1e-15,
	    "mean by hand");
	UNIT_CHECK(fabs(e.var[0] - 8.0 / 3) < 1e-14 &&
	    fabs(e.var[1] - 2.0 / 3) < 1e-14, "variances 8/3 and 2/3 "
	    "(denominator n - 1)");
	UNIT_CHECK(fabs(e.comp[0] - 1) < 1e-14 && fabs(e.comp[1]) < 1e-14 &&
	    fabs(e.comp[2]) < 1e-14 && fabs(e.comp[3] - 1) < 1e-14,
	    "components are the axes, largest entry positive");
	nsl_embed_apply(&e, x, y);
	UNIT_CHECK(fabs(y[0] - 2) < 1e-14 && fabs(y[1]) < 1e-14,
	    "(7,-3) projects to (2, 0)");
	/* rotate by 30 degrees: the first component is (cos, sin) */
	for (i = 0; i < 4; i++) {
		double u = x[2 * i] - 5, v = x[2 * i + 1] + 3;

		r[2 * i] = c * u - s * v;
		r[2 * i + 1] = s * u + c * v;
	}
	UNIT_CHECK(nsl_embed_fit_pca(&e, r, 4, 2, 1, 1, &err) == 0 &&
	    fabs(e.comp[0] - c) < 1e-14 && fabs(e.comp[1] - s) < 1e-14,
	    "rotated set: first component (cos 30, sin 30)");
	nsl_embed_apply(&e, r, y);
	UNIT_CHECK(fabs(y[0] - 2 / sqrt(8.0 / 3)) < 1e-14,
	    "whitened: 2 / sqrt(8/3)");
	/* the map record round-trips exactly */
	nsl_embed_write(&e, &b);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_embed_parse(&f, &rec, &err) == 0, "map record parses");
	{
		double y2[1];

		nsl_embed_apply(&f, r, y2);
		UNIT_CHECK(y2[0] == y[0] && f.whiten && f.k == 1 && f.d == 2,
		    "a reloaded map gives the same bits");
	}
	/* errors */
	UNIT_CHECK(nsl_embed_fit_pca(&e, x, 4, 2, 3, 0, &err) == -1 &&
	    err.code == NSL_EX_USAGE, "dim > d is a usage error");
	UNIT_CHECK(nsl_embed_fit_pca(&e, x, 1, 2, 1, 0, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "one record is a data error");
	{
		double line[] = { 0, 0, 1, 1, 2, 2 };

		UNIT_CHECK(nsl_embed_fit_pca(&e, line, 3, 2, 2, 1, &err) == -1 &&
		    err.code == NSL_EX_DATAERR, "whitening a zero-variance "
		    "component is a data error");
	}
	/* random projection: N(0, 1/k) entries, seeded */
	{
		size_t d = 5000, k = 4, n = d * k;
		double m2 = 0, m1 = 0;
		int same = 1;

		UNIT_CHECK(nsl_embed_fit_random(&e, d, k, 42, &err) == 0 &&
		    nsl_embed_fit_random(&f, d, k, 42, &err) == 0, "random");
		for (i = 0; i < n; i++) {
			m1 += e.comp[i];
			m2 += e.comp[i] * e.comp[i];
			same &= e.comp[i] == f.comp[i];
		}
		/* 20000 draws: mean within 4 sd (4 * 0.5/sqrt(20000)), the
		 * variance 1/4 within 4 sd (4 * sqrt(2) * 0.25 / sqrt(20000)) */
		UNIT_CHECK(fabs(m1 / n) < 0.0142 && fabs(m2 / n - 0.25) < 0.01,
		    "entries have mean 0 and variance 1/k");
		UNIT_CHECK(same, "the same seed gives the same projection");
		nsl_embed_fit_random(&f, d, k, 43, &err);
		UNIT_CHECK(memcmp(e.comp, f.comp, n * sizeof(double)) != 0,
		    "another seed, another projection");
	}
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
	nsl_embed_release(&e);
	nsl_embed_release(&f);
	return unit_done();
}
