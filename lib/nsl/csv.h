/*
 * csv.h - RFC 4180 CSV: a record reader and cell writers.
 *
 * Fields are separated by commas and records by LF or CRLF.  A field in
 * double quotes may hold commas, line breaks and quotes written twice
 * ("").  The reader is lenient where RFC 4180 is silent and strict where
 * data would be lost: a quote inside an unquoted field is kept as a
 * character (as Python's csv module does), text after a closing quote or
 * an unterminated quoted field is an error.  A UTF-8 byte order mark at
 * the start of the input is dropped and empty lines are skipped.  A line
 * break inside a quoted field reads as "\n" whatever it was in the file.
 *
 * Invariant after nsl_csv_read returns 1: the record has nfields cells;
 * cell i is the NUL-terminated, unquoted text nsl_csv_cell(c, i) of
 * nsl_csv_len(c, i) bytes (it may hold NUL bytes of its own), quoted[i]
 * tells whether it was written in quotes, and line is the input line the
 * record starts on.  Cells are borrowed: valid until the next read.
 */
#ifndef NSL_CSV_H
#define NSL_CSV_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "io.h"

struct nsl_csv {
	struct nsl_buf text;
	size_t *off;
	size_t *len;
	unsigned char *quoted;
	size_t nfields;
	size_t cap;
	unsigned long line;
};

void nsl_csv_init(struct nsl_csv *);
void nsl_csv_release(struct nsl_csv *);

/*
 * Read the next record.  Returns 1, 0 at end of input, or -1 with err set
 * (file and line filled in): NSL_EX_DATAERR for malformed quoting, the
 * reader's code for a read error.
 */
int nsl_csv_read(struct nsl_csv *, struct nsl_reader *r, struct nsl_err *err);

static inline const char *
nsl_csv_cell(const struct nsl_csv *c, size_t i)
{
	return c->text.data + c->off[i];
}

static inline size_t
nsl_csv_len(const struct nsl_csv *c, size_t i)
{
	return c->len[i];
}

/*
 * Append s[0..n) to b as one cell: in quotes (with quotes doubled) when
 * always is set or when the text holds a comma, a quote, CR or LF;
 * otherwise as it is.
 */
void nsl_csv_put(struct nsl_buf *b, const char *s, size_t n, int always);

/* 1 if s[0..n) is a number in JSON's grammar (RFC 8259 section 6). */
int nsl_csv_is_number(const char *s, size_t n);

#endif
