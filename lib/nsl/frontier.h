/*
 * nsl/frontier.h - the pruning frontier as a tested law: nsl-frontier's
 * job (Sorscher et al. 2022, "Beyond neural scaling laws", Fig. 1).
 *
 * A pruning study's runs are records with the examples kept x (e.g.
 * n_train), the error y (e.g. test_error) and the keep fraction f (1: no
 * pruning), plus anything else (pool size, strategy, seed).  The runs
 * are grouped by equal value of a numeric group field (default x: the
 * frontier at each number of kept examples, the envelope of the curves
 * of every keep fraction; or the pool size), and in each group the run
 * with the lowest y is the frontier point (on a tie, the larger f: the
 * pruning did not win).  Every strategy and fraction competes, the
 * unpruned runs (f == 1) included, so the frontier is never above them
 * where they were measured.
 *
 * On the frontier points (x, y) each law of the job is fitted with
 * nsl_fit_group (nsl/fit.h), the `holdout` largest x held out and B
 * bootstrap samples; power-offset is also fitted to the unpruned runs
 * (the baseline law).  A law with too few points for its parameters is
 * skipped (its held-out error null).  The best frontier law is the one
 * with the lowest held-out rmsle, a later law in the list winning only
 * when it is lower by more than NSL_FRONTIER_TIE (a share: one held-out
 * point cannot tell closer laws apart); without held-out points, the
 * lowest AIC.  It is compared with the baseline by nsl_compare_fits (nsl/
 * compare.h): at the largest frontier x, D = f_frontier - f_unpruned with
 * its interval and P(frontier lower), and the first crossover over the
 * fitted range.  The verdict:
 *
 *	none           P(frontier lower) < level: pruning does not beat
 *	               the unpruned power law here
 *	exponential    it does, and exp-offset is the best law
 *	broken-power   it does, and bnsl is the best law
 *	steeper-power  it does, with a power law whose exponent's interval
 *	               lies above the baseline exponent's (both power-offset
 *	               fits free of degeneracies, nsl/fitrec.h)
 *	lower          it does, by a constant factor or offset (the
 *	               exponents' intervals overlap)
 *
 * How the best keep fraction f* moves with x: the least squares slope of
 * ln f* against ln x over the frontier points ("best_f_slope"; negative:
 * f* shrinks as the data grow, Sorscher's prediction).
 *
 * Records (write/parse pairs below):
 *  summary: {"x":"n_train","y":"test_error","group":"n_train",
 *    "fraction":"f","points":6,"unpruned":6,
 *    "holdout_rmsle":{"power-offset":0.1,"exp-offset":0.02,"bnsl":null},
 *    "best_law":"exp-offset","a_frontier":0.9,"a_frontier_lo":..,
 *    "a_frontier_hi":..,"a_unpruned":0.5,"a_unpruned_lo":..,
 *    "a_unpruned_hi":..,"at":32000,"delta_at":-0.01,"delta_lo":..,
 *    "delta_hi":..,"p_frontier_lower":0.99,"crossover":1200,
 *    "crossover_lo":..,"crossover_hi":..,"best_f":[[1000,1],[2000,0.5]],
 *    "best_f_slope":-0.4,"beats":true,"verdict":"exponential",
 *    "B":200,"level":0.95,"seed":0}
 *    (a number that could not be had is null: an exponent without a
 *    power-offset fit, a crossover the fits never reach)
 *  point: the winning run's record as it came, plus "frontier_runs": the
 *    number of runs that competed at its group value.
 *  fits: fit records (nsl/fitrec.h) with "by":{"series":"frontier"} or
 *    {"series":"unpruned"}, for nsl-plot --fit and nsl-extrapolate.
 *
 * Ownership: the job borrows its strings; its points and fits are its
 * own, freed by nsl_frontier_release().
 */
#ifndef NSL_FRONTIER_H
#define NSL_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"
#include "nsl/json.h"
#include "nsl/optim.h"

struct nsl_writer;

#define NSL_FRONTIER_MAX_LAWS 8
#define NSL_FRONTIER_B 200		/* bootstrap samples */
#define NSL_FRONTIER_LAWS "power-offset,exp-offset,bnsl"
#define NSL_FRONTIER_TIE 0.05		/* held-out errors within 5%: a tie */

/* One frontier point: the best run at one group value. */
struct nsl_frontier_point {
	double g, x, y, f;
	size_t runs;		/* runs at this group value */
	char *line;		/* the winning record's text */
	size_t len;
};

struct nsl_frontier_sum {
	char *x, *y, *group, *fraction;
	size_t points, unpruned;
	size_t nlaws;
	char *laws[NSL_FRONTIER_MAX_LAWS];
	double rmsle[NSL_FRONTIER_MAX_LAWS];	/* held out; NAN: none */
	char *best_law;
	double a_fr, a_fr_lo, a_fr_hi, a_un, a_un_lo, a_un_hi;
	double at, d_at, d_lo, d_hi, p_lower;
	double cross, cross_lo, cross_hi;
	size_t nbest;
	double *best_x, *best_f;	/* the frontier's (x, f*) */
	double f_slope;
	int beats;
	char *verdict;
	size_t B;
	double level;
	uint64_t seed;
};

void nsl_frontier_sum_init(struct nsl_frontier_sum *);
void nsl_frontier_sum_release(struct nsl_frontier_sum *);
/* Append the record and a newline. */
void nsl_frontier_sum_write(const struct nsl_frontier_sum *,
    struct nsl_buf *);
/* Read a summary record.  Returns 0 or -1 with err naming the field. */
int nsl_frontier_sum_parse(struct nsl_frontier_sum *, const struct nsl_rec *,
    struct nsl_err *err);

/* Append a point record (the run's text with "frontier_runs") and a
 * newline. */
void nsl_frontier_point_write(const struct nsl_frontier_point *,
    struct nsl_buf *);
/*
 * Read a point record: x, y and f from the fields of those names,
 * "frontier_runs" into runs (line stays NULL).  Returns 0 or -1 with err.
 */
int nsl_frontier_point_parse(struct nsl_frontier_point *,
    const struct nsl_rec *, const char *x, const char *y, const char *f,
    struct nsl_err *err);

struct nsl_frontier_job {
	const char *x, *y;	/* default "n_train", "test_error" */
	const char *group;	/* NULL: x */
	const char *fraction;	/* default "f" */
	const char *laws;	/* comma list, default NSL_FRONTIER_LAWS */
	size_t holdout;		/* largest points held out, default 1 */
	size_t B;		/* default NSL_FRONTIER_B, at least 2 */
	double level;
	uint64_t seed;
	enum nsl_loss loss;	/* default log-ls */
	unsigned rec_flags;
	/* out */
	char msg[300];		/* nsl_frontier_check's message */
	struct nsl_frontier_point *pts;	/* by increasing group value */
	size_t npts;
	struct nsl_fitrec fits[NSL_FRONTIER_MAX_LAWS + 1];	/* last:
				 * the baseline */
	int fitted[NSL_FRONTIER_MAX_LAWS + 1];
	struct nsl_frontier_sum sum;
	struct nsl_buf warn;	/* skipped laws, fit warnings */
};

void nsl_frontier_init(struct nsl_frontier_job *);
void nsl_frontier_release(struct nsl_frontier_job *);
/* NULL, or a message naming the option that is wrong. */
const char *nsl_frontier_check(struct nsl_frontier_job *);
/*
 * Read the runs of in ("-": standard input), take the frontier, fit,
 * compare and judge.  Errors (NSL_EX_DATAERR): a record without the
 * fields or with x <= 0, y < 0 or f outside (0, 1]; fewer than 3
 * frontier points or unpruned x values beyond the held-out ones; no law
 * that can be fitted.  Returns 0 or -1 with err.
 */
int nsl_frontier_run(struct nsl_frontier_job *, const char *in,
    struct nsl_err *err);

int nsl_frontier_write_sum(const struct nsl_frontier_job *,
    struct nsl_writer *, struct nsl_err *err);
int nsl_frontier_write_points(const struct nsl_frontier_job *,
    struct nsl_writer *, struct nsl_err *err);
int nsl_frontier_write_fits(const struct nsl_frontier_job *,
    struct nsl_writer *, struct nsl_err *err);

#endif
