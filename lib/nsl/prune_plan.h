/*
 * prune_plan.h - one selection over many shards: a small plan built in a
 * first pass over every shard's scores, applied to each shard alone.
 *
 * A plan picks exactly the records nsl-prune would pick from the shards
 * as one file, with one change of rule: ties are broken by a seeded hash
 * of each record's id (the canonical text of its id field, see
 * nsl/labels.h), never by input order, so the selection is the same for
 * any order and any split of the shards.  Per group (--by) the plan
 * holds the budget (nsl_prune_budgets: the same counts as one file) and
 * the boundary of the selection in a total order of the records:
 *  - hard: score descending, then hash ascending; the m-th record's
 *    (score, hash) is the boundary; easy: score ascending, then hash;
 *  - random: hash ascending (the m smallest hashes are a uniform subset);
 *  - stratified (CCS): the cutoff's boundary in the hard order, the
 *    strata's range [lo, hi] over the records left, and per stratum its
 *    allocation (nsl_prune_ccs_allocate) and the boundary of that many
 *    smallest hashes among its records.
 * A record is kept iff it lies at or before its group's boundary, so
 * every group keeps exactly its budget.  Two records of one group with
 * the same id are refused (their order would not be total).
 *
 * The plan file (JSONL, write/parse pair below): a header
 *	{"nsl":"prune-plan","strategy":"hard","seed":"42","score_field":
 *	 "score","id_field":"id","by":null,"strata":50,"groups":1}
 * then one line a group, in the groups' sorted order:
 *	{"group":null,"n":10,"keep":3,"score":0.5,"hash":"00ab..."}
 * (stratified: "cut", "cut_score", "cut_hash", "lo", "hi", "bin_keep"
 * and "bin_hash" instead of "score" and "hash"); hashes and the seed are
 * strings of 16 hex digits, as JSON numbers do not hold 64 bits.
 *
 * SemDeDup (dedup) has no budget; its plan is the prototype model of
 * nsl-score (nsl/score_model.h) fitted with dedup's --k, --iters and
 * --seed: its centroids are the whole set's k-means centres, so records
 * split by their cluster and deduplicated part by part (in input order
 * within each part) keep what the one-process dedup keeps.
 * nsl_prune_plan_read() takes such a model file as a dedup plan.
 *
 * Memory: building reads every record's score, hash and group, 24 bytes
 * a record, and sorts them (the C library's sort copies them): about
 * 48 n bytes at the peak for n records, plus the groups' table.
 * Applying holds the plan (groups x strata numbers) and one record.
 */
#ifndef NSL_PRUNE_PLAN_H
#define NSL_PRUNE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "prune.h"

struct nsl_labels;

struct nsl_prune_plan_group {
	size_t n, keep;		/* records, budget */
	double score;		/* boundary (hard, easy) */
	uint64_t hash;
	size_t cut;		/* stratified */
	double cut_score, lo, hi;
	uint64_t cut_hash;
	size_t *bin_keep;	/* strata entries */
	uint64_t *bin_hash;
};

struct nsl_prune_plan {
	struct nsl_prune_params p;
	double *centroids;	/* dedup: k x d unit centres, owned */
	size_t k, d;
	char *score_field, *id_field, *by;	/* owned; by may be NULL */
	size_t ngroups;
	struct nsl_prune_plan_group *g;
	struct nsl_labels *groups;	/* with by: row g's group key */
	size_t part_budget;	/* --partition's buffers in bytes before
				 * they are written; 0: 32 MB */
};

void nsl_prune_plan_init(struct nsl_prune_plan *);
void nsl_prune_plan_release(struct nsl_prune_plan *);

/* NULL if the job's strategy has a plan (not dedup, no vectors), else a
 * message. */
const char *nsl_prune_plan_check(const struct nsl_prune_job *);

/*
 * The first pass: read the records of paths (none: standard input) and
 * build the plan of job J with id_field as the id.  Returns 0, or -1
 * with err set (at the file and line of a bad record).
 */
int nsl_prune_plan_build(struct nsl_prune_plan *, const struct nsl_prune_job *J,
    const char *id_field, const char *const *paths, size_t npaths,
    struct nsl_err *err);

/* The pair: write the plan to path (atomically); read it from path. */
int nsl_prune_plan_write(const struct nsl_prune_plan *, const char *path,
    struct nsl_err *err);
int nsl_prune_plan_read(struct nsl_prune_plan *, const char *path,
    struct nsl_err *err);

/*
 * The second pass, per shard: write the lines of the records of paths
 * that the plan keeps, unchanged and in input order, to output (NULL:
 * standard output).  A record of a group the plan does not know is an
 * error.  A dedup plan reads the vectors of field, or with nvectors > 0
 * the rows of vectors[f] for the records of paths[f] (nsl/dataset.h:
 * counts and widths checked), (memory: the records' n x d numbers, 8 n d
 * bytes, as nsl-prune's dedup) and drops near-duplicates by P->p.eps
 * within each cluster of its centres (set eps before the call).  Other
 * plans read no vectors: nvectors > 0 is NSL_EX_USAGE.
 */
int nsl_prune_plan_apply(const struct nsl_prune_plan *,
    const char *const *paths, size_t npaths, const char *field,
    const char *const *vectors, size_t nvectors, const char *output,
    struct nsl_err *err);

/*
 * SemDeDup at scale, the step between scoring and the per-cluster
 * dedup: the records of paths (each with its cluster index in
 * cluster_field, as nsl-score --model with this plan's model wrote it)
 * split by cluster into dir/C.jsonl, their lines unchanged, and with
 * nvectors > 0 their .npy rows (vectors[f] beside paths[f]) into
 * dir/C.npy, rows in the order of the records: float32 when every input
 * is float32 (values unchanged), else float64.  Clusters with no record
 * get no file; dir is made if missing, other files in it are left.  An
 * index outside [0, k), a missing field or a row count that differs is
 * NSL_EX_DATAERR at the record's file and line, and a failed partition
 * removes the parts it wrote (and dir, if it made it).  Memory: a 32 MB budget of buffers (64 MB
 * at most as they grow), k small headers and 1 MB of each mapped .npy,
 * whatever n and d; one output file open at a time.
 */
int nsl_prune_plan_partition(const struct nsl_prune_plan *,
    const char *const *paths, size_t npaths, const char *cluster_field,
    const char *const *vectors, size_t nvectors, const char *dir,
    struct nsl_err *err);

/*
 * nsl-prune --plan: read the plan at path, give a dedup plan the
 * command line's eps, and partition paths into dir (dir not NULL) or
 * apply the plan to them (nsl_prune_plan_apply, to output).
 */
int nsl_prune_plan_run(const char *path, double eps,
    const char *const *paths, size_t npaths, const char *field,
    const char *cluster_field, const char *const *vectors, size_t nvectors,
    const char *dir, const char *output, struct nsl_err *err);

#endif
