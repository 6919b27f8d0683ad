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
	nsl_law_free(pw);
	nsl_law_free(ch);
	return unit_done();
}
