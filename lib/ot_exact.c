/*
 * ot_exact.c - exact optimal transport by the primal network simplex.
 *
 * The transportation problem is a min-cost flow on the complete bipartite
 * graph (n sources, m sinks, n*m uncapacitated arcs).  This follows the
 * network simplex of LEMON (Kiraly and Kovacs), the algorithm POT's emd
 * wraps: an artificial root with one artificial arc per node gives the
 * first strongly feasible spanning tree, kept as parent / thread /
 * reverse-thread / subtree-size lists; the entering arc is chosen by block
 * search (blocks of sqrt(arcs)); the leaving arc by the strongly feasible
 * rule, which excludes cycling.  The loop runs until no arc has a negative
 * reduced cost (relative tolerance 2.2e-15 of the magnitudes involved,
 * as POT), with no iteration cap.
 *
 * Real arc e = i*m + j goes from node i to node n + j; its cost is C[e].
 * Artificial arcs are numbered from n*m.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/ot.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_exact;

#define ST_TREE 0
#define ST_LOWER 1
#define DIR_UP 1
#define DIR_DOWN (-1)
#define PIV_EPS 2.2204460492503131e-15

struct ns {
	size_t n, m, nm;
	int node_num, root;
	const double *C;
	double *art_cost;
	int *art_src, *art_tgt;
	double *flow;			/* nm + node_num arcs */
	int8_t *state;
	double *pi;
	int *parent, *pred, *thread, *rev_thread, *succ_num, *last_succ;
	int8_t *pred_dir;
	int *dirty;
	size_t next_arc, block;
	/* pivot state */
	size_t in_arc;
	int join, u_in, v_in, u_out;
	double delta;
};

static inline int
src(const struct ns *s, size_t e)
{
	return e < s->nm ? (int)(e / s->m) : s->art_src[e - s->nm];
}

static inline int
tgt(const struct ns *s, size_t e)
{
	return e < s->nm ? (int)(s->n + e % s->m) : s->art_tgt[e - s->nm];
}

static inline double
cost(const struct ns *s, size_t e)
{
	return e < s->nm ? s->C[e] : s->art_cost[e - s->nm];
}

/*
 * The most negative reduced cost among the non-tree arcs of row i,
 * columns [j0, j1), or 0 if none is negative.  Tree arcs count as 0 (they
 * can never be below the running minimum, which starts at 0), so the loop
 * has no branch and vectorizes: this scan is nearly all of the solver's
 * time.  Each cost is formed as C + pi_i - pi_j, the same expression the
 * caller recomputes to find the arc, so the two agree to the bit.
 */
static double
row_min(const struct ns *s, size_t i, size_t j0, size_t j1)
{
	const double *c = s->C + i * s->m, *pj = s->pi + s->n;
	const int8_t *st = s->state + i * s->m;
	double pii = s->pi[i], m0 = 0, m1 = 0, m2 = 0, m3 = 0, r;
	size_t j = j0;

	/* four running minima: no chain of dependent compares */
	for (; j + 4 <= j1; j += 4) {
		double r0 = c[j] + pii - pj[j], r1 = c[j + 1] + pii - pj[j + 1];
		double r2 = c[j + 2] + pii - pj[j + 2];
		double r3 = c[j + 3] + pii - pj[j + 3];

		r0 = st[j] == ST_LOWER ? r0 : 0;
		r1 = st[j + 1] == ST_LOWER ? r1 : 0;
		r2 = st[j + 2] == ST_LOWER ? r2 : 0;
		r3 = st[j + 3] == ST_LOWER ? r3 : 0;
		m0 = r0 < m0 ? r0 : m0;
		m1 = r1 < m1 ? r1 : m1;
		m2 = r2 < m2 ? r2 : m2;
		m3 = r3 < m3 ? r3 : m3;
	}
	for (; j < j1; j++) {
		r = c[j] + pii - pj[j];
		r = st[j] == ST_LOWER ? r : 0;
		m0 = r < m0 ? r : m0;
	}
	m0 = m1 < m0 ? m1 : m0;
	m2 = m3 < m2 ? m3 : m2;
	return m2 < m0 ? m2 : m0;
}

/*
 * Block search: 1 and in_arc set, or 0 when the tree is optimal.  Arcs
 * are scanned in order from next_arc, a block of s->block at a time; the
 * first arc of least reduced cost in the blocks seen enters once it is
 * negative beyond rounding.  The scan walks (i, j) row segments rather
 * than dividing each arc number by m, which cost a third of the time.
 */
static int
find_entering(struct ns *s)
{
	const double *pi = s->pi, *C = s->C;
	size_t m = s->m, nm = s->nm, cnt = s->block, e, best = 0;
	size_t i, j, left = nm;
	double min = 0, a;
	int found = 0;

	e = s->next_arc;
	i = e / m;
	j = e % m;
	while (left > 0) {
		size_t len = m - j, j1, t;
		double rm;

		if (len > cnt)
			len = cnt;
		if (len > left)
			len = left;
		j1 = j + len;
		rm = row_min(s, i, j, j1);
		if (rm < min) {
			const double *c = C + i * m, *pj = pi + s->n;
			const int8_t *st = s->state + i * m;

			for (t = j; t < j1; t++)
				if (st[t] == ST_LOWER && c[t] + pi[i] - pj[t] == rm)
					break;
			min = rm;
			best = i * m + t;
			found = 1;
		}
		e += len;
		left -= len;
		cnt -= len;
		j = j1;
		if (j == m) {
			j = 0;
			if (++i == s->n) {
				i = 0;
				e = 0;
			}
		}
		if (cnt == 0) {
			if (found) {
				a = fmax(fabs(pi[src(s, best)]),
				    fabs(pi[tgt(s, best)]));
				a = fmax(a, fabs(C[best]));
				if (min < -PIV_EPS * a)
					goto done;
			}
			cnt = s->block;
		}
	}
	if (!found)
		return 0;
	a = fmax(fabs(pi[src(s, best)]), fabs(pi[tgt(s, best)]));
	a = fmax(a, fabs(C[best]));
	if (min >= -PIV_EPS * a)
		return 0;
done:
	s->in_arc = best;
	s->next_arc = e;
	return 1;
}

static void
find_join(struct ns *s)
{
	int u = src(s, s->in_arc), v = tgt(s, s->in_arc);

	while (u != v) {
		if (s->succ_num[u] < s->succ_num[v])
			u = s->parent[u];
		else
			v = s->parent[v];
	}
	s->join = u;
}

/* Uncapacitated arcs: only arcs whose flow decreases can leave. */
static void
find_leaving(struct ns *s)
{
	int first = src(s, s->in_arc), second = tgt(s, s->in_arc), u;
	int result = 0;

	s->delta = INFINITY;
	for (u = first; u != s->join; u = s->parent[u]) {
		if (s->pred_dir[u] == DIR_UP) {
			double d = s->flow[s->pred[u]];

			if (d < s->delta) {
				s->delta = d;
				s->u_out = u;
				result = 1;
			}
		}
	}
	for (u = second; u != s->join; u = s->parent[u]) {
		if (s->pred_dir[u] == DIR_DOWN) {
			double d = s->flow[s->pred[u]];

			if (d <= s->delta) {
				s->delta = d;
				s->u_out = u;
				result = 2;
			}
		}
	}
	if (result == 1) {
		s->u_in = first;
		s->v_in = second;
	} else {
		s->u_in = second;
		s->v_in = first;
	}
}

static void
change_flow(struct ns *s)
{
	int u;

	if (s->delta > 0) {
		double val = s->delta;

		s->flow[s->in_arc] += val;
		for (u = src(s, s->in_arc); u != s->join; u = s->parent[u])
			s->flow[s->pred[u]] -= s->pred_dir[u] * val;
		for (u = tgt(s, s->in_arc); u != s->join; u = s->parent[u])
			s->flow[s->pred[u]] += s->pred_dir[u] * val;
	}
	s->state[s->in_arc] = ST_TREE;
	s->state[s->pred[s->u_out]] = ST_LOWER;
}

static void
update_tree(struct ns *s)
{
	int *parent = s->parent, *thread = s->thread, *rev = s->rev_thread;
	int *succ = s->succ_num, *last_succ = s->last_succ;
	int u_in = s->u_in, v_in = s->v_in, u_out = s->u_out, join = s->join;
	int old_rev_thread = rev[u_out];
	int old_succ_num = succ[u_out];
	int old_last_succ = last_succ[u_out];
	int v_out = parent[u_out];
	int in_dir = u_in == src(s, s->in_arc) ? DIR_UP : DIR_DOWN;
	int u, ndirty = 0;

	if (u_in == u_out) {
		parent[u_in] = v_in;
		s->pred[u_in] = (int)s->in_arc;
		s->pred_dir[u_in] = (int8_t)in_dir;
		if (thread[v_in] != u_out) {
			int after = thread[old_last_succ];

			thread[old_rev_thread] = after;
			rev[after] = old_rev_thread;
			after = thread[v_in];
			thread[v_in] = u_out;
			rev[u_out] = v_in;
			thread[old_last_succ] = after;
			rev[after] = old_last_succ;
		}
	} else {
		int thread_continue = old_rev_thread == v_in ?
		    thread[old_last_succ] : thread[v_in];
		int stem = u_in, par_stem = v_in, next_stem;
		int last = last_succ[u_in], before, after = thread[last];
		int tmp_sc = 0, tmp_ls, p, i;

		thread[v_in] = u_in;
		s->dirty[ndirty++] = v_in;
		while (stem != u_out) {
			next_stem = parent[stem];
			thread[last] = next_stem;
			s->dirty[ndirty++] = last;
			before = rev[stem];
			thread[before] = after;
			rev[after] = before;
			parent[stem] = par_stem;
			par_stem = stem;
			stem = next_stem;
			last = last_succ[stem] == last_succ[par_stem] ?
			    rev[par_stem] : last_succ[stem];
			after = thread[last];
		}
		parent[u_out] = par_stem;
		thread[last] = thread_continue;
		rev[thread_continue] = last;
		last_succ[u_out] = last;
		if (old_rev_thread != v_in) {
			thread[old_rev_thread] = after;
			rev[after] = old_rev_thread;
		}
		for (i = 0; i < ndirty; i++) {
			u = s->dirty[i];
			rev[thread[u]] = u;
		}
		tmp_ls = last_succ[u_out];
		for (u = u_out, p = parent[u]; u != u_in;
		    u = p, p = parent[u]) {
			s->pred[u] = s->pred[p];
			s->pred_dir[u] = (int8_t)-s->pred_dir[p];
			tmp_sc += succ[u] - succ[p];
			succ[u] = tmp_sc;
			last_succ[p] = tmp_ls;
		}
		s->pred[u_in] = (int)s->in_arc;
		s->pred_dir[u_in] = (int8_t)in_dir;
		succ[u_in] = old_succ_num;
	}

	{
		int up_limit_out = last_succ[join] == v_in ? join : -1;
		int last_succ_out = last_succ[u_out];

		for (u = v_in; u != -1 && last_succ[u] == v_in; u = parent[u])
			last_succ[u] = last_succ_out;
		if (join != old_rev_thread && v_in != old_rev_thread) {
			for (u = v_out; u != up_limit_out &&
			    last_succ[u] == old_last_succ; u = parent[u])
				last_succ[u] = old_rev_thread;
		} else if (last_succ_out != old_last_succ) {
			for (u = v_out; u != up_limit_out &&
			    last_succ[u] == old_last_succ; u = parent[u])
				last_succ[u] = last_succ_out;
		}
	}
	for (u = v_in; u != join; u = parent[u])
		succ[u] += old_succ_num;
	for (u = v_out; u != join; u = parent[u])
		succ[u] -= old_succ_num;
}

static void
update_potential(struct ns *s)
{
	int u_in = s->u_in, end, u;
	double sigma = s->pi[s->v_in] - s->pi[u_in] -
	    s->pred_dir[u_in] * cost(s, s->in_arc);

	end = s->thread[s->last_succ[u_in]];
	for (u = u_in; u != end; u = s->thread[u])
		s->pi[u] += sigma;
}

static void
ns_free(struct ns *s)
{
	free(s->art_cost);
	free(s->art_src);
	free(s->art_tgt);
	free(s->flow);
	free(s->state);
	free(s->pi);
	free(s->parent);
	free(s->pred);
	free(s->thread);
	free(s->rev_thread);
	free(s->succ_num);
	free(s->last_succ);
	free(s->pred_dir);
	free(s->dirty);
}

int
nsl_ot_emd(const double *a, size_t n, const double *b, size_t m,
    const double *C, double *value, double *flow, double *f, double *g,
    long *pivots, struct nsl_err *err)
{
	struct ns s;
	size_t nn = n + m + 1, e, i, j, narcs;
	double maxc = 0, art, total = 0;
	long piv = 0;
	int u;

	memset(&s, 0, sizeof(s));
	if (n + m + 1 > (size_t)INT32_MAX / 2)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "exact: too many "
		    "points for the network simplex");
	/* pred[] holds arc numbers as int: guard the arc count */
	if (n * m + n + m > (size_t)INT32_MAX)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "exact: %zu x %zu "
		    "arcs exceed the network simplex's arc index", n, m);
	s.n = n;
	s.m = m;
	s.nm = n * m;
	s.C = C;
	s.node_num = (int)(n + m);
	s.root = s.node_num;
	narcs = s.nm + n + m;
	s.art_cost = malloc((n + m) * sizeof(double));
	s.art_src = malloc((n + m) * sizeof(int));
	s.art_tgt = malloc((n + m) * sizeof(int));
	s.flow = calloc(narcs, sizeof(double));
	s.state = malloc(narcs);
	s.pi = malloc(nn * sizeof(double));
	s.parent = malloc(nn * sizeof(int));
	s.pred = malloc(nn * sizeof(int));
	s.thread = malloc(nn * sizeof(int));
	s.rev_thread = malloc(nn * sizeof(int));
	s.succ_num = malloc(nn * sizeof(int));
	s.last_succ = malloc(nn * sizeof(int));
	s.pred_dir = malloc(nn);
	s.dirty = malloc(nn * sizeof(int));
	if (!s.art_cost || !s.art_src || !s.art_tgt || !s.flow || !s.state ||
	    !s.pi || !s.parent || !s.pred || !s.thread || !s.rev_thread ||
	    !s.succ_num || !s.last_succ || !s.pred_dir || !s.dirty) {
		ns_free(&s);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "exact: out of "
		    "memory for %zu x %zu arcs", n, m);
	}
	for (e = 0; e < s.nm; e++) {
		s.state[e] = ST_LOWER;
		if (C[e] > maxc)
			maxc = C[e];
	}
	art = (maxc + 1) * (double)(n + m);
	s.block = (size_t)sqrt((double)s.nm);
	if (s.block < 10)
		s.block = 10;
	if (s.block > s.nm)
		s.block = s.nm;

	s.parent[s.root] = -1;
	s.pred[s.root] = -1;
	s.thread[s.root] = 0;
	s.rev_thread[0] = s.root;
	s.succ_num[s.root] = s.node_num + 1;
	s.last_succ[s.root] = s.root - 1;
	s.pi[s.root] = 0;
	for (u = 0; u < s.node_num; u++) {
		size_t k = (size_t)u;
		int supply_pos = k < n;

		e = s.nm + k;
		s.parent[u] = s.root;
		s.pred[u] = (int)e;
		s.thread[u] = u + 1;
		s.rev_thread[u + 1] = u;
		s.succ_num[u] = 1;
		s.last_succ[u] = u;
		s.state[e] = ST_TREE;
		if (supply_pos) {
			s.pred_dir[u] = DIR_UP;
			s.pi[u] = 0;
			s.art_src[k] = u;
			s.art_tgt[k] = s.root;
			s.flow[e] = a[k];
			s.art_cost[k] = 0;
		} else {
			s.pred_dir[u] = DIR_DOWN;
			s.pi[u] = art;
			s.art_src[k] = s.root;
			s.art_tgt[k] = u;
			s.flow[e] = b[k - n];
			s.art_cost[k] = art;
		}
	}
	while (find_entering(&s)) {
		find_join(&s);
		find_leaving(&s);
		change_flow(&s);
		update_tree(&s);
		update_potential(&s);
		piv++;
	}

	for (i = 0; i < n; i++)
		for (j = 0; j < m; j++) {
			double fl = s.flow[i * m + j];

			if (fl != 0)
				total += fl * C[i * m + j];
		}
	*value = total;
	if (flow != NULL)
		memcpy(flow, s.flow, s.nm * sizeof(double));
	if (f != NULL && g != NULL) {
		double sf = 0, sg = 0, shift;

		for (i = 0; i < n; i++) {
			f[i] = -s.pi[i];
			sf += a[i] * f[i];
		}
		for (j = 0; j < m; j++) {
			g[j] = s.pi[n + j];
			sg += b[j] * g[j];
		}
		/* potentials are defined up to f + c, g - c: centre them */
		shift = (sg - sf) / 2;
		for (i = 0; i < n; i++)
			f[i] += shift;
		for (j = 0; j < m; j++)
			g[j] -= shift;
	}
	if (pivots != NULL)
		*pivots = piv;
	ns_free(&s);
	return 0;
}

/* The exact method: the cost matrix, then network simplex on it. */
int
ot_solve_exact(const struct nsl_ot_params *o, const struct nsl_ot_problem *pr,
    const double *a, const double *b, const double *ltab,
    struct nsl_ot_result *res, struct nsl_err *err)
{
	struct ot_cost c;
	size_t n = pr->n, m = pr->m, i, j, k = 0;
	size_t nlb = ltab != NULL ? pr->nlb : 0;
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

		ot_cost_compute(&c, 0, i, i1, C + i * m);
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

