/*
 * test_props.c - property tests of the tool families' option and record
 * handling (prune, score, fit, quantize): the libFuzzer targets of
 * tests/fuzz/ run on seeded random inputs -- command lines drawn from
 * each tool's options (valid values and invalid ones) and record sets
 * drawn from each tool's fields (numbers from 0 to 1e300, -0 and
 * subnormals, strings with escapes, wrong types, missing fields, blank
 * and malformed lines) -- and on their seed corpora.  Each target checks
 * what tests/fuzz/fuzz.h says (a failure is exit 64 or 65, every line
 * written is strict JSON) and its family's invariants; here a failed
 * check is a failed test naming the input, instead of an abort.
 *
 * Deterministic: the inputs come from a fixed seed (NSL_PROPS_SEED
 * overrides it, NSL_PROPS_N the count per family; UNIT_QUICK runs fewer).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static jmp_buf fz_jump;
static int fz_failed;
static char fz_msg[1024];

static void __attribute__((format(printf, 1, 2)))
fz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fz_msg, sizeof(fz_msg), fmt, ap);
	va_end(ap);
	fz_failed = 1;
	longjmp(fz_jump, 1);
}

#define FUZZ_FAIL(...) fz_fail(__VA_ARGS__)
#define FUZZ_NO_MAIN 1

#include "../fuzz/fuzz_prune.c"
#include "../fuzz/fuzz_score.c"
#include "../fuzz/fuzz_fit.c"
#include "../fuzz/fuzz_quantize.c"

/* ---- seeded random inputs ---- */

static uint64_t rs;

static uint64_t
rnd(void)
{
	/* xorshift64* */
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static size_t
below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

#define PICK(a) ((a)[below(sizeof(a) / sizeof(*(a)))])

static const char *const numbers[] = {
	"0", "-0", "1", "2", "2.0", "2e0", "3", "-1", "0.5", "0.25", "1.5",
	"10", "100", "1000", "1e6", "123456789", "0.001", "1e-7", "-2.5",
	"7", "12", "0.1", "0.9", "0.99", "64", "1e9", "3e10", "1e12",
	"5e-324", "2.2250738585072014e-308", "1e-300", "1e300", "-1e300",
	"1.7976931348623157e308", "9007199254740993", "1e21", "4.9e-9",
	"0.30000000000000004", "1E2", "-0.0", "65504", "448", "1e39"
};

static const char *const strings[] = {
	"\"a\"", "\"b\"", "\"\\u0061\"", "\"x y\"", "\"\\u00e9\"",
	"\"caf\xc3\xa9\"", "\"\"", "\"\\\"q\\\"\"", "\"2\"", "\"a\\nb\""
};

static void
add_number(struct nsl_buf *b)
{
	if (below(3) == 0)
		nsl_buf_addf(b, "%g", (double)below(1000) / (1 + below(50)));
	else
		nsl_buf_adds(b, PICK(numbers));
}

static void
add_vector(struct nsl_buf *b, size_t n, int nested)
{
	size_t i;

	nsl_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			nsl_buf_addc(b, ',');
		if (nested)
			add_vector(b, 1 + below(4), 0);
		else
			add_number(b);
	}
	nsl_buf_addc(b, ']');
}

static void
add_value(struct nsl_buf *b, int depth)
{
	switch (below(depth > 1 ? 5 : 8)) {
	case 0: case 1: add_number(b); break;
	case 2: nsl_buf_adds(b, PICK(strings)); break;
	case 3: nsl_buf_adds(b, below(2) ? "true" : below(2) ? "false" :
	    "null"); break;
	case 4: add_vector(b, below(5), 0); break;
	case 5: add_vector(b, 1 + below(3), 1); break;
	case 6:
		nsl_buf_adds(b, "{\"k\":");
		add_value(b, depth + 1);
		nsl_buf_addc(b, '}');
		break;
	default: nsl_buf_adds(b, "[]"); break;
	}
}

/* A field's kind in a family's records. */
enum kind { K_NUM, K_VEC, K_MAT, K_LABEL, K_ANY };

struct field {
	const char *name;
	enum kind kind;
};

/* Records: each field mostly of its kind, sometimes anything, sometimes
 * missing; now and then a blank or a malformed line. */
static void
add_records(struct nsl_buf *b, const struct field *f, size_t nf)
{
	size_t n = below(12), i, j, d = 1 + below(6), rows = 1 + below(4);

	for (i = 0; i < n; i++) {
		size_t w = 0;

		switch (below(40)) {
		case 0: nsl_buf_adds(b, "\n"); continue;
		case 1: nsl_buf_adds(b, "{\"a\":1,\"a\":2}\n"); continue;
		case 2: nsl_buf_adds(b, "[1,2]\n"); continue;
		case 3: nsl_buf_adds(b, "{\"x\":NaN}\n"); continue;
		case 4: nsl_buf_adds(b, "{\"x\":\n"); continue;
		}
		nsl_buf_addc(b, '{');
		for (j = 0; j < nf; j++) {
			if (below(12) == 0)
				continue;	/* missing */
			if (w++)
				nsl_buf_addc(b, ',');
			nsl_buf_addf(b, "\"%s\":", f[j].name);
			if (below(15) == 0) {
				add_value(b, 0);
				continue;
			}
			switch (f[j].kind) {
			case K_NUM: add_number(b); break;
			case K_VEC:
				add_vector(b, below(10) ? d : below(7), 0);
				break;
			case K_MAT:
				if (below(3) == 0) {
					add_vector(b, d + 1, 0);
					break;
				}
				nsl_buf_addc(b, '[');
				for (size_t r = 0; r < rows; r++) {
					if (r)
						nsl_buf_addc(b, ',');
					add_vector(b, d + 1, 0);
				}
				nsl_buf_addc(b, ']');
				break;
			case K_LABEL:
				if (below(3))
					nsl_buf_addf(b, "%zu", below(3));
				else if (below(2))
					nsl_buf_adds(b, PICK(strings));
				else
					add_value(b, 1);
				break;
			default: add_value(b, 0); break;
			}
		}
		nsl_buf_adds(b, "}\n");
	}
}

/* An option: a flag, or a name with one of its values. */
struct opt {
	const char *name;
	const char *const *values;	/* NULL: a flag */
};

static void
add_options(struct nsl_buf *b, const struct opt *o, size_t no,
    const struct opt *must)
{
	size_t n = below(6), i, nv = 0;

	while (must != NULL && must->values[nv] != NULL)
		nv++;
	if (must != NULL && below(8) != 0)
		nsl_buf_addf(b, "%s %s ", must->name, must->values[below(nv)]);
	for (i = 0; i < n; i++) {
		const struct opt *p = &o[below(no)];
		size_t nv = 0;

		if (p->values == NULL) {
			nsl_buf_addf(b, "%s ", p->name);
			continue;
		}
		while (p->values[nv] != NULL)
			nv++;
		nsl_buf_addf(b, "%s %s ", p->name, p->values[below(nv)]);
	}
	nsl_buf_addc(b, '\n');
}

/* ---- the families' vocabularies ---- */

#define V(...) (const char *const[]){ __VA_ARGS__, NULL }

static const struct opt prune_opts[] = {
	{ "--strategy", V("hard", "easy", "random", "stratified", "dedup",
	    "nope") },
	{ "--keep-fraction", V("0.5", "0.3", "1", "0.0001", "0", "1.5",
	    "x") },
	{ "--keep", V("0", "1", "3", "100", "-1", "2.5") },
	{ "--by", V("label", "g", "score", "missing") },
	{ "--score-field", V("score", "s", "label") },
	{ "--seed", V("0", "7", "123456789") },
	{ "--cutoff", V("0", "0.2", "0.5", "0.99", "1") },
	{ "--strata", V("1", "2", "50", "0") },
	{ "--eps", V("0", "0.1", "2", "3") },
	{ "--k", V("1", "2", "5", "0") },
	{ "--iters", V("1", "10") },
	{ "--field", V("embedding", "v") },
	{ "--allow-nonfinite", NULL },
};
static const struct field prune_fields[] = {
	{ "id", K_NUM }, { "score", K_NUM }, { "s", K_NUM },
	{ "label", K_LABEL }, { "g", K_LABEL }, { "embedding", K_VEC },
	{ "v", K_VEC }
};

static const struct opt score_opts[] = {
	{ "--metric", V("el2n", "grand", "margin", "entropy",
	    "least-confidence", "forgetting", "aum", "dynamic-uncertainty",
	    "knn", "prototype", "class-prototype", "el2n,margin",
	    "prototype,knn", "el2n,el2n", "nope") },
	{ "--k", V("1", "2", "3", "0") },
	{ "--iters", V("1", "5") },
	{ "--seed", V("0", "3") },
	{ "--neighbours", V("1", "2", "5") },
	{ "--window", V("2", "3", "1") },
	{ "--center", V("mean", "median", "mode") },
	{ "--label-field", V("label", "y") },
	{ "--logits-field", V("logits", "z") },
	{ "--field", V("embedding", "h") },
	{ "--out-field", V("score", "cluster", "label", "embedding") },
	{ "--cluster-field", V("cluster", "score") },
	{ "--probs", NULL },
	{ "--float32", NULL },
};
static const struct field score_fields[] = {
	{ "id", K_NUM }, { "label", K_LABEL }, { "y", K_LABEL },
	{ "logits", K_MAT }, { "z", K_MAT }, { "embedding", K_VEC },
	{ "h", K_VEC }
};

static const struct opt fit_opts[] = {
	{ "--law", V("power", "power-offset", "chinchilla", "chinchilla-tied",
	    "kaplan", "data-constrained", "bnsl", "exp-offset", "downstream",
	    "lr-anneal", "power,exp-offset", "nope") },
	{ "--x", V("x", "N,D", "N,D,U", "step,lr", "x,x") },
	{ "--y", V("y", "loss", "error") },
	{ "--loss", V("huber", "ls", "log-ls", "l1") },
	{ "--delta", V("0.001", "1", "0") },
	{ "--weight-field", V("w") },
	{ "--by", V("g", "x") },
	{ "--bootstrap", V("1", "2", "3") },
	{ "--cluster", V("run", "g") },
	{ "--level", V("0.9", "0.5", "1", "0") },
	{ "--holdout", V("x>=8", "x>1e9", "N>=1e9", "x==2", "x", "<3",
	    "x>=abc") },
	{ "--holdout-largest", V("x", "N") },
	{ "--min", V("x=2", "x<=100", "N>=1e8", "=1") },
	{ "--drop-top", V("0", "1", "5") },
	{ "--fix", V("A=1", "E=1.5", "a=0.5", "E=-1", "Q=1", "A") },
	{ "--breaks", V("1", "2", "9") },
	{ "--allow-nonfinite", NULL },
};
static const struct opt fit_formula_opts[] = {
	{ "--formula", V("A*x^-a --param A=1,a=0.5 --x x",
	    "E+A*exp(-b*x) --param E=0.1,A=1,b=0.1 --x x",
	    "A*(x-a)*(x-b) --param A=1,a=3,b=700 --x x",
	    "A/(x-a) --param A=1,a=10 --x x",
	    "log(A*x) --param A=2 --x x",
	    "A*x^ --param A=1 --x x",
	    "A*N^-a+B*D^-b --param A=1,a=0.3,B=1,b=0.3 --x N,D",
	    "A --param A=1,A=2 --x x",
	    "sigmoid(a*x)+min(A,x) --param a=1,A=0 --x x") },
	{ "--y", V("y", "loss") },
	{ "--loss", V("ls", "huber") },
	{ "--by", V("g") },
	{ "--bootstrap", V("2") },
	{ "--holdout", V("x>=8") },
};
static const struct field fit_fields[] = {
	{ "x", K_NUM }, { "y", K_NUM }, { "N", K_NUM }, { "D", K_NUM },
	{ "U", K_NUM }, { "loss", K_NUM }, { "error", K_NUM },
	{ "step", K_NUM }, { "lr", K_NUM }, { "w", K_NUM },
	{ "g", K_LABEL }, { "run", K_LABEL }
};

static const struct opt quant_opts[] = {
	{ "--format", V("fp8-e4m3", "fp8-e5m2", "fp6-e2m3", "fp4-e2m1",
	    "mxfp8-e4m3", "mxfp4", "mxint8", "nf4", "int8", "int4", "e2m1",
	    "e4m3-fn", "e5m2-ieee", "e1m1", "e9m9", "nope") },
	{ "--block", V("1", "2", "4", "32", "0") },
	{ "--scale-by", V("none", "tensor", "row", "block", "x") },
	{ "--scale-mode", V("floor", "ceil", "rceil") },
	{ "--rounding", V("nearest-even", "stochastic") },
	{ "--emit", V("values", "codes") },
	{ "--rotate", V("hadamard", "none") },
	{ "--seed", V("0", "9") },
	{ "--field", V("embedding", "v") },
	{ "--asymmetric", NULL },
	{ "--saturate", NULL },
	{ "--no-f32", NULL },
	{ "--search", NULL },
	{ "--decode", NULL },
	{ "--allow-nonfinite", NULL },
	{ "--float32", NULL },
};
static const struct field quant_fields[] = {
	{ "id", K_NUM }, { "embedding", K_VEC }, { "v", K_VEC }
};

/* ---- running ---- */

typedef void (*target_fn)(const uint8_t *, size_t);

static int
run_one(target_fn fn, const char *input, size_t len)
{
	fz_failed = 0;
	if (setjmp(fz_jump) == 0)
		fn((const uint8_t *)input, len);
	return fz_failed;
}

static void
family(const char *name, target_fn fn, const struct opt *o, size_t no,
    const struct opt *must, const struct field *f, size_t nf, size_t n,
    uint64_t seed)
{
	struct nsl_buf in = NSL_BUF_INIT;
	char dir[256];
	size_t i, bad = 0, corpus = 0;
	DIR *d;
	struct dirent *e;

	rs = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (i = 0; i < n; i++) {
		nsl_buf_reset(&in);
		add_options(&in, o, no, must);
		add_records(&in, f, nf);
		if (run_one(fn, in.data, in.len)) {
			if (bad++ < 3)
				printf("# %s: input %zu (seed %llu): %s\n"
				    "# input: %.600s\n", name, i,
				    (unsigned long long)seed, fz_msg, in.data);
		}
	}
	UNIT_CHECK(bad == 0, "%s: %zu random command lines and record sets: "
	    "exit 64 or 65 only, strict JSON out, the family's invariants "
	    "(%zu failed)", name, n, bad);
	/* the seed corpus of the fuzzer */
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name);
	bad = 0;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char path[512];
			size_t len;
			char *data;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if ((data = fz_slurp(path, &len)) == NULL)
				continue;
			corpus++;
			if (run_one(fn, data, len) && bad++ < 3)
				printf("# %s: %s: %s\n", name, path, fz_msg);
			free(data);
		}
		closedir(d);
		UNIT_CHECK(bad == 0 && corpus > 0, "%s: the %zu inputs of the "
		    "seed corpus pass", name, corpus);
	} else
		printf("# %s: no %s here (run from the top directory)\n", name,
		    dir);
	nsl_buf_release(&in);
}

int
main(void)
{
	const char *s = getenv("NSL_PROPS_SEED"), *ns = getenv("NSL_PROPS_N");
	uint64_t seed = s != NULL ? strtoull(s, NULL, 10) : 14;
	size_t n = ns != NULL ? strtoul(ns, NULL, 10) : unit_quick() ? 60 : 300;

#define N(a) (sizeof(a) / sizeof(*(a)))
	family("prune", fuzz_prune, prune_opts, N(prune_opts), NULL,
	    prune_fields, N(prune_fields), n, seed);
	family("score", fuzz_score, score_opts, N(score_opts), &score_opts[0],
	    score_fields, N(score_fields), n, seed);
	family("fit", fuzz_fit, fit_opts, N(fit_opts), NULL, fit_fields,
	    N(fit_fields), n, seed);
	/* formulas, with their parameters and variables */
	family("fit", fuzz_fit, fit_formula_opts + 1, N(fit_formula_opts) - 1,
	    &fit_formula_opts[0], fit_fields, N(fit_fields), n / 2, seed + 1);
	family("quantize", fuzz_quantize, quant_opts, N(quant_opts),
	    &quant_opts[0], quant_fields, N(quant_fields), n, seed);
	fz_cleanup();
	return unit_done();
}
