/*
 * nsl-synth - write synthetic data sets as records: the teacher-student
 * perceptron (Sorscher et al. 2022) and a K-class Gaussian mixture.
 *
 * The generators (a catalogue of rows) and every draw are in lib/synth.c;
 * this file turns the command line into a struct nsl_synth, writes the
 * records and the model record.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/io.h"
#include "nsl/synth.h"

static struct nsl_synth s;
static const char *emit_teacher, *emit_means;
static size_t nweights;
static int list;

static const char *
weight_list(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_synth_weights_parse(&s, arg, &nweights);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_GROUP("Both:"),
	NSL_OPT_U64(0, "n", &s.n, "P", "number of records (required)", .min = 1,
	    .max = 281474976710656.0, .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_SIZE(0, "dim", &s.dim, "N", 1, 1 << 24, "dimension (required)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_FLAG(0, "test", &s.test,
	    "the test set: the same model, other points"),
	NSL_OPT_MODE(0, "list-models", &list, 1,
	    "list the generators and what each draws"),
	NSL_OPT_GROUP("teacher-student:"),
	NSL_OPT_DOUBLE(0, "probe-angle", &s.probe_angle, "THETA", 0, 90,
	    "add score = -|v.x|, v a unit probe at THETA degrees to w (0 = "
	    "the perfect metric)", .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_DOUBLE(0, "label-noise", &s.label_noise, "p", 0, 1,
	    "flip each label with probability p; add \"flipped\"",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_STRING(0, "emit-teacher", &emit_teacher, "FILE",
	    "write {\"teacher\":[...],\"probe\":[...],...} to FILE"),
	NSL_OPT_GROUP("gaussian-mixture:"),
	NSL_OPT_SIZE(0, "classes", &s.classes, "K", 1, NSL_SYNTH_MAX_CLASSES,
	    "number of classes, <= N"),
	NSL_OPT_DOUBLE(0, "separation", &s.separation, "S", 0, 1e150,
	    "distance between any two means"),
	NSL_OPT_CALLBACK(0, "weights", NULL, "LIST", weight_list,
	    "class weights (default equal)"),
	NSL_OPT_STRING(0, "emit-means", &emit_means, "FILE",
	    "write {\"means\":[[...],...],\"counts\":[...],...} to FILE"),
	NSL_OPT_GROUP("Common:"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "synth",
	.summary = "write synthetic data: teacher-student perceptron, "
	    "Gaussian mixture",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32,
	.operands = "teacher-student|gaussian-mixture",
	.about = "Write P synthetic records {\"id\",\"embedding\",\"label\","
	    "...}, the same\nbytes for the same seed.\n\n"
	    "teacher-student: x ~ N(0, I_N), a random unit teacher w, label = "
	    "[w.x > 0],\nmargin = w.x.\n"
	    "gaussian-mixture: x = mu_label + N(0, I_N), the K means the "
	    "vertices of a\nregular simplex of edge S centred at 0, class "
	    "sizes in proportion to the\nweights (largest remainder), "
	    "shuffled.",
	.seed_help = "random seed"
};

static struct nsl_cli cli;

static int
given(const char *longname)
{
	return nsl_cli_given(&cli, longname);
}

int
main(int argc, char **argv)
{
	const struct nsl_synth_model_def *m;
	const char *why, *emit;
	struct nsl_writer *w, *mw = NULL;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_err err;
	int i, model;

	nsl_synth_init(&s);
	s.classes = 2;
	s.separation = 4;
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		for (i = 0; (m = nsl_synth_model_get(i)) != NULL; i++)
			printf("%s\t%s\n", m->name, m->help);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (cli.optind >= argc)
		nsl_usage_error("give a model: %s",
		    nsl_synth_model_names(" or "));
	if (cli.optind + 1 < argc)
		nsl_usage_error("unexpected argument '%s'",
		    argv[cli.optind + 1]);
	if ((model = nsl_synth_model_parse(argv[cli.optind])) < 0)
		nsl_usage_error("unknown model '%s' (%s)", argv[cli.optind],
		    nsl_synth_model_names(", "));
	m = nsl_synth_model_get(model);
	s.model = (enum nsl_synth_model)model;
	if (!nsl_cli_given(&cli, "n") || !nsl_cli_given(&cli, "dim"))
		nsl_usage_error("%s needs --n and --dim", m->name);
	if ((why = nsl_synth_foreign_option(model, given)) != NULL)
		nsl_usage_error("%s", why);
	s.has_probe = nsl_cli_given(&cli, "probe-angle") > 0;
	s.has_noise = nsl_cli_given(&cli, "label-noise") > 0;
	if (s.weights != NULL) {
		if (nsl_cli_given(&cli, "classes") && nweights != s.classes)
			nsl_usage_error("--weights has %zu numbers for "
			    "--classes %zu", nweights, s.classes);
		s.classes = nweights;
	}
	emit = model == NSL_SYNTH_TEACHER_STUDENT ? emit_teacher : emit_means;
	if (emit != NULL && strcmp(emit, "-") == 0)
		nsl_usage_error("--emit-teacher, --emit-means: give a file "
		    "name, not -");
	s.field = cli.common.field;
	s.seed = cli.common.seed;
	s.style = cli.common.float32 ? NSL_NUM_FLOAT32 : NSL_NUM_DOUBLE;
	if ((why = nsl_synth_check(&s)) != NULL)
		nsl_usage_error("%s", why);
	if (nsl_synth_setup(&s, &err) != 0)
		nsl_die_err(&err);
	if (emit != NULL) {	/* committed with the records */
		nsl_synth_model_record(&s, &b);
		if (nsl_buf_failed(&b))
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if ((mw = nsl_writer_open(emit, &err)) == NULL ||
		    nsl_writer_write(mw, b.data, b.len, &err) != 0)
			nsl_die_err(&err);
	}
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_synth_write(&s, w, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0 ||
	    (mw != NULL && nsl_writer_commit(mw, &err) != 0))
		nsl_die_err(&err);
	nsl_buf_release(&b);
	nsl_synth_release(&s);
	nsl_cli_release(&cli);
	return nsl_finish();
}
