/*
 * pools.c - the pool, or union of score-quantile buckets, with the
 * lowest predicted error per budget under the data-filter law
 * (see nsl/pools.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/pools.h"

const char *const nsl_pools_union_names[] = { "all", "prefix", "single",
	NULL };

static const char *const owned_fields[] = { "pools", "P", "pred" };

void
nsl_pools_init(struct nsl_pools_job *j)
{
	memset(j, 0, sizeof(*j));
	j->unions = NSL_POOLS_ALL;
}

void
nsl_pools_release(struct nsl_pools_job *j)
{
	size_t i;

	while (j->nf > 0)
		nsl_fitrec_release(&j->f[--j->nf]);
	free(j->f);
	for (i = 0; i < j->m; i++)
		free(j->label[i]);
	free(j->label);
	free(j->fit_of);
	free(j->p);
	free(j->size);
	memset(j, 0, sizeof(*j));
}

const char *
nsl_pools_check(const struct nsl_pools_job *j)
{
	if (j->fit == NULL)
		return "--fit FILE is required";
	if (j->table == NULL)
		return "--pools FILE is required";
	if (j->unions < NSL_POOLS_ALL || j->unions > NSL_POOLS_SINGLE)
		return "--unions: expected all, prefix or single";
	return NULL;
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/* Every fit a data-filter law of the first fit's variables. */
static int
check_fit(const struct nsl_fitrec *f, const struct nsl_fitrec *first,
    void *arg, struct nsl_err *err)
{
	const struct nsl_law *l = f->law;

	(void)arg;
	if (strcmp(l->name, "data-filter") != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "law \"%s\": expected "
		    "data-filter", l->name);
	if (strcmp(l->vars[0], first->law->vars[0]) != 0 ||
	    strcmp(l->vars[1], first->law->vars[1]) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "variables \"%s\", "
		    "\"%s\": the first fit's are \"%s\", \"%s\"",
		    l->vars[0], l->vars[1], first->law->vars[0],
		    first->law->vars[1]);
	if (f != first && (f->by_field == NULL || first->by_field == NULL ||
	    strcmp(f->by_field, first->by_field) != 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "several fits need "
		    "one \"by\" field naming their pool");
	return 0;
}

static int
read_fits(struct nsl_pools_job *j, struct nsl_err *err)
{
	return nsl_fitrec_read_all(j->fit, j->rec_flags, &j->f, &j->nf,
	    check_fit, NULL, err);
}

/* The fit of pool record q: the only one, or the one of q's "by" value. */
static const struct nsl_fitrec *
pick(const struct nsl_pools_job *j, const struct nsl_rec *q, long *bi,
    struct nsl_buf *key, struct nsl_err *err)
{
	size_t i;

	*bi = j->f[0].by_field != NULL ? nsl_rec_find(q, j->f[0].by_field) :
	    -1;
	if (j->nf == 1 && *bi < 0)
		return &j->f[0];
	if (*bi < 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "missing field \"%s\"",
		    j->f[0].by_field);
		return NULL;
	}
	if (nsl_labels_key_at(q, (size_t)*bi, NSL_LABELS_LITERALS, key,
	    err) != 0)
		return NULL;
	for (i = 0; i < j->nf; i++)
		if (j->f[i].by_value != NULL &&
		    strcmp(key->data, j->f[i].by_value) == 0)
			return &j->f[i];
	nsl_err_set(err, NSL_EX_DATAERR, "no fit for this pool");
	return NULL;
}

static int
positive(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, name, err);

	if (k < 0 || nsl_rec_number(rec, (size_t)k, v, err) != 0)
		return -1;
	if (!(*v > 0) || isinf(*v))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a positive number", name);
	return 0;
}

/* One pool row: its fit's parameters, size and label; no pool twice. */
static int
add_pool(struct nsl_pools_job *j, const struct nsl_rec *q,
    struct nsl_buf *key, struct nsl_err *err)
{
	const struct nsl_fitrec *f;
	double (*p)[4], *s, v[NSL_LAW_MAX_PARAMS];
	char **lab, *t;
	size_t i, *fo;
	long bi;

	if ((f = pick(j, q, &bi, key, err)) == NULL ||
	    positive(q, j->f[0].law->vars[1], &v[0], err) != 0)
		return -1;
	for (i = 0; i < j->m; i++)
		if (j->fit_of[i] == (size_t)(f - j->f))
			return nsl_err_set(err, NSL_EX_DATAERR, "pool listed "
			    "twice");
	if ((fo = realloc(j->fit_of, (j->m + 1) * sizeof(*fo))) == NULL)
		return oom(err);
	j->fit_of = fo;
	fo[j->m] = (size_t)(f - j->f);
	if ((p = realloc(j->p, (j->m + 1) * sizeof(*p))) != NULL)
		j->p = p;
	if ((s = realloc(j->size, (j->m + 1) * sizeof(*s))) != NULL)
		j->size = s;
	if ((lab = realloc(j->label, (j->m + 1) * sizeof(*lab))) != NULL)
		j->label = lab;
	t = bi >= 0 ? strndup(q->fields[bi].value, q->fields[bi].vlen) :
	    strdup("null");
	if (p == NULL || s == NULL || lab == NULL || t == NULL) {
		free(t);
		return oom(err);
	}
	j->size[j->m] = v[0];
	nsl_law_to_report(f->law, f->theta, v);
	memcpy(j->p[j->m], v, sizeof(j->p[0]));
	j->label[j->m++] = t;
	return 0;
}

static int
read_table(struct nsl_pools_job *j, struct nsl_err *err)
{
	struct nsl_reader *r = nsl_reader_open(j->table, err);
	struct nsl_buf key = NSL_BUF_INIT;
	struct nsl_rec rec;
	int rc, ret = -1;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, j->rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1)
		if (add_pool(j, &rec, &key, err) != 0) {
			if (err->code != NSL_EX_SOFTWARE)
				nsl_err_at(err, nsl_reader_name(r),
				    nsl_reader_lineno(r));
			goto out;
		}
	if (rc < 0)
		goto out;
	if (j->m == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no pool record");
		nsl_err_at(err, j->table, 0);
		goto out;
	}
	if (j->unions == NSL_POOLS_ALL && j->m > NSL_POOLS_MAX_ALL) {
		nsl_err_set(err, NSL_EX_DATAERR, "%zu pools: --unions all "
		    "takes at most %d (use prefix)", j->m, NSL_POOLS_MAX_ALL);
		nsl_err_at(err, j->table, 0);
		goto out;
	}
	ret = 0;
out:
	nsl_buf_release(&key);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return ret;
}

/*
 * Candidate c (0-based) as the pools it takes, into idx; returns their
 * number, 0 past the last candidate.
 */
static size_t
candidate(const struct nsl_pools_job *j, size_t c, size_t *idx)
{
	size_t i, n = 0;

	switch (j->unions) {
	case NSL_POOLS_ALL:
		if (c + 1 >= ((size_t)1 << j->m))
			return 0;
		for (i = 0; i < j->m; i++)
			if ((c + 1) >> i & 1)
				idx[n++] = i;
		return n;
	case NSL_POOLS_PREFIX:
		for (i = 0; i <= c && c < j->m; i++)
			idx[n++] = i;
		return n;
	default:
		if (c >= j->m)
			return 0;
		idx[0] = c;
		return 1;
	}
}

/* The candidate's y at budget n into *y, its size into *P. */
static void
predict(const struct nsl_pools_job *j, const size_t *idx, size_t k,
    double n, double (*rows)[4], double *P, double *y)
{
	size_t i;

	*P = 0;
	for (i = 0; i < k; i++) {
		memcpy(rows[i], j->p[idx[i]], sizeof(rows[0]));
		*P += j->size[idx[i]];
	}
	*y = nsl_law_filter_mix((const double (*)[4])rows, k, n, *P);
}

static int
emit(struct nsl_writer *w, const struct nsl_rec *rec,
    const struct nsl_pools_job *j, const size_t *idx, size_t k, double P,
    double y, struct nsl_buf *out, struct nsl_err *err)
{
	const char *labs[64];	/* most unions; more are allocated */
	const char **lp = labs;
	struct nsl_pools_answer a;
	size_t i;
	int rc;

	if (k > sizeof(labs) / sizeof(labs[0]) &&
	    (lp = malloc(k * sizeof(*lp))) == NULL)
		return oom(err);
	for (i = 0; i < k; i++)
		lp[i] = j->label[idx[i]];
	a.npools = k;
	a.labels = lp;
	a.owned = NULL;
	a.P = P;
	a.pred = y;
	nsl_buf_reset(out);
	nsl_pools_write(rec, &a, out);
	if (lp != labs)
		free(lp);
	if (nsl_buf_failed(out))
		return oom(err);
	rc = nsl_writer_write(w, out->data, out->len, err);
	return rc;
}

/* Every candidate (all) or the best one for the budget of rec. */
static int
answer(struct nsl_pools_job *j, const struct nsl_rec *rec,
    struct nsl_writer *w, size_t *idx, size_t *best, double (*rows)[4],
    struct nsl_buf *out, struct nsl_err *err)
{
	double n, P, y, bestP = NAN, besty = INFINITY;
	size_t c, k, nbest = 0;

	if (positive(rec, j->f[0].law->vars[0], &n, err) != 0)
		return -1;
	for (c = 0; (k = candidate(j, c, idx)) > 0; c++) {
		predict(j, idx, k, n, rows, &P, &y);
		if (j->all) {
			if (emit(w, rec, j, idx, k, P, y, out, err) != 0)
				return -1;
		} else if (y < besty) {
			besty = y;
			bestP = P;
			nbest = k;
			memcpy(best, idx, k * sizeof(*idx));
		}
	}
	if (j->all)
		return 0;
	if (nbest == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "no pool predicts a "
		    "finite error at this budget");
	return emit(w, rec, j, best, nbest, bestP, besty, out, err);
}

int
nsl_pools_run(struct nsl_pools_job *j, const char *in, const char *output,
    struct nsl_err *err)
{
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_reader *r = NULL;
	struct nsl_writer *w = NULL;
	struct nsl_rec rec;
	size_t *idx = NULL, *best = NULL;
	double (*rows)[4] = NULL;
	int rc, ret = -1;

	nsl_err_clear(err);
	nsl_rec_init(&rec, j->rec_flags);
	if (read_fits(j, err) != 0 || read_table(j, err) != 0)
		goto out;
	idx = malloc(j->m * sizeof(*idx));
	best = malloc(j->m * sizeof(*best));
	rows = malloc(j->m * sizeof(*rows));
	if (idx == NULL || best == NULL || rows == NULL) {
		oom(err);
		goto out;
	}
	if ((r = nsl_reader_open(in, err)) == NULL ||
	    (w = nsl_writer_open(output, err)) == NULL)
		goto out;
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		if (answer(j, &rec, w, idx, best, rows, &out, err) != 0) {
			if (err->code == NSL_EX_DATAERR)
				nsl_err_at(err, nsl_reader_name(r),
				    nsl_reader_lineno(r));
			goto out;
		}
		j->nqueries++;
	}
	if (rc < 0)
		goto out;
	rc = nsl_writer_commit(w, err);
	w = NULL;		/* committed or not, it is gone */
	ret = rc != 0 ? -1 : 0;
out:
	if (w != NULL)
		nsl_writer_abort(w);
	if (r != NULL)
		nsl_reader_close(r);
	nsl_rec_release(&rec);
	nsl_buf_release(&out);
	free(idx);
	free(best);
	free(rows);
	return ret;
}

void
nsl_pools_write(const struct nsl_rec *rec, const struct nsl_pools_answer *a,
    struct nsl_buf *b)
{
	struct nsl_buf arr = NSL_BUF_INIT;
	struct nsl_obj o;
	size_t i;

	nsl_buf_addc(&arr, '[');
	for (i = 0; i < a->npools; i++) {
		if (i > 0)
			nsl_buf_addc(&arr, ',');
		nsl_buf_adds(&arr, a->labels[i]);
	}
	nsl_buf_addc(&arr, ']');
	nsl_obj_begin(&o, b);
	nsl_obj_copy_except(&o, rec, owned_fields, 3);
	nsl_obj_key(&o, "pools");
	if (!nsl_buf_failed(&arr))
		nsl_obj_raw(&o, arr.data, arr.len);
	nsl_obj_key(&o, "P");
	nsl_obj_number(&o, a->P);
	nsl_obj_key(&o, "pred");
	nsl_obj_number_or_null(&o, a->pred);
	nsl_obj_end(&o);
	if (nsl_buf_failed(&arr))
		nsl_buf_reset(b), b->failed = 1;
	nsl_buf_release(&arr);
}

void
nsl_pools_answer_release(struct nsl_pools_answer *a)
{
	size_t i;

	for (i = 0; a->owned != NULL && i < a->npools; i++)
		free(a->owned[i]);
	free(a->owned);
	a->owned = NULL;
	a->labels = NULL;
	a->npools = 0;
}

int
nsl_pools_parse(const struct nsl_rec *rec, struct nsl_pools_answer *a,
    struct nsl_err *err)
{
	json_t *v = NULL, *e;
	long k;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->pred = NAN;
	if ((k = nsl_rec_require(rec, "P", err)) < 0 ||
	    nsl_rec_number(rec, (size_t)k, &a->P, err) != 0 ||
	    (k = nsl_rec_require(rec, "pred", err)) < 0 ||
	    (rec->fields[k].type != NSL_JSON_NULL &&
	    nsl_rec_number(rec, (size_t)k, &a->pred, err) != 0) ||
	    (k = nsl_rec_require(rec, "pools", err)) < 0 ||
	    (v = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		return -1;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		json_decref(v);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"pools\": "
		    "expected a nonempty array");
	}
	if ((a->owned = calloc(json_array_size(v), sizeof(char *))) == NULL) {
		json_decref(v);
		return oom(err);
	}
	json_array_foreach(v, i, e) {
		if ((a->owned[i] = json_dumps(e, JSON_ENCODE_ANY |
		    JSON_COMPACT)) == NULL) {
			a->npools = i;
			nsl_pools_answer_release(a);
			json_decref(v);
			return oom(err);
		}
		a->npools = i + 1;
	}
	a->labels = (const char *const *)a->owned;
	json_decref(v);
	return 0;
}
