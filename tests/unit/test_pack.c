/*
 * test_pack.c - lib/pack.c against packed forms worked out by hand and
 * against a reference packer written here from pack.h's description
 * (each character's place found with strchr); with and without the
 * vector instructions; every byte value in every place of a block;
 * round trips of random text; packed forms that are refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/pack.h"
#include "pack_internal.h"
#include "unit.h"

static const char alpha[] = "0123456789.,-e+ ";

/* pack.h's format, one character at a time. */
static size_t
reference(const char *t, size_t n, unsigned char *out)
{
	size_t nblk = n / 32, nmap = (nblk + 7) / 8, o = nmap, i, j;
	int all;

	memset(out, 0, nmap);
	for (i = 0; i < nblk; i++) {
		all = 1;
		for (j = 0; j < 32; j++)
			if (t[32 * i + j] == '\0' ||
			    strchr(alpha, t[32 * i + j]) == NULL)
				all = 0;
		if (!all) {
			memcpy(out + o, t + 32 * i, 32);
			o += 32;
			continue;
		}
		out[i / 8] |= (unsigned char)(1 << (i % 8));
		for (j = 0; j < 16; j++)
			out[o + j] = (unsigned char)(
			    (strchr(alpha, t[32 * i + 2 * j]) - alpha) << 4 |
			    (strchr(alpha, t[32 * i + 2 * j + 1]) - alpha));
		o += 16;
	}
	memcpy(out + o, t + 32 * nblk, n % 32);
	return o + n % 32;
}

/* Pack and unpack t both ways; 1 when all agree with the reference. */
static int
agrees(const char *t, size_t n)
{
	unsigned char *want = malloc(nsl_pack_bound(n) + 1);
	unsigned char *got = malloc(nsl_pack_bound(n) + 1);
	char *back = malloc(n + 1);
	size_t m, k;
	int simd, ok = 1;

	m = reference(t, n, want);
	for (simd = 0; simd <= 1; simd++) {
		k = nsl_pack_encode_simd(t, n, got, simd);
		if (k != m || memcmp(got, want, m) != 0 || m >
		    nsl_pack_bound(n))
			ok = 0;
		memset(back, '?', n + 1);
		if (nsl_pack_decode_simd(want, m, back, n, simd) != 0 ||
		    memcmp(back, t, n) != 0 || back[n] != '?')
			ok = 0;
	}
	free(want);
	free(got);
	free(back);
	return ok;
}

static void
test_by_hand(void)
{
	/* the alphabet twice: places 0..15, 0..15 */
	static const char t[] = "0123456789.,-e+ 0123456789.,-e+ 7";
	static const unsigned char want[] = { 0x01,
	    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, '7' };
	static const char num[] = "-0.0012345678, 3.5e-05, 1e+300, 9";
	unsigned char out[64];
	char back[64];
	size_t m;
	int simd;

	for (simd = 0; simd <= 1; simd++) {
		m = nsl_pack_encode_simd(t, 33, out, simd);
		UNIT_CHECK(m == sizeof(want) && memcmp(out, want, m) == 0,
		    "the alphabet in order packs to 01 23 .. ef, after a "
		    "bitmap of 1, the 33rd byte kept (simd %d)", simd);
		UNIT_CHECK(nsl_pack_decode_simd(want, sizeof(want), back, 33,
		    simd) == 0 && memcmp(back, t, 33) == 0,
		    "and unpacks to it (simd %d)", simd);
		/* "-0.0012345678, 3.5e-05, 1e+300, " then "9" */
		m = nsl_pack_encode_simd(num, 33, out, simd);
		UNIT_CHECK(m == 18 && out[0] == 1 && out[1] == 0xc0 &&
		    out[2] == 0xa0 && out[16] == 0xbf && out[17] == '9',
		    "number text: '-0' is c0, '.0' a0, ', ' bf (simd %d)",
		    simd);
	}
	m = nsl_pack_encode("{\"id\": 0, \"embedding\": [0.5, 1]}", 32, out);
	UNIT_CHECK(m == 33 && out[0] == 0 && memcmp(out + 1, "{\"id\"", 5) ==
	    0, "a block with a brace is kept as it is, after a zero bitmap");
	UNIT_CHECK(nsl_pack_encode("0.5, 0.25", 9, out) == 9 &&
	    memcmp(out, "0.5, 0.25", 9) == 0, "fewer than 32 bytes: as they "
	    "are, no bitmap");
	UNIT_CHECK(nsl_pack_encode("", 0, out) == 0 && nsl_pack_decode(out,
	    0, back, 0) == 0, "nothing packs to nothing");
	UNIT_CHECK(nsl_pack_bound(0) == 0 && nsl_pack_bound(31) == 31 &&
	    nsl_pack_bound(32) == 33 && nsl_pack_bound(256) == 257 &&
	    nsl_pack_bound(288) == 290, "the bound: n and a bit a block");
}

/* Each byte value in each place of a block of digits. */
static void
test_every_byte(void)
{
	char t[32];
	int v, j, bad = 0;

	for (v = 0; v < 256; v++)
		for (j = 0; j < 32; j++) {
			memset(t, '5', sizeof(t));
			t[j] = (char)v;
			bad += !agrees(t, sizeof(t));
		}
	UNIT_CHECK(bad == 0, "each of 256 byte values in each of 32 places "
	    "packs as the reference packs it, and back (%d differ)", bad);
}

static void
test_random(void)
{
	static const char other[] = "\n{}[]\":aEN\t\r\x80\xff\x01";
	uint64_t x = 88172645463325252u;
	size_t n, i, len[] = { 0, 1, 31, 32, 33, 255, 256, 257, 4095, 65536,
	    262144 + 17 };
	char *t = malloc(262144 + 64);
	int round, bad = 0;
	double p;

	for (round = 0; round < 40; round++) {
		n = len[round % (sizeof(len) / sizeof(len[0]))];
		/* rounds with no other byte, one in 1000, one in 50, one in 4 */
		p = (const double[]){ 0, 0.001, 0.02, 0.25 }[round % 4];
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if ((double)(x >> 11) / 9007199254740992.0 < p)
				t[i] = other[(x >> 3) % (sizeof(other) - 1)];
			else
				t[i] = alpha[(x >> 5) % 16];
		}
		bad += !agrees(t, n);
	}
	UNIT_CHECK(bad == 0, "random text of 0 to 262161 bytes, with other "
	    "bytes from none to one in 4, agrees with the reference (%d "
	    "differ)", bad);
	free(t);
}

static void
test_refused(void)
{
	static const char t[] = "0.5, 0.25, 0.125, 0.0625, 0.03125";
	unsigned char p[80];
	char back[80];
	size_t m = nsl_pack_encode(t, 33, p);

	UNIT_CHECK(m == 18, "33 bytes of numbers pack to 18");
	UNIT_CHECK(nsl_pack_decode(p, m - 1, back, 33) == -1 &&
	    nsl_pack_decode(p, m + 1, back, 33) == -1,
	    "a packed form a byte short or long is refused");
	UNIT_CHECK(nsl_pack_decode(p, m, back, 34) == -1,
	    "a packed form of 33 bytes is refused as 34");
	p[0] |= 2;
	UNIT_CHECK(nsl_pack_decode(p, m, back, 33) == -1,
	    "a bit set past the last block is refused");
	UNIT_CHECK(nsl_pack_decode(p, 0, back, 32 * 9) == -1,
	    "no room for the bitmap is refused");
}

int
main(void)
{
	test_by_hand();
	test_every_byte();
	test_random();
	test_refused();
	return unit_done();
}
