/*
 * test_fit_search.c - the law search's records: the report line's and
 * the fit record's "search" member's write/parse pairs, and what the
 * option check refuses.  The search itself is tested from the command
 * line (tests/nsl-fit-search.bats).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nsl/fit_search.h"
#include "nsl/json.h"
#include "unit.h"

/* A report line parsed and written again is the same bytes. */
static void
test_row_round_trip(void)
{
	static const char *const lines[] = {
		"{\"rank\":1,\"law\":\"formula\",\"formula\":\"E + A1*N^-a1\","
		"\"family\":\"power\",\"x\":[\"N\"],\"k\":3,\"heldout\":{\"rms\":"
		"0.0125,\"n\":40,\"folds\":[0.01,0.015]},\"aic\":-800.5,\"bic\":"
		"-790.25,\"params\":{\"E\":1.75,\"A1\":400,\"a1\":0.3},"
		"\"tried\":120}\n",
		"{\"rank\":7,\"law\":\"chinchilla\",\"formula\":\"L = E + A/N^alpha"
		" + B/D^beta\",\"family\":\"catalogue\",\"x\":[\"N\",\"D\"],\"k\":5,"
		"\"heldout\":{\"rms\":null,\"n\":0,\"folds\":[null,null,null]},"
		"\"aic\":null,\"bic\":null,\"tried\":9,\"by\":{\"g\":\"a\"}}\n",
	};
	struct nsl_search_row r;
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		nsl_rec_init(&rec, 0);
		nsl_buf_reset(&b);
		UNIT_CHECK(nsl_rec_parse(&rec, lines[i], strlen(lines[i]),
		    &err) == 0 && nsl_search_row_parse(&r, &rec, &err) == 0,
		    "report line %zu parses", i);
		nsl_search_row_write(&r, &b);
		UNIT_CHECK(b.len == strlen(lines[i]) &&
		    memcmp(b.data, lines[i], b.len) == 0,
		    "report line %zu writes back the same bytes: %.*s", i,
		    (int)b.len, b.data);
		nsl_search_row_release(&r);
		nsl_rec_release(&rec);
	}
	nsl_buf_release(&b);
}

static void
test_row_bad(void)
{
	const char *line = "{\"rank\":0,\"law\":\"formula\"}";
	struct nsl_search_row r;
	struct nsl_rec rec;
	struct nsl_err err;

	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, line, strlen(line), &err) == 0 &&
	    nsl_search_row_parse(&r, &rec, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "\"rank\"") != NULL,
	    "a rank of 0 is refused, naming the field: %s", err.msg);
	nsl_rec_release(&rec);
}

/* The member, inside a fit record, reads back; a record without has none. */
static void
test_member(void)
{
	struct nsl_search_member m, back;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;
	char *along[] = { "N", "U" };

	memset(&m, 0, sizeof(m));
	m.tried = 144;
	m.folds = 2;
	m.nalong = 2;
	m.along[0] = along[0];
	m.along[1] = along[1];
	m.rms = 0.0625;
	nsl_buf_adds(&b, "{\"law\":\"formula\"");
	nsl_search_member_write(&m, &b);
	nsl_buf_adds(&b, "}");
	UNIT_CHECK(strcmp(b.data, "{\"law\":\"formula\",\"search\":{\"tried\":"
	    "144,\"along\":[\"N\",\"U\"],\"folds\":2,\"rms\":0.0625}}") == 0,
	    "the member's text: %s", b.data);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len, &err) == 0 &&
	    nsl_search_member_parse(&back, &rec, &err) == 1 &&
	    back.tried == 144 && back.folds == 2 && back.nalong == 2 &&
	    strcmp(back.along[1], "U") == 0 && back.rms == 0.0625,
	    "the member reads back");
	nsl_search_member_release(&back);
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(nsl_rec_parse(&rec, "{\"law\":\"power\"}", 15, &err) == 0 &&
	    nsl_search_member_parse(&back, &rec, &err) == 0,
	    "a record without the member has none");
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
}

static void
test_check(void)
{
	struct nsl_search s;
	struct nsl_fit_job j;
	const char *m;

	nsl_fit_init(&j);
	nsl_search_init(&s);
	s.on = 1;
	j.xs[0] = "N";
	j.nx = 1;
	m = nsl_search_check(&s, &j);
	UNIT_CHECK(m != NULL && strstr(m, "--extrapolate-along") != NULL,
	    "--search without --extrapolate-along is refused: %s", m);
	s.along_text = "N,,C";
	UNIT_CHECK(nsl_search_check(&s, &j) == NULL && s.nalong == 2 &&
	    strcmp(s.along[1], "C") == 0,
	    "--extrapolate-along N,,C is two fields");
	j.xs[0] = "2N";
	m = nsl_search_check(&s, &j);
	UNIT_CHECK(m != NULL && strstr(m, "no formula name") != NULL,
	    "a --x field that is no formula name is refused: %s", m);
	nsl_search_release(&s);
	nsl_fit_release(&j);
}

int
main(void)
{
	test_row_round_trip();
	test_row_bad();
	test_member();
	test_check();
	return unit_done();
}
