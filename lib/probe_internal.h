/*
 * probe_internal.h - private to lib/probe.c and lib/embed.c: a dgemm
 * whose results do not depend on the number of threads.
 */
#ifndef NSL_PROBE_INTERNAL_H
#define NSL_PROBE_INTERNAL_H

#include <stddef.h>

#include <gsl/gsl_cblas.h>	/* OpenBLAS provides the symbols */

/* OpenBLAS's own; not in gsl_cblas.h */
void openblas_set_num_threads(int);

#define NSL_GEMM_BLOCK 64	/* rows or columns of C per task */

/*
 * C = alpha op(A) op(B) + beta C (row-major), parallel (OpenMP) over fixed
 * blocks of NSL_GEMM_BLOCK rows (or columns, whichever are more) of C,
 * each a single-threaded dgemm: every entry is the same whatever the
 * number of threads, because the calls made do not depend on it.  Call
 * openblas_set_num_threads(1) first.
 */
static inline void
nsl_pgemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, size_t M,
    size_t N, size_t K, double alpha, const double *A, size_t lda,
    const double *B, size_t ldb, double beta, double *C, size_t ldc)
{
	int byrow = M >= N;
	size_t len = byrow ? M : N;
	size_t nblk = (len + NSL_GEMM_BLOCK - 1) / NSL_GEMM_BLOCK;
	long q;

	if (M == 0 || N == 0)
		return;
#pragma omp parallel for schedule(dynamic) if ((double)M * N * K > 4e6)
	for (q = 0; q < (long)nblk; q++) {
		size_t a = (size_t)q * NSL_GEMM_BLOCK;
		size_t nb = len - a < NSL_GEMM_BLOCK ? len - a : NSL_GEMM_BLOCK;

		if (byrow)
			cblas_dgemm(CblasRowMajor, ta, tb, (int)nb, (int)N,
			    (int)K, alpha, ta == CblasNoTrans ? A + a * lda :
			    A + a, (int)lda, B, (int)ldb, beta, C + a * ldc,
			    (int)ldc);
		else
			cblas_dgemm(CblasRowMajor, ta, tb, (int)M, (int)nb,
			    (int)K, alpha, A, (int)lda, tb == CblasNoTrans ?
			    B + a : B + a * ldb, (int)ldb, beta, C + a,
			    (int)ldc);
	}
}

#endif
