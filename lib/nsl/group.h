/*
 * nsl/group.h - records grouped by the value of a field: the one
 * group-by of the tools (nsl-fit's --by and --cluster, nsl-plot's
 * --group; nsl-prune's --by can be the same).
 *
 * Groups are numbered 0, 1, ... in order of first appearance.  Two
 * records are in one group when their values of the field are equal as
 * nsl/labels.h defines it (2 and 2.0 are one group, "a" and "\u0061"
 * too; true, false and null are values; objects and arrays are errors),
 * and a group is named by that value's key (its canonical text).
 * Without a field every record is in group 0, which has no key.
 *
 * Ownership: the group-by owns its keys; the field is borrowed and must
 * outlive it.
 */
#ifndef NSL_GROUP_H
#define NSL_GROUP_H

#include <stddef.h>

#include "nsl/buf.h"
#include "nsl/err.h"

struct nsl_rec;
struct nsl_labels;

struct nsl_groupby {
	const char *field;		/* NULL: one group */
	struct nsl_labels *t;		/* the keys, numbered */
};

/* Group by field (NULL: one group); the table is made on first use. */
void nsl_groupby_init(struct nsl_groupby *, const char *field);
void nsl_groupby_release(struct nsl_groupby *);

/*
 * The number of rec's group (a new group gets the next number).  Returns
 * it, or -1 with err (a missing field, a value that is no group, no
 * memory); the caller places err at the record's file and line.
 */
long nsl_groupby_add(struct nsl_groupby *, const struct nsl_rec *,
    struct nsl_err *err);

/* The number of groups seen. */
size_t nsl_groupby_count(const struct nsl_groupby *);

/* Group i's key (borrowed), or NULL without a field. */
const char *nsl_groupby_key(const struct nsl_groupby *, size_t i);

/* The number of the group whose key is key, or -1. */
long nsl_groupby_find(const struct nsl_groupby *, const char *key);

#endif
