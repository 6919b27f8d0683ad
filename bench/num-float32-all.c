/*
 * bench/num-float32-all.c - every finite float32, written out as the
 * shortest text that reads back as the double it widens to, read back by
 * lib/num.c: alone (nsl_num_parse) and in arrays of BATCH numbers
 * (nsl_num_parse_array: the 16- and 32-byte paths and the exponent
 * path), each compared bit for bit with that double, which is known
 * without any reader.  Each value is written twice: in nsl's own layout
 * (nsl_num_format: what the toolkit writes) and in Python's (repr and
 * json: the same digits, exponents below 1e-4 and from 1e16, at least
 * two exponent digits, "5.799035474041148e-09", "1e-05", "3.0"), the
 * text embeddings and probabilities are usually saved as.  So the reader
 * is checked over the whole domain of that text, where a unit test
 * samples it.  Prints the mismatches (the first few) and a count; exit
 * 1 if any.
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

/*
 * Rewrite nsl_num_format()'s text at p (len bytes, a finite number) in
 * Python's layout, at q; return the new length.  The digits are the
 * same (both are the shortest that read back), only where the point
 * goes and when an exponent is used differ.
 */
static size_t
python_layout(const char *p, size_t len, char *q)
{
	char dig[32];
	const char *end = p + len;
	size_t nd = 0, i;
	int decpt = 0, seen_point = 0, x = 0, xneg = 0;
	char *o = q;

	if (*p == '-')
		*o++ = *p++;
	for (; p < end && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			seen_point = 1;
			continue;
		}
		if (nd == 0 && *p == '0') {	/* leading zeros */
			decpt -= seen_point;
			continue;
		}
		dig[nd++] = *p;
		decpt += !seen_point;
	}
	if (p < end) {
		p++;
		xneg = *p == '-';
		p += *p == '-' || *p == '+';
		for (; p < end; p++)
			x = x * 10 + (*p - '0');
	}
	decpt += xneg ? -x : x;
	while (nd > 1 && dig[nd - 1] == '0') {
		nd--;
	}
	if (nd == 0) {				/* zero */
		memcpy(o, "0.0", 3);
		return (size_t)(o + 3 - q);
	}
	/* value = 0.dig * 10^decpt */
	if (decpt < -3 || decpt > 16) {
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			for (i = 1; i < nd; i++)
				*o++ = dig[i];
		}
		o += sprintf(o, "e%c%02d", decpt - 1 < 0 ? '-' : '+',
		    abs(decpt - 1));
	} else if (decpt <= 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = 0; i < (size_t)-decpt; i++)
			*o++ = '0';
		for (i = 0; i < nd; i++)
			*o++ = dig[i];
	} else if ((size_t)decpt >= nd) {
		for (i = 0; i < nd; i++)
			*o++ = dig[i];
		for (; i < (size_t)decpt; i++)
			*o++ = '0';
		*o++ = '.';
		*o++ = '0';
	} else {
		for (i = 0; i < nd; i++) {
			if (i == (size_t)decpt)
				*o++ = '.';
			*o++ = dig[i];
		}
	}
	return (size_t)(o - q);
}

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
		char tmp[NSL_NUM_BUFSZ];
		double want[BATCH], *vals = NULL, one;
		size_t cap = 0, n, err, len, k;
		int lay;
		long long blk, nblk = (long long)(((UINT64_C(1) << 32) / step +
		    BATCH - 1) / BATCH);

		if (text == NULL)
			abort();
#pragma omp for schedule(dynamic, 64)
		for (blk = 0; blk < 2 * nblk; blk++) {
			char *p = text;

			/* each block twice: nsl's layout, then Python's */
			lay = (int)(blk % 2);

			*p++ = '[';
			for (k = 0; k < BATCH; k++) {
				uint64_t i = ((uint64_t)(blk / 2) * BATCH + k) *
				    step;
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
				len = (size_t)nsl_num_format(tmp, want[k]);
				if (lay == 1)
					len = python_layout(tmp, len, p);
				else
					memcpy(p, tmp, len);
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
	printf("%llu float32 texts (every %llu-th bit pattern, in nsl's "
	    "layout and Python's; NaN and infinity as 0.5) read alone and "
	    "in arrays of %d: %llu differ from the widened float, %.1f s on "
	    "%d threads\n",
	    (unsigned long long)checked, (unsigned long long)step, BATCH,
	    (unsigned long long)bad, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, omp_get_max_threads());
	return bad != 0;
}
