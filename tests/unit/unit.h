/*
 * unit.h - a tiny TAP producer for the C unit tests of lib/.
 *
 * Each check prints "ok N - what it protects" or "not ok N - ...  # file:line";
 * unit_done() prints the plan and returns the exit status.
 */
#ifndef NSL_UNIT_H
#define NSL_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_n, unit_failed;

static void __attribute__((format(printf, 4, 5), unused))
unit_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	unit_n++;
	printf("%s %d - ", ok ? "ok" : "not ok", unit_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("  # %s:%d", file, line);
		unit_failed++;
	}
	putchar('\n');
	fflush(stdout);
}

#define UNIT_CHECK(cond, ...) unit_check((cond), __FILE__, __LINE__, __VA_ARGS__)

/*
 * dir/name in one of four rotating buffers, so a call may hold up to four
 * paths at once (a source and a destination, say): for the tests that
 * work in a temporary directory of their own.
 */
static __attribute__((unused)) char *
unit_path(const char *dir, const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/*
 * A new directory of the test's own, $TMPDIR/nsl-test-NAME.?????? ($TMPDIR
 * or /tmp), for unit_path's files: mkdtemp(3) draws the last six
 * characters, which its template must give as six X's.  The name is
 * kept until the program ends; NULL when the directory cannot be made.
 */
#define UNIT_MKDTEMP_DRAWN "XXXXXX"

static __attribute__((unused)) char *
unit_tmpdir(const char *name)
{
	static char made[4][256];
	static int k;
	const char *td = getenv("TMPDIR");

	k = (k + 1) % 4;
	snprintf(made[k], sizeof(made[k]), "%s/nsl-test-%s.%s",
	    td != NULL && *td != '\0' ? td : "/tmp", name, UNIT_MKDTEMP_DRAWN);
	return mkdtemp(made[k]);
}

/* UNIT_QUICK=1 (set by make check-asan) asks for fewer random cases. */
static int __attribute__((unused))
unit_quick(void)
{
	const char *q = getenv("UNIT_QUICK");

	return q != NULL && *q != '\0' && *q != '0';
}

static int
unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed != 0;
}

#endif
