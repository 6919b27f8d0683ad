/*
 * cli.c - options, diagnostics and progress shared by every tool (see
 * nsl/cli.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nsl/cli.h"
#include "nsl/io.h"
#include "nsl/num.h"

static char progname[64] = "nsl";

const char *
nsl_progname(void)
{
	return progname;
}

static void
vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
nsl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
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

/* The common options, and the enum nsl_cli_common bit each needs. */
static const struct {
	struct option opt;
	unsigned need;
	char shortopt;
} common_opts[] = {
	{ { "help", no_argument, NULL, 'h' }, 0, 'h' },
	{ { "version", no_argument, NULL, 'V' }, 0, 'V' },
	{ { "quiet", no_argument, NULL, 'q' }, 0, 'q' },
	{ { "summary", no_argument, NULL, NSL_OPT_SUMMARY }, 0, 0 },
	{ { "output", required_argument, NULL, 'o' }, NSL_CLI_OUTPUT, 'o' },
	{ { "seed", required_argument, NULL, NSL_OPT_SEED }, NSL_CLI_SEED, 0 },
	{ { "field", required_argument, NULL, NSL_OPT_FIELD }, NSL_CLI_FIELD,
	    0 },
	{ { "float32", no_argument, NULL, NSL_OPT_FLOAT32 }, NSL_CLI_FLOAT32,
	    0 },
	{ { "allow-nonfinite", no_argument, NULL, NSL_OPT_NONFINITE },
	    NSL_CLI_NONFINITE, 0 },
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	return p;
}

void
nsl_cli_init(struct nsl_cli *cli, const struct nsl_tool *tool,
    const struct option *tool_longopts, const char *tool_shortopts)
{
	size_t ntool = 0, n = 0, i, slen;
	char *s;

	snprintf(progname, sizeof(progname), "nsl-%s", tool->name);
	memset(cli, 0, sizeof(*cli));
	cli->tool = tool;
	cli->common.seed = NSL_DEFAULT_SEED;
	cli->common.field = NSL_DEFAULT_FIELD;
	while (tool_longopts != NULL && tool_longopts[ntool].name != NULL)
		ntool++;
	cli->longopts = xmalloc((ntool + NCOMMON + 1) *
	    sizeof(*cli->longopts));
	for (i = 0; i < ntool; i++)
		cli->longopts[n++] = tool_longopts[i];
	slen = tool_shortopts ? strlen(tool_shortopts) : 0;
	/* a leading ':' (quiet errors) is ours to decide, so never copied */
	cli->shortopts = s = xmalloc(slen + 2 * NCOMMON + 3);
	*s++ = ':';	/* tell a missing argument from an unknown option */
	for (i = 0; i < slen; i++)
		*s++ = tool_shortopts[i];
	for (i = 0; i < NCOMMON; i++) {
		if ((common_opts[i].need & tool->common) != common_opts[i].need)
			continue;
		cli->longopts[n++] = common_opts[i].opt;
		if (common_opts[i].shortopt != 0) {
			*s++ = common_opts[i].shortopt;
			if (common_opts[i].opt.has_arg == required_argument)
				*s++ = ':';
		}
	}
	*s = '\0';
	memset(&cli->longopts[n], 0, sizeof(cli->longopts[n]));
	opterr = 0;	/* we print our own message */
}

void
nsl_cli_release(struct nsl_cli *cli)
{
	free(cli->longopts);
	free(cli->shortopts);
	cli->longopts = NULL;
	cli->shortopts = NULL;
}

/*
 * The option as the user spelled it.  getopt_long leaves the offending
 * word in argv[optind - 1]: a long option is named by that word (up to any
 * '='); a short one, possibly inside a cluster ("-xq"), only by optopt.
 */
static const char *
spelled(char **argv)
{
	static char name[128];
	const char *w = argv[optind - 1];

	if (w[0] == '-' && w[1] == '-') {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(w, "="), w);
		return name;
	}
	snprintf(name, sizeof(name), "-%c", optopt);
	return name;
}

int
nsl_cli_next(struct nsl_cli *cli, int argc, char **argv)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, cli->shortopts, cli->longopts,
		    NULL);
		switch (c) {
		case 'h':
			cli->tool->usage(stdout);
			exit(nsl_finish());
		case 'V':
			printf("nsl-%s %s\n", cli->tool->name, NSL_VERSION);
			exit(nsl_finish());
		case NSL_OPT_SUMMARY:
			printf("%s\n", cli->tool->summary);
			exit(nsl_finish());
		case 'q':
			cli->common.quiet = 1;
			continue;
		case 'o':
			cli->common.output = optarg;
			continue;
		case NSL_OPT_SEED:
			cli->common.seed = nsl_arg_u64("--seed", optarg);
			continue;
		case NSL_OPT_FIELD:
			if (*optarg == '\0')
				nsl_usage_error("--field: empty field name");
			cli->common.field = optarg;
			continue;
		case NSL_OPT_FLOAT32:
			cli->common.float32 = 1;
			continue;
		case NSL_OPT_NONFINITE:
			cli->common.allow_nonfinite = 1;
			continue;
		case ':':
			nsl_usage_error("option '%s' needs an argument",
			    spelled(argv));
		case '?':
			nsl_usage_error("unknown option '%s'", spelled(argv));
		default:
			return c;
		}
	}
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
