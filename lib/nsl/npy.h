/*
 * npy.h - NumPy .npy arrays: read row by row, write 2-D or 1-D.
 *
 * The .npy format (numpy.lib.format) is a magic string, a version, a
 * header length and a Python dict literal giving 'descr' (the dtype),
 * 'fortran_order' and 'shape', followed by the raw elements.  Versions
 * 1.0, 2.0 and 3.0 are read; numeric dtypes of kind f (4 and 8 bytes),
 * i and u (1, 2, 4 and 8 bytes) and b (bool) in either byte order.
 *
 * Reading sees an array as rows: the first axis counts rows and the others
 * are flattened in C order into one row of ncols elements, so a (N, 28, 28)
 * array reads as N rows of 784.  A 1-D array has ncols 1, a 0-d array is an
 * error.  C-order data streams one row at a time; Fortran-order data is
 * loaded whole on the first read (numpy stores it column by column).
 *
 * Reading goes through struct nsl_reader, so a .npy.gz reads the same way.
 * Writing buffers the rows (in memory, then in a temporary file past
 * NSL_NPY_SPILL bytes) because the header, written first, holds the row
 * count; numpy's own header layout is reproduced byte for byte.
 */
#ifndef NSL_NPY_H
#define NSL_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "io.h"

#define NSL_NPY_MAXDIM 32

/*
 * An open array being read.  After nsl_npy_open: kind is 'f', 'i', 'u' or
 * 'b'; itemsize the bytes of one element; rows * ncols the element count;
 * row the index of the next row nsl_npy_next returns.  The other members
 * are private.
 */
struct nsl_npy {
	char kind;
	int itemsize;
	int big;		/* elements are big-endian */
	int fortran;
	int ndim;
	uint64_t shape[NSL_NPY_MAXDIM];
	uint64_t rows;
	uint64_t ncols;
	uint64_t row;
	uint64_t data_offset;	/* bytes before the first element */
	char descr[16];		/* as written in the header, e.g. "<f4" */
	unsigned char *raw;	/* one row, or the whole array (Fortran) */
	size_t rawcap;
	int loaded;
	int ended;
};

/*
 * Parse the header dict text (the bytes after the length field) into npy:
 * kind, itemsize, big, fortran, ndim, shape, rows, ncols, descr.  Returns
 * 0, or -1 with err set (NSL_EX_DATAERR).
 */
int nsl_npy_parse_header(struct nsl_npy *, const char *text, size_t len,
    struct nsl_err *err);

/*
 * Read the magic, version and header from r.  Returns 0, or -1 with err
 * set (NSL_EX_DATAERR for a malformed header or an unsupported dtype, the
 * reader's code for a read error).  Release npy even after a failure.
 */
int nsl_npy_open(struct nsl_npy *, struct nsl_reader *r, struct nsl_err *err);

/*
 * Read the next row into out[0..ncols) as doubles (int64 and uint64
 * values beyond 2^53 round to the nearest double).  When iout is not NULL
 * and the dtype is integral, also store the exact values there.  Returns
 * 1 for a row, 0 after the last row (having checked that no bytes follow
 * the array), -1 with err set: a short file is NSL_EX_DATAERR naming the
 * row and byte offset; a uint64 beyond INT64_MAX asked for in iout is
 * NSL_EX_DATAERR too.
 */
int nsl_npy_next(struct nsl_npy *, struct nsl_reader *r, double *out,
    long long *iout, struct nsl_err *err);

void nsl_npy_release(struct nsl_npy *);

/*
 * Writing.  An nsl_npy_out gathers rows of one dtype and then writes the
 * whole file.  ndim is 2 (rows of ncols, fixed by the first row) or 1 (one
 * value per row).  Numbers written as NSL_NPY_F4 are rounded to float.
 */
enum nsl_npy_dtype {
	NSL_NPY_F8,		/* '<f8' */
	NSL_NPY_F4,		/* '<f4' */
	NSL_NPY_I8		/* '<i8' */
};

/* Bytes kept in memory before the rows go to a temporary file. */
#define NSL_NPY_SPILL ((size_t)64 << 20)

struct nsl_npy_out {
	enum nsl_npy_dtype dtype;
	int ndim;
	uint64_t rows;
	uint64_t ncols;
	unsigned char *mem;	/* private from here on */
	size_t len;
	size_t cap;
	size_t spill_at;
	FILE *spill;
};

void nsl_npy_out_init(struct nsl_npy_out *, enum nsl_npy_dtype, int ndim);

/*
 * Append one row of n doubles (ndim 2) or one value (ndim 1, n == 1).
 * The first row fixes ncols; a row of another length is NSL_EX_DATAERR
 * ("vector has 3 values, expected 4").  Integral dtypes take x rounded
 * toward zero; prefer nsl_npy_out_int for them.
 */
int nsl_npy_out_row(struct nsl_npy_out *, const double *x, size_t n,
    struct nsl_err *err);

/* Append one exact integer value (ndim 1 or ncols 1 arrays of NSL_NPY_I8). */
int nsl_npy_out_int(struct nsl_npy_out *, long long v, struct nsl_err *err);

/*
 * Write the header and every row to w (not committed: the caller commits).
 * An array with no rows is written with shape (0,) or (0, 0).
 */
int nsl_npy_out_write(struct nsl_npy_out *, struct nsl_writer *w,
    struct nsl_err *err);

void nsl_npy_out_release(struct nsl_npy_out *);

/*
 * Format the header of an array (magic, version, length, dict, padding) as
 * numpy 1.24 does into buf (at least 128 bytes + 24 per dimension).
 * Returns the header length.
 */
size_t nsl_npy_format_header(char *buf, size_t size, const char *descr,
    int fortran, const uint64_t *shape, int ndim);

/*
 * A .npy file mapped read-only, for reading rows by index: the embeddings
 * of a JSONL shard kept beside it (row i is the shard's record i).  The
 * file must be a plain file (no .gz, no pipe) in C order with at least one
 * axis; rows and ncols are those of struct nsl_npy above.  Nothing is
 * read until a row is asked for: a row costs its own pages, and rows
 * read in order can be given back with nsl_npy_map_drop, so the resident
 * size stays bounded however large the file.
 */
struct nsl_npy_map {
	struct nsl_npy a;	/* the header: kind, itemsize, rows, ncols */
	size_t drop_min;	/* bytes given back at least at once:
				 * NSL_NPY_DROP after the open */
	const unsigned char *base;	/* private from here on */
	const unsigned char *data;
	size_t len, rowbytes, dropped;
	size_t ahead;		/* bytes of rows mapped ahead of the reader */
	int taken;		/* the mapping is the caller's (take_f32) */
};

/* Bytes of rows behind the reader given back at once. */
#define NSL_NPY_DROP ((size_t)16 << 20)

/*
 * Map path and check its header and size (rows x ncols x itemsize bytes
 * after the header, exactly).  Returns 0, or -1 with err set at path:
 * NSL_EX_NOINPUT when it cannot be opened or is not a regular file,
 * NSL_EX_DATAERR for a bad header, Fortran order or a wrong size.
 * Close m after a failure too.
 */
int nsl_npy_map_open(struct nsl_npy_map *, const char *path,
    struct nsl_err *err);

/*
 * Row r into out[0..ncols) as doubles (float32 widened exactly).  Returns
 * 0, or -1 with err set (NSL_EX_DATAERR) for r past the last row or an
 * element that is NaN or infinite.
 */
int nsl_npy_map_row(const struct nsl_npy_map *, uint64_t r, double *out,
    struct nsl_err *err);

/*
 * Row r into out[0..ncols) as float32, when the array holds float32 (as
 * stored: no conversion to double and back): returns 1; 0 when it holds
 * another type (nothing read: take nsl_npy_map_row); -1 with err set as
 * nsl_npy_map_row's.
 */
int nsl_npy_map_row_f32(const struct nsl_npy_map *, uint64_t r, float *out,
    struct nsl_err *err);

/*
 * The whole array in place as float32 rows, for a caller that keeps
 * every row (a data set read whole) instead of copying each out: the
 * pages of a file the page cache holds already cost no new memory and
 * no copy.  The mapping is made writable (it is private: a write copies
 * its page, the file never changes) and handed to the caller, who frees
 * it with nsl_npy_rows_free(*map, *len) after m is closed.  m still
 * reads and checks rows (nsl_npy_map_row_f32 with out the row itself
 * only checks it), but gives no page back.  NULL, m unchanged, when the
 * array does not hold little-endian float32, its data is not 4-byte
 * aligned in the file, or the mapping cannot be made writable: copy the
 * rows then.
 */
float *nsl_npy_map_take_f32(struct nsl_npy_map *, void **map, size_t *len);
void nsl_npy_rows_free(void *map, size_t len);

/* Give back the pages of the rows before r (reading in order). */
void nsl_npy_map_drop(struct nsl_npy_map *, uint64_t r);

void nsl_npy_map_close(struct nsl_npy_map *);

#endif
