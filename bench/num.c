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

#define REPEAT_SECONDS	0.3

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

/* Box-Muller; the values of an L2-normalised 768-dim embedding. */
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

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Texts of n numbers, each NUL-terminated, one after another. */
struct texts {
	char	*buf;
	size_t	*off;
	size_t	 n;
};

static void
texts_make(struct texts *t, size_t n, const char *fmt, int shape)
{
	static const char *fixed[] = { "-0.0123456789", "0.5", "1.2345678e-05" };
	size_t i, len = 0;
	double v;

	t->buf = malloc(n * 32);
	t->off = malloc(n * sizeof(*t->off));
	if (t->buf == NULL || t->off == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		t->off[i] = len;
		if (shape == 0)
			len += (size_t)sprintf(t->buf + len, "%s", fixed[i % 3]);
		else {
			v = gauss(0.05);
			len += (size_t)sprintf(t->buf + len, fmt, v);
		}
		t->buf[len++] = '\0';
	}
	t->n = n;
}

/* Rate in numbers per second of one pass over t, repeated for a while. */
static double
rate_parse(const struct texts *t, int ours)
{
	double t0 = now(), t1, acc = 0, v;
	size_t i, passes = 0;
	const char *s;

	do {
		for (i = 0; i < t->n; i++) {
			s = t->buf + t->off[i];
			if (ours)
				nsl_num_parse(s, s + strlen(s), &v);
			else
				v = strtod(s, NULL);
			acc += v;
		}
		passes++;
	} while ((t1 = now()) - t0 < REPEAT_SECONDS);
	sink = acc;
	return (double)(passes * t->n) / (t1 - t0);
}

enum fmt_kind { FMT_OURS, FMT_OURS_FLOAT, FMT_PRINTF17, FMT_PRINTF9 };

static double
rate_format(const double *v, size_t n, enum fmt_kind kind)
{
	char buf[NSL_NUM_BUFSZ];
	double t0 = now(), t1;
	size_t i, passes = 0, total = 0;

	do {
		for (i = 0; i < n; i++) {
			switch (kind) {
			case FMT_OURS:
				total += (size_t)nsl_num_format(buf, v[i]);
				break;
			case FMT_OURS_FLOAT:
				total += (size_t)nsl_num_format_float(buf,
				    (float)v[i]);
				break;
			case FMT_PRINTF17:
				total += (size_t)snprintf(buf, sizeof(buf),
				    "%.17g", v[i]);
				break;
			case FMT_PRINTF9:
				total += (size_t)snprintf(buf, sizeof(buf),
				    "%.9g", (double)(float)v[i]);
				break;
			}
		}
		passes++;
	} while ((t1 = now()) - t0 < REPEAT_SECONDS);
	sink = (double)total;
	return (double)(passes * n) / (t1 - t0);
}

static void
report(const char *what, double ours, double libc, const char *libcname)
{
	printf("%-34s %7.1f M/s   %-14s %6.1f M/s   x%.1f\n", what, ours / 1e6,
	    libcname, libc / 1e6, ours / libc);
}

static void
bench_array(size_t dim)
{
	char *line;
	double *vals = NULL, t0, t1;
	size_t len = 0, i, n, cap = 0, err, passes = 0;

	line = malloc(dim * 24 + 2);
	if (line == NULL)
		exit(1);
	line[len++] = '[';
	for (i = 0; i < dim; i++)
		len += (size_t)sprintf(line + len, "%s%.8g", i ? "," : "",
		    gauss(0.05));
	line[len++] = ']';
	t0 = now();
	do {
		n = 0;
		if (nsl_num_parse_array(line, line + len, &vals, &n, &cap,
		    &err) == 0)
			exit(1);
		passes++;
	} while ((t1 = now()) - t0 < REPEAT_SECONDS);
	printf("%-34s %7.1f M/s   (%.0f lines/s, %.0f MB/s)\n",
	    "parse_array 768 x %.8g", (double)(passes * dim) / (t1 - t0) / 1e6,
	    (double)passes / (t1 - t0), (double)(passes * len) / (t1 - t0) / 1e6);
	free(vals);
	free(line);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *fmt;
		int shape;
	} sets[] = {
		{ "parse -0.0123456789|0.5|1.2345678e-05", NULL, 0 },
		{ "parse %.8g embedding", "%.8g", 1 },
		{ "parse %.17g embedding", "%.17g", 1 },
	};
	struct texts t;
	size_t i, n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	double *v, *w, x;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		texts_make(&t, n, sets[i].fmt, sets[i].shape);
		report(sets[i].name, rate_parse(&t, 1), rate_parse(&t, 0),
		    "strtod");
		free(t.buf);
		free(t.off);
	}
	bench_array(768);

	v = malloc(n * sizeof(*v));
	w = malloc(n * sizeof(*w));
	if (v == NULL || w == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		v[i] = gauss(0.05);
		do {
			uint64_t b = rng();

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
