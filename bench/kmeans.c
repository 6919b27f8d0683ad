/*
 * bench/kmeans.c - times nsl_kmeans_fit on raw float64 files, for
 * bench/kmeans.sh: kmeans X.f64 N D INIT.f64 K ITERS.  Prints
 * "seconds inertia iterations" on one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nsl/kmeans.h"

static double *
slurp(const char *path, size_t count)
{
	FILE *f = fopen(path, "rb");
	double *p = malloc(count * sizeof(double));

	if (!f || !p || fread(p, sizeof(double), count, f) != count) {
		fprintf(stderr, "kmeans: cannot read %zu numbers from %s\n",
		    count, path);
		exit(66);
	}
	fclose(f);
	return p;
}

int
main(int argc, char **argv)
{
	size_t n, d, k;
	double *x, *c, secs;
	struct nsl_kmeans_params p = { 0 };
	struct nsl_kmeans_result r;
	struct nsl_err err;
	struct timespec t0, t1;

	if (argc != 7) {
		fprintf(stderr, "usage: kmeans X.f64 N D INIT.f64 K ITERS\n");
		return 64;
	}
	n = strtoul(argv[2], NULL, 10);
	d = strtoul(argv[3], NULL, 10);
	k = strtoul(argv[5], NULL, 10);
	x = slurp(argv[1], n * d);
	c = slurp(argv[4], k * d);
	r.centroids = c;
	r.assign = malloc(n * sizeof(size_t));
	p.k = k;
	p.max_iter = atoi(argv[6]);
	p.tol = 0;
	p.init_given = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nsl_kmeans_fit(x, n, d, &p, &r, &err) < 0) {
		fprintf(stderr, "kmeans: %s\n", err.msg);
		return 65;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%.3f %.17g %d\n", secs, r.inertia, r.iterations);
	free(x);
	free(c);
	free(r.assign);
	return 0;
}
