/*
 * ot_fexp.c - the soft-min row sum on the fast exp of ot_fexp.h.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ot_fexp.h"
#include "ot_internal.h"

/*
 * sum_j exp(h_j - row_j inv + sh) over j < K, in a fixed order.  The
 * soft-min passes spend nearly all their time here, so it is built for
 * the widest vectors the CPU has (chosen once, at load time).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double
ot_row_expsum(const double *h, const double *row, size_t K, double inv,
    double sh)
{
	v8d acc = { 0 }, hv, rv, t8;
	size_t j = 0;
	double t = 0, s;
	int l;

	for (; j + 8 <= K; j += 8) {
		memcpy(&hv, h + j, sizeof(hv));
		memcpy(&rv, row + j, sizeof(rv));
		t8 = hv - rv * inv + sh;
		vexp(&t8);
		acc += t8;
	}
	for (; j < K; j++)
		t += fexp(h[j] - row[j] * inv + sh);
	s = 0;
	for (l = 0; l < 8; l++)
		s += acc[l];
	return s + t;
}
