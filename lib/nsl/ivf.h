/*
 * ivf.h - an inverted-file index for nearest-neighbour search: the
 * reference rows split into lists by their nearest k-means centroid, a
 * query scanning only the lists of its nprobe nearest centroids.
 *
 * Invariants of struct nsl_ivf after a build or a load:
 *  - lists >= 1 centroids (lists x d) and n >= lists reference rows;
 *  - list l holds the rows row[start[l] .. start[l + 1]), in increasing
 *    row number, and every row is in the list of its nearest centroid by
 *    the exact squared distance, ties to the lower list (the rule of
 *    nsl_kmeans_assign());
 *  - x holds the rows in that list order (n x d: a copy, or with the
 *    _in calls the caller's own array, permuted in place) and sq their
 *    squared norms, so a list is one contiguous block for the products;
 *    row r of the input is x + pos[r] d (nsl_ivf_positions).
 *  - Or, built or loaded by the _f32 calls, x is NULL and xf holds the
 *    rows in float32, the caller's array in row order (borrowed, never
 *    moved or written): the row at position p is xf + row[p] d.  Every
 *    number is read as (double)xf, a list's block widened into a thread's
 *    buffer before its product (the same dgemm shapes, so the same
 *    bits), the norms and exact distances summed as on doubles: results
 *    bit-identical to the double calls on the widened rows, in half the
 *    bytes and with no copy of the rows.
 *
 * Search (nsl_ivf_search): a query's distance to every centroid is
 * computed exactly and the nprobe nearest lists are scanned (ties of
 * distance to the lower list); when they hold fewer than k candidates
 * the next nearest lists are added until they do, so every query gets
 * k neighbours.  The scan takes blocks of queries that probe a list
 * together and multiplies them by the list's rows (dgemm); the k
 * smallest of those distances are kept (ties to the lower row number)
 * and then recomputed exactly and sorted, nearest first (ties to the
 * lower row).  With nprobe = lists every row is a candidate: the search
 * is exhaustive.  The result depends only on the inputs, never on the
 * number of threads.
 *
 * Memory: build: the copy (n x d numbers; none with _in or _f32), the
 * centroids (lists x d), 2 n row numbers, the k-means sample (min(n,
 * 256 lists) x d, in float32 with _f32) and its work space; search: per
 * thread b (4096 + d + 2 k + nprobe) + 3 lists numbers, b = min(m, 256)
 * queries a block, and with _f32 min(4096, longest list) x d doubles.
 *
 * Ownership: struct nsl_ivf owns its arrays (nsl_ivf_release frees
 * them); every pointer argument is borrowed.
 */
#ifndef NSL_IVF_H
#define NSL_IVF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NSL_IVF_ITERS 25	/* Lloyd iterations of the coarse k-means */
#define NSL_IVF_TRAIN 256	/* k-means sample: at most this many rows a list */

struct nsl_ivf {
	size_t n, d, lists;
	double *centroids;	/* lists x d */
	size_t *start;		/* lists + 1 */
	size_t *row;		/* n: reference row numbers in list order */
	double *x;		/* n x d: the rows in list order, or NULL */
	const float *xf;	/* n x d in row order (the _f32 calls), or NULL */
	double *sq;		/* n: their squared norms, in list order */
};

/* Search flags. */
enum nsl_ivf_flags {
	/* the queries are the reference rows themselves (m = n, in row
	 * order): query i is not its own neighbour (its copies are) */
	NSL_IVF_SELF = 1 << 0,
	/* a query leaves out the lowest-numbered reference row equal to it
	 * bit for bit (a record scored against the set it came from) */
	NSL_IVF_SKIP_COPY = 1 << 1
};

void nsl_ivf_init(struct nsl_ivf *);
void nsl_ivf_release(struct nsl_ivf *);

/*
 * NULL if lists and nprobe can index n rows for k neighbours, else a
 * message naming the parameter: lists and nprobe >= 1, lists <= n, and
 * more than k rows.
 */
const char *nsl_ivf_check(size_t n, size_t lists, size_t nprobe, size_t k);

/*
 * Build over x (n x d, finite): k-means (nsl_kmeans_fit, k-means++ from
 * seed, NSL_IVF_ITERS Lloyd steps, tol 1e-4) on the rows, or, when n >
 * NSL_IVF_TRAIN lists, on that many rows drawn by seed; then every row
 * into the list of its nearest centroid.  Returns 0, or -1 with err set.
 */
int nsl_ivf_build(struct nsl_ivf *, const double *x, size_t n, size_t d,
    size_t lists, uint64_t seed, struct nsl_err *err);

/*
 * The same index from given centroids (lists x d) and each row's list
 * (list[i] < lists; as written by a saved model), without the k-means.
 * Returns 0, or -1 with err set (a list number out of range).
 */
int nsl_ivf_load(struct nsl_ivf *, const double *x, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err);

/*
 * The same two, on x given to the index (not copied): x, the caller's
 * malloc'd rows in row order, becomes the index's x, permuted into list
 * order in place (one row and n bytes of work space), so a holder of
 * the rows keeps them once.  After a success x belongs to the index
 * (nsl_ivf_release frees it) and is no longer in row order; after a
 * failure it is untouched and still the caller's.
 */
int nsl_ivf_build_in(struct nsl_ivf *, double *x, size_t n, size_t d,
    size_t lists, uint64_t seed, struct nsl_err *err);
int nsl_ivf_load_in(struct nsl_ivf *, double *x, size_t n, size_t d,
    const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err);

/*
 * The same two on float32 rows xf (n x d, finite, in row order),
 * borrowed: they must outlive the index, which reads them in place.
 * Results are those of nsl_ivf_build / nsl_ivf_load on the rows
 * (double)xf, bit for bit.
 */
int nsl_ivf_build_f32(struct nsl_ivf *, const float *xf, size_t n,
    size_t d, size_t lists, uint64_t seed, struct nsl_err *err);
int nsl_ivf_load_f32(struct nsl_ivf *, const float *xf, size_t n,
    size_t d, const double *centroids, size_t lists, const size_t *list,
    struct nsl_err *err);

/* Each reference row's place in x into pos[0 .. n): row r at pos[r]. */
void nsl_ivf_positions(const struct nsl_ivf *, size_t *pos);

/* Each reference row's list into list[0 .. n). */
void nsl_ivf_lists(const struct nsl_ivf *, size_t *list);

/*
 * The k nearest reference rows of each query q (m x d): their row
 * numbers to idx[i*k ..] (if idx is not NULL) and Euclidean distances to
 * dist[i*k ..], nearest first.  flags: enum nsl_ivf_flags.  Needs
 * nsl_ivf_check() to pass.  Returns 0, or -1 with err set.
 */
int nsl_ivf_search(const struct nsl_ivf *, const double *q, size_t m,
    size_t nprobe, size_t k, unsigned flags, double *dist, size_t *idx,
    struct nsl_err *err);

/*
 * Recall of an approximate search against the exact one: the fraction of
 * the k true nearest neighbours of each of s sample queries that are in
 * idx.  sample[j] is the query (a reference row, searched as with
 * NSL_IVF_SELF over x, n x d) whose found neighbours are idx[sample[j]*k
 * ..].  The exact neighbours are the k smallest exact distances, ties to
 * the lower row; a found row at the k-th exact distance counts.
 */
double nsl_ivf_recall(const double *x, size_t n, size_t d, size_t k,
    const size_t *idx, const size_t *sample, size_t s);

/* The same on float32 rows xf, each number read as (double)xf. */
double nsl_ivf_recall_f32(const float *xf, size_t n, size_t d, size_t k,
    const size_t *idx, const size_t *sample, size_t s);

#endif
