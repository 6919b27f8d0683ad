/*
 * batch.c - records' lines parsed on every thread, given in order (see
 * nsl/batch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/hash.h"

#define BATCH_LINES 64
#define BATCH_BYTES ((size_t)1 << 20)
#define BATCH_PARALLEL ((size_t)64 << 10)	/* bytes worth the threads */
#define DIRECT_LINES 16384	/* lines read one at a time, then a batch */

struct batch {
	struct nsl_buf text;	/* the lines, one after another */
	size_t n, off[BATCH_LINES], len[BATCH_LINES];
	unsigned long lineno[BATCH_LINES];
	uint64_t hash[BATCH_LINES];
	int rc[BATCH_LINES];
	struct nsl_rec rec[BATCH_LINES];
	struct nsl_err err[BATCH_LINES];
};

static int
lines_get(struct nsl_lines *L, const char **line, size_t *len,
    unsigned long *lineno, struct nsl_err *err)
{
	int rc = L->r ? nsl_rec_getline(L->r, line, len, err) :
	    nsl_spool_getline(L->sp, line, len, err);

	if (rc == 1)
		*lineno = L->r ? nsl_reader_lineno(L->r) :
		    nsl_spool_lineno(L->sp);
	return rc;
}

/* Place err at line lineno of L's current input. */
static void
lines_locate(const struct nsl_lines *L, unsigned long lineno,
    struct nsl_err *err)
{
	if (L->r) {
		nsl_err_at(err, nsl_reader_name(L->r), lineno);
		return;
	}
	nsl_spool_locate(L->sp, err);
	err->line = lineno;
}

static struct batch *
batch_new(unsigned rec_flags)
{
	struct batch *B = calloc(1, sizeof(*B));
	size_t j;

	if (B == NULL)
		return NULL;
	nsl_buf_init(&B->text);
	for (j = 0; j < BATCH_LINES; j++)
		nsl_rec_init(&B->rec[j], rec_flags);
	return B;
}

static void
batch_free(struct batch *B)
{
	size_t j;

	for (j = 0; j < BATCH_LINES; j++)
		nsl_rec_release(&B->rec[j]);
	nsl_buf_release(&B->text);
	free(B);
}

/* Fill B from L: returns what the last read returned (1: B is full). */
static int
batch_fill(struct batch *B, struct nsl_lines *L, struct nsl_err *err)
{
	const char *line;
	size_t len;
	unsigned long lineno;
	int got = 1;

	B->n = 0;
	B->text.len = 0;
	while (B->n < BATCH_LINES && B->text.len < BATCH_BYTES &&
	    (got = lines_get(L, &line, &len, &lineno, err)) == 1) {
		B->off[B->n] = B->text.len;
		B->len[B->n] = len;
		B->lineno[B->n] = lineno;
		nsl_buf_add(&B->text, line, len);
		B->n++;
	}
	if (nsl_buf_failed(&B->text))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return got;
}

static void
batch_parse(struct batch *B, int hash)
{
	long j;

#pragma omp parallel for schedule(dynamic, 1) if (B->text.len >= BATCH_PARALLEL)
	for (j = 0; j < (long)B->n; j++) {
		const char *line = B->text.data + B->off[j];

		B->rc[j] = nsl_rec_parse(&B->rec[j], line, B->len[j],
		    &B->err[j]);
		B->hash[j] = hash ? nsl_hash64(line, B->len[j]) : 0;
	}
}

/*
 * fn on one record; its error placed at the line unless fn places its
 * own (NSL_BATCH_FN_PLACES) or it is an I/O error, which names its file.
 */
static int
hand_over(const struct nsl_lines *L, unsigned flags, nsl_batch_fn *fn,
    void *arg, struct nsl_rec *rec, unsigned long lineno, uint64_t hash,
    struct nsl_err *err)
{
	if (fn(arg, rec, lineno, hash, err) == 0)
		return 0;
	if (!(flags & NSL_BATCH_FN_PLACES) && err->code != NSL_EX_IOERR)
		lines_locate(L, lineno, err);
	return -1;
}

/*
 * Lines taken one at a time, as the reader gives them, for up to n of
 * them: after a batch too small for the threads (short records), copying
 * lines into batches costs more than it saves.  Returns 1 to go on, 0 at
 * the end, -1 on an error (*done set when it is the reading's, ferr).
 */
static int
run_direct(struct nsl_lines *L, struct nsl_rec *into, struct batch *B,
    unsigned flags, nsl_batch_fn *fn, void *arg, size_t n,
    struct nsl_err *ferr, struct nsl_err *err)
{
	struct nsl_rec *rec = into ? into : &B->rec[0];
	const char *line;
	size_t len;
	unsigned long lineno;
	uint64_t hash;
	int got = 1;

	for (; n > 0 && (got = lines_get(L, &line, &len, &lineno,
	    ferr)) == 1; n--) {
		if (nsl_rec_parse(rec, line, len, err) != 0) {
			lines_locate(L, lineno, err);
			return -1;
		}
		hash = flags & NSL_BATCH_HASH ? nsl_hash64(line, len) : 0;
		if (hand_over(L, flags, fn, arg, rec, lineno, hash, err) != 0)
			return -1;
	}
	if (got < 0)
		*err = *ferr;
	return got;
}

static int
batch_run(struct nsl_lines *L, struct nsl_rec *into, unsigned rec_flags,
    unsigned flags, nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	struct batch *B;
	struct nsl_err ferr;	/* the reading's, kept for after the lines */
	size_t j;
	int got, rc = -1;

	if ((B = batch_new(rec_flags)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	memset(&ferr, 0, sizeof(ferr));
	do {
		got = batch_fill(B, L, &ferr);
		batch_parse(B, flags & NSL_BATCH_HASH);
		for (j = 0; j < B->n; j++) {
			if (B->rc[j] != 0) {
				*err = B->err[j];
				lines_locate(L, B->lineno[j], err);
				goto out;
			}
			if (into != NULL) {
				struct nsl_rec t = *into;

				*into = B->rec[j];
				B->rec[j] = t;
			}
			if (hand_over(L, flags, fn, arg, into ? into :
			    &B->rec[j], B->lineno[j], B->hash[j], err) != 0)
				goto out;
		}
		if (got < 0) {	/* after the lines before it, as read */
			*err = ferr;
			goto out;
		}
		/* a full batch of short lines: the next ones as they come */
		if (got == 1 && B->text.len < BATCH_PARALLEL &&
		    (got = run_direct(L, into, B, flags, fn, arg, DIRECT_LINES,
		    &ferr, err)) < 0)
			goto out;
	} while (got == 1);
	rc = 0;
out:
	batch_free(B);
	return rc;
}

int
nsl_batch_each(struct nsl_lines *L, unsigned rec_flags, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	return batch_run(L, NULL, rec_flags, flags, fn, arg, err);
}

int
nsl_batch_into(struct nsl_lines *L, struct nsl_rec *rec, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	return batch_run(L, rec, rec->flags, flags, fn, arg, err);
}

/* nsl_rec_each's visit through the batches: fn without the line's place */
struct rec_each {
	nsl_rec_fn *fn;
	void *arg;
};

static int
rec_each_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct rec_each *E = arg;

	(void)lineno;
	(void)hash;
	return E->fn(E->arg, rec, err);
}

int
nsl_batch_paths(const char *const *paths, size_t npaths, struct nsl_rec *rec,
    nsl_batch_fn *fn, nsl_batch_end_fn *end, void *arg, struct nsl_err *err)
{
	static const char *const stdin_path[] = { "-" };
	struct nsl_lines L = { NULL, NULL };
	size_t p;
	int rc;

	if (npaths == 0) {
		paths = stdin_path;
		npaths = 1;
	}
	for (p = 0; p < npaths; p++) {
		if ((L.r = nsl_reader_open(paths[p], err)) == NULL)
			return -1;
		rc = nsl_batch_into(&L, rec, 0, fn, arg, err);
		if (rc == 0 && end != NULL)
			rc = end(arg, p, nsl_reader_name(L.r), err);
		nsl_reader_close(L.r);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
nsl_rec_each(const char *const *paths, size_t npaths, struct nsl_rec *rec,
    nsl_rec_fn *fn, void *arg, struct nsl_err *err)
{
	struct rec_each E = { fn, arg };

	return nsl_batch_paths(paths, npaths, rec, rec_each_one, NULL, &E,
	    err);
}
