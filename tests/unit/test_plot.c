/*
 * test_plot.c - the figure module: option checks, series grouped by
 * equal values, curves of fit records and their solid (fitted) and
 * dashed (extrapolated) parts, the script.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/io.h"
#include "nsl/plot.h"
#include "unit.h"

/* A file of the given lines in $TMPDIR; its name into path. */
static void
write_file(char *path, size_t n, const char *text)
{
	const char *td = getenv("TMPDIR");
	FILE *fp;
	int fd;

	snprintf(path, n, "%s/test_plot_XXXXXX", td && *td ? td : "/tmp");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
}

static void
test_check(void)
{
	struct nsl_plot_opts o;

	memset(&o, 0, sizeof(o));
	o.xmin = o.xmax = NAN;
	UNIT_CHECK(strcmp(nsl_plot_check(&o, "f.png"), "--x FIELD and --y "
	    "FIELD are required") == 0, "--x and --y are required");
	o.x = "n";
	o.y = "err";
	UNIT_CHECK(nsl_plot_check(&o, NULL) != NULL, "an output is required");
	UNIT_CHECK(strstr(nsl_plot_check(&o, "f.gif"), "must end in") !=
	    NULL, "the format comes from the name");
	UNIT_CHECK(nsl_plot_check(&o, "f.svg") == NULL &&
	    nsl_plot_check(&o, "f.pdf") == NULL, "svg and pdf are formats");
	o.xmin = 5;
	o.xmax = 1;
	UNIT_CHECK(nsl_plot_check(&o, "f.png") != NULL, "xmin below xmax");
	o.xmin = -1;
	o.xmax = 10;
	o.logx = 1;
	UNIT_CHECK(nsl_plot_check(&o, "f.png") != NULL, "a log axis needs "
	    "a positive range");
}

static void
test_series_and_curves(void)
{
	struct nsl_plot_opts o;
	struct nsl_plot p;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	char pts[512], fit[512];
	const char *files[1], *fits[1];
	int rc;

	/* groups 2 and 2.0 are one series; "a" another */
	write_file(pts, sizeof(pts), "{\"n\":1,\"err\":1,\"g\":2}\n"
	    "{\"n\":4,\"err\":0.5,\"g\":\"a\"}\n{\"n\":16,\"err\":0.25,"
	    "\"g\":2.0}\n{\"n\":64,\"err\":0.125,\"g\":\"a\"}\n");
	/* power A = 1, a = 0.5 over n: at n = 1 it is 1, at 16 0.25 */
	write_file(fit, sizeof(fit), "{\"law\":\"power\",\"x\":[\"n\"],"
	    "\"y\":\"err\",\"by\":{\"g\":2},\"params\":{\"A\":1,\"a\":0.5}}\n");
	memset(&o, 0, sizeof(o));
	o.x = "n";
	o.y = "err";
	o.group = "g";
	o.logx = 1;
	o.xmin = NAN;
	o.xmax = 256;
	o.width = 300;
	o.height = 200;
	files[0] = pts;
	fits[0] = fit;
	nsl_plot_init(&p, &o);
	rc = nsl_plot_load(&p, files, 1, fits, 1, &err);
	UNIT_CHECK(rc == 0, "points and fit load (%s)", rc ? err.msg : "");
	UNIT_CHECK(p.ns == 2 && p.s[0].n == 2 && p.s[1].n == 2 &&
	    strcmp(p.s[0].name, "g=2") == 0 && strcmp(p.s[1].name, "g=a") == 0,
	    "2 and 2.0 are one series, named g=2; the string's is g=a");
	UNIT_CHECK(p.nc == 1 && p.c[0].series == 0, "the fit of group 2 "
	    "draws one curve, for series g=2");
	if (p.nc == 1) {
		UNIT_CHECK(p.c[0].lo == 1 && p.c[0].hi == 16 &&
		    p.c[0].ylo == 1 && p.c[0].yhi == 0.25, "solid over its "
		    "series' x range [1, 16], where the law is 1 and 0.25");
		UNIT_CHECK(p.c[0].x[0] == 1 && p.c[0].x[NSL_PLOT_GRID - 1] ==
		    256 && fabs(p.c[0].y[NSL_PLOT_GRID - 1] - 1.0 / 16) <
		    1e-15, "the grid spans the plot to --xmax 256 (y = "
		    "1/16 there)");
	}
	UNIT_CHECK(nsl_plot_draw(&p, "f.svg", 1, &b, &err) == 0 &&
	    strstr(b.data, "set terminal svg") != NULL &&
	    strstr(b.data, "f.svg") != NULL, "the script draws an svg into "
	    "the output");
	nsl_buf_release(&b);
	nsl_plot_release(&p);
	unlink(fit);

	/* a law without the plot's x is refused, at the fit's line */
	write_file(fit, sizeof(fit), "{\"law\":\"power\",\"x\":[\"m\"],"
	    "\"y\":\"err\",\"params\":{\"A\":1,\"a\":0.5}}\n");
	nsl_plot_init(&p, &o);
	fits[0] = fit;
	UNIT_CHECK(nsl_plot_load(&p, files, 1, fits, 1, &err) != 0 &&
	    err.line == 1 && strstr(err.msg, "no variable \"n\"") != NULL,
	    "a fit without the x variable is an error at its line: %s",
	    err.msg);
	nsl_plot_release(&p);
	unlink(fit);

	/* a curve's law cannot be drawn over one x */
	write_file(fit, sizeof(fit), "{\"law\":\"lr-anneal\",\"x\":[\"n\","
	    "\"lr\"],\"y\":\"err\",\"params\":{\"L0\":1,\"A\":1,\"C\":1,"
	    "\"alpha\":0.5}}\n");
	nsl_plot_init(&p, &o);
	UNIT_CHECK(nsl_plot_load(&p, files, 1, fits, 1, &err) != 0 &&
	    strstr(err.msg, "whole schedule") != NULL, "lr-anneal is "
	    "refused: %s", err.msg);
	nsl_plot_release(&p);
	unlink(fit);
	unlink(pts);
}

int
main(void)
{
	test_check();
	test_series_and_curves();
	return unit_done();
}
