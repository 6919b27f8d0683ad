/*
 * test_synth.c - lib/synth: the teacher and probe geometry, the
 * independence of the draws from n, --test, threads and blocks, the
 * distributions (moments within a few standard errors), the label-noise
 * rate, the mixture's simplex means and largest-remainder class sizes.
 * Expected values are closed forms or worked by hand in the comments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "nsl/io.h"
#include "nsl/synth.h"
#include "nsl/vec.h"
#include "unit.h"

static void
ts(struct nsl_synth *s, uint64_t n, size_t dim, uint64_t seed)
{
	nsl_synth_init(s);
	s->model = NSL_SYNTH_TEACHER_STUDENT;
	s->n = n;
	s->dim = dim;
	s->seed = seed;
}

static void
rows_alloc(struct nsl_synth_rows *r, size_t dim)
{
	r->x = malloc(NSL_SYNTH_BLOCK * dim * sizeof(double));
	r->label = malloc(NSL_SYNTH_BLOCK * sizeof(uint32_t));
	r->margin = malloc(NSL_SYNTH_BLOCK * sizeof(double));
	r->score = malloc(NSL_SYNTH_BLOCK * sizeof(double));
	r->flipped = malloc(NSL_SYNTH_BLOCK);
}

static void
rows_free(struct nsl_synth_rows *r)
{
	free(r->x);
	free(r->label);
	free(r->margin);
	free(r->score);
	free(r->flipped);
}

static void
test_teacher_and_probe(void)
{
	static const double angles[] = { 0, 1e-6, 10, 30, 45, 60, 89.5, 90 };
	struct nsl_synth s, t;
	struct nsl_err err;
	size_t a, dims[] = { 1, 2, 7, 300 }, di;
	int ok;

	for (di = 0; di < 4; di++) {
		ts(&s, 10, dims[di], 42 + di);
		ok = nsl_synth_setup(&s, &err) == 0;
		UNIT_CHECK(ok && fabs(nsl_vec_norm(s.teacher, s.dim) - 1) <
		    1e-15, "dim %zu: the teacher is a unit vector", dims[di]);
		nsl_synth_release(&s);
	}
	for (a = 0; a < sizeof(angles) / sizeof(angles[0]); a++) {
		double c;

		ts(&s, 10, 50, 7);
		s.has_probe = 1;
		s.probe_angle = angles[a];
		nsl_synth_setup(&s, &err);
		c = nsl_vec_dot(s.probe, s.teacher, 50);
		UNIT_CHECK(fabs(c - cos(angles[a] * M_PI / 180)) < 1e-13,
		    "probe at %g degrees: v.w = cos(theta) (%.17g)", angles[a],
		    c);
		UNIT_CHECK(fabs(nsl_vec_norm(s.probe, 50) - 1) < 1e-14,
		    "probe at %g degrees is a unit vector", angles[a]);
		/* the teacher does not depend on the probe */
		ts(&t, 10, 50, 7);
		nsl_synth_setup(&t, &err);
		UNIT_CHECK(memcmp(s.teacher, t.teacher, 50 * sizeof(double))
		    == 0, "probe at %g degrees: the same teacher as without",
		    angles[a]);
		if (angles[a] == 0)
			UNIT_CHECK(memcmp(s.probe, s.teacher, 50 *
			    sizeof(double)) == 0, "theta 0: v is w exactly");
		if (angles[a] == 90)
			UNIT_CHECK(fabs(c) < 1e-15, "theta 90: v orthogonal");
		nsl_synth_release(&s);
		nsl_synth_release(&t);
	}
	/* two probes at different angles share the orthogonal direction u:
	 * v(30) - cos30 w and v(60) - cos60 w are both along u */
	{
		struct nsl_synth p30, p60;
		double u30[20], u60[20];
		size_t i;

		ts(&p30, 1, 20, 3);
		p30.has_probe = 1;
		p30.probe_angle = 30;
		ts(&p60, 1, 20, 3);
		p60.has_probe = 1;
		p60.probe_angle = 60;
		nsl_synth_setup(&p30, &err);
		nsl_synth_setup(&p60, &err);
		for (i = 0; i < 20; i++) {
			u30[i] = (p30.probe[i] - cos(M_PI / 6) *
			    p30.teacher[i]) / sin(M_PI / 6);
			u60[i] = (p60.probe[i] - cos(M_PI / 3) *
			    p60.teacher[i]) / sin(M_PI / 3);
		}
		UNIT_CHECK(nsl_vec_sqdist(u30, u60, 20) < 1e-26,
		    "the probe's orthogonal direction is the same for "
		    "every angle");
		nsl_synth_release(&p30);
		nsl_synth_release(&p60);
	}
	ts(&s, 10, 5, 1);
	ts(&t, 10, 5, 2);
	nsl_synth_setup(&s, &err);
	nsl_synth_setup(&t, &err);
	UNIT_CHECK(memcmp(s.teacher, t.teacher, 5 * sizeof(double)) != 0,
	    "different seeds give different teachers");
	nsl_synth_release(&s);
	nsl_synth_release(&t);
}

static void
test_independence(void)
{
	struct nsl_synth a, b, c;
	struct nsl_synth_rows ra, rb, rc;
	struct nsl_err err;
	size_t d = 6;

	rows_alloc(&ra, d);
	rows_alloc(&rb, d);
	rows_alloc(&rc, d);
	/* record i depends on i, not on n: 10 records are a prefix of 300 */
	ts(&a, 10, d, 5);
	ts(&b, 300, d, 5);
	ts(&c, 300, d, 5);
	c.test = 1;
	nsl_synth_setup(&a, &err);
	nsl_synth_setup(&b, &err);
	nsl_synth_setup(&c, &err);
	UNIT_CHECK(nsl_synth_draw(&a, 0, &ra, &err) == 10 &&
	    nsl_synth_draw(&b, 0, &rb, &err) == NSL_SYNTH_BLOCK &&
	    memcmp(ra.x, rb.x, 10 * d * sizeof(double)) == 0,
	    "a shorter data set is a prefix of a longer one");
	UNIT_CHECK(nsl_synth_draw(&b, 1, &rb, &err) == 300 - NSL_SYNTH_BLOCK,
	    "the last block holds the rest (300 - 256 = 44)");
	UNIT_CHECK(nsl_synth_draw(&b, 2, &rb, &err) == 0,
	    "no block past the end");
	nsl_synth_draw(&b, 0, &rb, &err);
	nsl_synth_draw(&c, 0, &rc, &err);
	UNIT_CHECK(memcmp(b.teacher, c.teacher, d * sizeof(double)) == 0,
	    "the test set has the training set's teacher");
	UNIT_CHECK(memcmp(rb.x, rc.x, d * sizeof(double)) != 0 &&
	    memcmp(rb.x, rb.x + d, d * sizeof(double)) != 0,
	    "test points differ from training points, records from "
	    "each other");
	/* label noise draws from its own stream: the points stay */
	nsl_synth_release(&a);
	ts(&a, 300, d, 5);
	a.has_noise = 1;
	a.label_noise = 0.3;
	nsl_synth_setup(&a, &err);
	nsl_synth_draw(&a, 0, &ra, &err);
	UNIT_CHECK(memcmp(ra.x, rb.x, NSL_SYNTH_BLOCK * d * sizeof(double))
	    == 0 && memcmp(ra.margin, rb.margin, NSL_SYNTH_BLOCK *
	    sizeof(double)) == 0, "label noise leaves points and margins");
	nsl_synth_release(&a);
	nsl_synth_release(&b);
	nsl_synth_release(&c);
	rows_free(&ra);
	rows_free(&rb);
	rows_free(&rc);
}

/*
 * Moments over n = 51200 records of dim 4: the coordinates' mean has
 * standard error 1/sqrt(N), their variance sqrt(2/N), N = n * dim; the
 * margins w.x of a unit w are N(0, 1); P(label 1) = 1/2 (SE 1/(2 sqrt n));
 * the flip rate p has SE sqrt(p(1-p)/n).  Bounds at 5 SE (the draws are
 * fixed by the seed, so this is not flaky).  With theta = 0 the score
 * is -|margin| exactly.
 */
static void
test_distributions(void)
{
	struct nsl_synth s;
	struct nsl_synth_rows r;
	struct nsl_err err;
	uint64_t n = unit_quick() ? 25600 : 51200, b, i;
	size_t d = 4, j;
	double sx = 0, sxx = 0, sm = 0, smm = 0, N, p = 0.1;
	uint64_t ones = 0, flips = 0, wrong = 0, exact = 1;

	rows_alloc(&r, d);
	ts(&s, n, d, 11);
	s.has_probe = 1;
	s.probe_angle = 0;
	s.has_noise = 1;
	s.label_noise = p;
	nsl_synth_setup(&s, &err);
	for (b = 0; b < n / NSL_SYNTH_BLOCK; b++) {
		size_t m = nsl_synth_draw(&s, b, &r, &err);

		for (i = 0; i < m; i++) {
			for (j = 0; j < d; j++) {
				sx += r.x[i * d + j];
				sxx += r.x[i * d + j] * r.x[i * d + j];
			}
			sm += r.margin[i];
			smm += r.margin[i] * r.margin[i];
			ones += r.label[i];
			flips += r.flipped[i];
			wrong += r.label[i] != ((r.margin[i] > 0) ^
			    r.flipped[i]);
			exact &= r.score[i] == -fabs(r.margin[i]) &&
			    r.margin[i] == nsl_vec_dot(s.teacher,
			    r.x + i * d, d);
		}
	}
	N = (double)n * (double)d;
	UNIT_CHECK(fabs(sx / N) < 5 / sqrt(N), "coordinates have mean 0 "
	    "(%g)", sx / N);
	UNIT_CHECK(fabs(sxx / N - 1) < 5 * sqrt(2 / N), "coordinates have "
	    "variance 1 (%g)", sxx / N);
	UNIT_CHECK(fabs(sm / (double)n) < 5 / sqrt((double)n) &&
	    fabs(smm / (double)n - 1) < 5 * sqrt(2 / (double)n),
	    "margins are N(0, 1) (mean %g, var %g)", sm / (double)n,
	    smm / (double)n);
	UNIT_CHECK(fabs((double)ones / (double)n - 0.5) < 5 * 0.5 /
	    sqrt((double)n), "labels are balanced (%g)",
	    (double)ones / (double)n);
	UNIT_CHECK(fabs((double)flips / (double)n - p) < 5 * sqrt(p *
	    (1 - p) / (double)n), "flip rate is p = 0.1 (%g)",
	    (double)flips / (double)n);
	UNIT_CHECK(wrong == 0, "label = [margin > 0] xor flipped");
	UNIT_CHECK(exact, "margin = w.x and theta 0 gives score = -|margin|");
	nsl_synth_release(&s);

	/* p = 0 flips none and p = 1 flips all */
	ts(&s, 300, d, 12);
	s.has_noise = 1;
	s.label_noise = 1;
	nsl_synth_setup(&s, &err);
	nsl_synth_draw(&s, 0, &r, &err);
	for (i = 0, flips = 0; i < NSL_SYNTH_BLOCK; i++)
		flips += r.flipped[i] && r.label[i] == (r.margin[i] <= 0);
	UNIT_CHECK(flips == NSL_SYNTH_BLOCK, "p = 1 flips every label");
	s.label_noise = 0;
	nsl_synth_draw(&s, 0, &r, &err);
	for (i = 0, flips = 0; i < NSL_SYNTH_BLOCK; i++)
		flips += r.flipped[i];
	UNIT_CHECK(flips == 0, "p = 0 flips none");
	nsl_synth_release(&s);

	/* --float32: the points are floats; margin is float(w.x) */
	ts(&s, 100, 9, 13);
	s.style = NSL_NUM_FLOAT32;
	nsl_synth_setup(&s, &err);
	nsl_synth_draw(&s, 0, &r, &err);
	for (i = 0, exact = 1; i < 100; i++) {
		for (j = 0; j < 9; j++)
			exact &= r.x[i * 9 + j] == (float)r.x[i * 9 + j];
		exact &= r.margin[i] == (float)nsl_vec_dot(s.teacher,
		    r.x + i * 9, 9);
	}
	UNIT_CHECK(exact, "float32: points rounded, margin from them");
	nsl_synth_release(&s);
	rows_free(&r);
}

static void
gm(struct nsl_synth *s, uint64_t n, size_t dim, size_t K, double sep)
{
	nsl_synth_init(s);
	s->model = NSL_SYNTH_GAUSSIAN_MIXTURE;
	s->n = n;
	s->dim = dim;
	s->classes = K;
	s->separation = sep;
	s->seed = 9;
}

static void
test_mixture(void)
{
	struct nsl_synth s;
	struct nsl_err err;
	size_t K = 5, d = 8, j, k, i;
	double worst = 0, centre = 0, norm = 0;
	/* |mu_k|^2 = (S^2/2)(1 - 1/K): |e_k - ebar|^2 = 1 - 2/K + 1/K */
	double want = sqrt(2.5 * 2.5 / 2 * (1 - 1.0 / 5));
	uint64_t count[5] = { 0 };

	gm(&s, 1003, d, K, 2.5);
	nsl_synth_setup(&s, &err);
	for (j = 0; j < K; j++)
		for (k = j + 1; k < K; k++)
			worst = fmax(worst, fabs(sqrt(nsl_vec_sqdist(s.means +
			    j * d, s.means + k * d, d)) - 2.5));
	for (i = 0; i < d; i++) {
		double c = 0;

		for (k = 0; k < K; k++)
			c += s.means[k * d + i];
		centre = fmax(centre, fabs(c));
	}
	for (k = 0; k < K; k++)
		norm = fmax(norm, fabs(nsl_vec_norm(s.means + k * d, d) -
		    want));
	UNIT_CHECK(worst < 1e-13, "every pair of means at the separation "
	    "(worst %g)", worst);
	UNIT_CHECK(centre < 1e-13, "the means are centred at 0");
	UNIT_CHECK(norm < 1e-13, "|mu_k| = S sqrt((K-1)/(2K))");
	/* equal weights, n = 1003 = 5 * 200 + 3: classes 0, 1, 2 get 201
	 * (equal fractions 0.6: ties to the lower class) */
	UNIT_CHECK(s.counts[0] == 201 && s.counts[1] == 201 &&
	    s.counts[2] == 201 && s.counts[3] == 200 && s.counts[4] == 200,
	    "equal weights: largest remainder, ties to the lower class");
	for (i = 0; i < s.n; i++)
		count[s.labels[i]]++;
	UNIT_CHECK(memcmp(count, s.counts, sizeof(count)) == 0,
	    "the shuffled labels have the class sizes");
	for (i = 0, j = 0; i + 1 < s.n; i++)
		j += s.labels[i] != s.labels[i + 1];
	UNIT_CHECK(j > 500, "the labels are shuffled (%zu changes)", j);
	nsl_synth_release(&s);

	/* weights 1,2,1 with n = 10: 2.5, 5, 2.5 -> 2, 5, 2 and the one
	 * left to class 0 (fractions .5, 0, .5: tie to the lower) */
	gm(&s, 10, 3, 3, 1);
	s.weights = malloc(3 * sizeof(double));
	s.weights[0] = 1;
	s.weights[1] = 2;
	s.weights[2] = 1;
	nsl_synth_setup(&s, &err);
	UNIT_CHECK(s.counts[0] == 3 && s.counts[1] == 5 && s.counts[2] == 2,
	    "weights 1,2,1 of 10: 3, 5, 2");
	nsl_synth_release(&s);
	/* weights 0.7, 0.2, 0.1 of 7: 4.9, 1.4, 0.7 -> 4, 1, 0 and two
	 * left: to 0.9 (class 0) and 0.7 (class 2) */
	gm(&s, 7, 3, 3, 1);
	s.weights = malloc(3 * sizeof(double));
	s.weights[0] = 0.7;
	s.weights[1] = 0.2;
	s.weights[2] = 0.1;
	nsl_synth_setup(&s, &err);
	UNIT_CHECK(s.counts[0] == 5 && s.counts[1] == 1 && s.counts[2] == 1,
	    "weights .7,.2,.1 of 7: 5, 1, 1");
	nsl_synth_release(&s);
}

static void
test_check(void)
{
	struct nsl_synth s;

	ts(&s, 1, 1, 0);
	UNIT_CHECK(nsl_synth_check(&s) == NULL, "n 1, dim 1 is fine");
	s.n = 0;
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "n 0 is refused");
	s.n = 1;
	s.dim = 0;
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "dim 0 is refused");
	s.dim = 1;
	s.has_probe = 1;
	s.probe_angle = 10;
	UNIT_CHECK(nsl_synth_check(&s) != NULL,
	    "a probe at an angle needs dim 2");
	s.dim = 3;
	s.probe_angle = 90.5;
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "angle above 90 is refused");
	s.probe_angle = NAN;
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "angle NaN is refused");
	s.has_probe = 0;
	s.has_noise = 1;
	s.label_noise = -0.1;
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "p below 0 is refused");
	gm(&s, 5, 3, 4, 1);
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "more classes than dim");
	s.classes = 3;
	UNIT_CHECK(nsl_synth_check(&s) == NULL, "3 classes in 3 dims");
	s.weights = calloc(3, sizeof(double));
	UNIT_CHECK(nsl_synth_check(&s) != NULL, "all-zero weights");
	nsl_synth_release(&s);
}

/* The whole output, written with 1 and with 3 threads. */
static void
test_threads(void)
{
	char p1[] = "/tmp/test_synth_1.XXXXXX", p3[] = "/tmp/test_synth_3.XXXXXX";
	struct nsl_synth s;
	struct nsl_writer *w;
	struct nsl_err err;
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	FILE *f;
	int fd, t, ok = 1;

	for (t = 0; t < 2; t++) {
		char *p = t == 0 ? p1 : p3;

		if ((fd = mkstemp(p)) < 0) {
			ok = 0;
			continue;
		}
		close(fd);
		omp_set_num_threads(t == 0 ? 1 : 3);
		ts(&s, 2000, 3, 17);
		s.has_probe = 1;
		s.probe_angle = 20;
		nsl_synth_setup(&s, &err);
		w = nsl_writer_open(p, &err);
		ok &= w != NULL && nsl_synth_write(&s, w, &err) == 0 &&
		    nsl_writer_commit(w, &err) == 0;
		nsl_synth_release(&s);
		if ((f = fopen(p, "r")) != NULL) {
			if (t == 0)
				la = fread(a = malloc(1 << 20), 1, 1 << 20, f);
			else
				lb = fread(b = malloc(1 << 20), 1, 1 << 20, f);
			fclose(f);
		}
		remove(p);
	}
	UNIT_CHECK(ok && la > 0 && la == lb && memcmp(a, b, la) == 0,
	    "1 and 3 threads write the same bytes (%zu)", la);
	free(a);
	free(b);
}

/* Every generator row parses back to itself, owns its emit option and
 * writes a model record that names it. */
static void
test_catalogue(void)
{
	const struct nsl_synth_model_def *m;
	struct nsl_err err;
	int i, j, good = 1;

	for (i = 0; (m = nsl_synth_model_get(i)) != NULL; i++) {
		struct nsl_buf b = NSL_BUF_INIT;
		struct nsl_synth s;
		int owns = 0;

		for (j = 0; m->options[j] != NULL; j++)
			owns |= strcmp(m->options[j], m->emit) == 0;
		nsl_synth_init(&s);
		s.model = (enum nsl_synth_model)i;
		s.n = 3;
		s.dim = 2;
		nsl_err_clear(&err);
		if (nsl_synth_model_parse(m->name) != i || !owns ||
		    m->help == NULL || nsl_synth_check(&s) != NULL ||
		    nsl_synth_setup(&s, &err) != 0)
			good = 0;
		else {
			nsl_synth_model_record(&s, &b);
			if (strstr(b.data, m->name) == NULL)
				good = 0;
		}
		nsl_buf_release(&b);
		nsl_synth_release(&s);
	}
	UNIT_CHECK(good && i == 2 && nsl_synth_model_parse("nope") == -1,
	    "catalogue: %d generators, each parsed, set up, recorded", i);
}

int
main(void)
{
	test_catalogue();
	test_teacher_and_probe();
	test_independence();
	test_distributions();
	test_mixture();
	test_check();
	test_threads();
	return unit_done();
}
