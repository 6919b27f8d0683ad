/*
 * nsl-quantize - quantize a vector field to a low-precision number format.
 *
 * The formats (one catalogue of rows) and kernels are in lib/quant.c, the
 * record handling in lib/quant_filter.c; this file turns the command line
 * into a struct nsl_quant and feeds the filter the input files.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/quant.h"
#include "nsl/quant_tensor.h"

static struct nsl_quant q = { .f32 = 1, .clip = 1 };
static struct nsl_quant_filter_opts o;
static struct nsl_quant_tensor_opts to;
static const char *tensor, *dtype;
static const char *format, *stats_file;
static int list, gran = -1, mode, rotate = -1, stats, block;
static char format_help[512];

static const char *const emits[] = { "values", "codes", NULL };
static const char *const rotates[] = { "hadamard", NULL };

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "format", &format, "NAME", format_help),
	NSL_OPT_MODE(0, "list-formats", &list, 1,
	    "print every format with its parameters"),
	NSL_OPT_INT(0, "block", &block, "N", 1, 1 << 24,
	    "block size (MX default 32, nf4 64); implies --scale-by block for "
	    "the other formats", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_CHOICE(0, "scale-by", &gran, NULL, nsl_quant_gran_names,
	    "scale granularity: none (minifloat default: a plain cast), "
	    "tensor (all records), row (int default), block (nf4 default)"),
	NSL_OPT_CHOICE(0, "scale-mode", &mode, NULL, nsl_quant_scale_mode_names,
	    "MX shared exponent: floor (OCP MX v1.0), ceil, rceil"),
	NSL_OPT_CHOICE(0, "scale-format", &q.scale_fmt, NULL,
	    nsl_quant_scale_fmt_names,
	    "MX block scale: auto (the format's), e8m0, ue4m3 or ue5m3 (with "
	    "a float32 scale per --scale-by: tensor, row or none)"),
	NSL_OPT_FLAG(0, "asymmetric", &q.asymmetric,
	    "int8/int4 with a zero point"),
	NSL_OPT_CHOICE(0, "rounding", &q.stochastic, NULL,
	    nsl_quant_rounding_names,
	    "stochastic uses --seed"),
	NSL_OPT_SET(0, "saturate", &q.opts, NSL_QO_SATURATE,
	    "minifloat overflow gives +-max, not NaN/inf"),
	NSL_OPT_SET(0, "no-f32", &q.f32, 0,
	    "quantize the doubles (default: round to float32)"),
	NSL_OPT_CHOICE(0, "rotate", &rotate, NULL, rotates,
	    "randomized Hadamard transform per block"),
	NSL_OPT_FLAG(0, "search", &o.search,
	    "pick the eXmY split and clipping with the lowest MSE for the "
	    "format's bit width (per tensor)"),
	NSL_OPT_CHOICE(0, "emit", &o.emit_codes, NULL, emits,
	    "write values or codes"),
	NSL_OPT_FLAG(0, "decode", &o.decode,
	    "turn codes records back into values"),
	NSL_OPT_FLAG(0, "stats", &stats,
	    "write a statistics record to standard error"),
	NSL_OPT_STRING(0, "stats-file", &stats_file, "FILE",
	    "write it to FILE instead"),
	NSL_OPT_STRING(0, "tensor", &tensor, "NAME",
	    "a .safetensors input: quantize tensor NAME only (default: every "
	    "floating-point tensor)"),
	NSL_OPT_STRING(0, "dtype", &dtype, "DTYPE",
	    "a .safetensors input: store values as DTYPE (F32, F16, BF16 ...; "
	    "default: each tensor's own)"),
	NSL_OPT_END()
};

static const char *const forms[] = {
	"--decode [--format NAME] [-o FILE] [file ...]",
	"--format NAME [--tensor NAME] [--dtype DTYPE] [--stats | --stats-file "
	"FILE]\n       [-o FILE.safetensors] FILE.safetensors", NULL
};

static const struct nsl_tool tool = {
	.name = "quantize",
	.summary = "quantize a vector field to fp8/fp6/fp4, MX, nf4 "
	    "or int formats",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32 | NSL_CLI_NONFINITE,
	.operands = "[file ...]",
	.forms = forms,
	.about = "Quantize the vector field of every record to a number "
	    "format and write it\nback dequantized (every other byte of the "
	    "record is kept), or as codes.  A .safetensors checkpoint is "
	    "quantized tensor\nby tensor into a checkpoint, with one "
	    "statistics record per tensor.",
	.seed_help = "seed of --rounding stochastic and --rotate"
};

/* The statistics records in b, to standard error or --stats-file. */
static void
write_stats(struct nsl_buf *b)
{
	struct nsl_writer *w;
	struct nsl_err err;

	nsl_err_clear(&err);
	if (stats_file == NULL) {
		fflush(stdout);
		fwrite(b->data, 1, b->len, stderr);
	} else if ((w = nsl_writer_open(stats_file, &err)) == NULL ||
	    nsl_writer_write(w, b->data, b->len, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(b);
}

int
main(int argc, char **argv)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *why;
	double mse = 0;
	int tens;

	nsl_err_clear(&err);
	nsl_quant_format_names_text(format_help, sizeof(format_help));
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		nsl_quant_format_list(&b);
		fwrite(b.data, 1, b.len, stdout);
		nsl_buf_release(&b);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	stats |= stats_file != NULL;
	o.format_given = format != NULL;
	if ((why = nsl_quant_filter_check(&o, stats)) != NULL)
		nsl_usage_error("%s", why);
	if (format != NULL && nsl_quant_format_parse(&q.fmt, format, &err))
		nsl_usage_error("--format: %s", err.msg);
	q.seed = cli.common.seed;
	q.scale_mode = (enum nsl_quant_scale_mode)mode;
	q.rotate = rotate + 1;
	nsl_quant_set_scaling(&q, (size_t)block, gran);
	if (q.gran == NSL_QG_BLOCK && q.block == 0)
		nsl_usage_error("--scale-by block needs --block N");
	if (!o.decode && (why = nsl_quant_check(&q)) != NULL)
		nsl_usage_error("%s", why);
	if (!o.decode && nsl_quant_prepare(&q, &err) != 0)
		nsl_die_err(&err);
	o.field = cli.common.field;
	o.allow_nonfinite = cli.common.allow_nonfinite;
	o.style = cli.common.float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
	tens = cli.optind < argc && nsl_quant_tensor_path(argv[cli.optind]);
	to = (struct nsl_quant_tensor_opts){ tensor, dtype, o.emit_codes,
	    o.allow_nonfinite, stats ? &b : NULL, argc - cli.optind,
	    o.decode || o.search };
	if (tens && (why = nsl_quant_tensor_check(&q, &to, cli.common.output)))
		nsl_usage_error("%s", why);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    (tens ? nsl_quant_tensor_file(&q, &to, argv[cli.optind], w, &err) :
	    nsl_quant_filter_run(&q, &o, argv + cli.optind, (size_t)(argc -
	    cli.optind), w, stats ? &b : NULL, &mse, &err)) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	if (o.search && !stats && !cli.common.quiet)
		nsl_warn("search: %s, clip %g (mse %g)", q.fmt.name, q.clip,
		    mse);
	if (stats)
		write_stats(&b);
	nsl_quant_release(&q);
	nsl_cli_release(&cli);
	return nsl_finish();
}
