/*
 * ot_gauss.c - Gaussian (Bures-Wasserstein) W2 and the class-Gaussian
 * table of OTDD.
 *
 * W2^2(N(m1, S1), N(m2, S2)) = |m1 - m2|^2 + tr S1 + tr S2
 *	- 2 tr (S1^(1/2) S2 S1^(1/2))^(1/2).
 * Square roots go through symmetric eigendecompositions (GSL's
 * gsl_eigen_symm / symmv, Householder tridiagonalisation and implicit QL),
 * with eigenvalues below zero -- rounding on singular covariances --
 * clamped to zero; the product is symmetrised before its eigenvalues are
 * taken.  Covariances are the weighted maximum-likelihood estimates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "nsl/ot.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_gaussian;

void
nsl_ot_moments(const double *x, size_t n, size_t d, const double *w,
    const size_t *idx, size_t k, double *mean, double *cov)
{
	size_t r, t, i;
	double ws = 0;
	double *xc;

	if (idx == NULL)
		k = n;
	memset(mean, 0, d * sizeof(double));
	for (r = 0; r < k; r++) {
		i = idx ? idx[r] : r;
		ws += w ? w[i] : 1;
	}
	if (!(ws > 0)) {		/* a class of zero weight: uniform */
		w = NULL;
		ws = (double)k;
	}
	for (r = 0; r < k; r++) {
		double wi;

		i = idx ? idx[r] : r;
		wi = (w ? w[i] : 1) / ws;
		for (t = 0; t < d; t++)
			mean[t] += wi * x[i * d + t];
	}
	memset(cov, 0, d * d * sizeof(double));
	xc = malloc((k ? k : 1) * d * sizeof(double));
	if (xc == NULL) {
		/* fall back to a slow rank-1 accumulation */
		for (r = 0; r < k; r++) {
			double wi;
			size_t u, v;

			i = idx ? idx[r] : r;
			wi = (w ? w[i] : 1) / ws;
			for (u = 0; u < d; u++)
				for (v = 0; v < d; v++)
					cov[u * d + v] += wi *
					    (x[i * d + u] - mean[u]) *
					    (x[i * d + v] - mean[v]);
		}
		return;
	}
	for (r = 0; r < k; r++) {
		double s;

		i = idx ? idx[r] : r;
		s = sqrt((w ? w[i] : 1) / ws);
		for (t = 0; t < d; t++)
			xc[r * d + t] = s * (x[i * d + t] - mean[t]);
	}
	if (k > 0)
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d,
		    (int)d, (int)k, 1.0, xc, (int)d, xc, (int)d, 0.0, cov,
		    (int)d);
	free(xc);
	for (t = 0; t < d; t++)		/* exact symmetry */
		for (r = t + 1; r < d; r++)
			cov[r * d + t] = cov[t * d + r];
}

/* sqrt of a symmetric PSD matrix S (d x d) into R. */
static int
sym_sqrt(const double *S, size_t d, double *R, struct nsl_err *err)
{
	gsl_matrix *A = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
	gsl_vector *l = gsl_vector_alloc(d);
	gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
	size_t i, j, k;
	int rc = -1;

	if (!A || !V || !l || !w) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	memcpy(A->data, S, d * d * sizeof(double));
	if (gsl_eigen_symmv(A, l, V, w) != GSL_SUCCESS) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "eigendecomposition failed");
		goto out;
	}
	for (k = 0; k < d; k++) {
		double lk = gsl_vector_get(l, k);

		gsl_vector_set(l, k, lk > 0 ? sqrt(lk) : 0);
	}
	for (i = 0; i < d; i++)
		for (j = i; j < d; j++) {
			double s = 0;

			for (k = 0; k < d; k++)
				s += gsl_matrix_get(V, i, k) *
				    gsl_vector_get(l, k) *
				    gsl_matrix_get(V, j, k);
			R[i * d + j] = R[j * d + i] = s;
		}
	rc = 0;
out:
	gsl_matrix_free(A);
	gsl_matrix_free(V);
	gsl_vector_free(l);
	if (w)
		gsl_eigen_symmv_free(w);
	return rc;
}

int
nsl_ot_bures(const double *m1, const double *S1, const double *m2,
    const double *S2, size_t d, double *w2sq, struct nsl_err *err)
{
	double *R = malloc(d * d * sizeof(double));
	double *T = malloc(d * d * sizeof(double));
	double *M = malloc(d * d * sizeof(double));
	gsl_vector *l = gsl_vector_alloc(d);
	gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);
	gsl_matrix_view Mv;
	double s = 0, tr = 0;
	size_t i, j;
	int rc = -1;

	gsl_set_error_handler_off();
	if (!R || !T || !M || !l || !w) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < d; i++) {
		s += (m1[i] - m2[i]) * (m1[i] - m2[i]);
		tr += S1[i * d + i] + S2[i * d + i];
	}
	if (sym_sqrt(S1, d, R, err) < 0)
		goto out;
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d, (int)d,
	    (int)d, 1.0, R, (int)d, S2, (int)d, 0.0, T, (int)d);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d, (int)d,
	    (int)d, 1.0, T, (int)d, R, (int)d, 0.0, M, (int)d);
	for (i = 0; i < d; i++)
		for (j = i + 1; j < d; j++)
			M[i * d + j] = M[j * d + i] =
			    (M[i * d + j] + M[j * d + i]) / 2;
	Mv = gsl_matrix_view_array(M, d, d);
	if (gsl_eigen_symm(&Mv.matrix, l, w) != GSL_SUCCESS) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "eigendecomposition failed");
		goto out;
	}
	for (i = 0; i < d; i++) {
		double li = gsl_vector_get(l, i);

		if (li > 0)
			tr -= 2 * sqrt(li);
	}
	s += tr;
	*w2sq = s > 0 ? s : 0;
	rc = 0;
out:
	free(R);
	free(T);
	free(M);
	gsl_vector_free(l);
	if (w)
		gsl_eigen_symm_free(w);
	return rc;
}

/* The gaussian method: W2 of the fitted Gaussians, closed form. */
int
ot_solve_gaussian(const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const double *a, const double *b,
    const double *ltab, struct nsl_ot_result *res, struct nsl_err *err)
{
	size_t d = pr->d;
	double *m1 = malloc(d * sizeof(double)), *m2 = malloc(d *
	    sizeof(double));
	double *S1 = malloc(d * d * sizeof(double)), *S2 = malloc(d * d *
	    sizeof(double));
	int rc = -1;

	(void)o;
	(void)ltab;
	if (!m1 || !m2 || !S1 || !S2) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	nsl_ot_moments(pr->x, pr->n, d, a, NULL, 0, m1, S1);
	nsl_ot_moments(pr->y, pr->m, d, b, NULL, 0, m2, S2);
	rc = nsl_ot_bures(m1, S1, m2, S2, d, &res->value, err);
	res->converged = 1;
out:
	free(m1);
	free(m2);
	free(S1);
	free(S2);
	return rc;
}

/* Points of each class, as index lists into the set. */
static int
class_moments(const double *x, size_t n, size_t d, const double *w,
    const int *lab, size_t k, double *means, double *covs)
{
	size_t *idx = malloc((n ? n : 1) * sizeof(size_t)), c, i, cnt;

	if (idx == NULL)
		return -1;
	for (c = 0; c < k; c++) {
		cnt = 0;
		for (i = 0; i < n; i++)
			if ((size_t)lab[i] == c)
				idx[cnt++] = i;
		nsl_ot_moments(x, n, d, w, idx, cnt, means + c * d,
		    covs + c * d * d);
	}
	free(idx);
	return 0;
}

int
ot_gauss_label_table(const struct nsl_ot_problem *pr, const double *a,
    const double *b, double *ltab, struct nsl_err *err)
{
	size_t d = pr->d, ka = pr->nla, kb = pr->nlb, i, j;
	double *ma = malloc(ka * d * sizeof(double));
	double *Sa = malloc(ka * d * d * sizeof(double));
	double *mb = malloc(kb * d * sizeof(double));
	double *Sb = malloc(kb * d * d * sizeof(double));
	int rc = -1;

	if (!ma || !Sa || !mb || !Sb ||
	    class_moments(pr->x, pr->n, d, a, pr->la, ka, ma, Sa) < 0 ||
	    class_moments(pr->y, pr->m, d, b, pr->lb, kb, mb, Sb) < 0) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < ka; i++)
		for (j = 0; j < kb; j++)
			if (nsl_ot_bures(ma + i * d, Sa + i * d * d, mb + j * d,
			    Sb + j * d * d, d, &ltab[i * kb + j], err) < 0)
				goto out;
	rc = 0;
out:
	free(ma);
	free(Sa);
	free(mb);
	free(Sb);
	return rc;
}
