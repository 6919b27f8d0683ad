/*
 * nsl/optim.h - fitting a law to points: objectives, variable projection,
 * many starts, local refinement, degeneracy, bootstrap and held-out
 * scores.
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
 * Every objective is 1/2 sum_i s_i^2 over pseudo-residuals s_i (ls and
 * log-ls: sqrt(2 w_i) r_i; huber: sqrt(w_i) r_i for |r_i| <= delta,
 * sqrt(w_i) sign(r_i) sqrt(delta (2|r_i| - delta)) beyond), so one
 * Levenberg-Marquardt solver serves them all: GSL's gsl_multifit_nlinear
 * with geodesic acceleration (trs_lmaccel), More's parameter scaling and
 * a QR solver, on the exact Jacobian; huber fits are then polished by
 * BFGS2 on the exact objective (near the optimum, nsl_optim_refine()
 * takes IRLS instead of LM for huber: fewer steps there).
 *
 * nsl_optim_fit() is global.  Its starts, all refined by that local
 * solver, in this order:
 *  1. the start: the caller's (opts->start) or the law's own (law->pstart:
 *     a formula's --param values, a catalogue law's published values);
 *     parameters without a value take the middle of their design range
 *     or, when linear, their least-squares value;
 *  2. the fit of the law's nested law (law->nest), mapped into this law,
 *     so that a law never ends worse than its own special case;
 *  3. the best `starts` of `grid` points (at most 64 * 4^d for d < 4
 *     dimensions) of a Sobol design over the free
 *     non-linear parameters (uniform in fit space over the law's ranges:
 *     log space for log-space parameters; a formula parameter with start
 *     s over sign(s) |s| 100^[-1, 1], log-uniform, or +-10^[-3, 3] for
 *     s = 0), the linear coefficients solved at each point in closed form
 *     (variable projection: non-negative least squares for a catalogue
 *     law's, least squares for a formula's; weights 1/y^2 for the log
 *     objectives);
 *  4. rounds of `restarts` random perturbations of the best so far, while
 *     they improve it (at most NSL_OPTIM_ROUNDS);
 *  5. if the best is degenerate (nsl_optim_degenerate), `restarts` starts
 *     that redraw the degenerate parameters; a result that is not
 *     degenerate wins if its objective is within 1e-9 relative of the
 *     best.
 * The lowest objective wins; on a tie (1e-13 relative) the earlier start.
 * Starts other than 1 and 2 take 100 steps first and go on only if they
 * are then the best; with more than 512 points, those of 3, 4 and 5 are
 * ranked and refined on 512 of them, evenly spaced, and the best two of
 * each batch then on all.
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
#define NSL_OPTIM_RESTARTS 8
#define NSL_OPTIM_ROUNDS 3

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
	size_t grid;		/* design points, NSL_OPTIM_GRID */
	size_t starts;		/* design points refined, NSL_OPTIM_STARTS */
	size_t maxiter;		/* iterations per refinement */
	size_t restarts;	/* perturbations per round (0: none) */
	uint64_t seed;		/* of the perturbations */
	const double *start;	/* np report values, NAN where not given;
				 * NULL: the law's pstart */
};

/*
 * Why a fit is degenerate: a log-space coefficient whose term vanishes
 * on the data (max |c phi| < 1e-8 max |y|: "bound", the coefficient sits
 * at 0), a parameter outside the law's plausible range (law->pmin, pmax:
 * "range"), or a flat direction of the objective ("flat": a parameter
 * that moves no prediction, or a near-singular Jacobian, the smallest
 * singular value of the column-normalised Jacobian below 1e-7; params
 * are those weighing most in its singular vector).
 */
enum nsl_degen_reason { NSL_DEGEN_BOUND, NSL_DEGEN_RANGE, NSL_DEGEN_FLAT };

#define NSL_OPTIM_MAX_DEGEN 8

struct nsl_degen {
	enum nsl_degen_reason reason;
	size_t nparams;
	size_t params[NSL_LAW_MAX_PARAMS];	/* parameter indices */
};

/* What nsl_optim_fit_ex() found besides the parameters. */
struct nsl_optim_info {
	double f;		/* the objective */
	int converged;		/* the stationarity test holds (below) */
	double nested_f;	/* the nested law's objective, NAN if none */
	size_t refined;		/* local refinements run */
	size_t ndegen;
	struct nsl_degen degen[NSL_OPTIM_MAX_DEGEN];
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

/* The same, with what else it found in info. */
int nsl_optim_fit_ex(const struct nsl_problem *,
    const struct nsl_optim_opts *, double *theta,
    struct nsl_optim_info *info, struct nsl_err *err);

/*
 * The degeneracies of theta (see enum nsl_degen_reason), at most max of
 * them into out.  Returns their number.
 */
size_t nsl_optim_degenerate(const struct nsl_problem *, const double *theta,
    struct nsl_degen *out, size_t max);

/* "bound", "range", "flat". */
const char *nsl_degen_reason_name(enum nsl_degen_reason);

/*
 * Stationarity: the largest cosine between the pseudo-residual vector s
 * and a column of its Jacobian J (free parameters), |J_j.s|/(|J_j||s|),
 * 0 at a minimum whatever the scales; 0 too when s = 0 (a perfect fit).
 * A fit is taken as converged when it is below NSL_OPTIM_STATIONARY.
 */
#define NSL_OPTIM_STATIONARY 1e-6
double nsl_optim_stationarity(const struct nsl_problem *,
    const double *theta);

/*
 * Local refinement from theta (in/out), meant for a start near the
 * optimum (a bootstrap resample from the fit): for huber, Levenberg-
 * Marquardt on iteratively reweighted residuals, then BFGS2; otherwise
 * the LM above.  Returns 0, or -1 when the objective is not finite at
 * theta (theta is then left as it was).
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
