/*
 * mix.h - data mixtures: sample records from sources in chosen
 * proportions, upsampling or upweighting the sources that are short.
 *
 * A record's source is the value of a field (grouped as nsl/labels.h
 * groups: 2 and 2.0 are one source).  The proportions p_s are given
 * (weights, normalised to sum 1) or follow the sources' sizes n_s at a
 * temperature T: p_s = n_s^(1/T) / sum_t n_t^(1/T) (T = 1: as the data
 * is; T large: uniform).  The mixture has N records (default: all of
 * them), source s count c_s: N p_s rounded by largest remainders so the
 * counts sum to N exactly (a share within 1e-9 relative of an integer is
 * that integer, so 0.3 of 10 is 3; equal remainders favour the source
 * that sorts first).
 *
 * Within a source of n records (its stream of the seed: the source's
 * rank in the sorted order):
 *  - c <= n: c records drawn uniformly without replacement, once each;
 *  - c > n (upsampling): every record floor(c / n) times, and c mod n of
 *    them, drawn uniformly without replacement, once more.
 * How the multiplicity k of a record is written (the mode, a row of the
 * catalogue of modes):
 *  - repeat: the record once, with an integer field (default "repeat")
 *    k; the source's repeats sum to c;
 *  - lines: the record's line k times;
 *  - weight (upweighting, no copies): each record kept (min(c, n) of
 *    them, the same draw) once with a number field (default "weight")
 *    c / min(c, n); the source's weights sum to c up to rounding.
 * Records come out in input order; every other byte of a line is kept.
 * Memory: about 16 bytes a record (nsl/spool.h brings the lines back).
 *
 * No function prints or exits; failures return -1 with err set.
 */
#ifndef NSL_MIX_H
#define NSL_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum nsl_mix_mode {
	NSL_MIX_REPEAT,
	NSL_MIX_LINES,
	NSL_MIX_WEIGHT
};

/* The catalogue of modes: rows in enum order, ended by a NULL name. */
struct nsl_mix_mode_def {
	const char *name;
	const char *help;
};

/* Row m (borrowed, static), or NULL past the last. */
const struct nsl_mix_mode_def *nsl_mix_mode_get(int m);

struct nsl_mix_params {
	const char *source_field;	/* "source" */
	const char *const *names;	/* given proportions: sources, or */
	const double *weights;		/* NULL (then temperature) */
	size_t nnamed;
	double temperature;		/* > 0, default 1 */
	int by_count;			/* 1: keep records; 0: all */
	uint64_t keep;
	enum nsl_mix_mode mode;
	const char *field;		/* repeat or weight field; NULL: default */
	uint64_t seed;
};

void nsl_mix_params_init(struct nsl_mix_params *);

/* NULL if the parameters are consistent, otherwise a message. */
const char *nsl_mix_check(const struct nsl_mix_params *);

/*
 * Counts of ns sources with sizes n[] and proportions p[] (sum 1) for a
 * mixture of N records: fills c[] (largest remainder, see above).
 * Returns 0, or -1 if out of memory.
 */
int nsl_mix_counts(const double *p, size_t ns, uint64_t N, uint64_t *c);

/*
 * The temperature proportions of ns sources of sizes n[] (all > 0):
 * p[s] = n_s^(1/T) / sum, computed in logs.
 */
void nsl_mix_temperature(const uint64_t *n, size_t ns, double T, double *p);

/*
 * The record pair: write appends to out rec's line with the field set to
 * k (repeat, an integer) or w (weight), replacing a field of that name,
 * and a newline; parse reads the field back from a record.
 */
struct nsl_rec;
void nsl_mix_record_write(struct nsl_buf *out, const struct nsl_rec *rec,
    const char *field, enum nsl_mix_mode mode, uint64_t k, double w);
int nsl_mix_record_parse(const struct nsl_rec *rec, const char *field,
    double *value, struct nsl_err *err);

/*
 * The whole of nsl-mix: read paths[0..npaths) (none: standard input)
 * through a spool, keeping each record's source; draw the mixture; write
 * it to output (NULL: standard output; atomically).  report, if not NULL,
 * gets a line per source (records, proportion, count, kept, repeat or
 * weight), each starting with prefix.  Returns 0, or -1 with err set (at
 * the file and line of a bad record).
 */
int nsl_mix_files(const struct nsl_mix_params *, const char *const *paths,
    size_t npaths, const char *output, struct nsl_buf *report,
    const char *prefix, struct nsl_err *err);

/*
 * The mixture search (Projektor's selection step as a search, Kang et
 * al. 2023): the weights w on the simplex of ns sources that minimise
 * the OT cost between the mixture -- record i of source s(i) weighted
 * w_s / n_s -- and a validation set v (m rows, uniform).  The cost is
 * convex in the weights, and its gradient in w_s is the mean of the dual
 * potential f over source s (nsl/ot.h's potentials, up to a constant
 * that the simplex does not see), so Frank-Wolfe applies: from the
 * uniform mixture, step 2 / (t + 2) towards the source of the smallest
 * gradient, by the step in [0, 1] that a golden-section search (24
 * steps; the cost is convex along the segment) finds best, until the
 * Frank-Wolfe gap (sum_s w_s g_s - min_s g_s, an upper bound on the
 * distance to the optimum) is at most tol times the cost, no step
 * lowers the cost, or iters steps.  An entropic method runs at one absolute eps for the whole
 * search (eps, or eps_rel times the mean cost of the uniform mixture),
 * so that every step minimises the same function; the cost is then the
 * entropic objective.  With exact OT the cost is piecewise linear and
 * the potentials give a subgradient.  Time: about 28 OT solves (n x m)
 * a step.
 */
struct nsl_ot_params;

struct nsl_mix_search {
	double *w;		/* ns weights (the caller's array) */
	double cost;		/* the cost at w */
	double gap;		/* the last Frank-Wolfe gap */
	double eps;		/* entropic: the eps used; else NaN */
	long iterations;
};

/* NULL if o can drive the search (checked, a method with potentials),
 * else a message. */
const char *nsl_mix_search_check(const struct nsl_ot_params *o);

int nsl_mix_search(const struct nsl_ot_params *o, const double *x,
    size_t n, size_t d, const int *src, size_t ns, const double *v,
    size_t m, int iters, double tol, struct nsl_mix_search *res,
    struct nsl_err *err);

/*
 * The search record's pair: {"search":"frank-wolfe","weights":{NAME:W,
 * ...},"cost":C,"gap":G,"eps":E,"iterations":T} (eps only when entropic)
 * with the sources' names as canonical JSON texts (nsl/labels.h: a
 * string keeps its quotes in names[], not in the key); parse fills w[]
 * in the order of names[] and returns 0, or -1 with err set.
 */
void nsl_mix_search_write(struct nsl_buf *out, const char *const *names,
    size_t ns, const struct nsl_mix_search *);
int nsl_mix_search_parse(const struct nsl_rec *rec,
    const char *const *names, size_t ns, struct nsl_mix_search *,
    struct nsl_err *err);

/*
 * nsl-mix --search: read the records of paths (vectors in field, source
 * in P->source_field, numbers or strings) and the validation set valid,
 * search, and write the record to output.
 */
int nsl_mix_search_files(const struct nsl_mix_params *P,
    const struct nsl_ot_params *o, const char *field, const char *valid,
    int iters, double tol, const char *const *paths, size_t npaths,
    const char *output, struct nsl_err *err);

#endif
