/*
 * fit.c - fitting one group of points, and nsl-fit's whole job: laws
 * made and checked against --x, --fix and --param, points read per law,
 * every group fitted, fits ranked by AIC (see nsl/fit.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/fit.h"
#include "nsl/io.h"
#include "nsl/num.h"

/* --- one group ------------------------------------------------------- */

static void
identification(const struct nsl_law *law, const struct nsl_group *g,
    const double *x, size_t n, struct nsl_buf *warn)
{
	const char *gname = g->key != NULL ? g->key : "";
	const char *sep = g->key != NULL ? ": " : "";
	size_t i, j, nv = law->nvars;

	if (!(law->def->flags & NSL_LAWF_CURVE))
		for (j = 0; j < nv; j++) {
			double lo = INFINITY, hi = 0;

			if (!nsl_law_var_positive(law, j))
				continue;
			for (i = 0; i < n; i++) {
				double v = x[i * nv + j];

				if (v < lo)
					lo = v;
				if (v > hi)
					hi = v;
			}
			if (n > 0 && hi < 10 * lo)
				nsl_buf_addf(warn, "%s%svariable \"%s\" spans "
				    "less than a decade (%g to %g): the fit is "
				    "poorly identified\n", gname, sep,
				    law->vars[j], lo, hi);
		}
}

/* The warning lines of a fit's degeneracies and convergence. */
static void
health_warnings(const struct nsl_fitrec *f, const struct nsl_group *g,
    double stat, struct nsl_buf *warn)
{
	const struct nsl_law *law = f->law;
	const char *gname = g->key != NULL ? g->key : "";
	const char *sep = g->key != NULL ? ": " : "";
	double p[NSL_LAW_MAX_PARAMS];
	size_t i, j;

	nsl_law_to_report(law, f->theta, p);
	for (i = 0; i < f->ndegen; i++) {
		const struct nsl_degen *d = &f->degen[i];
		size_t k = d->params[0];

		nsl_buf_addf(warn, "%s%sdegenerate fit: ", gname, sep);
		switch (d->reason) {
		case NSL_DEGEN_BOUND:
			nsl_buf_addf(warn, "parameter %s sits at its bound 0 "
			    "(%g): its term vanishes\n", law->params[k], p[k]);
			break;
		case NSL_DEGEN_RANGE:
			nsl_buf_addf(warn, "parameter %s = %g is outside its "
			    "plausible range [%g, %g]\n", law->params[k], p[k],
			    law->pmin[k], law->pmax[k]);
			break;
		default:
			nsl_buf_addf(warn, "flat direction in");
			for (j = 0; j < d->nparams; j++)
				nsl_buf_addf(warn, "%s %s", j ? "," : "",
				    law->params[d->params[j]]);
			nsl_buf_addf(warn, " (the data do not determine "
			    "%s)\n", d->nparams > 1 ? "them" : "it");
		}
	}
	if (!f->converged)
		nsl_buf_addf(warn, "%s%sthe fit did not converge (stationarity "
		    "%.2g, want <= %g): the objective may not be at a minimum\n",
		    gname, sep, stat, NSL_OPTIM_STATIONARY);
}

int
nsl_fit_group(const struct nsl_law *law, const struct nsl_group *g,
    const struct nsl_fit_opts *o, struct nsl_fitrec *out,
    struct nsl_buf *warn, struct nsl_err *err)
{
	size_t nv = law->nvars, np = law->np, i, j, nt = 0, nh = 0, nfree = 0;
	double *xt = NULL, *yt = NULL, *wt = NULL, *xh = NULL, *yh = NULL;
	size_t *ct = NULL;
	struct nsl_problem pb;
	struct nsl_optim_info info;
	double fixrep[NSL_LAW_MAX_PARAMS], rep[NSL_LAW_MAX_PARAMS];
	int ret = -1;

	nsl_err_clear(err);
	out->law = nsl_law_copy(law, err);
	if (out->law == NULL)
		return -1;
	xt = malloc((g->n + 1) * nv * sizeof(double));
	xh = malloc((g->n + 1) * nv * sizeof(double));
	yt = malloc((g->n + 1) * sizeof(double));
	yh = malloc((g->n + 1) * sizeof(double));
	wt = malloc((g->n + 1) * sizeof(double));
	ct = malloc((g->n + 1) * sizeof(size_t));
	if (!xt || !xh || !yt || !yh || !wt || !ct) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < g->n; i++) {
		if (g->held[i]) {
			memcpy(xh + nh * nv, g->x + i * nv, nv * sizeof(double));
			yh[nh++] = g->y[i];
		} else {
			memcpy(xt + nt * nv, g->x + i * nv, nv * sizeof(double));
			yt[nt] = g->y[i];
			wt[nt] = g->w[i];
			ct[nt++] = g->cluster[i];
		}
	}
	for (i = 0; i < np; i++) {
		out->fixed[i] = o->fixed != NULL && o->fixed[i];
		nfree += !out->fixed[i];
		fixrep[i] = out->fixed[i] ? o->fixval[i] : 1;
	}
	if (nt < nfree) {
		nsl_err_set(err, NSL_EX_DATAERR, "%s%s%zu points for %zu free "
		    "parameters of law %s", g->key ? g->key : "",
		    g->key ? ": " : "", nt, nfree, law->name);
		goto out;
	}
	nsl_law_from_report(law, fixrep, out->theta);
	pb.law = law;
	pb.n = nt;
	pb.x = xt;
	pb.y = yt;
	pb.w = wt;
	pb.loss = o->loss;
	pb.delta = o->delta;
	pb.fixed = out->fixed;
	if (nsl_optim_fit_ex(&pb, &o->optim, out->theta, &info, err) != 0) {
		if (g->key != NULL) {
			char m[sizeof(err->msg)];

			memcpy(m, err->msg, sizeof(m));
			nsl_err_set(err, err->code, "%.100s: %.370s", g->key,
			    m);
		}
		goto out;
	}
	/*
	 * A parameter the data leave free (gamma when k = 0) can run off
	 * to infinity in report space: no record for a fit nothing can
	 * read back.
	 */
	nsl_law_to_report(law, out->theta, rep);
	for (i = 0; i < np; i++)
		if (!isfinite(rep[i])) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s%sparameter %s of "
			    "law %s does not converge to a number: the data "
			    "do not determine it", g->key ? g->key : "",
			    g->key ? ": " : "", law->params[i], law->name);
			goto out;
		}
	out->loss = o->loss;
	out->delta = o->delta;
	out->objective = info.f;
	out->converged = info.converged;
	out->ndegen = info.ndegen;
	memcpy(out->degen, info.degen, sizeof(info.degen));
	out->nested_objective = info.nested_f;
	out->n = nt;
	out->k = nfree;
	out->seed = o->seed;
	out->level = o->level;
	nsl_optim_ic(&pb, out->theta, nfree, &out->aic, &out->bic);
	nsl_optim_scores(law, out->theta, xt, yt, nt, &out->fit);
	if (nh > 0) {
		out->has_holdout = 1;
		nsl_optim_scores(law, out->theta, xh, yh, nh, &out->holdout);
	}
	if (o->by != NULL) {
		out->by_field = strdup(o->by);
		out->by_value = strdup(g->key);
		if (out->by_field == NULL || out->by_value == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	if (o->bootstrap > 0) {
		out->samples = malloc(o->bootstrap * np * sizeof(double));
		if (out->samples == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		out->B = o->bootstrap;
		if (nsl_optim_bootstrap(&pb, o->optim.maxiter, out->theta,
		    o->bootstrap, o->cluster ? ct : NULL, g->ncluster, o->seed,
		    out->samples, err) != 0)
			goto out;
		if (o->cluster != NULL &&
		    (out->cluster = strdup(o->cluster)) == NULL) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	for (j = 0; j < nv; j++) {
		out->range[j][0] = INFINITY;
		out->range[j][1] = -INFINITY;
		for (i = 0; i < nt; i++) {
			double v = xt[i * nv + j];

			out->range[j][0] = fmin(out->range[j][0], v);
			out->range[j][1] = fmax(out->range[j][1], v);
		}
	}
	out->has_range = nt > 0;
	identification(law, g, xt, nt, warn);
	health_warnings(out, g, out->converged ? 0 :
	    nsl_optim_stationarity(&pb, out->theta), warn);
	ret = 0;
out:
	free(xt);
	free(xh);
	free(yt);
	free(yh);
	free(wt);
	free(ct);
	return ret;
}


/* --- the job ------------------------------------------------------------ */

void
nsl_fit_init(struct nsl_fit_job *j)
{
	memset(j, 0, sizeof(*j));
	j->breaks = 1;
	j->fo.loss = NSL_LOSS_HUBER;
	j->fo.delta = NSL_OPTIM_DELTA;
	j->fo.level = 0.95;
	j->fo.optim.grid = NSL_OPTIM_GRID;
	j->fo.optim.starts = NSL_OPTIM_STARTS;
	j->fo.optim.maxiter = NSL_OPTIM_MAXITER;
	j->fo.optim.restarts = NSL_OPTIM_RESTARTS;
	j->po.min = j->min;
	nsl_buf_init(&j->warn);
	nsl_buf_init(&j->notes);
}

void
nsl_fit_release(struct nsl_fit_job *j)
{
	size_t i;

	for (i = 0; i < j->nres; i++)
		nsl_fitrec_release(&j->res[i].rec);
	free(j->res);
	j->res = NULL;
	j->nres = 0;
	nsl_buf_release(&j->warn);
	nsl_buf_release(&j->notes);
}

/* Split a copy of "a,b,c" into at most max items; NULL or a message. */
static const char *
split(struct nsl_fit_job *j, const char *arg, const char **out, size_t max,
    size_t *n)
{
	size_t len = strlen(arg) + 1;
	char *t, *save = NULL, *copy = j->args + j->argsused;

	if (len > sizeof(j->args) - j->argsused)
		return "arguments too long";
	memcpy(copy, arg, len);
	j->argsused += len;
	*n = 0;
	for (t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (*n == max) {
			snprintf(j->msg, sizeof(j->msg), "more than %zu items",
			    max);
			return j->msg;
		}
		out[(*n)++] = t;
	}
	return *n == 0 ? "empty list" : NULL;
}

/* NAME=VALUE items of arg, appended to names and values at *n. */
static const char *
name_values(struct nsl_fit_job *j, const char *arg, const char **names,
    double *values, size_t *n)
{
	const char *items[NSL_LAW_MAX_PARAMS];
	char lo[NSL_NUM_BUFSZ], hi[NSL_NUM_BUFSZ], *end;
	const char *m;
	size_t k, i;
	double v;

	if ((m = split(j, arg, items, NSL_LAW_MAX_PARAMS, &k)) != NULL)
		return m;
	for (i = 0; i < k && *n < NSL_LAW_MAX_PARAMS; i++) {
		char *eq = strchr(items[i], '=');

		if (eq == NULL || eq == items[i]) {
			snprintf(j->msg, sizeof(j->msg), "expected NAME=VALUE, "
			    "got '%s'", items[i]);
			return j->msg;
		}
		*eq = '\0';
		errno = 0;
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end != '\0' || isnan(v)) {
			snprintf(j->msg, sizeof(j->msg), "'%s' is not a number",
			    eq + 1);
			return j->msg;
		}
		if (errno == ERANGE && fabs(v) > 1) {
			snprintf(j->msg, sizeof(j->msg), "'%s' is out of range",
			    eq + 1);
			return j->msg;
		}
		if (!(fabs(v) <= 1e308)) {
			nsl_num_format(lo, -1e308);
			nsl_num_format(hi, 1e308);
			snprintf(j->msg, sizeof(j->msg), "%s is outside [%s, %s]",
			    eq + 1, lo, hi);
			return j->msg;
		}
		names[*n] = items[i];
		values[(*n)++] = v;
	}
	return NULL;
}

const char *
nsl_fit_arg(struct nsl_fit_job *j, enum nsl_fit_arg which, const char *arg)
{
	struct nsl_err err;
	struct nsl_cond *c;

	switch (which) {
	case NSL_FIT_ARG_LAW:
		return split(j, arg, j->laws, NSL_FIT_MAX_LAWS, &j->nlaws);
	case NSL_FIT_ARG_X:
		return split(j, arg, j->xs, NSL_LAW_MAX_VARS, &j->nx);
	case NSL_FIT_ARG_PARAM:
		j->np = 0;
		return name_values(j, arg, j->pnames, j->pstart, &j->np);
	case NSL_FIT_ARG_FIX:
		return name_values(j, arg, j->fixn, j->fixv, &j->nfix);
	case NSL_FIT_ARG_HOLDOUT:
	case NSL_FIT_ARG_MIN:
		if (which == NSL_FIT_ARG_MIN && j->po.nmin == NSL_FIT_MAX_MIN)
			return "at most 32";
		c = which == NSL_FIT_ARG_MIN ? &j->min[j->po.nmin++] :
		    &j->holdout;
		if (nsl_cond_parse(c, arg, which == NSL_FIT_ARG_MIN ?
		    NSL_CMP_GE : -1, &err) != 0) {
			snprintf(j->msg, sizeof(j->msg), "%s", err.msg);
			return j->msg;
		}
		if (which == NSL_FIT_ARG_HOLDOUT)
			j->holdout_text = arg;
		return NULL;
	}
	return "unknown option";
}

/* Law li of the job with its fields, or NULL with err. */
static struct nsl_law *
make_law(const struct nsl_fit_job *j, size_t li, struct nsl_err *err)
{
	struct nsl_law *l;
	size_t i;

	if (j->formula != NULL)
		l = nsl_law_formula(j->formula, j->pnames, j->pstart, j->np,
		    j->xs, j->nx, err);
	else
		l = nsl_law_new(j->laws[li], j->breaks, err);
	if (l == NULL)
		return NULL;
	if (j->formula == NULL && j->nx == l->nvars)
		for (i = 0; i < j->nx; i++)
			if (nsl_law_set_var(l, i, j->xs[i]) != 0)
				goto nomem;
	if (j->y != NULL && nsl_law_set_y(l, j->y) != 0)
		goto nomem;
	return l;
nomem:
	nsl_law_free(l);
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return NULL;
}

/*
 * --fix and --param for law l: the fixed flags and values, the start (or
 * NULL).  A --fix of a parameter the law lacks is skipped when several
 * laws are fitted (it is meant for another).  NULL or a message.
 */
static const char *
resolve(struct nsl_fit_job *j, const struct nsl_law *l, unsigned char *fixed,
    double *fixval, double *start, int *has_start)
{
	size_t i;

	memset(fixed, 0, NSL_LAW_MAX_PARAMS);
	for (i = 0; i < j->nfix; i++) {
		long k = nsl_law_param_index(l, j->fixn[i]);

		if (k < 0 && j->nlaws == 1) {
			snprintf(j->msg, sizeof(j->msg), "--fix: law %s has no "
			    "parameter '%s'", l->name, j->fixn[i]);
			return j->msg;
		}
		if (k < 0)
			continue;
		if (nsl_law_param_is_log(l, (size_t)k) && !(j->fixv[i] > 0)) {
			snprintf(j->msg, sizeof(j->msg), "--fix: %s must be "
			    "positive", j->fixn[i]);
			return j->msg;
		}
		fixed[k] = 1;
		fixval[k] = j->fixv[i];
	}
	*has_start = 0;
	if (j->formula != NULL || j->np == 0)
		return NULL;
	for (i = 0; i < l->np; i++)
		start[i] = NAN;
	for (i = 0; i < j->np; i++) {
		long k = nsl_law_param_index(l, j->pnames[i]);

		if (k < 0) {
			snprintf(j->msg, sizeof(j->msg), "--param: law %s has no "
			    "parameter '%s'", l->name, j->pnames[i]);
			return j->msg;
		}
		if (nsl_law_param_is_log(l, (size_t)k) && !(j->pstart[i] > 0)) {
			snprintf(j->msg, sizeof(j->msg), "--param: %s must be "
			    "positive", j->pnames[i]);
			return j->msg;
		}
		start[k] = j->pstart[i];
	}
	*has_start = 1;
	return NULL;
}

const char *
nsl_fit_check(struct nsl_fit_job *j)
{
	unsigned char fixed[NSL_LAW_MAX_PARAMS];
	double fixval[NSL_LAW_MAX_PARAMS], start[NSL_LAW_MAX_PARAMS];
	struct nsl_err err;
	const char *m;
	size_t li;
	int has;

	if (j->formula != NULL && j->nlaws > 0)
		return "--formula and --law exclude each other";
	if (j->formula != NULL && j->np == 0)
		return "--formula needs --param NAME=START,...";
	if (j->formula == NULL && j->np > 0 && j->nlaws > 1)
		return "--param goes with --formula or one --law";
	if (j->po.cluster != NULL && j->fo.bootstrap == 0)
		return "--cluster goes with --bootstrap";
	if (j->formula != NULL)
		j->nlaws = 1;
	if (j->nlaws == 0)
		j->laws[j->nlaws++] = "chinchilla";
	if (j->formula != NULL && j->nx == 0)
		return "--formula needs --x FIELDS";
	for (li = 0; li < j->nlaws; li++) {
		struct nsl_law *l = make_law(j, li, &err);

		if (l == NULL)
			return NULL;	/* nsl_fit_run says why, in turn */
		m = NULL;
		if (j->formula == NULL && j->nx > 0 && j->nx != l->nvars) {
			snprintf(j->msg, sizeof(j->msg), "--x: law %s takes %zu "
			    "variables", l->name, l->nvars);
			m = j->msg;
		}
		if (m == NULL)
			m = resolve(j, l, fixed, fixval, start, &has);
		nsl_law_free(l);
		if (m != NULL)
			return m;
	}
	return NULL;
}

/*
 * A --holdout that holds out nothing would leave the fit records without
 * the "holdout" asked for: an error when no group has a point to hold
 * out, a note naming each group without one.
 */
static int
check_holdout(struct nsl_fit_job *j, const struct nsl_points *pts,
    const char *in, struct nsl_err *err)
{
	size_t gi, total = 0;

	for (gi = 0; gi < pts->ng; gi++)
		total += pts->g[gi].nmatch;
	if (total == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "--holdout '%s' matches no "
		    "record%s", j->holdout_text, j->po.nmin > 0 ||
		    j->po.drop_top > 0 ? " kept by --min and --drop-top" : "");
		nsl_err_at(err, in, 0);
		return -1;
	}
	for (gi = 0; gi < pts->ng; gi++)
		if (pts->g[gi].nmatch == 0)
			nsl_buf_addf(&j->notes, "group %s: --holdout '%s' "
			    "matches no record: its fit has no \"holdout\"\n",
			    pts->g[gi].key, j->holdout_text);
	return 0;
}

/* One law over every group of the records of r. */
static int
fit_law(struct nsl_fit_job *j, size_t li, struct nsl_reader *r,
    struct nsl_err *err)
{
	unsigned char fixed[NSL_LAW_MAX_PARAMS];
	double fixval[NSL_LAW_MAX_PARAMS], start[NSL_LAW_MAX_PARAMS];
	struct nsl_points_opts po = j->po;
	struct nsl_points pts;
	struct nsl_law *law;
	struct nsl_fit_result *res;
	size_t gi;
	int has_start, ret = -1;

	if ((law = make_law(j, li, err)) == NULL)
		return -1;
	if (resolve(j, law, fixed, fixval, start, &has_start) != NULL) {
		nsl_err_set(err, NSL_EX_USAGE, "%s", j->msg);
		nsl_law_free(law);
		return -1;
	}
	j->fo.fixed = fixed;
	j->fo.fixval = fixval;
	j->fo.optim.start = has_start ? start : NULL;
	po.law = law;
	po.y = law->yname;
	po.holdout = j->holdout_text != NULL ? &j->holdout : NULL;
	nsl_points_init(&pts, &po);
	if (nsl_points_read(&pts, r, err) != 0 ||
	    nsl_points_finish(&pts, j->fo.loss, err) != 0)
		goto out;
	if (pts.ng == 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		nsl_err_at(err, nsl_reader_name(r), 0);
		goto out;
	}
	if (li == 0 && j->holdout_text != NULL &&
	    check_holdout(j, &pts, nsl_reader_name(r), err) != 0)
		goto out;
	res = realloc(j->res, (j->nres + pts.ng) * sizeof(*res));
	if (res == NULL) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	j->res = res;
	for (gi = 0; gi < pts.ng; gi++) {
		struct nsl_fit_result *rs = &j->res[j->nres++];

		nsl_fitrec_init(&rs->rec);
		rs->group = gi;
		if (nsl_fit_group(law, &pts.g[gi], &j->fo, &rs->rec, &j->warn,
		    err) != 0)
			goto out;
	}
	ret = 0;
out:
	j->fo.fixed = NULL;
	j->fo.fixval = NULL;
	j->fo.optim.start = NULL;
	nsl_points_release(&pts);
	nsl_law_free(law);
	return ret;
}

/* Several laws read the input several times: a copy of standard input. */
static FILE *
copy_stdin(struct nsl_err *err)
{
	char buf[65536];
	size_t n;
	FILE *tmp;

	if ((tmp = tmpfile()) == NULL) {
		nsl_err_set(err, NSL_EX_IOERR, "cannot make a temporary file");
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, tmp) != n) {
			nsl_err_set(err, NSL_EX_IOERR, "temporary file: write "
			    "failed");
			fclose(tmp);
			return NULL;
		}
	fflush(tmp);
	return tmp;
}

int
nsl_fit_run(struct nsl_fit_job *j, const char *in, struct nsl_err *err)
{
	const char *in_name = strcmp(in, "-") == 0 ? "<stdin>" : in;
	char tmpname[64];
	FILE *tmp = NULL;
	size_t li;
	int ret = -1;

	nsl_err_clear(err);
	j->fo.optim.seed = j->fo.seed;
	j->fo.by = j->po.by;
	j->fo.cluster = j->po.cluster;
	if (j->nlaws > 1 && strcmp(in, "-") == 0) {
		if ((tmp = copy_stdin(err)) == NULL)
			return -1;
		snprintf(tmpname, sizeof(tmpname), "/dev/fd/%d", fileno(tmp));
		in = tmpname;
	}
	for (li = 0; li < j->nlaws; li++) {
		struct nsl_reader *r;
		int rc;

		if ((r = nsl_reader_open(in, err)) == NULL ||
		    (tmp != NULL && nsl_reader_set_name(r, in_name) != 0)) {
			if (r != NULL)
				nsl_reader_close(r);
			goto out;
		}
		rc = fit_law(j, li, r, err);
		nsl_reader_close(r);
		if (rc != 0)
			goto out;
	}
	ret = 0;
out:
	if (tmp != NULL)
		fclose(tmp);
	return ret;
}

static int
by_group_aic(const void *a, const void *b)
{
	const struct nsl_fit_result *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->rec.aic > y->rec.aic) - (x->rec.aic < y->rec.aic);
}

int
nsl_fit_write(struct nsl_fit_job *j, struct nsl_writer *w,
    struct nsl_err *err)
{
	struct nsl_buf out = NSL_BUF_INIT;
	size_t i;
	int ret = -1;

	qsort(j->res, j->nres, sizeof(*j->res), by_group_aic);
	for (i = 0; i < j->nres; i++) {
		nsl_buf_reset(&out);
		nsl_fitrec_write(&j->res[i].rec, &out, NSL_NUM_DOUBLE);
		if (nsl_buf_failed(&out)) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (nsl_writer_write(w, out.data, out.len, err) != 0)
			goto out;
	}
	ret = 0;
out:
	nsl_buf_release(&out);
	return ret;
}
