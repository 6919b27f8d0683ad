/*
 * Unit tests of lib/convert.c through nsl/convert.h: the format names and
 * the guess from a file name, nsl_convert_check, and conversions between
 * JSONL, CSV and .npy on small files written here, whose expected output
 * is worked out by hand (the .npy header layout from NumPy's format
 * description, NEP 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/convert.h"
#include "nsl/io.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("convert") */

static void
put(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	fwrite(p, 1, n, fp);
	fclose(fp);
}

/* The whole of file name (NUL-terminated; *n its length), or NULL. */
static char *
get(const char *name, size_t *n)
{
	static char buf[65536];
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	*n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[*n] = '\0';
	fclose(fp);
	return buf;
}

static void
defaults(struct nsl_convert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->field = "embedding";
	o->label_field = "label";
	o->id_field = "id";
	o->dtype = NSL_NPY_F8;
	o->to = NSL_FMT_JSONL;
}

/* Convert the inputs (in dir) to out (in dir) under o; 0 or -1 with err. */
static int
convert(const struct nsl_convert_opts *o, const char *const *in,
    const char *out, struct nsl_err *err)
{
	struct nsl_convert *c;
	struct nsl_writer *w;
	char path[256];
	int rc = -1;

	nsl_err_clear(err);
	snprintf(path, sizeof(path), "%s/%s", dir, out);
	if ((w = nsl_writer_open(path, err)) == NULL)
		return -1;
	if ((c = nsl_convert_new(o, w, err)) == NULL) {
		nsl_writer_abort(w);
		return -1;
	}
	for (; *in != NULL; in++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *in);
		if (nsl_convert_file(c, path, err) != 0)
			goto out;
	}
	if (nsl_convert_finish(c, err) == 0 && nsl_writer_commit(w, err) == 0)
		rc = 0;
out:
	if (rc != 0)
		nsl_writer_abort(w);
	nsl_convert_free(c);
	return rc;
}

static void
test_names(void)
{
	static const struct {
		const char *path;
		enum nsl_convert_format f;
	} guesses[] = {
		{ "a.npy", NSL_FMT_NPY }, { "dir.x/a.csv.gz", NSL_FMT_CSV },
		{ "runs.jsonl", NSL_FMT_JSONL }, { "r.json", NSL_FMT_JSONL },
		{ "r.ndjson.gz", NSL_FMT_JSONL },
		{ "train-images-idx3-ubyte.gz", NSL_FMT_IDX },
		{ "t10k-labels.idx1-ubyte", NSL_FMT_IDX },
		{ "notes.txt", NSL_FMT_AUTO }, { "-", NSL_FMT_AUTO },
		{ "npy", NSL_FMT_AUTO },
		{ "model.safetensors", NSL_FMT_SAFETENSORS },
		{ "m.safetensors.gz", NSL_FMT_SAFETENSORS },
	};
	size_t i;
	int ok = 1;

	for (i = 0; nsl_convert_format_names[i] != NULL; i++)
		ok &= nsl_convert_format_parse(nsl_convert_format_names[i]) !=
		    NSL_FMT_AUTO;
	ok &= nsl_convert_format_parse("json") == NSL_FMT_JSONL &&
	    nsl_convert_format_parse("xml") == NSL_FMT_AUTO &&
	    nsl_convert_format_parse("auto") == NSL_FMT_AUTO;
	for (i = NSL_FMT_JSONL; i <= NSL_FMT_SAFETENSORS; i++)
		ok &= nsl_convert_format_parse(nsl_convert_format_name(
		    (enum nsl_convert_format)i)) == (enum nsl_convert_format)i;
	UNIT_CHECK(ok, "every format name parses, json is jsonl, names and "
	    "enums go both ways");
	ok = 1;
	for (i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++)
		if (nsl_convert_format_guess(guesses[i].path) != guesses[i].f) {
			ok = 0;
			printf("# guess %s: %d\n", guesses[i].path,
			    nsl_convert_format_guess(guesses[i].path));
		}
	ok &= nsl_convert_format_guess(NULL) == NSL_FMT_AUTO;
	UNIT_CHECK(ok, "formats from file names: .npy .csv .jsonl .json "
	    ".ndjson, MNIST's IDX names, .gz after any; none for the rest");
}

static void
test_check(void)
{
	struct nsl_convert_opts o;
	const char *m;

	defaults(&o);
	UNIT_CHECK(nsl_convert_check(&o) == NULL, "the defaults pass");
	o.id_field = "embedding";
	m = nsl_convert_check(&o);
	UNIT_CHECK(m != NULL && strstr(m, "id, vector and label fields") &&
	    strstr(m, "--") == NULL, "an id field named as the vector field "
	    "is refused, naming the parameters, not the flags (%s)",
	    m ? m : "NULL");
	defaults(&o);
	o.label_field = "embedding";
	UNIT_CHECK(nsl_convert_check(&o) != NULL, "a label field named as "
	    "the vector field is refused");
	defaults(&o);
	o.to = NSL_FMT_IDX;
	m = nsl_convert_check(&o);
	UNIT_CHECK(m != NULL && strstr(m, "output format idx"),
	    "IDX is refused as an output format (%s)", m ? m : "NULL");
	defaults(&o);
	o.to = NSL_FMT_NPY;
	o.from = NSL_FMT_IDX;
	UNIT_CHECK(nsl_convert_check(&o) == NULL, "IDX in, npy out passes");
}

static void
test_jsonl_csv(void)
{
	static const char in[] =
	    "{\"embedding\":[1,2.5],\"name\":\"a,\\\"b\\\"\",\"y\":null}\n"
	    "{\"embedding\":[-0,1e-7],\"name\":\"c\",\"y\":3}\n";
	/* by hand: "id" first (the row number), as the records have none;
	 * the vector as embedding_0, embedding_1; strings quoted, quotes
	 * doubled (RFC 4180); null an empty cell */
	static const char csv[] = "id,embedding_0,embedding_1,name,y\n"
	    "0,1,2.5,\"a,\"\"b\"\"\",\n"
	    "1,-0,1e-7,\"c\",3\n";
	const char *const ins[] = { "in.jsonl", NULL };
	const char *const back[] = { "out.csv", NULL };
	struct nsl_convert_opts o;
	struct nsl_err err;
	char *got;
	size_t n;
	int rc;

	put("in.jsonl", in, sizeof(in) - 1);
	defaults(&o);
	o.to = NSL_FMT_CSV;
	rc = convert(&o, ins, "out.csv", &err);
	got = get("out.csv", &n);
	UNIT_CHECK(rc == 0 && got != NULL && strcmp(got, csv) == 0,
	    "JSONL to CSV: id column, vector columns, quoting, null (%s)",
	    err.msg);
	defaults(&o);
	rc = convert(&o, back, "back.jsonl", &err);
	got = get("back.jsonl", &n);
	UNIT_CHECK(rc == 0 && got != NULL && strcmp(got,
	    "{\"id\":0,\"embedding\":[1,2.5],\"name\":\"a,\\\"b\\\"\","
	    "\"y\":null}\n"
	    "{\"id\":1,\"embedding\":[-0,1e-7],\"name\":\"c\","
	    "\"y\":3}\n") == 0, "CSV back to JSONL gives the records, the "
	    "vector gathered at its first column's place (%s)", err.msg);
}

static void
test_npy(void)
{
	static const char in[] = "{\"embedding\":[0.5,-2]}\n"
	    "{\"embedding\":[3,1e300]}\n";
	/* NEP 1 version 1.0: magic, version, header length (little endian),
	 * the header dict padded with spaces to a multiple of 64 bytes in
	 * all, ending in a newline; then 2 x 2 little-endian doubles */
	static const char hdr[] = "{'descr': '<f8', 'fortran_order': False, "
	    "'shape': (2, 2), }";
	const char *const ins[] = { "v.jsonl", NULL };
	const char *const back[] = { "x.npy", NULL };
	const double vals[4] = { 0.5, -2, 3, 1e300 };
	struct nsl_convert_opts o;
	struct nsl_err err;
	char *got;
	size_t n, hl;
	int ok;

	put("v.jsonl", in, sizeof(in) - 1);
	defaults(&o);
	o.to = NSL_FMT_NPY;
	ok = convert(&o, ins, "x.npy", &err) == 0 &&
	    (got = get("x.npy", &n)) != NULL;
	if (ok) {
		hl = (unsigned char)got[8] | (unsigned)(unsigned char)got[9] << 8;
		ok = memcmp(got, "\x93NUMPY\x01\x00", 8) == 0 &&
		    (10 + hl) % 64 == 0 && n == 10 + hl + sizeof(vals) &&
		    strncmp(got + 10, hdr, sizeof(hdr) - 1) == 0 &&
		    got[10 + hl - 1] == '\n' &&
		    memcmp(got + 10 + hl, vals, sizeof(vals)) == 0;
	}
	UNIT_CHECK(ok, "JSONL to .npy: a version 1.0 header for (2, 2) <f8, "
	    "then the doubles bit for bit (%s)", err.msg);
	defaults(&o);
	ok = convert(&o, back, "back.jsonl", &err) == 0;
	got = get("back.jsonl", &n);
	UNIT_CHECK(ok && got != NULL && strcmp(got,
	    "{\"id\":0,\"embedding\":[0.5,-2]}\n"
	    "{\"id\":1,\"embedding\":[3,1e+300]}\n") == 0,
	    ".npy back to JSONL, with row numbers (%s)", err.msg);
}

static void
test_errors(void)
{
	static const char ragged[] = "{\"embedding\":[1,2]}\n"
	    "{\"embedding\":[1,2]}\n{\"embedding\":[1]}\n";
	const char *const ins[] = { "ragged.jsonl", NULL };
	const char *const none[] = { "nothing.jsonl", NULL };
	const char *const missing[] = { "no-such.jsonl", NULL };
	struct nsl_convert_opts o;
	struct nsl_err err;
	int rc;

	put("ragged.jsonl", ragged, sizeof(ragged) - 1);
	put("nothing.jsonl", "", 0);
	defaults(&o);
	o.to = NSL_FMT_NPY;
	rc = convert(&o, ins, "r.npy", &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 3 &&
	    strstr(err.file, "ragged.jsonl") != NULL,
	    "a vector of another length is a data error at its line (%s:%lu: "
	    "%s)", err.file, err.line, err.msg);
	defaults(&o);
	rc = convert(&o, none, "n.jsonl", &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "no records"),
	    "an input without records is an error (%s)", err.msg);
	rc = convert(&o, missing, "m.jsonl", &err);
	UNIT_CHECK(rc == -1 &&
	    err.code == NSL_EX_NOINPUT, "a missing input is exit 66 (%s)",
	    err.msg);
}

int
main(void)
{
	char cmd[128];

	if ((dir = unit_tmpdir("convert")) == NULL) {
		UNIT_CHECK(0, "a temporary directory");
		return unit_done();
	}
	test_names();
	test_check();
	test_jsonl_csv();
	test_npy();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
