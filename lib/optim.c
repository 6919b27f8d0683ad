/*
 * optim.c - objectives, Levenberg-Marquardt and BFGS refinement,
 * variable projection, the start design, nested and perturbed starts,
 * degeneracy, the bootstrap (see nsl/optim.h).
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>

#include "nsl/optim.h"
#include "nsl/rng.h"

#define MAXP NSL_LAW_MAX_PARAMS

int
nsl_loss_parse(const char *name)
{
	if (strcmp(name, "huber") == 0)
		return NSL_LOSS_HUBER;
	if (strcmp(name, "ls") == 0)
		return NSL_LOSS_LS;
	if (strcmp(name, "log-ls") == 0)
		return NSL_LOSS_LOGLS;
	return -1;
}

const char *
nsl_loss_name(enum nsl_loss l)
{
	return l == NSL_LOSS_HUBER ? "huber" : l == NSL_LOSS_LS ? "ls" :
	    "log-ls";
}

/* Point i's term w rho of the objective at prediction yh. */
static inline double
point_rho(const struct nsl_problem *p, const double *ly, size_t i, double yh)
{
	double w = p->w != NULL ? p->w[i] : 1, r;

	if (w == 0)
		return 0;
	if (p->loss == NSL_LOSS_LS) {
		r = yh - p->y[i];
		return w * r * r;
	}
	if (!(yh > 0))
		return INFINITY;
	r = log(yh) - (ly != NULL ? ly[i] : log(p->y[i]));
	if (p->loss == NSL_LOSS_LOGLS)
		return w * r * r;
	if (fabs(r) <= p->delta)
		return w * 0.5 * r * r;
	return w * p->delta * (fabs(r) - 0.5 * p->delta);
}

double
nsl_optim_objective(const struct nsl_problem *p, const double *theta,
    double *grad)
{
	const struct nsl_law *law = p->law;
	size_t i, k, np = law->np, nv = law->nvars;
	double f = 0, g[MAXP];

	if (grad != NULL)
		memset(grad, 0, np * sizeof(double));
	for (i = 0; i < p->n; i++) {
		double w = p->w != NULL ? p->w[i] : 1, yh, r, rho, psi;

		if (w == 0)
			continue;
		yh = nsl_law_eval(law, theta, p->x + i * nv,
		    grad != NULL ? g : NULL);
		if (p->loss == NSL_LOSS_LS) {
			r = yh - p->y[i];
			rho = r * r;
			psi = 2 * r;
		} else {
			if (!(yh > 0))
				return INFINITY;
			r = log(yh) - log(p->y[i]);
			if (p->loss == NSL_LOSS_LOGLS) {
				rho = r * r;
				psi = 2 * r;
			} else if (fabs(r) <= p->delta) {
				rho = 0.5 * r * r;
				psi = r;
			} else {
				rho = p->delta * (fabs(r) - 0.5 * p->delta);
				psi = r > 0 ? p->delta : -p->delta;
			}
			psi /= yh;	/* d log yhat = d yhat / yhat */
		}
		f += w * rho;
		if (grad != NULL)
			for (k = 0; k < np; k++)
				grad[k] += w * psi * g[k];
	}
	if (!isfinite(f))
		return INFINITY;
	return f;
}

/* --- pseudo-residuals and the Jacobian -------------------------------- */

/*
 * A residual that cannot be evaluated (the law not positive under a log
 * objective, an overflow) counts as this much, so that a trial step
 * reaching it has a larger residual norm than any finite start and is
 * rejected (GSL takes a NaN norm for an improvement).
 */
#define BIG_RESID 1e100

/* The free parameters: those not fixed. */
static size_t
free_params(const struct nsl_problem *p, size_t *fr)
{
	size_t j, k = 0;

	for (j = 0; j < p->law->np; j++)
		if (p->fixed == NULL || !p->fixed[j])
			fr[k++] = j;
	return k;
}

/*
 * Point i's pseudo-residual s (1/2 s^2 is its term of the objective) and
 * ds/dyhat, from yhat; ly: log y of every point, or NULL.  Returns -1
 * when they are not finite.
 */
static inline int
presid(const struct nsl_problem *p, const double *ly, size_t i, double yh,
    double *s, double *ds)
{
	double w = p->w != NULL ? p->w[i] : 1, r, sw, a;

	if (w == 0) {
		*s = *ds = 0;
		return isfinite(yh) ? 0 : -1;
	}
	if (p->loss == NSL_LOSS_LS) {
		sw = sqrt(2 * w);
		*s = sw * (yh - p->y[i]);
		*ds = sw;
	} else {
		if (!(yh > 0))
			return -1;
		r = log(yh) - (ly != NULL ? ly[i] : log(p->y[i]));
		if (p->loss == NSL_LOSS_LOGLS || fabs(r) <= p->delta) {
			sw = p->loss == NSL_LOSS_LOGLS ? sqrt(2 * w) : sqrt(w);
			*s = sw * r;
			*ds = sw / yh;
		} else {
			a = sqrt(p->delta * (2 * fabs(r) - p->delta));
			sw = sqrt(w);
			*s = r > 0 ? sw * a : -sw * a;
			*ds = sw * p->delta / (a * yh);
		}
	}
	return isfinite(*s) && isfinite(*ds) ? 0 : -1;
}

/*
 * J'J (k x k, row-major, full), J's and s's over the free parameters fr
 * at theta.  Returns -1 if a residual or derivative is not finite.
 */
static int
jac_stats(const struct nsl_problem *p, const double *theta, const size_t *fr,
    size_t k, double *G, double *g, double *ss)
{
	const struct nsl_law *law = p->law;
	double gr[MAXP], row[MAXP], s, ds;
	size_t i, a, b;

	memset(G, 0, k * k * sizeof(double));
	memset(g, 0, k * sizeof(double));
	*ss = 0;
	for (i = 0; i < p->n; i++) {
		double yh = nsl_law_eval(law, theta, p->x + i * law->nvars, gr);

		if (presid(p, NULL, i, yh, &s, &ds) != 0)
			return -1;
		for (a = 0; a < k; a++) {
			row[a] = ds * gr[fr[a]];
			if (!isfinite(row[a]))
				return -1;
		}
		*ss += s * s;
		for (a = 0; a < k; a++) {
			g[a] += row[a] * s;
			for (b = 0; b <= a; b++)
				G[a * k + b] += row[a] * row[b];
		}
	}
	for (a = 0; a < k; a++)
		for (b = 0; b < a; b++)
			G[b * k + a] = G[a * k + b];
	return 0;
}

double
nsl_optim_stationarity(const struct nsl_problem *p, const double *theta)
{
	double G[MAXP * MAXP], g[MAXP], ss, worst = 0, scale = 0;
	size_t fr[MAXP], k = free_params(p, fr), a, i;

	if (jac_stats(p, theta, fr, k, G, g, &ss) != 0)
		return INFINITY;
	/*
	 * A perfect fit (residuals below 1e-10 of the data, rms; of 1 for the
	 * log objectives) leaves residuals of rounding noise, whose angle to
	 * the Jacobian means nothing: it is stationary.
	 */
	for (i = 0; i < p->n; i++) {
		double w = p->w != NULL ? p->w[i] : 1;

		scale += 2 * w * (p->loss == NSL_LOSS_LS ? p->y[i] * p->y[i] :
		    1);
	}
	if (ss <= 1e-20 * scale)
		return 0;
	for (a = 0; a < k; a++) {
		double c;

		if (G[a * k + a] == 0)
			continue;
		c = fabs(g[a]) / sqrt(G[a * k + a] * ss);
		if (c > worst)
			worst = c;
	}
	return worst;
}

/* --- local refinement ------------------------------------------------ */

struct refine_ctx {
	const struct nsl_problem *p;
	const double *ly;	/* log y, or NULL */
	double theta[MAXP];	/* full vector; free entries come from v */
	size_t free[MAXP];
	size_t nfree;
};

static void
ctx_theta(struct refine_ctx *c, const gsl_vector *v)
{
	size_t j;

	for (j = 0; j < c->nfree; j++)
		c->theta[c->free[j]] = gsl_vector_get(v, j);
}

static int
lm_f(const gsl_vector *v, void *arg, gsl_vector *f)
{
	struct refine_ctx *c = arg;
	const struct nsl_problem *p = c->p;
	size_t i, nv = p->law->nvars;
	double s, ds;

	ctx_theta(c, v);
	for (i = 0; i < p->n; i++) {
		double yh = nsl_law_eval(p->law, c->theta, p->x + i * nv, NULL);

		if (presid(p, c->ly, i, yh, &s, &ds) != 0)
			s = BIG_RESID;
		gsl_vector_set(f, i, s);
	}
	return GSL_SUCCESS;
}

static int
lm_df(const gsl_vector *v, void *arg, gsl_matrix *J)
{
	struct refine_ctx *c = arg;
	const struct nsl_problem *p = c->p;
	size_t i, a, nv = p->law->nvars;
	double s, ds, gr[MAXP];

	ctx_theta(c, v);
	for (i = 0; i < p->n; i++) {
		double yh = nsl_law_eval(p->law, c->theta, p->x + i * nv, gr);
		int bad = presid(p, c->ly, i, yh, &s, &ds) != 0;

		for (a = 0; a < c->nfree; a++) {
			double d = bad ? 0 : ds * gr[c->free[a]];

			gsl_matrix_set(J, i, a, isfinite(d) ? d : 0);
		}
	}
	return GSL_SUCCESS;
}

/*
 * Levenberg-Marquardt with geodesic acceleration (Transtrum and Sethna
 * 2012) on the pseudo-residuals, More's scaling (invariant to the units
 * of each parameter) and a QR solver (no squared condition number, which
 * the ill-conditioned NIST problems need).  It stops when a step changes
 * no parameter by more than 1e-15 of itself, after 10 steps that gain
 * less than 1e-15 relative together, when no step can lower the
 * objective, or after maxiter steps.  c->theta, *f: in and out.
 */
static int
lm_refine(struct refine_ctx *c, double *f, size_t maxiter)
{
	const struct nsl_problem *p = c->p;
	gsl_multifit_nlinear_parameters par =
	    gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_workspace *w;
	gsl_multifit_nlinear_fdf fdf;
	gsl_vector *x;
	double t0[MAXP], fw = *f, ref = *f;
	size_t j, it = 0, since = 0;
	int info, capped = 0;

	if (p->n < c->nfree)
		return 0;
	par.trs = gsl_multifit_nlinear_trs_lmaccel;
	par.scale = gsl_multifit_nlinear_scale_more;
	par.solver = gsl_multifit_nlinear_solver_qr;
	memset(&fdf, 0, sizeof(fdf));
	fdf.f = lm_f;
	fdf.df = lm_df;
	fdf.fvv = NULL;		/* GSL's finite difference along v */
	fdf.n = p->n;
	fdf.p = c->nfree;
	fdf.params = c;
	memcpy(t0, c->theta, p->law->np * sizeof(double));
	w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, p->n,
	    c->nfree);
	x = gsl_vector_alloc(c->nfree);
	if (w == NULL || x == NULL)
		goto out;
	for (j = 0; j < c->nfree; j++)
		gsl_vector_set(x, j, t0[c->free[j]]);
	if (gsl_multifit_nlinear_init(x, &fdf, w) != GSL_SUCCESS)
		goto out;
	for (it = 0; it < maxiter; it++) {
		double fn;

		if (gsl_multifit_nlinear_iterate(w) != GSL_SUCCESS)
			break;
		fn = gsl_blas_dnrm2(w->f);
		fn = 0.5 * fn * fn;
		if (fn < fw)
			fw = fn;
		if (gsl_multifit_nlinear_test(1e-15, 0, 0, &info, w) ==
		    GSL_SUCCESS)
			break;
		if (++since == 10) {
			if (!(ref - fw > 1e-10 * ref))
				break;
			since = 0;
			ref = fw;
		}
	}
	capped = it == maxiter;
	ctx_theta(c, w->x);
	fw = nsl_optim_objective(p, c->theta, NULL);
	if (isfinite(fw) && fw <= *f)
		*f = fw;
	else
		memcpy(c->theta, t0, p->law->np * sizeof(double));
out:
	gsl_vector_free(x);
	if (w != NULL)
		gsl_multifit_nlinear_free(w);
	return capped;
}

/*
 * Levenberg-Marquardt on iteratively reweighted least squares: with
 * residuals r_i (log or plain) and Jacobian J, Huber's weights
 * v_i = w_i psi(r_i)/r_i make sum v_i r_i^2 / 2 a majoriser of the
 * objective at the current point, so each damped Gauss-Newton step of
 * that least-squares problem that lowers the true objective is kept.
 * This converges in tens of iterations where BFGS, facing the kinks of
 * a small-delta Huber loss, needs hundreds, and faster than LM on the
 * pseudo-residuals, whose Gauss-Newton model has half the curvature of
 * this majoriser in the linear part (so steps overshoot).  BFGS2 then
 * polishes.  Returns 1 if it used all maxiter steps.
 */
#define IRLS_FLAT 1e-13

static int
irls_refine(struct refine_ctx *c, double *f, size_t maxiter)
{
	const struct nsl_problem *p = c->p;
	const struct nsl_law *law = p->law;
	size_t k = c->nfree, nv = law->nvars, i, a, b, it;
	double A[MAXP * MAXP], g[MAXP], M[MAXP * MAXP], s[MAXP], gr[MAXP];
	double t2[MAXP], mu = 1e-3;
	int flat = 0;

	for (it = 0; it < maxiter; it++) {
		int accepted = 0;

		memset(A, 0, k * k * sizeof(double));
		memset(g, 0, k * sizeof(double));
		for (i = 0; i < p->n; i++) {
			double w = p->w != NULL ? p->w[i] : 1, yh, r, v;

			if (w == 0)
				continue;
			yh = nsl_law_eval(law, c->theta, p->x + i * nv, gr);
			if (p->loss == NSL_LOSS_LS) {
				r = yh - p->y[i];
				v = w;
			} else {
				r = log(yh) - (c->ly != NULL ? c->ly[i] :
				    log(p->y[i]));
				for (a = 0; a < k; a++)
					gr[c->free[a]] /= yh;
				v = w;
				if (p->loss == NSL_LOSS_HUBER &&
				    fabs(r) > p->delta)
					v = w * p->delta / fabs(r);
			}
			for (a = 0; a < k; a++) {
				double ja = gr[c->free[a]];

				g[a] += v * ja * r;
				for (b = 0; b <= a; b++)
					A[a * k + b] += v * ja *
					    gr[c->free[b]];
			}
		}
		if (!isfinite(g[0]))
			return 0;
		while (mu < 1e12) {
			double fn;
			int ok = 1;

			/* Cholesky of A + mu diag(A) (lower triangle). */
			for (a = 0; a < k && ok; a++)
				for (b = 0; b <= a; b++) {
					double sum = A[a * k + b], d;
					size_t q;

					if (a == b)
						sum += mu * (A[a * k + a] +
						    1e-300);
					for (q = 0; q < b; q++)
						sum -= M[a * k + q] *
						    M[b * k + q];
					if (a == b) {
						if (!(sum > 0)) {
							ok = 0;
							break;
						}
						M[a * k + a] = sqrt(sum);
					} else {
						d = M[b * k + b];
						M[a * k + b] = sum / d;
					}
				}
			if (!ok) {
				mu *= 4;
				continue;
			}
			for (a = 0; a < k; a++) {
				double sum = -g[a];

				for (b = 0; b < a; b++)
					sum -= M[a * k + b] * s[b];
				s[a] = sum / M[a * k + a];
			}
			for (a = k; a-- > 0;) {
				double sum = s[a];

				for (b = a + 1; b < k; b++)
					sum -= M[b * k + a] * s[b];
				s[a] = sum / M[a * k + a];
			}
			memcpy(t2, c->theta, law->np * sizeof(double));
			for (a = 0; a < k; a++)
				t2[c->free[a]] += s[a];
			fn = nsl_optim_objective(p, t2, NULL);
			if (isfinite(fn) && fn <= *f) {
				flat = *f - fn <= IRLS_FLAT * *f ? flat + 1 : 0;
				*f = fn;
				memcpy(c->theta, t2, law->np * sizeof(double));
				mu = mu / 3 > 1e-12 ? mu / 3 : 1e-12;
				accepted = 1;
				break;
			}
			mu *= 4;
		}
		if (!accepted || flat >= 3)
			return 0;
	}
	return 1;
}

static double
fn_f(const gsl_vector *v, void *arg)
{
	struct refine_ctx *c = arg;
	double f;

	ctx_theta(c, v);
	f = nsl_optim_objective(c->p, c->theta, NULL);
	return isfinite(f) ? f : GSL_POSINF;
}

static void
fn_fdf(const gsl_vector *v, void *arg, double *f, gsl_vector *gv)
{
	struct refine_ctx *c = arg;
	double g[MAXP];
	size_t j;

	ctx_theta(c, v);
	*f = nsl_optim_objective(c->p, c->theta, g);
	for (j = 0; j < c->nfree; j++)
		gsl_vector_set(gv, j, isfinite(*f) ? g[c->free[j]] : 0);
	if (!isfinite(*f))
		*f = GSL_POSINF;
}

static void
fn_df(const gsl_vector *v, void *arg, gsl_vector *gv)
{
	double f;

	fn_fdf(v, arg, &f, gv);
}

/*
 * BFGS2 on the exact objective: after LM on huber's pseudo-residuals,
 * whose Gauss-Newton model has curvature where the objective has none
 * (its linear parts), this finishes the descent.  theta, *f: in and out.
 */
static void
bfgs_polish(struct refine_ctx *c, double *theta, double *f, size_t maxiter)
{
	gsl_multimin_fdfminimizer *m;
	gsl_multimin_function_fdf fdf;
	gsl_vector *v;
	double best = *f;
	size_t j, it;

	fdf.n = c->nfree;
	fdf.f = fn_f;
	fdf.df = fn_df;
	fdf.fdf = fn_fdf;
	fdf.params = c;
	v = gsl_vector_alloc(c->nfree);
	m = gsl_multimin_fdfminimizer_alloc(
	    gsl_multimin_fdfminimizer_vector_bfgs2, c->nfree);
	if (v == NULL || m == NULL)
		goto out;
	memcpy(c->theta, theta, c->p->law->np * sizeof(double));
	for (j = 0; j < c->nfree; j++)
		gsl_vector_set(v, j, theta[c->free[j]]);
	if (gsl_multimin_fdfminimizer_set(m, &fdf, v, 0.01, 0.1) ==
	    GSL_SUCCESS) {
		int flat = 0;

		for (it = 0; it < maxiter; it++) {
			int st = gsl_multimin_fdfminimizer_iterate(m);
			double fm = gsl_multimin_fdfminimizer_minimum(m);

			/* stop after 5 steps that gain < 1e-12 relative */
			if (isfinite(fm) && best - fm <= 1e-12 * fabs(best))
				flat++;
			else
				flat = 0;
			if (isfinite(fm) && fm < best) {
				best = fm;
				for (j = 0; j < c->nfree; j++)
					theta[c->free[j]] = gsl_vector_get(
					    m->x, j);
			}
			if (st != GSL_SUCCESS)
				break;
			if (flat >= 5 || gsl_multimin_test_gradient(m->gradient,
			    1e-13) == GSL_SUCCESS)
				break;
		}
	}
	*f = best;
out:
	gsl_multimin_fdfminimizer_free(m);
	gsl_vector_free(v);
}

static pthread_once_t gsl_quiet_once = PTHREAD_ONCE_INIT;

static void
gsl_quiet_init(void)
{
	gsl_set_error_handler_off();
}

/* GSL reports through our return values, never by aborting. */
static void
gsl_quiet(void)
{
	pthread_once(&gsl_quiet_once, gsl_quiet_init);
}

/* log y of every point for the log objectives (NULL for ls, or when out
 * of memory: then each use takes its log). */
static double *
log_y(const struct nsl_problem *p)
{
	double *ly;
	size_t i;

	if (p->loss == NSL_LOSS_LS || (ly = malloc((p->n ? p->n : 1) *
	    sizeof(double))) == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		ly[i] = log(p->y[i]);
	return ly;
}

/*
 * Refinement; *capped: LM used all maxiter steps (it may go on).  near:
 * theta is close to the optimum (a bootstrap resample from the fit), where
 * huber's IRLS converges in fewer steps than LM on the pseudo-residuals;
 * from farther, LM's geodesic acceleration and More's scaling take a
 * third of IRLS's steps (a scale of 1e4 to cross in a parameter).
 */
static int
refine(const struct nsl_problem *p, double *theta, double *fout,
    size_t maxiter, int near, int *capped)
{
	struct refine_ctx c;
	double f;

	*capped = 0;
	c.p = p;
	c.ly = NULL;
	memcpy(c.theta, theta, p->law->np * sizeof(double));
	c.nfree = free_params(p, c.free);
	f = nsl_optim_objective(p, theta, NULL);
	if (!isfinite(f))
		return -1;
	if (c.nfree > 0) {
		double *ly = log_y(p);

		c.ly = ly;
		*capped = p->loss == NSL_LOSS_HUBER && near ?
		    irls_refine(&c, &f, maxiter) : lm_refine(&c, &f, maxiter);
		memcpy(theta, c.theta, p->law->np * sizeof(double));
		if (p->loss == NSL_LOSS_HUBER || p->n < c.nfree)
			bfgs_polish(&c, theta, &f, maxiter);
		free(ly);
	}
	*fout = f;
	return 0;
}

int
nsl_optim_refine(const struct nsl_problem *p, double *theta, double *fout,
    size_t maxiter)
{
	int capped;

	gsl_quiet();
	return refine(p, theta, fout, maxiter, 1, &capped);
}

/* --- variable projection ------------------------------------------------ */

/*
 * Non-negative weighted least squares for m <= 4 unknowns from the normal
 * equations (G = Phi' W Phi, h = Phi' W t, tt = t' W t): every active set is
 * solved and the best feasible one kept.  Returns the residual sum.
 */
static double
nnls_small(const double *G, const double *h, double tt, size_t m,
    double *c)
{
	double best = tt;
	unsigned s, S = 1u << m;
	size_t i;

	for (i = 0; i < m; i++)
		c[i] = 0;
	for (s = 1; s < S; s++) {
		double A[16], b[4], sol[4], r;
		size_t idx[4], k = 0, a, q;
		int ok = 1;

		for (i = 0; i < m; i++)
			if (s & (1u << i))
				idx[k++] = i;
		for (a = 0; a < k; a++) {
			b[a] = h[idx[a]];
			for (q = 0; q < k; q++)
				A[a * k + q] = G[idx[a] * m + idx[q]];
		}
		/* Gaussian elimination with partial pivoting. */
		for (a = 0; a < k && ok; a++) {
			size_t piv = a;
			double t;

			for (q = a + 1; q < k; q++)
				if (fabs(A[q * k + a]) > fabs(A[piv * k + a]))
					piv = q;
			if (!(fabs(A[piv * k + a]) > 1e-300)) {
				ok = 0;
				break;
			}
			if (piv != a) {
				for (q = 0; q < k; q++) {
					t = A[a * k + q];
					A[a * k + q] = A[piv * k + q];
					A[piv * k + q] = t;
				}
				t = b[a];
				b[a] = b[piv];
				b[piv] = t;
			}
			for (q = a + 1; q < k; q++) {
				double fct = A[q * k + a] / A[a * k + a];
				size_t z;

				for (z = a; z < k; z++)
					A[q * k + z] -= fct * A[a * k + z];
				b[q] -= fct * b[a];
			}
		}
		if (!ok)
			continue;
		for (a = k; a-- > 0;) {
			double t = b[a];

			for (q = a + 1; q < k; q++)
				t -= A[a * k + q] * sol[q];
			sol[a] = t / A[a * k + a];
			if (!(sol[a] > 0))
				ok = 0;
		}
		if (!ok)
			continue;
		/* r = tt - 2 c'h + c'Gc */
		r = tt;
		for (a = 0; a < k; a++) {
			r -= 2 * sol[a] * h[idx[a]];
			for (q = 0; q < k; q++)
				r += sol[a] * sol[q] * G[idx[a] * m + idx[q]];
		}
		if (r < best) {
			best = r;
			for (i = 0; i < m; i++)
				c[i] = 0;
			for (a = 0; a < k; a++)
				c[idx[a]] = sol[a];
		}
	}
	return best;
}

/*
 * Least squares G c = h for m unknowns by Cholesky, with a ridge of
 * 1e-12 of the largest diagonal (grown until the factor exists), so that
 * a rank-deficient basis still gives a finite answer.  Returns -1 if
 * none does.
 */
static int
ls_small(const double *G, const double *h, size_t m, double *c)
{
	double L[MAXP * MAXP], dmax = 0, ridge;
	size_t a, b, q;
	int tries;

	for (a = 0; a < m; a++)
		if (G[a * m + a] > dmax)
			dmax = G[a * m + a];
	if (!(dmax > 0) || !isfinite(dmax))
		return -1;
	ridge = 1e-12 * dmax;
	for (tries = 0; tries < 8; tries++, ridge *= 100) {
		int ok = 1;

		for (a = 0; a < m && ok; a++)
			for (b = 0; b <= a; b++) {
				double sum = G[a * m + b];

				if (a == b)
					sum += ridge;
				for (q = 0; q < b; q++)
					sum -= L[a * m + q] * L[b * m + q];
				if (a == b) {
					if (!(sum > 0)) {
						ok = 0;
						break;
					}
					L[a * m + a] = sqrt(sum);
				} else
					L[a * m + b] = sum / L[b * m + b];
			}
		if (!ok)
			continue;
		for (a = 0; a < m; a++) {
			double sum = h[a];

			for (q = 0; q < a; q++)
				sum -= L[a * m + q] * c[q];
			c[a] = sum / L[a * m + a];
		}
		for (a = m; a-- > 0;) {
			double sum = c[a];

			for (q = a + 1; q < m; q++)
				sum -= L[q * m + a] * c[q];
			c[a] = sum / L[a * m + a];
		}
		return 0;
	}
	return -1;
}

/* The report value of linear coefficient theta[k]. */
static double
lin_value(const struct nsl_law *law, const double *theta, size_t k)
{
	return nsl_law_param_is_log(law, k) ? exp(theta[k]) : theta[k];
}

/*
 * Variable projection at theta (non-linear entries set): solve the linear
 * coefficients flagged in solve[] (NULL: all free ones) and write them
 * into theta; the others, fixed or not flagged, move to the target side.
 * Log-space coefficients (catalogue laws) are solved non-negative, at
 * least a floor that keeps their log finite.  Returns -1 if the basis is
 * not finite or the system has no solution.
 */
static int
project_ws(const struct nsl_problem *p, double *theta,
    const unsigned char *solve, double *ws, const double *ly, double *fout)
{
	const struct nsl_law *law = p->law;
	size_t m = law->nlin, i, a, b, nv = law->nvars;
	size_t fm[MAXP], nf = 0;
	double G[MAXP * MAXP], hv[MAXP], c[MAXP], phi[MAXP], phimax[MAXP];
	double tt, ymax = 0, h;
	int iter, iters = law->def->flags & NSL_LAWF_BASIS_COEF ? 3 : 1;
	int nonneg = m > 0 && nsl_law_param_is_log(law, law->lin[0]);

	for (a = 0; a < m; a++) {
		size_t k = law->lin[a];

		if ((p->fixed == NULL || !p->fixed[k]) &&
		    (solve == NULL || solve[k]))
			fm[nf++] = a;
	}
	if (nf == 0)
		return 0;
	if (nonneg && nf > 4)
		return -1;
	for (iter = 0; iter < iters; iter++) {
		memset(G, 0, nf * nf * sizeof(double));
		memset(hv, 0, nf * sizeof(double));
		memset(phimax, 0, m * sizeof(double));
		tt = 0;
		for (i = 0; i < p->n; i++) {
			double w = p->w != NULL ? p->w[i] : 1, t = p->y[i];

			if (w == 0)
				continue;
			if (nsl_law_basis(law, theta, p->x + i * nv, phi,
			    &h) != 0)
				return -1;
			if (!isfinite(h))
				return -1;
			if (ws != NULL) {
				ws[i * (m + 1)] = h;
				memcpy(ws + i * (m + 1) + 1, phi,
				    m * sizeof(double));
			}
			t -= h;
			for (a = 0; a < m; a++) {
				if (!isfinite(phi[a]))
					return -1;
				if (fabs(phi[a]) > phimax[a])
					phimax[a] = fabs(phi[a]);
			}
			/* coefficients not solved move to the target side */
			for (a = 0, b = 0; a < m; a++) {
				if (b < nf && fm[b] == a) {
					b++;
					continue;
				}
				t -= lin_value(law, theta, law->lin[a]) *
				    phi[a];
			}
			if (p->loss != NSL_LOSS_LS)
				w /= p->y[i] * p->y[i];
			if (fabs(p->y[i]) > ymax)
				ymax = fabs(p->y[i]);
			for (a = 0; a < nf; a++) {
				hv[a] += w * phi[fm[a]] * t;
				for (b = 0; b <= a; b++)
					G[a * nf + b] += w * phi[fm[a]] *
					    phi[fm[b]];
			}
			tt += w * t * t;
		}
		for (a = 0; a < nf; a++)
			for (b = 0; b < a; b++)
				G[b * nf + a] = G[a * nf + b];
		if (nonneg) {
			nnls_small(G, hv, tt, nf, c);
			for (a = 0; a < nf; a++) {
				double fl = 1e-10 * ymax /
				    (phimax[fm[a]] + 1e-300);

				theta[law->lin[fm[a]]] = log(c[a] > fl ? c[a] :
				    fl);
			}
		} else {
			if (ls_small(G, hv, nf, c) != 0)
				return -1;
			for (a = 0; a < nf; a++) {
				if (!isfinite(c[a]))
					return -1;
				theta[law->lin[fm[a]]] = c[a];
			}
		}
	}
	if (fout != NULL) {
		/* the objective from the basis: y = h + sum c phi */
		double f = 0, cv[MAXP];

		for (a = 0; a < m; a++)
			cv[a] = lin_value(law, theta, law->lin[a]);
		for (i = 0; i < p->n; i++) {
			const double *row = ws + i * (m + 1);
			double yh = row[0];

			if (p->w != NULL && p->w[i] == 0)
				continue;
			for (a = 0; a < m; a++)
				yh += cv[a] * row[1 + a];
			f += point_rho(p, ly, i, yh);
		}
		*fout = isfinite(f) ? f : INFINITY;
	}
	return 0;
}

static int
project(const struct nsl_problem *p, double *theta,
    const unsigned char *solve)
{
	return project_ws(p, theta, solve, NULL, NULL, NULL);
}

/* --- the design -------------------------------------------------------- */

/*
 * A design dimension: how a coordinate u in [0, 1) becomes a fit-space
 * value of parameter k.
 */
enum dim_kind {
	DIM_UNIFORM,	/* lo + (hi - lo) u */
	DIM_MAG,	/* sign exp(lo + (hi - lo) u): log-uniform magnitude */
	DIM_SYM		/* +-exp(lo + (hi-lo) (2u mod 1)), - if u < .5 */
};

struct dim {
	size_t k;
	enum dim_kind kind;
	double lo, hi, sign;
};

static double
dim_value(const struct dim *d, double u)
{
	switch (d->kind) {
	case DIM_MAG:
		return d->sign * exp(d->lo + (d->hi - d->lo) * u);
	case DIM_SYM:
		return (u < 0.5 ? -1 : 1) * exp(d->lo + (d->hi - d->lo) *
		    (2 * u - (u < 0.5 ? 0 : 1)));
	default:
		return d->lo + (d->hi - d->lo) * u;
	}
}

/* The design range of catalogue parameter k in fit space. */
static void
param_range(const struct nsl_problem *p, size_t k, double *lo, double *hi)
{
	const struct nsl_law *law = p->law;
	size_t i, nv = law->nvars;
	int v = law->pvar[k];
	double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;

	for (i = 0; i < p->n; i++) {
		double a = fabs(p->y[i]);

		if (v >= 0) {
			double xv = fabs(p->x[i * nv + (size_t)v]);

			if (xv > 0 && xv < xmin)
				xmin = xv;
			if (xv > xmax)
				xmax = xv;
		}
		if (a > 0 && a < ymin)
			ymin = a;
		if (a > ymax)
			ymax = a;
	}
	if (!(xmax > 0))
		xmin = xmax = 1;
	if (!(ymax > 0))
		ymin = ymax = 1;
	switch (law->ptype[k]) {
	case NSL_PT_EXPO:
		*lo = law->def->expo_lo;
		*hi = law->def->expo_hi;
		break;
	case NSL_PT_RATE:
		if (v >= 0) {
			*lo = log(0.01 / xmax);
			*hi = log(100 / xmax);
		} else {
			*lo = log(0.01);
			*hi = log(100);
		}
		break;
	case NSL_PT_SCALE:
		*lo = log(xmin);
		*hi = log(xmax) + law->def->scale_pad;
		break;
	case NSL_PT_COEF:
	default:
		*lo = log(ymin) - 5;
		*hi = log(ymax) + 5;
		break;
	}
}

/* Parameter k's design dimension; a formula's around start s. */
static void
make_dim(const struct nsl_problem *p, size_t k, double s, struct dim *d)
{
	d->k = k;
	d->sign = 1;
	if (p->law->ptype[k] != NSL_PT_FREE) {
		d->kind = DIM_UNIFORM;
		param_range(p, k, &d->lo, &d->hi);
	} else if (s != 0 && isfinite(s)) {
		d->kind = DIM_MAG;
		d->sign = s < 0 ? -1 : 1;
		d->lo = log(fabs(s)) - log(100);
		d->hi = log(fabs(s)) + log(100);
	} else {
		d->kind = DIM_SYM;
		d->lo = log(1e-3);
		d->hi = log(1e3);
	}
}

/* A refined (or to be refined) start. */
struct cand {
	double theta[MAXP];
	double f;
	int ok;			/* refinement gave a finite objective */
	int capped;		/* it stopped at its iteration budget */
	size_t budget;		/* steps of its next refinement */
	int ndeg;		/* degeneracies, -1: not yet counted */
};

struct pool {
	struct cand *c;
	size_t n, cap;
};

static struct cand *
pool_add(struct pool *pl, const double *theta, size_t np)
{
	struct cand *c;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? 2 * pl->cap : 32;
		struct cand *nc = realloc(pl->c, cap * sizeof(*nc));

		if (nc == NULL)
			return NULL;
		pl->c = nc;
		pl->cap = cap;
	}
	c = &pl->c[pl->n++];
	memcpy(c->theta, theta, np * sizeof(double));
	c->f = INFINITY;
	c->ok = 0;
	c->capped = 0;
	c->budget = 0;
	c->ndeg = -1;
	return c;
}

/* Refine candidates from..n of the pool, in parallel, each for its own
 * budget of steps (0: skip it; a refined one goes on from where it
 * stopped); the same results whatever the number of threads. */
static void
refine_range(const struct nsl_problem *p, struct pool *pl, size_t from)
{
	long j;

#pragma omp parallel for schedule(dynamic, 1)
	for (j = (long)from; j < (long)pl->n; j++) {
		struct cand *c = &pl->c[j];

		if (c->budget == 0)
			continue;
		c->ok = refine(p, c->theta, &c->f, c->budget, 0, &c->capped) ==
		    0 && isfinite(c->f);
		if (!c->ok)
			c->f = INFINITY;
		c->budget = 0;
	}
}

/*
 * Starts other than the caller's and the nested fit's run SHORT_ITER
 * steps first: from a poor start LM may crawl for thousands of steps
 * along a valley where a peak drifts away.  Those that stop at that
 * budget go on to the full one only if they are already below every
 * start that finished.
 */
#define SHORT_ITER 100

static void
refine_budget(const struct nsl_problem *p, struct pool *pl, size_t from,
    size_t full, size_t nfull)
{
	double fdone = INFINITY;
	size_t j, m = 0;

	for (j = from; j < pl->n; j++)
		pl->c[j].budget = j < from + nfull || full < SHORT_ITER ? full :
		    SHORT_ITER;
	refine_range(p, pl, from);
	for (j = 0; j < pl->n; j++)
		if (pl->c[j].ok && !pl->c[j].capped && pl->c[j].f < fdone)
			fdone = pl->c[j].f;
	for (j = from; j < pl->n; j++)
		if (pl->c[j].ok && pl->c[j].capped && pl->c[j].f < fdone &&
		    full > SHORT_ITER) {
			pl->c[j].budget = full - SHORT_ITER;
			m++;
		}
	if (m > 0)
		refine_range(p, pl, from);
}

/*
 * With more than SUB_N points, the design's, perturbed and escaping starts
 * are first refined on SUB_N of the points, evenly spaced in input order;
 * only the best PROMOTE of each batch are then refined on them all.  (The
 * caller's start and the nested fit always are.)  The design, which only
 * ranks its points, scores them on DESIGN_N points.
 */
#define SUB_N 512
#define DESIGN_N 256
#define PROMOTE 2

static int better(double f, double best);

/*
 * A batch of fresh starts tp into the pool pl, refined: on p, or (sub not
 * NULL) on the subsample first and then the best PROMOTE of them on p.
 * tp is emptied.  Returns -1 when out of memory.
 */
static int
settle(const struct nsl_problem *p, const struct nsl_problem *sub,
    struct pool *pl, struct pool *tp, size_t maxiter)
{
	size_t np = p->law->np, from = pl->n, j, k, m = 0;
	unsigned char *taken = NULL;

	if (sub == NULL) {
		for (j = 0; j < tp->n; j++)
			if (pool_add(pl, tp->c[j].theta, np) == NULL)
				return -1;
		tp->n = 0;
		refine_budget(p, pl, from, maxiter, 0);
		return 0;
	}
	refine_budget(sub, tp, 0, maxiter, 0);
	if (tp->n > 0 && (taken = calloc(tp->n, 1)) == NULL)
		return -1;
	for (k = 0; k < PROMOTE; k++) {
		size_t b = (size_t)-1;

		for (j = 0; j < tp->n; j++)
			if (tp->c[j].ok && !taken[j] && (b == (size_t)-1 ||
			    better(tp->c[j].f, tp->c[b].f)))
				b = j;
		if (b == (size_t)-1)
			break;
		taken[b] = 1;
		if (pool_add(pl, tp->c[b].theta, np) == NULL) {
			free(taken);
			return -1;
		}
		m++;
	}
	free(taken);
	tp->n = 0;
	refine_budget(p, pl, from, maxiter, m);
	return 0;
}

/* Lower by more than the tie margin (1e-13 relative): ties keep the
 * earlier start. */
static int
better(double f, double best)
{
	return f < best - 1e-13 * fabs(best);
}

static size_t
pool_best(const struct pool *pl)
{
	size_t j, b = 0;

	for (j = 1; j < pl->n; j++)
		if (better(pl->c[j].f, pl->c[b].f))
			b = j;
	return b;
}

/* Keep the K best of a design block: best[0..*nb) sorted by f, ties by
 * order of arrival. */
static void
keep_best(struct cand *best, size_t *nb, size_t K, double f,
    const double *theta, size_t np)
{
	size_t i;

	if (!isfinite(f))
		return;
	if (*nb == K && f >= best[K - 1].f)
		return;
	i = *nb < K ? (*nb)++ : K - 1;
	while (i > 0 && best[i - 1].f > f) {
		best[i] = best[i - 1];
		i--;
	}
	best[i].f = f;
	memcpy(best[i].theta, theta, np * sizeof(double));
}

#define DESIGN_BLOCK 1024

struct subsample {
	struct nsl_problem p;
	double *x, *y, *w;
};

/* The subsample of m points of full, or -1 (none needed, or no
 * memory). */
static int
subsample(const struct nsl_problem *full, size_t m, struct subsample *s)
{
	size_t nv = full->law->nvars, j;

	memset(s, 0, sizeof(*s));
	if (full->n <= m)
		return -1;
	s->x = malloc(m * nv * sizeof(double));
	s->y = malloc(m * sizeof(double));
	s->w = malloc(m * sizeof(double));
	if (s->x == NULL || s->y == NULL || s->w == NULL) {
		free(s->x);
		free(s->y);
		free(s->w);
		return -1;
	}
	for (j = 0; j < m; j++) {
		size_t i = j * full->n / m;

		memcpy(s->x + j * nv, full->x + i * nv, nv * sizeof(double));
		s->y[j] = full->y[i];
		s->w[j] = full->w != NULL ? full->w[i] : 1;
	}
	s->p = *full;
	s->p.n = m;
	s->p.x = s->x;
	s->p.y = s->y;
	s->p.w = s->w;
	return 0;
}

/*
 * The design: grid points of a low-discrepancy sequence (Sobol up to 40
 * dimensions, Halton beyond) over the dims, the linear coefficients
 * projected at each, evaluated in parallel block by block; the K best into
 * best[] (sorted).  base holds the fixed values.  Returns the number kept,
 * or (size_t)-1 when out of memory.
 */
static size_t
design(const struct nsl_problem *p, const struct dim *dims, size_t nd,
    const double *base, size_t grid, struct cand *best, size_t K)
{
	size_t np = p->law->np, nb = 0, done = 0, j;
	size_t nl = p->law->nlin;
	int varpro = nl > 0;
	/* the objective from the projection's basis, where the basis does
	 * not depend on the coefficients */
	int fused = varpro &&
	    !(p->law->def->flags & NSL_LAWF_BASIS_COEF);
	double *u = NULL, *th = NULL, *fv = NULL, *ly = NULL;
	gsl_qrng *q = NULL;

	if (grid == 0)
		grid = 1;
	if (nd == 0)
		grid = 1;
	/* a few dimensions are covered densely with fewer points: 256 in
	 * one, 1024 in two, 4096 in three */
	if (nd < 4 && grid > ((size_t)64 << (2 * nd)))
		grid = (size_t)64 << (2 * nd);
	if (nd > 0) {
		q = gsl_qrng_alloc(nd <= 40 ? gsl_qrng_sobol : gsl_qrng_halton,
		    (unsigned)nd);
		if (q == NULL) {
			nb = (size_t)-1;
			goto out;
		}
	}
	ly = log_y(p);
	u = malloc(DESIGN_BLOCK * (nd ? nd : 1) * sizeof(double));
	th = malloc(DESIGN_BLOCK * np * sizeof(double));
	fv = malloc(DESIGN_BLOCK * sizeof(double));
	if (u == NULL || th == NULL || fv == NULL) {
		nb = (size_t)-1;
		goto out;
	}
	while (done < grid) {
		size_t m = grid - done < DESIGN_BLOCK ? grid - done :
		    DESIGN_BLOCK;
		long i;

		for (j = 0; j < m && nd > 0; j++)
			gsl_qrng_get(q, u + j * nd);
#pragma omp parallel
		{
			double *ws = fused ? malloc(p->n * (nl + 1) *
			    sizeof(double)) : NULL;

#pragma omp for schedule(static)
			for (i = 0; i < (long)m; i++) {
				double *t = th + (size_t)i * np;
				size_t a;

				memcpy(t, base, np * sizeof(double));
				for (a = 0; a < nd; a++)
					t[dims[a].k] = dim_value(&dims[a],
					    u[(size_t)i * nd + a]);
				if (ws != NULL) {
					if (project_ws(p, t, NULL, ws, ly,
					    &fv[i]) != 0)
						fv[i] = INFINITY;
				} else if (varpro && project(p, t, NULL) != 0)
					fv[i] = INFINITY;
				else
					fv[i] = nsl_optim_objective(p, t, NULL);
			}
			free(ws);
		}
		for (j = 0; j < m; j++)
			keep_best(best, &nb, K, fv[j], th + j * np, np);
		done += m;
	}
out:
	free(u);
	free(th);
	free(fv);
	free(ly);
	if (q != NULL)
		gsl_qrng_free(q);
	return nb;
}

/* --- starts ------------------------------------------------------------ */

/*
 * The start from report values r[] (NAN: not given): given ones in fit
 * space, the other non-linear ones at the middle of their design
 * dimension, the other linear ones projected.  base holds the fixed
 * values.  Returns -1 if no free parameter is given (or the start is
 * unusable).
 */
static int
make_start(const struct nsl_problem *p, const double *r,
    const struct dim *dims, size_t nd, const unsigned char *islin,
    const double *base, double *t)
{
	const struct nsl_law *law = p->law;
	unsigned char solve[MAXP];
	size_t k, a, given = 0, nsolve = 0;

	memcpy(t, base, law->np * sizeof(double));
	memset(solve, 0, sizeof(solve));
	for (k = 0; k < law->np; k++) {
		int lg = nsl_law_param_is_log(law, k);

		if (p->fixed != NULL && p->fixed[k])
			continue;
		if (isfinite(r[k]) && (!lg || r[k] > 0)) {
			t[k] = lg ? log(r[k]) : r[k];
			given++;
			continue;
		}
		if (islin[k]) {
			solve[k] = 1;
			nsolve++;
			continue;
		}
		for (a = 0; a < nd; a++)
			if (dims[a].k == k)
				t[k] = dim_value(&dims[a], 0.5);
	}
	if (given == 0)
		return -1;
	if (nsolve > 0 && project(p, t, solve) != 0)
		return -1;
	return 0;
}

/*
 * The nested law's fit mapped into this law's fit space: fit the nested
 * law (globally, by nsl_optim_fit_ex) on the same points with its
 * variables taken from ours, our fixed values and start passed down;
 * then our parameters take its values, or the values that make the
 * special case.  *fn: the nested objective.  Returns -1 if there is no
 * nested law or its fit fails.
 */
static int
nested_start(const struct nsl_problem *p, const struct nsl_optim_opts *o,
    const double *r, const double *t0, const struct dim *dims, size_t nd,
    double *t, double *fn)
{
	const struct nsl_law *law = p->law;
	struct nsl_law *in = NULL;
	struct nsl_problem q = *p;
	struct nsl_optim_opts qo = *o;
	struct nsl_optim_info qi;
	struct nsl_err err;
	unsigned char qfix[MAXP];
	double *x = NULL, qt[MAXP], qr[MAXP], qstart[MAXP], rep[MAXP];
	double ymin = INFINITY;
	size_t i, j, k, nfix = 0;
	int ret = -1, anystart = 0;

	if (law->nest == NULL)
		return -1;
	if ((in = nsl_law_new(law->nest, law->nest_breaks, &err)) == NULL)
		return -1;
	x = malloc((p->n ? p->n : 1) * in->nvars * sizeof(double));
	if (x == NULL)
		goto out;
	for (i = 0; i < p->n; i++) {
		for (j = 0; j < in->nvars; j++)
			x[i * in->nvars + j] = p->x[i * law->nvars +
			    (size_t)law->nest_var[j]];
		if (fabs(p->y[i]) > 0 && fabs(p->y[i]) < ymin)
			ymin = fabs(p->y[i]);
	}
	nsl_law_to_report(law, t0, rep);
	memset(qfix, 0, sizeof(qfix));
	for (j = 0; j < in->np; j++) {
		qstart[j] = NAN;
		qt[j] = 0;
	}
	for (k = 0; k < law->np; k++) {
		int jj = law->nest_param[k];

		if (jj < 0)
			continue;
		j = (size_t)jj;
		if (p->fixed != NULL && p->fixed[k]) {
			qfix[j] = 1;
			qt[j] = nsl_law_param_is_log(in, j) ? log(rep[k]) :
			    rep[k];
			nfix++;
		}
		if (isfinite(r[k]) && !isfinite(qstart[j])) {
			qstart[j] = r[k];
			anystart = 1;
		}
	}
	q.law = in;
	q.x = x;
	q.fixed = nfix > 0 ? qfix : NULL;
	qo.start = anystart ? qstart : NULL;
	if (nsl_optim_fit_ex(&q, &qo, qt, &qi, &err) != 0)
		goto out;
	*fn = qi.f;
	nsl_law_to_report(in, qt, qr);
	memcpy(t, t0, law->np * sizeof(double));
	for (k = 0; k < law->np; k++) {
		int jj = law->nest_param[k], lg = nsl_law_param_is_log(law, k);
		double v;

		if (p->fixed != NULL && p->fixed[k])
			continue;
		if (jj >= 0)
			v = qr[jj];
		else if (isfinite(law->nest_value[k]))
			v = law->nest_value[k];
		else
			continue;	/* any value: the start's */
		/* a log-space value of 0: small against every y */
		if (lg && !(v > 0))
			v = 1e-12 * (isfinite(ymin) ? ymin : 1);
		t[k] = lg ? log(v) : v;
	}
	/* parameters the start left to the design: its middle */
	for (k = 0; k < nd; k++)
		if (law->nest_param[dims[k].k] < 0 &&
		    !isfinite(law->nest_value[dims[k].k]) &&
		    !isfinite(r[dims[k].k]))
			t[dims[k].k] = dim_value(&dims[k], 0.5);
	ret = 0;
out:
	free(x);
	nsl_law_free(in);
	return ret;
}

/* A perturbation of t: each non-linear free parameter moved at random
 * (a tenth of its design range, or a factor e^(0.5 z) for a formula's),
 * the linear ones projected again. */
static void
perturb(const struct nsl_problem *p, const struct dim *dims, size_t nd,
    gsl_rng *r, double *t)
{
	size_t a;

	for (a = 0; a < nd; a++) {
		const struct dim *d = &dims[a];
		double z = gsl_ran_gaussian(r, 1);

		if (d->kind == DIM_UNIFORM)
			t[d->k] += 0.1 * (d->hi - d->lo) * z;
		else if (t[d->k] != 0)
			t[d->k] *= exp(0.5 * z);
		else
			t[d->k] = dim_value(d, gsl_rng_uniform(r));
	}
	if (p->law->nlin > 0)
		project(p, t, NULL);
}

/* --- degeneracy ------------------------------------------------------ */

const char *
nsl_degen_reason_name(enum nsl_degen_reason r)
{
	return r == NSL_DEGEN_BOUND ? "bound" : r == NSL_DEGEN_RANGE ?
	    "range" : "flat";
}

static size_t
add_degen(struct nsl_degen *out, size_t n, size_t max,
    enum nsl_degen_reason why, const size_t *ks, size_t nk)
{
	if (n < max) {
		out[n].reason = why;
		out[n].nparams = nk;
		memcpy(out[n].params, ks, nk * sizeof(size_t));
	}
	return n + 1;
}

/* A flat direction: the smallest singular value of the Jacobian with
 * columns scaled to unit length, relative to the largest. */
#define FLAT_SV 1e-7

/*
 * The flat directions of the Gram matrix G = J'J (k x k, no zero
 * diagonal) of the free parameters fr: the eigenvectors of its
 * correlation form whose eigenvalue is below FLAT_SV^2 of the largest,
 * each naming the parameters of weight >= 0.3 of its largest.  Appended
 * to out[n..max); returns the new count.
 */
static size_t
flat_directions(const double *G, size_t k, const size_t *fr,
    struct nsl_degen *out, size_t n, size_t max)
{
	gsl_matrix *C = gsl_matrix_alloc(k, k), *V = gsl_matrix_alloc(k, k);
	gsl_vector *ev = gsl_vector_alloc(k);
	gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(k);
	size_t a, b, ks[MAXP];
	double lmax;

	if (C == NULL || V == NULL || ev == NULL || ws == NULL)
		goto out;
	for (a = 0; a < k; a++)
		for (b = 0; b < k; b++)
			gsl_matrix_set(C, a, b, G[a * k + b] /
			    sqrt(G[a * k + a] * G[b * k + b]));
	if (gsl_eigen_symmv(C, ev, V, ws) != GSL_SUCCESS)
		goto out;
	lmax = gsl_vector_max(ev);
	gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_ASC);
	for (b = 0; b < k; b++) {
		double vmax = 0;
		size_t nk = 0;

		if (!(gsl_vector_get(ev, b) < FLAT_SV * FLAT_SV * lmax))
			break;
		for (a = 0; a < k; a++)
			if (fabs(gsl_matrix_get(V, a, b)) > vmax)
				vmax = fabs(gsl_matrix_get(V, a, b));
		for (a = 0; a < k; a++)
			if (fabs(gsl_matrix_get(V, a, b)) >= 0.3 * vmax)
				ks[nk++] = fr[a];
		n = add_degen(out, n, max, NSL_DEGEN_FLAT, ks, nk);
	}
out:
	gsl_matrix_free(C);
	gsl_matrix_free(V);
	gsl_vector_free(ev);
	if (ws != NULL)
		gsl_eigen_symmv_free(ws);
	return n;
}

size_t
nsl_optim_degenerate(const struct nsl_problem *p, const double *theta,
    struct nsl_degen *out, size_t max)
{
	const struct nsl_law *law = p->law;
	double rep[MAXP], G[MAXP * MAXP], g[MAXP], ss, ymax = 0;
	double tmax[MAXP], phi[MAXP], h;
	size_t fr[MAXP], k = free_params(p, fr), a, i, n = 0, dead = 0;
	size_t ks[MAXP];

	nsl_law_to_report(law, theta, rep);
	for (i = 0; i < p->n; i++)
		if ((p->w == NULL || p->w[i] != 0) && fabs(p->y[i]) > ymax)
			ymax = fabs(p->y[i]);
	/* bound: a log-space linear coefficient whose term vanishes */
	memset(tmax, 0, sizeof(tmax));
	if (law->nlin > 0 && nsl_law_param_is_log(law, law->lin[0])) {
		for (i = 0; i < p->n; i++) {
			if (p->w != NULL && p->w[i] == 0)
				continue;
			if (nsl_law_basis(law, theta, p->x + i * law->nvars,
			    phi, &h) != 0)
				break;
			for (a = 0; a < law->nlin; a++) {
				double v = fabs(rep[law->lin[a]] * phi[a]);

				if (v > tmax[a] || isnan(v))
					tmax[a] = v;
			}
		}
		for (a = 0; a < law->nlin; a++) {
			size_t kk = law->lin[a];

			if (p->fixed != NULL && p->fixed[kk])
				continue;
			if (tmax[a] < 1e-8 * ymax)
				n = add_degen(out, n, max, NSL_DEGEN_BOUND, &kk,
				    1);
		}
	}
	/* range: outside the law's plausible values */
	for (a = 0; a < k; a++)
		if (rep[fr[a]] < law->pmin[fr[a]] ||
		    rep[fr[a]] > law->pmax[fr[a]])
			n = add_degen(out, n, max, NSL_DEGEN_RANGE, &fr[a], 1);
	/* flat: a dead column, or a near-singular scaled Jacobian */
	if (k == 0 || jac_stats(p, theta, fr, k, G, g, &ss) != 0)
		return n;
	{
		double dmax = 0;

		for (a = 0; a < k; a++)
			if (G[a * k + a] > dmax)
				dmax = G[a * k + a];
		for (a = 0; a < k; a++)
			if (!(G[a * k + a] > 1e-30 * dmax) || dmax == 0) {
				size_t q;
				int known = 0;

				/* a coefficient at its bound is dead too */
				for (q = 0; q < n && q < max; q++)
					if (out[q].reason == NSL_DEGEN_BOUND &&
					    out[q].params[0] == fr[a])
						known = 1;
				dead++;
				if (known)
					continue;
				ks[0] = fr[a];
				n = add_degen(out, n, max, NSL_DEGEN_FLAT, ks,
				    1);
			}
	}
	if (dead == 0 && k > 1)
		n = flat_directions(G, k, fr, out, n, max);
	return n;
}

/* The degeneracies' parameters as flags; their number. */
static size_t
degen_params(const struct nsl_degen *d, size_t n, unsigned char *flag)
{
	size_t i, j, m = 0;

	memset(flag, 0, MAXP);
	for (i = 0; i < n && i < NSL_OPTIM_MAX_DEGEN; i++)
		for (j = 0; j < d[i].nparams; j++)
			if (!flag[d[i].params[j]]) {
				flag[d[i].params[j]] = 1;
				m++;
			}
	return m;
}

static int
cand_ndeg(const struct nsl_problem *p, struct cand *c)
{
	struct nsl_degen d[NSL_OPTIM_MAX_DEGEN];

	if (c->ndeg < 0)
		c->ndeg = (int)nsl_optim_degenerate(p, c->theta, d,
		    NSL_OPTIM_MAX_DEGEN);
	return c->ndeg;
}

/* --- the global fit ---------------------------------------------------- */

/* Perturbation streams of --seed, apart from the bootstrap's (b + 1). */
#define STREAM_PERTURB ((uint64_t)1 << 40)
#define STREAM_ESCAPE ((uint64_t)1 << 41)

int
nsl_optim_fit_ex(const struct nsl_problem *p, const struct nsl_optim_opts *o,
    double *theta, struct nsl_optim_info *info, struct nsl_err *err)
{
	const struct nsl_law *law = p->law;
	size_t np = law->np, nd = 0, k, j, K = o->starts ? o->starts : 1;
	size_t nb, bi, round;
	double base[MAXP], r[MAXP], t[MAXP];
	struct dim dims[MAXP];
	struct cand *best = NULL;
	struct pool pl = { NULL, 0, 0 }, tp = { NULL, 0, 0 };
	struct subsample sub, dsub;
	const struct nsl_problem *sp, *dp;
	unsigned char islin[MAXP], flag[MAXP];
	int varpro = law->nlin > 0, ret = -1;

	gsl_quiet();
	memset(info, 0, sizeof(*info));
	info->nested_f = NAN;
	memset(islin, 0, sizeof(islin));
	for (k = 0; k < law->nlin; k++)
		islin[law->lin[k]] = 1;
	for (k = 0; k < np; k++) {
		r[k] = o->start != NULL ? o->start[k] : law->pstart[k];
		if (p->fixed != NULL && p->fixed[k])
			continue;
		if (varpro && islin[k])
			continue;
		make_dim(p, k, law->pstart[k], &dims[nd++]);
	}
	memcpy(base, theta, np * sizeof(double));
	for (k = 0; k < np; k++)
		if (!(p->fixed != NULL && p->fixed[k]))
			base[k] = 0;
	sp = subsample(p, SUB_N, &sub) == 0 ? &sub.p : NULL;
	dp = subsample(p, DESIGN_N, &dsub) == 0 ? &dsub.p : NULL;

	/* 1. the start */
	if (make_start(p, r, dims, nd, islin, base, t) == 0 &&
	    pool_add(&pl, t, np) == NULL)
		goto nomem;
	/* 2. the nested law's fit */
	if (law->nest != NULL) {
		double t0[MAXP], fnest;

		if (make_start(p, r, dims, nd, islin, base, t0) != 0)
			memcpy(t0, base, np * sizeof(double));
		if (nested_start(p, o, r, t0, dims, nd, t, &fnest) == 0) {
			info->nested_f = fnest;
			if (pool_add(&pl, t, np) == NULL)
				goto nomem;
		}
	}
	refine_budget(p, &pl, 0, o->maxiter, pl.n);
	/* 3. the design */
	if ((best = calloc(K, sizeof(*best))) == NULL)
		goto nomem;
	nb = design(dp != NULL ? dp : p, dims, nd, base, o->grid, best, K);
	if (nb == (size_t)-1)
		goto nomem;
	for (j = 0; j < nb; j++)
		if (pool_add(&tp, best[j].theta, np) == NULL)
			goto nomem;
	if (settle(p, sp, &pl, &tp, o->maxiter) != 0)
		goto nomem;
	if (pl.n == 0)
		goto nostart;
	bi = pool_best(&pl);

	/* 4. perturbations of the best, while they improve it */
	for (round = 0; round < NSL_OPTIM_ROUNDS && o->restarts > 0 &&
	    pl.c[bi].ok; round++) {
		gsl_rng *rg = nsl_rng_new(o->seed, STREAM_PERTURB + round);
		size_t nbi;

		if (rg == NULL)
			goto nomem;
		for (j = 0; j < o->restarts; j++) {
			memcpy(t, pl.c[bi].theta, np * sizeof(double));
			perturb(p, dims, nd, rg, t);
			if (pool_add(&tp, t, np) == NULL) {
				gsl_rng_free(rg);
				goto nomem;
			}
		}
		gsl_rng_free(rg);
		if (settle(p, sp, &pl, &tp, o->maxiter) != 0)
			goto nomem;
		nbi = pool_best(&pl);
		if (nbi == bi)
			break;
		bi = nbi;
	}

	/* 5. away from a degenerate best */
	if (pl.c[bi].ok && cand_ndeg(p, &pl.c[bi]) > 0 && o->restarts > 0) {
		struct nsl_degen d[NSL_OPTIM_MAX_DEGEN];
		size_t nde = nsl_optim_degenerate(p, pl.c[bi].theta, d,
		    NSL_OPTIM_MAX_DEGEN), a;
		gsl_rng *rg = nsl_rng_new(o->seed, STREAM_ESCAPE);
		unsigned char solve[MAXP];

		if (rg == NULL)
			goto nomem;
		degen_params(d, nde, flag);
		memset(solve, 0, sizeof(solve));
		for (k = 0; k < np; k++)
			solve[k] = islin[k] && flag[k];
		for (j = 0; j < o->restarts; j++) {
			memcpy(t, pl.c[bi].theta, np * sizeof(double));
			for (a = 0; a < nd; a++)
				if (flag[dims[a].k])
					t[dims[a].k] = dim_value(&dims[a],
					    gsl_rng_uniform(rg));
			if (varpro)
				project(p, t, solve);
			if (pool_add(&tp, t, np) == NULL) {
				gsl_rng_free(rg);
				goto nomem;
			}
		}
		gsl_rng_free(rg);
		if (settle(p, sp, &pl, &tp, o->maxiter) != 0)
			goto nomem;
		bi = pool_best(&pl);
		if (cand_ndeg(p, &pl.c[bi]) > 0) {
			size_t nd2 = (size_t)-1;

			for (j = 0; j < pl.n; j++)
				if (pl.c[j].ok && cand_ndeg(p, &pl.c[j]) == 0 &&
				    (nd2 == (size_t)-1 ||
				    better(pl.c[j].f, pl.c[nd2].f)))
					nd2 = j;
			if (nd2 != (size_t)-1 && pl.c[nd2].f <=
			    pl.c[bi].f + 1e-9 * fabs(pl.c[bi].f))
				bi = nd2;
		}
	}
	if (!pl.c[bi].ok)
		goto nostart;
	memcpy(theta, pl.c[bi].theta, np * sizeof(double));
	info->f = pl.c[bi].f;
	info->refined = pl.n;
	info->converged = nsl_optim_stationarity(p, theta) <=
	    NSL_OPTIM_STATIONARY;
	info->ndegen = nsl_optim_degenerate(p, theta, info->degen,
	    NSL_OPTIM_MAX_DEGEN);
	if (info->ndegen > NSL_OPTIM_MAX_DEGEN)
		info->ndegen = NSL_OPTIM_MAX_DEGEN;
	ret = 0;
	goto out;
nostart:
	nsl_err_set(err, NSL_EX_DATAERR, "%s: no start gives a finite "
	    "objective (is the law positive on the data?)", law->name);
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	free(best);
	free(pl.c);
	free(tp.c);
	if (sp != NULL) {
		free(sub.x);
		free(sub.y);
		free(sub.w);
	}
	if (dp != NULL) {
		free(dsub.x);
		free(dsub.y);
		free(dsub.w);
	}
	return ret;
}

int
nsl_optim_fit(const struct nsl_problem *p, const struct nsl_optim_opts *o,
    double *theta, double *fout, struct nsl_err *err)
{
	struct nsl_optim_info info;

	if (nsl_optim_fit_ex(p, o, theta, &info, err) != 0)
		return -1;
	*fout = info.f;
	return 0;
}

/* --- bootstrap -------------------------------------------------------- */

int
nsl_optim_bootstrap(const struct nsl_problem *p, size_t maxiter,
    const double *theta0, size_t B, const size_t *cluster, size_t ncluster,
    uint64_t seed, double *samples, struct nsl_err *err)
{
	size_t np = p->law->np, n = p->n;
	long b;
	int failed = 0;

	if (cluster == NULL)
		ncluster = n;
#pragma omp parallel
	{
		double *w = malloc(n * sizeof(double));
		double *cnt = malloc(ncluster * sizeof(double));

		if (w == NULL || cnt == NULL) {
#pragma omp atomic write
			failed = 1;
		}
#pragma omp for schedule(dynamic, 4)
		for (b = 0; b < (long)B; b++) {
			struct nsl_problem q = *p;
			double *th = samples + (size_t)b * np, f;
			gsl_rng *r;
			size_t i;

			memcpy(th, theta0, np * sizeof(double));
			if (w == NULL || cnt == NULL)
				continue;
			r = nsl_rng_new(seed, (uint64_t)b + 1);
			if (r == NULL) {
#pragma omp atomic write
				failed = 1;
				continue;
			}
			memset(cnt, 0, ncluster * sizeof(double));
			for (i = 0; i < ncluster; i++)
				cnt[gsl_rng_uniform_int(r, ncluster)] += 1;
			gsl_rng_free(r);
			for (i = 0; i < n; i++)
				w[i] = (p->w != NULL ? p->w[i] : 1) *
				    cnt[cluster != NULL ? cluster[i] : i];
			q.w = w;
			nsl_optim_refine(&q, th, &f, maxiter);
		}
		free(w);
		free(cnt);
	}
	if (failed)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
nsl_optim_quantile(double *x, size_t n, double q)
{
	double pos, fr;
	size_t i;

	if (n == 0)
		return NAN;
	qsort(x, n, sizeof(double), cmp_double);
	pos = q * (double)(n - 1);
	i = (size_t)floor(pos);
	if (i >= n - 1)
		return x[n - 1];
	fr = pos - (double)i;
	return x[i] + fr * (x[i + 1] - x[i]);
}

void
nsl_optim_scores(const struct nsl_law *law, const double *theta,
    const double *x, const double *y, size_t n, struct nsl_scores *o)
{
	double are = 0, sle = 0, mx = 0;
	size_t i;
	int logok = 1;

	for (i = 0; i < n; i++) {
		double yh = nsl_law_eval(law, theta, x + i * law->nvars, NULL);
		double rel = fabs(y[i] - yh) / fabs(y[i]);

		are += rel;
		if (rel > mx || !isfinite(rel))
			mx = rel;
		if (yh > 0 && y[i] > 0)
			sle += (log(yh) - log(y[i])) * (log(yh) - log(y[i]));
		else
			logok = 0;
	}
	o->n = n;
	o->are = n ? are / (double)n : NAN;
	o->rmsle = n && logok ? sqrt(sle / (double)n) : NAN;
	o->max_rel = n ? mx : NAN;
}

void
nsl_optim_ic(const struct nsl_problem *p, const double *theta, size_t k,
    double *aic, double *bic)
{
	double rss = 0, n = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		double w = p->w != NULL ? p->w[i] : 1;
		double yh = nsl_law_eval(p->law, theta,
		    p->x + i * p->law->nvars, NULL), r;

		if (w == 0)
			continue;
		r = p->loss == NSL_LOSS_LS ? yh - p->y[i] :
		    log(yh) - log(p->y[i]);
		rss += w * r * r;
		n += 1;
	}
	*aic = n * log(rss / n) + 2.0 * (double)k;
	*bic = n * log(rss / n) + (double)k * log(n);
}
