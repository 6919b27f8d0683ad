/*
 * nsl/fit_search.h - the law search of nsl-fit --search: a grammar of
 * candidate laws over the record's variables, enumerated by complexity,
 * each fitted (lib/optim.c) and ranked by how well it extrapolates.
 *
 * The grammar.  Over the variables x_1..x_m (--x) and the atoms built
 * from them (each x_i; each product x_i*x_j and ratio x_i/x_j, i != j),
 * a candidate is an optional offset E plus terms:
 *
 *	power   A*u^-a                       (u an atom)
 *	log     A*log(x)
 *	quad    B*log(x) + C*log(x)^2        (an optimum in log x)
 *	exp     A*exp(-r*x)                  (saturating)
 *	break   A*x^-a*(1+(x/d)^(1/f))^(-c*f)   (BNSL, one break)
 *	product A*x_i^-a_i*x_j^-b_j*...      (multiplicative)
 *
 * in these families, each over every subset they allow (family names as
 * in the report): "power" (E + power terms over a subset of the
 * variables, with and without E), "composite" (one product or ratio
 * atom's power term plus power terms over a subset of the variables,
 * with and without E), "log" (E + log terms over a subset), "quad" (E +
 * a quad term in one variable + power terms over a subset of the
 * others), "exp" (E + an exp term in one variable + power terms over a
 * subset of the others), "bnsl" (E + a break term in one variable),
 * "product" (one product term over two or more variables, with and
 * without E, or over one without E: the pure power law), and "catalogue"
 * (the named laws of nsl/laws.h whose variables all are among --x by
 * name, curve laws excepted).  A candidate whose terms take a power or
 * a logarithm of an atom that is not positive on every point is left
 * out, and so is one with more than max_params parameters.  Candidates
 * are tried in order of their number of parameters, then of the
 * families above, then of the subsets (by size, then lexicographic).
 * The formula of a candidate names its parameters E, A1, a1, B1, C1,
 * r1, d1, f1, c1, a1_2 ... by term number; a candidate one of whose
 * names is also a variable's cannot be made: it is counted, and ranks
 * last.
 *
 * The ranking (rolling origin).  The levels of a field of --extrapolate-
 * along are its distinct values over the points not held out, largest
 * first; a point's rank is its smallest level number over those fields.
 * Fold f (1..folds) fits each candidate to the points of rank above f
 * (below the f-th largest level along every field) and scores it on the
 * points of rank f.  The score is the root mean square of the held-out
 * residuals over all folds' points (log residuals for the huber and
 * log-ls losses, plain ones for ls).  Candidates are ranked by score
 * (rounded to 4 significant digits), then AIC of the fit to all points,
 * then parameter count, then enumeration order.  A candidate that fails
 * to fit a fold, or predicts a non-finite (or, on the log scale, not
 * positive) value for a held-out point, has score infinity and ranks
 * after every other; so does a candidate whose fit to all points is
 * degenerate (nsl_optim_degenerate: a flat direction or a vanishing
 * term), before those.  With --by, one form shared by all groups is
 * ranked by the residuals of every group together (each group with its
 * own coefficients), or each group chooses its own form
 * (NSL_SEARCH_EACH).
 *
 * Search fits take a smaller start design than the final fit
 * (NSL_SEARCH_GRID, NSL_SEARCH_STARTS, NSL_SEARCH_RESTARTS, or the
 * job's when smaller) and at most NSL_SEARCH_MAX_POINTS of their
 * training points, evenly spaced in input order (the held-out points
 * are all scored); the chosen law is then fitted once more to every
 * point not held out (--holdout) with the job's options, bootstrap
 * included, into an ordinary fit record, which carries the member
 * "search" (nsl_search_member_write).  Candidates run in parallel
 * (OpenMP); every fit is deterministic, so the output is the same bytes
 * for any number of threads.
 *
 * Ownership: struct nsl_search borrows its option strings (the command
 * line's); its rows are its own, freed by nsl_search_release().
 */
#ifndef NSL_FIT_SEARCH_H
#define NSL_FIT_SEARCH_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fit.h"
#include "nsl/json.h"

struct nsl_writer;

#define NSL_SEARCH_MAX_FOLDS 16
#define NSL_SEARCH_MAX_PARAMS 6		/* --max-params default */
#define NSL_SEARCH_FOLDS 2		/* --folds default */
#define NSL_SEARCH_TOP 10		/* --top default */
#define NSL_SEARCH_GRID 64
#define NSL_SEARCH_STARTS 2
#define NSL_SEARCH_RESTARTS 0
#define NSL_SEARCH_MAX_POINTS 512	/* a search fit's, evenly spaced */

enum nsl_search_groups { NSL_SEARCH_SHARED, NSL_SEARCH_EACH };

/*
 * One ranked candidate: a line of the search report (--search-report),
 *
 *	{"rank":1,"law":"formula","formula":"E + A1*N^-a1","family":"power",
 *	 "x":["N"],"k":3,"heldout":{"rms":0.012,"n":40,"folds":[0.01,0.014]},
 *	 "aic":-800.1,"bic":-790.2,"params":{"E":1.8,"A1":400,"a1":0.3},
 *	 "tried":120,"by":{"model":"a"}}
 *
 * "formula" is the law's (a catalogue law's as --list-laws prints it);
 * "heldout" the score and each fold's root mean square; "aic", "bic" and
 * "params" are of the fit to all points; "tried" the number of
 * candidates ranked; "by" only with --by and NSL_SEARCH_EACH.  A
 * candidate with score infinity has "heldout":{"rms":null,...}.
 */
struct nsl_search_row {
	size_t rank, tried, k, ntest, nfolds, np, nx;
	char *law, *formula, *family;
	char *x[NSL_LAW_MAX_VARS];
	double rms, fold_rms[NSL_SEARCH_MAX_FOLDS];
	double aic, bic;
	char *pnames[NSL_LAW_MAX_PARAMS];
	double params[NSL_LAW_MAX_PARAMS];
	char *by_field, *by_value;	/* NULL: none */
};

void nsl_search_row_init(struct nsl_search_row *);
void nsl_search_row_release(struct nsl_search_row *);
/* Append the record and a newline. */
void nsl_search_row_write(const struct nsl_search_row *, struct nsl_buf *);
/* Read a report record.  Returns 0 or -1 with err naming the field. */
int nsl_search_row_parse(struct nsl_search_row *, const struct nsl_rec *,
    struct nsl_err *err);

/*
 * The "search" member of the chosen law's fit record:
 *	"search":{"tried":120,"along":["N"],"folds":2,"rms":0.012}
 */
struct nsl_search_member {
	size_t tried, folds, nalong;
	char *along[NSL_LAW_MAX_VARS];
	double rms;			/* NaN: written null */
};

/* Append ,"search":{...} (the key and its value, after a member). */
void nsl_search_member_write(const struct nsl_search_member *,
    struct nsl_buf *);
/*
 * Read the member from a fit record: 1 with m filled (its strings new:
 * free with nsl_search_member_release), 0 when there is none, -1 with
 * err.
 */
int nsl_search_member_parse(struct nsl_search_member *,
    const struct nsl_rec *, struct nsl_err *err);
void nsl_search_member_release(struct nsl_search_member *);

struct nsl_search {
	/* options, filled by the caller (strings borrowed) */
	int on;				/* --search */
	const char *along_text;		/* --extrapolate-along F,... */
	const char *along[NSL_LAW_MAX_VARS];	/* its fields (check) */
	size_t nalong;
	int max_params, folds, top, groups;
	int digits;			/* --level-digits, 0: exact values */
	const char *report;		/* --search-report FILE, or NULL */
	char args[1024];		/* nsl_search_arg's copy */
	char msg[300];
	/* out */
	size_t tried;			/* candidates ranked */
	struct nsl_search_row *rows;	/* the report, group by group */
	size_t nrows;
	double *chosen_rms;		/* per fit result of the job */
};

/* The defaults above. */
void nsl_search_init(struct nsl_search *);
void nsl_search_release(struct nsl_search *);

/* Split F,... into along (a copy).  NULL or a message. */
const char *nsl_search_arg(struct nsl_search *, const char *arg);

/*
 * With s->on: NULL, or a message naming the options that do not go with
 * --search (--law, --formula, --param, --fix; no --extrapolate-along or
 * --x; a --x field that is no formula name).  Without, NULL unless a
 * search option was given.
 */
const char *nsl_search_check(struct nsl_search *, struct nsl_fit_job *);

/*
 * Read the records of in ("-": standard input), enumerate and rank the
 * candidates, fit the chosen law(s) into job->res (as nsl_fit_run
 * would) and keep the report rows.  Returns 0, or -1 with err
 * (NSL_EX_DATAERR at file:line for bad records, or for a group whose
 * --extrapolate-along field has no more than folds levels).
 */
int nsl_search_run(struct nsl_search *, struct nsl_fit_job *, const char *in,
    struct nsl_err *err);

/*
 * Write job's fit records (each with its "search" member) to w, and the
 * report to s->report when given (atomically).  Returns 0 or -1 with err.
 */
int nsl_search_write(struct nsl_search *, struct nsl_fit_job *,
    struct nsl_writer *, struct nsl_err *err);

#endif
