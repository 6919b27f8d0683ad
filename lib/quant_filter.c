/*
 * quant_filter.c - the JSONL side of nsl-quantize (see nsl/quant.h):
 * read records, quantize the vector field, write it back dequantized (in
 * place: every other byte of the line is copied as it was) or as codes,
 * decode codes records, and write the statistics record.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/base64.h"
#include "nsl/batch.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/num.h"
#include "nsl/quant.h"
#include "nsl/rng.h"
#include "nsl/spool.h"

size_t
nsl_quant_packed_size(const struct nsl_quant_format *f, size_t n)
{
	return f->bits <= 4 ? (n + 1) / 2 : n * nsl_quant_code_size(f);
}

void
nsl_quant_pack(const struct nsl_quant_format *f, const uint8_t *codes,
    size_t n, uint8_t *out)
{
	size_t i;

	if (f->bits > 4) {
		memcpy(out, codes, n * nsl_quant_code_size(f));
		return;
	}
	for (i = 0; i + 1 < n; i += 2)
		out[i / 2] = (uint8_t)((codes[i] & 15) | (codes[i + 1] & 15) <<
		    4);
	if (n % 2)
		out[n / 2] = codes[n - 1] & 15;
}

void
nsl_quant_unpack(const struct nsl_quant_format *f, const uint8_t *p,
    size_t n, uint8_t *codes)
{
	size_t i;

	if (f->bits > 4) {
		memmove(codes, p, n * nsl_quant_code_size(f));
		return;
	}
	for (i = n; i-- > 0;)
		codes[i] = i % 2 ? p[i / 2] >> 4 : p[i / 2] & 15;
}

/* ---- the filter ---- */

/* An input of the two-pass run: records first.. are its (see where). */
struct input {
	const char *name;	/* borrowed, as the path is */
	uint64_t first;
};

struct nsl_quant_filter {
	struct nsl_quant *q;
	struct nsl_quant_filter_opts o;
	struct nsl_rec rec;
	double *x, *out;
	size_t xcap, outcap;
	uint8_t *codes, *packed;
	size_t codecap;
	struct nsl_quant_scale *scales, tensor;
	struct nsl_quant_scale *columns;	/* NSL_QG_COLUMN's scales */
	size_t ncolumns;
	size_t scap;
	struct nsl_buf buf, tmp;
	gsl_rng *rng;
	struct nsl_writer *w;
	/*
	 * The two passes of a tensor or column scale and --search: the
	 * first finds the extremes, the second reads the lines again
	 * through the spool (files are reopened, a pipe is spilled to a
	 * temporary file), so the records' text is never held.
	 */
	struct nsl_spool *spool;
	struct input *inputs;
	size_t ninputs, incap;
	uint64_t *lineno;	/* per record, for errors of the second pass */
	size_t nrec, lcap;
	double lo, hi;		/* the tensor's extremes */
	double *clo, *chi;	/* each column's (NSL_QG_COLUMN) */
	size_t ncol, ccap, hcap;
	struct nsl_quant_stats *st;	/* of the second pass */
	/* --search alone needs every value: rows one after another */
	double *tx;
	size_t tn, tcap, *tlen, tlencap;
	/* the text cache (see put_cached): rows allocated on first use */
	struct text_row *text[256];
	struct wide_text *wide;		/* a 16-bit format's plain cast */
	struct text_row **coltext;	/* a column scale's: one per column */
	size_t ncoltext;
	uint32_t gen;			/* generation of span-scaled rows */
	struct nsl_quant_scale cur;	/* the scale of that generation */
	uint32_t rowgen;		/* a fractional scale's record */
};

/*
 * The text of each code's value under one scale, "," included: slot c
 * is valid when stamp[c] equals the row's generation.  Slots are copied
 * whole (a fixed-size copy is cheaper than one of the text's length).
 */
#define SLOT 32
struct text_row {
	char slot[256][SLOT];
	unsigned char len[256];
	uint32_t stamp[256];
};

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

static int
grow(void **p, size_t *cap, size_t want, size_t size)
{
	void *np;
	size_t ncap;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < want)
		ncap *= 2;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

struct nsl_quant_filter *
nsl_quant_filter_new(struct nsl_quant *q, const struct nsl_quant_filter_opts *o,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_quant_filter *fl = calloc(1, sizeof(*fl));

	if (fl == NULL || (fl->rng = nsl_rng_new(q->seed, 0)) == NULL) {
		free(fl);
		oom(err);
		return NULL;
	}
	fl->q = q;
	fl->o = *o;
	fl->w = w;
	fl->tensor.scale = 1;
	nsl_rec_init(&fl->rec, o->allow_nonfinite ? NSL_REC_ALLOW_NONFINITE :
	    0);
	nsl_buf_init(&fl->buf);
	nsl_buf_init(&fl->tmp);
	return fl;
}

void
nsl_quant_filter_free(struct nsl_quant_filter *fl)
{
	size_t i;

	if (fl == NULL)
		return;
	nsl_rec_release(&fl->rec);
	free(fl->x);
	free(fl->out);
	free(fl->codes);
	free(fl->packed);
	free(fl->scales);
	free(fl->columns);
	nsl_spool_free(fl->spool);
	free(fl->inputs);
	free(fl->lineno);
	free(fl->clo);
	free(fl->chi);
	free(fl->tx);
	free(fl->tlen);
	nsl_buf_release(&fl->buf);
	nsl_buf_release(&fl->tmp);
	for (i = 0; i < 256; i++)
		free(fl->text[i]);
	free(fl->wide);
	for (i = 0; i < fl->ncoltext; i++)
		free(fl->coltext[i]);
	free(fl->coltext);
	gsl_rng_free(fl->rng);
	free(fl);
}

static int
need_all(const struct nsl_quant_filter *fl)
{
	return !fl->o.decode && (nsl_quant_needs_tensor(fl->q) ||
	    fl->o.search);
}

static char *put_cached(struct nsl_quant_filter *fl, size_t n, char *p);

/* Whether the values may come from the text cache (see put_cached). */
static int
cacheable(const struct nsl_quant_filter *fl)
{
	/* (a row has a slot per code, 256 of them; a 16-bit format's
	 * plain cast has one row of 65536, struct wide_text) */
	return !fl->q->general && !fl->o.decode && !fl->q->rotate &&
	    (fl->q->fmt.bits <= 8 || fl->q->gran == NSL_QG_NONE);
}

static int
put_vector(struct nsl_quant_filter *fl, const double *x, const double *v,
    size_t n, struct nsl_err *err)
{
	size_t i;
	char *e;

	if (cacheable(fl) && nsl_buf_grow(&fl->buf, n * SLOT + 2) == 0 &&
	    (e = put_cached(fl, n, fl->buf.data + fl->buf.len)) != NULL) {
		fl->buf.len = (size_t)(e - fl->buf.data);
		fl->buf.data[fl->buf.len] = '\0';
		return 0;
	}
	for (i = 0; i < n && !fl->o.allow_nonfinite; i++)
		if (!isfinite(v[i]))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "element %zu: %.17g becomes %s in %s (see "
			    "--saturate, --allow-nonfinite)", fl->o.field, i,
			    x[i], isnan(v[i]) ? "NaN" : "infinity",
			    fl->q->fmt.name);
	nsl_buf_addc(&fl->buf, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			nsl_buf_addc(&fl->buf, ',');
		nsl_json_number(&fl->buf, v[i], fl->o.style);
	}
	nsl_buf_addc(&fl->buf, ']');
	return 0;
}

/* Fill slot c of row t with the text of v ("," first). */
/* The text of v, "," first, into slot: its length, or -1. */
static int
format_slot(struct nsl_quant_filter *fl, char *slot, double v)
{
	struct nsl_buf *b = &fl->tmp;
	int n;

	if (!isfinite(v) && !fl->o.allow_nonfinite)
		return -1;	/* put_vector's loop names the element */
	if (fl->q->f32 && (n = nsl_num_format_f32_exact(slot + 1, (float)v,
	    fl->o.style == NSL_NUM_FLOAT32)) > 0 && (double)(float)v == v) {
		slot[0] = ',';
		return n + 1;
	}
	nsl_buf_reset(b);
	nsl_buf_addc(b, ',');
	nsl_json_number(b, v, fl->o.style);
	if (nsl_buf_failed(b) || b->len > SLOT)
		return -1;
	memcpy(slot, b->data, b->len);
	return (int)b->len;
}

static int
fill_slot(struct nsl_quant_filter *fl, struct text_row *t, unsigned c,
    double v, uint32_t gen)
{
	int n = format_slot(fl, t->slot[c], v);

	if (n < 0)
		return -1;
	t->len[c] = (unsigned char)n;
	t->stamp[c] = gen;
	return 0;
}

/*
 * The plain cast of a 16-bit format: the text of each of its 65536
 * codes' values (len 0: not yet printed), kept for the run (2.2 MB,
 * allocated at the first record).
 */
struct wide_text {
	char slot[1 << 16][SLOT];
	unsigned char len[1 << 16];
};

static char *
put_wide(struct nsl_quant_filter *fl, size_t n, char *p)
{
	const struct nsl_quant_format *f = &fl->q->fmt;
	struct wide_text *t = fl->wide;
	char *start = p;
	size_t i;
	unsigned c;
	int k;

	if (t == NULL && (t = fl->wide = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		c = nsl_quant_code_get(f, fl->codes, i);
		if (t->len[c] == 0) {
			if ((k = format_slot(fl, t->slot[c], fl->out[i])) < 0)
				return NULL;
			t->len[c] = (unsigned char)k;
		}
		memcpy(p, t->slot[c], SLOT);
		p += t->len[c];
	}
	*start = '[';
	*p++ = ']';
	return p;
}

/*
 * Slot -c of a symmetric integer format from slot c: the value of code
 * -k is exactly minus that of k (the product r s and the rounding to
 * float32 are odd functions), and its text is the same with the sign
 * added or taken away.
 */
static void
mirror_slot(struct text_row *t, unsigned c, unsigned mask, uint32_t gen)
{
	unsigned d = (0u - c) & mask;
	const char *src = t->slot[c];
	char *dst = t->slot[d];
	unsigned len = t->len[c];

	if (d == c)
		return;
	/* whole slots copied: a fixed size is a few moves, not a call */
	dst[0] = ',';
	if (src[1] == '-') {
		memcpy(dst + 1, src + 2, SLOT - 2);
		t->len[d] = (unsigned char)(len - 1);
	} else {
		if (len + 1 > SLOT)
			return;
		dst[1] = '-';
		memcpy(dst + 2, src + 1, SLOT - 2);
		t->len[d] = (unsigned char)(len + 1);
	}
	t->stamp[d] = gen;
}

static struct text_row *
text_row(struct nsl_quant_filter *fl, size_t row)
{
	if (fl->text[row] == NULL)
		fl->text[row] = calloc(1, sizeof(*fl->text[row]));
	return fl->text[row];
}

/* Fill slot c of row t (and its mirror) with the text of v. */
static int
fill_code(struct nsl_quant_filter *fl, struct text_row *t, unsigned c,
    double v, uint32_t gen, int sym)
{
	if (fill_slot(fl, t, c, v, gen) != 0)
		return -1;
	if (sym)
		mirror_slot(t, c, (1u << fl->q->fmt.bits) - 1, gen);
	return 0;
}

/*
 * Fill the slots of row t that the span's codes cd[0..len) (values v)
 * need.  The codes that occur are found first, and printed after, so
 * that the copying loop does not find a missing slot (a branch that
 * would mispredict at the first of each code) and reads no slot just
 * written (whose stores would still be on their way).
 */
static int
fill_span(struct nsl_quant_filter *fl, struct text_row *t,
    const uint8_t *cd, const double *v, size_t len, uint32_t gen, int sym)
{
	uint64_t seen[4] = { 0 }, w;
	size_t at[256];		/* an element of each code that occurs */
	unsigned c, k, mask = (1u << fl->q->fmt.bits) - 1;
	size_t i;

	if (mask < 64) {	/* the set in a register: no chain through memory */
		for (w = 0, i = 0; i < len; i++) {
			w |= UINT64_C(1) << cd[i];
			at[cd[i]] = i;
		}
		seen[0] = w;
	} else
		for (i = 0; i < len; i++) {
			c = cd[i];
			seen[c >> 6] |= UINT64_C(1) << (c & 63);
			at[c] = i;
		}
	for (k = 0; k < 4; k++)
		for (w = seen[k]; w != 0; w &= w - 1) {
			c = 64 * k + (unsigned)__builtin_ctzll(w);
			if (t->stamp[c] != gen &&
			    fill_code(fl, t, c, v[at[c]], gen, sym) != 0)
				return -1;
		}
	return 0;
}

/*
 * put_cached for a column scale: element j's value is a function of its
 * code and column j's scale, which is the run's, so each column has a
 * row of the cache kept for the run (9.5 KB each: O(d)).  do_record saw
 * n <= ncolumns.
 */
static char *
put_columns(struct nsl_quant_filter *fl, size_t n, char *p)
{
	const struct nsl_quant *q = fl->q;
	struct text_row *t;
	char *start = p;
	size_t j;
	unsigned c;
	int sym = q->fmt.kind == NSL_QK_INT && !q->fmt.mx &&
	    !q->asymmetric && !q->fmt.usign;

	if (fl->coltext == NULL) {
		if ((fl->coltext = calloc(fl->ncolumns + 1,
		    sizeof(*fl->coltext))) == NULL)
			return NULL;
		fl->ncoltext = fl->ncolumns + 1;
	}
	if (n > fl->ncoltext)
		return NULL;
	for (j = 0; j < n; j++) {
		if ((t = fl->coltext[j]) == NULL &&
		    (t = fl->coltext[j] = calloc(1, sizeof(*t))) == NULL)
			return NULL;
		c = fl->codes[j];
		if (t->stamp[c] != 1 &&
		    fill_code(fl, t, c, fl->out[j], 1, sym) != 0)
			return NULL;
		memcpy(p, t->slot[c], SLOT);
		p += t->len[c];
	}
	*start = '[';	/* over the first's "," (n > 0: put_cached) */
	*p++ = ']';
	return p;
}

/*
 * Write the values of codes[0..n) (fl->out) from the text cache, as a
 * JSON array at p (room for n * SLOT + 2 bytes).  The value of a code
 * is a function of the code and its span's scale: a plain cast has one
 * scale, an MX format at most 256 (one row per E8M0 byte, kept for the
 * whole run), the other scaled formats one per span (row 0, valid while
 * the scale stays the same: a new scale starts a new generation).  So
 * each distinct value is printed once per scale.
 * Returns the end of the array, or NULL when a value is not finite or
 * memory runs out: the caller then prints.
 */
static char *
put_cached(struct nsl_quant_filter *fl, size_t n, char *p)
{
	const struct nsl_quant *q = fl->q;
	size_t i, b, len, span;
	struct text_row *t;
	char *start = p;
	uint32_t gen;
	unsigned c;
	int sym, keyed;

	if (n == 0) {
		memcpy(p, "[]", 2);
		return p + 2;
	}
	if (q->fmt.bits > 8)
		return put_wide(fl, n, p);
	if (q->gran == NSL_QG_COLUMN)
		return put_columns(fl, n, p);
	span = q->gran == NSL_QG_BLOCK ? q->block : q->gran == NSL_QG_COLUMN ?
	    1 : n;
	sym = q->fmt.kind == NSL_QK_INT && !q->fmt.mx && !q->asymmetric &&
	    !q->fmt.usign &&
	    q->gran != NSL_QG_NONE;
	/*
	 * A fractional block's scale is v_b s: with s the run's (tensor or
	 * none) it is a function of v_b's code, so a row per code is kept
	 * for the run as MX's are; with s per record, for the record (a
	 * generation each).  Finite values only: a NaN scale has a code too.
	 */
	keyed = q->frac && !fl->o.allow_nonfinite;
	if (keyed && q->outer == NSL_QG_ROW && ++fl->rowgen < 2) {
		for (b = 0; b < 256; b++)	/* wrapped */
			if (fl->text[b] != NULL)
				memset(fl->text[b]->stamp, 0,
				    sizeof(fl->text[b]->stamp));
		fl->rowgen = 2;
	}
	for (b = 0; b * span < n; b++) {
		const struct nsl_quant_scale *s = &fl->scales[b];
		const uint8_t *cd = fl->codes + b * span;
		const double *v = fl->out + b * span;

		len = n - b * span < span ? n - b * span : span;
		if (q->fmt.mx && !q->frac) {
			t = text_row(fl, (size_t)s->e8m0);
			gen = 1;
		} else if (keyed && s->e8m0 >= 0 && s->e8m0 < 256) {
			t = text_row(fl, (size_t)s->e8m0);
			gen = q->outer == NSL_QG_ROW ? fl->rowgen : 1;
		} else {
			t = text_row(fl, 0);
			if (q->gran == NSL_QG_NONE)
				gen = 1;
			else {
				if (fl->gen < 2 || memcmp(&s->scale,
				    &fl->cur.scale, sizeof(double)) != 0 ||
				    s->zero != fl->cur.zero) {
					if (++fl->gen < 2) {	/* wrapped */
						memset(t->stamp, 0,
						    sizeof(t->stamp));
						fl->gen = 2;
					}
					fl->cur = *s;
				}
				gen = fl->gen;
			}
		}
		/* a row kept for the run (gen 1) fills each slot at its
		 * first use, after which it only copies: it is not worth a
		 * pass to find its codes */
		if (t == NULL || (gen > 1 &&
		    fill_span(fl, t, cd, v, len, gen, sym) != 0))
			return NULL;
		for (i = 0; i < len; i++) {
			c = cd[i];
			if (t->stamp[c] != gen &&
			    fill_code(fl, t, c, v[i], gen, sym) != 0)
				return NULL;
			memcpy(p, t->slot[c], SLOT);
			p += t->len[c];
		}
	}
	*start = '[';
	*p++ = ']';
	return p;
}


/* The codes object of one vector (layout: see nsl/quant.h). */
static void
put_codes(struct nsl_quant_filter *fl, size_t n)
{
	const struct nsl_quant *q = fl->q;
	size_t i, ns = nsl_quant_nspans(q, n);
	struct nsl_buf *b = &fl->buf;

	nsl_buf_adds(b, "{\"format\":");
	nsl_json_string(b, q->fmt.name, strlen(q->fmt.name));
	nsl_buf_addf(b, ",\"n\":%zu,\"scale\":\"%s\"", n, nsl_quant_gran_names[q->gran]);
	if (q->gran == NSL_QG_BLOCK)
		nsl_buf_addf(b, ",\"block\":%zu", q->block);
	if (q->rotate)
		nsl_buf_addf(b, ",\"rotate\":\"hadamard\",\"seed\":%llu",
		    (unsigned long long)q->seed);
	if (!q->f32)
		nsl_buf_adds(b, ",\"float32\":false");
	nsl_buf_adds(b, ",\"codes\":\"");
	nsl_quant_pack(&q->fmt, fl->codes, n, fl->packed);
	nsl_base64_encode(b, fl->packed, nsl_quant_packed_size(&q->fmt, n));
	nsl_buf_addc(b, '"');
	if (q->frac) {
		/* the block scales' codes and the second scale */
		nsl_buf_addf(b, ",\"%s\":[", q->sfmt.name);
		for (i = 0; i < ns; i++)
			nsl_buf_addf(b, "%s%d", i ? "," : "",
			    fl->scales[i].e8m0);
		nsl_buf_adds(b, "],\"outer_scale\":");
		nsl_json_number(b, nsl_quant_outer_of(q, fl->scales, ns),
		    NSL_NUM_DOUBLE);
	} else if (q->fmt.mx) {
		nsl_buf_adds(b, ",\"e8m0\":[");
		for (i = 0; i < ns; i++) {	/* integers: as %d prints */
			if (i)
				nsl_buf_addc(b, ',');
			nsl_json_number(b, fl->scales[i].e8m0, NSL_NUM_DOUBLE);
		}
		nsl_buf_addc(b, ']');
	} else if (ns > 0) {
		nsl_buf_adds(b, ",\"scales\":[");
		for (i = 0; i < ns; i++) {
			if (i)
				nsl_buf_addc(b, ',');
			nsl_json_number(b, fl->scales[i].scale,
			    NSL_NUM_DOUBLE);
		}
		nsl_buf_addc(b, ']');
		if (q->asymmetric) {
			nsl_buf_adds(b, ",\"zero_points\":[");
			for (i = 0; i < ns; i++)
				nsl_buf_addf(b, "%s%ld", i ? "," : "",
				    fl->scales[i].zero);
			nsl_buf_addc(b, ']');
		}
	}
	nsl_buf_addc(b, '}');
}

static int
grow_vec(struct nsl_quant_filter *fl, size_t n, struct nsl_err *err)
{
	size_t ns = nsl_quant_nspans(fl->q, n) + 1, c0 = fl->codecap;

	if (grow((void **)&fl->out, &fl->outcap, n + 1, sizeof(double)) ||
	    grow((void **)&fl->codes, &fl->codecap, n + 1, 2) ||
	    (c0 = 0, grow((void **)&fl->packed, &c0, n + 1, 2)) ||
	    grow((void **)&fl->scales, &fl->scap, ns, sizeof(*fl->scales)))
		return oom(err);
	return 0;
}

/* Read member i of the codes record into fl->out (n values). */
static int
decode_member(struct nsl_quant_filter *fl, size_t fi, size_t *np,
    struct nsl_err *err)
{
	struct nsl_quant d;
	json_t *o, *v, *a;
	const char *s, *why = NULL, *sname;
	size_t n, ns, i, k;
	double outer;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	if (fl->rec.fields[fi].type != NSL_JSON_OBJECT)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a codes object (from --emit codes), got %s",
		    fl->o.field, fl->rec.fields[fi].type == NSL_JSON_ARRAY ?
		    "an array" : "another value");
	if ((o = nsl_rec_json(&fl->rec, fi, err)) == NULL)
		return -1;
	if ((s = json_string_value(json_object_get(o, "format"))) == NULL) {
		why = "no \"format\"";
		goto bad;
	}
	if (nsl_quant_format_parse(&d.fmt, s, err) != 0) {
		err->code = NSL_EX_DATAERR;
		goto out;
	}
	if (fl->o.format_given && strcmp(s, fl->q->fmt.name) != 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": codes of "
		    "format %.40s, not %s (--format)", fl->o.field, s,
		    fl->q->fmt.name);
		goto out;
	}
	v = json_object_get(o, "n");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		why = "\"n\" is not a count";
		goto bad;
	}
	n = (size_t)json_integer_value(v);
	if ((s = json_string_value(json_object_get(o, "scale"))) == NULL) {
		why = "no \"scale\"";
		goto bad;
	}
	for (k = 0; nsl_quant_gran_names[k] != NULL &&
	    strcmp(s, nsl_quant_gran_names[k]) != 0; k++)
		;
	if (nsl_quant_gran_names[k] == NULL || (d.fmt.mx &&
	    k != NSL_QG_BLOCK)) {
		why = "bad \"scale\"";
		goto bad;
	}
	d.gran = (enum nsl_quant_gran)k;
	v = json_object_get(o, "block");
	if (d.gran == NSL_QG_BLOCK && (!json_is_integer(v) ||
	    json_integer_value(v) < 1)) {
		why = "\"block\" is not a positive integer";
		goto bad;
	}
	d.block = d.gran == NSL_QG_BLOCK ? (size_t)json_integer_value(v) : 0;
	if ((s = json_string_value(json_object_get(o, "rotate"))) != NULL) {
		v = json_object_get(o, "seed");
		if (strcmp(s, "hadamard") != 0 || !json_is_integer(v)) {
			why = "bad \"rotate\" or \"seed\"";
			goto bad;
		}
		d.rotate = 1;
		d.seed = (uint64_t)json_integer_value(v);
	}
	d.asymmetric = json_object_get(o, "zero_points") != NULL;
	d.f32 = !json_is_false(json_object_get(o, "float32"));
	/* an MX block scale format is named by its key */
	for (k = 1; d.fmt.mx && nsl_quant_scale_fmt_names[k] != NULL; k++)
		if (json_object_get(o, nsl_quant_scale_fmt_names[k]) != NULL)
			d.scale_fmt = (enum nsl_quant_scale_fmt)k;
	sname = d.fmt.mx ? nsl_quant_scale_fmt_names[d.scale_fmt ?
	    d.scale_fmt : d.fmt.scale_fmt] : "scales";
	outer = 1;
	if ((v = json_object_get(o, "outer_scale")) != NULL) {
		if (!json_is_number(v) || !(json_number_value(v) > 0)) {
			why = "\"outer_scale\" is not a positive number";
			goto bad;
		}
		outer = json_number_value(v);
	}
	if ((why = nsl_quant_check(&d)) != NULL)
		goto bad;
	if (nsl_quant_prepare(&d, err) != 0)
		goto out;
	ns = nsl_quant_nspans(&d, n);
	if (grow_vec(fl, n, err) != 0)
		goto out;
	s = json_string_value(json_object_get(o, "codes"));
	nsl_buf_reset(&fl->tmp);
	if (s == NULL || nsl_base64_decode(s, strlen(s), &fl->tmp) != 0 ||
	    fl->tmp.len != nsl_quant_packed_size(&d.fmt, n)) {
		if (nsl_buf_failed(&fl->tmp)) {
			oom(err);
			goto out;
		}
		why = "\"codes\" is not base64 of n codes";
		goto bad;
	}
	nsl_quant_unpack(&d.fmt, (const uint8_t *)fl->tmp.data, n, fl->codes);
	a = json_object_get(o, sname);
	if (ns > 0 && (!json_is_array(a) || json_array_size(a) != ns)) {
		why = d.fmt.mx ? "the block scales (\"e8m0\", \"ue4m3\" or "
		    "\"ue5m3\") need one integer per block" :
		    "\"scales\" needs one number per span";
		goto bad;
	}
	for (i = 0; i < ns; i++) {
		v = json_array_get(a, i);
		memset(&fl->scales[i], 0, sizeof(fl->scales[i]));
		if (d.fmt.mx) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) >= 1 << (d.frac ?
			    d.sfmt.bits : 8)) {
				why = d.frac ? "block scale codes are integers "
				    "of the scale format's width" :
				    "\"e8m0\" codes are integers 0..255";
				goto bad;
			}
			fl->scales[i].e8m0 = (int)json_integer_value(v);
			/* a fractional block's multiplier v_b s */
			if (d.frac)
				fl->scales[i].scale = d.sfmt.value[
				    fl->scales[i].e8m0] * outer;
		} else {
			if (!json_is_number(v)) {
				why = "\"scales\" are numbers";
				goto bad;
			}
			fl->scales[i].scale = json_number_value(v);
		}
		if (d.asymmetric) {
			json_t *z = json_array_get(json_object_get(o,
			    "zero_points"), i);

			if (!json_is_integer(z) || json_integer_value(z) < 0 ||
			    json_integer_value(z) >= 1L << d.fmt.bits) {
				why = "bad \"zero_points\"";
				goto bad;
			}
			fl->scales[i].zero = (long)json_integer_value(z);
		}
	}
	nsl_quant_dequantize(&d, fl->codes, n, fl->scales, fl->out);
	*np = n;
	rc = 0;
	goto out;
bad:
	nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": bad codes object: %s",
	    fl->o.field, why);
out:
	nsl_quant_release(&d);
	json_decref(o);
	return rc;
}

/*
 * Record fl->rec with the n values of field f from the text cache,
 * built in the writer's buffer (not in fl->buf, to be copied there).
 * Returns 0, 1 when that does not apply (the caller builds the record),
 * or -1.
 */
static int
put_direct(struct nsl_quant_filter *fl, const struct nsl_field *f,
    size_t n, struct nsl_err *err)
{
	size_t pre = (size_t)(f->value - fl->rec.line), post = pre + f->vlen;
	size_t tail = fl->rec.len - post;
	char *p, *e;
	int rc;

	if (!cacheable(fl) || fl->o.emit_codes)
		return 1;
	if ((rc = nsl_writer_space(fl->w, pre + n * SLOT + 2 + tail + 1, &p,
	    err)) != 0)
		return rc;
	if ((e = put_cached(fl, n, p + pre)) == NULL)
		return 1;
	memcpy(p, fl->rec.line, pre);
	memcpy(e, fl->rec.line + post, tail);
	e += tail;
	*e++ = '\n';
	nsl_writer_advance(fl->w, (size_t)(e - p));
	return 0;
}

/*
 * Rounding to float32 (the default, not --no-f32) turns a double past
 * FLT_MAX into inf, and a scale of inf into a code of 127: 1e39 came out
 * as 127.  Refuse it as an overflow, as the formats' own are.
 */
static int
check_f32(const struct nsl_quant_filter *fl, const double *x, size_t n,
    struct nsl_err *err)
{
	size_t i;
	int big = 0;

	if (!fl->q->f32 || fl->o.allow_nonfinite)
		return 0;
	/* FLT_MAX and half its ulp, the first value that rounds to inf */
	for (i = 0; i < n; i++)
		big |= fabs(x[i]) >= 0x1.ffffffp127;
	if (!big)
		return 0;
	for (i = 0; fabs(x[i]) < 0x1.ffffffp127; i++)
		;
	return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": element %zu: "
	    "%.17g is beyond float32 (see --no-f32, --allow-nonfinite)",
	    fl->o.field, i, x[i]);
}

/* One parsed record (fl->rec) to the writer. */
static int
do_record(struct nsl_quant_filter *fl, struct nsl_quant_stats *st,
    struct nsl_err *err)
{
	const struct nsl_field *f;
	size_t n, pre, post;
	long fi;
	int rc;

	if ((fi = nsl_rec_require(&fl->rec, fl->o.field, err)) < 0)
		return -1;
	f = &fl->rec.fields[fi];
	if (!fl->o.decode) {
		if (nsl_rec_vector(&fl->rec, (size_t)fi, &fl->x, &n,
		    &fl->xcap, err) != 0 || check_f32(fl, fl->x, n, err) != 0 ||
		    grow_vec(fl, n, err) != 0)
			return -1;
		/* the first pass saw no row this long: the input changed */
		if (fl->q->gran == NSL_QG_COLUMN && n > fl->ncolumns)
			return nsl_err_set(err, NSL_EX_IOERR, "input changed "
			    "while being read (a row longer on the second "
			    "pass)");
		nsl_quant_vector(fl->q, fl->x, n, fl->out, fl->codes,
		    fl->scales, fl->q->gran == NSL_QG_COLUMN ? fl->columns :
		    &fl->tensor, fl->rng, st);
		if ((rc = put_direct(fl, f, n, err)) <= 0)
			return rc;
	}
	nsl_buf_reset(&fl->buf);
	pre = (size_t)(f->value - fl->rec.line);
	post = pre + f->vlen;
	nsl_buf_add(&fl->buf, fl->rec.line, pre);
	if (fl->o.decode) {
		if (decode_member(fl, (size_t)fi, &n, err) != 0 ||
		    put_vector(fl, fl->out, fl->out, n, err) != 0)
			return -1;
	} else {
		if (fl->o.emit_codes)
			put_codes(fl, n);
		else if (put_vector(fl, fl->x, fl->out, n, err) != 0)
			return -1;
	}
	nsl_buf_add(&fl->buf, fl->rec.line + post, fl->rec.len - post);
	nsl_buf_addc(&fl->buf, '\n');
	if (nsl_buf_failed(&fl->buf))
		return oom(err);
	return nsl_writer_write(fl->w, fl->buf.data, fl->buf.len, err);
}

/*
 * Add x[0..n) to the extremes of the tensor and, for a column scale, of
 * each column, as read (nsl_quant_filter_finish rounds them): rounding
 * to float32 never changes the order of two numbers, so the extreme of
 * the rounded values is the rounded extreme.  A NaN makes them NaN for
 * good; fmin and fmax are exact, so neither does the order of records.
 */
static int
extremes(struct nsl_quant_filter *fl, const double *x, size_t n,
    struct nsl_err *err)
{
	double lo = fl->lo, hi = fl->hi;
	size_t i, m;
	int nan = isnan(lo);

	/* comparisons, not fmin/fmax (library calls here): NaN is
	 * counted apart, and the sign of a zero extreme changes no scale */
	for (i = 0; i < n; i++) {
		nan |= isnan(x[i]);
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	fl->lo = nan ? NAN : lo;
	fl->hi = nan ? NAN : hi;
	if (fl->q->gran != NSL_QG_COLUMN)
		return 0;
	if (n > fl->ncol) {	/* a longer row: its new columns start at 0 */
		m = fl->ccap;
		if (grow((void **)&fl->clo, &fl->ccap, n, sizeof(double)) ||
		    grow((void **)&fl->chi, &m, n, sizeof(double)))
			return oom(err);
		memset(fl->clo + fl->ncol, 0, (n - fl->ncol) * sizeof(double));
		memset(fl->chi + fl->ncol, 0, (n - fl->ncol) * sizeof(double));
		fl->ncol = n;
	}
	for (i = 0; i < n; i++)
		if (isnan(x[i]) || isnan(fl->clo[i]))
			fl->clo[i] = fl->chi[i] = NAN;
		else {
			fl->clo[i] = x[i] < fl->clo[i] ? x[i] : fl->clo[i];
			fl->chi[i] = x[i] > fl->chi[i] ? x[i] : fl->chi[i];
		}
	return 0;
}

/* The first pass over a record: its line, its extremes, and its values
 * for --search. */
static int
scan(struct nsl_quant_filter *fl, unsigned long lineno, struct nsl_err *err)
{
	size_t n;
	long fi;

	if (grow((void **)&fl->lineno, &fl->lcap, fl->nrec + 1,
	    sizeof(*fl->lineno)) != 0)
		return oom(err);
	fl->lineno[fl->nrec++] = lineno;
	if ((fi = nsl_rec_require(&fl->rec, fl->o.field, err)) < 0 ||
	    nsl_rec_vector(&fl->rec, (size_t)fi, &fl->x, &n, &fl->xcap,
	    err) != 0 || check_f32(fl, fl->x, n, err) != 0 ||
	    extremes(fl, fl->x, n, err) != 0)
		return -1;
	if (!fl->o.search)
		return 0;
	if (grow((void **)&fl->tx, &fl->tcap, fl->tn + n, sizeof(double)) ||
	    grow((void **)&fl->tlen, &fl->tlencap, fl->nrec, sizeof(size_t)))
		return oom(err);
	if (n > 0)	/* [] leaves fl->tx NULL when it is the first */
		memcpy(fl->tx + fl->tn, fl->x, n * sizeof(double));
	fl->tn += n;
	fl->tlen[fl->nrec - 1] = n;
	return 0;
}

/* scan_file's visit: each record (in fl->rec) of the first pass */
static int
scan_one(void *arg, struct nsl_rec *rec, unsigned long lineno, uint64_t hash,
    struct nsl_err *err)
{
	struct nsl_quant_filter *fl = arg;

	(void)rec;	/* in fl->rec, which scan reads */
	(void)hash;
	if (scan(fl, lineno, err) == 0)
		return 0;
	if (err->code == NSL_EX_DATAERR)
		nsl_err_at(err, fl->inputs[fl->ninputs - 1].name, lineno);
	return -1;
}

/* The first pass over path, through the spool, parsed on every thread. */
static int
scan_file(struct nsl_quant_filter *fl, const char *path, struct nsl_err *err)
{
	struct nsl_lines L = { NULL, NULL };

	if (fl->spool == NULL) {
		if ((fl->spool = nsl_spool_new()) == NULL)
			return oom(err);
		nsl_spool_once(fl->spool);	/* one visit (second pass) */
	}
	if (grow((void **)&fl->inputs, &fl->incap, fl->ninputs + 1,
	    sizeof(*fl->inputs)) != 0)
		return oom(err);
	if (nsl_spool_open(fl->spool, path, err) != 0)
		return -1;
	fl->inputs[fl->ninputs].name = strcmp(path, "-") == 0 ? "<stdin>" :
	    path;
	fl->inputs[fl->ninputs++].first = fl->nrec;
	L.sp = fl->spool;
	return nsl_batch_into(&L, &fl->rec, NSL_BATCH_FN_PLACES, scan_one, fl,
	    err) < 0 ? -1 : 0;
}

/* nsl_quant_filter_file's visit: each record (in fl->rec) quantized */
struct streaming {
	struct nsl_quant_filter *fl;
	struct nsl_quant_stats *st;
	const char *name;
};

static int
stream_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct streaming *S = arg;

	(void)rec;	/* in S->fl->rec, which do_record reads */
	(void)hash;
	if (do_record(S->fl, S->st, err) == 0)
		return 0;
	if (err->code == NSL_EX_DATAERR)
		nsl_err_at(err, S->name, lineno);
	return -1;
}

int
nsl_quant_filter_file(struct nsl_quant_filter *fl, const char *path,
    struct nsl_quant_stats *st, struct nsl_err *err)
{
	struct nsl_lines L = { NULL, NULL };
	struct streaming S;
	struct nsl_reader *r;
	int rc;

	if (need_all(fl))
		return scan_file(fl, path, err);
	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	S.fl = fl;
	S.st = st;
	S.name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	L.r = r;
	rc = nsl_batch_into(&L, &fl->rec, NSL_BATCH_FN_PLACES, stream_one, &S,
	    err);
	nsl_reader_close(r);
	return rc < 0 ? -1 : 0;
}

/* Place err at record i's input and line (the second pass's errors). */
static void
place_record(void *arg, unsigned long i, struct nsl_err *err)
{
	const struct nsl_quant_filter *fl = arg;
	size_t k;

	for (k = fl->ninputs; k-- > 1 && fl->inputs[k].first > i;)
		;
	nsl_err_at(err, fl->inputs[k].name, fl->lineno[i]);
}

/* The second pass over record i (parsed into fl->rec): quantize and
 * write it. */
static int
second(void *arg, struct nsl_rec *rec, unsigned long i, uint64_t hash,
    struct nsl_err *err)
{
	struct nsl_quant_filter *fl = arg;

	(void)rec;	/* in fl->rec, which do_record reads */
	(void)hash;
	if (do_record(fl, fl->st, err) == 0)
		return 0;
	if (err->code == NSL_EX_DATAERR)
		place_record(fl, i, err);
	return -1;
}

/* The spool's visit: each line to the feed, parsed on every thread. */
static int
second_line(void *arg, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	return nsl_batch_feed_line(arg, line, len, (unsigned long)i, err);
}

int
nsl_quant_filter_finish(struct nsl_quant_filter *fl,
    struct nsl_quant_stats *st, double *search_mse, struct nsl_err *err)
{
	struct nsl_quant_scale *sc;
	struct nsl_batch_feed *F;
	unsigned char *all;
	double *two;
	size_t two_len[2];
	int rc;

	if (!need_all(fl) || fl->spool == NULL)
		return 0;
	if (fl->o.search) {
		nsl_quant_release(fl->q);
		if (nsl_quant_search(fl->q, fl->tx, fl->tlen, fl->nrec,
		    search_mse, err) != 0)
			return -1;
		if (nsl_quant_prepare(fl->q, err) != 0)
			return -1;
		free(fl->tx);	/* the second pass needs its memory more */
		fl->tx = NULL;
		fl->tcap = fl->tn = 0;
	}
	/* the extremes rounded as the quantizer rounds the values (beyond
	 * FLT_MAX only with --allow-nonfinite: kept as they are) */
	if (fl->q->f32 && fabs(fl->lo) <= FLT_MAX)
		fl->lo = (float)fl->lo;
	if (fl->q->f32 && fabs(fl->hi) <= FLT_MAX)
		fl->hi = (float)fl->hi;
	nsl_quant_scale_for(fl->q, fl->lo, fl->hi, &fl->tensor);
	if (fl->q->gran == NSL_QG_COLUMN && fl->ncol > 0) {
		/*
		 * A column's scale depends on its extremes alone, so those
		 * of the two rows "least" and "greatest" are those of all
		 * the rows (the lib rounds and clips them as it does rows).
		 */
		if ((two = malloc(2 * fl->ncol * sizeof(double))) == NULL)
			return oom(err);
		memcpy(two, fl->clo, fl->ncol * sizeof(double));
		memcpy(two + fl->ncol, fl->chi, fl->ncol * sizeof(double));
		two_len[0] = two_len[1] = fl->ncol;
		rc = nsl_quant_column_scales(fl->q, two, two_len, 2, &sc,
		    &fl->ncolumns, err);
		free(two);
		if (rc != 0)
			return -1;
		free(fl->columns);
		fl->columns = sc;
	} else if (fl->q->gran == NSL_QG_COLUMN && nsl_quant_column_scales(
	    fl->q, NULL, NULL, 0, &fl->columns, &fl->ncolumns, err) != 0)
		return -1;
	if ((all = malloc(fl->nrec + 1)) == NULL)
		return oom(err);
	memset(all, 1, fl->nrec + 1);
	fl->st = st;
	if ((F = nsl_batch_feed_new(&fl->rec, 0, second, place_record,
	    fl)) == NULL) {
		free(all);
		return oom(err);
	}
	rc = nsl_spool_each(fl->spool, all, second_line, F, err);
	if (rc == 0)
		rc = nsl_batch_feed_end(F, err);
	nsl_batch_feed_free(F);
	free(all);
	return rc;
}

const char *
nsl_quant_filter_check(const struct nsl_quant_filter_opts *o, int stats)
{
	if (!o->format_given && !o->decode)
		return "--format is required (see --list-formats)";
	if (o->decode && (o->emit_codes || o->search || stats))
		return "--decode takes no --emit, --search or --stats";
	return NULL;
}

int
nsl_quant_filter_run(struct nsl_quant *q,
    const struct nsl_quant_filter_opts *o, char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_buf *stats,
    double *search_mse, struct nsl_err *err)
{
	struct nsl_quant_stats st = { 0 }, *stp = stats ? &st : NULL;
	struct nsl_quant_filter *fl;
	size_t i;
	int rc = 0;

	if ((fl = nsl_quant_filter_new(q, o, w, err)) == NULL)
		return -1;
	for (i = 0; i < npaths || (i == 0 && npaths == 0); i++)
		if ((rc = nsl_quant_filter_file(fl, npaths ? paths[i] : "-",
		    stp, err)) != 0)
			break;
	if (rc == 0)
		rc = nsl_quant_filter_finish(fl, stp, search_mse, err);
	if (rc == 0 && stats != NULL)
		nsl_quant_stats_record(stats, q, &st, o->search,
		    search_mse ? *search_mse : 0);
	nsl_quant_filter_free(fl);
	return rc;
}

static void
stat_number(struct nsl_obj *o, const char *key, double v)
{
	nsl_obj_key(o, key);
	nsl_obj_number_or_null(o, v);
}

void
nsl_quant_stats_record(struct nsl_buf *b, const struct nsl_quant *q,
    const struct nsl_quant_stats *st, int searched, double search_mse)
{
	struct nsl_obj o;
	double n = st->count ? (double)st->count : NAN;

	nsl_obj_begin(&o, b);
	nsl_obj_key(&o, "format");
	nsl_obj_string(&o, q->fmt.name);
	nsl_obj_key(&o, "count");
	nsl_obj_integer(&o, (long long)st->count);
	nsl_obj_key(&o, "rows");
	nsl_obj_integer(&o, (long long)st->rows);
	stat_number(&o, "mse", st->sum_e2 / n);
	stat_number(&o, "sqnr_db", 10 * log10(st->sum_x2 / st->sum_e2));
	stat_number(&o, "max_abs_error", st->max_err);
	stat_number(&o, "mean_cosine", st->rows ? st->sum_cos /
	    (double)st->rows : NAN);
	nsl_obj_key(&o, "saturated");
	nsl_obj_integer(&o, (long long)st->saturated);
	nsl_obj_key(&o, "flushed");
	nsl_obj_integer(&o, (long long)st->flushed);
	nsl_obj_key(&o, "nan");
	nsl_obj_integer(&o, (long long)st->nan);
	nsl_obj_key(&o, "inf");
	nsl_obj_integer(&o, (long long)st->inf);
	if (searched) {
		nsl_obj_key(&o, "search_format");
		nsl_obj_string(&o, q->fmt.name);
		stat_number(&o, "search_clip", q->clip);
		stat_number(&o, "search_mse", search_mse);
	}
	nsl_obj_end(&o);
}

/* A number member of the statistics record; null is NaN. */
static int
stat_get(json_t *o, const char *key, double *v)
{
	json_t *m = json_object_get(o, key);

	if (json_is_null(m)) {
		*v = NAN;
		return 0;
	}
	if (!json_is_number(m))
		return -1;
	*v = json_number_value(m);
	return 0;
}

int
nsl_quant_stats_parse(const char *line, size_t len,
    struct nsl_quant_summary *s, struct nsl_err *err)
{
	static const char *const counts[] = { "count", "rows", "saturated",
	    "flushed", "nan", "inf" };
	uint64_t *cv[6];
	json_error_t jerr;
	const char *name, *why = NULL;
	json_t *o, *m;
	size_t i;

	memset(s, 0, sizeof(*s));
	cv[0] = &s->count, cv[1] = &s->rows, cv[2] = &s->saturated;
	cv[3] = &s->flushed, cv[4] = &s->nan, cv[5] = &s->inf;
	if ((o = nsl_json_loadb(line, len, JSON_ALLOW_NUL, &jerr)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		return nsl_err_set(err, NSL_EX_DATAERR, "statistics record: "
		    "not a JSON object");
	}
	if ((name = json_string_value(json_object_get(o, "format"))) == NULL ||
	    strlen(name) >= sizeof(s->format))
		why = "\"format\"";
	else
		strcpy(s->format, name);
	for (i = 0; i < 6 && why == NULL; i++) {
		m = json_object_get(o, counts[i]);
		if (!json_is_integer(m) || json_integer_value(m) < 0)
			why = counts[i];
		else
			*cv[i] = (uint64_t)json_integer_value(m);
	}
	if (why == NULL && (stat_get(o, "mse", &s->mse) != 0 ||
	    stat_get(o, "sqnr_db", &s->sqnr_db) != 0 ||
	    stat_get(o, "max_abs_error", &s->max_abs_error) != 0 ||
	    stat_get(o, "mean_cosine", &s->mean_cosine) != 0))
		why = "an error measure";
	if (why == NULL && (m = json_object_get(o, "search_format")) != NULL) {
		s->searched = 1;
		name = json_string_value(m);
		if (name == NULL || strlen(name) >= sizeof(s->search_format) ||
		    stat_get(o, "search_clip", &s->search_clip) != 0 ||
		    stat_get(o, "search_mse", &s->search_mse) != 0)
			why = "the search";
		else
			strcpy(s->search_format, name);
	}
	json_decref(o);
	if (why != NULL)
		return nsl_err_set(err, NSL_EX_DATAERR, "statistics record: "
		    "bad %s", why);
	return 0;
}
