/*
 * optimum.c - optima from profiles: a parabola in log x per group, its
 * vertex with a bootstrap interval, and the power law of the vertices
 * against the group value (see nsl/optimum.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/num.h"
#include "nsl/optim.h"
#include "nsl/optimum.h"
#include "nsl/rng.h"

static const char *const status_names[] = { "ok", "edge", "concave", "few" };

const char *
nsl_optimum_status_name(enum nsl_optimum_status s)
{
	return status_names[s];
}

int
nsl_optimum_status_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0)
			return (int)i;
	return -1;
}

/* --- the group record ------------------------------------------------ */

void
nsl_optrec_init(struct nsl_optrec *o)
{
	memset(o, 0, sizeof(*o));
	o->gval = o->gval2 = o->xopt = o->yopt = o->lo = o->hi = NAN;
	o->level = 0.95;
}

void
nsl_optrec_release(struct nsl_optrec *o)
{
	free(o->x);
	free(o->y);
	free(o->g);
	free(o->g2);
	memset(o, 0, sizeof(*o));
}

/* name + suffix into a buffer of its own (field names of the record) */
static const char *
field(struct nsl_buf *b, const char *name, const char *suffix)
{
	nsl_buf_reset(b);
	nsl_buf_adds(b, name);
	nsl_buf_adds(b, suffix);
	return b->data;
}

void
nsl_optrec_write(const struct nsl_optrec *o, struct nsl_buf *b)
{
	struct nsl_buf name = NSL_BUF_INIT;
	struct nsl_obj ob;

	nsl_obj_begin(&ob, b);
	if (o->g != NULL) {
		nsl_obj_key(&ob, o->g);
		nsl_obj_number(&ob, o->gval);
		if (o->g2 != NULL) {
			nsl_obj_key(&ob, o->g2);
			nsl_obj_number(&ob, o->gval2);
		}
		nsl_obj_key(&ob, "group");
		if (o->g2 != NULL) {
			nsl_buf_reset(&name);
			nsl_buf_addf(&name, "%s,%s", o->g, o->g2);
		}
		nsl_obj_string(&ob, o->g2 != NULL ? name.data : o->g);
	}
	nsl_obj_key(&ob, "x");
	nsl_obj_string(&ob, o->x);
	nsl_obj_key(&ob, "y");
	nsl_obj_string(&ob, o->y);
	nsl_obj_key(&ob, "n");
	nsl_obj_integer(&ob, (long long)o->n);
	nsl_obj_key(&ob, "status");
	nsl_obj_string(&ob, nsl_optimum_status_name(o->status));
	nsl_obj_key(&ob, field(&name, o->x, "_opt"));
	nsl_obj_number_or_null(&ob, o->xopt);
	if (o->B > 0) {
		nsl_obj_key(&ob, field(&name, o->x, "_opt_lo"));
		nsl_obj_number_or_null(&ob, o->lo);
		nsl_obj_key(&ob, field(&name, o->x, "_opt_hi"));
		nsl_obj_number_or_null(&ob, o->hi);
	}
	nsl_obj_key(&ob, field(&name, o->y, "_opt"));
	nsl_obj_number_or_null(&ob, o->yopt);
	nsl_obj_key(&ob, "parabola");
	if (o->status == NSL_OPTIMUM_FEW)
		nsl_obj_null(&ob);
	else
		nsl_obj_vector(&ob, o->coef, 3);
	nsl_obj_key(&ob, "range");
	nsl_obj_vector(&ob, o->range, 2);
	if (o->has_bin) {
		nsl_obj_key(&ob, "bin");
		nsl_obj_vector(&ob, o->bin, 2);
	}
	if (o->B > 0) {
		nsl_obj_key(&ob, "B");
		nsl_obj_integer(&ob, (long long)o->B);
		nsl_obj_key(&ob, "valid");
		nsl_obj_integer(&ob, (long long)o->valid);
		nsl_obj_key(&ob, "level");
		nsl_obj_number(&ob, o->level);
	}
	nsl_obj_end(&ob);
	nsl_buf_release(&name);
}

/* A number or null (NaN) member; missing is NaN unless required. */
static int
get_num(const struct nsl_rec *rec, const char *name, int required,
    double *v, struct nsl_err *err)
{
	return nsl_rec_number_or_null(rec, name, required, v, err);
}

/* A member [n numbers] into v. */
static int
get_vec(const struct nsl_rec *rec, const char *name, size_t n, double *v,
    struct nsl_err *err)
{
	double *x = NULL;
	size_t m = 0, cap = 0;
	long k = nsl_rec_require(rec, name, err);
	int ret = -1;

	if (k < 0 || nsl_rec_vector(rec, (size_t)k, &x, &m, &cap, err) != 0)
		goto out;
	if (m != n) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": expected %zu "
		    "numbers", name, n);
		goto out;
	}
	memcpy(v, x, n * sizeof(double));
	ret = 0;
out:
	free(x);
	return ret;
}

int
nsl_optrec_parse(struct nsl_optrec *o, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	struct nsl_buf name = NSL_BUF_INIT, s = NSL_BUF_INIT;
	long k;
	int st, ret = -1;

	if (nsl_rec_strdup(rec, "x", &o->x, err) != 0 ||
	    nsl_rec_strdup(rec, "y", &o->y, err) != 0 ||
	    nsl_rec_count(rec, "n", &o->n, err) != 0)
		goto out;
	if (nsl_rec_find(rec, "group") >= 0) {
		char *c;

		if (nsl_rec_strdup(rec, "group", &o->g, err) != 0)
			goto out;
		/* "N,D": a pair of group fields */
		if ((c = strchr(o->g, ',')) != NULL) {
			if ((o->g2 = strdup(c + 1)) == NULL) {
				nsl_err_set(err, NSL_EX_SOFTWARE,
				    "out of memory");
				goto out;
			}
			*c = '\0';
			if (get_num(rec, o->g2, 1, &o->gval2, err) != 0)
				goto out;
		}
		if (get_num(rec, o->g, 1, &o->gval, err) != 0)
			goto out;
	}
	if ((k = nsl_rec_require(rec, "status", err)) < 0 ||
	    nsl_rec_string(rec, (size_t)k, &s, err) != 0)
		goto out;
	if ((st = nsl_optimum_status_parse(s.data)) < 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"status\": expected "
		    "ok, edge, concave or few");
		goto out;
	}
	o->status = (enum nsl_optimum_status)st;
	if (get_num(rec, field(&name, o->x, "_opt"), 1, &o->xopt, err) != 0 ||
	    get_num(rec, field(&name, o->y, "_opt"), 1, &o->yopt, err) != 0)
		goto out;
	if (o->status != NSL_OPTIMUM_FEW &&
	    get_vec(rec, "parabola", 3, o->coef, err) != 0)
		goto out;
	if (get_vec(rec, "range", 2, o->range, err) != 0)
		goto out;
	if (nsl_rec_find(rec, "bin") >= 0) {
		if (get_vec(rec, "bin", 2, o->bin, err) != 0)
			goto out;
		o->has_bin = 1;
	}
	if (nsl_rec_find(rec, "B") >= 0) {
		if (nsl_rec_count(rec, "B", &o->B, err) != 0 ||
		    nsl_rec_count(rec, "valid", &o->valid, err) != 0 ||
		    get_num(rec, "level", 1, &o->level, err) != 0 ||
		    get_num(rec, field(&name, o->x, "_opt_lo"), 1, &o->lo,
		    err) != 0 ||
		    get_num(rec, field(&name, o->x, "_opt_hi"), 1, &o->hi,
		    err) != 0)
			goto out;
	}
	ret = 0;
out:
	nsl_buf_release(&name);
	nsl_buf_release(&s);
	return ret;
}

/* --- the parabola ---------------------------------------------------- */

int
nsl_optimum_parabola(const double *u, const double *y, size_t n,
    double coef[3])
{
	double mean = 0, sd = 0, A[3][4] = { { 0 } }, z, t, p;
	size_t i, j, k, r, distinct = 0;

	for (i = 0; i < n; i++)
		mean += u[i];
	mean /= (double)n;
	for (i = 0; i < n; i++)
		sd += (u[i] - mean) * (u[i] - mean);
	sd = sqrt(sd / (double)n);
	/* NSL_OPTIMUM_MIN_X distinct u: 3 make the normal equations
	 * regular, a 4th leaves a residual for the bootstrap to see */
	for (i = 0; i < n && distinct < NSL_OPTIMUM_MIN_X; i++) {
		for (j = 0; j < i; j++)
			if (u[j] == u[i])
				break;
		distinct += j == i;
	}
	if (distinct < NSL_OPTIMUM_MIN_X || !(sd > 0))
		return -1;
	/* normal equations in z = (u - mean) / sd: well conditioned */
	for (i = 0; i < n; i++) {
		double f[3];

		z = (u[i] - mean) / sd;
		f[0] = 1;
		f[1] = z;
		f[2] = z * z;
		for (j = 0; j < 3; j++) {
			for (k = 0; k < 3; k++)
				A[j][k] += f[j] * f[k];
			A[j][3] += f[j] * y[i];
		}
	}
	for (k = 0; k < 3; k++) {
		for (r = k, i = k + 1; i < 3; i++)
			if (fabs(A[i][k]) > fabs(A[r][k]))
				r = i;
		if (A[r][k] == 0)
			return -1;
		for (j = 0; j < 4; j++) {
			t = A[k][j];
			A[k][j] = A[r][j];
			A[r][j] = t;
		}
		for (i = k + 1; i < 3; i++) {
			p = A[i][k] / A[k][k];
			for (j = k; j < 4; j++)
				A[i][j] -= p * A[k][j];
		}
	}
	for (k = 3; k-- > 0;) {
		t = A[k][3];
		for (j = k + 1; j < 3; j++)
			t -= A[k][j] * A[j][3];
		A[k][3] = t / A[k][k];
	}
	/* back from z to u: y = d0 + d1 z + d2 z^2, z = (u - m) / s */
	coef[2] = A[2][3] / (sd * sd);
	coef[1] = A[1][3] / sd - 2 * A[2][3] * mean / (sd * sd);
	coef[0] = A[0][3] - A[1][3] * mean / sd +
	    A[2][3] * mean * mean / (sd * sd);
	return 0;
}

/* --- the job --------------------------------------------------------- */

void
nsl_optimum_init(struct nsl_optimum_job *j)
{
	memset(j, 0, sizeof(*j));
	j->y = "loss";
	j->width = NSL_OPTIMUM_WIDTH;
	j->level = 0.95;
	nsl_fitrec_init(&j->law);
}

/* A group's points while reading. */
struct pts {
	double key;		/* --by value, or bin number */
	double key2;		/* --by F1,F2: F2's value */
	double *u, *y, *gv;	/* ln x, y, group field value */
	size_t n, cap;
};

void
nsl_optimum_release(struct nsl_optimum_job *j)
{
	size_t i;

	for (i = 0; i < j->ng; i++)
		nsl_optrec_release(&j->g[i]);
	free(j->g);
	j->g = NULL;
	j->ng = 0;
	nsl_fitrec_release(&j->law);
	nsl_buf_release(&j->warn);
}

const char *
nsl_optimum_centers(struct nsl_optimum_job *j, const char *arg)
{
	const char *p = arg, *end = arg + strlen(arg);
	size_t k;
	double v;

	j->ncenters = 0;
	for (;;) {
		if ((k = nsl_num_parse(p, end, &v)) == 0 || !(v > 0) ||
		    !isfinite(v)) {
			snprintf(j->msg, sizeof(j->msg), "expected positive "
			    "numbers separated by commas, got '%s'", arg);
			return j->msg;
		}
		if (j->ncenters == NSL_OPTIMUM_MAX_CENTERS) {
			snprintf(j->msg, sizeof(j->msg), "more than %d "
			    "centres", NSL_OPTIMUM_MAX_CENTERS);
			return j->msg;
		}
		j->centers[j->ncenters++] = v;
		p += k;
		if (*p == '\0')
			return NULL;
		if (*p++ != ',') {
			snprintf(j->msg, sizeof(j->msg), "expected positive "
			    "numbers separated by commas, got '%s'", arg);
			return j->msg;
		}
	}
}

const char *
nsl_optimum_check(struct nsl_optimum_job *j)
{
	const char *gf, *c;

	if (j->x == NULL)
		return "--x FIELD is required";
	if (j->by != NULL && j->by2 == NULL &&
	    (c = strchr(j->by, ',')) != NULL) {
		if ((size_t)(c - j->by) >= sizeof(j->byf))
			return "--by: the first field's name is too long";
		memcpy(j->byf, j->by, (size_t)(c - j->by));
		j->byf[c - j->by] = '\0';
		j->by2 = c + 1;
		j->by = j->byf;
		if (*j->by2 == '\0' || strchr(j->by2, ',') != NULL)
			return "--by: one field or two, F1,F2";
		if (strcmp(j->by, j->by2) == 0)
			return "--by F1,F2: two different fields";
		if (strcmp(j->by2, j->x) == 0 || strcmp(j->by2, j->y) == 0)
			return "the group field is --x or --y";
	}
	gf = j->by != NULL ? j->by : j->bin;
	if (*j->x == '\0' || *j->y == '\0' || (gf != NULL && *gf == '\0'))
		return "empty field name";
	if (j->by != NULL && j->bin != NULL)
		return "--by and --bin exclude each other";
	if (strcmp(j->x, j->y) == 0)
		return "--x and --y name one field";
	if (gf != NULL && (strcmp(gf, j->x) == 0 || strcmp(gf, j->y) == 0))
		return "the group field is --x or --y";
	if (!(j->width > 0))
		return "--width must be positive";
	if (j->ncenters > 0 && j->bin == NULL)
		return "--centers goes with --bin";
	return NULL;
}

static int
push(struct pts *p, double u, double y, double gv)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		double *a = realloc(p->u, cap * sizeof(double));

		if (a == NULL)
			return -1;
		p->u = a;
		if ((a = realloc(p->y, cap * sizeof(double))) == NULL)
			return -1;
		p->y = a;
		if ((a = realloc(p->gv, cap * sizeof(double))) == NULL)
			return -1;
		p->gv = a;
		p->cap = cap;
	}
	p->u[p->n] = u;
	p->y[p->n] = y;
	p->gv[p->n++] = gv;
	return 0;
}

static int
num_field(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, name, err);

	if (k < 0 || nsl_rec_number(rec, (size_t)k, v, err) != 0)
		return -1;
	return 0;
}

/* The centre nearest v (in log), or NAN beyond --width decades. */
static double
nearest(const struct nsl_optimum_job *j, double v)
{
	double best = NAN, d, bd = INFINITY;
	size_t i;

	for (i = 0; i < j->ncenters; i++)
		if ((d = fabs(log10(v) - log10(j->centers[i]))) < bd) {
			bd = d;
			best = j->centers[i];
		}
	return bd <= j->width ? best : NAN;
}

/* Read every record into groups; returns the group count or -1. */
static long
read_points(struct nsl_optimum_job *j, const char *in, struct pts **out,
    struct nsl_err *err)
{
	const char *gf = j->by != NULL ? j->by : j->bin;
	struct nsl_reader *r = nsl_reader_open(in, err);
	struct nsl_rec rec;
	struct pts *g = NULL;
	size_t ng = 0, i;
	double x, y, gv, key, key2 = 0;
	int rc;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, j->rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		if (num_field(&rec, j->x, &x, err) != 0 ||
		    num_field(&rec, j->y, &y, err) != 0)
			goto bad;
		if (!(x > 0) || !isfinite(x) || !isfinite(y)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %s",
			    isfinite(y) ? j->x : j->y, isfinite(y) ?
			    "must be a positive number (its log is taken)" :
			    "must be a finite number");
			goto bad;
		}
		key = gv = 0;
		if (gf != NULL) {
			if (num_field(&rec, gf, &gv, err) != 0)
				goto bad;
			if (!(gv > 0) || !isfinite(gv)) {
				nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
				    "must be a positive number (the power law "
				    "takes its log)", gf);
				goto bad;
			}
			key = j->bin != NULL ?
			    floor(log10(gv) / j->width + 0.5) : gv;
			if (j->by2 != NULL) {
				if (num_field(&rec, j->by2, &key2, err) != 0)
					goto bad;
				if (!(key2 > 0) || !isfinite(key2)) {
					nsl_err_set(err, NSL_EX_DATAERR,
					    "field \"%s\": must be a positive "
					    "number (the power law takes its "
					    "log)", j->by2);
					goto bad;
				}
			}
			if (j->ncenters > 0 &&
			    isnan(key = nearest(j, gv))) {
				j->outside++;
				continue;
			}
		}
		for (i = 0; i < ng; i++)
			if (g[i].key == key && g[i].key2 == key2)
				break;
		if (i == ng) {
			struct pts *ng2 = realloc(g, (ng + 1) * sizeof(*g));

			if (ng2 == NULL)
				goto nomem;
			g = ng2;
			memset(&g[ng], 0, sizeof(*g));
			g[ng].key2 = key2;
			g[ng++].key = key;
		}
		if (push(&g[i], log(x), y, gv) != 0)
			goto nomem;
	}
	if (rc < 0)
		goto fail;
	if (j->outside > 0)
		nsl_buf_addf(&j->warn, "%zu record%s more than %g decades from "
		    "every centre: left out\n", j->outside,
		    j->outside == 1 ? "" : "s", j->width);
	if (ng == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no records%s",
		    j->outside > 0 ? " near a centre" : "");
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto fail;
	}
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	*out = g;
	return (long)ng;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	goto fail;
bad:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
fail:
	for (i = 0; i < ng; i++) {
		free(g[i].u);
		free(g[i].y);
		free(g[i].gv);
	}
	free(g);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return -1;
}

/* The vertex of a fitted parabola (NAN without a minimum). */
static double
vertex(const double c[3])
{
	return c[2] > 0 ? -c[1] / (2 * c[2]) : NAN;
}

/* Fit group p into o: parabola, status, optimum. */
static void
fit_group(const struct nsl_optimum_job *j, const struct pts *p,
    struct nsl_optrec *o)
{
	double lo = INFINITY, hi = -INFINITY, v, s = 0;
	size_t i;

	o->n = p->n;
	for (i = 0; i < p->n; i++) {
		lo = fmin(lo, p->u[i]);
		hi = fmax(hi, p->u[i]);
		s += log(p->gv[i]);
	}
	o->range[0] = exp(lo);
	o->range[1] = exp(hi);
	if (j->by != NULL || j->bin != NULL)
		o->gval = j->by != NULL ? p->gv[0] : j->ncenters > 0 ?
		    p->key : exp(s / (double)p->n);
	o->gval2 = j->by2 != NULL ? p->key2 : NAN;
	if (j->bin != NULL) {
		o->has_bin = 1;
		o->bin[0] = INFINITY;
		o->bin[1] = -INFINITY;
		for (i = 0; i < p->n; i++) {
			o->bin[0] = fmin(o->bin[0], p->gv[i]);
			o->bin[1] = fmax(o->bin[1], p->gv[i]);
		}
	}
	if (nsl_optimum_parabola(p->u, p->y, p->n, o->coef) != 0) {
		o->status = NSL_OPTIMUM_FEW;
		return;
	}
	if (isnan(v = vertex(o->coef))) {
		o->status = NSL_OPTIMUM_CONCAVE;
		return;
	}
	o->xopt = exp(v);
	o->yopt = o->coef[0] - o->coef[1] * o->coef[1] / (4 * o->coef[2]);
	o->status = v > lo && v < hi ? NSL_OPTIMUM_OK : NSL_OPTIMUM_EDGE;
}

/*
 * B resamples of group p (stream gi of the seed): the vertex's ln x of
 * each into vu[0..B), NAN where a resample has no minimum.
 */
static int
boot_group(const struct nsl_optimum_job *j, const struct pts *p, size_t gi,
    double *vu)
{
	gsl_rng *rng = nsl_rng_new(j->seed, gi);
	double *u = malloc(2 * p->n * sizeof(double)), *y, c[3];
	size_t b, i, k;

	if (rng == NULL || u == NULL) {
		gsl_rng_free(rng);
		free(u);
		return -1;
	}
	y = u + p->n;
	for (b = 0; b < j->B; b++) {
		for (i = 0; i < p->n; i++) {
			k = (size_t)gsl_rng_uniform_int(rng, p->n);
			u[i] = p->u[k];
			y[i] = p->y[k];
		}
		vu[b] = nsl_optimum_parabola(u, y, p->n, c) == 0 ?
		    vertex(c) : NAN;
	}
	gsl_rng_free(rng);
	free(u);
	return 0;
}

/* Least squares line t = b0 + b1 s over the m pairs; 0 or -1. */
static int
line(const double *s, const double *t, size_t m, double *b0, double *b1)
{
	double ms = 0, mt = 0, sxx = 0, sxy = 0;
	size_t i;

	if (m < 2)
		return -1;
	for (i = 0; i < m; i++) {
		ms += s[i];
		mt += t[i];
	}
	ms /= (double)m;
	mt /= (double)m;
	for (i = 0; i < m; i++) {
		sxx += (s[i] - ms) * (s[i] - ms);
		sxy += (s[i] - ms) * (t[i] - mt);
	}
	if (!(sxx > 0))
		return -1;
	*b1 = sxy / sxx;
	*b0 = mt - *b1 * ms;
	return 0;
}

/*
 * The law X_opt = k G^a over the "ok" groups: the point fit, then one
 * line per bootstrap replicate over the groups' b-th vertices.
 */
/*
 * What a fit record of the optima's law states beside its parameters:
 * the range of each of its nv group variables (gx: m rows of nv), the
 * log-least-squares objective, AIC/BIC with nv + 1 parameters and the
 * fit scores.
 */
static void
law_stats(struct nsl_fitrec *f, const double *gx, const double *gy,
    size_t m, size_t nv)
{
	struct nsl_problem pr;
	size_t i, v;

	f->has_range = 1;
	for (v = 0; v < nv; v++) {
		f->range[v][0] = INFINITY;
		f->range[v][1] = -INFINITY;
		for (i = 0; i < m; i++) {
			f->range[v][0] = fmin(f->range[v][0], gx[nv * i + v]);
			f->range[v][1] = fmax(f->range[v][1], gx[nv * i + v]);
		}
	}
	memset(&pr, 0, sizeof(pr));
	pr.law = f->law;
	pr.n = m;
	pr.x = gx;
	pr.y = gy;
	pr.loss = NSL_LOSS_LOGLS;
	f->objective = nsl_optim_objective(&pr, f->theta, NULL);
	nsl_optim_ic(&pr, f->theta, nv + 1, &f->aic, &f->bic);
	nsl_optim_scores(f->law, f->theta, gx, gy, m, &f->fit);
}

static int
fit_law(struct nsl_optimum_job *j, double *const *vu, struct nsl_err *err)
{
	const char *gf = j->by != NULL ? j->by : j->bin;
	const char *pn[2] = { "k", "a" };
	struct nsl_fitrec *f = &j->law;
	struct nsl_buf text = NSL_BUF_INIT, yname = NSL_BUF_INIT;
	double *s = NULL, *t, *gx = NULL, *gy, b0, b1, start[2] = { 1, 1 };
	size_t i, m = 0, b, mb;
	int ret = -1;

	s = malloc(2 * j->ng * sizeof(double));
	gx = malloc(2 * j->ng * sizeof(double));
	if (s == NULL || gx == NULL)
		goto nomem;
	t = s + j->ng;
	gy = gx + j->ng;
	for (i = 0; i < j->ng; i++)
		if (j->g[i].status == NSL_OPTIMUM_OK) {
			gx[m] = j->g[i].gval;
			gy[m] = j->g[i].xopt;
			s[m] = log(gx[m]);
			t[m] = log(gy[m]);
			m++;
		}
	j->nlaw = m;
	if (line(s, t, m, &b0, &b1) != 0) {
		nsl_buf_addf(&j->warn, "%zu group%s with a minimum inside its "
		    "range: no power law of %s_opt against %s\n", m,
		    m == 1 ? "" : "s", j->x, gf);
		ret = 0;
		goto out;
	}
	/* the law is a formula over the group field, so any fit reader
	 * takes it; a field that is no formula name is said here */
	nsl_buf_addf(&text, "k*%s^a", gf);
	f->law = nsl_law_formula(text.data, pn, start, 2, &gf, 1, err);
	if (f->law == NULL) {
		nsl_err_set(err, NSL_EX_USAGE, "the group field \"%s\" cannot "
		    "be the variable of the power law's formula (rename it, "
		    "e.g. with jq)", gf);
		goto out;
	}
	nsl_buf_addf(&yname, "%s_opt", j->x);
	if (nsl_law_set_y(f->law, yname.data) != 0)
		goto nomem;
	f->theta[0] = exp(b0);
	f->theta[1] = b1;
	f->loss = NSL_LOSS_LOGLS;
	f->level = j->level;
	f->seed = j->seed;
	f->n = m;
	f->k = 2;
	law_stats(f, gx, gy, m, 1);
	if (j->B > 0) {
		if ((f->samples = malloc(j->B * 2 * sizeof(double))) == NULL)
			goto nomem;
		f->B = j->B;
		for (b = 0; b < j->B; b++) {
			for (i = 0, mb = 0; i < j->ng; i++)
				if (j->g[i].status == NSL_OPTIMUM_OK &&
				    !isnan(vu[i][b])) {
					s[mb] = log(j->g[i].gval);
					t[mb++] = vu[i][b];
				}
			if (line(s, t, mb, &b0, &b1) == 0) {
				f->samples[2 * b] = exp(b0);
				f->samples[2 * b + 1] = b1;
			} else
				f->samples[2 * b] = f->samples[2 * b + 1] = NAN;
		}
	}
	j->has_law = 1;
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_buf_release(&text);
	nsl_buf_release(&yname);
	free(s);
	free(gx);
	return ret;
}

/*
 * Least squares plane t = b[0] + b[1] s1 + b[2] s2 over the m triples;
 * 0, or -1 with fewer than 3 or with (s1, s2) on one line.
 */
static int
plane(const double *s1, const double *s2, const double *t, size_t m,
    double b[3])
{
	double m1 = 0, m2 = 0, mt = 0, a11 = 0, a12 = 0, a22 = 0, c1 = 0;
	double c2 = 0, det;
	size_t i;

	if (m < 3)
		return -1;
	for (i = 0; i < m; i++) {
		m1 += s1[i];
		m2 += s2[i];
		mt += t[i];
	}
	m1 /= (double)m;
	m2 /= (double)m;
	mt /= (double)m;
	for (i = 0; i < m; i++) {
		double d1 = s1[i] - m1, d2 = s2[i] - m2, dt = t[i] - mt;

		a11 += d1 * d1;
		a12 += d1 * d2;
		a22 += d2 * d2;
		c1 += d1 * dt;
		c2 += d2 * dt;
	}
	/*
	 * Collinear designs (one of N, D fixed, or D = r N) leave the two
	 * exponents unidentified: a variable that does not vary (the
	 * rounding of its mean leaves a tiny a11 or a22, not 0), or a
	 * correlation of 1 - 1e-9.
	 */
	det = a11 * a22 - a12 * a12;
	if (!(a11 > 1e-18 * (double)m * (1 + m1 * m1)) ||
	    !(a22 > 1e-18 * (double)m * (1 + m2 * m2)) ||
	    !(det > 1e-9 * a11 * a22))
		return -1;
	b[1] = (a22 * c1 - a12 * c2) / det;
	b[2] = (a11 * c2 - a12 * c1) / det;
	b[0] = mt - b[1] * m1 - b[2] * m2;
	return 0;
}

/*
 * --by F1,F2: X_opt = k F1^a F2^b over the "ok" groups, then one plane
 * per bootstrap replicate.
 */
static int
fit_law2(struct nsl_optimum_job *j, double *const *vu, struct nsl_err *err)
{
	const char *pn[3] = { "k", "a", "b" }, *vn[2];
	struct nsl_fitrec *f = &j->law;
	struct nsl_buf text = NSL_BUF_INIT, yname = NSL_BUF_INIT;
	double *s1, *s2, *t, *gx = NULL, *gy, c[3], start[3] = { 1, 1, 1 };
	size_t i, m = 0, b, mb;
	int ret = -1;

	vn[0] = j->by;
	vn[1] = j->by2;
	s1 = malloc(3 * j->ng * sizeof(double));
	gx = malloc(3 * j->ng * sizeof(double));
	if (s1 == NULL || gx == NULL)
		goto nomem;
	s2 = s1 + j->ng;
	t = s2 + j->ng;
	gy = gx + 2 * j->ng;
	for (i = 0; i < j->ng; i++)
		if (j->g[i].status == NSL_OPTIMUM_OK) {
			gx[2 * m] = j->g[i].gval;
			gx[2 * m + 1] = j->g[i].gval2;
			gy[m] = j->g[i].xopt;
			s1[m] = log(j->g[i].gval);
			s2[m] = log(j->g[i].gval2);
			t[m] = log(gy[m]);
			m++;
		}
	j->nlaw = m;
	if (plane(s1, s2, t, m, c) != 0) {
		if (m >= 3)
			nsl_buf_addf(&j->warn, "%zu groups whose (ln %s, ln %s) "
			    "lie on one line: no power law of %s_opt against "
			    "both\n", m, j->by, j->by2, j->x);
		else
			nsl_buf_addf(&j->warn, "%zu group%s with a minimum "
			    "inside its range: no power law of %s_opt against "
			    "%s and %s\n", m, m == 1 ? "" : "s", j->x, j->by,
			    j->by2);
		ret = 0;
		goto out;
	}
	nsl_buf_addf(&text, "k*%s^a*%s^b", j->by, j->by2);
	f->law = nsl_law_formula(text.data, pn, start, 3, vn, 2, err);
	if (f->law == NULL) {
		nsl_err_set(err, NSL_EX_USAGE, "the group fields \"%s\", "
		    "\"%s\" cannot be the variables of the power law's formula "
		    "(rename them, e.g. with jq)", j->by, j->by2);
		goto out;
	}
	nsl_buf_addf(&yname, "%s_opt", j->x);
	if (nsl_law_set_y(f->law, yname.data) != 0)
		goto nomem;
	f->theta[0] = exp(c[0]);
	f->theta[1] = c[1];
	f->theta[2] = c[2];
	f->loss = NSL_LOSS_LOGLS;
	f->level = j->level;
	f->seed = j->seed;
	f->n = m;
	f->k = 3;
	law_stats(f, gx, gy, m, 2);
	if (j->B > 0) {
		if ((f->samples = malloc(j->B * 3 * sizeof(double))) == NULL)
			goto nomem;
		f->B = j->B;
		for (b = 0; b < j->B; b++) {
			for (i = 0, mb = 0; i < j->ng; i++)
				if (j->g[i].status == NSL_OPTIMUM_OK &&
				    !isnan(vu[i][b])) {
					s1[mb] = log(j->g[i].gval);
					s2[mb] = log(j->g[i].gval2);
					t[mb++] = vu[i][b];
				}
			if (plane(s1, s2, t, mb, c) == 0) {
				f->samples[3 * b] = exp(c[0]);
				f->samples[3 * b + 1] = c[1];
				f->samples[3 * b + 2] = c[2];
			} else
				f->samples[3 * b] = f->samples[3 * b + 1] =
				    f->samples[3 * b + 2] = NAN;
		}
	}
	j->has_law = 1;
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_buf_release(&text);
	nsl_buf_release(&yname);
	free(s1);
	free(gx);
	return ret;
}

static int
cmp_gval(const void *a, const void *b)
{
	const struct pts *p = a, *q = b;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->key2 < q->key2 ? -1 : p->key2 > q->key2;
}

/* The group's name in messages: "group C=1e+19" or "the profile". */
static void
group_name(const struct nsl_optimum_job *j, const struct nsl_optrec *o,
    struct nsl_buf *b)
{
	nsl_buf_reset(b);
	if (o->g == NULL)
		nsl_buf_adds(b, "the profile");
	else if (o->has_bin)
		nsl_buf_addf(b, "group %s=%.4g (bin %.4g..%.4g)", o->g, o->gval,
		    o->bin[0], o->bin[1]);
	else if (o->g2 != NULL)
		nsl_buf_addf(b, "group %s=%.17g, %s=%.17g", o->g, o->gval,
		    o->g2, o->gval2);
	else
		nsl_buf_addf(b, "group %s=%.17g", o->g, o->gval);
	(void)j;
}

static void
why(const struct nsl_optimum_job *j, const struct nsl_optrec *o,
    struct nsl_buf *b)
{
	switch (o->status) {
	case NSL_OPTIMUM_EDGE:
		nsl_buf_addf(b, ": the parabola's minimum %s = %.6g is not "
		    "inside the sampled range %.6g..%.6g", j->x, o->xopt,
		    o->range[0], o->range[1]);
		break;
	case NSL_OPTIMUM_CONCAVE:
		nsl_buf_addf(b, ": the parabola in log %s opens downwards "
		    "(no minimum)", j->x);
		break;
	case NSL_OPTIMUM_FEW:
		nsl_buf_addf(b, ": %zu point%s, fewer than %d distinct %s",
		    o->n, o->n == 1 ? "" : "s", NSL_OPTIMUM_MIN_X, j->x);
		break;
	default:
		break;
	}
}

int
nsl_optimum_run(struct nsl_optimum_job *j, const char *in,
    struct nsl_err *err)
{
	const char *gf = j->by != NULL ? j->by : j->bin;
	struct nsl_buf name = NSL_BUF_INIT;
	struct pts *p = NULL;
	double **vu = NULL, *col = NULL;
	long ng;
	size_t i, b, m;
	int ret = -1;

	if ((ng = read_points(j, in, &p, err)) < 0)
		return -1;
	/* groups by increasing value (a bin's number orders as its mean) */
	qsort(p, (size_t)ng, sizeof(*p), cmp_gval);
	if ((j->g = calloc((size_t)ng, sizeof(*j->g))) == NULL ||
	    (vu = calloc((size_t)ng, sizeof(*vu))) == NULL ||
	    (col = malloc((j->B ? j->B : 1) * sizeof(double))) == NULL)
		goto nomem;
	j->ng = (size_t)ng;
	for (i = 0; i < j->ng; i++) {
		struct nsl_optrec *o = &j->g[i];

		nsl_optrec_init(o);
		if ((o->x = strdup(j->x)) == NULL ||
		    (o->y = strdup(j->y)) == NULL ||
		    (gf != NULL && (o->g = strdup(gf)) == NULL) ||
		    (j->by2 != NULL && (o->g2 = strdup(j->by2)) == NULL))
			goto nomem;
		fit_group(j, &p[i], o);
		if (o->status != NSL_OPTIMUM_OK) {
			group_name(j, o, &name);
			why(j, o, &name);
			if (!j->skip) {
				nsl_err_set(err, NSL_EX_DATAERR, "%s (--skip "
				    "leaves such groups out)", name.data);
				nsl_err_at(err, strcmp(in, "-") == 0 ?
				    "<stdin>" : in, 0);
				goto out;
			}
			nsl_buf_addf(&j->warn, "%s: left out\n", name.data);
		}
		/* a profile without a minimum has no vertex to bracket */
		if (j->B == 0 || o->status == NSL_OPTIMUM_FEW ||
		    o->status == NSL_OPTIMUM_CONCAVE)
			continue;
		if ((vu[i] = malloc(j->B * sizeof(double))) == NULL ||
		    boot_group(j, &p[i], i, vu[i]) != 0)
			goto nomem;
		for (b = 0, m = 0; b < j->B; b++)
			if (!isnan(vu[i][b]))
				col[m++] = exp(vu[i][b]);
		o->B = j->B;
		o->valid = m;
		o->level = j->level;
		o->lo = nsl_optim_quantile(col, m, (1 - j->level) / 2);
		o->hi = nsl_optim_quantile(col, m, 1 - (1 - j->level) / 2);
	}
	if (gf != NULL && (j->by2 != NULL ? fit_law2(j, vu, err) :
	    fit_law(j, vu, err)) != 0)
		goto out;
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	for (i = 0; i < (size_t)ng; i++) {
		free(p[i].u);
		free(p[i].y);
		free(p[i].gv);
		if (vu != NULL)
			free(vu[i]);
	}
	free(p);
	free(vu);
	free(col);
	nsl_buf_release(&name);
	return ret;
}

int
nsl_optimum_write(const struct nsl_optimum_job *j, struct nsl_writer *w,
    struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < j->ng && ret == 0; i++) {
		nsl_buf_reset(&b);
		nsl_optrec_write(&j->g[i], &b);
		ret = nsl_writer_write(w, b.data, b.len, err);
	}
	nsl_buf_release(&b);
	return ret;
}
