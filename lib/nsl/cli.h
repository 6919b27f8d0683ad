/*
 * cli.h - what every tool's main shares: options, diagnostics, exit codes,
 * strict number arguments and a progress meter.
 *
 * A tool describes itself once (struct nsl_tool) and lists its own long
 * options; nsl_cli_init() appends the common ones it asks for, so that -o,
 * --seed, --field, -q, --float32, -h and -V mean the same in every tool.
 * nsl_cli_next() handles the common options itself and returns the
 * tool's own option codes, like getopt_long(3).
 *
 * The die and warn helpers print "nsl-TOOL: message" to stderr (after
 * flushing stdout), and die removes uncommitted output files before it
 * exits.  They belong to the tools' side of libnsl: lib modules never call
 * them.
 */
#ifndef NSL_CLI_H
#define NSL_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum nsl_cli_common {
	NSL_CLI_OUTPUT = 1 << 0,	/* -o, --output FILE */
	NSL_CLI_SEED = 1 << 1,		/* --seed N */
	NSL_CLI_FIELD = 1 << 2,		/* --field NAME (default "embedding") */
	NSL_CLI_FLOAT32 = 1 << 3,	/* --float32: print vectors as float32 */
	NSL_CLI_NONFINITE = 1 << 4	/* --allow-nonfinite */
};

/* Option codes of the common options; tools use codes below this. */
enum {
	NSL_OPT_COMMON = 0x1000,
	NSL_OPT_SEED,
	NSL_OPT_FIELD,
	NSL_OPT_FLOAT32,
	NSL_OPT_NONFINITE,
	NSL_OPT_SUMMARY
};

struct nsl_tool {
	const char *name;	/* "convert": the executable is nsl-convert */
	const char *summary;	/* one line, for `nsl` with no arguments */
	void (*usage)(FILE *);	/* full --help text */
	unsigned common;	/* enum nsl_cli_common bits */
};

struct nsl_common {
	const char *output;	/* NULL: standard output */
	uint64_t seed;
	const char *field;
	int quiet;
	int float32;
	int allow_nonfinite;
};

struct nsl_cli {
	const struct nsl_tool *tool;
	struct option *longopts;	/* owned: tool's then common */
	char *shortopts;		/* owned */
	struct nsl_common common;
};

#define NSL_DEFAULT_FIELD "embedding"
#define NSL_DEFAULT_SEED 0

/*
 * Set the program name for diagnostics and build the option tables.
 * tool_longopts ends with a zeroed entry; shortopts as for getopt.
 */
void nsl_cli_init(struct nsl_cli *, const struct nsl_tool *,
    const struct option *tool_longopts, const char *tool_shortopts);
void nsl_cli_release(struct nsl_cli *);

/*
 * Next option, as getopt_long.  Common options are handled here (--help
 * and --version print and exit 0); an unknown option or missing argument
 * prints a short usage hint and exits 64.  Returns -1 when done (optind
 * then indexes the operands).
 */
int nsl_cli_next(struct nsl_cli *, int argc, char **argv);

/* Exit 64 with "nsl-TOOL: message" and a pointer to --help. */
void nsl_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Strict argument parsing: the whole string must be a number within
 * [min, max]; otherwise exit 64 naming the option.
 */
double nsl_arg_double(const char *opt, const char *arg, double min,
    double max);
/*
 * The same, with either bound left out by open (NSL_ARG_OPEN_MIN,
 * NSL_ARG_OPEN_MAX, NSL_ARG_OPEN: both).  The message names the interval
 * as taken, bounds exact: "--level: 1 is outside (0, 1)".
 */
enum {
	NSL_ARG_OPEN_MIN = 1 << 0,
	NSL_ARG_OPEN_MAX = 1 << 1,
	NSL_ARG_OPEN = NSL_ARG_OPEN_MIN | NSL_ARG_OPEN_MAX
};
double nsl_arg_double_in(const char *opt, const char *arg, double min,
    double max, unsigned open);
long long nsl_arg_long(const char *opt, const char *arg, long long min,
    long long max);
uint64_t nsl_arg_u64(const char *opt, const char *arg);

/* The tool's name with the "nsl-" prefix, for messages. */
const char *nsl_progname(void);

void nsl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nsl_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Print err as "nsl-TOOL: FILE:LINE: msg" and exit with its code. */
void nsl_die_err(const struct nsl_err *) __attribute__((noreturn));

/*
 * Flush and check standard output; on failure (e.g. /dev/full) exit 74.
 * Tools call this last.
 */
int nsl_finish(void);

/*
 * Progress meter on stderr, shown only when stderr is a terminal and
 * -q was not given, redrawn at most a few times a second.  total may be 0
 * when unknown.
 */
struct nsl_progress {
	const char *what;
	uint64_t total;
	double start;
	double last;
	int active;
};

void nsl_progress_start(struct nsl_progress *, const char *what,
    uint64_t total, int quiet);
void nsl_progress_update(struct nsl_progress *, uint64_t done);
void nsl_progress_end(struct nsl_progress *);

#endif
