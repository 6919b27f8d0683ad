/*
 * score_values.h - the scores of nsl-score that value data against other
 * data or models: LAVA's optimal-transport data values (whole set, with
 * a validation set) and the per-example scores from a reference model's
 * losses (attention-influence, reducible-loss, perplexity).
 *
 * Orientation as every score: higher = harder / more suspect.
 *
 *  lava (Just et al. 2023): OT between the training set and a clean
 *    validation set under OTDD's label-aware ground cost (Alvarez-Melis
 *    and Fusi 2020): C((x, y), (x', y')) = ||x - x'||^2 + W2^2 of the two
 *    labels' class Gaussians (means and covariances of each set's class,
 *    the Bures distance), the otdd method of nsl/ot.h.  With f the dual
 *    potential of the training side, the calibrated gradient
 *	value_i = f_i - sum_{j != i} f_j / (N - 1)
 *    is the rate at which the OT distance grows when record i gains mass
 *    (the others losing it evenly): a point whose label disagrees with
 *    the validation points near it is expensive to move and scores high.
 *    The value is invariant to the potentials' additive constant.  The
 *    inner solver is the caller's (otdd's --inner): LAVA's code takes the
 *    entropic (Sinkhorn) potentials; exact duals are not unique when the
 *    problem is degenerate (uniform weights, n = m).
 *  attention-influence (Hua et al. 2025): (L_masked - L_base) / L_base,
 *    the relative loss increase when a reference model's retrieval heads
 *    are masked; L_base must be positive.
 *  reducible-loss (Mindermann et al. 2022, RHO-LOSS): L_train -
 *    L_holdout, the training model's loss minus that of a model trained
 *    on holdout data.
 *  perplexity: exp(L) for L a reference model's mean per-token negative
 *    log-likelihood in nats (perplexity filtering keeps the low ones:
 *    nsl-prune --strategy easy); an L past log(DBL_MAX) is an error.
 *
 * Losses come from named fields of each record; a missing field or a
 * value that is not a finite number is a data error.
 */
#ifndef NSL_SCORE_VALUES_H
#define NSL_SCORE_VALUES_H

#include <stddef.h>

#include "err.h"

struct nsl_dataset;
struct nsl_ot_params;
struct nsl_rec;
struct nsl_score_job;

/* The losses a metric reads: the index into loss[] and its need bit. */
enum nsl_score_loss {
	NSL_SCORE_LOSS_BASE,	/* --loss-field: "loss" */
	NSL_SCORE_LOSS_MASKED,	/* --masked-loss-field: "loss_masked" */
	NSL_SCORE_LOSS_HOLDOUT,	/* --holdout-loss-field: "loss_holdout" */
	NSL_SCORE_NLOSSES
};

/* Each of the loss metrics from loss[NSL_SCORE_NLOSSES]. */
int nsl_score_attention_influence(const double *loss, double *out,
    struct nsl_err *err);
int nsl_score_reducible_loss(const double *loss, double *out,
    struct nsl_err *err);
int nsl_score_perplexity(const double *loss, double *out,
    struct nsl_err *err);

/*
 * Read into loss[] the fields of rec that want (bits 1 << enum
 * nsl_score_loss) names, J's field names.  Returns 0, or -1 with err set
 * naming the field.
 */
int nsl_score_read_losses(const struct nsl_score_job *J,
    const struct nsl_rec *rec, unsigned want, double *loss,
    struct nsl_err *err);

/*
 * LAVA values of the n training rows x (labels la in [0, nla)) against
 * the m validation rows v (labels lv in [0, nlv)), d numbers a row, both
 * uniformly weighted; o's method must be otdd (its inner, eps, tol ...
 * as given).  Fills score[n].  Returns 0, or -1 with err set (n < 2, an
 * OT failure).
 */
int nsl_score_lava(const double *x, size_t n, const int *la, size_t nla,
    const double *v, size_t m, const int *lv, size_t nlv, size_t d,
    const struct nsl_ot_params *o, double *score, struct nsl_err *err);

/* NULL if lava can run (J->valid given, J->lava_inner an inner
 * method of otdd), else a message (static). */
const char *nsl_score_lava_check(const struct nsl_score_job *J);

/*
 * The lava catalogue row's whole-set function: reads J->valid with J's
 * vector and label fields and scores ds.
 */
int nsl_score_lava_set(const struct nsl_score_job *J,
    const struct nsl_dataset *ds, double *score, size_t *cluster,
    struct nsl_err *err);

#endif
