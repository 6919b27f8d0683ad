/*
 * nsl-plot - draw measurement records and fitted laws with gnuplot.
 * lib/plot.c reads the records, builds the script and renders it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/plot.h"

#define DEFAULT_WIDTH 900
#define DEFAULT_HEIGHT 600

static struct nsl_plot_opts o = {
	.xmin = NAN, .xmax = NAN,
	.width = DEFAULT_WIDTH, .height = DEFAULT_HEIGHT
};
static struct nsl_strlist fits;
static int script;
static char at_names[NSL_PLOT_MAX_AT][128];

/* --at VAR=V: the value of a law variable that is neither --x nor --group */
static const char *
at_cb(const struct nsl_opt *r, const char *arg)
{
	const char *eq = strchr(arg, '=');

	(void)r;
	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(at_names[0]))
		nsl_usage_error("--at %s: expected VAR=V", arg);
	if (o.nat == NSL_PLOT_MAX_AT)
		return "at most 16";
	memcpy(at_names[o.nat], arg, (size_t)(eq - arg));
	at_names[o.nat][eq - arg] = '\0';
	o.at_name[o.nat] = at_names[o.nat];
	o.at_value[o.nat++] = nsl_arg_double("--at", eq + 1, -1e300, 1e300);
	return NULL;
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "x", &o.x, "FIELD", "the x axis' field"),
	NSL_OPT_STRING(0, "y", &o.y, "FIELD", "the y axis' field"),
	NSL_OPT_STRING(0, "group", &o.group, "FIELD",
	    "one series (colour) per value of FIELD"),
	NSL_OPT_FLAG(0, "logx", &o.logx, "logarithmic x axis"),
	NSL_OPT_FLAG(0, "logy", &o.logy, "logarithmic y axis"),
	NSL_OPT_LIST(0, "fit", &fits, "FILE",
	    "fit records to draw (repeatable)", .flags = NSL_OPTF_NOSPLIT),
	NSL_OPT_CALLBACK(0, "at", NULL, "VAR=V", at_cb,
	    "value of a law variable that is neither --x nor --group "
	    "(repeatable)"),
	NSL_OPT_DOUBLE(0, "xmin", &o.xmin, "X", -INFINITY, INFINITY,
	    "extend (or cut) the x axis, e.g. to extrapolate",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_DOUBLE(0, "xmax", &o.xmax, "X", -INFINITY, INFINITY,
	    "the same at the top", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_STRING(0, "xlabel", &o.xlabel, "TEXT",
	    "x axis label (default: the field name)"),
	NSL_OPT_STRING(0, "ylabel", &o.ylabel, "TEXT",
	    "y axis label (default: the field name)"),
	NSL_OPT_STRING(0, "title", &o.title, "TEXT", "a title"),
	NSL_OPT_INT(0, "width", &o.width, "W", 50, 20000,
	    "width in pixels (pdf: W/100 in)"),
	NSL_OPT_INT(0, "height", &o.height, "H", 50, 20000,
	    "height in pixels"),
	NSL_OPT_FLAG(0, "script", &script,
	    "print the gnuplot script (data inline) instead of running "
	    "gnuplot; it writes FIGURE when run"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "plot",
	.summary = "draw records and fitted scaling laws (gnuplot): "
	    "png, svg, pdf",
	.common = NSL_CLI_OUTPUT,
	.operands = "[file ...]",
	.about = "Plot y against x of the records of the files (standard input "
	    "without\nfiles) with gnuplot, one series per value of --group, "
	    "and the curves of\nfit records (nsl-fit): solid over the data, "
	    "dashed beyond (extrapolation),\nwith the bootstrap band shaded "
	    "when the fit has one.  Needs gnuplot\n(Debian package "
	    "gnuplot-nox) unless --script; exit 70 when it is missing\nor "
	    "fails.",
	.output_help = "the figure: .png, .svg or .pdf (atomically)"
};

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_plot p;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	const char *m;

	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if ((m = nsl_plot_check(&o, cli.common.output)) != NULL)
		nsl_usage_error("%s", m);
	nsl_plot_init(&p, &o);
	if (nsl_plot_load(&p, (const char *const *)argv + cli.optind,
	    (size_t)(argc - cli.optind), (const char *const *)fits.v, fits.n,
	    &err) != 0 ||
	    nsl_plot_draw(&p, cli.common.output, script, &b, &err) != 0)
		nsl_die_err(&err);
	if (b.len > 0)
		fwrite(b.data, 1, b.len, stdout);
	nsl_buf_release(&b);
	nsl_plot_release(&p);
	nsl_strlist_release(&fits);
	nsl_cli_release(&cli);
	return nsl_finish();
}
