/*
 * nsl-score - add per-example data-pruning scores to records.
 *
 * The metrics and the record loop are in lib/score.c; this file turns the
 * command line into a struct nsl_score_job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/score.h"

#define DEFAULT_ITERS 300
#define DEFAULT_NEIGHBOURS 10
#define DEFAULT_WINDOW 10

enum {
	OPT_METRIC = 1,
	OPT_OUT_FIELD,
	OPT_CLUSTER_FIELD,
	OPT_K,
	OPT_ITERS,
	OPT_PROBS,
	OPT_LABEL_FIELD,
	OPT_LOGITS_FIELD,
	OPT_CENTER,
	OPT_NEIGHBOURS,
	OPT_WINDOW
};

static const struct option longopts[] = {
	{ "metric", required_argument, NULL, OPT_METRIC },
	{ "out-field", required_argument, NULL, OPT_OUT_FIELD },
	{ "cluster-field", required_argument, NULL, OPT_CLUSTER_FIELD },
	{ "k", required_argument, NULL, OPT_K },
	{ "iters", required_argument, NULL, OPT_ITERS },
	{ "probs", no_argument, NULL, OPT_PROBS },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "logits-field", required_argument, NULL, OPT_LOGITS_FIELD },
	{ "center", required_argument, NULL, OPT_CENTER },
	{ "neighbours", required_argument, NULL, OPT_NEIGHBOURS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-score [-hqV] --metric NAME[,NAME...] [--out-field NAME]\n"
"                 [--k N] [--iters N] [--seed N] [--cluster-field NAME]\n"
"                 [--center mean|median] [--neighbours N] [--probs]\n"
"                 [--window J] [--label-field NAME] [--logits-field NAME]\n"
"                 [--field NAME] [--float32] [-o FILE] [file ...]\n"
"\n"
"Add a per-example score to every record; higher = harder / more\n"
"informative.  Every other byte of the record is kept.\n"
"\n"
"  --metric LIST        one or more of, comma-separated:\n"
"                       prototype, class-prototype, knn (embeddings; whole set)\n"
"                       el2n, grand, margin, entropy, least-confidence,\n"
"                       forgetting, aum, dynamic-uncertainty (model outputs;\n"
"                       streamed)\n"
"  --out-field NAME     score field (default score); with several metrics\n"
"                       NAME_METRIC each\n"
"  --k N                prototype: k-means clusters (default: the number of\n"
"                       distinct labels)\n"
"  --iters N            prototype: at most N Lloyd iterations (default %d)\n"
"  --seed N             prototype: k-means++ seed (default %d)\n"
"  --cluster-field NAME prototype: cluster index field (default cluster)\n"
"  --center C           class-prototype: mean (default) or median\n"
"  --neighbours N       knn: neighbours (default %d)\n"
"  --window J           dynamic-uncertainty: window in epochs (default %d)\n"
"  --probs              the outputs field holds probabilities, not logits\n"
"  --label-field NAME   class index field (default label)\n"
"  --logits-field NAME  model outputs: a vector, or one row per seed or\n"
"                       epoch (default logits)\n"
"  --field NAME         embedding field (default %s)\n"
"  --float32            print scores as float32\n"
"  -o, --output FILE    write FILE (atomically; .gz compressed)\n"
"  -q, --quiet          accepted (nsl-score prints nothing but records)\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 74 I/O error.\n", DEFAULT_ITERS, NSL_DEFAULT_SEED, DEFAULT_NEIGHBOURS,
	    DEFAULT_WINDOW, NSL_DEFAULT_FIELD);
}

static const struct nsl_tool tool = {
	.name = "score",
	.summary = "add per-example pruning scores (prototype, EL2N, "
	    "GraNd, forgetting, ...)",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32
};

static void
parse_metrics(struct nsl_score_job *job, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	size_t m;
	int metric;

	if (copy == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	job->nmetrics = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((metric = nsl_score_metric_parse(tok)) < 0)
			nsl_usage_error("--metric: unknown metric '%s'", tok);
		for (m = 0; m < job->nmetrics; m++)
			if (job->metric[m] == metric)
				nsl_usage_error("--metric: '%s' given twice", tok);
		job->metric[job->nmetrics++] = metric;
	}
	free(copy);
	if (job->nmetrics == 0)
		nsl_usage_error("--metric: no metric named");
}

int
main(int argc, char **argv)
{
	struct nsl_score_job job;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	int ch, have_metric = 0;

	memset(&job, 0, sizeof(job));
	job.out_field = "score";
	job.cluster_field = "cluster";
	job.label_field = "label";
	job.logits_field = "logits";
	job.iters = DEFAULT_ITERS;
	job.neighbours = DEFAULT_NEIGHBOURS;
	job.opts.window = DEFAULT_WINDOW;
	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_METRIC:
			parse_metrics(&job, optarg);
			have_metric = 1;
			break;
		case OPT_OUT_FIELD:
			job.out_field = optarg;
			break;
		case OPT_CLUSTER_FIELD:
			job.cluster_field = optarg;
			break;
		case OPT_K:
			job.k = (size_t)nsl_arg_long("--k", optarg, 1, 1L << 40);
			break;
		case OPT_ITERS:
			job.iters = (int)nsl_arg_long("--iters", optarg, 1,
			    1L << 30);
			break;
		case OPT_PROBS:
			job.opts.probs = 1;
			break;
		case OPT_LABEL_FIELD:
			job.label_field = optarg;
			break;
		case OPT_LOGITS_FIELD:
			job.logits_field = optarg;
			break;
		case OPT_CENTER:
			if (strcmp(optarg, "mean") == 0)
				job.median = 0;
			else if (strcmp(optarg, "median") == 0)
				job.median = 1;
			else
				nsl_usage_error("--center: expected mean or "
				    "median, not '%s'", optarg);
			break;
		case OPT_NEIGHBOURS:
			job.neighbours = (size_t)nsl_arg_long("--neighbours",
			    optarg, 1, 1L << 40);
			break;
		case OPT_WINDOW:
			job.opts.window = (size_t)nsl_arg_long("--window", optarg,
			    2, 1L << 30);
			break;
		}
	}
	if (!have_metric)
		nsl_usage_error("--metric is required");
	if (job.opts.probs) {
		size_t m;

		for (m = 0; m < job.nmetrics; m++)
			if (job.metric[m] == NSL_SCORE_AUM)
				nsl_usage_error("--probs: aum is defined on "
				    "logits, not probabilities");
	}
	job.field = cli.common.field;
	job.seed = cli.common.seed;
	job.float32 = cli.common.float32;
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	if (nsl_score_run(&job, (const char *const *)argv + optind,
	    (size_t)(argc - optind), w, &err) < 0) {
		nsl_writer_abort(w);
		nsl_die_err(&err);
	}
	if (nsl_writer_commit(w, &err) < 0)
		nsl_die_err(&err);
	nsl_cli_release(&cli);
	return nsl_finish();
}
