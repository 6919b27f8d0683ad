/*
 * score_model.h - what a whole-set metric of nsl-score learned, saved,
 * and applied to any shard of records one record at a time.
 *
 * A whole-set metric (prototype, class-prototype, knn) splits into a fit
 * that needs many records and an apply that needs one record and the
 * fit's small state:
 *  - prototype: the k centroids of the L2-normalised embeddings (k x d);
 *  - class-prototype: each class's mean or coordinate-wise median
 *    (classes x d), rows keyed by the label's canonical text;
 *  - knn: the reference rows themselves (n_ref x d).
 * Applying a model fitted on a set S to the records of S, whole or in
 * shards of any split, gives each record the score the whole-set run of
 * nsl-score gives it: the same bytes for prototype and class-prototype
 * (same centroids, same nearest centre, same formula); for knn the same
 * neighbours, their distances summed nearest first, within a few ulps of
 * the whole-set run (which sums in its blocked search's order).
 *
 * Invariants of struct nsl_score_model after a fit or a read: metric is
 * one of the three; rows >= 1 and d >= 1; x holds rows x d finite
 * numbers (a knn model with an index: x is NULL and the index's x holds
 * the rows, in its list order; a knn model without one: x is NULL and xf
 * holds them while every number is exactly a float32, as nsl/dataset.h's
 * NSL_DATASET_F32, read as (double)xf: the same scores); for class-prototype, classes numbers the rows (row r is the
 * class whose canonical label text is nsl_labels_names(classes)[r]).
 *
 * The model file (JSONL, write/parse pair below): a header
 *	{"nsl":"score-model","metric":"prototype","d":2,"rows":3,
 *	 "center":"mean","neighbours":10}
 * then one line a row: {"row":[...]} (class-prototype: {"label":L,"row":[...]}),
 * numbers in %.17g round-trip form.  A knn model fitted with --index ivf
 * (nprobe < lists) carries its index: the header adds
 *	"index":"ivf","lists":L,"nprobe":P
 * then come L lines {"centroid":[...]}, and each row names its list:
 * {"list":l,"row":[...]}.  Applied, a record's neighbours are searched in
 * its P nearest lists (nsl/ivf.h), its first bitwise copy left out: the
 * whole-set run's neighbours but at near-ties of the blocked distances.
 *
 * Memory: fit as nsl-score's whole-set run (n x d numbers; knn without
 * an index, in fit and apply: n x d float32 while exact), but
 * prototype with per_centroid P holds only min(n, k P) rows: the records
 * whose seeded hash of the id field is smallest, so the sample does not
 * depend on the order or the split of the shards; class-prototype's mean
 * streams (classes x d); knn with an index adds the index (rows x d
 * numbers, 2 rows row numbers, L x d centroids, the k-means on min(rows,
 * 256 L) rows; the rows are the index's, held once).  Apply: the model
 * (rows x d numbers; with an index, rows x d + 2 rows + L x d) and one
 * record.
 */
#ifndef NSL_SCORE_MODEL_H
#define NSL_SCORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nsl_ivf;
struct nsl_labels;
struct nsl_score_job;
struct nsl_writer;

struct nsl_score_model {
	int metric;		/* enum nsl_score_metric: a whole-set one */
	size_t d, rows;
	double *x;		/* rows x d, owned; NULL with ivf, whose
				 * x holds the rows (in list order) */
	float *xf;		/* knn: the rows in float32 while every
				 * number is one (x NULL), owned; an ivf
				 * index reads them in place */
	struct nsl_labels *classes;	/* class-prototype only, owned */
	int median;		/* class-prototype: the centre is a median */
	size_t neighbours;	/* knn */
	struct nsl_ivf *ivf;	/* knn with --index ivf: the index, owned */
	size_t nprobe;		/* and the lists searched a record */
};

void nsl_score_model_init(struct nsl_score_model *);
void nsl_score_model_release(struct nsl_score_model *);

/*
 * NULL if the job can fit or apply a model, else a message: exactly one
 * metric, a whole-set one.  With m (a read model), also that it is the
 * model's metric.
 */
const char *nsl_score_model_check(const struct nsl_score_job *,
    const struct nsl_score_model *m);

/*
 * Fit the job's one whole-set metric on the records of paths (none:
 * standard input) as nsl-score's whole-set run does (same k, iters,
 * seed, centre).  Returns 0, or -1 with err set (at the file and line of
 * a bad record).
 */
int nsl_score_model_fit(struct nsl_score_model *, const struct nsl_score_job *,
    const char *const *paths, size_t npaths, struct nsl_err *err);

/* The pair: write the model to w; read it back from path. */
int nsl_score_model_write(const struct nsl_score_model *, struct nsl_writer *w,
    struct nsl_err *err);
int nsl_score_model_read(struct nsl_score_model *, const char *path,
    struct nsl_err *err);

/*
 * Score the records of paths by the model, one at a time, and write each
 * with the job's score field (and prototype's cluster field) spliced in,
 * as nsl_score_run() does.  Memory: the model and one record.
 */
int nsl_score_model_apply(const struct nsl_score_model *,
    const struct nsl_score_job *, const char *const *paths, size_t npaths,
    struct nsl_writer *w, struct nsl_err *err);


#endif
