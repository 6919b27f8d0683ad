/* err.c - error records (see nsl/err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsl/err.h"

void
nsl_err_clear(struct nsl_err *e)
{
	e->code = 0;
	e->file[0] = '\0';
	e->line = 0;
	e->msg[0] = '\0';
}

int
nsl_err_set(struct nsl_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
nsl_err_at(struct nsl_err *e, const char *file, unsigned long line)
{
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
}
