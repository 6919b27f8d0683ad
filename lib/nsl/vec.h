/*
 * vec.h - dense vectors and row-major matrices of doubles.
 *
 * A matrix is a plain double * with n rows of d numbers, row i at x + i*d:
 * the layout BLAS and OpenMP loops want and the one nsl_dataset_read()
 * fills.  Nothing here allocates except where it says so.
 */
#ifndef NSL_VEC_H
#define NSL_VEC_H

#include <stddef.h>

double nsl_vec_dot(const double *a, const double *b, size_t n);
double nsl_vec_sqdist(const double *a, const double *b, size_t n);
double nsl_vec_norm(const double *a, size_t n);

/* Scale each row of x to unit L2 norm; a zero row stays zero. */
void nsl_vec_normalize_rows(double *x, size_t n, size_t d);

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

#endif
