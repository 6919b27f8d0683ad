/*
 * dataset.c - read a whole record set into memory (see nsl/dataset.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/labels.h"

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

/*
 * Renumber the records' labels from order of first appearance to sorted
 * order, and keep the sorted names.
 */
static int
finish_labels(struct nsl_dataset *ds, struct nsl_labels *labels,
    struct nsl_err *err)
{
	size_t *rank, i, n = nsl_labels_count(labels);
	const char *const *names;

	if ((rank = malloc((n + 1) * sizeof(*rank))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	if (nsl_labels_sort(labels, rank, err) != 0) {
		free(rank);
		return -1;
	}
	for (i = 0; i < ds->n; i++)
		ds->label[i] = (int)rank[ds->label[i]];
	free(rank);
	names = nsl_labels_names(labels);
	if ((ds->label_names = calloc(n + 1, sizeof(*ds->label_names))) ==
	    NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (ds->nlabels = 0; ds->nlabels < n; ds->nlabels++)
		if ((ds->label_names[ds->nlabels] =
		    strdup(names[ds->nlabels])) == NULL)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
	return 0;
}

struct reading {
	struct nsl_dataset *ds;
	struct nsl_labels *labels;
	struct nsl_rec rec;
	double *v;
	const char *weight_field;	/* or NULL */
	size_t vcap, xcap, lcap, wcap, ocap, wtcap;
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
	if (n > 0)	/* nothing to copy from [] (memcpy wants pointers) */
		memcpy(ds->x + k * n, rd->v, n * sizeof(double));
	ds->where[k].file = file;
	ds->where[k].line = line;
	if (label_field != NULL) {
		if ((li = nsl_labels_add(rd->labels, &rd->rec, label_field,
		    err)) < 0)
			return -1;
		if (grow((void **)&ds->label, &rd->lcap, k + 1,
		    sizeof(int)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		ds->label[k] = (int)li;
	}
	if (rd->weight_field != NULL) {
		if (grow((void **)&ds->w, &rd->wtcap, k + 1,
		    sizeof(double)) != 0)
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		if ((i = nsl_rec_require(&rd->rec, rd->weight_field,
		    err)) < 0 || nsl_rec_number(&rd->rec, (size_t)i,
		    &ds->w[k], err) < 0)
			return -1;
		if (ds->w[k] < 0)
			return nsl_err_set(err, NSL_EX_DATAERR, "field \"%s\": "
			    "negative weight %g", rd->weight_field, ds->w[k]);
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
	return nsl_dataset_read_weighted(ds, paths, npaths, field, label_field,
	    NULL, flags, err);
}

int
nsl_dataset_read_weighted(struct nsl_dataset *ds, const char *const *paths,
    size_t npaths, const char *field, const char *label_field,
    const char *weight_field, unsigned flags, struct nsl_err *err)
{
	static const char *const stdin_only[] = { "-" };
	struct reading rd;
	size_t f;
	int rc = -1;

	memset(ds, 0, sizeof(*ds));
	memset(&rd, 0, sizeof(rd));
	rd.ds = ds;
	rd.weight_field = weight_field;
	if (label_field != NULL && (rd.labels = nsl_labels_new()) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
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
	if (label_field != NULL) {
		ds->labels = rd.labels;		/* the dataset's from now on */
		rd.labels = NULL;
		if (finish_labels(ds, ds->labels, err) != 0)
			goto done;
	}
	if (weight_field != NULL) {
		double t = 0;
		size_t i;

		for (i = 0; i < ds->n; i++)
			t += ds->w[i];
		if (!(t > 0)) {
			nsl_err_set(err, NSL_EX_DATAERR, "%s: field \"%s\": "
			    "all weights are zero", ds->paths[0], weight_field);
			goto done;
		}
	}
	rc = 0;
	goto done;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
done:
	nsl_labels_free(rd.labels);
	nsl_rec_release(&rd.rec);
	free(rd.v);
	if (rc != 0)
		nsl_dataset_release(ds);	/* a failed read holds nothing */
	return rc;
}

void
nsl_dataset_release(struct nsl_dataset *ds)
{
	size_t i;

	free(ds->x);
	free(ds->w);
	free(ds->label);
	for (i = 0; i < ds->nlabels; i++)
		free(ds->label_names[i]);
	free(ds->label_names);
	nsl_labels_free(ds->labels);
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
	return ds->labels != NULL ? nsl_labels_find(ds->labels, text) : -1;
}
