/*
 * nsl-ot-distance - optimal-transport distance between two record sets.
 *
 * The methods are rows of nsl_ot_methods[] (lib/ot_methods.c); reading,
 * solving and the records are lib/ot_run.c's.  This file turns the
 * command line into a job.
 */
#include <stdio.h>

#include "cli.h"
#include "nsl/buf.h"
#include "nsl/ot.h"
#include "nsl/ot_run.h"

static struct nsl_ot_run job;
static int list;

/* --method, --inner, --cost, --control-variate: by name, in lib/. */
static const char *
param(const struct nsl_opt *r, const char *arg)
{
	return nsl_ot_param_parse(&job.par, r->longname, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_CALLBACK(0, "method", NULL, "M", param,
	    "the method (default exact; see --list-methods)"),
	NSL_OPT_FLAG(0, "list-methods", &list,
	    "list the methods, the costs and the parameters each takes"),
	NSL_OPT_CALLBACK(0, "cost", NULL, "C", param,
	    "sqeuclidean (default, p = 2), euclidean (|x-y|^p) or cosine "
	    "(1 - cos, p = 1)"),
	NSL_OPT_DOUBLE(0, "p", &job.par.p, "P", 1, 100,
	    "power for --cost euclidean (default 1)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_GROUP("Entropic methods (sinkhorn, divergence, sns):"),
	NSL_OPT_DOUBLE(0, "eps", &job.par.eps, "E", 1e-300, 1e300,
	    "entropic epsilon, absolute", .flags = NSL_OPTF_NODEFAULT,
	    .excl = 1),
	NSL_OPT_DOUBLE(0, "eps-rel", &job.par.eps_rel, "R", 1e-300, 1e300,
	    "epsilon = R x the mean cost under a x b", .excl = 1),
	NSL_OPT_DOUBLE(0, "tol", &job.par.tol, "T", 1e-300, 10,
	    "stop at this L1 marginal error"),
	NSL_OPT_INT(0, "max-iter", &job.par.max_iter, "N", 1, 1000000000,
	    "Sinkhorn iterations at the target eps"),
	NSL_OPT_DOUBLE(0, "eps-scaling", &job.par.scaling, "S", 1e-6,
	    0.999999, "epsilon annealing factor per step"),
	NSL_OPT_MAGNITUDE(0, "max-memory", &job.par.max_memory, "BYTES", 1,
	    1e18, "store cost matrices up to this size, else compute them in "
	    "blocks (default a quarter of RAM; K, M, G)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_GROUP("Other methods:"),
	NSL_OPT_INT(0, "projections", &job.par.projections, "L", 2,
	    100000000, "sliced: directions"),
	NSL_OPT_CALLBACK(0, "control-variate", NULL, "CV", param,
	    "sliced, sqeuclidean: lower or upper"),
	NSL_OPT_CALLBACK(0, "inner", NULL, "S", param,
	    "otdd: exact (default) or sinkhorn"),
	NSL_OPT_STRING(0, "label-field", &job.label_field, "NAME",
	    "labels, for otdd"),
	NSL_OPT_GROUP("Input and output:"),
	NSL_OPT_STRING(0, "weight-field", &job.weight_field, "NAME",
	    "point weights (default uniform)"),
	NSL_OPT_STRING(0, "potentials", &job.potentials, "FILE",
	    "write the dual potentials, one record per point"),
	NSL_OPT_STRING(0, "plan", &job.plan, "FILE",
	    "write the coupling's entries as (i, j, mass)"),
	NSL_OPT_DOUBLE(0, "plan-threshold", &job.par.plan_threshold, "X", 0,
	    1, "only entries with mass > X"),
	NSL_OPT_FLAG(0, "timing", &job.timing,
	    "add \"seconds\": wall-clock time of reading and solving (the one "
	    "field that varies run to run)"),
	NSL_OPT_GROUP("Common:"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "ot-distance",
	.summary = "optimal-transport distance between two record sets",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD,
	.operands = "A.jsonl B.jsonl",
	.about = "Optimal-transport distance between the point sets of A and "
	    "B; prints one\nrecord.",
	.seed_help = "sliced: random directions"
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	const char *msg;

	nsl_err_clear(&err);
	nsl_ot_run_init(&job);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		struct nsl_buf b = NSL_BUF_INIT;

		nsl_ot_methods_list(&b);
		fwrite(b.data, 1, b.len, stdout);
		nsl_buf_release(&b);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (!nsl_cli_given(&cli, "p"))
		job.par.p = nsl_ot_cost_default_p(job.par.cost);
	job.par.seed = cli.common.seed;
	job.field = cli.common.field;
	job.output = cli.common.output;
	job.paths = (const char *const *)argv + cli.optind;
	job.npaths = (size_t)(argc - cli.optind);
	if ((msg = nsl_ot_run_check(&job)) != NULL)
		nsl_usage_error("%s", msg);
	if (nsl_ot_run_solve(&job, &err) < 0)
		nsl_die_err(&err);
	if ((msg = nsl_ot_run_warning(&job)) != NULL)
		nsl_warn("%s", msg);
	if (nsl_ot_run_write(&job, &err) < 0)
		nsl_die_err(&err);
	nsl_ot_run_release(&job);
	nsl_cli_release(&cli);
	return nsl_finish();
}
