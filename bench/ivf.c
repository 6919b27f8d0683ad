/*
 * ivf - bench/ivf.sh's driver of lib/ivf.c: build the index over raw
 * float64 points, search Q of them (their own copy left out) at several
 * nprobe, and print the times and the recall@K against exact neighbours
 * computed by bench/ivf_peers.py (numpy, float64).  Optionally (EXACT=1)
 * the exact all-pairs search of nsl-score's knn over every point.
 *
 *	ivf X.f64 N D LISTS QIDX.i64 GT.i64 Q K NPROBE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/ivf.h"
#include "nsl/score.h"

static double
now(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *
slurp(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "rb");
	void *p = malloc(bytes);

	if (f == NULL || p == NULL || fread(p, 1, bytes, f) != bytes) {
		fprintf(stderr, "ivf: cannot read %zu bytes of %s\n", bytes,
		    path);
		exit(1);
	}
	fclose(f);
	return p;
}

int
main(int argc, char **argv)
{
	size_t n, d, L, Q, K, i, j, t, *idx;
	double *x, *q, *dist, w0, c0;
	int64_t *qi, *gt;
	struct nsl_ivf v;
	struct nsl_err err;
	int a;

	if (argc < 10) {
		fprintf(stderr, "usage: ivf X.f64 N D LISTS QIDX GT Q K "
		    "NPROBE...\n");
		return 64;
	}
	n = strtoull(argv[2], NULL, 10);
	d = strtoull(argv[3], NULL, 10);
	L = strtoull(argv[4], NULL, 10);
	Q = strtoull(argv[7], NULL, 10);
	K = strtoull(argv[8], NULL, 10);
	x = slurp(argv[1], n * d * sizeof(double));
	qi = slurp(argv[5], Q * sizeof(int64_t));
	gt = slurp(argv[6], Q * K * sizeof(int64_t));
	q = malloc(Q * d * sizeof(double));
	dist = malloc(Q * K * sizeof(double));
	idx = malloc(Q * K * sizeof(size_t));
	for (i = 0; i < Q; i++)
		memcpy(q + i * d, x + (size_t)qi[i] * d, d * sizeof(double));
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (nsl_ivf_build(&v, x, n, d, L, 0, &err) < 0) {
		fprintf(stderr, "ivf: %s\n", err.msg);
		return 1;
	}
	printf("nsl build: %.2f s wall, %.2f s cpu\n", now(CLOCK_MONOTONIC) -
	    w0, now(CLOCK_PROCESS_CPUTIME_ID) - c0);
	for (a = 9; a < argc; a++) {
		size_t P = strtoull(argv[a], NULL, 10), hit = 0;

		w0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		if (nsl_ivf_search(&v, q, Q, P, K, NSL_IVF_SKIP_COPY, dist, idx,
		    &err) < 0) {
			fprintf(stderr, "ivf: %s\n", err.msg);
			return 1;
		}
		w0 = now(CLOCK_MONOTONIC) - w0;
		c0 = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		for (i = 0; i < Q; i++)
			for (j = 0; j < K; j++)
				for (t = 0; t < K; t++)
					if ((int64_t)idx[i * K + j] ==
					    gt[i * K + t]) {
						hit++;
						break;
					}
		printf("nsl nprobe %zu: %.2f s wall, %.2f s cpu, recall@%zu "
		    "%.4f\n", P, w0, c0, K, (double)hit / (double)(Q * K));
	}
	nsl_ivf_release(&v);
	if (getenv("EXACT") != NULL && strcmp(getenv("EXACT"), "1") == 0) {
		double *all = malloc(n * K * sizeof(double));

		w0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		if (all == NULL || nsl_score_knn_neighbours(x, n, d, K, all,
		    NULL, &err) < 0)
			return 1;
		printf("nsl exact (all %zu points, all pairs): %.2f s wall, "
		    "%.2f s cpu\n", n, now(CLOCK_MONOTONIC) - w0,
		    now(CLOCK_PROCESS_CPUTIME_ID) - c0);
		free(all);
	}
	free(x);
	free(q);
	free(dist);
	free(idx);
	free(qi);
	free(gt);
	return 0;
}
