/*
 * plot.c - point series and fitted curves to a gnuplot script.  See
 * nsl/plot.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "nsl/fitrec.h"
#include "nsl/group.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/laws.h"
#include "nsl/num.h"
#include "nsl/plot.h"

static const char *const colours[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"
};
#define NCOLOURS (sizeof(colours) / sizeof(colours[0]))

void
nsl_plot_init(struct nsl_plot *p, const struct nsl_plot_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->o = o;
	nsl_groupby_init(&p->groups, o->group);
}

void
nsl_plot_release(struct nsl_plot *p)
{
	size_t i;

	for (i = 0; i < p->ns; i++) {
		free(p->s[i].key);
		free(p->s[i].name);
		free(p->s[i].x);
		free(p->s[i].y);
	}
	for (i = 0; i < p->nc; i++) {
		free(p->c[i].name);
		free(p->c[i].blo);
		free(p->c[i].bhi);
	}
	free(p->s);
	free(p->c);
	nsl_groupby_release(&p->groups);
	memset(p, 0, sizeof(*p));
}

/* Series si (the group-by's number), new when it is the next one. */
static struct nsl_plot_series *
series_at(struct nsl_plot *p, size_t si, const char *name)
{
	struct nsl_plot_series *s;
	const char *key;

	if (si < p->ns)
		return &p->s[si];
	if (p->ns == p->scap) {
		size_t cap = p->scap ? 2 * p->scap : 8;
		void *t = realloc(p->s, cap * sizeof(*p->s));

		if (t == NULL)
			return NULL;
		p->s = t;
		p->scap = cap;
	}
	s = &p->s[p->ns];
	memset(s, 0, sizeof(*s));
	key = nsl_groupby_key(&p->groups, si);
	if (key != NULL && (s->key = strdup(key)) == NULL)
		return NULL;
	if ((s->name = strdup(name)) == NULL)
		return NULL;
	p->ns++;
	return s;
}

static int
get_number(const struct nsl_rec *rec, const char *field, int logscale,
    double *v, struct nsl_err *err)
{
	long i;

	if ((i = nsl_rec_require(rec, field, err)) < 0 ||
	    nsl_rec_number(rec, (size_t)i, v, err) != 0)
		return -1;
	if (logscale && !(*v > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %g is "
		    "not positive, which a log axis cannot show", field, *v);
	return 0;
}

int
nsl_plot_read(struct nsl_plot *p, struct nsl_reader *r, struct nsl_err *err)
{
	const struct nsl_plot_opts *o = p->o;
	struct nsl_buf name = NSL_BUF_INIT;
	struct nsl_rec rec;
	int got, ret = -1;

	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, err)) == 1) {
		struct nsl_plot_series *s;
		const struct nsl_field *g;
		double x, y;
		long i, gi;

		if (get_number(&rec, o->x, o->logx, &x, err) != 0 ||
		    get_number(&rec, o->y, o->logy, &y, err) != 0)
			goto place;
		nsl_buf_reset(&name);
		/* series are equal values (nsl/group.h), not bytes */
		if ((gi = nsl_groupby_add(&p->groups, &rec, err)) < 0)
			goto place;
		if (o->group != NULL) {
			i = nsl_rec_find(&rec, o->group);
			g = &rec.fields[i];
			nsl_buf_adds(&name, o->group);
			nsl_buf_addc(&name, '=');
			if (g->type == NSL_JSON_STRING) {
				struct nsl_buf t = NSL_BUF_INIT;

				if (nsl_rec_string(&rec, (size_t)i, &t, err)) {
					nsl_buf_release(&t);
					goto place;
				}
				nsl_buf_adds(&name, t.data);
				nsl_buf_release(&t);
			} else {
				nsl_buf_adds(&name, nsl_groupby_key(&p->groups,
				    (size_t)gi));
			}
		} else {
			nsl_buf_adds(&name, o->y);
		}
		nsl_buf_addc(&name, '\0');
		s = series_at(p, (size_t)gi, name.data);
		if (s == NULL || nsl_buf_failed(&name))
			goto nomem;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			double *a = realloc(s->x, cap * sizeof(double));
			double *b = a ? realloc(s->y, cap * sizeof(double)) : NULL;

			if (a != NULL)
				s->x = a;
			if (b == NULL)
				goto nomem;
			s->y = b;
			s->cap = cap;
		}
		s->x[s->n] = x;
		s->y[s->n] = y;
		s->n++;
	}
	if (got < 0)
		goto out;
	if (p->ns == 0) {
		nsl_err_at(err, nsl_reader_name(r), 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no records to plot");
		goto out;
	}
	ret = 0;
	goto out;
place:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_rec_release(&rec);
	nsl_buf_release(&name);
	return ret;
}

/* x range of series s (or of everything, s < 0). */
static void
range(const struct nsl_plot *p, long s, double *lo, double *hi)
{
	size_t i, j;

	*lo = INFINITY;
	*hi = -INFINITY;
	for (i = 0; i < p->ns; i++) {
		if (s >= 0 && (size_t)s != i)
			continue;
		for (j = 0; j < p->s[i].n; j++) {
			*lo = fmin(*lo, p->s[i].x[j]);
			*hi = fmax(*hi, p->s[i].x[j]);
		}
	}
}

static void
plot_range(const struct nsl_plot *p, double *lo, double *hi)
{
	range(p, -1, lo, hi);
	if (!isnan(p->o->xmin))
		*lo = p->o->xmin;
	if (!isnan(p->o->xmax))
		*hi = p->o->xmax;
}

/* Evaluate f along the grid into a new curve. */
static int
add_curve(struct nsl_plot *p, const struct nsl_fitrec *f, long series,
    size_t kx, const double *xv, struct nsl_err *err)
{
	const struct nsl_law *law = f->law;
	struct nsl_plot_curve *c;
	double lo, hi, x[NSL_LAW_MAX_VARS], *pred = NULL;
	size_t g, b;

	if (p->nc == p->ccap) {
		size_t cap = p->ccap ? 2 * p->ccap : 8;
		void *t = realloc(p->c, cap * sizeof(*p->c));

		if (t == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		p->c = t;
		p->ccap = cap;
	}
	c = &p->c[p->nc];
	memset(c, 0, sizeof(*c));
	c->series = series;
	range(p, series, &c->lo, &c->hi);
	plot_range(p, &lo, &hi);
	lo = fmin(lo, c->lo);
	hi = fmax(hi, c->hi);
	memcpy(x, xv, law->nvars * sizeof(double));
	for (g = 0; g < NSL_PLOT_GRID; g++) {
		double t = (double)g / (NSL_PLOT_GRID - 1);

		c->x[g] = g == 0 ? lo : g == NSL_PLOT_GRID - 1 ? hi :
		    p->o->logx ? exp(log(lo) + t * (log(hi) - log(lo))) :
		    (1 - t) * lo + t * hi;	/* hi - lo may overflow */
		x[kx] = c->x[g];
		c->y[g] = nsl_law_eval(law, f->theta, x, NULL);
	}
	x[kx] = c->lo;
	c->ylo = nsl_law_eval(law, f->theta, x, NULL);
	x[kx] = c->hi;
	c->yhi = nsl_law_eval(law, f->theta, x, NULL);
	if (f->B > 0) {
		double a = (1 - f->level) / 2;

		c->blo = malloc(NSL_PLOT_GRID * sizeof(double));
		c->bhi = malloc(NSL_PLOT_GRID * sizeof(double));
		pred = malloc(f->B * sizeof(double));
		if (c->blo == NULL || c->bhi == NULL || pred == NULL) {
			free(c->blo);
			free(c->bhi);
			free(pred);
			return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		}
		for (g = 0; g < NSL_PLOT_GRID; g++) {
			x[kx] = c->x[g];
			for (b = 0; b < f->B; b++)
				pred[b] = nsl_law_eval(law, f->samples +
				    b * law->np, x, NULL);
			gsl_sort(pred, 1, f->B);
			c->blo[g] = gsl_stats_quantile_from_sorted_data(pred, 1,
			    f->B, a);
			c->bhi[g] = gsl_stats_quantile_from_sorted_data(pred, 1,
			    f->B, 1 - a);
		}
		free(pred);
	}
	if ((c->name = strdup(law->name)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	p->nc++;
	return 0;
}

static long
var_index(const struct nsl_law *law, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < law->nvars; i++)
		if (strcmp(law->vars[i], name) == 0)
			return (long)i;
	return -1;
}

int
nsl_plot_add_fit(struct nsl_plot *p, const struct nsl_fitrec *f,
    const struct nsl_rec *rec, struct nsl_err *err)
{
	const struct nsl_plot_opts *o = p->o;
	const struct nsl_law *law = f->law;
	double xv[NSL_LAW_MAX_VARS];
	const char *byf = f->by_field, *byv = f->by_value;
	long kx = var_index(law, o->x), kg = var_index(law, o->group);
	size_t j, a;
	int ret = -1;

	if (law->def->flags & NSL_LAWF_CURVE)
		return nsl_err_set(err, NSL_EX_DATAERR, "law %s depends on a "
		    "whole schedule, not one x: cannot draw it", law->name);
	if (kx < 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "the fit's law %s has "
		    "no variable \"%s\" (--x)", law->name, o->x);
	(void)rec;	/* nsl_fitrec_parse() has read its "by" */
	for (j = 0; j < law->nvars; j++) {
		xv[j] = NAN;
		for (a = 0; a < o->nat; a++)
			if (strcmp(o->at_name[a], law->vars[j]) == 0)
				xv[j] = o->at_value[a];
	}
	if (byf != NULL && o->group != NULL && strcmp(byf, o->group) == 0) {
		long si = nsl_groupby_find(&p->groups, byv);

		if (si < 0) {	/* no points of that group: skip */
			ret = 0;
			goto out;
		}
		if (kg >= 0)
			xv[kg] = strtod(byv, NULL);
		for (a = 0; a < law->nvars; a++)
			if ((long)a != kx && isnan(xv[a]))
				goto unset;
		ret = add_curve(p, f, si, (size_t)kx, xv, err);
		goto out;
	}
	if (kg >= 0 && kg != kx) {
		for (j = 0; j < p->ns; j++) {
			char *end;

			xv[kg] = strtod(p->s[j].key, &end);
			if (*end != '\0' || !isfinite(xv[kg])) {
				nsl_err_set(err, NSL_EX_DATAERR, "group %s: the "
				    "law's variable \"%s\" must be a number",
				    p->s[j].key, o->group);
				goto out;
			}
			for (a = 0; a < law->nvars; a++)
				if ((long)a != kx && isnan(xv[a]))
					goto unset;
			if (add_curve(p, f, (long)j, (size_t)kx, xv, err) != 0)
				goto out;
		}
		ret = 0;
		goto out;
	}
	for (a = 0; a < law->nvars; a++)
		if ((long)a != kx && isnan(xv[a]))
			goto unset;
	ret = add_curve(p, f, p->ns == 1 ? 0 : -1, (size_t)kx, xv, err);
	goto out;
unset:
	nsl_err_set(err, NSL_EX_DATAERR, "law %s: variable \"%s\" needs a "
	    "value: --at %s=V, or --group %s", law->name, law->vars[a],
	    law->vars[a], law->vars[a]);
out:
	return ret;
}

const char *
nsl_plot_format(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL)
		return NULL;
	if (strcmp(dot, ".png") == 0)
		return "png";
	if (strcmp(dot, ".svg") == 0)
		return "svg";
	if (strcmp(dot, ".pdf") == 0)
		return "pdf";
	return NULL;
}

/*
 * s as a gnuplot string expression: every user string (title, labels,
 * legend entries, the output name) enters the script here.  It is built
 * of single-quoted runs, in which gnuplot runs no `command` (in double
 * quotes it would, in a shell) and a backslash is itself, joined by '.'
 * to double-quoted pieces for what a run cannot hold: "'" (gnuplot
 * misreads a run opening with the '' escape), "@" (its macros expand even
 * inside single quotes) and "\n", a line break; other control characters
 * become spaces.
 */
static void
quote(struct nsl_buf *b, const char *s)
{
	const char *piece;
	int open = 0, pieces = 0;

	for (; *s != '\0'; s++) {
		piece = *s == '\'' ? "\"'\"" : *s == '@' ? "\"@\"" :
		    *s == '\n' ? "\"\\n\"" : NULL;
		if (piece != NULL) {
			if (open)
				nsl_buf_addc(b, '\'');
			if (pieces++ > 0)
				nsl_buf_addc(b, '.');
			nsl_buf_adds(b, piece);
			open = 0;
			continue;
		}
		if (!open) {
			if (pieces++ > 0)
				nsl_buf_addc(b, '.');
			nsl_buf_addc(b, '\'');
			open = 1;
		}
		nsl_buf_addc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
	if (open)
		nsl_buf_addc(b, '\'');
	if (pieces == 0)
		nsl_buf_adds(b, "''");
}

/*
 * gnuplot takes |v| >= DBL_MAX / 2 for undefined (on a log axis too), and
 * its range arithmetic overflows near there: an axis whose values pass
 * AXIS_LIMIT is drawn in units of a power of ten (named in its label),
 * and a curve's values still past it after that are left out.
 */
#define AXIS_LIMIT 1e300

struct axes {
	double sx, sy;		/* the units of x and y */
};

/* The unit of the x (y = 0) or y axis: 1, or a power of ten. */
static double
axis_unit(const struct nsl_plot *p, int y)
{
	double m = 0, lo, hi;
	size_t i, j;

	for (i = 0; i < p->ns; i++)
		for (j = 0; j < p->s[i].n; j++)
			m = fmax(m, fabs(y ? p->s[i].y[j] : p->s[i].x[j]));
	if (!y) {
		plot_range(p, &lo, &hi);
		m = fmax(m, fmax(fabs(lo), fabs(hi)));
	}
	if (!(m > AXIS_LIMIT) || !isfinite(m))
		return 1;
	return pow(10, floor(log10(m)));
}

static void
num(struct nsl_buf *b, double v)
{
	nsl_json_number(b, v, NSL_NUM_DOUBLE);	/* shortest round trip */
}

/* v in unit u; 0 if it cannot be drawn (not finite, or too large). */
static int
in_unit(double v, double u, double *out)
{
	*out = v / u;
	return isfinite(*out) && fabs(*out) <= AXIS_LIMIT;
}

static void
point(struct nsl_buf *b, const struct axes *ax, double x, double y)
{
	double sx, sy;

	if (!in_unit(x, ax->sx, &sx) || !in_unit(y, ax->sy, &sy))
		return;
	num(b, sx);
	nsl_buf_addc(b, ' ');
	num(b, sy);
	nsl_buf_addc(b, '\n');
}

/* An axis label: text, and its unit when that is not 1. */
static void
axis_label(struct nsl_buf *b, const char *text, double unit)
{
	struct nsl_buf t = NSL_BUF_INIT;
	char u[NSL_NUM_BUFSZ];

	nsl_buf_adds(&t, text);
	if (unit != 1) {
		nsl_num_format(u, unit);
		nsl_buf_addf(&t, " (\xc3\x97 %s)", u);	/* U+00D7 */
	}
	quote(b, t.data != NULL ? t.data : "");
	nsl_buf_release(&t);
}

/*
 * The curve over [lo, hi] (inside: solid, with the exact end points) or
 * outside it (dashed: the part left of lo ending at lo, a blank line, the
 * part right of hi starting at hi).
 */
static void
curve_block(struct nsl_buf *b, const struct axes *ax,
    const struct nsl_plot_curve *c, int inside)
{
	size_t g;

	if (inside) {
		point(b, ax, c->lo, c->ylo);
		for (g = 0; g < NSL_PLOT_GRID; g++)
			if (c->x[g] > c->lo && c->x[g] < c->hi)
				point(b, ax, c->x[g], c->y[g]);
		point(b, ax, c->hi, c->yhi);
		return;
	}
	if (c->x[0] < c->lo) {
		for (g = 0; g < NSL_PLOT_GRID && c->x[g] < c->lo; g++)
			point(b, ax, c->x[g], c->y[g]);
		point(b, ax, c->lo, c->ylo);
		nsl_buf_addc(b, '\n');
	}
	if (c->x[NSL_PLOT_GRID - 1] > c->hi) {
		point(b, ax, c->hi, c->yhi);
		for (g = 0; g < NSL_PLOT_GRID; g++)
			if (c->x[g] > c->hi)
				point(b, ax, c->x[g], c->y[g]);
	}
}

/*
 * The legend entry of curve i, or NULL for none: a fit's law once when
 * every curve draws the same law, otherwise each curve its own law and
 * series (so that no curve is named after another's law).
 */
static const char *
curve_title(const struct nsl_plot *p, size_t i, struct nsl_buf *t)
{
	const struct nsl_plot_curve *c = &p->c[i];
	size_t j;

	for (j = 1; j < p->nc; j++)
		if (strcmp(p->c[j].name, p->c[0].name) != 0)
			break;
	if (j == p->nc)		/* one law */
		return i == 0 ? c->name : NULL;
	nsl_buf_reset(t);
	nsl_buf_adds(t, c->name);
	if (c->series >= 0 && p->ns > 1)
		nsl_buf_addf(t, " (%s)", p->s[c->series].name);
	return t->data != NULL ? t->data : "";
}

int
nsl_plot_script(const struct nsl_plot *p, const char *output,
    const char *fmt, struct nsl_buf *b, struct nsl_err *err)
{
	const struct nsl_plot_opts *o = p->o;
	struct nsl_buf title = NSL_BUF_INIT;
	struct axes ax;
	const char *ct;
	size_t i, j, g;
	int first = 1, extra_titled = 0;
	double lo, hi;

	if (p->ns == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "no points to plot");
	ax.sx = axis_unit(p, 0);
	ax.sy = axis_unit(p, 1);
	nsl_buf_adds(b, "# written by nsl-plot; data inline, edit freely\n");
	if (strcmp(fmt, "png") == 0)
		nsl_buf_addf(b, "set terminal pngcairo size %d,%d enhanced "
		    "font 'sans,11'\n", o->width, o->height);
	else if (strcmp(fmt, "svg") == 0)
		nsl_buf_addf(b, "set terminal svg size %d,%d dynamic enhanced "
		    "font 'sans,11'\n", o->width, o->height);
	else
		nsl_buf_addf(b, "set terminal pdfcairo size %gin,%gin enhanced "
		    "font 'sans,9'\n", o->width / 100.0, o->height / 100.0);
	nsl_buf_adds(b, "set output ");
	quote(b, output);
	nsl_buf_adds(b, "\nset encoding utf8\nset key top right\n"
	    "set grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n");
	if (o->title != NULL) {
		nsl_buf_adds(b, "set title ");
		quote(b, o->title);
		nsl_buf_adds(b, " noenhanced\n");
	}
	nsl_buf_adds(b, "set xlabel ");
	axis_label(b, o->xlabel ? o->xlabel : o->x, ax.sx);
	nsl_buf_adds(b, " noenhanced\nset ylabel ");
	axis_label(b, o->ylabel ? o->ylabel : o->y, ax.sy);
	nsl_buf_adds(b, " noenhanced\n");
	if (o->logx)
		nsl_buf_adds(b, "set logscale x\n");
	if (o->logy)
		nsl_buf_adds(b, "set logscale y\n");
	plot_range(p, &lo, &hi);
	if (!isnan(o->xmin) || !isnan(o->xmax)) {
		nsl_buf_adds(b, "set xrange [");
		num(b, lo / ax.sx);
		nsl_buf_addc(b, ':');
		num(b, hi / ax.sx);
		nsl_buf_adds(b, "]\n");
	}
	for (i = 0; i < p->ns; i++) {
		nsl_buf_addf(b, "$points%zu << EOD\n", i);
		for (j = 0; j < p->s[i].n; j++)
			point(b, &ax, p->s[i].x[j], p->s[i].y[j]);
		nsl_buf_adds(b, "EOD\n");
	}
	for (i = 0; i < p->nc; i++) {
		const struct nsl_plot_curve *c = &p->c[i];

		nsl_buf_addf(b, "$fit%zu << EOD\n", i);
		curve_block(b, &ax, c, 1);
		nsl_buf_addf(b, "EOD\n$extra%zu << EOD\n", i);
		curve_block(b, &ax, c, 0);
		nsl_buf_adds(b, "EOD\n");
		if (c->blo != NULL) {
			nsl_buf_addf(b, "$band%zu << EOD\n", i);
			for (g = 0; g < NSL_PLOT_GRID; g++) {
				double x, l, h;

				if (!in_unit(c->x[g], ax.sx, &x) ||
				    !in_unit(c->blo[g], ax.sy, &l) ||
				    !in_unit(c->bhi[g], ax.sy, &h))
					continue;
				num(b, x);
				nsl_buf_addc(b, ' ');
				num(b, l);
				nsl_buf_addc(b, ' ');
				num(b, h);
				nsl_buf_addc(b, '\n');
			}
			nsl_buf_adds(b, "EOD\n");
		}
	}
	nsl_buf_adds(b, "plot ");
	/* bands first, so points and lines are drawn over them */
	for (i = 0; i < p->nc; i++) {
		const struct nsl_plot_curve *c = &p->c[i];
		const char *col = colours[(c->series < 0 ? 0 :
		    (size_t)c->series) % NCOLOURS];

		if (c->blo == NULL)
			continue;
		nsl_buf_addf(b, "%s$band%zu using 1:2:3 with filledcurves "
		    "fc rgb '%s' fs transparent solid 0.18 noborder %s",
		    first ? "" : ", \\\n     ", i, col, first ?
		    "title 'bootstrap band'" : "notitle");
		first = 0;
	}
	for (i = 0; i < p->ns; i++) {
		nsl_buf_addf(b, "%s$points%zu using 1:2 with points pt 7 ps 0.8 "
		    "lc rgb '%s' title ", first ? "" : ", \\\n     ",
		    i, colours[i % NCOLOURS]);
		quote(b, p->s[i].name);
		nsl_buf_adds(b, " noenhanced");
		first = 0;
	}
	for (i = 0; i < p->nc; i++) {
		const struct nsl_plot_curve *c = &p->c[i];
		const char *col = colours[(c->series < 0 ? 0 :
		    (size_t)c->series) % NCOLOURS];

		nsl_buf_addf(b, ", \\\n     $fit%zu using 1:2 with lines lw 2 "
		    "dt 1 lc rgb '%s' ", i, col);
		if ((ct = curve_title(p, i, &title)) != NULL) {
			nsl_buf_adds(b, "title ");
			quote(b, ct);
			nsl_buf_adds(b, " noenhanced");
		} else {
			nsl_buf_adds(b, "notitle");
		}
		if (c->x[0] < c->lo || c->x[NSL_PLOT_GRID - 1] > c->hi) {
			nsl_buf_addf(b, ", \\\n     $extra%zu using 1:2 with "
			    "lines lw 2 dt 2 lc rgb '%s' %s", i, col,
			    extra_titled ? "notitle" : "title 'extrapolation'");
			extra_titled = 1;
		}
	}
	nsl_buf_adds(b, "\n");
	i = nsl_buf_failed(&title);
	nsl_buf_release(&title);
	if (nsl_buf_failed(b) || i)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

/* 1 if an executable named name is on PATH. */
static int
on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[4096];

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path; ; p = e + 1) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) + strlen(name) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p),
			    e == p ? "." : p, name);
			if (access(buf, X_OK) == 0)
				return 1;
		}
		if (*e == '\0')
			return 0;
	}
}

int
nsl_plot_render(const char *script, size_t len, struct nsl_err *err)
{
	FILE *fp;
	int st;

	if (!on_path("gnuplot"))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "gnuplot not found: "
		    "install the Debian package gnuplot-nox (apt-get install "
		    "gnuplot-nox), or use --script");
	fflush(NULL);
	if ((fp = popen("gnuplot", "w")) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "cannot run gnuplot: "
		    "%s", strerror(errno));
	if (fwrite(script, 1, len, fp) != len) {
		pclose(fp);
		return nsl_err_set(err, NSL_EX_IOERR, "writing to gnuplot: %s",
		    strerror(errno));
	}
	st = pclose(fp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "gnuplot failed "
		    "(status %d): see its message above", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	return 0;
}

const char *
nsl_plot_check(const struct nsl_plot_opts *o, const char *output)
{
	static char msg[600];

	if (o->x == NULL || o->y == NULL)
		return "--x FIELD and --y FIELD are required";
	if (output == NULL)
		return "-o FIGURE (.png, .svg or .pdf) is required";
	if (nsl_plot_format(output) == NULL) {
		snprintf(msg, sizeof(msg), "-o %.500s: the name must end in "
		    ".png, .svg or .pdf", output);
		return msg;
	}
	if (!isnan(o->xmin) && !isnan(o->xmax) && !(o->xmin < o->xmax))
		return "--xmin must be below --xmax";
	if (o->logx && ((!isnan(o->xmin) && !(o->xmin > 0)) ||
	    (!isnan(o->xmax) && !(o->xmax > 0))))
		return "--logx needs a positive --xmin and --xmax";
	return NULL;
}

/* The point records of path. */
static int
read_points(struct nsl_plot *p, const char *path, struct nsl_err *err)
{
	struct nsl_reader *r;
	int rc;

	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	rc = nsl_plot_read(p, r, err);
	nsl_reader_close(r);
	return rc;
}

/* The fit records of path, each a curve (or several). */
static int
read_fits(struct nsl_plot *p, const char *path, struct nsl_err *err)
{
	struct nsl_reader *r;
	struct nsl_rec rec;
	struct nsl_fitrec f;
	int got, any = 0, ret = -1;

	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, err)) == 1) {
		nsl_fitrec_init(&f);
		if (nsl_fitrec_parse(&f, &rec, err) != 0 ||
		    nsl_plot_add_fit(p, &f, &rec, err) != 0) {
			nsl_fitrec_release(&f);
			nsl_err_at(err, nsl_reader_name(r),
			    nsl_reader_lineno(r));
			goto out;
		}
		nsl_fitrec_release(&f);
		any = 1;
	}
	if (got < 0)
		goto out;
	if (!any) {
		nsl_err_set(err, NSL_EX_DATAERR, "no fit records");
		nsl_err_at(err, path, 0);
		goto out;
	}
	ret = 0;
out:
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	return ret;
}

int
nsl_plot_load(struct nsl_plot *p, const char *const *files, size_t nfiles,
    const char *const *fits, size_t nfits, struct nsl_err *err)
{
	size_t i;

	nsl_err_clear(err);
	if (nfiles == 0 && read_points(p, "-", err) != 0)
		return -1;
	for (i = 0; i < nfiles; i++)
		if (read_points(p, files[i], err) != 0)
			return -1;
	for (i = 0; i < nfits; i++)
		if (read_fits(p, fits[i], err) != 0)
			return -1;
	return 0;
}

/* Copy the rendered file tmp into output (atomically) and remove it. */
static int
deliver(const char *tmp, const char *output, struct nsl_err *err)
{
	struct nsl_reader *r;
	struct nsl_writer *w;
	char buf[65536];
	long n;

	if ((r = nsl_reader_open(tmp, err)) == NULL)
		goto fail;
	if ((w = nsl_writer_open(output, err)) == NULL) {
		nsl_reader_close(r);
		goto fail;
	}
	while ((n = nsl_reader_read(r, buf, sizeof(buf), err)) > 0)
		if (nsl_writer_write(w, buf, (size_t)n, err) != 0)
			break;
	nsl_reader_close(r);
	if (n != 0) {
		nsl_writer_abort(w);
		goto fail;
	}
	if (nsl_writer_commit(w, err) != 0)
		goto fail;
	unlink(tmp);
	return 0;
fail:
	unlink(tmp);
	return -1;
}

int
nsl_plot_draw(const struct nsl_plot *p, const char *output, int script,
    struct nsl_buf *out, struct nsl_err *err)
{
	const char *fmt = nsl_plot_format(output), *td = getenv("TMPDIR");
	struct nsl_buf b = NSL_BUF_INIT;
	char tmp[512];
	int fd, ret = -1;

	nsl_err_clear(err);
	if (script)
		return nsl_plot_script(p, output, fmt, out, err);
	if (td == NULL || *td == '\0' || strlen(td) > 400)
		td = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/nsl-plot-XXXXXX.%s", td, fmt);
	if ((fd = mkstemps(tmp, 4)) < 0)
		return nsl_err_set(err, NSL_EX_IOERR, "cannot create a "
		    "temporary file in %s", td);
	close(fd);
	if (nsl_plot_script(p, tmp, fmt, &b, err) != 0 ||
	    nsl_plot_render(b.data, b.len, err) != 0) {
		unlink(tmp);
		goto out;
	}
	ret = deliver(tmp, output, err);
out:
	nsl_buf_release(&b);
	return ret;
}
