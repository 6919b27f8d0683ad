/* intdim.c - intrinsic dimension and the scaling regime (see nsl/intdim.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "nsl/dataset.h"
#include "nsl/fit.h"
#include "nsl/intdim.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/rng.h"
#include "nsl/score.h"

/* --- estimators --------------------------------------------------------- */

/*
 * log(x^a e^-x / Gamma(a + 1)), written as a (log1p(t) - t) - log(2 pi
 * a)/2 - Stirling's correction with t = (x - a)/a, so that the large
 * terms of a log x - x - lgamma(a + 1) cancel exactly rather than in
 * rounding (at a = 1e8 they are 2e9 apiece).
 */
static double
log_gamma_factor(double a, double x)
{
	double t = (x - a) / a, a3 = a * a * a;

	if (a < 10)
		return a * log(x) - x - lgamma(a + 1);
	return a * (log1p(t) - t) - 0.5 * log(2 * M_PI * a) -
	    (1 / (12 * a) - 1 / (360 * a3) + 1 / (1260 * a3 * a * a));
}

/*
 * P(a, x), the Gamma(a, 1) distribution function: the series below
 * x = a + 1, one minus the continued fraction of Q (modified Lentz)
 * above, as in Numerical Recipes' gser and gcf.  GSL's incomplete Gamma
 * gives up (an error, which aborts) for a above 1e6 at two standard
 * deviations, and the intervals of n points need a = n and beyond.
 */
static double
gamma_p(double a, double x)
{
	double D, sum = 1, term = 1, b, c, d, h, an, del;
	size_t i;

	if (!(x > 0))
		return 0;
	D = exp(log_gamma_factor(a, x));
	if (x < a + 1) {
		for (i = 1; i < 100000000; i++) {
			term *= x / (a + (double)i);
			sum += term;
			if (term < sum * DBL_EPSILON / 4)
				break;
		}
		return D * sum;
	}
	b = x + 1 - a;
	c = 1 / DBL_MIN;
	d = 1 / b;
	h = d;
	for (i = 1; i < 100000000; i++) {
		an = -(double)i * ((double)i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < DBL_MIN)
			d = DBL_MIN;
		c = b + an / c;
		if (fabs(c) < DBL_MIN)
			c = DBL_MIN;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < DBL_EPSILON / 4)
			break;
	}
	return 1 - a * D * h;
}

/*
 * The p-quantile of Gamma(a, 1): Newton steps on gamma_p from the
 * Wilson-Hilferty start, kept inside a bracket that bisection narrows
 * whenever a step would leave it.
 */
static double
gamma_quantile(double p, double a)
{
	double z = gsl_cdf_ugaussian_Pinv(p), t = 1 / (9 * a);
	double x = a * pow(fmax(1 - t + z * sqrt(t), 1e-3), 3);
	double lo = 0, hi = INFINITY, f, dens, nx;
	int it;

	for (it = 0; it < 300; it++) {
		f = gamma_p(a, x) - p;
		if (f == 0)
			break;
		if (f < 0)
			lo = x;
		else
			hi = x;
		dens = a / x * exp(log_gamma_factor(a, x));
		nx = dens > 0 ? x - f / dens : NAN;
		if (!(nx > lo && nx < hi))	/* bisect (or double) */
			nx = isfinite(hi) ? (lo + hi) / 2 : 2 * x;
		if (fabs(nx - x) <= 2 * DBL_EPSILON * x)
			break;
		x = nx;
	}
	return x;
}

/* Interval of d from d S ~ Gamma(shape, 1). */
static void
gamma_interval(double shape, double S, double level, double *lo, double *hi)
{
	*lo = gamma_quantile((1 - level) / 2, shape) / S;
	*hi = gamma_quantile((1 + level) / 2, shape) / S;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t
twonn_neighbours(const struct nsl_intdim_params *p)
{
	(void)p;
	return 2;
}

static int
twonn(const double *dist, size_t n, size_t stride,
    const struct nsl_intdim_params *p, struct nsl_intdim_est *e,
    struct nsl_err *err)
{
	size_t i, c = (size_t)floor(p->discard * (double)n), m = n - c;
	double *x, T = 0;

	if (m < 2)
		return nsl_err_set(err, NSL_EX_DATAERR, "twonn: --discard %g "
		    "of %zu points leaves %zu ratios (needs 2)", p->discard, n,
		    m);
	if ((x = malloc(n * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		const double *r = dist + i * stride;

		if (!(r[0] > 0)) {
			free(x);
			return nsl_err_set(err, NSL_EX_DATAERR, "twonn: a "
			    "nearest-neighbour distance is 0 (points too close "
			    "to tell apart)");
		}
		x[i] = log(r[1] / r[0]);
	}
	if (c > 0)
		qsort(x, n, sizeof(double), cmp_double);
	/* type II censoring: the c largest count as "at least x_(m)" */
	for (i = 0; i < m; i++)
		T += x[i];
	T += (double)c * x[m - 1];
	free(x);
	if (!(T > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "twonn: every point's "
		    "two nearest neighbours are equally far (r2/r1 = 1): the "
		    "ratios carry no dimension (a lattice?)");
	e->d = (double)(m - 1) / T;
	gamma_interval((double)m, T, p->level, &e->lo, &e->hi);
	e->used = m;
	e->censored = c;
	return 0;
}

static size_t
mle_neighbours(const struct nsl_intdim_params *p)
{
	return p->k;
}

static int
mle(const double *dist, size_t n, size_t stride,
    const struct nsl_intdim_params *p, struct nsl_intdim_est *e,
    struct nsl_err *err)
{
	size_t i, j, k = p->k;
	double U = 0;

	for (i = 0; i < n; i++) {
		const double *r = dist + i * stride;
		double lk = log(r[k - 1]);

		if (!(r[0] > 0))
			return nsl_err_set(err, NSL_EX_DATAERR, "mle: a "
			    "nearest-neighbour distance is 0 (points too close "
			    "to tell apart)");
		for (j = 0; j + 1 < k; j++)
			U += lk - log(r[j]);
	}
	if (!(U > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "mle: every point's "
		    "%zu nearest neighbours are equally far: the distances "
		    "carry no dimension (a lattice?)", k);
	/* MacKay and Ghahramani: 1/d is the mean of the points' 1/m_k */
	e->d = (double)n * (double)(k - 1) / U;
	gamma_interval((double)n * (double)(k - 1), U, p->level, &e->lo,
	    &e->hi);
	e->used = n;
	e->censored = 0;
	return 0;
}

const struct nsl_intdim_estimator nsl_intdim_estimators[] = {
	{ "twonn", "Facco et al. 2017: ratio of the two nearest distances, "
	    "maximum likelihood, --discard censors the largest ratios",
	    twonn_neighbours, twonn },
	{ "mle", "Levina and Bickel 2004 over --k neighbours, inverses "
	    "averaged (MacKay and Ghahramani 2005)", mle_neighbours, mle },
	{ NULL, NULL, NULL, NULL }
};

const struct nsl_intdim_estimator *
nsl_intdim_estimator_find(const char *name)
{
	const struct nsl_intdim_estimator *e;

	for (e = nsl_intdim_estimators; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

const char *
nsl_intdim_check(const struct nsl_intdim_params *p)
{
	if (p->k < 2)
		return "--k: the mle needs at least 2 neighbours";
	if (!(p->discard >= 0 && p->discard < 1))
		return "--discard: must be in [0, 1)";
	if (!(p->level > 0 && p->level < 1))
		return "--level: must be in (0, 1)";
	return NULL;
}

/* --- neighbours and duplicates ------------------------------------------ */

struct rows {
	const double *x;
	size_t d;
};

static int
cmp_rows(const void *a, const void *b, void *arg)
{
	const struct rows *R = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b, t;
	const double *u = R->x + i * R->d, *v = R->x + j * R->d;

	for (t = 0; t < R->d; t++)
		if (u[t] != v[t])
			return u[t] < v[t] ? -1 : 1;
	return (i > j) - (i < j);	/* the first of equals first */
}

static int
rows_equal(const double *x, size_t d, size_t i, size_t j)
{
	size_t t;

	for (t = 0; t < d; t++)
		if (x[i * d + t] != x[j * d + t])
			return 0;
	return 1;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

int
nsl_intdim_distinct(const double *x, size_t n, size_t d, size_t *keep,
    size_t *nkeep, struct nsl_err *err)
{
	struct rows R = { x, d };
	size_t *ord, i, m = 0;

	if ((ord = malloc((n ? n : 1) * sizeof(size_t))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		ord[i] = i;
	qsort_r(ord, n, sizeof(size_t), cmp_rows, &R);
	for (i = 0; i < n; i++)
		if (i == 0 || !rows_equal(x, d, ord[i - 1], ord[i]))
			keep[m++] = ord[i];
	qsort(keep, m, sizeof(size_t), cmp_size);
	*nkeep = m;
	free(ord);
	return 0;
}

int
nsl_intdim_neighbours(const double *x, size_t n, size_t d, size_t k,
    double *dist, struct nsl_err *err)
{
	size_t i, a, b;

	if (nsl_score_knn_neighbours(x, n, d, k, dist, NULL, err) < 0)
		return -1;
	/* the search orders by the blocked distances: sort the exact ones */
	for (i = 0; i < n; i++) {
		double *r = dist + i * k;

		for (a = 1; a < k; a++) {
			double v = r[a];

			for (b = a; b > 0 && r[b - 1] > v; b--)
				r[b] = r[b - 1];
			r[b] = v;
		}
	}
	return 0;
}

/* --- records --------------------------------------------------------------- */

static void
key(struct nsl_buf *b, const char *k)
{
	nsl_buf_addc(b, ',');
	nsl_json_string(b, k, strlen(k));
	nsl_buf_addc(b, ':');
}

static void
num(struct nsl_buf *b, const char *k, double v)
{
	key(b, k);
	nsl_json_number(b, v, NSL_NUM_DOUBLE);
}

static void
pair(struct nsl_buf *b, const char *k, double lo, double hi)
{
	key(b, k);
	nsl_buf_addc(b, '[');
	nsl_json_number(b, lo, NSL_NUM_DOUBLE);
	nsl_buf_addc(b, ',');
	nsl_json_number(b, hi, NSL_NUM_DOUBLE);
	nsl_buf_addc(b, ']');
}

static void
count(struct nsl_buf *b, const char *k, size_t v)
{
	key(b, k);
	nsl_buf_addf(b, "%zu", v);
}

static void
by(struct nsl_buf *b, const char *field, const char *value)
{
	if (field == NULL)
		return;
	key(b, "by");
	nsl_buf_addc(b, '{');
	nsl_json_string(b, field, strlen(field));
	nsl_buf_addc(b, ':');
	nsl_buf_adds(b, value);
	nsl_buf_addc(b, '}');
}

void
nsl_intdim_write(const struct nsl_intdim_result *r, struct nsl_buf *b)
{
	nsl_buf_adds(b, "{\"estimator\":");
	nsl_json_string(b, r->estimator, strlen(r->estimator));
	by(b, r->by_field, r->by_value);
	num(b, "d", r->d);
	pair(b, "interval", r->lo, r->hi);
	num(b, "level", r->level);
	num(b, "c", r->c);
	num(b, "alpha", r->alpha);
	pair(b, "alpha_interval", r->alpha_lo, r->alpha_hi);
	count(b, "n", r->n);
	count(b, "duplicates", r->duplicates);
	count(b, "k", r->k);
	num(b, "discard", r->discard);
	count(b, "censored", r->censored);
	if (r->has_sample) {
		count(b, "sample", r->sample);
		count(b, "of", r->of);
	}
	nsl_buf_adds(b, "}\n");
}

/* Member name of rec as a number (or, with two set, a pair); -1 with err. */
static int
get_numbers(const struct nsl_rec *rec, const char *name, double *v,
    size_t want, int required, struct nsl_err *err)
{
	long f = nsl_rec_find(rec, name);
	double *x = NULL;
	size_t n = 0, cap = 0;

	if (f < 0) {
		if (!required)
			return 0;
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": missing",
		    name);
	}
	if (want == 1)
		return nsl_rec_number(rec, (size_t)f, v, err);
	if (nsl_rec_vector(rec, (size_t)f, &x, &n, &cap, err) < 0)
		return -1;
	if (n != want) {
		free(x);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": expected "
		    "%zu numbers, got %zu", name, want, n);
	}
	memcpy(v, x, want * sizeof(double));
	free(x);
	return 0;
}

int
nsl_intdim_parse(struct nsl_intdim_result *r, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	double iv[2], av[2], t;
	long f;

	memset(r, 0, sizeof(*r));
	r->level = NSL_INTDIM_LEVEL;
	r->c = NSL_INTDIM_C;
	if (get_numbers(rec, "d", &r->d, 1, 1, err) < 0 ||
	    get_numbers(rec, "interval", iv, 2, 1, err) < 0 ||
	    get_numbers(rec, "alpha", &r->alpha, 1, 1, err) < 0 ||
	    get_numbers(rec, "alpha_interval", av, 2, 1, err) < 0 ||
	    get_numbers(rec, "level", &r->level, 1, 0, err) < 0 ||
	    get_numbers(rec, "c", &r->c, 1, 0, err) < 0 ||
	    get_numbers(rec, "discard", &r->discard, 1, 0, err) < 0)
		return -1;
	r->lo = iv[0];
	r->hi = iv[1];
	r->alpha_lo = av[0];
	r->alpha_hi = av[1];
	if (!(r->alpha_lo <= r->alpha && r->alpha <= r->alpha_hi))
		return nsl_err_set(err, NSL_EX_DATAERR, "field "
		    "\"alpha_interval\": [%g, %g] does not hold alpha %g",
		    r->alpha_lo, r->alpha_hi, r->alpha);
	if ((f = nsl_rec_find(rec, "estimator")) >= 0) {
		struct nsl_buf s = NSL_BUF_INIT;

		if (nsl_rec_string(rec, (size_t)f, &s, err) < 0) {
			nsl_buf_release(&s);
			return -1;
		}
		snprintf(r->estimator, sizeof(r->estimator), "%s",
		    s.data ? s.data : "");
		nsl_buf_release(&s);
	}
	if (get_numbers(rec, "n", &t, 1, 0, err) < 0)
		return -1;
	r->n = t > 0 ? (size_t)t : 0;
	return 0;
}

int
nsl_intdim_read_prediction(const char *path, struct nsl_intdim_result *r,
    struct nsl_err *err)
{
	struct nsl_reader *rd = nsl_reader_open(path, err);
	struct nsl_rec rec;
	int got, rc = -1;

	if (rd == NULL)
		return -1;
	nsl_rec_init(&rec, 0);
	if ((got = nsl_rec_read(rd, &rec, err)) == 0) {
		nsl_err_at(err, nsl_reader_name(rd), 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no record");
	} else if (got == 1) {
		if (nsl_intdim_parse(r, &rec, err) == 0)
			rc = 0;
		else
			nsl_err_at(err, nsl_reader_name(rd),
			    nsl_reader_lineno(rd));
	}
	nsl_rec_release(&rec);
	nsl_reader_close(rd);
	return rc;
}

/* --- nsl-intrinsic-dim ------------------------------------------------------ */

/* Estimate on x (n x d, distinct rows) by every estimator of the job and
 * write the records; tmpl holds the fields that do not change. */
static int
estimate_all(const struct nsl_intdim_job *J, size_t kmax, const double *x,
    size_t n, size_t d, struct nsl_intdim_result *tmpl, const char *what,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	double *dist;
	size_t e;
	int rc = -1;

	if (n <= kmax) {
		if (n == 1 && tmpl->duplicates > 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "%sall %zu points "
			    "are one vector: no dimension to estimate", what,
			    tmpl->duplicates + 1);
		for (e = 0; e < J->nest; e++)
			if (J->est[e]->neighbours(&J->p) == kmax)
				break;
		return nsl_err_set(err, NSL_EX_DATAERR, "%s%s needs at least "
		    "%zu distinct points (%zu neighbours each), have %zu", what,
		    J->est[e < J->nest ? e : 0]->name, kmax + 1, kmax, n);
	}
	if ((dist = malloc(n * kmax * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_intdim_neighbours(x, n, d, kmax, dist, err) < 0)
		goto out;
	for (e = 0; e < J->nest; e++) {
		const struct nsl_intdim_estimator *E = J->est[e];
		struct nsl_intdim_est est;
		struct nsl_intdim_result r = *tmpl;

		memset(&est, 0, sizeof(est));
		if (E->estimate(dist, n, kmax, &J->p, &est, err) < 0) {
			char m[sizeof(err->msg)];

			memcpy(m, err->msg, sizeof(m));
			nsl_err_set(err, err->code, "%s%.400s", what, m);
			goto out;
		}
		snprintf(r.estimator, sizeof(r.estimator), "%s", E->name);
		r.d = est.d;
		r.lo = est.lo;
		r.hi = est.hi;
		r.level = J->p.level;
		r.c = J->c;
		r.alpha = J->c / est.d;
		r.alpha_lo = J->c / est.hi;
		r.alpha_hi = J->c / est.lo;
		r.n = n;
		r.k = E->neighbours(&J->p);
		r.discard = E->estimate == twonn ? J->p.discard : 0;
		r.censored = est.censored;
		nsl_buf_reset(&b);
		nsl_intdim_write(&r, &b);
		if (nsl_buf_failed(&b)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_writer_write(w, b.data, b.len, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(dist);
	nsl_buf_release(&b);
	return rc;
}

/* s of the n indices 0..n), drawn without replacement, ascending. */
static int
draw(size_t n, size_t s, uint64_t seed, uint64_t stream, size_t *out,
    struct nsl_err *err)
{
	gsl_rng *r = nsl_rng_new(seed, stream);
	size_t *p = malloc(n * sizeof(size_t)), i;

	if (r == NULL || p == NULL) {
		gsl_rng_free(r);
		free(p);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < n; i++)
		p[i] = i;
	for (i = 0; i < s; i++) {	/* partial Fisher-Yates */
		size_t j = i + (size_t)gsl_rng_uniform_int(r, n - i), t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	memcpy(out, p, s * sizeof(size_t));
	qsort(out, s, sizeof(size_t), cmp_size);
	gsl_rng_free(r);
	free(p);
	return 0;
}

#define STREAMS_PER_SIZE 65536

static int
run_group(const struct nsl_intdim_job *J, const struct nsl_dataset *ds,
    const size_t *rows, size_t nrows, long g, size_t kmax,
    struct nsl_writer *w, struct nsl_err *err)
{
	size_t d = ds->d, i, nd, s, r;
	double *x = malloc((nrows ? nrows : 1) * d * sizeof(double));
	double *sub = NULL;
	size_t *keep = malloc((nrows ? nrows : 1) * sizeof(size_t));
	size_t *pick = NULL;
	struct nsl_intdim_result tmpl;
	struct nsl_dataset_where at;
	char what[300] = "";
	int rc = -1;

	memset(&tmpl, 0, sizeof(tmpl));
	if (g >= 0) {
		tmpl.by_field = J->by;
		tmpl.by_value = ds->label_names[g];
		snprintf(what, sizeof(what), "%.100s %.150s: ", J->by,
		    ds->label_names[g]);
	}
	if (x == NULL || keep == NULL)
		goto oom;
	for (i = 0; i < nrows; i++)
		memcpy(x + i * d, ds->x + rows[i] * d, d * sizeof(double));
	if (nsl_intdim_distinct(x, nrows, d, keep, &nd, err) < 0)
		goto out;
	if (nd < nrows && J->dups == NSL_INTDIM_REFUSE) {
		/* the first record that repeats an earlier one */
		for (i = 0; i < nd && keep[i] == i; i++)
			;
		at = nsl_dataset_where(ds, rows[i]);
		nsl_err_at(err, ds->paths[at.file], at.line);
		nsl_err_set(err, NSL_EX_DATAERR, "%s%zu duplicate points "
		    "(r1 = 0; --duplicates drop estimates on the distinct "
		    "ones)", what, nrows - nd);
		goto out;
	}
	for (i = 0; i < nd; i++)
		if (keep[i] != i)
			memcpy(x + i * d, x + keep[i] * d, d * sizeof(double));
	tmpl.duplicates = nrows - nd;
	if (J->nsizes == 0) {
		rc = estimate_all(J, kmax, x, nd, d, &tmpl, what, w, err);
		goto out;
	}
	tmpl.has_sample = 1;
	tmpl.of = nd;
	for (s = 0; s < J->nsizes; s++)
		if (J->sizes[s] > nd) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s--sizes %zu: more "
			    "than the %zu distinct points", what, J->sizes[s],
			    nd);
			goto out;
		}
	sub = malloc(nd * d * sizeof(double));
	pick = malloc(nd * sizeof(size_t));
	if (sub == NULL || pick == NULL)
		goto oom;
	for (s = 0; s < J->nsizes; s++)
		for (r = 0; r < J->repeats; r++) {
			size_t m = J->sizes[s];

			if (draw(nd, m, J->seed, (uint64_t)m *
			    STREAMS_PER_SIZE + r, pick, err) < 0)
				goto out;
			for (i = 0; i < m; i++)
				memcpy(sub + i * d, x + pick[i] * d,
				    d * sizeof(double));
			tmpl.sample = r;
			tmpl.duplicates = 0;
			if (estimate_all(J, kmax, sub, m, d, &tmpl, what, w,
			    err) < 0)
				goto out;
		}
	rc = 0;
	goto out;
oom:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	free(x);
	free(sub);
	free(keep);
	free(pick);
	return rc;
}

int
nsl_intdim_run(const struct nsl_intdim_job *J, const char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_dataset ds;
	const char *msg;
	size_t *rows = NULL, kmax = 0, e, i, n;
	long g;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	if ((msg = nsl_intdim_check(&J->p)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s", msg);
	if (J->nest == 0)
		return nsl_err_set(err, NSL_EX_USAGE, "no estimator");
	if (J->nsizes > 0 && (J->repeats == 0 ||
	    J->repeats > STREAMS_PER_SIZE))
		return nsl_err_set(err, NSL_EX_USAGE, "--repeats: must be in "
		    "[1, %d]", STREAMS_PER_SIZE);
	for (e = 0; e < J->nest; e++)
		if (J->est[e]->neighbours(&J->p) > kmax)
			kmax = J->est[e]->neighbours(&J->p);
	if (nsl_dataset_read(&ds, paths, npaths, J->field, J->by, 0, err) < 0)
		goto out;
	if ((rows = malloc(ds.n * sizeof(size_t))) == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (g = J->by ? 0 : -1; g < (J->by ? (long)ds.nlabels : 0); g++) {
		for (i = n = 0; i < ds.n; i++)
			if (g < 0 || ds.label[i] == g)
				rows[n++] = i;
		if (run_group(J, &ds, rows, n, g, kmax, w, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(rows);
	nsl_dataset_release(&ds);
	return rc;
}

/* --- the regime of a data-scaling curve ------------------------------------ */

/* power-offset's parameters, y = E + A x^-a, in the law's order */
enum { P_E, P_A, P_a };

/* A number, or null when it is not finite (a failed bootstrap refit). */
static void
num_or_null(struct nsl_buf *b, double v)
{
	if (isfinite(v))
		nsl_json_number(b, v, NSL_NUM_DOUBLE);
	else
		nsl_buf_adds(b, "null");
}

/* [lo, hi] reaches [a, b] */
static int
overlaps(double lo, double hi, double a, double b)
{
	return lo <= b && a <= hi;
}

struct part {
	const char *name;
	size_t from, to;	/* distinct x values [from, to) */
};

/* The points of g whose x is among the distinct values [v0, v1) of xs. */
static int
subgroup(const struct nsl_group *g, const double *xs, size_t v0, size_t v1,
    struct nsl_group *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->key = g->key;
	s->file = g->file;
	s->x = malloc(g->n * sizeof(double));
	s->y = malloc(g->n * sizeof(double));
	s->w = malloc(g->n * sizeof(double));
	s->keep = malloc(g->n);
	s->held = malloc(g->n);
	s->hval = malloc(g->n * sizeof(double));
	s->cluster = malloc(g->n * sizeof(size_t));
	s->line = malloc(g->n * sizeof(unsigned long));
	if (!s->x || !s->y || !s->w || !s->keep || !s->held || !s->hval ||
	    !s->cluster || !s->line)
		return -1;
	for (i = 0; i < g->n; i++) {
		if (!(g->x[i] >= xs[v0] && g->x[i] <= xs[v1 - 1]))
			continue;
		s->x[s->n] = g->x[i];
		s->y[s->n] = g->y[i];
		s->w[s->n] = g->w[i];
		s->keep[s->n] = 1;
		s->held[s->n] = 0;
		s->hval[s->n] = 0;
		s->cluster[s->n] = 0;
		s->line[s->n] = g->line[i];
		s->n++;
	}
	s->ncluster = 1;
	return 0;
}

static void
subgroup_release(struct nsl_group *s)
{
	free(s->x);
	free(s->y);
	free(s->w);
	free(s->keep);
	free(s->held);
	free(s->hval);
	free(s->cluster);
	free(s->line);
}

static const char *
verdict(int var, int res)
{
	if (var && res)
		return "either";
	if (var)
		return "variance-limited";
	if (res)
		return "resolution-limited";
	return "neither";
}

/* The diagnostic record of one part. */
static void
regime_write(const struct nsl_regime_job *J, const struct nsl_group *g,
    const char *part, const struct nsl_group *s, const double *rep,
    double lo, double hi, struct nsl_buf *b)
{
	double t = J->tolerance, xmin = INFINITY, xmax = -INFINITY;
	int var, res;
	size_t i;

	for (i = 0; i < s->n; i++) {
		xmin = fmin(xmin, s->x[i]);
		xmax = fmax(xmax, s->x[i]);
	}
	var = isfinite(lo) && isfinite(hi) && overlaps(lo, hi, 1 - t, 1 + t);
	res = isfinite(lo) && isfinite(hi) && overlaps(lo, hi,
	    J->alpha_lo * (1 - t), J->alpha_hi * (1 + t));
	nsl_buf_adds(b, "{\"part\":");
	nsl_json_string(b, part, strlen(part));
	by(b, J->by, g->key);
	key(b, "x");
	nsl_json_string(b, J->x, strlen(J->x));
	key(b, "y");
	nsl_json_string(b, J->y, strlen(J->y));
	num(b, "from", xmin);
	num(b, "to", xmax);
	count(b, "points", s->n);
	num(b, "a", rep[P_a]);
	key(b, "interval");
	nsl_buf_addc(b, '[');
	num_or_null(b, lo);
	nsl_buf_addc(b, ',');
	num_or_null(b, hi);
	nsl_buf_addc(b, ']');
	num(b, "level", J->level);
	num(b, "E", rep[P_E]);
	num(b, "A", rep[P_A]);
	num(b, "predicted", J->alpha);
	pair(b, "predicted_interval", J->alpha_lo, J->alpha_hi);
	num(b, "tolerance", t);
	key(b, "variance_limited");
	nsl_buf_adds(b, var ? "true" : "false");
	key(b, "resolution_limited");
	nsl_buf_adds(b, res ? "true" : "false");
	key(b, "regime");
	nsl_buf_adds(b, "\"");
	nsl_buf_adds(b, verdict(var, res));
	nsl_buf_adds(b, "\"}\n");
}

/* A fit record with "part" as its first member. */
static void
fit_write(const struct nsl_fitrec *fr, const char *part, struct nsl_buf *b)
{
	struct nsl_buf t = NSL_BUF_INIT;

	nsl_fitrec_write(fr, &t, NSL_NUM_DOUBLE);
	nsl_buf_adds(b, "{\"part\":");
	nsl_json_string(b, part, strlen(part));
	nsl_buf_addc(b, ',');
	if (t.len > 1)
		nsl_buf_add(b, t.data + 1, t.len - 1);
	if (nsl_buf_failed(&t))
		b->failed = 1;
	nsl_buf_release(&t);
}

static int
regime_group(const struct nsl_regime_job *J, const struct nsl_law *law,
    const struct nsl_group *g, struct nsl_writer *w, struct nsl_writer *fits,
    struct nsl_err *err)
{
	double *xs = malloc((g->n ? g->n : 1) * sizeof(double));
	double rep[NSL_LAW_MAX_PARAMS], fixval[NSL_LAW_MAX_PARAMS], lo, hi;
	unsigned char fixed[NSL_LAW_MAX_PARAMS];
	struct nsl_buf b = NSL_BUF_INIT, warn = NSL_BUF_INIT;
	struct nsl_fit_opts fo;
	struct part parts[4];
	size_t i, m = 0, p;
	int rc = -1;

	if (xs == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	memcpy(xs, g->x, g->n * sizeof(double));
	qsort(xs, g->n, sizeof(double), cmp_double);
	for (i = 0; i < g->n; i++)
		if (i == 0 || xs[i] != xs[m - 1])
			xs[m++] = xs[i];
	if (m < 5) {
		nsl_err_at(err, g->file, 0);
		nsl_err_set(err, NSL_EX_DATAERR, "%s%s%zu distinct values of "
		    "\"%s\": the halves need at least 5 (3 each)",
		    g->key ? g->key : "", g->key ? ": " : "", m, J->x);
		free(xs);
		return -1;
	}
	parts[0] = (struct part){ "small", 0, (m + 1) / 2 };
	parts[1] = (struct part){ "large", m / 2, m };
	parts[2] = (struct part){ "all", 0, m };
	parts[3] = (struct part){ "predicted", 0, m };
	memset(&fo, 0, sizeof(fo));
	fo.loss = J->loss;
	fo.delta = NSL_OPTIM_DELTA;
	fo.optim.grid = NSL_OPTIM_GRID;
	fo.optim.starts = NSL_OPTIM_STARTS;
	fo.optim.maxiter = NSL_OPTIM_MAXITER;
	fo.level = J->level;
	fo.seed = J->seed;
	fo.by = J->by;
	memset(fixed, 0, sizeof(fixed));
	for (p = 0; p < 4; p++) {
		struct nsl_group s;
		struct nsl_fitrec fr;
		int ok;

		nsl_fitrec_init(&fr);
		ok = subgroup(g, xs, parts[p].from, parts[p].to, &s) == 0;
		if (p == 3) {	/* a fixed at the prediction */
			fixed[P_a] = 1;
			fixval[P_a] = J->alpha;
			fo.fixed = fixed;
			fo.fixval = fixval;
		}
		fo.bootstrap = p == 3 ? 0 : J->bootstrap;
		if (!ok)
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		else if (nsl_fit_group(law, &s, &fo, &fr, &warn, err) == 0) {
			nsl_law_to_report(fr.law, fr.theta, rep);
			nsl_fitrec_interval(&fr, P_a, J->level, &lo, &hi);
			nsl_buf_reset(&b);
			if (p < 3) {
				regime_write(J, g, parts[p].name, &s, rep, lo,
				    hi, &b);
				if (nsl_writer_write(w, b.data, b.len, err) < 0)
					ok = 0;
			}
			nsl_buf_reset(&b);
			if (ok && fits != NULL) {
				fit_write(&fr, parts[p].name, &b);
				if (nsl_writer_write(fits, b.data, b.len,
				    err) < 0)
					ok = 0;
			}
		} else
			ok = 0;
		nsl_fitrec_release(&fr);
		subgroup_release(&s);
		if (!ok)
			goto out;
	}
	if (nsl_buf_failed(&b)) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(xs);
	nsl_buf_release(&b);
	nsl_buf_release(&warn);
	return rc;
}

int
nsl_regime_run(const struct nsl_regime_job *J, const char *path,
    struct nsl_writer *w, struct nsl_writer *fits, struct nsl_err *err)
{
	struct nsl_points_opts po;
	struct nsl_points pts;
	struct nsl_reader *r = NULL;
	struct nsl_law *law;
	size_t gi;
	int rc = -1;

	if (!(J->alpha > 0 && J->alpha_lo <= J->alpha &&
	    J->alpha <= J->alpha_hi && isfinite(J->alpha_hi)))
		return nsl_err_set(err, NSL_EX_USAGE, "the predicted alpha %g "
		    "[%g, %g] must be positive and inside its interval",
		    J->alpha, J->alpha_lo, J->alpha_hi);
	if ((law = nsl_law_new("power-offset", 1, err)) == NULL)
		return -1;
	if (nsl_law_param_index(law, "E") != P_E ||
	    nsl_law_param_index(law, "A") != P_A ||
	    nsl_law_param_index(law, "a") != P_a) {
		nsl_law_free(law);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "power-offset's "
		    "parameters are not E, A, a");
	}
	if (nsl_law_set_var(law, 0, J->x) < 0 || nsl_law_set_y(law, J->y) < 0) {
		nsl_law_free(law);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	memset(&po, 0, sizeof(po));
	po.law = law;
	po.y = J->y;
	po.by = J->by;
	po.rec_flags = J->rec_flags;
	nsl_points_init(&pts, &po);
	if ((r = nsl_reader_open(path, err)) == NULL)
		goto out;
	if (nsl_points_read(&pts, r, err) < 0 ||
	    nsl_points_finish(&pts, J->loss, err) < 0)
		goto out;
	if (pts.ng == 0) {
		nsl_err_at(err, nsl_reader_name(r), 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		goto out;
	}
	for (gi = 0; gi < pts.ng; gi++)
		if (regime_group(J, law, &pts.g[gi], w, fits, err) < 0)
			goto out;
	rc = 0;
out:
	if (r != NULL)
		nsl_reader_close(r);
	nsl_points_release(&pts);
	nsl_law_free(law);
	return rc;
}

/* ------------------------------------------------ command-line lists */

const char *
nsl_intdim_estimators_parse(struct nsl_intdim_job *J, const char *arg)
{
	static char msg[256];
	const char *p = arg;
	size_t len;

	do {
		char name[64];

		len = strcspn(p, ",");
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (J->nest == sizeof(J->est) / sizeof(J->est[0]))
			return "too many estimators";
		if ((J->est[J->nest++] = nsl_intdim_estimator_find(name)) ==
		    NULL) {
			snprintf(msg, sizeof(msg), "unknown '%s' (twonn or mle)",
			    name);
			return msg;
		}
		p += len;
	} while (*p++ == ',');
	return NULL;
}

const char *
nsl_intdim_sizes_parse(size_t *sizes, size_t max, size_t *n,
    const char *arg)
{
	static char msg[64];
	const char *p = arg;
	char *end;

	do {
		double v = strtod(p, &end);

		if (end == p || (*end != ',' && *end != '\0') || !(v >= 3) ||
		    v > 1e9 || v != floor(v))
			return "expected sizes of at least 3, comma-separated";
		if (*n == max) {
			snprintf(msg, sizeof(msg), "at most %zu sizes", max);
			return msg;
		}
		sizes[(*n)++] = (size_t)v;
		p = end;
	} while (*p++ == ',');
	return NULL;
}

const char *
nsl_regime_alpha_parse(struct nsl_regime_job *R, const char *arg)
{
	static char msg[512];
	char *end;

	R->alpha = R->alpha_lo = R->alpha_hi = strtod(arg, &end);
	if (*end == ',')
		R->alpha_lo = strtod(end + 1, &end);
	if (*end == ',')
		R->alpha_hi = strtod(end + 1, &end);
	if (*end != '\0' || !(R->alpha > 0 && R->alpha_lo <= R->alpha &&
	    R->alpha <= R->alpha_hi && R->alpha_hi < 1e300)) {
		snprintf(msg, sizeof(msg), "--alpha: expected A or A,LO,HI "
		    "with 0 < LO <= A <= HI, got '%.400s'", arg);
		return msg;
	}
	return NULL;
}
