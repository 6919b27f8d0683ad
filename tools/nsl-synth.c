/*
 * nsl-synth - write synthetic data sets as records: the teacher-student
 * perceptron (Sorscher et al. 2022) and a K-class Gaussian mixture.
 *
 * Every draw is defined in lib/nsl/synth.h; this file turns the command
 * line into a struct nsl_synth, writes the records and the model record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/synth.h"

enum {
	OPT_N = 1,
	OPT_DIM,
	OPT_PROBE_ANGLE,
	OPT_LABEL_NOISE,
	OPT_TEST,
	OPT_EMIT_TEACHER,
	OPT_CLASSES,
	OPT_SEPARATION,
	OPT_WEIGHTS,
	OPT_EMIT_MEANS
};

static const struct option longopts[] = {
	{ "n", required_argument, NULL, OPT_N },
	{ "dim", required_argument, NULL, OPT_DIM },
	{ "probe-angle", required_argument, NULL, OPT_PROBE_ANGLE },
	{ "label-noise", required_argument, NULL, OPT_LABEL_NOISE },
	{ "test", no_argument, NULL, OPT_TEST },
	{ "emit-teacher", required_argument, NULL, OPT_EMIT_TEACHER },
	{ "classes", required_argument, NULL, OPT_CLASSES },
	{ "separation", required_argument, NULL, OPT_SEPARATION },
	{ "weights", required_argument, NULL, OPT_WEIGHTS },
	{ "emit-means", required_argument, NULL, OPT_EMIT_MEANS },
	{ NULL, 0, NULL, 0 }
};

#define DEFAULT_CLASSES 2
#define DEFAULT_SEPARATION 4
#define MAX_DIM (1L << 24)
#define MAX_CLASSES 65536

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-synth [-hqV] teacher-student --n P --dim N [--seed S]\n"
"                 [--probe-angle THETA] [--label-noise p] [--test]\n"
"                 [--emit-teacher FILE] [--field NAME] [--float32] [-o FILE]\n"
"       nsl-synth [-hqV] gaussian-mixture --n P --dim N [--seed S]\n"
"                 [--classes K] [--separation S] [--weights w1,...,wK]\n"
"                 [--test] [--emit-means FILE] [--field NAME] [--float32]\n"
"                 [-o FILE]\n"
"\n"
"Write P synthetic records {\"id\",\"embedding\",\"label\",...}, the same\n"
"bytes for the same seed.\n"
"\n"
"teacher-student: x ~ N(0, I_N), a random unit teacher w, label = [w.x > 0],\n"
"margin = w.x.\n"
"  --probe-angle THETA  add score = -|v.x|, v a unit probe at THETA degrees\n"
"                       to w (0 = the perfect metric; 0..90)\n"
"  --label-noise p      flip each label with probability p; add \"flipped\"\n"
"  --emit-teacher FILE  write {\"teacher\":[...],\"probe\":[...],...} to FILE\n"
"gaussian-mixture: x = mu_label + N(0, I_N), the K means the vertices of a\n"
"regular simplex of edge S centred at 0, class sizes in proportion to the\n"
"weights (largest remainder), shuffled.\n"
"  --classes K          number of classes, <= N (default %d)\n"
"  --separation S       distance between any two means (default %d)\n"
"  --weights LIST       class weights (default equal)\n"
"  --emit-means FILE    write {\"means\":[[...],...],\"counts\":[...],...}\n"
"both:\n"
"  --n P                number of records\n"
"  --dim N              dimension\n"
"  --test               the test set: the same model, other points\n"
"  --seed S             random seed (default %d)\n"
"  --field NAME         the vector's field name (default %s)\n"
"  --float32            round the points to float32 and print float32\n"
"  -o, --output FILE    write FILE (atomically; .gz compressed)\n"
"  -q, --quiet          accepted; nsl-synth writes nothing but errors\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 74 I/O error.\n",
	    DEFAULT_CLASSES, DEFAULT_SEPARATION, NSL_DEFAULT_SEED,
	    NSL_DEFAULT_FIELD);
}

static const struct nsl_tool tool = {
	.name = "synth",
	.summary = "write synthetic data: teacher-student perceptron, "
	    "Gaussian mixture",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32
};

/* Parse "w1,w2,...": returns a new array of *k numbers. */
static double *
parse_weights(const char *arg, size_t *k)
{
	char *copy, *tok, *save = NULL;
	double *w = NULL;
	size_t n = 0;

	if ((copy = strdup(arg)) == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n >= MAX_CLASSES)
			nsl_usage_error("--weights: more than %d classes",
			    MAX_CLASSES);
		if ((w = realloc(w, (n + 1) * sizeof(double))) == NULL)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		w[n++] = nsl_arg_double("--weights", tok, 0, 1e300);
	}
	free(copy);
	if (n == 0)
		nsl_usage_error("--weights: expected a list like 1,2,1");
	*k = n;
	return w;
}

/* Write the model record to path, uncommitted: the caller commits it. */
static struct nsl_writer *
write_model(const struct nsl_synth *s, const char *path)
{
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_writer *w;
	struct nsl_err err;

	nsl_err_clear(&err);
	nsl_synth_model_record(s, &b);
	if (nsl_buf_failed(&b))
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if ((w = nsl_writer_open(path, &err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
	return w;
}

int
main(int argc, char **argv)
{
	struct nsl_synth s;
	struct nsl_writer *w, *mw = NULL;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *model, *emit_teacher = NULL, *emit_means = NULL, *why;
	int ch, have_n = 0, have_dim = 0, have_classes = 0, have_sep = 0;
	size_t nweights = 0;

	nsl_synth_init(&s);
	s.classes = DEFAULT_CLASSES;
	s.separation = DEFAULT_SEPARATION;
	nsl_err_clear(&err);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_N:
			s.n = (uint64_t)nsl_arg_long("--n", optarg, 1,
			    1LL << 48);
			have_n = 1;
			break;
		case OPT_DIM:
			s.dim = (size_t)nsl_arg_long("--dim", optarg, 1,
			    MAX_DIM);
			have_dim = 1;
			break;
		case OPT_PROBE_ANGLE:
			s.probe_angle = nsl_arg_double("--probe-angle",
			    optarg, 0, 90);
			s.has_probe = 1;
			break;
		case OPT_LABEL_NOISE:
			s.label_noise = nsl_arg_double("--label-noise",
			    optarg, 0, 1);
			s.has_noise = 1;
			break;
		case OPT_TEST:
			s.test = 1;
			break;
		case OPT_EMIT_TEACHER:
			emit_teacher = optarg;
			break;
		case OPT_CLASSES:
			s.classes = (size_t)nsl_arg_long("--classes", optarg,
			    1, MAX_CLASSES);
			have_classes = 1;
			break;
		case OPT_SEPARATION:
			s.separation = nsl_arg_double("--separation", optarg,
			    0, 1e150);
			have_sep = 1;
			break;
		case OPT_EMIT_MEANS:
			emit_means = optarg;
			break;
		case OPT_WEIGHTS:
			free(s.weights);
			s.weights = parse_weights(optarg, &nweights);
			break;
		}
	}
	if (optind >= argc)
		nsl_usage_error("give a model: teacher-student or "
		    "gaussian-mixture");
	if (optind + 1 < argc)
		nsl_usage_error("unexpected argument '%s'", argv[optind + 1]);
	model = argv[optind];
	if (strcmp(model, "teacher-student") == 0)
		s.model = NSL_SYNTH_TEACHER_STUDENT;
	else if (strcmp(model, "gaussian-mixture") == 0)
		s.model = NSL_SYNTH_GAUSSIAN_MIXTURE;
	else
		nsl_usage_error("unknown model '%s' (teacher-student, "
		    "gaussian-mixture)", model);
	if (!have_n || !have_dim)
		nsl_usage_error("%s needs --n and --dim", model);
	if (s.model == NSL_SYNTH_TEACHER_STUDENT && (emit_means != NULL ||
	    have_classes || s.weights != NULL || have_sep))
		nsl_usage_error("--classes, --separation, --weights and "
		    "--emit-means are for gaussian-mixture");
	if (s.model == NSL_SYNTH_GAUSSIAN_MIXTURE && emit_teacher != NULL)
		nsl_usage_error("--emit-teacher is for teacher-student");
	if (s.weights != NULL) {
		if (have_classes && nweights != s.classes)
			nsl_usage_error("--weights has %zu numbers for "
			    "--classes %zu", nweights, s.classes);
		s.classes = nweights;
	}
	if ((emit_teacher != NULL && strcmp(emit_teacher, "-") == 0) ||
	    (emit_means != NULL && strcmp(emit_means, "-") == 0))
		nsl_usage_error("--emit-teacher, --emit-means: give a file "
		    "name, not -");
	s.field = cli.common.field;
	s.seed = cli.common.seed;
	s.style = cli.common.float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
	if ((why = nsl_synth_check(&s)) != NULL)
		nsl_usage_error("%s", why);
	if (nsl_synth_setup(&s, &err) != 0)
		nsl_die_err(&err);
	if (emit_teacher != NULL || emit_means != NULL)
		mw = write_model(&s, emit_teacher != NULL ? emit_teacher :
		    emit_means);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_synth_write(&s, w, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0 ||
	    (mw != NULL && nsl_writer_commit(mw, &err) != 0))
		nsl_die_err(&err);
	nsl_synth_release(&s);
	nsl_cli_release(&cli);
	return nsl_finish();
}
