/*
 * Unit tests of lib/quant_tensor.c through nsl/quant_tensor.h: the
 * name test and the check, then a small checkpoint written here
 * quantized to int8 per row, as values and as codes with scales, read
 * back through nsl/safetensors.h.  The expected codes are those of the
 * int8 definition (nsl/quant.h: scale float32(amax/127), code the
 * nearest integer of x/scale, value float32(code * scale)), worked out
 * here from it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/json.h"
#include "nsl/quant_tensor.h"
#include "nsl/safetensors.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("quant-tensor") */
static char in[128], out[128];

static const double W[2][4] = { { 1, -0.5, 0.25, 0 }, { 3, 3, -3, 1.5 } };

/* model: "w" F32 [2, 4] (W), "ids" I32 [2] {7, 9}; nan: "w" with a NaN */
static void
write_model(const char *path, int nan)
{
	struct nsl_safetensors_writer *w = nsl_safetensors_writer_new(0);
	static const uint64_t sw[2] = { 2, 4 }, si[1] = { 2 };
	double ids[2] = { 7, 9 }, x[8];
	struct nsl_err err;
	FILE *fp = fopen(path, "wb");
	long k;

	memcpy(x, W, sizeof(x));
	if (nan)
		x[5] = NAN;
	nsl_safetensors_writer_add(w, "w", nsl_safetensors_dtype_find("F32"),
	    2, sw, &err);
	nsl_safetensors_writer_add(w, "ids", nsl_safetensors_dtype_find("I32"),
	    1, si, &err);
	nsl_safetensors_writer_begin_file(w, fp, &err);
	while ((k = nsl_safetensors_writer_next(w)) >= 0)
		nsl_safetensors_writer_rows(w, k == 0 ? x : ids, k == 0 ? 2 : 1,
		    &err);
	nsl_safetensors_writer_finish(w, &err);
	nsl_safetensors_writer_free(w);
	fclose(fp);
}

static int
prepare(struct nsl_quant *q, const char *name)
{
	struct nsl_err err;

	memset(q, 0, sizeof(*q));
	q->f32 = 1;
	q->clip = 1;
	if (nsl_quant_format_parse(&q->fmt, name, &err) != 0)
		return -1;
	nsl_quant_set_scaling(q, 0, -1);
	return nsl_quant_prepare(q, &err);
}

static int
run(struct nsl_quant *q, struct nsl_quant_tensor_opts *o, const char *from,
    struct nsl_err *err)
{
	struct nsl_writer *w;

	nsl_err_clear(err);
	if ((w = nsl_writer_open(out, err)) == NULL)
		return -1;
	if (nsl_quant_tensor_file(q, o, from, w, err) != 0) {
		nsl_writer_abort(w);
		return -1;
	}
	return nsl_writer_commit(w, err);
}

/* The int8 code and value of W[r][c]. */
static void
expect(int r, int c, long *code, double *value, double *scale)
{
	double amax = 0;
	int i;

	for (i = 0; i < 4; i++)
		amax = fmax(amax, fabs(W[r][i]));
	*scale = (float)(amax / 127);
	*code = lrint(W[r][c] / *scale);
	*value = (float)(*code * *scale);
}

static void
test_names(void)
{
	struct nsl_quant_tensor_opts o = { .ninputs = 1 };
	struct nsl_quant q;

	UNIT_CHECK(nsl_quant_tensor_path("m.safetensors") &&
	    nsl_quant_tensor_path("d/m.safetensors.gz") &&
	    !nsl_quant_tensor_path("m.jsonl") &&
	    !nsl_quant_tensor_path("safetensors") &&
	    !nsl_quant_tensor_path(NULL),
	    "a checkpoint is known by its .safetensors name");
	memset(&q, 0, sizeof(q));
	UNIT_CHECK(nsl_quant_tensor_check(&q, &o, "o.safetensors") == NULL,
	    "check: one input to a file passes");
	UNIT_CHECK(strstr(nsl_quant_tensor_check(&q, &o, "o.safetensors.gz"),
	    "gzipped") != NULL, "check: a .gz output is refused");
	o.dtype = "I8";
	UNIT_CHECK(strstr(nsl_quant_tensor_check(&q, &o, "o.safetensors"),
	    "--dtype") != NULL, "check: an integer --dtype is refused");
	o.dtype = "BF16";
	o.emit_codes = 1;
	UNIT_CHECK(nsl_quant_tensor_check(&q, &o, "o.safetensors") != NULL,
	    "check: --dtype goes with values, not codes");
	o.dtype = NULL;
	o.ninputs = 2;
	UNIT_CHECK(nsl_quant_tensor_check(&q, &o, "o.safetensors") != NULL,
	    "check: a checkpoint comes alone");
}

static void
test_values(void)
{
	struct nsl_quant_tensor_opts o = { .ninputs = 1 };
	const struct nsl_safetensors_tensor *t;
	struct nsl_safetensors_summary m;
	const struct nsl_safetensors_dtype *dt;
	struct nsl_buf table = NSL_BUF_INIT, name = NSL_BUF_INIT;
	struct nsl_safetensors *st;
	struct nsl_quant q;
	struct nsl_err err;
	struct nsl_rec rec;
	double x[8], v, s, e2 = 0, x2 = 0, emax = 0;
	uint64_t shape[4];
	long code;
	int r, c, ok = 1, nd;

	UNIT_CHECK(prepare(&q, "int8") == 0, "int8 prepares");
	o.table = &table;
	UNIT_CHECK(run(&q, &o, in, &err) == 0, "int8 values: runs (%s)",
	    err.msg);
	st = nsl_safetensors_open(out, &err);
	UNIT_CHECK(st != NULL && nsl_safetensors_count(st) == 2,
	    "int8 values: a checkpoint of two tensors");
	if (st == NULL)
		return;
	t = nsl_safetensors_find(st, "w", NULL);
	UNIT_CHECK(t != NULL && strcmp(t->dtype->name, "F32") == 0 &&
	    t->rows == 2 && t->ncols == 4, "w: F32 [2, 4] as it was");
	nsl_safetensors_read_rows(st, t, 0, 2, x, &err);
	for (r = 0; r < 2; r++)
		for (c = 0; c < 4; c++) {
			expect(r, c, &code, &v, &s);
			ok &= x[r * 4 + c] == v;
			e2 += (W[r][c] - v) * (W[r][c] - v);
			x2 += W[r][c] * W[r][c];
			emax = fmax(emax, fabs(W[r][c] - v));
		}
	UNIT_CHECK(ok, "w: each value float32(round(x/scale) scale)");
	t = nsl_safetensors_find(st, "ids", NULL);
	nsl_safetensors_read_rows(st, t, 0, 1, x, &err);
	UNIT_CHECK(strcmp(t->dtype->name, "I32") == 0 && x[0] == 7 &&
	    x[1] == 9, "ids: an integer tensor is copied as it was");
	UNIT_CHECK(nsl_safetensors_meta_get(st, "nsl.format") != NULL &&
	    strcmp(nsl_safetensors_meta_get(st, "nsl.format"), "int8") == 0 &&
	    strcmp(nsl_safetensors_meta_get(st, "nsl.scale"), "row") == 0,
	    "metadata: nsl.format and nsl.scale");
	nsl_safetensors_close(st);
	nsl_rec_init(&rec, 0);
	UNIT_CHECK(table.len > 0 && memchr(table.data, '\n', table.len) ==
	    table.data + table.len - 1, "the table: one record (one float "
	    "tensor)");
	UNIT_CHECK(nsl_rec_parse(&rec, table.data, table.len - 1, &err) == 0 &&
	    nsl_safetensors_stats_parse(&rec, &name, &dt, &nd, shape, 4, &m,
	    &err) == 0 && strcmp(name.data, "w") == 0 && m.n == 8 &&
	    fabs(m.mse - e2 / 8) <= 1e-15 * e2 &&
	    fabs(m.sqnr_db - 10 * log10(x2 / e2)) < 1e-9 &&
	    m.max_abs_error == emax && m.saturated == 0 && m.flushed == 0,
	    "the table: n, mse, sqnr_db, max error of w as worked out");
	nsl_rec_release(&rec);
	nsl_buf_release(&table);
	nsl_buf_release(&name);
	nsl_quant_release(&q);
}

static void
test_codes(void)
{
	struct nsl_quant_tensor_opts o = { .ninputs = 1, .emit_codes = 1 };
	const struct nsl_safetensors_tensor *t, *ts;
	struct nsl_safetensors *st;
	struct nsl_quant q;
	struct nsl_err err;
	double x[8], sc[2], v, s;
	long code;
	int r, c, ok = 1;

	prepare(&q, "int8");
	UNIT_CHECK(run(&q, &o, in, &err) == 0, "int8 codes: runs");
	if ((st = nsl_safetensors_open(out, &err)) == NULL)
		return;
	t = nsl_safetensors_find(st, "w", NULL);
	ts = nsl_safetensors_find(st, "w.scales", NULL);
	UNIT_CHECK(t != NULL && ts != NULL && strcmp(t->dtype->name, "I8") ==
	    0 && strcmp(ts->dtype->name, "F32") == 0 && ts->ndim == 2 &&
	    ts->shape[0] == 2 && ts->shape[1] == 1,
	    "codes: w as I8, w.scales F32 [2, 1]");
	if (t != NULL && ts != NULL) {
		nsl_safetensors_read_rows(st, t, 0, 2, x, &err);
		nsl_safetensors_read_rows(st, ts, 0, 2, sc, &err);
		for (r = 0; r < 2; r++)
			for (c = 0; c < 4; c++) {
				expect(r, c, &code, &v, &s);
				ok &= x[r * 4 + c] == code && sc[r] == s;
			}
		UNIT_CHECK(ok, "codes: round(x/scale), the row's scale beside");
	}
	nsl_safetensors_close(st);
	nsl_quant_release(&q);
}

static void
test_errors(void)
{
	struct nsl_quant_tensor_opts o = { .ninputs = 1, .tensor = "nope" };
	char nan[160];
	struct nsl_quant q;
	struct nsl_err err;

	prepare(&q, "int8");
	UNIT_CHECK(run(&q, &o, in, &err) != 0 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "no tensor \"nope\"") != NULL,
	    "--tensor naming no tensor: 65");
	o.tensor = "ids";
	UNIT_CHECK(run(&q, &o, in, &err) != 0 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "I32 is not a floating-point dtype") != NULL,
	    "--tensor naming an integer tensor: 65");
	o.tensor = NULL;
	snprintf(nan, sizeof(nan), "%s/nan.safetensors", dir);
	write_model(nan, 1);
	UNIT_CHECK(run(&q, &o, nan, &err) != 0 && err.code == NSL_EX_DATAERR &&
	    strstr(err.msg, "tensor \"w\" row 1: element 1: NaN") != NULL,
	    "NaN in the input: 65 naming tensor, row, element (%s)", err.msg);
	UNIT_CHECK(access(out, F_OK) != 0, "a failed run leaves no output");
	nsl_quant_release(&q);
}

int
main(void)
{
	if ((dir = unit_tmpdir("quant-tensor")) == NULL)
		return 1;
	snprintf(in, sizeof(in), "%s/model.safetensors", dir);
	snprintf(out, sizeof(out), "%s/out.safetensors", dir);
	write_model(in, 0);
	test_names();
	test_values();
	test_codes();
	unlink(out);
	test_errors();
	unlink(in);
	snprintf(in, sizeof(in), "%s/nan.safetensors", dir);
	unlink(in);
	unlink(out);
	rmdir(dir);
	return unit_done();
}
