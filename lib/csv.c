/*
 * csv.c - RFC 4180 CSV (see nsl/csv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nsl/csv.h"

enum state {
	FIELD_START,
	UNQUOTED,
	QUOTED,
	AFTER_QUOTE		/* a quote inside a quoted field: "" or the end */
};

void
nsl_csv_init(struct nsl_csv *c)
{
	memset(c, 0, sizeof(*c));
	nsl_buf_init(&c->text);
}

void
nsl_csv_release(struct nsl_csv *c)
{
	nsl_buf_release(&c->text);
	free(c->off);
	free(c->len);
	free(c->quoted);
	c->off = c->len = NULL;
	c->quoted = NULL;
	c->nfields = c->cap = 0;
}

/* Close the current cell, which started at text offset start. */
static int
end_cell(struct nsl_csv *c, size_t start, int quoted)
{
	size_t cap, *off, *len;
	unsigned char *q;

	if (c->nfields == c->cap) {
		cap = c->cap ? 2 * c->cap : 16;
		if ((off = realloc(c->off, cap * sizeof(*off))) == NULL)
			return -1;
		c->off = off;
		if ((len = realloc(c->len, cap * sizeof(*len))) == NULL)
			return -1;
		c->len = len;
		if ((q = realloc(c->quoted, cap)) == NULL)
			return -1;
		c->quoted = q;
		c->cap = cap;
	}
	c->off[c->nfields] = start;
	c->len[c->nfields] = c->text.len - start;
	c->quoted[c->nfields] = (unsigned char)quoted;
	c->nfields++;
	nsl_buf_addc(&c->text, '\0');
	return 0;
}

int
nsl_csv_read(struct nsl_csv *c, struct nsl_reader *r, struct nsl_err *err)
{
	enum state st = FIELD_START;
	const char *line;
	size_t len, i, start = 0;
	int rc;
	char ch;

	do {
		if ((rc = nsl_reader_getline(r, &line, &len, err)) <= 0)
			return rc;
	} while (len == 0);
	c->line = nsl_reader_lineno(r);
	if (c->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	nsl_buf_reset(&c->text);
	c->nfields = 0;
	for (;;) {
		for (i = 0; i < len; i++) {
			ch = line[i];
			switch (st) {
			case FIELD_START:
				start = c->text.len;
				if (ch == '"') {
					st = QUOTED;
				} else if (ch == ',') {
					if (end_cell(c, start, 0) != 0)
						goto nomem;
				} else {
					nsl_buf_addc(&c->text, ch);
					st = UNQUOTED;
				}
				break;
			case UNQUOTED:
				if (ch == ',') {
					if (end_cell(c, start, 0) != 0)
						goto nomem;
					st = FIELD_START;
				} else
					nsl_buf_addc(&c->text, ch);
				break;
			case QUOTED:
				if (ch == '"')
					st = AFTER_QUOTE;
				else
					nsl_buf_addc(&c->text, ch);
				break;
			case AFTER_QUOTE:
				if (ch == '"') {
					nsl_buf_addc(&c->text, '"');
					st = QUOTED;
				} else if (ch == ',') {
					if (end_cell(c, start, 1) != 0)
						goto nomem;
					st = FIELD_START;
				} else {
					nsl_err_at(err, nsl_reader_name(r),
					    nsl_reader_lineno(r));
					return nsl_err_set(err, NSL_EX_DATAERR,
					    "field %zu: text after a closing "
					    "quote", c->nfields + 1);
				}
				break;
			}
		}
		if (st != QUOTED)
			break;
		/* the quoted field goes on over the line break */
		nsl_buf_addc(&c->text, '\n');
		if ((rc = nsl_reader_getline(r, &line, &len, err)) < 0)
			return -1;
		if (rc == 0) {
			nsl_err_at(err, nsl_reader_name(r), c->line);
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "field %zu: quoted field not closed before the "
			    "end of the file", c->nfields + 1);
		}
	}
	if (st == FIELD_START)
		start = c->text.len;
	if (end_cell(c, start, st == AFTER_QUOTE) != 0)
		goto nomem;
	if (nsl_buf_failed(&c->text))
		goto nomem;
	return 1;
nomem:
	nsl_err_at(err, nsl_reader_name(r), c->line);
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

void
nsl_csv_put(struct nsl_buf *b, const char *s, size_t n, int always)
{
	size_t i, from;

	if (!always) {
		for (i = 0; i < n; i++)
			if (s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
			    s[i] == '\n')
				break;
		if (i == n) {
			nsl_buf_add(b, s, n);
			return;
		}
	}
	nsl_buf_addc(b, '"');
	for (from = i = 0; i < n; i++)
		if (s[i] == '"') {
			nsl_buf_add(b, s + from, i + 1 - from);
			nsl_buf_addc(b, '"');
			from = i + 1;
		}
	nsl_buf_add(b, s + from, n - from);
	nsl_buf_addc(b, '"');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
nsl_csv_is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && is_digit(s[i]))
		while (i < n && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i == n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i == n;
}
