/*
 * nsl-pools - the pool, or union of score-quantile buckets, that gives
 * the lowest error for each budget of samples seen, under data-filter
 * laws fitted per pool (Goyal et al. 2024).
 *
 * The work is in lib/pools.c; the mixture's law is nsl_law_filter_mix
 * in lib/laws.c, next to the data-filter row.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/pools.h"

static struct nsl_pools_job job;

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "fit", &job.fit, "FILE",
	    "data-filter fit records, one per pool (nsl-fit --law "
	    "data-filter --by FIELD)", .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_STRING(0, "pools", &job.table, "FILE",
	    "the pool table: one record per pool with the fits' \"by\" "
	    "field and its size P, best bucket first",
	    .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_CHOICE(0, "unions", &job.unions, "KIND",
	    nsl_pools_union_names,
	    "candidates: all (every nonempty union, at most 20 pools), "
	    "prefix (the first k pools of the table) or single (each pool "
	    "alone)"),
	NSL_OPT_FLAG(0, "all", &job.all,
	    "write every candidate's prediction, not only the best"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "pools",
	.summary = "the pool or union of buckets with the lowest error per "
	    "budget (data-filter)",
	.common = NSL_CLI_OUTPUT | NSL_CLI_NONFINITE,
	.operands = "[file]",
	.about = "For each budget record (field n), write the union of the "
	    "pools of --pools\nwhose data-filter law (--fit, one fit per "
	    "pool) predicts the lowest y;\na union is one pool whose "
	    "epoch-k utility is its pools' mean.  See\nnsl-pools(1)."
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	const char *m;

	nsl_pools_init(&job);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	job.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if ((m = nsl_pools_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (nsl_pools_run(&job, cli.optind < argc ? argv[cli.optind] : "-",
	    cli.common.output, &err) != 0)
		nsl_die_err(&err);
	nsl_pools_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
