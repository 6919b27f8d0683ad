/*
 * ot_internal.h - shared between lib/ot*.c only.
 *
 * The modules, each below the ones it uses (no arrow runs back up):
 *	ot_cost.c	ground costs: stored matrices or blocks on the fly
 *	ot_fexp.c	a fast exp and the soft-min row sum built on it
 *	ot_exact.c	network simplex; the exact method
 *	ot_sinkhorn.c	log-domain Sinkhorn; the sinkhorn and divergence
 *			methods, and the entropic driver SNS plugs into
 *	ot_sns.c	Sinkhorn-Newton-Sparse; the sns method
 *	ot_sliced.c	sliced Wasserstein; the sliced method
 *	ot_gauss.c	Bures-Wasserstein; the gaussian method, OTDD's table
 *	ot_otdd.c	the otdd method (its inner solver is a row pointer)
 *	ot_methods.c	the catalogue of methods, parameters and their check
 *	ot.c		nsl_ot_solve(): weights, scaling, the row's solve
 *	ot_record.c	the result, potential and plan records
 *	ot_run.c	nsl-ot-distance's job: read, check, solve, write
 */
#ifndef NSL_OT_INTERNAL_H
#define NSL_OT_INTERNAL_H

#include <stddef.h>

#include "nsl/ot.h"

/* below this many entries a pass runs on one thread */
#define PAR_MIN ((size_t)1 << 17)

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
/* Rows [i0, i1) of the side into out, computed whether stored or not. */
void ot_cost_compute(const struct ot_cost *, int side, size_t i0, size_t i1,
    double *out);
/* The largest cost when stored; otherwise an upper bound. */
double ot_cost_diameter(const struct ot_cost *);
/* Mean cost under a x b. */
double ot_cost_mean(struct ot_cost *, const double *a, const double *b);
void ot_cost_free(struct ot_cost *);

/* sum_j exp(h_j - row_j inv + sh) over j < K, in a fixed order. */
double ot_row_expsum(const double *h, const double *row, size_t K,
    double inv, double sh);

/*
 * Log-domain Sinkhorn state on a cost provider (ot_sinkhorn.c): the
 * potentials f (n) and g (m) of P_ij = a_i b_j exp((f_i + g_j - C_ij) /
 * eps), and work space.
 */
struct sk {
	struct ot_cost *c;
	size_t n, m;
	const double *a, *b;
	double *loga, *logb;
	double *f, *g, *tmp, *ratio, *h;
};

int ot_sk_init(struct sk *, struct ot_cost *, const double *a,
    const double *b, struct nsl_err *);
void ot_sk_free(struct sk *);
/* g <- T_b(f), then f' <- T_a(g); returns the L1 row error of (f, g). */
double ot_sk_step(struct sk *, double eps, int keep_f_if_below, double tol);

/*
 * A solver on a Sinkhorn state, from the diameter down to eps and then to
 * tol: sets the Sinkhorn (and Newton) iteration counts, the final row
 * error and whether it is below tol; 0, or -1 with err set.
 */
typedef int ot_sk_run(struct sk *, double eps, double diam, double scaling,
    double tol, long max_iter, double max_memory, long *sk_iters,
    long *newton_iters, double *errout, int *conv, struct nsl_err *);

/* Sinkhorn-Newton-Sparse (ot_sns.c). */
ot_sk_run ot_sns_run;

/*
 * One entropic problem solved by run (NULL: plain Sinkhorn), epsilon from
 * the parameters, into res (ot_sinkhorn.c).
 */
int ot_entropic_solve(const struct nsl_ot_params *,
    const struct nsl_ot_problem *, const double *a, const double *b,
    const double *ltab, ot_sk_run *run, struct nsl_ot_result *,
    struct nsl_err *);

/* W2^2 of the fitted Gaussians of the classes (ltab: ka x kb). */
int ot_gauss_label_table(const struct nsl_ot_problem *, const double *a,
    const double *b, double *ltab, struct nsl_err *);

#endif
