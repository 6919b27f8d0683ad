/*
 * convert.c - records between JSONL, .npy, CSV, IDX and safetensors (see
 * nsl/convert.h).
 *
 * Sources (one per input format) fill a struct row and hand it to emit(),
 * which checks what all rows share (vector length, labels), then to the
 * sink of the output format.  A row is either a parsed JSON object (JSONL
 * input, or the JSON a CSV line is turned into) with its vector already
 * decoded, or a bare vector and label (npy and IDX input).
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nsl/batch.h"
#include "nsl/convert.h"
#include "nsl/csv.h"
#include "nsl/idx.h"
#include "nsl/json.h"
#include "nsl/num.h"
#include "nsl/safetensors.h"

#define FLUSH_AT ((size_t)1 << 20)	/* bytes of text held before writing */
#define PROGRESS_EVERY 4096		/* rows between progress calls */

struct row {
	const struct nsl_rec *rec;	/* the members, or NULL */
	long vec;			/* rec's vector member, or -1 */
	long idf;			/* rec's id member, or -1 */
	long labf;			/* rec's label member, or -1 */
	double *x;			/* the vector, decoded */
	size_t n;
	int has_x;
	int x_f32;			/* float32 at heart: print as such */
	int x_fresh;			/* rec's vector member is a stand-in:
					   print x */
	int has_label;			/* a label from outside rec */
	int label_int;
	long long li;
	double ld;
	unsigned long line;		/* text input: its line; else 0 */
	uint64_t index;			/* binary input: row in the file */
};

/* Columns of CSV output, fixed by the first row. */
enum col_kind {
	COL_ID,			/* added row number */
	COL_MEMBER,		/* a member of the records */
	COL_VECTOR,		/* the vector, as PREFIX0..PREFIXn-1 */
	COL_LABEL		/* label from outside the records */
};

struct col {
	enum col_kind kind;
	char *name;
	long member;		/* this row's member index, -1 if none */
};

/* A tensor of safetensors output, held until the end. */
struct acc {
	char *name;
	size_t ncols;
	uint64_t rows;
	double *x;		/* rows * ncols values */
	uint64_t cap;		/* values x has room for */
	int ndim;		/* the input's shape, when it came from one
				   (-1: none) */
	uint64_t shape[8];
};

struct nsl_convert {
	struct nsl_convert_opts o;
	char *prefix;		/* CSV vector column prefix */
	struct nsl_writer *out;
	struct nsl_buf buf;	/* output text not yet written */
	struct nsl_buf tmp;	/* scratch: a CSV line as JSON, strings */
	struct nsl_rec rec;
	/* the record's vector text, made beside the parse (vector_prep),
	   or NULL */
	const struct nsl_batch_prep *prepared;
	double *x;
	size_t xcap;
	uint64_t nrows;
	int nfiles;
	char *cur;		/* display name of the current input */

	int dim_set;		/* vector length fixed by an earlier row */
	size_t dim;
	char dim_where[256];

	/* labels read from o.labels: li (integers) or ld */
	int labels_in;
	char *labels_name;
	uint64_t nlabels;
	int labels_int;
	long long *li;
	double *ld;

	/* npy output, and labels written beside it */
	struct nsl_npy_out npy;
	struct nsl_writer *labels_out;
	struct nsl_npy_out lab;

	/* CSV output */
	struct col *cols;
	size_t ncols;
	int header_done;
	size_t hint;
	char header_where[256];

	/* CSV input */
	struct nsl_csv csv;
	char **hdr;
	long *vk;		/* column -> vector index, or -1 */
	size_t *kcol;		/* vector index -> column */
	size_t nhdr;

	/* safetensors: input, output */
	int per_tensor_dims;	/* vector lengths may change by tensor */
	const struct nsl_safetensors_tensor *st_in;	/* the row's tensor */
	struct acc *acc;
	size_t nacc, last_acc;
	struct nsl_buf name;	/* a record's tensor name */
	struct nsl_buf strec;	/* the text of a safetensors row's record */
};

/* The names, in enum order from NSL_FMT_JSONL, then the aliases. */
const char *const nsl_convert_format_names[] = { "jsonl", "npy", "csv",
	"idx", "safetensors", "json", NULL };
#define NFORMATS 5	/* names before the aliases */

enum nsl_convert_format
nsl_convert_format_parse(const char *name)
{
	int i;

	for (i = 0; nsl_convert_format_names[i] != NULL; i++)
		if (strcmp(name, nsl_convert_format_names[i]) == 0)
			return i < NFORMATS ? (enum nsl_convert_format)(i + 1) :
			    NSL_FMT_JSONL;	/* the one alias: json */
	return NSL_FMT_AUTO;
}

const char *
nsl_convert_format_name(enum nsl_convert_format f)
{
	if (f >= NSL_FMT_JSONL && f <= NSL_FMT_SAFETENSORS)
		return nsl_convert_format_names[f - 1];
	return "auto";
}

const char *
nsl_convert_check(const struct nsl_convert_opts *o)
{
	/* one record cannot hold two of them under one name */
	if (strcmp(o->id_field, o->field) == 0 ||
	    strcmp(o->id_field, o->label_field) == 0 ||
	    strcmp(o->field, o->label_field) == 0)
		return "the id, vector and label fields must have different "
		    "names";
	if (o->to == NSL_FMT_IDX)
		return "output format idx: IDX is an input format only";
	if (o->to == NSL_FMT_AUTO)
		return "no output format";
	if (o->to == NSL_FMT_SAFETENSORS) {
		/* loaders map the file: a compressed one is of no use */
		if (o->out_name != NULL && strlen(o->out_name) > 3 &&
		    strcmp(o->out_name + strlen(o->out_name) - 3, ".gz") == 0)
			return "-o: safetensors output is not gzipped (loaders "
			    "map the file)";
		if (o->labels != NULL)
			return "--labels: safetensors output has no labels";
		if (o->st_dtype != NULL &&
		    (nsl_safetensors_dtype_find(o->st_dtype) == NULL ||
		    nsl_safetensors_dtype_find(o->st_dtype)->kind !=
		    NSL_ST_FLOAT))
			return "--dtype: not a floating-point safetensors dtype";
	}
	if (o->list_tensors && ((o->from != NSL_FMT_SAFETENSORS &&
	    o->from != NSL_FMT_AUTO) || o->to != NSL_FMT_JSONL))
		return "--list-tensors: reads safetensors, writes JSONL";
	if (o->tensor != NULL && o->from != NSL_FMT_SAFETENSORS &&
	    o->from != NSL_FMT_AUTO && o->to != NSL_FMT_SAFETENSORS)
		return "--tensor: neither input nor output is safetensors";
	return NULL;
}

static int
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && strncmp(s + n - m, suffix, m) == 0;
}

enum nsl_convert_format
nsl_convert_format_guess(const char *path)
{
	const char *base;
	size_t n;

	if (path == NULL || strcmp(path, "-") == 0)
		return NSL_FMT_AUTO;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	if (has_suffix(base, n, ".gz"))
		n -= 3;
	if (has_suffix(base, n, ".npy"))
		return NSL_FMT_NPY;
	if (has_suffix(base, n, ".csv"))
		return NSL_FMT_CSV;
	if (has_suffix(base, n, ".safetensors"))
		return NSL_FMT_SAFETENSORS;
	if (has_suffix(base, n, ".jsonl") || has_suffix(base, n, ".json") ||
	    has_suffix(base, n, ".ndjson"))
		return NSL_FMT_JSONL;
	/* MNIST's names: train-images-idx3-ubyte, t10k-labels.idx1-ubyte */
	if (has_suffix(base, n, "-ubyte") || has_suffix(base, n, ".idx") ||
	    strstr(base, "-idx") != NULL || strstr(base, ".idx") != NULL)
		return NSL_FMT_IDX;
	return NSL_FMT_AUTO;
}

/* ---- where an error is ---- */

/*
 * Point err at the current input: its line for text, or a "row N: "
 * prefix for binary rows.  Returns -1.
 */
static int
located(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	char msg[sizeof(err->msg)];

	if (rw->line > 0) {
		nsl_err_at(err, c->cur, rw->line);
		return -1;
	}
	nsl_err_at(err, c->cur, 0);
	memcpy(msg, err->msg, sizeof(msg));
	if (c->st_in != NULL)
		return nsl_err_set(err, err->code, "tensor \"%s\" row %" PRIu64
		    ": %s", c->st_in->name, rw->index, msg);
	return nsl_err_set(err, err->code, "row %" PRIu64 ": %s", rw->index,
	    msg);
}

static void
describe(const struct nsl_convert *c, const struct row *rw, char *buf,
    size_t size)
{
	if (rw->line > 0)
		snprintf(buf, size, "%s:%lu", c->cur, rw->line);
	else if (c->st_in != NULL)
		snprintf(buf, size, "%s tensor \"%s\" row %" PRIu64, c->cur,
		    c->st_in->name, rw->index);
	else
		snprintf(buf, size, "%s row %" PRIu64, c->cur, rw->index);
}

/* ---- writing values ---- */

static const char *
nonfinite_name(double v)
{
	return isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

/* One number; NaN and infinities only with --allow-nonfinite. */
static int
put_number(const struct nsl_convert *c, struct nsl_buf *b, double v,
    enum nsl_num_style st, struct nsl_err *err)
{
	float f;

	if (st == NSL_NUM_FLOAT32 && isfinite(v)) {
		f = (float)v;
		if (!isfinite(f))
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "value %.17g is too large for float32", v);
	}
	if (isfinite(v)) {
		nsl_json_number(b, v, st);
		return 0;
	}
	if (!c->o.allow_nonfinite)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "value %s has no JSON form (see --allow-nonfinite)",
		    nonfinite_name(v));
	nsl_buf_adds(b, nonfinite_name(v));
	return 0;
}

static enum nsl_num_style
vector_style(const struct nsl_convert *c, const struct row *rw)
{
	return c->o.float32 || rw->x_f32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
}

/* Digits of u at p; returns how many. */
static size_t
put_uint(char *p, uint32_t u)
{
	char t[10];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

#define CHUNK 256	/* numbers formatted per buffer growth */

/*
 * x[0..n) separated by commas.  Integers (pixels, counts) take a short
 * cut past the shortest-round-trip formatter: they are most of what IDX
 * and integer arrays hold, and their text is plain digits either way.
 */
static int
put_numbers(const struct nsl_convert *c, struct nsl_buf *b, const double *x,
    size_t n, enum nsl_num_style st, struct nsl_err *err)
{
	double limit = st == NSL_NUM_FLOAT32 ? 0x1p24 : 1e9, v;
	char msg[sizeof(err->msg)];
	size_t i, end;
	char *p;

	for (i = 0; i < n; i = end) {
		end = n - i > CHUNK ? i + CHUNK : n;
		if (nsl_buf_grow(b, (end - i) * (NSL_NUM_BUFSZ + 1)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		p = b->data + b->len;
		for (; i < end; i++) {
			if (i > 0)
				*p++ = ',';
			v = x[i];
			if (v < 0 && v > -limit && v == (double)(int32_t)v) {
				*p++ = '-';
				p += put_uint(p, (uint32_t)-v);
			} else if (v >= 0 && v < limit &&
			    v == (double)(uint32_t)v && !(v == 0 && signbit(v)))
				p += put_uint(p, (uint32_t)v);
			else if (st == NSL_NUM_DOUBLE && isfinite(v))
				p += nsl_num_format(p, v);
			else {
				/* float32, NaN, infinities: the careful way */
				b->len = (size_t)(p - b->data);
				if (put_number(c, b, v, st, err) != 0) {
					memcpy(msg, err->msg, sizeof(msg));
					return nsl_err_set(err, err->code,
					    "field \"%s\": %s", c->o.field, msg);
				}
				p = b->data + b->len;
			}
		}
		b->len = (size_t)(p - b->data);
		b->data[b->len] = '\0';
	}
	return 0;
}

static int
put_vector(struct nsl_convert *c, struct nsl_buf *b, const struct row *rw,
    struct nsl_err *err)
{
	nsl_buf_addc(b, '[');
	if (put_numbers(c, b, rw->x, rw->n, vector_style(c, rw), err) != 0)
		return -1;
	nsl_buf_addc(b, ']');
	return 0;
}

static int
put_label(struct nsl_convert *c, struct nsl_buf *b, const struct row *rw,
    struct nsl_err *err)
{
	if (rw->label_int) {
		nsl_buf_addf(b, "%lld", rw->li);
		return 0;
	}
	return put_number(c, b, rw->ld, NSL_NUM_DOUBLE, err);
}

/* Does the vector need printing again, or can its bytes be copied? */
static int
rewrite_vector(const struct nsl_convert *c, const struct row *rw)
{
	return rw->rec == NULL || rw->vec < 0 || c->o.scaled ||
	    c->o.float32 || rw->x_f32 || rw->x_fresh;
}

static int
flush(struct nsl_convert *c, struct nsl_err *err)
{
	if (nsl_buf_failed(&c->buf))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (c->buf.len == 0)
		return 0;
	if (nsl_writer_write(c->out, c->buf.data, c->buf.len, err) != 0)
		return -1;
	nsl_buf_reset(&c->buf);
	return 0;
}

/* ---- JSONL output ---- */

static int
sink_jsonl(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	struct nsl_obj ob;
	int rewrite = rewrite_vector(c, rw);
	size_t i;

	nsl_obj_begin(&ob, &c->buf);
	if (rw->idf < 0) {
		nsl_obj_key(&ob, c->o.id_field);
		nsl_obj_integer(&ob, (long long)c->nrows);
	}
	for (i = 0; rw->rec != NULL && i < rw->rec->nfields; i++) {
		if ((long)i == rw->vec && rewrite) {
			const struct nsl_batch_prep *P = c->prepared;

			nsl_obj_key(&ob, c->o.field);
			if (P != NULL && P->rc != 0) {
				*err = P->err;
				return -1;
			}
			if (P != NULL && P->out.len > 0)
				nsl_buf_add(&c->buf, P->out.data, P->out.len);
			else if (put_vector(c, &c->buf, rw, err) != 0)
				return -1;
		} else if ((long)i == rw->labf && rw->has_label) {
			nsl_obj_key(&ob, c->o.label_field);
			if (put_label(c, &c->buf, rw, err) != 0)
				return -1;
		} else
			nsl_obj_copy(&ob, rw->rec, i);
	}
	if (rw->rec == NULL && rw->has_x) {
		nsl_obj_key(&ob, c->o.field);
		if (put_vector(c, &c->buf, rw, err) != 0)
			return -1;
	}
	if (rw->has_label && rw->labf < 0) {
		nsl_obj_key(&ob, c->o.label_field);
		if (put_label(c, &c->buf, rw, err) != 0)
			return -1;
	}
	nsl_obj_end(&ob);
	return c->buf.len >= FLUSH_AT ? flush(c, err) : 0;
}

/* ---- CSV output ---- */

/* A member's name, unescaped, as a new string (NULL: out of memory). */
static char *
member_name(const struct nsl_rec *rec, size_t i)
{
	const struct nsl_field *f = &rec->fields[i];
	json_error_t jerr;
	json_t *j;
	char *s;

	if (!f->key_escaped)
		return strndup(f->key, f->keylen);
	/* the key text sits between quotes in the line */
	j = json_loadb(f->key - 1, f->keylen + 2, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		return NULL;
	/* a name with an escaped NUL ends there: C strings cannot hold it */
	s = strdup(json_string_value(j));
	json_decref(j);
	return s;
}

static int
member_is(const struct nsl_rec *rec, size_t i, const char *name)
{
	const struct nsl_field *f = &rec->fields[i];
	char *s;
	int eq;

	if (!f->key_escaped)
		return f->keylen == strlen(name) &&
		    memcmp(f->key, name, f->keylen) == 0;
	s = member_name(rec, i);
	eq = s != NULL && strcmp(s, name) == 0;
	free(s);
	return eq;
}

static int
add_col(struct nsl_convert *c, enum col_kind kind, char *name)
{
	struct col *p;

	if (name == NULL)
		return -1;
	if ((p = realloc(c->cols, (c->ncols + 1) * sizeof(*p))) == NULL) {
		free(name);
		return -1;
	}
	c->cols = p;
	c->cols[c->ncols].kind = kind;
	c->cols[c->ncols].name = name;
	c->cols[c->ncols].member = -1;
	c->ncols++;
	return 0;
}

/* The columns, from the first row, and the header line. */
static int
csv_header(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	char num[32];
	size_t i, k;
	int rc = 0;

	if (rw->idf < 0)
		rc |= add_col(c, COL_ID, strdup(c->o.id_field));
	for (i = 0; rw->rec != NULL && i < rw->rec->nfields; i++) {
		if ((long)i == rw->vec)
			rc |= add_col(c, COL_VECTOR, strdup(c->o.field));
		else if ((long)i == rw->labf && rw->has_label)
			rc |= add_col(c, COL_LABEL,
			    strdup(c->o.label_field));
		else
			rc |= add_col(c, COL_MEMBER,
			    member_name(rw->rec, i));
	}
	if (rw->rec == NULL && rw->has_x)
		rc |= add_col(c, COL_VECTOR, strdup(c->o.field));
	if (rw->has_label && rw->labf < 0)
		rc |= add_col(c, COL_LABEL, strdup(c->o.label_field));
	if (rc != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < c->ncols; i++) {
		if (i > 0)
			nsl_buf_addc(&c->buf, ',');
		if (c->cols[i].kind != COL_VECTOR) {
			nsl_csv_put(&c->buf, c->cols[i].name,
			    strlen(c->cols[i].name), 0);
			continue;
		}
		for (k = 0; k < rw->n; k++) {
			if (k > 0)
				nsl_buf_addc(&c->buf, ',');
			nsl_buf_reset(&c->tmp);
			nsl_buf_adds(&c->tmp, c->prefix);
			snprintf(num, sizeof(num), "%zu", k);
			nsl_buf_adds(&c->tmp, num);
			nsl_csv_put(&c->buf, c->tmp.data, c->tmp.len, 0);
		}
	}
	nsl_buf_addc(&c->buf, '\n');
	describe(c, rw, c->header_where, sizeof(c->header_where));
	c->header_done = 1;
	return 0;
}

/* Match this row's members to the columns: cols[].member. */
static int
csv_match(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	size_t i, j, t;
	char *name;

	for (j = 0; j < c->ncols; j++)
		c->cols[j].member = -1;
	for (i = 0; rw->rec != NULL && i < rw->rec->nfields; i++) {
		if ((long)i == rw->vec || ((long)i == rw->labf &&
		    rw->has_label))
			continue;
		/* rows usually repeat the first one's order: look there
		 * first */
		for (t = 0; t < c->ncols; t++) {
			j = (c->hint + t) % c->ncols;
			if (c->cols[j].kind == COL_MEMBER &&
			    c->cols[j].member < 0 &&
			    member_is(rw->rec, i, c->cols[j].name))
				break;
		}
		if (t == c->ncols) {
			name = member_name(rw->rec, i);
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" is not "
			    "a CSV column (the columns are those of %s)",
			    name != NULL ? name : "?", c->header_where);
			free(name);
			return -1;
		}
		c->cols[j].member = (long)i;
		c->hint = j + 1;
	}
	c->hint = 0;
	for (j = 0; j < c->ncols; j++) {
		if (c->cols[j].kind == COL_MEMBER && c->cols[j].member < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" "
			    "missing (a CSV column since %s)", c->cols[j].name,
			    c->header_where);
		if ((c->cols[j].kind == COL_VECTOR && !rw->has_x) ||
		    (c->cols[j].kind == COL_LABEL && !rw->has_label))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" "
			    "missing (a CSV column since %s)", c->cols[j].name,
			    c->header_where);
	}
	if (rw->has_x && (rw->rec == NULL || rw->vec >= 0)) {
		for (j = 0; j < c->ncols; j++)
			if (c->cols[j].kind == COL_VECTOR)
				break;
		if (j == c->ncols)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" "
			    "is not a CSV column (the columns are those of %s)",
			    c->o.field, c->header_where);
	}
	return 0;
}

/* A member's value as a CSV cell. */
static int
csv_member(struct nsl_convert *c, const struct nsl_rec *rec, size_t i,
    const char *name, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];

	switch (f->type) {
	case NSL_JSON_NUMBER:
	case NSL_JSON_TRUE:
	case NSL_JSON_FALSE:
		nsl_buf_add(&c->buf, f->value, f->vlen);
		return 0;
	case NSL_JSON_NULL:
		return 0;
	case NSL_JSON_STRING:
		if (nsl_rec_string(rec, i, &c->tmp, err) != 0)
			return -1;
		/* always quoted: a quoted cell reads back as a string */
		nsl_csv_put(&c->buf, c->tmp.data, c->tmp.len, 1);
		return 0;
	default:
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %s "
		    "cannot go into a CSV cell", name,
		    f->type == NSL_JSON_ARRAY ? "an array" : "an object");
	}
}

/* The vector's cells: its own number texts when they need no change. */
static int
csv_vector(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	enum nsl_num_style st = vector_style(c, rw);
	const char *p, *end, *tok;
	size_t i;

	if (rewrite_vector(c, rw))
		return put_numbers(c, &c->buf, rw->x, rw->n, st, err);
	/* a validated number array: split at commas, drop whitespace */
	p = rw->rec->fields[rw->vec].value + 1;
	end = rw->rec->fields[rw->vec].value + rw->rec->fields[rw->vec].vlen -
	    1;
	for (i = 0; p < end; i++) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t' &&
		    *p != '\n' && *p != '\r')
			p++;
		if (i > 0)
			nsl_buf_addc(&c->buf, ',');
		nsl_buf_add(&c->buf, tok, (size_t)(p - tok));
		while (p < end && *p != ',')
			p++;
		if (p < end)
			p++;
	}
	return 0;
}

static int
sink_csv(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	struct col *col;
	size_t j;

	if (!c->header_done && csv_header(c, rw, err) != 0)
		return -1;
	if (csv_match(c, rw, err) != 0)
		return -1;
	for (j = 0; j < c->ncols; j++) {
		col = &c->cols[j];
		if (j > 0)
			nsl_buf_addc(&c->buf, ',');
		switch (col->kind) {
		case COL_ID:
			nsl_buf_addf(&c->buf, "%" PRIu64, c->nrows);
			break;
		case COL_MEMBER:
			if (csv_member(c, rw->rec, (size_t)col->member,
			    col->name, err) != 0)
				return -1;
			break;
		case COL_VECTOR:
			if (csv_vector(c, rw, err) != 0)
				return -1;
			break;
		case COL_LABEL:
			if (put_label(c, &c->buf, rw, err) != 0)
				return -1;
			break;
		}
	}
	nsl_buf_addc(&c->buf, '\n');
	return c->buf.len >= FLUSH_AT ? flush(c, err) : 0;
}

/* ---- npy output ---- */

/* The row's label as an exact integer, for the int64 labels file. */
static int
label_integer(struct nsl_convert *c, const struct row *rw, long long *out,
    struct nsl_err *err)
{
	const struct nsl_field *f;
	char text[32];
	char *end;
	double d;

	if (rw->has_label) {
		if (rw->label_int) {
			*out = rw->li;
			return 0;
		}
		d = rw->ld;
		goto check;
	}
	if (rw->labf < 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" missing "
		    "(--labels writes it)", c->o.label_field);
	f = &rw->rec->fields[rw->labf];
	if (f->type == NSL_JSON_NUMBER && f->vlen < sizeof(text) &&
	    strcspn(f->value, ".eE") >= f->vlen) {
		/* an integer literal: exact, even past 2^53 */
		memcpy(text, f->value, f->vlen);
		text[f->vlen] = '\0';
		errno = 0;
		*out = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0')
			return 0;
	}
	if (nsl_rec_number(rw->rec, (size_t)rw->labf, &d, err) != 0)
		return -1;
check:
	if (d != trunc(d) || !(d >= -0x1p63 && d < 0x1p63))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %.17g "
		    "is not an integer label", c->o.label_field, d);
	*out = (long long)d;
	return 0;
}

static int
sink_npy(struct nsl_convert *c, const struct row *rw, struct nsl_err *err)
{
	long long v = 0;

	if (!rw->has_x)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" missing "
		    "(a 1-D array holds labels, not vectors)", c->o.field);
	if (nsl_npy_out_row(&c->npy, rw->x, rw->n, err) != 0)
		return -1;
	if (c->labels_out == NULL)
		return 0;
	if (label_integer(c, rw, &v, err) != 0)
		return -1;
	return nsl_npy_out_int(&c->lab, v, err);
}

/* ---- safetensors output ---- */

/* The tensor named name, added when new; NULL: out of memory. */
static struct acc *
acc_find(struct nsl_convert *c, const char *name)
{
	struct acc *a;
	size_t i;

	/* rows of one tensor come one after another: look there first */
	if (c->nacc > 0 && strcmp(c->acc[c->last_acc].name, name) == 0)
		return &c->acc[c->last_acc];
	for (i = 0; i < c->nacc; i++)
		if (strcmp(c->acc[i].name, name) == 0)
			return &c->acc[c->last_acc = i];
	if ((a = realloc(c->acc, (c->nacc + 1) * sizeof(*a))) == NULL)
		return NULL;
	c->acc = a;
	a = &c->acc[c->nacc];
	memset(a, 0, sizeof(*a));
	a->ndim = -1;
	if ((a->name = strdup(name)) == NULL)
		return NULL;
	c->last_acc = c->nacc++;
	return a;
}

/* The row's tensor name into c->name: its input's, "tensor", or ours. */
static int
row_tensor_name(struct nsl_convert *c, const struct row *rw,
    struct nsl_err *err)
{
	long i;

	nsl_buf_reset(&c->name);
	if (c->st_in != NULL)
		nsl_buf_adds(&c->name, c->st_in->name);
	else if (rw->rec != NULL &&
	    (i = nsl_rec_find(rw->rec, "tensor")) >= 0) {
		if (nsl_rec_string(rw->rec, (size_t)i, &c->name, err) != 0)
			return -1;
		if (strlen(c->name.data) != c->name.len)
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"tensor\": a name with a NUL character");
	} else
		nsl_buf_adds(&c->name, c->o.tensor != NULL ? c->o.tensor :
		    c->o.field);
	if (nsl_buf_failed(&c->name))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

static int
sink_safetensors(struct nsl_convert *c, const struct row *rw,
    struct nsl_err *err)
{
	struct acc *a;
	double row, *p;
	uint64_t cap;
	long i;

	if (!rw->has_x)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\" missing "
		    "(a 1-D array holds labels, not vectors)", c->o.field);
	if (row_tensor_name(c, rw, err) != 0)
		return -1;
	if ((a = acc_find(c, c->name.data)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	/* a row number says where the row goes: it must be the next one */
	if (c->st_in == NULL && rw->rec != NULL &&
	    (i = nsl_rec_find(rw->rec, "row")) >= 0) {
		if (nsl_rec_number(rw->rec, (size_t)i, &row, err) != 0)
			return -1;
		if (row != (double)a->rows)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"row\": "
			    "%.17g, but row %" PRIu64 " of tensor \"%s\" comes "
			    "next (rows of a tensor go in order)", row, a->rows,
			    a->name);
	}
	if (a->rows == 0) {
		a->ncols = rw->n;
		if (c->st_in != NULL && c->st_in->ndim <= 8) {
			a->ndim = c->st_in->ndim;
			memcpy(a->shape, c->st_in->shape,
			    (size_t)a->ndim * sizeof(*a->shape));
		}
	} else if (rw->n != a->ncols)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "value%s, expected %zu as in row 0 of tensor \"%s\"",
		    c->o.field, rw->n, rw->n == 1 ? "" : "s", a->ncols,
		    a->name);
	if ((a->rows + 1) * a->ncols > a->cap) {
		cap = a->cap < 1024 ? 1024 : a->cap;
		while (cap < (a->rows + 1) * a->ncols)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof(double) ||
		    (p = realloc(a->x, (size_t)cap * sizeof(double))) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		a->x = p;
		a->cap = cap;
	}
	if (rw->n > 0)
		memcpy(a->x + a->rows * a->ncols, rw->x, rw->n * sizeof(double));
	a->rows++;
	return 0;
}

/* The tensors held, in the reference writer's order. */
static int
finish_safetensors(struct nsl_convert *c, struct nsl_err *err)
{
	const struct nsl_safetensors_dtype *dt = nsl_safetensors_dtype_find(
	    c->o.st_dtype != NULL ? c->o.st_dtype : "F32");
	struct nsl_safetensors_writer *w;
	const uint64_t *shape;
	uint64_t two[2], prod;
	struct acc *a;
	size_t i;
	long k;
	int nd, rc = -1;

	if ((w = nsl_safetensors_writer_new(0)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < c->nacc; i++) {
		a = &c->acc[i];
		/* the input's shape when all its rows came, else a matrix */
		for (prod = 1, k = 0; k + 1 < a->ndim; k++)
			prod *= a->shape[k];
		if (a->ndim == 0 || (a->ndim > 0 && prod == a->rows &&
		    a->shape[a->ndim - 1] == a->ncols)) {
			nd = a->ndim;
			shape = a->shape;
		} else {
			two[0] = a->rows;
			two[1] = a->ncols;
			nd = 2;
			shape = two;
		}
		if (nsl_safetensors_writer_add(w, a->name, dt, nd, shape,
		    err) < 0)
			goto out;
	}
	if (nsl_safetensors_writer_begin(w, c->out, err) != 0)
		goto out;
	while ((k = nsl_safetensors_writer_next(w)) >= 0)
		if (nsl_safetensors_writer_rows(w, c->acc[k].x,
		    c->acc[k].rows, err) != 0)
			goto out;
	rc = nsl_safetensors_writer_finish(w, err);
out:
	nsl_safetensors_writer_free(w);
	return rc;
}

/* ---- every row ---- */

static int
emit(struct nsl_convert *c, struct row *rw, struct nsl_err *err)
{
	char where[256];
	size_t i;
	int rc;

	if (rw->has_x) {
		if (!c->dim_set || c->per_tensor_dims) {
			c->dim = rw->n;
			c->dim_set = 1;
			describe(c, rw, c->dim_where, sizeof(c->dim_where));
		} else if (rw->n != c->dim) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
			    "value%s, expected %zu as in %s", c->o.field, rw->n,
			    rw->n == 1 ? "" : "s", c->dim, c->dim_where);
			return located(c, rw, err);
		}
		if (c->o.scaled)
			for (i = 0; i < rw->n; i++) {
				if (isfinite(rw->x[i]) &&
				    !isfinite(rw->x[i] * c->o.scale)) {
					nsl_err_set(err, NSL_EX_DATAERR, "field "
					    "\"%s\": element %zu: %.17g times "
					    "--scale %.17g is beyond the double "
					    "range", c->o.field, i, rw->x[i],
					    c->o.scale);
					return located(c, rw, err);
				}
				rw->x[i] *= c->o.scale;
			}
	}
	if (c->labels_in) {
		if (rw->has_label) {
			nsl_err_set(err, NSL_EX_DATAERR, "the input has labels "
			    "of its own: give it alone or as --labels");
			return located(c, rw, err);
		}
		if (c->nrows >= c->nlabels) {
			describe(c, rw, where, sizeof(where));
			nsl_err_at(err, c->labels_name, 0);
			return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64
			    " labels, fewer than the rows of the input (%s is "
			    "row %" PRIu64 ")", c->nlabels, where, c->nrows);
		}
		rw->has_label = 1;
		rw->label_int = c->labels_int;
		if (c->labels_int)
			rw->li = c->li[c->nrows];
		else
			rw->ld = c->ld[c->nrows];
	}
	/* a sink's data errors are about this row; I/O errors name a file */
	nsl_err_at(err, NULL, 0);
	switch (c->o.to) {
	case NSL_FMT_CSV:
		rc = sink_csv(c, rw, err);
		break;
	case NSL_FMT_NPY:
		rc = sink_npy(c, rw, err);
		break;
	case NSL_FMT_SAFETENSORS:
		rc = sink_safetensors(c, rw, err);
		break;
	default:
		rc = sink_jsonl(c, rw, err);
		break;
	}
	if (rc != 0) {
		if (err->file[0] == '\0' && c->o.to == NSL_FMT_NPY &&
		    rw->has_x && strncmp(err->msg, "element ", 8) == 0) {
			memcpy(where, err->msg, sizeof(where) - 1);
			where[sizeof(where) - 1] = '\0';
			nsl_err_set(err, err->code, "field \"%s\": %s",
			    c->o.field, where);
		}
		return err->file[0] != '\0' ? -1 : located(c, rw, err);
	}
	c->nrows++;
	if (c->o.progress != NULL && c->nrows % PROGRESS_EVERY == 0)
		c->o.progress(c->o.progress_arg, c->nrows);
	return 0;
}

/* ---- JSONL input ---- */

/* One JSONL record (in c->rec, from line lineno) to the output. */
static int
jsonl_row(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct nsl_convert *c = arg;
	int need_label = c->labels_in || c->o.to != NSL_FMT_JSONL;
	struct row rw;

	(void)hash;
	memset(&rw, 0, sizeof(rw));
	rw.rec = rec;
	rw.line = lineno;
	/* a CSV table may do without a vector (then all rows must) */
	rw.vec = nsl_rec_find(rec, c->o.field);
	if (rw.vec < 0 && c->o.to != NSL_FMT_CSV) {
		nsl_rec_require(rec, c->o.field, err);
		return located(c, &rw, err);
	}
	if (rw.vec >= 0 && nsl_rec_vector(rec, (size_t)rw.vec, &c->x, &rw.n,
	    &c->xcap, err) != 0)
		return located(c, &rw, err);
	rw.x = c->x;
	rw.has_x = rw.vec >= 0;
	rw.idf = nsl_rec_find(rec, c->o.id_field);
	rw.labf = need_label ? nsl_rec_find(rec, c->o.label_field) : -1;
	return emit(c, &rw, err);
}

/*
 * A record's vector printed again (--float32), beside the parse: the
 * text put_vector() would write, or nothing when the vector is not there
 * to read (jsonl_row then says why, in order), or put_numbers()'s error.
 */
static int
vector_prep(void *arg, const struct nsl_rec *rec, struct nsl_buf *out,
    struct nsl_err *err)
{
	const struct nsl_convert *c = arg;
	long f = nsl_rec_find(rec, c->o.field);
	const double *v;
	double *x = NULL;
	size_t n = 0, cap = 0;
	struct nsl_err quiet;
	int rc = 0;

	if (f < 0 || nsl_rec_vector_view(rec, (size_t)f, &v, &n, &x, &cap,
	    &quiet) != 0) {
		free(x);
		return 0;
	}
	nsl_buf_addc(out, '[');
	if (put_numbers(c, out, v, n, NSL_NUM_FLOAT32, err) != 0)
		rc = -1;
	nsl_buf_addc(out, ']');
	free(x);
	if (rc == 0 && nsl_buf_failed(out))
		nsl_buf_reset(out);	/* out of memory: put_vector tries again */
	return rc;
}

/*
 * The records of r, parsed on every thread (nsl/batch.h), in order.
 * Printing every number again (--float32 to JSONL) is most of that run
 * (34 ns a number, against 10 to read one): it is done beside the parse,
 * on every thread, and the lines put together in order.
 */
static int
source_jsonl(struct nsl_convert *c, struct nsl_reader *r, struct nsl_err *err)
{
	struct nsl_lines L = { r, NULL };
	int rc;

	if (!(c->o.float32 && !c->o.scaled && c->o.to == NSL_FMT_JSONL))
		return nsl_batch_into(&L, &c->rec, NSL_BATCH_FN_PLACES,
		    jsonl_row, c, err);
	rc = nsl_batch_into_prep(&L, &c->rec, NSL_BATCH_FN_PLACES,
	    vector_prep, &c->prepared, jsonl_row, c, err);
	c->prepared = NULL;
	return rc;
}

/* ---- safetensors input ---- */

static int grow_x(struct nsl_convert *, uint64_t, struct nsl_err *);

/* A tensor without values goes to a safetensors output as it is. */
static int
keep_empty(struct nsl_convert *c, const struct nsl_safetensors_tensor *t,
    struct nsl_err *err)
{
	struct acc *a;

	if ((a = acc_find(c, t->name)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (a->rows > 0 || t->ndim > 8 || t->ndim == 0)
		return 0;	/* a tensor of that name has rows: keep them */
	a->ndim = t->ndim;
	a->ncols = (size_t)t->ncols;
	a->rows = t->rows;
	memcpy(a->shape, t->shape, (size_t)t->ndim * sizeof(*a->shape));
	return 0;
}

/* One record a row of each tensor (or of o.tensor), or a listing. */
static int
source_safetensors(struct nsl_convert *c, const char *path,
    struct nsl_err *err)
{
	const struct nsl_safetensors_tensor *t;
	struct nsl_safetensors *st;
	struct nsl_obj ob;
	struct row rw;
	uint64_t r;
	size_t i, j, n;
	int rc = -1;

	if ((st = nsl_safetensors_open(path, err)) == NULL)
		return -1;
	free(c->cur);
	if ((c->cur = strdup(nsl_safetensors_name(st))) == NULL) {
		nsl_safetensors_close(st);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	c->nfiles++;
	c->per_tensor_dims = c->o.to == NSL_FMT_JSONL ||
	    c->o.to == NSL_FMT_SAFETENSORS;
	n = c->o.tensor != NULL ? 1 : nsl_safetensors_count(st);
	for (i = 0; i < n; i++) {
		t = c->o.tensor != NULL ? nsl_safetensors_find(st, c->o.tensor,
		    err) : nsl_safetensors_tensor(st, i);
		if (t == NULL)
			goto out;
		if (c->o.list_tensors) {
			nsl_obj_begin(&ob, &c->buf);
			nsl_safetensors_info_write(&ob, t->name, t->dtype,
			    t->ndim, t->shape);
			nsl_obj_end(&ob);
			c->nrows++;
			continue;
		}
		if (t->nelem == 0) {	/* no values: no rows to give */
			if (c->o.to == NSL_FMT_SAFETENSORS &&
			    keep_empty(c, t, err) != 0)
				goto out;
			continue;
		}
		if (grow_x(c, t->ncols, err) != 0)
			goto out;
		c->st_in = t;
		for (r = 0; r < t->rows; r++) {
			memset(&rw, 0, sizeof(rw));
			rw.index = r;
			if (nsl_safetensors_read_rows(st, t, r, 1, c->x,
			    err) != 0)
				goto out;
			for (j = 0; j < t->ncols && !c->o.allow_nonfinite; j++)
				if (!isfinite(c->x[j])) {
					nsl_err_set(err, NSL_EX_DATAERR,
					    "element %zu: %s (see "
					    "--allow-nonfinite)", j,
					    nonfinite_name(c->x[j]));
					located(c, &rw, err);
					goto out;
				}
			/* the members but the vector, which emit prints */
			nsl_buf_reset(&c->strec);
			nsl_obj_begin(&ob, &c->strec);
			nsl_safetensors_row_write(&ob, t->name, r, c->o.field,
			    NULL, 0);
			nsl_obj_end(&ob);
			if (nsl_buf_failed(&c->strec)) {
				nsl_err_set(err, NSL_EX_SOFTWARE,
				    "out of memory");
				goto out;
			}
			if (nsl_rec_parse(&c->rec, c->strec.data,
			    c->strec.len - 1, err) != 0)
				goto out;
			rw.rec = &c->rec;
			rw.vec = nsl_rec_find(&c->rec, c->o.field);
			rw.idf = nsl_rec_find(&c->rec, c->o.id_field);
			rw.labf = nsl_rec_find(&c->rec, c->o.label_field);
			rw.x = c->x;
			rw.n = (size_t)t->ncols;
			rw.has_x = 1;
			rw.x_fresh = 1;
			rw.x_f32 = t->dtype->kind == NSL_ST_FLOAT &&
			    t->dtype->size <= 4;
			if (emit(c, &rw, err) != 0)
				goto out;
		}
		c->st_in = NULL;
	}
	rc = 0;
out:
	c->st_in = NULL;
	nsl_safetensors_close(st);
	return rc;
}

/* ---- npy and IDX input ---- */

static int
grow_x(struct nsl_convert *c, uint64_t n, struct nsl_err *err)
{
	double *p;

	if (n == 0)
		n = 1;
	if (n <= c->xcap)
		return 0;
	if (n > SIZE_MAX / sizeof(double) ||
	    (p = realloc(c->x, (size_t)n * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE,
		    "out of memory for a row of %" PRIu64 " values", n);
	c->x = p;
	c->xcap = (size_t)n;
	return 0;
}

/* Rows known before reading: check them against the labels at once. */
static int
check_label_count(struct nsl_convert *c, uint64_t rows, struct nsl_err *err)
{
	if (!c->labels_in || c->nrows + rows <= c->nlabels)
		return 0;
	nsl_err_at(err, c->labels_name, 0);
	if (c->nrows == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64 " labels, "
		    "but %s has %" PRIu64 " rows", c->nlabels, c->cur, rows);
	return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64 " labels, but the "
	    "inputs up to %s have %" PRIu64 " rows", c->nlabels, c->cur,
	    c->nrows + rows);
}

static int
source_npy(struct nsl_convert *c, struct nsl_reader *r, struct nsl_err *err)
{
	struct nsl_npy a;
	struct row rw;
	long long iv;
	int rc = -1;

	if (nsl_npy_open(&a, r, err) != 0 ||
	    check_label_count(c, a.rows, err) != 0 ||
	    grow_x(c, a.ncols, err) != 0)
		goto out;
	memset(&rw, 0, sizeof(rw));
	rw.vec = rw.idf = rw.labf = -1;
	rw.x = c->x;
	for (;;) {
		rw.index = a.row;
		/* exact integers only for labels, one value a row */
		rc = nsl_npy_next(&a, r, c->x, a.ncols == 1 ? &iv : NULL, err);
		if (rc <= 0)
			break;
		rw.has_label = 0;	/* emit() may have set it last time */
		if (a.ndim == 1) {
			rw.has_label = 1;
			rw.label_int = a.kind != 'f';
			rw.li = iv;
			rw.ld = c->x[0];
		} else {
			rw.has_x = 1;
			rw.n = (size_t)a.ncols;
			rw.x_f32 = a.kind == 'f' && a.itemsize == 4;
		}
		if ((rc = emit(c, &rw, err)) != 0)
			break;
	}
out:
	nsl_npy_release(&a);
	return rc;
}

static int
source_idx(struct nsl_convert *c, struct nsl_reader *r, struct nsl_err *err)
{
	struct nsl_idx *x;
	struct row rw;
	int rc = -1;

	/* struct nsl_idx has room for 255 dimensions: keep it off the stack */
	if ((x = malloc(sizeof(*x))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_idx_open(x, r, err) != 0 ||
	    check_label_count(c, x->rows, err) != 0 ||
	    grow_x(c, x->ncols, err) != 0)
		goto out;
	memset(&rw, 0, sizeof(rw));
	rw.vec = rw.idf = rw.labf = -1;
	rw.x = c->x;
	for (;;) {
		rw.index = x->row;
		rc = nsl_idx_next(x, r, c->x, err);
		if (rc <= 0)
			break;
		rw.has_label = 0;
		if (x->ndim == 1) {
			rw.has_label = 1;
			rw.label_int = nsl_idx_integral(x);
			rw.li = (long long)c->x[0];
			rw.ld = c->x[0];
		} else {
			rw.has_x = 1;
			rw.n = (size_t)x->ncols;
			rw.x_f32 = x->type == NSL_IDX_F32;
		}
		if ((rc = emit(c, &rw, err)) != 0)
			break;
	}
out:
	nsl_idx_release(x);
	free(x);
	return rc;
}

/* ---- CSV input ---- */

static void
free_header(struct nsl_convert *c)
{
	size_t i;

	for (i = 0; i < c->nhdr; i++)
		free(c->hdr[i]);
	free(c->hdr);
	free(c->vk);
	free(c->kcol);
	c->hdr = NULL;
	c->vk = NULL;
	c->kcol = NULL;
	c->nhdr = 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PREFIX followed by a canonical decimal index: the index, else -1. */
static long
vector_index(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;
	long k = 0;

	if (strncmp(name, prefix, n) != 0)
		return -1;
	p = name + n;
	if (*p == '\0' || (*p == '0' && p[1] != '\0'))
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || k > 100000000)
			return -1;
		k = k * 10 + (*p - '0');
	}
	return k;
}

/* Take the header line: column names, and which columns are the vector. */
static int
csv_read_header(struct nsl_convert *c, unsigned long line,
    struct nsl_err *err)
{
	size_t i, n = c->csv.nfields, dim = 0, have;
	char **sorted = NULL;
	long k, maxk = -1;

	free_header(c);
	nsl_err_at(err, c->cur, line);
	if ((c->hdr = calloc(n, sizeof(*c->hdr))) == NULL ||
	    (c->vk = calloc(n, sizeof(*c->vk))) == NULL ||
	    (sorted = calloc(n, sizeof(*sorted))) == NULL)
		goto nomem;
	c->nhdr = n;
	for (i = 0; i < n; i++) {
		if (strlen(nsl_csv_cell(&c->csv, i)) != nsl_csv_len(&c->csv, i) ||
		    !nsl_json_utf8_valid(nsl_csv_cell(&c->csv, i),
		    nsl_csv_len(&c->csv, i))) {
			free(sorted);
			return nsl_err_set(err, NSL_EX_DATAERR, "header: column "
			    "%zu: name is not valid UTF-8 text", i + 1);
		}
		if ((c->hdr[i] = strdup(nsl_csv_cell(&c->csv, i))) == NULL)
			goto nomem;
		sorted[i] = c->hdr[i];
		c->vk[i] = k = vector_index(c->hdr[i], c->prefix);
		if (k >= 0) {
			dim++;
			if (k > maxk)
				maxk = k;
		}
	}
	qsort(sorted, n, sizeof(*sorted), cmp_names);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			nsl_err_set(err, NSL_EX_DATAERR, "header: column \"%s\" "
			    "appears twice", sorted[i]);
			free(sorted);
			return -1;
		}
	free(sorted);
	if (dim == 0)
		return 0;
	if ((c->kcol = calloc(dim, sizeof(*c->kcol))) == NULL)
		goto nomem;
	/* indexes are distinct (names are): all in 0..dim-1 means none lack */
	have = 0;
	for (i = 0; i < n; i++) {
		if (c->vk[i] < 0)
			continue;
		if ((size_t)c->vk[i] < dim) {
			c->kcol[c->vk[i]] = i;
			have++;
		}
	}
	for (i = 0; i < n; i++)
		if (strcmp(c->hdr[i], c->o.field) == 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "header: column "
			    "\"%s\" and vector columns %s0... both give field "
			    "\"%s\"", c->hdr[i], c->prefix, c->o.field);
	if (have != dim || (size_t)maxk != dim - 1) {
		for (k = 0; k <= maxk; k++) {
			for (i = 0; i < n; i++)
				if (c->vk[i] == k)
					break;
			if (i == n)
				break;
		}
		return nsl_err_set(err, NSL_EX_DATAERR, "header: vector "
		    "columns %s0..%s%ld lack %s%ld", c->prefix, c->prefix,
		    maxk, c->prefix, k);
	}
	return 0;
nomem:
	free(sorted);
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

static int
nonfinite_token(const char *s)
{
	return strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 ||
	    strcmp(s, "-Infinity") == 0;
}

/* One CSV record as a JSON object in c->tmp, its vector in c->x. */
static int
csv_to_json(struct nsl_convert *c, size_t dim, struct nsl_err *err)
{
	const char *s;
	size_t j, k, n, col;
	int vector_done = 0;

	nsl_buf_reset(&c->tmp);
	nsl_buf_addc(&c->tmp, '{');
	for (j = 0; j < c->nhdr; j++) {
		if (c->vk[j] >= 0 && vector_done)
			continue;
		if (c->tmp.len > 1)
			nsl_buf_addc(&c->tmp, ',');
		if (c->vk[j] >= 0) {
			nsl_json_string(&c->tmp, c->o.field,
			    strlen(c->o.field));
			nsl_buf_add(&c->tmp, ":[", 2);
			for (k = 0; k < dim; k++) {
				col = c->kcol[k];
				s = nsl_csv_cell(&c->csv, col);
				n = nsl_csv_len(&c->csv, col);
				if (nsl_csv_is_number(s, n))
					nsl_num_parse(s, s + n, &c->x[k]);
				else if (c->o.allow_nonfinite &&
				    nonfinite_token(s))
					c->x[k] = strtod(s, NULL);
				else
					return nsl_err_set(err, NSL_EX_DATAERR,
					    "column \"%s\": expected a number, "
					    "got \"%.40s\"", c->hdr[col], s);
				if (!isfinite(c->x[k]) && !c->o.allow_nonfinite)
					return nsl_err_set(err, NSL_EX_DATAERR,
					    "column \"%s\": %s is out of range",
					    c->hdr[col], s);
				if (k > 0)
					nsl_buf_addc(&c->tmp, ',');
				nsl_buf_add(&c->tmp, s, n);
			}
			nsl_buf_addc(&c->tmp, ']');
			vector_done = 1;
			continue;
		}
		nsl_json_string(&c->tmp, c->hdr[j], strlen(c->hdr[j]));
		nsl_buf_addc(&c->tmp, ':');
		s = nsl_csv_cell(&c->csv, j);
		n = nsl_csv_len(&c->csv, j);
		if (!c->csv.quoted[j] && (n == 0 || nsl_csv_is_number(s, n) ||
		    strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
			nsl_buf_add(&c->tmp, n == 0 ? "null" : s,
			    n == 0 ? 4 : n);
		else if (nsl_json_utf8_valid(s, n))
			nsl_json_string(&c->tmp, s, n);
		else
			return nsl_err_set(err, NSL_EX_DATAERR, "column \"%s\": "
			    "not valid UTF-8 text", c->hdr[j]);
	}
	nsl_buf_addc(&c->tmp, '}');
	if (nsl_buf_failed(&c->tmp))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

static int
source_csv(struct nsl_convert *c, struct nsl_reader *r, struct nsl_err *err)
{
	struct row rw;
	size_t dim = 0, j;
	int rc;

	if ((rc = nsl_csv_read(&c->csv, r, err)) <= 0)
		return rc;
	if (csv_read_header(c, c->csv.line, err) != 0)
		return -1;
	for (j = 0; j < c->nhdr; j++)
		if (c->vk[j] >= 0)
			dim++;
	if (grow_x(c, dim, err) != 0)
		return -1;
	while ((rc = nsl_csv_read(&c->csv, r, err)) > 0) {
		memset(&rw, 0, sizeof(rw));
		rw.line = c->csv.line;
		if (c->csv.nfields != c->nhdr) {
			nsl_err_set(err, NSL_EX_DATAERR, "%zu field%s, "
			    "expected %zu as in the header", c->csv.nfields,
			    c->csv.nfields == 1 ? "" : "s", c->nhdr);
			return located(c, &rw, err);
		}
		if (csv_to_json(c, dim, err) != 0 ||
		    nsl_rec_parse(&c->rec, c->tmp.data, c->tmp.len, err) != 0)
			return located(c, &rw, err);
		rw.rec = &c->rec;
		rw.vec = dim > 0 ? nsl_rec_find(&c->rec, c->o.field) : -1;
		rw.idf = nsl_rec_find(&c->rec, c->o.id_field);
		rw.labf = nsl_rec_find(&c->rec, c->o.label_field);
		rw.x = c->x;
		rw.n = dim;
		rw.has_x = dim > 0;
		if (emit(c, &rw, err) != 0)
			return -1;
	}
	return rc;
}

/* ---- labels read from a file ---- */

static int
load_labels(struct nsl_convert *c, struct nsl_err *err)
{
	enum nsl_convert_format f = nsl_convert_format_guess(c->o.labels);
	struct nsl_reader *r;
	struct nsl_npy a;
	struct nsl_idx *x = NULL;
	uint64_t rows, ncols, cap = 0;
	long long iv;
	double v;
	void *p;
	int rc, integral;

	memset(&a, 0, sizeof(a));
	if (f == NSL_FMT_CSV || f == NSL_FMT_JSONL) {
		nsl_err_at(err, c->o.labels, 0);
		return nsl_err_set(err, NSL_EX_USAGE, "--labels: expected a "
		    ".npy or IDX file");
	}
	if ((r = nsl_reader_open(c->o.labels, err)) == NULL)
		return -1;
	if ((c->labels_name = strdup(nsl_reader_name(r))) == NULL) {
		rc = nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (f == NSL_FMT_NPY) {
		if ((rc = nsl_npy_open(&a, r, err)) != 0)
			goto out;
		rows = a.rows;
		ncols = a.ncols;
		integral = a.kind != 'f';
	} else {
		if ((x = malloc(sizeof(*x))) == NULL) {
			rc = nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		if ((rc = nsl_idx_open(x, r, err)) != 0)
			goto out;
		rows = x->rows;
		ncols = x->ncols;
		integral = nsl_idx_integral(x);
	}
	if (ncols != 1) {
		rc = nsl_err_set(err, NSL_EX_DATAERR, "labels must be a 1-D "
		    "array, not rows of %" PRIu64, ncols);
		goto out;
	}
	c->labels_int = integral;
	for (;;) {
		if (f == NSL_FMT_NPY)
			rc = nsl_npy_next(&a, r, &v, &iv, err);
		else {
			rc = nsl_idx_next(x, r, &v, err);
			iv = (long long)v;
		}
		if (rc <= 0)
			break;
		if (c->nlabels == cap) {
			/* grow as read: a lying header must not cost memory */
			cap = cap ? 2 * cap : (rows < 65536 ? rows + 1 : 65536);
			p = integral ? realloc(c->li, cap * sizeof(*c->li)) :
			    realloc(c->ld, cap * sizeof(*c->ld));
			if (p == NULL) {
				rc = nsl_err_set(err, NSL_EX_SOFTWARE,
				    "out of memory");
				goto out;
			}
			if (integral)
				c->li = p;
			else
				c->ld = p;
		}
		if (integral)
			c->li[c->nlabels++] = iv;
		else
			c->ld[c->nlabels++] = v;
	}
	c->labels_in = 1;
out:
	if (rc != 0 && c->labels_name != NULL)
		nsl_err_at(err, c->labels_name, 0);
	nsl_npy_release(&a);
	if (x != NULL)
		nsl_idx_release(x);
	free(x);
	nsl_reader_close(r);
	return rc;
}

/* ---- the conversion ---- */

struct nsl_convert *
nsl_convert_new(const struct nsl_convert_opts *o, struct nsl_writer *out,
    struct nsl_err *err)
{
	struct nsl_convert *c;
	size_t n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->o = *o;
	c->out = out;
	/* the rows of each tensor have a length of their own */
	c->per_tensor_dims = o->to == NSL_FMT_SAFETENSORS;
	nsl_buf_init(&c->buf);
	nsl_buf_init(&c->tmp);
	nsl_buf_init(&c->name);
	nsl_buf_init(&c->strec);
	nsl_rec_init(&c->rec, o->allow_nonfinite ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	nsl_csv_init(&c->csv);
	nsl_npy_out_init(&c->npy, o->dtype, 2);
	nsl_npy_out_init(&c->lab, NSL_NPY_I8, 1);
	if (o->vector_prefix != NULL)
		c->prefix = strdup(o->vector_prefix);
	else if ((c->prefix = malloc((n = strlen(o->field)) + 2)) != NULL) {
		memcpy(c->prefix, o->field, n);
		memcpy(c->prefix + n, "_", 2);
	}
	if (c->prefix == NULL)
		goto nomem;
	if (o->labels != NULL && o->to == NSL_FMT_NPY) {
		if ((c->labels_out = nsl_writer_open(o->labels, err)) == NULL)
			goto fail;
	} else if (o->labels != NULL && load_labels(c, err) != 0)
		goto fail;
	return c;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
fail:
	nsl_convert_free(c);
	return NULL;
}

int
nsl_convert_file(struct nsl_convert *c, const char *path,
    struct nsl_err *err)
{
	enum nsl_convert_format f = c->o.from;
	struct nsl_reader *r;
	int rc;

	if (f == NSL_FMT_AUTO)
		f = nsl_convert_format_guess(path);
	if (f == NSL_FMT_AUTO)
		f = NSL_FMT_JSONL;
	if (f == NSL_FMT_SAFETENSORS) {
		if (has_suffix(path, strlen(path), ".gz")) {
			nsl_err_at(err, path, 0);
			return nsl_err_set(err, NSL_EX_DATAERR, "a safetensors "
			    "file is mapped, not read through gzip: gunzip it "
			    "first");
		}
		return source_safetensors(c, path, err);
	}
	if (c->o.list_tensors) {
		nsl_err_at(err, path, 0);
		return nsl_err_set(err, NSL_EX_USAGE, "--list-tensors: not a "
		    "safetensors file (see --from)");
	}
	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	free(c->cur);
	if ((c->cur = strdup(nsl_reader_name(r))) == NULL) {
		nsl_reader_close(r);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	c->nfiles++;
	switch (f) {
	case NSL_FMT_NPY:
		rc = source_npy(c, r, err);
		break;
	case NSL_FMT_IDX:
		rc = source_idx(c, r, err);
		break;
	case NSL_FMT_CSV:
		rc = source_csv(c, r, err);
		break;
	default:
		rc = source_jsonl(c, r, err);
		break;
	}
	nsl_reader_close(r);
	return rc;
}

int
nsl_convert_finish(struct nsl_convert *c, struct nsl_err *err)
{
	struct nsl_writer *w;

	if (c->nrows == 0) {
		nsl_err_at(err, c->cur, 0);
		return nsl_err_set(err, NSL_EX_DATAERR, "no records");
	}
	if (c->labels_in && c->nrows != c->nlabels) {
		nsl_err_at(err, c->labels_name, 0);
		if (c->nfiles == 1)
			return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64
			    " labels, but %s has %" PRIu64 " rows", c->nlabels,
			    c->cur, c->nrows);
		return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64 " labels, "
		    "but the %d inputs have %" PRIu64 " rows", c->nlabels,
		    c->nfiles, c->nrows);
	}
	if (c->o.to == NSL_FMT_SAFETENSORS &&
	    finish_safetensors(c, err) != 0)
		return -1;
	if (c->o.to == NSL_FMT_NPY) {
		if (nsl_npy_out_write(&c->npy, c->out, err) != 0)
			return -1;
		if (c->labels_out != NULL) {
			if (nsl_npy_out_write(&c->lab, c->labels_out, err) != 0)
				return -1;
			w = c->labels_out;
			c->labels_out = NULL;
			if (nsl_writer_commit(w, err) != 0)
				return -1;
		}
	}
	if (c->o.progress != NULL)
		c->o.progress(c->o.progress_arg, c->nrows);
	return flush(c, err);
}

uint64_t
nsl_convert_rows(const struct nsl_convert *c)
{
	return c->nrows;
}

void
nsl_convert_free(struct nsl_convert *c)
{
	size_t i;

	if (c == NULL)
		return;
	nsl_buf_release(&c->buf);
	nsl_buf_release(&c->tmp);
	nsl_rec_release(&c->rec);
	nsl_csv_release(&c->csv);
	nsl_npy_out_release(&c->npy);
	nsl_npy_out_release(&c->lab);
	if (c->labels_out != NULL)
		nsl_writer_abort(c->labels_out);
	for (i = 0; i < c->ncols; i++)
		free(c->cols[i].name);
	free(c->cols);
	for (i = 0; i < c->nacc; i++) {
		free(c->acc[i].name);
		free(c->acc[i].x);
	}
	free(c->acc);
	nsl_buf_release(&c->name);
	nsl_buf_release(&c->strec);
	free_header(c);
	free(c->x);
	free(c->li);
	free(c->ld);
	free(c->labels_name);
	free(c->prefix);
	free(c->cur);
	free(c);
}
