/*
 * dataset.h - a whole record set in memory: vectors as one matrix, labels
 * as small integers, and (optionally) the records' own lines.
 *
 * For the tools whose algorithm needs every record at once (k-means,
 * class means, nearest neighbours, OT, training).  Tools that can stream
 * should stream instead.
 *
 * Invariants after a successful nsl_dataset_read():
 *  - n >= 1 records; x holds n rows of d numbers (row-major), all finite
 *    unless NSL_DATASET_ALLOW_NONFINITE.
 *  - With a label field: label[i] in [0, nlabels) indexes label_names,
 *    the distinct labels' canonical JSON text (a number in shortest form,
 *    a string with its quotes) sorted: numbers ascending by value first,
 *    then strings by byte order.  The order depends only on the set of
 *    labels, not on the order of the records.
 *  - With NSL_DATASET_KEEP_LINES: record i's line (without its newline) is
 *    lines.data[line_off[i] .. line_off[i + 1] - 1), so a tool can write it
 *    back with its own fields spliced in.
 *  - With a weight field (nsl_dataset_read_weighted): w[i] is record i's
 *    weight, finite and >= 0, and the weights' sum is positive.
 *  - With NSL_DATASET_SPOOL the lines are not held: the inputs were read
 *    through a spool (spool.h), and nsl_dataset_each_line() gives each
 *    record's line back once, read again from its file (a pipe's copy in
 *    $TMPDIR): 8 bytes a record in memory instead of the line.
 *  - nsl_dataset_where(ds, i) names record i's file (an index into the
 *    paths given) and line number, for messages: 8 bytes a record (the
 *    line), the files by where each ends.
 *  - With a key field (nsl_dataset_read_spec): key_hash[i] is
 *    nsl_hash64_seeded(key_seed, key) of record i's key, the canonical
 *    text of its key field's value (nsl_labels_key_at, true, false and
 *    null allowed); a record without the field is an error.
 *  - With NSL_DATASET_F32 the rows may be held in float32 instead: then
 *    xf holds them and x is NULL.  That is so only while every number
 *    read is exactly a float32 ((double)(float)v == v: a float32 .npy,
 *    or embeddings printed from a float32 model); at the first that is
 *    not, the rows read so far are converted to double and x holds them
 *    all.  Either way (double)xf[i] is the number read, so a caller that
 *    reads rows through nsl_dataset_row() computes what it would from x:
 *    half the memory, no rounding, no error bound.  Without the flag xf
 *    is NULL.
 *  - With NSL_DATASET_IN_PLACE too, the rows of one float32 .npy are
 *    the file's own pages (xf_map; nsl_dataset_vectors_take_f32) rather
 *    than a copy: for a caller that reads the rows, or changes few of
 *    them (a change copies its page).  One that moves many rows is
 *    better served by a copy of its own.
 */
#ifndef NSL_DATASET_H
#define NSL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "spool.h"

struct nsl_labels;

enum nsl_dataset_flags {
	NSL_DATASET_KEEP_LINES = 1 << 0,
	NSL_DATASET_ALLOW_NONFINITE = 1 << 1,
	NSL_DATASET_F32 = 1 << 2,	/* rows in xf while float32-exact */
	NSL_DATASET_SPOOL = 1 << 3,	/* lines given back by each_line */
	NSL_DATASET_IN_PLACE = 1 << 4	/* one float32 .npy not copied */
};

struct nsl_dataset_where {
	unsigned file;		/* index into the paths read */
	unsigned long line;
};

struct nsl_dataset {
	size_t n, d;
	double *x;			/* n x d, or NULL when xf holds them */
	float *xf;			/* n x d (NSL_DATASET_F32), or NULL */
	void *xf_map;			/* xf lies in this mapping of a
					 * float32 .npy (its rows in place,
					 * copied on write), or NULL */
	size_t xf_map_len;
	double *w;			/* n weights, or NULL */
	int *label;			/* NULL when no label field was asked */
	size_t nlabels;
	char **label_names;
	struct nsl_labels *labels;	/* the same, for lookups by text */
	struct nsl_buf lines;
	size_t *line_off;		/* n + 1 entries, with KEEP_LINES */
	uint64_t *line;			/* n: each record's line number */
	size_t *file_end;		/* npaths: records read up to the
					 * end of each file */
	char **paths;			/* copies of the display names */
	size_t npaths;
	struct nsl_spool *spool;	/* with NSL_DATASET_SPOOL */
	uint64_t *line_hash;		/* n: nsl_hash64 of each line as
					 * read, with NSL_DATASET_SPOOL */
	uint64_t *key_hash;		/* n, with a key field (below) */
	int x_spare;			/* the caller's word that x is read
					 * by nobody after its next reader,
					 * which may overwrite it */
};

/*
 * Read every record of paths[0..npaths) ("-" is standard input; none at
 * all also means standard input).  field names the vector (every record
 * must have one, all of one length); label_field, if not NULL, the label
 * (a number or a string in every record).  Returns 0, or -1 with err set
 * and placed at the offending file and line; a failed read leaves the
 * set empty, holding nothing.  Releasing it with nsl_dataset_release()
 * either way is harmless.
 */
int nsl_dataset_read(struct nsl_dataset *, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    unsigned flags, struct nsl_err *err);

/*
 * The same, with a weight per record from weight_field (a number >= 0 in
 * every record, not all zero) into w: for weighted point sets (OT).
 */
int nsl_dataset_read_weighted(struct nsl_dataset *, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    const char *weight_field, unsigned flags, struct nsl_err *err);

struct nsl_dataset_vectors;

/* What nsl_dataset_read_spec() reads (the functions above in one). */
struct nsl_dataset_spec {
	const char *field;		/* the vector, unless vectors */
	struct nsl_dataset_vectors *vectors;	/* or NULL */
	const char *label_field;	/* or NULL */
	const char *weight_field;	/* or NULL */
	const char *key_field;		/* or NULL: hashed, key_hash */
	uint64_t key_seed;
	unsigned flags;
};

int nsl_dataset_read_spec(struct nsl_dataset *, const char *const *paths,
    size_t npaths, const struct nsl_dataset_spec *, struct nsl_err *err);

void nsl_dataset_release(struct nsl_dataset *);

/*
 * Of a set read with NSL_DATASET_SPOOL: fn(arg, i, line, len, err) for
 * every record i in order, line being its bytes as read (without the
 * newline, borrowed for the call).  Once only: the lines are read again
 * as they are visited.  A non-zero return from fn stops the visit and is
 * returned as -1 (fn sets err); a file that changed since the first read
 * is an I/O error naming it.  Each line given is the very bytes the first
 * read took (its hash is compared; one that differs is that I/O error at
 * its line), so fn may parse it with NSL_REC_TRUSTED.
 */
int nsl_dataset_each_line(struct nsl_dataset *, nsl_spool_fn *fn, void *arg,
    struct nsl_err *err);

/*
 * Row i as doubles: x's own (borrowed), or xf's converted into buf (d
 * numbers, the caller's) and buf returned.
 */
const double *nsl_dataset_row(const struct nsl_dataset *, size_t i,
    double *buf);

/* Record i's file (an index into paths) and line. */
struct nsl_dataset_where nsl_dataset_where(const struct nsl_dataset *,
    size_t i);

/*
 * Rows in double from here on: converts xf into x (for a caller that
 * needs x itself).  Returns 0, or -1 with err set (out of memory).
 */
int nsl_dataset_to_double(struct nsl_dataset *, struct nsl_err *err);

/*
 * Rows of rowb bytes moved in place so that row i holds what row perm[i]
 * held (with inverse, so that row perm[i] holds what row i held); perm
 * is a permutation of 0..n-1.  Returns 0, or -1 when out of memory (the
 * rows then as they were).
 */
int nsl_dataset_permute_rows(void *rows, size_t n, size_t rowb,
    const size_t *perm, int inverse);

/* 1 if every number of v[0..n) is exactly a float32, else 0. */
int nsl_dataset_f32_exact(const double *v, size_t n);

/*
 * The n numbers of xf as doubles in a new array of cap >= n numbers
 * (owned by the caller: free()), or NULL when out of memory.
 */
double *nsl_dataset_f32_widen(const float *xf, size_t n, size_t cap);

/*
 * The same for rows that go on growing: a block of room for cap >= n
 * numbers that grows in place (nsl/mem.h: nsl_mem_grow(), and
 * nsl_mem_free() to give it back), or NULL when out of memory.
 */
double *nsl_dataset_rows_widen(const float *xf, size_t n, size_t cap);

/*
 * Index of a label given as canonical JSON text (as in label_names), or -1
 * if the set has no such label: for mapping a test set's labels onto a
 * training set's.
 */
long nsl_dataset_label_index(const struct nsl_dataset *, const char *text);

/*
 * Vectors kept beside the records: .npy files, the f-th holding the rows
 * of the f-th JSONL file (row i is the file's i-th record), mapped and
 * read row by row (nsl/npy.h).  Embeddings at width 2048 are ~20 KB of
 * number text a record, and are usually stored this way: the JSONL then
 * gives only ids and labels.  Invariants after a successful open: n
 * files, all with rows of d >= 1 numbers (float32 or float64, or any
 * numeric dtype numpy writes); v holds d numbers, the row last read.
 */
struct nsl_npy_map;

struct nsl_dataset_vectors {
	struct nsl_npy_map *map;
	const char **paths;	/* borrowed */
	size_t n, d;
	double *v;
	size_t file;		/* nsl_dataset_each's record: its file */
	uint64_t row;		/* and its index there */
};

/*
 * Map vecpaths[0..nvec), one per JSONL input (npaths of them; 0 means
 * standard input, one file).  Returns 0, or -1 with err set: a count
 * that differs is NSL_EX_USAGE; a file that cannot be opened
 * NSL_EX_NOINPUT; a bad header, Fortran order or rows of another width
 * than the first file's NSL_EX_DATAERR.  Close V after a failure too.
 */
int nsl_dataset_vectors_open(struct nsl_dataset_vectors *,
    const char *const *vecpaths, size_t nvec, size_t npaths,
    struct nsl_err *err);

/* Row `row` of file `file` into V->v; NSL_EX_DATAERR past the last row
 * ("record 5, but a.npy has 4 rows") or for a NaN or infinite number. */
int nsl_dataset_vectors_row(struct nsl_dataset_vectors *, size_t file,
    uint64_t row, struct nsl_err *err);

/*
 * Row `row` of file `file` into out (d floats) when that .npy holds
 * float32: returns 1; 0 when it holds another type (nothing read); -1
 * with err set as nsl_dataset_vectors_row's.
 */
int nsl_dataset_vectors_row_f32(struct nsl_dataset_vectors *, size_t file,
    uint64_t row, float *out, struct nsl_err *err);

/*
 * The rows of V's one float32 .npy in place (nsl_npy_map_take_f32), for
 * a reader that keeps every row of it: the file's own pages, no copy.
 * NULL unless V holds exactly one file, of little-endian float32 (copy
 * the rows then).  Record k's row is row k: check it with
 * nsl_dataset_vectors_row_f32, out the row itself.  Free *map, *len
 * with nsl_npy_rows_free after V is closed.
 */
float *nsl_dataset_vectors_take_f32(struct nsl_dataset_vectors *V,
    void **map, size_t *len);

/* After the last record of file `file` (nrec records): NSL_EX_DATAERR at
 * jsonl when the .npy has another number of rows. */
int nsl_dataset_vectors_end(struct nsl_dataset_vectors *, size_t file,
    uint64_t nrec, const char *jsonl, struct nsl_err *err);

void nsl_dataset_vectors_close(struct nsl_dataset_vectors *);

/* The row of nsl_dataset_each's record (V->file, V->row) into V->v. */
int nsl_dataset_vectors_get(struct nsl_dataset_vectors *, struct nsl_err *);

/*
 * nsl_rec_each (nsl/json.h) with V: before fn sees a record, V->file and
 * V->row say where its row is (fn reads it with nsl_dataset_vectors_get
 * if it needs it: a sample reads only the rows it takes), a record past
 * the .npy's last row is an error, and the counts are checked at each
 * file's end.  V NULL is nsl_rec_each itself.
 */
int nsl_dataset_each(const char *const *paths, size_t npaths,
    struct nsl_dataset_vectors *V, struct nsl_rec *rec, nsl_rec_fn *fn,
    void *arg, struct nsl_err *err);

/*
 * nsl_dataset_read with the vectors from V instead of a field: x is
 * filled from the .npy rows; the records need no vector field.
 */
int nsl_dataset_read_vectors(struct nsl_dataset *, const char *const *paths,
    size_t npaths, struct nsl_dataset_vectors *V, const char *label_field,
    unsigned flags, struct nsl_err *err);

#endif
