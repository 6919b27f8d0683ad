/*
 * ot_record.c - the result, potential and plan records of OT, written
 * and parsed side by side (see nsl/ot_record.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/json.h"
#include "nsl/ot_record.h"

void
nsl_ot_record_init(struct nsl_ot_record *r)
{
	memset(r, 0, sizeof(*r));
	r->distance = r->value = r->p = NAN;
	r->epsilon = r->objective = r->marginal_error = NAN;
	r->std_error = r->variance_reduction = r->seconds = NAN;
	r->n = r->m = r->d = -1;
	r->iterations = r->sinkhorn_iterations = r->newton_iterations = -1;
	r->projections = -1;
}

void
nsl_ot_record_make(struct nsl_ot_record *r, const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const struct nsl_ot_result *res,
    const char *a, const char *b)
{
	const struct nsl_ot_method *m = o->method;

	nsl_ot_record_init(r);
	r->distance = res->distance;
	r->value = res->value;
	r->method = m->name;
	if (m->params & NSL_OT_P_INNER)
		r->inner = o->inner->name;
	r->cost = nsl_ot_cost_name(o->cost);
	r->p = o->p;
	r->n = (long long)pr->n;
	r->m = (long long)pr->m;
	r->d = (long long)pr->d;
	r->epsilon = res->epsilon;
	r->objective = res->objective;
	r->iterations = res->iterations;
	if (res->newton_iterations >= 0) {
		r->sinkhorn_iterations = res->sinkhorn_iterations;
		r->newton_iterations = res->newton_iterations;
	}
	r->marginal_error = res->marginal_error;
	if (m->params & NSL_OT_P_PROJECTIONS) {
		r->projections = o->projections;
		r->std_error = res->std_error;
		r->variance_reduction = res->variance_reduction;
	}
	r->converged = res->converged;
	r->blocked = res->blocked;
	r->a = a;
	r->b = b;
}

static void
key_num(struct nsl_obj *o, const char *k, double v)
{
	if (!isnan(v)) {
		nsl_obj_key(o, k);
		nsl_obj_number(o, v);
	}
}

/* A number in cost units: null when beyond the double range. */
static void
key_cost(struct nsl_obj *o, const char *k, double v)
{
	if (isinf(v)) {
		nsl_obj_key(o, k);
		nsl_obj_null(o);
	} else
		key_num(o, k, v);
}

static void
key_int(struct nsl_obj *o, const char *k, long long v)
{
	if (v >= 0) {
		nsl_obj_key(o, k);
		nsl_obj_integer(o, v);
	}
}

static void
key_str(struct nsl_obj *o, const char *k, const char *v)
{
	if (v != NULL) {
		nsl_obj_key(o, k);
		nsl_obj_string(o, v);
	}
}

void
nsl_ot_record_write(struct nsl_buf *b, const struct nsl_ot_record *r)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	key_num(&o, "distance", r->distance);
	key_cost(&o, "value", r->value);
	key_str(&o, "method", r->method);
	key_str(&o, "inner", r->inner);
	key_str(&o, "cost", r->cost);
	key_num(&o, "p", r->p);
	key_int(&o, "n", r->n);
	key_int(&o, "m", r->m);
	key_int(&o, "d", r->d);
	key_cost(&o, "epsilon", r->epsilon);
	key_cost(&o, "objective", r->objective);
	key_int(&o, "iterations", r->iterations);
	key_int(&o, "sinkhorn_iterations", r->sinkhorn_iterations);
	key_int(&o, "newton_iterations", r->newton_iterations);
	key_num(&o, "marginal_error", r->marginal_error);
	key_int(&o, "projections", r->projections);
	key_cost(&o, "std_error", r->std_error);
	key_num(&o, "variance_reduction", r->variance_reduction);
	nsl_obj_key(&o, "converged");
	nsl_obj_bool(&o, r->converged);
	if (r->blocked) {
		nsl_obj_key(&o, "blocked");
		nsl_obj_bool(&o, 1);
	}
	key_str(&o, "a", r->a);
	key_str(&o, "b", r->b);
	key_num(&o, "seconds", r->seconds);
	nsl_obj_end(&o);
}

/* ---- parsing ---- */

/* Field k as a number: absent leaves *v; null is infinity if cost. */
static int
get_num(const struct nsl_rec *rec, const char *k, int cost, double *v,
    struct nsl_err *err)
{
	long i = nsl_rec_find(rec, k);

	if (i < 0)
		return 0;
	if (cost && rec->fields[i].type == NSL_JSON_NULL) {
		*v = INFINITY;
		return 0;
	}
	return nsl_rec_number(rec, (size_t)i, v, err);
}

static int
get_int(const struct nsl_rec *rec, const char *k, long long *v,
    struct nsl_err *err)
{
	double t = NAN;

	if (get_num(rec, k, 0, &t, err) < 0)
		return -1;
	if (isnan(t))
		return 0;
	if (!(t >= 0 && t <= 9007199254740992.0) || t != floor(t))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a count, got %g", k, t);
	*v = (long long)t;
	return 0;
}

static int
get_bool(const struct nsl_rec *rec, const char *k, int *v,
    struct nsl_err *err)
{
	long i = nsl_rec_find(rec, k);

	if (i < 0)
		return 0;
	if (rec->fields[i].type != NSL_JSON_TRUE &&
	    rec->fields[i].type != NSL_JSON_FALSE)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected true or false", k);
	*v = rec->fields[i].type == NSL_JSON_TRUE;
	return 0;
}

static int
get_str(const struct nsl_rec *rec, const char *k, const char **v, char **own,
    struct nsl_buf *tmp, struct nsl_err *err)
{
	long i = nsl_rec_find(rec, k);

	if (i < 0)
		return 0;
	if (nsl_rec_string(rec, (size_t)i, tmp, err) < 0)
		return -1;
	if ((*own = strdup(tmp->data != NULL ? tmp->data : "")) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	*v = *own;
	return 0;
}

int
nsl_ot_record_parse(struct nsl_ot_record *r, const char *line, size_t len,
    struct nsl_err *err)
{
	struct nsl_rec rec;
	struct nsl_buf tmp;
	int rc = -1;

	nsl_ot_record_init(r);
	nsl_rec_init(&rec, 0);
	nsl_buf_init(&tmp);
	if (nsl_rec_parse(&rec, line, len, err) < 0 ||
	    get_num(&rec, "distance", 0, &r->distance, err) < 0 ||
	    get_num(&rec, "value", 1, &r->value, err) < 0 ||
	    get_str(&rec, "method", &r->method, &r->own[0], &tmp, err) < 0 ||
	    get_str(&rec, "inner", &r->inner, &r->own[1], &tmp, err) < 0 ||
	    get_str(&rec, "cost", &r->cost, &r->own[2], &tmp, err) < 0 ||
	    get_num(&rec, "p", 0, &r->p, err) < 0 ||
	    get_int(&rec, "n", &r->n, err) < 0 ||
	    get_int(&rec, "m", &r->m, err) < 0 ||
	    get_int(&rec, "d", &r->d, err) < 0 ||
	    get_num(&rec, "epsilon", 1, &r->epsilon, err) < 0 ||
	    get_num(&rec, "objective", 1, &r->objective, err) < 0 ||
	    get_int(&rec, "iterations", &r->iterations, err) < 0 ||
	    get_int(&rec, "sinkhorn_iterations", &r->sinkhorn_iterations,
	    err) < 0 ||
	    get_int(&rec, "newton_iterations", &r->newton_iterations,
	    err) < 0 ||
	    get_num(&rec, "marginal_error", 0, &r->marginal_error, err) < 0 ||
	    get_int(&rec, "projections", &r->projections, err) < 0 ||
	    get_num(&rec, "std_error", 1, &r->std_error, err) < 0 ||
	    get_num(&rec, "variance_reduction", 0, &r->variance_reduction,
	    err) < 0 ||
	    get_bool(&rec, "converged", &r->converged, err) < 0 ||
	    get_bool(&rec, "blocked", &r->blocked, err) < 0 ||
	    get_str(&rec, "a", &r->a, &r->own[3], &tmp, err) < 0 ||
	    get_str(&rec, "b", &r->b, &r->own[4], &tmp, err) < 0 ||
	    get_num(&rec, "seconds", 0, &r->seconds, err) < 0)
		goto out;
	if (r->method == NULL || isnan(r->distance)) {
		nsl_err_set(err, NSL_EX_DATAERR, "not an OT result: no "
		    "\"%s\"", r->method == NULL ? "method" : "distance");
		goto out;
	}
	rc = 0;
out:
	nsl_rec_release(&rec);
	nsl_buf_release(&tmp);
	return rc;
}

void
nsl_ot_record_release(struct nsl_ot_record *r)
{
	size_t k;

	for (k = 0; k < sizeof(r->own) / sizeof(*r->own); k++)
		free(r->own[k]);
	nsl_ot_record_init(r);
}

void
nsl_ot_potential_write(struct nsl_buf *b, int side, size_t i, double f)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	nsl_obj_key(&o, "set");
	nsl_obj_string(&o, side ? "b" : "a");
	nsl_obj_key(&o, "i");
	nsl_obj_integer(&o, (long long)i);
	nsl_obj_key(&o, "potential");
	nsl_obj_number(&o, f);
	nsl_obj_end(&o);
}

/* Field k as an index (a non-negative integer), required. */
static int
req_index(const struct nsl_rec *rec, const char *k, size_t *v,
    struct nsl_err *err)
{
	long long t = -1;

	if (nsl_rec_require(rec, k, err) < 0 || get_int(rec, k, &t, err) < 0)
		return -1;
	*v = (size_t)t;
	return 0;
}

int
nsl_ot_potential_parse(const char *line, size_t len, int *side, size_t *i,
    double *f, struct nsl_err *err)
{
	struct nsl_rec rec;
	struct nsl_buf s;
	long k;
	int rc = -1;

	nsl_rec_init(&rec, 0);
	nsl_buf_init(&s);
	if (nsl_rec_parse(&rec, line, len, err) < 0 ||
	    (k = nsl_rec_require(&rec, "set", err)) < 0 ||
	    nsl_rec_string(&rec, (size_t)k, &s, err) < 0)
		goto out;
	if (s.data == NULL || (strcmp(s.data, "a") != 0 &&
	    strcmp(s.data, "b") != 0)) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"set\": expected "
		    "\"a\" or \"b\"");
		goto out;
	}
	*side = s.data[0] == 'b';
	if (req_index(&rec, "i", i, err) < 0 ||
	    (k = nsl_rec_require(&rec, "potential", err)) < 0 ||
	    nsl_rec_number(&rec, (size_t)k, f, err) < 0)
		goto out;
	rc = 0;
out:
	nsl_rec_release(&rec);
	nsl_buf_release(&s);
	return rc;
}

void
nsl_ot_plan_write(struct nsl_buf *b, const struct nsl_ot_plan_entry *e)
{
	struct nsl_obj o;

	nsl_obj_begin(&o, b);
	nsl_obj_key(&o, "i");
	nsl_obj_integer(&o, (long long)e->i);
	nsl_obj_key(&o, "j");
	nsl_obj_integer(&o, (long long)e->j);
	nsl_obj_key(&o, "mass");
	nsl_obj_number(&o, e->mass);
	nsl_obj_end(&o);
}

int
nsl_ot_plan_parse(const char *line, size_t len, struct nsl_ot_plan_entry *e,
    struct nsl_err *err)
{
	struct nsl_rec rec;
	long k;
	int rc = -1;

	nsl_rec_init(&rec, 0);
	if (nsl_rec_parse(&rec, line, len, err) == 0 &&
	    req_index(&rec, "i", &e->i, err) == 0 &&
	    req_index(&rec, "j", &e->j, err) == 0 &&
	    (k = nsl_rec_require(&rec, "mass", err)) >= 0 &&
	    nsl_rec_number(&rec, (size_t)k, &e->mass, err) == 0)
		rc = 0;
	nsl_rec_release(&rec);
	return rc;
}
