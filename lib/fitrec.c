/*
 * fitrec.c - the fit record: write and parse, and what a record answers
 * (intervals, predictions, inversions, compute-optimal allocations); see
 * nsl/fitrec.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/fitrec.h"
#include "nsl/io.h"
#include "nsl/labels.h"

/* --- fit records ----------------------------------------------------- */

void
nsl_fitrec_init(struct nsl_fitrec *f)
{
	memset(f, 0, sizeof(*f));
	f->level = 0.95;
	f->delta = NSL_OPTIM_DELTA;
	f->converged = 1;
	f->nested_objective = NAN;
}

void
nsl_fitrec_release(struct nsl_fitrec *f)
{
	nsl_law_free(f->law);
	free(f->by_field);
	free(f->by_value);
	free(f->samples);
	free(f->cluster);
	memset(f, 0, sizeof(*f));
}

void
nsl_fitrec_interval(const struct nsl_fitrec *f, size_t k, double level,
    double *lo, double *hi)
{
	double *col = malloc((f->B ? f->B : 1) * sizeof(double)), v;
	size_t b, m = 0;

	if (col == NULL || f->B == 0) {
		*lo = *hi = NAN;
		free(col);
		return;
	}
	/* over the samples that are numbers in report space */
	for (b = 0; b < f->B; b++) {
		v = f->samples[b * f->law->np + k];
		if (nsl_law_param_is_log(f->law, k))
			v = exp(v);
		if (isfinite(v))
			col[m++] = v;
	}
	*lo = nsl_optim_quantile(col, m, (1 - level) / 2);
	*hi = nsl_optim_quantile(col, m, 1 - (1 - level) / 2);
	free(col);
}

static void
num_or_null(struct nsl_buf *b, double v, enum nsl_num_style st)
{
	if (isfinite(v))
		nsl_json_number(b, v, st);
	else
		nsl_buf_adds(b, "null");
}

static void
scores(struct nsl_buf *b, const struct nsl_scores *s, int with_n,
    enum nsl_num_style st)
{
	if (with_n)
		nsl_buf_addf(b, "\"n\":%zu,", s->n);
	nsl_buf_adds(b, "\"rmsle\":");
	num_or_null(b, s->rmsle, st);
	nsl_buf_adds(b, ",\"are\":");
	num_or_null(b, s->are, st);
	nsl_buf_adds(b, ",\"max_rel_error\":");
	num_or_null(b, s->max_rel, st);
}

void
nsl_fitrec_write(const struct nsl_fitrec *f, struct nsl_buf *b,
    enum nsl_num_style st)
{
	const struct nsl_law *l = f->law;
	double p[NSL_LAW_MAX_PARAMS];
	size_t i, j, nfix = 0;

	nsl_law_to_report(l, f->theta, p);
	nsl_buf_adds(b, "{\"law\":");
	nsl_json_string(b, l->name, strlen(l->name));
	nsl_buf_adds(b, ",\"formula\":");
	nsl_json_string(b, l->formula, strlen(l->formula));
	nsl_buf_adds(b, ",\"x\":[");
	for (i = 0; i < l->nvars; i++) {
		if (i)
			nsl_buf_addc(b, ',');
		nsl_json_string(b, l->vars[i], strlen(l->vars[i]));
	}
	nsl_buf_adds(b, "],\"y\":");
	nsl_json_string(b, l->yname, strlen(l->yname));
	if (f->by_field != NULL) {
		nsl_buf_adds(b, ",\"by\":{");
		nsl_json_string(b, f->by_field, strlen(f->by_field));
		nsl_buf_addc(b, ':');
		nsl_buf_adds(b, f->by_value);
		nsl_buf_addc(b, '}');
	}
	nsl_buf_adds(b, ",\"params\":{");
	for (i = 0; i < l->np; i++) {
		if (i)
			nsl_buf_addc(b, ',');
		nsl_json_string(b, l->params[i], strlen(l->params[i]));
		nsl_buf_addc(b, ':');
		num_or_null(b, p[i], st);
		nfix += f->fixed[i] != 0;
	}
	nsl_buf_addc(b, '}');
	if (nfix > 0) {
		nsl_buf_adds(b, ",\"fixed\":[");
		for (i = 0, j = 0; i < l->np; i++)
			if (f->fixed[i]) {
				if (j++)
					nsl_buf_addc(b, ',');
				nsl_json_string(b, l->params[i],
				    strlen(l->params[i]));
			}
		nsl_buf_addc(b, ']');
	}
	if (f->B > 0) {
		nsl_buf_adds(b, ",\"intervals\":{");
		for (i = 0; i < l->np; i++) {
			double lo, hi;

			nsl_fitrec_interval(f, i, f->level, &lo, &hi);
			if (i)
				nsl_buf_addc(b, ',');
			nsl_json_string(b, l->params[i], strlen(l->params[i]));
			nsl_buf_adds(b, ":[");
			num_or_null(b, lo, st);
			nsl_buf_addc(b, ',');
			num_or_null(b, hi, st);
			nsl_buf_addc(b, ']');
		}
		nsl_buf_adds(b, "},\"level\":");
		nsl_json_number(b, f->level, st);
	}
	nsl_buf_adds(b, ",\"loss\":");
	nsl_buf_addf(b, "\"%s\"", nsl_loss_name(f->loss));
	if (f->loss == NSL_LOSS_HUBER) {
		nsl_buf_adds(b, ",\"delta\":");
		nsl_json_number(b, f->delta, st);
	}
	nsl_buf_adds(b, ",\"objective\":");
	num_or_null(b, f->objective, st);
	nsl_buf_addf(b, ",\"converged\":%s", f->converged ? "true" : "false");
	if (f->ndegen > 0) {
		nsl_buf_adds(b, ",\"degenerate\":[");
		for (i = 0; i < f->ndegen; i++) {
			const struct nsl_degen *d = &f->degen[i];

			nsl_buf_addf(b, "%s{\"reason\":\"%s\",\"params\":[",
			    i ? "," : "", nsl_degen_reason_name(d->reason));
			for (j = 0; j < d->nparams; j++) {
				const char *pn = l->params[d->params[j]];

				if (j)
					nsl_buf_addc(b, ',');
				nsl_json_string(b, pn, strlen(pn));
			}
			nsl_buf_adds(b, "]}");
		}
		nsl_buf_addc(b, ']');
	}
	if (l->nest != NULL && !isnan(f->nested_objective)) {
		nsl_buf_adds(b, ",\"nested\":{\"law\":");
		nsl_json_string(b, l->nest, strlen(l->nest));
		nsl_buf_adds(b, ",\"objective\":");
		num_or_null(b, f->nested_objective, st);
		nsl_buf_addc(b, '}');
	}
	nsl_buf_addf(b, ",\"n\":%zu,\"k\":%zu,\"aic\":", f->n, f->k);
	num_or_null(b, f->aic, st);
	nsl_buf_adds(b, ",\"bic\":");
	num_or_null(b, f->bic, st);
	nsl_buf_addc(b, ',');
	scores(b, &f->fit, 0, st);
	if (f->has_holdout) {
		nsl_buf_adds(b, ",\"holdout\":{");
		scores(b, &f->holdout, 1, st);
		nsl_buf_addc(b, '}');
	}
	nsl_buf_addf(b, ",\"seed\":%llu", (unsigned long long)f->seed);
	if (l->def->flags & NSL_LAWF_BREAKS)
		nsl_buf_addf(b, ",\"breaks\":%d", l->breaks);
	if (f->has_range) {
		nsl_buf_adds(b, ",\"range\":{");
		for (i = 0; i < l->nvars; i++) {
			if (i)
				nsl_buf_addc(b, ',');
			nsl_json_string(b, l->vars[i], strlen(l->vars[i]));
			nsl_buf_adds(b, ":[");
			num_or_null(b, f->range[i][0], st);
			nsl_buf_addc(b, ',');
			num_or_null(b, f->range[i][1], st);
			nsl_buf_addc(b, ']');
		}
		nsl_buf_addc(b, '}');
	}
	if (f->B > 0) {
		nsl_buf_addf(b, ",\"bootstrap\":{\"B\":%zu,\"cluster\":", f->B);
		if (f->cluster != NULL)
			nsl_json_string(b, f->cluster, strlen(f->cluster));
		else
			nsl_buf_adds(b, "null");
		nsl_buf_adds(b, ",\"samples\":[");
		for (i = 0; i < f->B; i++) {
			nsl_law_to_report(l, f->samples + i * l->np, p);
			if (i)
				nsl_buf_addc(b, ',');
			nsl_buf_addc(b, '[');
			for (j = 0; j < l->np; j++) {
				if (j)
					nsl_buf_addc(b, ',');
				num_or_null(b, p[j], st);
			}
			nsl_buf_addc(b, ']');
		}
		nsl_buf_adds(b, "]}");
	}
	nsl_buf_adds(b, "}\n");
}

/* "converged" and "degenerate" of a fit record, as written above. */
static int
parse_health(struct nsl_fitrec *f, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	json_t *v = NULL;
	size_t i, j;
	long k;
	int ret = -1;

	if ((k = nsl_rec_find(rec, "converged")) >= 0) {
		if ((v = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		if (!json_is_boolean(v)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"converged\": "
			    "expected true or false");
			goto out;
		}
		f->converged = json_is_true(v);
		json_decref(v);
		v = NULL;
	}
	if ((k = nsl_rec_find(rec, "degenerate")) < 0)
		return 0;
	if ((v = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		return -1;
	if (!json_is_array(v))
		goto bad;
	for (i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i), *ps;
		const char *why;
		struct nsl_degen *d = &f->degen[f->ndegen];

		ps = json_object_get(e, "params");
		why = json_string_value(json_object_get(e, "reason"));
		if (why == NULL || !json_is_array(ps))
			goto bad;
		if (f->ndegen == NSL_OPTIM_MAX_DEGEN)
			continue;
		if (strcmp(why, "bound") == 0)
			d->reason = NSL_DEGEN_BOUND;
		else if (strcmp(why, "range") == 0)
			d->reason = NSL_DEGEN_RANGE;
		else if (strcmp(why, "flat") == 0)
			d->reason = NSL_DEGEN_FLAT;
		else
			continue;	/* a reason of a later version */
		d->nparams = 0;
		for (j = 0; j < json_array_size(ps); j++) {
			const char *pn = json_string_value(json_array_get(ps,
			    j));
			long pk = pn != NULL ? nsl_law_param_index(f->law, pn) :
			    -1;

			if (pk < 0)
				goto bad;
			d->params[d->nparams++] = (size_t)pk;
		}
		f->ndegen++;
	}
	ret = 0;
	goto out;
bad:
	nsl_err_set(err, NSL_EX_DATAERR, "field \"degenerate\": expected "
	    "[{\"reason\":..., \"params\":[names]}, ...]");
out:
	json_decref(v);
	return ret;
}

static int
get_string(const struct nsl_rec *rec, const char *name, struct nsl_buf *out,
    struct nsl_err *err)
{
	long i = nsl_rec_require(rec, name, err);

	if (i < 0)
		return -1;
	return nsl_rec_string(rec, (size_t)i, out, err);
}

/* "by":{FIELD:VALUE}: the group's field and its value's key. */
static int
parse_by(struct nsl_fitrec *f, const struct nsl_rec *rec, size_t k,
    struct nsl_err *err)
{
	const struct nsl_field *fd = &rec->fields[k];
	struct nsl_buf key = NSL_BUF_INIT;
	struct nsl_rec sub;
	json_t *o = NULL;
	int ret = -1;

	nsl_rec_init(&sub, 0);
	if (fd->type != NSL_JSON_OBJECT ||
	    nsl_rec_parse(&sub, fd->value, fd->vlen, err) != 0 ||
	    sub.nfields != 1) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"by\": expected an "
		    "object of one member");
		goto out;
	}
	if ((o = nsl_rec_json(rec, k, err)) == NULL)
		goto out;
	if (nsl_labels_key_at(&sub, 0, NSL_LABELS_LITERALS, &key, err) != 0) {
		char m[sizeof(err->msg)];

		memcpy(m, err->msg, sizeof(m));
		nsl_err_set(err, NSL_EX_DATAERR, "field \"by\": %.400s", m);
		goto out;
	}
	free(f->by_field);
	free(f->by_value);
	f->by_field = strdup(json_object_iter_key(json_object_iter(o)));
	f->by_value = strdup(key.data);
	if (f->by_field == NULL || f->by_value == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	ret = 0;
out:
	json_decref(o);
	nsl_rec_release(&sub);
	nsl_buf_release(&key);
	return ret;
}

/* "range":{VAR:[lo,hi],...}: one member per variable of the law. */
static int
parse_range(struct nsl_fitrec *f, const struct nsl_rec *rec, size_t k,
    struct nsl_err *err)
{
	json_t *o = nsl_rec_json(rec, k, err), *v;
	size_t i;
	int ret = -1;

	if (o == NULL)
		return -1;
	if (!json_is_object(o))
		goto bad;
	for (i = 0; i < f->law->nvars; i++) {
		json_t *a = json_object_get(o, f->law->vars[i]);

		if (!json_is_array(a) || json_array_size(a) != 2)
			goto bad;
		v = json_array_get(a, 0);
		if (!json_is_number(v))
			goto bad;
		f->range[i][0] = json_number_value(v);
		v = json_array_get(a, 1);
		if (!json_is_number(v))
			goto bad;
		f->range[i][1] = json_number_value(v);
		if (!(f->range[i][0] <= f->range[i][1]))
			goto bad;
	}
	f->has_range = 1;
	ret = 0;
	goto out;
bad:
	nsl_err_set(err, NSL_EX_DATAERR, "field \"range\": expected "
	    "{VARIABLE: [lo, hi]} for each of the law's variables");
out:
	json_decref(o);
	return ret;
}

/* A number member of object o (null: NaN); absent leaves *v as it is. */
static int
member_number(json_t *o, const char *name, double *v)
{
	json_t *m = json_object_get(o, name);

	if (m == NULL)
		return 0;
	if (json_is_null(m)) {
		*v = NAN;
		return 0;
	}
	if (!json_is_number(m))
		return -1;
	*v = json_number_value(m);
	return 0;
}

/*
 * The members that describe the fit rather than the law: fixed, loss,
 * delta, objective, nested, n, k, aic, bic, scores, holdout, seed and the
 * bootstrap's cluster, so that a parsed record writes back the same.
 * They are optional (a hand-written record has none of them).
 */
static int
parse_stats(struct nsl_fitrec *f, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	static const char *const nums[] = { "delta", "objective", "aic", "bic",
		"rmsle", "are", "max_rel_error", "n", "k", "seed" };
	double *dst[] = { &f->delta, &f->objective, &f->aic, &f->bic,
		&f->fit.rmsle, &f->fit.are, &f->fit.max_rel, NULL, NULL, NULL };
	json_t *o = NULL, *v;
	const char *bad = NULL;
	size_t i, j;
	double d;
	long k;
	int ret = -1;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if ((k = nsl_rec_find(rec, nums[i])) < 0)
			continue;
		if (dst[i] == NULL) {
			/* counts and the seed: digits, read whole (a seed
			 * beyond 2^53 is no double) */
			const struct nsl_field *fd = &rec->fields[k];
			char num[32], *end;
			unsigned long long n;

			if (fd->vlen == 0 || fd->vlen >= sizeof(num) ||
			    fd->value[0] < '0' || fd->value[0] > '9') {
				bad = nums[i];
				goto bad;
			}
			memcpy(num, fd->value, fd->vlen);
			num[fd->vlen] = '\0';
			n = strtoull(num, &end, 10);
			if (*end != '\0') {
				bad = nums[i];
				goto bad;
			}
			if (strcmp(nums[i], "seed") == 0)
				f->seed = (uint64_t)n;
			else if (strcmp(nums[i], "n") == 0)
				f->n = (size_t)n;
			else
				f->k = (size_t)n;
			continue;
		}
		if ((o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		if (json_is_null(o))
			*dst[i] = NAN;
		else if (json_is_number(o))
			*dst[i] = json_number_value(o);
		else {
			bad = nums[i];
			goto bad;
		}
		json_decref(o);
		o = NULL;
	}
	if ((k = nsl_rec_find(rec, "loss")) >= 0) {
		struct nsl_buf s = NSL_BUF_INIT;
		int l = -1;

		if (nsl_rec_string(rec, (size_t)k, &s, err) == 0)
			l = nsl_loss_parse(s.data);
		nsl_buf_release(&s);
		if (l < 0) {
			bad = "loss";
			goto bad;
		}
		f->loss = (enum nsl_loss)l;
	}
	if ((k = nsl_rec_find(rec, "fixed")) >= 0) {
		if ((o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		bad = "fixed";
		if (!json_is_array(o))
			goto bad;
		for (j = 0; j < json_array_size(o); j++) {
			const char *pn = json_string_value(json_array_get(o, j));
			long pk = pn != NULL ? nsl_law_param_index(f->law, pn) :
			    -1;

			if (pk < 0)
				goto bad;
			f->fixed[pk] = 1;
		}
		json_decref(o);
		o = NULL;
	}
	if ((k = nsl_rec_find(rec, "nested")) >= 0) {
		if ((o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		bad = "nested";
		if (!json_is_object(o) || member_number(o, "objective",
		    &f->nested_objective) != 0)
			goto bad;
		json_decref(o);
		o = NULL;
	}
	if ((k = nsl_rec_find(rec, "holdout")) >= 0) {
		if ((o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		bad = "holdout";
		d = NAN;
		if (!json_is_object(o) || member_number(o, "n", &d) != 0 ||
		    !(d >= 0) || member_number(o, "rmsle",
		    &f->holdout.rmsle) != 0 || member_number(o, "are",
		    &f->holdout.are) != 0 || member_number(o, "max_rel_error",
		    &f->holdout.max_rel) != 0)
			goto bad;
		f->holdout.n = (size_t)d;
		f->has_holdout = 1;
		json_decref(o);
		o = NULL;
	}
	if ((k = nsl_rec_find(rec, "bootstrap")) >= 0) {
		if ((o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			return -1;
		v = json_object_get(o, "cluster");
		if (json_is_string(v) &&
		    (f->cluster = strdup(json_string_value(v))) == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		json_decref(o);
		o = NULL;
	}
	ret = 0;
	goto out;
bad:
	nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": not as nsl-fit writes "
	    "it", bad);
out:
	json_decref(o);
	return ret;
}

int
nsl_fitrec_parse(struct nsl_fitrec *f, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	struct nsl_buf s = NSL_BUF_INIT;
	json_t *params = NULL, *xs = NULL, *boot = NULL, *fixed = NULL;
	const char *pn[NSL_LAW_MAX_PARAMS], *vn[NSL_LAW_MAX_VARS];
	double pv[NSL_LAW_MAX_PARAMS];
	size_t np = 0, nv = 0, i;
	const char *key;
	json_t *val;
	long k;
	int ret = -1;
	double breaks = 1;

	if ((k = nsl_rec_require(rec, "params", err)) < 0 ||
	    (params = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		goto out;
	if (!json_is_object(params) || json_object_size(params) == 0 ||
	    json_object_size(params) > NSL_LAW_MAX_PARAMS) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"params\": expected "
		    "an object of numbers");
		goto out;
	}
	json_object_foreach(params, key, val) {
		if (!json_is_number(val)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"params\": "
			    "\"%s\" is not a number", key);
			goto out;
		}
		pn[np] = key;
		pv[np++] = json_number_value(val);
	}
	if ((k = nsl_rec_require(rec, "x", err)) < 0 ||
	    (xs = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		goto out;
	if (!json_is_array(xs) || json_array_size(xs) > NSL_LAW_MAX_VARS) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"x\": expected an "
		    "array of field names");
		goto out;
	}
	for (i = 0; i < json_array_size(xs); i++) {
		if (!json_is_string(json_array_get(xs, i))) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"x\": expected "
			    "an array of field names");
			goto out;
		}
		vn[nv++] = json_string_value(json_array_get(xs, i));
	}
	if ((k = nsl_rec_find(rec, "breaks")) >= 0 &&
	    nsl_rec_number(rec, (size_t)k, &breaks, err) != 0)
		goto out;
	if (get_string(rec, "law", &s, err) != 0)
		goto out;
	if (strcmp(s.data, "formula") == 0) {
		if (get_string(rec, "formula", &s, err) != 0)
			goto out;
		f->law = nsl_law_formula(s.data, pn, pv, np, vn, nv, err);
		if (f->law == NULL) {
			err->code = NSL_EX_DATAERR;
			goto out;
		}
	} else {
		f->law = nsl_law_new(s.data, (int)breaks, err);
		if (f->law == NULL) {
			err->code = NSL_EX_DATAERR;
			goto out;
		}
		if (nv != f->law->nvars || np != f->law->np) {
			nsl_err_set(err, NSL_EX_DATAERR, "law %s: expected %zu "
			    "variables and %zu parameters", f->law->name,
			    f->law->nvars, f->law->np);
			goto out;
		}
		for (i = 0; i < nv; i++)
			if (nsl_law_set_var(f->law, i, vn[i]) != 0)
				goto nomem;
		for (i = 0; i < np; i++)
			if (strcmp(pn[i], f->law->params[i]) != 0) {
				nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"params\": expected \"%s\" at position "
				    "%zu", f->law->params[i], i + 1);
				goto out;
			}
	}
	for (i = 0; i < np; i++)
		if (nsl_law_param_is_log(f->law, i) && !(pv[i] >= 0)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"params\": "
			    "\"%s\" must not be negative", pn[i]);
			goto out;
		}
	nsl_law_from_report(f->law, pv, f->theta);
	if (get_string(rec, "y", &s, err) != 0)
		goto out;
	free(f->law->yname);
	if ((f->law->yname = strdup(s.data)) == NULL)
		goto nomem;
	if ((k = nsl_rec_find(rec, "level")) >= 0 &&
	    nsl_rec_number(rec, (size_t)k, &f->level, err) != 0)
		goto out;
	if (!(f->level > 0 && f->level < 1)) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"level\": must be "
		    "between 0 and 1");
		goto out;
	}
	if ((k = nsl_rec_find(rec, "range")) >= 0 &&
	    parse_range(f, rec, (size_t)k, err) != 0)
		goto out;
	if ((k = nsl_rec_find(rec, "by")) >= 0 &&
	    parse_by(f, rec, (size_t)k, err) != 0)
		goto out;
	if (parse_health(f, rec, err) != 0 || parse_stats(f, rec, err) != 0)
		goto out;
	if ((k = nsl_rec_find(rec, "bootstrap")) >= 0) {
		json_t *sm;

		if ((boot = nsl_rec_json(rec, (size_t)k, err)) == NULL)
			goto out;
		sm = json_object_get(boot, "samples");
		if (!json_is_array(sm)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"bootstrap\": "
			    "expected \"samples\", an array");
			goto out;
		}
		f->B = json_array_size(sm);
		f->samples = malloc((f->B ? f->B : 1) * np * sizeof(double));
		if (f->samples == NULL)
			goto nomem;
		for (i = 0; i < f->B; i++) {
			json_t *row = json_array_get(sm, i);
			size_t j;

			if (!json_is_array(row) || json_array_size(row) != np) {
				nsl_err_set(err, NSL_EX_DATAERR, "field "
				    "\"bootstrap\": sample %zu: expected %zu "
				    "numbers", i + 1, np);
				goto out;
			}
			for (j = 0; j < np; j++) {
				json_t *v = json_array_get(row, j);

				/* null: a sample beyond a double in report
				 * space, as nsl_fitrec_write writes it */
				if (json_is_null(v)) {
					pv[j] = NAN;
					continue;
				}
				if (!json_is_number(v)) {
					nsl_err_set(err, NSL_EX_DATAERR,
					    "field \"bootstrap\": sample %zu: "
					    "expected numbers", i + 1);
					goto out;
				}
				pv[j] = json_number_value(v);
			}
			nsl_law_from_report(f->law, pv, f->samples + i * np);
		}
	}
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	json_decref(params);
	json_decref(xs);
	json_decref(boot);
	json_decref(fixed);
	nsl_buf_release(&s);
	return ret;
}

/* --- predictions -------------------------------------------------------- */

static void
interval_of(double *v, size_t n, double level, double *lo, double *hi)
{
	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	*lo = nsl_optim_quantile(v, n, (1 - level) / 2);
	*hi = nsl_optim_quantile(v, n, 1 - (1 - level) / 2);
}

void
nsl_fitrec_predict(const struct nsl_fitrec *f, const double *x,
    double level, double *y, double *lo, double *hi)
{
	double *v;
	size_t b, m = 0;

	*y = nsl_law_eval(f->law, f->theta, x, NULL);
	*lo = *hi = NAN;
	if (f->B == 0 || (v = malloc(f->B * sizeof(double))) == NULL)
		return;
	for (b = 0; b < f->B; b++) {
		double p = nsl_law_eval(f->law, f->samples + b * f->law->np, x,
		    NULL);

		if (isfinite(p))
			v[m++] = p;
	}
	interval_of(v, m, level, lo, hi);
	free(v);
}

int
nsl_fitrec_solve(const struct nsl_fitrec *f, const double *x, size_t k,
    double target, double level, double out[3], struct nsl_err *err)
{
	struct nsl_err e2;
	double *v;
	size_t b, m = 0;

	if (nsl_law_solve_near(f->law, f->theta, x, k, target,
	    f->has_range ? f->range[k][0] : NAN,
	    f->has_range ? f->range[k][1] : NAN, &out[0], err) != 0)
		return -1;
	out[1] = out[2] = NAN;
	if (f->B == 0 || (v = malloc(f->B * sizeof(double))) == NULL)
		return 0;
	for (b = 0; b < f->B; b++)
		if (nsl_law_solve_near(f->law, f->samples + b * f->law->np, x,
		    k, target, out[0], out[0], &v[m], &e2) == 0)
			m++;
	interval_of(v, m, level, &out[1], &out[2]);
	free(v);
	return 0;
}

int
nsl_fitrec_optimal_at(const struct nsl_fitrec *f, const double *x, double C,
    double k, double level, double out[3][3], struct nsl_err *err)
{
	struct nsl_err e2;
	double *v;
	size_t b, m = 0, j;

	if (nsl_law_optimal_at(f->law, f->theta, x, C, k, NAN, &out[0][0],
	    &out[1][0], &out[2][0], err) != 0)
		return -1;
	for (j = 0; j < 3; j++)
		out[j][1] = out[j][2] = NAN;
	if (f->B == 0 || (v = malloc(3 * f->B * sizeof(double))) == NULL)
		return 0;
	for (b = 0; b < f->B; b++) {
		double N, D, L;

		/* each sample's optimum near the fit's */
		if (nsl_law_optimal_at(f->law, f->samples + b * f->law->np, x,
		    C, k, out[0][0], &N, &D, &L, &e2) == 0 && isfinite(N) &&
		    isfinite(D) && isfinite(L)) {
			v[m] = N;
			v[f->B + m] = D;
			v[2 * f->B + m] = L;
			m++;
		}
	}
	for (j = 0; j < 3; j++)
		interval_of(v + j * f->B, m, level, &out[j][1], &out[j][2]);
	free(v);
	return 0;
}

int
nsl_fitrec_optimal(const struct nsl_fitrec *f, double C, double k,
    double level, double out[3][3], struct nsl_err *err)
{
	return nsl_fitrec_optimal_at(f, NULL, C, k, level, out, err);
}

int
nsl_fitrec_read_all(const char *path, unsigned rec_flags,
    struct nsl_fitrec **fits, size_t *n,
    int (*check)(const struct nsl_fitrec *, const struct nsl_fitrec *,
    void *, struct nsl_err *), void *arg, struct nsl_err *err)
{
	struct nsl_reader *r = nsl_reader_open(path, err);
	struct nsl_rec rec;
	int rc, ret = -1;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		struct nsl_fitrec *f = realloc(*fits, (*n + 1) * sizeof(*f));

		if (f == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		*fits = f;
		f = &f[(*n)++];
		nsl_fitrec_init(f);
		nsl_err_clear(err);
		if (nsl_fitrec_parse(f, &rec, err) != 0 ||
		    (check != NULL && check(f, &(*fits)[0], arg, err) != 0)) {
			nsl_err_at(err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	if (*n == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no fit record");
		nsl_err_at(err, path, 0);
		goto out;
	}
	ret = 0;
out:
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return ret;
}
