/*
 * nsl-prune - keep a subset of records by score.
 *
 * One pass reads every record through a spool (lib/spool.c), keeping only
 * its score, group and place; lib/prune.c chooses; the spool writes the
 * chosen records' own lines back in input order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/buf.h"
#include "cli.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/prune.h"
#include "nsl/spool.h"

#define DEFAULT_SCORE_FIELD "score"

enum {
	OPT_SCORE_FIELD = 1,
	OPT_KEEP_FRACTION,
	OPT_KEEP,
	OPT_STRATEGY,
	OPT_CUTOFF,
	OPT_STRATA,
	OPT_EPS,
	OPT_K,
	OPT_ITERS,
	OPT_BY,
	OPT_REPORT
};

static const struct option longopts[] = {
	{ "score-field", required_argument, NULL, OPT_SCORE_FIELD },
	{ "keep-fraction", required_argument, NULL, OPT_KEEP_FRACTION },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ "cutoff", required_argument, NULL, OPT_CUTOFF },
	{ "strata", required_argument, NULL, OPT_STRATA },
	{ "eps", required_argument, NULL, OPT_EPS },
	{ "k", required_argument, NULL, OPT_K },
	{ "iters", required_argument, NULL, OPT_ITERS },
	{ "by", required_argument, NULL, OPT_BY },
	{ "report", no_argument, NULL, OPT_REPORT },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-prune [-hqV] [--keep-fraction F | --keep N] [--strategy S]\n"
"                 [--score-field NAME] [--by FIELD] [--seed N] [--cutoff B]\n"
"                 [--strata K] [--eps E] [--k K] [--field NAME] [--iters N]\n"
"                 [--report] [--allow-nonfinite] [-o FILE] [file ...]\n"
"\n"
"Keep a subset of records by score (higher = harder); the kept records'\n"
"lines are written unchanged, in input order.\n"
"\n"
"  --keep-fraction F    keep round(F * n) records, 0 < F <= 1, at least 1\n"
"  --keep N             keep N records\n"
"  --strategy S         hard (highest scores, the default), easy (lowest),\n"
"                       random, stratified (CCS) or dedup (SemDeDup)\n"
"  --score-field NAME   the score (default %s)\n"
"  --by FIELD           prune each value of FIELD alike (class-balanced)\n"
"  --seed N             random choices of random and stratified, and the\n"
"                       k-means seeding of dedup (default %d)\n"
"  --cutoff B           stratified: first drop the hardest B fraction\n"
"                       (default %g)\n"
"  --strata K           stratified: equal-width score strata (default %d)\n"
"  --eps E              dedup: drop a record whose cosine similarity to a\n"
"                       kept one in its cluster exceeds 1 - E\n"
"  --k K                dedup: k-means clusters (per group)\n"
"  --field NAME         dedup: the embedding (default %s)\n"
"  --iters N            dedup: Lloyd iterations at most (default %d)\n"
"  --report             print kept counts and score ranges to stderr\n"
"  --allow-nonfinite    accept NaN and Infinity in other fields\n"
"  -o, --output FILE    write FILE (atomically; .gz compressed)\n"
"  -q, --quiet          no progress meter\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 74 I/O error.\n",
	    DEFAULT_SCORE_FIELD, NSL_DEFAULT_SEED, NSL_PRUNE_DEFAULT_CUTOFF,
	    NSL_PRUNE_DEFAULT_STRATA, NSL_DEFAULT_FIELD,
	    NSL_PRUNE_DEFAULT_ITERS);
}

static const struct nsl_tool tool = {
	.name = "prune",
	.summary = "keep a subset of records by score: hard, easy, "
	    "random, CCS, SemDeDup",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_NONFINITE
};

int
main(int argc, char **argv)
{
	struct nsl_prune_params p;
	struct nsl_progress progress;
	struct nsl_prune_stats *stats;
	struct nsl_prune_set set;
	struct nsl_buf text = NSL_BUF_INIT;
	struct nsl_spool *spool;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_rec rec;
	const char *score_field = DEFAULT_SCORE_FIELD, *by = NULL;
	const char *want_score, *want_vec;
	unsigned char *keep;
	size_t i;
	int ch, do_report = 0, have_keep = 0, ai, rc;

	nsl_prune_params_init(&p);
	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_SCORE_FIELD:
			score_field = optarg;
			break;
		case OPT_KEEP_FRACTION:
			p.fraction = nsl_arg_double("--keep-fraction", optarg,
			    -HUGE_VAL, HUGE_VAL);
			if (!(p.fraction > 0 && p.fraction <= 1))
				nsl_usage_error("--keep-fraction: %s is not in "
				    "(0, 1]", optarg);
			p.by_count = 0;
			have_keep++;
			break;
		case OPT_KEEP:
			p.keep_count = (uint64_t)nsl_arg_long("--keep", optarg,
			    0, (long long)(SIZE_MAX / 2));
			p.by_count = 1;
			have_keep++;
			break;
		case OPT_STRATEGY:
			if (nsl_prune_strategy_parse(optarg, &p.strategy) != 0)
				nsl_usage_error("--strategy: unknown '%s' (hard, "
				    "easy, random, stratified or dedup)",
				    optarg);
			break;
		case OPT_CUTOFF:
			p.cutoff = nsl_arg_double("--cutoff", optarg, 0, 1);
			break;
		case OPT_STRATA:
			p.strata = (size_t)nsl_arg_long("--strata", optarg, 1,
			    1L << 24);
			break;
		case OPT_EPS:
			p.eps = nsl_arg_double("--eps", optarg, 0, 2);
			break;
		case OPT_K:
			p.k = (size_t)nsl_arg_long("--k", optarg, 1, 1L << 30);
			break;
		case OPT_ITERS:
			p.max_iter = (int)nsl_arg_long("--iters", optarg, 1,
			    1L << 30);
			break;
		case OPT_BY:
			by = optarg;
			break;
		case OPT_REPORT:
			do_report = 1;
			break;
		default:
			nsl_usage_error("unexpected option");
		}
	}
	p.seed = cli.common.seed;
	if (p.strategy == NSL_PRUNE_DEDUP && have_keep)
		nsl_usage_error("dedup keeps what --eps leaves: no "
		    "--keep-fraction or --keep");
	if (p.strategy != NSL_PRUNE_DEDUP && have_keep != 1)
		nsl_usage_error(have_keep ? "give one of --keep-fraction and "
		    "--keep" : "how many to keep? (--keep-fraction or --keep)");
	if (nsl_prune_check(&p) != NULL)
		nsl_usage_error("%s", nsl_prune_check(&p));
	if (*score_field == '\0' || (by != NULL && *by == '\0'))
		nsl_usage_error("empty field name");

	want_score = p.strategy == NSL_PRUNE_DEDUP ? NULL : score_field;
	want_vec = p.strategy == NSL_PRUNE_DEDUP ? cli.common.field : NULL;
	if ((spool = nsl_spool_new()) == NULL ||
	    nsl_prune_set_init(&set, by != NULL) != 0)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	nsl_rec_init(&rec, cli.common.allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	nsl_progress_start(&progress, "records", 0, cli.common.quiet);
	for (ai = optind; ai < argc || ai == optind; ai++) {
		if (nsl_spool_open(spool, ai < argc ? argv[ai] : "-", &err))
			nsl_die_err(&err);
		while ((rc = nsl_spool_next(spool, &rec, &err)) == 1) {
			if (nsl_prune_set_add(&set, &rec, want_score, want_vec,
			    by, &err) != 0) {
				nsl_spool_locate(spool, &err);
				nsl_die_err(&err);
			}
			if ((set.n & 1023) == 0)
				nsl_progress_update(&progress, set.n);
		}
		if (rc < 0)
			nsl_die_err(&err);
		if (ai >= argc)
			break;
	}
	nsl_rec_release(&rec);
	nsl_progress_end(&progress);
	if (nsl_prune_set_finish(&set, &err) != 0)
		nsl_die_err(&err);

	keep = malloc(set.n + 1);
	stats = calloc(set.ngroups + 1, sizeof(*stats));
	if (keep == NULL || stats == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if (p.strategy == NSL_PRUNE_STRATIFIED && do_report)
		for (i = 0; i < set.ngroups; i++) {
			stats[i].bin_size = calloc(p.strata, sizeof(size_t));
			stats[i].bin_alloc = calloc(p.strata, sizeof(size_t));
			if (stats[i].bin_size == NULL ||
			    stats[i].bin_alloc == NULL)
				nsl_die(NSL_EX_SOFTWARE, "out of memory");
		}
	if (nsl_prune_run(&p, set.n, set.score, by != NULL ? set.group : NULL,
	    set.ngroups, set.names, set.x, set.d, keep, stats, &err) != 0)
		nsl_die_err(&err);

	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	if (nsl_spool_emit(spool, keep, w, &err) != 0)
		nsl_die_err(&err);
	if (nsl_writer_commit(w, &err) != 0) {
		nsl_err_at(&err, cli.common.output != NULL ?
		    cli.common.output : "<stdout>", 0);
		nsl_die_err(&err);
	}
	if (do_report) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s: ", nsl_progname());
		nsl_prune_report(&text, prefix, &p, stats, set.n > 0 ?
		    set.ngroups : 0, set.names);
		if (text.len > 0)
			fputs(text.data, stderr);
		nsl_buf_release(&text);
	}
	for (i = 0; i < set.ngroups; i++) {
		free(stats[i].bin_size);
		free(stats[i].bin_alloc);
	}
	free(stats);
	free(keep);
	nsl_prune_set_release(&set);
	nsl_spool_free(spool);
	nsl_cli_release(&cli);
	return nsl_finish();
}
