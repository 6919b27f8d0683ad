/*
 * Unit tests of lib/kmeans.c: small cases worked by hand, the exact
 * nearest-centre rule against brute force, k-means++ properties, thread
 * independence, and scikit-learn's Lloyd k-means on a 20000 x 64 set
 * (reference made by tests/fixtures/score/make-kmeans-ref.py).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <omp.h>

#include "nsl/kmeans.h"
#include "nsl/rng.h"
#include "nsl/vec.h"
#include "unit.h"

#define GAMMA 0x9E3779B97F4A7C15ULL

/* Output number idx (0-based) of splitmix64 from seed s, in [0, 1). */
static double
u01(uint64_t s, uint64_t idx)
{
	uint64_t st = s + idx * GAMMA;

	return (double)(nsl_rng_splitmix64(&st) >> 11) / 9007199254740992.0;
}

/* The set of make-kmeans-ref.py (see its docstring). */
static double *
ref_set(size_t n, size_t d)
{
	enum { NTRUE = 12 };
	double *x = malloc(n * d * sizeof(double));
	double cen[NTRUE * 64];
	size_t i, j;

	for (i = 0; i < NTRUE * d; i++)
		cen[i] = 2 * u01(1, i) - 1;
	for (i = 0; i < n; i++) {
		size_t c = (size_t)floor(NTRUE * u01(2, i));

		for (j = 0; j < d; j++) {
			uint64_t b = 3 * (i * d + j);

			x[i * d + j] = cen[c * d + j] + (u01(3, b) + u01(3, b + 1)
			    + u01(3, b + 2) - 1.5);
		}
	}
	return x;
}

static FILE *
open_fixture(const char *name)
{
	char path[8192], exe[4096];
	const char *tops[] = { "..", "../..", "../../..", "../../../.." };
	ssize_t len;
	FILE *f;
	size_t t;

	snprintf(path, sizeof(path), "tests/fixtures/score/%s", name);
	if ((f = fopen(path, "r")) != NULL)
		return f;
	/* from the binary's place: BUILD/tests/unit/test_kmeans */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
		snprintf(path, sizeof(path), "%s/%s/tests/fixtures/score/%s",
		    exe, tops[t], name);
		if ((f = fopen(path, "r")) != NULL)
			return f;
	}
	return NULL;
}

static void
test_sklearn_reference(void)
{
	FILE *f = open_fixture("kmeans-ref.txt");
	size_t n, d, k, r, i, diff = 0;
	int iters;
	double inertia, *x, *c;
	size_t *assign;
	char *labels;
	struct nsl_kmeans_params p = { 0 };
	struct nsl_kmeans_result res;
	struct nsl_err err;

	UNIT_CHECK(f != NULL, "the sklearn reference fixture is there");
	if (f == NULL)
		return;
	if (fscanf(f, "%zu %zu %zu %d %lf ", &n, &d, &k, &iters, &inertia) != 5) {
		UNIT_CHECK(0, "the sklearn reference fixture parses");
		fclose(f);
		return;
	}
	labels = malloc(n + 2);
	UNIT_CHECK(fgets(labels, (int)n + 2, f) != NULL && strlen(labels) >= n,
	    "the fixture has a label for every row");
	fclose(f);
	x = ref_set(n, d);
	c = malloc(k * d * sizeof(double));
	assign = malloc(n * sizeof(size_t));
	for (r = 0; r < k; r++)
		memcpy(c + r * d, x + ((7919 * r) % n) * d, d * sizeof(double));
	p.k = k;
	p.max_iter = 300;
	p.tol = 1e-4;
	p.init_given = 1;
	res.centroids = c;
	res.assign = assign;
	UNIT_CHECK(nsl_kmeans_fit(x, n, d, &p, &res, &err) == 0,
	    "k-means on the 20000 x 64 set runs");
	for (i = 0; i < n; i++)
		if (assign[i] != (size_t)(labels[i] - '0'))
			diff++;
	UNIT_CHECK(diff == 0, "same assignments as sklearn from the same "
	    "initial centres (%zu of %zu differ)", diff, n);
	UNIT_CHECK(fabs(res.inertia - inertia) <= 1e-9 * inertia,
	    "inertia within 1e-9 relative of sklearn's (%.17g vs %.17g)",
	    res.inertia, inertia);
	UNIT_CHECK(res.iterations == iters,
	    "same number of Lloyd iterations as sklearn (%d vs %d)",
	    res.iterations, iters);
	free(labels);
	free(x);
	free(c);
	free(assign);
}

static void
test_hand(void)
{
	/* {0, 1, 10, 11}, k = 2 from centres 0 and 1: step 1 assigns
	 * {0} {1, 10, 11} -> centres 0, 22/3; step 2 {0, 1} {10, 11} ->
	 * 0.5, 10.5; step 3 same labels.  Inertia 4 * 0.25 = 1. */
	double x[] = { 0, 1, 10, 11 }, c[] = { 0, 1 };
	size_t a[4];
	struct nsl_kmeans_params p = { .k = 2, .max_iter = 300, .tol = 1e-4,
	    .init_given = 1 };
	struct nsl_kmeans_result r = { c, a, 0, 0 };
	struct nsl_err err;

	UNIT_CHECK(nsl_kmeans_fit(x, 4, 1, &p, &r, &err) == 0, "1-d case runs");
	UNIT_CHECK(a[0] == 0 && a[1] == 0 && a[2] == 1 && a[3] == 1,
	    "1-d case: {0, 1} and {10, 11}");
	UNIT_CHECK(c[0] == 0.5 && c[1] == 10.5, "1-d case: centres 0.5, 10.5");
	UNIT_CHECK(r.inertia == 1.0, "1-d case: inertia 1");
	UNIT_CHECK(r.iterations == 3, "1-d case: 3 iterations (as sklearn)");
}

static void
test_empty_cluster(void)
{
	/*
	 * {0, 1, 3, 100} from centres 0, 50, 1000 (sklearn: labels 0 0 1 2,
	 * centres 0.5 3 100, inertia 0.5, 3 iterations).  Step 1: {0, 1, 3}
	 * {100} {}; the empty third cluster takes 100, the farthest from its
	 * centre, leaving the second empty at the data mean 26; centres 4/3,
	 * 26, 100.  Step 2: {0, 1, 3} {} {100}; the second takes 3 (farthest
	 * from 4/3): 0.5, 3, 100.  Step 3: centres unchanged, tol stop.
	 */
	double x[] = { 0, 1, 3, 100 }, c[] = { 0, 50, 1000 };
	size_t a[4];
	struct nsl_kmeans_params p = { .k = 3, .max_iter = 300, .tol = 1e-4,
	    .init_given = 1 };
	struct nsl_kmeans_result r = { c, a, 0, 0 };
	struct nsl_err err;

	UNIT_CHECK(nsl_kmeans_fit(x, 4, 1, &p, &r, &err) == 0,
	    "empty-cluster case runs");
	UNIT_CHECK(a[0] == 0 && a[1] == 0 && a[2] == 1 && a[3] == 2,
	    "empty clusters take the farthest points (labels 0 0 1 2)");
	UNIT_CHECK(c[0] == 0.5 && c[1] == 3 && c[2] == 100,
	    "empty-cluster case: centres 0.5 3 100");
	UNIT_CHECK(r.inertia == 0.5 && r.iterations == 3,
	    "empty-cluster case: inertia 0.5 in 3 iterations");
}

static void
test_errors(void)
{
	double x[] = { 0, 1, 2 }, c[8], bad[] = { 0, NAN, 2 };
	size_t a[3];
	struct nsl_kmeans_params p = { .k = 4, .max_iter = 10 };
	struct nsl_kmeans_result r = { c, a, 0, 0 };
	struct nsl_err err;

	UNIT_CHECK(nsl_kmeans_fit(x, 3, 1, &p, &r, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "larger than") != NULL,
	    "k > n is an error: %s", err.msg);
	p.k = 0;
	UNIT_CHECK(nsl_kmeans_fit(x, 3, 1, &p, &r, &err) == -1,
	    "k = 0 is an error");
	p.k = 2;
	UNIT_CHECK(nsl_kmeans_fit(bad, 3, 1, &p, &r, &err) == -1 &&
	    strstr(err.msg, "row 2") != NULL,
	    "a non-finite value is an error naming its row: %s", err.msg);
	UNIT_CHECK(nsl_kmeans_init_pp(x, 3, 1, 4, 1, c, &err) == -1,
	    "k-means++ refuses k > n");
}

/* Random sets: the assignment equals brute-force exact nearest centres. */
static void
test_assign_bruteforce(void)
{
	gsl_rng *r = nsl_rng_new(7, 0);
	int rep, reps = unit_quick() ? 3 : 20, bad = 0, badsum = 0;

	for (rep = 0; rep < reps; rep++) {
		size_t n = 1 + gsl_rng_uniform_int(r, 5000);
		size_t d = 1 + gsl_rng_uniform_int(r, 40);
		size_t k = 1 + gsl_rng_uniform_int(r, 30);
		double *x = malloc(n * d * sizeof(double));
		double *c = malloc(k * d * sizeof(double));
		double *dist = malloc(n * sizeof(double));
		size_t *a = malloc(n * sizeof(size_t));
		double off = 1000 * gsl_rng_uniform(r), s = 0, tot;
		size_t i, j;

		for (i = 0; i < n * d; i++)
			x[i] = off + gsl_rng_uniform(r);
		/* some centres duplicated, some on data rows: exact ties */
		for (j = 0; j < k; j++)
			memcpy(c + j * d, j % 3 == 2 ? c + (j - 1) * d :
			    x + gsl_rng_uniform_int(r, n) * d, d * sizeof(double));
		tot = nsl_kmeans_assign(x, n, d, c, k, a, dist);
		for (i = 0; i < n; i++) {
			double eb = INFINITY, e;
			size_t jb = 0;

			for (j = 0; j < k; j++) {
				e = nsl_vec_sqdist(x + i * d, c + j * d, d);
				if (e < eb) {
					eb = e;
					jb = j;
				}
			}
			if (a[i] != jb || dist[i] != eb)
				bad++;
			s += eb;
		}
		if (tot != s)
			badsum++;
		free(x);
		free(c);
		free(dist);
		free(a);
	}
	gsl_rng_free(r);
	UNIT_CHECK(bad == 0, "assignment = brute-force exact nearest centre, "
	    "ties to the lowest index, data far from the origin (%d differ)", bad);
	UNIT_CHECK(badsum == 0, "returned total = sum of exact distances");
}

static void
test_pp_and_threads(void)
{
	size_t n = unit_quick() ? 3000 : 9000, d = 16, k = 25, i, j;
	double *x = ref_set(n, d);
	double *c1 = malloc(k * d * sizeof(double));
	double *c2 = malloc(k * d * sizeof(double));
	double *c3 = malloc(k * d * sizeof(double));
	size_t *a1 = malloc(n * sizeof(size_t)), *a2 = malloc(n * sizeof(size_t));
	struct nsl_kmeans_params p = { .k = k, .max_iter = 100, .tol = 1e-4,
	    .seed = 42 };
	struct nsl_kmeans_result r1 = { c1, a1, 0, 0 }, r2 = { c2, a2, 0, 0 };
	struct nsl_err err;
	int rows_ok = 1, distinct = 1, nt = omp_get_max_threads();

	UNIT_CHECK(nsl_kmeans_init_pp(x, n, d, k, 42, c3, &err) == 0,
	    "k-means++ runs");
	for (j = 0; j < k; j++) {
		int found = 0;

		for (i = 0; i < n && !found; i++)
			found = memcmp(c3 + j * d, x + i * d,
			    d * sizeof(double)) == 0;
		rows_ok &= found;
		for (i = 0; i < j; i++)
			if (memcmp(c3 + j * d, c3 + i * d, d * sizeof(double)) == 0)
				distinct = 0;
	}
	UNIT_CHECK(rows_ok, "k-means++ centres are rows of the data");
	UNIT_CHECK(distinct, "k-means++ picks k distinct rows");
	omp_set_num_threads(1);
	UNIT_CHECK(nsl_kmeans_fit(x, n, d, &p, &r1, &err) == 0,
	    "k-means++ then Lloyd, 1 thread");
	omp_set_num_threads(4);
	UNIT_CHECK(nsl_kmeans_fit(x, n, d, &p, &r2, &err) == 0,
	    "k-means++ then Lloyd, 4 threads");
	omp_set_num_threads(nt);
	UNIT_CHECK(memcmp(c1, c2, k * d * sizeof(double)) == 0 &&
	    memcmp(a1, a2, n * sizeof(size_t)) == 0 && r1.inertia == r2.inertia,
	    "same centres, assignments and inertia with 1 and 4 threads");
	p.seed = 43;
	nsl_kmeans_init_pp(x, n, d, k, 43, c2, &err);
	UNIT_CHECK(memcmp(c2, c3, k * d * sizeof(double)) != 0,
	    "another seed gives other k-means++ centres");
	free(x);
	free(c1);
	free(c2);
	free(c3);
	free(a1);
	free(a2);
}

/*
 * Near-ties closer than float32 can tell: centres c0 and c1 = c0 + h e_0
 * with h = 1e-9 (float32's spacing near 1 is 1.2e-7, so their float
 * copies are equal).  A row at c0 + h (3/4) e_0 is nearer c1 by the exact
 * arithmetic ((h/4)^2 against (3h/4)^2), one at c0 + h (1/4) e_0 nearer
 * c0, and one at the midpoint is a tie (lowest index, 0).  Rows of
 * magnitude 1e20 are beyond float32's safe range and must still be
 * assigned exactly (by dgemm); the second, at -1e20, lies 1e5 nearer
 * centre 0 than centre 1.
 */
static void
test_float_near_ties(void)
{
	enum { D = 64, K = 3, N = 3 };
	double c[K * D], x[N * D], big[2 * D], cb[2 * D];
	size_t a[N], ab[2], t;
	const double h = 1.0 / 1024 / 1024 / 1024;	/* 2^-30, exact */

	for (t = 0; t < D; t++) {
		c[t] = 1.0 + (double)t / D;
		c[D + t] = c[t];
		c[2 * D + t] = -c[t];	/* far away */
	}
	c[D] += h;
	memcpy(x, c, D * sizeof(double));
	memcpy(x + D, c, D * sizeof(double));
	memcpy(x + 2 * D, c, D * sizeof(double));
	x[0] += h * 0.75;
	x[D] += h * 0.25;
	x[2 * D] += h * 0.5;
	nsl_kmeans_assign(x, N, D, c, K, a, NULL);
	UNIT_CHECK(a[0] == 1, "row at 3/4 of a 2^-30 gap goes to the nearer centre "
	    "1 (got %zu)", a[0]);
	UNIT_CHECK(a[1] == 0, "row at 1/4 of the gap goes to centre 0 (got %zu)",
	    a[1]);
	UNIT_CHECK(a[2] == 0, "row at the midpoint (a tie) goes to the lower "
	    "index 0 (got %zu)", a[2]);
	for (t = 0; t < D; t++) {
		cb[t] = 1e20;
		cb[D + t] = 1e20 + 1e5 * (t == 0);
		big[t] = 1e20;
		big[D + t] = -1e20;	/* nearer centre 0 by 1e5 */
	}
	big[0] = 1e20 + 1e5 * 0.75;
	nsl_kmeans_assign(big, 2, D, cb, 2, ab, NULL);
	UNIT_CHECK(ab[0] == 1 && ab[1] == 0, "rows of magnitude 1e20 (beyond "
	    "float32's safe range) assigned exactly (got %zu %zu)", ab[0], ab[1]);
}

/*
 * Greedy k-means++ written straight from its definition (scikit-learn's
 * _kmeans_plusplus on the same random stream), every distance an exact
 * double loop: the rows it picks, in order, into pick[k].
 */
static void
pp_reference(const double *x, size_t n, size_t d, size_t k, uint64_t seed,
    size_t *pick)
{
	size_t ntrial = 2 + (size_t)log((double)k), c, t, i, j, lo, best;
	double *closest = malloc(n * sizeof(double));
	double *cand = malloc(ntrial * n * sizeof(double));
	double *pot = malloc(ntrial * sizeof(double));
	size_t *cid = malloc(ntrial * sizeof(size_t));
	gsl_rng *r = nsl_rng_new(seed, 0);
	double current = 0, s, e, u;

	cid[0] = gsl_rng_uniform_int(r, n);
	for (i = 0; i < n; i++)
		closest[i] = INFINITY;
	for (c = 0; c < k; c++) {
		size_t m = c == 0 ? 1 : ntrial;

		for (t = 0; c > 0 && t < m; t++) {
			u = gsl_rng_uniform(r) * current;
			/* first index whose running sum reaches u */
			for (s = 0, lo = 0; lo < n; lo++) {
				s += closest[lo];
				if (s >= u)
					break;
			}
			cid[t] = lo < n ? lo : n - 1;
		}
		for (t = 0; t < m; t++)
			for (i = 0; i < n; i++) {
				for (e = 0, j = 0; j < d; j++) {
					double q = x[i * d + j] - x[cid[t] * d + j];

					e += q * q;
				}
				cand[t * n + i] = e < closest[i] ? e : closest[i];
			}
		for (best = 0, t = 0; t < m; t++) {
			for (s = 0, i = 0; i < n; i++)
				s += cand[t * n + i];
			pot[t] = s;
			if (s < pot[best])
				best = t;
		}
		current = pot[best];
		memcpy(closest, cand + best * n, n * sizeof(double));
		pick[c] = cid[best];
	}
	gsl_rng_free(r);
	free(closest);
	free(cand);
	free(pot);
	free(cid);
}

/*
 * The seeding multiplies in float32 (or in double beyond float32's
 * range) but must pick exactly the rows of exact arithmetic: compared
 * with pp_reference on the test set as it is, shifted far from the
 * origin (1e6: the centred products), scaled down (1e-3), scaled beyond
 * float32's safe range (1e15: dgemm), with duplicate rows (distance 0),
 * and at one and at several threads.
 */
static void
test_pp_exact(void)
{
	size_t n = 1500, d = 24, k = 30, i, j, c;
	double *x0 = ref_set(n, d), *x = malloc(n * d * sizeof(double));
	double *cen = malloc(k * d * sizeof(double));
	size_t pick[30];
	const double scale[] = { 1, 1, 1e-3, 1e15 }, shift[] = { 0, 1e6, 0, 0 };
	int v, nt = omp_get_max_threads();
	struct nsl_err err;

	for (i = 0; i + 1 < n; i += 50)	/* exact duplicates */
		memcpy(x0 + (i + 1) * d, x0 + i * d, d * sizeof(double));
	for (v = 0; v < 4; v++) {
		int bad = 0, threads;

		for (i = 0; i < n * d; i++)
			x[i] = shift[v] + scale[v] * x0[i];
		pp_reference(x, n, d, k, 7 + v, pick);
		for (threads = 1; threads <= 3; threads += 2) {
			omp_set_num_threads(threads);
			if (nsl_kmeans_init_pp(x, n, d, k, 7 + v, cen, &err) != 0)
				bad = 1;
			for (c = 0; c < k && !bad; c++)
				for (j = 0; j < d; j++)
					if (cen[c * d + j] != x[pick[c] * d + j])
						bad = 1;
		}
		omp_set_num_threads(nt);
		UNIT_CHECK(!bad, "k-means++ picks the rows exact arithmetic picks "
		    "(scale %g, shift %g, 1 and 3 threads)", scale[v], shift[v]);
	}
	free(x0);
	free(x);
	free(cen);
}

/*
 * The seeding makes exact only the candidates that may have the least
 * potential; the others are ruled out by bounds on their sums.  Where
 * the bounds cannot separate them (candidates that are the same point,
 * so equal potentials; every potential zero once each distinct point is
 * a centre) the first of the least must still win, as pp_reference's
 * exact comparison finds.  40 points, each repeated 30 times, in widths
 * below, at and past one float32 lane block (5, 8, 13); k = 30 (5
 * candidates a step: one sweep of the products) and k = 404 (8: a sweep
 * of six and one of two, and 364 steps after the potential reached 0).
 */
static void
test_pp_ties(void)
{
	size_t n = 1200, dims[] = { 5, 8, 13 }, ks[] = { 30, 404 };
	size_t *pick = malloc(404 * sizeof(size_t)), i, j, c, a, b;
	int nt = omp_get_max_threads();
	struct nsl_err err;

	for (a = 0; a < 3; a++)
		for (b = 0; b < 2; b++) {
			size_t d = dims[a], k = ks[b];
			double *x0 = ref_set(40, d);
			double *x = malloc(n * d * sizeof(double));
			double *cen = malloc(k * d * sizeof(double));
			int bad = 0, threads;

			for (i = 0; i < n; i++)	/* point i % 40, spread out */
				memcpy(x + i * d, x0 + (i % 40) * d,
				    d * sizeof(double));
			pp_reference(x, n, d, k, 11, pick);
			for (threads = 1; threads <= 3; threads += 2) {
				omp_set_num_threads(threads);
				if (nsl_kmeans_init_pp(x, n, d, k, 11, cen,
				    &err) != 0)
					bad = 1;
				for (c = 0; c < k && !bad; c++)
					for (j = 0; j < d; j++)
						if (cen[c * d + j] !=
						    x[pick[c] * d + j])
							bad = 1;
			}
			omp_set_num_threads(nt);
			UNIT_CHECK(!bad, "k-means++ among repeated points picks "
			    "the rows exact arithmetic picks, ties to the first "
			    "(d = %zu, k = %zu, 1 and 3 threads)", d, k);
			free(x0);
			free(x);
			free(cen);
		}
	free(pick);
}

/*
 * Float32 rows give the very results of the double call on the same
 * numbers: every centre, assignment, distance, the inertia and the step
 * count bit-equal.  The rows are float-exact ((double)(float)v == v);
 * the cases: near the origin (the float rows used as they are), shifted
 * far from it (centred copies), scaled beyond float32's safe products
 * (dgemm on converted chunks), divided by their norms against
 * nsl_vec_normalize_rows() on the doubles, and a given start with a
 * centre far from every row (the empty-cluster relocation reads rows);
 * shapes of one and of several chunks, d not a multiple of 8, at one
 * and at three threads.
 */
static void
test_f32_identical(void)
{
	const size_t shape[][3] = { { 700, 5, 7 }, { 1300, 33, 20 },
	    { 2100, 130, 12 } };
	const double scale[] = { 1, 1, 1e15, 1, 1, 1 };
	const double shift[] = { 0, 1e3, 0, 0, 0, 0 };
	const char *what[] = { "as they are", "shifted (centred)",
	    "beyond float32's safe range (dgemm)", "divided by their norms",
	    "given start, an empty cluster", "of norms 2^-140 to 2^40 "
	    "(float32 subnormals) divided by their norms" };
	int nt = omp_get_max_threads();
	size_t s, v;

	for (s = 0; s < sizeof(shape) / sizeof(shape[0]); s++) {
		size_t n = shape[s][0], d = shape[s][1], k = shape[s][2], i;
		double *x0 = ref_set(n, d > 64 ? 64 : d);
		double *x = malloc(n * d * sizeof(double));
		float *xf = malloc(n * d * sizeof(float));
		double *div = malloc(n * sizeof(double));
		double *buf = malloc(d * sizeof(double));
		double *c1 = malloc(k * d * sizeof(double));
		double *c2 = malloc(k * d * sizeof(double));
		double *d1 = malloc(n * sizeof(double));
		double *d2 = malloc(n * sizeof(double));
		size_t *a1 = malloc(n * sizeof(size_t));
		size_t *a2 = malloc(n * sizeof(size_t));

		for (v = 0; v < 6; v++) {
			struct nsl_kmeans_params p = { .k = k, .max_iter = 50,
			    .tol = 1e-4, .seed = 11 + v };
			struct nsl_kmeans_result r1 = { c1, a1, 0, 0 };
			struct nsl_kmeans_result r2 = { c2, a2, 0, 0 };
			struct nsl_err err;
			int threads, bad = 0, runs = 1;
			double t1, t2;

			for (i = 0; i < n * d; i++) {
				/* the columns past 64 repeat the first ones */
				size_t dd = d > 64 ? 64 : d;
				double u = x0[(i / d) * dd + (i % d) % dd];

				xf[i] = (float)(shift[v] + scale[v] * u);
				/* a row's scale 2^e, e from -140 to 40 */
				if (v == 5)
					xf[i] = (float)ldexp(u, -140 +
					    (int)((i / d) * 181 / n));
				x[i] = (double)xf[i];
			}
			if (v == 3 || v == 5) {
				nsl_kmeans_unit_divisors(xf, n, d, div, buf);
				nsl_vec_normalize_rows(x, n, d);
			}
			for (threads = 1; threads <= 3; threads += 2) {
				omp_set_num_threads(threads);
				if (v == 4) {
					p.init_given = 1;
					for (i = 0; i < k * d; i++)
						c1[i] = c2[i] = i < d ? 1e4 :
						    x[i];
				}
				runs &= nsl_kmeans_fit(x, n, d, &p, &r1,
				    &err) == 0;
				runs &= nsl_kmeans_fit_f32(xf, v == 3 || v == 5 ?
				    div : NULL, n, d, &p, &r2, &err) == 0;
				bad |= memcmp(c1, c2, k * d * sizeof(double)) !=
				    0 || memcmp(a1, a2, n * sizeof(size_t)) != 0 ||
				    r1.iterations != r2.iterations ||
				    memcmp(&r1.inertia, &r2.inertia,
				    sizeof(double)) != 0;
				t1 = nsl_kmeans_assign(x, n, d, c1, k, a1, d1);
				t2 = nsl_kmeans_assign_f32(xf, v == 3 || v == 5 ?
				    div : NULL, n, d, c1, k, a2, d2);
				bad |= memcmp(a1, a2, n * sizeof(size_t)) != 0 ||
				    memcmp(d1, d2, n * sizeof(double)) != 0 ||
				    memcmp(&t1, &t2, sizeof(double)) != 0;
			}
			omp_set_num_threads(nt);
			UNIT_CHECK(runs && !bad, "float32 rows %s: fit and "
			    "assign bit-equal to the double call (%zu x %zu, "
			    "k %zu, 1 and 3 threads)", what[v], n, d, k);
		}
		free(x0);
		free(x);
		free(xf);
		free(div);
		free(buf);
		free(c1);
		free(c2);
		free(d1);
		free(d2);
		free(a1);
		free(a2);
	}
}

int
main(void)
{
	test_hand();
	test_empty_cluster();
	test_errors();
	test_assign_bruteforce();
	test_float_near_ties();
	test_pp_and_threads();
	test_pp_exact();
	test_pp_ties();
	test_f32_identical();
	test_sklearn_reference();
	return unit_done();
}
