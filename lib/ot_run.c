/*
 * ot_run.c - nsl-ot-distance's job (see nsl/ot_run.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nsl/buf.h"
#include "nsl/io.h"
#include "nsl/ot_record.h"
#include "nsl/ot_run.h"

#define OT_DEFAULT_FIELD "embedding"
/* a writer's buffer is handed on past this many bytes */
#define FLUSH_BYTES 65536

void
nsl_ot_run_init(struct nsl_ot_run *j)
{
	memset(j, 0, sizeof(*j));
	nsl_ot_params_init(&j->par);
	j->field = OT_DEFAULT_FIELD;
}

const char *
nsl_ot_run_check(const struct nsl_ot_run *j)
{
	static _Thread_local char msg[256];
	const char *e;

	if ((e = nsl_ot_check(&j->par)) != NULL)
		return e;
	if (j->npaths != 2)
		return "expected two inputs, A and B";
	if ((j->par.method->params & NSL_OT_P_LABELS) &&
	    j->label_field == NULL) {
		snprintf(msg, sizeof(msg), "--method %s: needs --label-field",
		    j->par.method->name);
		return msg;
	}
	if ((j->potentials != NULL || j->plan != NULL) &&
	    !(j->par.method->flags & NSL_OT_PLAN)) {
		snprintf(msg, sizeof(msg), "--potentials and --plan: not with "
		    "%s", j->par.method->name);
		return msg;
	}
	return NULL;
}

int
nsl_ot_run_solve(struct nsl_ot_run *j, struct nsl_err *err)
{
	struct nsl_ot_problem *pr = &j->problem;
	const char *labels = j->par.method->params & NSL_OT_P_LABELS ?
	    j->label_field : NULL;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->par.want_potentials = j->potentials != NULL;
	j->par.want_plan = j->plan != NULL;
	if (nsl_dataset_read_weighted(&j->A, &j->paths[0], 1, j->field,
	    labels, j->weight_field, 0, err) < 0 ||
	    nsl_dataset_read_weighted(&j->B, &j->paths[1], 1, j->field,
	    labels, j->weight_field, 0, err) < 0)
		return -1;
	if (j->A.d != j->B.d)
		return nsl_err_set(err, NSL_EX_DATAERR, "%s and %s: vectors of "
		    "different lengths (%zu and %zu)", j->paths[0],
		    j->paths[1], j->A.d, j->B.d);
	memset(pr, 0, sizeof(*pr));
	pr->x = j->A.x;
	pr->n = j->A.n;
	pr->y = j->B.x;
	pr->m = j->B.n;
	pr->d = j->A.d;
	pr->a = j->A.w;
	pr->b = j->B.w;
	pr->la = j->A.label;
	pr->nla = j->A.nlabels;
	pr->lb = j->B.label;
	pr->nlb = j->B.nlabels;
	if (nsl_ot_solve(&j->par, pr, &j->res, err) < 0)
		return -1;
	j->solved = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	return 0;
}

const char *
nsl_ot_run_warning(const struct nsl_ot_run *j)
{
	static _Thread_local char msg[256];

	if (!j->solved || j->res.converged)
		return NULL;
	snprintf(msg, sizeof(msg), "did not converge in %d iterations "
	    "(marginal error %g > --tol %g)", j->par.max_iter,
	    j->res.marginal_error, j->par.tol);
	return msg;
}

/* Hand b's bytes to w if there are enough of them (or all, if last). */
static int
flush(struct nsl_writer *w, struct nsl_buf *b, int last, struct nsl_err *err)
{
	if (!last && b->len <= FLUSH_BYTES)
		return 0;
	if (nsl_buf_failed(b))
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_writer_write(w, b->data, b->len, err) != 0)
		return -1;
	nsl_buf_reset(b);
	return 0;
}

static int
write_potentials(const struct nsl_ot_run *j, struct nsl_buf *b,
    struct nsl_err *err)
{
	struct nsl_writer *w;
	size_t i;
	int side;

	if ((w = nsl_writer_open(j->potentials, err)) == NULL)
		return -1;
	for (side = 0; side < 2; side++)
		for (i = 0; i < (side ? j->problem.m : j->problem.n); i++) {
			nsl_ot_potential_write(b, side, i, side ?
			    j->res.g[i] : j->res.f[i]);
			if (flush(w, b, 0, err) < 0)
				goto fail;
		}
	if (flush(w, b, 1, err) < 0)
		goto fail;
	return nsl_writer_commit(w, err);
fail:
	nsl_writer_abort(w);
	return -1;
}

static int
write_plan(const struct nsl_ot_run *j, struct nsl_buf *b, struct nsl_err *err)
{
	struct nsl_writer *w;
	size_t k;

	if ((w = nsl_writer_open(j->plan, err)) == NULL)
		return -1;
	for (k = 0; k < j->res.nplan; k++) {
		nsl_ot_plan_write(b, &j->res.plan[k]);
		if (flush(w, b, 0, err) < 0)
			goto fail;
	}
	if (flush(w, b, 1, err) < 0)
		goto fail;
	return nsl_writer_commit(w, err);
fail:
	nsl_writer_abort(w);
	return -1;
}

int
nsl_ot_run_write(struct nsl_ot_run *j, struct nsl_err *err)
{
	struct nsl_ot_record r;
	struct nsl_writer *w;
	struct nsl_buf b;

	if ((w = nsl_writer_open(j->output, err)) == NULL)
		return -1;
	nsl_buf_init(&b);
	if ((j->potentials != NULL && write_potentials(j, &b, err) < 0) ||
	    (j->plan != NULL && write_plan(j, &b, err) < 0))
		goto fail;
	nsl_ot_record_make(&r, &j->par, &j->problem, &j->res, j->paths[0],
	    j->paths[1]);
	if (j->timing)
		r.seconds = j->seconds;
	nsl_ot_record_write(&b, &r);
	if (flush(w, &b, 1, err) < 0)
		goto fail;
	nsl_buf_release(&b);
	return nsl_writer_commit(w, err);
fail:
	nsl_buf_release(&b);
	nsl_writer_abort(w);
	return -1;
}

void
nsl_ot_run_release(struct nsl_ot_run *j)
{
	nsl_ot_result_release(&j->res);
	nsl_dataset_release(&j->A);
	nsl_dataset_release(&j->B);
}
