/*
 * laws.c - the scaling-law catalogue (see nsl/laws.h).
 *
 * Every law is one row of nsl_law_catalogue[] below, written once with
 * its analytic gradient in fit space.  Notation in the comments: l* =
 * log of a log-space parameter.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>

#include "nsl/expr.h"
#include "nsl/laws.h"

/* lr-anneal: the momentum of the annealing area S2 (Tissue et al. 2024). */
#define LR_LAMBDA 0.999

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
nsl_law_free(struct nsl_law *l)
{
	size_t i;

	if (l == NULL)
		return;
	free(l->name);
	free(l->formula);
	free(l->yname);
	for (i = 0; l->vars != NULL && i < l->nvars; i++)
		free(l->vars[i]);
	for (i = 0; l->params != NULL && i < l->np; i++)
		free(l->params[i]);
	free(l->vars);
	free(l->params);
	free(l->ptype);
	free(l->pvar);
	free(l->pstart);
	free(l->pmin);
	free(l->pmax);
	free(l->nest);
	free(l->nest_param);
	free(l->nest_value);
	nsl_expr_free(l->expr);
	free(l);
}

/* Allocate a law of row d with room for nv variables and np parameters. */
static struct nsl_law *
law_alloc(const struct nsl_law_def *d, const char *formula, size_t nv,
    size_t np)
{
	struct nsl_law *l = calloc(1, sizeof(*l));
	size_t i;

	if (l == NULL)
		return NULL;
	l->def = d;
	l->nvars = nv;
	l->np = np;
	l->name = xstrdup(d->name);
	l->formula = xstrdup(formula);
	l->yname = xstrdup(d->yname);
	l->vars = calloc(nv ? nv : 1, sizeof(char *));
	l->params = calloc(np ? np : 1, sizeof(char *));
	l->ptype = calloc(np ? np : 1, sizeof(*l->ptype));
	l->pvar = calloc(np ? np : 1, sizeof(int));
	l->pstart = calloc(np ? np : 1, sizeof(double));
	l->pmin = calloc(np ? np : 1, sizeof(double));
	l->pmax = calloc(np ? np : 1, sizeof(double));
	if (l->name == NULL || l->formula == NULL || l->yname == NULL ||
	    l->vars == NULL || l->params == NULL || l->ptype == NULL ||
	    l->pvar == NULL || l->pstart == NULL || l->pmin == NULL ||
	    l->pmax == NULL) {
		nsl_law_free(l);
		return NULL;
	}
	for (i = 0; i < np; i++) {
		l->pstart[i] = NAN;
		l->pmin[i] = -INFINITY;
		l->pmax[i] = INFINITY;
	}
	return l;
}

static int
set_param(struct nsl_law *l, size_t k, const char *name,
    enum nsl_param_type t, int var)
{
	l->params[k] = xstrdup(name);
	l->ptype[k] = t;
	l->pvar[k] = var;
	return l->params[k] == NULL ? -1 : 0;
}

int
nsl_law_set_var(struct nsl_law *l, size_t k, const char *field)
{
	char *p = xstrdup(field);

	if (p == NULL)
		return -1;
	free(l->vars[k]);
	l->vars[k] = p;
	return 0;
}

#define INF INFINITY
/* a parameter with no published value, no range and no nested role */
#define PLAIN(name, t, var) { name, t, var, NAN, -INF, INF, NULL, NAN }

static long
name_index(char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (long)i;
	return -1;
}

/*
 * Resolve the nested law's names into indices: law nest with breaks
 * nbreaks, whose variable j reads our variable named nvars[j].
 */
static int
set_nest(struct nsl_law *l, const struct nsl_law_param *pd, const char *nest,
    int nbreaks, const char *const *nvars)
{
	struct nsl_err err;
	struct nsl_law *in;
	size_t i;
	int ret = -1;

	if ((in = nsl_law_new(nest, nbreaks, &err)) == NULL)
		return -1;
	l->nest = xstrdup(nest);
	l->nest_breaks = nbreaks;
	l->nest_param = malloc(l->np * sizeof(int));
	l->nest_value = malloc(l->np * sizeof(double));
	if (l->nest == NULL || l->nest_param == NULL || l->nest_value == NULL)
		goto out;
	for (i = 0; i < l->np; i++) {
		l->nest_param[i] = pd[i].nest == NULL ? -1 :
		    (int)name_index(in->params, in->np, pd[i].nest);
		l->nest_value[i] = pd[i].neutral;
		if (pd[i].nest != NULL && l->nest_param[i] < 0)
			goto out;	/* a typo in the table */
	}
	for (i = 0; i < in->nvars; i++) {
		long v = name_index(l->vars, l->nvars, nvars[i]);

		if (v < 0)
			goto out;
		l->nest_var[i] = (int)v;
	}
	ret = 0;
out:
	nsl_law_free(in);
	return ret;
}

/*
 * Fill l's parameters from the table pd[0..np): names, types, starts,
 * ranges; the linear coefficients are the COEF parameters, in order (the
 * order of the row's basis).
 */
static int
set_params(struct nsl_law *l, const struct nsl_law_param *pd)
{
	size_t i;
	int bad = 0;

	l->nlin = 0;
	for (i = 0; i < l->np; i++) {
		bad |= set_param(l, i, pd[i].name, pd[i].t, pd[i].var);
		l->pstart[i] = pd[i].start;
		l->pmin[i] = pd[i].lo;
		l->pmax[i] = pd[i].hi;
		if (pd[i].t == NSL_PT_COEF)
			l->lin[l->nlin++] = i;
	}
	return bad;
}
/* log(1 + exp(t)) without overflow, and its derivative 1/(1+exp(-t)). */
static double
softplus(double t)
{
	return t > 30 ? t : log1p(exp(t));
}

static double
logistic(double t)
{
	return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
}

/*
 * 1 - (1 + v) e^-v, accurately also for small v (where R -> infinity,
 * the nested chinchilla case): its Taylor series
 * sum_{k>=2} (-1)^k (k-1) v^k / k! to v^7 below v = 0.01 (the next term
 * is below 1e-14 relative there).
 */
static double
one_minus_1pv_emv(double v, double ev)
{
	if (v < 0.01)
		return v * v * (0.5 - v * (1.0 / 3 - v * (1.0 / 8 - v *
		    (1.0 / 30 - v * (1.0 / 144 - v / 840)))));
	return -expm1(-v) - v * ev;
}

/* data-constrained: effective N' and D' with their derivatives. */
struct dc {
	double Np, Dp;		/* N', D' */
	double dNp_dM;		/* through UN when UN = M < N */
	double dlogM[5];	/* d log M / d (lA, lB, lE, alpha, beta) */
	double dNp_drn, dDp_drd;
	double M;		/* G*(G*U)^(beta/alpha) */
	int capped;		/* UN = M < N */
};

static void
dc_eval(const double *t, const double *x, struct dc *o)
{
	/*
	 * U_D, the unique tokens seen, is U or D if fewer: a run shorter
	 * than one epoch repeats nothing (Muennighoff et al.'s U_D), and
	 * the compute-optimal search does pass there.
	 */
	double N = x[0], D = x[1], U = fmin(x[2], x[1]);
	double al = t[3], be = t[4], RD = exp(t[5]), RN = exp(t[6]);
	double s = al + be, lg, logM, M, RDv, v, ev, RNv, u, eu;

	/* G = (alpha A / (beta B))^(1/(alpha+beta)) */
	lg = (log(al) + t[0] - log(be) - t[1]) / s;
	logM = lg * (1 + be / al) + (be / al) * log(U);
	M = exp(logM);
	o->M = M;
	RDv = D / U - 1;
	if (RDv < 0)
		RDv = 0;
	v = RDv / RD;
	ev = exp(-v);
	o->Dp = U + U * RD * -expm1(-v);
	o->dDp_drd = U * RD * one_minus_1pv_emv(v, ev);
	memset(o->dlogM, 0, sizeof(o->dlogM));
	if (N <= M) {
		o->capped = 0;
		o->Np = N;
		o->dNp_dM = 0;
		o->dNp_drn = 0;
		return;
	}
	o->capped = 1;
	RNv = N / M - 1;
	u = RNv / RN;
	eu = exp(-u);
	o->Np = M + M * RN * -expm1(-u);
	o->dNp_dM = 1 + RN * -expm1(-u) - eu * N / M;
	o->dNp_drn = M * RN * one_minus_1pv_emv(u, eu);
	/* d lg / d theta */
	{
		double dlg[5] = { 1 / s, -1 / s, 0, (1 / al - lg) / s,
			(-1 / be - lg) / s };
		int j;

		for (j = 0; j < 5; j++)
			o->dlogM[j] = dlg[j] * (1 + be / al);
		o->dlogM[3] += -(be / (al * al)) * (lg + log(U));
		o->dlogM[4] += (lg + log(U)) / al;
	}
}

/* --- the laws, each its value with gradient and its basis -------------- */

static double
power_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double y = exp(t[0] - t[1] * log(x[0]));

	(void)l;
	if (g) {
		g[0] = y;
		g[1] = -y * log(x[0]);
	}
	return y;
}

static void
power_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = exp(-t[1] * log(x[0]));
}

static double
power_offset_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double u = exp(t[1] - t[2] * log(x[0])), y = exp(t[0]) + u;

	(void)l;
	if (g) {
		g[0] = exp(t[0]);
		g[1] = u;
		g[2] = -u * log(x[0]);
	}
	return y;
}

static void
power_offset_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = 1;
	phi[1] = exp(-t[2] * log(x[0]));
}

/* chinchilla (beta = t[4]) and chinchilla-tied (beta = alpha = t[3]) */
static double
chin_eval(const double *t, const double *x, double *g, int tied)
{
	double be = tied ? t[3] : t[4], u, v, w;

	u = exp(t[0] - t[3] * log(x[0]));
	v = exp(t[1] - be * log(x[1]));
	w = exp(t[2]);
	if (g) {
		g[0] = u;
		g[1] = v;
		g[2] = w;
		g[3] = -u * log(x[0]);
		if (!tied)
			g[4] = -v * log(x[1]);
		else
			g[3] += -v * log(x[1]);
	}
	return u + v + w;
}

static double
chinchilla_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	(void)l;
	return chin_eval(t, x, g, 0);
}

static double
tied_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	(void)l;
	return chin_eval(t, x, g, 1);
}

static void
chinchilla_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = exp(-t[3] * log(x[0]));
	phi[1] = exp(-t[4] * log(x[1]));
	phi[2] = 1;
}

static void
tied_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = exp(-t[3] * log(x[0]));
	phi[1] = exp(-t[3] * log(x[1]));
	phi[2] = 1;
}

/*
 * Compute-optimal: minimise A/N^alpha + B/D^beta subject to C = k N D:
 * N = G (C/k)^(beta/(alpha+beta)), G = (alpha A/(beta B))^(1/(alpha+beta)).
 */
static void
chin_optimal(const double *t, double be, double C, double k, double *N,
    double *D)
{
	double A = exp(t[0]), B = exp(t[1]), al = t[3];
	double G = pow(al * A / (be * B), 1 / (al + be));

	*N = G * pow(C / k, be / (al + be));
	*D = C / (k * *N);
}

static void
chinchilla_optimal(const struct nsl_law *l, const double *t, double C,
    double k, double *N, double *D)
{
	(void)l;
	chin_optimal(t, t[4], C, k, N, D);
}

static void
tied_optimal(const struct nsl_law *l, const double *t, double C, double k,
    double *N, double *D)
{
	(void)l;
	chin_optimal(t, t[3], C, k, N, D);
}

static double
kaplan_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double aN = t[2], aD = t[3], dl = t[0] - log(x[0]), s, u, v, y;

	(void)l;
	u = exp((aN / aD) * dl);
	v = exp(t[1] - log(x[1]));
	s = u + v;
	y = exp(aD * log(s));
	if (g) {
		g[0] = y * u * aN / s;
		g[1] = y * aD * v / s;
		g[2] = y * u * dl / s;
		g[3] = y * (log(s) - u * aN * dl / (aD * s));
	}
	return y;
}

static double
dc_law_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	struct dc o;
	double A = exp(t[0]), B = exp(t[1]), E = exp(t[2]);
	double TN, TD;
	int j;

	(void)l;
	dc_eval(t, x, &o);
	TN = A * exp(-t[3] * log(o.Np));
	TD = B * exp(-t[4] * log(o.Dp));
	if (g) {
		double dTN_dNp = -t[3] * TN / o.Np;
		double dTD_dDp = -t[4] * TD / o.Dp;

		g[0] = TN;
		g[1] = TD;
		g[2] = E;
		g[3] = -TN * log(o.Np);
		g[4] = -TD * log(o.Dp);
		g[5] = dTD_dDp * o.dDp_drd;
		g[6] = dTN_dNp * o.dNp_drn;
		if (o.capped) {
			/* dN'/dtheta = dN'/dM * M * dlogM/dtheta */
			double k = dTN_dNp * o.dNp_dM * o.M;

			for (j = 0; j < 5; j++)
				g[j] += k * o.dlogM[j];
		}
	}
	return E + TN + TD;
}

static void
dc_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	struct dc o;

	(void)l;
	(void)h;
	dc_eval(t, x, &o);
	phi[0] = exp(-t[3] * log(o.Np));
	phi[1] = exp(-t[4] * log(o.Dp));
	phi[2] = 1;
}


static double
bnsl_eval(const struct nsl_law *l, const double *t, double x, double *g)
{
	int K = l->breaks, i;
	double a = exp(t[0]), b = exp(t[1]), c0 = t[2], lx = log(x);
	double logP = -c0 * lx, P, y;
	double zs[NSL_LAW_MAX_BREAKS], sp[NSL_LAW_MAX_BREAKS];

	for (i = 0; i < K; i++) {
		double c = t[3 + i], f = exp(t[3 + 2 * K + i]);
		double w = (lx - t[3 + K + i]) / f;

		sp[i] = softplus(w);
		zs[i] = w;
		logP += -c * f * sp[i];
	}
	P = exp(logP);
	y = a + b * P;
	if (g != NULL) {
		double bP = b * P;

		g[0] = a;
		g[1] = bP;
		g[2] = -bP * lx;
		for (i = 0; i < K; i++) {
			double c = t[3 + i], f = exp(t[3 + 2 * K + i]);
			double w = zs[i], q = logistic(w);

			g[3 + i] = -bP * f * sp[i];
			/* d/d ld: w = (lx - ld)/f, dlogP/dld = c f q / f */
			g[3 + K + i] = bP * c * q;
			/* d/d lf: dlogP/df = -c sp + c q w, times f */
			g[3 + 2 * K + i] = bP * f * (-c * sp[i] + c * q * w);
		}
	}
	return y;
}

static double
bnsl_law_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	return bnsl_eval(l, t, x[0], g);
}

static void
bnsl_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	double tt[3 + 3 * NSL_LAW_MAX_BREAKS];

	(void)h;
	memcpy(tt, t, l->np * sizeof(double));
	tt[0] = -INFINITY;	/* a = 0 */
	tt[1] = 0;		/* b = 1 */
	phi[0] = 1;
	phi[1] = bnsl_eval(l, tt, x[0], NULL);
}

/*
 * bnsl's parameters depend on its breaks K: a, b, c0, then c_i, d_i, f_i
 * for each break.  Its nested law is bnsl with one break fewer (c_K = 0,
 * any d_K, f_K) or, with one break, power-offset (c1 = 0).
 */
static int
bnsl_build(struct nsl_law *l, int breaks, struct nsl_err *err)
{
	struct nsl_law_param p[3 + 3 * NSL_LAW_MAX_BREAKS];
	char names[3 * NSL_LAW_MAX_BREAKS][16];	/* "c" and any int */
	const char *nest = "bnsl", *nvars[] = { "x" };
	int i, k = 0, last, nbreaks = breaks - 1;

	if (breaks < 1 || breaks > NSL_LAW_MAX_BREAKS)
		return nsl_err_set(err, NSL_EX_USAGE, "%s: breaks must be "
		    "1 to %d", l->def->name, NSL_LAW_MAX_BREAKS);
	p[0] = (struct nsl_law_param){ "a", NSL_PT_COEF, 0, NAN, 0, INF, "a",
		NAN };
	p[1] = (struct nsl_law_param){ "b", NSL_PT_COEF, 0, NAN, 0, INF, "b",
		NAN };
	p[2] = (struct nsl_law_param){ "c0", NSL_PT_EXPO, 0, NAN, 0, 5, "c0",
		NAN };
	for (i = 0; i < breaks; i++) {
		last = i == breaks - 1;
		snprintf(names[k], sizeof(names[k]), "c%d", i + 1);
		p[3 + i] = (struct nsl_law_param){ names[k], NSL_PT_EXPO, 0,
			NAN, -10, 10, last ? NULL : names[k], 0 };
		k++;
	}
	for (i = 0; i < breaks; i++) {
		last = i == breaks - 1;
		snprintf(names[k], sizeof(names[k]), "d%d", i + 1);
		p[3 + breaks + i] = (struct nsl_law_param){ names[k],
			NSL_PT_SCALE, 0, NAN, 0, INF, last ? NULL : names[k],
			NAN };
		k++;
	}
	for (i = 0; i < breaks; i++) {
		last = i == breaks - 1;
		snprintf(names[k], sizeof(names[k]), "f%d", i + 1);
		p[3 + 2 * breaks + i] = (struct nsl_law_param){ names[k],
			NSL_PT_RATE, -1, NAN, 0, INF, last ? NULL : names[k],
			NAN };
		k++;
	}
	if (breaks == 1) {
		/* power-offset: E + A*x^-a */
		nest = "power-offset";
		nbreaks = 1;
		p[0].nest = "E";
		p[1].nest = "A";
		p[2].nest = "a";
	}
	l->np = (size_t)(3 + 3 * breaks);
	l->breaks = breaks;
	if (set_params(l, p) != 0 || set_nest(l, p, nest, nbreaks, nvars) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

static double
exp_offset_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double u = exp(t[1] - exp(t[2]) * x[0]), y = exp(t[0]) + u;

	(void)l;
	if (g) {
		g[0] = exp(t[0]);
		g[1] = u;
		g[2] = -u * exp(t[2]) * x[0];
	}
	return y;
}

static void
exp_offset_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = 1;
	phi[1] = exp(-exp(t[2]) * x[0]);
}

static double
downstream_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double u = exp(t[1] - exp(t[2]) * x[0]), y = exp(t[0]) - u;

	(void)l;
	if (g) {
		g[0] = exp(t[0]);
		g[1] = -u;
		g[2] = u * exp(t[2]) * x[0];
	}
	return y;
}

static void
downstream_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = 1;
	phi[1] = -exp(-exp(t[2]) * x[0]);
}

static double
lr_anneal_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double u = exp(t[1] - t[3] * log(x[0])), v = exp(t[2]) * x[1];
	double y = exp(t[0]) + u - v;

	(void)l;
	if (g) {
		g[0] = exp(t[0]);
		g[1] = u;
		g[2] = -v;
		g[3] = -u * log(x[0]);
	}
	return y;
}

static void
lr_anneal_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	(void)h;
	phi[0] = 1;
	phi[1] = exp(-t[3] * log(x[0]));
	phi[2] = -x[1];
}

/*
 * lr-anneal's working variables S1, S2 from (step, lr), one record at a
 * time.  Each record's lr is taken to be the rate of the steps since the
 * previous record (k steps), the drop happening at the first of them:
 * m_1 = lambda*m_0 + d, m_t = lambda*m_{t-1}, so that
 * sum_{t=1..k} m_t = (lambda*m_0 + d)(1 - lambda^k)/(1 - lambda).
 * With one record per step this is Tissue et al.'s S1 and S2.  State:
 * s[0] S1, s[1] S2, s[2] m, s[3] the previous step, s[4] its lr.
 */
static int
lr_anneal_step(struct nsl_law_curve *c, double *x, struct nsl_err *err)
{
	double *s = c->s, step = x[0], lr = x[1], k, d, lk;

	if (c->n == 0) {
		s[0] = s[1] = s[2] = s[3] = 0;
		s[4] = lr;
	}
	k = step - s[3];
	if (!(k > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "lr-anneal: steps "
		    "must increase (step %g after %g)", step, s[3]);
	d = s[4] - lr;
	lk = pow(LR_LAMBDA, k);
	s[0] += k * lr;
	s[1] += (LR_LAMBDA * s[2] + d) * (1 - lk) / (1 - LR_LAMBDA);
	s[2] = (LR_LAMBDA * s[2] + d) * lk / LR_LAMBDA;
	x[0] = s[0];
	x[1] = s[1];
	s[3] = step;
	s[4] = lr;
	c->n++;
	return 0;
}

/*
 * coverage and passuntil: y = exp(-(x0/x)^b), i.e. log(-log y) linear in
 * log x (t[0] = log x0, t[1] = b).
 */
static double
exp_power_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double z = t[0] - log(x[0]), w = exp(t[1] * z), y = exp(-w);

	(void)l;
	if (g) {
		g[0] = -y * w * t[1];
		g[1] = -y * w * z;
	}
	return y;
}

/*
 * data-filter (Goyal et al. 2024): a pool of P samples an epoch, seen n
 * samples in all.  Epoch k (k = 0 the first pass) has utility b_k =
 * b 0.5^(k/tau) and ends with s_k = a min(P (k+1), n) scaled samples;
 * y = (d + s_0^b_0) prod_{k>=1, P k < n} (s_k/(a P k))^b_k.  a cancels
 * in the ratios, so it acts on the first pass only.  t: log a, b,
 * log tau, log d.
 */
static double
data_filter_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double n = x[0], P = x[1], b = t[1], tau = exp(t[2]), d = exp(t[3]);
	double ls0 = t[0] + log(fmin(P, n)), u = exp(b * ls0), lp = 0;
	double db = 0, dtau = 0, k, y;

	(void)l;
	for (k = 1; P * k < n; k++) {
		double h = exp(-k / tau * M_LN2);
		double lr = log(fmin(P * (k + 1), n) / (P * k));

		lp += b * h * lr;
		db += h * lr;
		dtau += b * h * (k * M_LN2 / tau) * lr;
	}
	y = (d + u) * exp(lp);
	if (g) {
		g[0] = y * u * b / (d + u);
		g[1] = y * (u * ls0 / (d + u) + db);
		g[2] = y * dtau;
		g[3] = y * d / (d + u);
	}
	return y;
}

/*
 * A union of m pools under data-filter (Goyal et al. 2024, their rule for
 * mixtures): the union is one pool of P samples an epoch, its epoch-k
 * utility the plain mean of the pools' b 0.5^(k/tau) (the paper's
 * buckets are equal-sized quantiles, so each pool is an equal share of
 * an epoch); a and d are shared, and records fitted apart give their
 * mean.  p: m rows of (a, b, tau, d), report space.  For m = 1 this is
 * data_filter_eval's y.
 */
double
nsl_law_filter_mix(const double (*p)[4], size_t m, double n, double P)
{
	double a = 0, d = 0, b0 = 0, lp = 0, bmax = 0, tmax = 0, tail, k;
	size_t i;

	for (i = 0; i < m; i++) {
		a += p[i][0];
		d += p[i][3];
		b0 += p[i][1];
		bmax = fmax(bmax, fabs(p[i][1]));
		tmax = fmax(tmax, p[i][2]);
	}
	a /= (double)m;
	d /= (double)m;
	b0 /= (double)m;
	/*
	 * A budget of many epochs of a small union would loop long (every
	 * union of every budget is asked): stop once the epochs left can
	 * move log y by less than 1e-17, as each adds at most
	 * bmax 0.5^(k/tmax) ln 2, a geometric tail.
	 */
	tail = bmax * M_LN2 / -expm1(-M_LN2 / tmax);
	for (k = 1; P * k < n; k++) {
		double bk = 0;

		if (tail * exp(-k / tmax * M_LN2) < 1e-17)
			break;
		for (i = 0; i < m; i++)
			bk += p[i][1] * exp(-k / p[i][2] * M_LN2);
		lp += bk / (double)m * log(fmin(P * (k + 1), n) / (P * k));
	}
	return (d + exp(b0 * log(a * fmin(P, n)))) * exp(lp);
}

/*
 * fp-quant (Sun et al. 2025, "Scaling Laws for Floating-Point
 * Quantization Training", eq. 26): the Chinchilla loss plus the cost of
 * training in a float of E exponent and M mantissa bits with one scale
 * per B elements, r = D^beta/N^alpha log2(B)/(gamma (E+0.5)^delta
 * (M+0.5)^nu).  t: log n, log d, log eps, alpha, beta, log gamma, delta,
 * nu; x: N, D, E, M, B.
 */
static double
fp_quant_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double lN = log(x[0]), lD = log(x[1]), le = log(x[2] + 0.5);
	double lm = log(x[3] + 0.5), u, v, w, r;

	(void)l;
	u = exp(t[0] - t[3] * lN);
	v = exp(t[1] - t[4] * lD);
	w = exp(t[2]);
	r = exp(t[4] * lD - t[3] * lN - t[5] - t[6] * le - t[7] * lm) *
	    log2(x[4]);
	if (g) {
		g[0] = u;
		g[1] = v;
		g[2] = w;
		g[3] = -(u + r) * lN;
		g[4] = (r - v) * lD;
		g[5] = -r;
		g[6] = -r * le;
		g[7] = -r * lm;
	}
	return u + v + w + r;
}

/* n, d and eps are linear; the quantization term is the rest, h. */
static void
fp_quant_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	(void)l;
	phi[0] = exp(-t[3] * log(x[0]));
	phi[1] = exp(-t[4] * log(x[1]));
	phi[2] = 1;
	*h = exp(t[4] * log(x[1]) - t[3] * log(x[0]) - t[5] - t[6] *
	    log(x[2] + 0.5) - t[7] * log(x[3] + 0.5)) * log2(x[4]);
}

static double
formula_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double vals[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
	double gr[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
	double y;

	memcpy(vals, t, l->np * sizeof(double));
	memcpy(vals + l->np, x, l->nvars * sizeof(double));
	if (g == NULL)
		return nsl_expr_eval(l->expr, vals);
	y = nsl_expr_eval_grad(l->expr, vals, gr);
	memcpy(g, gr, l->np * sizeof(double));
	return y;
}

/* affine in the linear ones: the value with them at 0 is h, the
 * derivatives are the basis */
static void
formula_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	double vals[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
	double gr[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
	size_t j;

	memcpy(vals, t, l->np * sizeof(double));
	memcpy(vals + l->np, x, l->nvars * sizeof(double));
	for (j = 0; j < l->nlin; j++)
		vals[l->lin[j]] = 0;
	*h = nsl_expr_eval_grad(l->expr, vals, gr);
	for (j = 0; j < l->nlin; j++)
		phi[j] = gr[l->lin[j]];
}

/* --- the catalogue ------------------------------------------------------ */

/*
 * Published values: chinchilla, Hoffmann et al. 2022 (approach 3);
 * kaplan, Kaplan et al. 2020 (eq. 1.5); data-constrained, Muennighoff
 * et al. 2023 (their fit of A, B, E, alpha, beta and R_D*, R_N*).
 * Plausible exponents: 0 to 2 for the N and D exponents of language
 * models, 0 to 5 for a generic power law; 10 either way for a BNSL
 * slope change.  Nested laws: chinchilla is data-constrained with
 * R_D, R_N -> infinity (1e12 gives D' = D, N' = N to 1e-10 at 60
 * epochs) and chinchilla-tied is chinchilla with beta = alpha;
 * power-offset is bnsl with c1 = 0 (any d1, f1), bnsl with one break
 * fewer is bnsl with c_K = 0; power is power-offset with E = 0.
 * Start design of exponents: [0, 2] by default; kaplan's and
 * data-constrained's start at 0.02 (an exponent 0 makes their
 * parameters unidentifiable), kaplan's end at 1 and its scales reach
 * e^20 beyond the largest x (Nc, Dc are far beyond the data).
 */
static const struct nsl_law_param power_p[] = { PLAIN("A", NSL_PT_COEF, 0),
	{ "a", NSL_PT_EXPO, 0, NAN, 0, 5, NULL, NAN } };
static const struct nsl_law_param power_offset_p[] = {
	{ "E", NSL_PT_COEF, 0, NAN, 0, INF, NULL, 0 },
	{ "A", NSL_PT_COEF, 0, NAN, 0, INF, "A", NAN },
	{ "a", NSL_PT_EXPO, 0, NAN, 0, 5, "a", NAN } };
static const struct nsl_law_param chinchilla_p[] = {
	{ "A", NSL_PT_COEF, 0, 406.4, 0, INF, "A", NAN },
	{ "B", NSL_PT_COEF, 0, 410.7, 0, INF, "B", NAN },
	{ "E", NSL_PT_COEF, 0, 1.69, 0, INF, "E", NAN },
	{ "alpha", NSL_PT_EXPO, 0, 0.34, 0, 2, "alpha", NAN },
	{ "beta", NSL_PT_EXPO, 1, 0.28, 0, 2, "alpha", NAN } };
/* alpha between Hoffmann's alpha and beta */
static const struct nsl_law_param tied_p[] = {
	{ "A", NSL_PT_COEF, 0, 406.4, 0, INF, NULL, NAN },
	{ "B", NSL_PT_COEF, 0, 410.7, 0, INF, NULL, NAN },
	{ "E", NSL_PT_COEF, 0, 1.69, 0, INF, NULL, NAN },
	{ "alpha", NSL_PT_EXPO, 0, 0.31, 0, 2, NULL, NAN } };
static const struct nsl_law_param kaplan_p[] = {
	{ "Nc", NSL_PT_SCALE, 0, 6.4e13, 0, INF, NULL, NAN },
	{ "Dc", NSL_PT_SCALE, 1, 1.8e13, 0, INF, NULL, NAN },
	{ "aN", NSL_PT_EXPO, 0, 0.076, 0, 2, NULL, NAN },
	{ "aD", NSL_PT_EXPO, 1, 0.103, 0, 2, NULL, NAN } };
static const struct nsl_law_param dc_p[] = {
	{ "A", NSL_PT_COEF, 0, 520.82, 0, INF, "A", NAN },
	{ "B", NSL_PT_COEF, 0, 1487.72, 0, INF, "B", NAN },
	{ "E", NSL_PT_COEF, 0, 1.8691, 0, INF, "E", NAN },
	{ "alpha", NSL_PT_EXPO, 0, 0.35, 0, 2, "alpha", NAN },
	{ "beta", NSL_PT_EXPO, 1, 0.36, 0, 2, "beta", NAN },
	{ "RD", NSL_PT_RATE, -1, 15.4, 0, INF, NULL, 1e12 },
	{ "RN", NSL_PT_RATE, -1, 5.3, 0, INF, NULL, 1e12 } };
static const struct nsl_law_param exp_offset_p[] = {
	PLAIN("E", NSL_PT_COEF, 0), PLAIN("A", NSL_PT_COEF, 0),
	PLAIN("b", NSL_PT_RATE, 0) };
static const struct nsl_law_param downstream_p[] = {
	PLAIN("eps", NSL_PT_COEF, 0), PLAIN("k", NSL_PT_COEF, 0),
	PLAIN("gamma", NSL_PT_RATE, 0) };
static const struct nsl_law_param lr_anneal_p[] = {
	PLAIN("L0", NSL_PT_COEF, 0), PLAIN("A", NSL_PT_COEF, 0),
	PLAIN("C", NSL_PT_COEF, 0),
	{ "alpha", NSL_PT_EXPO, 0, NAN, 0, 2, NULL, NAN } };

/*
 * coverage: Brown et al. 2024 (Large Language Monkeys) fit coverage
 * against samples as exp(a k^b), a < 0, b < 0; here a = -k0^b' and
 * b = -b', so that k0 is the k where coverage is 1/e, a position on the
 * k axis.  passuntil: Hu et al. 2024 (PassUntil) find log(-log PU)
 * linear in log N; PU = exp(-(N0/N)^alpha).  Either position is
 * usually beyond the data (an emergent task): its design reaches e^20
 * past the largest x.
 */
static const struct nsl_law_param coverage_p[] = {
	{ "k0", NSL_PT_SCALE, 0, NAN, 0, INF, NULL, NAN },
	{ "b", NSL_PT_EXPO, 0, NAN, 0, 5, NULL, NAN } };
static const struct nsl_law_param passuntil_p[] = {
	{ "N0", NSL_PT_SCALE, 0, NAN, 0, INF, NULL, NAN },
	{ "alpha", NSL_PT_EXPO, 0, NAN, 0, 5, NULL, NAN } };

/*
 * data-filter: Goyal et al. 2024, "Scaling laws for data filtering --
 * data curation cannot be compute agnostic", their effective-utility
 * form of a repeated pool.  b < 0 (the error falls with samples); tau,
 * the utility's half-life in epochs, and d, the irreducible term, are
 * positive.
 */
static const struct nsl_law_param data_filter_p[] = {
	{ "a", NSL_PT_RATE, -1, NAN, 0, INF, NULL, NAN },
	{ "b", NSL_PT_EXPO, -1, NAN, -INF, 0, NULL, NAN },
	{ "tau", NSL_PT_RATE, -1, NAN, 0, INF, NULL, NAN },
	{ "d", NSL_PT_RATE, -1, NAN, 0, INF, NULL, NAN } };

/*
 * fp-quant: the published fit (Sun et al. 2025, Table 2 of
 * arXiv:2501.02423v3 / ICML 2025), tokens and parameters as counts.
 */
static const struct nsl_law_param fp_quant_p[] = {
	{ "n", NSL_PT_COEF, 0, 69.2343, 0, INF, NULL, NAN },
	{ "d", NSL_PT_COEF, 0, 68973.0621, 0, INF, NULL, NAN },
	{ "eps", NSL_PT_COEF, 0, 1.9061, 0, INF, NULL, NAN },
	{ "alpha", NSL_PT_EXPO, 0, 0.2368, 0, 2, NULL, NAN },
	{ "beta", NSL_PT_EXPO, 1, 0.5162, 0, 2, NULL, NAN },
	/* (a rate: in the law as 1/gamma, not a linear coefficient) */
	{ "gamma", NSL_PT_RATE, -1, 11334.5197, 0, INF, NULL, NAN },
	{ "delta", NSL_PT_EXPO, 2, 3.1926, 0, 10, NULL, NAN },
	{ "nu", NSL_PT_EXPO, 3, 2.9543, 0, 10, NULL, NAN } };

#define P(a) (a), sizeof(a) / sizeof((a)[0])

const struct nsl_law_def nsl_law_catalogue[] = {
	{ .name = "power", .formula = "y = A*x^-a", .yname = "y",
	  .vars = { "x" }, .nvars = 1, .params = P(power_p),
	  .var_positive = 1, .expo_hi = 2,
	  .eval = power_eval, .basis = power_basis },
	{ .name = "power-offset", .formula = "y = E + A*x^-a", .yname = "y",
	  .vars = { "x" }, .nvars = 1, .params = P(power_offset_p),
	  .nest = "power", .nest_breaks = 1, .nest_vars = { "x" },
	  .var_positive = 1, .expo_hi = 2,
	  .eval = power_offset_eval, .basis = power_offset_basis },
	{ .name = "chinchilla", .formula = "L = E + A/N^alpha + B/D^beta",
	  .yname = "loss", .vars = { "N", "D" }, .nvars = 2,
	  .params = P(chinchilla_p),
	  .nest = "chinchilla-tied", .nest_breaks = 1,
	  .nest_vars = { "N", "D" },
	  .var_positive = 3, .expo_hi = 2,
	  .eval = chinchilla_eval, .basis = chinchilla_basis,
	  .optimal = chinchilla_optimal },
	{ .name = "chinchilla-tied", .formula = "L = E + A/N^alpha + B/D^alpha",
	  .yname = "loss", .vars = { "N", "D" }, .nvars = 2,
	  .params = P(tied_p),
	  .var_positive = 3, .expo_hi = 2,
	  .eval = tied_eval, .basis = tied_basis, .optimal = tied_optimal },
	{ .name = "kaplan", .formula = "L = ((Nc/N)^(aN/aD) + Dc/D)^aD",
	  .yname = "loss", .vars = { "N", "D" }, .nvars = 2,
	  .params = P(kaplan_p),
	  .var_positive = 3, .expo_lo = 0.02, .expo_hi = 1, .scale_pad = 20,
	  .eval = kaplan_eval },
	{ .name = "data-constrained", .formula = "L = E + A/N'^alpha + "
	  "B/D'^beta, D' = U + U*RD*(1 - exp(-(D/U - 1)/RD)), N' = UN + "
	  "UN*RN*(1 - exp(-(N/UN - 1)/RN)), UN = min(N, G*(G*U)^(beta/"
	  "alpha)), G = (alpha*A/(beta*B))^(1/(alpha+beta))",
	  .yname = "loss", .vars = { "N", "D", "U" }, .nvars = 3,
	  .params = P(dc_p),
	  .nest = "chinchilla", .nest_breaks = 1, .nest_vars = { "N", "D" },
	  .var_positive = 7, .expo_lo = 0.02, .expo_hi = 2,
	  .flags = NSL_LAWF_BASIS_COEF,
	  .eval = dc_law_eval, .basis = dc_basis },
	{ .name = "bnsl", .formula = "y = a + b*x^-c0 * prod_i (1 + "
	  "(x/d_i)^(1/f_i))^(-c_i*f_i)", .yname = "y",
	  .vars = { "x" }, .nvars = 1, .build = bnsl_build,
	  .var_positive = 1, .expo_hi = 2, .flags = NSL_LAWF_BREAKS,
	  .eval = bnsl_law_eval, .basis = bnsl_basis },
	{ .name = "exp-offset", .formula = "y = E + A*exp(-b*x)", .yname = "y",
	  .vars = { "x" }, .nvars = 1, .params = P(exp_offset_p),
	  .expo_hi = 2,
	  .eval = exp_offset_eval, .basis = exp_offset_basis },
	{ .name = "downstream", .formula = "Err = eps - k*exp(-gamma*L)",
	  .yname = "error", .vars = { "loss" }, .nvars = 1,
	  .params = P(downstream_p),
	  .expo_hi = 2,
	  .eval = downstream_eval, .basis = downstream_basis },
	{ .name = "lr-anneal", .formula = "L = L0 + A*S1^-alpha - C*S2, S1 = "
	  "sum of lr, S2 = sum of m, m = 0.999*m + (lr_prev - lr)",
	  .yname = "loss", .vars = { "step", "lr" }, .nvars = 2,
	  .params = P(lr_anneal_p),
	  .var_positive = 1,	/* steps; lr may be 0 */
	  .expo_hi = 2, .flags = NSL_LAWF_CURVE,
	  .eval = lr_anneal_eval, .basis = lr_anneal_basis,
	  .step = lr_anneal_step },
	{ .name = "coverage", .formula = "c = exp(-(k0/k)^b)",
	  .yname = "coverage", .vars = { "k" }, .nvars = 1,
	  .params = P(coverage_p),
	  .var_positive = 1, .expo_lo = 0.02, .expo_hi = 2, .scale_pad = 20,
	  .eval = exp_power_eval },
	{ .name = "data-filter", .formula = "y = (d + s_0^b) * prod_{k>=1, "
	  "P*k < n} (s_k/(a*P*k))^(b*0.5^(k/tau)), s_k = a*min(P*(k+1), n)",
	  .yname = "y", .vars = { "n", "P" }, .nvars = 2,
	  .params = P(data_filter_p),
	  .var_positive = 3, .expo_lo = -1, .expo_hi = -0.01,
	  .eval = data_filter_eval },
	{ .name = "fp-quant", .formula = "L = n/N^alpha + d/D^beta + eps + "
	  "D^beta/N^alpha * log2(B)/(gamma*(E+0.5)^delta*(M+0.5)^nu)",
	  .yname = "loss", .vars = { "N", "D", "E", "M", "B" }, .nvars = 5,
	  .params = P(fp_quant_p),
	  .var_positive = 1 | 2 | 16,	/* N, D, B; E and M may be 0 */
	  .expo_hi = 4,	/* delta and nu near 3 */
	  .eval = fp_quant_eval, .basis = fp_quant_basis },
	{ .name = "passuntil", .formula = "PU = exp(-(N0/N)^alpha)",
	  .yname = "PU", .vars = { "N" }, .nvars = 1,
	  .params = P(passuntil_p),
	  .var_positive = 1, .expo_lo = 0.02, .expo_hi = 3, .scale_pad = 20,
	  .eval = exp_power_eval },
	{ .name = NULL }
};

/* The user's formula: nsl_law_formula() fills in the rest. */
static const struct nsl_law_def formula_def = {
	.name = "formula", .yname = "y", .expo_hi = 2,
	.flags = NSL_LAWF_FORMULA,
	.eval = formula_eval, .basis = formula_basis
};

const struct nsl_law_def *
nsl_law_find(const char *name)
{
	const struct nsl_law_def *d;

	for (d = nsl_law_catalogue; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

struct nsl_law *
nsl_law_new(const char *name, int breaks, struct nsl_err *err)
{
	const struct nsl_law_def *d = nsl_law_find(name);
	struct nsl_law *l;
	size_t i;
	int bad = 0;

	if (d == NULL) {
		nsl_err_set(err, NSL_EX_USAGE, "unknown law '%s' (see "
		    "--list-laws)", name);
		return NULL;
	}
	if ((l = law_alloc(d, d->formula, d->nvars,
	    d->build != NULL ? 3 + 3 * NSL_LAW_MAX_BREAKS : d->np)) == NULL)
		goto nomem;
	for (i = 0; i < d->nvars; i++)
		bad |= nsl_law_set_var(l, i, d->vars[i]);
	if (bad)
		goto nomem;
	if (d->build != NULL) {
		if (d->build(l, breaks, err) != 0) {
			nsl_law_free(l);
			return NULL;
		}
		return l;
	}
	if (set_params(l, d->params) != 0 || (d->nest != NULL &&
	    set_nest(l, d->params, d->nest, d->nest_breaks,
	    d->nest_vars) != 0))
		goto nomem;
	return l;
nomem:
	nsl_law_free(l);
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return NULL;
}

struct nsl_law *
nsl_law_formula(const char *text, const char *const *pnames,
    const double *start, size_t np, const char *const *vnames, size_t nv,
    struct nsl_err *err)
{
	const char *names[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
	struct nsl_law *l;
	size_t i, used = 0;

	if (np == 0 || np > NSL_LAW_MAX_PARAMS || nv > NSL_LAW_MAX_VARS) {
		nsl_err_set(err, NSL_EX_USAGE, "formula: need 1 to %d "
		    "parameters and at most %d variables", NSL_LAW_MAX_PARAMS,
		    NSL_LAW_MAX_VARS);
		return NULL;
	}
	for (i = 0; i < np; i++)
		names[i] = pnames[i];
	for (i = 0; i < nv; i++)
		names[np + i] = vnames[i];
	l = law_alloc(&formula_def, text, nv, np);
	if (l == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	l->expr = nsl_expr_parse(text, names, np + nv, err);
	if (l->expr == NULL) {
		nsl_law_free(l);
		return NULL;
	}
	for (i = 0; i < np; i++) {
		if (set_param(l, i, pnames[i], NSL_PT_FREE, -1) != 0)
			goto nomem;
		l->pstart[i] = start[i];
		used += nsl_expr_uses(l->expr, i) != 0;
	}
	for (i = 0; i < nv; i++)
		if (nsl_law_set_var(l, i, vnames[i]) != 0)
			goto nomem;
	/*
	 * The linear parameters, for variable projection: greedily, each
	 * parameter in which the formula stays jointly affine with those
	 * already taken (E, A, B in E + A*N^-a + B*D^-b).
	 */
	{
		unsigned char in[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];

		memset(in, 0, sizeof(in));
		for (i = 0; i < np; i++) {
			if (!nsl_expr_uses(l->expr, i))
				continue;
			in[i] = 1;
			if (nsl_expr_affine(l->expr, in))
				l->lin[l->nlin++] = i;
			else
				in[i] = 0;
		}
	}
	if (used == 0) {
		nsl_err_set(err, NSL_EX_USAGE, "formula: uses none of the "
		    "parameters");
		nsl_law_free(l);
		return NULL;
	}
	return l;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	nsl_law_free(l);
	return NULL;
}

struct nsl_law *
nsl_law_copy(const struct nsl_law *l, struct nsl_err *err)
{
	struct nsl_law *c;
	size_t i;

	if (l->def->flags & NSL_LAWF_FORMULA)
		c = nsl_law_formula(l->formula,
		    (const char *const *)l->params, l->pstart, l->np,
		    (const char *const *)l->vars, l->nvars, err);
	else
		c = nsl_law_new(l->name, l->breaks, err);
	if (c == NULL)
		return NULL;
	for (i = 0; i < l->nvars; i++)
		if (nsl_law_set_var(c, i, l->vars[i]) != 0)
			goto nomem;
	if (nsl_law_set_y(c, l->yname) != 0)
		goto nomem;
	return c;
nomem:
	nsl_law_free(c);
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return NULL;
}

int
nsl_law_set_y(struct nsl_law *l, const char *field)
{
	char *p = xstrdup(field);

	if (p == NULL)
		return -1;
	free(l->yname);
	l->yname = p;
	return 0;
}

long
nsl_law_param_index(const struct nsl_law *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->np; i++)
		if (strcmp(l->params[i], name) == 0)
			return (long)i;
	return -1;
}

int
nsl_law_param_is_log(const struct nsl_law *l, size_t k)
{
	return l->ptype[k] == NSL_PT_COEF || l->ptype[k] == NSL_PT_RATE ||
	    l->ptype[k] == NSL_PT_SCALE;
}

void
nsl_law_to_report(const struct nsl_law *l, const double *theta, double *out)
{
	size_t i;

	for (i = 0; i < l->np; i++)
		out[i] = nsl_law_param_is_log(l, i) ? exp(theta[i]) : theta[i];
}

void
nsl_law_from_report(const struct nsl_law *l, const double *p, double *theta)
{
	size_t i;

	for (i = 0; i < l->np; i++)
		theta[i] = nsl_law_param_is_log(l, i) ? log(p[i]) : p[i];
}

int
nsl_law_var_positive(const struct nsl_law *l, size_t k)
{
	return (l->def->var_positive >> k) & 1;
}

void
nsl_law_curve_init(struct nsl_law_curve *c)
{
	memset(c, 0, sizeof(*c));
}

int
nsl_law_prepare_next(const struct nsl_law *l, struct nsl_law_curve *c,
    double *x, struct nsl_err *err)
{
	if (l->def->step == NULL)
		return 0;
	return l->def->step(c, x, err);
}

int
nsl_law_prepare(const struct nsl_law *l, double *x, size_t n,
    struct nsl_err *err)
{
	struct nsl_law_curve c;
	size_t i;

	nsl_law_curve_init(&c);
	for (i = 0; i < n && l->def->step != NULL; i++)
		if (l->def->step(&c, x + i * l->nvars, err) != 0)
			return -1;
	return 0;
}

double
nsl_law_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	return l->def->eval(l, t, x, g);
}

int
nsl_law_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	*h = 0;
	if (l->nlin == 0 || l->def->basis == NULL)
		return -1;
	l->def->basis(l, t, x, phi, h);
	return 0;
}

/*
 * The index of the law's variable called name: a catalogue law's by its
 * row's own names (a fit may read them from other fields), a formula's
 * by the names it was given.  -1 when it has none.
 */
static long
var_named(const struct nsl_law *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->nvars; i++)
		if (strcmp(l->def->nvars > 0 ? l->def->vars[i] : l->vars[i],
		    name) == 0)
			return (long)i;
	return -1;
}

long
nsl_law_var_role(const struct nsl_law *l, const char *name)
{
	return var_named(l, name);
}

int
nsl_law_has_optimal(const struct nsl_law *l)
{
	return var_named(l, "N") >= 0 && var_named(l, "D") >= 0;
}

/*
 * The loss along the compute constraint: u = log N, D = exp(s - u) with
 * s = log(C/k), the other variables as given.
 */
struct opt_fn {
	const struct nsl_law *l;
	const double *theta;
	double x[NSL_LAW_MAX_VARS];
	long kn, kd;
	double s;
};

static double
opt_f(double u, void *arg)
{
	struct opt_fn *o = arg;
	double y;

	o->x[o->kn] = exp(u);
	o->x[o->kd] = exp(o->s - u);
	y = nsl_law_eval(o->l, o->theta, o->x, NULL);
	return isnan(y) ? INFINITY : y;
}

/*
 * Scan u over [ulo, uhi] in steps of h and refine the lowest point by
 * Brent's method between its neighbours.  Returns 0 with *u, 1 when the
 * lowest point is an end of the scan (the minimum may lie beyond it),
 * -1 when no point is finite.
 */
static int
opt_scan(struct opt_fn *o, double ulo, double uhi, double h, double *u)
{
	gsl_min_fminimizer *m;
	gsl_function F;
	double best = INFINITY, ub = NAN, a, b, fa, fb, f0 = NAN, fn = NAN;
	long i, n = (long)ceil((uhi - ulo) / h), bi = -1;
	int status = GSL_CONTINUE;

	for (i = 0; i <= n; i++) {
		double v = opt_f(ulo + (double)i * h, o);

		if (v < best) {
			best = v;
			bi = i;
		}
		if (i == 0)
			f0 = v;
		fn = v;
	}
	if (bi < 0)
		return -1;
	ub = ulo + (double)bi * h;
	*u = ub;
	/*
	 * An end as low as the best, to rounding, is no interior minimum:
	 * the loss falls, or has gone flat (E + A/N^a once A/N^a is below
	 * E's last digit), towards that end.
	 */
	if (bi == 0 || bi == n || f0 - best <= 1e-12 * fabs(best) ||
	    fn - best <= 1e-12 * fabs(best))
		return 1;
	a = ub - h;
	b = ub + h;
	fa = opt_f(a, o);
	fb = opt_f(b, o);
	if (!(best < fa && best < fb))
		return 0;	/* flat at the grid's resolution: take it */
	F.function = opt_f;
	F.params = o;
	if ((m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent)) == NULL)
		return 0;
	if (gsl_min_fminimizer_set_with_values(m, &F, ub, best, a, fa, b,
	    fb) != GSL_SUCCESS) {
		gsl_min_fminimizer_free(m);
		return 0;
	}
	for (i = 0; i < 200 && status == GSL_CONTINUE; i++) {
		if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS)
			break;
		status = gsl_min_test_interval(gsl_min_fminimizer_x_lower(m),
		    gsl_min_fminimizer_x_upper(m), 1e-13, 0);
	}
	if (gsl_min_fminimizer_f_minimum(m) <= best)
		*u = gsl_min_fminimizer_x_minimum(m);
	gsl_min_fminimizer_free(m);
	return 0;
}

int
nsl_law_optimal_at(const struct nsl_law *l, const double *t, const double *x,
    double C, double k, double guess, double *N, double *D, double *L,
    struct nsl_err *err)
{
	struct opt_fn o;
	double u = NAN, lo, hi;
	size_t i;
	int rc = 1;

	*N = *D = *L = NAN;
	o.kn = var_named(l, "N");
	o.kd = var_named(l, "D");
	if (o.kn < 0 || o.kd < 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "--compute-optimal "
		    "needs a law of N and D, not %s", l->name);
	if (!(C > 0) || !isfinite(C) || !(k > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "--compute-optimal: "
		    "compute %g: expected a positive budget", C);
	for (i = 0; i < l->nvars; i++)
		o.x[i] = x != NULL ? x[i] : NAN;
	for (i = 0; i < l->nvars; i++)
		if ((long)i != o.kn && (long)i != o.kd && isnan(o.x[i]))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "--compute-optimal: law %s needs \"%s\" too",
			    l->name, l->vars[i]);
	if (l->def->optimal != NULL) {
		l->def->optimal(l, t, C, k, N, D);
		o.x[o.kn] = *N;
		o.x[o.kd] = *D;
		*L = nsl_law_eval(l, t, o.x, NULL);
		return 0;
	}
	o.l = l;
	o.theta = t;
	o.s = log(C) - log(k);
	/*
	 * Near a guess (a bootstrap sample near the fit's optimum): three
	 * decades either way, 32 points a decade; then, or without a guess,
	 * N and D each from 1e-300 to 1e300, 8 points a decade.
	 */
	if (isfinite(guess) && guess > 0)
		rc = opt_scan(&o, log(guess) - 3 * M_LN10, log(guess) +
		    3 * M_LN10, M_LN10 / 32, &u);
	if (rc != 0) {
		lo = fmax(-690, o.s - 690);
		hi = fmin(690, o.s + 690);
		rc = lo < hi ? opt_scan(&o, lo, hi, M_LN10 / 8, &u) : -1;
	}
	if (rc != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "--compute-optimal: "
		    "law %s has no optimum at C = %g: the loss %s", l->name,
		    C, rc < 0 ? "is nowhere finite" : "keeps falling towards "
		    "an end of the N range");
	*L = opt_f(u, &o);
	*N = exp(u);
	*D = exp(o.s - u);
	return 0;
}

int
nsl_law_optimal(const struct nsl_law *l, const double *t, double C,
    double k, double *N, double *D, double *L, struct nsl_err *err)
{
	return nsl_law_optimal_at(l, t, NULL, C, k, NAN, N, D, L, err);
}

/*
 * Solving: the grid of trial values is 0 and +-10^(e/SOLVE_PER_DECADE)
 * for e = -300*SOLVE_PER_DECADE .. 300*SOLVE_PER_DECADE, in ascending
 * order; index SOLVE_K is 0.
 */
#define SOLVE_PER_DECADE 4
#define SOLVE_K (600 * SOLVE_PER_DECADE + 1)	/* magnitudes per sign */

static double
solve_grid(long i)
{
	long j = i - SOLVE_K;

	if (j == 0)
		return 0;
	return (j > 0 ? 1 : -1) * pow(10, -300.0 + (double)(labs(j) - 1) /
	    SOLVE_PER_DECADE);
}

struct solve_fn {
	const struct nsl_law *l;
	const double *theta;
	double *x;
	size_t k;
	double target;
};

static double
solve_f(double v, void *arg)
{
	struct solve_fn *s = arg;

	s->x[s->k] = v;
	return nsl_law_eval(s->l, s->theta, s->x, NULL) - s->target;
}

/*
 * How far v is from the preferred range [lo, hi], as a pair: cls 0 for
 * a value on the range's side of zero (either side when the range holds
 * 0), 1 for 0 itself, 2 for the other side; d the distance within the
 * class -- the log ratio to the range for a range off zero, the plain
 * distance for one that holds zero, and |v| on the other side.
 */
static void
solve_dist(double v, double lo, double hi, int *cls, double *d)
{
	if (lo <= 0 && hi >= 0) {
		*cls = 0;
		*d = v < lo ? lo - v : v > hi ? v - hi : 0;
		return;
	}
	if (v == 0) {
		*cls = 1;
		*d = 0;
		return;
	}
	if ((v > 0) != (lo > 0)) {
		*cls = 2;
		*d = fabs(v);
		return;
	}
	*cls = 0;
	if (fabs(v) < fmin(fabs(lo), fabs(hi)))
		*d = log(fmin(fabs(lo), fabs(hi)) / fabs(v));
	else if (fabs(v) > fmax(fabs(lo), fabs(hi)))
		*d = log(fabs(v) / fmax(fabs(lo), fabs(hi)));
	else
		*d = 0;
}

static int
solve_better(double a, double b, double lo, double hi)
{
	int ca, cb;
	double da, db;

	solve_dist(a, lo, hi, &ca, &da);
	solve_dist(b, lo, hi, &cb, &db);
	if (ca != cb)
		return ca < cb;
	if (da != db)
		return da < db;
	return a < b;
}

/* The best place in [a, b] for a root: where a root there can be best. */
static double
solve_bound(double a, double b, double lo, double hi)
{
	if (a <= hi && b >= lo)
		return fmax(a, lo);	/* the cell meets the range */
	return solve_better(a, b, lo, hi) ? a : b;
}

/*
 * Brent's method on [a, b], where f changes sign (one end may be
 * infinite: bisection first makes both finite).  Returns 0 with the root
 * in *out, or -1 when the bracket closes on a jump of f rather than a
 * zero (a pole or a step: |f| does not fall as the bracket shrinks).
 */
static int
solve_refine(struct solve_fn *s, double a, double fa, double b, double fb,
    double *out)
{
	gsl_root_fsolver *rs;
	gsl_function F;
	double r = NAN, flo, fhi, fr;
	int i, status = GSL_CONTINUE;

	/* an infinite end (a pole at a grid point): bisect it away */
	for (i = 0; i < 200 && !(isfinite(fa) && isfinite(fb)); i++) {
		double m = a + (b - a) / 2, fm = solve_f(m, s);

		if (isnan(fm) || !(m > a && m < b))
			return -1;
		if ((fm < 0) == (fa < 0)) {
			a = m;
			fa = fm;
		} else {
			b = m;
			fb = fm;
		}
		if (fm == 0) {
			*out = m;
			return 0;
		}
	}
	if (!(isfinite(fa) && isfinite(fb)))
		return -1;
	F.function = solve_f;
	F.params = s;
	if ((rs = gsl_root_fsolver_alloc(gsl_root_fsolver_brent)) == NULL)
		return -1;
	if (gsl_root_fsolver_set(rs, &F, a, b) != GSL_SUCCESS) {
		gsl_root_fsolver_free(rs);
		return -1;
	}
	for (i = 0; i < 300 && status == GSL_CONTINUE; i++) {
		if (gsl_root_fsolver_iterate(rs) != GSL_SUCCESS)
			break;
		r = gsl_root_fsolver_root(rs);
		status = gsl_root_test_interval(gsl_root_fsolver_x_lower(rs),
		    gsl_root_fsolver_x_upper(rs), 0, 4 * DBL_EPSILON);
	}
	flo = solve_f(gsl_root_fsolver_x_lower(rs), s);
	fhi = solve_f(gsl_root_fsolver_x_upper(rs), s);
	gsl_root_fsolver_free(rs);
	fr = isnan(r) ? NAN : solve_f(r, s);
	if (!isfinite(fr))
		return -1;
	/* at a zero |f| falls; at a pole or step it does not */
	if (fmin(fabs(flo), fabs(fhi)) > fmax(fabs(fa), fabs(fb)))
		return -1;
	*out = r;
	return 0;
}

int
nsl_law_solve_near(const struct nsl_law *l, const double *theta,
    const double *x, size_t k, double target, double lo, double hi,
    double *out, struct nsl_err *err)
{
	double xx[NSL_LAW_MAX_VARS], *f = NULL, best = NAN;
	struct cand { double a, b, fa, fb, p; } *c = NULL;
	struct solve_fn s;
	long i, imin, imax, nc = 0, j;
	int pos = nsl_law_var_positive(l, k), ret = -1;

	memcpy(xx, x, l->nvars * sizeof(double));
	s.l = l;
	s.theta = theta;
	s.x = xx;
	s.k = k;
	s.target = target;
	if (isnan(lo) || isnan(hi) || lo > hi) {
		/* no range: the smallest positive root, then 0, then the
		 * negative root nearest 0 */
		lo = hi = DBL_TRUE_MIN;
	}
	imin = pos ? SOLVE_K + 1 : 0;
	imax = 2 * SOLVE_K;
	f = malloc((size_t)(imax + 1) * sizeof(*f));
	c = malloc((size_t)(imax + 1) * sizeof(*c));
	if (f == NULL || c == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	gsl_set_error_handler_off();
	/* every grid point where f is 0, every cell where f changes sign */
	for (i = imin; i <= imax; i++) {
		double v = solve_grid(i);

		f[i] = solve_f(v, &s);
		if (f[i] == 0) {
			c[nc++] = (struct cand){ v, v, 0, 0, v };
			continue;
		}
		if (i > imin && !isnan(f[i]) && !isnan(f[i - 1]) &&
		    f[i - 1] != 0 && (f[i] < 0) != (f[i - 1] < 0) &&
		    (isfinite(f[i]) || isfinite(f[i - 1])))
			c[nc++] = (struct cand){ solve_grid(i - 1), v, f[i - 1],
			    f[i], NAN };
	}
	/*
	 * Refine the candidates, best placed first, until the next cell
	 * cannot hold a root better than the best found.
	 */
	for (j = 0; j < nc; j++)
		c[j].p = solve_bound(c[j].a, c[j].b, lo, hi);
	while (nc > 0) {
		long bi = 0;
		double r;

		for (j = 1; j < nc; j++)
			if (solve_better(c[j].p, c[bi].p, lo, hi))
				bi = j;
		if (!isnan(best) && !solve_better(c[bi].p, best, lo, hi))
			break;
		if (c[bi].a == c[bi].b)
			r = c[bi].a;
		else if (solve_refine(&s, c[bi].a, c[bi].fa, c[bi].b, c[bi].fb,
		    &r) != 0)
			r = NAN;
		if (!isnan(r) && (isnan(best) || solve_better(r, best, lo, hi)))
			best = r;
		c[bi] = c[--nc];
	}
	if (isnan(best)) {
		nsl_err_set(err, NSL_EX_DATAERR, "the law never reaches %g in "
		    "\"%s\"", target, l->vars[k]);
		goto out;
	}
	*out = best;
	ret = 0;
out:
	free(f);
	free(c);
	return ret;
}

int
nsl_law_solve(const struct nsl_law *l, const double *theta,
    const double *x, size_t k, double target, double *out,
    struct nsl_err *err)
{
	return nsl_law_solve_near(l, theta, x, k, target, NAN, NAN, out, err);
}

void
nsl_law_describe(const struct nsl_law *l, struct nsl_buf *b)
{
	size_t i;

	nsl_buf_addf(b, "%-17s %s\n%17s variables:", l->name, l->formula,
	    "");
	for (i = 0; i < l->nvars; i++)
		nsl_buf_addf(b, " %s", l->vars[i]);
	nsl_buf_addf(b, " (y: %s); parameters:", l->yname);
	for (i = 0; i < l->np; i++)
		nsl_buf_addf(b, " %s%s", l->params[i],
		    nsl_law_param_is_log(l, i) ? "*" : "");
	nsl_buf_addc(b, '\n');
}

int
nsl_law_list(struct nsl_buf *b, struct nsl_err *err)
{
	const struct nsl_law_def *d;

	for (d = nsl_law_catalogue; d->name != NULL; d++) {
		struct nsl_law *l = nsl_law_new(d->name, 1, err);

		if (l == NULL)
			return -1;
		nsl_law_describe(l, b);
		nsl_law_free(l);
	}
	nsl_buf_adds(b, "(* fitted in log space; bnsl shown with --breaks 1;"
	    " --formula for your own law)\n");
	if (nsl_buf_failed(b))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}
