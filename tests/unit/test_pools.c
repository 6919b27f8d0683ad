/*
 * test_pools.c - the data-filter mixture (nsl_law_filter_mix) against
 * the data-filter row, and nsl-pools' answer record's write/parse pair.
 */
#include <math.h>
#include <string.h>

#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/pools.h"
#include "unit.h"

/* One pool: the mixture is the row's y, at budgets within and beyond
 * the first epoch. */
static void
test_one_pool(void)
{
	static const double p[1][4] = { { 0.7, -0.45, 1.5, 0.2 } };
	static const double n[] = { 50, 100, 150, 1000, 123456 };
	struct nsl_err err;
	struct nsl_law *l = nsl_law_new("data-filter", 0, &err);
	double th[4], x[2], y, m;
	size_t i;

	UNIT_CHECK(l != NULL, "data-filter: %s", err.msg);
	if (l == NULL)
		return;
	nsl_law_from_report(l, p[0], th);
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		x[0] = n[i];
		x[1] = 100;
		y = nsl_law_eval(l, th, x, NULL);
		m = nsl_law_filter_mix(p, 1, n[i], 100);
		UNIT_CHECK(fabs(m / y - 1) < 1e-13, "n = %g: mix %.17g, row "
		    "%.17g", n[i], m, y);
	}
	nsl_law_free(l);
}

/* A mixture does not depend on the order of its pools, and pools alike
 * mix to one of them with the summed size. */
static void
test_mix(void)
{
	static const double ab[2][4] = { { 1, -0.5, 1, 0.1 },
		{ 1, -0.3, 2, 0.1 } };
	static const double ba[2][4] = { { 1, -0.3, 2, 0.1 },
		{ 1, -0.5, 1, 0.1 } };
	static const double aa[2][4] = { { 1, -0.5, 1, 0.1 },
		{ 1, -0.5, 1, 0.1 } };
	double u = nsl_law_filter_mix(ab, 2, 5000, 200);
	double v = nsl_law_filter_mix(ba, 2, 5000, 200);

	UNIT_CHECK(fabs(u / v - 1) < 1e-14, "order: %.17g %.17g", u, v);
	u = nsl_law_filter_mix(aa, 2, 5000, 200);
	v = nsl_law_filter_mix(aa, 1, 5000, 200);
	UNIT_CHECK(fabs(u / v - 1) < 1e-14, "alike: %.17g %.17g", u, v);
}

static void
test_answer(void)
{
	static const char *line = "{\"n\":1e5,\"id\":3,\"pools\":[\"q1\",2,"
	    "\"q4\"],\"P\":3000,\"pred\":0.09447748798121064}\n";
	struct nsl_pools_answer a;
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	int rc;

	nsl_err_clear(&err);
	nsl_rec_init(&rec, 0);
	rc = nsl_rec_parse(&rec, line, strlen(line), &err);
	if (rc == 0)
		rc = nsl_pools_parse(&rec, &a, &err);
	UNIT_CHECK(rc == 0 && a.npools == 3 && a.P == 3000 &&
	    strcmp(a.labels[1], "2") == 0, "answer parses: %s", err.msg);
	if (rc != 0)
		goto out;
	/* written over the record: its own fields replaced in place of
	 * being doubled, the others kept */
	nsl_pools_write(&rec, &a, &b);
	UNIT_CHECK(b.len == strlen(line) && memcmp(b.data, line, b.len) == 0,
	    "answer writes back: %.*s", (int)b.len, b.data);
	nsl_pools_answer_release(&a);
out:
	nsl_buf_release(&b);
	nsl_rec_release(&rec);
}

int
main(void)
{
	test_one_pool();
	test_mix();
	test_answer();
	return unit_done();
}
