/*
 * batch.c - records' lines parsed on every thread, given in order (see
 * nsl/batch.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/hash.h"

#define BATCH_LINES 64
#define BATCH_BYTES ((size_t)1 << 20)
#define BATCH_PARALLEL ((size_t)64 << 10)	/* bytes worth the threads */
#define DIRECT_LINES 16384	/* lines read one at a time, then a batch */

/*
 * The threads that parse a batch beside the caller (the crew).  Between
 * batches they spin for a moment, then sleep until the next one is
 * posted.  An OpenMP team's idle threads spin for milliseconds instead,
 * which costs nothing while the caller cuts lines from a file, but while
 * it waits on a pipe they take the core's time from the process writing
 * the pipe and from the thread copying it (nsl-prune hard from a 965 MB
 * pipe on two hyperthreads: 0.95 s with a team, 0.85 s with the crew;
 * from the file 0.5 s either way, with a quarter less CPU time).
 */
#define CREW_MAX 64
#define CREW_SPIN 1000		/* polls (a few microseconds) before sleeping */

#if defined(__x86_64__) || defined(__i386__)
#define CREW_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CREW_RELAX() __asm__ __volatile__("yield")
#else
#define CREW_RELAX() ((void)0)
#endif

struct batch;

struct crew {
	pthread_t thread[CREW_MAX];
	int n;			/* helpers running */
	pthread_mutex_t mu;
	pthread_cond_t go;	/* a batch was posted, or stop */
	pthread_cond_t idle;	/* the last helper left a closed batch */
	unsigned long posted;	/* batches posted so far */
	int open;		/* helpers may still join the current one */
	int working;		/* helpers in it */
	int sleeping;		/* helpers waiting on go */
	int stop;
	struct batch *B;
	int hash;
	long next;		/* its next line to take */
};

struct batch {
	struct nsl_buf text;	/* the lines, one after another */
	size_t n, off[BATCH_LINES], len[BATCH_LINES];
	unsigned long lineno[BATCH_LINES];
	uint64_t hash[BATCH_LINES];
	int rc[BATCH_LINES];
	struct nsl_rec rec[BATCH_LINES];
	struct nsl_err err[BATCH_LINES];
	/* nsl_batch_into_prep: the work on each parsed line, its results */
	nsl_batch_prep_fn *prep;
	void *parg;
	const struct nsl_batch_prep **cur;	/* set for fn, or NULL */
	struct nsl_batch_prep pr[BATCH_LINES];
	/* a feed's lines are placed by its caller (nsl_batch_feed_new) */
	nsl_batch_place_fn *place;
	void *place_arg;
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
batch_new(unsigned rec_flags, nsl_batch_prep_fn *prep, void *parg,
    const struct nsl_batch_prep **cur)
{
	struct batch *B = calloc(1, sizeof(*B));
	size_t j;

	if (B == NULL)
		return NULL;
	nsl_buf_init(&B->text);
	for (j = 0; j < BATCH_LINES; j++) {
		nsl_rec_init(&B->rec[j], rec_flags);
		nsl_buf_init(&B->pr[j].out);
	}
	B->prep = prep;
	B->parg = parg;
	B->cur = cur;
	return B;
}

static void
batch_free(struct batch *B)
{
	size_t j;

	for (j = 0; j < BATCH_LINES; j++) {
		nsl_rec_release(&B->rec[j]);
		nsl_buf_release(&B->pr[j].out);
	}
	nsl_buf_release(&B->text);
	free(B);
}

/* The caller's work on record j of B, once parsed, into B->pr[j]. */
static void
prep_line(struct batch *B, const struct nsl_rec *rec, long j)
{
	struct nsl_batch_prep *P = &B->pr[j];

	nsl_buf_reset(&P->out);
	P->rc = B->prep(B->parg, rec, &P->out, &P->err);
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
parse_line(struct batch *B, long j, int hash)
{
	const char *line = B->text.data + B->off[j];

	B->rc[j] = nsl_rec_parse(&B->rec[j], line, B->len[j], &B->err[j]);
	B->hash[j] = hash ? nsl_hash64(line, B->len[j]) : 0;
	if (B->prep != NULL && B->rc[j] == 0)
		prep_line(B, &B->rec[j], j);
}

/* Take the current batch's lines one at a time until none is left. */
static void
crew_work(struct crew *C)
{
	struct batch *B = C->B;
	long j;

	while ((j = __atomic_fetch_add(&C->next, 1, __ATOMIC_RELAXED)) <
	    (long)B->n)
		parse_line(B, j, C->hash);
}

static void *
crew_main(void *arg)
{
	struct crew *C = arg;
	unsigned long seen = 0;
	int k;

	for (;;) {
		for (k = 0; k < CREW_SPIN &&
		    __atomic_load_n(&C->posted, __ATOMIC_ACQUIRE) == seen &&
		    !__atomic_load_n(&C->stop, __ATOMIC_RELAXED); k++)
			CREW_RELAX();
		pthread_mutex_lock(&C->mu);
		while (C->posted == seen && !C->stop) {
			C->sleeping++;
			pthread_cond_wait(&C->go, &C->mu);
			C->sleeping--;
		}
		if (C->stop) {
			pthread_mutex_unlock(&C->mu);
			return NULL;
		}
		seen = C->posted;
		if (!C->open) {		/* done without us */
			pthread_mutex_unlock(&C->mu);
			continue;
		}
		C->working++;
		pthread_mutex_unlock(&C->mu);
		crew_work(C);
		pthread_mutex_lock(&C->mu);
		if (--C->working == 0 && !C->open)
			pthread_cond_signal(&C->idle);
		pthread_mutex_unlock(&C->mu);
	}
}

/* A crew of helpers for the threads OpenMP would use, or NULL (none). */
static struct crew *
crew_start(void)
{
	struct crew *C;
	sigset_t all, old;
	int want = 1;

#ifdef _OPENMP
	want = omp_get_max_threads();
#endif
	if (want > CREW_MAX + 1)
		want = CREW_MAX + 1;
	if (want < 2 || (C = calloc(1, sizeof(*C))) == NULL)
		return NULL;
	pthread_mutex_init(&C->mu, NULL);
	pthread_cond_init(&C->go, NULL);
	pthread_cond_init(&C->idle, NULL);
	/* the helpers take no signal: the caller's handlers run where
	   they expect */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (C->n = 0; C->n < want - 1; C->n++)
		if (pthread_create(&C->thread[C->n], NULL, crew_main, C) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return C;
}

static void
crew_stop(struct crew *C)
{
	int i;

	if (C == NULL)
		return;
	pthread_mutex_lock(&C->mu);
	C->stop = 1;
	pthread_cond_broadcast(&C->go);
	pthread_mutex_unlock(&C->mu);
	for (i = 0; i < C->n; i++)
		pthread_join(C->thread[i], NULL);
	pthread_mutex_destroy(&C->mu);
	pthread_cond_destroy(&C->go);
	pthread_cond_destroy(&C->idle);
	free(C);
}

/*
 * Start parsing B: posted to the crew when the batch is worth the threads
 * (the crew started the first time one is).  Returns 1 when posted: the
 * helpers are at it, and batch_finish() must be called before B is read
 * or filled again.
 */
static int
batch_post(struct batch *B, int hash, struct crew **crewp)
{
	struct crew *C = *crewp;

	if (B->text.len < BATCH_PARALLEL)
		return 0;
	if (C == NULL)
		C = *crewp = crew_start();
	if (C == NULL || C->n == 0)
		return 0;
	pthread_mutex_lock(&C->mu);
	C->B = B;
	C->hash = hash;
	C->next = 0;
	C->open = 1;
	__atomic_store_n(&C->posted, C->posted + 1, __ATOMIC_RELEASE);
	if (C->sleeping > 0)
		pthread_cond_broadcast(&C->go);
	pthread_mutex_unlock(&C->mu);
	return 1;
}

/*
 * Finish parsing B: the caller takes the lines left (every line, when B
 * was not posted) and returns when every line is parsed and no helper
 * holds the batch.
 */
static void
batch_finish(struct batch *B, int posted, int hash, struct crew *C)
{
	long j;

	if (!posted) {
		for (j = 0; j < (long)B->n; j++)
			parse_line(B, j, hash);
		return;
	}
	crew_work(C);
	pthread_mutex_lock(&C->mu);
	C->open = 0;
	while (C->working > 0)
		pthread_cond_wait(&C->idle, &C->mu);
	pthread_mutex_unlock(&C->mu);
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
		if (B->prep != NULL) {
			prep_line(B, rec, 0);
			*B->cur = &B->pr[0];
		}
		if (hand_over(L, flags, fn, arg, rec, lineno, hash, err) != 0)
			return -1;
	}
	if (got < 0)
		*err = *ferr;
	return got;
}

/*
 * B's records to fn in order, the first that does not parse ending it
 * (placed at its line).
 */
static int
batch_visit(struct batch *B, const struct nsl_lines *L, struct nsl_rec *into,
    unsigned flags, nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	size_t j;

	for (j = 0; j < B->n; j++) {
		if (B->rc[j] != 0) {
			*err = B->err[j];
			if (B->place != NULL)
				B->place(B->place_arg, B->lineno[j], err);
			else
				lines_locate(L, B->lineno[j], err);
			return -1;
		}
		if (into != NULL) {
			struct nsl_rec t = *into;

			*into = B->rec[j];
			B->rec[j] = t;
		}
		if (B->cur != NULL)
			*B->cur = &B->pr[j];
		if (hand_over(L, flags, fn, arg, into ? into : &B->rec[j],
		    B->lineno[j], B->hash[j], err) != 0)
			return -1;
	}
	return 0;
}

/*
 * Batches of lines, two in turn: while the crew parses one (cur), the
 * caller reads the next (nxt), then hands cur's records to fn while the
 * crew parses nxt.  With one batch the helpers sat idle through the
 * reading and through fn, the single-threaded part of every read: at
 * embedding widths that part is the read(2) copy, cutting the lines, and
 * fn's own work (keeping each row, for k-means), as long as the parse
 * itself (nsl-score's k-means at 50,000 x 2048 from JSONL: the helper
 * busy a fifth of the time).  A batch too small for the threads is
 * parsed by the caller, as it is read, and short lines after it are
 * taken one at a time (run_direct).
 */
static int
batch_run(struct nsl_lines *L, struct nsl_rec *into, unsigned rec_flags,
    unsigned flags, nsl_batch_prep_fn *prep, void *parg,
    const struct nsl_batch_prep **prepared, nsl_batch_fn *fn, void *arg,
    struct nsl_err *err)
{
	struct batch *cur, *nxt, *t;
	struct crew *crew = NULL;
	struct nsl_err ferr;	/* the reading's, kept for after the lines */
	int hash = flags & NSL_BATCH_HASH;
	int got, posted, nposted, rc = -1;

	cur = batch_new(rec_flags, prep, parg, prepared);
	nxt = batch_new(rec_flags, prep, parg, prepared);
	if (cur == NULL || nxt == NULL) {
		rc = nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	memset(&ferr, 0, sizeof(ferr));
	got = batch_fill(cur, L, &ferr);
	posted = batch_post(cur, hash, &crew);
	for (;;) {
		nxt->n = 0;
		if (posted && got == 1)
			got = batch_fill(nxt, L, &ferr);
		batch_finish(cur, posted, hash, crew);
		nposted = nxt->n > 0 && batch_post(nxt, hash, &crew);
		if (batch_visit(cur, L, into, flags, fn, arg, err) != 0)
			goto out;
		if (nxt->n > 0) {
			t = cur;
			cur = nxt;
			nxt = t;
			posted = nposted;
			continue;
		}
		if (got < 0) {	/* after the lines before it, as read */
			*err = ferr;
			goto out;
		}
		/* a full batch of short lines: the next ones as they come */
		if (got == 1 && cur->text.len < BATCH_PARALLEL &&
		    (got = run_direct(L, into, cur, flags, fn, arg,
		    DIRECT_LINES, &ferr, err)) < 0)
			goto out;
		if (got != 1)
			break;
		got = batch_fill(cur, L, &ferr);
		posted = batch_post(cur, hash, &crew);
	}
	rc = 0;
out:
	crew_stop(crew);
	if (cur != NULL)
		batch_free(cur);
	if (nxt != NULL)
		batch_free(nxt);
	return rc;
}

int
nsl_batch_each(struct nsl_lines *L, unsigned rec_flags, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	return batch_run(L, NULL, rec_flags, flags, NULL, NULL, NULL, fn, arg,
	    err);
}

int
nsl_batch_into(struct nsl_lines *L, struct nsl_rec *rec, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	return batch_run(L, rec, rec->flags, flags, NULL, NULL, NULL, fn, arg,
	    err);
}

int
nsl_batch_into_prep(struct nsl_lines *L, struct nsl_rec *rec, unsigned flags,
    nsl_batch_prep_fn *prep, const struct nsl_batch_prep **prepared,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err)
{
	return batch_run(L, rec, rec->flags, flags, prep, arg, prepared, fn,
	    arg, err);
}

/*
 * A feed: lines are added to nxt as they are given; when it is full, cur
 * (posted to the crew when it was filled) is finished, nxt posted, and
 * cur's records handed over while the crew parses nxt, as batch_run
 * does with lines it reads.
 */
struct nsl_batch_feed {
	struct batch *cur, *nxt;
	int have_cur;		/* cur holds lines not yet handed over */
	int posted;		/* cur was posted to the crew */
	int failed;
	struct crew *crew;
	struct nsl_rec *into;
	unsigned flags;
	nsl_batch_fn *fn;
	void *arg;
};

struct nsl_batch_feed *
nsl_batch_feed_new(struct nsl_rec *rec, unsigned flags, nsl_batch_fn *fn,
    nsl_batch_place_fn *place, void *arg)
{
	struct nsl_batch_feed *F = calloc(1, sizeof(*F));

	if (F == NULL)
		return NULL;
	F->cur = batch_new(rec->flags, NULL, NULL, NULL);
	F->nxt = batch_new(rec->flags, NULL, NULL, NULL);
	if (F->cur == NULL || F->nxt == NULL) {
		nsl_batch_feed_free(F);
		return NULL;
	}
	F->cur->place = F->nxt->place = place;
	F->cur->place_arg = F->nxt->place_arg = arg;
	F->into = rec;
	/* fn has the tags, not the batch: it places its own errors */
	F->flags = flags | NSL_BATCH_FN_PLACES;
	F->fn = fn;
	F->arg = arg;
	return F;
}

void
nsl_batch_feed_free(struct nsl_batch_feed *F)
{
	if (F == NULL)
		return;
	if (F->have_cur && F->posted)	/* an error left it with the crew */
		batch_finish(F->cur, 1, F->flags & NSL_BATCH_HASH, F->crew);
	crew_stop(F->crew);
	if (F->cur != NULL)
		batch_free(F->cur);
	if (F->nxt != NULL)
		batch_free(F->nxt);
	free(F);
}

/* Hand over cur (once parsed), and make nxt, posted, the new cur. */
static int
feed_cycle(struct nsl_batch_feed *F, struct nsl_err *err)
{
	int hash = F->flags & NSL_BATCH_HASH, nposted;
	struct batch *t;

	if (!F->have_cur) {
		t = F->cur;
		F->cur = F->nxt;
		F->nxt = t;
		F->nxt->n = 0;
		F->nxt->text.len = 0;
		F->posted = batch_post(F->cur, hash, &F->crew);
		F->have_cur = 1;
		return 0;
	}
	batch_finish(F->cur, F->posted, hash, F->crew);
	nposted = F->nxt->n > 0 && batch_post(F->nxt, hash, &F->crew);
	F->have_cur = 0;
	if (batch_visit(F->cur, NULL, F->into, F->flags, F->fn, F->arg,
	    err) != 0) {
		/* nxt may be with the crew: it is cur now, to finish */
		F->have_cur = F->nxt->n > 0;
		F->posted = nposted;
		t = F->cur;
		F->cur = F->nxt;
		F->nxt = t;
		return -1;
	}
	t = F->cur;
	F->cur = F->nxt;
	F->nxt = t;
	F->nxt->n = 0;
	F->nxt->text.len = 0;
	F->posted = nposted;
	F->have_cur = F->cur->n > 0;
	return 0;
}

int
nsl_batch_feed_line(struct nsl_batch_feed *F, const char *line, size_t len,
    unsigned long tag, struct nsl_err *err)
{
	struct batch *B = F->nxt;

	if (F->failed)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "batch: a line "
		    "given after an error");
	B->off[B->n] = B->text.len;
	B->len[B->n] = len;
	B->lineno[B->n] = tag;
	nsl_buf_add(&B->text, line, len);
	B->n++;
	if (nsl_buf_failed(&B->text)) {
		F->failed = 1;
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	if ((B->n == BATCH_LINES || B->text.len >= BATCH_BYTES) &&
	    feed_cycle(F, err) != 0) {
		F->failed = 1;
		return -1;
	}
	return 0;
}

int
nsl_batch_feed_end(struct nsl_batch_feed *F, struct nsl_err *err)
{
	if (F->failed)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "batch: the end of "
		    "a feed after an error");
	/* cur, then what nxt holds (posted as the new cur, handed over) */
	while (F->have_cur || F->nxt->n > 0)
		if (feed_cycle(F, err) != 0) {
			F->failed = 1;
			return -1;
		}
	return 0;
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

/* nsl_batch_paths_write's fn: the line prep made, written */
struct prepared_lines {
	struct nsl_writer *w;
	const struct nsl_batch_prep *line;
};

static int
write_prepared(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	const struct prepared_lines *P = arg;

	(void)rec;
	(void)lineno;
	(void)hash;
	if (P->line->rc != 0) {
		*err = P->line->err;
		return -1;
	}
	return nsl_writer_write(P->w, P->line->out.data, P->line->out.len,
	    err);
}

static int
batch_paths(const char *const *paths, size_t npaths, struct nsl_rec *rec,
    nsl_batch_prep_fn *prep, void *parg,
    const struct nsl_batch_prep **prepared, nsl_batch_fn *fn,
    nsl_batch_end_fn *end, void *arg, struct nsl_err *err)
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
		rc = batch_run(&L, rec, rec->flags, 0, prep, parg, prepared, fn,
		    arg, err);
		if (rc == 0 && end != NULL)
			rc = end(arg, p, nsl_reader_name(L.r), err);
		nsl_reader_close(L.r);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
nsl_batch_paths(const char *const *paths, size_t npaths, struct nsl_rec *rec,
    nsl_batch_fn *fn, nsl_batch_end_fn *end, void *arg, struct nsl_err *err)
{
	return batch_paths(paths, npaths, rec, NULL, NULL, NULL, fn, end, arg,
	    err);
}

int
nsl_batch_paths_write(const char *const *paths, size_t npaths,
    struct nsl_rec *rec, nsl_batch_prep_fn *prep, void *arg,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct prepared_lines P = { w, NULL };

	/* prep's arg is the caller's; fn's is P */
	return batch_paths(paths, npaths, rec, prep, arg, &P.line,
	    write_prepared, NULL, &P, err);
}

int
nsl_rec_each(const char *const *paths, size_t npaths, struct nsl_rec *rec,
    nsl_rec_fn *fn, void *arg, struct nsl_err *err)
{
	struct rec_each E = { fn, arg };

	return nsl_batch_paths(paths, npaths, rec, rec_each_one, NULL, &E,
	    err);
}
