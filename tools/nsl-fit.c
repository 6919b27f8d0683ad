/*
 * nsl-fit - fit scaling laws to measurement records; one fit record per
 * group and law on standard output.
 *
 * The work is in lib/fit.c (the job: laws, --fix, points, fits, ranking),
 * over lib/laws.c, lib/optim.c, lib/points.c and lib/fitrec.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/fit.h"
#include "nsl/fit_search.h"
#include "nsl/io.h"

static struct nsl_fit_job job;
static struct nsl_search srch;
static int list, loss = NSL_LOSS_HUBER;
static int bootstrap, grid = NSL_OPTIM_GRID, starts = NSL_OPTIM_STARTS;
static int restarts = NSL_OPTIM_RESTARTS, drop;
static const char *const loss_names[] = { "huber", "ls", "log-ls", NULL };

/* --law, --x, --param, --fix, --holdout, --min: the row's ival says */
static const char *
arg_cb(const struct nsl_opt *r, const char *arg)
{
	return nsl_fit_arg(&job, (enum nsl_fit_arg)r->ival, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_CALLBACK(0, "law", NULL, "NAME,...", arg_cb,
	    "law(s) to fit (default chinchilla); several are ranked by AIC, "
	    "best first",
	    .ival = NSL_FIT_ARG_LAW),
	NSL_OPT_FLAG(0, "list-laws", &list,
	    "print the laws with formulas and parameters",
	    .flags = NSL_OPTF_MODE),
	NSL_OPT_STRING(0, "formula", &job.formula, "EXPR",
	    "fit y = EXPR over --param parameters and --x fields"),
	NSL_OPT_CALLBACK(0, "param", NULL, "P=V,...", arg_cb,
	    "the start: formula parameters and their values, or values for "
	    "some of a law's (refined first)",
	    .ival = NSL_FIT_ARG_PARAM),
	NSL_OPT_CALLBACK(0, "x", NULL, "F,...", arg_cb,
	    "the variables' fields (default: the law's)",
	    .ival = NSL_FIT_ARG_X),
	NSL_OPT_STRING(0, "y", &job.y, "F",
	    "the measured field (default: the law's)"),
	NSL_OPT_CHOICE(0, "loss", &loss, "L", loss_names,
	    "huber (on log y), ls or log-ls"),
	NSL_OPT_DOUBLE(0, "delta", &job.fo.delta, "D", 0, INFINITY,
	    "Huber delta", .flags = NSL_OPTF_GT_MIN | NSL_OPTF_LT_MAX),
	NSL_OPT_STRING(0, "weight-field", &job.po.weight, "F",
	    "per-point weights"),
	NSL_OPT_STRING(0, "by", &job.po.by, "F",
	    "fit each value of F separately"),
	NSL_OPT_INT(0, "bootstrap", &bootstrap, "B", 1, 10000000,
	    "B resamples for percentile intervals"),
	NSL_OPT_STRING(0, "cluster", &job.po.cluster, "F",
	    "resample whole clusters (e.g. runs) by F"),
	NSL_OPT_DOUBLE(0, "level", &job.fo.level, "L", 0, 1,
	    "interval level", .flags = NSL_OPTF_GT_MIN | NSL_OPTF_LT_MAX),
	NSL_OPT_CALLBACK(0, "holdout", NULL, "'F>=V'", arg_cb,
	    "hold out points passing the test (>=, >, <=, <, ==); one that "
	    "holds out nothing is an error",
	    .ival = NSL_FIT_ARG_HOLDOUT),
	NSL_OPT_STRING(0, "holdout-largest", &job.po.holdout_largest, "F",
	    "hold out the points with the largest F"),
	NSL_OPT_CALLBACK(0, "min", NULL, "F=V", arg_cb,
	    "keep points with F >= V (repeatable)",
	    .ival = NSL_FIT_ARG_MIN),
	NSL_OPT_INT(0, "drop-top", &drop, "K", 0, 1000000000,
	    "drop the K highest-y points of each group"),
	NSL_OPT_CALLBACK(0, "fix", NULL, "P=V", arg_cb,
	    "fix parameter P at V (repeatable, or P=V,Q=W)",
	    .ival = NSL_FIT_ARG_FIX),
	NSL_OPT_INT(0, "breaks", &job.breaks, "K", 1, NSL_LAW_MAX_BREAKS,
	    "bnsl: number of breaks"),
	NSL_OPT_INT(0, "grid", &grid, "N", 1, 100000000,
	    "points of the start design"),
	NSL_OPT_INT(0, "starts", &starts, "K", 1, 100000,
	    "design points refined"),
	NSL_OPT_INT(0, "restarts", &restarts, "R", 0, 100000,
	    "perturbations of the best per round"),
	NSL_OPT_FLAG(0, "search", &srch.on, "choose the law (LAW SEARCH)"),
	NSL_OPT_STRING(0, "extrapolate-along", &srch.along_text, "F,...",
	    "--search: score at the largest levels of F"),
	NSL_OPT_INT(0, "level-digits", &srch.digits, "D", 1, 17, "--search: "
	    "levels are F to D digits", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_INT(0, "max-params", &srch.max_params, "P", 1, 64, "--search: "
	    "candidates of at most P parameters"),
	NSL_OPT_INT(0, "folds", &srch.folds, "K", 1, 16, "--search: K folds"),
	NSL_OPT_INT(0, "top", &srch.top, "K", 1, 1000000, "report K rows"),
	NSL_OPT_STRING(0, "search-report", &srch.report, "FILE", "--search: "
	    "the best candidates, ranked, as JSONL"),
	NSL_OPT_FLAG(0, "search-each", &srch.groups, "a form per --by group"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "fit",
	.summary = "fit scaling laws to measurements, with bootstrap intervals",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_NONFINITE,
	.operands = "[file]",
	.about = "Fit a scaling law to measurement records and write one fit "
	    "record per\ngroup (and law) as JSON; see nsl-fit(1) for the "
	    "record's fields.",
	.seed_help = "seed of the perturbations and the bootstrap"
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_writer *w;
	const char *m;
	int rc;

	nsl_fit_init(&job);
	nsl_search_init(&srch);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		struct nsl_buf b = NSL_BUF_INIT;

		if (nsl_law_list(&b, &err) != 0)
			nsl_die_err(&err);
		fwrite(b.data, 1, b.len, stdout);
		nsl_buf_release(&b);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	job.fo.loss = (enum nsl_loss)loss;
	job.fo.bootstrap = (size_t)bootstrap;
	job.fo.optim.grid = (size_t)grid;
	job.fo.optim.starts = (size_t)starts;
	job.fo.optim.restarts = (size_t)restarts;
	job.fo.seed = cli.common.seed;
	job.po.drop_top = (size_t)drop;
	job.po.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if ((m = nsl_search_check(&srch, &job)) != NULL)
		nsl_usage_error("%s", m);
	rc = nsl_search_run(&srch, &job, cli.optind < argc ?
	    argv[cli.optind] : "-", &err);
	nsl_warn_lines(&job.notes);
	if (rc != 0)
		nsl_die_err(&err);
	if (!cli.common.quiet)
		nsl_warn_lines(&job.warn);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_search_write(&srch, &job, w, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_fit_release(&job);
	nsl_search_release(&srch);
	nsl_cli_release(&cli);
	return nsl_finish();
}
