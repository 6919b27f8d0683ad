/*
 * ot.c - nsl_ot_solve(): check and normalise the weights, bring points
 * far from 1 in magnitude to a safe scale, and run the method's row.  See
 * nsl/ot.h; the methods are in nsl_ot_methods[] (ot_methods.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/ot.h"
#include "ot_internal.h"

void
nsl_ot_result_release(struct nsl_ot_result *r)
{
	free(r->f);
	free(r->g);
	free(r->plan);
	r->f = r->g = NULL;
	r->plan = NULL;
	r->nplan = 0;
}

static int
check_weights(const double *w, size_t n, const char *which, double **out,
    struct nsl_err *err)
{
	double s = 0;
	size_t i;

	*out = malloc(n * sizeof(double));
	if (*out == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (w == NULL) {
		for (i = 0; i < n; i++)
			(*out)[i] = 1.0 / (double)n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(w[i]) || w[i] < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "%s: weight "
			    "of point %zu is %g: weights must be finite and "
			    "non-negative", which, i, w[i]);
		s += w[i];
	}
	if (!(s > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "%s: all weights "
		    "are zero", which);
	if (isinf(s)) {
		/*
		 * Finite weights whose sum overflows (two of 1e308): divide
		 * by a power of two near the largest first, which is exact,
		 * so that w_i / s is what it would be with the range.
		 */
		double mx = 0;
		int e;

		for (i = 0; i < n; i++)
			mx = fmax(mx, w[i]);
		e = ilogb(mx);
		for (s = 0, i = 0; i < n; i++)
			s += ldexp(w[i], -e);
		for (i = 0; i < n; i++)
			(*out)[i] = ldexp(w[i], -e) / s;
		return 0;
	}
	for (i = 0; i < n; i++)
		(*out)[i] = w[i] / s;
	return 0;
}

static double
root_p(double v, double p)
{
	if (!(v > 0))
		return 0;
	return p == 1 ? v : p == 2 ? sqrt(v) : pow(v, 1 / p);
}

/* ---- points far from 1 in magnitude ---- */

/* v 2^e for a real e, without overflowing on the way (inf if v 2^e is). */
static double
pow2_scale(double v, double e)
{
	double ei = floor(e);

	if (ei > 1e6)
		ei = 1e6;
	else if (ei < -1e6)
		ei = -1e6;
	return ldexp(v * exp2(e - ei), (int)ei);
}

/*
 * The power of two 2^k to scale the points by before solving, or 0 to
 * solve them as they are.  A cost is at most (2 M sqrt(d))^deg for
 * coordinates up to M; past about 2^400 its square, a sum over a plan or
 * a dgemm of norms overflows (points 1e160 apart cost 1e320 and came out
 * as 0: inf - inf, clamped), and below 2^-400 they underflow to 0.  So
 * points whose largest coordinate leaves 2^(+-300) are brought to [1/2, 1)
 * first; the cosine cost (deg 0) only normalises, and is scaled past
 * 2^(+-500).  Scaling by a power of two is exact, so the answer is the
 * one the unscaled arithmetic would give if it had the range.
 */
static int
scale_exponent(const struct nsl_ot_problem *pr, double deg)
{
	double M = 0, t;
	size_t i;
	int e;

	for (i = 0; i < pr->n * pr->d; i++)
		if ((t = fabs(pr->x[i])) > M)
			M = t;
	for (i = 0; i < pr->m * pr->d; i++)
		if ((t = fabs(pr->y[i])) > M)
			M = t;
	if (M == 0 || !isfinite(M))
		return 0;
	e = ilogb(M);
	if (deg == 0 ? e >= -500 && e <= 500 :
	    deg * (e + 2 + 0.5 * log2((double)pr->d)) <= 400 &&
	    deg * e >= -400 && e >= -300 && e <= 300)
		return 0;
	return -(e + 1);
}

static double *
scaled_copy(const double *x, size_t n, int k)
{
	double *y;
	size_t i;

	if ((y = malloc((n ? n : 1) * sizeof(double))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		y[i] = ldexp(x[i], k);
	return y;
}

static int solve(const struct nsl_ot_params *, const struct nsl_ot_problem *,
    struct nsl_ot_result *, struct nsl_err *);

int
nsl_ot_solve(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct nsl_ot_params so = *o;
	struct nsl_ot_problem sp = *pr;
	double *x = NULL, *y = NULL, deg, back;
	size_t i;
	int k, rc;

	/* the cost's degree: C(2^k x, 2^k y) = 2^(k deg) C(x, y) */
	deg = o->cost == NSL_OT_COSINE ? 0 : o->cost == NSL_OT_EUCLIDEAN ?
	    o->p : 2;
	if (pr->n == 0 || pr->m == 0 || pr->d == 0 || pr->x == NULL ||
	    pr->y == NULL || (k = scale_exponent(pr, deg)) == 0)
		return solve(o, pr, res, err);
	if ((sp.x = x = scaled_copy(pr->x, pr->n * pr->d, k)) == NULL ||
	    (sp.y = y = scaled_copy(pr->y, pr->m * pr->d, k)) == NULL) {
		free(x);
		memset(res, 0, sizeof(*res));
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	if (so.eps > 0 && !((so.eps = pow2_scale(o->eps, k * deg)) > 0 &&
	    isfinite(so.eps))) {
		free(x);
		free(y);
		memset(res, 0, sizeof(*res));
		return nsl_err_set(err, NSL_EX_DATAERR, "--eps %g: out of "
		    "range for costs on the scale of these points (use "
		    "--eps-rel)", o->eps);
	}
	rc = solve(&so, &sp, res, err);
	free(x);
	free(y);
	if (rc != 0)
		return rc;
	/* results in cost units back to the points' scale */
	back = -k * deg;
	res->distance = ldexp(res->distance, deg == 0 ? 0 : -k);
	res->value = pow2_scale(res->value, back);
	res->objective = pow2_scale(res->objective, back);
	res->epsilon = pow2_scale(res->epsilon, back);
	res->std_error = pow2_scale(res->std_error, back);
	for (i = 0; res->f != NULL && i < pr->n; i++)
		res->f[i] = pow2_scale(res->f[i], back);
	for (i = 0; res->g != NULL && i < pr->m; i++)
		res->g[i] = pow2_scale(res->g[i], back);
	return 0;
}

static int
solve(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	double *a = NULL, *b = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->objective = res->epsilon = res->marginal_error = NAN;
	res->std_error = res->variance_reduction = NAN;
	res->iterations = res->sinkhorn_iterations = -1;
	res->newton_iterations = res->pivots = -1;
	if (pr->n == 0 || pr->m == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "empty point set");
	if (pr->d == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "vectors of length 0");
	if (check_weights(pr->a, pr->n, "first set", &a, err) < 0 ||
	    check_weights(pr->b, pr->m, "second set", &b, err) < 0)
		goto out;
	rc = o->method->solve(o, pr, a, b, NULL, res, err);
	if (rc == 0)
		res->distance = root_p(res->value, o->p);
out:
	free(a);
	free(b);
	return rc;
}
