/*
 * nsl/expr.h - arithmetic formulas over named values, with exact gradients.
 *
 * nsl-fit --formula 'E + A*N^-alpha' compiles the text once and then
 * evaluates it, with its gradient, millions of times (many starts, many
 * bootstrap resamples), so a formula is compiled to a flat tape: an array
 * of instructions in which instruction i reads only the results of earlier
 * instructions.  Evaluation is one forward sweep over the tape; the
 * gradient is one more, backward, sweep (reverse-mode automatic
 * differentiation): exact derivatives, not finite differences.
 *
 * Grammar (whitespace is space, tab, CR, LF and is ignored between tokens):
 *
 *	expr    := term   (('+' | '-') term)*          left-associative
 *	term    := unary  (('*' | '/') unary)*         left-associative
 *	unary   := ('-' | '+') unary | power
 *	power   := primary (('^' | '**') unary)?       right-associative
 *	primary := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
 *
 * So power binds tighter than unary minus, as in mathematics (and Python,
 * Fortran, gnuplot): -2^2 = -(2^2) = -4, 2^3^2 = 2^(3^2) = 512, and an
 * exponent may carry its own sign: N^-alpha = N^(-alpha), 2^-1 = 0.5.
 * NUMBER is [0-9]+ ('.' [0-9]*)? | '.' [0-9]+, then ([eE] [+-]? [0-9]+)?
 * (JSON or C style; never signed: a sign is unary minus; a literal that
 * overflows to infinity is an error).  NAME is [A-Za-z_][A-Za-z0-9_]*.
 * FUNC is a NAME directly followed (after optional whitespace) by '(':
 * exp log log10 log2 sqrt abs sin cos tanh sigmoid softplus atan asin
 * acos sinh cosh erf erfc lgamma expm1 log1p of one argument, min max pow
 * atan2 of two.  A name that is also a function name is still usable as a
 * plain name: "exp" is names[k], "exp(x)" the function.  The constants pi
 * and e are the doubles nearest to them, unless the caller's names define
 * "pi" or "e" (a parameter called e stays a parameter).
 *
 * Semantics are C's <math.h> in double precision: a domain error gives NaN
 * or an infinity (log(0) = -inf, sqrt(-1) = NaN, 1/0 = inf), never an
 * error; the caller decides what a non-finite value means.  a^b and
 * pow(a, b) are C pow(); atan2(y, x) is C's (the angle of (x, y));
 * lgamma(x) is log|Gamma(x)| (C's lgamma, computed thread-safely).  sigmoid(x) = 1/(1+exp(-x)) and softplus(x) =
 * log(1+exp(x)) are computed without overflow for any x.  min and max
 * return NaN if either argument is NaN (unlike fmin/fmax), so a NaN is
 * never hidden from the fitter.
 *
 * Derivatives are those of the formula's functions, in closed form:
 * atan' = 1/(1+x^2), asin' = 1/sqrt(1-x^2), acos' = -asin', sinh' = cosh,
 * cosh' = sinh, erf' = -erfc' = 2/sqrt(pi) exp(-x^2), lgamma' = digamma
 * (NaN at the poles 0, -1, ...), expm1' = exp, log1p' = 1/(1+x),
 * d atan2(y,x) = (x dy - y dx)/(x^2+y^2) (NaN at the origin); with these
 * choices where they are not defined: d|x|/dx = 0 at x = 0; min(a,b) and max(a,b)
 * pass the derivative to a when a == b; d(a^b)/db = 0 where a^b == 0 and
 * d(a^b)/da = 0 where b == 0 (the limits, instead of 0*inf = NaN).
 *
 * Constant subexpressions are folded at compile time when their value is
 * finite (2*3 becomes 6, -2^2 becomes -4), so folding never changes a value.
 *
 * Invariants and ownership:
 *  - A struct nsl_expr is immutable after nsl_expr_parse(): every function
 *    below only reads it, so one expression may be evaluated from many
 *    threads at once.  Evaluation allocates nothing: its workspace is an
 *    array on the caller's stack of NSL_EXPR_MAX_NODES doubles (two for the
 *    gradient, i.e. 16 KiB), which is why a formula is limited to that many
 *    tape instructions (numbers, names, operators and calls as written) and
 *    NSL_EXPR_MAX_DEPTH levels of nesting; longer formulas are a parse error.
 *  - The expression owns copies of the names; the caller's names array is
 *    only read during nsl_expr_parse().
 */
#ifndef NSL_EXPR_H
#define NSL_EXPR_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"

#define NSL_EXPR_MAX_NODES 1024
#define NSL_EXPR_MAX_DEPTH 200

struct nsl_expr;	/* opaque compiled expression */

/*
 * Compile text.  Identifiers are looked up in names[0..nnames) (variables
 * and parameters, in the caller's order: value k of the evaluation vector
 * is names[k]; names may be NULL when nnames is 0).  A name given twice is
 * an error.  Returns a new expression (free with nsl_expr_free) or NULL
 * with err set to NSL_EX_USAGE and a message that names the 1-based byte
 * column, e.g.
 *	formula: column 7: expected ')'
 *	formula: column 3: unknown name "Nx"
 * (NSL_EX_SOFTWARE if memory runs out).  err's file and line are kept.
 */
struct nsl_expr *nsl_expr_parse(const char *text, const char *const *names,
    size_t nnames, struct nsl_err *err);

/* Free an expression; NULL is fine. */
void nsl_expr_free(struct nsl_expr *);

/* The value at vals[0..nnames). */
double nsl_expr_eval(const struct nsl_expr *, const double *vals);

/*
 * The value at vals[0..nnames), and in grad[0..nnames) the partial
 * derivative with respect to every name (0 for a name the expression does
 * not use), by reverse-mode automatic differentiation over the tape.
 */
double nsl_expr_eval_grad(const struct nsl_expr *, const double *vals,
    double *grad);

/*
 * 1 if the expression is affine jointly in the names flagged in
 * in[0..nnames) (value = h + sum_k c_k * name_k with h and c_k free of
 * them), by the degree of each instruction; 0 otherwise.  A product of two
 * flagged names, a flagged name in a divisor, a power or a function is not
 * affine, even where it happens to be (x^1).
 */
int nsl_expr_affine(const struct nsl_expr *, const unsigned char *in);

/* Whether name k appears in the expression (0 for k >= nnames). */
int nsl_expr_uses(const struct nsl_expr *, size_t k);

/* The number of names the expression was compiled with. */
size_t nsl_expr_nnames(const struct nsl_expr *);

/*
 * Append the compiled expression to buf, fully parenthesised, after
 * constant folding: "E + A*N^-alpha" prints "(E + (A * (N ^ (-alpha))))".
 * The text parses back (with the same names) to an expression with the
 * same value, bit for bit, everywhere.  Check nsl_buf_failed() after.
 */
void nsl_expr_print(const struct nsl_expr *, struct nsl_buf *buf);

#endif /* NSL_EXPR_H */
