/*
 * ot_cost.c - the ground costs of OT: the names, the cost provider of
 * ot_internal.h (stored matrices or blocks computed on the fly) and the
 * diameter and mean that set Sinkhorn's epsilon.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "nsl/ot.h"
#include "nsl/vec.h"
#include "ot_internal.h"

#define BLOCK_BYTES (32u << 20)

static const char *const cost_names[] = {
	"sqeuclidean", "euclidean", "cosine"
};

const char *
nsl_ot_cost_name(enum nsl_ot_cost c)
{
	return cost_names[c];
}

int
nsl_ot_cost_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(cost_names) / sizeof(*cost_names); i++)
		if (strcmp(s, cost_names[i]) == 0)
			return (int)i;
	return -1;
}

double
nsl_ot_cost_default_p(enum nsl_ot_cost c)
{
	return c == NSL_OT_SQEUCLIDEAN ? 2 : 1;
}

static inline double
cost_of(enum nsl_ot_cost kind, double p, double v)
{
	switch (kind) {
	case NSL_OT_SQEUCLIDEAN:
		return v;
	case NSL_OT_EUCLIDEAN:
		return p == 1 ? sqrt(v) : p == 2 ? v : pow(sqrt(v), p);
	default:
		return v;
	}
}

/*
 * Rows [i0, i1) of side into out (rows of length K), SUB_ROWS at a time
 * on each thread: a single-threaded dgemm of those rows, then the cost of
 * each entry while they are still in cache.  One OpenBLAS call spread
 * over its own threads would contend with OpenMP's, and the fixed
 * sub-blocks (aligned to SUB_ROWS from row 0, as blocks are multiples of
 * it) make every entry the same bits whatever the block or thread count.
 */
#define SUB_ROWS 32

static void
cost_rows_serial(const struct ot_cost *c, int side, size_t i0, size_t i1,
    double *out)
{
	const double *X = side ? c->y : c->x, *Y = side ? c->x : c->y;
	const double *xsq = side ? c->ysq : c->xsq, *ysq = side ? c->xsq :
	    c->ysq;
	const int *lx = side ? c->lb : c->la, *ly = side ? c->la : c->lb;
	size_t K = side ? c->n : c->m, d = c->d, i, k;

	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(i1 - i0),
	    (int)K, (int)d, 1.0, X + i0 * d, (int)d, Y, (int)d, 0.0, out,
	    (int)K);
	for (i = i0; i < i1; i++) {
		double *o = out + (i - i0) * K;

		if (c->kind == NSL_OT_COSINE) {
			for (k = 0; k < K; k++) {
				double v = 1 - o[k];

				o[k] = v < 0 ? 0 : v > 2 ? 2 : v;
			}
		} else if (c->kind == NSL_OT_SQEUCLIDEAN) {
			for (k = 0; k < K; k++) {
				double v = xsq[i] + ysq[k] - 2 * o[k];

				o[k] = v < 0 ? 0 : v;
			}
		} else {
			for (k = 0; k < K; k++) {
				double v = xsq[i] + ysq[k] - 2 * o[k];

				o[k] = cost_of(c->kind, c->p, v < 0 ? 0 : v);
			}
		}
		if (c->ltab != NULL) {
			for (k = 0; k < K; k++)
				o[k] += side ? c->ltab[(size_t)ly[k] * c->nlb +
				    (size_t)lx[i]] : c->ltab[(size_t)lx[i] *
				    c->nlb + (size_t)ly[k]];
		}
	}
}

void
ot_cost_compute(const struct ot_cost *c, int side, size_t i0, size_t i1,
    double *out)
{
	size_t K = side ? c->n : c->m;
	long nsub = (long)((i1 - i0 + SUB_ROWS - 1) / SUB_ROWS), q;
	int blas_threads;

	if (i1 == i0)
		return;
	blas_threads = nsl_vec_blas_serial();
#pragma omp parallel for schedule(dynamic) if ((i1 - i0) * K > PAR_MIN)
	for (q = 0; q < nsub; q++) {
		size_t r0 = i0 + (size_t)q * SUB_ROWS;
		size_t r1 = r0 + SUB_ROWS < i1 ? r0 + SUB_ROWS : i1;

		cost_rows_serial(c, side, r0, r1, out + (r0 - i0) * K);
	}
	nsl_vec_blas_restore(blas_threads);
}

size_t
ot_cost_block(const struct ot_cost *c, int side)
{
	return c->C != NULL ? (side ? c->m : c->n) : c->block;
}

const double *
ot_cost_rows(struct ot_cost *c, int side, size_t i0, size_t i1)
{
	if (c->C != NULL)
		return (side ? c->CT + i0 * c->n : c->C + i0 * c->m);
	ot_cost_compute(c, side, i0, i1, c->buf);
	return c->buf;
}

void
ot_cost_free(struct ot_cost *c)
{
	free(c->xn);
	free(c->yn);
	free(c->xsq);
	free(c->ysq);
	free(c->C);
	free(c->CT);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

int
ot_cost_init(struct ot_cost *c, const struct nsl_ot_problem *pr,
    enum nsl_ot_cost kind, double p, const double *ltab, size_t nlb,
    int store, struct nsl_err *err)
{
	size_t n = pr->n, m = pr->m, d = pr->d, K;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->p = p;
	c->n = n;
	c->m = m;
	c->d = d;
	c->x = pr->x;
	c->y = pr->y;
	c->la = pr->la;
	c->lb = pr->lb;
	c->ltab = ltab;
	c->nlb = nlb;
	c->nla = ltab != NULL ? pr->nla : 0;
	c->xsq = malloc(n * sizeof(double));
	c->ysq = malloc(m * sizeof(double));
	if (c->xsq == NULL || c->ysq == NULL)
		goto nomem;
	if (kind == NSL_OT_COSINE) {
		c->xn = malloc(n * d * sizeof(double));
		c->yn = malloc(m * d * sizeof(double));
		if (c->xn == NULL || c->yn == NULL)
			goto nomem;
		memcpy(c->xn, pr->x, n * d * sizeof(double));
		memcpy(c->yn, pr->y, m * d * sizeof(double));
		nsl_vec_normalize_rows(c->xn, n, d);
		nsl_vec_normalize_rows(c->yn, m, d);
		c->x = c->xn;
		c->y = c->yn;
	}
	nsl_vec_row_sqnorms(c->x, n, d, c->xsq);
	nsl_vec_row_sqnorms(c->y, m, d, c->ysq);
	if (store) {
		size_t i, j, i0, j0;

		c->C = malloc(n * m * sizeof(double));
		c->CT = malloc(n * m * sizeof(double));
		if (c->C == NULL || c->CT == NULL)
			goto nomem;
		ot_cost_compute(c, 0, 0, n, c->C);
		for (i0 = 0; i0 < n; i0 += 64)
			for (j0 = 0; j0 < m; j0 += 64)
				for (i = i0; i < n && i < i0 + 64; i++)
					for (j = j0; j < m && j < j0 + 64; j++)
						c->CT[j * n + i] =
						    c->C[i * m + j];
		return 0;
	}
	K = n > m ? n : m;
	/* at least a few sub-blocks per block, so that both threads work */
	c->block = BLOCK_BYTES / (K * sizeof(double)) / SUB_ROWS * SUB_ROWS;
	if (c->block < 4 * SUB_ROWS)
		c->block = 4 * SUB_ROWS;
	c->buf = malloc(c->block * K * sizeof(double));
	if (c->buf == NULL)
		goto nomem;
	return 0;
nomem:
	ot_cost_free(c);
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory for the "
	    "costs of %zu x %zu points", n, m);
}

void
nsl_ot_cost_matrix(const struct nsl_ot_problem *pr, enum nsl_ot_cost kind,
    double p, double *C)
{
	struct ot_cost c;
	struct nsl_err err;
	struct nsl_ot_problem q = *pr;

	q.la = q.lb = NULL;
	if (ot_cost_init(&c, &q, kind, p, NULL, 0, 0, &err) < 0)
		return;
	ot_cost_compute(&c, 0, 0, pr->n, C);
	ot_cost_free(&c);
}

/*
 * The largest cost when C is stored; otherwise an upper bound from the
 * union's bounding box.
 */
double
ot_cost_diameter(const struct ot_cost *c)
{
	size_t k, i;
	double s = 0;

	if (c->C != NULL) {	/* stored: the true largest cost */
		double mx = 0;

		for (i = 0; i < c->n * c->m; i++)
			mx = fmax(mx, c->C[i]);
		return mx;
	}
	if (c->kind == NSL_OT_COSINE)
		return 2;
	for (k = 0; k < c->d; k++) {
		double lo = INFINITY, hi = -INFINITY, w;

		for (i = 0; i < c->n; i++) {
			lo = fmin(lo, c->x[i * c->d + k]);
			hi = fmax(hi, c->x[i * c->d + k]);
		}
		for (i = 0; i < c->m; i++) {
			lo = fmin(lo, c->y[i * c->d + k]);
			hi = fmax(hi, c->y[i * c->d + k]);
		}
		w = hi - lo;
		s += w * w;
	}
	return cost_of(c->kind, c->p, s);
}

/* Mean cost under a x b: closed form for sqeuclidean, one pass else. */
double
ot_cost_mean(struct ot_cost *c, const double *a, const double *b)
{
	size_t i, j, k, d = c->d;
	double s = 0;

	if (c->kind == NSL_OT_SQEUCLIDEAN && c->ltab == NULL) {
		double sa = 0, sb = 0, dot = 0;

		for (i = 0; i < c->n; i++)
			sa += a[i] * c->xsq[i];
		for (j = 0; j < c->m; j++)
			sb += b[j] * c->ysq[j];
		for (k = 0; k < d; k++) {
			double ma = 0, mb = 0;

			for (i = 0; i < c->n; i++)
				ma += a[i] * c->x[i * d + k];
			for (j = 0; j < c->m; j++)
				mb += b[j] * c->y[j * d + k];
			dot += ma * mb;
		}
		return fmax(sa + sb - 2 * dot, 0);
	}
	{
		size_t B = ot_cost_block(c, 0), i0;

		for (i0 = 0; i0 < c->n; i0 += B) {
			size_t i1 = i0 + B < c->n ? i0 + B : c->n;
			const double *row = ot_cost_rows(c, 0, i0, i1);

			for (i = i0; i < i1; i++) {
				double t = 0;

				for (j = 0; j < c->m; j++)
					t += b[j] * row[(i - i0) * c->m + j];
				s += a[i] * t;
			}
		}
	}
	return s;
}
