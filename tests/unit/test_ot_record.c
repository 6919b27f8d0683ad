/*
 * test_ot_record.c - lib/ot_record.c and lib/ot_run.c: the records of
 * nsl-ot-distance written and parsed back, the fields each method's row
 * puts in its record, and the job's checks.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/buf.h"
#include "nsl/ot.h"
#include "nsl/ot_record.h"
#include "nsl/ot_run.h"
#include "unit.h"

/* The record of a result made by hand for the method named m. */
static void
make(const char *m, struct nsl_ot_record *r, struct nsl_buf *b)
{
	struct nsl_ot_params o;
	struct nsl_ot_problem pr;
	struct nsl_ot_result res;

	nsl_ot_params_init(&o);
	o.method = nsl_ot_method_find(m);
	memset(&pr, 0, sizeof(pr));
	pr.n = 3;
	pr.m = 2;
	pr.d = 4;
	memset(&res, 0, sizeof(res));
	res.value = 4;
	res.distance = 2;
	res.objective = res.epsilon = res.marginal_error = NAN;
	res.std_error = res.variance_reduction = NAN;
	res.iterations = 7;
	res.sinkhorn_iterations = 5;
	res.newton_iterations = strcmp(m, "sns") == 0 ? 2 : -1;
	res.converged = 1;
	nsl_ot_record_make(r, &o, &pr, &res, "A.jsonl", "B.jsonl");
	nsl_buf_reset(b);
	nsl_ot_record_write(b, r);
}

static void
test_result(void)
{
	struct nsl_ot_record r, back;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;

	nsl_err_clear(&err);
	make("exact", &r, &b);
	UNIT_CHECK(b.data != NULL && strcmp(b.data, "{\"distance\":2,"
	    "\"value\":4,\"method\":\"exact\",\"cost\":\"sqeuclidean\","
	    "\"p\":2,\"n\":3,\"m\":2,\"d\":4,\"iterations\":7,"
	    "\"converged\":true,\"a\":\"A.jsonl\",\"b\":\"B.jsonl\"}\n") == 0,
	    "exact's record: the fields that apply, in order: %s", b.data);
	make("otdd", &r, &b);
	UNIT_CHECK(strstr(b.data, "\"method\":\"otdd\",\"inner\":\"exact\","
	    "\"cost\"") != NULL, "otdd's record names its inner method");
	make("sns", &r, &b);
	UNIT_CHECK(strstr(b.data, "\"iterations\":7,\"sinkhorn_iterations\":"
	    "5,\"newton_iterations\":2,") != NULL, "sns's record has both "
	    "counts");
	make("sinkhorn", &r, &b);
	UNIT_CHECK(strstr(b.data, "sinkhorn_iterations") == NULL,
	    "sinkhorn's record has the total only");
	make("sliced", &r, &b);
	UNIT_CHECK(strstr(b.data, "\"iterations\":7,\"projections\":100,"
	    "\"converged\"") != NULL, "sliced's record has its projections");
	r.value = INFINITY;
	r.epsilon = 1e300;
	r.seconds = 0.25;
	r.blocked = 1;
	nsl_buf_reset(&b);
	nsl_ot_record_write(&b, &r);
	UNIT_CHECK(strstr(b.data, "\"value\":null") != NULL &&
	    strstr(b.data, "\"blocked\":true") != NULL &&
	    strstr(b.data, "\"seconds\":0.25}") != NULL, "a value beyond the "
	    "range is null; blocked and seconds when set");
	UNIT_CHECK(nsl_ot_record_parse(&back, b.data, b.len - 1, &err) == 0 &&
	    back.distance == 2 && isinf(back.value) && back.epsilon == 1e300 &&
	    strcmp(back.method, "sliced") == 0 && back.inner == NULL &&
	    strcmp(back.cost, "sqeuclidean") == 0 && back.p == 2 &&
	    back.n == 3 && back.m == 2 && back.d == 4 &&
	    back.iterations == 7 && back.sinkhorn_iterations == -1 &&
	    back.projections == 100 && isnan(back.std_error) &&
	    back.converged == 1 && back.blocked == 1 &&
	    strcmp(back.a, "A.jsonl") == 0 && strcmp(back.b, "B.jsonl") == 0 &&
	    back.seconds == 0.25, "parse reads back what write wrote");
	nsl_ot_record_release(&back);
	UNIT_CHECK(nsl_ot_record_parse(&back, "{\"x\":1}", 7, &err) == -1 &&
	    err.code == 65, "a line that is not a result is refused: %s",
	    err.msg);
	nsl_ot_record_release(&back);
	nsl_buf_release(&b);
}

static void
test_potential_plan(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_ot_plan_entry e = { 4, 1, 0.125 }, back;
	struct nsl_err err;
	double f = 0;
	size_t i = 0;
	int side = -1;

	nsl_err_clear(&err);
	nsl_ot_potential_write(&b, 1, 3, -1.5);
	UNIT_CHECK(strcmp(b.data, "{\"set\":\"b\",\"i\":3,\"potential\":"
	    "-1.5}\n") == 0, "a potential's record: %s", b.data);
	UNIT_CHECK(nsl_ot_potential_parse(b.data, b.len - 1, &side, &i, &f,
	    &err) == 0 && side == 1 && i == 3 && f == -1.5,
	    "a potential read back");
	UNIT_CHECK(nsl_ot_potential_parse("{\"set\":\"c\",\"i\":0,"
	    "\"potential\":1}", 33, &side, &i, &f, &err) == -1,
	    "a set other than a or b is refused");
	nsl_buf_reset(&b);
	nsl_ot_plan_write(&b, &e);
	UNIT_CHECK(strcmp(b.data, "{\"i\":4,\"j\":1,\"mass\":0.125}\n") == 0,
	    "a plan entry's record: %s", b.data);
	UNIT_CHECK(nsl_ot_plan_parse(b.data, b.len - 1, &back, &err) == 0 &&
	    back.i == 4 && back.j == 1 && back.mass == 0.125,
	    "a plan entry read back");
	UNIT_CHECK(nsl_ot_plan_parse("{\"i\":-1,\"j\":0,\"mass\":1}", 24,
	    &back, &err) == -1, "a negative index is refused");
	nsl_buf_release(&b);
}

/* The job's checks after nsl_ot_check's, in order. */
static void
test_run_check(void)
{
	static const char *const two[] = { "a", "b" };
	struct nsl_ot_run j;
	const char *msg;

	nsl_ot_run_init(&j);
	j.paths = two;
	j.npaths = 1;
	msg = nsl_ot_run_check(&j);
	UNIT_CHECK(msg != NULL && strcmp(msg, "expected two inputs, A and B") ==
	    0, "one input is refused");
	j.npaths = 2;
	UNIT_CHECK(nsl_ot_run_check(&j) == NULL, "two inputs, exact: fine");
	j.par.method = nsl_ot_method_find("otdd");
	msg = nsl_ot_run_check(&j);
	UNIT_CHECK(msg != NULL && strcmp(msg, "--method otdd: needs "
	    "--label-field") == 0, "a method with labels needs the field");
	j.label_field = "y";
	UNIT_CHECK(nsl_ot_run_check(&j) == NULL, "otdd with labels: fine");
	j.par.method = nsl_ot_method_find("gaussian");
	j.plan = "plan.jsonl";
	msg = nsl_ot_run_check(&j);
	UNIT_CHECK(msg != NULL && strcmp(msg, "--potentials and --plan: not "
	    "with gaussian") == 0, "a plan from a method without one");
	nsl_ot_run_release(&j);
}

int
main(void)
{
	test_result();
	test_potential_plan();
	test_run_check();
	return unit_done();
}
