/*
 * ot.h - optimal-transport distances between two weighted point sets.
 *
 * A problem is two point clouds in R^d: x (n rows) with weights a and y
 * (m rows) with weights b, row-major as nsl_dataset_read() gives them.
 * Weights are non-negative with a positive sum; they are normalised to
 * probability vectors (NULL means uniform).  The ground cost C[i][j] is
 *	sqeuclidean	||x_i - y_j||^2		(p = 2)
 *	euclidean	||x_i - y_j||^p		(p >= 1, default 1)
 *	cosine		1 - cos(x_i, y_j)	(p = 1)
 * and the reported distance is value^(1/p), value being the optimal
 * transport cost <P, C> (or the method's estimate of it).
 *
 * Methods are the rows of nsl_ot_methods[] (below; lib/ot_methods.c),
 * each solved in a file of its own: exact (network simplex, no iteration
 * cap), sinkhorn (log-domain, epsilon scaling), divergence (debiased),
 * sns (Sinkhorn-Newton-Sparse), sliced (with control variates), gaussian
 * (Bures) and otdd (points and their class Gaussians).  Each file's head
 * comment states its method; nsl-ot-distance(1) describes them for users.
 *
 * Memory: sinkhorn, divergence and sns store C and its transpose when
 * 2 n m 8 bytes fit in max_memory; otherwise they compute cost blocks on
 * the fly (dgemm for the x.y products, OpenMP over rows).  exact and otdd
 * with inner exact need C and the flows (about 17 n m bytes).
 *
 * Results do not depend on the number of threads: every sum over a row
 * is done by one thread in a fixed order, sums over rows serially.
 */
#ifndef NSL_OT_H
#define NSL_OT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum nsl_ot_cost {
	NSL_OT_SQEUCLIDEAN,
	NSL_OT_EUCLIDEAN,
	NSL_OT_COSINE
};

enum nsl_ot_cv {
	NSL_OT_CV_NONE,
	NSL_OT_CV_LOWER,
	NSL_OT_CV_UPPER
};

struct nsl_ot_method;

struct nsl_ot_params {
	const struct nsl_ot_method *method;	/* a row of nsl_ot_methods */
	enum nsl_ot_cost cost;
	double p;		/* power; see above */
	double eps;		/* > 0: absolute epsilon */
	double eps_rel;		/* > 0 (and eps == 0): eps_rel * mean cost */
	double tol;		/* L1 marginal error to stop at */
	int max_iter;		/* Sinkhorn iterations at the target eps */
	double scaling;		/* epsilon scaling factor in (0, 1) */
	double max_memory;	/* bytes for stored cost matrices */
	int projections;	/* sliced */
	uint64_t seed;
	enum nsl_ot_cv cv;
	const struct nsl_ot_method *inner;	/* otdd: a row that can be */
	int want_potentials;
	int want_plan;
	double plan_threshold;	/* plan entries with mass > this */
};

/* Defaults for every field (method exact, cost sqeuclidean, p 2, ...). */
void nsl_ot_params_init(struct nsl_ot_params *);

/*
 * NULL, or a message naming the parameter that is wrong (by its option
 * name: "--eps-scaling: must be in (0, 1)").  Pure; a message that names
 * a method is formatted in a buffer of the calling thread's, valid until
 * its next call.
 */
const char *nsl_ot_check(const struct nsl_ot_params *);

/* Names <-> enums; parse returns -1 for an unknown name. */
const char *nsl_ot_cost_name(enum nsl_ot_cost);
int nsl_ot_cost_parse(const char *);
/* The power a cost has unless one is given: 2 for sqeuclidean, else 1. */
double nsl_ot_cost_default_p(enum nsl_ot_cost);
/*
 * Set the parameter named name (method, inner, cost or control-variate:
 * the options of nsl-ot-distance) from its text.  Returns NULL, or a
 * message without the name ("unknown method 'x'"), formatted as
 * nsl_ot_check's.
 */
const char *nsl_ot_param_parse(struct nsl_ot_params *, const char *name,
    const char *arg);

/* The problem; everything borrowed.  a, b NULL: uniform. */
struct nsl_ot_problem {
	const double *x, *y;
	size_t n, m, d;
	const double *a, *b;
	const int *la, *lb;		/* otdd: labels in [0, nla), [0, nlb) */
	size_t nla, nlb;
};

struct nsl_ot_plan_entry {
	size_t i, j;
	double mass;
};

/*
 * A result.  f (n) and g (m) are the dual potentials when asked for
 * (entropic: the Sinkhorn potentials, exact: network simplex duals with
 * f_i + g_j <= C_ij); plan holds the coupling's entries above the
 * threshold in (i, j) order.  All owned: nsl_ot_result_release().
 * Fields that do not apply to the method are NaN (doubles) or -1.
 */
struct nsl_ot_result {
	double value;		/* <P, C> or the estimate of it */
	double distance;	/* value^(1/p) (0 if value < 0) */
	double objective;	/* entropic objective (sinkhorn, sns) */
	double epsilon;
	double marginal_error;
	long iterations;	/* total */
	long sinkhorn_iterations;
	long newton_iterations;
	long pivots;		/* exact */
	double std_error;	/* sliced */
	double variance_reduction;	/* sliced with a control variate */
	int converged;
	int blocked;		/* 1 if costs were computed on the fly */
	double *f, *g;
	struct nsl_ot_plan_entry *plan;
	size_t nplan;
};

void nsl_ot_result_release(struct nsl_ot_result *);

/*
 * A method solves the problem for probability weights a and b (checked
 * and normalised by nsl_ot_solve) into res, whose fields start as "does
 * not apply".  ltab, if not NULL, is an extra cost ltab[la_i * nlb + lb_j]
 * added to C_ij (otdd's label term); only rows with NSL_OT_AS_INNER take
 * one.  Returns 0, or -1 with err set.
 */
typedef int nsl_ot_solve_fn(const struct nsl_ot_params *,
    const struct nsl_ot_problem *, const double *a, const double *b,
    const double *ltab, struct nsl_ot_result *, struct nsl_err *);

/* The parameters a method reads (besides cost and p), one bit each. */
enum nsl_ot_param {
	NSL_OT_P_EPS = 1 << 0,		/* eps, eps-rel */
	NSL_OT_P_TOL = 1 << 1,		/* tol, max-iter, eps-scaling */
	NSL_OT_P_MEMORY = 1 << 2,	/* max-memory */
	NSL_OT_P_PROJECTIONS = 1 << 3,	/* projections, seed */
	NSL_OT_P_CV = 1 << 4,		/* control-variate */
	NSL_OT_P_LABELS = 1 << 5,	/* labels (required), inner */
	NSL_OT_P_INNER = 1 << 6		/* the inner method's parameters */
};

/* What a method can do. */
enum nsl_ot_flags {
	NSL_OT_PLAN = 1 << 0,		/* potentials and a plan */
	NSL_OT_AS_INNER = 1 << 1	/* otdd's inner solver (takes ltab) */
};

/*
 * The catalogue: one row per method, in nsl_ot_methods[] (ended by a row
 * whose name is NULL).  The names, --list-methods, the checks of which
 * parameters go with which method, the man page's method list (checked
 * by a test) and the record's method-specific fields come from it.
 */
struct nsl_ot_method {
	const char *name;
	const char *summary;	/* one line */
	unsigned params;	/* enum nsl_ot_param bits */
	unsigned costs;		/* 1 << enum nsl_ot_cost: the costs it takes */
	unsigned flags;		/* enum nsl_ot_flags */
	nsl_ot_solve_fn *solve;
};

extern const struct nsl_ot_method nsl_ot_methods[];

/* The row named name, or NULL. */
const struct nsl_ot_method *nsl_ot_method_find(const char *name);

/*
 * The names of the rows with all of flags set, as "a, b or c", into buf
 * (truncated to size).  Returns buf.
 */
char *nsl_ot_method_names(unsigned flags, char *buf, size_t size);

/*
 * The catalogue as text, for --list-methods: per method a line "NAME
 * SUMMARY" and an indented line of the costs and parameters it takes.
 */
void nsl_ot_methods_list(struct nsl_buf *);

/*
 * Solve.  Checks the problem (dimensions, weights: finite, >= 0, positive
 * sum; labels for otdd) and returns 0, or -1 with err set (NSL_EX_DATAERR
 * for bad data, NSL_EX_SOFTWARE when memory runs out).  A Sinkhorn run
 * that reaches max_iter returns 0 with converged = 0.
 */
int nsl_ot_solve(const struct nsl_ot_params *, const struct nsl_ot_problem *,
    struct nsl_ot_result *, struct nsl_err *);

/*
 * Building blocks, exposed for tests and for callers with their own
 * costs.
 */

/*
 * Exact OT by network simplex on a dense cost matrix C (n x m row-major),
 * a and b probability vectors (sums equal up to rounding).  *value gets
 * <P, C>; flow (n x m, may be NULL) the plan; f, g (may be NULL) duals.
 * *pivots (may be NULL) the number of pivots.  Returns 0 or -1 (out of
 * memory).
 */
int nsl_ot_emd(const double *a, size_t n, const double *b, size_t m,
    const double *C, double *value, double *flow, double *f, double *g,
    long *pivots, struct nsl_err *);

/* The cost matrix C (n x m) of the problem under the cost convention. */
void nsl_ot_cost_matrix(const struct nsl_ot_problem *, enum nsl_ot_cost,
    double p, double *C);

/*
 * W_p^p between two weighted sets on the line (u: n values with weights
 * wu summing to 1, v likewise); u and v need not be sorted (they are
 * sorted in place together with their weights).
 */
double nsl_ot_wasserstein_1d(double *u, double *wu, size_t n, double *v,
    double *wv, size_t m, double p);

/*
 * Bures-Wasserstein: W2^2 between N(m1, S1) and N(m2, S2) in R^d
 * (covariances d x d, symmetric positive semi-definite).  Returns 0 or
 * -1 with err set.
 */
int nsl_ot_bures(const double *m1, const double *S1, const double *m2,
    const double *S2, size_t d, double *w2sq, struct nsl_err *);

/*
 * Weighted mean (d) and covariance (d x d, normalised by the weights'
 * sum, i.e. the maximum-likelihood estimate) of the rows idx[0..k) of x
 * (idx NULL: all n rows).  w NULL: uniform.
 */
void nsl_ot_moments(const double *x, size_t n, size_t d, const double *w,
    const size_t *idx, size_t k, double *mean, double *cov);

#endif
