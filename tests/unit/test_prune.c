/*
 * test_prune.c - lib/prune.c: counts, the CCS allocation, strata, group
 * budgets, the strategies' choices and the label table.  Expected values
 * are worked out by hand in the comments or checked as properties that
 * follow from the definitions (not from the code).
 */
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include <gsl/gsl_randist.h>

#include "nsl/json.h"
#include "nsl/kmeans.h"
#include "nsl/labels.h"
#include "nsl/prune.h"
#include "nsl/rng.h"
#include "unit.h"

static int
same(const size_t *a, const size_t *b, size_t n)
{
	return memcmp(a, b, n * sizeof(*a)) == 0;
}

static void
test_count(void)
{
	UNIT_CHECK(nsl_prune_count(0.29, 100) == 29,
	    "0.29 of 100 is 29 (0.29 * 100 is 28.999999999999996)");
	UNIT_CHECK(nsl_prune_count(0.5, 7) == 4, "halves round up: 3.5 -> 4");
	UNIT_CHECK(nsl_prune_count(0.4, 7) == 3, "2.8 -> 3");
	UNIT_CHECK(nsl_prune_count(0.1, 5000) == 500, "0.1 of 5000 is 500");
	UNIT_CHECK(nsl_prune_count(0.7, 5000) == 3500, "0.7 of 5000 is 3500");
	UNIT_CHECK(nsl_prune_count(1, 12345) == 12345, "1 keeps all");
	UNIT_CHECK(nsl_prune_count(0.0001, 3) == 0, "tiny fractions give 0");
	UNIT_CHECK(nsl_prune_count(0.5, 0) == 0, "of nothing, nothing");
}

static void
test_ccs_allocate(void)
{
	/* sizes 5 1 10 3, m = 12; smallest first:
	 * 1 (bin 1): min(1, 12/4 = 3) = 1, left 11
	 * 3 (bin 3): min(3, 11/3 = 3) = 3, left 8
	 * 5 (bin 0): min(5, 8/2 = 4) = 4, left 4
	 * 10 (bin 2): min(10, 4/1) = 4, left 0 */
	size_t s1[] = { 5, 1, 10, 3 }, a1[4], w1[] = { 4, 1, 4, 3 };
	/* empty strata take nothing: 0 4 0 4, m = 5: the two empty get
	 * 0, then bin 1 min(4, 5/2 = 2) = 2, bin 3 min(4, 3) = 3 */
	size_t s2[] = { 0, 4, 0, 4 }, a2[4], w2[] = { 0, 2, 0, 3 };
	/* more budget than records: all of them */
	size_t s3[] = { 2, 2 }, a3[2], w3[] = { 2, 2 };
	/* equal sizes: ties to the lower index; 3 3 3, m = 4:
	 * bin 0 min(3, 4/3 = 1) = 1, bin 1 min(3, 3/2 = 1) = 1, bin 2 2 */
	size_t s4[] = { 3, 3, 3 }, a4[3], w4[] = { 1, 1, 2 };
	gsl_rng *rng = nsl_rng_new(1, 0);
	int i, ok = 1;

	UNIT_CHECK(nsl_prune_ccs_allocate(s1, 4, 12, a1) == 12 &&
	    same(a1, w1, 4), "CCS allocation, worked example");
	UNIT_CHECK(nsl_prune_ccs_allocate(s2, 4, 5, a2) == 5 &&
	    same(a2, w2, 4), "CCS allocation with empty strata");
	UNIT_CHECK(nsl_prune_ccs_allocate(s3, 2, 10, a3) == 4 &&
	    same(a3, w3, 2), "CCS allocation: budget beyond the records");
	UNIT_CHECK(nsl_prune_ccs_allocate(s4, 3, 4, a4) == 4 &&
	    same(a4, w4, 3), "CCS allocation: ties to the lower stratum");

	/* Properties of Algorithm 1 on random strata: the total is
	 * min(m, sum); no stratum gives more than it has; the strata not
	 * taken whole get allocations within 1 of each other, and at least
	 * as much as any stratum taken whole has (water filling). */
	for (i = 0; i < (unit_quick() ? 200 : 3000) && ok; i++) {
		size_t K = 1 + gsl_rng_uniform_int(rng, 60), size[60], alloc[60];
		size_t sum = 0, m, k, lo = (size_t)-1, hi = 0, full = 0;

		for (k = 0; k < K; k++) {
			size[k] = gsl_rng_uniform_int(rng, 4) == 0 ? 0 :
			    gsl_rng_uniform_int(rng, 300);
			sum += size[k];
		}
		m = gsl_rng_uniform_int(rng, sum + 50);
		ok = nsl_prune_ccs_allocate(size, K, m, alloc) ==
		    (m < sum ? m : sum);
		for (k = 0; k < K; k++) {
			ok = ok && alloc[k] <= size[k];
			if (alloc[k] < size[k]) {
				lo = alloc[k] < lo ? alloc[k] : lo;
				hi = alloc[k] > hi ? alloc[k] : hi;
			} else if (size[k] > full)
				full = size[k];
		}
		if (hi > 0 || lo != (size_t)-1)
			ok = ok && hi - lo <= 1 && full <= hi;
	}
	UNIT_CHECK(ok, "CCS allocation: total, bounds and water filling on "
	    "random strata (case %d)", i);
	gsl_rng_free(rng);
}

static void
test_bin(void)
{
	UNIT_CHECK(nsl_prune_bin(-1, -1, 1, 4) == 0, "lowest score: stratum 0");
	UNIT_CHECK(nsl_prune_bin(1, -1, 1, 4) == 3,
	    "highest score: the last stratum, not past it");
	UNIT_CHECK(nsl_prune_bin(0, -1, 1, 4) == 2, "0 in [-1, 1] / 4: 2");
	UNIT_CHECK(nsl_prune_bin(-0.5, -1, 1, 4) == 1, "-0.5: stratum 1");
	UNIT_CHECK(nsl_prune_bin(-0.6, -1, 1, 4) == 0, "-0.6: stratum 0");
	UNIT_CHECK(nsl_prune_bin(-3, -3, -2, 5) == 0 &&
	    nsl_prune_bin(-2, -3, -2, 5) == 4, "all-negative scores keep "
	    "both ends (the reference code's max * 1.0001 lost the top)");
	UNIT_CHECK(nsl_prune_bin(7, 7, 7, 50) == 0, "one value: stratum 0");
	UNIT_CHECK(nsl_prune_bin(0, -1e308, 1e308, 4) == 2,
	    "a range wider than DBL_MAX does not overflow");
}

static void
test_budgets(void)
{
	struct nsl_prune_params p;
	struct nsl_err err;
	size_t g1[] = { 3, 4 }, b1[2], w1[] = { 1, 2 };
	size_t g2[] = { 1, 1, 1 }, b2[3], w2[] = { 1, 1, 0 };
	size_t g3[] = { 5000, 5000, 333 }, b3[3], w3[] = { 500, 500, 33 };

	nsl_prune_params_init(&p);
	p.by_count = 1;
	p.keep_count = 3;
	/* shares 9/7 and 12/7: floors 1 1, remainders 2/7 5/7 -> group 1 */
	UNIT_CHECK(nsl_prune_budgets(&p, g1, 2, b1, &err) == 0 &&
	    same(b1, w1, 2), "--keep 3 of groups 3 + 4: 1 and 2");
	p.keep_count = 2;
	UNIT_CHECK(nsl_prune_budgets(&p, g2, 3, b2, &err) == 0 &&
	    same(b2, w2, 3), "equal remainders go to the lower groups");
	p.keep_count = 8;
	UNIT_CHECK(nsl_prune_budgets(&p, g1, 2, b1, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "--keep beyond the total fails");
	p.by_count = 0;
	p.fraction = 0.1;
	UNIT_CHECK(nsl_prune_budgets(&p, g3, 3, b3, &err) == 0 &&
	    same(b3, w3, 3), "fractions per group: round(0.1 * 333) = 33");
	{
		static const size_t gt[2] = { 3, 20000 }, wt[2] = { 1, 2 };
		static const size_t gs[2] = { 1, 3 }, ws[2] = { 0, 1 };
		size_t bt[2];

		p.fraction = 0.0001;
		UNIT_CHECK(nsl_prune_budgets(&p, gt, 2, bt, &err) == 0 &&
		    same(bt, wt, 2), "0.0001 of 3 keeps 1 (round gives 0), of "
		    "20000 round(2) = 2");
		p.strategy = NSL_PRUNE_STRATIFIED;
		p.cutoff = 0.5;
		UNIT_CHECK(nsl_prune_budgets(&p, gs, 2, bt, &err) == 0 &&
		    same(bt, ws, 2), "stratified: a cutoff of 0.5 leaves a group "
		    "of 1 nothing (round(0.5) = 1), so it keeps 0; of 3, 1");
		p.strategy = NSL_PRUNE_HARD;
		p.cutoff = 0;
	}
}

/*
 * No records at all, or groups of none: --keep 0 shares 0 * n_g / 0 (it
 * divided by the total once: SIGFPE); every strategy keeps nothing.
 */
static void
test_empty(void)
{
	static const enum nsl_prune_strategy strat[] = { NSL_PRUNE_HARD,
	    NSL_PRUNE_EASY, NSL_PRUNE_RANDOM, NSL_PRUNE_STRATIFIED,
	    NSL_PRUNE_DEDUP };
	struct nsl_prune_params p;
	struct nsl_prune_stats st[2];
	struct nsl_err err;
	size_t g0[] = { 0, 0 }, b0[] = { 7, 7 }, zero[] = { 0, 0 }, s, c;
	unsigned char keep[1] = { 9 };
	int ok;

	nsl_prune_params_init(&p);
	p.by_count = 1;
	p.keep_count = 0;
	UNIT_CHECK(nsl_prune_budgets(&p, g0, 2, b0, &err) == 0 &&
	    same(b0, zero, 2), "--keep 0 of two empty groups: budgets 0 0");
	p.keep_count = 1;
	UNIT_CHECK(nsl_prune_budgets(&p, g0, 2, b0, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "--keep 1 of no records fails as "
	    "data, not as a division");
	for (s = 0; s < sizeof(strat) / sizeof(*strat); s++)
		for (c = 0; c < 2; c++) {
			nsl_prune_params_init(&p);
			p.strategy = strat[s];
			if (strat[s] == NSL_PRUNE_DEDUP) {
				p.eps = 0.0003;
				p.k = 1;
			} else if (c == 0) {
				p.by_count = 1;
				p.keep_count = 0;
			} else
				p.fraction = 0.5;
			memset(st, 0xff, sizeof(st));
			ok = nsl_prune_run(&p, 0, NULL, NULL, 1, NULL, NULL, 0,
			    keep, st, &err) == 0 && st[0].n == 0 &&
			    st[0].kept == 0;
			UNIT_CHECK(ok, "%s %s of no records keeps nothing",
			    nsl_prune_strategy_name(strat[s]),
			    strat[s] == NSL_PRUNE_DEDUP ? "--eps 0.1" :
			    c == 0 ? "--keep 0" : "--keep-fraction 0.5");
			if (strat[s] == NSL_PRUNE_DEDUP)
				break;
		}
}

/* Select with the given strategy; return the kept flags as a string. */
static const char *
pick(enum nsl_prune_strategy s, const double *score, size_t n, size_t m,
    uint64_t seed, double cutoff, size_t strata)
{
	static char out[64];
	struct nsl_prune_params p;
	struct nsl_err err;
	unsigned char keep[64];
	size_t members[64], i;

	nsl_prune_params_init(&p);
	p.strategy = s;
	p.seed = seed;
	p.cutoff = cutoff;
	p.strata = strata;
	for (i = 0; i < n; i++)
		members[i] = i;
	memset(keep, 0, sizeof(keep));
	if (nsl_prune_select(&p, score, members, n, m, 0, keep, NULL,
	    &err) != 0)
		return "error";
	for (i = 0; i < n; i++)
		out[i] = keep[i] ? '1' : '0';
	out[n] = '\0';
	return out;
}

static void
test_select(void)
{
	double s[] = { 0.5, 2, -1, 2, 3.5, 0, 1 };
	double u[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char a[64];
	int i, n1 = 0;

	UNIT_CHECK(strcmp(pick(NSL_PRUNE_HARD, s, 7, 2, 0, 0, 1),
	    "0100100") == 0, "hard: 3.5 and the earlier 2");
	UNIT_CHECK(strcmp(pick(NSL_PRUNE_HARD, s, 7, 3, 0, 0, 1),
	    "0101100") == 0, "hard: 3.5, 2, 2");
	UNIT_CHECK(strcmp(pick(NSL_PRUNE_EASY, s, 7, 3, 0, 0, 1),
	    "1010010") == 0, "easy: -1, 0, 0.5");
	UNIT_CHECK(strcmp(pick(NSL_PRUNE_EASY, s, 7, 0, 0, 0, 1),
	    "0000000") == 0, "a budget of 0 keeps nothing");
	strcpy(a, pick(NSL_PRUNE_RANDOM, u, 10, 4, 42, 0, 1));
	for (i = 0; a[i]; i++)
		n1 += a[i] == '1';
	UNIT_CHECK(n1 == 4, "random keeps exactly the budget");
	UNIT_CHECK(strcmp(a, pick(NSL_PRUNE_RANDOM, u, 10, 4, 42, 0, 1)) == 0,
	    "random: same seed, same choice");
	/* stratified: cutoff 0.2 drops 9 and 8; 0..7 in 2 strata, 4 each;
	 * budget 8 takes everything left */
	UNIT_CHECK(strcmp(pick(NSL_PRUNE_STRATIFIED, u, 10, 8, 1, 0.2, 2),
	    "1111111100") == 0, "stratified: the cut is never kept");
	UNIT_CHECK(strcmp(pick(NSL_PRUNE_STRATIFIED, u, 10, 9, 1, 0.2, 2),
	    "error") == 0, "stratified: budget beyond the cut fails");
	/* one stratum of 10, budget 3: 3 of them at random */
	strcpy(a, pick(NSL_PRUNE_STRATIFIED, u, 10, 3, 9, 0, 1));
	for (i = 0, n1 = 0; a[i]; i++)
		n1 += a[i] == '1';
	UNIT_CHECK(n1 == 3, "stratified keeps exactly the budget");
}

/*
 * hard and easy keep the m rows that come first by score (descending or
 * ascending), earlier rows first on ties.  Against that rule written
 * out -- row i is kept when fewer than m rows come before it, counted
 * over all pairs -- on random groups of up to 3000 rows with few
 * distinct scores (many ties), every budget's edge cases, and the
 * orders a pivot rule does worst on (sorted, reversed, organ pipe, all
 * equal).
 */
static void
test_select_by_rank(void)
{
	enum { NMAX = 3000 };
	static double score[NMAX];
	static size_t members[NMAX];
	static unsigned char keep[NMAX];
	static size_t rank[NMAX];
	size_t ms[8];
	struct nsl_prune_params p;
	struct nsl_err err;
	uint64_t st = 12345;
	size_t n, m, i, j, t, before, trial, bad = 0, runs = 0;
	int desc, shape;

	for (trial = 0; trial < 240; trial++) {
		shape = (int)(trial % 6);
		n = trial < 12 ? trial * 3 : 1 + nsl_rng_splitmix64(&st) %
		    NMAX;
		for (i = 0; i < n; i++) {
			members[i] = i;
			switch (shape) {
			case 0: score[i] = (double)(nsl_rng_splitmix64(&st) % 7);
				break;
			case 1: score[i] = (double)nsl_rng_splitmix64(&st) /
				    18446744073709551616.0;
				break;
			case 2: score[i] = (double)i; break;
			case 3: score[i] = -(double)i; break;
			case 4: score[i] = (double)(i < n / 2 ? i : n - i); break;
			default: score[i] = 1.5; break;
			}
		}
		for (desc = 0; desc < 2; desc++) {
			/* the rule: the rows that come before row i */
			for (i = 0; i < n; i++) {
				for (before = 0, t = 0; t < n; t++)
					before += score[t] != score[i] ? (desc ?
					    score[t] > score[i] :
					    score[t] < score[i]) : t < i;
				rank[i] = before;
			}
			ms[0] = 0;
			ms[1] = n > 0;
			ms[2] = n / 3;
			ms[3] = n / 2;
			ms[4] = n / 2 + (n > 1);
			ms[5] = n > 0 ? n - 1 : 0;
			ms[6] = n;
			ms[7] = nsl_rng_splitmix64(&st) % (n + 1);

			for (j = 0; j < sizeof(ms) / sizeof(ms[0]); j++) {
				m = ms[j];
				nsl_prune_params_init(&p);
				p.strategy = desc ? NSL_PRUNE_HARD :
				    NSL_PRUNE_EASY;
				memset(keep, 0, n);
				if (nsl_prune_select(&p, score, members, n, m,
				    0, keep, NULL, &err) != 0) {
					if (bad++ < 5)
						printf("# n %zu m %zu: %s\n",
						    n, m, err.msg);
					continue;
				}
				runs++;
				for (i = 0; i < n; i++)
					if ((rank[i] < m) != (keep[i] != 0) &&
					    bad++ < 5)
						printf("# n %zu m %zu shape %d "
						    "desc %d row %zu\n", n, m,
						    shape, desc, i);
			}
		}
	}
	UNIT_CHECK(bad == 0, "hard and easy keep the m first by score, "
	    "earlier rows on ties, in %zu selections (the rank rule)", runs);
}

static void
test_groups(void)
{
	static const char *const lines[] = {
		"{\"l\":\"b\"}", "{\"l\":10}", "{\"l\":2}", "{\"l\":\"a\"}",
		"{\"l\":-0}", "{\"l\":0}", "{\"l\":2.0}", "{\"l\":1e1}",
		"{\"l\":\"b\"}"
	};
	/* first appearance: "b" 0, 10 1, 2 2, "a" 3, -0 4; 0 is -0 (equal
	 * values), 2.0 is 2, 1e1 is 10.  Sorted: 0 2 10 "a" "b" */
	static const long want_id[] = { 0, 1, 2, 3, 4, 4, 2, 1, 0 };
	static const size_t want_rank[] = { 4, 2, 1, 3, 0 };
	static const char *const want_names[] = {
		"0", "2", "10", "\"a\"", "\"b\""
	};
	struct nsl_labels *g = nsl_labels_new();
	struct nsl_rec rec;
	struct nsl_err err;
	size_t rank[5], i;
	int ok = 1;

	nsl_rec_init(&rec, 0);
	for (i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		nsl_rec_parse(&rec, lines[i], strlen(lines[i]), &err);
		ok = ok && nsl_labels_add(g, &rec, "l", &err) ==
		    want_id[i];
	}
	UNIT_CHECK(ok && nsl_labels_count(g) == 5,
	    "labels numbered by first appearance; 2.0 is 2, 1e1 is 10, "
	    "0 is -0");
	UNIT_CHECK(nsl_labels_sort(g, rank, &err) == 0 &&
	    same(rank, want_rank, 5), "ranks: numbers by value, then strings");
	for (i = 0, ok = 1; i < 5; i++)
		ok = ok && strcmp(nsl_labels_names(g)[i],
		    want_names[i]) == 0;
	UNIT_CHECK(ok, "sorted names are the canonical texts");
	UNIT_CHECK(nsl_rec_parse(&rec, "{\"l\":[1]}", 9, &err) == 0 &&
	    nsl_labels_add(g, &rec, "l", &err) == -1 &&
	    strstr(err.msg, "expected a number or a string") != NULL,
	    "an array label is an error naming the field");
	UNIT_CHECK(nsl_rec_parse(&rec, "{\"m\":1}", 7, &err) == 0 &&
	    nsl_labels_add(g, &rec, "l", &err) == -1 &&
	    strcmp(err.msg, "missing field \"l\"") == 0,
	    "a missing label is an error naming the field");
	nsl_rec_release(&rec);
	nsl_labels_free(g);
}

static void
test_params(void)
{
	struct nsl_prune_params p;
	enum nsl_prune_strategy s;
	int i, ok = 1;

	for (i = NSL_PRUNE_HARD; i <= NSL_PRUNE_DEDUP; i++)
		ok = ok && nsl_prune_strategy_parse(
		    nsl_prune_strategy_name((enum nsl_prune_strategy)i), &s) ==
		    0 && (int)s == i;
	UNIT_CHECK(ok && nsl_prune_strategy_parse("hardest", &s) == -1,
	    "strategy names round-trip; unknown names fail");
	nsl_prune_params_init(&p);
	UNIT_CHECK(nsl_prune_check(&p) == NULL, "defaults are valid");
	p.fraction = 0;
	UNIT_CHECK(nsl_prune_check(&p) != NULL, "fraction 0 is refused");
	p.fraction = 0.8;
	p.strategy = NSL_PRUNE_STRATIFIED;
	p.cutoff = 0.3;
	UNIT_CHECK(nsl_prune_check(&p) != NULL, "fraction + cutoff > 1");
	p.strategy = NSL_PRUNE_DEDUP;
	UNIT_CHECK(nsl_prune_check(&p) != NULL, "dedup needs eps and k");
	p.eps = 0.0003;
	p.k = 3;
	UNIT_CHECK(nsl_prune_check(&p) == NULL, "dedup with eps and k");
}

static void
test_set_report(void)
{
	static const char *const lines[] = {
		"{\"s\":0.1,\"c\":\"x\",\"v\":[1,0]}",
		"{\"s\":-2,\"c\":1,\"v\":[0,1]}",
		"{\"s\":3,\"c\":\"x\",\"v\":[1,1]}",
		"{\"s\":1,\"c\":1,\"v\":[1]}"
	};
	struct nsl_prune_params p;
	struct nsl_prune_stats st[2];
	struct nsl_prune_set set;
	struct nsl_buf out = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;
	size_t i;
	int ok = 1;

	nsl_rec_init(&rec, 0);
	nsl_prune_set_init(&set, 1);
	for (i = 0; i < 3; i++) {
		nsl_rec_parse(&rec, lines[i], strlen(lines[i]), &err);
		ok = ok && nsl_prune_set_add(&set, &rec, "s", "v", "c",
		    &err) == 0;
	}
	ok = ok && nsl_prune_set_finish(&set, &err) == 0;
	/* labels "x" (first seen) and 1: sorted 1 then "x" */
	UNIT_CHECK(ok && set.n == 3 && set.d == 2 && set.ngroups == 2 &&
	    set.group[0] == 1 && set.group[1] == 0 && set.group[2] == 1 &&
	    set.score[1] == -2 && set.x[5] == 1 &&
	    strcmp(set.names[1], "\"x\"") == 0,
	    "a record set: scores, vectors, groups by rank");
	UNIT_CHECK(nsl_rec_parse(&rec, lines[3], strlen(lines[3]), &err) == 0 &&
	    nsl_prune_set_add(&set, &rec, "s", "v", "c", &err) == -1 &&
	    strstr(err.msg, "1 numbers, expected 2") != NULL,
	    "vectors of another length are an error");
	nsl_prune_params_init(&p);
	memset(st, 0, sizeof(st));
	st[0].n = 1;
	st[1].n = 2;
	st[1].kept = 2;
	st[1].kept_lo = 0.1;
	st[1].kept_hi = 3;
	nsl_prune_report(&out, "p: ", &p, st, 2, set.names);
	UNIT_CHECK(out.data != NULL && strcmp(out.data, "p: group 1: kept 0 "
	    "of 1\np: group \"x\": kept 2 of 2, score 0.1 to 3\n") == 0,
	    "report lines: counts and the shortest score texts");
	nsl_buf_release(&out);
	nsl_prune_set_release(&set);
	nsl_rec_release(&rec);
}

/*
 * Float32 rows against their doubles.  The data: 900 rows of d = 16 in
 * 30 tight bundles (a direction plus noise of 1/50), each row scaled by
 * 1, 2^70 or 2^-70 (cosines do not change) and rounded to float32, row 0
 * zero.  Every float32 number is exactly a double, so the float calls
 * must keep exactly what the double calls keep on the widened rows: the
 * same k-means, the same unit rows, the same choices.  A dedup that
 * keeps all or none could not tell paths apart, so that is checked too.
 */
#define F32_N 900
#define F32_D 16

static void
f32_rows(float *xf, double *x)
{
	static const double scale[] = { 1, 0x1p70, 0x1p-70 };
	double dir[30][F32_D];
	gsl_rng *rng = nsl_rng_new(7, 0);
	size_t i, t;

	for (i = 0; i < 30; i++)
		for (t = 0; t < F32_D; t++)
			dir[i][t] = gsl_ran_gaussian(rng, 1);
	for (i = 0; i < F32_N; i++)
		for (t = 0; t < F32_D; t++) {
			xf[i * F32_D + t] = i == 0 ? 0 : (float)((dir[i % 30][t] +
			    gsl_ran_gaussian(rng, 0.02)) * scale[i % 3]);
			x[i * F32_D + t] = (double)xf[i * F32_D + t];
		}
	gsl_rng_free(rng);
}

/*
 * Dedup's clusters are shared out among threads; what it keeps must not
 * depend on how many.  The reference is dedup's rule written out
 * directly: each unit row to its nearest centre (squared distance, ties
 * to the lower centre), each cluster's rows farthest from its centre
 * first (ties in input order), a row kept unless a row kept before it in
 * its cluster lies within squared distance 2 eps.
 */
struct ref_row {
	size_t i, c;
	double dist;
};

static int
cmp_ref_row(const void *pa, const void *pb)
{
	const struct ref_row *a = pa, *b = pb;

	if (a->c != b->c)
		return a->c < b->c ? -1 : 1;
	if (a->dist != b->dist)
		return a->dist > b->dist ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static double
ref_sqdist(const double *a, const double *b, size_t d)
{
	double s = 0;
	size_t t;

	for (t = 0; t < d; t++)
		s += (a[t] - b[t]) * (a[t] - b[t]);
	return s;
}

static size_t
ref_dedup(const double *x, size_t n, size_t d, const double *cent,
    size_t k, double eps, unsigned char *keep)
{
	struct ref_row *r = malloc(n * sizeof(*r));
	size_t i, j, c, nk = 0;

	for (i = 0; i < n; i++) {
		r[i].i = i;
		r[i].c = 0;
		r[i].dist = ref_sqdist(x + i * d, cent, d);
		for (c = 1; c < k; c++) {
			double e = ref_sqdist(x + i * d, cent + c * d, d);

			if (e < r[i].dist) {
				r[i].dist = e;
				r[i].c = c;
			}
		}
	}
	qsort(r, n, sizeof(*r), cmp_ref_row);
	memset(keep, 0, n);
	for (i = 0; i < n; i++) {
		int drop = 0;

		for (j = i; j-- > 0 && r[j].c == r[i].c && !drop;)
			drop = keep[r[j].i] &&
			    ref_sqdist(x + r[i].i * d, x + r[j].i * d, d) <
			    2 * eps;
		if (!drop) {
			keep[r[i].i] = 1;
			nk++;
		}
	}
	free(r);
	return nk;
}

static void
test_dedup_threads(void)
{
	static const int threads[] = { 1, 2, 3, 8 };
	struct nsl_prune_params p;
	struct nsl_prune_stats st;
	struct nsl_err err;
	float *xf = malloc(F32_N * F32_D * sizeof(*xf));
	double *x = malloc(F32_N * F32_D * sizeof(*x));
	double cent[12 * F32_D];
	unsigned char want[F32_N], got[F32_N];
	size_t members[F32_N], i, nwant;
	int t, before = omp_get_max_threads();

	f32_rows(xf, x);
	nsl_vec_normalize_rows(x, F32_N, F32_D);
	for (i = 0; i < F32_N; i++)
		members[i] = i;
	/* 12 centres: rows of 12 of the 30 bundles, so clusters of
	 * unequal sizes (bundles go to the nearest of them) */
	for (i = 0; i < 12; i++)
		memcpy(cent + i * F32_D, x + (31 + 2 * i) * F32_D,
		    F32_D * sizeof(*x));
	nsl_prune_params_init(&p);
	p.strategy = NSL_PRUNE_DEDUP;
	p.k = 12;
	p.eps = 0.0003;
	nwant = ref_dedup(x, F32_N, F32_D, cent, 12, p.eps, want);
	for (t = 0; t < (int)(sizeof(threads) / sizeof(*threads)); t++) {
		int ok;

		omp_set_num_threads(threads[t]);
		memset(got, 0, sizeof(got));
		ok = nsl_prune_dedup_assigned(&p, x, F32_D, members, F32_N,
		    cent, 12, got, &st, &err) == 0;
		UNIT_CHECK(ok && st.kept == nwant &&
		    memcmp(got, want, F32_N) == 0 && nwant > 100 &&
		    nwant < 800, "dedup with %d threads keeps the reference's "
		    "%zu of %d rows", threads[t], nwant, F32_N);
	}
	omp_set_num_threads(before);
	free(xf);
	free(x);
}

static void
test_dedup_f32(void)
{
	static const enum nsl_prune_strategy strat[] = {
		NSL_PRUNE_DEDUP, NSL_PRUNE_KCENTER, NSL_PRUNE_HERDING,
		NSL_PRUNE_FACILITY
	};
	struct nsl_prune_params p;
	struct nsl_prune_stats sd, sf, gd[3], gf[3];
	struct nsl_prune_set set;
	struct nsl_err err;
	float *xf = malloc(F32_N * F32_D * sizeof(*xf));
	double *x = malloc(F32_N * F32_D * sizeof(*x));
	double *xc = malloc(F32_N * F32_D * sizeof(*xc));
	double div[F32_N], buf[F32_D], cent[5 * F32_D], v[F32_D];
	unsigned char kd[F32_N], kf[F32_N];
	size_t members[F32_N], group[F32_N], i, s, nkept = 0;
	int ok, same_rows;

	f32_rows(xf, x);
	for (i = 0; i < F32_N; i++) {
		members[i] = i;
		group[i] = i % 7 % 3;
	}
	nsl_prune_params_init(&p);
	p.strategy = NSL_PRUNE_DEDUP;
	p.k = 6;
	p.eps = 0.0003;
	p.max_iter = 100;
	p.seed = 11;
	memcpy(xc, x, F32_N * F32_D * sizeof(*x));
	memset(kd, 0, sizeof(kd));
	memset(kf, 0, sizeof(kf));
	ok = nsl_prune_dedup(&p, xc, F32_D, members, F32_N, 3, kd, &sd,
	    &err) == 0 && nsl_prune_dedup_f32(&p, xf, F32_D, members, F32_N,
	    3, kf, &sf, &err) == 0;
	for (i = 0; i < F32_N; i++)
		nkept += kd[i];
	UNIT_CHECK(ok && sd.kept == sf.kept && sd.kept == nkept &&
	    memcmp(kd, kf, F32_N) == 0 && nkept > 100 && nkept < 800,
	    "dedup: float32 rows keep what their doubles keep (%zu of %d)",
	    nkept, F32_N);

	/* the plan's path: given centres, unit rows by divisors */
	for (i = 0; i < 5; i++)
		memcpy(cent + i * F32_D, xc + (40 + 7 * i) * F32_D,
		    sizeof(v));
	nsl_kmeans_unit_divisors(xf, F32_N, F32_D, div, buf);
	for (i = 0, same_rows = 1; i < F32_N; i++) {
		size_t t;

		for (t = 0; t < F32_D; t++)
			same_rows = same_rows && (double)xf[i * F32_D + t] /
			    div[i] == xc[i * F32_D + t];
	}
	UNIT_CHECK(same_rows, "the divisors give the very unit rows "
	    "nsl_vec_normalize_rows makes (scales 2^70, 2^-70, a zero row)");
	memset(kd, 0, sizeof(kd));
	memset(kf, 0, sizeof(kf));
	ok = nsl_prune_dedup_assigned(&p, xc, F32_D, members, F32_N, cent, 5,
	    kd, &sd, &err) == 0 && nsl_prune_dedup_assigned_f32(&p, xf, div,
	    F32_D, members, F32_N, cent, 5, kf, &sf, &err) == 0;
	UNIT_CHECK(ok && sd.kept == sf.kept && memcmp(kd, kf, F32_N) == 0 &&
	    sd.kept > 0 && sd.kept < F32_N,
	    "dedup on given centres: float32 rows keep what doubles keep");

	/* whole runs in 3 groups: dedup, and the coresets on float32 rows */
	for (s = 0; s < sizeof(strat) / sizeof(*strat); s++) {
		p.strategy = strat[s];
		p.fraction = 0.2;
		memcpy(xc, x, F32_N * F32_D * sizeof(*x));
		ok = nsl_prune_run(&p, F32_N, NULL, group, 3, NULL, xc, F32_D,
		    kd, gd, &err) == 0 && nsl_prune_run_f32(&p, F32_N, NULL,
		    group, 3, NULL, xf, F32_D, kf, gf, &err) == 0;
		for (i = 0; i < 3; i++)
			ok = ok && gd[i].kept == gf[i].kept;
		UNIT_CHECK(ok && memcmp(kd, kf, F32_N) == 0 && gd[0].kept > 0 &&
		    gd[0].kept < gd[0].n, "%s in 3 groups: float32 rows keep "
		    "what doubles keep", nsl_prune_strategy_name(strat[s]));
	}

	/* the set: float32 while exact, doubles from the first that is not */
	nsl_prune_set_init(&set, 0);
	set.f32 = 1;
	for (i = 0, ok = 1; i < 3000; i++)
		ok = ok && nsl_prune_set_add_row(&set, x + i % F32_N * F32_D,
		    F32_D, &err) == 0 && ++set.n;
	UNIT_CHECK(ok && set.xf != NULL && set.x == NULL &&
	    memcmp(set.xf + 2999 * F32_D, xf + 299 * F32_D,
	    F32_D * sizeof(*xf)) == 0,
	    "a set of float32-exact rows holds them as float32");
	memcpy(v, x + 5 * F32_D, sizeof(v));
	v[3] = 0.1;	/* not a float32 */
	ok = nsl_prune_set_add_row(&set, v, F32_D, &err) == 0 && ++set.n;
	for (i = 0, same_rows = 1; i < 3000 * F32_D; i++)
		same_rows = same_rows && set.x[i] == x[i % (F32_N * F32_D)];
	UNIT_CHECK(ok && set.xf == NULL && set.x != NULL && set.f32 == 0 &&
	    same_rows && memcmp(set.x + 3000 * F32_D, v, sizeof(v)) == 0,
	    "at 0.1 the set turns to doubles, every earlier row kept");
	nsl_prune_set_release(&set);
	free(xf);
	free(x);
	free(xc);
}

/* Every row of the catalogue parses back to itself, is described, and
 * has a selection exactly when it has a budget (every row but dedup,
 * which reads vectors and keeps what its eps leaves); each reads scores
 * or vectors, or draws (random reads nothing). */
static void
test_catalogue(void)
{
	const struct nsl_prune_strategy_def *s;
	enum nsl_prune_strategy e;
	int i, good = 1;

	for (i = 0; (s = nsl_prune_strategy_get(i)) != NULL; i++)
		if (nsl_prune_strategy_parse(s->name, &e) != 0 || (int)e != i ||
		    s->help == NULL || strcmp(nsl_prune_strategy_name(e),
		    s->name) != 0 || (s->select != NULL) !=
		    !(s->needs & NSL_PRUNE_NEEDS_VECTOR) ||
		    !(s->needs & (NSL_PRUNE_NEEDS_SCORE | NSL_PRUNE_NEEDS_VECTOR |
		    NSL_PRUNE_NEEDS_EMBEDDING | NSL_PRUNE_DRAWS)))
			good = 0;
	UNIT_CHECK(good && i == NSL_PRUNE_FACILITY_STOCHASTIC + 1 &&
	    nsl_prune_strategy_get(-1) == NULL,
	    "catalogue: %d rows, each named, described, with its inputs", i);
	UNIT_CHECK(nsl_prune_strategy_parse("best", &e) == -1,
	    "catalogue: an unknown name is refused");
}

int
main(void)
{
	test_count();
	test_ccs_allocate();
	test_bin();
	test_budgets();
	test_empty();
	test_select();
	test_select_by_rank();
	test_groups();
	test_params();
	test_set_report();
	test_dedup_f32();
	test_dedup_threads();
	test_catalogue();
	return unit_done();
}
