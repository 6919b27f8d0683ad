/*
 * mix.c - data mixtures by proportion or temperature, upsampled or
 * upweighted (see nsl/mix.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/mix.h"
#include "nsl/num.h"
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
	size_t n = 0, cap = 0, ns = 0, s, i;
	uint64_t *size = NULL, *count = NULL, *mult = NULL, N;
	unsigned char *keep = NULL;
	double *p = NULL, *w = NULL;
	int rc = -1, got;

	memset(&E, 0, sizeof(E));
	nsl_rec_init(&rec, 0);
	nsl_rec_init(&E.rec, 0);
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
	for (i = 0; i < npaths; i++) {
		if (nsl_spool_open(spool, paths[i], err) != 0)
			goto done;
		while ((got = nsl_spool_next(spool, &rec, err)) == 1) {
			long g = nsl_labels_add(labels, &rec, P->source_field,
			    err);

			if (g < 0) {
				nsl_spool_locate(spool, err);
				goto done;
			}
			if (n == cap) {
				size_t c2 = cap ? 2 * cap : 4096, *t;

				if ((t = realloc(src, c2 * sizeof(*t))) ==
				    NULL) {
					oom(err);
					goto done;
				}
				src = t;
				cap = c2;
			}
			src[n++] = (size_t)g;
		}
		if (got < 0)
			goto done;
	}
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
