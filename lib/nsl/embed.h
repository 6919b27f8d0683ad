/*
 * nsl/embed.h - linear maps of embeddings: PCA and Gaussian random
 * projection, fitted once, saved as a JSON record, applied to any record.
 *
 * A map sends x (d numbers) to y (k numbers):
 *
 *	y = C (x - mean)			(divided by sqrt(var) if whiten)
 *
 * PCA: mean is the fitting set's mean; the rows of C are the top k
 * eigenvectors of the sample covariance (denominator n - 1), largest
 * eigenvalue first, each signed so that its entry of largest magnitude is
 * positive; var are their eigenvalues (sklearn's explained_variance_).
 * The covariance is one blocked dgemm and the eigenproblem LAPACK's
 * dsyevr (from OpenBLAS), both single-threaded inside and parallel over
 * fixed blocks, so results do not depend on the number of threads.
 * Random: mean = 0 and C has independent N(0, 1/k) entries drawn in row
 * order from nsl_rng_new(seed, 0) (as sklearn's GaussianRandomProjection
 * in distribution, not in values).
 *
 * The map record (one line of JSON):
 *	{"method":"pca","d":D,"dim":K,"whiten":false,"mean":[...],
 *	 "components":[[...],...],"explained_variance":[...]}
 *	{"method":"random","d":D,"dim":K,"seed":S,"components":[[...],...]}
 *
 * Ownership: struct nsl_embed owns its arrays; nsl_embed_release().
 */
#ifndef NSL_EMBED_H
#define NSL_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/json.h"

enum nsl_embed_method { NSL_EMBED_PCA, NSL_EMBED_RANDOM };

/* The methods' names, indexed by the enum, NULL-terminated: the map
 * record's "method" and the command line's --method. */
extern const char *const nsl_embed_method_names[];

/* The method of a name, or -1. */
int nsl_embed_method_parse(const char *name);

struct nsl_embed {
	enum nsl_embed_method method;
	size_t d, k;
	int whiten;		/* pca only */
	uint64_t seed;		/* random only */
	double *mean;		/* d (zeros for random) */
	double *comp;		/* k x d */
	double *var;		/* k, pca only (NULL for random) */
	double *dev;		/* k: sqrt(var) in units of 2^-dev_exp (var
				   may be beyond the double range, or even
				   sqrt(var)); pca only */
	int dev_exp;
};

void nsl_embed_init(struct nsl_embed *);
void nsl_embed_release(struct nsl_embed *);

/*
 * PCA of x (n x d) keeping k components.  Returns 0, or -1 with err:
 * NSL_EX_USAGE for k == 0 or k > d, NSL_EX_DATAERR for n < 2, or (with
 * whiten) a kept component of zero variance; NSL_EX_SOFTWARE when LAPACK
 * fails or memory runs out.
 */
int nsl_embed_fit_pca(struct nsl_embed *, const double *x, size_t n,
    size_t d, size_t k, int whiten, struct nsl_err *err);

/* A d -> k Gaussian random projection.  Returns 0 or -1 (err). */
int nsl_embed_fit_random(struct nsl_embed *, size_t d, size_t k,
    uint64_t seed, struct nsl_err *err);

/*
 * y (k) from x (d).  Data of any finite magnitude: a projection whose
 * sum overflows on the way is taken again in units of a power of two,
 * so y is inf only where the image itself is beyond the double range.
 * (The fit too works on data scaled by a power of two when it is far
 * from 1 in magnitude, so that the covariance does not overflow; var may
 * then be beyond the range, and writing the map refuses it.)
 */
void nsl_embed_apply(const struct nsl_embed *, const double *x, double *y);

/* Append the map record and a newline. */
void nsl_embed_write(const struct nsl_embed *, struct nsl_buf *);

/* Read a map record; errors name the field (NSL_EX_DATAERR). */
int nsl_embed_parse(struct nsl_embed *, const struct nsl_rec *,
    struct nsl_err *err);

/* ------------------------------------------------ files */

struct nsl_writer;

/* The map record of the first record of path.  Returns 0, or -1 with err
 * at the file and line ("no map record" for an empty file). */
int nsl_embed_load(struct nsl_embed *, const char *path,
    struct nsl_err *err);

/* Write the map record to path, atomically.  Returns 0, or -1 (err). */
int nsl_embed_save(const struct nsl_embed *, const char *path,
    struct nsl_err *err);

/* Fit a map of k dimensions on field's vectors of the records of path
 * (pca: whiten; random: seed).  Returns 0, or -1 with err placed at the
 * file (not for NSL_EX_USAGE). */
int nsl_embed_fit_file(struct nsl_embed *, const char *path,
    const char *field, enum nsl_embed_method method, size_t k, int whiten,
    uint64_t seed, struct nsl_err *err);

/*
 * Write each record of path to w with its field's image in out_field
 * (replacing a member of that name; float32: shortest float32 text),
 * every other member kept in order.  Returns 0, or -1 with err at the
 * file and line.
 */
int nsl_embed_apply_file(const struct nsl_embed *, const char *path,
    const char *field, const char *out_field, int float32,
    struct nsl_writer *w, struct nsl_err *err);

#endif
