/*
 * prune.c - subset selection by score (see nsl/prune.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <omp.h>

#include "nsl/buf.h"
#include "nsl/coreset.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/batch.h"
#include "nsl/kmeans.h"
#include "nsl/mem.h"
#include "nsl/labels.h"
#include "nsl/npy.h"
#include "nsl/num.h"
#include "nsl/prune.h"
#include "nsl/rng.h"
#include "nsl/sort.h"
#include "nsl/spool.h"
#include "nsl/vec.h"

void
nsl_prune_params_init(struct nsl_prune_params *p)
{
	memset(p, 0, sizeof(*p));
	p->strategy = NSL_PRUNE_HARD;
	p->fraction = 1.0;
	p->cutoff = NSL_PRUNE_DEFAULT_CUTOFF;
	p->strata = NSL_PRUNE_DEFAULT_STRATA;
	p->eps = -1.0;
	p->max_iter = NSL_PRUNE_DEFAULT_ITERS;
}

const char *
nsl_prune_keep_check(const struct nsl_prune_params *p, int given)
{
	static char msg[128];
	const struct nsl_prune_strategy_def *row =
	    nsl_prune_strategy_get((int)p->strategy);

	if (row == NULL)
		return "strategy: not in the catalogue";
	if (row->select == NULL && given) {
		snprintf(msg, sizeof(msg), "%s keeps what --eps leaves: no "
		    "--keep-fraction or --keep", row->name);
		return msg;
	}
	if (row->select != NULL && given != 1)
		return given ? "give one of --keep-fraction and --keep" :
		    "how many to keep? (--keep-fraction or --keep)";
	return NULL;
}

const char *
nsl_prune_check(const struct nsl_prune_params *p)
{
	const struct nsl_prune_strategy_def *row =
	    nsl_prune_strategy_get((int)p->strategy);

	if (row == NULL)
		return "strategy: not in the catalogue";
	if (row->needs & NSL_PRUNE_SAMPLES && p->eps != -1.0 &&
	    !(p->eps > 0 && p->eps < 1))
		return "--eps must be in (0, 1) for the sample of "
		    "facility-stochastic";
	if (row->needs & NSL_PRUNE_NEEDS_VECTOR) {
		if (!(p->eps >= 0 && p->eps <= 2))
			return "dedup needs --eps in [0, 2]";
		if (p->k == 0)
			return "dedup needs --k (clusters), at least 1";
		if (p->max_iter < 1)
			return "--iters must be at least 1";
		return NULL;
	}
	if (!p->by_count && !(p->fraction > 0 && p->fraction <= 1))
		return "--keep-fraction must be in (0, 1]";
	if (row->needs & NSL_PRUNE_STRATA) {
		if (!(p->cutoff >= 0 && p->cutoff < 1))
			return "--cutoff must be in [0, 1)";
		if (p->strata < 1)
			return "--strata must be at least 1";
		if (!p->by_count && p->fraction + p->cutoff > 1 + 1e-12)
			return "--keep-fraction plus --cutoff exceeds 1";
	}
	return NULL;
}

uint64_t
nsl_prune_count(double f, uint64_t n)
{
	double c = floor(f * (double)n + 0.5);

	if (c <= 0)
		return 0;
	if (c >= (double)n)
		return n;
	return (uint64_t)c;
}

/*
 * --keep-fraction F of a group of n: round(F n), but at least one record
 * of a non-empty group (F > 0 asks for some; class-balanced pruning keeps
 * every class), unless a stratified cutoff leaves none.
 */
static size_t
keep_fraction(const struct nsl_prune_params *p, size_t n)
{
	uint64_t k = nsl_prune_count(p->fraction, n);
	unsigned needs = nsl_prune_strategy_get((int)p->strategy)->needs;

	if (k == 0 && n > 0 && (!(needs & NSL_PRUNE_STRATA) ||
	    nsl_prune_count(p->cutoff, n) < n))
		k = 1;
	return (size_t)k;
}

struct remainder {
	unsigned __int128 r;
	size_t g;
};

static int
cmp_remainder(const void *pa, const void *pb)
{
	const struct remainder *a = pa, *b = pb;

	if (a->r != b->r)
		return a->r > b->r ? -1 : 1;
	return (a->g > b->g) - (a->g < b->g);
}

int
nsl_prune_budgets(const struct nsl_prune_params *p, const size_t *gsize,
    size_t ngroups, size_t *budget, struct nsl_err *err)
{
	struct remainder *rem;
	uint64_t total = 0, given = 0;
	size_t g;

	for (g = 0; g < ngroups; g++)
		total += gsize[g];
	if (!p->by_count) {
		for (g = 0; g < ngroups; g++)
			budget[g] = keep_fraction(p, gsize[g]);
		return 0;
	}
	if (p->keep_count > total)
		return nsl_err_set(err, NSL_EX_DATAERR, "--keep %llu: only "
		    "%llu records", (unsigned long long)p->keep_count,
		    (unsigned long long)total);
	/* no records (empty input or groups): every budget is 0 */
	if (ngroups == 0 || total == 0) {
		for (g = 0; g < ngroups; g++)
			budget[g] = 0;
		return 0;
	}
	if ((rem = malloc(ngroups * sizeof(*rem))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	/* largest remainder: floor of each exact share, then +1 in order */
	for (g = 0; g < ngroups; g++) {
		unsigned __int128 q = (unsigned __int128)p->keep_count *
		    gsize[g];

		budget[g] = (size_t)(q / total);
		rem[g].r = q % total;
		rem[g].g = g;
		given += budget[g];
	}
	qsort(rem, ngroups, sizeof(*rem), cmp_remainder);
	for (g = 0; given < p->keep_count; g++, given++)
		budget[rem[g].g]++;
	free(rem);
	return 0;
}

struct order {
	size_t pos;		/* index within the group */
	size_t bin;		/* dedup: cluster */
	double key;
};

static int
cmp_bin_pos(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;

	if (a->bin != b->bin)
		return a->bin < b->bin ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

static int
cmp_bin_key_desc(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;

	if (a->bin != b->bin)
		return a->bin < b->bin ? -1 : 1;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Score descending, then input order: hardest first. */
static int
cmp_hard(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Score ascending, then input order: easiest first. */
static int
cmp_easy(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

size_t
nsl_prune_ccs_allocate(const size_t *bin_size, size_t nbins, size_t m,
    size_t *alloc)
{
	struct order *o;
	size_t i, left = m, total = 0, give;

	if (nbins == 0)
		return 0;
	if ((o = malloc(nbins * sizeof(*o))) == NULL)
		return (size_t)-1;
	for (i = 0; i < nbins; i++) {
		o[i].pos = i;
		o[i].bin = 0;
		o[i].key = (double)bin_size[i];
	}
	qsort(o, nbins, sizeof(*o), cmp_easy);	/* smallest first, by index */
	for (i = 0; i < nbins; i++) {
		give = left / (nbins - i);
		if (bin_size[o[i].pos] < give)
			give = bin_size[o[i].pos];
		alloc[o[i].pos] = give;
		left -= give;
		total += give;
	}
	free(o);
	return total;
}

size_t
nsl_prune_bin(double s, double lo, double hi, size_t K)
{
	double t, w = hi - lo;

	if (!(hi > lo))
		return 0;
	if (isinf(w))
		t = (s / 2 - lo / 2) / (hi / 2 - lo / 2);
	else
		t = (s - lo) / w;
	t = floor(t * (double)K);
	if (!(t > 0))
		return 0;
	if (t >= (double)(K - 1))
		return K - 1;
	return (size_t)t;
}

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/* Choose m of src[0..n) uniformly; keep their records. */
static int
choose(gsl_rng *rng, const size_t *src, size_t n, size_t m,
    const size_t *members, unsigned char *keep, struct nsl_err *err)
{
	size_t *dest, j;

	if (m == 0)
		return 0;
	if (m == n) {
		for (j = 0; j < n; j++)
			keep[members[src[j]]] = 1;
		return 0;
	}
	if ((dest = malloc(m * sizeof(*dest))) == NULL)
		return oom(err);
	gsl_ran_choose(rng, dest, m, (void *)src, n, sizeof(*src));
	for (j = 0; j < m; j++)
		keep[members[dest[j]]] = 1;
	free(dest);
	return 0;
}

/* CCS on one group (o: hardest first; n records, m budget). */
static int
stratified(const struct nsl_prune_params *p, struct order *o, size_t n,
    size_t m, gsl_rng *rng, const size_t *members, unsigned char *keep,
    struct nsl_prune_stats *st, struct nsl_err *err)
{
	size_t cut = (size_t)nsl_prune_count(p->cutoff, n), K = p->strata;
	size_t *size = NULL, *alloc = NULL, *start = NULL, *pool = NULL;
	size_t i, b, left = n - cut;
	double lo, hi;
	int rc = -1;

	if (m > left)
		return nsl_err_set(err, NSL_EX_DATAERR, "budget of %zu records "
		    "exceeds the %zu left after --cutoff dropped %zu", m,
		    left, cut);
	st->cut = cut;
	if (left == 0 || m == 0)
		return 0;
	hi = o[cut].key;
	lo = o[n - 1].key;
	st->bin_lo = lo;
	st->bin_hi = hi;
	size = calloc(K, sizeof(*size));
	alloc = calloc(K, sizeof(*alloc));
	start = calloc(K + 1, sizeof(*start));
	pool = malloc(left * sizeof(*pool));
	if (size == NULL || alloc == NULL || start == NULL || pool == NULL) {
		oom(err);
		goto done;
	}
	/* strata of the records left, in input order within each */
	for (i = cut; i < n; i++) {
		o[i].bin = nsl_prune_bin(o[i].key, lo, hi, K);
		size[o[i].bin]++;
	}
	qsort(o + cut, left, sizeof(*o), cmp_bin_pos);
	for (i = cut; i < n; i++)
		pool[i - cut] = o[i].pos;
	for (b = 0; b < K; b++)
		start[b + 1] = start[b] + size[b];
	if ((b = nsl_prune_ccs_allocate(size, K, m, alloc)) != m) {
		if (b == (size_t)-1)
			oom(err);
		else
			nsl_err_set(err, NSL_EX_SOFTWARE, "CCS allocation "
			    "fell short");
		goto done;
	}
	for (b = 0; b < K; b++)
		if (choose(rng, pool + start[b], size[b], alloc[b], members,
		    keep, err) != 0)
			goto done;
	if (st->bin_size != NULL)
		memcpy(st->bin_size, size, K * sizeof(*size));
	if (st->bin_alloc != NULL)
		memcpy(st->bin_alloc, alloc, K * sizeof(*alloc));
	rc = 0;
done:
	free(size);
	free(alloc);
	free(start);
	free(pool);
	return rc;
}

/* The strategies' selections within one group. */
struct nsl_prune_group {
	const struct nsl_prune_params *p;
	struct order *o;	/* n entries: position, score */
	size_t n, m;		/* records, budget */
	gsl_rng *rng;		/* draws (NSL_PRUNE_DRAWS rows) */
	const size_t *members;
	unsigned char *keep;
	struct nsl_prune_stats *stats;
	const double *x;	/* n x d: the members' vectors (coresets) */
	const float *xf;	/* or float32 rows when x is NULL */
	size_t d;
};

/* a before b: cmp_hard(a, b) < 0 (desc) or cmp_easy(a, b) < 0, no NaN */
static inline int
order_before(const struct order *a, const struct order *b, int desc)
{
	if (a->key != b->key)
		return desc ? a->key > b->key : a->key < b->key;
	return a->pos < b->pos;
}

NSL_SORT_DEFINE(order_sort, struct order, order_before)

/*
 * Move the m rows that come first under cmp_hard (desc) or cmp_easy into
 * o[0..m), in no particular order: quickselect on order_sort's
 * partition.  Positions are distinct, so the order is total and the m
 * first are the m a full sort would put first -- at O(n) expected time
 * instead of a sort's n log n comparisons through a function pointer.
 * A range that is not halving (inputs built against the pivot rule) is
 * sorted, so no input costs more than a sort.  Keys must not be NaN.
 */
static void
order_select(struct order *o, size_t n, size_t m, int desc)
{
	size_t lo = 0, hi = n, p, budget = 16;

	for (p = n; p > 1; p /= 2)
		budget += 2;	/* 2 log2(n) + 16 partitions */
	while (m > lo && m < hi && hi - lo > 16) {
		if (budget-- == 0) {
			order_sort(o + lo, hi - lo, desc);
			return;
		}
		/* o[lo..p) before o[p], o(p..hi) after it */
		p = lo + order_sort_partition(o + lo, hi - lo, desc);
		if (m <= p)
			hi = p;
		else
			lo = p + 1;
	}
	if (m > lo && m < hi)	/* a short range around the m-th */
		order_sort_insertion(o + lo, hi - lo, desc);
}

/* Whether some key is NaN: no total order, so qsort() as before. */
static int
order_has_nan(const struct nsl_prune_group *g)
{
	size_t j;

	for (j = 0; j < g->n && !isnan(g->o[j].key); j++)
		continue;
	return j < g->n;
}

static int
by_order(const struct nsl_prune_group *g, int desc)
{
	size_t j;

	if (order_has_nan(g))
		qsort(g->o, g->n, sizeof(*g->o), desc ? cmp_hard : cmp_easy);
	else
		order_select(g->o, g->n, g->m, desc);
	for (j = 0; j < g->m; j++)
		g->keep[g->members[g->o[j].pos]] = 1;
	return 0;
}

static int
hard(const struct nsl_prune_group *g, struct nsl_err *err)
{
	(void)err;
	return by_order(g, 1);
}

static int
easy(const struct nsl_prune_group *g, struct nsl_err *err)
{
	(void)err;
	return by_order(g, 0);
}

static int
random_subset(const struct nsl_prune_group *g, struct nsl_err *err)
{
	size_t *pos, j;
	int rc;

	if ((pos = malloc((g->n + 1) * sizeof(*pos))) == NULL)
		return oom(err);
	for (j = 0; j < g->n; j++)
		pos[j] = j;
	rc = choose(g->rng, pos, g->n, g->m, g->members, g->keep, err);
	free(pos);
	return rc;
}

static int
ccs(const struct nsl_prune_group *g, struct nsl_err *err)
{
	if (order_has_nan(g))
		qsort(g->o, g->n, sizeof(*g->o), cmp_hard);
	else
		order_sort(g->o, g->n, 1);
	return stratified(g->p, g->o, g->n, g->m, g->rng, g->members,
	    g->keep, g->stats, err);
}

/* The coreset rows: m rows of the group by nsl/coreset.h's rules. */
enum coreset { KCENTER, HERDING, FACILITY, FACILITY_STOCHASTIC };

static int
coreset(const struct nsl_prune_group *g, enum coreset kind,
    struct nsl_err *err)
{
	size_t *sel, j, sample = 0, start;
	int rc;

	if (g->m == 0)
		return 0;
	if ((sel = malloc(g->m * sizeof(*sel))) == NULL)
		return oom(err);
	if (kind == FACILITY_STOCHASTIC)
		sample = nsl_coreset_sample_size(g->n, g->m,
		    g->p->eps == -1.0 ? NSL_CORESET_DEFAULT_EPS : g->p->eps);
	if (kind == KCENTER) {
		start = gsl_rng_uniform_int(g->rng, g->n);
		rc = g->xf != NULL ? nsl_coreset_kcenter_f32(g->xf, g->n,
		    g->d, g->m, start, sel, err) : nsl_coreset_kcenter(g->x,
		    g->n, g->d, g->m, start, sel, err);
	} else if (kind == HERDING)
		rc = g->xf != NULL ? nsl_coreset_herding_f32(g->xf, g->n,
		    g->d, g->m, sel, err) : nsl_coreset_herding(g->x, g->n,
		    g->d, g->m, sel, err);
	else
		rc = g->xf != NULL ? nsl_coreset_facility_f32(g->xf, g->n,
		    g->d, g->m, sample, g->rng, sel, err) :
		    nsl_coreset_facility(g->x, g->n, g->d, g->m, sample,
		    g->rng, sel, err);
	for (j = 0; rc == 0 && j < g->m; j++)
		g->keep[g->members[sel[j]]] = 1;
	free(sel);
	return rc;
}

static int
kcenter(const struct nsl_prune_group *g, struct nsl_err *err)
{
	return coreset(g, KCENTER, err);
}

static int
herding(const struct nsl_prune_group *g, struct nsl_err *err)
{
	return coreset(g, HERDING, err);
}

static int
facility(const struct nsl_prune_group *g, struct nsl_err *err)
{
	return coreset(g, FACILITY, err);
}

static int
facility_stochastic(const struct nsl_prune_group *g, struct nsl_err *err)
{
	return coreset(g, FACILITY_STOCHASTIC, err);
}

/*
 * The catalogue: one row a strategy, in the order of enum
 * nsl_prune_strategy.  Names, --list-strategies, the parser and the
 * choice of inputs (score or vectors) come from these rows.  dedup has
 * no budget and no select: nsl_prune_dedup works on the group's vectors.
 */
static const struct nsl_prune_strategy_def strategies[] = {
	{ "hard", "keep the highest scores (ties: the earlier record)",
	    NSL_PRUNE_NEEDS_SCORE, hard },
	{ "easy", "keep the lowest scores", NSL_PRUNE_NEEDS_SCORE, easy },
	/* no score: a uniform draw reads none, so none is required */
	{ "random", "keep a uniform random subset (--seed)",
	    NSL_PRUNE_DRAWS, random_subset },
	{ "stratified", "CCS (Zheng et al. 2023): drop the hardest --cutoff, "
	    "then sample equal-width score strata evenly (--strata, --seed)",
	    NSL_PRUNE_NEEDS_SCORE | NSL_PRUNE_DRAWS | NSL_PRUNE_STRATA, ccs },
	{ "dedup", "SemDeDup (Abbas et al. 2023): in each k-means cluster of "
	    "the vectors drop near-duplicates, cosine similarity above 1 - "
	    "--eps (--k, --iters, --seed)", NSL_PRUNE_NEEDS_VECTOR, NULL },
	{ "k-center", "k-center greedy on the vectors: start at a random "
	    "record (--seed), then add the farthest from those kept",
	    NSL_PRUNE_NEEDS_EMBEDDING | NSL_PRUNE_DRAWS, kcenter },
	{ "herding", "herding on the vectors: add the record that brings the "
	    "kept mean closest to the mean of all", NSL_PRUNE_NEEDS_EMBEDDING,
	    herding },
	{ "facility-location", "greatest coverage sum_i max_kept (1 + cos) / "
	    "2 of the vectors, by lazy greedy", NSL_PRUNE_NEEDS_EMBEDDING,
	    facility },
	{ "facility-stochastic", "facility-location by stochastic greedy: "
	    "best of (n/m) ln(1/E) random candidates a step (--eps E, "
	    "default 0.01; --seed)", NSL_PRUNE_NEEDS_EMBEDDING |
	    NSL_PRUNE_DRAWS | NSL_PRUNE_SAMPLES, facility_stochastic },
	{ NULL, NULL, 0, NULL }
};

#define NSTRATEGIES (sizeof(strategies) / sizeof(strategies[0]) - 1)

const struct nsl_prune_strategy_def *
nsl_prune_strategy_get(int s)
{
	return s >= 0 && (size_t)s < NSTRATEGIES ? &strategies[s] : NULL;
}

int
nsl_prune_strategy_parse(const char *name, enum nsl_prune_strategy *out)
{
	size_t i;

	for (i = 0; i < NSTRATEGIES; i++)
		if (strcmp(name, strategies[i].name) == 0) {
			*out = (enum nsl_prune_strategy)i;
			return 0;
		}
	return -1;
}

const char *
nsl_prune_strategy_name(enum nsl_prune_strategy s)
{
	return strategies[s].name;
}

static int select_rows(const struct nsl_prune_params *, const double *,
    const double *, const float *, size_t, const size_t *, size_t, size_t,
    uint64_t, unsigned char *, struct nsl_prune_stats *, struct nsl_err *);

int
nsl_prune_select(const struct nsl_prune_params *p, const double *score,
    const size_t *members, size_t n, size_t m, uint64_t stream,
    unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err)
{
	return nsl_prune_select_rows(p, score, NULL, 0, members, n, m, stream,
	    keep, stats, err);
}

int
nsl_prune_select_rows(const struct nsl_prune_params *p, const double *score,
    const double *x, size_t d, const size_t *members, size_t n, size_t m,
    uint64_t stream, unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err)
{
	return select_rows(p, score, x, NULL, d, members, n, m, stream, keep,
	    stats, err);
}

/* nsl_prune_select_rows on x, or on float32 rows xf when x is NULL */
static int
select_rows(const struct nsl_prune_params *p, const double *score,
    const double *x, const float *xf, size_t d, const size_t *members,
    size_t n, size_t m, uint64_t stream, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err)
{
	const struct nsl_prune_strategy_def *row =
	    nsl_prune_strategy_get((int)p->strategy);
	struct nsl_prune_stats local;
	struct nsl_prune_group g;
	size_t j;
	int rc = -1;

	if (stats == NULL) {
		memset(&local, 0, sizeof(local));
		stats = &local;
	}
	stats->n = n;
	stats->kept = stats->cut = 0;
	if (m > n)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "budget exceeds the "
		    "group");
	if (row == NULL || row->select == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "%s has no budget",
		    row != NULL ? row->name : "the strategy");
	if (row->needs & NSL_PRUNE_NEEDS_EMBEDDING && x == NULL && xf == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "%s needs the "
		    "vectors", row->name);
	if (n == 0)
		return 0;
	memset(&g, 0, sizeof(g));
	g.x = x;
	g.xf = xf;
	g.d = d;
	g.p = p;
	g.n = n;
	g.m = m;
	g.members = members;
	g.keep = keep;
	g.stats = stats;
	if ((g.o = malloc(n * sizeof(*g.o))) == NULL)
		return oom(err);
	nsl_mem_prefault(g.o, n * sizeof(*g.o));	/* written whole */
	for (j = 0; j < n; j++) {
		g.o[j].pos = j;
		g.o[j].bin = 0;
		g.o[j].key = score != NULL ? score[members[j]] : 0;
	}
	if (row->needs & NSL_PRUNE_DRAWS &&
	    (g.rng = nsl_rng_new(p->seed, stream)) == NULL)
		oom(err);
	else
		rc = row->select(&g, err);
	free(g.o);
	gsl_rng_free(g.rng);
	return rc;
}

/* The k-means seed of a group's stream (stream 0: the seed itself). */
static uint64_t
stream_seed(uint64_t seed, uint64_t stream)
{
	uint64_t s = seed ^ (stream * 0x9e3779b97f4a7c15ULL);

	return stream == 0 ? seed : nsl_rng_splitmix64(&s);
}

#define DEDUP_BLOCK 256

/*
 * The rows dedup reads: x's doubles, or float32 rows xf each divided by
 * div[i] as read (the unit rows nsl_vec_normalize_rows() would make of
 * them, so the float path computes exactly what the double one does).
 */
struct dedup_rows {
	const double *x;
	const float *xf;
	const double *div;
};

/* Row i into out (d doubles). */
static void
dedup_row(const struct dedup_rows *r, size_t i, size_t d, double *out)
{
	size_t t;

	if (r->x != NULL) {
		memcpy(out, r->x + i * d, d * sizeof(*out));
		return;
	}
	for (t = 0; t < d; t++)
		out[t] = (double)r->xf[i * d + t] / r->div[i];
}

/*
 * Greedy pass over one cluster: cand[0..nc) are row numbers of x (unit
 * rows) in visiting order.  For unit rows, cosine similarity > 1 - eps
 * is squared distance < 2 eps (thr).  kept (nc x d) collects the kept
 * rows and ksq their squared norms; sims has room for DEDUP_BLOCK x nc,
 * blk for DEDUP_BLOCK rows and bsq for their squared norms.
 */
static size_t
dedup_cluster(const struct dedup_rows *x, size_t d, const size_t *cand,
    size_t nc,
    double thr, double *kept, double *ksq, double *sims, double *blk,
    double *bsq, const size_t *members, unsigned char *keep)
{
	size_t nk = 0, b0, bn, i, j;

	for (b0 = 0; b0 < nc; b0 += bn) {
		size_t nk0 = nk;

		bn = nc - b0 < DEDUP_BLOCK ? nc - b0 : DEDUP_BLOCK;
		for (i = 0; i < bn; i++)
			dedup_row(x, cand[b0 + i], d, blk + i * d);
		/* distances of the block to the rows kept before it */
		if (nk0 > 0) {
			nsl_vec_row_sqnorms(blk, bn, d, bsq);
			nsl_vec_sqdist_matrix(blk, bn, bsq, kept, nk0, ksq, d,
			    sims);
		}
		for (i = 0; i < bn; i++) {
			const double *row = blk + i * d;
			int drop = 0;

			for (j = 0; j < nk0 && !drop; j++)
				drop = sims[i * nk0 + j] < thr;
			/* and to the rows kept earlier in this block */
			for (j = nk0; j < nk && !drop; j++)
				drop = nsl_vec_sqdist(row, kept + j * d, d) <
				    thr;
			if (drop)
				continue;
			memcpy(kept + nk * d, row, d * sizeof(*row));
			ksq[nk] = nsl_vec_dot(row, row, d);
			nk++;
			keep[members[cand[b0 + i]]] = 1;
		}
	}
	return nk;
}

static int dedup_assigned(const struct nsl_prune_params *,
    const struct dedup_rows *, size_t, const size_t *, size_t,
    const double *, size_t, unsigned char *, struct nsl_prune_stats *,
    struct nsl_err *);

/* nsl_prune_dedup on x (normalised in place), or on xf when x is NULL */
static int
dedup(const struct nsl_prune_params *p, double *x, const float *xf,
    size_t d, const size_t *members, size_t n, uint64_t stream,
    unsigned char *keep, struct nsl_prune_stats *stats, struct nsl_err *err)
{
	struct nsl_kmeans_params kp;
	struct nsl_kmeans_result res;
	struct dedup_rows r;
	double *div = NULL, *buf = NULL;
	int rc = -1;

	if (stats != NULL) {
		stats->n = n;
		stats->kept = stats->cut = 0;
	}
	if (n == 0)
		return 0;
	if (p->k > n)
		return nsl_err_set(err, NSL_EX_DATAERR, "--k %zu is larger "
		    "than the number of records (%zu)", p->k, n);
	memset(&r, 0, sizeof(r));
	if (x != NULL) {
		nsl_vec_normalize_rows(x, n, d);
		r.x = x;
	} else {
		/* n divisors instead of a normalised copy of the rows */
		div = malloc(n * sizeof(*div));
		buf = malloc(d * sizeof(*buf));
		if (div == NULL || buf == NULL) {
			free(div);
			free(buf);
			return oom(err);
		}
		nsl_kmeans_unit_divisors(xf, n, d, div, buf);
		free(buf);
		r.xf = xf;
		r.div = div;
	}
	memset(&kp, 0, sizeof(kp));
	kp.k = p->k;
	kp.max_iter = p->max_iter;
	kp.tol = 1e-4;
	kp.seed = stream_seed(p->seed, stream);
	res.centroids = malloc(p->k * d * sizeof(double));
	res.assign = malloc(n * sizeof(size_t));
	if (res.centroids == NULL || res.assign == NULL)
		oom(err);
	else if ((x != NULL ? nsl_kmeans_fit(x, n, d, &kp, &res, err) :
	    nsl_kmeans_fit_f32(xf, div, n, d, &kp, &res, err)) == 0)
		rc = dedup_assigned(p, &r, d, members, n, res.centroids,
		    p->k, keep, stats, err);
	free(res.centroids);
	free(res.assign);
	free(div);
	return rc;
}

int
nsl_prune_dedup(const struct nsl_prune_params *p, double *x, size_t d,
    const size_t *members, size_t n, uint64_t stream, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err)
{
	return dedup(p, x, NULL, d, members, n, stream, keep, stats, err);
}

int
nsl_prune_dedup_f32(const struct nsl_prune_params *p, const float *xf,
    size_t d, const size_t *members, size_t n, uint64_t stream,
    unsigned char *keep, struct nsl_prune_stats *stats, struct nsl_err *err)
{
	return dedup(p, NULL, xf, d, members, n, stream, keep, stats, err);
}

int
nsl_prune_dedup_assigned(const struct nsl_prune_params *p, const double *x,
    size_t d, const size_t *members, size_t n, const double *centroids,
    size_t k, unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err)
{
	struct dedup_rows r = { x, NULL, NULL };

	return dedup_assigned(p, &r, d, members, n, centroids, k, keep,
	    stats, err);
}

int
nsl_prune_dedup_assigned_f32(const struct nsl_prune_params *p,
    const float *xf, const double *div, size_t d, const size_t *members,
    size_t n, const double *centroids, size_t k, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err)
{
	struct dedup_rows r = { NULL, xf, div };

	return dedup_assigned(p, &r, d, members, n, centroids, k, keep,
	    stats, err);
}

/* One thread's room for dedup_cluster() on clusters of up to maxc rows. */
struct dedup_ws {
	double *kept, *ksq, *sims, *blk, *bsq;
};

static int
dedup_ws_alloc(struct dedup_ws *w, size_t maxc, size_t d)
{
	w->kept = malloc(maxc * d * sizeof(*w->kept));
	w->sims = malloc((size_t)DEDUP_BLOCK * maxc * sizeof(*w->sims));
	w->blk = malloc((size_t)DEDUP_BLOCK * d * sizeof(*w->blk));
	w->ksq = malloc(maxc * sizeof(*w->ksq));
	w->bsq = malloc(DEDUP_BLOCK * sizeof(*w->bsq));
	return w->kept && w->sims && w->blk && w->ksq && w->bsq ? 0 : -1;
}

static void
dedup_ws_free(struct dedup_ws *w)
{
	free(w->kept);
	free(w->sims);
	free(w->blk);
	free(w->ksq);
	free(w->bsq);
}

/*
 * Threads for the clusters' selections: each holds a workspace for the
 * largest cluster, 8 maxc (d + 256) bytes, and together they hold no
 * more than half the float32 rows' 4 n d, or 64 MiB (at least one
 * thread).
 */
static int
dedup_threads(size_t n, size_t d, size_t maxc, size_t nclusters)
{
	double ws = 8.0 * (double)maxc * (double)(d + DEDUP_BLOCK);
	double room = 2.0 * (double)n * (double)d;
	double fit = (room > 0x1p26 ? room : 0x1p26) / ws;
	int nt = omp_get_max_threads();

	if ((double)nt > fit)
		nt = (int)fit;
	if ((size_t)nt > nclusters)
		nt = (int)nclusters;
	return nt < 1 ? 1 : nt;
}

/* Larger clusters first, so the threads end together; then by start. */
static int
cmp_cluster_size_desc(const void *pa, const void *pb)
{
	const size_t *a = pa, *b = pb;

	if (a[1] - a[0] != b[1] - b[0])
		return a[1] - a[0] > b[1] - b[0] ? -1 : 1;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int
dedup_assigned(const struct nsl_prune_params *p, const struct dedup_rows *x,
    size_t d, const size_t *members, size_t n, const double *centroids,
    size_t k, unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err)
{
	struct order *o = NULL;
	struct dedup_ws *ws = NULL;
	double *dist = NULL;
	size_t *cand = NULL, *assign = NULL, *span = NULL;
	size_t j, c, c0, c1, nc = 0, nk = 0, maxc = 0;
	int nt = 0, t, blas_threads, rc = -1;

	if (stats != NULL) {
		stats->n = n;
		stats->kept = stats->cut = 0;
	}
	if (n == 0)
		return 0;
	assign = malloc(n * sizeof(*assign));
	dist = malloc(n * sizeof(*dist));
	o = malloc(n * sizeof(*o));
	cand = malloc(n * sizeof(*cand));
	span = malloc(2 * (k > 0 ? k : 1) * sizeof(*span));	/* k clusters */
	if (assign == NULL || dist == NULL || o == NULL || cand == NULL ||
	    span == NULL) {
		oom(err);
		goto done;
	}
	if (x->x != NULL)
		nsl_kmeans_assign(x->x, n, d, centroids, k, assign, dist);
	else
		nsl_kmeans_assign_f32(x->xf, x->div, n, d, centroids, k,
		    assign, dist);
	for (j = 0; j < n; j++) {
		o[j].pos = j;
		o[j].bin = assign[j];
		o[j].key = dist[j];
	}
	/* by cluster; farthest from the centroid first; then input order */
	qsort(o, n, sizeof(*o), cmp_bin_key_desc);
	for (c0 = 0; c0 < n; c0 = c1) {
		for (c1 = c0; c1 < n && o[c1].bin == o[c0].bin; c1++)
			;
		span[2 * nc] = c0;
		span[2 * nc + 1] = c1;
		nc++;
		if (c1 - c0 > maxc)
			maxc = c1 - c0;
	}
	for (j = 0; j < n; j++)
		cand[j] = o[j].pos;
	/*
	 * The clusters are independent (each keeps rows by its own kept
	 * rows, and writes keep[] at its own members), so they are shared
	 * out among threads: the same choices with any number of them.
	 */
	qsort(span, nc, 2 * sizeof(*span), cmp_cluster_size_desc);
	nt = dedup_threads(n, d, maxc, nc);
	if ((ws = calloc((size_t)nt, sizeof(*ws))) == NULL) {
		oom(err);
		goto done;
	}
	for (t = 0; t < nt; t++)
		if (dedup_ws_alloc(&ws[t], maxc, d) != 0) {
			oom(err);
			goto done;
		}
	/* the threads are OpenMP's: a threaded GEMM inside would oversubscribe */
	blas_threads = nt > 1 ? nsl_vec_blas_serial() : 0;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) reduction(+:nk)
	for (c = 0; c < nc; c++) {
		struct dedup_ws *w = &ws[omp_get_thread_num()];

		nk += dedup_cluster(x, d, cand + span[2 * c],
		    span[2 * c + 1] - span[2 * c], 2 * p->eps, w->kept, w->ksq,
		    w->sims, w->blk, w->bsq, members, keep);
	}
	if (nt > 1)
		nsl_vec_blas_restore(blas_threads);
	if (stats != NULL)
		stats->kept = nk;
	rc = 0;
done:
	free(assign);
	free(dist);
	free(o);
	free(cand);
	free(span);
	if (ws != NULL)
		for (t = 0; t < nt; t++)
			dedup_ws_free(&ws[t]);
	free(ws);
	return rc;
}

static void
kept_range(const double *score, const size_t *members, size_t n,
    const unsigned char *keep, struct nsl_prune_stats *st)
{
	size_t j;

	st->kept = 0;
	for (j = 0; j < n; j++) {
		double s;

		if (!keep[members[j]])
			continue;
		if (score == NULL) {
			st->kept++;
			continue;
		}
		s = score[members[j]];
		if (st->kept == 0 || s < st->kept_lo)
			st->kept_lo = s;
		if (st->kept == 0 || s > st->kept_hi)
			st->kept_hi = s;
		st->kept++;
	}
}

/*
 * Rows mem[0..m) of src (d numbers of esz bytes each) copied in that
 * order into a new buffer (one spare row, so m = 0 allocates too), old
 * freed: a group's rows, contiguous for its kernels.  NULL when out of
 * memory.
 */
static void *
gather_rows(void *old, const void *src, size_t esz, const size_t *mem,
    size_t m, size_t d)
{
	size_t i, row = d * esz;
	char *buf;

	free(old);
	if ((buf = malloc((m + 1) * row)) == NULL)
		return NULL;
	for (i = 0; i < m; i++)
		memcpy(buf + i * row, (const char *)src + mem[i] * row, row);
	return buf;
}

/* nsl_prune_run on x, or on float32 rows xf when x is NULL */
static int
run(const struct nsl_prune_params *p, size_t n, const double *score,
    const size_t *group, size_t ngroups, const char *const *names,
    double *x, const float *xf, size_t d, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err)
{
	size_t *start = NULL, *members = NULL, *gsize = NULL, *budget = NULL;
	size_t *fill = NULL, g, i;
	double *gx = NULL;
	float *gxf = NULL;
	int rc = -1, vectors = (strategies[p->strategy].needs &
	    NSL_PRUNE_NEEDS_VECTOR) != 0, rows_too = vectors ||
	    strategies[p->strategy].needs & NSL_PRUNE_NEEDS_EMBEDDING;

	memset(keep, 0, n);
	if (group == NULL)
		ngroups = 1;
	start = calloc(ngroups + 1, sizeof(*start));
	gsize = calloc(ngroups, sizeof(*gsize));
	budget = calloc(ngroups, sizeof(*budget));
	fill = calloc(ngroups, sizeof(*fill));
	members = malloc((n + 1) * sizeof(*members));
	if (members != NULL)	/* written whole */
		nsl_mem_prefault(members, n * sizeof(*members));
	if (start == NULL || gsize == NULL || budget == NULL ||
	    fill == NULL || members == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i < n; i++)
		gsize[group != NULL ? group[i] : 0]++;
	for (g = 0; g < ngroups; g++)
		start[g + 1] = start[g] + gsize[g];
	for (i = 0; i < n; i++) {
		g = group != NULL ? group[i] : 0;
		members[start[g] + fill[g]++] = i;
	}
	if (!vectors &&
	    nsl_prune_budgets(p, gsize, ngroups, budget, err) != 0)
		goto done;
	for (g = 0; g < ngroups; g++) {
		struct nsl_prune_stats *st = stats != NULL ? &stats[g] : NULL;
		const size_t *mem = members + start[g];
		int r;

		if (rows_too && xf != NULL) {
			const float *rows = xf;

			/* a group's rows in members' order, still float32 */
			if (ngroups > 1) {
				if ((gxf = gather_rows(gxf, xf, sizeof(*gxf),
				    mem, gsize[g], d)) == NULL) {
					oom(err);
					goto done;
				}
				rows = gxf;
			}
			r = vectors ? nsl_prune_dedup_f32(p, rows, d, mem,
			    gsize[g], g, keep, st, err) : select_rows(p, score,
			    NULL, rows, d, mem, gsize[g], budget[g], g, keep, st,
			    err);
		} else if (rows_too) {
			double *rows = x;

			if (ngroups > 1) {
				if ((gx = gather_rows(gx, x, sizeof(*gx), mem,
				    gsize[g], d)) == NULL) {
					oom(err);
					goto done;
				}
				rows = gx;
			}
			r = vectors ? nsl_prune_dedup(p, rows, d, mem,
			    gsize[g], g, keep, st, err) :
			    nsl_prune_select_rows(p, score, rows, d, mem,
			    gsize[g], budget[g], g, keep, st, err);
		} else
			r = nsl_prune_select(p, score, mem, gsize[g],
			    budget[g], g, keep, st, err);
		if (r != 0) {
			if (names != NULL && group != NULL) {
				char msg[sizeof(err->msg)];

				memcpy(msg, err->msg, sizeof(msg));
				nsl_err_set(err, err->code, "group %s: %s",
				    names[g], msg);
			}
			goto done;
		}
		if (st != NULL)
			kept_range(score, mem, gsize[g], keep, st);
	}
	rc = 0;
done:
	free(start);
	free(gsize);
	free(budget);
	free(fill);
	free(members);
	free(gx);
	free(gxf);
	return rc;
}

int
nsl_prune_run(const struct nsl_prune_params *p, size_t n,
    const double *score, const size_t *group, size_t ngroups,
    const char *const *names, double *x, size_t d, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err)
{
	return run(p, n, score, group, ngroups, names, x, NULL, d, keep,
	    stats, err);
}

int
nsl_prune_run_f32(const struct nsl_prune_params *p, size_t n,
    const double *score, const size_t *group, size_t ngroups,
    const char *const *names, const float *xf, size_t d,
    unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err)
{
	return run(p, n, score, group, ngroups, names, NULL, xf, d, keep,
	    stats, err);
}

int
nsl_prune_set_init(struct nsl_prune_set *s, int grouped)
{
	memset(s, 0, sizeof(*s));
	s->ngroups = 1;
	/* --by groups as every tool does (nsl/labels.h) */
	if (grouped && (s->groups =
	    nsl_labels_new_flags(NSL_LABELS_LITERALS)) == NULL)
		return -1;
	return 0;
}

void
nsl_prune_set_release(struct nsl_prune_set *s)
{
	free(s->score);
	free(s->group);
	nsl_mem_free(s->x);
	if (s->xf_map != NULL)
		nsl_npy_rows_free(s->xf_map, s->xf_map_len);
	else
		nsl_mem_free(s->xf);
	free(s->v);
	free(s->rank);
	nsl_labels_free(s->groups);
	memset(s, 0, sizeof(*s));
}

/* Read rec's vector onto the end of s->x. */
static int
add_vector(struct nsl_prune_set *s, const struct nsl_rec *rec,
    const char *field, struct nsl_err *err)
{
	size_t len = 0, j;
	long i;

	if ((i = nsl_rec_require(rec, field, err)) < 0 ||
	    nsl_rec_vector(rec, (size_t)i, &s->v, &len, &s->vcap, err) != 0)
		return -1;
	if (s->n > 0 && len != s->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, expected %zu as in the first record", field, len,
		    s->d);
	if (len == 0)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": empty "
		    "vector", field);
	for (j = 0; j < len; j++)
		if (!isfinite(s->v[j]))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "not a finite number at index %zu", field, j);
	return nsl_prune_set_add_row(s, s->v, len, err);
}

int
nsl_prune_set_add_row(struct nsl_prune_set *s, const double *v, size_t len,
    struct nsl_err *err)
{
	size_t t;

	s->d = len;
	if (s->f32 && !nsl_dataset_f32_exact(v, len)) {
		/* the first number float32 cannot hold: double from here */
		double *x = nsl_dataset_rows_widen(s->xf, s->n * len, s->xcap);

		if (x == NULL)
			return oom(err);
		nsl_mem_free(s->xf);
		s->xf = NULL;
		s->x = x;
		s->f32 = 0;
		s->xfault = 0;
	}
	if ((s->n + 1) * len > s->xcap) {
		size_t cap = s->xcap ? 2 * s->xcap : 1024 * len;
		/* grown in place: rows read are not moved (nsl/mem.h) */
		void *x = nsl_mem_grow(s->f32 ? (void *)s->xf : (void *)s->x,
		    cap * (s->f32 ? sizeof(*s->xf) : sizeof(*s->x)));

		if (x == NULL)
			return oom(err);
		if (s->f32)
			s->xf = x;
		else
			s->x = x;
		s->xcap = cap;
	}
	/* the rows' pages made present ahead of the writing (nsl/mem.h) */
	nsl_mem_prefault_ahead(s->f32 ? (void *)s->xf : (void *)s->x,
	    &s->xfault, (s->n + 1) * len * (s->f32 ? sizeof(*s->xf) :
	    sizeof(*s->x)), s->xcap * (s->f32 ? sizeof(*s->xf) :
	    sizeof(*s->x)));
	if (s->f32)
		for (t = 0; t < len; t++)
			s->xf[s->n * len + t] = (float)v[t];
	else
		memcpy(s->x + s->n * len, v, len * sizeof(*v));
	return 0;
}

int
nsl_prune_set_add(struct nsl_prune_set *s, const struct nsl_rec *rec,
    const char *score_field, const char *vec_field, const char *by,
    struct nsl_err *err)
{
	double score = 0;
	long f, g = 0;

	if (score_field != NULL) {
		if ((f = nsl_rec_require(rec, score_field, err)) < 0 ||
		    nsl_rec_number(rec, (size_t)f, &score, err) != 0)
			return -1;
		if (!isfinite(score))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "score is not a finite number", score_field);
	}
	if (vec_field != NULL && add_vector(s, rec, vec_field, err) != 0)
		return -1;
	if (by != NULL && s->groups != NULL &&
	    (g = nsl_labels_add(s->groups, rec, by, err)) < 0)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		double *sc = realloc(s->score, cap * sizeof(*sc));
		size_t *gr;

		if (sc == NULL)
			return oom(err);
		s->score = sc;
		/* ungrouped, every group is 0: none kept (8 bytes a record) */
		if (s->groups != NULL) {
			if ((gr = realloc(s->group, cap * sizeof(*gr))) ==
			    NULL)
				return oom(err);
			s->group = gr;
		}
		s->cap = cap;
	}
	/* appended in order: pages made present ahead (nsl/mem.h) */
	nsl_mem_prefault_ahead(s->score, &s->sfault, (s->n + 1) *
	    sizeof(*s->score), s->cap * sizeof(*s->score));
	s->score[s->n] = score;
	if (s->groups != NULL)
		s->group[s->n] = (size_t)g;
	s->n++;
	return 0;
}

int
nsl_prune_set_add_from(struct nsl_prune_set *s, const struct nsl_rec *rec,
    struct nsl_dataset_vectors *V, size_t file, uint64_t row,
    const char *score_field, const char *vec_field, const char *by,
    struct nsl_err *err)
{
	if (V == NULL)
		return nsl_prune_set_add(s, rec, score_field, vec_field, by,
		    err);
	if (s->xf_map != NULL)
		/* the file's rows in place: record s->n's is row `row`
		   (one file), only checked; past the last, that error */
		return nsl_dataset_vectors_row_f32(V, file, row, s->xf +
		    s->n * s->d, err) < 0 || nsl_prune_set_add(s, rec,
		    score_field, NULL, by, err) != 0 ? -1 : 0;
	/* a .npy row stands for the vector field */
	if (nsl_dataset_vectors_row(V, file, row, err) != 0 ||
	    nsl_prune_set_add_row(s, V->v, V->d, err) != 0 ||
	    nsl_prune_set_add(s, rec, score_field, NULL, by, err) != 0)
		return -1;
	nsl_npy_map_drop(&V->map[file], row);
	return 0;
}

int
nsl_prune_set_finish(struct nsl_prune_set *s, struct nsl_err *err)
{
	size_t i;

	if (s->groups == NULL)
		return 0;
	s->ngroups = nsl_labels_count(s->groups);
	if ((s->rank = malloc((s->ngroups + 1) * sizeof(*s->rank))) == NULL)
		return oom(err);
	if (nsl_labels_sort(s->groups, s->rank, err) != 0)
		return -1;
	for (i = 0; i < s->n; i++)
		s->group[i] = s->rank[s->group[i]];
	s->names = nsl_labels_names(s->groups);
	return 0;
}

void
nsl_prune_report(struct nsl_buf *out, const char *prefix,
    const struct nsl_prune_params *p, const struct nsl_prune_stats *st,
    size_t ngroups, const char *const *names)
{
	char lo[NSL_NUM_BUFSZ], hi[NSL_NUM_BUFSZ];
	unsigned needs = strategies[p->strategy].needs;
	size_t g, b;

	for (g = 0; g < ngroups; g++) {
		nsl_buf_addf(out, "%s", prefix);
		if (names != NULL)
			nsl_buf_addf(out, "group %s: ", names[g]);
		nsl_buf_addf(out, "kept %zu of %zu", st[g].kept, st[g].n);
		if (needs & NSL_PRUNE_NEEDS_SCORE && st[g].kept > 0) {
			nsl_num_format(lo, st[g].kept_lo);
			nsl_num_format(hi, st[g].kept_hi);
			nsl_buf_addf(out, ", score %s to %s", lo, hi);
		}
		if (needs & NSL_PRUNE_STRATA)
			nsl_buf_addf(out, ", cut %zu", st[g].cut);
		nsl_buf_addc(out, '\n');
		if (!(needs & NSL_PRUNE_STRATA) ||
		    st[g].bin_size == NULL || st[g].kept == 0)
			continue;
		for (b = 0; b < p->strata; b++)
			nsl_buf_addf(out, "%s  stratum %zu: kept %zu of %zu\n",
			    prefix, b, st[g].bin_alloc[b], st[g].bin_size[b]);
	}
}

/* nsl_prune_run's reading: each record into the set, in order */
struct collecting {
	const struct nsl_prune_job *J;
	struct nsl_prune_set *set;
	struct nsl_dataset_vectors *V;
	size_t file;
	uint64_t row;
	unsigned needs;
};

static int
collect_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct collecting *C = arg;
	const struct nsl_prune_job *J = C->J;
	unsigned vec = C->needs & (NSL_PRUNE_NEEDS_VECTOR |
	    NSL_PRUNE_NEEDS_EMBEDDING);

	(void)lineno;
	(void)hash;
	if (nsl_prune_set_add_from(C->set, rec, J->nvectors > 0 ? C->V :
	    NULL, C->file, C->row, C->needs & NSL_PRUNE_NEEDS_SCORE ?
	    J->score_field : NULL, vec ? J->field : NULL, J->by, err) != 0)
		return -1;
	C->row++;
	if ((C->set->n & 1023) == 0 && J->progress != NULL)
		J->progress(J->progress_arg, C->set->n);
	return 0;
}

int
nsl_prune_files(const struct nsl_prune_job *J, const char *const *paths,
    size_t npaths, struct nsl_buf *report, struct nsl_err *err)
{
	static const char *const stdin_path[] = { "-" };
	const struct nsl_prune_params *p = &J->p;
	unsigned needs = strategies[p->strategy].needs;
	struct nsl_prune_stats *stats = NULL;
	struct nsl_dataset_vectors V;
	struct nsl_prune_set set;
	struct nsl_spool *spool;
	struct nsl_writer *w;
	struct nsl_rec rec;
	unsigned char *keep = NULL;
	size_t i, f;
	int rc = -1;

	if (npaths == 0) {
		paths = stdin_path;
		npaths = 1;
	}
	if ((spool = nsl_spool_new()) == NULL ||
	    nsl_prune_set_init(&set, J->by != NULL) != 0) {
		nsl_spool_free(spool);
		return oom(err);
	}
	nsl_spool_once(spool);	/* one emit: its copy freed as it goes */
	/*
	 * dedup and the coresets read float32-exact rows as float32, bit for
	 * bit as doubles (nsl_prune_dedup_f32, nsl_coreset_*_f32): half the
	 * bytes.
	 */
	set.f32 = (needs & (NSL_PRUNE_NEEDS_VECTOR |
	    NSL_PRUNE_NEEDS_EMBEDDING)) != 0;
	/* a vector not read here is checked, not converted */
	nsl_rec_init(&rec, (J->allow_nonfinite ? NSL_REC_ALLOW_NONFINITE : 0) |
	    (!(needs & (NSL_PRUNE_NEEDS_VECTOR | NSL_PRUNE_NEEDS_EMBEDDING)) ||
	    J->nvectors > 0 ? NSL_REC_LAZY_ARRAYS : 0));
	memset(&V, 0, sizeof(V));
	if (J->nvectors > 0 && !(needs & (NSL_PRUNE_NEEDS_VECTOR |
	    NSL_PRUNE_NEEDS_EMBEDDING))) {
		nsl_err_set(err, NSL_EX_USAGE, "--vectors: %s reads no vectors",
		    strategies[p->strategy].name);
		goto done;
	}
	if (J->nvectors > 0 && nsl_dataset_vectors_open(&V, J->vectors,
	    J->nvectors, npaths, err) < 0)
		goto done;
	/* one float32 .npy: its rows used where they lie, not copied */
	if (J->nvectors > 0 && set.f32 && (set.xf =
	    nsl_dataset_vectors_take_f32(&V, &set.xf_map,
	    &set.xf_map_len)) != NULL) {
		set.d = V.d;
		set.xcap = (size_t)V.map[0].a.rows * V.d;
	}
	for (f = 0; f < npaths; f++) {
		struct collecting C = { J, &set, &V, f, 0, needs };
		struct nsl_lines L = { NULL, spool };

		if (nsl_spool_open(spool, paths[f], err) ||
		    nsl_batch_each(&L, rec.flags, 0, collect_one, &C, err) ||
		    (J->nvectors > 0 && nsl_dataset_vectors_end(&V, f, C.row,
		    paths[f], err) < 0))
			goto done;
	}
	if (J->progress != NULL)
		J->progress(J->progress_arg, (uint64_t)-1);
	if (nsl_prune_set_finish(&set, err) != 0)
		goto done;
	keep = malloc(set.n + 1);
	stats = calloc(set.ngroups + 1, sizeof(*stats));
	if (keep == NULL || stats == NULL) {
		oom(err);
		goto done;
	}
	if (needs & NSL_PRUNE_STRATA && report != NULL)
		for (i = 0; i < set.ngroups; i++) {
			stats[i].bin_size = calloc(p->strata, sizeof(size_t));
			stats[i].bin_alloc = calloc(p->strata, sizeof(size_t));
			if (stats[i].bin_size == NULL ||
			    stats[i].bin_alloc == NULL) {
				oom(err);
				goto done;
			}
		}
	if ((set.xf != NULL ? nsl_prune_run_f32(p, set.n, set.score,
	    J->by != NULL ? set.group : NULL, set.ngroups, set.names, set.xf,
	    set.d, keep, stats, err) : nsl_prune_run(p, set.n, set.score,
	    J->by != NULL ? set.group : NULL, set.ngroups, set.names, set.x,
	    set.d, keep, stats, err)) != 0)
		goto done;
	if ((w = nsl_writer_open(J->output, err)) == NULL)
		goto done;
	if (nsl_spool_emit(spool, keep, w, err) != 0)
		goto done;
	if (nsl_writer_commit(w, err) != 0) {
		nsl_err_at(err, J->output != NULL ? J->output : "<stdout>", 0);
		goto done;
	}
	if (report != NULL)
		nsl_prune_report(report, J->report_prefix, p, stats,
		    set.n > 0 ? set.ngroups : 0, set.names);
	rc = 0;
done:
	if (stats != NULL)
		for (i = 0; i < set.ngroups; i++) {
			free(stats[i].bin_size);
			free(stats[i].bin_alloc);
		}
	free(stats);
	free(keep);
	nsl_rec_release(&rec);
	nsl_prune_set_release(&set);
	nsl_spool_free(spool);
	nsl_dataset_vectors_close(&V);
	return rc;
}
