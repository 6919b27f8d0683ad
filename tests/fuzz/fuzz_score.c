/*
 * fuzz_score.c - libFuzzer target of nsl-score's options and records
 * (see fuzz.h for the input and the common checks).
 *
 * The options are mapped as tools/nsl-score.c maps them and the job runs
 * through nsl_score_run over the records file.  Invariants checked: a
 * failure is 64 or 65; on success every output line is strict JSON, one
 * per input record, and carries each metric's score field as a number.
 */
#include <math.h>

#include "fuzz.h"
#include "nsl/score.h"

static int
fz_metrics(struct nsl_score_job *job, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	size_t m;
	int metric, ok = 1;

	if (copy == NULL)
		FUZZ_FAIL("score: out of memory");
	job->nmetrics = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && ok;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((metric = nsl_score_metric_parse(tok)) < 0)
			ok = 0;
		for (m = 0; ok && m < job->nmetrics; m++)
			if (job->metric[m] == metric)
				ok = 0;
		if (ok)
			job->metric[job->nmetrics++] = metric;
	}
	free(copy);
	return ok && job->nmetrics > 0 ? 0 : -1;
}

static void
fuzz_score(const uint8_t *data, size_t size)
{
	struct nsl_score_job job;
	struct nsl_writer *w = NULL;
	struct nsl_err err;
	struct fz z;
	const char *v, *paths[1];
	size_t i, m, nin, nout;
	int have_metric = 0;
	double d;

	if (fz_open(&z, data, size) != 0)
		return;
	memset(&job, 0, sizeof(job));
	job.out_field = "score";
	job.cluster_field = "cluster";
	job.label_field = "label";
	job.logits_field = "logits";
	job.field = "embedding";
	job.iters = 20;
	job.neighbours = 10;
	job.opts.window = 10;
	nsl_json_allow_nonfinite(0);	/* no --allow-nonfinite here */
	nsl_err_clear(&err);
	for (i = 0; i < (size_t)z.argc; i++) {
		int k = (int)i;

		if ((v = fz_val(&z, &k, "--metric")) != NULL) {
			if (fz_metrics(&job, v) != 0)
				goto out;
			have_metric = 1;
		} else if ((v = fz_val(&z, &k, "--out-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			job.out_field = v;
		} else if ((v = fz_val(&z, &k, "--cluster-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			job.cluster_field = v;
		} else if ((v = fz_val(&z, &k, "--label-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			job.label_field = v;
		} else if ((v = fz_val(&z, &k, "--logits-field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			job.logits_field = v;
		} else if ((v = fz_val(&z, &k, "--field")) != NULL) {
			if (!fz_name_ok(v))
				goto out;
			job.field = v;
		} else if ((v = fz_val(&z, &k, "--k")) != NULL) {
			if (fz_num(v, 1, 64, &d) != 0 || d != floor(d))
				goto out;
			job.k = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--iters")) != NULL) {
			if (fz_num(v, 1, 50, &d) != 0 || d != floor(d))
				goto out;
			job.iters = (int)d;
		} else if ((v = fz_val(&z, &k, "--seed")) != NULL) {
			if (fz_num(v, 0, 1e15, &d) != 0 || d != floor(d))
				goto out;
			job.seed = (uint64_t)d;
		} else if ((v = fz_val(&z, &k, "--neighbours")) != NULL) {
			if (fz_num(v, 1, 64, &d) != 0 || d != floor(d))
				goto out;
			job.neighbours = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--window")) != NULL) {
			if (fz_num(v, 2, 64, &d) != 0 || d != floor(d))
				goto out;
			job.opts.window = (size_t)d;
		} else if ((v = fz_val(&z, &k, "--center")) != NULL) {
			if (strcmp(v, "mean") == 0)
				job.median = 0;
			else if (strcmp(v, "median") == 0)
				job.median = 1;
			else
				goto out;
		} else if (strcmp(z.argv[i], "--probs") == 0) {
			job.opts.probs = 1;
		} else if (strcmp(z.argv[i], "--float32") == 0) {
			job.float32 = 1;
		} else
			goto out;
		i = (size_t)k;
	}
	/* the tool's checks (tools/nsl-score.c) */
	if (!have_metric)
		goto out;
	for (m = 0; m < job.nmetrics; m++)
		if (job.opts.probs && job.metric[m] == NSL_SCORE_AUM)
			goto out;
	for (m = 0; m < job.nmetrics; m++)
		if (job.metric[m] == NSL_SCORE_PROTOTYPE &&
		    strcmp(job.out_field, job.cluster_field) == 0)
			goto out;

	if ((w = nsl_writer_open(z.out, &err)) == NULL)
		FUZZ_FAIL("score: cannot write %s: %s", z.out, err.msg);
	paths[0] = z.in;
	if (nsl_score_run(&job, paths, 1, w, &err) != 0) {
		nsl_writer_abort(w);
		fz_err(&err, "score");
		goto out;
	}
	if (nsl_writer_commit(w, &err) != 0)
		FUZZ_FAIL("score: commit: %s", err.msg);
	nout = fz_strict_file(z.out, "score");
	/* one output line per input record (blank lines are no records) */
	{
		struct nsl_reader *r = nsl_reader_open(z.in, &err);
		const char *line;
		size_t len;

		nin = 0;
		while (r != NULL && nsl_reader_getline(r, &line, &len,
		    &err) == 1)
			nin += strspn(line, " \t\r") != len;
		nsl_reader_close(r);
	}
	if (nin != nout)
		FUZZ_FAIL("score: %zu records in, %zu out", nin, nout);
	/* each metric's field, a number */
	{
		struct nsl_reader *r = nsl_reader_open(z.out, &err);
		struct nsl_rec rec;
		char name[256];
		long f;

		nsl_rec_init(&rec, 0);
		while (r != NULL && nsl_rec_read(r, &rec, &err) == 1)
			for (m = 0; m < job.nmetrics; m++) {
				if (job.nmetrics == 1)
					snprintf(name, sizeof(name), "%s",
					    job.out_field);
				else
					snprintf(name, sizeof(name), "%s_%s",
					    job.out_field,
					    nsl_score_metric_name(job.metric[m]));
				f = nsl_rec_find(&rec, name);
				if (f < 0 || rec.fields[f].type !=
				    NSL_JSON_NUMBER)
					FUZZ_FAIL("score: no number \"%s\" in "
					    "%.200s", name, rec.line);
			}
		nsl_rec_release(&rec);
		nsl_reader_close(r);
	}
out:
	fz_close(&z);
}

#ifndef FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_score(data, size);
	return 0;
}
#endif
