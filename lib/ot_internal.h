/*
 * ot_internal.h - shared between lib/ot*.c only.
 */
#ifndef NSL_OT_INTERNAL_H
#define NSL_OT_INTERNAL_H

#include <stddef.h>

#include "nsl/ot.h"

/*
 * Cost provider: rows of C (side 0: x_i against all y) or of C^T (side 1:
 * y_j against all x), either from stored matrices or computed a block at
 * a time.  Invariant: C and CT are exact transposes when stored.
 */
struct ot_cost {
	enum nsl_ot_cost kind;
	double p;
	size_t n, m, d;
	const double *x, *y;
	double *xn, *yn;		/* owned normalised copies (cosine) */
	double *xsq, *ysq;
	double *C, *CT;			/* stored, or NULL */
	const int *la, *lb;		/* otdd label term */
	const double *ltab;		/* ltab[la * nlb + lb] */
	size_t nla, nlb;
	double *buf;			/* block buffer */
	size_t block;
};

int ot_cost_init(struct ot_cost *, const struct nsl_ot_problem *,
    enum nsl_ot_cost, double p, const double *ltab, size_t nlb, int store,
    struct nsl_err *);
/* Rows [i0, i1) of the side; borrowed until the next call. */
const double *ot_cost_rows(struct ot_cost *, int side, size_t i0, size_t i1);
size_t ot_cost_block(const struct ot_cost *, int side);
void ot_cost_free(struct ot_cost *);

/* W2^2 of the fitted Gaussians of the classes (ltab: ka x kb). */
int ot_gauss_label_table(const struct nsl_ot_problem *, const double *a,
    const double *b, double *ltab, struct nsl_err *);
int ot_gaussian(const struct nsl_ot_problem *, const double *a,
    const double *b, double *w2sq, struct nsl_err *);

#endif
