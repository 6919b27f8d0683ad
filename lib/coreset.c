/*
 * coreset.c - k-center greedy, herding and facility location on
 * embeddings (see nsl/coreset.h for the rules and their costs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/coreset.h"
#include "nsl/kmeans.h"
#include "nsl/vec.h"

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

static int
too_many(size_t m, size_t n, struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "coreset: %zu of %zu rows",
	    m, n);
}

/*
 * The rows a coreset reads: x's doubles, or float32 rows xf, each number
 * read as (double)xf[k], the very double the widened set would hold.
 * Every sum below runs over those doubles in the order the double path
 * runs it (nsl/vec.c's loops, no BLAS), so the choices are the same bit
 * for bit and no error bound is needed: the rows only take half the
 * bytes.
 */
struct rows {
	const double *x;	/* n x d, or NULL */
	const float *xf;	/* n x d when x is NULL */
	size_t d;
};

/* Row i into buf as doubles, or x's own row. */
static const double *
row_get(const struct rows *R, size_t i, double *buf)
{
	size_t t;

	if (R->x != NULL)
		return R->x + i * R->d;
	for (t = 0; t < R->d; t++)
		buf[t] = (double)R->xf[i * R->d + t];
	return buf;
}

/*
 * nsl_vec_sqdist(a, row i).  Its float32 loop subtracts in the same
 * order; (a - b)^2 and (b - a)^2 are the same double anyway, rounding to
 * nearest being symmetric.
 */
static double
row_sqdist(const struct rows *R, const double *a, size_t i)
{
	const float *b;
	double s = 0, t;
	size_t k;

	if (R->x != NULL)
		return nsl_vec_sqdist(a, R->x + i * R->d, R->d);
	b = R->xf + i * R->d;
	for (k = 0; k < R->d; k++) {
		t = a[k] - (double)b[k];
		s += t * t;
	}
	return s;
}

static int
kcenter(const struct rows *R, size_t n, size_t m, size_t start,
    size_t *sel, struct nsl_err *err)
{
	double *mind, *cbuf;
	unsigned char *taken;
	size_t t, i, c, d = R->d;

	if (m > n || (m > 0 && start >= n))
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	mind = malloc(n * sizeof(*mind));
	cbuf = malloc((d + 1) * sizeof(*cbuf));
	taken = calloc(n, 1);
	if (mind == NULL || cbuf == NULL || taken == NULL) {
		free(mind);
		free(cbuf);
		free(taken);
		return oom(err);
	}
	/* squared distances: the same order as the distances, no sqrt */
	c = start;
	for (i = 0; i < n; i++)
		mind[i] = INFINITY;
	for (t = 0; t < m; t++) {
		const double *xc = row_get(R, c, cbuf);
		size_t best = n;

		sel[t] = c;
		taken[c] = 1;
		for (i = 0; i < n; i++) {
			double v;

			if (taken[i])
				continue;
			v = row_sqdist(R, xc, i);
			if (v < mind[i])
				mind[i] = v;
			if (best == n || mind[i] > mind[best])
				best = i;
		}
		c = best;
	}
	free(mind);
	free(cbuf);
	free(taken);
	return 0;
}

int
nsl_coreset_kcenter(const double *x, size_t n, size_t d, size_t m,
    size_t start, size_t *sel, struct nsl_err *err)
{
	struct rows R = { x, NULL, d };

	return kcenter(&R, n, m, start, sel, err);
}

int
nsl_coreset_kcenter_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t start, size_t *sel, struct nsl_err *err)
{
	struct rows R = { NULL, xf, d };

	return kcenter(&R, n, m, start, sel, err);
}

static int
herding(const struct rows *R, size_t n, size_t m, size_t *sel,
    struct nsl_err *err)
{
	double *mu, *r, *buf;
	const double *xb;
	unsigned char *taken;
	size_t t, i, j, d = R->d;
	int rc = -1;

	if (m > n)
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	mu = calloc(d, sizeof(*mu));
	r = malloc(d * sizeof(*r));
	buf = malloc((d + 1) * sizeof(*buf));
	taken = calloc(n, 1);
	if (mu == NULL || r == NULL || buf == NULL || taken == NULL) {
		oom(err);
		goto done;
	}
	/* the sums row by row, as over the whole double matrix */
	for (i = 0; i < n; i++) {
		xb = row_get(R, i, buf);
		for (j = 0; j < d; j++)
			mu[j] += xb[j];
	}
	for (j = 0; j < d; j++)
		mu[j] /= (double)n;
	/* r = (t + 1) mu - s_t, kept as (t + 1) mu minus the chosen rows */
	memcpy(r, mu, d * sizeof(*r));
	for (t = 0; t < m; t++) {
		size_t best = n;
		double bv = 0;

		for (i = 0; i < n; i++) {
			double v;

			if (taken[i])
				continue;
			v = row_sqdist(R, r, i);
			if (best == n || v < bv) {
				best = i;
				bv = v;
			}
		}
		sel[t] = best;
		taken[best] = 1;
		xb = row_get(R, best, buf);
		for (j = 0; j < d; j++)
			r[j] += mu[j] - xb[j];
	}
	rc = 0;
done:
	free(mu);
	free(r);
	free(buf);
	free(taken);
	return rc;
}

int
nsl_coreset_herding(const double *x, size_t n, size_t d, size_t m,
    size_t *sel, struct nsl_err *err)
{
	struct rows R = { x, NULL, d };

	return herding(&R, n, m, sel, err);
}

int
nsl_coreset_herding_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t *sel, struct nsl_err *err)
{
	struct rows R = { NULL, xf, d };

	return herding(&R, n, m, sel, err);
}

size_t
nsl_coreset_sample_size(size_t n, size_t m, double eps)
{
	double s;

	if (m == 0)
		return 1;
	s = ceil((double)n / (double)m * log(1 / eps));
	if (!(s >= 1))
		return 1;
	return s >= (double)n ? n : (size_t)s;
}

/*
 * Facility location's state: unit rows, the best similarity so far.  The
 * unit rows are u's, or float32 rows read as (double)xf / div[i], div[i]
 * the norm nsl_kmeans_unit_divisors() gives: the very doubles
 * nsl_vec_normalize_rows() makes of the widened row, with no n x d copy.
 */
struct fl {
	const double *u;	/* n x d unit (or zero) rows, or NULL */
	const float *xf;	/* n x d when u is NULL */
	double *div;		/* n divisors of xf's rows */
	double *uj;		/* d: the unit row of the gain's column */
	size_t n, d;
	double *sim;		/* n x n, or NULL: computed on the fly */
	double *cur;		/* max over the chosen of sim(i, .), 0 at first */
};

/* Unit row j: u's own, or xf's divided into buf. */
static const double *
fl_unit(const struct fl *F, size_t j, double *buf)
{
	const float *a;
	size_t t;

	if (F->u != NULL)
		return F->u + j * F->d;
	a = F->xf + j * F->d;
	for (t = 0; t < F->d; t++)
		buf[t] = (double)a[t] / F->div[j];
	return buf;
}

/* two doubles, divided in one instruction where the machine has one */
typedef double pair __attribute__((vector_size(2 * sizeof(double))));

/*
 * sim(i, j) of unit row uj = row j: nsl_vec_dot(u_i, u_j) on the fly, on
 * float32 rows with each u_i[t] divided out in the loop (the same
 * products added in the same order).  The divisions go two at a time
 * (each correctly rounded, as alone): one at a time they would take
 * twice as long as the sum they feed.
 */
static double
fl_sim_row(const struct fl *F, size_t i, const double *uj)
{
	const float *a;
	double s = 0, q;
	pair qq, v;
	size_t t;

	if (F->u != NULL)
		return (1 + nsl_vec_dot(F->u + i * F->d, uj, F->d)) / 2;
	a = F->xf + i * F->d;
	q = F->div[i];
	qq = (pair){ q, q };
	for (t = 0; t + 1 < F->d; t += 2) {
		v = (pair){ (double)a[t], (double)a[t + 1] } / qq;
		s += v[0] * uj[t];
		s += v[1] * uj[t + 1];
	}
	if (t < F->d)
		s += (double)a[t] / q * uj[t];
	return (1 + s) / 2;
}

static double
fl_sim(const struct fl *F, size_t i, size_t j, const double *uj)
{
	if (F->sim != NULL)
		return F->sim[i * F->n + j];
	return fl_sim_row(F, i, uj);
}

/* F(S + j) - F(S), summed in row order */
static double
fl_gain(const struct fl *F, size_t j)
{
	const double *uj = F->sim != NULL ? NULL : fl_unit(F, j, F->uj);
	double g = 0, v;
	size_t i;

	for (i = 0; i < F->n; i++)
		if ((v = fl_sim(F, i, j, uj) - F->cur[i]) > 0)
			g += v;
	return g;
}

static void
fl_take(struct fl *F, size_t j)
{
	const double *uj = F->sim != NULL ? NULL : fl_unit(F, j, F->uj);
	double v;
	size_t i;

	for (i = 0; i < F->n; i++)
		if ((v = fl_sim(F, i, j, uj)) > F->cur[i])
			F->cur[i] = v;
}

/* A max-heap of (bound, row): larger bound first, then lower row. */
struct entry {
	double bound;
	size_t row;
	size_t stamp;		/* the step the bound was computed at */
};

static int
above(const struct entry *a, const struct entry *b)
{
	return a->bound > b->bound || (a->bound == b->bound &&
	    a->row < b->row);
}

static void
sift_down(struct entry *h, size_t len, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, b = i;
		struct entry t;

		if (l < len && above(&h[l], &h[b]))
			b = l;
		if (r < len && above(&h[r], &h[b]))
			b = r;
		if (b == i)
			return;
		t = h[i];
		h[i] = h[b];
		h[b] = t;
		i = b;
	}
}

static void
lazy_greedy(struct fl *F, size_t m, struct entry *h, size_t *sel)
{
	size_t len = F->n, t = 0, i;

	for (i = 0; i < len; i++) {
		h[i].bound = fl_gain(F, i);
		h[i].row = i;
		h[i].stamp = 0;
	}
	for (i = len / 2; i-- > 0;)
		sift_down(h, len, i);
	while (t < m) {
		if (h[0].stamp == t) {
			/* fresh, and (bound, row) tops every other bound */
			sel[t++] = h[0].row;
			fl_take(F, h[0].row);
			h[0] = h[--len];
			sift_down(h, len, 0);
			continue;
		}
		h[0].bound = fl_gain(F, h[0].row);
		h[0].stamp = t;
		sift_down(h, len, 0);
	}
}

static void
stochastic_greedy(struct fl *F, size_t m, size_t sample, gsl_rng *rng,
    size_t *rest, size_t *sel)
{
	size_t left = F->n, t, k, i;

	for (i = 0; i < left; i++)
		rest[i] = i;
	for (t = 0; t < m; t++) {
		size_t s = sample < left ? sample : left, best = 0;
		double bg = -1;

		/* the first s of rest become a uniform sample (Fisher-Yates) */
		for (k = 0; k < s; k++) {
			size_t r = k + gsl_rng_uniform_int(rng, left - k), tmp;

			tmp = rest[k];
			rest[k] = rest[r];
			rest[r] = tmp;
		}
		for (k = 0; k < s; k++) {
			double g = fl_gain(F, rest[k]);

			if (g > bg || (g == bg && rest[k] < rest[best])) {
				bg = g;
				best = k;
			}
		}
		sel[t] = rest[best];
		fl_take(F, rest[best]);
		rest[best] = rest[--left];
	}
}

/* Float32 rows' unit rows widened FL_BLOCK at a time to fill sim. */
#define FL_BLOCK 64

/*
 * F->sim from float32 rows: each unit row of a block of FL_BLOCK rows j
 * divided out once, then every row i >= j of the block once a block,
 * each pair summed by nsl_vec_dot(u_j, u_i) as fl_sim_row does: the same
 * doubles, with n / FL_BLOCK times fewer divisions than pair by pair.
 * Returns 0, or -1 when out of memory (the caller then fills it pair by
 * pair).
 */
static int
fl_sim_blocks(struct fl *F)
{
	size_t n = F->n, d = F->d, j0, jn, i, j;
	double *w;

	if ((w = malloc(FL_BLOCK * d * sizeof(*w))) == NULL)
		return -1;
	for (j0 = 0; j0 < n; j0 += FL_BLOCK) {
		jn = n - j0 < FL_BLOCK ? n - j0 : FL_BLOCK;
		for (j = 0; j < jn; j++)
			fl_unit(F, j0 + j, w + j * d);
		for (i = j0; i < n; i++) {
			const double *ui = fl_unit(F, i, F->uj);

			for (j = j0; j < j0 + jn && j <= i; j++)
				F->sim[i * n + j] = F->sim[j * n + i] = (1 +
				    nsl_vec_dot(w + (j - j0) * d, ui, d)) / 2;
		}
	}
	free(w);
	return 0;
}

static int
facility(const double *x, const float *xf, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err)
{
	struct fl F;
	double *u = NULL;
	const double *ui;
	void *work;
	size_t i, j;

	if (m > n)
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	memset(&F, 0, sizeof(F));
	F.n = n;
	F.d = d;
	if (x != NULL)
		u = malloc(n * d * sizeof(*u));
	else
		F.div = malloc(n * sizeof(*F.div));
	F.uj = malloc((d + 1) * sizeof(*F.uj));
	F.cur = calloc(n, sizeof(*F.cur));
	work = malloc(n * (sample > 0 ? sizeof(size_t) :
	    sizeof(struct entry)));
	if ((u == NULL && F.div == NULL) || F.uj == NULL || F.cur == NULL ||
	    work == NULL) {
		free(u);
		free(F.div);
		free(F.uj);
		free(F.cur);
		free(work);
		return oom(err);
	}
	if (x != NULL) {
		memcpy(u, x, n * d * sizeof(*u));
		nsl_vec_normalize_rows(u, n, d);
		F.u = u;
	} else {
		nsl_kmeans_unit_divisors(xf, n, d, F.div, F.uj);
		F.xf = xf;
	}
	if (n <= NSL_CORESET_SIM_BYTES / sizeof(double) / n &&
	    (F.sim = malloc(n * n * sizeof(double))) != NULL) {
		/*
		 * the same sums fl_sim does on the fly: equal choices (a
		 * product is the same either way round)
		 */
		if (F.u != NULL || fl_sim_blocks(&F) != 0)
			for (i = 0; i < n; i++) {
				ui = fl_unit(&F, i, F.uj);
				for (j = 0; j <= i; j++)
					F.sim[i * n + j] = F.sim[j * n + i] =
					    fl_sim_row(&F, j, ui);
			}
	}
	if (sample > 0)
		stochastic_greedy(&F, m, sample, rng, work, sel);
	else
		lazy_greedy(&F, m, work, sel);
	free(F.sim);
	free(u);
	free(F.div);
	free(F.uj);
	free(F.cur);
	free(work);
	return 0;
}

int
nsl_coreset_facility(const double *x, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err)
{
	return facility(x, NULL, n, d, m, sample, rng, sel, err);
}

int
nsl_coreset_facility_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err)
{
	return facility(NULL, xf, n, d, m, sample, rng, sel, err);
}
