/*
 * frontier.c - the pruning frontier of a study's runs, its laws, and the
 * verdict against the unpruned power law (see nsl/frontier.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nsl/compare.h"
#include "nsl/fit.h"
#include "nsl/frontier.h"
#include "nsl/io.h"
#include "nsl/laws.h"

/* --- records ------------------------------------------------------------ */

void
nsl_frontier_sum_init(struct nsl_frontier_sum *s)
{
	memset(s, 0, sizeof(*s));
	s->a_fr = s->a_fr_lo = s->a_fr_hi = NAN;
	s->a_un = s->a_un_lo = s->a_un_hi = NAN;
	s->at = s->d_at = s->d_lo = s->d_hi = s->p_lower = NAN;
	s->cross = s->cross_lo = s->cross_hi = NAN;
	s->f_slope = s->level = NAN;
}

void
nsl_frontier_sum_release(struct nsl_frontier_sum *s)
{
	size_t i;

	free(s->x);
	free(s->y);
	free(s->group);
	free(s->fraction);
	for (i = 0; i < s->nlaws; i++)
		free(s->laws[i]);
	free(s->best_law);
	free(s->best_x);
	free(s->best_f);
	free(s->verdict);
	nsl_frontier_sum_init(s);
}

static void
num_key(struct nsl_obj *o, const char *key, double v)
{
	nsl_obj_key(o, key);
	nsl_obj_number_or_null(o, v);
}

void
nsl_frontier_sum_write(const struct nsl_frontier_sum *s, struct nsl_buf *b)
{
	struct nsl_buf t = NSL_BUF_INIT;
	struct nsl_obj o;
	size_t i;

	nsl_obj_begin(&o, b);
	nsl_obj_key(&o, "x");
	nsl_obj_string(&o, s->x);
	nsl_obj_key(&o, "y");
	nsl_obj_string(&o, s->y);
	nsl_obj_key(&o, "group");
	nsl_obj_string(&o, s->group);
	nsl_obj_key(&o, "fraction");
	nsl_obj_string(&o, s->fraction);
	nsl_obj_key(&o, "points");
	nsl_obj_integer(&o, (long long)s->points);
	nsl_obj_key(&o, "unpruned");
	nsl_obj_integer(&o, (long long)s->unpruned);
	/* one member per law, null for a law that was skipped */
	nsl_buf_addc(&t, '{');
	for (i = 0; i < s->nlaws; i++) {
		if (i > 0)
			nsl_buf_addc(&t, ',');
		nsl_json_string(&t, s->laws[i], strlen(s->laws[i]));
		nsl_buf_addc(&t, ':');
		if (isfinite(s->rmsle[i]))
			nsl_json_number(&t, s->rmsle[i], NSL_NUM_DOUBLE);
		else
			nsl_buf_adds(&t, "null");
	}
	nsl_buf_addc(&t, '}');
	nsl_obj_key(&o, "holdout_rmsle");
	nsl_obj_raw(&o, t.data, t.len);
	nsl_obj_key(&o, "best_law");
	nsl_obj_string(&o, s->best_law);
	num_key(&o, "a_frontier", s->a_fr);
	num_key(&o, "a_frontier_lo", s->a_fr_lo);
	num_key(&o, "a_frontier_hi", s->a_fr_hi);
	num_key(&o, "a_unpruned", s->a_un);
	num_key(&o, "a_unpruned_lo", s->a_un_lo);
	num_key(&o, "a_unpruned_hi", s->a_un_hi);
	num_key(&o, "at", s->at);
	num_key(&o, "delta_at", s->d_at);
	num_key(&o, "delta_lo", s->d_lo);
	num_key(&o, "delta_hi", s->d_hi);
	num_key(&o, "p_frontier_lower", s->p_lower);
	num_key(&o, "crossover", s->cross);
	num_key(&o, "crossover_lo", s->cross_lo);
	num_key(&o, "crossover_hi", s->cross_hi);
	nsl_buf_reset(&t);
	nsl_buf_addc(&t, '[');
	for (i = 0; i < s->nbest; i++) {
		double xf[2] = { s->best_x[i], s->best_f[i] };

		if (i > 0)
			nsl_buf_addc(&t, ',');
		nsl_json_vector(&t, xf, 2, NSL_NUM_DOUBLE);
	}
	nsl_buf_addc(&t, ']');
	nsl_obj_key(&o, "best_f");
	nsl_obj_raw(&o, t.data, t.len);
	num_key(&o, "best_f_slope", s->f_slope);
	nsl_obj_key(&o, "beats");
	nsl_obj_bool(&o, s->beats);
	nsl_obj_key(&o, "verdict");
	nsl_obj_string(&o, s->verdict);
	nsl_obj_key(&o, "B");
	nsl_obj_integer(&o, (long long)s->B);
	num_key(&o, "level", s->level);
	nsl_obj_key(&o, "seed");
	nsl_obj_integer(&o, (long long)s->seed);
	nsl_obj_end(&o);
	nsl_buf_release(&t);
}

/* A required member: a number, or null for NaN. */
static int
get_num(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	return nsl_rec_number_or_null(rec, name, 1, v, err);
}

static int
get_laws(struct nsl_frontier_sum *s, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, "holdout_rmsle", err);
	const char *name;
	json_t *o, *v;

	if (k < 0 || (o = nsl_rec_json(rec, (size_t)k, err)) == NULL)
		return -1;
	if (!json_is_object(o) || json_object_size(o) == 0 ||
	    json_object_size(o) > NSL_FRONTIER_MAX_LAWS) {
		json_decref(o);
		return nsl_err_set(err, NSL_EX_DATAERR, "field "
		    "\"holdout_rmsle\": expected an object of 1 to %d laws",
		    NSL_FRONTIER_MAX_LAWS);
	}
	json_object_foreach(o, name, v) {
		if (!json_is_number(v) && !json_is_null(v)) {
			json_decref(o);
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"holdout_rmsle\": law \"%.100s\": expected a "
			    "number or null", name);
		}
		if ((s->laws[s->nlaws] = strdup(name)) == NULL) {
			json_decref(o);
			return nsl_err_set(err, NSL_EX_SOFTWARE,
			    "out of memory");
		}
		s->rmsle[s->nlaws++] = json_is_null(v) ? NAN :
		    json_number_value(v);
	}
	json_decref(o);
	return 0;
}

int
nsl_frontier_sum_parse(struct nsl_frontier_sum *s, const struct nsl_rec *rec,
    struct nsl_err *err)
{
	double *m = NULL;
	size_t rows = 0, cols = 0, cap = 0, i;
	long k;

	nsl_frontier_sum_release(s);
	if (nsl_rec_strdup(rec, "x", &s->x, err) != 0 ||
	    nsl_rec_strdup(rec, "y", &s->y, err) != 0 ||
	    nsl_rec_strdup(rec, "group", &s->group, err) != 0 ||
	    nsl_rec_strdup(rec, "fraction", &s->fraction, err) != 0 ||
	    nsl_rec_count(rec, "points", &s->points, err) != 0 ||
	    nsl_rec_count(rec, "unpruned", &s->unpruned, err) != 0 ||
	    get_laws(s, rec, err) != 0 ||
	    nsl_rec_strdup(rec, "best_law", &s->best_law, err) != 0 ||
	    get_num(rec, "a_frontier", &s->a_fr, err) != 0 ||
	    get_num(rec, "a_frontier_lo", &s->a_fr_lo, err) != 0 ||
	    get_num(rec, "a_frontier_hi", &s->a_fr_hi, err) != 0 ||
	    get_num(rec, "a_unpruned", &s->a_un, err) != 0 ||
	    get_num(rec, "a_unpruned_lo", &s->a_un_lo, err) != 0 ||
	    get_num(rec, "a_unpruned_hi", &s->a_un_hi, err) != 0 ||
	    get_num(rec, "at", &s->at, err) != 0 ||
	    get_num(rec, "delta_at", &s->d_at, err) != 0 ||
	    get_num(rec, "delta_lo", &s->d_lo, err) != 0 ||
	    get_num(rec, "delta_hi", &s->d_hi, err) != 0 ||
	    get_num(rec, "p_frontier_lower", &s->p_lower, err) != 0 ||
	    get_num(rec, "crossover", &s->cross, err) != 0 ||
	    get_num(rec, "crossover_lo", &s->cross_lo, err) != 0 ||
	    get_num(rec, "crossover_hi", &s->cross_hi, err) != 0 ||
	    get_num(rec, "best_f_slope", &s->f_slope, err) != 0 ||
	    nsl_rec_strdup(rec, "verdict", &s->verdict, err) != 0 ||
	    nsl_rec_count(rec, "B", &s->B, err) != 0 ||
	    get_num(rec, "level", &s->level, err) != 0)
		return -1;
	if ((k = nsl_rec_require(rec, "beats", err)) < 0)
		return -1;
	if (rec->fields[k].type != NSL_JSON_TRUE &&
	    rec->fields[k].type != NSL_JSON_FALSE)
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"beats\": "
		    "expected true or false");
	s->beats = rec->fields[k].type == NSL_JSON_TRUE;
	{
		double seed;

		if (get_num(rec, "seed", &seed, err) != 0)
			return -1;
		if (!(seed >= 0 && seed < 18446744073709551616.0))
			return nsl_err_set(err, NSL_EX_DATAERR, "field "
			    "\"seed\": expected a whole number >= 0");
		s->seed = (uint64_t)seed;
	}
	if ((k = nsl_rec_require(rec, "best_f", err)) < 0 ||
	    nsl_rec_matrix(rec, (size_t)k, &m, &rows, &cols, &cap,
	    err) != 0) {
		free(m);
		return -1;
	}
	if (rows > 0 && cols != 2) {
		free(m);
		return nsl_err_set(err, NSL_EX_DATAERR, "field \"best_f\": "
		    "expected pairs [x, f]");
	}
	s->best_x = malloc((rows ? rows : 1) * sizeof(double));
	s->best_f = malloc((rows ? rows : 1) * sizeof(double));
	if (s->best_x == NULL || s->best_f == NULL) {
		free(m);
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < rows; i++) {
		s->best_x[i] = m[2 * i];
		s->best_f[i] = m[2 * i + 1];
	}
	s->nbest = rows;
	free(m);
	return 0;
}

void
nsl_frontier_point_write(const struct nsl_frontier_point *p,
    struct nsl_buf *b)
{
	struct nsl_rec rec;
	struct nsl_err err;
	struct nsl_obj o;

	/* the line parsed when it was read: it parses again */
	nsl_rec_init(&rec, NSL_REC_ALLOW_NONFINITE);
	nsl_obj_begin(&o, b);
	if (nsl_rec_parse(&rec, p->line, p->len, &err) == 0)
		nsl_obj_copy_except(&o, &rec, NULL, 0);
	nsl_obj_key(&o, "frontier_runs");
	nsl_obj_integer(&o, (long long)p->runs);
	nsl_obj_end(&o);
	nsl_rec_release(&rec);
}

int
nsl_frontier_point_parse(struct nsl_frontier_point *p,
    const struct nsl_rec *rec, const char *x, const char *y, const char *f,
    struct nsl_err *err)
{
	long k;

	memset(p, 0, sizeof(*p));
	if ((k = nsl_rec_require(rec, x, err)) < 0 ||
	    nsl_rec_number(rec, (size_t)k, &p->x, err) != 0 ||
	    (k = nsl_rec_require(rec, y, err)) < 0 ||
	    nsl_rec_number(rec, (size_t)k, &p->y, err) != 0 ||
	    (k = nsl_rec_require(rec, f, err)) < 0 ||
	    nsl_rec_number(rec, (size_t)k, &p->f, err) != 0 ||
	    nsl_rec_count(rec, "frontier_runs", &p->runs, err) != 0)
		return -1;
	p->g = p->x;
	return 0;
}

/* --- the job ------------------------------------------------------------ */

void
nsl_frontier_init(struct nsl_frontier_job *j)
{
	size_t i;

	memset(j, 0, sizeof(*j));
	j->x = "n_train";
	j->y = "test_error";
	j->fraction = "f";
	j->laws = NSL_FRONTIER_LAWS;
	j->holdout = 1;
	j->B = NSL_FRONTIER_B;
	j->level = 0.95;
	j->loss = NSL_LOSS_LOGLS;
	for (i = 0; i <= NSL_FRONTIER_MAX_LAWS; i++)
		nsl_fitrec_init(&j->fits[i]);
	nsl_frontier_sum_init(&j->sum);
	nsl_buf_init(&j->warn);
}

void
nsl_frontier_release(struct nsl_frontier_job *j)
{
	size_t i;

	for (i = 0; i < j->npts; i++)
		free(j->pts[i].line);
	free(j->pts);
	j->pts = NULL;
	j->npts = 0;
	for (i = 0; i <= NSL_FRONTIER_MAX_LAWS; i++)
		nsl_fitrec_release(&j->fits[i]);
	nsl_frontier_sum_release(&j->sum);
	nsl_buf_release(&j->warn);
}

/* Split the law list into the summary's names; NULL or a message. */
static const char *
split_laws(struct nsl_frontier_job *j)
{
	struct nsl_frontier_sum *s = &j->sum;
	const char *p = j->laws, *e;
	size_t i, n;

	for (i = 0; i < s->nlaws; i++)
		free(s->laws[i]);
	s->nlaws = 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return "--law: empty name in the list";
		if (s->nlaws == NSL_FRONTIER_MAX_LAWS) {
			snprintf(j->msg, sizeof(j->msg), "--law: more than %d "
			    "laws", NSL_FRONTIER_MAX_LAWS);
			return j->msg;
		}
		if ((s->laws[s->nlaws] = strndup(p, n)) == NULL)
			return "out of memory";
		if (nsl_law_find(s->laws[s->nlaws]) == NULL) {
			snprintf(j->msg, sizeof(j->msg), "--law: unknown law "
			    "'%.100s' (nsl-fit --list-laws)",
			    s->laws[s->nlaws]);
			free(s->laws[s->nlaws]);
			return j->msg;
		}
		s->rmsle[s->nlaws++] = NAN;
		if (e == NULL)
			return NULL;
		p = e + 1;
	}
}

const char *
nsl_frontier_check(struct nsl_frontier_job *j)
{
	if (j->group == NULL)
		j->group = j->x;
	if (j->B < 2)
		return "--bootstrap: at least 2 samples (the verdict's "
		    "intervals come from them)";
	if (!(j->level > 0 && j->level < 1))
		return "--level: expected a number in (0, 1)";
	if (*j->x == '\0' || *j->y == '\0' || *j->group == '\0' ||
	    *j->fraction == '\0')
		return "--x, --y, --group and --fraction need field names";
	return split_laws(j);
}

/* A run as read: its group value, x, y, f and line. */
struct run {
	double g, x, y, f;
	char *line;
	size_t len;
};

static int
field(const struct nsl_rec *rec, const char *name, double *v,
    struct nsl_err *err)
{
	long k = nsl_rec_require(rec, name, err);

	return k < 0 ? -1 : nsl_rec_number(rec, (size_t)k, v, err);
}

static int
read_runs(struct nsl_frontier_job *j, const char *in, struct run **out,
    size_t *nout, struct nsl_err *err)
{
	struct nsl_reader *r = nsl_reader_open(in, err);
	struct nsl_rec rec;
	struct run *runs = NULL, *t, *u;
	size_t n = 0, cap = 0;
	int rc, ret = -1;

	if (r == NULL)
		return -1;
	nsl_rec_init(&rec, j->rec_flags);
	while ((rc = nsl_rec_read(r, &rec, err)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((t = realloc(runs, cap * sizeof(*t))) == NULL)
				goto nomem;
			runs = t;
		}
		u = &runs[n];
		u->line = NULL;
		if (field(&rec, j->group, &u->g, err) != 0 ||
		    field(&rec, j->x, &u->x, err) != 0 ||
		    field(&rec, j->y, &u->y, err) != 0 ||
		    field(&rec, j->fraction, &u->f, err) != 0)
			goto bad;
		if (!(u->x > 0) || !isfinite(u->x)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%.100s\": "
			    "expected a positive number of examples", j->x);
			goto bad;
		}
		if (!(u->y >= 0) || !isfinite(u->y) ||
		    (j->loss != NSL_LOSS_LS && u->y == 0)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%.100s\": "
			    "expected an error %s 0", j->y,
			    j->loss != NSL_LOSS_LS ? ">" : ">=");
			goto bad;
		}
		if (!(u->f > 0 && u->f <= 1)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%.100s\": "
			    "expected a keep fraction in (0, 1]", j->fraction);
			goto bad;
		}
		if (!isfinite(u->g)) {
			nsl_err_set(err, NSL_EX_DATAERR, "field \"%.100s\": "
			    "expected a finite number", j->group);
			goto bad;
		}
		if ((u->line = malloc(rec.len + 1)) == NULL)
			goto nomem;
		memcpy(u->line, rec.line, rec.len);
		u->line[rec.len] = '\0';
		u->len = rec.len;
		n++;
	}
	if (rc < 0)
		goto out;
	ret = 0;
	goto out;
bad:
	nsl_err_at(err, nsl_reader_name(r), nsl_reader_lineno(r));
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	nsl_rec_release(&rec);
	nsl_reader_close(r);
	*out = runs;
	*nout = n;
	return ret;
}

/* Runs by group value, then lowest y, then largest f: a tie is no win. */
static int
run_cmp(const void *pa, const void *pb)
{
	const struct run *a = pa, *b = pb;

	if (a->g != b->g)
		return a->g < b->g ? -1 : 1;
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	if (a->f != b->f)
		return a->f > b->f ? -1 : 1;
	return 0;
}

/* The first run of each group value is its best: the frontier. */
static int
take_frontier(struct nsl_frontier_job *j, struct run *runs, size_t n,
    struct nsl_err *err)
{
	size_t i, k;

	qsort(runs, n, sizeof(*runs), run_cmp);
	if ((j->pts = calloc(n ? n : 1, sizeof(*j->pts))) == NULL)
		return nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i = k) {
		struct nsl_frontier_point *p = &j->pts[j->npts++];

		for (k = i + 1; k < n && runs[k].g == runs[i].g; k++)
			;
		p->g = runs[i].g;
		p->x = runs[i].x;
		p->y = runs[i].y;
		p->f = runs[i].f;
		p->runs = k - i;
		p->line = runs[i].line;
		p->len = runs[i].len;
		runs[i].line = NULL;
	}
	return 0;
}

/*
 * A group of n points for nsl_fit_group: the `holdout` largest x held
 * out (ties at the cut held out together, as --holdout-largest does).
 */
struct pts {
	struct nsl_group g;
	double *buf;
	unsigned char *flags;
	size_t *zeros;
};

static int
make_group(struct pts *p, const double *x, const double *y, size_t n,
    size_t holdout, const char *key)
{
	double cut = INFINITY, *sorted;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->buf = malloc((4 * n + 1) * sizeof(double));
	p->flags = calloc(2 * n + 1, 1);
	p->zeros = calloc(n + 1, sizeof(size_t));
	p->g.line = calloc(n + 1, sizeof(unsigned long));
	if (p->buf == NULL || p->flags == NULL || p->zeros == NULL ||
	    p->g.line == NULL)
		return -1;
	p->g.x = p->buf;
	p->g.y = p->buf + n;
	p->g.w = p->buf + 2 * n;
	p->g.hval = p->buf + 3 * n;
	p->g.keep = p->flags;
	p->g.held = p->flags + n;
	p->g.cluster = p->zeros;
	p->g.ncluster = 1;
	p->g.n = p->g.cap = n;
	p->g.key = (char *)key;
	p->g.file = "";
	if (holdout > 0 && holdout <= n) {
		if ((sorted = malloc(n * sizeof(double))) == NULL)
			return -1;
		memcpy(sorted, x, n * sizeof(double));
		for (i = 1; i < n; i++) {	/* insertion: n is small */
			double v = sorted[i];
			size_t k = i;

			for (; k > 0 && sorted[k - 1] < v; k--)
				sorted[k] = sorted[k - 1];
			sorted[k] = v;
		}
		cut = sorted[holdout - 1];
		free(sorted);
	}
	for (i = 0; i < n; i++) {
		p->g.x[i] = x[i];
		p->g.y[i] = y[i];
		p->g.w[i] = 1;
		p->g.hval[i] = x[i];
		p->g.keep[i] = 1;
		p->g.held[i] = x[i] >= cut;
		p->g.nmatch += p->g.held[i];
	}
	return 0;
}

static void
free_group(struct pts *p)
{
	free(p->buf);
	free(p->flags);
	free(p->zeros);
	free(p->g.line);
}

/* Fit law name over (x, y) into *out; 1 when skipped (a note in warn). */
static int
fit_one(struct nsl_frontier_job *j, const char *name, const double *x,
    const double *y, size_t n, const char *key, struct nsl_fitrec *out,
    struct nsl_err *err)
{
	struct nsl_fit_job fj;	/* for its defaults */
	struct nsl_fit_opts fo;
	struct nsl_law *law;
	struct pts p;
	struct nsl_err ferr;
	int ret = -1;

	nsl_fit_init(&fj);
	fo = fj.fo;
	nsl_fit_release(&fj);
	fo.loss = j->loss;
	fo.bootstrap = j->B;
	fo.level = j->level;
	fo.seed = j->seed;
	fo.optim.seed = j->seed;
	fo.by = "series";
	if ((law = nsl_law_new(name, 1, err)) == NULL)
		return -1;
	if (nsl_law_set_var(law, 0, j->x) != 0 ||
	    nsl_law_set_y(law, j->y) != 0 ||
	    make_group(&p, x, y, n, j->holdout, key) != 0) {
		nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
		goto out;
	}
	nsl_err_clear(&ferr);
	if (nsl_fit_group(law, &p.g, &fo, out, &j->warn, &ferr) != 0) {
		if (ferr.code == NSL_EX_SOFTWARE) {
			*err = ferr;
			goto out;
		}
		/* too few points, or a law the data do not determine */
		nsl_buf_addf(&j->warn, "law %s skipped: %s\n", name,
		    ferr.msg);
		nsl_fitrec_release(out);
		nsl_fitrec_init(out);
		ret = 1;
		goto out;
	}
	ret = 0;
out:
	free_group(&p);
	nsl_law_free(law);
	return ret;
}

/* The exponent "a" of a power-offset fit with its interval. */
static void
exponent(const struct nsl_fitrec *f, double level, double out[3])
{
	double rep[NSL_LAW_MAX_PARAMS];
	long k = nsl_law_param_index(f->law, "a");

	out[0] = out[1] = out[2] = NAN;
	if (k < 0)
		return;
	nsl_law_to_report(f->law, f->theta, rep);
	out[0] = rep[k];
	nsl_fitrec_interval(f, (size_t)k, level, &out[1], &out[2]);
}

/* A copy of a fit record, through its write/parse pair. */
static int
copy_fit(const struct nsl_fitrec *src, struct nsl_fitrec *dst,
    struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_rec rec;
	int ret;

	nsl_fitrec_write(src, &b, NSL_NUM_DOUBLE);
	nsl_rec_init(&rec, NSL_REC_ALLOW_NONFINITE);
	ret = nsl_rec_parse(&rec, b.data, b.len - 1, err) != 0 ||
	    nsl_fitrec_parse(dst, &rec, err) != 0 ? -1 : 0;
	nsl_rec_release(&rec);
	nsl_buf_release(&b);
	return ret;
}

/* The comparison of the best frontier law with the baseline. */
static int
compare(struct nsl_frontier_job *j, const struct nsl_fitrec *fr,
    const struct nsl_fitrec *un, struct nsl_err *err)
{
	struct nsl_frontier_sum *s = &j->sum;
	struct nsl_compare_job c;
	int ret = -1;

	nsl_compare_init(&c);
	c.a = "frontier";
	c.b = "unpruned";
	c.has_at = 1;
	c.at = s->at;
	c.level = j->level;
	if (copy_fit(fr, &c.fa, err) != 0 || copy_fit(un, &c.fb, err) != 0)
		goto out;
	if (nsl_compare_fits(&c, err) != 0) {
		/* fits over disjoint x: no crossover, the point still */
		if (err->code != NSL_EX_DATAERR)
			goto out;
		nsl_buf_addf(&j->warn, "no comparison: %s\n", err->msg);
		nsl_err_clear(err);
		ret = 0;
		goto out;
	}
	s->d_at = c.sum.d_at;
	s->d_lo = c.sum.d_lo;
	s->d_hi = c.sum.d_hi;
	s->p_lower = c.sum.p_lower;
	s->cross = c.sum.cross;
	s->cross_lo = c.sum.cross_lo;
	s->cross_hi = c.sum.cross_hi;
	ret = 0;
out:
	nsl_compare_release(&c);
	return ret;
}

/* Least squares slope of ln f* on ln x. */
static double
slope(const double *x, const double *f, size_t n)
{
	double mx = 0, mf = 0, sxx = 0, sxf = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		mx += log(x[i]) / (double)n;
		mf += log(f[i]) / (double)n;
	}
	for (i = 0; i < n; i++) {
		sxx += (log(x[i]) - mx) * (log(x[i]) - mx);
		sxf += (log(x[i]) - mx) * (log(f[i]) - mf);
	}
	return sxx > 0 ? sxf / sxx : NAN;
}

/*
 * steady: both power-offset fits free of degeneracies (an exponent at
 * its bound or beyond its plausible range says nothing of a slope).
 */
static const char *
verdict(const struct nsl_frontier_sum *s, int steady)
{
	if (!s->beats)
		return "none";
	if (strcmp(s->best_law, "exp-offset") == 0)
		return "exponential";
	if (strcmp(s->best_law, "bnsl") == 0)
		return "broken-power";
	if (steady && s->a_fr_lo > s->a_un_hi)
		return "steeper-power";
	return "lower";
}

static int
set_names(struct nsl_frontier_job *j)
{
	struct nsl_frontier_sum *s = &j->sum;

	return (s->x = strdup(j->x)) == NULL ||
	    (s->y = strdup(j->y)) == NULL ||
	    (s->group = strdup(j->group)) == NULL ||
	    (s->fraction = strdup(j->fraction)) == NULL ? -1 : 0;
}

int
nsl_frontier_run(struct nsl_frontier_job *j, const char *in,
    struct nsl_err *err)
{
	struct nsl_frontier_sum *s = &j->sum;
	struct run *runs = NULL;
	double *x = NULL, *y = NULL, *ux = NULL, *uy = NULL, a[3];
	double xmax = -INFINITY;
	size_t n = 0, i, nu = 0, nux = 0, bi, base, pi;
	int rc, ret = -1, any = 0, steady;
	const char *name = strcmp(in, "-") == 0 ? "<stdin>" : in;

	nsl_err_clear(err);
	if (read_runs(j, in, &runs, &n, err) != 0 ||
	    take_frontier(j, runs, n, err) != 0)
		goto out;
	x = malloc((n + 1) * sizeof(double));
	y = malloc((n + 1) * sizeof(double));
	ux = malloc((n + 1) * sizeof(double));
	uy = malloc((n + 1) * sizeof(double));
	s->best_x = malloc((n + 1) * sizeof(double));
	s->best_f = malloc((n + 1) * sizeof(double));
	if (!x || !y || !ux || !uy || !s->best_x || !s->best_f ||
	    set_names(j) != 0)
		goto nomem;
	for (i = 0; i < j->npts; i++) {
		x[i] = s->best_x[i] = j->pts[i].x;
		y[i] = j->pts[i].y;
		s->best_f[i] = j->pts[i].f;
		xmax = fmax(xmax, x[i]);
	}
	s->nbest = s->points = j->npts;
	/* the baseline: every unpruned run (several seeds: all of them) */
	for (i = 0; i < n; i++)
		if (runs[i].f == 1) {
			size_t k;

			for (k = 0; k < nu && ux[k] != runs[i].x; k++)
				;
			nux += k == nu;
			ux[nu] = runs[i].x;
			uy[nu++] = runs[i].y;
		}
	s->unpruned = nu;
	if (j->npts < j->holdout + 3 || nux < j->holdout + 3) {
		nsl_err_set(err, NSL_EX_DATAERR, "%zu frontier points and "
		    "%zu unpruned x values: a fit with %zu held out needs "
		    "%zu of each", j->npts, nux, j->holdout, j->holdout + 3);
		nsl_err_at(err, name, 0);
		goto out;
	}
	s->B = j->B;
	s->level = j->level;
	s->seed = j->seed;
	s->at = xmax;
	base = pi = s->nlaws;
	for (i = 0, bi = base; i < s->nlaws; i++) {
		rc = fit_one(j, s->laws[i], x, y, j->npts, "\"frontier\"",
		    &j->fits[i], err);
		if (rc < 0)
			goto out;
		if ((j->fitted[i] = rc == 0) == 0)
			continue;
		s->rmsle[i] = j->fits[i].has_holdout ?
		    j->fits[i].holdout.rmsle : NAN;
		/*
		 * best: held-out error, else AIC.  One or two held-out
		 * points cannot tell laws apart that miss them by about as
		 * much: within NSL_FRONTIER_TIE the earlier law stays.
		 */
		if (bi == base)
			bi = i;
		else if (j->holdout > 0 ? s->rmsle[i] <
		    s->rmsle[bi] * (1 - NSL_FRONTIER_TIE) :
		    j->fits[i].aic < j->fits[bi].aic)
			bi = i;
		if (strcmp(s->laws[i], "power-offset") == 0) {
			pi = i;
			exponent(&j->fits[i], j->level, a);
			s->a_fr = a[0];
			s->a_fr_lo = a[1];
			s->a_fr_hi = a[2];
		}
		any = 1;
	}
	if (!any) {
		nsl_err_set(err, NSL_EX_DATAERR, "no law could be fitted to "
		    "the frontier");
		nsl_err_at(err, name, 0);
		goto out;
	}
	if ((s->best_law = strdup(s->laws[bi])) == NULL)
		goto nomem;
	rc = fit_one(j, "power-offset", ux, uy, nu, "\"unpruned\"",
	    &j->fits[NSL_FRONTIER_MAX_LAWS], err);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		nsl_err_set(err, NSL_EX_DATAERR, "the unpruned runs: %s",
		    "power-offset could not be fitted");
		nsl_err_at(err, name, 0);
		goto out;
	}
	j->fitted[NSL_FRONTIER_MAX_LAWS] = 1;
	exponent(&j->fits[NSL_FRONTIER_MAX_LAWS], j->level, a);
	s->a_un = a[0];
	s->a_un_lo = a[1];
	s->a_un_hi = a[2];
	if (compare(j, &j->fits[bi], &j->fits[NSL_FRONTIER_MAX_LAWS],
	    err) != 0)
		goto out;
	s->beats = s->p_lower >= j->level;
	s->f_slope = slope(s->best_x, s->best_f, s->nbest);
	steady = pi < base && j->fits[pi].ndegen == 0 &&
	    j->fits[NSL_FRONTIER_MAX_LAWS].ndegen == 0;
	if ((s->verdict = strdup(verdict(s, steady))) == NULL)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	nsl_err_set(err, NSL_EX_SOFTWARE, "out of memory");
out:
	for (i = 0; i < n; i++)
		free(runs[i].line);
	free(runs);
	free(x);
	free(y);
	free(ux);
	free(uy);
	return ret;
}

int
nsl_frontier_write_sum(const struct nsl_frontier_job *j,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	int ret;

	nsl_frontier_sum_write(&j->sum, &b);
	ret = nsl_writer_write(w, b.data, b.len, err);
	nsl_buf_release(&b);
	return ret;
}

int
nsl_frontier_write_points(const struct nsl_frontier_job *j,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < j->npts && ret == 0; i++) {
		nsl_buf_reset(&b);
		nsl_frontier_point_write(&j->pts[i], &b);
		ret = nsl_writer_write(w, b.data, b.len, err);
	}
	nsl_buf_release(&b);
	return ret;
}

int
nsl_frontier_write_fits(const struct nsl_frontier_job *j,
    struct nsl_writer *w, struct nsl_err *err)
{
	struct nsl_buf b = NSL_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i <= NSL_FRONTIER_MAX_LAWS && ret == 0; i++) {
		if (!j->fitted[i])
			continue;
		nsl_buf_reset(&b);
		nsl_fitrec_write(&j->fits[i], &b, NSL_NUM_DOUBLE);
		ret = nsl_writer_write(w, b.data, b.len, err);
	}
	nsl_buf_release(&b);
	return ret;
}
