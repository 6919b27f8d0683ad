/*
 * hash.c - a fast 64-bit hash of bytes (see nsl/hash.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nsl/hash.h"

/* odd 64-bit constants with well-spread bits (from XXH64's description) */
#define P1 0x9E3779B185EBCA87u
#define P2 0xC2B2AE3D27D4EB4Fu
#define P3 0x165667B19E3779F9u
#define P4 0x85EBCA77C2B2AE63u

static inline uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* One word into one lane. */
static inline uint64_t
round1(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

/* Spread every input bit over every output bit. */
static inline uint64_t
avalanche(uint64_t h)
{
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t
nsl_hash64(const void *p, size_t len)
{
	const unsigned char *b = p, *end = b + len;
	uint64_t h, a0 = P1 + P2, a1 = P2, a2 = 0, a3 = (uint64_t)0 - P1;
	unsigned char tail[8];

	for (; end - b >= 32; b += 32) {
		a0 = round1(a0, word(b));
		a1 = round1(a1, word(b + 8));
		a2 = round1(a2, word(b + 16));
		a3 = round1(a3, word(b + 24));
	}
	h = rotl(a0, 1) + rotl(a1, 7) + rotl(a2, 12) + rotl(a3, 18);
	h = (h ^ round1(0, a0)) * P1 + P4;
	h = (h ^ round1(0, a1)) * P1 + P4;
	h = (h ^ round1(0, a2)) * P1 + P4;
	h = (h ^ round1(0, a3)) * P1 + P4;
	h += (uint64_t)len;
	for (; end - b >= 8; b += 8)
		h = rotl(h ^ round1(0, word(b)), 27) * P1 + P4;
	if (b < end) {
		/* the last 1 to 7 bytes, zero-padded (len tells them apart) */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, b, (size_t)(end - b));
		h = rotl(h ^ round1(0, word(tail)), 27) * P1 + P4;
	}
	return avalanche(h);
}

uint64_t
nsl_hash64_seeded(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed, z;
	size_t i;

	/* FNV-1a over the bytes, then splitmix64's finaliser: every bit
	 * of the seed and of the text reaches every bit of the hash */
	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	z = h + 0x9e3779b97f4a7c15ULL + seed * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
nsl_hash_rank_cmp(const void *pa, const void *pb)
{
	const struct nsl_hash_rank *a = pa, *b = pb;

	if (a->h != b->h)
		return (a->h > b->h) - (a->h < b->h);
	return (a->i > b->i) - (a->i < b->i);
}

int
nsl_hash_least_init(struct nsl_hash_least *S, size_t m)
{
	memset(S, 0, sizeof(*S));
	S->cap = m;
	S->h = malloc((m + 1) * sizeof(*S->h));
	S->slot = malloc((m + 1) * sizeof(*S->slot));
	if (S->h == NULL || S->slot == NULL) {
		nsl_hash_least_release(S);
		return -1;
	}
	return 0;
}

static int
least_above(const struct nsl_hash_least *S, size_t a, size_t b)
{
	return nsl_hash_rank_cmp(&S->h[a], &S->h[b]) > 0;
}

static void
least_swap(struct nsl_hash_least *S, size_t a, size_t b)
{
	struct nsl_hash_rank th = S->h[a];
	size_t t = S->slot[a];

	S->h[a] = S->h[b], S->h[b] = th;
	S->slot[a] = S->slot[b], S->slot[b] = t;
}

size_t
nsl_hash_least_offer(struct nsl_hash_least *S, uint64_t h)
{
	struct nsl_hash_rank k = { h, S->seen++ };
	size_t i, slot;

	if (S->n < S->cap) {
		slot = i = S->n++;
		S->h[i] = k;
		S->slot[i] = slot;
		while (i > 0 && least_above(S, i, (i - 1) / 2)) {
			least_swap(S, i, (i - 1) / 2);
			i = (i - 1) / 2;
		}
		return slot;
	}
	/* at an equal hash the one offered later ranks above */
	if (S->cap == 0 || !(h < S->h[0].h))
		return NSL_HASH_NO_SLOT;
	/* k takes the greatest's place and its slot */
	slot = S->slot[0];
	S->h[0] = k;
	for (i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < S->n && least_above(S, l, m))
			m = l;
		if (r < S->n && least_above(S, r, m))
			m = r;
		if (m == i)
			break;
		least_swap(S, i, m);
		i = m;
	}
	return slot;
}

/* A held rank and its slot, ordered by the rank (nsl_hash_rank_cmp). */
struct least_held {
	struct nsl_hash_rank r;
	size_t slot;
};

size_t
nsl_hash_least_order(const struct nsl_hash_least *S, size_t *order)
{
	struct least_held *o = malloc((S->n + 1) * sizeof(*o));
	size_t i;

	if (o == NULL)
		return NSL_HASH_NO_SLOT;
	for (i = 0; i < S->n; i++) {
		o[i].r = S->h[i];
		o[i].slot = S->slot[i];
	}
	qsort(o, S->n, sizeof(*o), nsl_hash_rank_cmp);
	for (i = 0; i < S->n; i++)
		order[i] = o[i].slot;
	free(o);
	return S->n;
}

void
nsl_hash_least_release(struct nsl_hash_least *S)
{
	free(S->h);
	free(S->slot);
	memset(S, 0, sizeof(*S));
}
