/*
 * quant_tensor.c - quantize a safetensors checkpoint tensor by tensor (see
 * nsl/quant_tensor.h).
 *
 * The output's tensors are declared first (the header goes out before
 * any data), each with the role it plays: a copy, dequantized values,
 * codes, or one kind of scale.  The writer then asks for them in its own
 * order (dtype alignment, then name), so the scales of a tensor may come
 * before its codes: each role quantizes the tensor again, a batch of rows
 * at a time, rather than hold one of them until the other is asked for.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/quant_tensor.h"
#include "nsl/rng.h"
#include "nsl/safetensors.h"

#define BATCH_VALUES 65536	/* values read at once (at least a row) */

enum role { R_COPY, R_VALUES, R_CODES, R_SCALES, R_E8M0, R_ZERO };

struct decl {
	size_t in;		/* input tensor, file order */
	enum role role;
	const struct nsl_safetensors_dtype *dtype;
};

struct job {
	const struct nsl_quant *q;
	const struct nsl_quant_tensor_opts *o;
	struct nsl_safetensors *st;
	struct nsl_safetensors_writer *w;
	struct decl *decl;
	size_t ndecl;
	/* per input tensor */
	struct nsl_safetensors_summary *sum;
	unsigned char *quantized;	/* 1: has a row in the table */
	struct nsl_quant_scale *tscale;
	unsigned char *tscale_set;
	/* a batch */
	double *x, *out;
	uint8_t *codes;
	unsigned char *bytes;
	struct nsl_quant_scale *scales;
	size_t cap;			/* values x and codes hold */
	size_t bytecap;
	size_t scap;			/* scales held */
	double top;			/* largest magnitude that does not
					   round beyond the format's max */
};

int
nsl_quant_tensor_path(const char *path)
{
	size_t n;

	if (path == NULL)
		return 0;
	n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		n -= 3;
	return n >= 12 && strncmp(path + n - 12, ".safetensors", 12) == 0;
}

const char *
nsl_quant_tensor_check(const struct nsl_quant *q,
    const struct nsl_quant_tensor_opts *o, const char *output)
{
	const struct nsl_safetensors_dtype *dt;
	size_t n = output != NULL ? strlen(output) : 0;

	if (o->ninputs != 1 || o->other_mode)
		return "a .safetensors input comes alone, without --decode or "
		    "--search";
	if ((output == NULL || strcmp(output, "-") == 0) &&
	    isatty(STDOUT_FILENO))
		return "will not write safetensors to a terminal (use -o)";
	if (n > 3 && strcmp(output + n - 3, ".gz") == 0)
		return "-o: safetensors output is not gzipped (loaders map "
		    "the file)";
	if (o->dtype != NULL && ((dt = nsl_safetensors_dtype_find(o->dtype)) ==
	    NULL || dt->kind != NSL_ST_FLOAT))
		return "--dtype: not a floating-point safetensors dtype (F64, "
		    "F32, F16, BF16, F8_E4M3, F8_E5M2)";
	if (o->dtype != NULL && o->emit_codes)
		return "--dtype: the dtype of values, not of codes";
	/* the tensor pass computes one scale per tensor, not per column nor
	 * a fractional block format's second scale over the tensor */
	if (q->gran == NSL_QG_COLUMN)
		return "--scale-by column: not with a .safetensors input (use "
		    "row, block or tensor)";
	if (nsl_quant_fractional(q) && q->outer == NSL_QG_TENSOR)
		return "--scale-by tensor: a block format's second scale over "
		    "a whole checkpoint tensor is not supported (use "
		    "--scale-by row or none)";
	if (nsl_quant_fractional(q) && o->emit_codes)
		return "--emit codes: a block format with a second scale "
		    "(nvfp4, ue4m3 or ue5m3 block scales) is written as "
		    "values from a .safetensors input";
	return NULL;
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/* Is tensor t one we quantize? */
static int
chosen(const struct job *j, const struct nsl_safetensors_tensor *t)
{
	if (j->o->tensor != NULL)
		return strcmp(t->name, j->o->tensor) == 0;
	return t->dtype->kind == NSL_ST_FLOAT;
}

/* The dtype whose bytes are the codes, as they are. */
static const struct nsl_safetensors_dtype *
code_dtype(const struct nsl_quant_format *f)
{
	const char *name = "U8";

	if (f->kind == NSL_QK_FLOAT && f->ebits == 4 && f->mbits == 3 &&
	    f->special == NSL_QS_FN)
		name = "F8_E4M3";
	else if (f->kind == NSL_QK_FLOAT && f->ebits == 5 && f->mbits == 2 &&
	    f->special == NSL_QS_IEEE)
		name = "F8_E5M2";
	else if (f->kind == NSL_QK_INT && f->bits == 8 && !f->mx)
		name = "I8";
	else if (f->kind == NSL_QK_FLOAT && f->bits == 16 && f->ebits == 5)
		name = "F16";	/* float16's codes are binary16's bytes */
	else if (f->kind == NSL_QK_FLOAT && f->bits == 16 && f->ebits == 8)
		name = "BF16";
	return nsl_safetensors_dtype_find(name);
}

static int
declare(struct job *j, size_t in, enum role role, const char *name,
    const char *suffix, const struct nsl_safetensors_dtype *dt, int ndim,
    const uint64_t *shape, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct decl *d;
	long k;

	nsl_buf_adds(&b, name);
	nsl_buf_adds(&b, suffix);
	if (nsl_buf_failed(&b))
		return oom(err);
	k = nsl_safetensors_writer_add(j->w, b.data, dt, ndim, shape, err);
	nsl_buf_release(&b);
	if (k < 0)
		return -1;
	if ((d = realloc(j->decl, (j->ndecl + 1) * sizeof(*d))) == NULL)
		return oom(err);
	j->decl = d;
	d[j->ndecl].in = in;
	d[j->ndecl].role = role;
	d[j->ndecl].dtype = dt;
	j->ndecl++;
	return 0;
}

/* The output's tensors and metadata. */
static int
declare_all(struct job *j, struct nsl_err *err)
{
	const struct nsl_quant *q = j->q;
	const struct nsl_safetensors_tensor *t;
	const struct nsl_safetensors_dtype *f32, *u8, *vt;
	uint64_t shape[2];
	size_t i, n = nsl_safetensors_count(j->st);
	int found = 0, nd;
	char num[32];

	f32 = nsl_safetensors_dtype_find("F32");
	u8 = nsl_safetensors_dtype_find("U8");
	vt = j->o->dtype != NULL ? nsl_safetensors_dtype_find(j->o->dtype) :
	    NULL;
	for (i = 0; i < nsl_safetensors_meta_count(j->st); i++)
		if (strncmp(nsl_safetensors_meta_key(j->st, i), "nsl.", 4) != 0 &&
		    nsl_safetensors_writer_meta(j->w,
		    nsl_safetensors_meta_key(j->st, i),
		    nsl_safetensors_meta_value(j->st, i), err) != 0)
			return -1;
	snprintf(num, sizeof(num), "%zu", q->block);
	if (nsl_safetensors_writer_meta(j->w, "nsl.format", q->fmt.name,
	    err) != 0 || nsl_safetensors_writer_meta(j->w, "nsl.scale",
	    nsl_quant_gran_names[q->gran], err) != 0 ||
	    (q->gran == NSL_QG_BLOCK && nsl_safetensors_writer_meta(j->w,
	    "nsl.block", num, err) != 0) ||
	    nsl_safetensors_writer_meta(j->w, "nsl.emit", j->o->emit_codes ?
	    "codes" : "values", err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		t = nsl_safetensors_tensor(j->st, i);
		if (!chosen(j, t)) {
			if (declare(j, i, R_COPY, t->name, "", t->dtype, t->ndim,
			    t->shape, err) != 0)
				return -1;
			continue;
		}
		found = 1;
		if (t->dtype->kind != NSL_ST_FLOAT)
			return nsl_err_set(err, NSL_EX_DATAERR, "tensor \"%s\": "
			    "%s is not a floating-point dtype", t->name,
			    t->dtype->name);
		j->quantized[i] = 1;
		if (!j->o->emit_codes) {
			if (declare(j, i, R_VALUES, t->name, "", vt != NULL ? vt :
			    t->dtype, t->ndim, t->shape, err) != 0)
				return -1;
			continue;
		}
		if (declare(j, i, R_CODES, t->name, "", code_dtype(&q->fmt),
		    t->ndim, t->shape, err) != 0)
			return -1;
		if (q->gran == NSL_QG_NONE)
			continue;
		shape[0] = q->gran == NSL_QG_TENSOR ? 1 : t->rows;
		shape[1] = nsl_quant_nspans(q, (size_t)t->ncols);
		nd = q->gran == NSL_QG_TENSOR ? 1 : 2;
		if (q->fmt.mx) {
			if (declare(j, i, R_E8M0, t->name, ".e8m0", u8, nd,
			    shape, err) != 0)
				return -1;
			continue;
		}
		if (declare(j, i, R_SCALES, t->name, ".scales", f32, nd, shape,
		    err) != 0)
			return -1;
		if (q->fmt.kind == NSL_QK_INT && q->asymmetric &&
		    declare(j, i, R_ZERO, t->name, ".zero_points", u8, nd,
		    shape, err) != 0)
			return -1;
	}
	if (j->o->tensor != NULL && !found)
		return nsl_err_set(err, NSL_EX_DATAERR, "no tensor \"%s\"",
		    j->o->tensor);
	return 0;
}

/* Room for a batch of rows of t. */
static int
batch_room(struct job *j, const struct nsl_safetensors_tensor *t,
    uint64_t *batch, struct nsl_err *err)
{
	size_t need, spans = nsl_quant_nspans(j->q, (size_t)t->ncols) + 1;
	void *p;

	*batch = t->ncols > 0 && t->ncols < BATCH_VALUES ? BATCH_VALUES /
	    t->ncols : 1;
	if (*batch > t->rows)
		*batch = t->rows;
	if (t->ncols > SIZE_MAX / 16 / (*batch > 0 ? *batch : 1))
		return oom(err);
	need = (size_t)(*batch * t->ncols);
	if (need == 0)
		need = 1;
	if (need > j->cap) {
		if ((p = realloc(j->x, need * sizeof(double))) == NULL)
			return oom(err);
		j->x = p;
		/* (two bytes a code for the 16-bit formats) */
		if ((p = realloc(j->codes, need * 2)) == NULL)
			return oom(err);
		j->codes = p;
		/* a batch holds a row at least: room for one is here */
		if ((p = realloc(j->out, need * sizeof(double))) == NULL)
			return oom(err);
		j->out = p;
		j->cap = need;
	}
	/* bytes: values of up to 8 bytes, or a batch of scales */
	if (need * 8 > j->bytecap || spans * *batch * 4 > j->bytecap) {
		j->bytecap = need * 8 > spans * *batch * 4 ? need * 8 :
		    spans * *batch * 4;
		if ((p = realloc(j->bytes, j->bytecap)) == NULL)
			return oom(err);
		j->bytes = p;
	}
	if (spans > j->scap) {
		if ((p = realloc(j->scales, spans * sizeof(*j->scales))) ==
		    NULL)
			return oom(err);
		j->scales = p;
		j->scap = spans;
	}
	return 0;
}

/* A value we may not take or give: placed at the file, naming where. */
static int
bad_value(struct job *j, const struct nsl_safetensors_tensor *t,
    uint64_t row, size_t col, double v, int made, struct nsl_err *err)
{
	const char *what = isnan(v) ? "NaN" : v > 0 ? "Infinity" :
	    "-Infinity";

	nsl_err_at(err, nsl_safetensors_name(j->st), 0);
	if (made)
		return nsl_err_set(err, NSL_EX_DATAERR, "tensor \"%s\" row %"
		    PRIu64 ": element %zu becomes %s in %s (see --saturate, "
		    "--allow-nonfinite)", t->name, row, col, what,
		    j->q->fmt.name);
	return nsl_err_set(err, NSL_EX_DATAERR, "tensor \"%s\" row %" PRIu64
	    ": element %zu: %s (see --allow-nonfinite)", t->name, row, col,
	    what);
}

/* The tensor scale: the range of the whole tensor, as the filter's. */
static int
tensor_scale(struct job *j, size_t in, const struct nsl_safetensors_tensor *t,
    struct nsl_err *err)
{
	double lo = 0, hi = 0, v;
	uint64_t r, batch, i, n;

	if (j->tscale_set[in])
		return 0;
	if (batch_room(j, t, &batch, err) != 0)
		return -1;
	for (r = 0; r < t->rows; r += n) {
		n = t->rows - r < batch ? t->rows - r : batch;
		if (nsl_safetensors_read_rows(j->st, t, r, n, j->x, err) != 0)
			return -1;
		for (i = 0; i < n * t->ncols; i++) {
			v = j->x[i];
			if (j->q->f32 && fabs(v) <= FLT_MAX)
				v = (float)v;
			if (isnan(v) || isnan(lo)) {
				lo = hi = NAN;
				continue;
			}
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
	}
	nsl_quant_scale_for(j->q, lo, hi, &j->tscale[in]);
	j->tscale_set[in] = 1;
	return 0;
}

/*
 * Saturation is rounding beyond the largest value: a value past max by
 * more than half the step below max (the step to the next value down,
 * from the format's table of values).
 */
static double
top_of(const struct nsl_quant_format *f)
{
	double below = 0, v;
	unsigned c;

	for (c = 0; c < 1u << f->bits; c++) {
		v = nsl_quant_decode(f, c);
		if (isfinite(v) && v < f->max && v > below)
			below = v;
	}
	return f->max + (f->max - below) / 2;
}

/* Add one row's errors, span by span (each has its saturation limit). */
static void
row_stats(const struct job *j, const struct nsl_quant_scale *tscale,
    const double *x, const double *q, size_t n,
    struct nsl_safetensors_stats *s)
{
	const struct nsl_quant *qq = j->q;
	double max = j->top;
	size_t b, len, span;

	if (qq->rotate || (qq->fmt.kind == NSL_QK_INT && qq->asymmetric)) {
		nsl_safetensors_stats_add(s, x, q, n, INFINITY);
		return;
	}
	switch (qq->gran) {
	case NSL_QG_NONE:
		nsl_safetensors_stats_add(s, x, q, n, max);
		return;
	case NSL_QG_TENSOR:
		nsl_safetensors_stats_add(s, x, q, n, max * tscale->scale);
		return;
	case NSL_QG_ROW:
		nsl_safetensors_stats_add(s, x, q, n, max * j->scales[0].scale);
		return;
	default:
		span = qq->block;
		for (b = 0; b * span < n; b++) {
			len = n - b * span < span ? n - b * span : span;
			nsl_safetensors_stats_add(s, x + b * span, q + b * span,
			    len, max * j->scales[b].scale);
		}
	}
}

/* Write declared tensor d: its bytes, a batch of rows at a time. */
static int
run(struct job *j, const struct decl *d, struct nsl_err *err)
{
	const struct nsl_safetensors_tensor *t = nsl_safetensors_tensor(j->st,
	    d->in);
	const struct nsl_quant_scale *ts = &j->tscale[d->in];
	const struct nsl_safetensors_dtype *f32 =
	    nsl_safetensors_dtype_find("F32");
	struct nsl_safetensors_stats s;
	struct nsl_safetensors_summary m;
	size_t c, k, spans, nb, ncols = (size_t)t->ncols;
	uint64_t r, b, batch, n;
	gsl_rng *rng = NULL;
	unsigned char *p;
	double *xr;
	int rc = -1;

	if (d->role == R_COPY)
		return nsl_safetensors_writer_raw(j->w, nsl_safetensors_raw(j->st,
		    t), (size_t)(t->end - t->begin), err);
	if (j->q->gran == NSL_QG_TENSOR && tensor_scale(j, d->in, t, err) != 0)
		return -1;
	if (j->q->gran == NSL_QG_TENSOR && d->role != R_CODES &&
	    d->role != R_VALUES) {
		/* one scale for the tensor: write it alone */
		if (d->role == R_SCALES)
			nsl_safetensors_encode(f32, ts->scale, 1, j->bytes);
		else
			j->bytes[0] = (unsigned char)(d->role == R_E8M0 ?
			    ts->e8m0 : ts->zero);
		return nsl_safetensors_writer_raw(j->w, j->bytes, d->dtype->size,
		    err);
	}
	if (batch_room(j, t, &batch, err) != 0)
		return -1;
	/* codes and values draw the rounding; scales do not depend on it */
	if (j->q->stochastic && (d->role == R_CODES || d->role == R_VALUES) &&
	    (rng = nsl_rng_new(j->q->seed, d->in)) == NULL)
		return oom(err);
	spans = nsl_quant_nspans(j->q, ncols);
	nsl_safetensors_stats_init(&s);
	for (r = 0; r < t->rows; r += n) {
		n = t->rows - r < batch ? t->rows - r : batch;
		if (nsl_safetensors_read_rows(j->st, t, r, n, j->x, err) != 0)
			goto out;
		p = j->bytes;
		for (b = 0; b < n; b++) {
			xr = j->x + b * ncols;
			for (c = 0; c < ncols && !j->o->allow_nonfinite; c++)
				if (!isfinite(xr[c])) {
					bad_value(j, t, r + b, c, xr[c], 0, err);
					goto out;
				}
			nsl_quant_vector(j->q, xr, ncols, j->out, j->codes +
			    b * ncols * nsl_quant_code_size(&j->q->fmt),
			    j->scales, ts, rng, NULL);
			for (c = 0; c < ncols && !j->o->allow_nonfinite; c++)
				if (!isfinite(j->out[c])) {
					bad_value(j, t, r + b, c, j->out[c], 1,
					    err);
					goto out;
				}
			switch (d->role) {
			case R_VALUES:
				/* the values as stored: what the table is of */
				for (c = 0; c < ncols; c++) {
					nsl_safetensors_encode(d->dtype,
					    j->out[c], 1, p);
					j->out[c] = nsl_safetensors_decode(
					    d->dtype, p);
					p += d->dtype->size;
				}
				row_stats(j, ts, xr, j->out, ncols, &s);
				break;
			case R_CODES:
				row_stats(j, ts, xr, j->out, ncols, &s);
				break;
			case R_SCALES:
				for (k = 0; k < spans; k++, p += 4)
					nsl_safetensors_encode(f32,
					    j->scales[k].scale, 1, p);
				break;
			case R_E8M0:
				for (k = 0; k < spans; k++)
					*p++ = (unsigned char)j->scales[k].e8m0;
				break;
			default:
				for (k = 0; k < spans; k++)
					*p++ = (unsigned char)j->scales[k].zero;
				break;
			}
		}
		if (d->role == R_CODES)
			nb = (size_t)(n * ncols) *
			    nsl_quant_code_size(&j->q->fmt);
		else
			nb = (size_t)(p - j->bytes);
		if (nsl_safetensors_writer_raw(j->w, d->role == R_CODES ?
		    j->codes : j->bytes, nb, err) != 0)
			goto out;
	}
	if (d->role == R_VALUES || d->role == R_CODES) {
		nsl_safetensors_stats_summary(&s, &m);
		j->sum[d->in] = m;
	}
	rc = 0;
out:
	if (rng != NULL)
		gsl_rng_free(rng);
	return rc;
}

int
nsl_quant_tensor_file(const struct nsl_quant *q,
    const struct nsl_quant_tensor_opts *o, const char *path,
    struct nsl_writer *out, struct nsl_err *err)
{
	const struct nsl_safetensors_tensor *t;
	struct job j;
	struct nsl_obj ob;
	size_t i, n;
	long k;
	int rc = -1;

	memset(&j, 0, sizeof(j));
	j.q = q;
	j.o = o;
	j.top = top_of(&q->fmt);
	if ((j.st = nsl_safetensors_open(path, err)) == NULL)
		return -1;
	n = nsl_safetensors_count(j.st);
	if ((j.w = nsl_safetensors_writer_new(0)) == NULL ||
	    (j.sum = calloc(n + 1, sizeof(*j.sum))) == NULL ||
	    (j.quantized = calloc(n + 1, 1)) == NULL ||
	    (j.tscale = calloc(n + 1, sizeof(*j.tscale))) == NULL ||
	    (j.tscale_set = calloc(n + 1, 1)) == NULL) {
		oom(err);
		goto out;
	}
	if (declare_all(&j, err) != 0) {
		nsl_err_at(err, nsl_safetensors_name(j.st), 0);
		goto out;
	}
	if (nsl_safetensors_writer_begin(j.w, out, err) != 0)
		goto out;
	while ((k = nsl_safetensors_writer_next(j.w)) >= 0)
		if (run(&j, &j.decl[k], err) != 0)
			goto out;
	if (nsl_safetensors_writer_finish(j.w, err) != 0)
		goto out;
	for (i = 0; i < n && o->table != NULL; i++) {
		if (!j.quantized[i])
			continue;
		t = nsl_safetensors_tensor(j.st, i);
		if (t->nelem == 0)	/* never run: no values, no errors */
			nsl_safetensors_stats_summary(&(struct
			    nsl_safetensors_stats){ 0 }, &j.sum[i]);
		nsl_obj_begin(&ob, o->table);
		nsl_safetensors_stats_write(&ob, t->name, t->dtype, t->ndim,
		    t->shape, &j.sum[i]);
		nsl_obj_end(&ob);
	}
	if (o->table != NULL && nsl_buf_failed(o->table)) {
		oom(err);
		goto out;
	}
	rc = 0;
out:
	nsl_safetensors_writer_free(j.w);
	nsl_safetensors_close(j.st);
	free(j.decl);
	free(j.sum);
	free(j.quantized);
	free(j.tscale);
	free(j.tscale_set);
	free(j.x);
	free(j.out);
	free(j.codes);
	free(j.bytes);
	free(j.scales);
	return rc;
}
