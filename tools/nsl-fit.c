/*
 * nsl-fit - fit scaling laws to measurement records; one fit record per
 * group and law on standard output.
 *
 * The work is in lib/laws.c (the laws), lib/optim.c (objectives, grids,
 * refinement, bootstrap) and lib/fitrec.c (points and fit records).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/fitrec.h"
#include "nsl/io.h"

enum {
	OPT_LAW = 1, OPT_LIST, OPT_FORMULA, OPT_PARAM, OPT_X, OPT_Y,
	OPT_LOSS, OPT_DELTA, OPT_WEIGHT, OPT_BY, OPT_BOOT, OPT_CLUSTER,
	OPT_LEVEL, OPT_HOLDOUT, OPT_HOLDOUT_LARGEST, OPT_MIN, OPT_DROP_TOP,
	OPT_FIX, OPT_BREAKS, OPT_GRID, OPT_STARTS, OPT_RESTARTS
};

static const struct option longopts[] = {
	{ "law", required_argument, NULL, OPT_LAW },
	{ "list-laws", no_argument, NULL, OPT_LIST },
	{ "formula", required_argument, NULL, OPT_FORMULA },
	{ "param", required_argument, NULL, OPT_PARAM },
	{ "x", required_argument, NULL, OPT_X },
	{ "y", required_argument, NULL, OPT_Y },
	{ "loss", required_argument, NULL, OPT_LOSS },
	{ "delta", required_argument, NULL, OPT_DELTA },
	{ "weight-field", required_argument, NULL, OPT_WEIGHT },
	{ "by", required_argument, NULL, OPT_BY },
	{ "bootstrap", required_argument, NULL, OPT_BOOT },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "holdout", required_argument, NULL, OPT_HOLDOUT },
	{ "holdout-largest", required_argument, NULL, OPT_HOLDOUT_LARGEST },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "drop-top", required_argument, NULL, OPT_DROP_TOP },
	{ "fix", required_argument, NULL, OPT_FIX },
	{ "breaks", required_argument, NULL, OPT_BREAKS },
	{ "grid", required_argument, NULL, OPT_GRID },
	{ "starts", required_argument, NULL, OPT_STARTS },
	{ "restarts", required_argument, NULL, OPT_RESTARTS },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-fit [-hqV] [--law NAME[,NAME...]] [--formula EXPR --param P=V,...]\n"
"               [--x F,...] [--y F] [--loss huber|ls|log-ls] [--delta D]\n"
"               [--weight-field F] [--by F] [--bootstrap B] [--cluster F]\n"
"               [--level L] [--holdout 'F>=V'] [--holdout-largest F]\n"
"               [--min F=V] [--drop-top K] [--fix P=V] [--breaks K]\n"
"               [--grid N] [--starts K] [--restarts R] [--seed N] [-o FILE]\n"
"               [file]\n"
"       nsl-fit --list-laws\n"
"\n"
"Fit a scaling law to measurement records and write one fit record per\n"
"group (and law) as JSON; see nsl-fit(1) for the record's fields.\n"
"\n"
"  --law NAMES        law(s) to fit, comma-separated (default chinchilla);\n"
"                     several are ranked by AIC, best first\n"
"  --list-laws        print the laws with formulas and parameters\n"
"  --formula EXPR     fit y = EXPR over --param parameters and --x fields\n"
"  --param P=V,...    the start: formula parameters and their values, or\n"
"                     values for some of a law's (refined first)\n"
"  --x F,...          the variables' fields (default: the law's)\n"
"  --y F              the measured field (default: the law's)\n"
"  --loss L           huber (on log y, default), ls or log-ls\n"
"  --delta D          Huber delta (default %g)\n"
"  --weight-field F   per-point weights\n"
"  --by F             fit each value of F separately\n"
"  --bootstrap B      B resamples for percentile intervals\n"
"  --cluster F        resample whole clusters (e.g. runs) by F\n"
"  --level L          interval level, 0 < L < 1 (default 0.95)\n"
"  --holdout 'F>=V'   hold out points passing the test (>=, >, <=, <, ==);\n"
"                     one that holds out nothing is an error\n"
"  --holdout-largest F  hold out the points with the largest F\n"
"  --min F=V          keep points with F >= V (repeatable)\n"
"  --drop-top K       drop the K highest-y points of each group\n"
"  --fix P=V          fix parameter P at V (repeatable, or P=V,Q=W)\n"
"  --breaks K         bnsl: number of breaks (default 1)\n"
"  --grid N           points of the start design (default %d)\n"
"  --starts K         design points refined (default %d)\n"
"  --restarts R       perturbations of the best per round (default %d)\n"
"  --seed N           seed of the perturbations and the bootstrap\n"
"                     (default 0)\n"
"  -o, --output FILE  write FILE atomically\n"
"  -q, --quiet        no warnings about identification, degenerate or\n"
"                     unconverged fits\n"
"  -h, --help         this help\n"
"  -V, --version      the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open\n"
"the input, 74 I/O error.\n",
	    NSL_OPTIM_DELTA, NSL_OPTIM_GRID, NSL_OPTIM_STARTS,
	    NSL_OPTIM_RESTARTS);
}

static const struct nsl_tool tool = {
	.name = "fit",
	.summary = "fit scaling laws to measurements, with bootstrap intervals",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_NONFINITE
};

#define MAXL 16

struct opts {
	const char *laws[MAXL];
	size_t nlaws;
	const char *formula, *y, *weight, *by, *cluster, *hl;
	char *pnames[NSL_LAW_MAX_PARAMS], *xs[NSL_LAW_MAX_VARS];
	double pstart[NSL_LAW_MAX_PARAMS];
	size_t np, nx;
	char *fixn[NSL_LAW_MAX_PARAMS];
	double fixv[NSL_LAW_MAX_PARAMS];
	size_t nfix;
	struct nsl_cond min[32], holdout;
	size_t nmin;
	int has_holdout, breaks;
	const char *holdout_text;
	struct nsl_fit_opts fo;
};

/* Split "a,b,c" in place into at most max pieces. */
static size_t
split(char *s, char **out, size_t max, const char *opt)
{
	size_t n = 0;
	char *t;

	for (t = strtok(s, ","); t != NULL; t = strtok(NULL, ",")) {
		if (n == max)
			nsl_usage_error("%s: more than %zu items", opt, max);
		out[n++] = t;
	}
	if (n == 0)
		nsl_usage_error("%s: empty list", opt);
	return n;
}

static void
name_value(char *item, const char *opt, char **name, double *v)
{
	char *eq = strchr(item, '=');

	if (eq == NULL || eq == item)
		nsl_usage_error("%s: expected NAME=VALUE, got '%s'", opt, item);
	*eq = '\0';
	*name = item;
	*v = nsl_arg_double(opt, eq + 1, -1e308, 1e308);
}

static struct nsl_law *
make_law(struct opts *o, size_t li, struct nsl_err *err)
{
	struct nsl_law *l;
	size_t i;

	if (o->formula != NULL) {
		if (o->nx == 0)
			nsl_usage_error("--formula needs --x FIELDS");
		l = nsl_law_formula(o->formula, (const char *const *)o->pnames,
		    o->pstart, o->np, (const char *const *)o->xs, o->nx, err);
	} else {
		l = nsl_law_new(o->laws[li], o->breaks, err);
	}
	if (l == NULL)
		nsl_die_err(err);
	if (o->nx > 0 && o->formula == NULL) {
		if (o->nx != l->nvars)
			nsl_usage_error("--x: law %s takes %zu variables",
			    l->name, l->nvars);
		for (i = 0; i < o->nx; i++)
			if (nsl_law_set_var(l, i, o->xs[i]) != 0)
				nsl_die(NSL_EX_SOFTWARE, "out of memory");
	}
	if (o->y != NULL && nsl_law_set_y(l, o->y) != 0)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	return l;
}

static void
list_laws(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;

	if (nsl_law_list(&b, &err) != 0)
		nsl_die_err(&err);
	fwrite(b.data, 1, b.len, stdout);
	nsl_buf_release(&b);
}

struct result {
	struct nsl_fitrec rec;
	size_t group;
};

/*
 * A --holdout that holds out nothing would leave the fit records without
 * the "holdout" asked for: an error when no group has a point to hold
 * out, a warning naming each group without one.
 */
static void
check_holdout(const struct opts *o, const struct nsl_points *pts,
    const char *in, int dropped)
{
	size_t gi, total = 0;

	for (gi = 0; gi < pts->ng; gi++)
		total += pts->g[gi].nmatch;
	if (total == 0)
		nsl_die(NSL_EX_DATAERR, "%s: --holdout '%s' matches no record%s",
		    in, o->holdout_text, o->nmin > 0 || dropped ?
		    " kept by --min and --drop-top" : "");
	for (gi = 0; gi < pts->ng; gi++)
		if (pts->g[gi].nmatch == 0)
			nsl_warn("warning: group %s: --holdout '%s' matches no "
			    "record: its fit has no \"holdout\"",
			    pts->g[gi].key, o->holdout_text);
}

static int
by_group_aic(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->rec.aic > y->rec.aic) - (x->rec.aic < y->rec.aic);
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_buf out = NSL_BUF_INIT, warn = NSL_BUF_INIT;
	struct result *res = NULL;
	size_t nres = 0, li, gi, i, drop = 0;
	const char *in = "-", *in_name;
	char *items[NSL_LAW_MAX_PARAMS];
	struct nsl_writer *w;
	FILE *tmp = NULL;
	char tmpname[64];
	int ch, loss;

	nsl_err_clear(&err);
	o.fo.loss = NSL_LOSS_HUBER;
	o.fo.delta = NSL_OPTIM_DELTA;
	o.fo.level = 0.95;
	o.fo.optim.grid = NSL_OPTIM_GRID;
	o.fo.optim.starts = NSL_OPTIM_STARTS;
	o.fo.optim.maxiter = NSL_OPTIM_MAXITER;
	o.fo.optim.restarts = NSL_OPTIM_RESTARTS;
	o.breaks = 1;
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_LAW:
			o.nlaws = split(optarg, (char **)o.laws, MAXL, "--law");
			break;
		case OPT_LIST:
			list_laws();
			nsl_cli_release(&cli);
			return nsl_finish();
		case OPT_FORMULA:
			o.formula = optarg;
			break;
		case OPT_PARAM:
			o.np = split(optarg, items, NSL_LAW_MAX_PARAMS,
			    "--param");
			for (i = 0; i < o.np; i++)
				name_value(items[i], "--param", &o.pnames[i],
				    &o.pstart[i]);
			break;
		case OPT_X:
			o.nx = split(optarg, o.xs, NSL_LAW_MAX_VARS, "--x");
			break;
		case OPT_Y: o.y = optarg; break;
		case OPT_LOSS:
			if ((loss = nsl_loss_parse(optarg)) < 0)
				nsl_usage_error("--loss: unknown '%s' (huber, "
				    "ls or log-ls)", optarg);
			o.fo.loss = (enum nsl_loss)loss;
			break;
		case OPT_DELTA:
			o.fo.delta = nsl_arg_double("--delta", optarg, 1e-300,
			    1e300);
			break;
		case OPT_WEIGHT: o.weight = optarg; break;
		case OPT_BY: o.by = optarg; break;
		case OPT_BOOT:
			o.fo.bootstrap = (size_t)nsl_arg_long("--bootstrap",
			    optarg, 1, 10000000);
			break;
		case OPT_CLUSTER: o.cluster = optarg; break;
		case OPT_LEVEL:
			o.fo.level = nsl_arg_double_in("--level", optarg, 0, 1,
			    NSL_ARG_OPEN);
			break;
		case OPT_HOLDOUT:
			if (nsl_cond_parse(&o.holdout, optarg, -1, &err) != 0)
				nsl_usage_error("--holdout: %s", err.msg);
			o.has_holdout = 1;
			o.holdout_text = optarg;
			break;
		case OPT_HOLDOUT_LARGEST: o.hl = optarg; break;
		case OPT_MIN:
			if (o.nmin == 32)
				nsl_usage_error("--min: at most 32");
			if (nsl_cond_parse(&o.min[o.nmin++], optarg,
			    NSL_CMP_GE, &err) != 0)
				nsl_usage_error("--min: %s", err.msg);
			break;
		case OPT_DROP_TOP:
			drop = (size_t)nsl_arg_long("--drop-top", optarg, 0,
			    1000000000);
			break;
		case OPT_FIX: {
			size_t k = split(optarg, items, NSL_LAW_MAX_PARAMS,
			    "--fix");

			for (i = 0; i < k && o.nfix < NSL_LAW_MAX_PARAMS; i++)
				name_value(items[i], "--fix",
				    &o.fixn[o.nfix], &o.fixv[o.nfix]), o.nfix++;
			break;
		}
		case OPT_BREAKS:
			o.breaks = (int)nsl_arg_long("--breaks", optarg, 1,
			    NSL_LAW_MAX_BREAKS);
			break;
		case OPT_GRID:
			o.fo.optim.grid = (size_t)nsl_arg_long("--grid", optarg,
			    1, 100000000);
			break;
		case OPT_STARTS:
			o.fo.optim.starts = (size_t)nsl_arg_long("--starts",
			    optarg, 1, 100000);
			break;
		case OPT_RESTARTS:
			o.fo.optim.restarts = (size_t)nsl_arg_long(
			    "--restarts", optarg, 0, 100000);
			break;
		}
	}
	if (argc - optind > 1)
		nsl_usage_error("one input file at most");
	if (optind < argc)
		in = argv[optind];
	in_name = strcmp(in, "-") == 0 ? "<stdin>" : in;
	if (o.formula != NULL && o.nlaws > 0)
		nsl_usage_error("--formula and --law exclude each other");
	if (o.formula != NULL && o.np == 0)
		nsl_usage_error("--formula needs --param NAME=START,...");
	if (o.formula == NULL && o.np > 0 && o.nlaws > 1)
		nsl_usage_error("--param goes with --formula or one --law");
	if (o.cluster != NULL && o.fo.bootstrap == 0)
		nsl_usage_error("--cluster goes with --bootstrap");
	if (o.formula != NULL)
		o.nlaws = 1;
	if (o.nlaws == 0)
		o.laws[o.nlaws++] = "chinchilla";
	o.fo.seed = cli.common.seed;
	o.fo.optim.seed = cli.common.seed;
	o.fo.by = o.by;
	o.fo.cluster = o.cluster;
	/* Several laws read the input several times: keep a copy of stdin. */
	if (o.nlaws > 1 && strcmp(in, "-") == 0) {
		char buf[65536];
		size_t n;

		if ((tmp = tmpfile()) == NULL)
			nsl_die(NSL_EX_IOERR, "cannot make a temporary file");
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			if (fwrite(buf, 1, n, tmp) != n)
				nsl_die(NSL_EX_IOERR, "temporary file: write "
				    "failed");
		fflush(tmp);
		snprintf(tmpname, sizeof(tmpname), "/dev/fd/%d", fileno(tmp));
		in = tmpname;
	}
	for (li = 0; li < o.nlaws; li++) {
		struct nsl_law *law = make_law(&o, li, &err);
		struct nsl_points_opts po;
		struct nsl_points pts;
		struct nsl_reader *r;
		unsigned char fixed[NSL_LAW_MAX_PARAMS];
		double fixval[NSL_LAW_MAX_PARAMS], start[NSL_LAW_MAX_PARAMS];

		memset(fixed, 0, sizeof(fixed));
		for (i = 0; i < o.nfix; i++) {
			long k = nsl_law_param_index(law, o.fixn[i]);

			if (k < 0 && o.nlaws == 1)
				nsl_usage_error("--fix: law %s has no parameter "
				    "'%s'", law->name, o.fixn[i]);
			if (k < 0)
				continue;
			if (nsl_law_param_is_log(law, (size_t)k) &&
			    !(o.fixv[i] > 0))
				nsl_usage_error("--fix: %s must be positive",
				    o.fixn[i]);
			fixed[k] = 1;
			fixval[k] = o.fixv[i];
		}
		o.fo.fixed = fixed;
		o.fo.fixval = fixval;
		o.fo.optim.start = NULL;
		if (o.formula == NULL && o.np > 0) {
			for (i = 0; i < law->np; i++)
				start[i] = NAN;
			for (i = 0; i < o.np; i++) {
				long k = nsl_law_param_index(law, o.pnames[i]);

				if (k < 0)
					nsl_usage_error("--param: law %s has no "
					    "parameter '%s'", law->name,
					    o.pnames[i]);
				if (nsl_law_param_is_log(law, (size_t)k) &&
				    !(o.pstart[i] > 0))
					nsl_usage_error("--param: %s must be "
					    "positive", o.pnames[i]);
				start[k] = o.pstart[i];
			}
			o.fo.optim.start = start;
		}
		memset(&po, 0, sizeof(po));
		po.law = law;
		po.y = law->yname;
		po.weight = o.weight;
		po.by = o.by;
		po.cluster = o.cluster;
		po.min = o.min;
		po.nmin = o.nmin;
		po.holdout = o.has_holdout ? &o.holdout : NULL;
		po.holdout_largest = o.hl;
		po.drop_top = drop;
		po.rec_flags = cli.common.allow_nonfinite ?
		    NSL_REC_ALLOW_NONFINITE : 0;
		if ((r = nsl_reader_open(in, &err)) == NULL ||
		    (tmp != NULL && nsl_reader_set_name(r, in_name) != 0))
			nsl_die_err(&err);
		nsl_points_init(&pts, &po);
		if (nsl_points_read(&pts, r, &err) != 0 ||
		    nsl_points_finish(&pts, o.fo.loss, &err) != 0)
			nsl_die_err(&err);
		nsl_reader_close(r);
		if (pts.ng == 0)
			nsl_die(NSL_EX_DATAERR, "%s: no records", in_name);
		if (li == 0 && o.has_holdout)
			check_holdout(&o, &pts, in_name, drop > 0);
		res = realloc(res, (nres + pts.ng) * sizeof(*res));
		if (res == NULL)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		for (gi = 0; gi < pts.ng; gi++) {
			struct result *rs = &res[nres++];

			nsl_fitrec_init(&rs->rec);
			rs->group = gi;
			if (nsl_fit_group(law, &pts.g[gi], &o.fo, &rs->rec,
			    &warn, &err) != 0)
				nsl_die_err(&err);
		}
		nsl_points_release(&pts);
		nsl_law_free(law);
	}
	if (tmp != NULL)
		fclose(tmp);
	if (!cli.common.quiet && warn.len > 0) {
		char *line, *save = NULL;

		for (line = strtok_r(warn.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			nsl_warn("warning: %s", line);
	}
	qsort(res, nres, sizeof(*res), by_group_aic);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	for (i = 0; i < nres; i++) {
		nsl_buf_reset(&out);
		nsl_fitrec_write(&res[i].rec, &out, NSL_NUM_DOUBLE);
		if (nsl_buf_failed(&out))
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if (nsl_writer_write(w, out.data, out.len, &err) != 0)
			nsl_die_err(&err);
		nsl_fitrec_release(&res[i].rec);
	}
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	free(res);
	nsl_buf_release(&out);
	nsl_buf_release(&warn);
	nsl_cli_release(&cli);
	return nsl_finish();
}
