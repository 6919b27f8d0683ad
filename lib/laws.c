/*
 * laws.c - the scaling-law catalogue (see nsl/laws.h).
 *
 * Every law is written once with its analytic gradient in fit space.
 * Notation in the comments: l* = log of a log-space parameter.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "nsl/expr.h"
#include "nsl/laws.h"

const char *const nsl_law_names[] = {
	"power", "power-offset", "chinchilla", "chinchilla-tied", "kaplan",
	"data-constrained", "bnsl", "exp-offset", "downstream", "lr-anneal",
	NULL
};

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

/* Allocate a law with room for nv variables and np parameters. */
static struct nsl_law *
law_alloc(enum nsl_law_kind kind, const char *name, const char *formula,
    const char *yname, size_t nv, size_t np)
{
	struct nsl_law *l = calloc(1, sizeof(*l));
	size_t i;

	if (l == NULL)
		return NULL;
	l->kind = kind;
	l->nvars = nv;
	l->np = np;
	l->name = xstrdup(name);
	l->formula = xstrdup(formula);
	l->yname = xstrdup(yname);
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

/*
 * A row of a law's parameter table: its name, type, the variable it refers
 * to, the published value (a start), the plausible range (report space),
 * and its place in the nested law: that law's parameter of the same
 * meaning, or the value that makes this law that special case.
 */
struct pdef {
	const char *name;
	enum nsl_param_type t;
	int var;
	double start;		/* NAN: none */
	double lo, hi;		/* -INF, INF: no limit */
	const char *nest;	/* the nested law's parameter, or NULL ... */
	double neutral;		/* ... and then this value (NAN: any) */
};

/* The nested law of a row: its name, breaks, and for each of its
 * variables the name of ours that it reads. */
struct ndef {
	const char *law;
	int breaks;
	const char *vars[3];
};

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

/* Resolve the nested law's names into indices. */
static int
set_nest(struct nsl_law *l, const struct pdef *pd, const struct ndef *nd)
{
	struct nsl_err err;
	struct nsl_law *in;
	size_t i;
	int ret = -1;

	if ((in = nsl_law_new(nd->law, nd->breaks, &err)) == NULL)
		return -1;
	l->nest = xstrdup(nd->law);
	l->nest_breaks = nd->breaks;
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
		long v = name_index(l->vars, l->nvars, nd->vars[i]);

		if (v < 0)
			goto out;
		l->nest_var[i] = (int)v;
	}
	ret = 0;
out:
	nsl_law_free(in);
	return ret;
}

static struct nsl_law *
law_build(enum nsl_law_kind kind, const char *name, const char *formula,
    const char *yname, const char *const *vars, size_t nv,
    const struct pdef *pd, size_t np, const size_t *lin, size_t nlin,
    const struct ndef *nd)
{
	struct nsl_law *l = law_alloc(kind, name, formula, yname, nv, np);
	size_t i;
	int bad = 0;

	if (l == NULL)
		return NULL;
	for (i = 0; i < nv; i++)
		bad |= nsl_law_set_var(l, i, vars[i]);
	for (i = 0; i < np; i++) {
		bad |= set_param(l, i, pd[i].name, pd[i].t, pd[i].var);
		l->pstart[i] = pd[i].start;
		l->pmin[i] = pd[i].lo;
		l->pmax[i] = pd[i].hi;
	}
	for (i = 0; i < nlin; i++)
		l->lin[i] = lin[i];
	l->nlin = nlin;
	if (!bad && nd != NULL)
		bad = set_nest(l, pd, nd);
	if (bad) {
		nsl_law_free(l);
		return NULL;
	}
	return l;
}

struct nsl_law *
nsl_law_new(const char *name, int breaks, struct nsl_err *err)
{
	static const char *const vx[] = { "x" };
	static const char *const vnd[] = { "N", "D" };
	static const char *const vndu[] = { "N", "D", "U" };
	static const char *const vl[] = { "loss" };
	static const char *const vlr[] = { "step", "lr" };
	struct nsl_law *l = NULL;

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
	 */
	if (strcmp(name, "power") == 0) {
		static const struct pdef p[] = { PLAIN("A", NSL_PT_COEF, 0),
			{ "a", NSL_PT_EXPO, 0, NAN, 0, 5, NULL, NAN } };
		static const size_t lin[] = { 0 };
		l = law_build(NSL_LAW_POWER, name, "y = A*x^-a", "y", vx, 1,
		    p, 2, lin, 1, NULL);
	} else if (strcmp(name, "power-offset") == 0) {
		static const struct pdef p[] = {
			{ "E", NSL_PT_COEF, 0, NAN, 0, INF, NULL, 0 },
			{ "A", NSL_PT_COEF, 0, NAN, 0, INF, "A", NAN },
			{ "a", NSL_PT_EXPO, 0, NAN, 0, 5, "a", NAN } };
		static const size_t lin[] = { 0, 1 };
		static const struct ndef nd = { "power", 1, { "x" } };
		l = law_build(NSL_LAW_POWER_OFFSET, name, "y = E + A*x^-a",
		    "y", vx, 1, p, 3, lin, 2, &nd);
	} else if (strcmp(name, "chinchilla") == 0) {
		static const struct pdef p[] = {
			{ "A", NSL_PT_COEF, 0, 406.4, 0, INF, "A", NAN },
			{ "B", NSL_PT_COEF, 0, 410.7, 0, INF, "B", NAN },
			{ "E", NSL_PT_COEF, 0, 1.69, 0, INF, "E", NAN },
			{ "alpha", NSL_PT_EXPO, 0, 0.34, 0, 2, "alpha", NAN },
			{ "beta", NSL_PT_EXPO, 1, 0.28, 0, 2, "alpha", NAN } };
		static const size_t lin[] = { 0, 1, 2 };
		static const struct ndef nd = { "chinchilla-tied", 1,
			{ "N", "D" } };
		l = law_build(NSL_LAW_CHINCHILLA, name,
		    "L = E + A/N^alpha + B/D^beta", "loss", vnd, 2, p, 5,
		    lin, 3, &nd);
	} else if (strcmp(name, "chinchilla-tied") == 0) {
		/* alpha between Hoffmann's alpha and beta */
		static const struct pdef p[] = {
			{ "A", NSL_PT_COEF, 0, 406.4, 0, INF, NULL, NAN },
			{ "B", NSL_PT_COEF, 0, 410.7, 0, INF, NULL, NAN },
			{ "E", NSL_PT_COEF, 0, 1.69, 0, INF, NULL, NAN },
			{ "alpha", NSL_PT_EXPO, 0, 0.31, 0, 2, NULL, NAN } };
		static const size_t lin[] = { 0, 1, 2 };
		l = law_build(NSL_LAW_CHINCHILLA_TIED, name,
		    "L = E + A/N^alpha + B/D^alpha", "loss", vnd, 2, p, 4,
		    lin, 3, NULL);
	} else if (strcmp(name, "kaplan") == 0) {
		static const struct pdef p[] = {
			{ "Nc", NSL_PT_SCALE, 0, 6.4e13, 0, INF, NULL, NAN },
			{ "Dc", NSL_PT_SCALE, 1, 1.8e13, 0, INF, NULL, NAN },
			{ "aN", NSL_PT_EXPO, 0, 0.076, 0, 2, NULL, NAN },
			{ "aD", NSL_PT_EXPO, 1, 0.103, 0, 2, NULL, NAN } };
		l = law_build(NSL_LAW_KAPLAN, name,
		    "L = ((Nc/N)^(aN/aD) + Dc/D)^aD", "loss", vnd, 2, p, 4,
		    NULL, 0, NULL);
	} else if (strcmp(name, "data-constrained") == 0) {
		static const struct pdef p[] = {
			{ "A", NSL_PT_COEF, 0, 520.82, 0, INF, "A", NAN },
			{ "B", NSL_PT_COEF, 0, 1487.72, 0, INF, "B", NAN },
			{ "E", NSL_PT_COEF, 0, 1.8691, 0, INF, "E", NAN },
			{ "alpha", NSL_PT_EXPO, 0, 0.35, 0, 2, "alpha", NAN },
			{ "beta", NSL_PT_EXPO, 1, 0.36, 0, 2, "beta", NAN },
			{ "RD", NSL_PT_RATE, -1, 15.4, 0, INF, NULL, 1e12 },
			{ "RN", NSL_PT_RATE, -1, 5.3, 0, INF, NULL, 1e12 } };
		static const size_t lin[] = { 0, 1, 2 };
		static const struct ndef nd = { "chinchilla", 1, { "N", "D" } };
		l = law_build(NSL_LAW_DATA_CONSTRAINED, name,
		    "L = E + A/N'^alpha + B/D'^beta, D' = U + U*RD*(1 - "
		    "exp(-(D/U - 1)/RD)), N' = UN + UN*RN*(1 - exp(-(N/UN - "
		    "1)/RN)), UN = min(N, G*(G*U)^(beta/alpha)), G = "
		    "(alpha*A/(beta*B))^(1/(alpha+beta))", "loss", vndu, 3,
		    p, 7, lin, 3, &nd);
	} else if (strcmp(name, "bnsl") == 0) {
		struct pdef p[3 + 3 * NSL_LAW_MAX_BREAKS];
		char names[3 * NSL_LAW_MAX_BREAKS][16];	/* "c" and any int */
		static const size_t lin[] = { 0, 1 };
		struct ndef nd = { "bnsl", breaks - 1, { "x" } };
		int i, k = 0, last;

		if (breaks < 1 || breaks > NSL_LAW_MAX_BREAKS) {
			nsl_err_set(err, NSL_EX_USAGE, "bnsl: breaks must be "
			    "1 to %d", NSL_LAW_MAX_BREAKS);
			return NULL;
		}
		p[0] = (struct pdef){ "a", NSL_PT_COEF, 0, NAN, 0, INF, "a",
			NAN };
		p[1] = (struct pdef){ "b", NSL_PT_COEF, 0, NAN, 0, INF, "b",
			NAN };
		p[2] = (struct pdef){ "c0", NSL_PT_EXPO, 0, NAN, 0, 5, "c0",
			NAN };
		for (i = 0; i < breaks; i++) {
			last = i == breaks - 1;
			snprintf(names[k], sizeof(names[k]), "c%d", i + 1);
			p[3 + i] = (struct pdef){ names[k], NSL_PT_EXPO, 0,
				NAN, -10, 10, last ? NULL : names[k], 0 };
			k++;
		}
		for (i = 0; i < breaks; i++) {
			last = i == breaks - 1;
			snprintf(names[k], sizeof(names[k]), "d%d", i + 1);
			p[3 + breaks + i] = (struct pdef){ names[k],
				NSL_PT_SCALE, 0, NAN, 0, INF,
				last ? NULL : names[k], NAN };
			k++;
		}
		for (i = 0; i < breaks; i++) {
			last = i == breaks - 1;
			snprintf(names[k], sizeof(names[k]), "f%d", i + 1);
			p[3 + 2 * breaks + i] = (struct pdef){ names[k],
				NSL_PT_RATE, -1, NAN, 0, INF,
				last ? NULL : names[k], NAN };
			k++;
		}
		if (breaks == 1) {
			/* power-offset: E + A*x^-a */
			nd.law = "power-offset";
			nd.breaks = 1;
			p[0].nest = "E";
			p[1].nest = "A";
			p[2].nest = "a";
		}
		l = law_build(NSL_LAW_BNSL, name, "y = a + b*x^-c0 * "
		    "prod_i (1 + (x/d_i)^(1/f_i))^(-c_i*f_i)", "y", vx, 1, p,
		    (size_t)(3 + 3 * breaks), lin, 2, &nd);
		if (l != NULL)
			l->breaks = breaks;
	} else if (strcmp(name, "exp-offset") == 0) {
		static const struct pdef p[] = { PLAIN("E", NSL_PT_COEF, 0),
			PLAIN("A", NSL_PT_COEF, 0), PLAIN("b", NSL_PT_RATE, 0) };
		static const size_t lin[] = { 0, 1 };
		l = law_build(NSL_LAW_EXP_OFFSET, name, "y = E + A*exp(-b*x)",
		    "y", vx, 1, p, 3, lin, 2, NULL);
	} else if (strcmp(name, "downstream") == 0) {
		static const struct pdef p[] = { PLAIN("eps", NSL_PT_COEF, 0),
			PLAIN("k", NSL_PT_COEF, 0),
			PLAIN("gamma", NSL_PT_RATE, 0) };
		static const size_t lin[] = { 0, 1 };
		l = law_build(NSL_LAW_DOWNSTREAM, name,
		    "Err = eps - k*exp(-gamma*L)", "error", vl, 1, p, 3, lin,
		    2, NULL);
	} else if (strcmp(name, "lr-anneal") == 0) {
		static const struct pdef p[] = { PLAIN("L0", NSL_PT_COEF, 0),
			PLAIN("A", NSL_PT_COEF, 0), PLAIN("C", NSL_PT_COEF, 0),
			{ "alpha", NSL_PT_EXPO, 0, NAN, 0, 2, NULL, NAN } };
		static const size_t lin[] = { 0, 1, 2 };
		l = law_build(NSL_LAW_LR_ANNEAL, name, "L = L0 + A*S1^-alpha "
		    "- C*S2, S1 = sum of lr, S2 = sum of m, m = 0.999*m + "
		    "(lr_prev - lr)", "loss", vlr, 2, p, 4, lin, 3, NULL);
	} else {
		nsl_err_set(err, NSL_EX_USAGE, "unknown law '%s' (see "
		    "--list-laws)", name);
		return NULL;
	}
	if (l == NULL)
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return l;
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
	l = law_alloc(NSL_LAW_FORMULA, "formula", text, "y", nv, np);
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

	if (l->kind == NSL_LAW_FORMULA)
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
	switch (l->kind) {
	case NSL_LAW_EXP_OFFSET:
	case NSL_LAW_DOWNSTREAM:
	case NSL_LAW_FORMULA:
		return 0;
	case NSL_LAW_LR_ANNEAL:
		return k == 0;	/* steps; lr may be 0 */
	default:
		return 1;
	}
}

int
nsl_law_prepare(const struct nsl_law *l, double *x, size_t n,
    struct nsl_err *err)
{
	double s1 = 0, s2 = 0, m = 0, prevstep = 0, prevlr, k, d, lk;
	size_t i;

	if (l->kind != NSL_LAW_LR_ANNEAL || n == 0)
		return 0;
	/*
	 * Each record's lr is taken to be the rate of the steps since the
	 * previous record (k steps), the drop happening at the first of
	 * them: m_1 = lambda*m_0 + d, m_t = lambda*m_{t-1}, so that
	 * sum_{t=1..k} m_t = (lambda*m_0 + d)(1 - lambda^k)/(1 - lambda).
	 * With one record per step this is Tissue et al.'s S1 and S2.
	 */
	prevlr = x[1];
	for (i = 0; i < n; i++) {
		double step = x[2 * i], lr = x[2 * i + 1];

		k = step - prevstep;
		if (!(k > 0)) {
			return nsl_err_set(err, NSL_EX_DATAERR, "lr-anneal: "
			    "steps must increase (step %g after %g)", step,
			    prevstep);
		}
		d = prevlr - lr;
		lk = pow(LR_LAMBDA, k);
		s1 += k * lr;
		s2 += (LR_LAMBDA * m + d) * (1 - lk) / (1 - LR_LAMBDA);
		m = (LR_LAMBDA * m + d) * lk / LR_LAMBDA;
		x[2 * i] = s1;
		x[2 * i + 1] = s2;
		prevstep = step;
		prevlr = lr;
	}
	return 0;
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
	double N = x[0], D = x[1], U = x[2];
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

double
nsl_law_eval(const struct nsl_law *l, const double *t, const double *x,
    double *g)
{
	double y, u, v, w;

	switch (l->kind) {
	case NSL_LAW_POWER:
		y = exp(t[0] - t[1] * log(x[0]));
		if (g) {
			g[0] = y;
			g[1] = -y * log(x[0]);
		}
		return y;
	case NSL_LAW_POWER_OFFSET:
		u = exp(t[1] - t[2] * log(x[0]));
		y = exp(t[0]) + u;
		if (g) {
			g[0] = exp(t[0]);
			g[1] = u;
			g[2] = -u * log(x[0]);
		}
		return y;
	case NSL_LAW_CHINCHILLA:
	case NSL_LAW_CHINCHILLA_TIED: {
		double be = l->kind == NSL_LAW_CHINCHILLA ? t[4] : t[3];

		u = exp(t[0] - t[3] * log(x[0]));
		v = exp(t[1] - be * log(x[1]));
		w = exp(t[2]);
		if (g) {
			g[0] = u;
			g[1] = v;
			g[2] = w;
			g[3] = -u * log(x[0]);
			if (l->kind == NSL_LAW_CHINCHILLA)
				g[4] = -v * log(x[1]);
			else
				g[3] += -v * log(x[1]);
		}
		return u + v + w;
	}
	case NSL_LAW_KAPLAN: {
		double aN = t[2], aD = t[3], dl = t[0] - log(x[0]), s;

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
	case NSL_LAW_DATA_CONSTRAINED: {
		struct dc o;
		double A = exp(t[0]), B = exp(t[1]), E = exp(t[2]);
		double TN, TD;
		int j;

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
	case NSL_LAW_BNSL:
		return bnsl_eval(l, t, x[0], g);
	case NSL_LAW_EXP_OFFSET:
		u = exp(t[1] - exp(t[2]) * x[0]);
		y = exp(t[0]) + u;
		if (g) {
			g[0] = exp(t[0]);
			g[1] = u;
			g[2] = -u * exp(t[2]) * x[0];
		}
		return y;
	case NSL_LAW_DOWNSTREAM:
		u = exp(t[1] - exp(t[2]) * x[0]);
		y = exp(t[0]) - u;
		if (g) {
			g[0] = exp(t[0]);
			g[1] = -u;
			g[2] = u * exp(t[2]) * x[0];
		}
		return y;
	case NSL_LAW_LR_ANNEAL:
		u = exp(t[1] - t[3] * log(x[0]));
		v = exp(t[2]) * x[1];
		y = exp(t[0]) + u - v;
		if (g) {
			g[0] = exp(t[0]);
			g[1] = u;
			g[2] = -v;
			g[3] = -u * log(x[0]);
		}
		return y;
	case NSL_LAW_FORMULA: {
		double vals[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
		double gr[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];

		memcpy(vals, t, l->np * sizeof(double));
		memcpy(vals + l->np, x, l->nvars * sizeof(double));
		if (g == NULL)
			return nsl_expr_eval(l->expr, vals);
		y = nsl_expr_eval_grad(l->expr, vals, gr);
		memcpy(g, gr, l->np * sizeof(double));
		return y;
	}
	default:
		return NAN;
	}
}

int
nsl_law_basis(const struct nsl_law *l, const double *t, const double *x,
    double *phi, double *h)
{
	*h = 0;
	switch (l->kind) {
	case NSL_LAW_POWER:
		phi[0] = exp(-t[1] * log(x[0]));
		return 0;
	case NSL_LAW_POWER_OFFSET:
		phi[0] = 1;
		phi[1] = exp(-t[2] * log(x[0]));
		return 0;
	case NSL_LAW_CHINCHILLA:
		phi[0] = exp(-t[3] * log(x[0]));
		phi[1] = exp(-t[4] * log(x[1]));
		phi[2] = 1;
		return 0;
	case NSL_LAW_CHINCHILLA_TIED:
		phi[0] = exp(-t[3] * log(x[0]));
		phi[1] = exp(-t[3] * log(x[1]));
		phi[2] = 1;
		return 0;
	case NSL_LAW_DATA_CONSTRAINED: {
		struct dc o;

		dc_eval(t, x, &o);
		phi[0] = exp(-t[3] * log(o.Np));
		phi[1] = exp(-t[4] * log(o.Dp));
		phi[2] = 1;
		return 0;
	}
	case NSL_LAW_BNSL: {
		double tt[3 + 3 * NSL_LAW_MAX_BREAKS];

		memcpy(tt, t, l->np * sizeof(double));
		tt[0] = -INFINITY;	/* a = 0 */
		tt[1] = 0;		/* b = 1 */
		phi[0] = 1;
		phi[1] = bnsl_eval(l, tt, x[0], NULL);
		return 0;
	}
	case NSL_LAW_EXP_OFFSET:
		phi[0] = 1;
		phi[1] = exp(-exp(t[2]) * x[0]);
		return 0;
	case NSL_LAW_DOWNSTREAM:
		phi[0] = 1;
		phi[1] = -exp(-exp(t[2]) * x[0]);
		return 0;
	case NSL_LAW_LR_ANNEAL:
		phi[0] = 1;
		phi[1] = exp(-t[3] * log(x[0]));
		phi[2] = -x[1];
		return 0;
	case NSL_LAW_FORMULA: {
		/* affine in the linear ones: the value with them at 0 is h,
		 * the derivatives are the basis */
		double vals[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
		double gr[NSL_LAW_MAX_PARAMS + NSL_LAW_MAX_VARS];
		size_t j;

		if (l->nlin == 0)
			return -1;
		memcpy(vals, t, l->np * sizeof(double));
		memcpy(vals + l->np, x, l->nvars * sizeof(double));
		for (j = 0; j < l->nlin; j++)
			vals[l->lin[j]] = 0;
		*h = nsl_expr_eval_grad(l->expr, vals, gr);
		for (j = 0; j < l->nlin; j++)
			phi[j] = gr[l->lin[j]];
		return 0;
	}
	default:
		return -1;
	}
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
