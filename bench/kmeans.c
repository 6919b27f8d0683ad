/*
 * bench/kmeans.c - times nsl_kmeans_fit on raw float64 files, for
 * bench/kmeans.sh: kmeans X.f64 N D INIT.f64 K ITERS [ASSIGN.i32].  Prints
 * "seconds inertia iterations cpu-seconds" on one line, and writes the assignments
 * as int32 to ASSIGN.i32 if given.  INIT.f64 "-" seeds by k-means++ (seed
 * 1) inside the timed part instead, "-S" likewise with seed S.  X.f32 (a
 * name ending in .f32) holds float32 numbers, fitted as they are held by
 * nsl_kmeans_fit_f32 (no double copy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/kmeans.h"

static void *
slurp_sz(const char *path, size_t count, size_t sz)
{
	FILE *f = fopen(path, "rb");
	void *p = malloc(count * sz);

	if (!f || !p || fread(p, sz, count, f) != count) {
		fprintf(stderr, "kmeans: cannot read %zu numbers from %s\n",
		    count, path);
		exit(66);
	}
	fclose(f);
	return p;
}

static double *
slurp(const char *path, size_t count)
{
	return slurp_sz(path, count, sizeof(double));
}

int
main(int argc, char **argv)
{
	size_t n, d, k, len;
	double *x = NULL, *c, secs;
	float *xf = NULL;
	struct nsl_kmeans_params p = { 0 };
	struct nsl_kmeans_result r;
	struct nsl_err err;
	struct timespec t0, t1, c0, c1;

	if (argc != 7 && argc != 8) {
		fprintf(stderr, "usage: kmeans X.f64 N D INIT.f64 K ITERS "
		    "[ASSIGN.i32]\n");
		return 64;
	}
	n = strtoul(argv[2], NULL, 10);
	d = strtoul(argv[3], NULL, 10);
	k = strtoul(argv[5], NULL, 10);
	len = strlen(argv[1]);
	if (len > 4 && strcmp(argv[1] + len - 4, ".f32") == 0)
		xf = slurp_sz(argv[1], n * d, sizeof(float));
	else
		x = slurp(argv[1], n * d);
	p.init_given = argv[4][0] != '-';
	c = p.init_given ? slurp(argv[4], k * d) : malloc(k * d * sizeof(double));
	r.centroids = c;
	r.assign = malloc(n * sizeof(size_t));
	p.k = k;
	p.max_iter = atoi(argv[6]);
	p.tol = 0;
	p.seed = argv[4][0] == '-' && argv[4][1] != '\0' ?
	    strtoull(argv[4] + 1, NULL, 10) : 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if ((xf ? nsl_kmeans_fit_f32(xf, NULL, n, d, &p, &r, &err) :
	    nsl_kmeans_fit(x, n, d, &p, &r, &err)) < 0) {
		fprintf(stderr, "kmeans: %s\n", err.msg);
		return 65;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%.3f %.17g %d %.3f\n", secs, r.inertia, r.iterations,
	    (double)(c1.tv_sec - c0.tv_sec) +
	    1e-9 * (double)(c1.tv_nsec - c0.tv_nsec));
	if (argc == 8) {
		FILE *f = fopen(argv[7], "wb");
		size_t i;

		for (i = 0; f != NULL && i < n; i++) {
			int a = (int)r.assign[i];

			fwrite(&a, sizeof(a), 1, f);
		}
		if (f == NULL || fclose(f) != 0) {
			fprintf(stderr, "kmeans: cannot write %s\n", argv[7]);
			return 74;
		}
	}
	free(x);
	free(xf);
	free(c);
	free(r.assign);
	return 0;
}
