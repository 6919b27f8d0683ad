/*
 * convert.h - records between JSONL, NumPy .npy, CSV, IDX and
 * safetensors.
 *
 * The engine behind nsl-convert.  Each input file is read by a source for
 * its format and turned into rows; each row is written by the sink of the
 * output format:
 *
 *	jsonl	one record per line; the vector field (opts.field) must be a
 *		number array of one length throughout
 *	npy	a 2-D array gives one row per first-axis entry (other axes
 *		flattened) in the vector field; a 1-D array gives one value
 *		per row in the label field
 *	idx	as npy (MNIST images are (N, 28, 28), labels (N))
 *	safetensors  (input: mapped, nsl/safetensors.h) one record per row
 *		of each tensor in file order, or of opts.tensor alone: the
 *		row record {"tensor", "row", field} (a tensor's rows are its
 *		last dimension; a 1-d tensor is one row), lengths may differ
 *		between tensors; (output) rows grouped into tensors by their
 *		"tensor" member (opts.tensor, else the vector field's name,
 *		when they have none), which must come in order of their "row"
 *		member when they have one; each tensor is [rows, length], or
 *		its input shape when it came from a safetensors input; held
 *		in memory until the end, as for npy output
 *	csv	a header line; each column becomes a field, in column order,
 *		except columns named PREFIX<integer>, which are gathered in
 *		index order into the vector field at the first one's place
 *
 * Every row gets opts.id_field (the 0-based row number over all inputs)
 * unless it has one; labels from opts.labels go into opts.label_field.
 * JSONL input written as JSONL keeps every member's bytes as they were
 * (only a rescaled or --float32 vector is printed again).
 *
 * Errors come back in struct nsl_err with the file and line (text inputs)
 * or the row number (binary inputs).
 */
#ifndef NSL_CONVERT_H
#define NSL_CONVERT_H

#include <stdint.h>

#include "err.h"
#include "io.h"
#include "npy.h"

enum nsl_convert_format {
	NSL_FMT_AUTO = 0,	/* decide from the file name */
	NSL_FMT_JSONL,
	NSL_FMT_NPY,
	NSL_FMT_CSV,
	NSL_FMT_IDX,
	NSL_FMT_SAFETENSORS
};

/* "jsonl", "npy", "csv", "idx", "safetensors" (enum order from
 * NSL_FMT_JSONL), then the alias "json"; NULL-terminated, static. */
extern const char *const nsl_convert_format_names[];

/* A name of nsl_convert_format_names; NSL_FMT_AUTO for others. */
enum nsl_convert_format nsl_convert_format_parse(const char *name);

/*
 * The format a file name implies: *.npy, *.csv, *.jsonl, *.json, IDX names
 * (*-idx1-ubyte, *-idx3-ubyte, *.idx1, *.idx3...), *.safetensors, each
 * optionally with ".gz"; NSL_FMT_AUTO when the name says nothing (and
 * for "-").
 */
enum nsl_convert_format nsl_convert_format_guess(const char *path);

const char *nsl_convert_format_name(enum nsl_convert_format);

struct nsl_convert_opts {
	enum nsl_convert_format from;	/* AUTO: guess per file, else jsonl */
	enum nsl_convert_format to;	/* JSONL, NPY, CSV or SAFETENSORS */
	const char *field;		/* the vector field */
	const char *label_field;
	const char *id_field;
	const char *vector_prefix;	/* CSV vector columns; NULL: field_ */
	/*
	 * A labels file (1-D .npy or IDX).  With to == NSL_FMT_NPY it is
	 * written: the label field of every row, as int64.  Otherwise it is
	 * read and its values become the label field, one per row.
	 */
	const char *labels;
	enum nsl_npy_dtype dtype;	/* to == NSL_FMT_NPY */
	int scaled;			/* multiply vector values by scale */
	double scale;
	int float32;			/* print vectors as float32 */
	int allow_nonfinite;
	/* safetensors: the one tensor to read (NULL: all), or the name of
	 * the output tensor of rows without a "tensor" member */
	const char *tensor;
	const char *st_dtype;		/* output dtype ("F16"; NULL: F32) */
	const char *out_name;		/* the output's name (NULL: stdout),
					 * for the check */
	int list_tensors;		/* safetensors input: one tensor record
					 * (nsl_safetensors_info_write) per
					 * tensor, no rows */
	/* called now and then with the number of rows so far, if set */
	void (*progress)(void *arg, uint64_t rows);
	void *progress_arg;
};

/*
 * NULL if the options go together (the id, vector and label fields are
 * three names; the output format is one that can be written; a
 * safetensors output is not gzipped, has no labels and a known dtype),
 * otherwise
 * a static message naming the parameter.  Pure.
 */
const char *nsl_convert_check(const struct nsl_convert_opts *);

struct nsl_convert;

/*
 * Start a conversion writing to out (borrowed; the caller commits it after
 * nsl_convert_finish).  Opens and reads an input labels file, or opens
 * the output labels file.  Returns NULL with err set.
 */
struct nsl_convert *nsl_convert_new(const struct nsl_convert_opts *,
    struct nsl_writer *out, struct nsl_err *err);

/* Convert every row of one input ("-": standard input).  0 or -1. */
int nsl_convert_file(struct nsl_convert *, const char *path,
    struct nsl_err *err);

/*
 * After the last input: check that there were rows (and as many as
 * labels), write what was held back (npy output), commit the labels
 * file.  0 or -1.
 */
int nsl_convert_finish(struct nsl_convert *, struct nsl_err *err);

/* Rows converted so far. */
uint64_t nsl_convert_rows(const struct nsl_convert *);

void nsl_convert_free(struct nsl_convert *);

#endif
