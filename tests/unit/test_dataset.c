/*
 * Unit tests of lib/dataset.c and lib/vec.c: whole record sets in memory,
 * label numbering, the messages bad sets get, BLAS distance matrices.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/dataset.h"
#include "nsl/hash.h"
#include "nsl/vec.h"
#include "unit.h"

/* The test's own directory and the input files made in it; e.jsonl is
 * left empty (test_read) */
static char *dir;	/* unit_tmpdir("ds") */
#define PATH_LEN 128	/* dir/?.jsonl (checked to fit) */
static char path_a[PATH_LEN], path_b[PATH_LEN], path_c[PATH_LEN];
static char path_e[PATH_LEN];

static void
rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
test_read(void)
{
	const char *paths[2] = { path_a, path_b };
	struct nsl_dataset ds;
	struct nsl_err err;
	int ok;

	nsl_err_clear(&err);
	rewrite(path_a, "{\"id\":0,\"embedding\":[1,2],\"label\":10}\n"
	    "\n{\"id\":1,\"embedding\":[3,4],\"label\":\"b\"}\n");
	rewrite(path_b, "{\"embedding\":[5,6.5],\"label\":2.0,\"x\":1}\n"
	    "{\"label\":\"a\",\"embedding\":[-7,8]}\n"
	    "{\"label\":2,\"embedding\":[0,0]}\n");
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 2, "embedding", "label",
	    NSL_DATASET_KEEP_LINES, &err) == 0 && ds.n == 5 && ds.d == 2,
	    "records of two files read, blank line skipped");
	UNIT_CHECK(ds.x[0] == 1 && ds.x[3] == 4 && ds.x[5] == 6.5 &&
	    ds.x[6] == -7 && ds.x[9] == 0, "vectors in one row-major matrix");
	/* distinct labels 10, "b", 2 (also as 2.0), "a": sorted numbers
	 * first by value, then strings: 2, 10, "a", "b" */
	ok = ds.nlabels == 4 && strcmp(ds.label_names[0], "2") == 0 &&
	    strcmp(ds.label_names[1], "10") == 0 &&
	    strcmp(ds.label_names[2], "\"a\"") == 0 &&
	    strcmp(ds.label_names[3], "\"b\"") == 0;
	UNIT_CHECK(ok, "labels canonical and sorted: 2, 10, \"a\", \"b\"");
	UNIT_CHECK(ds.label[0] == 1 && ds.label[1] == 3 && ds.label[2] == 0 &&
	    ds.label[3] == 2 && ds.label[4] == 0,
	    "records get their label's index; 2.0 and 2 are one label");
	UNIT_CHECK(nsl_dataset_label_index(&ds, "10") == 1 &&
	    nsl_dataset_label_index(&ds, "\"b\"") == 3 &&
	    nsl_dataset_label_index(&ds, "3") == -1,
	    "label lookup by canonical text");
	UNIT_CHECK(ds.line_off[3] < ds.line_off[4] &&
	    strncmp(ds.lines.data + ds.line_off[3],
	    "{\"label\":\"a\",\"embedding\":[-7,8]}\n",
	    ds.line_off[4] - ds.line_off[3]) == 0,
	    "kept lines are the records' own bytes");
	UNIT_CHECK(nsl_dataset_where(&ds, 1).file == 0 &&
	    nsl_dataset_where(&ds, 1).line == 3 &&
	    nsl_dataset_where(&ds, 2).file == 1 &&
	    nsl_dataset_where(&ds, 2).line == 1 &&
	    nsl_dataset_where(&ds, 4).file == 1 &&
	    nsl_dataset_where(&ds, 4).line == 3,
	    "each record knows its file and line");
	nsl_dataset_release(&ds);
	{
		/* an empty file between two: records 0-1 in a, 2-4 in b */
		const char *three[3] = { path_a, path_e, path_b };

		rewrite(path_e, "");
		UNIT_CHECK(nsl_dataset_read(&ds, three, 3, "embedding",
		    NULL, 0, &err) == 0 && ds.n == 5 &&
		    nsl_dataset_where(&ds, 1).file == 0 &&
		    nsl_dataset_where(&ds, 2).file == 2 &&
		    nsl_dataset_where(&ds, 2).line == 1 &&
		    nsl_dataset_where(&ds, 4).file == 2,
		    "an empty file between two: records 2 to 4 are the "
		    "third file's, from its line 1");
		nsl_dataset_release(&ds);
	}
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "embedding", NULL, 0,
	    &err) == 0 && ds.label == NULL && ds.lines.len == 0,
	    "no labels or lines unless asked");
	nsl_dataset_release(&ds);
}

static void
test_errors(void)
{
	const char *paths[2] = { path_a, path_b };
	struct nsl_dataset ds;
	struct nsl_err err;
	char want[200];

	rewrite(path_b, "{\"embedding\":[1,2,3]}\n");
	nsl_err_clear(&err);
	snprintf(want, sizeof(want), "field \"embedding\": 3 numbers, but "
	    "%s:1 has 2", path_a);
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 2, "embedding", NULL, 0,
	    &err) == -1 && err.code == 65 && strcmp(err.msg, want) == 0 &&
	    strcmp(err.file, path_b) == 0 && err.line == 1,
	    "vectors of two lengths: both places named");
	nsl_dataset_release(&ds);
	rewrite(path_b, "{\"embedding\":[1,2]}\n");
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 2, "embedding", "label", 0,
	    &err) == -1 && strcmp(err.msg, "missing field \"label\"") == 0 &&
	    err.line == 1, "a missing label is named with its line");
	nsl_dataset_release(&ds);
	rewrite(path_b, "{\"embedding\":[1,2],\"label\":[1]}\n");
	UNIT_CHECK(nsl_dataset_read(&ds, paths + 1, 1, "embedding", "label", 0,
	    &err) == -1 && strstr(err.msg, "expected a number or a string"),
	    "an array label is refused");
	nsl_dataset_release(&ds);
	rewrite(path_b, "\n");
	UNIT_CHECK(nsl_dataset_read(&ds, paths + 1, 1, "embedding", NULL, 0,
	    &err) == -1 && strcmp(err.msg, "no records") == 0,
	    "an empty set is an error");
	nsl_dataset_release(&ds);
	UNIT_CHECK(nsl_dataset_read(&ds, (const char *[]){ "/nonexistent" }, 1,
	    "embedding", NULL, 0, &err) == -1 && err.code == 66,
	    "a missing file is exit 66");
	nsl_dataset_release(&ds);
}

/*
 * Weights are read in the same pass as the vectors: each record's,
 * checked where it is (its line), and the set's sum.
 */
static void
test_weights(void)
{
	const char *paths[1] = { path_a };
	struct nsl_dataset ds;
	struct nsl_err err;
	char want[200];

	nsl_err_clear(&err);
	rewrite(path_a, "{\"embedding\":[1],\"w\":3}\n"
	    "{\"w\":0.5,\"embedding\":[2]}\n{\"embedding\":[3],\"w\":0}\n");
	UNIT_CHECK(nsl_dataset_read_weighted(&ds, paths, 1, "embedding", NULL,
	    "w", 0, &err) == 0 && ds.n == 3 && ds.w != NULL &&
	    ds.w[0] == 3 && ds.w[1] == 0.5 && ds.w[2] == 0,
	    "a weight per record, in order");
	nsl_dataset_release(&ds);
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "embedding", NULL, 0,
	    &err) == 0 && ds.w == NULL, "no weights unless asked");
	nsl_dataset_release(&ds);
	rewrite(path_a, "{\"embedding\":[1],\"w\":1}\n"
	    "{\"embedding\":[2],\"w\":-1}\n");
	UNIT_CHECK(nsl_dataset_read_weighted(&ds, paths, 1, "embedding", NULL,
	    "w", 0, &err) == -1 && err.code == 65 && err.line == 2 &&
	    strcmp(err.msg, "field \"w\": negative weight -1") == 0,
	    "a negative weight is named at its line: %s", err.msg);
	nsl_dataset_release(&ds);
	rewrite(path_a, "{\"embedding\":[1],\"w\":1}\n{\"embedding\":[2]}\n");
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_dataset_read_weighted(&ds, paths, 1, "embedding", NULL,
	    "w", 0, &err) == -1 && err.line == 2 &&
	    strcmp(err.msg, "missing field \"w\"") == 0,
	    "a missing weight is named at its line: %s", err.msg);
	nsl_dataset_release(&ds);
	rewrite(path_a, "{\"embedding\":[1],\"w\":\"x\"}\n");
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_dataset_read_weighted(&ds, paths, 1, "embedding", NULL,
	    "w", 0, &err) == -1 && err.line == 1 && strstr(err.msg,
	    "expected a number"), "a weight that is not a number: %s",
	    err.msg);
	nsl_dataset_release(&ds);
	rewrite(path_a, "{\"embedding\":[1],\"w\":0}\n{\"embedding\":[2],\"w\":0}\n");
	nsl_err_clear(&err);
	snprintf(want, sizeof(want), "%s: field \"w\": all weights are zero",
	    path_a);
	UNIT_CHECK(nsl_dataset_read_weighted(&ds, paths, 1, "embedding", NULL,
	    "w", 0, &err) == -1 && err.code == 65 && strcmp(err.msg, want) ==
	    0, "all weights zero: %s", err.msg);
	nsl_dataset_release(&ds);
}

static void
test_vec(void)
{
	double a[3 * 4], b[2 * 4], asq[3], bsq[2], out[6], naive, worst = 0;
	double r[3] = { 3, 4, 0 };
	size_t i, j, k;

	for (k = 0; k < 12; k++)
		a[k] = sin((double)k) * 3;
	for (k = 0; k < 8; k++)
		b[k] = cos((double)k * 1.7);
	nsl_vec_row_sqnorms(a, 3, 4, asq);
	nsl_vec_row_sqnorms(b, 2, 4, bsq);
	nsl_vec_sqdist_matrix(a, 3, asq, b, 2, bsq, 4, out);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 2; j++) {
			naive = 0;
			for (k = 0; k < 4; k++)
				naive += (a[i * 4 + k] - b[j * 4 + k]) *
				    (a[i * 4 + k] - b[j * 4 + k]);
			if (fabs(out[i * 2 + j] - naive) > worst)
				worst = fabs(out[i * 2 + j] - naive);
		}
	UNIT_CHECK(worst < 1e-12, "BLAS distance matrix equals the sum of "
	    "squared differences");
	nsl_vec_normalize_rows(r, 1, 3);
	UNIT_CHECK(r[0] == 0.6 && r[1] == 0.8 && r[2] == 0,
	    "(3,4,0) normalises to (0.6,0.8,0)");
}

/*
 * NSL_DATASET_F32: rows of numbers that are all exactly float32 (FLT_MAX,
 * the smallest subnormal 2^-149, -0, 2^24) are held in float32 and read
 * back as the same doubles; one number float32 cannot hold (0.1, 2^24 +
 * 1, 1e39), in any record, turns the whole set to double, bit-equal to a
 * read without the flag.
 */
static void
test_f32(void)
{
	const char *paths[1] = { path_a };
	struct nsl_dataset ds, dd;
	struct nsl_err err;
	double buf[2];
	const double *r;
	const char *bad[] = { "0.1", "16777217", "1e39" };
	size_t b;
	int ok;

	rewrite(path_a, "{\"e\":[1,3.4028234663852886e38]}\n"
	    "{\"e\":[1.401298464324817e-45,-0.0]}\n"
	    "{\"e\":[16777216,-2.5]}\n");
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "e", NULL, NSL_DATASET_F32,
	    &err) == 0 && ds.xf != NULL && ds.x == NULL && ds.n == 3,
	    "float32-exact numbers: rows held in float32");
	r = nsl_dataset_row(&ds, 0, buf);
	ok = r[0] == 1 && r[1] == 3.4028234663852886e38;
	r = nsl_dataset_row(&ds, 1, buf);
	ok &= r[0] == 0x1p-149 && r[1] == 0 && signbit(r[1]);
	r = nsl_dataset_row(&ds, 2, buf);
	ok &= r[0] == 16777216 && r[1] == -2.5;
	UNIT_CHECK(ok, "float32 rows read back as the numbers read (FLT_MAX, "
	    "2^-149, -0, 2^24)");
	UNIT_CHECK(nsl_dataset_to_double(&ds, &err) == 0 && ds.xf == NULL &&
	    ds.x != NULL && ds.x[1] == 3.4028234663852886e38 &&
	    ds.x[4] == 16777216, "to_double: the same numbers in x");
	nsl_dataset_release(&ds);
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "e", NULL, 0, &err) == 0 &&
	    ds.xf == NULL && ds.x != NULL, "without the flag: double rows");
	nsl_dataset_release(&ds);
	for (b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		char text[256];

		snprintf(text, sizeof(text), "{\"e\":[1,2]}\n{\"e\":[3,4]}\n"
		    "{\"e\":[5,%s]}\n{\"e\":[0.25,8]}\n", bad[b]);
		rewrite(path_a, text);
		ok = nsl_dataset_read(&ds, paths, 1, "e", NULL,
		    NSL_DATASET_F32, &err) == 0 && ds.xf == NULL &&
		    ds.x != NULL;
		ok &= nsl_dataset_read(&dd, paths, 1, "e", NULL, 0, &err) == 0 &&
		    ds.n == dd.n && memcmp(ds.x, dd.x, ds.n * ds.d *
		    sizeof(double)) == 0;
		UNIT_CHECK(ok, "%s in the third record: the set turns to double, "
		    "bit-equal to a read without the flag", bad[b]);
		nsl_dataset_release(&ds);
		nsl_dataset_release(&dd);
	}
	UNIT_CHECK(nsl_dataset_f32_exact((const double[]){ 0.5, -0.0, 1e-40 },
	    2) == 1 && nsl_dataset_f32_exact((const double[]){ 0.5, 1e-40 },
	    2) == 0, "f32_exact: 0.5 and -0 yes, 1e-40 (a float32 subnormal "
	    "holds it to 17 bits only) no");
}

/* each_line's visit: the lines seen, one after another */
static int
collect(void *arg, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	char *seen = arg;

	(void)i;
	(void)err;
	strncat(seen, line, len);
	strcat(seen, "|");
	return 0;
}

/*
 * The second pass of a spooled set gives the first pass's very lines,
 * checked by their hashes: a line rewritten in place between the passes
 * (same length, one digit changed) is an I/O error at that line, after
 * the lines before it, never a line given as if read before.
 */
static void
test_each_line(void)
{
	const char *paths[1] = { path_c };
	const char *text = "{\"e\":[1,2]}\n\n{\"e\":[3,4]}\n{\"e\":[5,6]}\n";
	struct nsl_dataset ds;
	struct nsl_err err;
	char seen[256];
	int rc;

	rewrite(path_c, text);
	seen[0] = '\0';
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "e", NULL,
	    NSL_DATASET_SPOOL, &err) == 0 && nsl_dataset_each_line(&ds,
	    collect, seen, &err) == 0 && strcmp(seen, "{\"e\":[1,2]}|"
	    "{\"e\":[3,4]}|{\"e\":[5,6]}|") == 0, "the second pass gives "
	    "the lines read, blank line skipped (got %s)", seen);
	nsl_dataset_release(&ds);

	seen[0] = '\0';
	UNIT_CHECK(nsl_dataset_read(&ds, paths, 1, "e", NULL,
	    NSL_DATASET_SPOOL, &err) == 0, "read again");
	rewrite(path_c, "{\"e\":[1,2]}\n\n{\"e\":[3,7]}\n{\"e\":[5,6]}\n");
	rc = nsl_dataset_each_line(&ds, collect, seen, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_IOERR && err.line == 3 &&
	    strstr(err.msg, "changed") != NULL &&
	    strcmp(seen, "{\"e\":[1,2]}|") == 0, "a line changed in place "
	    "between the passes: I/O error at its line 3 (got %d at %lu: %s), "
	    "after the line before it only (%s)", err.code, err.line,
	    err.msg, seen);
	nsl_dataset_release(&ds);
}

/*
 * A key field: each record's seeded hash of its id's canonical text
 * (nsl/labels.h), so 2 and 2.0 are one key and a string keeps its quotes;
 * a record without one is an error at its line.
 */
static void
test_keys(void)
{
	const char *paths[1] = { path_c };
	struct nsl_dataset_spec S;
	struct nsl_dataset ds;
	struct nsl_err err;
	int rc;

	memset(&S, 0, sizeof(S));
	S.field = "e";
	S.key_field = "id";
	S.key_seed = 9;
	rewrite(path_c, "{\"id\":\"a\",\"e\":[1]}\n{\"id\":2.0,\"e\":[2]}\n"
	    "{\"id\":true,\"e\":[3]}\n{\"id\":2,\"e\":[4]}\n");
	UNIT_CHECK(nsl_dataset_read_spec(&ds, paths, 1, &S, &err) == 0 &&
	    ds.n == 4 && ds.key_hash != NULL, "a set read with its keys");
	UNIT_CHECK(ds.key_hash[0] == nsl_hash64_seeded(9, "\"a\"", 3) &&
	    ds.key_hash[1] == nsl_hash64_seeded(9, "2", 1) &&
	    ds.key_hash[2] == nsl_hash64_seeded(9, "true", 4) &&
	    ds.key_hash[3] == ds.key_hash[1], "keys \"a\" (quoted), 2.0 as "
	    "2, true; 2 and 2.0 one key");
	nsl_dataset_release(&ds);
	rewrite(path_c, "{\"id\":1,\"e\":[1]}\n{\"e\":[2]}\n");
	rc = nsl_dataset_read_spec(&ds, paths, 1, &S, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR && err.line == 2 &&
	    strstr(err.msg, "\"id\"") != NULL, "no id: an error at line 2 "
	    "naming the field (got %d at %lu: %s)", err.code, err.line,
	    err.msg);
	nsl_dataset_release(&ds);
}

/* Rows moved by a permutation, then back by its inverse (by hand). */
static void
test_permute(void)
{
	int x[5][2] = { { 0, 10 }, { 1, 11 }, { 2, 12 }, { 3, 13 },
	    { 4, 14 } };
	const size_t perm[5] = { 3, 0, 4, 1, 2 };
	const int want[5] = { 3, 0, 4, 1, 2 };
	int i, ok = 1;

	UNIT_CHECK(nsl_dataset_permute_rows(x, 5, sizeof(x[0]), perm, 0) == 0,
	    "permute");
	for (i = 0; i < 5; i++)
		ok &= x[i][0] == want[i] && x[i][1] == want[i] + 10;
	UNIT_CHECK(ok, "row i holds old row perm[i]: 3 0 4 1 2 (got %d %d %d "
	    "%d %d)", x[0][0], x[1][0], x[2][0], x[3][0], x[4][0]);
	UNIT_CHECK(nsl_dataset_permute_rows(x, 5, sizeof(x[0]), perm, 1) == 0,
	    "permute back");
	for (ok = 1, i = 0; i < 5; i++)
		ok &= x[i][0] == i && x[i][1] == i + 10;
	UNIT_CHECK(ok, "the inverse puts every row back");
	/* the inverse alone: row perm[i] holds old row i, so row 3 holds
	   0, row 0 holds 1, row 4 holds 2, row 1 holds 3, row 2 holds 4 */
	{
		const int inv[5] = { 1, 3, 4, 0, 2 };
		const size_t p2[5] = { 0, 2, 1, 3, 4 };	/* fixed points */

		UNIT_CHECK(nsl_dataset_permute_rows(x, 5, sizeof(x[0]), perm,
		    1) == 0, "permute by the inverse");
		for (ok = 1, i = 0; i < 5; i++)
			ok &= x[i][0] == inv[i] && x[i][1] == inv[i] + 10;
		UNIT_CHECK(ok, "inverse: rows 1 3 4 0 2 (got %d %d %d %d %d)",
		    x[0][0], x[1][0], x[2][0], x[3][0], x[4][0]);
		nsl_dataset_permute_rows(x, 5, sizeof(x[0]), p2, 0);
		UNIT_CHECK(x[0][0] == 1 && x[1][0] == 4 && x[2][0] == 3 &&
		    x[3][0] == 0 && x[4][0] == 2, "a swap among fixed rows: "
		    "1 4 3 0 2");
	}
}

int
main(void)
{
	if ((dir = unit_tmpdir("ds")) == NULL ||
	    strlen(dir) + sizeof("/a.jsonl") > PATH_LEN)
		return 1;
	snprintf(path_a, sizeof(path_a), "%s/a.jsonl", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.jsonl", dir);
	snprintf(path_c, sizeof(path_c), "%s/c.jsonl", dir);
	snprintf(path_e, sizeof(path_e), "%s/e.jsonl", dir);
	test_read();
	test_errors();
	test_weights();
	test_vec();
	test_f32();
	test_each_line();
	test_keys();
	test_permute();
	unlink(path_a);
	unlink(path_b);
	unlink(path_c);
	unlink(path_e);
	rmdir(dir);
	return unit_done();
}
