/*
 * idx.h - the IDX format of MNIST and Fashion-MNIST, read row by row.
 *
 * An IDX file is a 4-byte magic (two zero bytes, a type code, the number
 * of dimensions), one big-endian 32-bit size per dimension, then the
 * elements, big-endian, in C order.  Type codes: 0x08 unsigned byte, 0x09
 * signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
 *
 * As with npy.h the first axis counts rows and the others are flattened
 * into one row of ncols elements: a (60000, 28, 28) image file reads as
 * 60000 rows of 784 pixels, a (60000) label file as 60000 rows of one.
 * Reading goes through struct nsl_reader, so gzipped files (as MNIST is
 * distributed) read the same way.
 */
#ifndef NSL_IDX_H
#define NSL_IDX_H

#include <stdint.h>

#include "err.h"
#include "io.h"

enum nsl_idx_type {
	NSL_IDX_U8 = 0x08,
	NSL_IDX_I8 = 0x09,
	NSL_IDX_I16 = 0x0B,
	NSL_IDX_I32 = 0x0C,
	NSL_IDX_F32 = 0x0D,
	NSL_IDX_F64 = 0x0E
};

/*
 * An open IDX file.  After nsl_idx_open: type, itemsize, ndim, dims[],
 * rows (dims[0]) and ncols (product of the other dims); row is the index
 * of the next row.  The rest is private.
 */
struct nsl_idx {
	enum nsl_idx_type type;
	int itemsize;
	int ndim;
	uint32_t dims[255];
	uint64_t rows;
	uint64_t ncols;
	uint64_t row;
	uint64_t data_offset;
	unsigned char *raw;
	size_t rawcap;
	int ended;
};

/*
 * Read and check the magic and the dimensions.  Returns 0, or -1 with err
 * set: NSL_EX_DATAERR for a bad magic, an unknown type code, zero
 * dimensions or a truncated header.  Release idx even after a failure.
 */
int nsl_idx_open(struct nsl_idx *, struct nsl_reader *r, struct nsl_err *err);

/* 1 if the type holds integers (every type but 0x0D and 0x0E). */
int nsl_idx_integral(const struct nsl_idx *);

/*
 * Read the next row into out[0..ncols).  Returns 1 for a row, 0 after the
 * last (having checked that nothing follows), -1 with err set: a short
 * file is NSL_EX_DATAERR naming the row and byte offset.
 */
int nsl_idx_next(struct nsl_idx *, struct nsl_reader *r, double *out,
    struct nsl_err *err);

void nsl_idx_release(struct nsl_idx *);

#endif
