/*
 * coreset.c - k-center greedy, herding and facility location on
 * embeddings (see nsl/coreset.h for the rules and their costs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/coreset.h"
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

int
nsl_coreset_kcenter(const double *x, size_t n, size_t d, size_t m,
    size_t start, size_t *sel, struct nsl_err *err)
{
	double *mind;
	unsigned char *taken;
	size_t t, i, c;

	if (m > n || (m > 0 && start >= n))
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	mind = malloc(n * sizeof(*mind));
	taken = calloc(n, 1);
	if (mind == NULL || taken == NULL) {
		free(mind);
		free(taken);
		return oom(err);
	}
	/* squared distances: the same order as the distances, no sqrt */
	c = start;
	for (i = 0; i < n; i++)
		mind[i] = INFINITY;
	for (t = 0; t < m; t++) {
		const double *xc = x + c * d;
		size_t best = n;

		sel[t] = c;
		taken[c] = 1;
		for (i = 0; i < n; i++) {
			double v;

			if (taken[i])
				continue;
			v = nsl_vec_sqdist(x + i * d, xc, d);
			if (v < mind[i])
				mind[i] = v;
			if (best == n || mind[i] > mind[best])
				best = i;
		}
		c = best;
	}
	free(mind);
	free(taken);
	return 0;
}

int
nsl_coreset_herding(const double *x, size_t n, size_t d, size_t m,
    size_t *sel, struct nsl_err *err)
{
	double *mu, *r;
	unsigned char *taken;
	size_t t, i, j;
	int rc = -1;

	if (m > n)
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	mu = calloc(d, sizeof(*mu));
	r = malloc(d * sizeof(*r));
	taken = calloc(n, 1);
	if (mu == NULL || r == NULL || taken == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			mu[j] += x[i * d + j];
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
			v = nsl_vec_sqdist(r, x + i * d, d);
			if (best == n || v < bv) {
				best = i;
				bv = v;
			}
		}
		sel[t] = best;
		taken[best] = 1;
		for (j = 0; j < d; j++)
			r[j] += mu[j] - x[best * d + j];
	}
	rc = 0;
done:
	free(mu);
	free(r);
	free(taken);
	return rc;
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

/* Facility location's state: unit rows, the best similarity so far. */
struct fl {
	const double *u;	/* n x d unit (or zero) rows */
	size_t n, d;
	double *sim;		/* n x n, or NULL: computed on the fly */
	double *cur;		/* max over the chosen of sim(i, .), 0 at first */
};

static double
fl_sim(const struct fl *F, size_t i, size_t j)
{
	if (F->sim != NULL)
		return F->sim[i * F->n + j];
	return (1 + nsl_vec_dot(F->u + i * F->d, F->u + j * F->d, F->d)) / 2;
}

/* F(S + j) - F(S), summed in row order */
static double
fl_gain(const struct fl *F, size_t j)
{
	double g = 0, v;
	size_t i;

	for (i = 0; i < F->n; i++)
		if ((v = fl_sim(F, i, j) - F->cur[i]) > 0)
			g += v;
	return g;
}

static void
fl_take(struct fl *F, size_t j)
{
	double v;
	size_t i;

	for (i = 0; i < F->n; i++)
		if ((v = fl_sim(F, i, j)) > F->cur[i])
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

int
nsl_coreset_facility(const double *x, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err)
{
	struct fl F;
	double *u;
	void *work;
	size_t i, j;

	if (m > n)
		return too_many(m, n, err);
	if (m == 0)
		return 0;
	memset(&F, 0, sizeof(F));
	F.n = n;
	F.d = d;
	u = malloc(n * d * sizeof(*u));
	F.cur = calloc(n, sizeof(*F.cur));
	work = malloc(n * (sample > 0 ? sizeof(size_t) :
	    sizeof(struct entry)));
	if (u == NULL || F.cur == NULL || work == NULL) {
		free(u);
		free(F.cur);
		free(work);
		return oom(err);
	}
	memcpy(u, x, n * d * sizeof(*u));
	nsl_vec_normalize_rows(u, n, d);
	F.u = u;
	if (n <= NSL_CORESET_SIM_BYTES / sizeof(double) / n &&
	    (F.sim = malloc(n * n * sizeof(double))) != NULL) {
		/* the same sums fl_sim does on the fly: equal choices */
		for (i = 0; i < n; i++)
			for (j = 0; j <= i; j++)
				F.sim[i * n + j] = F.sim[j * n + i] = (1 +
				    nsl_vec_dot(u + i * d, u + j * d, d)) / 2;
	}
	if (sample > 0)
		stochastic_greedy(&F, m, sample, rng, work, sel);
	else
		lazy_greedy(&F, m, work, sel);
	free(F.sim);
	free(u);
	free(F.cur);
	free(work);
	return 0;
}
