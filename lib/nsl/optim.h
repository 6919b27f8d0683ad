/*
 * nsl/optim.h - fitting a law to points: objectives, variable projection,
 * multi-start grids, local refinement, bootstrap and held-out scores.
 *
 * A problem is a law plus n points (x rows of law->nvars, y, optional
 * weights) and an objective:
 *
 *	huber   sum_i w_i H_delta(log yhat_i - log y_i)   (Epoch AI / Hoffmann)
 *	ls      sum_i w_i (yhat_i - y_i)^2
 *	log-ls  sum_i w_i (log yhat_i - log y_i)^2
 *
 * with H_delta(r) = r^2/2 for |r| <= delta, delta (|r| - delta/2) beyond.
 * A point where the law is not positive makes a log objective infinite.
 *
 * nsl_optim_fit() is global by default: for laws with linear coefficients
 * (nsl_law_basis), a grid over the free non-linear parameters with the
 * coefficients solved in closed form (non-negative weighted least squares
 * by enumeration of active sets, weights 1/y^2 for the log objectives);
 * for the others a grid over all free parameters.  The best `starts` grid
 * points are then refined with GSL's BFGS2 (gsl_multimin) on the exact
 * objective and analytic gradient, and the best result wins.
 *
 * Invariants: theta vectors are fit space (see nsl/laws.h) and always
 * hold all law->np parameters; fixed[k] != 0 keeps theta[k] as given.
 * Every function here is deterministic: the same inputs and seed give the
 * same bits whatever the number of OpenMP threads.  Nothing is retained:
 * the problem's arrays are borrowed for the duration of a call.
 */
#ifndef NSL_OPTIM_H
#define NSL_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/err.h"
#include "nsl/laws.h"

enum nsl_loss {
	NSL_LOSS_HUBER,
	NSL_LOSS_LS,
	NSL_LOSS_LOGLS
};

#define NSL_OPTIM_DELTA 1e-3
#define NSL_OPTIM_GRID 4096
#define NSL_OPTIM_STARTS 8
#define NSL_OPTIM_MAXITER 2000

struct nsl_problem {
	const struct nsl_law *law;
	size_t n;
	const double *x;		/* n rows of law->nvars */
	const double *y;		/* n values */
	const double *w;		/* n weights, or NULL for all 1 */
	enum nsl_loss loss;
	double delta;			/* huber only */
	const unsigned char *fixed;	/* law->np flags, or NULL */
};

struct nsl_optim_opts {
	size_t grid;		/* grid points (budget), NSL_OPTIM_GRID */
	size_t starts;		/* grid points refined, NSL_OPTIM_STARTS */
	size_t maxiter;		/* BFGS iterations per start */
};

/* Parse "huber", "ls", "log-ls"; -1 if unknown. */
int nsl_loss_parse(const char *name);
const char *nsl_loss_name(enum nsl_loss);

/* Objective at theta; its gradient (all np entries) into grad if not NULL. */
double nsl_optim_objective(const struct nsl_problem *, const double *theta,
    double *grad);

/*
 * Global fit.  theta holds the fixed parameters' values on entry and the
 * best parameters on return; *f the objective.  Returns 0, or -1 with err
 * (NSL_EX_DATAERR) when no start gives a finite objective.
 */
int nsl_optim_fit(const struct nsl_problem *, const struct nsl_optim_opts *,
    double *theta, double *f, struct nsl_err *err);

/*
 * Local refinement from theta (in/out) by BFGS2.  Returns 0, or -1 when
 * the objective is not finite at theta (theta is then left as it was).
 */
int nsl_optim_refine(const struct nsl_problem *, double *theta, double *f,
    size_t maxiter);

/*
 * Bootstrap: B resamples of the points (or, with cluster != NULL, of the
 * ncluster clusters, cluster[i] in [0, ncluster) naming point i's), each
 * refitted by refinement from theta0 (as Epoch AI's replication does).
 * Resample b draws from rng stream b + 1 of seed, so the result does not
 * depend on the number of threads.  samples receives B rows of np fit-space
 * values.  Returns 0, or -1 with err (no memory).
 */
int nsl_optim_bootstrap(const struct nsl_problem *, size_t maxiter,
    const double *theta0, size_t B, const size_t *cluster, size_t ncluster,
    uint64_t seed, double *samples, struct nsl_err *err);

/* The q-quantile (0..1) of x[0..n) by linear interpolation (numpy's
 * default); x is sorted in place. */
double nsl_optim_quantile(double *x, size_t n, double q);

/* Errors of a fit on points: mean |y - yhat|/|y|, root mean squared
 * log error, max relative error.  rmsle is NaN if any value is not
 * positive. */
struct nsl_scores {
	size_t n;
	double are;
	double rmsle;
	double max_rel;
};
void nsl_optim_scores(const struct nsl_law *, const double *theta,
    const double *x, const double *y, size_t n, struct nsl_scores *out);

/*
 * Information criteria from the residuals on the objective's scale (log
 * for huber and log-ls): with RSS their weighted sum of squares,
 * AIC = n log(RSS/n) + 2k and BIC = n log(RSS/n) + k log n.
 */
void nsl_optim_ic(const struct nsl_problem *, const double *theta,
    size_t k, double *aic, double *bic);

#endif
