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
#include <sys/mman.h>	/* memfd_create */
#include <sys/stat.h>
#include <unistd.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/pack.h"
#include "nsl/spool.h"

/* How an input's lines come back for nsl_spool_emit(). */
enum spool_kind {
	SPOOL_FILE,		/* open path again */
	SPOOL_STDIN,		/* standard input is a file: seek back */
	SPOOL_SPILL		/* copied to the store as read */
};

struct spool_input {
	char *path;		/* to open again (SPOOL_FILE) */
	char *name;		/* display name */
	enum spool_kind kind;
	off_t off;		/* SPOOL_STDIN: where standard input began;
				   SPOOL_SPILL: where its copy begins in
				   the store */
	uint64_t first;		/* index of its first record */
	uint64_t count;
	/* a gzip file copied while the copy fits in memory (gzip_copy):
	   how to read it again if it does not, and from where */
	int gzip;
	enum spool_kind again;
	off_t again_off;
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
#define REAP_ALIGN (2 * 1024 * 1024)	/* whole pages of any size up to it */
#define REAP_STEP (8 * 1024 * 1024)	/* fewer, larger calls */

struct reaper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t want;		/* the pass needs no byte below this */
	uint64_t done;		/* freed below this */
	int stop;		/* free up to want, then end */
	int memfd;		/* the store's memory ... */
	uint64_t mem_len;	/* ... and its length: bytes [0, mem_len) */
	int fd;			/* the rest, from byte mem_len, or -1 */
};

/*
 * Where piped inputs are kept (the store): their first bytes in memory,
 * up to a budget, the rest in an unlinked temporary file.  The memory
 * is a file too (memfd_create(2)): written and read like the temporary
 * file, it takes pages as the page cache does, with no page faults,
 * which cost more than the copy where page tables are virtualized (a
 * pipe of 965 MB through nsl-prune on a virtual machine: 0.94 s with the
 * copy in memory, 1.58 s in a file on disk, 2.5 s in pages mapped into
 * the process).  Offsets into the store run on from the memory into the
 * file: byte o is byte o of the memory when o < mem_len, else byte
 * o - mem_len of the file.  The file is made only when the memory is
 * full.
 */
#define SPOOL_MEMORY_ENV "NSL_SPOOL_MEMORY"
#define SPOOL_MEMORY_SHARE 8	/* default: this part of the memory */

/*
 * The copy is kept packed (nsl/pack.h), a chunk of up to SPOOL_CHUNK
 * bytes of text at a time, each found again by its entry in chunk[].
 * Embedding records take about half their bytes so, and it is the bytes
 * that cost: memory the store takes is fresh, which where page tables
 * are virtualized costs more than the packing (a pipe of 965 MB through
 * nsl-prune on a virtual machine: 1.42 s with the text kept as it is,
 * 0.95 s packed, the median of 7 runs of each in turn).  A chunk that
 * would not be smaller packed is kept as it is.
 */
#define SPOOL_CHUNK (256 * 1024)

struct store_chunk {
	uint64_t text_off;	/* its text's offset among the inputs' */
	uint64_t store_off;	/* where it lies in the store */
	uint32_t text_len;
	uint32_t store_len;	/* == text_len: kept as it is */
};

struct nsl_spool {
	struct spool_input *in;
	size_t nin, capin;
	/* per record: its line number in its input, or for a spilled
	   input its line's byte offset in the store */
	uint64_t *lineno;
	uint64_t n, cap;
	/* the store: written by the reader's thread while an input is
	   read (spool_sink), by the caller between inputs */
	int memfd;		/* the memory, or -1 (none yet, or none) */
	uint64_t mem_cap;	/* the budget; known once mem_known */
	uint64_t mem_len;	/* bytes held in memory */
	uint64_t mem_checked;	/* free memory asked for again from here */
	int mem_known;
	int spill;		/* unlinked temporary file, or -1 */
	uint64_t packed;	/* bytes in the store, memory and file */
	uint64_t stored;	/* bytes of text they hold */
	struct store_chunk *chunk;	/* in text order */
	size_t nchunk, capchunk;
	size_t near;		/* the chunk read last (store_read) */
	unsigned char *packbuf;	/* a chunk packed: nsl_pack_bound(CHUNK) */
	char *unpacked;		/* chunk[cached]'s text, or ... */
	size_t cached;		/* ... SIZE_MAX */
	char last;		/* the last byte of text copied */
	/* the current input is a gzip file (gzip_copy): its copy stays
	   in memory or is dropped, and its records' line numbers are
	   kept in case it is */
	int memory_only;
	int dropped;
	uint64_t *lines;
	uint64_t nlines, caplines;
	struct nsl_err spill_err;	/* why no temporary file, if so */
	struct nsl_reader *cur;
	int once;		/* one visit: free the store behind it */
	int visited;
	struct reaper *reaper;	/* running, or NULL */
};

/*
 * Give back bytes [lo, hi) of the store: 1, or 0 if they cannot be (the
 * file system cannot punch holes).  lo is on a page; so is hi, or it is
 * the store's end.
 */
static int
reap_range(struct reaper *R, uint64_t lo, uint64_t hi)
{
	uint64_t m = hi < R->mem_len ? hi : R->mem_len;

	if (lo < m && fallocate(R->memfd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, (off_t)lo, (off_t)(m - lo)) != 0)
		return 0;
	lo = lo > R->mem_len ? lo - R->mem_len : 0;
	hi = hi > R->mem_len ? hi - R->mem_len : 0;
	if (hi <= lo || R->fd < 0)
		return 1;
	return fallocate(R->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)lo, (off_t)(hi - lo)) == 0;
}

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
			ok = reap_range(R, lo, hi);
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

static uint64_t store_at(struct nsl_spool *, uint64_t);

/* The pass needs no byte of the text below off any more. */
static void
reap_to(struct nsl_spool *s, uint64_t off)
{
	struct reaper *R = s->reaper;
	sigset_t all, old;

	if (!s->once || s->stored == 0)
		return;
	off = store_at(s, off);	/* the store's bytes, from the text's */
	if (R == NULL) {
		if ((R = calloc(1, sizeof(*R))) == NULL)
			return;
		R->memfd = s->memfd;
		R->mem_len = s->mem_len;
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

	if (s != NULL) {
		s->spill = s->memfd = -1;
		s->cached = SIZE_MAX;
	}
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
	nsl_reader_close(s->cur);	/* its thread writes the store */
	free(s->chunk);
	free(s->packbuf);
	free(s->unpacked);
	free(s->lines);
	reap_stop(s);
	if (s->spill >= 0)
		close(s->spill);
	if (s->memfd >= 0)
		close(s->memfd);
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
		int e = errno;

		nsl_err_at(err, dir, 0);
		nsl_err_set(err, NSL_EX_IOERR, "cannot make a temporary file: "
		    "%s", strerror(e));
		free(tmpl);
		errno = e;
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

/* The number file path begins with into *v: 1, or 0 if none (no file,
 * or "max"). */
static int
read_number(const char *path, unsigned long long *v)
{
	FILE *fp = fopen(path, "r");
	int ok;

	if (fp == NULL)
		return 0;
	ok = fscanf(fp, "%llu", v) == 1;
	fclose(fp);
	return ok;
}

/* A limit and its usage: size and avail brought down to them. */
static void
limit_by(uint64_t *size, uint64_t *avail, const char *max_path,
    const char *cur_path)
{
	unsigned long long max, cur;

	if (!read_number(max_path, &max))	/* "max": no limit */
		return;
	if (max < *size)
		*size = max;
	if (read_number(cur_path, &cur)) {
		cur = cur < max ? max - cur : 0;
		if (cur < *avail)
			*avail = cur;
	}
}

/*
 * Bring size and avail down to the limits of a control group at path
 * (from /proc/self/cgroup, "/..." under root) and of each group above
 * it: files max_name and cur_name in each level's directory.
 */
static void
limit_by_group(uint64_t *size, uint64_t *avail, const char *root,
    char *path, const char *max_name, const char *cur_name)
{
	char max_path[4200], cur_path[4200];
	const char *sep;

	for (;;) {
		sep = path[strlen(path) - 1] == '/' ? "" : "/";
		snprintf(max_path, sizeof(max_path), "%s%s%s%s", root, path,
		    sep, max_name);
		snprintf(cur_path, sizeof(cur_path), "%s%s%s%s", root, path,
		    sep, cur_name);
		limit_by(size, avail, max_path, cur_path);
		if (strcmp(path, "/") == 0)
			break;
		*strrchr(path, '/') = '\0';
		if (*path == '\0')
			strcpy(path, "/");
	}
}

/*
 * The memory this process may count on (*size: the machine's, or less
 * when its control group, v2 or v1's memory controller, or a group
 * above it is limited below that) and how much of it is free now
 * (*avail: the kernel's MemAvailable, or less when a group's limit is
 * nearer).
 */
static void
memory_view(uint64_t *size, uint64_t *avail)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	char line[4096], *p;
	unsigned long long kb;
	FILE *fp;

	*size = pages > 0 && psize > 0 ?
	    (uint64_t)pages * (uint64_t)psize : (uint64_t)1 << 30;
	*avail = *size;
	if ((fp = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
				if (kb * 1024 < *avail)
					*avail = kb * 1024;
				break;
			}
		fclose(fp);
	}
	/* "0::/path" (v2), "N:...memory...:/path" (v1) */
	if ((fp = fopen("/proc/self/cgroup", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) == 0)
			limit_by_group(size, avail, "/sys/fs/cgroup", line + 3,
			    "memory.max", "memory.current");
		else if ((p = strstr(line, ":memory:/")) != NULL ||
		    ((p = strstr(line, ",memory:/")) != NULL))
			limit_by_group(size, avail, "/sys/fs/cgroup/memory",
			    p + 8, "memory.limit_in_bytes",
			    "memory.usage_in_bytes");
	}
	fclose(fp);
}

/*
 * May the store take n more bytes of memory?  Only while a sixteenth of
 * the memory stays free besides: with many spools at once (GNU parallel
 * over pipes) the later copies go to their files instead of exhausting
 * memory, which, unlike the page cache of a file, cannot be written
 * back to make room.  Asked at every SPOOL_MEMORY_CHECK bytes.
 */
#define SPOOL_MEMORY_CHECK ((uint64_t)64 << 20)
#define SPOOL_MEMORY_FREE 16

static int
memory_room(uint64_t n)
{
	uint64_t size, avail;

	memory_view(&size, &avail);
	return avail > size / SPOOL_MEMORY_FREE &&
	    avail - size / SPOOL_MEMORY_FREE >= n;
}

/*
 * The store's memory budget, from $NSL_SPOOL_MEMORY (bytes, with K, M,
 * G or T for powers of 1024, or a percentage of memory_view()'s size; 0
 * keeps every copy in the file), else an eighth of that size.  0, or -1
 * with err set when the variable is not a size.
 */
static int
memory_budget(uint64_t *budget, struct nsl_err *err)
{
	const char *v = getenv(SPOOL_MEMORY_ENV);
	unsigned long long n;
	uint64_t unit = 1, size, avail;
	char *end;

	if (v == NULL || *v == '\0') {
		memory_view(&size, &avail);
		*budget = size / SPOOL_MEMORY_SHARE;
		return 0;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	if (end == v || *v == '-' || *v == '+' || errno != 0)
		goto bad;
	switch (*end) {
	case 'T': case 't': unit <<= 10;	/* FALLTHROUGH */
	case 'G': case 'g': unit <<= 10;	/* FALLTHROUGH */
	case 'M': case 'm': unit <<= 10;	/* FALLTHROUGH */
	case 'K': case 'k': unit <<= 10; end++; break;
	case '%':
		if (n > 100 || end[1] != '\0')
			goto bad;
		memory_view(&size, &avail);
		*budget = size / 100 * n;
		return 0;
	}
	if (*end != '\0' || (n != 0 && unit > UINT64_MAX / n))
		goto bad;
	*budget = (uint64_t)n * unit;
	return 0;
bad:
	return nsl_err_set(err, NSL_EX_USAGE, SPOOL_MEMORY_ENV "=%.100s: not "
	    "a size (bytes, with K, M, G or T, or a percentage of memory)",
	    v);
}

/* write(2) all of p; 0, or -1 with errno set. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Append p[0..n) to the store: into the memory while the budget lasts,
 * then into the file, made the first time it is needed.  0, or -1 with
 * errno set (and spill_err when the file could not be made).
 */
static int
store_write(struct nsl_spool *s, const char *p, size_t n)
{
	size_t k;
	off_t end;

	if (s->spill < 0 && s->memfd >= 0 && s->mem_len < s->mem_cap &&
	    s->mem_len >= s->mem_checked) {
		/* the budget is a ceiling: memory may be short before it */
		if (!memory_room(SPOOL_MEMORY_CHECK))
			s->mem_cap = s->mem_len;
		s->mem_checked = s->mem_len + SPOOL_MEMORY_CHECK;
	}
	if (s->spill < 0 && s->memfd >= 0 && s->mem_len < s->mem_cap) {
		k = s->mem_cap - s->mem_len < n ?
		    (size_t)(s->mem_cap - s->mem_len) : n;
		if (write_all(s->memfd, p, k) != 0) {
			/* the memory ran out before the budget: the rest
			   goes to the file (what was written is kept) */
			if ((errno != ENOSPC && errno != ENOMEM) ||
			    (end = lseek(s->memfd, 0, SEEK_END)) < 0)
				return -1;
			k = (size_t)((uint64_t)end - s->mem_len);
			s->mem_cap = (uint64_t)end;
		}
		s->mem_len += k;
		s->packed += k;
		p += k;
		n -= k;
		if (n == 0)
			return 0;
	}
	if (s->memory_only) {	/* the copy is dropped (gzip_copy) */
		s->dropped = 1;
		return 0;
	}
	if (s->spill < 0 && (s->spill = spill_open(&s->spill_err)) < 0)
		return -1;
	if (write_all(s->spill, p, n) != 0)
		return -1;
	s->packed += n;
	return 0;
}

/* Append text[0..n) (n <= SPOOL_CHUNK) as one chunk: packed if smaller. */
static int
chunk_put(struct nsl_spool *s, const char *text, size_t n)
{
	struct store_chunk *c;
	size_t m, cap;

	if (s->nchunk == s->capchunk) {
		cap = s->capchunk ? 2 * s->capchunk : 1024;
		if ((c = realloc(s->chunk, cap * sizeof(*c))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		s->chunk = c;
		s->capchunk = cap;
	}
	if (s->packbuf == NULL &&
	    (s->packbuf = malloc(nsl_pack_bound(SPOOL_CHUNK))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	m = nsl_pack_encode(text, n, s->packbuf);
	c = &s->chunk[s->nchunk];
	c->text_off = s->stored;
	c->store_off = s->packed;
	c->text_len = (uint32_t)n;
	c->store_len = (uint32_t)(m < n ? m : n);
	if (store_write(s, m < n ? (const char *)s->packbuf : text,
	    c->store_len) != 0)
		return -1;
	s->nchunk++;
	s->stored += n;
	s->last = text[n - 1];
	return 0;
}

/*
 * The copy of a piped input (nsl_reader_tee), run on the reader's
 * thread: chunk by chunk into the store.  0, or -1 with errno set (and
 * spill_err when the file could not be made).
 */
static int
spool_sink(void *arg, const char *p, size_t n)
{
	struct nsl_spool *s = arg;
	size_t k;

	for (; n > 0 && !s->dropped; p += k, n -= k) {
		k = n < SPOOL_CHUNK ? n : SPOOL_CHUNK;
		if (chunk_put(s, p, k) != 0)
			return -1;
	}
	return 0;
}

/*
 * Copy bytes [o, o + n) of the store to p, from the memory and the file
 * as they lie: the count copied (fewer only at the store's end), or -1
 * with errno set.
 */
static ssize_t
raw_read(const struct nsl_spool *s, void *buf, size_t n, uint64_t o)
{
	char *p = buf;
	size_t done = 0;
	uint64_t at;
	ssize_t got;
	int fd;

	while (done < n) {
		at = o + done;
		fd = at < s->mem_len ? s->memfd : s->spill;
		if (fd < 0)
			break;
		if (at < s->mem_len) {
			got = pread(fd, p + done, s->mem_len - at < n - done ?
			    (size_t)(s->mem_len - at) : n - done, (off_t)at);
		} else
			got = pread(fd, p + done, n - done,
			    (off_t)(at - s->mem_len));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/* The chunk that holds byte o of the text (o < s->stored). */
static size_t
chunk_find(struct nsl_spool *s, uint64_t o)
{
	size_t lo = 0, hi = s->nchunk, mid;
	const struct store_chunk *c = s->chunk;

	/* the second pass reads on from where it was */
	if (s->near < s->nchunk && c[s->near].text_off <= o) {
		if (o - c[s->near].text_off < c[s->near].text_len)
			return s->near;
		if (s->near + 1 < s->nchunk && o - c[s->near + 1].text_off <
		    c[s->near + 1].text_len)
			return ++s->near;
	}
	while (hi - lo > 1) {	/* c[lo].text_off <= o < c[hi].text_off */
		mid = lo + (hi - lo) / 2;
		if (c[mid].text_off <= o)
			lo = mid;
		else
			hi = mid;
	}
	return s->near = lo;
}

/* Where in the store the chunk holding text byte o begins. */
static uint64_t
store_at(struct nsl_spool *s, uint64_t o)
{
	return o < s->stored ? s->chunk[chunk_find(s, o)].store_off :
	    s->packed;
}

/* Chunk c's text into text[0..c->text_len): 0, or -1 with errno set. */
static int
chunk_get(struct nsl_spool *s, const struct store_chunk *c, char *text)
{
	ssize_t got;

	if (c->store_len == c->text_len) {
		got = raw_read(s, text, c->text_len, c->store_off);
	} else {
		if (s->packbuf == NULL && (s->packbuf =
		    malloc(nsl_pack_bound(SPOOL_CHUNK))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		got = raw_read(s, s->packbuf, c->store_len, c->store_off);
		if (got == (ssize_t)c->store_len && nsl_pack_decode(s->packbuf,
		    c->store_len, text, c->text_len) != 0) {
			errno = EIO;	/* the store was changed */
			return -1;
		}
	}
	if (got < 0)
		return -1;
	if (got != (ssize_t)c->store_len) {
		errno = EIO;	/* the store ends before its chunks */
		return -1;
	}
	return 0;
}

/*
 * Copy bytes [o, o + n) of the text to p, unpacking the chunks that hold
 * them: a whole chunk straight into p, part of one through unpacked[].
 * A chunk kept as it is is read straight into p in any case (from a
 * pipe of 405 MB of records with prose, which does not pack, nsl-prune
 * took 1.07x its old time with every part chunk read through
 * unpacked[], 0.99x now).
 * The count copied (fewer only at the text's end), or -1 with errno
 * set.
 */
static ssize_t
store_read(struct nsl_spool *s, char *p, size_t n, uint64_t o)
{
	const struct store_chunk *c;
	size_t done = 0, i, in, k;

	while (done < n && o + done < s->stored) {
		i = chunk_find(s, o + done);
		c = &s->chunk[i];
		in = (size_t)(o + done - c->text_off);
		k = c->text_len - in < n - done ? c->text_len - in : n - done;
		if (c->store_len == c->text_len) {	/* kept as it is */
			if (raw_read(s, p + done, k, c->store_off + in) !=
			    (ssize_t)k) {
				if (errno == 0)
					errno = EIO;
				return -1;
			}
		} else if (in == 0 && k == c->text_len && i != s->cached) {
			if (chunk_get(s, c, p + done) != 0)
				return -1;
		} else {
			if (s->unpacked == NULL &&
			    (s->unpacked = malloc(SPOOL_CHUNK)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			if (i != s->cached) {
				s->cached = SIZE_MAX;
				if (chunk_get(s, c, s->unpacked) != 0)
					return -1;
				s->cached = i;
			}
			memcpy(p + done, s->unpacked + in, k);
		}
		done += k;
	}
	return (ssize_t)done;
}

/*
 * Ready the store for a piped input: its budget, read once, and its
 * memory, made once.  A system without memfd_create(2) leaves it all
 * to the file.
 */
static int
store_ready(struct nsl_spool *s, struct nsl_err *err)
{
	if (!s->mem_known) {
		if (memory_budget(&s->mem_cap, err) != 0)
			return -1;
		if (s->mem_cap > SIZE_MAX / 2)
			s->mem_cap = SIZE_MAX / 2;
		s->mem_known = 1;
	}
	if (s->memfd >= 0 || s->mem_cap == 0 || s->spill >= 0)
		return 0;
	if ((s->memfd = memfd_create("nsl-spool", MFD_CLOEXEC)) < 0)
		s->mem_cap = 0;
	return 0;
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

/*
 * A gzip file is copied as a pipe is, while the copy fits in the
 * store's memory: the second pass then reads the copy instead of
 * decompressing the file again (nsl-prune on 965 MB of text in BGZF on
 * two hyperthreads: 1.51 s copied, 2.05 s read twice).  A copy that
 * would reach past the memory is dropped (copy_drop) and the file read
 * again, as before, so that a gzip file never takes room in TMPDIR
 * (its text may be several times its size).  Makes in (just opened)
 * such an input when the store has memory left.
 */
static void
gzip_copy(struct nsl_spool *s, struct spool_input *in)
{
	struct nsl_err ignored;

	memset(&ignored, 0, sizeof(ignored));
	/* a budget that is not a size is an error where a pipe needs it */
	if (!nsl_reader_is_gzip(s->cur) || store_ready(s, &ignored) != 0 ||
	    s->memfd < 0 || s->spill >= 0 || s->mem_len >= s->mem_cap)
		return;
	in->gzip = 1;
	in->again = in->kind;
	in->again_off = in->off;
	in->kind = SPOOL_SPILL;
	in->off = (off_t)s->stored;
	s->memory_only = 1;
	s->dropped = 0;
	s->nlines = 0;
}

/*
 * The gzip file in, just read, did not fit: forget its copy (the store
 * back to where it began, its memory given back) and read the file
 * again by its records' line numbers.
 */
static void
copy_drop(struct nsl_spool *s, struct spool_input *in)
{
	const struct store_chunk *c;
	uint64_t i;

	while (s->nchunk > 0 &&
	    s->chunk[s->nchunk - 1].text_off >= (uint64_t)in->off)
		s->nchunk--;
	c = s->nchunk > 0 ? &s->chunk[s->nchunk - 1] : NULL;
	s->packed = c != NULL ? c->store_off + c->store_len : 0;
	s->stored = (uint64_t)in->off;
	s->cached = SIZE_MAX;
	s->near = 0;
	if (s->mem_len > s->packed) {
		s->mem_len = s->packed;
		/* best effort: the pages go back, the next copy writes on */
		(void)ftruncate(s->memfd, (off_t)s->mem_len);
		(void)lseek(s->memfd, (off_t)s->mem_len, SEEK_SET);
	}
	for (i = 0; i < in->count; i++)
		s->lineno[in->first + i] = s->lines[i];
	in->kind = in->again;
	in->off = in->again_off;
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
	if (kind == SPOOL_SPILL && store_ready(s, err) != 0)
		return -1;
	if (kind == SPOOL_SPILL)
		off = (off_t)s->stored;
	if ((s->cur = nsl_reader_open(path, err)) == NULL)
		return -1;
	in = &s->in[s->nin];
	memset(in, 0, sizeof(*in));
	in->first = s->n;
	in->kind = kind;
	in->off = off;
	if (kind != SPOOL_SPILL)
		gzip_copy(s, in);
	if ((in->name = strdup(nsl_reader_name(s->cur))) == NULL ||
	    (kind == SPOOL_FILE && (in->path = strdup(path)) == NULL)) {
		free(in->name);
		s->memory_only = 0;
		nsl_reader_close(s->cur);
		s->cur = NULL;
		return oom(err);
	}
	/* the reader copies what it reads, in large blocks, not by line */
	if (in->kind == SPOOL_SPILL)
		nsl_reader_tee(s->cur, spool_sink, s);
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
	errno = 0;
	if (s->stored == (uint64_t)in->off)
		return 0;
	if (s->last != '\n' && spool_sink(s, "\n", 1) != 0) {
		if (s->spill_err.code != 0) {
			*err = s->spill_err;
			return -1;
		}
		return spill_error(err, "write");
	}
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

/* Room in *a (*cap entries) for entry n: 0, or -1 out of memory. */
static int
room(uint64_t **a, uint64_t *cap, uint64_t n)
{
	uint64_t c = *cap ? 2 * *cap : 1024, *p;

	if (n < *cap)
		return 0;
	if ((p = realloc(*a, c * sizeof(*p))) == NULL)
		return -1;
	*a = p;
	*cap = c;
	return 0;
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
		if (rc < 0 && s->spill_err.code != 0) {
			/* the copy failed for want of a temporary file */
			*err = s->spill_err;
			return -1;
		}
		if (rc < 0) {
			nsl_spool_locate(s, err);
			return -1;
		}
		nsl_reader_close(s->cur);
		s->cur = NULL;
		s->memory_only = 0;
		if (in->gzip && s->dropped) {
			s->dropped = 0;
			copy_drop(s, in);
			return 0;
		}
		if (in->kind == SPOOL_SPILL)
			return spill_finish(s, in, err) < 0 ? -1 : 0;
		return 0;
	}
	if (room(&s->lineno, &s->cap, s->n) != 0 ||
	    (in->gzip && room(&s->lines, &s->caplines, s->nlines) != 0))
		return oom(err);
	if (in->gzip)
		s->lines[s->nlines++] = nsl_reader_lineno(s->cur);
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

void
nsl_spool_sizes(const struct nsl_spool *s, uint64_t *text, uint64_t *copy)
{
	*text = s->stored;
	*copy = s->packed;
}

/* A reader at the start of input in, for the second pass. */
static struct nsl_reader *
reopen(const struct spool_input *in, struct nsl_err *err)
{
	struct nsl_reader *r;

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
	default:	/* a copy is read by emit_spill */
		nsl_err_set(err, NSL_EX_SOFTWARE, "spool: no file to reopen");
		return NULL;
	}
	if (r != NULL && nsl_reader_set_name(r, in->name) != 0) {
		nsl_reader_close(r);
		oom(err);
		return NULL;
	}
	return r;
}

/*
 * The kept lines of a spilled input, by their offsets in the store: a
 * run of kept lines is read at once (store_read), with the dropped lines
 * between runs when they are short (less than SPILL_GAP bytes: a read
 * costs about that much copying), skipped when long.  A line may start
 * in the memory and end in the file.  Every spilled line ends in a
 * newline (spill_finish).
 */
#define SPILL_WINDOW (1024 * 1024)
#define SPILL_GAP (64 * 1024)

struct spill_window {
	char *buf;
	size_t cap, len;	/* buf holds len bytes of the file ... */
	uint64_t at;		/* ... from offset at */
};

/*
 * Make the window hold the line at offset o, reading [o, stop) (stop >
 * o) or more if the line is longer.  Returns 1, 0 if the file ends
 * before the line does, -1 on a read error (errno set).
 */
static int
spill_load(struct spill_window *W, struct nsl_spool *s, uint64_t o,
    uint64_t stop)
{
	size_t want = stop - o < W->cap ? (size_t)(stop - o) : W->cap;
	ssize_t got;
	char *p;

	W->at = o;
	W->len = 0;
	for (;;) {
		if ((got = store_read(s, W->buf + W->len, want - W->len,
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
			if ((got = spill_load(&W, s, o, stop)) < 0) {
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
	if ((r = reopen(in, err)) == NULL)
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
	size_t k;
	int rc = 0;

	if (s->once && s->visited++)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "spool: visited "
		    "twice after nsl_spool_once");
	for (k = 0; k < s->nin && rc == 0; k++)
		rc = emit_input(s, &s->in[k], keep, fn, arg, err);
	/* all of the copy goes now, beside what the caller does next */
	if (rc == 0)
		reap_to(s, s->stored);
	return rc;
}
