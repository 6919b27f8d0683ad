/*
 * dataset.c - read a whole record set into memory (see nsl/dataset.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/num.h"

/*
 * Distinct labels while reading: an open-addressing hash table from the
 * canonical text to a provisional index (order of first appearance); the
 * indices are renumbered into sorted order at the end.
 */
struct label_table {
	char **names;		/* by provisional index */
	size_t n, cap;
	long *slots;		/* provisional index, or -1 */
	size_t nslots;		/* a power of two */
};

static unsigned long
hash(const char *s)
{
	unsigned long h = 14695981039346656037UL;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211UL;
	return h;
}

static int
table_grow(struct label_table *t)
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

/* The provisional index of name, adding it if new; -1 if out of memory. */
static long
table_intern(struct label_table *t, const char *name)
{
	size_t j;
	char **names;

	if (2 * (t->n + 1) > t->nslots && table_grow(t) != 0)
		return -1;
	j = hash(name) & (t->nslots - 1);
	for (; t->slots[j] >= 0; j = (j + 1) & (t->nslots - 1))
		if (strcmp(t->names[t->slots[j]], name) == 0)
			return t->slots[j];
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		if ((names = realloc(t->names, t->cap * sizeof(*names))) == NULL)
			return -1;
		t->names = names;
	}
	if ((t->names[t->n] = strdup(name)) == NULL)
		return -1;
	t->slots[j] = (long)t->n;
	return (long)t->n++;
}

/* Canonical text of a label member: numbers in shortest form. */
static int
label_text(const struct nsl_rec *rec, long i, struct nsl_buf *out,
    struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	char num[NSL_NUM_BUFSZ];
	double v;

	nsl_buf_reset(out);
	if (f->type == NSL_JSON_NUMBER) {
		if (nsl_rec_number(rec, (size_t)i, &v, err) != 0)
			return -1;
		nsl_num_format(num, v);
		nsl_buf_adds(out, num);
	} else if (f->type == NSL_JSON_STRING)
		nsl_buf_add(out, f->value, f->vlen);
	else {
		struct nsl_buf name = NSL_BUF_INIT;

		nsl_buf_add(&name, f->key, f->keylen);
		nsl_err_set(err, NSL_EX_DATAERR,
		    "field \"%s\": expected a number or a string label",
		    name.data);
		nsl_buf_release(&name);
		return -1;
	}
	return nsl_buf_failed(out) ? nsl_err_set(err, NSL_EX_SOFTWARE,
	    "out of memory") : 0;
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
	return (va > vb) - (va < vb);
}

static const char *const *sort_names;

static int
cmp_index(const void *a, const void *b)
{
	return label_cmp(sort_names[*(const size_t *)a],
	    sort_names[*(const size_t *)b]);
}

/* Renumber provisional label indices into sorted order. */
static int
finish_labels(struct nsl_dataset *ds, struct label_table *t)
{
	size_t *order, *rank, i;

	order = malloc((t->n + 1) * sizeof(*order));
	rank = malloc((t->n + 1) * sizeof(*rank));
	if (order == NULL || rank == NULL) {
		free(order);
		free(rank);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		order[i] = i;
	sort_names = (const char *const *)t->names;
	qsort(order, t->n, sizeof(*order), cmp_index);
	for (i = 0; i < t->n; i++)
		rank[order[i]] = i;
	for (i = 0; i < ds->n; i++)
		ds->label[i] = (int)rank[ds->label[i]];
	ds->label_names = malloc((t->n + 1) * sizeof(*ds->label_names));
	if (ds->label_names == NULL) {
		free(order);
		free(rank);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		ds->label_names[i] = t->names[order[i]];
	ds->nlabels = t->n;
	t->n = 0;	/* the names now belong to ds */
	free(order);
	free(rank);
	return 0;
}

static void
table_release(struct label_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
}

/* Grow an array of n elements of size sz to hold at least want. */
static int
grow(void **p, size_t *cap, size_t want, size_t sz)
{
	size_t ncap;
	void *np;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	while (ncap < want)
		ncap *= 2;
	if ((np = realloc(*p, ncap * sz)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

struct reading {
	struct nsl_dataset *ds;
	struct label_table labels;
	struct nsl_rec rec;
	struct nsl_buf text;
	double *v;
	size_t vcap, xcap, lcap, wcap, ocap;
	unsigned long d_line;	/* where the dimension was set */
	unsigned d_file;
};

static int
add_record(struct reading *rd, const char *field, const char *label_field,
    unsigned flags, unsigned file, unsigned long line, struct nsl_err *err)
{
	struct nsl_dataset *ds = rd->ds;
	size_t n, k = ds->n;
	long i, li;

	if ((i = nsl_rec_require(&rd->rec, field, err)) < 0 ||
	    nsl_rec_vector(&rd->rec, (size_t)i, &rd->v, &n, &rd->vcap, err) != 0)
		return -1;
	if (k == 0) {
		ds->d = n;
		rd->d_file = file;
		rd->d_line = line;
	} else if (n != ds->d)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": %zu "
		    "numbers, but %s:%lu has %zu", field, n,
		    ds->paths[rd->d_file], rd->d_line, ds->d);
	if (grow((void **)&ds->x, &rd->xcap, (k + 1) * (n ? n : 1),
	    sizeof(double)) != 0 ||
	    grow((void **)&ds->where, &rd->wcap, k + 1,
	    sizeof(*ds->where)) != 0)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	memcpy(ds->x + k * n, rd->v, n * sizeof(double));
	ds->where[k].file = file;
	ds->where[k].line = line;
	if (label_field != NULL) {
		if ((i = nsl_rec_require(&rd->rec, label_field, err)) < 0 ||
		    label_text(&rd->rec, i, &rd->text, err) != 0)
			return -1;
		if (grow((void **)&ds->label, &rd->lcap, k + 1,
		    sizeof(int)) != 0 ||
		    (li = table_intern(&rd->labels, rd->text.data)) < 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		ds->label[k] = (int)li;
	}
	if (flags & NSL_DATASET_KEEP_LINES) {
		if (grow((void **)&ds->line_off, &rd->ocap, k + 2,
		    sizeof(size_t)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		ds->line_off[k] = ds->lines.len;
		nsl_buf_add(&ds->lines, rd->rec.line, rd->rec.len);
		nsl_buf_addc(&ds->lines, '\n');
		ds->line_off[k + 1] = ds->lines.len;
		if (nsl_buf_failed(&ds->lines))
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
	}
	ds->n = k + 1;
	return 0;
}

static int
read_file(struct reading *rd, const char *path, unsigned file,
    const char *field, const char *label_field, unsigned flags,
    struct nsl_err *err)
{
	struct nsl_reader *r;
	int rc;

	if ((r = nsl_reader_open(path, err)) == NULL) {
		nsl_err_at(err, rd->ds->paths[file], 0);
		return -1;
	}
	while ((rc = nsl_rec_read(r, &rd->rec, err)) == 1) {
		if (add_record(rd, field, label_field, flags, file,
		    nsl_reader_lineno(r), err) != 0) {
			nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
			rc = -1;
			break;
		}
	}
	nsl_reader_close(r);
	return rc;
}

int
nsl_dataset_read(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    unsigned flags, struct nsl_err *err)
{
	static const char *const stdin_only[] = { "-" };
	struct reading rd;
	size_t f;
	int rc = -1;

	memset(ds, 0, sizeof(*ds));
	memset(&rd, 0, sizeof(rd));
	rd.ds = ds;
	nsl_rec_init(&rd.rec, (flags & NSL_DATASET_ALLOW_NONFINITE) ?
	    NSL_REC_ALLOW_NONFINITE : 0);
	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	if ((ds->paths = calloc(npaths, sizeof(*ds->paths))) == NULL)
		goto nomem;
	ds->npaths = npaths;
	for (f = 0; f < npaths; f++)
		if ((ds->paths[f] = strdup(strcmp(paths[f], "-") == 0 ?
		    "<stdin>" : paths[f])) == NULL)
			goto nomem;
	for (f = 0; f < npaths; f++)
		if (read_file(&rd, paths[f], (unsigned)f, field, label_field,
		    flags, err) != 0)
			goto done;
	if (ds->n == 0) {
		nsl_err_at(err, npaths == 1 ? ds->paths[0] : NULL, 0);
		nsl_err_set(err, NSL_EX_DATAERR, "no records");
		goto done;
	}
	if (label_field != NULL && finish_labels(ds, &rd.labels) != 0)
		goto nomem;
	rc = 0;
	goto done;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
done:
	table_release(&rd.labels);
	nsl_rec_release(&rd.rec);
	nsl_buf_release(&rd.text);
	free(rd.v);
	return rc;
}

void
nsl_dataset_release(struct nsl_dataset *ds)
{
	size_t i;

	free(ds->x);
	free(ds->label);
	for (i = 0; i < ds->nlabels; i++)
		free(ds->label_names[i]);
	free(ds->label_names);
	nsl_buf_release(&ds->lines);
	free(ds->line_off);
	free(ds->where);
	for (i = 0; i < ds->npaths; i++)
		free(ds->paths[i]);
	free(ds->paths);
	memset(ds, 0, sizeof(*ds));
}

long
nsl_dataset_label_index(const struct nsl_dataset *ds, const char *text)
{
	size_t lo = 0, hi = ds->nlabels, mid;
	int c;

	/* canonical texts: equal under label_cmp means the same text */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = label_cmp(ds->label_names[mid], text);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
