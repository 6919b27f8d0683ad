/*
 * bench/num.c - numbers per second for lib/num.c against the C library:
 * nsl_num_parse() against strtod(), nsl_num_format() against
 * snprintf("%.17g"), nsl_num_format_float() against snprintf("%.9g"), on
 * embedding-like values (normal, sigma 0.05) and on arbitrary doubles.
 *
 *	cc -std=c11 -O2 -Ilib bench/num.c lib/num.c -lm -o bench/out/num
 *	bench/out/num [count]
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/num.h"

/*
 * Each rate is the best of TRIES runs of at least RUN_SECONDS of CPU time
 * (not wall time): the machine is shared, and the best run is the least
 * disturbed one.
 */
#define RUN_SECONDS	0.1
#define TRIES		5

static uint64_t rng_state = 1;
static volatile double sink;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double
uniform(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller; about the values of an L2-normalised 768-dim embedding. */
static double
gauss(double sigma)
{
	return sigma * sqrt(-2 * log(uniform())) * cos(6.283185307179586 *
	    uniform());
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Texts of n numbers, each NUL-terminated, one after another. */
struct texts {
	char	*buf;
	size_t	*off;
	size_t	 n;
	size_t	 len;
};

static void
texts_make(struct texts *t, size_t n, const char *fmt)
{
	static const char *fixed[] = { "-0.0123456789", "0.5", "1.2345678e-05" };
	size_t i, len = 0;

	t->buf = malloc(n * 32);
	t->off = malloc(n * sizeof(*t->off));
	if (t->buf == NULL || t->off == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		t->off[i] = len;
		if (fmt == NULL)
			len += (size_t)sprintf(t->buf + len, "%s", fixed[i % 3]);
		else
			len += (size_t)sprintf(t->buf + len, fmt, gauss(0.05));
		t->buf[len++] = '\0';
	}
	t->n = n;
	t->len = len;
}

/*
 * Numbers per second over t.  Like a JSON reader, we bound the text by the
 * end of the buffer, not of the number.
 */
static double
rate_parse(const struct texts *t, int ours)
{
	double t0, t1, acc = 0, v, best = 0;
	size_t i, passes;
	const char *s, *end = t->buf + t->len;
	int try;

	for (try = 0; try < TRIES; try++) {
		passes = 0;
		t0 = now();
		do {
			for (i = 0; i < t->n; i++) {
				s = t->buf + t->off[i];
				if (ours)
					nsl_num_parse(s, end, &v);
				else
					v = strtod(s, NULL);
				acc += v;
			}
			passes++;
		} while ((t1 = now()) - t0 < RUN_SECONDS);
		if ((double)(passes * t->n) / (t1 - t0) > best)
			best = (double)(passes * t->n) / (t1 - t0);
	}
	sink = acc;
	return best;
}

enum fmt_kind { FMT_OURS, FMT_OURS_FLOAT, FMT_PRINTF17, FMT_PRINTF9 };

static int
format_one(char *buf, double v, enum fmt_kind kind)
{
	switch (kind) {
	case FMT_OURS:
		return nsl_num_format(buf, v);
	case FMT_OURS_FLOAT:
		return nsl_num_format_float(buf, (float)v);
	case FMT_PRINTF17:
		return snprintf(buf, NSL_NUM_BUFSZ, "%.17g", v);
	case FMT_PRINTF9:
		return snprintf(buf, NSL_NUM_BUFSZ, "%.9g", (double)(float)v);
	}
	return 0;
}

static double
rate_format(const double *v, size_t n, enum fmt_kind kind)
{
	char buf[NSL_NUM_BUFSZ];
	double t0, t1, best = 0;
	size_t i, passes, total = 0;
	int try;

	for (try = 0; try < TRIES; try++) {
		passes = 0;
		t0 = now();
		do {
			for (i = 0; i < n; i++)
				total += (size_t)format_one(buf, v[i], kind);
			passes++;
		} while ((t1 = now()) - t0 < RUN_SECONDS);
		if ((double)(passes * n) / (t1 - t0) > best)
			best = (double)(passes * n) / (t1 - t0);
	}
	sink = (double)total;
	return best;
}

static void
report(const char *what, double ours, double libc, const char *libcname)
{
	printf("%-38s %6.1f M/s   %-6s %6.1f M/s   x%.1f\n", what, ours / 1e6,
	    libcname, libc / 1e6, ours / libc);
}

/*
 * JSON lines' embeddings: nsl_num_parse_array() over dim numbers, the
 * lines taken in turn from nlines different ones.  One line parsed over
 * and over lets the branch predictor learn its digit counts, which it
 * cannot do on real data: 64 lines are the honest figure.  sd 0 writes
 * %.8g of N(0, 0.05) numbers (bench/gen-embeddings.sh's text); sd > 0
 * the shortest text of float32 N(0, sd) numbers read as doubles, as
 * Python's json writes a float32 array's .tolist() (16-17 digits).
 */
static void
bench_array(size_t dim, size_t nlines, double sd)
{
	char *lines;
	double *vals = NULL, t0, t1, best = 0;
	size_t *len, total = 0, i, k, n, cap = 0, err, passes, width;
	int try;

	width = dim * 24 + 2;
	lines = malloc(width * nlines);
	len = calloc(nlines, sizeof(*len));
	if (lines == NULL || len == NULL)
		exit(1);
	for (k = 0; k < nlines; k++) {
		char *line = lines + k * width;

		line[len[k]++] = '[';
		for (i = 0; i < dim; i++) {
			if (i > 0)
				line[len[k]++] = ',';
			if (sd > 0)
				len[k] += nsl_num_format(line + len[k],
				    (double)(float)gauss(sd));
			else
				len[k] += (size_t)sprintf(line + len[k],
				    "%.8g", gauss(0.05));
		}
		line[len[k]++] = ']';
		total += len[k];
	}
	for (try = 0; try < TRIES; try++) {
		passes = 0;
		t0 = now();
		do {
			for (k = 0; k < nlines; k++) {
				n = 0;
				if (nsl_num_parse_array(lines + k * width,
				    lines + k * width + len[k], &vals, &n,
				    &cap, &err) == 0)
					exit(1);
			}
			passes++;
		} while ((t1 = now()) - t0 < RUN_SECONDS);
		if ((double)passes / (t1 - t0) > best)
			best = (double)passes / (t1 - t0);
	}
	if (sd > 0)
		printf("parse_array %zu x f32 repr sd %g, %2zu lines", dim, sd,
		    nlines);
	else
		printf("parse_array %zu x %%.8g, %2zu line%s", dim, nlines,
		    nlines > 1 ? "s" : " ");
	printf("  %6.1f M/s   (%.0f lines/s, %.0f MB/s)\n",
	    best * (double)(dim * nlines) / 1e6, best * (double)nlines,
	    best * (double)total / 1e6);
	free(vals);
	free(len);
	free(lines);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *fmt;
	} sets[] = {
		{ "parse -0.0123456789|0.5|1.2345678e-05", NULL },
		{ "parse %.8g embedding", "%.8g" },
		{ "parse %.17g embedding", "%.17g" },
	};
	struct texts t;
	size_t i, n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	uint64_t b;
	double *v, *w, x;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		texts_make(&t, n, sets[i].fmt);
		report(sets[i].name, rate_parse(&t, 1), rate_parse(&t, 0),
		    "strtod");
		free(t.buf);
		free(t.off);
	}
	bench_array(768, 1, 0);
	bench_array(768, 64, 0);
	bench_array(768, 64, 0.05);
	bench_array(768, 64, 3);

	v = malloc(n * sizeof(*v));
	w = malloc(n * sizeof(*w));
	if (v == NULL || w == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		v[i] = gauss(0.05);
		do {
			b = rng();
			memcpy(&x, &b, sizeof(x));
		} while (!isfinite(x));
		w[i] = x;
	}
	report("format embedding doubles", rate_format(v, n, FMT_OURS),
	    rate_format(v, n, FMT_PRINTF17), "%.17g");
	report("format any doubles", rate_format(w, n, FMT_OURS),
	    rate_format(w, n, FMT_PRINTF17), "%.17g");
	report("format_float embedding floats",
	    rate_format(v, n, FMT_OURS_FLOAT), rate_format(v, n, FMT_PRINTF9),
	    "%.9g");
	free(v);
	free(w);
	return 0;
}
