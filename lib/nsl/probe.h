/*
 * nsl/probe.h - train and evaluate a classifier on embeddings: a linear
 * probe (multinomial logistic regression) or a one-hidden-layer MLP.
 *
 * Data: x is n rows of d numbers (row-major), y[i] in [0, k) the class
 * of row i, k >= 2.  Features are standardised with the training set's
 * mean and standard deviation (a feature of zero deviation is only
 * centred); with intercept == 0 they are only scaled, never centred, so
 * that a model through the origin stays one.
 *
 * Linear model: logits z = W s(x) + b, W k x d, b k (b = 0 without an
 * intercept); minimises
 *
 *	f(W, b) = (1/n) sum_i -log softmax(z_i)[y_i] + (l2/2) ||W||_F^2
 *
 * by full-batch L-BFGS (memory 10, strong Wolfe line search) until
 * max |grad f| <= tol, or the relative decrease of f in one step,
 * (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1), is at most ftol (default 64
 * machine epsilons, as scipy's L-BFGS-B under sklearn since it minimises
 * the mean loss; before, sklearn left scipy's default 2.2e-9 on the
 * summed loss), or max_iter iterations.  This is sklearn's LogisticRegression(C) objective with
 * C = 1 / (l2 n).  l2 = 0 is allowed: on separable data ||W|| grows
 * while f -> 0, and the run stops at the gradient tolerance.
 *
 * MLP: h = relu(W1 s(x) + b1), z = W2 h + b2; minibatch Adam (or SGD with
 * momentum) on the mean cross-entropy plus (l2/2)(||W1||^2 + ||W2||^2);
 * He initialisation; the order of examples is reshuffled every epoch.
 * Random numbers come from nsl_rng_new(seed, 0) (weights) and
 * nsl_rng_new(seed, 1) (shuffles); row loops are parallel over
 * independent rows and every sum is taken in a fixed order, so results
 * do not depend on the number of OpenMP threads.
 *
 * Ownership: struct nsl_probe owns every array in it; release with
 * nsl_probe_release().  Functions taking x never keep it.
 */
#ifndef NSL_PROBE_H
#define NSL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "nsl/err.h"

enum nsl_probe_model { NSL_PROBE_LINEAR, NSL_PROBE_MLP };
enum nsl_probe_optimizer { NSL_PROBE_ADAM, NSL_PROBE_SGD };

#define NSL_PROBE_DEFAULT_L2 1e-4
#define NSL_PROBE_DEFAULT_TOL 1e-4
#define NSL_PROBE_DEFAULT_FTOL 0x1p-46	/* 64 machine epsilons */
#define NSL_PROBE_DEFAULT_MAX_ITER 1000
#define NSL_PROBE_DEFAULT_HIDDEN 256
#define NSL_PROBE_DEFAULT_EPOCHS 10
#define NSL_PROBE_DEFAULT_BATCH 128
#define NSL_PROBE_DEFAULT_LR_ADAM 1e-3
#define NSL_PROBE_DEFAULT_LR_SGD 0.05
#define NSL_PROBE_MOMENTUM 0.9

struct nsl_probe_params {
	enum nsl_probe_model model;
	double l2;			/* >= 0 */
	int intercept;			/* 1: fit b (and centre features) */
	int standardize;		/* 1: scale (and centre) features */
	double tol;			/* linear: gradient tolerance */
	double ftol;			/* linear: relative decrease tolerance */
	size_t max_iter;		/* linear: L-BFGS iterations */
	size_t hidden;			/* mlp: hidden units */
	size_t epochs, batch;		/* mlp */
	double lr;			/* mlp: step size */
	enum nsl_probe_optimizer optimizer;
	uint64_t seed;
	int dynamics;			/* mlp: keep train logits per epoch */
};

/*
 * The catalogue of models: one row each, indexed by enum
 * nsl_probe_model.  fields are the result record's members that only
 * this model writes; train fits the standardised rows s (n x m->d).
 */
struct nsl_probe;

struct nsl_probe_model_def {
	const char *name;	/* "linear" */
	const char *help;	/* one line for --list-models */
	int hidden_layer;	/* 1: W1, b1, W2, b2 of p.hidden units */
	const char *const *fields;	/* NULL-terminated */
	int (*train)(struct nsl_probe *m, const double *s, const int *y,
	    size_t n, struct nsl_err *err);
};

/* Row m (borrowed, static), or NULL past the last. */
const struct nsl_probe_model_def *nsl_probe_model_get(int m);

/* The model of a name, or -1. */
int nsl_probe_model_parse(const char *name);

/* The model of a name into *out: NULL, or a message (static) listing the
 * catalogue's names: unknown model "svm" (linear or mlp). */
const char *nsl_probe_model_choose(const char *name,
    enum nsl_probe_model *out);

/* Defaults for model (lr for Adam). */
void nsl_probe_params_default(struct nsl_probe_params *,
    enum nsl_probe_model model);

/* NULL if the parameters are usable, else a message. */
const char *nsl_probe_check(const struct nsl_probe_params *);

struct nsl_probe {
	struct nsl_probe_params p;
	size_t d, k, h;			/* h: hidden units (0: linear) */
	double *mu, *sd;		/* d each: s(x)_j = (x_j - mu_j) / sd_j */
	double *w1, *b1;		/* linear: W (k x d), b; mlp: W1, b1 */
	double *w2, *b2;		/* mlp: W2 (k x h), b2 */
	size_t iterations;		/* L-BFGS iterations or epochs */
	int converged;			/* linear: stopped by a tolerance */
	double objective;		/* linear: final f */
	double *dynamics;		/* n x epochs x k when p.dynamics */
	size_t ndyn;			/* rows of dynamics (n) */
};

/*
 * Train on x (n x d) with classes y.  Returns 0, or -1 with err set
 * (NSL_EX_DATAERR: n == 0, k < 2, a class index out of range;
 * NSL_EX_USAGE: bad parameters; NSL_EX_SOFTWARE: out of memory).
 * Release m either way.
 */
int nsl_probe_train(struct nsl_probe *m, const double *x, const int *y,
    size_t n, size_t d, size_t k, const struct nsl_probe_params *p,
    struct nsl_err *err);

void nsl_probe_release(struct nsl_probe *);

/* Logits of the n rows of raw x (n x d) into out (n x k).  Returns 0 or
 * -1 when out of memory (err set). */
int nsl_probe_logits(const struct nsl_probe *, const double *x, size_t n,
    double *out, struct nsl_err *err);

/*
 * Mean cross-entropy of logits z (n x k) against y (n > 0); the fraction
 * of rows whose arg max (the first on ties) is not y into *error.
 */
double nsl_probe_loss(const double *z, const int *y, size_t n, size_t k,
    double *error);

/*
 * The student's direction in raw feature space for a two-class linear
 * model: w = (W[1] - W[0]) / sd, so that class 1 is predicted where
 * w.x + c > 0.  Returns 0, or -1 with err (NSL_EX_USAGE) for an MLP or
 * k != 2.  w has d entries.
 */
int nsl_probe_direction(const struct nsl_probe *, double *w,
    struct nsl_err *err);

/*
 * The teacher-student generalisation error of a student direction a
 * against a teacher b (both d numbers, through the origin, Gaussian
 * inputs): angle(a, b) / pi = acos(a.b / (|a| |b|)) / pi, in [0, 1].
 * Returns NaN if either vector is zero.
 */
double nsl_probe_angle_error(const double *a, const double *b, size_t d);

/* ------------------------------------------------ records in and out */

struct nsl_dataset;

/*
 * Map the test set's labels onto the training set's classes: cls[i] =
 * index of test row i's label in train->label_names.  Returns 0, or -1
 * with err placed at the first test record whose label the training set
 * lacks ("label 7 is not in the training set's labels").
 */
int nsl_probe_map_labels(const struct nsl_dataset *train,
    const struct nsl_dataset *test, int *cls, struct nsl_err *err);

enum nsl_probe_rows {
	NSL_PROBE_DYNAMICS,	/* {"id","label":class index,"logits":[[..]..]} */
	NSL_PROBE_PREDICT	/* {"id","label","pred","logits":[..]} */
};

/*
 * Write one record per row of ds (read with NSL_DATASET_KEEP_LINES and a
 * label field) to path: "id" is the record's own id value, copied, or
 * its 0-based index when it has none.  DYNAMICS: z holds rows x per x k
 * logits (per epochs, k classes), "label" is the class index, i.e. the
 * column of "logits" (equal to the label for labels 0..k-1).  PREDICT:
 * z is n x k, cls[i] the row's class; "label" is the record's label,
 * "pred" the predicted class's label (class names from names[]).
 * Returns 0 or -1 with err (I/O).
 */
int nsl_probe_write_rows(const char *path, enum nsl_probe_rows what,
    const struct nsl_dataset *ds, const double *z, size_t per, size_t k,
    const int *cls, char *const *names, int float32, struct nsl_err *err);

/*
 * The teacher vector: field of the first record of path, which must have
 * d numbers.  *out is new (the caller frees it).  Returns 0, or -1 with
 * err at the file and line.
 */
int nsl_probe_read_teacher(const char *path, const char *field, size_t d,
    double **out, struct nsl_err *err);

/*
 * Add "KEY=VALUE" to o as member KEY: VALUE as JSON if it parses as JSON,
 * else as a string.  The caller has checked that tag has a non-empty KEY
 * (shorter than 256 bytes) and an '='.
 */
struct nsl_obj;
void nsl_probe_add_tag(struct nsl_obj *o, const char *tag);

/* ------------------------------------------------ the result record */

/*
 * One result of nsl-probe, written as
 *	{"model","n_train","d","classes"[,"n_test","test_error","test_loss"],
 *	 "train_error","train_loss"[,"gen_error"],"l2","epochs",
 *	 linear: "objective","converged" | mlp: "hidden","seed"
 *	 [,"seconds"][,TAG...]}
 * model points at the catalogue's name (static); tags[] are "KEY=VALUE"
 * strings, borrowed (see nsl_probe_add_tag).  The parse reads every
 * member but the tags.
 */
struct nsl_probe_result {
	const char *model;
	size_t n_train, d, classes;
	int has_test;
	size_t n_test;
	double test_error, test_loss;
	double train_error, train_loss;
	int has_gen_error;
	double gen_error;
	double l2;
	size_t epochs;
	double objective;	/* linear */
	int converged;		/* linear */
	size_t hidden;		/* mlp */
	uint64_t seed;		/* mlp */
	int has_seconds;
	double seconds;
	const char *const *tags;
	size_t ntags;
};

struct nsl_buf;
struct nsl_rec;

/* Append r as one line (with its newline) to out. */
void nsl_probe_result_write(const struct nsl_probe_result *,
    struct nsl_buf *out);

/* Fill r from rec.  Returns 0, or -1 with err naming the field. */
int nsl_probe_result_parse(struct nsl_probe_result *r,
    const struct nsl_rec *rec, struct nsl_err *err);

/*
 * 1 if k[0..kl) is a member r writes (given its model, has_test and
 * has_gen_error): a tag of that name would replace a result.
 */
int nsl_probe_result_member(const struct nsl_probe_result *r,
    const char *k, size_t kl);

/*
 * NULL if tags[0..n) are usable on r: at most NSL_PROBE_MAX_TAGS, each
 * KEY=VALUE with a KEY of 1 to 255 bytes, given once, not a member r
 * writes; else a message (static) naming the tag.
 */
#define NSL_PROBE_MAX_TAGS 64
const char *nsl_probe_tags_check(const struct nsl_probe_result *r,
    const char *const *tags, size_t n);

/*
 * The whole of nsl-probe: read train (and test), train by p, evaluate,
 * write the dynamics and predict files when named, and fill the result
 * (r->tags and r->has_seconds are the caller's).  teacher_file or
 * teacher (the field, default "teacher") asks for gen_error.  Returns 0,
 * or -1 with err set and placed.
 */
struct nsl_probe_job {
	struct nsl_probe_params p;
	const char *train, *test;	/* test may be NULL */
	const char *field, *label;	/* "embedding", "label" */
	const char *dynamics, *predict;	/* files, or NULL */
	const char *teacher, *teacher_file;	/* NULL: no gen_error */
	int float32;			/* logits of the files as float32 */
};

int nsl_probe_run(const struct nsl_probe_job *, struct nsl_probe_result *r,
    struct nsl_err *err);

#endif
