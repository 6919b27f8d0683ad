/*
 * nsl/points.h - measurement records in, groups of points out: what a
 * fit reads.
 *
 * nsl_points_read() reads measurement records into groups (one per
 * distinct value of the --by field, in order of first appearance, as
 * nsl/group.h groups them: 2 and 2.0 are one group, "a" and "\u0061"
 * too; objects and arrays are errors), taking the law's variables, the
 * measured y and an optional weight from each record, and remembering
 * per point whether it passes the --min filters, whether it is held out,
 * and its cluster (numbered the same way).  After reading,
 * nsl_points_finish() derives the law's working variables per group
 * (nsl_law_prepare), drops the --drop-top K highest-y points and the
 * points that fail --min, and checks every value a log is taken of.
 *
 * Ownership: struct nsl_points owns its groups; the options (and the law
 * and strings they point to) are borrowed.
 */
#ifndef NSL_POINTS_H
#define NSL_POINTS_H

#include <stddef.h>

#include "nsl/err.h"
#include "nsl/group.h"
#include "nsl/laws.h"
#include "nsl/optim.h"

struct nsl_reader;

enum nsl_cmp { NSL_CMP_GE, NSL_CMP_GT, NSL_CMP_LE, NSL_CMP_LT, NSL_CMP_EQ };

/* "FIELD>=VALUE" (>=, >, <=, <, ==, =): a test on one numeric field. */
struct nsl_cond {
	char field[128];
	enum nsl_cmp op;
	double value;
};

/* Parse "FIELD OP VALUE"; with defop >= 0 and no operator, "FIELD=VALUE"
 * means FIELD defop VALUE.  Returns 0 or -1 with err (NSL_EX_USAGE). */
int nsl_cond_parse(struct nsl_cond *, const char *text, int defop,
    struct nsl_err *err);
int nsl_cond_test(const struct nsl_cond *, double v);

struct nsl_group {
	char *key;		/* the --by value's key (labels.h), or NULL */
	size_t n, cap;
	double *x;		/* n rows of nvars */
	double *y;
	double *w;		/* NULL unless a weight field was given */
	unsigned char *keep;	/* passes --min */
	unsigned char *held;	/* held out */
	double *hval;		/* --holdout-largest field value */
	size_t nmatch;		/* kept points that pass --holdout */
	size_t *cluster;	/* cluster id per point (NULL: none) */
	size_t ncluster;
	unsigned long *line;	/* input line per point */
	const char *file;	/* borrowed */
};

struct nsl_points_opts {
	const struct nsl_law *law;
	const char *y;			/* y field */
	const char *weight;		/* or NULL */
	const char *by;			/* or NULL */
	const char *cluster;		/* or NULL */
	const struct nsl_cond *min;	/* --min filters */
	size_t nmin;
	const struct nsl_cond *holdout;	/* or NULL */
	const char *holdout_largest;	/* or NULL */
	size_t drop_top;
	unsigned rec_flags;		/* NSL_REC_ALLOW_NONFINITE */
};

struct nsl_points {
	struct nsl_points_opts o;
	struct nsl_group *g;
	size_t ng, cap;
	struct nsl_groupby groups;	/* by o.by */
	struct nsl_groupby clusters;	/* by o.cluster */
};

void nsl_points_init(struct nsl_points *, const struct nsl_points_opts *);
void nsl_points_release(struct nsl_points *);
/* Read every record of r.  Returns 0, or -1 with err at file:line. */
int nsl_points_read(struct nsl_points *, struct nsl_reader *,
    struct nsl_err *err);
/*
 * Prepare, filter and check each group (see above); afterwards every
 * group's points 0..n) are the kept ones.  Returns 0 or -1 with err.
 */
int nsl_points_finish(struct nsl_points *, enum nsl_loss loss,
    struct nsl_err *err);

#endif
