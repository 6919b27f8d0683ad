/*
 * Unit tests of lib/csv.c: RFC 4180 quoting, CRLF, line breaks inside
 * quotes, the lenient and the strict cases, cell writing, and JSON's
 * number grammar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/csv.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("csv") */
static char file[300];

static struct nsl_reader *
open_text(const char *text)
{
	struct nsl_err err;
	FILE *f = fopen(file, "wb");

	fputs(text, f);
	fclose(f);
	return nsl_reader_open(file, &err);
}

static int
cell_is(const struct nsl_csv *c, size_t i, const char *want)
{
	return i < c->nfields && nsl_csv_len(c, i) == strlen(want) &&
	    memcmp(nsl_csv_cell(c, i), want, strlen(want)) == 0;
}

static void
test_read(void)
{
	struct nsl_reader *r;
	struct nsl_csv c;
	struct nsl_err err;

	nsl_csv_init(&c);
	nsl_err_clear(&err);
	r = open_text("\xef\xbb\xbf" "a,b,c\r\n1,\"x, \"\"y\"\"\",\r\n\n"
	    "\"two\nlines\",,\"\"\nq\"q,\" sp \",last");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 1 && c.nfields == 3 &&
	    cell_is(&c, 0, "a") && cell_is(&c, 2, "c") && c.line == 1,
	    "header, byte order mark dropped, CRLF");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 1 && c.nfields == 3 &&
	    cell_is(&c, 0, "1") && cell_is(&c, 1, "x, \"y\"") &&
	    c.quoted[1] && cell_is(&c, 2, "") && !c.quoted[2],
	    "quoted comma and doubled quotes; trailing empty cell");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 1 && c.line == 4 &&
	    cell_is(&c, 0, "two\nlines") && cell_is(&c, 1, "") &&
	    !c.quoted[1] && cell_is(&c, 2, "") && c.quoted[2],
	    "empty line skipped; line break inside quotes; \"\" is quoted");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 1 && c.line == 6 &&
	    cell_is(&c, 0, "q\"q") && cell_is(&c, 1, " sp ") &&
	    cell_is(&c, 2, "last"), "bare quote kept; spaces kept; no final "
	    "newline");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 0, "end of input");
	nsl_reader_close(r);

	r = open_text("a,b\n\"x\"y,z\n");
	nsl_csv_read(&c, r, &err);
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 2 &&
	    strstr(err.msg, "after a closing quote") != NULL,
	    "text after a closing quote names the line");
	nsl_reader_close(r);

	r = open_text("a,b\n1,2\n3,\"open\nmore\n");
	nsl_csv_read(&c, r, &err);
	nsl_csv_read(&c, r, &err);
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == -1 && err.line == 3 &&
	    strstr(err.msg, "not closed") != NULL,
	    "an unterminated quote names the line it opened on");
	nsl_reader_close(r);

	r = open_text("");
	UNIT_CHECK(nsl_csv_read(&c, r, &err) == 0, "empty input: no record");
	nsl_reader_close(r);
	nsl_csv_release(&c);
}

static void
test_write(void)
{
	struct nsl_buf b = NSL_BUF_INIT;

	nsl_csv_put(&b, "plain", 5, 0);
	nsl_buf_addc(&b, ',');
	nsl_csv_put(&b, "a,b", 3, 0);
	nsl_buf_addc(&b, ',');
	nsl_csv_put(&b, "say \"hi\"", 8, 0);
	nsl_buf_addc(&b, ',');
	nsl_csv_put(&b, "x", 1, 1);
	nsl_buf_addc(&b, ',');
	nsl_csv_put(&b, "l1\nl2", 5, 0);
	UNIT_CHECK(strcmp(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"x\","
	    "\"l1\nl2\"") == 0, "cells quoted when needed or asked");
	nsl_buf_release(&b);
}

static void
test_number(void)
{
	static const char *yes[] = { "0", "-0", "12", "1.5", "-0.25", "1e5",
	    "1E+5", "2.5e-10", "9.993852799709755e+18" };
	static const char *no[] = { "", "-", "+1", ".5", "1.", "01", "1e",
	    "1e+", "0x10", "NaN", "inf", " 1", "1 ", "1,5", "--1" };
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok &= nsl_csv_is_number(yes[i], strlen(yes[i]));
	UNIT_CHECK(ok, "JSON numbers are numbers");
	ok = 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok &= !nsl_csv_is_number(no[i], strlen(no[i]));
	UNIT_CHECK(ok, "other text is not");
}

int
main(void)
{
	char cmd[300];

	if ((dir = unit_tmpdir("csv")) == NULL)
		return 1;
	snprintf(file, sizeof(file), "%s/t.csv", dir);
	test_read();
	test_write();
	test_number();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
