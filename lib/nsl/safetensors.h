/*
 * safetensors.h - read and write safetensors checkpoints.
 *
 * The format (huggingface/safetensors, README "Format"): an 8-byte
 * little-endian unsigned header length N, then N bytes of UTF-8 JSON,
 * then the data buffer, which runs to the end of the file.  The header
 * is an object: each member is a tensor
 *
 *	"NAME": {"dtype": "F16", "shape": [2, 3], "data_offsets": [B, E]}
 *
 * whose bytes are data[B..E) (offsets relative to the buffer, not the
 * file), little-endian, C (row-major) order; and the optional member
 * "__metadata__" is an object of string values.  What the reference
 * implementation enforces, and we with it:
 *	- N is at most NSL_SAFETENSORS_MAX_HEADER (100 MB) and 8 + N is
 *	  within the file; the header starts with '{';
 *	- names are unique; each entry has exactly those three members
 *	  (we refuse others, where the reference ignores them: a member we
 *	  do not know could change what the bytes mean);
 *	- shape entries and offsets are non-negative integers (no sign, no
 *	  fraction, no exponent) and E - B equals product(shape) times the
 *	  dtype's size, without overflow;
 *	- sorted by offset, the tensors tile the buffer exactly: the first
 *	  begins at 0, each begins where the one before ends (no overlap, no
 *	  hole) and the last ends at the end of the file.
 * Every failure is NSL_EX_DATAERR (65) with a message that names the
 * tensor and what is wrong, e.g.
 *	tensor "w": data_offsets [0, 12] hold 12 bytes, shape [2, 2] of F32
 *	needs 16
 * except that a file that cannot be opened or mapped is NSL_EX_NOINPUT
 * (66) and an out-of-memory NSL_EX_SOFTWARE (70).  err->file is set to
 * the file's name; err->line stays 0.
 *
 * Reading maps the file (read-only, never written through) and decodes
 * on request, so memory is the header's plus what the caller asks for:
 * one row, or one tensor, at a time, whatever the file's size.  Rows of
 * a tensor are its last dimension: shape [4, 3, 5] is 12 rows of 5; a
 * 1-d tensor is one row; a 0-d tensor is one row of one value.  Pages
 * the reader has left behind are given back to the system every 16 MB
 * and at the end of each tensor, so the resident part of the file stays
 * near 16 MB whatever the tensor's size.  A file truncated by someone
 * else while mapped is beyond our reach (SIGBUS), as for every reader
 * that maps.
 *
 * Writing: declare every tensor (name, dtype, shape) and the metadata,
 * then begin (the header goes out), then hand over each tensor's rows in
 * the order nsl_safetensors_writer_next() says.  The order and the
 * header bytes are the reference writer's: tensors by dtype alignment
 * (the dtype table's order, last first) then by name, the header as
 * compact JSON with "__metadata__" first, padded with spaces to a
 * multiple of 8 bytes, so every tensor's data is aligned.  Memory is
 * one row.
 *
 * How the tools are meant to call it (error handling left out):
 *
 * nsl-convert --from safetensors [--tensor NAME]: one record a row
 *	st = nsl_safetensors_open(path, &err);
 *	for (i = 0; i < nsl_safetensors_count(st); i++) {   // file order
 *		t = nsl_safetensors_tensor(st, i);	// or _find(st, NAME)
 *		for (r = 0; r < t->rows; r++) {
 *			nsl_safetensors_read_rows(st, t, r, 1, x, &err);
 *			nsl_obj_begin(&o, &line);
 *			nsl_safetensors_row_write(&o, t->name, r, field, x,
 *			    t->ncols);
 *			nsl_obj_end(&o);	// then nsl_writer_write
 *		}
 *	}
 *	nsl_safetensors_close(st);
 *
 * nsl-quantize on a checkpoint, writing a dequantized copy and one
 * stats record per tensor: declare the output's tensors from the
 * input's (same names and shapes, the dtype kept or chosen), then
 *	while ((k = nsl_safetensors_writer_next(w)) >= 0) {
 *		t = input tensor k; nsl_safetensors_stats_init(&s);
 *		for (r = 0; r < t->rows; r++) {
 *			read_rows(st, t, r, 1, x); quantize x into q;
 *			nsl_safetensors_stats_add(&s, x, q, t->ncols, limit);
 *			nsl_safetensors_writer_rows(w, q, 1, &err);
 *		}
 *		nsl_safetensors_stats_summary(&s, &m);
 *		nsl_safetensors_stats_write(&o, t->name, ...);	// a record
 *	}
 *	nsl_safetensors_writer_finish(w, &err); nsl_writer_commit(out, ...);
 * Codes with scales are two tensors of the output: the codes in an
 * 8-bit dtype (F8_E4M3, I8 ...; or raw bytes through _writer_raw) and
 * the scales in F32 beside them, named by the tool.
 */
#ifndef NSL_SAFETENSORS_H
#define NSL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "io.h"
#include "json.h"

/* The reference implementation refuses larger headers (MAX_HEADER_SIZE). */
#define NSL_SAFETENSORS_MAX_HEADER 100000000ULL

/*
 * The dtypes: one table, one row each, in the reference's alignment
 * order (its Dtype enum), which the writer sorts by.  Floats decode
 * exactly to double by their bit layout; integers too, except I64 and
 * U64 beyond 2^53, which round to the nearest double.  BOOL decodes a
 * nonzero byte as 1.
 */
enum nsl_safetensors_kind {
	NSL_ST_BOOL,
	NSL_ST_UINT,
	NSL_ST_SINT,
	NSL_ST_FLOAT
};

struct nsl_safetensors_dtype {
	const char *name;	/* as in the header: "F16" */
	unsigned size;		/* bytes per element */
	enum nsl_safetensors_kind kind;
	int ebits, mbits;	/* floats: exponent and fraction bits */
	int has_inf;		/* floats: IEEE infinities; 0 for F8_E4M3,
				   whose only NaN is S.1111.111 (e4m3fn) */
	double max;		/* largest finite value */
	double min;		/* smallest value (-max for floats) */
	const char *desc;
};

extern const struct nsl_safetensors_dtype nsl_safetensors_dtypes[];
extern const size_t nsl_safetensors_ndtypes;

/* The row named name (as in a header), or NULL. */
const struct nsl_safetensors_dtype *nsl_safetensors_dtype_find(
    const char *name);

/* Decode one little-endian element at p. */
double nsl_safetensors_decode(const struct nsl_safetensors_dtype *,
    const unsigned char *p);

/*
 * Encode x into one little-endian element at p, rounding to nearest,
 * ties to even (integers: rint; floats: in the format's own precision,
 * subnormals included).  A value whose rounding lies beyond [min, max]
 * -- a finite value that would become infinite, one beyond F8_E4M3's
 * 448, an infinity for a format without them, an integer out of range --
 * is out of range: returns -1 unless saturate, when it is clamped to
 * max (or min) and 1 is returned.  NaN encodes as the format's NaN; for
 * integers and BOOL it is -1 whatever saturate says.  Returns 0 when the
 * value fits.  Infinities of formats that have them encode as such.
 */
int nsl_safetensors_encode(const struct nsl_safetensors_dtype *, double x,
    int saturate, unsigned char *p);

/*
 * An open file.  Tensors are held in file order (by data offset, header
 * order among equal offsets).  Invariants after nsl_safetensors_open:
 * every tensor's bytes lie in the map and the tensors tile the buffer;
 * rows * ncols == nelem; names are NUL-terminated and unique.
 */
struct nsl_safetensors_tensor {
	const char *name;	/* decoded, owned by the file */
	const struct nsl_safetensors_dtype *dtype;
	int ndim;
	const uint64_t *shape;	/* ndim entries, owned by the file */
	uint64_t nelem;		/* product of shape (1 for 0-d) */
	uint64_t rows;		/* product of shape but the last (1 for 0-d) */
	uint64_t ncols;		/* last dimension (1 for 0-d) */
	uint64_t begin, end;	/* data_offsets, relative to the buffer */
	size_t header_index;	/* place among the header's members */
};

struct nsl_safetensors;

/*
 * Map and check path ("-": standard input, which must then be a regular
 * file, as in "< model.safetensors").  Returns a new handle (free with
 * nsl_safetensors_close) or NULL with err set (see above).
 */
struct nsl_safetensors *nsl_safetensors_open(const char *path,
    struct nsl_err *err);

void nsl_safetensors_close(struct nsl_safetensors *);

/* The name used in messages ("<stdin>" for "-"). */
const char *nsl_safetensors_name(const struct nsl_safetensors *);

size_t nsl_safetensors_count(const struct nsl_safetensors *);

/* Tensor i (0 <= i < count) in file order; borrowed from the handle. */
const struct nsl_safetensors_tensor *nsl_safetensors_tensor(
    const struct nsl_safetensors *, size_t i);

/*
 * The tensor named name, or NULL with err set (NSL_EX_DATAERR: 'no
 * tensor "x" in FILE').  err may be NULL.  O(log n).
 */
const struct nsl_safetensors_tensor *nsl_safetensors_find(
    const struct nsl_safetensors *, const char *name, struct nsl_err *err);

/* "__metadata__" entries, in header order; borrowed strings. */
size_t nsl_safetensors_meta_count(const struct nsl_safetensors *);
const char *nsl_safetensors_meta_key(const struct nsl_safetensors *,
    size_t i);
const char *nsl_safetensors_meta_value(const struct nsl_safetensors *,
    size_t i);
/* The value of key, or NULL. */
const char *nsl_safetensors_meta_get(const struct nsl_safetensors *,
    const char *key);

/*
 * Decode rows [row, row + nrows) of t into out[0 .. nrows * ncols).
 * Returns 0, or -1 with err set to NSL_EX_SOFTWARE when the rows are
 * not in the tensor (a caller's bug: the file was checked at open).
 */
int nsl_safetensors_read_rows(struct nsl_safetensors *,
    const struct nsl_safetensors_tensor *t, uint64_t row, uint64_t nrows,
    double *out, struct nsl_err *err);

/*
 * The tensor's raw bytes (end - begin of them), borrowed from the map:
 * for copying a tensor through unchanged.  Valid until close.
 */
const unsigned char *nsl_safetensors_raw(const struct nsl_safetensors *,
    const struct nsl_safetensors_tensor *t);

/*
 * Writer.  Call order: _new, _meta and _add any number of times, _begin
 * or _begin_file once, then for each tensor in turn (_next says which)
 * its rows through _rows or its bytes through _raw, then _finish.  The
 * caller owns the output: an nsl_writer it opened (commit it after
 * _finish, so a failure leaves no half-written file) or a FILE*.  Not
 * a name ending in ".gz", which nsl_writer compresses: loaders map the
 * file, so the tool should refuse one.
 * Failures: a bad declaration (duplicate name, "__metadata__" as a name,
 * a shape whose size overflows) or a value out of range is
 * NSL_EX_DATAERR naming the tensor (and row); a write error is the
 * sink's NSL_EX_IOERR; rows beyond a tensor's or a call out of order is
 * NSL_EX_SOFTWARE.
 */
enum nsl_safetensors_flags {
	/* clamp out-of-range values to the dtype's range, and count them */
	NSL_ST_SATURATE = 1 << 0
};

struct nsl_safetensors_writer;

struct nsl_safetensors_writer *nsl_safetensors_writer_new(unsigned flags);

/* Add a "__metadata__" entry (copied).  A repeated key is an error. */
int nsl_safetensors_writer_meta(struct nsl_safetensors_writer *,
    const char *key, const char *value, struct nsl_err *err);

/* Declare a tensor (name and shape copied).  Returns its index (0, 1,
 * ... in declaration order) or -1. */
long nsl_safetensors_writer_add(struct nsl_safetensors_writer *,
    const char *name, const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape, struct nsl_err *err);

/* Fix the order and write the length and header to out (or fp). */
int nsl_safetensors_writer_begin(struct nsl_safetensors_writer *,
    struct nsl_writer *out, struct nsl_err *err);
int nsl_safetensors_writer_begin_file(struct nsl_safetensors_writer *,
    FILE *fp, struct nsl_err *err);

/*
 * The declaration index of the tensor whose data comes next, or -1 when
 * every tensor is complete.  A tensor with no elements is complete at
 * once and skipped.
 */
long nsl_safetensors_writer_next(const struct nsl_safetensors_writer *);

/*
 * Append nrows rows (nrows * ncols values) to the current tensor,
 * encoded to its dtype (see nsl_safetensors_encode).  Moving on to the
 * next tensor happens when this one is full.
 */
int nsl_safetensors_writer_rows(struct nsl_safetensors_writer *,
    const double *x, uint64_t nrows, struct nsl_err *err);

/* Append n raw bytes (little-endian elements of the dtype). */
int nsl_safetensors_writer_raw(struct nsl_safetensors_writer *,
    const void *p, size_t n, struct nsl_err *err);

/* Check that every tensor is complete; flush a FILE*.  0 or -1. */
int nsl_safetensors_writer_finish(struct nsl_safetensors_writer *,
    struct nsl_err *err);

/* Values clamped so far (NSL_ST_SATURATE). */
uint64_t nsl_safetensors_writer_saturated(
    const struct nsl_safetensors_writer *);

/* Free (NULL is fine).  Does not close or commit the output. */
void nsl_safetensors_writer_free(struct nsl_safetensors_writer *);

/*
 * Error statistics of a quantized copy q of x, accumulated row by row
 * so a tensor never has to be held whole:
 *	mse		sum (x - q)^2 / n
 *	sqnr_db		10 log10(sum x^2 / sum (x - q)^2); +inf when the
 *			error is 0 (x all 0 included), -inf when x is all 0
 *			and the error is not
 *	max_abs_error	max |x - q|
 *	saturated	fraction of values with |x| > limit, the largest
 *			magnitude the format (times its scale) holds
 *	flushed		fraction of nonzero x whose q is 0
 * Pairs where x or q is NaN or infinite are counted in nonfinite and
 * left out of the rest.  Sums are compensated (Neumaier), so millions
 * of small terms do not drift.
 */
struct nsl_safetensors_stats {
	uint64_t n;
	uint64_t saturated;
	uint64_t flushed;
	uint64_t nonfinite;
	double max_abs_error;
	double sum_sq, sum_sq_c;	/* sum x^2 and its compensation */
	double err_sq, err_sq_c;	/* sum (x - q)^2 and its compensation */
};

void nsl_safetensors_stats_init(struct nsl_safetensors_stats *);
/* limit: INFINITY when nothing saturates. */
void nsl_safetensors_stats_add(struct nsl_safetensors_stats *,
    const double *x, const double *q, size_t n, double limit);
void nsl_safetensors_stats_merge(struct nsl_safetensors_stats *,
    const struct nsl_safetensors_stats *);

/* The figures above: what a stats record holds. */
struct nsl_safetensors_summary {
	uint64_t n;
	double mse, sqnr_db, max_abs_error;
	double saturated, flushed;	/* fractions of n */
	uint64_t nonfinite;
};

void nsl_safetensors_stats_summary(const struct nsl_safetensors_stats *,
    struct nsl_safetensors_summary *);

/*
 * Records.  Each pair writes members into an open object (the caller
 * begins and ends it, and may copy members of its own around them) and
 * reads them back from a parsed record.  Parse functions return 0, or
 * -1 with err set (NSL_EX_DATAERR naming the field); names are decoded
 * into *name (reset first), shapes into shape[0..*ndim) (at most maxdim
 * entries).
 *
 * The tensor record: "tensor", "dtype", "shape" -- a listing of a
 * checkpoint is one per tensor, and the stats record begins with the
 * same members.
 */
void nsl_safetensors_info_write(struct nsl_obj *, const char *name,
    const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape);
int nsl_safetensors_info_parse(const struct nsl_rec *, struct nsl_buf *name,
    const struct nsl_safetensors_dtype **dtype, int *ndim, uint64_t *shape,
    int maxdim, struct nsl_err *err);

/*
 * The row record: "tensor", "row" (0-based, within the tensor), then
 * field (the tool's vector field, "embedding" by default) holding the
 * row's values, in the object's number style.  One record per row.
 * Parse fills *x (grown as nsl_rec_vector does; the caller owns it).
 */
void nsl_safetensors_row_write(struct nsl_obj *, const char *name,
    uint64_t row, const char *field, const double *x, size_t n);
int nsl_safetensors_row_parse(const struct nsl_rec *, struct nsl_buf *name,
    uint64_t *row, const char *field, double **x, size_t *n, size_t *cap,
    struct nsl_err *err);

/*
 * The stats record: the tensor record's members, then
 *	"n", "mse", "sqnr_db", "max_abs_error", "saturated", "flushed",
 *	"nonfinite"
 * (sqnr_db null when it is not finite, JSON having no infinity; mse and
 * max_abs_error null when n is 0).  A null sqnr_db reads back as +inf
 * when mse is 0 (or n is 0), -inf otherwise.
 */
void nsl_safetensors_stats_write(struct nsl_obj *, const char *name,
    const struct nsl_safetensors_dtype *dtype, int ndim,
    const uint64_t *shape, const struct nsl_safetensors_summary *);
int nsl_safetensors_stats_parse(const struct nsl_rec *, struct nsl_buf *name,
    const struct nsl_safetensors_dtype **dtype, int *ndim, uint64_t *shape,
    int maxdim, struct nsl_safetensors_summary *, struct nsl_err *err);

#endif
