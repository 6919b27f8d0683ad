/*
 * fuzz_quantize.c - libFuzzer target of nsl-quantize's options and
 * records (see fuzz.h for the input and the common checks).
 *
 * The options are mapped as tools/nsl-quantize.c maps them (--format
 * through the format parser, eXmY names included) and the records go
 * through the JSONL filter.  Invariants checked: failures are 64 or 65;
 * without --allow-nonfinite the output is strict JSON, a line per record;
 * with --emit codes, decoding the codes (--decode) gives the same bytes
 * as --emit values.
 */
#include <math.h>

#include "fuzz.h"
#include "nsl/quant.h"

static int
fz_pick(const char *v, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

/* Run one filter over z->in into path; returns 0, or -1 (err set). */
static int
run_filter(struct nsl_quant *q, const struct nsl_quant_filter_opts *o,
    const char *in, const char *path, struct nsl_err *err)
{
	struct nsl_quant_filter *fl;
	struct nsl_quant_stats st;
	struct nsl_writer *w;
	double mse = 0;

	memset(&st, 0, sizeof(st));
	if ((w = nsl_writer_open(path, err)) == NULL)
		FUZZ_FAIL("quantize: cannot write %s: %s", path, err->msg);
	if ((fl = nsl_quant_filter_new(q, o, w, err)) == NULL)
		FUZZ_FAIL("quantize: out of memory");
	if (nsl_quant_filter_file(fl, in, &st, err) != 0 ||
	    nsl_quant_filter_finish(fl, &st, &mse, err) != 0) {
		nsl_quant_filter_free(fl);
		nsl_writer_abort(w);
		return -1;
	}
	nsl_quant_filter_free(fl);
	if (nsl_writer_commit(w, err) != 0)
		FUZZ_FAIL("quantize: commit: %s", err->msg);
	return 0;
}

static void
fuzz_quantize(const uint8_t *data, size_t size)
{
	static const char *const grans[] = { "none", "tensor", "row", "block",
	    NULL };
	static const char *const modes[] = { "floor", "ceil", "rceil", NULL };
	static const char *const roundings[] = { "nearest-even", "stochastic",
	    NULL };
	static const char *const emits[] = { "values", "codes", NULL };
	struct nsl_quant_filter_opts o;
	struct nsl_quant q;
	struct nsl_err err;
	struct fz z;
	const char *format = NULL, *v;
	char out2[160], out3[160];
	size_t i;
	int gran = -1, x, checked = 0, rc;
	double d, block = 0;

	if (fz_open(&z, data, size) != 0)
		return;
	memset(&q, 0, sizeof(q));
	memset(&o, 0, sizeof(o));
	q.f32 = 1;
	q.clip = 1;
	o.field = "embedding";
	nsl_err_clear(&err);
	for (i = 0; i < (size_t)z.argc; i++) {
		int k = (int)i;

		if ((v = fz_val(&z, &k, "--format")) != NULL) {
			format = v;
		} else if ((v = fz_val(&z, &k, "--block")) != NULL) {
			if (fz_num(v, 1, 1 << 16, &block) != 0 ||
			    block != floor(block))
				goto out;
		} else if ((v = fz_val(&z, &k, "--scale-by")) != NULL) {
			if ((gran = fz_pick(v, grans)) < 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--scale-mode")) != NULL) {
			if ((x = fz_pick(v, modes)) < 0)
				goto out;
			q.scale_mode = (enum nsl_quant_scale_mode)x;
		} else if ((v = fz_val(&z, &k, "--rounding")) != NULL) {
			if ((q.stochastic = fz_pick(v, roundings)) < 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--emit")) != NULL) {
			if ((o.emit_codes = fz_pick(v, emits)) < 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--rotate")) != NULL) {
			if (strcmp(v, "hadamard") != 0)
				goto out;
			q.rotate = 1;
		} else if ((v = fz_val(&z, &k, "--seed")) != NULL) {
			if (fz_num(v, 0, 1e15, &d) != 0 || d != floor(d))
				goto out;
			q.seed = (uint64_t)d;
		} else if ((v = fz_val(&z, &k, "--field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			o.field = v;
		} else if (strcmp(z.argv[i], "--asymmetric") == 0) {
			q.asymmetric = 1;
		} else if (strcmp(z.argv[i], "--saturate") == 0) {
			q.opts |= NSL_QO_SATURATE;
		} else if (strcmp(z.argv[i], "--no-f32") == 0) {
			q.f32 = 0;
		} else if (strcmp(z.argv[i], "--search") == 0) {
			o.search = 1;
		} else if (strcmp(z.argv[i], "--decode") == 0) {
			o.decode = 1;
		} else if (strcmp(z.argv[i], "--allow-nonfinite") == 0) {
			o.allow_nonfinite = 1;
		} else if (strcmp(z.argv[i], "--float32") == 0) {
			o.style = NSL_NUM_FLOAT32;
		} else
			goto out;
		i = (size_t)k;
	}
	/* the writers' check, as the tool's option parsing sets it */
	nsl_json_allow_nonfinite(o.allow_nonfinite);
	/* the tool's checks (tools/nsl-quantize.c) */
	if (format == NULL && !o.decode)
		goto out;
	if (o.decode && (o.emit_codes || o.search))
		goto out;
	if (format != NULL && nsl_quant_format_parse(&q.fmt, format, &err)) {
		fz_err(&err, "quantize: --format");
		goto out;
	}
	nsl_quant_set_scaling(&q, (size_t)block, gran);
	if (q.gran == NSL_QG_BLOCK && q.block == 0)
		goto out;
	if (!o.decode) {
		checked = 1;
		if (nsl_quant_prepare(&q, &err) != 0)
			goto out;
	}
	o.format_given = format != NULL;
	if (run_filter(&q, &o, z.in, z.out, &err) != 0) {
		fz_err(&err, "quantize");
		goto out;
	}
	if (!o.allow_nonfinite)
		fz_strict_file(z.out, "quantize");
	if (o.emit_codes && !o.search && !o.allow_nonfinite) {
		struct nsl_quant_filter_opts od = o, ov = o;
		char *a, *b;
		size_t na, nb;

		snprintf(out2, sizeof(out2), "%s/out2.jsonl", fz_dir());
		snprintf(out3, sizeof(out3), "%s.values", z.out);
		od.emit_codes = 0;
		od.decode = 1;
		od.format_given = 1;
		ov.emit_codes = 0;
		rc = run_filter(&q, &od, z.out, out2, &err);
		if (rc != 0)
			FUZZ_FAIL("quantize: our codes do not decode: %s:%lu: "
			    "%s", err.file, err.line, err.msg);
		if (run_filter(&q, &ov, z.in, out3, &err) != 0)
			FUZZ_FAIL("quantize: --emit values fails where codes "
			    "did not: %s", err.msg);
		a = fz_slurp(out2, &na);
		b = fz_slurp(out3, &nb);
		if (a == NULL || b == NULL || na != nb || memcmp(a, b, na) != 0)
			FUZZ_FAIL("quantize: decoded codes differ from --emit "
			    "values:\n%.400s\n%.400s", a ? a : "", b ? b : "");
		free(a);
		free(b);
		unlink(out2);
		unlink(out3);
	}
out:
	if (checked)
		nsl_quant_release(&q);
	fz_close(&z);
}

#ifndef FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quantize(data, size);
	return 0;
}
#endif
