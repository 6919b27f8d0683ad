/*
 * dataset.c - read a whole record set into memory (see nsl/dataset.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/batch.h"
#include "nsl/buf.h"
#include "nsl/dataset.h"
#include "nsl/hash.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/mem.h"
#include "nsl/npy.h"

/*
 * Grow an array of n elements of size sz to hold at least want, doubling,
 * with re: realloc, or for the rows nsl_mem_grow, which grows in place
 * (nsl/mem.h), so the rows read so far are not moved to new pages each
 * time it doubles.
 */
static int
grow_by(void **p, size_t *cap, size_t want, size_t sz,
    void *(*re)(void *, size_t))
{
	size_t ncap;
	void *np;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	while (ncap < want)
		ncap *= 2;
	if ((np = re(*p, ncap * sz)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int
grow(void **p, size_t *cap, size_t want, size_t sz)
{
	return grow_by(p, cap, want, sz, realloc);
}

static int
grow_rows(void **p, size_t *cap, size_t want, size_t sz)
{
	return grow_by(p, cap, want, sz, nsl_mem_grow);
}

/*
 * Renumber the records' labels from order of first appearance to sorted
 * order, and keep the sorted names.
 */
static int
finish_labels(struct nsl_dataset *ds, struct nsl_labels *labels,
    struct nsl_err *err)
{
	size_t *rank, i, n = nsl_labels_count(labels);
	const char *const *names;

	if ((rank = malloc((n + 1) * sizeof(*rank))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_labels_sort(labels, rank, err) != 0) {
		free(rank);
		return -1;
	}
	for (i = 0; i < ds->n; i++)
		ds->label[i] = (int)rank[ds->label[i]];
	free(rank);
	names = nsl_labels_names(labels);
	if ((ds->label_names = calloc(n + 1, sizeof(*ds->label_names))) ==
	    NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (ds->nlabels = 0; ds->nlabels < n; ds->nlabels++)
		if ((ds->label_names[ds->nlabels] =
		    strdup(names[ds->nlabels])) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
	return 0;
}

struct reading {
	struct nsl_dataset *ds;
	struct nsl_labels *labels;
	struct nsl_rec rec;
	double *v;
	const char *weight_field;	/* or NULL */
	const char *key_field;		/* or NULL */
	uint64_t key_seed;
	struct nsl_buf key;		/* the key's text */
	struct nsl_dataset_vectors *vec;	/* or NULL: the field's */
	size_t vcap, xcap, lcap, wcap, ocap, wtcap, hcap, kcap;
	size_t xfault;		/* bytes of the rows made present */
	unsigned long d_line;	/* where the dimension was set */
	unsigned d_file;
	int f32;		/* the rows are in ds->xf so far */
};

/* The float32 rows given back: a .npy's mapping or a block of ours. */
static void
free_xf(struct nsl_dataset *ds)
{
	if (ds->xf_map != NULL)
		nsl_npy_rows_free(ds->xf_map, ds->xf_map_len);
	else
		nsl_mem_free(ds->xf);
	ds->xf = NULL;
	ds->xf_map = NULL;
	ds->xf_map_len = 0;
}

/*
 * Whether row `row` of the .npy of file `file` goes straight into the
 * float32 rows: float32 stored, float32 kept.
 */
static int
row_as_f32(const struct reading *rd, unsigned file, unsigned flags)
{
	const struct nsl_npy *a = &rd->vec->map[file].a;

	return (rd->f32 || (rd->ds->n == 0 && (flags & NSL_DATASET_F32))) &&
	    a->kind == 'f' && !a->big && a->itemsize == 4;
}

/*
 * Rows of float32 so far become doubles (the first number float32
 * cannot hold, at row k): 0, or -1 with err set.
 */
static int
rows_to_double(struct reading *rd, size_t k, struct nsl_err *err)
{
	struct nsl_dataset *ds = rd->ds;
	double *x = nsl_dataset_rows_widen(ds->xf, k * ds->d, rd->xcap);

	if (x == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	free_xf(ds);
	ds->x = x;
	rd->f32 = 0;
	rd->xfault = 0;
	return 0;
}

/*
 * Float32 row k from v's n numbers: 1 if float32 holds every one
 * exactly, else 0 (the row then half written).  One pass converts and
 * checks: the reading's single thread goes through every number here.
 */
static int
row_f32(float *dst, const double *v, size_t n)
{
	size_t t;
	int exact = 1;

	for (t = 0; t < n; t++) {
		dst[t] = (float)v[t];
		exact &= (double)dst[t] == v[t];
	}
	return exact;
}

/* Record ds->n's row onto the end of the rows: the .npy's row as
 * stored (as_f32), or v's numbers in float32 (when float32 holds them
 * exactly; the rows become doubles at the first that it does not) or
 * double. */
static int
put_row(struct reading *rd, int as_f32, unsigned file, uint64_t row,
    const double *v, struct nsl_err *err)
{
	struct nsl_dataset *ds = rd->ds;
	size_t n = ds->d, k = ds->n;
	size_t b = rd->f32 ? sizeof(float) : sizeof(double);

	if ((rd->f32 ? grow_rows((void **)&ds->xf, &rd->xcap, (k + 1) *
	    (n ? n : 1), b) : grow_rows((void **)&ds->x, &rd->xcap, (k + 1) *
	    (n ? n : 1), b)) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	/* the rows' pages made present ahead of the writing (nsl/mem.h) */
	nsl_mem_prefault_ahead(rd->f32 ? (void *)ds->xf : (void *)ds->x,
	    &rd->xfault, (k + 1) * n * b, rd->xcap * b);
	if (as_f32)	/* as stored: no trip through double */
		return nsl_dataset_vectors_row_f32(rd->vec, file, row,
		    ds->xf + k * n, err) < 0 ? -1 : 0;
	if (rd->f32) {
		if (row_f32(ds->xf + k * n, v, n))
			return 0;
		if (rows_to_double(rd, k, err) < 0)
			return -1;
		if (grow_rows((void **)&ds->x, &rd->xcap, (k + 1) *
		    (n ? n : 1), sizeof(double)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
	}
	if (n > 0)	/* nothing to copy from [] (memcpy wants pointers) */
		memcpy(ds->x + k * n, v, n * sizeof(double));
	return 0;
}

static int
add_record(struct reading *rd, struct nsl_rec *rec, const char *field,
    const char *label_field, unsigned flags, unsigned file, uint64_t row,
    unsigned long line, struct nsl_err *err)
{
	struct nsl_dataset *ds = rd->ds;
	const double *v = NULL;
	size_t n, k = ds->n;
	long i, li;
	int as_f32 = 0;

	if (rd->vec != NULL) {
		/* the row beside the record */
		n = rd->vec->d;
		if (!(as_f32 = row_as_f32(rd, file, flags))) {
			if (nsl_dataset_vectors_row(rd->vec, file, row,
			    err) != 0)
				return -1;
			v = rd->vec->v;
		}
	} else if ((i = nsl_rec_require(rec, field, err)) < 0 ||
	    nsl_rec_vector_view(rec, (size_t)i, &v, &n, &rd->v, &rd->vcap,
	    err) != 0)
		return -1;
	if (k == 0) {
		ds->d = n;
		rd->d_file = file;
		rd->d_line = line;
	} else if (n != ds->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, but %s:%lu has %zu", field, n,
		    ds->paths[rd->d_file], rd->d_line, ds->d);
	if (k == 0 && (flags & NSL_DATASET_F32))
		rd->f32 = 1;
	if (grow((void **)&ds->line, &rd->wcap, k + 1,
	    sizeof(*ds->line)) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (ds->xf_map != NULL) {
		/* the file's rows in place: only checked (a record past
		   its last row is that error; nothing grows) */
		if (nsl_dataset_vectors_row_f32(rd->vec, file, row,
		    ds->xf + k * n, err) < 0)
			return -1;
	} else if (put_row(rd, as_f32, file, row, v, err) < 0)
		return -1;
	ds->line[k] = line;
	ds->file_end[file] = k + 1;
	if (label_field != NULL) {
		if ((li = nsl_labels_add(rd->labels, rec, label_field,
		    err)) < 0)
			return -1;
		if (grow((void **)&ds->label, &rd->lcap, k + 1,
		    sizeof(int)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		ds->label[k] = (int)li;
	}
	if (rd->weight_field != NULL) {
		if (grow((void **)&ds->w, &rd->wtcap, k + 1,
		    sizeof(double)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		if ((i = nsl_rec_require(rec, rd->weight_field,
		    err)) < 0 || nsl_rec_number(rec, (size_t)i,
		    &ds->w[k], err) < 0)
			return -1;
		if (ds->w[k] < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "negative weight %g", rd->weight_field, ds->w[k]);
	}
	if (rd->key_field != NULL) {
		if (grow((void **)&ds->key_hash, &rd->kcap, k + 1,
		    sizeof(uint64_t)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		if ((i = nsl_rec_require(rec, rd->key_field, err)) < 0 ||
		    nsl_labels_key_at(rec, (size_t)i, NSL_LABELS_LITERALS,
		    &rd->key, err) < 0)
			return -1;
		ds->key_hash[k] = nsl_hash64_seeded(rd->key_seed,
		    rd->key.data, rd->key.len);
	}
	if (flags & NSL_DATASET_KEEP_LINES) {
		if (grow((void **)&ds->line_off, &rd->ocap, k + 2,
		    sizeof(size_t)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		ds->line_off[k] = ds->lines.len;
		nsl_buf_add(&ds->lines, rec->line, rec->len);
		nsl_buf_addc(&ds->lines, '\n');
		ds->line_off[k + 1] = ds->lines.len;
		if (nsl_buf_failed(&ds->lines))
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
	}
	ds->n = k + 1;
	return 0;
}

/* read_lines' visit of each record */
struct adding {
	struct reading *rd;
	const char *field, *label_field;
	unsigned flags, file;
	uint64_t row;
};

static int
add_one(void *arg, struct nsl_rec *rec, unsigned long lineno, uint64_t hash,
    struct nsl_err *err)
{
	struct adding *A = arg;
	struct reading *rd = A->rd;

	if (add_record(rd, rec, A->field, A->label_field, A->flags, A->file,
	    A->row, lineno, err) != 0)
		return -1;
	if (rd->ds->spool != NULL) {
		/* read again later: known by its hash then */
		if (grow((void **)&rd->ds->line_hash, &rd->hcap, rd->ds->n,
		    sizeof(uint64_t)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		rd->ds->line_hash[rd->ds->n - 1] = hash;
	}
	if (rd->vec != NULL)
		nsl_npy_map_drop(&rd->vec->map[A->file], A->row);
	A->row++;
	return 0;
}

/* The records of L's input, parsed on every thread (nsl/batch.h). */
static int
read_lines(struct reading *rd, struct nsl_lines *L, unsigned file,
    const char *field, const char *label_field, unsigned flags,
    struct nsl_err *err)
{
	struct adding A = { rd, field, label_field, flags, file, 0 };

	if (nsl_batch_each(L, rd->rec.flags, rd->ds->spool != NULL ?
	    NSL_BATCH_HASH : 0, add_one, &A, err) != 0)
		return -1;
	if (rd->vec != NULL && nsl_dataset_vectors_end(rd->vec, file, A.row,
	    L->r ? nsl_reader_name(L->r) : rd->ds->paths[file], err) != 0)
		return -1;
	return 0;
}

static int
read_file(struct reading *rd, const char *path, unsigned file,
    const char *field, const char *label_field, unsigned flags,
    struct nsl_err *err)
{
	struct nsl_lines L = { NULL, NULL };
	int rc;

	if ((L.r = nsl_reader_open(path, err)) == NULL) {
		nsl_err_at(err, rd->ds->paths[file], 0);
		return -1;
	}
	rc = read_lines(rd, &L, file, field, label_field, flags, err);
	nsl_reader_close(L.r);
	return rc;
}

/*
 * read_file through the set's spool (NSL_DATASET_SPOOL): the same
 * records, but the lines can be given back later without being held.
 */
static int
read_spooled(struct reading *rd, const char *path, unsigned file,
    const char *field, const char *label_field, unsigned flags,
    struct nsl_err *err)
{
	struct nsl_lines L = { NULL, rd->ds->spool };

	if (nsl_spool_open(L.sp, path, err) != 0) {
		if (err->code != NSL_EX_IOERR)
			nsl_err_at(err, rd->ds->paths[file], 0);
		return -1;
	}
	return read_lines(rd, &L, file, field, label_field, flags, err);
}

/* nsl_dataset_each_line's visit: each line checked against its hash. */
struct same_lines {
	const struct nsl_dataset *ds;
	nsl_spool_fn *fn;
	void *arg;
};

static int
same_line(void *arg, uint64_t i, const char *line, size_t len,
    struct nsl_err *err)
{
	const struct same_lines *S = arg;

	if (nsl_hash64(line, len) != S->ds->line_hash[i]) {
		struct nsl_dataset_where at = nsl_dataset_where(S->ds, i);

		nsl_err_at(err, S->ds->paths[at.file], at.line);
		return nsl_err_set(err, NSL_EX_IOERR, "file changed while "
		    "being read (the line differs on the second pass)");
	}
	return S->fn(S->arg, i, line, len, err);
}

int
nsl_dataset_each_line(struct nsl_dataset *ds, nsl_spool_fn *fn, void *arg,
    struct nsl_err *err)
{
	struct same_lines S = { ds, fn, arg };
	unsigned char *all;
	int rc;

	if (ds->spool == NULL || ds->line_hash == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "dataset: read "
		    "without NSL_DATASET_SPOOL");
	if ((all = malloc(ds->n + 1)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	memset(all, 1, ds->n + 1);
	rc = nsl_spool_each(ds->spool, all, same_line, &S, err);
	free(all);
	return rc;
}

int
nsl_dataset_read(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    unsigned flags, struct nsl_err *err)
{
	struct nsl_dataset_spec S = { field, NULL, label_field, NULL, NULL,
	    0, flags };

	return nsl_dataset_read_spec(ds, paths, npaths, &S, err);
}

int
nsl_dataset_read_weighted(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    const char *weight_field, unsigned flags, struct nsl_err *err)
{
	struct nsl_dataset_spec S = { field, NULL, label_field, weight_field,
	    NULL, 0, flags };

	return nsl_dataset_read_spec(ds, paths, npaths, &S, err);
}

int
nsl_dataset_read_vectors(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, struct nsl_dataset_vectors *V, const char *label_field,
    unsigned flags, struct nsl_err *err)
{
	struct nsl_dataset_spec S = { NULL, V, label_field, NULL, NULL, 0,
	    flags };

	return nsl_dataset_read_spec(ds, paths, npaths, &S, err);
}

/*
 * float32 rows from float32 .npy files: room for all of them at once,
 * its pages made present in one call (nsl/mem.h) rather than one page
 * fault each 4 KiB as the rows are copied in.  The records cannot
 * outnumber the rows (that is an error).
 */
static int
prealloc_f32(struct reading *rd, size_t nfiles, unsigned flags)
{
	struct nsl_dataset_vectors *V = rd->vec;
	size_t f, rows = 0;

	for (f = 0; f < nfiles; f++) {
		const struct nsl_npy *a = &V->map[f].a;

		if (a->kind != 'f' || a->big || a->itemsize != 4)
			return 0;
		rows += (size_t)a->rows;
	}
	if (rows == 0 || V->d == 0 || rd->ds->xf != NULL)
		return 0;
	rd->xcap = rows * V->d;
	rd->xfault = rows * V->d * sizeof(float);
	/*
	 * One file: its rows are the set's rows, in place (each record
	 * takes the next row, so record k's row is row k).  Reading it
	 * then only checks them: no copy, and no new memory, which is
	 * the dearer part where page tables are virtualized (1,000,000 x
	 * 128 on a virtual machine: 3 s of the copy's 5 s run).
	 */
	if ((flags & NSL_DATASET_IN_PLACE) && (rd->ds->xf =
	    nsl_dataset_vectors_take_f32(V, &rd->ds->xf_map,
	    &rd->ds->xf_map_len)) != NULL)
		return 0;
	if ((rd->ds->xf = nsl_mem_grow(NULL, rows * V->d * sizeof(float))) ==
	    NULL)
		return -1;
	nsl_mem_prefault(rd->ds->xf, rows * V->d * sizeof(float));
	return 0;
}

int
nsl_dataset_read_spec(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, const struct nsl_dataset_spec *S, struct nsl_err *err)
{
	static const char *const stdin_only[] = { "-" };
	struct nsl_dataset_vectors *V = S->vectors;
	const char *field = V != NULL ? NULL : S->field;
	const char *label_field = S->label_field;
	const char *weight_field = S->weight_field;
	unsigned flags = S->flags;
	struct reading rd;
	size_t f;
	int rc = -1;

	memset(ds, 0, sizeof(*ds));
	memset(&rd, 0, sizeof(rd));
	rd.ds = ds;
	rd.weight_field = weight_field;
	rd.key_field = S->key_field;
	rd.key_seed = S->key_seed;
	nsl_buf_init(&rd.key);
	if ((rd.vec = V) != NULL && (rd.v = malloc(V->d *
	    sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (label_field != NULL && (rd.labels = nsl_labels_new()) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	nsl_rec_init(&rd.rec, (flags & NSL_DATASET_ALLOW_NONFINITE) ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	if ((ds->paths = calloc(npaths, sizeof(*ds->paths))) == NULL ||
	    (ds->file_end = calloc(npaths, sizeof(*ds->file_end))) == NULL)
		goto nomem;
	ds->npaths = npaths;
	for (f = 0; f < npaths; f++)
		if ((ds->paths[f] = strdup(strcmp(paths[f], "-") == 0 ?
		    "<stdin>" : paths[f])) == NULL)
			goto nomem;
	if ((flags & NSL_DATASET_SPOOL) &&
	    (ds->spool = nsl_spool_new()) == NULL)
		goto nomem;
	if (ds->spool != NULL)
		nsl_spool_once(ds->spool);	/* each_line visits once */
	if (V != NULL && (flags & NSL_DATASET_F32) && prealloc_f32(&rd,
	    npaths, flags) != 0)
		goto nomem;
	for (f = 0; f < npaths; f++) {
		ds->file_end[f] = ds->n;	/* so far: a file may be empty */
		if ((ds->spool != NULL ? read_spooled : read_file)(&rd,
		    paths[f], (unsigned)f, field, label_field, flags, err) != 0)
			goto done;
	}
	if (ds->n == 0) {
		nsl_err_at(err, npaths == 1 ? ds->paths[0] : NULL, 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		goto done;
	}
	if (label_field != NULL) {
		ds->labels = rd.labels;		/* the dataset's from now on */
		rd.labels = NULL;
		if (finish_labels(ds, ds->labels, err) != 0)
			goto done;
	}
	if (weight_field != NULL) {
		double t = 0;
		size_t i;

		for (i = 0; i < ds->n; i++)
			t += ds->w[i];
		if (!(t > 0)) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s: field \"%s\": "
			    "all weights are zero", ds->paths[0], weight_field);
			goto done;
		}
	}
	rc = 0;
	goto done;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
done:
	nsl_labels_free(rd.labels);
	nsl_buf_release(&rd.key);
	nsl_rec_release(&rd.rec);
	free(rd.v);
	if (rc != 0)
		nsl_dataset_release(ds);	/* a failed read holds nothing */
	return rc;
}

struct nsl_dataset_where
nsl_dataset_where(const struct nsl_dataset *ds, size_t i)
{
	struct nsl_dataset_where at;
	size_t lo = 0, hi = ds->npaths, mid;

	/* the first file that ends after record i */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ds->file_end[mid] > i)
			hi = mid;
		else
			lo = mid + 1;
	}
	at.file = (unsigned)(lo < ds->npaths ? lo : ds->npaths - 1);
	at.line = (unsigned long)ds->line[i];
	return at;
}

/*
 * Cycle by cycle through a spare row (two for the inverse): the rows
 * held once, and a bit a row for those placed, n / 8 bytes, not a map
 * back.
 */
int
nsl_dataset_permute_rows(void *rows, size_t n, size_t rowb, const size_t *perm,
    int inverse)
{
	unsigned char *done = calloc(n / 8 + 1, 1);
	char *x = rows, *tmp = malloc(2 * rowb + 1), *t2 = tmp + rowb;
	size_t i, j;

#define DONE(r) (done[(r) / 8] & (1u << ((r) % 8)))
#define MARK(r) (done[(r) / 8] |= (unsigned char)(1u << ((r) % 8)))
	if (done == NULL || tmp == NULL) {
		free(done);
		free(tmp);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (DONE(i) || perm[i] == i)
			continue;
		if (!inverse) {
			/* along the cycle: row j takes row perm[j] */
			memcpy(tmp, x + i * rowb, rowb);
			for (j = i; perm[j] != i; j = perm[j]) {
				memcpy(x + j * rowb, x + perm[j] * rowb, rowb);
				MARK(j);
			}
			memcpy(x + j * rowb, tmp, rowb);
			MARK(j);
		} else {
			/* along the cycle: row j goes to row perm[j] */
			memcpy(tmp, x + i * rowb, rowb);
			for (j = perm[i]; j != i; j = perm[j]) {
				memcpy(t2, x + j * rowb, rowb);
				memcpy(x + j * rowb, tmp, rowb);
				memcpy(tmp, t2, rowb);
				MARK(j);
			}
			memcpy(x + i * rowb, tmp, rowb);
			MARK(i);
		}
	}
#undef DONE
#undef MARK
	free(done);
	free(tmp);
	return 0;
}

void
nsl_dataset_release(struct nsl_dataset *ds)
{
	size_t i;

	nsl_mem_free(ds->x);
	free_xf(ds);
	free(ds->w);
	free(ds->label);
	for (i = 0; i < ds->nlabels; i++)
		free(ds->label_names[i]);
	free(ds->label_names);
	nsl_labels_free(ds->labels);
	nsl_buf_release(&ds->lines);
	free(ds->line_off);
	free(ds->line);
	free(ds->file_end);
	free(ds->line_hash);
	free(ds->key_hash);
	for (i = 0; i < ds->npaths; i++)
		free(ds->paths[i]);
	free(ds->paths);
	nsl_spool_free(ds->spool);
	memset(ds, 0, sizeof(*ds));
}

const double *
nsl_dataset_row(const struct nsl_dataset *ds, size_t i, double *buf)
{
	size_t t;

	if (ds->xf == NULL)
		return ds->x + i * ds->d;
	for (t = 0; t < ds->d; t++)
		buf[t] = (double)ds->xf[i * ds->d + t];
	return buf;
}

int
nsl_dataset_to_double(struct nsl_dataset *ds, struct nsl_err *err)
{
	double *x;

	if (ds->xf == NULL)
		return 0;
	if ((x = nsl_dataset_rows_widen(ds->xf, ds->n * ds->d,
	    ds->n * ds->d)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	free_xf(ds);
	ds->x = x;
	return 0;
}

int
nsl_dataset_f32_exact(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((double)(float)v[i] != v[i])
			return 0;
	return 1;
}

/* The n numbers of xf as doubles in x (NULL: out of memory): x. */
static double *
widen_into(double *x, const float *xf, size_t n)
{
	size_t i;

	if (x != NULL)
		for (i = 0; i < n; i++)
			x[i] = (double)xf[i];
	return x;
}

double *
nsl_dataset_rows_widen(const float *xf, size_t n, size_t cap)
{
	return widen_into(nsl_mem_grow(NULL, (cap > n ? cap : n) *
	    sizeof(double)), xf, n);
}

double *
nsl_dataset_f32_widen(const float *xf, size_t n, size_t cap)
{
	return widen_into(malloc((cap > n ? cap : n) * sizeof(double) + 1),
	    xf, n);
}

long
nsl_dataset_label_index(const struct nsl_dataset *ds, const char *text)
{
	return ds->labels != NULL ? nsl_labels_find(ds->labels, text) : -1;
}

int
nsl_dataset_vectors_open(struct nsl_dataset_vectors *V,
    const char *const *vecpaths, size_t nvec, size_t npaths,
    struct nsl_err *err)
{
	size_t f;

	memset(V, 0, sizeof(*V));
	if (npaths == 0)
		npaths = 1;	/* standard input */
	if (nvec != npaths)
		return nsl_err_set(err, NSL_EX_USAGE, "--vectors: %zu .npy "
		    "file%s for %zu JSONL input%s (one beside each, in order)",
		    nvec, nvec == 1 ? "" : "s", npaths, npaths == 1 ? "" : "s");
	if ((V->map = calloc(nvec, sizeof(*V->map))) == NULL ||
	    (V->paths = calloc(nvec, sizeof(*V->paths))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	V->n = nvec;
	for (f = 0; f < nvec; f++) {
		V->paths[f] = vecpaths[f];
		if (nsl_npy_map_open(&V->map[f], vecpaths[f], err) < 0)
			return -1;
		if (f > 0 && V->map[f].a.ncols != V->d) {
			nsl_err_at(err, vecpaths[f], 0);
			return nsl_err_set(err, NSL_EX_DATAERR, "rows of %" PRIu64
			    " numbers, but %s has %zu", V->map[f].a.ncols,
			    vecpaths[0], V->d);
		}
		V->d = (size_t)V->map[f].a.ncols;
	}
	if (V->d == 0) {
		nsl_err_at(err, vecpaths[0], 0);
		return nsl_err_set(err, NSL_EX_DATAERR, "rows of 0 numbers");
	}
	if ((V->v = malloc(V->d * sizeof(double))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return 0;
}

int
nsl_dataset_vectors_row(struct nsl_dataset_vectors *V, size_t file,
    uint64_t row, struct nsl_err *err)
{
	const struct nsl_npy_map *m = &V->map[file];

	if (row >= m->a.rows)
		return nsl_err_set(err, NSL_EX_DATAERR, "record %" PRIu64 ", "
		    "but %s has %" PRIu64 " rows", row + 1, V->paths[file],
		    m->a.rows);
	if (nsl_npy_map_row(m, row, V->v, err) < 0) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		return nsl_err_set(err, NSL_EX_DATAERR, "%.200s: %.300s",
		    V->paths[file], msg);
	}
	return 0;
}

int
nsl_dataset_vectors_row_f32(struct nsl_dataset_vectors *V, size_t file,
    uint64_t row, float *out, struct nsl_err *err)
{
	const struct nsl_npy_map *m = &V->map[file];
	int rc;

	if (m->a.kind != 'f' || m->a.big || m->a.itemsize != 4)
		return 0;
	if (row >= m->a.rows)
		return nsl_err_set(err, NSL_EX_DATAERR, "record %" PRIu64 ", "
		    "but %s has %" PRIu64 " rows", row + 1, V->paths[file],
		    m->a.rows);
	if ((rc = nsl_npy_map_row_f32(m, row, out, err)) < 0) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		return nsl_err_set(err, NSL_EX_DATAERR, "%.200s: %.300s",
		    V->paths[file], msg);
	}
	return rc;
}

float *
nsl_dataset_vectors_take_f32(struct nsl_dataset_vectors *V, void **map,
    size_t *len)
{
	return V->n == 1 ? nsl_npy_map_take_f32(&V->map[0], map, len) : NULL;
}

int
nsl_dataset_vectors_end(struct nsl_dataset_vectors *V, size_t file,
    uint64_t nrec, const char *jsonl, struct nsl_err *err)
{
	if (nrec == V->map[file].a.rows)
		return 0;
	nsl_err_at(err, jsonl, 0);
	return nsl_err_set(err, NSL_EX_DATAERR, "%" PRIu64 " records, but "
	    "%s has %" PRIu64 " rows", nrec, V->paths[file],
	    V->map[file].a.rows);
}

int
nsl_dataset_vectors_get(struct nsl_dataset_vectors *V, struct nsl_err *err)
{
	return nsl_dataset_vectors_row(V, V->file, V->row, err);
}

void
nsl_dataset_vectors_close(struct nsl_dataset_vectors *V)
{
	size_t f;

	for (f = 0; f < V->n; f++)
		nsl_npy_map_close(&V->map[f]);
	free(V->map);
	free(V->paths);
	free(V->v);
	memset(V, 0, sizeof(*V));
}

/* nsl_dataset_each's visit: the record's .npy row placed for fn */
struct each_vec {
	struct nsl_dataset_vectors *V;
	size_t file;
	uint64_t row;
	nsl_rec_fn *fn;
	void *arg;
};

static int
each_vec_one(void *arg, struct nsl_rec *rec, unsigned long lineno,
    uint64_t hash, struct nsl_err *err)
{
	struct each_vec *E = arg;
	struct nsl_dataset_vectors *V = E->V;

	(void)lineno;
	(void)hash;
	V->file = E->file;
	V->row = E->row;
	if (E->row >= V->map[E->file].a.rows)
		return nsl_err_set(err, NSL_EX_DATAERR, "record %" PRIu64
		    ", but %s has %" PRIu64 " rows", E->row + 1,
		    V->paths[E->file], V->map[E->file].a.rows);
	if (E->fn(E->arg, rec, err) != 0)
		return -1;
	/* the rows read are not read again */
	nsl_npy_map_drop(&V->map[E->file], E->row);
	E->row++;
	return 0;
}

/* After file `file`: its .npy had as many rows; the next file from row 0 */
static int
each_vec_end(void *arg, size_t file, const char *name, struct nsl_err *err)
{
	struct each_vec *E = arg;

	if (nsl_dataset_vectors_end(E->V, file, E->row, name, err) < 0)
		return -1;
	E->file = file + 1;
	E->row = 0;
	return 0;
}

int
nsl_dataset_each(const char *const *paths, size_t npaths,
    struct nsl_dataset_vectors *V, struct nsl_rec *rec, nsl_rec_fn *fn,
    void *arg, struct nsl_err *err)
{
	struct each_vec E = { V, 0, 0, fn, arg };

	if (V == NULL)
		return nsl_rec_each(paths, npaths, rec, fn, arg, err);
	return nsl_batch_paths(paths, npaths, rec, each_vec_one, each_vec_end,
	    &E, err);
}
