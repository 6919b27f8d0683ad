/*
 * compare.c - the difference of two fitted laws over a range, its
 * bootstrap band, the crossover and P(f_A < f_B) (see nsl/compare.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/compare.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/laws.h"
#include "nsl/num.h"
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
	while (s->nfix > 0)
		free(s->fix_name[--s->nfix]);
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
	if (s->nfix > 0) {
		struct nsl_buf v = NSL_BUF_INIT;
		size_t i;

		/* the object by hand: names escaped, numbers round-trip */
		nsl_buf_addc(&v, '{');
		for (i = 0; i < s->nfix; i++) {
			if (i > 0)
				nsl_buf_addc(&v, ',');
			nsl_json_string(&v, s->fix_name[i],
			    strlen(s->fix_name[i]));
			nsl_buf_addc(&v, ':');
			nsl_json_number(&v, s->fix_val[i], NSL_NUM_DOUBLE);
		}
		nsl_buf_addc(&v, '}');
		nsl_obj_key(&o, "fixed");
		if (nsl_buf_failed(&v))
			b->failed = 1;
		else
			nsl_obj_raw(&o, v.data, v.len);
		nsl_buf_release(&v);
	}
	if (s->optimal) {
		nsl_obj_key(&o, "compute_optimal");
		nsl_obj_bool(&o, 1);
	}
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
	return nsl_rec_number_or_null(rec, name, 1, v, err);
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
	if ((k = nsl_rec_find(rec, "fixed")) >= 0) {
		json_t *v = nsl_rec_json(rec, (size_t)k, err), *e;
		const char *key;

		if (v == NULL)
			return -1;
		if (!json_is_object(v) ||
		    json_object_size(v) > NSL_LAW_MAX_VARS) {
			json_decref(v);
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"fixed\": expected an object of numbers");
		}
		json_object_foreach(v, key, e) {
			if (!json_is_number(e) ||
			    (s->fix_name[s->nfix] = strdup(key)) == NULL) {
				json_decref(v);
				return nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"fixed\": expected an object of numbers");
			}
			s->fix_val[s->nfix++] = json_number_value(e);
		}
		json_decref(v);
	}
	if ((k = nsl_rec_find(rec, "compute_optimal")) >= 0) {
		if (rec->fields[k].type != NSL_JSON_TRUE &&
		    rec->fields[k].type != NSL_JSON_FALSE)
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"compute_optimal\": expected true or false");
		s->optimal = rec->fields[k].type == NSL_JSON_TRUE;
	}
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
	while (j->nfix > 0)
		free(j->fix_name[--j->nfix]);
	free(j->pts);
	j->pts = NULL;
	j->npts = 0;
}

const char *
nsl_compare_fix(struct nsl_compare_job *j, const char *arg)
{
	const char *p = arg, *end = arg + strlen(arg), *eq;
	size_t k, i;
	double v;

	for (;;) {
		if ((eq = strchr(p, '=')) == NULL || eq == p ||
		    (k = nsl_num_parse(eq + 1, end, &v)) == 0 ||
		    !isfinite(v) || (eq[1 + k] != '\0' && eq[1 + k] != ',')) {
			snprintf(j->msg, sizeof(j->msg), "expected NAME=V, "
			    "got '%s'", arg);
			return j->msg;
		}
		for (i = 0; i < j->nfix; i++)
			if (strlen(j->fix_name[i]) == (size_t)(eq - p) &&
			    strncmp(j->fix_name[i], p, (size_t)(eq - p)) == 0)
				break;
		if (i == j->nfix) {
			if (j->nfix == NSL_LAW_MAX_VARS) {
				snprintf(j->msg, sizeof(j->msg), "more than %d "
				    "variables", NSL_LAW_MAX_VARS);
				return j->msg;
			}
			if ((j->fix_name[i] = strndup(p, (size_t)(eq - p))) ==
			    NULL)
				return "out of memory";
			j->nfix++;
		}
		j->fix_val[i] = v;
		p = eq + 1 + k;
		if (*p == '\0')
			return NULL;
		p++;
	}
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

/*
 * Fit w's law (0: A, 1: B) at path value t: at the fixed variables with
 * the free one at t, or at its compute-optimal split of C = t.
 */
static double
path_eval(const struct nsl_compare_job *j, int w, const double *theta,
    double t)
{
	const struct nsl_law *l = w ? j->fb.law : j->fa.law;
	double x[NSL_LAW_MAX_VARS], N, D, L;
	struct nsl_err e;

	memcpy(x, w ? j->xb : j->xa, sizeof(x));
	if (!j->optimal) {
		x[j->free_var[w]] = t;
		return nsl_law_eval(l, theta, x, NULL);
	}
	if (nsl_law_optimal_at(l, theta, x, t, NSL_COMPARE_KFLOPS, 0, &N, &D,
	    &L, &e) != 0)
		return NAN;
	return L;
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
	double ya = path_eval(j, 0, ta, x);
	double yb = path_eval(j, 1, tb, x);

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

	size_t i;

	for (i = 0; i < j->nfix; i++) {
		if ((s->fix_name[i] = strdup(j->fix_name[i])) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		s->fix_val[i] = j->fix_val[i];
		s->nfix++;
	}
	s->optimal = j->optimal;
	if ((s->x = strdup(j->optimal ? "C" :
	    j->fa.law->vars[j->free_var[0]])) == NULL ||
	    (s->y = strdup(j->fa.law->yname)) == NULL ||
	    (s->a = strdup(j->a)) == NULL || (s->b = strdup(j->b)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

/* The index of --fix's name in the job, or -1. */
static long
fixed(const struct nsl_compare_job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->nfix; i++)
		if (strcmp(j->fix_name[i], name) == 0)
			return (long)i;
	return -1;
}

/*
 * Fit w's path: its variables' values (NAN: the path's), and its free
 * variable.  A law of one variable is its own path.
 */
static int
path_of(struct nsl_compare_job *j, int w, struct nsl_err *err)
{
	const struct nsl_law *l = w ? j->fb.law : j->fa.law;
	double *x = w ? j->xb : j->xa;
	long iN = nsl_law_var_role(l, "N"), iD = nsl_law_var_role(l, "D"), f;
	size_t v, nfree = 0;

	if (j->optimal && (!nsl_law_has_optimal(l) || iN < 0 || iD < 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "law %s has no N and "
		    "D: --compute-optimal needs both", l->name);
	for (v = 0; v < l->nvars; v++) {
		x[v] = NAN;
		if ((f = fixed(j, l->vars[v])) >= 0) {
			if (j->optimal && ((long)v == iN || (long)v == iD))
				return nsl_err_set(err, NSL_EX_DATAERR, "--fix "
				    "%s: --compute-optimal chooses N and D",
				    l->vars[v]);
			x[v] = j->fix_val[f];
			continue;
		}
		if (j->optimal && ((long)v == iN || (long)v == iD))
			continue;
		if (j->optimal)
			return nsl_err_set(err, NSL_EX_DATAERR, "law %s's "
			    "variable \"%s\" needs a value (--fix %s=V)",
			    l->name, l->vars[v], l->vars[v]);
		j->free_var[w] = v;
		nfree++;
	}
	if (j->optimal || nfree == 1)
		return 0;
	if (nfree == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "--fix gives every "
		    "variable of law %s: leave one free", l->name);
	if (j->nfix == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "law %s has %zu "
		    "variables: compare along a path, --fix all but one "
		    "(--fix D=1e10) or --compute-optimal", l->name, l->nvars);
	return nsl_err_set(err, NSL_EX_DATAERR, "--fix leaves %zu variables "
	    "of law %s free: fix all but one", nfree, l->name);
}

/*
 * The fits compare: the same path variable, the same y; each --fix
 * names a variable of one of them.
 */
static int
same_variables(struct nsl_compare_job *j, struct nsl_err *err)
{
	const struct nsl_law *la = j->fa.law, *lb = j->fb.law;
	size_t i, v;
	int found;

	for (i = 0; i < j->nfix; i++) {
		for (v = 0, found = 0; v < la->nvars; v++)
			found |= strcmp(la->vars[v], j->fix_name[i]) == 0;
		for (v = 0; v < lb->nvars; v++)
			found |= strcmp(lb->vars[v], j->fix_name[i]) == 0;
		if (!found)
			return nsl_err_set(err, NSL_EX_DATAERR, "--fix %s: no "
			    "variable of either fit", j->fix_name[i]);
	}
	if (path_of(j, 0, err) != 0 || path_of(j, 1, err) != 0)
		return -1;
	if (!j->optimal && strcmp(la->vars[j->free_var[0]],
	    lb->vars[j->free_var[1]]) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "fits of different "
		    "variables: %s is over \"%s\", %s over \"%s\"", j->a,
		    la->vars[j->free_var[0]], j->b, lb->vars[j->free_var[1]]);
	if (strcmp(la->yname, lb->yname) != 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "fits of different "
		    "measures: %s fits \"%s\", %s fits \"%s\"", j->a,
		    la->yname, j->b, lb->yname);
	return 0;
}

/*
 * The path's range over which fit f has data: its free variable's, or
 * along compute, [k N_lo D_lo, k N_hi D_hi].  NAN without a "range".
 */
static void
fit_range(const struct nsl_compare_job *j, int w, double r[2])
{
	const struct nsl_fitrec *f = w ? &j->fb : &j->fa;
	long iN, iD;

	r[0] = r[1] = NAN;
	if (!f->has_range)
		return;
	if (!j->optimal) {
		r[0] = f->range[j->free_var[w]][0];
		r[1] = f->range[j->free_var[w]][1];
		return;
	}
	iN = nsl_law_var_role(f->law, "N");
	iD = nsl_law_var_role(f->law, "D");
	r[0] = NSL_COMPARE_KFLOPS * f->range[iN][0] * f->range[iD][0];
	r[1] = NSL_COMPARE_KFLOPS * f->range[iN][1] * f->range[iD][1];
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
	double *col = NULL, *pd = NULL, roots[64], r0, best, d, ra[2], rb[2];
	size_t b, k, m, nr, i, B;
	int logx, ret = -1;

	if (j->fa.B == 0 || j->fb.B == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "the fit %s has no "
		    "bootstrap samples", j->fa.B == 0 ? j->a : j->b);
	if (same_variables(j, err) != 0 || copy_names(j, err) != 0)
		return -1;
	logx = j->optimal || nsl_law_var_positive(j->fa.law, j->free_var[0]) ||
	    nsl_law_var_positive(j->fb.law, j->free_var[1]);
	fit_range(j, 0, ra);
	fit_range(j, 1, rb);
	/* fmax and fmin would drop a NAN: a fit without a range is none */
	s->range[0] = !isnan(j->from) ? j->from : isnan(ra[0]) ||
	    isnan(rb[0]) ? NAN : fmax(ra[0], rb[0]);
	s->range[1] = !isnan(j->to) ? j->to : isnan(ra[1]) ||
	    isnan(rb[1]) ? NAN : fmin(ra[1], rb[1]);
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
