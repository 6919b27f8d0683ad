/*
 * json.h - JSONL records: a validating scanner and a splicing writer.
 *
 * A record is one JSON object on one line.  nsl_rec_parse() checks the whole
 * line against RFC 8259 (strings, escapes, UTF-8, nesting) but builds no
 * tree: it records where each top-level member's key and value lie in the
 * line.  Tools then read only the fields they need -- numbers and number
 * arrays straight into doubles, anything else through jansson -- and write
 * records by copying untouched members byte for byte and adding their own.
 *
 * Invariants of struct nsl_rec after a successful parse: line[0..len) is
 * the caller's line (borrowed: it must outlive the record's use); fields[i]
 * are in line order; key points inside line at the key's text between its
 * quotes (still escaped, keylen bytes); value..value+vlen is the value's
 * exact text.  Keys are unique.
 *
 * Numbers are read once.  A top-level member whose value is a flat array
 * of numbers is validated by converting it: its doubles (exactly
 * strtod's) are kept in the record (num, owned by it) and nsl_rec_vector()
 * copies them out instead of reading the text a second time.  For such a
 * member num_at >= 0 and num[num_at .. num_at + nnum) are its elements;
 * for any other member num_at is -1.
 */
#ifndef NSL_JSON_H
#define NSL_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

enum nsl_json_type {
	NSL_JSON_OBJECT,
	NSL_JSON_ARRAY,
	NSL_JSON_STRING,
	NSL_JSON_NUMBER,
	NSL_JSON_TRUE,
	NSL_JSON_FALSE,
	NSL_JSON_NULL
};

struct nsl_field {
	const char *key;	/* escaped key text, inside the line */
	size_t keylen;
	const char *value;	/* value text, inside the line */
	size_t vlen;
	enum nsl_json_type type;
	int key_escaped;	/* key contains a backslash escape */
	long num_at;		/* first of its numbers in rec->num, or -1 */
	size_t nnum;
};

enum nsl_rec_flags {
	/* accept NaN, Infinity and -Infinity as numbers (Python's json) */
	NSL_REC_ALLOW_NONFINITE = 1 << 0,
	/*
	 * check the top-level arrays' numbers but convert them only when
	 * asked (nsl_rec_vector then reads the text): for a tool that
	 * passes a record's vector through without reading it
	 */
	NSL_REC_LAZY_ARRAYS = 1 << 1,
	/*
	 * with NSL_REC_LAZY_ARRAYS: the line is known to be valid (the very
	 * bytes of one parsed before, nsl_dataset_each_line), so a flat
	 * array of numbers is passed over to its ']' without reading its
	 * numbers again; anything else in an array is scanned as always
	 */
	NSL_REC_TRUSTED = 1 << 2
};

struct nsl_rec {
	const char *line;
	size_t len;
	struct nsl_field *fields;
	size_t nfields;
	size_t cap;
	unsigned flags;
	double *num;		/* the numbers of flat number arrays */
	size_t nnums, numcap;
};

/*
 * Whether s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), as JSON text must be: the scanner's
 * own rule, for text from elsewhere (a field name on the command line).
 */
int nsl_json_utf8_valid(const char *s, size_t n);

void nsl_rec_init(struct nsl_rec *, unsigned flags);
void nsl_rec_release(struct nsl_rec *);

/*
 * Scan line[0..len) as one JSON object.  Returns 0, or -1 with err set to
 * NSL_EX_DATAERR and a message naming the column ("invalid JSON at column
 * 17: expected ',' or '}'").  The caller adds file and line (nsl_err_at).
 */
int nsl_rec_parse(struct nsl_rec *, const char *line, size_t len,
    struct nsl_err *err);

struct nsl_reader;

/*
 * Read the next record from r, skipping blank lines.  Returns 1, 0 at end
 * of input, or -1 with err set and placed at the reader's file and line.
 */
int nsl_rec_read(struct nsl_reader *, struct nsl_rec *, struct nsl_err *err);

/*
 * The line nsl_rec_read would parse, not parsed (borrowed until the next
 * read): for a reader that parses its lines elsewhere (on other threads).
 */
int nsl_rec_getline(struct nsl_reader *, const char **line, size_t *len,
    struct nsl_err *err);


/* Index of the member named key (unescaped name), or -1. */
long nsl_rec_find(const struct nsl_rec *, const char *key);

/*
 * Typed access to member i.  Each returns 0, or -1 with err set to
 * NSL_EX_DATAERR and a message naming the field:
 *	field "loss": expected a number, got a string
 * Non-finite numbers are errors unless the record was parsed with
 * NSL_REC_ALLOW_NONFINITE.
 */
int nsl_rec_number(const struct nsl_rec *, size_t i, double *out,
    struct nsl_err *err);

/*
 * Read a number array into *x (grown with realloc as needed; *cap is its
 * capacity in elements) and set *n.  The caller owns *x, which is not
 * NULL after a success, also for [] (*n = 0).
 */
int nsl_rec_vector(const struct nsl_rec *, size_t i, double **x, size_t *n,
    size_t *cap, struct nsl_err *err);

/*
 * nsl_rec_vector without the copy where it can: *v points at the
 * record's own numbers (valid while the record is, not to be written)
 * when the array was converted at the parse, else at *x, read as
 * nsl_rec_vector reads it.  For a reader that keeps the numbers in a
 * form of its own (float32 rows) and has no use for a double copy.
 */
int nsl_rec_vector_view(const struct nsl_rec *, size_t i, const double **v,
    size_t *n, double **x, size_t *cap, struct nsl_err *err);

/*
 * Read an array of equal-length number arrays (a matrix, row-major) into
 * *x, setting *rows and *cols.  A plain number array is read as one row.
 * *x is not NULL after a success.
 */
int nsl_rec_matrix(const struct nsl_rec *, size_t i, double **x,
    size_t *rows, size_t *cols, size_t *cap, struct nsl_err *err);

/* Decode a string member into out (reset first). */
int nsl_rec_string(const struct nsl_rec *, size_t i, struct nsl_buf *out,
    struct nsl_err *err);

/*
 * Member i as a new jansson value (the caller owns the reference).  Any
 * JSON number is read: integers beyond 64 bits as reals (see
 * nsl_json_loadb).
 */
json_t *nsl_rec_json(const struct nsl_rec *, size_t i, struct nsl_err *err);

/*
 * json_loadb(), except that an integer too big for jansson's 64 bits is
 * read as a real (the whole value is then read with
 * JSON_DECODE_INT_AS_REAL) instead of failing.  New reference, or NULL
 * with jerr set.
 */
json_t *nsl_json_loadb(const char *s, size_t n, size_t flags,
    json_error_t *jerr);

/* The same lookups by name; a missing field is an error naming it. */
long nsl_rec_require(const struct nsl_rec *, const char *key,
    struct nsl_err *err);

/*
 * The required string member key, decoded, as a new copy in *dst (the
 * old *dst freed) for the parse half of a record's write/parse pair.
 */
int nsl_rec_strdup(const struct nsl_rec *, const char *key, char **dst,
    struct nsl_err *err);

/* The required member key as a count: a whole number in [0, 1e15). */
int nsl_rec_count(const struct nsl_rec *, const char *key, size_t *n,
    struct nsl_err *err);

/*
 * The member key as a number, null read as NaN (the parse half of
 * nsl_obj_number_or_null).  Missing: an error naming it if required,
 * else NaN.  *v is NaN on every path that does not read a number.
 */
int nsl_rec_number_or_null(const struct nsl_rec *, const char *key,
    int required, double *v, struct nsl_err *err);

/*
 * Object writer.  Writes one JSON object into a buffer: members copied
 * from a parsed record keep their exact bytes; new members are written
 * with shortest round-trip numbers.  Usage:
 *
 *	nsl_obj_begin(&o, &buf);
 *	nsl_obj_copy_except(&o, &rec, owned, nowned);
 *	nsl_obj_key(&o, "score"); nsl_obj_number(&o, s);
 *	nsl_obj_end(&o);		appends "}\n"
 */
enum nsl_num_style {
	NSL_NUM_DOUBLE = 0,	/* shortest text that reads back as the double */
	NSL_NUM_FLOAT32 = 1	/* round to float32, shortest text for that */
};

/*
 * Keys stay unique (every nsl reader refuses a duplicate): a member the
 * tool writes with nsl_obj_key() replaces an earlier member of the same
 * name, copied or its own (the earlier bytes are taken out of the
 * buffer), and nsl_obj_copy() skips a member whose name the tool has
 * already written.  So a tool's field wins over an input's, whatever the
 * order of the calls.  Two of a tool's own fields with one name are a
 * clash of its options, which the tool refuses before writing (the
 * writer would keep the later); obj->replaced counts the members
 * replaced or skipped.  The check costs a comparison of short keys per
 * member written: records have few.  Objects of more than NSL_OBJ_TRACK
 * members find the rest by a scan of their own text.
 */
#define NSL_OBJ_TRACK 32

struct nsl_obj {
	struct nsl_buf *b;
	size_t nmembers;
	enum nsl_num_style style;	/* set after begin, for new numbers */
	size_t start;			/* offset of '{' in b */
	size_t at[NSL_OBJ_TRACK];	/* offset of member i's key quote */
	size_t own[NSL_OBJ_TRACK];	/* numbers of the members written by
					   nsl_obj_key, increasing */
	size_t nown;
	int own_lost;			/* more own keys than own[] holds */
	size_t replaced;
};

void nsl_obj_begin(struct nsl_obj *, struct nsl_buf *);
void nsl_obj_end(struct nsl_obj *);
void nsl_obj_key(struct nsl_obj *, const char *key);
void nsl_obj_copy(struct nsl_obj *, const struct nsl_rec *, size_t i);
/* Copy every member whose name is not in skip[0..nskip). */
void nsl_obj_copy_except(struct nsl_obj *, const struct nsl_rec *,
    const char *const *skip, size_t nskip);
void nsl_obj_number(struct nsl_obj *, double v);
void nsl_obj_integer(struct nsl_obj *, long long v);
void nsl_obj_string(struct nsl_obj *, const char *s);
void nsl_obj_bool(struct nsl_obj *, int v);
void nsl_obj_null(struct nsl_obj *);
/* v, or null when v is no finite number (a result that does not exist) */
void nsl_obj_number_or_null(struct nsl_obj *, double v);
void nsl_obj_vector(struct nsl_obj *, const double *x, size_t n);
void nsl_obj_raw(struct nsl_obj *, const char *text, size_t n);
/* Write a jansson value (reals in shortest round-trip form). */
void nsl_obj_json(struct nsl_obj *, const json_t *v);

/*
 * Stand-alone writers, for values outside an object or nested ones.
 * A non-finite number is written as NaN, Infinity or -Infinity, which is
 * not JSON: only tools run with --allow-nonfinite may let one through.
 */
void nsl_json_number(struct nsl_buf *, double v, enum nsl_num_style);
void nsl_json_vector(struct nsl_buf *, const double *x, size_t n,
    enum nsl_num_style);
void nsl_json_string(struct nsl_buf *, const char *s, size_t n);
void nsl_json_value(struct nsl_buf *, const json_t *v, enum nsl_num_style);

/*
 * Non-finite numbers on the way out.  JSON has no NaN or Infinity, and a
 * record holding one is refused by the next nsl tool, so no tool writes
 * one unless its user asked with --allow-nonfinite.  The number writers
 * above write the tokens NaN, Infinity and -Infinity (also for a finite
 * double that --float32 rounds past FLT_MAX) and count them; once the
 * count is not zero, every nsl_writer (io.h) scans the lines it is handed
 * with a guard and refuses the first line holding such a token:
 *
 *	nsl-score: <stdout>:3: field "score": value out of range (Infinity
 *	is not a JSON number)
 *
 * exit 65, the output file left untouched.  The check sits on the only
 * road to the output, so no tool can forget it; a kernel that can give
 * the right finite answer (by rescaling) should, and one whose answer is
 * beyond the double range gets this refusal for free.
 * nsl_json_allow_nonfinite(1), called by the tools' option parsing for
 * --allow-nonfinite, lets the tokens through.  Thread-safe.
 */
void nsl_json_allow_nonfinite(int yes);
int nsl_json_nonfinite_allowed(void);
/* How many non-finite numbers the writers have written, process-wide. */
unsigned long nsl_json_nonfinite_written(void);

/*
 * The guard: a scanner that follows JSONL text across calls (strings,
 * nesting, the current top-level key) and stops at the first NaN or
 * Infinity token outside a string.  Invariant: the state describes the
 * text scanned so far; "synced" is 0 when scanning began inside a line,
 * whose key is then unknown.
 */
struct nsl_json_guard {
	int synced;
	int in_string, escape, in_key, expect_key;
	int minus;		/* the last byte outside strings was '-' */
	unsigned depth;
	size_t keylen;
	char key[64];
};

/* Start a guard; at_line_start says whether the next byte begins a line. */
void nsl_json_guard_init(struct nsl_json_guard *, int at_line_start);

/*
 * Scan p[0..n).  Returns the offset of the first byte of a non-finite
 * token ('N', 'I' or the '-' of "-Infinity"), or n when there is none;
 * after a find the guard stays at the token (call init to reuse it).
 */
size_t nsl_json_guard_scan(struct nsl_json_guard *, const char *p, size_t n);

/*
 * Set err (NSL_EX_DATAERR) for the token at tok (end bounds it) that
 * nsl_json_guard_scan stopped at: 'field "score": value out of range
 * (Infinity is not a JSON number)'.  Keeps err's file and line.
 */
int nsl_json_guard_error(const struct nsl_json_guard *, const char *tok,
    const char *end, struct nsl_err *err);

#endif
