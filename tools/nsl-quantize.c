/*
 * nsl-quantize - quantize a vector field to a low-precision number format.
 *
 * The formats and kernels are in lib/quant.c, the record handling in
 * lib/quant_filter.c; this file turns the command line into a struct
 * nsl_quant and feeds the filter the input files.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/quant.h"

enum {
	OPT_FORMAT = 1,
	OPT_LIST,
	OPT_BLOCK,
	OPT_SCALE_BY,
	OPT_SCALE_MODE,
	OPT_ROUNDING,
	OPT_ASYM,
	OPT_SATURATE,
	OPT_NO_F32,
	OPT_ROTATE,
	OPT_SEARCH,
	OPT_EMIT,
	OPT_DECODE,
	OPT_STATS,
	OPT_STATS_FILE
};

static const struct option longopts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "list-formats", no_argument, NULL, OPT_LIST },
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "scale-by", required_argument, NULL, OPT_SCALE_BY },
	{ "scale-mode", required_argument, NULL, OPT_SCALE_MODE },
	{ "rounding", required_argument, NULL, OPT_ROUNDING },
	{ "asymmetric", no_argument, NULL, OPT_ASYM },
	{ "saturate", no_argument, NULL, OPT_SATURATE },
	{ "no-f32", no_argument, NULL, OPT_NO_F32 },
	{ "rotate", required_argument, NULL, OPT_ROTATE },
	{ "search", no_argument, NULL, OPT_SEARCH },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "decode", no_argument, NULL, OPT_DECODE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-quantize [-hqV] --format NAME [--block N]\n"
"                    [--scale-by none|tensor|row|block]\n"
"                    [--scale-mode floor|ceil|rceil] [--asymmetric]\n"
"                    [--rounding nearest-even|stochastic] [--seed N]\n"
"                    [--saturate] [--no-f32] [--rotate hadamard] [--search]\n"
"                    [--emit values|codes] [--decode] [--stats]\n"
"                    [--stats-file FILE] [--field NAME] [--float32]\n"
"                    [--allow-nonfinite] [-o FILE] [file ...]\n"
"       nsl-quantize --list-formats\n"
"\n"
"Quantize the vector field of every record to a number format and write it\n"
"back dequantized (every other byte of the record is kept), or as codes.\n"
"\n"
"  --format NAME        fp8-e4m3, fp8-e5m2, fp6-e2m3, fp6-e3m2, fp4-e2m1,\n"
"                       eXmY[-fn|-ieee], mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3,\n"
"                       mxfp6-e3m2, mxfp4, mxint8, nf4, int8, int4\n"
"  --list-formats       print every format with its parameters\n"
"  --block N            block size (MX default 32, nf4 64); implies\n"
"                       --scale-by block for the other formats\n"
"  --scale-by G         scale granularity: none (minifloat default: a plain\n"
"                       cast), tensor (all records), row (int default),\n"
"                       block (nf4 default)\n"
"  --scale-mode M       MX shared exponent: floor (default, OCP MX v1.0),\n"
"                       ceil, rceil\n"
"  --asymmetric         int8/int4 with a zero point\n"
"  --rounding R         nearest-even (default) or stochastic (uses --seed)\n"
"  --saturate           minifloat overflow gives +-max, not NaN/inf\n"
"  --no-f32             quantize the doubles (default: round to float32)\n"
"  --rotate hadamard    randomized Hadamard transform per block\n"
"  --search             pick the eXmY split and clipping with the lowest MSE\n"
"                       for the format's bit width (per tensor)\n"
"  --emit W             values (default) or codes\n"
"  --decode             turn codes records back into values\n"
"  --stats              write a statistics record to standard error\n"
"  --stats-file FILE    write it to FILE instead\n"
"  --seed N             random seed (default %d)\n"
"  --field NAME         the vector field (default %s)\n"
"  --float32            print values as float32\n"
"  --allow-nonfinite    accept and write NaN, Infinity, -Infinity\n"
"  -o, --output FILE    write FILE (atomically; .gz compressed)\n"
"  -q, --quiet          no progress meter or search note\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 74 I/O error.\n", NSL_DEFAULT_SEED, NSL_DEFAULT_FIELD);
}

static const struct nsl_tool tool = {
	.name = "quantize",
	.summary = "quantize a vector field to fp8/fp6/fp4, MX, nf4 "
	    "or int formats",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32 | NSL_CLI_NONFINITE
};

static int
pick(const char *opt, const char *arg, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	nsl_usage_error("%s: unknown value '%s'", opt, arg);
}

static void
list_formats(void)
{
	struct nsl_quant_format f;
	struct nsl_err err;
	char line[512];
	int i;

	for (i = 0; nsl_quant_format_names[i] != NULL; i++) {
		nsl_quant_format_parse(&f, nsl_quant_format_names[i], &err);
		nsl_quant_format_describe(&f, line, sizeof(line));
		printf("%s\n", line);
	}
	printf("eXmY        1+X+Y = 3..8 bits  bias 2^(X-1)-1, no inf/NaN "
	    "(-fn: NaN S.1..1.1..1; -ieee: inf and NaN)\n");
}

static void
write_stats(const char *path, const struct nsl_quant *q,
    const struct nsl_quant_stats *st, int searched, double mse)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_err err;

	nsl_err_clear(&err);
	nsl_quant_stats_record(&b, q, st, searched, mse);
	if (path == NULL) {
		fflush(stdout);
		fwrite(b.data, 1, b.len, stderr);
	} else if ((w = nsl_writer_open(path, &err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
}

int
main(int argc, char **argv)
{
	static const char *const grans[] = { "none", "tensor", "row", "block",
	    NULL };
	static const char *const modes[] = { "floor", "ceil", "rceil", NULL };
	static const char *const roundings[] = { "nearest-even", "stochastic",
	    NULL };
	static const char *const emits[] = { "values", "codes", NULL };
	static const char *const rotates[] = { "hadamard", NULL };
	struct nsl_quant_filter_opts o;
	struct nsl_quant_filter *fl;
	struct nsl_quant_stats st;
	struct nsl_quant q;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *format = NULL, *stats_file = NULL, *why;
	int ch, i, gran = -1, stats = 0, list = 0;
	long block = 0;
	double mse = 0;

	memset(&q, 0, sizeof(q));
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	q.f32 = 1;
	q.clip = 1;
	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_BLOCK:
			block = nsl_arg_long("--block", optarg, 1, 1L << 24);
			break;
		case OPT_SCALE_BY:
			gran = pick("--scale-by", optarg, grans);
			break;
		case OPT_SCALE_MODE:
			q.scale_mode = pick("--scale-mode", optarg, modes);
			break;
		case OPT_ROUNDING:
			q.stochastic = pick("--rounding", optarg, roundings);
			break;
		case OPT_ASYM:
			q.asymmetric = 1;
			break;
		case OPT_SATURATE:
			q.opts |= NSL_QO_SATURATE;
			break;
		case OPT_NO_F32:
			q.f32 = 0;
			break;
		case OPT_ROTATE:
			q.rotate = 1 + pick("--rotate", optarg, rotates);
			break;
		case OPT_SEARCH:
			o.search = 1;
			break;
		case OPT_EMIT:
			o.emit_codes = pick("--emit", optarg, emits);
			break;
		case OPT_DECODE:
			o.decode = 1;
			break;
		case OPT_STATS:
			stats = 1;
			break;
		case OPT_STATS_FILE:
			stats_file = optarg;
			stats = 1;
			break;
		}
	}
	if (list) {
		list_formats();
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (format == NULL && !o.decode)
		nsl_usage_error("--format is required (see --list-formats)");
	if (o.decode && (o.emit_codes || o.search || stats))
		nsl_usage_error("--decode takes no --emit, --search or --stats");
	if (format != NULL && nsl_quant_format_parse(&q.fmt, format, &err))
		nsl_usage_error("--format: %s", err.msg);
	q.seed = cli.common.seed;
	q.block = block ? (size_t)block : q.fmt.block;
	if (gran >= 0)
		q.gran = (enum nsl_quant_gran)gran;
	else if (block || q.fmt.block)
		q.gran = NSL_QG_BLOCK;
	else
		q.gran = q.fmt.kind == NSL_QK_INT ? NSL_QG_ROW : NSL_QG_NONE;
	if (q.gran == NSL_QG_BLOCK && q.block == 0)
		nsl_usage_error("--scale-by block needs --block N");
	if (!o.decode && (why = nsl_quant_check(&q)) != NULL)
		nsl_usage_error("%s", why);
	o.field = cli.common.field;
	o.format_given = format != NULL;
	o.allow_nonfinite = cli.common.allow_nonfinite;
	o.style = cli.common.float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    (fl = nsl_quant_filter_new(&q, &o, w, &err)) == NULL)
		nsl_die_err(&err);
	for (i = optind; i < argc || (i == optind && i == argc); i++)
		if (nsl_quant_filter_file(fl, i < argc ? argv[i] : "-",
		    stats ? &st : NULL, &err) != 0)
			nsl_die_err(&err);
	if (nsl_quant_filter_finish(fl, stats ? &st : NULL, &mse,
	    &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	if (o.search && !stats && !cli.common.quiet)
		nsl_warn("search: %s, clip %g (mse %g)", q.fmt.name, q.clip,
		    mse);
	if (stats)
		write_stats(stats_file, &q, &st, o.search, mse);
	nsl_quant_filter_free(fl);
	nsl_quant_release(&q);
	nsl_cli_release(&cli);
	return nsl_finish();
}
