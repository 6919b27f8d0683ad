/*
 * ot_run.h - nsl-ot-distance's job: read two weighted point sets, solve
 * (nsl/ot.h), write the result record and, when asked, the potentials and
 * the plan (nsl/ot_record.h).
 *
 *	nsl_ot_run_init(&job);  (the tool's options fill job)
 *	msg = nsl_ot_run_check(&job);
 *	nsl_ot_run_solve(&job, &err);
 *	msg = nsl_ot_run_warning(&job);  (a tool prints it)
 *	nsl_ot_run_write(&job, &err);
 *	nsl_ot_run_release(&job);
 *
 * The output files are opened after solving, so that a problem with the
 * data is reported before one with an output path; the potentials and
 * the plan are committed as each is finished, the result record last.
 */
#ifndef NSL_OT_RUN_H
#define NSL_OT_RUN_H

#include <stddef.h>

#include "dataset.h"
#include "err.h"
#include "ot.h"

struct nsl_ot_run {
	struct nsl_ot_params par;
	const char *const *paths;	/* A and B (borrowed) */
	size_t npaths;
	const char *field;		/* the vectors */
	const char *weight_field;	/* NULL: uniform */
	const char *label_field;	/* for a method with NSL_OT_P_LABELS */
	const char *output;		/* NULL or "-": standard output */
	const char *potentials, *plan;	/* NULL: not written */
	int timing;			/* add "seconds" */
	/* set by nsl_ot_run_solve */
	struct nsl_dataset A, B;
	struct nsl_ot_problem problem;
	struct nsl_ot_result res;
	double seconds;
	int solved;
};

/* Defaults: nsl_ot_params_init(), field "embedding", nothing else. */
void nsl_ot_run_init(struct nsl_ot_run *);

/*
 * NULL, or a message naming what is wrong with the job: nsl_ot_check()'s,
 * then the inputs' count, a method's labels, and potentials or a plan
 * from a method that has none.  Pure (messages as nsl_ot_check's).
 */
const char *nsl_ot_run_check(const struct nsl_ot_run *);

/* Read A and B and solve.  Returns 0, or -1 with err set. */
int nsl_ot_run_solve(struct nsl_ot_run *, struct nsl_err *);

/* After solving: a warning to print (did not converge), or NULL. */
const char *nsl_ot_run_warning(const struct nsl_ot_run *);

/*
 * Write the potentials, the plan and the result record, and commit them.
 * Returns 0, or -1 with err set (nothing committed).
 */
int nsl_ot_run_write(struct nsl_ot_run *, struct nsl_err *);

void nsl_ot_run_release(struct nsl_ot_run *);

#endif
