/*
 * group.c - records grouped by a field's value (see nsl/group.h), over
 * the value table of nsl/labels.h so that "the same group" and "the same
 * label" are one definition.
 */
#include <string.h>

#include "nsl/group.h"
#include "nsl/labels.h"

void
nsl_groupby_init(struct nsl_groupby *g, const char *field)
{
	memset(g, 0, sizeof(*g));
	g->field = field;
}

void
nsl_groupby_release(struct nsl_groupby *g)
{
	nsl_labels_free(g->t);
	memset(g, 0, sizeof(*g));
}

long
nsl_groupby_add(struct nsl_groupby *g, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	if (g->field == NULL)
		return 0;
	if (g->t == NULL &&
	    (g->t = nsl_labels_new_flags(NSL_LABELS_LITERALS)) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	return nsl_labels_add(g->t, rec, g->field, err);
}

size_t
nsl_groupby_count(const struct nsl_groupby *g)
{
	if (g->field == NULL)
		return 1;
	return g->t == NULL ? 0 : nsl_labels_count(g->t);
}

const char *
nsl_groupby_key(const struct nsl_groupby *g, size_t i)
{
	if (g->field == NULL || g->t == NULL || i >= nsl_labels_count(g->t))
		return NULL;
	return nsl_labels_names(g->t)[i];
}

long
nsl_groupby_find(const struct nsl_groupby *g, const char *key)
{
	if (g->field == NULL)
		return key == NULL ? 0 : -1;
	return key == NULL || g->t == NULL ? -1 : nsl_labels_find(g->t, key);
}
