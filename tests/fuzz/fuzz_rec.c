/*
 * fuzz_rec.c - libFuzzer target for the record scanner and the number
 * readers (run by `make fuzz`).
 *
 * Besides crashes and sanitizer reports it checks two things against
 * independent implementations:
 *  - the scanner against jansson: a line jansson accepts as an object
 *    without duplicate keys, we accept; a line we accept, jansson accepts
 *    unless one of its own limits says no (integer size, real overflow,
 *    "\u0000" in a key: all valid JSON);
 *  - every number we read from an array against glibc strtod, bit for bit;
 *    and the array seen in place (nsl_rec_vector_view) as read by copy.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nsl/json.h"

static void
check_numbers(const struct nsl_rec *rec, size_t i, const double *x, size_t n)
{
	const char *p = rec->fields[i].value + 1;
	const char *end = rec->fields[i].value + rec->fields[i].vlen;
	char tok[512];
	size_t k, len;
	double ref;

	for (k = 0; k < n; k++) {
		while (p < end && strchr(" \t\r\n,", *p) != NULL)
			p++;
		len = strspn(p, "-+.0123456789eE");
		if (len >= sizeof(tok) || p + len > end)
			abort();
		memcpy(tok, p, len);
		tok[len] = '\0';
		ref = strtod(tok, NULL);
		if (memcmp(&ref, &x[k], sizeof(ref)) != 0)
			abort();	/* differs from strtod */
		p += len;
	}
}

/* nsl_rec_vector_view: nsl_rec_vector's verdict and numbers, bit for bit */
static void
check_view(const struct nsl_rec *rec, size_t i)
{
	struct nsl_err err;
	const double *v = NULL;
	double *x = NULL, *y = NULL;
	size_t n = 0, m = 0, xcap = 0, ycap = 0;
	int a, b;

	a = nsl_rec_vector(rec, i, &x, &n, &xcap, &err);
	b = nsl_rec_vector_view(rec, i, &v, &m, &y, &ycap, &err);
	if (a != b || (a == 0 && (m != n || v == NULL ||
	    (n > 0 && memcmp(v, x, n * sizeof(double)) != 0))))
		abort();	/* the view differs from the copy */
	free(x);
	free(y);
}

static int
has_duplicate_keys(const char *data, size_t size)
{
	json_error_t jerr;
	json_t *j;

	/* called on lines jansson accepts: failing now means duplicates */
	j = json_loadb(data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (j == NULL)
		return 1;
	json_decref(j);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_buf s = NSL_BUF_INIT;
	double *x = NULL, v;
	size_t i, n, rows, cols, cap = 0;
	json_error_t jerr;
	json_t *j;
	int ours;

	/* records are lines: a newline inside is not what we are given */
	if (memchr(data, '\n', size) != NULL)
		return 0;
	nsl_rec_init(&rec, 0);
	ours = nsl_rec_parse(&rec, (const char *)data, size, &err) == 0;
	/*
	 * jansson takes a NUL byte after a number ("-0\0") as the end of the
	 * number, which RFC 8259 does not allow; compare only lines without
	 * NUL bytes (lines with them are still fuzzed for crashes).
	 */
	if (memchr(data, '\0', size) != NULL)
		j = NULL;
	else
		j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
	if (j != NULL && json_is_object(j) && !ours &&
	    strstr(err.msg, "nesting too deep") == NULL &&
	    !has_duplicate_keys((const char *)data, size))
		abort();	/* valid JSON we refused */
	if (ours && j == NULL && memchr(data, '\0', size) == NULL &&
	    strstr(jerr.text, "too big") == NULL &&
	    strstr(jerr.text, "overflow") == NULL &&
	    strstr(jerr.text, "maximum") == NULL &&
	    strstr(jerr.text, "NUL byte in object key") == NULL)
		abort();	/* we accepted what jansson calls invalid */
	json_decref(j);
	for (i = 0; ours && i < rec.nfields; i++) {
		nsl_rec_number(&rec, i, &v, &err);
		nsl_rec_string(&rec, i, &s, &err);
		if (nsl_rec_vector(&rec, i, &x, &n, &cap, &err) == 0)
			check_numbers(&rec, i, x, n);
		check_view(&rec, i);
		nsl_rec_matrix(&rec, i, &x, &rows, &cols, &cap, &err);
		json_decref(nsl_rec_json(&rec, i, &err));
	}
	free(x);
	nsl_buf_release(&s);
	nsl_rec_release(&rec);
	return 0;
}
