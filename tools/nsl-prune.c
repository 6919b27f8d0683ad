/*
 * nsl-prune - keep a subset of records by score.
 *
 * lib/prune.c reads the records through a spool (keeping only each one's
 * score, group and place), chooses by a strategy of its catalogue, and
 * writes the chosen records' own lines back in input order; this file
 * turns the command line into a struct nsl_prune_job.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nsl/buf.h"
#include "cli.h"
#include "nsl/prune.h"
#include "nsl/prune_plan.h"

static struct nsl_prune_job job = { .score_field = "score" };
static const char *save_plan, *plan_path, *id_field = "id", *partition;
static const char *cluster_field = "cluster";
static struct nsl_strlist vectors;
static int strategy, report, list;
static const char *strategy_names[16];

static const struct nsl_opt opts[] = {
	NSL_OPT_DOUBLE(0, "keep-fraction", &job.p.fraction, "F", 0, 1,
	    "keep round(F n) records, at least 1", .flags = NSL_OPTF_GT_MIN |
	    NSL_OPTF_NODEFAULT, .excl = 1),
	NSL_OPT_U64(0, "keep", &job.p.keep_count, "N", "keep N records",
	    .max = (double)(SIZE_MAX / 2), .flags = NSL_OPTF_NODEFAULT,
	    .excl = 1),
	NSL_OPT_CHOICE(0, "strategy", &strategy, "S", strategy_names,
	    "which records to keep: hard (the highest scores), easy, random, "
	    "stratified (CCS), dedup (SemDeDup), k-center, herding, "
	    "facility-location, facility-stochastic (coresets of the "
	    "vectors); --list-strategies says more"),
	NSL_OPT_MODE(0, "list-strategies", &list, 1,
	    "list the strategies and what each does"),
	NSL_OPT_STRING(0, "score-field", &job.score_field, "NAME",
	    "the score"),
	NSL_OPT_STRING(0, "by", &job.by, "FIELD",
	    "prune each value of FIELD alike (class-balanced)"),
	NSL_OPT_DOUBLE(0, "cutoff", &job.p.cutoff, "B", 0, 1,
	    "stratified: first drop the hardest B fraction"),
	NSL_OPT_SIZE(0, "strata", &job.p.strata, "K", 1, 1 << 24,
	    "stratified: equal-width score strata"),
	NSL_OPT_DOUBLE(0, "eps", &job.p.eps, "E", 0, 2,
	    "dedup: drop a record whose cosine similarity to a kept one in "
	    "its cluster exceeds 1 - E; facility-stochastic: sample (n/m) "
	    "ln(1/E) candidates a step (default 0.01)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_SIZE(0, "k", &job.p.k, "K", 1, 1 << 30,
	    "dedup: k-means clusters (per group)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_INT(0, "iters", &job.p.max_iter, "N", 1, 1 << 30,
	    "dedup: Lloyd iterations at most"),
	NSL_OPT_STRING(0, "save-plan", &save_plan, "FILE",
	    "read every shard given, write the selection plan to FILE (no "
	    "records); ties by the seeded hash of --id-field", .excl = 2),
	NSL_OPT_STRING(0, "plan", &plan_path, "FILE",
	    "keep the records a saved plan selects, one shard at a time",
	    .excl = 2),
	NSL_OPT_STRING(0, "partition", &partition, "DIR", "with a dedup "
	    "--plan: records (and --vectors rows) by cluster into DIR/C.*"),
	NSL_OPT_STRING(0, "cluster-field", &cluster_field, "NAME",
	    "with --partition: the cluster index"),
	NSL_OPT_STRING(0, "id-field", &id_field, "NAME",
	    "with --save-plan: the unique record id"),
	NSL_OPT_LIST(0, "vectors", &vectors, "FILE.npy,...",
	    "dedup (also by --plan) and the coresets: the vectors from .npy "
	    "files, one beside each input in order (row i: its record i)"),
	NSL_OPT_FLAG(0, "report", &report,
	    "print kept counts and score ranges to stderr"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "prune",
	.summary = "keep a subset of records by score: hard, easy, "
	    "random, CCS, SemDeDup",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_NONFINITE,
	.operands = "[file ...]",
	.about = "Keep a subset of records by score (higher = harder); the "
	    "kept records'\nlines are written unchanged, in input order.",
	.seed_help = "random choices of random and stratified, the "
	    "k-means seeding of dedup, k-center's start and "
	    "facility-stochastic's samples"
};

static void
progress(void *arg, uint64_t n)
{
	if (n == (uint64_t)-1)
		nsl_progress_end(arg);
	else
		nsl_progress_update(arg, n);
}

int
main(int argc, char **argv)
{
	const struct nsl_prune_strategy_def *s;
	struct nsl_buf text = NSL_BUF_INIT;
	struct nsl_progress meter;
	struct nsl_cli cli;
	struct nsl_err err;
	char prefix[64];
	const char *why, *const *in;
	size_t nin;
	int i, have_keep;

	for (i = 0; (s = nsl_prune_strategy_get(i)) != NULL; i++)
		strategy_names[i] = s->name;
	nsl_prune_params_init(&job.p);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	in = (const char *const *)argv + cli.optind;
	nin = (size_t)(argc - cli.optind);
	if (list) {
		for (i = 0; (s = nsl_prune_strategy_get(i)) != NULL; i++)
			printf("%s\t%s\n", s->name, s->help);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (partition != NULL && (plan_path == NULL ||
	    cli.common.output != NULL))
		nsl_usage_error("--partition: with --plan, and no -o");
	if (plan_path != NULL) {
		if (nsl_prune_plan_run(plan_path, job.p.eps, in, nin,
		    cli.common.field, cluster_field, (const char *const *)
		    vectors.v, vectors.n, partition, cli.common.output,
		    &err) < 0)
			nsl_die_err(&err);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	job.vectors = (const char *const *)vectors.v;
	job.nvectors = vectors.n;
	job.p.strategy = (enum nsl_prune_strategy)strategy;
	job.p.seed = cli.common.seed;
	job.p.by_count = nsl_cli_given(&cli, "keep") > 0;
	have_keep = nsl_cli_given(&cli, "keep") +
	    nsl_cli_given(&cli, "keep-fraction");
	if ((why = nsl_prune_keep_check(&job.p, have_keep)) != NULL ||
	    (why = nsl_prune_check(&job.p)) != NULL || (save_plan != NULL &&
	    (why = nsl_prune_plan_check(&job)) != NULL))
		nsl_usage_error("%s", why);
	job.field = cli.common.field;
	job.output = cli.common.output;
	job.allow_nonfinite = cli.common.allow_nonfinite;
	snprintf(prefix, sizeof(prefix), "%s: ", nsl_progname());
	job.report_prefix = prefix;
	if (save_plan != NULL) {
		struct nsl_prune_plan plan;

		if (nsl_prune_plan_build(&plan, &job, id_field, in, nin,
		    &err) < 0 ||
		    nsl_prune_plan_write(&plan, save_plan, &err) < 0)
			nsl_die_err(&err);
		nsl_prune_plan_release(&plan);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	nsl_progress_start(&meter, "records", 0, cli.common.quiet);
	job.progress = progress;
	job.progress_arg = &meter;
	if (nsl_prune_files(&job, in, nin, report ? &text : NULL, &err) != 0)
		nsl_die_err(&err);
	if (text.len > 0)
		fputs(text.data, stderr);
	nsl_buf_release(&text);
	nsl_strlist_release(&vectors);
	nsl_cli_release(&cli);
	return nsl_finish();
}
