/*
 * nsl-extrapolate - predictions, inversions and compute-optimal
 * allocations from an nsl-fit record, for query records.
 *
 * The work is in lib/fitrec.c (nsl_fitrec_parse, _predict, _solve,
 * _optimal) over lib/laws.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/fitrec.h"
#include "nsl/io.h"
#include "nsl/labels.h"

enum {
	OPT_FIT = 1, OPT_LEVEL, OPT_SOLVE, OPT_TARGET, OPT_OPTIMAL,
	OPT_FLOPS, OPT_SCORE, OPT_PRED, OPT_CFIELD
};

static const struct option longopts[] = {
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "solve", required_argument, NULL, OPT_SOLVE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "compute-optimal", no_argument, NULL, OPT_OPTIMAL },
	{ "flops-per-param-token", required_argument, NULL, OPT_FLOPS },
	{ "compute-field", required_argument, NULL, OPT_CFIELD },
	{ "score", no_argument, NULL, OPT_SCORE },
	{ "pred-field", required_argument, NULL, OPT_PRED },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-extrapolate [-hqV] --fit FILE [--level L] [--pred-field F]\n"
"                       [--score] [--solve FIELD --target Y]\n"
"                       [--compute-optimal [--compute-field F]\n"
"                       [--flops-per-param-token K]] [-o FILE] [file]\n"
"\n"
"Read a fit record written by nsl-fit and add predictions to the query\n"
"records (standard input or file).\n"
"\n"
"  --fit FILE         the fit record(s); with several (nsl-fit --by), each\n"
"                     query uses the one whose \"by\" value it carries\n"
"  --level L          interval level when the fit has bootstrap samples,\n"
"                     0 < L < 1 (default the fit's): adds F_lo and F_hi\n"
"  --pred-field F     the prediction's field (default pred)\n"
"  --score            queries carry the measured y: add rel_error and print\n"
"                     n, ARE, RMSLE and max relative error to stderr\n"
"  --solve FIELD      set FIELD (a variable of the law) to the value that\n"
"  --target Y         reaches y = Y, with FIELD_lo and FIELD_hi\n"
"  --compute-optimal  chinchilla fits: add N_opt, D_opt, L_opt (with _lo,\n"
"                     _hi) at compute C = K N D\n"
"  --compute-field F  the compute field (default C)\n"
"  --flops-per-param-token K  (default 6)\n"
"  -o, --output FILE  write FILE atomically\n"
"  -q, --quiet        no score summary\n"
"  -h, --help         this help\n"
"  -V, --version      the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open\n"
"an input, 74 I/O error.\n");
}

static const struct nsl_tool tool = {
	.name = "extrapolate",
	.summary = "predict from a fit: intervals, inversion, compute-optimal",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_NONFINITE
};

struct fits {
	struct nsl_fitrec *f;
	size_t n;
};

static void
read_fits(const char *path, struct fits *fs, unsigned flags)
{
	struct nsl_err err;
	struct nsl_reader *r = nsl_reader_open(path, &err);
	struct nsl_rec rec;
	int rc;

	if (r == NULL)
		nsl_die_err(&err);
	nsl_rec_init(&rec, flags);
	while ((rc = nsl_rec_read(r, &rec, &err)) == 1) {
		struct nsl_fitrec *f;

		fs->f = realloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
		if (fs->f == NULL)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		f = &fs->f[fs->n++];
		nsl_fitrec_init(f);
		nsl_err_clear(&err);
		if (nsl_fitrec_parse(f, &rec, &err) != 0) {
			nsl_err_at(&err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			nsl_die_err(&err);
		}
	}
	if (rc < 0)
		nsl_die_err(&err);
	if (fs->n == 0)
		nsl_die(NSL_EX_DATAERR, "%s: no fit record", path);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
}

/*
 * The fit for a query: the only one, or the one whose "by" value equals
 * the query's value of that field (nsl/labels.h: 2 matches 2.0).
 */
static const struct nsl_fitrec *
pick(const struct fits *fs, const struct nsl_rec *q, struct nsl_buf *key,
    struct nsl_err *err)
{
	size_t i;
	long k;

	if (fs->n == 1)
		return &fs->f[0];
	for (i = 0; i < fs->n; i++) {
		const struct nsl_fitrec *f = &fs->f[i];

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

static void
add_num(struct nsl_obj *o, const char *key, const char *suffix, double v)
{
	struct nsl_buf name = NSL_BUF_INIT;

	nsl_buf_adds(&name, key);
	nsl_buf_adds(&name, suffix);
	if (nsl_buf_failed(&name))
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	nsl_obj_key(o, name.data);
	nsl_buf_release(&name);
	if (isfinite(v))
		nsl_obj_number(o, v);
	else
		nsl_obj_null(o);
}

int
main(int argc, char **argv)
{
	const char *fitpath = NULL, *solve = NULL, *in = "-", *pred = "pred";
	const char *cfield = "C";
	double level = NAN, target = NAN, kflops = 6;
	double sum_are = 0, sum_sle = 0, max_rel = 0;
	size_t nscore = 0;
	int ch, optimal = 0, score = 0, has_target = 0;
	struct fits fs = { NULL, 0 };
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_reader *r;
	struct nsl_writer *w;
	struct nsl_rec rec;
	struct nsl_buf out = NSL_BUF_INIT, key = NSL_BUF_INIT;
	double s1 = 0, s2 = 0, m = 0, prevstep = 0, prevlr = NAN;

	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_FIT: fitpath = optarg; break;
		case OPT_LEVEL:
			level = nsl_arg_double_in("--level", optarg, 0, 1,
			    NSL_ARG_OPEN);
			break;
		case OPT_SOLVE: solve = optarg; break;
		case OPT_TARGET:
			target = nsl_arg_double("--target", optarg, -1e308,
			    1e308);
			has_target = 1;
			break;
		case OPT_OPTIMAL: optimal = 1; break;
		case OPT_FLOPS:
			kflops = nsl_arg_double("--flops-per-param-token",
			    optarg, 1e-300, 1e300);
			break;
		case OPT_CFIELD: cfield = optarg; break;
		case OPT_SCORE: score = 1; break;
		case OPT_PRED: pred = optarg; break;
		}
	}
	if (fitpath == NULL)
		nsl_usage_error("--fit FILE is required");
	if ((solve != NULL) != has_target)
		nsl_usage_error("--solve and --target go together");
	if (solve != NULL && optimal)
		nsl_usage_error("--solve and --compute-optimal exclude each "
		    "other");
	if (argc - optind > 1)
		nsl_usage_error("one input file at most");
	if (*pred == '\0')
		nsl_usage_error("--pred-field: empty name");
	if (score && strcmp(pred, "rel_error") == 0)
		nsl_usage_error("--pred-field rel_error: --score writes that "
		    "field");
	if (optind < argc)
		in = argv[optind];
	read_fits(fitpath, &fs, cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	if ((r = nsl_reader_open(in, &err)) == NULL)
		nsl_die_err(&err);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	nsl_rec_init(&rec, cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	while (nsl_rec_read(r, &rec, &err) == 1) {
		const struct nsl_fitrec *f = pick(&fs, &rec, &key, &err);
		const struct nsl_law *law;
		double x[NSL_LAW_MAX_VARS], v3[3], opt[3][3], yv;
		double lv;
		long sk = -1;
		size_t j;
		struct nsl_obj o;
		const char *skip[1];

		if (f == NULL)
			goto bad;
		law = f->law;
		lv = isnan(level) ? f->level : level;
		if (solve != NULL) {
			for (j = 0; j < law->nvars; j++)
				if (strcmp(law->vars[j], solve) == 0)
					sk = (long)j;
			if (sk < 0)
				nsl_usage_error("--solve: \"%s\" is not a "
				    "variable of the fit (law %s)", solve,
				    law->name);
		}
		for (j = 0; j < law->nvars && !optimal; j++) {
			long k;

			if ((long)j == sk) {
				x[j] = 1;
				continue;
			}
			if ((k = nsl_rec_require(&rec, law->vars[j], &err)) < 0 ||
			    nsl_rec_number(&rec, (size_t)k, &x[j], &err) != 0)
				goto bad;
		}
		if ((law->def->flags & NSL_LAWF_CURVE) && !optimal) {
			/* the queries are one schedule, in order */
			double k = x[0] - prevstep, d, lk;

			if (isnan(prevlr))
				prevlr = x[1];
			if (!(k > 0)) {
				nsl_err_set(&err, NSL_EX_DATAERR, "lr-anneal: "
				    "steps must increase");
				goto bad;
			}
			d = prevlr - x[1];
			lk = pow(0.999, k);
			s1 += k * x[1];
			s2 += (0.999 * m + d) * (1 - lk) / (1 - 0.999);
			m = (0.999 * m + d) * lk / 0.999;
			prevstep = x[0];
			prevlr = x[1];
			x[0] = s1;
			x[1] = s2;
		}
		nsl_buf_reset(&out);
		nsl_obj_begin(&o, &out);
		skip[0] = solve;
		nsl_obj_copy_except(&o, &rec, skip, solve != NULL);
		if (optimal) {
			long k = nsl_rec_require(&rec, cfield, &err);
			double C;

			if (k < 0 || nsl_rec_number(&rec, (size_t)k, &C,
			    &err) != 0)
				goto bad;
			if (nsl_fitrec_optimal(f, C, kflops, lv, opt, &err) != 0)
				goto bad;
			add_num(&o, "N_opt", "", opt[0][0]);
			add_num(&o, "D_opt", "", opt[1][0]);
			add_num(&o, "L_opt", "", opt[2][0]);
			if (f->B > 0) {
				add_num(&o, "N_opt", "_lo", opt[0][1]);
				add_num(&o, "N_opt", "_hi", opt[0][2]);
				add_num(&o, "D_opt", "_lo", opt[1][1]);
				add_num(&o, "D_opt", "_hi", opt[1][2]);
				add_num(&o, "L_opt", "_lo", opt[2][1]);
				add_num(&o, "L_opt", "_hi", opt[2][2]);
			}
		} else if (solve != NULL) {
			if (nsl_fitrec_solve(f, x, (size_t)sk, target, lv, v3,
			    &err) != 0)
				goto bad;
			add_num(&o, solve, "", v3[0]);
			if (f->B > 0) {
				add_num(&o, solve, "_lo", v3[1]);
				add_num(&o, solve, "_hi", v3[2]);
			}
		} else {
			nsl_fitrec_predict(f, x, lv, &v3[0], &v3[1], &v3[2]);
			add_num(&o, pred, "", v3[0]);
			if (f->B > 0) {
				add_num(&o, pred, "_lo", v3[1]);
				add_num(&o, pred, "_hi", v3[2]);
			}
			if (score) {
				long k = nsl_rec_require(&rec, law->yname, &err);
				double rel;

				if (k < 0 || nsl_rec_number(&rec, (size_t)k,
				    &yv, &err) != 0)
					goto bad;
				rel = (v3[0] - yv) / yv;
				add_num(&o, "rel_error", "", rel);
				sum_are += fabs(rel);
				if (fabs(rel) > max_rel)
					max_rel = fabs(rel);
				sum_sle += (log(v3[0]) - log(yv)) *
				    (log(v3[0]) - log(yv));
				nscore++;
			}
		}
		nsl_obj_end(&o);
		if (nsl_buf_failed(&out))
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if (nsl_writer_write(w, out.data, out.len, &err) != 0)
			nsl_die_err(&err);
		continue;
bad:
		nsl_err_at(&err, nsl_reader_name(r), nsl_reader_lineno(r));
		nsl_die_err(&err);
	}
	if (err.code != 0)
		nsl_die_err(&err);
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	if (score && !cli.common.quiet && nscore > 0)
		fprintf(stderr, "nsl-extrapolate: score: n=%zu are=%.6g "
		    "rmsle=%.6g max_rel_error=%.6g\n", nscore,
		    sum_are / (double)nscore, sqrt(sum_sle / (double)nscore),
		    max_rel);
	nsl_reader_close(r);
	nsl_rec_release(&rec);
	nsl_buf_release(&out);
	nsl_buf_release(&key);
	while (fs.n > 0)
		nsl_fitrec_release(&fs.f[--fs.n]);
	free(fs.f);
	nsl_cli_release(&cli);
	return nsl_finish();
}
