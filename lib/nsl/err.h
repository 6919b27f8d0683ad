/*
 * err.h - error records and exit codes shared by libnsl and the tools.
 *
 * lib/ never prints and never exits: a function that can fail takes a
 * struct nsl_err *, fills it, and returns -1 (or NULL).  The tool decides
 * what to do, usually nsl_die_err() from cli.h, which prints
 *
 *	nsl-TOOL: FILE:LINE: message
 *
 * and exits with the code.  Codes are sysexits(3) values so that shell
 * pipelines and Makefiles can tell bad data from a bad command line.
 */
#ifndef NSL_ERR_H
#define NSL_ERR_H

enum nsl_exit {
	NSL_EX_OK = 0,
	NSL_EX_USAGE = 64,	/* bad command line */
	NSL_EX_DATAERR = 65,	/* bad input data */
	NSL_EX_NOINPUT = 66,	/* cannot open an input */
	NSL_EX_SOFTWARE = 70,	/* internal error, out of memory */
	NSL_EX_IOERR = 74	/* read or write failed */
};

/*
 * Invariant: code == 0 means "no error"; then msg is empty.  file is the
 * error record's own copy of the file name ("" when the error is about no
 * file), so it outlives the reader or writer that set it; line is 0 when
 * the error is not about one line.
 */
struct nsl_err {
	int code;
	char file[512];
	unsigned long line;
	char msg[480];
};

void nsl_err_clear(struct nsl_err *);

/* Set code and a printf-style message; keeps file and line.  Returns -1. */
int nsl_err_set(struct nsl_err *, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record where the error happened (file copied; NULL for none). */
void nsl_err_at(struct nsl_err *, const char *file, unsigned long line);

#endif
