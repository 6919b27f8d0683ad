/*
 * labels.c - the distinct values of a label field, numbered (see
 * nsl/labels.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/json.h"
#include "nsl/labels.h"
#include "nsl/num.h"

static int
oom(struct nsl_err *err)
{
	return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
}

/*
 * An open-addressing hash table from a label's canonical text
 * (as nsl_dataset_read() writes it: numbers in shortest form, strings as
 * their JSON text) to its index in order of first appearance.
 */
struct nsl_labels {
	char **names;
	size_t n, cap;
	long *slots;
	size_t nslots;
	struct nsl_buf text;
};

struct nsl_labels *
nsl_labels_new(void)
{
	return calloc(1, sizeof(struct nsl_labels));
}

void
nsl_labels_free(struct nsl_labels *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	nsl_buf_release(&t->text);
	free(t);
}

static unsigned long
hash(const char *s)
{
	unsigned long h = 14695981039346656037UL;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211UL;
	return h;
}

static int
labels_grow(struct nsl_labels *t)
{
	size_t i, j, nslots = t->nslots ? t->nslots * 2 : 64;
	long *slots;

	if ((slots = malloc(nslots * sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < nslots; i++)
		slots[i] = -1;
	for (i = 0; i < t->n; i++) {
		j = hash(t->names[i]) & (nslots - 1);
		while (slots[j] >= 0)
			j = (j + 1) & (nslots - 1);
		slots[j] = (long)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

long
nsl_labels_add(struct nsl_labels *t, const struct nsl_rec *rec,
    const char *field, struct nsl_err *err)
{
	char num[NSL_NUM_BUFSZ];
	const struct nsl_field *f;
	const char *name;
	double v;
	size_t j;
	long i;

	if ((i = nsl_rec_require(rec, field, err)) < 0)
		return -1;
	f = &rec->fields[i];
	nsl_buf_reset(&t->text);
	if (f->type == NSL_JSON_NUMBER) {
		if (nsl_rec_number(rec, (size_t)i, &v, err) != 0)
			return -1;
		if (!isfinite(v))
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "label is not a finite number", field);
		nsl_num_format(num, v);
		nsl_buf_adds(&t->text, num);
	} else if (f->type == NSL_JSON_STRING)
		nsl_buf_add(&t->text, f->value, f->vlen);
	else
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
		    "expected a number or a string label", field);
	if (nsl_buf_failed(&t->text))
		return oom(err);
	name = t->text.data;
	if (2 * (t->n + 1) > t->nslots && labels_grow(t) != 0)
		return oom(err);
	j = hash(name) & (t->nslots - 1);
	for (; t->slots[j] >= 0; j = (j + 1) & (t->nslots - 1))
		if (strcmp(t->names[t->slots[j]], name) == 0)
			return t->slots[j];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **names = realloc(t->names, cap * sizeof(*names));

		if (names == NULL)
			return oom(err);
		t->names = names;
		t->cap = cap;
	}
	if ((t->names[t->n] = strdup(name)) == NULL)
		return oom(err);
	t->slots[j] = (long)t->n;
	return (long)t->n++;
}

size_t
nsl_labels_count(const struct nsl_labels *t)
{
	return t->n;
}

/* Numbers before strings; numbers by value, strings by bytes. */
static int
label_cmp(const char *a, const char *b)
{
	int sa = a[0] == '"', sb = b[0] == '"';
	double va, vb;

	if (sa != sb)
		return sa - sb;
	if (sa)
		return strcmp(a, b);
	va = strtod(a, NULL);
	vb = strtod(b, NULL);
	if (va != vb)
		return (va > vb) - (va < vb);
	return strcmp(a, b);	/* -0 and 0 */
}

static int
cmp_names(const void *a, const void *b)
{
	return label_cmp(*(char *const *)a, *(char *const *)b);
}

int
nsl_labels_sort(struct nsl_labels *t, size_t *rank,
    struct nsl_err *err)
{
	char **sorted;
	size_t i, lo, hi, mid;

	if (t->n == 0)
		return 0;
	if ((sorted = malloc(t->n * sizeof(*sorted))) == NULL)
		return oom(err);
	memcpy(sorted, t->names, t->n * sizeof(*sorted));
	qsort(sorted, t->n, sizeof(*sorted), cmp_names);
	/* the names are distinct, so each has one place in sorted order */
	for (i = 0; i < t->n; i++) {
		lo = 0;
		hi = t->n;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (label_cmp(sorted[mid], t->names[i]) <= 0)
				lo = mid;
			else
				hi = mid;
		}
		rank[i] = lo;
	}
	memcpy(t->names, sorted, t->n * sizeof(*sorted));
	free(sorted);
	/* the table's slots index the old order: rebuild them */
	return labels_grow(t) != 0 ? oom(err) : 0;
}

const char *const *
nsl_labels_names(const struct nsl_labels *t)
{
	return (const char *const *)t->names;
}

long
nsl_labels_find(const struct nsl_labels *t, const char *text)
{
	size_t j;

	if (t->nslots == 0)
		return -1;
	j = hash(text) & (t->nslots - 1);
	for (; t->slots[j] >= 0; j = (j + 1) & (t->nslots - 1))
		if (strcmp(t->names[t->slots[j]], text) == 0)
			return t->slots[j];
	return -1;
}
