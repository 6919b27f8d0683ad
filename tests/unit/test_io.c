/*
 * Unit tests of lib/io.c: lines of any length, CRLF, gzip in and out,
 * truncated gzip detection, atomic output; a pipe told gzip or text by
 * its first two bytes, which arrive one at a time, and kept for the
 * reading.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("io") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

static void
put_file(const char *name, const char *data, size_t n)
{
	FILE *f = fopen(path(name), "wb");

	fwrite(data, 1, n, f);
	fclose(f);
}

static void
put_gz(const char *name, const char *data, size_t n)
{
	gzFile g = gzopen(path(name), "wb");

	gzwrite(g, data, (unsigned)n);
	gzclose(g);
}

static int
count_entries(void)
{
	char cmd[300];
	FILE *p;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	while ((c = fgetc(p)) != EOF)
		;
	pclose(p);
	return n;
}

/* Read every line of name into one string joined by '|'. */
static int
read_joined(const char *name, char *out, size_t n, struct nsl_err *err)
{
	struct nsl_reader *r;
	const char *line;
	size_t len, used = 0;
	int rc;

	if ((r = nsl_reader_open(path(name), err)) == NULL)
		return -1;
	out[0] = '\0';
	while ((rc = nsl_reader_getline(r, &line, &len, err)) == 1) {
		used += (size_t)snprintf(out + used, n - used, "%s%.*s",
		    used ? "|" : "", (int)len, line);
	}
	nsl_reader_close(r);
	return rc;
}

static void
test_lines(void)
{
	struct nsl_err err;
	char out[256];

	nsl_err_clear(&err);
	put_file("a", "one\ntwo\r\n\nlast", 15);
	UNIT_CHECK(read_joined("a", out, sizeof(out), &err) == 0 &&
	    strcmp(out, "one|two||last") == 0,
	    "lines split on LF, CR of CRLF dropped, last line without LF kept");
	put_gz("a.gz", "x\ny\n", 4);
	UNIT_CHECK(read_joined("a.gz", out, sizeof(out), &err) == 0 &&
	    strcmp(out, "x|y") == 0, "gzip input read transparently");
	put_file("empty", "", 0);
	UNIT_CHECK(read_joined("empty", out, sizeof(out), &err) == 0 &&
	    out[0] == '\0', "empty file gives no lines");
}

static void
test_long_line(void)
{
	size_t n = 3 * 1000 * 1000 + 17, len;
	char *big = malloc(n + 3);
	struct nsl_reader *r;
	struct nsl_err err;
	const char *line;
	int ok;

	memset(big, 'q', n);
	memcpy(big + n, "\nz", 2);
	put_file("long", big, n + 2);
	r = nsl_reader_open(path("long"), &err);
	ok = nsl_reader_getline(r, &line, &len, &err) == 1 && len == n &&
	    line[0] == 'q' && line[n - 1] == 'q' && line[n] == '\0';
	UNIT_CHECK(ok, "a 3 MB line is read whole");
	ok = nsl_reader_getline(r, &line, &len, &err) == 1 && len == 1 &&
	    line[0] == 'z' && nsl_reader_lineno(r) == 2 &&
	    nsl_reader_offset(r) == n + 1;
	UNIT_CHECK(ok, "line number and byte offset after a long line");
	nsl_reader_close(r);
	free(big);
}

static void
test_truncated_gz(void)
{
	char data[20000], out[40000];
	struct nsl_err err;
	FILE *f;
	long sz;
	char *gz;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (i % 50 == 49) ? '\n' : (char)('a' + (i * 7) % 26);
	put_gz("t.gz", data, sizeof(data));
	f = fopen(path("t.gz"), "rb");
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	gz = malloc((size_t)sz);
	if (fread(gz, 1, (size_t)sz, f) != (size_t)sz)
		sz = 0;
	fclose(f);
	put_file("cut.gz", gz, (size_t)sz / 2);
	nsl_err_clear(&err);
	UNIT_CHECK(read_joined("cut.gz", out, sizeof(out), &err) == -1 &&
	    err.code == NSL_EX_IOERR && strstr(err.msg, "truncated") != NULL,
	    "a gzip file cut in half is an I/O error, not a short read");
	/* 400 lines of 50 bytes; half the compressed bytes hold more than
	 * the first line, so the error names a later one */
	UNIT_CHECK(err.line > 1 && err.line <= 400,
	    "the truncation is reported at the line where data stops");
	gz[sz / 2] ^= 0x55;
	put_file("bad.gz", gz, (size_t)sz);
	nsl_err_clear(&err);
	UNIT_CHECK(read_joined("bad.gz", out, sizeof(out), &err) == -1 &&
	    err.code == NSL_EX_IOERR, "corrupt gzip data is an I/O error");
	UNIT_CHECK(strstr(err.msg, "corrupt gzip data (") == err.msg &&
	    strstr(err.msg, "<fd:") == NULL && strstr(err.file, "bad.gz") !=
	    NULL && err.line >= 1, "corrupt gzip data names the file and a "
	    "line, not zlib's <fd:N> (%s:%lu: %s)", err.file, err.line,
	    err.msg);
	/* binary reads have no lines: the byte where the data stopped */
	{
		struct nsl_reader *r = nsl_reader_open(path("cut.gz"), &err);
		gzFile g = gzopen(path("cut.gz"), "rb");
		long got = 0, n;

		/* what zlib decodes before the cut, read byte by byte */
		while (g != NULL && gzread(g, out, 1) == 1)
			got++;
		if (g != NULL)
			gzclose(g);
		nsl_err_clear(&err);
		while (r != NULL && (n = nsl_reader_read(r, out, 1000,
		    &err)) > 0)
			;
		UNIT_CHECK(r != NULL && err.code == NSL_EX_IOERR &&
		    err.line == 0 && strstr(err.file, "cut.gz") != NULL,
		    "a binary read of a cut gzip file is an I/O error at the "
		    "file, no line (%s:%lu)", err.file, err.line);
		snprintf(out, sizeof(out), "after byte %ld of the data", got);
		UNIT_CHECK(strstr(err.msg, out) != NULL, "and says after "
		    "which byte the data stopped: %ld (%s)", got, err.msg);
		nsl_reader_close(r);
	}
	free(gz);
}

static void
test_open_errors(void)
{
	struct nsl_err err;

	nsl_err_clear(&err);
	UNIT_CHECK(nsl_reader_open(path("missing"), &err) == NULL &&
	    err.code == NSL_EX_NOINPUT, "missing input is exit 66");
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_reader_open(dir, &err) == NULL &&
	    err.code == NSL_EX_NOINPUT && strstr(err.msg, "directory"),
	    "a directory is refused at open");
}

/* Lines built in the writer's buffer, across its flushes. */
static void
test_writer_space(void)
{
	struct nsl_writer *w;
	struct nsl_reader *r;
	struct nsl_err err;
	const char *line;
	size_t len, nlong = 0, nother = 0;
	char *p;
	int i, ok = 1;

	w = nsl_writer_open(path("space.jsonl"), &err);
	nsl_writer_write(w, "a\n", 2, &err);
	ok &= nsl_writer_space(w, 4, &p, &err) == 0 && p != NULL;
	memcpy(p, "bc\nJUNK", 4);
	nsl_writer_advance(w, 3);	/* the fourth byte is not output */
	UNIT_CHECK(nsl_writer_space(w, (size_t)1 << 30, &p, &err) == 1 &&
	    p == NULL, "nsl_writer_space refuses more than it buffers");
	for (i = 0; i < 100; i++) {	/* 500 kB: the buffer flushes */
		ok &= nsl_writer_space(w, 6000, &p, &err) == 0;
		memset(p, 'x', 4999);
		p[4999] = '\n';
		nsl_writer_advance(w, 5000);
	}
	nsl_writer_write(w, "z\n", 2, &err);
	ok &= nsl_writer_commit(w, &err) == 0;
	if ((r = nsl_reader_open(path("space.jsonl"), &err)) != NULL) {
		while (nsl_reader_getline(r, &line, &len, &err) == 1) {
			if (len == 4999 && line[0] == 'x' && line[4998] == 'x')
				nlong++;
			else if ((nother == 0 && len == 1 && line[0] == 'a') ||
			    (nother == 1 && len == 2 && memcmp(line, "bc",
			    2) == 0) || (nother == 2 && nlong == 100 &&
			    len == 1 && line[0] == 'z'))
				nother++;
			else
				ok = 0;
		}
		nsl_reader_close(r);
	} else
		ok = 0;
	UNIT_CHECK(ok && nlong == 100 && nother == 3,
	    "bytes added by nsl_writer_advance come out in order");
}

static void
test_writer(void)
{
	struct nsl_writer *w;
	struct nsl_err err;
	char out[256];
	int before;

	before = count_entries();
	w = nsl_writer_open(path("out.jsonl"), &err);
	nsl_writer_write(w, "a\nb\n", 4, &err);
	UNIT_CHECK(access(path("out.jsonl"), F_OK) != 0 &&
	    count_entries() == before + 1,
	    "output appears only as a temporary file before commit");
	UNIT_CHECK(nsl_writer_commit(w, &err) == 0 &&
	    read_joined("out.jsonl", out, sizeof(out), &err) == 0 &&
	    strcmp(out, "a|b") == 0 && count_entries() == before + 1,
	    "commit renames the temporary file into place");
	w = nsl_writer_open(path("gone.jsonl"), &err);
	nsl_writer_write(w, "x\n", 2, &err);
	nsl_writer_abort(w);
	UNIT_CHECK(access(path("gone.jsonl"), F_OK) != 0 &&
	    count_entries() == before + 1, "abort leaves nothing behind");
	w = nsl_writer_open(path("cleanup.jsonl"), &err);
	nsl_io_cleanup();
	UNIT_CHECK(count_entries() == before + 1,
	    "nsl_io_cleanup removes pending temporary files");
	nsl_writer_abort(w);
	w = nsl_writer_open(path("z.jsonl.gz"), &err);
	nsl_writer_write(w, "gz\nok\n", 6, &err);
	UNIT_CHECK(nsl_writer_commit(w, &err) == 0 &&
	    read_joined("z.jsonl.gz", out, sizeof(out), &err) == 0 &&
	    strcmp(out, "gz|ok") == 0, "a .gz output is gzip and reads back");
	{
		struct nsl_reader *r = nsl_reader_open(path("z.jsonl.gz"),
		    &err);
		const char *line;
		size_t len;

		nsl_reader_getline(r, &line, &len, &err);
		UNIT_CHECK(nsl_reader_is_gzip(r), "the .gz output is compressed");
		nsl_reader_close(r);
	}
	{
		struct stat st;

		w = nsl_writer_open("/dev/null", &err);
		nsl_writer_write(w, "x\n", 2, &err);
		UNIT_CHECK(nsl_writer_commit(w, &err) == 0 &&
		    stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
		    "a device is written directly, never renamed over");
		w = nsl_writer_open("/dev/full", &err);
		nsl_writer_write(w, "x\n", 2, &err);
		UNIT_CHECK(nsl_writer_commit(w, &err) == -1 &&
		    err.code == NSL_EX_IOERR &&
		    strcmp(err.file, "/dev/full") == 0,
		    "a write error on commit is exit 74 naming the output");
	}
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_writer_open("/nonexistent-dir/x", &err) == NULL &&
	    err.code == NSL_EX_IOERR, "an unwritable directory is exit 74");
}

/*
 * The toolkit's one non-finite check: a line holding a NaN or Infinity
 * that a number writer wrote is refused by the writer itself.
 */
static void
test_writer_nonfinite(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_obj o;
	struct nsl_err err;
	char out[256], *p;
	int rc, before = count_entries();
	size_t i;

	nsl_buf_adds(&b, "{\"id\":1}\n{\"id\":2}\n");
	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "id");
	nsl_obj_integer(&o, 3);
	nsl_obj_key(&o, "score");
	nsl_obj_number(&o, 1e308 * 10);
	nsl_obj_end(&o);
	nsl_buf_adds(&b, "{\"id\":4}\n");
	w = nsl_writer_open(path("inf.jsonl"), &err);
	nsl_writer_write(w, "{\"id\":0}\n", 9, &err);
	nsl_err_clear(&err);
	rc = nsl_writer_write(w, b.data, b.len, &err);
	UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR && err.line == 4 &&
	    strcmp(err.file, path("inf.jsonl")) == 0 && strcmp(err.msg,
	    "field \"score\": value out of range (Infinity is not a JSON "
	    "number)") == 0, "a line with Infinity is refused, naming the "
	    "output line and field: %s:%lu: %s", err.file, err.line, err.msg);
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_writer_write(w, "{}\n", 3, &err) == -1 &&
	    err.line == 4 && nsl_writer_commit(w, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && access(path("inf.jsonl"), F_OK) != 0
	    && count_entries() == before,
	    "the refusal sticks: later writes and commit fail, no file left");

	/* the same through nsl_writer_space and nsl_writer_advance */
	w = nsl_writer_open(path("adv.jsonl"), &err);
	for (i = 0; i < 3; i++) {
		nsl_writer_space(w, b.len, &p, &err);
		memcpy(p, b.data, i == 2 ? b.len : 9);	/* two clean lines */
		nsl_writer_advance(w, i == 2 ? b.len : 9);
	}
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_writer_space(w, 4, &p, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && err.line == 5 &&
	    nsl_writer_commit(w, &err) == -1 && count_entries() == before,
	    "nsl_writer_advance keeps a refused line out; the next call and "
	    "commit report it (line %lu)", err.line);

	nsl_json_allow_nonfinite(1);
	w = nsl_writer_open(path("ok.jsonl"), &err);
	rc = nsl_writer_write(w, b.data, b.len, &err);
	UNIT_CHECK(rc == 0 && nsl_writer_commit(w, &err) == 0 &&
	    read_joined("ok.jsonl", out, sizeof(out), &err) == 0 &&
	    strstr(out, "\"score\":Infinity") != NULL,
	    "--allow-nonfinite (nsl_json_allow_nonfinite) lets it through");
	nsl_json_allow_nonfinite(0);
	unlink(path("ok.jsonl"));
	nsl_buf_release(&b);
}

/* data[0..n) as one gzip member made by zlib into out (cap); its length */
static size_t
gzip_bytes(const char *data, size_t n, unsigned char *out, size_t cap)
{
	z_stream s;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 6, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	s.next_in = (unsigned char *)(uintptr_t)data;
	s.avail_in = (unsigned)n;
	s.next_out = out;
	s.avail_out = (unsigned)cap;
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		exit(1);
	deflateEnd(&s);
	return (size_t)(s.next_out - out);
}

/*
 * data[0..n) written into a pipe by a child, its first byte alone and
 * the rest a moment later; the reader's answer to nsl_reader_is_gzip,
 * asked first, in *gz, and its lines joined by '|' in out: getline's
 * last return.
 */
static int
read_pipe(const void *data, size_t n, int *gz, char *out, size_t cap,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	const char *line;
	size_t len, used = 0;
	int p[2], rc, status;
	pid_t pid;

	if (pipe(p) != 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		close(p[0]);
		if (n > 0 && write(p[1], data, 1) != 1)
			_exit(1);
		usleep(20000);
		if (n > 1 && write(p[1], (const char *)data + 1, n - 1) !=
		    (ssize_t)(n - 1))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if ((r = nsl_reader_open_fd(p[0], "pipe", err)) == NULL)
		exit(1);
	*gz = nsl_reader_is_gzip(r);
	out[0] = '\0';
	while ((rc = nsl_reader_getline(r, &line, &len, err)) == 1)
		used += (size_t)snprintf(out + used, cap - used, "%s%.*s",
		    used ? "|" : "", (int)len, line);
	nsl_reader_close(r);
	if (waitpid(pid, &status, 0) != pid)
		exit(1);
	return rc;
}

static void
test_pipes(void)
{
	unsigned char z[256];
	struct nsl_err err;
	char out[256];
	size_t zn;
	int gz, rc;

	nsl_err_clear(&err);
	rc = read_pipe("", 0, &gz, out, sizeof(out), &err);
	UNIT_CHECK(rc == 0 && !gz && out[0] == '\0', "an empty pipe: text, "
	    "no lines");
	rc = read_pipe("\x1f", 1, &gz, out, sizeof(out), &err);
	UNIT_CHECK(rc == 0 && !gz && strcmp(out, "\x1f") == 0, "a pipe of "
	    "one byte, gzip's first: text, that byte");
	rc = read_pipe("a\nbc", 4, &gz, out, sizeof(out), &err);
	UNIT_CHECK(rc == 0 && !gz && strcmp(out, "a|bc") == 0, "a pipe of "
	    "text: its lines, the first byte kept (%s)", out);
	zn = gzip_bytes("x\ny\n", 4, z, sizeof(z));
	rc = read_pipe(z, zn, &gz, out, sizeof(out), &err);
	UNIT_CHECK(rc == 0 && gz && strcmp(out, "x|y") == 0, "a pipe of "
	    "zlib's gzip, its magic split across two reads: gzip, its lines");
	nsl_err_clear(&err);
	rc = read_pipe("\x1f\x8b", 2, &gz, out, sizeof(out), &err);
	UNIT_CHECK(rc == -1 && gz && err.code == NSL_EX_IOERR &&
	    strstr(err.msg, "truncated gzip data") != NULL, "a pipe of "
	    "gzip's magic alone: gzip, truncated (%s)", err.msg);
}

int
main(void)
{
	char cmd[300];

	if ((dir = unit_tmpdir("io")) == NULL)
		return 1;
	test_lines();
	test_long_line();
	test_truncated_gz();
	test_pipes();
	test_open_errors();
	test_writer();
	test_writer_space();
	test_writer_nonfinite();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
