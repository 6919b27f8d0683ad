/*
 * test_coreset_f32.c - the coresets on float32 rows choose what they
 * choose on the same rows widened to double, row for row and in the same
 * order: k-center, herding, facility location (lazy greedy, stochastic
 * greedy; similarities stored and computed on the fly), directly and
 * through nsl_prune_run_f32 with and without groups.
 *
 * Every float32 number is exactly a double, so the two paths read the
 * same numbers; a selection that differs anywhere (a sum in another
 * order, a unit row divided otherwise, a copy rounded) fails here.  The
 * data hold what makes choices fragile: exact ties (small integers,
 * duplicate rows, which the lowest row number must win), a zero row, and
 * rows scaled by 2^60 and 2^-60 (the same directions, other norms).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nsl/coreset.h"
#include "nsl/prune.h"
#include "nsl/rng.h"
#include "unit.h"

enum kind { GAUSS, TIES };

/* n x d rows as float32 and their doubles; see the file's comment. */
static void
rows(enum kind kind, size_t n, size_t d, uint64_t seed, float *xf,
    double *x)
{
	static const double scale[] = { 1, 0x1p60, 0x1p-60 };
	gsl_rng *rng = nsl_rng_new(seed, 0);
	size_t i, t;

	for (i = 0; i < n; i++)
		for (t = 0; t < d; t++) {
			double v;

			if (kind == TIES)	/* integers 0..3: many ties */
				v = (double)gsl_rng_uniform_int(rng, 4);
			else
				v = gsl_ran_gaussian(rng, 1) * scale[i % 3];
			xf[i * d + t] = (float)v;
		}
	if (n > 4) {
		/* a zero row and two duplicates of row 1 */
		memset(xf + 2 * d, 0, d * sizeof(*xf));
		memcpy(xf + 3 * d, xf + d, d * sizeof(*xf));
		memcpy(xf + (n - 1) * d, xf + d, d * sizeof(*xf));
	}
	for (i = 0; i < n * d; i++)
		x[i] = (double)xf[i];
	gsl_rng_free(rng);
}

/* 1 when sel[0..m) is not 0, 1, ..., m - 1: the choice did something */
static int
reordered(const size_t *sel, size_t m)
{
	size_t j;

	for (j = 0; j < m; j++)
		if (sel[j] != j)
			return 1;
	return m < 2;
}

static void
direct(enum kind kind, size_t n, size_t d, size_t m)
{
	float *xf = malloc(n * d * sizeof(*xf) + 1);
	double *x = malloc(n * d * sizeof(*x) + 1);
	size_t *sd = malloc(m * sizeof(*sd) + 1), *sf = malloc(m *
	    sizeof(*sf) + 1), sample;
	const char *what = kind == TIES ? "ties" : "gaussian";
	struct nsl_err err;
	gsl_rng *r1, *r2;
	int ok;

	rows(kind, n, d, n * 31 + d, xf, x);
	ok = nsl_coreset_kcenter(x, n, d, m, n / 2, sd, &err) == 0 &&
	    nsl_coreset_kcenter_f32(xf, n, d, m, n / 2, sf, &err) == 0;
	UNIT_CHECK(ok && memcmp(sd, sf, m * sizeof(*sd)) == 0 &&
	    reordered(sd, m), "k-center, %s %zu x %zu, %zu rows: float32 "
	    "chooses as double", what, n, d, m);
	ok = nsl_coreset_herding(x, n, d, m, sd, &err) == 0 &&
	    nsl_coreset_herding_f32(xf, n, d, m, sf, &err) == 0;
	UNIT_CHECK(ok && memcmp(sd, sf, m * sizeof(*sd)) == 0 &&
	    reordered(sd, m), "herding, %s %zu x %zu, %zu rows: float32 "
	    "chooses as double", what, n, d, m);
	ok = nsl_coreset_facility(x, n, d, m, 0, NULL, sd, &err) == 0 &&
	    nsl_coreset_facility_f32(xf, n, d, m, 0, NULL, sf, &err) == 0;
	UNIT_CHECK(ok && memcmp(sd, sf, m * sizeof(*sd)) == 0 &&
	    reordered(sd, m), "facility (lazy), %s %zu x %zu, %zu rows%s: "
	    "float32 chooses as double", what, n, d, m,
	    n > 5792 ? ", similarities on the fly" : "");
	/* at most 64 candidates a step: the big set in a fraction of a second */
	if ((sample = nsl_coreset_sample_size(n, m, 0.01)) > 64)
		sample = 64;
	r1 = nsl_rng_new(5, 1);
	r2 = nsl_rng_new(5, 1);
	ok = nsl_coreset_facility(x, n, d, m, sample, r1, sd, &err) == 0 &&
	    nsl_coreset_facility_f32(xf, n, d, m, sample, r2, sf, &err) == 0;
	UNIT_CHECK(ok && memcmp(sd, sf, m * sizeof(*sd)) == 0 &&
	    reordered(sd, m), "facility (stochastic), %s %zu x %zu, %zu "
	    "rows: float32 chooses as double", what, n, d, m);
	gsl_rng_free(r1);
	gsl_rng_free(r2);
	free(xf);
	free(x);
	free(sd);
	free(sf);
}

/* whole runs: one group and 4 groups, each coreset strategy */
static void
runs(void)
{
	static const enum nsl_prune_strategy strat[] = {
		NSL_PRUNE_KCENTER, NSL_PRUNE_HERDING, NSL_PRUNE_FACILITY,
		NSL_PRUNE_FACILITY_STOCHASTIC
	};
	enum { N = 600, D = 12 };
	float *xf = malloc(N * D * sizeof(*xf));
	double *x = malloc(N * D * sizeof(*x));
	struct nsl_prune_stats gd[4], gf[4];
	struct nsl_prune_params p;
	struct nsl_err err;
	unsigned char kd[N], kf[N];
	size_t group[N], i, s, ng, nkept;
	int ok;

	rows(GAUSS, N, D, 3, xf, x);
	for (i = 0; i < N; i++)
		group[i] = (i * 7 + i / 5) % 4;
	nsl_prune_params_init(&p);
	p.fraction = 0.3;
	p.seed = 17;
	for (s = 0; s < sizeof(strat) / sizeof(*strat); s++)
		for (ng = 1; ng <= 4; ng += 3) {
			p.strategy = strat[s];
			ok = nsl_prune_run(&p, N, NULL, ng > 1 ? group : NULL,
			    ng, NULL, x, D, kd, gd, &err) == 0 &&
			    nsl_prune_run_f32(&p, N, NULL, ng > 1 ? group :
			    NULL, ng, NULL, xf, D, kf, gf, &err) == 0;
			for (i = 0, nkept = 0; i < N; i++)
				nkept += kd[i];
			for (i = 0; i < ng; i++)
				ok = ok && gd[i].kept == gf[i].kept;
			UNIT_CHECK(ok && memcmp(kd, kf, N) == 0 &&
			    nkept == 180, "%s, %zu group%s: float32 rows keep "
			    "what their doubles keep (%zu of %d)",
			    nsl_prune_strategy_name(strat[s]), ng,
			    ng > 1 ? "s" : "", nkept, N);
		}
	free(xf);
	free(x);
}

int
main(void)
{
	direct(GAUSS, 1, 1, 1);
	direct(GAUSS, 9, 1, 9);
	direct(TIES, 9, 1, 9);
	direct(GAUSS, 120, 3, 40);
	direct(TIES, 200, 5, 200);
	direct(GAUSS, 257, 33, 60);
	direct(TIES, 300, 16, 150);
	/* past NSL_CORESET_SIM_BYTES: gains computed on the fly */
	direct(GAUSS, 5800, 2, 8);
	runs();
	return unit_done();
}
