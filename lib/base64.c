/* base64.c - RFC 4648 base64 (see nsl/base64.h). */
#include <stdint.h>

#include "nsl/base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
nsl_base64_encode(struct nsl_buf *buf, const void *bytes, size_t n)
{
	const uint8_t *p = bytes;
	size_t i;
	char *q;

	if (nsl_buf_grow(buf, (n + 2) / 3 * 4) != 0)
		return;
	q = buf->data + buf->len;
	for (i = 0; i + 2 < n; i += 3) {
		*q++ = alphabet[p[i] >> 2];
		*q++ = alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*q++ = alphabet[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*q++ = alphabet[p[i + 2] & 63];
	}
	if (i < n) {
		*q++ = alphabet[p[i] >> 2];
		if (i + 1 < n) {
			*q++ = alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*q++ = alphabet[(p[i + 1] & 15) << 2];
		} else {
			*q++ = alphabet[(p[i] & 3) << 4];
			*q++ = '=';
		}
		*q++ = '=';
	}
	buf->len = (size_t)(q - buf->data);
	buf->data[buf->len] = '\0';
}

/* The 6-bit value of base64 character c, or -1. */
static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
nsl_base64_decode(const char *text, size_t n, struct nsl_buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, start = out->len;
	int j, v[4], pad;
	char *q;

	if (n % 4 != 0 || nsl_buf_grow(out, n / 4 * 3) != 0)
		return -1;
	q = out->data + start;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			/* "=" only as the last one or two characters */
			if (s[i + j] == '=' && i + 4 == n && j >= 2 &&
			    (j == 3 || s[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if ((v[j] = sextet(s[i + j])) < 0)
				goto bad;
		}
		*q++ = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			*q++ = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			*q++ = (char)((v[2] & 3) << 6 | v[3]);
	}
	out->len = (size_t)(q - out->data);
	out->data[out->len] = '\0';
	return 0;
bad:
	out->data[start] = '\0';
	return -1;
}
