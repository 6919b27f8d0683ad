/*
 * nsl-intrinsic-dim - the intrinsic dimension of a record set, the
 * data-scaling exponent it predicts, and the regime of a measured curve.
 *
 * The estimators, the records and the regime diagnostic are in
 * lib/intdim.c; this file turns the command line into a job.
 */
#include "cli.h"
#include "nsl/intdim.h"
#include "nsl/io.h"

static struct nsl_intdim_job job = {
	.p = { .k = NSL_INTDIM_K, .discard = 0, .level = NSL_INTDIM_LEVEL },
	.c = NSL_INTDIM_C, .repeats = 1
};
static struct nsl_regime_job rj = {
	.x = "n_train", .y = "test_error", .tolerance = NSL_REGIME_TOLERANCE,
	.bootstrap = NSL_REGIME_BOOTSTRAP
};
static const char *predict, *fits_path, *alpha_arg;
static int regime, dups, loss = NSL_LOSS_LOGLS;
static size_t sizes[64];

static const char *const dup_names[] = { "drop", "error", NULL };
static const char *const loss_names[] = { "huber", "ls", "log-ls", NULL };

static const char *
estimators(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_intdim_estimators_parse(&job, arg);
}

static const char *
size_list(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_intdim_sizes_parse(sizes, sizeof(sizes) / sizeof(sizes[0]),
	    &job.nsizes, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_GROUP("Estimates of d:"),
	NSL_OPT_CALLBACK(0, "estimator", NULL, "NAME,...", estimators,
	    "twonn, mle or both (default both)"),
	NSL_OPT_SIZE(0, "k", &job.p.k, "K", 2, 100000, "mle: neighbours"),
	NSL_OPT_DOUBLE(0, "discard", &job.p.discard, "F", 0, 1,
	    "twonn: censor the largest fraction F of the ratios",
	    .flags = NSL_OPTF_LT_MAX),
	NSL_OPT_DOUBLE(0, "numerator", &job.c, "C", 0, 1e6,
	    "predict alpha = C/d", .flags = NSL_OPTF_GT_MIN),
	NSL_OPT_STRING(0, "by", &job.by, "FIELD",
	    "estimate each value of FIELD's records apart (with --regime: "
	    "each curve)"),
	NSL_OPT_CALLBACK(0, "sizes", NULL, "N,...", size_list,
	    "estimate on random subsets of these sizes (d against n)"),
	NSL_OPT_SIZE(0, "repeats", &job.repeats, "R", 1, 65536,
	    "subsets of each size"),
	NSL_OPT_CHOICE(0, "duplicates", &dups, NULL, dup_names,
	    "repeated vectors (r1 = 0): drop them, or refuse the input"),
	NSL_OPT_DOUBLE(0, "level", &job.p.level, "L", 0, 1,
	    "level of the intervals", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_LT_MAX),
	NSL_OPT_GROUP("The regime of a data-scaling curve:"),
	NSL_OPT_FLAG(0, "regime", &regime,
	    "read a curve, fit power-offset to its halves, name the regime"),
	NSL_OPT_STRING(0, "x", &rj.x, "FIELD", "the data size"),
	NSL_OPT_STRING(0, "y", &rj.y, "FIELD", "the measured loss or error"),
	NSL_OPT_STRING(0, "predict", &predict, "FILE",
	    "the prediction: the first record of FILE", .excl = 2),
	NSL_OPT_STRING(0, "alpha", &alpha_arg, "A[,LO,HI]",
	    "the prediction: alpha and its interval", .excl = 2),
	NSL_OPT_DOUBLE(0, "tolerance", &rj.tolerance, "T", 0, 1,
	    "relative tolerance of 'near 1' and 'near alpha'"),
	NSL_OPT_SIZE(0, "bootstrap", &rj.bootstrap, "B", 1, 1000000,
	    "resamples for the interval of a"),
	NSL_OPT_CHOICE(0, "loss", &loss, NULL, loss_names,
	    "objective of the fits"),
	NSL_OPT_STRING(0, "fits", &fits_path, "FILE",
	    "also write the fit records (nsl-fit's, with \"part\")"),
	NSL_OPT_GROUP("Common:"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "intrinsic-dim",
	.summary = "intrinsic dimension (TwoNN, MLE), the exponent 4/d it "
	    "predicts, the regime of a learning curve",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD,
	.operands = "[file ...]",
	.about = "Estimate the intrinsic dimension d of the records' vectors "
	    "by\nnearest-neighbour distances, with an interval, and the data-"
	    "scaling\nexponent alpha = C/d it predicts: one record per "
	    "estimator (group,\nsubset).  With --regime, read a curve (--x, "
	    "--y) and say whether each\nhalf is variance-limited (a near 1) or "
	    "resolution-limited (a near alpha).",
	.seed_help = "seed of the random subsets (--sizes) and the bootstrap"
};

static const char *const estimate_only[] = { "estimator", "k", "discard",
	"numerator", "sizes", "repeats", "duplicates", "field", NULL };
static const char *const regime_only[] = { "x", "y", "predict", "alpha",
	"tolerance", "bootstrap", "loss", "fits", NULL };

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_writer *w, *fw = NULL;
	const char *const *o, *why;
	int rc, nin;

	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	nin = argc - cli.optind;
	for (o = regime ? estimate_only : regime_only; *o != NULL; o++)
		if (nsl_cli_given(&cli, *o))
			nsl_usage_error("--%s %s --regime", *o, regime ?
			    "does not go with" : "needs");
	if (regime) {
		struct nsl_intdim_result pr;

		if (nin > 1)
			nsl_usage_error("--regime reads one curve");
		if (predict == NULL && alpha_arg == NULL)
			nsl_usage_error("--regime needs --predict FILE or "
			    "--alpha A");
		if (predict != NULL) {
			if (nsl_intdim_read_prediction(predict, &pr, &err) < 0)
				nsl_die_err(&err);
			rj.alpha = pr.alpha;
			rj.alpha_lo = pr.alpha_lo;
			rj.alpha_hi = pr.alpha_hi;
		} else if ((why = nsl_regime_alpha_parse(&rj, alpha_arg)) !=
		    NULL)
			nsl_usage_error("%s", why);
		rj.by = job.by;
		rj.loss = (enum nsl_loss)loss;
		rj.level = job.p.level;
		rj.seed = cli.common.seed;
	} else {
		if (job.nest == 0) {
			job.est[job.nest++] = nsl_intdim_estimator_find("twonn");
			job.est[job.nest++] = nsl_intdim_estimator_find("mle");
		}
		if (nsl_cli_given(&cli, "repeats") && job.nsizes == 0)
			nsl_usage_error("--repeats goes with --sizes");
		job.sizes = sizes;
		job.field = cli.common.field;
		job.seed = cli.common.seed;
		job.dups = (enum nsl_intdim_dups)dups;
	}
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    (fits_path != NULL &&
	    (fw = nsl_writer_open(fits_path, &err)) == NULL))
		nsl_die_err(&err);
	if (regime)
		rc = nsl_regime_run(&rj, nin ? argv[cli.optind] : "-", w, fw,
		    &err);
	else
		rc = nsl_intdim_run(&job, (const char *const *)argv +
		    cli.optind, (size_t)nin, w, &err);
	if (rc < 0 || nsl_writer_commit(w, &err) < 0 ||
	    (fw != NULL && nsl_writer_commit(fw, &err) < 0))
		nsl_die_err(&err);
	nsl_cli_release(&cli);
	return nsl_finish();
}
