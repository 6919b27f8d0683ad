/*
 * io.c - line reader (plain or gzip) and atomic writer (see nsl/io.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsl/bgzf.h"
#include "nsl/io.h"
#include "nsl/json.h"

#define READ_CHUNK (256 * 1024)
#define WRITE_CHUNK (256 * 1024)
/* a gzip output's buffer: this many blocks, compressed at once */
#define GZ_BLOCKS 64
/* A pipe's buffer, asked for on standard input (Linux's default limit
 * for an unprivileged process): fewer, larger reads and wake-ups. */
#define PIPE_BUFFER (1024 * 1024)

/*
 * A tee'd reader (a pipe nsl_spool keeps) reads ahead in a thread of its
 * own: the thread reads and decompresses a block, copies it to the tee,
 * and queues it, while the caller cuts and parses the lines of the block
 * before.  The copy into the page cache, the dearest part of keeping a
 * pipe, then runs beside the parsing instead of before it.  A block is
 * read at AHEAD_HEAD bytes into its buffer, so that the caller can put
 * the unfinished line it holds in front of it and take the buffer as
 * its own instead of copying the block (it gives its old buffer back).
 * At most AHEAD_SLOTS blocks wait: memory stays bounded, about 1.6 MB.
 */
#define AHEAD_SLOTS 4
#define AHEAD_HEAD (64 * 1024)
#define AHEAD_CAP (AHEAD_HEAD + READ_CHUNK + 1)

enum { AHEAD_DATA, AHEAD_END, AHEAD_ERROR };

struct ahead_slot {
	char *buf;		/* AHEAD_CAP bytes, or NULL */
	size_t pos, lim;	/* unread data: buf[pos..lim) */
	int kind;		/* AHEAD_DATA, AHEAD_END, AHEAD_ERROR */
	int got;		/* AHEAD_ERROR: raw_read's return */
	int errnum;		/* ... its code, */
	int sys;		/* errno, */
	int tee_failed;		/* the copy's write failed, */
	char msg[200];		/* and its message */
};

struct ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t data;	/* a slot was queued */
	pthread_cond_t room;	/* a slot was freed, or stop */
	struct ahead_slot slot[AHEAD_SLOTS];
	size_t head, count;	/* queued: slot[head], ... count of them */
	int stop;
	int gzip;		/* nsl_reader_is_gzip's answer, asked before
				   starting */
};

/*
 * How a reader reads.  An input cannot be looked at without being read
 * when it is a pipe, so every input's first two bytes are read first
 * (SNIFF): the gzip magic makes it the BGZF reader's (nsl/bgzf.h), which
 * inflates BGZF blocks a batch at a time on every thread and any other
 * gzip member on one; anything else is text, read with read(2) (FD).
 */
enum read_mode { READ_SNIFF, READ_BGZF, READ_FD };

/* What a read came to (raw_read's *errnum). */
enum { READ_OK, READ_ERRNO, READ_TRUNCATED, READ_CORRUPT };

struct nsl_reader {
	enum read_mode mode;
	struct nsl_bgzf_in *bz;	/* READ_BGZF */
	int fd;
	unsigned char head[2];	/* READ_FD: the bytes sniffed, ... */
	size_t nhead, head_pos;	/* ... head[head_pos..nhead) unread */
	int fd_eof;		/* READ_FD: read(2) said 0 */
	int fd_errno;		/* READ_FD: read(2) failed after giving
				   bytes: the error for the next call */
	char *name;
	char *buf;
	size_t cap;
	size_t start;		/* first unconsumed byte in buf */
	size_t end;		/* one past the last valid byte in buf */
	size_t scan;		/* no '\n' in buf[start..scan) */
	uint64_t buf_offset;	/* stream offset of buf[0] */
	uint64_t line_offset;
	uint64_t direct;	/* bytes nsl_reader_read put straight into p */
	unsigned long lineno;
	int eof;
	nsl_reader_sink_fn *tee;	/* copy what is read to tee(tee_arg, ...) */
	void *tee_arg;
	struct ahead *ahead;	/* the read-ahead thread, when tee'd */
};

static void ahead_stop(struct nsl_reader *);

static struct nsl_reader *reader_new(int fd, const char *path,
    struct nsl_err *err);

struct nsl_reader *
nsl_reader_open(const char *path, struct nsl_err *err)
{
	struct stat st;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		path = "<stdin>";
		/* dup so that closing the reader leaves fd 0 alone */
		fd = dup(STDIN_FILENO);
	} else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		nsl_err_at(err, path, 0);
		return nsl_err_set(err, NSL_EX_NOINPUT, "cannot open: %s",
		    strerror(errno)), NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		nsl_err_at(err, path, 0);
		return nsl_err_set(err, NSL_EX_NOINPUT,
		    "cannot open: is a directory"), NULL;
	}
#ifdef F_SETPIPE_SZ
	/* best effort: a refusal leaves the pipe as it was */
	if (S_ISFIFO(st.st_mode) && fcntl(fd, F_GETPIPE_SZ) < PIPE_BUFFER)
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_BUFFER);
#endif
	return reader_new(fd, path, err);
}

struct nsl_reader *
nsl_reader_open_fd(int fd, const char *name, struct nsl_err *err)
{
	return reader_new(fd, name, err);
}

/* A reader over fd, which it owns (closed also on failure). */
static struct nsl_reader *
reader_new(int fd, const char *path, struct nsl_err *err)
{
	struct nsl_reader *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->fd = fd;	/* closed by nsl_reader_close from now */
	else
		close(fd);
	if (r == NULL || (r->name = strdup(path)) == NULL ||
	    (r->buf = malloc(READ_CHUNK + 1)) == NULL) {
		nsl_reader_close(r);
		nsl_err_at(err, path, 0);
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	r->cap = READ_CHUNK + 1;
	r->mode = READ_SNIFF;	/* looked at when first read */
	return r;
}

void
nsl_reader_close(struct nsl_reader *r)
{
	if (r == NULL)
		return;
	ahead_stop(r);
	nsl_bgzf_in_free(r->bz);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->name);
	free(r);
}

const char *
nsl_reader_name(const struct nsl_reader *r)
{
	return r->name;
}

int
nsl_reader_set_name(struct nsl_reader *r, const char *name)
{
	char *p = strdup(name);

	if (p == NULL)
		return -1;
	free(r->name);
	r->name = p;
	return 0;
}

unsigned long
nsl_reader_lineno(const struct nsl_reader *r)
{
	return r->lineno;
}

uint64_t
nsl_reader_offset(const struct nsl_reader *r)
{
	return r->line_offset;
}

/*
 * READ_SNIFF made READ_BGZF or READ_FD by the input's first two bytes
 * (fewer at its end): 0, or -1 with *sys set (ENOMEM, or read(2)'s
 * error).  An interrupted read fails, as zlib's does.
 */
static int
sniff(struct nsl_reader *r, int *sys)
{
	ssize_t k;

	if (r->mode != READ_SNIFF)
		return 0;
	while (r->nhead < sizeof(r->head)) {
		k = read(r->fd, r->head + r->nhead, sizeof(r->head) - r->nhead);
		if (k < 0) {
			*sys = errno;
			return -1;
		}
		if (k == 0) {
			r->fd_eof = 1;
			break;
		}
		r->nhead += (size_t)k;
	}
	if (r->nhead == 2 && r->head[0] == 0x1f && r->head[1] == 0x8b) {
		if ((r->bz = nsl_bgzf_in_new(r->fd, r->head, 2)) == NULL) {
			*sys = ENOMEM;
			return -1;
		}
		r->mode = READ_BGZF;
	} else
		r->mode = READ_FD;
	return 0;
}

int
nsl_reader_is_gzip(struct nsl_reader *r)
{
	int sys;

	if (r->ahead != NULL)
		return r->ahead->gzip;
	return sniff(r, &sys) == 0 && r->mode == READ_BGZF;
}

/* READ_FD's raw_read: the sniffed bytes, then read(2) until n or the end. */
static int
fd_read(struct nsl_reader *r, char *p, unsigned n, int *errnum, int *sys)
{
	unsigned got = 0;
	ssize_t k;

	*errnum = READ_OK;
	if (r->fd_errno != 0) {
		*errnum = READ_ERRNO;
		*sys = r->fd_errno;
		return -1;
	}
	while (got < n && r->head_pos < r->nhead)
		p[got++] = (char)r->head[r->head_pos++];
	/* whole chunks, as the BGZF reader gives them: the read-ahead
	   and the spool take fewer, larger pieces */
	while (got < n && !r->fd_eof) {
		k = read(r->fd, p + got, n - got);
		if (k < 0) {
			if (got > 0) {
				r->fd_errno = errno;
				break;
			}
			*errnum = READ_ERRNO;
			*sys = errno;
			return -1;
		}
		if (k == 0)
			r->fd_eof = 1;
		got += (unsigned)k;
	}
	return (int)got;
}

/*
 * Up to n bytes of the input's text into p: the count (0 at the end), or
 * -1 with *errnum saying what happened: READ_ERRNO with *sys,
 * READ_TRUNCATED for a gzip stream cut short, READ_CORRUPT for corrupt
 * gzip data with *msg.  A count comes with READ_OK.
 */
static int
raw_read(struct nsl_reader *r, void *p, unsigned n, int *errnum, int *sys,
    const char **msg)
{
	static __thread char why[64];
	struct nsl_bgzf_status st;
	long got;

	*msg = NULL;
	*errnum = READ_ERRNO;
	if (sniff(r, sys) != 0)
		return -1;
	if (r->mode == READ_FD)
		return fd_read(r, p, n, errnum, sys);
	*errnum = READ_OK;
	if ((got = nsl_bgzf_in_read(r->bz, p, n, &st)) >= 0)
		return (int)got;
	switch (st.fault) {
	case NSL_BGZF_TRUNCATED:
		*errnum = READ_TRUNCATED;
		break;
	case NSL_BGZF_CORRUPT:
		snprintf(why, sizeof(why), "%s", st.msg);
		*errnum = READ_CORRUPT;
		*msg = why;
		break;
	case NSL_BGZF_NOMEM:
		*errnum = READ_ERRNO;
		*sys = ENOMEM;
		break;
	default:
		*errnum = READ_ERRNO;
		*sys = st.sys;
		break;
	}
	return -1;
}

static void
tee_error(struct nsl_err *err, int sys)
{
	nsl_err_at(err, "temporary file", 0);
	nsl_err_set(err, NSL_EX_IOERR, "write failed: %s", strerror(sys));
}

/* raw_read's failure as our error, at the line after the last one read. */
static int
read_failed(int got, int errnum)
{
	return got < 0 || errnum != READ_OK;
}

static long
read_error(struct nsl_reader *r, int errnum, int sys, const char *msg,
    struct nsl_err *err)
{
	nsl_err_at(err, r->name, r->lineno + 1);
	if (errnum == READ_ERRNO)
		nsl_err_set(err, NSL_EX_IOERR, "read error: %s", strerror(sys));
	else if (errnum == READ_TRUNCATED)
		nsl_err_set(err, NSL_EX_IOERR,
		    "truncated gzip data (unexpected end of file)");
	else
		nsl_err_set(err, NSL_EX_IOERR, "corrupt gzip data (%s)",
		    msg != NULL ? msg : "unknown error");
	return -1;
}

/*
 * The read-ahead thread (see struct ahead).  It stops at the end of the
 * input, at an error, or when told to; telling it is ahead_stop()'s job,
 * which interrupts a read(2) that waits on a quiet pipe with SIGURG.
 */
static void
ahead_wake(int sig)
{
	(void)sig;
}

static void
ahead_signal_init(void)
{
	struct sigaction sa, old;

	/* only where nobody else handles SIGURG (ignored by default) */
	if (sigaction(SIGURG, NULL, &old) != 0 ||
	    (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) ||
	    (old.sa_flags & SA_SIGINFO))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ahead_wake;	/* no SA_RESTART: read(2) returns */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGURG, &sa, NULL);
}

static void *
ahead_main(void *arg)
{
	struct nsl_reader *r = arg;
	struct ahead *a = r->ahead;
	struct ahead_slot *sl;
	const char *msg;
	sigset_t urg;
	nsl_reader_sink_fn *tee;
	void *tee_arg;
	int got, errnum, sys, last;

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
	pthread_mutex_lock(&a->mu);
	for (last = 0; !last;) {
		while (!a->stop && a->count == AHEAD_SLOTS)
			pthread_cond_wait(&a->room, &a->mu);
		if (a->stop)
			break;
		sl = &a->slot[(a->head + a->count) % AHEAD_SLOTS];
		tee = r->tee;
		tee_arg = r->tee_arg;
		pthread_mutex_unlock(&a->mu);

		sl->kind = AHEAD_DATA;
		sl->got = sl->errnum = sl->sys = sl->tee_failed = 0;
		if (sl->buf == NULL)
			sl->buf = malloc(AHEAD_CAP);
		if (sl->buf == NULL) {
			got = -1;
			errnum = READ_ERRNO;
			sys = ENOMEM;
			msg = NULL;
		} else
			got = raw_read(r, sl->buf + AHEAD_HEAD, READ_CHUNK,
			    &errnum, &sys, &msg);
		if (got > 0) {
			sl->kind = AHEAD_DATA;
			sl->pos = AHEAD_HEAD;
			sl->lim = AHEAD_HEAD + (size_t)got;
			errno = 0;
			if (tee != NULL && tee(tee_arg, sl->buf + AHEAD_HEAD,
			    (size_t)got) != 0) {
				sl->kind = AHEAD_ERROR;
				sl->tee_failed = 1;
				sl->sys = errno;
			}
		} else if (read_failed(got, errnum)) {
			sl->kind = AHEAD_ERROR;
			sl->got = got;
			sl->errnum = errnum;
			sl->sys = sys;
			snprintf(sl->msg, sizeof(sl->msg), "%s",
			    msg != NULL ? msg : "unknown error");
		} else
			sl->kind = AHEAD_END;
		last = sl->kind != AHEAD_DATA;

		pthread_mutex_lock(&a->mu);
		a->count++;
		pthread_cond_signal(&a->data);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Start the read-ahead thread; 0, or -1 (the reader then reads itself). */
static int
ahead_start(struct nsl_reader *r)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct ahead *a;
	sigset_t all, old;
	int rc;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	pthread_once(&once, ahead_signal_init);
	/* asked now: sniff() reads, and the thread will own the stream */
	a->gzip = nsl_reader_is_gzip(r);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->data, NULL);
	pthread_cond_init(&a->room, NULL);
	r->ahead = a;
	/* the thread takes no signal but its own SIGURG */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, ahead_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->data);
		pthread_cond_destroy(&a->room);
		free(a);
		r->ahead = NULL;
		return -1;
	}
	return 0;
}

/* Stop and join the thread, free what it read and did not hand over. */
static void
ahead_stop(struct nsl_reader *r)
{
	struct ahead *a = r->ahead;
	struct timespec t;
	size_t i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->room);
	pthread_mutex_unlock(&a->mu);
	/* a read(2) on a pipe may wait for ever: interrupt it, again if
	 * the signal came before the thread went in */
	for (;;) {
		pthread_kill(a->thread, SIGURG);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 10 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(a->thread, NULL, &t) == 0)
			break;
	}
	for (i = 0; i < AHEAD_SLOTS; i++)
		free(a->slot[i].buf);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->data);
	pthread_cond_destroy(&a->room);
	free(a);
	r->ahead = NULL;
}

/* The oldest block queued, waiting for one. */
static struct ahead_slot *
ahead_peek(struct ahead *a)
{
	struct ahead_slot *sl;

	pthread_mutex_lock(&a->mu);
	while (a->count == 0)
		pthread_cond_wait(&a->data, &a->mu);
	sl = &a->slot[a->head];
	pthread_mutex_unlock(&a->mu);
	return sl;
}

/* The oldest block is used up: its slot is free again. */
static void
ahead_pop(struct ahead *a)
{
	pthread_mutex_lock(&a->mu);
	a->head = (a->head + 1) % AHEAD_SLOTS;
	a->count--;
	pthread_cond_signal(&a->room);
	pthread_mutex_unlock(&a->mu);
}

/* read_chunk from the blocks read ahead: a copy. */
static long
ahead_read(struct nsl_reader *r, void *p, size_t n, struct nsl_err *err)
{
	struct ahead_slot *sl = ahead_peek(r->ahead);
	size_t k;

	/* the end and an error stay queued: asked again, said again */
	if (sl->kind == AHEAD_END)
		return 0;
	if (sl->kind == AHEAD_ERROR) {
		if (sl->tee_failed) {
			tee_error(err, sl->sys);
			return -1;
		}
		return read_error(r, sl->errnum, sl->sys, sl->msg, err);
	}
	k = sl->lim - sl->pos < n ? sl->lim - sl->pos : n;
	memcpy(p, sl->buf + sl->pos, k);
	sl->pos += k;
	if (sl->pos == sl->lim)
		ahead_pop(r->ahead);
	return (long)k;
}

/*
 * fill() by taking the next block's buffer, the unfinished line put in
 * front of it: 1 if done so, 0 if not possible (the caller copies).
 */
static int
ahead_swap(struct nsl_reader *r)
{
	struct ahead_slot *sl = ahead_peek(r->ahead);
	size_t keep = r->end - r->start;
	size_t at;
	char *old = r->buf;

	if (sl->kind != AHEAD_DATA || sl->pos != AHEAD_HEAD ||
	    keep > AHEAD_HEAD)
		return 0;
	at = AHEAD_HEAD - keep;
	memcpy(sl->buf + at, r->buf + r->start, keep);
	r->buf_offset += r->start;
	r->buf_offset -= at;
	r->scan = at + (r->scan - r->start);
	r->start = at;
	r->end = sl->lim;
	r->buf = sl->buf;
	/* the old buffer goes back to the thread, when it is of its size */
	if (r->cap == AHEAD_CAP)
		sl->buf = old;
	else {
		free(old);
		sl->buf = NULL;
	}
	r->cap = AHEAD_CAP;
	ahead_pop(r->ahead);
	return 1;
}

void
nsl_reader_tee(struct nsl_reader *r, nsl_reader_sink_fn *fn, void *arg)
{
	if (r->ahead != NULL) {
		pthread_mutex_lock(&r->ahead->mu);
		r->tee = fn;
		r->tee_arg = arg;
		pthread_mutex_unlock(&r->ahead->mu);
		return;
	}
	r->tee = fn;
	r->tee_arg = arg;
	/* without a thread the reader copies as it reads, which works */
	if (fn != NULL && r->eof == 0)
		(void)ahead_start(r);
}

/* raw_read, turning its errors into ours. */
static long
read_chunk(struct nsl_reader *r, void *p, size_t n, struct nsl_err *err)
{
	const char *msg;
	int got, errnum, sys;

	if (r->ahead != NULL)
		return ahead_read(r, p, n, err);
	if (n > INT_MAX)
		n = INT_MAX;
	got = raw_read(r, p, (unsigned)n, &errnum, &sys, &msg);
	/*
	 * Hand over what was decoded before a fault; the reader keeps the
	 * error, so the next call reports it, at the line where the data
	 * stopped.
	 */
	if (got > 0) {
		errno = 0;
		if (r->tee != NULL && r->tee(r->tee_arg, p, (size_t)got) != 0) {
			tee_error(err, errno);
			return -1;
		}
		return got;
	}
	if (read_failed(got, errnum))
		return read_error(r, errnum, sys, msg, err);
	return got;
}

/* Read more input after buf[end], first moving the unconsumed bytes down. */
static int
fill(struct nsl_reader *r, struct nsl_err *err)
{
	size_t keep = r->end - r->start;
	long got;
	char *p;

	if (r->ahead != NULL && ahead_swap(r))
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, keep);
		r->buf_offset += r->start;
		r->scan -= r->start;
		r->start = 0;
		r->end = keep;
	}
	if (r->cap - 1 - r->end < READ_CHUNK / 2) {
		/* A long line: double the buffer, whatever its length. */
		if (r->cap > SIZE_MAX / 2 ||
		    (p = realloc(r->buf, r->cap * 2)) == NULL) {
			nsl_err_at(err, r->name, r->lineno + 1);
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory reading a line of %zu bytes", keep);
		}
		r->buf = p;
		r->cap *= 2;
	}
	got = read_chunk(r, r->buf + r->end, r->cap - 1 - r->end, err);
	if (got < 0)
		return -1;
	if (got == 0)
		r->eof = 1;
	r->end += (size_t)got;
	return 0;
}

int
nsl_reader_getline(struct nsl_reader *r, const char **line, size_t *len,
    struct nsl_err *err)
{
	char *nl;
	size_t n;

	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl != NULL)
			break;
		r->scan = r->end;
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			nl = r->buf + r->end;	/* last line, no newline */
			break;
		}
		if (fill(r, err) != 0)
			return -1;
	}
	n = (size_t)(nl - (r->buf + r->start));
	*line = r->buf + r->start;
	r->line_offset = r->buf_offset + r->start;
	r->lineno++;
	r->start += n + (nl < r->buf + r->end);
	r->scan = r->start;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	/* buf has a spare byte past end, so this is in bounds at EOF */
	r->buf[*line - r->buf + n] = '\0';
	*len = n;
	return 1;
}

long
nsl_reader_read(struct nsl_reader *r, void *p, size_t n,
    struct nsl_err *err)
{
	size_t have = r->end - r->start;
	size_t done = 0;
	long got;

	if (have > 0) {
		done = have < n ? have : n;
		memcpy(p, r->buf + r->start, done);
		r->start += done;
		r->scan = r->start;
	}
	while (done < n && !r->eof) {
		got = read_chunk(r, (char *)p + done, n - done, err);
		if (got < 0) {
			/* binary data has no lines: place the fault by byte */
			char m[sizeof(err->msg)];

			memcpy(m, err->msg, sizeof(m));
			nsl_err_at(err, r->name, 0);
			nsl_err_set(err, err->code, "%.400s after byte %llu of "
			    "the data", m, (unsigned long long)(r->buf_offset +
			    r->end + r->direct));
			return -1;
		}
		r->direct += (uint64_t)got;
		if (got == 0)
			r->eof = 1;
		done += (size_t)got;
	}
	return (long)done;
}

int
nsl_reader_read_exact(struct nsl_reader *r, void *p, size_t n,
    uint64_t offset, const char *what, struct nsl_err *err)
{
	long got;

	got = nsl_reader_read(r, p, n, err);
	if (got < 0) {
		/* a binary file has no lines: say where instead */
		char m[sizeof(err->msg)];

		memcpy(m, err->msg, sizeof(m));
		nsl_err_at(err, r->name, 0);
		nsl_err_set(err, err->code, "%.300s, reading %.100s from byte "
		    "%llu", m, what, (unsigned long long)offset);
		return -1;
	}
	if ((size_t)got < n) {
		nsl_err_at(err, r->name, 0);
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "truncated file: %s ends at byte %llu", what,
		    (unsigned long long)(offset + (uint64_t)got));
	}
	return 0;
}

/*
 * Writers.  Uncommitted writers with a temporary file sit on a list so
 * that nsl_io_cleanup() and the signal handler can remove their files.
 */
struct nsl_writer {
	char *path;		/* as named, for messages; NULL: standard output */
	char *target;		/* path with its symbolic links followed */
	char *tmp;		/* temporary file beside target */
	int fd;
	struct nsl_bgzf *gz;	/* when path ends in .gz (nsl/bgzf.h) */
	char *buf;
	size_t len, cap;	/* cap grows past WRITE_CHUNK only to hold
				   one line whole (flush_buf) */
	struct nsl_writer *next;
	/* the non-finite check (nsl_json_guard in json.h) */
	unsigned long lines;	/* lines flushed */
	int bol;		/* the last byte taken was a newline */
	int guarding;
	struct nsl_json_guard guard;
	struct nsl_err bad;	/* sticky: a refused line */
};

static struct nsl_writer *volatile pending;

static void
remove_pending(void)
{
	struct nsl_writer *w;

	for (w = pending; w != NULL; w = w->next)
		if (w->tmp != NULL)
			unlink(w->tmp);
}

static void
on_signal(int sig)
{
	remove_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	static int done;
	struct sigaction sa, old;
	size_t i;

	if (done)
		return;
	done = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* leave alone a signal the caller chose to ignore */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

void
nsl_io_cleanup(void)
{
	remove_pending();
}

static void
unlist(struct nsl_writer *w)
{
	struct nsl_writer **pp;

	for (pp = (struct nsl_writer **)&pending; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* Place err at the writer's output and set it; returns -1. */
static int
writer_fail(const struct nsl_writer *w, struct nsl_err *err, int code,
    const char *what, const char *detail)
{
	nsl_err_at(err, w->path ? w->path : "<stdout>", 0);
	return nsl_err_set(err, code, "%s%s%s", what, detail ? ": " : "",
	    detail ? detail : "");
}

static void
writer_free(struct nsl_writer *w)
{
	unlist(w);
	free(w->path);
	free(w->target);
	free(w->tmp);
	free(w->buf);
	nsl_bgzf_free(w->gz);
	free(w);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "dir/name" -> "dir/.name.XXXXXX", in the target's own directory so
 * that rename(2) is atomic. */
static char *
temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	size_t n = strlen(path) + 16;
	char *t;

	if ((t = malloc(n)) == NULL)
		return NULL;
	snprintf(t, n, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	return t;
}

/*
 * path with every symbolic link of its last component followed, as a new
 * string (NULL: out of memory, or errno ELOOP past 40 links).  The
 * output is written through a link, as a shell's '>' writes, instead of
 * replacing the link by a file; a dangling link gives the name it points
 * to, which is then created.  Links among the directories above need no
 * following: rename(2) works within whichever directory they reach.
 */
static char *
follow_links(const char *path)
{
	char *p, *np, link[PATH_MAX];
	const char *slash;
	struct stat st;
	ssize_t n;
	size_t dirlen;
	int hops;

	if ((p = strdup(path)) == NULL)
		return NULL;
	for (hops = 0; lstat(p, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		if (hops == 40 ||
		    (n = readlink(p, link, sizeof(link) - 1)) < 0) {
			int e = hops == 40 ? ELOOP : errno;

			free(p);
			errno = e;
			return NULL;
		}
		link[n] = '\0';
		/* a relative link is relative to the link's directory */
		slash = strrchr(p, '/');
		dirlen = link[0] == '/' || slash == NULL ? 0 :
		    (size_t)(slash - p + 1);
		if ((np = malloc(dirlen + (size_t)n + 1)) == NULL) {
			free(p);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(np, p, dirlen);
		memcpy(np + dirlen, link, (size_t)n + 1);
		free(p);
		p = np;
	}
	return p;
}

/*
 * Give the temporary file fd what the output it replaces had: its owner
 * and group where we may (root, or a group of ours; a shell's '>' keeps
 * both, as it writes in place) and its permission bits.  A new output
 * gets 0666 less the umask, as open(2) would give it (mkstemp makes
 * 0600).  Returns 0, or -1 with errno set when the output exists but is
 * not writable to us: '>' would fail there, and a rename must not walk
 * over a file made read-only.
 */
static int
take_mode(int fd, const char *target)
{
	struct stat st;
	mode_t mask;

	if (stat(target, &st) == 0) {
		if (access(target, W_OK) != 0)
			return -1;
		/* chown first: it clears the set-id bits fchmod restores */
		if (fchown(fd, st.st_uid, st.st_gid) != 0)
			(void)!fchown(fd, (uid_t)-1, st.st_gid);
		fchmod(fd, st.st_mode & 07777);
		return 0;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	return 0;
}

/*
 * An existing target that is not a regular file (/dev/null, /dev/full, a
 * FIFO) is written directly: renaming a temporary file over a device
 * would replace the device, and a FIFO has no half-written state to avoid.
 */
static int
is_special(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static struct nsl_writer *
open_fail(struct nsl_writer *w, const char *path, struct nsl_err *err,
    int code, const char *what)
{
	nsl_writer_abort(w);
	nsl_err_at(err, path, 0);
	nsl_err_set(err, code, "%s", what);
	return NULL;
}

struct nsl_writer *
nsl_writer_open(const char *path, struct nsl_err *err)
{
	struct nsl_writer *w;
	char why[300];

	if (path == NULL || strcmp(path, "-") == 0)
		path = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return open_fail(NULL, path ? path : "<stdout>", err,
		    NSL_EX_SOFTWARE, "out of memory");
	w->fd = -1;
	w->bol = 1;
	w->cap = WRITE_CHUNK;
	if ((w->buf = malloc(WRITE_CHUNK)) == NULL ||
	    (path != NULL && (w->path = strdup(path)) == NULL))
		return open_fail(w, path ? path : "<stdout>", err,
		    NSL_EX_SOFTWARE, "out of memory");
	if (path == NULL) {
		w->fd = STDOUT_FILENO;
		return w;
	}
	if (is_special(path)) {
		if ((w->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			snprintf(why, sizeof(why), "cannot open output: %s",
			    strerror(errno));
			return open_fail(w, path, err, NSL_EX_IOERR, why);
		}
	} else {
		if ((w->target = follow_links(path)) == NULL) {
			int e = errno;

			snprintf(why, sizeof(why), "cannot create output: %s",
			    strerror(e));
			return open_fail(w, path, err, e == ENOMEM ?
			    NSL_EX_SOFTWARE : NSL_EX_IOERR, why);
		}
		if ((w->tmp = temp_name(w->target)) == NULL)
			return open_fail(w, path, err, NSL_EX_SOFTWARE,
			    "out of memory");
		catch_signals();
		if ((w->fd = mkstemp(w->tmp)) < 0) {
			snprintf(why, sizeof(why), "cannot create output: %s",
			    strerror(errno));
			free(w->tmp);
			w->tmp = NULL;
			return open_fail(w, path, err, NSL_EX_IOERR, why);
		}
		w->next = pending;
		pending = w;
		if (take_mode(w->fd, w->target) != 0) {
			snprintf(why, sizeof(why), "cannot open output: %s",
			    strerror(errno));
			return open_fail(w, path, err, NSL_EX_IOERR, why);
		}
	}
	if (ends_with(path, ".gz")) {
		/* whole blocks a flush, compressed on every thread */
		w->cap = (size_t)GZ_BLOCKS * NSL_BGZF_BLOCK;
		free(w->buf);
		if ((w->buf = malloc(w->cap)) == NULL ||
		    (w->gz = nsl_bgzf_new(GZ_BLOCKS)) == NULL)
			return open_fail(w, path, err, NSL_EX_SOFTWARE,
			    "out of memory");
	}
	return w;
}

static unsigned long
count_lines(const char *p, size_t n)
{
	const char *end = p + n;
	unsigned long k = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/*
 * Take p[0..n) only if no line of it holds a NaN or Infinity that the
 * number writers wrote (json.h): on one, set *good to the length of the
 * whole lines before it and fail with the line and field, for good (the
 * writer then takes nothing more).  Nothing to scan until some writer
 * wrote a non-finite number, so the common case is one load.
 */
static int
take(struct nsl_writer *w, const char *p, size_t n, size_t *good,
    struct nsl_err *err)
{
	size_t at, start;

	*good = n;
	if (w->bad.code != 0) {
		*good = 0;
		*err = w->bad;
		return -1;
	}
	if (n > 0 && nsl_json_nonfinite_written() != 0 &&
	    !nsl_json_nonfinite_allowed()) {
		if (!w->guarding) {
			nsl_json_guard_init(&w->guard, w->bol);
			w->guarding = 1;
		}
		if ((at = nsl_json_guard_scan(&w->guard, p, n)) < n) {
			for (start = at; start > 0 && p[start - 1] != '\n';
			    start--)
				;
			*good = start;
			nsl_err_clear(&w->bad);
			nsl_err_at(&w->bad, w->path ? w->path : "<stdout>",
			    w->lines + count_lines(w->buf, w->len) +
			    count_lines(p, at) + 1);
			nsl_json_guard_error(&w->guard, p + at, p + n, &w->bad);
			*err = w->bad;
			return -1;
		}
	}
	if (n > 0)
		w->bol = p[n - 1] == '\n';
	return 0;
}

/*
 * Whether the output is read as it is written: standard output, or a
 * pipe or device named by -o (a file is renamed into place whole or not
 * at all).  Such an output is written in whole lines, so that a run that
 * fails, whose last buffer is dropped, ends it at a line's end: a reader
 * down the pipe finds whole records written before the failure, never
 * one cut short.
 */
static int
streamed(const struct nsl_writer *w)
{
	return w->tmp == NULL && w->gz == NULL;
}

/* write(2) all of p[0..n) to w's descriptor */
static int
write_out(struct nsl_writer *w, const char *p, size_t n, struct nsl_err *err)
{
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		k = write(w->fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return writer_fail(w, err, NSL_EX_IOERR, "write error",
			    strerror(errno));
		off += (size_t)k;
	}
	return 0;
}

/*
 * Write the buffer out: all of it when final (the commit), else, for a
 * streamed output, its whole lines, the start of the next line kept (a
 * line longer than the buffer makes it grow to hold the line whole).
 */
static int
flush_buf(struct nsl_writer *w, int final, struct nsl_err *err)
{
	size_t len = w->len, zlen;
	const char *nl, *z;
	char *p;

	if (!final && streamed(w)) {
		if ((nl = memrchr(w->buf, '\n', w->len)) == NULL) {
			if (w->cap > SIZE_MAX / 2 ||
			    (p = realloc(w->buf, 2 * w->cap)) == NULL)
				return writer_fail(w, err, NSL_EX_SOFTWARE,
				    "out of memory", NULL);
			w->buf = p;
			w->cap *= 2;
			return 0;
		}
		len = (size_t)(nl + 1 - w->buf);
	}
	if (w->gz != NULL && !final)	/* whole blocks */
		len -= len % NSL_BGZF_BLOCK;
	w->lines += count_lines(w->buf, len);

	if (w->gz != NULL) {
		if (nsl_bgzf_compress(w->gz, w->buf, len, &z, &zlen) != 0)
			return writer_fail(w, err, NSL_EX_SOFTWARE,
			    "out of memory", NULL);
		if (write_out(w, z, zlen, err) != 0 || (final &&
		    write_out(w, (const char *)nsl_bgzf_eof, NSL_BGZF_EOF_LEN,
		    err) != 0))
			return -1;
	} else if (write_out(w, w->buf, len, err) != 0)
		return -1;
	/* the start of a line, kept for its end */
	memmove(w->buf, w->buf + len, w->len - len);
	w->len -= len;
	return 0;
}

static int
put(struct nsl_writer *w, const void *p, size_t n, struct nsl_err *err)
{
	size_t room;

	while (n > 0) {
		room = w->cap - w->len;
		if (room == 0) {
			if (flush_buf(w, 0, err) != 0)
				return -1;
			continue;
		}
		if (room > n)
			room = n;
		memcpy(w->buf + w->len, p, room);
		w->len += room;
		p = (const char *)p + room;
		n -= room;
	}
	return 0;
}

int
nsl_writer_write(struct nsl_writer *w, const void *p, size_t n,
    struct nsl_err *err)
{
	size_t good;

	/* a refused line: write the whole lines before it, then fail */
	if (take(w, p, n, &good, err) != 0) {
		if (good > 0 && put(w, p, good, err) != 0)
			return -1;
		*err = w->bad;
		return -1;
	}
	return put(w, p, n, err);
}

int
nsl_writer_space(struct nsl_writer *w, size_t n, char **p,
    struct nsl_err *err)
{
	*p = NULL;
	if (w->bad.code != 0) {
		*err = w->bad;
		return -1;
	}
	if (n > WRITE_CHUNK)
		return 1;
	/* each flush writes some or grows the buffer */
	while (n > w->cap - w->len)
		if (flush_buf(w, 0, err) != 0)
			return -1;
	*p = w->buf + w->len;
	return 0;
}

void
nsl_writer_advance(struct nsl_writer *w, size_t k)
{
	struct nsl_err err;
	size_t good;

	/* a refused line stays out; the next call on w reports it */
	take(w, w->buf + w->len, k, &good, &err);
	w->len += good;
}

int
nsl_writer_commit(struct nsl_writer *w, struct nsl_err *err)
{
	int rc;

	if (w->bad.code != 0) {
		*err = w->bad;
		goto fail;
	}
	if (flush_buf(w, 1, err) != 0)
		goto fail;
	if (w->path == NULL) {
		writer_free(w);
		return 0;
	}
	rc = close(w->fd);
	w->fd = -1;
	if (rc != 0) {
		writer_fail(w, err, NSL_EX_IOERR, "write error",
		    strerror(errno));
		goto fail;
	}
	if (w->tmp != NULL && rename(w->tmp, w->target) != 0) {
		writer_fail(w, err, NSL_EX_IOERR, "cannot rename temporary "
		    "file into place", strerror(errno));
		goto fail;
	}
	writer_free(w);
	return 0;
fail:
	nsl_writer_abort(w);
	return -1;
}

void
nsl_writer_abort(struct nsl_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0 && w->path != NULL)
		close(w->fd);	/* never standard output */
	if (w->tmp != NULL)
		unlink(w->tmp);
	writer_free(w);
}
