/* Unit tests of lib/buf.c: appends, formatting, NUL termination. */
#include <stdint.h>
#include <string.h>

#include "nsl/buf.h"
#include "unit.h"

int
main(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;

	nsl_buf_adds(&b, "ab");
	nsl_buf_addc(&b, 'c');
	nsl_buf_add(&b, "de\0f", 4);
	UNIT_CHECK(b.len == 7 && memcmp(b.data, "abcde\0f", 7) == 0,
	    "append keeps bytes, embedded NUL included");
	UNIT_CHECK(b.data[b.len] == '\0', "buffer stays NUL-terminated");
	nsl_buf_reset(&b);
	nsl_buf_addf(&b, "%d-%s", 42, "x");
	UNIT_CHECK(strcmp(b.data, "42-x") == 0, "addf formats after reset");
	for (i = 0; i < 100000; i++)
		nsl_buf_addc(&b, 'z');
	UNIT_CHECK(b.len == 100004 && b.data[100003] == 'z' &&
	    !nsl_buf_failed(&b), "grows past many doublings");
	nsl_buf_grow(&b, SIZE_MAX - 2);
	UNIT_CHECK(nsl_buf_failed(&b), "an impossible size sets failed");
	nsl_buf_adds(&b, "more");
	UNIT_CHECK(b.len == 100004, "appends after a failure are no-ops");
	nsl_buf_release(&b);
	UNIT_CHECK(b.data == NULL && b.len == 0, "release empties");
	return unit_done();
}
