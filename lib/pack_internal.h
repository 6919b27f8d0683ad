/*
 * pack_internal.h - for tests/unit/test_pack.c only: the packing with
 * the vector instructions (simd 1, where the processor has them) or
 * without (simd 0), so that a test holds the two to the same bytes.
 */
#ifndef NSL_PACK_INTERNAL_H
#define NSL_PACK_INTERNAL_H

#include <stddef.h>

size_t nsl_pack_encode_simd(const char *text, size_t n, unsigned char *out,
    int simd);
int nsl_pack_decode_simd(const unsigned char *packed, size_t m, char *text,
    size_t n, int simd);

#endif
