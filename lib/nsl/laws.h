/*
 * nsl/laws.h - the catalogue of scaling laws: formulas, parameters,
 * analytic gradients, evaluation and inversion.
 *
 * A law maps a point x (nvars input variables, e.g. N and D) and a
 * parameter vector to a prediction y.  Parameters live in two spaces:
 *
 *  - report space: the values people quote (A = 482.01, alpha = 0.3478);
 *  - fit space (theta): what the optimiser moves.  Parameters that scale
 *    (coefficients such as A, B, E; rates; break positions) are positive
 *    and fitted as their natural logarithm, so theta = log A; exponents
 *    are fitted as they are.  nsl_law_param_is_log() tells which.
 *
 * nsl_law_eval() returns y and, when grad is not NULL, dy/dtheta (fit
 * space) computed analytically (tests/unit/test_laws.c checks every law
 * against central finite differences).
 *
 * Laws that are linear in some positive coefficients once the other
 * parameters are fixed (y = sum_j c_j phi_j(x), c_j >= 0) expose the
 * basis phi through nsl_law_basis() so that the optimiser can solve the
 * coefficients in closed form (variable projection).
 *
 * Variables: the fields named by law->vars are read from the records.
 * A law may derive its working variables from them (lr-anneal turns a
 * per-step log of step and lr into S1, S2): nsl_law_prepare() does that,
 * in record order, on the rows of one training curve.
 *
 * Invariants: np == number of parameter names; lin[] lists nlin indices of
 * linear coefficients, in basis order: log-space COEF parameters of a
 * catalogue law (positive), or the formula parameters in which the
 * formula is jointly affine (found by nsl_expr_affine, any sign).  A law is
 * immutable after nsl_law_new(), so it may be evaluated from many threads.
 * Ownership: nsl_law_new() returns a new law, freed with nsl_law_free(),
 * which owns all its strings (and the compiled formula).
 */
#ifndef NSL_LAWS_H
#define NSL_LAWS_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"

/* How a parameter behaves, which decides its space and its start grid. */
enum nsl_param_type {
	NSL_PT_COEF,	/* positive coefficient, log space, linear if in lin[] */
	NSL_PT_EXPO,	/* exponent, linear space, grid [0, 2] by default */
	NSL_PT_RATE,	/* positive rate (1/x units), log space */
	NSL_PT_SCALE,	/* positive position on a variable's axis, log space */
	NSL_PT_FREE	/* formula parameter, linear space around its start */
};

#define NSL_LAW_MAX_PARAMS 64
#define NSL_LAW_MAX_VARS 16
#define NSL_LAW_MAX_BREAKS 8

struct nsl_law;

/*
 * The catalogue: one row per law (sqlite's aBuiltinFunc[]).  Everything
 * a law is lives in its row: name, formula text, variables, parameters
 * (with published starts, plausible ranges and their role in the nested
 * law), the functions that evaluate it, its basis for variable
 * projection, how a curve's raw variables become its working ones, the
 * hints of the start design and the compute-optimal allocation when it
 * has one.  The law list (--list-laws), the parser (nsl_law_new), the
 * "unknown law" and "needs a ... fit" messages all come from the table;
 * adding a law is adding a row (and its test data: see
 * tests/unit/test_laws.c, which fails for a row without a reference
 * case).
 */

/* One parameter of a row. */
struct nsl_law_param {
	const char *name;
	enum nsl_param_type t;
	int var;		/* the variable a RATE or SCALE refers to */
	double start;		/* published value (report space); NAN: none */
	double lo, hi;		/* plausible range; -INFINITY, INFINITY: none */
	const char *nest;	/* the nested law's parameter, or NULL ... */
	double neutral;		/* ... and then this value (NAN: any) */
};

enum nsl_law_flags {
	/* working variables come from a whole curve in record order
	 * (nsl_law_prepare_next): no curve over one x, no decade check */
	NSL_LAWF_CURVE = 1 << 0,
	/* the basis reads the coefficients (data-constrained's U_N): the
	 * projection iterates and the design cannot use the basis alone */
	NSL_LAWF_BASIS_COEF = 1 << 1,
	/* the law takes a number of breaks (--breaks, "breaks" in records) */
	NSL_LAWF_BREAKS = 1 << 2,
	/* the user's formula (nsl_law_formula): not in the list */
	NSL_LAWF_FORMULA = 1 << 3
};

/* The state of a curve being prepared, row by row (lr-anneal's sums). */
struct nsl_law_curve {
	size_t n;		/* rows seen */
	double s[8];		/* the row's running state */
};

struct nsl_law_def {
	const char *name;	/* "chinchilla" */
	const char *formula;	/* human-readable formula */
	const char *yname;	/* default field of the measured quantity */
	const char *vars[5];	/* default fields of the variables */
	size_t nvars;
	const struct nsl_law_param *params;	/* np rows; NULL: build() */
	size_t np;
	/* the nested law: name, breaks, and for each of its variables the
	 * name of ours it reads (NULL: none) */
	const char *nest;
	int nest_breaks;
	const char *nest_vars[4];
	unsigned var_positive;	/* bit k: variable k must be > 0 */
	double expo_lo, expo_hi;	/* start design of EXPO parameters */
	double scale_pad;	/* SCALE design: log(max x) + this at the top */
	unsigned flags;		/* enum nsl_law_flags */
	/* y and dy/dtheta (g may be NULL) at x, theta in fit space */
	double (*eval)(const struct nsl_law *, const double *theta,
	    const double *x, double *g);
	/* the basis of the linear coefficients (the COEF parameters, in
	 * order), or NULL; see nsl_law_basis */
	void (*basis)(const struct nsl_law *, const double *theta,
	    const double *x, double *phi, double *h);
	/* a parameter table that depends on breaks (bnsl), or NULL */
	int (*build)(struct nsl_law *, int breaks, struct nsl_err *err);
	/* one row of a curve into working variables, or NULL (as is) */
	int (*step)(struct nsl_law_curve *, double *x, struct nsl_err *err);
	/* compute-optimal N and D at compute C = k N D in closed form, or
	 * NULL (a law of N and D is then minimised numerically) */
	void (*optimal)(const struct nsl_law *, const double *theta,
	    double C, double k, double *N, double *D);
};

/* The catalogue, ended by a row whose name is NULL. */
extern const struct nsl_law_def nsl_law_catalogue[];

/* The row of a built-in law by name, or NULL. */
const struct nsl_law_def *nsl_law_find(const char *name);

/*
 * The --list-laws text: each row described (nsl_law_describe, bnsl with
 * one break) and a closing note.  Returns 0, or -1 with err.
 */
int nsl_law_list(struct nsl_buf *, struct nsl_err *err);


struct nsl_law {
	const struct nsl_law_def *def;	/* its catalogue row (borrowed) */
	char *name;		/* "chinchilla" */
	char *formula;		/* human-readable formula */
	size_t nvars;
	char **vars;		/* field names of the input variables */
	char *yname;		/* default field of the measured quantity */
	size_t np;
	char **params;		/* report names: "A", "alpha", ... */
	enum nsl_param_type *ptype;
	int *pvar;		/* variable a RATE or SCALE parameter refers to */
	double *pstart;		/* start (report space): a formula's --param
				 * values; a catalogue law's published values,
				 * NAN where there is none */
	double *pmin, *pmax;	/* plausible range (report space): a fit
				 * beyond it is reported as degenerate;
				 * -inf/inf where there is none */
	size_t nlin;
	size_t lin[NSL_LAW_MAX_PARAMS];	/* linear coefficients, basis order */
	int breaks;		/* bnsl: number of breaks */
	struct nsl_expr *expr;	/* formula: names are params then vars */
	/*
	 * The catalogue law this one contains as a special case (chinchilla
	 * in data-constrained, power-offset in bnsl), or NULL: its fit seeds
	 * this law's.  Its parameter j is our parameter k where
	 * nest_param[k] == j; our parameters with nest_param[k] == -1 take
	 * nest_value[k] (report space; NAN: any value, the start's) to give
	 * the special case.  Its variable j is our variable nest_var[j].
	 */
	char *nest;
	int nest_breaks;
	int *nest_param;
	double *nest_value;
	int nest_var[NSL_LAW_MAX_VARS];
};

/*
 * A new law by name ("chinchilla", "bnsl", ...); breaks is used by bnsl
 * (1..NSL_LAW_MAX_BREAKS).  Returns NULL with err (NSL_EX_USAGE) for an
 * unknown name.
 */
struct nsl_law *nsl_law_new(const char *name, int breaks, struct nsl_err *err);

/*
 * A user's law: y = text over the parameters pnames[0..np) (with start
 * values start[], report space) and the variables vnames[0..nv).
 * Returns NULL with err (NSL_EX_USAGE) if the formula does not parse or
 * uses no parameter.
 */
struct nsl_law *nsl_law_formula(const char *text, const char *const *pnames,
    const double *start, size_t np, const char *const *vnames, size_t nv,
    struct nsl_err *err);

void nsl_law_free(struct nsl_law *);

/* A new copy of a law, with its variable and y names. */
struct nsl_law *nsl_law_copy(const struct nsl_law *, struct nsl_err *err);

/* Replace the y field name (copied).  Returns -1 on no memory. */
int nsl_law_set_y(struct nsl_law *, const char *field);

/* Replace variable k's field name (copied).  Returns -1 on no memory. */
int nsl_law_set_var(struct nsl_law *, size_t k, const char *field);

/*
 * The data-filter law for a union of m >= 1 pools seen n samples in all,
 * P = the union's size: p holds each pool's (a, b, tau, d) in report
 * space; the union's epoch-k utility is the mean of the pools' b_k, its
 * a and d their means (Goyal et al. 2024's mixtures).  m = 1 is the
 * data-filter row's y.
 */
double nsl_law_filter_mix(const double (*p)[4], size_t m, double n,
    double P);

/* Index of parameter name, or -1. */
long nsl_law_param_index(const struct nsl_law *, const char *name);

/* 1 if parameter k is fitted as its logarithm. */
int nsl_law_param_is_log(const struct nsl_law *, size_t k);

/* Fit space <-> report space, np values each. */
void nsl_law_to_report(const struct nsl_law *, const double *theta,
    double *out);
void nsl_law_from_report(const struct nsl_law *, const double *p,
    double *theta);

/*
 * 1 if the law's variable k must be positive (it is taken to a power or
 * a logarithm), 0 otherwise.
 */
int nsl_law_var_positive(const struct nsl_law *, size_t k);

/*
 * Turn the raw variables of one curve (n rows of nvars, in record order)
 * into the law's working variables, in place (the row's step; only
 * lr-anneal has one).  Returns 0, or -1 with err when the rows are
 * unusable (steps not increasing).
 */
int nsl_law_prepare(const struct nsl_law *, double *x, size_t n,
    struct nsl_err *err);

/*
 * The same one row at a time, for a stream (nsl-extrapolate's queries
 * are one schedule): start with nsl_law_curve_init(), then each row in
 * order.  nsl_law_prepare() is these calls over its rows.
 */
void nsl_law_curve_init(struct nsl_law_curve *);
int nsl_law_prepare_next(const struct nsl_law *, struct nsl_law_curve *,
    double *x, struct nsl_err *err);

/*
 * The index of the variable that plays the role name ("N", "D", "U"):
 * for a catalogue law, by its row's variable names, whatever fields the
 * fit read them from; for a formula, by the names it was given.  -1 if
 * none.
 */
long nsl_law_var_role(const struct nsl_law *, const char *name);

/* 1 if the law has a compute-optimal allocation: it has N and D. */
int nsl_law_has_optimal(const struct nsl_law *);

/*
 * The compute-optimal allocation at compute C = k N D: the N and D that
 * minimise the law along that constraint, with the other variables at
 * x's values (x may be NULL for a law of N and D alone; x's N and D are
 * not read), and the law there.  A row with a closed form (chinchilla,
 * chinchilla-tied: the row's optimal) uses it; any other law of N and D
 * (a formula included) is minimised numerically over log N: a scan of
 * N and D from 1e-300 to 1e300, 8 points a decade (or, with guess > 0,
 * first three decades either side of guess, 32 a decade, widened to the
 * whole scan when the lowest point is at an edge), the lowest point
 * refined by Brent's method.  Of several local minima the scan's lowest
 * wins.  Returns 0, or -1 with err (NSL_EX_DATAERR) when the law has no
 * N or D, C or k is not positive, x lacks another variable, or the loss
 * keeps falling towards an end of the scan (no optimum).
 */
int nsl_law_optimal_at(const struct nsl_law *, const double *theta,
    const double *x, double C, double k, double guess, double *N, double *D,
    double *L, struct nsl_err *err);

/* nsl_law_optimal_at() without other variables or guess. */
int nsl_law_optimal(const struct nsl_law *, const double *theta, double C,
    double k, double *N, double *D, double *L, struct nsl_err *err);

/* y at x for parameters theta (fit space); dy/dtheta into grad if not NULL. */
double nsl_law_eval(const struct nsl_law *, const double *theta,
    const double *x, double *grad);

/*
 * Variable projection basis: fill phi[0..nlin) and *h so that
 * y = h + sum_j c_j * phi[j] at x, c_j the report value of parameter
 * lin[j] (exp(theta) for a catalogue law's, theta for a formula's), for
 * the given non-linear parameters (the coefficient entries of theta are
 * read only by data-constrained, whose U_N depends on A and B; h is 0
 * for catalogue laws but fp-quant, whose h is its quantization term).
 * Returns 0, or -1 if the law has no linear
 * coefficients.
 */
int nsl_law_basis(const struct nsl_law *, const double *theta,
    const double *x, double *phi, double *h);

/*
 * Solve for variable k: a value v of x[k] such that y(x with x[k] = v)
 * equals target.  f(v) = y - target is sampled at 0 and at +-10^e for e
 * from -300 to 300 in steps of 1/4 (only the positive values when the
 * variable must be positive, nsl_law_var_positive); a sample where f is
 * 0 is a root, and each step where f changes sign between finite values
 * is refined by Brent's method (a step where |f| does not fall towards
 * the sign change, a pole, is no root).  Two roots within one step
 * (a factor 10^0.25) of each other, or a root where f touches the target
 * without crossing it, can be missed.
 *
 * Of several roots, the one nearest the range [lo, hi] (nsl-fit records
 * the range of each variable over the fitted points) is taken:
 *  - a range off zero prefers roots of its sign; among them, one inside
 *    the range, else the one nearest by ratio (log distance); without
 *    any, the root 0, then the root of the other sign nearest 0;
 *  - a range that holds 0 takes the root nearest by plain distance;
 *  - ties go to the smaller root.
 * With lo or hi NaN (no range), the smallest positive root is taken,
 * else 0, else the negative root nearest 0.
 * Returns 0, or -1 when the law never reaches the target (err says why,
 * NSL_EX_DATAERR; NSL_EX_SOFTWARE when out of memory).  Turns GSL's
 * abort-on-error handler off.
 */
int nsl_law_solve_near(const struct nsl_law *, const double *theta,
    const double *x, size_t k, double target, double lo, double hi,
    double *out, struct nsl_err *err);

/* nsl_law_solve_near() without a range. */
int nsl_law_solve(const struct nsl_law *, const double *theta,
    const double *x, size_t k, double target, double *out,
    struct nsl_err *err);

/* Append a one-line description (name, formula, variables, params). */
void nsl_law_describe(const struct nsl_law *, struct nsl_buf *);

#endif
