/*
 * nsl-embed - fit a linear map (PCA or random projection) on one record
 * set, or load a saved one, and apply it to records.  lib/embed.c does
 * the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/dataset.h"
#include "nsl/embed.h"
#include "nsl/io.h"
#include "nsl/json.h"

enum {
	OPT_FIT = 1, OPT_METHOD, OPT_DIM, OPT_WHITEN, OPT_SAVE, OPT_LOAD,
	OPT_OUT_FIELD
};

static const struct option longopts[] = {
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "dim", required_argument, NULL, OPT_DIM },
	{ "whiten", no_argument, NULL, OPT_WHITEN },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "out-field", required_argument, NULL, OPT_OUT_FIELD },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-embed [-hqV] (--fit FILE --dim K [--method pca|random]\n"
"                 [--whiten] [--seed N] [--save MAP] | --load MAP)\n"
"                 [--field NAME] [--out-field NAME] [--float32] [-o FILE]\n"
"                 [file ...]\n"
"\n"
"Fit a linear map on the records of --fit (or read one with --load) and\n"
"apply it to the records of the files (standard input without files):\n"
"the image replaces the vector (or goes to --out-field); every other field\n"
"is kept, in order.\n"
"\n"
"  --fit FILE         records to fit the map on\n"
"  --method M         pca (covariance eigenvectors, the default) or random\n"
"                     (Gaussian N(0, 1/K) projection; --fit only sets d)\n"
"  --dim K            dimensions kept\n"
"  --whiten           pca: divide each component by its deviation\n"
"  --seed N           random: the projection's seed (default %d)\n"
"  --save MAP         write the map as a JSON record to MAP\n"
"  --load MAP         apply the map saved in MAP\n"
"  --field NAME       the vector (default %s)\n"
"  --out-field NAME   write the image to NAME (default: --field)\n"
"  --float32          print the image as float32\n"
"  -o, --output FILE  write FILE (atomically; .gz compressed)\n"
"  -q, --quiet        no progress meter\n"
"  -h, --help         this help\n"
"  -V, --version      the version\n"
"\n"
"Without file operands the records to map come from standard input (to\n"
"only save a map: < /dev/null); with --fit -, from the operands alone.\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 74 I/O error.\n", NSL_DEFAULT_SEED, NSL_DEFAULT_FIELD);
}

static const struct nsl_tool tool = {
	.name = "embed",
	.summary = "reduce embeddings: PCA or random projection, "
	    "saved and reapplied",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32
};

static void
load_map(struct nsl_embed *e, const char *path)
{
	struct nsl_err err;
	struct nsl_reader *r;
	struct nsl_rec rec;
	int got;

	nsl_err_clear(&err);
	if ((r = nsl_reader_open(path, &err)) == NULL)
		nsl_die_err(&err);
	nsl_rec_init(&rec, 0);
	if ((got = nsl_rec_read(r, &rec, &err)) < 0)
		nsl_die_err(&err);
	if (got == 0)
		nsl_die(NSL_EX_DATAERR, "%s: no map record", nsl_reader_name(r));
	if (nsl_embed_parse(e, &rec, &err) != 0) {
		nsl_err_at(&err, nsl_reader_name(r), nsl_reader_lineno(r));
		nsl_die_err(&err);
	}
	nsl_rec_release(&rec);
	nsl_reader_close(r);
}

static void
save_map(const struct nsl_embed *e, const char *path)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_err err;

	nsl_err_clear(&err);
	nsl_embed_write(e, &b);
	if (nsl_buf_failed(&b))
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if ((w = nsl_writer_open(path, &err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
}

/* Apply e to every record of path, writing to w. */
static void
apply_file(const struct nsl_embed *e, const char *path, const char *field,
    const char *out_field, int float32, struct nsl_writer *w)
{
	const char *skip[1] = { out_field };
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_reader *r;
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_obj o;
	double *x = NULL, *y = malloc(e->k * sizeof(double));
	size_t n = 0, cap = 0;
	long i;
	int got;

	nsl_err_clear(&err);
	if (y == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if ((r = nsl_reader_open(path, &err)) == NULL)
		nsl_die_err(&err);
	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, &err)) == 1) {
		if ((i = nsl_rec_require(&rec, field, &err)) < 0 ||
		    nsl_rec_vector(&rec, (size_t)i, &x, &n, &cap, &err) != 0) {
			nsl_err_at(&err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			nsl_die_err(&err);
		}
		if (n != e->d)
			nsl_die(NSL_EX_DATAERR, "%s:%lu: field \"%s\": %zu "
			    "numbers, the map takes %zu", nsl_reader_name(r),
			    nsl_reader_lineno(r), field, n, e->d);
		nsl_embed_apply(e, x, y);
		nsl_buf_reset(&b);
		nsl_obj_begin(&o, &b);
		o.style = float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
		nsl_obj_copy_except(&o, &rec, skip, 1);
		nsl_obj_key(&o, out_field);
		nsl_obj_vector(&o, y, e->k);
		nsl_obj_end(&o);
		if (nsl_buf_failed(&b))
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if (nsl_writer_write(w, b.data, b.len, &err) != 0)
			nsl_die_err(&err);
	}
	if (got < 0)
		nsl_die_err(&err);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	nsl_buf_release(&b);
	free(x);
	free(y);
}

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_embed e;
	struct nsl_err err;
	struct nsl_writer *w;
	const char *fit = NULL, *save = NULL, *load = NULL, *out_field = NULL;
	const char *stdin_only = "-";
	enum nsl_embed_method method = NSL_EMBED_PCA;
	long dim = 0;
	int c, whiten = 0, i, fit_stdin;

	nsl_cli_init(&cli, &tool, longopts, "");
	while ((c = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_FIT: fit = optarg; break;
		case OPT_METHOD:
			if (strcmp(optarg, "pca") == 0)
				method = NSL_EMBED_PCA;
			else if (strcmp(optarg, "random") == 0)
				method = NSL_EMBED_RANDOM;
			else
				nsl_usage_error("--method: unknown method "
				    "\"%s\" (pca or random)", optarg);
			break;
		case OPT_DIM: dim = nsl_arg_long("--dim", optarg, 1, 100000000); break;
		case OPT_WHITEN: whiten = 1; break;
		case OPT_SAVE: save = optarg; break;
		case OPT_LOAD: load = optarg; break;
		case OPT_OUT_FIELD: out_field = optarg; break;
		}
	}
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
	for (i = optind; fit_stdin && i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			nsl_usage_error("standard input cannot be both --fit "
			    "and the records to map");
	if (fit_stdin && optind == argc && save == NULL)
		nsl_usage_error("--fit - takes standard input: name the "
		    "records to map as operands, or --save MAP");

	nsl_err_clear(&err);
	nsl_embed_init(&e);
	if (load != NULL) {
		load_map(&e, load);
	} else {
		struct nsl_dataset ds;

		if (nsl_dataset_read(&ds, &fit, 1, cli.common.field, NULL, 0,
		    &err) != 0)
			nsl_die_err(&err);
		if ((method == NSL_EMBED_PCA ?
		    nsl_embed_fit_pca(&e, ds.x, ds.n, ds.d, (size_t)dim,
		    whiten, &err) :
		    nsl_embed_fit_random(&e, ds.d, (size_t)dim,
		    cli.common.seed, &err)) != 0) {
			if (err.code != NSL_EX_USAGE)
				nsl_err_at(&err, ds.paths[0], 0);
			nsl_die_err(&err);
		}
		nsl_dataset_release(&ds);
	}
	if (save != NULL)
		save_map(&e, save);
	if (!fit_stdin || optind < argc) {
		if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
			nsl_die_err(&err);
		if (optind == argc)
			apply_file(&e, stdin_only, cli.common.field, out_field,
			    cli.common.float32, w);
		for (i = optind; i < argc; i++)
			apply_file(&e, argv[i], cli.common.field, out_field,
			    cli.common.float32, w);
		if (nsl_writer_commit(w, &err) != 0)
			nsl_die_err(&err);
	}
	nsl_embed_release(&e);
	nsl_cli_release(&cli);
	return nsl_finish();
}
