/*
 * pack.h - number text kept in half its bytes, for the copy of a piped
 * input that a second pass reads (spool.c).
 *
 * Text is cut into blocks of NSL_PACK_BLOCK bytes.  A block of nothing
 * but the sixteen characters of number text, the digits and ".,-e+ "
 * (NSL_PACK_ALPHABET), is packed two characters a byte: the first in the
 * high four bits, each character as its place in the alphabet.  Any
 * other block, and the last n % NSL_PACK_BLOCK bytes, are kept as they
 * are.  The packed form of n bytes is a bitmap of the blocks, bit i of
 * byte i / 8 set when block i is packed, then the blocks in order, then
 * the rest: at most nsl_pack_bound(n) bytes.  JSONL of embeddings packs
 * to about half its size (all but the blocks that hold a line's end and
 * the fields before the vector); text that is not numbers takes a
 * bitmap more than itself, and the caller may keep it as it is instead.
 *
 * Nothing is allocated; the functions keep no pointer and can run on
 * any number of threads at once.
 */
#ifndef NSL_PACK_H
#define NSL_PACK_H

#include <stddef.h>

#define NSL_PACK_BLOCK 32
#define NSL_PACK_ALPHABET "0123456789.,-e+ "

/* Bytes that hold the packed form of any n bytes of text. */
size_t nsl_pack_bound(size_t n);

/*
 * Pack text[0..n) into out, which has room for nsl_pack_bound(n) bytes.
 * Returns the packed length.
 */
size_t nsl_pack_encode(const char *text, size_t n, unsigned char *out);

/*
 * Unpack packed[0..m), the packed form of n bytes, into text[0..n).
 * Returns 0, or -1 when m is not the length the bitmap gives for n
 * bytes (the bytes are not a packed form of n bytes of text).
 */
int nsl_pack_decode(const unsigned char *packed, size_t m, char *text,
    size_t n);

#endif
