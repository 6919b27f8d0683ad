/*
 * nsl/compare.h - two fitted laws compared with their uncertainty:
 * nsl-compare's job (Cherti et al. 2023's comparison of scaling laws; the
 * "scaling law crossover").
 *
 * Two fit records A and B (nsl-fit --bootstrap) of one variable x and one
 * measured y give the difference D(x) = f_A(x) - f_B(x).  Its band comes
 * from the fits' bootstrap samples, paired by index (sample b of A with
 * sample b of B, over the fewer of the two): the fits are independent
 * draws, so a pair is one draw of D (fits made with one seed over the
 * same x resample the same points: paired draws, right when the series
 * share their runs).  Over the range [lo, hi] (default:
 * where both fits have data, the overlap of their "range"):
 *
 *  - the crossover: the smallest x where D changes sign (sampled at
 *    NSL_COMPARE_SCAN points spaced evenly in log x, each change refined
 *    by bisection), with the percentile interval of each pair's crossing
 *    nearest it (by ratio); pairs without a crossing in range are left
 *    out of the interval and p_crossover is the share that has one;
 *  - at a target x (--at): D there, its interval, and P(f_A < f_B), the
 *    share of pairs in which A is lower.
 *
 * Laws of several variables (chinchilla's N and D) compare along a path
 * of one variable t:
 *
 *  - fixed: every variable but one given (--fix D=1e10): t is the free
 *    variable, the range the overlap of its fitted ranges;
 *  - compute-optimal (--compute-optimal): t is the compute C = 6 N D and
 *    each law (each bootstrap sample too) is taken at its own
 *    compute-optimal split, f*(C) = min_N f(N, C/(6N)) (nsl_law_optimal_at;
 *    other variables, such as data-constrained's U, from --fix): the
 *    losses two recipes reach at equal compute.  The default range is the
 *    overlap of [6 N_lo D_lo, 6 N_hi D_hi] over the two fits.
 *
 * The summary then names the path: "fixed":{"D":1e10} and
 * "compute_optimal":true are there when they apply; "x" is the free
 * variable's name, or "C".
 *
 * Records (write/parse pairs below):
 *  summary: {"x":"n_train","y":"test_error","a":"a.json","b":"b.json",
 *    "range":[lo,hi],"B":200,"level":0.95,"crossings":1,
 *    "crossover":2900,"crossover_lo":2100,"crossover_hi":3900,
 *    "p_crossover":0.93,"at":32000,"delta_at":-0.01,"delta_at_lo":..,
 *    "delta_at_hi":..,"p_a_lower":0.97}
 *    ("crossover" and its interval null without one; the "at" members
 *    only with --at)
 *  grid point: {"n_train":1000,"a":0.26,"b":0.31,"delta":-0.05,
 *    "delta_lo":..,"delta_hi":..,"p_a_lower":0.99}
 *    (the variable's own name as the key, so that nsl-plot draws it)
 *
 * Ownership: the job borrows its strings; its fits are its own, freed by
 * nsl_compare_release().
 */
#ifndef NSL_COMPARE_H
#define NSL_COMPARE_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"
#include "nsl/json.h"
#include "nsl/laws.h"

struct nsl_writer;

#define NSL_COMPARE_SCAN 1024	/* sign changes are looked for here */

struct nsl_compare_sum {
	char *x, *y, *a, *b;
	double range[2];
	size_t B;		/* pairs */
	double level;
	size_t crossings;	/* of the point fits, in range */
	double cross, cross_lo, cross_hi, p_cross;
	int has_at;
	double at, d_at, d_lo, d_hi, p_lower;
	size_t nfix;		/* the path: fixed variables ... */
	char *fix_name[NSL_LAW_MAX_VARS];
	double fix_val[NSL_LAW_MAX_VARS];
	int optimal;		/* ... along compute at the optimal split */
};

struct nsl_compare_point {
	char *x;		/* the variable's name: the key */
	double xv, fa, fb, d, d_lo, d_hi, p_lower;
};

void nsl_compare_sum_init(struct nsl_compare_sum *);
void nsl_compare_sum_release(struct nsl_compare_sum *);
void nsl_compare_sum_write(const struct nsl_compare_sum *, struct nsl_buf *);
int nsl_compare_sum_parse(struct nsl_compare_sum *, const struct nsl_rec *,
    struct nsl_err *err);
/* The point's x is borrowed when writing; parse needs it set (the key). */
void nsl_compare_point_write(const struct nsl_compare_point *,
    struct nsl_buf *);
int nsl_compare_point_parse(struct nsl_compare_point *,
    const struct nsl_rec *, struct nsl_err *err);

struct nsl_compare_job {
	const char *a, *b;	/* the fit records' files (one record each) */
	double from, to;	/* NAN: the overlap of the fits' ranges */
	size_t grid;		/* 0: the summary; else grid points */
	int has_at;
	double at;
	double level;		/* NAN: A's */
	unsigned rec_flags;
	int optimal;		/* along C = kflops N D, optimal split */
	size_t nfix;		/* fixed variables (nsl_compare_fix) */
	char *fix_name[NSL_LAW_MAX_VARS];
	double fix_val[NSL_LAW_MAX_VARS];
	char msg[200];
	/* out */
	size_t free_var[2];	/* fixed path: the free variable of A, B */
	double xa[NSL_LAW_MAX_VARS], xb[NSL_LAW_MAX_VARS];
	struct nsl_fitrec fa, fb;
	struct nsl_compare_sum sum;
	struct nsl_compare_point *pts;
	size_t npts;
};

#define NSL_COMPARE_KFLOPS 6	/* C = 6 N D */

void nsl_compare_init(struct nsl_compare_job *);
/*
 * Add --fix NAME=V[,NAME=V...] to the job (names copied).  Returns
 * NULL, or a message without the option's name.
 */
const char *nsl_compare_fix(struct nsl_compare_job *, const char *arg);
void nsl_compare_release(struct nsl_compare_job *);
/* NULL, or a message naming the options that do not go together. */
const char *nsl_compare_check(const struct nsl_compare_job *);
/*
 * Read both fits and compare.  Errors (NSL_EX_DATAERR): a file without
 * exactly one fit record, fits of different variables or of different y,
 * a law of more than one variable without a path (or a path that leaves
 * other than one variable free), a fit without bootstrap samples, an
 * empty range.  Returns 0 or -1 with err.
 */
int nsl_compare_run(struct nsl_compare_job *, struct nsl_err *err);
/*
 * The comparison alone, of fits already in fa and fb (a and b name them
 * in the summary and in messages): what nsl_compare_run does after
 * reading, for a caller that fitted them itself.  The same errors, and
 * a fit without bootstrap samples.
 */
int nsl_compare_fits(struct nsl_compare_job *, struct nsl_err *err);
/* The summary, or the grid points with a grid. */
int nsl_compare_write(const struct nsl_compare_job *, struct nsl_writer *,
    struct nsl_err *err);

#endif
