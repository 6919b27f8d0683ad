/*
 * test_expr.c - nsl/expr.h against independent references:
 *  - values: each formula is also written directly in C below, so the C
 *    compiler evaluates the same mathematics without our parser or tape;
 *  - gradients: derivatives worked out by hand (in comments) and written in
 *    C, and central finite differences at random points;
 *  - precedence, numbers and error messages: expected values and texts
 *    worked out by hand;
 *  - robustness: random byte strings through the parser (run under ASan
 *    by make check-asan).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_psi.h>

#include "nsl/expr.h"
#include "unit.h"

/* The names every test formula may use, in evaluation-vector order. */
static const char *const names[] = {
	"x", "y", "z", "N", "D", "E", "A", "B", "alpha", "beta"
};
#define NN (sizeof(names) / sizeof(names[0]))
enum { X, Y, Z, IN, ID, IE, IA, IB, IALPHA, IBETA };

static uint64_t rng_state = 0x2545f4914f6cdd1du;

/* splitmix64 with a fixed seed, so failures reproduce. */
static uint64_t
rng(void)
{
	uint64_t r = (rng_state += 0x9e3779b97f4a7c15u);

	r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9u;
	r = (r ^ (r >> 27)) * 0x94d049bb133111ebu;
	return r ^ (r >> 31);
}

static double
uniform(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng() >> 11) / 9007199254740992.0);
}

/* A random point where every test formula is defined and smooth. */
static void
random_point(double *v)
{
	v[X] = uniform(0.5, 3);
	v[Y] = uniform(0.5, 3);
	v[Z] = uniform(0.5, 3);
	v[IN] = exp(uniform(log(1e6), log(1e10)));
	v[ID] = exp(uniform(log(1e8), log(1e12)));
	v[IE] = uniform(1, 3);
	v[IA] = uniform(10, 1000);
	v[IB] = uniform(10, 1000);
	v[IALPHA] = uniform(0.1, 0.6);
	v[IBETA] = uniform(0.1, 0.6);
}

static int
close_to(double got, double want, double rel)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= rel * fmax(fabs(want), 1e-300);
}

static double
c_sigmoid(double t)
{
	return 1 / (1 + exp(-t));
}

static double
c_softplus(double t)
{
	return log(1 + exp(t));
}

/*
 * Value cases: the formula as text and the same formula in C.  Every one
 * is smooth on random_point()'s box, so the finite-difference check of the
 * gradient applies to all of them.
 */
#define VALUE_CASES(C) \
	C(1, "x + y*z", x + y * z) \
	C(2, "x - y - z", x - y - z) \
	C(3, "x / y / z", x / y / z) \
	C(4, "(x + y) * z", (x + y) * z) \
	C(5, "x^y", pow(x, y)) \
	C(6, "x ** 2", x * x) \
	C(7, "x^y^z", pow(x, pow(y, z))) \
	C(8, "-x^2", -(x * x)) \
	C(9, "E + A*N^-alpha + B*D^-beta", \
	    E + A * pow(N, -alpha) + B * pow(D, -beta)) \
	C(10, "E + A/N^alpha + B/D^beta", \
	    E + A / pow(N, alpha) + B / pow(D, beta)) \
	C(11, "((A/N)^(alpha/beta) + B/D)^beta", \
	    pow(pow(A / N, alpha / beta) + B / D, beta)) \
	C(12, "exp(x) + log(y) + log10(z) + log2(x*y)", \
	    exp(x) + log(y) + log10(z) + log2(x * y)) \
	C(13, "sqrt(x*y) * abs(x - y - 5)", sqrt(x * y) * fabs(x - y - 5)) \
	C(14, "sin(x) * cos(y) + tanh(z - 1)", sin(x) * cos(y) + tanh(z - 1)) \
	C(15, "sigmoid(x - y) + softplus(z - 2)", \
	    c_sigmoid(x - y) + c_softplus(z - 2)) \
	C(16, "min(x, y) + max(y, z) * 2", fmin(x, y) + fmax(y, z) * 2) \
	C(17, "pow(x, y - z)", pow(x, y - z)) \
	C(18, "E - 3.5e-1 * exp(-alpha * log(N) / 10)", \
	    E - 3.5e-1 * exp(-alpha * log(N) / 10)) \
	C(19, "x*x*x - 2*x*y + .5*z + 7.", x * x * x - 2 * x * y + .5 * z + 7.) \
	C(20, "--x + +y - -z", x + y + z) \
	C(21, "2*3*x + x/(4*0.5)", 6 * x + x / 2) \
	C(22, "log(1 + exp(-x*y)) / (1 + z^-1.5)", \
	    log(1 + exp(-x * y)) / (1 + pow(z, -1.5))) \
	C(23, "A * exp(-alpha * x) + E", A * exp(-alpha * x) + E) \
	C(24, "E - A * exp(-beta * y)", E - A * exp(-beta * y)) \
	C(25, "x", x) \
	C(26, "2.5", 2.5) \
	C(27, "atan(x - 2) + atan2(y - 1.5, z - 2)", \
	    atan(x - 2) + atan2(y - 1.5, z - 2)) \
	C(28, "asin(x/4) * acos(y/4 - 0.1)", asin(x / 4) * acos(y / 4 - 0.1)) \
	C(29, "sinh(x - 1) / cosh(y)", sinh(x - 1) / cosh(y)) \
	C(30, "erf(x - 1) + 3*erfc(y - 2)", erf(x - 1) + 3 * erfc(y - 2)) \
	C(31, "lgamma(x) - lgamma(y*z)", lgamma(x) - lgamma(y * z)) \
	C(32, "expm1(-alpha*x) * log1p(beta*y)", \
	    expm1(-alpha * x) * log1p(beta * y)) \
	C(33, "pi*x + e^y", 3.141592653589793 * x + pow(2.718281828459045, y)) \
	C(34, "A - B*x - atan(alpha/(x - 5*beta))/pi", \
	    A - B * x - atan(alpha / (x - 5 * beta)) / 3.141592653589793)

#define DEFINE_CASE(id, text, cexpr) \
	static double \
	case_##id(const double *v) \
	{ \
		double x = v[X], y = v[Y], z = v[Z], N = v[IN], D = v[ID]; \
		double E = v[IE], A = v[IA], B = v[IB]; \
		double alpha = v[IALPHA], beta = v[IBETA]; \
		(void)x; (void)y; (void)z; (void)N; (void)D; (void)E; \
		(void)A; (void)B; (void)alpha; (void)beta; \
		return (cexpr); \
	}
VALUE_CASES(DEFINE_CASE)

static const struct vcase {
	const char *text;
	double (*f)(const double *);
} vcases[] = {
#define LIST_CASE(id, text, cexpr) { text, case_##id },
	VALUE_CASES(LIST_CASE)
};
#define NVCASES (sizeof(vcases) / sizeof(vcases[0]))

static struct nsl_expr *
compile(const char *text)
{
	struct nsl_err err;
	struct nsl_expr *e;

	nsl_err_clear(&err);
	e = nsl_expr_parse(text, names, NN, &err);
	if (e == NULL)
		printf("# %s: %s\n", text, err.msg);
	return e;
}

/* Every value case against C, at many random points, also after print. */
static void
test_values(int npoints)
{
	size_t c;
	int i;

	for (c = 0; c < NVCASES; c++) {
		struct nsl_expr *e = compile(vcases[c].text), *e2 = NULL;
		struct nsl_buf buf = NSL_BUF_INIT;
		int ok = e != NULL, same = 1;

		if (e != NULL) {
			nsl_expr_print(e, &buf);
			e2 = compile(buf.data);
		}
		for (i = 0; ok && i < npoints; i++) {
			double v[NN], want, got, grad[NN];

			random_point(v);
			want = vcases[c].f(v);
			got = nsl_expr_eval(e, v);
			if (!close_to(got, want, 4e-16 * 8)) {
				printf("# %s at point %d: got %.17g, want %.17g\n",
				    vcases[c].text, i, got, want);
				ok = 0;
			}
			if (nsl_expr_eval_grad(e, v, grad) != got)
				ok = 0;
			if (e2 == NULL || nsl_expr_eval(e2, v) != got)
				same = 0;
		}
		UNIT_CHECK(ok, "value of %s matches C", vcases[c].text);
		UNIT_CHECK(same, "print of %s (%s) parses back to the same values",
		    vcases[c].text, buf.data ? buf.data : "?");
		nsl_buf_release(&buf);
		nsl_expr_free(e);
		nsl_expr_free(e2);
	}
}

/*
 * Gradients against central differences.  h = 6e-6 |v_k| balances the
 * O(h^2) truncation error against the O(eps/h) rounding error, leaving
 * about 1e-10 relative; the check asks for 1e-6.
 */
static void
test_grad_fd(int npoints)
{
	size_t c, k;
	int i;

	for (c = 0; c < NVCASES; c++) {
		struct nsl_expr *e = compile(vcases[c].text);
		int ok = e != NULL;

		for (i = 0; ok && i < npoints; i++) {
			double v[NN], grad[NN], f;

			random_point(v);
			f = nsl_expr_eval_grad(e, v, grad);
			for (k = 0; k < NN; k++) {
				double w[NN], h = 6e-6 * fabs(v[k]), fd, tol;

				memcpy(w, v, sizeof(w));
				w[k] = v[k] + h;
				fd = nsl_expr_eval(e, w);
				w[k] = v[k] - h;
				fd = (fd - nsl_expr_eval(e, w)) / (2 * h);
				/* relative 1e-6, with a floor for a zero
				 * derivative: the rounding noise eps*|f|/h */
				tol = 1e-6 * fabs(grad[k]) +
				    1e-12 * fmax(fabs(f), 1) / h;
				if (!(fabs(fd - grad[k]) <= tol)) {
					printf("# %s d/d%s at point %d: ad %.17g fd %.17g\n",
					    vcases[c].text, names[k], i, grad[k], fd);
					ok = 0;
				}
				if (!nsl_expr_uses(e, k) && grad[k] != 0)
					ok = 0;
			}
		}
		UNIT_CHECK(ok, "gradient of %s matches central differences",
		    vcases[c].text);
		nsl_expr_free(e);
	}
}

/* The Chinchilla law's gradient, derived by hand. */
static void
test_grad_chinchilla(int npoints)
{
	const char *forms[] = {
		"E + A*N^-alpha + B*D^-beta",
		"E + A/N^alpha + B/D^beta",
		"E + A * pow(N, -alpha) + B * exp(-beta * log(D))",
	};
	size_t f, k;
	int i;

	for (f = 0; f < 3; f++) {
		struct nsl_expr *e = compile(forms[f]);
		int ok = e != NULL;

		for (i = 0; ok && i < npoints; i++) {
			double v[NN], g[NN], want[NN] = { 0 }, L;
			double N, D, A, B, al, be, Na, Db;

			random_point(v);
			N = v[IN], D = v[ID], A = v[IA], B = v[IB];
			al = v[IALPHA], be = v[IBETA];
			Na = pow(N, -al);
			Db = pow(D, -be);
			/*
			 * L = E + A N^-a + B D^-b
			 * dL/dE = 1          dL/dA = N^-a     dL/dB = D^-b
			 * dL/da = -A ln(N) N^-a   dL/db = -B ln(D) D^-b
			 * dL/dN = -a A N^(-a-1)   dL/dD = -b B D^(-b-1)
			 */
			want[IE] = 1;
			want[IA] = Na;
			want[IB] = Db;
			want[IALPHA] = -A * log(N) * Na;
			want[IBETA] = -B * log(D) * Db;
			want[IN] = -al * A * pow(N, -al - 1);
			want[ID] = -be * B * pow(D, -be - 1);
			L = nsl_expr_eval_grad(e, v, g);
			if (!close_to(L, v[IE] + A * Na + B * Db, 1e-14))
				ok = 0;
			for (k = 0; k < NN; k++)
				if (!close_to(g[k], want[k], 1e-12) &&
				    !(want[k] == 0 && g[k] == 0)) {
					printf("# %s d/d%s: %.17g want %.17g\n",
					    forms[f], names[k], g[k], want[k]);
					ok = 0;
				}
		}
		UNIT_CHECK(ok, "gradient of %s equals the hand-derived one",
		    forms[f]);
		nsl_expr_free(e);
	}
}

/*
 * Each function's derivative, worked out by hand, at several points of
 * its domain (x may be negative here: v[X] is set directly).
 */
static void
test_grad_functions(void)
{
	static const double xs[] = { -2.5, -0.3, 0.7, 1.9, 30 };
	static const struct {
		const char *text;
		int positive;	/* defined only for x > 0 */
	} f[] = {
		{ "exp(x)", 0 }, { "log(x)", 1 }, { "log10(x)", 1 },
		{ "log2(x)", 1 }, { "sqrt(x)", 1 }, { "abs(x)", 0 },
		{ "sin(x)", 0 }, { "cos(x)", 0 }, { "tanh(x)", 0 },
		{ "sigmoid(x)", 0 }, { "softplus(x)", 0 }, { "-x", 0 },
		{ "x^3", 0 }, { "1/x", 0 },
		{ "atan(x)", 0 }, { "asin(x/40)", 0 }, { "acos(x/40)", 0 },
		{ "sinh(x)", 0 }, { "cosh(x)", 0 }, { "erf(x)", 0 },
		{ "erfc(x)", 0 }, { "lgamma(x)", 0 }, { "expm1(x)", 0 },
		{ "log1p(x)", 1 }, { "atan2(x, 2)", 0 }, { "atan2(2, x)", 0 },
	};
	size_t i, j;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct nsl_expr *e = compile(f[i].text);
		int ok = e != NULL;

		for (j = 0; ok && j < sizeof(xs) / sizeof(xs[0]); j++) {
			double v[NN] = { 0 }, g[NN], x = xs[j], want, s;


			if (f[i].positive && x <= 0)
				continue;
			v[X] = x;
			s = c_sigmoid(x);
			switch (i) {
			case 0: want = exp(x); break;		/* e^x */
			case 1: want = 1 / x; break;		/* 1/x */
			case 2: want = 1 / (x * log(10)); break;
			case 3: want = 1 / (x * log(2)); break;
			case 4: want = 1 / (2 * sqrt(x)); break;
			case 5: want = x > 0 ? 1 : -1; break;
			case 6: want = cos(x); break;
			case 7: want = -sin(x); break;
			case 8: want = 1 / (cosh(x) * cosh(x)); break;	/* sech^2 */
			case 9: want = exp(-x) / ((1 + exp(-x)) * (1 + exp(-x))); break;
			case 10: want = s; break;	/* d log(1+e^x) = e^x/(1+e^x) */
			case 11: want = -1; break;
			case 12: want = 3 * x * x; break;
			case 13: want = -1 / (x * x); break;
			case 14: want = 1 / (1 + x * x); break;
			/* d asin(x/40) = 1/(40 sqrt(1 - x^2/1600))
			 * = 1/sqrt(1600 - x^2) */
			case 15: want = 1 / sqrt(1600 - x * x); break;
			case 16: want = -1 / sqrt(1600 - x * x); break;
			case 17: want = cosh(x); break;
			case 18: want = sinh(x); break;
			case 19: want = 2 / sqrt(M_PI) * exp(-x * x); break;
			case 20: want = -2 / sqrt(M_PI) * exp(-x * x); break;
			case 21: want = gsl_sf_psi(x); break;	/* digamma */
			case 22: want = exp(x); break;
			case 23: want = 1 / (1 + x); break;
			/* atan2(x, 2) = atan(x/2): 2/(x^2 + 4);
			 * atan2(2, x): -2/(x^2 + 4) */
			case 24: want = 2 / (x * x + 4); break;
			default: want = -2 / (x * x + 4); break;
			}
			nsl_expr_eval_grad(e, v, g);
			if (!close_to(g[X], want, 1e-13)) {
				printf("# d/dx %s at %g: %.17g want %.17g\n",
				    f[i].text, x, g[X], want);
				ok = 0;
			}
		}
		UNIT_CHECK(ok, "derivative of %s is the analytic one", f[i].text);
		nsl_expr_free(e);
	}
}

static double
eval_at(const char *text, const double *v, double *grad)
{
	struct nsl_expr *e = compile(text);
	double r, g[NN];

	if (e == NULL)
		return -12345.678;
	r = nsl_expr_eval_grad(e, v, grad != NULL ? grad : g);
	if (nsl_expr_eval(e, v) != r && !isnan(r))
		r = -12345.678;
	nsl_expr_free(e);
	return r;
}

/* Derivatives at the points where the header documents a choice. */
static void
test_grad_edges(void)
{
	double v[NN] = { 0 }, g[NN];

	v[X] = 0;
	eval_at("abs(x)", v, g);
	UNIT_CHECK(g[X] == 0, "d|x|/dx = 0 at x = 0");
	v[X] = 2, v[Y] = 2;
	eval_at("min(x, y)", v, g);
	UNIT_CHECK(g[X] == 1 && g[Y] == 0, "min(x, y) passes the derivative to x on a tie");
	eval_at("max(x, y)", v, g);
	UNIT_CHECK(g[X] == 1 && g[Y] == 0, "max(x, y) passes the derivative to x on a tie");
	v[X] = 1, v[Y] = 2;
	eval_at("min(x, y) + 3*max(x, y)", v, g);
	UNIT_CHECK(g[X] == 1 && g[Y] == 3, "min and max route derivatives to the chosen argument");
	v[X] = 0, v[Y] = 0;
	UNIT_CHECK(eval_at("x^y", v, g) == 1 && g[X] == 0,
	    "d(x^0)/dx = 0 at x = 0 (not 0 * inf)");
	v[X] = 0, v[Y] = 2;
	UNIT_CHECK(eval_at("x^y", v, g) == 0 && g[X] == 0 && g[Y] == 0,
	    "d(0^y)/dy = 0 for y > 0 (not 0 * -inf)");
	v[X] = 2, v[Y] = 3;
	eval_at("x*x*y + x", v, g);
	/* d/dx = 2xy + 1 = 13, d/dy = x^2 = 4 */
	UNIT_CHECK(g[X] == 13 && g[Y] == 4, "a name used several times sums its adjoints");
	v[X] = NAN, v[Y] = 1;
	UNIT_CHECK(isnan(eval_at("min(x, y)", v, g)) && isnan(g[Y]),
	    "min with a NaN argument is NaN, and so is its derivative");
	UNIT_CHECK(isnan(eval_at("max(y, x)", v, NULL)), "max with a NaN argument is NaN");
}

/*
 * lgamma's derivative at points where digamma is known in closed form:
 * psi(1) = -gamma (Euler's constant), psi(1/2) = -gamma - 2 log 2,
 * psi(-1/2) = psi(1/2) + 2 (psi(x + 1) = psi(x) + 1/x), psi(n + 1) =
 * -gamma + H_n for n = 10 (H_10 = 7381/2520), and far out psi(1e6) =
 * log(1e6) - 1/(2e6) - 1/(12e12) to double precision.  At the poles the
 * derivative is NaN.
 */
static void
test_lgamma(void)
{
	static const struct {
		double x, want;
	} c[] = {
		{ 1, -0.57721566490153286061 },
		{ 0.5, -0.57721566490153286061 - 1.3862943611198906188 },
		{ -0.5, -0.57721566490153286061 - 1.3862943611198906188 + 2 },
		{ 11, -0.57721566490153286061 + 7381.0 / 2520 },
		{ 1e6, 13.815510557964274104 - 5e-7 - 1.0 / 12e12 },
	};
	double v[NN] = { 0 }, g[NN];
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v[X] = c[i].x;
		eval_at("lgamma(x)", v, g);
		if (!close_to(g[X], c[i].want, 4e-15)) {
			printf("# digamma(%g) = %.17g, want %.17g\n", c[i].x,
			    g[X], c[i].want);
			ok = 0;
		}
	}
	UNIT_CHECK(ok, "d lgamma(x)/dx is digamma at its closed-form values");
	v[X] = -2;
	eval_at("lgamma(x)", v, g);
	UNIT_CHECK(isnan(g[X]), "d lgamma/dx at the pole -2 is NaN");
	v[X] = -2.5;
	/* |Gamma(-2.5)| = 8 sqrt(pi)/15 */
	UNIT_CHECK(close_to(eval_at("lgamma(x)", v, NULL),
	    log(8 * sqrt(M_PI) / 15), 1e-13), "lgamma(-2.5) = log(8 sqrt(pi)/15)");
	v[X] = 0, v[Y] = 0;
	eval_at("atan2(x, y)", v, g);
	UNIT_CHECK(isnan(g[X]) && isnan(g[Y]), "atan2's derivative at the "
	    "origin is NaN");
	v[X] = -1e-300;
	UNIT_CHECK(eval_at("expm1(x)", v, NULL) == -1e-300 &&
	    eval_at("log1p(x)", v, NULL) == -1e-300,
	    "expm1 and log1p keep tiny arguments exact");
}

/* pi and e, and the caller's names shadowing them. */
static void
test_constants(void)
{
	const char *const nm[] = { "e", "x" };
	double v[NN] = { 0 }, w[2] = { 5, 2 };
	struct nsl_err err;
	struct nsl_expr *c;

	UNIT_CHECK(eval_at("pi", v, NULL) == M_PI, "pi is the double nearest pi");
	UNIT_CHECK(eval_at("e", v, NULL) == M_E, "e is the double nearest e");
	UNIT_CHECK(eval_at("cos(pi)", v, NULL) == -1, "cos(pi) = -1");
	nsl_err_clear(&err);
	c = nsl_expr_parse("e * x + pi", nm, 2, &err);
	UNIT_CHECK(c != NULL && nsl_expr_eval(c, w) == 5 * 2 + M_PI &&
	    nsl_expr_uses(c, 0), "a name e shadows the constant e, pi stays");
	nsl_expr_free(c);
}

/* Joint affinity in a set of names, worked out by hand per formula. */
static void
test_affine(void)
{
	static const struct {
		const char *text;
		int in[3];	/* names flagged (indices), -1 ends */
		int want;
	} c[] = {
		{ "E + A*N^-alpha + B*D^-beta", { IE, IA, IB }, 1 },
		{ "E + A*N^-alpha + B*D^-beta", { IE, IALPHA, -1 }, 0 },
		{ "E + A/N^alpha", { IA, IE, -1 }, 1 },
		{ "A*B*x", { IA, IB, -1 }, 0 },		/* product of two */
		{ "A*B*x", { IA, -1, -1 }, 1 },
		{ "x/A", { IA, -1, -1 }, 0 },		/* in a divisor */
		{ "(A + 2*B - x)*exp(-y) - E/3", { IA, IB, IE }, 1 },
		{ "exp(A)", { IA, -1, -1 }, 0 },
		{ "A^1", { IA, -1, -1 }, 0 },
		{ "-(A*x + y)*z", { IA, -1, -1 }, 1 },
		{ "x + y", { IA, -1, -1 }, 1 },		/* degree 0 is affine */
	};
	size_t i, j;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nsl_expr *e = compile(c[i].text);
		unsigned char in[NN] = { 0 };

		for (j = 0; j < 3 && c[i].in[j] >= 0; j++)
			in[c[i].in[j]] = 1;
		UNIT_CHECK(e != NULL && nsl_expr_affine(e, in) == c[i].want,
		    "%s is %saffine in the flagged names", c[i].text,
		    c[i].want ? "" : "not ");
		nsl_expr_free(e);
	}
}

/* Precedence, associativity, numbers: values worked out by hand. */
static void
test_precedence(void)
{
	static const struct {
		const char *text;
		double want;
	} c[] = {
		{ "2^3^2", 512 },		/* 2^(3^2) = 2^9 */
		{ "2**3**2", 512 },
		{ "(2^3)^2", 64 },
		{ "-2^2", -4 },			/* -(2^2): maths convention */
		{ "(-2)^2", 4 },
		{ "2^-1", 0.5 },		/* signed exponent */
		{ "-2^-2", -0.25 },		/* -(2^(-2)) */
		{ "2^-1^2", 0.5 },		/* 2^(-(1^2)) */
		{ "1 - 2 - 3", -4 },		/* (1-2)-3 */
		{ "8 / 4 / 2", 1 },		/* (8/4)/2 */
		{ "2 + 3 * 4", 14 },
		{ "(2 + 3) * 4", 20 },
		{ "2 * -3", -6 },
		{ "2 - -3", 5 },
		{ "-3 * 2 ^ 2", -12 },		/* -(3) * 4 */
		{ "2 * 3 ^ 2", 18 },
		{ "12 / 2 * 3", 18 },		/* (12/2)*3 */
		{ "x^2", 9 },			/* x = 3 */
		{ "-x^2", -9 },
		{ "-x**2 + 1", -8 },
		{ "pow(2, 10)", 1024 },
		{ "min(3, 2) * max(3, 2)", 6 },
		{ "sqrt(16) + abs(-2) + log2(8) + log10(1000)", 4 + 2 + 3 + 3 },
		{ "1e-3", 0.001 },
		{ "1E+2", 100 },
		{ "2.5e2", 250 },
		{ ".5", 0.5 },
		{ "5.", 5 },
		{ "007", 7 },
		{ "0.1", 0.1 },			/* correctly rounded, as strtod */
		{ "  x\t*\n2 ", 6 },
		{ "((((x))))", 3 },
	};
	double v[NN] = { 0 };
	size_t i;

	v[X] = 3;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double got = eval_at(c[i].text, v, NULL);

		UNIT_CHECK(got == c[i].want, "case %zu: %s = %g (got %.17g)", i,
		    strpbrk(c[i].text, "\t\n") ? "(with tab and newline)" :
		    c[i].text, c[i].want, got);
	}
}

/* C's domain errors, and the numerically safe sigmoid and softplus. */
static void
test_domain(void)
{
	double v[NN] = { 0 };

	UNIT_CHECK(eval_at("log(x)", v, NULL) == -INFINITY, "log(0) = -inf");
	UNIT_CHECK(isnan(eval_at("sqrt(x - 1)", v, NULL)), "sqrt(-1) = NaN");
	UNIT_CHECK(eval_at("1 / x", v, NULL) == INFINITY, "1/0 = inf");
	UNIT_CHECK(eval_at("1 / 0", v, NULL) == INFINITY,
	    "1/0 with constants is not folded away, still inf");
	UNIT_CHECK(isnan(eval_at("log(-1)", v, NULL)), "log(-1) = NaN");
	UNIT_CHECK(eval_at("softplus(1000)", v, NULL) == 1000, "softplus(1000) = 1000, no overflow");
	UNIT_CHECK(eval_at("softplus(-1000)", v, NULL) == 0, "softplus(-1000) = 0");
	UNIT_CHECK(eval_at("sigmoid(-1000)", v, NULL) == 0, "sigmoid(-1000) = 0, not NaN");
	UNIT_CHECK(eval_at("sigmoid(1000)", v, NULL) == 1, "sigmoid(1000) = 1");
	v[X] = 800;
	{
		double g[NN];

		eval_at("softplus(x)", v, g);
		UNIT_CHECK(g[X] == 1, "d softplus(x)/dx = 1 at x = 800, no overflow");
		eval_at("sigmoid(-x)", v, g);
		UNIT_CHECK(g[X] == 0, "d sigmoid(-x)/dx = 0 at x = 800, not NaN");
	}
}

static void
test_uses_print(void)
{
	struct nsl_expr *e = compile("E + A*N^-alpha");
	struct nsl_buf buf = NSL_BUF_INIT;
	static const struct {
		const char *text, *want;
	} p[] = {
		{ "E + A*N^-alpha", "(E + (A * (N ^ (-alpha))))" },
		{ "-2^2", "(-4)" },			/* folded */
		{ "2*3*x", "(6 * x)" },			/* (2*3)*x folds */
		{ "x*2*3", "((x * 2) * 3)" },		/* (x*2)*3 does not */
		{ "1/0 + x", "((1 / 0) + x)" },		/* inf is not folded */
		{ "pow(x, 2) + min(y, 1e21) - log(0.001)",
		    "(((x ^ 2) + min(y, 1e+21)) - (-6.907755278982137))" },
		{ "sigmoid(-x)", "sigmoid((-x))" },
		{ "-0", "(-0)" },
	};
	size_t i;

	UNIT_CHECK(e != NULL && nsl_expr_uses(e, IE) && nsl_expr_uses(e, IA) &&
	    nsl_expr_uses(e, IN) && nsl_expr_uses(e, IALPHA),
	    "uses() is true for every name in the formula");
	UNIT_CHECK(e != NULL && !nsl_expr_uses(e, IB) && !nsl_expr_uses(e, ID) &&
	    !nsl_expr_uses(e, IBETA) && !nsl_expr_uses(e, X) &&
	    !nsl_expr_uses(e, NN) && !nsl_expr_uses(e, (size_t)-1),
	    "uses() is false for names not in the formula and out of range");
	UNIT_CHECK(e != NULL && nsl_expr_nnames(e) == NN, "nnames() is the count given");
	nsl_expr_free(e);
	e = compile("0 * x");
	UNIT_CHECK(e != NULL && nsl_expr_uses(e, X), "0 * x still uses x");
	nsl_expr_free(e);

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		e = compile(p[i].text);
		nsl_buf_reset(&buf);
		if (e != NULL)
			nsl_expr_print(e, &buf);
		UNIT_CHECK(e != NULL && !nsl_buf_failed(&buf) &&
		    strcmp(buf.data, p[i].want) == 0,
		    "%s prints %s (got %s)", p[i].text, p[i].want,
		    buf.data ? buf.data : "?");
		nsl_expr_free(e);
	}
	nsl_buf_release(&buf);

	/* No names at all: constants only, and the name list is NULL. */
	{
		struct nsl_err err;
		struct nsl_expr *c;

		nsl_err_clear(&err);
		c = nsl_expr_parse("1 + 2", NULL, 0, &err);
		UNIT_CHECK(c != NULL && nsl_expr_eval(c, NULL) == 3,
		    "a formula without names, names = NULL");
		nsl_expr_free(c);
		c = nsl_expr_parse("1 + q", NULL, 0, &err);
		UNIT_CHECK(c == NULL && strcmp(err.msg,
		    "formula: column 5: unknown name \"q\" (no names are defined)") == 0,
		    "unknown name with no names defined (%s)", err.msg);
	}
	/* A name that is also a function name. */
	{
		const char *const nm[] = { "exp", "log" };
		double v[2] = { 2, 5 };
		struct nsl_err err;
		struct nsl_expr *c;

		nsl_err_clear(&err);
		c = nsl_expr_parse("exp * exp(log)", nm, 2, &err);
		UNIT_CHECK(c != NULL && nsl_expr_eval(c, v) == 2 * exp(5),
		    "a name may shadow a function name when not called");
		nsl_expr_free(c);
	}
}

/* Error messages, worked out by hand: the column is 1-based bytes. */
static void
test_errors(void)
{
	static const struct {
		const char *text, *msg;
	} c[] = {
		{ "", "formula: column 1: empty formula" },
		{ "   ", "formula: column 4: empty formula" },
		{ "E + A*Nx", "formula: column 7: unknown name \"Nx\" "
		    "(names: x, y, z, N, D, E, A, B, alpha, beta)" },
		{ "(x + 1", "formula: column 7: expected ')'" },
		{ "((x + 1) * 2", "formula: column 13: expected ')'" },
		{ "(x + 1 y)", "formula: column 8: expected ')', found \"y\"" },
		{ "x + 1)", "formula: column 6: unexpected \")\"" },
		{ "x y", "formula: column 3: unexpected \"y\" (missing operator?)" },
		{ "2x", "formula: column 2: unexpected \"x\" (missing operator?)" },
		{ "x 2", "formula: column 3: unexpected \"2\" (missing operator?)" },
		{ "x (y)", "formula: column 3: unexpected \"(\" after name \"x\" (missing operator?)" },
		{ "2 (y)", "formula: column 3: unexpected \"(\" (missing operator?)" },
		{ "x +", "formula: column 4: expected an expression, found end of formula" },
		{ "x + * y", "formula: column 5: expected an expression, found \"*\"" },
		{ "()", "formula: column 2: expected an expression, found \")\"" },
		{ "x $ y", "formula: column 3: unexpected \"$\"" },
		{ "x + \001", "formula: column 5: expected an expression, found byte 0x01" },
		{ "foo(x)", "formula: column 1: unknown function \"foo\" (functions: "
		    "exp, log, log10, log2, sqrt, abs, sin, cos, tanh, sigmoid, "
		    "softplus, atan, asin, acos, sinh, cosh, erf, erfc, lgamma, "
		    "expm1, log1p, min, max, pow, atan2)" },
		{ "log(x, y)", "formula: column 1: log() takes 1 argument, not 2" },
		{ "min(x)", "formula: column 1: min() takes 2 arguments, not 1" },
		{ "max(x y)", "formula: column 7: expected ',' or ')', found \"y\"" },
		{ "exp(", "formula: column 5: expected an expression, found end of formula" },
		{ "1e", "formula: column 1: malformed number \"1e\"" },
		{ "2 * 1e+", "formula: column 5: malformed number \"1e+\"" },
		{ "1e999", "formula: column 1: number \"1e999\" out of range" },
		{ "1.2.3", "formula: column 4: unexpected \".3\" (missing operator?)" },
		{ "x ^ ", "formula: column 5: expected an expression, found end of formula" },
		{ "x * * 2", "formula: column 5: expected an expression, found \"*\"" },
		{ ". 5", "formula: column 1: expected an expression, found \".\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nsl_err err;
		struct nsl_expr *e;

		nsl_err_clear(&err);
		e = nsl_expr_parse(c[i].text, names, NN, &err);
		UNIT_CHECK(e == NULL && err.code == 64 && strcmp(err.msg, c[i].msg) == 0,
		    "error for \"%s\": %s (got %s)", c[i].text, c[i].msg, err.msg);
		nsl_expr_free(e);
	}
	{
		const char *const dup[] = { "a", "b", "a" };
		struct nsl_err err;

		nsl_err_clear(&err);
		UNIT_CHECK(nsl_expr_parse("a + b", dup, 3, &err) == NULL &&
		    err.code == 64 &&
		    strcmp(err.msg, "formula: name \"a\" given twice") == 0,
		    "a name given twice is an error (%s)", err.msg);
	}
}

/* The documented limits: nesting depth and tape length. */
static void
test_limits(void)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	struct nsl_expr *e;
	int i;
	double v[NN] = { 0 };

	v[X] = 1;
	/* depth: each '(' adds a level through unary */
	for (i = 0; i < NSL_EXPR_MAX_DEPTH - 1; i++)
		nsl_buf_addc(&b, '(');
	nsl_buf_adds(&b, "x");
	for (i = 0; i < NSL_EXPR_MAX_DEPTH - 1; i++)
		nsl_buf_addc(&b, ')');
	e = compile(b.data);
	UNIT_CHECK(e != NULL && nsl_expr_eval(e, v) == 1,
	    "%d nested parentheses parse", NSL_EXPR_MAX_DEPTH - 1);
	nsl_expr_free(e);
	nsl_buf_reset(&b);
	for (i = 0; i < 100000; i++)
		nsl_buf_addc(&b, '(');
	nsl_err_clear(&err);
	e = nsl_expr_parse(b.data, names, NN, &err);
	UNIT_CHECK(e == NULL && err.code == 64 && strstr(err.msg,
	    "formula nested too deeply") != NULL,
	    "100000 '(' is an error, not a stack overflow (%s)", err.msg);
	nsl_buf_reset(&b);
	for (i = 0; i < 100000; i++)
		nsl_buf_addc(&b, '-');
	nsl_buf_addc(&b, 'x');
	e = nsl_expr_parse(b.data, names, NN, &err);
	UNIT_CHECK(e == NULL && strstr(err.msg, "nested too deeply") != NULL,
	    "100000 unary minuses are an error");

	/* length: "x+x+...+x" with n terms is 1 VAR + (n-1) ADD */
	nsl_buf_reset(&b);
	nsl_buf_adds(&b, "x");
	for (i = 1; i < NSL_EXPR_MAX_NODES; i++)
		nsl_buf_adds(&b, "+x");
	e = compile(b.data);
	UNIT_CHECK(e != NULL && nsl_expr_eval(e, v) == NSL_EXPR_MAX_NODES,
	    "a tape of exactly %d instructions", NSL_EXPR_MAX_NODES);
	nsl_expr_free(e);
	nsl_buf_adds(&b, "+x");
	e = nsl_expr_parse(b.data, names, NN, &err);
	UNIT_CHECK(e == NULL && err.code == 64 && strstr(err.msg,
	    "formula too long (more than 1024 operations)") != NULL,
	    "one more is an error (%s)", err.msg);
	/* folded constants do not count once folded */
	nsl_buf_reset(&b);
	nsl_buf_adds(&b, "x*(1");
	for (i = 0; i < 5000; i++)
		nsl_buf_adds(&b, "+1");
	nsl_buf_adds(&b, ")");
	e = compile(b.data);
	UNIT_CHECK(e != NULL && nsl_expr_eval(e, v) == 5001,
	    "5001 constants folded as they are read fit the tape");
	nsl_expr_free(e);
	nsl_buf_release(&b);
}

/* Random byte strings must not crash the parser (ASan catches misuse). */
static void
test_fuzz(int n)
{
	static const char alphabet[] = "xyzNDEAB_alphbet0123456789.eE+-*/^(),"
	    " \t\nexplogsqrtabsinmaxpow";
	int i, parsed = 0, ok = 1;
	double v[NN];

	random_point(v);
	for (i = 0; i < n; i++) {
		char s[64];
		size_t len = rng() % sizeof(s), j;
		struct nsl_err err;
		struct nsl_expr *e;

		for (j = 0; j < len; j++) {
			uint64_t r = rng();

			s[j] = r % 8 == 0 ? (char)(1 + (r >> 8) % 255) :
			    alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		}
		s[len] = '\0';
		nsl_err_clear(&err);
		e = nsl_expr_parse(s, names, NN, &err);
		if (e == NULL) {
			if (err.code != 64 || strncmp(err.msg, "formula: ", 9) != 0)
				ok = 0;
			continue;
		}
		parsed++;
		{
			double g[NN], a = nsl_expr_eval(e, v);
			double b = nsl_expr_eval_grad(e, v, g);
			struct nsl_buf buf = NSL_BUF_INIT;
			struct nsl_expr *e2;

			nsl_expr_print(e, &buf);
			e2 = compile(buf.data);
			if (!(a == b || (isnan(a) && isnan(b))) || e2 == NULL)
				ok = 0;
			else {
				double c = nsl_expr_eval(e2, v);

				if (!(a == c || (isnan(a) && isnan(c)))) {
					printf("# %s -> %s: %.17g vs %.17g\n", s,
					    buf.data, a, c);
					ok = 0;
				}
			}
			nsl_expr_free(e2);
			nsl_buf_release(&buf);
		}
		nsl_expr_free(e);
	}
	UNIT_CHECK(ok, "%d random strings: clean errors or round-tripping "
	    "expressions (%d parsed)", n, parsed);
}

/*
 * Random fully parenthesised formulas, with their value computed here by
 * walking the tree as it is generated (no parser, no tape).  They must
 * parse, evaluate to exactly that value, agree between eval and
 * eval_grad, and print to text that parses back to the same value.  Each
 * is then damaged at one random byte, which must not crash the parser.
 */
static double
gen(struct nsl_buf *b, const double *v, int depth)
{
	static const double consts[] = { 0, 1, 2, 0.5, 3.25, 1e-3, 7, 1e3 };
	static const char *const ws[] = { "", "", " ", "\t" };
	unsigned r = (unsigned)(rng() % 16);
	double a, c;

	nsl_buf_adds(b, ws[rng() % 4]);
	if (depth == 0 || r < 4) {
		if (r % 2 == 0) {
			size_t k = rng() % NN;

			nsl_buf_adds(b, names[k]);
			return v[k];
		}
		c = consts[rng() % 8];
		nsl_buf_addf(b, "%.17g", c);
		return c;
	}
	if (r < 10) {		/* binary operator */
		static const char *const ops[] = { "+", "-", "*", "/", "^", "**" };
		int o = (int)(rng() % 6);

		nsl_buf_addc(b, '(');
		a = gen(b, v, depth - 1);
		nsl_buf_adds(b, ws[rng() % 4]);
		nsl_buf_adds(b, ops[o]);
		c = gen(b, v, depth - 1);
		nsl_buf_addc(b, ')');
		switch (o) {
		case 0: return a + c;
		case 1: return a - c;
		case 2: return a * c;
		case 3: return a / c;
		default: return pow(a, c);
		}
	}
	if (r == 10) {
		/* "(-x)": bare "-x" is not a primary (-x^2 = -(x^2)) */
		nsl_buf_adds(b, "(-");
		a = gen(b, v, depth - 1);
		nsl_buf_addc(b, ')');
		return -a;
	}
	if (r == 11) {		/* two-argument functions */
		int f = (int)(rng() % 3);

		nsl_buf_adds(b, f == 0 ? "min(" : f == 1 ? "max(" : "pow(");
		a = gen(b, v, depth - 1);
		nsl_buf_adds(b, ",");
		c = gen(b, v, depth - 1);
		nsl_buf_addc(b, ')');
		if (f == 2)
			return pow(a, c);
		if (isnan(a) || isnan(c))
			return NAN;
		return f == 0 ? (a <= c ? a : c) : (a >= c ? a : c);
	}
	{			/* one-argument functions */
		static const char *const fn[] = {
			"exp", "log", "log10", "log2", "sqrt", "abs", "sin",
			"cos", "tanh"
		};
		int f = (int)(rng() % 9);

		nsl_buf_adds(b, fn[f]);
		nsl_buf_adds(b, "(");
		a = gen(b, v, depth - 1);
		nsl_buf_adds(b, ")");
		switch (f) {
		case 0: return exp(a);
		case 1: return log(a);
		case 2: return log10(a);
		case 3: return log2(a);
		case 4: return sqrt(a);
		case 5: return fabs(a);
		case 6: return sin(a);
		case 7: return cos(a);
		default: return tanh(a);
		}
	}
}

static int
same(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static void
test_random_trees(int n)
{
	int i, ok = 1, damaged_ok = 1, finite = 0;

	for (i = 0; i < n; i++) {
		struct nsl_buf b = NSL_BUF_INIT, pb = NSL_BUF_INIT;
		struct nsl_expr *e, *e2 = NULL;
		struct nsl_err err;
		double v[NN], g[NN], want, got;

		random_point(v);
		want = gen(&b, v, (int)(rng() % 7));
		e = compile(b.data);
		if (e == NULL) {
			ok = 0;
			goto next;
		}
		got = nsl_expr_eval(e, v);
		finite += isfinite(want) != 0;
		nsl_expr_print(e, &pb);
		e2 = compile(pb.data);
		if (!same(got, want) || !same(nsl_expr_eval_grad(e, v, g), got) ||
		    e2 == NULL || !same(nsl_expr_eval(e2, v), got)) {
			if (ok)
				printf("# %s: got %.17g, want %.17g\n", b.data,
				    got, want);
			ok = 0;
		}
		/* damage one byte */
		if (b.len > 0) {
			b.data[rng() % b.len] = (char)(1 + rng() % 255);
			nsl_err_clear(&err);
			nsl_expr_free(e2);
			e2 = nsl_expr_parse(b.data, names, NN, &err);
			if (e2 == NULL && (err.code != 64 || err.msg[0] == '\0'))
				damaged_ok = 0;
			if (e2 != NULL)
				nsl_expr_eval_grad(e2, v, g);
		}
next:
		nsl_expr_free(e);
		nsl_expr_free(e2);
		nsl_buf_release(&b);
		nsl_buf_release(&pb);
	}
	UNIT_CHECK(ok, "%d random formulas evaluate exactly to their tree's "
	    "value, also after print (%d finite)", n, finite);
	UNIT_CHECK(damaged_ok, "the same formulas damaged at one byte: clean "
	    "errors, no crash");
}

/* One expression evaluated from many threads gives the serial results. */
static void
test_threads(void)
{
	struct nsl_expr *e = compile("E + A*N^-alpha + B*D^-beta");
	double pts[256][NN], want[256], got[256], g[256][NN];
	int i, ok = 1;

	for (i = 0; i < 256; i++) {
		random_point(pts[i]);
		want[i] = nsl_expr_eval(e, pts[i]);
	}
#pragma omp parallel for num_threads(4)
	for (i = 0; i < 256; i++)
		got[i] = nsl_expr_eval_grad(e, pts[i], g[i]);
	for (i = 0; i < 256; i++)
		if (got[i] != want[i] || g[i][IA] != pow(pts[i][IN], -pts[i][IALPHA]))
			ok = 0;
	UNIT_CHECK(ok, "concurrent evaluation from 4 threads matches serial");
	nsl_expr_free(e);
}

int
main(void)
{
	int quick = unit_quick();

	test_values(quick ? 50 : 500);
	test_grad_fd(quick ? 20 : 200);
	test_grad_chinchilla(quick ? 50 : 500);
	test_grad_functions();
	test_grad_edges();
	test_lgamma();
	test_constants();
	test_affine();
	test_precedence();
	test_domain();
	test_uses_print();
	test_errors();
	test_limits();
	test_fuzz(quick ? 3000 : 30000);
	test_random_trees(quick ? 2000 : 20000);
	test_threads();
	return unit_done();
}
