/*
 * nsl-passk - pass@k from per-sample results: the unbiased estimator
 * per problem, averaged over problems with a bootstrap interval.
 *
 * The work is in lib/passk.c; this file turns the command line into a
 * struct nsl_passk_job.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/passk.h"

static struct nsl_passk_job job;

static const char *
k_cb(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_passk_set_k(&job, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_CALLBACK(0, "k", NULL, "K,...", k_cb,
	    "the k of pass@k, a comma list of positive integers (default 1); "
	    "every problem needs at least the largest k samples"),
	NSL_OPT_STRING(0, "problem-field", &job.problem, "F",
	    "the problem a record belongs to"),
	NSL_OPT_STRING(0, "correct-field", &job.correct, "F",
	    "a sample's result: true, false, 1 or 0"),
	NSL_OPT_FLAG(0, "counts", &job.counts,
	    "records are problems with their numbers of samples and of "
	    "correct ones (--n-field, --c-field) instead of one sample each"),
	NSL_OPT_STRING(0, "n-field", &job.nfield, "F",
	    "--counts: the number of samples"),
	NSL_OPT_STRING(0, "c-field", &job.cfield, "F",
	    "--counts: the number of correct samples"),
	NSL_OPT_STRING(0, "by", &job.by, "FIELD",
	    "report each value of FIELD (a model, a checkpoint) apart, the "
	    "value kept in its records"),
	NSL_OPT_SIZE(0, "bootstrap", &job.B, "B", 0, 1e8,
	    "resamples of the problems for the interval pass_at_k_lo, "
	    "pass_at_k_hi; 0: none"),
	NSL_OPT_DOUBLE(0, "level", &job.level, "L", 0, 1,
	    "the interval's level", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_LT_MAX),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "passk",
	.summary = "pass@k from per-sample results, with a bootstrap interval",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED,
	.operands = "[file]",
	.about = "Read per-sample results (one record per sample: problem "
	    "and correct) and write,\nfor each k, the unbiased pass@k "
	    "averaged over the problems:\n{\"k\":K,\"pass_at_k\":P,"
	    "\"pass_at_k_lo\":..,\"pass_at_k_hi\":..,\"problems\":N,"
	    "\"samples\":S}.",
	.seed_help = "the bootstrap's draws"
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	const char *m;

	if (nsl_passk_init(&job, &err) != 0)
		nsl_die_err(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	job.seed = cli.common.seed;
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	if ((m = nsl_passk_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (nsl_passk_run(&job, cli.optind < argc ? argv[cli.optind] : "-",
	    cli.common.output, &err) != 0)
		nsl_die_err(&err);
	nsl_passk_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
