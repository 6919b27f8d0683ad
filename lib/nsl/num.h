/*
 * nsl/num.h - read and write JSON numbers, exactly and fast.
 *
 * Every tool reads and writes vectors of numbers as JSON text, so number
 * text is the hot path of the toolkit.  This module converts between that
 * text and IEEE 754 binary64/binary32 values.
 *
 * Invariants:
 *  - Parsing is correctly rounded (round to nearest, ties to even): the
 *    value is bit for bit what strtod() returns for the same text, including
 *    subnormals, underflow to zero and overflow to +-HUGE_VAL.
 *  - Formatting writes the shortest decimal that reads back to the same
 *    value; among shortest candidates it picks the one nearest the value.
 *  - Neither direction depends on the locale, and neither touches errno.
 *  - Input text is never assumed to be NUL-terminated: every reader takes
 *    an end pointer and reads no byte at or past it.
 *  - All functions are thread-safe.  Internal tables are built once, on
 *    first use, under pthread_once().
 */
#ifndef NSL_NUM_H
#define NSL_NUM_H

#include <stddef.h>

/* Room for any output of nsl_num_format*(), including the NUL. */
#define NSL_NUM_BUFSZ 32

/*
 * Parse one JSON number (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)
 * starting at s, reading no byte at or past end.  On success store the value
 * in *out and return the number of bytes consumed (> 0).  Parsing stops at
 * the first byte that cannot continue the number; the caller checks what
 * follows.  Return 0, leaving *out alone, if the text does not start with a
 * valid JSON number: "+1", ".5", "01", "1.", "1e", "-", "nan", "inf".
 */
size_t nsl_num_parse(const char *s, const char *end, double *out);

/*
 * Write the shortest decimal text that strtod() reads back as exactly v into
 * buf (at least NSL_NUM_BUFSZ bytes), NUL-terminated, and return its length.
 * With digits d1..dn and exponent k such that |v| = 0.d1..dn * 10^k:
 *   -6 < k <= 18  plain decimal: "123", "0.001", "1.5", "100000000000000000";
 *   otherwise     d1[.d2..dn]e(+|-)X: "1e+18", "1.5e-7", "5e-324".
 * This is ECMAScript's Number::toString, except that -0.0 writes "-0" and
 * that plain integers stop at 18 digits, not 21: every integer written
 * plain fits in an int64, so readers that take JSON integers into 64 bits
 * (jansson) read back every number nsl writes.
 * If v is not finite, write "" and return 0.
 */
int nsl_num_format(char *buf, double v);

/* As nsl_num_format(), for a float read back with strtof(). */
int nsl_num_format_float(char *buf, float f);

/*
 * Parse a JSON array of numbers.  s points at '['; JSON whitespace may
 * appear between tokens; end bounds the text.  The elements are stored in
 * the caller's growable buffer *vals after the *n values already there
 * (start with *n = 0 to fill it afresh), and *n grows by their count.  *vals
 * holds *cap doubles; it is grown with realloc() when full (*vals = NULL,
 * *cap = 0 is a valid empty buffer).  The buffer stays owned by the caller,
 * who frees it, also after an error.
 *
 * Return the number of bytes consumed through the closing ']'.  On error
 * return 0, leave *n as it was and set *errpos to the offset from s of the
 * first offending byte: an element that is not a number (a string, null,
 * true, a nested array) is an error at its first byte, and text that ends
 * early is an error at end - s.  If realloc() fails, *errpos is SIZE_MAX.
 */
size_t nsl_num_parse_array(const char *s, const char *end, double **vals,
    size_t *n, size_t *cap, size_t *errpos);

/*
 * The same check without the values: the bytes consumed through the
 * closing ']' of a valid array of numbers, or 0 with *errpos as above.
 * For arrays a tool passes through without reading (nsl_rec's
 * NSL_REC_LAZY_ARRAYS): the grammar is checked, no number is rounded.
 */
size_t nsl_num_check_array(const char *s, const char *end, size_t *errpos);

/*
 * The text nsl_num_format(buf, f) (as_float = 0) or nsl_num_format_float
 * (as_float = 1) writes for the float f, byte for byte, by a faster
 * route: exact integer arithmetic, for zero and finite 2^-16 <= |f| < 2^23
 * (the values nsl-quantize prints most).  buf needs NSL_NUM_BUFSZ bytes.
 * Returns the length, or -1 (buf untouched) for other values; the caller
 * then uses nsl_num_format*.
 */
int nsl_num_format_f32_exact(char *buf, float f, int as_float);

#endif /* NSL_NUM_H */
