/*
 * test_base64.c - lib/base64.c against RFC 4648's test vectors (section
 * 10), Python's base64.b64encode of the bytes 0..255, round trips and
 * invalid input.
 */
#include <stdint.h>
#include <string.h>

#include "nsl/base64.h"
#include "unit.h"

/* RFC 4648, section 10 */
static const char *const rfc[][2] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

/* python3 -c 'import base64; print(base64.b64encode(bytes(range(256))))' */
static const char all256[] =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
    "LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ"
    "WltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWG"
    "h4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKz"
    "tLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g"
    "4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";

static void
test_rfc(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		nsl_buf_reset(&b);
		nsl_base64_encode(&b, rfc[i][0], strlen(rfc[i][0]));
		UNIT_CHECK(b.len == strlen(rfc[i][1]) &&
		    strcmp(b.data, rfc[i][1]) == 0,
		    "encode \"%s\" = \"%s\" (RFC 4648 s. 10)", rfc[i][0],
		    rfc[i][1]);
		nsl_buf_reset(&b);
		rc = nsl_base64_decode(rfc[i][1], strlen(rfc[i][1]), &b);
		UNIT_CHECK(rc == 0 && b.len == strlen(rfc[i][0]) &&
		    memcmp(b.data, rfc[i][0], b.len) == 0,
		    "decode \"%s\" = \"%s\" (RFC 4648 s. 10)", rfc[i][1],
		    rfc[i][0]);
	}
	nsl_buf_release(&b);
}

static void
test_all_bytes(void)
{
	struct nsl_buf b = NSL_BUF_INIT, d = NSL_BUF_INIT;
	uint8_t x[256];
	size_t i, n;
	int ok = 1;

	for (i = 0; i < 256; i++)
		x[i] = (uint8_t)i;
	nsl_base64_encode(&b, x, 256);
	UNIT_CHECK(strcmp(b.data, all256) == 0,
	    "the bytes 0..255 encode as Python's base64 does");
	UNIT_CHECK(nsl_base64_decode(all256, strlen(all256), &d) == 0 &&
	    d.len == 256 && memcmp(d.data, x, 256) == 0,
	    "Python's base64 of 0..255 decodes to 0..255");
	/* every length 0..256 round-trips, appended after other bytes */
	for (n = 0; n <= 256; n++) {
		nsl_buf_reset(&b);
		nsl_buf_add(&b, "pre", 3);
		nsl_base64_encode(&b, x + 256 - n, n);
		ok &= b.len == 3 + (n + 2) / 3 * 4 && memcmp(b.data, "pre",
		    3) == 0;
		nsl_buf_reset(&d);
		nsl_buf_add(&d, "xy", 2);
		ok &= nsl_base64_decode(b.data + 3, b.len - 3, &d) == 0 &&
		    d.len == 2 + n && memcmp(d.data, "xy", 2) == 0 &&
		    memcmp(d.data + 2, x + 256 - n, n) == 0;
	}
	UNIT_CHECK(ok, "lengths 0..256 round-trip, appending to a buffer");
	UNIT_CHECK(!nsl_buf_failed(&b) && !nsl_buf_failed(&d),
	    "no buffer failed");
	nsl_buf_release(&b);
	nsl_buf_release(&d);
}

static void
test_invalid(void)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z", "Zm9", "Zg=A", "Z===", "====", "Zm=v",
		"Zg==Zg==", "Zm9v Zg==", "Zm9-", "Zm9_", "Zm9\n", "Zg\0=",
	};
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nsl_buf_reset(&b);
		nsl_buf_add(&b, "keep", 4);
		n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);
		UNIT_CHECK(nsl_base64_decode(bad[i], n, &b) == -1 &&
		    b.len == 4 && memcmp(b.data, "keep", 4) == 0,
		    "invalid base64 #%zu is refused, the buffer unchanged", i);
	}
	nsl_buf_reset(&b);
	UNIT_CHECK(nsl_base64_decode("Zh==", 4, &b) == 0 && b.len == 1 &&
	    b.data[0] == 'f', "nonzero pad bits are accepted (RFC 4648 3.5)");
	nsl_buf_release(&b);
}

int
main(void)
{
	test_rfc();
	test_all_bytes();
	test_invalid();
	return unit_done();
}
