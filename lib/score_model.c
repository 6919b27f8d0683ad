/*
 * score_model.c - fit a whole-set metric once, apply it per shard (see
 * nsl/score_model.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/buf.h"
#include "nsl/dataset.h"
#include "nsl/hash.h"
#include "nsl/io.h"
#include "nsl/ivf.h"
#include "nsl/json.h"
#include "nsl/kmeans.h"
#include "nsl/labels.h"
#include "nsl/score.h"
#include "nsl/score_model.h"
#include "nsl/vec.h"

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

void
nsl_score_model_init(struct nsl_score_model *m)
{
	memset(m, 0, sizeof(*m));
	m->metric = -1;
}

void
nsl_score_model_release(struct nsl_score_model *m)
{
	free(m->x);
	free(m->xf);
	nsl_labels_free(m->classes);
	if (m->ivf != NULL)
		nsl_ivf_release(m->ivf);
	free(m->ivf);
	nsl_score_model_init(m);
}

const char *
nsl_score_model_check(const struct nsl_score_job *J,
    const struct nsl_score_model *m)
{
	static char msg[160];

	if (J->nmetrics != 1 || !nsl_score_metric_whole_set(J->metric[0]))
		return "a model is of one whole-set metric: --metric "
		    "prototype, class-prototype or knn alone";
	if (m != NULL && m->metric != J->metric[0]) {
		snprintf(msg, sizeof(msg), "--model holds a %s model, not %s",
		    nsl_score_metric_name(m->metric),
		    nsl_score_metric_name(J->metric[0]));
		return msg;
	}
	return NULL;
}

/*
 * The rows read by a fit, in a growing array: in float32 (xf) while
 * f32 is set and every number is exactly a float32, else in double (x)
 * (nsl/dataset.h: the same numbers, half the bytes).
 */
struct rows {
	double *x;
	float *xf;
	int f32;
	size_t n, d, cap;	/* cap in rows */
	double *v;		/* one record's vector */
	size_t vcap;
};

#define NO_ROW ((size_t)-1)

/* A new row's slot, or NO_ROW when out of memory. */
static size_t
rows_add(struct rows *R)
{
	if (R->n == R->cap) {
		size_t cap = R->cap ? 2 * R->cap : 1024;
		void *x = R->f32 ? realloc(R->xf, cap * R->d * sizeof(float)) :
		    realloc(R->x, cap * R->d * sizeof(double));

		if (x == NULL)
			return NO_ROW;
		if (R->f32)
			R->xf = x;
		else
			R->x = x;
		R->cap = cap;
	}
	return R->n++;
}

/* v (d numbers) into slot i; -1 when out of memory. */
static int
rows_put(struct rows *R, size_t i, const double *v)
{
	size_t t, d = R->d;

	if (R->f32 && !nsl_dataset_f32_exact(v, d)) {
		double *x = nsl_dataset_f32_widen(R->xf, R->n * d, R->cap * d);

		if (x == NULL)
			return -1;
		free(R->xf);
		R->xf = NULL;
		R->x = x;
		R->f32 = 0;
	}
	if (R->f32)
		for (t = 0; t < d; t++)
			R->xf[i * d + t] = (float)v[t];
	else
		memcpy(R->x + i * d, v, d * sizeof(double));
	return 0;
}

/* rec's vector field (or its row of V) into R->v, of the length of
 * the first. */
static int
read_vector(struct rows *R, struct nsl_dataset_vectors *V,
    const struct nsl_rec *rec, const char *field, struct nsl_err *err)
{
	long f;
	size_t len = 0;

	if (V != NULL) {
		if (R->d != 0 && V->d != R->d)
			return nsl_err_set(err, NSL_EX_DATAERR, "%s: rows of "
			    "%zu numbers, expected %zu", V->paths[0], V->d,
			    R->d);
		if (nsl_dataset_vectors_get(V, err) < 0)
			return -1;
		R->d = V->d;
		if (R->v == NULL && (R->v = malloc(V->d * sizeof(double))) ==
		    NULL)
			return oom(err);
		memcpy(R->v, V->v, V->d * sizeof(double));
		return 0;
	}
	f = nsl_rec_require(rec, field, err);
	if (f < 0 || nsl_rec_vector(rec, (size_t)f, &R->v, &len, &R->vcap,
	    err) < 0)
		return -1;
	if (len == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": empty "
		    "vector", field);
	if (R->d != 0 && len != R->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, expected %zu", field, len, R->d);
	R->d = len;
	return 0;
}

/*
 * Offer the next record of the seeded sample (the least ranks seen:
 * nsl/hash.h, so the sample is the whole-set run's), of hash h: the row
 * slot to fill, NO_ROW when not sampled, or with *oom set when out of
 * memory.  A new slot is a new row of R.
 */
static size_t
sample_offer(struct nsl_hash_least *S, struct rows *R, uint64_t h, int *oom)
{
	size_t slot = nsl_hash_least_offer(S, h);

	*oom = 0;
	if (slot == NSL_HASH_NO_SLOT)
		return NO_ROW;
	if (slot == R->n && rows_add(R) == NO_ROW) {
		*oom = 1;
		return NO_ROW;
	}
	return slot;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct fit {
	const struct nsl_score_job *J;
	struct rows R;
	struct nsl_hash_least S;
	struct nsl_labels *labels;	/* class-prototype, or prototype's k */
	size_t *li;			/* label number of each row */
	size_t licap;
	double *sum;			/* class-prototype mean: classes x d */
	size_t *count, ncap;
	struct nsl_buf key;
	struct nsl_dataset_vectors *V;	/* or NULL */
};

static int
fit_record(struct fit *T, const struct nsl_rec *rec, struct nsl_err *err)
{
	const struct nsl_score_job *J = T->J;
	int metric = J->metric[0];
	size_t row;
	long l = 0;
	size_t j;
	/* a sample's rows from .npy files are read when taken, not all */
	int lazy = T->V != NULL && T->S.cap > 0;

	if (!lazy && read_vector(&T->R, T->V, rec, J->field, err) < 0)
		return -1;
	if (T->labels != NULL && (l = nsl_labels_add(T->labels, rec,
	    J->label_field, err)) < 0)
		return -1;
	if (metric == NSL_SCORE_CLASS_PROTOTYPE && !J->median) {
		size_t d = T->R.d;

		/* the class sums stream: classes x d numbers */
		if ((size_t)l >= T->ncap) {
			size_t cap = T->ncap ? 2 * T->ncap : 16;
			double *s = realloc(T->sum, cap * d * sizeof(double));
			size_t *c;

			if (s == NULL)
				return oom(err);
			T->sum = s;
			if ((c = realloc(T->count, cap * sizeof(*c))) == NULL)
				return oom(err);
			T->count = c;
			memset(T->sum + T->ncap * d, 0, (cap - T->ncap) * d *
			    sizeof(double));
			memset(T->count + T->ncap, 0, (cap - T->ncap) *
			    sizeof(*c));
			T->ncap = cap;
		}
		for (j = 0; j < d; j++)
			T->sum[(size_t)l * d + j] += T->R.v[j];
		T->count[l]++;
		return 0;
	}
	if (T->S.cap > 0) {
		long f = nsl_rec_require(rec, J->id_field, err);

		if (f < 0 || nsl_labels_key_at(rec, (size_t)f,
		    NSL_LABELS_LITERALS, &T->key, err) < 0)
			return -1;
		int nomem;

		row = sample_offer(&T->S, &T->R, nsl_hash64_seeded(J->seed,
		    T->key.data, T->key.len), &nomem);
		if (nomem)
			return oom(err);
	} else if ((row = rows_add(&T->R)) == NO_ROW)
		return oom(err);
	if (row != NO_ROW && lazy) {
		if (nsl_dataset_vectors_get(T->V, err) < 0)
			return -1;
		if (rows_put(&T->R, row, T->V->v) < 0)
			return oom(err);
	} else if (row != NO_ROW && rows_put(&T->R, row, T->R.v) < 0)
		return oom(err);
	if (metric == NSL_SCORE_CLASS_PROTOTYPE) {
		if (T->R.n > T->licap) {
			size_t cap = T->licap ? 2 * T->licap : 1024, *p;

			if ((p = realloc(T->li, cap * sizeof(*p))) == NULL)
				return oom(err);
			T->li = p;
			T->licap = cap;
		}
		T->li[T->R.n - 1] = (size_t)l;
	}
	return 0;
}

/*
 * The rows sampled, in increasing rank (not the order read):
 * permuted in place (nsl_dataset_permute_rows), so the sample is held
 * once (k p d numbers), not twice.
 */
static int
sample_order(struct fit *T, struct nsl_err *err)
{
	size_t *perm = malloc((T->S.n + 1) * sizeof(*perm));
	size_t rowb = T->R.d * (T->R.f32 ? sizeof(float) : sizeof(double));
	void *x = T->R.f32 ? (void *)T->R.xf : (void *)T->R.x;
	int rc;

	/* row i takes slot perm[i]'s row */
	if (perm == NULL || nsl_hash_least_order(&T->S, perm) ==
	    NSL_HASH_NO_SLOT) {
		free(perm);
		return oom(err);
	}
	rc = nsl_dataset_permute_rows(x, T->S.n, rowb, perm, 0);
	free(perm);
	if (rc < 0)
		return oom(err);
	T->R.n = T->S.n;
	return 0;
}

static int
fit_prototype(struct nsl_score_model *M, struct fit *T, struct nsl_err *err)
{
	const struct nsl_score_job *J = T->J;
	struct nsl_kmeans_params p;
	struct nsl_kmeans_result r;
	size_t k = J->k ? J->k : nsl_labels_count(T->labels);
	double *div = NULL;
	int rc;

	if (T->S.cap > 0 && sample_order(T, err) < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.k = k;
	p.max_iter = J->iters;
	p.tol = 1e-4;		/* nsl_score_prototype's */
	p.seed = J->seed;
	M->x = malloc((k ? k : 1) * T->R.d * sizeof(double));
	r.centroids = M->x;
	r.assign = malloc((T->R.n + 1) * sizeof(size_t));
	/* float32 rows: normalised as read, by their norms */
	if (T->R.f32)
		div = malloc((T->R.n + T->R.d + 1) * sizeof(double));
	if (M->x == NULL || r.assign == NULL || (T->R.f32 && div == NULL)) {
		free(r.assign);
		free(div);
		return oom(err);
	}
	if (T->R.f32) {
		nsl_kmeans_unit_divisors(T->R.xf, T->R.n, T->R.d, div,
		    div + T->R.n);
		rc = nsl_kmeans_fit_f32(T->R.xf, div, T->R.n, T->R.d, &p, &r,
		    err);
	} else {
		nsl_vec_normalize_rows(T->R.x, T->R.n, T->R.d);
		rc = nsl_kmeans_fit(T->R.x, T->R.n, T->R.d, &p, &r, err);
	}
	free(r.assign);
	free(div);
	M->rows = k;
	return rc;
}

static int
fit_class(struct nsl_score_model *M, struct fit *T, struct nsl_err *err)
{
	size_t nl = nsl_labels_count(T->labels), d = T->R.d, c, i, j;
	size_t *rank = malloc((nl + 1) * sizeof(*rank)), *cnt = NULL;
	double *col = NULL;

	M->x = calloc(nl * d + 1, sizeof(double));
	if (rank == NULL || M->x == NULL)
		goto oom;
	if (nsl_labels_sort(T->labels, rank, err) < 0)
		goto fail;
	M->rows = nl;
	if (!T->J->median) {
		/* sums in record order, then / count: the whole-set run's */
		for (c = 0; c < nl; c++)
			for (j = 0; j < d; j++)
				M->x[rank[c] * d + j] = T->sum[c * d + j] /
				    (double)T->count[c];
	} else {
		if ((cnt = calloc(nl, sizeof(*cnt))) == NULL ||
		    (col = malloc((T->R.n + 1) * sizeof(*col))) == NULL)
			goto oom;
		for (c = 0; c < nl; c++)
			for (j = 0; j < d; j++) {
				size_t m = 0;

				for (i = 0; i < T->R.n; i++)
					if (T->li[i] == c)
						col[m++] = T->R.f32 ?
						    (double)T->R.xf[i * d + j] :
						    T->R.x[i * d + j];
				qsort(col, m, sizeof(*col), cmp_double);
				M->x[rank[c] * d + j] = m % 2 ? col[m / 2] :
				    (col[m / 2 - 1] + col[m / 2]) / 2;
			}
	}
	M->classes = T->labels;
	T->labels = NULL;
	free(rank);
	free(cnt);
	free(col);
	return 0;
oom:
	oom(err);
fail:
	free(rank);
	free(cnt);
	free(col);
	return -1;
}

/* knn --index ivf: the index over the reference rows, as the whole run's. */
static int
fit_ivf(struct nsl_score_model *M, const struct nsl_score_job *J,
    struct nsl_err *err)
{
	size_t L = J->lists;
	size_t nprobe = J->nprobe ? J->nprobe : NSL_SCORE_NPROBE_DEFAULT;
	const char *why;

	if (L == 0)		/* nsl_score_knn_ivf()'s default */
		for (L = 1; L * L < M->rows; L++)
			;
	if ((why = nsl_ivf_check(M->rows, L, nprobe, J->neighbours)) != NULL)
		return nsl_err_set(err, NSL_EX_DATAERR, "knn: %s", why);
	if (nprobe >= L)	/* every list: the exact search */
		return 0;
	if ((M->ivf = malloc(sizeof(*M->ivf))) == NULL)
		return oom(err);
	M->nprobe = nprobe;
	/* float32 rows stay the model's, read in place by the index */
	if (M->xf != NULL)
		return nsl_ivf_build_f32(M->ivf, M->xf, M->rows, M->d, L,
		    J->seed, err);
	/* the index takes the double rows: held once, in list order */
	if (nsl_ivf_build_in(M->ivf, M->x, M->rows, M->d, L, J->seed,
	    err) < 0)
		return -1;
	M->x = NULL;
	return 0;
}

static int
fit_each(void *T, const struct nsl_rec *rec, struct nsl_err *err)
{
	return fit_record(T, rec, err) < 0 ? -1 : 0;
}

int
nsl_score_model_fit(struct nsl_score_model *M, const struct nsl_score_job *J,
    const char *const *paths, size_t npaths, struct nsl_err *err)
{
	int metric = J->metric[0], rc = -1;
	struct nsl_dataset_vectors V;
	struct nsl_rec rec;
	struct fit T;
	const char *why;

	memset(&V, 0, sizeof(V));
	nsl_score_model_init(M);
	memset(&T, 0, sizeof(T));
	T.J = J;
	nsl_buf_init(&T.key);
	nsl_rec_init(&rec, 0);
	if ((why = nsl_score_model_check(J, NULL)) != NULL ||
	    (why = nsl_score_check(J)) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s", why);
	M->metric = metric;
	M->median = J->median;
	M->neighbours = J->neighbours;
	/* k-means, the medians and knn's model (with or without its
	 * index) read float32 rows */
	T.R.f32 = metric == NSL_SCORE_PROTOTYPE ||
	    (metric == NSL_SCORE_CLASS_PROTOTYPE && J->median) ||
	    metric == NSL_SCORE_KNN;
	if (metric == NSL_SCORE_PROTOTYPE && J->per_centroid > 0) {
		if (nsl_hash_least_init(&T.S, J->k * J->per_centroid) < 0) {
			oom(err);
			goto out;
		}
	}
	if ((metric == NSL_SCORE_CLASS_PROTOTYPE ||
	    (metric == NSL_SCORE_PROTOTYPE && J->k == 0)) &&
	    (T.labels = nsl_labels_new()) == NULL) {
		oom(err);
		goto out;
	}
	if (J->nvectors > 0) {
		if (nsl_dataset_vectors_open(&V, J->vectors, J->nvectors,
		    npaths, err) < 0)
			goto out;
		T.V = &V;
		T.R.d = V.d;	/* the sample's rows are of this width */
	}
	if (nsl_dataset_each(paths, npaths, T.V, &rec, fit_each, &T,
	    err) != 0)
		goto out;
	M->d = T.R.d;
	if (T.R.d == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no records to fit");
		goto out;
	}
	if (metric == NSL_SCORE_PROTOTYPE)
		rc = fit_prototype(M, &T, err);
	else if (metric == NSL_SCORE_CLASS_PROTOTYPE)
		rc = fit_class(M, &T, err);
	else if (J->neighbours >= T.R.n)
		nsl_err_set(err, NSL_EX_DATAERR, "knn: %zu neighbours needs "
		    "more than that many records (have %zu)", J->neighbours,
		    T.R.n);
	else {
		/* the reference set is the rows themselves */
		M->x = T.R.x;
		M->xf = T.R.xf;
		M->rows = T.R.n;
		T.R.x = NULL;
		T.R.xf = NULL;
		rc = J->knn_index == NSL_SCORE_KNN_IVF ? fit_ivf(M, J, err) : 0;
	}
	if (rc < 0 && metric != NSL_SCORE_KNN) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		nsl_err_set(err, err->code, "%s: %.400s",
		    nsl_score_metric_name(metric), msg);
	}
out:
	free(T.R.x);
	free(T.R.xf);
	free(T.R.v);
	nsl_hash_least_release(&T.S);
	free(T.li);
	free(T.sum);
	free(T.count);
	nsl_labels_free(T.labels);
	nsl_buf_release(&T.key);
	nsl_rec_release(&rec);
	nsl_dataset_vectors_close(&V);
	if (rc < 0)
		nsl_score_model_release(M);
	return rc;
}

/* Text the model's writer holds before it hands it on. */
#define WRITE_CHUNK (64 * 1024)

/*
 * b's text to w once it holds at least min bytes (0: whatever it
 * holds), b then emptied.  Returns 0, or -1 with err set.
 */
static int
write_some(struct nsl_buf *b, size_t min, struct nsl_writer *w,
    struct nsl_err *err)
{
	if (nsl_buf_failed(b))
		return oom(err);
	if (b->len < min || b->len == 0)
		return 0;
	if (nsl_writer_write(w, b->data, b->len, err) < 0)
		return -1;
	nsl_buf_reset(b);
	return 0;
}

/*
 * The model's records in order, handed to w a chunk at a time: the text
 * of a knn model (some 20 bytes a number, r d numbers) is never held
 * whole.
 */
int
nsl_score_model_write(const struct nsl_score_model *M, struct nsl_writer *w,
    struct nsl_err *err)
{
	const char *const *names = M->classes != NULL ?
	    nsl_labels_names(M->classes) : NULL;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_obj o;
	size_t r, t, *list = NULL, *pos = NULL;
	double *row = NULL;
	int rc = -1;

	if (M->xf != NULL && (row = malloc(M->d * sizeof(double))) == NULL)
		return oom(err);
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "nsl");
	nsl_obj_string(&o, "score-model");
	nsl_obj_key(&o, "metric");
	nsl_obj_string(&o, nsl_score_metric_name(M->metric));
	nsl_obj_key(&o, "d");
	nsl_obj_integer(&o, (long long)M->d);
	nsl_obj_key(&o, "rows");
	nsl_obj_integer(&o, (long long)M->rows);
	nsl_obj_key(&o, "center");
	nsl_obj_string(&o, M->median ? "median" : "mean");
	nsl_obj_key(&o, "neighbours");
	nsl_obj_integer(&o, (long long)M->neighbours);
	if (M->ivf != NULL) {
		nsl_obj_key(&o, "index");
		nsl_obj_string(&o, "ivf");
		nsl_obj_key(&o, "lists");
		nsl_obj_integer(&o, (long long)M->ivf->lists);
		nsl_obj_key(&o, "nprobe");
		nsl_obj_integer(&o, (long long)M->nprobe);
		list = malloc(M->rows * sizeof(*list));
		/* double rows are in the index's list order */
		if (M->xf == NULL)
			pos = malloc(M->rows * sizeof(*pos));
		if (list == NULL || (M->xf == NULL && pos == NULL)) {
			free(list);
			free(pos);
			free(row);
			nsl_buf_release(&b);
			return oom(err);
		}
		nsl_ivf_lists(M->ivf, list);
		if (pos != NULL)
			nsl_ivf_positions(M->ivf, pos);
	}
	nsl_obj_end(&o);
	for (r = 0; M->ivf != NULL && r < M->ivf->lists; r++) {
		nsl_obj_begin(&o, &b);
		nsl_obj_key(&o, "centroid");
		nsl_obj_vector(&o, M->ivf->centroids + r * M->d, M->d);
		nsl_obj_end(&o);
		if (write_some(&b, WRITE_CHUNK, w, err) < 0)
			goto out;
	}
	for (r = 0; r < M->rows; r++) {
		nsl_obj_begin(&o, &b);
		if (names != NULL) {
			nsl_obj_key(&o, "label");
			nsl_obj_raw(&o, names[r], strlen(names[r]));
		}
		if (list != NULL) {
			nsl_obj_key(&o, "list");
			nsl_obj_integer(&o, (long long)list[r]);
		}
		nsl_obj_key(&o, "row");
		if (M->xf != NULL)	/* the numbers read, so the same text */
			for (t = 0; t < M->d; t++)
				row[t] = (double)M->xf[r * M->d + t];
		nsl_obj_vector(&o, M->xf != NULL ? row : pos != NULL ?
		    M->ivf->x + pos[r] * M->d : M->x + r * M->d, M->d);
		nsl_obj_end(&o);
		if (write_some(&b, WRITE_CHUNK, w, err) < 0)
			goto out;
	}
	rc = write_some(&b, 0, w, err);
out:
	nsl_buf_release(&b);
	free(list);
	free(pos);
	free(row);
	return rc;
}

/* Member key of rec as a whole number in [lo, hi]. */
static int
get_count(const struct nsl_rec *rec, const char *key, double lo, double hi,
    size_t *out, struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);
	double v;

	if (f < 0 || nsl_rec_number(rec, (size_t)f, &v, err) < 0)
		return -1;
	if (!(v >= lo && v <= hi && v == floor(v)))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a whole number in [%g, %g]", key, lo, hi);
	*out = (size_t)v;
	return 0;
}

static int
get_string(const struct nsl_rec *rec, const char *key, struct nsl_buf *b,
    struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);

	return f < 0 ? -1 : nsl_rec_string(rec, (size_t)f, b, err);
}

static int
read_header(struct nsl_score_model *M, const struct nsl_rec *rec,
    struct nsl_buf *b, size_t *lists, struct nsl_err *err)
{
	size_t d, rows;

	if (get_string(rec, "nsl", b, err) < 0)
		return -1;
	if (strcmp(b->data, "score-model") != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "not a score model "
		    "(\"nsl\" is \"%.100s\")", b->data);
	if (get_string(rec, "metric", b, err) < 0)
		return -1;
	M->metric = nsl_score_metric_parse(b->data);
	if (!nsl_score_metric_whole_set(M->metric))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"metric\": "
		    "'%.100s' is not a whole-set metric", b->data);
	if (get_count(rec, "d", 1, 1e9, &d, err) < 0 ||
	    get_count(rec, "rows", 1, 1e12, &rows, err) < 0 ||
	    get_count(rec, "neighbours", 0, 1e12, &M->neighbours, err) < 0 ||
	    get_string(rec, "center", b, err) < 0)
		return -1;
	if (strcmp(b->data, "mean") != 0 && strcmp(b->data, "median") != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"center\": "
		    "expected \"mean\" or \"median\"");
	M->median = strcmp(b->data, "median") == 0;
	if (M->metric == NSL_SCORE_KNN && (M->neighbours == 0 ||
	    M->neighbours >= rows))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"neighbours\": "
		    "%zu for %zu reference rows", M->neighbours, rows);
	*lists = 0;
	if (nsl_rec_find(rec, "index") >= 0) {
		/* knn's inverted-file index: its lists and centroids follow */
		if (get_string(rec, "index", b, err) < 0)
			return -1;
		if (strcmp(b->data, "ivf") != 0 || M->metric != NSL_SCORE_KNN)
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"index\": \"%.100s\" is not a knn index",
			    b->data);
		if (get_count(rec, "lists", 1, (double)rows, lists, err) < 0 ||
		    get_count(rec, "nprobe", 1, 1e12, &M->nprobe, err) < 0)
			return -1;
	}
	M->d = d;
	M->rows = rows;
	/* knn: float32 rows while every number is one */
	if (M->metric == NSL_SCORE_KNN) {
		if ((M->xf = malloc(rows * d * sizeof(float))) == NULL)
			return oom(err);
	} else if ((M->x = malloc(rows * d * sizeof(double))) == NULL)
		return oom(err);
	if (M->metric == NSL_SCORE_CLASS_PROTOTYPE &&
	    (M->classes = nsl_labels_new()) == NULL)
		return oom(err);
	return 0;
}

int
nsl_score_model_read(struct nsl_score_model *M, const char *path,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	double *v = NULL, *cen = NULL;
	size_t n = 0, len, cap = 0, L = 0, ncen = 0, *list = NULL, t;
	int got, rc = -1;

	nsl_score_model_init(M);
	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, err)) == 1) {
		long f;

		if (M->metric < 0) {
			if (read_header(M, &rec, &b, &L, err) < 0)
				goto place;
			if (L > 0 && ((cen = malloc(L * M->d *
			    sizeof(double))) == NULL || (list = malloc(M->rows *
			    sizeof(size_t))) == NULL)) {
				oom(err);
				goto out;
			}
			continue;
		}
		if (ncen < L) {
			if ((f = nsl_rec_require(&rec, "centroid", err)) < 0 ||
			    nsl_rec_vector(&rec, (size_t)f, &v, &len, &cap,
			    err) < 0)
				goto place;
			if (len != M->d) {
				nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"centroid\": %zu numbers, expected %zu",
				    len, M->d);
				goto place;
			}
			memcpy(cen + ncen++ * M->d, v, len * sizeof(double));
			continue;
		}
		if (L > 0 && get_count(&rec, "list", 0, (double)(L - 1),
		    &list[n < M->rows ? n : 0], err) < 0)
			goto place;
		if (n == M->rows) {
			nsl_err_set(err, NSL_EX_DATAERR, "more rows than the "
			    "header's %zu", M->rows);
			goto place;
		}
		if ((f = nsl_rec_require(&rec, "row", err)) < 0 ||
		    nsl_rec_vector(&rec, (size_t)f, &v, &len, &cap, err) < 0)
			goto place;
		if (len != M->d) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"row\": %zu "
			    "numbers, expected %zu", len, M->d);
			goto place;
		}
		if (M->classes != NULL) {
			long l = nsl_labels_add(M->classes, &rec, "label", err);

			if (l < 0)
				goto place;
			if ((size_t)l != n) {
				nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"label\": a class given twice");
				goto place;
			}
		}
		if (M->xf != NULL && !nsl_dataset_f32_exact(v, len)) {
			if ((M->x = nsl_dataset_f32_widen(M->xf, n * M->d,
			    M->rows * M->d)) == NULL) {
				oom(err);
				goto out;
			}
			free(M->xf);
			M->xf = NULL;
		}
		if (M->xf != NULL)
			for (t = 0; t < len; t++)
				M->xf[n * M->d + t] = (float)v[t];
		else
			memcpy(M->x + n * M->d, v, len * sizeof(double));
		n++;
	}
	if (got < 0)
		goto out;
	if (M->metric < 0 || n != M->rows) {
		nsl_err_set(err, NSL_EX_DATAERR, "%s: %zu rows, the header "
		    "says %zu", M->metric < 0 ? "no model header" :
		    "truncated model", n, M->rows);
		nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
		goto out;
	}
	/* the index reads float32 rows in place; it takes double rows,
	 * held once, in list order */
	if (L > 0 && ((M->ivf = malloc(sizeof(*M->ivf))) == NULL ||
	    (M->xf != NULL ? nsl_ivf_load_f32(M->ivf, M->xf, M->rows, M->d,
	    cen, L, list, err) : nsl_ivf_load_in(M->ivf, M->x, M->rows, M->d,
	    cen, L, list, err)) < 0)) {
		if (M->ivf == NULL)
			oom(err);
		nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
		goto out;
	}
	if (L > 0 && M->xf == NULL)
		M->x = NULL;
	rc = 0;
	goto out;
place:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
out:
	nsl_reader_close(r);
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
	free(v);
	free(cen);
	free(list);
	if (rc < 0)
		nsl_score_model_release(M);
	return rc;
}

struct apply {
	const struct nsl_score_model *M;
	const struct nsl_score_job *J;
	struct rows R;
	double *kd;		/* knn with an index: the k nearest distances */
	struct nsl_buf key, out;
	const char *skip[2];
	size_t nskip;
	struct nsl_writer *w;
	struct nsl_dataset_vectors *V;	/* or NULL */
	/* prototype and exact knn: the batch waiting for its assignment
	   or search */
	double *bx;		/* batch x d: rows, prototype's normalised */
	double *cnorm;		/* the centres' norms (k) */
	double *bscore;		/* knn: the batch's scores */
	size_t *bc, *boff, nb;	/* clusters, line offsets (nb + 1), count */
	size_t batch;		/* rows a batch holds (apply_batch_rows) */
	struct nsl_buf blines;
	struct nsl_rec brec;
};

/*
 * A batch of rows for prototype or exact knn: APPLY_BATCH_BYTES of
 * doubles, between APPLY_BATCH_MIN and APPLY_BATCH_MAX rows.  Its
 * assignment or search runs on every thread (OpenMP) while the parse's
 * helpers wait; with small batches
 * (512 rows) the two sets of threads took turns every millisecond, the
 * idle ones spinning on the cores the others needed (--model over
 * 1,000,000 x 128 from JSONL: 9.0 s with batches of 512, 3.2 s with
 * these, 8192 rows, and the lines re-read trusted, on two hyperthreads;
 * 36 MiB at most).
 */
#define APPLY_BATCH_BYTES ((size_t)8 << 20)
#define APPLY_BATCH_MIN 512
#define APPLY_BATCH_MAX 16384

static size_t
apply_batch_rows(size_t d)
{
	size_t rows = APPLY_BATCH_BYTES / (d * sizeof(double) + 1);

	return rows < APPLY_BATCH_MIN ? APPLY_BATCH_MIN :
	    rows > APPLY_BATCH_MAX ? APPLY_BATCH_MAX : rows;
}

/* Write rec with the score (and prototype's cluster) spliced in. */
static int
apply_write(struct apply *A, const struct nsl_rec *rec, double score,
    size_t c, struct nsl_err *err)
{
	const struct nsl_score_job *J = A->J;
	struct nsl_obj o;

	nsl_buf_reset(&A->out);
	nsl_obj_begin(&o, &A->out);
	if (J->float32)
		o.style = NSL_NUM_FLOAT32;
	nsl_obj_copy_except(&o, rec, A->skip, A->nskip);
	nsl_obj_key(&o, J->out_field);
	nsl_obj_number(&o, score);
	if (A->M->metric == NSL_SCORE_PROTOTYPE) {
		nsl_obj_key(&o, J->cluster_field);
		nsl_obj_integer(&o, (long long)c);
	}
	nsl_obj_end(&o);
	return nsl_writer_write(A->w, A->out.data, A->out.len, err);
}

/*
 * Prototype's and exact knn's records wait in a batch (apply_batch_rows):
 * one assignment or search of many rows is a matrix product, of one row
 * k (or every reference row's) separate dot products.  Each row's
 * nearest centre is exact (nsl/kmeans.h), and so are its neighbours
 * (nsl_score_knn_query), so the batch does not change a byte.
 */
static int
apply_flush(struct apply *A, struct nsl_err *err)
{
	const struct nsl_score_model *M = A->M;
	size_t i, c = 0, d = M->d;

	if (A->nb == 0)
		return 0;
	if (M->metric == NSL_SCORE_PROTOTYPE)
		nsl_kmeans_assign(A->bx, A->nb, d, M->x, M->rows, A->bc, NULL);
	else if (nsl_score_knn_query(A->bx, A->nb, M->x, M->x != NULL ? NULL :
	    M->xf, M->rows, d, M->neighbours, A->bscore, err) < 0)
		return -1;
	for (i = 0; i < A->nb; i++) {
		double score = A->bscore[i];

		if (M->metric == NSL_SCORE_PROTOTYPE) {
			const double *x = A->bx + i * d;
			double nx = nsl_vec_norm(x, d), nc;

			c = A->bc[i];
			nc = A->cnorm[c];
			score = nx == 0 || nc == 0 ? 1.0 : 1.0 -
			    nsl_vec_dot(x, M->x + c * d, d) / (nx * nc);
		}
		/* parsed once already (trusted): this cannot fail */
		if (nsl_rec_parse(&A->brec, A->blines.data + A->boff[i],
		    A->boff[i + 1] - A->boff[i], err) < 0 ||
		    apply_write(A, &A->brec, score, c, err) < 0)
			return -1;
	}
	A->nb = 0;
	nsl_buf_reset(&A->blines);
	return 0;
}

static int
apply_record(struct apply *A, const struct nsl_rec *rec, struct nsl_writer *w,
    struct nsl_err *err)
{
	const struct nsl_score_model *M = A->M;
	const struct nsl_score_job *J = A->J;
	double score = 0, *x;
	size_t d = M->d;

	(void)w;
	if (read_vector(&A->R, A->V, rec, J->field, err) < 0)
		return -1;
	if (A->R.d != d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, the model's rows have %zu", J->field, A->R.d, d);
	x = A->R.v;
	if (M->metric == NSL_SCORE_PROTOTYPE || (M->metric ==
	    NSL_SCORE_KNN && M->ivf == NULL)) {
		/* the whole-set run's steps, on the batch's rows */
		if (M->metric == NSL_SCORE_PROTOTYPE)
			nsl_vec_normalize_rows(x, 1, d);
		memcpy(A->bx + A->nb * d, x, d * sizeof(double));
		A->boff[A->nb] = A->blines.len;
		nsl_buf_add(&A->blines, rec->line, rec->len);
		A->boff[++A->nb] = A->blines.len;
		if (nsl_buf_failed(&A->blines))
			return oom(err);
		return A->nb == A->batch ? apply_flush(A, err) : 0;
	} else if (M->metric == NSL_SCORE_CLASS_PROTOTYPE) {
		long f = nsl_rec_require(rec, J->label_field, err), l;

		if (f < 0 || nsl_labels_key_at(rec, (size_t)f, 0, &A->key,
		    err) < 0)
			return -1;
		if ((l = nsl_labels_find(M->classes, A->key.data)) < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "%.100s is not a class of the model",
			    J->label_field, A->key.data);
		score = sqrt(nsl_vec_sqdist(x, M->x + (size_t)l * d, d));
	} else if (M->ivf != NULL) {
		size_t t, k = M->neighbours;

		/* the record's first copy left out, as the exact search
		   does (nsl_score_knn_query) */
		if (nsl_ivf_search(M->ivf, x, 1, M->nprobe, k,
		    NSL_IVF_SKIP_COPY, A->kd, NULL, err) < 0)
			return -1;
		for (t = 0; t < k; t++)
			score += A->kd[t];
		score /= (double)k;
	}
	return apply_write(A, rec, score, 0, err);
}

static int
apply_each(void *arg, const struct nsl_rec *rec, struct nsl_err *err)
{
	struct apply *A = arg;

	return apply_record(A, rec, A->w, err) < 0 ? -1 : 0;
}

int
nsl_score_model_apply(const struct nsl_score_model *M,
    const struct nsl_score_job *J, const char *const *paths, size_t npaths,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_dataset_vectors V;
	struct nsl_rec rec;
	struct apply A;
	size_t i;
	int rc = -1;

	if (nsl_score_model_check(J, M) != NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "%s",
		    nsl_score_model_check(J, M));
	if (M->metric == NSL_SCORE_PROTOTYPE &&
	    strcmp(J->out_field, J->cluster_field) == 0)
		return nsl_err_set(err, NSL_EX_USAGE, "--cluster-field %s: a "
		    "score is written to that field", J->cluster_field);
	memset(&A, 0, sizeof(A));
	memset(&V, 0, sizeof(V));
	A.M = M;
	A.J = J;
	A.R.d = M->d;
	A.skip[A.nskip++] = J->out_field;
	if (M->metric == NSL_SCORE_PROTOTYPE)
		A.skip[A.nskip++] = J->cluster_field;
	nsl_buf_init(&A.key);
	nsl_buf_init(&A.out);
	nsl_rec_init(&rec, 0);
	nsl_buf_init(&A.blines);
	/* the batch's lines were parsed as read: their arrays are passed
	   over, not read again, when they are written */
	nsl_rec_init(&A.brec, NSL_REC_LAZY_ARRAYS | NSL_REC_TRUSTED);
	A.batch = apply_batch_rows(M->d);
	if ((A.kd = malloc((M->neighbours + 1) * sizeof(double))) == NULL ||
	    (A.bx = malloc(A.batch * M->d * sizeof(double))) == NULL ||
	    (A.bc = malloc(A.batch * sizeof(size_t))) == NULL ||
	    (A.boff = malloc((A.batch + 1) * sizeof(size_t))) == NULL ||
	    (A.bscore = malloc(A.batch * sizeof(double))) == NULL ||
	    (A.cnorm = malloc((M->metric == NSL_SCORE_PROTOTYPE ? M->rows :
	    0) * sizeof(double) + 1)) == NULL) {
		oom(err);
		goto out;
	}
	if (M->metric == NSL_SCORE_PROTOTYPE)
		for (i = 0; i < M->rows; i++)
			A.cnorm[i] = nsl_vec_norm(M->x + i * M->d, M->d);
	A.w = w;
	if (J->nvectors > 0) {
		if (nsl_dataset_vectors_open(&V, J->vectors, J->nvectors,
		    npaths, err) < 0)
			goto out;
		A.V = &V;
	}
	if (nsl_dataset_each(paths, npaths, A.V, &rec, apply_each, &A,
	    err) != 0 || apply_flush(&A, err) < 0)
		goto out;
	rc = 0;
out:
	free(A.kd);
	free(A.bx);
	free(A.cnorm);
	free(A.bscore);
	free(A.bc);
	free(A.boff);
	nsl_buf_release(&A.blines);
	nsl_rec_release(&A.brec);
	free(A.R.v);
	nsl_dataset_vectors_close(&V);
	nsl_buf_release(&A.key);
	nsl_buf_release(&A.out);
	nsl_rec_release(&rec);
	return rc;
}
