/*
 * passk.c - pass@k over problems with a bootstrap interval, and the
 * result record's pair (see nsl/passk.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/optim.h"
#include "nsl/passk.h"
#include "nsl/rng.h"

/*
 * C(n-c, k)/C(n, k) = prod_{i=0..k-1} (n-c-i)/(n-i)
 *                   = prod_{i=n-c+1..n} (1 - k/i)
 * (Chen et al. 2021): c factors, each in [0, 1), so nothing overflows.
 */
double
nsl_passk(long n, long c, long k)
{
	double prod = 1;
	long i;

	if (n - c < k)
		return 1;
	for (i = n - c + 1; i <= n; i++)
		prod *= 1 - (double)k / (double)i;
	return 1 - prod;
}

int
nsl_passk_init(struct nsl_passk_job *j, struct nsl_err *err)
{
	memset(j, 0, sizeof(*j));
	j->problem = "problem";
	j->correct = "correct";
	j->nfield = "n";
	j->cfield = "c";
	j->B = NSL_PASSK_B;
	j->level = NSL_PASSK_LEVEL;
	if ((j->k = malloc(sizeof(long))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	j->k[0] = 1;
	j->nk = 1;
	return 0;
}

void
nsl_passk_release(struct nsl_passk_job *j)
{
	free(j->k);
	j->k = NULL;
	j->nk = 0;
}

const char *
nsl_passk_set_k(struct nsl_passk_job *j, const char *list)
{
	static char msg[128];
	const char *p = list;
	long *k = NULL;
	size_t n = 0, i;

	for (;;) {
		char *end;
		long v, *t;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno != 0 || v < 1 || (*end != ',' &&
		    *end != '\0') || *p == '+' || *p == ' ') {
			snprintf(msg, sizeof(msg), "'%s' is not a list of "
			    "positive integers", list);
			free(k);
			return msg;
		}
		for (i = 0; i < n; i++)
			if (k[i] == v) {
				snprintf(msg, sizeof(msg), "%ld is given twice",
				    v);
				free(k);
				return msg;
			}
		if ((t = realloc(k, (n + 1) * sizeof(*k))) == NULL) {
			free(k);
			return "out of memory";
		}
		k = t;
		k[n++] = v;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	free(j->k);
	j->k = k;
	j->nk = n;
	return NULL;
}

const char *
nsl_passk_check(const struct nsl_passk_job *j)
{
	if (j->nk == 0)
		return "--k: no k";
	if (!(j->level > 0 && j->level < 1))
		return "--level: must be in (0, 1)";
	if (j->by != NULL && (strcmp(j->by, j->problem) == 0 ||
	    (!j->counts && strcmp(j->by, j->correct) == 0)))
		return "--by: the group field cannot be the problem's or the "
		    "result's";
	return NULL;
}

/* One problem of one group, as read (merged after sorting). */
struct ent {
	size_t g;		/* group, in order of first appearance */
	char *key;		/* the problem's key */
	long n, c;
};

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* A whole, non-negative number field (n, c) of rec. */
static int
count_field(const struct nsl_rec *rec, const char *name, long *out,
    struct nsl_err *err)
{
	long i = nsl_rec_require(rec, name, err);
	double v;

	if (i < 0 || nsl_rec_number(rec, (size_t)i, &v, err) != 0)
		return -1;
	if (!(v >= 0 && v <= 1e15 && v == floor(v)))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a whole number of samples, not %g", name, v);
	*out = (long)v;
	return 0;
}

/* The correct field: true, false, 1 or 0. */
static int
correct_field(const struct nsl_rec *rec, const char *name, long *out,
    struct nsl_err *err)
{
	long i = nsl_rec_require(rec, name, err);
	double v;

	if (i < 0)
		return -1;
	switch (rec->fields[i].type) {
	case NSL_JSON_TRUE:
		*out = 1;
		return 0;
	case NSL_JSON_FALSE:
		*out = 0;
		return 0;
	case NSL_JSON_NUMBER:
		if (nsl_rec_number(rec, (size_t)i, &v, err) != 0)
			return -1;
		if (v == 0 || v == 1) {
			*out = (long)v;
			return 0;
		}
		break;
	default:
		break;
	}
	return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": expected "
	    "true, false, 1 or 0", name);
}

/* Read every record into ents (one per record), the groups into gl. */
static int
read_all(const struct nsl_passk_job *j, const char *in, struct ent **ents,
    size_t *n, struct nsl_labels *gl, struct nsl_err *err)
{
	struct nsl_reader *r = nsl_reader_open(in, err);
	struct nsl_buf key = NSL_BUF_INIT;
	struct nsl_rec rec;
	size_t cap = 0;
	int rc, ret = -1;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, j->rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		struct ent e;
		long g = 0, pi;

		memset(&e, 0, sizeof(e));
		if (j->by != NULL && (g = nsl_labels_add(gl, &rec, j->by,
		    err)) < 0)
			goto bad;
		if ((pi = nsl_rec_require(&rec, j->problem, err)) < 0 ||
		    nsl_labels_key_at(&rec, (size_t)pi, NSL_LABELS_LITERALS,
		    &key, err) != 0)
			goto bad;
		if (j->counts) {
			if (count_field(&rec, j->nfield, &e.n, err) != 0 ||
			    count_field(&rec, j->cfield, &e.c, err) != 0)
				goto bad;
			if (e.c > e.n) {
				nsl_err_set(err, NSL_EX_DATAERR, "%ld correct of "
				    "%ld samples", e.c, e.n);
				goto bad;
			}
		} else {
			e.n = 1;
			if (correct_field(&rec, j->correct, &e.c, err) != 0)
				goto bad;
		}
		e.g = (size_t)g;
		if (*n == cap) {
			struct ent *t;

			cap = cap ? 2 * cap : 1024;
			if ((t = realloc(*ents, cap * sizeof(*t))) == NULL)
				goto nomem;
			*ents = t;
		}
		if ((e.key = strdup(key.data)) == NULL)
			goto nomem;
		(*ents)[(*n)++] = e;
	}
	if (rc < 0)
		goto out;
	if (*n == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no record");
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto out;
	}
	ret = 0;
	goto out;
bad:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_rec_release(&rec);
	nsl_buf_release(&key);
	nsl_reader_close(r);
	return ret;
}

/*
 * The results of one group: its problems e[0..np) (merged), into res[]
 * (nk of them).  stream numbers the group's bootstrap draws.
 */
static int
group_results(const struct nsl_passk_job *j, const struct ent *e, size_t np,
    uint64_t stream, struct nsl_passk_result *res, struct nsl_err *err)
{
	double *val = NULL, *boot = NULL, *sum = NULL;
	unsigned long long samples = 0;
	gsl_rng *rng = NULL;
	size_t p, q, b, kk;
	int ret = -1;

	val = malloc(np * j->nk * sizeof(double));
	sum = calloc(j->nk, sizeof(double));
	if (val == NULL || sum == NULL)
		goto nomem;
	for (p = 0; p < np; p++) {
		samples += (unsigned long long)e[p].n;
		for (kk = 0; kk < j->nk; kk++) {
			if (e[p].n < j->k[kk]) {
				nsl_err_set(err, NSL_EX_DATAERR, "problem %s: "
				    "%ld samples, fewer than k = %ld",
				    e[p].key, e[p].n, j->k[kk]);
				goto out;
			}
			val[p * j->nk + kk] = nsl_passk(e[p].n, e[p].c,
			    j->k[kk]);
			sum[kk] += val[p * j->nk + kk];
		}
	}
	for (kk = 0; kk < j->nk; kk++) {
		res[kk].k = j->k[kk];
		res[kk].pass = sum[kk] / (double)np;
		res[kk].lo = res[kk].hi = NAN;
		res[kk].problems = np;
		res[kk].samples = samples;
	}
	if (j->B == 0) {
		ret = 0;
		goto out;
	}
	/* resample the problems: the interval of the mean over them */
	if ((boot = malloc(j->B * j->nk * sizeof(double))) == NULL ||
	    (rng = nsl_rng_new(j->seed, stream)) == NULL)
		goto nomem;
	for (b = 0; b < j->B; b++) {
		memset(sum, 0, j->nk * sizeof(double));
		for (q = 0; q < np; q++) {
			p = (size_t)gsl_rng_uniform_int(rng, np);
			for (kk = 0; kk < j->nk; kk++)
				sum[kk] += val[p * j->nk + kk];
		}
		for (kk = 0; kk < j->nk; kk++)
			boot[kk * j->B + b] = sum[kk] / (double)np;
	}
	for (kk = 0; kk < j->nk; kk++) {
		res[kk].lo = nsl_optim_quantile(boot + kk * j->B, j->B,
		    (1 - j->level) / 2);
		res[kk].hi = nsl_optim_quantile(boot + kk * j->B, j->B,
		    1 - (1 - j->level) / 2);
	}
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	if (rng != NULL)
		gsl_rng_free(rng);
	free(val);
	free(boot);
	free(sum);
	return ret;
}

int
nsl_passk_run(const struct nsl_passk_job *j, const char *in,
    const char *output, struct nsl_err *err)
{
	struct nsl_labels *gl = nsl_labels_new_flags(NSL_LABELS_LITERALS);
	struct nsl_passk_result *res = NULL;
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_writer *w = NULL;
	struct ent *e = NULL;
	size_t n = 0, m = 0, i, ng, *rank = NULL, *order = NULL, g;
	size_t *start = NULL;
	int ret = -1;

	nsl_err_clear(err);
	if (gl == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		return -1;
	}
	if (read_all(j, in, &e, &n, gl, err) != 0)
		goto out;
	/* merge the records of each problem */
	qsort(e, n, sizeof(*e), ent_cmp);
	for (i = 0; i < n; i++) {
		if (m > 0 && e[m - 1].g == e[i].g &&
		    strcmp(e[m - 1].key, e[i].key) == 0) {
			e[m - 1].n += e[i].n;
			e[m - 1].c += e[i].c;
			free(e[i].key);
			continue;
		}
		e[m++] = e[i];
	}
	n = m;
	ng = j->by != NULL ? nsl_labels_count(gl) : 1;
	rank = malloc(ng * sizeof(size_t));
	order = malloc(ng * sizeof(size_t));
	start = calloc(ng + 1, sizeof(size_t));
	res = malloc(j->nk * sizeof(*res));
	if (rank == NULL || order == NULL || start == NULL || res == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (j->by != NULL) {
		if (nsl_labels_sort(gl, rank, err) != 0)
			goto out;
	} else
		rank[0] = 0;
	for (g = 0; g < ng; g++)
		order[rank[g]] = g;
	for (i = 0; i < n; i++)
		start[e[i].g + 1]++;
	for (g = 0; g < ng; g++)
		start[g + 1] += start[g];
	if ((w = nsl_writer_open(output, err)) == NULL)
		goto out;
	for (i = 0; i < ng; i++) {
		size_t k;

		g = order[i];
		if (group_results(j, e + start[g], start[g + 1] - start[g],
		    (uint64_t)i, res, err) != 0) {
			nsl_err_at(err, strcmp(in, "-") == 0 ? "<stdin>" : in,
			    0);
			goto out;
		}
		nsl_buf_reset(&out);
		for (k = 0; k < j->nk; k++) {
			res[k].by = j->by;
			res[k].by_key = j->by != NULL ?
			    nsl_labels_names(gl)[i] : NULL;
			nsl_passk_write(&res[k], &out);
		}
		if (nsl_buf_failed(&out)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_writer_write(w, out.data, out.len, err) != 0)
			goto out;
	}
	ret = nsl_writer_commit(w, err) != 0 ? -1 : 0;
	w = NULL;
out:
	if (w != NULL)
		nsl_writer_abort(w);
	for (i = 0; i < n; i++)
		free(e[i].key);
	free(e);
	free(rank);
	free(order);
	free(start);
	free(res);
	nsl_buf_release(&out);
	nsl_labels_free(gl);
	return ret;
}

void
nsl_passk_write(const struct nsl_passk_result *r, struct nsl_buf *b)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	if (r->by != NULL && r->by_key != NULL) {
		nsl_obj_key(&o, r->by);
		nsl_obj_raw(&o, r->by_key, strlen(r->by_key));
	}
	nsl_obj_key(&o, "k");
	nsl_obj_integer(&o, r->k);
	nsl_obj_key(&o, "pass_at_k");
	nsl_obj_number(&o, r->pass);
	if (!isnan(r->lo)) {
		nsl_obj_key(&o, "pass_at_k_lo");
		nsl_obj_number(&o, r->lo);
		nsl_obj_key(&o, "pass_at_k_hi");
		nsl_obj_number(&o, r->hi);
	}
	nsl_obj_key(&o, "problems");
	nsl_obj_integer(&o, (long long)r->problems);
	nsl_obj_key(&o, "samples");
	nsl_obj_integer(&o, (long long)r->samples);
	nsl_obj_end(&o);
}

static int
num(const struct nsl_rec *rec, const char *name, int optional, double *v,
    struct nsl_err *err)
{
	long i = optional ? nsl_rec_find(rec, name) :
	    nsl_rec_require(rec, name, err);

	*v = NAN;
	if (i < 0)
		return optional ? 0 : -1;
	return nsl_rec_number(rec, (size_t)i, v, err);
}

int
nsl_passk_parse(const struct nsl_rec *rec, struct nsl_passk_result *r,
    struct nsl_err *err)
{
	double k, np, ns;

	memset(r, 0, sizeof(*r));
	if (num(rec, "k", 0, &k, err) != 0 ||
	    num(rec, "pass_at_k", 0, &r->pass, err) != 0 ||
	    num(rec, "pass_at_k_lo", 1, &r->lo, err) != 0 ||
	    num(rec, "pass_at_k_hi", 1, &r->hi, err) != 0 ||
	    num(rec, "problems", 0, &np, err) != 0 ||
	    num(rec, "samples", 0, &ns, err) != 0)
		return -1;
	r->k = (long)k;
	r->problems = (size_t)np;
	r->samples = (unsigned long long)ns;
	return 0;
}
