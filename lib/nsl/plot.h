/*
 * nsl/plot.h - figures of measurement records and fitted laws, drawn by
 * gnuplot.
 *
 * A plot holds series of points (one per value of the group field, in
 * order of first appearance; one series without a group field) and
 * curves: a fitted law (nsl/fitrec.h) evaluated along the x variable on a
 * grid of NSL_PLOT_GRID points spanning the plot's x range.  A curve is
 * drawn solid over the x range of its series' points (or of all points
 * when it belongs to no series) and dashed beyond it, where it
 * extrapolates; with bootstrap samples in the fit record, the band of the
 * level's percentiles of the samples' predictions is shaded beneath.
 *
 * nsl_plot_script() writes a self-contained gnuplot script (data inline,
 * as here-documents) that renders to the output path; nsl_plot_render()
 * runs gnuplot on it.
 *
 * Invariants: every series has n >= 1 points, all finite (and positive
 * on a log axis); curve i belongs to series[curve.series] or to none
 * (series == -1).  Ownership: the plot owns all its strings and arrays;
 * nsl_plot_release() frees them.  Options are borrowed (they must live as
 * long as the plot).
 */
#ifndef NSL_PLOT_H
#define NSL_PLOT_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"
#include "nsl/fitrec.h"
#include "nsl/group.h"

#define NSL_PLOT_GRID 200
#define NSL_PLOT_MAX_AT 16

struct nsl_reader;

struct nsl_plot_opts {
	const char *x, *y;		/* fields (required) */
	const char *group;		/* or NULL */
	const char *title, *xlabel, *ylabel;	/* NULL: none, x, y */
	int logx, logy;
	double xmin, xmax;		/* NAN: from the data */
	const char *at_name[NSL_PLOT_MAX_AT];	/* other law variables */
	double at_value[NSL_PLOT_MAX_AT];
	size_t nat;
	int width, height;		/* pixels (svg, png); pdf scales */
};

struct nsl_plot_series {
	char *key;		/* the group's key (labels.h), or NULL */
	char *name;		/* for the legend */
	double *x, *y;
	size_t n, cap;
};

struct nsl_plot_curve {
	long series;		/* index, or -1 */
	char *name;		/* for the legend */
	double lo, hi;		/* solid over [lo, hi] */
	double ylo, yhi;	/* the curve at lo and hi */
	double x[NSL_PLOT_GRID], y[NSL_PLOT_GRID];
	double *blo, *bhi;	/* band (NSL_PLOT_GRID each) or NULL */
};

struct nsl_plot {
	const struct nsl_plot_opts *o;
	struct nsl_plot_series *s;
	size_t ns, scap;
	struct nsl_plot_curve *c;
	size_t nc, ccap;
	struct nsl_groupby groups;	/* series i is group i */
};

void nsl_plot_init(struct nsl_plot *, const struct nsl_plot_opts *);
void nsl_plot_release(struct nsl_plot *);

/*
 * Read every point record of r: x and y numbers (and the group value).
 * Returns 0, or -1 with err at file:line (a missing or non-numeric
 * field, a value <= 0 on a log axis).
 */
int nsl_plot_read(struct nsl_plot *, struct nsl_reader *r,
    struct nsl_err *err);

/*
 * Add the curves of a fit record f (parsed from rec) after all points
 * are read.  The plot's x field must be one of the law's variables.  A
 * fit with "by" {G: v}
 * where G is the group field draws one curve for series v (none if no
 * such series); otherwise, if the group field is another of the law's
 * variables, one curve per series with that variable at the series'
 * value; otherwise one curve.  Remaining variables come from opts->at.
 * Returns 0, or -1 with err (NSL_EX_DATAERR; the caller places it).
 */
int nsl_plot_add_fit(struct nsl_plot *, const struct nsl_fitrec *f,
    const struct nsl_rec *rec, struct nsl_err *err);

/*
 * Append the gnuplot script that draws the plot into output, whose
 * format ("png", "svg" or "pdf") is taken from fmt.  Returns 0, or -1
 * with err when there is nothing to draw.
 */
int nsl_plot_script(const struct nsl_plot *, const char *output,
    const char *fmt, struct nsl_buf *out, struct nsl_err *err);

/*
 * Run gnuplot (found on PATH) on script.  Returns 0, or -1 with err:
 * NSL_EX_SOFTWARE naming the Debian package gnuplot-nox when gnuplot is
 * not installed, or with gnuplot's own complaint when it fails.
 */
int nsl_plot_render(const char *script, size_t len, struct nsl_err *err);

/*
 * NULL, or a message for options that cannot make a figure: no --x or
 * --y, no output or one without .png, .svg or .pdf, an empty or
 * non-positive (log) x range.
 */
const char *nsl_plot_check(const struct nsl_plot_opts *, const char *output);

/*
 * Read the point records of files (standard input when nfiles is 0),
 * then the fit records of fits (each file must hold at least one).
 * Returns 0, or -1 with err at file:line.
 */
int nsl_plot_load(struct nsl_plot *, const char *const *files, size_t nfiles,
    const char *const *fits, size_t nfits, struct nsl_err *err);

/*
 * Draw the figure into output (its format from its name): with script,
 * append the gnuplot script that writes it to out instead; else render
 * in $TMPDIR (or /tmp) and copy the figure to output atomically.
 * Returns 0, or -1 with err.
 */
int nsl_plot_draw(const struct nsl_plot *, const char *output, int script,
    struct nsl_buf *out, struct nsl_err *err);

/* "png", "svg" or "pdf" from a file name's extension, or NULL. */
const char *nsl_plot_format(const char *path);

#endif
