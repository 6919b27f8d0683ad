/*
 * mix.c - data mixtures by proportion or temperature, upsampled or
 * upweighted (see nsl/mix.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nsl/batch.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/mix.h"
#include "nsl/num.h"
#include "nsl/ot.h"
#include "nsl/rng.h"
#include "nsl/spool.h"

static const struct nsl_mix_mode_def modes[] = {
	{ "repeat", "upsample: each kept record once, with an integer "
	    "repeat count field" },
	{ "lines", "upsample: each kept record's line as many times as it "
	    "is drawn" },
	{ "weight", "upweight: each kept record once, with a weight field "
	    "(the source's count over the records kept)" },
	{ NULL, NULL }
};

#define NMODES (sizeof(modes) / sizeof(modes[0]) - 1)

const struct nsl_mix_mode_def *
nsl_mix_mode_get(int m)
{
	return m >= 0 && (size_t)m < NMODES ? &modes[m] : NULL;
}

void
nsl_mix_params_init(struct nsl_mix_params *p)
{
	memset(p, 0, sizeof(*p));
	p->source_field = "source";
	p->temperature = 1;
	p->mode = NSL_MIX_REPEAT;
}

const char *
nsl_mix_check(const struct nsl_mix_params *p)
{
	double sum = 0;
	size_t i;

	if (nsl_mix_mode_get((int)p->mode) == NULL)
		return "mode: not in the catalogue";
	if (!(p->temperature > 0) || isinf(p->temperature))
		return "--temperature must be a positive number";
	for (i = 0; i < p->nnamed; i++) {
		if (!(p->weights[i] >= 0) || isinf(p->weights[i]))
			return "--weights: a weight must be a finite number "
			    ">= 0";
		sum += p->weights[i];
	}
	if (p->nnamed > 0 && !(sum > 0))
		return "--weights: the weights sum to 0";
	return NULL;
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

struct rem {
	double r;
	size_t s;
};

static int
cmp_rem(const void *pa, const void *pb)
{
	const struct rem *a = pa, *b = pb;

	if (a->r != b->r)
		return a->r > b->r ? -1 : 1;
	return (a->s > b->s) - (a->s < b->s);
}

int
nsl_mix_counts(const double *p, size_t ns, uint64_t N, uint64_t *c)
{
	struct rem *rem;
	uint64_t given = 0;
	size_t s;

	if ((rem = malloc((ns + 1) * sizeof(*rem))) == NULL)
		return -1;
	for (s = 0; s < ns; s++) {
		double share = (double)N * p[s], r = nearbyint(share), f;

		/* 0.3 of 10 is 3.0000000000000004 in binary: it is 3 */
		if (fabs(share - r) <= 1e-9 * (share > 1 ? share : 1))
			share = r;
		f = floor(share);
		if (f > (double)(N - given))
			f = (double)(N - given);
		c[s] = (uint64_t)f;
		given += c[s];
		rem[s].r = share - f;
		rem[s].s = s;
	}
	qsort(rem, ns, sizeof(*rem), cmp_rem);
	for (s = 0; given < N && ns > 0; s = (s + 1) % ns, given++)
		c[rem[s].s]++;
	free(rem);
	return 0;
}

void
nsl_mix_temperature(const uint64_t *n, size_t ns, double T, double *p)
{
	double mx = -INFINITY, sum = 0;
	size_t s;

	/* n^(1/T) overflows for small T: normalise exp(log n / T - max) */
	for (s = 0; s < ns; s++) {
		p[s] = log((double)n[s]) / T;
		if (p[s] > mx)
			mx = p[s];
	}
	for (s = 0; s < ns; s++) {
		p[s] = exp(p[s] - mx);
		sum += p[s];
	}
	for (s = 0; s < ns; s++)
		p[s] /= sum;
}

void
nsl_mix_record_write(struct nsl_buf *out, const struct nsl_rec *rec,
    const char *field, enum nsl_mix_mode mode, uint64_t k, double w)
{
	struct nsl_obj o;
	const char *skip[1] = { field };

	nsl_obj_begin(&o, out);
	nsl_obj_copy_except(&o, rec, skip, 1);
	nsl_obj_key(&o, field);
	if (mode == NSL_MIX_WEIGHT)
		nsl_obj_number(&o, w);
	else
		nsl_obj_integer(&o, (long long)k);
	nsl_obj_end(&o);
}

int
nsl_mix_record_parse(const struct nsl_rec *rec, const char *field,
    double *value, struct nsl_err *err)
{
	long f;

	if ((f = nsl_rec_require(rec, field, err)) < 0 ||
	    nsl_rec_number(rec, (size_t)f, value, err) < 0)
		return -1;
	return 0;
}

/* The key of a --weights name: JSON text as written, else a string. */
static int
name_key(const char *name, struct nsl_buf *key, struct nsl_buf *tmp,
    struct nsl_err *err)
{
	struct nsl_err ignore;

	if (nsl_labels_key_text(name, strlen(name), NSL_LABELS_LITERALS, key,
	    &ignore) == 0)
		return 0;
	nsl_buf_reset(tmp);
	nsl_json_string(tmp, name, strlen(name));
	return nsl_labels_key_text(tmp->data, tmp->len, NSL_LABELS_LITERALS,
	    key, err);
}

/* Proportions of the ns sources (sorted names) into p[]. */
static int
proportions(const struct nsl_mix_params *P, const char *const *names,
    const uint64_t *n, size_t ns, double *p, struct nsl_err *err)
{
	struct nsl_buf key = NSL_BUF_INIT, tmp = NSL_BUF_INIT;
	double sum = 0;
	size_t i, s;
	int rc = -1;

	if (P->nnamed == 0) {
		nsl_mix_temperature(n, ns, P->temperature, p);
		return 0;
	}
	for (s = 0; s < ns; s++)
		p[s] = -1;
	for (i = 0; i < P->nnamed; i++) {
		if (name_key(P->names[i], &key, &tmp, err) != 0)
			goto done;
		for (s = 0; s < ns && strcmp(names[s], key.data) != 0; s++)
			;
		if (s == ns) {
			nsl_err_set(err, NSL_EX_DATAERR, "--weights: no record "
			    "has %s %s", P->source_field, key.data);
			goto done;
		}
		if (p[s] >= 0) {
			nsl_err_set(err, NSL_EX_USAGE, "--weights: %s %s given "
			    "twice", P->source_field, key.data);
			goto done;
		}
		p[s] = P->weights[i];
		sum += p[s];
	}
	for (s = 0; s < ns; s++)
		if (p[s] < 0) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s %s has no weight "
			    "(--weights names every source; 0 drops one)",
			    P->source_field, names[s]);
			goto done;
		}
	for (s = 0; s < ns; s++)
		p[s] /= sum;
	rc = 0;
done:
	nsl_buf_release(&key);
	nsl_buf_release(&tmp);
	return rc;
}

/* Multiplicities of one source's members[0..n) for its count c. */
static int
draw(gsl_rng *rng, const size_t *members, size_t n, uint64_t c,
    uint64_t *mult, struct nsl_err *err)
{
	size_t *idx, *pick, j, m;
	uint64_t base = c / n;

	m = (size_t)(c % n);
	if (c < n)
		base = 0;
	for (j = 0; j < n; j++)
		mult[members[j]] = base;
	if (m == 0)
		return 0;
	idx = malloc(n * sizeof(*idx));
	pick = malloc(m * sizeof(*pick));
	if (idx == NULL || pick == NULL) {
		free(idx);
		free(pick);
		return oom(err);
	}
	for (j = 0; j < n; j++)
		idx[j] = j;
	gsl_ran_choose(rng, pick, m, idx, n, sizeof(*idx));
	for (j = 0; j < m; j++)
		mult[members[pick[j]]]++;
	free(idx);
	free(pick);
	return 0;
}

struct emit {
	const struct nsl_mix_params *p;
	const char *field;
	const uint64_t *mult;
	const double *w;		/* per source weight */
	const size_t *src;
	struct nsl_rec rec;
	struct nsl_buf out;
	struct nsl_writer *wr;
};

static int
emit_one(void *arg, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	struct emit *E = arg;
	uint64_t k;

	if (E->p->mode == NSL_MIX_LINES) {
		for (k = 0; k < E->mult[i]; k++)
			if (nsl_writer_write(E->wr, line, len, err) != 0 ||
			    nsl_writer_write(E->wr, "\n", 1, err) != 0)
				return -1;
		return 0;
	}
	if (nsl_rec_parse(&E->rec, line, len, err) != 0)
		return -1;
	nsl_buf_reset(&E->out);
	nsl_mix_record_write(&E->out, &E->rec, E->field, E->p->mode,
	    E->mult[i], E->w[E->src[i]]);
	return nsl_writer_write(E->wr, E->out.data, E->out.len, err);
}

/* nsl_mix_files' first pass: each record's source, in order */
struct sourcing {
	const struct nsl_mix_params *P;
	struct nsl_labels *labels;
	size_t *src;		/* n sources, by first appearance */
	size_t n, cap;
};

static int
source_of(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct sourcing *S = arg;
	long g;

	(void)lineno;
	(void)hash;
	if ((g = nsl_labels_add(S->labels, rec, S->P->source_field, err)) < 0)
		return -1;
	if (S->n == S->cap) {
		size_t c2 = S->cap ? 2 * S->cap : 4096, *t;

		if ((t = realloc(S->src, c2 * sizeof(*t))) == NULL)
			return oom(err);
		S->src = t;
		S->cap = c2;
	}
	S->src[S->n++] = (size_t)g;
	return 0;
}

int
nsl_mix_files(const struct nsl_mix_params *P, const char *const *paths,
    size_t npaths, const char *output, struct nsl_buf *report,
    const char *prefix, struct nsl_err *err)
{
	static const char *const stdin_path[] = { "-" };
	struct nsl_labels *labels = NULL;
	struct nsl_spool *spool = NULL;
	struct nsl_rec rec;
	struct emit E;
	size_t *src = NULL, *rank = NULL, *start = NULL, *members = NULL;
	size_t n = 0, ns = 0, s, i;
	uint64_t *size = NULL, *count = NULL, *mult = NULL, N;
	unsigned char *keep = NULL;
	double *p = NULL, *w = NULL;
	struct sourcing S = { P, NULL, NULL, 0, 0 };
	int rc = -1, got;

	memset(&E, 0, sizeof(E));
	/* the records' arrays are passed through: checked, not converted */
	nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS);
	nsl_rec_init(&E.rec, NSL_REC_LAZY_ARRAYS);
	nsl_buf_init(&E.out);
	if (npaths == 0) {
		paths = stdin_path;
		npaths = 1;
	}
	if ((spool = nsl_spool_new()) == NULL ||
	    (labels = nsl_labels_new_flags(NSL_LABELS_LITERALS)) == NULL) {
		oom(err);
		goto done;
	}
	nsl_spool_once(spool);	/* one visit: its copy freed as it goes */
	S.labels = labels;
	for (i = 0, got = 0; i < npaths && got == 0; i++) {
		struct nsl_lines L = { NULL, spool };

		got = nsl_spool_open(spool, paths[i], err) != 0 ||
		    nsl_batch_each(&L, rec.flags, 0, source_of, &S, err) != 0;
	}
	src = S.src;	/* freed at done, whatever happened */
	n = S.n;
	if (got)
		goto done;
	ns = nsl_labels_count(labels);
	N = P->by_count ? P->keep : n;
	rank = malloc((ns + 1) * sizeof(*rank));
	size = calloc(ns + 1, sizeof(*size));
	count = calloc(ns + 1, sizeof(*count));
	start = calloc(ns + 2, sizeof(*start));
	p = malloc((ns + 1) * sizeof(*p));
	w = calloc(ns + 1, sizeof(*w));
	members = malloc((n + 1) * sizeof(*members));
	mult = calloc(n + 1, sizeof(*mult));
	keep = calloc(n + 1, 1);
	if (!rank || !size || !count || !start || !p || !w || !members ||
	    !mult || !keep) {
		oom(err);
		goto done;
	}
	if (nsl_labels_sort(labels, rank, err) != 0)
		goto done;
	for (i = 0; i < n; i++) {
		src[i] = rank[src[i]];
		size[src[i]]++;
	}
	if (n == 0 && N > 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "--keep %llu: no records",
		    (unsigned long long)N);
		goto done;
	}
	if (proportions(P, nsl_labels_names(labels), size, ns, p, err) != 0)
		goto done;
	if (nsl_mix_counts(p, ns, N, count) != 0) {
		oom(err);
		goto done;
	}
	/* members of each source in input order */
	for (s = 0; s < ns; s++)
		start[s + 1] = start[s] + size[s];
	{
		size_t *fill = calloc(ns + 1, sizeof(*fill));

		if (fill == NULL) {
			oom(err);
			goto done;
		}
		for (i = 0; i < n; i++)
			members[start[src[i]] + fill[src[i]]++] = i;
		free(fill);
	}
	for (s = 0; s < ns; s++) {
		gsl_rng *rng = nsl_rng_new(P->seed, s);
		int r;

		if (rng == NULL) {
			oom(err);
			goto done;
		}
		r = draw(rng, members + start[s], size[s], count[s], mult,
		    err);
		gsl_rng_free(rng);
		if (r != 0)
			goto done;
		if (P->mode == NSL_MIX_WEIGHT) {
			uint64_t kept = count[s] < size[s] ? count[s] :
			    size[s];

			w[s] = kept > 0 ? (double)count[s] / (double)kept : 0;
			for (i = start[s]; i < start[s + 1]; i++)
				if (mult[members[i]] > 0)
					mult[members[i]] = 1;
		}
	}
	for (i = 0; i < n; i++)
		keep[i] = mult[i] > 0;
	E.p = P;
	E.field = P->field != NULL ? P->field : P->mode == NSL_MIX_WEIGHT ?
	    "weight" : "repeat";
	E.mult = mult;
	E.w = w;
	E.src = src;
	if ((E.wr = nsl_writer_open(output, err)) == NULL)
		goto done;
	if (nsl_spool_each(spool, keep, emit_one, &E, err) != 0) {
		nsl_writer_abort(E.wr);
		goto done;
	}
	if (nsl_writer_commit(E.wr, err) != 0) {
		nsl_err_at(err, output != NULL ? output : "<stdout>", 0);
		goto done;
	}
	if (report != NULL) {
		const char *const *names = nsl_labels_names(labels);
		char pt[NSL_NUM_BUFSZ], wt[NSL_NUM_BUFSZ];

		for (s = 0; s < ns; s++) {
			uint64_t kept = 0;

			for (i = start[s]; i < start[s + 1]; i++)
				kept += mult[members[i]] > 0;
			nsl_num_format(pt, p[s]);
			nsl_buf_addf(report, "%s%s %s: %llu records, proportion "
			    "%s, count %llu, %llu kept", prefix,
			    P->source_field, names[s],
			    (unsigned long long)size[s], pt,
			    (unsigned long long)count[s],
			    (unsigned long long)kept);
			if (P->mode == NSL_MIX_WEIGHT && kept > 0) {
				nsl_num_format(wt, w[s]);
				nsl_buf_addf(report, ", weight %s", wt);
			}
			nsl_buf_addc(report, '\n');
		}
	}
	rc = 0;
done:
	nsl_rec_release(&rec);
	nsl_rec_release(&E.rec);
	nsl_buf_release(&E.out);
	nsl_spool_free(spool);
	nsl_labels_free(labels);
	free(src);
	free(rank);
	free(size);
	free(count);
	free(start);
	free(p);
	free(w);
	free(members);
	free(mult);
	free(keep);
	return rc;
}

/* w <- (1 - gamma) w + gamma e_best */
static void
mix_toward(double *w, size_t ns, size_t best, double gamma)
{
	size_t s;

	for (s = 0; s < ns; s++)
		w[s] *= 1 - gamma;
	w[best] += gamma;
}

/* The cost the search minimises: the entropic objective, else <P, C>. */
static double
search_cost(const struct nsl_ot_result *r)
{
	return isnan(r->objective) ? r->value : r->objective;
}

struct search {
	struct nsl_ot_params o;
	struct nsl_ot_problem pr;
	const int *src;
	const double *size;	/* records a source */
	double *a;		/* n record weights */
	size_t n, ns;
	double eps;		/* NaN until the first entropic solve */
};

/* The cost of mixture w, and (g not NULL) its gradient g[ns]. */
static int
evaluate(struct search *S, const double *w, double *cost, double *g,
    struct nsl_err *err)
{
	struct nsl_ot_result r;
	size_t i;

	for (i = 0; i < S->n; i++)
		S->a[i] = w[S->src[i]] / S->size[S->src[i]];
	memset(&r, 0, sizeof(r));
	if (nsl_ot_solve(&S->o, &S->pr, &r, err) < 0) {
		nsl_ot_result_release(&r);
		return -1;
	}
	if (r.f == NULL) {
		nsl_ot_result_release(&r);
		return nsl_err_set(err, NSL_EX_USAGE, "search: the OT method "
		    "gives no potentials");
	}
	/* one eps for every solve: the first one's */
	if (isnan(S->eps) && !isnan(r.epsilon))
		S->o.eps = S->eps = r.epsilon;
	*cost = search_cost(&r);
	if (g != NULL) {
		memset(g, 0, S->ns * sizeof(*g));
		for (i = 0; i < S->n; i++)
			g[S->src[i]] += r.f[i] / S->size[S->src[i]];
	}
	nsl_ot_result_release(&r);
	return 0;
}

#define GOLDEN_STEPS 24

/*
 * Golden-section search of the cost on w + gamma (e_best - w), gamma in
 * [0, 1] (the cost is convex along it): the best gamma's mixture into
 * w, its cost into *cost.  tmp holds ns numbers.
 */
static int
line_search(struct search *S, double *w, size_t best, double *tmp,
    double *cost, struct nsl_err *err)
{
	const double r = (sqrt(5.0) - 1) / 2;
	double lo = 0, hi = 1, x1, x2, f1, f2, f0 = *cost, f_end;
	int k;

#define AT(gam) (memcpy(tmp, w, S->ns * sizeof(*tmp)), \
	    mix_toward(tmp, S->ns, best, (gam)), tmp)
	x1 = hi - r * (hi - lo);
	x2 = lo + r * (hi - lo);
	if (evaluate(S, AT(x1), &f1, NULL, err) < 0 ||
	    evaluate(S, AT(x2), &f2, NULL, err) < 0 ||
	    evaluate(S, AT(1.0), &f_end, NULL, err) < 0)
		return -1;
	for (k = 0; k < GOLDEN_STEPS; k++) {
		if (f1 <= f2) {
			hi = x2;
			x2 = x1;
			f2 = f1;
			x1 = hi - r * (hi - lo);
			if (evaluate(S, AT(x1), &f1, NULL, err) < 0)
				return -1;
		} else {
			lo = x1;
			x1 = x2;
			f1 = f2;
			x2 = lo + r * (hi - lo);
			if (evaluate(S, AT(x2), &f2, NULL, err) < 0)
				return -1;
		}
	}
	/* the best of the ends and the bracket's points */
	if (f_end < f0 && f_end <= f1 && f_end <= f2) {
		mix_toward(w, S->ns, best, 1.0);
		*cost = f_end;
	} else if (f1 < f0 || f2 < f0) {
		mix_toward(w, S->ns, best, f1 <= f2 ? x1 : x2);
		*cost = f1 <= f2 ? f1 : f2;
	}
#undef AT
	return 0;
}

const char *
nsl_mix_search_check(const struct nsl_ot_params *o)
{
	const char *why = nsl_ot_check(o);

	if (why != NULL)
		return why;
	if (o->method == NULL || !(o->method->flags & NSL_OT_PLAN))
		return "the search needs a method that gives potentials";
	return NULL;
}

int
nsl_mix_search(const struct nsl_ot_params *o, const double *x, size_t n,
    size_t d, const int *src, size_t ns, const double *v, size_t m,
    int iters, double tol, struct nsl_mix_search *res, struct nsl_err *err)
{
	struct search S;
	double *w = NULL, *g = NULL, *size = NULL, *tmp = NULL, cost;
	size_t i, s;
	long t;
	int rc = -1;

	res->cost = INFINITY;
	res->gap = NAN;
	res->eps = NAN;
	res->iterations = 0;
	if (ns == 0 || n == 0 || m == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "search: no records");
	memset(&S, 0, sizeof(S));
	S.a = malloc(n * sizeof(double));
	w = malloc(ns * sizeof(*w));
	g = malloc(ns * sizeof(*g));
	tmp = malloc(ns * sizeof(*tmp));
	size = calloc(ns, sizeof(*size));
	if (S.a == NULL || w == NULL || g == NULL || tmp == NULL ||
	    size == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i < n; i++)
		size[src[i]]++;
	for (s = 0; s < ns; s++)
		w[s] = 1 / (double)ns;
	S.o = *o;
	S.o.want_potentials = 1;
	S.pr.x = x;
	S.pr.n = n;
	S.pr.y = v;
	S.pr.m = m;
	S.pr.d = d;
	S.pr.a = S.a;
	S.src = src;
	S.size = size;
	S.n = n;
	S.ns = ns;
	S.eps = NAN;
	for (t = 0;; t++) {
		double gw = 0, gmin = INFINITY;
		size_t best = 0;

		if (evaluate(&S, w, &cost, g, err) < 0)
			goto done;
		for (s = 0; s < ns; s++) {
			gw += w[s] * g[s];
			if (g[s] < gmin) {
				gmin = g[s];
				best = s;
			}
		}
		res->cost = cost;
		memcpy(res->w, w, ns * sizeof(*w));
		res->gap = gw - gmin;
		res->iterations = t;
		if (res->gap <= tol * fabs(cost) || t >= iters)
			break;
		if (line_search(&S, w, best, tmp, &cost, err) < 0)
			goto done;
		if (!(cost < res->cost))
			break;	/* no step along the direction helps */
	}
	res->eps = S.eps;
	rc = 0;
done:
	free(S.a);
	free(w);
	free(g);
	free(tmp);
	free(size);
	return rc;
}

void
nsl_mix_search_write(struct nsl_buf *out, const char *const *names,
    size_t ns, const struct nsl_mix_search *r)
{
	struct nsl_buf in = NSL_BUF_INIT;
	struct nsl_obj o;
	char num[NSL_NUM_BUFSZ];
	size_t s;

	/* the weights object: sources by their value's text */
	nsl_buf_addc(&in, '{');
	for (s = 0; s < ns; s++) {
		if (s > 0)
			nsl_buf_addc(&in, ',');
		if (names[s][0] == '"')
			nsl_buf_adds(&in, names[s]);
		else
			nsl_json_string(&in, names[s], strlen(names[s]));
		nsl_num_format(num, r->w[s]);
		nsl_buf_addf(&in, ":%s", num);
	}
	nsl_buf_addc(&in, '}');
	nsl_obj_begin(&o, out);
	nsl_obj_key(&o, "search");
	nsl_obj_string(&o, "frank-wolfe");
	nsl_obj_key(&o, "weights");
	nsl_obj_raw(&o, in.data, in.len);
	nsl_obj_key(&o, "cost");
	nsl_obj_number(&o, r->cost);
	nsl_obj_key(&o, "gap");
	nsl_obj_number(&o, r->gap);
	if (!isnan(r->eps)) {
		nsl_obj_key(&o, "eps");
		nsl_obj_number(&o, r->eps);
	}
	nsl_obj_key(&o, "iterations");
	nsl_obj_integer(&o, r->iterations);
	nsl_obj_end(&o);
	nsl_buf_release(&in);
}

int
nsl_mix_search_parse(const struct nsl_rec *rec, const char *const *names,
    size_t ns, struct nsl_mix_search *r, struct nsl_err *err)
{
	struct nsl_buf key = NSL_BUF_INIT;
	json_t *obj;
	double it;
	long f;
	size_t s;
	int rc = -1;

	if ((f = nsl_rec_require(rec, "weights", err)) < 0 ||
	    (obj = nsl_rec_json(rec, (size_t)f, err)) == NULL)
		return -1;
	for (s = 0; s < ns; s++) {
		json_t *val;

		nsl_buf_reset(&key);
		if (names[s][0] == '"')
			nsl_buf_add(&key, names[s] + 1, strlen(names[s]) - 2);
		else
			nsl_buf_adds(&key, names[s]);
		if (!json_is_object(obj) ||
		    (val = json_object_get(obj, key.data)) == NULL ||
		    !json_is_number(val)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"weights\": "
			    "no number for %s", names[s]);
			goto done;
		}
		r->w[s] = json_number_value(val);
	}
	r->eps = NAN;
	if ((f = nsl_rec_require(rec, "cost", err)) < 0 ||
	    nsl_rec_number(rec, (size_t)f, &r->cost, err) < 0 ||
	    (f = nsl_rec_require(rec, "gap", err)) < 0 ||
	    nsl_rec_number(rec, (size_t)f, &r->gap, err) < 0 ||
	    (f = nsl_rec_require(rec, "iterations", err)) < 0 ||
	    nsl_rec_number(rec, (size_t)f, &it, err) < 0)
		goto done;
	if ((f = nsl_rec_find(rec, "eps")) >= 0 &&
	    nsl_rec_number(rec, (size_t)f, &r->eps, err) < 0)
		goto done;
	r->iterations = (long)it;
	rc = 0;
done:
	json_decref(obj);
	nsl_buf_release(&key);
	return rc;
}

int
nsl_mix_search_files(const struct nsl_mix_params *P,
    const struct nsl_ot_params *o, const char *field, const char *valid,
    int iters, double tol, const char *const *paths, size_t npaths,
    const char *output, struct nsl_err *err)
{
	struct nsl_dataset ds, vs;
	struct nsl_mix_search r;
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_writer *w = NULL;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	memset(&vs, 0, sizeof(vs));
	memset(&r, 0, sizeof(r));
	if (nsl_dataset_read(&ds, paths, npaths, field, P->source_field, 0,
	    err) < 0 ||
	    nsl_dataset_read(&vs, &valid, 1, field, NULL, 0, err) < 0)
		goto done;
	if (vs.d != ds.d) {
		nsl_err_set(err, NSL_EX_DATAERR, "--valid %s: vectors of %zu "
		    "numbers, the records' have %zu", valid, vs.d, ds.d);
		goto done;
	}
	if ((r.w = malloc((ds.nlabels + 1) * sizeof(double))) == NULL) {
		oom(err);
		goto done;
	}
	if (nsl_mix_search(o, ds.x, ds.n, ds.d, ds.label, ds.nlabels, vs.x,
	    vs.n, iters, tol, &r, err) < 0)
		goto done;
	nsl_mix_search_write(&out, (const char *const *)ds.label_names,
	    ds.nlabels, &r);
	if ((w = nsl_writer_open(output, err)) == NULL)
		goto done;
	if (nsl_writer_write(w, out.data, out.len, err) != 0) {
		nsl_writer_abort(w);
		goto done;
	}
	if (nsl_writer_commit(w, err) != 0) {
		nsl_err_at(err, output != NULL ? output : "<stdout>", 0);
		goto done;
	}
	rc = 0;
done:
	free(r.w);
	nsl_buf_release(&out);
	nsl_dataset_release(&ds);
	nsl_dataset_release(&vs);
	return rc;
}
