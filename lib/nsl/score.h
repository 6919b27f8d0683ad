/*
 * score.h - per-example data-pruning scores (the metrics of nsl-score).
 *
 * Convention: every score is oriented so that higher = harder / more
 * informative (the examples a "hard" pruning keeps).
 *
 * Per-record metrics take a model-output matrix z of rows x cols numbers
 * (one row per seed or per epoch; a vector is one row), logits unless
 * probs is set (then each row must already be a probability vector), and
 * the label as a class index.  They need nothing beyond the record, so
 * the tool streams them.  Whole-set metrics (prototype, class-prototype,
 * knn) take the n x d embedding matrix of nsl_dataset_read().
 *
 * Ownership: every pointer argument is borrowed; outputs are arrays the
 * caller allocates.  Functions that can fail return 0 or -1 with err set
 * (lib/ never prints or exits).
 */
#ifndef NSL_SCORE_H
#define NSL_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum nsl_score_metric {
	NSL_SCORE_PROTOTYPE,
	NSL_SCORE_CLASS_PROTOTYPE,
	NSL_SCORE_KNN,
	NSL_SCORE_EL2N,
	NSL_SCORE_GRAND,
	NSL_SCORE_MARGIN,
	NSL_SCORE_ENTROPY,
	NSL_SCORE_LEAST_CONFIDENCE,
	NSL_SCORE_FORGETTING,
	NSL_SCORE_AUM,
	NSL_SCORE_DYNAMIC_UNCERTAINTY,
	NSL_SCORE_LAVA,			/* nsl/score_values.h */
	NSL_SCORE_ATTENTION_INFLUENCE,
	NSL_SCORE_REDUCIBLE_LOSS,
	NSL_SCORE_PERPLEXITY,
	NSL_SCORE_NMETRICS
};

/*
 * The catalogue of metrics: one row each, indexed by enum
 * nsl_score_metric.  A row says what the metric reads (needs) and holds
 * its function: record for a metric of one record's model outputs, set
 * for a metric of the whole set of embeddings, losses for a metric of
 * one record's loss fields (loss[] indexed by enum nsl_score_loss).  Adding a metric is a row
 * (and its enum value, function and test data).
 */
enum nsl_score_needs {
	NSL_SCORE_NEEDS_SET = 1 << 0,	/* the whole set, read at once */
	NSL_SCORE_NEEDS_LOGITS = 1 << 1,	/* the model outputs field */
	NSL_SCORE_NEEDS_LABEL = 1 << 2,	/* the class index field */
	NSL_SCORE_NEEDS_EMBEDDING = 1 << 3,	/* the vector field */
	NSL_SCORE_LOGITS_ONLY = 1 << 4,	/* not of probabilities */
	NSL_SCORE_CLUSTERS = 1 << 5,	/* writes a cluster index; k
					 * defaults to the labels' count */
	/* loss fields (1 << enum nsl_score_loss of nsl/score_values.h) */
	NSL_SCORE_NEEDS_LOSS = 1 << 6,		/* --loss-field */
	NSL_SCORE_NEEDS_MASKED_LOSS = 1 << 7,	/* --masked-loss-field */
	NSL_SCORE_NEEDS_HOLDOUT_LOSS = 1 << 8,	/* --holdout-loss-field */
	NSL_SCORE_NEEDS_VALID = 1 << 9,		/* --valid FILE */
	NSL_SCORE_SET_F32 = 1 << 10	/* set reads rows by nsl_dataset_row():
					 * float32-exact sets held as float32 */
};
#define NSL_SCORE_LOSS_SHIFT 6	/* needs >> this: the losses' bits */
#define NSL_SCORE_LOSSES (NSL_SCORE_NEEDS_LOSS | \
	NSL_SCORE_NEEDS_MASKED_LOSS | NSL_SCORE_NEEDS_HOLDOUT_LOSS)

struct nsl_score_in;		/* one record's inputs (lib/score.c) */
struct nsl_score_job;
struct nsl_dataset;

struct nsl_score_metric_def {
	const char *name;	/* the command-line name: "el2n" */
	const char *help;	/* one line for --list-metrics and --help */
	unsigned needs;		/* enum nsl_score_needs */
	int (*record)(const struct nsl_score_in *, double *out,
	    struct nsl_err *);
	/* score[0..n) (and cluster[0..n) with NSL_SCORE_CLUSTERS) */
	int (*set)(const struct nsl_score_job *, const struct nsl_dataset *,
	    double *score, size_t *cluster, struct nsl_err *);
	int (*losses)(const double *loss, double *out, struct nsl_err *);
};

/* Row m of the catalogue (borrowed, static), or NULL if out of range;
 * the rows run from 0 to NSL_SCORE_NMETRICS - 1. */
const struct nsl_score_metric_def *nsl_score_metric_get(int m);

/* "prototype", "el2n", ... (the command-line names); NULL if out of range. */
const char *nsl_score_metric_name(int metric);

/* --metric's help into buf: "one or more of, comma-separated: prototype,
 * ... (--list-metrics says what each reads)", cut to size. */
void nsl_score_metric_help(char *buf, size_t size);

/* The metric of a name, or -1. */
int nsl_score_metric_parse(const char *name);

struct nsl_score_job;

/* --metric's list "el2n,forgetting" into job->metric and job->nmetrics
 * (each row once; empty names skipped): NULL, or a message naming the
 * bad name (static storage). */
const char *nsl_score_metrics_parse(struct nsl_score_job *job,
    const char *arg);

/* 1 for the metrics that need the whole set (prototype, class-prototype, knn). */
int nsl_score_metric_whole_set(int metric);

/* 1 for the metrics that read the label (all logits metrics but margin,
 * entropy and least-confidence, and class-prototype). */
int nsl_score_metric_needs_label(int metric);

/* Options of the per-record metrics. */
struct nsl_score_opts {
	int probs;		/* z holds probabilities, not logits */
	size_t window;		/* dynamic-uncertainty window J (>= 2) */
};

/* p = softmax(z) over n numbers, computed as exp(z - max) / sum. */
void nsl_score_softmax(const double *z, size_t n, double *p);

/*
 * One per-record metric from z (rows x cols) and label (needed by the
 * metrics above; ignored otherwise).  h, if the metric is grand, is the
 * embedding: hrows == 1 (one vector for every row of z) or hrows == rows,
 * hd numbers a row.  work holds at least cols doubles.  Errors: a label
 * outside [0, cols), cols < 2, probabilities that are not a distribution
 * (an entry outside [0, 1] or a row sum off 1 by more than 1e-6), aum
 * with probs, fewer rows than the dynamic-uncertainty window.
 */
int nsl_score_record(int metric, const double *z, size_t rows, size_t cols,
    long label, const double *h, size_t hrows, size_t hd,
    const struct nsl_score_opts *, double *work, double *out,
    struct nsl_err *err);

/*
 * The self-supervised prototype metric (Sorscher et al. 2022): x (n x d)
 * is L2-normalised in place, clustered by nsl_kmeans_fit() (k-means++
 * seeding from seed, at most iters Lloyd steps, tol 1e-4); score[i] = 1 -
 * cos(x_i, c) for the centroid c of its cluster, cluster[i] its index.
 */
int nsl_score_prototype(double *x, size_t n, size_t d, size_t k, int iters,
    uint64_t seed, double *score, size_t *cluster, struct nsl_err *err);

/*
 * Euclidean distance from each row to its class centre: the class mean,
 * or with median set the coordinate-wise median (the mean of the two
 * middle values for an even count).  label[i] in [0, nlabels).
 */
int nsl_score_class_prototype(const double *x, size_t n, size_t d,
    const int *label, size_t nlabels, int median, double *score,
    struct nsl_err *err);

/*
 * Mean Euclidean distance from each row to its k nearest other rows
 * (exact: all pairs by blocked dgemm, the k chosen recomputed exactly).
 * Needs 1 <= k < n.
 */
int nsl_score_knn(const double *x, size_t n, size_t d, size_t k,
    double *score, struct nsl_err *err);

/*
 * The search under nsl_score_knn, for other users of exact neighbours
 * (nsl/intdim.h): row i's k nearest other rows go to idx[i*k ..] (when
 * idx is not NULL) and their Euclidean distances, recomputed exactly, to
 * dist[i*k ..].  Within a row the order is that of the blocked distances,
 * nearest first; rounding can leave near-ties of the exact distances out
 * of order, so a caller that needs them sorted sorts the row.  Identical
 * rows are each other's neighbours at distance 0.  Needs 1 <= k < n.
 */
int nsl_score_knn_neighbours(const double *x, size_t n, size_t d, size_t k,
    double *dist, size_t *idx, struct nsl_err *err);

/*
 * The same two on float32 rows xf, each number read as (double)xf: the
 * bits of the calls on those rows in double, in half the rows' memory.
 */
int nsl_score_knn_f32(const float *xf, size_t n, size_t d, size_t k,
    double *score, struct nsl_err *err);
int nsl_score_knn_neighbours_f32(const float *xf, size_t n, size_t d,
    size_t k, double *dist, size_t *idx, struct nsl_err *err);

/*
 * Each of nq query rows q (nq x d) against nref reference rows, ref (nref
 * x d doubles) or, with ref NULL, reff (float32, each number read as
 * (double)reff): score[i] is the mean Euclidean distance from query i to
 * its k nearest reference rows, the first reference row bitwise equal to
 * the query left out (the query itself, when the reference set holds
 * it; its other copies count, at distance 0), ties to the lower row, the
 * distances exact (nsl_vec_sqdist, nsl_vec_sqdist_f32) and summed nearest
 * first; fewer than k rows left: the mean of those.  The bits of that
 * rule run row by row over every reference row, found by blocked
 * products and bounds instead (nsl-score --model with a knn model).
 * Needs k >= 1, nref >= 1, d >= 1.
 */
int nsl_score_knn_query(const double *q, size_t nq, const double *ref,
    const float *reff, size_t nref, size_t d, size_t k, double *score,
    struct nsl_err *err);

/*
 * The knn metric over an inverted-file index (nsl/ivf.h) instead of all
 * pairs: the index is built on x with lists lists (0: ceil(sqrt(n))) and
 * the k-means seed, each row's k neighbours are searched in its nprobe
 * nearest lists (row i itself left out, its copies kept, as the exact
 * search does), and score[i] is their mean distance, summed nearest
 * first.  nprobe >= lists probes every list: that is the exact search,
 * and nsl_score_knn() is run, so the scores are its bytes.  With
 * recall not NULL, *recall is the recall@k of the neighbours found
 * against the exact ones on nsample rows drawn by seed (1 when exact).
 * Errors: lists > n, k >= n (65).
 */
int nsl_score_knn_ivf(const double *x, size_t n, size_t d, size_t k,
    size_t lists, size_t nprobe, uint64_t seed, size_t nsample,
    double *score, double *recall, struct nsl_err *err);

/* The same on float32 rows xf, read in place: the bits of the rows
 * (double)xf given to nsl_score_knn_ivf. */
int nsl_score_knn_ivf_f32(const float *xf, size_t n, size_t d, size_t k,
    size_t lists, size_t nprobe, uint64_t seed, size_t nsample,
    double *score, double *recall, struct nsl_err *err);

/* The neighbour search of knn: all pairs, or the inverted-file index. */
/* --nprobe when not given. */
#define NSL_SCORE_NPROBE_DEFAULT 8

enum nsl_score_knn_index { NSL_SCORE_KNN_EXACT, NSL_SCORE_KNN_IVF };

/* Rows the recall of an ivf knn is measured on (nsl-score's note). */
#define NSL_SCORE_KNN_RECALL_SAMPLE 100
/* Beyond this many rows the exact knn notes that --index ivf exists. */
#define NSL_SCORE_KNN_NOTE_N 100000

/*
 * The whole of nsl-score: read the records of paths[0..npaths) (none:
 * standard input), score them by every metric of the job, and write each
 * record to w with its score fields (and, for prototype, its cluster
 * field) spliced in, replacing fields of the same names.  With a
 * whole-set metric the records are read at once (nsl_dataset_read);
 * otherwise they stream one by one.  Score fields: out_field alone for one
 * metric, out_field_METRIC for several.  Returns 0, or -1 with err set and
 * placed at the offending file and line.
 */
struct nsl_writer;
struct nsl_buf;

struct nsl_score_job {
	int metric[NSL_SCORE_NMETRICS];
	size_t nmetrics;
	const char *out_field;		/* "score" */
	const char *cluster_field;	/* "cluster" */
	const char *field;		/* embeddings: "embedding" */
	const char *label_field;	/* "label" */
	const char *logits_field;	/* "logits" */
	size_t k;			/* prototype clusters; 0: the labels' count */
	size_t per_centroid;		/* prototype: fit on at most k P
					 * records, those of smallest
					 * nsl_hash64_seeded(seed, id) */
	const char *id_field;		/* the sample's key: "id" */
	int iters;			/* Lloyd iterations */
	uint64_t seed;
	int median;			/* class-prototype --center median */
	size_t neighbours;		/* knn */
	int knn_index;			/* enum nsl_score_knn_index */
	size_t lists;			/* knn ivf: lists; 0: ceil(sqrt(n)) */
	size_t nprobe;			/* knn ivf: lists searched a row;
					 * 0: NSL_SCORE_NPROBE_DEFAULT */
	struct nsl_buf *notes;		/* if not NULL: lines for the user */
	int float32;			/* scores printed as float32 */
	struct nsl_score_opts opts;
	const char *loss_field;		/* "loss" */
	const char *masked_loss_field;	/* "loss_masked" */
	const char *holdout_loss_field;	/* "loss_holdout" */
	const char *valid;		/* lava: the validation set */
	/* embeddings from .npy files, one beside each input (nsl/dataset.h):
	 * the field is not read (whole-set metrics only) */
	const char *const *vectors;
	size_t nvectors;
	const char *lava_inner;		/* lava: otdd's inner, "sinkhorn" */
};

/*
 * NULL if the job can run, else a message (static) naming what is wrong:
 * no metric, a metric of logits only with opts.probs, lava without
 * valid or with an inner method otdd cannot take.
 */
const char *nsl_score_check(const struct nsl_score_job *);

int nsl_score_run(const struct nsl_score_job *, const char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_err *err);

#endif
