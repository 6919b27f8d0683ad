/*
 * nsl-convert - convert records between JSONL, NumPy .npy, CSV and IDX.
 *
 * The work is in lib/convert.c; this file turns the command line into a
 * struct nsl_convert_opts and feeds it the input files.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nsl/convert.h"
#include "nsl/io.h"

#define DEFAULT_LABEL_FIELD "label"
#define DEFAULT_ID_FIELD "id"

enum {
	OPT_FROM = 1,
	OPT_TO,
	OPT_LABELS,
	OPT_LABEL_FIELD,
	OPT_ID_FIELD,
	OPT_VECTOR_COLUMNS,
	OPT_DTYPE,
	OPT_SCALE
};

static const struct option longopts[] = {
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "labels", required_argument, NULL, OPT_LABELS },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "vector-columns", required_argument, NULL, OPT_VECTOR_COLUMNS },
	{ "dtype", required_argument, NULL, OPT_DTYPE },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-convert [-hqV] [--from FMT] [--to FMT] [--labels FILE]\n"
"                   [--field NAME] [--label-field NAME] [--id-field NAME]\n"
"                   [--vector-columns PREFIX] [--dtype float64|float32]\n"
"                   [--scale X] [--float32] [--allow-nonfinite] [-o FILE]\n"
"                   [file ...]\n"
"\n"
"Convert records between JSONL, NumPy .npy, CSV and IDX (MNIST).  Inputs\n"
"are read in turn (none or '-': standard input; .gz is read as such); each\n"
"row becomes one record with \"%s\" (its 0-based row number over all\n"
"inputs) first unless it has one.\n"
"\n"
"  --from FMT           input format: jsonl, npy, csv or idx (default: from\n"
"                       each file name: .jsonl .json .npy .csv *-ubyte,\n"
"                       optionally .gz; otherwise jsonl)\n"
"  --to FMT             output format: jsonl, npy or csv (default: from the\n"
"                       -o name, otherwise jsonl)\n"
"  --labels FILE        read labels (a 1-D .npy or IDX file, one per row)\n"
"                       into the label field; with --to npy, write the\n"
"                       label field to FILE as a 1-D int64 .npy instead\n"
"  --field NAME         the vector field (default %s)\n"
"  --label-field NAME   the label field (default %s)\n"
"  --id-field NAME      the row number field (default %s)\n"
"  --vector-columns P   CSV columns P0, P1, ... form the vector (default:\n"
"                       the vector field's name and '_')\n"
"  --dtype T            .npy output: float64 (default) or float32\n"
"  --scale X            multiply vector values by X (e.g. 1/255 for pixels)\n"
"  --float32            print vectors as float32 (and --to npy: float32)\n"
"  --allow-nonfinite    accept and write NaN, Infinity, -Infinity\n"
"  -o, --output FILE    write FILE (atomically; .gz compressed)\n"
"  -q, --quiet          no progress meter\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"A 2-D array (or IDX images) gives the vector field, a 1-D array the label\n"
"field.  In CSV input a cell that is a JSON number is a number, an unquoted\n"
"empty cell null; CSV output quotes every string.  Exit status: 0 done, 64\n"
"bad command line, 65 bad data, 66 cannot open an input, 74 I/O error.\n",
	    DEFAULT_ID_FIELD, NSL_DEFAULT_FIELD, DEFAULT_LABEL_FIELD,
	    DEFAULT_ID_FIELD);
}

static const struct nsl_tool tool = {
	.name = "convert",
	.summary = "convert records between JSONL, NumPy .npy, CSV and IDX",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_FIELD | NSL_CLI_FLOAT32 |
	    NSL_CLI_NONFINITE
};

static enum nsl_convert_format
format_arg(const char *opt, const char *arg)
{
	enum nsl_convert_format f = nsl_convert_format_parse(arg);

	if (f == NSL_FMT_AUTO)
		nsl_usage_error("%s: unknown format '%s' (jsonl, npy, csv or "
		    "idx)", opt, arg);
	return f;
}

static const char *
name_arg(const char *opt, const char *arg)
{
	if (*arg == '\0')
		nsl_usage_error("%s: empty name", opt);
	return arg;
}

static void
show_progress(void *arg, uint64_t rows)
{
	nsl_progress_update(arg, rows);
}

int
main(int argc, char **argv)
{
	struct nsl_convert_opts o;
	struct nsl_progress progress;
	struct nsl_convert *c;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	int ch, i, dtype_set = 0;

	memset(&o, 0, sizeof(o));
	o.label_field = DEFAULT_LABEL_FIELD;
	o.id_field = DEFAULT_ID_FIELD;
	o.dtype = NSL_NPY_F8;
	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_FROM:
			o.from = format_arg("--from", optarg);
			break;
		case OPT_TO:
			o.to = format_arg("--to", optarg);
			break;
		case OPT_LABELS:
			o.labels = name_arg("--labels", optarg);
			break;
		case OPT_LABEL_FIELD:
			o.label_field = name_arg("--label-field", optarg);
			break;
		case OPT_ID_FIELD:
			o.id_field = name_arg("--id-field", optarg);
			break;
		case OPT_VECTOR_COLUMNS:
			o.vector_prefix = optarg;
			break;
		case OPT_DTYPE:
			if (strcmp(optarg, "float64") == 0)
				o.dtype = NSL_NPY_F8;
			else if (strcmp(optarg, "float32") == 0)
				o.dtype = NSL_NPY_F4;
			else
				nsl_usage_error("--dtype: '%s' is not float64 "
				    "or float32", optarg);
			dtype_set = 1;
			break;
		case OPT_SCALE:
			o.scale = nsl_arg_double("--scale", optarg, -1e308,
			    1e308);
			o.scaled = 1;
			break;
		default:
			nsl_usage_error("unexpected option");
		}
	}
	o.field = cli.common.field;
	/* one record cannot hold two of them under one name */
	if (strcmp(o.id_field, o.field) == 0 ||
	    strcmp(o.id_field, o.label_field) == 0 ||
	    strcmp(o.field, o.label_field) == 0)
		nsl_usage_error("--id-field, --field and --label-field must "
		    "name different fields (%s, %s, %s)", o.id_field, o.field,
		    o.label_field);
	o.float32 = cli.common.float32;
	o.allow_nonfinite = cli.common.allow_nonfinite;
	if (o.to == NSL_FMT_AUTO) {
		o.to = nsl_convert_format_guess(cli.common.output);
		if (o.to != NSL_FMT_NPY && o.to != NSL_FMT_CSV)
			o.to = NSL_FMT_JSONL;
	}
	if (o.to == NSL_FMT_IDX)
		nsl_usage_error("--to idx: IDX is an input format only");
	if (o.to == NSL_FMT_NPY && o.float32 && !dtype_set)
		o.dtype = NSL_NPY_F4;
	if (o.to == NSL_FMT_NPY && (cli.common.output == NULL ||
	    strcmp(cli.common.output, "-") == 0) && isatty(STDOUT_FILENO))
		nsl_usage_error("will not write .npy to a terminal (use -o)");
	if (o.labels != NULL && cli.common.output != NULL &&
	    strcmp(o.labels, cli.common.output) == 0)
		nsl_usage_error("--labels and -o name the same file");
	nsl_progress_start(&progress, "rows", 0, cli.common.quiet);
	o.progress = show_progress;
	o.progress_arg = &progress;

	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	if ((c = nsl_convert_new(&o, w, &err)) == NULL)
		nsl_die_err(&err);
	if (optind == argc && nsl_convert_file(c, "-", &err) != 0)
		nsl_die_err(&err);
	for (i = optind; i < argc; i++)
		if (nsl_convert_file(c, argv[i], &err) != 0)
			nsl_die_err(&err);
	if (nsl_convert_finish(c, &err) != 0)
		nsl_die_err(&err);
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_progress_end(&progress);
	nsl_convert_free(c);
	nsl_cli_release(&cli);
	return nsl_finish();
}
