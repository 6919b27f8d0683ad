/*
 * labels.h - the distinct values of a label or group field, numbered:
 * the one definition of "the same value" for class labels (nsl-score,
 * nsl-probe, ...) and for grouping (--by of nsl-fit and nsl-prune,
 * --group of nsl-plot, the "by" of a fit record in nsl-extrapolate).
 *
 * Two values are the same when their keys (canonical texts,
 * nsl_labels_key_at) are equal:
 *  - numbers by exact decimal value: 2, 2.0, 2e0 and 20e-1 are one key,
 *    "2", and so are 0 and -0 ("0"); 9007199254740993 and
 *    9007199254740992 differ although they read as one double.  The key
 *    is the shortest round-trip text of the double when that has the
 *    same exact value (every number a double holds as written), else
 *    the exact digits with an exponent ("9007199254740993e0");
 *  - strings by their decoded text: "a" and "\u0061" are one key, the
 *    string in JSON with its quotes as nsl_json_string() writes it;
 *  - true, false and null: a key each ("true", ...) for groups
 *    (NSL_LABELS_LITERALS); not labels, an error;
 *  - objects, arrays and non-finite numbers: an error (NSL_EX_DATAERR).
 * A number never equals a string: 2 and "2" are two keys.
 *
 * Labels are numbered in order of first appearance; nsl_labels_sort()
 * gives the order every tool reports in: numbers by value, then strings
 * by bytes, then false, null, true, so the order depends only on the set
 * of labels, never on the order of the records.
 */
#ifndef NSL_LABELS_H
#define NSL_LABELS_H

#include <stddef.h>

#include "err.h"

#include "buf.h"

struct nsl_rec;
struct nsl_labels;

enum nsl_labels_flags {
	NSL_LABELS_LITERALS = 1 << 0	/* true, false, null are values */
};

/*
 * The key of member i of rec into out (reset first).  Returns 0, or -1
 * with err (NSL_EX_DATAERR naming the field, NSL_EX_SOFTWARE for memory).
 */
int nsl_labels_key_at(const struct nsl_rec *, size_t i, unsigned flags,
    struct nsl_buf *out, struct nsl_err *err);

/* The key of a value given as JSON text (one value, any spacing). */
int nsl_labels_key_text(const char *text, size_t len, unsigned flags,
    struct nsl_buf *out, struct nsl_err *err);

/*
 * New table (free with nsl_labels_free), or NULL: out of memory.
 * nsl_labels_new() takes numbers and strings (labels);
 * nsl_labels_new_flags(NSL_LABELS_LITERALS) also true, false and null
 * (groups).
 */
struct nsl_labels *nsl_labels_new(void);
struct nsl_labels *nsl_labels_new_flags(unsigned flags);
void nsl_labels_free(struct nsl_labels *);

/*
 * The number of rec's label in field (new labels get the next number, in
 * order of first appearance).  Returns it, or -1 with err set (missing
 * field, a value the table does not take): the caller places err.
 */
long nsl_labels_add(struct nsl_labels *, const struct nsl_rec *,
    const char *field, struct nsl_err *err);
size_t nsl_labels_count(const struct nsl_labels *);

/*
 * Sort the labels (numbers by value, then strings by bytes, then
 * false, null, true) and fill
 * rank[old number] = place in that order (count entries).  Afterwards
 * nsl_labels_names()[rank] is each label's text (borrowed).
 */
int nsl_labels_sort(struct nsl_labels *, size_t *rank,
    struct nsl_err *err);
const char *const *nsl_labels_names(const struct nsl_labels *);

/*
 * The number of the label whose canonical text is text (as in
 * nsl_labels_names), or -1 if absent.  Before nsl_labels_sort() this is
 * the order of first appearance, after it the sorted place.
 */
long nsl_labels_find(const struct nsl_labels *, const char *text);

#endif
