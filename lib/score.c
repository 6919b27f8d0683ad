/* score.c - data-pruning scores (see nsl/score.h). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/ivf.h"
#include "nsl/json.h"
#include "nsl/hash.h"
#include "nsl/kmeans.h"
#include "nsl/mem.h"
#include "nsl/npy.h"
#include "nsl/rng.h"
#include "nsl/score.h"
#include "nsl/score_values.h"
#include "nsl/vec.h"

void
nsl_score_softmax(const double *z, size_t n, double *p)
{
	double mx = -INFINITY, s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (z[i] > mx)
			mx = z[i];
	for (i = 0; i < n; i++) {
		p[i] = exp(z[i] - mx);
		s += p[i];
	}
	for (i = 0; i < n; i++)
		p[i] /= s;
}

/* Row r's probabilities into p (softmax, or the row itself, checked). */
static int
row_probs(const double *z, size_t r, size_t cols, int probs, double *p,
    struct nsl_err *err)
{
	const double *zr = z + r * cols;
	double s = 0;
	size_t j;

	if (!probs) {
		nsl_score_softmax(zr, cols, p);
		return 0;
	}
	for (j = 0; j < cols; j++) {
		if (!(zr[j] >= 0 && zr[j] <= 1))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "row %zu: probability %g is outside [0, 1]", r + 1,
			    zr[j]);
		s += zr[j];
		p[j] = zr[j];
	}
	if (fabs(s - 1) > 1e-6)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "row %zu: probabilities sum to %.17g, not 1", r + 1, s);
	return 0;
}

/* Index of the largest of n numbers (the first of equals). */
static size_t
argmax(const double *v, size_t n)
{
	size_t j, b = 0;

	for (j = 1; j < n; j++)
		if (v[j] > v[b])
			b = j;
	return b;
}

/* ||p - onehot(y)||_2 */
static double
err_norm(const double *p, size_t cols, size_t y)
{
	double s = 0, t;
	size_t j;

	for (j = 0; j < cols; j++) {
		t = p[j] - (j == y ? 1.0 : 0.0);
		s += t * t;
	}
	return sqrt(s);
}

/*
 * The per-record metrics.  Each gets the record's inputs (struct in) and
 * writes one score; the caller has checked the shape and the label.
 */
struct nsl_score_in {
	const double *z;	/* rows x cols model outputs */
	size_t rows, cols;
	size_t y;		/* the label, when the metric needs one */
	const double *h;	/* grand: hrows x hd embedding */
	size_t hrows, hd;
	const struct nsl_score_opts *o;
	double *p;		/* cols numbers of work */
};

/* Mean over rows of ||p - onehot(y)||, times sqrt(1 + |h|^2) for grand. */
static int
error_norm(const struct nsl_score_in *in, int grand, double *out,
    struct nsl_err *err)
{
	size_t r, rows = in->rows, cols = in->cols, hd = in->hd;
	double acc = 0;

	if (grand && in->hrows != 1 && in->hrows != rows)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "embedding has %zu rows, model outputs %zu", in->hrows,
		    rows);
	for (r = 0; r < rows; r++) {
		double e;

		if (row_probs(in->z, r, cols, in->o->probs, in->p, err) < 0)
			return -1;
		e = err_norm(in->p, cols, in->y);
		if (grand) {
			const double *hr = in->h + (in->hrows == 1 ? 0 :
			    r) * hd;

			/* sqrt(1 + |h|^2), past |h| = 1e154 too */
			e *= hypot(1, nsl_vec_norm(hr, hd));
		}
		acc += e;
	}
	*out = acc / (double)rows;
	if (isinf(*out)) {	/* the sum overflowed, not the mean? */
		for (acc = 0, r = 0; r < rows; r++) {
			if (row_probs(in->z, r, cols, in->o->probs, in->p,
			    err) < 0)
				return -1;
			acc += err_norm(in->p, cols, in->y) * hypot(1,
			    nsl_vec_norm(in->h + (in->hrows == 1 ? 0 : r) * hd,
			    hd)) / (double)rows;
		}
		*out = acc;
	}
	return 0;
}

static int
el2n(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	return error_norm(in, 0, out, err);
}

static int
grand(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	return error_norm(in, 1, out, err);
}

enum uncertainty { MARGIN, ENTROPY, LEAST_CONFIDENCE };

/* Mean over rows of an uncertainty of the row's distribution. */
static int
uncertainty(const struct nsl_score_in *in, enum uncertainty kind, double *out,
    struct nsl_err *err)
{
	size_t r, j, cols = in->cols;
	const double *p = in->p;
	double acc = 0;

	for (r = 0; r < in->rows; r++) {
		double v = 0, p1, p2 = -INFINITY;
		size_t b;

		if (row_probs(in->z, r, cols, in->o->probs, in->p, err) < 0)
			return -1;
		b = argmax(p, cols);
		p1 = p[b];
		if (kind == LEAST_CONFIDENCE)
			v = 1 - p1;
		else if (kind == MARGIN) {
			for (j = 0; j < cols; j++)
				if (j != b && p[j] > p2)
					p2 = p[j];
			v = 1 - (p1 - p2);
		} else
			for (j = 0; j < cols; j++)
				if (p[j] > 0)
					v -= p[j] * log(p[j]);
		acc += v;
	}
	*out = acc / (double)in->rows;
	return 0;
}

static int
margin(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	return uncertainty(in, MARGIN, out, err);
}

static int
entropy(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	return uncertainty(in, ENTROPY, out, err);
}

static int
least_confidence(const struct nsl_score_in *in, double *out,
    struct nsl_err *err)
{
	return uncertainty(in, LEAST_CONFIDENCE, out, err);
}

/* Toneva et al.: events acc 1 -> 0 between consecutive epochs */
static int
forgetting(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	int prev = 0, learned = 0, now;
	long events = 0;
	size_t r;

	(void)err;
	for (r = 0; r < in->rows; r++) {
		now = argmax(in->z + r * in->cols, in->cols) == in->y;
		if (r > 0 && prev && !now)
			events++;
		learned |= now;
		prev = now;
	}
	*out = learned ? (double)events : (double)in->rows;
	return 0;
}

static int
aum(const struct nsl_score_in *in, double *out, struct nsl_err *err)
{
	size_t r, j, cols = in->cols, y = in->y;
	double acc = 0;

	if (in->o->probs)
		return nsl_err_set(err, NSL_EX_USAGE,
		    "aum is defined on logits, not probabilities "
		    "(drop --probs)");
	for (r = 0; r < in->rows; r++) {
		const double *zr = in->z + r * cols;
		double other = -INFINITY;

		for (j = 0; j < cols; j++)
			if (j != y && zr[j] > other)
				other = zr[j];
		acc += zr[y] - other;
	}
	*out = -(acc / (double)in->rows);
	if (!isfinite(*out)) {
		/*
		 * Margins of logits near 1e308 overflow (1e308 minus
		 * -1e308): average half margins, then double (inf
		 * only if the mean margin is past DBL_MAX).
		 */
		for (acc = 0, r = 0; r < in->rows; r++) {
			const double *zr = in->z + r * cols;
			double other = -INFINITY;

			for (j = 0; j < cols; j++)
				if (j != y && zr[j] > other)
					other = zr[j];
			acc += (zr[y] / 2 - other / 2) / (double)in->rows;
		}
		*out = -2 * acc;
	}
	return 0;
}

static int
dynamic_uncertainty(const struct nsl_score_in *in, double *out,
    struct nsl_err *err)
{
	size_t J = in->o->window, k, j, r, nwin, rows = in->rows;
	double *py, acc = 0;

	if (J < 2 || rows < J)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "needs at least the window's %zu rows (epochs), "
		    "got %zu", J, rows);
	py = malloc(rows * sizeof(double));
	if (py == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (r = 0; r < rows; r++) {
		if (row_probs(in->z, r, in->cols, in->o->probs, in->p,
		    err) < 0) {
			free(py);
			return -1;
		}
		py[r] = in->p[in->y];
	}
	nwin = rows - J + 1;
	for (k = 0; k < nwin; k++) {
		double mean = 0, ss = 0, t;

		for (j = 0; j < J; j++)
			mean += py[k + j];
		mean /= (double)J;
		for (j = 0; j < J; j++) {
			t = py[k + j] - mean;
			ss += t * t;
		}
		acc += sqrt(ss / (double)(J - 1));
	}
	free(py);
	*out = acc / (double)nwin;
	return 0;
}

int
nsl_score_record(int metric, const double *z, size_t rows, size_t cols,
    long label, const double *h, size_t hrows, size_t hd,
    const struct nsl_score_opts *o, double *p, double *out,
    struct nsl_err *err)
{
	const struct nsl_score_metric_def *m = nsl_score_metric_get(metric);
	struct nsl_score_in in = { z, rows, cols, (size_t)label, h, hrows,
	    hd, o, p };

	if (rows == 0 || cols < 2)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "model outputs need at least 2 classes (got %zu)", cols);
	if (m != NULL && m->needs & NSL_SCORE_NEEDS_LABEL &&
	    (label < 0 || (size_t)label >= cols))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "label %ld is not a class index in [0, %zu)", label, cols);
	if (m == NULL || m->record == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "metric %d is not a per-record metric", metric);
	return m->record(&in, out, err);
}

/*
 * The catalogue: one row a metric, in the order of enum nsl_score_metric
 * (the row's index is the metric).  The tool's name list, --list-metrics,
 * the parser and the reading of the inputs all come from these rows.
 */
static int proto_set(const struct nsl_score_job *, const struct nsl_dataset *,
    double *, size_t *, struct nsl_err *);
static int class_proto_set(const struct nsl_score_job *,
    const struct nsl_dataset *, double *, size_t *, struct nsl_err *);
static int knn_set(const struct nsl_score_job *, const struct nsl_dataset *,
    double *, size_t *, struct nsl_err *);

#define LOGITS NSL_SCORE_NEEDS_LOGITS
#define LABEL NSL_SCORE_NEEDS_LABEL
static const struct nsl_score_metric_def metrics[NSL_SCORE_NMETRICS + 1] = {
	{ "prototype", "cosine distance to the nearest k-means centroid of "
	    "the L2-normalised embeddings (self-supervised; --k, --iters, "
	    "--seed, --cluster-field)",
	    NSL_SCORE_NEEDS_SET | NSL_SCORE_NEEDS_EMBEDDING |
	    NSL_SCORE_CLUSTERS | NSL_SCORE_SET_F32, NULL, proto_set, NULL },
	{ "class-prototype", "Euclidean distance to the class mean or median "
	    "(--center)", NSL_SCORE_NEEDS_SET | NSL_SCORE_NEEDS_EMBEDDING |
	    LABEL | NSL_SCORE_SET_F32, NULL, class_proto_set, NULL },
	{ "knn", "mean Euclidean distance to the nearest neighbours "
	    "(--neighbours)", NSL_SCORE_NEEDS_SET | NSL_SCORE_NEEDS_EMBEDDING |
	    NSL_SCORE_SET_F32, NULL, knn_set, NULL },
	{ "el2n", "mean L2 norm of softmax minus the one-hot label",
	    LOGITS | LABEL, el2n, NULL, NULL },
	{ "grand", "EL2N times sqrt(1 + |embedding|^2): the last layer's "
	    "gradient norm", LOGITS | LABEL | NSL_SCORE_NEEDS_EMBEDDING, grand,
	    NULL, NULL },
	{ "margin", "1 minus the gap between the two largest probabilities",
	    LOGITS, margin, NULL, NULL },
	{ "entropy", "entropy of the predicted distribution", LOGITS,
	    entropy, NULL, NULL },
	{ "least-confidence", "1 minus the largest probability", LOGITS,
	    least_confidence, NULL, NULL },
	{ "forgetting", "times learned then forgotten between epochs (rows; "
	    "the row count if never learned)", LOGITS | LABEL, forgetting,
	    NULL, NULL },
	{ "aum", "minus the mean margin of the label's logit (logits only)",
	    LOGITS | LABEL | NSL_SCORE_LOGITS_ONLY, aum, NULL, NULL },
	{ "dynamic-uncertainty", "mean deviation of the label's probability "
	    "over windows of epochs (--window)", LOGITS | LABEL,
	    dynamic_uncertainty, NULL, NULL },
	{ "lava", "LAVA's OT data value: the calibrated gradient of the "
	    "label-aware (OTDD) distance to the --valid set",
	    NSL_SCORE_NEEDS_SET | NSL_SCORE_NEEDS_EMBEDDING | LABEL |
	    NSL_SCORE_NEEDS_VALID, NULL, nsl_score_lava_set, NULL },
	{ "attention-influence", "(masked - base) / base of a reference "
	    "model's losses with and without its retrieval heads",
	    NSL_SCORE_NEEDS_LOSS | NSL_SCORE_NEEDS_MASKED_LOSS, NULL, NULL,
	    nsl_score_attention_influence },
	{ "reducible-loss", "RHO-LOSS: the loss minus a holdout-trained "
	    "model's loss", NSL_SCORE_NEEDS_LOSS |
	    NSL_SCORE_NEEDS_HOLDOUT_LOSS, NULL, NULL,
	    nsl_score_reducible_loss },
	{ "perplexity", "exp of a reference model's mean token loss",
	    NSL_SCORE_NEEDS_LOSS, NULL, NULL, nsl_score_perplexity },
	{ NULL, NULL, 0, NULL, NULL, NULL }
};
#undef LOGITS
#undef LABEL

const struct nsl_score_metric_def *
nsl_score_metric_get(int m)
{
	return m >= 0 && m < NSL_SCORE_NMETRICS ? &metrics[m] : NULL;
}

const char *
nsl_score_metric_name(int m)
{
	return m >= 0 && m < NSL_SCORE_NMETRICS ? metrics[m].name : NULL;
}

void
nsl_score_metric_help(char *buf, size_t size)
{
	size_t len;
	int m;

	len = (size_t)snprintf(buf, size, "one or more of, comma-separated:");
	for (m = 0; m < NSL_SCORE_NMETRICS && len < size; m++)
		len += (size_t)snprintf(buf + len, size - len, " %s,",
		    metrics[m].name);
	if (len < size)
		snprintf(buf + len - 1, size - len + 1,
		    " (--list-metrics says what each reads)");
}

int
nsl_score_metric_parse(const char *name)
{
	int m;

	for (m = 0; m < NSL_SCORE_NMETRICS; m++)
		if (strcmp(name, metrics[m].name) == 0)
			return m;
	return -1;
}

/*
 * "el2n,forgetting" into job->metric: rows of the catalogue, each once;
 * the last list given counts.  Empty names ("a,,b") are skipped.
 */
const char *
nsl_score_metrics_parse(struct nsl_score_job *job, const char *arg)
{
	static char msg[128];
	const char *p = arg;
	size_t len, m;
	int metric;

	job->nmetrics = 0;
	do {
		char name[64];

		if ((len = strcspn(p, ",")) == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if ((metric = nsl_score_metric_parse(name)) < 0) {
			snprintf(msg, sizeof(msg), "unknown metric '%s'", name);
			return msg;
		}
		for (m = 0; m < job->nmetrics; m++)
			if (job->metric[m] == metric) {
				snprintf(msg, sizeof(msg), "'%s' given twice",
				    name);
				return msg;
			}
		job->metric[job->nmetrics++] = metric;
	} while (p += len, *p++ == ',');
	return job->nmetrics == 0 ? "no metric named" : NULL;
}

int
nsl_score_metric_whole_set(int m)
{
	return m >= 0 && m < NSL_SCORE_NMETRICS &&
	    (metrics[m].needs & NSL_SCORE_NEEDS_SET) != 0;
}

int
nsl_score_metric_needs_label(int m)
{
	return m >= 0 && m < NSL_SCORE_NMETRICS &&
	    (metrics[m].needs & NSL_SCORE_NEEDS_LABEL) != 0;
}

const char *
nsl_score_check(const struct nsl_score_job *J)
{
	static char msg[128];
	const char *why;
	size_t m;

	if (J->nmetrics == 0)
		return "no metric given";
	/* the index's knobs would otherwise be taken and silently unused */
	if (J->knn_index != NSL_SCORE_KNN_IVF && (J->lists > 0 ||
	    J->nprobe > 0))
		return "--lists and --nprobe go with --index ivf";
	if (J->per_centroid > 0) {
		for (m = 0; m < J->nmetrics; m++)
			if (J->metric[m] == NSL_SCORE_PROTOTYPE)
				break;
		if (m == J->nmetrics || J->k == 0)
			return "--max-per-centroid samples for prototype, "
			    "with --k";
		/* the sample's k P rows must be countable (and allocated) */
		if (J->per_centroid > ((size_t)1 << 40) / J->k)
			return "--max-per-centroid: k P exceeds 2^40 records";
	}
	for (m = 0; m < J->nmetrics; m++) {
		if (J->metric[m] < 0 || J->metric[m] >= NSL_SCORE_NMETRICS)
			return "metric: not in the catalogue";
		if (J->opts.probs && metrics[J->metric[m]].needs &
		    NSL_SCORE_LOGITS_ONLY) {
			snprintf(msg, sizeof(msg), "--probs: %s is defined on "
			    "logits, not probabilities",
			    metrics[J->metric[m]].name);
			return msg;
		}
		if (metrics[J->metric[m]].needs & NSL_SCORE_NEEDS_VALID &&
		    (why = nsl_score_lava_check(J)) != NULL)
			return why;
		/* a .npy row stands for the whole set's vector field only */
		if (J->nvectors > 0 && (!(metrics[J->metric[m]].needs &
		    NSL_SCORE_NEEDS_SET) || metrics[J->metric[m]].needs &
		    NSL_SCORE_NEEDS_VALID)) {
			snprintf(msg, sizeof(msg), "--vectors: for prototype, "
			    "class-prototype and knn, not %s",
			    metrics[J->metric[m]].name);
			return msg;
		}
	}
	return NULL;
}

/*
 * Unit rows as prototype reads them: n x d doubles x, or with x NULL the
 * float32 rows xf each divided by div[i] (nsl_kmeans_fit_f32), the same
 * doubles read as they are needed: the set is held once, in float32.
 */
struct unit_rows {
	const double *x;
	const float *xf;
	const double *div;
	size_t n;
};

/*
 * all's float32 rows sample[0..m) copied out, in that order, with their
 * divisors, into *fit: 0, or -1 when out of memory.  Only a file's rows
 * read in place are sampled so (proto_rows_of), and those are float32.
 */
static int
unit_rows_copy(const struct unit_rows *all, const size_t *sample, size_t m,
    size_t d, struct unit_rows *fit)
{
	float *xf = malloc((m * d + 1) * sizeof(*xf));
	double *div = malloc((m + 1) * sizeof(*div));
	size_t i;

	if (xf == NULL || div == NULL || all->xf == NULL) {
		free(xf);
		free(div);
		return -1;
	}
	for (i = 0; i < m; i++) {
		memcpy(xf + i * d, all->xf + sample[i] * d, d * sizeof(*xf));
		div[i] = all->div[sample[i]];
	}
	fit->x = NULL;
	fit->xf = xf;
	fit->div = div;
	fit->n = m;
	return 0;
}

/*
 * The scores of rows [i0, i0 + 4) of all (those below all->n), 1 - cos
 * to their centres (cnorm: the centres' norms), through b (4 d).  The
 * four rows' sums advance together (nsl_vec_dot4), each in its own
 * order: the bits of one row at a time.
 * A row past the end repeats the last (its score dropped).
 */
static void
proto_scores4(const struct unit_rows *all, size_t i0, size_t d,
    const double *centroids, const double *cnorm, const size_t *cluster,
    double *b, double *score)
{
	const double *xr[4], *cr[4];
	double sx[4], sc[4], nx, nc;
	size_t q, i;

	for (q = 0; q < 4; q++) {
		i = i0 + q < all->n ? i0 + q : all->n - 1;
		cr[q] = centroids + cluster[i] * d;
		if (all->x) {
			xr[q] = all->x + i * d;
			continue;
		}
		nsl_vec_f32_div(b + q * d, all->xf + i * d, all->div[i], d);
		xr[q] = b + q * d;
	}
	nsl_vec_dot4(xr, xr, d, sx);
	nsl_vec_dot4(xr, cr, d, sc);
	for (q = 0; q < 4 && i0 + q < all->n; q++) {
		nx = nsl_vec_norm_of_sum(xr[q], d, sx[q]);
		nc = cnorm[cluster[i0 + q]];
		score[i0 + q] = nx == 0 || nc == 0 ? 1.0 : 1.0 - sc[q] /
		    (nx * nc);
	}
}

/*
 * The prototype scores of the unit rows all, the centres fitted on nfit
 * of them: with sample NULL, the first nfit (all of them, or a sample
 * moved to the front), whose rows keep the fit's assignment, exact under
 * the final centres, the lowest index at a tie (nsl/kmeans.h); or the
 * rows sample[0..nfit), copied out for the fit and given back after it.
 * Every row not so assigned is then given its nearest centre, as a
 * saved model's apply gives every record.
 */
static int
prototype_rows(const struct unit_rows *all, const size_t *sample,
    size_t nfit, size_t d, size_t k, int iters, uint64_t seed,
    double *score, size_t *cluster, struct nsl_err *err)
{
	struct nsl_kmeans_params p;
	struct nsl_kmeans_result r;
	struct unit_rows fit = *all;	/* the first nfit, or a copy */
	const double *x = all->x;
	const float *xf = all->xf;
	const double *div = all->div;
	double *buf, *cnorm;
	int nt = omp_get_max_threads(), rc = -1;
	size_t j;
	long i;

	fit.n = nfit;
	memset(&p, 0, sizeof(p));
	p.k = k;
	p.max_iter = iters;
	p.tol = 1e-4;
	p.seed = seed;
	r.centroids = malloc((k ? k : 1) * d * sizeof(double));
	r.assign = sample == NULL ? cluster : malloc((nfit + 1) *
	    sizeof(size_t));
	buf = malloc((size_t)nt * 4 * (d ? d : 1) * sizeof(double));
	cnorm = malloc((k ? k : 1) * sizeof(double));
	if (r.centroids == NULL || r.assign == NULL || buf == NULL ||
	    cnorm == NULL || (sample != NULL && unit_rows_copy(all, sample,
	    nfit, d, &fit) < 0)) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	rc = fit.x ? nsl_kmeans_fit(fit.x, fit.n, d, &p, &r, err) :
	    nsl_kmeans_fit_f32(fit.xf, fit.div, fit.n, d, &p, &r, err);
	if (sample != NULL) {
		/* the copy's memory back before every row is assigned */
		free((void *)(uintptr_t)fit.xf);
		free((void *)(uintptr_t)fit.div);
	}
	if (rc < 0)
		goto out;
	rc = -1;
	/* rows [0, nfit) have the fit's assignment, unless copied out */
	if (sample != NULL)
		nfit = 0;
	if (nfit < all->n) {
		/* score holds the distances until the scores take it: the
		 * assignment then needs no array of its own for them */
		if (x)
			nsl_kmeans_assign(x + nfit * d, all->n - nfit, d,
			    r.centroids, k, cluster + nfit, score + nfit);
		else
			nsl_kmeans_assign_f32(xf + nfit * d, div + nfit,
			    all->n - nfit, d, r.centroids, k, cluster + nfit,
			    score + nfit);
	}
	for (j = 0; j < k; j++)
		cnorm[j] = nsl_vec_norm(r.centroids + j * d, d);
	/*
	 * each record's score alone: the same on any number of threads, and
	 * four at a time (proto_scores4) the same as one at a time
	 */
#pragma omp parallel for schedule(static)
	for (i = 0; i < (long)(all->n + 3) / 4; i++)
		proto_scores4(all, (size_t)i * 4, d, r.centroids, cnorm,
		    cluster, buf + (size_t)omp_get_thread_num() * 4 * d,
		    score);
	rc = 0;
out:
	if (r.assign != cluster)
		free(r.assign);
	free(r.centroids);
	free(buf);
	free(cnorm);
	return rc;
}

int
nsl_score_prototype(double *x, size_t n, size_t d, size_t k, int iters,
    uint64_t seed, double *score, size_t *cluster, struct nsl_err *err)
{
	struct unit_rows all = { x, NULL, NULL, n };

	nsl_vec_normalize_rows(x, n, d);
	return prototype_rows(&all, NULL, n, d, k, iters, seed, score,
	    cluster, err);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Embeddings far from 1 in magnitude overflow the sums and squares of
 * the distance metrics (1e200: a squared distance 1e400): a copy of them
 * scaled by a power of two (exact), in *copy, or x itself when no scale
 * is needed (k = 0).  The distances come back times 2^-k.
 */
static const double *
scaled_embeddings(const double *x, size_t n, size_t d, double **copy, int *k)
{
	*copy = NULL;
	if ((*k = nsl_vec_range_exp(x, n * d, 250)) == 0)
		return x;
	if ((*copy = malloc((n * d > 0 ? n * d : 1) * sizeof(double))) == NULL)
		return NULL;
	memcpy(*copy, x, n * d * sizeof(double));
	nsl_vec_scale_exp(*copy, n * d, *k);
	return *copy;
}

static void
unscale_scores(double *score, size_t n, int k)
{
	nsl_vec_scale_exp(score, n, -k);
}

/*
 * nsl_score_class_prototype on x0 (n x d doubles), or with x0 NULL on the
 * float32 rows xf, each number read as (double)xf: the same sums, medians
 * and distances.  Float32 numbers lie within 2^-149 and 2^128, inside
 * the range the double rows are scaled into, so they need no copy.
 */
static int
class_proto_rows(const double *x0, const float *xf, size_t n, size_t d,
    const int *label, size_t nlabels, int median, double *score,
    struct nsl_err *err)
{
	double *centre = calloc(nlabels * d, sizeof(double));
	size_t *count = calloc(nlabels, sizeof(size_t));
	double *col = NULL, *copy = NULL, *buf = malloc(d * sizeof(double));
	const double *x = NULL;
	size_t i, j, c;
	int k = 0;

	if (!centre || !count || !buf || (x0 != NULL &&
	    (x = scaled_embeddings(x0, n, d, &copy, &k)) == NULL))
		goto oom;
#define XIJ(i, j) (x ? x[(i) * d + (j)] : (double)xf[(i) * d + (j)])
	for (i = 0; i < n; i++)
		count[label[i]]++;
	if (!median) {
		for (i = 0; i < n; i++)
			for (j = 0; j < d; j++)
				centre[(size_t)label[i] * d + j] += XIJ(i, j);
		for (c = 0; c < nlabels; c++)
			for (j = 0; j < d; j++)
				if (count[c] > 0)
					centre[c * d + j] /= (double)count[c];
	} else {
		if ((col = malloc(n * sizeof(double))) == NULL)
			goto oom;
		for (c = 0; c < nlabels; c++) {
			if (count[c] == 0)
				continue;
			for (j = 0; j < d; j++) {
				size_t m = 0;

				for (i = 0; i < n; i++)
					if ((size_t)label[i] == c)
						col[m++] = XIJ(i, j);
				qsort(col, m, sizeof(double), cmp_double);
				centre[c * d + j] = m % 2 ? col[m / 2] :
				    (col[m / 2 - 1] + col[m / 2]) / 2;
			}
		}
	}
	for (i = 0; i < n; i++) {
		const double *xi = x ? x + i * d : buf;

		for (j = 0; x == NULL && j < d; j++)
			buf[j] = (double)xf[i * d + j];
		score[i] = sqrt(nsl_vec_sqdist(xi,
		    centre + (size_t)label[i] * d, d));
	}
#undef XIJ
	unscale_scores(score, n, k);
	free(centre);
	free(count);
	free(col);
	free(copy);
	free(buf);
	return 0;
oom:
	free(centre);
	free(count);
	free(copy);
	free(buf);
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

int
nsl_score_class_prototype(const double *x0, size_t n, size_t d,
    const int *label, size_t nlabels, int median, double *score,
    struct nsl_err *err)
{
	return class_proto_rows(x0, NULL, n, d, label, nlabels, median, score,
	    err);
}

#define KNN_BLOCK 256
#define KNN_COLS 4096

/* One thread's work space of the neighbour search. */
struct knn_ws {
	double *dm;		/* KNN_BLOCK x KNN_COLS: a product block */
	double *bd;		/* n x k: each row's k smallest so far */
	size_t *bi;		/* n x k: their columns */
	double *xa;		/* float32 rows: KNN_BLOCK x d, a row block */
	double *xb;		/* min(n, KNN_COLS) x d, a column block */
};

/*
 * Rows r0 .. r0 + rows of x, or of the float32 rows xf widened into buf
 * (each number read as (double)xf, exactly the number a double row would
 * hold): what the kernels multiply, so a float32 set gives the bits of
 * the same set in double.
 */
static const double *
knn_rows(const double *x, const float *xf, size_t d, size_t r0, size_t rows,
    double *buf)
{
	size_t q;

	if (x != NULL)
		return x + r0 * d;
	for (q = 0; q < rows * d; q++)
		buf[q] = (double)xf[r0 * d + q];
	return buf;
}

/*
 * Candidate (v, j) into a row's list of the k smallest, kept sorted.
 * Ties go to the smaller column, so the list is the k smallest pairs
 * (v, j) in that order whatever order they come in: the threads' partial
 * lists then merge to the same bits for any split.
 */
static inline void
knn_insert(double *kd, size_t *ki, size_t k, double v, size_t j)
{
	size_t m = k - 1;

	if (!(v < kd[m] || (v == kd[m] && j < ki[m])))
		return;
	while (m > 0 && (v < kd[m - 1] || (v == kd[m - 1] && j < ki[m - 1]))) {
		kd[m] = kd[m - 1];
		ki[m] = ki[m - 1];
		m--;
	}
	kd[m] = v;
	ki[m] = j;
}

/*
 * Rows r0.. of x (squared norms sq) against the columns from r0 on: the
 * distance matrix is symmetric, so each product above the diagonal
 * blocks serves both its row and, transposed, its column, halving the
 * GEMM work.  A pair's squared distance is (g + sq[row]) + sq[col] with
 * g = -2 x_row . x_col, whichever side the product came from (the dot
 * product is the same bits either way round), so a row sees the values
 * it would see from its own full row of products.
 */
static void
knn_block(const double *x, const float *xf, const double *sq, size_t n,
    size_t d, size_t k, size_t r0, struct knn_ws *w)
{
	size_t rows = n - r0 < KNN_BLOCK ? n - r0 : KNN_BLOCK;
	size_t r1 = r0 + rows, c0, i, j;
	double *dm = w->dm, *bd = w->bd, v;
	const double *xa = knn_rows(x, xf, d, r0, rows, w->xa);
	size_t *bi = w->bi;

	for (c0 = r0; c0 < n; c0 += KNN_COLS) {
		size_t cols = n - c0 < KNN_COLS ? n - c0 : KNN_COLS;

		/* the same shapes and strides from either: the same bits */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
		    (int)rows, (int)cols, (int)d, -2.0, xa, (int)d,
		    knn_rows(x, xf, d, c0, cols, w->xb), (int)d, 0.0, dm,
		    (int)cols);
		for (i = 0; i < rows; i++) {
			const double *g = dm + i * cols;
			size_t a = r0 + i;

			for (j = 0; j < cols; j++) {
				size_t b = c0 + j;

				if (b == a)
					continue;
				v = g[j] + sq[a] + sq[b];
				knn_insert(bd + a * k, bi + a * k, k,
				    v > 0 ? v : 0, b);
				if (b < r1)	/* its own row block does it */
					continue;
				v = g[j] + sq[b] + sq[a];
				knn_insert(bd + b * k, bi + b * k, k,
				    v > 0 ? v : 0, a);
			}
		}
	}
}

/*
 * The search on x0 (n x d doubles), or with x0 NULL on the float32 rows
 * xf, widened a block at a time into each thread's xa and xb: the same
 * products, sums and insertions in the same order, so the same bits.
 * Below some (256 + 4096) threads rows the blocks would outweigh the
 * rows themselves, and the rows are widened once instead.
 * Float32 numbers lie within 2^-149 and 2^128, inside the range the
 * double rows are scaled into, so they need no scaled copy.
 */
static int
knn_neighbours(const double *x0, const float *xf, size_t n, size_t d,
    size_t k, double *dist, size_t *idx, struct nsl_err *err)
{
	double *copy = NULL, *wide = NULL;
	const double *x = x0;
	int ke = 0, nt, t, blas_threads;
	long b, nb, row;
	double *sq = malloc(n * sizeof(double));
	struct knn_ws *ws = NULL;
	int rc = -1;

	if (k == 0 || k >= n) {
		nsl_err_set(err, NSL_EX_DATAERR,
		    "knn: k = %zu neighbours needs more than k records (have %zu)",
		    k, n);
		free(sq);
		return -1;
	}
	/* no more threads than row blocks: each holds its own lists */
	nb = (long)((n + KNN_BLOCK - 1) / KNN_BLOCK);
	nt = omp_get_max_threads();
	if (nt > nb)
		nt = (int)nb;
	if (nt < 1)
		nt = 1;
	if (!sq || (ws = calloc((size_t)nt, sizeof(*ws))) == NULL)
		goto oom;
	/* the threads' widened blocks would hold as many rows as the set
	 * (small n): one widened copy instead, the double search on it */
	if (x0 == NULL && (size_t)nt * (KNN_BLOCK + (n < KNN_COLS ? n :
	    KNN_COLS)) >= n) {
		if ((wide = nsl_dataset_f32_widen(xf, n * d, n * d)) == NULL)
			goto oom;
		x = x0 = wide;
		xf = NULL;
	}
	for (t = 0; t < nt; t++) {
		ws[t].dm = malloc((size_t)KNN_BLOCK * KNN_COLS * sizeof(double));
		ws[t].bd = malloc(n * k * sizeof(double));
		ws[t].bi = malloc(n * k * sizeof(size_t));
		if (!ws[t].dm || !ws[t].bd || !ws[t].bi)
			goto oom;
		if (x0 == NULL &&
		    ((ws[t].xa = malloc(KNN_BLOCK * d * sizeof(double))) ==
		    NULL || (ws[t].xb = malloc((n < KNN_COLS ? n : KNN_COLS) *
		    d * sizeof(double))) == NULL))
			goto oom;
	}
	if (x0 == NULL)
		for (row = 0; row < (long)n; row++)
			sq[row] = nsl_vec_dot(knn_rows(NULL, xf, d,
			    (size_t)row, 1, ws[0].xa), ws[0].xa, d);
	else if ((x = scaled_embeddings(x0, n, d, &copy, &ke)) == NULL)
		goto oom;
	else
		nsl_vec_row_sqnorms(x, n, d, sq);
	/* the threads are OpenMP's: a threaded GEMM inside would oversubscribe */
	blas_threads = nsl_vec_blas_serial();
#pragma omp parallel num_threads(nt)
	{
		struct knn_ws *w = &ws[omp_get_thread_num()];
		size_t q;

		/* empty slots: after every real (v, j), Inf included */
		for (q = 0; q < n * k; q++) {
			w->bd[q] = INFINITY;
			w->bi[q] = SIZE_MAX;
		}
#pragma omp barrier
#pragma omp for schedule(dynamic, 1)
		for (b = 0; b < nb; b++)
			knn_block(x, xf, sq, n, d, k, (size_t)b * KNN_BLOCK,
			    w);
		/* merge the threads' lists of each row, then exact distances */
#pragma omp for schedule(static)
		for (row = 0; row < (long)n; row++) {
			size_t r = (size_t)row, c;
			double *kd = ws[0].bd + r * k;
			size_t *ki = ws[0].bi + r * k;
			const double *xr;
			int u;

			for (u = 1; u < nt; u++)
				for (c = 0; c < k; c++)
					knn_insert(kd, ki, k, ws[u].bd[r * k + c],
					    ws[u].bi[r * k + c]);
			xr = knn_rows(x, xf, d, r, 1, w->xa);
			for (c = 0; c < k; c++) {
				dist[r * k + c] = sqrt(nsl_vec_sqdist(xr,
				    knn_rows(x, xf, d, ki[c], 1, w->xb), d));
				if (idx != NULL)
					idx[r * k + c] = ki[c];
			}
		}
	}
	nsl_vec_blas_restore(blas_threads);
	unscale_scores(dist, n * k, ke);
	rc = 0;
	goto out;
oom:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	if (ws != NULL)
		for (t = 0; t < nt; t++) {
			free(ws[t].dm);
			free(ws[t].bd);
			free(ws[t].bi);
			free(ws[t].xa);
			free(ws[t].xb);
		}
	free(ws);
	free(copy);
	free(wide);
	free(sq);
	return rc;
}

int
nsl_score_knn_neighbours(const double *x, size_t n, size_t d, size_t k,
    double *dist, size_t *idx, struct nsl_err *err)
{
	return knn_neighbours(x, NULL, n, d, k, dist, idx, err);
}

int
nsl_score_knn_neighbours_f32(const float *xf, size_t n, size_t d, size_t k,
    double *dist, size_t *idx, struct nsl_err *err)
{
	return knn_neighbours(NULL, xf, n, d, k, dist, idx, err);
}

/* score[i]: the mean of row i's k distances, summed in their order. */
static void
knn_mean(const double *dist, size_t n, size_t k, double *score)
{
	size_t i, t;

	for (i = 0; i < n; i++) {
		double s = 0;

		for (t = 0; t < k; t++)
			s += dist[i * k + t];
		if (isinf(s))	/* k distances near the double range */
			for (s = 0, t = 0; t < k; t++)
				s += dist[i * k + t] / (double)k;
		else
			s /= (double)k;
		score[i] = s;
	}
}

static int
knn_scores(const double *x, const float *xf, size_t n, size_t d, size_t k,
    double *score, struct nsl_err *err)
{
	double *dist;

	if (k == 0 || k >= n)	/* the search's own message */
		return knn_neighbours(x, xf, n, d, k, NULL, NULL, err);
	if ((dist = malloc(n * k * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (knn_neighbours(x, xf, n, d, k, dist, NULL, err) < 0) {
		free(dist);
		return -1;
	}
	knn_mean(dist, n, k, score);
	free(dist);
	return 0;
}

int
nsl_score_knn(const double *x, size_t n, size_t d, size_t k, double *score,
    struct nsl_err *err)
{
	return knn_scores(x, NULL, n, d, k, score, err);
}

int
nsl_score_knn_f32(const float *xf, size_t n, size_t d, size_t k,
    double *score, struct nsl_err *err)
{
	return knn_scores(NULL, xf, n, d, k, score, err);
}

/*
 * The ivf search on x0 (n x d doubles), or with x0 NULL on the float32
 * rows xf, which the index reads in place (nsl_ivf_build_f32: the double
 * index's bits).  Float32 numbers need no scaled copy (as
 * knn_neighbours).
 */
static int
knn_ivf(const double *x0, const float *xf, size_t n, size_t d, size_t k,
    size_t lists, size_t nprobe, uint64_t seed, size_t nsample,
    double *score, double *recall, struct nsl_err *err)
{
	struct nsl_ivf ivf;
	const char *why;
	double *dist = NULL, *copy = NULL;
	const double *x = NULL;
	size_t *idx = NULL, *pick = NULL, i;
	int ke = 0, rc = -1;

	if (lists == 0)
		for (lists = 1; lists * lists < n; lists++)
			;
	if ((why = nsl_ivf_check(n, lists, nprobe, k)) != NULL)
		return nsl_err_set(err, NSL_EX_DATAERR, "knn: %s", why);
	if (recall != NULL)
		*recall = 1;
	if (nprobe >= lists)	/* every list: the exact search's bytes */
		return knn_scores(x0, xf, n, d, k, score, err);
	nsl_ivf_init(&ivf);
	if (nsample > n)
		nsample = n;
	dist = malloc(n * k * sizeof(double));
	idx = malloc(n * k * sizeof(size_t));
	pick = malloc((nsample + 1) * sizeof(size_t));
	if (!dist || !idx || !pick || (x0 != NULL &&
	    (x = scaled_embeddings(x0, n, d, &copy, &ke)) == NULL)) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((x != NULL ? nsl_ivf_build(&ivf, x, n, d, lists, seed, err) :
	    nsl_ivf_build_f32(&ivf, xf, n, d, lists, seed, err)) < 0 ||
	    nsl_ivf_search(&ivf, NULL, 0, nprobe, k, NSL_IVF_SELF, dist, idx,
	    err) < 0)
		goto out;
	if (recall != NULL && nsample > 0) {
		/* rows i n / s + a seeded offset: spread over the set */
		uint64_t st = seed ^ 0x6976665f72656361ULL;
		size_t off = (size_t)(nsl_rng_splitmix64(&st) % (n / nsample));

		for (i = 0; i < nsample; i++)
			pick[i] = i * (n / nsample) + off;
		*recall = x != NULL ? nsl_ivf_recall(x, n, d, k, idx, pick,
		    nsample) : nsl_ivf_recall_f32(xf, n, d, k, idx, pick,
		    nsample);
	}
	nsl_vec_scale_exp(dist, n * k, -ke);
	knn_mean(dist, n, k, score);
	rc = 0;
out:
	nsl_ivf_release(&ivf);
	free(dist);
	free(idx);
	free(pick);
	free(copy);
	return rc;
}

int
nsl_score_knn_ivf(const double *x, size_t n, size_t d, size_t k,
    size_t lists, size_t nprobe, uint64_t seed, size_t nsample,
    double *score, double *recall, struct nsl_err *err)
{
	return knn_ivf(x, NULL, n, d, k, lists, nprobe, seed, nsample, score,
	    recall, err);
}

int
nsl_score_knn_ivf_f32(const float *xf, size_t n, size_t d, size_t k,
    size_t lists, size_t nprobe, uint64_t seed, size_t nsample,
    double *score, double *recall, struct nsl_err *err)
{
	return knn_ivf(NULL, xf, n, d, k, lists, nprobe, seed, nsample, score,
	    recall, err);
}

/*
 * Exact k nearest reference rows of query rows (nsl-score --model's
 * knn, nsl/score.h): each query's squared distance to every reference
 * row, d apart, found by blocked products, bounded, and only the rows
 * the bounds cannot rule out measured exactly.
 *
 * The product form a = |q|^2 + |r|^2 - 2 q.r is within
 * e = (8d + 16) u (|q|^2 + |r|^2) + (d + 4) 2^-1060 of the exact
 * distance as nsl_vec_sqdist rounds it (u = 2^-53): the three dot
 * products err by at most d u times their terms' magnitudes, |2 q.r| by
 * at most |q|^2 + |r|^2, the sums round three times, and the exact
 * distance itself is off the true one by d u (|q|^2 + |r|^2) at most;
 * the last term covers underflow.  A query keeps the k + 1 least upper
 * bounds a + e it has seen: every row whose lower bound a - e is above
 * the (k + 1)-th of them has k + 1 rows nearer, so is neither among the
 * k + 1 nearest nor the query's copy (a copy is at 0, below every upper
 * bound).  The rows left (the candidates, in row order) go through the
 * one-row-at-a-time rule as before, which picks the same k: the k least
 * (distance, row) pairs after the first bitwise copy of the query.
 * Norms too large for the bound (2^1000) send every row through it.
 */
#define KNNQ_QUERIES 64		/* query rows a product takes */
#define KNNQ_REFS 1024		/* reference rows a product takes */
#define KNNQ_NORM_MAX 0x1p1000

/* One thread's work space of the query search. */
struct knnq_ws {
	double *g;		/* KNNQ_QUERIES x KNNQ_REFS products */
	double *rb;		/* float32 reference rows widened: KNNQ_REFS x d */
	double *ub;		/* KNNQ_QUERIES x m least upper bounds */
	size_t **cand;		/* KNNQ_QUERIES candidate lists */
	size_t *ncand, *capcand;
	double *kd, *buf;	/* k + 1, d: the exact pass */
	int oom;
};

static int
knnq_push(struct knnq_ws *w, size_t i, size_t j)
{
	if (w->ncand[i] == w->capcand[i]) {
		size_t ncap = w->capcand[i] ? 2 * w->capcand[i] : 64;
		size_t *p = realloc(w->cand[i], ncap * sizeof(*p));

		if (p == NULL)
			return -1;
		w->cand[i] = p;
		w->capcand[i] = ncap;
	}
	w->cand[i][w->ncand[i]++] = j;
	return 0;
}

/* v into a list of the m least, sorted, that holds *cnt so far */
static void
knnq_bound(double *ub, size_t m, size_t *cnt, double v)
{
	size_t p;

	if (*cnt == m && !(v < ub[m - 1]))
		return;
	p = *cnt < m ? (*cnt)++ : m - 1;
	while (p > 0 && v < ub[p - 1]) {
		ub[p] = ub[p - 1];
		p--;
	}
	ub[p] = v;
}

/*
 * The one-row-at-a-time rule over query x's candidates (all rows when
 * cand is NULL): the first bitwise copy left out, the k least (distance,
 * row) kept, their square roots summed nearest first, over their count.
 */
static double
knnq_exact(const double *x, const double *ref, const float *reff,
    size_t nref, size_t d, size_t k, const size_t *cand, size_t ncand,
    double *kd, double *buf)
{
	size_t cnt = 0, c, j, m, t, n = cand ? ncand : nref;
	int self = 0;
	double s = 0;

	for (c = 0; c < n; c++) {
		const double *r = buf;
		double v;

		j = cand ? cand[c] : c;
		if (reff != NULL) {
			v = nsl_vec_sqdist_f32(x, reff + j * d, d);
			for (t = 0; v == 0 && !self && t < d; t++)
				buf[t] = (double)reff[j * d + t];
		} else {
			r = ref + j * d;
			v = nsl_vec_sqdist(x, r, d);
		}
		/* the first reference row equal to x is x itself, as the
		 * whole-set run leaves out row i, not its copies */
		if (!self && v == 0 && memcmp(x, r, d * sizeof(*x)) == 0) {
			self = 1;
			continue;
		}
		if (cnt == k && !(v < kd[k - 1]))
			continue;
		m = cnt < k ? cnt++ : k - 1;
		while (m > 0 && v < kd[m - 1]) {
			kd[m] = kd[m - 1];
			m--;
		}
		kd[m] = v;
	}
	for (m = 0; m < cnt; m++)
		s += sqrt(kd[m]);
	return s / (double)cnt;
}

/* Queries q0 .. q0 + nq (at most KNNQ_QUERIES) against every row. */
static void
knnq_block(const double *q, const double *sqq, size_t q0, size_t nq,
    const double *ref, const float *reff, const double *sqr, size_t nref,
    size_t d, size_t k, int bounded, struct knnq_ws *w, double *score)
{
	size_t m = k + 1 < nref ? k + 1 : nref, cnt[KNNQ_QUERIES];
	double c = (8.0 * (double)d + 16) * 0x1p-53;
	double f = ((double)d + 4) * 0x1p-1060;
	size_t i, j, r0;

	for (i = 0; i < nq; i++) {
		cnt[i] = 0;
		w->ncand[i] = 0;
	}
	for (r0 = 0; bounded && r0 < nref; r0 += KNNQ_REFS) {
		size_t nr = nref - r0 < KNNQ_REFS ? nref - r0 : KNNQ_REFS;
		const double *rb = knn_rows(ref, reff, d, r0, nr, w->rb);

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq,
		    (int)nr, (int)d, -2.0, q + q0 * d, (int)d, rb, (int)d,
		    0.0, w->g, (int)nr);
		for (i = 0; i < nq; i++) {
			const double *g = w->g + i * nr;
			double *ub = w->ub + i * m, sq = sqq[q0 + i];
			double t = cnt[i] == m ? ub[m - 1] : INFINITY;

			for (j = 0; j < nr; j++) {
				double s = sq + sqr[r0 + j];
				double a = g[j] + s, e = c * s + f;

				if (a - e > t)
					continue;
				if (knnq_push(w, i, r0 + j) < 0) {
					w->oom = 1;
					return;
				}
				knnq_bound(ub, m, &cnt[i], a + e);
				t = cnt[i] == m ? ub[m - 1] : INFINITY;
			}
		}
	}
	for (i = 0; i < nq; i++)
		score[q0 + i] = knnq_exact(q + (q0 + i) * d, ref, reff, nref, d,
		    k, bounded ? w->cand[i] : NULL, w->ncand[i], w->kd, w->buf);
}

static void
knnq_ws_free(struct knnq_ws *w)
{
	size_t i;

	free(w->g);
	free(w->rb);
	free(w->ub);
	for (i = 0; w->cand != NULL && i < KNNQ_QUERIES; i++)
		free(w->cand[i]);
	free(w->cand);
	free(w->ncand);
	free(w->capcand);
	free(w->kd);
	free(w->buf);
}

int
nsl_score_knn_query(const double *q, size_t nq, const double *ref,
    const float *reff, size_t nref, size_t d, size_t k, double *score,
    struct nsl_err *err)
{
	size_t m = k + 1 < nref ? k + 1 : nref, j;
	double *sqq = malloc((nq + 1) * sizeof(double));
	double *sqr = malloc((nref + 1) * sizeof(double));
	double *buf = malloc((d + 1) * sizeof(double));
	struct knnq_ws *ws = NULL;
	long b, nb = (long)((nq + KNNQ_QUERIES - 1) / KNNQ_QUERIES);
	int nt = omp_get_max_threads(), t, bounded = 1, blas_threads;
	int rc = -1;

	if (k == 0 || nref == 0 || d == 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "knn query: k = %zu, "
		    "%zu reference rows of %zu numbers", k, nref, d);
	if (nt > nb)
		nt = nb > 0 ? (int)nb : 1;
	if (sqq == NULL || sqr == NULL || buf == NULL ||
	    (ws = calloc((size_t)nt, sizeof(*ws))) == NULL)
		goto oom;
	for (t = 0; t < nt; t++) {
		struct knnq_ws *w = &ws[t];

		w->g = malloc((size_t)KNNQ_QUERIES * KNNQ_REFS *
		    sizeof(double));
		w->rb = reff ? malloc((size_t)KNNQ_REFS * d * sizeof(double)) :
		    NULL;
		w->ub = malloc((size_t)KNNQ_QUERIES * m * sizeof(double));
		w->cand = calloc(KNNQ_QUERIES, sizeof(*w->cand));
		w->ncand = calloc(KNNQ_QUERIES, sizeof(*w->ncand));
		w->capcand = calloc(KNNQ_QUERIES, sizeof(*w->capcand));
		w->kd = malloc((k + 1) * sizeof(double));
		w->buf = malloc((d + 1) * sizeof(double));
		if (!w->g || (reff && !w->rb) || !w->ub || !w->cand ||
		    !w->ncand || !w->capcand || !w->kd || !w->buf)
			goto oom;
	}
	/* the norms: any rounding, the bound allows for it */
	for (j = 0; j < nref; j++) {
		const double *r = knn_rows(ref, reff, d, j, 1, buf);

		sqr[j] = nsl_vec_dot(r, r, d);
		if (!(sqr[j] < KNNQ_NORM_MAX))
			bounded = 0;
	}
	for (j = 0; j < nq; j++) {
		sqq[j] = nsl_vec_dot(q + j * d, q + j * d, d);
		if (!(sqq[j] < KNNQ_NORM_MAX))
			bounded = 0;
	}
	/* the threads are OpenMP's: a threaded GEMM inside would
	   oversubscribe */
	blas_threads = nsl_vec_blas_serial();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
	for (b = 0; b < nb; b++) {
		size_t q0 = (size_t)b * KNNQ_QUERIES;

		knnq_block(q, sqq, q0, nq - q0 < KNNQ_QUERIES ? nq - q0 :
		    KNNQ_QUERIES, ref, reff, sqr, nref, d, k, bounded,
		    &ws[omp_get_thread_num()], score);
	}
	nsl_vec_blas_restore(blas_threads);
	for (t = 0; t < nt; t++)
		if (ws[t].oom)
			goto oom;
	rc = 0;
	goto out;
oom:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	for (t = 0; ws != NULL && t < nt; t++)
		knnq_ws_free(&ws[t]);
	free(ws);
	free(sqq);
	free(sqr);
	free(buf);
	return rc;
}

/* The driver of nsl-score. */

/*
 * The records prototype --max-per-centroid fits: the (at most) cap
 * records of least rank (nsl/hash.h), in increasing rank, *nfit of them
 * (the rows a saved model's fit keeps, in its order: nsl/score_model.h).
 * NULL when out of memory.
 */
static size_t *
sample_rows(const struct nsl_dataset *ds, size_t cap, size_t *nfit)
{
	struct nsl_hash_least S;
	size_t n = ds->n, m = n < cap ? n : cap, i, slot;
	size_t *rec = malloc((m + 1) * sizeof(*rec));
	size_t *rows = malloc((m + 1) * sizeof(*rows));

	if (rec == NULL || rows == NULL || nsl_hash_least_init(&S, m) < 0) {
		free(rec);
		free(rows);
		return NULL;
	}
	/* rec[slot]: the record held in slot */
	for (i = 0; i < n; i++)
		if ((slot = nsl_hash_least_offer(&S, ds->key_hash[i])) !=
		    NSL_HASH_NO_SLOT)
			rec[slot] = i;
	if (nsl_hash_least_order(&S, rows) == NSL_HASH_NO_SLOT) {
		free(rows);
		rows = NULL;
	}
	for (i = 0; rows != NULL && i < m; i++)
		rows[i] = rec[rows[i]];
	*nfit = m;
	nsl_hash_least_release(&S);
	free(rec);
	return rows;
}

/*
 * The order the sampled fit sees the set in when its rows are moved
 * rather than copied: sample[0..nfit) first, in their order, then the
 * rest, as few of them moved as can be (each where it was, those the
 * sample displaces put where sampled rows were).  NULL when out of
 * memory.
 */
static size_t *
sample_order(size_t n, const size_t *sample, size_t nfit)
{
	size_t *perm = malloc((n + 1) * sizeof(*perm)), i, j;
	unsigned char *taken = calloc(n + 1, 1);

	if (perm == NULL || taken == NULL) {
		free(perm);
		free(taken);
		return NULL;
	}
	for (i = 0; i < nfit; i++) {
		perm[i] = sample[i];
		taken[sample[i]] = 1;
	}
	/* j: the next row the sample displaces, from the first nfit */
	for (j = 0, i = nfit; i < n; i++) {
		if (!taken[i]) {
			perm[i] = i;
			continue;
		}
		while (taken[j])
			j++;
		perm[i] = j++;
	}
	free(taken);
	return perm;
}

/*
 * Prototype's scores of ds's rows, the centres fitted on all of them or
 * (sample not NULL) on rows sample[0..nfit), in that order.  The sample
 * is moved to the front of rows the set holds in memory of its own (no
 * copy: at 50,000 x 2048 the sample is half the set), the scores put
 * back in record order, and the rows too unless x_spare lets them stay.
 * A file's rows, read in place (ds->xf_map), are only read: moving
 * them would copy every page it touched, so the sample is copied out.
 * Double rows are normalised where they are when x_spare, else in a
 * copy (in the sample's order).
 */
static int
proto_rows_of(const struct nsl_score_job *J, const struct nsl_dataset *ds,
    size_t k, const size_t *sample, size_t nfit, double *score,
    size_t *cluster, struct nsl_err *err)
{
	size_t n = ds->n, d = ds->d, i;
	struct unit_rows all = { NULL, NULL, NULL, n };
	double *xc = NULL, *buf = NULL;
	size_t *perm = NULL;
	int rc = -1, moved = 0;

	if (sample != NULL && ds->xf_map == NULL) {
		if ((perm = sample_order(n, sample, nfit)) == NULL)
			goto oom;
		sample = NULL;	/* the first nfit rows, once moved */
	}
	if (ds->xf != NULL) {
		/* float32 rows: their norms, not a normalised copy */
		if (perm != NULL && nsl_dataset_permute_rows(ds->xf, n,
		    d * sizeof(float), perm, 0) < 0)
			goto oom;
		moved = perm != NULL;
		xc = malloc((n + 1) * sizeof(double));
		buf = malloc((d + 1) * sizeof(double));
		if (xc == NULL || buf == NULL)
			goto oom;
		nsl_kmeans_unit_divisors(ds->xf, n, d, xc, buf);
		all.xf = ds->xf;
		all.div = xc;
	} else {
		if (!ds->x_spare) {
			if ((xc = malloc(n * d * sizeof(double))) == NULL)
				goto oom;
			nsl_mem_prefault(xc, n * d * sizeof(double));
			for (i = 0; i < n; i++)
				memcpy(xc + i * d, ds->x + (perm ? perm[i] :
				    i) * d, d * sizeof(double));
		} else if (perm != NULL && nsl_dataset_permute_rows(ds->x, n,
		    d * sizeof(double), perm, 0) < 0)
			goto oom;
		/* the rows normalised where they are: no copy when spare */
		nsl_vec_normalize_rows(xc ? xc : ds->x, n, d);
		all.x = xc ? xc : ds->x;
	}
	rc = prototype_rows(&all, sample, nfit, d, k, J->iters, J->seed, score,
	    cluster, err);
	/* the scores, made in the rows' new order, put back in place */
	if (rc == 0 && perm != NULL &&
	    (nsl_dataset_permute_rows(score, n, sizeof(*score), perm, 1) < 0 ||
	    nsl_dataset_permute_rows(cluster, n, sizeof(*cluster), perm,
	    1) < 0))
		goto oom;
	/* float32 rows put back for a later metric (after a failure too) */
	if (moved && !ds->x_spare && nsl_dataset_permute_rows(ds->xf, n,
	    d * sizeof(float), perm, 1) < 0)
		goto oom;
	goto out;
oom:
	rc = nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	free(perm);
	free(xc);
	free(buf);
	return rc;
}

/* The whole-set metrics, on the records read at once. */
static int
proto_set(const struct nsl_score_job *J, const struct nsl_dataset *ds,
    double *score, size_t *cluster, struct nsl_err *err)
{
	size_t k = J->k ? J->k : ds->nlabels, nfit = ds->n;
	size_t *sample = NULL;
	int rc = -1;

	/* fitted on a sample: its rows, and every row scored */
	if (J->per_centroid > 0 && (sample = sample_rows(ds,
	    k * J->per_centroid, &nfit)) == NULL)
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	else
		rc = proto_rows_of(J, ds, k, sample, nfit, score, cluster,
		    err);
	free(sample);
	if (rc < 0) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		nsl_err_set(err, err->code, "prototype: %.400s", msg);
	}
	return rc;
}

static int
class_proto_set(const struct nsl_score_job *J, const struct nsl_dataset *ds,
    double *score, size_t *cluster, struct nsl_err *err)
{
	(void)cluster;
	return class_proto_rows(ds->x, ds->xf, ds->n, ds->d, ds->label,
	    ds->nlabels, J->median, score, err);
}

static int
knn_set(const struct nsl_score_job *J, const struct nsl_dataset *ds,
    double *score, size_t *cluster, struct nsl_err *err)
{
	double recall;

	(void)cluster;
	if (J->knn_index == NSL_SCORE_KNN_IVF) {
		/* float32 rows read in place by the index */
		if (knn_ivf(ds->x, ds->xf, ds->n, ds->d, J->neighbours,
		    J->lists, J->nprobe ? J->nprobe :
		    NSL_SCORE_NPROBE_DEFAULT, J->seed,
		    NSL_SCORE_KNN_RECALL_SAMPLE, score, &recall, err) < 0)
			return -1;
		if (J->notes != NULL)
			nsl_buf_addf(J->notes, "knn: the ivf index found "
			    "%.1f%% of the exact %zu nearest neighbours of "
			    "%zu sampled records\n",
			    100 * recall, J->neighbours, ds->n <
			    NSL_SCORE_KNN_RECALL_SAMPLE ? ds->n :
			    (size_t)NSL_SCORE_KNN_RECALL_SAMPLE);
		return 0;
	}
	if (J->notes != NULL && ds->n > NSL_SCORE_KNN_NOTE_N)
		nsl_buf_addf(J->notes, "knn: exact search over %zu records "
		    "takes time in n^2 d; --index ivf searches a few lists a "
		    "record (and reports its recall)\n", ds->n);
	return knn_scores(ds->x, ds->xf, ds->n, ds->d, J->neighbours, score,
	    err);
}

/* A record's work space, grown as the records need: its logits, its
   vectors, the metrics' scratch. */
struct run_space {
	double *z, *h, *work;
	size_t zcap, hcap, wcap;
};

static void
run_space_release(struct run_space *s)
{
	free(s->z);
	free(s->h);
	free(s->work);
}

struct run {
	const struct nsl_score_job *job;
	char names[NSL_SCORE_NMETRICS][256];	/* score field names */
	const char *skip[NSL_SCORE_NMETRICS + 1];
	size_t nskip;
	int want_label, want_logits, want_h, cluster;
	unsigned want_loss;		/* 1 << enum nsl_score_loss */
	double **whole;			/* per whole-set metric: n scores */
	size_t *clusters;
	struct nsl_rec rec;
	struct run_space space;
	struct nsl_buf out;
};

/*
 * Score parsed record rec (i: its index in the whole set) into its line,
 * out.  Only reads R: the streaming run calls it on every thread at once,
 * each with its own work space s.
 */
static int
score_line(const struct run *R, const struct nsl_rec *rec, size_t i,
    struct run_space *s, struct nsl_buf *out, struct nsl_err *err)
{
	const struct nsl_score_job *J = R->job;
	struct nsl_obj o;
	size_t rows = 0, cols = 0, hrows = 0, hd = 0, m;
	long label = -1;
	double v[NSL_SCORE_NMETRICS], loss[NSL_SCORE_NLOSSES];

	if (R->want_logits) {
		long f = nsl_rec_require(rec, J->logits_field, err);

		if (f < 0 || nsl_rec_matrix(rec, (size_t)f, &s->z, &rows,
		    &cols, &s->zcap, err) < 0)
			return -1;
		if (cols > s->wcap) {
			double *t = realloc(s->work, cols * sizeof(double));

			if (t == NULL)
				return nsl_err_set(err, NSL_EX_SOFTWARE,
				    "out of memory");
			s->work = t;
			s->wcap = cols;
		}
	}
	if (R->want_label) {
		long f = nsl_rec_require(rec, J->label_field, err);
		double y;

		if (f < 0 || nsl_rec_number(rec, (size_t)f, &y, err) < 0)
			return -1;
		if (!(y >= 0 && y <= 1e15 && y == floor(y)))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "expected a class index (an integer >= 0), got %g",
			    J->label_field, y);
		label = (long)y;
	}
	if (R->want_h) {
		long f = nsl_rec_require(rec, J->field, err);

		if (f < 0 || nsl_rec_matrix(rec, (size_t)f, &s->h, &hrows,
		    &hd, &s->hcap, err) < 0)
			return -1;
	}
	if (R->want_loss && nsl_score_read_losses(J, rec, R->want_loss,
	    loss, err) < 0)
		return -1;
	if (R->want_label && R->want_logits && (size_t)label >= cols)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %ld is "
		    "not a class index for the %zu classes of \"%s\"",
		    J->label_field, label, cols, J->logits_field);
	for (m = 0; m < J->nmetrics; m++) {
		int metric = J->metric[m];

		if (nsl_score_metric_whole_set(metric)) {
			v[m] = R->whole[m][i];
			continue;
		}
		if (metrics[metric].losses != NULL) {
			if (metrics[metric].losses(loss, &v[m], err) < 0)
				return -1;
			continue;
		}
		if (nsl_score_record(metric, s->z, rows, cols, label, s->h,
		    hrows, hd, &J->opts, s->work, &v[m], err) < 0) {
			char msg[sizeof(err->msg)];

			memcpy(msg, err->msg, sizeof(msg));
			nsl_err_set(err, err->code, "field \"%s\": %s: %.400s",
			    J->logits_field, metrics[metric].name, msg);
			return -1;
		}
	}
	nsl_obj_begin(&o, out);
	if (J->float32)
		o.style = NSL_NUM_FLOAT32;
	nsl_obj_copy_except(&o, rec, R->skip, R->nskip);
	for (m = 0; m < J->nmetrics; m++) {
		nsl_obj_key(&o, R->names[m]);
		nsl_obj_number(&o, v[m]);
	}
	if (R->cluster) {
		nsl_obj_key(&o, J->cluster_field);
		nsl_obj_integer(&o, (long long)R->clusters[i]);
	}
	nsl_obj_end(&o);
	return 0;
}

/* Score one parsed record (i: its index in the whole set) and write it. */
static int
run_record(struct run *R, size_t i, struct nsl_writer *w, struct nsl_err *err)
{
	nsl_buf_reset(&R->out);
	if (score_line(R, &R->rec, i, &R->space, &R->out, err) < 0)
		return -1;
	return nsl_writer_write(w, R->out.data, R->out.len, err);
}

/* The output pass: record i's line read again, scored, written. */
struct output_pass {
	struct run *R;
	const struct nsl_dataset *ds;
	struct nsl_writer *w;
};

static int
output_record(void *arg, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	struct output_pass *o = arg;
	if (nsl_rec_parse(&o->R->rec, line, len, err) < 0 ||
	    run_record(o->R, (size_t)i, o->w, err) < 0) {
		struct nsl_dataset_where at = nsl_dataset_where(o->ds, i);

		if (err->code != NSL_EX_IOERR)
			nsl_err_at(err, o->ds->paths[at.file], at.line);
		return -1;
	}
	return 0;
}

/*
 * Whether one float32 .npy's rows may be read in place (the file's own
 * pages, nsl/dataset.h): unless the sampled fit is a large part of the
 * set, whose rows it then moves to the front rather than copy out
 * (proto_rows_of).  The share is a measured one, the rows in place
 * against a copy of them: sampling 2.6% of 1,000,000 x 128 took 0.60x
 * the time, 26% of 100,000 x 128 0.94x (75 against 90 MiB), but 51% of
 * 50,000 x 2048 1.19x, in 1.4x the memory.
 */
#define SAMPLE_IN_PLACE_MAX 2	/* at most half of the rows */

static int
rows_in_place(const struct nsl_score_job *J,
    const struct nsl_dataset_vectors *V)
{
	uint64_t rows = V->n == 1 ? V->map[0].a.rows : 0;

	if (J->per_centroid == 0)
		return 1;
	return J->k > 0 && (uint64_t)J->k * J->per_centroid *
	    SAMPLE_IN_PLACE_MAX <= rows;
}

static int
run_whole(struct run *R, const char *const *paths, size_t npaths,
    struct nsl_writer *w, struct nsl_err *err)
{
	const struct nsl_score_job *J = R->job;
	struct nsl_dataset_vectors V;
	struct nsl_dataset_spec spec;
	struct nsl_dataset ds;
	int need_labels = 0, proto_labels = 0, lazy, rc = -1;
	struct output_pass o;
	/*
	 * The lines are read again for the output (files reopened, a pipe's
	 * copy read back), not held: about 20 KB a record at d = 2048.
	 */
	unsigned f32 = NSL_DATASET_F32, keep = NSL_DATASET_SPOOL;
	size_t m;

	for (m = 0; m < J->nmetrics; m++) {
		unsigned needs = metrics[J->metric[m]].needs;

		/* float32 rows when every whole-set metric reads them so */
		if (needs & NSL_SCORE_NEEDS_SET && !(needs & NSL_SCORE_SET_F32))
			f32 = 0;

		if (needs & NSL_SCORE_NEEDS_SET &&
		    needs & NSL_SCORE_NEEDS_LABEL)
			need_labels = 1;
		/* the labels' count is the default number of clusters */
		if (needs & NSL_SCORE_CLUSTERS && J->k == 0)
			proto_labels = 1;
	}
	memset(&ds, 0, sizeof(ds));
	memset(&V, 0, sizeof(V));
	memset(&spec, 0, sizeof(spec));
	if (J->nvectors > 0 && nsl_dataset_vectors_open(&V, J->vectors,
	    J->nvectors, npaths, err) < 0)
		goto out;
	spec.field = J->field;
	spec.vectors = J->nvectors > 0 ? &V : NULL;
	spec.label_field = need_labels || proto_labels ? J->label_field : NULL;
	/* prototype's seeded sample is of the records' ids */
	spec.key_field = J->per_centroid > 0 ? J->id_field : NULL;
	spec.key_seed = J->seed;
	spec.flags = keep | f32;
	if (J->nvectors > 0 && rows_in_place(J, &V))
		spec.flags |= NSL_DATASET_IN_PLACE;
	if (nsl_dataset_read_spec(&ds, paths, npaths, &spec, err) < 0) {
		if (proto_labels && !need_labels && strstr(err->msg,
		    J->label_field) != NULL) {
			char msg[sizeof(err->msg)];

			memcpy(msg, err->msg, sizeof(msg));
			nsl_err_set(err, NSL_EX_DATAERR, "%.300s (prototype: "
			    "without labels, --k is required)", msg);
		}
		goto out;
	}
	R->whole = calloc(J->nmetrics, sizeof(double *));
	if (R->whole == NULL)
		goto oom;
	for (m = 0; m < J->nmetrics; m++) {
		const struct nsl_score_metric_def *row =
		    &metrics[J->metric[m]];
		size_t later;

		if (row->set == NULL)
			continue;
		/* the last whole-set metric may overwrite the rows: the
		   output pass reads its vectors from the lines */
		for (later = m + 1; later < J->nmetrics; later++)
			if (metrics[J->metric[later]].set != NULL)
				break;
		ds.x_spare = later == J->nmetrics;
		if ((R->whole[m] = malloc(ds.n * sizeof(double))) == NULL)
			goto oom;
		if (row->needs & NSL_SCORE_CLUSTERS) {
			if ((R->clusters = malloc(ds.n * sizeof(size_t))) ==
			    NULL)
				goto oom;
			R->cluster = 1;
		}
		if (row->set(J, &ds, R->whole[m], R->clusters, err) < 0)
			goto out;
	}
	/*
	 * When every score was the set's, the output pass reads no vector:
	 * the numbers passed through are neither converted nor, the lines
	 * being those read (nsl_dataset_each_line), checked again.
	 */
	for (lazy = 1, m = 0; m < J->nmetrics; m++)
		if (metrics[J->metric[m]].set == NULL)
			lazy = 0;
	if (lazy) {
		/* each line the very bytes of the first read: not re-checked */
		nsl_rec_release(&R->rec);
		nsl_rec_init(&R->rec, NSL_REC_LAZY_ARRAYS | NSL_REC_TRUSTED);
	}
	o.R = R;
	o.ds = &ds;
	o.w = w;
	if (nsl_dataset_each_line(&ds, output_record, &o, err) != 0)
		goto out;
	rc = 0;
	goto out;
oom:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	if (R->whole)
		for (m = 0; m < J->nmetrics; m++)
			free(R->whole[m]);
	free(R->whole);
	free(R->clusters);
	nsl_dataset_release(&ds);
	nsl_dataset_vectors_close(&V);
	return rc;
}

/*
 * A streamed record scored and its line made beside the parse, on the
 * thread that parsed it (nsl/batch.h), in a work space of its own: the
 * metrics over logits (a softmax, logarithms) were most of the run, on
 * the reading thread.
 */
static int
stream_prep(void *arg, const struct nsl_rec *rec, struct nsl_buf *out,
    struct nsl_err *err)
{
	struct run_space s = { NULL, NULL, NULL, 0, 0, 0 };
	int rc = score_line(arg, rec, 0, &s, out, err);

	run_space_release(&s);
	return rc;
}

static int
run_stream(struct run *R, const char *const *paths, size_t npaths,
    struct nsl_writer *w, struct nsl_err *err)
{
	return nsl_batch_paths_write(paths, npaths, &R->rec, stream_prep, R,
	    w, err);
}

int
nsl_score_run(const struct nsl_score_job *J, const char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_err *err)
{
	struct run R;
	size_t m;
	int whole = 0, proto = 0, rc;

	memset(&R, 0, sizeof(R));
	R.job = J;
	if (J->nmetrics == 0)
		return nsl_err_set(err, NSL_EX_USAGE, "no metric given");
	for (m = 0; m < J->nmetrics; m++) {
		int metric = J->metric[m];
		unsigned needs = metrics[metric].needs;

		if (J->nmetrics == 1)
			snprintf(R.names[m], sizeof(R.names[m]), "%s",
			    J->out_field);
		else
			snprintf(R.names[m], sizeof(R.names[m]), "%.200s_%s",
			    J->out_field, metrics[metric].name);
		R.skip[R.nskip++] = R.names[m];

		R.want_loss |= (needs & NSL_SCORE_LOSSES) >>
		    NSL_SCORE_LOSS_SHIFT;
		if (needs & NSL_SCORE_NEEDS_SET)
			whole = 1;
		else if (needs & NSL_SCORE_NEEDS_LOGITS) {
			R.want_logits = 1;
			if (needs & NSL_SCORE_NEEDS_LABEL)
				R.want_label = 1;
			if (needs & NSL_SCORE_NEEDS_EMBEDDING)
				R.want_h = 1;
		}
		if (needs & NSL_SCORE_CLUSTERS) {
			R.skip[R.nskip++] = J->cluster_field;
			proto = 1;
		}
	}
	/* one name for two of the fields written: refused, not overwritten */
	for (m = 0; m < J->nmetrics; m++)
		if (proto && strcmp(R.names[m], J->cluster_field) == 0)
			return nsl_err_set(err, NSL_EX_USAGE, "--cluster-field "
			    "%s: a score is written to that field",
			    J->cluster_field);
	nsl_rec_init(&R.rec, 0);
	nsl_buf_init(&R.out);
	rc = whole ? run_whole(&R, paths, npaths, w, err) :
	    run_stream(&R, paths, npaths, w, err);
	nsl_rec_release(&R.rec);
	nsl_buf_release(&R.out);
	run_space_release(&R.space);
	return rc;
}
