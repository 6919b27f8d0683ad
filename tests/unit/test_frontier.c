/*
 * test_frontier.c - nsl-frontier's records: the summary's and the
 * point's write/parse pairs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/frontier.h"
#include "nsl/json.h"
#include "unit.h"

/* A written summary parses back and writes the same bytes; nulls stay. */
static void
test_sum(void)
{
	static const char *const lines[] = {
		"{\"x\":\"n_train\",\"y\":\"test_error\",\"group\":\"kept\","
		"\"fraction\":\"f\",\"points\":6,\"unpruned\":6,"
		"\"holdout_rmsle\":{\"power-offset\":0.5,\"exp-offset\":0.25,"
		"\"bnsl\":null},\"best_law\":\"exp-offset\",\"a_frontier\":0.5,"
		"\"a_frontier_lo\":0.25,\"a_frontier_hi\":0.75,"
		"\"a_unpruned\":0.5,\"a_unpruned_lo\":0.5,"
		"\"a_unpruned_hi\":0.5,\"at\":3200,\"delta_at\":-0.0625,"
		"\"delta_lo\":-0.125,\"delta_hi\":-0.03125,"
		"\"p_frontier_lower\":1,\"crossover\":null,"
		"\"crossover_lo\":null,\"crossover_hi\":null,"
		"\"best_f\":[[100,0.5],[3200,0.25]],\"best_f_slope\":-0.25,"
		"\"beats\":true,\"verdict\":\"exponential\",\"B\":200,"
		"\"level\":0.95,\"seed\":7}\n",
		"{\"x\":\"alpha\",\"y\":\"error\",\"group\":\"alpha\","
		"\"fraction\":\"f\",\"points\":5,\"unpruned\":5,"
		"\"holdout_rmsle\":{\"power-offset\":0.125},"
		"\"best_law\":\"power-offset\",\"a_frontier\":null,"
		"\"a_frontier_lo\":null,\"a_frontier_hi\":null,"
		"\"a_unpruned\":1,\"a_unpruned_lo\":0.5,\"a_unpruned_hi\":2,"
		"\"at\":16,\"delta_at\":0,\"delta_lo\":0,\"delta_hi\":0,"
		"\"p_frontier_lower\":0,\"crossover\":2,\"crossover_lo\":1,"
		"\"crossover_hi\":4,\"best_f\":[[1,1],[2,1],[4,1],[8,1],[16,1]],"
		"\"best_f_slope\":0,\"beats\":false,\"verdict\":\"none\","
		"\"B\":2,\"level\":0.5,\"seed\":0}\n"
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct nsl_frontier_sum s;
		struct nsl_rec rec;
		struct nsl_err err;
		struct nsl_buf b = NSL_BUF_INIT;
		int rc;

		nsl_err_clear(&err);
		nsl_rec_init(&rec, 0);
		nsl_frontier_sum_init(&s);
		rc = nsl_rec_parse(&rec, lines[i], strlen(lines[i]), &err);
		if (rc == 0)
			rc = nsl_frontier_sum_parse(&s, &rec, &err);
		UNIT_CHECK(rc == 0, "summary %zu parses: %s", i, err.msg);
		if (rc == 0) {
			nsl_frontier_sum_write(&s, &b);
			UNIT_CHECK(b.len == strlen(lines[i]) &&
			    memcmp(b.data, lines[i], b.len) == 0,
			    "summary %zu writes back: %.*s", i, (int)b.len,
			    b.data);
		}
		nsl_buf_release(&b);
		nsl_frontier_sum_release(&s);
		nsl_rec_release(&rec);
	}
}

/* A summary without a field, or with a bad one, is an error naming it. */
static void
test_sum_bad(void)
{
	static const char *const lines[] = {
		"{\"x\":\"n\"}",
		"{\"x\":\"n\",\"y\":\"e\",\"group\":\"n\",\"fraction\":\"f\","
		"\"points\":1,\"unpruned\":1,\"holdout_rmsle\":[1]}"
	};
	static const char *const want[] = { "\"y\"", "\"holdout_rmsle\"" };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct nsl_frontier_sum s;
		struct nsl_rec rec;
		struct nsl_err err;
		int rc;

		nsl_err_clear(&err);
		nsl_rec_init(&rec, 0);
		nsl_frontier_sum_init(&s);
		rc = nsl_rec_parse(&rec, lines[i], strlen(lines[i]), &err);
		if (rc == 0)
			rc = nsl_frontier_sum_parse(&s, &rec, &err);
		UNIT_CHECK(rc == -1 && strstr(err.msg, want[i]) != NULL,
		    "bad summary %zu: %s", i, err.msg);
		nsl_frontier_sum_release(&s);
		nsl_rec_release(&rec);
	}
}

/* The point is the run as it came, "frontier_runs" added; it reads back. */
static void
test_point(void)
{
	static const char *run = "{\"n_train\":1003,\"f\":0.5,"
	    "\"strategy\":\"stratified\",\"test_error\":0.2232}";
	static const char *want = "{\"n_train\":1003,\"f\":0.5,"
	    "\"strategy\":\"stratified\",\"test_error\":0.2232,"
	    "\"frontier_runs\":3}\n";
	struct nsl_frontier_point p, q;
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	int rc;

	memset(&p, 0, sizeof(p));
	p.line = (char *)run;
	p.len = strlen(run);
	p.runs = 3;
	nsl_frontier_point_write(&p, &b);
	UNIT_CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
	    "point writes the run and its count: %.*s", (int)b.len, b.data);
	nsl_err_clear(&err);
	nsl_rec_init(&rec, 0);
	rc = nsl_rec_parse(&rec, b.data, b.len - 1, &err);
	if (rc == 0)
		rc = nsl_frontier_point_parse(&q, &rec, "n_train",
		    "test_error", "f", &err);
	UNIT_CHECK(rc == 0 && q.x == 1003 && q.y == 0.2232 && q.f == 0.5 &&
	    q.runs == 3, "point parses back: %s", err.msg);
	nsl_buf_release(&b);
	nsl_rec_release(&rec);
}

int
main(void)
{
	test_sum();
	test_sum_bad();
	test_point();
	return unit_done();
}
