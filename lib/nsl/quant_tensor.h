/*
 * quant_tensor.h - quantize a safetensors checkpoint tensor by tensor,
 * with the per-tensor error table (nsl-quantize on a .safetensors file).
 *
 * The input is mapped (nsl/safetensors.h) and read a few rows at a time;
 * the output is written as it goes, so memory is a batch of rows (at
 * least one row: a 1-d tensor is one row) whatever the checkpoint's
 * size.  Which tensors: every floating-point tensor (F64, F32, F16,
 * BF16, F8_*), or the one named by opts.tensor; the others go to the
 * output byte for byte.  A tensor's rows are its last dimension, and
 * they are what the JSONL filter calls records: --scale-by row gives one
 * scale per row, block and MX formats blocks along a row, tensor one
 * scale for the tensor (found by a first pass over its rows).
 *
 * Output, a safetensors file in the reference writer's layout, with the
 * input's "__metadata__" entries (but those named nsl.*) and
 *	nsl.format, nsl.scale (none/tensor/row/block), nsl.block (when
 *	blocks), nsl.emit (values or codes)
 * values (the default): each quantized tensor dequantized, with its
 *	name and shape, in opts.dtype or else its own dtype (values beyond
 *	the dtype's range clamp to its largest, as the rounding to it
 *	would; the statistics are of the values as stored).
 * codes: each quantized tensor T becomes T itself holding the codes,
 *	one per byte (dtype F8_E4M3 for fp8-e4m3 and mxfp8-e4m3 elements,
 *	F8_E5M2 for fp8-e5m2 and mxfp8-e5m2, I8 for symmetric int8, U8
 *	otherwise, in the code layout of nsl/quant.h), and its scales
 *	beside it: T.scales (F32) for the tensor, row and block scales,
 *	T.e8m0 (U8, the biased exponents) for MX, T.zero_points (U8) for
 *	asymmetric integers; shape [1] for a tensor scale, else [rows,
 *	spans per row].  A cast (--scale-by none) has no scales.
 *
 * The table (appended to opts.table when not NULL): one stats record
 * (nsl_safetensors_stats_write) per quantized tensor, in file order, of
 * the input values against the quantized ones.  "saturated" counts the
 * values that round beyond the format's largest magnitude: |x| greater
 * than the span's scale times (max + half the step from the next value
 * down to max); a cast's scale is 1.  (Not measured with --rotate, whose
 * spans are rotated, nor for asymmetric integers: 0 there.)
 *
 * Stochastic rounding draws from stream i of opts' seed for the i-th
 * tensor in file order, so a tensor's codes do not depend on the others.
 * NaN and infinities in the input, or produced by an fp8 overflow, are
 * errors (65, naming tensor, row and element) unless allow_nonfinite.
 */
#ifndef NSL_QUANT_TENSOR_H
#define NSL_QUANT_TENSOR_H

#include "buf.h"
#include "err.h"
#include "io.h"
#include "quant.h"

struct nsl_quant_tensor_opts {
	const char *tensor;	/* quantize this one alone (NULL: all) */
	const char *dtype;	/* values output dtype (NULL: the input's) */
	int emit_codes;
	int allow_nonfinite;
	struct nsl_buf *table;	/* the stats records go here (may be NULL) */
	/* for the check: the command line around it */
	int ninputs;		/* input files named */
	int other_mode;		/* --decode or --search, not for checkpoints */
};

/* 1 if path names a safetensors file: "*.safetensors", ".gz" or not. */
int nsl_quant_tensor_path(const char *path);

/*
 * NULL if q and o can run on a checkpoint, else a static message naming
 * the parameter: one input, no other mode; output (its name; NULL or "-"
 * is standard output) must not end in ".gz" nor be a terminal; dtype
 * must be a floating-point dtype and goes with values only.
 */
const char *nsl_quant_tensor_check(const struct nsl_quant *q,
    const struct nsl_quant_tensor_opts *o, const char *output);

/*
 * Quantize the checkpoint at path into out (borrowed; the caller commits
 * it after a 0 return).  q must have passed nsl_quant_prepare.  Returns
 * 0, or -1 with err set (the input's errors as nsl_safetensors_open
 * gives them; a bad value NSL_EX_DATAERR placed at the file).
 */
int nsl_quant_tensor_file(const struct nsl_quant *q,
    const struct nsl_quant_tensor_opts *o, const char *path,
    struct nsl_writer *out, struct nsl_err *err);

#endif
