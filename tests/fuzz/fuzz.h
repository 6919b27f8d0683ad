/*
 * fuzz.h - the harness shared by the libFuzzer targets of the tool
 * families (tests/fuzz/fuzz_prune.c, _score.c, _fit.c, _quantize.c), which
 * scripts/fuzz builds with clang, and which tests/unit/test_props.c runs
 * on seeded random inputs in `make check`.
 *
 * An input is a command line and records: its first line holds the
 * options, split at spaces and tabs as a shell would split them unquoted
 * ("--strategy hard --keep-fraction 0.3 --by label"); the rest is JSONL,
 * written to a file that the library reads as a tool would.  A target
 * maps the options to the library's structures with the library's own
 * parsers and the tool's checks (an option the tool refuses is a usage
 * error: the input is done), runs the library, and checks:
 *  - a failure is a usage or data error (64 or 65), never anything else;
 *  - every line written is strict JSON: our scanner takes it without
 *    --allow-nonfinite (no NaN or Infinity, no duplicate keys), and so
 *    does jansson, every number read back as a double;
 *  - the target's own invariants (budgets kept, round trips).
 * A failed check calls FUZZ_FAIL, which aborts (libFuzzer saves the
 * input) unless the includer defines it otherwise.
 */
#ifndef NSL_FUZZ_H
#define NSL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nsl/err.h"
#include "nsl/io.h"
#include "nsl/json.h"

#ifndef FUZZ_FAIL
#define FUZZ_FAIL(...) do { \
		fprintf(stderr, "fuzz: " __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} while (0)
#endif

#define FZ_MAXARGS 64

struct fz {
	char *line;			/* the option line, split in place */
	char *argv[FZ_MAXARGS];
	int argc;
	const char *in;			/* path of the records */
	const char *out;		/* path for the output */
};

/* A directory of our own for the files of one process. */
static const char *
fz_dir(void)
{
	static char dir[64];

	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/nslfuzz.XXXXXX",
		    t != NULL && strlen(t) < 32 ? t : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("fuzz: mkdtemp");
			exit(2);
		}
	}
	return dir;
}

/* Remove the directory and its files (for the property test's end). */
static void __attribute__((unused))
fz_cleanup(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/in.jsonl", fz_dir());
	unlink(p);
	snprintf(p, sizeof(p), "%s/out.jsonl", fz_dir());
	unlink(p);
	snprintf(p, sizeof(p), "%s/out2.jsonl", fz_dir());
	unlink(p);
	rmdir(fz_dir());
}

/*
 * Split data into the option line and the records file.  Returns 0, or
 * -1 for an input we do not take (no newline, a NUL in the options).
 */
static int
fz_open(struct fz *z, const uint8_t *data, size_t size)
{
	static char in[128], out[128];
	const uint8_t *nl = memchr(data, '\n', size);
	char *p, *save = NULL;
	FILE *f;

	memset(z, 0, sizeof(*z));
	if (nl == NULL || memchr(data, '\0', (size_t)(nl - data)) != NULL)
		return -1;
	if ((z->line = malloc((size_t)(nl - data) + 1)) == NULL)
		return -1;
	memcpy(z->line, data, (size_t)(nl - data));
	z->line[nl - data] = '\0';
	for (p = strtok_r(z->line, " \t\r", &save); p != NULL &&
	    z->argc < FZ_MAXARGS; p = strtok_r(NULL, " \t\r", &save))
		z->argv[z->argc++] = p;
	snprintf(in, sizeof(in), "%s/in.jsonl", fz_dir());
	snprintf(out, sizeof(out), "%s/out.jsonl", fz_dir());
	if ((f = fopen(in, "wb")) == NULL) {
		perror("fuzz: input file");
		exit(2);
	}
	fwrite(nl + 1, 1, size - (size_t)(nl + 1 - data), f);
	fclose(f);
	unlink(out);
	z->in = in;
	z->out = out;
	return 0;
}

static void
fz_close(struct fz *z)
{
	free(z->line);
	z->line = NULL;
}

/* argv[i] is option name and takes a value: the value, else NULL. */
static const char *
fz_val(const struct fz *z, int *i, const char *name)
{
	if (strcmp(z->argv[*i], name) != 0 || *i + 1 >= z->argc)
		return NULL;
	*i += 1;
	return z->argv[*i];
}

/* A NAME argument as tools/cli.c takes it: not empty, UTF-8 text. */
static int
fz_name_ok(const char *v)
{
	return *v != '\0' && nsl_json_utf8_valid(v, strlen(v));
}

/*
 * A number as nsl_arg_double takes it: the whole text, finite, within
 * [lo, hi].  Returns 0, or -1 (the tool's usage error).
 */
static int
fz_num(const char *s, double lo, double hi, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (end == s || *end != '\0' || !(*v >= lo && *v <= hi))
		return -1;
	return 0;
}

/* A failure must be a usage or data error. */
static void
fz_err(const struct nsl_err *err, const char *where)
{
	if (err->code != NSL_EX_USAGE && err->code != NSL_EX_DATAERR)
		FUZZ_FAIL("%s: exit %d is neither 64 nor 65: %s:%lu: %s",
		    where, err->code, err->file, err->line, err->msg);
}

/* One line of output: strict JSON by our scanner and by jansson. */
static void
fz_strict_line(const char *line, size_t len, const char *where)
{
	struct nsl_rec rec;
	struct nsl_err err;
	json_error_t jerr;
	json_t *j;

	nsl_rec_init(&rec, 0);
	if (nsl_rec_parse(&rec, line, len, &err) != 0) {
		FUZZ_FAIL("%s: output is not strict JSON (%s): %.*s", where,
		    err.msg, (int)(len > 300 ? 300 : len), line);
	}
	nsl_rec_release(&rec);
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		FUZZ_FAIL("%s: jansson refuses the output (%s): %.*s", where,
		    jerr.text, (int)(len > 300 ? 300 : len), line);
	json_decref(j);
}

/* Every line of a file is strict JSON; returns the number of lines. */
static size_t
fz_strict_file(const char *path, const char *where)
{
	struct nsl_reader *r;
	struct nsl_err err;
	const char *line;
	size_t len, n = 0;

	if ((r = nsl_reader_open(path, &err)) == NULL)
		return 0;
	while (nsl_reader_getline(r, &line, &len, &err) == 1) {
		fz_strict_line(line, len, where);
		n++;
	}
	nsl_reader_close(r);
	return n;
}

/* The whole of a file, NUL-terminated (the caller frees), or NULL. */
static char * __attribute__((unused))
fz_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, got;

	*n = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		char *nb = realloc(b, cap + 65536 + 1);

		if (nb == NULL)
			break;
		b = nb;
		got = fread(b + *n, 1, 65536, f);
		*n += got;
		cap += 65536;
		if (got < 65536)
			break;
	}
	fclose(f);
	if (b != NULL)
		b[*n] = '\0';
	return b;
}

#endif
