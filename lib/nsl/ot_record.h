/*
 * ot_record.h - the records nsl-ot-distance writes, each with its write
 * and parse pair: the result, a point's potential and a plan entry.
 *
 *	{"distance":D,"value":V,"method":"exact",...,"a":"A","b":"B"}
 *	{"set":"a","i":0,"potential":F}
 *	{"i":0,"j":3,"mass":M}
 *
 * A result's fields are written in a fixed order, each only when it
 * applies: a double that is NaN, a count below 0 and a string that is
 * NULL are left out.  value, epsilon, objective and std_error are in cost
 * units, which may leave the double range while the distance does not:
 * infinity is written (and read back) as null.  Other non-finite numbers
 * go to the writer, whose guard refuses them (exit 65).
 */
#ifndef NSL_OT_RECORD_H
#define NSL_OT_RECORD_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "ot.h"

struct nsl_ot_record {
	double distance, value;
	const char *method, *inner, *cost;	/* inner: otdd's */
	double p;
	long long n, m, d;
	double epsilon, objective;
	long long iterations, sinkhorn_iterations, newton_iterations;
	double marginal_error;
	long long projections;			/* sliced */
	double std_error, variance_reduction;	/* sliced */
	int converged, blocked;
	const char *a, *b;			/* the inputs' names */
	double seconds;				/* --timing */
	char *own[5];	/* parse: the strings' storage, else NULL */
};

/* Every field absent (the strings NULL, numbers NaN, counts -1). */
void nsl_ot_record_init(struct nsl_ot_record *);

/*
 * The record of a solved problem: the method's own fields as its row
 * says (inner for a method that takes one, projections for sliced, the
 * Newton count for the methods that report one).  Strings are borrowed
 * from o, a and b.
 */
void nsl_ot_record_make(struct nsl_ot_record *, const struct nsl_ot_params *,
    const struct nsl_ot_problem *, const struct nsl_ot_result *,
    const char *a, const char *b);

/* Append the record as one line. */
void nsl_ot_record_write(struct nsl_buf *, const struct nsl_ot_record *);

/*
 * Read a result line back (strings owned by the record: release it).
 * Returns 0, or -1 with err set (NSL_EX_DATAERR).
 */
int nsl_ot_record_parse(struct nsl_ot_record *, const char *line, size_t len,
    struct nsl_err *);
void nsl_ot_record_release(struct nsl_ot_record *);

/* A potential: side 0 is set "a" (f), 1 is "b" (g). */
void nsl_ot_potential_write(struct nsl_buf *, int side, size_t i, double f);
int nsl_ot_potential_parse(const char *line, size_t len, int *side,
    size_t *i, double *f, struct nsl_err *);

/* A plan entry. */
void nsl_ot_plan_write(struct nsl_buf *, const struct nsl_ot_plan_entry *);
int nsl_ot_plan_parse(const char *line, size_t len,
    struct nsl_ot_plan_entry *, struct nsl_err *);

#endif
