/*
 * ot_otdd.c - the otdd method: the dataset distance of Alvarez-Melis and
 * Fusi (2020), OT under the cost ||x - x'||^2 + W2^2 of the two points'
 * class Gaussians, solved by the inner method (a row that takes the
 * label term as ltab).
 */
#include <stdlib.h>

#include "nsl/ot.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_otdd;

int
ot_solve_otdd(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *outer,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	double *ltab;
	int rc;

	(void)outer;
	if (pr->la == NULL || pr->lb == NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "otdd: needs labels "
		    "(--label-field)");
	ltab = malloc(pr->nla * pr->nlb * sizeof(double));
	if (ltab == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (ot_gauss_label_table(pr, a, b, ltab, err) < 0) {
		free(ltab);
		return -1;
	}
	rc = o->inner->solve(o, pr, a, b, ltab, res, err);
	free(ltab);
	return rc;
}
