/*
 * labels.h - the distinct values of a label field, numbered.
 *
 * A label is a number or a string in a record; its canonical text is the
 * number in shortest round-trip form ("2" for 2.0 and 2e0) or the
 * string's JSON text with its quotes.  Labels are numbered in order of
 * first appearance; nsl_labels_sort() gives the order every tool reports
 * in: numbers by value (-0 before 0), then strings by bytes, so the order
 * depends only on the set of labels, never on the order of the records.
 */
#ifndef NSL_LABELS_H
#define NSL_LABELS_H

#include <stddef.h>

#include "err.h"

struct nsl_rec;
struct nsl_labels;

/* New table (free with nsl_labels_free), or NULL: out of memory. */
struct nsl_labels *nsl_labels_new(void);
void nsl_labels_free(struct nsl_labels *);

/*
 * The number of rec's label in field (new labels get the next number, in
 * order of first appearance).  Returns it, or -1 with err set (missing
 * field, not a number or string): the caller places err.
 */
long nsl_labels_add(struct nsl_labels *, const struct nsl_rec *,
    const char *field, struct nsl_err *err);
size_t nsl_labels_count(const struct nsl_labels *);

/*
 * Sort the labels (numbers by value, then strings by bytes) and fill
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
