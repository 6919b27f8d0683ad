/*
 * json.c - JSONL records: validating scanner, typed access, splicing
 * writer (see nsl/json.h).
 *
 * The scanner follows RFC 8259 to the letter (jansson's strictness: no
 * trailing commas, no comments, no bare NaN unless asked, valid UTF-8,
 * paired surrogates) but allocates nothing per value: it only remembers
 * where each top-level member lies.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/num.h"

/* Deeper nesting than this is refused rather than recursed into. */
#define MAX_DEPTH 512

struct scan {
	const char *begin;
	const char *p;
	const char *end;
	unsigned flags;
	struct nsl_err *err;
};

static int
scan_fail(struct scan *s, const char *what)
{
	if (s->p >= s->end)
		return nsl_err_set(s->err, NSL_EX_DATAERR,
		    "invalid JSON at column %zu: %s, found end of line",
		    (size_t)(s->p - s->begin) + 1, what);
	return nsl_err_set(s->err, NSL_EX_DATAERR,
	    "invalid JSON at column %zu: %s", (size_t)(s->p - s->begin) + 1,
	    what);
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (bounds checked by the caller); -1 if not hex. */
static long
hex4(const char *p)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Length of the UTF-8 sequence at p (lead byte >= 0x80), or 0 if it is
 * not well-formed: overlong forms, surrogates and code points past
 * U+10FFFF are refused, as RFC 3629 says.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

int
nsl_json_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_len(p, end)) == 0)
			return 0;
		p += k;
	}
	return 1;
}

/* At '"'.  Sets *escaped if the string holds a backslash escape. */
static int
scan_string(struct scan *s, int *escaped)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const unsigned char *end = (const unsigned char *)s->end;
	long u, lo;
	size_t n;

	*escaped = 0;
	for (;;) {
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		s->p = (const char *)p;
		if (p >= end)
			return scan_fail(s, "unterminated string");
		if (*p == '"') {
			s->p = (const char *)p + 1;
			return 0;
		}
		if (*p < 0x20)
			return scan_fail(s, "control character in string");
		if (*p >= 0x80) {
			if ((n = utf8_len(p, end)) == 0)
				return scan_fail(s, "invalid UTF-8 in string");
			p += n;
			continue;
		}
		/* backslash */
		*escaped = 1;
		if (end - p < 2)
			return scan_fail(s, "unterminated string");
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			s->p = (const char *)p + 1;
			return scan_fail(s, "invalid escape in string");
		}
		if (end - p < 6 || (u = hex4((const char *)p + 2)) < 0)
			return scan_fail(s, "invalid \\u escape in string");
		p += 6;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return scan_fail(s, "lone low surrogate in string");
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4((const char *)p + 2)) < 0xDC00 ||
			    lo > 0xDFFF)
				return scan_fail(s,
				    "unpaired high surrogate in string");
			p += 6;
		}
	}
}

static int
is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* Length of the non-finite literal at p, if allowed and present. */
static size_t
nonfinite_len(const char *p, const char *end)
{
	static const char *const lits[] = { "NaN", "Infinity", "-Infinity" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(lits[i]);
		if ((size_t)(end - p) >= n && memcmp(p, lits[i], n) == 0)
			return n;
	}
	return 0;
}

static int
scan_number(struct scan *s)
{
	const char *p = s->p, *end = s->end;
	size_t n;

	if ((s->flags & NSL_REC_ALLOW_NONFINITE) &&
	    (n = nonfinite_len(p, end)) > 0) {
		s->p += n;
		return 0;
	}
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (is_digit(p, end) && *p != '0')
		while (is_digit(p, end))
			p++;
	else {
		s->p = p;
		return scan_fail(s, "expected a digit");
	}
	if (p < end && *p == '.') {
		p++;
		if (!is_digit(p, end)) {
			s->p = p;
			return scan_fail(s, "expected a digit after '.'");
		}
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, end)) {
			s->p = p;
			return scan_fail(s, "expected a digit in exponent");
		}
		while (is_digit(p, end))
			p++;
	}
	s->p = p;
	return 0;
}

static int
scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return scan_fail(s, "expected a value");
	s->p += n;
	return 0;
}

static int scan_value(struct scan *, int depth, enum nsl_json_type *);

static int
scan_array(struct scan *s, int depth)
{
	enum nsl_json_type t;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (scan_value(s, depth, &t) != 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return scan_fail(s, "expected ',' or ']'");
	}
}

/*
 * Scan an object's members.  With rec non-NULL (the top level), record
 * each member's place.
 */
static int scan_members(struct scan *, int depth, struct nsl_rec *);

static int
scan_value(struct scan *s, int depth, enum nsl_json_type *type)
{
	int escaped;

	if (s->p >= s->end)
		return scan_fail(s, "expected a value");
	if (depth >= MAX_DEPTH)
		return scan_fail(s, "nesting too deep");
	switch (*s->p) {
	case '{':
		*type = NSL_JSON_OBJECT;
		return scan_members(s, depth + 1, NULL);
	case '[':
		*type = NSL_JSON_ARRAY;
		return scan_array(s, depth + 1);
	case '"':
		*type = NSL_JSON_STRING;
		return scan_string(s, &escaped);
	case 't':
		*type = NSL_JSON_TRUE;
		return scan_literal(s, "true");
	case 'f':
		*type = NSL_JSON_FALSE;
		return scan_literal(s, "false");
	case 'n':
		*type = NSL_JSON_NULL;
		return scan_literal(s, "null");
	default:
		*type = NSL_JSON_NUMBER;
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9') ||
		    ((s->flags & NSL_REC_ALLOW_NONFINITE) &&
		    nonfinite_len(s->p, s->end) > 0))
			return scan_number(s);
		/* tools that accept them document --allow-nonfinite */
		if (nonfinite_len(s->p, s->end) > 0)
			return scan_fail(s, "NaN and Infinity are not JSON "
			    "numbers");
		return scan_fail(s, "expected a value");
	}
}

static int
add_field(struct nsl_rec *rec, const struct nsl_field *f, struct scan *s)
{
	struct nsl_field *nf;
	size_t cap;

	if (rec->nfields == rec->cap) {
		cap = rec->cap ? rec->cap * 2 : 16;
		if ((nf = realloc(rec->fields, cap * sizeof(*nf))) == NULL)
			return nsl_err_set(s->err, NSL_EX_SOFTWARE,
			    "out of memory");
		rec->fields = nf;
		rec->cap = cap;
	}
	rec->fields[rec->nfields++] = *f;
	return 0;
}

/*
 * Bytes from p ('[') through the first ']' when nothing between them can
 * open a string, an array or an object (so, in a valid line, the ']'
 * closes p's array); 0 otherwise.  memchr's speed: no number is read.
 */
static size_t
flat_array_end(const char *p, const char *end)
{
	const char *q = memchr(p + 1, ']', (size_t)(end - p - 1));
	size_t n;

	if (q == NULL)
		return 0;
	n = (size_t)(q - p - 1);
	if (memchr(p + 1, '"', n) || memchr(p + 1, '[', n) ||
	    memchr(p + 1, '{', n))
		return 0;
	return (size_t)(q - p) + 1;
}

/*
 * A top-level array: try it as numbers, converting as we validate (the
 * converter checks the same grammar), so no tool reads the text again.
 * Anything else -- strings, nesting, NaN, a syntax error -- is scanned
 * afresh by scan_array, which gives the message.
 */
static int
scan_numbers(struct scan *s, struct nsl_rec *rec, struct nsl_field *f)
{
	size_t n = rec->nnums, used, errpos;

	f->type = NSL_JSON_ARRAY;
	if ((s->flags & (NSL_REC_LAZY_ARRAYS | NSL_REC_TRUSTED)) ==
	    (NSL_REC_LAZY_ARRAYS | NSL_REC_TRUSTED) &&
	    (used = flat_array_end(s->p, s->end)) > 0) {
		s->p += used;
		return 0;
	}
	if (s->flags & NSL_REC_LAZY_ARRAYS) {
		/* checked here, converted by nsl_rec_vector if asked */
		if ((used = nsl_num_check_array(s->p, s->end, &errpos)) > 0) {
			s->p += used;
			return 0;
		}
		return scan_array(s, 2);
	}
	used = nsl_num_parse_array(s->p, s->end, &rec->num, &n, &rec->numcap,
	    &errpos);
	if (used > 0) {
		f->num_at = (long)rec->nnums;
		f->nnum = n - rec->nnums;
		rec->nnums = n;
		s->p += used;
		return 0;
	}
	if (errpos == SIZE_MAX)
		return nsl_err_set(s->err, NSL_EX_SOFTWARE, "out of memory");
	return scan_array(s, 2);
}

static int
scan_members(struct scan *s, int depth, struct nsl_rec *rec)
{
	struct nsl_field f;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return scan_fail(s, "expected a string key");
		f.key = s->p + 1;
		if (scan_string(s, &f.key_escaped) != 0)
			return -1;
		f.keylen = (size_t)(s->p - 1 - f.key);
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return scan_fail(s, "expected ':'");
		s->p++;
		skip_ws(s);
		f.value = s->p;
		f.num_at = -1;
		f.nnum = 0;
		if (rec != NULL && s->p < s->end && *s->p == '[') {
			if (scan_numbers(s, rec, &f) != 0)
				return -1;
		} else if (scan_value(s, depth, &f.type) != 0)
			return -1;
		f.vlen = (size_t)(s->p - f.value);
		if (rec != NULL && add_field(rec, &f, s) != 0)
			return -1;
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return scan_fail(s, "expected ',' or '}'");
	}
}

void
nsl_rec_init(struct nsl_rec *rec, unsigned flags)
{
	memset(rec, 0, sizeof(*rec));
	rec->flags = flags;
}

void
nsl_rec_release(struct nsl_rec *rec)
{
	free(rec->fields);
	free(rec->num);
	nsl_rec_init(rec, rec->flags);
}

/* Decode the JSON string body p[0..n) (already validated) into out. */
static void
decode_string(const char *p, size_t n, struct nsl_buf *out)
{
	const char *end = p + n, *run;
	unsigned long u, lo;
	char utf[4];

	while (p < end) {
		run = p;
		while (p < end && *p != '\\')
			p++;
		nsl_buf_add(out, run, (size_t)(p - run));
		if (p >= end)
			break;
		switch (p[1]) {
		case 'b': nsl_buf_addc(out, '\b'); break;
		case 'f': nsl_buf_addc(out, '\f'); break;
		case 'n': nsl_buf_addc(out, '\n'); break;
		case 'r': nsl_buf_addc(out, '\r'); break;
		case 't': nsl_buf_addc(out, '\t'); break;
		case 'u':
			u = (unsigned long)hex4(p + 2);
			if (u >= 0xD800 && u <= 0xDBFF) {
				lo = (unsigned long)hex4(p + 8);
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			if (u < 0x80) {
				nsl_buf_addc(out, (char)u);
			} else if (u < 0x800) {
				utf[0] = (char)(0xC0 | (u >> 6));
				utf[1] = (char)(0x80 | (u & 0x3F));
				nsl_buf_add(out, utf, 2);
			} else if (u < 0x10000) {
				utf[0] = (char)(0xE0 | (u >> 12));
				utf[1] = (char)(0x80 | ((u >> 6) & 0x3F));
				utf[2] = (char)(0x80 | (u & 0x3F));
				nsl_buf_add(out, utf, 3);
			} else {
				utf[0] = (char)(0xF0 | (u >> 18));
				utf[1] = (char)(0x80 | ((u >> 12) & 0x3F));
				utf[2] = (char)(0x80 | ((u >> 6) & 0x3F));
				utf[3] = (char)(0x80 | (u & 0x3F));
				nsl_buf_add(out, utf, 4);
			}
			p += 4;
			break;
		default:	/* '"', '\\', '/' stand for themselves */
			nsl_buf_addc(out, p[1]);
			break;
		}
		p += 2;
	}
}

static int
key_equal(const struct nsl_field *a, const struct nsl_field *b)
{
	struct nsl_buf da = NSL_BUF_INIT, db = NSL_BUF_INIT;
	int eq;

	if (!a->key_escaped && !b->key_escaped)
		return a->keylen == b->keylen &&
		    memcmp(a->key, b->key, a->keylen) == 0;
	decode_string(a->key, a->keylen, &da);
	decode_string(b->key, b->keylen, &db);
	eq = da.len == db.len && (da.len == 0 ||
	    memcmp(da.data, db.data, da.len) == 0);
	nsl_buf_release(&da);
	nsl_buf_release(&db);
	return eq;
}

static int
dup_found(const struct nsl_field *f, struct nsl_err *err)
{
	struct nsl_buf name = NSL_BUF_INIT;

	decode_string(f->key, f->keylen, &name);
	nsl_err_set(err, NSL_EX_DATAERR, "duplicate field \"%s\"",
	    name.data ? name.data : "");
	nsl_buf_release(&name);
	return -1;
}

/* FNV-1a of a key as decoded, so "a" and "\u0061" hash alike. */
static uint64_t
key_hash(const struct nsl_field *f)
{
	struct nsl_buf dec = NSL_BUF_INIT;
	const unsigned char *p = (const unsigned char *)f->key;
	size_t n = f->keylen, i;
	uint64_t h = 14695981039346656037ULL;

	if (f->key_escaped) {
		decode_string(f->key, f->keylen, &dec);
		p = (const unsigned char *)dec.data;
		n = dec.len;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	nsl_buf_release(&dec);
	return h;
}

/*
 * Many fields: an open-addressing table of field indexes, so a hostile
 * line of 100,000 keys costs linear time, not 5e9 comparisons.  Fields go
 * in in order, so the duplicate reported is the same as the pairwise
 * scan's: the first field equal to an earlier one.
 */
static int
unique_keys_hashed(const struct nsl_rec *rec, struct nsl_err *err)
{
	size_t cap = 64, mask, i, at, *slot;

	while (cap < 2 * rec->nfields)
		cap *= 2;
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	mask = cap - 1;
	for (i = 0; i < rec->nfields; i++) {
		for (at = (size_t)key_hash(&rec->fields[i]) & mask;
		    slot[at] != 0; at = (at + 1) & mask)
			if (key_equal(&rec->fields[i],
			    &rec->fields[slot[at] - 1])) {
				free(slot);
				return dup_found(&rec->fields[i], err);
			}
		slot[at] = i + 1;
	}
	free(slot);
	return 0;
}

static int
check_unique_keys(const struct nsl_rec *rec, struct nsl_err *err)
{
	size_t i, j;

	/* Records have few fields: pairwise is cheaper than hashing. */
	if (rec->nfields > 32)
		return unique_keys_hashed(rec, err);
	for (i = 1; i < rec->nfields; i++)
		for (j = 0; j < i; j++)
			if (key_equal(&rec->fields[i], &rec->fields[j]))
				return dup_found(&rec->fields[i], err);
	return 0;
}

int
nsl_rec_parse(struct nsl_rec *rec, const char *line, size_t len,
    struct nsl_err *err)
{
	struct scan s = { line, line, line + len, rec->flags, err };

	rec->line = line;
	rec->len = len;
	rec->nfields = 0;
	rec->nnums = 0;
	skip_ws(&s);
	if (s.p + 3 <= s.end && memcmp(s.p, "\xef\xbb\xbf", 3) == 0)
		return scan_fail(&s, "a UTF-8 byte-order mark: JSON text "
		    "has none (RFC 8259, 8.1); save the file without it");
	if (s.p >= s.end || *s.p != '{')
		return scan_fail(&s, "expected a JSON object ('{')");
	if (scan_members(&s, 1, rec) != 0)
		return -1;
	skip_ws(&s);
	if (s.p < s.end)
		return scan_fail(&s, "unexpected text after the object");
	return check_unique_keys(rec, err);
}

static int
blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

int
nsl_rec_getline(struct nsl_reader *r, const char **line, size_t *len,
    struct nsl_err *err)
{
	int rc;

	do {
		if ((rc = nsl_reader_getline(r, line, len, err)) <= 0)
			return rc;
	} while (blank(*line, *len));
	return 1;
}

int
nsl_rec_read(struct nsl_reader *r, struct nsl_rec *rec, struct nsl_err *err)
{
	const char *line;
	size_t len;
	int rc;

	if ((rc = nsl_rec_getline(r, &line, &len, err)) <= 0)
		return rc;
	if (nsl_rec_parse(rec, line, len, err) != 0) {
		nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
		return -1;
	}
	return 1;
}

long
nsl_rec_find(const struct nsl_rec *rec, const char *key)
{
	struct nsl_field want;
	size_t i, n = strlen(key);

	for (i = 0; i < rec->nfields; i++) {
		const struct nsl_field *f = &rec->fields[i];

		if (!f->key_escaped) {
			if (f->keylen == n && memcmp(f->key, key, n) == 0)
				return (long)i;
			continue;
		}
		/* an escaped key: compare its decoded form */
		want.key = key;
		want.keylen = n;
		want.key_escaped = 0;
		if (strchr(key, '\\') == NULL && key_equal(f, &want))
			return (long)i;
	}
	return -1;
}

/* The member's decoded name, for messages. */
static const char *
field_name(const struct nsl_rec *rec, size_t i, char *buf, size_t n)
{
	const struct nsl_field *f = &rec->fields[i];
	struct nsl_buf d = NSL_BUF_INIT;

	decode_string(f->key, f->keylen, &d);
	snprintf(buf, n, "%s", d.data ? d.data : "");
	nsl_buf_release(&d);
	return buf;
}

static const char *
type_name(enum nsl_json_type t)
{
	static const char *const names[] = { "an object", "an array",
	    "a string", "a number", "true", "false", "null" };

	return names[t];
}

static int
type_error(const struct nsl_rec *rec, size_t i, const char *want,
    struct nsl_err *err)
{
	char name[128];

	return nsl_err_set(err, NSL_EX_DATAERR,
	    "field \"%s\": expected %s, got %s",
	    field_name(rec, i, name, sizeof(name)), want,
	    type_name(rec->fields[i].type));
}

long
nsl_rec_require(const struct nsl_rec *rec, const char *key,
    struct nsl_err *err)
{
	long i = nsl_rec_find(rec, key);

	if (i < 0)
		nsl_err_set(err, NSL_EX_DATAERR, "missing field \"%s\"", key);
	return i;
}

int
nsl_rec_number_or_null(const struct nsl_rec *rec, const char *key,
    int required, double *v, struct nsl_err *err)
{
	long k = required ? nsl_rec_require(rec, key, err) :
	    nsl_rec_find(rec, key);

	*v = NAN;
	if (k < 0)
		return required ? -1 : 0;
	if (rec->fields[k].type == NSL_JSON_NULL)
		return 0;
	return nsl_rec_number(rec, (size_t)k, v, err);
}

int
nsl_rec_strdup(const struct nsl_rec *rec, const char *key, char **dst,
    struct nsl_err *err)
{
	struct nsl_buf t = NSL_BUF_INIT;
	long k = nsl_rec_require(rec, key, err);
	int ret = -1;

	if (k >= 0 && nsl_rec_string(rec, (size_t)k, &t, err) == 0) {
		free(*dst);
		if ((*dst = strdup(t.data != NULL ? t.data : "")) == NULL)
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		else
			ret = 0;
	}
	nsl_buf_release(&t);
	return ret;
}

int
nsl_rec_count(const struct nsl_rec *rec, const char *key, size_t *n,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, key, err);
	double v;

	if (k < 0 || nsl_rec_number(rec, (size_t)k, &v, err) != 0)
		return -1;
	if (!(v >= 0 && v == floor(v) && v < 1e15))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": expected "
		    "a count", key);
	*n = (size_t)v;
	return 0;
}

/* Parse one number token, NaN and Infinity included when allowed. */
static size_t
parse_number(const char *p, const char *end, unsigned flags, double *out)
{
	size_t n;

	if ((flags & NSL_REC_ALLOW_NONFINITE) &&
	    (n = nonfinite_len(p, end)) > 0) {
		if (*p == 'N')
			*out = NAN;
		else
			*out = *p == '-' ? -INFINITY : INFINITY;
		return n;
	}
	return nsl_num_parse(p, end, out);
}

int
nsl_rec_number(const struct nsl_rec *rec, size_t i, double *out,
    struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	char name[128];

	if (f->type != NSL_JSON_NUMBER)
		return type_error(rec, i, "a number", err);
	parse_number(f->value, f->value + f->vlen, rec->flags, out);
	if (!isfinite(*out) && !(rec->flags & NSL_REC_ALLOW_NONFINITE))
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "field \"%s\": number out of range",
		    field_name(rec, i, name, sizeof(name)));
	return 0;
}

static int
grow_doubles(double **x, size_t *cap, size_t want)
{
	double *nx;
	size_t ncap;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap < want)
		ncap = want;
	if ((nx = realloc(*x, ncap * sizeof(**x))) == NULL)
		return -1;
	*x = nx;
	*cap = ncap;
	return 0;
}

/*
 * The slow path of reading a number array: element by element, so that
 * NaN and Infinity can be accepted and a bad element can be named.
 * Starts at '[' of a value the scanner already validated.
 */
static int
read_array_slow(const struct nsl_rec *rec, size_t i, const char *p,
    const char *end, double **x, size_t *n, size_t *cap,
    struct nsl_err *err)
{
	struct scan s = { p, p + 1, end, rec->flags, err };
	enum nsl_json_type t;
	const char *elem;
	char name[128];
	size_t k = 0;

	skip_ws(&s);
	while (s.p < s.end && *s.p != ']') {
		elem = s.p;
		scan_value(&s, 1, &t);
		if (t != NSL_JSON_NUMBER)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "field \"%s\": element %zu: expected a number, "
			    "got %s", field_name(rec, i, name, sizeof(name)),
			    k, type_name(t));
		if (grow_doubles(x, cap, k + 1) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		parse_number(elem, s.p, rec->flags, &(*x)[k]);
		if (!isfinite((*x)[k]) &&
		    !(rec->flags & NSL_REC_ALLOW_NONFINITE))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "field \"%s\": element %zu: number out of range",
			    field_name(rec, i, name, sizeof(name)), k);
		k++;
		skip_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			skip_ws(&s);
		}
	}
	*n = k;
	return 0;
}

/* Read the number array at p..end into *x; fast path first. */
static int
read_array(const struct nsl_rec *rec, size_t i, const char *p,
    const char *end, double **x, size_t *n, size_t *cap,
    struct nsl_err *err)
{
	size_t errpos, k;

	*n = 0;
	if (nsl_num_parse_array(p, end, x, n, cap, &errpos) != 0) {
		for (k = 0; k < *n; k++)
			if (!isfinite((*x)[k]))
				break;
		if (k == *n || (rec->flags & NSL_REC_ALLOW_NONFINITE))
			return 0;
	} else if (errpos == SIZE_MAX)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return read_array_slow(rec, i, p, end, x, n, cap, err);
}

/*
 * Copy the numbers the scan kept for f.  Returns -1 when they hold a
 * non-finite value the record may not have (1e999), or memory runs out:
 * the slow path then names the element or says so.
 */
static int
vector_kept(const struct nsl_rec *rec, const struct nsl_field *f,
    double **x, size_t *n, size_t *cap)
{
	const double *v;
	size_t k;

	*n = 0;
	if (f->nnum == 0)	/* [] before any number: num may be NULL */
		return 0;
	v = rec->num + f->num_at;
	if (!(rec->flags & NSL_REC_ALLOW_NONFINITE))
		for (k = 0; k < f->nnum; k++)
			if (!isfinite(v[k]))
				return -1;
	if (grow_doubles(x, cap, f->nnum) != 0)
		return -1;
	if (f->nnum > 0)
		memcpy(*x, v, f->nnum * sizeof(double));
	*n = f->nnum;
	return 0;
}

int
nsl_rec_vector(const struct nsl_rec *rec, size_t i, double **x, size_t *n,
    size_t *cap, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];

	if (f->type != NSL_JSON_ARRAY)
		return type_error(rec, i, "an array of numbers", err);
	if (f->num_at >= 0 && vector_kept(rec, f, x, n, cap) == 0)
		;
	else if (read_array(rec, i, f->value, f->value + f->vlen, x, n, cap,
	    err) != 0)
		return -1;
	/* [] too leaves a buffer: callers copy *n numbers from *x, and
	 * memcpy from NULL is undefined even for no bytes */
	if (*x == NULL && grow_doubles(x, cap, 1) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

int
nsl_rec_vector_view(const struct nsl_rec *rec, size_t i, const double **v,
    size_t *n, double **x, size_t *cap, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	size_t k;

	if (f->type == NSL_JSON_ARRAY && f->num_at >= 0 && f->nnum > 0) {
		*v = rec->num + f->num_at;
		*n = f->nnum;
		if (rec->flags & NSL_REC_ALLOW_NONFINITE)
			return 0;
		for (k = 0; k < f->nnum && isfinite((*v)[k]); k++)
			;
		if (k == f->nnum)
			return 0;
		/* the slow path names the element */
	}
	if (nsl_rec_vector(rec, i, x, n, cap, err) != 0)
		return -1;
	*v = *x;
	return 0;
}

int
nsl_rec_matrix(const struct nsl_rec *rec, size_t i, double **x,
    size_t *rows, size_t *cols, size_t *cap, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	struct scan s = { f->value, f->value + 1, f->value + f->vlen,
	    rec->flags, err };
	double *row = NULL;
	size_t rowcap = 0, k, r = 0;
	enum nsl_json_type t;
	const char *start;
	char name[128];
	int rc = -1;

	if (f->type != NSL_JSON_ARRAY)
		return type_error(rec, i, "an array of numbers", err);
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '[') {
		*rows = 1;
		return nsl_rec_vector(rec, i, x, cols, cap, err);
	}
	*rows = *cols = 0;
	while (s.p < s.end && *s.p == '[') {
		start = s.p;
		scan_value(&s, 1, &t);
		if (read_array(rec, i, start, s.p, &row, &k, &rowcap, err) != 0)
			goto done;
		if (r > 0 && k != *cols) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": row %zu "
			    "has %zu numbers, row 0 has %zu",
			    field_name(rec, i, name, sizeof(name)), r, k, *cols);
			goto done;
		}
		*cols = k;
		if (grow_doubles(x, cap, (r + 1) * k) != 0) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto done;
		}
		if (k > 0)	/* rows of [] leave *x unallocated */
			memcpy(*x + r * k, row, k * sizeof(*row));
		r++;
		skip_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			skip_ws(&s);
		}
	}
	if (s.p < s.end && *s.p != ']') {
		type_error(rec, i, "an array of number arrays", err);
		goto done;
	}
	*rows = r;
	rc = 0;
	if (*x == NULL && grow_doubles(x, cap, 1) != 0)	/* as a vector */
		rc = nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
done:
	free(row);
	return rc;
}

int
nsl_rec_string(const struct nsl_rec *rec, size_t i, struct nsl_buf *out,
    struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];

	if (f->type != NSL_JSON_STRING)
		return type_error(rec, i, "a string", err);
	nsl_buf_reset(out);
	decode_string(f->value + 1, f->vlen - 2, out);
	if (nsl_buf_failed(out))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

json_t *
nsl_json_loadb(const char *s, size_t n, size_t flags, json_error_t *jerr)
{
	json_t *v;

	/*
	 * jansson reads an integer into 64 bits and refuses a longer one;
	 * JSON has no such limit, and nsl writes doubles >= 1e21 as
	 * integers in older files.  Read them as doubles then (all the
	 * value's integers: callers that need one check json_is_integer).
	 */
	v = json_loadb(s, n, flags, jerr);
	if (v == NULL && json_error_code(jerr) == json_error_numeric_overflow)
		v = json_loadb(s, n, flags | JSON_DECODE_INT_AS_REAL, jerr);
	return v;
}

json_t *
nsl_rec_json(const struct nsl_rec *rec, size_t i, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	json_error_t jerr;
	json_t *v;
	char name[128];

	v = nsl_json_loadb(f->value, f->vlen, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &jerr);
	if (v == NULL)
		nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %s",
		    field_name(rec, i, name, sizeof(name)), jerr.text);
	return v;
}

/* Writing. */

/* Non-finite numbers written, and whether --allow-nonfinite lets them out. */
static atomic_ulong nonfinite_written;
static atomic_int nonfinite_allowed;

void
nsl_json_allow_nonfinite(int yes)
{
	atomic_store(&nonfinite_allowed, yes != 0);
}

int
nsl_json_nonfinite_allowed(void)
{
	return atomic_load_explicit(&nonfinite_allowed, memory_order_relaxed);
}

unsigned long
nsl_json_nonfinite_written(void)
{
	return atomic_load_explicit(&nonfinite_written, memory_order_relaxed);
}

void
nsl_json_number(struct nsl_buf *b, double v, enum nsl_num_style style)
{
	int n;

	/* a double past FLT_MAX has no float32 text: it is the float's inf */
	if (style == NSL_NUM_FLOAT32 && isfinite(v) && isinf((float)v))
		v = v < 0 ? -INFINITY : INFINITY;
	/*
	 * JSON has no NaN: write the tokens --allow-nonfinite reads, as
	 * Python's json module does, and count them, so that the writer
	 * refuses the line unless the user allowed them (see json.h).
	 */
	if (!isfinite(v)) {
		atomic_fetch_add_explicit(&nonfinite_written, 1,
		    memory_order_relaxed);
		if (isnan(v))
			nsl_buf_add(b, "NaN", 3);
		else if (v < 0)
			nsl_buf_add(b, "-Infinity", 9);
		else
			nsl_buf_add(b, "Infinity", 8);
		return;
	}
	if (nsl_buf_grow(b, NSL_NUM_BUFSZ) != 0)
		return;
	if (style == NSL_NUM_FLOAT32)
		n = nsl_num_format_float(b->data + b->len, (float)v);
	else
		n = nsl_num_format(b->data + b->len, v);
	b->len += (size_t)n;
}

void
nsl_json_guard_init(struct nsl_json_guard *g, int at_line_start)
{
	memset(g, 0, sizeof(*g));
	g->synced = at_line_start;
}

size_t
nsl_json_guard_scan(struct nsl_json_guard *g, const char *p, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (g->in_string) {
			if (g->escape)
				g->escape = 0;
			else if (c == '\\')
				g->escape = 1;
			else if (c == '"') {
				g->in_string = g->in_key = 0;
				continue;
			}
			if (g->in_key && g->keylen < sizeof(g->key) - 1)
				g->key[g->keylen++] = c;
			continue;
		}
		switch (c) {
		case '"':
			g->in_string = 1;
			if (g->depth == 1 && g->expect_key) {
				g->in_key = 1;
				g->expect_key = 0;
				g->keylen = 0;
			}
			break;
		case '{':
		case '[':
			if (++g->depth == 1)
				g->expect_key = c == '{';
			break;
		case '}':
		case ']':
			if (g->depth > 0)
				g->depth--;
			break;
		case ',':
			if (g->depth == 1)
				g->expect_key = 1;
			break;
		case '\n':
			/* a line is a record: whatever came before, we know */
			nsl_json_guard_init(g, 1);
			break;
		case 'N':
		case 'I':
			/*
			 * Outside strings JSON spells only true, false, null
			 * and exponents with letters: N and I begin NaN and
			 * Infinity and nothing else.
			 */
			return i > 0 && c == 'I' && p[i - 1] == '-' ? i - 1 : i;
		}
		g->minus = c == '-';	/* "-" and "Infinity" may be apart */
	}
	return n;
}

int
nsl_json_guard_error(const struct nsl_json_guard *g, const char *tok,
    const char *end, struct nsl_err *err)
{
	const char *what = "value out of range (Infinity";

	if (end > tok && *tok == 'N')
		what = "value undefined (NaN";
	else if ((end > tok && *tok == '-') || g->minus)
		what = "value out of range (-Infinity";
	if (!g->synced || g->depth == 0 || g->keylen == 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "%s is not a JSON number)", what);
	return nsl_err_set(err, NSL_EX_DATAERR,
	    "field \"%.*s\": %s is not a JSON number)", (int)g->keylen,
	    g->key, what);
}

void
nsl_json_vector(struct nsl_buf *b, const double *x, size_t n,
    enum nsl_num_style style)
{
	size_t i;

	nsl_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			nsl_buf_addc(b, ',');
		nsl_json_number(b, x[i], style);
	}
	nsl_buf_addc(b, ']');
}

void
nsl_json_string(struct nsl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *end = s + n, *run;
	unsigned char c;
	char esc[6];

	nsl_buf_addc(b, '"');
	while (s < end) {
		run = s;
		while (s < end && (unsigned char)*s >= 0x20 && *s != '"' &&
		    *s != '\\')
			s++;
		nsl_buf_add(b, run, (size_t)(s - run));
		if (s >= end)
			break;
		c = (unsigned char)*s++;
		switch (c) {
		case '"': nsl_buf_add(b, "\\\"", 2); break;
		case '\\': nsl_buf_add(b, "\\\\", 2); break;
		case '\n': nsl_buf_add(b, "\\n", 2); break;
		case '\r': nsl_buf_add(b, "\\r", 2); break;
		case '\t': nsl_buf_add(b, "\\t", 2); break;
		case '\b': nsl_buf_add(b, "\\b", 2); break;
		case '\f': nsl_buf_add(b, "\\f", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			nsl_buf_add(b, esc, 6);
			break;
		}
	}
	nsl_buf_addc(b, '"');
}

void
nsl_json_value(struct nsl_buf *b, const json_t *v, enum nsl_num_style style)
{
	const char *key;
	json_t *item;
	size_t i, n = 0;
	void *it;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		nsl_buf_addc(b, '{');
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			if (n++ > 0)
				nsl_buf_addc(b, ',');
			key = json_object_iter_key(it);
			nsl_json_string(b, key, strlen(key));
			nsl_buf_addc(b, ':');
			nsl_json_value(b, json_object_iter_value(it), style);
		}
		nsl_buf_addc(b, '}');
		break;
	case JSON_ARRAY:
		nsl_buf_addc(b, '[');
		json_array_foreach(v, i, item) {
			if (i > 0)
				nsl_buf_addc(b, ',');
			nsl_json_value(b, item, style);
		}
		nsl_buf_addc(b, ']');
		break;
	case JSON_STRING:
		nsl_json_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		nsl_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		nsl_json_number(b, json_real_value(v), style);
		break;
	case JSON_TRUE:
		nsl_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		nsl_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		nsl_buf_add(b, "null", 4);
		break;
	}
}

void
nsl_obj_begin(struct nsl_obj *o, struct nsl_buf *b)
{
	o->b = b;
	o->nmembers = 0;
	o->style = NSL_NUM_DOUBLE;
	o->start = b->len;
	o->nown = 0;
	o->own_lost = 0;
	o->replaced = 0;
	nsl_buf_addc(b, '{');
}

void
nsl_obj_end(struct nsl_obj *o)
{
	nsl_buf_add(o->b, "}\n", 2);
}

/*
 * The end of the JSON string or value at p in text the writer made or
 * copied from a validated record: well formed, and with no white space
 * between a member's key, its value and the next member (inside a value
 * there may be some).  A value ends at the ',' or '}' after it, or at end.
 */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < end ? p + 1 : end;
}

static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			continue;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			if (depth-- == 0)
				return p;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		}
		p++;
	}
	return end;
}

/* Offset of member i's key quote (i < o->nmembers). */
static size_t
member_at(const struct nsl_obj *o, size_t i)
{
	const char *p, *end = o->b->data + o->b->len;
	size_t k;

	if (i < NSL_OBJ_TRACK)
		return o->at[i];
	/* past the table: walk on from its last member */
	p = o->b->data + o->at[NSL_OBJ_TRACK - 1];
	for (k = NSL_OBJ_TRACK - 1; k < i; k++) {
		p = skip_string(p, end);	/* key */
		p = skip_value(p + 1, end);	/* ':' value */
		p++;				/* ',' */
	}
	return (size_t)(p - o->b->data);
}

/* Does the member whose key quote is at offset at have the key k[0..n)? */
static int
key_at_is(const struct nsl_obj *o, size_t at, const char *k, size_t n)
{
	const char *p = o->b->data + at + 1;
	struct nsl_field a, b;

	a.key = p;
	a.keylen = (size_t)(skip_string(p - 1, o->b->data + o->b->len) -
	    1 - p);
	a.key_escaped = memchr(a.key, '\\', a.keylen) != NULL;
	b.key = k;
	b.keylen = n;
	b.key_escaped = memchr(k, '\\', n) != NULL;
	return key_equal(&a, &b);
}

/* The first of members 0..n-1 named k[0..n) (escaped text), or -1. */
static long
find_member(const struct nsl_obj *o, const char *k, size_t klen, size_t n,
    int own_only)
{
	const char *p, *end = o->b->data + o->b->len;
	size_t i, j;

	if (own_only && !o->own_lost) {
		for (j = 0; j < o->nown && o->own[j] < n; j++)
			if (key_at_is(o, member_at(o, o->own[j]), k, klen))
				return (long)o->own[j];
		return -1;
	}
	for (i = 0; i < n && i < NSL_OBJ_TRACK; i++)
		if (key_at_is(o, o->at[i], k, klen))
			return (long)i;
	if (i >= n)
		return -1;
	/* past the table: one walk over the rest, not one per member */
	for (p = o->b->data + o->at[NSL_OBJ_TRACK - 1]; i < n; i++) {
		p = skip_string(p, end);
		p = skip_value(p + 1, end) + 1;
		if (key_at_is(o, (size_t)(p - o->b->data), k, klen))
			return (long)i;
	}
	return -1;
}

/* Note that member nmembers - 1 begins at offset at. */
static void
member_added(struct nsl_obj *o, size_t at, int own)
{
	size_t i = o->nmembers - 1;

	if (i < NSL_OBJ_TRACK)
		o->at[i] = at;
	if (!own)
		return;
	if (o->nown < NSL_OBJ_TRACK)
		o->own[o->nown++] = i;
	else
		o->own_lost = 1;
}

/*
 * Take member i (not the last) out of the buffer: its bytes run from its
 * key quote to the next member's key quote, the comma between included.
 */
static void
member_remove(struct nsl_obj *o, size_t i)
{
	size_t s = member_at(o, i), e = member_at(o, i + 1), n = e - s;
	size_t past = 0, j, k;
	char *d = o->b->data;

	if (i < NSL_OBJ_TRACK && o->nmembers > NSL_OBJ_TRACK)
		past = member_at(o, NSL_OBJ_TRACK) - n;
	memmove(d + s, d + e, o->b->len - e + 1);
	o->b->len -= n;
	for (j = i; j + 1 < o->nmembers && j + 1 < NSL_OBJ_TRACK; j++)
		o->at[j] = o->at[j + 1] - n;
	if (past > 0)
		o->at[NSL_OBJ_TRACK - 1] = past;
	for (j = k = 0; j < o->nown; j++)
		if (o->own[j] != i)
			o->own[k++] = o->own[j] > i ? o->own[j] - 1 :
			    o->own[j];
	o->nown = k;
	o->nmembers--;
	o->replaced++;
}

void
nsl_obj_key(struct nsl_obj *o, const char *key)
{
	size_t at;
	long dup;

	if (o->nmembers++ > 0)
		nsl_buf_addc(o->b, ',');
	at = o->b->len;
	nsl_json_string(o->b, key, strlen(key));
	if (nsl_buf_failed(o->b))
		return;
	member_added(o, at, 1);
	/* the tool's field replaces one of the same name written before */
	if ((dup = find_member(o, o->b->data + at + 1, o->b->len - at - 2,
	    o->nmembers - 1, 0)) >= 0)
		member_remove(o, (size_t)dup);
	nsl_buf_addc(o->b, ':');
}

void
nsl_obj_copy(struct nsl_obj *o, const struct nsl_rec *rec, size_t i)
{
	const struct nsl_field *f = &rec->fields[i];

	/* the tool wrote its own field of this name: that one stays */
	if ((o->nown > 0 || o->own_lost) &&
	    find_member(o, f->key, f->keylen, o->nmembers, 1) >= 0) {
		o->replaced++;
		return;
	}
	if (o->nmembers++ > 0)
		nsl_buf_addc(o->b, ',');
	member_added(o, o->b->len, 0);
	nsl_buf_addc(o->b, '"');
	nsl_buf_add(o->b, f->key, f->keylen);
	nsl_buf_add(o->b, "\":", 2);
	nsl_buf_add(o->b, f->value, f->vlen);
}

void
nsl_obj_copy_except(struct nsl_obj *o, const struct nsl_rec *rec,
    const char *const *skip, size_t nskip)
{
	long idx[16];
	size_t i, j, nidx = 0;
	int keep;

	/* Look the skipped names up once, not once per member. */
	for (j = 0; j < nskip && nidx < 16; j++)
		idx[nidx++] = nsl_rec_find(rec, skip[j]);
	for (i = 0; i < rec->nfields; i++) {
		keep = 1;
		for (j = 0; j < nidx; j++)
			if (idx[j] == (long)i)
				keep = 0;
		for (j = nidx; j < nskip; j++)
			if (nsl_rec_find(rec, skip[j]) == (long)i)
				keep = 0;
		if (keep)
			nsl_obj_copy(o, rec, i);
	}
}

void
nsl_obj_number(struct nsl_obj *o, double v)
{
	nsl_json_number(o->b, v, o->style);
}

void
nsl_obj_integer(struct nsl_obj *o, long long v)
{
	/* printf's %lld, without printf: a field on every record written
	   (cluster ids) */
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	nsl_buf_add(o->b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
nsl_obj_string(struct nsl_obj *o, const char *s)
{
	nsl_json_string(o->b, s, strlen(s));
}

void
nsl_obj_bool(struct nsl_obj *o, int v)
{
	if (v)
		nsl_buf_add(o->b, "true", 4);
	else
		nsl_buf_add(o->b, "false", 5);
}

void
nsl_obj_null(struct nsl_obj *o)
{
	nsl_buf_add(o->b, "null", 4);
}

void
nsl_obj_number_or_null(struct nsl_obj *o, double v)
{
	if (isfinite(v))
		nsl_obj_number(o, v);
	else
		nsl_obj_null(o);
}

void
nsl_obj_vector(struct nsl_obj *o, const double *x, size_t n)
{
	nsl_json_vector(o->b, x, n, o->style);
}

void
nsl_obj_raw(struct nsl_obj *o, const char *text, size_t n)
{
	nsl_buf_add(o->b, text, n);
}

void
nsl_obj_json(struct nsl_obj *o, const json_t *v)
{
	nsl_json_value(o->b, v, o->style);
}
