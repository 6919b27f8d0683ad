/*
 * Unit tests of lib/ivf.c: the index's lists against the nearest-centroid
 * rule, the search against a brute-force search written here (all rows
 * when every list is probed; the rows of the nprobe nearest lists
 * otherwise), the self and copy rules, thread independence, the recall,
 * and the parameter checks.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "nsl/ivf.h"
#include "nsl/rng.h"
#include "nsl/vec.h"
#include "unit.h"

/* splitmix64 output idx of seed s, in [0, 1). */
static double
u01(uint64_t s, uint64_t idx)
{
	uint64_t st = s + idx * 0x9E3779B97F4A7C15ULL;

	return (double)(nsl_rng_splitmix64(&st) >> 11) / 9007199254740992.0;
}

/* n x d points around 6 centres, some rows repeated (copies). */
static double *
clustered(size_t n, size_t d, uint64_t seed)
{
	double *x = malloc(n * d * sizeof(double));
	size_t i, j;

	for (i = 0; i < n; i++) {
		size_t c = (size_t)(6 * u01(seed, i));

		for (j = 0; j < d; j++)
			x[i * d + j] = 4.0 * (double)((c + j) % 3) +
			    u01(seed + 1, i * d + j) - 0.5;
		if (i % 50 == 7)	/* a copy of the row before */
			memcpy(x + i * d, x + (i - 1) * d, d * sizeof(double));
	}
	return x;
}

/* Does list l of v hold row r? */
static int
in_lists(const size_t *list, size_t r, const size_t *ls, size_t nl)
{
	size_t c;

	for (c = 0; c < nl; c++)
		if (list[r] == ls[c])
			return 1;
	return 0;
}

/*
 * Brute force: the k nearest rows to row q among the rows whose list is
 * one of ls[0 .. nl) (all rows when ls is NULL), row q itself left out,
 * by exact squared distance, ties to the lower row.
 */
static void
brute(const double *x, size_t n, size_t d, size_t q, size_t k,
    const size_t *list, const size_t *ls, size_t nl, double *bd, size_t *bi)
{
	size_t i, t, c = 0;

	for (i = 0; i < n; i++) {
		double e;

		if (i == q || (ls != NULL && !in_lists(list, i, ls, nl)))
			continue;
		e = nsl_vec_sqdist(x + q * d, x + i * d, d);
		/* rows come in increasing order: a tie stays behind */
		if (c == k && !(e < bd[k - 1]))
			continue;
		t = c < k ? c++ : k - 1;
		while (t > 0 && e < bd[t - 1]) {
			bd[t] = bd[t - 1];
			bi[t] = bi[t - 1];
			t--;
		}
		bd[t] = e;
		bi[t] = i;
	}
	for (t = 0; t < c; t++)
		bd[t] = sqrt(bd[t]);
}

/* The nprobe lists nearest to row q by exact distance, ties to the lower. */
static size_t
nearest_lists(const struct nsl_ivf *v, const double *xq, size_t nprobe,
    size_t *ls)
{
	size_t l, c = 0, t;
	double *e = malloc(v->lists * sizeof(double));

	for (l = 0; l < v->lists; l++)
		e[l] = nsl_vec_sqdist(xq, v->centroids + l * v->d, v->d);
	for (l = 0; l < v->lists; l++) {
		if (c == nprobe && !(e[l] < e[ls[nprobe - 1]]))
			continue;
		t = c < nprobe ? c++ : nprobe - 1;
		while (t > 0 && e[l] < e[ls[t - 1]]) {
			ls[t] = ls[t - 1];
			t--;
		}
		ls[t] = l;
	}
	free(e);
	return c;
}

static void
test_lists(void)
{
	size_t n = 3000, d = 4, L = 5, i, l, bad = 0, *list;
	double *x = clustered(n, d, 11);
	struct nsl_ivf v;
	struct nsl_err err;

	/* n > 256 L: the k-means runs on a sample, every row is placed */
	UNIT_CHECK(nsl_ivf_build(&v, x, n, d, L, 3, &err) == 0,
	    "build on a sample of 256 rows a list");
	list = malloc(n * sizeof(size_t));
	nsl_ivf_lists(&v, list);
	for (i = 0; i < n; i++) {
		double e = nsl_vec_sqdist(x + i * d, v.centroids + list[i] * d,
		    d);

		for (l = 0; l < L; l++) {
			double f = nsl_vec_sqdist(x + i * d, v.centroids +
			    l * d, d);

			if (f < e || (f == e && l < list[i]))
				bad++;
		}
	}
	UNIT_CHECK(bad == 0, "every row is in its nearest centroid's list "
	    "(%zu misplaced)", bad);
	UNIT_CHECK(v.start[L] == n, "the lists hold every row once");
	for (bad = 0, l = 0; l < L; l++)
		for (i = v.start[l] + 1; i < v.start[l + 1]; i++)
			if (v.row[i] <= v.row[i - 1])
				bad++;
	UNIT_CHECK(bad == 0, "rows rise within a list");
	free(list);
	nsl_ivf_release(&v);
	free(x);
}

static void
test_search(void)
{
	size_t n = 700, d = 5, k = 6, L = 12, i, t, np;
	size_t bad_full = 0, bad_probe = 0, bad_copy = 0, bad_ext = 0;
	double *x = clustered(n, d, 5), bd[64], *dist, *dist2;
	size_t bi[64], ls[64], *idx, *idx2, *list;
	struct nsl_ivf v;
	struct nsl_err err;

	/* room for k = 20 (the extended probes below) */
	dist = malloc(n * 20 * sizeof(double));
	dist2 = malloc(n * 20 * sizeof(double));
	idx = malloc(n * 20 * sizeof(size_t));
	idx2 = malloc(n * 20 * sizeof(size_t));
	list = malloc(n * sizeof(size_t));
	UNIT_CHECK(nsl_ivf_build(&v, x, n, d, L, 9, &err) == 0, "build");
	nsl_ivf_lists(&v, list);

	/* every list probed: the brute-force neighbours, bit for bit */
	nsl_ivf_search(&v, NULL, 0, L, k, NSL_IVF_SELF, dist, idx, &err);
	for (i = 0; i < n; i++) {
		brute(x, n, d, i, k, list, NULL, 0, bd, bi);
		for (t = 0; t < k; t++)
			if (idx[i * k + t] != bi[t] || dist[i * k + t] != bd[t])
				bad_full++;
	}
	UNIT_CHECK(bad_full == 0, "nprobe = lists: every row's k neighbours "
	    "and distances are brute force's (%zu differ)", bad_full);
	UNIT_CHECK(nsl_ivf_recall(x, n, d, k, idx, (size_t[]){ 0, 7, 57,
	    300, 699 }, 5) == 1, "nprobe = lists: recall 1");

	/* nprobe 2: brute force over the rows of the 2 nearest lists */
	for (np = 1; np <= 3; np += 2) {
		nsl_ivf_search(&v, NULL, 0, np, k, NSL_IVF_SELF, dist, idx,
		    &err);
		for (i = 0; i < n; i++) {
			size_t nl = nearest_lists(&v, x + i * d, np, ls), c,
			    rows = 0;

			for (c = 0; c < nl; c++)
				rows += v.start[ls[c] + 1] - v.start[ls[c]];
			if (rows < k + 1)
				continue;	/* extended: checked below */
			brute(x, n, d, i, k, list, ls, nl, bd, bi);
			for (t = 0; t < k; t++)
				if (idx[i * k + t] != bi[t] ||
				    dist[i * k + t] != bd[t])
					bad_probe++;
		}
		UNIT_CHECK(bad_probe == 0, "nprobe %zu: the brute-force "
		    "neighbours among the rows of the %zu nearest lists (%zu "
		    "differ)", np, np, bad_probe);
	}

	/* the queries given as rows, leaving out their first copy: the
	 * self search's distances (a copy is a neighbour at 0 either way) */
	nsl_ivf_search(&v, NULL, 0, 3, k, NSL_IVF_SELF, dist, idx, &err);
	nsl_ivf_search(&v, x, n, 3, k, NSL_IVF_SKIP_COPY, dist2, idx2, &err);
	bad_copy = memcmp(dist, dist2, n * k * sizeof(double)) != 0;
	UNIT_CHECK(!bad_copy, "SKIP_COPY over the reference rows gives the "
	    "SELF distances");
	UNIT_CHECK(dist[7 * k] == 0 && idx[7 * k] == 6 && dist2[6 * k] == 0 &&
	    idx2[6 * k] == 7, "a copy is its twin's neighbour at 0");

	/* threads: 1 and 2 give the same bytes */
	omp_set_num_threads(1);
	nsl_ivf_search(&v, NULL, 0, 2, k, NSL_IVF_SELF, dist, idx, &err);
	omp_set_num_threads(2);
	nsl_ivf_search(&v, NULL, 0, 2, k, NSL_IVF_SELF, dist2, idx2, &err);
	UNIT_CHECK(memcmp(dist, dist2, n * k * sizeof(double)) == 0 &&
	    memcmp(idx, idx2, n * k * sizeof(size_t)) == 0,
	    "1 and 2 threads: the same neighbours, the same bits");
	nsl_ivf_release(&v);

	/* lists smaller than k: more lists are probed until k are found */
	UNIT_CHECK(nsl_ivf_build(&v, x, n, d, 140, 1, &err) == 0,
	    "build 140 lists of about 5 rows");
	nsl_ivf_search(&v, NULL, 0, 1, 20, NSL_IVF_SELF, dist, idx, &err);
	for (i = 0; i < n; i++)
		for (t = 0; t < 20; t++)
			if (idx[i * 20 + t] >= n || idx[i * 20 + t] == i ||
			    (t > 0 && dist[i * 20 + t] < dist[i * 20 + t - 1]))
				bad_ext++;
	UNIT_CHECK(bad_ext == 0, "nprobe 1, k 20 over lists of ~5 rows: 20 "
	    "other rows, nearest first");
	nsl_ivf_release(&v);

	free(dist);
	free(dist2);
	free(idx);
	free(idx2);
	free(list);
	free(x);
}

static void
test_load(void)
{
	size_t n = 400, d = 3, k = 4, L = 7, *list, *i1, *i2;
	double *x = clustered(n, d, 21), *d1, *d2;
	struct nsl_ivf v, w;
	struct nsl_err err;

	list = malloc(n * sizeof(size_t));
	i1 = malloc(n * k * sizeof(size_t));
	i2 = malloc(n * k * sizeof(size_t));
	d1 = malloc(n * k * sizeof(double));
	d2 = malloc(n * k * sizeof(double));
	nsl_ivf_build(&v, x, n, d, L, 4, &err);
	nsl_ivf_lists(&v, list);
	UNIT_CHECK(nsl_ivf_load(&w, x, n, d, v.centroids, L, list, &err) == 0,
	    "load from the centroids and lists");
	nsl_ivf_search(&v, NULL, 0, 2, k, NSL_IVF_SELF, d1, i1, &err);
	nsl_ivf_search(&w, NULL, 0, 2, k, NSL_IVF_SELF, d2, i2, &err);
	UNIT_CHECK(memcmp(d1, d2, n * k * sizeof(double)) == 0 &&
	    memcmp(i1, i2, n * k * sizeof(size_t)) == 0,
	    "a loaded index searches as the built one");
	nsl_ivf_release(&w);
	list[5] = L;
	UNIT_CHECK(nsl_ivf_load(&w, x, n, d, v.centroids, L, list, &err) < 0 &&
	    err.code == 65, "load: a list out of range is bad data");
	nsl_ivf_release(&v);
	free(list);
	free(i1);
	free(i2);
	free(d1);
	free(d2);
	free(x);
}

static void
test_check(void)
{
	const char *m;

	UNIT_CHECK(nsl_ivf_check(100, 10, 3, 5) == NULL, "check: fine");
	m = nsl_ivf_check(10, 11, 1, 2);
	UNIT_CHECK(m != NULL && strstr(m, "--lists 11") != NULL,
	    "check: more lists than rows named");
	m = nsl_ivf_check(10, 2, 0, 2);
	UNIT_CHECK(m != NULL && strstr(m, "--nprobe") != NULL,
	    "check: nprobe 0 named");
	m = nsl_ivf_check(10, 0, 1, 2);
	UNIT_CHECK(m != NULL && strstr(m, "--lists") != NULL,
	    "check: lists 0 named");
	UNIT_CHECK(nsl_ivf_check(10, 2, 1, 10) != NULL, "check: k >= n");
}

/*
 * The _in calls give the rows to the index (held once): the same lists,
 * the same list-ordered rows bit for bit, the same neighbours as the
 * copying calls, and nsl_ivf_positions finds every input row; the lists
 * are stable in row number so the permutation has long cycles and fixed
 * points both.
 */
static void
test_in_place(void)
{
	size_t n = 700, d = 5, L = 9, m = 40, k = 6, r, *pos, *list;
	size_t *ia, *ib;
	double *x = clustered(n, d, 21), *own, *da, *db;
	struct nsl_ivf a, b, c;
	struct nsl_err err;
	int same = 1;

	own = malloc(n * d * sizeof(double));
	memcpy(own, x, n * d * sizeof(double));
	pos = malloc(n * sizeof(size_t));
	list = malloc(n * sizeof(size_t));
	da = malloc(m * k * sizeof(double));
	db = malloc(m * k * sizeof(double));
	ia = malloc(m * k * sizeof(size_t));
	ib = malloc(m * k * sizeof(size_t));
	UNIT_CHECK(nsl_ivf_build(&a, x, n, d, L, 4, &err) == 0 &&
	    nsl_ivf_build_in(&b, own, n, d, L, 4, &err) == 0,
	    "build_in: built");
	UNIT_CHECK(b.x == own, "build_in: the index holds the given rows");
	UNIT_CHECK(memcmp(a.x, b.x, n * d * sizeof(double)) == 0 &&
	    memcmp(a.row, b.row, n * sizeof(size_t)) == 0 &&
	    memcmp(a.start, b.start, (L + 1) * sizeof(size_t)) == 0 &&
	    memcmp(a.sq, b.sq, n * sizeof(double)) == 0,
	    "build_in: the copy's lists, rows and norms, bit for bit");
	nsl_ivf_positions(&b, pos);
	for (r = 0; r < n; r++)
		if (memcmp(b.x + pos[r] * d, x + r * d, d * sizeof(double)))
			same = 0;
	UNIT_CHECK(same, "positions: row r of the input at pos[r]");
	UNIT_CHECK(nsl_ivf_search(&a, x, m, 3, k, NSL_IVF_SKIP_COPY, da, ia,
	    &err) == 0 && nsl_ivf_search(&b, x, m, 3, k, NSL_IVF_SKIP_COPY,
	    db, ib, &err) == 0 && memcmp(da, db, m * k * sizeof(double)) == 0 &&
	    memcmp(ia, ib, m * k * sizeof(size_t)) == 0,
	    "build_in: the same neighbours and distances");
	/* load_in from the lists and centroids, as a saved model does */
	nsl_ivf_lists(&a, list);
	own = malloc(n * d * sizeof(double));
	memcpy(own, x, n * d * sizeof(double));
	UNIT_CHECK(nsl_ivf_load_in(&c, own, n, d, a.centroids, L, list,
	    &err) == 0 && c.x == own && memcmp(a.x, c.x, n * d *
	    sizeof(double)) == 0 && memcmp(a.row, c.row, n *
	    sizeof(size_t)) == 0, "load_in: the built index, rows held once");
	nsl_ivf_release(&c);
	/* a bad list leaves the rows the caller's, unchanged */
	own = malloc(n * d * sizeof(double));
	memcpy(own, x, n * d * sizeof(double));
	list[3] = L;
	UNIT_CHECK(nsl_ivf_load_in(&c, own, n, d, a.centroids, L, list,
	    &err) < 0 && err.code == NSL_EX_DATAERR &&
	    memcmp(own, x, n * d * sizeof(double)) == 0,
	    "load_in: refused, the rows untouched");
	free(own);
	nsl_ivf_release(&a);
	nsl_ivf_release(&b);
	free(x);
	free(pos);
	free(list);
	free(da);
	free(db);
	free(ia);
	free(ib);
}

/*
 * float32 rows: n x d numbers, each exactly a float32, as clustered()
 * (spread 1) or, grid, small whole numbers (many equal rows and equal
 * distances: the tie rules at work).
 */
static float *
f32_rows(size_t n, size_t d, uint64_t seed, int grid)
{
	float *xf = malloc(n * d * sizeof(float));
	double *x = clustered(n, d, seed);
	size_t i;

	for (i = 0; i < n * d; i++)
		xf[i] = grid ? (float)((size_t)(5 * u01(seed + 2, i))) :
		    (float)x[i];
	free(x);
	return xf;
}

/*
 * The _f32 calls against the double calls on the widened rows: the same
 * centroids, lists and norms, and the same neighbours and distances bit
 * for bit (self, copies left out, plain queries; 1 and 3 threads), the
 * same recall, and a loaded float32 index as the built one; the rows
 * read in place, not copied.  Shapes: the k-means on all rows and on a
 * sample, one list longer than a product's 4096 columns, a grid of
 * ties.
 */
static void
test_f32(void)
{
	static const struct {
		size_t n, d, lists, k;
		int grid;
	} sh[] = {
		{ 700, 5, 9, 6, 0 },	/* k-means on every row */
		{ 3000, 17, 5, 4, 0 },	/* on a sample of 256 a list */
		{ 4200, 2, 1, 2, 0 },	/* a list of more than 4096 rows */
		{ 500, 2, 6, 5, 1 },	/* whole numbers: copies, ties */
		{ 600, 3, 2, 1, 1 },
	};
	static const size_t probe[] = { 1, 3 };
	size_t c, i, m = 37, *list;
	struct nsl_err err;
	int saved = omp_get_max_threads();

	for (c = 0; c < sizeof(sh) / sizeof(sh[0]); c++) {
		size_t n = sh[c].n, d = sh[c].d, L = sh[c].lists, k = sh[c].k;
		float *xf = f32_rows(n, d, 40 + c, sh[c].grid);
		double *x = malloc(n * d * sizeof(double)), *q, *d1, *d2;
		size_t *i1 = malloc(n * k * sizeof(size_t));
		size_t *i2 = malloc(n * k * sizeof(size_t)), pi, smp[20];
		struct nsl_ivf a, b, e;
		int th, ok, same = 1;

		d1 = malloc(n * k * sizeof(double));
		d2 = malloc(n * k * sizeof(double));
		q = malloc(m * d * sizeof(double));
		list = malloc(n * sizeof(size_t));
		for (i = 0; i < n * d; i++)
			x[i] = (double)xf[i];
		/* queries: rows (their copies left out) and halfway points */
		for (i = 0; i < m * d; i++)
			q[i] = i / d % 2 ? x[(i / d * 7 % n) * d + i % d] :
			    0.5 * (x[i] + x[(n - 1) * d - i]);
		ok = nsl_ivf_build(&a, x, n, d, L, 9, &err) == 0 &&
		    nsl_ivf_build_f32(&b, xf, n, d, L, 9, &err) == 0;
		UNIT_CHECK(ok && b.x == NULL && b.xf == xf,
		    "f32 (n %zu, d %zu): built, the rows read in place", n, d);
		UNIT_CHECK(ok && memcmp(a.centroids, b.centroids, L * d *
		    sizeof(double)) == 0 && memcmp(a.start, b.start, (L + 1) *
		    sizeof(size_t)) == 0 && memcmp(a.row, b.row, n *
		    sizeof(size_t)) == 0 && memcmp(a.sq, b.sq, n *
		    sizeof(double)) == 0, "f32 (n %zu, d %zu, %zu lists): the "
		    "double index's centroids, lists and norms, bit for bit",
		    n, d, L);
		for (th = 1; th <= 3; th += 2) {
			omp_set_num_threads(th);
			for (pi = 0; pi < 2; pi++) {
				size_t P = probe[pi];
				unsigned f;

				same = nsl_ivf_search(&a, NULL, 0, P, k,
				    NSL_IVF_SELF, d1, i1, &err) == 0 &&
				    nsl_ivf_search(&b, NULL, 0, P, k,
				    NSL_IVF_SELF, d2, i2, &err) == 0 &&
				    memcmp(d1, d2, n * k * sizeof(double)) == 0 &&
				    memcmp(i1, i2, n * k * sizeof(size_t)) == 0;
				for (f = 0; f <= NSL_IVF_SKIP_COPY; f +=
				    NSL_IVF_SKIP_COPY)
					same = same && nsl_ivf_search(&a, q, m,
					    P, k, f, d1, i1, &err) == 0 &&
					    nsl_ivf_search(&b, q, m, P, k, f,
					    d2, i2, &err) == 0 && memcmp(d1, d2,
					    m * k * sizeof(double)) == 0 &&
					    memcmp(i1, i2, m * k *
					    sizeof(size_t)) == 0;
				UNIT_CHECK(same, "f32 (n %zu, d %zu, %zu "
				    "lists, nprobe %zu, %d threads): the double "
				    "index's neighbours and distances, bit for "
				    "bit", n, d, L, P, th);
			}
		}
		omp_set_num_threads(saved);
		/* the recall of a self search (nprobe 1) */
		nsl_ivf_search(&b, NULL, 0, 1, k, NSL_IVF_SELF, d2, i2, &err);
		for (i = 0; i < 20; i++)
			smp[i] = i * (n / 20);
		UNIT_CHECK(nsl_ivf_recall(x, n, d, k, i2, smp, 20) ==
		    nsl_ivf_recall_f32(xf, n, d, k, i2, smp, 20),
		    "f32 (n %zu, d %zu): the same recall", n, d);
		nsl_ivf_lists(&a, list);
		ok = nsl_ivf_load_f32(&e, xf, n, d, a.centroids, L, list,
		    &err) == 0 && memcmp(a.row, e.row, n *
		    sizeof(size_t)) == 0 && memcmp(a.sq, e.sq, n *
		    sizeof(double)) == 0 && nsl_ivf_search(&e, q, m, 2, k,
		    NSL_IVF_SKIP_COPY, d2, i2, &err) == 0 &&
		    nsl_ivf_search(&a, q, m, 2, k, NSL_IVF_SKIP_COPY, d1, i1,
		    &err) == 0 && memcmp(d1, d2, m * k * sizeof(double)) == 0 &&
		    memcmp(i1, i2, m * k * sizeof(size_t)) == 0;
		UNIT_CHECK(ok, "f32 (n %zu, d %zu): loaded from the lists, "
		    "the double index's searches", n, d);
		nsl_ivf_release(&e);
		list[n / 2] = L;
		UNIT_CHECK(nsl_ivf_load_f32(&e, xf, n, d, a.centroids, L, list,
		    &err) < 0 && err.code == NSL_EX_DATAERR && e.xf == NULL,
		    "f32 load: a list out of range is bad data");
		nsl_ivf_release(&a);
		nsl_ivf_release(&b);
		free(xf);
		free(x);
		free(q);
		free(d1);
		free(d2);
		free(i1);
		free(i2);
		free(list);
	}
}

int
main(void)
{
	test_lists();
	test_search();
	test_load();
	test_in_place();
	test_check();
	test_f32();
	return unit_done();
}
