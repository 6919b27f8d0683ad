/*
 * test_batch.c - lib/batch.c: records parsed on several threads come
 * back to the caller one by one, in file order, each with its own line
 * number, values and line hash, for any number of threads (1, 2, 3, 8,
 * 17 on any machine), through nsl_batch_each and, in the caller's record,
 * nsl_batch_into, from a file and from a pipe written slowly (the
 * helpers sleep between batches and are woken); the first bad line of
 * the input is the one reported, with only the records before it handed
 * over, even when a later line of the same batch is bad too.  Batches are
 * read ahead while the one before is parsed and handed over: stretches
 * of short lines between the wide ones (batches too small for the
 * threads, then lines one at a time) come back in order too; when fn
 * fails, it is called for no record after; a gzip file cut short part way
 * (at eleven places) hands over the same records, all of them as made,
 * whatever the threads, then its read error.  nsl_batch_into_prep: each
 * record's work done beside the parse reaches fn with that record (its
 * id and width, written by prep), in order, on any threads, in wide and
 * short stretches; prep failing on a record is reported at its line,
 * after the records before it, and a bad line before it still wins.
 * nsl_batch_feed: the same lines given one at a time (each from a buffer
 * overwritten after the call, as a spool's visit lends them), with their
 * line numbers as tags, come back the same way; the first bad line is
 * placed by the caller's place function; fn's failure ends it.
 *
 * The input is made here: record i is {"i":i,"v":[...]} with w(i)
 * numbers i + k/8 (exact in binary and in 3 decimals), wide enough that
 * most batches are parsed on the threads; a blank line follows every
 * 13th record.  Expected values follow from the construction.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/hash.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "unit.h"

#define NREC 3000

static char *dir;	/* unit_tmpdir("batch") */
static struct nsl_buf text;
static size_t line_start[NREC], line_len[NREC];
static unsigned long line_no[NREC];
static int mixed;		/* stretches of short records between wide ones */
static long fail_at = -1;	/* fn fails on this record */
static long prep_fail_at = -1;	/* prep fails on this record */
/* 0 nsl_batch_each, 1 nsl_batch_into, 2 nsl_batch_into_prep, 3 a feed */
static int use_into;
static const struct nsl_batch_prep *prepared;

static size_t
width(size_t i)
{
	if (mixed && (i / 300) % 2 == 1)
		return 1 + i % 3;
	return 200 + (i * 7919) % 1800;
}

/* The input; bad >= 0 makes records bad and bad + 1 invalid JSON. */
static void
make_input(long bad)
{
	unsigned long lineno = 0;
	size_t i, k;
	char num[64];

	nsl_buf_reset(&text);
	for (i = 0; i < NREC; i++) {
		line_start[i] = text.len;
		line_no[i] = ++lineno;
		if (bad >= 0 && (i == (size_t)bad || i == (size_t)bad + 1))
			nsl_buf_adds(&text, "{\"i\":1,\"v\":[1,2,}");
		else {
			snprintf(num, sizeof(num), "{\"i\":%zu,\"v\":[", i);
			nsl_buf_adds(&text, num);
			for (k = 0; k < width(i); k++) {
				snprintf(num, sizeof(num), "%s%.3f",
				    k ? "," : "", (double)i + (double)k / 8);
				nsl_buf_adds(&text, num);
			}
			nsl_buf_adds(&text, "]}");
		}
		line_len[i] = text.len - line_start[i];
		nsl_buf_adds(&text, "\n");
		if (i % 13 == 12) {
			nsl_buf_adds(&text, "\n");
			lineno++;
		}
	}
}

struct seen {
	struct nsl_rec *into;	/* nsl_batch_into's rec, or NULL */
	size_t n;		/* records handed over */
	int wrong;		/* 1 + the first one that was not as made */
	double *v;
	size_t cap;
};

/* prep: "id:width" of the record, read beside the parse */
static int
prep_one(void *arg, const struct nsl_rec *rec, struct nsl_buf *out,
    struct nsl_err *err)
{
	long fi = nsl_rec_find(rec, "i"), fv = nsl_rec_find(rec, "v");
	const double *v;
	double id, *x = NULL;
	size_t n = 0, cap = 0;

	(void)arg;
	if (fi < 0 || fv < 0 || nsl_rec_number(rec, (size_t)fi, &id,
	    err) != 0 || nsl_rec_vector_view(rec, (size_t)fv, &v, &n, &x,
	    &cap, err) != 0) {
		free(x);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "prep: no i or v");
	}
	free(x);
	if ((long)id == prep_fail_at)
		return nsl_err_set(err, NSL_EX_DATAERR, "prep fails here");
	nsl_buf_addf(out, "%.0f:%zu", id, n);
	return 0;
}

static int
check_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct seen *S = arg;
	size_t i = S->n++, n, k;
	long fi, fv;
	double id;
	char want[64];

	if (S->wrong)
		return 0;
	if ((long)i == fail_at) {
		nsl_err_set(err, NSL_EX_DATAERR, "fn fails here");
		if (use_into == 3)	/* a feed's fn places its errors */
			nsl_err_at(err, "feed", lineno);
		return -1;
	}
	if (use_into == 2) {
		if (prepared == NULL) {
			S->wrong = (int)i + 1;
			return 0;
		}
		if (prepared->rc != 0) {
			*err = prepared->err;
			return -1;
		}
		snprintf(want, sizeof(want), "%zu:%zu", i, width(i));
		if (strcmp(prepared->out.data, want) != 0) {
			S->wrong = (int)i + 1;
			return 0;
		}
	}
	fi = nsl_rec_find(rec, "i");
	fv = nsl_rec_find(rec, "v");
	if (i >= NREC || (S->into != NULL && rec != S->into) ||
	    lineno != line_no[i] ||
	    hash != nsl_hash64(text.data + line_start[i], line_len[i]) ||
	    fi < 0 || fv < 0 ||
	    nsl_rec_number(rec, (size_t)fi, &id, err) != 0 ||
	    id != (double)i ||
	    nsl_rec_vector(rec, (size_t)fv, &S->v, &n, &S->cap, err) != 0 ||
	    n != width(i)) {
		S->wrong = (int)i + 1;
		return 0;
	}
	for (k = 0; k < n; k++)
		if (S->v[k] != (double)i + (double)k / 8) {
			S->wrong = (int)i + 1;
			break;
		}
	return 0;
}

/* A feed's place: the tag is the line number. */
static void
place_tag(void *arg, unsigned long tag, struct nsl_err *err)
{
	(void)arg;
	nsl_err_at(err, "feed", tag);
}

/*
 * The text's records given to a feed one at a time, each from a buffer
 * overwritten after the call (the feed must copy it), tagged with its
 * line number.
 */
static int
run_feed(struct seen *S, struct nsl_rec *rec, struct nsl_err *err)
{
	struct nsl_batch_feed *F;
	char *lent = NULL;
	size_t i, cap = 0;
	int rc = 0;

	S->into = rec;
	if ((F = nsl_batch_feed_new(rec, NSL_BATCH_HASH, check_one, place_tag,
	    S)) == NULL)
		exit(1);
	for (i = 0; i < NREC && rc == 0; i++) {
		if (line_len[i] + 1 > cap &&
		    (lent = realloc(lent, cap = 2 * line_len[i] + 1)) == NULL)
			exit(1);
		memcpy(lent, text.data + line_start[i], line_len[i]);
		rc = nsl_batch_feed_line(F, lent, line_len[i], line_no[i], err);
		memset(lent, '!', line_len[i]);
	}
	if (rc == 0)
		rc = nsl_batch_feed_end(F, err);
	nsl_batch_feed_free(F);
	free(lent);
	return rc;
}

/* A child writing the text to a pipe in 256 KB pieces, pausing 1 ms
 * after each; the read end. */
static int
slow_producer(pid_t *pid)
{
	int fd[2];
	size_t done, k;

	if (pipe(fd) != 0 || (*pid = fork()) < 0)
		exit(1);
	if (*pid == 0) {
		close(fd[0]);
		for (done = 0; done < text.len; done += k) {
			k = text.len - done < 262144 ? text.len - done : 262144;
			if (write(fd[1], text.data + done, k) != (ssize_t)k)
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	close(fd[1]);
	return fd[0];
}

/* Read the text through nsl_batch_each from a file or a slow pipe. */
static int
run_path(int threads, int from_pipe, const char *name, struct seen *S,
    struct nsl_err *err)
{
	struct nsl_lines L = { NULL, NULL };
	struct nsl_rec rec;
	pid_t pid = 0;
	int rc, st;

#ifdef _OPENMP
	omp_set_num_threads(threads);
#else
	(void)threads;
#endif
	memset(S, 0, sizeof(*S));
	memset(err, 0, sizeof(*err));
	if (use_into == 3) {	/* no reading: the lines are given */
		nsl_rec_init(&rec, 0);
		rc = run_feed(S, &rec, err);
		nsl_rec_release(&rec);
		free(S->v);
		return rc;
	}
	if (from_pipe)
		L.r = nsl_reader_open_fd(slow_producer(&pid), "pipe", err);
	else
		L.r = nsl_reader_open(unit_path(dir, name), err);
	if (L.r == NULL)
		return -2;
	nsl_rec_init(&rec, 0);
	prepared = NULL;
	if (use_into == 2) {
		S->into = &rec;
		rc = nsl_batch_into_prep(&L, &rec, NSL_BATCH_HASH, prep_one,
		    &prepared, check_one, S, err);
	} else if (use_into) {
		S->into = &rec;
		rc = nsl_batch_into(&L, &rec, NSL_BATCH_HASH, check_one, S,
		    err);
	} else
		rc = nsl_batch_each(&L, 0, NSL_BATCH_HASH, check_one, S, err);
	nsl_rec_release(&rec);
	nsl_reader_close(L.r);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
	free(S->v);
	return rc;
}

static int
run(int threads, int from_pipe, struct seen *S, struct nsl_err *err)
{
	return run_path(threads, from_pipe, "in.jsonl", S, err);
}

static void
write_input(void)
{
	FILE *fp = fopen(unit_path(dir, "in.jsonl"), "wb");

	if (fp == NULL || fwrite(text.data, 1, text.len, fp) != text.len ||
	    fclose(fp) != 0)
		exit(1);
}

static const int threads[] = { 1, 2, 3, 8, 17 };
#define NTHREADS (sizeof(threads) / sizeof(threads[0]))

/* Every record of the input back in order, as made, on any threads. */
static void
check_in_order(const char *what)
{
	struct seen S;
	struct nsl_err err;
	size_t t;
	int p, rc;

	for (use_into = 0; use_into < 4; use_into++)
		for (t = 0; t < NTHREADS; t++)
			for (p = 0; p < (use_into == 3 ? 1 : 2); p++) {
				rc = run(threads[t], p, &S, &err);
				UNIT_CHECK(rc == 0 && S.n == NREC &&
				    S.wrong == 0, "%s, %d threads, %s%s: "
				    "%zu records in order, each with its line "
				    "number, values and hash%s (rc %d, first "
				    "wrong %d, %s)", use_into == 3 ?
				    "nsl_batch_feed" : use_into == 2 ?
				    "nsl_batch_into_prep" : use_into ?
				    "nsl_batch_into" : "nsl_batch_each",
				    threads[t], use_into == 3 ? "lines given "
				    "one at a time" : p ? "from a slow pipe" :
				    "from a file", what, S.n, use_into == 3 ?
				    ", in the caller's record, line numbers "
				    "as tags" : use_into == 2 ? ", in the "
				    "caller's record, with prep's work" :
				    use_into ? ", in the caller's record" : "",
				    rc, S.wrong - 1, err.msg);
			}
	use_into = 0;
}

/*
 * With *which (fail_at or prep_fail_at) set to record wide from a file,
 * short from a slow pipe: the run ends there, every record before it
 * handed over, the error msg placed at its line, on every thread count.
 */
static void
check_fails_at(long *which, long wide, long shorter, const char *msg)
{
	struct seen S;
	struct nsl_err err;
	size_t t;
	int p, rc;

	for (t = 0; t < NTHREADS; t++)
		for (p = 0; p < 2; p++) {
			long at = p ? shorter : wide;

			*which = at;
			rc = run(threads[t], p, &S, &err);
			*which = -1;
			UNIT_CHECK(rc == -1 && S.n == (size_t)at + 1 &&
			    S.wrong == 0 && err.line == line_no[at] &&
			    strcmp(err.msg, msg) == 0,
			    "%s, %d threads, from a %s: \"%s\" on record %ld "
			    "ends it there, placed at its line %lu (%zu calls, "
			    "line %lu: %s)", use_into == 3 ? "nsl_batch_feed" :
			    use_into == 2 ? "nsl_batch_into_prep" :
			    "nsl_batch_each", threads[t], use_into == 3 ?
			    "feed" : p ? "slow pipe" : "file", msg, at,
			    line_no[at], S.n, err.line, err.msg);
		}
}

int
main(void)
{
	struct seen S;
	struct nsl_err err;
	size_t t;
	int p, rc;

	if ((dir = unit_tmpdir("batch")) == NULL)
		return 1;
	nsl_buf_init(&text);
	make_input(-1);
	write_input();
	check_in_order("");

	/* records 1234 and 1235 bad: the first reported, 1234 handed over */
	make_input(1234);
	write_input();
	for (t = 0; t < NTHREADS; t++)
		for (p = 0; p < 2; p++) {
			rc = run(threads[t], p, &S, &err);
			UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR &&
			    err.line == line_no[1234] && S.n == 1234 &&
			    S.wrong == 0, "%d threads, from a %s: the first "
			    "bad line (%lu) reported, the records before it "
			    "handed over (line %lu, %zu records: %s)",
			    threads[t], p ? "slow pipe" : "file", line_no[1234],
			    err.line, S.n, err.msg);
		}

	/* a feed: the same first bad line, placed by the caller */
	use_into = 3;
	for (t = 0; t < NTHREADS; t++) {
		rc = run(threads[t], 0, &S, &err);
		UNIT_CHECK(rc == -1 && err.code == NSL_EX_DATAERR &&
		    err.line == line_no[1234] &&
		    strcmp(err.file, "feed") == 0 && S.n == 1234 &&
		    S.wrong == 0, "nsl_batch_feed, %d threads: the first bad "
		    "line given (%lu) reported, placed by the caller's place "
		    "function, the records before it handed over (%s:%lu, "
		    "%zu records: %s)", threads[t], line_no[1234],
		    err.file, err.line, S.n, err.msg);
	}
	use_into = 0;

	/* short stretches between wide ones: batches small and large */
	mixed = 1;
	make_input(-1);
	write_input();
	check_in_order(", short stretches between wide ones");

	/* fn fails on record 777 (a wide stretch) and 1511 (a short one) */
	check_fails_at(&fail_at, 777, 1511, "fn fails here");
	/* a feed's fn failing ends it: no record after is handed over */
	use_into = 3;
	check_fails_at(&fail_at, 777, 1511, "fn fails here");
	use_into = 0;
	/* prep fails on record 1900 (a wide stretch) and 1511 (a short
	   one): reported at its line, after the records before it */
	use_into = 2;
	check_fails_at(&prep_fail_at, 1900, 1511, "prep fails here");
	/* a bad line (1234) before the record prep fails on (1300) wins */
	mixed = 0;
	make_input(1234);
	write_input();
	prep_fail_at = 1300;
	for (t = 0; t < NTHREADS; t++) {
		rc = run(threads[t], 0, &S, &err);
		UNIT_CHECK(rc == -1 && err.line == line_no[1234] &&
		    S.n == 1234 && S.wrong == 0, "nsl_batch_into_prep, %d "
		    "threads: a bad line before prep's failure is the one "
		    "reported (line %lu, %zu records: %s)", threads[t],
		    err.line, S.n, err.msg);
	}
	prep_fail_at = -1;
	use_into = 0;

	/* gzip cut short, at eleven places: the same records, then the error */
	mixed = 0;
	make_input(-1);
	{
		char gzp[300], cut[300], cmd[700];
		gzFile gz;
		size_t first[11], c;
		long size;
		FILE *fp;

		snprintf(gzp, sizeof(gzp), "%s", unit_path(dir, "in.jsonl.gz"));
		snprintf(cut, sizeof(cut), "%s", unit_path(dir, "cut.jsonl.gz"));
		if ((gz = gzopen(gzp, "wb1")) == NULL ||
		    gzwrite(gz, text.data, (unsigned)text.len) !=
		    (int)text.len || gzclose(gz) != Z_OK ||
		    (fp = fopen(gzp, "rb")) == NULL ||
		    fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
		    fclose(fp) != 0)
			return 1;
		for (t = 0; t < NTHREADS; t++) {
			int same = 1, wrong = 0, errs = 0;

			for (c = 0; c < 11; c++) {
				snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", gzp,
				    cut);
				if (system(cmd) != 0 || truncate(cut, size *
				    (long)(20 + 7 * c) / 100) != 0)
					return 1;
				rc = run_path(threads[t], 0, "cut.jsonl.gz", &S,
				    &err);
				if (t == 0)
					first[c] = S.n;
				same &= S.n == first[c] && S.n > 0 &&
				    S.n < NREC;
				wrong |= S.wrong != 0;
				errs += rc == -1 && err.code == NSL_EX_IOERR &&
				    strstr(err.msg, "truncated") != NULL;
			}
			UNIT_CHECK(same && !wrong && errs == 11, "%d threads, "
			    "a gzip file cut at 20%%, 27%%, ... 90%% of its "
			    "bytes: the records before the cut handed over, "
			    "as made, as many as with one thread, then the "
			    "read error (same %d, wrong %d, %d errors)",
			    threads[t], same, wrong, errs);
		}
	}

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	nsl_buf_release(&text);
	return unit_done();
}
