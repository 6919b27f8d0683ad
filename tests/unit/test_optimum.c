/*
 * test_optimum.c - the parabola of nsl-optimum, its group record's and
 * nsl-compare's records' write/parse pairs.  Expected values are worked
 * out by hand in the comments.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/compare.h"
#include "nsl/json.h"
#include "nsl/optimum.h"
#include "unit.h"

/*
 * y = 5 - 4u + 2u^2 at u = -1, 0, 1, 2, 3 (y = 11, 5, 3, 5, 11): the fit
 * gives the coefficients back; the vertex is u = 4 / (2 * 2) = 1.  With
 * u far from 0 (u + 1000) the centring keeps them: c1 = -4 - 4 * 1000,
 * c2 = 2, c0 = 5 + 4000 + 2e6.  Three distinct u are too few; so is
 * one u repeated.
 */
static void
test_parabola(void)
{
	double u[5] = { -1, 0, 1, 2, 3 }, y[5] = { 11, 5, 3, 5, 11 }, c[3];
	double v[5];
	size_t i;

	UNIT_CHECK(nsl_optimum_parabola(u, y, 5, c) == 0, "parabola fits");
	UNIT_CHECK(fabs(c[0] - 5) < 1e-12 && fabs(c[1] + 4) < 1e-12 &&
	    fabs(c[2] - 2) < 1e-12, "coefficients %g %g %g", c[0], c[1],
	    c[2]);
	for (i = 0; i < 5; i++)
		v[i] = u[i] + 1000;
	UNIT_CHECK(nsl_optimum_parabola(v, y, 5, c) == 0, "shifted fits");
	UNIT_CHECK(fabs(c[2] - 2) < 1e-9 && fabs(-c[1] / (2 * c[2]) - 1001) <
	    1e-9, "shifted vertex %.17g", -c[1] / (2 * c[2]));
	UNIT_CHECK(nsl_optimum_parabola(u, y, 3, c) == -1, "3 points: few");
	for (i = 0; i < 5; i++)
		v[i] = i < 2 ? 1 : i;
	UNIT_CHECK(nsl_optimum_parabola(v, y, 4, c) == -1,
	    "3 distinct of 4: few");
}

/* A written record parses back and writes the same bytes. */
static void
test_optrec(void)
{
	static const char *const lines[] = {
		"{\"C\":1e+19,\"group\":\"C\",\"x\":\"N\",\"y\":\"loss\","
		"\"n\":12,\"status\":\"ok\",\"N_opt\":600000000,"
		"\"N_opt_lo\":500000000,\"N_opt_hi\":700000000,"
		"\"loss_opt\":2.5,\"parabola\":[40,-4,0.125],"
		"\"range\":[100000000,4000000000],\"bin\":[9e+18,1.1e+19],"
		"\"B\":200,\"valid\":199,\"level\":0.9}\n",
		"{\"x\":\"lr\",\"y\":\"loss\",\"n\":3,\"status\":\"few\","
		"\"lr_opt\":null,\"loss_opt\":null,\"parabola\":null,"
		"\"range\":[0.001,0.01]}\n",
		/* --by N,D: both fields, "group" names the pair */
		"{\"N\":100000000,\"D\":10000000000,\"group\":\"N,D\",\"x\":\"lr\","
		"\"y\":\"loss\",\"n\":7,\"status\":\"ok\","
		"\"lr_opt\":0.003,\"loss_opt\":2.5,\"parabola\":[40,-4,0.125],"
		"\"range\":[0.001,0.01]}\n"
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct nsl_optrec o;
		struct nsl_rec rec;
		struct nsl_err err;
		struct nsl_buf b = NSL_BUF_INIT;
		int rc;

		nsl_err_clear(&err);
		nsl_rec_init(&rec, 0);
		nsl_optrec_init(&o);
		rc = nsl_rec_parse(&rec, lines[i], strlen(lines[i]), &err);
		if (rc == 0)
			rc = nsl_optrec_parse(&o, &rec, &err);
		UNIT_CHECK(rc == 0, "record %zu parses: %s", i, err.msg);
		if (rc == 0) {
			nsl_optrec_write(&o, &b);
			UNIT_CHECK(b.len == strlen(lines[i]) &&
			    memcmp(b.data, lines[i], b.len) == 0,
			    "record %zu writes back: %.*s", i, (int)b.len,
			    b.data);
		}
		nsl_buf_release(&b);
		nsl_optrec_release(&o);
		nsl_rec_release(&rec);
	}
}

static void
test_compare_records(void)
{
	static const char *sum = "{\"x\":\"n\",\"y\":\"err\",\"a\":\"a.json\","
	    "\"b\":\"b.json\",\"range\":[500,16000],\"B\":400,\"level\":0.95,"
	    "\"crossings\":1,\"crossover\":2250,\"crossover_lo\":1300,"
	    "\"crossover_hi\":4700,\"p_crossover\":0.99,\"at\":16000,"
	    "\"delta_at\":0.01,\"delta_at_lo\":0.005,\"delta_at_hi\":0.025,"
	    "\"p_a_lower\":0.0075}\n";
	static const char *path = "{\"x\":\"C\",\"y\":\"loss\","
	    "\"a\":\"a.json\",\"b\":\"b.json\",\"fixed\":{\"R\":0.5,"
	    "\"U\":1000000000},\"compute_optimal\":true,"
	    "\"range\":[1e+18,1e+22],\"B\":2,\"level\":0.5,\"crossings\":0,"
	    "\"crossover\":null,\"crossover_lo\":null,\"crossover_hi\":null,"
	    "\"p_crossover\":0}\n";
	static const char *pt = "{\"n\":1000,\"a\":0.25,\"b\":0.5,"
	    "\"delta\":-0.25,\"delta_lo\":-0.5,\"delta_hi\":-0.125,"
	    "\"p_a_lower\":1}\n";
	struct nsl_compare_sum s;
	struct nsl_compare_point p;
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	int rc;

	nsl_err_clear(&err);
	nsl_rec_init(&rec, 0);
	nsl_compare_sum_init(&s);
	rc = nsl_rec_parse(&rec, sum, strlen(sum), &err);
	if (rc == 0)
		rc = nsl_compare_sum_parse(&s, &rec, &err);
	UNIT_CHECK(rc == 0, "summary parses: %s", err.msg);
	nsl_compare_sum_write(&s, &b);
	UNIT_CHECK(b.len == strlen(sum) && memcmp(b.data, sum, b.len) == 0,
	    "summary writes back: %.*s", (int)b.len, b.data);
	nsl_compare_sum_release(&s);
	/* a path: the fixed variables and the compute-optimal flag */
	nsl_compare_sum_init(&s);
	rc = nsl_rec_parse(&rec, path, strlen(path), &err);
	if (rc == 0)
		rc = nsl_compare_sum_parse(&s, &rec, &err);
	UNIT_CHECK(rc == 0 && s.nfix == 2 && s.optimal &&
	    s.fix_val[1] == 1e9, "path summary parses: %s", err.msg);
	nsl_buf_reset(&b);
	nsl_compare_sum_write(&s, &b);
	UNIT_CHECK(b.len == strlen(path) && memcmp(b.data, path, b.len) == 0,
	    "path summary writes back: %.*s", (int)b.len, b.data);
	nsl_compare_sum_release(&s);
	memset(&p, 0, sizeof(p));
	p.x = "n";
	rc = nsl_rec_parse(&rec, pt, strlen(pt), &err);
	if (rc == 0)
		rc = nsl_compare_point_parse(&p, &rec, &err);
	UNIT_CHECK(rc == 0, "point parses: %s", err.msg);
	nsl_buf_reset(&b);
	nsl_compare_point_write(&p, &b);
	UNIT_CHECK(b.len == strlen(pt) && memcmp(b.data, pt, b.len) == 0,
	    "point writes back: %.*s", (int)b.len, b.data);
	nsl_buf_release(&b);
	nsl_rec_release(&rec);
}

int
main(void)
{
	test_parabola();
	test_optrec();
	test_compare_records();
	return unit_done();
}
