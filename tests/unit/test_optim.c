/*
 * test_optim.c - objectives by hand, exact recovery of noiseless laws by
 * the global fit, quantiles against numpy's definition, bootstrap
 * determinism whatever the thread count.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/optim.h"
#include "unit.h"

static const struct nsl_optim_opts dflt = { NSL_OPTIM_GRID,
	NSL_OPTIM_STARTS, NSL_OPTIM_MAXITER, NSL_OPTIM_RESTARTS, 0, NULL };

static int
has_degen(const struct nsl_optim_info *in, enum nsl_degen_reason why,
    size_t k)
{
	size_t i, j;

	for (i = 0; i < in->ndegen; i++)
		for (j = 0; j < in->degen[i].nparams; j++)
			if (in->degen[i].reason == why &&
			    in->degen[i].params[j] == k)
				return 1;
	return 0;
}

/*
 * Degenerate fits, each by construction: power-offset on y = 3 x^-0.5
 * exactly needs E = 0, its bound; A x^a + B x^a cannot tell A from B (a
 * flat direction: the columns for A and B are equal); chinchilla with
 * alpha = 7 is outside alpha's plausible [0, 2].
 */
static void
test_degenerate(void)
{
	struct nsl_err err;
	struct nsl_optim_info info;
	double x[20], y[20], t[3] = { 0 };
	size_t i;
	struct nsl_law *po = nsl_law_new("power-offset", 1, &err);
	const char *pn[] = { "A", "B", "a" }, *vn[] = { "x" };
	double st[] = { 1, 1, 0.3 };
	struct nsl_law *ab = nsl_law_formula("A*x^-a + B*x^-a", pn, st, 3, vn,
	    1, &err);
	struct nsl_problem p = { po, 20, x, y, NULL, NSL_LOSS_LS, 1e-3, NULL };

	for (i = 0; i < 20; i++) {
		x[i] = 1 + (double)i * 5;
		y[i] = 3 * pow(x[i], -0.5);
	}
	UNIT_CHECK(nsl_optim_fit_ex(&p, &dflt, t, &info, &err) == 0 &&
	    info.f < 1e-20 && fabs(t[2] - 0.5) < 1e-6 &&
	    has_degen(&info, NSL_DEGEN_BOUND, 0),
	    "power-offset on a pure power law: E at its bound is reported "
	    "(f %g, a %g, %zu degeneracies)", info.f, t[2], info.ndegen);
	UNIT_CHECK(!has_degen(&info, NSL_DEGEN_FLAT, 0),
	    "a coefficient at its bound is not also called flat");
	p.law = ab;
	memset(t, 0, sizeof(t));
	UNIT_CHECK(nsl_optim_fit_ex(&p, &dflt, t, &info, &err) == 0 &&
	    fabs(t[0] + t[1] - 3) < 1e-8 && has_degen(&info, NSL_DEGEN_FLAT,
	    0) && has_degen(&info, NSL_DEGEN_FLAT, 1) &&
	    !has_degen(&info, NSL_DEGEN_FLAT, 2),
	    "A x^-a + B x^-a: A + B = 3 (%g), a flat direction in A and B, "
	    "not a", t[0] + t[1]);
	{
		struct nsl_law *ch = nsl_law_new("chinchilla", 1, &err);
		double rp[5] = { 406.4, 410.7, 1.69, 7, 0.28 }, th[5];
		double xx[72], yy[36];
		struct nsl_degen d[NSL_OPTIM_MAX_DEGEN];
		struct nsl_problem q = { ch, 36, xx, yy, NULL, NSL_LOSS_HUBER,
			1e-3, NULL };
		size_t n, j;
		int range = 0;

		nsl_law_from_report(ch, rp, th);
		for (i = 0; i < 36; i++) {
			xx[2 * i] = 1e8 * pow(10, (double)(i % 6) * 0.5);
			xx[2 * i + 1] = 1e9 * pow(10, (double)(i / 6) * 0.5);
			yy[i] = nsl_law_eval(ch, th, xx + 2 * i, NULL);
		}
		n = nsl_optim_degenerate(&q, th, d, NSL_OPTIM_MAX_DEGEN);
		for (j = 0; j < n; j++)
			range |= d[j].reason == NSL_DEGEN_RANGE &&
			    d[j].params[0] == 3;
		UNIT_CHECK(range, "alpha = 7 is outside chinchilla's range");
		/* A N^-7 is 406.4e-56 at most: A's term vanishes */
		UNIT_CHECK(n >= 2 && d[0].reason == NSL_DEGEN_BOUND &&
		    d[0].params[0] == 0, "and A's term vanishes (%zu)", n);
		nsl_law_free(ch);
	}
	nsl_law_free(po);
	nsl_law_free(ab);
}

/*
 * Stationarity at the least-squares line through (0, 1), (1, 2), (2, 2):
 * A + B x with A = 7/6, B = 1/2 by the normal equations (sum x = 3,
 * sum x^2 = 5, sum y = 5, sum xy = 6: 3A + 3B = 5, 3A + 5B = 6).  There
 * the residuals are orthogonal to the columns (1, x): 0.  At A = 7/6 +
 * 0.1 the residuals yhat - y are (1/6 + 0.1, -1/3 + 0.1, 1/6 + 0.1) =
 * (4/15, -7/30, 4/15), |r|^2 = 59/300; their cosine with the column of A,
 * (1, 1, 1), is 0.3/sqrt(3 * 59/300) = 0.390567..., with the column of
 * B, (0, 1, 2), 0.3/sqrt(5 * 59/300) = 0.30253...: the largest is A's.
 */
static void
test_stationarity(void)
{
	struct nsl_err err;
	const char *pn[] = { "A", "B" }, *vn[] = { "x" };
	double st[] = { 0, 0 }, x[3] = { 0, 1, 2 }, y[3] = { 1, 2, 2 };
	double t[2] = { 7.0 / 6, 0.5 };
	struct nsl_law *l = nsl_law_formula("A + B*x", pn, st, 2, vn, 1, &err);
	struct nsl_problem p = { l, 3, x, y, NULL, NSL_LOSS_LS, 1e-3, NULL };
	double s0 = nsl_optim_stationarity(&p, t), s1;

	t[0] += 0.1;
	s1 = nsl_optim_stationarity(&p, t);
	UNIT_CHECK(s0 < 1e-14, "stationarity is 0 at the least-squares line "
	    "(%g)", s0);
	UNIT_CHECK(fabs(s1 - 0.3 / sqrt(3 * 59.0 / 300)) < 1e-12,
	    "stationarity off it is the cosine worked out by hand (%.9f)", s1);
	nsl_law_free(l);
}

/*
 * A formula fit through every stage (user start, design, perturbations)
 * gives the same bits with 1 and 2 threads; data-constrained reports its
 * nested chinchilla fit and ends no worse.
 */
static void
test_threads_and_nesting(void)
{
	struct nsl_err err;
	struct nsl_optim_info i1, i2;
	const char *pn[] = { "E", "A", "a", "B", "b" }, *vn[] = { "N", "D" };
	double st[] = { 1, 100, 0.5, 100, 0.5 }, x[120], y[60], t1[5], t2[5];
	struct nsl_law *l = nsl_law_formula("E + A/N^a + B/D^b", pn, st, 5, vn,
	    2, &err);
	struct nsl_problem p = { l, 60, x, y, NULL, NSL_LOSS_HUBER, 1e-3,
		NULL };
	size_t i;

	for (i = 0; i < 60; i++) {
		x[2 * i] = 1e8 * pow(10, (double)(i % 10) * 0.3);
		x[2 * i + 1] = 1e9 * pow(10, (double)(i / 10) * 0.4);
		y[i] = (1.7 + 400 * pow(x[2 * i], -0.33) + 600 *
		    pow(x[2 * i + 1], -0.3)) * (1 + 0.01 * sin(3.0 * (double)i));
	}
	memset(t1, 0, sizeof(t1));
	memset(t2, 0, sizeof(t2));
	omp_set_num_threads(1);
	nsl_optim_fit_ex(&p, &dflt, t1, &i1, &err);
	omp_set_num_threads(2);
	nsl_optim_fit_ex(&p, &dflt, t2, &i2, &err);
	UNIT_CHECK(memcmp(t1, t2, sizeof(t1)) == 0 && i1.f == i2.f,
	    "a formula fit does not depend on the thread count");
	UNIT_CHECK(i1.converged && i1.refined > 1, "it converged after %zu "
	    "refinements", i1.refined);
	nsl_law_free(l);
	{
		struct nsl_law *dc = nsl_law_new("data-constrained", 1, &err);
		double xx[180], th[7] = { 0 };
		double tt[7] = { 6.255414, 7.3049974, 0.6254804, 0.3526596,
			0.3526596, log(15.387756), log(5.309743) };
		struct nsl_problem q = { dc, 60, xx, y, NULL, NSL_LOSS_HUBER,
			1e-3, NULL };

		for (i = 0; i < 60; i++) {
			xx[3 * i] = x[2 * i];
			xx[3 * i + 1] = x[2 * i + 1];
			xx[3 * i + 2] = x[2 * i + 1] / (1 + (double)(i % 7) * 5);
			y[i] = nsl_law_eval(dc, tt, xx + 3 * i, NULL) *
			    (1 + 0.005 * cos((double)i));
		}
		UNIT_CHECK(nsl_optim_fit_ex(&q, &dflt, th, &i1, &err) == 0 &&
		    !isnan(i1.nested_f) && i1.f <= i1.nested_f,
		    "data-constrained ends no worse than its nested fit "
		    "(%g <= %g)", i1.f, i1.nested_f);
		nsl_law_free(dc);
	}
}

int
main(void)
{
	struct nsl_err err;
	struct nsl_law *pw = nsl_law_new("power", 1, &err);
	struct nsl_law *ch = nsl_law_new("chinchilla", 1, &err);

	/*
	 * Huber by hand: y = A x^-a with A = e^0.01, a = 0 at x = 1 predicts
	 * e^0.01 for y = 1: r = 0.01 > delta = 1e-3, so
	 * H = delta (|r| - delta/2) = 1e-3 * 0.0095 = 9.5e-6.  With
	 * A = e^0.0005: r = 5e-4 <= delta, H = r^2/2 = 1.25e-7.  Weight 2
	 * doubles it; ls gives (e^0.01 - 1)^2; log-ls 1e-4.
	 */
	{
		double x = 1, y = 1, w = 2, t[2] = { 0.01, 0 };
		struct nsl_problem p = { pw, 1, &x, &y, NULL, NSL_LOSS_HUBER,
			1e-3, NULL };

		UNIT_CHECK(fabs(nsl_optim_objective(&p, t, NULL) - 9.5e-6) <
		    1e-18, "huber, linear part");
		t[0] = 5e-4;
		UNIT_CHECK(fabs(nsl_optim_objective(&p, t, NULL) - 1.25e-7) <
		    1e-17, "huber, quadratic part");
		p.w = &w;
		UNIT_CHECK(fabs(nsl_optim_objective(&p, t, NULL) - 2.5e-7) <
		    1e-17, "weights multiply");
		p.w = NULL;
		t[0] = 0.01;
		p.loss = NSL_LOSS_LS;
		UNIT_CHECK(fabs(nsl_optim_objective(&p, t, NULL) -
		    pow(exp(0.01) - 1, 2)) < 1e-18, "ls");
		p.loss = NSL_LOSS_LOGLS;
		UNIT_CHECK(fabs(nsl_optim_objective(&p, t, NULL) - 1e-4) <
		    1e-16, "log-ls");
	}

	/*
	 * Noiseless Hoffmann law on a 6 x 6 grid of N, D: the fit (variable
	 * projection + refinement) must give back its parameters.
	 */
	{
		double x[72], y[36], t[5] = { 0 }, f;
		double want[5] = { 406.4, 410.7, 1.69, 0.34, 0.28 }, got[5], tw[5];
		struct nsl_problem p = { ch, 36, x, y, NULL, NSL_LOSS_HUBER,
			1e-3, NULL };
		struct nsl_optim_opts o = { NSL_OPTIM_GRID, NSL_OPTIM_STARTS,
			NSL_OPTIM_MAXITER, NSL_OPTIM_RESTARTS, 0, NULL };
		size_t i, k;
		int ok = 1;

		nsl_law_from_report(ch, want, tw);
		for (i = 0; i < 36; i++) {
			x[2 * i] = 1e8 * pow(10, (double)(i % 6) * 0.5);
			x[2 * i + 1] = 1e9 * pow(10, (double)(i / 6) * 0.5);
			y[i] = nsl_law_eval(ch, tw, x + 2 * i, NULL);
		}
		UNIT_CHECK(nsl_optim_fit(&p, &o, t, &f, &err) == 0, "fit runs");
		nsl_law_to_report(ch, t, got);
		for (k = 0; k < 5; k++)
			if (fabs(got[k] / want[k] - 1) > 1e-4)
				ok = 0;
		UNIT_CHECK(ok && f < 1e-12, "noiseless chinchilla recovered "
		    "(alpha %g beta %g E %g, f %g)", got[3], got[4], got[2], f);

		/* Fixing E at its true value still recovers the rest. */
		{
			unsigned char fx[5] = { 0, 0, 1, 0, 0 };
			double t2[5] = { 0, 0, log(1.69), 0, 0 };

			p.fixed = fx;
			UNIT_CHECK(nsl_optim_fit(&p, &o, t2, &f, &err) == 0 &&
			    t2[2] == log(1.69) && fabs(t2[3] - 0.34) < 1e-4,
			    "--fix keeps the value and fits the others");
			p.fixed = NULL;
		}

		/* Bootstrap: same bits with 1 and 2 threads. */
		{
			double *s1 = malloc(50 * 5 * sizeof(double));
			double *s2 = malloc(50 * 5 * sizeof(double));
			size_t cl[36];

			for (i = 0; i < 36; i++)
				y[i] *= 1 + 0.01 * sin((double)i);
			nsl_optim_fit(&p, &o, t, &f, &err);
			omp_set_num_threads(1);
			nsl_optim_bootstrap(&p, 200, t, 50, NULL, 0, 7, s1, &err);
			omp_set_num_threads(2);
			nsl_optim_bootstrap(&p, 200, t, 50, NULL, 0, 7, s2, &err);
			UNIT_CHECK(memcmp(s1, s2, 250 * sizeof(double)) == 0,
			    "bootstrap does not depend on the thread count");
			for (i = 0; i < 36; i++)
				cl[i] = i / 6;
			nsl_optim_bootstrap(&p, 200, t, 50, cl, 6, 7, s2, &err);
			UNIT_CHECK(memcmp(s1, s2, 250 * sizeof(double)) != 0,
			    "cluster resampling differs from point resampling");
			free(s1);
			free(s2);
		}
	}

	/* numpy.quantile([4, 1, 3, 2], 0.25) = 1.75; 0.975 of 1..40 is
	 * 1 + 0.975 * 39 = 39.025. */
	{
		double v[4] = { 4, 1, 3, 2 }, u[40];
		size_t i;

		UNIT_CHECK(fabs(nsl_optim_quantile(v, 4, 0.25) - 1.75) < 1e-15,
		    "quantile interpolates linearly");
		for (i = 0; i < 40; i++)
			u[i] = (double)(40 - i);
		UNIT_CHECK(fabs(nsl_optim_quantile(u, 40, 0.975) - 39.025) <
		    1e-12, "quantile 0.975");
	}

	/* Scores: y = 2, 4; yhat = 2.2, 3 (power with a = 0 gives A):
	 * rel errors 0.1, 0.25 are taken with a constant law A = 2.2 vs
	 * y = 2 and y = 4: |2.2-2|/2 = 0.1, |2.2-4|/4 = 0.45. */
	{
		double x[2] = { 1, 1 }, y[2] = { 2, 4 }, t[2] = { log(2.2), 0 };
		struct nsl_scores s;

		nsl_optim_scores(pw, t, x, y, 2, &s);
		UNIT_CHECK(fabs(s.are - 0.275) < 1e-12 &&
		    fabs(s.max_rel - 0.45) < 1e-12, "ARE and max rel error");
		UNIT_CHECK(fabs(s.rmsle - sqrt((pow(log(1.1), 2) +
		    pow(log(2.2 / 4), 2)) / 2)) < 1e-12, "RMSLE");
	}
	test_degenerate();
	test_stationarity();
	test_threads_and_nesting();
	nsl_law_free(pw);
	nsl_law_free(ch);
	return unit_done();
}
