/*
 * fuzz_prune.c - libFuzzer target of nsl-prune's options and records
 * (see fuzz.h for the input and the common checks).
 *
 * The options are mapped as tools/nsl-prune.c maps them; the records go
 * through nsl_prune_set_add/_finish and nsl_prune_run.  Invariants
 * checked: keep[] flags are 0 or 1; the stats agree with them; every
 * strategy but dedup keeps exactly its budget -- --keep N in all, or per
 * group round(F n_g), at least one of a non-empty group unless a
 * stratified cutoff leaves it none; hard keeps no score below one it
 * drops in the same group, easy none above; the --report text is built.
 */
#include <math.h>

#include "fuzz.h"
#include "nsl/buf.h"
#include "nsl/prune.h"

static void
fuzz_prune(const uint8_t *data, size_t size)
{
	struct nsl_prune_params p;
	struct nsl_prune_stats *st = NULL;
	struct nsl_prune_set set;
	struct nsl_buf text = NSL_BUF_INIT;
	struct nsl_reader *r = NULL;
	struct nsl_rec rec;
	struct nsl_err err;
	struct fz z;
	const char *score_field = "score", *by = NULL, *field = "embedding";
	const char *v;
	unsigned char *keep = NULL;
	size_t *gsize = NULL, *gkept = NULL, i, g, total = 0;
	int have_keep = 0, set_ok = 0, nonfinite = 0, rc;
	double d;

	if (fz_open(&z, data, size) != 0)
		return;
	nsl_prune_params_init(&p);
	nsl_err_clear(&err);
	for (i = 0; i < (size_t)z.argc; i++) {
		int k = (int)i;

		if ((v = fz_val(&z, &k, "--strategy")) != NULL) {
			if (nsl_prune_strategy_parse(v, &p.strategy) != 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--keep-fraction")) != NULL) {
			if (fz_num(v, -HUGE_VAL, HUGE_VAL, &p.fraction) != 0 ||
			    !(p.fraction > 0 && p.fraction <= 1))
				goto out;
			p.by_count = 0;
			have_keep++;
		} else if ((v = fz_val(&z, &k, "--keep")) != NULL) {
			if (fz_num(v, 0, 1e6, &d) != 0 || d != floor(d))
				goto out;
			p.keep_count = (uint64_t)d;
			p.by_count = 1;
			have_keep++;
		} else if ((v = fz_val(&z, &k, "--cutoff")) != NULL) {
			if (fz_num(v, 0, 1, &p.cutoff) != 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--strata")) != NULL) {
			if (fz_num(v, 1, 1000, &d) != 0 || d != floor(d))
				goto out;
			p.strata = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--eps")) != NULL) {
			if (fz_num(v, 0, 2, &p.eps) != 0)
				goto out;
		} else if ((v = fz_val(&z, &k, "--k")) != NULL) {
			if (fz_num(v, 1, 64, &d) != 0 || d != floor(d))
				goto out;
			p.k = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--iters")) != NULL) {
			if (fz_num(v, 1, 50, &d) != 0 || d != floor(d))
				goto out;
			p.max_iter = (int)d;
		} else if ((v = fz_val(&z, &k, "--seed")) != NULL) {
			if (fz_num(v, 0, 1e15, &d) != 0 || d != floor(d))
				goto out;
			p.seed = (uint64_t)d;
		} else if ((v = fz_val(&z, &k, "--by")) != NULL) {
			by = v;
		} else if ((v = fz_val(&z, &k, "--score-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			score_field = v;
		} else if ((v = fz_val(&z, &k, "--field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			field = v;
		} else if (strcmp(z.argv[i], "--allow-nonfinite") == 0) {
			nonfinite = 1;
		} else
			goto out;	/* an unknown option: usage error */
		i = (size_t)k;
	}
	/* the writers' check, as the tool's option parsing sets it */
	nsl_json_allow_nonfinite(nonfinite);
	/* the tool's checks (tools/nsl-prune.c) */
	if (p.strategy == NSL_PRUNE_DEDUP && have_keep)
		goto out;
	if (p.strategy != NSL_PRUNE_DEDUP && have_keep != 1)
		goto out;
	if (nsl_prune_check(&p) != NULL)
		goto out;

	if (nsl_prune_set_init(&set, by != NULL) != 0)
		FUZZ_FAIL("prune: out of memory");
	set_ok = 1;
	if ((r = nsl_reader_open(z.in, &err)) == NULL)
		FUZZ_FAIL("prune: cannot open %s: %s", z.in, err.msg);
	nsl_rec_init(&rec, nonfinite ? NSL_REC_ALLOW_NONFINITE : 0);
	while ((rc = nsl_rec_read(r, &rec, &err)) == 1)
		if (nsl_prune_set_add(&set, &rec, p.strategy == NSL_PRUNE_DEDUP ?
		    NULL : score_field, p.strategy == NSL_PRUNE_DEDUP ? field :
		    NULL, by, &err) != 0) {
			rc = -1;
			break;
		}
	nsl_rec_release(&rec);
	if (rc < 0) {
		fz_err(&err, "prune: reading");
		goto out;
	}
	if (nsl_prune_set_finish(&set, &err) != 0) {
		fz_err(&err, "prune: groups");
		goto out;
	}
	keep = calloc(set.n + 1, 1);
	st = calloc(set.ngroups + 1, sizeof(*st));
	gsize = calloc(set.ngroups + 1, sizeof(*gsize));
	gkept = calloc(set.ngroups + 1, sizeof(*gkept));
	if (keep == NULL || st == NULL || gsize == NULL || gkept == NULL)
		FUZZ_FAIL("prune: out of memory");
	if (nsl_prune_run(&p, set.n, set.score, by != NULL ? set.group : NULL,
	    set.ngroups, set.names, set.x, set.d, keep, st, &err) != 0) {
		fz_err(&err, "prune: run");
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		g = by != NULL ? set.group[i] : 0;
		if (keep[i] > 1)
			FUZZ_FAIL("prune: keep[%zu] = %d", i, keep[i]);
		gsize[g]++;
		gkept[g] += keep[i];
		total += keep[i];
	}
	for (g = 0; g < set.ngroups; g++) {
		size_t want;

		if (st[g].kept != gkept[g] || st[g].n != gsize[g])
			FUZZ_FAIL("prune: group %zu: stats say %zu of %zu, flags "
			    "%zu of %zu", g, st[g].kept, st[g].n, gkept[g],
			    gsize[g]);
		if (p.strategy == NSL_PRUNE_DEDUP || p.by_count)
			continue;
		want = (size_t)nsl_prune_count(p.fraction, gsize[g]);
		if (want == 0 && gsize[g] > 0 &&
		    (p.strategy != NSL_PRUNE_STRATIFIED ||
		    nsl_prune_count(p.cutoff, gsize[g]) < gsize[g]))
			want = 1;
		if (gkept[g] != want)
			FUZZ_FAIL("prune: group %zu keeps %zu of %zu, not %zu "
			    "(fraction %.17g)", g, gkept[g], gsize[g], want,
			    p.fraction);
	}
	if (p.strategy != NSL_PRUNE_DEDUP && p.by_count &&
	    total != p.keep_count)
		FUZZ_FAIL("prune: --keep %llu kept %zu",
		    (unsigned long long)p.keep_count, total);
	if (p.strategy == NSL_PRUNE_HARD || p.strategy == NSL_PRUNE_EASY) {
		for (g = 0; g < set.ngroups; g++) {
			double lo = INFINITY, hi = -INFINITY;
			double dlo = INFINITY, dhi = -INFINITY;

			for (i = 0; i < set.n; i++) {
				if ((by != NULL ? set.group[i] : 0) != g)
					continue;
				if (keep[i]) {
					lo = fmin(lo, set.score[i]);
					hi = fmax(hi, set.score[i]);
				} else {
					dlo = fmin(dlo, set.score[i]);
					dhi = fmax(dhi, set.score[i]);
				}
			}
			if (p.strategy == NSL_PRUNE_HARD && lo < dhi)
				FUZZ_FAIL("prune: hard kept %g but dropped %g",
				    lo, dhi);
			if (p.strategy == NSL_PRUNE_EASY && hi > dlo)
				FUZZ_FAIL("prune: easy kept %g but dropped %g",
				    hi, dlo);
		}
	}
	nsl_prune_report(&text, "nsl-prune: ", &p, st, set.n > 0 ?
	    set.ngroups : 0, set.names);
out:
	if (r != NULL)
		nsl_reader_close(r);
	if (set_ok)
		nsl_prune_set_release(&set);
	nsl_buf_release(&text);
	free(keep);
	free(st);
	free(gsize);
	free(gkept);
	fz_close(&z);
}

#ifndef FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_prune(data, size);
	return 0;
}
#endif
