/*
 * labels.c - the distinct values of a label field, numbered (see
 * nsl/labels.h).
 */
#include <limits.h>
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
 * An open-addressing hash table from a label's canonical text (its key,
 * nsl_labels_key_at) to its index in order of first appearance.
 */
struct nsl_labels {
	char **names;
	size_t n, cap;
	long *slots;
	size_t nslots;
	struct nsl_buf text;
	unsigned flags;
};

struct nsl_labels *
nsl_labels_new(void)
{
	return nsl_labels_new_flags(0);
}

struct nsl_labels *
nsl_labels_new_flags(unsigned flags)
{
	struct nsl_labels *t = calloc(1, sizeof(struct nsl_labels));

	if (t != NULL)
		t->flags = flags;
	return t;
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

/*
 * A JSON number's exact value as sign, significant digits (no leading or
 * trailing zeros) and decimal exponent: text = sign digits * 10^exp.
 * Zero (either sign) is digits "" with sign 0.  Returns the digit count,
 * or -1 if the text is not a plain JSON number (NaN, Infinity).
 */
struct decimal {
	int neg;
	char digits[NSL_NUM_BUFSZ * 2];
	long long exp;
	int overflow;		/* too many digits for digits[]: see dig */
};

static int
decimal_of(const char *s, size_t n, struct decimal *d, struct nsl_buf *dig)
{
	const char *end = s + n;
	long long e = 0, fe = 0;
	int any = 0, sgn = 1;
	size_t nd = 0, i;

	d->neg = 0;
	d->overflow = 0;
	nsl_buf_reset(dig);
	if (s < end && *s == '-') {
		d->neg = 1;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	/* digits of the integer and fraction parts, leading zeros dropped */
	for (; s < end && ((*s >= '0' && *s <= '9') || *s == '.'); s++) {
		if (*s == '.') {
			any = 1;
			continue;
		}
		if (any)
			fe--;
		if (nd == 0 && *s == '0')
			continue;
		nsl_buf_addc(dig, *s);
		nd++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			sgn = *s++ == '-' ? -1 : 1;
		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if (e < 1000000000000LL)
				e = e * 10 + (*s - '0');
	}
	if (s != end)
		return -1;
	while (nd > 0 && dig->data[nd - 1] == '0')
		nd--, fe++;
	dig->len = nd;
	nsl_buf_addc(dig, '\0');
	d->exp = sgn * e + fe;
	if (nd == 0)
		d->neg = 0;
	if (nd < sizeof(d->digits)) {
		for (i = 0; i < nd; i++)
			d->digits[i] = dig->data[i];
		d->digits[nd] = '\0';
	} else
		d->overflow = 1;
	return (int)(nd < INT_MAX ? nd : INT_MAX);
}

int
nsl_labels_key_at(const struct nsl_rec *rec, size_t i, unsigned flags,
    struct nsl_buf *out, struct nsl_err *err)
{
	const struct nsl_field *f = &rec->fields[i];
	char num[NSL_NUM_BUFSZ];
	struct nsl_buf dig = NSL_BUF_INIT, dig2 = NSL_BUF_INIT;
	struct decimal a, b;
	double v;
	int rc = 0;

	nsl_buf_reset(out);
	switch (f->type) {
	case NSL_JSON_NUMBER:
		if (nsl_rec_number(rec, i, &v, err) != 0)
			return -1;
		if (!isfinite(v) || decimal_of(f->value, f->vlen, &a, &dig) < 0)
			return nsl_err_set(err, NSL_EX_DATAERR,
			    "field \"%.*s\": not a finite number",
			    (int)f->keylen, f->key);
		if (a.digits[0] == '\0' && !a.overflow) {
			nsl_buf_adds(out, "0");	/* -0 is 0 */
			break;
		}
		/*
		 * The shortest round-trip text when it has the same exact
		 * value (always, for numbers a double holds exactly as
		 * written); else the exact digits, which no double has.
		 */
		nsl_num_format(num, v);
		if (decimal_of(num, strlen(num), &b, &dig2) >= 0 &&
		    !a.overflow && !b.overflow && a.neg == b.neg &&
		    a.exp == b.exp && strcmp(a.digits, b.digits) == 0) {
			nsl_buf_adds(out, num);
			break;
		}
		nsl_buf_addf(out, "%s%se%lld", a.neg ? "-" : "", dig.data,
		    a.exp);
		break;
	case NSL_JSON_STRING:
		if (memchr(f->value, '\\', f->vlen) == NULL) {
			/* no escape: the text is already canonical */
			nsl_buf_add(out, f->value, f->vlen);
			break;
		}
		if (nsl_rec_string(rec, i, &dig, err) != 0) {
			rc = -1;
			break;
		}
		nsl_json_string(out, dig.data, dig.len);
		break;
	case NSL_JSON_TRUE:
	case NSL_JSON_FALSE:
	case NSL_JSON_NULL:
		if (flags & NSL_LABELS_LITERALS) {
			nsl_buf_add(out, f->value, f->vlen);
			break;
		}
		/* FALLTHROUGH */
	default:
		rc = nsl_err_set(err, NSL_EX_DATAERR, "field \"%.*s\": %s",
		    (int)f->keylen, f->key, (flags & NSL_LABELS_LITERALS) ?
		    "expected a number, string, true, false or null to group "
		    "by" : "expected a number or a string label");
		break;
	}
	nsl_buf_release(&dig);
	nsl_buf_release(&dig2);
	if (rc == 0 && nsl_buf_failed(out))
		rc = oom(err);
	return rc;
}

int
nsl_labels_key_text(const char *text, size_t len, unsigned flags,
    struct nsl_buf *out, struct nsl_err *err)
{
	struct nsl_buf line = NSL_BUF_INIT;
	struct nsl_rec rec;
	int rc = -1;

	nsl_buf_adds(&line, "{\"value\":");
	nsl_buf_add(&line, text, len);
	nsl_buf_addc(&line, '}');
	if (nsl_buf_failed(&line)) {
		nsl_buf_release(&line);
		return oom(err);
	}
	nsl_rec_init(&rec, 0);
	if (nsl_rec_parse(&rec, line.data, line.len, err) == 0) {
		if (rec.nfields == 1)
			rc = nsl_labels_key_at(&rec, 0, flags, out, err);
		else
			rc = nsl_err_set(err, NSL_EX_DATAERR, "expected one "
			    "JSON value");
	}
	nsl_rec_release(&rec);
	nsl_buf_release(&line);
	return rc;
}

long
nsl_labels_add(struct nsl_labels *t, const struct nsl_rec *rec,
    const char *field, struct nsl_err *err)
{
	const char *name;
	size_t j;
	long i;

	if ((i = nsl_rec_require(rec, field, err)) < 0)
		return -1;
	if (nsl_labels_key_at(rec, (size_t)i, t->flags, &t->text, err) != 0)
		return -1;
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

/* 0 for a number, 1 for a string, 2 for false, true and null. */
static int
label_kind(const char *a)
{
	return a[0] == '"' ? 1 : (a[0] == '-' || (a[0] >= '0' &&
	    a[0] <= '9')) ? 0 : 2;
}

/*
 * Numbers, then strings, then false, null, true; numbers by value (as
 * doubles: keys beyond a double's precision that round alike go in text
 * order), strings and the rest by bytes.
 */
static int
label_cmp(const char *a, const char *b)
{
	int ka = label_kind(a), kb = label_kind(b);
	double va, vb;

	if (ka != kb)
		return ka - kb;
	if (ka != 0)
		return strcmp(a, b);
	va = strtod(a, NULL);
	vb = strtod(b, NULL);
	if (va != vb)
		return (va > vb) - (va < vb);
	return strcmp(a, b);
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
