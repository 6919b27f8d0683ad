/*
 * prune_plan.c - a selection plan over shards (see nsl/prune_plan.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/dataset.h"
#include "nsl/hash.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/kmeans.h"
#include "nsl/labels.h"
#include "nsl/mem.h"
#include "nsl/npy.h"
#include "nsl/prune.h"
#include "nsl/prune_plan.h"
#include "nsl/score.h"
#include "nsl/score_model.h"
#include "nsl/sort.h"
#include "nsl/spool.h"
#include "nsl/vec.h"

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

void
nsl_prune_plan_init(struct nsl_prune_plan *P)
{
	memset(P, 0, sizeof(*P));
	nsl_prune_params_init(&P->p);
}

void
nsl_prune_plan_release(struct nsl_prune_plan *P)
{
	size_t g;

	for (g = 0; P->g != NULL && g < P->ngroups; g++) {
		free(P->g[g].bin_keep);
		free(P->g[g].bin_hash);
	}
	free(P->g);
	free(P->centroids);
	free(P->score_field);
	free(P->id_field);
	free(P->by);
	nsl_labels_free(P->groups);
	nsl_prune_plan_init(P);
}

const char *
nsl_prune_plan_check(const struct nsl_prune_job *J)
{
	if (J->nvectors > 0)	/* a plan reads scores, ids and groups */
		return "--vectors: not with --save-plan";
	if (J->p.strategy == NSL_PRUNE_DEDUP)
		return "dedup has no plan: it keeps what --eps leaves";
	/* a plan is thresholds on one number a record carries; the coreset
	 * strategies choose by geometry over the whole set */
	if (J->p.strategy != NSL_PRUNE_HARD && J->p.strategy != NSL_PRUNE_EASY &&
	    J->p.strategy != NSL_PRUNE_RANDOM &&
	    J->p.strategy != NSL_PRUNE_STRATIFIED)
		return "--save-plan: a plan is for hard, easy, random and "
		    "stratified (the coreset strategies need the whole set)";
	return NULL;
}

/* One record as the plan sees it. */
struct key {
	double s;
	uint64_t h;
	size_t g;
};

/*
 * The plan's orders: group, then score descending (KEY_HARD) or
 * ascending (KEY_EASY) or not at all (KEY_HASH), then hash.  Scores are
 * never NaN here (record_score refuses them).
 */
enum { KEY_HARD, KEY_EASY, KEY_HASH };

static inline int
key_before(const struct key *a, const struct key *b, int how)
{
	if (a->g != b->g)
		return a->g < b->g;
	if (how != KEY_HASH && a->s != b->s)
		return how == KEY_HARD ? a->s > b->s : a->s < b->s;
	return a->h < b->h;
}

NSL_SORT_DEFINE(key_sort, struct key, key_before)

static int
cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/* Is a before or at the boundary (s, h) in the strategy's order? */
static int
at_or_before(enum nsl_prune_strategy st, double s, uint64_t h, double bs,
    uint64_t bh)
{
	if (st == NSL_PRUNE_RANDOM)
		return h <= bh;
	if (s != bs)
		return st == NSL_PRUNE_EASY ? s < bs : s > bs;
	return h <= bh;
}

/* The hash of rec's id; the group's key into key when by is set. */
static int
record_key(const struct nsl_rec *rec, const char *id_field, uint64_t seed,
    struct nsl_buf *b, uint64_t *h, struct nsl_err *err)
{
	long f = nsl_rec_require(rec, id_field, err);

	if (f < 0 || nsl_labels_key_at(rec, (size_t)f, NSL_LABELS_LITERALS, b,
	    err) < 0)
		return -1;
	*h = nsl_hash64_seeded(seed, b->data, b->len);
	return 0;
}

static int
record_score(const struct nsl_rec *rec, const char *field, double *s,
    struct nsl_err *err)
{
	long f = nsl_rec_require(rec, field, err);

	if (f < 0 || nsl_rec_number(rec, (size_t)f, s, err) < 0)
		return -1;
	if (!isfinite(*s))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": score "
		    "is not a finite number", field);
	return 0;
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Stratified: the cut, the range, the strata and their boundaries. */
static int
plan_strata(const struct nsl_prune_params *p, struct key *o, size_t n,
    size_t m, struct nsl_prune_plan_group *G, struct nsl_err *err)
{
	size_t K = p->strata, left, i, b, *size, *start, *fill;
	uint64_t *hs;
	int rc = -1;

	G->cut = (size_t)nsl_prune_count(p->cutoff, n);
	left = n - G->cut;
	if (m > left)
		return nsl_err_set(err, NSL_EX_DATAERR, "budget of %zu records "
		    "exceeds the %zu left after --cutoff dropped %zu", m, left,
		    G->cut);
	G->bin_keep = calloc(K, sizeof(*G->bin_keep));
	G->bin_hash = calloc(K, sizeof(*G->bin_hash));
	if (G->bin_keep == NULL || G->bin_hash == NULL)
		return oom(err);
	if (G->cut > 0) {
		G->cut_score = o[G->cut - 1].s;
		G->cut_hash = o[G->cut - 1].h;
	}
	if (left == 0 || m == 0)
		return 0;
	G->hi = o[G->cut].s;
	G->lo = o[n - 1].s;
	size = calloc(K, sizeof(*size));
	start = calloc(K + 1, sizeof(*start));
	fill = calloc(K, sizeof(*fill));
	hs = malloc(left * sizeof(*hs));
	if (size == NULL || start == NULL || fill == NULL || hs == NULL) {
		oom(err);
		goto out;
	}
	for (i = G->cut; i < n; i++)
		size[nsl_prune_bin(o[i].s, G->lo, G->hi, K)]++;
	for (b = 0; b < K; b++)
		start[b + 1] = start[b] + size[b];
	for (i = G->cut; i < n; i++) {
		b = nsl_prune_bin(o[i].s, G->lo, G->hi, K);
		hs[start[b] + fill[b]++] = o[i].h;
	}
	if (nsl_prune_ccs_allocate(size, K, m, G->bin_keep) != m) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "CCS allocation fell short");
		goto out;
	}
	/* each stratum's draw: its bin_keep smallest hashes */
	for (b = 0; b < K; b++) {
		qsort(hs + start[b], size[b], sizeof(*hs), cmp_u64);
		for (i = 1; i < size[b]; i++)
			if (hs[start[b] + i] == hs[start[b] + i - 1]) {
				nsl_err_set(err, NSL_EX_DATAERR, "two records "
				    "share an id");
				goto out;
			}
		if (G->bin_keep[b] > 0)
			G->bin_hash[b] = hs[start[b] + G->bin_keep[b] - 1];
	}
	rc = 0;
out:
	free(size);
	free(start);
	free(fill);
	free(hs);
	return rc;
}

/* Plan every group from the keys, sorted in place. */
static int
plan_groups(struct nsl_prune_plan *P, struct key *k, size_t n,
    struct nsl_err *err)
{
	const struct nsl_prune_params *p = &P->p;
	size_t *gsize, *budget, g, i, at = 0;
	int rc = -1;

	gsize = calloc(P->ngroups + 1, sizeof(*gsize));
	budget = calloc(P->ngroups + 1, sizeof(*budget));
	P->g = calloc(P->ngroups + 1, sizeof(*P->g));
	if (gsize == NULL || budget == NULL || P->g == NULL) {
		oom(err);
		goto out;
	}
	for (i = 0; i < n; i++)
		gsize[k[i].g]++;
	if (nsl_prune_budgets(p, gsize, P->ngroups, budget, err) < 0)
		goto out;
	key_sort(k, n, p->strategy == NSL_PRUNE_EASY ? KEY_EASY :
	    p->strategy == NSL_PRUNE_RANDOM ? KEY_HASH : KEY_HARD);
	for (g = 0; g < P->ngroups; at += gsize[g], g++) {
		struct nsl_prune_plan_group *G = &P->g[g];
		struct key *o = k + at;

		G->n = gsize[g];
		G->keep = budget[g];
		for (i = 1; i < G->n; i++)
			if (o[i].h == o[i - 1].h && (o[i].s == o[i - 1].s ||
			    p->strategy == NSL_PRUNE_RANDOM)) {
				nsl_err_set(err, NSL_EX_DATAERR, "two records "
				    "share an id: a plan needs unique ids");
				goto name;
			}
		if (p->strategy == NSL_PRUNE_STRATIFIED) {
			if (plan_strata(p, o, G->n, G->keep, G, err) < 0)
				goto name;
		} else if (G->keep > 0) {
			G->score = o[G->keep - 1].s;
			G->hash = o[G->keep - 1].h;
		}
	}
	rc = 0;
	goto out;
name:
	if (P->by != NULL) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		nsl_err_set(err, err->code, "group %.100s: %.300s",
		    nsl_labels_names(P->groups)[g], msg);
	}
out:
	free(gsize);
	free(budget);
	return rc;
}

/* nsl_prune_plan_build's visit of each record: its key, score, group */
struct building {
	const struct nsl_prune_job *J;
	struct nsl_prune_plan *P;
	const char *id_field;
	int scored;
	struct key *k;
	size_t n, cap, kfault;
	struct nsl_buf b;
};

static int
build_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct building *B = arg;
	const struct nsl_prune_job *J = B->J;
	struct key *k;
	long g = 0;

	(void)lineno;	/* errors placed by the batch */
	(void)hash;
	if (B->n == B->cap) {
		size_t cap = B->cap ? 2 * B->cap : 4096;

		if ((k = realloc(B->k, cap * sizeof(*k))) == NULL)
			return oom(err);
		B->k = k;
		B->cap = cap;
	}
	/* appended in order: pages made present ahead */
	nsl_mem_prefault_ahead(B->k, &B->kfault, (B->n + 1) * sizeof(*k),
	    B->cap * sizeof(*k));
	k = &B->k[B->n];
	k->s = 0;
	if ((B->scored && record_score(rec, J->score_field, &k->s,
	    err) < 0) || record_key(rec, B->id_field, J->p.seed, &B->b,
	    &k->h, err) < 0 || (J->by != NULL && (g = nsl_labels_add(
	    B->P->groups, rec, J->by, err)) < 0))
		return -1;
	k->g = (size_t)g;
	B->n++;
	return 0;
}

int
nsl_prune_plan_build(struct nsl_prune_plan *P, const struct nsl_prune_job *J,
    const char *id_field, const char *const *paths, size_t npaths,
    struct nsl_err *err)
{
	struct building B;
	struct key *k = NULL;
	struct nsl_rec rec;
	size_t n = 0, i, *rank = NULL;
	int rc = -1;

	memset(&B, 0, sizeof(B));
	B.J = J;
	B.P = P;
	B.id_field = id_field;
	B.scored = J->p.strategy != NSL_PRUNE_RANDOM;
	nsl_buf_init(&B.b);
	nsl_prune_plan_init(P);
	P->p = J->p;
	P->score_field = strdup_or_null(J->score_field);
	P->id_field = strdup_or_null(id_field);
	P->by = strdup_or_null(J->by);
	nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS);	/* scores only */
	if (P->score_field == NULL || P->id_field == NULL ||
	    (J->by != NULL && (P->by == NULL || (P->groups =
	    nsl_labels_new_flags(NSL_LABELS_LITERALS)) == NULL))) {
		oom(err);
		goto out;
	}
	/* parsed on every thread, visited in order (nsl/batch.h) */
	rc = nsl_batch_paths(paths, npaths, &rec, build_one, NULL, &B, err);
	k = B.k;
	n = B.n;
	if (rc < 0)
		goto out;
	rc = -1;
	P->ngroups = J->by != NULL ? nsl_labels_count(P->groups) : 1;
	if (J->by != NULL) {
		/* groups by sorted rank: the order of any split */
		if ((rank = malloc((P->ngroups + 1) * sizeof(*rank))) == NULL) {
			oom(err);
			goto out;
		}
		if (nsl_labels_sort(P->groups, rank, err) < 0)
			goto out;
		for (i = 0; i < n; i++)
			k[i].g = rank[k[i].g];
	}
	rc = plan_groups(P, k, n, err);
out:
	free(k);
	free(rank);
	nsl_buf_release(&B.b);
	nsl_rec_release(&rec);
	if (rc < 0)
		nsl_prune_plan_release(P);
	return rc;
}

/* 16 hex digits (the plan's hashes and seed) into *h. */
static int
parse_hash(const char *s, const char *key, uint64_t *h, struct nsl_err *err)
{
	char *end;

	if (strlen(s) != 16 || strspn(s, "0123456789abcdef") != 16)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected 16 hex digits", key);
	*h = (uint64_t)strtoull(s, &end, 16);
	return 0;
}

static void
put_hash(struct nsl_obj *o, const char *key, uint64_t h)
{
	char s[24];

	snprintf(s, sizeof(s), "%016llx", (unsigned long long)h);
	nsl_obj_key(o, key);
	nsl_obj_string(o, s);
}

int
nsl_prune_plan_write(const struct nsl_prune_plan *P, const char *path,
    struct nsl_err *err)
{
	const char *const *names = P->groups != NULL ?
	    nsl_labels_names(P->groups) : NULL;
	int strat = P->p.strategy == NSL_PRUNE_STRATIFIED;
	struct nsl_buf b = NSL_BUF_INIT, t = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_obj o;
	size_t g, j;

	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "nsl");
	nsl_obj_string(&o, "prune-plan");
	nsl_obj_key(&o, "strategy");
	nsl_obj_string(&o, nsl_prune_strategy_name(P->p.strategy));
	put_hash(&o, "seed", P->p.seed);
	nsl_obj_key(&o, "score_field");
	nsl_obj_string(&o, P->score_field);
	nsl_obj_key(&o, "id_field");
	nsl_obj_string(&o, P->id_field);
	nsl_obj_key(&o, "by");
	if (P->by != NULL)
		nsl_obj_string(&o, P->by);
	else
		nsl_obj_null(&o);
	nsl_obj_key(&o, "strata");
	nsl_obj_integer(&o, (long long)P->p.strata);
	nsl_obj_key(&o, "groups");
	nsl_obj_integer(&o, (long long)P->ngroups);
	nsl_obj_end(&o);
	for (g = 0; g < P->ngroups; g++) {
		const struct nsl_prune_plan_group *G = &P->g[g];

		nsl_obj_begin(&o, &b);
		nsl_obj_key(&o, "group");
		if (names != NULL)
			nsl_obj_raw(&o, names[g], strlen(names[g]));
		else
			nsl_obj_null(&o);
		nsl_obj_key(&o, "n");
		nsl_obj_integer(&o, (long long)G->n);
		nsl_obj_key(&o, "keep");
		nsl_obj_integer(&o, (long long)G->keep);
		if (!strat) {
			nsl_obj_key(&o, "score");
			nsl_obj_number(&o, G->score);
			put_hash(&o, "hash", G->hash);
			nsl_obj_end(&o);
			continue;
		}
		nsl_obj_key(&o, "cut");
		nsl_obj_integer(&o, (long long)G->cut);
		nsl_obj_key(&o, "cut_score");
		nsl_obj_number(&o, G->cut_score);
		put_hash(&o, "cut_hash", G->cut_hash);
		nsl_obj_key(&o, "lo");
		nsl_obj_number(&o, G->lo);
		nsl_obj_key(&o, "hi");
		nsl_obj_number(&o, G->hi);
		nsl_buf_reset(&t);
		nsl_buf_addc(&t, '[');
		for (j = 0; j < P->p.strata; j++)
			nsl_buf_addf(&t, "%s%zu", j ? "," : "",
			    G->bin_keep[j]);
		nsl_buf_addc(&t, ']');
		nsl_obj_key(&o, "bin_keep");
		nsl_obj_raw(&o, t.data, t.len);
		nsl_buf_reset(&t);
		nsl_buf_addc(&t, '[');
		for (j = 0; j < P->p.strata; j++)
			nsl_buf_addf(&t, "%s\"%016llx\"", j ? "," : "",
			    (unsigned long long)G->bin_hash[j]);
		nsl_buf_addc(&t, ']');
		nsl_obj_key(&o, "bin_hash");
		nsl_obj_raw(&o, t.data, t.len);
		nsl_obj_end(&o);
	}
	if ((w = nsl_writer_open(path, err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, err) < 0) {
		if (w != NULL)
			nsl_writer_abort(w);
		nsl_buf_release(&b);
		nsl_buf_release(&t);
		return -1;
	}
	nsl_buf_release(&b);
	nsl_buf_release(&t);
	return nsl_writer_commit(w, err);
}

/* Member key of rec: 16 hex digits into *h. */
static int
get_hash(const struct nsl_rec *rec, const char *key, struct nsl_buf *b,
    uint64_t *h, struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);

	if (f < 0 || nsl_rec_string(rec, (size_t)f, b, err) < 0)
		return -1;
	return parse_hash(b->data, key, h, err);
}

static int
get_count(const struct nsl_rec *rec, const char *key, size_t *out,
    struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);
	double v;

	if (f < 0 || nsl_rec_number(rec, (size_t)f, &v, err) < 0)
		return -1;
	if (!(v >= 0 && v <= 1e15 && v == floor(v)))
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": expected "
		    "a count", key);
	*out = (size_t)v;
	return 0;
}

static int
get_number(const struct nsl_rec *rec, const char *key, double *out,
    struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);

	return f < 0 ? -1 : nsl_rec_number(rec, (size_t)f, out, err);
}

/* A string member, or NULL for null when nullable. */
static int
get_name(const struct nsl_rec *rec, const char *key, int nullable,
    struct nsl_buf *b, char **out, struct nsl_err *err)
{
	long f = nsl_rec_require(rec, key, err);

	if (f < 0)
		return -1;
	if (nullable && rec->fields[f].type == NSL_JSON_NULL)
		return 0;
	if (nsl_rec_string(rec, (size_t)f, b, err) < 0)
		return -1;
	return (*out = strdup(b->data)) == NULL ? oom(err) : 0;
}

static int
read_header(struct nsl_prune_plan *P, const struct nsl_rec *rec,
    struct nsl_buf *b, struct nsl_err *err)
{
	enum nsl_prune_strategy st;
	char *s = NULL;

	if (get_name(rec, "nsl", 0, b, &s, err) < 0)
		return -1;
	if (strcmp(s, "prune-plan") != 0) {
		free(s);
		return nsl_err_set(err, NSL_EX_DATAERR, "not a prune plan");
	}
	free(s);
	s = NULL;
	if (get_name(rec, "strategy", 0, b, &s, err) < 0)
		return -1;
	if (nsl_prune_strategy_parse(s, &st) < 0 || st == NSL_PRUNE_DEDUP) {
		free(s);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"strategy\": "
		    "not a strategy with a plan");
	}
	free(s);
	P->p.strategy = st;
	if (get_hash(rec, "seed", b, &P->p.seed, err) < 0 ||
	    get_name(rec, "score_field", 0, b, &P->score_field, err) < 0 ||
	    get_name(rec, "id_field", 0, b, &P->id_field, err) < 0 ||
	    get_name(rec, "by", 1, b, &P->by, err) < 0 ||
	    get_count(rec, "strata", &P->p.strata, err) < 0 ||
	    get_count(rec, "groups", &P->ngroups, err) < 0)
		return -1;
	if (P->p.strata < 1 || P->p.strata > 1 << 24 ||
	    (P->by == NULL && P->ngroups != 1))
		return nsl_err_set(err, NSL_EX_DATAERR, "bad \"strata\" or "
		    "\"groups\"");
	if ((P->g = calloc(P->ngroups + 1, sizeof(*P->g))) == NULL ||
	    (P->by != NULL && (P->groups =
	    nsl_labels_new_flags(NSL_LABELS_LITERALS)) == NULL))
		return oom(err);
	return 0;
}

/* The arrays of a stratified group line. */
static int
read_bins(const struct nsl_prune_plan *P, struct nsl_prune_plan_group *G,
    const struct nsl_rec *rec, struct nsl_err *err)
{
	size_t K = P->p.strata, j;
	json_t *a = NULL, *v;
	long f;

	G->bin_keep = calloc(K, sizeof(*G->bin_keep));
	G->bin_hash = calloc(K, sizeof(*G->bin_hash));
	if (G->bin_keep == NULL || G->bin_hash == NULL)
		return oom(err);
	if ((f = nsl_rec_require(rec, "bin_keep", err)) < 0 ||
	    (a = nsl_rec_json(rec, (size_t)f, err)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != K)
		goto bad;
	json_array_foreach(a, j, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto bad;
		G->bin_keep[j] = (size_t)json_integer_value(v);
	}
	json_decref(a);
	if ((f = nsl_rec_require(rec, "bin_hash", err)) < 0 ||
	    (a = nsl_rec_json(rec, (size_t)f, err)) == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != K)
		goto bad;
	json_array_foreach(a, j, v)
		if (!json_is_string(v) || parse_hash(json_string_value(v),
		    "bin_hash", &G->bin_hash[j], err) < 0) {
			json_decref(a);
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"bin_hash\": expected %zu hashes", K);
		}
	json_decref(a);
	return 0;
bad:
	json_decref(a);
	return nsl_err_set(err, NSL_EX_DATAERR, "fields \"bin_keep\" and "
	    "\"bin_hash\": expected %zu counts and %zu hashes", K, K);
}

static int
read_group(struct nsl_prune_plan *P, size_t g, const struct nsl_rec *rec,
    struct nsl_buf *b, struct nsl_err *err)
{
	struct nsl_prune_plan_group *G = &P->g[g];

	if (P->by != NULL) {
		long l = nsl_labels_add(P->groups, rec, "group", err);

		if (l < 0)
			return -1;
		if ((size_t)l != g)
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"group\": a group given twice");
	}
	if (get_count(rec, "n", &G->n, err) < 0 ||
	    get_count(rec, "keep", &G->keep, err) < 0)
		return -1;
	if (G->keep > G->n)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"keep\": more "
		    "than the group's n");
	if (P->p.strategy != NSL_PRUNE_STRATIFIED)
		return get_number(rec, "score", &G->score, err) < 0 ||
		    get_hash(rec, "hash", b, &G->hash, err) < 0 ? -1 : 0;
	if (get_count(rec, "cut", &G->cut, err) < 0 ||
	    get_number(rec, "cut_score", &G->cut_score, err) < 0 ||
	    get_hash(rec, "cut_hash", b, &G->cut_hash, err) < 0 ||
	    get_number(rec, "lo", &G->lo, err) < 0 ||
	    get_number(rec, "hi", &G->hi, err) < 0)
		return -1;
	return read_bins(P, G, rec, err);
}

/* Is rec the header of a score model (a dedup plan)? */
static int
is_model(const struct nsl_rec *rec, struct nsl_buf *b)
{
	long f = nsl_rec_find(rec, "nsl");
	struct nsl_err e;

	return f >= 0 && nsl_rec_string(rec, (size_t)f, b, &e) == 0 &&
	    strcmp(b->data, "score-model") == 0;
}

/* A prototype model as the plan of dedup. */
static int
read_model(struct nsl_prune_plan *P, const char *path, struct nsl_err *err)
{
	struct nsl_score_model M;

	if (nsl_score_model_read(&M, path, err) < 0)
		return -1;
	if (M.metric != NSL_SCORE_PROTOTYPE) {
		nsl_err_set(err, NSL_EX_DATAERR, "%s: a %s model is not a "
		    "dedup plan (prototype is)", path,
		    nsl_score_metric_name(M.metric));
		nsl_score_model_release(&M);
		return -1;
	}
	P->p.strategy = NSL_PRUNE_DEDUP;
	P->centroids = M.x;
	P->k = M.rows;
	P->d = M.d;
	M.x = NULL;
	nsl_score_model_release(&M);
	return 0;
}

int
nsl_prune_plan_read(struct nsl_prune_plan *P, const char *path,
    struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_reader *r;
	struct nsl_rec rec;
	size_t g = 0;
	int got, rc = -1, head = 0;

	nsl_prune_plan_init(P);
	if ((r = nsl_reader_open(path, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, 0);
	while ((got = nsl_rec_read(r, &rec, err)) == 1) {
		if (!head && is_model(&rec, &b)) {
			nsl_reader_close(r);
			nsl_rec_release(&rec);
			nsl_buf_release(&b);
			return read_model(P, path, err);
		}
		if (!head) {
			if (read_header(P, &rec, &b, err) < 0)
				goto place;
			head = 1;
			continue;
		}
		if (g == P->ngroups) {
			nsl_err_set(err, NSL_EX_DATAERR, "more groups than the "
			    "header's %zu", P->ngroups);
			goto place;
		}
		if (read_group(P, g++, &rec, &b, err) < 0)
			goto place;
	}
	if (got < 0)
		goto out;
	if (!head || g != P->ngroups) {
		nsl_err_set(err, NSL_EX_DATAERR, "%s", !head ? "no plan header" :
		    "truncated plan: fewer groups than the header says");
		goto place;
	}
	rc = 0;
	goto out;
place:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
out:
	nsl_reader_close(r);
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
	if (rc < 0)
		nsl_prune_plan_release(P);
	return rc;
}

/* Does the plan keep rec?  1 or 0, or -1 with err set. */
static int
plan_keeps(const struct nsl_prune_plan *P, const struct nsl_rec *rec,
    struct nsl_buf *b, struct nsl_err *err)
{
	const struct nsl_prune_plan_group *G = P->g;
	enum nsl_prune_strategy st = P->p.strategy;
	double s = 0;
	uint64_t h;
	size_t bin;

	if (P->by != NULL) {
		long f = nsl_rec_require(rec, P->by, err), g;

		if (f < 0 || nsl_labels_key_at(rec, (size_t)f,
		    NSL_LABELS_LITERALS, b, err) < 0)
			return -1;
		if ((g = nsl_labels_find(P->groups, b->data)) < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "group %.100s is not in the plan", P->by, b->data);
		G += g;
	}
	if ((st != NSL_PRUNE_RANDOM && record_score(rec, P->score_field, &s,
	    err) < 0) || record_key(rec, P->id_field, P->p.seed, b, &h,
	    err) < 0)
		return -1;
	if (G->keep == 0)
		return 0;
	if (st != NSL_PRUNE_STRATIFIED)
		return at_or_before(st, s, h, G->score, G->hash);
	if (G->cut > 0 && at_or_before(NSL_PRUNE_HARD, s, h, G->cut_score,
	    G->cut_hash))
		return 0;
	bin = nsl_prune_bin(s, G->lo, G->hi, P->p.strata);
	return G->bin_keep[bin] > 0 && h <= G->bin_hash[bin];
}

/* The .npy rows must be as wide as the plan's centres. */
static int
check_width(const struct nsl_prune_plan *P, size_t d, const char *path,
    struct nsl_err *err)
{
	if (d != P->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "%s: rows of %zu "
		    "numbers, the plan's centres have %zu", path, d, P->d);
	return 0;
}

/* SemDeDup on the plan's centres: the records of paths at once. */
/* apply_dedup's reading: each record's vector into the set, in order */
struct assigning {
	const struct nsl_prune_plan *P;
	struct nsl_prune_set *set;
	struct nsl_dataset_vectors *V;
	size_t nvectors;
	const char *field;
	size_t file;
	uint64_t row;
};

static int
assign_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct assigning *A = arg;

	(void)lineno;
	(void)hash;
	if (nsl_prune_set_add_from(A->set, rec, A->nvectors > 0 ? A->V :
	    NULL, A->file, A->row, NULL, A->field, NULL, err) != 0)
		return -1;
	if (A->nvectors == 0 && A->set->d != A->P->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, the plan's centres have %zu", A->field,
		    A->set->d, A->P->d);
	A->row++;
	return 0;
}

static int
apply_dedup(const struct nsl_prune_plan *P, const char *const *paths,
    size_t npaths, const char *field, const char *const *vectors,
    size_t nvectors, const char *output, struct nsl_err *err)
{
	struct nsl_dataset_vectors V;
	struct nsl_prune_set set;
	struct nsl_spool *spool;
	struct nsl_writer *w;
	struct nsl_rec rec;
	unsigned char *keep = NULL;
	size_t *members = NULL, i, f;
	double *div = NULL, *buf = NULL;
	int rc = -1;

	if (!(P->p.eps >= 0 && P->p.eps <= 2))
		return nsl_err_set(err, NSL_EX_USAGE, "dedup needs --eps in "
		    "[0, 2]");
	if ((spool = nsl_spool_new()) == NULL ||
	    nsl_prune_set_init(&set, 0) != 0) {
		nsl_spool_free(spool);
		return oom(err);
	}
	nsl_spool_once(spool);	/* one emit: its copy freed as it goes */
	set.f32 = 1;	/* float32-exact rows held as float32 */
	nsl_rec_init(&rec, 0);
	memset(&V, 0, sizeof(V));
	if (nvectors > 0 && (nsl_dataset_vectors_open(&V, vectors, nvectors,
	    npaths, err) < 0 || check_width(P, V.d, vectors[0], err) < 0))
		goto done;
	for (f = 0; f < npaths; f++) {
		struct assigning A = { P, &set, &V, nvectors, field, f, 0 };
		struct nsl_lines L = { NULL, spool };

		if (nsl_spool_open(spool, paths[f], err) ||
		    nsl_batch_each(&L, rec.flags, 0, assign_one, &A, err) ||
		    (nvectors > 0 && nsl_dataset_vectors_end(&V, f, A.row,
		    paths[f], err) < 0))
			goto done;
	}
	keep = calloc(set.n + 1, 1);
	members = malloc((set.n + 1) * sizeof(*members));
	if (keep == NULL || members == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i < set.n; i++)
		members[i] = i;
	if (set.xf != NULL) {
		/* divisors, not a normalised copy: the same unit rows */
		div = malloc((set.n + 1) * sizeof(*div));
		buf = malloc((set.d + 1) * sizeof(*buf));
		if (div == NULL || buf == NULL) {
			oom(err);
			goto done;
		}
		nsl_kmeans_unit_divisors(set.xf, set.n, set.d, div, buf);
		if (nsl_prune_dedup_assigned_f32(&P->p, set.xf, div, set.d,
		    members, set.n, P->centroids, P->k, keep, NULL, err) != 0)
			goto done;
	} else {
		nsl_vec_normalize_rows(set.x, set.n, set.d);
		if (nsl_prune_dedup_assigned(&P->p, set.x, set.d, members,
		    set.n, P->centroids, P->k, keep, NULL, err) != 0)
			goto done;
	}
	if ((w = nsl_writer_open(output, err)) == NULL)
		goto done;
	if (nsl_spool_emit(spool, keep, w, err) != 0)
		goto done;
	if (nsl_writer_commit(w, err) != 0) {
		nsl_err_at(err, output != NULL ? output : "<stdout>", 0);
		goto done;
	}
	rc = 0;
done:
	free(keep);
	free(members);
	free(div);
	free(buf);
	nsl_rec_release(&rec);
	nsl_prune_set_release(&set);
	nsl_spool_free(spool);
	nsl_dataset_vectors_close(&V);
	return rc;
}

/* nsl_prune_plan_apply's visit: each record kept or dropped */
struct applying {
	const struct nsl_prune_plan *P;
	struct nsl_writer *w;
	struct nsl_buf b;
};

static int
apply_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct applying *A = arg;
	int keep;

	(void)lineno;	/* errors placed by the batch */
	(void)hash;
	if ((keep = plan_keeps(A->P, rec, &A->b, err)) < 0)
		return -1;
	if (keep && (nsl_writer_write(A->w, rec->line, rec->len, err) < 0 ||
	    nsl_writer_write(A->w, "\n", 1, err) < 0))
		return -1;
	return 0;
}

int
nsl_prune_plan_apply(const struct nsl_prune_plan *P,
    const char *const *paths, size_t npaths, const char *field,
    const char *const *vectors, size_t nvectors, const char *output,
    struct nsl_err *err)
{
	static const char *const stdin_path[] = { "-" };
	struct applying A = { P, NULL, NSL_BUF_INIT };
	struct nsl_rec rec;
	int rc;

	if (npaths == 0) {
		paths = stdin_path;
		npaths = 1;
	}
	if (P->p.strategy == NSL_PRUNE_DEDUP)
		return apply_dedup(P, paths, npaths, field, vectors, nvectors,
		    output, err);
	if (nvectors > 0)
		return nsl_err_set(err, NSL_EX_USAGE, "--vectors: a %s plan "
		    "reads no vectors", nsl_prune_strategy_name(P->p.strategy));
	if ((A.w = nsl_writer_open(output, err)) == NULL)
		return -1;
	nsl_rec_init(&rec, NSL_REC_LAZY_ARRAYS);	/* scores only */
	/* parsed on every thread, kept or dropped in order (nsl/batch.h) */
	rc = nsl_batch_paths(paths, npaths, &rec, apply_one, NULL, &A, err);
	nsl_rec_release(&rec);
	nsl_buf_release(&A.b);
	if (rc < 0) {
		nsl_writer_abort(A.w);
		return -1;
	}
	if (nsl_writer_commit(A.w, err) < 0) {
		nsl_err_at(err, output != NULL ? output : "<stdout>", 0);
		return -1;
	}
	return 0;
}

/*
 * Partition: each cluster's bytes wait in its own buffers; when all the
 * buffers together pass PART_BUFFER bytes, each cluster's files are
 * opened for appending, written and closed in turn, so one file at most
 * is open whatever k (k = 1000 clusters would want 2000 open files, past
 * the usual limit of 1024).  A .npy's header holds its row count, so
 * its room is written first and the header last: numpy pads the count
 * to a fixed width (so an array can grow in place), the header's length
 * does not depend on it.
 */
#define PART_BUFFER ((size_t)32 << 20)

struct part_cluster {
	struct nsl_buf jl, np;	/* bytes not yet written */
	uint64_t rows;
	int made;		/* its files exist (made by this run) */
};

struct part {
	const struct nsl_prune_plan *P;
	const char *dir, *field;
	struct nsl_dataset_vectors *V;	/* NULL: no .npy */
	struct part_cluster *c;
	size_t pending;		/* bytes in the buffers */
	int f4;			/* rows written as float32 */
	size_t hlen;		/* the .npy header's length */
	char head[256];
	struct nsl_buf path;
};

static const char *
part_path(struct part *T, size_t c, const char *ext)
{
	nsl_buf_reset(&T->path);
	nsl_buf_addf(&T->path, "%s/%zu.%s", T->dir, c, ext);
	return nsl_buf_failed(&T->path) ? NULL : T->path.data;
}

/* Append b (and, first of all, head) to dir/c.ext; b is emptied. */
static int
part_append(struct part *T, size_t c, const char *ext, struct nsl_buf *b,
    const char *head, size_t hlen, struct nsl_err *err)
{
	const char *path = part_path(T, c, ext);
	size_t off = 0, n;
	ssize_t k;
	int fd;

	if (path == NULL)
		return oom(err);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
	    (T->c[c].made ? 0 : O_TRUNC), 0666);
	if (fd < 0)
		goto fail;
	for (; head != NULL && off < hlen; off += (size_t)k)
		if ((k = write(fd, head + off, hlen - off)) < 0)
			goto fail;
	for (off = 0; off < b->len; off += (size_t)k)
		if ((k = write(fd, b->data + off, b->len - off)) < 0)
			goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	n = b->len;
	T->pending -= n;
	nsl_buf_release(b);	/* its room too: k buffers grown once each
				 * would hold twice the budget */
	return 0;
fail:
	nsl_err_set(err, NSL_EX_IOERR, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
part_flush(struct part *T, struct nsl_err *err)
{
	size_t c;

	for (c = 0; c < T->P->k; c++) {
		struct part_cluster *C = &T->c[c];
		int first = !C->made;

		if (C->jl.len == 0)
			continue;
		if (part_append(T, c, "jsonl", &C->jl, NULL, 0, err) < 0 ||
		    (T->V != NULL && part_append(T, c, "npy", &C->np,
		    first ? T->head : NULL, T->hlen, err) < 0)) {
			C->made = 1;	/* removed after the failure */
			return -1;
		}
		C->made = 1;
	}
	return 0;
}

/* Row v[0..d) as little-endian float32 or float64 bytes onto b. */
static void
part_row(struct nsl_buf *b, const double *v, size_t d, int f4)
{
	unsigned char o[8];
	size_t j;
	int i;

	for (j = 0; j < d; j++) {
		if (f4) {
			float f = (float)v[j];
			uint32_t u;

			memcpy(&u, &f, 4);
			for (i = 0; i < 4; i++)
				o[i] = (unsigned char)(u >> (8 * i));
			nsl_buf_add(b, o, 4);
		} else {
			uint64_t u;

			memcpy(&u, &v[j], 8);
			for (i = 0; i < 8; i++)
				o[i] = (unsigned char)(u >> (8 * i));
			nsl_buf_add(b, o, 8);
		}
	}
}

static int
part_record(void *arg, const struct nsl_rec *rec, struct nsl_err *err)
{
	struct part *T = arg;
	struct part_cluster *C;
	size_t c, before;

	if (nsl_rec_count(rec, T->field, &c, err) < 0)
		return -1;
	if (c >= T->P->k)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": cluster "
		    "%zu, but the plan has %zu centres (0 to %zu)", T->field, c,
		    T->P->k, T->P->k - 1);
	C = &T->c[c];
	before = C->jl.len + C->np.len;
	nsl_buf_add(&C->jl, rec->line, rec->len);
	nsl_buf_addc(&C->jl, '\n');
	if (T->V != NULL) {
		if (nsl_dataset_vectors_get(T->V, err) < 0)
			return -1;
		part_row(&C->np, T->V->v, T->V->d, T->f4);
	}
	if (nsl_buf_failed(&C->jl) || nsl_buf_failed(&C->np))
		return oom(err);
	C->rows++;
	T->pending += C->jl.len + C->np.len - before;
	return T->pending > (T->P->part_budget ? T->P->part_budget :
	    PART_BUFFER) ? part_flush(T, err) : 0;
}

/* Each .npy's header over the room kept for it, now that rows are known. */
static int
part_headers(struct part *T, struct nsl_err *err)
{
	const char *descr = T->f4 ? "<f4" : "<f8", *path;
	uint64_t shape[2];
	size_t c, n;
	int fd;

	shape[1] = T->V->d;
	for (c = 0; c < T->P->k; c++) {
		if (!T->c[c].made)
			continue;
		shape[0] = T->c[c].rows;
		n = nsl_npy_format_header(T->head, sizeof(T->head), descr, 0,
		    shape, 2);
		if (n != T->hlen)
			return nsl_err_set(err, NSL_EX_SOFTWARE, "the .npy "
			    "header grew from %zu to %zu bytes", T->hlen, n);
		if ((path = part_path(T, c, "npy")) == NULL)
			return oom(err);
		if ((fd = open(path, O_WRONLY)) < 0 ||
		    pwrite(fd, T->head, n, 0) != (ssize_t)n) {
			nsl_err_set(err, NSL_EX_IOERR, "%s: %s", path,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (close(fd) != 0)
			return nsl_err_set(err, NSL_EX_IOERR, "%s: %s", path,
			    strerror(errno));
	}
	return 0;
}

int
nsl_prune_plan_partition(const struct nsl_prune_plan *P,
    const char *const *paths, size_t npaths, const char *cluster_field,
    const char *const *vectors, size_t nvectors, const char *dir,
    struct nsl_err *err)
{
	struct nsl_dataset_vectors V;
	struct part T;
	struct nsl_rec rec;
	uint64_t shape[2] = { 0, 0 };
	size_t c, f;
	int rc = -1, made_dir = 0;

	if (P->p.strategy != NSL_PRUNE_DEDUP)
		return nsl_err_set(err, NSL_EX_USAGE, "--partition: a %s plan "
		    "has no clusters (a prototype model has)",
		    nsl_prune_strategy_name(P->p.strategy));
	memset(&T, 0, sizeof(T));
	memset(&V, 0, sizeof(V));
	nsl_rec_init(&rec, 0);
	T.P = P;
	T.dir = dir;
	T.field = cluster_field;
	if ((T.c = calloc(P->k, sizeof(*T.c))) == NULL)
		return oom(err);
	if (mkdir(dir, 0777) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		nsl_err_set(err, NSL_EX_IOERR, "%s: %s", dir, strerror(errno));
		goto done;
	}
	if (nvectors > 0) {
		if (nsl_dataset_vectors_open(&V, vectors, nvectors, npaths,
		    err) < 0 || check_width(P, V.d, vectors[0], err) < 0)
			goto done;
		/* float32 stays float32 (exactly); anything else is float64 */
		T.f4 = 1;
		for (f = 0; f < V.n; f++)
			if (V.map[f].a.kind != 'f' || V.map[f].a.itemsize != 4)
				T.f4 = 0;
		/* the rows are copied out as read: give their pages back
		 * a megabyte at a time, not the default 16 a file */
		for (f = 0; f < V.n; f++)
			V.map[f].drop_min = (size_t)1 << 20;
		shape[1] = V.d;
		T.hlen = nsl_npy_format_header(T.head, sizeof(T.head),
		    T.f4 ? "<f4" : "<f8", 0, shape, 2);
		T.V = &V;
	}
	if (nsl_dataset_each(paths, npaths, T.V, &rec, part_record, &T,
	    err) < 0 || part_flush(&T, err) < 0 ||
	    (T.V != NULL && part_headers(&T, err) < 0))
		goto done;
	rc = 0;
done:
	for (c = 0; c < P->k; c++) {
		/* a failed partition leaves no part behind */
		if (rc < 0 && T.c[c].made) {
			if (part_path(&T, c, "jsonl") != NULL)
				unlink(T.path.data);
			if (T.V != NULL && part_path(&T, c, "npy") != NULL)
				unlink(T.path.data);
		}
		nsl_buf_release(&T.c[c].jl);
		nsl_buf_release(&T.c[c].np);
	}
	if (rc < 0 && made_dir)
		rmdir(dir);	/* empty now, unless others wrote there */
	free(T.c);
	nsl_buf_release(&T.path);
	nsl_rec_release(&rec);
	nsl_dataset_vectors_close(&V);
	return rc;
}

int
nsl_prune_plan_run(const char *path, double eps, const char *const *paths,
    size_t npaths, const char *field, const char *cluster_field,
    const char *const *vectors, size_t nvectors, const char *dir,
    const char *output, struct nsl_err *err)
{
	struct nsl_prune_plan plan;
	int rc;

	if (nsl_prune_plan_read(&plan, path, err) < 0)
		return -1;
	plan.p.eps = eps;	/* dedup's, from the command line */
	rc = dir != NULL ? nsl_prune_plan_partition(&plan, paths, npaths,
	    cluster_field, vectors, nvectors, dir, err) :
	    nsl_prune_plan_apply(&plan, paths, npaths, field, vectors,
	    nvectors, output, err);
	nsl_prune_plan_release(&plan);
	return rc;
}
