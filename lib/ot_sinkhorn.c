/*
 * ot_sinkhorn.c - log-domain Sinkhorn, the sinkhorn and divergence
 * methods, and the entropic driver that SNS (ot_sns.c) runs inside.
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

#include "nsl/ot.h"
#include "ot_fexp.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_sinkhorn;
nsl_ot_solve_fn ot_solve_divergence;

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

			sum = ot_row_expsum(h, row, K, inv, sh);
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

void
ot_sk_free(struct sk *s)
{
	free(s->loga);
	free(s->logb);
	free(s->f);
	free(s->g);
	free(s->tmp);
	free(s->ratio);
	free(s->h);
}

int
ot_sk_init(struct sk *s, struct ot_cost *c, const double *a, const double *b,
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
		ot_sk_free(s);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < s->n; i++)
		s->loga[i] = log(a[i]);
	for (i = 0; i < s->m; i++)
		s->logb[i] = log(b[i]);
	return 0;
}

double
ot_sk_step(struct sk *s, double eps, int keep_f_if_below, double tol)
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
		ot_sk_step(s, e, 0, 0);
		it++;
		e *= scaling;
	}
	*conv = 0;
	for (k = 0; k < max_iter; k++) {
		er = ot_sk_step(s, eps, 1, tol);
		it++;
		if (er < tol) {
			*conv = 1;
			break;
		}
	}
	*iters = it;
	*errout = er;
}

struct entropic_out {
	double value, objective, err;
	long iters, newton;
	int conv;
	double *f, *g;
	struct nsl_ot_plan_entry *plan;
	size_t nplan;
};

/*
 * One entropic problem on the cost provider: run (SNS) if not NULL, else
 * Sinkhorn, symmetric if sym.
 */
static int
entropic(const struct nsl_ot_params *o, struct ot_cost *c, const double *a,
    const double *b, double eps, ot_sk_run *run, int sym, int want_pot,
    int want_plan, struct entropic_out *eo, struct nsl_err *err)
{
	struct sk s;
	double diam = ot_cost_diameter(c);

	memset(eo, 0, sizeof(*eo));
	if (c->ltab != NULL && c->C == NULL) {
		double mx = 0;
		size_t i;

		for (i = 0; i < c->nla * c->nlb; i++)
			mx = fmax(mx, c->ltab[i]);
		diam += mx;
	}
	if (ot_sk_init(&s, c, a, b, err) < 0)
		return -1;
	if (run != NULL) {
		if (run(&s, eps, diam, o->scaling, o->tol, o->max_iter,
		    o->max_memory, &eo->iters, &eo->newton, &eo->err,
		    &eo->conv, err) < 0) {
			ot_sk_free(&s);
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
		ot_sk_free(&s);
		return -1;
	}
	if (want_pot) {
		eo->f = s.f;
		eo->g = s.g;
		s.f = s.g = NULL;
	}
	ot_sk_free(&s);
	return 0;
}

int
ot_entropic_solve(const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const double *a, const double *b,
    const double *ltab, ot_sk_run *run, struct nsl_ot_result *res,
    struct nsl_err *err)
{
	struct ot_cost c;
	struct entropic_out eo;
	size_t nlb = ltab != NULL ? pr->nlb : 0;
	int store;
	double eps = o->eps;

	store = 16.0 * (double)pr->n * (double)pr->m <= o->max_memory;
	res->blocked = !store;
	if (ot_cost_init(&c, pr, o->cost, o->p, ltab, nlb, store, err) < 0)
		return -1;
	if (!(eps > 0)) {
		eps = o->eps_rel * ot_cost_mean(&c, a, b);
		if (!(eps > 0)) {
			ot_cost_free(&c);
			return nsl_err_set(err, NSL_EX_DATAERR, "--eps-rel: "
			    "the mean cost is 0 (all points equal); give "
			    "--eps");
		}
	}
	res->epsilon = eps;
	if (entropic(o, &c, a, b, eps, run, 0, o->want_potentials,
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
	res->newton_iterations = run != NULL ? eo.newton : -1;
	res->converged = eo.conv;
	res->f = eo.f;
	res->g = eo.g;
	res->plan = eo.plan;
	res->nplan = eo.nplan;
	return 0;
}

int
ot_solve_sinkhorn(const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const double *a, const double *b,
    const double *ltab, struct nsl_ot_result *res, struct nsl_err *err)
{
	return ot_entropic_solve(o, pr, a, b, ltab, NULL, res, err);
}

/* The debiased divergence OT(a,b) - OT(a,a)/2 - OT(b,b)/2 (no ltab). */
int
ot_solve_divergence(const struct nsl_ot_params *o,
    const struct nsl_ot_problem *pr, const double *a, const double *b,
    const double *ltab, struct nsl_ot_result *res, struct nsl_err *err)
{
	struct nsl_ot_problem q[3];
	const double *wa[3] = { a, a, b }, *wb[3] = { b, a, b };
	struct entropic_out eo[3];
	struct ot_cost c;
	double eps = o->eps, obj[3];
	int t, store;

	(void)ltab;
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
			eps = o->eps_rel * ot_cost_mean(&c, a, b);
			if (!(eps > 0)) {
				ot_cost_free(&c);
				return nsl_err_set(err, NSL_EX_DATAERR,
				    "--eps-rel: the mean cost is 0 (all "
				    "points equal); give --eps");
			}
		}
		if (entropic(o, &c, wa[t], wb[t], eps, NULL, t > 0,
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

