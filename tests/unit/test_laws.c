/*
 * test_laws.c - the law catalogue: analytic gradients against central
 * finite differences, published check values, inversion, lr-anneal's
 * S1/S2 against a hand computation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/buf.h"
#include "nsl/laws.h"
#include "unit.h"

/* Central differences in fit space, relative error of the gradient. */
static double
grad_error(const struct nsl_law *l, const double *t, const double *x)
{
	double g[NSL_LAW_MAX_PARAMS], tt[NSL_LAW_MAX_PARAMS], worst = 0;
	size_t k;

	nsl_law_eval(l, t, x, g);
	for (k = 0; k < l->np; k++) {
		double h = 1e-6 * (fabs(t[k]) + 1), fp, fm, fd, e;

		memcpy(tt, t, l->np * sizeof(double));
		tt[k] = t[k] + h;
		fp = nsl_law_eval(l, tt, x, NULL);
		tt[k] = t[k] - h;
		fm = nsl_law_eval(l, tt, x, NULL);
		fd = (fp - fm) / (2 * h);
		e = fabs(fd - g[k]) / (fabs(fd) + fabs(g[k]) + 1e-8);
		if (e > worst)
			worst = e;
	}
	return worst;
}

struct gcase {
	const char *law;
	int breaks;
	double p[10];		/* report space */
	double x[5];
};

/* Solve a one-variable formula law over x near [lo, hi]; -1 if no root. */
static int
fsolve(const char *text, const char *const *pn, const double *p, size_t np,
    double target, double lo, double hi, double *out)
{
	const char *vn[] = { "x" };
	struct nsl_err err;
	struct nsl_law *l = nsl_law_formula(text, pn, p, np, vn, 1, &err);
	double x[1] = { 0 };
	int rc;

	if (l == NULL)
		return -2;
	rc = nsl_law_solve_near(l, p, x, 0, target, lo, hi, out, &err);
	nsl_law_free(l);
	return rc;
}

/* Solve variable 0 of a named law given in report space. */
static int
nsolve(const char *name, const double *p, double target, double *out)
{
	struct nsl_err err;
	struct nsl_law *l = nsl_law_new(name, 1, &err);
	double t[NSL_LAW_MAX_PARAMS], x[1] = { 0 };
	int rc;

	nsl_law_from_report(l, p, t);
	rc = nsl_law_solve(l, t, x, 0, target, out, &err);
	nsl_law_free(l);
	return rc;
}

static int
close_to(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want);
}

/*
 * Each catalogue row's reference case: report-space parameters, a point
 * of the working variables and the law's value there, worked out apart
 * from the code (python3: the formula of --list-laws evaluated in double
 * precision, e.g. 3*50**-0.4 for power; data-constrained is
 * Muennighoff et al.'s own check value, to the 6 digits they give).  A
 * row without a case here fails test_catalogue(): adding a law means
 * adding its reference case.
 */
struct ref {
	const char *law;
	double p[10];
	double x[5];
	double y, tol;		/* relative tolerance */
};

static const struct ref refs[] = {
	{ "power", { 3.0, 0.4 }, { 50 }, 0.6273837315547639, 1e-14 },
	{ "power-offset", { 1.5, 3.0, 0.4 }, { 50 }, 2.1273837315547639,
		1e-14 },
	{ "chinchilla", { 406.4, 410.7, 1.69, 0.34, 0.28 }, { 7e9, 1.4e11 },
		2.1835417931054084, 1e-14 },
	{ "chinchilla-tied", { 406.4, 410.7, 1.69, 0.34 }, { 7e9, 1.4e11 },
		1.939306584884017, 1e-14 },
	{ "kaplan", { 8.8e13, 5.4e13, 0.076, 0.095 }, { 1e9, 2e10 },
		2.4354312823785338, 1e-14 },
	/* A, B, E = exp(6.255414), exp(7.3049974), exp(0.6254804) */
	{ "data-constrained", { 520.82495165991872, 1487.716093782861,
		1.8691436784054858, 0.3526596,
		0.3526596, 15.387756, 5.309743 }, { 6.34e9, 242e9, 25e9 },
		2.225644, 1e-6 },
	{ "bnsl", { 0.4, 2.3, 0.05, 5.7, 612, 0.06 }, { 500 },
		2.0662919998867317, 1e-13 },
	{ "exp-offset", { 0.5, 2.0, 0.01 }, { 80 }, 1.3986579282344431,
		1e-14 },
	{ "downstream", { 0.9, 20.0, 1.5 }, { 2.5 }, 0.4296450828798179,
		1e-13 },
	/* x: the working variables S1, S2 (nsl_law_prepare's output) */
	{ "lr-anneal", { 2.0, 3.0, 0.2, 0.5 }, { 1000, 2.0 },
		1.6948683298050513, 1e-14 },
	/* python3: math.exp(-(50/10)**0.3), math.exp(-(5e9/1e9)**1.2) */
	{ "coverage", { 50, 0.3 }, { 10 }, 0.19776880210192543, 1e-14 },
	{ "passuntil", { 5e9, 1.2 }, { 1e9 }, 0.0010091485663137963, 1e-13 },
	/*
	 * a = 2, b = -0.5, tau = 2, d = 0.1; P = 100, n = 250: s_0 = 200,
	 * epochs 1 and 2 begun (100, 200 < 250), s_1/(2*100*1) = 2 with
	 * b_1 = -0.5*0.5^0.5, s_2/(2*100*2) = 500/400 with b_2 = -0.25:
	 * (0.1 + 200^-0.5) * 2^b_1 * 1.25^-0.25 (python3)
	 */
	{ "data-filter", { 2, -0.5, 2, 0.1 }, { 250, 100 },
		0.12635807720690392, 1e-14 },
	/*
	 * Sun et al. 2025's published constants (Table 2) at N = 1e9, D =
	 * 1e11, E4M3, B = 128: python3's decimal at 50 digits, x^y as
	 * exp(y ln x), log2 B as ln B / ln 2
	 */
	{ "fp-quant", { 69.2343, 68973.0621, 1.9061, 0.2368, 0.5162,
		11334.5197, 3.1926, 2.9543 }, { 1e9, 1e11, 4, 3, 128 },
		2.5630699110888365, 1e-13 },
};

/*
 * Walk the catalogue: every row has a reference case, builds a law of
 * its own name with its variables, evaluates to the reference value,
 * has an analytic gradient that matches central differences, a basis
 * (when it has linear coefficients) that reproduces the value, and a
 * nested law that exists.
 */
static void
test_catalogue(void)
{
	const struct nsl_law_def *d;
	struct nsl_err err;
	size_t i, j, nrows = 0;

	for (d = nsl_law_catalogue; d->name != NULL; d++) {
		const struct ref *r = NULL;
		struct nsl_law *l;
		double t[NSL_LAW_MAX_PARAMS], phi[NSL_LAW_MAX_PARAMS];
		double c[NSL_LAW_MAX_PARAMS], y, h, yb;

		nrows++;
		for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
			if (strcmp(refs[i].law, d->name) == 0)
				r = &refs[i];
		UNIT_CHECK(r != NULL, "catalogue row %s has a reference case "
		    "in test_laws.c", d->name);
		UNIT_CHECK(nsl_law_find(d->name) == d, "%s: found by name",
		    d->name);
		if (r == NULL)
			continue;
		l = nsl_law_new(d->name, 1, &err);
		UNIT_CHECK(l != NULL && strcmp(l->name, d->name) == 0 &&
		    l->nvars == d->nvars && l->def == d, "%s: a law of the "
		    "row", d->name);
		if (l == NULL)
			continue;
		nsl_law_from_report(l, r->p, t);
		y = nsl_law_eval(l, t, r->x, NULL);
		UNIT_CHECK(fabs(y - r->y) <= r->tol * fabs(r->y), "%s: %.17g "
		    "at the reference point (want %.17g)", d->name, y, r->y);
		UNIT_CHECK(grad_error(l, t, r->x) < 1e-6, "%s: analytic "
		    "gradient matches central differences", d->name);
		if (l->nlin > 0) {
			UNIT_CHECK(nsl_law_basis(l, t, r->x, phi, &h) == 0,
			    "%s: has a basis", d->name);
			nsl_law_to_report(l, t, c);
			yb = h;
			for (j = 0; j < l->nlin; j++)
				yb += c[l->lin[j]] * phi[j];
			UNIT_CHECK(fabs(yb - y) <= 1e-12 * fabs(y), "%s: the "
			    "basis gives the law's value (%.17g, %.17g)",
			    d->name, yb, y);
		} else {
			UNIT_CHECK(nsl_law_basis(l, t, r->x, phi, &h) != 0,
			    "%s: no linear coefficients, no basis", d->name);
		}
		if (l->nest != NULL) {
			struct nsl_law *n = nsl_law_new(l->nest, l->nest_breaks,
			    &err);

			UNIT_CHECK(n != NULL, "%s: its nested law %s exists",
			    d->name, l->nest);
			nsl_law_free(n);
		}
		nsl_law_free(l);
	}
	UNIT_CHECK(nrows == sizeof(refs) / sizeof(refs[0]), "every reference "
	    "case is a row of the catalogue (%zu rows, %zu cases)", nrows,
	    sizeof(refs) / sizeof(refs[0]));
}

/* The law list and its messages come from the catalogue. */
static void
test_list(void)
{
	const struct nsl_law_def *d;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	struct nsl_law *l;
	double N, D, L, t[5];
	size_t n = 0;

	UNIT_CHECK(nsl_law_list(&b, &err) == 0, "the list is made");
	for (d = nsl_law_catalogue; d->name != NULL; d++) {
		char head[64];

		snprintf(head, sizeof(head), "%-17s %s", d->name,
		    d->formula);
		UNIT_CHECK(strstr(b.data, head) != NULL, "the list has %s",
		    d->name);
		n++;
	}
	UNIT_CHECK(n >= 10, "ten laws or more");
	nsl_buf_release(&b);
	l = nsl_law_new("power", 1, &err);
	t[0] = 0;
	t[1] = 0.5;
	UNIT_CHECK(nsl_law_optimal(l, t, 1e20, 6, &N, &D, &L, &err) != 0 &&
	    strcmp(err.msg, "--compute-optimal needs a law of N and D, not "
	    "power") == 0 && !nsl_law_has_optimal(l), "a law without N and "
	    "D has no compute-optimal allocation: %s", err.msg);
	nsl_law_free(l);
	/* chinchilla-tied with A = B: N = D = sqrt(C/k) (the optimum of a
	 * symmetric law is symmetric) */
	l = nsl_law_new("chinchilla-tied", 1, &err);
	t[0] = log(400);
	t[1] = log(400);
	t[2] = log(1.7);
	t[3] = 0.3;
	UNIT_CHECK(nsl_law_optimal(l, t, 6e20, 6, &N, &D, &L, &err) == 0 &&
	    fabs(N - 1e10) < 1e-4 && fabs(D - 1e10) < 1e-4 &&
	    fabs(L - (1.7 + 800 * pow(1e10, -0.3))) < 1e-14,
	    "chinchilla-tied with A = B splits C = 6 N D evenly: N = D = "
	    "1e10 (%.17g, %.17g)", N, D);
	nsl_law_free(l);
}

/*
 * Compute-optimal allocations of laws without a closed form.  Expected
 * values: Muennighoff et al.'s own (datablations README, "Parametric
 * Fit"): with their C4 fit and 25B unique tokens, at the compute of
 * 8.67B parameters on 178B tokens, the optimum is 6.8B parameters on
 * 227B tokens, 9.1 epochs -- their grid search, given to 2 or 3 digits;
 * and the numeric optimum of Hoffmann's form as a formula equals its
 * closed form.
 */
static void
test_optimal_numeric(void)
{
	struct nsl_err err;
	struct nsl_law *l = nsl_law_new("data-constrained", 1, &err);
	double t[7] = { 6.255414, 7.3049974, 0.6254804, 0.3526596,
		0.3526596, log(15.387756), log(5.309743) };
	double x[3] = { NAN, NAN, 25e9 }, C = 6 * 8.67e9 * 178e9, N, D, L;
	double N2, D2, L2;

	UNIT_CHECK(nsl_law_has_optimal(l), "data-constrained has an optimum");
	UNIT_CHECK(nsl_law_optimal_at(l, t, x, C, 6, NAN, &N, &D, &L,
	    &err) == 0 && fabs(N / 6.8e9 - 1) < 0.05 / 6.8 &&
	    fabs(D / 227e9 - 1) < 0.5 / 227 && fabs(D / 25e9 - 9.1) < 0.05 &&
	    fabs(6 * N * D / C - 1) < 1e-12, "data-constrained, U = 25B: "
	    "6.8B parameters, 227B tokens, 9.1 epochs (%.4g, %.4g, %.3g)", N,
	    D, D / 25e9);
	UNIT_CHECK(L < 2.2256440889984477, "and a loss below their Figure 1 "
	    "model's 2.225644 (%.7f)", L);
	UNIT_CHECK(nsl_law_optimal_at(l, t, x, C, 6, N * 3, &N2, &D2, &L2,
	    &err) == 0 && fabs(N2 / N - 1) < 1e-6, "a guess three times off "
	    "finds the same optimum (%.17g, %.17g)", N2, N);
	UNIT_CHECK(nsl_law_optimal_at(l, t, x, C, 6, N * 1e5, &N2, &D2, &L2,
	    &err) == 0 && fabs(N2 / N - 1) < 1e-6, "a guess beyond three "
	    "decades widens to the whole scan (%.17g)", N2);
	UNIT_CHECK(nsl_law_optimal(l, t, C, 6, &N, &D, &L, &err) != 0 &&
	    strstr(err.msg, "needs \"U\"") != NULL, "without U: %s",
	    err.msg);
	UNIT_CHECK(nsl_law_optimal_at(l, t, x, 0, 6, NAN, &N, &D, &L,
	    &err) != 0 && err.code == NSL_EX_DATAERR, "a budget of 0: %s",
	    err.msg);
	nsl_law_free(l);
	{
		const char *pn[] = { "E", "A", "a", "B", "b" };
		const char *vn[] = { "N", "D" };
		double st[5] = { 1.69, 406.4, 0.34, 410.7, 0.28 };
		double G = pow(0.34 * 406.4 / (0.28 * 410.7), 1 / 0.62);
		double want = G * pow(5.76e23 / 6, 0.28 / 0.62);

		l = nsl_law_formula("E + A*N^-a + B*D^-b", pn, st, 5, vn, 2,
		    &err);
		UNIT_CHECK(nsl_law_optimal(l, st, 5.76e23, 6, &N, &D, &L,
		    &err) == 0 && fabs(N / want - 1) < 1e-6, "a formula's "
		    "numeric optimum is Hoffmann's closed form (%.17g, %.17g)",
		    N, want);
		nsl_law_free(l);
		/* E + A*N^-a: the loss falls as N grows, D does nothing */
		l = nsl_law_formula("E + A*N^-a + 0*D", pn, st, 3, vn, 2, &err);
		UNIT_CHECK(l != NULL && nsl_law_optimal(l, st, 5.76e23, 6, &N,
		    &D, &L, &err) != 0 && strstr(err.msg, "keeps falling") !=
		    NULL, "no optimum when the loss keeps falling: %s",
		    err.msg);
		nsl_law_free(l);
	}
}

/* nsl_law_prepare is nsl_law_prepare_next over its rows. */
static void
test_prepare_stream(void)
{
	struct nsl_err err;
	struct nsl_law *l = nsl_law_new("lr-anneal", 1, &err);
	struct nsl_law_curve c;
	double all[8] = { 100, 1e-3, 200, 1e-3, 300, 5e-4, 500, 1e-4 };
	double one[8];
	size_t i;
	int same = 1;

	memcpy(one, all, sizeof(all));
	UNIT_CHECK(nsl_law_prepare(l, all, 4, &err) == 0, "prepare");
	nsl_law_curve_init(&c);
	for (i = 0; i < 4; i++)
		same &= nsl_law_prepare_next(l, &c, one + 2 * i, &err) == 0;
	for (i = 0; i < 8; i++)
		same &= all[i] == one[i];
	UNIT_CHECK(same, "a curve prepared row by row equals the whole");
	nsl_law_curve_init(&c);
	one[0] = 100;
	one[2] = 100;
	UNIT_CHECK(nsl_law_prepare_next(l, &c, one, &err) == 0 &&
	    nsl_law_prepare_next(l, &c, one + 2, &err) != 0 &&
	    err.code == NSL_EX_DATAERR, "a step that does not increase is "
	    "refused: %s", err.msg);
	nsl_law_free(l);
}

int
main(void)
{
	/* Report-space parameters and points chosen inside each law's
	 * usual range; data-constrained twice: U_N capped and not. */
	static const struct gcase cases[] = {
		{ "power", 1, { 3.0, 0.4 }, { 50 } },
		{ "power-offset", 1, { 1.5, 3.0, 0.4 }, { 50 } },
		{ "chinchilla", 1, { 406.4, 410.7, 1.69, 0.34, 0.28 },
			{ 7e9, 1.4e11 } },
		{ "chinchilla-tied", 1, { 406.4, 410.7, 1.69, 0.34 },
			{ 7e9, 1.4e11 } },
		{ "kaplan", 1, { 8.8e13, 5.4e13, 0.076, 0.095 },
			{ 1e9, 2e10 } },
		{ "data-constrained", 1, { 520.82, 1487.72, 1.8691, 0.35,
			0.36, 15.4, 5.3 }, { 6.34e9, 242e9, 25e9 } },
		{ "data-constrained", 1, { 520.82, 1487.72, 1.8691, 0.35,
			0.36, 15.4, 5.3 }, { 1e8, 242e9, 25e9 } },
		{ "bnsl", 1, { 0.4, 2.3, 0.05, 5.7, 612, 0.06 }, { 500 } },
		{ "bnsl", 2, { 0.1, 2.0, 0.1, 0.5, 1.0, 100, 1000, 0.3, 0.5 },
			{ 400 } },
		{ "exp-offset", 1, { 0.5, 2.0, 0.01 }, { 80 } },
		{ "downstream", 1, { 0.9, 20.0, 1.5 }, { 2.5 } },
		{ "lr-anneal", 1, { 2.0, 3.0, 0.2, 0.5 }, { 1000, 2.0 } },
		{ "fp-quant", 1, { 69.2343, 68973.0621, 1.9061, 0.2368,
			0.5162, 11334.5197, 3.1926, 2.9543 },
			{ 1e9, 1e11, 4, 3, 128 } },
		{ "fp-quant", 1, { 69.2343, 68973.0621, 1.9061, 0.2368,
			0.5162, 11334.5197, 3.1926, 2.9543 },
			{ 4e7, 1e13, 0, 1, 32 } },
	};
	struct nsl_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nsl_law *l = nsl_law_new(cases[i].law, cases[i].breaks,
		    &err);
		double t[NSL_LAW_MAX_PARAMS];

		UNIT_CHECK(l != NULL, "%s: law exists", cases[i].law);
		if (l == NULL)
			continue;
		nsl_law_from_report(l, cases[i].p, t);
		UNIT_CHECK(grad_error(l, t, cases[i].x) < 1e-6,
		    "%s (case %zu): analytic gradient matches central "
		    "differences", cases[i].law, i);
		nsl_law_free(l);
	}

	/*
	 * Muennighoff et al. 2023 (datablations README): with their C4 fit
	 * a = 6.255414, b = 7.3049974, e = 0.6254804 (A = exp(a) = 520.82...,
	 * B = 1487.72..., E = 1.8691...), alpha = beta = 0.3526596,
	 * R_D* = 15.387756, R_N* = 5.309743, the loss at N = 6.34e9,
	 * D = 242e9, U = 25e9 is 2.225644 and at N = 8.67e9, D = 178e9 it
	 * is 2.226963 (issue #3's check values, to 6 digits).
	 */
	{
		struct nsl_law *l = nsl_law_new("data-constrained", 1, &err);
		double t[7] = { 6.255414, 7.3049974, 0.6254804, 0.3526596,
			0.3526596, log(15.387756), log(5.309743) };
		double x1[3] = { 6.34e9, 242e9, 25e9 };
		double x2[3] = { 8.67e9, 178e9, 25e9 };
		double y1 = nsl_law_eval(l, t, x1, NULL);
		double y2 = nsl_law_eval(l, t, x2, NULL);

		UNIT_CHECK(fabs(y1 - 2.225644) < 5e-7,
		    "data-constrained L(6.34e9, 242e9, 25e9) = 2.225644 "
		    "(got %.7f)", y1);
		UNIT_CHECK(fabs(y2 - 2.226963) < 5e-7,
		    "data-constrained L(8.67e9, 178e9, 25e9) = 2.226963 "
		    "(got %.7f)", y2);
		nsl_law_free(l);
	}

	/* Inversion: Hoffmann's law at N = 7e9; L(D) = 1.69 + 406.4/N^0.34
	 * + 410.7/D^0.28 = 2.0 gives D = (410.7/(0.31 - 406.4/N^0.34))^(1/0.28). */
	{
		struct nsl_law *l = nsl_law_new("chinchilla", 1, &err);
		double p[5] = { 406.4, 410.7, 1.69, 0.34, 0.28 }, t[5];
		double x[2] = { 7e9, 1 }, d, want;

		nsl_law_from_report(l, p, t);
		want = pow(410.7 / (0.31 - 406.4 / pow(7e9, 0.34)), 1 / 0.28);
		UNIT_CHECK(nsl_law_solve(l, t, x, 1, 2.0, &d, &err) == 0 &&
		    fabs(d / want - 1) < 1e-9, "solve D for L = 2 at N = 7e9 "
		    "(%g vs %g)", d, want);
		UNIT_CHECK(nsl_law_solve(l, t, x, 1, 1.5, &d, &err) != 0,
		    "a target below E has no solution");
		nsl_law_free(l);
	}

	/*
	 * lr-anneal: steps 1, 2, 3 with lr 1, 1, 0.5 (one record per step):
	 * S1 = 1, 2, 2.5; m = 0, 0, 0.5, so S2 = 0, 0, 0.5.  Then a record
	 * at step 5 with lr 0.5 (two steps, no drop): m = 0.999*0.5,
	 * 0.999^2*0.5, S1 = 3.5, S2 = 0.5 + 0.4995 + 0.4990005.
	 */
	{
		struct nsl_law *l = nsl_law_new("lr-anneal", 1, &err);
		double x[8] = { 1, 1, 2, 1, 3, 0.5, 5, 0.5 };

		UNIT_CHECK(nsl_law_prepare(l, x, 4, &err) == 0, "prepare");
		UNIT_CHECK(x[0] == 1 && x[2] == 2 && x[4] == 2.5 && x[6] == 3.5,
		    "S1 is the area under lr");
		UNIT_CHECK(x[1] == 0 && x[3] == 0 && fabs(x[5] - 0.5) < 1e-15 &&
		    fabs(x[7] - (0.5 + 0.4995 + 0.4990005)) < 1e-12,
		    "S2 is the momentum-smoothed sum of drops (%.12g)", x[7]);
		x[0] = 3;
		x[2] = 2;
		UNIT_CHECK(nsl_law_prepare(l, x, 2, &err) != 0,
		    "decreasing steps are an error");
		nsl_law_free(l);
	}

	/* Formula laws go through nsl/expr.h with exact gradients. */
	{
		const char *pn[] = { "E", "A", "a" }, *vn[] = { "x" };
		double st[] = { 1, 1, 0.5 }, t[3] = { 1.5, 3.0, 0.4 };
		double x[1] = { 50 };
		struct nsl_law *l = nsl_law_formula("E + A*x^-a", pn, st, 3,
		    vn, 1, &err);
		struct nsl_law *m = nsl_law_new("power-offset", 1, &err);
		double tm[3] = { log(1.5), log(3.0), 0.4 };

		UNIT_CHECK(l != NULL, "formula parses");
		UNIT_CHECK(fabs(nsl_law_eval(l, t, x, NULL) -
		    nsl_law_eval(m, tm, x, NULL)) < 1e-14,
		    "formula equals the built-in power-offset");
		UNIT_CHECK(grad_error(l, t, x) < 1e-6, "formula gradient");
		struct nsl_law *one = nsl_law_formula("E + x", pn, st, 1, vn,
		    1, &err);

		UNIT_CHECK(one != NULL,
		    "a formula using one parameter is accepted");
		nsl_law_free(one);
		UNIT_CHECK(nsl_law_formula("x*2", pn, st, 1, vn, 1, &err) ==
		    NULL, "a formula using no parameter is refused");
		nsl_law_free(l);
		nsl_law_free(m);
	}
	/*
	 * Solving over the whole real line.  Expected values are the
	 * closed-form inverses.  y = 2 x^-0.301 = 0.3 at x = (2/0.3)^(1/0.301)
	 * = 546.06, beyond 1 (the old scan of sign-free variables stopped at
	 * 1), for a formula and for the named power law alike.
	 */
	{
		const char *pn[] = { "A", "a", "b" };
		double p[3] = { 2, 0.301, 0 }, v = 0, want;

		want = pow(2 / 0.3, 1 / 0.301);
		UNIT_CHECK(fsolve("A*x^-a", pn, p, 2, 0.3, NAN, NAN, &v) == 0 &&
		    close_to(v, want, 1e-12), "formula A*x^-a = 0.3 at x = "
		    "546.06 (got %.17g, want %.17g)", v, want);
		UNIT_CHECK(nsolve("power", (double[]){ 2, 0.301 }, 0.3, &v) ==
		    0 && close_to(v, want, 1e-12), "power law likewise (got "
		    "%.17g)", v);
		UNIT_CHECK(fsolve("A*x^-a", pn, p, 2, 1e-6, NAN, NAN, &v) == 0 &&
		    close_to(v, pow(2e6, 1 / 0.301), 1e-12), "and y = 1e-6 at "
		    "x = 2e6^(1/0.301) = 8.6e20 (got %g)", v);

		/* exp-offset: E + A exp(-b x) = y at x = ln(A/(y - E))/b */
		want = log(2 / 0.5) / 0.01;
		UNIT_CHECK(nsolve("exp-offset", (double[]){ 0.5, 2, 0.01 }, 1,
		    &v) == 0 && close_to(v, want, 1e-12), "exp-offset 0.5 + "
		    "2 exp(-0.01 x) = 1 at x = ln 4 / 0.01 = 138.63 (got %.17g)",
		    v);

		/*
		 * downstream: Err = eps - k exp(-gamma L), so the loss for an
		 * error is L = ln(k/(eps - Err))/gamma: eps 0.9, k 20,
		 * gamma 1.5, Err 0.4 at L = ln(40)/1.5 = 2.4593; Err 0.7 at
		 * L = ln(100)/1.5 = 3.0701 -- real losses, above 1.
		 */
		UNIT_CHECK(nsolve("downstream", (double[]){ 0.9, 20, 1.5 }, 0.4,
		    &v) == 0 && close_to(v, log(40) / 1.5, 1e-12),
		    "downstream: error 0.4 at loss ln(40)/1.5 = 2.4593 (got "
		    "%.17g)", v);
		UNIT_CHECK(nsolve("downstream", (double[]){ 0.9, 20, 1.5 }, 0.7,
		    &v) == 0 && close_to(v, log(100) / 1.5, 1e-12),
		    "downstream: error 0.7 at loss ln(100)/1.5 = 3.0701 (got "
		    "%.17g)", v);
		UNIT_CHECK(nsolve("downstream", (double[]){ 0.9, 20, 1.5 }, 0.95,
		    &v) != 0, "downstream: an error above eps is never reached");

		/* a root on the grid itself: x - 100 = 0 */
		UNIT_CHECK(fsolve("A*x - b", pn, (double[]){ 1, 0, 100 }, 3, 0,
		    NAN, NAN, &v) == 0 && v == 100, "x - 100 = 0 at 100 exactly "
		    "(got %.17g)", v);
		/* roots 3 and 700: the range decides */
		p[0] = 1, p[1] = 3, p[2] = 700;
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, NAN, NAN,
		    &v) == 0 && close_to(v, 3, 1e-14), "(x-3)(x-700): no range, "
		    "the smallest positive root 3 (got %.17g)", v);
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, 1, 10, &v) ==
		    0 && close_to(v, 3, 1e-14), "range [1, 10]: 3 (got %.17g)",
		    v);
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, 200, 400,
		    &v) == 0 && close_to(v, 700, 1e-14), "range [200, 400]: 700, "
		    "nearer by ratio (got %.17g)", v);
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, 20, 40,
		    &v) == 0 && close_to(v, 3, 1e-14), "range [20, 40]: 3, "
		    "nearer by ratio (got %.17g)", v);
		/* roots -5 and 40 */
		p[1] = -5, p[2] = 40;
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, NAN, NAN,
		    &v) == 0 && close_to(v, 40, 1e-14), "(x+5)(x-40): no range, "
		    "the positive root 40 (got %.17g)", v);
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, -100, -50,
		    &v) == 0 && close_to(v, -5, 1e-14), "range [-100, -50]: the "
		    "negative root -5 (got %.17g)", v);
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, -1, 1, &v) ==
		    0 && close_to(v, -5, 1e-14), "range [-1, 1] holds 0: the "
		    "nearer root -5 by plain distance (got %.17g)", v);
		/* only negative roots: x^2 + 7x + 10 = (x+2)(x+5) */
		p[1] = -2, p[2] = -5;
		UNIT_CHECK(fsolve("A*(x - a)*(x - b)", pn, p, 3, 0, 10, 100,
		    &v) == 0 && close_to(v, -2, 1e-14), "(x+2)(x+5), range "
		    "[10, 100]: no positive root, so the negative one nearest 0, "
		    "-2 (got %.17g)", v);
		/* a pole is no root: 1/(x - 10) never equals 0 */
		p[0] = 1, p[1] = 10;
		UNIT_CHECK(fsolve("A/(x - a)", pn, p, 2, 0, NAN, NAN, &v) == -1,
		    "1/(x-10) = 0 has no root (the sign change at the pole "
		    "is refused)");
		/* but 1/(x - 10) = 0.5 has x = 12 */
		UNIT_CHECK(fsolve("A/(x - a)", pn, p, 2, 0.5, NAN, NAN, &v) == 0 &&
		    close_to(v, 12, 1e-14), "1/(x-10) = 0.5 at 12 (got %.17g)",
		    v);
		/* tiny and huge roots: x = 1e-250 and x = 3e250 */
		UNIT_CHECK(fsolve("A*x - b", pn, (double[]){ 1, 0, 1e-250 }, 3,
		    0, NAN, NAN, &v) == 0 && close_to(v, 1e-250, 1e-14),
		    "x = 1e-250 (got %g)", v);
		UNIT_CHECK(fsolve("A*x - b", pn, (double[]){ 1, 0, -3e250 }, 3,
		    0, NAN, NAN, &v) == 0 && close_to(v, -3e250, 1e-14),
		    "x = -3e250 (got %g)", v);
	}

	/*
	 * The nesting rows: each law with a nested law, at the nested law's
	 * parameters mapped in and its own extra parameters at the values the
	 * table gives (free ones at arbitrary values), predicts what the
	 * nested law predicts, on the nested law's variables taken from ours.
	 * Data-constrained at R_D = R_N = 1e12 and U = D/40 is chinchilla to
	 * 1e-9 (D' - D ~ D (D/U)/(2 R_D)); the others are exact.
	 */
	{
		static const struct {
			const char *law;
			int breaks;
			double x[3];
			double tol;
		} nc[] = {
			{ "power-offset", 1, { 37 }, 1e-15 },
			{ "chinchilla", 1, { 7e9, 1.4e11 }, 1e-15 },
			{ "data-constrained", 1, { 3e9, 1e11, 2.5e9 }, 1e-9 },
			{ "data-constrained", 1, { 9e10, 1e11, 2.5e9 }, 1e-9 },
			{ "bnsl", 1, { 3e3 }, 1e-15 },
			{ "bnsl", 3, { 3e3 }, 1e-15 },
		};
		/* nested law's report parameters, by position */
		static const double pin[][9] = {
			{ 3.0, 0.4 },				/* power */
			{ 406.4, 410.7, 1.69, 0.31 },		/* tied */
			{ 406.4, 410.7, 1.69, 0.34, 0.28 },	/* chinchilla */
			{ 406.4, 410.7, 1.69, 0.34, 0.28 },
			{ 0.2, 3.0, 0.4 },			/* power-offset */
			{ 0.2, 3.0, 0.1, 0.5, -0.3, 300, 2e4, 0.7, 1.5 },
		};
		size_t c;

		for (c = 0; c < sizeof(nc) / sizeof(nc[0]); c++) {
			struct nsl_law *l = nsl_law_new(nc[c].law, nc[c].breaks,
			    &err), *in;
			double rep[NSL_LAW_MAX_PARAMS], t[NSL_LAW_MAX_PARAMS];
			double ti[NSL_LAW_MAX_PARAMS], xi[3], y, yi;
			size_t k, j;

			if (l == NULL || l->nest == NULL) {
				UNIT_CHECK(0, "%s has a nested law", nc[c].law);
				nsl_law_free(l);
				continue;
			}
			in = nsl_law_new(l->nest, l->nest_breaks, &err);
			for (k = 0; k < l->np; k++) {
				int jj = l->nest_param[k];

				rep[k] = jj >= 0 ? pin[c][jj] :
				    isnan(l->nest_value[k]) ? 0.37 + (double)k :
				    l->nest_value[k];
				if (nsl_law_param_is_log(l, k) && rep[k] == 0)
					rep[k] = 1e-300;
			}
			nsl_law_from_report(l, rep, t);
			nsl_law_from_report(in, pin[c], ti);
			for (j = 0; j < in->nvars; j++)
				xi[j] = nc[c].x[l->nest_var[j]];
			y = nsl_law_eval(l, t, nc[c].x, NULL);
			yi = nsl_law_eval(in, ti, xi, NULL);
			UNIT_CHECK(fabs(y - yi) <= nc[c].tol * fabs(yi),
			    "%s (breaks %d) at its nesting values is %s "
			    "(%.17g vs %.17g)", nc[c].law, nc[c].breaks,
			    l->nest, y, yi);
			nsl_law_free(in);
			nsl_law_free(l);
		}
	}

	/*
	 * Formula laws: the linear parameters found (E, A, B in the Hoffmann
	 * form; b1, b3, b6 in NIST's Gauss model; none in Nelson's), and the
	 * basis reproduces the law: y = h + sum c_j phi_j.
	 */
	{
		const char *pn[] = { "E", "A", "a", "B", "b" };
		const char *vn[] = { "N", "D" };
		const char *gp[] = { "b1", "b2", "b3", "b4", "b5", "b6", "b7",
			"b8" }, *gx[] = { "x" };
		double st[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
		double t[8] = { 1.7, 400, 0.3, 410, 0.28 }, x[2] = { 1e9, 2e10 };
		double phi[NSL_LAW_MAX_PARAMS], h;
		struct nsl_law *l = nsl_law_formula("E + A*N^-a + B*D^-b", pn,
		    st, 5, vn, 2, &err);
		struct nsl_law *g = nsl_law_formula("b1*exp(-b2*x) + "
		    "b3*exp(-(x-b4)^2/b5^2) + b6*exp(-(x-b7)^2/b8^2)", gp, st, 8,
		    gx, 1, &err);
		struct nsl_law *ne = nsl_law_formula("exp(b1 - b2*N*exp(-b3*D))",
		    gp, st, 3, vn, 2, &err);

		UNIT_CHECK(l != NULL && l->nlin == 3 && l->lin[0] == 0 &&
		    l->lin[1] == 1 && l->lin[2] == 3, "E + A*N^-a + B*D^-b is "
		    "linear in E, A, B");
		UNIT_CHECK(g != NULL && g->nlin == 3 && g->lin[0] == 0 &&
		    g->lin[1] == 2 && g->lin[2] == 5, "the Gauss model is "
		    "linear in b1, b3, b6");
		UNIT_CHECK(ne != NULL && ne->nlin == 0, "Nelson's model has no "
		    "linear parameter");
		if (l != NULL) {
			double want = 1.7 + 400 * pow(1e9, -0.3) +
			    410 * pow(2e10, -0.28);

			UNIT_CHECK(nsl_law_basis(l, t, x, phi, &h) == 0 &&
			    h == 0 && phi[0] == 1 && fabs(phi[1] -
			    pow(1e9, -0.3)) < 1e-16 && fabs(h + 1.7 * phi[0] +
			    400 * phi[1] + 410 * phi[2] - want) < 1e-14,
			    "the formula's basis: h = 0, phi = 1, N^-a, D^-b");
		}
		nsl_law_free(l);
		nsl_law_free(g);
		nsl_law_free(ne);
	}

	/* Published start values and plausible ranges are in the rows. */
	{
		struct nsl_law *l = nsl_law_new("chinchilla", 1, &err);

		UNIT_CHECK(l->pstart[0] == 406.4 && l->pstart[4] == 0.28 &&
		    l->pmin[3] == 0 && l->pmax[3] == 2,
		    "chinchilla starts from Hoffmann's values, exponents in "
		    "[0, 2]");
		nsl_law_free(l);
		l = nsl_law_new("bnsl", 1, &err);
		UNIT_CHECK(isnan(l->pstart[0]) && strcmp(l->nest,
		    "power-offset") == 0, "bnsl has no published start and "
		    "nests power-offset");
		nsl_law_free(l);
	}
	UNIT_CHECK(nsl_law_new("nope", 1, &err) == NULL &&
	    err.code == NSL_EX_USAGE, "unknown law is a usage error");
	UNIT_CHECK(nsl_law_new("bnsl", 0, &err) == NULL, "bnsl needs a break");
	test_catalogue();
	test_list();
	test_optimal_numeric();
	test_prepare_stream();
	return unit_done();
}
