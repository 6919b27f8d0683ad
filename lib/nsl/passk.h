/*
 * nsl/passk.h - pass@k from per-sample results: the unbiased estimator
 * of Chen et al. 2021, averaged over problems with a bootstrap interval
 * (nsl-passk's job) and its output record's write/parse pair.
 *
 * A problem drawn n times, c of them correct, passes at k (k <= n
 * samples taken without replacement from the n) with probability
 * 1 - C(n-c, k)/C(n, k), computed as 1 - prod_{i=n-c+1..n} (1 - k/i):
 * no factorials, so no overflow, at any n.
 *
 * The input is either one record per sample (a problem field and a
 * correct field: true, false, 1 or 0) or, with counts, one record per
 * problem (n and c fields); records of one problem add up.  With a by
 * field, each of its values is a group of its own, reported in
 * nsl/labels.h's order.  Problems are ordered by their key (labels.h),
 * so the bootstrap draws the same problems for the same seed whatever
 * the order of the records.
 *
 * Output, one record per group and k, in the order of the k list:
 *	{"BY":VALUE,"k":10,"pass_at_k":0.61,"pass_at_k_lo":0.55,
 *	 "pass_at_k_hi":0.67,"problems":164,"samples":32800}
 * (BY only with a by field, _lo and _hi only with bootstrap samples).
 *
 * Ownership: the job owns its k list (nsl_passk_release); it borrows
 * its strings.
 */
#ifndef NSL_PASSK_H
#define NSL_PASSK_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"

struct nsl_rec;

#define NSL_PASSK_B 1000	/* default bootstrap resamples */
#define NSL_PASSK_LEVEL 0.95	/* default interval level */

/* The unbiased pass@k of one problem: 0 <= c <= n, 1 <= k <= n. */
double nsl_passk(long n, long c, long k);

struct nsl_passk_job {
	const char *problem;	/* per-sample mode: the problem's field */
	const char *correct;	/* ... and the result's */
	int counts;		/* records are problems: nfield, cfield */
	const char *nfield, *cfield;
	const char *by;		/* group field, or NULL */
	long *k;		/* the k list, in order */
	size_t nk;
	size_t B;		/* bootstrap resamples of problems; 0: none */
	double level;
	uint64_t seed;
	unsigned rec_flags;
};

/* One output record. */
struct nsl_passk_result {
	const char *by;		/* the group's field, or NULL */
	const char *by_key;	/* its value as JSON text (labels.h key) */
	long k;
	double pass, lo, hi;	/* lo, hi NaN without bootstrap */
	size_t problems;
	unsigned long long samples;
};

/* The defaults: problem, correct, n, c, k = 1, B, level, seed 0. */
int nsl_passk_init(struct nsl_passk_job *, struct nsl_err *err);
void nsl_passk_release(struct nsl_passk_job *);

/*
 * Set the k list from text "1,10,100" (positive integers, no repeats).
 * Returns NULL or a message naming what is wrong.
 */
const char *nsl_passk_set_k(struct nsl_passk_job *, const char *list);

/* NULL, or a message naming the parameter that is wrong. */
const char *nsl_passk_check(const struct nsl_passk_job *);

/*
 * Read in ("-": standard input), write the results to output (NULL:
 * standard output; atomic).  Returns 0, or -1 with err: at file:line for
 * a bad record; a problem with fewer samples than a k, or c > n, names
 * the problem (NSL_EX_DATAERR); no record at all is an error too.
 */
int nsl_passk_run(const struct nsl_passk_job *, const char *in,
    const char *output, struct nsl_err *err);

/* Append result r as a record and a newline. */
void nsl_passk_write(const struct nsl_passk_result *, struct nsl_buf *);

/*
 * Read a result record back (by, by_key stay NULL: the record's other
 * fields are the caller's).  Returns 0, or -1 with err naming a missing
 * or mistyped field.
 */
int nsl_passk_parse(const struct nsl_rec *, struct nsl_passk_result *,
    struct nsl_err *err);

#endif
