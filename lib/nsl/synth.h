/*
 * synth.h - synthetic data sets as records: the teacher-student
 * perceptron of Sorscher et al. (2022) and a K-class Gaussian mixture.
 *
 * Invariants.  A struct nsl_synth describes one data set completely: the
 * same struct (model, n, dim, seed, options) gives the same records, bit
 * for bit, on every machine and for every number of threads.  Randomness
 * comes only from nsl_rng_new(seed, stream) generators, one per role and
 * per block of NSL_SYNTH_BLOCK records, the stream number being
 *
 *	(role << 40) | block
 *
 * with the roles of enum nsl_synth_role.  The model (teacher, probe,
 * means) depends on (seed, dim[, classes, separation]) only, never on n,
 * --test or the label noise, so a training set and its --test set share
 * it; the points of record i depend on (seed, dim, test, i) only (and,
 * for the mixture, on its label), so a longer data set extends a shorter
 * one with the same seed.
 *
 * After nsl_synth_setup(): teacher is a unit vector (|w| = 1 to rounding)
 * and, with a probe, probe is the unit vector
 *	v = cos(theta) w + sin(theta) u,  u a random unit vector orthogonal to w
 * (exactly w when theta = 0, exactly u when theta = 90); means holds the
 * K class means, row-major K x dim: the vertices of a regular simplex of
 * edge `separation` centred at the origin,
 *	mu_k = (separation / sqrt 2) (e_k - (1/K) sum_j e_j),
 * e_1..e_K orthonormal random directions (Gram-Schmidt of Gaussian
 * vectors), so ||mu_j - mu_k|| = separation for j != k (needs K <= dim).
 *
 * Ownership: the struct owns teacher, probe, means, weights and counts
 * (freed by nsl_synth_release); field is borrowed.
 */
#ifndef NSL_SYNTH_H
#define NSL_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct nsl_writer;

/* Records per random stream: part of the output's definition. */
#define NSL_SYNTH_BLOCK 256

enum nsl_synth_model {
	NSL_SYNTH_TEACHER_STUDENT,
	NSL_SYNTH_GAUSSIAN_MIXTURE
};

/* The stream roles (see the invariants above). */
enum nsl_synth_role {
	NSL_SYNTH_TEACHER = 1,	/* w: dim Gaussians, normalised */
	NSL_SYNTH_PROBE = 2,	/* u: dim Gaussians, orthogonalised */
	NSL_SYNTH_TRAIN_X = 3,	/* training points, block b */
	NSL_SYNTH_TRAIN_FLIP = 4, /* training label noise, block b */
	NSL_SYNTH_TEST_X = 5,	/* test points, block b */
	NSL_SYNTH_TEST_FLIP = 6, /* test label noise, block b */
	NSL_SYNTH_MEANS = 7,	/* e_1..e_K */
	NSL_SYNTH_TRAIN_LABELS = 8, /* the mixture's label shuffle */
	NSL_SYNTH_TEST_LABELS = 9
};

struct nsl_synth {
	enum nsl_synth_model model;
	uint64_t n;		/* records, >= 1 */
	size_t dim;		/* >= 1 */
	uint64_t seed;
	int test;		/* 1: the test set (other point streams) */
	const char *field;	/* the vector's field name (borrowed) */
	enum nsl_num_style style; /* NSL_NUM_FLOAT32: points rounded first */

	/* teacher-student */
	int has_probe;
	double probe_angle;	/* degrees, [0, 90] */
	int has_noise;		/* write "flipped" */
	double label_noise;	/* [0, 1] */

	/* gaussian-mixture */
	size_t classes;		/* K >= 1 */
	double separation;	/* >= 0 */
	double *weights;	/* K class weights (owned; NULL: equal) */

	/* filled by nsl_synth_setup */
	double *teacher;	/* dim */
	double *probe;		/* dim, or NULL */
	double *means;		/* K x dim */
	uint64_t *counts;	/* K class sizes */
	uint32_t *labels;	/* n labels of the mixture, in record order */
};

/*
 * The catalogue of generators: one row each, indexed by enum
 * nsl_synth_model.  options names the command-line options (without
 * "--") that belong to this generator alone; emit is the one of them
 * that names the file for the model record.
 */
struct nsl_synth_model_def {
	const char *name;	/* "teacher-student" */
	const char *help;	/* one line for --list-models */
	const char *const *options;	/* NULL-terminated */
	const char *emit;
	int (*setup)(struct nsl_synth *, struct nsl_err *);
	void (*record)(const struct nsl_synth *, struct nsl_buf *);
};

/* Row m (borrowed, static), or NULL past the last. */
const struct nsl_synth_model_def *nsl_synth_model_get(int m);

/* The model of a name, or -1. */
int nsl_synth_model_parse(const char *name);

/* Zero the struct and set the defaults (field "embedding", K = 2). */
void nsl_synth_init(struct nsl_synth *);
void nsl_synth_release(struct nsl_synth *);

/*
 * NULL if the parameters are consistent, else a message for a usage error
 * (e.g. "--probe-angle needs --dim 2 or more").
 */
const char *nsl_synth_check(const struct nsl_synth *);

/*
 * Draw the model (teacher and probe, or means, class sizes and labels).
 * Returns 0, or -1 with err set (NSL_EX_SOFTWARE: out of memory).
 */
int nsl_synth_setup(struct nsl_synth *, struct nsl_err *err);

/*
 * The numbers of one block of records, first = block * NSL_SYNTH_BLOCK,
 * m = min(NSL_SYNTH_BLOCK, n - first) of them: x (m x dim, rounded to
 * float32 when style says so), label, and for the teacher-student model
 * margin = w.x, score = -|v.x| (with a probe) and flipped.  Arrays are the
 * caller's, of at least m (x: m * dim) entries; margin, score and flipped
 * may be NULL for the mixture.  Returns m.
 */
struct nsl_synth_rows {
	double *x;
	uint32_t *label;
	double *margin;
	double *score;
	unsigned char *flipped;
};

size_t nsl_synth_draw(const struct nsl_synth *, uint64_t block,
    struct nsl_synth_rows *rows, struct nsl_err *err);

/*
 * Append the records of one block to out, one line each:
 *	{"id":i,"embedding":[...],"label":l,"margin":m,"score":s,"flipped":b}
 * (score with a probe, flipped with label noise; the mixture writes id,
 * embedding and label).  Returns 0, or -1 with err set.
 */
int nsl_synth_format(const struct nsl_synth *, uint64_t block,
    struct nsl_buf *out, struct nsl_err *err);

/*
 * Write all n records to w, blocks drawn and formatted in parallel
 * (OpenMP) and written in order.  Returns 0, or -1 with err set.
 */
int nsl_synth_write(const struct nsl_synth *, struct nsl_writer *w,
    struct nsl_err *err);

/*
 * The model as one record (after setup), numbers always in double:
 *	{"model":"teacher-student","dim":N,"seed":S,"teacher":[...]
 *	 [,"probe_angle":THETA,"probe":[...]]}
 *	{"model":"gaussian-mixture","dim":N,"seed":S,"classes":K,
 *	 "separation":S,"counts":[...],"means":[[...],...]}
 * (counts: the class sizes of this data set).
 */
void nsl_synth_model_record(const struct nsl_synth *, struct nsl_buf *out);

/*
 * Command-line helpers.  Each returns NULL, or a message (static).
 *
 * weights_parse: "w1,w2,...": s->weights (replaced, owned by s) and *n
 * of them, each a number in [0, 1e300], at most NSL_SYNTH_MAX_CLASSES.
 * foreign_option: given(name) says whether the option --name was given;
 * the message names the options of the first other generator given one
 * ("--classes, --separation, --weights and --emit-means are for
 * gaussian-mixture").
 */
#define NSL_SYNTH_MAX_CLASSES 65536
const char *nsl_synth_weights_parse(struct nsl_synth *s, const char *arg,
    size_t *n);
const char *nsl_synth_foreign_option(int model, int (*given)(const char *));

/* The generators' names, "a, b" then last before the final one (" or ",
 * ", "); static. */
const char *nsl_synth_model_names(const char *last);

#endif
