/*
 * fuzz_fit.c - libFuzzer target of nsl-fit's options and records, and of
 * nsl-extrapolate on the fits (see fuzz.h for the input and the common
 * checks).
 *
 * The options are mapped as tools/nsl-fit.c maps them: a named law or a
 * --formula (the expression parser) with --param, --x, --y, --loss,
 * --delta, --weight-field, --by, --cluster with --bootstrap (at most 3),
 * --level, --holdout and --min tests (the condition parser),
 * --holdout-largest, --drop-top, --fix, --breaks; the optimiser's budget
 * is cut (grid 32, one start, 30 iterations) to keep inputs fast.
 * Invariants checked: failures are 64 or 65; every fit record is strict
 * JSON that nsl_fitrec_parse reads back, with the same law and
 * parameters; predictions and --solve on the parsed record fail, if at
 * all, with 65.
 */
#include <math.h>

#include "fuzz.h"
#include "nsl/buf.h"
#include "nsl/fit.h"

#define FZ_MAXL 8

/* Split a comma list into up to max items (in place). */
static size_t
fz_split(char *s, char **out, size_t max)
{
	char *save = NULL, *t;
	size_t n = 0;

	for (t = strtok_r(s, ",", &save); t != NULL; t = strtok_r(NULL, ",",
	    &save)) {
		if (n == max)
			return (size_t)-1;
		out[n++] = t;
	}
	return n;
}

/* "NAME=VALUE" in place; -1 when malformed (a usage error). */
static int
fz_name_value(char *item, char **name, double *v)
{
	char *eq = strchr(item, '=');

	if (eq == NULL || eq == item)
		return -1;
	*eq = '\0';
	*name = item;
	return fz_num(eq + 1, -1e308, 1e308, v);
}

/* A fit record: strict, read back alike; then predict and solve. */
static void
check_record(const struct nsl_fitrec *f, const struct nsl_buf *b,
    const double *x0, double y0)
{
	struct nsl_fitrec g;
	struct nsl_rec rec;
	struct nsl_err err;
	double p[NSL_LAW_MAX_PARAMS], q[NSL_LAW_MAX_PARAMS];
	double x[NSL_LAW_MAX_VARS];
	double y, lo, hi, out[3];
	size_t i, len = b->len;
	int bad;

	if (len == 0 || b->data[len - 1] != '\n')
		FUZZ_FAIL("fit: record without a newline");
	fz_strict_line(b->data, len - 1, "fit");
	nsl_rec_init(&rec, 0);
	nsl_fitrec_init(&g);
	bad = nsl_rec_parse(&rec, b->data, len - 1, &err) != 0 ||
	    nsl_fitrec_parse(&g, &rec, &err) != 0;
	if (bad)
		FUZZ_FAIL("fit: nsl-fit's record does not read back (%s): "
		    "%.300s", err.msg, b->data);
	if (strcmp(g.law->name, f->law->name) != 0 ||
	    g.law->np != f->law->np || g.law->nvars != f->law->nvars)
		FUZZ_FAIL("fit: the record reads back as another law");
	nsl_law_to_report(f->law, f->theta, p);
	nsl_law_to_report(g.law, g.theta, q);
	for (i = 0; i < f->law->np; i++)
		if (isfinite(p[i]) && fabs(q[i] - p[i]) >
		    1e-12 * fabs(p[i]) + 1e-300)
			FUZZ_FAIL("fit: parameter %s reads back as %.17g, "
			    "not %.17g", f->law->params[i], q[i], p[i]);
	if (g.B != f->B || g.has_range != f->has_range)
		FUZZ_FAIL("fit: bootstrap or range lost on reading back");
	memcpy(x, x0, g.law->nvars * sizeof(double));
	nsl_fitrec_predict(&g, x, g.level, &y, &lo, &hi);
	nsl_err_clear(&err);
	if (!(g.law->def->flags & NSL_LAWF_CURVE) && isfinite(y0) &&
	    nsl_fitrec_solve(&g, x, 0, y0, g.level, out, &err) != 0 &&
	    err.code != NSL_EX_DATAERR)
		FUZZ_FAIL("fit: --solve fails with %d: %s", err.code, err.msg);
	nsl_rec_release(&rec);
	nsl_fitrec_release(&g);
}

static void
fuzz_fit(const uint8_t *data, size_t size)
{
	struct nsl_fit_opts fo;
	struct nsl_points_opts po;
	struct nsl_points pts;
	struct nsl_cond min[4], holdout;
	struct nsl_reader *r = NULL;
	struct nsl_law *law = NULL;
	struct nsl_buf out = NSL_BUF_INIT, warn = NSL_BUF_INIT;
	struct nsl_err err;
	struct fz z;
	char *laws[FZ_MAXL], *xs[NSL_LAW_MAX_VARS], *pn[NSL_LAW_MAX_PARAMS];
	char *fixn[NSL_LAW_MAX_PARAMS], *items[NSL_LAW_MAX_PARAMS];
	double pstart[NSL_LAW_MAX_PARAMS], fixv[NSL_LAW_MAX_PARAMS];
	double fixval[NSL_LAW_MAX_PARAMS], zero[NSL_LAW_MAX_VARS] = { 0 };
	unsigned char fixed[NSL_LAW_MAX_PARAMS];
	const char *formula = NULL, *y = NULL, *v;
	size_t nlaws = 0, nx = 0, np = 0, nfix = 0, nmin = 0, i, j, gi, li;
	int has_holdout = 0, pts_ok = 0, breaks = 1, nonfinite = 0, loss;
	double d;

	if (fz_open(&z, data, size) != 0)
		return;
	memset(&fo, 0, sizeof(fo));
	memset(&po, 0, sizeof(po));
	fo.loss = NSL_LOSS_HUBER;
	fo.delta = NSL_OPTIM_DELTA;
	fo.level = 0.95;
	fo.optim.grid = 32;
	fo.optim.starts = 1;
	fo.optim.maxiter = 30;
	nsl_err_clear(&err);
	for (i = 0; i < (size_t)z.argc; i++) {
		int k = (int)i;

		if ((v = fz_val(&z, &k, "--law")) != NULL) {
			nlaws = fz_split(z.argv[k], laws, FZ_MAXL);
			if (nlaws == 0 || nlaws == (size_t)-1)
				goto out;
		} else if ((v = fz_val(&z, &k, "--formula")) != NULL) {
			formula = v;
		} else if ((v = fz_val(&z, &k, "--param")) != NULL) {
			np = fz_split(z.argv[k], items, NSL_LAW_MAX_PARAMS);
			if (np == 0 || np == (size_t)-1)
				goto out;
			for (j = 0; j < np; j++)
				if (fz_name_value(items[j], &pn[j],
				    &pstart[j]) != 0)
					goto out;
		} else if ((v = fz_val(&z, &k, "--x")) != NULL) {
			nx = fz_split(z.argv[k], xs, NSL_LAW_MAX_VARS);
			if (nx == 0 || nx == (size_t)-1)
				goto out;
		} else if ((v = fz_val(&z, &k, "--y")) != NULL) {
			y = v;
		} else if ((v = fz_val(&z, &k, "--loss")) != NULL) {
			if ((loss = nsl_loss_parse(v)) < 0)
				goto out;
			fo.loss = (enum nsl_loss)loss;
		} else if ((v = fz_val(&z, &k, "--delta")) != NULL) {
			if (fz_num(v, 1e-300, 1e300, &fo.delta) != 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--weight-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			po.weight = v;
		} else if ((v = fz_val(&z, &k, "--by")) != NULL) {
			po.by = v;
		} else if ((v = fz_val(&z, &k, "--bootstrap")) != NULL) {
			if (fz_num(v, 1, 3, &d) != 0 || d != floor(d))
				goto out;
			fo.bootstrap = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--cluster")) != NULL) {
			po.cluster = v;
		} else if ((v = fz_val(&z, &k, "--level")) != NULL) {
			if (fz_num(v, 0, 1, &fo.level) != 0 || fo.level == 0 ||
			    fo.level == 1)
				goto out;
		} else if ((v = fz_val(&z, &k, "--holdout")) != NULL) {
			if (nsl_cond_parse(&holdout, v, -1, &err) != 0) {
				fz_err(&err, "fit: --holdout");
				goto out;
			}
			has_holdout = 1;
		} else if ((v = fz_val(&z, &k, "--holdout-largest")) != NULL) {
			po.holdout_largest = v;
		} else if ((v = fz_val(&z, &k, "--min")) != NULL) {
			if (nmin == 4)
				goto out;
			if (nsl_cond_parse(&min[nmin++], v, NSL_CMP_GE,
			    &err) != 0) {
				fz_err(&err, "fit: --min");
				goto out;
			}
		} else if ((v = fz_val(&z, &k, "--drop-top")) != NULL) {
			if (fz_num(v, 0, 1e9, &d) != 0 || d != floor(d))
				goto out;
			po.drop_top = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--fix")) != NULL) {
			size_t n = fz_split(z.argv[k], items,
			    NSL_LAW_MAX_PARAMS);

			if (n == (size_t)-1)
				goto out;
			for (j = 0; j < n && nfix < NSL_LAW_MAX_PARAMS; j++) {
				if (fz_name_value(items[j], &fixn[nfix],
				    &fixv[nfix]) != 0)
					goto out;
				nfix++;
			}
		} else if ((v = fz_val(&z, &k, "--breaks")) != NULL) {
			if (fz_num(v, 1, NSL_LAW_MAX_BREAKS, &d) != 0 ||
			    d != floor(d))
				goto out;
			breaks = (int)d;
		} else if (strcmp(z.argv[i], "--allow-nonfinite") == 0) {
			nonfinite = 1;
		} else
			goto out;
		i = (size_t)k;
	}
	/* the tool's checks (tools/nsl-fit.c) */
	if (formula != NULL && nlaws > 0)
		goto out;
	if ((formula != NULL) != (np > 0))
		goto out;
	if (po.cluster != NULL && fo.bootstrap == 0)
		goto out;
	if (formula != NULL) {
		if (nx == 0)
			goto out;
		nlaws = 1;
	}
	if (nlaws == 0)
		laws[nlaws++] = "chinchilla";
	/* the writers' check, as the tool's option parsing sets it */
	nsl_json_allow_nonfinite(nonfinite);
	fo.by = po.by;
	fo.cluster = po.cluster;
	for (li = 0; li < nlaws; li++) {
		if (formula != NULL)
			law = nsl_law_formula(formula, (const char *const *)pn,
			    pstart, np, (const char *const *)xs, nx, &err);
		else
			law = nsl_law_new(laws[li], breaks, &err);
		if (law == NULL) {
			fz_err(&err, "fit: law");
			goto out;
		}
		if (nx > 0 && formula == NULL) {
			if (nx != law->nvars)
				goto out;
			for (j = 0; j < nx; j++)
				if (nsl_law_set_var(law, j, xs[j]) != 0)
					FUZZ_FAIL("fit: out of memory");
		}
		if (y != NULL && nsl_law_set_y(law, y) != 0)
			FUZZ_FAIL("fit: out of memory");
		memset(fixed, 0, sizeof(fixed));
		for (j = 0; j < nfix; j++) {
			long kk = nsl_law_param_index(law, fixn[j]);

			if (kk < 0 && nlaws == 1)
				goto out;
			if (kk < 0)
				continue;
			if (nsl_law_param_is_log(law, (size_t)kk) &&
			    !(fixv[j] > 0))
				goto out;
			fixed[kk] = 1;
			fixval[kk] = fixv[j];
		}
		fo.fixed = fixed;
		fo.fixval = fixval;
		po.law = law;
		po.y = law->yname;
		po.min = min;
		po.nmin = nmin;
		po.holdout = has_holdout ? &holdout : NULL;
		po.rec_flags = nonfinite ? NSL_REC_ALLOW_NONFINITE : 0;
		if ((r = nsl_reader_open(z.in, &err)) == NULL)
			FUZZ_FAIL("fit: cannot open %s", z.in);
		nsl_points_init(&pts, &po);
		pts_ok = 1;
		if (nsl_points_read(&pts, r, &err) != 0 ||
		    nsl_points_finish(&pts, fo.loss, &err) != 0) {
			fz_err(&err, "fit: points");
			goto out;
		}
		nsl_reader_close(r);
		r = NULL;
		for (gi = 0; gi < pts.ng; gi++) {
			struct nsl_fitrec rec;
			const struct nsl_group *g = &pts.g[gi];

			nsl_fitrec_init(&rec);
			nsl_buf_reset(&warn);
			if (nsl_fit_group(law, g, &fo, &rec, &warn, &err) != 0) {
				fz_err(&err, "fit: fitting");
				nsl_fitrec_release(&rec);
				continue;
			}
			nsl_buf_reset(&out);
			nsl_fitrec_write(&rec, &out, NSL_NUM_DOUBLE);
			if (nsl_buf_failed(&out))
				FUZZ_FAIL("fit: out of memory");
			check_record(&rec, &out, g->n > 0 ? g->x : zero,
			    g->n > 0 ? g->y[0] : NAN);
			nsl_fitrec_release(&rec);
		}
		nsl_points_release(&pts);
		pts_ok = 0;
		nsl_law_free(law);
		law = NULL;
	}
out:
	if (r != NULL)
		nsl_reader_close(r);
	if (pts_ok)
		nsl_points_release(&pts);
	nsl_law_free(law);
	nsl_buf_release(&out);
	nsl_buf_release(&warn);
	fz_close(&z);
}

#ifndef FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_fit(data, size);
	return 0;
}
#endif
