/*
 * test_labels.c - the one definition of "the same value" for labels and
 * groups (nsl/labels.h): keys of numbers by exact value, strings by
 * decoded text, literals for groups only; the table built on them.
 */
#include <stdlib.h>
#include <string.h>

#include "nsl/json.h"
#include "nsl/labels.h"
#include "unit.h"

/* The key of {"v":text}, or "ERROR" with the message in err. */
static const char *
key(const char *text, unsigned flags, struct nsl_err *err)
{
	static struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_buf line = NSL_BUF_INIT;
	struct nsl_rec rec;
	const char *k = "ERROR";

	nsl_buf_adds(&line, "{\"v\":");
	nsl_buf_adds(&line, text);
	nsl_buf_addc(&line, '}');
	nsl_rec_init(&rec, 0);
	nsl_err_clear(err);
	if (nsl_rec_parse(&rec, line.data, line.len, err) == 0 &&
	    nsl_labels_key_at(&rec, 0, flags, &out, err) == 0)
		k = out.data;
	nsl_rec_release(&rec);
	nsl_buf_release(&line);
	return k;
}

static int
same_key(const char *a, const char *b, unsigned flags)
{
	struct nsl_err err;
	char ka[256];

	snprintf(ka, sizeof(ka), "%s", key(a, flags, &err));
	return strcmp(ka, "ERROR") != 0 && strcmp(ka, key(b, flags, &err)) == 0;
}

int
main(void)
{
	static const struct {
		const char *a, *b;
	} same[] = {
		{ "2", "2.0" }, { "2", "2e0" }, { "2", "20e-1" },
		{ "2", "0.2E+1" }, { "2", "2.000000000000000000000000000000" },
		{ "0", "-0" }, { "0", "0.0e7" }, { "-0.0", "0" },
		{ "1e21", "1000000000000000000000" }, { "0.5", "5e-1" },
		{ "-1.25", "-125e-2" }, { "1e-7", "0.0000001" },
		{ "\"a\"", "\"\\u0061\"" }, { "\"\\/\"", "\"/\"" },
		{ "\"caf\\u00e9\"", "\"caf\xc3\xa9\"" },
		{ "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"" },
		{ "\"a\\nb\"", "\"a\\u000ab\"" },
	};
	static const struct {
		const char *a, *b;
	} differ[] = {
		{ "2", "\"2\"" }, { "2", "3" }, { "0.1", "0.10000000000000001" },
		{ "9007199254740993", "9007199254740992" },
		{ "1e400", "1e401" }, { "\"a\"", "\"A\"" }, { "\"a\"", "\"a \"" },
		{ "true", "1" }, { "null", "0" }, { "false", "\"false\"" },
		{ "true", "false" },
	};
	struct nsl_err err;
	size_t i;
	int ok;

	for (i = 0; i < sizeof(same) / sizeof(*same); i++)
		UNIT_CHECK(same_key(same[i].a, same[i].b, NSL_LABELS_LITERALS),
		    "%s and %s are one group", same[i].a, same[i].b);
	for (i = 0; i < sizeof(differ) / sizeof(*differ); i++)
		UNIT_CHECK(!same_key(differ[i].a, differ[i].b,
		    NSL_LABELS_LITERALS) || strcmp(key(differ[i].a,
		    NSL_LABELS_LITERALS, &err), "ERROR") == 0,
		    "%s and %s are two groups", differ[i].a, differ[i].b);

	/* the keys themselves: shortest text, or the exact digits */
	UNIT_CHECK(strcmp(key("2.50", 0, &err), "2.5") == 0, "2.50 -> 2.5");
	UNIT_CHECK(strcmp(key("-0", 0, &err), "0") == 0, "-0 -> 0");
	UNIT_CHECK(strcmp(key("1E21", 0, &err), "1e+21") == 0,
	    "1E21 -> 1e+21, the shortest round-trip text");
	UNIT_CHECK(strcmp(key("9007199254740993", 0, &err),
	    "9007199254740993e0") == 0, "2^53 + 1, which no double holds, "
	    "keeps its digits: 9007199254740993e0 (got %s)",
	    key("9007199254740993", 0, &err));
	UNIT_CHECK(strcmp(key("0.10000000000000001", 0, &err),
	    "10000000000000001e-17") == 0, "0.10000000000000001 keeps its "
	    "digits (got %s)", key("0.10000000000000001", 0, &err));
	UNIT_CHECK(strcmp(key("\"\\u0041\\\"\"", 0, &err), "\"A\\\"\"") == 0,
	    "strings are re-encoded as nsl_json_string writes them");
	UNIT_CHECK(strcmp(key("null", NSL_LABELS_LITERALS, &err), "null") ==
	    0 && strcmp(key("true", NSL_LABELS_LITERALS, &err), "true") == 0,
	    "null and true are groups of their own");

	/* what is refused */
	ok = strcmp(key("true", 0, &err), "ERROR") == 0 &&
	    strstr(err.msg, "field \"v\": expected a number or a string "
	    "label") != NULL;
	UNIT_CHECK(ok, "true is not a label (%s)", err.msg);
	ok = strcmp(key("[2]", NSL_LABELS_LITERALS, &err), "ERROR") == 0 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "to group by") !=
	    NULL;
	UNIT_CHECK(ok, "an array is no group (%s)", err.msg);
	ok = strcmp(key("{\"a\":1}", NSL_LABELS_LITERALS, &err), "ERROR") ==
	    0 && err.code == NSL_EX_DATAERR;
	UNIT_CHECK(ok, "an object is no group (%s)", err.msg);

	/* key of a JSON text, as a fit record's "by" value carries it */
	{
		struct nsl_buf b = NSL_BUF_INIT;

		UNIT_CHECK(nsl_labels_key_text(" 2.0 ", 5, NSL_LABELS_LITERALS,
		    &b, &err) == 0 && strcmp(b.data, "2") == 0,
		    "key of the text 2.0 is 2");
		UNIT_CHECK(nsl_labels_key_text("[", 1, NSL_LABELS_LITERALS, &b,
		    &err) != 0, "bad JSON text is an error");
		nsl_buf_release(&b);
	}

	/* a group table: one entry per key, sorted numbers, strings, rest */
	{
		static const char *const vals[] = {
			"null", "\"b\"", "2.0", "true", "2", "-1", "\"\\u0062\"",
			"false", "2e0", "null"
		};
		static const char *const want[] = {
			"-1", "2", "\"b\"", "false", "null", "true"
		};
		struct nsl_labels *t = nsl_labels_new_flags(NSL_LABELS_LITERALS);
		struct nsl_buf line = NSL_BUF_INIT;
		struct nsl_rec rec;
		size_t rank[8];

		nsl_rec_init(&rec, 0);
		for (i = 0, ok = 1; i < sizeof(vals) / sizeof(*vals); i++) {
			nsl_buf_reset(&line);
			nsl_buf_addf(&line, "{\"g\":%s}", vals[i]);
			ok = ok && nsl_rec_parse(&rec, line.data, line.len,
			    &err) == 0 && nsl_labels_add(t, &rec, "g", &err) >= 0;
		}
		UNIT_CHECK(ok && nsl_labels_count(t) == 6, "10 values, 6 "
		    "groups (got %zu)", nsl_labels_count(t));
		UNIT_CHECK(nsl_labels_sort(t, rank, &err) == 0, "sort");
		for (i = 0, ok = 1; i < 6; i++)
			ok = ok && strcmp(nsl_labels_names(t)[i], want[i]) == 0;
		UNIT_CHECK(ok, "sorted: -1 2 \"b\" false null true");
		nsl_rec_release(&rec);
		nsl_buf_release(&line);
		nsl_labels_free(t);
	}
	/*
	 * Many labels: the table grows past its first size and keeps each
	 * label's number; find follows the order of first appearance, then
	 * the sorted place.  The labels 999 ... 0 arrive in descending order,
	 * each twice, so label v is number 999 - v before the sort and v
	 * after it.
	 */
	{
		struct nsl_labels *t = nsl_labels_new();
		struct nsl_buf line = NSL_BUF_INIT;
		struct nsl_rec rec;
		size_t *rank = malloc(1000 * sizeof(*rank));
		long v, got;

		nsl_rec_init(&rec, 0);
		for (ok = 1, v = 999; v >= 0; v--)
			for (i = 0; i < 2; i++) {
				nsl_buf_reset(&line);
				nsl_buf_addf(&line, "{\"y\":%ld}", v);
				got = nsl_rec_parse(&rec, line.data, line.len,
				    &err) == 0 ? nsl_labels_add(t, &rec, "y",
				    &err) : -2;
				ok = ok && got == 999 - v;
			}
		UNIT_CHECK(ok && nsl_labels_count(t) == 1000,
		    "1000 labels twice: numbered by first appearance");
		UNIT_CHECK(nsl_labels_find(t, "7") == 992 &&
		    nsl_labels_find(t, "1000") == -1,
		    "find before the sort: the first-appearance number");
		UNIT_CHECK(rank != NULL && nsl_labels_sort(t, rank, &err) == 0 &&
		    rank[0] == 999 && rank[999] == 0 &&
		    nsl_labels_find(t, "7") == 7 &&
		    strcmp(nsl_labels_names(t)[7], "7") == 0,
		    "find after the sort: the sorted place");
		nsl_buf_reset(&line);
		nsl_buf_addf(&line, "{\"x\":1}");
		UNIT_CHECK(nsl_rec_parse(&rec, line.data, line.len, &err) == 0 &&
		    nsl_labels_add(t, &rec, "y", &err) == -1 &&
		    strstr(err.msg, "y") != NULL,
		    "a missing label field is an error naming it (%s)",
		    err.msg);
		free(rank);
		nsl_rec_release(&rec);
		nsl_buf_release(&line);
		nsl_labels_free(t);
		nsl_labels_free(NULL);
	}
	return unit_done();
}
