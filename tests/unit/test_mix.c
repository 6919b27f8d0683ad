/*
 * test_mix.c - lib/mix.c and lib/coreset.c through their headers: mixture
 * counts and temperature proportions worked out by hand, the search
 * record's write/parse pair, and the coreset rules on hand-made points.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nsl/buf.h"
#include "nsl/coreset.h"
#include "nsl/json.h"
#include "nsl/mix.h"
#include "unit.h"

static void
test_counts(void)
{
	double p3[3] = { 0.5, 0.3, 0.2 }, p[3];
	uint64_t c[3], n[3] = { 4, 2, 1 };

	nsl_mix_counts(p3, 3, 10, c);
	UNIT_CHECK(c[0] == 5 && c[1] == 3 && c[2] == 2,
	    "counts: 0.5 0.3 0.2 of 10 are 5 3 2 (0.3 x 10 is 3)");
	/* 7 x (4, 2, 1) / 7 = 4 2 1; of 3: 1.714 0.857 0.429 -> 1 0 0,
	 * remainders to b then a */
	p[0] = 4.0 / 7;
	p[1] = 2.0 / 7;
	p[2] = 1.0 / 7;
	nsl_mix_counts(p, 3, 3, c);
	UNIT_CHECK(c[0] == 2 && c[1] == 1 && c[2] == 0,
	    "counts: 3 of 4:2:1 by largest remainder are 2 1 0");
	p[0] = p[1] = p[2] = 1.0 / 3;
	nsl_mix_counts(p, 3, 10, c);
	UNIT_CHECK(c[0] == 4 && c[1] == 3 && c[2] == 3,
	    "counts: equal remainders favour the first source");
	nsl_mix_temperature(n, 3, 2, p);
	UNIT_CHECK(fabs(p[0] - 2 / (3 + sqrt(2.0))) < 1e-15 &&
	    fabs(p[2] - 1 / (3 + sqrt(2.0))) < 1e-15,
	    "temperature 2: sqrt of the sizes, normalised");
	nsl_mix_temperature(n, 3, 1e-3, p);
	UNIT_CHECK(p[0] == 1 && p[1] < 1e-300 && p[2] == 0,
	    "temperature 1e-3: all on the largest, no overflow");
}

static void
test_search_pair(void)
{
	const char *names[2] = { "\"a\"", "2" };
	double w[2] = { 0.25, 0.75 }, w2[2];
	struct nsl_mix_search r = { w, 1.5, 1e-3, NAN, 4 }, back;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;

	nsl_mix_search_write(&b, names, 2, &r);
	UNIT_CHECK(strcmp(b.data, "{\"search\":\"frank-wolfe\",\"weights\":"
	    "{\"a\":0.25,\"2\":0.75},\"cost\":1.5,\"gap\":0.001,"
	    "\"iterations\":4}\n") == 0, "search record: %s", b.data);
	nsl_rec_init(&rec, 0);
	memset(&back, 0, sizeof(back));
	back.w = w2;
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_mix_search_parse(&rec, names, 2, &back, &err) == 0 &&
	    w2[0] == 0.25 && w2[1] == 0.75 && back.cost == 1.5 &&
	    back.gap == 1e-3 && back.iterations == 4 && isnan(back.eps),
	    "search record: parse gives back what was written");
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
}

static void
test_coresets(void)
{
	/* a line: 0 1 2 10 11 20 */
	double x[6] = { 0, 1, 2, 10, 11, 20 }, y[5] = { 0, 1, 2, 3, 4 };
	size_t sel[6];
	struct nsl_err err;

	nsl_coreset_kcenter(x, 6, 1, 3, 3, sel, &err);
	/* from 10: 0 and 20 both 10 away, the lower row; then 20 */
	UNIT_CHECK(sel[0] == 3 && sel[1] == 0 && sel[2] == 5,
	    "k-center from row 3: rows 3 0 5");
	nsl_coreset_herding(y, 5, 1, 3, sel, &err);
	UNIT_CHECK(sel[0] == 2 && sel[1] == 1 && sel[2] == 3,
	    "herding of 0..4: rows 2 1 3");
	/* facility: two directions; (1 + cos) / 2 is 1 within, 1/2 across */
	{
		double u[8] = { 1, 0, 1, 0, 1, 0, 0, 1 };

		nsl_coreset_facility(u, 4, 2, 2, 0, NULL, sel, &err);
		UNIT_CHECK(sel[0] == 0 && sel[1] == 3,
		    "facility: the crowd's first row, then the other direction");
	}
	UNIT_CHECK(nsl_coreset_herding(y, 5, 1, 6, sel, &err) == -1,
	    "herding of more rows than given is an error");
	UNIT_CHECK(nsl_coreset_sample_size(100, 10, exp(-2)) == 20,
	    "stochastic sample: (100 / 10) ln(e^2) = 20");
}

int
main(void)
{
	test_counts();
	test_search_pair();
	test_coresets();
	return unit_done();
}
