/*
 * test_spool.c - lib/spool.c: records come back byte for byte, in input
 * order, from a re-read file (plain and gzip) and from the temporary copy
 * of standard input; a file that shrinks between the passes is an error.
 * Standard input that is a file is read again from where it began, with
 * no temporary file; pipes are copied as read, their last lines kept
 * apart even without a final newline.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/spool.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("spool") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

static void
put(const char *name, const char *text)
{
	FILE *fp = fopen(path(name), "w");

	fputs(text, fp);
	fclose(fp);
}

/* A pipe holding text (small: it fits the pipe's buffer); its read end. */
static int
pipe_with(const char *text, size_t n)
{
	int fd[2];

	if (pipe(fd) != 0 || write(fd[1], text, n) != (ssize_t)n)
		exit(1);
	close(fd[1]);
	return fd[0];
}

static char *
slurp(const char *name)
{
	static char buf[4096];
	FILE *fp = fopen(path(name), "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* Read inputs through a spool, keep records where pattern has '1'. */
static int
run(const char *const *inputs, size_t n, const char *pattern,
    const char *out, struct nsl_err *err)
{
	struct nsl_spool *s = nsl_spool_new();
	struct nsl_writer *w;
	struct nsl_rec rec;
	unsigned char keep[64];
	size_t i;
	int rc = -1;

	nsl_rec_init(&rec, 0);
	for (i = 0; i < n; i++) {
		if (nsl_spool_open(s, inputs[i], err) != 0)
			goto done;
		while ((rc = nsl_spool_next(s, &rec, err)) == 1)
			;
		if (rc < 0)
			goto done;
	}
	rc = -1;
	if (nsl_spool_count(s) != strlen(pattern)) {
		nsl_err_set(err, 70, "count %llu",
		    (unsigned long long)nsl_spool_count(s));
		goto done;
	}
	for (i = 0; pattern[i]; i++)
		keep[i] = pattern[i] == '1';
	if ((w = nsl_writer_open(path(out), err)) == NULL)
		goto done;
	if (nsl_spool_emit(s, keep, w, err) != 0) {
		nsl_writer_abort(w);
		goto done;
	}
	rc = nsl_writer_commit(w, err);
done:
	nsl_rec_release(&rec);
	nsl_spool_free(s);
	return rc;
}

int
main(void)
{
	const char *text = "{\"a\":1}\n\n{\"a\":2}\r\n  \n{\"a\": 3 }\n";
	const char *in1[] = { NULL }, *in2[] = { NULL, NULL };
	struct nsl_err err;
	gzFile gz;

	if ((dir = unit_tmpdir("spool")) == NULL)
		return 1;
	put("a.jsonl", text);
	in1[0] = path("a.jsonl");
	UNIT_CHECK(run(in1, 1, "101", "o1", &err) == 0 &&
	    strcmp(slurp("o1"), "{\"a\":1}\n{\"a\": 3 }\n") == 0,
	    "re-read file: blank lines skipped, lines byte for byte");
	UNIT_CHECK(run(in1, 1, "010", "o2", &err) == 0 &&
	    strcmp(slurp("o2"), "{\"a\":2}\n") == 0,
	    "CRLF: the line without its terminator");

	gz = gzopen(path("b.jsonl.gz"), "wb");
	gzputs(gz, "{\"b\":1}\n{\"b\":2}\n");
	gzclose(gz);
	in2[0] = path("a.jsonl");
	in2[1] = path("b.jsonl.gz");
	UNIT_CHECK(run(in2, 2, "00111", "o3", &err) == 0 &&
	    strcmp(slurp("o3"), "{\"a\": 3 }\n{\"b\":1}\n{\"b\":2}\n") == 0,
	    "two inputs, one of them gzip: one numbering, input order");

	/* standard input that is a file is read again like a named one */
	if (freopen(path("a.jsonl"), "r", stdin) == NULL)
		return 1;
	in2[0] = "-";
	UNIT_CHECK(run(in2, 2, "11001", "o4", &err) == 0 &&
	    strcmp(slurp("o4"), "{\"a\":1}\n{\"a\":2}\n{\"b\":2}\n") == 0,
	    "stdin (a file), then a file");

	/*
	 * Standard input that is a file, opened at its second line (as
	 * after a shell's "{ read x; nsl-prune; } < file"): read again from
	 * there, with no temporary file (TMPDIR names none).
	 */
	{
		char first[64];

		if (freopen(path("a.jsonl"), "r", stdin) == NULL ||
		    read(STDIN_FILENO, first, 8) != 8)
			return 1;
		setenv("TMPDIR", path("no-such-dir"), 1);
		in1[0] = "-";
		UNIT_CHECK(run(in1, 1, "01", "o7", &err) == 0 &&
		    strcmp(slurp("o7"), "{\"a\": 3 }\n") == 0,
		    "stdin a file: read again from its first offset, no "
		    "temporary file");
		unsetenv("TMPDIR");
		in1[0] = path("a.jsonl");
	}

	/*
	 * Two pipes, the first without a final newline, the second gzip:
	 * each copied (decompressed) as read; lines stay apart.
	 */
	{
		static const char a[] = "{\"p\":1}\n{\"p\":2}";
		char gzbuf[256], name[32];
		FILE *fp;
		size_t gn;
		int fd0, fd1;

		gz = gzopen(path("c.gz"), "wb");
		gzputs(gz, "{\"q\":1}\n{\"q\":2}\n");
		gzclose(gz);
		fp = fopen(path("c.gz"), "rb");
		gn = fread(gzbuf, 1, sizeof(gzbuf), fp);
		fclose(fp);
		fd0 = pipe_with(a, sizeof(a) - 1);
		fd1 = pipe_with(gzbuf, gn);
		if (dup2(fd0, STDIN_FILENO) < 0)
			return 1;
		close(fd0);
		snprintf(name, sizeof(name), "/dev/fd/%d", fd1);
		in2[0] = "-";
		in2[1] = name;
		UNIT_CHECK(run(in2, 2, "0111", "o8", &err) == 0 &&
		    strcmp(slurp("o8"), "{\"p\":2}\n{\"q\":1}\n"
		    "{\"q\":2}\n") == 0,
		    "pipes (one gzip, one without a final newline) come back "
		    "byte for byte, apart");
		close(fd1);
	}

	/* nothing kept: an empty output */
	UNIT_CHECK(run(in1, 1, "000", "o5", &err) == 0 &&
	    strcmp(slurp("o5"), "") == 0, "nothing kept, nothing written");

	/* a file that shrinks between the passes */
	{
		struct nsl_spool *s = nsl_spool_new();
		struct nsl_writer *w;
		struct nsl_rec rec;
		unsigned char keep[3] = { 0, 0, 1 };
		int rc;

		nsl_rec_init(&rec, 0);
		nsl_spool_open(s, path("a.jsonl"), &err);
		while (nsl_spool_next(s, &rec, &err) == 1)
			;
		put("a.jsonl", "{\"a\":1}\n");
		w = nsl_writer_open(path("o6"), &err);
		rc = nsl_spool_emit(s, keep, w, &err);
		UNIT_CHECK(rc == -1 && err.code == NSL_EX_IOERR &&
		    strstr(err.msg, "changed") != NULL,
		    "a file changed between the passes is an I/O error");
		nsl_writer_abort(w);
		nsl_rec_release(&rec);
		nsl_spool_free(s);
	}
	{
		struct nsl_spool *s = nsl_spool_new();

		UNIT_CHECK(nsl_spool_open(s, path("none"), &err) == -1 &&
		    err.code == NSL_EX_NOINPUT,
		    "a missing file cannot be opened");
		nsl_spool_free(s);
	}

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done();
}
