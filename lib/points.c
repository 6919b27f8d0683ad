/*
 * points.c - measurement records into groups of points for a fit (see
 * nsl/points.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/points.h"

int
nsl_cond_parse(struct nsl_cond *c, const char *text, int defop,
    struct nsl_err *err)
{
	static const struct {
		const char *s;
		enum nsl_cmp op;
	} ops[] = { { ">=", NSL_CMP_GE }, { "<=", NSL_CMP_LE },
		{ "==", NSL_CMP_EQ }, { ">", NSL_CMP_GT }, { "<", NSL_CMP_LT },
		{ "=", NSL_CMP_EQ } };
	const char *p;
	size_t i, flen;
	char *end;

	for (p = text; *p != '\0'; p++)
		if (strchr("<>=", *p) != NULL)
			break;
	flen = (size_t)(p - text);
	if (*p == '\0' || flen == 0 || flen >= sizeof(c->field))
		return nsl_err_set(err, NSL_EX_USAGE, "'%s': expected "
		    "FIELD%sVALUE", text, defop >= 0 ? "=" : ">=");
	memcpy(c->field, text, flen);
	c->field[flen] = '\0';
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(p, ops[i].s, strlen(ops[i].s)) == 0)
			break;
	c->op = ops[i].op;
	p += strlen(ops[i].s);
	if (defop >= 0 && strcmp(ops[i].s, "=") == 0)
		c->op = (enum nsl_cmp)defop;
	c->value = strtod(p, &end);
	if (end == p || *end != '\0' || !isfinite(c->value))
		return nsl_err_set(err, NSL_EX_USAGE, "'%s': expected a "
		    "number after the operator", text);
	return 0;
}

int
nsl_cond_test(const struct nsl_cond *c, double v)
{
	switch (c->op) {
	case NSL_CMP_GE: return v >= c->value;
	case NSL_CMP_GT: return v > c->value;
	case NSL_CMP_LE: return v <= c->value;
	case NSL_CMP_LT: return v < c->value;
	default: return v == c->value;
	}
}

void
nsl_points_init(struct nsl_points *p, const struct nsl_points_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->o = *o;
	nsl_groupby_init(&p->groups, o->by);
	nsl_groupby_init(&p->clusters, o->cluster);
}

static void
group_release(struct nsl_group *g)
{
	free(g->key);
	free(g->x);
	free(g->y);
	free(g->w);
	free(g->keep);
	free(g->held);
	free(g->hval);
	free(g->cluster);
	free(g->line);
}

void
nsl_points_release(struct nsl_points *p)
{
	size_t i;

	for (i = 0; i < p->ng; i++)
		group_release(&p->g[i]);
	nsl_groupby_release(&p->groups);
	nsl_groupby_release(&p->clusters);
	free(p->g);
	memset(p, 0, sizeof(*p));
}

/* Group number gi, new when it is the next one. */
static struct nsl_group *
group_at(struct nsl_points *p, size_t gi)
{
	struct nsl_group *g;
	const char *key;

	if (gi < p->ng)
		return &p->g[gi];
	if (p->ng == p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 4;
		struct nsl_group *ng = realloc(p->g, nc * sizeof(*ng));

		if (ng == NULL)
			return NULL;
		p->g = ng;
		p->cap = nc;
	}
	g = &p->g[p->ng];
	memset(g, 0, sizeof(*g));
	key = nsl_groupby_key(&p->groups, gi);
	if (key != NULL && (g->key = strdup(key)) == NULL)
		return NULL;
	p->ng++;
	return g;
}

static int
group_grow(struct nsl_group *g, size_t nv)
{
	size_t nc;

	if (g->n < g->cap)
		return 0;
	nc = g->cap ? 2 * g->cap : 64;
#define GROW(f, t, m) do { \
		t *q = realloc(g->f, nc * (m) * sizeof(t)); \
		if (q == NULL) \
			return -1; \
		g->f = q; \
	} while (0)
	GROW(x, double, nv);
	GROW(y, double, 1);
	GROW(w, double, 1);
	GROW(keep, unsigned char, 1);
	GROW(held, unsigned char, 1);
	GROW(hval, double, 1);
	GROW(cluster, size_t, 1);
	GROW(line, unsigned long, 1);
#undef GROW
	g->cap = nc;
	return 0;
}

static int
field_number(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long i = nsl_rec_require(rec, name, err);

	if (i < 0)
		return -1;
	return nsl_rec_number(rec, (size_t)i, v, err);
}

int
nsl_points_read(struct nsl_points *p, struct nsl_reader *r,
    struct nsl_err *err)
{
	const struct nsl_points_opts *o = &p->o;
	const struct nsl_law *law = o->law;
	struct nsl_rec rec;
	int rc, ret = -1;

	nsl_rec_init(&rec, o->rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		struct nsl_group *g;
		size_t i, j;
		long f;
		double v;

		/* groups are equal values (nsl/group.h), not bytes */
		if ((f = nsl_groupby_add(&p->groups, &rec, err)) < 0)
			goto at;
		if ((g = group_at(p, (size_t)f)) == NULL ||
		    group_grow(g, law->nvars) != 0)
			goto nomem;
		g->file = nsl_reader_name(r);
		i = g->n;
		for (j = 0; j < law->nvars; j++)
			if (field_number(&rec, law->vars[j],
			    &g->x[i * law->nvars + j], err) != 0)
				goto at;
		if (field_number(&rec, o->y, &g->y[i], err) != 0)
			goto at;
		g->w[i] = 1;
		if (o->weight != NULL) {
			if (field_number(&rec, o->weight, &g->w[i], err) != 0)
				goto at;
			if (!(g->w[i] >= 0)) {
				nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
				    "weight must be >= 0", o->weight);
				goto at;
			}
		}
		g->keep[i] = 1;
		for (j = 0; j < o->nmin; j++) {
			if (field_number(&rec, o->min[j].field, &v, err) != 0)
				goto at;
			if (!nsl_cond_test(&o->min[j], v))
				g->keep[i] = 0;
		}
		g->held[i] = 0;
		if (o->holdout != NULL) {
			if (field_number(&rec, o->holdout->field, &v, err) != 0)
				goto at;
			g->held[i] = (unsigned char)nsl_cond_test(o->holdout,
			    v);
		}
		g->hval[i] = 0;
		if (o->holdout_largest != NULL &&
		    field_number(&rec, o->holdout_largest, &g->hval[i],
		    err) != 0)
			goto at;
		if ((f = nsl_groupby_add(&p->clusters, &rec, err)) < 0)
			goto at;
		g->cluster[i] = (size_t)f;
		g->line[i] = nsl_reader_lineno(r);
		g->n++;
	}
	if (rc == 0)
		ret = 0;
	goto out;
at:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_rec_release(&rec);
	return ret;
}

static int
cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

int
nsl_points_finish(struct nsl_points *p, enum nsl_loss loss,
    struct nsl_err *err)
{
	const struct nsl_law *law = p->o.law;
	size_t gi, nv = law->nvars;

	for (gi = 0; gi < p->ng; gi++) {
		struct nsl_group *g = &p->g[gi];
		size_t i, j, m = 0;
		double cut = INFINITY, hmax = -INFINITY;

		/* checks on the raw values, before anything is derived */
		for (i = 0; i < g->n; i++) {
			for (j = 0; j < nv; j++)
				if (nsl_law_var_positive(law, j) &&
				    !(g->x[i * nv + j] > 0)) {
					nsl_err_at(err, g->file, g->line[i]);
					return nsl_err_set(err, NSL_EX_DATAERR,
					    "field \"%s\": must be positive "
					    "for law %s", law->vars[j],
					    law->name);
				}
			if (loss != NSL_LOSS_LS && !(g->y[i] > 0)) {
				nsl_err_at(err, g->file, g->line[i]);
				return nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"%s\": must be positive for a log loss "
				    "(use --loss ls)", p->o.y);
			}
		}
		if (nsl_law_prepare(law, g->x, g->n, err) != 0) {
			nsl_err_at(err, g->file, 0);
			return -1;
		}
		if (p->o.drop_top > 0) {
			double *ys = malloc((g->n ? g->n : 1) * sizeof(double));
			size_t nk = 0;

			if (ys == NULL)
				return nsl_err_set(err, NSL_EX_SOFTWARE,
				    "out of memory");
			for (i = 0; i < g->n; i++)
				if (g->keep[i])
					ys[nk++] = g->y[i];
			qsort(ys, nk, sizeof(double), cmp_desc);
			/* Epoch's rule: keep y < the K-th largest y */
			if (p->o.drop_top <= nk)
				cut = ys[p->o.drop_top - 1];
			else
				cut = -INFINITY;
			free(ys);
		}
		if (p->o.holdout_largest != NULL)
			for (i = 0; i < g->n; i++)
				if (g->keep[i] && g->hval[i] > hmax)
					hmax = g->hval[i];
		g->nmatch = 0;
		for (i = 0; i < g->n; i++) {
			if (!g->keep[i] || !(g->y[i] < cut))
				continue;
			/* --holdout's test alone, before the largest */
			g->nmatch += g->held[i];
			memmove(&g->x[m * nv], &g->x[i * nv],
			    nv * sizeof(double));
			g->y[m] = g->y[i];
			g->w[m] = g->w[i];
			g->held[m] = g->held[i] || (p->o.holdout_largest !=
			    NULL && g->hval[i] == hmax);
			g->cluster[m] = g->cluster[i];
			g->line[m] = g->line[i];
			m++;
		}
		g->n = m;
		g->ncluster = p->o.cluster != NULL ?
		    nsl_groupby_count(&p->clusters) : 0;
	}
	return 0;
}

