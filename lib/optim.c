/*
 * optim.c - objectives, variable projection, grids, BFGS refinement and
 * the bootstrap (see nsl/optim.h).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
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

/* --- local refinement ------------------------------------------------ */

struct refine_ctx {
	const struct nsl_problem *p;
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
 * Levenberg-Marquardt on iteratively reweighted least squares: with
 * residuals r_i (log or plain) and Jacobian J, Huber's weights
 * v_i = w_i psi(r_i)/r_i make sum v_i r_i^2 / 2 a majoriser of the
 * objective at the current point, so each damped Gauss-Newton step of
 * that least-squares problem that lowers the true objective is kept.
 * This converges in tens of iterations where BFGS, facing the kinks of
 * a small-delta Huber loss, needs hundreds.  BFGS2 then polishes.
 */
static void
lm_refine(const struct nsl_problem *p, struct refine_ctx *c, double *f,
    size_t maxiter)
{
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
				r = log(yh) - log(p->y[i]);
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
			return;
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
				flat = *f - fn <= 1e-13 * *f ? flat + 1 : 0;
				*f = fn;
				memcpy(c->theta, t2, law->np * sizeof(double));
				mu = mu / 3 > 1e-12 ? mu / 3 : 1e-12;
				accepted = 1;
				break;
			}
			mu *= 4;
		}
		if (!accepted || flat >= 3)
			return;
	}
}

int
nsl_optim_refine(const struct nsl_problem *p, double *theta, double *fout,
    size_t maxiter)
{
	struct refine_ctx c;
	gsl_multimin_fdfminimizer *m;
	gsl_multimin_function_fdf fdf;
	gsl_vector *v;
	double f0, best;
	size_t j, it = 0;

	c.p = p;
	memcpy(c.theta, theta, p->law->np * sizeof(double));
	c.nfree = 0;
	for (j = 0; j < p->law->np; j++)
		if (p->fixed == NULL || !p->fixed[j])
			c.free[c.nfree++] = j;
	f0 = nsl_optim_objective(p, theta, NULL);
	if (!isfinite(f0))
		return -1;
	if (c.nfree == 0) {
		*fout = f0;
		return 0;
	}
	lm_refine(p, &c, &f0, maxiter);
	memcpy(theta, c.theta, p->law->np * sizeof(double));
	fdf.n = c.nfree;
	fdf.f = fn_f;
	fdf.df = fn_df;
	fdf.fdf = fn_fdf;
	fdf.params = &c;
	v = gsl_vector_alloc(c.nfree);
	m = gsl_multimin_fdfminimizer_alloc(
	    gsl_multimin_fdfminimizer_vector_bfgs2, c.nfree);
	if (v == NULL || m == NULL) {
		gsl_vector_free(v);
		gsl_multimin_fdfminimizer_free(m);
		*fout = f0;
		return 0;
	}
	for (j = 0; j < c.nfree; j++)
		gsl_vector_set(v, j, theta[c.free[j]]);
	best = f0;
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
				for (j = 0; j < c.nfree; j++)
					theta[c.free[j]] = gsl_vector_get(
					    m->x, j);
			}
			if (st != GSL_SUCCESS)
				break;
			if (flat >= 5 || gsl_multimin_test_gradient(m->gradient,
			    1e-13) == GSL_SUCCESS)
				break;
		}
	}
	gsl_multimin_fdfminimizer_free(m);
	gsl_vector_free(v);
	*fout = best;
	return 0;
}

/* --- variable projection and grids ----------------------------------- */

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
	size_t i, j;

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
			(void)j;
		}
	}
	return best;
}

/*
 * Variable projection at theta (non-linear entries set): solve the free
 * linear coefficients and write their logs into theta.  Returns -1 if the
 * basis is not finite.
 */
static int
project(const struct nsl_problem *p, double *theta)
{
	const struct nsl_law *law = p->law;
	size_t m = law->nlin, i, a, b, nv = law->nvars;
	size_t fm[4], nf = 0;
	double G[16], h[4], tt = 0, c[4], phi[4], phimax[4], ymax = 0;
	int iter, iters = law->kind == NSL_LAW_DATA_CONSTRAINED ? 3 : 1;

	for (a = 0; a < m; a++)
		if (p->fixed == NULL || !p->fixed[law->lin[a]])
			fm[nf++] = a;
	if (nf == 0)
		return 0;
	for (iter = 0; iter < iters; iter++) {
		memset(G, 0, sizeof(G));
		memset(h, 0, sizeof(h));
		memset(phimax, 0, sizeof(phimax));
		tt = 0;
		for (i = 0; i < p->n; i++) {
			double w = p->w != NULL ? p->w[i] : 1, t = p->y[i];

			if (w == 0)
				continue;
			if (nsl_law_basis(law, theta, p->x + i * nv, phi) != 0)
				return -1;
			for (a = 0; a < m; a++) {
				if (!isfinite(phi[a]))
					return -1;
				if (fabs(phi[a]) > phimax[a])
					phimax[a] = fabs(phi[a]);
			}
			/* fixed coefficients move to the target side */
			for (a = 0; a < m; a++)
				if (p->fixed != NULL && p->fixed[law->lin[a]])
					t -= exp(theta[law->lin[a]]) * phi[a];
			if (p->loss != NSL_LOSS_LS)
				w /= p->y[i] * p->y[i];
			if (fabs(p->y[i]) > ymax)
				ymax = fabs(p->y[i]);
			for (a = 0; a < nf; a++) {
				h[a] += w * phi[fm[a]] * t;
				for (b = 0; b < nf; b++)
					G[a * nf + b] += w * phi[fm[a]] *
					    phi[fm[b]];
			}
			tt += w * t * t;
		}
		nnls_small(G, h, tt, nf, c);
		for (a = 0; a < nf; a++) {
			double floor = 1e-10 * ymax / (phimax[fm[a]] + 1e-300);

			theta[law->lin[fm[a]]] = log(c[a] > floor ? c[a] :
			    floor);
		}
	}
	return 0;
}

/* The grid range of parameter k in fit space. */
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
		*lo = (law->kind == NSL_LAW_KAPLAN ||
		    law->kind == NSL_LAW_DATA_CONSTRAINED) ? 0.02 : 0;
		*hi = law->kind == NSL_LAW_KAPLAN ? 1 : 2;
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
		*hi = log(xmax) + (law->kind == NSL_LAW_KAPLAN ? 20 : 0);
		break;
	case NSL_PT_COEF:
		*lo = log(ymin) - 5;
		*hi = log(ymax) + 5;
		break;
	case NSL_PT_FREE:
	default: {
		double s = law->pstart[k];

		if (s == 0) {
			*lo = -1;
			*hi = 1;
		} else {
			*lo = s / 10;
			*hi = s * 10;
		}
		break;
	}
	}
}

struct cand {
	double f;
	double theta[MAXP];
};

static void
keep_best(struct cand *best, size_t *nbest, size_t K, double f,
    const double *theta, size_t np)
{
	size_t i;

	if (!isfinite(f))
		return;
	if (*nbest == K && f >= best[K - 1].f)
		return;
	i = *nbest < K ? (*nbest)++ : K - 1;
	while (i > 0 && best[i - 1].f > f) {
		best[i] = best[i - 1];
		i--;
	}
	best[i].f = f;
	memcpy(best[i].theta, theta, np * sizeof(double));
}

int
nsl_optim_fit(const struct nsl_problem *p, const struct nsl_optim_opts *o,
    double *theta, double *fout, struct nsl_err *err)
{
	const struct nsl_law *law = p->law;
	size_t np = law->np, dims[MAXP], nd = 0, k, j, total, per;
	size_t K = o->starts ? o->starts : 1, nbest = 0;
	double lo[MAXP], hi[MAXP], t[MAXP], bestf = INFINITY;
	double bestt[MAXP];
	struct cand *best;
	int varpro = law->nlin > 0;
	unsigned char islin[MAXP];

	memset(islin, 0, sizeof(islin));
	for (k = 0; k < law->nlin; k++)
		islin[law->lin[k]] = 1;
	for (k = 0; k < np; k++) {
		if (p->fixed != NULL && p->fixed[k])
			continue;
		if (varpro && islin[k])
			continue;
		param_range(p, k, &lo[k], &hi[k]);
		dims[nd++] = k;
	}
	best = calloc(K, sizeof(*best));
	if (best == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	/* points per dimension: the largest m with m^nd <= grid (>= 2) */
	per = 2;
	if (nd > 0) {
		per = (size_t)floor(pow((double)(o->grid ? o->grid : 1),
		    1.0 / (double)nd) + 1e-9);
		if (per < 2)
			per = 2;
	}
	total = 1;
	for (k = 0; k < nd; k++)
		total *= per;
	memcpy(t, theta, np * sizeof(double));
	for (k = 0; k < np; k++)
		if (!(p->fixed != NULL && p->fixed[k]) && islin[k])
			t[k] = 0;
	for (j = 0; j < total; j++) {
		size_t r = j;
		double f;

		for (k = 0; k < nd; k++) {
			size_t d = dims[k], q = r % per;

			r /= per;
			t[d] = lo[d] + (hi[d] - lo[d]) * (double)q /
			    (double)(per - 1);
		}
		if (varpro && project(p, t) != 0)
			continue;
		f = nsl_optim_objective(p, t, NULL);
		keep_best(best, &nbest, K, f, t, np);
	}
	for (j = 0; j < nbest; j++) {
		double f;

		if (nsl_optim_refine(p, best[j].theta, &f, o->maxiter) != 0)
			continue;
		if (f < bestf) {
			bestf = f;
			memcpy(bestt, best[j].theta, np * sizeof(double));
		}
	}
	free(best);
	if (!isfinite(bestf))
		return nsl_err_set(err, NSL_EX_DATAERR, "%s: no start gives a "
		    "finite objective (is the law positive on the data?)",
		    law->name);
	memcpy(theta, bestt, np * sizeof(double));
	*fout = bestf;
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
