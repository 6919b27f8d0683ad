/*
 * spool.c - choose records in one pass, write them back in a second (see
 * nsl/spool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/spool.h"

/* How an input's lines come back for nsl_spool_emit(). */
enum spool_kind {
	SPOOL_FILE,		/* open path again */
	SPOOL_STDIN,		/* standard input is a file: seek back */
	SPOOL_SPILL		/* copied to the temporary file as read */
};

struct spool_input {
	char *path;		/* to open again (SPOOL_FILE) */
	char *name;		/* display name */
	enum spool_kind kind;
	off_t off;		/* SPOOL_STDIN: where standard input began;
				   SPOOL_SPILL: where its copy begins */
	uint64_t first;		/* index of its first record */
	uint64_t count;
};

/*
 * Freeing the copy behind a single second pass (nsl_spool_once).
 * Closing a spill of n bytes gives n / 4096 pages back to the kernel,
 * about 0.1 s a GB here, all on the way out after the output is
 * written.  A thread punches out (FALLOC_FL_PUNCH_HOLE) what the pass
 * has gone by instead, beside it, and the rest once it is done; the
 * close then has nothing left to free.  The pages also come back while
 * the output is being written, whose page cache takes them instead of
 * fresh memory (nsl-prune -o FILE from a 1.9 GB pipe on a virtual
 * machine: 3.4 s of system time with the copy freed at the close, 1.0 s
 * with it freed behind the pass).  Best effort: a file system that
 * cannot punch holes leaves it all to the close, as before.
 */
#define REAP_ALIGN (64 * 1024)		/* whole pages of any size up to it */
#define REAP_STEP (8 * 1024 * 1024)	/* fewer, larger calls */

struct reaper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t want;		/* the pass needs no byte below this */
	uint64_t done;		/* freed below this */
	int stop;		/* free up to want, then end */
	int fd;
};

struct nsl_spool {
	struct spool_input *in;
	size_t nin, capin;
	/* per record: its line number in its input, or for a spilled
	   input its line's byte offset in the temporary file */
	uint64_t *lineno;
	uint64_t n, cap;
	int spill;		/* unlinked temporary file, or -1 */
	struct nsl_reader *cur;
	int once;		/* one visit: free the spill behind it */
	int visited;
	struct reaper *reaper;	/* running, or NULL */
};

static void *
reap_main(void *arg)
{
	struct reaper *R = arg;
	uint64_t lo, hi;
	int ok = 1, stop;

	pthread_mutex_lock(&R->mu);
	for (;;) {
		while (!R->stop && R->want - R->done < REAP_STEP)
			pthread_cond_wait(&R->cv, &R->mu);
		stop = R->stop;
		lo = R->done;
		/* while the pass runs, whole blocks below where it is */
		hi = stop ? R->want : R->want / REAP_ALIGN * REAP_ALIGN;
		if (hi > lo && ok) {
			pthread_mutex_unlock(&R->mu);
			ok = fallocate(R->fd, FALLOC_FL_PUNCH_HOLE |
			    FALLOC_FL_KEEP_SIZE, (off_t)lo,
			    (off_t)(hi - lo)) == 0;
			pthread_mutex_lock(&R->mu);
		}
		if (hi > R->done)
			R->done = hi;
		if (!ok)	/* cannot: the close frees it all */
			R->done = R->want;
		if (stop)
			break;
	}
	pthread_mutex_unlock(&R->mu);
	return NULL;
}

/* The pass needs no byte of the spill below off any more. */
static void
reap_to(struct nsl_spool *s, uint64_t off)
{
	struct reaper *R = s->reaper;
	sigset_t all, old;

	if (!s->once || s->spill < 0)
		return;
	if (R == NULL) {
		if ((R = calloc(1, sizeof(*R))) == NULL)
			return;
		R->fd = s->spill;
		pthread_mutex_init(&R->mu, NULL);
		pthread_cond_init(&R->cv, NULL);
		/* the thread takes no signal: the caller's handlers run
		   where they expect */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&R->thread, NULL, reap_main, R) != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			pthread_mutex_destroy(&R->mu);
			pthread_cond_destroy(&R->cv);
			free(R);
			s->once = 0;	/* do not try again */
			return;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		s->reaper = R;
	}
	pthread_mutex_lock(&R->mu);
	if (off > R->want) {
		R->want = off;
		if (R->want - R->done >= REAP_STEP)
			pthread_cond_signal(&R->cv);
	}
	pthread_mutex_unlock(&R->mu);
}

/* Let the thread free what it was told to, and end it. */
static void
reap_stop(struct nsl_spool *s)
{
	struct reaper *R = s->reaper;

	if (R == NULL)
		return;
	pthread_mutex_lock(&R->mu);
	R->stop = 1;
	pthread_cond_signal(&R->cv);
	pthread_mutex_unlock(&R->mu);
	pthread_join(R->thread, NULL);
	pthread_mutex_destroy(&R->mu);
	pthread_cond_destroy(&R->cv);
	free(R);
	s->reaper = NULL;
}

void
nsl_spool_once(struct nsl_spool *s)
{
	s->once = 1;
}

struct nsl_spool *
nsl_spool_new(void)
{
	struct nsl_spool *s = calloc(1, sizeof(struct nsl_spool));

	if (s != NULL)
		s->spill = -1;
	return s;
}

void
nsl_spool_free(struct nsl_spool *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nin; i++) {
		free(s->in[i].path);
		free(s->in[i].name);
	}
	free(s->in);
	free(s->lineno);
	reap_stop(s);
	if (s->spill >= 0)
		close(s->spill);
	nsl_reader_close(s->cur);
	free(s);
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/* An unlinked temporary file in $TMPDIR or /tmp; its fd, or -1. */
static int
spill_open(struct nsl_err *err)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((tmpl = malloc(strlen(dir) + 32)) == NULL)
		return oom(err);
	sprintf(tmpl, "%s/nsl-spool.XXXXXX", dir);
	if ((fd = mkstemp(tmpl)) < 0) {
		nsl_err_at(err, dir, 0);
		nsl_err_set(err, NSL_EX_IOERR, "cannot make a temporary file: "
		    "%s", strerror(errno));
		free(tmpl);
		return -1;
	}
	unlink(tmpl);
	free(tmpl);
	return fd;
}

static int
spill_error(struct nsl_err *err, const char *what)
{
	nsl_err_at(err, "temporary file", 0);
	return nsl_err_set(err, NSL_EX_IOERR, "%s failed: %s", what,
	    errno ? strerror(errno) : "unknown error");
}

/*
 * How path's lines can come back.  A file is read again, standard input
 * too when it is a file (a shell's '<'): only a pipe or a device costs a
 * copy.  For SPOOL_STDIN, *off is where reading starts.
 */
static enum spool_kind
spool_kind(const char *path, off_t *off)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
		    (*off = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0)
			return SPOOL_STDIN;
		return SPOOL_SPILL;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return SPOOL_FILE;
	return SPOOL_SPILL;
}

int
nsl_spool_open(struct nsl_spool *s, const char *path, struct nsl_err *err)
{
	struct spool_input *in;
	enum spool_kind kind;
	off_t off = 0;

	if (s->cur != NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "spool: previous "
		    "input not finished");
	if (path == NULL)
		path = "-";
	kind = spool_kind(path, &off);
	if (s->nin == s->capin) {
		size_t cap = s->capin ? 2 * s->capin : 8;
		struct spool_input *p = realloc(s->in, cap * sizeof(*p));

		if (p == NULL)
			return oom(err);
		s->in = p;
		s->capin = cap;
	}
	if (kind == SPOOL_SPILL && s->spill < 0 &&
	    (s->spill = spill_open(err)) < 0)
		return -1;
	if (kind == SPOOL_SPILL &&
	    (off = lseek(s->spill, 0, SEEK_END)) < 0)
		return spill_error(err, "seek");
	if ((s->cur = nsl_reader_open(path, err)) == NULL)
		return -1;
	in = &s->in[s->nin];
	memset(in, 0, sizeof(*in));
	in->first = s->n;
	in->kind = kind;
	in->off = off;
	if ((in->name = strdup(nsl_reader_name(s->cur))) == NULL ||
	    (kind == SPOOL_FILE && (in->path = strdup(path)) == NULL)) {
		free(in->name);
		nsl_reader_close(s->cur);
		s->cur = NULL;
		return oom(err);
	}
	/* the reader copies what it reads, in large blocks, not by line */
	if (kind == SPOOL_SPILL)
		nsl_reader_tee(s->cur, s->spill);
	s->nin++;
	return 0;
}

void
nsl_spool_locate(const struct nsl_spool *s, struct nsl_err *err)
{
	if (s->nin > 0)
		nsl_err_at(err, s->in[s->nin - 1].name,
		    s->cur != NULL ? nsl_reader_lineno(s->cur) : 0);
}

unsigned long
nsl_spool_lineno(const struct nsl_spool *s)
{
	return s->cur != NULL ? nsl_reader_lineno(s->cur) : 0;
}

/*
 * End a spilled input's copy with a newline, so that its last line, if
 * it had none, does not run into the next input's first.
 */
static int
spill_finish(struct nsl_spool *s, const struct spool_input *in,
    struct nsl_err *err)
{
	off_t end;
	char c;

	errno = 0;
	if ((end = lseek(s->spill, 0, SEEK_END)) < 0)
		return spill_error(err, "seek");
	if (end == in->off)
		return 0;
	if (pread(s->spill, &c, 1, end - 1) != 1)
		return spill_error(err, "read");
	if (c != '\n' && write(s->spill, "\n", 1) != 1)
		return spill_error(err, "write");
	return 0;
}

int
nsl_spool_next(struct nsl_spool *s, struct nsl_rec *rec, struct nsl_err *err)
{
	const char *line;
	size_t len;
	int rc;

	if ((rc = nsl_spool_getline(s, &line, &len, err)) <= 0)
		return rc;
	if (nsl_rec_parse(rec, line, len, err) != 0) {
		nsl_spool_locate(s, err);
		return -1;
	}
	return 1;
}

int
nsl_spool_getline(struct nsl_spool *s, const char **line, size_t *len,
    struct nsl_err *err)
{
	struct spool_input *in = &s->in[s->nin - 1];
	int rc;

	if (s->cur == NULL)
		return 0;
	if ((rc = nsl_rec_getline(s->cur, line, len, err)) <= 0) {
		if (rc < 0) {
			nsl_spool_locate(s, err);
			return -1;
		}
		nsl_reader_close(s->cur);
		s->cur = NULL;
		if (in->kind == SPOOL_SPILL)
			return spill_finish(s, in, err) < 0 ? -1 : 0;
		return 0;
	}
	if (s->n == s->cap) {
		uint64_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *p = realloc(s->lineno, cap * sizeof(*p));

		if (p == NULL)
			return oom(err);
		s->lineno = p;
		s->cap = cap;
	}
	s->lineno[s->n] = in->kind == SPOOL_SPILL ?
	    (uint64_t)in->off + nsl_reader_offset(s->cur) :
	    nsl_reader_lineno(s->cur);
	s->n++;
	in->count++;
	return 1;
}

uint64_t
nsl_spool_count(const struct nsl_spool *s)
{
	return s->n;
}

/* A reader at the start of input in, for the second pass. */
static struct nsl_reader *
reopen(struct nsl_spool *s, const struct spool_input *in,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	int fd;

	switch (in->kind) {
	case SPOOL_FILE:
		return nsl_reader_open(in->path, err);
	case SPOOL_STDIN:
		/* the reader's dup shares this offset */
		if (lseek(STDIN_FILENO, in->off, SEEK_SET) < 0) {
			nsl_err_at(err, in->name, 0);
			nsl_err_set(err, NSL_EX_IOERR, "cannot read again: %s",
			    strerror(errno));
			return NULL;
		}
		r = nsl_reader_open("-", err);
		break;
	default:
		errno = 0;
		if ((fd = dup(s->spill)) < 0 ||
		    lseek(fd, in->off, SEEK_SET) < 0) {
			if (fd >= 0)
				close(fd);
			spill_error(err, "read");
			return NULL;
		}
		r = nsl_reader_open_fd(fd, in->name, err);
		break;
	}
	if (r != NULL && nsl_reader_set_name(r, in->name) != 0) {
		nsl_reader_close(r);
		oom(err);
		return NULL;
	}
	return r;
}

/*
 * The kept lines of a spilled input, read by their offsets: a run of
 * kept lines is read in one pread(2), with the dropped lines between
 * runs when they are short (less than SPILL_GAP bytes: a read costs
 * about that much copying), skipped when long.  Every spilled line ends
 * in a newline (spill_finish).
 */
#define SPILL_WINDOW (1024 * 1024)
#define SPILL_GAP (64 * 1024)

struct spill_window {
	char *buf;
	size_t cap, len;	/* buf holds len bytes of the file ... */
	uint64_t at;		/* ... from offset at */
};

/* pread all of n bytes at off, fewer only at the end of the file. */
static ssize_t
pread_full(int fd, char *p, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = pread(fd, p + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

/*
 * Make the window hold the line at offset o, reading [o, stop) (stop >
 * o) or more if the line is longer.  Returns 1, 0 if the file ends
 * before the line does, -1 on a read error (errno set).
 */
static int
spill_load(struct spill_window *W, int fd, uint64_t o, uint64_t stop)
{
	size_t want = stop - o < W->cap ? (size_t)(stop - o) : W->cap;
	ssize_t got;
	char *p;

	W->at = o;
	W->len = 0;
	for (;;) {
		if ((got = pread_full(fd, W->buf + W->len, want - W->len,
		    o + W->len)) < 0)
			return -1;
		if (memchr(W->buf + W->len, '\n', (size_t)got) != NULL)
			break;
		W->len += (size_t)got;
		if (W->len < want)
			return 0;
		/* a line longer than the window: twice the room */
		if (W->len == W->cap) {
			if (W->cap > SIZE_MAX / 2 ||
			    (p = realloc(W->buf, 2 * W->cap + 1)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			W->buf = p;
			W->cap *= 2;
		}
		want = W->cap;
	}
	W->len += (size_t)got;
	return 1;
}

/* The second pass found fewer lines than the first counted. */
static int
ended_early(const struct spool_input *in, struct nsl_err *err)
{
	nsl_err_at(err, in->name, 0);
	return nsl_err_set(err, NSL_EX_IOERR, "file changed while being "
	    "read (ended early on the second pass)");
}

static int
emit_spill(struct nsl_spool *s, const struct spool_input *in,
    const unsigned char *keep, uint64_t i, nsl_spool_fn *fn, void *arg,
    struct nsl_err *err)
{
	struct spill_window W;
	uint64_t end = in->first + in->count, j, last, stop, o;
	char *line, *nl;
	size_t len;
	int rc = 0, got;

	W.cap = SPILL_WINDOW;
	W.len = 0;
	W.at = 0;
	/* a spare byte past the window for the terminating NUL */
	if ((W.buf = malloc(W.cap + 1)) == NULL)
		return oom(err);
	while (i < end) {
		o = s->lineno[i];
		if (o < W.at || o >= W.at + W.len ||
		    (nl = memchr(W.buf + (o - W.at), '\n',
		    W.len - (size_t)(o - W.at))) == NULL) {
			/* the window: the kept lines from i on, with the
			   short gaps, to the start of the line after them */
			for (last = i, j = i + 1; j < end; j++) {
				if (s->lineno[j] - o >= W.cap)
					break;
				if (keep[j]) {
					if (s->lineno[j] - s->lineno[last + 1] >=
					    SPILL_GAP)
						break;
					last = j;
				}
			}
			stop = last + 1 < end ? s->lineno[last + 1] :
			    o + W.cap;
			reap_to(s, o);
			errno = 0;
			if ((got = spill_load(&W, s->spill, o, stop)) < 0) {
				rc = spill_error(err, "read");
				break;
			}
			if (got == 0)
				break;
			nl = memchr(W.buf, '\n', W.len);
		}
		line = W.buf + (o - W.at);
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		line[len] = '\0';
		if (fn(arg, i, line, len, err) != 0) {
			rc = -1;
			break;
		}
		for (i++; i < end && !keep[i]; i++)
			;
	}
	if (rc == 0 && i < end)
		rc = ended_early(in, err);
	free(W.buf);
	return rc < 0 ? -1 : 0;
}

/*
 * Write the kept records of one input, reading its lines again and
 * picking them by number.
 */
static int
emit_input(struct nsl_spool *s, const struct spool_input *in,
    const unsigned char *keep, nsl_spool_fn *fn, void *arg,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	const char *line;
	size_t len;
	uint64_t i = in->first, end = in->first + in->count;
	int rc = 0;

	while (i < end && !keep[i])
		i++;
	if (i == end)
		return 0;
	if (in->kind == SPOOL_SPILL)
		return emit_spill(s, in, keep, i, fn, arg, err);
	if ((r = reopen(s, in, err)) == NULL)
		return -1;
	while (i < end) {
		if ((rc = nsl_reader_getline(r, &line, &len, err)) <= 0)
			break;
		if (nsl_reader_lineno(r) != s->lineno[i])
			continue;
		if (fn(arg, i, line, len, err) != 0) {
			rc = -1;
			break;
		}
		for (i++; i < end && !keep[i]; i++)
			;
	}
	if (rc == 0 && i < end)
		rc = ended_early(in, err);
	nsl_reader_close(r);
	return rc < 0 ? -1 : 0;
}

static int
write_line(void *w, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	(void)i;
	if (nsl_writer_write(w, line, len, err) != 0 ||
	    nsl_writer_write(w, "\n", 1, err) != 0)
		return -1;
	return 0;
}

int
nsl_spool_emit(struct nsl_spool *s, const unsigned char *keep,
    struct nsl_writer *w, struct nsl_err *err)
{
	return nsl_spool_each(s, keep, write_line, w, err);
}

int
nsl_spool_each(struct nsl_spool *s, const unsigned char *keep,
    nsl_spool_fn *fn, void *arg, struct nsl_err *err)
{
	struct stat st;
	size_t k;
	int rc = 0;

	if (s->once && s->visited++)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "spool: visited "
		    "twice after nsl_spool_once");
	for (k = 0; k < s->nin && rc == 0; k++)
		rc = emit_input(s, &s->in[k], keep, fn, arg, err);
	/* all of the copy goes now, beside what the caller does next */
	if (rc == 0 && s->spill >= 0 && fstat(s->spill, &st) == 0)
		reap_to(s, (uint64_t)st.st_size);
	return rc;
}
