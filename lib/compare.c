/*
 * compare.c - the difference of two fitted laws over a range, its
 * bootstrap band, the crossover and P(f_A < f_B) (see nsl/compare.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/compare.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/optim.h"

/* --- records --------------------------------------------------------- */

void
nsl_compare_sum_init(struct nsl_compare_sum *s)
{
	memset(s, 0, sizeof(*s));
	s->cross = s->cross_lo = s->cross_hi = s->p_cross = NAN;
	s->at = s->d_at = s->d_lo = s->d_hi = s->p_lower = NAN;
	s->level = 0.95;
}

void
nsl_compare_sum_release(struct nsl_compare_sum *s)
{
	free(s->x);
	free(s->y);
	free(s->a);
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static void
num_or_null(struct nsl_obj *o, const char *key, double v)
{
	nsl_obj_key(o, key);
	nsl_obj_number_or_null(o, v);
}

void
nsl_compare_sum_write(const struct nsl_compare_sum *s, struct nsl_buf *b)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	nsl_obj_key(&o, "x");
	nsl_obj_string(&o, s->x);
	nsl_obj_key(&o, "y");
	nsl_obj_string(&o, s->y);
	nsl_obj_key(&o, "a");
	nsl_obj_string(&o, s->a);
	nsl_obj_key(&o, "b");
	nsl_obj_string(&o, s->b);
	nsl_obj_key(&o, "range");
	nsl_obj_vector(&o, s->range, 2);
	nsl_obj_key(&o, "B");
	nsl_obj_integer(&o, (long long)s->B);
	num_or_null(&o, "level", s->level);
	nsl_obj_key(&o, "crossings");
	nsl_obj_integer(&o, (long long)s->crossings);
	num_or_null(&o, "crossover", s->cross);
	num_or_null(&o, "crossover_lo", s->cross_lo);
	num_or_null(&o, "crossover_hi", s->cross_hi);
	num_or_null(&o, "p_crossover", s->p_cross);
	if (s->has_at) {
		num_or_null(&o, "at", s->at);
		num_or_null(&o, "delta_at", s->d_at);
		num_or_null(&o, "delta_at_lo", s->d_lo);
		num_or_null(&o, "delta_at_hi", s->d_hi);
		num_or_null(&o, "p_a_lower", s->p_lower);
	}
	nsl_obj_end(&o);
}

/* A required member: a number, or null for NaN. */
static int
get_num(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, name, err);

	*v = NAN;
	if (k < 0)
		return -1;
	if (rec->fields[k].type == NSL_JSON_NULL)
		return 0;
	return nsl_rec_number(rec, (size_t)k, v, err);
}

int
nsl_compare_sum_parse(struct nsl_compare_sum *s, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	double *r = NULL;
	size_t n = 0, cap = 0;
	long k;

	if (nsl_rec_strdup(rec, "x", &s->x, err) != 0 ||
	    nsl_rec_strdup(rec, "y", &s->y, err) != 0 ||
	    nsl_rec_strdup(rec, "a", &s->a, err) != 0 ||
	    nsl_rec_strdup(rec, "b", &s->b, err) != 0)
		return -1;
	if ((k = nsl_rec_require(rec, "range", err)) < 0 ||
	    nsl_rec_vector(rec, (size_t)k, &r, &n, &cap, err) != 0) {
		free(r);
		return -1;
	}
	if (n != 2) {
		free(r);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"range\": "
		    "expected 2 numbers");
	}
	s->range[0] = r[0];
	s->range[1] = r[1];
	free(r);
	if (nsl_rec_count(rec, "B", &s->B, err) != 0 ||
	    get_num(rec, "level", &s->level, err) != 0 ||
	    nsl_rec_count(rec, "crossings", &s->crossings, err) != 0 ||
	    get_num(rec, "crossover", &s->cross, err) != 0 ||
	    get_num(rec, "crossover_lo", &s->cross_lo, err) != 0 ||
	    get_num(rec, "crossover_hi", &s->cross_hi, err) != 0 ||
	    get_num(rec, "p_crossover", &s->p_cross, err) != 0)
		return -1;
	if (nsl_rec_find(rec, "at") >= 0) {
		s->has_at = 1;
		if (get_num(rec, "at", &s->at, err) != 0 ||
		    get_num(rec, "delta_at", &s->d_at, err) != 0 ||
		    get_num(rec, "delta_at_lo", &s->d_lo, err) != 0 ||
		    get_num(rec, "delta_at_hi", &s->d_hi, err) != 0 ||
		    get_num(rec, "p_a_lower", &s->p_lower, err) != 0)
			return -1;
	}
	return 0;
}

void
nsl_compare_point_write(const struct nsl_compare_point *p, struct nsl_buf *b)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	num_or_null(&o, p->x, p->xv);
	num_or_null(&o, "a", p->fa);
	num_or_null(&o, "b", p->fb);
	num_or_null(&o, "delta", p->d);
	num_or_null(&o, "delta_lo", p->d_lo);
	num_or_null(&o, "delta_hi", p->d_hi);
	num_or_null(&o, "p_a_lower", p->p_lower);
	nsl_obj_end(&o);
}

int
nsl_compare_point_parse(struct nsl_compare_point *p, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	if (get_num(rec, p->x, &p->xv, err) != 0 ||
	    get_num(rec, "a", &p->fa, err) != 0 ||
	    get_num(rec, "b", &p->fb, err) != 0 ||
	    get_num(rec, "delta", &p->d, err) != 0 ||
	    get_num(rec, "delta_lo", &p->d_lo, err) != 0 ||
	    get_num(rec, "delta_hi", &p->d_hi, err) != 0 ||
	    get_num(rec, "p_a_lower", &p->p_lower, err) != 0)
		return -1;
	return 0;
}

/* --- the job --------------------------------------------------------- */

void
nsl_compare_init(struct nsl_compare_job *j)
{
	memset(j, 0, sizeof(*j));
	j->from = j->to = j->at = j->level = NAN;
	nsl_fitrec_init(&j->fa);
	nsl_fitrec_init(&j->fb);
	nsl_compare_sum_init(&j->sum);
}

void
nsl_compare_release(struct nsl_compare_job *j)
{
	nsl_fitrec_release(&j->fa);
	nsl_fitrec_release(&j->fb);
	nsl_compare_sum_release(&j->sum);
	free(j->pts);
	j->pts = NULL;
	j->npts = 0;
}

const char *
nsl_compare_check(const struct nsl_compare_job *j)
{
	if (j->a == NULL || j->b == NULL)
		return "--a FILE and --b FILE are required";
	if (!isnan(j->from) && !isnan(j->to) && !(j->from < j->to))
		return "--from must be below --to";
	if (j->grid == 1)
		return "--grid needs at least 2 points";
	return NULL;
}

/* The one fit record of path into f. */
static int
read_one(const char *path, unsigned flags, struct nsl_fitrec *f,
    struct nsl_err *err)
{
	struct nsl_reader *r = nsl_reader_open(path, err);
	struct nsl_rec rec;
	int rc, n = 0, ret = -1;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		if (n++ > 0) {
			nsl_err_set(err, NSL_EX_DATAERR, "more than one fit "
			    "record (choose one, e.g. with jq)");
			nsl_err_at(err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			goto out;
		}
		if (nsl_fitrec_parse(f, &rec, err) != 0) {
			nsl_err_at(err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	if (n == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no fit record");
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto out;
	}
	if (f->B == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "the fit has no bootstrap "
		    "samples (nsl-fit --bootstrap B)");
		nsl_err_at(err, nsl_reader_name(r), 1);
		goto out;
	}
	ret = 0;
out:
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return ret;
}

/* f_A - f_B at x for pair b (b == B: the point fits); NAN if either is. */
static double
delta(const struct nsl_compare_job *j, size_t b, double x, double *fa,
    double *fb)
{
	const double *ta = b == j->sum.B ? j->fa.theta :
	    j->fa.samples + b * j->fa.law->np;
	const double *tb = b == j->sum.B ? j->fb.theta :
	    j->fb.samples + b * j->fb.law->np;
	double ya = nsl_law_eval(j->fa.law, ta, &x, NULL);
	double yb = nsl_law_eval(j->fb.law, tb, &x, NULL);

	if (fa != NULL) {
		*fa = ya;
		*fb = yb;
	}
	return isfinite(ya) && isfinite(yb) ? ya - yb : NAN;
}

/* Point k of n over the range: even steps in log x when logx. */
static double
at(const double r[2], size_t k, size_t n, int logx)
{
	double t = (double)k / (double)(n - 1);

	if (k == 0)
		return r[0];
	if (k == n - 1)
		return r[1];
	return logx ? exp(log(r[0]) + t * (log(r[1]) - log(r[0]))) :
	    r[0] + t * (r[1] - r[0]);
}

/*
 * The crossings of pair b in the range: roots[0..) (at most max), their
 * count returned.  A zero of D at a scan point counts once.
 */
static size_t
crossings(const struct nsl_compare_job *j, size_t b, int logx, double *roots,
    size_t max)
{
	const double *r = j->sum.range;
	double x0 = at(r, 0, NSL_COMPARE_SCAN, logx), d0, x1, d1, lo, hi, m,
	    dm;
	size_t k, it, n = 0;

	d0 = delta(j, b, x0, NULL, NULL);
	for (k = 1; k < NSL_COMPARE_SCAN; k++, x0 = x1, d0 = d1) {
		x1 = at(r, k, NSL_COMPARE_SCAN, logx);
		d1 = delta(j, b, x1, NULL, NULL);
		if (isnan(d0) || isnan(d1))
			continue;
		if (d0 == 0 && k == 1) {
			if (n < max)
				roots[n] = x0;
			n++;
		}
		if (d1 == 0 || (d0 < 0) == (d1 < 0) || d0 == 0) {
			if (d1 == 0 && d0 != 0) {
				if (n < max)
					roots[n] = x1;
				n++;
			}
			continue;
		}
		lo = x0;
		hi = x1;
		for (it = 0; it < 100; it++) {
			m = logx ? sqrt(lo) * sqrt(hi) : lo + (hi - lo) / 2;
			if (m <= lo || m >= hi)
				break;
			dm = delta(j, b, m, NULL, NULL);
			if (isnan(dm))
				break;
			if ((dm < 0) == (d0 < 0))
				lo = m;
			else
				hi = m;
		}
		if (n < max)
			roots[n] = logx ? sqrt(lo) * sqrt(hi) : lo + (hi - lo) / 2;
		n++;
	}
	return n;
}

/* Distance of two crossings: by ratio on a log axis. */
static double
dist(double a, double b, int logx)
{
	return logx ? fabs(log(a) - log(b)) : fabs(a - b);
}

static int
copy_names(struct nsl_compare_job *j, struct nsl_err *err)
{
	struct nsl_compare_sum *s = &j->sum;

	if ((s->x = strdup(j->fa.law->vars[0])) == NULL ||
	    (s->y = strdup(j->fa.law->yname)) == NULL ||
	    (s->a = strdup(j->a)) == NULL || (s->b = strdup(j->b)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

/* The fits compare: one variable, the same name, the same y. */
static int
same_variables(const struct nsl_compare_job *j, struct nsl_err *err)
{
	const struct nsl_law *la = j->fa.law, *lb = j->fb.law;

	if (la->nvars != 1 || lb->nvars != 1)
		return nsl_err_set(err, NSL_EX_DATAERR, "law %s has %zu "
		    "variables: nsl-compare compares laws of one",
		    la->nvars != 1 ? la->name : lb->name,
		    la->nvars != 1 ? la->nvars : lb->nvars);
	if (strcmp(la->vars[0], lb->vars[0]) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "fits of different "
		    "variables: %s is over \"%s\", %s over \"%s\"", j->a,
		    la->vars[0], j->b, lb->vars[0]);
	if (strcmp(la->yname, lb->yname) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "fits of different "
		    "measures: %s fits \"%s\", %s fits \"%s\"", j->a,
		    la->yname, j->b, lb->yname);
	return 0;
}

int
nsl_compare_run(struct nsl_compare_job *j, struct nsl_err *err)
{
	if (read_one(j->a, j->rec_flags, &j->fa, err) != 0 ||
	    read_one(j->b, j->rec_flags, &j->fb, err) != 0)
		return -1;
	return nsl_compare_fits(j, err);
}

int
nsl_compare_fits(struct nsl_compare_job *j, struct nsl_err *err)
{
	struct nsl_compare_sum *s = &j->sum;
	double *col = NULL, *pd = NULL, roots[64], r0, best, d;
	size_t b, k, m, nr, i, B;
	int logx, ret = -1;

	if (j->fa.B == 0 || j->fb.B == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "the fit %s has no "
		    "bootstrap samples", j->fa.B == 0 ? j->a : j->b);
	if (same_variables(j, err) != 0 || copy_names(j, err) != 0)
		return -1;
	logx = nsl_law_var_positive(j->fa.law, 0) ||
	    nsl_law_var_positive(j->fb.law, 0);
	s->range[0] = j->from;
	s->range[1] = j->to;
	if (isnan(s->range[0]))
		s->range[0] = j->fa.has_range && j->fb.has_range ?
		    fmax(j->fa.range[0][0], j->fb.range[0][0]) : NAN;
	if (isnan(s->range[1]))
		s->range[1] = j->fa.has_range && j->fb.has_range ?
		    fmin(j->fa.range[0][1], j->fb.range[0][1]) : NAN;
	if (!(s->range[0] < s->range[1]) || (logx && !(s->range[0] > 0)))
		return nsl_err_set(err, NSL_EX_DATAERR, "no range to compare "
		    "over: %s the fits' data do not overlap (--from, --to)",
		    isnan(s->range[0]) || isnan(s->range[1]) ?
		    "a fit records no \"range\", or" : "");
	B = s->B = j->fa.B < j->fb.B ? j->fa.B : j->fb.B;
	s->level = isnan(j->level) ? j->fa.level : j->level;
	if ((col = malloc(B * sizeof(double))) == NULL ||
	    (pd = malloc(B * sizeof(double))) == NULL)
		goto nomem;
	/* the crossover: the point fits' first, each pair's nearest it */
	nr = crossings(j, B, logx, roots, 64);
	s->crossings = nr;
	r0 = nr > 0 ? roots[0] : NAN;
	for (b = 0, m = 0, k = 0; b < B; b++) {
		size_t n = crossings(j, b, logx, roots, 64);

		if (n == 0)
			continue;
		k++;
		if (isnan(r0))
			continue;
		for (i = 1, best = roots[0]; i < n && i < 64; i++)
			if (dist(roots[i], r0, logx) < dist(best, r0, logx))
				best = roots[i];
		col[m++] = best;
	}
	s->p_cross = B > 0 ? (double)k / (double)B : NAN;
	s->cross = r0;
	s->cross_lo = nsl_optim_quantile(col, m, (1 - s->level) / 2);
	s->cross_hi = nsl_optim_quantile(col, m, 1 - (1 - s->level) / 2);
	if (j->has_at) {
		s->has_at = 1;
		s->at = j->at;
		s->d_at = delta(j, B, j->at, NULL, NULL);
		for (b = 0, m = 0, k = 0; b < B; b++)
			if (!isnan(d = delta(j, b, j->at, NULL, NULL))) {
				col[m++] = d;
				k += d < 0;
			}
		s->p_lower = m > 0 ? (double)k / (double)m : NAN;
		s->d_lo = nsl_optim_quantile(col, m, (1 - s->level) / 2);
		s->d_hi = nsl_optim_quantile(col, m, 1 - (1 - s->level) / 2);
	}
	if (j->grid > 0) {
		if ((j->pts = calloc(j->grid, sizeof(*j->pts))) == NULL)
			goto nomem;
		for (i = 0; i < j->grid; i++) {
			struct nsl_compare_point *p = &j->pts[i];

			p->x = s->x;
			p->xv = at(s->range, i, j->grid, logx);
			p->d = delta(j, B, p->xv, &p->fa, &p->fb);
			for (b = 0, m = 0, k = 0; b < B; b++)
				if (!isnan(d = delta(j, b, p->xv, NULL, NULL))) {
					col[m++] = d;
					k += d < 0;
				}
			p->p_lower = m > 0 ? (double)k / (double)m : NAN;
			p->d_lo = nsl_optim_quantile(col, m,
			    (1 - s->level) / 2);
			p->d_hi = nsl_optim_quantile(col, m,
			    1 - (1 - s->level) / 2);
		}
		j->npts = j->grid;
	}
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	free(col);
	free(pd);
	return ret;
}

int
nsl_compare_write(const struct nsl_compare_job *j, struct nsl_writer *w,
    struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;
	int ret;

	if (j->grid == 0) {
		nsl_compare_sum_write(&j->sum, &b);
		ret = nsl_writer_write(w, b.data, b.len, err);
		nsl_buf_release(&b);
		return ret;
	}
	for (i = 0, ret = 0; i < j->npts && ret == 0; i++) {
		nsl_buf_reset(&b);
		nsl_compare_point_write(&j->pts[i], &b);
		ret = nsl_writer_write(w, b.data, b.len, err);
	}
	nsl_buf_release(&b);
	return ret;
}
