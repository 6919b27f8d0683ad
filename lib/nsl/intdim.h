/*
 * nsl/intdim.h - the intrinsic dimension d of a record set's vectors, the
 * data-scaling exponent alpha = c/d it predicts, and the regime of a
 * measured data-scaling curve (variance-limited or resolution-limited, in
 * the sense of Bahri et al., "Explaining Neural Scaling Laws").
 *
 * Estimators form a catalogue (nsl_intdim_estimators[]): each row has a
 * name, a description, the number of nearest-neighbour distances it needs
 * and a function from those distances to an estimate with an interval.
 * Adding an estimator adds a row.  The distances are those of the exact
 * search of nsl/score.h (nsl_score_knn_neighbours), each row sorted.
 *
 * Invariants of a distance matrix handed to an estimator: n rows of
 * stride numbers, row i ascending, its first entry > 0 (duplicates have
 * been removed: see nsl_intdim_distinct), n > the neighbours it needs.
 *
 * Estimators (the man page nsl-intrinsic-dim(1) has the references):
 *
 *  twonn  Facco et al. 2017.  x_i = ln(r2/r1) is exponential with rate d
 *         for locally uniform data.  With c = floor(discard n) of the
 *         largest x_i censored (kept as "at least the m-th smallest",
 *         m = n - c), T = sum of the m smallest + c x_(m), d T is
 *         Gamma(m, 1): d = (m - 1)/T (unbiased), interval from the
 *         Gamma(m, 1) quantiles over T.  discard 0: d = (n - 1)/sum x_i.
 *  mle    Levina and Bickel 2004, with the correction of MacKay and
 *         Ghahramani (average the inverses): u_i = (1/(k-1)) sum_{j<k}
 *         ln(T_k/T_j), d = n / sum u_i = n (k-1) / U with U = (k-1) sum
 *         u_i; interval from Gamma(n (k-1), 1) quantiles over U.
 *
 * Both intervals treat the points' neighbourhoods as independent, which
 * they are not (neighbours share points): the true spread is wider, and
 * at large d the bias at finite n (see the estimates against n) is larger
 * than either.
 *
 * Ownership: every pointer argument is borrowed.  Functions that can
 * fail return 0 or -1 with err set; lib/ never prints or exits.
 */
#ifndef NSL_INTDIM_H
#define NSL_INTDIM_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/optim.h"

struct nsl_rec;
struct nsl_writer;

#define NSL_INTDIM_K 20		/* mle neighbours */
#define NSL_INTDIM_LEVEL 0.95
#define NSL_INTDIM_C 4.0	/* alpha = 4/d (Sharma and Kaplan) */

struct nsl_intdim_params {
	size_t k;		/* mle: neighbours, >= 2 */
	double discard;		/* twonn: fraction censored, [0, 1) */
	double level;		/* interval level, (0, 1) */
};

/* An estimate, as an estimator fills it. */
struct nsl_intdim_est {
	double d, lo, hi;	/* d and its interval at level */
	size_t used;		/* ratios in the estimate (twonn: m) */
	size_t censored;	/* twonn: ratios censored */
};

struct nsl_intdim_estimator {
	const char *name;	/* "twonn" */
	const char *description;
	/* nearest-neighbour distances needed per point */
	size_t (*neighbours)(const struct nsl_intdim_params *);
	int (*estimate)(const double *dist, size_t n, size_t stride,
	    const struct nsl_intdim_params *, struct nsl_intdim_est *,
	    struct nsl_err *err);
};

/* The catalogue, ended by a row whose name is NULL. */
extern const struct nsl_intdim_estimator nsl_intdim_estimators[];

/* The row of a name, or NULL. */
const struct nsl_intdim_estimator *nsl_intdim_estimator_find(
    const char *name);

/* NULL if the parameters are usable, else a message. */
const char *nsl_intdim_check(const struct nsl_intdim_params *);

/*
 * The distinct rows of x (n x d): keep[0..*nkeep) receives, in increasing
 * order, the index of the first row of every set of identical rows (equal
 * as numbers, so -0 equals 0).  Duplicates would give r1 = 0, ln(r2/r1) =
 * infinity and d = 0: a repeated point says nothing about the dimension
 * of the set it sits on, so the estimators see each point once.
 */
int nsl_intdim_distinct(const double *x, size_t n, size_t d, size_t *keep,
    size_t *nkeep, struct nsl_err *err);

/*
 * The k nearest distances of every row of x (n x d, rows distinct) into
 * dist (n x k), each row ascending.  Needs 1 <= k < n.
 */
int nsl_intdim_neighbours(const double *x, size_t n, size_t d, size_t k,
    double *dist, struct nsl_err *err);

/* ------------------------------------------------ the record of an estimate */

/*
 * One line per estimate (nsl-intrinsic-dim(1) documents it):
 *
 *	{"estimator":"twonn","by":{"label":3},"d":7.9,"interval":[7.7,8.1],
 *	 "level":0.95,"c":4,"alpha":0.506,"alpha_interval":[0.49,0.52],
 *	 "n":5000,"duplicates":0,"k":2,"discard":0,"censored":0,
 *	 "sample":0,"of":60000}
 *
 * "by" only for a group, "sample" and "of" only for subsamples.  alpha =
 * c/d and its interval [c/hi, c/lo].
 */
struct nsl_intdim_result {
	char estimator[32];
	const char *by_field;	/* borrowed, or NULL */
	const char *by_value;	/* raw JSON text, borrowed */
	double d, lo, hi, level;
	double c, alpha, alpha_lo, alpha_hi;
	size_t n, duplicates, k, censored;
	double discard;
	int has_sample;
	size_t sample, of;
};

void nsl_intdim_write(const struct nsl_intdim_result *, struct nsl_buf *);

/*
 * Read such a record back (by_field and by_value are left NULL).  Only
 * d, interval, alpha and alpha_interval are required; the rest default.
 * Returns 0 or -1 with err naming the field.
 */
int nsl_intdim_parse(struct nsl_intdim_result *, const struct nsl_rec *,
    struct nsl_err *err);

/*
 * The prediction of the first record of path (an estimate record of
 * nsl_intdim_write).  Returns 0, or -1 with err at the file and line.
 */
int nsl_intdim_read_prediction(const char *path,
    struct nsl_intdim_result *, struct nsl_err *err);

/* --------------------------------------------------------- nsl-intrinsic-dim */

enum nsl_intdim_dups { NSL_INTDIM_DROP, NSL_INTDIM_REFUSE };

struct nsl_intdim_job {
	const struct nsl_intdim_estimator *est[8];
	size_t nest;
	struct nsl_intdim_params p;
	double c;			/* alpha = c/d */
	const char *field;		/* "embedding" */
	const char *by;			/* group field, or NULL */
	const size_t *sizes;		/* subsample sizes, or NULL */
	size_t nsizes;
	size_t repeats;			/* subsamples of each size */
	uint64_t seed;
	enum nsl_intdim_dups dups;
};

/*
 * Read the vectors of paths[0..npaths) (none: standard input) and write
 * one record per group (the labels' order of nsl/dataset.h), subsample
 * and estimator to w.  Duplicates are dropped (or refused) per group,
 * before subsampling.  Subsample r of size s draws s of the group's
 * distinct points without replacement from random stream s * 65536 + r
 * of seed, so adding a size or a repeat leaves the other draws as they
 * were.  Returns 0 or -1 with err.
 */
int nsl_intdim_run(const struct nsl_intdim_job *, const char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_err *err);

/* ------------------------------------------------------------ the regime */

/*
 * The regime of a data-scaling curve.  The points of each group (sorted
 * by x) are split at the median of their distinct x values into a small
 * and a large half (an odd count puts the middle value in both); on each
 * half, and on the whole curve, power-offset y = E + A x^-a is fitted
 * (nsl_fit_group, bootstrap percentile interval of a).  A part is
 * "variance-limited" when a's interval reaches within the relative
 * tolerance of 1, "resolution-limited" when it reaches the predicted
 * interval widened by the tolerance, "either" when both, "neither"
 * when none.  A fourth fit, "predicted", fixes a at the predicted alpha
 * and fits E and A on the whole curve.
 */
struct nsl_regime_job {
	const char *x, *y;		/* fields */
	const char *by;			/* or NULL */
	double alpha, alpha_lo, alpha_hi;	/* the prediction */
	double tolerance;		/* relative */
	size_t bootstrap;		/* B >= 1 */
	double level;
	enum nsl_loss loss;
	uint64_t seed;
	unsigned rec_flags;
};

#define NSL_REGIME_TOLERANCE 0.1
#define NSL_REGIME_BOOTSTRAP 1000

/*
 * Read the curve from path, write one diagnostic record per group and
 * part (small, large, all) to w and, when fits is not NULL, the four fit
 * records of nsl-fit(1) per group (each with "part" first) to fits.
 * Returns 0 or -1 with err.
 */
int nsl_regime_run(const struct nsl_regime_job *, const char *path,
    struct nsl_writer *w, struct nsl_writer *fits, struct nsl_err *err);

/*
 * Command-line lists, parsed here so that every tool reads them alike.
 * Each returns NULL, or a message (static; the option's name is the
 * caller's to add, but for --alpha's, which names it).
 *
 * "twonn,mle": append the estimators to J->est.
 * "250,1000": append sizes (each an integer >= 3) to sizes[*n..max).
 * "A" or "A,LO,HI": the prediction alpha and its interval into R.
 */
const char *nsl_intdim_estimators_parse(struct nsl_intdim_job *J,
    const char *arg);
const char *nsl_intdim_sizes_parse(size_t *sizes, size_t max, size_t *n,
    const char *arg);
const char *nsl_regime_alpha_parse(struct nsl_regime_job *R,
    const char *arg);

#endif
