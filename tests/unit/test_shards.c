/*
 * test_shards.c - lib/score_model.c and lib/prune_plan.c: the write/parse
 * pairs round-trip every field bit for bit (a model's rows, a plan's
 * boundaries and 64-bit hashes), the id hash is the documented FNV-1a
 * and splitmix64 finaliser, and a plan keeps exactly its budget from
 * any split of its records; the partition of a dedup plan writes each
 * cluster's lines and rows whole when its buffers are written many times
 * over (a budget of a few bytes).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/buf.h"
#include "nsl/hash.h"
#include "nsl/io.h"
#include "nsl/labels.h"
#include "nsl/npy.h"
#include "nsl/prune.h"
#include "nsl/prune_plan.h"
#include "nsl/score.h"
#include "nsl/score_model.h"
#include "unit.h"

static char *dir;	/* unit_tmpdir("shards") */

static char *
path(const char *name)
{
	return unit_path(dir, name);
}

static void
put(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	fputs(text, f);
	fclose(f);
}

static void
test_hash(void)
{
	/*
	 * By hand from the header's definition, seed 0, text "a":
	 * FNV-1a: (0xcbf29ce484222325 ^ 0x61) * 0x100000001b3 =
	 * 0xaf63dc4c8601ec8c; splitmix64's finaliser of that plus
	 * 0x9e3779b97f4a7c15 gives 0x5f29c2aadd9b8527 (h64 of
	 * tests/fixtures/shards/plan_ref.py, in Python's big integers).
	 */
	uint64_t h = nsl_hash64_seeded(0, "a", 1);

	UNIT_CHECK(h == 0x5f29c2aadd9b8527ULL, "hash of \"a\", seed 0: %016llx",
	    (unsigned long long)h);
	UNIT_CHECK(nsl_hash64_seeded(1, "a", 1) != h,
	    "the seed changes the hash");
}

static void
test_model_pair(void)
{
	struct nsl_score_model m, r;
	struct nsl_writer *w;
	struct nsl_err err;
	double x[6] = { 0.1, -1e-300, 1.0 / 3, 2e300, -0.0, 5 };

	nsl_score_model_init(&m);
	m.metric = NSL_SCORE_KNN;
	m.d = 3;
	m.rows = 2;
	m.neighbours = 1;
	m.x = x;
	w = nsl_writer_open(path("model"), &err);
	UNIT_CHECK(w != NULL && nsl_score_model_write(&m, w, &err) == 0 &&
	    nsl_writer_commit(w, &err) == 0, "a model is written");
	UNIT_CHECK(nsl_score_model_read(&r, path("model"), &err) == 0,
	    "and read back");
	UNIT_CHECK(r.metric == NSL_SCORE_KNN && r.d == 3 && r.rows == 2 &&
	    r.neighbours == 1 && memcmp(r.x, x, sizeof(x)) == 0,
	    "every field and number bit for bit (-0 and 1e-300 too)");
	nsl_score_model_release(&r);
	put("short", "{\"nsl\":\"score-model\",\"metric\":\"prototype\","
	    "\"d\":2,\"rows\":2,\"center\":\"mean\",\"neighbours\":0}\n"
	    "{\"row\":[1,2]}\n");
	UNIT_CHECK(nsl_score_model_read(&r, path("short"), &err) < 0 &&
	    err.code == NSL_EX_DATAERR && strstr(err.msg, "truncated"),
	    "a model with fewer rows than its header is refused: %s",
	    err.msg);
}

static void
test_plan_pair(void)
{
	struct nsl_prune_job J;
	struct nsl_prune_plan P, R;
	struct nsl_err err;
	const char *two[] = { NULL, NULL };
	size_t g;

	/* 6 records in 2 groups, ties in score */
	put("a", "{\"id\":1,\"g\":\"x\",\"score\":1}\n"
	    "{\"id\":2,\"g\":\"y\",\"score\":1}\n"
	    "{\"id\":3,\"g\":\"x\",\"score\":1}\n");
	put("b", "{\"id\":4,\"g\":\"y\",\"score\":0.5}\n"
	    "{\"id\":5,\"g\":\"x\",\"score\":2}\n"
	    "{\"id\":6,\"g\":\"y\",\"score\":1}\n");
	memset(&J, 0, sizeof(J));
	nsl_prune_params_init(&J.p);
	J.p.strategy = NSL_PRUNE_STRATIFIED;
	J.p.fraction = 0.5;
	J.p.strata = 3;
	J.p.seed = 0xfedcba9876543210ULL;
	J.score_field = "score";
	J.by = "g";
	two[0] = path("b");
	two[1] = path("a");
	nsl_err_clear(&err);
	UNIT_CHECK(nsl_prune_plan_build(&P, &J, "id", two, 2, &err) == 0,
	    "a stratified plan is built: %s", err.msg);
	UNIT_CHECK(P.ngroups == 2 && P.g[0].n == 3 && P.g[0].keep == 2 &&
	    P.g[1].keep == 2, "budgets: round(0.5 x 3) = 2 of each group");
	UNIT_CHECK(nsl_prune_plan_write(&P, path("plan"), &err) == 0 &&
	    nsl_prune_plan_read(&R, path("plan"), &err) == 0,
	    "written and read back: %s", err.msg);
	UNIT_CHECK(R.p.seed == P.p.seed && R.p.strategy == P.p.strategy &&
	    R.p.strata == 3 && strcmp(R.by, "g") == 0 &&
	    strcmp(R.id_field, "id") == 0, "the header, the 64-bit seed too");
	for (g = 0; g < 2; g++)
		UNIT_CHECK(R.g[g].n == P.g[g].n && R.g[g].keep == P.g[g].keep &&
		    R.g[g].cut == P.g[g].cut && R.g[g].lo == P.g[g].lo &&
		    R.g[g].hi == P.g[g].hi && R.g[g].cut_hash ==
		    P.g[g].cut_hash && memcmp(R.g[g].bin_keep,
		    P.g[g].bin_keep, 3 * sizeof(size_t)) == 0 &&
		    memcmp(R.g[g].bin_hash, P.g[g].bin_hash,
		    3 * sizeof(uint64_t)) == 0,
		    "group %zu: every boundary, count and hash", g);
	nsl_prune_plan_release(&R);
	nsl_prune_plan_release(&P);
}

/* Partition with a budget of 40 bytes: a write every record or two. */
static void
test_partition_flushes(void)
{
	struct nsl_prune_plan P;
	struct nsl_npy_out o;
	struct nsl_writer *w;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	const char *vec[1];
	char line[64];
	double row[2];
	int i, ok = 1;
	FILE *f;

	put("m3.jsonl", "{\"nsl\":\"score-model\",\"metric\":\"prototype\","
	    "\"d\":2,\"rows\":3,\"center\":\"mean\",\"neighbours\":10}\n"
	    "{\"row\":[1,0]}\n{\"row\":[0,1]}\n{\"row\":[-1,0]}\n");
	f = fopen(path("r.jsonl"), "w");
	nsl_npy_out_init(&o, NSL_NPY_F4, 2);
	for (i = 0; i < 30; i++) {
		fprintf(f, "{\"id\":%d,\"cluster\":%d}\n", i, i % 3);
		row[0] = i;
		row[1] = 0.5 * i;
		nsl_npy_out_row(&o, row, 2, &err);
	}
	fclose(f);
	w = nsl_writer_open(path("r.npy"), &err);
	UNIT_CHECK(w != NULL && nsl_npy_out_write(&o, w, &err) == 0 &&
	    nsl_writer_commit(w, &err) == 0, "partition: the rows written");
	nsl_npy_out_release(&o);
	UNIT_CHECK(nsl_prune_plan_read(&P, path("m3.jsonl"), &err) == 0,
	    "partition: a prototype model read as the plan");
	P.part_budget = 40;
	vec[0] = path("r.npy");
	{
		const char *in[1];

		in[0] = path("r.jsonl");
		UNIT_CHECK(nsl_prune_plan_partition(&P, in, 1, "cluster", vec,
		    1, path("parts"), &err) == 0, "partition: done");
	}
	/* cluster 1: records 1, 4, ... 28 in order, rows (i, i / 2) */
	f = fopen(path("parts/1.jsonl"), "r");
	for (i = 1; f != NULL && i < 30; i += 3) {
		snprintf(line, sizeof(line), "{\"id\":%d,\"cluster\":1}\n",
		    i);
		nsl_buf_reset(&b);
		nsl_buf_adds(&b, line);
		if (fgets(line, sizeof(line), f) == NULL ||
		    strcmp(line, b.data) != 0)
			ok = 0;
	}
	UNIT_CHECK(f != NULL && ok && fgets(line, sizeof(line), f) == NULL,
	    "partition: a cluster's lines whole and in order over many "
	    "writes");
	if (f != NULL)
		fclose(f);
	{
		struct nsl_npy_map m;

		ok = nsl_npy_map_open(&m, path("parts/1.npy"), &err) == 0 &&
		    m.a.rows == 10 && m.a.ncols == 2 && m.a.kind == 'f' &&
		    m.a.itemsize == 4;
		for (i = 0; ok && i < 10; i++)
			ok = nsl_npy_map_row(&m, (uint64_t)i, row, &err) == 0 &&
			    row[0] == 3 * i + 1 && row[1] == 0.5 * (3 * i + 1);
		nsl_npy_map_close(&m);
	}
	UNIT_CHECK(ok, "partition: a cluster's float32 rows whole, its "
	    "header's count right, over many writes");
	nsl_buf_release(&b);
	nsl_prune_plan_release(&P);
}

int
main(void)
{
	if ((dir = unit_tmpdir("shards")) == NULL)
		return 1;
	test_hash();
	test_model_pair();
	test_plan_pair();
	test_partition_flushes();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done();
}
