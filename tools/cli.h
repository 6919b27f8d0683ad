/*
 * cli.h - the tools' side of nsl: option tables, usage text, diagnostics,
 * exit codes, strict number arguments and a progress meter.
 *
 * This is not part of libnsl.  lib/ never prints and never exits; these
 * helpers do both, for the mains in tools/ only (as samtools keeps its
 * option helpers outside htslib).
 *
 * A tool describes itself once (struct nsl_tool) and its options once, as
 * a table of rows (struct nsl_opt) that carry the kind of argument, where
 * it is stored, its bounds and its help text.  From that one table come
 * the parsing, the synopsis and the option list of --help (with defaults
 * printed from the values the variables hold before parsing), so they
 * cannot drift apart.  The options every tool shares (-o, --seed,
 * --field, --float32, --allow-nonfinite, -q, -h, -V) are rows of this
 * file, appended to a tool's table according to struct nsl_tool's common
 * bits, and their help is printed from here.
 *
 *	static const struct nsl_opt opts[] = {
 *		NSL_OPT_DOUBLE(0, "keep-fraction", &p.fraction, "F", 0, 1,
 *		    "keep round(F n) records", .flags = NSL_OPTF_GT_MIN,
 *		    .excl = 1),
 *		NSL_OPT_SIZE(0, "keep", &p.keep, "N", 0, SIZE_MAX / 2,
 *		    "keep N records", .excl = 1),
 *		NSL_OPT_CHOICE(0, "strategy", &p.strategy, "S",
 *		    nsl_prune_strategy_names, "which records to keep"),
 *		NSL_OPT_END()
 *	};
 *	nsl_cli_parse(&cli, &tool, opts, argc, argv);
 *	(argv[cli.optind..argc) are the operands)
 *
 * The die and warn helpers print "nsl-TOOL: message" to stderr (after
 * flushing stdout), and die removes uncommitted output files before it
 * exits.
 */
#ifndef NSL_CLI_H
#define NSL_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nsl/err.h"

enum nsl_cli_common {
	NSL_CLI_OUTPUT = 1 << 0,	/* -o, --output FILE */
	NSL_CLI_SEED = 1 << 1,		/* --seed N */
	NSL_CLI_FIELD = 1 << 2,		/* --field NAME (default "embedding") */
	NSL_CLI_FLOAT32 = 1 << 3,	/* --float32: print vectors as float32 */
	NSL_CLI_NONFINITE = 1 << 4	/* --allow-nonfinite */
};

struct nsl_tool {
	const char *name;	/* "convert": the executable is nsl-convert */
	const char *summary;	/* one line, for `nsl` with no arguments */
	unsigned common;	/* enum nsl_cli_common bits */
	/* the usage text is generated from the option table */
	const char *operands;	/* synopsis after the options: "[file ...]" */
	const char *const *forms;	/* other synopsis lines, NULL-ended */
	const char *about;	/* paragraph(s) after the synopsis */
	const char *seed_help;	/* what --seed seeds, or NULL */
	const char *output_help;	/* -o's help if not the usual, or NULL */
};

struct nsl_common {
	const char *output;	/* NULL: standard output */
	uint64_t seed;
	const char *field;
	int quiet;
	int float32;
	int allow_nonfinite;
};

/* A list of strings from a repeatable option (copies, owned by the list). */
struct nsl_strlist {
	char **v;
	size_t n;
	size_t cap;
};

void nsl_strlist_release(struct nsl_strlist *);

/* What a row's argument is and where it goes. */
enum nsl_opt_kind {
	NSL_OPTK_END = 0,
	NSL_OPTK_GROUP,		/* a heading line in --help; no option */
	NSL_OPTK_FLAG,		/* int *: set to ival (1 unless a mode) */
	NSL_OPTK_STRING,	/* const char **: the argument, not empty */
	NSL_OPTK_DOUBLE,	/* double *: a number within the bounds */
	NSL_OPTK_INT,		/* int * */
	NSL_OPTK_SIZE,		/* size_t * */
	NSL_OPTK_U64,		/* uint64_t * */
	NSL_OPTK_MAGNITUDE,	/* double *: 512, 64K, 1.5G (K, M, G, T: 1e3 ... 1e12) */
	NSL_OPTK_CHOICE,	/* int *: index of the argument in names[] */
	NSL_OPTK_LIST,		/* struct nsl_strlist *: items appended */
	NSL_OPTK_CALLBACK	/* cb(row, arg) stores it; NULL or a message */
};

enum nsl_opt_flags {
	NSL_OPTF_GT_MIN = 1 << 0,	/* the lower bound is excluded */
	NSL_OPTF_LT_MAX = 1 << 1,	/* the upper bound is excluded */
	NSL_OPTF_NODEFAULT = 1 << 2,	/* print no "(default ...)" */
	NSL_OPTF_NOSPLIT = 1 << 3,	/* LIST: an argument is one item */
	NSL_OPTF_REQUIRED = 1 << 4,	/* must be given (unless a mode is) */
	NSL_OPTF_MODE = 1 << 5,		/* a mode: REQUIRED rows not needed */
	NSL_OPTF_HIDDEN = 1 << 6	/* parsed, not listed in --help */
};

struct nsl_opt {
	enum nsl_opt_kind kind;
	int shortname;		/* 'o', or 0 */
	const char *longname;	/* "output"; NULL only for GROUP and END */
	void *value;		/* where the argument goes (see the kinds) */
	const char *argh;	/* the argument's name in help: "FILE" */
	const char *help;	/* one paragraph, wrapped when printed */
	double min, max;	/* numbers: bounds (inclusive unless flags) */
	const char *const *names;	/* CHOICE: NULL-terminated names */
	/* CALLBACK: parse and store arg; return NULL or a message without
	 * the option's name ("'x' is not a list of NAME=VALUE") */
	const char *(*cb)(const struct nsl_opt *, const char *arg);
	int ival;		/* FLAG: the value stored */
	int excl;		/* rows sharing a non-zero excl exclude each other */
	unsigned flags;		/* enum nsl_opt_flags */
};

/*
 * Row constructors.  Trailing arguments are further designated
 * initializers for the row: .flags = NSL_OPTF_..., .excl = K.
 */
#define NSL_OPT_END() { .kind = NSL_OPTK_END }
#define NSL_OPT_GROUP(h) { .kind = NSL_OPTK_GROUP, .help = (h) }
#define NSL_OPT_FLAG(s, l, v, h, ...) { .kind = NSL_OPTK_FLAG, \
	.shortname = (s), .longname = (l), .value = (v), .help = (h), \
	.ival = 1, __VA_ARGS__ }
/* A flag that stores i (several rows may share one variable). */
#define NSL_OPT_SET(s, l, v, i, h, ...) { .kind = NSL_OPTK_FLAG, \
	.shortname = (s), .longname = (l), .value = (v), .help = (h), \
	.ival = (i), __VA_ARGS__ }
/* Mutually exclusive modes (git's OPT_CMDMODE): each sets *v to i. */
#define NSL_OPT_MODE(s, l, v, i, h, ...) { .kind = NSL_OPTK_FLAG, \
	.shortname = (s), .longname = (l), .value = (v), .help = (h), \
	.ival = (i), .excl = -1, __VA_ARGS__ }
#define NSL_OPT_STRING(s, l, v, a, h, ...) { .kind = NSL_OPTK_STRING, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.help = (h), __VA_ARGS__ }
#define NSL_OPT_DOUBLE(s, l, v, a, lo, hi, h, ...) { \
	.kind = NSL_OPTK_DOUBLE, .shortname = (s), .longname = (l), \
	.value = (v), .argh = (a), .min = (lo), .max = (hi), .help = (h), \
	__VA_ARGS__ }
#define NSL_OPT_INT(s, l, v, a, lo, hi, h, ...) { .kind = NSL_OPTK_INT, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.min = (lo), .max = (hi), .help = (h), __VA_ARGS__ }
#define NSL_OPT_SIZE(s, l, v, a, lo, hi, h, ...) { .kind = NSL_OPTK_SIZE, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.min = (lo), .max = (hi), .help = (h), __VA_ARGS__ }
#define NSL_OPT_U64(s, l, v, a, h, ...) { .kind = NSL_OPTK_U64, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.help = (h), __VA_ARGS__ }
#define NSL_OPT_MAGNITUDE(s, l, v, a, lo, hi, h, ...) { \
	.kind = NSL_OPTK_MAGNITUDE, .shortname = (s), .longname = (l), \
	.value = (v), .argh = (a), .min = (lo), .max = (hi), .help = (h), \
	__VA_ARGS__ }
#define NSL_OPT_CHOICE(s, l, v, a, n, h, ...) { .kind = NSL_OPTK_CHOICE, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.names = (n), .help = (h), __VA_ARGS__ }
#define NSL_OPT_LIST(s, l, v, a, h, ...) { .kind = NSL_OPTK_LIST, \
	.shortname = (s), .longname = (l), .value = (v), .argh = (a), \
	.help = (h), __VA_ARGS__ }
#define NSL_OPT_CALLBACK(s, l, v, a, f, h, ...) { \
	.kind = NSL_OPTK_CALLBACK, .shortname = (s), .longname = (l), \
	.value = (v), .argh = (a), .cb = (f), .help = (h), __VA_ARGS__ }

/* The largest number of rows a tool's table (common rows included) has. */
#define NSL_OPT_MAX 96

struct nsl_cli {
	const struct nsl_tool *tool;
	struct option *longopts;	/* owned: getopt_long's, from rows */
	char *shortopts;		/* owned */
	struct nsl_common common;
	const struct nsl_opt *rows;	/* owned: the tool's, then common */
	size_t nrows;
	unsigned char seen[NSL_OPT_MAX];	/* times each row was given */
	int action;			/* 1 --help, 2 --version, 3 --summary */
	int optind;			/* first operand after parsing */
};

#define NSL_DEFAULT_FIELD "embedding"
#define NSL_DEFAULT_SEED 0

/*
 * Parse argv against the tool's table and the common rows it asks for.
 * Handles --help, --version and --summary (print, exit 0); a usage error
 * prints one message and a pointer to --help and exits 64.  On return,
 * cli->optind indexes the operands and cli->common holds the common
 * options.  The rows must outlive cli.
 */
void nsl_cli_parse(struct nsl_cli *, const struct nsl_tool *,
    const struct nsl_opt *rows, int argc, char **argv);

/* Times the option named longname was given (0 when never). */
int nsl_cli_given(const struct nsl_cli *, const char *longname);

/*
 * The parse itself, without printing or exiting, for tests: returns 0 with
 * *optind set, 1 for --help, 2 for --version, 3 for --summary, or -1 with
 * a message in msg ("--keep: 'x' is not an integer").
 */
int nsl_cli_parse_args(struct nsl_cli *, const struct nsl_tool *,
    const struct nsl_opt *rows, int argc, char **argv, char *msg,
    size_t msgsize);

/* Write the generated --help text. */
void nsl_cli_help(const struct nsl_cli *, FILE *);

/* Free the tables nsl_cli_parse built (cli stays usable for another
 * parse). */
void nsl_cli_release(struct nsl_cli *);

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

/*
 * Index of arg in the NULL-terminated names; otherwise exit 64 with
 * "OPT: unknown 'arg' (a, b or c)".
 */
int nsl_arg_choice(const char *opt, const char *arg,
    const char *const *names);

/*
 * Split "NAME=VALUE" in place (item is modified): *name points at NAME,
 * *value at VALUE.  Exit 64 naming opt if there is no '=' or no name.
 */
void nsl_arg_name_value(const char *opt, char *item, char **name,
    char **value);

/* The tool's name with the "nsl-" prefix, for messages. */
const char *nsl_progname(void);

/* Set the program name ("nsl-" name) without building any table. */
void nsl_cli_set_name(const char *name);

void nsl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Each line of b (a lib job's notes or warnings) as a warning. */
struct nsl_buf;
void nsl_warn_lines(struct nsl_buf *b);
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
