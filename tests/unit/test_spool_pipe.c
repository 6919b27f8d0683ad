/*
 * test_spool_pipe.c - lib/spool.c and lib/io.c on pipes of several
 * megabytes: the reader's read-ahead thread (blocks of 256 KB, four
 * queued, an unfinished line carried over from one block to the next,
 * lines longer than a block) and the second pass by offsets (runs of
 * kept lines read at once, long dropped stretches skipped, lines longer
 * than the 1 MB window).  The expected output is the kept records' lines
 * as the test wrote them, CR and blank lines left out: by construction.
 * Also: an empty pipe; gzip through a pipe; a truncated gzip stream
 * reported in the same words and at the same line as from a file; a
 * failed copy; closing early while the producer keeps a pipe open and
 * quiet returns at once; a spool visited once (nsl_spool_once) freeing
 * its copy behind the pass, on a pipe long enough (the input REPS
 * times) that the freeing runs while the pass still reads, the same
 * lines back, and a second visit refused.
 *
 * The copy is kept in memory up to a budget, in a temporary file past
 * it (NSL_SPOOL_MEMORY): the pipe checks run with it all in memory (the
 * default), all in the file (0), and split at 2 MB and at 777,777 bytes,
 * so that a line starts in memory and ends in the file (the 3 MB line,
 * or a short one).  With no usable TMPDIR, a pipe that fits the budget
 * is read whole, one that does not fails naming TMPDIR; a budget that
 * is not a size is a usage error.  Piped number text is kept packed
 * (about half its bytes), letters as they are.  A gzip file is copied
 * while its copy fits in memory, else read again: alone, as standard
 * input, after a pipe and before one, and a dropped copy followed by a
 * kept one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "nsl/buf.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/spool.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("spool-pipe") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

/*
 * The test input: records of many lengths.  Record i's line is
 * {"i":i,"s":"xxx..."} with a pad length from a fixed pattern: mostly
 * short, some of 100 KB (longer than the room the reader keeps for a
 * carried-over line), one of 3 MB (longer than a block and than the
 * second pass's window), every seventh with CRLF, a blank line after
 * every eleventh.  text gets the input, line[i] the record's line as it
 * must come back (no CR), its length len[i].  The pad is one letter
 * repeated, which the copy keeps as it is, or with numbers set, number
 * text, which it packs (nsl/pack.h), so that packed blocks are split
 * between memory and file and between the second pass's windows.
 */
#define NREC 400

static struct nsl_buf text;
static char *line[NREC];
static size_t len[NREC];

static size_t
pad_of(size_t i)
{
	if (i == 250)
		return 3 * 1024 * 1024;
	if (i % 37 == 5)
		return 100 * 1024;
	return (i * 7919) % 9000;
}

static void
make_input(int numbers)
{
	static const char num[] = "-0.0123456789, 1e+05, 42 ";
	size_t i, j, k, pad;
	char *p;

	nsl_buf_release(&text);
	nsl_buf_init(&text);
	for (i = 0; i < NREC; i++) {
		pad = pad_of(i);
		free(line[i]);
		if ((p = malloc(pad + 64)) == NULL)
			exit(1);
		k = (size_t)sprintf(p, "{\"i\":%zu,\"s\":\"", i);
		for (j = 0; j < pad; j++)
			p[k + j] = numbers ? num[(i + j) % (sizeof(num) - 1)] :
			    (char)('a' + (int)(i % 26));
		k += pad;
		k += (size_t)sprintf(p + k, "\"}");
		line[i] = p;
		len[i] = k;
		nsl_buf_add(&text, p, k);
		nsl_buf_adds(&text, i % 7 == 3 ? "\r\n" : "\n");
		if (i % 11 == 10)
			nsl_buf_adds(&text, "\n");
	}
}

/* A child writing n bytes of p reps times to a pipe, then holding it
 * open for linger seconds; the read end. */
static int
producer(const void *p, size_t n, int reps, unsigned linger, pid_t *pid)
{
	int fd[2];
	size_t done;
	ssize_t k;

	if (pipe(fd) != 0 || (*pid = fork()) < 0)
		exit(1);
	if (*pid == 0) {
		close(fd[0]);
		for (; reps > 0; reps--)
			for (done = 0; done < n; done += (size_t)k)
				if ((k = write(fd[1], (const char *)p + done,
				    n - done)) <= 0)
					_exit(1);
		if (linger > 0)
			sleep(linger);
		_exit(0);
	}
	close(fd[1]);
	return fd[0];
}

static void
reap(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* The expected output for keep[]: the kept lines, each + "\n". */
static void
expected(const unsigned char *keep, struct nsl_buf *b)
{
	size_t i;

	nsl_buf_reset(b);
	for (i = 0; i < NREC; i++)
		if (keep[i]) {
			nsl_buf_add(b, line[i], len[i]);
			nsl_buf_addc(b, '\n');
		}
}

static int
same_file(const char *name, const struct nsl_buf *b)
{
	FILE *fp = fopen(path(name), "rb");
	char *got;
	size_t n;
	int same;

	if (fp == NULL || (got = malloc(b->len + 2)) == NULL)
		return 0;
	n = fread(got, 1, b->len + 1, fp);
	fclose(fp);
	same = n == b->len && (n == 0 || memcmp(got, b->data, n) == 0);
	free(got);
	return same;
}

/* The last spool_pipe()'s text copied and the bytes of its copy. */
static uint64_t piped_text, piped_copy;

/*
 * Read standard input (bytes from a producer) through a spool, then
 * emit it once for each keep pattern; 1 if every output is what the
 * patterns ask for.
 */
static int
spool_pipe(const void *bytes, size_t n, unsigned char keep[][NREC],
    size_t npat, struct nsl_err *err)
{
	struct nsl_spool *s = nsl_spool_new();
	struct nsl_writer *w;
	struct nsl_rec rec;
	struct nsl_buf want;
	pid_t pid;
	size_t k;
	int fd, rc, ok = 0;
	char name[32];

	piped_text = piped_copy = 0;
	fd = producer(bytes, n, 1, 0, &pid);
	if (dup2(fd, STDIN_FILENO) < 0)
		exit(1);
	close(fd);
	nsl_rec_init(&rec, 0);
	nsl_buf_init(&want);
	if (nsl_spool_open(s, "-", err) != 0)
		goto done;
	while ((rc = nsl_spool_next(s, &rec, err)) == 1)
		;
	if (rc < 0 || nsl_spool_count(s) != NREC)
		goto done;
	for (k = 0; k < npat; k++) {
		snprintf(name, sizeof(name), "out%zu", k);
		if ((w = nsl_writer_open(path(name), err)) == NULL)
			goto done;
		if (nsl_spool_emit(s, keep[k], w, err) != 0) {
			nsl_writer_abort(w);
			goto done;
		}
		if (nsl_writer_commit(w, err) != 0)
			goto done;
		expected(keep[k], &want);
		if (!same_file(name, &want)) {
			fprintf(stderr, "pattern %zu differs\n", k);
			goto done;
		}
	}
	ok = 1;
done:
	nsl_spool_sizes(s, &piped_text, &piped_copy);
	reap(pid);
	nsl_buf_release(&want);
	nsl_rec_release(&rec);
	nsl_spool_free(s);
	return ok;
}

/*
 * keep1 for each of times copies of the input (malloc'd), and in want the
 * output it asks for: expected(keep1) times over.
 */
static unsigned char *
keep_times(const unsigned char *keep1, size_t times, struct nsl_buf *want)
{
	unsigned char *keep = malloc(times * NREC);
	struct nsl_buf one;
	size_t r;

	if (keep == NULL)
		exit(1);
	nsl_buf_init(&one);
	expected(keep1, &one);
	nsl_buf_reset(want);
	for (r = 0; r < times; r++) {
		nsl_buf_add(want, one.data, one.len);
		memcpy(keep + r * NREC, keep1, NREC);
	}
	nsl_buf_release(&one);
	return keep;
}

/*
 * The input REPS times through a pipe into a spool marked to be visited
 * once, keep pattern k repeated: 1 if the output is the kept lines, and
 * a second visit fails with NSL_EX_SOFTWARE.  The copy (about 18 MB) is
 * freed in steps of 8 MB behind the pass while it reads on.
 */
#define REPS 3

static int
spool_once(const unsigned char *keep1, struct nsl_err *err)
{
	struct nsl_spool *s = nsl_spool_new();
	struct nsl_writer *w = NULL;
	struct nsl_rec rec;
	struct nsl_buf want;
	struct nsl_err err2;
	unsigned char *keep;
	pid_t pid;
	int fd, rc, ok = 0;

	nsl_buf_init(&want);
	keep = keep_times(keep1, REPS, &want);
	fd = producer(text.data, text.len, REPS, 0, &pid);
	if (dup2(fd, STDIN_FILENO) < 0)
		exit(1);
	close(fd);
	nsl_rec_init(&rec, 0);
	nsl_spool_once(s);
	if (nsl_spool_open(s, "-", err) != 0)
		goto done;
	while ((rc = nsl_spool_next(s, &rec, err)) == 1)
		;
	if (rc < 0 || nsl_spool_count(s) != (uint64_t)REPS * NREC)
		goto done;
	if ((w = nsl_writer_open(path("once"), err)) == NULL)
		goto done;
	if (nsl_spool_emit(s, keep, w, err) != 0 ||
	    nsl_writer_commit(w, err) != 0) {
		nsl_writer_abort(w);
		goto done;
	}
	if (!same_file("once", &want)) {
		fprintf(stderr, "visited once: the output differs\n");
		goto done;
	}
	memset(&err2, 0, sizeof(err2));
	if ((w = nsl_writer_open(path("twice"), err)) == NULL)
		goto done;
	rc = nsl_spool_emit(s, keep, w, &err2);
	nsl_writer_abort(w);
	if (rc == 0 || err2.code != NSL_EX_SOFTWARE) {
		fprintf(stderr, "a second visit was not refused\n");
		goto done;
	}
	ok = 1;
done:
	reap(pid);
	nsl_buf_release(&want);
	nsl_rec_release(&rec);
	nsl_spool_free(s);
	free(keep);
	return ok;
}

static void
gzip_bytes(const struct nsl_buf *in, struct nsl_buf *out)
{
	gzFile gz = gzopen(path("t.gz"), "wb1");
	FILE *fp;
	char blk[65536];
	size_t n;

	gzwrite(gz, in->data, (unsigned)in->len);
	gzclose(gz);
	nsl_buf_init(out);
	fp = fopen(path("t.gz"), "rb");
	while ((n = fread(blk, 1, sizeof(blk), fp)) > 0)
		nsl_buf_add(out, blk, n);
	fclose(fp);
}

/* The copy of a tee'd reader, into the file descriptor at arg. */
static int
fd_sink(void *arg, const char *p, size_t n)
{
	int fd = *(int *)arg;
	ssize_t k;

	for (; n > 0; p += k, n -= (size_t)k)
		if ((k = write(fd, p, n)) < 0)
			return -1;
	return 0;
}

/* Read a reader to its end or error; its error in err. */
static int
drain(struct nsl_reader *r, unsigned long *lines, struct nsl_err *err)
{
	const char *l;
	size_t n;
	int rc;

	*lines = 0;
	while ((rc = nsl_reader_getline(r, &l, &n, err)) == 1)
		(*lines)++;
	return rc;
}

/*
 * Read the inputs named (each holds the test input; "-" is standard
 * input, which the caller has made a pipe or a file) through one spool
 * and emit the records keep1 picks from each: 1 if the output is those
 * lines, input after input.  *copied: the bytes of text the spool
 * copied.
 */
static int
spool_inputs(const char *const *names, size_t n, const unsigned char *keep1,
    uint64_t *copied, struct nsl_err *err)
{
	struct nsl_spool *s = nsl_spool_new();
	struct nsl_writer *w = NULL;
	struct nsl_rec rec;
	struct nsl_buf want;
	unsigned char *keep;
	uint64_t packed;
	size_t k;
	int rc, ok = 0;

	nsl_rec_init(&rec, 0);
	nsl_buf_init(&want);
	keep = keep_times(keep1, n, &want);
	for (k = 0; k < n; k++) {
		if (nsl_spool_open(s, names[k], err) != 0)
			goto done;
		while ((rc = nsl_spool_next(s, &rec, err)) == 1)
			;
		if (rc < 0)
			goto done;
	}
	if (nsl_spool_count(s) != n * NREC ||
	    (w = nsl_writer_open(path("inputs"), err)) == NULL)
		goto done;
	if (nsl_spool_emit(s, keep, w, err) != 0 ||
	    nsl_writer_commit(w, err) != 0) {
		nsl_writer_abort(w);
		goto done;
	}
	ok = same_file("inputs", &want);
done:
	nsl_spool_sizes(s, copied, &packed);
	nsl_spool_free(s);
	nsl_rec_release(&rec);
	nsl_buf_release(&want);
	free(keep);
	return ok;
}

/* Make fd (a file or a pipe's read end) standard input. */
static void
stdin_from(int fd)
{
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		exit(1);
	close(fd);
}

/*
 * A gzip file is copied while the copy fits in memory, else read again
 * (spool.c, gzip_copy): named, as standard input, after a pipe that
 * took most of the memory, before one, twice; the kept lines come back
 * whichever way, and the copy holds what it should.
 */
static void
gzip_file_checks(const unsigned char *keep1)
{
	char gz[256];	/* path()'s buffers are reused */
	const char *one[] = { gz }, *two[] = { gz, gz };
	const char *pipe_gz[] = { "-", gz }, *gz_pipe[] = { gz, "-" };
	const char *in[] = { "-" }, *two_pipe[] = { gz, gz, "-" };
	struct nsl_err err;
	uint64_t copied;
	pid_t pid;
	int ok;

	snprintf(gz, sizeof(gz), "%s", path("t.gz"));
	memset(&err, 0, sizeof(err));
	ok = spool_inputs(one, 1, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == text.len, "a gzip file within the memory "
	    "budget: copied (%llu bytes of %zu), the kept lines back (%s)",
	    (unsigned long long)copied, text.len, err.msg);
	setenv("NSL_SPOOL_MEMORY", "2M", 1);
	ok = spool_inputs(one, 1, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == 0,
	    "a gzip file past a budget of 2M: the copy dropped (%llu "
	    "bytes left), the file read again (%s)",
	    (unsigned long long)copied, err.msg);
	stdin_from(open(gz, O_RDONLY));
	ok = spool_inputs(in, 1, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == 0,
	    "standard input from a gzip file past the budget: read again "
	    "from where it began (%s)", err.msg);
	setenv("NSL_SPOOL_MEMORY", "x", 1);
	stdin_from(open(gz, O_RDONLY));
	ok = spool_inputs(in, 1, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == 0,
	    "a budget that is not a size: a gzip file is read twice, no "
	    "error (%s)", err.msg);

	/* the letters keep about 5.9 of 7 MB: room for one copy */
	setenv("NSL_SPOOL_MEMORY", "7M", 1);
	stdin_from(producer(text.data, text.len, 1, 0, &pid));
	ok = spool_inputs(pipe_gz, 2, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == text.len, "a pipe, then a gzip file past "
	    "what memory it left: the pipe copied, the file read again (%llu "
	    "bytes copied; %s)", (unsigned long long)copied, err.msg);
	reap(pid);
	stdin_from(producer(text.data, text.len, 1, 0, &pid));
	ok = spool_inputs(gz_pipe, 2, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == 2 * text.len, "a gzip file, then a pipe: "
	    "both copied, the pipe on into the temporary file (%s)", err.msg);
	reap(pid);
	ok = spool_inputs(two, 2, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == text.len, "a gzip file twice: the first "
	    "copied, the second's copy dropped (%s)", err.msg);
	stdin_from(producer(text.data, text.len, 1, 0, &pid));
	ok = spool_inputs(two_pipe, 3, keep1, &copied, &err);
	UNIT_CHECK(ok && copied == 2 * text.len, "a gzip file twice, then "
	    "a pipe: the pipe's copy goes on where the dropped one began "
	    "(%s)", err.msg);
	reap(pid);
	unsetenv("NSL_SPOOL_MEMORY");
}

/*
 * The pipe checks of the input make_input(numbers) makes, with the copy
 * in memory, in the file, and split between them.
 */
static void
budget_checks(unsigned char keep[][NREC], int numbers)
{
	static const char *budgets[] = { NULL, "0", "2M", "777777" };
	struct nsl_err err;
	struct nsl_buf gz;
	size_t i, b;

	make_input(numbers);
	gzip_bytes(&text, &gz);
	for (b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
		const char *B = budgets[b] ? budgets[b] : (numbers ?
		    "default, numbers" : "default");

		if (budgets[b] != NULL)
			setenv("NSL_SPOOL_MEMORY", budgets[b], 1);
		memset(&err, 0, sizeof(err));
		UNIT_CHECK(text.len > 4 * 1024 * 1024 &&
		    spool_pipe(text.data, text.len, keep, 6, &err),
		    "budget %s: a %zu-byte pipe through the spool: every "
		    "record, every other, a long dropped stretch, none, the "
		    "last only, the 3 MB line and its neighbours: the kept "
		    "lines byte for byte (%s)", B, text.len, err.msg);
		UNIT_CHECK(piped_text == text.len && (numbers ?
		    piped_copy < piped_text / 10 * 6 :
		    piped_copy <= piped_text &&
		    piped_copy > piped_text / 10 * 9),
		    "budget %s: the copy of %llu bytes of %s holds %llu "
		    "bytes", B, (unsigned long long)piped_text, numbers ?
		    "number text (packed: less than 60%)" :
		    "letters (kept: more than 90%)",
		    (unsigned long long)piped_copy);

		/* every other (windows of runs), a long dropped stretch */
		for (i = 1; i <= 2; i++) {
			memset(&err, 0, sizeof(err));
			UNIT_CHECK(spool_once(keep[i], &err),
			    "budget %s: visited once, pattern %zu over a "
			    "%d-times pipe: the copy freed behind the pass, "
			    "the kept lines byte for byte, a second visit "
			    "refused (%s)", B, i, REPS, err.msg);
		}

		memset(&err, 0, sizeof(err));
		UNIT_CHECK(spool_pipe(gz.data, gz.len, keep, 2, &err),
		    "budget %s: the same through a pipe as gzip: "
		    "decompressed in the read-ahead thread, the same lines "
		    "back (%s)", B, err.msg);

		/* no final newline: the last line's copy gets one */
		memset(&err, 0, sizeof(err));
		UNIT_CHECK(spool_pipe(text.data, text.len - 1, keep + 4, 1,
		    &err), "budget %s: a pipe whose last line has no "
		    "newline: that line comes back (%s)", B, err.msg);
		unsetenv("NSL_SPOOL_MEMORY");
	}
	nsl_buf_release(&gz);
}

int
main(void)
{
	static unsigned char keep[6][NREC];
	struct nsl_err err, err2;
	struct nsl_buf gz;
	size_t i;

	if ((dir = unit_tmpdir("spool-pipe")) == NULL)
		return 1;
	setenv("TMPDIR", dir, 1);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < NREC; i++) {
		keep[0][i] = 1;				/* all */
		keep[1][i] = i % 2;			/* every other */
		keep[2][i] = i < 3 || i > 390;		/* long gap */
		keep[3][i] = 0;				/* none */
		keep[4][i] = i == NREC - 1;		/* only the last */
		keep[5][i] = i == 250 || i == 251 || i == 5 || i == 42;
	}
	/* number text, then the letters the checks below use */
	budget_checks(keep, 1);
	budget_checks(keep, 0);
	gzip_bytes(&text, &gz);
	gzip_file_checks(keep[1]);

	/*
	 * No temporary file can be made: a pipe within the budget is read
	 * whole (it needs none); past it, the read fails naming TMPDIR.
	 * The input is about 6.2 MB.
	 */
	setenv("TMPDIR", path("no-such-dir"), 1);
	{
		static const char *fits[] = { NULL, "7M", "7340032", "7m",
		    "100%" };
		static const char *short_of[] = { "0", "5M", "5242880", "5k",
		    "0%" };

		for (i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
			if (fits[i] != NULL)
				setenv("NSL_SPOOL_MEMORY", fits[i], 1);
			memset(&err, 0, sizeof(err));
			UNIT_CHECK(spool_pipe(text.data, text.len, keep, 2,
			    &err), "NSL_SPOOL_MEMORY=%s, no TMPDIR: the "
			    "pipe read whole in memory (%s)",
			    fits[i] ? fits[i] : "(default)", err.msg);
		}
		for (i = 0; i < sizeof(short_of) / sizeof(short_of[0]); i++) {
			setenv("NSL_SPOOL_MEMORY", short_of[i], 1);
			memset(&err, 0, sizeof(err));
			UNIT_CHECK(!spool_pipe(text.data, text.len, keep, 2,
			    &err) && err.code == NSL_EX_IOERR &&
			    strcmp(err.file, path("no-such-dir")) == 0 &&
			    strstr(err.msg, "cannot make a temporary file"),
			    "NSL_SPOOL_MEMORY=%s, no TMPDIR: the read fails "
			    "naming it (%s: %s)", short_of[i], err.file,
			    err.msg);
		}
	}
	setenv("TMPDIR", dir, 1);
	{
		static const char *bad[] = { "x", "-1", "1X", "1.5G", "101%",
		    "5%x", "1kb", "99999999999999999999",
		    "18446744073709551615K" };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			setenv("NSL_SPOOL_MEMORY", bad[i], 1);
			memset(&err, 0, sizeof(err));
			UNIT_CHECK(!spool_pipe(text.data, text.len, keep, 1,
			    &err) && err.code == NSL_EX_USAGE &&
			    strstr(err.msg, "NSL_SPOOL_MEMORY"),
			    "NSL_SPOOL_MEMORY=%s is a usage error: %s", bad[i],
			    err.msg);
		}
		unsetenv("NSL_SPOOL_MEMORY");
	}

	/* an empty pipe: no records, nothing written, no error */
	{
		struct nsl_spool *s = nsl_spool_new();
		struct nsl_rec rec;
		struct nsl_writer *w;
		unsigned char none[1] = { 0 };
		pid_t pid;
		int fd, rc;

		fd = producer("", 0, 1, 0, &pid);
		dup2(fd, STDIN_FILENO);
		close(fd);
		nsl_rec_init(&rec, 0);
		rc = nsl_spool_open(s, "-", &err);
		rc = rc == 0 ? nsl_spool_next(s, &rec, &err) : -1;
		w = nsl_writer_open(path("empty"), &err);
		UNIT_CHECK(rc == 0 && nsl_spool_count(s) == 0 &&
		    nsl_spool_emit(s, none, w, &err) == 0 &&
		    nsl_writer_commit(w, &err) == 0 &&
		    same_file("empty", &(struct nsl_buf){ 0 }),
		    "an empty pipe: no records, an empty output");
		reap(pid);
		nsl_rec_release(&rec);
		nsl_spool_free(s);
	}

	/*
	 * A gzip stream cut short: through the thread the same error, in
	 * the same words, at the same line as the reader reading the same
	 * bytes from a file by itself.
	 */
	{
		struct nsl_reader *r;
		unsigned long n1 = 0, n2 = 0;
		FILE *fp;
		pid_t pid;
		int fd, rc1, rc2, tee;

		fp = fopen(path("cut.gz"), "wb");
		fwrite(gz.data, 1, gz.len / 2, fp);
		fclose(fp);
		r = nsl_reader_open(path("cut.gz"), &err);
		rc1 = drain(r, &n1, &err);
		nsl_reader_close(r);
		fd = producer(gz.data, gz.len / 2, 1, 0, &pid);
		tee = open(path("tee"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		r = nsl_reader_open_fd(fd, err.file, &err2);
		nsl_reader_tee(r, fd_sink, &tee);
		rc2 = drain(r, &n2, &err2);
		nsl_reader_close(r);
		close(tee);
		reap(pid);
		UNIT_CHECK(rc1 == -1 && rc2 == -1 && n1 == n2 && n1 > 0 &&
		    err.code == NSL_EX_IOERR && err2.code == err.code &&
		    err2.line == err.line && strcmp(err.msg, err2.msg) == 0 &&
		    strstr(err.msg, "truncated gzip") != NULL,
		    "truncated gzip through the thread: \"%s\" at line %lu, "
		    "as from a file (\"%s\" at line %lu)", err2.msg,
		    (unsigned long)err2.line, err.msg, (unsigned long)err.line);
	}

	/* the copy's write fails: the read fails, placed at the copy */
	{
		struct nsl_reader *r;
		unsigned long n = 0;
		pid_t pid;
		int fd, ro, rc;

		fd = producer(text.data, text.len, 1, 0, &pid);
		ro = open(path("t.gz"), O_RDONLY);
		r = nsl_reader_open_fd(fd, "<stdin>", &err);
		nsl_reader_tee(r, fd_sink, &ro);
		rc = drain(r, &n, &err);
		nsl_reader_close(r);
		close(ro);
		reap(pid);
		UNIT_CHECK(rc == -1 && err.code == NSL_EX_IOERR &&
		    strcmp(err.file, "temporary file") == 0 &&
		    strstr(err.msg, "write failed") != NULL,
		    "a failed copy fails the read: %s: %s", err.file,
		    err.msg);
	}

	/*
	 * Closing early, the producer holding the pipe open and writing
	 * nothing more: the thread waiting in read(2) is interrupted and
	 * the close returns (a hang here is ended by the alarm, failing).
	 */
	{
		struct nsl_spool *s = nsl_spool_new();
		struct nsl_rec rec;
		pid_t pid;
		int fd, rc;

		fd = producer(text.data, 2 * 1024 * 1024, 1, 60, &pid);
		dup2(fd, STDIN_FILENO);
		close(fd);
		nsl_rec_init(&rec, 0);
		alarm(20);
		rc = nsl_spool_open(s, "-", &err);
		rc = rc == 0 ? nsl_spool_next(s, &rec, &err) : -1;
		nsl_spool_free(s);
		alarm(0);
		UNIT_CHECK(rc == 1, "closing a pipe's spool after one record, "
		    "the producer quiet but not gone, returns");
		reap(pid);
		nsl_rec_release(&rec);
	}

	/* raw reads (nsl_reader_read) of a tee'd pipe: bytes and copy */
	{
		struct nsl_reader *r;
		struct nsl_buf got, want;
		char blk[100000];
		pid_t pid;
		long k;
		int fd, tee;

		nsl_buf_init(&got);
		nsl_buf_init(&want);
		nsl_buf_add(&want, text.data, text.len);
		fd = producer(text.data, text.len, 1, 0, &pid);
		tee = open(path("tee2"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		r = nsl_reader_open_fd(fd, "<stdin>", &err);
		nsl_reader_tee(r, fd_sink, &tee);
		while ((k = nsl_reader_read(r, blk, sizeof(blk), &err)) > 0)
			nsl_buf_add(&got, blk, (size_t)k);
		nsl_reader_close(r);
		close(tee);
		reap(pid);
		UNIT_CHECK(k == 0 && got.len == text.len &&
		    memcmp(got.data, text.data, text.len) == 0 &&
		    same_file("tee2", &want),
		    "raw reads of a tee'd pipe: every byte, in order, copied");
		nsl_buf_release(&got);
		nsl_buf_release(&want);
	}

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	nsl_buf_release(&gz);
	nsl_buf_release(&text);
	for (i = 0; i < NREC; i++)
		free(line[i]);
	return unit_done();
}
