/*
 * Unit tests of lib/intdim.c: the estimators against SciPy's reference
 * (tests/fixtures/intdim/dist.json, written by make-ref.py there), their
 * intervals at the large Gamma shapes of real sets, the neighbour
 * distances and duplicate removal worked out by hand, the degenerate
 * inputs, and the estimate record's write/parse round trip.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nsl/intdim.h"
#include "nsl/json.h"
#include "unit.h"

static json_t *
load_fixture(const char *name)
{
	char path[8192], exe[4096];
	const char *tops[] = { "..", "../..", "../../..", "../../../.." };
	ssize_t len;
	json_t *j;
	size_t t;

	snprintf(path, sizeof(path), "tests/fixtures/intdim/%s", name);
	if ((j = json_load_file(path, 0, NULL)) != NULL)
		return j;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
		snprintf(path, sizeof(path), "%s/%s/tests/fixtures/intdim/%s",
		    exe, tops[t], name);
		if ((j = json_load_file(path, 0, NULL)) != NULL)
			return j;
	}
	return NULL;
}

static int
close_rel(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fabs(b);
}

static int
est(const char *name, const double *dist, size_t n, size_t stride,
    size_t k, double discard, double level, struct nsl_intdim_est *e,
    struct nsl_err *err)
{
	const struct nsl_intdim_estimator *E = nsl_intdim_estimator_find(name);
	struct nsl_intdim_params p = { .k = k, .discard = discard,
	    .level = level };

	memset(e, 0, sizeof(*e));
	nsl_err_clear(err);
	return E->estimate(dist, n, stride, &p, e, err);
}

static void
test_reference(void)
{
	json_t *j = load_fixture("dist.json"), *dm, *v;
	static const struct {
		const char *key, *est;
		size_t k;
		double discard, level;
	} cases[] = {
		{ "twonn", "twonn", 2, 0, 0.95 },
		{ "twonn-discard0.34", "twonn", 2, 0.34, 0.95 },
		{ "mle-k4", "mle", 4, 0, 0.95 },
		{ "mle-k3", "mle", 3, 0, 0.5 },
	};
	double dist[6 * 4];
	struct nsl_intdim_est e;
	struct nsl_err err;
	size_t i, t;

	UNIT_CHECK(j != NULL, "the reference dist.json loads");
	if (j == NULL)
		return;
	dm = json_object_get(j, "dist");
	for (i = 0; i < 6; i++)
		for (t = 0; t < 4; t++)
			dist[i * 4 + t] = json_real_value(json_array_get(
			    json_array_get(dm, i), t));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = est(cases[i].est, dist, 6, 4, cases[i].k,
		    cases[i].discard, cases[i].level, &e, &err);

		v = json_object_get(j, cases[i].key);
		UNIT_CHECK(rc == 0 && close_rel(e.d, json_real_value(json_array_get(v, 0)),
		    1e-12) &&
		    close_rel(e.lo, json_real_value(json_array_get(v, 1)),
		    1e-10) &&
		    close_rel(e.hi, json_real_value(json_array_get(v, 2)),
		    1e-10), "%s: d %.17g [%.17g, %.17g] is SciPy's", cases[i].key,
		    e.d, e.lo, e.hi);
	}
	UNIT_CHECK(est("twonn", dist, 6, 4, 2, 0.34, 0.95, &e, &err) == 0 &&
	    e.used == 4 && e.censored == 2, "discard 0.34 of 6 censors "
	    "floor(2.04) = 2 ratios, keeps 4");

	/* Gamma quantiles: ratios e^1 everywhere make the sums integers */
	v = json_object_get(j, "gamma_ppf");
	{
		size_t n = 60000, k = 20, r;
		double *dd = malloc(n * k * sizeof(double));
		int ok2 = 1, ok1 = 1, ok0 = 1, okm = 1;

		for (r = 0; r < n; r++) {
			for (t = 0; t + 1 < k; t++)
				dd[r * k + t] = 1;
			dd[r * k + k - 1] = exp(1);
		}
		/* twonn reads columns 0 and 1 of a stride-2 matrix */
		for (r = 0; r < n; r++) {
			dd[r * 2] = 1;
			dd[r * 2 + 1] = exp(1);
		}
		for (i = 0; i < json_array_size(v); i++) {
			json_t *row = json_array_get(v, i);
			double p = json_real_value(json_array_get(row, 0));
			double a = json_real_value(json_array_get(row, 1));
			double q = json_real_value(json_array_get(row, 2));
			double got, S;

			if (p == 0.5)
				continue;
			if (a == 2.0) {
				est("twonn", dd, 2, 2, 2, 0, 0.95, &e, &err);
				S = 2;
			} else if (a == 60000.0) {
				est("twonn", dd, n, 2, 2, 0, 0.95, &e, &err);
				S = 60000;
			} else if (a == 59999.0) {
				/* one censored: T = 59999 + 1 */
				est("twonn", dd, n, 2, 2, 1.5 / 60000, 0.95, &e,
				    &err);
				S = 60000;
			} else {
				continue;
			}
			got = (p < 0.5 ? e.lo : e.hi) * S;
			if (!close_rel(got, q, 1e-12)) {
				if (a == 2.0)
					ok2 = 0;
				else if (a == 60000.0)
					ok1 = 0;
				else
					ok0 = 0;
			}
		}
		UNIT_CHECK(ok2 && ok1 && ok0, "twonn intervals are Gamma(m, 1) "
		    "quantiles over T at m = 2, 59999 and 60000 (where GSL's "
		    "inverse fails)");
		for (r = 0; r < n; r++) {
			for (t = 0; t + 1 < k; t++)
				dd[r * k + t] = 1;
			dd[r * k + k - 1] = exp(1);
		}
		est("mle", dd, n, k, k, 0, 0.95, &e, &err);
		for (i = 0; i < json_array_size(v); i++) {
			json_t *row = json_array_get(v, i);
			double p = json_real_value(json_array_get(row, 0));
			double a = json_real_value(json_array_get(row, 1));
			double q = json_real_value(json_array_get(row, 2));

			if (a == 1140000.0 && p != 0.5 && !close_rel((p < 0.5 ?
			    e.lo : e.hi) * 1140000.0, q, 1e-12))
				okm = 0;
		}
		UNIT_CHECK(okm && e.d == 1, "mle: d = n (k-1) / U = 1 and the "
		    "interval is Gamma(n (k-1), 1) quantiles over U, n (k-1) = "
		    "1140000");
		free(dd);
	}
	json_decref(j);
}

static void
test_degenerate(void)
{
	double flat[] = { 1, 1, 2, 2, 0.5, 0.5 };
	double zero[] = { 0, 1, 1, 2, 1, 3 };
	double ok[] = { 1, 2, 1, 3, 1, 4 };
	struct nsl_intdim_est e;
	struct nsl_err err;
	int rc;

	UNIT_CHECK(est("twonn", flat, 3, 2, 2, 0, 0.95, &e, &err) == -1 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "r2/r1 = 1"),
	    "twonn refuses ratios that are all 1 (%s)", err.msg);
	UNIT_CHECK(est("mle", flat, 3, 2, 2, 0, 0.95, &e, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "mle refuses equal distances");
	UNIT_CHECK(est("twonn", zero, 3, 2, 2, 0, 0.95, &e, &err) == -1 &&
	    strstr(err.msg, "distance is 0"), "a zero nearest distance is an "
	    "error, not d = 0 (%s)", err.msg);
	UNIT_CHECK(est("twonn", ok, 3, 2, 2, 0.7, 0.95, &e, &err) == -1 &&
	    strstr(err.msg, "leaves 1 ratios (needs 2)") != NULL,
	    "a discard that leaves fewer than 2 ratios is refused (%s)",
	    err.msg);
	/* ln 2 + ln 3 + ln 4 = ln 24; d = (3 - 1) / ln 24 */
	rc = est("twonn", ok, 3, 2, 2, 0, 0.95, &e, &err);
	UNIT_CHECK(rc == 0 && close_rel(e.d, 2 / log(24), 1e-15),
	    "twonn of ratios 2, 3, 4 is 2 / ln 24 (%.17g)", e.d);
}

static void
test_catalogue(void)
{
	const struct nsl_intdim_estimator *e;
	struct nsl_intdim_params p = { .k = 7, .discard = 0, .level = 0.9 };
	size_t n = 0;

	for (e = nsl_intdim_estimators; e->name != NULL; e++, n++)
		UNIT_CHECK(e->description != NULL && e->estimate != NULL &&
		    nsl_intdim_estimator_find(e->name) == e,
		    "row %s has a description, a function and is found by "
		    "name", e->name);
	UNIT_CHECK(n == 2 && nsl_intdim_estimator_find("pca") == NULL,
	    "two estimators; an unknown name is NULL");
	UNIT_CHECK(nsl_intdim_estimator_find("twonn")->neighbours(&p) == 2 &&
	    nsl_intdim_estimator_find("mle")->neighbours(&p) == 7,
	    "twonn needs 2 neighbours, mle --k");
	UNIT_CHECK(nsl_intdim_check(&p) == NULL, "usable parameters pass");
	p.k = 1;
	UNIT_CHECK(nsl_intdim_check(&p) != NULL, "k = 1 is refused");
	p.k = 5;
	p.discard = 1;
	UNIT_CHECK(nsl_intdim_check(&p) != NULL, "discard 1 is refused");
	p.discard = 0;
	p.level = 1;
	UNIT_CHECK(nsl_intdim_check(&p) != NULL, "level 1 is refused");
}

static void
test_neighbours(void)
{
	/* 1-d points 7, 0, 3, 1 (and a 2nd coordinate 0) */
	double x[] = { 7, 0, 0, 0, 3, 0, 1, 0 };
	double want[] = { 4, 6, 1, 3, 2, 3, 1, 2 };
	double dist[8];
	/* rows 1 and 4 equal, row 3 = row 0 with -0 for 0, row 5 new */
	double y[] = { 1, 0, 2, 5, 3, 3, 1, -0.0, 2, 5, 9, 9 };
	size_t keep[6], nkeep = 0, i;
	struct nsl_err err;
	int same = 1;

	nsl_err_clear(&err);
	UNIT_CHECK(nsl_intdim_neighbours(x, 4, 2, 2, dist, &err) == 0,
	    "neighbours of 4 points");
	for (i = 0; i < 8; i++)
		same &= dist[i] == want[i];
	UNIT_CHECK(same, "each row's two nearest distances, ascending: "
	    "7: 4 6, 0: 1 3, 3: 2 3, 1: 1 2");
	UNIT_CHECK(nsl_intdim_neighbours(x, 4, 2, 4, dist, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "k = n is refused");
	same = nsl_intdim_distinct(y, 6, 2, keep, &nkeep, &err);
	UNIT_CHECK(same == 0 && nkeep == 4 && keep[0] == 0 && keep[1] == 1 && keep[2] == 2 &&
	    keep[3] == 5, "distinct rows: the first of each set, in order; "
	    "-0 equals 0 (%zu kept)", nkeep);
}

static void
test_record(void)
{
	struct nsl_intdim_result r, back;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;

	memset(&r, 0, sizeof(r));
	snprintf(r.estimator, sizeof(r.estimator), "mle");
	r.by_field = "label";
	r.by_value = "\"cat\"";
	r.d = 7.123456789012345;
	r.lo = 6.9;
	r.hi = 7.3000000000000007;
	r.level = 0.9;
	r.c = 2;
	r.alpha = 2 / r.d;
	r.alpha_lo = 2 / r.hi;
	r.alpha_hi = 2 / r.lo;
	r.n = 5000;
	r.k = 20;
	r.has_sample = 1;
	r.of = 60000;
	nsl_intdim_write(&r, &b);
	UNIT_CHECK(strncmp(b.data, "{\"estimator\":\"mle\",\"by\":{\"label\":"
	    "\"cat\"},\"d\":7.123456789012345,", 62) == 0 &&
	    strstr(b.data, "\"sample\":0,\"of\":60000}\n") != NULL,
	    "the record: estimator, by, d first; sample and of last (%s)",
	    b.data);
	nsl_rec_init(&rec, 0);
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_intdim_parse(&back, &rec, &err) == 0 && back.d == r.d &&
	    back.lo == r.lo && back.hi == r.hi && back.alpha == r.alpha &&
	    back.alpha_lo == r.alpha_lo && back.alpha_hi == r.alpha_hi &&
	    back.level == 0.9 && back.c == 2 && back.n == 5000 &&
	    strcmp(back.estimator, "mle") == 0,
	    "parse reads back every number bit for bit");
	nsl_rec_release(&rec);
	nsl_rec_init(&rec, 0);
	{
		const char *bad = "{\"d\":2,\"interval\":[1,3],\"alpha\":2,"
		    "\"alpha_interval\":[1,1.5]}";
		const char *missing = "{\"d\":2,\"interval\":[1,3]}";

		UNIT_CHECK(nsl_rec_parse(&rec, bad, strlen(bad), &err) == 0 &&
		    nsl_intdim_parse(&back, &rec, &err) == -1 &&
		    strstr(err.msg, "does not hold"), "an interval that does "
		    "not hold alpha is refused (%s)", err.msg);
		UNIT_CHECK(nsl_rec_parse(&rec, missing, strlen(missing),
		    &err) == 0 && nsl_intdim_parse(&back, &rec, &err) == -1 &&
		    strstr(err.msg, "\"alpha\""), "a missing alpha is named "
		    "(%s)", err.msg);
	}
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
}

/* The command-line lists: estimators, sizes, the --alpha prediction. */
static void
test_lists(void)
{
	struct nsl_intdim_job J;
	struct nsl_regime_job R;
	size_t sizes[2], n = 0;

	memset(&J, 0, sizeof(J));
	UNIT_CHECK(nsl_intdim_estimators_parse(&J, "mle,twonn") == NULL &&
	    J.nest == 2 && J.est[0] == nsl_intdim_estimator_find("mle"),
	    "estimators: a comma list, in order");
	UNIT_CHECK(nsl_intdim_estimators_parse(&J, "pca") != NULL &&
	    strstr(nsl_intdim_estimators_parse(&J, "pca"), "'pca'") != NULL,
	    "estimators: an unknown name is named");
	UNIT_CHECK(nsl_intdim_sizes_parse(sizes, 2, &n, "3,250") == NULL &&
	    n == 2 && sizes[0] == 3 && sizes[1] == 250,
	    "sizes: integers of at least 3");
	n = 0;
	UNIT_CHECK(nsl_intdim_sizes_parse(sizes, 2, &n, "2") != NULL &&
	    nsl_intdim_sizes_parse(sizes, 2, &n, "4.5") != NULL &&
	    nsl_intdim_sizes_parse(sizes, 1, &n, "4,5") != NULL,
	    "sizes: below 3, fractions and too many are refused");
	memset(&R, 0, sizeof(R));
	UNIT_CHECK(nsl_regime_alpha_parse(&R, "0.25,0.2,0.3") == NULL &&
	    R.alpha == 0.25 && R.alpha_lo == 0.2 && R.alpha_hi == 0.3,
	    "alpha: A,LO,HI");
	UNIT_CHECK(nsl_regime_alpha_parse(&R, "0.5") == NULL &&
	    R.alpha_lo == 0.5 && R.alpha_hi == 0.5, "alpha: A alone");
	UNIT_CHECK(nsl_regime_alpha_parse(&R, "0.25,0.3,0.2") != NULL &&
	    nsl_regime_alpha_parse(&R, "0") != NULL &&
	    nsl_regime_alpha_parse(&R, "x") != NULL,
	    "alpha: LO > A, 0 and junk are refused");
}

int
main(void)
{
	test_lists();
	test_catalogue();
	test_reference();
	test_degenerate();
	test_neighbours();
	test_record();
	return unit_done();
}
