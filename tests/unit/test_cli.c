/*
 * Unit tests of tools/cli.c's option tables: every row kind parses its
 * argument strictly within its bounds, exclusive rows and required rows
 * are enforced, common rows are appended, and the generated help shows
 * each option with the default its variable holds.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unit.h"

static const char *const colours[] = { "red", "green", "blue", NULL };

struct vals {
	int flag, mode, colour, n;
	double frac, mem;
	size_t keep;
	uint64_t big;
	const char *name;
	struct nsl_strlist list, tags;
	int cb_calls;
};

static struct vals v;

static const char *
cb_even(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	v.cb_calls++;
	if (strlen(arg) % 2 != 0)
		return "odd length";
	return NULL;
}

static const struct nsl_opt rows[] = {
	NSL_OPT_FLAG('x', "flag", &v.flag, "a flag"),
	NSL_OPT_DOUBLE(0, "frac", &v.frac, "F", 0, 1, "a fraction",
	    .flags = NSL_OPTF_GT_MIN, .excl = 1),
	NSL_OPT_SIZE(0, "keep", &v.keep, "N", 0, 1000, "a count", .excl = 1),
	NSL_OPT_INT('n', "n", &v.n, "K", -5, 5, "a small integer"),
	NSL_OPT_U64(0, "big", &v.big, "B", "a large count"),
	NSL_OPT_MAGNITUDE(0, "mem", &v.mem, "BYTES", 1, 1e150, "memory"),
	NSL_OPT_CHOICE(0, "colour", &v.colour, NULL, colours, "a colour"),
	NSL_OPT_STRING(0, "name", &v.name, "NAME", "a name"),
	NSL_OPT_LIST(0, "list", &v.list, "A,B", "items"),
	NSL_OPT_LIST(0, "tag", &v.tags, "K=V", "tags",
	    .flags = NSL_OPTF_NOSPLIT),
	NSL_OPT_CALLBACK(0, "even", NULL, "S", cb_even, "even length"),
	NSL_OPT_MODE(0, "list-things", &v.mode, 1, "list things"),
	NSL_OPT_MODE(0, "show-things", &v.mode, 2, "show things"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "test", .summary = "a test tool",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED, .operands = "[file ...]"
};

static const struct nsl_opt req_rows[] = {
	NSL_OPT_STRING(0, "format", &v.name, "NAME", "the format",
	    .flags = NSL_OPTF_REQUIRED),
	NSL_OPT_MODE(0, "list-formats", &v.mode, 1, "list them"),
	NSL_OPT_END()
};

static void
reset(void)
{
	nsl_strlist_release(&v.list);
	nsl_strlist_release(&v.tags);
	memset(&v, 0, sizeof(v));
	v.frac = 0.5;
	v.keep = 7;
	v.colour = 2;
	v.name = "def";
}

/* Parse the words (NULL-ended) with rows; returns the parser's result. */
static int
parse(const struct nsl_opt *r, struct nsl_cli *cli, char *msg, size_t n,
    const char **words)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "nsl-test";
	while (*words != NULL)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	nsl_cli_release(cli);	/* the previous parse's tables */
	return nsl_cli_parse_args(cli, &tool, r, argc, argv, msg, n);
}

#define PARSE(...) parse(rows, &cli, msg, sizeof(msg), \
	(const char *[]){ __VA_ARGS__, NULL })

int
main(void)
{
	struct nsl_cli cli = { 0 };
	char msg[640], *help = NULL;
	size_t helplen = 0;
	FILE *fp;
	int rc;

	reset();
	rc = PARSE("-x", "--frac", "0.25", "-n", "-3", "--big",
	    "18446744073709551615", "--mem", "2G", "--colour", "red",
	    "--name", "abc", "--list", "a,b", "--list", "c", "--tag", "k=1,2",
	    "--seed", "9", "-o", "out", "in1", "in2");
	UNIT_CHECK(rc == 0, "a full command line parses (%s)", msg);
	UNIT_CHECK(v.flag == 1 && v.frac == 0.25 && v.n == -3 &&
	    v.big == UINT64_MAX && v.mem == 2e9 && v.colour == 0 &&
	    strcmp(v.name, "abc") == 0, "each kind stores its value");
	UNIT_CHECK(v.list.n == 3 && strcmp(v.list.v[0], "a") == 0 &&
	    strcmp(v.list.v[2], "c") == 0, "lists split at commas, repeat");
	UNIT_CHECK(v.tags.n == 1 && strcmp(v.tags.v[0], "k=1,2") == 0,
	    "a no-split list keeps the argument whole");
	UNIT_CHECK(cli.common.seed == 9 && strcmp(cli.common.output, "out")
	    == 0, "common rows are appended and stored in cli.common");
	UNIT_CHECK(cli.optind == 24, "operands follow the options (argv[24] = in1)");
	UNIT_CHECK(nsl_cli_given(&cli, "list") == 2 &&
	    nsl_cli_given(&cli, "keep") == 0, "given counts each option");
	nsl_cli_release(&cli);

	reset();
	rc = PARSE("in1", "--flag", "in2");
	UNIT_CHECK(rc == 0 && v.flag == 1 && cli.optind == 2,
	    "options after operands are taken (GNU order), operands last");
	nsl_cli_release(&cli);

	reset();
	UNIT_CHECK(PARSE("--frac", "0") == -1 &&
	    strcmp(msg, "--frac: 0 is outside (0, 1]") == 0,
	    "an excluded lower bound is refused (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--frac", "1") == 0 && v.frac == 1,
	    "an included upper bound is taken");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--frac", "0.5x") == -1 &&
	    strcmp(msg, "--frac: '0.5x' is not a number") == 0,
	    "trailing junk is not a number (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--frac", "nan") == -1, "NaN is not a number");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--frac", "1e999") == -1 &&
	    strstr(msg, "out of range") != NULL, "overflow is out of range");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("-n", "6") == -1 &&
	    strcmp(msg, "--n: 6 is outside [-5, 5]") == 0,
	    "integer bounds are inclusive and enforced (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--mem", "1e151") == -1 &&
	    strcmp(msg, "--mem: 1e151 is outside [1, 1e+150]") == 0,
	    "a range prints its bounds as the shortest round trip (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--keep", "1001") == -1 &&
	    strcmp(msg, "--keep: 1001 is outside [0, 1000]") == 0,
	    "a count's range prints integers (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("-n", "2.5") == -1 &&
	    strcmp(msg, "--n: '2.5' is not an integer") == 0,
	    "a fraction is not an integer");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--keep", "-1") == -1 &&
	    strstr(msg, "non-negative integer") != NULL,
	    "a negative count is refused (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--big", "18446744073709551616") == -1 &&
	    strstr(msg, "too large") != NULL, "u64 overflow is refused");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--mem", "1.5k") == 0 && v.mem == 1500,
	    "a magnitude takes a decimal suffix");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--mem", "3X") == -1, "an unknown suffix is refused");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--colour", "pink") == -1 &&
	    strcmp(msg, "--colour: unknown 'pink' (red, green or blue)") == 0,
	    "an unknown choice lists the choices (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--name", "") == -1 &&
	    strcmp(msg, "--name: empty argument") == 0,
	    "an empty string argument is refused");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--list", "a,,b") == -1 &&
	    strstr(msg, "empty item") != NULL, "an empty list item is refused");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--even", "abc") == -1 &&
	    strcmp(msg, "--even: odd length") == 0 && v.cb_calls == 1,
	    "a callback's message is prefixed with the option");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--frac", "0.5", "--keep", "3") == -1 &&
	    strcmp(msg, "--frac and --keep cannot be used together") == 0,
	    "exclusive options are refused together (%s)", msg);
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--list-things", "--show-things") == -1 &&
	    strstr(msg, "cannot be used together") != NULL,
	    "two modes are refused together");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--list-things") == 0 && v.mode == 1,
	    "a mode sets its value");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--bogus") == -1 &&
	    strcmp(msg, "unknown option '--bogus'") == 0,
	    "an unknown long option is named as typed");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("-z") == -1 && strcmp(msg, "unknown option '-z'") == 0,
	    "an unknown short option is named");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--keep") == -1 &&
	    strcmp(msg, "option '--keep' needs an argument") == 0,
	    "a missing argument is named");
	nsl_cli_release(&cli);
	UNIT_CHECK(PARSE("--help") == 1 && PARSE("-V") == 2 &&
	    PARSE("--summary") == 3, "help, version and summary are actions");
	nsl_cli_release(&cli);

	reset();
	rc = parse(req_rows, &cli, msg, sizeof(msg),
	    (const char *[]){ "x", NULL });
	UNIT_CHECK(rc == -1 && strcmp(msg, "--format is required") == 0,
	    "a required option is required (%s)", msg);
	nsl_cli_release(&cli);
	rc = parse(req_rows, &cli, msg, sizeof(msg),
	    (const char *[]){ "--list-formats", NULL });
	UNIT_CHECK(rc == 0, "a mode needs no required option");
	nsl_cli_release(&cli);

	/* help: synopsis, every listed option, defaults from the values */
	reset();
	(void)PARSE("x");
	fp = open_memstream(&help, &helplen);
	nsl_cli_help(&cli, fp);
	fclose(fp);
	UNIT_CHECK(strncmp(help, "usage: nsl-test [-hqVx] [--frac F | "
	    "--keep N]", 39) == 0, "synopsis: flags cluster, exclusive "
	    "options in one bracket (%.60s)", help);
	UNIT_CHECK(strstr(help, "       nsl-test --list-things\n") != NULL &&
	    strstr(help, "       nsl-test --show-things\n") != NULL,
	    "modes are forms of their own");
	UNIT_CHECK(strstr(help, "a fraction (default 0.5)") != NULL &&
	    strstr(help, "a count (default 7)") != NULL &&
	    strstr(help, "a colour (default blue)") != NULL &&
	    strstr(help, "a name (default def)") != NULL,
	    "defaults come from the variables' values");
	UNIT_CHECK(strstr(help, "  -o, --output FILE") != NULL &&
	    strstr(help, "  --seed N") != NULL &&
	    strstr(help, "  -q, --quiet") != NULL &&
	    strstr(help, "summary") == NULL,
	    "common rows are listed, hidden ones are not");
	UNIT_CHECK(strstr(help, "--colour red|green|blue") != NULL,
	    "a short choice list names its values");
	UNIT_CHECK(strstr(help, "Exit status: 0 done") != NULL,
	    "the exit codes are printed from one place");
	{
		char *line = help, *nl;
		size_t longest = 0;

		for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
			if ((size_t)(nl - line) > longest)
				longest = (size_t)(nl - line);
		UNIT_CHECK(longest <= 79, "help lines fit 79 columns (%zu)",
		    longest);
	}
	free(help);
	nsl_cli_release(&cli);
	reset();
	return unit_done();
}
