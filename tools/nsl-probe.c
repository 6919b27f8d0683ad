/*
 * nsl-probe - train a linear probe or a small MLP on embeddings and
 * evaluate it; prints one result record.  The models (a catalogue of
 * rows), the run and the result record are in lib/probe.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nsl/buf.h"
#include "nsl/io.h"
#include "nsl/probe.h"

static struct nsl_probe_job job = { .label = "label" };
static struct nsl_strlist tags;
static double lr = -1;
static int optimizer, timing, list;

static const char *const optimizer_names[] = { "adam", "sgd", NULL };

/* --model NAME: a row of the catalogue. */
static const char *
model_name(const struct nsl_opt *r, const char *arg)
{
	(void)r;
	return nsl_probe_model_choose(arg, &job.p.model);
}

static const struct nsl_opt opts[] = {
	NSL_OPT_STRING(0, "train", &job.train, "FILE",
	    "the training records (required)"),
	NSL_OPT_STRING(0, "test", &job.test, "FILE", "the test records"),
	NSL_OPT_CALLBACK(0, "model", NULL, "linear|mlp", model_name,
	    "linear (multinomial logistic regression, L-BFGS; the default) "
	    "or mlp (one hidden ReLU layer); --list-models says more"),
	NSL_OPT_MODE(0, "list-models", &list, 1,
	    "list the models and what each is"),
	NSL_OPT_DOUBLE(0, "l2", &job.p.l2, "L", 0, 1e300,
	    "L2 strength, mean loss + L/2 ||W||^2; sklearn's C = 1 / (L * "
	    "n_train)"),
	NSL_OPT_SET(0, "no-intercept", &job.p.intercept, 0,
	    "linear: no bias, features scaled but not centred"),
	NSL_OPT_SET(0, "no-standardize", &job.p.standardize, 0,
	    "use the features as they are"),
	NSL_OPT_DOUBLE(0, "tol", &job.p.tol, "T", 1e-300, 1e300,
	    "linear: stop at max |gradient| <= T"),
	NSL_OPT_DOUBLE(0, "ftol", &job.p.ftol, "F", 0, 1e300,
	    "linear: stop when one step lowers the objective by at most F "
	    "relative (default 64 machine epsilons)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_SIZE(0, "max-iter", &job.p.max_iter, "N", 1, 100000000,
	    "linear: L-BFGS iterations at most"),
	NSL_OPT_SIZE(0, "hidden", &job.p.hidden, "H", 1, 1000000,
	    "mlp: hidden units"),
	NSL_OPT_SIZE(0, "epochs", &job.p.epochs, "E", 1, 1000000,
	    "mlp: passes over the data"),
	NSL_OPT_SIZE(0, "batch", &job.p.batch, "B", 1, 100000000,
	    "mlp: minibatch size"),
	NSL_OPT_DOUBLE(0, "lr", &lr, "R", 1e-300, 1e300,
	    "mlp: step size (default 0.001 for adam, 0.05 for sgd)",
	    .flags = NSL_OPTF_NODEFAULT),
	NSL_OPT_CHOICE(0, "optimizer", &optimizer, NULL, optimizer_names,
	    "mlp: adam, or sgd with momentum 0.9"),
	NSL_OPT_STRING(0, "label-field", &job.label, "NAME", "the label"),
	NSL_OPT_STRING(0, "dynamics", &job.dynamics, "FILE",
	    "mlp: per training example, logits after each epoch"),
	NSL_OPT_STRING(0, "predict", &job.predict, "FILE",
	    "per test example: label, pred, logits"),
	NSL_OPT_STRING(0, "teacher", &job.teacher, "FIELD",
	    "add gen_error = angle(student, teacher) / pi, the teacher "
	    "vector from FIELD of the first training record"),
	NSL_OPT_STRING(0, "teacher-file", &job.teacher_file, "F",
	    "... or of the first record of F (field \"teacher\" unless "
	    "--teacher names another)"),
	NSL_OPT_LIST(0, "tag", &tags, "K=V", "add K to the result (V as JSON "
	    "if it parses, else a string); repeatable",
	    .flags = NSL_OPTF_NOSPLIT),
	NSL_OPT_FLAG(0, "timing", &timing, "add \"seconds\": wall-clock time "
	    "of training and evaluation (the one field that varies run to "
	    "run)"),
	NSL_OPT_END()
};

static const struct nsl_tool tool = {
	.name = "probe",
	.summary = "train and evaluate a linear probe or a small MLP "
	    "on embeddings",
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32,
	.about = "Train a classifier (embedding -> label) on --train, "
	    "evaluate it on --test\nand print one result record.  Features "
	    "are standardised with the\ntraining set's mean and deviation.",
	.seed_help = "mlp: weights and shuffles",
	.output_help = "write the result record to FILE"
};

int
main(int argc, char **argv)
{
	const struct nsl_probe_model_def *m;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_probe_result r;
	struct nsl_writer *w;
	struct nsl_cli cli;
	struct nsl_err err;
	const char *msg;
	size_t i;

	nsl_probe_params_default(&job.p, NSL_PROBE_LINEAR);
	nsl_err_clear(&err);
	nsl_cli_parse(&cli, &tool, opts, argc, argv);
	if (list) {
		for (i = 0; (m = nsl_probe_model_get((int)i)) != NULL; i++)
			printf("%s\t%s\n", m->name, m->help);
		nsl_cli_release(&cli);
		return nsl_finish();
	}
	if (cli.optind < argc)
		nsl_usage_error("unexpected operand \"%s\"", argv[cli.optind]);
	if (job.train == NULL)
		nsl_usage_error("--train FILE is required");
	if (job.predict != NULL && job.test == NULL)
		nsl_usage_error("--predict needs --test");
	job.p.optimizer = (enum nsl_probe_optimizer)optimizer;
	job.p.dynamics = job.dynamics != NULL;
	job.p.seed = cli.common.seed;
	job.p.lr = lr > 0 ? lr : job.p.optimizer == NSL_PROBE_SGD ?
	    NSL_PROBE_DEFAULT_LR_SGD : NSL_PROBE_DEFAULT_LR_ADAM;
	if ((msg = nsl_probe_check(&job.p)) != NULL)
		nsl_usage_error("%s", msg);
	if ((job.teacher != NULL || job.teacher_file != NULL) &&
	    job.p.model != NSL_PROBE_LINEAR)
		nsl_usage_error("--teacher needs --model linear");
	/* the tags: KEY=VALUE, each key once, none a member of the result */
	memset(&r, 0, sizeof(r));
	r.model = nsl_probe_model_get(job.p.model)->name;
	r.has_test = job.test != NULL;
	r.has_gen_error = job.teacher != NULL || job.teacher_file != NULL;
	if ((msg = nsl_probe_tags_check(&r, (const char *const *)tags.v,
	    tags.n)) != NULL)
		nsl_usage_error("%s", msg);
	job.field = cli.common.field;
	job.float32 = cli.common.float32;
	if (nsl_probe_run(&job, &r, &err) != 0)
		nsl_die_err(&err);
	r.has_seconds = timing;
	r.tags = (const char *const *)tags.v;
	r.ntags = tags.n;
	nsl_probe_result_write(&r, &b);
	if (nsl_buf_failed(&b))
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
	nsl_strlist_release(&tags);
	nsl_cli_release(&cli);
	return nsl_finish();
}
