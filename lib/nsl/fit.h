/*
 * nsl/fit.h - fitting: one group (nsl_fit_group) and the whole job of
 * nsl-fit (nsl_fit_run): the laws to fit, their --fix and --param values
 * resolved per law, the points read once per law, every group fitted,
 * the fits ranked by AIC within each group (nsl_fit_write).
 *
 * Ownership: a job borrows its strings (the command line's); its laws and
 * results are its own, freed by nsl_fit_release().
 */
#ifndef NSL_FIT_H
#define NSL_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"
#include "nsl/laws.h"
#include "nsl/optim.h"
#include "nsl/points.h"

struct nsl_writer;

/* Everything nsl-fit does to one group. */
struct nsl_fit_opts {
	enum nsl_loss loss;
	double delta;
	struct nsl_optim_opts optim;	/* optim.start: report values or NULL */
	const unsigned char *fixed;	/* law->np flags or NULL */
	const double *fixval;		/* report-space values of fixed ones */
	size_t bootstrap;		/* B, 0 for none */
	const char *cluster;		/* cluster field or NULL */
	double level;
	uint64_t seed;
	const char *by;			/* --by field or NULL */
};

/*
 * Fit one group's kept, not held-out points; score the held-out ones;
 * bootstrap.  Fills out (initialised by the caller; it takes a new copy
 * of the law).  Identification warnings (a variable spanning less than a
 * decade, a degenerate or unconverged fit), one line each without the
 * program name, are appended to warn.  Returns 0, or -1 with err
 * (NSL_EX_DATAERR for fewer points than free parameters, or for a
 * parameter that is no finite number in report space: a record must
 * read back).
 */
int nsl_fit_group(const struct nsl_law *, const struct nsl_group *,
    const struct nsl_fit_opts *, struct nsl_fitrec *out,
    struct nsl_buf *warn, struct nsl_err *err);


#define NSL_FIT_MAX_LAWS 16
#define NSL_FIT_MAX_MIN 32

/* One fit of the job: a group's fit record. */
struct nsl_fit_result {
	struct nsl_fitrec rec;
	size_t group;
};

/*
 * What nsl-fit does.  The caller fills the options (names borrowed);
 * nsl_fit_check() and nsl_fit_run() fill the rest.
 */
struct nsl_fit_job {
	/* the laws: names, or one formula over pnames (start pstart) */
	const char *laws[NSL_FIT_MAX_LAWS];
	size_t nlaws;			/* 0: chinchilla */
	const char *formula;
	const char *pnames[NSL_LAW_MAX_PARAMS];	/* --param */
	double pstart[NSL_LAW_MAX_PARAMS];
	size_t np;
	const char *xs[NSL_LAW_MAX_VARS];	/* --x, or none */
	size_t nx;
	const char *y;			/* --y or NULL */
	int breaks;
	const char *fixn[NSL_LAW_MAX_PARAMS];	/* --fix NAME=VALUE */
	double fixv[NSL_LAW_MAX_PARAMS];
	size_t nfix;
	/* points: weight, by, cluster, min, holdout, drop-top, flags (its
	 * law and y are set per law) */
	struct nsl_points_opts po;
	struct nsl_cond min[NSL_FIT_MAX_MIN], holdout;
	const char *holdout_text;	/* --holdout as given, or NULL */
	struct nsl_fit_opts fo;		/* loss, optim, bootstrap, level... */
	char args[16384];		/* nsl_fit_arg's copies */
	size_t argsused;
	/* out */
	char msg[600];			/* nsl_fit_check's message */
	struct nsl_fit_result *res;
	size_t nres;
	struct nsl_buf warn;		/* fit warnings, one per line */
	struct nsl_buf notes;		/* --holdout warnings, one per line */
};

/* A job with the defaults (huber, delta, level 0.95, the design sizes). */
void nsl_fit_init(struct nsl_fit_job *);
void nsl_fit_release(struct nsl_fit_job *);

/* The list-valued options, parsed by nsl_fit_arg(). */
enum nsl_fit_arg {
	NSL_FIT_ARG_LAW = 1,	/* NAME,...: the laws (the last use wins) */
	NSL_FIT_ARG_X,		/* FIELD,...: the variables (the last wins) */
	NSL_FIT_ARG_PARAM,	/* P=V,...: the start (the last wins) */
	NSL_FIT_ARG_FIX,	/* P=V,...: fixed values (each use adds) */
	NSL_FIT_ARG_HOLDOUT,	/* FIELD OP V: the held-out points */
	NSL_FIT_ARG_MIN		/* FIELD=V: keep FIELD >= V (each adds) */
};

/*
 * Parse arg of option which into the job (arg is copied).  Returns NULL,
 * or a message without the option's name ("empty list", "'x' is not a
 * number", "expected NAME=VALUE, got 'E'").
 */
const char *nsl_fit_arg(struct nsl_fit_job *, enum nsl_fit_arg which,
    const char *arg);

/*
 * NULL, or a message naming the options that do not go together (or a
 * --x, --fix or --param that a law cannot take).  A law that cannot be
 * made (an unknown name, a formula that does not parse) is left to
 * nsl_fit_run(), which reports it in turn.
 */
const char *nsl_fit_check(struct nsl_fit_job *);

/*
 * After nsl_fit_check() has passed:
 * fit every law to every group of the records of in ("-": standard input,
 * read once and replayed for several laws).  Warnings go to warn (fit
 * health: the caller may silence them) and notes (a --holdout that holds
 * nothing out of a group).  Returns 0, or -1 with err (at file:line for
 * bad records; NSL_EX_USAGE for a law that cannot be made).
 */
int nsl_fit_run(struct nsl_fit_job *, const char *in, struct nsl_err *err);

/* Write the fit records, each group's laws best AIC first. */
int nsl_fit_write(struct nsl_fit_job *, struct nsl_writer *,
    struct nsl_err *err);

#endif
