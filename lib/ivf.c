/* ivf.c - inverted-file nearest-neighbour index (see nsl/ivf.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "nsl/ivf.h"
#include "nsl/kmeans.h"
#include "nsl/rng.h"
#include "nsl/vec.h"

#define QBLOCK 256		/* queries a block */
#define CCOLS 4096		/* list rows a product */

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

void
nsl_ivf_init(struct nsl_ivf *v)
{
	memset(v, 0, sizeof(*v));
}

void
nsl_ivf_release(struct nsl_ivf *v)
{
	free(v->centroids);
	free(v->start);
	free(v->row);
	free(v->x);
	free(v->sq);
	nsl_ivf_init(v);
}

const char *
nsl_ivf_check(size_t n, size_t lists, size_t nprobe, size_t k)
{
	static char msg[160];

	if (lists == 0)
		return "--lists must be at least 1";
	if (nprobe == 0)
		return "--nprobe must be at least 1";
	if (lists > n) {
		snprintf(msg, sizeof(msg), "--lists %zu exceeds the %zu "
		    "records", lists, n);
		return msg;
	}
	if (k >= n) {
		snprintf(msg, sizeof(msg), "knn: k = %zu neighbours needs "
		    "more than k records (have %zu)", k, n);
		return msg;
	}
	return NULL;
}

/*
 * Row p of the index in list order as doubles: x's own, or the float32
 * row xf[row[p]] widened into buf, each number (double)xf, the number a
 * double row would hold.  rows consecutive positions from p.
 */
static const double *
ivf_rows(const struct nsl_ivf *v, size_t p, size_t rows, double *buf)
{
	size_t d = v->d, q, t;

	if (v->x != NULL)
		return v->x + p * d;
	for (q = 0; q < rows; q++) {
		const float *r = v->xf + v->row[p + q] * d;

		for (t = 0; t < d; t++)
			buf[q * d + t] = (double)r[t];
	}
	return buf;
}

/*
 * Rows by list, stable in row number, and their norms.  x is copied, or
 * with own (x is the caller's allocation, given to the index) permuted
 * into list order where it lies: position p takes row row[p], following
 * each cycle of the permutation with one row held aside, so the rows
 * are held once.  With float32 rows (v->xf set) nothing is moved: the
 * rows stay the caller's, in row order, read through row[].  A failure
 * leaves x as it was.
 */
static int
arrange(struct nsl_ivf *v, double *x, const size_t *list, int own,
    struct nsl_err *err)
{
	size_t n = v->n, d = v->d, L = v->lists, i, l, p, *fill;
	int f32 = v->xf != NULL;
	unsigned char *done = NULL;
	double *tmp = NULL;

	v->start = calloc(L + 1, sizeof(size_t));
	v->row = malloc((n + 1) * sizeof(size_t));
	v->x = own || f32 ? NULL : malloc((n * d + 1) * sizeof(double));
	v->sq = malloc((n + 1) * sizeof(double));
	fill = malloc((L + 1) * sizeof(size_t));
	if (own)
		done = calloc(n + 1, 1);
	if (own || f32)
		tmp = malloc((d + 1) * sizeof(double));
	if (!v->start || !v->row || (!own && !f32 && !v->x) || !v->sq ||
	    !fill || (own && !done) || ((own || f32) && !tmp)) {
		free(fill);
		free(done);
		free(tmp);
		return oom(err);
	}
	for (i = 0; i < n; i++)
		v->start[list[i] + 1]++;
	for (l = 0; l < L; l++)
		v->start[l + 1] += v->start[l];
	memcpy(fill, v->start, (L + 1) * sizeof(size_t));
	for (i = 0; i < n; i++) {
		p = fill[list[i]]++;
		v->row[p] = i;
		if (!own && !f32)
			memcpy(v->x + p * d, x + i * d, d * sizeof(double));
	}
	for (i = 0; own && i < n; i++) {
		if (done[i] || v->row[i] == i)
			continue;
		/* the cycle through i: each position takes its row's */
		memcpy(tmp, x + i * d, d * sizeof(double));
		for (p = i; v->row[p] != i; p = v->row[p]) {
			memcpy(x + p * d, x + v->row[p] * d,
			    d * sizeof(double));
			done[p] = 1;
		}
		memcpy(x + p * d, tmp, d * sizeof(double));
		done[p] = 1;
	}
	if (own)
		v->x = x;
	if (f32)	/* nsl_vec_row_sqnorms' sums on the widened rows */
		for (p = 0; p < n; p++)
			v->sq[p] = nsl_vec_dot(ivf_rows(v, p, 1, tmp), tmp,
			    d);
	else
		nsl_vec_row_sqnorms(v->x, n, d, v->sq);
	free(fill);
	free(done);
	free(tmp);
	return 0;
}

/* The index over x, or with x NULL over the float32 rows xf (borrowed). */
static int
load(struct nsl_ivf *v, double *x, const float *xf, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list, int own,
    struct nsl_err *err)
{
	size_t i;

	nsl_ivf_init(v);
	for (i = 0; i < n; i++)
		if (list[i] >= lists)
			return nsl_err_set(err, NSL_EX_DATAERR, "row %zu: list "
			    "%zu of %zu lists", i + 1, list[i], lists);
	v->n = n;
	v->d = d;
	v->lists = lists;
	v->xf = xf;
	if ((v->centroids = malloc(lists * d * sizeof(double))) == NULL)
		return oom(err);
	memcpy(v->centroids, centroids, lists * d * sizeof(double));
	if (arrange(v, x, list, own, err) < 0) {
		if (own)
			v->x = NULL;	/* still the caller's */
		nsl_ivf_release(v);
		return -1;
	}
	return 0;
}

int
nsl_ivf_load(struct nsl_ivf *v, const double *x, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err)
{
	/* not written: own is 0 */
	return load(v, (double *)(uintptr_t)x, NULL, n, d, centroids, lists,
	    list, 0, err);
}

int
nsl_ivf_load_in(struct nsl_ivf *v, double *x, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err)
{
	return load(v, x, NULL, n, d, centroids, lists, list, 1, err);
}

int
nsl_ivf_load_f32(struct nsl_ivf *v, const float *xf, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err)
{
	return load(v, NULL, xf, n, d, centroids, lists, list, 0, err);
}

/*
 * The k-means and the lists over x, or with x NULL over the float32 rows
 * xf (borrowed): the sample then gathered in float32 and the k-means and
 * assignment the _f32 calls, whose results are the double calls' bits on
 * the widened rows.
 */
static int
build(struct nsl_ivf *v, double *x, const float *xf, size_t n, size_t d,
    size_t lists, uint64_t seed, int own, struct nsl_err *err)
{
	struct nsl_kmeans_params p;
	struct nsl_kmeans_result r;
	size_t m = n, i, *pick = NULL, *list = NULL;
	size_t rowb = d * (xf != NULL ? sizeof(float) : sizeof(double));
	const char *src = xf != NULL ? (const char *)xf : (const char *)x;
	char *sample = NULL;
	double *cen = NULL;
	const char *train = src;
	int rc = -1;

	nsl_ivf_init(v);
	if (lists == 0 || lists > n)
		return nsl_err_set(err, NSL_EX_USAGE, "%s",
		    nsl_ivf_check(n, lists, 1, 0));
	/* k-means on all n rows costs n lists d a step: a sample of
	 * NSL_IVF_TRAIN rows a list places the centroids as well (faiss
	 * trains IVF on 256 a list by default) */
	if (n / NSL_IVF_TRAIN >= lists && n > NSL_IVF_TRAIN * lists) {
		gsl_rng *g = nsl_rng_new(seed, 0x1f7);

		m = NSL_IVF_TRAIN * lists;
		pick = malloc(n * sizeof(size_t));
		sample = malloc(m * rowb);
		if (g == NULL || pick == NULL || sample == NULL) {
			if (g != NULL)
				gsl_rng_free(g);
			oom(err);
			goto out;
		}
		/* the first m of a seeded Fisher-Yates shuffle, then in
		 * row order so the sample is a set, not a sequence */
		for (i = 0; i < n; i++)
			pick[i] = i;
		for (i = 0; i < m; i++) {
			size_t j = i + (size_t)(nsl_rng_next(g) % (n - i)), t;

			t = pick[i], pick[i] = pick[j], pick[j] = t;
		}
		gsl_rng_free(g);
		/* mark the picks, then copy them in row order */
		{
			size_t c = 0, top = (size_t)1 << (sizeof(size_t) * 8 - 1);

			for (i = 0; i < m; i++)
				pick[pick[i] & ~top] |= top;
			for (i = 0; i < n; i++)
				if (pick[i] & top)
					memcpy(sample + c++ * rowb,
					    src + i * rowb, rowb);
		}
		train = sample;
		free(pick);	/* not needed by the k-means */
		pick = NULL;
	}
	cen = malloc(lists * d * sizeof(double));
	list = malloc((n > m ? n : m) * sizeof(size_t));
	if (cen == NULL || list == NULL) {
		oom(err);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.k = lists;
	p.max_iter = NSL_IVF_ITERS;
	p.tol = 1e-4;
	p.seed = seed;
	r.centroids = cen;
	r.assign = list;
	if ((xf != NULL ? nsl_kmeans_fit_f32((const float *)train, NULL, m,
	    d, &p, &r, err) : nsl_kmeans_fit((const double *)train, m, d, &p,
	    &r, err)) < 0)
		goto out;
	/* every row (not only the sample's) by the exact nearest rule */
	if (xf != NULL)
		nsl_kmeans_assign_f32(xf, NULL, n, d, cen, lists, list, NULL);
	else
		nsl_kmeans_assign(x, n, d, cen, lists, list, NULL);
	v->n = n;
	v->d = d;
	v->lists = lists;
	v->xf = xf;
	v->centroids = cen;
	cen = NULL;
	if (arrange(v, x, list, own, err) < 0)
		goto out;
	rc = 0;
out:
	free(pick);
	free(sample);
	free(cen);
	free(list);
	if (rc < 0) {
		if (own)
			v->x = NULL;	/* still the caller's */
		nsl_ivf_release(v);
	}
	return rc;
}

int
nsl_ivf_build(struct nsl_ivf *v, const double *x, size_t n, size_t d,
    size_t lists, uint64_t seed, struct nsl_err *err)
{
	/* not written: own is 0 */
	return build(v, (double *)(uintptr_t)x, NULL, n, d, lists, seed, 0,
	    err);
}

int
nsl_ivf_build_in(struct nsl_ivf *v, double *x, size_t n, size_t d,
    size_t lists, uint64_t seed, struct nsl_err *err)
{
	return build(v, x, NULL, n, d, lists, seed, 1, err);
}

int
nsl_ivf_build_f32(struct nsl_ivf *v, const float *xf, size_t n, size_t d,
    size_t lists, uint64_t seed, struct nsl_err *err)
{
	return build(v, NULL, xf, n, d, lists, seed, 0, err);
}

void
nsl_ivf_positions(const struct nsl_ivf *v, size_t *pos)
{
	size_t p;

	for (p = 0; p < v->n; p++)
		pos[v->row[p]] = p;
}

void
nsl_ivf_lists(const struct nsl_ivf *v, size_t *list)
{
	size_t l, p;

	for (l = 0; l < v->lists; l++)
		for (p = v->start[l]; p < v->start[l + 1]; p++)
			list[v->row[p]] = l;
}

/* One thread's work space. */
struct ws {
	double *cd;		/* L: a query's centroid distances */
	size_t *plist;		/* the block's probes, query after query */
	size_t pcap;
	size_t *poff;		/* QBLOCK + 1: query i's are plist[poff[i] ..) */
	size_t *skip;		/* QBLOCK: the position left out, or SIZE_MAX */
	size_t *cnt, *at;	/* L + 1: the block's queries a list */
	size_t *who;		/* pcap: the block's queries by list */
	double *qb;		/* QBLOCK x d: the block's queries */
	double *qg;		/* QBLOCK x d: a list's queries gathered */
	double *qsq;		/* QBLOCK */
	double *g;		/* QBLOCK x CCOLS: a product */
	double *kd;		/* QBLOCK x k: the k smallest so far */
	size_t *kp;		/* QBLOCK x k: their positions */
	double *xb;		/* float32 rows: a list's block widened */
};

static void
ws_free(struct ws *w)
{
	free(w->cd);
	free(w->plist);
	free(w->poff);
	free(w->skip);
	free(w->cnt);
	free(w->at);
	free(w->who);
	free(w->qb);
	free(w->qg);
	free(w->qsq);
	free(w->g);
	free(w->kd);
	free(w->kp);
	free(w->xb);
}

/*
 * Room for blocks of qb <= QBLOCK queries (one, applying a model), and
 * with float32 rows xrows (the longest list, at most CCOLS) widened.
 */
static int
ws_alloc(struct ws *w, size_t qb, size_t L, size_t d, size_t k,
    size_t nprobe, size_t xrows)
{
	memset(w, 0, sizeof(*w));
	w->pcap = qb * nprobe + L;
	w->cd = malloc(L * sizeof(double));
	w->plist = malloc(w->pcap * sizeof(size_t));
	w->poff = malloc((qb + 1) * sizeof(size_t));
	w->skip = malloc(qb * sizeof(size_t));
	w->cnt = malloc((L + 1) * sizeof(size_t));
	w->at = malloc((L + 1) * sizeof(size_t));
	w->who = malloc(w->pcap * sizeof(size_t));
	w->qb = malloc(qb * d * sizeof(double));
	w->qg = malloc(qb * d * sizeof(double));
	w->qsq = malloc(qb * sizeof(double));
	w->g = malloc(qb * CCOLS * sizeof(double));
	w->kd = malloc(qb * k * sizeof(double));
	w->kp = malloc(qb * k * sizeof(size_t));
	if (xrows > 0)
		w->xb = malloc(xrows * d * sizeof(double));
	return w->cd && w->plist && w->poff && w->skip && w->cnt && w->at &&
	    w->who && w->qb && w->qg && w->qsq && w->g && w->kd && w->kp &&
	    (xrows == 0 || w->xb) ? 0 : -1;
}

/* Probe order: nearer centroid first, ties to the lower list. */
static inline int
probe_before(const double *cd, size_t a, size_t b)
{
	return cd[a] < cd[b] || (cd[a] == cd[b] && a < b);
}

/*
 * The lists query q probes into out[0 .. ): the nprobe nearest, then
 * more in order until they hold at least need rows.  Returns the count.
 */
static size_t
probes(const struct nsl_ivf *v, const double *q, size_t nprobe,
    size_t need, double *cd, size_t *out)
{
	size_t L = v->lists, d = v->d, l, c, m, rows, p = nprobe;

	for (l = 0; l < L; l++)
		cd[l] = nsl_vec_sqdist(q, v->centroids + l * d, d);
	for (;;) {
		/* the p smallest by insertion: p is small beside L */
		for (c = 0, l = 0; l < L; l++) {
			if (c == p && !probe_before(cd, l, out[p - 1]))
				continue;
			m = c < p ? c++ : p - 1;
			while (m > 0 && probe_before(cd, l, out[m - 1])) {
				out[m] = out[m - 1];
				m--;
			}
			out[m] = l;
		}
		for (rows = 0, m = 0; m < c; m++)
			rows += v->start[out[m] + 1] - v->start[out[m]];
		if (rows >= need || c == L)
			return c;
		p = 2 * p < L ? 2 * p : L;
	}
}

/* Is the widened float32 row b bit for bit q (as memcmp on the doubles)? */
static int
same_xf(const double *q, const float *b, size_t d)
{
	size_t t;
	double e;

	for (t = 0; t < d; t++) {
		e = (double)b[t];
		if (memcmp(&e, q + t, sizeof(e)) != 0)
			return 0;
	}
	return 1;
}

/* Position of the lowest-numbered row of the lists equal to q, or SIZE_MAX. */
static size_t
copy_in(const struct nsl_ivf *v, const double *q, const size_t *ls,
    size_t nl)
{
	size_t c, p, d = v->d, best = SIZE_MAX;

	for (c = 0; c < nl; c++)
		for (p = v->start[ls[c]]; p < v->start[ls[c] + 1]; p++)
			if (v->x != NULL ? memcmp(v->x + p * d, q,
			    d * sizeof(double)) == 0 : same_xf(q,
			    v->xf + v->row[p] * d, d)) {
				if (best == SIZE_MAX || v->row[p] < v->row[best])
					best = p;
				break;	/* rows rise within a list */
			}
	return best;
}

/* (e, pos) into a query's k smallest, kept sorted by (e, row number). */
static inline void
topk_insert(const size_t *row, double *kd, size_t *kp, size_t k, double e,
    size_t pos)
{
	size_t m = k - 1, r = row[pos];

#define BEFORE(i) (e < kd[i] || (e == kd[i] && (kp[i] == SIZE_MAX || \
	r < row[kp[i]])))
	if (!BEFORE(m))
		return;
	while (m > 0 && BEFORE(m - 1)) {
		kd[m] = kd[m - 1];
		kp[m] = kp[m - 1];
		m--;
	}
#undef BEFORE
	kd[m] = e;
	kp[m] = pos;
}

struct pick {
	double e;
	size_t row;
};

static int
cmp_pick(const void *pa, const void *pb)
{
	const struct pick *a = pa, *b = pb;

	if (a->e != b->e)
		return a->e < b->e ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

/*
 * Queries base .. base + nq (positions of v->x with SELF, else rows of
 * q) as one block: probes, each list's queries multiplied by its rows,
 * the k smallest kept, then recomputed exactly and sorted into
 * dist/idx.  Returns 0, or -1 out of memory.
 */
static int
search_block(const struct nsl_ivf *v, const double *q, size_t base,
    size_t nq, size_t nprobe, size_t k, unsigned flags, struct ws *w,
    struct pick *pk, double *dist, size_t *idx)
{
	size_t d = v->d, L = v->lists, i, l, c, t, need = k;

	if (flags & (NSL_IVF_SELF | NSL_IVF_SKIP_COPY))
		need++;
	w->poff[0] = 0;
	for (i = 0; i < nq; i++) {
		/* a float32 reference row widened in its place in qb */
		const double *qi = flags & NSL_IVF_SELF ? ivf_rows(v,
		    base + i, 1, w->qb + i * d) : q + (base + i) * d;
		size_t *pl;

		if (w->pcap - w->poff[i] < L) {
			size_t cap = 2 * w->pcap, *a, *b;

			if ((a = realloc(w->plist, cap * sizeof(size_t))) == NULL)
				return -1;
			w->plist = a;
			if ((b = realloc(w->who, cap * sizeof(size_t))) == NULL)
				return -1;
			w->who = b;
			w->pcap = cap;
		}
		pl = w->plist + w->poff[i];
		w->poff[i + 1] = w->poff[i] + probes(v, qi, nprobe, need,
		    w->cd, pl);
		w->skip[i] = flags & NSL_IVF_SELF ? base + i :
		    flags & NSL_IVF_SKIP_COPY ? copy_in(v, qi, pl,
		    w->poff[i + 1] - w->poff[i]) : SIZE_MAX;
		if (qi != w->qb + i * d)
			memcpy(w->qb + i * d, qi, d * sizeof(double));
		for (t = 0; t < k; t++) {
			w->kd[i * k + t] = INFINITY;
			w->kp[i * k + t] = SIZE_MAX;
		}
	}
	nsl_vec_row_sqnorms(w->qb, nq, d, w->qsq);
	/* the block's queries list by list, in query order */
	memset(w->cnt, 0, (L + 1) * sizeof(size_t));
	for (c = 0; c < w->poff[nq]; c++)
		w->cnt[w->plist[c] + 1]++;
	for (l = 0; l < L; l++)
		w->cnt[l + 1] += w->cnt[l];
	memcpy(w->at, w->cnt, (L + 1) * sizeof(size_t));
	for (i = 0; i < nq; i++)
		for (c = w->poff[i]; c < w->poff[i + 1]; c++)
			w->who[w->at[w->plist[c]]++] = i;
	for (l = 0; l < L; l++) {
		size_t a = w->cnt[l], mq = w->cnt[l + 1] - a, c0, j, b;
		const double *qa = w->qb;

		if (mq == 0)
			continue;
		if (mq < nq) {
			/* not the whole block: gather the list's queries */
			for (j = 0; j < mq; j++)
				memcpy(w->qg + j * d, w->qb + w->who[a + j] * d,
				    d * sizeof(double));
			qa = w->qg;
		}
		for (c0 = v->start[l]; c0 < v->start[l + 1]; c0 += CCOLS) {
			size_t cols = v->start[l + 1] - c0;

			if (cols > CCOLS)
				cols = CCOLS;
			/* float32 rows widened: the same shapes, the same
			 * bits */
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
			    (int)mq, (int)cols, (int)d, -2.0, qa, (int)d,
			    ivf_rows(v, c0, cols, w->xb), (int)d, 0.0, w->g,
			    (int)cols);
			for (j = 0; j < mq; j++) {
				size_t qi = mq < nq ? w->who[a + j] : j;
				const double *gj = w->g + j * cols;
				double *kd = w->kd + qi * k, e;
				size_t *kp = w->kp + qi * k, sk = w->skip[qi];

				for (b = 0; b < cols; b++) {
					if (c0 + b == sk)
						continue;
					e = gj[b] + w->qsq[qi] + v->sq[c0 + b];
					topk_insert(v->row, kd, kp, k,
					    e > 0 ? e : 0, c0 + b);
				}
			}
		}
	}
	for (i = 0; i < nq; i++) {
		size_t o = flags & NSL_IVF_SELF ? v->row[base + i] : base + i;

		for (t = 0; t < k; t++) {
			size_t p = w->kp[i * k + t];

			pk[t].row = v->row[p];
			pk[t].e = v->x != NULL ? nsl_vec_sqdist(w->qb + i * d,
			    v->x + p * d, d) : nsl_vec_sqdist_f32(w->qb +
			    i * d, v->xf + v->row[p] * d, d);
		}
		qsort(pk, k, sizeof(*pk), cmp_pick);
		for (t = 0; t < k; t++) {
			dist[o * k + t] = sqrt(pk[t].e);
			if (idx != NULL)
				idx[o * k + t] = pk[t].row;
		}
	}
	return 0;
}

int
nsl_ivf_search(const struct nsl_ivf *v, const double *q, size_t m,
    size_t nprobe, size_t k, unsigned flags, double *dist, size_t *idx,
    struct nsl_err *err)
{
	const char *why = nsl_ivf_check(v->n, v->lists, nprobe, k);
	struct ws *ws = NULL;
	struct pick **pk = NULL;
	size_t xrows = 0, l;
	long b, nb;
	int nt, t, fail = 0, blas;

	if (why != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s", why);
	if (flags & NSL_IVF_SELF)
		m = v->n;
	if (nprobe > v->lists)
		nprobe = v->lists;
	if (m == 0)
		return 0;
	nb = (long)((m + QBLOCK - 1) / QBLOCK);
	nt = omp_get_max_threads();
	if (nt > nb)
		nt = (int)nb;
	if (nt < 1)
		nt = 1;
	/* float32 rows: room for the longest list's block widened */
	for (l = 0; v->x == NULL && l < v->lists; l++)
		if (v->start[l + 1] - v->start[l] > xrows)
			xrows = v->start[l + 1] - v->start[l];
	if (xrows > CCOLS)
		xrows = CCOLS;
	if ((ws = calloc((size_t)nt, sizeof(*ws))) == NULL ||
	    (pk = calloc((size_t)nt, sizeof(*pk))) == NULL) {
		free(ws);
		return oom(err);
	}
	for (t = 0; t < nt; t++)
		if (ws_alloc(&ws[t], m < QBLOCK ? m : QBLOCK,
		    v->lists, v->d, k, nprobe, xrows) < 0 ||
		    (pk[t] = malloc(k * sizeof(**pk))) == NULL)
			fail = 1;
	/* the threads are OpenMP's: a threaded GEMM inside would
	 * oversubscribe */
	blas = nsl_vec_blas_serial();
	if (!fail) {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
		for (b = 0; b < nb; b++) {
			size_t base = (size_t)b * QBLOCK;
			size_t nq = m - base < QBLOCK ? m - base : QBLOCK;
			int me = omp_get_thread_num();

			if (search_block(v, q, base, nq, nprobe, k, flags,
			    &ws[me], pk[me], dist, idx) < 0) {
#pragma omp atomic write
				fail = 1;
			}
		}
	}
	nsl_vec_blas_restore(blas);
	for (t = 0; t < nt; t++) {
		ws_free(&ws[t]);
		free(pk[t]);
	}
	free(ws);
	free(pk);
	return fail ? oom(err) : 0;
}

/*
 * Recall on x (n x d) or, x NULL, on the float32 rows xf, each number
 * read as (double)xf: the same distances.
 */
static double
recall(const double *x, const float *xf, size_t n, size_t d, size_t k,
    const size_t *idx, const size_t *sample, size_t s)
{
	size_t hits = 0;
	long j;

	if (s == 0 || k == 0 || k >= n)
		return 1;
#pragma omp parallel for schedule(dynamic, 1) reduction(+:hits)
	for (j = 0; j < (long)s; j++) {
		size_t q = sample[j], i, c = 0, m, got = 0, t;
		double *kd = malloc(k * sizeof(double)), e;
		double *qw = x == NULL ? malloc(d * sizeof(double)) : NULL;
		const double *xq = x != NULL ? x + q * d : qw;

		if (kd == NULL || xq == NULL) {
			free(kd);
			free(qw);
			continue;	/* counts as missed */
		}
		for (t = 0; x == NULL && t < d; t++)
			qw[t] = (double)xf[q * d + t];
#define DIST(r) (x != NULL ? nsl_vec_sqdist(xq, x + (r) * d, d) : \
	nsl_vec_sqdist_f32(xq, xf + (r) * d, d))
		/* the k smallest exact squared distances, q itself left out */
		for (i = 0; i < n; i++) {
			if (i == q)
				continue;
			e = DIST(i);
			if (c == k && !(e < kd[k - 1]))
				continue;
			m = c < k ? c++ : k - 1;
			while (m > 0 && e < kd[m - 1]) {
				kd[m] = kd[m - 1];
				m--;
			}
			kd[m] = e;
		}
		/* a found row as near as the k-th is a true neighbour */
		for (i = 0; i < k; i++)
			if (DIST(idx[q * k + i]) <= kd[k - 1])
				got++;
#undef DIST
		hits += got;
		free(kd);
		free(qw);
	}
	return (double)hits / ((double)s * (double)k);
}

double
nsl_ivf_recall(const double *x, size_t n, size_t d, size_t k,
    const size_t *idx, const size_t *sample, size_t s)
{
	return recall(x, NULL, n, d, k, idx, sample, s);
}

double
nsl_ivf_recall_f32(const float *xf, size_t n, size_t d, size_t k,
    const size_t *idx, const size_t *sample, size_t s)
{
	return recall(NULL, xf, n, d, k, idx, sample, s);
}
