/*
 * cli.c - options, diagnostics and progress shared by every tool (see
 * cli.h).  The option tables' parser and help printer are at the end.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/num.h"

static char progname[64] = "nsl";

const char *
nsl_progname(void)
{
	return progname;
}

void
nsl_cli_set_name(const char *name)
{
	snprintf(progname, sizeof(progname), "nsl-%s", name);
}

static void
vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* -q: warnings are not printed (errors always are) */
static int warnings_off;

void
nsl_warn(const char *fmt, ...)
{
	va_list ap;

	if (warnings_off)
		return;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
nsl_warn_lines(struct nsl_buf *b)
{
	char *line, *save = NULL;

	if (b->len == 0)
		return;
	for (line = strtok_r(b->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		nsl_warn("warning: %s", line);
}

void
nsl_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	nsl_io_cleanup();
	exit(code);
}

void
nsl_die_err(const struct nsl_err *e)
{
	int code = e->code ? e->code : NSL_EX_SOFTWARE;

	if (e->file[0] != '\0' && e->line > 0)
		nsl_die(code, "%s:%lu: %s", e->file, e->line, e->msg);
	if (e->file[0] != '\0')
		nsl_die(code, "%s: %s", e->file, e->msg);
	nsl_die(code, "%s", e->msg);
}

void
nsl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	nsl_io_cleanup();
	exit(NSL_EX_USAGE);
}

int
nsl_finish(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		nsl_die(NSL_EX_IOERR, "<stdout>: write error: %s",
		    strerror(errno));
	return NSL_EX_OK;
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	return p;
}

void
nsl_cli_release(struct nsl_cli *cli)
{
	free(cli->longopts);
	free(cli->shortopts);
	free((void *)cli->rows);
	cli->longopts = NULL;
	cli->shortopts = NULL;
	cli->rows = NULL;
	cli->nrows = 0;
}

/* A bound as text that reads back to it exactly ("inf" for infinity). */
static void
bound_text(char *buf, double v)
{
	if (isinf(v))
		strcpy(buf, v > 0 ? "inf" : "-inf");
	else
		nsl_num_format(buf, v);
}

double
nsl_arg_double_in(const char *opt, const char *arg, double min, double max,
    unsigned open)
{
	char lo[NSL_NUM_BUFSZ], hi[NSL_NUM_BUFSZ];
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || isnan(v))
		nsl_usage_error("%s: '%s' is not a number", opt, arg);
	if (errno == ERANGE && fabs(v) > 1)
		nsl_usage_error("%s: '%s' is out of range", opt, arg);
	if (v < min || v > max || ((open & NSL_ARG_OPEN_MIN) && v == min) ||
	    ((open & NSL_ARG_OPEN_MAX) && v == max)) {
		/* the bounds exactly, so that the message says what is taken */
		bound_text(lo, min);
		bound_text(hi, max);
		nsl_usage_error("%s: %s is outside %c%s, %s%c", opt, arg,
		    (open & NSL_ARG_OPEN_MIN) ? '(' : '[', lo, hi,
		    (open & NSL_ARG_OPEN_MAX) ? ')' : ']');
	}
	return v;
}

double
nsl_arg_double(const char *opt, const char *arg, double min, double max)
{
	return nsl_arg_double_in(opt, arg, min, max, 0);
}

long long
nsl_arg_long(const char *opt, const char *arg, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0')
		nsl_usage_error("%s: '%s' is not an integer", opt, arg);
	if (errno == ERANGE || v < min || v > max)
		nsl_usage_error("%s: %s is outside [%lld, %lld]", opt, arg, min,
		    max);
	return v;
}

uint64_t
nsl_arg_u64(const char *opt, const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		nsl_usage_error("%s: '%s' is not a non-negative integer", opt,
		    arg);
	v = strtoull(arg, &end, 10);
	if (*end != '\0')
		nsl_usage_error("%s: '%s' is not a non-negative integer", opt,
		    arg);
	if (errno == ERANGE)
		nsl_usage_error("%s: %s is too large", opt, arg);
	return (uint64_t)v;
}

/* Progress. */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
nsl_progress_start(struct nsl_progress *p, const char *what, uint64_t total,
    int quiet)
{
	p->what = what;
	p->total = total;
	p->start = p->last = now();
	p->active = !quiet && isatty(STDERR_FILENO);
}

void
nsl_progress_update(struct nsl_progress *p, uint64_t done)
{
	double t, el;

	if (!p->active)
		return;
	t = now();
	/* a few redraws a second; nothing at all in the first second */
	if (t - p->last < 0.25 || t - p->start < 1.0)
		return;
	p->last = t;
	el = t - p->start;
	if (p->total > 0)
		fprintf(stderr, "\r%s: %s %llu/%llu (%.0f%%) %.0fs", progname,
		    p->what, (unsigned long long)done,
		    (unsigned long long)p->total,
		    100.0 * (double)done / (double)p->total, el);
	else
		fprintf(stderr, "\r%s: %s %llu %.0fs", progname, p->what,
		    (unsigned long long)done, el);
	fprintf(stderr, "\033[K");
}

void
nsl_progress_end(struct nsl_progress *p)
{
	if (p->active && now() - p->start >= 1.0)
		fprintf(stderr, "\r\033[K");
	p->active = 0;
}

/*
 * Option tables.
 *
 * A tool's rows are copied, followed by the common rows it asks for (their
 * values live in cli->common, so they are made per cli); getopt_long does
 * the scanning, with each long option's code the row's index plus
 * ROW_CODE, and each row then parses its own argument.
 */

#define ROW_CODE 0x100
#define HELP_WIDTH 79
#define HELP_COLUMN_MAX 30

static const char default_output_help[] =
    "write the output to FILE atomically (a temporary file renamed into "
    "place); a name ending in .gz is compressed";
static const char default_seed_help[] =
    "seed of every random choice; the same seed gives the same bytes";

static size_t
add_common_rows(struct nsl_cli *cli, const struct nsl_tool *tool,
    struct nsl_opt *r)
{
	struct nsl_common *c = &cli->common;
	size_t n = 0;

	if (tool->common & NSL_CLI_FIELD)
		r[n++] = (struct nsl_opt)NSL_OPT_STRING(0, "field", &c->field,
		    "NAME", "the vector field");
	if (tool->common & NSL_CLI_FLOAT32)
		r[n++] = (struct nsl_opt)NSL_OPT_FLAG(0, "float32",
		    &c->float32, "write the numbers of new vectors as the "
		    "shortest text that reads back as the same float32");
	if (tool->common & NSL_CLI_NONFINITE)
		r[n++] = (struct nsl_opt)NSL_OPT_FLAG(0, "allow-nonfinite",
		    &c->allow_nonfinite, "accept NaN, Infinity and -Infinity "
		    "as numbers in the input (and write them)");
	if (tool->common & NSL_CLI_SEED)
		r[n++] = (struct nsl_opt)NSL_OPT_U64(0, "seed", &c->seed, "N",
		    tool->seed_help ? tool->seed_help : default_seed_help);
	if (tool->common & NSL_CLI_OUTPUT)
		r[n++] = (struct nsl_opt)NSL_OPT_STRING('o', "output",
		    &c->output, "FILE", tool->output_help ? tool->output_help :
		    default_output_help);
	r[n++] = (struct nsl_opt)NSL_OPT_FLAG('q', "quiet", &c->quiet,
	    "no progress meter and no warnings (errors are always printed)");
	r[n++] = (struct nsl_opt)NSL_OPT_SET('h', "help", &cli->action, 1,
	    "this help");
	r[n++] = (struct nsl_opt)NSL_OPT_SET('V', "version", &cli->action, 2,
	    "the version");
	r[n++] = (struct nsl_opt)NSL_OPT_SET(0, "summary", &cli->action, 3,
	    "the one-line summary", .flags = NSL_OPTF_HIDDEN);
	return n;
}

/* Copy the rows and build getopt's tables; returns -1 if too many rows. */
static int
build_tables(struct nsl_cli *cli, const struct nsl_tool *tool,
    const struct nsl_opt *rows)
{
	struct nsl_opt *all;
	size_t ntool = 0, n, i;
	char *s;

	snprintf(progname, sizeof(progname), "nsl-%s", tool->name);
	memset(cli, 0, sizeof(*cli));
	cli->tool = tool;
	cli->common.seed = NSL_DEFAULT_SEED;
	cli->common.field = NSL_DEFAULT_FIELD;
	while (rows[ntool].kind != NSL_OPTK_END)
		ntool++;
	if (ntool + 16 > NSL_OPT_MAX)
		return -1;
	all = xmalloc(NSL_OPT_MAX * sizeof(*all));
	memcpy(all, rows, ntool * sizeof(*all));
	n = ntool + add_common_rows(cli, tool, all + ntool);
	all[n] = (struct nsl_opt)NSL_OPT_END();
	cli->rows = all;
	cli->nrows = n;
	cli->longopts = xmalloc((n + 1) * sizeof(*cli->longopts));
	cli->shortopts = s = xmalloc(2 * n + 2);
	*s++ = ':';	/* tell a missing argument from an unknown option */
	for (i = 0; i < n; i++) {
		struct option *o = &cli->longopts[i];
		int has_arg = all[i].kind == NSL_OPTK_FLAG ||
		    all[i].kind == NSL_OPTK_GROUP ? no_argument :
		    required_argument;

		o->name = all[i].longname ? all[i].longname : "";
		o->has_arg = has_arg;
		o->flag = NULL;
		o->val = ROW_CODE + (int)i;
		if (all[i].kind == NSL_OPTK_GROUP)
			o->name = "\001group";	/* never typed */
		if (all[i].shortname != 0) {
			*s++ = (char)all[i].shortname;
			if (has_arg == required_argument)
				*s++ = ':';
		}
	}
	*s = '\0';
	memset(&cli->longopts[n], 0, sizeof(cli->longopts[n]));
	return 0;
}

/* "--name" of a row, for messages. */
static const char *
row_name(const struct nsl_opt *r)
{
	static char name[2][96];
	static int which;

	which ^= 1;
	snprintf(name[which], sizeof(name[which]), "--%s", r->longname);
	return name[which];
}

/*
 * "(0, 1]", "[1, inf)" and the like, for a range message: the bounds as
 * the shortest text that reads back to them ("1e+150", not
 * "9.9999999999999998e+149"), integers' bounds as integers, as the
 * nsl_arg_* helpers print them.
 */
static void
range_text(const struct nsl_opt *r, char *out, size_t n)
{
	char lo[NSL_NUM_BUFSZ], hi[NSL_NUM_BUFSZ];

	if (r->kind == NSL_OPTK_INT || r->kind == NSL_OPTK_SIZE ||
	    r->kind == NSL_OPTK_U64) {
		snprintf(lo, sizeof(lo), "%.0f", r->min);
		snprintf(hi, sizeof(hi), "%.0f", r->max);
	} else {
		bound_text(lo, r->min);
		bound_text(hi, r->max);
	}
	snprintf(out, n, "%c%s, %s%c", r->flags & NSL_OPTF_GT_MIN ? '(' : '[',
	    lo, hi, r->flags & NSL_OPTF_LT_MAX ? ')' : ']');
}

static int
in_range(const struct nsl_opt *r, double v)
{
	if (r->min == 0 && r->max == 0)
		return 1;	/* no bounds given */
	if (r->flags & NSL_OPTF_GT_MIN ? !(v > r->min) : !(v >= r->min))
		return 0;
	if (r->flags & NSL_OPTF_LT_MAX ? !(v < r->max) : !(v <= r->max))
		return 0;
	return 1;
}

/* The number in arg, with a K, M, G or T suffix if magnitude is set. */
static int
parse_number(const char *arg, int magnitude, double *out, char *msg,
    size_t msgsize, const struct nsl_opt *r)
{
	static const char suffix[] = "kKmMgGtT";
	static const double mult[] = { 1e3, 1e3, 1e6, 1e6, 1e9, 1e9, 1e12,
	    1e12 };
	double v, m = 1;
	char *end;
	const char *p;

	errno = 0;
	v = strtod(arg, &end);
	if (magnitude && end != arg && *end != '\0' && end[1] == '\0' &&
	    (p = strchr(suffix, *end)) != NULL) {
		m = mult[p - suffix];
		end++;
	}
	if (end == arg || *end != '\0' || isnan(v) ||
	    isspace((unsigned char)*arg)) {
		snprintf(msg, msgsize, "%s: '%s' is not a number", row_name(r),
		    arg);
		return -1;
	}
	if ((errno == ERANGE && fabs(v) > 1) || isinf(v * m)) {
		snprintf(msg, msgsize, "%s: '%s' is out of range", row_name(r),
		    arg);
		return -1;
	}
	*out = v * m;
	return 0;
}

static int
parse_integer(const struct nsl_opt *r, const char *arg, int is_signed,
    unsigned long long *u, long long *s, char *msg, size_t msgsize)
{
	char *end;

	errno = 0;
	if (is_signed)
		*s = strtoll(arg, &end, 10);
	else if (*arg >= '0' && *arg <= '9')
		*u = strtoull(arg, &end, 10);
	else
		end = (char *)arg;
	if (end == arg || *end != '\0') {
		snprintf(msg, msgsize, "%s: '%s' is not %s", row_name(r), arg,
		    is_signed ? "an integer" : "a non-negative integer");
		return -1;
	}
	if (errno == ERANGE) {
		snprintf(msg, msgsize, "%s: %s is too large", row_name(r),
		    arg);
		return -1;
	}
	return 0;
}

/* "a, b or c", the names of a choice, for messages and help. */
static void
names_text(const char *const *names, char *out, size_t n)
{
	size_t len = 0, i, count = 0;

	while (names[count] != NULL)
		count++;
	out[0] = '\0';
	for (i = 0; i < count && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		    i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
}

static int
choice_index(const char *const *names, const char *arg)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], arg) == 0)
			return i;
	return -1;
}

static int
list_add(struct nsl_strlist *l, const char *s, size_t n)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strndup(s, n)) == NULL)
		return -1;
	l->n++;
	return 0;
}

void
nsl_strlist_release(struct nsl_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Store arg as row r says; 0, or -1 with msg. */
static int
apply_row(const struct nsl_opt *r, const char *arg, char *msg, size_t msgsize)
{
	char range[128], names[512];
	unsigned long long u = 0;
	long long sv = 0;
	const char *e;
	double d;
	int i;

	switch (r->kind) {
	case NSL_OPTK_FLAG:
		*(int *)r->value = r->ival;
		return 0;
	case NSL_OPTK_STRING:
		if (*arg == '\0') {
			snprintf(msg, msgsize, "%s: empty argument",
			    row_name(r));
			return -1;
		}
		/* a NAME (a field, a tensor) is written into JSON text */
		if (r->argh != NULL && strcmp(r->argh, "NAME") == 0 &&
		    !nsl_json_utf8_valid(arg, strlen(arg))) {
			snprintf(msg, msgsize, "%s: the name is not valid UTF-8 "
			    "text (JSON names must be)", row_name(r));
			return -1;
		}
		*(const char **)r->value = arg;
		return 0;
	case NSL_OPTK_DOUBLE:
	case NSL_OPTK_MAGNITUDE:
		if (parse_number(arg, r->kind == NSL_OPTK_MAGNITUDE, &d, msg,
		    msgsize, r) != 0)
			return -1;
		if (!in_range(r, d)) {
			range_text(r, range, sizeof(range));
			snprintf(msg, msgsize, "%s: %s is outside %s",
			    row_name(r), arg, range);
			return -1;
		}
		*(double *)r->value = d;
		return 0;
	case NSL_OPTK_INT:
	case NSL_OPTK_SIZE:
	case NSL_OPTK_U64:
		if (parse_integer(r, arg, r->kind == NSL_OPTK_INT, &u, &sv,
		    msg, msgsize) != 0)
			return -1;
		d = r->kind == NSL_OPTK_INT ? (double)sv : (double)u;
		if (!in_range(r, d) || (r->kind == NSL_OPTK_INT &&
		    (sv < INT_MIN || sv > INT_MAX))) {
			range_text(r, range, sizeof(range));
			snprintf(msg, msgsize, "%s: %s is outside %s",
			    row_name(r), arg, range);
			return -1;
		}
		if (r->kind == NSL_OPTK_INT)
			*(int *)r->value = (int)sv;
		else if (r->kind == NSL_OPTK_SIZE)
			*(size_t *)r->value = (size_t)u;
		else
			*(uint64_t *)r->value = (uint64_t)u;
		return 0;
	case NSL_OPTK_CHOICE:
		if ((i = choice_index(r->names, arg)) < 0) {
			names_text(r->names, names, sizeof(names));
			snprintf(msg, msgsize, "%s: unknown '%s' (%s)",
			    row_name(r), arg, names);
			return -1;
		}
		*(int *)r->value = i;
		return 0;
	case NSL_OPTK_LIST: {
		struct nsl_strlist *l = r->value;
		const char *p = arg;
		size_t len;

		do {
			len = r->flags & NSL_OPTF_NOSPLIT ? strlen(p) :
			    strcspn(p, ",");
			if (len == 0) {
				snprintf(msg, msgsize, "%s: empty item in "
				    "'%s'", row_name(r), arg);
				return -1;
			}
			if (list_add(l, p, len) != 0)
				nsl_die(NSL_EX_SOFTWARE, "out of memory");
			p += len;
		} while (*p++ == ',');
		return 0;
	}
	case NSL_OPTK_CALLBACK:
		if ((e = r->cb(r, arg)) != NULL) {
			snprintf(msg, msgsize, "%s: %s", row_name(r), e);
			return -1;
		}
		return 0;
	default:
		snprintf(msg, msgsize, "%s: bad option row", row_name(r));
		return -1;
	}
}

/* Mutually exclusive rows given together, or a required one missing. */
static int
check_given(const struct nsl_cli *cli, char *msg, size_t msgsize)
{
	const struct nsl_opt *r = cli->rows;
	size_t i, j;
	int mode = 0;

	for (i = 0; i < cli->nrows; i++) {
		if (!cli->seen[i])
			continue;
		if (r[i].flags & NSL_OPTF_MODE || r[i].excl == -1)
			mode = 1;
		for (j = i + 1; j < cli->nrows; j++) {
			if (cli->seen[j] && r[i].excl != 0 &&
			    r[i].excl == r[j].excl) {
				snprintf(msg, msgsize, "%s and %s cannot be "
				    "used together", row_name(&r[i]),
				    row_name(&r[j]));
				return -1;
			}
		}
	}
	for (i = 0; i < cli->nrows && !mode; i++) {
		if (r[i].flags & NSL_OPTF_REQUIRED && !cli->seen[i]) {
			snprintf(msg, msgsize, "%s is required",
			    row_name(&r[i]));
			return -1;
		}
	}
	return 0;
}

int
nsl_cli_parse_args(struct nsl_cli *cli, const struct nsl_tool *tool,
    const struct nsl_opt *rows, int argc, char **argv, char *msg,
    size_t msgsize)
{
	int c;
	size_t i;

	msg[0] = '\0';
	if (build_tables(cli, tool, rows) != 0) {
		snprintf(msg, msgsize, "too many options in the table");
		return -1;
	}
	optind = 0;	/* GNU: start afresh (tests parse many times) */
	opterr = 0;	/* we print our own message */
	while ((c = getopt_long(argc, argv, cli->shortopts, cli->longopts,
	    NULL)) != -1) {
		if (c == ':' || c == '?') {
			char spelled_name[128];
			const char *w = argv[optind - 1];

			if (w[0] == '-' && w[1] == '-')
				snprintf(spelled_name, sizeof(spelled_name),
				    "%.*s", (int)strcspn(w, "="), w);
			else
				snprintf(spelled_name, sizeof(spelled_name),
				    "-%c", optopt);
			snprintf(msg, msgsize, c == ':' ? "option '%s' needs "
			    "an argument" : "unknown option '%s'",
			    spelled_name);
			return -1;
		}
		if (c >= ROW_CODE)
			i = (size_t)(c - ROW_CODE);
		else
			for (i = 0; i < cli->nrows &&
			    cli->rows[i].shortname != c; i++)
				;
		if (i >= cli->nrows) {
			snprintf(msg, msgsize, "unknown option");
			return -1;
		}
		if (cli->seen[i] < UCHAR_MAX)
			cli->seen[i]++;
		if (apply_row(&cli->rows[i], optarg, msg, msgsize) != 0)
			return -1;
	}
	cli->optind = optind;
	if (cli->action != 0)
		return cli->action;
	return check_given(cli, msg, msgsize);
}

void
nsl_cli_parse(struct nsl_cli *cli, const struct nsl_tool *tool,
    const struct nsl_opt *rows, int argc, char **argv)
{
	char msg[640];

	switch (nsl_cli_parse_args(cli, tool, rows, argc, argv, msg,
	    sizeof(msg))) {
	case 0:
		/* the writers' check for NaN and Infinity in output */
		nsl_json_allow_nonfinite(cli->common.allow_nonfinite);
		warnings_off = cli->common.quiet;
		return;
	case 1:
		nsl_cli_help(cli, stdout);
		exit(nsl_finish());
	case 2:
		printf("nsl-%s %s\n", tool->name, NSL_VERSION);
		exit(nsl_finish());
	case 3:
		printf("%s\n", tool->summary);
		exit(nsl_finish());
	default:
		nsl_usage_error("%s", msg);
	}
}

int
nsl_cli_given(const struct nsl_cli *cli, const char *longname)
{
	size_t i;

	for (i = 0; i < cli->nrows; i++)
		if (cli->rows[i].longname != NULL &&
		    strcmp(cli->rows[i].longname, longname) == 0)
			return cli->seen[i];
	return 0;
}

/* Help text. */

/* Append words of text to out, wrapping at HELP_WIDTH; col is the column
 * reached so far, indent the column continuation lines start at. */
static void
wrap(FILE *fp, const char *text, size_t *col, size_t indent)
{
	const char *p = text;

	while (*p != '\0') {
		size_t len;

		if (*p == ' ') {
			p++;
			continue;
		}
		len = strcspn(p, " ");
		if (*col > indent && *col + 1 + len > HELP_WIDTH) {
			fprintf(fp, "\n%*s", (int)indent, "");
			*col = indent;
		} else if (*col > indent) {
			fputc(' ', fp);
			(*col)++;
		}
		fprintf(fp, "%.*s", (int)len, p);
		*col += len;
		p += len;
	}
}

/* The argument's name of a row: argh, or the choices when few. */
static const char *
arg_name(const struct nsl_opt *r, char *buf, size_t n)
{
	size_t count = 0, len = 0, i;

	if (r->argh != NULL)
		return r->argh;
	if (r->kind == NSL_OPTK_CHOICE) {
		while (r->names[count] != NULL)
			count++;
		if (count <= 4) {
			buf[0] = '\0';
			for (i = 0; i < count && len < n; i++)
				len += (size_t)snprintf(buf + len, n - len,
				    "%s%s", i ? "|" : "", r->names[i]);
			return buf;
		}
		return "NAME";
	}
	return "ARG";
}

/* One synopsis item of row r: "--keep N", "-o FILE". */
static void
synopsis_item(const struct nsl_opt *r, char *out, size_t n)
{
	char buf[256];

	if (r->kind == NSL_OPTK_FLAG)
		snprintf(out, n, "--%s", r->longname);
	else if (r->shortname != 0)
		snprintf(out, n, "-%c %s", r->shortname,
		    arg_name(r, buf, sizeof(buf)));
	else
		snprintf(out, n, "--%s %s", r->longname,
		    arg_name(r, buf, sizeof(buf)));
}

static int
listed(const struct nsl_opt *r)
{
	return r->kind != NSL_OPTK_GROUP && !(r->flags & NSL_OPTF_HIDDEN);
}

static void
print_synopsis(const struct nsl_cli *cli, FILE *fp)
{
	const struct nsl_opt *r = cli->rows;
	char item[1024], one[300], flags[64];
	size_t i, j, col, indent, nf = 0;
	unsigned char done[NSL_OPT_MAX] = { 0 };

	col = indent = (size_t)fprintf(fp, "usage: nsl-%s ", cli->tool->name);
	/* plain flags with a short name cluster: [-hqV] */
	for (i = 0; i < cli->nrows; i++)
		if (r[i].kind == NSL_OPTK_FLAG && r[i].shortname != 0 &&
		    listed(&r[i]) && r[i].excl == 0 && nf + 4 < sizeof(flags))
			flags[nf++] = (char)r[i].shortname, done[i] = 1;
	flags[nf] = '\0';
	/* case-blind order, lower case first: -hqV */
	for (i = 1; i < nf; i++)
		for (j = i; j > 0 && (tolower((unsigned char)flags[j - 1]) >
		    tolower((unsigned char)flags[j])); j--) {
			char t = flags[j];

			flags[j] = flags[j - 1];
			flags[j - 1] = t;
		}
	col -= indent;
	if (nf > 0) {
		snprintf(item, sizeof(item), "[-%s]", flags);
		col = indent;
		wrap(fp, item, &col, indent);
	} else {
		col = indent;
	}
	for (i = 0; i < cli->nrows; i++) {
		size_t len = 0;

		if (done[i] || !listed(&r[i]) || r[i].excl == -1)
			continue;
		if (r[i].excl != 0) {
			/* the whole exclusive group, at its first member */
			for (j = i; j < cli->nrows; j++) {
				if (r[j].excl != r[i].excl || !listed(&r[j]))
					continue;
				synopsis_item(&r[j], one, sizeof(one));
				len += (size_t)snprintf(item + len,
				    sizeof(item) - len, "%s%s",
				    len == 0 ? "[" : " | ", one);
				done[j] = 1;
			}
			snprintf(item + len, sizeof(item) - len, "]");
		} else {
			synopsis_item(&r[i], one, sizeof(one));
			snprintf(item, sizeof(item), r[i].flags &
			    NSL_OPTF_REQUIRED ? "%s" : "[%s]", one);
		}
		/* an item is not broken across lines */
		for (j = 0; item[j] != '\0'; j++)
			if (item[j] == ' ')
				item[j] = '\001';
		if (col > indent && col + 1 + strlen(item) > HELP_WIDTH) {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', fp);
			col++;
		}
		for (j = 0; item[j] != '\0'; j++)
			fputc(item[j] == '\001' ? ' ' : item[j], fp);
		col += strlen(item);
	}
	if (cli->tool->operands != NULL) {
		if (col > indent && col + 1 + strlen(cli->tool->operands) >
		    HELP_WIDTH)
			fprintf(fp, "\n%*s", (int)indent, "");
		else if (col > indent)
			fputc(' ', fp);
		fputs(cli->tool->operands, fp);
	}
	fputc('\n', fp);
	/* modes are forms of their own: nsl-fit --list-laws */
	for (i = 0; i < cli->nrows; i++)
		if (r[i].excl == -1 && listed(&r[i]))
			fprintf(fp, "       nsl-%s --%s\n", cli->tool->name,
			    r[i].longname);
	for (i = 0; cli->tool->forms != NULL && cli->tool->forms[i]; i++)
		fprintf(fp, "       nsl-%s %s\n", cli->tool->name,
		    cli->tool->forms[i]);
}

/* " (default X)" for a row whose value holds a default worth printing. */
static void
default_text(const struct nsl_opt *r, char *out, size_t n)
{
	out[0] = '\0';
	if (r->flags & NSL_OPTF_NODEFAULT || r->value == NULL)
		return;
	switch (r->kind) {
	case NSL_OPTK_STRING:
		if (*(const char *const *)r->value != NULL)
			snprintf(out, n, " (default %s)",
			    *(const char *const *)r->value);
		break;
	case NSL_OPTK_DOUBLE:
	case NSL_OPTK_MAGNITUDE:
		if (!isnan(*(const double *)r->value))
			snprintf(out, n, " (default %g)",
			    *(const double *)r->value);
		break;
	case NSL_OPTK_INT:
		snprintf(out, n, " (default %d)", *(const int *)r->value);
		break;
	case NSL_OPTK_SIZE:
		snprintf(out, n, " (default %zu)", *(const size_t *)r->value);
		break;
	case NSL_OPTK_U64:
		snprintf(out, n, " (default %llu)",
		    (unsigned long long)*(const uint64_t *)r->value);
		break;
	case NSL_OPTK_CHOICE: {
		int v = *(const int *)r->value, count = 0;

		while (r->names[count] != NULL)
			count++;
		if (v >= 0 && v < count)
			snprintf(out, n, " (default %s)", r->names[v]);
		break;
	}
	default:
		break;
	}
}

/* "  -o, --output FILE", "  --keep N" */
static size_t
option_text(const struct nsl_opt *r, char *out, size_t n)
{
	char buf[256];
	int len;

	if (r->shortname != 0)
		len = snprintf(out, n, "  -%c, --%s", r->shortname,
		    r->longname);
	else
		len = snprintf(out, n, "  --%s", r->longname);
	if (r->kind != NSL_OPTK_FLAG)
		len += snprintf(out + len, n - (size_t)len, " %s",
		    arg_name(r, buf, sizeof(buf)));
	return (size_t)len;
}

void
nsl_cli_help(const struct nsl_cli *cli, FILE *fp)
{
	const struct nsl_opt *r = cli->rows;
	char left[400], dflt[300], *text;
	size_t i, colw = 0, col, len;

	print_synopsis(cli, fp);
	if (cli->tool->about != NULL)
		fprintf(fp, "\n%s\n", cli->tool->about);
	for (i = 0; i < cli->nrows; i++)
		if (listed(&r[i]) &&
		    (len = option_text(&r[i], left, sizeof(left))) > colw &&
		    len + 2 <= HELP_COLUMN_MAX)
			colw = len;
	colw += 2;
	fputc('\n', fp);
	for (i = 0; i < cli->nrows; i++) {
		if (r[i].kind == NSL_OPTK_GROUP) {
			fprintf(fp, "\n%s\n", r[i].help);
			continue;
		}
		if (!listed(&r[i]))
			continue;
		len = option_text(&r[i], left, sizeof(left));
		fputs(left, fp);
		if (len + 1 > colw) {
			fprintf(fp, "\n%*s", (int)colw, "");
		} else {
			fprintf(fp, "%*s", (int)(colw - len), "");
		}
		col = colw;
		default_text(&r[i], dflt, sizeof(dflt));
		if (asprintf(&text, "%s%s", r[i].help ? r[i].help : "",
		    dflt) < 0)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		wrap(fp, text, &col, colw);
		free(text);
		fputc('\n', fp);
	}
	fprintf(fp, "\nExit status: 0 done, 64 bad command line, 65 bad data, "
	    "66 cannot open an\ninput, 70 internal error, 74 I/O error.\n");
}

int
nsl_arg_choice(const char *opt, const char *arg, const char *const *names)
{
	char text[512];
	int i;

	if ((i = choice_index(names, arg)) >= 0)
		return i;
	names_text(names, text, sizeof(text));
	nsl_usage_error("%s: unknown '%s' (%s)", opt, arg, text);
}

void
nsl_arg_name_value(const char *opt, char *item, char **name, char **value)
{
	char *eq = strchr(item, '=');

	if (eq == NULL || eq == item)
		nsl_usage_error("%s: expected NAME=VALUE, got '%s'", opt, item);
	*eq = '\0';
	*name = item;
	*value = eq + 1;
}
