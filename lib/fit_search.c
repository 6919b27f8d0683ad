/*
 * fit_search.c - nsl-fit --search: the grammar of candidate laws, their
 * enumeration by complexity, the rolling-origin ranking, the chosen
 * law's fit and the report's records (see nsl/fit_search.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/fit_search.h"
#include "nsl/io.h"
#include "nsl/num.h"

/* --- the grammar ------------------------------------------------------- */

enum term_kind { T_POW, T_LOG, T_QUAD, T_EXP, T_BRK, T_MUL };

/* Parameters each term adds (T_MUL: 1 + one per variable). */
static const size_t term_np[] = { 2, 1, 2, 2, 5, 1 };

/* A variable (op 0), or the product ('*') or ratio ('/') of two. */
struct atom {
	int i, j;
	char op;
};

struct term {
	enum term_kind kind;
	struct atom a;
	unsigned set;		/* T_MUL: its variables */
};

#define MAX_TERMS (NSL_LAW_MAX_VARS + 1)
#define MAX_SEARCH_VARS 8

struct cand {
	const char *family;
	const struct nsl_law_def *cat;	/* a catalogue law, or NULL */
	int offset;
	size_t nterms;
	struct term t[MAX_TERMS];
	size_t np;
	size_t order;			/* enumeration order */
};

struct cands {
	struct cand *c;
	size_t n, cap;
};

/* Why a term needs positive values: powers and logs of its atom. */
static int
atom_positive(const struct atom *a, const unsigned char *pos)
{
	return pos[a->i] && (a->op == 0 || pos[a->j]);
}

static int
cand_ok(const struct cand *c, const unsigned char *pos, int max_params)
{
	size_t i, k;

	if (c->np > (size_t)max_params || c->np > NSL_LAW_MAX_PARAMS)
		return 0;
	for (i = 0; i < c->nterms; i++) {
		const struct term *t = &c->t[i];

		if (t->kind == T_MUL) {
			for (k = 0; k < MAX_SEARCH_VARS; k++)
				if ((t->set >> k & 1) && !pos[k])
					return 0;
		} else if (t->kind != T_EXP && !atom_positive(&t->a, pos))
			return 0;
	}
	return 1;
}

static int
push(struct cands *cs, struct cand *c, const unsigned char *pos,
    int max_params)
{
	size_t i;

	c->np = c->offset != 0;
	for (i = 0; i < c->nterms; i++)
		c->np += term_np[c->t[i].kind] + (c->t[i].kind == T_MUL ?
		    (size_t)__builtin_popcount(c->t[i].set) : 0);
	if (c->cat != NULL)
		c->np = c->cat->np;
	if (!cand_ok(c, pos, max_params))
		return 0;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 64;
		struct cand *p = realloc(cs->c, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		cs->c = p;
		cs->cap = cap;
	}
	c->order = cs->n;
	cs->c[cs->n++] = *c;
	return 0;
}

/* Subsets of m variables as bit masks, by size, then lexicographic. */
static int
cmp_subset(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	int px = __builtin_popcount(x), py = __builtin_popcount(y);

	if (px != py)
		return px - py;
	/* the same size: the smaller first element first, and so on */
	while (x != y) {
		unsigned lx = x & -x, ly = y & -y;

		if (lx != ly)
			return lx < ly ? -1 : 1;
		x &= x - 1;
		y &= y - 1;
	}
	return 0;
}

/* Append power terms on the variables of mask. */
static void
add_pow(struct cand *c, unsigned mask)
{
	int i;

	for (i = 0; i < MAX_SEARCH_VARS; i++)
		if (mask >> i & 1) {
			c->t[c->nterms].kind = T_POW;
			c->t[c->nterms].a = (struct atom){ i, 0, 0 };
			c->nterms++;
		}
}

/*
 * Every candidate over m variables (names xs) whose terms are defined
 * on the data (pos: the variable is positive on every point), in the
 * order of nsl/fit_search.h.
 */
static int
enumerate(struct cands *cs, const char *const *xs, size_t m,
    const unsigned char *pos, int max_params)
{
	unsigned subs[1 << MAX_SEARCH_VARS], all = (1u << m) - 1;
	struct atom comp[MAX_SEARCH_VARS * MAX_SEARCH_VARS];
	size_t ns = 0, ncomp = 0, s, a, i, j, k;
	const struct nsl_law_def *d;
	struct cand c;
	int rc = 0, off;

	for (s = 1; s <= all; s++)
		subs[ns++] = (unsigned)s;
	qsort(subs, ns, sizeof(subs[0]), cmp_subset);
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			comp[ncomp++] = (struct atom){ (int)i, (int)j, '*' };
	/* one ratio per pair: its exponent's start 0 searches both signs */
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			comp[ncomp++] = (struct atom){ (int)i, (int)j, '/' };
#define NEW(fam, o) (memset(&c, 0, sizeof(c)), c.family = (fam), \
	c.offset = (o))
	/* power: E + sum A_i x_i^-a_i, with and without E */
	for (s = 0; s < ns; s++)
		for (off = 1; off >= 0; off--) {
			NEW("power", off);
			add_pow(&c, subs[s]);
			rc |= push(cs, &c, pos, max_params);
		}
	/* composite: a product or ratio's power term, and the variables' */
	for (a = 0; a < ncomp; a++)
		for (s = 0; s <= ns; s++)
			for (off = 1; off >= 0; off--) {
				NEW("composite", off);
				c.t[0].kind = T_POW;
				c.t[0].a = comp[a];
				c.nterms = 1;
				if (s > 0)
					add_pow(&c, subs[s - 1]);
				rc |= push(cs, &c, pos, max_params);
			}
	/* log: E + sum A_i log x_i */
	for (s = 0; s < ns; s++) {
		NEW("log", 1);
		for (i = 0; i < m; i++)
			if (subs[s] >> i & 1) {
				c.t[c.nterms].kind = T_LOG;
				c.t[c.nterms++].a = (struct atom){ (int)i, 0, 0 };
			}
		rc |= push(cs, &c, pos, max_params);
	}
	/* quad, exp: one variable's term and the others' power terms */
	for (k = 0; k < 2; k++)
		for (i = 0; i < m; i++)
			for (s = 0; s <= ns; s++) {
				if (s > 0 && (subs[s - 1] >> i & 1))
					continue;
				NEW(k == 0 ? "quad" : "exp", 1);
				c.t[0].kind = k == 0 ? T_QUAD : T_EXP;
				c.t[0].a = (struct atom){ (int)i, 0, 0 };
				c.nterms = 1;
				if (s > 0)
					add_pow(&c, subs[s - 1]);
				rc |= push(cs, &c, pos, max_params);
			}
	/* bnsl: E + one break term */
	for (i = 0; i < m; i++) {
		NEW("bnsl", 1);
		c.t[0].kind = T_BRK;
		c.t[0].a = (struct atom){ (int)i, 0, 0 };
		c.nterms = 1;
		rc |= push(cs, &c, pos, max_params);
	}
	/* product: A prod x_i^-a_i over two or more, with and without E */
	for (s = 0; s < ns; s++)
		for (off = 1; off >= 0; off--) {
			if (__builtin_popcount(subs[s]) < 2)
				continue;
			NEW("product", off);
			c.t[0].kind = T_MUL;
			c.t[0].set = subs[s];
			c.nterms = 1;
			rc |= push(cs, &c, pos, max_params);
		}
	/* catalogue: the named laws over variables among xs */
	for (d = nsl_law_catalogue; d->name != NULL; d++) {
		unsigned char p2[MAX_SEARCH_VARS];
		int found = 1;

		if (d->flags & (NSL_LAWF_CURVE | NSL_LAWF_FORMULA))
			continue;
		for (k = 0; k < d->nvars && found; k++) {
			for (i = 0; i < m && strcmp(xs[i], d->vars[k]) != 0;
			    i++)
				;
			found = i < m && (!(d->var_positive >> k & 1) ||
			    pos[i]);
		}
		if (!found)
			continue;
		memset(p2, 1, sizeof(p2));
		NEW("catalogue", 0);
		c.cat = d;
		rc |= push(cs, &c, p2, max_params);
	}
#undef NEW
	return rc;
}

/* bnsl's parameter count depends on its breaks: the law says. */
static size_t
cat_np(const struct nsl_law_def *d)
{
	struct nsl_err err;
	struct nsl_law *l = nsl_law_new(d->name, 1, &err);
	size_t np = l != NULL ? l->np : NSL_LAW_MAX_PARAMS + 1;

	nsl_law_free(l);
	return np;
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->np != y->np)
		return x->np < y->np ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}


/* --- a candidate as a law ---------------------------------------------- */

/* A candidate made into a law for some points: its text, names, starts. */
struct built {
	char text[2048];
	char pn[NSL_LAW_MAX_PARAMS][24];
	const char *pnames[NSL_LAW_MAX_PARAMS];
	double start[NSL_LAW_MAX_PARAMS];
	size_t np;
	size_t cols[NSL_LAW_MAX_VARS];	/* the law's variables' columns */
	size_t nv;
};

static double
atom_value(const struct atom *a, const double *row)
{
	return a->op == 0 ? row[a->i] : a->op == '*' ? row[a->i] * row[a->j] :
	    row[a->i] / row[a->j];
}

/* The geometric mean of |atom| over the rows (1 when there is none). */
static double
atom_scale(const struct atom *a, const double *x, size_t nc, size_t n)
{
	double s = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		double v = fabs(atom_value(a, x + i * nc));

		if (v > 0 && isfinite(v)) {
			s += log(v);
			k++;
		}
	}
	return k > 0 ? exp(s / (double)k) : 1;
}

static void
atom_text(const struct atom *a, const char *const *xs, char *out, size_t sz)
{
	if (a->op == 0)
		snprintf(out, sz, "%s", xs[a->i]);
	else
		snprintf(out, sz, "(%s%c%s)", xs[a->i], a->op, xs[a->j]);
}

/* Add parameter name (printf) with start v. */
static void __attribute__((format(printf, 3, 4)))
param(struct built *b, double v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->pn[b->np], sizeof(b->pn[0]), fmt, ap);
	va_end(ap);
	b->pnames[b->np] = b->pn[b->np];
	b->start[b->np++] = v;
}

#define EXPO_START 0.3

/*
 * The formula of candidate c over the variables xs, its starts taken
 * from the n rows x (nc columns): exponents 0.3, a rate the inverse of
 * its variable's geometric mean, a break at that mean.  Returns 0, or
 * -1 when a parameter's name is a variable's.
 */
static int
build(const struct cand *c, const char *const *xs, size_t m, const double *x,
    size_t nc, size_t n, struct built *b)
{
	struct nsl_buf t = NSL_BUF_INIT;
	char at[300];
	unsigned used = 0;
	size_t i, k, v;
	double g;

	b->np = 0;
	if (c->offset) {
		nsl_buf_adds(&t, "E");
		param(b, 1, "E");
	}
	for (i = 0; i < c->nterms; i++) {
		const struct term *tm = &c->t[i];
		int u = (int)i + 1;

		if (t.len > 0)
			nsl_buf_adds(&t, " + ");
		atom_text(&tm->a, xs, at, sizeof(at));
		if (tm->kind != T_MUL)
			used |= 1u << tm->a.i | (tm->a.op ? 1u << tm->a.j : 0);
		g = atom_scale(&tm->a, x, nc, n);
		switch (tm->kind) {
		case T_POW:
			nsl_buf_addf(&t, "A%d*%s^-a%d", u, at, u);
			param(b, 1, "A%d", u);
			param(b, tm->a.op == '/' ? 0 : EXPO_START, "a%d", u);
			break;
		case T_LOG:
			nsl_buf_addf(&t, "A%d*log(%s)", u, at);
			param(b, 1, "A%d", u);
			break;
		case T_QUAD:
			nsl_buf_addf(&t, "B%d*log(%s) + C%d*log(%s)^2", u, at,
			    u, at);
			param(b, 1, "B%d", u);
			param(b, 1, "C%d", u);
			break;
		case T_EXP:
			nsl_buf_addf(&t, "A%d*exp(-r%d*%s)", u, u, at);
			param(b, 1, "A%d", u);
			param(b, 1 / g, "r%d", u);
			break;
		case T_BRK:
			nsl_buf_addf(&t, "A%d*%s^-a%d*(1 + (%s/d%d)^(1/f%d))^"
			    "(-c%d*f%d)", u, at, u, at, u, u, u, u);
			param(b, 1, "A%d", u);
			param(b, EXPO_START, "a%d", u);
			param(b, g, "d%d", u);
			param(b, 1, "f%d", u);
			param(b, EXPO_START, "c%d", u);
			break;
		case T_MUL:
			nsl_buf_addf(&t, "A%d", u);
			param(b, 1, "A%d", u);
			for (k = 0; k < m; k++)
				if (tm->set >> k & 1) {
					nsl_buf_addf(&t, "*%s^-a%d_%zu", xs[k], u,
					    k + 1);
					param(b, EXPO_START, "a%d_%zu", u, k + 1);
					used |= 1u << k;
				}
			break;
		}
	}
	b->nv = 0;
	for (k = 0; k < m; k++)
		if (used >> k & 1)
			b->cols[b->nv++] = k;
	if (nsl_buf_failed(&t) || t.len >= sizeof(b->text)) {
		nsl_buf_release(&t);
		return -1;
	}
	memcpy(b->text, t.data, t.len + 1);
	nsl_buf_release(&t);
	for (i = 0; i < b->np; i++)
		for (v = 0; v < m; v++)
			if (strcmp(b->pn[i], xs[v]) == 0)
				return -1;
	return 0;
}

/* Candidate c as a law for the rows x (starts from them), or NULL. */
static struct nsl_law *
make_law(const struct cand *c, const char *const *xs, size_t m,
    const char *y, const double *x, size_t nc, size_t n, size_t *cols,
    size_t *nv)
{
	struct nsl_err err;
	struct nsl_law *l;
	const char *vn[NSL_LAW_MAX_VARS];
	struct built b;
	size_t i, k;

	if (c->cat != NULL) {
		if ((l = nsl_law_new(c->cat->name, 1, &err)) == NULL)
			return NULL;
		for (k = 0; k < l->nvars; k++) {
			for (i = 0; i < m && strcmp(xs[i], l->vars[k]) != 0;
			    i++)
				;
			cols[k] = i;
		}
		*nv = l->nvars;
	} else {
		if (build(c, xs, m, x, nc, n, &b) != 0)
			return NULL;
		for (k = 0; k < b.nv; k++) {
			vn[k] = xs[b.cols[k]];
			cols[k] = b.cols[k];
		}
		*nv = b.nv;
		l = nsl_law_formula(b.text, b.pnames, b.start, b.np, vn, b.nv,
		    &err);
		if (l == NULL)
			return NULL;
	}
	if (nsl_law_set_y(l, y) != 0) {
		nsl_law_free(l);
		return NULL;
	}
	return l;
}


/* --- options ------------------------------------------------------------ */

void
nsl_search_init(struct nsl_search *s)
{
	memset(s, 0, sizeof(*s));
	s->max_params = NSL_SEARCH_MAX_PARAMS;
	s->folds = NSL_SEARCH_FOLDS;
	s->top = NSL_SEARCH_TOP;
	s->groups = NSL_SEARCH_SHARED;
}

void
nsl_search_release(struct nsl_search *s)
{
	size_t i;

	for (i = 0; i < s->nrows; i++)
		nsl_search_row_release(&s->rows[i]);
	free(s->rows);
	free(s->chosen_rms);
	s->rows = NULL;
	s->chosen_rms = NULL;
	s->nrows = 0;
}

const char *
nsl_search_arg(struct nsl_search *s, const char *arg)
{
	char *t, *save = NULL;
	size_t len = strlen(arg) + 1;

	if (len > sizeof(s->args))
		return "argument too long";
	memcpy(s->args, arg, len);
	s->nalong = 0;
	for (t = strtok_r(s->args, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (s->nalong == NSL_LAW_MAX_VARS)
			return "too many fields";
		s->along[s->nalong++] = t;
	}
	return s->nalong == 0 ? "empty list" : NULL;
}

static int
is_name(const char *p)
{
	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (*++p != '\0')
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

const char *
nsl_search_check(struct nsl_search *s, struct nsl_fit_job *j)
{
	const char *m;
	size_t i, k;

	if (!s->on) {
		if (s->along_text != NULL || s->report != NULL)
			return "--extrapolate-along and --search-report go "
			    "with --search";
		return nsl_fit_check(j);
	}
	if (j->nlaws > 0 || j->formula != NULL)
		return "--search excludes --law and --formula";
	if (j->np > 0 || j->nfix > 0)
		return "--search excludes --param and --fix";
	if (j->nx == 0)
		return "--search needs --x FIELDS";
	if (s->along_text == NULL)
		return "--search needs --extrapolate-along FIELDS";
	if ((m = nsl_search_arg(s, s->along_text)) != NULL) {
		snprintf(s->msg, sizeof(s->msg), "--extrapolate-along: %s", m);
		return s->msg;
	}
	if (j->nx > MAX_SEARCH_VARS) {
		snprintf(s->msg, sizeof(s->msg), "--search: at most %d --x "
		    "fields", MAX_SEARCH_VARS);
		return s->msg;
	}
	if (s->folds > NSL_SEARCH_MAX_FOLDS) {
		snprintf(s->msg, sizeof(s->msg), "--folds: at most %d",
		    NSL_SEARCH_MAX_FOLDS);
		return s->msg;
	}
	for (i = 0; i < j->nx; i++) {
		if (!is_name(j->xs[i])) {
			snprintf(s->msg, sizeof(s->msg), "--search: field "
			    "'%.100s' is no formula name (letters, digits, "
			    "_): rename it", j->xs[i]);
			return s->msg;
		}
		for (k = 0; k < i; k++)
			if (strcmp(j->xs[i], j->xs[k]) == 0) {
				snprintf(s->msg, sizeof(s->msg), "--x: field "
				    "'%.100s' given twice", j->xs[i]);
				return s->msg;
			}
	}
	return NULL;
}


/* --- the ranking ------------------------------------------------------- */

/* One candidate on one group. */
struct result {
	double sse[NSL_SEARCH_MAX_FOLDS];
	size_t n[NSL_SEARCH_MAX_FOLDS];
	double aic, bic;
	double p[NSL_LAW_MAX_PARAMS];	/* report space, the fit to all */
	int ok;
	int degen;		/* the fit to all has a flat direction or a
				 * vanishing term */
};

/* A group's points, their columns and their rank along the fields. */
struct gdata {
	const struct nsl_group *g;
	size_t *rank;		/* 0: held out */
};

struct ctx {
	const struct nsl_search *s;
	const struct nsl_fit_job *j;
	const char *const *xs;
	size_t m, nc;		/* --x fields; all columns */
	const char *y;
	const struct gdata *gd;
	size_t ng;
	const struct cand *c;
	size_t nc_cand;
	struct nsl_optim_opts so;
	struct result *res;	/* nc_cand rows of ng */
};

/*
 * Fit law (its variables at cols) to the points of group gd with rank
 * above lo (lo 0: all not held out).  Returns 0 with theta, or -1.
 */
static int
fit_rows(const struct ctx *cx, const struct nsl_law *law, const size_t *cols,
    const struct gdata *gd, size_t lo, double *xt, double *yt, double *wt,
    double *theta, size_t *nt_out)
{
	const struct nsl_group *g = gd->g;
	struct nsl_problem pb;
	struct nsl_optim_info info;
	struct nsl_err err;
	size_t i, k, nt = 0, nv = law->nvars, ne = 0, e;
	double rep[NSL_LAW_MAX_PARAMS];

	for (i = 0; i < g->n; i++)
		ne += gd->rank[i] > lo;
	for (i = 0, e = 0; i < g->n; i++) {
		if (gd->rank[i] == 0 || gd->rank[i] <= lo)
			continue;
		/* at most NSL_SEARCH_MAX_POINTS of them, evenly spaced */
		e++;
		if (ne > NSL_SEARCH_MAX_POINTS && (e - 1) *
		    NSL_SEARCH_MAX_POINTS / ne == e * NSL_SEARCH_MAX_POINTS / ne)
			continue;
		for (k = 0; k < nv; k++)
			xt[nt * nv + k] = g->x[i * cx->nc + cols[k]];
		yt[nt] = g->y[i];
		wt[nt++] = g->w[i];
	}
	*nt_out = nt;
	if (nt < law->np)
		return -1;
	for (k = 0; k < law->np; k++)
		rep[k] = 1;
	nsl_law_from_report(law, rep, theta);
	memset(&pb, 0, sizeof(pb));
	pb.law = law;
	pb.n = nt;
	pb.x = xt;
	pb.y = yt;
	pb.w = wt;
	pb.loss = cx->j->fo.loss;
	pb.delta = cx->j->fo.delta;
	if (nsl_optim_fit_ex(&pb, &cx->so, theta, &info, &err) != 0)
		return -1;
	nsl_law_to_report(law, theta, rep);
	for (k = 0; k < law->np; k++)
		if (!isfinite(rep[k]))
			return -1;
	return 0;
}

/* The held-out residual of a prediction, or NaN when it has none. */
static double
residual(enum nsl_loss loss, double yhat, double y)
{
	if (!isfinite(yhat))
		return NAN;
	if (loss == NSL_LOSS_LS)
		return yhat - y;
	return yhat > 0 ? log(yhat) - log(y) : NAN;
}

/* Candidate ci on group gi: every fold, then the fit to all points. */
static void
eval_one(const struct ctx *cx, size_t ci, size_t gi, double *xt,
    double *yt, double *wt)
{
	const struct cand *c = &cx->c[ci];
	const struct gdata *gd = &cx->gd[gi];
	const struct nsl_group *g = gd->g;
	struct result *r = &cx->res[ci * cx->ng + gi];
	double theta[NSL_LAW_MAX_PARAMS], xp[NSL_LAW_MAX_VARS];
	size_t cols[NSL_LAW_MAX_VARS], nv, f, i, k, nt;
	struct nsl_law *law;
	struct nsl_problem pb;

	r->ok = 0;
	for (f = 1; f <= (size_t)cx->s->folds; f++) {
		/* the starts come from the fold's own training points */
		size_t nt0 = 0;

		for (i = 0; i < g->n; i++)
			if (gd->rank[i] > f) {
				memcpy(xt + nt0 * cx->nc, g->x + i * cx->nc,
				    cx->nc * sizeof(double));
				nt0++;
			}
		law = make_law(c, cx->xs, cx->m, cx->y, xt, cx->nc, nt0, cols,
		    &nv);
		if (law == NULL)
			return;
		if (fit_rows(cx, law, cols, gd, f, xt, yt, wt, theta,
		    &nt) != 0) {
			nsl_law_free(law);
			return;
		}
		r->sse[f - 1] = 0;
		r->n[f - 1] = 0;
		for (i = 0; i < g->n; i++) {
			double e;

			if (gd->rank[i] != f)
				continue;
			for (k = 0; k < nv; k++)
				xp[k] = g->x[i * cx->nc + cols[k]];
			e = residual(cx->j->fo.loss,
			    nsl_law_eval(law, theta, xp, NULL), g->y[i]);
			if (isnan(e)) {
				nsl_law_free(law);
				return;
			}
			r->sse[f - 1] += e * e;
			r->n[f - 1]++;
		}
		nsl_law_free(law);
	}
	/* the fit to all points: AIC and BIC for ties, the report's values */
	nt = 0;
	for (i = 0; i < g->n; i++)
		if (gd->rank[i] > 0) {
			memcpy(xt + nt * cx->nc, g->x + i * cx->nc,
			    cx->nc * sizeof(double));
			nt++;
		}
	law = make_law(c, cx->xs, cx->m, cx->y, xt, cx->nc, nt, cols, &nv);
	if (law == NULL)
		return;
	if (fit_rows(cx, law, cols, gd, 0, xt, yt, wt, theta, &nt) != 0) {
		nsl_law_free(law);
		return;
	}
	memset(&pb, 0, sizeof(pb));
	pb.law = law;
	pb.n = nt;
	pb.x = xt;
	pb.y = yt;
	pb.w = wt;
	pb.loss = cx->j->fo.loss;
	pb.delta = cx->j->fo.delta;
	nsl_optim_ic(&pb, theta, law->np, &r->aic, &r->bic);
	nsl_law_to_report(law, theta, r->p);
	{
		struct nsl_degen dg[NSL_OPTIM_MAX_DEGEN];
		size_t nd = nsl_optim_degenerate(&pb, theta, dg,
		    NSL_OPTIM_MAX_DEGEN);

		for (i = 0; i < nd; i++)
			r->degen |= dg[i].reason != NSL_DEGEN_RANGE;
	}
	nsl_law_free(law);
	r->ok = 1;
}

/* Score of candidate ci over groups [g0, g1): pooled held-out RMS. */
static void
score(const struct ctx *cx, size_t ci, size_t g0, size_t g1, double *rms,
    double *fold_rms, size_t *ntest, double *aic, double *bic)
{
	double sse = 0, fs[NSL_SEARCH_MAX_FOLDS] = { 0 };
	size_t n = 0, fn[NSL_SEARCH_MAX_FOLDS] = { 0 }, gi, f;
	size_t K = (size_t)cx->s->folds;

	*aic = *bic = 0;
	for (gi = g0; gi < g1; gi++) {
		const struct result *r = &cx->res[ci * cx->ng + gi];

		if (!r->ok) {
			*rms = INFINITY;
			*ntest = 0;
			for (f = 0; f < K; f++)
				fold_rms[f] = INFINITY;
			*aic = *bic = INFINITY;
			return;
		}
		for (f = 0; f < K; f++) {
			fs[f] += r->sse[f];
			fn[f] += r->n[f];
			sse += r->sse[f];
			n += r->n[f];
		}
		*aic += r->aic;
		*bic += r->bic;
	}
	*ntest = n;
	*rms = n > 0 ? sqrt(sse / (double)n) : INFINITY;
	for (f = 0; f < K; f++)
		fold_rms[f] = fn[f] > 0 ? sqrt(fs[f] / (double)fn[f]) : NAN;
}

struct ranked {
	size_t ci;
	int degen;
	double key, aic;
	size_t np;
};

/* The score to 4 significant digits: near-equal scores tie. */
static double
round4(double v)
{
	char b[32];

	if (!isfinite(v))
		return v;
	snprintf(b, sizeof(b), "%.3e", v);
	return strtod(b, NULL);
}

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	/* scored first, then not degenerate first, then by score */
	if (isfinite(x->key) != isfinite(y->key))
		return isfinite(x->key) ? -1 : 1;
	if (x->degen != y->degen)
		return x->degen - y->degen;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->aic != y->aic && !(isnan(x->aic) || isnan(y->aic)))
		return x->aic < y->aic ? -1 : 1;
	if (x->np != y->np)
		return x->np < y->np ? -1 : 1;
	return (x->ci > y->ci) - (x->ci < y->ci);
}


/* --- the run ----------------------------------------------------------- */

static int
cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/* A value's level: itself, or rounded to --level-digits digits. */
static double
level(const struct nsl_search *s, double v)
{
	char b[64];

	if (s->digits <= 0 || !isfinite(v))
		return v;
	snprintf(b, sizeof(b), "%.*e", s->digits - 1, v);
	return strtod(b, NULL);
}

/*
 * Each point's rank along the fields (columns acol): its smallest level
 * number, 1 for the largest.  Returns 0, or -1 with err when a field has
 * no more levels than folds.
 */
static int
rank_points(const struct nsl_search *s, const struct nsl_group *g,
    size_t nc, const size_t *acol, size_t *rank, const char *file,
    struct nsl_err *err)
{
	double *lv;
	size_t i, a, L, k;

	if ((lv = malloc((g->n + 1) * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < g->n; i++)
		rank[i] = g->held[i] ? 0 : SIZE_MAX;
	for (a = 0; a < s->nalong; a++) {
		L = 0;
		for (i = 0; i < g->n; i++)
			if (!g->held[i])
				lv[L++] = level(s, g->x[i * nc + acol[a]]);
		/* distinct values, largest first */
		qsort(lv, L, sizeof(double), cmp_desc);
		for (i = k = 0; i < L; i++)
			if (k == 0 || lv[i] != lv[k - 1])
				lv[k++] = lv[i];
		if (k <= (size_t)s->folds) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s%s--extrapolate-"
			    "along field \"%s\" has %zu level%s: --folds %d "
			    "needs at least %d", g->key ? g->key : "",
			    g->key ? ": " : "", s->along[a], k, k == 1 ? "" :
			    "s", s->folds, s->folds + 1);
			nsl_err_at(err, file, 0);
			free(lv);
			return -1;
		}
		for (i = 0; i < g->n; i++) {
			size_t lo = 0, hi = k;
			double v = level(s, g->x[i * nc + acol[a]]);

			if (g->held[i])
				continue;
			while (lo + 1 < hi) {	/* lv descending */
				size_t mid = (lo + hi) / 2;

				if (lv[mid] >= v)
					lo = mid;
				else
					hi = mid;
			}
			if (lo + 1 < rank[i])
				rank[i] = lo + 1;
		}
	}
	free(lv);
	return 0;
}

/* Rows of the report for candidates rk[0..n) over groups [g0, g1). */
static int
add_rows(struct nsl_search *s, const struct ctx *cx, const struct ranked *rk,
    size_t n, size_t g0, size_t g1)
{
	size_t i, k, K = (size_t)s->folds;
	struct nsl_search_row *rows;

	rows = realloc(s->rows, (s->nrows + n) * sizeof(*rows));
	if (rows == NULL)
		return -1;
	s->rows = rows;
	for (i = 0; i < n; i++) {
		struct nsl_search_row *r = &s->rows[s->nrows++];
		const struct cand *c = &cx->c[rk[i].ci];
		const struct nsl_group *g = cx->gd[g0].g;
		size_t cols[NSL_LAW_MAX_VARS], nv, ntr = 0, gi;
		struct nsl_law *law;
		double *xt;
		int bad = 0;

		nsl_search_row_init(r);
		r->rank = i + 1;
		r->tried = cx->nc_cand;
		r->nfolds = K;
		r->family = strdup(c->family);
		score(cx, rk[i].ci, g0, g1, &r->rms, r->fold_rms, &r->ntest,
		    &r->aic, &r->bic);
		if ((xt = malloc((g->n + 1) * cx->nc * sizeof(double))) ==
		    NULL)
			return -1;
		for (gi = 0; gi < g->n; gi++)
			if (cx->gd[g0].rank[gi] > 0)
				memcpy(xt + ntr++ * cx->nc, g->x + gi * cx->nc,
				    cx->nc * sizeof(double));
		law = make_law(c, cx->xs, cx->m, cx->y, xt, cx->nc, ntr, cols,
		    &nv);
		free(xt);
		if (law == NULL)
			return -1;
		r->law = strdup(law->name);
		r->formula = strdup(law->formula);
		bad |= r->law == NULL || r->formula == NULL ||
		    r->family == NULL;
		r->k = law->np;
		r->nx = nv;
		for (k = 0; k < nv; k++)
			bad |= (r->x[k] = strdup(law->vars[k])) == NULL;
		/* values only when they are one group's */
		if (g1 - g0 == 1 && cx->res[rk[i].ci * cx->ng + g0].ok) {
			r->np = law->np;
			for (k = 0; k < law->np; k++) {
				bad |= (r->pnames[k] = strdup(law->params[k])) ==
				    NULL;
				r->params[k] = cx->res[rk[i].ci * cx->ng +
				    g0].p[k];
			}
		}
		if (s->groups == NSL_SEARCH_EACH && cx->j->po.by != NULL) {
			r->by_field = strdup(cx->j->po.by);
			r->by_value = strdup(g->key);
			bad |= r->by_field == NULL || r->by_value == NULL;
		}
		nsl_law_free(law);
		if (bad)
			return -1;
	}
	return 0;
}

/* The final fit of candidate c to group gi, into a new job result. */
static int
final_fit(struct nsl_fit_job *j, const struct ctx *cx, const struct cand *c,
    size_t gi, struct nsl_err *err)
{
	const struct gdata *gd = &cx->gd[gi];
	const struct nsl_group *g = gd->g;
	struct nsl_group tg = *g;
	struct nsl_fit_result *res;
	size_t cols[NSL_LAW_MAX_VARS], nv, i, k, nt = 0;
	struct nsl_law *law;
	double *xt;
	int rc;

	if ((xt = malloc((g->n + 1) * cx->nc * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < g->n; i++)
		if (!g->held[i])
			memcpy(xt + nt++ * cx->nc, g->x + i * cx->nc,
			    cx->nc * sizeof(double));
	law = make_law(c, cx->xs, cx->m, cx->y, xt, cx->nc, nt, cols, &nv);
	if (law == NULL) {
		free(xt);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < g->n; i++)
		for (k = 0; k < nv; k++)
			xt[i * nv + k] = g->x[i * cx->nc + cols[k]];
	tg.x = xt;
	res = realloc(j->res, (j->nres + 1) * sizeof(*res));
	if (res == NULL) {
		free(xt);
		nsl_law_free(law);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	j->res = res;
	nsl_fitrec_init(&res[j->nres].rec);
	res[j->nres].group = gi;
	j->nres++;
	j->fo.fixed = NULL;
	j->fo.fixval = NULL;
	j->fo.optim.start = NULL;
	rc = nsl_fit_group(law, &tg, &j->fo, &res[j->nres - 1].rec, &j->warn,
	    err);
	free(xt);
	nsl_law_free(law);
	return rc;
}

/*
 * Fit the best candidate of rk[0..n) to groups [g0, g1) into job
 * results; when the final fit fails on a group (its larger design can
 * find a parameter the data leave free, running off to infinity), the
 * next candidate.  Returns 0, or -1 with the first candidate's err.
 */
static int
choose(struct nsl_fit_job *j, const struct ctx *cx, const struct ranked *rk,
    size_t n, size_t g0, size_t g1, double *chosen_rms, struct nsl_err *err)
{
	double fr[NSL_SEARCH_MAX_FOLDS], rms, aic, bic;
	struct nsl_err e2;
	size_t pick, gi, nt, nres0 = j->nres;

	for (pick = 0; pick < n && isfinite(rk[pick].key); pick++) {
		struct nsl_err *e = pick == 0 ? err : &e2;

		score(cx, rk[pick].ci, g0, g1, &rms, fr, &nt, &aic, &bic);
		for (gi = g0; gi < g1; gi++) {
			chosen_rms[j->nres] = rms;
			if (final_fit(j, cx, &cx->c[rk[pick].ci], gi, e) != 0)
				break;
		}
		if (gi == g1)
			return 0;
		if (e->code != NSL_EX_DATAERR)
			return nsl_err_set(err, e->code, "%s", e->msg);
		while (j->nres > nres0)
			nsl_fitrec_release(&j->res[--j->nres].rec);
	}
	return -1;
}

int
nsl_search_run(struct nsl_search *s, struct nsl_fit_job *j, const char *in,
    struct nsl_err *err)
{
	const char *fields[2 * NSL_LAW_MAX_VARS], *dummy[2 * NSL_LAW_MAX_VARS];
	char dn[2 * NSL_LAW_MAX_VARS][24];
	size_t acol[NSL_LAW_MAX_VARS], nc, a, i, gi, ci, ng;
	unsigned char pos[MAX_SEARCH_VARS];
	const char *one[] = { "c" };
	double onev[] = { 1 };
	struct nsl_points_opts po = j->po;
	struct nsl_points pts;
	struct nsl_law *carrier = NULL;
	struct nsl_reader *r = NULL;
	struct cands cs = { NULL, 0, 0 };
	struct gdata *gd = NULL;
	struct ranked *rk = NULL;
	struct ctx cx;
	int ret = -1, fail = 0;
	size_t total_held = 0;

	if (!s->on)
		return nsl_fit_run(j, in, err);
	nsl_err_clear(err);
	memset(&pts, 0, sizeof(pts));
	memset(&cx, 0, sizeof(cx));
	j->fo.optim.seed = j->fo.seed;
	j->fo.by = j->po.by;
	j->fo.cluster = j->po.cluster;
	/* the points: the --x fields, then the fields to extrapolate along */
	nc = 0;
	for (i = 0; i < j->nx; i++)
		fields[nc++] = j->xs[i];
	for (a = 0; a < s->nalong; a++) {
		for (i = 0; i < nc && strcmp(fields[i], s->along[a]) != 0; i++)
			;
		if (i == nc)
			fields[nc++] = s->along[a];
		acol[a] = i;
	}
	/* a formula over dummy names reads the fields as they are */
	for (i = 0; i < nc; i++) {
		snprintf(dn[i], sizeof(dn[i]), "v%zu", i);
		dummy[i] = dn[i];
	}
	if ((carrier = nsl_law_formula("c", one, onev, 1, dummy, nc,
	    err)) == NULL)
		goto out;
	for (i = 0; i < nc; i++)
		if (nsl_law_set_var(carrier, i, fields[i]) != 0) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
	if (nsl_law_set_y(carrier, j->y != NULL ? j->y : "y") != 0) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	po.law = carrier;
	po.y = carrier->yname;
	po.holdout = j->holdout_text != NULL ? &j->holdout : NULL;
	nsl_points_init(&pts, &po);
	if ((r = nsl_reader_open(in, err)) == NULL ||
	    nsl_points_read(&pts, r, err) != 0 ||
	    nsl_points_finish(&pts, j->fo.loss, err) != 0)
		goto out;
	ng = pts.ng;
	if (ng == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto out;
	}
	for (gi = 0; gi < ng; gi++)
		for (i = 0; i < pts.g[gi].n; i++)
			total_held += pts.g[gi].held[i];
	if (j->holdout_text != NULL && total_held == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "--holdout '%s' matches no "
		    "record", j->holdout_text);
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto out;
	}
	if ((gd = calloc(ng, sizeof(*gd))) == NULL)
		goto nomem;
	memset(pos, 1, sizeof(pos));
	for (gi = 0; gi < ng; gi++) {
		const struct nsl_group *g = &pts.g[gi];

		gd[gi].g = g;
		if ((gd[gi].rank = malloc((g->n + 1) * sizeof(size_t))) ==
		    NULL)
			goto nomem;
		if (rank_points(s, g, nc, acol, gd[gi].rank,
		    nsl_reader_name(r), err) != 0)
			goto out;
		for (i = 0; i < g->n; i++)
			for (a = 0; a < j->nx; a++)
				if (!(g->x[i * nc + a] > 0))
					pos[a] = 0;
	}
	/* the candidates, by complexity */
	if (enumerate(&cs, j->xs, j->nx, pos, s->max_params) != 0)
		goto nomem;
	for (ci = 0; ci < cs.n; ci++)
		if (cs.c[ci].cat != NULL)
			cs.c[ci].np = cat_np(cs.c[ci].cat);
	for (ci = i = 0; ci < cs.n; ci++)
		if (cs.c[ci].np <= (size_t)s->max_params)
			cs.c[i++] = cs.c[ci];
	cs.n = i;
	qsort(cs.c, cs.n, sizeof(*cs.c), cmp_cand);
	if (cs.n == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no candidate law has at "
		    "most %d parameters on these variables", s->max_params);
		goto out;
	}
	cx.s = s;
	cx.j = j;
	cx.xs = j->xs;
	cx.m = j->nx;
	cx.nc = nc;
	cx.y = carrier->yname;
	cx.gd = gd;
	cx.ng = ng;
	cx.c = cs.c;
	cx.nc_cand = cs.n;
	cx.so = j->fo.optim;
	cx.so.start = NULL;
	if (cx.so.grid > NSL_SEARCH_GRID)
		cx.so.grid = NSL_SEARCH_GRID;
	if (cx.so.starts > NSL_SEARCH_STARTS)
		cx.so.starts = NSL_SEARCH_STARTS;
	if (cx.so.restarts > NSL_SEARCH_RESTARTS)
		cx.so.restarts = NSL_SEARCH_RESTARTS;
	if ((cx.res = calloc(cs.n * ng, sizeof(*cx.res))) == NULL)
		goto nomem;
	s->tried = cs.n;
	/*
	 * Candidates in parallel: each writes only its own results, and
	 * every fit is deterministic, so the ranking does not depend on
	 * the number of threads.
	 */
#pragma omp parallel
	{
		size_t maxn = 0, g2;
		double *xt, *yt, *wt;

		for (g2 = 0; g2 < ng; g2++)
			if (pts.g[g2].n > maxn)
				maxn = pts.g[g2].n;
		xt = malloc((maxn + 1) * (nc + NSL_LAW_MAX_VARS) *
		    sizeof(double));
		yt = malloc((maxn + 1) * sizeof(double));
		wt = malloc((maxn + 1) * sizeof(double));
		if (xt == NULL || yt == NULL || wt == NULL) {
#pragma omp atomic write
			fail = 1;
		}
#pragma omp for schedule(dynamic, 1)
		for (size_t t = 0; t < cs.n * ng; t++)
			if (xt != NULL && yt != NULL && wt != NULL)
				eval_one(&cx, t / ng, t % ng, xt, yt, wt);
		free(xt);
		free(yt);
		free(wt);
	}
	if (fail)
		goto nomem;
	/* rank: all groups together, or each group on its own */
	if ((rk = malloc(cs.n * sizeof(*rk))) == NULL)
		goto nomem;
	{
		size_t nsets = s->groups == NSL_SEARCH_EACH ? ng : 1, set;

		if ((s->chosen_rms = malloc(ng * sizeof(double))) == NULL)
			goto nomem;
		for (set = 0; set < nsets; set++) {
			size_t g0 = nsets == 1 ? 0 : set;
			size_t g1 = nsets == 1 ? ng : set + 1;
			double fr[NSL_SEARCH_MAX_FOLDS], bic;
			size_t nt, top;

			for (ci = 0; ci < cs.n; ci++) {
				double rms;

				rk[ci].ci = ci;
				rk[ci].np = cs.c[ci].np;
				rk[ci].degen = 0;
				for (gi = g0; gi < g1; gi++)
					rk[ci].degen |=
					    cx.res[ci * ng + gi].degen;
				score(&cx, ci, g0, g1, &rms, fr, &nt,
				    &rk[ci].aic, &bic);
				rk[ci].key = round4(rms);
			}
			qsort(rk, cs.n, sizeof(*rk), cmp_ranked);
			if (!isfinite(rk[0].key)) {
				nsl_err_set(err, NSL_EX_DATAERR, "%s%sno "
				    "candidate law could be fitted and scored "
				    "on every fold", nsets > 1 &&
				    pts.g[set].key ? pts.g[set].key : "",
				    nsets > 1 && pts.g[set].key ? ": " : "");
				goto out;
			}
			top = (size_t)s->top < cs.n ? (size_t)s->top : cs.n;
			if (add_rows(s, &cx, rk, top, g0, g1) != 0)
				goto nomem;
			if (choose(j, &cx, rk, cs.n, g0, g1, s->chosen_rms,
			    err) != 0)
				goto out;
		}
	}
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	if (gd != NULL)
		for (gi = 0; gi < pts.ng; gi++)
			free(gd[gi].rank);
	free(gd);
	free(rk);
	free(cs.c);
	free(cx.res);
	nsl_points_release(&pts);
	if (r != NULL)
		nsl_reader_close(r);
	nsl_law_free(carrier);
	return ret;
}


/* --- records ------------------------------------------------------------- */

void
nsl_search_row_init(struct nsl_search_row *r)
{
	memset(r, 0, sizeof(*r));
}

void
nsl_search_row_release(struct nsl_search_row *r)
{
	size_t i;

	free(r->law);
	free(r->formula);
	free(r->family);
	for (i = 0; i < r->nx; i++)
		free(r->x[i]);
	for (i = 0; i < r->np; i++)
		free(r->pnames[i]);
	free(r->by_field);
	free(r->by_value);
	nsl_search_row_init(r);
}

static void
num_or_null(struct nsl_buf *b, double v)
{
	if (isfinite(v))
		nsl_json_number(b, v, NSL_NUM_DOUBLE);
	else
		nsl_buf_adds(b, "null");
}

static void
key(struct nsl_buf *b, const char *k)
{
	nsl_buf_addc(b, ',');
	nsl_json_string(b, k, strlen(k));
	nsl_buf_addc(b, ':');
}

void
nsl_search_row_write(const struct nsl_search_row *r, struct nsl_buf *b)
{
	size_t i;

	nsl_buf_addf(b, "{\"rank\":%zu", r->rank);
	key(b, "law");
	nsl_json_string(b, r->law, strlen(r->law));
	key(b, "formula");
	nsl_json_string(b, r->formula, strlen(r->formula));
	key(b, "family");
	nsl_json_string(b, r->family, strlen(r->family));
	key(b, "x");
	nsl_buf_addc(b, '[');
	for (i = 0; i < r->nx; i++) {
		if (i > 0)
			nsl_buf_addc(b, ',');
		nsl_json_string(b, r->x[i], strlen(r->x[i]));
	}
	nsl_buf_addc(b, ']');
	nsl_buf_addf(b, ",\"k\":%zu,\"heldout\":{\"rms\":", r->k);
	num_or_null(b, r->rms);
	nsl_buf_addf(b, ",\"n\":%zu,\"folds\":[", r->ntest);
	for (i = 0; i < r->nfolds; i++) {
		if (i > 0)
			nsl_buf_addc(b, ',');
		num_or_null(b, r->fold_rms[i]);
	}
	nsl_buf_adds(b, "]}");
	key(b, "aic");
	num_or_null(b, r->aic);
	key(b, "bic");
	num_or_null(b, r->bic);
	if (r->np > 0) {
		key(b, "params");
		for (i = 0; i < r->np; i++) {
			nsl_buf_addc(b, i ? ',' : '{');
			nsl_json_string(b, r->pnames[i], strlen(r->pnames[i]));
			nsl_buf_addc(b, ':');
			num_or_null(b, r->params[i]);
		}
		nsl_buf_addc(b, '}');
	}
	nsl_buf_addf(b, ",\"tried\":%zu", r->tried);
	if (r->by_field != NULL) {
		key(b, "by");
		nsl_buf_addc(b, '{');
		nsl_json_string(b, r->by_field, strlen(r->by_field));
		nsl_buf_addc(b, ':');
		/* the group's key is its value's JSON text (labels.h) */
		nsl_buf_adds(b, r->by_value);
		nsl_buf_addc(b, '}');
	}
	nsl_buf_adds(b, "}\n");
}

/* A JSON number or null (NaN) as a double; -1 when it is neither. */
static int
json_num(const json_t *v, double *out)
{
	if (json_is_null(v)) {
		*out = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static char *
json_str(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int
nsl_search_row_parse(struct nsl_search_row *r, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	json_t *o = NULL, *v, *h, *a;
	const char *bad = NULL, *kname;
	double d;
	size_t i;

	nsl_search_row_init(r);
	o = nsl_json_loadb(rec->line, rec->len, 0, NULL);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return nsl_err_set(err, NSL_EX_DATAERR, "expected an object");
	}
#define NEED(name, cond) do { v = json_object_get(o, name); \
	if (v == NULL || !(cond)) { bad = name; goto out; } } while (0)
	NEED("rank", json_is_integer(v) && json_integer_value(v) > 0);
	r->rank = (size_t)json_integer_value(v);
	NEED("tried", json_is_integer(v) && json_integer_value(v) > 0);
	r->tried = (size_t)json_integer_value(v);
	NEED("k", json_is_integer(v) && json_integer_value(v) >= 0);
	r->k = (size_t)json_integer_value(v);
	NEED("law", (r->law = json_str(v)) != NULL);
	NEED("formula", (r->formula = json_str(v)) != NULL);
	NEED("family", (r->family = json_str(v)) != NULL);
	NEED("x", json_is_array(v) && json_array_size(v) <=
	    NSL_LAW_MAX_VARS);
	for (i = 0; i < json_array_size(v); i++) {
		if ((r->x[i] = json_str(json_array_get(v, i))) == NULL) {
			bad = "x";
			goto out;
		}
		r->nx++;
	}
	NEED("aic", json_num(v, &r->aic) == 0);
	NEED("bic", json_num(v, &r->bic) == 0);
	NEED("heldout", json_is_object(v));
	h = v;
	bad = "heldout";
	if (json_num(json_object_get(h, "rms"), &r->rms) != 0 ||
	    !json_is_integer(json_object_get(h, "n")) ||
	    !json_is_array(a = json_object_get(h, "folds")) ||
	    json_array_size(a) > NSL_SEARCH_MAX_FOLDS)
		goto out;
	r->ntest = (size_t)json_integer_value(json_object_get(h, "n"));
	for (i = 0; i < json_array_size(a); i++)
		if (json_num(json_array_get(a, i), &r->fold_rms[i]) != 0)
			goto out;
	r->nfolds = json_array_size(a);
	bad = NULL;
	if ((v = json_object_get(o, "params")) != NULL) {
		if (!json_is_object(v) || json_object_size(v) >
		    NSL_LAW_MAX_PARAMS) {
			bad = "params";
			goto out;
		}
		json_object_foreach(v, kname, h) {
			if (json_num(h, &d) != 0 ||
			    (r->pnames[r->np] = strdup(kname)) == NULL) {
				bad = "params";
				goto out;
			}
			r->params[r->np++] = d;
		}
	}
	if ((v = json_object_get(o, "by")) != NULL) {
		json_t *val;

		if (!json_is_object(v) || json_object_size(v) != 1) {
			bad = "by";
			goto out;
		}
		json_object_foreach(v, kname, val) {
			r->by_field = strdup(kname);
			r->by_value = json_dumps(val, JSON_ENCODE_ANY |
			    JSON_COMPACT);
		}
		if (r->by_field == NULL || r->by_value == NULL) {
			bad = "by";
			goto out;
		}
	}
#undef NEED
out:
	json_decref(o);
	if (bad != NULL) {
		nsl_search_row_release(r);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": missing "
		    "or not what a search report holds", bad);
	}
	return 0;
}

void
nsl_search_member_write(const struct nsl_search_member *m,
    struct nsl_buf *b)
{
	size_t i;

	nsl_buf_addf(b, ",\"search\":{\"tried\":%zu,\"along\":[", m->tried);
	for (i = 0; i < m->nalong; i++) {
		if (i > 0)
			nsl_buf_addc(b, ',');
		nsl_json_string(b, m->along[i], strlen(m->along[i]));
	}
	nsl_buf_addf(b, "],\"folds\":%zu,\"rms\":", m->folds);
	num_or_null(b, m->rms);
	nsl_buf_addc(b, '}');
}

void
nsl_search_member_release(struct nsl_search_member *m)
{
	size_t i;

	for (i = 0; i < m->nalong; i++)
		free(m->along[i]);
	memset(m, 0, sizeof(*m));
}

int
nsl_search_member_parse(struct nsl_search_member *m,
    const struct nsl_rec *rec, struct nsl_err *err)
{
	json_t *v = NULL, *a;
	long k;
	size_t i;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	if ((k = nsl_rec_find(rec, "search")) < 0)
		return 0;
	if ((v = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		return -1;
	if (!json_is_object(v) ||
	    !json_is_integer(json_object_get(v, "tried")) ||
	    !json_is_integer(json_object_get(v, "folds")) ||
	    json_num(json_object_get(v, "rms"), &m->rms) != 0 ||
	    !json_is_array(a = json_object_get(v, "along")) ||
	    json_array_size(a) > NSL_LAW_MAX_VARS)
		goto bad;
	m->tried = (size_t)json_integer_value(json_object_get(v, "tried"));
	m->folds = (size_t)json_integer_value(json_object_get(v, "folds"));
	for (i = 0; i < json_array_size(a); i++) {
		if ((m->along[i] = json_str(json_array_get(a, i))) == NULL)
			goto bad;
		m->nalong++;
	}
	ret = 1;
	goto out;
bad:
	nsl_search_member_release(m);
	nsl_err_set(err, NSL_EX_DATAERR, "field \"search\": expected "
	    "{\"tried\":N,\"along\":[...],\"folds\":K,\"rms\":X}");
out:
	json_decref(v);
	return ret;
}

int
nsl_search_write(struct nsl_search *s, struct nsl_fit_job *j,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_search_member m;
	struct nsl_writer *rw = NULL;
	size_t i;
	int ret = -1;

	if (!s->on)
		return nsl_fit_write(j, w, err);
	memset(&m, 0, sizeof(m));
	m.tried = s->tried;
	m.folds = (size_t)s->folds;
	m.nalong = s->nalong;
	for (i = 0; i < s->nalong; i++)
		m.along[i] = (char *)s->along[i];
	for (i = 0; i < j->nres; i++) {
		nsl_buf_reset(&out);
		nsl_fitrec_write(&j->res[i].rec, &out, NSL_NUM_DOUBLE);
		/* the record ends "}\n": the member goes before the brace */
		if (out.len >= 2)
			out.len -= 2;
		m.rms = s->chosen_rms[i];
		nsl_search_member_write(&m, &out);
		nsl_buf_adds(&out, "}\n");
		if (nsl_buf_failed(&out)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_writer_write(w, out.data, out.len, err) != 0)
			goto out;
	}
	if (s->report != NULL) {
		if ((rw = nsl_writer_open(s->report, err)) == NULL)
			goto out;
		for (i = 0; i < s->nrows; i++) {
			nsl_buf_reset(&out);
			nsl_search_row_write(&s->rows[i], &out);
			if (nsl_buf_failed(&out)) {
				nsl_err_set(err, NSL_EX_SOFTWARE, "out of "
				    "memory");
				goto out;
			}
			if (nsl_writer_write(rw, out.data, out.len, err) != 0)
				goto out;
		}
		if (nsl_writer_commit(rw, err) != 0) {
			rw = NULL;
			goto out;
		}
		rw = NULL;
	}
	ret = 0;
out:
	if (rw != NULL)
		nsl_writer_abort(rw);
	nsl_buf_release(&out);
	return ret;
}
