/*
 * idx.c - the IDX format of MNIST (see nsl/idx.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/idx.h"

#define MAX_ROW ((uint64_t)1 << 28)	/* elements in one row */

static int
type_size(int type)
{
	switch (type) {
	case NSL_IDX_U8:
	case NSL_IDX_I8:
		return 1;
	case NSL_IDX_I16:
		return 2;
	case NSL_IDX_I32:
	case NSL_IDX_F32:
		return 4;
	case NSL_IDX_F64:
		return 8;
	default:
		return 0;
	}
}

static uint64_t
load_be(const unsigned char *p, int n)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < n; i++)
		u = u << 8 | p[i];
	return u;
}

int
nsl_idx_open(struct nsl_idx *x, struct nsl_reader *r, struct nsl_err *err)
{
	unsigned char magic[4], dim[4];
	int i;

	memset(x, 0, sizeof(*x));
	nsl_err_at(err, nsl_reader_name(r), 0);
	if (nsl_reader_read_exact(r, magic, 4, 0, "IDX magic", err) != 0)
		return -1;
	if (magic[0] != 0 || magic[1] != 0 || type_size(magic[2]) == 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "not an IDX file (magic 0x%02x%02x%02x%02x)",
		    magic[0], magic[1], magic[2], magic[3]);
	if (magic[3] == 0)
		return nsl_err_set(err, NSL_EX_DATAERR,
		    "IDX file with zero dimensions");
	x->type = (enum nsl_idx_type)magic[2];
	x->itemsize = type_size(magic[2]);
	x->ndim = magic[3];
	x->ncols = 1;
	for (i = 0; i < x->ndim; i++) {
		if (nsl_reader_read_exact(r, dim, 4, 4 + 4 * (uint64_t)i,
		    "IDX dimensions", err) != 0)
			return -1;
		x->dims[i] = (uint32_t)load_be(dim, 4);
		if (i == 0)
			continue;
		/* a row's doubles must fit in memory, and byte offsets
		 * (rows < 2^32 times row bytes) in 64 bits */
		if (x->dims[i] != 0 && x->ncols > MAX_ROW / x->dims[i])
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "IDX dimensions too large");
		x->ncols *= x->dims[i];
	}
	x->rows = x->dims[0];
	x->data_offset = 4 + 4 * (uint64_t)x->ndim;
	return 0;
}

int
nsl_idx_integral(const struct nsl_idx *x)
{
	return x->type != NSL_IDX_F32 && x->type != NSL_IDX_F64;
}

int
nsl_idx_next(struct nsl_idx *x, struct nsl_reader *r, double *out,
    struct nsl_err *err)
{
	size_t rowbytes = (size_t)x->ncols * (size_t)x->itemsize, j;
	const unsigned char *p;
	unsigned char *q;
	uint64_t u;
	uint32_t w;
	float f;
	char what[64];
	long got;

	nsl_err_at(err, nsl_reader_name(r), 0);
	if (x->row == x->rows) {
		if (x->ended)
			return 0;
		/* a file longer than its dimensions say is corrupt too */
		got = nsl_reader_read(r, &w, 1, err);
		if (got < 0) {
			nsl_err_at(err, nsl_reader_name(r), 0);
			return -1;
		}
		if (got > 0)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "unexpected data after %" PRIu64 " rows at byte %"
			    PRIu64, x->rows, x->data_offset + x->rows *
			    (uint64_t)rowbytes);
		x->ended = 1;
		return 0;
	}
	if (rowbytes > x->rawcap) {
		if ((q = realloc(x->raw, rowbytes)) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		x->raw = q;
		x->rawcap = rowbytes;
	}
	snprintf(what, sizeof(what), "row %" PRIu64 " of %" PRIu64, x->row,
	    x->rows);
	if (nsl_reader_read_exact(r, x->raw, rowbytes, x->data_offset + x->row *
	    (uint64_t)rowbytes, what, err) != 0)
		return -1;
	p = x->raw;
	switch (x->type) {
	case NSL_IDX_U8:
		for (j = 0; j < x->ncols; j++)
			out[j] = p[j];
		break;
	case NSL_IDX_I8:
		for (j = 0; j < x->ncols; j++)
			out[j] = (signed char)p[j];
		break;
	case NSL_IDX_I16:
		for (j = 0; j < x->ncols; j++, p += 2) {
			u = load_be(p, 2);
			out[j] = u >= 0x8000 ? (double)u - 65536.0 : (double)u;
		}
		break;
	case NSL_IDX_I32:
		for (j = 0; j < x->ncols; j++, p += 4) {
			u = load_be(p, 4);
			out[j] = u >= 0x80000000u ? (double)u - 4294967296.0 :
			    (double)u;
		}
		break;
	case NSL_IDX_F32:
		for (j = 0; j < x->ncols; j++, p += 4) {
			w = (uint32_t)load_be(p, 4);
			memcpy(&f, &w, 4);
			out[j] = f;
		}
		break;
	case NSL_IDX_F64:
		for (j = 0; j < x->ncols; j++, p += 8) {
			u = load_be(p, 8);
			memcpy(&out[j], &u, 8);
		}
		break;
	}
	x->row++;
	return 1;
}

void
nsl_idx_release(struct nsl_idx *x)
{
	free(x->raw);
	x->raw = NULL;
	x->rawcap = 0;
}
