/*
 * nsl/optimum.h - optima from profiles: nsl-optimum's job (Chinchilla's
 * approach 2; learning-rate and batch-size laws).
 *
 * The records are split into groups: by equal value of a numeric field
 * (--by, e.g. an IsoFLOP budget C or a model size N), by bins of width
 * W decades of a continuous field (--bin: bin i holds the values v with
 * round(log10(v) / W) == i, for budgets that are scattered around their
 * nominal values), by the nearest of given centres (--bin with
 * --centers: the nominal budgets; a value more than W decades from every
 * centre is left out, and counted in a note), or none (one profile).  Within each group the measured
 * y is fitted by least squares as a parabola in u = ln x,
 *
 *	y = c0 + c1 u + c2 u^2,
 *
 * and its vertex x* = exp(-c1 / (2 c2)), y* = c0 - c1^2 / (4 c2) is the
 * group's optimum.  A group has status "ok" when c2 > 0 and x* lies
 * strictly inside the sampled range of x, "edge" when the vertex falls on
 * or outside it, "concave" when c2 <= 0 (no minimum), "few" when it has
 * fewer than 4 distinct x (3 points fix a parabola exactly: no residual
 * is left for the bootstrap to measure).  The bootstrap resamples each group's points
 * (B times, with replacement, stream = group number of seed); a resample
 * without a minimum (c2 <= 0, or < 4 distinct x) gives no vertex and is
 * left out of the group's percentile interval ("valid" counts the rest).
 *
 * --by F1,F2 keys the groups by a pair of values (a learning-rate sweep
 * per model size N and data size D): the law is then x* = k g1^a g2^b,
 * ln x* = ln k + a ln g1 + b ln g2 by least squares over at least 3
 * groups whose (ln g1, ln g2) are not on one line (Predictable Scale's
 * and DeepSeek LLM's lr_opt(N, D)); the group record names both fields
 * ("N":..,"D":..,"group":"N,D") and the fit record is the formula law
 * "k*N^a*D^b" over both.
 *
 * With groups, the optima of the "ok" groups are fitted as a power law of
 * the group value g (the --by value; for a bin, the geometric mean of its
 * members' values; with centres, the centre): ln x* = ln k + a ln g by least squares, x* = k g^a.
 * Bootstrap replicate b refits the line to the b-th resample of every
 * "ok" group (those with a vertex; at least 2), so the interval of (k, a)
 * carries the groups' own uncertainty.  The result is a fit record
 * (nsl/fitrec.h) of the formula law "k*G^a" over the group field G, with
 * y named X_opt: nsl-extrapolate and nsl-plot read it as any fit.
 *
 * The group record (nsl_optrec_write/nsl_optrec_parse):
 *
 *	{"C":1e19,"x":"N","y":"loss","n":12,"status":"ok",
 *	 "N_opt":6.1e8,"N_opt_lo":5.2e8,"N_opt_hi":7e8,"loss_opt":2.9,
 *	 "parabola":[c0,c1,c2],"range":[xmin,xmax],"bin":[lo,hi],
 *	 "B":200,"valid":200,"level":0.95}
 *
 * "C" (the group field and g) is there only with groups, "bin" only with
 * --bin (the range of the members' values); "N_opt" and "loss_opt" are
 * null unless c2 > 0; the interval and "B", "valid", "level" only with a
 * bootstrap, of a profile with a minimum (ok or edge).  Field names
 * come from the job: X_opt, X_opt_lo, X_opt_hi, Y_opt.
 *
 * Ownership: the job borrows its strings; its groups and law are its own,
 * freed by nsl_optimum_release().
 */
#ifndef NSL_OPTIMUM_H
#define NSL_OPTIMUM_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"
#include "nsl/json.h"

struct nsl_writer;

enum nsl_optimum_status {
	NSL_OPTIMUM_OK,		/* a minimum inside the sampled range */
	NSL_OPTIMUM_EDGE,	/* the vertex on or beyond the range */
	NSL_OPTIMUM_CONCAVE,	/* c2 <= 0: no minimum */
	NSL_OPTIMUM_FEW		/* fewer than NSL_OPTIMUM_MIN_X distinct x */
};

#define NSL_OPTIMUM_MIN_X 4

/* "ok", "edge", "concave", "few"; parse returns -1 for another name. */
const char *nsl_optimum_status_name(enum nsl_optimum_status);
int nsl_optimum_status_parse(const char *);

/* One group's profile and its optimum (the group record). */
struct nsl_optrec {
	char *x, *y;		/* the fields of x and y */
	char *g;		/* the group field, or NULL: one profile */
	double gval;		/* its value (a bin: geometric mean) */
	char *g2;		/* --by F1,F2: the second field, or NULL */
	double gval2;		/* its value */
	int has_bin;
	double bin[2];		/* a bin: its members' lowest, highest */
	size_t n;
	enum nsl_optimum_status status;
	double coef[3];		/* c0, c1, c2 of y over u = ln x */
	double range[2];	/* x's lowest, highest */
	double xopt, yopt;	/* NAN unless c2 > 0 */
	size_t B, valid;	/* B == 0: no bootstrap */
	double lo, hi, level;
};

void nsl_optrec_init(struct nsl_optrec *);
void nsl_optrec_release(struct nsl_optrec *);
/* Append the record and a newline. */
void nsl_optrec_write(const struct nsl_optrec *, struct nsl_buf *);
/*
 * Read a group record; x and y name its fields (the record says them
 * too: "x" and "y" win when present).  Returns 0 or -1 with err naming
 * the field.
 */
int nsl_optrec_parse(struct nsl_optrec *, const struct nsl_rec *,
    struct nsl_err *err);

/*
 * Least squares parabola y = c0 + c1 u + c2 u^2 through n points
 * (u[i], y[i]) (u centred and scaled inside, for conditioning).  Returns
 * 0, or -1 when the points have fewer than NSL_OPTIMUM_MIN_X distinct u.
 */
int nsl_optimum_parabola(const double *u, const double *y, size_t n,
    double coef[3]);

#define NSL_OPTIMUM_WIDTH 0.1	/* --bin width, decades */
#define NSL_OPTIMUM_MAX_CENTERS 256


struct nsl_optimum_job {
	const char *x, *y;	/* required: x; y default "loss" */
	const char *by;		/* group by equal value, or NULL; "F1,F2":
				 * by the pair (check splits it) */
	const char *by2;	/* out of check: F2, or NULL */
	char byf[256];		/* F1 of a pair */
	const char *bin;	/* group by log bins, or NULL */
	double width;		/* bin width in decades */
	double centers[NSL_OPTIMUM_MAX_CENTERS];	/* --centers */
	size_t ncenters;
	size_t outside;		/* out: records far from every centre */
	size_t B;		/* resamples, 0 for none */
	double level;
	uint64_t seed;
	int skip;		/* groups not "ok" are notes, not errors */
	unsigned rec_flags;	/* NSL_REC_ALLOW_NONFINITE */
	/* out */
	char msg[300];		/* nsl_optimum_check's message */
	struct nsl_optrec *g;	/* ng groups, by increasing g */
	size_t ng;
	int has_law;
	struct nsl_fitrec law;	/* X_opt = k G^a over the "ok" groups */
	size_t nlaw;		/* groups in it */
	struct nsl_buf warn;	/* groups left out, one per line */
};

/* A job with the defaults (y "loss", width, level 0.95). */
void nsl_optimum_init(struct nsl_optimum_job *);
void nsl_optimum_release(struct nsl_optimum_job *);

/*
 * Parse --centers "C1,C2,..." (positive numbers) into the job.  Returns
 * NULL, or a message without the option's name.
 */
const char *nsl_optimum_centers(struct nsl_optimum_job *, const char *arg);

/*
 * NULL, or a message naming the options that do not go together.  It
 * splits --by F1,F2 into by and by2.
 */
const char *nsl_optimum_check(struct nsl_optimum_job *);

/*
 * Read the records of in ("-": standard input), fit every group, the
 * bootstrap and the law.  A group that is not "ok" is an error
 * (NSL_EX_DATAERR, naming the group and why) unless skip is set; then it
 * is written with its status, left out of the law, and noted in warn.
 * Fewer than 2 "ok" groups with grouping make no law (a note).  Returns
 * 0 or -1 with err (at file:line for a bad record).
 */
int nsl_optimum_run(struct nsl_optimum_job *, const char *in,
    struct nsl_err *err);

/* Write the group records, by increasing group value. */
int nsl_optimum_write(const struct nsl_optimum_job *, struct nsl_writer *,
    struct nsl_err *err);

#endif
