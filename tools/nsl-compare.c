/*
 * nsl-compare - two fitted laws compared with their bootstrap
 * uncertainty: the difference over a range, the crossover with an
 * interval, P(f_A < f_B) at a target scale.
 *
 * The work is in lib/compare.c over lib/fitrec.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/compare.h"
#include "nsl/io.h"

static struct nsl_compare_job job;
static int grid;

static const char *
fix_cb(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_compare_fix(&job, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "a", &job.a, "FILE",
	    "fit A: one fit record with bootstrap samples (nsl-fit "
	    "--bootstrap)", .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_STRING(0, "b", &job.b, "FILE",
	    "fit B, of the same variable and measure",
	    .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_DOUBLE(0, "from", &job.from, "X", -INFINITY, INFINITY,
	    "the range's low end (default: where both fits have data)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_DOUBLE(0, "to", &job.to, "X", -INFINITY, INFINITY,
	    "the range's high end", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_DOUBLE(0, "at", &job.at, "X", -INFINITY, INFINITY,
	    "add the difference at X, its interval and P(f_A < f_B)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_CALLBACK(0, "fix", NULL, "NAME=V,...", fix_cb,
	    "laws of several variables: compare along the one left free, "
	    "the others at these values"),
	NSL_OPT_FLAG(0, "compute-optimal", &job.optimal,
	    "laws of N and D: compare along compute C = 6 N D, each law "
	    "at its own compute-optimal split"),
	NSL_OPT_INT(0, "grid", &grid, "N", 2, 10000000,
	    "write N points of the difference and its band over the range "
	    "(log-spaced for a positive variable) instead of the summary"),
	NSL_OPT_DOUBLE(0, "level", &job.level, "L", 0, 1,
	    "interval level (default A's)", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_LT_MAX | NSL_OPTF_NODEFAULT),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "compare",
	.summary = "compare two fitted laws: difference, crossover, "
	    "P(A < B)",
	.common = NSL_CLI_OUTPUT | NSL_CLI_NONFINITE,
	.operands = "",
	.about = "Compare the fit records A and B (nsl-fit --bootstrap) of "
	    "one variable, or\nalong a path of several (--fix, "
	    "--compute-optimal): the crossover where\nf_A - f_B changes "
	    "sign, with an interval from the bootstrap samples, and\n"
	    "P(f_A < f_B) at --at; see nsl-compare(1)."
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_writer *w;
	const char *m;

	nsl_compare_init(&job);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (argc - cli.optind > 0)
		nsl_usage_error("no operands: the fits are --a and --b");
	job.has_at = nsl_cli_given(&cli, "at");
	job.grid = (size_t)grid;
	job.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if ((m = nsl_compare_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (nsl_compare_run(&job, &err) != 0)
		nsl_die_err(&err);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_compare_write(&job, w, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_compare_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
