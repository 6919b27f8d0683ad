/*
 * Unit tests of lib/quant_filter.c through nsl/quant.h: the JSONL filter
 * (values in place, codes objects out and back, the tensor scale and the
 * search, the two passes over several files, the statistics record) and
 * the code packing.
 * Expected values are worked out by hand from the format definitions
 * (OCP FP4 E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6; int8: round(x 127/amax)).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/quant.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("qfilter") */

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static char *
get(const char *name)
{
	static char buf[65536];
	char path[256];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* A struct nsl_quant as nsl-quantize makes it for format name. */
static int
setup(struct nsl_quant *q, const char *name, int gran)
{
	struct nsl_err err;

	memset(q, 0, sizeof(*q));
	q->f32 = 1;
	q->clip = 1;
	if (nsl_quant_format_parse(&q->fmt, name, &err) != 0)
		return -1;
	nsl_quant_set_scaling(q, 0, gran);
	return nsl_quant_prepare(q, &err);
}

/* Filter in into out (files of dir); 0 or -1 with err. */
static int
run(struct nsl_quant *q, const struct nsl_quant_filter_opts *o,
    const char *in, const char *out, struct nsl_quant_stats *st,
    double *mse, struct nsl_err *err)
{
	struct nsl_quant_filter *fl;
	struct nsl_writer *w;
	char path[256];
	int rc = -1;

	nsl_err_clear(err);
	snprintf(path, sizeof(path), "%s/%s", dir, out);
	if ((w = nsl_writer_open(path, err)) == NULL)
		return -1;
	if ((fl = nsl_quant_filter_new(q, o, w, err)) == NULL) {
		nsl_writer_abort(w);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, in);
	if (nsl_quant_filter_file(fl, path, st, err) == 0 &&
	    nsl_quant_filter_finish(fl, st, mse, err) == 0 &&
	    nsl_writer_commit(w, err) == 0)
		rc = 0;
	else
		nsl_writer_abort(w);
	nsl_quant_filter_free(fl);
	return rc;
}

static void
opts(struct nsl_quant_filter_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->field = "embedding";
	o->style = NSL_NUM_DOUBLE;
}

static void
test_values_in_place(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_quant q;
	struct nsl_err err;
	double mse;
	char *got;
	int rc;

	/* fp4: 1.25 ties to 1 (even code 2), 2.9 -> 3, 100 saturates to 6;
	 * every other byte of the line, spaces included, is kept */
	put("a.jsonl", "{\"id\": \"x\",  \"embedding\" : [1.25, 2.9,100 ],"
	    "\"z\":[1]}\n");
	setup(&q, "fp4-e2m1", -1);
	opts(&o);
	rc = run(&q, &o, "a.jsonl", "a.out", NULL, &mse, &err);
	got = get("a.out");
	UNIT_CHECK(rc == 0 && got != NULL &&
	    strcmp(got, "{\"id\": \"x\",  "
	    "\"embedding\" : [1,3,6],\"z\":[1]}\n") == 0,
	    "values replace the field in place, every other byte kept (%s)",
	    err.msg);
	nsl_quant_release(&q);
}

static void
test_codes_round_trip(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_quant q, d;
	struct nsl_err err;
	double mse;
	char *got;
	int rc;

	/* int8 per row, amax 127: scale 1; codes 127, 0xff (-1), 2: base64
	 * of 7f ff 02 is "f/8C" */
	put("b.jsonl", "{\"embedding\":[127,-1,2.4]}\n");
	setup(&q, "int8", -1);
	opts(&o);
	o.emit_codes = 1;
	rc = run(&q, &o, "b.jsonl", "b.codes", NULL, &mse, &err);
	got = get("b.codes");
	UNIT_CHECK(rc == 0 && got != NULL &&
	    strcmp(got, "{\"embedding\":"
	    "{\"format\":\"int8\",\"n\":3,\"scale\":\"row\",\"codes\":"
	    "\"f/8C\",\"scales\":[1]}}\n") == 0,
	    "int8 codes object: format, n, scale, base64 codes, scales (%s)",
	    err.msg);
	memset(&d, 0, sizeof(d));
	opts(&o);
	o.decode = 1;
	rc = run(&d, &o, "b.codes", "b.back", NULL, &mse, &err);
	got = get("b.back");
	UNIT_CHECK(rc == 0 && got != NULL &&
	    strcmp(got,
	    "{\"embedding\":[127,-1,2]}\n") == 0,
	    "--decode turns the codes object back into values (%s)", err.msg);
	/* a codes object of another format than the one given */
	opts(&o);
	o.decode = 1;
	o.format_given = 1;
	setup(&d, "nf4", -1);
	rc = run(&d, &o, "b.codes", "b.x", NULL, &mse, &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 1 &&
	    strstr(err.msg, "codes of format int8, not nf4") != NULL,
	    "codes of another format are a data error at their line (%s)",
	    err.msg);
	nsl_quant_release(&d);
	nsl_quant_release(&q);
}

static void
test_tensor_and_stats(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_quant_stats st;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_quant q;
	struct nsl_err err;
	double mse = 0;
	char *got;
	int rc;

	/* one int8 scale over both records: amax 127 -> scale 1, so 1.5
	 * ties to 2 and -2.5 to -2 although their own row's amax is 2.5 */
	put("c.jsonl", "{\"embedding\":[1.5,-2.5]}\n{\"embedding\":[127]}\n");
	setup(&q, "int8", NSL_QG_TENSOR);
	opts(&o);
	memset(&st, 0, sizeof(st));
	rc = run(&q, &o, "c.jsonl", "c.out", &st, &mse, &err);
	got = get("c.out");
	UNIT_CHECK(rc == 0 && got != NULL &&
	    strcmp(got, "{\"embedding\":"
	    "[2,-2]}\n{\"embedding\":[127]}\n") == 0,
	    "--scale-by tensor keeps the records and uses one scale (%s)",
	    err.msg);
	/* errors 0.5, 0.5, 0: count 3, rows 2, mse 0.5/3 */
	UNIT_CHECK(st.count == 3 && st.rows == 2 && fabs(st.sum_e2 - 0.5) <
	    1e-12, "statistics count 3 values in 2 rows, squared error 0.5");
	nsl_quant_stats_record(&b, &q, &st, 0, 0);
	UNIT_CHECK(b.len > 0 && strncmp(b.data, "{\"format\":\"int8\","
	    "\"count\":3,\"rows\":2,\"mse\":0.16666666666666666,", 60) == 0 &&
	    b.data[b.len - 1] == '\n', "the statistics record starts "
	    "{format, count, rows, mse} and is one line (%.*s)", (int)b.len - 1,
	    b.data);
	{
		struct nsl_quant_summary sm;
		const char *bad = "{\"format\":\"int8\"}";

		UNIT_CHECK(nsl_quant_stats_parse(b.data, b.len, &sm, &err) ==
		    0 && strcmp(sm.format, "int8") == 0 && sm.count == 3 &&
		    sm.rows == 2 && sm.mse == 0.5 / 3 && sm.max_abs_error ==
		    0.5 && !sm.searched, "the statistics record reads back "
		    "(nsl_quant_stats_parse)");
		UNIT_CHECK(nsl_quant_stats_parse(bad, strlen(bad), &sm, &err)
		    == -1 && err.code == NSL_EX_DATAERR &&
		    strstr(err.msg, "count") != NULL, "a record without "
		    "\"count\" is refused, naming it (%s)", err.msg);
	}
	nsl_buf_release(&b);
	nsl_quant_release(&q);
}

/*
 * nsl_quant_filter_run over two files with column scales: the second
 * pass rereads both, and each column's scale is over both.  By hand:
 * column 0 amax 127 (scale 1: 1.5 ties to 2), column 1 amax 254 (scale
 * 2: -2 is code -1, -2), column 2 amax 127 (scale 1).
 */
static void
test_run_two_files(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_quant q;
	struct nsl_writer *w;
	struct nsl_err err;
	char p1[256], p2[256], out[256], *paths[2] = { p1, p2 };
	double mse = 0;
	char *got;
	int rc;

	put("g1.jsonl", "{\"embedding\":[1.5,-2]}\n\n");
	put("g2.jsonl", "{\"embedding\":[127,254,127],\"k\":1}\n");
	snprintf(p1, sizeof(p1), "%s/g1.jsonl", dir);
	snprintf(p2, sizeof(p2), "%s/g2.jsonl", dir);
	snprintf(out, sizeof(out), "%s/g.out", dir);
	setup(&q, "int8", NSL_QG_COLUMN);
	opts(&o);
	o.format_given = 1;
	nsl_err_clear(&err);
	rc = (w = nsl_writer_open(out, &err)) == NULL ? -1 :
	    nsl_quant_filter_run(&q, &o, paths, 2, w, &b, &mse, &err);
	if (w != NULL && (rc != 0 || nsl_writer_commit(w, &err) != 0))
		rc = -1;
	got = get("g.out");
	UNIT_CHECK(rc == 0 && got != NULL && strcmp(got, "{\"embedding\":"
	    "[2,-2]}\n{\"embedding\":[127,254,127],\"k\":1}\n") == 0,
	    "column scales over two files, read twice (%s)", err.msg);
	/* errors 0.5 and four 0: count 5, rows 2 */
	UNIT_CHECK(b.len > 0 && strncmp(b.data, "{\"format\":\"int8\","
	    "\"count\":5,\"rows\":2,\"mse\":0.05,", 43) == 0,
	    "the run adds its "
	    "statistics record (%.*s)", (int)b.len - 1, b.data);
	UNIT_CHECK(nsl_quant_filter_check(&o, 0) == NULL &&
	    (o.decode = 1, strstr(nsl_quant_filter_check(&o, 1), "--stats")
	    != NULL) && (o.decode = 0, o.format_given = 0,
	    strstr(nsl_quant_filter_check(&o, 0), "--format") != NULL),
	    "the option check names --stats with --decode, and a missing "
	    "--format");
	nsl_buf_release(&b);
	nsl_quant_release(&q);
}

static void
test_search(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_quant q;
	struct nsl_err err;
	double mse = -1;
	int rc;

	/* values on the e2m1 grid: the split e2m1 with no clipping is
	 * exact, so the search must find it with MSE 0 */
	put("d.jsonl", "{\"embedding\":[0,0.5,1,1.5,2,3,4,-6]}\n");
	setup(&q, "fp4-e2m1", -1);
	opts(&o);
	o.search = 1;
	rc = run(&q, &o, "d.jsonl", "d.out", NULL, &mse, &err);
	UNIT_CHECK(rc == 0 &&
	    strcmp(q.fmt.name, "e2m1") == 0 && q.clip == 1 && mse == 0,
	    "the search over kept records finds e2m1, clip 1, mse 0 (%s %g "
	    "%g)", q.fmt.name, q.clip, mse);
	nsl_quant_release(&q);
}

static void
test_errors(void)
{
	struct nsl_quant_filter_opts o;
	struct nsl_quant q;
	struct nsl_err err;
	double mse;
	int rc;

	put("e.jsonl", "{\"embedding\":[1]}\n{\"embedding\":[1,\"x\"]}\n");
	put("f.jsonl", "{\"x\":1}\n");
	setup(&q, "int8", -1);
	opts(&o);
	rc = run(&q, &o, "e.jsonl", "e.out", NULL, &mse, &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 2 &&
	    strstr(err.msg, "element 1: expected a number") != NULL,
	    "a string in the vector names line and element (%s)", err.msg);
	rc = run(&q, &o, "f.jsonl", "f.out", NULL, &mse, &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 1 &&
	    strstr(err.msg, "missing field \"embedding\"") != NULL,
	    "a record without the field is a data error (%s)", err.msg);
	nsl_quant_release(&q);
}

static void
test_pack(void)
{
	struct nsl_quant_format f4, f6;
	struct nsl_err err;
	const uint8_t c4[3] = { 0x2, 0x7, 0x9 }, c6[2] = { 0x3f, 0x01 };
	uint8_t p[4], u[4];

	nsl_quant_format_parse(&f4, "fp4-e2m1", &err);
	nsl_quant_format_parse(&f6, "fp6-e2m3", &err);
	/* 4-bit codes two per byte, low nibble first; an odd last one
	 * leaves the high nibble 0 */
	nsl_quant_pack(&f4, c4, 3, p);
	nsl_quant_unpack(&f4, p, 3, u);
	UNIT_CHECK(nsl_quant_packed_size(&f4, 3) == 2 && p[0] == 0x72 &&
	    p[1] == 0x09 && memcmp(u, c4, 3) == 0,
	    "4-bit codes pack two per byte, low nibble first, and unpack");
	nsl_quant_pack(&f6, c6, 2, p);
	nsl_quant_unpack(&f6, p, 2, u);
	UNIT_CHECK(nsl_quant_packed_size(&f6, 2) == 2 && p[0] == 0x3f &&
	    p[1] == 0x01 && memcmp(u, c6, 2) == 0,
	    "6-bit codes take one byte each");
}

int
main(void)
{
	char cmd[128];

	if ((dir = unit_tmpdir("qfilter")) == NULL) {
		UNIT_CHECK(0, "a temporary directory");
		return unit_done();
	}
	test_values_in_place();
	test_codes_round_trip();
	test_tensor_and_stats();
	test_search();
	test_run_two_files();
	test_errors();
	test_pack();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
