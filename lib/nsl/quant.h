/*
 * quant.h - low-precision number formats: bit-exact encode and decode,
 * scaling (per tensor, row, block; OCP MX shared E8M0 exponents), and
 * error statistics.
 *
 * Formats (struct nsl_quant_format, filled by nsl_quant_format_parse):
 *
 *  minifloats (kind NSL_QK_FLOAT): 1 sign bit, ebits exponent bits, mbits
 *	mantissa bits, bias 2^(ebits-1)-1.  Exponent field 0 is zero and the
 *	subnormals (-1)^s 2^(1-bias) m/2^mbits; field e > 0 is
 *	(-1)^s 2^(e-bias) (1 + m/2^mbits), except the special codes of
 *	the format's convention:
 *	  NSL_QS_FINITE  no special codes (OCP FP6/FP4 element types);
 *	  NSL_QS_FN      S.1..1.1..1 is NaN, no infinities (OCP E4M3);
 *	  NSL_QS_IEEE    exponent field all ones: m = 0 infinity, else NaN
 *			 (IEEE 754 style; OCP E5M2).
 *	  NSL_QS_FNUZ    no infinities, no negative zero: the code of -0,
 *			 1.0..0.0..0, is the one NaN (Graphcore/AMD FP8,
 *			 ml_dtypes' float8_*fnuz); the bias may be
 *			 2^(ebits-1) or more (a row's bias).
 *	  NSL_QS_FNU     unsigned, no zero, no subnormals: field e is
 *			 2^(e-bias) (1 + m/2^mbits) for every e, all ones is
 *			 NaN (OCP MX E8M0, ml_dtypes' float8_e8m0fnu).
 *	An unsigned minifloat (usign: E8M0, the UE4M3 and UE5M3 block
 *	scales) has no sign bit: bits = ebits + mbits.
 *  integers (NSL_QK_INT): bits-bit two's complement codes, symmetric
 *	range -qmax..qmax with qmax = 2^(bits-1)-1, or unsigned 0..2^bits-1
 *	with a zero point when asymmetric; unsigned integers (usign: uint2,
 *	uint4) are 0..qmax with qmax = 2^bits-1 and scale max/qmax, the
 *	negative values clamped to 0.
 *  nf4 (NSL_QK_NF4): 4-bit indices into the 16 NormalFloat levels of
 *	QLoRA (bitsandbytes' table), scaled by the block's absmax.
 *  MX (mx = 1): blocks sharing one E8M0 scale 2^E (OCP MX v1.0); the
 *	elements are a minifloat or, for mxint8, 8-bit two's complement
 *	with an implicit 2^-6 (values k/64, k in -127..127).  The block
 *	scale may instead be a fractional one (scale_fmt UE4M3 or UE5M3):
 *	block b's scale is v_b s, v_b = amax_b / (max s) rounded to
 *	nearest-even in the scale format (saturating; 0 when it
 *	underflows, which zeroes the block), s a second, float32 scale
 *	per tensor (default), per row or none (1), s = amax / (max
 *	max_sf) over its span (max_sf the scale format's largest).
 *	NVFP4 (NVIDIA) is this with E2M1 elements, blocks of 16 and UE4M3.
 *
 * Codes are one byte each (the low `bits` bits; sign in the top one of
 * those for minifloats, two's complement for integers), except those of
 * the 16-bit formats (float16, bfloat16), two bytes each, little-endian
 * (nsl_quant_code_size, _get, _put): every array of codes below holds n
 * codes of nsl_quant_code_size bytes.
 *
 * Rounding is to nearest with ties to even, or stochastic: with lo < x <
 * hi the neighbouring representable values, hi with probability
 * (x - lo) / (hi - lo).  Overflow (a value that rounds beyond max):
 * saturate to +-max with NSL_QO_SATURATE, otherwise infinity (IEEE) or
 * NaN (FN), as ml_dtypes does; formats with no special codes always
 * saturate, and so do MX elements.
 *
 * Nothing here prints or exits; functions that can fail take a struct
 * nsl_err.  Structures are plain values the caller owns; no function
 * keeps a pointer to its arguments.
 */
#ifndef NSL_QUANT_H
#define NSL_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "json.h"

enum nsl_quant_kind { NSL_QK_FLOAT, NSL_QK_INT, NSL_QK_NF4 };

/* The block scale of an MX-style format: auto (the format's own), OCP
 * MX's E8M0 power of two, or a fractional unsigned minifloat: UE4M3 (the
 * E4M3 codes of sign 0, max 448) or UE5M3 (8 bits, bias 15, 0xff NaN,
 * max 114688). */
enum nsl_quant_scale_fmt { NSL_QSF_AUTO, NSL_QSF_E8M0, NSL_QSF_UE4M3,
	NSL_QSF_UE5M3 };
enum nsl_quant_special { NSL_QS_FINITE, NSL_QS_FN, NSL_QS_IEEE,
	NSL_QS_FNUZ, NSL_QS_FNU };

/* Invariant after a successful nsl_quant_format_parse: every field below
 * agrees with the name; value[c] is the exact value of code c for every
 * c < 2^bits (NaN for NaN codes, +-inf for infinities; for NSL_QK_INT the
 * integer, for NF4 the level, for MX the element before the scale) when
 * bits <= 8; a 16-bit format (float16, bfloat16) leaves value unset:
 * nsl_quant_decode computes its codes' values. */
struct nsl_quant_format {
	char name[24];
	enum nsl_quant_kind kind;
	int bits;		/* code width, 2..8 or 16 */
	int ebits, mbits, bias;	/* minifloats and MX float elements */
	enum nsl_quant_special special;
	int usign;		/* no sign bit (E8M0, uint4, ...) */
	int emin, emax;		/* unbiased exponents of min and max normal */
	double max;		/* largest finite element magnitude */
	int mx;			/* OCP MX block format */
	enum nsl_quant_scale_fmt scale_fmt;	/* MX: its block scale */
	int emax_elem;		/* MX: emax of the element type */
	int qmax;		/* integers: 2^(bits-1)-1 */
	size_t block;		/* default block size (0: none) */
	double value[256];
};

/*
 * The catalogue: one row per named format, and family rows that take a
 * pattern of names (sqlite's aBuiltinFunc[]).  The parser, the list of
 * --list-formats, the --format help and (checked by the unit test) the
 * man page's table come from these rows.  Adding a minifloat is one row
 * in lib/quant.c and its golden cases,
 * tests/fixtures/quantize/formats/NAME.test (test_quant fails until the
 * file and the man page's table row are there).
 */
#define NSL_QUANT_MX_BLOCK 32	/* OCP MX v1.0: elements per shared scale */

struct nsl_quant_def {
	const char *name;	/* "fp8-e4m3"; a family row: "eXmY" */
	enum nsl_quant_kind kind;
	int bits;		/* integers and level tables (minifloats:
				 * 1 + ebits + mbits) */
	int ebits, mbits;	/* minifloats, MX float elements included */
	int bias;		/* minifloats: 0 for 2^(ebits-1)-1 */
	enum nsl_quant_special special;
	int usign;		/* no sign bit: unsigned minifloats and
				 * integers */
	int mx;			/* OCP MX: one E8M0 scale 2^E per block */
	enum nsl_quant_scale_fmt scale_fmt;	/* MX: auto is E8M0 */
	size_t block;		/* default block size (0: none) */
	int elem_exp;		/* integers: code k is k 2^elem_exp (mxint8
				 * -6), 0 for plain integers */
	const float *levels;	/* NSL_QK_NF4: the 2^bits levels, code order */
	/* family rows: the --list-formats text and the matcher, which
	 * fills f (zeroed, name set) for a name of the family: 0 or -1 */
	const char *family;
	int (*match)(const char *name, struct nsl_quant_format *f);
};

/* The rows, ended by one whose name is NULL (static storage). */
extern const struct nsl_quant_def nsl_quant_formats[];

/*
 * Fill f from a name: a named row, or a name of a family row ("eXmY",
 * "eXmY-fn", "eXmY-ieee" for any minifloat of 3..8 bits).  Returns 0, or
 * -1 with err set (NSL_EX_USAGE) for an unknown name.
 */
int nsl_quant_format_parse(struct nsl_quant_format *f, const char *name,
    struct nsl_err *err);

/* One line describing f's parameters (into buf of size n). */
void nsl_quant_format_describe(const struct nsl_quant_format *f, char *buf,
    size_t n);

/* The --list-formats text: one line per catalogue row, appended to b. */
void nsl_quant_format_list(struct nsl_buf *b);

/* The rows' names, "fp8-e4m3, ..., eXmY[-fn|-ieee]", into buf of size n
 * (cut short if it does not fit). */
void nsl_quant_format_names_text(char *buf, size_t n);

/* Flags that encoders OR into *flags. */
enum nsl_quant_flag {
	NSL_QF_SATURATED = 1 << 0,	/* overflowed, clamped to +-max */
	NSL_QF_FLUSHED = 1 << 1,	/* nonzero value became zero */
	NSL_QF_NAN = 1 << 2,		/* a NaN code was produced */
	NSL_QF_INF = 1 << 3,		/* an infinity was produced */
	NSL_QF_UNREP = 1 << 4		/* NaN input, format has no NaN */
};

/* Options of the encoders. */
enum nsl_quant_opt {
	NSL_QO_SATURATE = 1 << 0
};

/*
 * Encode one value of a minifloat (kind NSL_QK_FLOAT, MX ones included:
 * element format only).  u < 0: nearest-even; 0 <= u < 1: stochastic,
 * rounding up when u < the fraction.  NaN input gives the NaN code (a
 * format without one gives +0 and NSL_QF_UNREP).
 */
unsigned nsl_quant_fp_encode(const struct nsl_quant_format *f, double x,
    double u, unsigned opts, unsigned *flags);

/* The value of code c (f->value[c & mask]; computed for 16-bit codes). */
double nsl_quant_decode(const struct nsl_quant_format *f, unsigned c);

/* Bytes per code in the arrays of codes: 2 for 16-bit formats, else 1. */
size_t nsl_quant_code_size(const struct nsl_quant_format *f);

/* Code i of codes (nsl_quant_code_size bytes each), and storing it. */
unsigned nsl_quant_code_get(const struct nsl_quant_format *f,
    const uint8_t *codes, size_t i);
void nsl_quant_code_put(const struct nsl_quant_format *f, uint8_t *codes,
    size_t i, unsigned c);

/*
 * The fast kernel: n float32 values to minifloat codes with nearest-even,
 * bit for bit the same as nsl_quant_fp_encode on (double)x[i].  Returns
 * the OR of the flags.
 */
unsigned nsl_quant_fp_encode_f32(const struct nsl_quant_format *f,
    const float *x, size_t n, uint8_t *codes, unsigned opts);

/* Integer code of x (already divided by the scale), clamped to
 * [lo, hi]; u as for nsl_quant_fp_encode. */
long nsl_quant_int_round(double x, double u, long lo, long hi,
    unsigned *flags);

/* NF4 index of y (already divided by absmax, in [-1, 1]); ties to the
 * even index; u as for nsl_quant_fp_encode. */
unsigned nsl_quant_nf4_encode(double y, double u);

/* The 16 NF4 levels, code order (bitsandbytes' float32 table). */
extern const float nsl_quant_nf4_levels[16];

/*
 * MX shared exponent E (the scale is 2^E) for a block with largest
 * magnitude amax:
 *   NSL_QM_FLOOR  floor(log2 amax) - emax_elem        (OCP MX v1.0)
 *   NSL_QM_CEIL   ceil(log2 amax) - emax_elem         (never clips)
 *   NSL_QM_RCEIL  smallest E with max_elem 2^E >= amax (amax/max rounded
 *                 up to a power of two)
 * clamped below to -127; amax = 0 gives -127.  Returns 128 (the E8M0 NaN
 * code 0xFF) for a non-finite amax or E > 127.
 */
enum nsl_quant_scale_mode { NSL_QM_FLOOR, NSL_QM_CEIL, NSL_QM_RCEIL };
int nsl_quant_mx_exponent(const struct nsl_quant_format *f, double amax,
    enum nsl_quant_scale_mode mode);

/* Scaling granularity for the non-MX formats. */
enum nsl_quant_gran {
	NSL_QG_NONE,	/* minifloats only: cast, no scale */
	NSL_QG_TENSOR,	/* one scale for the whole field over all records */
	NSL_QG_ROW,	/* one per record */
	NSL_QG_BLOCK,	/* one per block of `block` elements of a record */
	NSL_QG_COLUMN	/* one per element index (channel) over all records;
			 * nsl_quant_vector's tensor holds them, one per
			 * element */
};

/* The names of enum nsl_quant_gran, enum nsl_quant_scale_mode and the
 * roundings (struct nsl_quant's stochastic), in enum order,
 * NULL-terminated: the command line's and the codes objects' words. */
extern const char *const nsl_quant_gran_names[];
extern const char *const nsl_quant_scale_mode_names[];
extern const char *const nsl_quant_rounding_names[];
/* enum nsl_quant_scale_fmt's: "auto", "e8m0", "ue4m3", "ue5m3" */
extern const char *const nsl_quant_scale_fmt_names[];

/* Everything that decides the quantization of a vector. */
struct nsl_quant {
	struct nsl_quant_format fmt;
	enum nsl_quant_gran gran;
	size_t block;		/* block size for NSL_QG_BLOCK and MX */
	enum nsl_quant_scale_mode scale_mode;
	int stochastic;
	int asymmetric;		/* integers: zero point */
	unsigned opts;		/* NSL_QO_* */
	int f32;		/* round inputs, scales and outputs to float32 */
	double clip;		/* scales use clip * amax (1: none) */
	int rotate;		/* randomized Hadamard per block */
	uint64_t seed;
	int general;		/* take the general code paths, not the fast
				 * ones (which give the same bytes): tests */
	enum nsl_quant_scale_fmt scale_fmt;	/* MX block scale; auto:
						 * the format's */
	/* set by nsl_quant_prepare for a fractional block scale: its
	 * format and the granularity of the float32 second scale (the
	 * --scale-by given: tensor, the default, row or none) */
	int frac;		/* the block scale is fractional */
	struct nsl_quant_format sfmt;
	enum nsl_quant_gran outer;
	double *colclip;	/* NSL_QG_COLUMN after a search: each
				 * column's clipping factor, ncolclip of
				 * them (owned; NULL: clip for all) */
	size_t ncolclip;
	signed char *signs;	/* rotation signs, block of them (owned) */
	double *scratch;	/* block doubles for the rotation (owned) */
};

/*
 * Check the combination: NULL, or a static message naming the parameter
 * at fault (as liblinear's check_parameter).  Pure: q is not changed.
 */
const char *nsl_quant_check(const struct nsl_quant *q);

/*
 * Check q and make it ready: an MX format takes block scales, a clip
 * outside (0, 1] becomes 1, the rotation signs are drawn.  Returns 0, or
 * -1 with err set (NSL_EX_USAGE with the check's message).  Call
 * nsl_quant_release afterwards (after a failure too: it is harmless).
 */
int nsl_quant_prepare(struct nsl_quant *q, struct nsl_err *err);

/*
 * The scaling when the user names none: block > 0 (or else the
 * format's default block) and per-block scales if either is set;
 * otherwise per row for integers and a plain cast for minifloats.  gran
 * is an enum nsl_quant_gran, or < 0 when not given.
 */
void nsl_quant_set_scaling(struct nsl_quant *q, size_t block, int gran);

void nsl_quant_release(struct nsl_quant *q);

/* The scale of one span (a block, a row or the tensor). */
struct nsl_quant_scale {
	double scale;	/* multiply codes' values by this (MX: 2^E;
			 * fractional: v_b s, exact) */
	long zero;	/* asymmetric integers: zero point */
	int e8m0;	/* MX: E + 127 (255: NaN); fractional: the code of
			 * v_b in the scale format */
};

/*
 * Scale for a span whose smallest and largest values are lo and hi; for
 * a fractional MX format (nsl_quant_fractional), the second scale s of
 * such a span, in s->scale.
 */
void nsl_quant_scale_for(const struct nsl_quant *q, double lo, double hi,
    struct nsl_quant_scale *s);

/* Does q (prepared) take a fractional block scale and a second scale? */
int nsl_quant_fractional(const struct nsl_quant *q);

/*
 * The column scales of a tensor (nrows rows, row r of len[r] values one
 * after another in x): *ncols = the longest row, (*scales)[j] the scale
 * of column j over the rows that have it (elements rounded to float32
 * first when q->f32; clipped by q->colclip[j] when set, else q->clip).
 * *scales is new (free it).  0, or -1 with err set (out of memory).
 */
int nsl_quant_column_scales(const struct nsl_quant *q, const double *x,
    const size_t *len, size_t nrows, struct nsl_quant_scale **scales,
    size_t *ncols, struct nsl_err *err);

/* Does q need a scale over all the records (tensor) before the first?
 * The filter keeps them in memory then. */
int nsl_quant_needs_tensor(const struct nsl_quant *q);

/* The second scale s of a record's ns block scales under a fractional
 * q (1 when no block tells: all of them zero or NaN). */
double nsl_quant_outer_of(const struct nsl_quant *q,
    const struct nsl_quant_scale *scales, size_t ns);

/* Error statistics, summed as vectors are quantized. */
struct nsl_quant_stats {
	uint64_t count, rows, saturated, flushed, nan, inf;
	double sum_x2, sum_e2, max_err, sum_cos;
};

/*
 * Quantize x[0..n) (one record's vector) into out (dequantized values)
 * and, if codes is not NULL, codes[0..n) and the span scales
 * scales[0..nspans) (nspans = nsl_quant_nspans).  tensor is the scale for
 * NSL_QG_TENSOR (ignored otherwise).  rng draws the stochastic rounding
 * (may be NULL for nearest-even).  x and out must not overlap.
 * Adds to st when not NULL.  Returns the OR of the flags.
 */
unsigned nsl_quant_vector(const struct nsl_quant *q, const double *x,
    size_t n, double *out, uint8_t *codes, struct nsl_quant_scale *scales,
    const struct nsl_quant_scale *tensor, gsl_rng *rng,
    struct nsl_quant_stats *st);

/* Number of scale spans of an n-vector under q (0 for a plain cast). */
size_t nsl_quant_nspans(const struct nsl_quant *q, size_t n);

/*
 * Dequantize codes with scales (the inverse of the code path of
 * nsl_quant_vector, rotation included) into out[0..n).
 */
void nsl_quant_dequantize(const struct nsl_quant *q, const uint8_t *codes,
    size_t n, const struct nsl_quant_scale *scales, double *out);

/* The normalized fast Walsh-Hadamard transform of x[0..n), n a power of
 * two, in place (its own inverse). */
void nsl_quant_hadamard(double *x, size_t n);

/*
 * Search (LLM-FP4 style) over the minifloat splits eXmY with 1 + X + Y =
 * q->fmt.bits (finite convention) and clipping factors 1, 0.975, ...,
 * 0.5 for the pair with the lowest MSE over the tensor: nrows rows, row r
 * of len[r] values, stored one after another in x, under q's granularity
 * (NSL_QG_NONE searches with a tensor scale and sets NSL_QG_TENSOR).
 * Sets q->fmt and q->clip to the winner and *mse to its MSE.  With
 * NSL_QG_COLUMN each column takes its own clipping factor (LLM-FP4's
 * per-channel exponent bias: the scale 2^-bias is clip amax / max), the
 * format the one whose best per-column choices give the lowest MSE;
 * they go to q->colclip.  Returns 0, or -1 with err set (a format that
 * is not a minifloat, out of memory).
 */
int nsl_quant_search(struct nsl_quant *q, const double *x,
    const size_t *len, size_t nrows, double *mse, struct nsl_err *err);

/* ---- the JSONL filter (lib/quant_filter.c) ---- */

/*
 * Codes layout (--emit codes).  The vector field becomes an object:
 *	{"format": NAME, "n": N, "scale": "none"|"tensor"|"row"|"block",
 *	 ["block": B,] ["rotate": "hadamard", "seed": S,] ["float32": false,]
 *	 "codes": BASE64, ["scales": [...], ["zero_points": [...]] |
 *	 "e8m0": [...]]}
 * codes is RFC 4648 base64 (padded; nsl/base64.h) of the packed code
 * bytes: 16-bit formats two bytes per element, little-endian; formats
 * of 5..8 bits one byte per element (the code in the low bits); formats
 * of 2 to 4 bits two per byte, element 2i in the low nibble and 2i+1 in
 * the high nibble (an odd last element leaves the high nibble 0).  One
 * scale per span (none: no scales; tensor and row: one; block: one per
 * block,
 * the last one partial): MX formats give the biased E8M0 exponent byte
 * (E + 127; 255 is NaN), others the multiplier as a number, and
 * asymmetric integers also the zero point (code = round(x/scale) + zero).
 * Dequantized values are rounded to float32 unless "float32" is false
 * (written for --no-f32).
 */
size_t nsl_quant_packed_size(const struct nsl_quant_format *f, size_t n);
void nsl_quant_pack(const struct nsl_quant_format *f, const uint8_t *codes,
    size_t n, uint8_t *out);
/* In place is fine (p == codes). */
void nsl_quant_unpack(const struct nsl_quant_format *f, const uint8_t *p,
    size_t n, uint8_t *codes);

struct nsl_quant_filter_opts {
	const char *field;	/* the vector field (borrowed) */
	int emit_codes;		/* write codes objects, not values */
	int decode;		/* read codes objects, write values */
	int format_given;	/* --decode: codes must be of q's format */
	int search;		/* --search before quantizing (buffers) */
	int allow_nonfinite;	/* read and write NaN and infinities */
	enum nsl_num_style style;
};

struct nsl_quant_filter;

/*
 * A filter writing to w (borrowed, as is q, which must have passed
 * nsl_quant_prepare and outlive the filter).  NULL on out of memory.
 */
struct nsl_quant_filter *nsl_quant_filter_new(struct nsl_quant *q,
    const struct nsl_quant_filter_opts *o, struct nsl_writer *w,
    struct nsl_err *err);
void nsl_quant_filter_free(struct nsl_quant_filter *);

/*
 * Filter every record of path ("-": standard input), replacing the
 * vector field's value in place (all other bytes of the line are
 * copied).  With a scale over all records (tensor, column) or --search
 * this is the first pass: it finds the extremes (--search: keeps the
 * values), and path is read again by nsl_quant_filter_finish (path is
 * borrowed until then; standard input is read again when it is a file,
 * and spilled to a temporary file in $TMPDIR when it is a pipe: see
 * nsl/spool.h).  Errors name file:line.  st may be NULL (no statistics,
 * and no time spent on them).
 */
int nsl_quant_filter_file(struct nsl_quant_filter *, const char *path,
    struct nsl_quant_stats *st, struct nsl_err *err);

/* After the last file: run the search, and the second pass, if any.
 * *search_mse is set when searching. */
int nsl_quant_filter_finish(struct nsl_quant_filter *,
    struct nsl_quant_stats *st, double *search_mse, struct nsl_err *err);

/*
 * The combination of options for records: NULL, or a message naming
 * the option at fault (format: --format given; stats: --stats wanted).
 */
const char *nsl_quant_filter_check(const struct nsl_quant_filter_opts *o,
    int stats);

/*
 * nsl-quantize's records: filter paths[0..npaths) (none: standard input)
 * to w and, when stats is not NULL, add the statistics record to it.
 * *search_mse is set when searching.  Returns 0, or -1 with err set.
 */
int nsl_quant_filter_run(struct nsl_quant *q,
    const struct nsl_quant_filter_opts *o, char *const *paths,
    size_t npaths, struct nsl_writer *w, struct nsl_buf *stats,
    double *search_mse, struct nsl_err *err);

/*
 * The --stats record (one JSON object and a newline) into b:
 *	{"format", "count", "rows", "mse", "sqnr_db", "max_abs_error",
 *	 "mean_cosine", "saturated", "flushed", "nan", "inf"
 *	 [, "search_format", "search_clip", "search_mse"]}
 * with null for a measure that is not finite.
 */
void nsl_quant_stats_record(struct nsl_buf *b, const struct nsl_quant *q,
    const struct nsl_quant_stats *st, int searched, double search_mse);

/* The record as read back (NaN for null). */
struct nsl_quant_summary {
	char format[24];
	uint64_t count, rows, saturated, flushed, nan, inf;
	double mse, sqnr_db, max_abs_error, mean_cosine;
	int searched;
	char search_format[24];
	double search_clip, search_mse;
};

/* Parse a statistics record (line[0..len)): 0, or -1 with err set
 * (NSL_EX_DATAERR) naming the member at fault. */
int nsl_quant_stats_parse(const char *line, size_t len,
    struct nsl_quant_summary *s, struct nsl_err *err);

#endif
