/* vec.c - dense vector helpers (see nsl/vec.h). */
#include <math.h>

#include <cblas.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nsl/vec.h"

double
nsl_vec_dot(const double *a, const double *b, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

double
nsl_vec_sqdist(const double *a, const double *b, size_t n)
{
	double s = 0, t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = a[i] - b[i];
		s += t * t;
	}
	return s;
}

double
nsl_vec_sqdist_f32(const double *a, const float *b, size_t n)
{
	double s = 0, t;
	size_t i;

	/* nsl_vec_sqdist's order of operations, so the same bits */
	for (i = 0; i < n; i++) {
		t = a[i] - (double)b[i];
		s += t * t;
	}
	return s;
}

/* Squares from 2^-500 to 2^500 neither overflow nor lose digits. */
#define SAFE_SQ_LO 0x1p-500
#define SAFE_SQ_HI 0x1p500

static double
max_abs(const double *a, size_t n)
{
	double m = 0, t;
	size_t i;

	for (i = 0; i < n; i++)
		if ((t = fabs(a[i])) > m)
			m = t;
	return m;
}

double
nsl_vec_norm(const double *a, size_t n)
{
	double s = nsl_vec_dot(a, a, n), m, t;
	size_t i;
	int e;

	if (s >= SAFE_SQ_LO && s <= SAFE_SQ_HI)
		return sqrt(s);
	/* as BLAS dnrm2 and hypot: in units of the largest magnitude */
	if ((m = max_abs(a, n)) == 0 || !isfinite(m))
		return isnan(s) ? s : m;
	e = ilogb(m);
	for (s = 0, i = 0; i < n; i++) {
		t = ldexp(a[i], -e);
		s += t * t;
	}
	return ldexp(sqrt(s), e);
}

/*
 * out[i] = (double)f[i] / s (divide) or * s, two numbers an instruction:
 * the divider takes a pair in about the time it takes one, and the
 * compiler leaves these loops scalar at -O2.  Each result is the
 * correctly rounded one either way.
 */
static inline void
f32_scale(double *out, const float *f, double s, size_t n, int divide)
{
	size_t i = 0;

#ifdef __SSE2__
	__m128d v = _mm_set1_pd(s);

	for (; i + 4 <= n; i += 4) {
		__m128d a = _mm_cvtps_pd(_mm_castsi128_ps(
		    _mm_loadl_epi64((const void *)(f + i))));
		__m128d b = _mm_cvtps_pd(_mm_castsi128_ps(
		    _mm_loadl_epi64((const void *)(f + i + 2))));

		_mm_storeu_pd(out + i, divide ? _mm_div_pd(a, v) :
		    _mm_mul_pd(a, v));
		_mm_storeu_pd(out + i + 2, divide ? _mm_div_pd(b, v) :
		    _mm_mul_pd(b, v));
	}
#endif
	for (; i < n; i++)
		out[i] = divide ? (double)f[i] / s : (double)f[i] * s;
}

void
nsl_vec_f32_div(double *out, const float *f, double dv, size_t n)
{
	f32_scale(out, f, dv, n, 1);
}

void
nsl_vec_f32_mul(double *out, const float *f, double s, size_t n)
{
	f32_scale(out, f, s, n, 0);
}

double
nsl_vec_norm_of_sum(const double *a, size_t n, double s)
{
	if (s >= SAFE_SQ_LO && s <= SAFE_SQ_HI)
		return sqrt(s);
	return nsl_vec_norm(a, n);
}

void
nsl_vec_dot4(const double *const a[4], const double *const b[4], size_t n,
    double out[4])
{
	const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
	const double *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		s0 += a0[i] * b0[i];
		s1 += a1[i] * b1[i];
		s2 += a2[i] * b2[i];
		s3 += a3[i] * b3[i];
	}
	out[0] = s0;
	out[1] = s1;
	out[2] = s2;
	out[3] = s3;
}

void
nsl_vec_sqdist4(const double *const a[4], const double *const b[4], size_t n,
    double out[4])
{
	const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
	const double *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0, t1, t2, t3;
	size_t i;

	for (i = 0; i < n; i++) {
		t0 = a0[i] - b0[i];
		t1 = a1[i] - b1[i];
		t2 = a2[i] - b2[i];
		t3 = a3[i] - b3[i];
		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	out[0] = s0;
	out[1] = s1;
	out[2] = s2;
	out[3] = s3;
}

int
nsl_vec_range_exp(const double *x, size_t n, int lim)
{
	double m = max_abs(x, n);
	int e;

	if (m == 0 || !isfinite(m))
		return 0;
	e = ilogb(m);
	return e >= -lim && e <= lim ? 0 : -(e + 1);
}

void
nsl_vec_scale_exp(double *x, size_t n, int k)
{
	size_t i;

	for (i = 0; k != 0 && i < n; i++)
		x[i] = ldexp(x[i], k);
}

void
nsl_vec_normalize_rows(double *x, size_t n, size_t d)
{
	size_t i, j;
	double norm;
	int k;

	for (i = 0; i < n; i++) {
		norm = nsl_vec_norm(x + i * d, d);
		if (norm == 0)
			continue;
		/* a norm past DBL_MAX (or near 0): divide in scaled units */
		if (!(norm >= SAFE_SQ_LO && norm <= SAFE_SQ_HI) &&
		    (k = nsl_vec_range_exp(x + i * d, d, 0)) != 0) {
			nsl_vec_scale_exp(x + i * d, d, k);
			norm = nsl_vec_norm(x + i * d, d);
		}
		for (j = 0; j < d; j++)
			x[i * d + j] /= norm;
	}
}

void
nsl_vec_row_sqnorms(const double *x, size_t n, size_t d, double *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = nsl_vec_dot(x + i * d, x + i * d, d);
}

int
nsl_vec_blas_serial(void)
{
	int threads = openblas_get_num_threads();

	openblas_set_num_threads(1);
	return threads;
}

void
nsl_vec_blas_restore(int threads)
{
	if (threads > 0)
		openblas_set_num_threads(threads);
}

void
nsl_vec_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
    double alpha, const double *A, size_t lda, const double *B, size_t ldb,
    double beta, double *C, size_t ldc)
{
	enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
	int byrow = M >= N;
	size_t len = byrow ? M : N;
	size_t nblk = (len + NSL_VEC_GEMM_BLOCK - 1) / NSL_VEC_GEMM_BLOCK;
	long q;

	if (M == 0 || N == 0)
		return;
	/* the blocks, not the threads, fix which products are summed */
#pragma omp parallel for schedule(dynamic) if ((double)M * N * K > 4e6)
	for (q = 0; q < (long)nblk; q++) {
		size_t a = (size_t)q * NSL_VEC_GEMM_BLOCK;
		size_t nb = len - a < NSL_VEC_GEMM_BLOCK ? len - a :
		    NSL_VEC_GEMM_BLOCK;

		if (byrow)
			cblas_dgemm(CblasRowMajor, ta, tb, (int)nb, (int)N,
			    (int)K, alpha, trans_a ? A + a : A + a * lda,
			    (int)lda, B, (int)ldb, beta, C + a * ldc, (int)ldc);
		else
			cblas_dgemm(CblasRowMajor, ta, tb, (int)M, (int)nb,
			    (int)K, alpha, A, (int)lda,
			    trans_b ? B + a * ldb : B + a, (int)ldb, beta,
			    C + a, (int)ldc);
	}
}

void
nsl_vec_sqdist_matrix(const double *a, size_t n, const double *asq,
    const double *b, size_t m, const double *bsq, size_t d, double *out)
{
	size_t i, j;
	double v;

	if (n == 0 || m == 0)
		return;
	/* out = -2 a b^T, then add the norms */
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m,
	    (int)d, -2.0, a, (int)d, b, (int)d, 0.0, out, (int)m);
	for (i = 0; i < n; i++)
		for (j = 0; j < m; j++) {
			v = out[i * m + j] + asq[i] + bsq[j];
			out[i * m + j] = v > 0 ? v : 0;
		}
}
