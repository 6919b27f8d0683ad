/*
 * kmeans.c - Lloyd's k-means with greedy k-means++ seeding (see nsl/kmeans.h).
 *
 * Distances.  Rows are taken in fixed chunks of CHUNK rows, the chunks
 * spread over OpenMP threads; each thread multiplies its chunk by the
 * centres with one single-threaded dgemm (Debian's OpenBLAS is the pthread
 * build, which must not be threaded itself inside OpenMP threads, so it is
 * held to one thread while a pass runs and restored after).  When the data
 * mean lies farther from the origin than the rows' spread, a chunk is first
 * centred on the mean (as scikit-learn centres X), which keeps the
 * expansion ||x||^2 - 2 x.c + ||c||^2 accurate.  The nearest centre is
 * chosen from the products; when another centre comes within the
 * products' rounding bound of the best, the candidates are compared by
 * their exact distances (nsl_vec_sqdist).  So every row gets its exact
 * nearest centre, ties to the lowest index, whatever the thread count.
 *
 * Assignment in single precision.  The Lloyd passes (ws_assign) multiply
 * in float32 (sgemm: twice the flops a cycle of dgemm and half the bytes
 * moved), the rows of a chunk converted as they are taken.  The margin of
 * a row is widened to the float32 rounding bound of its products (inputs
 * rounded to float, then a d-term dot product: gamma_(d+2) ||x|| ||c||,
 * whatever the summation order or FMA), and every candidate within it is
 * still decided by its exact double distance; so the assignments, and
 * with them every output, are the same as with dgemm, only found faster.
 * Data too large or too small for float32's range (see F32_MAX_ABS) keep
 * dgemm.
 *
 * Seeding.  Each greedy k-means++ step multiplies every row by the few
 * candidates (float32, from a float32 copy of the rows kept for the whole
 * fit, in a kernel of our own: sgemm spends as long packing the rows as
 * multiplying them when there are so few columns).  A row keeps its
 * distance when the product-based one lies beyond the rounding bound
 * above it; otherwise its distance to the candidate is recomputed exactly
 * in double.  So the potentials are sums of exact distances, and the
 * choices do not depend on BLAS, float32 or the thread count.
 *
 * Sums.  Centre sums run over the rows in index order (the threads split
 * the columns), the potential and inertia sums too: nothing depends on
 * how OpenMP splits the work. *
 * Float32 rows.  The rows may be float32 numbers, each row divided by a
 * divisor as read (nsl_kmeans_fit_f32): every exact step reads a row
 * through ws_row(), which makes the very doubles the caller would have
 * passed ((double)f / div, exact conversion, one IEEE division), so the
 * results are bit-identical and the rows are held once, in half the
 * bytes.  The float32 products take such rows as they are when they need
 * no centring (dividing each product by the row's divisor), so there is
 * no float32 copy either; centred rows get their copy as double rows do.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_rng.h>
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "nsl/kmeans.h"
#include "nsl/mem.h"
#include "nsl/rng.h"

#define CHUNK 512		/* rows a dgemm */
#define SB_CHUNKS 16		/* chunks a super-block, at least */
#define SB_MAX 64		/* super-blocks, at most */
#define SB_BYTES (256.0 * 1024 * 1024)	/* their partial sums, at most */
/*
 * Largest magnitude of a coordinate (centred) for the float32 products:
 * d * F32_MAX_ABS^2 stays far below FLT_MAX for any d up to 2^31.
 */
#define F32_MAX_ABS 1e14
/* Candidates of a seeding step, at most: 2 + ln k, k < 2^64 */
#define PP_TRIALS_MAX 64

/* Work space of the distance passes. */
struct ws {
	const double *x;	/* n x d doubles, or NULL: the rows are xs */
	const float *xs;	/* n x d floats (with x NULL) */
	const double *div;	/* n divisors of the float rows, or NULL */
	double *rowbuf;		/* nt x 4 x d: float rows read as double,
				   four a thread (ws_buf) */
	int xall_owned;		/* 0: xall is xs itself */
	const double *gdiv;	/* xall is xs unnormalised: products / gdiv */
	double rawmax;		/* largest |xs| */
	size_t n, d;
	double *mean;		/* d: column means */
	int centre;		/* 1: chunks are centred on mean first */
	double *xsq;		/* n: squared norms of the rows as multiplied */
	int nt;			/* threads with buffers */
	double *xc;		/* nt x CHUNK x d: centred chunks */
	double *g;		/* nt x CHUNK x m: products with the centres */
	double *cc;		/* m x d: the centres as multiplied */
	double *csq;		/* m: their squared norms */
	double cmax;		/* largest csq */
	double spread;		/* sum of the rows' squared distances to mean */
	size_t m;		/* rows of cc allocated */
	int blas_threads;	/* OpenBLAS threads to restore */
	int f32;		/* 1: Lloyd products in float32 */
	float *xf;		/* nt x CHUNK x d: chunks in float32 */
	float *gf;		/* nt x CHUNK x m: their products */
	float *cf;		/* m x d: the centres in float32 */
	float *xall;		/* n x d: all rows in float32, or NULL */
	double maxabs;		/* largest |coordinate| as multiplied */
	double rel, relf, absf;	/* rounding bounds of the products */
};

static void
ws_release(struct ws *w)
{
	free(w->mean);
	free(w->xsq);
	free(w->xc);
	free(w->g);
	free(w->cc);
	free(w->csq);
	free(w->xf);
	free(w->gf);
	free(w->cf);
	free(w->rowbuf);
	if (w->xall_owned)
		free(w->xall);
	nsl_vec_blas_restore(w->blas_threads);
	memset(w, 0, sizeof(*w));
}

/*
 * Row i in double: x's own, or the float row converted into buf (d
 * numbers), each number (double)xs / div[i].  The conversion is exact and
 * the division is the one nsl_vec_normalize_rows() would make, so every
 * pass sees the same doubles as with the rows given in double.
 */
static inline const double *
ws_row(const struct ws *w, size_t i, double *buf)
{
	const float *f;
	size_t t, d = w->d;

	if (w->x)
		return w->x + i * d;
	f = w->xs + i * d;
	if (w->div)	/* dv passed by value: buf might alias div */
		nsl_vec_f32_div(buf, f, w->div[i], d);
	else
		for (t = 0; t < d; t++)
			buf[t] = (double)f[t];
	return buf;
}

/* Thread tid's row buffer: room for four rows. */
static inline double *
ws_tbuf(const struct ws *w, int tid)
{
	return w->rowbuf + (size_t)tid * 4 * w->d;
}

/* This thread's row buffer. */
static inline double *
ws_buf(const struct ws *w)
{
	return ws_tbuf(w, omp_get_thread_num());
}

/* One number of row i, as ws_row() gives it. */
static inline double
ws_at(const struct ws *w, size_t i, size_t t)
{
	if (w->x)
		return w->x[i * w->d + t];
	return w->div ? (double)w->xs[i * w->d + t] / w->div[i] :
	    (double)w->xs[i * w->d + t];
}

/* The rows of a call: doubles, or floats with optional divisors. */
struct rows {
	const double *x;
	const float *xs;
	const double *div;
};

/*
 * sum[c] += row r's number c (as ws_at gives it) for c in [j0, j1), over
 * rows 0 .. n - 1 in order.  One loop for each kind of rows: the inner
 * loop then runs over a row's numbers with nothing to decide per number,
 * and a normalised row's quotients are made two at a time
 * (nsl_vec_f32_div).  Each column's sum is still its own, in row order:
 * the same bits as adding ws_at() number by number.
 */
static void
column_sums(const struct rows *X, size_t n, size_t d, size_t j0, size_t j1,
    double *restrict sum)
{
	size_t r, c;

	if (X->x)
		for (r = 0; r < n; r++) {
			const double *restrict a = X->x + r * d;

			for (c = j0; c < j1; c++)
				sum[c] += a[c];
		}
	else if (X->div) {
		double q[256];	/* a block of a row's quotients */
		size_t c0, c1;

		for (r = 0; r < n; r++)
			for (c0 = j0; c0 < j1; c0 = c1) {
				c1 = j1 - c0 > 256 ? c0 + 256 : j1;
				nsl_vec_f32_div(q, X->xs + r * d + c0,
				    X->div[r], c1 - c0);
				for (c = c0; c < c1; c++)
					sum[c] += q[c - c0];
			}
	} else
		for (r = 0; r < n; r++) {
			const float *restrict f = X->xs + r * d;

			for (c = j0; c < j1; c++)
				sum[c] += (double)f[c];
		}
}

static int
ws_init(struct ws *w, const struct rows *X, size_t n, size_t d, size_t m,
    struct nsl_err *err)
{
	size_t i, j;
	long li;
	double msq = 0, spread = 0, maxabs = 0, rawabs = 0, rawmax = 0;
	double *raw;

	memset(w, 0, sizeof(*w));
	w->x = X->x;
	w->xs = X->xs;
	w->div = X->div;
	w->n = n;
	w->d = d;
	w->m = m;
	w->nt = omp_get_max_threads();
	w->xall_owned = 1;
	w->rowbuf = malloc((size_t)w->nt * 4 * (d ? d : 1) * sizeof(double));
	w->mean = calloc(d, sizeof(double));
	w->xsq = malloc(n * sizeof(double));
	w->xc = malloc((size_t)w->nt * CHUNK * d * sizeof(double));
	w->g = malloc((size_t)w->nt * CHUNK * m * sizeof(double));
	w->cc = malloc(m * d * sizeof(double));
	w->csq = malloc(m * sizeof(double));
	w->xf = malloc((size_t)w->nt * CHUNK * d * sizeof(float));
	w->gf = malloc((size_t)w->nt * CHUNK * m * sizeof(float));
	w->cf = malloc(m * d * sizeof(float));
	if (!w->mean || !w->xsq || !w->xc || !w->g || !w->cc || !w->csq ||
	    !w->xf || !w->gf || !w->cf || !w->rowbuf) {
		ws_release(w);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "k-means: out of memory");
	}
	/*
	 * The passes over the rows run on every thread and give the numbers
	 * one thread would: each column's mean is summed in row order by one
	 * thread (the threads split the columns), the spread in row order
	 * after the rows' own sums, and maxima do not depend on order.
	 */
#pragma omp parallel
	{
		int nth = omp_get_num_threads(), tid = omp_get_thread_num();
		size_t j0 = d * (size_t)tid / (size_t)nth;
		size_t j1 = d * ((size_t)tid + 1) / (size_t)nth;

		column_sums(X, n, d, j0, j1, w->mean);
	}
	for (j = 0; j < d; j++) {
		w->mean[j] /= (double)n;
		msq += w->mean[j] * w->mean[j];
	}
	/*
	 * One pass for what the centring decides between: each row's
	 * squared norm about the mean and about the origin, and the largest
	 * coordinate of each kind (the rows are read once, not twice).
	 */
	if ((raw = malloc((n + 1) * sizeof(double))) == NULL) {
		ws_release(w);
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "k-means: out of memory");
	}
	/*
	 * Four rows at a time, their sums advancing together, each in its
	 * own order (nsl_vec_sqdist4, nsl_vec_dot4): the bits of one row at
	 * a time.  A group past the end repeats the last row.
	 */
#pragma omp parallel for schedule(static) reduction(max:maxabs, rawabs)
	for (li = 0; li < (long)(n + 3) / 4; li++) {
		const double *xr[4], *mr[4];
		double *b = ws_buf(w), s[4], r[4], t;
		size_t c, q, i0 = (size_t)li * 4;

		for (q = 0; q < 4; q++) {
			xr[q] = ws_row(w, i0 + q < n ? i0 + q : n - 1,
			    b + q * d);
			mr[q] = w->mean;
			for (c = 0; c < d; c++) {
				t = xr[q][c] - w->mean[c];
				if (fabs(t) > maxabs)
					maxabs = fabs(t);
				if (fabs(xr[q][c]) > rawabs)
					rawabs = fabs(xr[q][c]);
			}
		}
		nsl_vec_sqdist4(xr, mr, d, s);
		nsl_vec_dot4(xr, xr, d, r);
		for (q = 0; q < 4 && i0 + q < n; q++) {
			w->xsq[i0 + q] = s[q];
			raw[i0 + q] = r[q];
		}
	}
	for (i = 0; i < n; i++)
		spread += w->xsq[i];
	w->spread = spread;
	w->centre = msq > spread / (double)n;
	if (!w->centre) {
		free(w->xsq);
		w->xsq = raw;
		raw = NULL;
	}
	free(raw);
	w->maxabs = w->centre ? maxabs : rawabs;
	if (w->xs) {
#pragma omp parallel for schedule(static) reduction(max:rawmax)
		for (li = 0; li < (long)(n * d); li++)
			if (fabs(w->xs[li]) > rawmax)
				rawmax = fabs(w->xs[li]);
		w->rawmax = rawmax;
	}
	w->f32 = w->maxabs <= F32_MAX_ABS;
	/*
	 * Rounding bound of csq - 2 g: each is a d-term dot product, within
	 * gamma_d (||x||^2 + ||c||^2) of its value; twice that separates
	 * the computed best from anything that could truly be nearer, with
	 * room for the rounding of the exact recomputation.
	 */
	w->rel = 16.0 * (double)(d + 2) * DBL_EPSILON;
	/*
	 * float32 products: each is within gamma_(d+2) ||x|| ||c|| of the
	 * exact product (unit roundoff u = 2^-24, inputs rounded once), so
	 * csq - 2 g within twice that; the best and anything truly nearer
	 * are within four times it of each other, doubled for safety.  The
	 * absolute term covers products that fall below FLT_MIN.
	 */
	if (w->f32) {
		double uf = FLT_EPSILON / 2, ddf = (double)(d + 2) * uf;

		w->relf = 8.0 * ddf / (1.0 - ddf);
		w->absf = 8.0 * (double)(d + 2) * FLT_TRUE_MIN;
	}
	/* one BLAS thread per OpenMP thread while the passes run */
	w->blas_threads = nsl_vec_blas_serial();
	return 0;
}

/*
 * How far the product-based distance of a row (squared norm xs as
 * multiplied) to a loaded centre may lie from the exact one, with room
 * for the exact recomputation's own rounding (cnorm: sqrt(w->cmax)).
 */
static double
ws_margin(const struct ws *w, double xs, double cnorm)
{
	return w->rel * (xs + w->cmax) + w->relf * sqrt(xs) * cnorm +
	    w->absf * (1.0 + sqrt(xs) + cnorm);
}

/*
 * Keep all rows in float32 (centred as multiplied) for the many passes of
 * a fit: the seeding multiplies every row by a few candidates k times, and
 * converting each chunk again would cost as much as the products.  Half
 * the bytes of x; without the room the chunks are converted as they go.
 */
static void
ws_keep_f32(struct ws *w)
{
	size_t d = w->d;
	long i;

	if (!w->f32)
		return;
	/*
	 * Float rows not centred are their own copy: as they are, or with
	 * divisors (normalised rows) multiplied unnormalised and each product
	 * scaled by 1 / the row's divisor.  The product of a row of norm r is
	 * within gamma_(d+2) r ||c|| plus (d+2) 2^-149 of underflow; times
	 * 1 / r that is the bound of the normalised row, plus 2^-149 (d+2) /
	 * r, which ws_row_margin() adds, plus the roundings of 1 / r and of
	 * the product in double (within 2^-52 of it, where the float32
	 * bound is 2^-24 (d+2) and the margin twice what is needed).
	 * Rows up to F32_MAX_ABS, as always.
	 */
	if (w->xs && !w->centre && (!w->div || w->rawmax <= F32_MAX_ABS)) {
		w->xall = (float *)(uintptr_t)w->xs;
		w->xall_owned = 0;
		w->gdiv = w->div;
		return;
	}
	if ((w->xall = malloc(w->n * d * sizeof(float))) == NULL)
		return;
	nsl_mem_prefault(w->xall, w->n * d * sizeof(float));
#pragma omp parallel for schedule(static)
	for (i = 0; i < (long)w->n; i++) {
		const double *a = ws_row(w, (size_t)i, ws_buf(w));
		float *f = w->xall + (size_t)i * d;
		size_t t;

		for (t = 0; t < d; t++)
			f[t] = (float)(a[t] - (w->centre ? w->mean[t] : 0));
	}
}

/*
 * The margin of row i (ws_margin) and the divisor of its float32
 * products (1 unless they are of the unnormalised rows).
 */
static inline double
ws_row_margin(const struct ws *w, size_t i, double cnorm, double *rd)
{
	double m = ws_margin(w, w->xsq[i], cnorm);

	*rd = 1;
	if (w->gdiv) {
		*rd = w->gdiv[i];
		m += w->absf / *rd;
	}
	return m;
}

/* Load m centres c (m x d, raw coordinates). */
static void
ws_centres(struct ws *w, const double *c, size_t m)
{
	size_t j, t, d = w->d;

	w->cmax = 0;
	for (j = 0; j < m; j++) {
		for (t = 0; t < d; t++)
			w->cc[j * d + t] = c[j * d + t] -
			    (w->centre ? w->mean[t] : 0);
		w->csq[j] = nsl_vec_dot(w->cc + j * d, w->cc + j * d, d);
		if (w->csq[j] > w->cmax)
			w->cmax = w->csq[j];
	}
	/* centres are means of rows: within the rows' range, save rounding */
	for (j = 0; j < m * d; j++)
		w->cf[j] = (float)w->cc[j];
}

/*
 * Products of rows [r0, r0 + rows) with the m loaded centres, in the
 * buffer of thread tid: returns g with g[i * m + j] = x_(r0+i) . c_j (both
 * centred when w->centre).
 */
static double *
ws_chunk(struct ws *w, int tid, size_t r0, size_t rows, size_t m)
{
	size_t d = w->d, i, t;
	double *g = w->g + (size_t)tid * CHUNK * m;
	const double *a = w->x ? w->x + r0 * d : NULL;

	if (w->centre || a == NULL) {
		double *xc = w->xc + (size_t)tid * CHUNK * d;

		for (i = 0; i < rows; i++) {
			const double *xi = ws_row(w, r0 + i, xc + i * d);

			if (w->centre)
				for (t = 0; t < d; t++)
					xc[i * d + t] = xi[t] - w->mean[t];
		}
		a = xc;
	}
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
	    (int)m, (int)d, 1.0, a, (int)d, w->cc, (int)d, 0.0, g, (int)m);
	return g;
}

/* As ws_chunk, in float32 (w->f32 set): g[i * m + j] ~ x_(r0+i) . c_j. */
static float *
ws_chunk_f(struct ws *w, int tid, size_t r0, size_t rows, size_t m)
{
	size_t d = w->d, i, t;
	float *g = w->gf + (size_t)tid * CHUNK * m;
	float *xf = w->xf + (size_t)tid * CHUNK * d;
	double *buf = ws_tbuf(w, tid);

	if (w->xall)
		xf = w->xall + r0 * d;
	else
		for (i = 0; i < rows; i++) {
			const double *a = ws_row(w, r0 + i, buf);

			for (t = 0; t < d; t++)
				xf[i * d + t] = (float)(a[t] -
				    (w->centre ? w->mean[t] : 0));
		}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
	    (int)m, (int)d, 1.0f, xf, (int)d, w->cf, (int)d, 0.0f, g, (int)m);
	return g;
}

/*
 * Products of rows [r0, r0 + rows) with the m (a few) seeding candidates,
 * from the kept float32 rows: g[i * m + j] ~ x_(r0+i) . c_j.  sgemm with
 * so few columns spends as long packing the rows as multiplying them;
 * here each row is read once, straight from memory, for all m candidates
 * (in L1/L2).  The rounding bound is that of any order of the sums.
 */
static inline __attribute__((always_inline)) void
few_body(const struct ws *w, size_t r0, size_t rows, size_t m, float *g)
{
	size_t d = w->d, i, j, t;

	/*
	 * Two rows by four candidates a sweep: each load feeds two or four
	 * products.  A last sweep of fewer candidates repeats its last one,
	 * an odd last row is paired with itself; the extra sums are dropped.
	 */
	for (i = 0; i < rows; i += 2) {
		const float *xa = w->xall + (r0 + i) * d;
		const float *xb = i + 1 < rows ? xa + d : xa;

		for (j = 0; j < m; j += 4) {
			const float *c0 = w->cf + j * d;
			const float *c1 = w->cf + (j + 1 < m ? j + 1 : m - 1) * d;
			const float *c2 = w->cf + (j + 2 < m ? j + 2 : m - 1) * d;
			const float *c3 = w->cf + (j + 3 < m ? j + 3 : m - 1) * d;
			float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
			float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
			size_t q;

#pragma omp simd reduction(+:a0, a1, a2, a3, b0, b1, b2, b3)
			for (t = 0; t < d; t++) {
				a0 = fmaf(xa[t], c0[t], a0);
				a1 = fmaf(xa[t], c1[t], a1);
				a2 = fmaf(xa[t], c2[t], a2);
				a3 = fmaf(xa[t], c3[t], a3);
				b0 = fmaf(xb[t], c0[t], b0);
				b1 = fmaf(xb[t], c1[t], b1);
				b2 = fmaf(xb[t], c2[t], b2);
				b3 = fmaf(xb[t], c3[t], b3);
			}
			{
				float sa[4] = { a0, a1, a2, a3 };
				float sb[4] = { b0, b1, b2, b3 };

				for (q = 0; q < 4 && j + q < m; q++) {
					g[i * m + j + q] = sa[q];
					if (i + 1 < rows)
						g[(i + 1) * m + j + q] = sb[q];
				}
			}
		}
	}
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * The same in AVX2 and FMA, taken when the processor has them (x86 only:
 * other targets take the portable body).  Two rows against up to six
 * candidates a sweep (twelve sums, fifteen of the sixteen registers):
 * each candidate's load feeds two products and each row's six, and no
 * sweep repeats a candidate to fill its lanes (the seeding's 2 + ln k is
 * 6 at k = 100).  Only the order of the sums differs from few_body, which
 * the rounding bound allows.
 */
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) float
hsum8(__m256 v)
{
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(v),
	    _mm256_extractf128_ps(v, 1));

	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_movehdup_ps(h));
	return _mm_cvtss_f32(h);
}

/* Rows xa and xb against the nc (1 to 6) candidates from c: ga, gb. */
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) void
few_sweep(const float *xa, const float *xb, const float *c, size_t d,
    const int nc, float *ga, float *gb)
{
	__m256 a[6], b[6];
	size_t t, u;
	int q;

	/* unrolled, so that the sums live in registers */
#pragma GCC unroll 6
	for (q = 0; q < nc; q++)
		a[q] = b[q] = _mm256_setzero_ps();
	for (t = 0; t + 8 <= d; t += 8) {
		__m256 va = _mm256_loadu_ps(xa + t);
		__m256 vb = _mm256_loadu_ps(xb + t);

#pragma GCC unroll 6
		for (q = 0; q < nc; q++) {
			__m256 vc = _mm256_loadu_ps(c + (size_t)q * d + t);

			a[q] = _mm256_fmadd_ps(va, vc, a[q]);
			b[q] = _mm256_fmadd_ps(vb, vc, b[q]);
		}
	}
#pragma GCC unroll 6
	for (q = 0; q < nc; q++) {
		float sa = hsum8(a[q]), sb = hsum8(b[q]);

		for (u = t; u < d; u++) {
			sa = fmaf(xa[u], c[(size_t)q * d + u], sa);
			sb = fmaf(xb[u], c[(size_t)q * d + u], sb);
		}
		ga[q] = sa;
		gb[q] = sb;
	}
}

__attribute__((target("avx2,fma")))
static void
few_avx2(const struct ws *w, size_t r0, size_t rows, size_t m, float *g)
{
	size_t d = w->d, i, j;
	float gb[6];

	for (i = 0; i < rows; i += 2) {
		const float *xa = w->xall + (r0 + i) * d;
		const float *xb = i + 1 < rows ? xa + d : xa;
		float *ga = g + i * m;

		for (j = 0; j < m; j += 6) {
			const float *c = w->cf + j * d;

			switch (m - j < 6 ? m - j : 6) {
			case 1: few_sweep(xa, xb, c, d, 1, ga + j, gb); break;
			case 2: few_sweep(xa, xb, c, d, 2, ga + j, gb); break;
			case 3: few_sweep(xa, xb, c, d, 3, ga + j, gb); break;
			case 4: few_sweep(xa, xb, c, d, 4, ga + j, gb); break;
			case 5: few_sweep(xa, xb, c, d, 5, ga + j, gb); break;
			default: few_sweep(xa, xb, c, d, 6, ga + j, gb); break;
			}
			if (i + 1 < rows)
				memcpy(ga + m + j, gb, (m - j < 6 ? m - j : 6) *
				    sizeof(float));
		}
	}
}
#endif

static void
ws_chunk_few(const struct ws *w, size_t r0, size_t rows, size_t m, float *g)
{
#if defined(__x86_64__) || defined(__i386__)
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		few_avx2(w, r0, rows, m, g);
		return;
	}
#endif
	few_body(w, r0, rows, m, g);
}

/*
 * The exact squared distances of rows [r0, r0 + rows) to their centres
 * (c: in raw coordinates), four rows at a time (nsl_vec_sqdist4: the
 * bits of nsl_vec_sqdist, with four sums under way at once).
 */
static void
chunk_dists(const struct ws *w, int tid, size_t r0, size_t rows,
    const double *c, const size_t *assign, double *dist)
{
	const double *xr[4], *cr[4];
	double *b = ws_tbuf(w, tid), s[4];
	size_t d = w->d, i, q, r;

	for (i = 0; i < rows; i += 4) {
		for (q = 0; q < 4; q++) {
			r = r0 + (i + q < rows ? i + q : rows - 1);
			xr[q] = ws_row(w, r, b + q * d);
			cr[q] = c + assign[r] * d;
		}
		nsl_vec_sqdist4(xr, cr, d, s);
		for (q = 0; q < 4 && i + q < rows; q++)
			dist[r0 + i + q] = s[q];
	}
}

/*
 * Nearest of the k loaded centres (c: the same in raw coordinates) for
 * every row: assign[i], and the exact squared distance dist[i] if dist is
 * not NULL.  The rows go in super-blocks of sbchunks chunks, one thread
 * each; with part (k x d per super-block) each super-block also sums its
 * rows by cluster, in row order, while they are in cache.
 */
static void
ws_assign(struct ws *w, const double *c, size_t k, size_t *assign,
    double *dist, double *part, size_t sbchunks)
{
	size_t d = w->d, nb = (w->n + CHUNK - 1) / CHUNK;
	long sb, nsb = (long)((nb + sbchunks - 1) / sbchunks);
	double cnorm = sqrt(w->cmax);

#pragma omp parallel for schedule(dynamic, 1)
	for (sb = 0; sb < nsb; sb++) {
	    size_t b, b1 = ((size_t)sb + 1) * sbchunks;
	    double *ps = part ? part + (size_t)sb * k * d : NULL;

	    if (ps)
		    memset(ps, 0, k * d * sizeof(double));
	    for (b = (size_t)sb * sbchunks; b < b1 && b < nb; b++) {
		size_t r0 = b * CHUNK, i, j, jb;
		size_t rows = w->n - r0 < CHUNK ? w->n - r0 : CHUNK;
		int tid = omp_get_thread_num();
		const double *g = NULL;
		const float *gf = NULL;
		/* a float row's products in double, times 1 / its divisor
		   (the double products' room, unused with float32 ones) */
		double *pd = w->g + (size_t)tid * CHUNK * w->m;

		if (w->f32)
			gf = ws_chunk_f(w, tid, r0, rows, k);
		else
			g = ws_chunk(w, tid, r0, rows, k);
		for (i = 0; i < rows; i++) {
			/* the row in double, when the pass needs it */
			const double *xi = NULL;
			double rd, margin = ws_row_margin(w, r0 + i, cnorm,
			    &rd);
			double best = INFINITY, second = INFINITY, v;

			/*
			 * The products times 1 / rd, not divided by it: they
			 * only choose, within the margin, which takes the
			 * extra rounding many times over (ws_keep_f32), and
			 * a multiplication costs a fraction of a division.
			 */
			if (gf)
				nsl_vec_f32_mul(pd, gf + i * k, 1.0 / rd, k);
#define PROD(j) (gf ? pd[j] : g[i * k + (j)])
			jb = 0;
			for (j = 0; j < k; j++) {
				v = w->csq[j] - 2.0 * PROD(j);
				if (v < best) {
					second = best;
					best = v;
					jb = j;
				} else if (v < second)
					second = v;
			}
			if (second - best <= margin) {
				double eb = INFINITY, e;

				xi = ws_row(w, r0 + i, ws_tbuf(w, tid));
				for (j = 0; j < k; j++) {
					v = w->csq[j] - 2.0 * PROD(j);
					if (v > best + margin)
						continue;
					e = nsl_vec_sqdist(xi, c + j * d, d);
					if (e < eb) {
						eb = e;
						jb = j;
					}
				}
			}
#undef PROD
			assign[r0 + i] = jb;
			if (ps) {
				double *pc = ps + jb * d;

				if (xi == NULL)
					xi = ws_row(w, r0 + i,
					    ws_tbuf(w, tid));
				for (j = 0; j < d; j++)
					pc[j] += xi[j];
			}
		}
		if (dist)
			chunk_dists(w, tid, r0, rows, c, assign, dist);
	    }
	}
}

/*
 * Whether the nd numbers of X are all finite: the exponent's bits not all
 * set, tested on the bits so that the loop vectorises, on every thread.
 */
static int
all_finite(const struct rows *X, size_t nd)
{
	long i;
	int bad = 0;

	if (X->x) {
#pragma omp parallel for schedule(static) reduction(|:bad)
		for (i = 0; i < (long)nd; i++) {
			uint64_t u;

			memcpy(&u, &X->x[i], sizeof(u));
			bad |= (~u & 0x7ff0000000000000u) == 0;
		}
	} else {
#pragma omp parallel for schedule(static) reduction(|:bad)
		for (i = 0; i < (long)nd; i++) {
			uint32_t u;

			memcpy(&u, &X->xs[i], sizeof(u));
			bad |= (~u & 0x7f800000u) == 0;
		}
	}
	return !bad;
}

static int
check_args(const struct rows *X, size_t n, size_t d, size_t k,
    struct nsl_err *err)
{
	size_t i;

	if (k == 0)
		return nsl_err_set(err, NSL_EX_USAGE, "k-means: k must be at least 1");
	if (n == 0 || d == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "k-means: no data");
	if (k > n)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "k-means: k = %zu is larger than the number of records (%zu)",
		    k, n);
	if (all_finite(X, n * d))
		return 0;
	for (i = 0; i < n * d; i++)
		if (!(X->x ? isfinite(X->x[i]) : isfinite(X->xs[i])))
			break;
	return nsl_err_set(err, NSL_EX_DATAERR,
	    "k-means: non-finite value in row %zu", i / d + 1);
}

/*
 * Squared distance in double, in eight interleaved partial sums added in
 * a fixed order: as exact as one running sum (within gamma_d of the
 * value), but not held to the latency of one chain of additions.  The
 * seeding takes many of these; the same numbers whatever the compiler
 * makes of the lanes (no contraction in ISO C mode).
 */
static double
sqdist8(const double *a, const double *b, size_t d)
{
	double s[8] = { 0 }, t;
	size_t i, l;

	for (i = 0; i + 8 <= d; i += 8)
		for (l = 0; l < 8; l++) {
			t = a[i + l] - b[i + l];
			s[l] += t * t;
		}
	for (l = 0; i < d; i++, l++) {
		t = a[i] - b[i];
		s[l] += t * t;
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/*
 * sqdist8(ws_row(w, i, buf), c, d) without the row buffer: a float row is
 * converted (and divided) as it is summed, number by number as ws_row()
 * makes it, into the same eight lanes, so the same double.  With divide
 * set each number is divided by dv, the row's divisor.
 */
static inline __attribute__((always_inline)) double
f32_sqdist8(const float *f, int divide, double dv, const double *c, size_t d)
{
	double s[8] = { 0 }, t;
	size_t i, l;

	if (divide)
		for (i = 0; i + 8 <= d; i += 8)
			for (l = 0; l < 8; l++) {
				t = (double)f[i + l] / dv - c[i + l];
				s[l] += t * t;
			}
	else
		for (i = 0; i + 8 <= d; i += 8)
			for (l = 0; l < 8; l++) {
				t = (double)f[i + l] - c[i + l];
				s[l] += t * t;
			}
	for (l = 0; i < d; i++, l++) {
		t = (divide ? (double)f[i] / dv : (double)f[i]) - c[i];
		s[l] += t * t;
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * The same in AVX2 lanes (no FMA: each product rounded, then each sum, as
 * the portable code does; ISO C mode contracts nothing either way).
 */
__attribute__((target("avx2")))
static double
f32_sqdist8_avx2(const float *f, int divide, double dv, const double *c,
    size_t d)
{
	return f32_sqdist8(f, divide, dv, c, d);
}
#endif

/* The exact distance of row i to c, as sqdist8(ws_row(w, i, ...), c). */
static double
ws_row_sqdist8(const struct ws *w, size_t i, const double *c)
{
	const float *f;
	double dv;

	if (w->x)
		return sqdist8(w->x + i * w->d, c, w->d);
	f = w->xs + i * w->d;
	dv = w->div ? w->div[i] : 1;
#if defined(__x86_64__) || defined(__i386__)
	if (__builtin_cpu_supports("avx2"))
		return f32_sqdist8_avx2(f, w->div != NULL, dv, c, w->d);
#endif
	return f32_sqdist8(f, w->div != NULL, dv, c, w->d);
}

/*
 * The seeding's candidates against every row, from the products.  Row
 * after candidate q lies at min(e, closest) with e its distance to q:
 * est[q * n + row] is cleared when the products show that q is surely no
 * nearer (the row stays at closest, exact), set when e must be made
 * exact to know.  Meanwhile each candidate's potential (the sum over the
 * rows of those distances) is bounded: part gets, for each chunk of
 * rows and each q, the sums of the lowest and highest values each row's
 * term may take, and of their magnitudes (pp_contenders).  Nothing per
 * row is kept but the flags: the estimates themselves are not needed
 * again.
 */
static void
pp_estimate(struct ws *w, size_t m, const double *closest,
    unsigned char *est, double *part)
{
	size_t n = w->n;
	long b, nb = (long)((n + CHUNK - 1) / CHUNK);
	double cnorm = sqrt(w->cmax);

#pragma omp parallel for schedule(dynamic, 1)
	for (b = 0; b < nb; b++) {
		size_t r0 = (size_t)b * CHUNK, ii, q;
		size_t rows = n - r0 < CHUNK ? n - r0 : CHUNK;
		int tid = omp_get_thread_num();
		const double *g = NULL;
		const float *gf = NULL;
		double *ps = part + (size_t)b * 3 * m;

		if (w->xall) {
			float *o = w->gf + (size_t)tid * CHUNK * m;

			ws_chunk_few(w, r0, rows, m, o);
			gf = o;
		} else if (w->f32)
			gf = ws_chunk_f(w, tid, r0, rows, m);
		else
			g = ws_chunk(w, tid, r0, rows, m);
		for (q = 0; q < 3 * m; q++)
			ps[q] = 0;
		for (ii = 0; ii < rows; ii++) {
			size_t row = r0 + ii;
			double xs = w->xsq[row], cl = closest[row];
			double rd, margin = ws_row_margin(w, row, cnorm, &rd);
			double rs = 1.0 / rd;	/* as in ws_assign */

			for (q = 0; q < m; q++) {
				double v = xs + w->csq[q] - 2.0 *
				    (gf ? (double)gf[ii * m + q] * rs :
				    g[ii * m + q]);
				double lo, hi;

				/* surely no nearer: keep the old */
				if (!(est[q * n + row] = !(v - margin > cl))) {
					lo = hi = cl;
				} else {
					lo = v - margin < cl ? v - margin : cl;
					hi = v + margin < cl ? v + margin : cl;
				}
				ps[3 * q] += lo;
				ps[3 * q + 1] += hi;
				ps[3 * q + 2] += fabs(lo) + fabs(hi);
			}
		}
	}
}

/*
 * Which candidates may have the least potential.  The exact potential of
 * q is the sum, in row order, of its rows' terms; each term lies within
 * the bounds pp_estimate summed (by chunk in part, added here in chunk
 * order), so the potential lies within those sums, widened by the
 * rounding of sums of n terms in any order.  A candidate whose lower
 * bound lies above another's upper bound has the larger potential for
 * certain: only the others (need[q] = 1) are made exact, and the least of
 * those is the least of all, the first on ties, as comparing every exact
 * potential would find.
 */
static void
pp_contenders(const struct ws *w, size_t m, const double *part,
    unsigned char *need)
{
	size_t nb = (w->n + CHUNK - 1) / CHUNK, q, b;
	double lo[PP_TRIALS_MAX], hi[PP_TRIALS_MAX], top = INFINITY;

	for (q = 0; q < m; q++) {
		double sl = 0, sh = 0, sabs = 0, slack;

		for (b = 0; b < nb; b++) {
			sl += part[b * 3 * m + 3 * q];
			sh += part[b * 3 * m + 3 * q + 1];
			sabs += part[b * 3 * m + 3 * q + 2];
		}
		/*
		 * Each of the three sums (these two, the exact one) lies within
		 * (n - 1) u of the sum of its terms' magnitudes, whatever the
		 * order of the adding, which sabs bounds (itself within that
		 * of the true sum); four times that, as the margins are
		 * doubled.
		 */
		slack = 4.0 * (double)(w->n + 1) * DBL_EPSILON * sabs +
		    DBL_MIN;
		lo[q] = sl - slack;
		hi[q] = sh + slack;
		if (hi[q] < top)
			top = hi[q];
	}
	for (q = 0; q < m; q++)
		need[q] = !(lo[q] > top);
}

/*
 * Candidate c's terms: term[row] = min(e, closest[row]), e the row's
 * exact distance to c, where est says e is needed, else closest[row].
 */
static void
pp_terms(const struct ws *w, const double *c, const double *closest,
    const unsigned char *est, double *term)
{
	size_t n = w->n;
	long b, nb = (long)((n + CHUNK - 1) / CHUNK);

#pragma omp parallel for schedule(dynamic, 1)
	for (b = 0; b < nb; b++) {
		size_t r0 = (size_t)b * CHUNK, row;
		size_t r1 = n - r0 < CHUNK ? n : r0 + CHUNK;

		for (row = r0; row < r1; row++) {
			double v, cl = closest[row];

			if (!est[row]) {
				term[row] = cl;
				continue;
			}
			v = ws_row_sqdist8(w, row, c);
			term[row] = v < cl ? v : cl;
		}
	}
}

/*
 * Greedy k-means++ (scikit-learn's _kmeans_plusplus): the first centre
 * uniformly at random; then, for each next centre, 2 + floor(ln k)
 * candidates drawn with probability proportional to the squared distance
 * to the nearest chosen centre, keeping the candidate that lowers the
 * potential (the sum of those distances) most.  Only the candidates that
 * may have the least potential get exact distances (pp_contenders): the
 * same choice, and the same sums, as with every potential made exact.
 */
static int
init_pp(struct ws *w, size_t k, uint64_t seed, double *centroids,
    struct nsl_err *err)
{
	size_t n = w->n, d = w->d;
	size_t ntrial = 2 + (size_t)log((double)k);
	size_t nb = (n + CHUNK - 1) / CHUNK;
	/*
	 * Per row: the distance to the nearest centre chosen (closest), the
	 * terms of the best candidate so far and of the one being summed
	 * (the latter also the running sums the next centre is drawn by),
	 * and a byte a candidate (est): 24 + 2 + floor(ln k) bytes a row,
	 * 30 at k = 100.  Each candidate's terms are made and summed in
	 * turn, not kept side by side.
	 */
	double *closest = NULL, *tbest = NULL, *twork = NULL, *pot = NULL;
	double *cpts = NULL, *part = NULL, *t2;
	unsigned char *est = NULL, need[PP_TRIALS_MAX];
	size_t *cid = NULL;
	gsl_rng *r = NULL;
	size_t c, t, i;
	double current = 0;
	int rc = -1;

	closest = malloc(n * sizeof(double));
	tbest = malloc(n * sizeof(double));
	twork = malloc(n * sizeof(double));
	est = malloc(ntrial * n);
	part = malloc(nb * 3 * ntrial * sizeof(double));
	pot = malloc(ntrial * sizeof(double));
	cpts = malloc(ntrial * d * sizeof(double));
	cid = malloc(ntrial * sizeof(size_t));
	r = nsl_rng_new(seed, 0);
	if (!closest || !tbest || !twork || !est || !part || !pot || !cpts ||
	    !cid || !r) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "k-means: out of memory");
		goto out;
	}
	cid[0] = gsl_rng_uniform_int(r, n);
	memcpy(centroids, ws_row(w, cid[0], w->rowbuf), d * sizeof(double));
	for (i = 0; i < n; i++)
		closest[i] = INFINITY;
	for (c = 0; c < k; c++) {
		size_t m = c == 0 ? 1 : ntrial, best;
		double s, *cum = twork;

		if (c > 0) {
			for (s = 0, i = 0; i < n; i++) {
				s += closest[i];
				cum[i] = s;
			}
			for (t = 0; t < m; t++) {
				double u = gsl_rng_uniform(r) * current;
				size_t lo = 0, hi = n;

				/* first index with cum >= u (searchsorted left) */
				while (lo < hi) {
					size_t mid = lo + (hi - lo) / 2;

					if (cum[mid] < u)
						lo = mid + 1;
					else
						hi = mid;
				}
				cid[t] = lo < n ? lo : n - 1;
			}
		}
		for (t = 0; t < m; t++)
			memcpy(cpts + t * d, ws_row(w, cid[t], w->rowbuf),
			    d * sizeof(double));
		ws_centres(w, cpts, m);
		pp_estimate(w, m, closest, est, part);
		pp_contenders(w, m, part, need);
		/* each contender's terms made exact and summed in row order */
		best = m;
		for (t = 0; t < m; t++) {
			if (!need[t])
				continue;
			pp_terms(w, cpts + t * d, closest, est + t * n, twork);
			for (s = 0, i = 0; i < n; i++)
				s += twork[i];
			pot[t] = s;
			if (best == m || s < pot[best]) {
				best = t;
				t2 = tbest;
				tbest = twork;
				twork = t2;
			}
		}
		current = pot[best];
		/* the best candidate's terms are the rows' new distances */
		t2 = closest;
		closest = tbest;
		tbest = t2;
		memcpy(centroids + c * d, ws_row(w, cid[best], w->rowbuf),
		    d * sizeof(double));
	}
	rc = 0;
out:
	free(closest);
	free(tbest);
	free(twork);
	free(est);
	free(part);
	free(pot);
	free(cpts);
	free(cid);
	if (r)
		gsl_rng_free(r);
	return rc;
}

int
nsl_kmeans_init_pp(const double *x, size_t n, size_t d, size_t k,
    uint64_t seed, double *centroids, struct nsl_err *err)
{
	struct rows X = { x, NULL, NULL };
	struct ws w;
	int rc;

	if (check_args(&X, n, d, k, err) < 0)
		return -1;
	if (ws_init(&w, &X, n, d, 2 + (size_t)log((double)k), err) < 0)
		return -1;
	ws_keep_f32(&w);
	rc = init_pp(&w, k, seed, centroids, err);
	ws_release(&w);
	return rc;
}

/*
 * Squared distance of row i (as ws_at() reads it) to c, summed as
 * nsl_vec_sqdist() sums: for when there is no room for a row buffer.
 */
static double
row_sqdist(const struct ws *w, size_t i, const double *c)
{
	double s = 0, t;
	size_t j;

	for (j = 0; j < w->d; j++) {
		t = ws_at(w, i, j) - c[j];
		s += t * t;
	}
	return s;
}

static double
assign_rows(const struct rows *X, size_t n, size_t d,
    const double *centroids, size_t k, size_t *assign, double *dist)
{
	struct ws w;
	struct nsl_err err;
	double s = 0, e, *own;
	size_t i, j;

	if (n == 0 || k == 0 || d == 0)
		return 0;
	if (ws_init(&w, X, n, d, k, &err) < 0) {
		/* no room for the work space: the plain exact loop */
		w.x = X->x;
		w.xs = X->xs;
		w.div = X->div;
		w.d = d;
		for (i = 0; i < n; i++) {
			size_t jb = 0;
			double eb = INFINITY;

			for (j = 0; j < k; j++) {
				e = row_sqdist(&w, i, centroids + j * d);
				if (e < eb) {
					eb = e;
					jb = j;
				}
			}
			assign[i] = jb;
			if (dist)
				dist[i] = eb;
			s += eb;
		}
		return s;
	}
	ws_centres(&w, centroids, k);
	/* the distances found on every thread, then summed in row order */
	own = dist == NULL ? malloc((n + 1) * sizeof(double)) : NULL;
	ws_assign(&w, centroids, k, assign, dist ? dist : own, NULL, 1);
	for (i = 0; i < n; i++)
		s += dist ? dist[i] : own ? own[i] : nsl_vec_sqdist(ws_row(&w,
		    i, w.rowbuf), centroids + assign[i] * d, d);
	free(own);
	ws_release(&w);
	return s;
}

double
nsl_kmeans_assign(const double *x, size_t n, size_t d,
    const double *centroids, size_t k, size_t *assign, double *dist)
{
	struct rows X = { x, NULL, NULL };

	return assign_rows(&X, n, d, centroids, k, assign, dist);
}

double
nsl_kmeans_assign_f32(const float *x, const double *div, size_t n, size_t d,
    const double *centroids, size_t k, size_t *assign, double *dist)
{
	struct rows X = { NULL, x, div };

	return assign_rows(&X, n, d, centroids, k, assign, dist);
}

/* Order for the empty-cluster relocation: farther first, then lower index. */
static int
cmp_far(const void *a, const void *b, void *arg)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const double *dist = arg;

	if (dist[i] > dist[j])
		return -1;
	if (dist[i] < dist[j])
		return 1;
	return i < j ? -1 : i > j;
}

/*
 * New centres from the assignment: sums in index order per cluster, the
 * empty clusters given the farthest points (as scikit-learn's
 * _relocate_empty_clusters_dense), then the means.  old holds the centres
 * the assignment was made with.  A cluster left without points sits at the
 * data mean: the origin of scikit-learn's centred coordinates.
 */
static int
update_centres(const struct ws *w, size_t n, size_t d, size_t k,
    const size_t *assign, const double *old, const double *mean,
    const double *part, size_t nsb, double *newc, struct nsl_err *err)
{
	size_t *fill = calloc(k, sizeof(size_t));
	size_t i, j, t, nempty = 0;

	if (!fill)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "k-means: out of memory");
	/*
	 * Sums in row order: each centre's sum runs over its rows in order.
	 * The threads take blocks of 8 columns (a cache line) each, so the
	 * order of every sum is the same whatever the thread count.
	 */
	memset(newc, 0, k * d * sizeof(double));
	for (i = 0; i < n; i++)
		fill[assign[i]]++;
	if (part) {
		/* the super-blocks' sums, in super-block order */
		size_t sb;

		for (sb = 0; sb < nsb; sb++)
			for (i = 0; i < k * d; i++)
				newc[i] += part[sb * k * d + i];
	} else {
		long cb, ncb = (long)((d + 7) / 8);

#pragma omp parallel for schedule(static) if (n * d > 100000)
		for (cb = 0; cb < ncb; cb++) {
			size_t t0 = (size_t)cb * 8, t1 = t0 + 8 < d ? t0 + 8 : d;
			size_t ii, tt;

			for (ii = 0; ii < n; ii++) {
				double *c = newc + assign[ii] * d;

				if (w->x) {
					const double *xi = w->x + ii * d;

					for (tt = t0; tt < t1; tt++)
						c[tt] += xi[tt];
				} else
					for (tt = t0; tt < t1; tt++)
						c[tt] += ws_at(w, ii, tt);
			}
		}
	}
	for (j = 0; j < k; j++)
		if (fill[j] == 0)
			nempty++;
	if (nempty > 0) {
		double *dist = malloc(n * sizeof(double));
		size_t *order = malloc(n * sizeof(size_t));
		size_t *empty = malloc(nempty * sizeof(size_t));
		size_t e = 0;

		if (!dist || !order || !empty) {
			free(dist);
			free(order);
			free(empty);
			free(fill);
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "k-means: out of memory");
		}
		for (i = 0; i < n; i++) {
			dist[i] = nsl_vec_sqdist(ws_row(w, i, w->rowbuf),
			    old + assign[i] * d, d);
			order[i] = i;
		}
		qsort_r(order, n, sizeof(size_t), cmp_far, dist);
		/* the clusters empty now, not those emptied on the way */
		for (j = 0; j < k; j++)
			if (fill[j] == 0)
				empty[e++] = j;
		for (e = 0; e < nempty && e < n; e++) {
			size_t far = order[e], from = assign[far];

			j = empty[e];
			for (t = 0; t < d; t++) {
				newc[from * d + t] -= ws_at(w, far, t);
				newc[j * d + t] = ws_at(w, far, t);
			}
			fill[j] = 1;
			fill[from]--;
		}
		free(dist);
		free(order);
		free(empty);
	}
	for (j = 0; j < k; j++) {
		if (fill[j] == 0) {
			memcpy(newc + j * d, mean, d * sizeof(double));
			continue;
		}
		for (t = 0; t < d; t++)
			newc[j * d + t] /= (double)fill[j];
	}
	free(fill);
	return 0;
}

static int
fit_rows(const struct rows *X, size_t n, size_t d,
    const struct nsl_kmeans_params *p, struct nsl_kmeans_result *res,
    struct nsl_err *err)
{
	struct ws w;
	size_t k = p->k, i, nb, sbchunks, nsb;
	double *newc = NULL, *dist = NULL, *part = NULL;
	size_t *old = NULL;
	double tol_abs = 0;
	int it, strict = 0, rc = -1;

	if (check_args(X, n, d, k, err) < 0)
		return -1;
	if (p->init_given)
		for (i = 0; i < k * d; i++)
			if (!isfinite(res->centroids[i]))
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "k-means: non-finite initial centre %zu",
				    i / d + 1);
	if (ws_init(&w, X, n, d, k > 2 + (size_t)log((double)k) ? k :
	    2 + (size_t)log((double)k), err) < 0)
		return -1;
	ws_keep_f32(&w);
	newc = malloc(k * d * sizeof(double));
	dist = malloc(n * sizeof(double));
	old = malloc(n * sizeof(size_t));
	if (!newc || !dist || !old) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "k-means: out of memory");
		goto out;
	}
	/*
	 * Super-blocks of at least SB_CHUNKS chunks, at most SB_MAX of them,
	 * each with its k x d partial sums if those fit in SB_BYTES; else
	 * the sums are a separate pass.  Fixed by n, k and d alone.
	 */
	nb = (n + CHUNK - 1) / CHUNK;
	sbchunks = (nb + SB_MAX - 1) / SB_MAX;
	if (sbchunks < SB_CHUNKS)
		sbchunks = SB_CHUNKS;
	nsb = (nb + sbchunks - 1) / sbchunks;
	if ((double)nsb * (double)k * (double)d * sizeof(double) <= SB_BYTES)
		part = malloc(nsb * k * d * sizeof(double));
	if (part == NULL)
		sbchunks = 1;
	if (!p->init_given && init_pp(&w, k, p->seed, res->centroids, err) < 0)
		goto out;
	/* tol relative to the mean per-feature variance (sklearn _tolerance) */
	if (p->tol > 0)
		tol_abs = p->tol * w.spread / ((double)n * (double)d);
	for (i = 0; i < n; i++)
		old[i] = (size_t)-1;
	res->iterations = 0;
	for (it = 0; it < p->max_iter; it++) {
		double shift = 0;

		ws_centres(&w, res->centroids, k);
		ws_assign(&w, res->centroids, k, res->assign, NULL, part,
		    sbchunks);
		if (update_centres(&w, n, d, k, res->assign, res->centroids,
		    w.mean, part, nsb, newc, err) < 0)
			goto out;
		for (i = 0; i < k * d; i++) {
			double t = newc[i] - res->centroids[i];

			shift += t * t;
		}
		memcpy(res->centroids, newc, k * d * sizeof(double));
		res->iterations = it + 1;
		if (memcmp(old, res->assign, n * sizeof(size_t)) == 0) {
			strict = 1;
			break;
		}
		if (shift <= tol_abs)
			break;
		memcpy(old, res->assign, n * sizeof(size_t));
	}
	/*
	 * Converged: the assignment stands (the new centres are its means).
	 * Otherwise assign the rows to the final centres.
	 */
	if (strict) {
		long li;

		/* each row alone: the same numbers on any number of threads */
#pragma omp parallel for schedule(static)
		for (li = 0; li < (long)n; li++)
			dist[li] = nsl_vec_sqdist(ws_row(&w, (size_t)li,
			    ws_buf(&w)), res->centroids + res->assign[li] * d,
			    d);
	} else {
		ws_centres(&w, res->centroids, k);
		ws_assign(&w, res->centroids, k, res->assign, dist, NULL, 1);
	}
	res->inertia = 0;
	for (i = 0; i < n; i++)
		res->inertia += dist[i];
	rc = 0;
out:
	free(newc);
	free(dist);
	free(old);
	free(part);
	ws_release(&w);
	return rc;
}

int
nsl_kmeans_fit(const double *x, size_t n, size_t d,
    const struct nsl_kmeans_params *p, struct nsl_kmeans_result *res,
    struct nsl_err *err)
{
	struct rows X = { x, NULL, NULL };

	return fit_rows(&X, n, d, p, res, err);
}

int
nsl_kmeans_fit_f32(const float *x, const double *div, size_t n, size_t d,
    const struct nsl_kmeans_params *p, struct nsl_kmeans_result *res,
    struct nsl_err *err)
{
	struct rows X = { NULL, x, div };

	return fit_rows(&X, n, d, p, res, err);
}

/* div[i] of a row whose norm is nx: the norm, or 1 for a zero row */
static inline double
unit_divisor(double nx)
{
	/*
	 * A float row's norm lies within 2^-149 and 2^129 sqrt(d):
	 * nsl_vec_normalize_rows() divides by it without rescaling.  A zero
	 * row stays as it is: x / 1.
	 */
	return nx == 0 ? 1 : nx;
}

/* Rows [i, i + 4) (all within n) by nsl_vec_dot4, through b (4 d). */
static void
unit_divisors4(const float *x, size_t i, size_t d, double *div, double *b)
{
	const double *r[4] = { b, b + d, b + 2 * d, b + 3 * d };
	double s[4];
	size_t t, q;

	for (q = 0; q < 4; q++)
		for (t = 0; t < d; t++)
			b[q * d + t] = (double)x[(i + q) * d + t];
	nsl_vec_dot4(r, r, d, s);
	for (q = 0; q < 4; q++)
		div[i + q] = unit_divisor(nsl_vec_norm_of_sum(r[q], d, s[q]));
}

void
nsl_kmeans_unit_divisors(const float *x, size_t n, size_t d, double *div,
    double *buf)
{
	int nt = omp_get_max_threads();
	double *bufs = malloc((size_t)nt * 4 * (d ? d : 1) * sizeof(double));
	size_t i, t;
	long g, ng = (long)(n / 4);

	/*
	 * Four rows at a time, their sums advancing together: the same
	 * norms as one row at a time (nsl_vec_dot4).  Rows are independent:
	 * four rows' buffer a thread.
	 */
	if (bufs != NULL) {
#pragma omp parallel for schedule(static)
		for (g = 0; g < ng; g++)
			unit_divisors4(x, (size_t)g * 4, d, div, bufs +
			    (size_t)omp_get_thread_num() * 4 * d);
		free(bufs);
		i = (size_t)ng * 4;
	} else
		i = 0;
	/* the rows left (and all of them without room): buf alone */
	for (; i < n; i++) {
		for (t = 0; t < d; t++)
			buf[t] = (double)x[i * d + t];
		div[i] = unit_divisor(nsl_vec_norm(buf, d));
	}
}
