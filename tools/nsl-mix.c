/*
 * nsl-mix - sample a data mixture: sources in given proportions or by
 * temperature, short sources upsampled (repeat counts or repeated lines)
 * or upweighted (a weight field).
 *
 * lib/mix.c reads the records through a spool, draws the mixture and
 * writes it; this file turns the command line into struct
 * nsl_mix_params.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "nsl/buf.h"
#include "nsl/mix.h"
#include "nsl/ot.h"

static struct nsl_mix_params p;
static struct nsl_strlist weights;
static int mode, report, search, iters = 20;
static const char *valid, *method = "exact";
static double tol = 1e-6;
static const char *mode_names[8];

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "source-field", &p.source_field, "NAME",
	    "the field whose value names a record's source"),
	NSL_OPT_LIST(0, "weights", &weights, "SRC=W,...",
	    "the sources' proportions, normalised to sum 1 (every source "
	    "named; 0 drops one)", .excl = 1),
	NSL_OPT_DOUBLE(0, "temperature", &p.temperature, "T", 0, 1e300,
	    "proportions n_s^(1/T) / sum_t n_t^(1/T) of the sources' sizes "
	    "n_s: 1 as the data is, large T uniform", .flags = NSL_OPTF_GT_MIN,
	    .excl = 1),
	NSL_OPT_U64(0, "keep", &p.keep, "N",
	    "records in the mixture, more than the input allowed "
	    "(upsampling; default all)", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_CHOICE(0, "mode", &mode, "M", mode_names,
	    "repeat (a repeat count field), lines (repeated lines) or weight "
	    "(a weight field, no copies)"),
	NSL_OPT_STRING(0, "out-field", &p.field, "NAME",
	    "the repeat or weight field (default repeat or weight)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_FLAG(0, "report", &report,
	    "print each source's records, proportion, count and kept to "
	    "stderr"),
	NSL_OPT_GROUP("The mixture search (instead of sampling):"),
	NSL_OPT_FLAG(0, "search", &search,
	    "write the weights whose mixture is nearest --valid in OT cost "
	    "(Frank-Wolfe on the dual potentials)"),
	NSL_OPT_STRING(0, "valid", &valid, "FILE",
	    "search: the validation set (vectors in --field)"),
	NSL_OPT_STRING(0, "ot-method", &method, "M",
	    "search: the OT method, one that gives potentials"),
	NSL_OPT_INT(0, "iters", &iters, "N", 0, 1 << 20,
	    "search: Frank-Wolfe steps at most"),
	NSL_OPT_DOUBLE(0, "tol", &tol, "G", 0, 1,
	    "search: stop when the Frank-Wolfe gap is at most G times the "
	    "cost"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "mix",
	.summary = "sample a data mixture by proportion or temperature, "
	    "upsampled or upweighted",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD,
	.operands = "[file ...]",
	.about = "Sample records from sources in proportions given or by "
	    "temperature; the\ncounts are exact.  A short source is "
	    "upsampled (repeat, lines) or\nupweighted (weight).  Records "
	    "come out in input order.",
	.seed_help = "each source's draw",
	.forms = (const char *const[]){ "nsl-mix --search --valid FILE "
	    "[--ot-method M] [--iters N] [--tol G] [file ...]", NULL }
};

int
main(int argc, char **argv)
{
	const struct nsl_mix_mode_def *m;
	struct nsl_buf text = NSL_BUF_INIT;
	struct nsl_ot_params o;
	struct nsl_cli cli;
	struct nsl_err err;
	const char **names = NULL;
	double *w = NULL;
	char prefix[64];
	const char *why;
	size_t i;

	for (i = 0; (m = nsl_mix_mode_get((int)i)) != NULL; i++)
		mode_names[i] = m->name;
	nsl_mix_params_init(&p);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (weights.n > 0) {
		names = calloc(weights.n, sizeof(*names));
		w = calloc(weights.n, sizeof(*w));
		if (names == NULL || w == NULL)
			nsl_die(70, "out of memory");
		for (i = 0; i < weights.n; i++) {
			char *name, *val;

			nsl_arg_name_value("--weights", weights.v[i], &name,
			    &val);
			names[i] = name;
			w[i] = nsl_arg_double("--weights", val, 0, 1e300);
		}
	}
	p.names = names;
	p.weights = w;
	p.nnamed = weights.n;
	p.mode = (enum nsl_mix_mode)mode;
	p.by_count = nsl_cli_given(&cli, "keep") > 0;
	p.seed = cli.common.seed;
	if ((why = nsl_mix_check(&p)) != NULL)
		nsl_usage_error("%s", why);
	nsl_ot_params_init(&o);
	if (search && valid == NULL)
		nsl_usage_error("--search needs --valid FILE");
	if (search && ((why = nsl_ot_param_parse(&o, "method", method)) !=
	    NULL || (why = nsl_mix_search_check(&o)) != NULL))
		nsl_usage_error("--ot-method: %s", why);
	snprintf(prefix, sizeof(prefix), "%s: ", nsl_progname());
	if ((search ? nsl_mix_search_files(&p, &o, cli.common.field, valid,
	    iters, tol, (const char *const *)argv + cli.optind,
	    (size_t)(argc - cli.optind), cli.common.output, &err) :
	    nsl_mix_files(&p, (const char *const *)argv + cli.optind,
	    (size_t)(argc - cli.optind), cli.common.output,
	    report ? &text : NULL, prefix, &err)) != 0)
		nsl_die_err(&err);
	if (text.len > 0)
		fputs(text.data, stderr);
	nsl_buf_release(&text);
	free(names);
	free(w);
	nsl_strlist_release(&weights);
	nsl_cli_release(&cli);
	return nsl_finish();
}
