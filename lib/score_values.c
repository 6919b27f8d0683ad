/*
 * score_values.c - LAVA's OT data values and the scores of a reference
 * model's losses (see nsl/score_values.h).
 */
#include <float.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "nsl/dataset.h"
#include "nsl/json.h"
#include "nsl/ot.h"
#include "nsl/score.h"
#include "nsl/score_values.h"

int
nsl_score_attention_influence(const double *loss, double *out,
    struct nsl_err *err)
{
	double base = loss[NSL_SCORE_LOSS_BASE];

	if (!(base > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "attention-influence: "
		    "the base loss must be positive, got %.17g", base);
	*out = (loss[NSL_SCORE_LOSS_MASKED] - base) / base;
	if (!isfinite(*out))
		return nsl_err_set(err, NSL_EX_DATAERR, "attention-influence: "
		    "the relative increase overflows");
	return 0;
}

int
nsl_score_reducible_loss(const double *loss, double *out,
    struct nsl_err *err)
{
	*out = loss[NSL_SCORE_LOSS_BASE] - loss[NSL_SCORE_LOSS_HOLDOUT];
	if (!isfinite(*out))
		return nsl_err_set(err, NSL_EX_DATAERR, "reducible-loss: the "
		    "difference overflows");
	return 0;
}

int
nsl_score_perplexity(const double *loss, double *out, struct nsl_err *err)
{
	*out = exp(loss[NSL_SCORE_LOSS_BASE]);
	if (!isfinite(*out))
		return nsl_err_set(err, NSL_EX_DATAERR, "perplexity: exp of "
		    "the loss %.17g overflows (at most %.17g)",
		    loss[NSL_SCORE_LOSS_BASE], log(DBL_MAX));
	return 0;
}

int
nsl_score_read_losses(const struct nsl_score_job *J,
    const struct nsl_rec *rec, unsigned want, double *loss,
    struct nsl_err *err)
{
	const char *name[NSL_SCORE_NLOSSES];
	size_t k;

	name[NSL_SCORE_LOSS_BASE] = J->loss_field;
	name[NSL_SCORE_LOSS_MASKED] = J->masked_loss_field;
	name[NSL_SCORE_LOSS_HOLDOUT] = J->holdout_loss_field;
	for (k = 0; k < NSL_SCORE_NLOSSES; k++) {
		long f;

		if (!(want & 1u << k))
			continue;
		if ((f = nsl_rec_require(rec, name[k], err)) < 0 ||
		    nsl_rec_number(rec, (size_t)f, &loss[k], err) < 0)
			return -1;
		if (!isfinite(loss[k]))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "the loss is not a finite number", name[k]);
	}
	return 0;
}

int
nsl_score_lava(const double *x, size_t n, const int *la, size_t nla,
    const double *v, size_t m, const int *lv, size_t nlv, size_t d,
    const struct nsl_ot_params *o, double *score, struct nsl_err *err)
{
	struct nsl_ot_problem pr;
	struct nsl_ot_result res;
	struct nsl_ot_params op = *o;
	double sum = 0;
	size_t i;

	if (n < 2)
		return nsl_err_set(err, NSL_EX_DATAERR, "lava: the calibrated "
		    "gradient needs at least 2 records, got %zu", n);
	memset(&pr, 0, sizeof(pr));
	memset(&res, 0, sizeof(res));
	pr.x = x;
	pr.n = n;
	pr.y = v;
	pr.m = m;
	pr.d = d;
	pr.la = la;
	pr.nla = nla;
	pr.lb = lv;
	pr.nlb = nlv;
	op.want_potentials = 1;
	if (nsl_ot_solve(&op, &pr, &res, err) < 0) {
		nsl_ot_result_release(&res);
		return -1;
	}
	if (res.f == NULL) {
		nsl_ot_result_release(&res);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "lava: the OT method "
		    "gave no potentials");
	}
	for (i = 0; i < n; i++)
		sum += res.f[i];
	/* f_i - (sum - f_i) / (N - 1), as (N f_i - sum) / (N - 1) */
	for (i = 0; i < n; i++)
		score[i] = ((double)n * res.f[i] - sum) / (double)(n - 1);
	nsl_ot_result_release(&res);
	return 0;
}

int
nsl_score_lava_set(const struct nsl_score_job *J,
    const struct nsl_dataset *ds, double *score, size_t *cluster,
    struct nsl_err *err)
{
	struct nsl_ot_params o;
	struct nsl_dataset v;
	const char *why;
	int rc = -1;

	(void)cluster;
	nsl_ot_params_init(&o);
	o.seed = J->seed;
	if ((why = nsl_ot_param_parse(&o, "method", "otdd")) != NULL ||
	    (why = nsl_ot_param_parse(&o, "inner", J->lava_inner)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "--lava-inner: %s", why);
	if ((why = nsl_ot_check(&o)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "lava: %s", why);
	memset(&v, 0, sizeof(v));
	if (nsl_dataset_read(&v, &J->valid, 1, J->field, J->label_field, 0,
	    err) < 0)
		goto done;
	if (v.d != ds->d) {
		nsl_err_set(err, NSL_EX_DATAERR, "--valid %s: vectors of %zu "
		    "numbers, the records' have %zu", J->valid, v.d, ds->d);
		goto done;
	}
	if (v.n == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "--valid %s: no records",
		    J->valid);
		goto done;
	}
	rc = nsl_score_lava(ds->x, ds->n, ds->label, ds->nlabels, v.x, v.n,
	    v.label, v.nlabels, ds->d, &o, score, err);
done:
	nsl_dataset_release(&v);
	return rc;
}

const char *
nsl_score_lava_check(const struct nsl_score_job *J)
{
	static char msg[160];
	struct nsl_ot_params o;
	const char *why;

	if (J->valid == NULL)
		return "lava needs --valid FILE (a clean validation set)";
	nsl_ot_params_init(&o);
	if ((why = nsl_ot_param_parse(&o, "method", "otdd")) != NULL ||
	    (why = nsl_ot_param_parse(&o, "inner", J->lava_inner)) != NULL) {
		snprintf(msg, sizeof(msg), "--lava-inner: %.120s", why);
		return msg;
	}
	return NULL;
}
