/*
 * bench/quant_kernel.c - throughput of the quantization kernels of
 * lib/quant.c on a float32 array in memory (normal values, sigma 1):
 * nsl_quant_fp_encode_f32 (float32 -> minifloat codes, nearest-even), the
 * general double encoder nsl_quant_fp_encode, and nsl_quant_vector for an
 * MX format (scale, encode, dequantize).  Reports GB/s of float32 input
 * per core: the time is the thread's CPU time, not wall time, so that
 * other work on a shared machine does not count.  Built and run by bench/quantize.sh.
 *
 *	bench/out/quant_kernel [count]
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/quant.h"
#include "nsl/rng.h"

#include <gsl/gsl_randist.h>

static double
now(void)
{
	struct timespec ts;

	/* CPU time of this thread: the machine is shared, and the goal is
	 * per core */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1 << 24, i;
	float *x = malloc(n * sizeof(*x));
	uint8_t *c = malloc(2 * n);	/* 16-bit formats: two bytes a code */
	double *d = malloc(n * sizeof(*d)), *o = malloc(n * sizeof(*o));
	static const char *const fmts[] = { "fp8-e4m3", "fp8-e5m2",
	    "fp4-e2m1", "float16", "bfloat16" };
	struct nsl_quant_format f;
	struct nsl_quant q;
	struct nsl_err err;
	gsl_rng *r = nsl_rng_new(1, 0);
	unsigned fl = 0, sum = 0;
	double t, best;
	int k, rep;

	if (x == NULL || c == NULL || d == NULL || o == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		x[i] = (float)gsl_ran_gaussian_ziggurat(r, 1);
		d[i] = x[i];
	}
	printf("%zu float32 values (%.0f MB)\n", n, n * 4 / 1e6);
	for (k = 0; k < 5; k++) {
		nsl_quant_format_parse(&f, fmts[k], &err);
		best = 1e9;
		for (rep = 0; rep < 5; rep++) {
			t = now();
			fl |= nsl_quant_fp_encode_f32(&f, x, n, c, 0);
			t = now() - t;
			best = t < best ? t : best;
			sum += c[rep];
		}
		printf("%-34s %6.2f GB/s  %7.1f M values/s\n", fmts[k],
		    n * 4 / best / 1e9, n / best / 1e6);
	}
	nsl_quant_format_parse(&f, "fp8-e4m3", &err);
	t = now();
	for (i = 0; i < n; i++)
		c[i] = (uint8_t)nsl_quant_fp_encode(&f, d[i], -1, 0, &fl);
	t = now() - t;
	printf("%-34s %6.2f GB/s  %7.1f M values/s\n",
	    "fp8-e4m3 (general double encoder)", n * 4 / t / 1e9, n / t / 1e6);
	for (k = 0; k < 2; k++) {
		const char *name = k ? "nf4" : "mxfp4";

		memset(&q, 0, sizeof(q));
		nsl_quant_format_parse(&q.fmt, name, &err);
		q.block = q.fmt.block;
		q.f32 = 1;
		q.clip = 1;
		nsl_quant_prepare(&q, &err);
		t = now();
		for (i = 0; i + 768 <= n; i += 768)
			nsl_quant_vector(&q, d + i, 768, o + i, c + i, NULL,
			    NULL, NULL, NULL);
		t = now() - t;
		printf("%-34s %6.2f GB/s  %7.1f M values/s\n", k ?
		    "nf4 vector (quantize+dequantize)" :
		    "mxfp4 vector (quantize+dequantize)", n * 4 / t / 1e9,
		    n / t / 1e6);
		nsl_quant_release(&q);
	}
	fprintf(stderr, "(checksum %u %u)\n", sum, fl);
	gsl_rng_free(r);
	free(x);
	free(c);
	free(d);
	free(o);
	return 0;
}
