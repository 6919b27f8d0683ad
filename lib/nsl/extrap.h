/*
 * nsl/extrap.h - extrapolation from fit records: nsl-extrapolate's job.
 *
 * The fit records of a file (nsl/fitrec.h) answer query records, each by
 * the record's own fit (the only one, or the one whose "by" value the
 * query carries, equal as nsl/group.h compares values): a prediction
 * of y at the query's variables, the value of one variable that reaches
 * a target y, or the compute-optimal allocation at the query's compute
 * (for any law of N and D, its other variables, such as
 * data-constrained's unique tokens U, from the query; with U, the
 * epochs D_opt/U too), or the best split of a float's bits between
 * exponent and mantissa (a law with variables E and M, as fp-quant: the
 * query's bits P = 1 + E + M, every split tried, the lowest predicted y
 * kept; with a variable D, also D_crit, the D of least y at that split,
 * past which more data raises it).  A fit with bootstrap samples
 * adds the interval of each answer (_lo, _hi) at the job's level.  A law
 * whose working variables come from a whole curve (lr-anneal) reads the
 * queries as one curve, in order.  With score, each query's measured y
 * gives its relative error, and the job sums the ARE, RMSLE and maximum
 * relative error over the queries.
 *
 * The output record is the query with the answer's fields added (or
 * replaced): nsl_extrap_write() and nsl_extrap_parse() are its pair.
 *
 * Ownership: the job borrows its strings; its fits are its own, freed by
 * nsl_extrap_release().
 */
#ifndef NSL_EXTRAP_H
#define NSL_EXTRAP_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"

struct nsl_rec;

#define NSL_EXTRAP_KFLOPS 6	/* compute C = 6 N D */

struct nsl_extrap_job {
	const char *fit;	/* the fit records' file (required) */
	double level;		/* NAN: each fit's own */
	const char *pred;	/* the prediction's field */
	int score;		/* queries carry y: add rel_error, sum */
	const char *solve;	/* a variable to solve for, or NULL */
	double target;		/* ... to reach this y */
	int has_target;
	int optimal;		/* compute-optimal allocation */
	const char *cfield;	/* its compute field */
	int split;		/* best exponent/mantissa split */
	const char *bits_field;	/* its bit width field (1 + E + M) */
	double kflops;		/* C = kflops N D */
	unsigned rec_flags;	/* NSL_REC_ALLOW_NONFINITE */
	/* out */
	struct nsl_fitrec *f;
	size_t nf;
	size_t nscore;
	double sum_are, sum_sle, max_rel;
};

/* The answer to one query: the fields added to it. */
struct nsl_extrap_answer {
	int kind;		/* 0 prediction, 1 solve, 2 compute-optimal,
				 * 3 best split */
	const char *name;	/* field of a prediction or solve */
	double v[4][3];		/* rows (N, D, L, epochs for optimal; E,
				 * M, L, D_crit for a split) of value, lo,
				 * hi (a split's E, M and D_crit: value) */
	size_t nopt;		/* optimal: rows written, 3, or 4 with a
				 * unique-token budget U (epochs = D/U);
				 * split: 3, or 4 with D_crit */
	int has_interval;	/* lo and hi are written */
	int has_rel;		/* score: rel_error */
	double rel;
};

/* A job with the defaults (pred, C, 6, bits, the fit's level). */
void nsl_extrap_init(struct nsl_extrap_job *);
void nsl_extrap_release(struct nsl_extrap_job *);

/* NULL, or a message naming the options that do not go together. */
const char *nsl_extrap_check(const struct nsl_extrap_job *);

/*
 * Read the fits, then answer every query of in ("-": standard input)
 * into output (NULL: standard output; written atomically, committed at
 * the end).  Returns 0, or -1 with err: at file:line for a bad fit
 * record or query; NSL_EX_USAGE (no place) when --solve names no
 * variable of a query's fit.
 */
int nsl_extrap_run(struct nsl_extrap_job *, const char *in,
    const char *output, struct nsl_err *err);

/* The score line: "score: n=.. are=.. rmsle=.. max_rel_error=..". */
void nsl_extrap_summary(const struct nsl_extrap_job *, struct nsl_buf *);

/* Append the query rec with answer a's fields, and a newline. */
void nsl_extrap_write(const struct nsl_rec *, const struct nsl_extrap_answer *,
    struct nsl_buf *);

/*
 * Read answer a's values back from an output record (its fields named as
 * a->kind and a->name say; a missing _lo/_hi is NaN).  Returns 0, or -1
 * with err naming a missing field.
 */
int nsl_extrap_parse(const struct nsl_rec *, struct nsl_extrap_answer *,
    struct nsl_err *err);

#endif
