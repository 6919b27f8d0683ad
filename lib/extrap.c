/*
 * extrap.c - answers to query records from fit records: predictions,
 * inversions, compute-optimal allocations, scores (see nsl/extrap.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/extrap.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"

static const char *const opt_names[4] = { "N_opt", "D_opt", "L_opt",
	"epochs_opt" };
static const char *const split_names[4] = { "E_opt", "M_opt", "L_opt",
	"D_crit" };

void
nsl_extrap_init(struct nsl_extrap_job *j)
{
	memset(j, 0, sizeof(*j));
	j->level = NAN;
	j->target = NAN;
	j->pred = "pred";
	j->cfield = "C";
	j->bits_field = "bits";
	j->kflops = NSL_EXTRAP_KFLOPS;
}

void
nsl_extrap_release(struct nsl_extrap_job *j)
{
	while (j->nf > 0)
		nsl_fitrec_release(&j->f[--j->nf]);
	free(j->f);
	j->f = NULL;
}

const char *
nsl_extrap_check(const struct nsl_extrap_job *j)
{
	if (j->fit == NULL)
		return "--fit FILE is required";
	if ((j->solve != NULL) != j->has_target)
		return "--solve and --target go together";
	if (j->solve != NULL && j->optimal)
		return "--solve and --compute-optimal exclude each other";
	if (j->split && (j->solve != NULL || j->optimal))
		return "--best-split excludes --solve and --compute-optimal";
	if (*j->bits_field == '\0')
		return "--bits-field: empty name";
	if (*j->pred == '\0')
		return "--pred-field: empty name";
	if (j->score && strcmp(j->pred, "rel_error") == 0)
		return "--pred-field rel_error: --score writes that field";
	return NULL;
}

static int
read_fits(struct nsl_extrap_job *j, struct nsl_err *err)
{
	return nsl_fitrec_read_all(j->fit, j->rec_flags, &j->f, &j->nf, NULL,
	    NULL, err);
}

/*
 * The fit for a query: the only one, or the one whose "by" value equals
 * the query's value of that field (nsl/labels.h: 2 matches 2.0).
 */
static const struct nsl_fitrec *
pick(const struct nsl_extrap_job *j, const struct nsl_rec *q,
    struct nsl_buf *key, struct nsl_err *err)
{
	size_t i;
	long k;

	if (j->nf == 1)
		return &j->f[0];
	for (i = 0; i < j->nf; i++) {
		const struct nsl_fitrec *f = &j->f[i];

		if (f->by_field == NULL ||
		    (k = nsl_rec_find(q, f->by_field)) < 0)
			continue;
		if (nsl_labels_key_at(q, (size_t)k, NSL_LABELS_LITERALS, key,
		    err) != 0)
			return NULL;
		if (strcmp(key->data, f->by_value) == 0)
			return f;
	}
	nsl_err_set(err, NSL_EX_DATAERR, "no fit matches this record's group");
	return NULL;
}

static int
field_number(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, name, err);

	if (k < 0)
		return -1;
	return nsl_rec_number(rec, (size_t)k, v, err);
}

/*
 * The D of least y along variable kd from x (the other variables as
 * given), fit parameters theta: golden-section search in log D over
 * [1, e^100], to about 1e-6 relative (y is flat at its minimum: values
 * of y locate it to the square root of their precision).  NaN when the
 * least is at an end (y falls or rises all the way: no critical D).
 * For fp-quant, y in D is d D^-beta + c D^beta plus constants, convex in
 * log D: one minimum.
 */
static double
least_d(const struct nsl_law *law, const double *theta, const double *x0,
    long kd)
{
	const double g = (sqrt(5.0) - 1) / 2;
	double x[NSL_LAW_MAX_VARS], a = 0, b = 100, c, d, fc, fd;
	int i;

	memcpy(x, x0, law->nvars * sizeof(double));
	c = b - g * (b - a);
	d = a + g * (b - a);
	x[kd] = exp(c);
	fc = nsl_law_eval(law, theta, x, NULL);
	x[kd] = exp(d);
	fd = nsl_law_eval(law, theta, x, NULL);
	for (i = 0; i < 200 && b - a > 1e-12 * (1 + fabs(a)); i++) {
		if (fc <= fd) {
			b = d;
			d = c;
			fd = fc;
			c = b - g * (b - a);
			x[kd] = exp(c);
			fc = nsl_law_eval(law, theta, x, NULL);
		} else {
			a = c;
			c = d;
			fc = fd;
			d = a + g * (b - a);
			x[kd] = exp(d);
			fd = nsl_law_eval(law, theta, x, NULL);
		}
	}
	c = (a + b) / 2;
	if (!isfinite(fc) || !isfinite(fd) || c < 1e-6 || c > 100 - 1e-6)
		return NAN;
	return exp(c);
}

/*
 * The best split of the query's bits P between exponent and mantissa
 * (E = 0 .. P-1, M = P-1-E) by the fit's predicted y; ties keep the
 * fewer exponent bits.  Then D_crit at that split when the law has D.
 */
static int
best_split(struct nsl_extrap_job *j, const struct nsl_fitrec *f,
    const struct nsl_rec *rec, double lv, struct nsl_extrap_answer *a,
    struct nsl_err *err)
{
	const struct nsl_law *law = f->law;
	long ke = nsl_law_var_role(law, "E"), km = nsl_law_var_role(law, "M");
	long kd = nsl_law_var_role(law, "D");
	double x[NSL_LAW_MAX_VARS], P, y, best = INFINITY;
	int e, beste = -1;
	size_t i;

	a->kind = 3;
	a->nopt = 3;
	if (ke < 0 || km < 0)
		return nsl_err_set(err, NSL_EX_USAGE, "--best-split: the "
		    "fit's law (%s) has no variables E and M", law->name);
	if (field_number(rec, j->bits_field, &P, err) != 0)
		return -1;
	if (!(P >= 1 && P <= 64) || P != floor(P))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %.17g "
		    "is not a bit width 1..64", j->bits_field, P);
	for (i = 0; i < law->nvars; i++) {
		x[i] = 0;
		if ((long)i != ke && (long)i != km &&
		    field_number(rec, law->vars[i], &x[i], err) != 0)
			return -1;
	}
	for (e = 0; e < (int)P; e++) {
		x[ke] = e;
		x[km] = P - 1 - e;
		y = nsl_law_eval(law, f->theta, x, NULL);
		if (y < best) {
			best = y;
			beste = e;
		}
	}
	if (beste < 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "--best-split: no "
		    "split of %g bits has a finite prediction", P);
	x[ke] = beste;
	x[km] = P - 1 - beste;
	for (i = 0; i < 2; i++) {
		a->v[i][0] = x[i == 0 ? ke : km];
		a->v[i][1] = a->v[i][2] = NAN;
	}
	nsl_fitrec_predict(f, x, lv, &a->v[2][0], &a->v[2][1], &a->v[2][2]);
	if (kd >= 0) {
		a->nopt = 4;
		a->v[3][0] = least_d(law, f->theta, x, kd);
		a->v[3][1] = a->v[3][2] = NAN;
	}
	return 0;
}

/* The answer to query rec by fit f; curve is the queries' curve so far. */
static int
answer(struct nsl_extrap_job *j, const struct nsl_fitrec *f,
    const struct nsl_rec *rec, struct nsl_law_curve *curve,
    struct nsl_extrap_answer *a, struct nsl_err *err)
{
	const struct nsl_law *law = f->law;
	double x[NSL_LAW_MAX_VARS], lv = isnan(j->level) ? f->level : j->level;
	double y;
	long sk = -1;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->has_interval = f->B > 0;
	if (j->solve != NULL) {
		for (i = 0; i < law->nvars; i++)
			if (strcmp(law->vars[i], j->solve) == 0)
				sk = (long)i;
		if (sk < 0)
			return nsl_err_set(err, NSL_EX_USAGE, "--solve: \"%s\" "
			    "is not a variable of the fit (law %s)", j->solve,
			    law->name);
	}
	if (j->split)
		return best_split(j, f, rec, lv, a, err);
	if (j->optimal) {
		long kn = nsl_law_var_role(law, "N"), kd = nsl_law_var_role(law,
		    "D"), ku = nsl_law_var_role(law, "U");
		double C;

		a->kind = 2;
		a->nopt = 3;
		if (field_number(rec, j->cfield, &C, err) != 0)
			return -1;
		/* the law's other variables (U, ...) come from the query */
		for (i = 0; i < law->nvars; i++) {
			x[i] = NAN;
			if ((long)i != kn && (long)i != kd && kn >= 0 &&
			    kd >= 0 && field_number(rec, law->vars[i], &x[i],
			    err) != 0)
				return -1;
		}
		if (nsl_fitrec_optimal_at(f, x, C, j->kflops, lv, a->v,
		    err) != 0)
			return -1;
		/* with a unique-token budget: the epochs, D_opt / U */
		if (ku >= 0 && ku != kn && ku != kd) {
			a->nopt = 4;
			for (i = 0; i < 3; i++)
				a->v[3][i] = a->v[1][i] / x[ku];
		}
		return 0;
	}
	for (i = 0; i < law->nvars; i++) {
		if ((long)i == sk) {
			x[i] = 1;
			continue;
		}
		if (field_number(rec, law->vars[i], &x[i], err) != 0)
			return -1;
	}
	/* a curve's law: the queries are one curve, in order */
	if (nsl_law_prepare_next(law, curve, x, err) != 0)
		return -1;
	if (j->solve != NULL) {
		a->kind = 1;
		a->name = j->solve;
		return nsl_fitrec_solve(f, x, (size_t)sk, j->target, lv,
		    a->v[0], err);
	}
	a->name = j->pred;
	nsl_fitrec_predict(f, x, lv, &a->v[0][0], &a->v[0][1], &a->v[0][2]);
	if (j->score) {
		if (field_number(rec, law->yname, &y, err) != 0)
			return -1;
		a->has_rel = 1;
		a->rel = (a->v[0][0] - y) / y;
		j->sum_are += fabs(a->rel);
		if (fabs(a->rel) > j->max_rel)
			j->max_rel = fabs(a->rel);
		j->sum_sle += (log(a->v[0][0]) - log(y)) *
		    (log(a->v[0][0]) - log(y));
		j->nscore++;
	}
	return 0;
}

int
nsl_extrap_run(struct nsl_extrap_job *j, const char *in, const char *output,
    struct nsl_err *err)
{
	struct nsl_buf out = NSL_BUF_INIT, key = NSL_BUF_INIT;
	struct nsl_reader *r = NULL;
	struct nsl_writer *w = NULL;
	struct nsl_law_curve curve;
	struct nsl_rec rec;
	int rc, ret = -1;

	nsl_err_clear(err);
	nsl_rec_init(&rec, j->rec_flags);
	nsl_law_curve_init(&curve);
	if (read_fits(j, err) != 0 || (r = nsl_reader_open(in, err)) == NULL ||
	    (w = nsl_writer_open(output, err)) == NULL)
		goto out;
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		const struct nsl_fitrec *f = pick(j, &rec, &key, err);
		struct nsl_extrap_answer a;

		if (f == NULL || answer(j, f, &rec, &curve, &a, err) != 0) {
			if (err->code != NSL_EX_USAGE)
				nsl_err_at(err, nsl_reader_name(r),
				    nsl_reader_lineno(r));
			goto out;
		}
		nsl_buf_reset(&out);
		nsl_extrap_write(&rec, &a, &out);
		if (nsl_buf_failed(&out)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_writer_write(w, out.data, out.len, err) != 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	rc = nsl_writer_commit(w, err);
	w = NULL;		/* committed or not, it is gone */
	ret = rc != 0 ? -1 : 0;
out:
	if (w != NULL)
		nsl_writer_abort(w);
	if (r != NULL)
		nsl_reader_close(r);
	nsl_rec_release(&rec);
	nsl_buf_release(&out);
	nsl_buf_release(&key);
	return ret;
}

void
nsl_extrap_summary(const struct nsl_extrap_job *j, struct nsl_buf *b)
{
	if (j->nscore == 0)
		return;
	nsl_buf_addf(b, "score: n=%zu are=%.6g rmsle=%.6g max_rel_error=%.6g",
	    j->nscore, j->sum_are / (double)j->nscore,
	    sqrt(j->sum_sle / (double)j->nscore), j->max_rel);
}

/* key+suffix: v, or null when it is no finite number */
static void
add_num(struct nsl_obj *o, struct nsl_buf *name, const char *key,
    const char *suffix, double v)
{
	nsl_buf_reset(name);
	nsl_buf_adds(name, key);
	nsl_buf_adds(name, suffix);
	nsl_obj_key(o, name->data != NULL ? name->data : "");
	nsl_obj_number_or_null(o, v);
}

void
nsl_extrap_write(const struct nsl_rec *rec, const struct nsl_extrap_answer *a,
    struct nsl_buf *b)
{
	struct nsl_buf name = NSL_BUF_INIT;
	struct nsl_obj o;
	const char *skip[1];
	size_t i;

	nsl_obj_begin(&o, b);
	skip[0] = a->name;
	nsl_obj_copy_except(&o, rec, skip, a->kind == 1);
	if (a->kind == 3) {
		for (i = 0; i < a->nopt; i++)
			add_num(&o, &name, split_names[i], "", a->v[i][0]);
		if (a->has_interval) {
			add_num(&o, &name, split_names[2], "_lo", a->v[2][1]);
			add_num(&o, &name, split_names[2], "_hi", a->v[2][2]);
		}
	} else if (a->kind == 2) {
		for (i = 0; i < a->nopt; i++)
			add_num(&o, &name, opt_names[i], "", a->v[i][0]);
		for (i = 0; i < a->nopt && a->has_interval; i++) {
			add_num(&o, &name, opt_names[i], "_lo", a->v[i][1]);
			add_num(&o, &name, opt_names[i], "_hi", a->v[i][2]);
		}
	} else {
		add_num(&o, &name, a->name, "", a->v[0][0]);
		if (a->has_interval) {
			add_num(&o, &name, a->name, "_lo", a->v[0][1]);
			add_num(&o, &name, a->name, "_hi", a->v[0][2]);
		}
		if (a->has_rel)
			add_num(&o, &name, "rel_error", "", a->rel);
	}
	nsl_obj_end(&o);
	if (nsl_buf_failed(&name))
		nsl_buf_reset(b), b->failed = 1;
	nsl_buf_release(&name);
}

/* Field key+suffix of rec: its number, NaN for null or (optional) none. */
static int
get_num(const struct nsl_rec *rec, const char *key, const char *suffix,
    int optional, double *v, struct nsl_err *err)
{
	char name[512];
	long k;

	snprintf(name, sizeof(name), "%s%s", key, suffix);
	*v = NAN;
	if ((k = nsl_rec_find(rec, name)) < 0) {
		if (optional)
			return 0;
		return nsl_err_set(err, NSL_EX_DATAERR, "missing field \"%s\"",
		    name);
	}
	if (rec->fields[k].type == NSL_JSON_NULL)
		return 0;
	return nsl_rec_number(rec, (size_t)k, v, err);
}

int
nsl_extrap_parse(const struct nsl_rec *rec, struct nsl_extrap_answer *a,
    struct nsl_err *err)
{
	const char *const *names = a->kind == 3 ? split_names : opt_names;
	size_t i, n = a->kind >= 2 ? 3 : 1;
	const char *key;

	a->has_interval = 0;
	/* epochs_opt is there for a law with a unique-token budget, D_crit
	 * for one with D */
	if (a->kind >= 2 && nsl_rec_find(rec, names[3]) >= 0)
		n = 4;
	a->nopt = a->kind >= 2 ? n : 0;
	for (i = 0; i < n; i++) {
		key = a->kind >= 2 ? names[i] : a->name;
		if (get_num(rec, key, "", 0, &a->v[i][0], err) != 0 ||
		    get_num(rec, key, "_lo", 1, &a->v[i][1], err) != 0 ||
		    get_num(rec, key, "_hi", 1, &a->v[i][2], err) != 0)
			return -1;
		if (!isnan(a->v[i][1]) || !isnan(a->v[i][2]))
			a->has_interval = 1;
	}
	a->has_rel = 0;
	if (a->kind == 0 && nsl_rec_find(rec, "rel_error") >= 0) {
		a->has_rel = 1;
		if (get_num(rec, "rel_error", "", 0, &a->rel, err) != 0)
			return -1;
	}
	return 0;
}
