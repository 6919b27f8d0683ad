/*
 * nsl-score - add per-example data-pruning scores to records.
 *
 * The metrics (a catalogue of rows) and the record loop are in
 * lib/score.c; this file turns the command line into a struct
 * nsl_score_job.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/buf.h"
#include "nsl/io.h"
#include "nsl/score.h"
#include "nsl/score_model.h"

static struct nsl_buf notes = NSL_BUF_INIT;
static struct nsl_score_job job = {
	.out_field = "score", .cluster_field = "cluster",
	.label_field = "label", .logits_field = "logits",
	.iters = 300, .neighbours = 10, .opts = { .window = 10 },
	.notes = &notes,
	.loss_field = "loss", .masked_loss_field = "loss_masked",
	.holdout_loss_field = "loss_holdout", .lava_inner = "sinkhorn",
	.id_field = "id"
};
static struct nsl_strlist vectors;
static const char *save_model, *model_path;
static int center, list;
static char metric_help[1024];

static const char *const center_names[] = { "mean", "median", NULL };
static const char *const index_names[] = { "exact", "ivf", NULL };

static const char *
metric_list(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_score_metrics_parse(&job, arg);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_CALLBACK(0, "metric", NULL, "NAME,...", metric_list,
	    metric_help, .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_MODE(0, "list-metrics", &list, 1,
	    "list the metrics, what each reads and what it is"),
	NSL_OPT_STRING(0, "out-field", &job.out_field, "NAME",
	    "score field; with several metrics NAME_METRIC each"),
	NSL_OPT_SIZE(0, "k", &job.k, "N", 1, 1099511627776.0,
	    "prototype: k-means clusters (default: the number of distinct "
	    "labels)", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_INT(0, "iters", &job.iters, "N", 1, 1 << 30,
	    "prototype: at most N Lloyd iterations"),
	NSL_OPT_STRING(0, "cluster-field", &job.cluster_field, "NAME",
	    "prototype: cluster index field"),
	NSL_OPT_CHOICE(0, "center", &center, NULL, center_names,
	    "class-prototype: the class mean or coordinate-wise median"),
	NSL_OPT_SIZE(0, "neighbours", &job.neighbours, "N", 1,
	    1099511627776.0, "knn: neighbours"),
	NSL_OPT_CHOICE(0, "index", &job.knn_index, NULL, index_names,
	    "knn: all pairs, or an inverted-file index over k-means lists"),
	NSL_OPT_SIZE(0, "lists", &job.lists, "L", 1, 1099511627776.0,
	    "knn ivf: lists (default: ceil(sqrt(n)))",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_SIZE(0, "nprobe", &job.nprobe, "P", 1, 1099511627776.0,
	    "knn ivf: nearest lists searched a record (default 8; P >= L: "
	    "exact)", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_SIZE(0, "window", &job.opts.window, "J", 2, 1 << 30,
	    "dynamic-uncertainty: window in epochs"),
	NSL_OPT_FLAG(0, "probs", &job.opts.probs,
	    "the outputs field holds probabilities, not logits"),
	NSL_OPT_STRING(0, "save-model", &save_model, "FILE",
	    "fit the whole-set metric and write what it learned to FILE "
	    "(no records are written)", .excl = 2),
	NSL_OPT_STRING(0, "model", &model_path, "FILE",
	    "score each record by a saved model, one record at a time",
	    .excl = 2),
	NSL_OPT_SIZE(0, "max-per-centroid", &job.per_centroid, "P", 1,
	    1099511627776.0, "prototype: fit on only the k P records of "
	    "smallest seeded id hash", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_STRING(0, "id-field", &job.id_field, "NAME",
	    "the record id hashed by --max-per-centroid"),
	NSL_OPT_LIST(0, "vectors", &vectors, "FILE.npy,...", "whole-set "
	    "metrics: embeddings from .npy files, one beside each input"),
	NSL_OPT_STRING(0, "label-field", &job.label_field, "NAME",
	    "class index field"),
	NSL_OPT_STRING(0, "logits-field", &job.logits_field, "NAME",
	    "model outputs: a vector, or one row per seed or epoch"),
	NSL_OPT_STRING(0, "valid", &job.valid, "FILE",
	    "lava: the clean validation set (the same vector and label "
	    "fields)"),
	NSL_OPT_STRING(0, "lava-inner", &job.lava_inner, "METHOD",
	    "lava: the OT solver under the label-aware cost, sinkhorn or "
	    "exact"),
	NSL_OPT_STRING(0, "loss-field", &job.loss_field, "NAME",
	    "attention-influence: the base loss; reducible-loss: the "
	    "training model's; perplexity: the reference model's"),
	NSL_OPT_STRING(0, "masked-loss-field", &job.masked_loss_field, "NAME",
	    "attention-influence: the loss with the retrieval heads masked"),
	NSL_OPT_STRING(0, "holdout-loss-field", &job.holdout_loss_field,
	    "NAME", "reducible-loss: the holdout-trained model's loss"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "score",
	.summary = "add per-example pruning scores (prototype, EL2N, "
	    "GraNd, forgetting, ...)",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32,
	.operands = "[file ...]",
	.about = "Add a per-example score to every record; higher = harder / "
	    "more\ninformative.  Every other byte of the record is kept.",
	.seed_help = "prototype, knn ivf: the k-means++ seed"
};

int
main(int argc, char **argv)
{
	const struct nsl_score_metric_def *m;
	struct nsl_score_model model = { .metric = -1 };
	const char *const *files;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *why;
	size_t nfiles;
	int i;

	nsl_score_metric_help(metric_help, sizeof(metric_help));
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		for (i = 0; (m = nsl_score_metric_get(i)) != NULL; i++)
			printf("%s\t%s\t%s\n", m->name, m->needs &
			    NSL_SCORE_NEEDS_SET ? "embeddings" : m->needs &
			    NSL_SCORE_LOSSES ? "losses" : "outputs", m->help);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	job.median = center;
	job.field = cli.common.field;
	job.seed = cli.common.seed;
	job.float32 = cli.common.float32;
	job.vectors = (const char *const *)vectors.v;
	job.nvectors = vectors.n;
	files = (const char *const *)argv + cli.optind;
	nfiles = (size_t)(argc - cli.optind);
	if ((why = nsl_score_check(&job)) != NULL ||
	    ((save_model || model_path) &&
	    (why = nsl_score_model_check(&job, NULL)) != NULL))
		nsl_usage_error("%s", why);
	if (model_path != NULL && job.per_centroid > 0)
		nsl_usage_error("--max-per-centroid is of a fit, not of "
		    "--model");
	if ((model_path != NULL && nsl_score_model_read(&model, model_path,
	    &err) < 0) || (save_model != NULL && nsl_score_model_fit(&model,
	    &job, files, nfiles, &err) < 0) || (w = nsl_writer_open(
	    save_model ? save_model : cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	if ((save_model ? nsl_score_model_write(&model, w, &err) :
	    model_path ? nsl_score_model_apply(&model, &job, files, nfiles, w,
	    &err) : nsl_score_run(&job, files, nfiles, w, &err)) < 0) {
		nsl_writer_abort(w);
		nsl_die_err(&err);
	}
	if (nsl_writer_commit(w, &err) < 0)
		nsl_die_err(&err);
	nsl_warn_lines(&notes);
	nsl_score_model_release(&model);
	nsl_strlist_release(&vectors);
	nsl_cli_release(&cli);
	return nsl_finish();
}
