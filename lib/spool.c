/*
 * spool.c - choose records in one pass, write them back in a second (see
 * nsl/spool.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/spool.h"

struct spool_input {
	char *path;		/* to open again; NULL when spilled */
	char *name;		/* display name */
	uint64_t first;		/* index of its first record */
	uint64_t count;
};

struct nsl_spool {
	struct spool_input *in;
	size_t nin, capin;
	uint64_t *lineno;	/* per record of a re-read input */
	uint64_t n, cap;
	FILE *spill;		/* unlinked temporary file, or NULL */
	struct nsl_reader *cur;
	int cur_spilled;
};

struct nsl_spool *
nsl_spool_new(void)
{
	return calloc(1, sizeof(struct nsl_spool));
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
	if (s->spill != NULL)
		fclose(s->spill);
	nsl_reader_close(s->cur);
	free(s);
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/* An unlinked temporary file in $TMPDIR or /tmp. */
static FILE *
spill_open(struct nsl_err *err)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;
	FILE *fp = NULL;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((tmpl = malloc(strlen(dir) + 32)) == NULL)
		return oom(err), NULL;
	sprintf(tmpl, "%s/nsl-spool.XXXXXX", dir);
	if ((fd = mkstemp(tmpl)) < 0) {
		nsl_err_at(err, dir, 0);
		nsl_err_set(err, NSL_EX_IOERR, "cannot make a temporary file: "
		    "%s", strerror(errno));
		free(tmpl);
		return NULL;
	}
	unlink(tmpl);
	free(tmpl);
	if ((fp = fdopen(fd, "w+")) == NULL) {
		close(fd);
		return oom(err), NULL;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return fp;
}

static int
spill_error(struct nsl_err *err, const char *what)
{
	nsl_err_at(err, "temporary file", 0);
	return nsl_err_set(err, NSL_EX_IOERR, "%s failed: %s", what,
	    errno ? strerror(errno) : "unknown error");
}

int
nsl_spool_open(struct nsl_spool *s, const char *path, struct nsl_err *err)
{
	struct spool_input *in;
	struct stat st;
	int spilled;

	if (s->cur != NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "spool: previous "
		    "input not finished");
	if (path == NULL)
		path = "-";
	spilled = strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode);
	if (s->nin == s->capin) {
		size_t cap = s->capin ? 2 * s->capin : 8;
		struct spool_input *p = realloc(s->in, cap * sizeof(*p));

		if (p == NULL)
			return oom(err);
		s->in = p;
		s->capin = cap;
	}
	if ((s->cur = nsl_reader_open(path, err)) == NULL)
		return -1;
	if (spilled && s->spill == NULL && (s->spill = spill_open(err)) == NULL)
		return -1;
	in = &s->in[s->nin];
	memset(in, 0, sizeof(*in));
	in->first = s->n;
	if ((in->name = strdup(nsl_reader_name(s->cur))) == NULL ||
	    (!spilled && (in->path = strdup(path)) == NULL)) {
		free(in->name);
		return oom(err);
	}
	s->nin++;
	s->cur_spilled = spilled;
	return 0;
}

void
nsl_spool_locate(const struct nsl_spool *s, struct nsl_err *err)
{
	if (s->nin > 0)
		nsl_err_at(err, s->in[s->nin - 1].name,
		    s->cur != NULL ? nsl_reader_lineno(s->cur) : 0);
}

int
nsl_spool_next(struct nsl_spool *s, struct nsl_rec *rec, struct nsl_err *err)
{
	struct spool_input *in = &s->in[s->nin - 1];
	int rc;

	if (s->cur == NULL)
		return 0;
	if ((rc = nsl_rec_read(s->cur, rec, err)) <= 0) {
		if (rc < 0) {
			nsl_spool_locate(s, err);
			return -1;
		}
		nsl_reader_close(s->cur);
		s->cur = NULL;
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
	/* a spilled record comes back by its place in the temporary file */
	s->lineno[s->n] = s->cur_spilled ? 0 : nsl_reader_lineno(s->cur);
	if (s->cur_spilled) {
		errno = 0;
		if (fwrite(rec->line, 1, rec->len, s->spill) != rec->len ||
		    putc('\n', s->spill) == EOF)
			return spill_error(err, "write");
	}
	s->n++;
	in->count++;
	return 1;
}

uint64_t
nsl_spool_count(const struct nsl_spool *s)
{
	return s->n;
}

/* Visit the kept records of a regular file, reading it again. */
static int
emit_reread(struct nsl_spool *s, const struct spool_input *in,
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
	if ((r = nsl_reader_open(in->path, err)) == NULL)
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
	if (rc == 0 && i < end) {
		nsl_err_at(err, in->name, 0);
		rc = nsl_err_set(err, NSL_EX_IOERR, "file changed while "
		    "being read (ended early on the second pass)");
	}
	nsl_reader_close(r);
	return rc < 0 ? -1 : 0;
}

/* Visit the kept records of a spilled input from the temporary file. */
static int
emit_spilled(struct nsl_spool *s, const struct spool_input *in,
    const unsigned char *keep, nsl_spool_fn *fn, void *arg, char **buf,
    size_t *cap, struct nsl_err *err)
{
	uint64_t i;
	ssize_t len;

	for (i = in->first; i < in->first + in->count; i++) {
		errno = 0;
		if ((len = getline(buf, cap, s->spill)) <= 0)
			return spill_error(err, "read");
		/* the line without its newline, as nsl_reader_getline's */
		if (keep[i] && fn(arg, i, *buf, (size_t)len - 1, err) != 0)
			return -1;
	}
	return 0;
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
	char *buf = NULL;
	size_t cap = 0, k;
	int rc = 0;

	if (s->spill != NULL) {
		errno = 0;
		if (fflush(s->spill) != 0 || fseek(s->spill, 0, SEEK_SET) != 0)
			return spill_error(err, "write");
	}
	for (k = 0; k < s->nin && rc == 0; k++) {
		if (s->in[k].path != NULL)
			rc = emit_reread(s, &s->in[k], keep, fn, arg, err);
		else
			rc = emit_spilled(s, &s->in[k], keep, fn, arg, &buf,
			    &cap, err);
	}
	free(buf);
	return rc;
}
