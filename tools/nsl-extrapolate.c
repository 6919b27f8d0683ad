/*
 * nsl-extrapolate - predictions, inversions and compute-optimal
 * allocations from an nsl-fit record, for query records.
 *
 * The work is in lib/extrap.c (the job) over lib/fitrec.c (the record
 * and what it answers) and lib/laws.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/extrap.h"

static struct nsl_extrap_job job;

static const char *
pred_cb(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	job.pred = arg;		/* empty: nsl_extrap_check says so */
	return NULL;
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "fit", &job.fit, "FILE",
	    "the fit record(s); with several (nsl-fit --by), each query uses "
	    "the one whose \"by\" value it carries"),
	NSL_OPT_DOUBLE(0, "level", &job.level, "L", 0, 1,
	    "interval level when the fit has bootstrap samples (default the "
	    "fit's): adds F_lo and F_hi", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_LT_MAX | NSL_OPTF_NODEFAULT),
	NSL_OPT_CALLBACK(0, "pred-field", NULL, "F", pred_cb,
	    "the prediction's field (default pred)"),
	NSL_OPT_FLAG(0, "score", &job.score,
	    "queries carry the measured y: add rel_error and print n, ARE, "
	    "RMSLE and max relative error to stderr (not with -q)"),
	NSL_OPT_STRING(0, "solve", &job.solve, "FIELD",
	    "set FIELD (a variable of the law) to the value that reaches "
	    "y = --target, with FIELD_lo and FIELD_hi"),
	NSL_OPT_DOUBLE(0, "target", &job.target, "Y", -INFINITY, INFINITY,
	    "the y of --solve", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_FLAG(0, "compute-optimal", &job.optimal,
	    "add N_opt, D_opt, L_opt (with _lo, _hi) at compute C = K N D, "
	    "for any law of N and D (its other variables, such as U, from "
	    "the query; with U, epochs_opt too)"),
	NSL_OPT_STRING(0, "compute-field", &job.cfield, "F",
	    "the compute field"),
	NSL_OPT_FLAG(0, "best-split", &job.split,
	    "add E_opt, M_opt, L_opt (with _lo, _hi) and D_crit: the "
	    "exponent/mantissa split of the query's bits (1 + E + M) with "
	    "the lowest prediction, for a law of E and M (fp-quant)"),
	NSL_OPT_STRING(0, "bits-field", &job.bits_field, "F",
	    "the bit width field of --best-split"),
	NSL_OPT_DOUBLE(0, "flops-per-param-token", &job.kflops, "K", 0,
	    INFINITY, "K of C = K N D", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_LT_MAX),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "extrapolate",
	.summary = "predict from a fit: intervals, inversion, compute-optimal, "
	    "float split",
	.common = NSL_CLI_OUTPUT | NSL_CLI_NONFINITE,
	.operands = "[file]",
	.about = "Read a fit record written by nsl-fit and add predictions to "
	    "the query\nrecords (standard input or file)."
};

int
main(int argc, char **argv)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *m;

	nsl_extrap_init(&job);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	job.has_target = nsl_cli_given(&cli, "target");
	job.rec_flags = cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0;
	if (argc - cli.optind > 1)
		nsl_usage_error("one input file at most");
	if ((m = nsl_extrap_check(&job)) != NULL)
		nsl_usage_error("%s", m);
	if (nsl_extrap_run(&job, cli.optind < argc ? argv[cli.optind] : "-",
	    cli.common.output, &err) != 0) {
		if (err.code == NSL_EX_USAGE)
			nsl_usage_error("%s", err.msg);
		nsl_die_err(&err);
	}
	if (job.score && !cli.common.quiet) {
		nsl_extrap_summary(&job, &b);
		if (b.len > 0)
			nsl_warn("%s", b.data);
	}
	nsl_buf_release(&b);
	nsl_extrap_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
