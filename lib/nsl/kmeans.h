/*
 * kmeans.h - Lloyd's k-means with k-means++ seeding.
 *
 * Invariants and ownership:
 *  - x is n x d row-major (as nsl_dataset_read() fills it), borrowed and
 *    never modified; all of its numbers must be finite.
 *  - res->centroids (k x d doubles) and res->assign (n entries) are
 *    allocated by the caller; nsl_kmeans_fit() fills them.  With
 *    params->init_given the centroids hold the initial centres on entry.
 *  - After a successful fit, assign[i] < k is the centre nearest to row i
 *    under the final centroids (ties to the lowest index), inertia is
 *    sum_i ||x_i - c_assign[i]||^2 computed exactly (not from the BLAS
 *    expansion), and iterations is the number of Lloyd steps run.
 *  - The result depends only on (x, params), never on the number of
 *    threads (OMP_NUM_THREADS): every reduction is done in a fixed block
 *    order, and each row's nearest centre is exact (ties to the lowest
 *    index), not merely the nearest by the BLAS expansion.  The Lloyd
 *    passes multiply in float32 (sgemm) when the coordinates' magnitudes
 *    allow (at most 1e14), and every centre within the float32 rounding
 *    bound of the best is compared by its exact double distance: the
 *    result is the same as with double products.
 *  - k-means++ seeding compares float32 products against the rounding
 *    bound too, and takes every distance that can matter exactly in
 *    double: its choices are those of exact arithmetic (to the rounding
 *    of one double distance), not of the BLAS expansion.
 *  - Rows may also be given in float32 (the _f32 calls), each with an
 *    optional divisor: the row read is (double)x[t] / div[i], the very
 *    double nsl_vec_normalize_rows() makes of a float row when div holds
 *    nsl_kmeans_unit_divisors().  Every pass reads those doubles, so the
 *    result is bit-identical to the double call on the converted rows;
 *    only the rows are held in half the bytes.
 *  - Work space besides the caller's arrays: a float32 copy of x (n x d
 *    floats, when the magnitudes allow float32; none for float rows
 *    without divisors that need no centring), O(n) numbers, per-thread
 *    blocks of 512 rows, and per-block partial centre sums of at most
 *    256 MiB (a separate summing pass is used when they would not fit).
 *    OpenBLAS is held to one thread while a fit runs (the OpenMP threads
 *    split the rows) and restored after.
 *
 * The algorithm follows scikit-learn's KMeans(algorithm="lloyd"): greedy
 * k-means++ (2 + floor(ln k) candidates per step, Arthur and Vassilvitskii
 * 2007), then Lloyd steps; an empty cluster is given the point farthest
 * from its centre; iteration stops when the assignments no longer change
 * (strict convergence) or when the squared centre shift sums to at most
 * tol times the mean per-feature variance of x, and the points are then
 * reassigned to the final centres.
 */
#ifndef NSL_KMEANS_H
#define NSL_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "vec.h"

struct nsl_kmeans_params {
	size_t k;
	int max_iter;		/* Lloyd iterations, e.g. 300 */
	double tol;		/* stop when centres move less than tol (sklearn's relative tol on mean variance) */
	uint64_t seed;		/* k-means++ seeding stream */
	int init_given;		/* 1: centroids[] holds the initial centres on entry */
};

struct nsl_kmeans_result {
	double *centroids;	/* k x d row-major, owned by the caller (allocated by caller: k*d doubles) */
	size_t *assign;		/* n entries, caller-allocated */
	double inertia;		/* sum of squared distances to assigned centre */
	int iterations;
};

/* Lloyd's k-means on x (n x d, row-major), k-means++ seeding (greedy, as sklearn)
 * unless params->init_given. Distances via BLAS (||x||^2 - 2 x.c + ||c||^2, then exact
 * recomputation where needed), OpenMP over rows; deterministic for a seed whatever
 * the thread count. Returns 0, or -1 with err set (k > n, k == 0, out of memory). */
int nsl_kmeans_fit(const double *x, size_t n, size_t d,
    const struct nsl_kmeans_params *params, struct nsl_kmeans_result *res,
    struct nsl_err *err);

/*
 * nsl_kmeans_fit() on float32 rows x (n x d, borrowed, finite), row i
 * divided by div[i] as read (div NULL: as they are).  Results are those
 * of nsl_kmeans_fit() on the rows (double)x / div, bit for bit.
 */
int nsl_kmeans_fit_f32(const float *x, const double *div, size_t n,
    size_t d, const struct nsl_kmeans_params *params,
    struct nsl_kmeans_result *res, struct nsl_err *err);

/*
 * The divisors that make float rows unit length as nsl_vec_normalize_rows()
 * does on their doubles: div[i] = the row's norm, 1 for a zero row.  buf
 * is d doubles of scratch.
 */
void nsl_kmeans_unit_divisors(const float *x, size_t n, size_t d,
    double *div, double *buf);

/*
 * Greedy k-means++ seeding alone: fill centroids (k x d, caller-allocated)
 * with k rows of x chosen as nsl_kmeans_fit() does without init_given.
 * Returns 0, or -1 with err set.
 */
int nsl_kmeans_init_pp(const double *x, size_t n, size_t d, size_t k,
    uint64_t seed, double *centroids, struct nsl_err *err);

/*
 * Nearest centre of each row: assign[i] and, if dist is not NULL, the
 * exact squared distance dist[i].  Returns the sum of those distances.
 */
double nsl_kmeans_assign(const double *x, size_t n, size_t d,
    const double *centroids, size_t k, size_t *assign, double *dist);

/* The same on float32 rows with divisors (as nsl_kmeans_fit_f32). */
double nsl_kmeans_assign_f32(const float *x, const double *div, size_t n,
    size_t d, const double *centroids, size_t k, size_t *assign,
    double *dist);

#endif
