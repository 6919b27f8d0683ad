/*
 * nsl-embed - fit a linear map (PCA or random projection) on one record
 * set, or load a saved one, and apply it to records.  lib/embed.c does
 * the work: the fit, the map record's write/parse pair and the files.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/embed.h"
#include "nsl/io.h"

static const char *fit, *save, *load, *out_field;
static size_t dim;
static int method, whiten;

/* --method NAME: one of the map record's methods. */
static const char *
method_name(const struct nsl_opt *r, const char *arg)
{
	static char msg[160];

	(void)r;
	if ((method = nsl_embed_method_parse(arg)) >= 0)
		return NULL;
	snprintf(msg, sizeof(msg), "unknown method \"%.64s\" (%s or %s)", arg,
	    nsl_embed_method_names[0], nsl_embed_method_names[1]);
	return msg;
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "fit", &fit, "FILE", "records to fit the map on",
	    .excl = 1),
	NSL_OPT_STRING(0, "load", &load, "MAP", "apply the map saved in MAP",
	    .excl = 1),
	NSL_OPT_CALLBACK(0, "method", NULL, "pca|random", method_name,
	    "pca (covariance eigenvectors, the default) or random (Gaussian "
	    "N(0, 1/K) projection; --fit only sets d)"),
	NSL_OPT_SIZE(0, "dim", &dim, "K", 1, 100000000, "dimensions kept",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_FLAG(0, "whiten", &whiten,
	    "pca: divide each component by its deviation"),
	NSL_OPT_STRING(0, "save", &save, "MAP",
	    "write the map as a JSON record to MAP"),
	NSL_OPT_STRING(0, "out-field", &out_field, "NAME",
	    "write the image to NAME (default: --field)"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "embed",
	.summary = "reduce embeddings: PCA or random projection, "
	    "saved and reapplied",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32,
	.operands = "[file ...]",
	.about = "Fit a linear map on the records of --fit (or read one with "
	    "--load) and\napply it to the records of the files: the image "
	    "replaces the vector (or\ngoes to --out-field); every other field "
	    "is kept, in order.\n\nWithout file operands the records to map "
	    "come from standard input (to\nonly save a map: < /dev/null); "
	    "with --fit -, from the operands alone.",
	.seed_help = "random: the projection's seed"
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_embed e;
	struct nsl_err err;
	struct nsl_writer *w;
	int i, fit_stdin;

	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (out_field == NULL)
		out_field = cli.common.field;
	if ((fit == NULL) == (load == NULL))
		nsl_usage_error("give exactly one of --fit FILE and --load MAP");
	if (fit != NULL && dim == 0)
		nsl_usage_error("--fit needs --dim K");
	if (load != NULL && (dim != 0 || whiten))
		nsl_usage_error("--dim and --whiten come from the map with "
		    "--load");
	if (whiten && method != NSL_EMBED_PCA)
		nsl_usage_error("--whiten applies to --method pca only");
	/*
	 * A filter with no operands reads standard input -- unless --fit
	 * has taken it, when only --save is left to do.
	 */
	fit_stdin = fit != NULL && strcmp(fit, "-") == 0;
	for (i = cli.optind; fit_stdin && i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			nsl_usage_error("standard input cannot be both --fit "
			    "and the records to map");
	if (fit_stdin && cli.optind == argc && save == NULL)
		nsl_usage_error("--fit - takes standard input: name the "
		    "records to map as operands, or --save MAP");

	nsl_err_clear(&err);
	nsl_embed_init(&e);
	if ((load != NULL ? nsl_embed_load(&e, load, &err) :
	    nsl_embed_fit_file(&e, fit, cli.common.field,
	    (enum nsl_embed_method)method, dim, whiten, cli.common.seed,
	    &err)) != 0 || (save != NULL && nsl_embed_save(&e, save, &err)))
		nsl_die_err(&err);
	if (!fit_stdin || cli.optind < argc) {
		if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
			nsl_die_err(&err);
		if (cli.optind == argc)
			argv[--cli.optind] = "-";	/* standard input */
		for (i = cli.optind; i < argc; i++)
			if (nsl_embed_apply_file(&e, argv[i], cli.common.field,
			    out_field, cli.common.float32, w, &err) != 0)
				nsl_die_err(&err);
		if (nsl_writer_commit(w, &err) != 0)
			nsl_die_err(&err);
	}
	nsl_embed_release(&e);
	nsl_cli_release(&cli);
	return nsl_finish();
}
