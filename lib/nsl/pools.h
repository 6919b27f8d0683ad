/*
 * nsl/pools.h - which pool, or which union of pools (score-quantile
 * buckets), gives the lowest error for a budget of samples seen, under
 * the data-filter law (Goyal et al. 2024): nsl-pools' job.
 *
 * Inputs: data-filter fit records (nsl-fit --law data-filter --by
 * FIELD), one per pool, and a pool table: one record per pool carrying
 * the fits' "by" field and the pool's size (the law's second variable,
 * "P" by default), in rank order (best bucket first).  Each query
 * record carries a budget (the law's first variable, "n").  A union of
 * pools is one pool of the summed size whose epoch-k utility is the
 * mean of its pools' (nsl_law_filter_mix); the candidates are every
 * nonempty union (NSL_POOLS_ALL, at most NSL_POOLS_MAX_ALL pools), the
 * top-k prefixes of the table (NSL_POOLS_PREFIX: prune to a quantile)
 * or each pool alone (NSL_POOLS_SINGLE).  The answer is the candidate
 * with the lowest predicted y; ties go to the first in enumeration
 * order (unions by the bit mask of table positions, increasing;
 * prefixes and singles in table order).
 *
 * Output record (nsl_pools_write/nsl_pools_parse): the query with
 *	"pools":[LABEL,...],"P":SIZE,"pred":Y
 * added (or replaced); LABEL is the pool's "by" value as the table
 * wrote it.  With all, one record per candidate and query.
 *
 * Ownership: the job borrows its strings; its fits and table are its
 * own, freed by nsl_pools_release().
 */
#ifndef NSL_POOLS_H
#define NSL_POOLS_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"

struct nsl_rec;

#define NSL_POOLS_MAX_ALL 20	/* 2^20 unions a budget */

enum nsl_pools_unions {
	NSL_POOLS_ALL,
	NSL_POOLS_PREFIX,
	NSL_POOLS_SINGLE
};

/* "all", "prefix", "single": enum nsl_pools_unions order, NULL-ended */
extern const char *const nsl_pools_union_names[];

struct nsl_pools_job {
	const char *fit;	/* data-filter fit records (required) */
	const char *table;	/* the pool table (required) */
	int unions;		/* enum nsl_pools_unions */
	int all;		/* write every candidate, not the best */
	unsigned rec_flags;	/* NSL_REC_ALLOW_NONFINITE */
	/* out */
	struct nsl_fitrec *f;
	size_t nf;
	size_t m;		/* pools in the table */
	double (*p)[4];		/* their (a, b, tau, d) */
	double *size;
	char **label;		/* their "by" value, JSON text */
	size_t *fit_of;		/* their fit's index in f */
	size_t nqueries;
};

/* One candidate's answer to a query. */
struct nsl_pools_answer {
	size_t npools;
	const char *const *labels;	/* write: borrowed JSON texts */
	char **owned;			/* parse: new JSON texts */
	double P, pred;
};

void nsl_pools_init(struct nsl_pools_job *);
void nsl_pools_release(struct nsl_pools_job *);
/* NULL, or a message naming the option at fault. */
const char *nsl_pools_check(const struct nsl_pools_job *);

/*
 * Read the fits and the table, then answer each query of in ("-":
 * stdin) into output.  Returns 0, or -1 with err at FILE:LINE.
 */
int nsl_pools_run(struct nsl_pools_job *, const char *in, const char *output,
    struct nsl_err *err);

/* The query rec with the answer's fields, and a newline, appended to b. */
void nsl_pools_write(const struct nsl_rec *rec,
    const struct nsl_pools_answer *, struct nsl_buf *b);
/* Read an output record's answer (free a->owned with
 * nsl_pools_answer_release).  Returns 0, or -1 with err. */
int nsl_pools_parse(const struct nsl_rec *, struct nsl_pools_answer *,
    struct nsl_err *err);
void nsl_pools_answer_release(struct nsl_pools_answer *);

#endif
