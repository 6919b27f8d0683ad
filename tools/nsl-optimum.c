/*
 * nsl-optimum - the optimum of each profile (a parabola in log x per
 * group: an IsoFLOP budget, a model size of a learning-rate sweep) with a
 * bootstrap interval, and the power law of the optima against the group
 * value (Chinchilla's approach 2).
 *
 * The work is in lib/optimum.c; the power law is a fit record
 * (lib/fitrec.c) that nsl-extrapolate and nsl-plot read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/optimum.h"

static struct nsl_optimum_job job;
static int bootstrap;
static const char *law_out;

static const char *
centers_cb(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_optimum_centers(&job, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "x", &job.x, "F",
	    "the profiled variable (model size, learning rate, ...); the "
	    "parabola is in ln F", .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_STRING(0, "y", &job.y, "F", "the measured field"),
	NSL_OPT_STRING(0, "by", &job.by, "F",
	    "one profile per value of F (a number: the power law's variable); "
	    "F1,F2: per pair of values, the law k F1^a F2^b (lr_opt(N, D))"),
	NSL_OPT_STRING(0, "bin", &job.bin, "F",
	    "one profile per bin of --width decades of F (F scattered around "
	    "its budgets); the bin's value is its members' geometric mean"),
	NSL_OPT_CALLBACK(0, "centers", NULL, "C,...", centers_cb,
	    "--bin: one profile per centre (a nominal budget), of the values "
	    "within --width decades of it"),
	NSL_OPT_DOUBLE(0, "width", &job.width, "W", 0, 100,
	    "--bin width in decades (with --centers: the largest distance)",
	    .flags = NSL_OPTF_GT_MIN),
	NSL_OPT_FLAG(0, "skip", &job.skip,
	    "write a profile without a minimum inside its range with its "
	    "status and leave it out of the law (default: an error)"),
	NSL_OPT_INT(0, "bootstrap", &bootstrap, "B", 1, 10000000,
	    "B resamples of each profile's points for percentile intervals"),
	NSL_OPT_DOUBLE(0, "level", &job.level, "L", 0, 1,
	    "interval level", .flags = NSL_OPTF_GT_MIN | NSL_OPTF_LT_MAX),
	NSL_OPT_STRING(0, "law-output", &law_out, "FILE",
	    "write the fit record of X_opt = k G^a against the group field G "
	    "to FILE (atomically)"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "optimum",
	.summary = "optima of profiles (IsoFLOP, learning rate) and their "
	    "power law",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_NONFINITE,
	.operands = "[file]",
	.about = "Fit a parabola in ln x to y within each group of the "
	    "records, write each\ngroup's minimum x* with a bootstrap interval, "
	    "and fit x* = k G^a against\nthe group value G; see nsl-optimum(1).",
	.seed_help = "seed of the bootstrap"
};

int
main(int argc, char **argv)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_writer *w;
	const char *m;

	nsl_optimum_init(&job);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	job.B = (size_t)bootstrap;
	job.seed = cli.common.seed;
	job.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if ((m = nsl_optimum_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (law_out != NULL && job.by == NULL && job.bin == NULL)
		nsl_usage_error("--law-output needs --by or --bin");
	if (nsl_optimum_run(&job, cli.optind < argc ? argv[cli.optind] : "-",
	    &err) != 0) {
		if (err.code == NSL_EX_USAGE)
			nsl_usage_error("%s", err.msg);
		nsl_die_err(&err);
	}
	if (!cli.common.quiet)
		nsl_warn_lines(&job.warn);
	if (law_out != NULL && !job.has_law)
		nsl_die(NSL_EX_DATAERR, "no power law for %s: %zu group%s with "
		    "a minimum inside its range", law_out, job.nlaw,
		    job.nlaw == 1 ? "" : "s");
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_optimum_write(&job, w, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	if (law_out != NULL) {
		nsl_fitrec_write(&job.law, &b, NSL_NUM_DOUBLE);
		if ((w = nsl_writer_open(law_out, &err)) == NULL ||
		    nsl_writer_write(w, b.data, b.len, &err) != 0 ||
		    nsl_writer_commit(w, &err) != 0)
			nsl_die_err(&err);
	}
	nsl_buf_release(&b);
	nsl_optimum_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
