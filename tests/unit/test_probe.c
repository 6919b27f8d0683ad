/*
 * test_probe.c - lib/probe.c: the loss and angle formulas on hand-worked
 * cases, the linear probe's optimum against an objective written out
 * here (gradient by central differences), and the MLP's backpropagation
 * against central differences of a forward pass written out here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/buf.h"
#include "nsl/json.h"
#include "nsl/probe.h"
#include "unit.h"

/* Mean cross-entropy of softmax(W s + b), written independently. */
static double
xent(const double *z, const int *y, size_t n, size_t k)
{
	double f = 0;
	size_t i, c;

	for (i = 0; i < n; i++) {
		double s = 0;

		for (c = 0; c < k; c++)
			s += exp(z[i * k + c]);
		f += log(s) - z[i * k + y[i]];
	}
	return f / (double)n;
}

/* The linear objective at (W, b) on standardised rows s. */
static double
lin_obj(const double *W, const double *b, const double *s, const int *y,
    size_t n, size_t d, size_t k, double l2)
{
	double z[64 * 3], reg = 0;
	size_t i, j, c;

	for (i = 0; i < n; i++)
		for (c = 0; c < k; c++) {
			z[i * k + c] = b[c];
			for (j = 0; j < d; j++)
				z[i * k + c] += W[c * d + j] * s[i * d + j];
		}
	for (j = 0; j < k * d; j++)
		reg += W[j] * W[j];
	return xent(z, y, n, k) + 0.5 * l2 * reg;
}

/* Mean cross-entropy of the MLP with the given weights (no penalty). */
static double
mlp_obj(const struct nsl_probe *m, const double *s, const int *y, size_t n)
{
	double z[64 * 3], hid[16];
	size_t i, j, c, t;

	for (i = 0; i < n; i++) {
		for (t = 0; t < m->h; t++) {
			hid[t] = m->b1[t];
			for (j = 0; j < m->d; j++)
				hid[t] += m->w1[t * m->d + j] * s[i * m->d + j];
			if (hid[t] < 0)
				hid[t] = 0;
		}
		for (c = 0; c < m->k; c++) {
			z[i * m->k + c] = m->b2[c];
			for (t = 0; t < m->h; t++)
				z[i * m->k + c] += m->w2[c * m->h + t] * hid[t];
		}
	}
	return xent(z, y, n, m->k);
}

/* The result record reads back as written; the catalogue parses back. */
static void
test_result_record(void)
{
	static const char *const tags[] = { "run=1" };
	struct nsl_probe_result r, q;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	struct nsl_err err;
	int i, good = 1;

	for (i = 0; nsl_probe_model_get(i) != NULL; i++)
		if (nsl_probe_model_parse(nsl_probe_model_get(i)->name) != i)
			good = 0;
	UNIT_CHECK(good && i == 2 && nsl_probe_model_parse("svm") == -1,
	    "catalogue: %d models, each name parses back", i);
	memset(&r, 0, sizeof(r));
	r.model = "linear";
	r.n_train = 300;
	r.d = 8;
	r.classes = 3;
	r.has_test = 1;
	r.n_test = 200;
	r.test_error = 0.125;
	r.test_loss = 0.3;
	r.train_error = 0.1;
	r.train_loss = 0.25;
	r.l2 = 1e-4;
	r.epochs = 17;
	r.objective = 0.2625;
	r.converged = 1;
	r.tags = tags;
	r.ntags = 1;
	nsl_probe_result_write(&r, &b);
	UNIT_CHECK(strcmp(b.data, "{\"model\":\"linear\",\"n_train\":300,"
	    "\"d\":8,\"classes\":3,\"n_test\":200,\"test_error\":0.125,"
	    "\"test_loss\":0.3,\"train_error\":0.1,\"train_loss\":0.25,"
	    "\"l2\":0.0001,\"epochs\":17,\"objective\":0.2625,"
	    "\"converged\":true,\"run\":1}\n") == 0,
	    "result record: members in order (%s)", b.data);
	nsl_rec_init(&rec, 0);
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_rec_parse(&rec, b.data, b.len - 1, &err) == 0 &&
	    nsl_probe_result_parse(&q, &rec, &err) == 0 &&
	    strcmp(q.model, "linear") == 0 && q.n_train == 300 && q.d == 8 &&
	    q.classes == 3 && q.has_test && q.n_test == 200 &&
	    q.test_error == 0.125 && q.test_loss == 0.3 &&
	    q.train_error == 0.1 && q.train_loss == 0.25 && q.l2 == 1e-4 &&
	    q.epochs == 17 && q.objective == 0.2625 && q.converged &&
	    !q.has_gen_error && !q.has_seconds,
	    "result record: the parse reads back what was written (%s)",
	    err.msg);
	UNIT_CHECK(nsl_probe_result_member(&r, "objective", 9) &&
	    !nsl_probe_result_member(&r, "hidden", 6) &&
	    nsl_probe_result_member(&r, "test_loss", 9) &&
	    !nsl_probe_result_member(&r, "gen_error", 9),
	    "result members follow the model's row and the flags");
	UNIT_CHECK(nsl_rec_parse(&rec, "{\"model\":\"svm\"}", 15,
	    &err) == 0 &&
	    nsl_probe_result_parse(&q, &rec, &err) == -1 &&
	    strstr(err.msg, "model") != NULL,
	    "result record: an unknown model is refused (%s)", err.msg);
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
}

int
main(void)
{
	struct nsl_probe_params p;
	struct nsl_probe m, m0, m1;
	struct nsl_err err;
	double x[64 * 4], s[64 * 4], mu[4], sd[4];
	int y[64];
	size_t n = 60, d = 4, k = 3, i, j;

	/* angle: (1,0) vs (1,1) is 45 degrees -> 1/4; opposite -> 1;
	 * (1,2,3) vs (3,2,1): cos = 10/14 = 5/7, acos(5/7) = 0.7751933733103613
	 * rad, / pi = 0.24675171442884994 */
	{
		double a[] = { 1, 0 }, b[] = { 1, 1 }, c[] = { -2, 0 };
		double u[] = { 1, 2, 3 }, v[] = { 3, 2, 1 }, zero[] = { 0, 0 };

		UNIT_CHECK(fabs(nsl_probe_angle_error(a, b, 2) - 0.25) < 1e-15,
		    "45 degrees is a generalisation error of 1/4");
		UNIT_CHECK(fabs(nsl_probe_angle_error(a, c, 2) - 1) < 1e-15,
		    "opposite directions: error 1, whatever the lengths");
		UNIT_CHECK(fabs(nsl_probe_angle_error(a, a, 2)) < 1e-15,
		    "the teacher itself: error 0");
		UNIT_CHECK(fabs(nsl_probe_angle_error(u, v, 3) -
		    0.24675171442884994) < 1e-14, "acos(5/7)/pi by hand");
		UNIT_CHECK(isnan(nsl_probe_angle_error(a, zero, 2)),
		    "a zero vector has no angle");
	}
	/* loss: rows (0,0) label 0 -> ln 2, tie goes to class 0 (right);
	 * (ln 3, 0) label 1 -> ln(3 + 1) - 0 = ln 4 (wrong): mean 1.5 ln 2 */
	{
		double z[] = { 0, 0, log(3), 0 }, e;
		int yy[] = { 0, 1 };

		UNIT_CHECK(fabs(nsl_probe_loss(z, yy, 2, 2, &e) - 1.5 * log(2))
		    < 1e-15 && e == 0.5, "cross-entropy and error by hand");
	}
	/* a 3-class problem with unequal feature scales */
	srand(3);
	for (i = 0; i < n; i++) {
		y[i] = (int)(i % k);
		for (j = 0; j < d; j++)
			x[i * d + j] = (j + 1) * (rand() / (double)RAND_MAX +
			    (j == (size_t)y[i] ? 0.7 : 0)) + 10;
	}
	for (j = 0; j < d; j++) {
		mu[j] = sd[j] = 0;
		for (i = 0; i < n; i++)
			mu[j] += x[i * d + j] / (double)n;
		for (i = 0; i < n; i++)
			sd[j] += (x[i * d + j] - mu[j]) * (x[i * d + j] - mu[j]) /
			    (double)n;
		sd[j] = sqrt(sd[j]);
		for (i = 0; i < n; i++)
			s[i * d + j] = (x[i * d + j] - mu[j]) / sd[j];
	}
	nsl_probe_params_default(&p, NSL_PROBE_LINEAR);
	p.l2 = 0.05;
	p.tol = 1e-10;
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_probe_train(&m, x, y, n, d, k, &p, &err) == 0 &&
	    m.converged, "linear probe trains and converges");
	{
		double g, h = 1e-5, worst = 0, f0, W[12], b[3];

		memcpy(W, m.w1, sizeof(W));
		memcpy(b, m.b1, sizeof(b));
		f0 = lin_obj(W, b, s, y, n, d, k, p.l2);
		UNIT_CHECK(fabs(f0 - m.objective) < 1e-12,
		    "reported objective = mean log-loss + l2/2 ||W||^2");
		for (j = 0; j < 15; j++) {
			double *q = j < 12 ? &W[j] : &b[j - 12], keep = *q;

			*q = keep + h;
			g = lin_obj(W, b, s, y, n, d, k, p.l2);
			*q = keep - h;
			g -= lin_obj(W, b, s, y, n, d, k, p.l2);
			*q = keep;
			g /= 2 * h;
			if (fabs(g) > worst)
				worst = fabs(g);
		}
		UNIT_CHECK(worst < 1e-7, "at the optimum every partial "
		    "derivative vanishes (central differences: %g)", worst);
	}
	{
		double z[64 * 3], e;

		nsl_probe_logits(&m, x, n, z, &err);
		UNIT_CHECK(fabs(nsl_probe_loss(z, y, n, k, &e) -
		    xent(z, y, n, k)) < 1e-14, "nsl_probe_loss is the "
		    "cross-entropy written here");
	}
	nsl_probe_release(&m);

	/* MLP backpropagation: one full-batch SGD step (momentum starts at
	 * 0, so the step is -lr * grad) against central differences. */
	nsl_probe_params_default(&p, NSL_PROBE_MLP);
	p.hidden = 5;
	p.epochs = 1;
	p.batch = n;
	p.l2 = 0;
	p.optimizer = NSL_PROBE_SGD;
	p.seed = 9;
	p.lr = 1e-300;
	UNIT_CHECK(nsl_probe_train(&m0, x, y, n, d, k, &p, &err) == 0,
	    "mlp trains (negligible step: the initial weights)");
	p.lr = 1e-6;
	UNIT_CHECK(nsl_probe_train(&m1, x, y, n, d, k, &p, &err) == 0,
	    "mlp trains (one small step)");
	{
		double h = 1e-6, worst = 0, *w[4] = { m0.w1, m0.b1, m0.w2, m0.b2 };
		double *w1[4] = { m1.w1, m1.b1, m1.w2, m1.b2 };
		size_t len[4] = { 5 * d, 5, k * 5, k }, a, q;

		for (a = 0; a < 4; a++)
			for (q = 0; q < len[a]; q++) {
				double keep = w[a][q], fd, step;

				w[a][q] = keep + h;
				fd = mlp_obj(&m0, s, y, n);
				w[a][q] = keep - h;
				fd -= mlp_obj(&m0, s, y, n);
				w[a][q] = keep;
				fd /= 2 * h;
				step = (keep - w1[a][q]) / 1e-6;
				if (fabs(step - fd) > worst)
					worst = fabs(step - fd);
			}
		UNIT_CHECK(worst < 1e-5, "backpropagated gradient = central "
		    "differences of the forward pass (worst %g)", worst);
	}
	nsl_probe_release(&m0);
	nsl_probe_release(&m1);

	/* dynamics: epochs x k logits per example, the last = final model */
	p.lr = 1e-2;
	p.epochs = 3;
	p.batch = 7;
	p.optimizer = NSL_PROBE_ADAM;
	p.dynamics = 1;
	UNIT_CHECK(nsl_probe_train(&m, x, y, n, d, k, &p, &err) == 0 &&
	    m.ndyn == n, "mlp with dynamics");
	{
		double z[64 * 3];
		int same = 1;

		nsl_probe_logits(&m, x, n, z, &err);
		for (i = 0; i < n; i++)
			for (j = 0; j < k; j++)
				same &= fabs(m.dynamics[(i * 3 + 2) * k + j] -
				    z[i * k + j]) < 1e-12;
		UNIT_CHECK(same, "the last epoch's logits are the model's");
	}
	nsl_probe_release(&m);

	/* errors */
	nsl_probe_params_default(&p, NSL_PROBE_LINEAR);
	for (i = 0; i < n; i++)
		y[i] = 1;
	UNIT_CHECK(nsl_probe_train(&m, x, y, n, d, 1, &p, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "one class is a data error");
	nsl_probe_release(&m);
	UNIT_CHECK(nsl_probe_train(&m, x, y, 0, d, 2, &p, &err) == -1 &&
	    err.code == NSL_EX_DATAERR, "no rows is a data error");
	nsl_probe_release(&m);
	p.dynamics = 1;
	UNIT_CHECK(nsl_probe_check(&p) != NULL, "no dynamics for L-BFGS");
	test_result_record();
	return unit_done();
}
