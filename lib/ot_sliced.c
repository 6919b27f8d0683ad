/*
 * ot_sliced.c - sliced Wasserstein with Gaussian control variates.
 *
 * SW_p^p(mu, nu) = E_theta W_p^p(theta#mu, theta#nu), theta uniform on the
 * unit sphere, is estimated by the mean over L directions (standard
 * normals from --seed's stream 0, normalised).  With p = 2, the control
 * variates of Nguyen and Ho (2023) use the Gaussian approximations of the
 * projected measures, whose W2^2 is bounded below by
 *	Z_lower(theta) = (theta . (m1 - m2))^2
 * and above by
 *	Z_upper(theta) = Z_lower(theta) + theta' S1 theta + theta' S2 theta,
 * with known expectations |m1 - m2|^2 / d and (|m1 - m2|^2 + tr S1 +
 * tr S2) / d.  The estimate is mean(W) - gamma (mean(Z) - E Z), gamma =
 * cov(W, Z) / var(Z) from the same directions; its standard error is the
 * residuals' standard deviation over sqrt(L).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>

#include "nsl/ot.h"
#include "nsl/rng.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_sliced;

struct vw {
	double v, w;
};

static int
cmp_vw(const void *p, const void *q)
{
	const struct vw *a = p, *b = q;

	return (a->v > b->v) - (a->v < b->v);
}

static double
powp(double x, double p)
{
	return p == 2 ? x * x : p == 1 ? x : pow(x, p);
}

/* W_p^p of two sorted weighted sets, by merging their CDFs. */
static double
w1d_sorted(const struct vw *u, size_t n, const struct vw *v, size_t m,
    double p)
{
	size_t i = 0, j = 0;
	double cu = u[0].w, cv = v[0].w, prev = 0, total = 0;

	for (;;) {
		double q = cu < cv ? cu : cv;

		if (q > prev)
			total += (q - prev) * powp(fabs(u[i].v - v[j].v), p);
		if (q > prev)
			prev = q;
		if (cu <= cv) {
			if (++i == n)
				break;
			cu += u[i].w;
		} else {
			if (++j == m)
				break;
			cv += v[j].w;
		}
	}
	return total;
}

double
nsl_ot_wasserstein_1d(double *u, double *wu, size_t n, double *v,
    double *wv, size_t m, double p)
{
	struct vw *a = malloc(n * sizeof(*a)), *b = malloc(m * sizeof(*b));
	size_t i;
	double r;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return NAN;
	}
	for (i = 0; i < n; i++) {
		a[i].v = u[i];
		a[i].w = wu[i];
	}
	for (i = 0; i < m; i++) {
		b[i].v = v[i];
		b[i].w = wv[i];
	}
	qsort(a, n, sizeof(*a), cmp_vw);
	qsort(b, m, sizeof(*b), cmp_vw);
	for (i = 0; i < n; i++) {
		u[i] = a[i].v;
		wu[i] = a[i].w;
	}
	for (i = 0; i < m; i++) {
		v[i] = b[i].v;
		wv[i] = b[i].w;
	}
	r = w1d_sorted(a, n, b, m, p);
	free(a);
	free(b);
	return r;
}

/* Weighted mean and variance of a projection. */
static void
proj_moments(const double *xp, size_t n, size_t stride, const double *w,
    double *mean, double *var)
{
	size_t i;
	double mu = 0, s = 0;

	for (i = 0; i < n; i++)
		mu += w[i] * xp[i * stride];
	for (i = 0; i < n; i++) {
		double t = xp[i * stride] - mu;

		s += w[i] * t * t;
	}
	*mean = mu;
	*var = s;
}

/* The sliced method (no ltab). */
int
ot_solve_sliced(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *ltab,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	size_t n = pr->n, m = pr->m, d = pr->d, L = (size_t)o->projections;
	size_t l, k, i;
	double *theta = malloc(L * d * sizeof(double));
	double *xp = malloc(n * L * sizeof(double));
	double *yp = malloc(m * L * sizeof(double));
	double *W = malloc(L * sizeof(double)), *Z = malloc(L * sizeof(double));
	double p = o->p, mw = 0, mz = 0, ez = 0, vw = 0, vz = 0, cwz = 0;
	double gamma = 0, vr = 0, est;
	gsl_rng *rng = nsl_rng_new(o->seed, 0);
	int rc = -1, fail = 0;
	long ll;

	(void)ltab;
	if (!theta || !xp || !yp || !W || !Z || !rng) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (l = 0; l < L; l++) {
		double s;

		do {
			s = 0;
			for (k = 0; k < d; k++) {
				double t = gsl_ran_gaussian_ziggurat(rng, 1.0);

				theta[l * d + k] = t;
				s += t * t;
			}
		} while (!(s > 0));
		s = sqrt(s);
		for (k = 0; k < d; k++)
			theta[l * d + k] /= s;
	}
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)L,
	    (int)d, 1.0, pr->x, (int)d, theta, (int)d, 0.0, xp, (int)L);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)L,
	    (int)d, 1.0, pr->y, (int)d, theta, (int)d, 0.0, yp, (int)L);
#pragma omp parallel for schedule(dynamic)
	for (ll = 0; ll < (long)L; ll++) {
		struct vw *u = malloc(n * sizeof(*u)), *v = malloc(m *
		    sizeof(*v));
		double m1, v1, m2, v2;
		size_t t;

		if (u == NULL || v == NULL) {
#pragma omp atomic write
			fail = 1;
			free(u);
			free(v);
			continue;
		}
		for (t = 0; t < n; t++) {
			u[t].v = xp[t * L + (size_t)ll];
			u[t].w = a[t];
		}
		for (t = 0; t < m; t++) {
			v[t].v = yp[t * L + (size_t)ll];
			v[t].w = b[t];
		}
		qsort(u, n, sizeof(*u), cmp_vw);
		qsort(v, m, sizeof(*v), cmp_vw);
		W[ll] = w1d_sorted(u, n, v, m, p);
		free(u);
		free(v);
		proj_moments(xp + ll, n, L, a, &m1, &v1);
		proj_moments(yp + ll, m, L, b, &m2, &v2);
		Z[ll] = (m1 - m2) * (m1 - m2);
		if (o->cv == NSL_OT_CV_UPPER)
			Z[ll] += v1 + v2;
	}
	if (fail) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (l = 0; l < L; l++) {
		mw += W[l];
		mz += Z[l];
	}
	mw /= (double)L;
	mz /= (double)L;
	for (l = 0; l < L; l++) {
		vw += (W[l] - mw) * (W[l] - mw);
		vz += (Z[l] - mz) * (Z[l] - mz);
		cwz += (W[l] - mw) * (Z[l] - mz);
	}
	vw /= (double)(L - 1);
	vz /= (double)(L - 1);
	cwz /= (double)(L - 1);
	est = mw;
	if (o->cv != NSL_OT_CV_NONE) {
		double *m1 = calloc(d, sizeof(double)), *m2 = calloc(d,
		    sizeof(double));
		double tr = 0;

		if (m1 == NULL || m2 == NULL) {
			free(m1);
			free(m2);
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		for (i = 0; i < n; i++)
			for (k = 0; k < d; k++)
				m1[k] += a[i] * pr->x[i * d + k];
		for (i = 0; i < m; i++)
			for (k = 0; k < d; k++)
				m2[k] += b[i] * pr->y[i * d + k];
		for (k = 0; k < d; k++)
			ez += (m1[k] - m2[k]) * (m1[k] - m2[k]);
		if (o->cv == NSL_OT_CV_UPPER) {
			for (i = 0; i < n; i++)
				for (k = 0; k < d; k++)
					tr += a[i] * (pr->x[i * d + k] -
					    m1[k]) * (pr->x[i * d + k] - m1[k]);
			for (i = 0; i < m; i++)
				for (k = 0; k < d; k++)
					tr += b[i] * (pr->y[i * d + k] -
					    m2[k]) * (pr->y[i * d + k] - m2[k]);
			ez += tr;
		}
		ez /= (double)d;
		free(m1);
		free(m2);
		gamma = vz > 0 ? cwz / vz : 0;
		est = mw - gamma * (mz - ez);
		for (l = 0; l < L; l++) {
			double r = W[l] - gamma * (Z[l] - ez) - est;

			vr += r * r;
		}
		vr /= (double)(L - 1);
		res->variance_reduction = vr > 0 ? vw / vr : INFINITY;
	} else {
		vr = vw;
	}
	res->value = est;
	res->std_error = sqrt(vr / (double)L);
	res->iterations = (long)L;
	res->converged = 1;
	rc = 0;
out:
	free(theta);
	free(xp);
	free(yp);
	free(W);
	free(Z);
	if (rng)
		gsl_rng_free(rng);
	return rc;
}
