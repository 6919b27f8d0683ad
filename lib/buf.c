/* buf.c - growable byte buffer (see nsl/buf.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/buf.h"

void
nsl_buf_init(struct nsl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

void
nsl_buf_release(struct nsl_buf *b)
{
	free(b->data);
	nsl_buf_init(b);
}

void
nsl_buf_reset(struct nsl_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->cap > 0)
		b->data[0] = '\0';
}

int
nsl_buf_grow(struct nsl_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -1;
	if (n >= SIZE_MAX - b->len - 1)
		goto fail;
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	/* Grow by half again so that appending is amortised linear. */
	cap = b->cap < 64 ? 64 : b->cap + b->cap / 2;
	if (cap < want)
		cap = want;
	if ((p = realloc(b->data, cap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void
nsl_buf_add(struct nsl_buf *b, const void *p, size_t n)
{
	if (nsl_buf_grow(b, n) != 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
nsl_buf_addc(struct nsl_buf *b, char c)
{
	if (nsl_buf_grow(b, 1) != 0)
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
nsl_buf_adds(struct nsl_buf *b, const char *s)
{
	nsl_buf_add(b, s, strlen(s));
}

void
nsl_buf_addf(struct nsl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || nsl_buf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
