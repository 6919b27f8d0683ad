/*
 * prune.h - choose which records of a scored set to keep.
 *
 * The selection works on record indices 0..n-1 (input order) and a score
 * per record (higher = harder, the nsl convention); it never sees the
 * records' bytes, so memory grows with n only (nsl/spool.h brings the
 * chosen records back).  The result is a keep[] flag per record; the
 * output is written in input order by the caller.
 *
 * Invariants:
 *  - Counts from fractions: a fraction F of n records is round(F * n),
 *    halves rounded up (so 0.29 of 100 is 29, although 0.29 * 100 is
 *    28.999999999999996 in binary).
 *  - Ties are broken by input order: hard keeps the earlier of two equal
 *    scores first, easy likewise, and the stratified cutoff drops the
 *    earlier first.  random and stratified draw from nsl_rng_new(seed,
 *    group rank), so the same seed gives the same subset whatever the
 *    other groups hold.
 *  - Groups (--by): each group g of n_g records keeps round(F * n_g)
 *    (--keep-fraction; at least 1 when n_g > 0, unless a stratified
 *    cutoff leaves the group none) or, for --keep N, its share
 *    N * n_g / n rounded by the largest-remainder method so that the
 *    shares sum to N (ties among remainders to the lower group rank).
 *  - Strategies never keep more than the budget; stratified (CCS) and
 *    the others keep exactly the budget; dedup has no budget (--eps
 *    decides).
 *
 * No function here prints or exits; failures return -1 with err set.
 * Arrays passed in are borrowed; arrays filled are the caller's.
 */
#ifndef NSL_PRUNE_H
#define NSL_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum nsl_prune_strategy {
	NSL_PRUNE_HARD,		/* highest scores */
	NSL_PRUNE_EASY,		/* lowest scores */
	NSL_PRUNE_RANDOM,	/* uniform without replacement */
	NSL_PRUNE_STRATIFIED,	/* CCS, Zheng et al. 2023, Algorithm 1 */
	NSL_PRUNE_DEDUP,	/* SemDeDup, Abbas et al. 2023 */
	NSL_PRUNE_KCENTER,	/* k-center greedy (nsl/coreset.h) */
	NSL_PRUNE_HERDING,	/* herding */
	NSL_PRUNE_FACILITY,	/* facility location, lazy greedy */
	NSL_PRUNE_FACILITY_STOCHASTIC	/* the same, stochastic greedy */
};

#define NSL_PRUNE_DEFAULT_STRATA 50
#define NSL_PRUNE_DEFAULT_CUTOFF 0.0
#define NSL_PRUNE_DEFAULT_ITERS 100

struct nsl_prune_params {
	enum nsl_prune_strategy strategy;
	int by_count;		/* 1: keep_count records; 0: fraction */
	double fraction;	/* in (0, 1] */
	uint64_t keep_count;
	uint64_t seed;
	double cutoff;		/* stratified: hardest fraction dropped, [0, 1) */
	size_t strata;		/* stratified: equal-width bins, >= 1 */
	double eps;		/* dedup: drop if cosine similarity > 1 - eps;
				 * facility-stochastic: the sample's eps */
	size_t k;		/* dedup: k-means clusters per group */
	int max_iter;		/* dedup: Lloyd iterations */
};

/* Defaults: hard, fraction 1, strata 50, cutoff 0, k 0, eps -1 (unset). */
void nsl_prune_params_init(struct nsl_prune_params *);

/*
 * The catalogue of strategies: one row each, indexed by enum
 * nsl_prune_strategy.  A row says what the strategy reads and does
 * (needs) and holds its selection within one group (select; NULL for
 * dedup, which works on vectors by nsl_prune_dedup and has no budget).
 * The coreset rows (NSL_PRUNE_NEEDS_EMBEDDING: k-center, herding,
 * facility-location, facility-stochastic) read the vectors and keep the
 * budget exactly; nsl/coreset.h states their rules.  k-center starts
 * from a row drawn uniformly from the group's stream of --seed,
 * facility-stochastic draws its samples from it.
 */
enum nsl_prune_needs {
	NSL_PRUNE_NEEDS_SCORE = 1 << 0,	/* the score */
	NSL_PRUNE_NEEDS_VECTOR = 1 << 1,	/* the vectors; no budget */
	NSL_PRUNE_DRAWS = 1 << 2,	/* random draws from --seed */
	NSL_PRUNE_STRATA = 1 << 3,	/* --cutoff and --strata apply */
	NSL_PRUNE_NEEDS_EMBEDDING = 1 << 4,	/* the vectors and a budget */
	NSL_PRUNE_SAMPLES = 1 << 5	/* --eps sets a sample's size */
};

struct nsl_prune_group;		/* one group's selection (lib/prune.c) */

struct nsl_prune_strategy_def {
	const char *name;	/* the command-line name: "hard" */
	const char *help;	/* one line for --list-strategies */
	unsigned needs;		/* enum nsl_prune_needs */
	int (*select)(const struct nsl_prune_group *, struct nsl_err *);
};

/* Row s of the catalogue (borrowed, static), or NULL past the last. */
const struct nsl_prune_strategy_def *nsl_prune_strategy_get(int s);

/* "hard" ... "dedup" into *out; returns 0, or -1 for an unknown name. */
int nsl_prune_strategy_parse(const char *name, enum nsl_prune_strategy *out);
const char *nsl_prune_strategy_name(enum nsl_prune_strategy);

/* NULL if the parameters are consistent, otherwise a message. */
const char *nsl_prune_check(const struct nsl_prune_params *);

/*
 * How many to keep (--keep-fraction, --keep), given `given` times: once
 * for a strategy that selects, never for one that keeps what its --eps
 * leaves (dedup).  NULL, or a message (a static buffer for the latter).
 */
const char *nsl_prune_keep_check(const struct nsl_prune_params *, int given);

/* round(f * n), halves up, for f in [0, 1]. */
uint64_t nsl_prune_count(double f, uint64_t n);

/*
 * Budgets of ngroups groups of gsize[] records (see the invariants):
 * fills budget[].  Returns 0, or -1 with err set when --keep N exceeds
 * the total or a stratified budget does not fit beside its cutoff.
 */
int nsl_prune_budgets(const struct nsl_prune_params *, const size_t *gsize,
    size_t ngroups, size_t *budget, struct nsl_err *err);

/*
 * CCS budget allocation (Zheng et al. 2023, Algorithm 1, lines 4-10):
 * strata of bin_size[0..nbins) records and a budget m; repeatedly take the
 * smallest remaining stratum (ties: lower index) and give it
 * min(its size, floor(m_left / strata_left)).  Fills alloc[] and returns
 * the total allocated, which is min(m, sum of sizes), or (size_t)-1 if
 * out of memory.
 */
size_t nsl_prune_ccs_allocate(const size_t *bin_size, size_t nbins,
    size_t m, size_t *alloc);

/*
 * Stratum of score s among K equal-width bins over [lo, hi]:
 * min(K - 1, floor((s - lo) / (hi - lo) * K)), and 0 when hi == lo.
 */
size_t nsl_prune_bin(double s, double lo, double hi, size_t K);

/*
 * Statistics of one group's selection, for --report.  For stratified,
 * bin_size and bin_alloc (strata entries each, caller-allocated, or NULL)
 * get each stratum's size and allocation.
 */
struct nsl_prune_stats {
	size_t n, kept, cut;	/* records, kept, dropped by the cutoff */
	double kept_lo, kept_hi;	/* score range kept (when kept > 0) */
	double bin_lo, bin_hi;	/* stratified: score range binned */
	size_t *bin_size, *bin_alloc;	/* NULL: not wanted */
};

/*
 * Select within one group: members[0..n) are record indices in increasing
 * order, score[] is indexed by record index, m the budget; sets
 * keep[members[j]] = 1 for the chosen.  stream numbers the group's random
 * stream.  Not for dedup.  stats may be NULL.  The coreset rows need
 * the group's vectors: nsl_prune_select_rows, whose x holds one row of d
 * numbers per member, in members' order (borrowed; score may be NULL).
 */
int nsl_prune_select(const struct nsl_prune_params *, const double *score,
    const size_t *members, size_t n, size_t m, uint64_t stream,
    unsigned char *keep, struct nsl_prune_stats *stats, struct nsl_err *err);
int nsl_prune_select_rows(const struct nsl_prune_params *,
    const double *score, const double *x, size_t d, const size_t *members,
    size_t n, size_t m, uint64_t stream, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err);

/*
 * SemDeDup within one group: x holds one row of d numbers per member, in
 * members' order (x is modified: rows are L2-normalised in place).
 * k-means (k = params->k, k-means++ seeded from (seed, stream)) on the
 * normalised rows; in each cluster the members are visited from the
 * farthest from the centroid to the nearest (ties: input order) and one is
 * kept unless its cosine similarity to a member already kept exceeds
 * 1 - eps.  Sets keep[members[j]].  Returns 0, or -1 with err set (k > n).
 */
int nsl_prune_dedup(const struct nsl_prune_params *, double *x, size_t d,
    const size_t *members, size_t n, uint64_t stream, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err);

/*
 * SemDeDup's selection alone, on given centres: x (n x d) holds unit rows
 * (L2-normalised by the caller), centroids k x d.  Each row goes to its
 * nearest centre (nsl_kmeans_assign) and the clusters are deduplicated
 * as nsl_prune_dedup does.  So a set split by cluster and deduplicated
 * part by part with the same centres keeps what the whole set keeps.
 */
int nsl_prune_dedup_assigned(const struct nsl_prune_params *, const double *x,
    size_t d, const size_t *members, size_t n, const double *centroids,
    size_t k, unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err);

/*
 * The same two on float32 rows xf (n x d, borrowed, not modified): row i
 * is read as the doubles (double)xf / div[i], div[i] its norm as
 * nsl_kmeans_unit_divisors() gives it, which are the very unit rows
 * nsl_vec_normalize_rows() makes of the widened row.  Every computation
 * reads those doubles as the double calls read theirs, so what is kept
 * is the same, bit for bit: the rows take half the bytes and no
 * normalised copy is made.  nsl_prune_dedup_f32 works out the divisors
 * itself (n doubles); nsl_prune_dedup_assigned_f32 takes them.
 */
int nsl_prune_dedup_f32(const struct nsl_prune_params *, const float *xf,
    size_t d, const size_t *members, size_t n, uint64_t stream,
    unsigned char *keep, struct nsl_prune_stats *stats, struct nsl_err *err);
int nsl_prune_dedup_assigned_f32(const struct nsl_prune_params *,
    const float *xf, const double *div, size_t d, const size_t *members,
    size_t n, const double *centroids, size_t k, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err);

/*
 * Whole set: n records with score[] (may be NULL for dedup), group[] in
 * [0, ngroups) (NULL: one group) where group numbers are the groups'
 * ranks (they also number the random streams), x (n x d, for dedup,
 * which modifies it, and the coreset rows).  Fills keep[n] and, if not NULL, stats[ngroups] (whose
 * bin_size/bin_alloc the caller may point at strata-long arrays).  An
 * error about one group names it through names[g] when names is given.
 */
int nsl_prune_run(const struct nsl_prune_params *, size_t n,
    const double *score, const size_t *group, size_t ngroups,
    const char *const *names, double *x, size_t d, unsigned char *keep,
    struct nsl_prune_stats *stats, struct nsl_err *err);

/*
 * nsl_prune_run on float32 rows xf (not modified): dedup reads them as
 * nsl_prune_dedup_f32 does, a coreset strategy as nsl_coreset_*_f32 do
 * (each group's rows gathered, still float32, when there are groups).
 * Results are those of nsl_prune_run on the widened rows, bit for bit.
 */
int nsl_prune_run_f32(const struct nsl_prune_params *, size_t n,
    const double *score, const size_t *group, size_t ngroups,
    const char *const *names, const float *xf, size_t d,
    unsigned char *keep, struct nsl_prune_stats *stats,
    struct nsl_err *err);

/*
 * A record set as the selection needs it, filled record by record from
 * parsed records: n scores, group numbers and (for dedup) vectors.
 * After nsl_prune_set_finish(), group[i] is the rank of record i's label
 * (see nsl_labels_sort) and names[g] each group's label text; with
 * no label field every record is in group 0 and names is NULL.  The set
 * owns its arrays.
 */
struct nsl_buf;
struct nsl_labels;
struct nsl_rec;

struct nsl_prune_set {
	size_t n;
	double *score;		/* n entries (0 when no score field) */
	size_t *group;		/* n entries; NULL when not grouped */
	double *x;		/* n x d, only when a vector field is read */
	float *xf;		/* or, with f32, n x d float32 (x NULL) */
	void *xf_map;		/* xf lies in this mapping of one float32
				 * .npy, read in place, or NULL */
	size_t xf_map_len;
	int f32;		/* set by the caller after init: rows in xf
				 * while every number is exactly a float32
				 * ((double)(float)v == v); at the first
				 * that is not, all go to x as doubles */
	size_t d;
	size_t ngroups;
	const char *const *names;	/* borrowed from groups */
	struct nsl_labels *groups;	/* NULL without a label field */
	size_t cap, xcap, vcap;
	size_t xfault;		/* bytes of the rows made present */
	size_t sfault;		/* bytes of score made present */
	double *v;
	size_t *rank;
};

/* grouped: labels will be read.  Returns 0, or -1 if out of memory. */
int nsl_prune_set_init(struct nsl_prune_set *, int grouped);
void nsl_prune_set_release(struct nsl_prune_set *);

/*
 * Add rec: its finite number score_field (unless NULL), its finite
 * vector vec_field (unless NULL; all of one length) and its label in
 * by (unless NULL).  Returns 0, or -1 with err set naming the field
 * (the caller places it at the file and line).
 */
int nsl_prune_set_add(struct nsl_prune_set *, const struct nsl_rec *rec,
    const char *score_field, const char *vec_field, const char *by,
    struct nsl_err *err);

/*
 * nsl_prune_set_add with the vector from row `row` of V's .npy for input
 * `file` when V is not NULL (vec_field is then not read; that row's
 * pages are given back after, nsl_npy_map_drop), from vec_field
 * otherwise.  Returns as nsl_prune_set_add.
 */
struct nsl_dataset_vectors;
int nsl_prune_set_add_from(struct nsl_prune_set *, const struct nsl_rec *rec,
    struct nsl_dataset_vectors *V, size_t file, uint64_t row,
    const char *score_field, const char *vec_field, const char *by,
    struct nsl_err *err);

/*
 * The vector of the record added next, from elsewhere than its fields
 * (a .npy row): v[0..len) onto the end of x, copied.  Call it before
 * nsl_prune_set_add with no vec_field.  Returns 0, or -1 if out of
 * memory.
 */
int nsl_prune_set_add_row(struct nsl_prune_set *, const double *v,
    size_t len, struct nsl_err *err);

/* Number the groups by rank.  Returns 0, or -1 with err set. */
int nsl_prune_set_finish(struct nsl_prune_set *, struct nsl_err *err);

/*
 * Append the --report text to out, each line starting with prefix: per
 * group (named when names is not NULL) the records kept of its total,
 * the score range kept (not for dedup), and for stratified the number
 * cut and each stratum's kept and size (when stats have them).
 */
void nsl_prune_report(struct nsl_buf *out, const char *prefix,
    const struct nsl_prune_params *, const struct nsl_prune_stats *stats,
    size_t ngroups, const char *const *names);

/*
 * The whole of nsl-prune: read the records of paths[0..npaths) (none:
 * standard input) through a spool, keeping each one's score (or vector,
 * for dedup) and group; choose by p; write the chosen records' own lines
 * in input order to output (NULL: standard output; atomically); and, if
 * report is not NULL, append the --report text (lines starting with
 * report_prefix).  progress, if set, is called now and then with the
 * records read so far and once with (uint64_t)-1 when reading ends.
 * Returns 0, or -1 with err set (at the file and line of a bad record).
 */
struct nsl_prune_job {
	struct nsl_prune_params p;
	const char *score_field;	/* "score" */
	const char *field;		/* dedup's vectors: "embedding" */
	/* or the vectors from .npy files, one beside each input
	 * (nsl/dataset.h), the field not read */
	const char *const *vectors;
	size_t nvectors;
	const char *by;			/* group field, or NULL */
	const char *output;		/* NULL: standard output */
	int allow_nonfinite;
	const char *report_prefix;	/* "nsl-prune: " */
	void (*progress)(void *, uint64_t);
	void *progress_arg;
};

int nsl_prune_files(const struct nsl_prune_job *, const char *const *paths,
    size_t npaths, struct nsl_buf *report, struct nsl_err *err);

#endif
