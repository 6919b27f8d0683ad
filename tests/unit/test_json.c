/*
 * Unit tests of lib/json.c: the validating scanner (with the columns its
 * errors name, worked out by hand), typed access and the splicing writer.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "unit.h"

static struct nsl_rec rec;
static struct nsl_err err;

static int
parse(const char *s)
{
	nsl_err_clear(&err);
	return nsl_rec_parse(&rec, s, strlen(s), &err);
}

/* Parsing s fails and the message contains want. */
static int
fails_with(const char *s, const char *want)
{
	if (parse(s) == 0)
		return 0;
	if (strstr(err.msg, want) == NULL) {
		printf("# message was: %s\n", err.msg);
		return 0;
	}
	return err.code == NSL_EX_DATAERR;
}

/*
 * Many keys take the hashed check: built here so that key k70 repeats
 * k5 (once plainly, once through an escape), and the message must name
 * the first key that repeats an earlier one, as the pairwise check does.
 */
static void
many_keys_duplicates(void)
{
	struct nsl_buf line = NSL_BUF_INIT;
	const char *tail;
	char key[32];
	int i;

	nsl_buf_addc(&line, '{');
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "%s\"k%d\":%d", i ? "," : "", i, i);
		nsl_buf_add(&line, key, strlen(key));
	}
	nsl_buf_add(&line, "}", 2);
	UNIT_CHECK(parse(line.data) == 0, "5000 distinct keys accepted");
	line.len -= 2;
	tail = ",\"k\\u0037\":1,\"k5\":2,\"k7\":3}";
	nsl_buf_add(&line, tail, strlen(tail) + 1);
	UNIT_CHECK(fails_with(line.data, "duplicate field \"k7\""),
	    "among 5000 keys, the first repeat named (through an escape)");
	nsl_buf_release(&line);
}

static void
test_valid(void)
{
	const char *line = "{\"id\":7,\"embedding\":[1,2.5,-3e2],"
	    "\"label\":\"cat\"}";
	double *x = NULL, v;
	size_t n, cap = 0;
	struct nsl_buf s = NSL_BUF_INIT;
	long i;

	UNIT_CHECK(parse(line) == 0 && rec.nfields == 3,
	    "a record with three members parses");
	i = nsl_rec_find(&rec, "embedding");
	UNIT_CHECK(i == 1 && rec.fields[1].vlen == strlen("[1,2.5,-3e2]") &&
	    memcmp(rec.fields[1].value, "[1,2.5,-3e2]", 12) == 0,
	    "member spans point at the value text");
	UNIT_CHECK(nsl_rec_vector(&rec, 1, &x, &n, &cap, &err) == 0 &&
	    n == 3 && x[0] == 1 && x[1] == 2.5 && x[2] == -300,
	    "number array read into doubles");
	UNIT_CHECK(nsl_rec_number(&rec, 0, &v, &err) == 0 && v == 7,
	    "number field read");
	UNIT_CHECK(nsl_rec_string(&rec, 2, &s, &err) == 0 &&
	    strcmp(s.data, "cat") == 0, "string field decoded");
	UNIT_CHECK(nsl_rec_find(&rec, "missing") == -1 &&
	    nsl_rec_require(&rec, "missing", &err) == -1 &&
	    strcmp(err.msg, "missing field \"missing\"") == 0,
	    "a missing field is named");
	UNIT_CHECK(parse(" \t{ \"a\" : 1 , \"b\":[ ] ,\"c\":{\"d\":[{}]}} ") == 0
	    && rec.nfields == 3 && rec.fields[2].type == NSL_JSON_OBJECT,
	    "whitespace and nesting accepted");
	UNIT_CHECK(parse("{}") == 0 && rec.nfields == 0, "empty object");
	UNIT_CHECK(parse("{\"a\\u0062\":1}") == 0 &&
	    nsl_rec_find(&rec, "ab") == 0, "escaped keys found by name");
	UNIT_CHECK(parse("{\"e\":[]}") == 0 &&
	    nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == 0 && n == 0,
	    "empty array is a vector of length 0");
	free(x);
	nsl_buf_release(&s);
}

static void
test_invalid(void)
{
	char deep[1300];
	int i;

	UNIT_CHECK(fails_with("{\"a\":1,}",
	    "column 8: expected a string key"), "trailing comma, column 8");
	UNIT_CHECK(fails_with("{\"a\" 1}", "column 6: expected ':'"),
	    "missing colon, column 6");
	UNIT_CHECK(fails_with("{\"a\":01}", "column 7: expected ',' or '}'"),
	    "leading zero, column 7");
	UNIT_CHECK(fails_with("[1,2]", "column 1: expected a JSON object"),
	    "top level must be an object");
	UNIT_CHECK(fails_with("{\"a\":1} x", "column 9: unexpected text"),
	    "text after the object, column 9");
	UNIT_CHECK(fails_with("", "column 1: expected a JSON object ('{'), "
	    "found end of line"), "empty line");
	UNIT_CHECK(fails_with("{\"a\":[1,2",
	    "column 10: expected ',' or ']', found end of line"),
	    "truncated array, column 10");
	UNIT_CHECK(fails_with("{\"a\":\"x\\qy\"}", "invalid escape"),
	    "bad escape");
	UNIT_CHECK(fails_with("{\"a\":\"\\ud800\"}", "unpaired high surrogate"),
	    "unpaired surrogate");
	UNIT_CHECK(fails_with("{\"a\":\"\\udc00\"}", "lone low surrogate"),
	    "lone low surrogate");
	UNIT_CHECK(fails_with("{\"a\":\"\xc3\x28\"}", "invalid UTF-8"),
	    "invalid UTF-8 continuation");
	UNIT_CHECK(fails_with("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8"),
	    "overlong UTF-8");
	UNIT_CHECK(fails_with("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8"),
	    "UTF-8 encoded surrogate");
	UNIT_CHECK(parse("{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}") == 0,
	    "valid multibyte UTF-8 accepted");
	UNIT_CHECK(fails_with("{\"a\":\"a\tb\"}", "control character"),
	    "raw tab inside a string");
	UNIT_CHECK(fails_with("{\"a\":tru}", "expected a value"),
	    "misspelt literal");
	UNIT_CHECK(fails_with("{\"a\":1.}", "expected a digit after '.'"),
	    "number ending in a point");
	UNIT_CHECK(fails_with("{\"a\":-}", "expected a digit"),
	    "lone minus");
	UNIT_CHECK(fails_with("{\"a\":1e+}", "expected a digit in exponent"),
	    "empty exponent");
	UNIT_CHECK(fails_with("\xef\xbb\xbf{\"a\":1}", "byte-order mark"),
	    "a leading byte-order mark named as such");
	UNIT_CHECK(fails_with("{\"a\":1,\"a\":2}", "duplicate field \"a\""),
	    "duplicate keys refused");
	UNIT_CHECK(fails_with("{\"ab\":1,\"a\\u0062\":2}",
	    "duplicate field \"ab\""), "duplicate keys through escapes");
	many_keys_duplicates();
	strcpy(deep, "{\"a\":");
	for (i = 0; i < 600; i++)
		strcat(deep, "[");
	UNIT_CHECK(fails_with(deep, "nesting too deep"), "deep nesting refused");
	UNIT_CHECK(fails_with("{\"a\":NaN}", "NaN and Infinity are not JSON"),
	    "NaN refused by default");
}

static void
test_nonfinite(void)
{
	double *x = NULL, v;
	size_t n, cap = 0;

	nsl_rec_release(&rec);
	nsl_rec_init(&rec, NSL_REC_ALLOW_NONFINITE);
	UNIT_CHECK(parse("{\"a\":NaN,\"b\":[1,-Infinity,Infinity]}") == 0 &&
	    nsl_rec_number(&rec, 0, &v, &err) == 0 && isnan(v) &&
	    nsl_rec_vector(&rec, 1, &x, &n, &cap, &err) == 0 && n == 3 &&
	    isinf(x[1]) && x[1] < 0 && isinf(x[2]) && x[2] > 0,
	    "NaN and Infinity read when allowed");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(parse("{\"a\":1e999}") == 0 &&
	    nsl_rec_number(&rec, 0, &v, &err) == -1 &&
	    strstr(err.msg, "out of range") != NULL,
	    "an overflowing number is an error by default");
	UNIT_CHECK(parse("{\"e\":[1,1e400]}") == 0 &&
	    nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == -1 &&
	    strstr(err.msg, "element 1: number out of range") != NULL,
	    "an overflowing vector element is named");
	free(x);
}

/*
 * nsl_rec_vector_view: a flat array converted at the parse is seen where
 * the record keeps it (no copy), the numbers as written; read lazily, or
 * empty, it is read into the caller's buffer as nsl_rec_vector reads it;
 * an element out of range is the same error, named.
 */
static void
test_vector_view(void)
{
	const double *v = NULL;
	double *x = NULL;
	size_t n = 0, cap = 0;
	long i;

	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	i = parse("{\"id\":7,\"e\":[1,-2.5,0.125]}") == 0 ?
	    nsl_rec_find(&rec, "e") : -1;
	UNIT_CHECK(i >= 0 && nsl_rec_vector_view(&rec, (size_t)i, &v, &n, &x,
	    &cap, &err) == 0 && n == 3 && v == rec.num +
	    rec.fields[i].num_at && x == NULL && v[0] == 1 && v[1] == -2.5 &&
	    v[2] == 0.125, "view: the record's own numbers, not copied");
	UNIT_CHECK(parse("{\"e\":[]}") == 0 && nsl_rec_vector_view(&rec, 0,
	    &v, &n, &x, &cap, &err) == 0 && n == 0 && v != NULL && v == x,
	    "view of []: no numbers, a buffer of the caller's");
	UNIT_CHECK(parse("{\"e\":[1,1e400]}") == 0 && nsl_rec_vector_view(&rec,
	    0, &v, &n, &x, &cap, &err) == -1 && strstr(err.msg,
	    "element 1: number out of range") != NULL,
	    "view: an overflowing element named, as nsl_rec_vector names it");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS);
	UNIT_CHECK(parse("{\"e\":[0.1,3]}") == 0 && nsl_rec_vector_view(&rec,
	    0, &v, &n, &x, &cap, &err) == 0 && n == 2 && v == x &&
	    v[0] == 0.1 && v[1] == 3, "view of a lazy array: read into the "
	    "caller's buffer");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	free(x);
}

static void
test_typed_errors(void)
{
	double *x = NULL, v;
	size_t n, rows, cols, cap = 0;

	parse("{\"e\":[1,\"x\",3],\"s\":\"str\",\"m\":[[1,2],[3,4],[5,6]],"
	    "\"r\":[[1],[2,3]],\"bad\":[[1],2]}");
	UNIT_CHECK(nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == -1 &&
	    strcmp(err.msg, "field \"e\": element 1: expected a number, "
	    "got a string") == 0, "a string inside a vector is named");
	UNIT_CHECK(nsl_rec_vector(&rec, 1, &x, &n, &cap, &err) == -1 &&
	    strcmp(err.msg, "field \"s\": expected an array of numbers, "
	    "got a string") == 0, "a string where a vector belongs");
	UNIT_CHECK(nsl_rec_number(&rec, 1, &v, &err) == -1 &&
	    strcmp(err.msg, "field \"s\": expected a number, got a string")
	    == 0, "a string where a number belongs");
	UNIT_CHECK(nsl_rec_matrix(&rec, 2, &x, &rows, &cols, &cap, &err) == 0
	    && rows == 3 && cols == 2 && x[0] == 1 && x[3] == 4 && x[5] == 6,
	    "matrix read row-major");
	UNIT_CHECK(nsl_rec_matrix(&rec, 3, &x, &rows, &cols, &cap, &err) == -1
	    && strstr(err.msg, "row 1 has 2 numbers, row 0 has 1") != NULL,
	    "ragged matrix refused");
	UNIT_CHECK(nsl_rec_matrix(&rec, 4, &x, &rows, &cols, &cap, &err) == -1,
	    "a matrix mixing rows and numbers refused");
	UNIT_CHECK(nsl_rec_matrix(&rec, 0, &x, &rows, &cols, &cap, &err) == -1,
	    "matrix with a non-number refused");
	parse("{\"e\":[[],[ ]]}");
	UNIT_CHECK(nsl_rec_matrix(&rec, 0, &x, &rows, &cols, &cap, &err) == 0
	    && rows == 2 && cols == 0, "a matrix of empty rows is 2 x 0");
	parse("{\"v\":[0.5,2]}");
	UNIT_CHECK(nsl_rec_matrix(&rec, 0, &x, &rows, &cols, &cap, &err) == 0
	    && rows == 1 && cols == 2 && x[1] == 2, "a vector is a 1-row matrix");
	free(x);
}

/*
 * Number arrays are converted while the scan validates them: the kept
 * numbers must be strtod's, belong to the right member, follow each new
 * line, and a bad array must fail exactly as the plain scan says.
 */
static void
test_fused_numbers(void)
{
	static const char *const toks[] = { "0.1", "-2.5e-3", "1e23",
	    "9007199254740993", "2.2250738585072011e-308", "-0", "4.9e-324",
	    "123456789012345678901234567890", "7.0e+22" };
	char line[512], *p;
	double *x = NULL, ref;
	size_t n, cap = 0, k, ok;
	long i;

	p = line + sprintf(line, "{\"id\":1,\"v\":[");
	for (k = 0; k < sizeof(toks) / sizeof(toks[0]); k++)
		p += sprintf(p, "%s%s", k ? " , " : "", toks[k]);
	sprintf(p, "],\"w\":[3,4],\"s\":[\"a\",1]}");
	i = parse(line) == 0 ? nsl_rec_find(&rec, "v") : -1;
	ok = i >= 0 && nsl_rec_vector(&rec, (size_t)i, &x, &n, &cap, &err) ==
	    0 && n == k;
	for (k = 0; ok && k < n; k++) {
		ref = strtod(toks[k], NULL);
		ok = memcmp(&ref, &x[k], sizeof(ref)) == 0;
	}
	UNIT_CHECK(ok, "numbers read in the scan are strtod's, bit for bit");
	UNIT_CHECK(nsl_rec_vector(&rec, 2, &x, &n, &cap, &err) == 0 &&
	    n == 2 && x[0] == 3 && x[1] == 4 && rec.fields[2].num_at >= 0,
	    "a second number array keeps its own numbers");
	UNIT_CHECK(rec.fields[3].num_at == -1 &&
	    nsl_rec_vector(&rec, 3, &x, &n, &cap, &err) == -1 &&
	    strstr(err.msg, "element 0: expected a number, got a string"),
	    "a mixed array is scanned as before and its element named");
	/* a fresh record has no number buffer yet: [] must not touch it */
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(parse("{\"v\":[]}") == 0 &&
	    nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == 0 && n == 0,
	    "[] as the first array a record holds");
	UNIT_CHECK(parse("{\"v\":[5]}") == 0 &&
	    nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == 0 && n == 1 &&
	    x[0] == 5, "the next line's numbers replace the last line's");
	UNIT_CHECK(parse("{\"v\":[]}") == 0 &&
	    nsl_rec_vector(&rec, 0, &x, &n, &cap, &err) == 0 && n == 0 &&
	    x != NULL, "[] read as no numbers");
	/* columns by hand: the ']' after the comma is column 11 */
	UNIT_CHECK(fails_with("{\"e\":[1,2,]}",
	    "invalid JSON at column 11: expected a value"),
	    "a trailing comma in a number array: the plain scan's message");
	UNIT_CHECK(fails_with("{\"e\":[1,02]}",
	    "invalid JSON at column 10: expected ',' or ']'"),
	    "a leading zero in a number array: the plain scan's message");
	UNIT_CHECK(fails_with("{\"e\":[1,NaN]}",
	    "NaN and Infinity are not JSON numbers"),
	    "NaN in a number array without leave: the plain scan's message");
	free(x);
}

/*
 * NSL_REC_LAZY_ARRAYS: arrays are checked, not converted; a later
 * nsl_rec_vector reads the text, so the numbers are strtod's all the
 * same, and every bad array fails as the converting scan fails it, with
 * its message and column.
 */
static void
test_lazy_arrays(void)
{
	static const char *const toks[] = { "0.1", "-2.5e-3", "1e23",
	    "9007199254740993", "2.2250738585072011e-308", "-0", "4.9e-324",
	    "123456789012345678901234567890", "7.0e+22",
	    "3.8421523571014404", "-0.20834609866142273" };
	static const char *const bad[] = {
		"{\"e\":[1,2,]}", "{\"e\":[1,02]}", "{\"e\":[1,NaN]}",
		"{\"e\":[1,2", "{\"e\":[1 2]}", "{\"e\":[1.]}",
		"{\"e\":[-]}", "{\"e\":[1e+]}", "{\"e\":[,1]}",
		"{\"e\":[1,,2]}", "{\"e\":[1]x}", "{\"e\":[[1],[2,]]}",
		"{\"e\":[\"a\",]}", "{\"e\":[1,2],\"e\":[3]}",
	};
	char line[512], msg[sizeof(err.msg)], *p;
	double *x = NULL, ref;
	size_t n, cap = 0, k, ok, same = 0;
	long i;

	p = line + sprintf(line, "{\"id\":1,\"v\":[");
	for (k = 0; k < sizeof(toks) / sizeof(toks[0]); k++)
		p += sprintf(p, "%s%s", k ? " , " : "", toks[k]);
	sprintf(p, "],\"s\":[\"a\",1]}");
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		/* the converting scan's verdict, then the lazy one's */
		nsl_rec_release(&rec);
		nsl_rec_init(&rec, 0);
		ok = parse(bad[k]) != 0;
		snprintf(msg, sizeof(msg), "%s", err.msg);
		nsl_rec_release(&rec);
		nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS);
		if (ok && parse(bad[k]) != 0 && strcmp(msg, err.msg) == 0)
			same++;
		else
			printf("# %s: \"%s\" against \"%s\"\n", bad[k], msg,
			    err.msg);
	}
	UNIT_CHECK(same == k, "lazy arrays: %zu bad arrays fail with the "
	    "converting scan's message and column", k);
	i = parse(line) == 0 ? nsl_rec_find(&rec, "v") : -1;
	ok = i >= 0 && rec.fields[i].num_at == -1 &&
	    nsl_rec_vector(&rec, (size_t)i, &x, &n, &cap, &err) == 0 &&
	    n == sizeof(toks) / sizeof(toks[0]);
	for (k = 0; ok && k < n; k++) {
		ref = strtod(toks[k], NULL);
		ok = memcmp(&ref, &x[k], sizeof(ref)) == 0;
	}
	UNIT_CHECK(ok, "lazy arrays: not converted in the scan, then read "
	    "as strtod reads them");
	UNIT_CHECK(nsl_rec_vector(&rec, 2, &x, &n, &cap, &err) == -1 &&
	    strstr(err.msg, "element 0: expected a number, got a string"),
	    "lazy arrays: a mixed array still named at its element");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	free(x);
}

/*
 * NSL_REC_TRUSTED (with lazy arrays): a valid line's fields come out as
 * the checking parse gives them, each value's bytes the same span,
 * whether an array is flat (passed over to its ']'), empty, nested, or
 * holds strings (with ']' and '[' inside them) or objects (scanned as
 * always); a flat array's numbers read as strtod reads them.
 */
static void
test_trusted(void)
{
	static const char *const lines[] = {
		"{\"id\":1,\"e\":[1, -2.5e-3 ,3.8421523571014404],\"l\":\"a\"}",
		"{\"e\":[],\"f\":[ ],\"g\":[7]}",
		"{\"e\":[[1,2],[3]],\"f\":[\"x]\",\"[y\"],\"g\":[{\"a\":[1]},2]}",
		"{\"e\":[1,[2]],\"s\":\"]\",\"t\":[true,null,1e5]}",
	};
	const char *v0[16];
	size_t vl[16], nf, k, f, same = 0;
	double *x = NULL;
	size_t n, cap = 0;
	int ok;

	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		nsl_rec_release(&rec);
		nsl_rec_init(&rec, 0);
		ok = parse(lines[k]) == 0 && rec.nfields < 16;
		for (nf = rec.nfields, f = 0; ok && f < nf; f++) {
			v0[f] = rec.fields[f].value;
			vl[f] = rec.fields[f].vlen;
		}
		nsl_rec_release(&rec);
		nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS | NSL_REC_TRUSTED);
		ok = ok && parse(lines[k]) == 0 && rec.nfields == nf;
		for (f = 0; ok && f < nf; f++)
			ok = rec.fields[f].value == v0[f] &&
			    rec.fields[f].vlen == vl[f];
		if (ok)
			same++;
		else
			printf("# trusted: %s\n", lines[k]);
	}
	UNIT_CHECK(same == k, "trusted lines: %zu of %zu parse to the same "
	    "fields and spans", same, k);
	parse(lines[0]);
	UNIT_CHECK(nsl_rec_vector(&rec, 1, &x, &n, &cap, &err) == 0 &&
	    n == 3 && x[0] == 1 && x[1] == strtod("-2.5e-3", NULL) &&
	    x[2] == strtod("3.8421523571014404", NULL),
	    "trusted lines: a flat array passed over still reads as strtod");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	free(x);
}

/* RFC 3629's well-formed UTF-8, the scanner's rule for outside text too. */
static void
test_utf8_valid(void)
{
	static const struct {
		const char *s;
		int ok;
	} cases[] = {
		{ "", 1 }, { "score", 1 }, { "\xc3\xa9", 1 },
		{ "\xe2\x82\xac", 1 }, { "\xf0\x9f\x98\x80", 1 },
		{ "\xef\xbf\xbf", 1 }, { "\xf4\x8f\xbf\xbf", 1 },
		{ "\xff", 0 }, { "\x80", 0 }, { "\xc0\x80", 0 },
		{ "\xc1\xbf", 0 }, { "\xe0\x80\xaf", 0 },
		{ "\xed\xa0\x80", 0 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xf5\x80\x80\x80", 0 }, { "a\xe2\x82", 0 },
		{ "\xc3", 0 }, { "\xc3\x28", 0 },
	};
	size_t k, bad = 0;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		if (nsl_json_utf8_valid(cases[k].s, strlen(cases[k].s)) !=
		    cases[k].ok) {
			printf("# utf8: case %zu\n", k);
			bad++;
		}
	UNIT_CHECK(bad == 0, "utf8_valid: ASCII and 2-4 byte forms up to "
	    "U+10FFFF taken; stray bytes, overlongs, surrogates, past "
	    "U+10FFFF and cut sequences refused (%zu wrong)", bad);
}

static void
test_strings(void)
{
	struct nsl_buf s = NSL_BUF_INIT;
	json_t *j;

	parse("{\"s\":\"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\\n\"}");
	UNIT_CHECK(nsl_rec_string(&rec, 0, &s, &err) == 0 &&
	    strcmp(s.data, "a\"b\\c/\xc3\xa9\xf0\x9f\x98\x80\n") == 0,
	    "escapes and surrogate pairs decode to UTF-8");
	j = nsl_rec_json(&rec, 0, &err);
	UNIT_CHECK(j != NULL && strcmp(json_string_value(j), s.data) == 0,
	    "jansson decodes the same string");
	json_decref(j);
	nsl_buf_release(&s);
}

static void
test_writer(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	const char *skip[] = { "label" };
	struct nsl_obj o;
	json_t *j;

	parse("{\"id\":7, \"embedding\":[1, 2.50,-3e2],\"label\":\"cat\"}");
	nsl_obj_begin(&o, &b);
	nsl_obj_copy_except(&o, &rec, skip, 1);
	nsl_obj_key(&o, "score");
	nsl_obj_number(&o, 0.1);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"id\":7,\"embedding\":[1, 2.50,-3e2],"
	    "\"score\":0.1}\n") == 0,
	    "copied members keep their bytes, new ones appended");
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "s\"");
	nsl_obj_string(&o, "a\"b\n\x01\\");
	nsl_obj_key(&o, "n");
	nsl_obj_integer(&o, -12);
	nsl_obj_key(&o, "t");
	nsl_obj_bool(&o, 1);
	nsl_obj_key(&o, "z");
	nsl_obj_null(&o);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"s\\\"\":\"a\\\"b\\n\\u0001\\\\\","
	    "\"n\":-12,\"t\":true,\"z\":null}\n") == 0,
	    "strings escaped, literals written");
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "a");
	nsl_obj_integer(&o, 0);
	nsl_obj_key(&o, "b");
	nsl_obj_integer(&o, 1234567890);
	nsl_obj_key(&o, "c");
	nsl_obj_integer(&o, LLONG_MAX);
	nsl_obj_key(&o, "d");
	nsl_obj_integer(&o, LLONG_MIN);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"a\":0,\"b\":1234567890,"
	    "\"c\":9223372036854775807,\"d\":-9223372036854775808}\n") == 0,
	    "integers as printf writes them: 0, 1234567890, 2^63 - 1, -2^63 "
	    "(%s)", b.data);
	nsl_buf_reset(&b);
	j = json_pack("{s:i,s:[f,b],s:n,s:s}", "x", 1, "y", 0.5, 1, "z",
	    "w", "q");
	nsl_json_value(&b, j, NSL_NUM_DOUBLE);
	json_decref(j);
	UNIT_CHECK(strcmp(b.data,
	    "{\"x\":1,\"y\":[0.5,true],\"z\":null,\"w\":\"q\"}") == 0,
	    "jansson values written in insertion order");
	nsl_buf_reset(&b);
	nsl_json_number(&b, (float)0.1, NSL_NUM_DOUBLE);
	nsl_buf_addc(&b, ' ');
	nsl_json_number(&b, 0.1, NSL_NUM_FLOAT32);
	UNIT_CHECK(strcmp(b.data, "0.10000000149011612 0.1") == 0,
	    "float32 style prints the float's shortest form");
	nsl_buf_reset(&b);
	{
		double v[3] = { 1, -0.25, 1e22 };

		nsl_json_vector(&b, v, 3, NSL_NUM_DOUBLE);
	}
	UNIT_CHECK(strcmp(b.data, "[1,-0.25,1e+22]") == 0, "vector written");
	nsl_buf_reset(&b);
	{
		double v[3] = { NAN, -INFINITY, INFINITY };

		nsl_json_vector(&b, v, 3, NSL_NUM_FLOAT32);
	}
	UNIT_CHECK(strcmp(b.data, "[NaN,-Infinity,Infinity]") == 0,
	    "non-finite numbers written as the tokens --allow-nonfinite reads");
	nsl_buf_release(&b);
}

/* The text of b parses as one record with unique keys. */
static int
valid_record(const struct nsl_buf *b)
{
	struct nsl_rec r;
	struct nsl_err e;
	int ok;

	nsl_rec_init(&r, 0);
	ok = b->len > 0 && nsl_rec_parse(&r, b->data, b->len - 1, &e) == 0;
	if (!ok)
		printf("# %s: %s\n", b->data, e.msg);
	nsl_rec_release(&r);
	return ok;
}

static void
test_writer_unique_keys(void)
{
	struct nsl_buf b = NSL_BUF_INIT, want = NSL_BUF_INIT;
	struct nsl_obj o;
	char key[16];
	int i;

	/* the tool's key after a copied member of that name: replaces it */
	parse("{\"id\":7,\"x\":[1, 2],\"label\":\"cat\"}");
	nsl_obj_begin(&o, &b);
	nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_key(&o, "x");
	nsl_obj_integer(&o, 3);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"id\":7,\"label\":\"cat\",\"x\":3}\n") ==
	    0 && o.replaced == 1 && valid_record(&b),
	    "a tool's field replaces the copied one of the same name");
	/* ... whichever the copied member is: first, last */
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_key(&o, "id");
	nsl_obj_integer(&o, 1);
	nsl_obj_key(&o, "label");
	nsl_obj_integer(&o, 2);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"x\":[1, 2],\"id\":1,\"label\":2}\n") ==
	    0 && valid_record(&b), "first and last copied members replaced");
	/* the tool's key before the copy: the copy is skipped */
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "label");
	nsl_obj_string(&o, "dog");
	nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"label\":\"dog\",\"id\":7,\"x\":[1, 2]}\n")
	    == 0 && valid_record(&b),
	    "a copied member never doubles a field the tool wrote before it");
	/* an escaped input key names the same field */
	parse("{\"\\u0061\":1,\"b\":{\"a\":[\",\\\"}\"]},\"c\":2}");
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_key(&o, "a");
	nsl_obj_integer(&o, 5);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"b\":{\"a\":[\",\\\"}\"]},\"c\":2,"
	    "\"a\":5}\n") == 0, "\"\\u0061\" is the key \"a\"; nested keys "
	    "and quoted braces are not members");
	/* two of the tool's own keys: the later stays */
	nsl_buf_reset(&b);
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "k");
	nsl_obj_integer(&o, 1);
	nsl_obj_key(&o, "m");
	nsl_obj_integer(&o, 2);
	nsl_obj_key(&o, "k");
	nsl_obj_integer(&o, 3);
	nsl_obj_end(&o);
	UNIT_CHECK(strcmp(b.data, "{\"m\":2,\"k\":3}\n") == 0,
	    "the same own key twice: one member, the later value");
	/* objects past the table of member places, in a buffer that holds
	 * an earlier record */
	nsl_buf_reset(&b);
	nsl_buf_adds(&b, "{\"before\":1}\n");
	nsl_buf_adds(&want, "{\"before\":1}\n{");
	nsl_obj_begin(&o, &b);
	for (i = 0; i < 3 * NSL_OBJ_TRACK; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		nsl_obj_key(&o, key);
		nsl_obj_integer(&o, i);
		if (i != 5 && i != NSL_OBJ_TRACK - 1 && i != NSL_OBJ_TRACK &&
		    i != 2 * NSL_OBJ_TRACK)
			nsl_buf_addf(&want, "\"k%d\":%d,", i, i);
	}
	snprintf(key, sizeof(key), "k%d", 2 * NSL_OBJ_TRACK);
	nsl_obj_key(&o, key);
	nsl_obj_integer(&o, -3);
	nsl_obj_key(&o, "k5");
	nsl_obj_integer(&o, -1);
	snprintf(key, sizeof(key), "k%d", NSL_OBJ_TRACK - 1);
	nsl_obj_key(&o, key);
	nsl_obj_integer(&o, -4);
	snprintf(key, sizeof(key), "k%d", NSL_OBJ_TRACK);
	nsl_obj_key(&o, key);
	nsl_obj_integer(&o, -2);
	nsl_obj_end(&o);
	nsl_buf_addf(&want, "\"k%d\":-3,\"k5\":-1,\"k%d\":-4,\"k%d\":-2}\n",
	    2 * NSL_OBJ_TRACK, NSL_OBJ_TRACK - 1, NSL_OBJ_TRACK);
	UNIT_CHECK(strcmp(b.data, want.data) == 0 &&
	    o.nmembers == 3 * NSL_OBJ_TRACK, "replacements before, at and "
	    "past the last tracked member of a %d-member object",
	    3 * NSL_OBJ_TRACK);
	/* more own keys than the table of own ones, then a copy */
	parse("{\"k40\":0,\"z\":1}");
	nsl_buf_reset(&b);
	nsl_buf_reset(&want);
	nsl_buf_addc(&want, '{');
	nsl_obj_begin(&o, &b);
	for (i = 0; i < 2 * NSL_OBJ_TRACK; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		nsl_obj_key(&o, key);
		nsl_obj_integer(&o, i);
		nsl_buf_addf(&want, "\"k%d\":%d,", i, i);
	}
	nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_end(&o);
	nsl_buf_adds(&want, "\"z\":1}\n");
	UNIT_CHECK(strcmp(b.data, want.data) == 0, "a copy skipped for an "
	    "own key past the table of own keys");
	nsl_buf_release(&want);
	nsl_buf_release(&b);
}

static void
test_load_big_integers(void)
{
	json_error_t jerr;
	json_t *v;
	const char *t;

	t = "{\"a\":152429289753058080000,\"b\":-3}";
	v = nsl_json_loadb(t, strlen(t), 0, &jerr);
	UNIT_CHECK(v != NULL && json_is_real(json_object_get(v, "a")) &&
	    json_real_value(json_object_get(v, "a")) ==
	    152429289753058080000.0 &&
	    json_number_value(json_object_get(v, "b")) == -3,
	    "an integer past 64 bits reads as the double of its text");
	json_decref(v);
	t = "[9223372036854775807]";
	v = nsl_json_loadb(t, strlen(t), 0, &jerr);
	UNIT_CHECK(v != NULL && json_is_integer(json_array_get(v, 0)) &&
	    json_integer_value(json_array_get(v, 0)) == INT64_MAX,
	    "an int64 stays an integer");
	json_decref(v);
	t = "[1e400]";
	v = nsl_json_loadb(t, strlen(t), 0, &jerr);
	UNIT_CHECK(v == NULL, "a number beyond the doubles is still refused");
	parse("{\"p\":{\"x\":-123456789012345678901234567890}}");
	v = nsl_rec_json(&rec, 0, &err);
	UNIT_CHECK(v != NULL && json_number_value(json_object_get(v, "x")) ==
	    -123456789012345678901234567890.0, "nsl_rec_json reads them too");
	json_decref(v);
}

/* Where the guard stops in s (whole, or split at every byte). */
static size_t
guard_at(const char *s, int split, struct nsl_json_guard *g)
{
	size_t n = strlen(s), i, at;

	nsl_json_guard_init(g, 1);
	if (!split)
		return nsl_json_guard_scan(g, s, n);
	for (i = 0; i < n; i++)
		if ((at = nsl_json_guard_scan(g, s + i, 1)) == 0)
			return i;
	return n;
}

static void
test_guard(void)
{
	static const char *clean[] = {
		"{\"NaN\":\"Infinity\",\"a\":[1e+308,-2E-5,true,null]}\n",
		"{\"s\":\"quote \\\" then NaN\",\"t\":\"\\\\\"}\n",
		"{\"x\":{\"I\":\"N\"}}\n{\"y\":[]}\n",
	};
	struct nsl_json_guard g;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err e;
	const char *bad;
	unsigned long before;
	size_t i, at;
	int split, ok = 1;

	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		for (split = 0; split < 2; split++)
			ok &= guard_at(clean[i], split, &g) == strlen(clean[i]);
	UNIT_CHECK(ok, "the guard passes NaN and Infinity inside strings "
	    "and keys, escaped quotes, whole or a byte at a time");
	bad = "{\"a\":\"x\"}\n{\"id\":\"NaN\",\"loss\":{\"A\":[1,-Infinity]}}\n";
	/* split before "Infinity", the '-' is already behind the scan */
	for (split = 0; split < 2; split++) {
		at = guard_at(bad, split, &g);
		ok &= at == (size_t)(strstr(bad, "-Inf") - bad) + split;
	}
	nsl_err_clear(&e);
	nsl_json_guard_error(&g, bad + at, bad + strlen(bad), &e);
	UNIT_CHECK(ok && e.code == NSL_EX_DATAERR && strcmp(e.msg,
	    "field \"loss\": value out of range (-Infinity is not a JSON "
	    "number)") == 0, "the guard stops at a nested -Infinity and "
	    "names the top-level field: %s", e.msg);
	nsl_json_guard_init(&g, 0);
	at = nsl_json_guard_scan(&g, "5,\"x\":NaN}", 11);
	nsl_json_guard_error(&g, "NaN}", "NaN}" + 4, &e);
	UNIT_CHECK(at == 6 && strcmp(e.msg, "value undefined (NaN is not a "
	    "JSON number)") == 0, "begun inside a line, it names no field");

	before = nsl_json_nonfinite_written();
	nsl_json_number(&b, 1e39, NSL_NUM_FLOAT32);
	nsl_buf_addc(&b, ' ');
	nsl_json_number(&b, -1e300, NSL_NUM_FLOAT32);
	nsl_buf_addc(&b, ' ');
	nsl_json_number(&b, 3.4028234663852886e38, NSL_NUM_FLOAT32);
	nsl_buf_addc(&b, ' ');
	nsl_json_number(&b, 1e300, NSL_NUM_DOUBLE);
	UNIT_CHECK(strcmp(b.data, "Infinity -Infinity 3.4028235e+38 1e+300")
	    == 0 && nsl_json_nonfinite_written() == before + 2,
	    "a double past the float32 range is float32 Infinity, counted: %s",
	    b.data);
	nsl_buf_release(&b);
}

static void
test_read(void)
{
	char name[] = "/tmp/nsl-test-json-XXXXXX";
	struct nsl_reader *r;
	FILE *f;
	int fd, rc1, rc2, rc3;

	fd = mkstemp(name);
	f = fdopen(fd, "w");
	fputs("{\"a\":1}\n\n   \n{\"a\":2}\n{\"a\":\n", f);
	fclose(f);
	r = nsl_reader_open(name, &err);
	rc1 = nsl_rec_read(r, &rec, &err);
	rc2 = nsl_rec_read(r, &rec, &err);
	UNIT_CHECK(rc1 == 1 && rc2 == 1 && rec.fields[0].value[0] == '2' &&
	    nsl_reader_lineno(r) == 4, "blank lines skipped, lines counted");
	rc3 = nsl_rec_read(r, &rec, &err);
	UNIT_CHECK(rc3 == -1 && err.line == 5 &&
	    strcmp(err.file, name) == 0, "a bad record names file and line");
	nsl_reader_close(r);
	remove(name);
}

/* The parse half of nsl_obj_number_or_null: null is NaN, missing is an
 * error only when required. */
static void
test_number_or_null(void)
{
	double v = 0;
	int rc;

	parse("{\"a\":2.5,\"b\":null,\"c\":\"x\"}");
	rc = nsl_rec_number_or_null(&rec, "a", 1, &v, &err);
	UNIT_CHECK(rc == 0 && v == 2.5, "a number is read: %d %g", rc, v);
	rc = nsl_rec_number_or_null(&rec, "b", 1, &v, &err);
	UNIT_CHECK(rc == 0 && isnan(v), "null is NaN: %d %g", rc, v);
	v = 0;
	rc = nsl_rec_number_or_null(&rec, "z", 0, &v, &err);
	UNIT_CHECK(rc == 0 && isnan(v), "missing and optional is NaN");
	rc = nsl_rec_number_or_null(&rec, "z", 1, &v, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "\"z\"") != NULL,
	    "missing and required is an error naming it: %s", err.msg);
	rc = nsl_rec_number_or_null(&rec, "c", 1, &v, &err);
	UNIT_CHECK(rc == -1 && isnan(v), "a string is an error, v NaN");
}

int
main(void)
{
	nsl_rec_init(&rec, 0);
	test_valid();
	test_invalid();
	test_nonfinite();
	test_vector_view();
	test_typed_errors();
	test_fused_numbers();
	test_lazy_arrays();
	test_trusted();
	test_utf8_valid();
	test_strings();
	test_writer();
	test_writer_unique_keys();
	test_load_big_integers();
	test_guard();
	test_read();
	test_number_or_null();
	nsl_rec_release(&rec);
	return unit_done();
}
