/*
 * test_ot.c - lib/ot*.c against POT and SciPy reference values
 * (tests/fixtures/ot/ref.tsv, written by tests/fixtures/ot/make-ref.py)
 * and against closed forms worked out by hand below.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "nsl/ot.h"
#include "nsl/rng.h"
#include "unit.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures/ot"
#endif

struct prob {
	double *x, *y, *a, *b;
	size_t n, m, d;
};

/* The generator of make-ref.py: splitmix64, u = (z >> 11) 2^-53. */
static void
gen(struct prob *p, uint64_t seed, size_t n, size_t m, size_t d, int weighted,
    double shift)
{
	uint64_t st = seed;
	size_t i;
	double sa = 0, sb = 0;

	p->n = n;
	p->m = m;
	p->d = d;
	p->x = malloc(n * d * sizeof(double));
	p->y = malloc(m * d * sizeof(double));
	p->a = malloc(n * sizeof(double));
	p->b = malloc(m * sizeof(double));
	for (i = 0; i < n * d; i++)
		p->x[i] = (double)(nsl_rng_splitmix64(&st) >> 11) * 0x1p-53;
	for (i = 0; i < m * d; i++)
		p->y[i] = (double)(nsl_rng_splitmix64(&st) >> 11) * 0x1p-53 +
		    shift;
	for (i = 0; i < n; i++)
		sa += p->a[i] = weighted ? 0.1 + (double)(nsl_rng_splitmix64(
		    &st) >> 11) * 0x1p-53 : 1;
	for (i = 0; i < m; i++)
		sb += p->b[i] = weighted ? 0.1 + (double)(nsl_rng_splitmix64(
		    &st) >> 11) * 0x1p-53 : 1;
	for (i = 0; i < n; i++)
		p->a[i] /= sa;
	for (i = 0; i < m; i++)
		p->b[i] /= sb;
}

static void
prob_free(struct prob *p)
{
	free(p->x);
	free(p->y);
	free(p->a);
	free(p->b);
}

static struct nsl_ot_problem
as_problem(const struct prob *p)
{
	struct nsl_ot_problem q;

	memset(&q, 0, sizeof(q));
	q.x = p->x;
	q.y = p->y;
	q.n = p->n;
	q.m = p->m;
	q.d = p->d;
	q.a = p->a;
	q.b = p->b;
	return q;
}

/* A row of the catalogue by name; a missing one fails here. */
static const struct nsl_ot_method *
method(const char *name)
{
	const struct nsl_ot_method *m = nsl_ot_method_find(name);

	UNIT_CHECK(m != NULL, "method %s is in the catalogue", name);
	return m;
}

static double
rel(double a, double b)
{
	return fabs(a - b) / fmax(fabs(b), 1e-300);
}

static int
run(struct nsl_ot_params *o, const struct prob *p, struct nsl_ot_result *r)
{
	struct nsl_ot_problem q = as_problem(p);
	struct nsl_err err;

	nsl_err_clear(&err);
	if (nsl_ot_solve(o, &q, r, &err) < 0) {
		printf("# error: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void
check_case(const char *kind, uint64_t seed, size_t n, size_t m, size_t d,
    int w, double shift, double param, double value, double extra)
{
	struct nsl_ot_params o;
	struct nsl_ot_result r, r2;
	struct prob p;

	if (unit_quick() && n * m > 200000)
		return;
	gen(&p, seed, n, m, d, w, shift);
	nsl_ot_params_init(&o);
	if (strcmp(kind, "exact") == 0 || strcmp(kind, "lp") == 0) {
		o.method = method("exact");
		o.want_potentials = 1;
		if (run(&o, &p, &r) == 0) {
			size_t i, j, k;
			double dual = 0, viol = 0, *C;

			UNIT_CHECK(rel(r.value, value) < 1e-9, "exact %s seed "
			    "%llu %zux%zu d=%zu w=%d: %.17g vs %.17g (rel "
			    "%.2g)", kind, (unsigned long long)seed, n, m, d,
			    w, r.value, value, rel(r.value, value));
			/* strong duality and dual feasibility */
			C = malloc(n * m * sizeof(double));
			{
				struct nsl_ot_problem q = as_problem(&p);

				nsl_ot_cost_matrix(&q, NSL_OT_SQEUCLIDEAN, 2,
				    C);
			}
			for (i = 0; i < n; i++)
				dual += p.a[i] * r.f[i];
			for (j = 0; j < m; j++)
				dual += p.b[j] * r.g[j];
			for (k = 0; k < n * m; k++)
				viol = fmax(viol, r.f[k / m] + r.g[k % m] -
				    C[k]);
			UNIT_CHECK(rel(dual, r.value) < 1e-9 && viol < 1e-9,
			    "exact seed %llu: duals feasible (%.2g) and "
			    "<a,f>+<b,g> = value (rel %.2g)",
			    (unsigned long long)seed, viol,
			    rel(dual, r.value));
			free(C);
			nsl_ot_result_release(&r);
		}
	} else if (strcmp(kind, "sinkhorn") == 0) {
		o.method = method("sinkhorn");
		o.eps = param;
		o.tol = 1e-10;
		if (run(&o, &p, &r) == 0) {
			UNIT_CHECK(r.converged && rel(r.value, value) < 1e-6,
			    "sinkhorn seed %llu %zux%zu d=%zu: <P,C> %.17g vs "
			    "POT %.17g (rel %.2g)", (unsigned long long)seed,
			    n, m, d, r.value, value, rel(r.value, value));
			UNIT_CHECK(rel(r.objective, extra) < 1e-6, "sinkhorn "
			    "seed %llu: objective %.17g vs %.17g",
			    (unsigned long long)seed, r.objective, extra);
			o.method = method("sns");
			if (run(&o, &p, &r2) == 0) {
				UNIT_CHECK(r2.converged &&
				    rel(r2.value, r.value) < 1e-8, "sns seed "
				    "%llu: %.17g vs sinkhorn %.17g",
				    (unsigned long long)seed, r2.value,
				    r.value);
				nsl_ot_result_release(&r2);
			}
			/* too little memory for the direct solve: PCG */
			o.max_memory = 1;
			if (run(&o, &p, &r2) == 0) {
				UNIT_CHECK(r2.converged && r2.blocked &&
				    rel(r2.value, r.value) < 1e-8, "sns seed "
				    "%llu, conjugate gradients: %.17g vs "
				    "sinkhorn %.17g", (unsigned long long)seed,
				    r2.value, r.value);
				nsl_ot_result_release(&r2);
			}
			o.method = method("sinkhorn");
			o.max_memory = 1;	/* on-the-fly cost blocks */
			if (run(&o, &p, &r2) == 0) {
				UNIT_CHECK(r2.blocked &&
				    rel(r2.value, r.value) < 1e-9, "sinkhorn "
				    "seed %llu: blocked costs %.17g vs stored "
				    "%.17g", (unsigned long long)seed,
				    r2.value, r.value);
				nsl_ot_result_release(&r2);
			}
			nsl_ot_result_release(&r);
		}
	} else if (strcmp(kind, "sns") == 0) {
		/* small eps: Newton must reach the tolerance, in few steps */
		o.method = method("sns");
		o.eps = param;
		o.tol = 1e-10;
		o.max_iter = 5000;
		if (run(&o, &p, &r) == 0) {
			UNIT_CHECK(r.converged && r.newton_iterations > 0 &&
			    r.newton_iterations <= 30 &&
			    rel(r.value, value) < 1e-8, "sns seed %llu "
			    "%zux%zu d=%zu eps %.3g: <P,C> %.17g vs dense "
			    "Newton %.17g (rel %.2g) in %ld Sinkhorn + %ld "
			    "Newton iterations", (unsigned long long)seed, n,
			    m, d, param, r.value, value, rel(r.value, value),
			    r.sinkhorn_iterations, r.newton_iterations);
			nsl_ot_result_release(&r);
		}
		o.max_iter = 100000;
	} else if (strcmp(kind, "divergence") == 0) {
		o.method = method("divergence");
		o.eps = param;
		o.tol = 1e-11;
		if (run(&o, &p, &r) == 0) {
			UNIT_CHECK(rel(r.value, value) < 1e-6, "divergence "
			    "seed %llu: %.17g vs %.17g (rel %.2g)",
			    (unsigned long long)seed, r.value, value,
			    rel(r.value, value));
			nsl_ot_result_release(&r);
		}
	} else if (strcmp(kind, "sliced") == 0) {
		int cv;

		for (cv = 0; cv < 3; cv++) {
			o.method = method("sliced");
			o.projections = 2000;
			o.seed = 5;
			o.cv = (enum nsl_ot_cv)cv;
			if (run(&o, &p, &r) == 0) {
				double se = sqrt(r.std_error * r.std_error +
				    extra * extra);

				UNIT_CHECK(fabs(r.value - value) < 3 * se,
				    "sliced seed %llu cv %d: %.6g vs POT %.6g "
				    "within 3 se (%.3g); variance reduction "
				    "%.3g", (unsigned long long)seed, cv,
				    r.value, value, se, r.variance_reduction);
				nsl_ot_result_release(&r);
			}
		}
	}
	prob_free(&p);
}

/* A file of tests/fixtures/ot, from the top or beside this source. */
static FILE *
fixture(const char *name)
{
	char path[4096];
	const char *f = __FILE__, *sl = strrchr(f, '/');
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	if ((fp = fopen(path, "r")) != NULL)
		return fp;
	snprintf(path, sizeof(path), "%.*s/../fixtures/ot/%s",
	    sl ? (int)(sl - f) : 1, sl ? f : ".", name);
	return fopen(path, "r");
}

static void
test_fixtures(void)
{
	FILE *fp = fixture("ref.tsv");
	char line[4096], kind[32], extra[2048];
	unsigned long long seed;
	size_t n, m, d;
	int w;
	double shift, param, value, ex;

	UNIT_CHECK(fp != NULL, "reference file opens");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		int k;

		if (line[0] == '#')
			continue;
		extra[0] = '\0';
		k = sscanf(line, "%31s %llu %zu %zu %zu %d %lf %lf %lf %2047s",
		    kind, &seed, &n, &m, &d, &w, &shift, &param, &value, extra);
		if (k < 9)
			continue;
		if (strcmp(kind, "bures") == 0) {
			double m1[3], S1[9], m2[3], S2[9], v = -1;
			struct nsl_err err;
			char *s = extra;
			int i;

			for (i = 0; i < 24; i++) {
				double t;

				while (*s == '[' || *s == ']' || *s == ',')
					s++;
				t = strtod(s, &s);
				if (i < 3)
					m1[i] = t;
				else if (i < 12)
					S1[i - 3] = t;
				else if (i < 15)
					m2[i - 12] = t;
				else
					S2[i - 15] = t;
			}
			nsl_ot_bures(m1, S1, m2, S2, 3, &v, &err);
			UNIT_CHECK(rel(v, value) < 1e-9, "bures, non-commuting "
			    "3-d pair: %.17g vs SciPy sqrtm %.17g", v, value);
			continue;
		}
		ex = extra[0] ? strtod(extra, NULL) : 0;
		check_case(kind, seed, n, m, d, w, shift, param, value, ex);
	}
	fclose(fp);
}

static void
test_closed_forms(void)
{
	struct nsl_err err;
	double v = -1;
	/* diag covariances commute: W2^2 = |dm|^2 + sum (sqrt s1 - sqrt s2)^2
	 * = (1 + 1) + (2 - 1)^2 + (3 - 1)^2 = 7 */
	double m1[2] = { 0, 0 }, S1[4] = { 4, 0, 0, 9 };
	double m2[2] = { 1, 1 }, S2[4] = { 1, 0, 0, 1 };
	/* a rank-1 (singular) covariance against itself: 0 */
	double S3[4] = { 1, 1, 1, 1 };
	double u[2] = { 0, 1 }, wu[2] = { 0.5, 0.5 };
	double vv[2] = { 3, 2 }, wv[2] = { 0.5, 0.5 };
	double u1[1] = { 0 }, w1[1] = { 1 };
	double v1[2] = { 3, 1 }, wv1[2] = { 0.5, 0.5 };

	nsl_ot_bures(m1, S1, m2, S2, 2, &v, &err);
	UNIT_CHECK(fabs(v - 7) < 1e-12, "bures of diagonal Gaussians = 7 "
	    "(got %.17g)", v);
	nsl_ot_bures(m1, S3, m1, S3, 2, &v, &err);
	UNIT_CHECK(fabs(v) < 1e-12, "bures of a singular Gaussian with itself "
	    "= 0 (got %.3g)", v);
	/* {0,1} to {2,3}: each moves 2, p = 2: 4 */
	v = nsl_ot_wasserstein_1d(u, wu, 2, vv, wv, 2, 2);
	UNIT_CHECK(fabs(v - 4) < 1e-15, "1-d W2^2 of {0,1} and {2,3} = 4");
	/* a point mass at 0 to {1, 3}: W1 = (1 + 3) / 2 = 2 */
	v = nsl_ot_wasserstein_1d(u1, w1, 1, v1, wv1, 2, 1);
	UNIT_CHECK(fabs(v - 2) < 1e-15, "1-d W1 of {0} and {1,3} = 2");
}

/* Gaussian fit: mean and ML covariance of {(0,0), (2,0), (0,2), (2,2)}
 * with weights 1,1,1,1: mean (1,1), covariance diag(1,1). */
static void
test_moments(void)
{
	double x[8] = { 0, 0, 2, 0, 0, 2, 2, 2 }, mean[2], cov[4];

	nsl_ot_moments(x, 4, 2, NULL, NULL, 0, mean, cov);
	UNIT_CHECK(mean[0] == 1 && mean[1] == 1 && cov[0] == 1 && cov[3] == 1
	    && cov[1] == 0 && cov[2] == 0, "moments of the square's corners");
}

static void
test_threads(void)
{
	struct nsl_ot_params o;
	struct nsl_ot_result r1, r2;
	struct prob p;

	gen(&p, 99, 700, 600, 8, 1, 0.1);
	nsl_ot_params_init(&o);
	o.method = method("sinkhorn");
	o.eps_rel = 0.02;
	omp_set_num_threads(1);
	run(&o, &p, &r1);
	omp_set_num_threads(2);
	run(&o, &p, &r2);
	UNIT_CHECK(memcmp(&r1.value, &r2.value, sizeof(double)) == 0 &&
	    r1.iterations == r2.iterations, "sinkhorn: same bits on 1 and 2 "
	    "threads");
	nsl_ot_result_release(&r1);
	nsl_ot_result_release(&r2);
	prob_free(&p);
}

static void
test_bad(void)
{
	struct nsl_ot_params o;
	struct nsl_ot_result r;
	struct nsl_ot_problem q;
	struct nsl_err err;
	double x[2] = { 0, 1 }, wneg[2] = { 1, -1 }, wzero[2] = { 0, 0 };

	nsl_ot_params_init(&o);
	memset(&q, 0, sizeof(q));
	q.x = q.y = x;
	q.n = q.m = 2;
	q.d = 1;
	q.a = wneg;
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_ot_solve(&o, &q, &r, &err) < 0 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "non-negative"),
	    "negative weight refused: %s", err.msg);
	q.a = wzero;
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_ot_solve(&o, &q, &r, &err) < 0 &&
	    strstr(err.msg, "zero"), "all-zero weights refused: %s", err.msg);
	q.a = NULL;
	q.n = 0;
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_ot_solve(&o, &q, &r, &err) < 0, "empty set refused");
	o.cost = NSL_OT_COSINE;
	o.p = 2;
	UNIT_CHECK(nsl_ot_check(&o) != NULL, "cosine with p = 2 refused");
}

/*
 * Every row of the catalogue is whole and has a golden case of its own
 * ("--method NAME" in tests/fixtures/ot/methods.test): a new method
 * fails here until it has one.
 */
static void
test_catalogue(void)
{
	const struct nsl_ot_method *m;
	struct nsl_ot_params o;
	FILE *fp = fixture("methods.test");
	char line[8192], want[64];
	size_t n = 0, k;
	int found[64] = { 0 };

	UNIT_CHECK(fp != NULL, "methods.test opens");
	for (m = nsl_ot_methods; m->name != NULL; m++, n++) {
		UNIT_CHECK(m->summary != NULL && m->solve != NULL &&
		    m->costs != 0, "row %s has a summary, costs and a solve "
		    "function", m->name);
		UNIT_CHECK(nsl_ot_method_find(m->name) == m, "row %s is found "
		    "by its name", m->name);
	}
	UNIT_CHECK(n >= 7 && n < 64, "the catalogue has its %zu rows", n);
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] != '$')
			continue;
		for (k = 0; k < n; k++) {
			snprintf(want, sizeof(want), "--method %s ",
			    nsl_ot_methods[k].name);
			found[k] |= strstr(line, want) != NULL;
		}
	}
	if (fp != NULL)
		fclose(fp);
	for (k = 0; k < n; k++)
		UNIT_CHECK(found[k], "method %s has a golden case in "
		    "methods.test", nsl_ot_methods[k].name);
	nsl_ot_params_init(&o);
	UNIT_CHECK(o.method == method("exact") && o.inner == o.method &&
	    nsl_ot_check(&o) == NULL, "the defaults: exact, inner exact, "
	    "and they pass the check");
}

/* The checks that come from the rows, with the messages they generate. */
static void
test_check_rows(void)
{
	struct nsl_ot_params o;
	const char *msg;
	char names[128];

	nsl_ot_params_init(&o);
	o.cv = NSL_OT_CV_LOWER;
	msg = nsl_ot_check(&o);
	UNIT_CHECK(msg != NULL && strcmp(msg, "--control-variate: only with "
	    "--method sliced") == 0, "a control variate names the methods "
	    "that take one: %s", msg ? msg : "(none)");
	nsl_ot_params_init(&o);
	o.method = method("gaussian");
	o.cost = NSL_OT_EUCLIDEAN;
	o.p = 1;
	msg = nsl_ot_check(&o);
	UNIT_CHECK(msg != NULL && strcmp(msg, "gaussian: needs the "
	    "sqeuclidean cost") == 0, "gaussian refuses euclidean: %s",
	    msg ? msg : "(none)");
	o.method = method("sliced");
	o.cost = NSL_OT_COSINE;
	msg = nsl_ot_check(&o);
	UNIT_CHECK(msg != NULL && strcmp(msg, "sliced: needs the sqeuclidean "
	    "or euclidean cost") == 0, "sliced refuses cosine: %s",
	    msg ? msg : "(none)");
	nsl_ot_params_init(&o);
	o.inner = method("sns");
	msg = nsl_ot_check(&o);
	UNIT_CHECK(msg != NULL && strcmp(msg, "--inner: exact or sinkhorn") ==
	    0, "an inner solver must be a row that can be one: %s",
	    msg ? msg : "(none)");
	nsl_ot_params_init(&o);
	UNIT_CHECK(nsl_ot_param_parse(&o, "method", "sns") == NULL &&
	    o.method == method("sns") && nsl_ot_param_parse(&o, "cost",
	    "cosine") == NULL && o.cost == NSL_OT_COSINE &&
	    nsl_ot_param_parse(&o, "control-variate", "upper") == NULL &&
	    o.cv == NSL_OT_CV_UPPER && nsl_ot_param_parse(&o, "inner",
	    "sinkhorn") == NULL && o.inner == method("sinkhorn"),
	    "parameters set by name");
	msg = nsl_ot_param_parse(&o, "method", "nope");
	UNIT_CHECK(msg != NULL && strcmp(msg, "unknown method 'nope'") == 0 &&
	    o.method == method("sns"), "an unknown method is refused, the "
	    "old one kept: %s", msg ? msg : "(none)");
	msg = nsl_ot_param_parse(&o, "inner", "divergence");
	UNIT_CHECK(msg != NULL && strcmp(msg, "'divergence' is not exact or "
	    "sinkhorn") == 0, "an inner method that cannot be one: %s",
	    msg ? msg : "(none)");
	msg = nsl_ot_param_parse(&o, "cost", "l1");
	UNIT_CHECK(msg != NULL && strcmp(msg, "unknown cost 'l1' (sqeuclidean, "
	    "euclidean or cosine)") == 0, "an unknown cost: %s",
	    msg ? msg : "(none)");
	msg = nsl_ot_param_parse(&o, "control-variate", "none");
	UNIT_CHECK(msg != NULL && strcmp(msg, "'none' is not lower or upper") ==
	    0, "'none' is the default, not a choice: %s", msg ? msg : "(none)");
	UNIT_CHECK(strcmp(nsl_ot_method_names(NSL_OT_PLAN, names,
	    sizeof(names)), "exact, sinkhorn, divergence, sns or otdd") == 0,
	    "the methods with potentials and a plan: %s", names);
}

/*
 * Weights whose sum overflows the double range are still proportions:
 * {0, 2} weighted 1e308 each against {1}: W2^2 = (1 + 1) / 2 = 1.
 */
static void
test_weights_overflow(void)
{
	struct nsl_ot_params o;
	struct nsl_ot_problem q;
	struct nsl_ot_result r;
	struct nsl_err err;
	double x[2] = { 0, 2 }, y[1] = { 1 }, w[2] = { 1e308, 1e308 };

	nsl_ot_params_init(&o);
	memset(&q, 0, sizeof(q));
	q.x = x;
	q.n = 2;
	q.y = y;
	q.m = 1;
	q.d = 1;
	q.a = w;
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_ot_solve(&o, &q, &r, &err) == 0 && r.value == 1 &&
	    r.distance == 1, "weights 1e308 + 1e308: value %g (want 1)",
	    r.value);
	nsl_ot_result_release(&r);
}

int
main(void)
{
	test_catalogue();
	test_check_rows();
	test_weights_overflow();
	test_closed_forms();
	test_moments();
	test_bad();
	test_threads();
	test_fixtures();
	return unit_done();
}
