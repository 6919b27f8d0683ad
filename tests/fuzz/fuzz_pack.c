/*
 * fuzz_pack.c - libFuzzer target for the packing of the spool's copy
 * (lib/pack.c, run by `make fuzz`).  The input is taken twice:
 *  - as text: packed with the vector instructions and without, the two
 *    packed forms the same bytes, no longer than nsl_pack_bound(), and
 *    each unpacked both ways back to the text;
 *  - as a packed form: its first two bytes give a text length n (up to
 *    65535), the rest is unpacked into exactly n bytes, which either
 *    fails or fills them, never reading or writing past either buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/pack.h"
#include "pack_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
round_trip(const char *text, size_t n)
{
	unsigned char *p0 = malloc(nsl_pack_bound(n) + 1);
	unsigned char *p1 = malloc(nsl_pack_bound(n) + 1);
	char *back = malloc(n + 1);
	size_t m0, m1;
	int simd;

	if (p0 == NULL || p1 == NULL || back == NULL)
		abort();
	m0 = nsl_pack_encode_simd(text, n, p0, 0);
	m1 = nsl_pack_encode_simd(text, n, p1, 1);
	if (m0 != m1 || memcmp(p0, p1, m0) != 0 || m0 > nsl_pack_bound(n))
		abort();
	for (simd = 0; simd <= 1; simd++) {
		if (nsl_pack_decode_simd(p0, m0, back, n, simd) != 0 ||
		    memcmp(back, text, n) != 0)
			abort();
	}
	free(p0);
	free(p1);
	free(back);
}

static void
any_packed(const uint8_t *data, size_t size)
{
	size_t n;
	unsigned char *packed;
	char *text;

	if (size < 2)
		return;
	n = (size_t)data[0] << 8 | data[1];
	/* exact sizes, so that the sanitizer sees any overrun */
	packed = malloc(size - 2 > 0 ? size - 2 : 1);
	text = malloc(n > 0 ? n : 1);
	if (packed == NULL || text == NULL)
		abort();
	memcpy(packed, data + 2, size - 2);
	(void)nsl_pack_decode_simd(packed, size - 2, text, n, 0);
	(void)nsl_pack_decode_simd(packed, size - 2, text, n, 1);
	free(packed);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip((const char *)data, size);
	any_packed(data, size);
	return 0;
}
