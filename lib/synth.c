/*
 * synth.c - synthetic data sets: the teacher-student perceptron and a
 * Gaussian mixture (see nsl/synth.h for the definition of every draw).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include <gsl/gsl_randist.h>

#include "nsl/io.h"
#include "nsl/rng.h"
#include "nsl/synth.h"
#include "nsl/vec.h"

#define ROLE_SHIFT 40

static uint64_t
stream_of(enum nsl_synth_role role, uint64_t block)
{
	return ((uint64_t)role << ROLE_SHIFT) | block;
}

void
nsl_synth_init(struct nsl_synth *s)
{
	memset(s, 0, sizeof(*s));
	s->field = "embedding";
	s->classes = 2;
	s->separation = 4;
}

void
nsl_synth_release(struct nsl_synth *s)
{
	free(s->weights);
	free(s->teacher);
	free(s->probe);
	free(s->means);
	free(s->counts);
	free(s->labels);
	s->weights = s->teacher = s->probe = s->means = NULL;
	s->counts = NULL;
	s->labels = NULL;
}

const char *
nsl_synth_check(const struct nsl_synth *s)
{
	size_t k;
	double sum = 0;

	/* the vector's name must not be one of the record's other fields */
	if (strcmp(s->field, "id") == 0 || strcmp(s->field, "label") == 0 ||
	    (s->model == NSL_SYNTH_TEACHER_STUDENT &&
	    (strcmp(s->field, "margin") == 0 ||
	    (s->has_probe && strcmp(s->field, "score") == 0) ||
	    (s->has_noise && strcmp(s->field, "flipped") == 0))))
		return "--field: the records already have a field of that "
		    "name (id, label, margin, score, flipped)";
	if (s->n == 0)
		return "--n must be at least 1";
	if (s->dim == 0)
		return "--dim must be at least 1";
	if (s->model == NSL_SYNTH_TEACHER_STUDENT) {
		if (s->has_probe && !(s->probe_angle >= 0 &&
		    s->probe_angle <= 90))
			return "--probe-angle must be in [0, 90] degrees";
		if (s->has_probe && s->probe_angle > 0 && s->dim < 2)
			return "--probe-angle above 0 needs --dim 2 or more";
		if (s->has_noise && !(s->label_noise >= 0 &&
		    s->label_noise <= 1))
			return "--label-noise must be in [0, 1]";
		return NULL;
	}
	if (s->has_probe || s->has_noise)
		return "--probe-angle and --label-noise are for teacher-student";
	if (s->classes == 0)
		return "--classes must be at least 1";
	if (s->classes > s->dim)
		return "--classes must not exceed --dim (the means are "
		    "orthogonal directions)";
	if (!(s->separation >= 0 && isfinite(s->separation)))
		return "--separation must be a finite number >= 0";
	if (s->weights != NULL) {
		for (k = 0; k < s->classes; k++) {
			if (!(s->weights[k] >= 0 && isfinite(s->weights[k])))
				return "--weights must be finite and >= 0";
			sum += s->weights[k];
		}
		if (!(sum > 0))
			return "--weights must not all be 0";
	}
	return NULL;
}

static void
gaussians(gsl_rng *r, double *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
}

/* x -= (x.u) u for a unit u. */
static void
remove_component(double *x, const double *u, size_t n)
{
	double c = nsl_vec_dot(x, u, n);
	size_t i;

	for (i = 0; i < n; i++)
		x[i] -= c * u[i];
}

static void
scale(double *x, size_t n, double a)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] *= a;
}

/*
 * A unit vector from Gaussian draws of r, orthogonal to the nbasis
 * orthonormal rows of basis (Gram-Schmidt, twice for accuracy; redrawn
 * in the probability-zero case of a tiny remainder).
 */
static void
random_direction(gsl_rng *r, double *x, size_t n, const double *basis,
    size_t nbasis)
{
	size_t j, pass;
	double norm;

	for (;;) {
		gaussians(r, x, n);
		for (pass = 0; pass < 2; pass++)
			for (j = 0; j < nbasis; j++)
				remove_component(x, basis + j * n, n);
		norm = nsl_vec_norm(x, n);
		if (norm > 1e-8)
			break;
	}
	scale(x, n, 1 / norm);
}

/* cos and sin of an angle in degrees, exact at 0 and 90. */
static void
cos_sin_deg(double deg, double *c, double *s)
{
	if (deg == 0) {
		*c = 1;
		*s = 0;
	} else if (deg == 90) {
		*c = 0;
		*s = 1;
	} else {
		*c = cos(deg * (M_PI / 180));
		*s = sin(deg * (M_PI / 180));
	}
}

static int
setup_teacher(struct nsl_synth *s, struct nsl_err *err)
{
	size_t n = s->dim, i;
	double *u, c, sn;
	gsl_rng *r;

	if ((s->teacher = malloc(n * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if ((r = nsl_rng_new(s->seed, stream_of(NSL_SYNTH_TEACHER, 0))) ==
	    NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	random_direction(r, s->teacher, n, NULL, 0);
	gsl_rng_free(r);
	if (!s->has_probe)
		return 0;
	if ((s->probe = malloc(n * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	cos_sin_deg(s->probe_angle, &c, &sn);
	if (sn == 0) {
		memcpy(s->probe, s->teacher, n * sizeof(double));
		return 0;
	}
	if ((u = malloc(n * sizeof(double))) == NULL ||
	    (r = nsl_rng_new(s->seed, stream_of(NSL_SYNTH_PROBE, 0))) ==
	    NULL) {
		free(u);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	random_direction(r, u, n, s->teacher, 1);
	gsl_rng_free(r);
	for (i = 0; i < n; i++)
		s->probe[i] = c * s->teacher[i] + sn * u[i];
	free(u);
	return 0;
}

/*
 * Class sizes by largest remainder (Hamilton): floor(n p_k), then one more
 * to each of the classes with the largest fractional parts, ties to the
 * lower k.  frac is K doubles of scratch.
 */
static void
class_counts(uint64_t n, const double *weights, size_t K, uint64_t *counts,
    double *frac)
{
	double sum = 0, q;
	uint64_t given = 0;
	size_t k, j, best;

	for (k = 0; k < K; k++)
		sum += weights != NULL ? weights[k] : 1;
	for (k = 0; k < K; k++) {
		q = (double)n * ((weights != NULL ? weights[k] : 1) / sum);
		counts[k] = (uint64_t)floor(q);
		if (counts[k] > n - given)
			counts[k] = n - given;
		given += counts[k];
		frac[k] = q - floor(q);
	}
	while (given < n) {
		best = 0;
		for (j = 1; j < K; j++)
			if (frac[j] > frac[best])
				best = j;
		counts[best]++;
		given++;
		frac[best] = -1;
	}
}

static int
setup_mixture(struct nsl_synth *s, struct nsl_err *err)
{
	size_t K = s->classes, n = s->dim, k, i;
	double *e, a = s->separation / sqrt(2.0), *centre;
	uint64_t j, at;
	gsl_rng *r;

	s->means = malloc(K * n * sizeof(double));
	s->counts = calloc(K, sizeof(uint64_t));
	s->labels = malloc(s->n * sizeof(uint32_t));
	e = malloc(K * n * sizeof(double));
	centre = calloc(n > K ? n : K, sizeof(double));
	r = nsl_rng_new(s->seed, stream_of(NSL_SYNTH_MEANS, 0));
	if (s->means == NULL || s->counts == NULL || s->labels == NULL ||
	    e == NULL || centre == NULL || r == NULL) {
		free(e);
		free(centre);
		if (r != NULL)
			gsl_rng_free(r);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (k = 0; k < K; k++)
		random_direction(r, e + k * n, n, e, k);
	gsl_rng_free(r);
	for (k = 0; k < K; k++)
		for (i = 0; i < n; i++)
			centre[i] += e[k * n + i];
	for (k = 0; k < K; k++)
		for (i = 0; i < n; i++)
			s->means[k * n + i] = a * (e[k * n + i] -
			    centre[i] / (double)K);
	free(e);

	class_counts(s->n, s->weights, K, s->counts, centre);
	free(centre);
	for (k = 0, at = 0; k < K; k++)
		for (j = 0; j < s->counts[k]; j++)
			s->labels[at++] = (uint32_t)k;
	if ((r = nsl_rng_new(s->seed, stream_of(s->test ?
	    NSL_SYNTH_TEST_LABELS : NSL_SYNTH_TRAIN_LABELS, 0))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	gsl_ran_shuffle(r, s->labels, s->n, sizeof(uint32_t));
	gsl_rng_free(r);
	return 0;
}

size_t
nsl_synth_draw(const struct nsl_synth *s, uint64_t block,
    struct nsl_synth_rows *rows, struct nsl_err *err)
{
	uint64_t first = block * NSL_SYNTH_BLOCK;
	size_t m, i, j, d = s->dim;
	gsl_rng *rx, *rf = NULL;

	if (first >= s->n)
		return 0;
	m = s->n - first < NSL_SYNTH_BLOCK ? (size_t)(s->n - first) :
	    NSL_SYNTH_BLOCK;
	rx = nsl_rng_new(s->seed, stream_of(s->test ? NSL_SYNTH_TEST_X :
	    NSL_SYNTH_TRAIN_X, block));
	if (s->model == NSL_SYNTH_TEACHER_STUDENT && s->has_noise)
		rf = nsl_rng_new(s->seed, stream_of(s->test ?
		    NSL_SYNTH_TEST_FLIP : NSL_SYNTH_TRAIN_FLIP, block));
	if (rx == NULL || (s->model == NSL_SYNTH_TEACHER_STUDENT &&
	    s->has_noise && rf == NULL)) {
		if (rx != NULL)
			gsl_rng_free(rx);
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		return 0;
	}
	for (i = 0; i < m; i++) {
		double *x = rows->x + i * d;

		gaussians(rx, x, d);
		if (s->model == NSL_SYNTH_GAUSSIAN_MIXTURE) {
			uint32_t k = s->labels[first + i];

			for (j = 0; j < d; j++)
				x[j] += s->means[(size_t)k * d + j];
		}
		if (s->style == NSL_NUM_FLOAT32)
			for (j = 0; j < d; j++)
				x[j] = (float)x[j];
		if (s->model == NSL_SYNTH_GAUSSIAN_MIXTURE) {
			rows->label[i] = s->labels[first + i];
			continue;
		}
		{
			double mg = nsl_vec_dot(s->teacher, x, d);
			int flip = 0;

			if (s->style == NSL_NUM_FLOAT32)
				mg = (float)mg;
			if (rf != NULL)
				flip = gsl_rng_uniform(rf) < s->label_noise;
			rows->margin[i] = mg;
			rows->label[i] = (uint32_t)((mg > 0) ^ flip);
			if (rows->flipped != NULL)
				rows->flipped[i] = (unsigned char)flip;
			if (s->probe != NULL && rows->score != NULL) {
				double sc = -fabs(nsl_vec_dot(s->probe, x, d));

				rows->score[i] = s->style == NSL_NUM_FLOAT32 ?
				    (float)sc : sc;
			}
		}
	}
	gsl_rng_free(rx);
	if (rf != NULL)
		gsl_rng_free(rf);
	return m;
}

int
nsl_synth_format(const struct nsl_synth *s, uint64_t block,
    struct nsl_buf *out, struct nsl_err *err)
{
	struct nsl_synth_rows rows;
	uint64_t first = block * NSL_SYNTH_BLOCK;
	struct nsl_obj o;
	size_t m, i;
	int ts = s->model == NSL_SYNTH_TEACHER_STUDENT, rc = -1;

	rows.x = malloc(NSL_SYNTH_BLOCK * s->dim * sizeof(double));
	rows.label = malloc(NSL_SYNTH_BLOCK * sizeof(uint32_t));
	rows.margin = malloc(NSL_SYNTH_BLOCK * sizeof(double));
	rows.score = malloc(NSL_SYNTH_BLOCK * sizeof(double));
	rows.flipped = malloc(NSL_SYNTH_BLOCK);
	if (rows.x == NULL || rows.label == NULL || rows.margin == NULL ||
	    rows.score == NULL || rows.flipped == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto done;
	}
	err->code = 0;
	m = nsl_synth_draw(s, block, &rows, err);
	if (err->code != 0)
		goto done;
	for (i = 0; i < m; i++) {
		nsl_obj_begin(&o, out);
		o.style = s->style;
		nsl_obj_key(&o, "id");
		nsl_obj_integer(&o, (long long)(first + i));
		nsl_obj_key(&o, s->field);
		nsl_obj_vector(&o, rows.x + i * s->dim, s->dim);
		nsl_obj_key(&o, "label");
		nsl_obj_integer(&o, rows.label[i]);
		if (ts) {
			nsl_obj_key(&o, "margin");
			nsl_obj_number(&o, rows.margin[i]);
			if (s->probe != NULL) {
				nsl_obj_key(&o, "score");
				nsl_obj_number(&o, rows.score[i]);
			}
			if (s->has_noise) {
				nsl_obj_key(&o, "flipped");
				nsl_obj_bool(&o, rows.flipped[i]);
			}
		}
		nsl_obj_end(&o);
	}
	if (nsl_buf_failed(out)) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(rows.x);
	free(rows.label);
	free(rows.margin);
	free(rows.score);
	free(rows.flipped);
	return rc;
}

int
nsl_synth_write(const struct nsl_synth *s, struct nsl_writer *w,
    struct nsl_err *err)
{
	uint64_t nblocks = (s->n + NSL_SYNTH_BLOCK - 1) / NSL_SYNTH_BLOCK;
	uint64_t start;
	size_t batch = 2 * (size_t)omp_get_max_threads(), b;
	struct nsl_buf *bufs;
	struct nsl_err *errs;
	int rc = -1;

	bufs = calloc(batch, sizeof(*bufs));
	errs = calloc(batch, sizeof(*errs));
	if (bufs == NULL || errs == NULL) {
		free(bufs);
		free(errs);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (start = 0; start < nblocks; start += batch) {
		size_t nb = nblocks - start < batch ? (size_t)(nblocks -
		    start) : batch;
		long long jb;

#pragma omp parallel for schedule(dynamic, 1)
		for (jb = 0; jb < (long long)nb; jb++) {
			nsl_buf_reset(&bufs[jb]);
			nsl_err_clear(&errs[jb]);
			nsl_synth_format(s, start + (uint64_t)jb, &bufs[jb],
			    &errs[jb]);
		}
		for (b = 0; b < nb; b++) {
			if (errs[b].code != 0) {
				*err = errs[b];
				goto done;
			}
			if (nsl_writer_write(w, bufs[b].data, bufs[b].len,
			    err) != 0)
				goto done;
		}
	}
	rc = 0;
done:
	for (b = 0; b < batch; b++)
		nsl_buf_release(&bufs[b]);
	free(bufs);
	free(errs);
	return rc;
}

static void
teacher_record(const struct nsl_synth *s, struct nsl_buf *out)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, out);
	nsl_obj_key(&o, "model");
	nsl_obj_string(&o, "teacher-student");
	nsl_obj_key(&o, "dim");
	nsl_obj_integer(&o, (long long)s->dim);
	nsl_obj_key(&o, "seed");
	nsl_buf_addf(out, "%llu", (unsigned long long)s->seed);
	nsl_obj_key(&o, "teacher");
	nsl_obj_vector(&o, s->teacher, s->dim);
	if (s->probe != NULL) {
		nsl_obj_key(&o, "probe_angle");
		nsl_obj_number(&o, s->probe_angle);
		nsl_obj_key(&o, "probe");
		nsl_obj_vector(&o, s->probe, s->dim);
	}
	nsl_obj_end(&o);
}

static void
mixture_record(const struct nsl_synth *s, struct nsl_buf *out)
{
	struct nsl_obj o;
	size_t k;

	nsl_obj_begin(&o, out);
	nsl_obj_key(&o, "model");
	nsl_obj_string(&o, "gaussian-mixture");
	nsl_obj_key(&o, "dim");
	nsl_obj_integer(&o, (long long)s->dim);
	nsl_obj_key(&o, "seed");
	nsl_buf_addf(out, "%llu", (unsigned long long)s->seed);
	nsl_obj_key(&o, "classes");
	nsl_obj_integer(&o, (long long)s->classes);
	nsl_obj_key(&o, "separation");
	nsl_obj_number(&o, s->separation);
	nsl_obj_key(&o, "counts");
	nsl_buf_addc(out, '[');
	for (k = 0; k < s->classes; k++)
		nsl_buf_addf(out, "%s%llu", k ? "," : "",
		    (unsigned long long)s->counts[k]);
	nsl_buf_addc(out, ']');
	nsl_obj_key(&o, "means");
	nsl_buf_addc(out, '[');
	for (k = 0; k < s->classes; k++) {
		if (k > 0)
			nsl_buf_addc(out, ',');
		nsl_json_vector(out, s->means + k * s->dim, s->dim,
		    NSL_NUM_DOUBLE);
	}
	nsl_buf_addc(out, ']');
	nsl_obj_end(&o);
}

/*
 * The catalogue: one row a generator, in the order of enum
 * nsl_synth_model.  The names, the model operand's parser, the options
 * each generator owns and the model record all come from these rows.
 */
static const char *const teacher_options[] = { "probe-angle",
	"label-noise", "emit-teacher", NULL };
static const char *const mixture_options[] = { "classes", "separation",
	"weights", "emit-means", NULL };

static const struct nsl_synth_model_def models[] = {
	{ "teacher-student", "x ~ N(0, I), a random unit teacher w, label = "
	    "[w.x > 0], margin = w.x; a probe at an angle to w gives a score, "
	    "label noise flips labels", teacher_options, "emit-teacher",
	    setup_teacher, teacher_record },
	{ "gaussian-mixture", "x = mu_label + N(0, I), the K means the "
	    "vertices of a regular simplex of edge S centred at 0, class "
	    "sizes in proportion to the weights", mixture_options,
	    "emit-means", setup_mixture, mixture_record },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct nsl_synth_model_def *
nsl_synth_model_get(int m)
{
	return m >= 0 && (size_t)m < sizeof(models) / sizeof(models[0]) - 1 ?
	    &models[m] : NULL;
}

int
nsl_synth_model_parse(const char *name)
{
	int m;

	for (m = 0; models[m].name != NULL; m++)
		if (strcmp(name, models[m].name) == 0)
			return m;
	return -1;
}

int
nsl_synth_setup(struct nsl_synth *s, struct nsl_err *err)
{
	return models[s->model].setup(s, err);
}

void
nsl_synth_model_record(const struct nsl_synth *s, struct nsl_buf *out)
{
	models[s->model].record(s, out);
}

/* ------------------------------------------------ command-line lists */

const char *
nsl_synth_weights_parse(struct nsl_synth *s, const char *arg, size_t *n)
{
	static char msg[160];
	const char *p = arg;
	double *w, v;
	char *end;

	free(s->weights);
	s->weights = NULL;
	*n = 0;
	for (;;) {
		p += strspn(p, ",");
		if (*p == '\0')
			break;
		if (*n >= NSL_SYNTH_MAX_CLASSES)
			return "more than 65536 classes";
		if ((w = realloc(s->weights, (*n + 1) * sizeof(double))) ==
		    NULL)
			return "out of memory";
		s->weights = w;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || (*end != ',' && *end != '\0') || isnan(v)) {
			snprintf(msg, sizeof(msg), "'%.*s' is not a number",
			    (int)strcspn(p, ","), p);
			return msg;
		}
		if ((errno == ERANGE && fabs(v) > 1) || v < 0 || v > 1e300) {
			snprintf(msg, sizeof(msg), "%.*s is outside "
			    "[0, 1e+300]", (int)strcspn(p, ","), p);
			return msg;
		}
		s->weights[(*n)++] = v;
		p = end;
	}
	return *n == 0 ? "expected a list like 1,2,1" : NULL;
}

const char *
nsl_synth_model_names(const char *last)
{
	static char out[256];
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; models[i].name != NULL && len < sizeof(out); i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i == 0 ? "" : models[i + 1].name == NULL ? last : ", ",
		    models[i].name);
	return out;
}

const char *
nsl_synth_foreign_option(int model, int (*given)(const char *))
{
	static char msg[256];
	const struct nsl_synth_model_def *o;
	size_t len, j, count;
	int i;

	for (i = 0; (o = nsl_synth_model_get(i)) != NULL; i++) {
		if (i == model)
			continue;
		for (count = 0; o->options[count] != NULL; count++)
			;
		for (j = 0; j < count && !given(o->options[j]); j++)
			;
		if (j == count)
			continue;
		for (len = 0, j = 0; j < count && len < sizeof(msg); j++)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    "%s--%s", j == 0 ? "" : j + 1 == count ? " and " :
			    ", ", o->options[j]);
		if (len < sizeof(msg))
			snprintf(msg + len, sizeof(msg) - len, " %s for %s",
			    count > 1 ? "are" : "is", o->name);
		return msg;
	}
	return NULL;
}
