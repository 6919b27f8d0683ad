/*
 * expr.c - formulas compiled to a tape, evaluated with reverse-mode
 * automatic differentiation (see nsl/expr.h).
 *
 * The parser is recursive descent over the grammar in the header.  It
 * emits instructions as it returns from each production, so operands are
 * always earlier on the tape than their users.  A name gets one VAR
 * instruction, shared by all its uses.  An operator whose operands are all
 * constants is folded on the spot (its constant operands, the last
 * instructions on the tape, are popped), unless the result is not finite.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/expr.h"
#include "nsl/num.h"

enum op {
	OP_CONST, OP_VAR,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MIN, OP_MAX,	/* binary */
	OP_ATAN2,
	OP_NEG, OP_EXP, OP_LOG, OP_LOG10, OP_LOG2, OP_SQRT, OP_ABS,
	OP_SIN, OP_COS, OP_TANH, OP_SIGMOID, OP_SOFTPLUS,	/* unary */
	OP_ATAN, OP_ASIN, OP_ACOS, OP_SINH, OP_COSH, OP_ERF, OP_ERFC,
	OP_LGAMMA, OP_EXPM1, OP_LOG1P
};

#define IS_BINARY(op) ((op) >= OP_ADD && (op) <= OP_ATAN2)

/* The functions of the grammar, by name; pow() compiles to OP_POW. */
static const struct func {
	const char *name;
	unsigned char op;
	unsigned char nargs;
} funcs[] = {
	{ "exp", OP_EXP, 1 }, { "log", OP_LOG, 1 }, { "log10", OP_LOG10, 1 },
	{ "log2", OP_LOG2, 1 }, { "sqrt", OP_SQRT, 1 }, { "abs", OP_ABS, 1 },
	{ "sin", OP_SIN, 1 }, { "cos", OP_COS, 1 }, { "tanh", OP_TANH, 1 },
	{ "sigmoid", OP_SIGMOID, 1 }, { "softplus", OP_SOFTPLUS, 1 },
	{ "atan", OP_ATAN, 1 }, { "asin", OP_ASIN, 1 }, { "acos", OP_ACOS, 1 },
	{ "sinh", OP_SINH, 1 }, { "cosh", OP_COSH, 1 }, { "erf", OP_ERF, 1 },
	{ "erfc", OP_ERFC, 1 }, { "lgamma", OP_LGAMMA, 1 },
	{ "expm1", OP_EXPM1, 1 }, { "log1p", OP_LOG1P, 1 },
	{ "min", OP_MIN, 2 }, { "max", OP_MAX, 2 }, { "pow", OP_POW, 2 },
	{ "atan2", OP_ATAN2, 2 },
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

/* Named constants, used where no name of the caller's shadows them. */
static const struct {
	const char *name;
	double value;
} consts[] = {
	{ "pi", 3.14159265358979323846 }, { "e", 2.71828182845904523536 },
};
#define NCONSTS (sizeof(consts) / sizeof(consts[0]))

/*
 * One instruction: result i = op(result a, result b), or the constant c,
 * or vals[a] for OP_VAR.  dep: the result depends on some name, so the
 * backward sweep must visit it.
 */
struct node {
	unsigned char op;
	unsigned char dep;
	uint32_t a, b;
	double c;
};

struct nsl_expr {
	size_t n;		/* tape length, 1..NSL_EXPR_MAX_NODES */
	struct node *tape;	/* the result is tape[n - 1] */
	size_t nnames;
	char **names;		/* owned copies, for printing */
	unsigned char *used;	/* used[k]: names[k] has a VAR instruction */
};

/* ---- numerics shared by folding, evaluation and differentiation ---- */

static inline double
sigmoid(double x)
{
	double e;

	if (x >= 0)
		return 1 / (1 + exp(-x));
	e = exp(x);
	return e / (1 + e);
}

static inline double
softplus(double x)
{
	if (x > 0)
		return x + log1p(exp(-x));
	return log1p(exp(x));
}

/* log|Gamma(x)|, thread-safe (lgamma() writes the global signgam). */
static inline double
lgam(double x)
{
	int sign;

	return lgamma_r(x, &sign);
}

/*
 * The digamma function psi(x) = d log|Gamma(x)|/dx: the recurrence
 * psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
 * log x - 1/(2x) - sum B_2k/(2k x^2k) (to x^-14: error below 1e-17 there);
 * for x < 0 the reflection psi(1 - x) - pi/tan(pi x).  Poles (0, -1, ...)
 * give NaN.
 */
static double
digamma(double x)
{
	double r = 0, x2, s;

	if (isnan(x) || (x <= 0 && x == floor(x)))
		return NAN;
	if (isinf(x))
		return x > 0 ? x : NAN;
	if (x < 0)
		return digamma(1 - x) - M_PI / tan(M_PI * x);
	while (x < 10) {
		r -= 1 / x;
		x += 1;
	}
	x2 = 1 / (x * x);
	s = x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 -
	    x2 * (1.0 / 240 - x2 * (1.0 / 132 - x2 * (691.0 / 32760 -
	    x2 * (1.0 / 12)))))));
	return r + log(x) - 0.5 / x - s;
}

static inline double
apply(int op, double x, double y)
{
	switch (op) {
	case OP_ADD: return x + y;
	case OP_SUB: return x - y;
	case OP_MUL: return x * y;
	case OP_DIV: return x / y;
	case OP_POW: return y == 2 ? x * x : pow(x, y);	/* both exact */
	case OP_MIN: return isnan(x) || isnan(y) ? x + y : x <= y ? x : y;
	case OP_MAX: return isnan(x) || isnan(y) ? x + y : x >= y ? x : y;
	case OP_NEG: return -x;
	case OP_EXP: return exp(x);
	case OP_LOG: return log(x);
	case OP_LOG10: return log10(x);
	case OP_LOG2: return log2(x);
	case OP_SQRT: return sqrt(x);
	case OP_ABS: return fabs(x);
	case OP_SIN: return sin(x);
	case OP_COS: return cos(x);
	case OP_TANH: return tanh(x);
	case OP_SIGMOID: return sigmoid(x);
	case OP_SOFTPLUS: return softplus(x);
	case OP_ATAN2: return atan2(x, y);
	case OP_ATAN: return atan(x);
	case OP_ASIN: return asin(x);
	case OP_ACOS: return acos(x);
	case OP_SINH: return sinh(x);
	case OP_COSH: return cosh(x);
	case OP_ERF: return erf(x);
	case OP_ERFC: return erfc(x);
	case OP_LGAMMA: return lgam(x);
	case OP_EXPM1: return expm1(x);
	case OP_LOG1P: return log1p(x);
	}
	return NAN;
}

/* ---- lexer ---- */

enum tok { T_END, T_NUM, T_NAME, T_SYM, T_POW2, T_BAD };

struct parser {
	const char *s;
	size_t pos;		/* offset of the next unread byte */
	enum tok tok;		/* current token ... */
	size_t tpos, tlen;	/* ... its offset and length in s */
	double num;		/* T_NUM: its value */

	const char *const *names;
	size_t nnames;
	struct node *tape;
	size_t n;
	uint32_t *var;		/* var[k]: VAR instruction of names[k], or UINT32_MAX */
	int depth;
	struct nsl_err *err;
	int failed;
};

static int
fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return nsl_err_set(p->err, NSL_EX_USAGE, "formula: column %zu: %s",
	    pos + 1, what);
}

static int
isname0(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
isname(int c)
{
	return isname0(c) || (c >= '0' && c <= '9');
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read the number at p->pos (C or JSON form, unsigned) into p->num.  The
 * text is rewritten in JSON form (leading zeros dropped, "0" before a bare
 * '.', a bare trailing '.' dropped) for nsl_num_parse(), which is correctly
 * rounded and locale-free.
 */
static int
lex_number(struct parser *p)
{
	const char *s = p->s + p->pos;
	size_t i = 0, ib, ie, fb, fe, eb = 0, ee = 0, k = 0;
	char *json;
	double v;

	ib = i;
	while (isdig(s[i]))
		i++;
	ie = i;
	fb = fe = i;
	if (s[i] == '.') {
		fb = ++i;
		while (isdig(s[i]))
			i++;
		fe = i;
	}
	if (ie == ib && fe == fb)
		return fail(p, p->pos, "malformed number \".\"");
	if (s[i] == 'e' || s[i] == 'E') {
		eb = ++i;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!isdig(s[i]))
			return fail(p, p->pos, "malformed number \"%.*s\"",
			    (int)(i < 40 ? i : 40), s);
		while (isdig(s[i]))
			i++;
		ee = i;
	}
	p->tok = T_NUM;
	p->tpos = p->pos;
	p->tlen = i;
	p->pos += i;

	if ((json = malloc(i + 3)) == NULL) {
		p->failed = 1;
		return nsl_err_set(p->err, NSL_EX_SOFTWARE, "out of memory");
	}
	while (ib + 1 < ie && s[ib] == '0')
		ib++;
	if (ib == ie)
		json[k++] = '0';
	memcpy(json + k, s + ib, ie - ib);
	k += ie - ib;
	if (fe > fb) {
		json[k++] = '.';
		memcpy(json + k, s + fb, fe - fb);
		k += fe - fb;
	}
	if (ee > 0) {
		json[k++] = 'e';
		memcpy(json + k, s + eb, ee - eb);
		k += ee - eb;
	}
	if (nsl_num_parse(json, json + k, &v) != k) {
		free(json);	/* cannot happen: json is valid JSON */
		return fail(p, p->tpos, "malformed number");
	}
	free(json);
	if (isinf(v))
		return fail(p, p->tpos, "number \"%.*s\" out of range",
		    (int)(i < 40 ? i : 40), s);
	p->num = v;
	return 0;
}

/* Advance to the next token. */
static int
lex(struct parser *p)
{
	const char *s = p->s;
	int c;

	while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' ||
	    s[p->pos] == '\r')
		p->pos++;
	p->tpos = p->pos;
	c = (unsigned char)s[p->pos];
	if (c == '\0') {
		p->tok = T_END;
		p->tlen = 0;
		return 0;
	}
	if (isdig(c) || (c == '.' && isdig(s[p->pos + 1])))
		return lex_number(p);
	if (isname0(c)) {
		while (isname(s[p->pos]))
			p->pos++;
		p->tok = T_NAME;
		p->tlen = p->pos - p->tpos;
		return 0;
	}
	if (c == '*' && s[p->pos + 1] == '*') {
		p->tok = T_POW2;
		p->tlen = 2;
		p->pos += 2;
		return 0;
	}
	p->tok = strchr("+-*/^(),", c) != NULL ? T_SYM : T_BAD;
	p->tlen = 1;
	p->pos++;
	return 0;
}

static int
is_sym(const struct parser *p, char c)
{
	return p->tok == T_SYM && p->s[p->tpos] == c;
}

/* The current token, quoted, for a message ("end of formula" at the end). */
static void
describe(const struct parser *p, char *out, size_t size)
{
	int c = (unsigned char)p->s[p->tpos];

	if (p->tok == T_END)
		snprintf(out, size, "end of formula");
	else if (p->tok == T_BAD && !isprint(c))
		snprintf(out, size, "byte 0x%02x", c);
	else if (p->tlen > 40)
		snprintf(out, size, "\"%.40s...\"", p->s + p->tpos);
	else
		snprintf(out, size, "\"%.*s\"", (int)p->tlen, p->s + p->tpos);
}

/* ---- tape construction ---- */

static uint32_t
emit(struct parser *p, int op, uint32_t a, uint32_t b, double c)
{
	struct node *nd;

	if (p->n >= NSL_EXPR_MAX_NODES) {
		fail(p, p->tpos, "formula too long (more than %d operations)",
		    NSL_EXPR_MAX_NODES);
		return UINT32_MAX;
	}
	nd = &p->tape[p->n];
	nd->op = (unsigned char)op;
	nd->a = a;
	nd->b = b;
	nd->c = c;
	nd->dep = op == OP_VAR ||
	    (op != OP_CONST && (p->tape[a].dep || (IS_BINARY(op) && p->tape[b].dep)));
	return (uint32_t)p->n++;
}

/* Emit op(a, b) (b unused for unary ops), folding constants. */
static uint32_t
emit_op(struct parser *p, int op, uint32_t a, uint32_t b)
{
	int binary = IS_BINARY(op);
	double v;

	if (a == UINT32_MAX || (binary && b == UINT32_MAX))
		return UINT32_MAX;
	if (p->tape[a].op == OP_CONST &&
	    (!binary || p->tape[b].op == OP_CONST)) {
		v = apply(op, p->tape[a].c, binary ? p->tape[b].c : 0);
		if (isfinite(v)) {
			if (binary && b == p->n - 1)
				p->n--;
			if (a == p->n - 1)
				p->n--;
			return emit(p, OP_CONST, 0, 0, v);
		}
	}
	return emit(p, op, a, binary ? b : 0, 0);
}

/* ---- parser ---- */

static uint32_t parse_expr(struct parser *);
static uint32_t parse_unary(struct parser *);

static uint32_t
expected(struct parser *p, const char *what)
{
	char d[64];

	if (p->tok == T_END && strcmp(what, "an expression") != 0)
		fail(p, p->tpos, "expected %s", what);
	else {
		describe(p, d, sizeof(d));
		fail(p, p->tpos, "expected %s, found %s", what, d);
	}
	return UINT32_MAX;
}

/* "a, b, c" of the valid names, shortened to fit out. */
static void
list_names(const char *const *names, size_t n, char *out, size_t size)
{
	size_t k, len = 0;

	out[0] = '\0';
	for (k = 0; k < n; k++) {
		size_t w = strlen(names[k]);

		if (len + w + 6 >= size) {
			snprintf(out + len, size - len, "%s...", k ? ", " : "");
			return;
		}
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    k ? ", " : "", names[k]);
	}
}

static uint32_t
parse_call(struct parser *p, size_t npos, size_t nlen)
{
	const struct func *f = NULL;
	uint32_t args[2] = { UINT32_MAX, UINT32_MAX };
	size_t i, nargs = 0;
	char known[200];

	for (i = 0; i < NFUNCS; i++)
		if (strlen(funcs[i].name) == nlen &&
		    memcmp(funcs[i].name, p->s + npos, nlen) == 0)
			f = &funcs[i];
	for (i = 0; f == NULL && i < p->nnames; i++)
		if (strlen(p->names[i]) == nlen &&
		    memcmp(p->names[i], p->s + npos, nlen) == 0) {
			fail(p, p->tpos, "unexpected \"(\" after name \"%s\" "
			    "(missing operator?)", p->names[i]);
			return UINT32_MAX;
		}
	if (f == NULL) {
		const char *fn[NFUNCS];

		for (i = 0; i < NFUNCS; i++)
			fn[i] = funcs[i].name;
		list_names(fn, NFUNCS, known, sizeof(known));
		fail(p, npos, "unknown function \"%.*s\" (functions: %s)",
		    (int)(nlen < 40 ? nlen : 40), p->s + npos, known);
		return UINT32_MAX;
	}
	if (lex(p) < 0)		/* past '(' */
		return UINT32_MAX;
	for (;;) {
		uint32_t a = parse_expr(p);

		if (a == UINT32_MAX)
			return UINT32_MAX;
		if (nargs < 2)
			args[nargs] = a;
		nargs++;
		if (is_sym(p, ')'))
			break;
		if (!is_sym(p, ','))
			return expected(p, "',' or ')'");
		if (lex(p) < 0)
			return UINT32_MAX;
	}
	if (nargs != f->nargs) {
		fail(p, npos, "%s() takes %d argument%s, not %zu", f->name,
		    f->nargs, f->nargs == 1 ? "" : "s", nargs);
		return UINT32_MAX;
	}
	if (lex(p) < 0)		/* past ')' */
		return UINT32_MAX;
	return emit_op(p, f->op, args[0], args[1]);
}

static uint32_t
parse_primary(struct parser *p)
{
	uint32_t r;
	size_t k, npos, nlen;
	char known[200];

	if (p->tok == T_NUM) {
		r = emit(p, OP_CONST, 0, 0, p->num);
		return r == UINT32_MAX || lex(p) < 0 ? UINT32_MAX : r;
	}
	if (is_sym(p, '(')) {
		if (lex(p) < 0 || (r = parse_expr(p)) == UINT32_MAX)
			return UINT32_MAX;
		if (!is_sym(p, ')'))
			return expected(p, "')'");
		return lex(p) < 0 ? UINT32_MAX : r;
	}
	if (p->tok != T_NAME)
		return expected(p, "an expression");
	npos = p->tpos;
	nlen = p->tlen;
	if (lex(p) < 0)
		return UINT32_MAX;
	if (is_sym(p, '('))
		return parse_call(p, npos, nlen);
	for (k = 0; k < p->nnames; k++)
		if (strlen(p->names[k]) == nlen &&
		    memcmp(p->names[k], p->s + npos, nlen) == 0)
			break;
	if (k == p->nnames) {
		for (k = 0; k < NCONSTS; k++)
			if (strlen(consts[k].name) == nlen &&
			    memcmp(consts[k].name, p->s + npos, nlen) == 0)
				return emit(p, OP_CONST, 0, 0, consts[k].value);
		list_names(p->names, p->nnames, known, sizeof(known));
		fail(p, npos, "unknown name \"%.*s\" (%s%s)",
		    (int)(nlen < 40 ? nlen : 40), p->s + npos,
		    p->nnames ? "names: " : "no names are defined", known);
		return UINT32_MAX;
	}
	if (p->var[k] == UINT32_MAX)
		p->var[k] = emit(p, OP_VAR, (uint32_t)k, 0, 0);
	return p->var[k];
}

/* power := primary (('^' | '**') unary)? */
static uint32_t
parse_power(struct parser *p)
{
	uint32_t a = parse_primary(p), b;

	if (a == UINT32_MAX)
		return a;
	if (!is_sym(p, '^') && p->tok != T_POW2)
		return a;
	if (lex(p) < 0 || (b = parse_unary(p)) == UINT32_MAX)
		return UINT32_MAX;
	return emit_op(p, OP_POW, a, b);
}

/* unary := ('-' | '+') unary | power */
static uint32_t
parse_unary(struct parser *p)
{
	uint32_t r;

	if (++p->depth > NSL_EXPR_MAX_DEPTH) {
		fail(p, p->tpos, "formula nested too deeply (more than %d levels)",
		    NSL_EXPR_MAX_DEPTH);
		return UINT32_MAX;
	}
	if (is_sym(p, '-') || is_sym(p, '+')) {
		int neg = p->s[p->tpos] == '-';

		if (lex(p) < 0 || (r = parse_unary(p)) == UINT32_MAX)
			return UINT32_MAX;
		if (neg)
			r = emit_op(p, OP_NEG, r, 0);
	} else
		r = parse_power(p);
	p->depth--;
	return r;
}

/* term := unary (('*' | '/') unary)* */
static uint32_t
parse_term(struct parser *p)
{
	uint32_t a = parse_unary(p), b;

	while (a != UINT32_MAX && (is_sym(p, '*') || is_sym(p, '/'))) {
		int op = p->s[p->tpos] == '*' ? OP_MUL : OP_DIV;

		if (lex(p) < 0 || (b = parse_unary(p)) == UINT32_MAX)
			return UINT32_MAX;
		a = emit_op(p, op, a, b);
	}
	return a;
}

/* expr := term (('+' | '-') term)* */
static uint32_t
parse_expr(struct parser *p)
{
	uint32_t a = parse_term(p), b;

	while (a != UINT32_MAX && (is_sym(p, '+') || is_sym(p, '-'))) {
		int op = p->s[p->tpos] == '+' ? OP_ADD : OP_SUB;

		if (lex(p) < 0 || (b = parse_term(p)) == UINT32_MAX)
			return UINT32_MAX;
		a = emit_op(p, op, a, b);
	}
	return a;
}

/*
 * Keep only the instructions the result reaches (folding leaves none
 * behind in practice; this makes it a guarantee), renumbering operands.
 */
static size_t
compact(struct node *tape, size_t n, uint32_t root)
{
	unsigned char live[NSL_EXPR_MAX_NODES];
	uint32_t to[NSL_EXPR_MAX_NODES];
	size_t i, m = 0;

	memset(live, 0, n);
	live[root] = 1;
	for (i = root + 1; i-- > 0;) {
		if (!live[i] || tape[i].op == OP_CONST || tape[i].op == OP_VAR)
			continue;
		live[tape[i].a] = 1;
		if (IS_BINARY(tape[i].op))
			live[tape[i].b] = 1;
	}
	for (i = 0; i <= root; i++) {
		if (!live[i])
			continue;
		to[i] = (uint32_t)m;
		tape[m] = tape[i];
		if (tape[m].op != OP_CONST && tape[m].op != OP_VAR) {
			tape[m].a = to[tape[m].a];
			if (IS_BINARY(tape[m].op))
				tape[m].b = to[tape[m].b];
		}
		m++;
	}
	return m;
}

struct nsl_expr *
nsl_expr_parse(const char *text, const char *const *names, size_t nnames,
    struct nsl_err *err)
{
	struct parser p;
	struct nsl_expr *e = NULL;
	uint32_t root;
	size_t i, k;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.names = names;
	p.nnames = nnames;
	p.err = err;
	for (k = 0; k < nnames; k++)
		for (i = 0; i < k; i++)
			if (strcmp(names[i], names[k]) == 0) {
				nsl_err_set(err, NSL_EX_USAGE,
				    "formula: name \"%.40s\" given twice",
				    names[k]);
				return NULL;
			}
	p.tape = malloc(NSL_EXPR_MAX_NODES * sizeof(*p.tape));
	p.var = malloc((nnames ? nnames : 1) * sizeof(*p.var));
	if (p.tape == NULL || p.var == NULL)
		goto nomem;
	for (k = 0; k < nnames; k++)
		p.var[k] = UINT32_MAX;

	if (lex(&p) < 0)
		goto error;
	if (p.tok == T_END) {
		fail(&p, p.tpos, "empty formula");
		goto error;
	}
	root = parse_expr(&p);
	if (root == UINT32_MAX)
		goto error;
	if (p.tok != T_END) {
		char d[64];

		describe(&p, d, sizeof(d));
		fail(&p, p.tpos, "unexpected %s%s", d,
		    p.tok == T_NAME || p.tok == T_NUM ||
		    is_sym(&p, '(') ? " (missing operator?)" : "");
		goto error;
	}

	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto nomem;
	e->n = compact(p.tape, p.n, root);
	e->nnames = nnames;
	e->tape = realloc(p.tape, e->n * sizeof(*e->tape));
	if (e->tape == NULL)
		goto nomem;
	p.tape = NULL;
	e->used = calloc(nnames ? nnames : 1, 1);
	e->names = calloc(nnames ? nnames : 1, sizeof(*e->names));
	if (e->used == NULL || e->names == NULL)
		goto nomem;
	for (k = 0; k < nnames; k++)
		if ((e->names[k] = strdup(names[k])) == NULL)
			goto nomem;
	for (i = 0; i < e->n; i++)
		if (e->tape[i].op == OP_VAR)
			e->used[e->tape[i].a] = 1;
	free(p.var);
	return e;

nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
error:
	free(p.tape);
	free(p.var);
	nsl_expr_free(e);
	return NULL;
}

void
nsl_expr_free(struct nsl_expr *e)
{
	size_t k;

	if (e == NULL)
		return;
	if (e->names != NULL)
		for (k = 0; k < e->nnames; k++)
			free(e->names[k]);
	free(e->names);
	free(e->used);
	free(e->tape);
	free(e);
}

/* ---- evaluation ---- */

/* Forward sweep: v[i] = result of instruction i. */
static inline void
forward(const struct nsl_expr *e, const double *vals, double *v)
{
	const struct node *t = e->tape;
	size_t i;

	for (i = 0; i < e->n; i++) {
		switch (t[i].op) {
		case OP_CONST: v[i] = t[i].c; break;
		case OP_VAR: v[i] = vals[t[i].a]; break;
		case OP_ADD: v[i] = v[t[i].a] + v[t[i].b]; break;
		case OP_SUB: v[i] = v[t[i].a] - v[t[i].b]; break;
		case OP_MUL: v[i] = v[t[i].a] * v[t[i].b]; break;
		case OP_DIV: v[i] = v[t[i].a] / v[t[i].b]; break;
		default:
			v[i] = apply(t[i].op, v[t[i].a],
			    IS_BINARY(t[i].op) ? v[t[i].b] : 0);
		}
	}
}

double
nsl_expr_eval(const struct nsl_expr *e, const double *vals)
{
	double v[NSL_EXPR_MAX_NODES];

	forward(e, vals, v);
	return v[e->n - 1];
}

double
nsl_expr_eval_grad(const struct nsl_expr *e, const double *vals, double *grad)
{
	double v[NSL_EXPR_MAX_NODES], adj[NSL_EXPR_MAX_NODES];
	const struct node *t = e->tape;
	size_t i, k;

	forward(e, vals, v);
	for (k = 0; k < e->nnames; k++)
		grad[k] = 0;
	memset(adj, 0, e->n * sizeof(adj[0]));
	adj[e->n - 1] = 1;
	for (i = e->n; i-- > 0;) {
		double g = adj[i], y = v[i], x, z;
		uint32_t a = t[i].a, b = t[i].b;

		if (!t[i].dep)
			continue;
		if (t[i].op == OP_VAR) {
			grad[a] += g;
			continue;
		}
		x = v[a];
		z = IS_BINARY(t[i].op) ? v[b] : 0;
		switch (t[i].op) {
		case OP_ADD: adj[a] += g; adj[b] += g; break;
		case OP_SUB: adj[a] += g; adj[b] -= g; break;
		case OP_MUL: adj[a] += g * z; adj[b] += g * x; break;
		case OP_DIV: adj[a] += g / z; adj[b] -= g * y / z; break;
		case OP_POW:
			/* z x^(z-1) = z y / x, one pow() call fewer,
			 * where that quotient is exact enough */
			if (t[a].dep)
				adj[a] += z == 0 ? 0 :
				    x != 0 && isnormal(y) ? g * z * y / x :
				    g * z * pow(x, z - 1);
			if (t[b].dep)
				adj[b] += y == 0 ? 0 : g * y * log(x);
			break;
		case OP_MIN:
		case OP_MAX:
			if (isnan(y)) {
				adj[a] += y;
				adj[b] += y;
			} else if (t[i].op == OP_MIN ? x <= z : x >= z)
				adj[a] += g;
			else
				adj[b] += g;
			break;
		case OP_NEG: adj[a] -= g; break;
		case OP_EXP: adj[a] += g * y; break;
		case OP_LOG: adj[a] += g / x; break;
		case OP_LOG10: adj[a] += g / (x * M_LN10); break;
		case OP_LOG2: adj[a] += g / (x * M_LN2); break;
		case OP_SQRT: adj[a] += g * 0.5 / y; break;
		case OP_ABS:
			adj[a] += x > 0 ? g : x < 0 ? -g : x == 0 ? 0 : x;
			break;
		case OP_SIN: adj[a] += g * cos(x); break;
		case OP_COS: adj[a] -= g * sin(x); break;
		case OP_TANH:		/* sech^2, exact also where tanh = 1 */
			adj[a] += g / (cosh(x) * cosh(x));
			break;
		case OP_SIGMOID:	/* s(x) s(-x): no 1 - y cancellation */
			adj[a] += g * y * sigmoid(-x);
			break;
		case OP_SOFTPLUS: adj[a] += g * sigmoid(x); break;
		case OP_ATAN2: {	/* atan2(x, z): d/dx = z/r2, d/dz = -x/r2 */
			double r2 = x * x + z * z;

			if (r2 == 0) {	/* undefined at the origin */
				adj[a] += NAN;
				adj[b] += NAN;
			} else {
				adj[a] += g * z / r2;
				adj[b] -= g * x / r2;
			}
			break;
		}
		case OP_ATAN: adj[a] += g / (1 + x * x); break;
		case OP_ASIN: adj[a] += g / sqrt((1 - x) * (1 + x)); break;
		case OP_ACOS: adj[a] -= g / sqrt((1 - x) * (1 + x)); break;
		case OP_SINH: adj[a] += g * cosh(x); break;
		case OP_COSH: adj[a] += g * sinh(x); break;
		case OP_ERF:		/* 2/sqrt(pi) exp(-x^2) */
			adj[a] += g * M_2_SQRTPI * exp(-x * x);
			break;
		case OP_ERFC: adj[a] -= g * M_2_SQRTPI * exp(-x * x); break;
		case OP_LGAMMA: adj[a] += g * digamma(x); break;
		case OP_EXPM1: adj[a] += g * exp(x); break;
		case OP_LOG1P: adj[a] += g / (1 + x); break;
		}
	}
	return v[e->n - 1];
}

/*
 * The degree of every instruction in the flagged names, bottom up: 0
 * (does not depend on them), 1 (affine in them) or 2 (anything else).
 */
int
nsl_expr_affine(const struct nsl_expr *e, const unsigned char *in)
{
	unsigned char deg[NSL_EXPR_MAX_NODES];
	const struct node *t = e->tape;
	size_t i;

	for (i = 0; i < e->n; i++) {
		int da = 0, db = 0, d;

		if (t[i].op == OP_CONST) {
			deg[i] = 0;
			continue;
		}
		if (t[i].op == OP_VAR) {
			deg[i] = in[t[i].a] ? 1 : 0;
			continue;
		}
		da = deg[t[i].a];
		db = IS_BINARY(t[i].op) ? deg[t[i].b] : 0;
		switch (t[i].op) {
		case OP_ADD:
		case OP_SUB:
			d = da > db ? da : db;
			break;
		case OP_MUL:
			d = da + db;
			break;
		case OP_DIV:
			d = db == 0 ? da : 2;
			break;
		case OP_NEG:
			d = da;
			break;
		default:	/* functions and powers of a flagged name */
			d = da == 0 && db == 0 ? 0 : 2;
		}
		deg[i] = (unsigned char)(d > 2 ? 2 : d);
	}
	return deg[e->n - 1] <= 1;
}

int
nsl_expr_uses(const struct nsl_expr *e, size_t k)
{
	return k < e->nnames && e->used[k];
}

size_t
nsl_expr_nnames(const struct nsl_expr *e)
{
	return e->nnames;
}

/* ---- printing ---- */

static const char *
op_name(int op)
{
	size_t i;

	switch (op) {
	case OP_ADD: return " + ";
	case OP_SUB: return " - ";
	case OP_MUL: return " * ";
	case OP_DIV: return " / ";
	case OP_POW: return " ^ ";
	}
	for (i = 0; i < NFUNCS; i++)
		if (funcs[i].op == op)
			return funcs[i].name;
	return "?";
}

static void
print_node(const struct nsl_expr *e, uint32_t i, struct nsl_buf *buf)
{
	const struct node *nd = &e->tape[i];
	char num[NSL_NUM_BUFSZ];

	switch (nd->op) {
	case OP_CONST:
		nsl_num_format(num, nd->c);
		if (signbit(nd->c))
			nsl_buf_addf(buf, "(%s)", num);
		else
			nsl_buf_adds(buf, num);
		return;
	case OP_VAR:
		nsl_buf_adds(buf, e->names[nd->a]);
		return;
	case OP_NEG:
		nsl_buf_adds(buf, "(-");
		print_node(e, nd->a, buf);
		nsl_buf_addc(buf, ')');
		return;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
		nsl_buf_addc(buf, '(');
		print_node(e, nd->a, buf);
		nsl_buf_adds(buf, op_name(nd->op));
		print_node(e, nd->b, buf);
		nsl_buf_addc(buf, ')');
		return;
	}
	nsl_buf_adds(buf, op_name(nd->op));
	nsl_buf_addc(buf, '(');
	print_node(e, nd->a, buf);
	if (IS_BINARY(nd->op)) {
		nsl_buf_adds(buf, ", ");
		print_node(e, nd->b, buf);
	}
	nsl_buf_addc(buf, ')');
}

void
nsl_expr_print(const struct nsl_expr *e, struct nsl_buf *buf)
{
	print_node(e, (uint32_t)(e->n - 1), buf);
}
