/*
 * Unit tests of lib/score.c.  Every expected value is worked out by hand in
 * the comments (closed forms of softmax values chosen to be rational), not
 * taken from the implementation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <gsl/gsl_randist.h>

#include "nsl/rng.h"
#include "nsl/score.h"
#include "nsl/vec.h"
#include "unit.h"

#define TOL 1e-12

static double work[16];

static double
score1(int metric, const double *z, size_t rows, size_t cols, long label,
    const double *h, size_t hrows, size_t hd, int probs, size_t window,
    int *ok)
{
	struct nsl_score_opts o = { probs, window };
	struct nsl_err err;
	double v = NAN;

	*ok = nsl_score_record(metric, z, rows, cols, label, h, hrows, hd, &o,
	    work, &v, &err) == 0;
	return v;
}

#define CLOSE(a, b) (fabs((a) - (b)) <= TOL * (1 + fabs(b)))

static void
test_logits_metrics(void)
{
	/*
	 * z = (0, ln 2, ln 3): softmax = (1, 2, 3) / 6 = (1/6, 1/3, 1/2).
	 * Label 0.
	 *  el2n  = ||(1/6 - 1, 1/3, 1/2)|| = sqrt(25/36 + 4/36 + 9/36)
	 *        = sqrt(38) / 6
	 *  grand with h = (1, 2): el2n * sqrt(1 + 5) = sqrt(228) / 6
	 *  margin = 1 - (1/2 - 1/3) = 5/6
	 *  entropy = ln(6)/6 + ln(3)/3 + ln(2)/2
	 *  least-confidence = 1 - 1/2 = 1/2
	 *  aum = -(z_0 - max other) = -(0 - ln 3) = ln 3
	 */
	double z[3] = { 0, log(2), log(3) };
	double p[3] = { 1.0 / 6, 1.0 / 3, 0.5 };
	double h[2] = { 1, 2 };
	double ent = log(6) / 6 + log(3) / 3 + log(2) / 2;
	int ok, i;

	for (i = 0; i < 2; i++) {
		const double *in = i ? p : z;
		const char *what = i ? "probs" : "logits";

		UNIT_CHECK(CLOSE(score1(NSL_SCORE_EL2N, in, 1, 3, 0, NULL, 0, 0,
		    i, 10, &ok), sqrt(38) / 6) && ok, "el2n = sqrt(38)/6 (%s)",
		    what);
		UNIT_CHECK(CLOSE(score1(NSL_SCORE_GRAND, in, 1, 3, 0, h, 1, 2,
		    i, 10, &ok), sqrt(228) / 6) && ok,
		    "grand = sqrt(38)/6 * sqrt(1 + ||h||^2) (%s)", what);
		UNIT_CHECK(CLOSE(score1(NSL_SCORE_MARGIN, in, 1, 3, 0, NULL, 0,
		    0, i, 10, &ok), 5.0 / 6) && ok, "margin = 1 - (p1 - p2) = "
		    "5/6 (%s)", what);
		UNIT_CHECK(CLOSE(score1(NSL_SCORE_ENTROPY, in, 1, 3, 0, NULL, 0,
		    0, i, 10, &ok), ent) && ok, "entropy (%s)", what);
		UNIT_CHECK(CLOSE(score1(NSL_SCORE_LEAST_CONFIDENCE, in, 1, 3, 0,
		    NULL, 0, 0, i, 10, &ok), 0.5) && ok,
		    "least-confidence = 1/2 (%s)", what);
	}
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_AUM, z, 1, 3, 0, NULL, 0, 0, 0, 10,
	    &ok), log(3)) && ok, "aum = ln 3 (negated margin)");
}

static void
test_rows(void)
{
	/*
	 * Two seeds: (0, ln 2, ln 3) -> (1/6, 1/3, 1/2) and (ln 3, ln 2, 0)
	 * -> (1/2, 1/3, 1/6); label 0.  Errors sqrt(38)/6 and
	 * sqrt(1/4 + 1/9 + 1/36) = sqrt(14)/6: el2n = (sqrt 38 + sqrt 14)/12.
	 * grand with h rows (1, 2) and (0, 0): (sqrt(38) sqrt(6) + sqrt(14))
	 * / 12.  Entropy is the same for both rows (a permutation).
	 */
	double z[6] = { 0, log(2), log(3), log(3), log(2), 0 };
	double h[4] = { 1, 2, 0, 0 };
	int ok;

	UNIT_CHECK(CLOSE(score1(NSL_SCORE_EL2N, z, 2, 3, 0, NULL, 0, 0, 0, 10,
	    &ok), (sqrt(38) + sqrt(14)) / 12) && ok,
	    "el2n averages over rows (seeds)");
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_GRAND, z, 2, 3, 0, h, 2, 2, 0, 10,
	    &ok), (sqrt(38) * sqrt(6) + sqrt(14)) / 12) && ok,
	    "grand with one embedding row per seed");
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_ENTROPY, z, 2, 3, 0, NULL, 0, 0, 0,
	    10, &ok), log(6) / 6 + log(3) / 3 + log(2) / 2) && ok,
	    "entropy averages over rows");
	/* large logits: (1000, 1000 + ln 2) -> (1/3, 2/3); label 1:
	 * el2n = ||(1/3, -1/3)|| = sqrt(2)/3 */
	{
		double big[2] = { 1000, 1000 + log(2) };

		UNIT_CHECK(CLOSE(score1(NSL_SCORE_EL2N, big, 1, 2, 1, NULL, 0,
		    0, 0, 10, &ok), sqrt(2) / 3) && ok,
		    "softmax is stable for large logits");
	}
}

static void
test_dynamics(void)
{
	/*
	 * Forgetting, label 1, epochs' argmax 1, 2, 1, 0, 1: correct 1 0 1 0 1,
	 * two 1 -> 0 transitions.  Never correct (label 0 with argmax 1, 2):
	 * the 2 epochs.  A tie (1, 1, 0) goes to the first index, 0: incorrect
	 * for label 1, then (0, 1, 0) correct: learned, never forgotten.
	 */
	double f[15] = { 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 2, 1 };
	double never[6] = { 0, 1, 0, 0, 0, 1 };
	double tie[6] = { 1, 1, 0, 0, 1, 0 };
	/* AUM, label 0: margins 2 - 1 = 1 and 0 - 3 = -3, mean -1 -> 1 */
	double a[6] = { 2, 0, 1, 0, 3, 1 };
	/*
	 * Dynamic uncertainty on probabilities, label 0: P_y = .5, .25, .75.
	 * J = 2: windows (.5, .25) sd sqrt(2 * .125^2 / 1) = sqrt(1/32) and
	 * (.25, .75) sd sqrt(1/8); mean (sqrt(1/32) + sqrt(1/8)) / 2 =
	 * 3 sqrt(2) / 16.  J = 3: one window, mean .5, sd sqrt(.125/2) = .25.
	 */
	double du[6] = { .5, .5, .25, .75, .75, .25 };
	int ok;

	UNIT_CHECK(score1(NSL_SCORE_FORGETTING, f, 5, 3, 1, NULL, 0, 0, 0, 10,
	    &ok) == 2 && ok, "forgetting counts 1 -> 0 transitions");
	UNIT_CHECK(score1(NSL_SCORE_FORGETTING, never, 2, 3, 0, NULL, 0, 0, 0,
	    10, &ok) == 2 && ok, "never learned: the number of epochs");
	UNIT_CHECK(score1(NSL_SCORE_FORGETTING, tie, 2, 3, 1, NULL, 0, 0, 0,
	    10, &ok) == 0 && ok, "learned at epoch 2, never forgotten");
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_AUM, a, 2, 3, 0, NULL, 0, 0, 0, 10,
	    &ok), 1.0) && ok, "aum: minus the mean margin over epochs");
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_DYNAMIC_UNCERTAINTY, du, 3, 2, 0,
	    NULL, 0, 0, 1, 2, &ok), 3 * sqrt(2) / 16) && ok,
	    "dynamic uncertainty, window 2");
	UNIT_CHECK(CLOSE(score1(NSL_SCORE_DYNAMIC_UNCERTAINTY, du, 3, 2, 0,
	    NULL, 0, 0, 1, 3, &ok), 0.25) && ok,
	    "dynamic uncertainty, window 3");
	score1(NSL_SCORE_DYNAMIC_UNCERTAINTY, du, 3, 2, 0, NULL, 0, 0, 1, 4,
	    &ok);
	UNIT_CHECK(!ok, "fewer epochs than the window is an error");
}

static void
test_errors(void)
{
	double z[3] = { 0, 1, 2 }, bad[3] = { .5, .6, 0 }, neg[2] = { -.1, 1.1 };
	int ok;

	score1(NSL_SCORE_EL2N, z, 1, 3, 3, NULL, 0, 0, 0, 10, &ok);
	UNIT_CHECK(!ok, "label outside the classes is an error");
	score1(NSL_SCORE_EL2N, z, 1, 3, -1, NULL, 0, 0, 0, 10, &ok);
	UNIT_CHECK(!ok, "negative label is an error");
	score1(NSL_SCORE_ENTROPY, z, 1, 1, 0, NULL, 0, 0, 0, 10, &ok);
	UNIT_CHECK(!ok, "one class is an error");
	score1(NSL_SCORE_ENTROPY, bad, 1, 3, 0, NULL, 0, 0, 1, 10, &ok);
	UNIT_CHECK(!ok, "probabilities summing to 1.1 are an error");
	score1(NSL_SCORE_ENTROPY, neg, 1, 2, 0, NULL, 0, 0, 1, 10, &ok);
	UNIT_CHECK(!ok, "a negative probability is an error");
	score1(NSL_SCORE_AUM, z, 1, 3, 0, NULL, 0, 0, 1, 10, &ok);
	UNIT_CHECK(!ok, "aum refuses probabilities");
	score1(NSL_SCORE_PROTOTYPE, z, 1, 3, 0, NULL, 0, 0, 0, 10, &ok);
	UNIT_CHECK(!ok, "a whole-set metric is not a per-record one");
	UNIT_CHECK(nsl_score_metric_parse("el2n") == NSL_SCORE_EL2N &&
	    nsl_score_metric_parse("nope") == -1 &&
	    strcmp(nsl_score_metric_name(NSL_SCORE_DYNAMIC_UNCERTAINTY),
	    "dynamic-uncertainty") == 0, "metric names parse both ways");
}

/* Every row of the catalogue is whole: a name that parses back to it, a
 * description, and exactly the function its needs call for. */
static void
test_catalogue(void)
{
	const struct nsl_score_metric_def *m;
	struct nsl_score_job job;
	int i, good = 1;

	for (i = 0; (m = nsl_score_metric_get(i)) != NULL; i++)
		if (m->name == NULL || m->help == NULL || *m->help == '\0' ||
		    nsl_score_metric_parse(m->name) != i ||
		    (m->needs & NSL_SCORE_NEEDS_SET ? m->set == NULL ||
		    m->record != NULL || m->losses != NULL :
		    m->needs & NSL_SCORE_LOSSES ? m->losses == NULL ||
		    m->record != NULL || m->set != NULL :
		    m->record == NULL || m->set != NULL || m->losses != NULL))
			good = 0;
	UNIT_CHECK(good && i == NSL_SCORE_NMETRICS &&
	    nsl_score_metric_get(-1) == NULL,
	    "catalogue: %d rows, each named, described, with its function", i);
	memset(&job, 0, sizeof(job));
	UNIT_CHECK(nsl_score_check(&job) != NULL, "check: no metric refused");
	job.metric[job.nmetrics++] = NSL_SCORE_EL2N;
	job.opts.probs = 1;
	UNIT_CHECK(nsl_score_check(&job) == NULL, "check: el2n of probs runs");
	job.metric[job.nmetrics++] = NSL_SCORE_AUM;
	UNIT_CHECK(nsl_score_check(&job) != NULL &&
	    strstr(nsl_score_check(&job), "aum") != NULL,
	    "check: aum of probabilities refused, named");
}

static void
test_class_prototype(void)
{
	/*
	 * 1-d, class 0 = {0, 1, 5} (mean 2, median 1), class 1 = {10}.
	 * Mean: 2 1 3 0.  Median: 1 0 4 0.  Even count {0, 1, 5, 6} -> median
	 * 3 (the middle pair's mean): distances 3 2 2 3.
	 */
	double x[4] = { 0, 1, 5, 10 }, s[4];
	int lab[4] = { 0, 0, 0, 1 }, lab4[4] = { 0, 0, 0, 0 };
	double x4[4] = { 0, 1, 5, 6 };
	struct nsl_err err;

	nsl_score_class_prototype(x, 4, 1, lab, 2, 0, s, &err);
	UNIT_CHECK(s[0] == 2 && s[1] == 1 && s[2] == 3 && s[3] == 0,
	    "distance to the class mean");
	nsl_score_class_prototype(x, 4, 1, lab, 2, 1, s, &err);
	UNIT_CHECK(s[0] == 1 && s[1] == 0 && s[2] == 4 && s[3] == 0,
	    "distance to the class median");
	nsl_score_class_prototype(x4, 4, 1, lab4, 1, 1, s, &err);
	UNIT_CHECK(s[0] == 3 && s[1] == 2 && s[2] == 2 && s[3] == 3,
	    "median of an even count: mean of the middle pair");
	{
		/* 2-d: class {(0,0), (2,0), (0,4)} has mean (2/3, 4/3);
		 * (0,0) is sqrt(4/9 + 16/9) = sqrt(20)/3 from it */
		double y[6] = { 0, 0, 2, 0, 0, 4 }, t[3];
		int l3[3] = { 0, 0, 0 };

		nsl_score_class_prototype(y, 3, 2, l3, 1, 0, t, &err);
		UNIT_CHECK(CLOSE(t[0], sqrt(20) / 3), "2-d class mean distance");
	}
}

/*
 * The neighbour search splits its row blocks over OpenMP threads: one
 * thread and two must give the same neighbours and the same distance
 * bits.  Points on the integer grid {0..3}^5 make many exact ties (and
 * repeated points), where a choice that depended on the split would show
 * in the indices; n spans several row blocks and column chunks.
 */
static void
test_knn_threads(void)
{
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(11, 0);
	size_t n = unit_quick() ? 1300 : 9000, d = 5, k = 7, i;
	double *y = malloc(n * d * sizeof(double));
	double *d1 = malloc(n * k * sizeof(double));
	double *d2 = malloc(n * k * sizeof(double));
	size_t *i1 = malloc(n * k * sizeof(size_t));
	size_t *i2 = malloc(n * k * sizeof(size_t));
	int saved = omp_get_max_threads(), ok1, ok2;

	for (i = 0; i < n * d; i++)
		y[i] = (double)gsl_rng_uniform_int(r, 4);
	omp_set_num_threads(1);
	ok1 = nsl_score_knn_neighbours(y, n, d, k, d1, i1, &err) == 0;
	omp_set_num_threads(2);
	ok2 = nsl_score_knn_neighbours(y, n, d, k, d2, i2, &err) == 0;
	omp_set_num_threads(saved);
	UNIT_CHECK(ok1 && ok2 &&
	    memcmp(d1, d2, n * k * sizeof(double)) == 0 &&
	    memcmp(i1, i2, n * k * sizeof(size_t)) == 0,
	    "knn neighbours: 1 and 2 threads give the same bits (n = %zu)", n);
	for (i = 0; i < n * k; i++)
		if (i1[i] == i / k || (i % k > 0 && d1[i] < d1[i - 1]))
			break;
	UNIT_CHECK(i == n * k, "knn neighbours: never the point itself, "
	    "nearest first");
	gsl_rng_free(r);
	free(y);
	free(d1);
	free(d2);
	free(i1);
	free(i2);
}

/*
 * Float32 rows give the bits of the same rows in double: neighbours,
 * distances and scores, over one and several row and column blocks
 * (KNN_BLOCK 256, KNN_COLS 4096), odd and even d (the widened blocks sit
 * at other alignments than the double rows), 1 and 3 threads.  Blocks
 * are widened a thread at a time above (256 + 4096) threads rows
 * (n = 4500 with one thread; 13100 with three, not in a quick run),
 * the rows widened at once below.
 */
static void
test_knn_f32(void)
{
	static const size_t shape[][3] = {	/* n, d, k */
		{ 5, 1, 1 }, { 40, 3, 4 }, { 257, 8, 3 }, { 700, 17, 10 },
		{ 4500, 3, 5 }, { 13100, 2, 3 }
	};
	static const int threads[] = { 1, 3 };
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(29, 0);
	int saved = omp_get_max_threads();
	size_t s, i, ns = sizeof(shape) / sizeof(shape[0]);
	unsigned t;

	for (s = 0; s < (unit_quick() ? ns - 1 : ns); s++) {
		size_t n = shape[s][0], d = shape[s][1], k = shape[s][2];
		float *xf = malloc(n * d * sizeof(float));
		double *x = malloc(n * d * sizeof(double));
		double *d1 = malloc(n * k * sizeof(double));
		double *d2 = malloc(n * k * sizeof(double));
		double *s1 = malloc(n * sizeof(double));
		double *s2 = malloc(n * sizeof(double));
		size_t *i1 = malloc(n * k * sizeof(size_t));
		size_t *i2 = malloc(n * k * sizeof(size_t));

		/* Gaussian float32s with every 7th row a copy of its
		 * predecessor: ties of distance and distance 0 */
		for (i = 0; i < n * d; i++) {
			xf[i] = i / d % 7 == 6 ? xf[i - d] :
			    (float)(3 * gsl_ran_gaussian(r, 1));
			x[i] = (double)xf[i];
		}
		for (t = 0; t < 2; t++) {
			int ok;

			omp_set_num_threads(threads[t]);
			ok = nsl_score_knn_neighbours(x, n, d, k, d1, i1,
			    &err) == 0 && nsl_score_knn_neighbours_f32(xf, n,
			    d, k, d2, i2, &err) == 0 && nsl_score_knn(x, n, d,
			    k, s1, &err) == 0 && nsl_score_knn_f32(xf, n, d, k,
			    s2, &err) == 0;
			UNIT_CHECK(ok &&
			    memcmp(d1, d2, n * k * sizeof(double)) == 0 &&
			    memcmp(i1, i2, n * k * sizeof(size_t)) == 0 &&
			    memcmp(s1, s2, n * sizeof(double)) == 0,
			    "knn on float32 rows: the double rows' bits "
			    "(n = %zu, d = %zu, k = %zu, %d threads)", n, d, k,
			    threads[t]);
		}
		UNIT_CHECK(nsl_score_knn_f32(xf, n, d, n, s2, &err) == -1 &&
		    err.code == NSL_EX_DATAERR,
		    "knn on float32 rows: k >= n is an error (n = %zu)", n);
		free(xf);
		free(x);
		free(d1);
		free(d2);
		free(s1);
		free(s2);
		free(i1);
		free(i2);
	}
	omp_set_num_threads(saved);
	gsl_rng_free(r);
}

/*
 * The rule nsl_score_knn_query promises, row by row over every reference
 * row, written out plainly: the first bitwise copy of q left out, the k
 * least (distance, row) pairs by a full sort, their roots summed nearest
 * first over their count.
 */
struct qpair {
	double v;
	size_t j;
};

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *p = a, *q = b;

	if (p->v != q->v)
		return p->v < q->v ? -1 : 1;
	return (p->j > q->j) - (p->j < q->j);
}

static double
knn_query_by_sort(const double *q, const double *ref, size_t nref, size_t d,
    size_t k)
{
	struct qpair *p = malloc(nref * sizeof(*p));
	size_t j, n = 0, m;
	int self = 0;
	double s = 0;

	for (j = 0; j < nref; j++) {
		double v = nsl_vec_sqdist(q, ref + j * d, d);

		if (!self && v == 0 && memcmp(q, ref + j * d,
		    d * sizeof(double)) == 0) {
			self = 1;
			continue;
		}
		p[n].v = v;
		p[n++].j = j;
	}
	qsort(p, n, sizeof(*p), qpair_cmp);
	m = n < k ? n : k;
	for (j = 0; j < m; j++)
		s += sqrt(p[j].v);
	free(p);
	return s / (double)m;
}

/*
 * nsl_score_knn_query: the bits of the plain rule (above) over several
 * query and reference blocks (64, 1024), with the queries' copies among
 * the reference rows (once and twice), rows on a small integer grid (a
 * crowd of exact ties at the k-th), zeros of both signs, rows scaled to
 * 1e-160 (squares that underflow) and to 1e300 (norms past the bounds:
 * every row measured), rows far from the origin and close together
 * (1000 plus noise of 1e-5: the products' form loses the distances to
 * cancellation, which the bounds must allow for), k near and past the
 * reference count; float32
 * reference rows give the double rows' bits; 1 and 3 threads.
 */
static void
test_knn_query(void)
{
	static const struct {
		size_t nq, nref, d, k;
		int kind;	/* 0 Gaussian, 1 grid, 2 zeros, 3 tiny, 4 huge,
				   5 far off */
	} cs[] = {
		{ 150, 2500, 3, 5, 0 }, { 70, 1100, 8, 1, 0 },
		{ 65, 3000, 4, 7, 1 }, { 40, 30, 2, 29, 1 },
		{ 20, 200, 3, 3, 2 }, { 64, 1500, 5, 4, 3 },
		{ 30, 500, 6, 3, 4 }, { 9, 5, 2, 8, 0 }, { 50, 1200, 4, 5, 5 }
	};
	static const int threads[] = { 1, 3 };
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(41, 0);
	int saved = omp_get_max_threads();
	size_t c, i, t;

	for (c = 0; c < sizeof(cs) / sizeof(cs[0]); c++) {
		size_t nq = cs[c].nq, nref = cs[c].nref, d = cs[c].d;
		size_t k = cs[c].k;
		double *ref = malloc(nref * d * sizeof(double));
		float *reff = malloc(nref * d * sizeof(float));
		double *q = malloc(nq * d * sizeof(double));
		double *want = malloc(nq * sizeof(double));
		double *got = malloc(nq * sizeof(double));
		double *got32 = malloc(nq * sizeof(double));
		double scale = cs[c].kind == 3 ? 1e-160 : cs[c].kind == 4 ?
		    1e300 : 1;
		unsigned u;

		for (i = 0; i < nref * d; i++) {
			double v = cs[c].kind == 1 ?
			    (double)gsl_rng_uniform_int(r, 3) :
			    cs[c].kind == 2 ? (gsl_rng_uniform_int(r, 2) ?
			    -0.0 : 0.0) : cs[c].kind == 5 ? 1000 +
			    1e-5 * gsl_ran_gaussian(r, 1) :
			    gsl_ran_gaussian(r, 1);

			/* float32 numbers, so the float32 rows are these;
			   far off, doubles (float32 would round the noise) */
			reff[i] = (float)v;
			ref[i] = cs[c].kind == 5 ? v : (double)reff[i] * scale;
		}
		/* every third query a reference row (row 7 twice over), the
		   rest new */
		for (i = 0; i < nq; i++)
			for (t = 0; t < d; t++)
				q[i * d + t] = i % 3 == 0 ? ref[(i * 7 % nref) *
				    d + t] : cs[c].kind == 1 ?
				    (double)gsl_rng_uniform_int(r, 3) :
				    cs[c].kind == 2 ? 0.0 : cs[c].kind == 5 ?
				    1000 + 1e-5 * gsl_ran_gaussian(r, 1) :
				    (double)(float)gsl_ran_gaussian(r, 1) *
				    scale;
		if (nref > 8)
			memcpy(ref + 8 * d, ref + 7 * d, d * sizeof(double));
		for (i = 0; i < nref * d; i++)
			reff[i] = (float)(ref[i] / scale);
		for (i = 0; i < nq; i++)
			want[i] = knn_query_by_sort(q + i * d, ref, nref, d, k);
		for (u = 0; u < 2; u++) {
			omp_set_num_threads(threads[u]);
			UNIT_CHECK(nsl_score_knn_query(q, nq, ref, NULL, nref,
			    d, k, got, &err) == 0 && memcmp(got, want,
			    nq * sizeof(double)) == 0,
			    "knn query: the row-by-row rule's bits (%zu x %zu "
			    "against %zu, k = %zu, kind %d, %d threads)", nq, d,
			    nref, k, cs[c].kind, threads[u]);
		}
		if (scale == 1 && cs[c].kind != 5) {
			UNIT_CHECK(nsl_score_knn_query(q, nq, NULL, reff, nref,
			    d, k, got32, &err) == 0 && memcmp(got32, want,
			    nq * sizeof(double)) == 0,
			    "knn query: float32 reference rows give the double "
			    "rows' bits (%zu x %zu against %zu, k = %zu)", nq,
			    d, nref, k);
		}
		free(ref);
		free(reff);
		free(q);
		free(want);
		free(got);
		free(got32);
	}
	omp_set_num_threads(saved);
	gsl_rng_free(r);
}

/*
 * knn over the ivf index on float32 rows against the same rows in
 * double: the same scores and recall bit for bit, the k-means on every
 * row and on a sample, a few lists and every list (the exact search),
 * copies among the rows, 1 and 3 threads.
 */
static void
test_knn_ivf_f32(void)
{
	static const size_t shape[][5] = {	/* n, d, k, lists, nprobe */
		{ 700, 17, 5, 0, 1 }, { 700, 17, 5, 0, 4 },
		{ 1500, 4, 3, 3, 1 }, { 1500, 4, 3, 3, 3 }, { 300, 2, 1, 7, 2 }
	};
	static const int threads[] = { 1, 3 };
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(31, 0);
	int saved = omp_get_max_threads();
	size_t s, i, ns = sizeof(shape) / sizeof(shape[0]);
	unsigned t;

	for (s = 0; s < ns; s++) {
		size_t n = shape[s][0], d = shape[s][1], k = shape[s][2];
		size_t L = shape[s][3], P = shape[s][4];
		float *xf = malloc(n * d * sizeof(float));
		double *x = malloc(n * d * sizeof(double));
		double *s1 = malloc(n * sizeof(double));
		double *s2 = malloc(n * sizeof(double)), r1, r2;

		/* clusters of float32s, every 7th row a copy */
		for (i = 0; i < n * d; i++) {
			xf[i] = i / d % 7 == 6 ? xf[i - d] : (float)(4.0 *
			    (double)(i / d % 5) + gsl_ran_gaussian(r, 1));
			x[i] = (double)xf[i];
		}
		for (t = 0; t < 2; t++) {
			int ok;

			omp_set_num_threads(threads[t]);
			ok = nsl_score_knn_ivf(x, n, d, k, L, P, 5, 50, s1, &r1,
			    &err) == 0 && nsl_score_knn_ivf_f32(xf, n, d, k, L,
			    P, 5, 50, s2, &r2, &err) == 0;
			UNIT_CHECK(ok && memcmp(s1, s2, n * sizeof(double)) ==
			    0 && memcmp(&r1, &r2, sizeof(r1)) == 0,
			    "knn ivf on float32 rows: the double rows' scores "
			    "and recall (n = %zu, d = %zu, lists %zu, nprobe "
			    "%zu, %d threads)", n, d, L, P, threads[t]);
		}
		free(xf);
		free(x);
		free(s1);
		free(s2);
	}
	omp_set_num_threads(saved);
	gsl_rng_free(r);
}

static void
test_knn(void)
{
	/* 0, 1, 3, 7: k = 1 -> 1 1 2 4; k = 2 -> 2 1.5 2.5 5 */
	double x[4] = { 0, 1, 3, 7 }, s[4];
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(3, 0);
	size_t n = unit_quick() ? 300 : 5000, d = 7, k = 5, i, j, t, bad = 0;
	double *y = malloc(n * d * sizeof(double));
	double *sc = malloc(n * sizeof(double));
	double *dd = malloc(n * sizeof(double));

	UNIT_CHECK(nsl_score_knn(x, 4, 1, 1, s, &err) == 0 && s[0] == 1 &&
	    s[1] == 1 && s[2] == 2 && s[3] == 4, "knn, k = 1, by hand");
	UNIT_CHECK(nsl_score_knn(x, 4, 1, 2, s, &err) == 0 && s[0] == 2 &&
	    s[1] == 1.5 && s[2] == 2.5 && s[3] == 5, "knn, k = 2, by hand");
	UNIT_CHECK(nsl_score_knn(x, 4, 1, 4, s, &err) == -1,
	    "knn with k >= n is an error");
	/* against brute force: sort each row's distances */
	for (i = 0; i < n * d; i++)
		y[i] = gsl_rng_uniform(r);
	nsl_score_knn(y, n, d, k, sc, &err);
	for (i = 0; i < n; i++) {
		double m = 0;
		size_t c = 0;

		for (j = 0; j < n; j++) {
			double s2 = 0, u;

			if (j == i)
				continue;
			for (t = 0; t < d; t++) {
				u = y[i * d + t] - y[j * d + t];
				s2 += u * u;
			}
			dd[c++] = sqrt(s2);
		}
		/* partial selection of the k smallest */
		for (t = 0; t < k; t++) {
			size_t b = t, q;
			double tmp;

			for (q = t + 1; q < c; q++)
				if (dd[q] < dd[b])
					b = q;
			tmp = dd[t];
			dd[t] = dd[b];
			dd[b] = tmp;
			m += dd[t];
		}
		m /= (double)k;
		if (fabs(m - sc[i]) > 1e-12 * m)
			bad++;
	}
	UNIT_CHECK(bad == 0, "knn equals brute force on %zu random points "
	    "(%zu differ)", n, bad);
	free(y);
	free(sc);
	free(dd);
	gsl_rng_free(r);
}

static void
test_prototype(void)
{
	/*
	 * Directions 0 and 45 degrees (lengths 1 and sqrt 2) and two points at
	 * 180 degrees; k = 2.  Normalised, the clusters are {0, 45 deg} with
	 * centroid on the 22.5 degree bisector, and {180 deg} exactly: scores
	 * 1 - cos(pi/8) twice, then 0, 0.
	 */
	double x[8] = { 1, 0, 1, 1, -1, 0, -3, 0 }, s[4];
	size_t cl[4];
	struct nsl_err err;
	double e = 1 - cos(M_PI / 8);

	UNIT_CHECK(nsl_score_prototype(x, 4, 2, 2, 100, 1, s, cl, &err) == 0,
	    "prototype runs");
	UNIT_CHECK(cl[0] == cl[1] && cl[2] == cl[3] && cl[0] != cl[2],
	    "prototype clusters by direction");
	UNIT_CHECK(CLOSE(s[0], e) && CLOSE(s[1], e) && fabs(s[2]) < 1e-15 &&
	    fabs(s[3]) < 1e-15, "prototype = cosine distance to the centroid");
	UNIT_CHECK(nsl_score_prototype(x, 4, 2, 5, 100, 1, s, cl, &err) == -1,
	    "prototype with k > n is an error");
}

int
main(void)
{
	test_logits_metrics();
	test_rows();
	test_dynamics();
	test_errors();
	test_class_prototype();
	test_knn();
	test_knn_threads();
	test_knn_f32();
	test_knn_query();
	test_knn_ivf_f32();
	test_prototype();
	test_catalogue();
	return unit_done();
}
