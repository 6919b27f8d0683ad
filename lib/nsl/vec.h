/*
 * vec.h - dense vectors and row-major matrices of doubles.
 *
 * A matrix is a plain double * with n rows of d numbers, row i at x + i*d:
 * the layout BLAS and OpenMP loops want and the one nsl_dataset_read()
 * fills.  Nothing here allocates except where it says so.
 *
 * For direct BLAS calls: OpenBLAS's <cblas.h> and GSL's headers declare
 * the same enums differently, so a file that includes GSL's linear
 * algebra, eigen or randist headers includes <gsl/gsl_cblas.h> instead
 * (OpenBLAS provides the symbols either way).
 */
#ifndef NSL_VEC_H
#define NSL_VEC_H

#include <stddef.h>

double nsl_vec_dot(const double *a, const double *b, size_t n);
double nsl_vec_sqdist(const double *a, const double *b, size_t n);
/* nsl_vec_sqdist(a, (double)b[0 .. n)): the same bits, b float32. */
double nsl_vec_sqdist_f32(const double *a, const float *b, size_t n);

/*
 * The L2 norm, without overflow or underflow on the way (as BLAS dnrm2
 * and hypot): inf only when the norm itself is past DBL_MAX.  Vectors
 * whose squares sum inside [2^-500, 2^500] take the plain sum.
 */
double nsl_vec_norm(const double *a, size_t n);

/*
 * out[r] = a[r] . b[r] for four pairs of rows of n numbers, each sum the
 * bits nsl_vec_dot gives (its own order, one add after another).  The
 * four sums advance together: a single dot product waits on each add in
 * turn, four of them keep the adder busy (rows scored one after another
 * by their norm and a product).
 */
void nsl_vec_dot4(const double *const a[4], const double *const b[4],
    size_t n, double out[4]);

/* out[i] = (double)f[i] / dv for i < n (a float row normalised) */
void nsl_vec_f32_div(double *out, const float *f, double dv, size_t n);

/* out[i] = (double)f[i] * s for i < n, two numbers an instruction */
void nsl_vec_f32_mul(double *out, const float *f, double s, size_t n);

/* nsl_vec_sqdist of four pairs of rows, as nsl_vec_dot4 (the same bits) */
void nsl_vec_sqdist4(const double *const a[4], const double *const b[4],
    size_t n, double out[4]);

/*
 * nsl_vec_norm of a row whose squares summed (nsl_vec_dot(a, a, n)) to s:
 * sqrt(s) when s is in the plain range, else nsl_vec_norm(a, n).
 */
double nsl_vec_norm_of_sum(const double *a, size_t n, double s);

/*
 * Scale each row of x to unit L2 norm; a zero row stays zero.  Rows of
 * any finite magnitude (1e308, 5e-324) come out as unit vectors.
 */
void nsl_vec_normalize_rows(double *x, size_t n, size_t d);

/*
 * Numbers far from 1 in magnitude.  A kernel whose squares, sums or
 * products would overflow or underflow on data of any finite size scales
 * the data by a power of two -- exact -- and its answer back.
 * nsl_vec_range_exp() returns the k for which the largest |x_i| times
 * 2^k lies in [1/2, 1), when that largest lies outside [2^-lim, 2^(lim+1));
 * otherwise (and for zero or non-finite data) 0, so that data of ordinary
 * size is computed exactly as before.  nsl_vec_scale_exp() multiplies
 * x[0..n) by 2^k.
 */
int nsl_vec_range_exp(const double *x, size_t n, int lim);
void nsl_vec_scale_exp(double *x, size_t n, int k);

/* out[i] = ||x_i||^2 for the n rows of x. */
void nsl_vec_row_sqnorms(const double *x, size_t n, size_t d, double *out);

/*
 * out[i*m + j] = ||a_i - b_j||^2 for the rows of a (n x d) and b (m x d),
 * from ||a||^2 + ||b||^2 - 2 a.b with the cross term by one dgemm, clamped
 * at 0 (cancellation can make it slightly negative).  asq and bsq are the
 * rows' squared norms (nsl_vec_row_sqnorms).  The relative error of an
 * entry is about machine epsilon times ||a||^2 / ||a - b||^2: callers
 * that need small distances exactly recompute them with nsl_vec_sqdist.
 */
void nsl_vec_sqdist_matrix(const double *a, size_t n, const double *asq,
    const double *b, size_t m, const double *bsq, size_t d, double *out);

/*
 * C = alpha op(A) op(B) + beta C for row-major matrices, op(X) the
 * transpose when trans_x: M x K times K x N into M x N, with leading
 * dimensions lda, ldb, ldc.  Parallel (OpenMP) over fixed blocks of
 * NSL_VEC_GEMM_BLOCK rows (or columns, whichever are more) of C, each one
 * single-threaded BLAS call, so every entry is the same whatever the
 * number of threads.  Call between nsl_vec_blas_serial() and
 * nsl_vec_blas_restore().
 */
#define NSL_VEC_GEMM_BLOCK 64
void nsl_vec_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
    double alpha, const double *A, size_t lda, const double *B, size_t ldb,
    double beta, double *C, size_t ldc);

/*
 * Debian's OpenBLAS is its pthread build, whose threads must not start
 * inside OpenMP threads.  Code that calls BLAS from OpenMP regions makes
 * BLAS single-threaded for the while: nsl_vec_blas_serial() does so and
 * returns the previous thread count, nsl_vec_blas_restore() puts it back.
 */
int nsl_vec_blas_serial(void);
void nsl_vec_blas_restore(int threads);

#endif
