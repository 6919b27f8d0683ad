/*
 * ot.c - costs, log-domain Sinkhorn, debiased divergence, Sinkhorn-Newton-
 * Sparse, OTDD and the nsl_ot_solve() driver.  See nsl/ot.h.
 *
 * Sinkhorn works on potentials (f, g) with the coupling
 *	P_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)
 * and the soft-min updates
 *	g_j = -eps log sum_i a_i exp((f_i - C_ij) / eps)
 *	f_i = -eps log sum_j b_j exp((g_j - C_ij) / eps).
 * Each sum is taken relative to the row's current potential (the sum is
 * then P's row marginal over a_i, about 1 near convergence), with one
 * exponential per entry; a row whose sum leaves [1e-200, 1e200] is redone
 * with the row maximum.  The f update therefore yields the row marginals
 * of the state (f, g) for free: the L1 error is measured there, and when
 * it is below tol the state (f, g) -- exact columns, rows within tol -- is
 * the answer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "nsl/ot.h"
#include "nsl/dataset.h"
#include "nsl/json.h"
#include "nsl/vec.h"
#include "ot_internal.h"

#define BLOCK_BYTES (32u << 20)
/* below this many entries a pass runs on one thread */
#define PAR_MIN ((size_t)1 << 17)
/* SNS solves its Newton systems directly up to this many points a side */
#define SNS_DIRECT_MAX 8192

/* ---- parameters ---- */

static const char *const method_names[] = {
	"exact", "sinkhorn", "divergence", "sns", "sliced", "gaussian", "otdd"
};
static const char *const cost_names[] = {
	"sqeuclidean", "euclidean", "cosine"
};

const char *
nsl_ot_method_name(enum nsl_ot_method m)
{
	return method_names[m];
}

int
nsl_ot_method_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(method_names) / sizeof(*method_names); i++)
		if (strcmp(s, method_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
nsl_ot_cost_name(enum nsl_ot_cost c)
{
	return cost_names[c];
}

int
nsl_ot_cost_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(cost_names) / sizeof(*cost_names); i++)
		if (strcmp(s, cost_names[i]) == 0)
			return (int)i;
	return -1;
}

void
nsl_ot_params_init(struct nsl_ot_params *o)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	memset(o, 0, sizeof(*o));
	o->method = NSL_OT_EXACT;
	o->cost = NSL_OT_SQEUCLIDEAN;
	o->p = 2;
	o->eps = 0;
	o->eps_rel = 0.05;
	o->tol = 1e-9;
	o->max_iter = 100000;
	o->scaling = 0.5;
	o->max_memory = pages > 0 && psize > 0 ?
	    (double)pages * (double)psize / 4 : 1e9;
	o->projections = 100;
	o->cv = NSL_OT_CV_NONE;
	o->inner = NSL_OT_EXACT;
	o->plan_threshold = 1e-12;
}

const char *
nsl_ot_check(const struct nsl_ot_params *o)
{
	if (o->cost == NSL_OT_SQEUCLIDEAN && o->p != 2)
		return "--p: the sqeuclidean cost has p = 2 (use --cost "
		    "euclidean --p P)";
	if (o->cost == NSL_OT_COSINE && o->p != 1)
		return "--p: the cosine cost has p = 1";
	if (!(o->p >= 1))
		return "--p: must be at least 1";
	if (!(o->tol > 0))
		return "--tol: must be positive";
	if (!(o->scaling > 0 && o->scaling < 1))
		return "--eps-scaling: must be in (0, 1)";
	if (o->eps <= 0 && o->eps_rel <= 0)
		return "--eps or --eps-rel: must be positive";
	if (o->cv != NSL_OT_CV_NONE && o->method != NSL_OT_SLICED)
		return "--control-variate: only with --method sliced";
	if (o->cv != NSL_OT_CV_NONE && o->cost != NSL_OT_SQEUCLIDEAN)
		return "--control-variate: needs the sqeuclidean cost "
		    "(Gaussian W2)";
	if ((o->method == NSL_OT_GAUSSIAN || o->method == NSL_OT_OTDD) &&
	    o->cost != NSL_OT_SQEUCLIDEAN)
		return "gaussian and otdd: need the sqeuclidean cost";
	if (o->method == NSL_OT_SLICED && o->cost == NSL_OT_COSINE)
		return "sliced: needs a euclidean cost";
	if (o->inner != NSL_OT_EXACT && o->inner != NSL_OT_SINKHORN)
		return "--inner: exact or sinkhorn";
	if (o->projections < 2)
		return "--projections: at least 2";
	return NULL;
}

void
nsl_ot_result_release(struct nsl_ot_result *r)
{
	free(r->f);
	free(r->g);
	free(r->plan);
	r->f = r->g = NULL;
	r->plan = NULL;
	r->nplan = 0;
}

/* ---- costs ---- */

static inline double
cost_of(enum nsl_ot_cost kind, double p, double v)
{
	switch (kind) {
	case NSL_OT_SQEUCLIDEAN:
		return v;
	case NSL_OT_EUCLIDEAN:
		return p == 1 ? sqrt(v) : p == 2 ? v : pow(sqrt(v), p);
	default:
		return v;
	}
}

/*
 * Rows [i0, i1) of side into out (rows of length K), SUB_ROWS at a time
 * on each thread: a single-threaded dgemm of those rows, then the cost of
 * each entry while they are still in cache.  One OpenBLAS call spread
 * over its own threads would contend with OpenMP's, and the fixed
 * sub-blocks (aligned to SUB_ROWS from row 0, as blocks are multiples of
 * it) make every entry the same bits whatever the block or thread count.
 */
#define SUB_ROWS 32

static void
cost_rows_serial(const struct ot_cost *c, int side, size_t i0, size_t i1,
    double *out)
{
	const double *X = side ? c->y : c->x, *Y = side ? c->x : c->y;
	const double *xsq = side ? c->ysq : c->xsq, *ysq = side ? c->xsq :
	    c->ysq;
	const int *lx = side ? c->lb : c->la, *ly = side ? c->la : c->lb;
	size_t K = side ? c->n : c->m, d = c->d, i, k;

	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(i1 - i0),
	    (int)K, (int)d, 1.0, X + i0 * d, (int)d, Y, (int)d, 0.0, out,
	    (int)K);
	for (i = i0; i < i1; i++) {
		double *o = out + (i - i0) * K;

		if (c->kind == NSL_OT_COSINE) {
			for (k = 0; k < K; k++) {
				double v = 1 - o[k];

				o[k] = v < 0 ? 0 : v > 2 ? 2 : v;
			}
		} else if (c->kind == NSL_OT_SQEUCLIDEAN) {
			for (k = 0; k < K; k++) {
				double v = xsq[i] + ysq[k] - 2 * o[k];

				o[k] = v < 0 ? 0 : v;
			}
		} else {
			for (k = 0; k < K; k++) {
				double v = xsq[i] + ysq[k] - 2 * o[k];

				o[k] = cost_of(c->kind, c->p, v < 0 ? 0 : v);
			}
		}
		if (c->ltab != NULL) {
			for (k = 0; k < K; k++)
				o[k] += side ? c->ltab[(size_t)ly[k] * c->nlb +
				    (size_t)lx[i]] : c->ltab[(size_t)lx[i] *
				    c->nlb + (size_t)ly[k]];
		}
	}
}

static void
cost_compute(const struct ot_cost *c, int side, size_t i0, size_t i1,
    double *out)
{
	size_t K = side ? c->n : c->m;
	long nsub = (long)((i1 - i0 + SUB_ROWS - 1) / SUB_ROWS), q;
	int blas_threads;

	if (i1 == i0)
		return;
	blas_threads = nsl_vec_blas_serial();
#pragma omp parallel for schedule(dynamic) if ((i1 - i0) * K > PAR_MIN)
	for (q = 0; q < nsub; q++) {
		size_t r0 = i0 + (size_t)q * SUB_ROWS;
		size_t r1 = r0 + SUB_ROWS < i1 ? r0 + SUB_ROWS : i1;

		cost_rows_serial(c, side, r0, r1, out + (r0 - i0) * K);
	}
	nsl_vec_blas_restore(blas_threads);
}

size_t
ot_cost_block(const struct ot_cost *c, int side)
{
	return c->C != NULL ? (side ? c->m : c->n) : c->block;
}

const double *
ot_cost_rows(struct ot_cost *c, int side, size_t i0, size_t i1)
{
	if (c->C != NULL)
		return (side ? c->CT + i0 * c->n : c->C + i0 * c->m);
	cost_compute(c, side, i0, i1, c->buf);
	return c->buf;
}

void
ot_cost_free(struct ot_cost *c)
{
	free(c->xn);
	free(c->yn);
	free(c->xsq);
	free(c->ysq);
	free(c->C);
	free(c->CT);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

int
ot_cost_init(struct ot_cost *c, const struct nsl_ot_problem *pr,
    enum nsl_ot_cost kind, double p, const double *ltab, size_t nlb,
    int store, struct nsl_err *err)
{
	size_t n = pr->n, m = pr->m, d = pr->d, K;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->p = p;
	c->n = n;
	c->m = m;
	c->d = d;
	c->x = pr->x;
	c->y = pr->y;
	c->la = pr->la;
	c->lb = pr->lb;
	c->ltab = ltab;
	c->nlb = nlb;
	c->nla = ltab != NULL ? pr->nla : 0;
	c->xsq = malloc(n * sizeof(double));
	c->ysq = malloc(m * sizeof(double));
	if (c->xsq == NULL || c->ysq == NULL)
		goto nomem;
	if (kind == NSL_OT_COSINE) {
		c->xn = malloc(n * d * sizeof(double));
		c->yn = malloc(m * d * sizeof(double));
		if (c->xn == NULL || c->yn == NULL)
			goto nomem;
		memcpy(c->xn, pr->x, n * d * sizeof(double));
		memcpy(c->yn, pr->y, m * d * sizeof(double));
		nsl_vec_normalize_rows(c->xn, n, d);
		nsl_vec_normalize_rows(c->yn, m, d);
		c->x = c->xn;
		c->y = c->yn;
	}
	nsl_vec_row_sqnorms(c->x, n, d, c->xsq);
	nsl_vec_row_sqnorms(c->y, m, d, c->ysq);
	if (store) {
		size_t i, j, i0, j0;

		c->C = malloc(n * m * sizeof(double));
		c->CT = malloc(n * m * sizeof(double));
		if (c->C == NULL || c->CT == NULL)
			goto nomem;
		cost_compute(c, 0, 0, n, c->C);
		for (i0 = 0; i0 < n; i0 += 64)
			for (j0 = 0; j0 < m; j0 += 64)
				for (i = i0; i < n && i < i0 + 64; i++)
					for (j = j0; j < m && j < j0 + 64; j++)
						c->CT[j * n + i] =
						    c->C[i * m + j];
		return 0;
	}
	K = n > m ? n : m;
	/* at least a few sub-blocks per block, so that both threads work */
	c->block = BLOCK_BYTES / (K * sizeof(double)) / SUB_ROWS * SUB_ROWS;
	if (c->block < 4 * SUB_ROWS)
		c->block = 4 * SUB_ROWS;
	c->buf = malloc(c->block * K * sizeof(double));
	if (c->buf == NULL)
		goto nomem;
	return 0;
nomem:
	ot_cost_free(c);
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory for the "
	    "costs of %zu x %zu points", n, m);
}

void
nsl_ot_cost_matrix(const struct nsl_ot_problem *pr, enum nsl_ot_cost kind,
    double p, double *C)
{
	struct ot_cost c;
	struct nsl_err err;
	struct nsl_ot_problem q = *pr;

	q.la = q.lb = NULL;
	if (ot_cost_init(&c, &q, kind, p, NULL, 0, 0, &err) < 0)
		return;
	cost_compute(&c, 0, 0, pr->n, C);
	ot_cost_free(&c);
}

/*
 * The largest cost when C is stored; otherwise an upper bound from the
 * union's bounding box.
 */
static double
cost_diameter(const struct ot_cost *c)
{
	size_t k, i;
	double s = 0;

	if (c->C != NULL) {	/* stored: the true largest cost */
		double mx = 0;

		for (i = 0; i < c->n * c->m; i++)
			mx = fmax(mx, c->C[i]);
		return mx;
	}
	if (c->kind == NSL_OT_COSINE)
		return 2;
	for (k = 0; k < c->d; k++) {
		double lo = INFINITY, hi = -INFINITY, w;

		for (i = 0; i < c->n; i++) {
			lo = fmin(lo, c->x[i * c->d + k]);
			hi = fmax(hi, c->x[i * c->d + k]);
		}
		for (i = 0; i < c->m; i++) {
			lo = fmin(lo, c->y[i * c->d + k]);
			hi = fmax(hi, c->y[i * c->d + k]);
		}
		w = hi - lo;
		s += w * w;
	}
	return cost_of(c->kind, c->p, s);
}

/* Mean cost under a x b: closed form for sqeuclidean, one pass else. */
static double
cost_mean(struct ot_cost *c, const double *a, const double *b)
{
	size_t i, j, k, d = c->d;
	double s = 0;

	if (c->kind == NSL_OT_SQEUCLIDEAN && c->ltab == NULL) {
		double sa = 0, sb = 0, dot = 0;

		for (i = 0; i < c->n; i++)
			sa += a[i] * c->xsq[i];
		for (j = 0; j < c->m; j++)
			sb += b[j] * c->ysq[j];
		for (k = 0; k < d; k++) {
			double ma = 0, mb = 0;

			for (i = 0; i < c->n; i++)
				ma += a[i] * c->x[i * d + k];
			for (j = 0; j < c->m; j++)
				mb += b[j] * c->y[j * d + k];
			dot += ma * mb;
		}
		return fmax(sa + sb - 2 * dot, 0);
	}
	{
		size_t B = ot_cost_block(c, 0), i0;

		for (i0 = 0; i0 < c->n; i0 += B) {
			size_t i1 = i0 + B < c->n ? i0 + B : c->n;
			const double *row = ot_cost_rows(c, 0, i0, i1);

			for (i = i0; i < i1; i++) {
				double t = 0;

				for (j = 0; j < c->m; j++)
					t += b[j] * row[(i - i0) * c->m + j];
				s += a[i] * t;
			}
		}
	}
	return s;
}

/* ---- a fast exp for the soft-min sums ---- */

/* 1/12!, 1/11!, ..., 1/2, 1, 1: the Taylor polynomial of exp, Horner order */
#define EXP_TERMS 13
static const double exp_taylor[EXP_TERMS] = {
	1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
	1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
	1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0
};

/*
 * exp(x) for x in [-708, 709] to about 2 ulp (0 below): x = k ln2 + r,
 * |r| <= ln2/2, a degree-12 Taylor polynomial of exp(r), times 2^k built
 * from its bits.  Written so that loops over it vectorise.
 */
static inline double
fexp(double x)
{
	const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
	const double ln2hi = 0x1.62e42fefa39efp-1, ln2lo = 0x1.abc9e3b39803fp-56;
	union {
		double d;
		int64_t i;
	} k, sc;
	double xc = fmin(fmax(x, -708.0), 709.0), kd, r, pr;
	int j;

	k.d = xc * log2e + shifter;
	kd = k.d - shifter;
	r = xc - kd * ln2hi - kd * ln2lo;
	pr = exp_taylor[0];
	for (j = 1; j < EXP_TERMS; j++)
		pr = pr * r + exp_taylor[j];
	/* the low bits of k hold round(xc log2e); add the exponent bias */
	sc.i = (k.i - 0x4338000000000000LL + 1023) << 52;
	return x < -708.0 ? 0.0 : pr * sc.d;
}

/*
 * The same exp, eight lanes at a time with GCC/Clang vector extensions
 * (which allow the bit reinterpretation that stops the auto-vectoriser;
 * in place, since passing such vectors by value changes the ABI), and
 * the soft-min row sum sum_j exp(h_j - row_j inv + sh) built on it.
 * The lanes, the operations (no contraction into fma: -std=c11 keeps
 * fp-contract off) and the order of the final sum are fixed, so every
 * clone below returns the same bits; only the instruction width differs.
 */
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8i __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) void
vexp(v8d *xp)
{
	const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
	const double ln2hi = 0x1.62e42fefa39efp-1, ln2lo = 0x1.abc9e3b39803fp-56;
	const v8d zero = { 0 }, lo = zero - 708.0, hi = zero + 709.0;
	v8d x = *xp, xc, k, kd, r, pr;
	v8i under = x < -708.0, over = x > 709.0, e;
	int j;

	xc = (v8d)(((v8i)lo & under) | ((v8i)x & ~under));
	xc = (v8d)(((v8i)hi & over) | ((v8i)xc & ~over));
	k = xc * log2e + shifter;
	kd = k - shifter;
	r = xc - kd * ln2hi - kd * ln2lo;
	pr = zero + exp_taylor[0];
	for (j = 1; j < EXP_TERMS; j++)
		pr = pr * r + exp_taylor[j];
	e = ((v8i)k - (0x4338000000000000LL - 1023)) << 52;
	*xp = (v8d)((v8i)(pr * (v8d)e) & ~under);
}

/*
 * sum_j exp(h_j - row_j inv + sh) over j < K, in a fixed order.  The
 * soft-min passes spend nearly all their time here, so it is built for
 * the widest vectors the CPU has (chosen once, at load time).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static double
row_expsum(const double *h, const double *row, size_t K, double inv,
    double sh)
{
	v8d acc = { 0 }, hv, rv, t8;
	size_t j = 0;
	double t = 0, s;
	int l;

	for (; j + 8 <= K; j += 8) {
		memcpy(&hv, h + j, sizeof(hv));
		memcpy(&rv, row + j, sizeof(rv));
		t8 = hv - rv * inv + sh;
		vexp(&t8);
		acc += t8;
	}
	for (; j < K; j++)
		t += fexp(h[j] - row[j] * inv + sh);
	s = 0;
	for (l = 0; l < 8; l++)
		s += acc[l];
	return s + t;
}

/* ---- log-domain Sinkhorn ---- */

struct sk {
	struct ot_cost *c;
	size_t n, m;
	const double *a, *b;
	double *loga, *logb;
	double *f, *g, *tmp, *ratio, *h;
};

/*
 * out[r] = -eps log sum_k w_k exp((h_k - C_rk) / eps) for the rows of
 * side (h: the other side's potential, logw its log weights), each sum
 * shifted by shift[r]; ratio[r] = the shifted sum.
 */
static void
softmin(struct sk *s, int side, const double *other, const double *logw,
    const double *shift, double eps, double *out, double *ratio)
{
	size_t R = side ? s->m : s->n, K = side ? s->n : s->m, k, i0;
	size_t B = ot_cost_block(s->c, side);
	double inv = 1 / eps, *h = s->h;

	for (k = 0; k < K; k++)
		h[k] = logw[k] + other[k] * inv;
	for (i0 = 0; i0 < R; i0 += B) {
		size_t i1 = i0 + B < R ? i0 + B : R;
		const double *blk = ot_cost_rows(s->c, side, i0, i1);
		long r;

#pragma omp parallel for schedule(static) if ((i1 - i0) * K > PAR_MIN)
		for (r = (long)i0; r < (long)i1; r++) {
			const double *row = blk + (size_t)(r - (long)i0) * K;
			double sh = shift[r] * inv, sum = 0;
			size_t j;

			sum = row_expsum(h, row, K, inv, sh);
			if (sum >= 1e-200 && sum <= 1e200) {
				out[r] = shift[r] - eps * log(sum);
				if (ratio)
					ratio[r] = sum;
			} else {
				double mx = -INFINITY, ls;

				for (j = 0; j < K; j++) {
					double t = h[j] - row[j] * inv;

					if (t > mx)
						mx = t;
				}
				sum = 0;
				for (j = 0; j < K; j++)
					sum += exp(h[j] - row[j] * inv - mx);
				ls = mx + log(sum);
				out[r] = -eps * ls;
				if (ratio)
					ratio[r] = fmin(exp(ls + sh), 1e300);
			}
		}
	}
}

static void
sk_free(struct sk *s)
{
	free(s->loga);
	free(s->logb);
	free(s->f);
	free(s->g);
	free(s->tmp);
	free(s->ratio);
	free(s->h);
}

static int
sk_init(struct sk *s, struct ot_cost *c, const double *a, const double *b,
    struct nsl_err *err)
{
	size_t i, K = c->n > c->m ? c->n : c->m;

	memset(s, 0, sizeof(*s));
	s->c = c;
	s->n = c->n;
	s->m = c->m;
	s->a = a;
	s->b = b;
	s->loga = malloc(s->n * sizeof(double));
	s->logb = malloc(s->m * sizeof(double));
	s->f = calloc(s->n, sizeof(double));
	s->g = calloc(s->m, sizeof(double));
	s->tmp = malloc(K * sizeof(double));
	s->ratio = malloc(K * sizeof(double));
	s->h = malloc(K * sizeof(double));
	if (!s->loga || !s->logb || !s->f || !s->g || !s->tmp || !s->ratio ||
	    !s->h) {
		sk_free(s);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < s->n; i++)
		s->loga[i] = log(a[i]);
	for (i = 0; i < s->m; i++)
		s->logb[i] = log(b[i]);
	return 0;
}

/* g <- T_b(f), then f' <- T_a(g); returns the L1 row error of (f, g). */
static double
sk_step(struct sk *s, double eps, int keep_f_if_below, double tol)
{
	size_t i;
	double e = 0;

	softmin(s, 1, s->f, s->loga, s->g, eps, s->tmp, NULL);
	memcpy(s->g, s->tmp, s->m * sizeof(double));
	softmin(s, 0, s->g, s->logb, s->f, eps, s->tmp, s->ratio);
	for (i = 0; i < s->n; i++)
		e += fabs(s->a[i] * s->ratio[i] - s->a[i]);
	if (!(keep_f_if_below && e < tol))
		memcpy(s->f, s->tmp, s->n * sizeof(double));
	return e;
}

/*
 * Entropic objective <P, C> + eps KL(P | a x b) of (f, g) given the row
 * ratios of that state: sum f r + sum g c + eps (1 - mass), where the
 * columns c are b (after a g update) or r itself (symmetric problems).
 */
static double
sk_objective(const struct sk *s, double eps, int sym)
{
	size_t i;
	double o = 0, mass = 0;

	for (i = 0; i < s->n; i++) {
		double r = s->a[i] * s->ratio[i];

		o += (sym ? 2 : 1) * s->f[i] * r;
		mass += r;
	}
	if (!sym)
		for (i = 0; i < s->m; i++)
			o += s->g[i] * s->b[i];
	return o + eps * (1 - mass);
}

/*
 * OT(a, a): one potential, the averaged update f <- (f + T(f)) / 2 of
 * GeomLoss (plain alternation oscillates on symmetric problems).  The
 * error is that of the state (f, f), measured as the update is computed.
 */
static void
sk_solve_sym(struct sk *s, double eps, double diam, double scaling,
    double tol, long max_iter, long *iters, double *errout, int *conv)
{
	double e = diam, er = INFINITY;
	long it = 0, k;
	size_t i, n = s->n;

	for (;;) {
		int last = !(e > eps);
		double ee = last ? eps : e;

		for (k = 0; k < (last ? max_iter : 1); k++) {
			softmin(s, 0, s->f, s->loga, s->f, ee, s->tmp,
			    s->ratio);
			it++;
			if (last) {
				er = 0;
				for (i = 0; i < n; i++)
					er += fabs(s->a[i] * s->ratio[i] -
					    s->a[i]);
				if (er < tol)
					break;
			}
			for (i = 0; i < n; i++)
				s->f[i] = (s->f[i] + s->tmp[i]) / 2;
		}
		if (last)
			break;
		e *= scaling;
	}
	memcpy(s->g, s->f, n * sizeof(double));
	*conv = er < tol;
	*iters = it;
	*errout = er;
}

/* <P, C> and optionally the plan entries above thr. */
static int
sk_transport(struct sk *s, double eps, double *value, int want_plan,
    double thr, struct nsl_ot_plan_entry **plan, size_t *nplan,
    struct nsl_err *err)
{
	size_t n = s->n, m = s->m, B = ot_cost_block(s->c, 0), i0, cap = 0;
	double inv = 1 / eps, total = 0, *rowv = s->tmp;

	*nplan = 0;
	for (i0 = 0; i0 < n; i0 += B) {
		size_t i1 = i0 + B < n ? i0 + B : n, i;
		const double *blk = ot_cost_rows(s->c, 0, i0, i1);
		long r;

		for (i = 0; i < m; i++)
			s->h[i] = s->logb[i] + s->g[i] * inv;
#pragma omp parallel for schedule(static) if ((i1 - i0) * m > PAR_MIN)
		for (r = (long)i0; r < (long)i1; r++) {
			const double *row = blk + (size_t)(r - (long)i0) * m;
			double fa = s->f[r] * inv + s->loga[r], t = 0;
			size_t j;

			for (j = 0; j < m; j++)
				t += fexp(fa + s->h[j] - row[j] * inv) * row[j];
			rowv[r - (long)i0] = t;
		}
		for (i = i0; i < i1; i++)
			total += rowv[i - i0];
		if (!want_plan)
			continue;
		for (i = i0; i < i1; i++) {
			const double *row = blk + (i - i0) * m;
			double fa = s->f[i] * inv + s->loga[i];
			size_t j;

			for (j = 0; j < m; j++) {
				double p = exp(fa + s->h[j] - row[j] * inv);

				if (!(p > thr))
					continue;
				if (*nplan == cap) {
					struct nsl_ot_plan_entry *q;

					cap = cap ? 2 * cap : 1024;
					q = realloc(*plan, cap * sizeof(*q));
					if (q == NULL)
						return nsl_err_set(err,
						    NSL_EX_SOFTWARE, "out of "
						    "memory for the plan");
					*plan = q;
				}
				(*plan)[*nplan].i = i;
				(*plan)[*nplan].j = j;
				(*plan)[(*nplan)++].mass = p;
			}
		}
	}
	*value = total;
	return 0;
}

/*
 * Anneal eps from the diameter down (one step per value), then iterate
 * at eps until the row error is below tol or max_iter steps.
 */
static void
sk_solve(struct sk *s, double eps, double diam, double scaling, double tol,
    long max_iter, long *iters, double *errout, int *conv)
{
	double e = diam, er = INFINITY;
	long it = 0, k;

	while (e > eps) {
		sk_step(s, e, 0, 0);
		it++;
		e *= scaling;
	}
	*conv = 0;
	for (k = 0; k < max_iter; k++) {
		er = sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
	}
	*iters = it;
	*errout = er;
}

/* ---- Sinkhorn-Newton-Sparse ---- */

/*
 * The sparsified coupling and the Newton phase's work space.  Row i of
 * the sparse P holds cnt[i] (at most cap) entries at col/val + i cap.
 */
struct sns {
	size_t cap;
	size_t *cnt;
	uint32_t *col;
	double *val;
	double *rowbuf;		/* per thread: m */
	int nthreads;
	/* the direct solver's Schur complement (k x k), or NULL for PCG;
	 * room for the dense scaled rows (n x m), or NULL */
	double *S, *Qd;
};

/* Sparse rows in compressed form: row i is [ptr[i], ptr[i + 1]). */
struct csr {
	size_t *ptr;
	uint32_t *idx;
	double *val;
};

#ifdef _OPENMP
#include <omp.h>
#endif

/*
 * Row pass at (f, g): r_i = sum_j P_ij; with sp, each row's entries
 * above 1e-8 times its largest go to the sparse rows (at most cap each,
 * the threshold raised tenfold until they fit).
 */
static void
sns_rows(struct sk *s, const double *f, const double *g, double eps,
    double *r, struct sns *sp)
{
	size_t n = s->n, m = s->m, B = ot_cost_block(s->c, 0), i0, j;
	double inv = 1 / eps;

	for (j = 0; j < m; j++)
		s->h[j] = s->logb[j] + g[j] * inv;
	for (i0 = 0; i0 < n; i0 += B) {
		size_t i1 = i0 + B < n ? i0 + B : n;
		const double *blk = ot_cost_rows(s->c, 0, i0, i1);
		long i;

#pragma omp parallel for schedule(static) if ((i1 - i0) * m > PAR_MIN)
		for (i = (long)i0; i < (long)i1; i++) {
			const double *row = blk + (size_t)(i - (long)i0) * m;
			double fa = f[i] * inv + s->loga[i], t = 0, mx = 0,
			    thr;
			double *pb = NULL;
			size_t k, c;
			int tid = 0;

#ifdef _OPENMP
			tid = omp_get_thread_num();
#endif
			if (sp != NULL)
				pb = sp->rowbuf + (size_t)tid * m;
			for (k = 0; k < m; k++) {
				double p = fexp(fa + s->h[k] - row[k] * inv);

				t += p;
				if (pb) {
					pb[k] = p;
					if (p > mx)
						mx = p;
				}
			}
			r[i] = t;
			if (pb == NULL)
				continue;
			thr = mx * 1e-8;
			for (;;) {
				c = 0;
				for (k = 0; k < m; k++)
					c += pb[k] > thr;
				if (c <= sp->cap)
					break;
				thr *= 10;
			}
			c = 0;
			for (k = 0; k < m; k++)
				if (pb[k] > thr) {
					sp->col[(size_t)i * sp->cap + c] =
					    (uint32_t)k;
					sp->val[(size_t)i * sp->cap + c++] =
					    pb[k];
				}
			sp->cnt[i] = c;
		}
	}
}

/* Column sums c_j = sum_i P_ij by a pass over side 1. */
static void
sns_cols(struct sk *s, const double *f, const double *g, double eps,
    double *c)
{
	size_t n = s->n, m = s->m, B = ot_cost_block(s->c, 1), j0, i;
	double inv = 1 / eps;

	for (i = 0; i < n; i++)
		s->h[i] = s->loga[i] + f[i] * inv;
	for (j0 = 0; j0 < m; j0 += B) {
		size_t j1 = j0 + B < m ? j0 + B : m;
		const double *blk = ot_cost_rows(s->c, 1, j0, j1);
		long j;

#pragma omp parallel for schedule(static) if ((j1 - j0) * n > PAR_MIN)
		for (j = (long)j0; j < (long)j1; j++) {
			const double *row = blk + (size_t)(j - (long)j0) * n;
			double gb = g[j] * inv + s->logb[j], t = 0;

			t = row_expsum(s->h, row, n, inv, gb);
			c[j] = t;
		}
	}
}

static double
dual_value(const struct sk *s, const double *f, const double *g,
    const double *r, double eps)
{
	size_t i;
	double v = 0, mass = 0;

	for (i = 0; i < s->n; i++) {
		v += s->a[i] * f[i];
		mass += r[i];
	}
	for (i = 0; i < s->m; i++)
		v += s->b[i] * g[i];
	return v - eps * mass + eps;
}

/* y = A x with A = [[diag r, P], [P^T, diag c]] / eps + mu I. */
static void
sns_matvec(const struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, double mu, const double *x, double *y)
{
	size_t i, k;
	long ii;

#pragma omp parallel for schedule(static) if (n * sp->cap > PAR_MIN)
	for (ii = 0; ii < (long)n; ii++) {
		double t = r[ii] * x[ii];

		for (k = 0; k < sp->cnt[ii]; k++)
			t += sp->val[(size_t)ii * sp->cap + k] *
			    x[n + sp->col[(size_t)ii * sp->cap + k]];
		y[ii] = t / eps + mu * x[ii];
	}
	for (i = 0; i < m; i++)
		y[n + i] = c[i] * x[n + i];
	for (i = 0; i < n; i++)
		for (k = 0; k < sp->cnt[i]; k++)
			y[n + sp->col[i * sp->cap + k]] +=
			    sp->val[i * sp->cap + k] * x[i];
	for (i = 0; i < m; i++)
		y[n + i] = y[n + i] / eps + mu * x[n + i];
}

/* The sparse rows of P (transpose 0) or of P^T (1), indices increasing. */
static int
sns_csr(const struct sns *sp, size_t n, size_t m, int transpose,
    struct csr *q)
{
	size_t R = transpose ? m : n, nnz = 0, i, t, j;

	for (i = 0; i < n; i++)
		nnz += sp->cnt[i];
	q->ptr = calloc(R + 1, sizeof(size_t));
	q->idx = malloc((nnz ? nnz : 1) * sizeof(uint32_t));
	q->val = malloc((nnz ? nnz : 1) * sizeof(double));
	if (!q->ptr || !q->idx || !q->val)
		return -1;
	if (!transpose) {
		for (i = 0; i < n; i++) {
			q->ptr[i + 1] = q->ptr[i] + sp->cnt[i];
			memcpy(q->idx + q->ptr[i], sp->col + i * sp->cap,
			    sp->cnt[i] * sizeof(uint32_t));
			memcpy(q->val + q->ptr[i], sp->val + i * sp->cap,
			    sp->cnt[i] * sizeof(double));
		}
		return 0;
	}
	/* counting sort by column; ptr[j] is row j's fill cursor, which
	 * ends at row j + 1's start, so shifting ptr up one restores it */
	for (i = 0; i < n; i++)
		for (t = 0; t < sp->cnt[i]; t++)
			q->ptr[sp->col[i * sp->cap + t] + 1]++;
	for (j = 0; j < m; j++)
		q->ptr[j + 1] += q->ptr[j];
	for (i = 0; i < n; i++)
		for (t = 0; t < sp->cnt[i]; t++) {
			size_t at = q->ptr[sp->col[i * sp->cap + t]]++;

			q->idx[at] = (uint32_t)i;
			q->val[at] = sp->val[i * sp->cap + t];
		}
	for (j = m; j > 0; j--)
		q->ptr[j] = q->ptr[j - 1];
	q->ptr[0] = 0;
	return 0;
}

static void
csr_free(struct csr *q)
{
	free(q->ptr);
	free(q->idx);
	free(q->val);
}

/*
 * Newton direction by elimination.  In the system (H + ridge I) dz =
 * eps grad with
 *	H = [[diag de, Q], [Q^T, diag dk]]
 * (e the eliminated side, its sparse rows Q; k the kept side; de and dk
 * the full marginals) the kept half y solves
 *	S y = eps (uk - Q^T De^-1 ue),  S = Dk - Q^T De^-1 Q,
 * with De = diag de + ridge I and Dk likewise, and then x = De^-1 (eps ue
 * - Q y).  S is dense, k x k, factored by Cholesky (GSL over the BLAS).
 * Returns -1 if S is not numerically positive definite.
 */
static int
sns_direct(double *S, double *Qd, const struct csr *q, size_t ne, size_t k,
    const double *de, const double *dk, const double *ue, const double *uk,
    double eps, double ridge, double *x, double *y)
{
	gsl_matrix_view Sv = gsl_matrix_view_array(S, k, k);
	gsl_vector_view yv = gsl_vector_view_array(y, k);
	size_t e, t1, t2, i, j;
	double pairs = 0;

	for (i = 0; i < k; i++) {
		for (j = 0; j < i; j++)
			S[i * k + j] = 0;
		S[i * k + i] = dk[i] + ridge;
		y[i] = eps * uk[i];
	}
	for (e = 0; e < ne; e++) {
		double w = eps * ue[e] / (de[e] + ridge), cnt;

		for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
			y[q->idx[t1]] -= q->val[t1] * w;
		cnt = (double)(q->ptr[e + 1] - q->ptr[e]);
		pairs += cnt * (cnt + 1) / 2;
	}
	/*
	 * Q^T De^-1 Q: entry pairs row by row while Q is sparse; once the
	 * pairs pass 1/32 of the dense product's multiplications, a dense
	 * rank-ne update (dsyrk) of the scaled rows is the faster way.
	 */
	if (Qd != NULL && pairs > (double)ne * (double)k * (double)k / 32) {
		memset(Qd, 0, ne * k * sizeof(double));
		for (e = 0; e < ne; e++) {
			double sc = 1 / sqrt(de[e] + ridge);

			for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
				Qd[e * k + q->idx[t1]] = q->val[t1] * sc;
		}
		cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)k,
		    (int)ne, -1.0, Qd, (int)k, 1.0, S, (int)k);
	} else {
		for (e = 0; e < ne; e++) {
			double inv = 1 / (de[e] + ridge);

			for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++) {
				double v1 = q->val[t1] * inv;
				double *Srow = S + (size_t)q->idx[t1] * k;

				for (t2 = q->ptr[e]; t2 <= t1; t2++)
					Srow[q->idx[t2]] -= v1 * q->val[t2];
			}
		}
	}
	if (gsl_linalg_cholesky_decomp1(&Sv.matrix) != GSL_SUCCESS ||
	    gsl_linalg_cholesky_svx(&Sv.matrix, &yv.vector) != GSL_SUCCESS)
		return -1;
	for (e = 0; e < ne; e++) {
		double t = eps * ue[e];

		for (t1 = q->ptr[e]; t1 < q->ptr[e + 1]; t1++)
			t -= q->val[t1] * y[q->idx[t1]];
		x[e] = t / (de[e] + ridge);
	}
	return 0;
}

/*
 * Newton direction by Jacobi-preconditioned conjugate gradients on
 * ((H + ridge I) / eps) dz = grad, for problems too large for sns_direct;
 * w holds four vectors of n + m.
 */
static void
sns_cg(const struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, double ridge, const double *grad,
    double *dz, double *w)
{
	size_t N = n + m, i;
	double *res = w, *pz = w + N, *q = w + 2 * N, *dia = w + 3 * N;
	double mu = ridge / eps, rz = 0, rz0;
	int it;

	for (i = 0; i < n; i++)
		dia[i] = r[i] / eps + mu;
	for (i = 0; i < m; i++)
		dia[n + i] = c[i] / eps + mu;
	for (i = 0; i < N; i++) {
		dz[i] = 0;
		res[i] = grad[i];
		pz[i] = res[i] / dia[i];
		rz += res[i] * pz[i];
	}
	rz0 = rz;
	for (it = 0; it < 1000 && rz > 1e-24 * rz0; it++) {
		double pq = 0, alpha, rzn = 0;

		sns_matvec(sp, n, m, r, c, eps, mu, pz, q);
		for (i = 0; i < N; i++)
			pq += pz[i] * q[i];
		if (!(pq > 0))
			break;
		alpha = rz / pq;
		for (i = 0; i < N; i++) {
			dz[i] += alpha * pz[i];
			res[i] -= alpha * q[i];
			rzn += res[i] * res[i] / dia[i];
		}
		for (i = 0; i < N; i++)
			pz[i] = res[i] / dia[i] + (rzn / rz) * pz[i];
		rz = rzn;
	}
}

/*
 * The Newton direction dz at the current sparse rows: direct or PCG.  At
 * small eps the coupling falls apart into nearly independent blocks, and
 * H has many eigenvalues at the level of rounding error, not only the
 * null direction (1, -1) of f + t, g - t; the ridge, 1e-12 of the mean
 * marginal, keeps the solve away from them (the steps along them are
 * then left to later iterations, which converge linearly there).
 */
static int
sns_direction(struct sns *sp, size_t n, size_t m, const double *r,
    const double *c, double eps, const double *grad, double *dz, double *w)
{
	struct csr q;
	size_t i;
	double ridge = 0;
	int rc;

	for (i = 0; i < n; i++)
		ridge += r[i];
	for (i = 0; i < m; i++)
		ridge += c[i];
	ridge *= 1e-12 / (double)(n + m);
	if (sp->S == NULL) {
		sns_cg(sp, n, m, r, c, eps, ridge, grad, dz, w);
		return 0;
	}
	memset(&q, 0, sizeof(q));
	if (sns_csr(sp, n, m, n < m, &q) < 0) {
		csr_free(&q);
		return -1;
	}
	if (n < m)	/* keep the rows, eliminate the columns */
		rc = sns_direct(sp->S, sp->Qd, &q, m, n, c, r, grad + n,
		    grad, eps, ridge, dz + n, dz);
	else
		rc = sns_direct(sp->S, sp->Qd, &q, n, m, r, c, grad,
		    grad + n, eps, ridge, dz, dz + n);
	csr_free(&q);
	if (rc < 0)	/* not positive definite in double: iterate instead */
		sns_cg(sp, n, m, r, c, eps, ridge, grad, dz, w);
	return 0;
}

/* L1 norm of the gradient (a - r, b - c). */
static double
grad_l1(const double *a, const double *r, size_t n, const double *b,
    const double *c, size_t m)
{
	size_t i;
	double e = 0;

	for (i = 0; i < n; i++)
		e += fabs(a[i] - r[i]);
	for (i = 0; i < m; i++)
		e += fabs(b[i] - c[i]);
	return e;
}

/*
 * Newton phase.  Sinkhorn first brings the row error below 1e-2 (or to
 * tol), then each Newton step solves the sparsified Hessian system
 * (sns_direction) and backtracks.  A step is taken when it raises the
 * dual enough (Armijo) or, failing that, when it lowers the gradient's
 * norm enough: near the optimum the dual's rise falls below its rounding
 * error, while the gradient is still measured well.  Ends with Sinkhorn
 * steps, which measure the error the same way as plain Sinkhorn.
 */
static int
sns_solve(struct sk *s, double eps, double diam, double scaling, double tol,
    long max_iter, double max_memory, long *sk_iters, long *newton_iters,
    double *errout, int *conv, struct nsl_err *err)
{
	size_t n = s->n, m = s->m, N = n + m, k = n < m ? n : m, cap;
	double e = diam, er = INFINITY;
	long it = 0, nt = 0, j;
	struct sns sp;
	double *r = NULL, *c = NULL, *grad = NULL, *dz = NULL, *w = NULL,
	    *fn = NULL, *gn = NULL, *rn = NULL, *cn = NULL;
	int nth = 1, rc = -1;

#ifdef _OPENMP
	nth = omp_get_max_threads();
#endif
	memset(&sp, 0, sizeof(sp));
	while (e > eps) {
		sk_step(s, e, 0, 0);
		it++;
		e *= scaling;
	}
	*conv = 0;
	for (j = 0; j < max_iter; j++) {
		er = sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
		if (er < 1e-2)
			break;
	}
	if (*conv || j == max_iter)
		goto out_ok;

	cap = m < 1024 ? m : 1024;
	if (s->c->C == NULL && cap > 64)
		cap = 64;
	sp.cap = cap;
	sp.cnt = malloc(n * sizeof(size_t));
	sp.col = malloc(n * cap * sizeof(uint32_t));
	sp.val = malloc(n * cap * sizeof(double));
	sp.rowbuf = malloc((size_t)nth * m * sizeof(double));
	if (k <= SNS_DIRECT_MAX && 16.0 * (double)k * (double)k <= max_memory)
		sp.S = malloc(k * k * sizeof(double));
	if (sp.S != NULL && 24.0 * (double)n * (double)m <= max_memory)
		sp.Qd = malloc(n * m * sizeof(double));
	r = malloc(n * sizeof(double));
	rn = malloc(n * sizeof(double));
	c = malloc(m * sizeof(double));
	cn = malloc(m * sizeof(double));
	fn = malloc(n * sizeof(double));
	gn = malloc(m * sizeof(double));
	grad = malloc(N * sizeof(double));
	dz = malloc(N * sizeof(double));
	w = malloc(4 * N * sizeof(double));
	if (!sp.cnt || !sp.col || !sp.val || !sp.rowbuf || !r || !rn || !c ||
	    !cn || !fn || !gn || !grad || !dz || !w) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	gsl_set_error_handler_off();
	for (nt = 0; nt < 100; nt++) {
		double g0, L0, slope = 0, alpha = 1;
		size_t i;
		int ls;

		sns_rows(s, s->f, s->g, eps, r, &sp);
		sns_cols(s, s->f, s->g, eps, c);
		for (i = 0; i < n; i++)
			grad[i] = s->a[i] - r[i];
		for (i = 0; i < m; i++)
			grad[n + i] = s->b[i] - c[i];
		g0 = grad_l1(s->a, r, n, s->b, c, m);
		if (g0 < tol / 4)
			break;
		L0 = dual_value(s, s->f, s->g, r, eps);
		if (sns_direction(&sp, n, m, r, c, eps, grad, dz, w) < 0) {
			nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
			goto out;
		}
		for (i = 0; i < N; i++)
			slope += grad[i] * dz[i];
		if (!(slope > 0))
			break;
		for (ls = 0; ls < 40; ls++) {
			for (i = 0; i < n; i++)
				fn[i] = s->f[i] + alpha * dz[i];
			for (i = 0; i < m; i++)
				gn[i] = s->g[i] + alpha * dz[n + i];
			sns_rows(s, fn, gn, eps, rn, NULL);
			if (dual_value(s, fn, gn, rn, eps) >=
			    L0 + 1e-4 * alpha * slope)
				break;
			sns_cols(s, fn, gn, eps, cn);
			if (grad_l1(s->a, rn, n, s->b, cn, m) <=
			    (1 - 1e-4 * alpha) * g0)
				break;
			alpha /= 2;
		}
		if (ls == 40)
			break;
		memcpy(s->f, fn, n * sizeof(double));
		memcpy(s->g, gn, m * sizeof(double));
	}
	/* finish with Sinkhorn steps, measured as plain Sinkhorn */
	for (j = 0; j < max_iter; j++) {
		er = sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
	}
out_ok:
	rc = 0;
out:
	*sk_iters = it;
	*newton_iters = nt;
	*errout = er;
	free(sp.cnt);
	free(sp.col);
	free(sp.val);
	free(sp.rowbuf);
	free(sp.S);
	free(sp.Qd);
	free(r);
	free(rn);
	free(c);
	free(cn);
	free(fn);
	free(gn);
	free(grad);
	free(dz);
	free(w);
	return rc;
}

/* ---- driver ---- */

static int
check_weights(const double *w, size_t n, const char *which, double **out,
    struct nsl_err *err)
{
	double s = 0;
	size_t i;

	*out = malloc(n * sizeof(double));
	if (*out == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (w == NULL) {
		for (i = 0; i < n; i++)
			(*out)[i] = 1.0 / (double)n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(w[i]) || w[i] < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "%s: weight "
			    "of point %zu is %g: weights must be finite and "
			    "non-negative", which, i, w[i]);
		s += w[i];
	}
	if (!(s > 0))
		return nsl_err_set(err, NSL_EX_DATAERR, "%s: all weights "
		    "are zero", which);
	for (i = 0; i < n; i++)
		(*out)[i] = w[i] / s;
	return 0;
}

struct entropic_out {
	double value, objective, err;
	long iters, newton;
	int conv;
	double *f, *g;
	struct nsl_ot_plan_entry *plan;
	size_t nplan;
};

/* One entropic problem: sinkhorn or sns on the cost provider. */
static int
entropic(const struct nsl_ot_params *o, struct ot_cost *c, const double *a,
    const double *b, double eps, int sns, int sym, int want_pot,
    int want_plan, struct entropic_out *eo, struct nsl_err *err)
{
	struct sk s;
	double diam = cost_diameter(c);

	memset(eo, 0, sizeof(*eo));
	if (c->ltab != NULL && c->C == NULL) {
		double mx = 0;
		size_t i;

		for (i = 0; i < c->nla * c->nlb; i++)
			mx = fmax(mx, c->ltab[i]);
		diam += mx;
	}
	if (sk_init(&s, c, a, b, err) < 0)
		return -1;
	if (sns) {
		if (sns_solve(&s, eps, diam, o->scaling, o->tol, o->max_iter,
		    o->max_memory, &eo->iters, &eo->newton, &eo->err,
		    &eo->conv, err) < 0) {
			sk_free(&s);
			return -1;
		}
	} else if (sym) {
		sk_solve_sym(&s, eps, diam, o->scaling, o->tol, o->max_iter,
		    &eo->iters, &eo->err, &eo->conv);
	} else {
		sk_solve(&s, eps, diam, o->scaling, o->tol, o->max_iter,
		    &eo->iters, &eo->err, &eo->conv);
	}
	/* ratio holds the rows of the final state (f, g) */
	eo->objective = sk_objective(&s, eps, sym);
	if (sk_transport(&s, eps, &eo->value, want_plan, o->plan_threshold,
	    &eo->plan, &eo->nplan, err) < 0) {
		sk_free(&s);
		return -1;
	}
	if (want_pot) {
		eo->f = s.f;
		eo->g = s.g;
		s.f = s.g = NULL;
	}
	sk_free(&s);
	return 0;
}

static double
root_p(double v, double p)
{
	if (!(v > 0))
		return 0;
	return p == 1 ? v : p == 2 ? sqrt(v) : pow(v, 1 / p);
}

static int
solve_exact(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *ltab, size_t nlb,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct ot_cost c;
	size_t n = pr->n, m = pr->m, i, j, k = 0;
	double *C = NULL, *flow = NULL;
	double need = 17.0 * (double)n * (double)m;

	if (need > o->max_memory)
		return nsl_err_set(err, NSL_EX_DATAERR, "exact: %zu x %zu "
		    "points need about %.0f MB, more than --max-memory (use "
		    "--method sinkhorn)", n, m, need / 1e6);
	if (ot_cost_init(&c, pr, o->cost, o->p, ltab, nlb, 0, err) < 0)
		return -1;
	C = malloc(n * m * sizeof(double));
	if (C == NULL) {
		ot_cost_free(&c);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < n; i += c.block) {
		size_t i1 = i + c.block < n ? i + c.block : n;

		cost_compute(&c, 0, i, i1, C + i * m);
	}
	ot_cost_free(&c);
	if (o->want_plan && (flow = malloc(n * m * sizeof(double))) == NULL)
		goto nomem;
	if (o->want_potentials) {
		res->f = malloc(n * sizeof(double));
		res->g = malloc(m * sizeof(double));
		if (res->f == NULL || res->g == NULL)
			goto nomem;
	}
	if (nsl_ot_emd(a, n, b, m, C, &res->value, flow, res->f, res->g,
	    &res->pivots, err) < 0)
		goto fail;
	res->iterations = res->pivots;
	res->converged = 1;
	res->marginal_error = 0;
	if (flow != NULL) {
		size_t cnt = 0;

		for (i = 0; i < n * m; i++)
			cnt += flow[i] > o->plan_threshold;
		res->plan = malloc((cnt ? cnt : 1) * sizeof(*res->plan));
		if (res->plan == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			for (j = 0; j < m; j++)
				if (flow[i * m + j] > o->plan_threshold) {
					res->plan[k].i = i;
					res->plan[k].j = j;
					res->plan[k++].mass = flow[i * m + j];
				}
		res->nplan = k;
	}
	{
		/* marginal error of the plan (rounding only) */
		double e = 0;

		if (flow != NULL) {
			for (i = 0; i < n; i++) {
				double t = 0;

				for (j = 0; j < m; j++)
					t += flow[i * m + j];
				e += fabs(t - a[i]);
			}
			res->marginal_error = e;
		}
	}
	free(C);
	free(flow);
	return 0;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
fail:
	free(C);
	free(flow);
	return -1;
}

static int
solve_entropic(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *ltab, size_t nlb,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct ot_cost c;
	struct entropic_out eo;
	int store, sns = o->method == NSL_OT_SNS;
	double eps = o->eps;

	store = 16.0 * (double)pr->n * (double)pr->m <= o->max_memory;
	res->blocked = !store;
	if (ot_cost_init(&c, pr, o->cost, o->p, ltab, nlb, store, err) < 0)
		return -1;
	if (!(eps > 0)) {
		eps = o->eps_rel * cost_mean(&c, a, b);
		if (!(eps > 0)) {
			ot_cost_free(&c);
			return nsl_err_set(err, NSL_EX_DATAERR, "--eps-rel: "
			    "the mean cost is 0 (all points equal); give "
			    "--eps");
		}
	}
	res->epsilon = eps;
	if (entropic(o, &c, a, b, eps, sns, 0, o->want_potentials,
	    o->want_plan, &eo, err) < 0) {
		ot_cost_free(&c);
		return -1;
	}
	ot_cost_free(&c);
	res->value = eo.value;
	res->objective = eo.objective;
	res->marginal_error = eo.err;
	res->iterations = eo.iters + eo.newton;
	res->sinkhorn_iterations = eo.iters;
	res->newton_iterations = sns ? eo.newton : -1;
	res->converged = eo.conv;
	res->f = eo.f;
	res->g = eo.g;
	res->plan = eo.plan;
	res->nplan = eo.nplan;
	return 0;
}

static int
solve_divergence(const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const double *a, const double *b,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct nsl_ot_problem q[3];
	const double *wa[3] = { a, a, b }, *wb[3] = { b, a, b };
	struct entropic_out eo[3];
	struct ot_cost c;
	double eps = o->eps, obj[3];
	int t, store;

	q[0] = *pr;
	q[1] = *pr;
	q[1].y = pr->x;
	q[1].m = pr->n;
	q[2] = *pr;
	q[2].x = pr->y;
	q[2].n = pr->m;
	res->converged = 1;
	res->marginal_error = 0;
	res->iterations = 0;
	for (t = 0; t < 3; t++) {
		store = 16.0 * (double)q[t].n * (double)q[t].m <=
		    o->max_memory;
		if (!store)
			res->blocked = 1;
		if (ot_cost_init(&c, &q[t], o->cost, o->p, NULL, 0, store,
		    err) < 0)
			return -1;
		if (t == 0 && !(eps > 0)) {
			eps = o->eps_rel * cost_mean(&c, a, b);
			if (!(eps > 0)) {
				ot_cost_free(&c);
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "--eps-rel: the mean cost is 0 (all "
				    "points equal); give --eps");
			}
		}
		if (entropic(o, &c, wa[t], wb[t], eps, 0, t > 0,
		    t == 0 && o->want_potentials, t == 0 && o->want_plan,
		    &eo[t], err) < 0) {
			ot_cost_free(&c);
			return -1;
		}
		ot_cost_free(&c);
		obj[t] = eo[t].objective;
		res->iterations += eo[t].iters;
		res->marginal_error = fmax(res->marginal_error, eo[t].err);
		res->converged &= eo[t].conv;
		if (t > 0) {
			free(eo[t].f);
			free(eo[t].g);
			free(eo[t].plan);
		}
	}
	res->epsilon = eps;
	res->value = obj[0] - obj[1] / 2 - obj[2] / 2;
	res->objective = res->value;
	res->sinkhorn_iterations = res->iterations;
	res->f = eo[0].f;
	res->g = eo[0].g;
	res->plan = eo[0].plan;
	res->nplan = eo[0].nplan;
	return 0;
}

static int
solve_otdd(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, struct nsl_ot_result *res,
    struct nsl_err *err)
{
	double *ltab;
	int rc;

	if (pr->la == NULL || pr->lb == NULL)
		return nsl_err_set(err, NSL_EX_USAGE, "otdd: needs labels "
		    "(--label-field)");
	ltab = malloc(pr->nla * pr->nlb * sizeof(double));
	if (ltab == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (ot_gauss_label_table(pr, a, b, ltab, err) < 0) {
		free(ltab);
		return -1;
	}
	if (o->inner == NSL_OT_EXACT)
		rc = solve_exact(o, pr, a, b, ltab, pr->nlb, res, err);
	else
		rc = solve_entropic(o, pr, a, b, ltab, pr->nlb, res, err);
	free(ltab);
	return rc;
}

/* ---- points far from 1 in magnitude ---- */

/* v 2^e for a real e, without overflowing on the way (inf if v 2^e is). */
static double
pow2_scale(double v, double e)
{
	double ei = floor(e);

	if (ei > 1e6)
		ei = 1e6;
	else if (ei < -1e6)
		ei = -1e6;
	return ldexp(v * exp2(e - ei), (int)ei);
}

/*
 * The power of two 2^k to scale the points by before solving, or 0 to
 * solve them as they are.  A cost is at most (2 M sqrt(d))^deg for
 * coordinates up to M; past about 2^400 its square, a sum over a plan or
 * a dgemm of norms overflows (points 1e160 apart cost 1e320 and came out
 * as 0: inf - inf, clamped), and below 2^-400 they underflow to 0.  So
 * points whose largest coordinate leaves 2^(+-300) are brought to [1/2, 1)
 * first; the cosine cost (deg 0) only normalises, and is scaled past
 * 2^(+-500).  Scaling by a power of two is exact, so the answer is the
 * one the unscaled arithmetic would give if it had the range.
 */
static int
scale_exponent(const struct nsl_ot_problem *pr, double deg)
{
	double M = 0, t;
	size_t i;
	int e;

	for (i = 0; i < pr->n * pr->d; i++)
		if ((t = fabs(pr->x[i])) > M)
			M = t;
	for (i = 0; i < pr->m * pr->d; i++)
		if ((t = fabs(pr->y[i])) > M)
			M = t;
	if (M == 0 || !isfinite(M))
		return 0;
	e = ilogb(M);
	if (deg == 0 ? e >= -500 && e <= 500 :
	    deg * (e + 2 + 0.5 * log2((double)pr->d)) <= 400 &&
	    deg * e >= -400 && e >= -300 && e <= 300)
		return 0;
	return -(e + 1);
}

static double *
scaled_copy(const double *x, size_t n, int k)
{
	double *y;
	size_t i;

	if ((y = malloc((n ? n : 1) * sizeof(double))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		y[i] = ldexp(x[i], k);
	return y;
}

static int solve(const struct nsl_ot_params *, const struct nsl_ot_problem *,
    struct nsl_ot_result *, struct nsl_err *);

int
nsl_ot_solve(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct nsl_ot_params so = *o;
	struct nsl_ot_problem sp = *pr;
	double *x = NULL, *y = NULL, deg, back;
	size_t i;
	int k, rc;

	/* the cost's degree: C(2^k x, 2^k y) = 2^(k deg) C(x, y) */
	deg = o->cost == NSL_OT_COSINE ? 0 : o->cost == NSL_OT_EUCLIDEAN ?
	    o->p : 2;
	if (pr->n == 0 || pr->m == 0 || pr->d == 0 || pr->x == NULL ||
	    pr->y == NULL || (k = scale_exponent(pr, deg)) == 0)
		return solve(o, pr, res, err);
	if ((sp.x = x = scaled_copy(pr->x, pr->n * pr->d, k)) == NULL ||
	    (sp.y = y = scaled_copy(pr->y, pr->m * pr->d, k)) == NULL) {
		free(x);
		memset(res, 0, sizeof(*res));
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	if (so.eps > 0 && !((so.eps = pow2_scale(o->eps, k * deg)) > 0 &&
	    isfinite(so.eps))) {
		free(x);
		free(y);
		memset(res, 0, sizeof(*res));
		return nsl_err_set(err, NSL_EX_DATAERR, "--eps %g: out of "
		    "range for costs on the scale of these points (use "
		    "--eps-rel)", o->eps);
	}
	rc = solve(&so, &sp, res, err);
	free(x);
	free(y);
	if (rc != 0)
		return rc;
	/* results in cost units back to the points' scale */
	back = -k * deg;
	res->distance = ldexp(res->distance, deg == 0 ? 0 : -k);
	res->value = pow2_scale(res->value, back);
	res->objective = pow2_scale(res->objective, back);
	res->epsilon = pow2_scale(res->epsilon, back);
	res->std_error = pow2_scale(res->std_error, back);
	for (i = 0; res->f != NULL && i < pr->n; i++)
		res->f[i] = pow2_scale(res->f[i], back);
	for (i = 0; res->g != NULL && i < pr->m; i++)
		res->g[i] = pow2_scale(res->g[i], back);
	return 0;
}

static int
solve(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	double *a = NULL, *b = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->objective = res->epsilon = res->marginal_error = NAN;
	res->std_error = res->variance_reduction = NAN;
	res->iterations = res->sinkhorn_iterations = -1;
	res->newton_iterations = res->pivots = -1;
	if (pr->n == 0 || pr->m == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "empty point set");
	if (pr->d == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "vectors of length 0");
	if (check_weights(pr->a, pr->n, "first set", &a, err) < 0 ||
	    check_weights(pr->b, pr->m, "second set", &b, err) < 0)
		goto out;
	switch (o->method) {
	case NSL_OT_EXACT:
		rc = solve_exact(o, pr, a, b, NULL, 0, res, err);
		break;
	case NSL_OT_SINKHORN:
	case NSL_OT_SNS:
		rc = solve_entropic(o, pr, a, b, NULL, 0, res, err);
		break;
	case NSL_OT_DIVERGENCE:
		rc = solve_divergence(o, pr, a, b, res, err);
		break;
	case NSL_OT_SLICED:
		rc = nsl_ot_sliced(o, pr, a, b, res, err);
		break;
	case NSL_OT_GAUSSIAN:
		rc = ot_gaussian(pr, a, b, &res->value, err);
		res->converged = 1;
		break;
	case NSL_OT_OTDD:
		rc = solve_otdd(o, pr, a, b, res, err);
		break;
	}
	if (rc == 0)
		res->distance = root_p(res->value, o->p);
out:
	free(a);
	free(b);
	return rc;
}

/* ---- reading point sets ---- */

void
nsl_ot_set_release(struct nsl_ot_set *s)
{
	if (s->ds != NULL) {
		nsl_dataset_release(s->ds);
		free(s->ds);
	}
	free(s->w);
	s->ds = NULL;
	s->w = NULL;
}

int
nsl_ot_set_read(struct nsl_ot_set *s, const char *path, const char *field,
    const char *weight_field, const char *label_field, struct nsl_err *err)
{
	struct nsl_rec rec;
	struct nsl_dataset *ds;
	size_t i;

	s->w = NULL;
	s->ds = ds = calloc(1, sizeof(*ds));
	if (ds == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_dataset_read(ds, &path, 1, field, label_field,
	    weight_field ? NSL_DATASET_KEEP_LINES : 0, err) < 0)
		return -1;
	if (weight_field == NULL)
		return 0;
	s->w = malloc(ds->n * sizeof(double));
	if (s->w == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	nsl_rec_init(&rec, 0);
	for (i = 0; i < ds->n; i++) {
		const char *line = ds->lines.data + ds->line_off[i];
		size_t len = ds->line_off[i + 1] - ds->line_off[i] - 1;
		long k;

		if (nsl_rec_parse(&rec, line, len, err) < 0 ||
		    (k = nsl_rec_require(&rec, weight_field, err)) < 0 ||
		    nsl_rec_number(&rec, (size_t)k, &s->w[i], err) < 0)
			goto bad;
		if (s->w[i] < 0) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "negative weight %g", weight_field, s->w[i]);
			goto bad;
		}
	}
	nsl_rec_release(&rec);
	{
		double t = 0;

		for (i = 0; i < ds->n; i++)
			t += s->w[i];
		if (!(t > 0))
			return nsl_err_set(err, NSL_EX_DATAERR, "%s: field "
			    "\"%s\": all weights are zero", ds->paths[0],
			    weight_field);
	}
	return 0;
bad:
	nsl_err_at(err, ds->paths[ds->where[i].file], ds->where[i].line);
	nsl_rec_release(&rec);
	return -1;
}
