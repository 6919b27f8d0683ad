/*
 * coreset.h - geometry-based subset selection on embeddings: k-center
 * greedy, herding and facility location (lazy and stochastic greedy),
 * the coreset baselines of DeepCore (Guo et al. 2022).
 *
 * Each function chooses m of the n rows of x (n x d, row-major, finite)
 * and writes their row numbers to sel[0..m) in the order chosen.  The
 * rules, ties included, are stated so that a reference can repeat them:
 * every argmax or argmin takes the lowest row number among equal values.
 *
 *  k-center greedy (Sener and Savarese 2018): sel[0] = start; then
 *    repeatedly the row whose Euclidean distance to its nearest chosen
 *    row is largest.  Time O(n m d), memory O(n).  The radius of the
 *    result is at most twice the optimal k-center radius.
 *  herding (Welling 2009, as DeepCore runs it): with mu the mean of all
 *    rows and s_t the sum of the t rows chosen so far, choose the
 *    unchosen row i minimising ||(t + 1) mu - (s_t + x_i)||^2, i.e. the
 *    one that brings the mean of the chosen rows closest to mu.  Time
 *    O(n m d), memory O(n + d).
 *  facility location: similarity sim(i, j) = (1 + cos(x_i, x_j)) / 2 in
 *    [0, 1] (a zero row has cosine 0 with everything), and F(S) =
 *    sum_i max_{j in S} sim(i, j), F({}) = 0: monotone submodular, so
 *    the greedy choice (the largest gain F(S + j) - F(S)) is within
 *    1 - 1/e of the best F of m rows (Nemhauser et al. 1978).
 *    sample == 0: lazy greedy (Minoux 1978), which chooses exactly as
 *    plain greedy does (stale gains are upper bounds; a row is taken when
 *    its fresh gain, ties by row number, is at least every other bound).
 *    sample > 0: stochastic greedy (Mirzasoleiman et al. 2015): each step
 *    draws min(sample, rows left) unchosen rows uniformly without
 *    replacement from rng and takes the best of them; with sample =
 *    (n / m) ln(1 / eps) its expected F is within 1 - 1/e - eps of the
 *    optimum.  Time: one gain is O(n d), or O(n) when the n x n
 *    similarities fit in NSL_CORESET_SIM_BYTES (then stored); lazy
 *    greedy evaluates n gains and then a few a step, stochastic greedy
 *    m * sample.  Memory: a unit copy of the rows (n d doubles; none in
 *    the _f32 call) and O(n + d) besides the stored similarities.
 *
 * The _f32 calls take float32 rows xf (n x d) and read each number as
 * (double)xf[k], the row the double call would be given widened: every
 * sum runs over the same doubles in the same order (scalar loops, no
 * BLAS), so sel is the same, bit for bit, and no error bound is needed.
 * They hold the rows in 4 n d bytes instead of 8 n d; facility location
 * keeps no unit copy of them (8 n d bytes in the double call) but n
 * norms, dividing each number by its row's norm as it is read.
 *
 * Pointers are borrowed; sel is the caller's (m entries).  Return 0, or
 * -1 with err set (m > n; out of memory).  Nothing here prints or exits.
 */
#ifndef NSL_CORESET_H
#define NSL_CORESET_H

#include <stddef.h>

#include "err.h"
#include "rng.h"

/* Facility location stores the similarities up to this many bytes. */
#define NSL_CORESET_SIM_BYTES ((size_t)256 << 20)

/* Stochastic greedy's default eps (prune's --eps) */
#define NSL_CORESET_DEFAULT_EPS 0.01

int nsl_coreset_kcenter(const double *x, size_t n, size_t d, size_t m,
    size_t start, size_t *sel, struct nsl_err *err);

int nsl_coreset_herding(const double *x, size_t n, size_t d, size_t m,
    size_t *sel, struct nsl_err *err);

int nsl_coreset_facility(const double *x, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err);

int nsl_coreset_kcenter_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t start, size_t *sel, struct nsl_err *err);

int nsl_coreset_herding_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t *sel, struct nsl_err *err);

int nsl_coreset_facility_f32(const float *xf, size_t n, size_t d, size_t m,
    size_t sample, gsl_rng *rng, size_t *sel, struct nsl_err *err);

/* Stochastic greedy's sample: ceil((n / m) ln(1 / eps)), at least 1. */
size_t nsl_coreset_sample_size(size_t n, size_t m, double eps);

#endif
