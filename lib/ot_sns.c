/*
 * ot_sns.c - Sinkhorn-Newton-Sparse (Tang et al. 2024): Sinkhorn, then
 * Newton steps on the dual with a sparsified Hessian, on the Sinkhorn
 * state of ot_sinkhorn.c; the sns method.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "nsl/ot.h"
#include "ot_fexp.h"
#include "ot_internal.h"

/* SNS solves its Newton systems directly up to this many points a side */
#define SNS_DIRECT_MAX 8192

nsl_ot_solve_fn ot_solve_sns;

/*
 * The sparsified coupling and the Newton phase's work space.  Row i of
 * the sparse P holds cnt[i] (at most cap) entries at col/val + i cap.
 */
struct sns {
	size_t cap;
	size_t *cnt;
	uint32_t *col;
	double *val;
	double *rowbuf;		/* per thread: m */
	int nthreads;
	/* the direct solver's Schur complement (k x k), or NULL for PCG;
	 * room for the dense scaled rows (n x m), or NULL */
	double *S, *Qd;
};

/* Sparse rows in compressed form: row i is [ptr[i], ptr[i + 1]). */
struct csr {
	size_t *ptr;
	uint32_t *idx;
	double *val;
};

/*
 * Row pass at (f, g): r_i = sum_j P_ij; with sp, each row's entries
 * above 1e-8 times its largest go to the sparse rows (at most cap each,
 * the threshold raised tenfold until they fit).
 */
static void
sns_rows(struct sk *s, const double *f, const double *g, double eps,
    double *r, struct sns *sp)
{
	size_t n = s->n, m = s->m, B = ot_cost_block(s->c, 0), i0, j;
	double inv = 1 / eps;

	for (j = 0; j < m; j++)
		s->h[j] = s->logb[j] + g[j] * inv;
	for (i0 = 0; i0 < n; i0 += B) {
		size_t i1 = i0 + B < n ? i0 + B : n;
		const double *blk = ot_cost_rows(s->c, 0, i0, i1);
		long i;

#pragma omp parallel for schedule(static) if ((i1 - i0) * m > PAR_MIN)
		for (i = (long)i0; i < (long)i1; i++) {
			const double *row = blk + (size_t)(i - (long)i0) * m;
			double fa = f[i] * inv + s->loga[i], t = 0, mx = 0,
			    thr;
			double *pb = NULL;
			size_t k, c;
			int tid = 0;

#ifdef _OPENMP
			tid = omp_get_thread_num();
#endif
			if (sp != NULL)
				pb = sp->rowbuf + (size_t)tid * m;
			for (k = 0; k < m; k++) {
				double p = fexp(fa + s->h[k] - row[k] * inv);

				t += p;
				if (pb) {
					pb[k] = p;
					if (p > mx)
						mx = p;
				}
			}
			r[i] = t;
			if (pb == NULL)
				continue;
			thr = mx * 1e-8;
			for (;;) {
				c = 0;
				for (k = 0; k < m; k++)
					c += pb[k] > thr;
				if (c <= sp->cap)
					break;
				thr *= 10;
			}
			c = 0;
			for (k = 0; k < m; k++)
				if (pb[k] > thr) {
					sp->col[(size_t)i * sp->cap + c] =
					    (uint32_t)k;
					sp->val[(size_t)i * sp->cap + c++] =
					    pb[k];
				}
			sp->cnt[i] = c;
		}
	}
}

/* Column sums c_j = sum_i P_ij by a pass over side 1. */
static void
sns_cols(struct sk *s, const double *f, const double *g, double eps,
    double *c)
{
	size_t n = s->n, m = s->m, B = ot_cost_block(s->c, 1), j0, i;
	double inv = 1 / eps;

	for (i = 0; i < n; i++)
		s->h[i] = s->loga[i] + f[i] * inv;
	for (j0 = 0; j0 < m; j0 += B) {
		size_t j1 = j0 + B < m ? j0 + B : m;
		const double *blk = ot_cost_rows(s->c, 1, j0, j1);
		long j;

#pragma omp parallel for schedule(static) if ((j1 - j0) * n > PAR_MIN)
		for (j = (long)j0; j < (long)j1; j++) {
			const double *row = blk + (size_t)(j - (long)j0) * n;
			double gb = g[j] * inv + s->logb[j], t = 0;

			t = ot_row_expsum(s->h, row, n, inv, gb);
			c[j] = t;
		}
	}
}

static double
dual_value(const struct sk *s, const double *f, const double *g,
    const double *r, double eps)
{
	size_t i;
	double v = 0, mass = 0;

	for (i = 0; i < s->n; i++) {
		v += s->a[i] * f[i];
		mass += r[i];
	}
	for (i = 0; i < s->m; i++)
		v += s->b[i] * g[i];
	return v - eps * mass + eps;
}

/* y = A x with A = [[diag r, P], [P^T, diag c]] / eps + mu I. */
static void
sns_matvec(const struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, double mu, const double *x, double *y)
{
	size_t i, k;
	long ii;

#pragma omp parallel for schedule(static) if (n * sp->cap > PAR_MIN)
	for (ii = 0; ii < (long)n; ii++) {
		double t = r[ii] * x[ii];

		for (k = 0; k < sp->cnt[ii]; k++)
			t += sp->val[(size_t)ii * sp->cap + k] *
			    x[n + sp->col[(size_t)ii * sp->cap + k]];
		y[ii] = t / eps + mu * x[ii];
	}
	for (i = 0; i < m; i++)
		y[n + i] = c[i] * x[n + i];
	for (i = 0; i < n; i++)
		for (k = 0; k < sp->cnt[i]; k++)
			y[n + sp->col[i * sp->cap + k]] +=
			    sp->val[i * sp->cap + k] * x[i];
	for (i = 0; i < m; i++)
		y[n + i] = y[n + i] / eps + mu * x[n + i];
}

/* The sparse rows of P (transpose 0) or of P^T (1), indices increasing. */
static int
sns_csr(const struct sns *sp, size_t n, size_t m, int transpose,
    struct csr *q)
{
	size_t R = transpose ? m : n, nnz = 0, i, t, j;

	for (i = 0; i < n; i++)
		nnz += sp->cnt[i];
	q->ptr = calloc(R + 1, sizeof(size_t));
	q->idx = malloc((nnz ? nnz : 1) * sizeof(uint32_t));
	q->val = malloc((nnz ? nnz : 1) * sizeof(double));
	if (!q->ptr || !q->idx || !q->val)
		return -1;
	if (!transpose) {
		for (i = 0; i < n; i++) {
			q->ptr[i + 1] = q->ptr[i] + sp->cnt[i];
			memcpy(q->idx + q->ptr[i], sp->col + i * sp->cap,
			    sp->cnt[i] * sizeof(uint32_t));
			memcpy(q->val + q->ptr[i], sp->val + i * sp->cap,
			    sp->cnt[i] * sizeof(double));
		}
		return 0;
	}
	/* counting sort by column; ptr[j] is row j's fill cursor, which
	 * ends at row j + 1's start, so shifting ptr up one restores it */
	for (i = 0; i < n; i++)
		for (t = 0; t < sp->cnt[i]; t++)
			q->ptr[sp->col[i * sp->cap + t] + 1]++;
	for (j = 0; j < m; j++)
		q->ptr[j + 1] += q->ptr[j];
	for (i = 0; i < n; i++)
		for (t = 0; t < sp->cnt[i]; t++) {
			size_t at = q->ptr[sp->col[i * sp->cap + t]]++;

			q->idx[at] = (uint32_t)i;
			q->val[at] = sp->val[i * sp->cap + t];
		}
	for (j = m; j > 0; j--)
		q->ptr[j] = q->ptr[j - 1];
	q->ptr[0] = 0;
	return 0;
}

static void
csr_free(struct csr *q)
{
	free(q->ptr);
	free(q->idx);
	free(q->val);
}

/*
 * Newton direction by elimination.  In the system (H + ridge I) dz =
 * eps grad with
 *	H = [[diag de, Q], [Q^T, diag dk]]
 * (e the eliminated side, its sparse rows Q; k the kept side; de and dk
 * the full marginals) the kept half y solves
 *	S y = eps (uk - Q^T De^-1 ue),  S = Dk - Q^T De^-1 Q,
 * with De = diag de + ridge I and Dk likewise, and then x = De^-1 (eps ue
 * - Q y).  S is dense, k x k, factored by Cholesky (GSL over the BLAS).
 * Returns -1 if S is not numerically positive definite.
 */
static int
sns_direct(double *S, double *Qd, const struct csr *q, size_t ne, size_t k,
    const double *de, const double *dk, const double *ue, const double *uk,
    double eps, double ridge, double *x, double *y)
{
	gsl_matrix_view Sv = gsl_matrix_view_array(S, k, k);
	gsl_vector_view yv = gsl_vector_view_array(y, k);
	size_t e, t1, t2, i, j;
	double pairs = 0;

	for (i = 0; i < k; i++) {
		for (j = 0; j < i; j++)
			S[i * k + j] = 0;
		S[i * k + i] = dk[i] + ridge;
		y[i] = eps * uk[i];
	}
	for (e = 0; e < ne; e++) {
		double w = eps * ue[e] / (de[e] + ridge), cnt;

		for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
			y[q->idx[t1]] -= q->val[t1] * w;
		cnt = (double)(q->ptr[e + 1] - q->ptr[e]);
		pairs += cnt * (cnt + 1) / 2;
	}
	/*
	 * Q^T De^-1 Q: entry pairs row by row while Q is sparse; once the
	 * pairs pass 1/32 of the dense product's multiplications, a dense
	 * rank-ne update (dsyrk) of the scaled rows is the faster way.
	 */
	if (Qd != NULL && pairs > (double)ne * (double)k * (double)k / 32) {
		memset(Qd, 0, ne * k * sizeof(double));
		for (e = 0; e < ne; e++) {
			double sc = 1 / sqrt(de[e] + ridge);

			for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
				Qd[e * k + q->idx[t1]] = q->val[t1] * sc;
		}
		cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)k,
		    (int)ne, -1.0, Qd, (int)k, 1.0, S, (int)k);
	} else {
		for (e = 0; e < ne; e++) {
			double inv = 1 / (de[e] + ridge);

			for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++) {
				double v1 = q->val[t1] * inv;
				double *Srow = S + (size_t)q->idx[t1] * k;

				for (t2 = q->ptr[e]; t2 <= t1; t2++)
					Srow[q->idx[t2]] -= v1 * q->val[t2];
			}
		}
	}
	if (gsl_linalg_cholesky_decomp1(&Sv.matrix) != GSL_SUCCESS ||
	    gsl_linalg_cholesky_svx(&Sv.matrix, &yv.vector) != GSL_SUCCESS)
		return -1;
	for (e = 0; e < ne; e++) {
		double t = eps * ue[e];

		for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
			t -= q->val[t1] * y[q->idx[t1]];
		x[e] = t / (de[e] + ridge);
	}
	return 0;
}

/*
 * Newton direction by Jacobi-preconditioned conjugate gradients on
 * ((H + ridge I) / eps) dz = grad, for problems too large for sns_direct;
 * w holds four vectors of n + m.
 */
static void
sns_cg(const struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, double ridge, const double *grad,
    double *dz, double *w)
{
	size_t N = n + m, i;
	double *res = w, *pz = w + N, *q = w + 2 * N, *dia = w + 3 * N;
	double mu = ridge / eps, rz = 0, rz0;
	int it;

	for (i = 0; i < n; i++)
		dia[i] = r[i] / eps + mu;
	for (i = 0; i < m; i++)
		dia[n + i] = c[i] / eps + mu;
	for (i = 0; i < N; i++) {
		dz[i] = 0;
		res[i] = grad[i];
		pz[i] = res[i] / dia[i];
		rz += res[i] * pz[i];
	}
	rz0 = rz;
	for (it = 0; it < 1000 && rz > 1e-24 * rz0; it++) {
		double pq = 0, alpha, rzn = 0;

		sns_matvec(sp, n, m, r, c, eps, mu, pz, q);
		for (i = 0; i < N; i++)
			pq += pz[i] * q[i];
		if (!(pq > 0))
			break;
		alpha = rz / pq;
		for (i = 0; i < N; i++) {
			dz[i] += alpha * pz[i];
			res[i] -= alpha * q[i];
			rzn += res[i] * res[i] / dia[i];
		}
		for (i = 0; i < N; i++)
			pz[i] = res[i] / dia[i] + (rzn / rz) * pz[i];
		rz = rzn;
	}
}

/*
 * The Newton direction dz at the current sparse rows: direct or PCG.  At
 * small eps the coupling falls apart into nearly independent blocks, and
 * H has many eigenvalues at the level of rounding error, not only the
 * null direction (1, -1) of f + t, g - t; the ridge, 1e-12 of the mean
 * marginal, keeps the solve away from them (the steps along them are
 * then left to later iterations, which converge linearly there).
 */
static int
sns_direction(struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, const double *grad, double *dz, double *w)
{
	struct csr q;
	size_t i;
	double ridge = 0;
	int rc;

	for (i = 0; i < n; i++)
		ridge += r[i];
	for (i = 0; i < m; i++)
		ridge += c[i];
	ridge *= 1e-12 / (double)(n + m);
	if (sp->S == NULL) {
		sns_cg(sp, n, m, r, c, eps, ridge, grad, dz, w);
		return 0;
	}
	memset(&q, 0, sizeof(q));
	if (sns_csr(sp, n, m, n < m, &q) < 0) {
		csr_free(&q);
		return -1;
	}
	if (n < m)	/* keep the rows, eliminate the columns */
		rc = sns_direct(sp->S, sp->Qd, &q, m, n, c, r, grad + n,
		    grad, eps, ridge, dz + n, dz);
	else
		rc = sns_direct(sp->S, sp->Qd, &q, n, m, r, c, grad,
		    grad + n, eps, ridge, dz, dz + n);
	csr_free(&q);
	if (rc < 0)	/* not positive definite in double: iterate instead */
		sns_cg(sp, n, m, r, c, eps, ridge, grad, dz, w);
	return 0;
}

/* L1 norm of the gradient (a - r, b - c). */
static double
grad_l1(const double *a, const double *r, size_t n, const double *b,
    const double *c, size_t m)
{
	size_t i;
	double e = 0;

	for (i = 0; i < n; i++)
		e += fabs(a[i] - r[i]);
	for (i = 0; i < m; i++)
		e += fabs(b[i] - c[i]);
	return e;
}

/*
 * Newton phase.  Sinkhorn first brings the row error below 1e-2 (or to
 * tol), then each Newton step solves the sparsified Hessian system
 * (sns_direction) and backtracks.  A step is taken when it raises the
 * dual enough (Armijo) or, failing that, when it lowers the gradient's
 * norm enough: near the optimum the dual's rise falls below its rounding
 * error, while the gradient is still measured well.  Ends with Sinkhorn
 * steps, which measure the error the same way as plain Sinkhorn.
 */
int
ot_sns_run(struct sk *s, double eps, double diam, double scaling, double tol,
    long max_iter, double max_memory, long *sk_iters, long *newton_iters,
    double *errout, int *conv, struct nsl_err *err)
{
	size_t n = s->n, m = s->m, N = n + m, k = n < m ? n : m, cap;
	double e = diam, er = INFINITY;
	long it = 0, nt = 0, j;
	struct sns sp;
	double *r = NULL, *c = NULL, *grad = NULL, *dz = NULL, *w = NULL,
	    *fn = NULL, *gn = NULL, *rn = NULL, *cn = NULL;
	int nth = 1, rc = -1;

#ifdef _OPENMP
	nth = omp_get_max_threads();
#endif
	memset(&sp, 0, sizeof(sp));
	while (e > eps) {
		ot_sk_step(s, e, 0, 0);
		it++;
		e *= scaling;
	}
	*conv = 0;
	for (j = 0; j < max_iter; j++) {
		er = ot_sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
		if (er < 1e-2)
			break;
	}
	if (*conv || j == max_iter)
		goto out_ok;

	cap = m < 1024 ? m : 1024;
	if (s->c->C == NULL && cap > 64)
		cap = 64;
	sp.cap = cap;
	sp.cnt = malloc(n * sizeof(size_t));
	sp.col = malloc(n * cap * sizeof(uint32_t));
	sp.val = malloc(n * cap * sizeof(double));
	sp.rowbuf = malloc((size_t)nth * m * sizeof(double));
	if (k <= SNS_DIRECT_MAX && 16.0 * (double)k * (double)k <= max_memory)
		sp.S = malloc(k * k * sizeof(double));
	if (sp.S != NULL && 24.0 * (double)n * (double)m <= max_memory)
		sp.Qd = malloc(n * m * sizeof(double));
	r = malloc(n * sizeof(double));
	rn = malloc(n * sizeof(double));
	c = malloc(m * sizeof(double));
	cn = malloc(m * sizeof(double));
	fn = malloc(n * sizeof(double));
	gn = malloc(m * sizeof(double));
	grad = malloc(N * sizeof(double));
	dz = malloc(N * sizeof(double));
	w = malloc(4 * N * sizeof(double));
	if (!sp.cnt || !sp.col || !sp.val || !sp.rowbuf || !r || !rn || !c ||
	    !cn || !fn || !gn || !grad || !dz || !w) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	gsl_set_error_handler_off();
	for (nt = 0; nt < 100; nt++) {
		double g0, L0, slope = 0, alpha = 1;
		size_t i;
		int ls;

		sns_rows(s, s->f, s->g, eps, r, &sp);
		sns_cols(s, s->f, s->g, eps, c);
		for (i = 0; i < n; i++)
			grad[i] = s->a[i] - r[i];
		for (i = 0; i < m; i++)
			grad[n + i] = s->b[i] - c[i];
		g0 = grad_l1(s->a, r, n, s->b, c, m);
		if (g0 < tol / 4)
			break;
		L0 = dual_value(s, s->f, s->g, r, eps);
		if (sns_direction(&sp, n, m, r, c, eps, grad, dz, w) < 0) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		for (i = 0; i < N; i++)
			slope += grad[i] * dz[i];
		if (!(slope > 0))
			break;
		for (ls = 0; ls < 40; ls++) {
			for (i = 0; i < n; i++)
				fn[i] = s->f[i] + alpha * dz[i];
			for (i = 0; i < m; i++)
				gn[i] = s->g[i] + alpha * dz[n + i];
			sns_rows(s, fn, gn, eps, rn, NULL);
			if (dual_value(s, fn, gn, rn, eps) >=
			    L0 + 1e-4 * alpha * slope)
				break;
			sns_cols(s, fn, gn, eps, cn);
			if (grad_l1(s->a, rn, n, s->b, cn, m) <=
			    (1 - 1e-4 * alpha) * g0)
				break;
			alpha /= 2;
		}
		if (ls == 40)
			break;
		memcpy(s->f, fn, n * sizeof(double));
		memcpy(s->g, gn, m * sizeof(double));
	}
	/* finish with Sinkhorn steps, measured as plain Sinkhorn */
	for (j = 0; j < max_iter; j++) {
		er = ot_sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
	}
out_ok:
	rc = 0;
out:
	*sk_iters = it;
	*newton_iters = nt;
	*errout = er;
	free(sp.cnt);
	free(sp.col);
	free(sp.val);
	free(sp.rowbuf);
	free(sp.S);
	free(sp.Qd);
	free(r);
	free(rn);
	free(c);
	free(cn);
	free(fn);
	free(gn);
	free(grad);
	free(dz);
	free(w);
	return rc;
}

int
ot_solve_sns(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *ltab,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	return ot_entropic_solve(o, pr, a, b, ltab, ot_sns_run, res, err);
}
