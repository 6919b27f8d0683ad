/*
 * nsl-frontier - the pruning frontier of a study's runs as a tested law:
 * the best run at each number of kept examples, power-offset, exp-offset
 * and BNSL fitted to it with a held-out point and bootstrap, and whether
 * it beats the unpruned power law (Sorscher et al. 2022).
 *
 * The work is in lib/frontier.c over lib/fit.c and lib/compare.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/frontier.h"
#include "nsl/io.h"

static struct nsl_frontier_job job;
static int loss = NSL_LOSS_LOGLS;
static const char *points_out, *fits_out;

static const char *const loss_names[] = { "huber", "ls", "log-ls", NULL };

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "x", &job.x, "F",
	    "the examples kept (the laws' variable)"),
	NSL_OPT_STRING(0, "y", &job.y, "F", "the error"),
	NSL_OPT_STRING(0, "fraction", &job.fraction, "F",
	    "the keep fraction; 1: an unpruned run, the baseline"),
	NSL_OPT_STRING(0, "group", &job.group, "F",
	    "one frontier point per value of F (default: --x; e.g. the pool "
	    "size)"),
	NSL_OPT_STRING(0, "law", &job.laws, "L,...",
	    "the laws fitted to the frontier"),
	NSL_OPT_SIZE(0, "holdout", &job.holdout, "K", 0, 1000,
	    "hold out the K largest x of each fit; the best law has the "
	    "smallest held-out error (0: the smallest AIC)"),
	NSL_OPT_SIZE(0, "bootstrap", &job.B, "B", 2, 10000000,
	    "bootstrap samples of each fit"),
	NSL_OPT_DOUBLE(0, "level", &job.level, "L", 0, 1,
	    "interval level; the frontier beats the baseline when it is "
	    "lower at the largest x with this probability",
	    .flags = NSL_OPTF_GT_MIN | NSL_OPTF_LT_MAX),
	NSL_OPT_CHOICE(0, "loss", &loss, "L", loss_names, "the fits' loss"),
	NSL_OPT_STRING(0, "points", &points_out, "FILE",
	    "write the frontier's runs to FILE (atomically)"),
	NSL_OPT_STRING(0, "fits", &fits_out, "FILE",
	    "write the fit records (series frontier and unpruned) to FILE"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "frontier",
	.summary = "the pruning frontier: its laws and verdict against the "
	    "unpruned power law",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_NONFINITE,
	.operands = "[file]",
	.about = "Take the best run at each number of kept examples over "
	    "the keep fractions\nand strategies, fit power-offset, exp-offset "
	    "and BNSL to it, compare the\nbest with the power law of the "
	    "unpruned runs and write the verdict; see\nnsl-frontier(1).",
	.seed_help = "seed of the bootstrap"
};

static void
write_file(const char *path,
    int (*fn)(const struct nsl_frontier_job *, struct nsl_writer *,
    struct nsl_err *))
{
	struct nsl_err err;
	struct nsl_writer *w;

	nsl_err_clear(&err);
	if ((w = nsl_writer_open(path, &err)) == NULL ||
	    fn(&job, w, &err) != 0 || nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
}

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	const char *m;

	nsl_frontier_init(&job);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	job.loss = (enum nsl_loss)loss;
	job.seed = cli.common.seed;
	job.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if ((m = nsl_frontier_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (nsl_frontier_run(&job, cli.optind < argc ? argv[cli.optind] : "-",
	    &err) != 0)
		nsl_die_err(&err);
	if (!cli.common.quiet)
		nsl_warn_lines(&job.warn);
	write_file(cli.common.output, nsl_frontier_write_sum);
	if (points_out != NULL)
		write_file(points_out, nsl_frontier_write_points);
	if (fits_out != NULL)
		write_file(fits_out, nsl_frontier_write_fits);
	nsl_frontier_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
