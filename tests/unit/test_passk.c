/*
 * test_passk.c - the pass@k estimator against exhaustive enumeration,
 * the k list's parser, the result record's pair.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/json.h"
#include "nsl/passk.h"
#include "unit.h"

/*
 * pass@k by brute force: of the n samples the first c are correct; over
 * every k-subset (a bit mask of n bits with k set), the fraction that
 * holds a correct one.  This is what the estimator is unbiased for.
 */
static double
enumerate(int n, int c, int k)
{
	unsigned long m, all = 0, hit = 0;

	for (m = 0; m < (1UL << n); m++) {
		if (__builtin_popcountl(m) != k)
			continue;
		all++;
		hit += (m & ((1UL << c) - 1)) != 0;
	}
	return (double)hit / (double)all;
}

static void
test_estimator(void)
{
	int n, c, k, bad = 0, cases = 0;
	double worst = 0;

	for (n = 1; n <= 14; n++)
		for (c = 0; c <= n; c++)
			for (k = 1; k <= n; k++) {
				double want = enumerate(n, c, k);
				double got = nsl_passk(n, c, k);

				cases++;
				if (fabs(got - want) > 1e-14) {
					bad++;
					if (fabs(got - want) > worst)
						worst = fabs(got - want);
				}
			}
	UNIT_CHECK(bad == 0, "pass@k equals the enumeration of all "
	    "k-subsets for every n <= 14, c, k (%d cases, %d off by up to "
	    "%g)", cases, bad, worst);
	UNIT_CHECK(nsl_passk(200, 0, 100) == 0 && nsl_passk(200, 200, 1) == 1,
	    "no correct sample: 0; all correct: 1");
	UNIT_CHECK(fabs(nsl_passk(200, 13, 1) - 13.0 / 200) < 1e-15,
	    "pass@1 is c/n (%.17g)", nsl_passk(200, 13, 1));
	/* n = 1e6 samples, c = 1000, k = 1000: 1 - C(n-c,k)/C(n,k), whose
	 * factorials overflow; by logs (lgamma) it is 1 - exp(...) */
	{
		double n6 = 1e6, want = 1 - exp(lgamma(n6 - 1000 + 1) -
		    lgamma(n6 - 2000 + 1) - lgamma(n6 + 1) +
		    lgamma(n6 - 1000 + 1));

		UNIT_CHECK(fabs(nsl_passk(1000000, 1000, 1000) - want) < 1e-9,
		    "large n stays finite and right (%.17g, lgamma %.17g)",
		    nsl_passk(1000000, 1000, 1000), want);
	}
}

static void
test_k_list(void)
{
	struct nsl_passk_job j;
	struct nsl_err err;

	UNIT_CHECK(nsl_passk_init(&j, &err) == 0 && j.nk == 1 && j.k[0] == 1,
	    "k is 1 by default");
	UNIT_CHECK(nsl_passk_set_k(&j, "1,10,100") == NULL && j.nk == 3 &&
	    j.k[2] == 100, "a comma list");
	UNIT_CHECK(nsl_passk_set_k(&j, "1,,2") != NULL &&
	    nsl_passk_set_k(&j, "0") != NULL &&
	    nsl_passk_set_k(&j, "2.5") != NULL &&
	    nsl_passk_set_k(&j, "") != NULL && j.nk == 3,
	    "empty items, 0, fractions are refused, the list kept");
	UNIT_CHECK(strcmp(nsl_passk_set_k(&j, "5,5"), "5 is given twice") ==
	    0, "a repeated k is refused");
	nsl_passk_release(&j);
}

static void
test_record(void)
{
	struct nsl_passk_result r = { "model", "\"m1\"", 10, 0.25, 0.125,
		0.375, 164, 32800 }, back;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;

	nsl_passk_write(&r, &b);
	UNIT_CHECK(strcmp(b.data, "{\"model\":\"m1\",\"k\":10,\"pass_at_k\":"
	    "0.25,\"pass_at_k_lo\":0.125,\"pass_at_k_hi\":0.375,\"problems\":"
	    "164,\"samples\":32800}\n") == 0, "the record: %s", b.data);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_passk_parse(&rec, &back, &err) == 0 && back.k == 10 &&
	    back.pass == 0.25 && back.lo == 0.125 && back.hi == 0.375 &&
	    back.problems == 164 && back.samples == 32800,
	    "parse reads back what write wrote");
	nsl_buf_reset(&b);
	r.by = NULL;
	r.lo = r.hi = NAN;
	nsl_passk_write(&r, &b);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_passk_parse(&rec, &back, &err) == 0 && isnan(back.lo) &&
	    strstr(b.data, "_lo") == NULL, "no interval, no _lo: %s", b.data);
	UNIT_CHECK(nsl_rec_parse(&rec, "{\"k\":1}", 7, &err) == 0 &&
	    nsl_passk_parse(&rec, &back, &err) != 0 &&
	    strstr(err.msg, "pass_at_k") != NULL, "a missing field: %s",
	    err.msg);
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
}

int
main(void)
{
	test_estimator();
	test_k_list();
	test_record();
	return unit_done();
}
