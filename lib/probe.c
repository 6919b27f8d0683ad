/*
 * probe.c - linear probe (multinomial logistic regression, L-BFGS) and a
 * one-hidden-layer MLP (minibatch Adam or SGD).  See nsl/probe.h.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cblas.h>	/* not <cblas.h>: it clashes with GSL's */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "nsl/buf.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/probe.h"
#include "nsl/rng.h"
#include "nsl/vec.h"

#define LBFGS_M 10
#define BLOCK 512	/* rows standardised at a time in nsl_probe_logits */

void
nsl_probe_params_default(struct nsl_probe_params *p,
    enum nsl_probe_model model)
{
	memset(p, 0, sizeof(*p));
	p->model = model;
	p->l2 = NSL_PROBE_DEFAULT_L2;
	p->intercept = 1;
	p->standardize = 1;
	p->tol = NSL_PROBE_DEFAULT_TOL;
	p->ftol = NSL_PROBE_DEFAULT_FTOL;
	p->max_iter = NSL_PROBE_DEFAULT_MAX_ITER;
	p->hidden = NSL_PROBE_DEFAULT_HIDDEN;
	p->epochs = NSL_PROBE_DEFAULT_EPOCHS;
	p->batch = NSL_PROBE_DEFAULT_BATCH;
	p->lr = NSL_PROBE_DEFAULT_LR_ADAM;
	p->optimizer = NSL_PROBE_ADAM;
}

const char *
nsl_probe_check(const struct nsl_probe_params *p)
{
	if (!(p->l2 >= 0) || !isfinite(p->l2))
		return "--l2 must be a finite number >= 0";
	if (p->model == NSL_PROBE_LINEAR) {
		if (!(p->tol > 0))
			return "--tol must be > 0";
		if (!(p->ftol >= 0) || !isfinite(p->ftol))
			return "--ftol must be a finite number >= 0";
		if (p->max_iter == 0)
			return "--max-iter must be >= 1";
		if (p->dynamics)
			return "--dynamics needs minibatch training "
			    "(--model mlp)";
		return NULL;
	}
	if (p->hidden == 0)
		return "--hidden must be >= 1";
	if (p->epochs == 0)
		return "--epochs must be >= 1";
	if (p->batch == 0)
		return "--batch must be >= 1";
	if (!(p->lr > 0) || !isfinite(p->lr))
		return "--lr must be > 0";
	if (!p->intercept)
		return "--no-intercept applies to --model linear only";
	return NULL;
}

void
nsl_probe_release(struct nsl_probe *m)
{
	if (m == NULL)
		return;
	free(m->mu);
	free(m->sd);
	free(m->w1);
	free(m->b1);
	free(m->w2);
	free(m->b2);
	free(m->dynamics);
	memset(m, 0, sizeof(*m));
}

/*
 * Softmax of each row of z (n x k) in place, given labels: returns the
 * per-row cross-entropy in loss[i] and leaves p - onehot(y) in z (the
 * gradient of the loss with respect to the logits).
 */
static void
softmax_grad(double *z, const int *y, size_t n, size_t k, double *loss)
{
	long i;

#pragma omp parallel for schedule(static) if (n * k > 100000)
	for (i = 0; i < (long)n; i++) {
		double *r = z + (size_t)i * k, mx = r[0], s = 0;
		size_t c;

		for (c = 1; c < k; c++)
			if (r[c] > mx)
				mx = r[c];
		for (c = 0; c < k; c++)
			s += exp(r[c] - mx);
		loss[i] = log(s) + mx - r[y[i]];
		for (c = 0; c < k; c++)
			r[c] = exp(r[c] - mx) / s;
		r[y[i]] -= 1;
	}
}

double
nsl_probe_loss(const double *z, const int *y, size_t n, size_t k,
    double *error)
{
	double loss = 0;
	size_t i, c, wrong = 0;

	for (i = 0; i < n; i++) {
		const double *r = z + i * k;
		double mx = r[0], s = 0;
		size_t am = 0;

		for (c = 1; c < k; c++)
			if (r[c] > mx) {
				mx = r[c];
				am = c;
			}
		for (c = 0; c < k; c++)
			s += exp(r[c] - mx);
		loss += log(s) + mx - r[y[i]];
		wrong += am != (size_t)y[i];
	}
	if (error != NULL)
		*error = n ? (double)wrong / (double)n : NAN;
	return n ? loss / (double)n : NAN;
}

/* Standardise rows of x into out (both n x d). */
static void
standardize(const struct nsl_probe *m, const double *x, size_t n,
    double *out)
{
	long i;

#pragma omp parallel for schedule(static) if (n * m->d > 100000)
	for (i = 0; i < (long)n; i++) {
		const double *r = x + (size_t)i * m->d;
		double *o = out + (size_t)i * m->d;
		size_t j;

		for (j = 0; j < m->d; j++) {
			o[j] = (r[j] - m->mu[j]) / m->sd[j];
			/* 1e308 - -1e308 overflows; the halves do not */
			if (!isfinite(o[j]))
				o[j] = (r[j] / 2 - m->mu[j] / 2) / m->sd[j] * 2;
		}
	}
}

/* Training-set mean and deviation (population, as StandardScaler). */
static void
fit_scaler(struct nsl_probe *m, const double *x, size_t n)
{
	size_t i, j, d = m->d;

	for (j = 0; j < d; j++) {
		m->mu[j] = 0;
		m->sd[j] = 1;
	}
	if (!m->p.standardize)
		return;
	/*
	 * A feature far from 1 in magnitude (1e160: squares of 1e320) is
	 * averaged in units of a power of two, exactly: sc[j] (0 for the
	 * ordinary ones, computed as before).
	 */
	int *sc = calloc(d ? d : 1, sizeof(int));
	double t, big;

	for (j = 0; sc != NULL && j < d; j++) {
		for (big = 0, i = 0; i < n; i++)
			if ((t = fabs(x[i * d + j])) > big)
				big = t;
		sc[j] = nsl_vec_range_exp(&big, 1, 250);
	}
#define XS(i, j) (sc != NULL && sc[j] ? ldexp(x[(i) * d + (j)], sc[j]) : \
	x[(i) * d + (j)])
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			m->mu[j] += XS(i, j);
	for (j = 0; j < d; j++)
		m->mu[j] /= (double)n;
	for (j = 0; j < d; j++)
		m->sd[j] = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++) {
			t = XS(i, j) - m->mu[j];
			m->sd[j] += t * t;
		}
#undef XS
	for (j = 0; j < d; j++) {
		double v = m->sd[j] / (double)n;
		int e = sc != NULL ? sc[j] : 0;

		/* a constant feature (also one constant up to rounding)
		 * is left unscaled, as sklearn's StandardScaler does */
		m->sd[j] = v > 10 * DBL_EPSILON * (m->mu[j] * m->mu[j]) &&
		    v > 0 ? ldexp(sqrt(v), -e) : 1;
		m->mu[j] = ldexp(m->mu[j], -e);
		if (!m->p.intercept)
			m->mu[j] = 0;
	}
	free(sc);
}

/* z (n x k) = s W^T + b, s n x dd, W k x dd. */
static void
affine(const double *s, size_t n, size_t dd, const double *w,
    const double *b, size_t k, double *z)
{
	size_t i, c;

	for (i = 0; i < n; i++)
		for (c = 0; c < k; c++)
			z[i * k + c] = b ? b[c] : 0;
	nsl_vec_gemm(0, 1, n, k, dd, 1.0, s, dd, w, dd, 1.0, z,
	    k);
}

/* ---------------------------------------------------------------- linear */

struct linprob {
	const double *s;	/* standardised x, n x d */
	const int *y;
	size_t n, d, k;
	double l2;
	int intercept;
	double *z, *loss;	/* n x k, n */
};

/* f and gradient at theta = [W (k x d), b (k)]. */
static double
lin_fdf(struct linprob *lp, const double *th, double *g)
{
	size_t n = lp->n, d = lp->d, k = lp->k, i, c, kd = k * d;
	const double *b = lp->intercept ? th + kd : NULL;
	double f = 0, reg = 0;

	affine(lp->s, n, d, th, b, k, lp->z);
	softmax_grad(lp->z, lp->y, n, k, lp->loss);
	for (i = 0; i < n; i++)
		f += lp->loss[i];
	f /= (double)n;
	/* grad W = (1/n) (P - Y)^T s + l2 W */
	for (i = 0; i < kd; i++) {
		g[i] = lp->l2 * th[i];
		reg += th[i] * th[i];
	}
	nsl_vec_gemm(1, 0, k, d, n, 1.0 / (double)n, lp->z, k,
	    lp->s, d, 1.0, g, d);
	if (lp->intercept) {
		for (c = 0; c < k; c++)
			g[kd + c] = 0;
		for (i = 0; i < n; i++)
			for (c = 0; c < k; c++)
				g[kd + c] += lp->z[i * k + c];
		for (c = 0; c < k; c++)
			g[kd + c] /= (double)n;
	}
	return f + 0.5 * lp->l2 * reg;
}

static double
maxabs(const double *v, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (fabs(v[i]) > m)
			m = fabs(v[i]);
	return m;
}

/*
 * Line search along dir from th (f, slope gd < 0) for a step meeting the
 * strong Wolfe conditions (c1 = 1e-4, c2 = 0.9): Nocedal and Wright,
 * Algorithms 3.5 (bracketing, step 1 first, doubling) and 3.6 (zoom, by
 * safeguarded quadratic interpolation).  On success the point is in thn,
 * its value in *fn and gradient in gn; if no Wolfe point is found in
 * the evaluation budget, the best point with sufficient decrease is
 * taken.  Returns -1 when not even sufficient decrease can be had.
 * tmp holds 3 * np doubles of scratch.
 */
static int
wolfe(struct linprob *lp, size_t np, const double *th, double f, double gd,
    const double *dir, double *thn, double *fn, double *gn, double *tmp)
{
	const double c1 = 1e-4, c2 = 0.9;
	double *tl = tmp, *gl = tmp + np, *gt = tmp + 2 * np;
	double lo = 0, flo = f, glo = gd, hi = 0, fhi = 0, a = 1, fa, ga;
	int have_lo = 0, bracket = 0, it;
	size_t j;

	for (it = 0; it < 40; it++) {
		if (bracket) {
			double d = hi - lo, den = 2 * (fhi - flo - glo * d), t;

			t = den > 0 ? lo - glo * d * d / den : lo + d / 2;
			if (!(t > lo + 0.1 * d && t < hi - 0.1 * d) &&
			    !(t < lo + 0.1 * d && t > hi - 0.1 * d))
				t = lo + d / 2;
			a = t;
		}
		for (j = 0; j < np; j++)
			thn[j] = th[j] + a * dir[j];
		fa = lin_fdf(lp, thn, gt);
		ga = cblas_ddot((int)np, gt, 1, dir, 1);
		if (!(fa <= f + c1 * a * gd) || (have_lo && fa >= flo)) {
			hi = a;		/* too far: (lo, a) brackets */
			fhi = fa;
			bracket = 1;
		} else {
			if (fabs(ga) <= -c2 * gd) {
				*fn = fa;
				memcpy(gn, gt, np * sizeof(double));
				return 0;
			}
			if (bracket && ga * (hi - lo) >= 0) {
				hi = lo;
				fhi = flo;
			}
			lo = a;
			flo = fa;
			glo = ga;
			have_lo = 1;
			memcpy(tl, thn, np * sizeof(double));
			memcpy(gl, gt, np * sizeof(double));
			if (!bracket) {
				if (ga >= 0) {	/* passed a minimum */
					hi = lo;
					bracket = 1;
				} else {
					a *= 2;
				}
			}
		}
		if (bracket && fabs(hi - lo) <= 1e-16 * fmax(lo, hi))
			break;
	}
	if (!have_lo)
		return -1;
	memcpy(thn, tl, np * sizeof(double));
	memcpy(gn, gl, np * sizeof(double));
	*fn = flo;
	return 0;
}

/*
 * L-BFGS (Nocedal and Wright, Algorithm 7.4, two-loop recursion) with a
 * strong Wolfe line search; a pair with s.y <= 0 is not stored.
 */
static int
lin_train(struct nsl_probe *m, const double *s, const int *y, size_t n,
    struct nsl_err *err)
{
	size_t d = m->d, k = m->k, np = k * d + (m->p.intercept ? k : 0);
	size_t it, j, l, head = 0, cnt = 0;
	double *mem, *th, *g, *dir, *thn, *gn, *S, *Y, *tmp;
	double rho[LBFGS_M], al[LBFGS_M];
	struct linprob lp;
	double f, fn;
	int ret = -1;

	lp.s = s;
	lp.y = y;
	lp.n = n;
	lp.d = d;
	lp.k = k;
	lp.l2 = m->p.l2;
	lp.intercept = m->p.intercept;
	lp.z = malloc(n * k * sizeof(double));
	lp.loss = malloc(n * sizeof(double));
	mem = calloc(np * (8 + 2 * LBFGS_M), sizeof(double));
	if (lp.z == NULL || lp.loss == NULL || mem == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	th = mem;
	g = th + np;
	dir = g + np;
	thn = dir + np;
	gn = thn + np;
	S = gn + np;
	Y = S + np * LBFGS_M;
	tmp = Y + np * LBFGS_M;
	f = lin_fdf(&lp, th, g);
	m->converged = 0;
	for (it = 0; it < m->p.max_iter; it++) {
		double q, gd, beta, sy, yy, gamma = 1;

		if (maxabs(g, np) <= m->p.tol) {
			m->converged = 1;
			break;
		}
		/* two-loop recursion: dir = -H g */
		for (j = 0; j < np; j++)
			dir[j] = -g[j];
		for (l = 0; l < cnt; l++) {
			size_t ix = (head + LBFGS_M - 1 - l) % LBFGS_M;

			al[ix] = rho[ix] * cblas_ddot((int)np, S + ix * np, 1,
			    dir, 1);
			cblas_daxpy((int)np, -al[ix], Y + ix * np, 1, dir, 1);
		}
		if (cnt > 0) {
			size_t ix = (head + LBFGS_M - 1) % LBFGS_M;

			sy = cblas_ddot((int)np, S + ix * np, 1, Y + ix * np, 1);
			yy = cblas_ddot((int)np, Y + ix * np, 1, Y + ix * np, 1);
			gamma = sy / yy;
		} else {
			gamma = 1 / fmax(cblas_dnrm2((int)np, g, 1), 1e-300);
		}
		cblas_dscal((int)np, gamma, dir, 1);
		for (l = cnt; l-- > 0;) {
			size_t ix = (head + LBFGS_M - 1 - l) % LBFGS_M;

			beta = rho[ix] * cblas_ddot((int)np, Y + ix * np, 1,
			    dir, 1);
			cblas_daxpy((int)np, al[ix] - beta, S + ix * np, 1,
			    dir, 1);
		}
		gd = cblas_ddot((int)np, g, 1, dir, 1);
		if (!(gd < 0)) {	/* not a descent direction: restart */
			for (j = 0; j < np; j++)
				dir[j] = -g[j] * gamma;
			gd = cblas_ddot((int)np, g, 1, dir, 1);
			cnt = 0;
		}
		if (wolfe(&lp, np, th, f, gd, dir, thn, &fn, gn, tmp) != 0) {
			/*
			 * No step gives sufficient decrease: at the optimum
			 * to rounding if even the shortest step tried (2^-40)
			 * promised less than rounding can show; otherwise
			 * the problem is too badly scaled to descend
			 * (features of 1e40 not standardized), which is not
			 * convergence.
			 */
			m->converged = fabs(gd) * 0x1p-40 <=
			    64 * DBL_EPSILON * fmax(fabs(f), 1);
			break;
		}
		/* store the pair */
		for (j = 0; j < np; j++) {
			S[head * np + j] = thn[j] - th[j];
			Y[head * np + j] = gn[j] - g[j];
		}
		sy = cblas_ddot((int)np, S + head * np, 1, Y + head * np, 1);
		if (sy > 1e-10 * cblas_ddot((int)np, Y + head * np, 1,
		    Y + head * np, 1)) {
			rho[head] = 1 / sy;
			head = (head + 1) % LBFGS_M;
			if (cnt < LBFGS_M)
				cnt++;
		}
		q = (f - fn) / fmax(fmax(fabs(f), fabs(fn)), 1);
		memcpy(th, thn, np * sizeof(double));
		memcpy(g, gn, np * sizeof(double));
		f = fn;
		if (q <= m->p.ftol) {
			m->converged = 1;
			it++;
			break;
		}
	}
	m->iterations = it;
	m->objective = f;
	memcpy(m->w1, th, k * d * sizeof(double));
	if (m->p.intercept)
		memcpy(m->b1, th + k * d, k * sizeof(double));
	ret = 0;
out:
	free(lp.z);
	free(lp.loss);
	free(mem);
	return ret;
}

/* ------------------------------------------------------------------- mlp */

/* Forward: hidden (n x h, after relu) and logits z (n x k). */
static void
mlp_forward(const struct nsl_probe *m, const double *s, size_t n,
    double *hid, double *z)
{
	size_t i, nh = n * m->h;

	affine(s, n, m->d, m->w1, m->b1, m->h, hid);
	for (i = 0; i < nh; i++)
		if (hid[i] < 0)
			hid[i] = 0;
	affine(hid, n, m->h, m->w2, m->b2, m->k, z);
}

struct adam {
	double *mo, *ve;	/* moments */
	size_t t;
};

static void
param_step(const struct nsl_probe_params *p, double *w, const double *g,
    double *mo, double *ve, size_t n, size_t t)
{
	size_t i;

	if (p->optimizer == NSL_PROBE_SGD) {
		for (i = 0; i < n; i++) {
			mo[i] = NSL_PROBE_MOMENTUM * mo[i] + g[i];
			w[i] -= p->lr * mo[i];
		}
		return;
	}
	{
		const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
		double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);

		for (i = 0; i < n; i++) {
			mo[i] = b1 * mo[i] + (1 - b1) * g[i];
			ve[i] = b2 * ve[i] + (1 - b2) * g[i] * g[i];
			w[i] -= p->lr * (mo[i] / c1) / (sqrt(ve[i] / c2) + eps);
		}
	}
}

static int
mlp_train(struct nsl_probe *m, const double *s, const int *y, size_t n,
    struct nsl_err *err)
{
	size_t d = m->d, k = m->k, h = m->h, B = m->p.batch, e, i, j, c;
	size_t nw1 = h * d, nw2 = k * h, np = nw1 + h + nw2 + k, t = 0;
	size_t *order = NULL;
	double *xb = NULL, *hid = NULL, *z = NULL, *dh = NULL, *loss = NULL;
	double *grad = NULL, *mo = NULL, *ve = NULL, *fh = NULL, *fz = NULL;
	int *yb = NULL, ret = -1;
	gsl_rng *r0 = nsl_rng_new(m->p.seed, 0), *r1 = nsl_rng_new(m->p.seed, 1);
	double sd1 = sqrt(2.0 / (double)d), sd2 = sqrt(1.0 / (double)h);

	if (B > n)
		B = n;
	order = malloc(n * sizeof(*order));
	xb = malloc(B * d * sizeof(double));
	yb = malloc(B * sizeof(int));
	hid = malloc(B * h * sizeof(double));
	dh = malloc(B * h * sizeof(double));
	z = malloc(B * k * sizeof(double));
	loss = malloc(B * sizeof(double));
	grad = malloc(np * sizeof(double));
	mo = calloc(np, sizeof(double));
	ve = calloc(np, sizeof(double));
	if (order == NULL || xb == NULL || yb == NULL || hid == NULL ||
	    dh == NULL || z == NULL || loss == NULL || grad == NULL ||
	    mo == NULL || ve == NULL || r0 == NULL || r1 == NULL)
		goto nomem;
	if (m->p.dynamics) {
		fh = malloc(BLOCK * h * sizeof(double));
		fz = malloc(BLOCK * k * sizeof(double));
		m->dynamics = malloc(n * m->p.epochs * k * sizeof(double));
		if (fh == NULL || fz == NULL || m->dynamics == NULL)
			goto nomem;
		m->ndyn = n;
	}
	for (i = 0; i < nw1; i++)
		m->w1[i] = gsl_ran_gaussian_ziggurat(r0, sd1);
	for (i = 0; i < nw2; i++)
		m->w2[i] = gsl_ran_gaussian_ziggurat(r0, sd2);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (e = 0; e < m->p.epochs; e++) {
		size_t start;

		gsl_ran_shuffle(r1, order, n, sizeof(*order));
		for (start = 0; start < n; start += B) {
			size_t nb = n - start < B ? n - start : B;
			double *gw1 = grad, *gb1 = grad + nw1;
			double *gw2 = gb1 + h, *gb2 = gw2 + nw2;

			for (i = 0; i < nb; i++) {
				memcpy(xb + i * d, s + order[start + i] * d,
				    d * sizeof(double));
				yb[i] = y[order[start + i]];
			}
			mlp_forward(m, xb, nb, hid, z);
			softmax_grad(z, yb, nb, k, loss);
			for (i = 0; i < nb * k; i++)
				z[i] /= (double)nb;
			/* output layer */
			for (i = 0; i < nw2; i++)
				gw2[i] = m->p.l2 * m->w2[i];
			nsl_vec_gemm(1, 0, k, h, nb, 1.0, z, k,
			    hid, h, 1.0, gw2, h);
			for (c = 0; c < k; c++)
				gb2[c] = 0;
			for (i = 0; i < nb; i++)
				for (c = 0; c < k; c++)
					gb2[c] += z[i * k + c];
			/* back through W2 and the relu */
			nsl_vec_gemm(0, 0, nb, h, k, 1.0, z, k,
			    m->w2, h, 0.0, dh, h);
			for (i = 0; i < nb * h; i++)
				if (!(hid[i] > 0))
					dh[i] = 0;
			for (i = 0; i < nw1; i++)
				gw1[i] = m->p.l2 * m->w1[i];
			nsl_vec_gemm(1, 0, h, d, nb, 1.0, dh, h,
			    xb, d, 1.0, gw1, d);
			for (j = 0; j < h; j++)
				gb1[j] = 0;
			for (i = 0; i < nb; i++)
				for (j = 0; j < h; j++)
					gb1[j] += dh[i * h + j];
			t++;
			param_step(&m->p, m->w1, gw1, mo, ve, nw1, t);
			param_step(&m->p, m->b1, gb1, mo + nw1, ve + nw1, h, t);
			param_step(&m->p, m->w2, gw2, mo + nw1 + h,
			    ve + nw1 + h, nw2, t);
			param_step(&m->p, m->b2, gb2, mo + nw1 + h + nw2,
			    ve + nw1 + h + nw2, k, t);
		}
		if (m->p.dynamics) {
			for (start = 0; start < n; start += BLOCK) {
				size_t nb = n - start < BLOCK ? n - start : BLOCK;

				mlp_forward(m, s + start * d, nb, fh, fz);
				for (i = 0; i < nb; i++)
					memcpy(m->dynamics + ((start + i) *
					    m->p.epochs + e) * k, fz + i * k,
					    k * sizeof(double));
			}
		}
	}
	m->iterations = m->p.epochs;
	m->converged = 0;
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	gsl_rng_free(r0);
	gsl_rng_free(r1);
	free(order);
	free(xb);
	free(yb);
	free(hid);
	free(dh);
	free(z);
	free(loss);
	free(grad);
	free(mo);
	free(ve);
	free(fh);
	free(fz);
	return ret;
}

/* ------------------------------------------------------------ interface */

/*
 * The catalogue: one row a model, in the order of enum nsl_probe_model.
 * The names, --list-models, the parser, the result record's own members
 * and the training all come from these rows.
 */
static const char *const linear_fields[] = { "objective", "converged",
	NULL };
static const char *const mlp_fields[] = { "hidden", "seed", NULL };

static const struct nsl_probe_model_def models[] = {
	{ "linear", "multinomial logistic regression, full-batch L-BFGS "
	    "(--l2, --tol, --max-iter, --no-intercept)", 0, linear_fields,
	    lin_train },
	{ "mlp", "one hidden ReLU layer, minibatch Adam or SGD (--hidden, "
	    "--epochs, --batch, --lr, --optimizer, --dynamics)", 1,
	    mlp_fields, mlp_train },
	{ NULL, NULL, 0, NULL, NULL }
};

const struct nsl_probe_model_def *
nsl_probe_model_get(int m)
{
	return m >= 0 && (size_t)m < sizeof(models) / sizeof(models[0]) - 1 ?
	    &models[m] : NULL;
}

int
nsl_probe_model_parse(const char *name)
{
	int m;

	for (m = 0; models[m].name != NULL; m++)
		if (strcmp(name, models[m].name) == 0)
			return m;
	return -1;
}

const char *
nsl_probe_model_choose(const char *name, enum nsl_probe_model *out)
{
	static char msg[256];
	size_t len;
	int i;

	if ((i = nsl_probe_model_parse(name)) >= 0) {
		*out = (enum nsl_probe_model)i;
		return NULL;
	}
	len = (size_t)snprintf(msg, sizeof(msg), "unknown model \"%.64s\" (",
	    name);
	for (i = 0; models[i].name != NULL; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
		    i == 0 ? "" : models[i + 1].name != NULL ? ", " : " or ",
		    models[i].name);
	snprintf(msg + len, sizeof(msg) - len, ")");
	return msg;
}

static int
all_finite(const double *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

/* The objective and every weight are numbers. */
static int
trained_finite(const struct nsl_probe *m)
{
	size_t h = m->h;

	if (h == 0)
		return isfinite(m->objective) && all_finite(m->w1, m->k * m->d)
		    && all_finite(m->b1, m->k);
	return all_finite(m->w1, h * m->d) && all_finite(m->b1, h) &&
	    all_finite(m->w2, m->k * h) && all_finite(m->b2, m->k);
}

int
nsl_probe_train(struct nsl_probe *m, const double *x, const int *y,
    size_t n, size_t d, size_t k, const struct nsl_probe_params *p,
    struct nsl_err *err)
{
	const char *msg;
	double *s = NULL;
	size_t i;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	m->p = *p;
	if (nsl_probe_model_get((int)p->model) == NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "model: not in the "
		    "catalogue");
	nsl_vec_blas_serial();	/* threads come from nsl_vec_gemm */
	if ((msg = nsl_probe_check(p)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s", msg);
	if (n == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "empty training set");
	if (d == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "empty feature vectors");
	if (k < 2)
		return nsl_err_set(err, NSL_EX_DATAERR, "the training set has "
		    "only one label: nothing to classify");
	for (i = 0; i < n; i++)
		if (y[i] < 0 || (size_t)y[i] >= k)
			return nsl_err_set(err, NSL_EX_DATAERR, "class %d of "
			    "row %zu out of range", y[i], i);
	m->d = d;
	m->k = k;
	m->h = models[p->model].hidden_layer ? p->hidden : 0;
	m->mu = malloc(d * sizeof(double));
	m->sd = malloc(d * sizeof(double));
	if (m->h == 0) {
		m->w1 = calloc(k * d, sizeof(double));
		m->b1 = calloc(k, sizeof(double));
	} else {
		m->w1 = calloc(m->h * d, sizeof(double));
		m->b1 = calloc(m->h, sizeof(double));
		m->w2 = calloc(k * m->h, sizeof(double));
		m->b2 = calloc(k, sizeof(double));
	}
	s = malloc(n * d * sizeof(double));
	if (m->mu == NULL || m->sd == NULL || m->w1 == NULL || m->b1 == NULL ||
	    (m->h > 0 && (m->w2 == NULL || m->b2 == NULL)) ||
	    s == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	fit_scaler(m, x, n);
	standardize(m, x, n, s);
	ret = models[p->model].train(m, s, y, n, err);
	if (ret == 0 && !trained_finite(m)) {
		/* never a "converged" model of NaN */
		m->converged = 0;
		ret = nsl_err_set(err, NSL_EX_DATAERR, "the training loss "
		    "overflows on these features (values up to %g)%s",
		    maxabs(x, n * d), p->standardize ? "" :
		    ": drop --no-standardize");
	}
out:
	free(s);
	return ret;
}

int
nsl_probe_logits(const struct nsl_probe *m, const double *x, size_t n,
    double *out, struct nsl_err *err)
{
	size_t start, nb;
	double *s = malloc(BLOCK * m->d * sizeof(double));
	double *hid = m->h ? malloc(BLOCK * m->h * sizeof(double)) : NULL;

	if (s == NULL || (m->h && hid == NULL)) {
		free(s);
		free(hid);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	nsl_vec_blas_serial();
	for (start = 0; start < n; start += nb) {
		nb = n - start < BLOCK ? n - start : BLOCK;
		standardize(m, x + start * m->d, nb, s);
		if (m->h)
			mlp_forward(m, s, nb, hid, out + start * m->k);
		else
			affine(s, nb, m->d, m->w1, m->b1, m->k,
			    out + start * m->k);
	}
	free(s);
	free(hid);
	return 0;
}

int
nsl_probe_direction(const struct nsl_probe *m, double *w,
    struct nsl_err *err)
{
	size_t j;

	if (m->h != 0)
		return nsl_err_set(err, NSL_EX_USAGE, "a teacher angle needs "
		    "--model linear");
	if (m->k != 2)
		return nsl_err_set(err, NSL_EX_USAGE, "a teacher angle needs "
		    "two classes, the training set has %zu", m->k);
	double least = INFINITY;

	for (j = 0; j < m->d; j++) {
		w[j] = (m->w1[m->d + j] - m->w1[j]) / m->sd[j];
		least = fmin(least, m->sd[j]);
	}
	/* features of deviation 1e-320 overflow it: a positive multiple */
	if (!all_finite(w, m->d))
		for (j = 0; j < m->d; j++)
			w[j] = (m->w1[m->d + j] - m->w1[j]) *
			    (least / m->sd[j]);
	return 0;
}

double
nsl_probe_angle_error(const double *a, const double *b, size_t d)
{
	double ab = 0, aa = 0, bb = 0, c, *u;
	size_t j;

	for (j = 0; j < d; j++) {
		ab += a[j] * b[j];
		aa += a[j] * a[j];
		bb += b[j] * b[j];
	}
	if (aa >= 0x1p-500 && aa <= 0x1p500 && bb >= 0x1p-500 &&
	    bb <= 0x1p500)
		c = ab / (sqrt(aa) * sqrt(bb));
	else {
		/* squares that overflow or underflow: unit vectors first */
		if ((u = malloc(2 * (d ? d : 1) * sizeof(double))) == NULL)
			return NAN;
		memcpy(u, a, d * sizeof(double));
		memcpy(u + d, b, d * sizeof(double));
		nsl_vec_normalize_rows(u, 2, d);
		aa = nsl_vec_dot(u, u, d);
		bb = nsl_vec_dot(u + d, u + d, d);
		c = nsl_vec_dot(u, u + d, d);
		free(u);
		if (aa == 0 || bb == 0)
			return NAN;
	}
	if (c > 1)
		c = 1;
	if (c < -1)
		c = -1;
	return acos(c) / M_PI;
}

/* ------------------------------------------------ records in and out */

int
nsl_probe_map_labels(const struct nsl_dataset *train,
    const struct nsl_dataset *test, int *cls, struct nsl_err *err)
{
	long *map = malloc(test->nlabels * sizeof(*map));
	size_t i;

	if (map == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < test->nlabels; i++)
		map[i] = nsl_dataset_label_index(train, test->label_names[i]);
	for (i = 0; i < test->n; i++) {
		if (map[test->label[i]] < 0) {
			struct nsl_dataset_where w = nsl_dataset_where(test, i);

			nsl_err_at(err, test->paths[w.file], w.line);
			nsl_err_set(err, NSL_EX_DATAERR, "label %s is not in "
			    "the training set's labels",
			    test->label_names[test->label[i]]);
			free(map);
			return -1;
		}
		cls[i] = (int)map[test->label[i]];
	}
	free(map);
	return 0;
}

/* The record's "id" value, or its index. */
static void
put_id(struct nsl_obj *o, struct nsl_rec *rec, const struct nsl_dataset *ds,
    size_t i, struct nsl_err *err)
{
	const char *line = ds->lines.data + ds->line_off[i];
	size_t len = ds->line_off[i + 1] - ds->line_off[i];
	long f;

	nsl_obj_key(o, "id");
	if (nsl_rec_parse(rec, line, len, err) == 0 &&
	    (f = nsl_rec_find(rec, "id")) >= 0) {
		nsl_obj_raw(o, rec->fields[f].value, rec->fields[f].vlen);
		return;
	}
	nsl_err_clear(err);
	nsl_obj_integer(o, (long long)i);
}

int
nsl_probe_write_rows(const char *path, enum nsl_probe_rows what,
    const struct nsl_dataset *ds, const double *z, size_t per, size_t k,
    const int *cls, char *const *names, int float32, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_rec rec;
	struct nsl_obj o;
	size_t i, e, c;
	int ret = -1;

	if ((w = nsl_writer_open(path, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, NSL_REC_ALLOW_NONFINITE);
	for (i = 0; i < ds->n; i++) {
		const double *r = z + i * per * k;

		nsl_buf_reset(&b);
		nsl_obj_begin(&o, &b);
		o.style = float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
		put_id(&o, &rec, ds, i, err);
		nsl_obj_key(&o, "label");
		if (what == NSL_PROBE_DYNAMICS) {
			nsl_obj_integer(&o, ds->label[i]);
			nsl_obj_key(&o, "logits");
			nsl_buf_addc(&b, '[');
			for (e = 0; e < per; e++) {
				if (e > 0)
					nsl_buf_addc(&b, ',');
				nsl_json_vector(&b, r + e * k, k, o.style);
			}
			nsl_buf_addc(&b, ']');
		} else {
			size_t am = 0;

			nsl_obj_raw(&o, ds->label_names[ds->label[i]],
			    strlen(ds->label_names[ds->label[i]]));
			for (c = 1; c < k; c++)
				if (r[c] > r[am])
					am = c;
			nsl_obj_key(&o, "pred");
			nsl_obj_raw(&o, names[am], strlen(names[am]));
			nsl_obj_key(&o, "correct");
			nsl_obj_bool(&o, (int)am == cls[i]);
			nsl_obj_key(&o, "logits");
			nsl_obj_vector(&o, r, k);
		}
		nsl_obj_end(&o);
		if (nsl_buf_failed(&b)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto fail;
		}
		if (nsl_writer_write(w, b.data, b.len, err) != 0)
			goto fail;
	}
	ret = nsl_writer_commit(w, err);
	w = NULL;
fail:
	if (w != NULL)
		nsl_writer_abort(w);
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
	return ret;
}

int
nsl_probe_read_teacher(const char *path, const char *field, size_t d,
    double **out, struct nsl_err *err)
{
	struct nsl_reader *r;
	struct nsl_rec rec;
	double *v = NULL;
	size_t n = 0, cap = 0;
	long i;
	int got, ret = -1;

	*out = NULL;
	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, 0);
	if ((got = nsl_rec_read(r, &rec, err)) < 0)
		goto out;
	if (got == 0) {
		nsl_err_at(err, nsl_reader_name(r), 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		goto out;
	}
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
	if ((i = nsl_rec_require(&rec, field, err)) < 0 ||
	    nsl_rec_vector(&rec, (size_t)i, &v, &n, &cap, err) != 0)
		goto out;
	if (n != d) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu numbers, "
		    "the embeddings have %zu", field, n, d);
		goto out;
	}
	*out = v;
	v = NULL;
	ret = 0;
out:
	if (ret == 0)
		nsl_err_clear(err);
	free(v);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return ret;
}

void
nsl_probe_add_tag(struct nsl_obj *o, const char *tag)
{
	const char *eq = strchr(tag, '=');
	char key[256];
	json_error_t jerr;
	json_t *v;
	size_t kl = (size_t)(eq - tag);

	if (kl >= sizeof(key))
		kl = sizeof(key) - 1;
	memcpy(key, tag, kl);
	key[kl] = '\0';
	nsl_obj_key(o, key);
	if ((v = nsl_json_loadb(eq + 1, strlen(eq + 1), JSON_DECODE_ANY,
	    &jerr)) != NULL) {
		nsl_obj_json(o, v);
		json_decref(v);
	} else {
		nsl_obj_string(o, eq + 1);
	}
}

/* ------------------------------------------------ the result record */

int
nsl_probe_result_member(const struct nsl_probe_result *r, const char *k,
    size_t kl)
{
	static const char *const always[] = { "model", "n_train", "d",
	    "classes", "train_error", "train_loss", "l2", "epochs",
	    "seconds", NULL };
	static const char *const with_test[] = { "n_test", "test_error",
	    "test_loss", NULL };
	const struct nsl_probe_model_def *row =
	    nsl_probe_model_get(nsl_probe_model_parse(r->model));
	size_t i;

#define IS(name) (strlen(name) == kl && memcmp(name, k, kl) == 0)
	for (i = 0; always[i] != NULL; i++)
		if (IS(always[i]))
			return 1;
	for (i = 0; r->has_test && with_test[i] != NULL; i++)
		if (IS(with_test[i]))
			return 1;
	for (i = 0; row != NULL && row->fields[i] != NULL; i++)
		if (IS(row->fields[i]))
			return 1;
	return r->has_gen_error && IS("gen_error");
#undef IS
}

const char *
nsl_probe_tags_check(const struct nsl_probe_result *r,
    const char *const *tags, size_t n)
{
	static char msg[400];
	const char *t, *eq;
	size_t i, j, kl;

	for (i = 0; i < n; i++) {
		t = tags[i];
		if (i == NSL_PROBE_MAX_TAGS) {
			snprintf(msg, sizeof(msg), "--tag: at most %d",
			    NSL_PROBE_MAX_TAGS);
			return msg;
		}
		if ((eq = strchr(t, '=')) == NULL || t[0] == '=' ||
		    eq - t >= 256) {
			snprintf(msg, sizeof(msg), "--tag %.300s: expected "
			    "KEY=VALUE", t);
			return msg;
		}
		kl = (size_t)(eq - t);
		for (j = 0; j < i; j++)
			if (strncmp(tags[j], t, kl + 1) == 0) {
				snprintf(msg, sizeof(msg), "--tag %.*s: given "
				    "twice", (int)kl, t);
				return msg;
			}
		if (nsl_probe_result_member(r, t, kl)) {
			snprintf(msg, sizeof(msg), "--tag %.*s: the result has "
			    "a field of that name", (int)kl, t);
			return msg;
		}
	}
	return NULL;
}

void
nsl_probe_result_write(const struct nsl_probe_result *r,
    struct nsl_buf *out)
{
	struct nsl_obj o;
	size_t i;

	nsl_obj_begin(&o, out);
	nsl_obj_key(&o, "model");
	nsl_obj_string(&o, r->model);
	nsl_obj_key(&o, "n_train");
	nsl_obj_integer(&o, (long long)r->n_train);
	nsl_obj_key(&o, "d");
	nsl_obj_integer(&o, (long long)r->d);
	nsl_obj_key(&o, "classes");
	nsl_obj_integer(&o, (long long)r->classes);
	if (r->has_test) {
		nsl_obj_key(&o, "n_test");
		nsl_obj_integer(&o, (long long)r->n_test);
		nsl_obj_key(&o, "test_error");
		nsl_obj_number(&o, r->test_error);
		nsl_obj_key(&o, "test_loss");
		nsl_obj_number(&o, r->test_loss);
	}
	nsl_obj_key(&o, "train_error");
	nsl_obj_number(&o, r->train_error);
	nsl_obj_key(&o, "train_loss");
	nsl_obj_number(&o, r->train_loss);
	if (r->has_gen_error) {
		nsl_obj_key(&o, "gen_error");
		nsl_obj_number(&o, r->gen_error);
	}
	nsl_obj_key(&o, "l2");
	nsl_obj_number(&o, r->l2);
	nsl_obj_key(&o, "epochs");
	nsl_obj_integer(&o, (long long)r->epochs);
	if (!models[nsl_probe_model_parse(r->model)].hidden_layer) {
		nsl_obj_key(&o, "objective");
		nsl_obj_number(&o, r->objective);
		nsl_obj_key(&o, "converged");
		nsl_obj_bool(&o, r->converged);
	} else {
		nsl_obj_key(&o, "hidden");
		nsl_obj_integer(&o, (long long)r->hidden);
		nsl_obj_key(&o, "seed");
		nsl_obj_integer(&o, (long long)r->seed);
	}
	if (r->has_seconds) {
		nsl_obj_key(&o, "seconds");
		nsl_obj_number(&o, r->seconds);
	}
	for (i = 0; i < r->ntags; i++)
		nsl_probe_add_tag(&o, r->tags[i]);
	nsl_obj_end(&o);
}

/* Member k of rec as a number (*has: present). */
static int
get_number(const struct nsl_rec *rec, const char *k, double *v, int *has,
    struct nsl_err *err)
{
	long f = nsl_rec_find(rec, k);

	if (has != NULL)
		*has = f >= 0;
	if (f < 0)
		return has != NULL ? 0 : nsl_err_set(err, NSL_EX_DATAERR,
		    "no field \"%s\"", k);
	return nsl_rec_number(rec, (size_t)f, v, err);
}

int
nsl_probe_result_parse(struct nsl_probe_result *r,
    const struct nsl_rec *rec, struct nsl_err *err)
{
	struct nsl_buf name = NSL_BUF_INIT;
	json_t *j;
	double v;
	long f;
	int lin, m;

	memset(r, 0, sizeof(*r));
	if ((f = nsl_rec_require(rec, "model", err)) < 0 ||
	    nsl_rec_string(rec, (size_t)f, &name, err) < 0) {
		nsl_buf_release(&name);
		return -1;
	}
	m = name.data != NULL ? nsl_probe_model_parse(name.data) : -1;
	nsl_buf_release(&name);
	if (m < 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"model\": "
		    "not a model of the catalogue");
	r->model = models[m].name;
	lin = !models[m].hidden_layer;
	if (get_number(rec, "n_train", &v, NULL, err) < 0)
		return -1;
	r->n_train = (size_t)v;
	if (get_number(rec, "d", &v, NULL, err) < 0)
		return -1;
	r->d = (size_t)v;
	if (get_number(rec, "classes", &v, NULL, err) < 0)
		return -1;
	r->classes = (size_t)v;
	if (get_number(rec, "n_test", &v, &r->has_test, err) < 0)
		return -1;
	r->n_test = (size_t)v;
	if (r->has_test && (get_number(rec, "test_error", &r->test_error,
	    NULL, err) < 0 || get_number(rec, "test_loss", &r->test_loss,
	    NULL, err) < 0))
		return -1;
	if (get_number(rec, "train_error", &r->train_error, NULL, err) < 0 ||
	    get_number(rec, "train_loss", &r->train_loss, NULL, err) < 0 ||
	    get_number(rec, "gen_error", &r->gen_error, &r->has_gen_error,
	    err) < 0 || get_number(rec, "l2", &r->l2, NULL, err) < 0 ||
	    get_number(rec, "seconds", &r->seconds, &r->has_seconds, err) < 0)
		return -1;
	if (get_number(rec, "epochs", &v, NULL, err) < 0)
		return -1;
	r->epochs = (size_t)v;
	if (lin) {
		if (get_number(rec, "objective", &r->objective, NULL, err) < 0)
			return -1;
		if ((f = nsl_rec_require(rec, "converged", err)) < 0 ||
		    (j = nsl_rec_json(rec, (size_t)f, err)) == NULL)
			return -1;
		if (!json_is_boolean(j)) {
			json_decref(j);
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"converged\": expected true or false");
		}
		r->converged = json_is_true(j);
		json_decref(j);
	} else {
		if (get_number(rec, "hidden", &v, NULL, err) < 0)
			return -1;
		r->hidden = (size_t)v;
		if (get_number(rec, "seed", &v, NULL, err) < 0)
			return -1;
		r->seed = (uint64_t)v;
	}
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int
nsl_probe_run(const struct nsl_probe_job *J, struct nsl_probe_result *r,
    struct nsl_err *err)
{
	const struct nsl_probe_params *p = &J->p;
	struct nsl_dataset tr, te;
	struct nsl_probe m;
	double *z = NULL, *tw = NULL, *sw = NULL, t0;
	int *cls = NULL, rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&tr, 0, sizeof(tr));
	memset(&te, 0, sizeof(te));
	memset(&m, 0, sizeof(m));
	if (nsl_dataset_read(&tr, &J->train, 1, J->field, J->label,
	    NSL_DATASET_KEEP_LINES, err) != 0)
		goto out;
	if (J->test != NULL) {
		if (nsl_dataset_read(&te, &J->test, 1, J->field, J->label,
		    NSL_DATASET_KEEP_LINES, err) != 0)
			goto out;
		if (te.d != tr.d) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
			    "numbers, the training set has %zu", J->field,
			    te.d, tr.d);
			nsl_err_at(err, te.paths[0], te.line[0]);
			goto out;
		}
		if ((cls = malloc((te.n + 1) * sizeof(*cls))) == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_probe_map_labels(&tr, &te, cls, err) != 0)
			goto out;
	}
	if ((J->teacher != NULL || J->teacher_file != NULL) &&
	    nsl_probe_read_teacher(J->teacher_file ? J->teacher_file :
	    J->train, J->teacher ? J->teacher : "teacher", tr.d, &tw,
	    err) != 0)
		goto out;

	t0 = now();
	if (nsl_probe_train(&m, tr.x, tr.label, tr.n, tr.d, tr.nlabels, p,
	    err) != 0) {
		nsl_err_at(err, tr.paths[0], 0);
		goto out;
	}
	if ((z = malloc((tr.n > te.n ? tr.n : te.n) * tr.nlabels *
	    sizeof(double))) == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (nsl_probe_logits(&m, tr.x, tr.n, z, err) != 0)
		goto out;
	r->model = models[p->model].name;
	r->n_train = tr.n;
	r->d = tr.d;
	r->classes = tr.nlabels;
	r->train_loss = nsl_probe_loss(z, tr.label, tr.n, tr.nlabels,
	    &r->train_error);
	if (J->test != NULL) {
		if (nsl_probe_logits(&m, te.x, te.n, z, err) != 0)
			goto out;
		r->has_test = 1;
		r->n_test = te.n;
		r->test_loss = nsl_probe_loss(z, cls, te.n, tr.nlabels,
		    &r->test_error);
		if (J->predict != NULL && nsl_probe_write_rows(J->predict,
		    NSL_PROBE_PREDICT, &te, z, 1, tr.nlabels, cls,
		    tr.label_names, J->float32, err) != 0)
			goto out;
	}
	if (tw != NULL) {
		if ((sw = malloc(tr.d * sizeof(double))) == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_probe_direction(&m, sw, err) != 0)
			goto out;
		r->gen_error = nsl_probe_angle_error(sw, tw, tr.d);
		r->has_gen_error = 1;
		if (isnan(r->gen_error)) {
			nsl_err_set(err, NSL_EX_DATAERR, "the teacher or the "
			    "student is the zero vector: no angle");
			goto out;
		}
	}
	r->l2 = p->l2;
	r->epochs = m.iterations;
	r->objective = m.objective;
	r->converged = m.converged;
	r->hidden = p->hidden;
	r->seed = p->seed;
	r->seconds = round((now() - t0) * 1000) / 1000;
	if (J->dynamics != NULL && nsl_probe_write_rows(J->dynamics,
	    NSL_PROBE_DYNAMICS, &tr, m.dynamics, p->epochs, tr.nlabels,
	    tr.label, tr.label_names, J->float32, err) != 0)
		goto out;
	rc = 0;
out:
	free(z);
	free(tw);
	free(sw);
	free(cls);
	nsl_probe_release(&m);
	nsl_dataset_release(&tr);
	nsl_dataset_release(&te);
	return rc;
}
