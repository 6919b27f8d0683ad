/*
 * test_fitrec.c - the fit record's write/parse pair, what a record
 * answers (prediction, inversion, compute-optimal, intervals), the
 * extrapolation record's pair, and the one group-by (nsl/group.h).
 * Expected values are worked out by hand in the comments.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/extrap.h"
#include "nsl/fitrec.h"
#include "nsl/group.h"
#include "nsl/json.h"
#include "unit.h"

static int
parse(struct nsl_fitrec *f, const char *line, struct nsl_err *err)
{
	struct nsl_rec rec;
	int rc;

	nsl_rec_init(&rec, 0);
	nsl_fitrec_init(f);
	rc = nsl_rec_parse(&rec, line, strlen(line), err);
	if (rc == 0)
		rc = nsl_fitrec_parse(f, &rec, err);
	nsl_rec_release(&rec);
	return rc;
}

/*
 * A record parsed and written again is the same bytes.  Log-space
 * parameters go through log and exp, so their values are ones that
 * come back exactly (exp(log(v)) == v in double: 4, 6, 1024, 0.5, 2,
 * 0.25, checked in python3); the interval of the samples 1 and 6 at
 * level 0.5 is their 25th and 75th percentile, 2.25 and 4.75.
 */
static void
test_round_trip(void)
{
	static const char *const lines[] = {
		"{\"law\":\"power\",\"formula\":\"y = A*x^-a\",\"x\":[\"n\"],"
		"\"y\":\"err\",\"params\":{\"A\":4,\"a\":0.4},\"loss\":\"huber\","
		"\"delta\":0.001,\"objective\":0.5,\"converged\":true,\"n\":12,"
		"\"k\":2,\"aic\":-3.5,\"bic\":-2.25,\"rmsle\":0.125,\"are\":0.0625,"
		"\"max_rel_error\":0.25,\"seed\":7,\"range\":{\"n\":[2,4096]}}\n",
		"{\"law\":\"bnsl\",\"formula\":\"y = a + b*x^-c0 * prod_i (1 + "
		"(x/d_i)^(1/f_i))^(-c_i*f_i)\",\"x\":[\"x\"],\"y\":\"y\","
		"\"by\":{\"g\":\"a\"},\"params\":{\"a\":0.5,\"b\":2,\"c0\":0.1,"
		"\"c1\":0.5,\"c2\":1,\"d1\":6,\"d2\":1024,\"f1\":0.25,"
		"\"f2\":0.5},\"fixed\":[\"a\"],\"intervals\":{\"a\":[0.5,0.5],"
		"\"b\":[2.25,4.75],\"c0\":[0.1,0.1],\"c1\":[0.5,0.5],\"c2\":[1,1],"
		"\"d1\":[6,6],\"d2\":[1024,1024],\"f1\":[0.25,0.25],"
		"\"f2\":[0.5,0.5]},\"level\":0.5,\"loss\":\"ls\","
		"\"objective\":1,\"converged\":false,\"degenerate\":[{\"reason\":"
		"\"flat\",\"params\":[\"d1\",\"f1\"]}],\"nested\":{\"law\":"
		"\"bnsl\",\"objective\":2},\"n\":3,\"k\":8,\"aic\":1,\"bic\":2,"
		"\"rmsle\":0,\"are\":0,\"max_rel_error\":0,\"holdout\":{\"n\":1,"
		"\"rmsle\":0.5,\"are\":0.5,\"max_rel_error\":0.5},\"seed\":0,"
		"\"breaks\":2,\"bootstrap\":{\"B\":2,\"cluster\":\"run\","
		"\"samples\":[[0.5,1,0.1,0.5,1,6,1024,0.25,0.5],[0.5,6,0.1,"
		"0.5,1,6,1024,0.25,0.5]]}}\n",
		"{\"law\":\"formula\",\"formula\":\"E + A*x^-a\",\"x\":[\"x\"],"
		"\"y\":\"y\",\"params\":{\"E\":-0.5,\"A\":1e+200,\"a\":0.3},"
		"\"loss\":\"log-ls\",\"objective\":0,\"converged\":true,\"n\":4,"
		"\"k\":3,\"aic\":null,\"bic\":null,\"rmsle\":0,\"are\":0,"
		"\"max_rel_error\":0,\"seed\":18446744073709551615}\n",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct nsl_fitrec f;
		struct nsl_buf b = NSL_BUF_INIT;
		struct nsl_err err;
		int rc = parse(&f, lines[i], &err);

		UNIT_CHECK(rc == 0, "record %zu parses (%s)", i,
		    rc ? err.msg : "");
		if (rc == 0) {
			/* the record carries its own flags: copy them */
			nsl_fitrec_write(&f, &b, NSL_NUM_DOUBLE);
			UNIT_CHECK(b.data != NULL && strcmp(b.data, lines[i])
			    == 0, "record %zu: write(parse(r)) == r:\n%s%s", i,
			    b.data ? b.data : "", lines[i]);
		}
		nsl_buf_release(&b);
		nsl_fitrec_release(&f);
	}
}

static void
test_parse_errors(void)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\"}",
		    "missing field \"params\"" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "1}}", "law power: expected 1 variables and 2 parameters" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"a\":"
		    "1,\"A\":1}}", "field \"params\": expected \"A\" at "
		    "position 1" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "-1,\"a\":1}}", "\"A\" must not be negative" },
		{ "{\"law\":\"nope\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "1}}", "unknown law 'nope'" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "1,\"a\":1},\"level\":1}", "field \"level\": must be between "
		    "0 and 1" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "1,\"a\":1},\"by\":{\"g\":1,\"h\":2}}", "field \"by\": expected "
		    "an object of one member" },
		{ "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":{\"A\":"
		    "1,\"a\":1},\"range\":{\"x\":[2,1]}}", "field \"range\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nsl_fitrec f;
		struct nsl_err err;

		nsl_err_clear(&err);
		UNIT_CHECK(parse(&f, bad[i].line, &err) != 0 &&
		    err.code == NSL_EX_DATAERR && strstr(err.msg, bad[i].msg)
		    != NULL, "a bad record is refused: %s (%s)", bad[i].msg,
		    err.msg);
		nsl_fitrec_release(&f);
	}
}

/* Predictions, inversions and the compute-optimal split of a record. */
static void
test_answers(void)
{
	struct nsl_fitrec f;
	struct nsl_err err;
	double x[2], y, lo, hi, v[3], opt[3][3];

	/* power A = 4, a = 0.5: y(16) = 4/4 = 1; y = 0.5 at x = 64 */
	parse(&f, "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":"
	    "{\"A\":4,\"a\":0.5}}", &err);
	x[0] = 16;
	nsl_fitrec_predict(&f, x, 0.95, &y, &lo, &hi);
	UNIT_CHECK(y == 1 && isnan(lo) && isnan(hi), "power: 4*16^-0.5 = 1, "
	    "no interval without samples");
	UNIT_CHECK(nsl_fitrec_solve(&f, x, 0, 0.5, 0.95, v, &err) == 0 &&
	    fabs(v[0] - 64) < 1e-12, "power: y = 0.5 at x = 64 (%.17g)",
	    v[0]);
	UNIT_CHECK(nsl_fitrec_optimal(&f, 1e20, 6, 0.95, opt, &err) != 0,
	    "power has no compute-optimal split");
	nsl_fitrec_release(&f);

	/* samples A = 2 and A = 6 (a = 0.5): at x = 16 they give 0.5 and
	 * 1.5; the 0.5 interval of two values interpolates the quartiles:
	 * 0.5 + 0.25 * 1 = 0.75 and 1.25 */
	parse(&f, "{\"law\":\"power\",\"x\":[\"x\"],\"y\":\"y\",\"params\":"
	    "{\"A\":4,\"a\":0.5},\"bootstrap\":{\"B\":2,\"samples\":[[2,0.5],"
	    "[6,0.5]]}}", &err);
	nsl_fitrec_predict(&f, x, 0.5, &y, &lo, &hi);
	UNIT_CHECK(y == 1 && fabs(lo - 0.75) < 1e-12 &&
	    fabs(hi - 1.25) < 1e-12, "the interval is the samples' "
	    "percentiles (%g, %g)", lo, hi);
	nsl_fitrec_interval(&f, 0, 0.5, &lo, &hi);
	UNIT_CHECK(fabs(lo - 3) < 1e-12 && fabs(hi - 5) < 1e-12,
	    "parameter A's interval from the samples (%g, %g)", lo, hi);
	nsl_fitrec_release(&f);

	/* chinchilla-tied A = B = 400, alpha = 0.3, C = 6e20, k = 6:
	 * symmetric, so N = D = sqrt(1e20) = 1e10 */
	parse(&f, "{\"law\":\"chinchilla-tied\",\"x\":[\"N\",\"D\"],\"y\":"
	    "\"loss\",\"params\":{\"A\":400,\"B\":400,\"E\":1.7,\"alpha\":0.3}}",
	    &err);
	UNIT_CHECK(nsl_fitrec_optimal(&f, 6e20, 6, 0.95, opt, &err) == 0 &&
	    fabs(opt[0][0] - 1e10) < 1e-3 && fabs(opt[1][0] - 1e10) < 1e-3 &&
	    isnan(opt[0][1]), "compute-optimal N = D = 1e10 (%.17g)",
	    opt[0][0]);
	nsl_fitrec_release(&f);
}

/* The extrapolation record: what nsl_extrap_write adds, parse reads. */
static void
test_extrap_record(void)
{
	struct nsl_extrap_answer a, b;
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_rec rec, back;
	struct nsl_err err;
	const char *q = "{\"id\":1,\"x\":16,\"pred\":9}";

	memset(&a, 0, sizeof(a));
	a.name = "pred";
	a.v[0][0] = 1;
	a.v[0][1] = 0.75;
	a.v[0][2] = INFINITY;
	a.has_interval = 1;
	a.has_rel = 1;
	a.rel = -0.5;
	nsl_rec_init(&rec, 0);
	nsl_rec_init(&back, 0);
	nsl_rec_parse(&rec, q, strlen(q), &err);
	nsl_extrap_write(&rec, &a, &out);
	UNIT_CHECK(out.data != NULL && strcmp(out.data, "{\"id\":1,\"x\":16,"
	    "\"pred\":1,\"pred_lo\":0.75,\"pred_hi\":null,\"rel_error\":-0.5}"
	    "\n") == 0, "the answer replaces pred, adds its interval (null "
	    "beyond a double) and rel_error: %s", out.data ? out.data : "");
	memset(&b, 0, sizeof(b));
	b.name = "pred";
	UNIT_CHECK(nsl_rec_parse(&back, out.data, out.len - 1, &err) == 0 &&
	    nsl_extrap_parse(&back, &b, &err) == 0 && b.v[0][0] == 1 &&
	    b.v[0][1] == 0.75 && isnan(b.v[0][2]) && b.has_interval &&
	    b.has_rel && b.rel == -0.5, "parse reads the answer back");
	nsl_buf_release(&out);
	nsl_rec_release(&rec);
	nsl_rec_release(&back);
}

/* One group-by: equal values are one group, numbered in order. */
static void
test_group(void)
{
	static const char *const recs[] = {
		"{\"g\":2}", "{\"g\":\"a\"}", "{\"g\":2.0}", "{\"g\":\"\\u0061\"}",
		"{\"g\":null}", "{\"g\":20e-1}"
	};
	static const long want[] = { 0, 1, 0, 1, 2, 0 };
	struct nsl_groupby g, one;
	struct nsl_rec rec;
	struct nsl_err err;
	size_t i;
	int ok = 1;

	nsl_groupby_init(&g, "g");
	nsl_groupby_init(&one, NULL);
	nsl_rec_init(&rec, 0);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		nsl_rec_parse(&rec, recs[i], strlen(recs[i]), &err);
		ok &= nsl_groupby_add(&g, &rec, &err) == want[i];
		ok &= nsl_groupby_add(&one, &rec, &err) == 0;
	}
	UNIT_CHECK(ok && nsl_groupby_count(&g) == 3, "2, 2.0 and 20e-1 are "
	    "one group, \"a\" and \"\\u0061\" another, null a third");
	UNIT_CHECK(strcmp(nsl_groupby_key(&g, 0), "2") == 0 &&
	    strcmp(nsl_groupby_key(&g, 1), "\"a\"") == 0 &&
	    nsl_groupby_find(&g, "null") == 2 &&
	    nsl_groupby_find(&g, "3") == -1, "keys are the canonical texts");
	UNIT_CHECK(nsl_groupby_count(&one) == 1 &&
	    nsl_groupby_key(&one, 0) == NULL, "without a field: one group, "
	    "no key");
	nsl_rec_parse(&rec, "{\"h\":1}", 7, &err);
	UNIT_CHECK(nsl_groupby_add(&g, &rec, &err) < 0 &&
	    strstr(err.msg, "missing field \"g\"") != NULL,
	    "a record without the field is an error");
	nsl_rec_parse(&rec, "{\"g\":[1]}", 9, &err);
	UNIT_CHECK(nsl_groupby_add(&g, &rec, &err) < 0 &&
	    err.code == NSL_EX_DATAERR, "an array is no group");
	nsl_rec_release(&rec);
	nsl_groupby_release(&g);
	nsl_groupby_release(&one);
}

int
main(void)
{
	test_round_trip();
	test_parse_errors();
	test_answers();
	test_extrap_record();
	test_group();
	return unit_done();
}
