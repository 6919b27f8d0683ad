/*
 * base64.h - RFC 4648 base64 (section 4: the "+/" alphabet, padded with
 * "=" to a multiple of four characters).
 *
 * Both functions append to a struct nsl_buf the caller owns; its sticky
 * failure flag reports out of memory (see buf.h).  Neither keeps a
 * pointer to its arguments.  The decoder is strict about the alphabet,
 * the length (a multiple of four) and the padding (only at the end, one
 * or two "="), and accepts nonzero bits in the padding's unused low
 * bits, as RFC 4648 section 3.5 allows.
 */
#ifndef NSL_BASE64_H
#define NSL_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Append the base64 text of bytes[0..n) (4 * ceil(n / 3) characters). */
void nsl_base64_encode(struct nsl_buf *buf, const void *bytes, size_t n);

/*
 * Append the bytes that text[0..n) encodes to out.  Returns 0, or -1 for
 * text that is not base64 or when memory runs out; out->len is then
 * unchanged (and on out of memory out is failed).
 */
int nsl_base64_decode(const char *text, size_t n, struct nsl_buf *out);

#endif
