/*
 * pack.c - number text two characters a byte (see nsl/pack.h).
 *
 * Each block is tried whole: with AVX2, 32 characters are looked up at
 * once (by their high and low four bits) and packed with one multiply-
 * add, and unpacked by one lookup; without it, one character at a time.
 * Both give the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "nsl/pack.h"
#include "pack_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PACK_X86 1
#endif

#define HALF (NSL_PACK_BLOCK / 2)

/* A character's place in NSL_PACK_ALPHABET plus one; 0: not there. */
static const unsigned char place1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['.'] = 11, [','] = 12, ['-'] = 13, ['e'] = 14, ['+'] = 15,
	[' '] = 16,
};

static const char alphabet[16] = NSL_PACK_ALPHABET;

size_t
nsl_pack_bound(size_t n)
{
	return n + (n / NSL_PACK_BLOCK + 7) / 8;
}

/* Pack one block into out[0..HALF): 1, or 0 if it cannot be. */
static int
block_pack(const unsigned char *b, unsigned char *out)
{
	unsigned char hi, lo;
	int i;

	for (i = 0; i < NSL_PACK_BLOCK; i++)
		if (place1[b[i]] == 0)
			return 0;
	for (i = 0; i < HALF; i++) {
		hi = place1[b[2 * i]] - 1;
		lo = place1[b[2 * i + 1]] - 1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

static void
block_unpack(const unsigned char *in, char *text)
{
	int i;

	for (i = 0; i < HALF; i++) {
		text[2 * i] = alphabet[in[i] >> 4];
		text[2 * i + 1] = alphabet[in[i] & 15];
	}
}

/* Pack nblk blocks of t: out gets them, packed or kept; map's bits say
 * which (map zeroed by the caller).  Returns the bytes written. */
static size_t
pack_blocks(const unsigned char *t, size_t nblk, unsigned char *map,
    unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < nblk; i++, t += NSL_PACK_BLOCK) {
		if (block_pack(t, out + o)) {
			map[i / 8] |= (unsigned char)(1u << (i % 8));
			o += HALF;
		} else {
			memcpy(out + o, t, NSL_PACK_BLOCK);
			o += NSL_PACK_BLOCK;
		}
	}
	return o;
}

/* Unpack nblk blocks from in, as map says, into text. */
static void
unpack_blocks(const unsigned char *in, const unsigned char *map,
    size_t nblk, char *text)
{
	size_t i;

	for (i = 0; i < nblk; i++, text += NSL_PACK_BLOCK) {
		if (map[i / 8] >> (i % 8) & 1) {
			block_unpack(in, text);
			in += HALF;
		} else {
			memcpy(text, in, NSL_PACK_BLOCK);
			in += NSL_PACK_BLOCK;
		}
	}
}

#ifdef PACK_X86
/*
 * pack_blocks with AVX2.  The place of each of 32 characters, or a byte
 * with its high bit set: the alphabet's characters have high four bits
 * 2 (" +,-."), 3 (the digits) or 6 ("e"); a table indexed by the low
 * four bits gives the place for each of those rows.
 */
__attribute__((target("avx2")))
static size_t
pack_blocks_avx2(const unsigned char *t, size_t nblk, unsigned char *map,
    unsigned char *out)
{
	const __m256i row2 = _mm256_setr_epi8(
	    15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 14, 11, 12, 10, -1,
	    15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 14, 11, 12, 10, -1);
	const __m256i row3 = _mm256_setr_epi8(
	    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1);
	const __m256i row6 = _mm256_setr_epi8(
	    -1, -1, -1, -1, -1, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
	const __m256i low4 = _mm256_set1_epi8(0x0f);
	const __m256i none = _mm256_set1_epi8(-1);
	const __m256i weights = _mm256_set1_epi16(0x0110);
	__m256i v, lo, hi, in2, in3, in6, place, pairs, packed;
	size_t i, o = 0;

	for (i = 0; i < nblk; i++, t += NSL_PACK_BLOCK) {
		v = _mm256_loadu_si256((const __m256i *)(const void *)t);
		lo = _mm256_and_si256(v, low4);
		hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
		in2 = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(2));
		in3 = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(3));
		in6 = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(6));
		place = _mm256_or_si256(
		    _mm256_and_si256(in2, _mm256_shuffle_epi8(row2, lo)),
		    _mm256_or_si256(
		    _mm256_and_si256(in3, _mm256_shuffle_epi8(row3, lo)),
		    _mm256_and_si256(in6, _mm256_shuffle_epi8(row6, lo))));
		/* other rows: no place */
		place = _mm256_or_si256(place, _mm256_andnot_si256(
		    _mm256_or_si256(in2, _mm256_or_si256(in3, in6)), none));
		if (_mm256_movemask_epi8(place) != 0) {
			_mm256_storeu_si256((__m256i *)(void *)(out + o), v);
			o += NSL_PACK_BLOCK;
			continue;
		}
		/* each pair to 16 * first + second, the sums to bytes */
		pairs = _mm256_maddubs_epi16(place, weights);
		packed = _mm256_permute4x64_epi64(
		    _mm256_packus_epi16(pairs, pairs), 0x08);
		_mm_storeu_si128((__m128i *)(void *)(out + o),
		    _mm256_castsi256_si128(packed));
		map[i / 8] |= (unsigned char)(1u << (i % 8));
		o += HALF;
	}
	return o;
}

/*
 * unpack_blocks with AVX2: each packed byte widened to 16 bits, its high
 * four bits to the first byte and its low four to the second, then each
 * to its character by one table lookup.
 */
__attribute__((target("avx2")))
static void
unpack_blocks_avx2(const unsigned char *in, const unsigned char *map,
    size_t nblk, char *text)
{
	const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(
	    (const __m128i *)(const void *)alphabet));
	const __m256i low4 = _mm256_set1_epi16(0x0f);
	__m256i w, places;
	size_t i;

	for (i = 0; i < nblk; i++, text += NSL_PACK_BLOCK) {
		if (map[i / 8] >> (i % 8) & 1) {
			w = _mm256_cvtepu8_epi16(_mm_loadu_si128(
			    (const __m128i *)(const void *)in));
			places = _mm256_or_si256(_mm256_srli_epi16(w, 4),
			    _mm256_slli_epi16(_mm256_and_si256(w, low4), 8));
			_mm256_storeu_si256((__m256i *)(void *)text,
			    _mm256_shuffle_epi8(table, places));
			in += HALF;
		} else {
			_mm256_storeu_si256((__m256i *)(void *)text,
			    _mm256_loadu_si256((const __m256i *)(const void *)
			    in));
			in += NSL_PACK_BLOCK;
		}
	}
}
#endif

size_t
nsl_pack_encode(const char *text, size_t n, unsigned char *out)
{
	return nsl_pack_encode_simd(text, n, out, 1);
}

int
nsl_pack_decode(const unsigned char *packed, size_t m, char *text,
    size_t n)
{
	return nsl_pack_decode_simd(packed, m, text, n, 1);
}

size_t
nsl_pack_encode_simd(const char *text, size_t n, unsigned char *out,
    int simd)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t nblk = n / NSL_PACK_BLOCK, nmap = (nblk + 7) / 8, o;

	memset(out, 0, nmap);
#ifdef PACK_X86
	if (simd && __builtin_cpu_supports("avx2"))
		o = nmap + pack_blocks_avx2(t, nblk, out, out + nmap);
	else
#endif
		o = nmap + pack_blocks(t, nblk, out, out + nmap);
	(void)simd;	/* no vector code on this processor */
	memcpy(out + o, t + nblk * NSL_PACK_BLOCK, n % NSL_PACK_BLOCK);
	return o + n % NSL_PACK_BLOCK;
}

int
nsl_pack_decode_simd(const unsigned char *packed, size_t m, char *text,
    size_t n, int simd)
{
	size_t nblk = n / NSL_PACK_BLOCK, nmap = (nblk + 7) / 8, k, npacked;

	if (m < nmap)
		return -1;
	/* the length the bitmap gives, and no bit past the last block */
	if (nblk % 8 != 0 && packed[nmap - 1] >> (nblk % 8))
		return -1;
	for (k = 0, npacked = 0; k < nmap; k++)
		npacked += (size_t)__builtin_popcount(packed[k]);
	if (m != nmap + nblk * NSL_PACK_BLOCK - npacked * HALF +
	    n % NSL_PACK_BLOCK)
		return -1;
#ifdef PACK_X86
	if (simd && __builtin_cpu_supports("avx2"))
		unpack_blocks_avx2(packed + nmap, packed, nblk, text);
	else
#endif
		unpack_blocks(packed + nmap, packed, nblk, text);
	(void)simd;
	memcpy(text + nblk * NSL_PACK_BLOCK, packed + m - n % NSL_PACK_BLOCK,
	    n % NSL_PACK_BLOCK);
	return 0;
}
