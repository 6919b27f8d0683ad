/*
 * bench/num-float32-all.c - every finite float32, written as Python writes
 * it (the shortest text that reads back as the double it widens to:
 * json.dumps(float(np.float32(x)))), read back by lib/num.c: alone
 * (nsl_num_parse) and in arrays of BATCH numbers (nsl_num_parse_array,
 * the 16- and 32-byte paths), each compared bit for bit with the double
 * the float widens to.  That double is known without any reader: so this
 * checks the reader over the whole domain of the text embeddings are
 * saved as, where a unit test samples it (the binary fractions written
 * in full, Eisel-Lemire's borderline, among them).  Prints the mismatches (the first few) and a count; exit 1 if any.
 *
 *	cc -std=c11 -O2 -fopenmp -Ilib bench/num-float32-all.c lib/num.c \
 *	    -lm -o bench/out/num-float32-all
 *	bench/out/num-float32-all [step]
 *
 * step (default 1) takes every step-th bit pattern, for a quicker run.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/num.h"

#define BATCH 1024
#define SHOW 10

int
main(int argc, char **argv)
{
	uint64_t step = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	uint64_t checked = 0, bad = 0;
	struct timespec t0, t1;

	if (step == 0)
		step = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
#pragma omp parallel reduction(+:checked, bad)
	{
		/* "[", BATCH numbers and their commas, "]" */
		char *text = malloc(BATCH * (NSL_NUM_BUFSZ + 1) + 2);
		double want[BATCH], *vals = NULL, one;
		size_t cap = 0, n, err, len, k;
		long long blk, nblk = (long long)(((UINT64_C(1) << 32) / step +
		    BATCH - 1) / BATCH);

		if (text == NULL)
			abort();
#pragma omp for schedule(dynamic, 64)
		for (blk = 0; blk < nblk; blk++) {
			char *p = text;

			*p++ = '[';
			for (k = 0; k < BATCH; k++) {
				uint64_t i = ((uint64_t)blk * BATCH + k) * step;
				uint32_t u = (uint32_t)i;
				float f;
				char *s;

				if (i >> 32)	/* past the last pattern */
					u = 0;
				memcpy(&f, &u, sizeof(f));
				if (!isfinite(f))
					f = 0.5f;
				want[k] = (double)f;
				if (k > 0)
					*p++ = ',';
				s = p;
				len = (size_t)nsl_num_format(p, want[k]);
				p += len;
				if (nsl_num_parse(s, p, &one) != len ||
				    memcmp(&one, &want[k], sizeof(one)) != 0) {
					if (bad++ < SHOW)
#pragma omp critical
						printf("alone: %.*s read as %a, "
						    "not %a\n", (int)len, s, one,
						    want[k]);
				}
			}
			*p++ = ']';
			n = 0;
			if (nsl_num_parse_array(text, p, &vals, &n, &cap, &err) !=
			    (size_t)(p - text) || n != BATCH) {
#pragma omp critical
				printf("block %lld: the array did not read\n",
				    blk);
				bad++;
				continue;
			}
			for (k = 0; k < BATCH; k++)
				if (memcmp(&vals[k], &want[k], sizeof(double))
				    != 0 && bad++ < SHOW)
#pragma omp critical
					printf("in an array: element %zu of block "
					    "%lld read as %a, not %a\n", k, blk,
					    vals[k], want[k]);
			checked += BATCH;
		}
		free(vals);
		free(text);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu float32 texts (every %llu-th bit pattern; NaN and "
	    "infinity as 0.5) read alone and in arrays of %d: %llu differ "
	    "from the widened float, %.1f s on %d threads\n",
	    (unsigned long long)checked, (unsigned long long)step, BATCH,
	    (unsigned long long)bad, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, omp_get_max_threads());
	return bad != 0;
}
