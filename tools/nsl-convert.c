/*
 * nsl-convert - convert records between JSONL, NumPy .npy, CSV, IDX and
 * safetensors.
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

static struct nsl_convert_opts o = {
	.label_field = "label", .id_field = "id", .dtype = NSL_NPY_F8
};
static int from = -1, to = -1, dtype = -1;

/* .npy output takes the first two; safetensors the dtype beside each */
static const char *const dtypes[] = { "float64", "float32", "float16",
	"bfloat16", "float8-e4m3", "float8-e5m2", NULL };
static const char *const st_dtypes[] = { "F64", "F32", "F16", "BF16",
	"F8_E4M3", "F8_E5M2" };

/* --vector-columns: any text, the empty prefix (columns 0, 1, ...) too. */
static const char *
prefix_arg(const struct nsl_opt *r, const char *arg)
{
	*(const char **)r->value = arg;
	return NULL;
}

static const struct nsl_opt opts[] = {
	NSL_OPT_CHOICE(0, "from", &from, "FMT", nsl_convert_format_names,
	    "input format: jsonl, npy, csv, idx or safetensors (default: from "
	    "each file name: .jsonl .json .npy .csv *-ubyte .safetensors, "
	    "optionally .gz; otherwise jsonl)"),
	NSL_OPT_CHOICE(0, "to", &to, "FMT", nsl_convert_format_names,
	    "output format: jsonl, npy, csv or safetensors (default: from "
	    "the -o name, otherwise jsonl)"),
	NSL_OPT_STRING(0, "tensor", &o.tensor, "NAME",
	    "safetensors input: read tensor NAME only; output: the tensor "
	    "of records without a \"tensor\" field (default: the vector "
	    "field's name)"),
	NSL_OPT_FLAG(0, "list-tensors", &o.list_tensors,
	    "safetensors input: one record per tensor (tensor, dtype, shape) "
	    "instead of the rows"),
	NSL_OPT_STRING(0, "labels", &o.labels, "FILE",
	    "read labels (a 1-D .npy or IDX file, one per row) into the label "
	    "field; with --to npy, write the label field to FILE as a 1-D "
	    "int64 .npy instead"),
	NSL_OPT_STRING(0, "label-field", &o.label_field, "NAME",
	    "the label field"),
	NSL_OPT_STRING(0, "id-field", &o.id_field, "NAME",
	    "the row number field"),
	NSL_OPT_CALLBACK(0, "vector-columns", &o.vector_prefix, "PREFIX",
	    prefix_arg, "CSV columns PREFIX0, PREFIX1, ... form the vector "
	    "(default: the vector field's name and '_')"),
	NSL_OPT_CHOICE(0, "dtype", &dtype, NULL, dtypes,
	    ".npy output: float64 (default) or float32; safetensors output: "
	    "any of them (default float32)"),
	NSL_OPT_DOUBLE(0, "scale", &o.scale, "X", -1e308, 1e308,
	    "multiply vector values by X (e.g. 1/255 for pixels)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "convert",
	.summary = "convert records between JSONL, NumPy .npy, CSV, IDX and "
	    "safetensors",
	.common = NSL_CLI_OUTPUT | NSL_CLI_FIELD | NSL_CLI_FLOAT32 |
	    NSL_CLI_NONFINITE,
	.operands = "[file ...]",
	.about = "Convert records between JSONL, NumPy .npy, CSV, IDX (MNIST) "
	    "and\nsafetensors (one record per row of a tensor).  Inputs\nare read in turn (none or '-': standard input; "
	    ".gz is read as such); each\nrow becomes one record with \"id\" "
	    "(its 0-based row number over all\ninputs) first unless it has "
	    "one.  A 2-D array (or IDX images) gives the\nvector field, a 1-D "
	    "array the label field.  In CSV input a cell that is a\nJSON "
	    "number is a number, an unquoted empty cell null; CSV output "
	    "quotes\nevery string.  --float32 with --to npy writes float32."
};

static void
show_progress(void *arg, uint64_t rows)
{
	nsl_progress_update(arg, rows);
}

int
main(int argc, char **argv)
{
	struct nsl_progress progress;
	struct nsl_convert *c;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *out, *why;
	int i;

	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	out = cli.common.output;
	o.field = cli.common.field;
	o.float32 = cli.common.float32;
	o.allow_nonfinite = cli.common.allow_nonfinite;
	o.scaled = nsl_cli_given(&cli, "scale") > 0;
	if (from >= 0)
		o.from = nsl_convert_format_parse(nsl_convert_format_names[from]);
	if (to >= 0)
		o.to = nsl_convert_format_parse(nsl_convert_format_names[to]);
	else if ((o.to = nsl_convert_format_guess(out)) == NSL_FMT_AUTO ||
	    o.to == NSL_FMT_IDX)
		o.to = NSL_FMT_JSONL;
	if (dtype > 1 && o.to != NSL_FMT_SAFETENSORS)
		nsl_usage_error("--dtype %s: for safetensors output only",
		    dtypes[dtype]);
	if (dtype >= 0)
		o.dtype = dtype ? NSL_NPY_F4 : NSL_NPY_F8;
	else if (o.to == NSL_FMT_NPY && o.float32)
		o.dtype = NSL_NPY_F4;
	o.st_dtype = dtype >= 0 ? st_dtypes[dtype] : NULL;
	o.out_name = out;
	if ((why = nsl_convert_check(&o)) != NULL)
		nsl_usage_error("%s", why);
	if ((o.to == NSL_FMT_NPY || o.to == NSL_FMT_SAFETENSORS) &&
	    (out == NULL || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO))
		nsl_usage_error("will not write %s to a terminal (use -o)",
		    nsl_convert_format_name(o.to));
	if (o.labels != NULL && out != NULL && strcmp(o.labels, out) == 0)
		nsl_usage_error("--labels and -o name the same file");
	nsl_progress_start(&progress, "rows", 0, cli.common.quiet);
	o.progress = show_progress;
	o.progress_arg = &progress;
	if ((w = nsl_writer_open(out, &err)) == NULL ||
	    (c = nsl_convert_new(&o, w, &err)) == NULL)
		nsl_die_err(&err);
	for (i = cli.optind; i < argc || (i == cli.optind && i == argc); i++)
		if (nsl_convert_file(c, i < argc ? argv[i] : "-", &err) != 0)
			nsl_die_err(&err);
	if (nsl_convert_finish(c, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_progress_end(&progress);
	nsl_convert_free(c);
	nsl_cli_release(&cli);
	return nsl_finish();
}
