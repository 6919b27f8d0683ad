/*
 * pack.c - the spool's packing (lib/pack.c) on a file's text: its bytes
 * packed and unpacked in chunks of 256 KB, as the spool does, R times
 * (the first touches the buffers; the figures are the best of the rest),
 * with the vector instructions and without.  Prints the packed share of
 * the text and GB/s of text each way, and checks the round trip.
 *
 *	bench/out/pack FILE [R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nsl/pack.h"
#include "pack_internal.h"

#define CHUNK (256 * 1024)

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	FILE *fp;
	char *text, *back;
	unsigned char *packed;
	size_t n, cap = (size_t)1 << 20, got, o, k, m, total, *len;
	double t0, best_pack, best_unpack, t;
	int r, reps = argc > 2 ? atoi(argv[2]) : 4, simd;

	if (argc < 2 || (fp = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: pack FILE [R]\n");
		return 64;
	}
	text = malloc(cap);
	for (n = 0; (got = fread(text + n, 1, cap - n, fp)) > 0; n += got)
		if (n + got == cap && (text = realloc(text, cap *= 2)) == NULL)
			return 70;
	fclose(fp);
	packed = malloc(nsl_pack_bound(n) + n / CHUNK + 1);
	back = malloc(n + 1);
	len = malloc((n / CHUNK + 1) * sizeof(*len));
	if (packed == NULL || back == NULL || len == NULL)
		return 70;
	for (simd = 1; simd >= 0; simd--) {
		best_pack = best_unpack = 1e30;
		total = 0;
		for (r = 0; r < reps; r++) {
			t0 = now();
			for (o = 0, m = 0, k = 0; o < n; o += CHUNK, k++) {
				len[k] = nsl_pack_encode_simd(text + o,
				    n - o < CHUNK ? n - o : CHUNK, packed + m,
				    simd);
				m += len[k];
			}
			t = now() - t0;
			if (r > 0 && t < best_pack)
				best_pack = t;
			total = m;
			t0 = now();
			for (o = 0, m = 0, k = 0; o < n; o += CHUNK, k++) {
				if (nsl_pack_decode_simd(packed + m, len[k],
				    back + o, n - o < CHUNK ? n - o : CHUNK,
				    simd) != 0)
					return 70;
				m += len[k];
			}
			t = now() - t0;
			if (r > 0 && t < best_unpack)
				best_unpack = t;
		}
		if (memcmp(back, text, n) != 0) {
			fprintf(stderr, "pack: the round trip differs\n");
			return 70;
		}
		printf("%-22s %.1f MB packed to %.3f of it: pack %.2f GB/s, "
		    "unpack %.2f GB/s\n", simd ? "with AVX2" : "one byte at a time",
		    (double)n / 1e6, (double)total / (double)n,
		    (double)n / 1e9 / best_pack, (double)n / 1e9 / best_unpack);
	}
	return 0;
}
