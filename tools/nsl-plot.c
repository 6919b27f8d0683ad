/*
 * nsl-plot - draw measurement records and fitted laws with gnuplot.
 * lib/plot.c builds the script; this main reads, renders and writes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nsl/fitrec.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/plot.h"

#define MAX_FITS 64
#define DEFAULT_WIDTH 900
#define DEFAULT_HEIGHT 600

enum {
	OPT_X = 1, OPT_Y, OPT_GROUP, OPT_LOGX, OPT_LOGY, OPT_FIT, OPT_XLABEL,
	OPT_YLABEL, OPT_TITLE, OPT_SCRIPT, OPT_XMIN, OPT_XMAX, OPT_AT,
	OPT_WIDTH, OPT_HEIGHT
};

static const struct option longopts[] = {
	{ "x", required_argument, NULL, OPT_X },
	{ "y", required_argument, NULL, OPT_Y },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "logx", no_argument, NULL, OPT_LOGX },
	{ "logy", no_argument, NULL, OPT_LOGY },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "xlabel", required_argument, NULL, OPT_XLABEL },
	{ "ylabel", required_argument, NULL, OPT_YLABEL },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "script", no_argument, NULL, OPT_SCRIPT },
	{ "xmin", required_argument, NULL, OPT_XMIN },
	{ "xmax", required_argument, NULL, OPT_XMAX },
	{ "at", required_argument, NULL, OPT_AT },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-plot [-hqV] --x FIELD --y FIELD [--group FIELD] [--logx] [--logy]\n"
"                [--fit FILE ...] [--at VAR=V ...] [--xmin X] [--xmax X]\n"
"                [--xlabel TEXT] [--ylabel TEXT] [--title TEXT]\n"
"                [--width W] [--height H] [--script] -o FIGURE [file ...]\n"
"\n"
"Plot y against x of the records of the files (standard input without\n"
"files) with gnuplot, one series per value of --group, and the curves of\n"
"fit records (nsl-fit): solid over the data, dashed beyond (extrapolation),\n"
"with the bootstrap band shaded when the fit has one.\n"
"\n"
"  --x FIELD, --y FIELD  the axes' fields\n"
"  --group FIELD      one series (colour) per value of FIELD\n"
"  --logx, --logy     logarithmic axes\n"
"  --fit FILE         fit records to draw (repeatable)\n"
"  --at VAR=V         value of a law variable that is neither --x nor\n"
"                     --group (repeatable)\n"
"  --xmin X, --xmax X extend (or cut) the x axis, e.g. to extrapolate\n"
"  --xlabel, --ylabel axis labels (default: the field names)\n"
"  --title TEXT       a title\n"
"  --width W, --height H  size in pixels (default %dx%d; pdf: W/100 in)\n"
"  --script           print the gnuplot script (data inline) instead of\n"
"                     running gnuplot; it writes FIGURE when run\n"
"  -o, --output FIGURE  the figure: .png, .svg or .pdf (atomically)\n"
"  -q, --quiet        accepted\n"
"  -h, --help         this help\n"
"  -V, --version      the version\n"
"\n"
"Needs gnuplot (Debian package gnuplot-nox) unless --script.\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 70 gnuplot missing or failed, 74 I/O error.\n",
	    DEFAULT_WIDTH, DEFAULT_HEIGHT);
}

static const struct nsl_tool tool = {
	.name = "plot",
	.summary = "draw records and fitted scaling laws (gnuplot): "
	    "png, svg, pdf",
	.usage = usage,
	.common = NSL_CLI_OUTPUT
};

static void
read_points(struct nsl_plot *p, const char *path)
{
	struct nsl_err err;
	struct nsl_reader *r;

	nsl_err_clear(&err);
	if ((r = nsl_reader_open(path, &err)) == NULL ||
	    nsl_plot_read(p, r, &err) != 0)
		nsl_die_err(&err);
	nsl_reader_close(r);
}

static void
read_fits(struct nsl_plot *p, const char *path)
{
	struct nsl_err err;
	struct nsl_reader *r;
	struct nsl_rec rec;
	struct nsl_fitrec f;
	int got, any = 0;

	nsl_err_clear(&err);
	if ((r = nsl_reader_open(path, &err)) == NULL)
		nsl_die_err(&err);
	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, &err)) == 1) {
		nsl_fitrec_init(&f);
		if (nsl_fitrec_parse(&f, &rec, &err) != 0 ||
		    nsl_plot_add_fit(p, &f, &rec, &err) != 0) {
			nsl_err_at(&err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			nsl_die_err(&err);
		}
		nsl_fitrec_release(&f);
		any = 1;
	}
	if (got < 0)
		nsl_die_err(&err);
	if (!any)
		nsl_die(NSL_EX_DATAERR, "%s: no fit records", path);
	nsl_rec_release(&rec);
	nsl_reader_close(r);
}

/* Copy the rendered file into the output (atomically) and remove it. */
static void
deliver(const char *tmp, const char *output)
{
	struct nsl_err err;
	struct nsl_reader *r;
	struct nsl_writer *w;
	char buf[65536];
	long n;

	nsl_err_clear(&err);
	if ((r = nsl_reader_open(tmp, &err)) == NULL)
		goto fail;
	if ((w = nsl_writer_open(output, &err)) == NULL)
		goto fail;
	while ((n = nsl_reader_read(r, buf, sizeof(buf), &err)) > 0)
		if (nsl_writer_write(w, buf, (size_t)n, &err) != 0)
			break;
	if (n != 0) {
		nsl_writer_abort(w);
		goto fail;
	}
	nsl_reader_close(r);
	if (nsl_writer_commit(w, &err) != 0)
		goto fail;
	unlink(tmp);
	return;
fail:
	unlink(tmp);
	nsl_die_err(&err);
}

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_plot_opts o;
	struct nsl_plot p;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	const char *fits[MAX_FITS], *fmt;
	char tmp[512], at[128];
	const char *td = getenv("TMPDIR");
	size_t nfits = 0, i;
	int c, script = 0, fd;

	memset(&o, 0, sizeof(o));
	o.xmin = o.xmax = NAN;
	o.width = DEFAULT_WIDTH;
	o.height = DEFAULT_HEIGHT;
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((c = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_X: o.x = optarg; break;
		case OPT_Y: o.y = optarg; break;
		case OPT_GROUP: o.group = optarg; break;
		case OPT_LOGX: o.logx = 1; break;
		case OPT_LOGY: o.logy = 1; break;
		case OPT_FIT:
			if (nfits == MAX_FITS)
				nsl_usage_error("--fit: at most %d", MAX_FITS);
			fits[nfits++] = optarg;
			break;
		case OPT_XLABEL: o.xlabel = optarg; break;
		case OPT_YLABEL: o.ylabel = optarg; break;
		case OPT_TITLE: o.title = optarg; break;
		case OPT_SCRIPT: script = 1; break;
		case OPT_XMIN: o.xmin = nsl_arg_double("--xmin", optarg, -1e300, 1e300); break;
		case OPT_XMAX: o.xmax = nsl_arg_double("--xmax", optarg, -1e300, 1e300); break;
		case OPT_WIDTH: o.width = (int)nsl_arg_long("--width", optarg, 50, 20000); break;
		case OPT_HEIGHT: o.height = (int)nsl_arg_long("--height", optarg, 50, 20000); break;
		case OPT_AT: {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg ||
			    (size_t)(eq - optarg) >= sizeof(at))
				nsl_usage_error("--at %s: expected VAR=V", optarg);
			if (o.nat == NSL_PLOT_MAX_AT)
				nsl_usage_error("--at: at most %d",
				    NSL_PLOT_MAX_AT);
			o.at_name[o.nat] = strndup(optarg, (size_t)(eq - optarg));
			o.at_value[o.nat++] = nsl_arg_double("--at", eq + 1,
			    -1e300, 1e300);
			break;
		}
		}
	}
	if (o.x == NULL || o.y == NULL)
		nsl_usage_error("--x FIELD and --y FIELD are required");
	if (cli.common.output == NULL)
		nsl_usage_error("-o FIGURE (.png, .svg or .pdf) is required");
	if ((fmt = nsl_plot_format(cli.common.output)) == NULL)
		nsl_usage_error("-o %s: the name must end in .png, .svg or .pdf",
		    cli.common.output);
	if (!isnan(o.xmin) && !isnan(o.xmax) && !(o.xmin < o.xmax))
		nsl_usage_error("--xmin must be below --xmax");
	if (o.logx && ((!isnan(o.xmin) && !(o.xmin > 0)) ||
	    (!isnan(o.xmax) && !(o.xmax > 0))))
		nsl_usage_error("--logx needs a positive --xmin and --xmax");

	nsl_plot_init(&p, &o);
	if (optind == argc)
		read_points(&p, "-");
	for (c = optind; c < argc; c++)
		read_points(&p, argv[c]);
	for (i = 0; i < nfits; i++)
		read_fits(&p, fits[i]);

	nsl_err_clear(&err);
	if (script) {
		if (nsl_plot_script(&p, cli.common.output, fmt, &b, &err) != 0)
			nsl_die_err(&err);
		fwrite(b.data, 1, b.len, stdout);
	} else {
		if (td == NULL || *td == '\0' || strlen(td) > 400)
			td = "/tmp";
		snprintf(tmp, sizeof(tmp), "%s/nsl-plot-XXXXXX.%s", td, fmt);
		if ((fd = mkstemps(tmp, 4)) < 0)
			nsl_die(NSL_EX_IOERR, "cannot create a temporary file "
			    "in %s", td);
		close(fd);
		if (nsl_plot_script(&p, tmp, fmt, &b, &err) != 0 ||
		    nsl_plot_render(b.data, b.len, &err) != 0) {
			unlink(tmp);
			nsl_die_err(&err);
		}
		deliver(tmp, cli.common.output);
	}
	nsl_buf_release(&b);
	nsl_plot_release(&p);
	for (i = 0; i < o.nat; i++)
		free((char *)o.at_name[i]);
	nsl_cli_release(&cli);
	return nsl_finish();
}
