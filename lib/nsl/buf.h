/*
 * buf.h - a growable byte buffer.
 *
 * Invariant: data[0..len) holds the bytes and data[len] is a NUL (when
 * cap > 0), so a buffer can be handed to functions that want a C string.
 * Allocation failure is sticky, as ferror(3) is for a stream: after one
 * failed growth every append is a no-op and nsl_buf_failed() is true, so a
 * caller checks once, where it hands the bytes on, instead of after every
 * append.
 */
#ifndef NSL_BUF_H
#define NSL_BUF_H

#include <stddef.h>

struct nsl_buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

#define NSL_BUF_INIT { NULL, 0, 0, 0 }

void nsl_buf_init(struct nsl_buf *);
void nsl_buf_release(struct nsl_buf *);

/* Make room for n more bytes; returns -1 (and sets failed) if it cannot. */
int nsl_buf_grow(struct nsl_buf *, size_t n);

void nsl_buf_reset(struct nsl_buf *);
void nsl_buf_add(struct nsl_buf *, const void *p, size_t n);
void nsl_buf_addc(struct nsl_buf *, char c);
void nsl_buf_adds(struct nsl_buf *, const char *s);
void nsl_buf_addf(struct nsl_buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline int
nsl_buf_failed(const struct nsl_buf *b)
{
	return b->failed;
}

#endif
