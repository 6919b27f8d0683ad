/*
 * nsl/fitrec.h - the fit record: its write/parse pair and what a record
 * answers (intervals, predictions, inversions, compute-optimal).
 *
 * The fit record is one JSON object per fit, documented in nsl-fit(1):
 *
 *	{"law":"chinchilla","formula":"...","x":["N","D"],"y":"loss",
 *	 "by":{"FIELD":VALUE},"params":{"A":482.0,...},"fixed":["E"],
 *	 "intervals":{"A":[lo,hi],...},"level":0.95,"loss":"huber",
 *	 "delta":0.001,"objective":0.00101,"converged":true,
 *	 "degenerate":[{"reason":"bound","params":["A"]},...],
 *	 "nested":{"law":"chinchilla-tied","objective":0.00102},
 *	 "n":240,"k":5,"aic":..,"bic":..,"rmsle":..,"are":..,"max_rel_error":..,
 *	 "holdout":{"n":..,"are":..,"rmsle":..,"max_rel_error":..},
 *	 "seed":0,"breaks":1,"range":{"N":[lo,hi],"D":[lo,hi]},
 *	 "bootstrap":{"B":4000,"cluster":"run","samples":[[A,B,E,..],...]}}
 *
 * Parameters, intervals and bootstrap samples are in report space; a
 * sample value that is no finite double there (exp of a large log) is
 * written null, read back as NaN and left out of intervals.
 * "converged" is the stationarity test of nsl/optim.h; "degenerate" lists
 * the degeneracies the fit could not leave (reasons "bound", "range",
 * "flat", see nsl_optim_degenerate); "nested" is the fit of the law's
 * nested law that seeded this one (this objective is never above it).
 * "range" is each variable's range over the fitted points (the law's
 * working variables), which nsl_fitrec_solve() uses to choose among
 * several roots.  "by", "fixed", "degenerate", "nested", "intervals",
 * "holdout", "breaks", "range" and "bootstrap" are present only when they
 * apply.  nsl_fitrec_parse() reads such a record back (unknown members
 * are ignored, so users may add their own), "by" included: by_field is
 * its member's name and by_value that value's key, so that a query's
 * group is matched by equal value (nsl/labels.h).
 *
 * Ownership: a struct nsl_fitrec owns its law, samples and strings;
 * release with nsl_fitrec_release().
 */
#ifndef NSL_FITREC_H
#define NSL_FITREC_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/optim.h"

struct nsl_reader;

struct nsl_fitrec {
	struct nsl_law *law;
	double theta[NSL_LAW_MAX_PARAMS];	/* fit space */
	unsigned char fixed[NSL_LAW_MAX_PARAMS];
	char *by_field;				/* decoded name */
	char *by_value;				/* its key (labels.h) */
	enum nsl_loss loss;
	double delta, objective, aic, bic, level;
	int converged;
	size_t ndegen;
	struct nsl_degen degen[NSL_OPTIM_MAX_DEGEN];
	double nested_objective;		/* NAN: no nested fit */
	size_t n, k;
	struct nsl_scores fit;
	int has_holdout;
	struct nsl_scores holdout;
	uint64_t seed;
	int has_range;
	double range[NSL_LAW_MAX_VARS][2];	/* lo, hi over the fit */
	size_t B;
	double *samples;			/* B rows of np, fit space */
	char *cluster;
};

void nsl_fitrec_init(struct nsl_fitrec *);
void nsl_fitrec_release(struct nsl_fitrec *);
/* Append the record and a newline. */
void nsl_fitrec_write(const struct nsl_fitrec *, struct nsl_buf *,
    enum nsl_num_style);
/* Read a fit record.  Returns 0 or -1 with err naming the field. */
int nsl_fitrec_parse(struct nsl_fitrec *, const struct nsl_rec *,
    struct nsl_err *err);
/*
 * Every fit record of the file path, appended to *fits (*n of them; the
 * caller releases each and frees the array).  check, if not NULL, is
 * asked of each fit after the first with the first (and of the first
 * with itself): a message in err and -1 stops the read.  Errors name the
 * file and line; a file with no record is an error.
 */
int nsl_fitrec_read_all(const char *path, unsigned rec_flags,
    struct nsl_fitrec **fits, size_t *n,
    int (*check)(const struct nsl_fitrec *f, const struct nsl_fitrec *first,
    void *arg, struct nsl_err *err), void *arg, struct nsl_err *err);
/* Percentile interval of bootstrap column k at level (two-sided). */
void nsl_fitrec_interval(const struct nsl_fitrec *, size_t k, double level,
    double *lo, double *hi);

/*
 * Predictions from a fit record.  Each gives the point value at the fitted
 * parameters and, when the record has bootstrap samples, the two-sided
 * percentile interval at level over the samples (else lo = hi = NaN).
 *
 * predict: y at x (the law's working variables).
 * solve: the value of variable k that gives y = target: the root nearest
 *   the variable's fitted range (the record's "range"; without one, the
 *   rule of nsl_law_solve), see nsl_law_solve_near; for each bootstrap
 *   sample, its root nearest the fit's own.  Samples that never reach
 *   the target are left out of the interval.  Returns -1 with err if the
 *   fit itself never reaches it.
 * optimal_at: the compute-optimal N, D = C/(k N) and the loss there
 *   (nsl_law_optimal_at: chinchilla's closed form, any other law of N
 *   and D numerically, its other variables from x); out[3][3] rows N, D,
 *   L of {value, lo, hi}, each bootstrap sample's optimum searched near
 *   the fit's (samples without one are left out).  Returns -1 with err
 *   for a law without N and D, or without an optimum at C.
 * optimal: optimal_at without other variables.
 */
void nsl_fitrec_predict(const struct nsl_fitrec *, const double *x,
    double level, double *y, double *lo, double *hi);
int nsl_fitrec_solve(const struct nsl_fitrec *, const double *x, size_t k,
    double target, double level, double out[3], struct nsl_err *err);
int nsl_fitrec_optimal_at(const struct nsl_fitrec *, const double *x,
    double C, double k, double level, double out[3][3], struct nsl_err *err);
int nsl_fitrec_optimal(const struct nsl_fitrec *, double C, double k,
    double level, double out[3][3], struct nsl_err *err);

#endif
